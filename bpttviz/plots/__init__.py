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

#: Names this module had when it drew onto Matplotlib axes itself, and what replaced them:
#: code written for them gets an error that says what to call instead.
_MOVED = {"lag_profile": "bpttviz.figures.lag_profile", "unrolled_frames":
          "bpttviz.figures.unrolled_frames", "OKABE_ITO": "bpttviz.figures.OKABE_ITO",
          "SERIES_COLORS": "bpttviz.figures.SERIES_COLORS", "MAGNITUDE_CMAP":
          "bpttviz.figures.MAGNITUDE_CMAP", "SIGNED_CMAP": "bpttviz.figures.SIGNED_CMAP"}
_FAMILIES = {"flow", "lag_norms", "singular_values", "schedule", "truncation_bias", "cost",
             "unrolled", "lines", "reach", "checkpoint_cost", "flow_panels", "cliff",
             "bias_variance"}


def __getattr__(name):
    family = name.split("_", 1)[1] if name.startswith(("draw_", "update_")) else None
    if family in _FAMILIES:
        raise AttributeError(
            f"bpttviz.plots.{name} was replaced: build the figure as a record with "
            f"bpttviz.figures.{family}(...) and draw it with bpttviz.plots.draw(record) "
            f"(a matplotlib Figure) or save it with bpttviz.plots.save(record, path).")
    if name in _MOVED:
        raise AttributeError(f"bpttviz.plots.{name} moved to {_MOVED[name]}.")
    raise AttributeError(f"module 'bpttviz.plots' has no attribute {name!r}")
