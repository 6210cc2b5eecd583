"""Curves: norms against the lag, singular values per step, and a few series against x.

Shapes: T steps, S state floats, n points of a series.
"""

from __future__ import annotations

import numpy as np

from .placement import legend_room
from .record import Axis, Band, Figure, Line, Panel, Points, Rule, Text
from .style import (FIGURE_PX, LOG_CEIL, LOG_FLOOR, MARK, OKABE_ITO, SERIES_COLORS, decades,
                    log_limits, positive, series, span, with_room)

__all__ = ["lag_norms", "singular_values", "lines", "lag_profile"]



def lag_profile(M):
    """Statistics of a (T, T) matrix ``M[tau, s]`` along each lag ``tau - s``.

    Returns ``(lags, median, low, high)``, each (T,): over the pairs with
    ``tau - s = lag`` whose value is finite. NaN where none is.
    """
    M = np.asarray(M, dtype=float)
    T = M.shape[0]
    # Row ``lag`` of D holds M's diagonal ``-lag`` (M[lag + i, i]), its finite values sorted
    # first: every lag's statistics at once, the same numbers as np.median, min and max of
    # the finite values, one lag at a time.
    tau, s = np.tril_indices(T)
    D = np.full((T, T), np.nan)
    D[tau - s, s] = np.where(np.isfinite(M[tau, s]), M[tau, s], np.nan)
    D.sort(axis=1)                          # NaN last
    n = np.count_nonzero(~np.isnan(D), axis=1)
    rows, some = np.arange(T), n > 0
    hi_mid, lo_mid = D[rows, n // 2], D[rows, np.maximum(n - 1, 0) // 2]
    median = np.where(some, np.where(n % 2 == 1, hi_mid, (lo_mid + hi_mid) / 2), np.nan)
    low = np.where(some, D[:, 0], np.nan)
    high = np.where(some, D[rows, np.maximum(n - 1, 0)], np.nan)
    return np.arange(T), median, low, high


def lag_norms(lags, median, low, high, bound=None, *, note="", label="‖∂h$_τ$/∂h$_s$‖",
              bound_label="bound $(γσ_{max})^{τ-s}$", size=FIGURE_PX):
    """A per-lag median with its (low, high) band and an optional bound, all (L,), on log y."""
    lags = np.asarray(lags, dtype=float)
    median, low, high = positive(median), positive(low), positive(high)
    marks = [Band(lags, low, high, OKABE_ITO["sky"], 0.35, "min–max over τ"),
             Line(lags, median, OKABE_ITO["blue"], label=f"median {label}")]
    names = [m.label for m in marks] + ([bound_label] if bound is not None else [])
    lo, hi = log_limits(low, high, median)
    if bound is not None:
        b = positive(bound)
        marks.append(Line(lags, b, OKABE_ITO["vermillion"], dash="dashed", label=bound_label))
        finite = b[np.isfinite(b)]
        if finite.size:
            # The bound may run far above the data: follow it only up to 1e6 times the data.
            hi = max(hi, min(finite.max() * 3, hi * 1e6))
            lo = min(lo, finite.min() / 3)
    if note:
        marks.append(Text(0, 0, note, size=10, corner="upper right"))
    # The bottom of the panel is the legend's (lower left): the data keep above it.
    ylim = with_room(max(lo, 1e-300), min(hi, 1e300), legend_room(names, size[1]))
    xmax = max(float(lags[-1]), 1.0) if lags.size else 1.0
    panel = Panel(Axis("lag $τ - s$ (steps)", (0.0, xmax)), Axis("norm", ylim, "log"), marks,
                  title="Gradient norm against lag", legend="lower left")
    return Figure((panel,), *size)


def singular_values(sv, *, size=FIGURE_PX):
    """The singular values ``sv`` (T, S) of each step's Jacobian ``dh_t/dh_{t-1}``, log y.

    Every value as a faint dot, the largest and smallest of each step as lines;
    zeros are left out (they have no place on a log axis).
    """
    sv = positive(sv)
    T, S = sv.shape
    t = np.repeat(np.arange(T), S)
    v = sv.ravel()
    ok = np.isfinite(v)
    finite = np.isfinite(sv)
    any_ok = finite.any(axis=1)
    with np.errstate(all="ignore"):
        top = np.where(any_ok, np.max(np.where(finite, sv, -np.inf), axis=1), np.nan)
        bottom = np.where(any_ok, np.min(np.where(finite, sv, np.inf), axis=1), np.nan)
    steps = np.arange(T)
    marks = [Points(t[ok], v[ok], OKABE_ITO["sky"], 2.45, alpha=0.5, label="all singular values"),
             Line(steps, top, OKABE_ITO["blue"], label="largest"),
             Line(steps, bottom, OKABE_ITO["orange"], label="smallest"),
             Rule(1.0, "y", OKABE_ITO["black"], 1.0, "dotted")]
    # The bottom of the panel is the legend's: the smallest values keep above it.
    shown = np.append(sv[finite], 1.0)
    ylim = with_room(max(shown.min() / 1.5, LOG_FLOOR), min(shown.max() * 1.5, LOG_CEIL),
                     legend_room([m.label for m in marks[:3]], size[1]))
    panel = Panel(Axis("step $t$", (-0.5, T - 0.5)),
                  Axis("singular value", ylim, "log"), marks,
                  title="Singular values of ∂h$_t$/∂h$_{t-1}$", legend="lower left")
    return Figure((panel,), *size)


def lines(x, ys, labels, *, title="", xlabel="", ylabel="", log=True, lows=None, highs=None,
          marks=None, mark="X", refs=None, ref_label=None, baseline=None, baseline_label=None,
          xlim=None, ylim=None, ymax=None, note="", legend="best", room=False,
          colors=SERIES_COLORS, xscale="linear", xticks=None, size=FIGURE_PX):
    """A few series against a common x: training curves, norms against lag, per-step norms.

    Parameters
    ----------
    x : array (n,) or list of arrays, one per series
    ys : list of arrays (n,), one per series (None: a series not shown)
        Non-finite values leave gaps (and, on a log axis, so do values <= 0).
    labels : sequence of str
        Legend label of each series.
    log : bool
        Log-scale y axis (limits then move by three decades at a time).
    lows, highs : list of arrays (n,), optional
        Each series' min..max band.
    marks : list of ``(xs, ys)`` or None, optional
        Points to mark per series (``mark`` is their marker).
    refs : list of float or None, optional
        A horizontal level per series (dotted, in the series' colour); ``ref_label``
        names them in the legend.
    baseline : float, optional
        A level for all (dashed, black), named ``baseline_label`` in the legend.
    xlim, ylim : (float, float), optional
        Fixed limits; by default x spans the data and y the data, the bands and
        the levels (on a log axis widened to whole steps of three decades).
    ymax : float, optional
        Top of the y axis at most (rounded up on a log axis): larger values run
        off the top, and their marks sit on the top edge.
    note : str
        Text in the top right corner (the top left with the legend top right; the figure
        moves it where data come).
    legend : str
        Where the legend is wanted first (:class:`~bpttviz.figures.Panel`).
    room : bool
        Keep the room the legend takes free of data on its side of an automatic log y axis
        (above for a legend wanted at the top, below for one at the bottom).
    xscale : {"linear", "log", "log2"}
        Scale of the x axis.
    xticks : sequence of float, optional
        Fixed x ticks, labelled with their plain values.
    """
    n = len(labels)
    ys, lows, highs = series(ys, n, "ys"), series(lows, n, "lows"), series(highs, n, "highs")
    marks, refs = series(marks, n, "marks"), series(refs, n, "refs")
    xs = list(x) if isinstance(x, (list, tuple)) else [x] * n
    clean = positive if log else (lambda v: np.asarray(v, dtype=float))
    bands, curves, shown_x, shown_y = [], [], [], []
    for i in range(n):
        c = colors[i % len(colors)]
        xi = np.asarray(xs[i], dtype=float)
        yi = clean(ys[i]) if ys[i] is not None else np.zeros(0)
        xi = xi if ys[i] is not None else np.zeros(0)
        curves.append(Line(xi, yi, c, label=labels[i]))
        if ys[i] is not None:
            shown_x.append(xi)
            shown_y.append(yi)
            if lows[i] is not None and highs[i] is not None:
                lo, hi = clean(lows[i]), clean(highs[i])
                bands.append(Band(xi, lo, hi, c, 0.2))
                shown_y += [lo, hi]
    levels = [r for r in refs if r is not None] + ([baseline] if baseline is not None else [])
    if xlim is None:
        finite = np.concatenate([v[np.isfinite(v)] for v in shown_x] or [np.zeros(0)])
        xlim = ((float(finite.min()), float(max(finite.max(), finite.min() + 1)))
                if finite.size else (0.0, 1.0))
    if ylim is None:
        level_arr = np.asarray(levels, dtype=float)
        if log and room and legend.startswith(("upper", "lower")) and (shown_y or levels):
            vals = np.concatenate([positive(v).ravel() for v in [*shown_y, level_arr]])
            vals = vals[np.isfinite(vals)]
            names = [lab for lab in [*labels, baseline_label, ref_label] if lab]
            ylim = with_room(max(vals.min() / 1.5, LOG_FLOOR), min(vals.max() * 1.5, LOG_CEIL),
                             legend_room(names, size[1]), legend.split()[0])
        elif log:
            lo, hi = log_limits(*shown_y, level_arr) if shown_y or levels else (0.1, 10.0)
            ylim = ((max(lo, LOG_FLOOR), min(hi, LOG_CEIL)) if lo < LOG_CEIL
                    else (LOG_CEIL / 1e3, LOG_CEIL))
        else:
            ylim = span(*shown_y, level_arr, pad=0.05)
        if ymax is not None and ylim[1] > ymax:
            top = decades(ymax, ymax)[1] if log else ymax
            ylim = (min(ylim[0], top / 10 if log else top - 1), top)
    out = bands + curves
    for i in range(n):
        c = colors[i % len(colors)]
        if refs[i] is not None:
            out.append(Line(np.asarray(xlim), np.array([refs[i]] * 2), c, 1.2, "dotted"))
    if baseline is not None:
        out.append(Line(np.asarray(xlim), np.array([baseline] * 2), MARK, 1.2, "dashed",
                        label=baseline_label))
    if ref_label:            # a legend entry for the per-series levels
        out.append(Line(np.zeros(0), np.zeros(0), "#777777", 1.2, "dotted", label=ref_label))
    for i in range(n):       # marks beyond the top sit on its edge
        if marks[i] is not None:
            mx, my = (np.asarray(v, dtype=float) for v in marks[i])
            out.append(Points(mx, np.minimum(my, ylim[1]), colors[i % len(colors)], 10.0,
                              marker=mark, edge=MARK, edge_width=1.0))
    if note and not shown_x:
        # A plot with no data yet: its message across the middle, on the side away from the
        # legend, between it and a level near the other edge.
        low = not legend.startswith("lower")
        out.append(Text(0.5, 0.35 if low else 0.65, note, "axes", "center", "center", size=11,
                        box=True))
    elif note:
        # Opposite the legend across the top, so that neither covers the other (the Figure
        # moves it where data come).
        left = legend in ("upper right", "center right", "right")
        out.append(Text(0, 0, note, size=10, box=True,
                        corner="upper left" if left else "upper right"))
    ticks = None if xticks is None else tuple(float(t) for t in xticks)
    labels_x = None if ticks is None else tuple(f"{t:g}" for t in ticks)
    panel = Panel(Axis(xlabel, xlim, xscale, ticks, labels_x), Axis(ylabel, ylim, "log" if log
                                                                     else "linear"),
                  out, title=title, legend=legend)
    return Figure((panel,), *size)
