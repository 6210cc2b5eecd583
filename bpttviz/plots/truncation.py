"""Figures of truncation: what a schedule keeps, how biased and how costly it is, what it reaches.

* :func:`draw_schedule`: a truncation schedule as a timeline, one row per update.
* :func:`draw_truncation_bias`: cosine and norm ratio of the truncated gradient
  against full BPTT's, over k2.
* :func:`draw_cost`: compute and memory of a schedule relative to full BPTT.
* :func:`draw_reach`: which steps a task's targets depend on, against the
  windows two truncation schedules backpropagate through.
* :func:`draw_checkpoint_cost`: memory of a gradient against the
  checkpoint interval (Chen et al. 2016; Gruslys et al. 2016).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from .style import MARK, OKABE_ITO, SERIES_COLORS, log_limits, per_series, positive_or_nan

__all__ = ["ScheduleArtists", "draw_schedule", "update_schedule", "BiasArtists",
           "draw_truncation_bias", "update_truncation_bias", "COST_METRICS", "CostArtists",
           "draw_cost", "update_cost", "ReachArtists", "draw_reach", "update_reach",
           "CheckpointArtists", "draw_checkpoint_cost", "update_checkpoint_cost"]


# --- truncation schedules ---------------------------------------------------------

@dataclass
class ScheduleArtists:
    """Artists of :func:`draw_schedule`."""

    ax: object
    reach: object       # LineCollection: for each loss, the states it reaches
    losses: object      # PathCollection: the injected losses
    updates: object     # PathCollection: when each update happens


def draw_schedule(ax, schedule=None) -> ScheduleArtists:
    """A truncation schedule as a timeline: one row per update.

    Each row shows when the update happens (a triangle after its last
    consumed step), the losses it injects (dots) and, for each loss, the
    states its gradient reaches (a bar from its start to the loss).
    """
    reach = LineCollection([], colors=OKABE_ITO["sky"], label="states a loss reaches")
    ax.add_collection(reach)
    losses = ax.scatter([], [], s=14, color=OKABE_ITO["blue"], zorder=3, label="loss injected")
    updates = ax.scatter([], [], s=60, marker="v", color=OKABE_ITO["vermillion"], zorder=4,
                         label="update happens")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("update")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.legend(loc="lower left", framealpha=0.9, fontsize=9)
    artists = ScheduleArtists(ax, reach, losses, updates)
    if schedule is not None:
        update_schedule(artists, schedule)
    return artists


def update_schedule(artists: ScheduleArtists, schedule):
    """Show ``schedule`` (a :class:`bpttviz.schedules.Schedule`)."""
    a = artists
    T, plans = schedule.T, schedule.updates
    U = len(plans)
    segs, dots, marks = [], [], []
    most = max((len(p.losses) for p in plans), default=1)
    for u, plan in enumerate(plans):
        n = len(plan.losses)
        # Spread a row's losses over its height, latest loss at the top.
        offs = np.linspace(0.32, -0.32, n) if n > 1 else np.zeros(n)
        for tau, start, off in zip(plan.losses, plan.starts, offs):
            y = u - off
            if start <= tau:
                segs.append(((start - 0.5, y), (tau + 0.5, y)))
            dots.append((tau, y))
        marks.append((plan.step - 0.5, u - 0.45))
    a.reach.set_segments(segs)
    # Lines thin enough that a row's bars stay apart: about 250 px for all rows.
    a.reach.set_linewidth(float(np.clip(180.0 / max(U, 1) / max(most, 1), 0.6, 5.0)))
    a.losses.set_offsets(np.array(dots).reshape(-1, 2))
    a.losses.set_sizes([float(np.clip(400.0 / max(U * most, 1), 2, 14))])
    a.updates.set_offsets(np.array(marks).reshape(-1, 2))
    a.ax.set_xlim(-0.5, T + 0.5)
    a.ax.set_ylim(U - 0.5, -0.9)                            # update 0 on top
    knobs = ", ".join(f"{k}={v}" for k, v in schedule.params.items())
    a.ax.set_title(f"{schedule.name}({knobs}): {U} update{'s' if U != 1 else ''}")
    return a


@dataclass
class BiasArtists:
    """Artists of :func:`draw_truncation_bias`."""

    ax: object
    ratio_ax: object    # twin axes, log scale
    cosine: object      # Line2D
    ratio: object       # Line2D
    marker: object      # Line2D, the current schedule's point
    vline: object       # Line2D at the current k2


def draw_truncation_bias(ax) -> BiasArtists:
    """Empty axes for the truncation bias against k2: cosine and norm ratio to full BPTT."""
    cosine, = ax.plot([], [], color=OKABE_ITO["blue"], marker="o", ms=4,
                      label="cos(truncated, full)")
    marker, = ax.plot([], [], ls="none", marker="*", ms=16, color=OKABE_ITO["vermillion"],
                      label="this schedule", zorder=5)
    vline = ax.axvline(0, color=OKABE_ITO["vermillion"], lw=1, ls=":")
    ratio_ax = ax.twinx()
    ratio, = ratio_ax.plot([], [], color=OKABE_ITO["orange"], ls="--",
                           label="‖truncated‖/‖full‖")
    ratio_ax.set_yscale("log")
    ratio_ax.set_ylabel("norm ratio", color=OKABE_ITO["orange"])
    ax.axhline(1.0, color=OKABE_ITO["black"], lw=0.8, ls=":")
    ax.set_ylim(-1.05, 1.1)
    ax.set_xlabel("$k_2$ (states each update reaches)")
    ax.set_ylabel("cosine")
    ax.set_title("Truncation bias")
    ax.legend(handles=[cosine, ratio, marker], loc="lower right", framealpha=0.9, fontsize=9)
    return BiasArtists(ax, ratio_ax, cosine, ratio, marker, vline)


def update_truncation_bias(artists: BiasArtists, k2, cosine, norm_ratio, *, current_k2=None,
                           current_cosine=None):
    """Show the bias curves, each (n,) against ``k2`` (n,), and the current point."""
    a = artists
    k2 = np.asarray(k2, dtype=float)
    a.cosine.set_data(k2, np.asarray(cosine, dtype=float))
    ratio = positive_or_nan(norm_ratio)
    a.ratio.set_data(k2, ratio)
    a.ratio_ax.set_ylim(*log_limits(ratio, np.ones(1), pad=1.5))
    if current_k2 is None or current_cosine is None or not np.isfinite(current_cosine):
        a.marker.set_data([], [])
    else:
        a.marker.set_data([current_k2], [current_cosine])
    a.vline.set_xdata([current_k2 if current_k2 is not None else np.nan] * 2)
    hi = max(float(k2.max()) if k2.size else 1.0, float(current_k2 or 1))
    a.ax.set_xlim(0, hi + 1)
    return a


COST_METRICS = ("forward steps", "backward steps", "peak stored floats")


@dataclass
class CostArtists:
    """Artists of :func:`draw_cost`."""

    ax: object
    current: object     # BarContainer
    reference: object   # BarContainer
    labels: list = field(default_factory=list)   # Text per current bar


def draw_cost(ax) -> CostArtists:
    """Empty horizontal bars: compute and memory of a schedule relative to full BPTT."""
    y = np.arange(len(COST_METRICS))
    reference = ax.barh(y - 0.2, np.ones(len(y)), height=0.38, color=OKABE_ITO["sky"],
                        label="full BPTT")
    current = ax.barh(y + 0.2, np.ones(len(y)), height=0.38, color=OKABE_ITO["blue"],
                      label="this schedule")
    labels = [ax.text(0, yy + 0.2, "", va="center", ha="left", fontsize=10) for yy in y]
    ax.set_yticks(y, COST_METRICS)
    ax.invert_yaxis()
    ax.axvline(1.0, color=OKABE_ITO["black"], lw=0.8, ls=":")
    ax.set_xlabel("relative to full BPTT")
    ax.set_title("Compute and memory")
    ax.legend(loc="lower right", framealpha=0.9, fontsize=9)
    return CostArtists(ax, current, reference, labels)


def _cost_values(cost):
    return np.array([cost.forward_steps, cost.backward_steps, cost.peak_stored_floats], float)


def update_cost(artists: CostArtists, cost, reference):
    """Show ``cost`` against ``reference`` (both :class:`bpttviz.Cost`)."""
    a = artists
    cur, ref = _cost_values(cost), _cost_values(reference)
    rel = np.divide(cur, ref, out=np.zeros_like(cur), where=ref > 0)
    for bar, r in zip(a.current, rel):
        bar.set_width(r)
    for text, r, v in zip(a.labels, rel, cur):
        text.set_x(r)
        text.set_text(f" {v:,.0f}")
    a.ax.set_xlim(0, max(2.5, float(np.ceil(rel.max() * 1.45))))    # moves in whole steps
    return a


# --- what a task needs against what truncation reaches -----------------------------------

@dataclass
class ReachArtists:
    """Artists of :func:`draw_reach`."""

    ax: object
    needed: object      # PolyCollection: spans of inputs the targets depend on, full height
    targets: object     # PathCollection: steps whose loss carries a target
    windows: list       # LineCollection per schedule: each update's window
    losses: list        # PathCollection per schedule: the target-carrying losses it injects
    labels: tuple


def draw_reach(ax, labels=("A", "B"), colors=SERIES_COLORS) -> ReachArtists:
    """Empty axes comparing a task's dependencies with what two schedules backpropagate through.

    The top row marks the steps whose loss carries a target; one row per
    schedule below shows, per update, the states it backpropagates through
    (a bar) and the losses it injects (dots). Shaded columns are the inputs
    the targets depend on: a bar that does not reach them cannot learn them.
    """
    needed = PolyCollection([], facecolors=OKABE_ITO["yellow"], edgecolors="none", alpha=0.45,
                            zorder=0, label="inputs the targets need")
    ax.add_collection(needed)
    targets = ax.scatter([], [], s=18, marker="s", color=MARK, zorder=3,
                         label="loss with a target")
    windows, losses = [], []
    for i, _ in enumerate(labels):
        c = colors[i % len(colors)]
        w = LineCollection([], colors=c, linewidths=3, zorder=2)
        ax.add_collection(w)
        windows.append(w)
        losses.append(ax.scatter([], [], s=10, color=c, edgecolors=MARK, linewidths=0.4,
                                 zorder=3))
    n = len(labels)
    ax.set_ylim(n + 1.5, -0.6)                 # the task on top, the legend below the rows
    ax.yaxis.set_major_locator(FixedLocator(range(n + 1)))
    ax.set_yticklabels(["task"] + [str(x) for x in labels])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step $t$")
    ax.set_title("What each update reaches")
    ax.legend(loc="lower center", ncols=2, framealpha=0.9, fontsize=9)
    return ReachArtists(ax, needed, targets, windows, losses, tuple(labels))


def update_reach(artists: ReachArtists, T, needed_spans, target_steps, windows):
    """Show a task over ``T`` steps and the windows of each schedule.

    Parameters
    ----------
    T : int
    needed_spans : list of (start, stop)
        Half-open step ranges of the inputs the targets depend on.
    target_steps : array of int
        Steps whose loss carries a target.
    windows : list (one per schedule) of lists of ``(lo, hi, losses)``
        Per update: the first and last state it backpropagates through
        (inclusive) and the target-carrying losses it injects.
    """
    a = artists
    n = len(a.windows)
    top, bottom = n + 1.5, -0.6
    a.needed.set_verts([[(s - 0.5, bottom), (e - 0.5, bottom), (e - 0.5, top), (s - 0.5, top)]
                        for s, e in needed_spans])
    steps = np.asarray(target_steps, dtype=float)
    a.targets.set_offsets(np.column_stack([steps, np.zeros_like(steps)]).reshape(-1, 2))
    for i, per_update in enumerate(per_series(windows, n)):
        row = i + 1
        per_update = per_update or []
        U = len(per_update)
        offs = np.linspace(-0.3, 0.3, U) if U > 1 else np.zeros(U)
        segs, dots = [], []
        for (lo, hi, taus), off in zip(per_update, offs):
            segs.append(((lo - 0.45, row + off), (hi + 0.45, row + off)))
            dots += [(t, row + off) for t in taus]
        a.windows[i].set_segments(segs)
        # Bars thin enough to stay apart: about 60 px for a row's updates.
        a.windows[i].set_linewidth(float(np.clip(45.0 / max(U, 1), 0.8, 6.0)))
        a.losses[i].set_offsets(np.array(dots, dtype=float).reshape(-1, 2))
    a.ax.set_xlim(-0.5, T - 0.5)
    return a


# --- memory of one gradient against the checkpoint interval ---------------------------------

@dataclass
class CheckpointArtists:
    """Artists of :func:`draw_checkpoint_cost`."""

    ax: object
    line: object        # Line2D: peak stored floats against m
    best: object        # Line2D: the marker at the least memory
    store_all: object   # Line2D: the level without checkpointing
    labels: list        # Annotation pool: forward steps above each point
    note: object


_LABEL_POOL = 12


def draw_checkpoint_cost(ax) -> CheckpointArtists:
    """Empty axes for the memory of a full-BPTT gradient against the checkpoint interval m."""
    store_all, = ax.plot([], [], color=MARK, ls="--", lw=1.2,
                         label="every state's cache kept")
    line, = ax.plot([], [], color=OKABE_ITO["blue"], marker="o", label="checkpoint every m steps")
    best, = ax.plot([], [], ls="none", marker="*", ms=16, color=OKABE_ITO["vermillion"],
                    label="least memory", zorder=5)
    labels = [ax.annotate("", (1, 0), xytext=(0, 7), textcoords="offset points", ha="center",
                          va="bottom", fontsize=9, color=OKABE_ITO["blue"])
              for _ in range(_LABEL_POOL)]
    ax.set_xscale("log", base=2)
    ax.set_xlabel("checkpoint interval $m$ (steps)")
    ax.set_ylabel("peak stored floats")
    ax.set_title("Memory of one gradient, and its price")
    ax.legend(loc="upper center", framealpha=0.9, fontsize=9)
    note = ax.text(0.02, 0.03, "", transform=ax.transAxes, ha="left", va="bottom", fontsize=9)
    return CheckpointArtists(ax, line, best, store_all, labels, note)


def update_checkpoint_cost(artists: CheckpointArtists, m, peak_floats, forward_steps,
                           store_all_floats, store_all_forward):
    """Show the measured cost of each checkpoint interval.

    Parameters
    ----------
    m : array (n,) of int
        Checkpoint intervals, ascending (n <= 12).
    peak_floats, forward_steps : array (n,)
        Measured peak stored floats and forward steps (recomputation included).
    store_all_floats, store_all_forward : float
        The same for the run that keeps every step's cache.
    """
    a = artists
    m = np.asarray(m, dtype=float)
    peak = np.asarray(peak_floats, dtype=float)
    fwd = np.asarray(forward_steps, dtype=float)
    if m.size > len(a.labels):
        raise ValueError(f"At most {len(a.labels)} checkpoint intervals. Got {m.size} instead.")
    a.line.set_data(m, peak)
    i = int(np.argmin(peak))
    a.best.set_data([m[i]], [peak[i]])
    lo_x, hi_x = float(m.min()) / 1.5, float(m.max()) * 1.5
    a.store_all.set_data([lo_x, hi_x], [store_all_floats] * 2)
    for k, text in enumerate(a.labels):
        if k < m.size:
            text.xy = (m[k], peak[k])
            text.set_text(f"{fwd[k]:.0f}")
        else:
            text.set_text("")
    a.ax.set_xlim(lo_x, hi_x)
    top = max(float(peak.max()), float(store_all_floats))
    # Whole steps of a quarter of the top's decade: the limits rarely move.
    step = 10.0 ** np.floor(np.log10(top)) / 4
    a.ax.set_ylim(0, step * np.ceil(top * 1.7 / step))     # room for the legend
    a.note.set_text(f"numbers: forward steps (kept caches: {store_all_forward:.0f})")
    return a
