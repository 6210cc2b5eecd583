"""The lesson figures as values: each builder puts the numbers it is given into marks, with
limits chosen once, and needs nothing but NumPy."""

import ast
import pathlib

import numpy as np
import pytest

from bpttviz import Cost, ElmanRNN, bptt
from bpttviz import figures as F
import bpttviz.figures.style  # noqa: F401  (F.style)
from bpttviz.lessons.common import relative_flow
from bpttviz.schedules import last_loss, per_loss, tbptt
from bpttviz.tasks import AddingProblem

ROOT = pathlib.Path(__file__).resolve().parents[1]


def marks_of(fig, kind, panel=0):
    return [m for m in fig.panels[panel].marks if type(m).__name__ == kind]


def labelled(fig, label, panel=0):
    return next(m for m in fig.panels[panel].marks if getattr(m, "label", None) == label)


def decade_step_of_three(v):
    e = np.log10(v)
    return abs(e - round(e)) < 1e-9 and round(e) % 3 == 0


def flow_of(T=15, radius=1.0, seed=0):
    rng = np.random.default_rng(seed)
    model = ElmanRNN(1, 4, 1, radius=radius, seed=seed)
    return bptt(model, rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1))).flow


def test_figures_import_numpy_only():
    tops = set()
    for path in (ROOT / "bpttviz" / "figures").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                tops.add(node.module.split(".")[0])
    assert tops <= {"__future__", "dataclasses", "functools", "importlib", "json", "numpy", "re"}


def test_records_are_values():
    fig = F.flow(flow_of())
    with pytest.raises(AttributeError):
        fig.width = 10
    heat = fig.panels[0].marks[0]
    with pytest.raises(ValueError):
        heat.values[0, 0] = 1.0
    assert F.records_equal(fig, F.flow(flow_of()))
    assert not F.records_equal(fig, F.flow(flow_of(seed=1)))


def test_a_panel_takes_marks_only():
    with pytest.raises(TypeError, match="Got dict instead"):
        F.Panel(marks=({"x": 1},))
    with pytest.raises(ValueError, match="'linear', 'log' or 'log2'. Got 'ln'"):
        F.Axis(scale="ln")


# --- flow --------------------------------------------------------------------------------

def test_flow_shows_the_lower_triangle_on_a_log_scale():
    flow = flow_of()
    heat = F.flow(flow).panels[0].marks[0]
    below = np.tril(np.ones_like(flow, dtype=bool))
    assert np.isnan(heat.values[~below]).all()
    np.testing.assert_allclose(heat.values[below], flow[below])
    s = heat.scale
    assert s.norm == "log" and s.cmap == "viridis"
    assert s.vmin <= flow[below].min() and flow[below].max() <= s.vmax < 1000 * flow[below].max()
    assert decade_step_of_three(s.vmin) and decade_step_of_three(s.vmax)
    assert heat.extent == (-0.5, 14.5, -0.5, 14.5)
    assert F.flow(flow_of(T=20)).panels[0].x.limits == (-0.5, 19.5)


def test_non_finite_flow_is_an_overflow_and_is_marked():
    flow = flow_of()
    flow[8:, :3] = np.inf
    flow[9, 0] = np.nan
    fig = F.flow(flow, overflow_step=8)
    heat = fig.panels[0].marks[0]
    assert np.isposinf(heat.values[8:, :3]).all()        # the "over" colour, NaN included
    assert heat.scale.over == F.OKABE_ITO["vermillion"]
    rules = marks_of(fig, "Rule")
    assert {(r.axis, r.value) for r in rules} == {("x", 8), ("y", 8)}
    assert "8" in marks_of(fig, "Text")[0].text
    assert not marks_of(F.flow(flow_of()), "Rule")


def test_kept_mask_covers_exactly_the_dropped_pairs():
    T = 12
    sched = tbptt(T, 3, 4)
    mask = marks_of(F.flow(flow_of(T), kept=sched.kept_any), "Mask")[0]
    below = np.tril(np.ones((T, T), dtype=bool))
    assert np.array_equal(mask.where, below & ~sched.kept_any)
    assert not marks_of(F.flow(flow_of(T)), "Mask")


