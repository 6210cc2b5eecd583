"""Lesson 4, training with truncated BPTT, in headless Chromium (tests/page_in_browser.py):
training redraws live and stops on the button, an explosion is reported, the address sets the
controls, what its figures show after a move is what the engine computes here, and a download
is Matplotlib's drawing of the figure shown. The user's own data: test_your_data.py.
"""

import re

import live
import numpy as np
from live import LINE_POINTS, close, line_points, marks, record
from page_in_browser import (InThePage, PageCase, assert_no_error_shown,
                             assert_query_sets_the_controls, in_browser, open_lesson, screenshot,
                             wait_status)
from playwright.sync_api import expect

from bpttviz import make_task
from bpttviz.schedules import tbptt

PAGE = "04_training"


#: The number of points of each curve the loss figure shows (by legend label).
CURVE_POINTS = f"() => ({LINE_POINTS})('loss')"


def curve_points(page):
    """``[points of A's loss curve, points of B's]`` as the page draws them."""
    return line_points(page, "loss", ("A:", "B:"))


@in_browser
def test_training_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, PAGE, "?updates=3000")
    assert curve_points(page) == [0, 0]
    bar = page.locator(".bpttviz-app .bpttviz-progress")
    assert bar.count() == 1 and not bar.is_visible()          # in the page, hidden until Train
    page.locator(".bpttviz-start").click()
    wait_status(page, r"training: A \d+/3000")
    # The curves grow while the runs train (each redraw sends only the new points).
    page.wait_for_function(f"() => Object.values(({CURVE_POINTS})()).some(n => n > 0)")
    grown = curve_points(page)
    page.wait_for_function(f"(n) => Math.max(...Object.values(({CURVE_POINTS})())) > n",
                           arg=max(grown))
    bar.wait_for(state="visible")
    screenshot(page, artifacts, "04_training-live")
    page.locator(".bpttviz-stop").click()           # the kernel must still hear the button
    status = wait_status(page, r"stopped")
    done = [int(n) for n in re.findall(r"[AB] (\d+) updates", status)]
    assert len(done) == 2 and all(0 < n < 3000 for n in done)
    # The last redraw shows every update each run made, one point each.
    page.wait_for_function(f"(done) => JSON.stringify(Object.values(({CURVE_POINTS})())"
                           ".slice(0, 2)) == JSON.stringify(done)", arg=done)
    loss = record(page, "loss")
    for label, n in zip(("A:", "B:"), done):
        line = next(m for m in loss["panels"][0]["marks"]
                    if m["type"] == "Line" and (m["label"] or "").startswith(label))
        assert list(line["x"]) == list(range(n))
    bar.wait_for(state="hidden")
    expect(page.locator(".bpttviz-start")).to_be_enabled()
    expect(page.locator(".bpttviz-stop")).to_be_disabled()
    assert_no_error_shown(page)


@in_browser
def test_an_exploding_run_is_reported_at_its_update(page, server):
    open_lesson(page, server, PAGE, "?preset=clipping")
    page.locator(".bpttviz-start").click()
    wait_status(page, r"trained", timeout=60_000)
    notes = page.locator(".bpttviz-notes").inner_text()
    assert re.search(r"A stopped: non-finite loss or gradient at update \d+", notes)
    assert "B stopped" not in notes
    assert_no_error_shown(page)


@in_browser
def test_query_parameters_set_the_controls(page, server):
    assert_query_sets_the_controls(page, server, PAGE, "?task=adding&k2_a=7&updates=500",
                                   {"k2_a": "7", "updates": "500"})


def expected_numbers(s, page):
    """Lesson 4: what each update of A and B reaches of the task's dependencies."""
    T, seed = int(s["T"]), int(s["seed"])
    assert s["task"] == "temporal_order"
    batch = make_task("temporal_order", seq_len=T).sample(32, np.random.default_rng(seed), T)
    carries = (np.asarray(batch.mask) > 0).any(axis=1)
    reach = page["reach"]
    close(live.labelled(reach, "loss with a target")["x"], np.flatnonzero(carries),
          "steps with targets")
    bars = marks(reach, 0, "Segments")
    for row, run in enumerate("ab"):
        k1, k2 = int(s[f"k1_{run}"]), int(s[f"k2_{run}"])
        windows = []
        for p in tbptt(T, k1, k2).updates:
            carried = carries[p.losses]
            if carried.any():
                windows.append((p.starts[carried].min(), p.losses[carried].max()))
        close(bars[row]["x0"], [lo - 0.45 for lo, _ in windows], f"{run}'s windows' starts")
        close(bars[row]["x1"], [hi + 0.45 for _, hi in windows], f"{run}'s windows' ends")
    # The curves' legends name the window they will train with.
    live.labelled(page["loss"], f"A: k1={s['k1_a']}, k2={s['k2_a']}")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("reach", "loss"), expected_numbers, download="reach")
