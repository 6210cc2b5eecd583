"""Where a figure's legends, notes and a step's labels go, chosen from the data: the first
place where their box covers no mark and no other text.

A record names where each legend and note is, and both renderers follow it; so the place is
chosen here, from the record alone, with the metrics both renderers lay text out with.
:class:`~bpttviz.figures.record.Figure` calls :func:`notes_placed`, then :func:`legend_spots`
for its panels (the spot or corner a builder names is tried first); a guided step asks
:func:`first_clear` where its label goes.

The rule, in pixels at 100 dpi:

* A legend is laid out as Matplotlib lays it out, and the page's renderer (``figure.js``,
  its ``LEGEND``) copies: type of :data:`LEGEND_PT` points; entries filled column by
  column; in units of the type's size (:data:`LEGEND`), a border pad of 0.4 round the
  entries, handles 2.0 long and 0.8 from their text, rows 1.12 high and 0.5 apart, columns
  2.0 apart, the box 0.5 from the plot area's frame at one of :data:`SPOTS`.
* A text is as wide as DejaVu Sans sets it (the font both renderers use first;
  ``glyphs.json`` keeps its advance widths as data) times :data:`TEXT_SLACK`, sub- and
  superscripts at 0.7 of the size; a line is 1.2 of the size high.
* The plot area is its cell less the margins figure.js gives the panel's title, ticks,
  labels and colour bar (its ``panelMargins``, ticks chosen as its ``ticksOf`` chooses
  them), times :data:`AREA_SLACK` for Matplotlib's constrained layout (:func:`plot_area`).
  A box estimated in the panel's fractions on that area holds the box either renderer
  draws on its larger one (tests/test_label_overlap.py checks Matplotlib's).
* A box covers a mark when, widened by the mark's half width and :data:`CLEARANCE`, it meets
  one of the mark's points or segments (lines, points, segments, rules), or meets another
  text's box. Bands, heatmaps, masks and rectangles fill areas a builder arranges its legend
  over (the legend's box is translucent), and a box must lie inside the plot area.
* When no spot is free the legend goes outside the axes (:data:`OUTSIDE`): figure.js puts it
  right of the panel's plot area, Matplotlib right of the figure's (the same for a figure of
  one panel); a note that fits nowhere is written on two or three lines (:func:`wrapped`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["LEGEND_PT", "LEGEND", "SPOTS", "OUTSIDE", "NOTE_SPOTS", "NOTE_ANCHORS",
           "legend_spots", "note_spot", "legend_size", "legend_room", "text_width", "text_size",
           "plot_area", "cell_sizes", "wrapped", "notes_placed", "first_clear"]

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
#: The share of figure.js' plot area that Matplotlib's constrained layout leaves at least (a
#: twin axis or a colour bar takes it a few pixels more).
AREA_SLACK = 0.97
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
    return TEXT_SLACK * _ems(str(text)) * size_pt * PX_PER_PT


@lru_cache(maxsize=4096)
def _ems(text: str) -> float:
    """How many ems ``text`` is wide; kept, since a figure built again at each move of a
    slider names the same labels and ticks."""
    widths = _glyphs()
    return sum(scale * sum(widths.get(ch, 1.0) for ch in s) for s, scale in _runs(text))


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
    plot_h = AREA_SLACK * (height - (_TITLE_PT * pt * 1.5 + 4.0)
                           - (7.5 + 1.4 * (_TICK_PT + _LABEL_PT) * pt))
    pad = LEGEND["axes_pad"] * LEGEND_PT * pt
    need = legend_size(labels, columns)[1] + pad + CLEARANCE + marker * pt / 2
    return min(need / plot_h, 0.9)


class _ScaleAxis:
    """What :func:`_tick_width` reads of an axis, for a colour bar's scale."""

    def __init__(self, limits, scale):
        self.limits, self.scale = limits, scale
        self.ticks = self.tick_labels = None
        self.integer = False


def _nice_step(span: float, n: int) -> float:
    raw = span / max(n, 1)
    mag = 10.0 ** np.floor(np.log10(raw))
    return next((m * mag for m in (1, 2, 2.5, 5) if m * mag >= raw * 0.999), 10 * mag)


