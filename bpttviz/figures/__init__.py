"""The lessons' figures as values (NumPy only): what each figure shows, not how it is drawn.

Each function turns numbers from the engine or the diagnostics into a
:class:`~bpttviz.figures.record.Figure`: panels with axes and marks, limits
decided here once. Two renderers read the same record: Matplotlib
(:func:`bpttviz.plots.draw`, :func:`bpttviz.plots.save`: static figures and
downloads) and the page's live figure widget (:mod:`bpttviz.app.live`), so a
figure is written once and the download always shows what the page shows.

A static figure in a notebook::

    from bpttviz import bptt, figures, plots
    trace = bptt(model, x, y)
    plots.draw(figures.flow(trace.flow))
"""

from .bias import bias_variance, truncation_bias
from .landscape import cliff
from .costs import COST_METRICS, checkpoint_cost, cost
from .curves import lag_norms, lag_profile, lines, singular_values
from .heatmaps import FLOW_TITLE, flow, flow_panels, flow_range
from .network import phase, unrolled, unrolled_frames
from .scatter import CLASS_POINTS_PX, class_points
from .record import (MARK_TYPES, MARKS, Axis, Band, ColourScale, Figure, Heatmap, Line, Mask,
                     Panel, Points, Rects, Rule, Segments, Text, records_equal)
from .style import (FIGURE_PX, MAGNITUDE_CMAP, OKABE_ITO, SERIES_COLORS, SIGNED_CMAP, decades,
                    log_limits, positive)
from .timelines import reach, schedule

__all__ = [
    "Figure", "Panel", "Axis", "ColourScale", "Line", "Band", "Points", "Rects", "Segments",
    "Heatmap", "Mask", "Rule", "Text", "MARKS", "MARK_TYPES", "records_equal",
    "flow", "flow_panels", "flow_range", "FLOW_TITLE", "lag_norms", "lag_profile",
    "singular_values", "lines", "schedule", "reach", "truncation_bias", "bias_variance", "cost",
    "checkpoint_cost", "COST_METRICS", "cliff", "unrolled", "unrolled_frames", "phase",
    "class_points", "CLASS_POINTS_PX",
    "OKABE_ITO", "SERIES_COLORS", "MAGNITUDE_CMAP", "SIGNED_CMAP", "FIGURE_PX", "decades",
    "log_limits", "positive",
]
