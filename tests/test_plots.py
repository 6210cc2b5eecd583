"""Matplotlib draws a figure record with the record's numbers: what a download shows is what
the page showed."""

import io
import pathlib
import re

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.ft2font import FT2Font
from matplotlib.image import AxesImage, imread
from matplotlib.lines import Line2D

from bpttviz import Cost, ElmanRNN, bptt
from bpttviz import figures as F
from bpttviz import plots
from bpttviz.figures import placement
from bpttviz.plots import draw, save
from bpttviz.schedules import tbptt
from bpttviz.tasks import AddingProblem


def flow_of(T=12, seed=0):
    rng = np.random.default_rng(seed)
    return bptt(ElmanRNN(1, 4, 1, seed=seed), rng.normal(size=(T, 1, 1)),
                rng.normal(size=(T, 1, 1))).flow


def every_record():
    k2 = np.array([1, 2, 4, 8])
    w, b = np.linspace(0, 1, 5), np.linspace(-1, 1, 4)
    return {
        "flow": F.flow(flow_of(), kept=tbptt(12, 3, 4).kept_any, overflow_step=5),
        "flow_panels": F.flow_panels([flow_of(), flow_of(seed=1)], ["A", "B"]),
        "lag": F.lag_norms(np.arange(6), 0.5 ** np.arange(6), 0.4 ** np.arange(6),
                           0.6 ** np.arange(6), 0.9 ** np.arange(6), note="n"),
        "sv": F.singular_values(np.abs(np.random.default_rng(0).normal(size=(8, 3)))),
        "lines": F.lines(np.arange(5.0), [np.ones(5), None], ["a", "b"], baseline=0.5,
                         baseline_label="base", marks=[([2.0], [1.0]), None]),
        "schedule": F.schedule(tbptt(12, 3, 5)),
        "bias": F.truncation_bias(k2, [0.2, 0.5, 0.9, 1.0], [0.3, 0.6, 0.95, 1.0],
                                  current_k2=4, current_cosine=0.9),
        "cost": F.cost(Cost(60, 0, 110, 340, 2720), Cost(60, 0, 60, 1020, 8160)),
        "checkpoint": F.checkpoint_cost([1, 2, 4], [800, 500, 600], [16, 24, 28], 1000, 16),
        "reach": F.reach(20, [(2, 5)], [10], [[(6, 10, [10])], [(0, 10, [10])]]),
        "bias_variance": F.bias_variance([0.0, 0.3], [0.7, 0.9], [None, 0.99], ["T", "U"]),
        "cliff": F.cliff(w, b, np.add.outer(b, w), [(np.array([0.1, 0.2]), np.array([0.0, 0.1]))],
                         labels=("path",)),
        "network": F.unrolled(5, np.array([0.1, 0.4, 0.2, 0.8]), np.array([0.05, 0.1, 0.3, 0.2]),
                              np.array([0.0, 0.02, 0.05, 0.04]), np.eye(3)),
    }


@pytest.mark.parametrize("name", list(every_record()))
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_every_record_renders_to_a_file(name, fmt):
    data = save(every_record()[name], fmt=fmt)
    assert data.startswith(b"\x89PNG" if fmt == "png" else b"<?xml")


def test_the_heatmap_drawn_holds_the_records_values():
    record = F.flow(flow_of())
    fig = draw(record)
    image = next(a for a in fig.axes[0].get_children() if isinstance(a, AxesImage))
    values = record.panels[0].marks[0].values
    shown = image.get_array()
    finite = np.isfinite(values)
    np.testing.assert_array_equal(shown[finite], values[finite])
    assert shown.mask[np.isnan(values)].all()
    assert image.norm.vmin == record.panels[0].marks[0].scale.vmin