def test_flow_panels_share_one_colour_scale_and_one_bar():
    a, b = flow_of(T=10), flow_of(T=10, radius=1.5) * 100
    fig = F.flow_panels([a, b], ["one", "two"])
    scales = [p.marks[0].scale for p in fig.panels]
    assert scales[0].vmin == scales[1].vmin and scales[0].vmax == scales[1].vmax
    assert [s.colorbar for s in scales] == [False, True]
    assert scales[1].vmax >= b[np.tril(np.ones((10, 10), bool))].max()
    with pytest.raises(ValueError, match="'titles' must have one entry per flow"):
        F.flow_panels([a, b], ["one"])


@pytest.mark.parametrize("given, error, got", [
    (np.ones((3, 4)), ValueError, r"Got an array of shape \(3, 4\) instead"),
    (np.ones(5), ValueError, r"Got an array of shape \(5,\) instead"),
    (np.ones((2, 2, 2)), ValueError, r"Got an array of shape \(2, 2, 2\) instead"),
    (0.5, ValueError, r"Got 0.5, of shape \(\) instead"),
    ([[1.0, 2.0]], ValueError, r"Got \[\[1.0, 2.0\]\], of shape \(1, 2\) instead"),
    (None, TypeError, "Got None instead"),
    ("flow", TypeError, "Got 'flow' instead"),
])
def test_a_flow_that_is_not_a_square_matrix_is_refused_by_name(given, error, got):
    expected = (r"The 'flow' parameter of figures.flow must be a square \(T, T\) matrix of "
                r"gradient norms, losses τ by states s \(as trace.flow holds\)\. ")
    with pytest.raises(error, match=expected + got):
        F.flow(given)


def test_the_flows_of_side_by_side_heatmaps_and_their_options_are_checked_by_name():
    square = flow_of(T=4)
    with pytest.raises(ValueError, match=r"'flows\[1\]' parameter of figures.flow_panels must "
                                         r"be a square \(T, T\) .* shape \(4, 3\) instead"):
        F.flow_panels([square, square[:, :3]], ["one", "two"])
    with pytest.raises(ValueError, match=r"'flows\[0\]' parameter of figures.flow_range .* "
                                         r"shape \(5,\) instead"):
        F.flow_range([np.ones(5)])
    with pytest.raises(ValueError, match=r"'kept' parameter of figures.flow must have shape "
                                         r"\(T=4, T=4\). Got shape \(4, 3\)"):
        F.flow(square, kept=np.ones((4, 3), bool))
    with pytest.raises(ValueError, match=r"'overflow_step' parameter of figures.flow must be an "
                                         r"int in the range \[0, 3\] or None .* Got 4 instead"):
        F.flow(square, overflow_step=4)
    with pytest.raises(ValueError, match="'flow' parameter of figures.flow must not be empty"):
        F.flow(np.ones((0, 0)))
    assert F.records_equal(F.flow(square.tolist()), F.flow(square))    # a nested list is fine


