"""Line figures: norms against lag, singular values per step, and a few series against one x.

* :func:`lag_profile` reduces a (T, T) matrix to statistics per lag ``tau - s``;
  :func:`draw_lag_norms` shows them with the bound of Pascanu et al. (2013).
* :func:`draw_singular_values`: the singular values of each step's Jacobian.
* :func:`draw_lines`: a few series against a common x (training curves, norms
  against lag, Jacobian norms per step), each with an optional band, marks
  and reference level. Artists are never added or removed by an update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .style import (MARK, OKABE_ITO, SERIES_COLORS, log_limits, per_series, positive_or_nan,
                    whole_decades)

__all__ = ["lag_profile", "LagArtists", "draw_lag_norms", "update_lag_norms",
           "SingularValueArtists", "draw_singular_values", "update_singular_values",
           "LinesArtists", "draw_lines", "update_lines"]


def lag_profile(M):
    """Statistics of a (T, T) matrix ``M[tau, s]`` along each lag ``tau - s``.

    Returns ``(lags, median, low, high)``, each (T,): over the pairs with
    ``tau - s = lag`` whose value is finite. NaN where none is.
    """
    M = np.asarray(M, dtype=float)
    T = M.shape[0]
    median, low, high = (np.full(T, np.nan) for _ in range(3))
    for lag in range(T):
        d = np.diagonal(M, -lag)            # M[lag + i, i]
        d = d[np.isfinite(d)]
        if d.size:
            median[lag], low[lag], high[lag] = np.median(d), d.min(), d.max()
    return np.arange(T), median, low, high


# --- gradient norm against lag ------------------------------------------------

@dataclass
class LagArtists:
    """Artists of :func:`draw_lag_norms`."""

    ax: object
    band: object        # FillBetweenPolyCollection, min..max over tau
    median: object      # Line2D
    bound: object       # Line2D, Pascanu et al.'s bound
    note: object        # Text


def draw_lag_norms(ax, *, label="‖∂h$_τ$/∂h$_s$‖",
                   bound_label="bound $(γσ_{max})^{τ-s}$") -> LagArtists:
    """Empty log-scale axes for a norm against the lag ``tau - s`` and its bound."""
    band = ax.fill_between([0, 1], [1, 1], [1, 1], color=OKABE_ITO["sky"], alpha=0.35, lw=0,
                           label="min–max over τ")
    median, = ax.plot([], [], color=OKABE_ITO["blue"], label=f"median {label}")
    bound, = ax.plot([], [], color=OKABE_ITO["vermillion"], ls="--", label=bound_label)
    ax.set_yscale("log")
    ax.set_xlabel("lag $τ - s$ (steps)")
    ax.set_ylabel("norm")
    ax.set_title("Gradient norm against lag")
    ax.legend(loc="lower left", framealpha=0.7, fontsize=9)
    note = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right", va="top", fontsize=10)
    return LagArtists(ax, band, median, bound, note)


def update_lag_norms(artists: LagArtists, lags, median, low, high, bound=None, note=""):
    """Show a per-lag median with its (low, high) band and an optional bound, all (L,)."""
    a = artists
    lags = np.asarray(lags, dtype=float)
    median, low, high = positive_or_nan(median), positive_or_nan(low), positive_or_nan(high)
    ok = np.isfinite(low) & np.isfinite(high)
    a.band.set_data(lags, np.where(ok, low, 1.0), np.where(ok, high, 1.0), where=ok)
    a.median.set_data(lags, median)
    if bound is None:
        a.bound.set_data([], [])
        bound_vals = np.array([])
    else:
        bound_vals = positive_or_nan(bound)
        a.bound.set_data(lags, bound_vals)
    lo, hi = log_limits(low, high, median)
    finite_bound = bound_vals[np.isfinite(bound_vals)]
    if finite_bound.size:
        # The bound may run far above the data: follow it only up to 1e6 times the data.
        hi = max(hi, min(finite_bound.max() * 3, hi * 1e6))
        lo = min(lo, finite_bound.min() / 3)
    a.ax.set_ylim(*whole_decades(max(lo, 1e-300), min(hi, 1e300)))
    a.ax.set_xlim(0, max(lags[-1], 1) if lags.size else 1)
    a.note.set_text(note)
    return a


# --- singular values of the step Jacobians ---------------------------------------

@dataclass
class SingularValueArtists:
    """Artists of :func:`draw_singular_values`."""

    ax: object
    points: object      # PathCollection, every singular value of every step
    top: object         # Line2D, largest per step
    bottom: object      # Line2D, smallest per step


def draw_singular_values(ax) -> SingularValueArtists:
    """Empty log-scale axes for the singular values of ``dh_t/dh_{t-1}`` against t."""
    points = ax.scatter([], [], s=6, color=OKABE_ITO["sky"], alpha=0.5, lw=0,
                        label="all singular values")
    top, = ax.plot([], [], color=OKABE_ITO["blue"], label="largest")
    bottom, = ax.plot([], [], color=OKABE_ITO["orange"], label="smallest")
    ax.axhline(1.0, color=OKABE_ITO["black"], lw=1, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("singular value")
    ax.set_title("Singular values of ∂h$_t$/∂h$_{t-1}$")
    ax.legend(loc="lower left", framealpha=0.7, fontsize=9)
    return SingularValueArtists(ax, points, top, bottom)


def update_singular_values(artists: SingularValueArtists, sv):
    """Show singular values ``sv`` (T, S) of each step's Jacobian (zeros are left out)."""
    a = artists
    sv = positive_or_nan(sv)
    T, S = sv.shape
    t = np.repeat(np.arange(T), S)
    pts = np.column_stack([t, sv.ravel()])
    a.points.set_offsets(pts[np.isfinite(pts[:, 1])])
    with np.errstate(all="ignore"):
        any_ok = np.isfinite(sv).any(axis=1)
        top = np.where(any_ok, np.nanmax(np.where(np.isfinite(sv), sv, -np.inf), axis=1), np.nan)
        bottom = np.where(any_ok, np.nanmin(np.where(np.isfinite(sv), sv, np.inf), axis=1), np.nan)
    a.top.set_data(np.arange(T), top)
    a.bottom.set_data(np.arange(T), bottom)
    lo, hi = log_limits(sv, np.ones(1))
    a.ax.set_ylim(lo, hi)
    a.ax.set_xlim(-0.5, T - 0.5)
    return a


