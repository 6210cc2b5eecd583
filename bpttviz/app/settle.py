"""Of a burst of changes from the page, compute only the newest.

A held arrow key or a dragged slider sends changes faster than the kernel
computes them. A change that comes while the kernel has just computed (less
than :attr:`Settler.SETTLE_S` ago) waits that long, and every change that
arrives meanwhile only moves the value it will compute; a single move, after
a quiet moment, is computed at once. A held key then costs a computation
every SETTLE_S at most, whatever the rate of its messages.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["Settler"]


def _running_loop():
    """The asyncio loop running in this thread (a kernel's), or None (a script, a test)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Settler:
    """When to redraw (``redraw(recompute=...)``) for changes of the controls.

    Parameters
    ----------
    redraw : callable
        ``redraw(recompute=bool)``: computes (if asked) and redraws.
    clock : callable, optional
        The seconds of the clock the event loop keeps its timers by (a test holds its own);
        default :func:`time.monotonic`, asyncio's.
    """

    #: Seconds a change from the page waits when it comes right after a computation.
    SETTLE_S = 0.05

    def __init__(self, redraw, clock=time.monotonic):
        self.redraw = redraw
        self.clock = clock
        self.scheduled = False
        self.recompute = False
        self.last = 0.0             # when the last redraw finished (by :attr:`clock`)

    def done(self):
        """A redraw just finished."""
        self.last = self.clock()

    def changed(self, recompute: bool, from_page: bool):
        """A control changed; ``from_page``: the browser changed it (else the kernel did)."""
        loop = _running_loop()
        if loop is None or not from_page:
            self.redraw(recompute=recompute)
            return
        self.recompute = self.recompute or recompute
        if self.scheduled:
            return
        if self.clock() - self.last > self.SETTLE_S:       # quiet: at once, as any change
            self.recompute = False
            self.redraw(recompute=recompute)
            return
        self.scheduled = True
        loop.call_later(self.SETTLE_S, self._settled)

    def _settled(self):
        """Compute the newest of the changes that came from the page since the last."""
        recompute = self.recompute
        self.scheduled, self.recompute = False, False
        self.redraw(recompute=recompute)
