"""A lesson's figures in the page: a live figure each, what it shows, marks over it, downloads.

Each figure is one widget, its live figure: it carries the figure's classes in the page
(``bpttviz-figure``, ``bpttviz-figure-<name>``, ``bpttviz-figure-wide`` for a wide one),
which the layout's style sheet (:mod:`.projector`) sizes, and draws its own save buttons
(:class:`.FigureSaver` answers them).

:class:`FigurePanel` keeps, per figure, the record the lesson last rendered
and the marks drawn over it (a guided step's), and sends a live figure a
record only when what the page would show changes: the same record object
again costs nothing, an equal one costs a comparison, never a message.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..figures import Figure, records_equal
from ..upstream.ipywidgets_classes import classed
from .downloads import FigureSaver
from .live import LiveFigure

__all__ = ["FigurePanel"]


class FigurePanel:
    """The live figures of a lesson, their records, overlays and save buttons.

    Parameters
    ----------
    names : tuple of str
        The figures, in the order shown.
    wide : tuple of str
        Those that take a row of their own.
    stem : str
        Download names start with it (``bpttviz-<page slug>``).
    on_error : callable
        ``on_error(action, exc)``: how a failed download is shown.
    owner : str
        Who has these figures, for messages.

    Attributes
    ----------
    figures : dict of str -> LiveFigure
    records : dict of str -> Figure
        What each figure shows, as the lesson last rendered it (marks of :attr:`overlays`
        come on top: ``figures[name].record`` is what the page shows).
    overlays : dict of str -> tuple
        ``{name: ((panel, mark), ...)}`` drawn over a figure's record.
    savers : dict of str -> FigureSaver
    """

    def __init__(self, names, wide, stem: str, on_error, owner: str):
        self.names, self.wide, self.owner = tuple(names), tuple(wide), owner
        self.figures = {name: classed(LiveFigure, "bpttviz-figure", f"bpttviz-figure-{name}",
                                      *(("bpttviz-figure-wide",) if name in self.wide else ()),
                                      saveable=True)
                        for name in self.names}
        self.records = {}
        self.overlays = {}
        self._sent = {}             # name -> (record, overlay) last sent
        self.savers = {name: FigureSaver(lambda fig=fig: fig.record, f"{stem}-{name}", on_error,
                                         figure=fig)
                       for name, fig in self.figures.items()}

    def show(self, records: dict) -> list:
        """Show each ``{name: record}`` (with its overlay); return the names whose page figure
        changed. ``ValueError``/``TypeError`` for an unknown name or a record that is no
        :class:`~bpttviz.figures.Figure`, before anything is shown."""
        unknown = set(records) - set(self.figures)
        if unknown:
            raise ValueError(f"{self.owner} has no figure {', '.join(sorted(unknown))}; "
                             f"its figures are {', '.join(self.figures)}.")
        for name, record in records.items():
            if not isinstance(record, Figure):
                raise TypeError(f"A live figure shows a bpttviz.figures.Figure. Got "
                                f"{type(record).__name__} instead for figure {name!r}.")
        self.records.update(records)
        return [name for name in records if self._show(name)]

    def set_overlay(self, name: str, marks=()) -> bool:
        """Draw ``marks`` (``(panel, mark)`` pairs) over figure ``name`` until set again;
        True when the page's figure changed."""
        self.overlays[name] = tuple(marks)
        return self._show(name)

    def _show(self, name) -> bool:
        """Send figure ``name``'s record, with its overlay, unless the page shows it already."""
        record = self.records.get(name)
        if record is None:
            return False
        overlay = self.overlays.get(name, ())
        sent = self._sent.get(name)
        if sent is not None and sent[0] is record and sent[1] is overlay:
            return False                    # the same record, the same marks: nothing new
        self._sent[name] = (record, overlay)
        for panel, mark in overlay:
            record = record.with_mark(panel, mark)
        live = self.figures[name]
        if live.record is not None and records_equal(record, live.record):
            return False
        live.show(record)
        return True

    def set_scale(self, scale: float):
        """Draw every figure ``scale`` times bigger (type, lines and size)."""
        for fig in self.figures.values():
            fig.scale = scale

    def box(self, name):
        """A figure's place in the page: its live figure, which carries the figure's classes
        and draws its text alternative and its save buttons."""
        return self.figures[name]

    def grid(self):
        """The figures, two per row where two fit, else one (the style sheet of
        :mod:`.projector` sizes them)."""
        area = classed(widgets.HBox, "bpttviz-figures",
                       children=[self.box(name) for name in self.names])
        return area
