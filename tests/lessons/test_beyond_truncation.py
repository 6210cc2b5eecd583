"""Lesson 7, beyond truncation, in headless Chromium (tests/page_in_browser.py): the race runs
live and stops on the button, each curve then showing every update its method made; the
address sets the controls; what its figures show after a move is what the engine computes
here, and a download is Matplotlib's drawing of the figure shown.
"""

import re

import live
import numpy as np
from live import close
from page_in_browser import (InThePage, PageCase, assert_no_error_shown, in_browser, link_query,
                             open_lesson, readout, screenshot, wait_status)
from playwright.sync_api import expect

from bpttviz import ElmanRNN
from bpttviz.diagnostics import truncation_bias

PAGE = "07_beyond_truncation"


METHODS = ("TBPTT", "randomized", "UORO", "RTRL")

#: The number of points of each method's loss curve in the race figure.
CURVE_POINTS = """(methods) => {
  const fig = document.querySelector('.bpttviz-figure-race .bpttviz-live')?.bpttvizFigure;
  const lines = fig ? fig.panels[0].marks.filter(m => m.type === 'Line') : [];
  return methods.map(name => lines.find(m => m.label === name)?.y.length ?? -1); }"""


@in_browser
def test_the_race_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, PAGE, "?updates=2000&samples=5")
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


@in_browser
def test_the_address_sets_the_controls_and_a_race_runs_to_its_end(page, server, artifacts):
    open_lesson(page, server, PAGE, "?k2=3&lag=6&samples=6&updates=300")
    assert readout(page, "k2") == "3" and readout(page, "lag") == "6"
    q = link_query(page)
    assert q["k2"] == "3" and q["lag"] == "6" and q["samples"] == "6"
    page.locator(".bpttviz-start").click()
    status = wait_status(page, r"raced", timeout=120_000)
    assert re.findall(r"(?:TBPTT|randomized|UORO|RTRL) (\d+)", status) == ["300"] * 4
    page.wait_for_function(f"(m) => ({CURVE_POINTS})(m).every(n => n === 300)", arg=METHODS)
    screenshot(page, artifacts, "07_beyond_truncation-raced")
    assert_no_error_shown(page)


def expected_numbers(s, page):
    """Lesson 7: TBPTT's cosine to the full gradient for every k2, and the exact RTRL."""
    T, lag, seed, k2 = int(s["T"]), int(s["lag"]), int(s["seed"]), int(s["k2"])
    rng = np.random.default_rng(seed)            # the echo: the target is the input lag earlier
    x = rng.normal(size=(T, 32, 1))
    y = np.zeros_like(x)
    y[lag:] = x[:T - lag]
    mask = np.zeros((T, 32))
    mask[lag:] = 1.0
    model = ElmanRNN(1, int(s["hidden"]), 1, "tanh", seed, radius=float(s["radius"]))
    curve = truncation_bias(model, x, y, np.arange(1, T + 1), k1=k2, mask=mask, combine="mean",
                            params=("W_xh", "W_hh", "b_h"))
    bias = page["bias"]
    close(live.labelled(bias, "TBPTT, every k2 (no spread)")["y"], curve.cosine,
          "TBPTT's cosine for every k2")
    tb = live.labelled(bias, "TBPTT")
    close([tb["x"][0], tb["y"][0]], [0.0, curve.cosine[k2 - 1]], "TBPTT at this k2")
    rtrl = live.labelled(bias, "RTRL")
    np.testing.assert_allclose([rtrl["x"][0], rtrl["y"][0]], [0.0, 1.0], atol=1e-6)


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("bias",), expected_numbers, download="bias")
