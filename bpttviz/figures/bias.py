"""How far an estimated gradient is from the true one: truncation bias, bias against variance."""

from __future__ import annotations

import numpy as np

from .record import Axis, Figure, Line, Panel, Points, Rule, Text
from .style import FIGURE_PX, MARK, OKABE_ITO, SERIES_COLORS, log_limits, positive, series

__all__ = ["truncation_bias", "bias_variance"]

#: The room above cosine 1 in :func:`bias_variance`, as a fraction of the data's span: the
#: legend's (its three rows take about a third of the panel).
LEGEND_ROOM = 0.75
#: The least distance between two k2 labels, as a fraction of the y axis (an 8-point label is
#: about a twentieth of a panel's height).
LABEL_GAP = 0.07
#: The legend's name of TBPTT's cosine for every k2 (drawn at zero spread: it has none). The
#: legend's two columns fit the panel with names this short.
TBPTT_CURVE = "TBPTT, every k2"
#: The first estimator's marker width (points), and how much smaller each next one is.
MARKER_SIZE, MARKER_STEP = 13.0, 1.5


def _apart(picks, y, gap):
    """The indices of ``picks`` whose ``y`` lies at least ``gap`` from every one kept before
    (labels that would print over each other are left out, the first kept)."""
    kept = []
    for j in picks:
        if np.isfinite(y[j]) and all(abs(y[j] - y[k]) >= gap for k in kept):
            kept.append(int(j))
    return kept


def truncation_bias(k2, cosine, norm_ratio, *, current_k2=None, current_cosine=None,
                    size=FIGURE_PX):
    """Cosine and norm ratio of the truncated gradient to the full one against k2 (n,),
    the ratio on a second, log axis; the current schedule starred."""
    k2 = np.asarray(k2, dtype=float)
    ratio = positive(norm_ratio)
    marks = [Rule(1.0, "y", OKABE_ITO["black"], 0.8, "dotted"),
             Line(k2, np.asarray(cosine, dtype=float), OKABE_ITO["blue"], marker="o",
                  marker_size=4, label="cos(truncated, full)"),
             Line(k2, ratio, OKABE_ITO["orange"], dash="dashed", label="‖truncated‖/‖full‖",
                  axis="y2")]
    if current_k2 is not None:
        marks.append(Rule(float(current_k2), "x", OKABE_ITO["vermillion"], 1.0, "dotted"))
    here = (current_k2 is not None and current_cosine is not None
            and np.isfinite(current_cosine))
    marks.append(Points([current_k2] if here else [], [current_cosine] if here else [],
                        OKABE_ITO["vermillion"], 16.0, "*", label="this schedule"))
    hi = max(float(k2.max()) if k2.size else 1.0, float(current_k2 or 1))
    panel = Panel(Axis("$k_2$ (states each update reaches)", (0.0, hi + 1)),
                  Axis("cosine", (-1.05, 1.1)),
                  marks, title="Truncation bias",
                  y2=Axis("norm ratio", log_limits(ratio, np.ones(1), pad=1.5), "log",
                          color=OKABE_ITO["orange"]),
                  legend="lower right")
    return Figure((panel,), *size)


def bias_variance(spread, mean_cosine, cosine_of_mean, labels, *, curve_k2=None,
                  curve_cosine=None, note="", colors=SERIES_COLORS, size=FIGURE_PX):
    """Mean cosine to the full gradient against its spread over seeds, one point per estimator.

    A biased, deterministic estimator (TBPTT) sits on the left edge below 1; an
    unbiased, noisy one (UORO, randomized truncation) further right, its hollow
    diamond (the mean of its samples) rising to 1 as the samples add up; the
    exact one (RTRL) at (0, 1).

    Parameters
    ----------
    spread, mean_cosine : sequence of float, one per estimator
    cosine_of_mean : sequence of float or None, one per estimator
    labels : sequence of str
    curve_k2, curve_cosine : arrays (K,), optional
        TBPTT's cosine for each k2 (drawn at zero spread, a few k2 labelled).
    """
    n = len(labels)
    spread, mean_cosine = series(spread, n, "spread"), series(mean_cosine, n, "mean_cosine")
    cosine_of_mean = series(cosine_of_mean, n, "cosine_of_mean")
    cos = (np.asarray(curve_cosine, dtype=float) if curve_k2 is not None else np.zeros(0))
    ys = [*cos, *[m for s, m in zip(spread, mean_cosine) if s is not None], *cosine_of_mean]
    ys = np.asarray([y for y in ys if y is not None], dtype=float)
    ys = ys[np.isfinite(ys)]
    lo = float(ys.min()) if ys.size else 0.0
    # Limits in steps of 0.1 so a small change of the data does not move the axes; the top
    # 40% of the panel above 1 is the legend's (two columns, three rows), clear of the data.
    bottom = float(min(np.floor(lo * 10) / 10, 0.9))
    top = 1.0 + LEGEND_ROOM * (1.0 - bottom)
    marks = [Rule(1.0, "y", MARK, 1.0, "dashed")]
    if curve_k2 is not None:
        k2 = np.asarray(curve_k2)
        marks.append(Line(np.zeros_like(cos), cos, "#999999", 1.2, marker="o", marker_size=3,
                          label=TBPTT_CURVE))
        picks = np.unique(np.linspace(0, len(k2) - 1, min(len(k2), 4)).astype(int))
        marks += [Text(0.0, float(cos[j]), f"  k2={int(k2[j])}", ha="left", va="top",
                       color="#555555", size=8)
                  for j in _apart(picks, cos, LABEL_GAP * (top - bottom))]
    else:
        marks.append(Line(np.zeros(0), np.zeros(0), "#999999", 1.2, marker="o", marker_size=3,
                          label=TBPTT_CURVE))
    for i in range(n):
        c = colors[i % len(colors)]
        ok = spread[i] is not None and mean_cosine[i] is not None
        # Each estimator's marker smaller than the one before: where two coincide (a long
        # TBPTT and RTRL at (0, 1)), the one drawn first shows as a ring around the other.
        marks.append(Points([spread[i]] if ok else [], [mean_cosine[i]] if ok else [], c,
                            MARKER_SIZE - MARKER_STEP * i, edge=MARK, edge_width=0.8,
                            label=labels[i]))
        has_mean = cosine_of_mean[i] is not None
        marks.append(Points([0.0] if has_mean else [], [cosine_of_mean[i]] if has_mean else [],
                            c, 9.0, "D", edge_width=2.0, hollow=True))
    marks.append(Points([], [], MARK, 8.0, "D", edge_width=1.5, hollow=True,
                        label="sample mean"))
    if note:
        marks.append(Text(0, 0, note, size=9, box=True, corner="lower right"))
    xs = np.asarray([s for s in spread if s is not None], dtype=float)
    xs = xs[np.isfinite(xs)]
    right = float(xs.max()) if xs.size else 0.0
    panel = Panel(Axis("spread of the cosine over seeds (sd)",
                       (-0.02, max(np.ceil(right * 10) / 10, 0.1) + 0.02)),
                  Axis("mean cosine to the full gradient", (bottom, float(top))),
                  marks, title="Bias against variance", legend="upper center", legend_columns=2)
    return Figure((panel,), *size)
