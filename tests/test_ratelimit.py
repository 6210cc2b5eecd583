"""The limit on the widget changes a page applies: a token bucket, the newest change of each
widget kept, the rest dropped, counted and told to the page (on a clock the tests hold)."""

import pytest

from bpttviz.app import ratelimit
from bpttviz.app.ratelimit import ChangeGate, TokenBucket


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Later:
    """``later(delay, callback)`` kept, to run when the test moves the clock."""

    def __init__(self, clock):
        self.clock, self.pending = clock, []

    def __call__(self, delay, callback):
        self.pending.append((self.clock.now + delay, callback))

    def run_until(self, t):
        while self.pending:
            self.pending.sort(key=lambda p: p[0])
            when, callback = self.pending[0]
            if when > t:
                break
            self.pending.pop(0)
            self.clock.now = max(self.clock.now, when)
            callback()
        self.clock.now = t


def test_the_bucket_allows_a_burst_then_the_rate():
    clock = Clock()
    bucket = TokenBucket(rate=60, burst=120, clock=clock)
    assert sum(bucket.take() for _ in range(150)) == 120
    assert bucket.wait() == pytest.approx(1 / 60)
    clock.now = 1.0
    assert sum(bucket.take() for _ in range(150)) == 60


def test_a_held_key_or_a_drag_is_never_limited():
    # ipywidgets' page sends a widget's next change only once the server is done with the
    # last: at most one per round trip. Key repeat (~30/s) and a 60 Hz drag for a minute.
    assert (ratelimit.RATE, ratelimit.BURST) == (60, 120)
    for per_second in (30, 60):
        clock = Clock()
        applied, dropped = [], []
        gate = ChangeGate(dropped.append, clock=clock, later=Later(clock))
        for i in range(per_second * 60):
            clock.now = i / per_second
            gate.admit("slider", {"value": i}, lambda s: applied.append(s["value"]))
        assert applied == list(range(per_second * 60)) and dropped == [], per_second


def test_a_flood_keeps_the_newest_value_and_tells_the_page_once():
    clock = Clock()
    later = Later(clock)
    applied, dropped = [], []
    gate = ChangeGate(dropped.append, clock=clock, later=later)
    for v in range(300):                        # a stuck key: 300 changes back to back
        gate.admit("slider", {"value": v}, lambda s: applied.append(s["value"]))
    assert applied == list(range(120))          # the burst, then one waits: the newest
    assert dropped == []                        # said once the episode ends, not before
    later.run_until(1.0)
    assert applied == list(range(120)) + [299]
    assert dropped == [179]                     # every change neither applied nor newest
    assert not later.pending


def test_each_widget_keeps_its_own_newest_change_and_properties_merge():
    clock = Clock()
    later = Later(clock)
    applied = []
    gate = ChangeGate(lambda n: None, rate=1, burst=1, clock=clock, later=later)
    gate.admit("a", {"value": 1}, applied.append)
    gate.admit("a", {"value": 2}, applied.append)
    gate.admit("b", {"value": 5}, applied.append)
    gate.admit("a", {"disabled": False}, applied.append)
    later.run_until(10)
    assert applied[0] == {"value": 1}
    assert {"value": 2, "disabled": False} in applied and {"value": 5} in applied
    assert len(applied) == 3


def test_the_page_says_how_many_changes_were_dropped():
    from bpttviz.app import TruncationApp

    app = TruncationApp(query="")
    app.messages.rate_limited(198)
    text = app.rate_notice.value
    assert "198 changes from this page were dropped" in text
    assert "faster than the server takes them" in text
    app.messages.rate_limited(1)
    assert "1 change from this page was dropped" in app.rate_notice.value


def test_every_control_of_a_page_goes_through_one_gate():
    from bpttviz.app import TruncationApp

    app = TruncationApp(query="")
    gates = {id(w.gate) for w in app.widgets.values() if hasattr(w, "gate")}
    assert len(gates) == 1 and None not in {w.gate for w in app.widgets.values()
                                            if hasattr(w, "gate")}
    slider = app.widgets["k2"]
    # The bucket's clock stands still: however long the flood takes here, it is one instant.
    bucket = slider.gate.bucket
    bucket.clock = lambda: bucket.last
    # a flood through ipywidgets' own entry point: the newest value is what the app holds
    top = slider.max
    for i in range(300):
        slider.set_state({"value": slider.min + i % (top - slider.min)})
    slider.set_state({"value": top})
    slider.gate.flush()                          # as the loop would once tokens are back
    while slider.gate.waiting:
        slider.gate.bucket.tokens = slider.gate.bucket.burst
        slider.gate.flush()
    assert slider.value == top
    assert "changes from this page were dropped" in app.rate_notice.value
