"""Gradient flow heatmaps: how much each loss's error reaches each earlier state.

``flow[tau, s] = ||d loss_tau / d h_s||`` on a log colour scale; rows are
losses ``tau`` (bottom to top), columns states ``s``. Cells with ``s > tau``
mean nothing (a loss does not depend on later states) and are blank;
non-finite cells (an overflow) get the vermillion "over" colour.
"""

from __future__ import annotations

import numpy as np

from .record import Axis, ColourScale, Figure, Heatmap, Mask, Panel, Rule, Text
from .style import EMPTY, FIGURE_PX, HUGE, MAGNITUDE_CMAP, OVERFLOW, decades

__all__ = ["flow", "flow_panels", "flow_range", "FLOW_TITLE"]

FLOW_TITLE = "Gradient flow ‖∂loss$_τ$/∂h$_s$‖"


def flow_range(flows):
    """``(vmin, vmax)``: whole decades spanning the positive finite lower triangles of
    ``flows`` (one colour scale for several heatmaps)."""
    vals = []
    for f in flows:
        f = np.asarray(f, dtype=float)
        below = np.tril(np.ones(f.shape, dtype=bool))
        v = f[below & np.isfinite(f) & (f > 0)]
        if v.size:
            vals.append(v)
    if not vals:
        return 1e-3, 1.0
    v = np.concatenate(vals)
    vmax = min(float(v.max()), HUGE)
    vmin = max(float(v.min()), vmax * 1e-16)          # below float64's epsilon: rounding noise
    vmin, vmax = decades(vmin, vmax)                    # the colour bar moves by whole decades
    vmin, vmax = max(vmin, 1e-300), min(vmax, HUGE)
    return (vmin, vmax) if vmin < vmax else (vmax / 10, vmax * 10)


def _cells(flow, vmin):
    """The heatmap's values: the lower triangle, exact zeros at the darkest colour,
    overflow as +inf (the "over" colour), the rest NaN (blank)."""
    flow = np.array(flow, dtype=float)
    T = flow.shape[0]
    below = np.tril(np.ones((T, T), dtype=bool))
    finite = np.isfinite(flow)
    shown = flow.copy()
    shown[below & finite & (shown <= vmin)] = vmin
    shown[below & ~finite] = np.inf
    shown[~below] = np.nan
    return shown, below


def _overflow_marks(step, T, label=True):
    if step is None:
        return []
    marks = [Rule(step, "x", OVERFLOW, 1.5, "dashed"), Rule(step, "y", OVERFLOW, 1.5, "dashed")]
    if label:
        marks.append(Text(0.02, 0.97, f"overflow from step {step}", "axes", "left", "top",
                          OVERFLOW, 10, box=True))
    return marks


def flow(flow, *, kept=None, overflow_step=None, title=FLOW_TITLE, size=FIGURE_PX):
    """Heatmap of a (T, T) flow matrix on a log colour scale.

    ``kept`` (T, T) bool whitens the pairs a truncation schedule drops;
    ``overflow_step`` draws a cross-hair where values stopped being finite.
    """
    f = np.asarray(flow, dtype=float)
    T = f.shape[0]
    vmin, vmax = flow_range([f])
    shown, below = _cells(f, vmin)
    ext = (-0.5, T - 0.5, -0.5, T - 0.5)
    marks = [Heatmap(shown, ext, ColourScale(MAGNITUDE_CMAP, "log", vmin, vmax, bad=EMPTY,
                                             over=OVERFLOW, extend="max"))]
    if kept is not None:
        marks.append(Mask(below & ~np.asarray(kept, dtype=bool), ext, label=None))
    marks += _overflow_marks(overflow_step, T)
    panel = Panel(Axis("state $s$ (step)", ext[:2]), Axis("loss $τ$ (step)", ext[2:]),
                  marks, title=title)
    return Figure((panel,), *size)


def flow_panels(flows, titles, *, overflow_steps=None, label="‖∂loss$_τ$/∂h$_s$‖",
                size=(875, 300)):
    """Flow heatmaps side by side on one log colour scale (its bar beside the last)."""
    flows = [np.asarray(f, dtype=float) for f in flows]
    if len(titles) != len(flows):
        raise ValueError(f"The 'titles' must have one entry per flow ({len(flows)}). "
                         f"Got {len(titles)} instead.")
    steps = list(overflow_steps) if overflow_steps is not None else [None] * len(flows)
    vmin, vmax = flow_range(flows)
    panels = []
    n = len(flows)
    for i, (f, title, step) in enumerate(zip(flows, titles, steps)):
        T = f.shape[0]
        shown, _ = _cells(f, vmin)
        ext = (-0.5, T - 0.5, -0.5, T - 0.5)
        scale = ColourScale(MAGNITUDE_CMAP, "log", vmin, vmax, bad=EMPTY, over=OVERFLOW,
                            extend="max", label=label, colorbar=i == n - 1)
        marks = [Heatmap(shown, ext, scale)] + _overflow_marks(step, T, label=False)
        panels.append(Panel(Axis("state $s$", ext[:2]),
                            Axis("loss $τ$" if i == 0 else "", ext[2:]),
                            marks, title=title, cell=(0, i, 1, 1)))
    # The last column is wider by the colour bar's room, so the heatmaps come out alike.
    cols = tuple([1.0] * (n - 1) + [1.3])
    return Figure(tuple(panels), *size, cols=cols)
