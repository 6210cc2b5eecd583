"""Lesson 1, unfolding: full BPTT on the network its controls describe, walked a frame at a
time (Play runs in the browser), each copy's share of the W_hh gradient and their sum.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): what its figures show after a move is what the engine computes
here, a download is Matplotlib's drawing of the figure shown, and Play walks the frames.
"""

import numpy as np
import pytest
from live import close, drawn, marks, record, wait_redrawn
from page_in_browser import (InThePage, PageCase, assert_no_error_shown, in_browser, open_lesson,
                             wait_readout)
from page_in_kernel import assert_same_as_a_fresh_page, marks_of

from bpttviz import ElmanRNN, bptt, spectral_radius
from bpttviz.app import UnfoldingApp
from bpttviz.lessons import unfolding as unfolding_module
from bpttviz.lessons.common import random_sequence

PAGE = "01_unfolding"


def test_unfolding_runs_full_bptt_on_the_network_the_controls_describe(counted):
    runs = counted(unfolding_module, "bptt")
    app = UnfoldingApp(query="T=6&hidden=4&radius=1.3&activation=relu&seed=3")
    assert len(runs) == 1
    model = app.result.model
    assert spectral_radius(model.params["W_hh"]) == pytest.approx(1.3)
    assert (model.n_hidden, model.activation, model.seed) == (4, "relu", 3)
    trace = app.result.trace
    assert trace.T == 6 and len(trace.updates) == 1 and trace.schedule.name == "full"
    np.testing.assert_allclose(app.result.hidden_norms, np.linalg.norm(trace.hidden[:, 0], axis=1))


def test_unfolding_frames_step_through_without_running_the_engine(counted):
    app = UnfoldingApp(query="")
    runs = counted(unfolding_module, "bptt")
    T = app.result.trace.T
    app.widgets["frame"].value = 2
    # The row of hidden states: h_{-1}, then h_0 .. h_4, filled once computed.
    hidden = marks_of(app, "network", "Points")[1]
    assert [c != "#ffffff" for c in hidden.color] == [False, True, True, True, False, False]
    app.widgets["frame"].value = 2 * T                  # the sum
    u = app.result.trace.updates[0]
    bars, = marks_of(app, "network", "Rects", panel=1)
    np.testing.assert_allclose(bars.y1, u.whh_norms)
    total, = marks_of(app, "network", "Heatmap", panel=2)
    np.testing.assert_allclose(total.values[::-1], u.grads["W_hh"])   # row 0 at the bottom
    assert runs == []


def test_unfolding_play_is_linked_to_the_frame_in_the_browser():
    app = UnfoldingApp(query="")
    assert app.play_link.source == (app.play, "value")
    assert app.play_link.target == (app.widgets["frame"], "value")
    assert type(app.play_link).__name__ == "Link"       # jslink: runs in the browser


def test_unfolding_T_redraws_the_copies_and_extends_the_walk(counted):
    app = UnfoldingApp(query="")
    runs = counted(unfolding_module, "bptt")
    app.widgets["T"].value = 8
    assert len(runs) == 1
    assert marks_of(app, "network", "Points")[0].x.size == 8
    assert marks_of(app, "network", "Rects", panel=1)[0].x0.size == 8
    assert app.widgets["frame"].max == 16 and app.play.max == 16
    app.widgets["frame"].value = 16
    app.widgets["T"].value = 3
    assert app.widgets["frame"].value == 6 and len(runs) == 2


@pytest.mark.parametrize("control, values", [("frame", [3, 7, 10]), ("T", [6, 3])],
                         ids=["frame", "T"])
def test_after_changes_every_figure_shows_what_a_fresh_page_shows(control, values):
    assert_same_as_a_fresh_page(UnfoldingApp, control, values)


# --- in the browser ----------------------------------------------------------------------------
def expected_numbers(s, page):
    """Lesson 1 at the last frame: each copy's share of the W_hh gradient and their sum."""
    T, seed = int(s["T"]), int(s["seed"])
    assert int(s["frame"]) == 2 * T                 # the frame that shows the sum
    model = ElmanRNN(1, int(s["hidden"]), 1, s["activation"], seed, radius=float(s["radius"]))
    x, y = random_sequence(T, seed, stream=1)
    trace = bptt(model, x, y)
    u = trace.updates[0]
    net = page["network"]
    close(marks(net, 1, "Rects")[0]["y1"], u.whh_norms, "each copy's share of dL/dW_hh")
    close(marks(net, 2, "Heatmap")[0]["values"], u.grads["W_hh"][::-1], "the sum dL/dW_hh")
    norms = np.linalg.norm(trace.hidden[:, 0], axis=-1)
    shown = [t["text"] for t in marks(net, 0, "Text") if t["text"].startswith("‖h‖=")]
    assert shown == [f"‖h‖={v:.2g}" for v in norms]


class TestInThePage(InThePage):
    case = PageCase(PAGE, "?frame=9", ("network",), expected_numbers, download="network")


@in_browser
def test_play_walks_the_frames_in_the_browser(page, server):
    open_lesson(page, server, PAGE)
    before = drawn(page)
    caption = record(page, "network")["panels"][0]["title"]
    page.locator(".bpttviz-play button").first.click()
    wait_readout(page, "frame", "(t) => +t >= 2")
    wait_redrawn(page, ["network"], before)
    page.wait_for_function(
        "(old) => document.querySelector('.bpttviz-figure-network .bpttviz-live')"
        "?.bpttvizFigure?.panels[0].title !== old", arg=caption)
    assert record(page, "network")["panels"][0]["title"].startswith("Forward, step ")
    assert_no_error_shown(page)
