"""Bias against variance of gradient estimators (lesson 7).

:func:`draw_bias_variance`: each estimator's mean cosine to the full
gradient against its spread over seeds, with truncated BPTT's curve over k2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .style import MARK, SERIES_COLORS, per_series

__all__ = ["BiasVarianceArtists", "draw_bias_variance", "update_bias_variance"]


@dataclass
class BiasVarianceArtists:
    """Artists of :func:`draw_bias_variance`: one entry per estimator in each list."""

    ax: object
    points: list        # Line2D per estimator: (spread, mean cosine), filled
    means: list         # Line2D per estimator: (0, cosine of the mean of the samples), hollow
    curve: object       # Line2D: TBPTT over every k2 (zero spread)
    curve_labels: list  # Text pool: a few k2 values along the curve
    note: object


def draw_bias_variance(ax, labels, colors=SERIES_COLORS) -> BiasVarianceArtists:
    """Empty axes for the mean cosine to the full gradient against its spread over seeds.

    A biased, deterministic estimator (TBPTT) sits on the left edge below 1; an
    unbiased, noisy one (UORO, randomized truncation) further right, its hollow
    marker (the mean of its samples) rising to 1 as the samples add up; the
    exact one (RTRL) at (0, 1).
    """
    points, means = [], []
    curve, = ax.plot([], [], color="#999999", lw=1.2, marker="o", ms=3,
                     label="TBPTT, every k2 (no spread)")
    for i, label in enumerate(labels):
        c = colors[i % len(colors)]
        p, = ax.plot([], [], ls="none", marker="o", ms=10, color=c, mec=MARK, mew=0.8,
                     label=label, zorder=5)
        m, = ax.plot([], [], ls="none", marker="D", ms=9, mfc="none", mec=c, mew=2, zorder=6)
        points.append(p)
        means.append(m)
    ax.plot([], [], ls="none", marker="D", ms=8, mfc="none", mec=MARK, mew=1.5,
            label="mean of the samples")
    ax.axhline(1.0, color=MARK, lw=1, ls="--")
    curve_labels = [ax.text(0, 0, "", fontsize=8, color="#555555", ha="left", va="top")
                    for _ in range(4)]
    ax.set_title("Bias against variance")
    ax.set_xlabel("spread of the cosine over seeds (sd)")
    ax.set_ylabel("mean cosine to the full gradient")
    # Upper centre: the points gather near x = 0 (deterministic) and low down (noisy).
    ax.legend(loc="upper center", framealpha=0.8, fontsize=8, ncol=2)
    note = ax.text(0.98, 0.03, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=9,
                   bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))
    return BiasVarianceArtists(ax, points, means, curve, curve_labels, note)


def update_bias_variance(artists: BiasVarianceArtists, spread, mean_cosine, cosine_of_mean,
                         curve_k2=None, curve_cosine=None, note=""):
    """Show one point per estimator and the TBPTT curve over k2.

    Parameters
    ----------
    spread, mean_cosine : sequence of float, one per estimator
    cosine_of_mean : sequence of float or None, one per estimator
        Cosine of the mean of the samples (None: no hollow marker).
    curve_k2, curve_cosine : arrays (K,), optional
        TBPTT's cosine for each k2 (drawn at zero spread).
    """
    a = artists
    n = len(a.points)
    spread, mean_cosine = per_series(spread, n), per_series(mean_cosine, n)
    cosine_of_mean = per_series(cosine_of_mean, n)
    ys = []
    for i in range(n):
        a.points[i].set_data([spread[i]], [mean_cosine[i]])
        ys.append(mean_cosine[i])
        if cosine_of_mean[i] is None:
            a.means[i].set_data([], [])
        else:
            a.means[i].set_data([0.0], [cosine_of_mean[i]])
            ys.append(cosine_of_mean[i])
    for t in a.curve_labels:
        t.set_text("")
    if curve_k2 is None:
        a.curve.set_data([], [])
    else:
        k2, cos = np.asarray(curve_k2), np.asarray(curve_cosine, dtype=float)
        a.curve.set_data(np.zeros_like(cos), cos)
        ys += list(cos)
        picks = np.unique(np.linspace(0, len(k2) - 1, min(len(k2), len(a.curve_labels)))
                          .astype(int))
        for t, j in zip(a.curve_labels, picks):
            if np.isfinite(cos[j]):
                t.set_position((0.0, cos[j]))
                t.set_text(f"  k2={int(k2[j])}")
    ys = np.asarray([y for y in ys if y is not None], dtype=float)
    ys = ys[np.isfinite(ys)]
    lo = float(ys.min()) if ys.size else 0.0
    # Limits in steps of 0.1 so a small change of the data does not move the axes.
    bottom = min(np.floor(lo * 10) / 10, 0.9)
    a.ax.set_ylim(bottom, 1.0 + 0.45 * (1.0 - bottom))      # room for the legend above 1
    xs = np.asarray([s for s in spread if s is not None], dtype=float)
    xs = xs[np.isfinite(xs)]
    top = float(xs.max()) if xs.size else 0.0
    a.ax.set_xlim(-0.02, max(np.ceil(top * 10) / 10, 0.1) + 0.02)
    a.note.set_text(note)
    return a
