"""Lesson 3, truncated BPTT: the schedule's own run shows what it keeps of the gradient's flow,
its updates, the bias of its gradient against k2, and what it costs against full BPTT; the
named schedules use only their own knobs.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): what its figures show after a move is what the engine computes
here, and a download is Matplotlib's drawing of the figure shown.
"""

import live
import numpy as np
import pytest
from live import close, lower_triangle, marks
from page_in_browser import InThePage, PageCase
from page_in_kernel import assert_same_as_a_fresh_page, labelled, marks_of, text_of

from bpttviz import ElmanRNN, bptt
from bpttviz.app import TruncationApp
from bpttviz.diagnostics import truncation_bias
from bpttviz.engine import run_schedule
from bpttviz.lessons import truncated_bptt as truncation_module
from bpttviz.lessons.common import random_sequence
from bpttviz.lessons.truncated_bptt import SCHEDULES, lesson_schedule
from bpttviz.schedules import tbptt

PAGE = "03_truncated_bptt"


def test_truncation_k2_change_runs_the_engine_once_and_reuses_the_bias_curve(
        counted, counted_everywhere):
    app = TruncationApp(query="")
    sweeps = counted_everywhere(run_schedule)            # every BPTT run, whoever asks
    bias = counted(truncation_module, "truncation_bias")
    app.widgets["k2"].value = 25
    # The schedule's own run, nothing else: the point on the curve comes from it, and the
    # full gradient and cost it is compared with are kept from before.
    assert len(sweeps) == 1 and sweeps[0][0][1].k2 == 25 and bias == []
    K = len(app.result.curve.k2)
    app.widgets["k1"].value = 7                          # the curve depends on k1
    assert [len(a[3]) for a, _ in bias] == [K]
    assert len(sweeps) == 1 + 1 + (1 + K)                # the run; the curve: full BPTT + K
    app.widgets["radius"].value = 1.0                    # a new network: its full BPTT too
    assert len(bias) == 2 and len(sweeps) == (3 + K) + 1 + 1 + (1 + K)
    app.widgets["radius"].value = 1.2                    # the first network again: kept
    assert len(bias) == 2 and len(sweeps) == (3 + K) + (3 + K) + 1


def test_truncation_figures_show_the_schedule_run(counted):
    app = TruncationApp(query="T=40&k1=4&k2=6")
    r = app.result
    assert r.schedule.params == {"k1": 4, "k2": 6} and r.trace.schedule is r.schedule
    segs = labelled(app, "timeline", "states a loss reaches")
    assert segs.x0.size == sum(int((p.starts <= p.losses).sum()) for p in r.schedule.updates)
    dropped, = marks_of(app, "flow", "Mask")
    below = np.tril(np.ones((40, 40), dtype=bool))
    assert np.array_equal(dropped.where, below & ~r.schedule.kept_any)
    full = bptt(r.model, r.inputs, r.targets).cost
    widths = labelled(app, "cost", "this schedule").x1
    assert widths == pytest.approx([r.trace.cost.forward_steps / full.forward_steps,
                                    r.trace.cost.backward_steps / full.backward_steps,
                                    r.trace.cost.peak_stored_floats / full.peak_stored_floats])
    star = labelled(app, "bias", "this schedule")
    assert star.x.tolist() == [6] and star.y.tolist() == pytest.approx([r.point.cosine[0]])


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_every_named_schedule_runs_and_uses_only_its_knobs(name):
    app = TruncationApp(query=f"schedule={name}&T=30&k1=4&k2=6")
    assert app.message.value == "" and app.result.schedule.name == lesson_schedule(
        name, 30, 4, 6).name
    assert app.widgets["k1"].disabled == ("k1" not in SCHEDULES[name])
    assert app.widgets["k2"].disabled == ("k2" not in SCHEDULES[name])
    # The point on the bias curve, taken from the schedule's run, is truncation_bias's.
    r = app.result
    family = "tbptt" if name == "full" else name
    k2 = 30 if name == "full" else 6
    want = truncation_bias(r.model, r.inputs, r.targets, [k2], schedule=family,
                           k1=4 if "k1" in SCHEDULES[name] else None, combine="mean",
                           params=r.model.cell.param_names)
    assert r.point.k2.tolist() == [k2]
    np.testing.assert_allclose(r.point.cosine, want.cosine, rtol=1e-12)
    np.testing.assert_allclose(r.point.norm_ratio, want.norm_ratio, rtol=1e-12)
    assert r.point.full_norm == pytest.approx(want.full_norm, rel=1e-12)


def test_the_schedule_menu_reads_in_words_and_the_link_keeps_the_names():
    app = TruncationApp(query="schedule=sliding_window")
    menu = app.widgets["schedule"]
    assert menu.label == "sliding window" and menu.value == "sliding_window"
    labels, values = zip(*menu.options)
    assert values == tuple(SCHEDULES) and not any("_" in label for label in labels)
    assert len(set(labels)) == len(labels)
    assert "schedule=sliding_window" in app.query_string()


def test_truncation_T_bounds_k1_and_k2(counted):
    app = TruncationApp(query="k1=30&k2=50")
    runs = counted(truncation_module, "bptt")
    app.widgets["T"].value = 20
    assert (app.values()["k1"], app.values()["k2"]) == (20, 20)
    # The schedule's run, and full BPTT (the reference) for the new T.
    assert app.widgets["k2"].max == 20 and len(runs) == 2
    assert [a[1].shape[0] for a, _ in runs] == [20, 20] and runs[1][1] == {"record": False}


def test_truncation_query_example_from_the_issue():
    app = TruncationApp(query="k1=5&k2=20&radius=1.1")
    v = app.values()
    assert (v["k1"], v["k2"], v["radius"]) == (5, 20, 1.1)
    assert app.notes.value == ""
    bad = TruncationApp(query="T=30&k2=500")
    assert bad.values()["k2"] == 10 and "k2=500" in text_of(bad.notes.value)
    assert "[1, 30]" in text_of(bad.notes.value)


@pytest.mark.parametrize("control, values", [("k2", [11, 12, 30]),
                                             ("schedule", ["keras", "per_loss"])],
                         ids=["k2", "schedule"])
def test_after_changes_every_figure_shows_what_a_fresh_page_shows(control, values):
    assert_same_as_a_fresh_page(TruncationApp, control, values)


# --- in the browser ----------------------------------------------------------------------------
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
