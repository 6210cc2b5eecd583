"""What every figure of the lessons shares: colours, sizes, the figure itself, log-scale limits.

Colours are colour-blind safe: viridis for magnitudes (Nuñez, Anderton &
Renslow 2018 compare it with cividis; both are perceptually uniform), PuOr
for signed values (a ColorBrewer scheme marked colour-blind safe) and the
Okabe & Ito (2008) palette for lines. Sizes follow :data:`PROJECTOR_RC`.

Log-scale limits snap to whole decades (in steps of three) so that they
rarely move while a slider moves the data a little: the axes' ticks, most of
the cost of drawing a figure, then stay as they are (:mod:`.blit`).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

__all__ = ["OKABE_ITO", "MAGNITUDE_CMAP", "SIGNED_CMAP", "EMPTY", "OVERFLOW", "HUGE", "MARK",
           "SERIES_COLORS", "PROJECTOR_RC", "projector_style", "new_figure", "freeze_layout",
           "whole_decades", "positive_or_nan", "log_limits", "per_series"]

# Okabe & Ito (2008), "Color universal design": distinguishable with any colour vision.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
MAGNITUDE_CMAP = "viridis"
SIGNED_CMAP = "PuOr"
EMPTY = "#eeeeee"                      # cells with no meaning (s > tau)
OVERFLOW = OKABE_ITO["vermillion"]     # inf / NaN
HUGE = 1e280    # top of a log colour scale: the colour bar's extension must stay below 1.8e308
#: Colours of up to four series, in order (Okabe & Ito 2008).
SERIES_COLORS = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"])
MARK = OKABE_ITO["black"]       # markers and reference levels drawn over the series

# Readable from the back of a lecture hall on a 1280x720 projector.
PROJECTOR_RC = {
    "font.size": 12,
    "axes.titlesize": 13,
    # A fixed title height: an automatic one measures every tick label at each draw.
    "axes.titley": 1.0,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "axes.prop_cycle": cycler(color=[OKABE_ITO[k] for k in
                                     ("blue", "orange", "green", "vermillion", "purple", "sky")]),
}


def projector_style():
    """Context manager applying :data:`PROJECTOR_RC` (use it around ``draw_*``)."""
    return mpl.rc_context(PROJECTOR_RC)


def new_figure(width_px: int, height_px: int) -> Figure:
    """A figure of the given size in pixels (at 100 dpi) with constrained layout.

    Sizes that are multiples of 25 px give a canvas of whole pixels.

    A plain :class:`~matplotlib.figure.Figure`: not registered with pyplot,
    so building many never leaks and never shows anything by itself.
    """
    return Figure(figsize=(width_px / 100, height_px / 100), dpi=100, layout="constrained")


def freeze_layout(fig):
    """Lay ``fig`` out once with its layout engine, then keep the axes where they are.

    Constrained layout measures every text of the figure, as a draw does; a
    figure whose labels keep their size between updates needs it only once.
    """
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def whole_decades(lo, hi, step=3):
    """``(lo, hi)`` widened to powers of ten whose exponents are multiples of ``step``.

    Coarse steps keep log-scale limits still while a slider moves the data a little.
    """
    return (10.0 ** (step * np.floor(np.log10(lo) / step)),
            10.0 ** (step * np.ceil(np.log10(hi) / step)))


def positive_or_nan(a):
    """Float copy of ``a`` with non-finite and non-positive entries as NaN (for log axes)."""
    a = np.array(a, dtype=float)
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def log_limits(*arrays, pad=1.5, floor=1e-300, ceil=1e300):
    """(lo, hi) spanning the finite positive values of ``arrays``, padded by a factor
    and widened to whole decades."""
    vals = np.concatenate([positive_or_nan(a).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return 0.1, 10.0
    lo, hi = whole_decades(max(vals.min() / pad, floor), min(vals.max() * pad, ceil))
    return (lo, hi) if hi > lo else (lo / 10, lo * 10)


def per_series(values, n):
    """``values`` as a list of ``n`` entries (None for a missing one)."""
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"Expected one entry per series ({n}). Got {len(values)} instead.")
    return values
