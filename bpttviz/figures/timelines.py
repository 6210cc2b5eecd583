"""Timelines: what each update of a truncation schedule injects and reaches.

One row per update (or per schedule); a bar from the first state a loss's
gradient reaches to the loss, a dot per injected loss, a triangle when the
update happens.
"""

from __future__ import annotations

import numpy as np

from .placement import legend_room
from .record import Axis, Figure, Panel, Points, Rects, Segments
from .style import FIGURE_PX, MARK, OKABE_ITO, SERIES_COLORS, series, with_room

__all__ = ["schedule", "reach"]


def schedule(schedule, *, size=FIGURE_PX):
    """A :class:`bpttviz.schedules.Schedule` as a timeline, update 0 on top."""
    T, plans = schedule.T, schedule.updates
    U = len(plans)
    segs, dots, marks = [], [], []
    most = max((len(p.losses) for p in plans), default=1)
    for u, plan in enumerate(plans):
        n = len(plan.losses)
        # A row's losses spread over its height, the latest on top.
        offs = np.linspace(0.32, -0.32, n) if n > 1 else np.zeros(n)
        for tau, start, off in zip(plan.losses, plan.starts, offs):
            y = u - off
            if start <= tau:
                segs.append((start - 0.5, y, tau + 0.5, y))
            dots.append((tau, y))
        marks.append((plan.step - 0.5, u - 0.45))
    segs = np.array(segs, dtype=float).reshape(-1, 4)
    dots = np.array(dots, dtype=float).reshape(-1, 2)
    marks = np.array(marks, dtype=float).reshape(-1, 2)
    # Bars thin enough that a row's bars stay apart: about 250 pixels for all rows.
    width = float(np.clip(180.0 / max(U, 1) / max(most, 1), 0.6, 5.0))
    dot = float(np.sqrt(np.clip(400.0 / max(U * most, 1), 2, 14)))
    knobs = ", ".join(f"{k}={v}" for k, v in schedule.params.items())
    shown = (Segments(segs[:, 0], segs[:, 1], segs[:, 2], segs[:, 3], OKABE_ITO["sky"], width,
                      label="states a loss reaches"),
             Points(dots[:, 0], dots[:, 1], OKABE_ITO["blue"], dot, label="loss injected"),
             Points(marks[:, 0], marks[:, 1], OKABE_ITO["vermillion"], 7.75, "v",
                    label="update happens"))
    # Room under the last update for the legend: a long window's bars span every step.
    bottom = with_room(U - 0.5, -0.9, legend_room([m.label for m in shown], size[1]),
                       scale="linear")[0]
    panel = Panel(
        Axis("step $t$", (-0.5, T + 0.5)),
        # Ticks on the updates only, none in the legend's room.
        Axis("update", (bottom, -0.9), ticks=np.arange(0, U, max(1, int(np.ceil(U / 6)))),
             integer=True),
        shown,
        title=f"{schedule.name}({knobs}): {U} update{'s' if U != 1 else ''}",
        legend="lower left")
    return Figure((panel,), *size)


def reach(T, needed_spans, target_steps, windows, *, labels=("A", "B"), colors=SERIES_COLORS,
          size=FIGURE_PX):
    """A task's dependencies against the windows two schedules backpropagate through.

    Parameters
    ----------
    T : int
    needed_spans : list of (start, stop)
        Half-open step ranges of the inputs the targets depend on (shaded columns).
    target_steps : array of int
        Steps whose loss carries a target (the top row).
    windows : list (one per schedule) of lists of ``(lo, hi, losses)``
        Per update: the first and last state it backpropagates through
        (inclusive) and the target-carrying losses it injects.
    """
    n = len(labels)
    bottom = -0.6
    # Room under the last row for the legend, two rows of it.
    names = ["inputs the targets need", "loss with a target"]
    top = with_room(n + 0.5, bottom, legend_room(names, size[1]), scale="linear")[0]
    spans = np.array(needed_spans, dtype=float).reshape(-1, 2)
    steps = np.asarray(target_steps, dtype=float)
    marks = [Rects(spans[:, 0] - 0.5, spans[:, 1] - 0.5, np.full(len(spans), bottom),
                   np.full(len(spans), top), OKABE_ITO["yellow"], 0.45,
                   label=names[0]),
             Points(steps, np.zeros_like(steps), MARK, 3.8, "s", label=names[1])]
    for i, per_update in enumerate(series(windows, n, "windows")):
        c = colors[i % len(colors)]
        row = i + 1
        per_update = per_update or []
        U = len(per_update)
        offs = np.linspace(-0.3, 0.3, U) if U > 1 else np.zeros(U)
        segs, dots = [], []
        for (lo, hi, taus), off in zip(per_update, offs):
            segs.append((lo - 0.45, row + off, hi + 0.45, row + off))
            dots += [(t, row + off) for t in taus]
        segs = np.array(segs, dtype=float).reshape(-1, 4)
        dots = np.array(dots, dtype=float).reshape(-1, 2)
        # Bars thin enough to stay apart: about 60 pixels for a row's updates.
        width = float(np.clip(45.0 / max(U, 1), 0.8, 6.0))
        marks.append(Segments(segs[:, 0], segs[:, 1], segs[:, 2], segs[:, 3], c, width))
        marks.append(Points(dots[:, 0], dots[:, 1], c, 3.2, edge=MARK, edge_width=0.4))
    panel = Panel(Axis("step $t$", (-0.5, T - 0.5)),
                  Axis("", (top, bottom), ticks=tuple(range(n + 1)),
                       tick_labels=("task",) + tuple(str(x) for x in labels)),
                  marks, title="What each update reaches", legend="lower center")
    return Figure((panel,), *size)
