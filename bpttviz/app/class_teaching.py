"""A lesson page paused by the lecturer, and its part in a class experiment.

When the class view (:mod:`.classroom`) says the lesson is paused, every control of the page is
held at its value (:meth:`~bpttviz.app.controls.Lockable.pause`): the kernel refuses a change,
from the browser or from a crafted widget message, as it refuses a control a teacher's link
fixed (:mod:`.teacher` says each refusal), and the page says "Paused by the lecturer". The
page's buttons that start something (Train or Race, Play) are held too (:meth:`hold_also`):
disabled, and a run asked for anyway is refused (:meth:`refusal`). Resumed, the controls and
buttons move again (those a link fixed stay fixed).

While the lecturer runs a class experiment on the lesson, the page shows a **Send my result**
button: it sends the page's settings, the lesson's result
(:meth:`bpttviz.lessons.Lesson.experiment_result`) and the page's link; the class view keeps
the latest point of each page, without its id.

Without the class view nothing is built.
"""

from __future__ import annotations

import threading
import urllib.error

import ipywidgets as widgets

from ..class_protocol import RESULT_PATH
from ..upstream.ipywidgets_classes import classed
from .notices import notice_html
from .teacher import PAUSED

__all__ = ["ClassTeaching", "PAUSED"]


class ClassTeaching:
    """The page's side of a paused lesson and of a class experiment.

    Parameters
    ----------
    classroom : ClassLink
        The page's link to the class view; nothing is built when it is inactive.
    controls : ControlPanel
        The controls held while paused.
    point : callable
        ``point() -> {"settings", "result", "link"}``: what the page sends; raises
        ``ValueError`` saying why when it has nothing to send yet.
    attempt : callable
        ``attempt(action, what)``: runs a button's action, an error shown in the page.

    Attributes
    ----------
    paused, experiment : bool
        What the class view said last.
    widgets : list of ipywidgets.Widget
        The pause notice, the Send my result button (shown while an experiment runs) and what
        became of the result sent; empty without the class view.
    """

    def __init__(self, classroom, controls, point, attempt):
        self.classroom, self.controls = classroom, controls
        self.point, self.attempt = point, attempt
        self.paused = self.experiment = False
        self.widgets = []
        self._also = {}                 # {widget: [disabled when paused, disabled after]}
        if not classroom.active:
            return
        # Every page of a class has these, mostly empty or hidden: as few models as they
        # can be (the notices share a look; the button hides itself, no box around it).
        self.notice = classroom.notices("bpttviz-paused")
        self.send_button = classed(widgets.Button, "bpttviz-send-result",
                                   description="Send my result", icon="paper-plane",
                                   tooltip="Send your settings and result to the class's plot",
                                   button_style="info",
                                   layout=widgets.Layout(width="auto", display="none"))
        self.send_button.on_click(lambda _: attempt(self.send, "send your result"))
        self.sent = classroom.notices("bpttviz-send-result-status")
        self.widgets = [self.notice, self.send_button, self.sent]
        classroom.listeners.append(self.heard)

    def heard(self, state):
        """Apply what the class view said: the pause and the experiment."""
        paused = bool(state.get("paused"))
        if paused != self.paused:
            self.set_paused(paused)
        experiment = bool(state.get("experiment"))
        if experiment != self.experiment:
            self.experiment = experiment
            self.send_button.layout.display = None if experiment else "none"
            if not experiment:
                self.sent.value = ""

    def hold_also(self, button, after=None):
        """Disable ``button`` (Train, Play: what starts something) while the lesson is paused.
        Resumed, it is disabled as ``after()`` says (Train: while a run goes on), else as it
        was when paused."""
        self._also[button] = [button.disabled, after]
        if self.paused:
            button.disabled = True

    def refusal(self) -> str:
        """Why the page may not start a run now ("" when it may)."""
        return (f"{PAUSED} for a discussion: runs start again when the lecturer resumes."
                if self.paused else "")

    def set_paused(self, paused: bool):
        """Hold every control at its value (``paused``), or let them move again."""
        self.paused = paused
        controls = self.controls.widgets.values()
        for b, held in self._also.items():
            if paused:
                held[0], b.disabled = b.disabled, True
                if getattr(b, "playing", False):
                    b.playing = False       # a Play going on stops where it is
            else:
                b.disabled = bool(held[1]() if held[1] is not None else held[0])
        if paused:
            for w in controls:
                w.pause()
            self.notice.value = notice_html(
                [f"{PAUSED} for a discussion: the controls move again when the lecturer "
                 "resumes."], "info")
            return
        for w in controls:
            w.resume()
            w.disabled = False           # a control a link fixed stays disabled (locked)
        self.controls.constrain()        # the lesson's own rules for disabling controls
        self.notice.value = ""

    def send(self):
        """Send the page's point to the class experiment (in the background)."""
        if not self.experiment:
            raise ValueError("No class experiment runs on this lesson now.")
        link = self.classroom
        body = {"page": link.page, "lesson": link.lesson, **self.point()}
        self.sent.value = notice_html(["Sending…"], "info")
        threading.Thread(target=self._post, args=(body,), daemon=True).start()

    def _post(self, body):
        try:
            self.classroom._request(RESULT_PATH, body)
            said = notice_html(["Sent: your point is on the class's plot."], "info")
        except urllib.error.HTTPError as exc:
            said = notice_html([f"Not sent: the class view answered {exc.code}."], "error")
        except (OSError, ValueError):
            said = notice_html(["Not sent: the class view could not be reached."], "error")
        loop = self.classroom._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(setattr, self.sent, "value", said)
        else:
            self.sent.value = said
