"""The page's update loop, on the toy lesson (tests/toy_lesson.py): one computation per change
and none for a control that only redraws, errors shown in the page and never raised, the
status line, and of a burst of changes from the page only the first and the newest computed.

Engine runs are counted by the page itself (``app.runs``) and the lesson's renders by the toy;
a change from the page arrives as ipywidgets delivers it (:func:`from_page`), on a running
event loop as in a kernel (:func:`in_a_kernel`) whose clock the test moves: the settle time is
kept by that clock, so what is computed when does not depend on the machine's speed.
"""

import asyncio

import numpy as np
from page_in_kernel import panel_marks, text_of
from toy_lesson import Toy, toy_y

from bpttviz.app import VanishingApp
from bpttviz.app.base import SETTLE_S


def test_one_compute_per_change_and_none_for_a_view_only_control():
    app = Toy(query="")
    assert app.runs == 1
    app.widgets["n"].value = 5
    assert app.runs == 2
    np.testing.assert_array_equal(toy_y(app), np.arange(5) * 0.5)
    app.widgets["view"].value = 4
    assert app.runs == 2 and app.renders[-1] == 4
    assert app.figures["main"].record.panels[0].marks[-1].value == 4
    assert "updated" in app.status.value


def test_an_error_in_a_callback_is_shown_in_the_page_and_never_raised():
    app = Toy(query="")
    good = app.figures["main"].record
    app.widgets["x"].value = 0.0                       # compute raises
    shown = text_of(app.message.value)
    assert "Could not update the lesson: x must not be zero for this toy" in shown
    assert "Traceback" not in app.message.value
    assert "failed" in app.status.value
    assert "ValueError" in app.last_error               # kept for debugging, not shown
    assert app.figures["main"].record is good                     # last good figure stays
    app.widgets["x"].value = 0.3
    assert app.message.value == "" and "updated" in app.status.value


def test_a_failing_first_run_still_builds_the_app():
    app = Toy(query="x=0")
    assert app.runs == 1 and "x must not be zero" in app.message.value


def test_busy_shows_progress_and_catches_errors():
    app = Toy(query="")
    shown = []                      # read inside, asserted outside: busy() catches errors
    with app.busy():
        shown.append(text_of(app.status.value))
    with app.busy("training"):
        app.report_progress(0.4, "epoch 2")
        shown += [app.progress.layout.display, app.progress.value, text_of(app.status.value)]
    assert shown == ["● computing…", None, 0.4, "● epoch 2…"]       # one ellipsis each
    assert app.progress.layout.display == "none" and app.message.value == ""
    with app.busy():
        raise RuntimeError("stopped by the user")
    assert "stopped by the user" in app.message.value


def test_close_closes_every_widget():
    app = Toy(query="")
    slider = app.widgets["n"]
    app.close()
    assert slider.comm is None


def test_a_quick_update_says_only_that_it_updated_and_a_slow_ones_successor_says_computing():
    from bpttviz.app.base import SLOW_MS
    app = VanishingApp(query="")
    said = []
    app.status.observe(lambda change: said.append(change["new"]), names="value")
    app.last_update_ms = 1.0                        # the last update was quick
    app.set(T=61)
    app.set(T=62)
    assert all(text_of(s).startswith("✓ updated in") for s in said)
    assert len(said) == 2 and said[0] != said[1]    # numbered: each reaches the page
    assert f'data-update="{app.updates}"' in said[1]
    said.clear()
    app.last_update_ms = SLOW_MS + 1                # as if the last one had been slow
    app.set(T=63)
    assert text_of(said[0]) == "● computing…" and text_of(said[-1]).startswith("✓ updated in")
    app.close()


# --- changes from the page: the newest value wins ------------------------------------------

def from_page(widget, **state):
    """What ipywidgets does with a control's update message from the page (a user's move)."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": []}}, "buffers": []})


class HeldLoop(asyncio.SelectorEventLoop):
    """An event loop as a kernel's, whose clock stands still until the test moves it."""

    def __init__(self, now):
        super().__init__()
        self.now = now

    def time(self):
        return self.now

    async def after(self, seconds=0.0):
        """Move the clock ``seconds`` on and let the loop run what falls due by then."""
        self.now += seconds
        for _ in range(3):
            await asyncio.sleep(0)


