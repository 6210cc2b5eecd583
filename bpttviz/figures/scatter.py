"""A class experiment's figure: one point per student's page, a setting against a result.

The lecturer's class view draws it with the lessons' own renderer (the page's live figure
code), as the lessons draw theirs; Matplotlib draws the same record for a file.
"""

from __future__ import annotations

import numpy as np

from .record import Axis, Figure, Panel, Points
from .style import OKABE_ITO, log_limits, span

__all__ = ["class_points", "CLASS_POINTS_PX"]

#: The figure's size (pixels at 100 dpi): wide enough for a projector's row of points.
CLASS_POINTS_PX = (760, 380)
#: A result axis is logarithmic when its positive values span more than this ratio.
_LOG_RATIO = 100.0


def class_points(x, y, *, xlabel: str, ylabel: str, title: str = "The class's results"):
    """The class's points, ``y[i]`` against ``x[i]`` (one a page; pairs with a value that is
    not finite are left out), the y axis logarithmic when every value is positive and they
    span more than a hundredfold.

    Parameters
    ----------
    x, y : array_like of float, the same length
    xlabel, ylabel : str
        What each axis shows (a setting's or a result's name).
    title : str, optional
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"class_points needs as many x as y values. Got {x.size} x and "
                         f"{y.size} y values instead.")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    log = bool(y.size and np.all(y > 0) and y.max() / y.min() > _LOG_RATIO)
    xlim = span(x, default=(0.0, 1.0), pad=0.08)
    ylim = log_limits(y) if log else span(y, default=(0.0, 1.0), pad=0.08)
    marks = (Points(x, y, color=OKABE_ITO["blue"], size=11.0, edge="#ffffff",
                    edge_width=1.0),) if x.size else ()
    panel = Panel(x=Axis(xlabel, xlim), y=Axis(ylabel, ylim, scale="log" if log else "linear"),
                  marks=marks, title=title)
    return Figure(panels=(panel,), width=CLASS_POINTS_PX[0], height=CLASS_POINTS_PX[1])
