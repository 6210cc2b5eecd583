"""Lesson 7 in headless Chromium, beyond what every page gets in test_pages.py: the race runs
live in the background (its loss curves grow in the page) and stops on the button, each curve
then showing every update its method made; the address sets the controls."""

import re

import pytest
from playwright.sync_api import expect
from test_pages import (assert_no_error_shown, link_query, open_lesson, readout, screenshot,
                        wait_status)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


METHODS = ("TBPTT", "randomized", "UORO", "RTRL")

#: The number of points of each method's loss curve in the race figure.
CURVE_POINTS = """(methods) => {
  const fig = document.querySelector('.bpttviz-figure-race .bpttviz-live')?.bpttvizFigure;
  const lines = fig ? fig.panels[0].marks.filter(m => m.type === 'Line') : [];
  return methods.map(name => lines.find(m => m.label === name)?.y.length ?? -1); }"""


def test_the_race_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, "07_beyond_truncation", "?updates=2000&samples=5")
    assert page.evaluate(CURVE_POINTS, METHODS) == [0, 0, 0, 0]
    page.locator(".bpttviz-start").click()
    wait_status(page, r"racing: TBPTT \d+")
    # The curves grow while the methods train.
    page.wait_for_function(f"(m) => ({CURVE_POINTS})(m).some(n => n > 0)", arg=METHODS)
    grown = max(page.evaluate(CURVE_POINTS, METHODS))
    page.wait_for_function(f"([m, n]) => Math.max(...({CURVE_POINTS})(m)) > n",
                           arg=[METHODS, grown])
    screenshot(page, artifacts, "07_beyond_truncation-race")
    page.locator(".bpttviz-stop").click()           # the kernel must still hear the button
    status = wait_status(page, r"stopped", timeout=60_000)
    done = [int(n) for n in re.findall(r"(?:TBPTT|randomized|UORO|RTRL) (\d+)", status)]
    assert len(done) == 4 and all(n < 2000 for n in done)
    # The last redraw shows every update each method made, one point each.
    page.wait_for_function(f"([m, done]) => JSON.stringify(({CURVE_POINTS})(m)) == "
                           "JSON.stringify(done)", arg=[METHODS, done])
    expect(page.locator(".bpttviz-start")).to_be_enabled()
    expect(page.locator(".bpttviz-stop")).to_be_disabled()
    assert_no_error_shown(page)


def test_the_address_sets_the_controls_and_a_race_runs_to_its_end(page, server, artifacts):
    open_lesson(page, server, "07_beyond_truncation", "?k2=3&lag=6&samples=6&updates=300")
    assert readout(page, "k2") == "3" and readout(page, "lag") == "6"
    q = link_query(page)
    assert q["k2"] == "3" and q["lag"] == "6" and q["samples"] == "6"
    page.locator(".bpttviz-start").click()
    status = wait_status(page, r"raced", timeout=120_000)
    assert re.findall(r"(?:TBPTT|randomized|UORO|RTRL) (\d+)", status) == ["300"] * 4
    page.wait_for_function(f"(m) => ({CURVE_POINTS})(m).every(n => n === 300)", arg=METHODS)
    screenshot(page, artifacts, "07_beyond_truncation-raced")
    assert_no_error_shown(page)
