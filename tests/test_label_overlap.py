"""No label over data, no label over a label: every figure of every lesson, at its defaults, at
each guided step's settings (with the step's marker once its answer is revealed) and, for a
lesson that trains, with its runs drawn after Train or Race at the defaults.

Boxes are the Matplotlib renderer's own: the record is drawn with :func:`bpttviz.plots.draw`;
each text's box is its extent (``get_window_extent``), so is the legend's; each mark's points
are its data in display coordinates (a marker counts as the square its size covers).

A text (a Text mark, a legend, an axis label, a title or a tick label) must not overlap another
(tick labels are not compared with each other: the renderers space them), a legend or a note
(a Text mark placed in the panel's fractions) must not cover a data mark's points, and a legend
stays inside its figure.

Both renderers draw a legend where the record says, chosen from the data when the record was
built (:mod:`bpttviz.figures.placement`), for a box estimated on a plot area no larger, and with
a legend no smaller, than either renderer lays out: the test checks that estimate against
Matplotlib's layout and against the page's (``figure.js``, run by node with DejaVu Sans' widths,
``tests/js/canvas_layout.mjs``), so a spot free in Matplotlib's figure is free in the page's.
"""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection

from bpttviz import plots
from bpttviz.app.live.encode import encode
from bpttviz.figures import placement, records_equal
from bpttviz.lessons import LESSONS, LessonWithRuns
from bpttviz.steps import evaluate, highlight_marks

PX_PER_PT = 100 / 72          # the renderer's 100 dpi
#: figure.js's layout of records, run by node (tests/js/canvas_layout.mjs).
CANVAS_LAYOUT = Path(__file__).resolve().parent / "js" / "canvas_layout.mjs"
MARK_COLOR = "#000000"        # a step's marker: its colour changes no box


