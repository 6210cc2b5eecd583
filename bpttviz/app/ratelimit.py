"""A limit on the rate of widget changes a page applies: the newest of each kept, the rest counted.

A page's widget changes (a slider moved, a menu chosen) reach its app through
ipywidgets' ``set_state``. :class:`ChangeGate` lets a page apply :data:`RATE` changes
a second, in bursts of up to :data:`BURST` (a token bucket); past it, a change waits,
and only the newest waiting change of each widget is applied when the bucket allows
it. So the newest value always reaches the app (a slider never stays at a value the
app did not see), and the changes in between are dropped: counted, and the page says
so once per episode (:meth:`bpttviz.app.status.Messages.rate_limited`).

A normal page is never limited: ipywidgets' page sends a widget's next change only
after the server has finished with the previous one (it keeps the newest meanwhile),
so a drag or a held key (browser key repeat, about 30 a second) sends at most one
change per round trip. Measured (headless Chromium, lesson 1's "frame" slider, the
one control that sends while dragged): a fast drag back and forth, a pointer event
every 8 ms for 4 s, sent 82 changes, at most 20 in any second. The limit is three
times that. What it stops is a client that does not wait: a script, or a page sending
back to back (the classroom benchmark's "stuck key").
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["TokenBucket", "ChangeGate", "RATE", "BURST"]

#: Widget changes a second a page may apply, sustained ...
RATE = 60.0
#: ... and at once (two seconds of a drag on a 120 Hz screen).
BURST = 120


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` kept; :meth:`take` one if there is one."""

    def __init__(self, rate: float = RATE, burst: int = BURST, clock=time.monotonic):
        self.rate, self.burst, self.clock = float(rate), float(burst), clock
        self.tokens, self.last = float(burst), clock()

    def _fill(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def take(self) -> bool:
        self._fill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Seconds until a token is there."""
        self._fill()
        return max(0.0, (1 - self.tokens) / self.rate)


class ChangeGate:
    """The changes one page applies, limited (see the module).

    Parameters
    ----------
    on_dropped : callable
        ``on_dropped(n)``: ``n`` changes were dropped in the episode that just ended.
    rate, burst : float, int
    clock : callable
        Seconds, monotonic (a test gives its own).
    later : callable, optional
        ``later(delay, callback)``; default the running asyncio loop's ``call_later``
        (without one, waiting changes are applied at the next change that finds tokens).
    """

    def __init__(self, on_dropped, rate=RATE, burst=BURST, clock=time.monotonic, later=None):
        self.on_dropped = on_dropped
        self.bucket = TokenBucket(rate, burst, clock)
        self.later = later
        self.waiting = {}           # widget -> (merged state, apply)
        self.dropped = 0
        self.scheduled = False

    def admit(self, widget, state: dict, apply) -> None:
        """Apply ``state`` to ``widget`` with ``apply(state)`` now, or once the bucket allows
        (a newer change of the same widget replaces one that waits)."""
        if widget in self.waiting:
            old, _ = self.waiting.pop(widget)
            self.dropped += 1
            state = {**old, **state}
        if not self.waiting and self.bucket.take():
            apply(state)
            self._settled()
            return
        self.waiting[widget] = (state, apply)
        self._schedule()

    def _schedule(self):
        if self.scheduled:
            return
        later = self.later
        if later is None:
            try:
                later = asyncio.get_running_loop().call_later
            except RuntimeError:
                return
        self.scheduled = True
        later(self.bucket.wait(), self.flush)

    def flush(self):
        """Apply the changes waiting, as many as the bucket allows now."""
        self.scheduled = False
        while self.waiting and self.bucket.take():
            widget = next(iter(self.waiting))
            state, apply = self.waiting.pop(widget)
            apply(state)
        if self.waiting:
            self._schedule()
        else:
            self._settled()

    def _settled(self):
        if not self.waiting and self.dropped:
            dropped, self.dropped = self.dropped, 0
            self.on_dropped(dropped)
