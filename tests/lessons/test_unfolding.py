"""Lesson 1, unfolding, in headless Chromium (tests/page_in_browser.py): what its figures show
after a move is what the engine computes here, a download is Matplotlib's drawing of the figure
shown, and Play walks the frames in the browser.
"""

import numpy as np
from live import close, drawn, marks, record, wait_redrawn
from page_in_browser import (InThePage, PageCase, assert_no_error_shown, in_browser, open_lesson,
                             wait_readout)

from bpttviz import ElmanRNN, bptt
from bpttviz.lessons.common import random_sequence

PAGE = "01_unfolding"


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
