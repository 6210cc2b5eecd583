"""Matplotlib, the renderer of the lessons' figures for files: static figures, downloads, docs.

Every lesson figure is first a value, a :class:`bpttviz.figures.Figure`
record that says what it shows (:mod:`bpttviz.figures`: NumPy only). In the
page, the browser draws that record (:mod:`bpttviz.app.live`); here
Matplotlib draws the same record, so a figure is written once and a
download shows what the page showed::

    from bpttviz import bptt, figures, plots
    fig = plots.draw(figures.flow(bptt(model, x, y).flow))   # a matplotlib Figure
    plots.save(figures.flow(trace.flow), "flow.svg", "svg")

Sizes follow :data:`STYLE` (readable from the back of a lecture hall);
``scale=1.2`` draws type, lines and the figure 1.2 times bigger (projector
mode).
"""

from .render import FORMATS, STYLE, draw, save

__all__ = ["draw", "save", "STYLE", "FORMATS"]
