"""Lesson 3, truncated BPTT, in headless Chromium (tests/page_in_browser.py): what its figures
show after a move is what the engine computes here, and a download is Matplotlib's drawing of
the figure shown.
"""

import live
import numpy as np
from live import close, lower_triangle, marks
from page_in_browser import InThePage, PageCase

from bpttviz import ElmanRNN, bptt
from bpttviz.diagnostics import truncation_bias
from bpttviz.lessons.common import random_sequence
from bpttviz.schedules import tbptt

PAGE = "03_truncated_bptt"


def expected_numbers(s, page):
    """Lesson 3, every figure: the flow with what TBPTT(k1, k2) keeps, its updates, the bias
    of its gradient against k2, and what it costs against full BPTT."""
    T, seed, k1, k2 = int(s["T"]), int(s["seed"]), int(s["k1"]), int(s["k2"])
    assert s["schedule"] == "tbptt"
    model = ElmanRNN(1, int(s["hidden"]), 1, "tanh", seed, radius=float(s["radius"]),
                     input_scale=0.5)
    x, y = random_sequence(T, seed, stream=3)
    schedule = tbptt(T, k1, k2)
    trace = bptt(model, x, y, schedule=schedule)
    below = np.tril(np.ones((T, T), dtype=bool))

    flow = page["flow"]
    heat = marks(flow, 0, "Heatmap")[0]
    close(heat["values"], lower_triangle(bptt(model, x, y).flow, heat["scale"]["vmin"]),
          "flow heatmap")
    np.testing.assert_array_equal(marks(flow, 0, "Mask")[0]["where"] > 0,
                                  below & ~schedule.kept_any, "pairs the schedule drops")

    timeline = page["timeline"]
    plans = schedule.updates
    assert sorted(live.labelled(timeline, "loss injected")["x"]) == sorted(
        int(t) for p in plans for t in p.losses)
    close(live.labelled(timeline, "update happens")["x"], [p.step - 0.5 for p in plans],
          "the steps of the updates")
    bars = live.labelled(timeline, "states a loss reaches")
    assert sorted(zip(bars["x0"] + 0.5, bars["x1"] - 0.5)) == sorted(
        (int(a), int(t)) for p in plans for a, t in zip(p.starts, p.losses) if a <= t)

    bias = page["bias"]
    cosine = live.labelled(bias, "cos(truncated, full)")
    grid = cosine["x"].astype(int)
    names = model.cell.param_names
    curve = truncation_bias(model, x, y, grid, k1=k1, combine="mean", params=names)
    close(cosine["y"], curve.cosine, "cosine to the full gradient against k2")
    close(live.labelled(bias, "‖truncated‖/‖full‖")["y"], curve.norm_ratio,
          "norm ratio against k2")
    here = live.labelled(bias, "this schedule")
    point = truncation_bias(model, x, y, [k2], k1=k1, combine="mean", params=names)
    assert list(here["x"]) == [k2]
    close(here["y"], point.cosine, "this schedule's cosine")

    c, ref = trace.cost, bptt(model, x, y, record=False).cost
    close(live.labelled(page["cost"], "this schedule")["x1"],
          [c.forward_steps / ref.forward_steps, c.backward_steps / ref.backward_steps,
           c.peak_stored_floats / ref.peak_stored_floats], "cost relative to full BPTT")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("flow", "timeline", "bias", "cost"), expected_numbers,
                    download="timeline")