# --- a few series against a common x ------------------------------------------------

LOG_FLOOR, LOG_CEIL = 1e-200, 1e200     # log axes stay inside: wider, their ticks overflow


@dataclass
class LinesArtists:
    """Artists of :func:`draw_lines`: one entry per series in each list."""

    ax: object
    lines: list         # Line2D per series
    bands: list         # FillBetweenPolyCollection per series (min..max), or None
    marks: list         # Line2D per series: markers at given points (e.g. where a run stopped)
    refs: list          # Line2D per series: a horizontal level (e.g. its clip threshold)
    baseline: object    # Line2D: a horizontal level common to all series
    note: object        # Text, top right
    log: bool


def draw_lines(ax, labels, *, title="", xlabel="", ylabel="", log=True, bands=False,
               colors=SERIES_COLORS, mark="X", baseline_label=None, legend_loc="best",
               ref_label=None) -> LinesArtists:
    """Empty axes for ``len(labels)`` series against a common x.

    Parameters
    ----------
    labels : sequence of str
        Legend label of each series.
    log : bool
        Log-scale y axis (limits then move by three decades at a time).
    bands : bool
        Give each series a min..max band (:func:`update_lines` ``lows``/``highs``).
    mark : str
        Marker of the points given as ``marks`` to :func:`update_lines`.
    baseline_label, ref_label : str, optional
        Legend entries of the common level and of the per-series levels.
    """
    lines, band_list, marks, refs = [], [], [], []
    for i, label in enumerate(labels):
        c = colors[i % len(colors)]
        band = (ax.fill_between([0, 1], [1, 1], [1, 1], color=c, alpha=0.2, lw=0)
                if bands else None)
        line, = ax.plot([], [], color=c, label=label)
        m, = ax.plot([], [], ls="none", marker=mark, ms=10, color=c, mec=MARK, mew=1, zorder=6)
        ref, = ax.plot([], [], color=c, lw=1.2, ls=":")
        lines.append(line)
        band_list.append(band)
        marks.append(m)
        refs.append(ref)
    baseline, = ax.plot([], [], color=MARK, lw=1.2, ls="--", label=baseline_label or "_baseline")
    if ref_label:
        ax.plot([], [], color="#777777", lw=1.2, ls=":", label=ref_label)
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc=legend_loc, framealpha=0.8, fontsize=9)
    note = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right", va="top", fontsize=10,
                   bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))
    return LinesArtists(ax, lines, band_list, marks, refs, baseline, note, log)


