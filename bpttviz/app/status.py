"""What the page says about its own work: the status line, progress, errors and notes.

Voila hides tracebacks and an exception raised in a widget's callback reaches
no one, so every action the page takes goes through :meth:`Messages.attempt`
or :meth:`Messages.busy`: an error becomes a readable message in the page
("Could not ...: why"), and the traceback is kept for debugging
(:attr:`Messages.last_error`), never shown to the audience.
"""

from __future__ import annotations

import html
import traceback
from contextlib import contextmanager

import ipywidgets as widgets

from ..upstream.ipywidgets_classes import classed
from .access import TEXT_COLOURS
from .controls import CONTROL_WIDTH
from .notices import notice_html

__all__ = ["Messages", "status_html"]


def status_html(text: str, color: str, update: int | None = None) -> str:
    """The status line's markup; ``update`` numbers it (``data-update="N"``) so that each
    update reaches the page even when its words repeat."""
    number = "" if update is None else f' data-update="{int(update)}"'
    return f'<span style="color:{color};font-size:14px"{number}>{html.escape(text)}</span>'


class Messages:
    """The status line, the progress bar, the error message, the rate-limit notice, the notes
    and the readout under a lesson's controls.

    Attributes
    ----------
    status, message, rate_notice, notes, readout : ipywidgets.HTML
    progress : ipywidgets.FloatProgress
    last_error : str or None
        The traceback of the last error shown (for debugging).
    """

    def __init__(self):
        self.last_error = None
        self.status = self._html("bpttviz-status", min_height="24px")
        self.progress = classed(widgets.FloatProgress, "bpttviz-progress", value=0, min=0, max=1,
                                layout=widgets.Layout(width=CONTROL_WIDTH, display="none"))
        self.message = self._html("bpttviz-message")
        self.rate_notice = self._html("bpttviz-rate-notice")
        self.notes = self._html("bpttviz-notes")
        self.readout = self._html("bpttviz-readout")

    @staticmethod
    def _html(cls, **layout):
        if layout:
            return classed(widgets.HTML, cls, layout=widgets.Layout(**layout))
        return classed(widgets.HTML, cls)

    @property
    def children(self) -> list:
        """The widgets, in the order the page shows them."""
        return [self.status, self.progress, self.message, self.rate_notice, self.notes,
                self.readout]

    def say(self, text: str, colour: str, update: int | None = None):
        """Put ``text`` on the status line in ``colour`` (a :data:`TEXT_COLOURS` key)."""
        self.status.value = status_html(text, TEXT_COLOURS[colour], update)

    @contextmanager
    def busy(self, label="computing", say=True, on_error=None):
        """Show ``label…`` (if ``say``) while the block runs; an error in it is shown, not
        raised (``on_error`` is called after)."""
        if say:
            self.say(f"● {label}…", "orange")
        try:
            yield
        except Exception as exc:
            self.show_error("update the lesson", exc)
            if on_error is not None:
                on_error()
        finally:
            self.progress.layout.display = "none"

    def report_progress(self, fraction: float, label: str = ""):
        """Show the progress bar at ``fraction`` (0..1) for long work."""
        self.progress.layout.display = None
        self.progress.value = min(max(float(fraction), 0.0), 1.0)
        if label:
            self.say(f"● {label}…", "orange")

    def show_error(self, action: str, exc: BaseException):
        """Show ``exc`` in the page as "Could not <action>: <message>"."""
        self.last_error = traceback.format_exc()
        message = str(exc) or type(exc).__name__
        self.message.value = notice_html(
            [f"Could not {action}: {message}",
             "The figures show the last settings that worked; change a control to try again."],
            "error")
        self.say("✗ failed", "vermillion")

    def attempt(self, action, what: str):
        """Call ``action()``; an error is shown in the page ("Could not <what>: ...")."""
        try:
            action()
        except Exception as exc:
            self.show_error(what, exc)

    def rate_limited(self, dropped: int):
        """The server dropped ``dropped`` changes that the page sent too fast: say so."""
        was = "change from this page was" if dropped == 1 else "changes from this page were"
        self.rate_notice.value = notice_html(
            [f"{dropped} {was} dropped: the page sent them faster than the server takes "
             f"them. The newest value of each control was kept."], "warning")
