"""What a gradient costs: compute and memory against full BPTT, and checkpointing's trade."""

from __future__ import annotations

import numpy as np

from .record import Axis, Figure, Line, Panel, Points, Rects, Rule, Text
from .style import FIGURE_PX, MARK, OKABE_ITO

__all__ = ["cost", "checkpoint_cost", "COST_METRICS"]

COST_METRICS = ("forward steps", "backward steps", "peak stored floats")


def _values(c):
    return np.array([c.forward_steps, c.backward_steps, c.peak_stored_floats], dtype=float)


def cost(cost, reference, *, size=FIGURE_PX):
    """Horizontal bars: ``cost`` relative to ``reference`` (both :class:`bpttviz.Cost`)."""
    cur, ref = _values(cost), _values(reference)
    rel = np.divide(cur, ref, out=np.zeros_like(cur), where=ref > 0)
    y = np.arange(len(COST_METRICS), dtype=float)
    h = 0.38
    xmax = max(2.5, float(np.ceil(rel.max() * 1.45)))        # moves in whole steps
    marks = [Rects(np.zeros(3), np.ones(3), y - 0.2 - h / 2, y - 0.2 + h / 2, OKABE_ITO["sky"],
                   label="full BPTT"),
             Rects(np.zeros(3), rel, y + 0.2 - h / 2, y + 0.2 + h / 2, OKABE_ITO["blue"],
                   label="this schedule"),
             Rule(1.0, "x", OKABE_ITO["black"], 0.8, "dotted")]
    marks += [Text(r, yy + 0.2, f" {v:,.0f}", size=10) for r, yy, v in zip(rel, y, cur)]
    panel = Panel(Axis("relative to full BPTT", (0.0, xmax)),
                  Axis("", (len(y) - 0.5, -0.5), ticks=tuple(y), tick_labels=COST_METRICS),
                  marks, title="Compute and memory", legend="lower right")
    return Figure((panel,), *size)


def checkpoint_cost(m, peak_floats, forward_steps, store_all_floats, store_all_forward, *,
                    size=FIGURE_PX):
    """Memory of one full-BPTT gradient against the checkpoint interval ``m`` (log2 x),
    each point labelled with the forward steps it costs (Chen et al. 2016; Gruslys et al. 2016).

    Parameters
    ----------
    m : array (n,) of int
        Checkpoint intervals, ascending.
    peak_floats, forward_steps : array (n,)
        Measured peak stored floats and forward steps (recomputation included).
    store_all_floats, store_all_forward : float
        The same for the run that keeps every step's cache.
    """
    m = np.asarray(m, dtype=float)
    peak = np.asarray(peak_floats, dtype=float)
    fwd = np.asarray(forward_steps, dtype=float)
    i = int(np.argmin(peak))
    lo_x, hi_x = float(m.min()) / 1.5, float(m.max()) * 1.5
    top = max(float(peak.max()), float(store_all_floats))
    # Whole steps of a quarter of the top's decade: the limits rarely move.
    step = 10.0 ** np.floor(np.log10(top)) / 4
    ylim = (0.0, float(step * np.ceil(top * 2.2 / step)))   # room for the legend
    marks = [Line(np.array([lo_x, hi_x]), np.array([store_all_floats] * 2), MARK, 1.2, "dashed",
                  label="every state's cache kept"),
             Line(m, peak, OKABE_ITO["blue"], marker="o", label="checkpoint every m steps"),
             Points(m[i:i + 1], peak[i:i + 1], OKABE_ITO["vermillion"], 16.0, "*",
                    label="least memory")]
    # Labels a few points above each point: 7 points at 100 dpi, in data units of the axis.
    lift = (ylim[1] - ylim[0]) * 0.035
    marks += [Text(mk, pk + lift, f"{f:.0f}", ha="center", va="bottom", color=OKABE_ITO["blue"],
                   size=9) for mk, pk, f in zip(m, peak, fwd)]
    # Under the legend (top left), in the room above the data: never on a point.
    marks.append(Text(0.02, 0.61, f"numbers: forward steps (kept caches: {store_all_forward:.0f})",
                      "axes", "left", "top", size=9))
    panel = Panel(Axis("checkpoint interval $m$ (steps)", (lo_x, hi_x), "log2"),
                  Axis("peak stored floats", ylim), marks,
                  title="Memory of one gradient, and its price", legend="upper left")
    return Figure((panel,), *size)
