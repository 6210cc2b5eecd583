"""Lesson 6, the error surface of a one-unit network with a cliff: the surface computed once per
view, gradient descent from a start with and without clipping, each path computed once per
change; a click on the surface moves the start there.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): the address sets the controls, a click on the surface moves the
start, what its figures show after a move is what the engine computes here, and a download
is Matplotlib's drawing of the figure shown.
"""

import live
import numpy as np
import pytest
from live import close, drawn, record, wait_redrawn
from page_in_browser import (InThePage, PageCase, assert_no_error_shown,
                             assert_query_sets_the_controls, in_browser, open_lesson, readout,
                             wait_readout)
from page_in_kernel import (assert_same_as_a_fresh_page, assert_sends_only, click, labelled,
                            marks_of, text_of, texts)

from bpttviz.app import SurfaceApp
from bpttviz.diagnostics import cliff_descent, cliff_loss
from bpttviz.lessons import error_surface as surface_module
from bpttviz.lessons.error_surface import VIEWS, surface_grid

PAGE = "06_error_surface"


def test_the_surface_is_computed_once_per_range_and_the_paths_once_per_change(counted):
    app = SurfaceApp(query="")
    descents = counted(surface_module, "cliff_descent")
    slices = counted(surface_module, "cliff_loss")
    assert app.surface_runs == 1
    # What each change computes: (paths without clipping, paths with it, slices).
    for name, value, work in (("lr", 0.2, (1, 1, 0)), ("clip", 1.0, (0, 1, 0)),
                              ("steps", 50, (1, 1, 0)), ("w0", 5.5, (1, 1, 1)),
                              ("b0", -2.0, (1, 1, 0)), ("clip", 0.5, (0, 1, 0))):
        before = len(descents), len(slices)
        app.widgets[name].value = value
        new = descents[before[0]:]
        assert (sum("clip" not in kw for _, kw in new), sum("clip" in kw for _, kw in new),
                len(slices) - before[1]) == work, name
    assert app.surface_runs == 1
    app.widgets["view"].value = "wide"
    assert app.surface_runs == 2
    app.widgets["view"].value = "cliff"                         # kept from before
    app.widgets["T"].value = 30
    assert app.surface_runs == 3 and app.runs == 10


def test_what_a_new_threshold_keeps_is_what_it_would_compute():
    app = SurfaceApp(query="")
    free = app.result.paths[0]
    app.widgets["clip"].value = 2.0
    assert app.result.paths[0] is free                           # kept, not recomputed
    v = app.values()
    start = dict(lr=v["lr"], steps=v["steps"], T=v["T"])
    again = cliff_descent(v["w0"], v["b0"], **start)
    clipped = cliff_descent(v["w0"], v["b0"], clip=2.0, **start)
    for kept, fresh in ((app.result.paths[0], again), (app.result.paths[1], clipped)):
        np.testing.assert_array_equal(kept.w, fresh.w)
        np.testing.assert_array_equal(kept.loss, fresh.loss)
    np.testing.assert_array_equal(app.result.slice_loss, cliff_loss(v["w0"], app.result.b,
                                                                     T=v["T"]))
    np.testing.assert_array_equal(labelled(app, "surface", "with clipping").x, clipped.w)
    assert app.widgets["steps"].description == "gradient steps"


def test_the_figures_show_the_surface_and_both_paths():
    app = SurfaceApp(query="w0=5&b0=-3&lr=0.1&clip=0.5&steps=60")
    w, b, loss = surface_grid("cliff", 50)
    np.testing.assert_allclose(marks_of(app, "surface", "Heatmap")[0].values, loss)
    np.testing.assert_allclose(loss[7, 11], cliff_loss(w[11], b[7]))
    free = cliff_descent(5.0, -3.0, lr=0.1, steps=60)
    clipped = cliff_descent(5.0, -3.0, lr=0.1, steps=60, clip=0.5)
    for label, p in zip(("without clipping", "with clipping"), (free, clipped)):
        line = labelled(app, "surface", label)
        np.testing.assert_allclose(line.x, p.w)
        np.testing.assert_allclose(line.y, p.b)
    fired = np.flatnonzero(clipped.clipped)
    assert fired.size > 0
    marked, = marks_of(app, "grad", "Points")           # only the clipped path has marks
    np.testing.assert_array_equal(marked.x, fired)
    threshold = [m for m in marks_of(app, "grad", "Line") if m.dash == "dotted" and m.x.size]
    assert [m.y.tolist() for m in threshold] == [[0.5, 0.5]]
    np.testing.assert_allclose(labelled(app, "slice", "E at the start's w").y, cliff_loss(5.0, b))


