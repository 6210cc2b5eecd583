"""Where a panel's legend goes, chosen from the data: the first spot whose box covers no mark.

A record names its legend's location once, and both renderers follow it; so the spot is
chosen here, from the record alone, with the metrics both renderers draw a legend with.
:class:`~bpttviz.figures.record.Figure` calls :func:`legend_spots` for its panels; the
location a builder names is the spot tried first.

The legend's box is Matplotlib's layout, which the page's renderer (``figure.js``) copies:
type of :data:`LEGEND_PT` points; entries filled column by column; in units of the type's
size, a border pad of 0.4 round the entries, handles 2.0 long and 0.8 from their text, rows
1.12 high and 0.5 apart, columns 2.0 apart, the box 0.5 from the plot area's frame. Texts
are as wide as DejaVu Sans sets them (the font both renderers use first; ``glyphs.json``
keeps its advance widths as data), sub- and superscripts at 0.7 of the size.

The plot area, where a renderer's layout puts it, is at least its cell less the widest
margins either renderer gives it (:func:`plot_area`): the box estimated in the panel's
fractions then holds the box drawn, whichever renderer draws it. A mark is covered when the
box, widened by the mark's half width and :data:`CLEARANCE`, meets one of its points or
segments: lines, points, segments and rules; texts count with their boxes. Bands,
heatmaps, masks and rectangles fill areas that a builder arranges its legend over (its box
is translucent).
When no spot is free the legend goes outside the axes, to the right of the plot area.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["LEGEND_PT", "LEGEND", "SPOTS", "OUTSIDE", "legend_spots", "legend_size",
           "legend_room", "text_width", "plot_area"]

PX_PER_PT = 100 / 72            # both renderers draw at 100 pixels per inch
#: The legend's type, in points (bpttviz.plots.STYLE's "legend.fontsize", figure.js' sizes).
LEGEND_PT = 9.0
#: The legend's layout in units of its type's size: Matplotlib's defaults, copied by figure.js.
LEGEND = {"border_pad": 0.4, "handle": 2.0, "handle_pad": 0.8, "row": 1.12, "row_gap": 0.5,
          "column_gap": 2.0, "axes_pad": 0.5}
#: The spots inside the axes, in the order they are tried: ``(fx, fy)``, 0 left or bottom.
SPOTS = {"upper right": (1.0, 1.0), "upper left": (0.0, 1.0), "lower left": (0.0, 0.0),
         "lower right": (1.0, 0.0), "upper center": (0.5, 1.0), "lower center": (0.5, 0.0),
         "center left": (0.0, 0.5), "center right": (1.0, 0.5)}
#: Outside the axes, its top at the plot area's top: where a legend goes that every spot
#: inside would put over a mark.
OUTSIDE = "outside right"
#: How much wider a text is taken than its advance widths: Matplotlib's hinted glyphs set
#: up to 5% wider at these sizes (the widest labels of the lessons' legends).
TEXT_SLACK = 1.06
#: Pixels kept between a legend and any mark.
CLEARANCE = 2.0
#: Type sizes in points, as both renderers set them (bpttviz.plots.STYLE).
_TICK_PT, _LABEL_PT, _TITLE_PT = 11.0, 12.0, 13.0
_SHRINK = 0.7                   # sub- and superscripts
_MATH_NAMES = {"tanh": "tanh", "sigma": "σ", "tau": "τ", "gamma": "γ", "partial": "∂",
               "mathrm": ""}


@lru_cache(maxsize=1)
def _glyphs() -> dict:
    data = json.loads(resources.files(__package__).joinpath("glyphs.json").read_text("utf-8"))
    return data["widths"]


def _runs(text: str):
    """``(characters, scale)`` pieces of ``text``: what is inside ``$...$`` read as
    Matplotlib's math subset (``_x``, ``^{...}`` at 0.7, names such as ``\\tanh``)."""
    out = []
    for i, part in enumerate(str(text).split("$")):
        if i % 2 == 0:
            out.append((part, 1.0))
            continue
        j = 0
        while j < len(part):
            c = part[j]
            if c in "_^":
                j += 1
                if j < len(part) and part[j] == "{":
                    depth, k = 0, j
                    while k < len(part):
                        depth += {"{": 1, "}": -1}.get(part[k], 0)
                        if depth == 0:
                            break
                        k += 1
                    group, j = part[j + 1:k], k + 1
                else:
                    group, j = part[j:j + 1], j + 1
                out.append((_plain(group), _SHRINK))
            elif c == "\\":
                k = j + 1
                while k < len(part) and part[k].isalpha():
                    k += 1
                name = part[j + 1:k]
                out.append((_MATH_NAMES.get(name, name), 1.0))
                j = k
            else:
                out.append(("" if c in "{}" else c, 1.0))
                j += 1
    return out


