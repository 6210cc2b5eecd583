"""Lessons 4-6 in headless Chromium, beyond what every page gets in test_pages.py: training
runs live (the loss curves grow in the page, point by point as the runs record them) and stops
on the button, an explosion is reported, the address sets the controls, and a click on the
error surface moves the start there."""

import re
from urllib.parse import parse_qs

import numpy as np
import pytest
from playwright.sync_api import expect
from live import drawn, labelled, record, wait_redrawn
from test_pages import (assert_no_error_shown, link_query, open_lesson, readout, screenshot,
                        wait_readout, wait_status)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


#: The number of points of each curve the loss figure shows (by legend label).
CURVE_POINTS = """() => {
  const fig = document.querySelector('.bpttviz-figure-loss .bpttviz-live')?.bpttvizFigure;
  return fig ? Object.fromEntries(fig.panels[0].marks.filter(m => m.type === 'Line' && m.label)
    .map(m => [m.label, m.y.length])) : {}; }"""


def curve_points(page):
    """``[points of A's loss curve, points of B's]`` as the page draws them."""
    shown = page.evaluate(CURVE_POINTS)
    return [n for label, n in shown.items() if label[:2] in ("A:", "B:")]


def test_training_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, "04_training", "?updates=3000")
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


def test_an_exploding_run_is_reported_at_its_update(page, server):
    open_lesson(page, server, "04_training", "?preset=clipping")
    page.locator(".bpttviz-start").click()
    wait_status(page, r"trained", timeout=60_000)
    notes = page.locator(".bpttviz-notes").inner_text()
    assert re.search(r"A stopped: non-finite loss or gradient at update \d+", notes)
    assert "B stopped" not in notes
    assert_no_error_shown(page)


@pytest.mark.parametrize("name, query, expected", [
    ("04_training", "?task=adding&k2_a=7&updates=500", {"k2_a": "7", "updates": "500"}),
    ("05_rnn_lstm_gru", "?T=80&forget_bias=-2", {"T": "80", "forget_bias": "\u22122.0"}),
    ("06_error_surface", "?view=wide&w0=9&steps=40", {"w0": "9.00", "steps": "40"}),
])
def test_query_parameters_set_the_controls(page, server, name, query, expected):
    open_lesson(page, server, name, query)
    for control, value in expected.items():
        assert readout(page, control) == value
    link = link_query(page)
    asked = {k: v[-1] for k, v in parse_qs(query[1:]).items()}
    assert {k: link[k] for k in asked} == asked
    assert page.locator(".bpttviz-notes").inner_text().strip() == ""
    assert_no_error_shown(page)


def test_a_click_on_the_error_surface_moves_the_start(page, server):
    open_lesson(page, server, "06_error_surface")
    before = readout(page, "w0"), readout(page, "b0")
    versions = drawn(page)
    surface = record(page, "surface")["panels"][0]
    canvas = page.locator(".bpttviz-figure-surface canvas")
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 0.45 * box["width"], box["y"] + 0.3 * box["height"])
    # The click sets both: wait until each readout shows its new value.
    wait_readout(page, "w0", "(t, old) => t != old", before[0])
    wait_readout(page, "b0", "(t, old) => t != old", before[1])
    after = float(readout(page, "w0")), float(readout(page, "b0").replace("\u2212", "-"))
    assert (readout(page, "w0"), readout(page, "b0")) != before
    # The start lies where the click was: inside the axes, left of the middle, in the upper half.
    (w_lo, w_hi), (b_lo, b_hi) = surface["x"]["limits"], surface["y"]["limits"]
    assert w_lo < after[0] < (w_lo + w_hi) / 2 and (b_lo + b_hi) / 2 < after[1] < b_hi
    # ... and the paths start there.
    wait_redrawn(page, ["surface", "loss"], versions)
    page.wait_for_function(
        "(w) => Math.abs(document.querySelector('.bpttviz-figure-surface .bpttviz-live')"
        ".bpttvizFigure.panels[0].marks.find(m => m.label === 'start').x[0] - w) < 1e-4",
        arg=after[0])
    start = labelled(record(page, "surface"), "start")
    np.testing.assert_allclose([start["x"][0], start["y"][0]], after, rtol=1e-6)
    assert_no_error_shown(page)
