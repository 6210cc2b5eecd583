"""Figures of lessons 4-6: each draw_* builds artists once, each update_* shows the data given
in those same artists, and no update adds or removes one."""

import ast
import pathlib

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bpttviz import plots
from bpttviz import plots as pl
# The same axes fixture and renderer as the figures of lessons 1-3.
from test_plots import ax, rendered  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[1]


def children(ax):
    return [id(c) for c in ax.get_children()]


def test_plots_lessons_imports_matplotlib_numpy_and_plots_only():
    tops = set()
    for name in ("flow", "lines", "truncation", "unrolled", "cliff", "bias_variance"):
        for node in ast.walk(ast.parse((ROOT / "bpttviz" / "plots" / f"{name}.py").read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                tops.add(".plots" if node.level == 1 else node.module.split(".")[0])
    assert tops <= {"__future__", "dataclasses", "matplotlib", "numpy", ".plots"}


def test_lines_show_each_series_with_gaps_for_what_a_log_axis_cannot_show(ax):
    a = pl.draw_lines(ax, ["A", "B"], baseline_label="baseline")
    before = children(ax)
    x = np.arange(5)
    pl.update_lines(a, x, [np.array([1.0, 0.5, 0.0, np.inf, 0.1]), None], baseline=2.0,
                    refs=[None, 3.0], xlim=(0, 4))
    np.testing.assert_array_equal(a.lines[0].get_ydata(), [1.0, 0.5, np.nan, np.nan, 0.1])
    assert np.size(a.lines[1].get_xdata()) == 0
    assert list(a.baseline.get_ydata()) == [2.0, 2.0] and list(a.baseline.get_xdata()) == [0, 4]
    assert list(a.refs[1].get_ydata()) == [3.0, 3.0] and np.size(a.refs[0].get_xdata()) == 0
    lo, hi = ax.get_ylim()
    assert lo <= 0.1 and hi >= 3.0 and np.log10(lo) % 3 == 0 and np.log10(hi) % 3 == 0
    assert children(ax) == before
    rendered(ax.figure)


def test_a_series_past_ymax_runs_off_the_top_and_its_mark_sits_on_the_edge(ax):
    a = pl.draw_lines(ax, ["A", "B"])
    pl.update_lines(a, np.arange(3), [np.array([1.0, 1e40, 1e250]), np.array([1.0, 0.5, 0.2])],
                    marks=[([2], [1e250]), None], ymax=1e6)
    top = ax.get_ylim()[1]
    assert top == 1e6
    assert list(a.marks[0].get_ydata()) == [top]
    rendered(ax.figure)                       # no tick of a 1e250 axis overflows


def test_bands_span_low_to_high(ax):
    a = pl.draw_lines(ax, ["A"], bands=True, log=False)
    pl.update_lines(a, np.arange(3), [np.array([1.0, 2, 3])], lows=[np.array([0.0, 1, 2])],
                    highs=[np.array([2.0, 3, 4])])
    verts = a.bands[0].get_paths()[0].vertices
    assert verts[:, 1].min() == 0.0 and verts[:, 1].max() == 4.0
    assert ax.get_ylim()[0] < 0.0 < 4.0 < ax.get_ylim()[1]


def test_reach_draws_one_bar_per_update_and_the_needed_inputs(ax):
    a = pl.draw_reach(ax, ("A", "B"))
    before = children(ax)
    pl.update_reach(a, 10, [(2, 4)], [9], [[(5, 9, [9])], [(0, 4, [2, 4]), (5, 9, [9])]])
    assert len(a.windows[0].get_segments()) == 1 and len(a.windows[1].get_segments()) == 2
    (x0, y0), (x1, y1) = a.windows[0].get_segments()[0]
    assert (x0, x1, y0) == pytest.approx((4.55, 9.45, 1.0))
    assert len(a.losses[1].get_offsets()) == 3
    np.testing.assert_array_equal(a.targets.get_offsets(), [[9, 0]])
    span = a.needed.get_paths()[0].vertices[:, 0]
    assert span.min() == 1.5 and span.max() == 3.5
    assert ax.get_xlim() == (-0.5, 9.5) and children(ax) == before
    rendered(ax.figure)


def test_checkpoint_cost_marks_the_least_memory_and_labels_forward_steps(ax):
    a = pl.draw_checkpoint_cost(ax)
    pl.update_checkpoint_cost(a, [1, 2, 4, 8], [800, 500, 400, 600], [16, 16, 16, 16], 700, 8)
    assert list(a.best.get_xdata()) == [4] and list(a.best.get_ydata()) == [400]
    assert [t.get_text() for t in a.labels[:5]] == ["16"] * 4 + [""]
    assert list(a.store_all.get_ydata()) == [700, 700]
    with pytest.raises(ValueError, match="At most 12"):
        pl.update_checkpoint_cost(a, np.arange(1, 14), np.ones(13), np.ones(13), 1, 1)
    rendered(ax.figure)


def test_flow_panels_share_one_colour_scale():
    fig = plots.new_figure(850, 300)
    FigureCanvasAgg(fig)
    a = pl.draw_flow_panels(fig, ["x", "y"])
    small = np.tril(np.full((4, 4), 1e-6))
    big = np.tril(np.full((6, 6), 10.0))
    big[5, 0] = np.inf
    pl.update_flow_panels(a, [small, big], [None, 5])
    vmin, vmax = a.norm.vmin, a.norm.vmax
    assert vmin <= 1e-6 and vmax >= 10 and a.images[1].norm is a.images[0].norm
    assert a.images[0].get_array().shape == (4, 4) and a.images[1].get_array().shape == (6, 6)
    assert a.images[1].get_array()[5, 0] > vmax           # overflow: the "over" colour
    assert a.images[0].get_array().mask[0, 3]             # s > tau: blank
    assert np.size(a.crosses[0].get_xdata()) == 0 and 5 in a.crosses[1].get_xdata()
    assert pl.shared_log_range([small, big]) == (vmin, vmax)
    rendered(fig)


def test_cliff_shows_the_surface_and_ends_each_path_at_its_last_finite_point(ax):
    a = pl.draw_cliff(ax)
    w, b = np.linspace(0, 2, 3), np.linspace(-1, 1, 5)
    loss = np.outer(np.linspace(0, 0.3, 5), np.ones(3))
    pl.update_cliff(a, w, b, loss, [([1.0, 1.5, np.nan], [0.0, 0.5, np.nan]), ([1.0], [0.0])],
                    note="hello")
    np.testing.assert_array_equal(a.image.get_array(), loss)
    assert a.image.get_extent() == pytest.approx((-0.5, 2.5, -1.25, 1.25))
    assert list(a.ends[0].get_xdata()) == [1.5] and list(a.start.get_xdata()) == [1.0]
    assert a.image.get_clim() == pytest.approx((0.0, 0.3)) and a.note.get_text() == "hello"
    rendered(ax.figure)