def adding_trace(T=12, seed=0):
    """A run on the adding problem: the losses carry a target at the last step only."""
    task = AddingProblem(lag=T // 2, seq_len=T)
    batch = task.sample(4, np.random.default_rng(seed))
    return bptt(ElmanRNN(task.n_in, 8, task.n_out, seed=seed), batch.inputs, batch.targets,
                mask=batch.mask)


def test_rows_of_losses_without_a_target_are_blank_and_named_not_dark():
    # Eleven of the twelve losses do not exist: their rows are NaN in the heatmap (the empty
    # triangle's colour), not pushed to vmin as a zero is (the colour of a vanished gradient).
    trace = adding_trace()
    fig = F.flow(trace.flow)
    heat, = marks_of(fig, "Heatmap")
    assert np.isnan(heat.values[:-1]).all()
    np.testing.assert_allclose(heat.values[-1], trace.flow[-1])
    assert heat.values[-1].min() > heat.scale.vmin
    no_loss, = marks_of(fig, "Mask")
    assert (no_loss.label, no_loss.color, no_loss.alpha) == ("no loss at this step",
                                                             heat.scale.bad, 1.0)
    assert heat.scale.bad == F.style.EMPTY
    assert np.array_equal(no_loss.where, np.repeat(~trace.carries[:, None], 12, axis=1))
    assert fig.panels[0].legend == "lower right"      # over the blank triangle s > tau
    assert F.records_equal(fig, F.flow(trace.flow, carries=trace.carries))


def test_losses_without_a_target_do_not_count_in_the_colour_scale():
    trace = adding_trace()
    filled = trace.flow.copy()
    filled[:-1] = np.tril(np.full((11, 12), 1e12))   # whatever a row without a loss holds
    shown = F.flow(filled, carries=trace.carries)
    assert F.records_equal(shown, F.flow(trace.flow))
    both = F.flow_panels([filled, trace.flow], ["given", "NaN"], carries=[trace.carries, None])
    scales = [marks_of(both, "Heatmap", i)[0].scale for i in (0, 1)]
    assert (scales[0].vmin, scales[0].vmax) == F.flow_range([trace.flow]) \
        == (scales[1].vmin, scales[1].vmax)
    with pytest.raises(ValueError, match=r"'carries' .* shape \(T,\) = \(12,\).* Got shape \(3,\)"):
        F.flow(trace.flow, carries=[True] * 3)


def test_flow_panels_name_the_rows_without_a_target_once():
    trace, dense = adding_trace(T=10), flow_of(T=10)
    fig = F.flow_panels([dense, trace.flow, trace.flow], ["dense", "adding", "again"])
    masks = [marks_of(fig, "Mask", i) for i in range(3)]
    assert masks[0] == [] and [m.label for m in masks[1] + masks[2]] == ["no loss at this step",
                                                                          None]
    assert [p.legend for p in fig.panels] == [None, "lower right", None]
    assert np.isnan(marks_of(fig, "Heatmap", 2)[0].values[:-1]).all()


def test_a_flow_with_a_target_at_every_step_draws_as_it_did():
    flow = flow_of()
    fig = F.flow(flow)
    assert not marks_of(fig, "Mask") and fig.panels[0].legend is None
    assert F.records_equal(fig, F.flow(flow, carries=np.ones(15, dtype=bool)))
    # A last loss that overflowed to NaN throughout is an overflow when the targets are named,
    # and without them when an earlier loss overflowed too.
    flow[-1] = np.nan
    heat, = marks_of(F.flow(flow, carries=np.ones(15, dtype=bool)), "Heatmap")
    assert np.isposinf(heat.values[-1]).all()
    flow[12:, :3] = np.inf
    fig = F.flow(flow, overflow_step=12)
    assert np.isposinf(marks_of(fig, "Heatmap")[0].values[-1]).all() and not marks_of(fig, "Mask")


def test_a_row_without_a_target_stays_blank_under_a_schedules_dimming():
    trace = adding_trace()
    fig = F.flow(trace.flow, kept=tbptt(12, 3, 4).kept_any)
    dimming, no_loss = marks_of(fig, "Mask")
    assert dimming.label is None and no_loss.label == "no loss at this step"   # drawn last


# --- curves -------------------------------------------------------------------------------

def test_lag_profile_of_a_hand_worked_matrix():
    M = np.array([[1.0, np.nan], [4.0, 9.0]])
    lags, med, lo, hi = F.lag_profile(M)
    assert lags.tolist() == [0, 1]
    assert med.tolist() == [5.0, 4.0] and lo.tolist() == [1.0, 4.0] and hi.tolist() == [9.0, 4.0]


def test_a_lag_profile_takes_only_the_losses_that_exist():
    # Targets at steps 5 and 11 only: each lag's median is over those two rows (one beyond
    # lag 5), never pulled to 0 by the losses that do not exist.
    rng = np.random.default_rng(0)
    mask = np.zeros(12)
    mask[[5, 11]] = 1
    flow = bptt(ElmanRNN(1, 4, 1, seed=0), rng.normal(size=(12, 2, 1)),
                rng.normal(size=(12, 2, 1)), mask=mask).flow
    lags, med, lo, hi = F.lag_profile(flow)
    rows = [np.array([flow[t, t - lag] for t in (5, 11) if t >= lag]) for lag in lags]
    np.testing.assert_allclose(med, [np.median(r) for r in rows], rtol=1e-15)
    np.testing.assert_array_equal(lo, [r.min() for r in rows])
    assert np.all(med > 0)
    relative = F.lag_profile(relative_flow(flow))[1]
    assert np.all(np.isfinite(relative)) and relative[0] == 1.0


def _lag_profile_one_lag_at_a_time(M):
    out = np.full((3, len(M)), np.nan)
    for lag in range(len(M)):
        d = np.diagonal(M, -lag)
        d = d[np.isfinite(d)]
        if d.size:
            out[:, lag] = np.median(d), d.min(), d.max()
    return out


@pytest.mark.parametrize("T", [1, 2, 7, 60])
def test_a_lag_profile_is_each_lags_median_min_and_max_to_the_last_bit(T):
    rng = np.random.default_rng(T)
    M = np.exp(rng.normal(scale=20, size=(T, T)))            # from 1e-30 to 1e30 and beyond
    M[rng.random((T, T)) < 0.2] = np.nan
    M[rng.random((T, T)) < 0.05] = np.inf
    M[rng.random((T, T)) < 0.05] = 0.0
    M[T // 2:, 0] = np.nan                                   # lags with one value or none
    for m in (M, relative_flow(M)):
        lags, med, lo, hi = F.lag_profile(m)
        np.testing.assert_array_equal(lags, np.arange(T))
        np.testing.assert_array_equal(np.array([med, lo, hi]),
                                      _lag_profile_one_lag_at_a_time(m))


def test_lag_norms_show_median_band_and_bound():
    lags = np.arange(6)
    med = 0.5 ** lags
    bound = 0.9 ** lags
    fig = F.lag_norms(lags, med, med / 2, med * 1.5, bound, note="γσ = 0.9")
    lines = marks_of(fig, "Line")
    np.testing.assert_array_equal(lines[0].y, med)
    np.testing.assert_array_equal(lines[1].y, bound)
    band = marks_of(fig, "Band")[0]
    np.testing.assert_array_equal(band.low, med / 2)
    lo, hi = fig.panels[0].y.limits
    assert lo <= (med / 2).min() and hi >= bound.max()
    assert decade_step_of_three(lo) and decade_step_of_three(hi)
    assert fig.panels[0].y.scale == "log"
    assert marks_of(fig, "Text")[0].text == "γσ = 0.9"


def test_lag_norms_leave_out_zeros_and_overflow():
    med = np.array([1.0, 0.0, np.inf, 0.1])
    fig = F.lag_norms(np.arange(4), med, med, med, np.array([1, 2, np.inf, 8.0]))
    y = marks_of(fig, "Line")[0].y
    assert y[0] == 1.0 and np.isnan(y[1]) and np.isnan(y[2]) and y[3] == 0.1
    assert np.isnan(marks_of(fig, "Line")[1].y[2])
    assert np.all(np.isfinite(fig.panels[0].y.limits))


def test_singular_values_show_every_positive_value_and_the_extremes():
    sv = np.array([[2.0, 1.0, 0.5], [1.5, 0.2, 0.0], [np.nan, np.nan, np.nan]])
    fig = F.singular_values(sv)
    pts = marks_of(fig, "Points")[0]
    assert sorted(zip(pts.x.tolist(), pts.y.tolist())) == [(0, 0.5), (0, 1.0), (0, 2.0),
                                                            (1, 0.2), (1, 1.5)]
    top, bottom = marks_of(fig, "Line")
    np.testing.assert_array_equal(top.y[:2], [2.0, 1.5])
    np.testing.assert_array_equal(bottom.y[:2], [0.5, 0.2])
    assert np.isnan(top.y[2])


def test_lines_clamp_marks_to_a_top_and_draw_levels_across_x():
    x = np.arange(10.0)
    ys = [np.exp(x), np.ones(10)]
    fig = F.lines(x, ys, ["up", "flat"], marks=[([9.0], [np.exp(9.0)]), None], refs=[None, 2.0],
                  ref_label="clip", baseline=0.5, baseline_label="baseline", ymax=100.0)
    lo, hi = fig.panels[0].y.limits
    assert hi == 1000.0                                 # 100 rounded up to a step of decades
    mark = marks_of(fig, "Points")[0]
    assert mark.y.tolist() == [hi]
    levels = [m for m in marks_of(fig, "Line") if m.y.size == 2 and m.y[0] == m.y[1]]
    assert sorted(m.y[0] for m in levels) == [0.5, 2.0]
    assert all(tuple(m.x) == fig.panels[0].x.limits for m in levels)
    assert [m.label for m in marks_of(fig, "Line") if m.label] == ["up", "flat", "baseline",
                                                                    "clip"]


def test_lines_hide_a_missing_series_and_check_lengths():
    fig = F.lines(np.arange(3.0), [None, np.ones(3)], ["gone", "here"], log=False)
    assert labelled(fig, "gone").y.size == 0
    with pytest.raises(ValueError, match="'lows' must have one entry per series"):
        F.lines(np.arange(3.0), [np.ones(3)], ["a"], lows=[None, None])


# --- schedules, bias, cost -----------------------------------------------------------------

@pytest.mark.parametrize("schedule", [tbptt(12, 3, 5), per_loss(12, 4, 6), last_loss(12, 4, 2)],
                         ids=lambda s: s.name)
def test_timeline_draws_each_update_its_losses_and_their_reach(schedule):
    fig = F.schedule(schedule)
    segs = marks_of(fig, "Segments")[0]
    reaching = [(int(s), int(t)) for p in schedule.updates for t, s in zip(p.losses, p.starts)
                if s <= t]
    assert sorted(zip(np.round(segs.x0 + 0.5).astype(int).tolist(),
                      np.round(segs.x1 - 0.5).astype(int).tolist())) == sorted(reaching)
    losses, updates = marks_of(fig, "Points")
    assert losses.x.size == sum(len(p.losses) for p in schedule.updates)
    assert updates.x.tolist() == [p.step - 0.5 for p in schedule.updates]
    assert fig.panels[0].title.startswith(schedule.name)
    assert fig.panels[0].y.limits[0] > fig.panels[0].y.limits[1]      # update 0 on top


def test_timeline_shows_losses_that_reach_no_state_without_a_bar():
    fig = F.schedule(tbptt(10, 5, 2))       # k2 < k1: the first losses of each update reach nothing
    assert marks_of(fig, "Segments")[0].x0.size == 4
    assert marks_of(fig, "Points")[0].x.size == 10


def test_truncation_bias_curves_and_current_point():
    k2 = np.array([1, 2, 4, 8])
    cos = np.array([0.2, 0.5, 0.9, 1.0])
    ratio = np.array([0.3, 0.6, 0.95, 1.0])
    fig = F.truncation_bias(k2, cos, ratio, current_k2=4, current_cosine=0.9)
    np.testing.assert_array_equal(labelled(fig, "cos(truncated, full)").y, cos)
    r = labelled(fig, "‖truncated‖/‖full‖")
    np.testing.assert_array_equal(r.y, ratio)
    assert r.axis == "y2" and fig.panels[0].y2.scale == "log"
    star = labelled(fig, "this schedule")
    assert star.x.tolist() == [4] and star.y.tolist() == [0.9]
    assert any(m.axis == "x" and m.value == 4 for m in marks_of(fig, "Rule"))
    assert labelled(F.truncation_bias(k2, cos, ratio), "this schedule").x.size == 0


def test_cost_bars_are_relative_to_full_bptt_and_labelled_in_absolute_terms():
    fig = F.cost(Cost(60, 0, 110, 340, 2720), Cost(60, 0, 60, 1020, 8160))
    bars = labelled(fig, "this schedule")
    assert bars.x1.tolist() == pytest.approx([1.0, 110 / 60, 340 / 1020])
    assert [t.text.strip() for t in marks_of(fig, "Text")] == ["60", "110", "340"]
    assert fig.panels[0].x.limits[1] > bars.x1.max()
    assert fig.panels[0].y.tick_labels == F.COST_METRICS


def test_checkpoint_cost_marks_the_least_memory_and_labels_forward_steps():
    fig = F.checkpoint_cost([1, 2, 4, 8], [800, 500, 420, 600], [16, 24, 28, 30], 1000, 16)
    best = labelled(fig, "least memory")
    assert best.x.tolist() == [4] and best.y.tolist() == [420]
    assert fig.panels[0].x.scale == "log2"
    texts = [t.text for t in marks_of(fig, "Text")]
    assert texts[:4] == ["16", "24", "28", "30"] and "16" in texts[-1]
    assert fig.panels[0].y.limits[1] > 1000


def test_bias_variance_puts_each_estimator_at_its_spread_and_mean():
    fig = F.bias_variance([0.0, 0.3], [0.7, 0.9], [None, 0.99], ["TBPTT", "UORO"],
                          curve_k2=[1, 2, 4], curve_cosine=[0.2, 0.5, 0.7])
    assert labelled(fig, "UORO").x.tolist() == [0.3]
    hollow = [m for m in marks_of(fig, "Points") if m.hollow and m.x.size]
    assert [m.y.tolist() for m in hollow] == [[0.99]]
    lo, hi = fig.panels[0].y.limits
    assert lo <= 0.2 and hi > 1.0
    assert [t.text.strip() for t in marks_of(fig, "Text")] == ["k2=1", "k2=2", "k2=4"]


def test_cliff_starts_the_paths_at_the_start_and_ends_them_where_they_stop():
    w, b = np.linspace(0, 1, 5), np.linspace(-1, 1, 4)
    loss = np.add.outer(b, w)
    loss[0, 0] = np.nan
    paths = [(np.array([0.1, 0.2, np.nan]), np.array([0.0, 0.1, np.nan])),
             (np.array([0.1, 0.15]), np.array([0.0, 0.05]))]
    fig = F.cliff(w, b, loss, paths, note="lr = 0.1")
    heat = marks_of(fig, "Heatmap")[0]
    assert np.isnan(heat.values[0, 0]) and heat.scale.vmax == pytest.approx(2.0)
    ends = [m for m in marks_of(fig, "Points") if m.marker == "o"]
    assert [(e.x.tolist(), e.y.tolist()) for e in ends] == [([0.2], [0.1]), ([0.15], [0.05])]
    assert labelled(fig, "start").x.tolist() == [0.1]


def test_reach_shades_what_the_targets_need_and_draws_each_schedules_windows():
    fig = F.reach(20, [(2, 5)], [10, 19], [[(6, 10, [10])], [(0, 10, [10]), (11, 19, [19])]])
    needed = labelled(fig, "inputs the targets need")
    assert (needed.x0.tolist(), needed.x1.tolist()) == ([1.5], [4.5])
    segs = marks_of(fig, "Segments")
    assert [s.x0.size for s in segs] == [1, 2]
    assert fig.panels[0].y.tick_labels == ("task", "A", "B")


# --- the unrolled network ---------------------------------------------------------------------

DATA = dict(hidden_norms=np.array([0.1, 0.4, 0.2, 0.8]),
            error_norms=np.array([0.05, 0.1, 0.3, 0.2]),
            whh_norms=np.array([0.0, 0.02, 0.05, 0.04]),
            whh_grad=np.random.default_rng(0).normal(size=(3, 3)))


def network(frame):
    fig = F.unrolled(frame, **DATA)
    return {p.name: p for p in fig.panels}


def test_walk_has_T_forward_frames_T_backward_frames_and_the_sum():
    assert F.unrolled_frames(4) == 9


def test_forward_frame_t_has_computed_h_0_to_h_t_only():
    p = network(1)
    hidden = p["network"].marks[1]
    assert [c != "#ffffff" for c in hidden.color] == [False, True, True, False, False]
    assert p["shares"].marks[0].y1.tolist() == [0, 0, 0, 0]
    arrows = [m for m in p["network"].marks if type(m).__name__ == "Segments"]
    assert [a.x0.size for a in arrows] == [12, 0, 0]        # forward only
    assert "step 1" in p["network"].title
    texts = [m.text for m in p["network"].marks if type(m).__name__ == "Text"]
    assert "‖h‖=0.4" in texts and "‖h‖=0.2" not in texts


def test_backward_frame_shows_the_error_reaching_back_to_step_s():
    p = network(5)       # T + 1: the error has reached s = 2
    assert p["shares"].marks[0].y1.tolist() == [0, 0, 0.05, 0.04]
    _, inject, back = [m for m in p["network"].marks if type(m).__name__ == "Segments"]
    assert (inject.x0 + 0.12).tolist() == pytest.approx([3.0, 4.5])   # copies 2 and 3
    assert back.x0.tolist() == [4.5]                                   # delta_3 pulled back
    texts = [m.text for m in p["network"].marks if type(m).__name__ == "Text"]
    assert "‖δ‖=0.3" in texts
    assert "Backward, step 2" in p["network"].title
    *_, back7 = [m for m in network(7)["network"].marks if type(m).__name__ == "Segments"]
    assert back7.width[1] > back7.width[0]            # a larger error, a wider arrow
    assert not any(type(m).__name__ == "Heatmap" for m in p["sum"].marks)


def test_last_frame_shows_every_share_and_their_sum():
    p = network(8)
    assert p["shares"].marks[0].y1.tolist() == DATA["whh_norms"].tolist()
    heat = p["sum"].marks[0]
    np.testing.assert_array_equal(heat.values[::-1], DATA["whh_grad"])   # row 0 on top
    assert f"{np.linalg.norm(DATA['whh_grad']):.2g}" in p["sum"].x.label


# --- colours ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [F.MAGNITUDE_CMAP, F.SIGNED_CMAP])
def test_the_shipped_colour_maps_are_matplotlibs(name):
    import matplotlib as mpl
    expected = np.round(mpl.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    np.testing.assert_array_equal(F.style.colormap(name), expected)


def test_an_unknown_colour_map_is_named():
    with pytest.raises(ValueError, match="one of PuOr, viridis. Got 'jet'"):
        F.style.colormap("jet")


def test_a_lesson_kernel_does_not_import_matplotlib_until_a_download():
    import subprocess
    import sys
    code = ("import sys; from bpttviz.app import VanishingApp, UnfoldingApp; "
            "VanishingApp(query=''); UnfoldingApp(query=''); print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_class_points_leave_out_pairs_without_a_value_and_go_log_past_a_hundredfold():
    fig = F.class_points([1, 2, 3, np.nan], [0.5, 500, np.inf, 1], xlabel="k2",
                               ylabel="loss")
    (panel,) = fig.panels
    (points,) = panel.marks
    assert points.x.tolist() == [1, 2] and points.y.tolist() == [0.5, 500]
    assert panel.y.scale == "log" and panel.y.limits[0] <= 0.5 and panel.y.limits[1] >= 500
    assert panel.x.limits[0] < 1 < 2 < panel.x.limits[1]
    assert F.class_points([1, 2], [1, 50], xlabel="a", ylabel="b").panels[0].y.scale \
        == "linear"
    assert F.class_points([], [], xlabel="a", ylabel="b").panels[0].marks == ()
    with pytest.raises(ValueError, match="as many x as y"):
        F.class_points([1, 2], [1], xlabel="a", ylabel="b")
