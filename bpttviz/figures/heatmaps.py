"""Gradient flow heatmaps: how much each loss's error reaches each earlier state.

``flow[tau, s] = ||d loss_tau / d h_s||`` on a log colour scale; rows are
losses ``tau`` (bottom to top), columns states ``s``. Cells with ``s > tau``
mean nothing (a loss does not depend on later states) and are blank;
non-finite cells (an overflow) get the vermillion "over" colour. The row of a
step without a target (NaN in ``trace.flow``) is blank too, in the same
colour, with a legend entry: there is no loss there, and the darkest colour
would say its gradient had vanished.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_int, describe
from .record import Axis, ColourScale, Figure, Heatmap, Mask, Panel, Rule, Text
from .style import EMPTY, FIGURE_PX, HUGE, MAGNITUDE_CMAP, OVERFLOW, decades

__all__ = ["flow", "flow_panels", "flow_range", "no_target_rows", "FLOW_TITLE", "NO_LOSS"]

FLOW_TITLE = "Gradient flow ‖∂loss$_τ$/∂h$_s$‖"
#: The legend entry of the rows of losses without a target.
NO_LOSS = "no loss at this step"


def no_target_rows(flow, carries=None):
    """``(flow, absent)``: ``flow`` (T, T) as floats with the rows of the losses that carry no
    target NaN, and those losses, (T,) bool.

    ``carries`` (T,) bool says which losses carry one (``trace.carries``). Without it, the
    rows NaN at every state, as ``trace.flow`` leaves them: an overflow leaves NaN up to the
    diagonal only, zeros beyond it. The last row has no cell beyond it, so when a loss that
    exists overflowed, its NaN is taken for the overflow too (``carries`` tells them apart).
    """
    f = np.array(flow, dtype=float)
    T = f.shape[0]
    if carries is None:
        absent = np.isnan(f).all(axis=1)
        below = np.tril(np.ones(f.shape, dtype=bool))
        if (~np.isfinite(f) & below)[~absent].any():
            absent[-1] = False
    else:
        carries = np.asarray(carries)
        if carries.shape != (T,):
            raise ValueError(f"The 'carries' of a flow heatmap must have shape (T,) = ({T},), "
                             f"one entry per loss. Got shape {carries.shape} instead.")
        absent = ~carries.astype(bool)
    f[absent] = np.nan
    return f, absent


#: What a flow heatmap draws, as its error messages say it.
FLOW_MATRIX = "a square (T, T) matrix of gradient norms, losses τ by states s (as trace.flow holds)"


def _checked_flow(value, name, func):
    """``value`` as a (T, T) float array, or an error naming ``name`` of ``func``, the matrix
    expected and what was received (a TypeError for what holds no numbers)."""
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"The {name!r} parameter of {func} must be {FLOW_MATRIX}. "
                        f"Got {describe(value)} instead.")
    f = check_array(value, name, func, kind="float", finite=False)   # NaN: no loss; inf: overflow
    if f.ndim != 2 or f.shape[0] != f.shape[1]:
        got = f"an array of shape {f.shape}" if isinstance(value, np.ndarray) else \
            f"{describe(value)}, of shape {f.shape}"
        raise ValueError(f"The {name!r} parameter of {func} must be {FLOW_MATRIX}. "
                         f"Got {got} instead.")
    return f


def _no_loss_marks(absent, extent, label=NO_LOSS):
    """The rows of losses without a target in the empty cells' colour, over any dimming,
    named by ``label`` in the legend: none when every loss has a target."""
    if not absent.any():
        return []
    return [Mask(np.repeat(absent[:, None], absent.size, axis=1), extent, EMPTY, 1.0, label)]


def flow_range(flows):
    """``(vmin, vmax)``: whole decades spanning the positive finite lower triangles of
    ``flows`` (one colour scale for several heatmaps)."""
    vals = []
    for i, f in enumerate(flows):
        f = _checked_flow(f, f"flows[{i}]", "figures.flow_range")
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


def _cells(flow, vmin, absent):
    """The heatmap's values: the lower triangle, exact zeros at the darkest colour,
    overflow as +inf (the "over" colour), the rest NaN (blank): the cells beyond the
    diagonal and the ``absent`` rows, the losses without a target."""
    flow = np.array(flow, dtype=float)
    T = flow.shape[0]
    below = np.tril(np.ones((T, T), dtype=bool))
    finite = np.isfinite(flow)
    shown = flow.copy()
    shown[below & finite & (shown <= vmin)] = vmin
    shown[below & ~finite] = np.inf
    shown[~below] = np.nan
    shown[absent] = np.nan
    return shown, below


def _overflow_marks(step, T):
    """A cross-hair at the step where values stopped being finite (none for ``step`` None)."""
    if step is None:
        return []
    return [Rule(step, "x", OVERFLOW, 1.5, "dashed"), Rule(step, "y", OVERFLOW, 1.5, "dashed")]


def flow(flow, *, carries=None, kept=None, overflow_step=None, title=FLOW_TITLE,
         size=FIGURE_PX):
    """Heatmap of a (T, T) flow matrix on a log colour scale.

    ``carries`` (T,) bool names the losses with a target (``trace.carries``; by default the
    rows not NaN throughout, see :func:`no_target_rows`): the rows of the others are blank,
    outside the colour scale, with the legend entry :data:`NO_LOSS`.
    ``kept`` (T, T) bool whitens the pairs a truncation schedule drops;
    ``overflow_step`` draws a cross-hair where values stopped being finite.
    """
    flow = _checked_flow(flow, "flow", "figures.flow")
    T = flow.shape[0]
    if kept is not None:
        kept = check_array(kept, "kept", "figures.flow", kind="weights",
                           shape=(("T", T), ("T", T)))
    overflow_step = check_int(overflow_step, "overflow_step", "figures.flow", 0, T - 1,
                              allow_none=True, why=f"a step of the {T} steps")
    f, absent = no_target_rows(flow, carries)
    vmin, vmax = flow_range([f])
    shown, below = _cells(f, vmin, absent)
    ext = (-0.5, T - 0.5, -0.5, T - 0.5)
    marks = [Heatmap(shown, ext, ColourScale(MAGNITUDE_CMAP, "log", vmin, vmax, bad=EMPTY,
                                             over=OVERFLOW, extend="max"))]
    if kept is not None:
        marks.append(Mask(below & ~np.asarray(kept, dtype=bool), ext, label=None))
    no_loss = _no_loss_marks(absent, ext)
    marks += no_loss + _overflow_marks(overflow_step, T)
    if overflow_step is not None:   # in a corner clear of the cross-hair (the Figure's choice)
        marks.append(Text(0, 0, f"overflow from step {overflow_step}", color=OVERFLOW, size=10,
                          box=True, corner="upper left"))
    # The legend sits over the blank triangle s > tau, bottom right.
    panel = Panel(Axis("state $s$ (step)", ext[:2]), Axis("loss $τ$ (step)", ext[2:]),
                  marks, title=title, legend="lower right" if no_loss else None)
    return Figure((panel,), *size)


def flow_panels(flows, titles, *, carries=None, overflow_steps=None,
                label="‖∂loss$_τ$/∂h$_s$‖", size=(875, 300)):
    """Flow heatmaps side by side on one log colour scale (its bar beside the last).

    ``carries``: one (T,) bool or None per flow, as :func:`flow` takes it; the first panel
    with rows of losses without a target names them in its legend.
    """
    flows = [_checked_flow(f, f"flows[{i}]", "figures.flow_panels")
             for i, f in enumerate(flows)]
    if len(titles) != len(flows):
        raise ValueError(f"The 'titles' must have one entry per flow ({len(flows)}). "
                         f"Got {len(titles)} instead.")
    targets = list(carries) if carries is not None else [None] * len(flows)
    present = [no_target_rows(f, c) for f, c in zip(flows, targets)]
    steps = list(overflow_steps) if overflow_steps is not None else [None] * len(flows)
    vmin, vmax = flow_range([f for f, _ in present])
    panels = []
    n = len(flows)
    named = False
    for i, ((f, absent), title, step) in enumerate(zip(present, titles, steps)):
        T = f.shape[0]
        shown, _ = _cells(f, vmin, absent)
        ext = (-0.5, T - 0.5, -0.5, T - 0.5)
        scale = ColourScale(MAGNITUDE_CMAP, "log", vmin, vmax, bad=EMPTY, over=OVERFLOW,
                            extend="max", label=label, colorbar=i == n - 1)
        no_loss = _no_loss_marks(absent, ext, None if named else NO_LOSS)
        marks = [Heatmap(shown, ext, scale)] + no_loss + _overflow_marks(step, T)
        panels.append(Panel(Axis("state $s$", ext[:2]),
                            Axis("loss $τ$" if i == 0 else "", ext[2:]),
                            marks, title=title, cell=(0, i, 1, 1),
                            legend="lower right" if no_loss and not named else None))
        named = named or bool(no_loss)
    # The last column is wider by the colour bar's room, so the heatmaps come out alike.
    cols = tuple([1.0] * (n - 1) + [1.3])
    return Figure(tuple(panels), *size, cols=cols)
