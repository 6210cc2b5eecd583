"""No label over data, no label over a label, in the figures lessons show at their defaults.

Boxes are estimated from the Matplotlib renderer: the record is drawn with
:func:`bpttviz.plots.draw`, each text's box is Matplotlib's own extent
(``get_window_extent``), so is the legend's, and each mark's points are its data in display
coordinates (a marker counts as the square its size covers). The page's canvas renderer
(``bpttviz/app/live/figure.js``) follows the same layout rules: it puts a legend at the
location the record names (the same corners, inside the axes, a pad from the frame) and a text
at the record's position and alignment, so one estimate serves both.

A text (a Text mark or a legend) must not overlap another, and a legend or a note (a Text mark
placed in the panel's fractions, not beside a data point) must not cover a data mark's points.
"""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection

from bpttviz import plots
from bpttviz.lessons import LESSONS

PX_PER_PT = 100 / 72          # the renderer's 100 dpi


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


def layout_problems(record):
    """The overlaps in ``record`` as drawn: texts over texts, legends and notes over marks."""
    fig = plots.draw(record)
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = []                  # (what, box, axes it must not cover the marks of, or None)
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip():
                note = t.xycoords is ax.transAxes
                boxes.append((f"text {t.get_text().strip()!r}", t.get_window_extent(renderer),
                              ax if note else None))
        if ax.get_legend() is not None:
            boxes.append(("the legend", ax.get_legend().get_window_extent(renderer), ax))
    out = [f"{a} overlaps {b}" for i, (a, box_a, _) in enumerate(boxes)
           for b, box_b, _ in boxes[i + 1:] if _overlap(box_a, box_b)]
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


_RECORDS = {}


def shown(slug):
    """The records lesson ``slug`` shows at its defaults (computed once per test session)."""
    if slug not in _RECORDS:
        lesson = LESSONS[slug]()
        values = lesson.defaults()
        _RECORDS[slug] = lesson.render(lesson.compute(values), values)
    return _RECORDS[slug]


@pytest.mark.parametrize("slug, name", [
    ("beyond_truncation", "race"),          # the legend was over the baseline and the note
    ("vanishing_exploding", "lag"),         # the legend was over the median at lags 35-50
    ("training", "memory"),                 # the star was on the note's word "forward"
    ("training", "loss"),                   # the waiting note was on the baseline
])
def test_no_legend_or_note_covers_a_mark_or_another_text(slug, name):
    problems = layout_problems(shown(slug)[name])
    if name == "lag":       # the bound's value, written where the bound leaves the panel
        problems = [p for p in problems if not p.startswith("text 'γσ$_{max}$ = ")]
    assert problems == []


def test_bias_against_variance_prints_each_k2_label_clear_of_the_others_and_the_legend():
    record = shown("beyond_truncation")["bias"]
    k2_labels = [m.text.strip() for m in record.panels[0].marks if type(m).__name__ == "Text"]
    assert k2_labels and all(t.startswith("k2=") for t in k2_labels)
    assert layout_problems(record) == []


def test_bias_against_variance_shows_tbptt_around_rtrl_where_they_coincide():
    marks = {m.label: m for m in shown("beyond_truncation")["bias"].panels[0].marks
             if type(m).__name__ == "Points" and m.label}
    tbptt, rtrl = marks["TBPTT"], marks["RTRL"]
    # At the defaults TBPTT (k2 = T) is all but exact: its marker overlaps RTRL's, drawn later.
    assert np.allclose([tbptt.x[0], tbptt.y[0]], [rtrl.x[0], rtrl.y[0]], atol=0.05)
    assert tbptt.size > rtrl.size
