"""Lessons 4-6 in headless Chromium, beyond what every page gets in test_pages.py: training
runs live and stops on the button, an explosion is reported, the address sets the controls,
and a click on the error surface moves the start."""

import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect
from test_pages import (CANVAS_DATA, assert_no_error_shown, link_query, open_lesson, readout,
                        screenshot, wait_image_changed, wait_readout, wait_status)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_training_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, "04_training", "?updates=3000")
    before = page.evaluate(CANVAS_DATA, ".bpttviz-figure-loss")
    bar = page.locator(".bpttviz-app .bpttviz-progress")
    assert bar.count() == 1 and not bar.is_visible()          # in the page, hidden until Train
    page.locator(".bpttviz-start").click()
    wait_status(page, r"training: A \d+/3000")
    wait_image_changed(page, ".bpttviz-figure-loss", before)
    bar.wait_for(state="visible")
    screenshot(page, artifacts, "04_training-live")
    page.locator(".bpttviz-stop").click()           # the kernel must still hear the button
    status = wait_status(page, r"stopped")
    done = [int(n) for n in re.findall(r"[AB] (\d+) updates", status)]
    assert len(done) == 2 and all(0 < n < 3000 for n in done)
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
    image = page.evaluate(CANVAS_DATA, ".bpttviz-figure-surface")
    canvas = page.locator(".bpttviz-figure-surface canvas").last
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 0.45 * box["width"], box["y"] + 0.3 * box["height"])
    wait_readout(page, "w0", "(t, old) => t != old", before[0])
    assert (readout(page, "w0"), readout(page, "b0")) != before
    wait_image_changed(page, ".bpttviz-figure-surface", image)
    assert_no_error_shown(page)