def _tick_label(v: float, step: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-4:
        e = int(np.floor(np.log10(abs(v))))
        return f"{round(v / 10 ** e, 2):g}e{e}"
    decimals = max(0, min(6, -int(np.floor(np.log10(step) + 1e-9))))
    decimals += 1 if "25" in f"{step:g}" else 0
    text = f"{v:.{0 if step % 1 == 0 else decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _tick_width(axis, length_px: float) -> float:
    """The width in pixels of an axis' widest tick label, its ticks chosen as figure.js
    chooses them (``ticksOf``: about one per 39 pixels of a vertical axis, round steps, log
    axes by decades) for an axis ``length_px`` long, or Matplotlib's plain number where it
    is wider."""
    if axis.ticks is not None:
        labels = axis.tick_labels or [f"{t:g}" for t in axis.ticks]
        return max([text_width(t, _TICK_PT) for t in labels] or [0.0])
    lo, hi = sorted(axis.limits)
    want = max(2, int(length_px // (28 * _TICK_PT / 11 * PX_PER_PT)))
    if axis.scale != "linear":
        base = 10 if axis.scale == "log" else 2
        exps = [np.ceil(np.log(lo) / np.log(base) - 1e-9), np.floor(np.log(hi) / np.log(base))]
        return max(text_width(f"${base}^{{{e:.0f}}}$", _TICK_PT) for e in exps)
    step = _nice_step(hi - lo, want)
    if axis.integer:
        step = max(1.0, round(step))
    ticks = np.arange(np.ceil(lo / step - 1e-9), np.floor(hi / step + 1e-9) + 1) * step
    # figure.js writes 1e5 and beyond with an exponent; Matplotlib in full up to a million.
    labels = [_tick_label(float(t), step) for t in ticks]
    labels += [f"{t:.6g}" for t in ticks if 1e5 <= abs(t) < 1e6]
    return max([text_width(t, _TICK_PT) for t in labels] or [0.0])


def plot_area(panel, cell_w: float, cell_h: float):
    """``(width, height)`` in pixels that a panel's plot area keeps at least, in a cell of
    ``cell_w`` x ``cell_h`` pixels: the cell less the margins figure.js gives its title,
    ticks, labels and colour bar (``panelMargins``), times :data:`AREA_SLACK` for
    Matplotlib's layout."""
    pt, pad = PX_PER_PT, 4.0
    tick, label = _TICK_PT * pt, _LABEL_PT * pt
    left = top = bottom = 2 * pad
    right = 3 * pad
    height = 0.65 * cell_h          # figure.js' guess of the plot's height for its ticks
    if panel.frame and panel.y.visible:
        left = (2.5 * pad + 3.5 + _tick_width(panel.y, height)
                + (1.3 * label if panel.y.label else 0))
    if panel.frame and panel.x.visible:
        bottom = pad + 3.5 + 1.4 * tick + (1.4 * label if panel.x.label else 0)
        right = max(right, pad + _tick_width(panel.x, 0.0) / 2)
    if panel.y2 is not None:        # Matplotlib pads a twin axis' labels a little more
        right = (2.5 * pad + 3.5 + _tick_width(panel.y2, height) + 3 * pad
                 + (1.3 * label if panel.y2.label else 0))
    heat = [m for m in panel.marks if type(m).__name__ == "Heatmap" and m.scale.colorbar]
    if heat:
        sc = heat[0].scale
        bar = _ScaleAxis((-sc.vmax, sc.vmax) if sc.norm == "centered" else (sc.vmin, sc.vmax),
                         "log" if sc.norm == "log" else "linear")
        right = (5 * pad + 12.0 + 3.5 + _tick_width(bar, height)
                 + (1.3 * label if sc.label else 0))
    if panel.y_side == "right":
        left, right = right, left
    if panel.title:
        size = panel.title_size or _TITLE_PT
        lines = 1 + int(text_width(panel.title, size) > cell_w - 4)
        top = size * pt * (1.25 * lines + 0.25) + pad
    return (max(AREA_SLACK * (cell_w - left - right), 1.0),
            max(AREA_SLACK * (cell_h - top - bottom), 1.0))


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
    """What a box must not cover: ``(segments, boxes)`` in the panel's fractions, segments
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


def text_size(text: str, size_pt: float, box: bool = False):
    """``(width, height)`` in pixels of ``text`` (lines split at newlines) set in ``size_pt``
    points, with the white box a note may have."""
    lines = text.split("\n")
    extra = 6.0 if box else 0.0
    return (max(text_width(t, size_pt) for t in lines) + extra,
            len(lines) * 1.2 * size_pt * PX_PER_PT + extra)


def _text_box(panel, m, w, h):
    """A Text mark's box in the panel's fractions (its anchor, alignment and offset)."""
    tw, th = text_size(m.text, m.size, m.box or bool(m.edge))
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


def _labels(panel):
    return [m.label for m in panel.marks if getattr(m, "label", None)
            and not m.label.startswith("_")]


def _spot_box(name, w, h, bw, bh, pad):
    """The box (fractions) of a ``bw`` x ``bh`` pixel box at spot ``name``, ``pad`` pixels
    from the frame of a ``w`` x ``h`` plot area."""
    fx, fy = SPOTS[name]
    x0 = pad + fx * (w - bw - 2 * pad)
    y0 = pad + fy * (h - bh - 2 * pad)
    return x0 / w, y0 / h, (x0 + bw) / w, (y0 + bh) / h


def _legend_box(panel, w, h, name):
    """The legend's box (fractions) at spot ``name``, or None when the panel shows none."""
    labels = _labels(panel)
    if panel.legend is None or not labels or name not in SPOTS:
        return None
    lw, lh = legend_size(labels, max(1, panel.legend_columns))
    return _spot_box(name, w, h, lw, lh, LEGEND["axes_pad"] * LEGEND_PT * PX_PER_PT)


def _free(panel, w, h, spots, avoid=()):
    """The first of ``spots`` (name -> box in fractions, in the order tried) whose box lies
    inside the plot area and covers no mark of ``panel`` nor a box of ``avoid`` (fractions),
    or None."""
    segs, boxes = _obstacles(panel, w, h)
    boxes = np.concatenate([boxes, np.array(avoid, dtype=float).reshape(-1, 4)])
    for name, (x0, y0, x1, y1) in spots.items():
        inside = x0 >= 0 and y0 >= 0 and x1 <= 1 and y1 <= 1
        if inside and not _covers((x0, y0, x1, y1), segs, boxes, w, h):
            return name
    return None


def cell_sizes(figure):
    """``(width, height)`` in pixels of each panel's cell in ``figure``."""
    rows, cols = np.cumsum(np.r_[0.0, figure.rows]), np.cumsum(np.r_[0.0, figure.cols])
    top = 1.6 * _TITLE_PT * PX_PER_PT if figure.title else 0.0
    out = []
    for p in figure.panels:
        r, c, rs, cs = p.cell
        out.append((figure.width * (cols[c + cs] - cols[c]) / cols[-1],
                    (figure.height - top) * (rows[r + rs] - rows[r]) / rows[-1]))
    return out


def legend_spots(figure):
    """The legend location of each panel of ``figure`` (None where it shows none): the
    panel's own location if its box covers no mark there, else the first free spot of
    :data:`SPOTS`, else :data:`OUTSIDE`."""
    out = []
    for p, (cell_w, cell_h) in zip(figure.panels, cell_sizes(figure)):
        labels = _labels(p)
        if p.legend is None or not labels or p.inset is not None:
            out.append(p.legend)
            continue
        w, h = plot_area(p, cell_w, cell_h)
        lw, lh = legend_size(labels, max(1, p.legend_columns))
        order = [p.legend] if p.legend in SPOTS else []
        order += [s for s in SPOTS if s not in order]
        pad = LEGEND["axes_pad"] * LEGEND_PT * PX_PER_PT
        out.append(_free(p, w, h, {s: _spot_box(s, w, h, lw, lh, pad) for s in order})
                   or OUTSIDE)
    return out


#: The corners a note is written in, in the order they are tried by default.
NOTE_SPOTS = ("upper right", "upper left", "lower right", "lower left")
#: A note's anchor and alignment at each corner: ``(x, y, ha, va)`` in the panel's fractions.
NOTE_ANCHORS = {"upper right": (0.98, 0.97, "right", "top"),
                "upper left": (0.02, 0.97, "left", "top"),
                "lower right": (0.98, 0.03, "right", "bottom"),
                "lower left": (0.02, 0.03, "left", "bottom")}


def wrapped(text: str, lines: int = 2) -> str:
    """``text`` on ``lines`` lines of about equal length, split at the spaces outside
    ``$...$`` nearest each share of its length (fewer lines where it has fewer spaces;
    itself when it holds a newline already)."""
    if "\n" in text:
        return text
    spaces, math = [], False
    for i, ch in enumerate(text):
        math ^= ch == "$"
        if ch == " " and not math:
            spaces.append(i)
    cuts = sorted({min(spaces, key=lambda k: abs(k - j * len(text) / lines))
                   for j in range(1, lines)} if spaces else set())
    out = list(text)
    for i in cuts:
        out[i] = "\n"
    return "".join(out)


def note_spot(panel, text, size_pt, box, cell_size, order=NOTE_SPOTS):
    """``(corner, text)``: where a note goes and how it is written. The first corner of
    ``order`` where ``text`` (``size_pt`` points, with a white box or not) covers no mark of
    ``panel`` and not its legend where the panel wants it; else the same on two lines
    or three (:func:`wrapped`); else the first corner where it covers no mark, on one line,
    two or three; else the first corner. ``cell_size``: the (width, height) in pixels of the
    panel's cell."""
    w, h = plot_area(panel, *cell_size)
    legend = _legend_box(panel, w, h, panel.legend)
    tries = [[legend] if legend else [], []]
    for avoid in tries:
        for t in dict.fromkeys((text, wrapped(text), wrapped(text, 3))):
            bw, bh = text_size(t, size_pt, box)
            spots = {}
            for name in order:
                x, y, ha, va = NOTE_ANCHORS[name]
                x0 = x * w - {"left": 0.0, "right": 1.0}[ha] * bw
                y0 = y * h - {"bottom": 0.0, "top": 1.0}[va] * bh
                spots[name] = (x0 / w, y0 / h, (x0 + bw) / w, (y0 + bh) / h)
            spot = _free(panel, w, h, spots, avoid)
            if spot is not None:
                return spot, t
    return order[0], text


def notes_placed(figure):
    """The panels of ``figure`` with each note (a Text mark with a ``corner``) in the corner
    :func:`note_spot` finds for it: its own corner first, then :data:`NOTE_SPOTS`."""
    out = []
    for p, (cell_w, cell_h) in zip(figure.panels, cell_sizes(figure)):
        marks = list(p.marks)
        for i, m in enumerate(marks):
            if getattr(m, "corner", None) is None:
                continue
            others = replace(p, marks=tuple(marks[:i] + marks[i + 1:]))
            order = (m.corner,) + tuple(c for c in NOTE_SPOTS if c != m.corner)
            corner, text = note_spot(others, m.text, m.size, m.box or bool(m.edge),
                                     (cell_w, cell_h), order)
            if (corner, text) != (m.corner, m.text):
                marks[i] = replace(m, corner=corner, text=text)
        out.append(p if marks == list(p.marks) else replace(p, marks=tuple(marks)))
    return out


def first_clear(figure, panel: int, texts, marks=()):
    """The first of ``texts`` (Text marks: one label written in different places) that lies
    inside the plot area of panel ``panel`` of ``figure`` and covers no mark, no text and not
    the legend there, with ``marks`` drawn too; else the first that covers no text and not the
    legend (a label beside its point may cross a line); else the first."""
    p = figure.panels[panel]
    p = replace(p, marks=p.marks + tuple(marks))
    w, h = plot_area(p, *cell_sizes(figure)[panel])
    legend = _legend_box(p, w, h, p.legend)
    segs, boxes = _obstacles(p, w, h)
    if legend:
        boxes = np.concatenate([boxes, np.array([legend])])
    for lines in (segs, segs[:0]):
        for t in texts:
            x0, y0, x1, y1 = _text_box(p, t, w, h)
            if (x0 >= 0 and y0 >= 0 and x1 <= 1 and y1 <= 1
                    and not _covers((x0, y0, x1, y1), lines, boxes, w, h)):
                return t
    return texts[0]