def test_the_default_shows_the_cliff_throwing_the_unclipped_path_away():
    app = SurfaceApp(query="")
    free, clipped = app.result.paths
    assert np.nanmax(free.grad_norm) > 100 * app.values()["clip"]
    assert clipped.loss[-1] < 0.1 * free.loss[-1]
    # A note may be written on two or three lines where it fits only so: read as words.
    assert "without clipping: leaves the view at step" in " ".join(texts(app, "surface").split())
    assert "with clipping: leaves" not in texts(app, "surface")


def test_a_view_keeps_the_start_inside_it():
    app = SurfaceApp(query="w0=9&b0=1")
    app.widgets["view"].value = "close-up"
    (w_lo, w_hi), (b_lo, b_hi) = VIEWS["close-up"]
    v = app.values()
    assert w_lo <= v["w0"] <= w_hi and b_lo <= v["b0"] <= b_hi
    assert app.widgets["w0"].min == w_lo and app.widgets["w0"].max == w_hi
    app.widgets["view"].value = "wide"
    assert app.widgets["b0"].min == VIEWS["wide"][1][0] and app.message.value == ""


def test_a_click_on_the_surface_moves_the_start(counted):
    app = SurfaceApp(query="")
    descents = counted(surface_module, "cliff_descent")
    click(app.figures["surface"], {"type": "click", "panel": 0, "x": 6.012, "y": -2.49})
    assert (app.values()["w0"], app.values()["b0"]) == (6.0, -2.5) and len(descents) == 2
    start = labelled(app, "surface", "start")
    assert (start.x.tolist(), start.y.tolist()) == ([6.0], [-2.5])
    assert "w0=6&b0=-2.5" in app.query_string()
    click(app.figures["loss"], {"type": "click", "panel": 0, "x": 5.0, "y": 0.1})
    click(app.figures["surface"], {"type": "click", "panel": 1, "x": 5.0, "y": -3.0})
    assert len(descents) == 2 and app.message.value == ""      # elsewhere: nothing happens
    click(app.figures["surface"], {"type": "click", "panel": 0, "x": 99.0, "y": -99.0})
    (w_lo, w_hi), (b_lo, b_hi) = VIEWS["cliff"]
    assert (app.values()["w0"], app.values()["b0"]) == (w_hi, b_lo)   # kept inside the view


def test_surface_query_and_errors_in_the_page():
    app = SurfaceApp(query="view=wide&w0=11&lr=5")
    v = app.values()
    assert v["view"] == "wide" and v["w0"] == 11.0 and "lr=5" in text_of(app.notes.value)


@pytest.mark.parametrize("control, values", [("w0", [5.5, 7.0]), ("view", ["wide"])],
                         ids=["w0", "view"])
def test_after_changes_every_figure_shows_what_a_fresh_page_shows(control, values):
    assert_same_as_a_fresh_page(SurfaceApp, control, values)


@pytest.mark.parametrize("control, value, redrawn", [
    ("lr", 0.2, {"surface", "loss", "grad"}),
    ("b0", -2.0, {"surface", "slice", "loss", "grad"}),
])
def test_a_change_sends_only_the_figures_it_changes(control, value, redrawn):
    assert_sends_only(SurfaceApp, control, value, redrawn)


# --- in the browser ----------------------------------------------------------------------------
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
