"""The page's redraw: the controls' values -> the lesson's compute -> its render -> the page.

A *redraw* is what a change of the controls causes (never a parameter update, which is the
engine's word). :class:`RedrawLoop` runs a lesson's ``compute`` once per change of the
controls (none for a control that only changes what is shown) and ``render``
after it, sends each figure that changed, then their text alternatives, the
readout, the notes and the link. An error is shown in the page, never
raised: the figures keep the last state that worked. Changes from the page
come through a :class:`~.settle.Settler`, so a held key costs one
computation per settle time.
"""

from __future__ import annotations

import time

from .notices import notice_html
from .settle import Settler

__all__ = ["RedrawLoop", "SLOW_MS"]

#: A redraw that took longer than this (milliseconds) says "computing…" while the next one runs.
SLOW_MS = 150.0


class RedrawLoop:
    """Compute and redraw a lesson's page.

    Parameters
    ----------
    lesson : bpttviz.lessons.Lesson
        The page's lesson (its compute, render, describe and notes).
    controls : bpttviz.app.values.ControlPanel
    figures : bpttviz.app.figure_panel.FigurePanel
    describe : callable
        ``describe(names, result, values)``: the text alternatives of figures that changed.
    messages : bpttviz.app.status.Messages
    show_link : callable
        ``show_link(values)``: the link to the configuration shown.
    before_compute : callable
        Called before every computation (a training run in progress stops).
    run_notes : callable
        ``run_notes(result) -> list``: notes about runs of that result (lessons that train).
    waiting : callable
        ``waiting()``: shows why there is nothing to compute yet (the user's file); called
        instead of a redraw while the lesson waits.
    shared : bpttviz.app.shared.SharedResults, optional
        Results shared with the other pages of this process (a lecture hall's server).

    Attributes
    ----------
    result
        What the last ``compute`` returned.
    runs, updates : int
        Computations; redraws finished (the status line carries their number,
        ``data-update``).
    last_update_ms : float
    link_notes : list of str
        What the page's link asked for and could not have (shown with the notes).
    """

    def __init__(self, lesson, controls, figures, describe, messages, show_link,
                 before_compute, run_notes, waiting, shared=None):
        self.lesson, self.controls, self.figures = lesson, controls, figures
        self.describe, self.messages, self.show_link = describe, messages, show_link
        self.before_compute, self.run_notes, self.waiting = before_compute, run_notes, waiting
        self.shared = shared
        self.result = None
        self.runs = self.updates = 0
        self.last_update_ms = float("nan")
        self.link_notes = []
        self.settler = Settler(self.redraw)

    def compute(self, values: dict):
        """The lesson's engine run for ``values`` (what must stop first, stopped)."""
        self.before_compute()
        if self.shared is not None:
            return self.shared.result(self.lesson, values, self.lesson.compute)
        return self.lesson.compute(values)

    def changed(self, name: str, owner=None):
        """Control ``name`` changed (``owner``: its widget, which says if the page moved it)."""
        if not self.controls.holding:
            self.settler.changed(self.controls.spec[name].recompute,
                                 getattr(owner, "from_page", False))

    def redraw(self, recompute=True) -> bool:
        """Run the engine once (unless ``recompute=False``) and redraw the figures that changed.

        Never raises: an error is shown in the page, the figures keep their
        last state, and the result is False.
        """
        if self.lesson.waiting(self.controls.raw()):
            self.before_compute()
            self.controls.constrain()
            self.waiting()
            self.show_link(None)
            return False
        t0, done = time.perf_counter(), False
        # A redraw expected to be quick does not say "computing": the word would show for a
        # few milliseconds at the cost of one more message per move.
        with self.messages.busy("computing", say=not self.last_update_ms < SLOW_MS):
            self.controls.constrain()
            values = self.controls.values()
            if recompute or self.result is None:
                self.runs += 1
                self.result = self.compute(values)
            records = self.lesson.render(self.result, values) or {}
            # The figures go first, their text alternatives after: the page draws every canvas
            # before it touches the text around them.
            changed = self.figures.show(records)
            self.describe(changed, self.result, values)
            self.messages.readout.value = self.lesson.describe(self.result, values)
            self.show_notes(values)
            self.show_link(values)
            done = True
        self.last_update_ms = (time.perf_counter() - t0) * 1e3
        self.settler.done()
        if done:
            self.updates += 1
            self.messages.message.value = ""
            self.messages.say(f"✓ updated in {self.last_update_ms:.0f} ms", "green",
                              self.updates)
        return done

    def show_notes(self, values=None):
        """The notes under the controls: what the link could not set, the lesson's warnings
        and the runs'."""
        values = self.controls.values() if values is None else values
        notes = (self.link_notes + list(self.lesson.notes(self.result, values))
                 + self.run_notes(self.result))
        self.messages.notes.value = notice_html(notes, "warning")