def _dense(xy, step=2.0):
    """The points of a polyline every ``step`` pixels (a segment crossing a box counts)."""
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) < 2:
        return xy
    out = [xy[:1]]
    for a, b in zip(xy[:-1], xy[1:]):
        t = np.linspace(0, 1, int(np.hypot(*(b - a)) // step) + 2)[1:, None]
        out.append(a + t * (b - a))
    return np.concatenate(out)


def _points(ax):
    """``(name, xy, half)``: each data mark of ``ax``, its points in display pixels inside the
    panel and the half width of what is drawn there (a marker's, else a line's)."""
    out = []
    for line in ax.lines:
        xy = line.get_transform().transform(line.get_xydata())
        if line.get_linestyle() not in ("None", ""):
            out.append((line.get_label(), _dense(xy), line.get_linewidth() * PX_PER_PT / 2))
        if line.get_marker() not in (None, "None", ""):
            out.append((line.get_label(), xy, line.get_markersize() * PX_PER_PT / 2))
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            xy = c.get_offset_transform().transform(c.get_offsets())
            half = np.sqrt(np.max(c.get_sizes())) * PX_PER_PT / 2
            out.append((c.get_label(), xy, half))
        elif isinstance(c, LineCollection):
            for seg in c.get_segments():
                out.append((c.get_label(), _dense(c.get_transform().transform(seg)), 1.0))
    box = ax.bbox
    kept = []
    for name, xy, half in out:
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        inside = ((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0)
                  & (xy[:, 1] <= box.y1))
        kept.append((name, xy[inside], half))
    return kept


def _overlap(a, b, tol=1.0):
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def _labels(ax, renderer):
    """The axis labels, title and tick labels of ``ax`` as ``(what, box)``."""
    out = []
    texts = [ax.xaxis.label, ax.yaxis.label, ax.title]
    texts += [t for t in ax.get_xticklabels() + ax.get_yticklabels()]
    for t in texts:
        if t.get_visible() and t.get_text().strip():
            out.append((f"the label {t.get_text().strip()!r}", t.get_window_extent(renderer)))
    return out


_DRAWN = {}


def drawn(record):
    """``(figure, renderer)``: ``record`` drawn by Matplotlib, once per record."""
    if id(record) not in _DRAWN:
        fig = plots.draw(record)
        FigureCanvasAgg(fig)
        fig.draw_without_rendering()
        _DRAWN[id(record)] = (record, fig, fig.canvas.get_renderer())
    return _DRAWN[id(record)][1:]


def layout_problems(record):
    """The overlaps in ``record`` as Matplotlib draws it: texts over texts, legends and notes
    over marks, legends outside the figure."""
    fig, renderer = drawn(record)
    boxes = []                  # (what, box, axes it must not cover the marks of, or None)
    legends = [leg for leg in [*(ax.get_legend() for ax in fig.axes), *fig.legends] if leg]
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip():
                note = t.xycoords is ax.transAxes
                boxes.append((f"text {t.get_text().strip()!r}", t.get_window_extent(renderer),
                              ax if note else None))
        if ax.get_legend() is not None:
            boxes.append(("the legend", ax.get_legend().get_window_extent(renderer), ax))
    boxes += [("the legend outside", leg.get_window_extent(renderer), None)
              for leg in fig.legends]
    out = [f"{a} overlaps {b}" for i, (a, box_a, _) in enumerate(boxes)
           for b, box_b, _ in boxes[i + 1:] if _overlap(box_a, box_b)]
    labels = [lab for ax in fig.axes for lab in _labels(ax, renderer)]
    out += [f"{a} overlaps {b}" for a, box_a, _ in boxes for b, box_b in labels
            if _overlap(box_a, box_b)]
    for leg in legends:
        box, frame = leg.get_window_extent(renderer), fig.bbox
        if box.x0 < frame.x0 - 1 or box.x1 > frame.x1 + 1 or box.y0 < frame.y0 - 1:
            out.append(f"the legend reaches out of the figure: {box.bounds} in {frame.bounds}")
    for what, box, ax in boxes:
        if ax is None:
            continue
        same_panel = [a for a in fig.axes if np.allclose(a.bbox.bounds, ax.bbox.bounds)]
        for a in same_panel:
            for name, xy, half in _points(a):
                covered = ((xy[:, 0] + half > box.x0) & (xy[:, 0] - half < box.x1)
                           & (xy[:, 1] + half > box.y0) & (xy[:, 1] - half < box.y1))
                if covered.any():
                    out.append(f"{what} covers {int(covered.sum())} points of {name!r}")
    return out


# -- what each lesson shows ---------------------------------------------------------------------

_SHOWN = {}


def shown(slug):
    """``[(where, name, record)]``: every figure lesson ``slug`` shows, once each (a record the
    lesson shows at several settings is laid out once), computed once per test session.

    The settings are the defaults and each guided step's, applied as the page applies them
    (the step's values over the defaults: ``GuidedSteps.values_of``); a step's figure is
    checked as it is before the answer and with the marker the reveal draws. A lesson that
    trains is also drawn with its runs at the defaults, once they have ended.
    """
    if slug in _SHOWN:
        return _SHOWN[slug]
    cls = LESSONS[slug]
    lesson = cls()
    out = []

    def add(where, records):
        for name, record in records.items():
            if not any(n == name and records_equal(r, record) for _, n, r in out):
                out.append((where, name, record))

    defaults = cls.defaults()
    setup = lesson.compute(defaults)
    add("at the defaults", lesson.render(setup, defaults))
    if isinstance(lesson, LessonWithRuns):
        run = lesson.new_run(setup, defaults).start()
        assert run.join(60), f"{slug}'s runs did not end within a minute"
        add("after the runs at the defaults", lesson.draw_run(run, setup))
    for i, step in enumerate(cls.steps(), 1):
        values = {**defaults, **step.settings}
        result = lesson.compute(values)
        records = lesson.render(result, values)
        add(f"at step {i}", records)
        hl = step.highlight
        if hl.get("kind", "none") != "none":
            facts = evaluate(step, result, values, lesson.compute, lesson.quantities).facts
            record = records[hl["figure"]]
            panel, marks = highlight_marks(hl, facts, record, MARK_COLOR)
            for m in marks:
                record = record.with_mark(panel, m)
            add(f"at step {i}, its answer revealed", {hl["figure"]: record})
    _SHOWN[slug] = out
    return out


def _placement_problems(record):
    """Where Matplotlib draws a plot area smaller, or a legend larger, than
    :mod:`bpttviz.figures.placement` assumed when it chose the legend's spot: a spot found free
    is free as drawn only inside the estimate."""
    fig, renderer = drawn(record)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    out = []
    for p, ax, cell in zip(record.panels, panels, placement.cell_sizes(record)):
        legend = ax.get_legend()
        if legend is None or p.inset is not None:
            continue
        w, h = placement.plot_area(p, *cell)
        if w > ax.bbox.width + 0.5 or h > ax.bbox.height + 0.5:
            out.append(f"a plot area of {ax.bbox.width:.0f}x{ax.bbox.height:.0f} pixels, "
                       f"estimated {w:.0f}x{h:.0f}")
        box = legend.get_window_extent(renderer)
        lw, lh = placement.legend_size([t.get_text() for t in legend.get_texts()],
                                       p.legend_columns)
        if lw < box.width - 0.5 or lh < box.height - 0.5:
            out.append(f"a legend of {box.width:.0f}x{box.height:.0f} pixels, estimated "
                       f"{lw:.0f}x{lh:.0f}")
    return out


def _canvas_problems(records):
    """For each of ``records``, where the page's renderer lays a plot area out smaller, or a
    legend larger, than the placement assumed: figure.js, run by node, with type as wide as
    DejaVu Sans sets it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: figure.js's layout cannot be read (make test needs it)")
    sent = []
    for record in records:
        spec, arrays, _ = encode(record)
        sent.append({"spec": spec, "arrays": {ref: base64.b64encode(raw).decode()
                                              for ref, raw in arrays.items() if raw is not None}})
    run = subprocess.run([node, str(CANVAS_LAYOUT)], capture_output=True, text=True, timeout=120,
                         input=json.dumps({"glyphs": placement._glyphs(), "records": sent}))
    assert run.returncode == 0, run.stderr
    out = []
    for record, panels in zip(records, json.loads(run.stdout)):
        out.append([])
        for p, cell, laid in zip(record.panels, placement.cell_sizes(record), panels):
            labels = [m.label for m in p.marks if getattr(m, "label", None)
                      and not m.label.startswith("_")]
            if laid is None or laid["legend"] is None or p.legend == placement.OUTSIDE:
                continue
            (w, h), (cw, ch) = placement.plot_area(p, *cell), laid["area"]
            (lw, lh), (dw, dh) = placement.legend_size(labels, p.legend_columns), laid["legend"]
            if cw < w - 0.5 or ch < h - 0.5 or dw > lw + 0.5 or dh > lh + 0.5:
                out[-1].append(f"the page lays out a plot area of {cw:.0f}x{ch:.0f} and a "
                               f"legend of {dw:.0f}x{dh:.0f} pixels, estimated {w:.0f}x{h:.0f} "
                               f"and {lw:.0f}x{lh:.0f}")
    return out


def _sweep(slug):
    return pytest.param(slug, marks=pytest.mark.slow) if issubclass(LESSONS[slug],
                                                                    LessonWithRuns) else slug


@pytest.mark.parametrize("slug", [_sweep(slug) for slug in LESSONS])
def test_no_label_covers_data_or_another_label_at_the_defaults_and_at_each_step(slug):
    problems = [f"{name} {where}: {p}" for where, name, record in shown(slug)
                for p in layout_problems(record) + _placement_problems(record)]
    canvas = _canvas_problems([record for _, _, record in shown(slug)])
    problems += [f"{name} {where}: {p}" for (where, name, _), found in zip(shown(slug), canvas)
                 for p in found]
    assert problems == []


def _defaults(slug, name):
    return next(r for where, n, r in shown(slug) if n == name and where == "at the defaults")


def test_bias_against_variance_prints_each_k2_label_clear_of_the_others_and_the_legend():
    record = _defaults("beyond_truncation", "bias")
    k2_labels = [m.text.strip() for m in record.panels[0].marks if type(m).__name__ == "Text"]
    assert k2_labels and all(t.startswith("k2=") for t in k2_labels)
    assert layout_problems(record) == []


def test_bias_against_variance_shows_tbptt_around_rtrl_where_they_coincide():
    marks = {m.label: m for m in _defaults("beyond_truncation", "bias").panels[0].marks
             if type(m).__name__ == "Points" and m.label}
    tbptt, rtrl = marks["TBPTT"], marks["RTRL"]
    # At the defaults TBPTT (k2 = T) is all but exact: its marker overlaps RTRL's, drawn later.
    assert np.allclose([tbptt.x[0], tbptt.y[0]], [rtrl.x[0], rtrl.y[0]], atol=0.05)
    assert tbptt.size > rtrl.size