def adding_flow(T=12):
    """The flow of a run on the adding problem: a target at the last step only."""
    task = AddingProblem(lag=T // 2, seq_len=T)
    batch = task.sample(4, np.random.default_rng(0))
    return bptt(ElmanRNN(task.n_in, 8, task.n_out, seed=0), batch.inputs, batch.targets,
                mask=batch.mask).flow


def test_a_png_draws_rows_without_a_target_in_the_empty_triangles_colour():
    record = F.flow(adding_flow(), kept=tbptt(12, 3, 4).kept_any)
    image = imread(io.BytesIO(save(record, fmt="png")))[..., :3]
    fig = draw(record)
    fig.draw_without_rendering()                    # the layout the saved file has
    ax = fig.axes[0]

    def pixel(s, tau):
        x, y = ax.transData.transform((s, tau)) * image.shape[0] / fig.bbox.height
        return image[int(image.shape[0] - y), int(x)]

    empty = to_rgb(F.style.EMPTY)
    np.testing.assert_allclose(pixel(10, 7), empty, atol=1 / 255)       # s > tau: no meaning
    for s, tau in [(1, 6), (0, 0), (5, 9), (2, 10)]:                     # losses that do not exist
        np.testing.assert_allclose(pixel(s, tau), empty, atol=1 / 255)
    assert np.abs(pixel(2, 11) - empty).max() > 0.1                      # the one loss there is


def test_a_named_mask_has_its_swatch_in_the_legend():
    fig = draw(F.flow(adding_flow()))
    legend = fig.axes[0].get_legend()
    entry, = legend.get_texts()
    assert entry.get_text() == "no loss at this step"
    swatch, = legend.legend_handles
    np.testing.assert_allclose(swatch.get_facecolor(), to_rgba(F.style.EMPTY))
    np.testing.assert_allclose(swatch.get_edgecolor(), to_rgba(F.style.GREY))
    assert draw(F.flow(flow_of())).axes[0].get_legend() is None


def test_the_lines_drawn_hold_the_records_numbers_and_limits():
    record = every_record()["lag"]
    fig = draw(record)
    ax = fig.axes[0]
    drawn = [l for l in ax.get_lines() if l.get_label() and not l.get_label().startswith("_")]
    for line in [m for m in record.panels[0].marks if isinstance(m, F.Line)]:
        match = next(d for d in drawn if d.get_label() == line.label)
        np.testing.assert_array_equal(match.get_ydata(), line.y)
    assert ax.get_ylim() == pytest.approx(record.panels[0].y.limits)
    assert ax.get_yscale() == "log"


def test_points_and_twin_axes_are_drawn_where_the_record_says():
    record = every_record()["bias"]
    fig = draw(record)
    ax, twin = fig.axes[:2]
    star = next(c for c in ax.collections if isinstance(c, PathCollection))
    assert star.get_offsets().tolist() == [[4.0, 0.9]]
    ratio = next(l for l in twin.get_lines() if isinstance(l, Line2D))
    np.testing.assert_array_equal(ratio.get_ydata(), [0.3, 0.6, 0.95, 1.0])
    assert twin.get_yscale() == "log"


def test_scale_enlarges_size_type_and_lines_together():
    record = every_record()["lag"]
    small, big = draw(record), draw(record, scale=1.2)
    assert big.get_size_inches() == pytest.approx(small.get_size_inches() * 1.2)
    assert big.axes[0].title.get_fontsize() == pytest.approx(small.axes[0].title.get_fontsize()
                                                             * 1.2)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="must be a bpttviz.figures.Figure. Got dict"):
        draw({})
    with pytest.raises(ValueError, match="'fmt' .* one of png, svg. Got 'jpg'"):
        save(every_record()["lag"], fmt="jpg")
    buf = io.BytesIO()
    save(every_record()["lag"], buf, "svg")
    assert buf.getvalue().startswith(b"<?xml")


