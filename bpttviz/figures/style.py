"""Colours and limits shared by every figure record.

Colours are colour-blind safe: viridis for magnitudes (Nuñez, Anderton &
Renslow 2018), PuOr for signed values (a ColorBrewer scheme marked
colour-blind safe) and the Okabe & Ito (2008) palette for series.

Limits are chosen here, once, for both renderers. Log-scale limits snap to
whole decades in steps of three, so that a slider that moves the data a
little leaves the axes where they are: the eye follows the data, not the
ticks.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["OKABE_ITO", "SERIES_COLORS", "MAGNITUDE_CMAP", "SIGNED_CMAP", "EMPTY", "OVERFLOW",
           "MARK", "GREY", "HUGE", "LOG_FLOOR", "LOG_CEIL", "FIGURE_PX", "decades", "positive",
           "log_limits", "with_room", "span", "series", "colormap"]

# Okabe & Ito (2008), "Color universal design": distinguishable with any colour vision.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: Colours of up to four series, in order.
SERIES_COLORS = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"])
MAGNITUDE_CMAP = "viridis"
SIGNED_CMAP = "PuOr"
EMPTY = "#eeeeee"                      # cells with no meaning (s > tau)
OVERFLOW = OKABE_ITO["vermillion"]     # inf / NaN
MARK = OKABE_ITO["black"]
GREY = "#9a9a9a"
#: Top of a log colour scale: a colour bar's extension must stay below 1.8e308.
HUGE = 1e280
#: Log axes stay inside these: beyond about 1e200 tick positions themselves overflow.
LOG_FLOOR, LOG_CEIL = 1e-200, 1e200
#: A lesson figure's size in pixels: two side by side beside the controls fit 1280 pixels.
FIGURE_PX = (425, 300)


def decades(lo, hi, step=3):
    """``(lo, hi)`` widened to powers of ten whose exponents are multiples of ``step``."""
    return (10.0 ** (step * np.floor(np.log10(lo) / step)),
            10.0 ** (step * np.ceil(np.log10(hi) / step)))


def positive(a):
    """Float copy of ``a`` with non-finite and non-positive entries as NaN (for log axes)."""
    a = np.array(a, dtype=float)
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def log_limits(*arrays, pad=1.5, floor=1e-300, ceil=1e300):
    """(lo, hi) spanning the finite positive values of ``arrays``, padded by a factor
    and widened to whole decades."""
    vals = np.concatenate([positive(a).ravel() for a in arrays] or [np.zeros(0)])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return 0.1, 10.0
    lo, hi = decades(max(vals.min() / pad, floor), min(vals.max() * pad, ceil))
    return (lo, hi) if hi > lo else (lo / 10, lo * 10)


def with_room(lo, hi, share, side="lower", scale="log"):
    """Limits for data from ``lo`` to ``hi`` with the ``share`` of the axis beyond them on
    ``side`` ("lower" or "upper") left empty: room for a legend. On a log axis, whole decades
    in steps of three (:func:`decades`); on a linear one the data's ends (``hi < lo`` runs the
    axis backwards, its lower side at ``lo``)."""
    if scale != "log":
        d = (hi - lo) * share / (1 - share)
        return (lo - d, hi) if side == "lower" else (lo, hi + d)
    a, b = decades(lo, hi)
    while True:
        free = np.log10(lo / a) if side == "lower" else np.log10(b / hi)
        if free >= share * np.log10(b / a) or a < 1e-300 or b > 1e300:
            return a, b
        a, b = (a / 1e3, b) if side == "lower" else (a, b * 1e3)


def span(*arrays, default=(0.0, 1.0), pad=0.0):
    """(lo, hi) of the finite values of ``arrays`` (``default`` when there are none),
    widened by ``pad`` times the range on each side (0.5 each side when the range is 0)."""
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays] or [np.zeros(0)])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return default
    lo, hi = float(vals.min()), float(vals.max())
    if hi <= lo:
        return lo - 0.5, hi + 0.5
    d = pad * (hi - lo)
    return lo - d, hi + d


def series(values, n, name="values"):
    """``values`` as a list of ``n`` entries (None for a missing one)."""
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"The {name!r} must have one entry per series ({n}). "
                         f"Got {len(values)} instead.")
    return values


@lru_cache(maxsize=None)
def colormap(name: str) -> np.ndarray:
    """The 256 colours of colour map ``name`` as (256, 3) bytes: Matplotlib's, kept as data
    (``colormaps.json``) so that a page can be coloured without importing Matplotlib.

    Raises ``ValueError`` naming the colour maps shipped for any other name.
    """
    data = json.loads(resources.files(__package__).joinpath("colormaps.json").read_text())
    maps = data["colormaps"]
    if name not in maps:
        raise ValueError(f"The colour map must be one of {', '.join(sorted(maps))}. "
                         f"Got {name!r} instead.")
    lut = np.frombuffer(bytes.fromhex(maps[name]), dtype=np.uint8).reshape(256, 3)
    lut.setflags(write=False)
    return lut