def in_a_kernel(app, moves):
    """Run ``moves(loop)`` (a coroutine function) on a :class:`HeldLoop`, as a kernel does,
    the app's settle time kept by the loop's clock; the app has been quiet for a while.
    Returns what ``moves`` returns."""
    settler = app.redraw_loop.settler
    loop = HeldLoop(settler.last + 2 * SETTLE_S)
    settler.clock = loop.time
    try:
        return loop.run_until_complete(moves(loop))
    finally:
        loop.close()


def test_of_a_burst_of_changes_from_the_page_the_first_and_the_newest_are_computed():
    app = Toy(query="")
    values = [1 + (7 * i) % 10 for i in range(60)] + [7]

    async def held_key(loop):               # queued messages, handled back to back
        before = app.runs
        for v in values:
            from_page(app.widgets["n"], value=v)
        await loop.after(SETTLE_S)
        return app.runs - before

    # The first at once (the kernel was quiet: it cannot know more follow), then the newest.
    assert in_a_kernel(app, held_key) == 2
    assert app.values()["n"] == 7 and len(app.result) == 7
    np.testing.assert_array_equal(toy_y(app), np.arange(7) * 0.5)
    assert "n=7" in app.link.value


def test_changes_between_which_the_kernel_is_free_cost_one_computation_per_settle_time():
    app = Toy(query="")
    dt = SETTLE_S / 10.5            # a move every 1/10.5 settle time: none when a timer falls
    computed = []                   # (the clock, n) of each computation

    async def dragged_slider(loop):
        compute = app.redraw_loop.compute

        def counting(values):
            computed.append((loop.now, values["n"]))
            return compute(values)

        app.redraw_loop.compute = counting
        start = loop.now
        for i in range(100):
            loop.now = start + i * dt
            from_page(app.widgets["n"], value=1 + i % 10)
            await loop.after()              # the loop runs between two moves
        dragging = list(computed)
        await loop.after(SETTLE_S)
        return start, dragging

    start, dragging = in_a_kernel(app, dragged_slider)
    assert dragging[0] == (start, 1)                            # the first move at once
    # Then one computation a settle time: the next move waits it out (and the timer is
    # seen at the move after it falls), the moves in between only replace its value.
    gaps = np.diff([t for t, _ in dragging])
    assert len(gaps) > 0 and all(SETTLE_S <= g <= SETTLE_S + 2 * dt for g in gaps), gaps
    assert computed[-1][1] == 10 and app.values()["n"] == 10     # the last move wins
    np.testing.assert_array_equal(toy_y(app), np.arange(10) * 0.5)


def test_a_single_change_from_the_page_is_computed_at_once():
    app = Toy(query="")

    async def one_move(loop):
        before = app.runs
        from_page(app.widgets["n"], value=6)
        await loop.after(SETTLE_S / 5)      # well before a settle time has passed
        return app.runs - before

    assert in_a_kernel(app, one_move) == 1 and len(app.result) == 6


def test_a_burst_of_view_changes_computes_nothing_and_draws_the_newest():
    app = Toy(query="n=10")
    runs, renders = app.runs, len(app.renders)

    async def frames(loop):
        for v in range(1, 11):
            from_page(app.widgets["view"], value=v)
        await loop.after(SETTLE_S)

    in_a_kernel(app, frames)
    assert app.runs == runs and app.renders[renders:] == [1, 10]
    assert panel_marks(app, "main")[-1].value == 10


def test_changes_made_from_python_are_computed_at_once_in_a_kernel_too():
    app = Toy(query="")

    async def script(loop):
        counts = [app.runs]
        app.set(n=4)
        counts.append(app.runs)
        app.widgets["n"].value = 6
        counts.append(app.runs)
        app.apply_preset("big")
        counts.append(app.runs)
        return counts

    assert in_a_kernel(app, script) == [1, 2, 3, 4]
    assert len(app.result) == 9 and app.result[-1] == 8.0