@pytest.mark.parametrize("name, says", [
    ("draw_flow", "bpttviz.figures.flow(...)"), ("update_lag_norms", "bpttviz.figures.lag_norms(...)"),
    ("lag_profile", "moved to bpttviz.figures.lag_profile"),
])
def test_a_name_of_the_axes_drawing_api_says_what_replaced_it(name, says):
    with pytest.raises(AttributeError, match=re.escape(says)):
        getattr(plots, name)
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        plots.nonsense


# -- legends and notes placed from the data, drawn where the record says -------------------------

def _crossed(legend="upper right"):
    """A panel whose every spot inside has a line through it: an X and a frame of lines."""
    edge = [0.02, 0.5, 0.98]
    marks = [F.Line([0, 1], [0, 1], label="up"), F.Line([0, 1], [1, 0], label="down")]
    marks += [F.Line([0, 1], [v, v]) for v in edge] + [F.Line([v, v], [0, 1]) for v in edge]
    return F.Figure((F.Panel(F.Axis("x"), F.Axis("y"), marks, legend=legend),))


def test_a_legend_goes_where_it_covers_no_mark_and_outside_when_no_spot_is_free():
    free = F.Figure((F.Panel(F.Axis("x"), F.Axis("y"),
                             [F.Line([0, 1], [0.9, 0.95], label="high")], legend="upper right"),))
    assert free.panels[0].legend == "lower left"    # the first free spot in SPOTS after its own
    crossed = _crossed()
    assert crossed.panels[0].legend == "outside right"
    fig = draw(crossed)
    fig.draw_without_rendering()
    legend, = fig.legends
    box, axes = legend.get_window_extent(), fig.axes[0].bbox
    assert box.x0 >= axes.x1 and box.x1 <= fig.bbox.x1 + 1


def test_a_record_names_only_spots_both_renderers_draw():
    with pytest.raises(ValueError, match="A panel's legend must be one of upper right"):
        F.Panel(legend="upper middle")
    with pytest.raises(ValueError, match="A note's corner must be one of"):
        F.Text(0, 0, "n", corner="middle")


def test_figure_js_lays_a_legend_out_with_the_metrics_the_placement_assumes():
    source = (pathlib.Path(plots.__file__).parents[1] / "app" / "live" / "figure.js").read_text()
    js = dict(re.findall(r"(\w+): ([\d.]+)", re.search(
        r"export const LEGEND = \{([^}]*)\}", source).group(1)))
    assert {k: float(v) for k, v in js.items()} == placement.LEGEND
    spots = set(re.findall(r'"?([a-z]+ [a-z]+)"?: \[', re.search(
        r"export const LEGEND_SPOTS = \{([^}]*)\}", source).group(1)))
    assert spots == set(placement.SPOTS)
    assert f'export const OUTSIDE = "{placement.OUTSIDE}"' in source


def test_the_glyph_widths_are_those_of_the_font_matplotlib_draws_with():
    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    font.set_size(1000, 72)
    for ch in "aWg1 ‖∂τσγ–":
        advance = font.load_char(ord(ch)).linearHoriAdvance / 65536 / 1000
        assert placement._glyphs()[ch] == pytest.approx(advance, abs=1e-4), ch


def test_a_note_moves_to_a_free_corner_or_onto_more_lines_where_it_would_cover_a_mark():
    rising = F.Line([0, 1], [0, 1], label="rising")
    note = F.Text(0, 0, "a note", corner="upper right")
    fig = F.Figure((F.Panel(F.Axis("x"), F.Axis("y"), [rising, note], legend="lower right"),))
    moved = fig.panels[0].marks[-1]
    assert moved.corner == "upper left" and (moved.x, moved.ha) == (0.02, "left")
    assert fig.panels[0].legend == "lower right"
    long = "a note far too long to sit on one line beside the rising line here"
    wide = F.Figure((F.Panel(F.Axis("x"), F.Axis("y"), [rising, F.Text(0, 0, long,
                                                                       corner="upper left")]),))
    assert "\n" in wide.panels[0].marks[-1].text
    assert " ".join(wide.panels[0].marks[-1].text.split()) == long