def _plain(group: str) -> str:
    for name, shown in _MATH_NAMES.items():
        group = group.replace("\\" + name, shown)
    return group.replace("{", "").replace("}", "")


def text_width(text: str, size_pt: float) -> float:
    """The width in pixels of one line of ``text`` set in ``size_pt`` points (DejaVu Sans;
    a character the table does not have counts as an em)."""
    widths = _glyphs()
    ems = sum(scale * sum(widths.get(ch, 1.0) for ch in s) for s, scale in _runs(text))
    return TEXT_SLACK * ems * size_pt * PX_PER_PT


def legend_size(labels, columns: int = 1, size_pt: float = LEGEND_PT):
    """``(width, height)`` in pixels of a legend of ``labels`` in ``columns`` columns."""
    f = size_pt * PX_PER_PT
    rows = -(-len(labels) // columns)
    cols = [labels[c * rows:(c + 1) * rows] for c in range(columns)]
    cols = [c for c in cols if c]
    L = LEGEND
    width = (2 * L["border_pad"] * f + L["column_gap"] * f * (len(cols) - 1)
             + sum((L["handle"] + L["handle_pad"]) * f + max(text_width(t, size_pt) for t in c)
                   for c in cols))
    height = (2 * L["border_pad"] + rows * L["row"] + (rows - 1) * L["row_gap"]) * f
    return width, height


def legend_room(labels, height: float, columns: int = 1, marker: float = 10.0) -> float:
    """The share of a titled, x-labelled panel's plot height that a legend of ``labels``
    takes, with its pad from the frame and the clearance to a mark of ``marker`` points:
    the room a builder keeps free under or over its data, in a figure ``height`` pixels
    high."""
    pt = PX_PER_PT
    plot_h = height - (_TITLE_PT * pt * 1.5 + 4.0) - (7.5 + 1.4 * (_TICK_PT + _LABEL_PT) * pt)
    pad = LEGEND["axes_pad"] * LEGEND_PT * pt
    need = legend_size(labels, columns)[1] + pad + CLEARANCE + marker * pt / 2
    return min(need / plot_h, 0.9)


def _tick_width(axis) -> float:
    """A generous width of an axis' widest tick label, in pixels."""
    if axis.tick_labels is not None:
        return max([text_width(t, _TICK_PT) for t in axis.tick_labels] or [0.0])
    lo, hi = axis.limits
    if axis.scale != "linear":
        exps = [f"{np.log10(abs(v)) if v > 0 else 0:.0f}" for v in (lo, hi)]
        return max(text_width(f"10$^{{{e}}}$", _TICK_PT) for e in exps + ["-10"])
    texts = [f"{v:.3g}" for v in (lo, hi)] + ["-0.00"]
    return max(text_width(t, _TICK_PT) for t in texts)


def plot_area(panel, cell_w: float, cell_h: float):
    """``(width, height)`` in pixels that a panel's plot area keeps at least, in a cell of
    ``cell_w`` x ``cell_h`` pixels: the cell less the margins figure.js gives its title,
    ticks, labels and colour bar (``panelMargins``, the narrower layout of the two: Matplotlib's
    constrained layout leaves a larger plot area), each with a tick label's width to spare."""
    pt, pad = PX_PER_PT, 4.0
    tick, label = _TICK_PT * pt, _LABEL_PT * pt
    left = right = top = bottom = 2 * pad
    right = 3 * pad
    if panel.frame and panel.y.visible:
        left = 2.5 * pad + 3.5 + _tick_width(panel.y) + (1.3 * label if panel.y.label else 0)
    if panel.frame and panel.x.visible:
        bottom = pad + 3.5 + 1.4 * tick + (1.4 * label if panel.x.label else 0)
        right = max(right, pad + _tick_width(panel.x) / 2)
    if panel.y2 is not None:
        right = 2.5 * pad + 3.5 + _tick_width(panel.y2) + (1.3 * label if panel.y2.label else 0)
    heat = [m for m in panel.marks if type(m).__name__ == "Heatmap" and m.scale.colorbar]
    if heat:
        right = (5 * pad + 12.0 + 3.5 + _tick_width(panel.y)
                 + (1.3 * label if heat[0].scale.label else 0))
    if panel.y_side == "right":
        left, right = right, left
    if panel.title:
        size = panel.title_size or _TITLE_PT
        lines = 1 + int(text_width(panel.title, size) > cell_w - 4)
        top = size * pt * (1.25 * lines + 0.25) + pad
    return max(cell_w - left - right, 1.0), max(cell_h - top - bottom, 1.0)


def _fractions(axis, v):
    """Values ``v`` of ``axis`` as fractions of its length (NaN where it has no place)."""
    v = np.asarray(v, dtype=float)
    a, b = axis.limits
    if axis.scale != "linear":
        with np.errstate(all="ignore"):
            v = np.log10(np.where(v > 0, v, np.nan))
            a, b = np.log10(a), np.log10(b)
    return (v - a) / ((b - a) or 1.0)


def _obstacles(panel, w, h):
    """What a legend must not cover: ``(segments, boxes)`` in the panel's fractions, segments
    as (n, 5) ``x0, y0, x1, y1, half width``, boxes as (m, 4) ``x0, y0, x1, y1``."""
    segs, boxes = [], []

    def axes_of(m):
        return panel.y2 if (getattr(m, "axis", "y") == "y2" and panel.y2 is not None) else panel.y

    def line(x, y, half):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if len(x) == 1:
            x, y = np.repeat(x, 2), np.repeat(y, 2)
        if len(x) >= 2:
            segs.append(np.column_stack([x[:-1], y[:-1], x[1:], y[1:],
                                         np.full(len(x) - 1, half)]))

    for m in panel.marks:
        kind = type(m).__name__
        if kind in ("Line", "Points") and len(m.x):
            fx, fy = _fractions(panel.x, m.x), _fractions(axes_of(m), m.y)
            if kind == "Line":
                line(fx, fy, m.width * PX_PER_PT / 2)
                dots = m.marker_size if m.marker else 0.0
            else:
                dots = float(np.max(m.size))
            if dots:        # each marker a segment of no length, as wide as the marker
                segs.append(np.column_stack([fx, fy, fx, fy,
                                             np.full(len(fx), dots * PX_PER_PT / 2)]))
        elif kind == "Segments" and len(m.x0):
            half = float(np.max(m.width)) * PX_PER_PT / 2
            ya = axes_of(m)
            segs.append(np.column_stack([_fractions(panel.x, m.x0), _fractions(ya, m.y0),
                                         _fractions(panel.x, m.x1), _fractions(ya, m.y1),
                                         np.full(len(m.x0), half)]))
        elif kind == "Rule":
            half = m.width * PX_PER_PT / 2
            if m.axis == "x":
                x = float(_fractions(panel.x, m.value))
                line([x, x], [0.0, 1.0], half)
            else:
                y = float(_fractions(axes_of(m), m.value))
                line([0.0, 1.0], [y, y], half)
        elif kind == "Text" and m.text.strip():
            boxes.append(_text_box(panel, m, w, h))
    segs = np.concatenate(segs) if segs else np.zeros((0, 5))
    # Half widths in pixels become fractions of each direction below.
    return segs, np.array(boxes).reshape(-1, 4)


def _text_box(panel, m, w, h):
    """A Text mark's box in the panel's fractions (its anchor, alignment and offset)."""
    lines = m.text.split("\n")
    tw = max(text_width(t, m.size) for t in lines) + (6.0 if m.box or m.edge else 0.0)
    th = len(lines) * 1.2 * m.size * PX_PER_PT + (6.0 if m.box or m.edge else 0.0)
    y_axis = panel.y2 if (m.axis == "y2" and panel.y2 is not None) else panel.y
    x = m.x if m.coords in ("axes", "y-data") else float(_fractions(panel.x, m.x))
    y = m.y if m.coords in ("axes", "x-data") else float(_fractions(y_axis, m.y))
    x0 = x * w + m.offset[0] * PX_PER_PT - {"left": 0.0, "center": 0.5, "right": 1.0}[m.ha] * tw
    y0 = y * h + m.offset[1] * PX_PER_PT - {"bottom": 0.0, "center": 0.5, "top": 1.0}[m.va] * th
    return [x0 / w, y0 / h, (x0 + tw) / w, (y0 + th) / h]


def _covers(box, segs, boxes, w, h) -> bool:
    """Whether ``box`` (fractions) meets a segment (widened by its half width and the
    clearance) or a text box."""
    x0, y0, x1, y1 = box
    if len(boxes) and np.any((boxes[:, 0] < x1) & (boxes[:, 2] > x0) & (boxes[:, 1] < y1)
                             & (boxes[:, 3] > y0)):
        return True
    if not len(segs):
        return False
    s = segs[np.all(np.isfinite(segs), axis=1)]
    grow = s[:, 4] + CLEARANCE
    gx, gy = grow / w, grow / h
    # Liang-Barsky: the part of each segment inside its widened box, if any.
    px, py = s[:, 0], s[:, 1]
    dx, dy = s[:, 2] - px, s[:, 3] - py
    t0, t1 = np.zeros(len(s)), np.ones(len(s))
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, px - (x0 - gx)), (dx, (x1 + gx) - px),
                     (-dy, py - (y0 - gy)), (dy, (y1 + gy) - py)):
            r = q / p
            parallel = p == 0
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
            t1 = np.where(parallel & (q < 0), -1.0, t1)
    return bool(np.any(t0 <= t1))


