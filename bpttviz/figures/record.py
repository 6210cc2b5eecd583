"""Figures as values: what a lesson figure shows, independent of who draws it.

A :class:`Figure` is a small immutable record: panels, each with its axes
(label, linear or log scale, limits, optional fixed ticks) and its marks
(lines, bands, points, rectangles, segments, heatmaps, masks, rules, texts).
Arrays are NumPy arrays; nothing here draws. Two renderers read the same
record: Matplotlib (:mod:`bpttviz.plots`: files, static figures, downloads)
and the page's live figure widget (:mod:`bpttviz.app.live`). Text
alternatives are computed from it too, so they never disagree with what is
shown.

Limits are decided here, by the function that builds the record, never by a
renderer: both renderers then show the same window on the data.

Text may hold Matplotlib's math subset between dollar signs: ``$h_{t-1}$``,
``$k_2$``, ``$\\tanh$``, ``$10^{3}$`` (both renderers understand sub- and
superscripts and a few names).

Colours are ``"#rrggbb"`` strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from .placement import NOTE_ANCHORS, OUTSIDE, SPOTS, legend_spots, notes_placed

__all__ = ["Axis", "ColourScale", "Line", "Band", "Points", "Rects", "Segments", "Heatmap",
           "Mask", "Rule", "Text", "Panel", "Figure", "MARKS", "MARK_TYPES", "records_equal"]


def _array(a, dtype=float):
    """A read-only NumPy array (records are values: nobody changes them after the fact)."""
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


def _colours(c):
    """One colour string, or a read-only array of them (one per item)."""
    if c is None or isinstance(c, str):
        return c
    return tuple(c)


@dataclass(frozen=True)
class Axis:
    """One axis of a panel.

    ``limits`` is ``(start, end)``; ``end < start`` runs the axis backwards
    (update 0 at the top). ``ticks`` (with optional ``tick_labels``) fixes the
    ticks; otherwise each renderer picks round values inside the limits
    (``integer`` keeps them whole).
    """

    label: str = ""
    limits: tuple = (0.0, 1.0)
    scale: str = "linear"          # "linear", "log" (base 10) or "log2"
    ticks: tuple | None = None
    tick_labels: tuple | None = None
    integer: bool = False
    color: str | None = None        # of the label and tick labels (a twin axis' colour)
    visible: bool = True

    def __post_init__(self):
        if self.scale not in ("linear", "log", "log2"):
            raise ValueError(f"Axis scale must be 'linear', 'log' or 'log2'. Got {self.scale!r} "
                             f"instead.")
        lo, hi = (float(v) for v in self.limits)
        object.__setattr__(self, "limits", (lo, hi))
        if self.ticks is not None:
            object.__setattr__(self, "ticks", tuple(float(t) for t in self.ticks))
        if self.tick_labels is not None:
            object.__setattr__(self, "tick_labels", tuple(str(t) for t in self.tick_labels))


@dataclass(frozen=True)
class ColourScale:
    """How a heatmap's values become colours, and its colour bar.

    ``norm``: ``"log"``, ``"linear"`` or ``"centered"`` (diverging around 0,
    from ``-vmax`` to ``vmax``). Values above ``vmax`` get ``over``, NaN gets
    ``bad``, infinities ``over`` too (an overflow is a value, not a hole).
    """

    cmap: str = "viridis"
    norm: str = "linear"
    vmin: float = 0.0
    vmax: float = 1.0
    bad: str = "#eeeeee"
    over: str | None = None
    label: str = ""
    colorbar: bool = True
    extend: str = "neither"         # "max": the colour bar shows the over colour as a triangle


@dataclass(frozen=True)
class Line:
    x: np.ndarray
    y: np.ndarray
    color: str = "#0072B2"
    width: float = 2.2
    dash: str = "solid"             # "solid", "dashed", "dotted"
    marker: str | None = None       # as Points.marker
    marker_size: float = 7.0
    halo: str | None = None         # an outline of this colour under the line
    label: str | None = None
    axis: str = "y"                 # "y" or "y2"

    def __post_init__(self):
        object.__setattr__(self, "x", _array(self.x))
        object.__setattr__(self, "y", _array(self.y))


@dataclass(frozen=True)
class Band:
    """Filled between ``low`` and ``high`` over ``x``; NaN in either leaves a gap."""

    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    color: str = "#56B4E9"
    alpha: float = 0.35
    label: str | None = None
    axis: str = "y"

    def __post_init__(self):
        for name in ("x", "low", "high"):
            object.__setattr__(self, name, _array(getattr(self, name)))


@dataclass(frozen=True)
class Points:
    """Markers: ``"o"``, ``"s"``, ``"v"``, ``"*"``, ``"X"``, ``"D"``; ``size`` is the
    marker's width in points; ``fill=None`` draws it hollow. ``color`` and ``edge``
    may give one colour per point."""

    x: np.ndarray
    y: np.ndarray
    color: object = "#0072B2"
    size: object = 7.0
    marker: str = "o"
    edge: object = None
    edge_width: object = 0.0
    hollow: bool = False
    alpha: float = 1.0
    label: str | None = None
    axis: str = "y"

    def __post_init__(self):
        object.__setattr__(self, "x", _array(self.x))
        object.__setattr__(self, "y", _array(self.y))
        object.__setattr__(self, "color", _colours(self.color))
        object.__setattr__(self, "edge", _colours(self.edge))
        if not np.isscalar(self.size):
            object.__setattr__(self, "size", _array(self.size))
        if not np.isscalar(self.edge_width):
            object.__setattr__(self, "edge_width", _array(self.edge_width))


@dataclass(frozen=True)
class Rects:
    """Axis-aligned rectangles (bars, spans): ``[x0, x1] x [y0, y1]`` each."""

    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    color: object = "#0072B2"
    alpha: float = 1.0
    edge: object = None
    edge_width: float = 0.0
    label: str | None = None
    axis: str = "y"

    def __post_init__(self):
        for name in ("x0", "x1", "y0", "y1"):
            object.__setattr__(self, name, _array(getattr(self, name)))
        object.__setattr__(self, "color", _colours(self.color))
        object.__setattr__(self, "edge", _colours(self.edge))


@dataclass(frozen=True)
class Segments:
    """Straight segments from ``(x0, y0)`` to ``(x1, y1)``; ``arrow`` puts a head at the end.

    ``shrink`` (points) stops each segment short of both ends (arrows between nodes).
    """

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    color: object = "#56B4E9"
    width: object = 2.0
    dash: str = "solid"
    arrow: bool = False
    shrink: float = 0.0
    label: str | None = None
    axis: str = "y"

    def __post_init__(self):
        for name in ("x0", "y0", "x1", "y1"):
            object.__setattr__(self, name, _array(getattr(self, name)))
        object.__setattr__(self, "color", _colours(self.color))
        if not np.isscalar(self.width):
            object.__setattr__(self, "width", _array(self.width))


@dataclass(frozen=True)
class Heatmap:
    """``values`` (rows, cols) over ``extent`` = (x0, x1, y0, y1); row 0 at y0 (bottom)."""

    values: np.ndarray
    extent: tuple
    scale: ColourScale = field(default_factory=ColourScale)

    def __post_init__(self):
        object.__setattr__(self, "values", _array(self.values))
        object.__setattr__(self, "extent", tuple(float(v) for v in self.extent))


@dataclass(frozen=True)
class Mask:
    """Cells where ``where`` (rows, cols) is true are covered in ``color`` at ``alpha``."""

    where: np.ndarray
    extent: tuple
    color: str = "#ffffff"
    alpha: float = 0.78
    label: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "where", _array(self.where, dtype=bool))
        object.__setattr__(self, "extent", tuple(float(v) for v in self.extent))


@dataclass(frozen=True)
class Rule:
    """A horizontal (``axis="y"`` or ``"y2"``) or vertical (``"x"``) line across the panel."""

    value: float
    axis: str = "y"
    color: str = "#000000"
    width: float = 1.0
    dash: str = "dotted"
    label: str | None = None


@dataclass(frozen=True)
class Text:
    """Text at ``(x, y)``: in data (``coords="data"``), in panel fractions (``"axes"``), or
    ``"x-data"`` (x in data, y in fractions) and ``"y-data"`` (y in data, x in fractions);
    then moved by ``offset`` points. Lines are separated by newlines.

    A note names a ``corner`` of the panel instead ("upper right", "upper left", "lower
    right", "lower left"), which sets its place and alignment; the :class:`Figure` moves it
    to another corner, or onto two or three lines, where it would cover a mark or the legend
    (:func:`~.placement.notes_placed`).
    """

    x: float
    y: float
    text: str
    coords: str = "data"
    ha: str = "left"               # "left", "center", "right"
    va: str = "center"             # "top", "center", "bottom"
    color: str = "#000000"
    size: float = 10.0
    box: bool = False              # a white box under the text
    axis: str = "y"
    offset: tuple = (0.0, 0.0)     # points, right and up
    edge: str | None = None        # the box's outline
    corner: str | None = None      # a note's corner (its place, chosen by the Figure)

    def __post_init__(self):
        if self.corner is not None:
            if self.corner not in NOTE_ANCHORS:
                raise ValueError(f"A note's corner must be one of {', '.join(NOTE_ANCHORS)}. "
                                 f"Got {self.corner!r} instead.")
            x, y, ha, va = NOTE_ANCHORS[self.corner]
            for name, v in (("x", x), ("y", y), ("ha", ha), ("va", va), ("coords", "axes")):
                object.__setattr__(self, name, v)
        if self.coords not in ("data", "axes", "x-data", "y-data"):
            raise ValueError(f"Text coords must be 'data', 'axes', 'x-data' or 'y-data'. "
                             f"Got {self.coords!r} instead.")


#: Every mark type by name: the one table that the renderers (Matplotlib's drawers in
#: bpttviz.plots, figure.js's DRAWERS in the page), the text alternatives and the page's encoder
#: dispatch through. The name is the mark's ``type`` in the page's JSON. A new mark type is its
#: record class here, a drawer in each renderer and, if it says something, a description
#: (tests/test_mark_table.py checks that none is missing).
MARKS = {kind.__name__: kind for kind in (Line, Band, Points, Rects, Segments, Heatmap, Mask,
                                          Rule, Text)}
MARK_TYPES = tuple(MARKS.values())


@dataclass(frozen=True)
class Panel:
    """One set of axes with its marks, drawn in order (later on top).

    ``cell`` = (row, col, rowspan, colspan) in the figure's grid. ``legend``
    is where the legend is wanted first ("upper left", "lower right", "upper center", ...
    of :data:`~bpttviz.figures.placement.SPOTS`, or "best": no preference); the
    :class:`Figure` moves it where it covers no mark (:mod:`~bpttviz.figures.placement`),
    outside the axes (``"outside right"``) when no spot inside is free, so a figure's
    record names the place both renderers draw it. The legend lists marks with a label, in
    order. ``frame=False`` hides both axes and the frame (a diagram).
    """

    x: Axis = field(default_factory=Axis)
    y: Axis = field(default_factory=Axis)
    marks: tuple = ()
    title: str = ""
    y2: Axis | None = None
    legend: str | None = None
    legend_columns: int = 1
    frame: bool = True
    cell: tuple = (0, 0, 1, 1)
    name: str = ""
    #: ``(panel, x0, y0, width, height)``: drawn inside panel number ``panel`` of the figure,
    #: at that rectangle in its axes fractions (an inset; ``cell`` is then unused).
    inset: tuple | None = None
    y_side: str = "left"            # where the y axis' ticks and label go
    title_size: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "marks", tuple(self.marks))
        if self.legend is not None and self.legend not in (*SPOTS, "best", OUTSIDE):
            raise ValueError(f"A panel's legend must be one of {', '.join(SPOTS)}, 'best', "
                             f"{OUTSIDE!r} or None. Got {self.legend!r} instead.")
        for m in self.marks:
            if not isinstance(m, MARK_TYPES):
                raise TypeError(f"A panel's marks must be {', '.join(t.__name__ for t in MARK_TYPES)}."
                                f" Got {type(m).__name__} instead.")



@dataclass(frozen=True)
class Figure:
    """A figure: panels on a grid, its size in pixels (at 100 dpi) and its title.

    Each panel's notes and legend are placed here, from the data
    (:func:`~.placement.notes_placed`, :func:`~.placement.legend_spots`).
    """

    panels: tuple
    width: int = 425
    height: int = 300
    rows: tuple = (1.0,)            # relative heights of the grid's rows
    cols: tuple = (1.0,)            # relative widths of its columns
    title: str = ""

    def __post_init__(self):
        object.__setattr__(self, "panels", tuple(self.panels))
        object.__setattr__(self, "panels", tuple(notes_placed(self)))
        object.__setattr__(self, "panels", tuple(
            p if s == p.legend else replace(p, legend=s)
            for p, s in zip(self.panels, legend_spots(self))))

    def with_mark(self, panel: int, mark) -> "Figure":
        """This figure with ``mark`` drawn last in panel ``panel`` (a guided step's marker)."""
        panels = list(self.panels)
        panels[panel] = replace(panels[panel], marks=panels[panel].marks + (mark,))
        return replace(self, panels=tuple(panels))


def records_equal(a, b) -> bool:
    """Whether two records show the same thing (arrays compared by value, NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(records_equal(x, y) for x, y in zip(a, b))
    if hasattr(a, "__dataclass_fields__"):
        return all(records_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b