def update_lines(artists: LinesArtists, x, ys, *, lows=None, highs=None, marks=None, refs=None,
                 baseline=None, xlim=None, ylim=None, ymax=None, note=""):
    """Show the series ``ys`` against ``x``.

    Parameters
    ----------
    x : array (n,) or list of arrays, one per series
    ys : list of arrays (n,), one per series (None hides a series)
        Non-finite values leave gaps (and, on a log axis, so do values <= 0).
    lows, highs : list of arrays (n,), optional
        Each series' band (for axes drawn with ``bands=True``).
    marks : list of ``(xs, ys)`` or None, optional
        Points to mark per series.
    refs : list of float or None, optional
        A horizontal level per series (dotted, in the series' colour).
    baseline : float, optional
        A horizontal level for all (dashed, black).
    xlim, ylim : (float, float), optional
        Fixed limits; by default x spans the data and y the data, the bands
        and the levels (on a log axis widened to whole steps of three decades).
    ymax : float, optional
        Top of the y axis at most (rounded up on a log axis): larger values
        run off the top, and their marks sit on the top edge. Keeps an
        exploding series from squashing the others.
    note : str
        Text in the top right corner.
    """
    a = artists
    n = len(a.lines)
    ys, lows, highs = per_series(ys, n), per_series(lows, n), per_series(highs, n)
    marks, refs = per_series(marks, n), per_series(refs, n)
    xs = list(x) if isinstance(x, (list, tuple)) else [x] * n
    clean = positive_or_nan if a.log else (lambda v: np.asarray(v, dtype=float))
    shown_y, shown_x = [], []
    for i in range(n):
        xi = np.asarray(xs[i], dtype=float)
        if ys[i] is None:
            a.lines[i].set_data([], [])
            if a.bands[i] is not None:
                a.bands[i].set_visible(False)
            continue
        yi = clean(ys[i])
        a.lines[i].set_data(xi, yi)
        shown_x.append(xi)
        shown_y.append(yi)
        if a.bands[i] is not None:
            if lows[i] is None or highs[i] is None:
                a.bands[i].set_visible(False)
            else:
                lo, hi = clean(lows[i]), clean(highs[i])
                ok = np.isfinite(lo) & np.isfinite(hi)
                a.bands[i].set_data(xi, np.where(ok, lo, 1.0), np.where(ok, hi, 1.0), where=ok)
                a.bands[i].set_visible(bool(ok.any()))
                shown_y += [lo, hi]
    levels = []
    for i in range(n):
        if marks[i] is None:
            a.marks[i].set_data([], [])
        else:
            a.marks[i].set_data(*marks[i])
        if refs[i] is None:
            a.refs[i].set_data([], [])
        else:
            levels.append(refs[i])
    if baseline is not None:
        levels.append(baseline)
    # The x range first, so that levels span it.
    if xlim is None:
        finite = np.concatenate([v[np.isfinite(v)] for v in shown_x] or [np.zeros(0)])
        xlim = (float(finite.min()), float(max(finite.max(), finite.min() + 1))) if finite.size \
            else (0.0, 1.0)
    for i in range(n):
        if refs[i] is not None:
            a.refs[i].set_data(xlim, [refs[i]] * 2)
    if baseline is None:
        a.baseline.set_data([], [])
    else:
        a.baseline.set_data(xlim, [baseline] * 2)
    a.ax.set_xlim(*xlim)
    if ylim is None:
        level_arr = np.asarray(levels, dtype=float)
        if a.log:
            lo, hi = log_limits(*shown_y, level_arr) if shown_y or levels else (0.1, 10.0)
            # Beyond about 1e200 the log locator's ticks themselves overflow float64.
            ylim = (max(lo, LOG_FLOOR), min(hi, LOG_CEIL)) if lo < LOG_CEIL else (LOG_CEIL / 1e3,
                                                                                   LOG_CEIL)
        else:
            vals = np.concatenate([v.ravel() for v in shown_y] + [level_arr])
            vals = vals[np.isfinite(vals)]
            lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
            pad = 0.05 * (hi - lo) if hi > lo else 0.5
            ylim = (lo - pad, hi + pad)
        if ymax is not None and ylim[1] > ymax:
            top = whole_decades(ymax, ymax)[1] if a.log else ymax
            ylim = (min(ylim[0], top / 10 if a.log else top - 1), top)
    a.ax.set_ylim(*ylim)
    for i in range(n):           # marks beyond the top sit on its edge
        if marks[i] is not None:
            mx, my = (np.asarray(v, dtype=float) for v in marks[i])
            a.marks[i].set_data(mx, np.minimum(my, ylim[1]))
    a.note.set_text(note)
    return a