def legend_spots(figure):
    """The legend location of each panel of ``figure`` (None where it shows none): the
    panel's own location if its box covers no mark there, else the first free spot of
    :data:`SPOTS`, else :data:`OUTSIDE`."""
    rows, cols = np.cumsum(np.r_[0.0, figure.rows]), np.cumsum(np.r_[0.0, figure.cols])
    top = 1.6 * _TITLE_PT * PX_PER_PT if figure.title else 0.0
    out = []
    for p in figure.panels:
        labels = [m.label for m in p.marks if getattr(m, "label", None)
                  and not m.label.startswith("_")]
        if p.legend is None or not labels or p.inset is not None:
            out.append(p.legend)
            continue
        r, c, rs, cs = p.cell
        cell_w = figure.width * (cols[c + cs] - cols[c]) / cols[-1]
        cell_h = (figure.height - top) * (rows[r + rs] - rows[r]) / rows[-1]
        w, h = plot_area(p, cell_w, cell_h)
        lw, lh = legend_size(labels, max(1, p.legend_columns))
        pad = LEGEND["axes_pad"] * LEGEND_PT * PX_PER_PT
        segs, boxes = _obstacles(p, w, h)
        order = [p.legend] if p.legend in SPOTS else []
        order += [s for s in SPOTS if s not in order]
        chosen = OUTSIDE
        for name in order:
            fx, fy = SPOTS[name]
            x0 = pad + fx * (w - lw - 2 * pad)
            y0 = pad + fy * (h - lh - 2 * pad)
            if not _covers((x0 / w, y0 / h, (x0 + lw) / w, (y0 + lh) / h), segs, boxes, w, h):
                chosen = name
                break
        out.append(chosen)
    return out
