"""Lesson 6, the error surface, in headless Chromium (tests/page_in_browser.py): the address
sets the controls, a click on the surface moves the start, what its figures show after a move
is what the engine computes here, and a download is Matplotlib's drawing of the figure shown.
"""

import live
import numpy as np
from live import close, drawn, record, wait_redrawn
from page_in_browser import (InThePage, PageCase, assert_no_error_shown,
                             assert_query_sets_the_controls, in_browser, open_lesson, readout,
                             wait_readout)

from bpttviz.diagnostics import cliff_descent

PAGE = "06_error_surface"


@in_browser
def test_query_parameters_set_the_controls(page, server):
    assert_query_sets_the_controls(page, server, PAGE, "?view=wide&w0=9&steps=40",
                                   {"w0": "9.00", "steps": "40"})


@in_browser
def test_a_click_on_the_error_surface_moves_the_start(page, server):
    open_lesson(page, server, PAGE)
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
    start = live.labelled(record(page, "surface"), "start")
    np.testing.assert_allclose([start["x"][0], start["y"][0]], after, rtol=1e-6)
    assert_no_error_shown(page)


def expected_numbers(s, page):
    """Lesson 6: the error along each descent path, and the paths over the surface."""
    start = {"w0": float(s["w0"]), "b0": float(s["b0"]), "lr": float(s["lr"]),
             "steps": int(s["steps"]), "T": int(s["T"])}
    paths = {"without clipping": cliff_descent(**start),
             "with clipping": cliff_descent(**start, clip=float(s["clip"]))}
    for label, path in paths.items():
        loss = np.where(path.loss > 0, path.loss, np.nan)        # a log axis shows no zero
        close(live.labelled(page["loss"], label)["y"], loss, f"error along the path {label}")
        line = live.labelled(page["surface"], label)
        close(line["x"], path.w, f"w along the path {label}")
        close(line["y"], path.b, f"b along the path {label}")
    star = live.labelled(page["surface"], "start")
    close([star["x"][0], star["y"][0]], [start["w0"], start["b0"]], "the start")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("surface", "loss"), expected_numbers, download="loss")
