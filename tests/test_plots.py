"""The lesson figures: each draw_* builds artists that show the data given, each
update_* changes those same artists in place, and nothing warns or needs a widget."""

import ast
import io
import pathlib

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba

from bpttviz import Cost, ElmanRNN, bptt, plots
from bpttviz.schedules import last_loss, per_loss, tbptt

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def ax():
    fig = plots.new_figure(440, 300)
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def rendered(fig):
    """Render to PNG bytes (fails on any drawing error)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_plots_imports_matplotlib_and_numpy_only():
    tops = set()
    for path in (ROOT / "bpttviz" / "plots").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                tops.add(node.module.split(".")[0])
    assert tops <= {"__future__", "contextlib", "dataclasses", "matplotlib", "numpy", "cycler"}


def test_new_figure_is_sized_in_pixels_and_unknown_to_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    fig = plots.new_figure(440, 300)
    assert tuple(fig.get_size_inches() * fig.dpi) == pytest.approx((440, 300))
    assert plt.get_fignums() == before


def test_freeze_layout_keeps_the_axes_where_the_layout_put_them(ax):
    fig = ax.figure
    ax.set_ylabel("a label")
    plots.freeze_layout(fig)
    where = ax.get_position().bounds
    ax.set_ylabel("a much, much longer label than before")
    fig.canvas.draw()
    assert ax.get_position().bounds == where
    assert where != (0.125, 0.11, 0.775, 0.77)       # the constrained layout did move it


def decade_step_of_three(x):
    """x is 10**(3k) for an integer k: log-scale limits move in steps of three decades."""
    e = np.log10(x) / 3
    return abs(e - round(e)) < 1e-9


# --- drawing over a cached background -------------------------------------------------

def lag_figure():
    fig = plots.new_figure(425, 300)
    FigureCanvasAgg(fig)
    art = plots.draw_lag_norms(fig.add_subplot())
    lags = np.arange(20)
    plots.update_lag_norms(art, lags, 0.7 ** lags, 0.6 ** lags, 0.8 ** lags, 0.9 ** lags)
    plots.freeze_layout(fig)       # blitting needs axes that stay where they are
    return fig, art


def test_split_for_blitting_separates_ticks_from_what_updates_change():
    from matplotlib.axis import Axis
    fig, art = lag_figure()
    static, moving = plots.split_for_blitting(fig)
    ax = art.ax
    assert art.median in moving and art.band in moving and ax.title in moving
    assert ax.get_legend() in moving
    assert not any(isinstance(a, Axis) for a in moving) and ax.patch not in moving
    lags = np.arange(20)
    # New data inside the same decades: the background stays valid.
    plots.update_lag_norms(art, lags, 0.71 ** lags, 0.6 ** lags, 0.8 ** lags, 0.9 ** lags)
    assert plots.split_for_blitting(fig)[0] == static
    # Data reaching new decades moves the limits: a new background is needed.
    plots.update_lag_norms(art, lags, 0.2 ** lags, 0.1 ** lags, 0.3 ** lags, 0.9 ** lags)
    assert plots.split_for_blitting(fig)[0] != static


def test_moving_parts_over_the_background_look_like_a_full_draw():
    fig, art = lag_figure()
    canvas = fig.canvas
    _, moving = plots.split_for_blitting(fig)
    with plots.hidden(moving):
        canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    without = np.asarray(canvas.buffer_rgba()).copy()
    assert all(a.get_visible() for a in moving if a is not None)
    plots.draw_moving(fig, canvas.get_renderer())
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    full = np.asarray(canvas.buffer_rgba()).copy()
    assert np.array_equal(blitted, full)
    assert not np.array_equal(without, full)          # the background lacked the data
    canvas.restore_region(background)
    assert np.array_equal(np.asarray(canvas.buffer_rgba()), without)


# --- lag_profile ---------------------------------------------------------------

def test_lag_profile_of_a_hand_worked_matrix():
    M = np.array([[1.0, 0, 0],
                  [2.0, 1, 0],
                  [4.0, 3, 1]])
    lags, med, low, high = plots.lag_profile(M)
    assert lags.tolist() == [0, 1, 2]
    assert med.tolist() == [1.0, 2.5, 4.0]
    assert low.tolist() == [1.0, 2.0, 4.0]
    assert high.tolist() == [1.0, 3.0, 4.0]


def test_lag_profile_ignores_non_finite_entries():
    M = np.array([[1.0, 0], [np.inf, 1]])
    lags, med, low, high = plots.lag_profile(M)
    assert med[0] == 1.0
    assert np.isnan(med[1]) and np.isnan(low[1]) and np.isnan(high[1])


# --- flow heatmap -----------------------------------------------------------------

def flow_of(T=12, radius=0.9, seed=0):
    rng = np.random.default_rng(seed)
    model = ElmanRNN(1, 4, 1, radius=radius, seed=seed)
    return bptt(model, rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1))).flow


def test_flow_image_shows_the_lower_triangle_on_a_log_scale(ax):
    flow = flow_of()
    art = plots.draw_flow(ax, flow)
    data = art.image.get_array()
    below = np.tril(np.ones_like(flow, dtype=bool))
    assert np.array_equal(data.mask, ~below)
    np.testing.assert_allclose(data[below], flow[below])
    vmin, vmax = art.image.get_clim()
    assert vmin <= flow[below].min() and flow[below].max() <= vmax < 1000 * flow[below].max()
    assert decade_step_of_three(vmin) and decade_step_of_three(vmax)
    assert type(art.image.norm).__name__ == "LogNorm"
    assert art.image.get_cmap().name.startswith("viridis")
    rendered(ax.figure)


def test_update_flow_changes_the_same_artists_and_follows_T(ax):
    art = plots.draw_flow(ax, flow_of(T=12))
    image = art.image
    new = flow_of(T=20, seed=1)
    plots.update_flow(art, new)
    assert art.image is image
    assert image.get_array().shape == (20, 20)
    assert image.get_extent() == [-0.5, 19.5, -0.5, 19.5]
    assert ax.get_xlim() == (-0.5, 19.5)


def test_non_finite_flow_is_drawn_in_the_overflow_colour_and_marked(ax):
    flow = flow_of()
    flow[8:, :3] = np.inf
    flow[9, 0] = np.nan
    art = plots.draw_flow(ax, flow, overflow_step=8)
    data = art.image.get_array()
    vmax = art.image.get_clim()[1]
    assert np.all(data[8:, :3] > vmax)
    rgba = art.image.to_rgba(data[9:10, 0:1])[0, 0]
    assert np.allclose(rgba, to_rgba(plots.OVERFLOW))
    x, y = art.cross.get_data()
    assert 8 in np.asarray(x) and 8 in np.asarray(y)
    assert "8" in art.note.get_text()
    plots.update_flow(art, flow_of())
    assert art.note.get_text() == "" and len(art.cross.get_xdata()) == 0
    rendered(ax.figure)


def test_kept_mask_washes_out_exactly_the_dropped_pairs(ax):
    T = 12
    sched = tbptt(T, 3, 4)
    art = plots.draw_flow(ax, flow_of(T), kept=sched.kept_any)
    alpha = art.shade.get_array()[..., 3]
    below = np.tril(np.ones((T, T), dtype=bool))
    assert np.array_equal(alpha > 0, below & ~sched.kept_any)
    plots.update_flow(art, flow_of(T))
    assert not art.shade.get_array()[..., 3].any()


# --- norms against lag, singular values -------------------------------------------------

def test_lag_norms_show_median_band_and_bound(ax):
    art = plots.draw_lag_norms(ax)
    lags = np.arange(6)
    med = 0.5 ** lags
    bound = 0.9 ** lags
    plots.update_lag_norms(art, lags, med, med / 2, med * 1.5, bound, note="γσ = 0.9")
    np.testing.assert_array_equal(art.median.get_ydata(), med)
    np.testing.assert_array_equal(art.bound.get_ydata(), bound)
    lo, hi = ax.get_ylim()
    assert lo <= (med / 2).min() and hi >= bound.max()
    assert decade_step_of_three(lo) and decade_step_of_three(hi)
    assert ax.get_yscale() == "log"
    assert art.note.get_text() == "γσ = 0.9"
    rendered(ax.figure)


def test_lag_norms_leave_out_zeros_and_overflow(ax):
    art = plots.draw_lag_norms(ax)
    med = np.array([1.0, 0.0, np.inf, 0.1])
    plots.update_lag_norms(art, np.arange(4), med, med, med, np.array([1, 2, np.inf, 8.0]))
    y = art.median.get_ydata()
    assert y[0] == 1.0 and np.isnan(y[1]) and np.isnan(y[2]) and y[3] == 0.1
    assert np.isnan(art.bound.get_ydata()[2])
    assert np.all(np.isfinite(ax.get_ylim()))
    rendered(ax.figure)


def test_singular_values_plot_every_positive_value_and_the_extremes(ax):
    sv = np.array([[2.0, 1.0, 0.5], [1.5, 0.2, 0.0], [np.nan, np.nan, np.nan]])
    art = plots.draw_singular_values(ax)
    plots.update_singular_values(art, sv)
    offsets = np.asarray(art.points.get_offsets())
    assert sorted(map(tuple, offsets)) == [(0, 0.5), (0, 1.0), (0, 2.0), (1, 0.2), (1, 1.5)]
    np.testing.assert_array_equal(art.top.get_ydata()[:2], [2.0, 1.5])
    np.testing.assert_array_equal(art.bottom.get_ydata()[:2], [0.5, 0.2])
    assert np.isnan(art.top.get_ydata()[2])
    rendered(ax.figure)


# --- schedules, bias, cost -----------------------------------------------------------------

def segments_of(art):
    return [np.asarray(s) for s in art.reach.get_segments()]


@pytest.mark.parametrize("schedule", [tbptt(12, 3, 5), per_loss(12, 4, 6), last_loss(12, 4, 2)],
                         ids=lambda s: s.name)
def test_timeline_draws_each_update_its_losses_and_their_reach(ax, schedule):
    art = plots.draw_schedule(ax, schedule)
    segs = segments_of(art)
    reaching = [(int(s), int(t)) for p in schedule.updates for t, s in zip(p.losses, p.starts)
                if s <= t]
    assert sorted((round(seg[0, 0] + 0.5), round(seg[1, 0] - 0.5)) for seg in segs) \
        == sorted(reaching)
    n_losses = sum(len(p.losses) for p in schedule.updates)
    assert len(art.losses.get_offsets()) == n_losses
    marks = np.asarray(art.updates.get_offsets())
    assert marks[:, 0].tolist() == [p.step - 0.5 for p in schedule.updates]
    assert ax.get_title().startswith(schedule.name)
    rendered(ax.figure)


def test_timeline_shows_losses_that_reach_no_state_without_a_bar(ax):
    schedule = tbptt(10, 5, 2)          # k2 < k1: the first losses of each update reach nothing
    art = plots.draw_schedule(ax, schedule)
    assert len(segments_of(art)) == 4
    assert len(art.losses.get_offsets()) == 10


def test_update_schedule_reuses_the_artists(ax):
    art = plots.draw_schedule(ax, tbptt(12, 3, 5))
    reach = art.reach
    plots.update_schedule(art, tbptt(30, 1, 4))
    assert art.reach is reach
    assert len(art.updates.get_offsets()) == 30
    assert ax.get_xlim() == (-0.5, 30.5)


def test_truncation_bias_curves_and_current_point(ax):
    art = plots.draw_truncation_bias(ax)
    k2 = np.array([1, 2, 4, 8])
    cos = np.array([0.2, 0.5, 0.9, 1.0])
    ratio = np.array([0.3, 0.6, 0.95, 1.0])
    plots.update_truncation_bias(art, k2, cos, ratio, current_k2=4, current_cosine=0.9)
    np.testing.assert_array_equal(art.cosine.get_ydata(), cos)
    np.testing.assert_array_equal(art.ratio.get_ydata(), ratio)
    assert art.marker.get_xdata()[0] == 4 and art.marker.get_ydata()[0] == 0.9
    assert art.vline.get_xdata()[0] == 4
    rendered(ax.figure)


def test_cost_bars_are_relative_to_full_bptt_and_labelled_in_absolute_terms(ax):
    art = plots.draw_cost(ax)
    plots.update_cost(art, Cost(60, 0, 110, 340, 2720), Cost(60, 0, 60, 1020, 8160))
    widths = [b.get_width() for b in art.current]
    assert widths == pytest.approx([1.0, 110 / 60, 340 / 1020])
    assert [t.get_text().strip() for t in art.labels] == ["60", "110", "340"]
    assert ax.get_xlim()[1] > max(widths)
    rendered(ax.figure)


# --- the unrolled network ---------------------------------------------------------------------

@pytest.fixture
def unrolled():
    T, H = 4, 3
    fig = plots.new_figure(880, 460)
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(2, 1)
    art = plots.draw_unrolled(fig.add_subplot(gs[0]), fig.add_subplot(gs[1]), T, H)
    rng = np.random.default_rng(0)
    data = dict(hidden_norms=np.array([0.1, 0.4, 0.2, 0.8]),
                error_norms=np.array([0.05, 0.1, 0.3, 0.2]),
                whh_norms=np.array([0.0, 0.02, 0.05, 0.04]),
                whh_grad=rng.normal(size=(H, H)))
    return art, data


def filled(collection):
    return [not np.allclose(c, to_rgba("white")) for c in collection.get_facecolors()]


def test_walk_has_T_forward_frames_T_backward_frames_and_the_sum():
    assert plots.unrolled_frames(4) == 9


def test_forward_frame_t_has_computed_h_0_to_h_t_only(unrolled):
    art, data = unrolled
    plots.update_unrolled(art, 1, **data)
    assert filled(art.hidden) == [False, True, True, False, False]     # h_{-1}, h_0 .. h_3
    assert [b.get_height() for b in art.bars] == [0, 0, 0, 0]
    assert not any(a.get_visible() for pair in art.backward for a in pair)
    assert "step 1" in art.caption.get_text()
    assert art.h_text[1].get_text() == "‖h‖=0.4" and art.h_text[2].get_text() == ""


def test_backward_frame_shows_the_error_reaching_back_to_step_s(unrolled):
    art, data = unrolled
    plots.update_unrolled(art, 5, **data)       # T + 1: the error has reached s = 2
    assert [b.get_height() for b in art.bars] == [0, 0, 0.05, 0.04]
    inject = [pair[0].get_visible() for pair in art.backward]
    back = [pair[1].get_visible() for pair in art.backward]
    assert inject == [False, False, True, True]
    assert back == [False, False, False, True]          # delta_3 pulled back to h_2
    assert art.e_text[2].get_text() == "‖δ‖=0.3"
    assert "Backward, step 2" in art.caption.get_text()
    # Larger errors get wider arrows.
    plots.update_unrolled(art, 7, **data)
    widths = [pair[1].get_linewidth() for pair in art.backward]
    assert widths[2] > widths[1]
    assert not art.sum_image.get_visible()


def test_last_frame_shows_every_share_and_their_sum(unrolled):
    art, data = unrolled
    plots.update_unrolled(art, 8, **data)
    assert [b.get_height() for b in art.bars] == data["whh_norms"].tolist()
    assert art.sum_image.get_visible()
    np.testing.assert_array_equal(art.sum_image.get_array(), data["whh_grad"])
    assert f"{np.linalg.norm(data['whh_grad']):.2g}" in art.sum_ax.get_xlabel()
    rendered(art.ax.figure)
