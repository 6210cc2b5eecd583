"""Figures of the lessons: matplotlib only.

Every figure comes as a pair: ``draw_*(ax, ...)`` builds the artists once and
returns them in a small record; ``update_*(artists, ...)`` changes their data
in place (``set_data``, ``set_offsets``, ...). Nothing here draws the canvas:
the caller decides when (``fig.canvas.draw_idle()``), so a widget app can
update several figures from one engine run and redraw each once.

Updates change artists inside the axes (and titles); the axes' ticks, tick
labels and axis labels, most of the cost of drawing a figure, change only
with the limits. Log-scale limits therefore snap to whole decades (in steps
of three) so that they rarely move, and a canvas can keep the ticks as a
rendered background and redraw only the rest (:func:`split_for_blitting`,
:func:`draw_moving`).

Colours are colour-blind safe: viridis for magnitudes (Nuñez, Anderton &
Renslow 2018 compare it with cividis; both are perceptually uniform), PuOr
for signed values (a ColorBrewer scheme marked colour-blind safe) and the
Okabe & Ito (2008) palette for lines. Sizes follow :data:`PROJECTOR_RC`.

Shapes: T steps, S state floats, H hidden units.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.colors import LogNorm, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import MaxNLocator

__all__ = [
    "OKABE_ITO", "MAGNITUDE_CMAP", "SIGNED_CMAP", "PROJECTOR_RC", "projector_style", "new_figure",
    "freeze_layout", "split_for_blitting", "draw_moving", "hidden",
    "lag_profile",
    "draw_flow", "update_flow", "draw_lag_norms", "update_lag_norms",
    "draw_singular_values", "update_singular_values",
    "draw_schedule", "update_schedule", "draw_truncation_bias", "update_truncation_bias",
    "draw_cost", "update_cost", "draw_unrolled", "update_unrolled", "unrolled_frames",
]

# Okabe & Ito (2008), "Color universal design": distinguishable with any colour vision.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
MAGNITUDE_CMAP = "viridis"
SIGNED_CMAP = "PuOr"
EMPTY = "#eeeeee"                      # cells with no meaning (s > tau)
OVERFLOW = OKABE_ITO["vermillion"]     # inf / NaN
HUGE = 1e280    # top of a log colour scale: the colour bar's extension must stay below 1.8e308

# Readable from the back of a lecture hall on a 1280x720 projector.
PROJECTOR_RC = {
    "font.size": 12,
    "axes.titlesize": 13,
    # A fixed title height: an automatic one measures every tick label at each draw.
    "axes.titley": 1.0,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "axes.prop_cycle": cycler(color=[OKABE_ITO[k] for k in
                                     ("blue", "orange", "green", "vermillion", "purple", "sky")]),
}


def projector_style():
    """Context manager applying :data:`PROJECTOR_RC` (use it around ``draw_*``)."""
    return mpl.rc_context(PROJECTOR_RC)


def new_figure(width_px: int, height_px: int) -> Figure:
    """A figure of the given size in pixels (at 100 dpi) with constrained layout.

    Sizes that are multiples of 25 px give a canvas of whole pixels.

    A plain :class:`~matplotlib.figure.Figure`: not registered with pyplot,
    so building many never leaks and never shows anything by itself.
    """
    return Figure(figsize=(width_px / 100, height_px / 100), dpi=100, layout="constrained")


def freeze_layout(fig):
    """Lay ``fig`` out once with its layout engine, then keep the axes where they are.

    Constrained layout costs about as much as drawing the figure; a figure
    whose labels keep their size between updates needs it only once.
    """
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def split_for_blitting(fig):
    """``(static, moving)`` parts of ``fig`` for drawing it over a cached background.

    ``static`` describes what the background shows: each axes' face and its
    two axes of ticks (tick marks, tick labels, axis labels). It holds each
    axes' place, limits, scales and axis labels and the identity of its
    artists; two equal descriptions render the same background. ``moving``
    lists every other artist of the axes (data, titles, spines, legends,
    inset axes): what must be hidden while the background is rendered and
    drawn over it afterwards (:func:`draw_moving`).
    """
    from matplotlib.axis import Axis

    static, moving = [], []
    for ax in fig.axes:
        children = ax.get_children()
        static.append((ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
                       ax.get_yscale(), ax.get_visible(), ax.axison, ax.get_xlabel(),
                       ax.get_ylabel(), tuple(id(c) for c in children)))
        moving.extend(c for c in children if c is not ax.patch and not isinstance(c, Axis))
    static.append(tuple((id(t), t.get_text()) for t in fig.texts))
    return tuple(static), moving


def draw_moving(fig, renderer):
    """Draw every axes of ``fig`` except its face and ticks, in the figure's order.

    Each axes draws itself (so titles, insets and z-order are placed as in a
    full draw) with its face and its two axes of ticks hidden.
    """
    for ax in sorted(fig.axes, key=lambda a: a.get_zorder()):
        if ax.get_visible():
            with hidden((ax.patch, ax.xaxis, ax.yaxis)):
                ax.draw(renderer)


@contextmanager
def hidden(artists):
    """Within the block, the visible ones of ``artists`` are hidden."""
    shown = [a for a in artists if a.get_visible()]
    for a in shown:
        a.set_visible(False)
    try:
        yield
    finally:
        for a in shown:
            a.set_visible(True)


def _decades(lo, hi, step=3):
    """``(lo, hi)`` widened to powers of ten whose exponents are multiples of ``step``.

    Coarse steps keep log-scale limits still while a slider moves the data a little.
    """
    return (10.0 ** (step * np.floor(np.log10(lo) / step)),
            10.0 ** (step * np.ceil(np.log10(hi) / step)))


def _positive(a):
    """Float copy of ``a`` with non-finite and non-positive entries as NaN (for log axes)."""
    a = np.array(a, dtype=float)
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def _log_limits(*arrays, pad=1.5, floor=1e-300, ceil=1e300):
    """(lo, hi) spanning the finite positive values of ``arrays``, padded by a factor
    and widened to whole decades."""
    vals = np.concatenate([_positive(a).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return 0.1, 10.0
    lo, hi = _decades(max(vals.min() / pad, floor), min(vals.max() * pad, ceil))
    return (lo, hi) if hi > lo else (lo / 10, lo * 10)


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


# --- the flow heatmap --------------------------------------------------------

@dataclass
class FlowArtists:
    """Artists of :func:`draw_flow`."""

    ax: object
    image: object       # AxesImage of the flow, log colour scale
    shade: object       # AxesImage dimming the pairs a schedule drops
    cross: object       # Line2D marking the overflow step
    note: object        # Text below the title
    colorbar: object



def _flow_cmap():
    return mpl.colormaps[MAGNITUDE_CMAP].with_extremes(bad=EMPTY, over=OVERFLOW)


def draw_flow(ax, flow, *, kept=None, overflow_step=None,
              title="Gradient flow ‖∂loss$_τ$/∂h$_s$‖") -> FlowArtists:
    """Heatmap of a (T, T) flow matrix ``flow[tau, s]`` on a log colour scale.

    Rows are losses ``tau``, columns states ``s``; cells with ``s > tau`` (no
    dependence) are blank and non-finite cells (and any above 1e280) are drawn in vermillion.
    ``kept`` (T, T) bool dims the pairs a truncation schedule drops;
    ``overflow_step`` draws a cross-hair at the step where values stopped
    being finite.
    """
    T = np.shape(flow)[0]
    ext = (-0.5, T - 0.5, -0.5, T - 0.5)
    image = ax.imshow(np.ones((T, T)), origin="lower", cmap=_flow_cmap(), norm=LogNorm(1e-3, 1),
                      interpolation="nearest", extent=ext, aspect="auto")
    shade = ax.imshow(np.zeros((T, T, 4)), origin="lower", interpolation="nearest", extent=ext,
                      aspect="auto")
    cross, = ax.plot([], [], color=OVERFLOW, lw=1.5, ls="--")
    colorbar = ax.figure.colorbar(image, ax=ax, pad=0.02, extend="max")
    colorbar.ax.tick_params(labelsize=10)
    ax.set_xlabel("state $s$ (step)")
    ax.set_ylabel("loss $τ$ (step)")
    ax.set_title(title)
    note = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", ha="left", fontsize=10,
                   color=OVERFLOW, bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))
    artists = FlowArtists(ax, image, shade, cross, note, colorbar)
    update_flow(artists, flow, kept=kept, overflow_step=overflow_step)
    return artists


def update_flow(artists: FlowArtists, flow, *, kept=None, overflow_step=None):
    """Show a new (T, T) flow matrix (T may change), schedule mask and overflow step."""
    flow = np.array(flow, dtype=float)
    T = flow.shape[0]
    below = np.tril(np.ones((T, T), dtype=bool))          # s <= tau
    finite = np.isfinite(flow)
    vals = flow[below & finite & (flow > 0)]
    if vals.size:
        vmax = min(float(vals.max()), HUGE)
        vmin = max(float(vals.min()), vmax * 1e-16)          # below float64 epsilon: noise
    else:
        vmin, vmax = 1e-3, 1.0
    vmin, vmax = _decades(vmin, vmax)          # the colour bar moves only by whole decades
    vmin, vmax = max(vmin, 1e-300), min(vmax, HUGE)
    if vmin >= vmax:
        vmin, vmax = vmax / 10, vmax * 10
    shown = flow.copy()
    shown[below & finite & (shown <= vmin)] = vmin          # exact zeros: darkest colour
    # Overflow gets the "over" colour; inf itself would be masked by set_data as invalid.
    shown[below & ~finite] = np.finfo(float).max
    shown = np.ma.masked_array(shown, mask=~below)
    a = artists
    a.image.set_data(shown)
    if a.image.get_clim() != (vmin, vmax):      # the colour bar rebuilds itself on any change
        a.image.set_clim(vmin, vmax)
    ext = (-0.5, T - 0.5, -0.5, T - 0.5)
    a.image.set_extent(ext)
    shade = np.zeros((T, T, 4))
    if kept is not None:
        dropped = below & ~np.asarray(kept, dtype=bool)
        shade[dropped] = (1.0, 1.0, 1.0, 0.78)
    a.shade.set_data(shade)
    a.shade.set_extent(ext)
    a.ax.set_xlim(ext[:2])
    a.ax.set_ylim(ext[2:])
    if overflow_step is None:
        a.cross.set_data([], [])
        a.note.set_text("")
    else:
        f = overflow_step
        a.cross.set_data([f, f, np.nan, -0.5, T - 0.5], [-0.5, T - 0.5, np.nan, f, f])
        a.note.set_text(f"overflow from step {f}")
    return a


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
    median, low, high = _positive(median), _positive(low), _positive(high)
    ok = np.isfinite(low) & np.isfinite(high)
    a.band.set_data(lags, np.where(ok, low, 1.0), np.where(ok, high, 1.0), where=ok)
    a.median.set_data(lags, median)
    if bound is None:
        a.bound.set_data([], [])
        bound_vals = np.array([])
    else:
        bound_vals = _positive(bound)
        a.bound.set_data(lags, bound_vals)
    lo, hi = _log_limits(low, high, median)
    finite_bound = bound_vals[np.isfinite(bound_vals)]
    if finite_bound.size:
        # The bound may run far above the data: follow it only up to 1e6 times the data.
        hi = max(hi, min(finite_bound.max() * 3, hi * 1e6))
        lo = min(lo, finite_bound.min() / 3)
    a.ax.set_ylim(*_decades(max(lo, 1e-300), min(hi, 1e300)))
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
    sv = _positive(sv)
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
    lo, hi = _log_limits(sv, np.ones(1))
    a.ax.set_ylim(lo, hi)
    a.ax.set_xlim(-0.5, T - 0.5)
    return a


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
    from matplotlib.collections import LineCollection

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
    ratio = _positive(norm_ratio)
    a.ratio.set_data(k2, ratio)
    a.ratio_ax.set_ylim(*_log_limits(ratio, np.ones(1), pad=1.5))
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


# --- the unrolled network (lesson 1) --------------------------------------------------

DX = 1.5            # distance between copies (data units)
ROW = {"x": 0.0, "h": 1.0, "loss": 2.0}
NODE = 1000         # node marker area (points^2): round whatever the axes' aspect
GAP = 19            # arrow clearance from a node's centre (points)
GREY, INK = "#9a9a9a", OKABE_ITO["black"]

_PHI_TEX = {"tanh": r"\tanh", "relu": r"\mathrm{relu}", "sigmoid": r"\sigma", "linear": ""}


def unrolled_frames(T: int) -> int:
    """Number of frames of the walk: T forward steps, T backward steps, the sum."""
    return 2 * T + 1


@dataclass
class UnrolledArtists:
    """Artists of :func:`draw_unrolled`."""

    T: int
    ax: object          # the network
    grad_ax: object     # share of each copy in dL/dW_hh, bars under the copies
    sum_ax: object      # inset: the summed gradient dL/dW_hh (H, H)
    inputs: object      # PathCollection, x_0 .. x_{T-1}
    hidden: object      # PathCollection, h_{-1}, h_0 .. h_{T-1}
    losses: object      # PathCollection, loss_0 .. loss_{T-1}
    forward: list       # per t: (x_t -> h_t, h_{t-1} -> h_t, h_t -> loss_t)
    backward: list      # per t: (loss_t -> h_t, h_t -> h_{t-1})
    h_text: list
    e_text: list
    bars: object
    sum_image: object
    sum_text: object
    caption: object



def _arrow(ax, a, b, color, lw=1.6, **kw):
    p = FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14, color=color, lw=lw,
                        shrinkA=GAP, shrinkB=GAP, **kw)
    ax.add_patch(p)
    return p


def draw_unrolled(ax, grad_ax, T: int, H: int) -> UnrolledArtists:
    """The network unrolled over T steps: inputs, hidden states and losses as nodes.

    ``grad_ax`` (below ``ax``, as wide) gets one bar per copy under it, its
    share of the W_hh gradient, and an inset with the summed (H, H) gradient.
    :func:`update_unrolled` walks the forward and backward passes frame by frame.
    """
    x = DX * np.arange(T)
    node = dict(s=NODE, c="white", edgecolors=GREY, linewidths=1.5, zorder=2)
    inputs = ax.scatter(x, np.full(T, ROW["x"]), **node)
    hidden = ax.scatter(np.r_[-DX, x], np.full(T + 1, ROW["h"]), **node)
    losses = ax.scatter(x, np.full(T, ROW["loss"]), **node)
    ax.text(-DX, ROW["h"], "$h_{-1}$", ha="center", va="center", fontsize=11, zorder=3)
    forward, backward, h_text, e_text = [], [], [], []
    for t in range(T):
        for row, name in (("x", "x"), ("h", "h"), ("loss", "L")):
            ax.text(x[t], ROW[row], f"${name}_{{{t}}}$", ha="center", va="center", fontsize=11,
                    zorder=3)
        forward.append((_arrow(ax, (x[t], ROW["x"]), (x[t], ROW["h"]), GREY),
                        _arrow(ax, (x[t] - DX, ROW["h"] + 0.06), (x[t], ROW["h"] + 0.06), GREY),
                        _arrow(ax, (x[t], ROW["h"]), (x[t], ROW["loss"]), GREY)))
        backward.append((_arrow(ax, (x[t] - 0.12, ROW["loss"]), (x[t] - 0.12, ROW["h"]),
                                OKABE_ITO["vermillion"], visible=False),
                         _arrow(ax, (x[t], ROW["h"] - 0.08), (x[t] - DX, ROW["h"] - 0.08),
                                OKABE_ITO["vermillion"], visible=False)))
        h_text.append(ax.text(x[t] + 0.1, ROW["h"] + 0.2, "", ha="left", va="bottom",
                              fontsize=10, color=OKABE_ITO["blue"]))
        e_text.append(ax.text(x[t] + 0.1, ROW["h"] - 0.2, "", ha="left", va="top",
                              fontsize=10, color=OKABE_ITO["vermillion"]))
    ax.text(-DX / 2, ROW["h"] + 0.12, "$W_{hh}$", ha="center", va="bottom", fontsize=10,
            color=GREY)
    xlim = (-DX - 0.75, x[-1] + 0.75)
    ax.set_xlim(xlim)
    ax.set_ylim(ROW["x"] - 0.35, ROW["loss"] + 0.35)
    ax.set_axis_off()
    caption = ax.set_title("", fontsize=12)

    bars = grad_ax.bar(x, np.zeros(T), width=0.6 * DX, color=OKABE_ITO["green"])
    grad_ax.set_xlim(xlim)
    grad_ax.set_xticks(x, [f"copy {t}" for t in range(T)], fontsize=10)
    grad_ax.yaxis.tick_right()
    grad_ax.yaxis.set_label_position("right")
    grad_ax.set_ylabel("‖share‖")
    grad_ax.spines[["left", "top"]].set_visible(False)
    grad_ax.set_title("Each copy's share of ∂L/∂W$_{hh}$", fontsize=11)
    # The sum sits under h_{-1}, where no copy is.
    sum_ax = grad_ax.inset_axes([-DX - 0.55, 0.0, 1.1, 0.72],
                                transform=grad_ax.get_xaxis_transform())
    sum_image = sum_ax.imshow(np.zeros((H, H)), cmap=SIGNED_CMAP, norm=TwoSlopeNorm(0, -1, 1),
                              interpolation="nearest", aspect="auto")
    sum_ax.set_xticks([])
    sum_ax.set_yticks([])
    sum_ax.set_title("Σ = ∂L/∂W$_{hh}$", fontsize=10)
    sum_text = sum_ax.text(0.5, 0.5, "", transform=sum_ax.transAxes, ha="center", va="center",
                           fontsize=9)
    return UnrolledArtists(T, ax, grad_ax, sum_ax, inputs, hidden, losses, forward, backward,
                           h_text, e_text, bars, sum_image, sum_text, caption)


def _phase(T, frame):
    """("forward", t), ("backward", s) or ("sum", None) for a frame in [0, 2T]."""
    if frame < T:
        return "forward", frame
    if frame < 2 * T:
        return "backward", 2 * T - 1 - frame
    return "sum", None


def update_unrolled(artists: UnrolledArtists, frame: int, hidden_norms, error_norms, whh_norms,
                    whh_grad, activation="tanh"):
    """Show frame ``frame`` (0 .. 2T) of the walk through one full BPTT run.

    Frames ``0 .. T-1`` compute ``h_t`` forward, frames ``T .. 2T-1`` pull the
    error ``delta_s = dL/dh_s`` back from ``s = T-1`` to 0, frame ``2T`` shows
    the sum. ``hidden_norms`` (T,) are ``||h_t||``, ``error_norms`` (T,)
    ``||dL/dh_t||``, ``whh_norms`` (T,) the norm of each copy's share of the
    W_hh gradient and ``whh_grad`` (H, H) their sum.
    """
    a = artists
    T = a.T
    phase, t = _phase(T, int(frame))
    seen = T if phase != "forward" else t + 1                   # copies computed so far
    back_from = {"forward": T, "backward": t, "sum": 0}[phase]  # copies the error reached
    hn, en = np.asarray(hidden_norms, dtype=float), np.asarray(error_norms, dtype=float)
    wn = np.asarray(whh_norms, dtype=float)
    finite_h = hn[np.isfinite(hn)]
    norm = Normalize(0, max(float(finite_h.max()) if finite_h.size else 1.0, 1e-12))
    cmap = mpl.colormaps[MAGNITUDE_CMAP]
    ok_e = en[np.isfinite(en) & (en > 0)]
    e_lo, e_hi = (float(ok_e.min()), float(ok_e.max())) if ok_e.size else (1.0, 1.0)

    def width(e):
        """Arrow width on a log scale of the error norms: 1.2 .. 6 points."""
        if not np.isfinite(e) or e <= 0 or e_hi <= e_lo:
            return 3.0 if np.isfinite(e) and e > 0 else 1.2
        return 1.2 + 4.8 * (np.log(e) - np.log(e_lo)) / (np.log(e_hi) - np.log(e_lo))

    done = np.arange(T) < seen
    now = np.zeros(T, dtype=bool)
    if phase in ("forward", "backward"):
        now[t] = True
    accent = OKABE_ITO["orange"] if phase == "forward" else OKABE_ITO["vermillion"]
    edges = [accent if n else (INK if d else GREY) for n, d in zip(now, done)]
    widths = np.where(now, 4.0, 1.5)
    fill = ["#d9d9d9" if d else "white" for d in done]
    # The upper two thirds of viridis only, so the black labels stay readable.
    h_fill = [(cmap(0.35 + 0.65 * norm(v)) if np.isfinite(v) else OVERFLOW) if d else "white"
              for v, d in zip(hn, done)]
    a.inputs.set_facecolors(fill)
    a.losses.set_facecolors(fill)
    a.hidden.set_facecolors(["white"] + h_fill)
    for coll in (a.inputs, a.losses):
        coll.set_edgecolors(edges)
        coll.set_linewidths(widths)
    a.hidden.set_edgecolors([INK] + edges)
    a.hidden.set_linewidths(np.r_[1.5, widths])

    top = float(wn[np.isfinite(wn)].max()) if np.isfinite(wn).any() else 1.0
    for i in range(T):
        fwd_now = phase == "forward" and i == t
        for arrow in a.forward[i]:
            arrow.set_color(OKABE_ITO["orange"] if fwd_now else (INK if done[i] else GREY))
        a.h_text[i].set_text(f"‖h‖={hn[i]:.2g}" if done[i] else "")
        reached = i >= back_from
        inject, back = a.backward[i]
        inject.set_visible(reached)
        back.set_visible(i > back_from)                        # delta_i pulled back to h_{i-1}
        back.set_linewidth(width(en[i]))
        a.e_text[i].set_text(f"‖δ‖={en[i]:.2g}" if reached else "")
        a.bars[i].set_height(wn[i] if reached and np.isfinite(wn[i]) else 0.0)
        a.bars[i].set_edgecolor(OKABE_ITO["vermillion"] if phase == "backward" and i == t
                                else "none")
        a.bars[i].set_linewidth(3)
    a.grad_ax.set_ylim(0, max(top, 1e-12) * 1.15)

    g = np.asarray(whh_grad, dtype=float)
    if phase == "sum" and np.isfinite(g).all():
        m = max(float(np.abs(g).max()), 1e-12)
        a.sum_image.set_data(g)
        a.sum_image.set_norm(TwoSlopeNorm(0, -m, m))
        a.sum_image.set_visible(True)
        a.sum_text.set_text("")
        a.sum_ax.set_xlabel(f"‖Σ‖={np.linalg.norm(g):.2g}", fontsize=9)
    else:
        a.sum_image.set_visible(False)
        a.sum_text.set_text("after the\nbackward\npass")
        a.sum_ax.set_xlabel("")

    phi = _PHI_TEX.get(activation, activation)
    if phase == "forward":
        a.caption.set_text(f"Forward, step {t}:  $h_{{{t}}} = {phi}(W_{{xh}} x_{{{t}}} + "
                           f"W_{{hh}} h_{{{t - 1}}} + b_h)$, then loss$_{{{t}}}$")
    elif phase == "backward":
        nxt = f" + δ$_{{{t + 1}}}$ pulled back through $W_{{hh}}$" if t + 1 < T else ""
        a.caption.set_text(f"Backward, step {t}:  δ$_{{{t}}}$ = ∂L/∂h$_{{{t}}}$ = "
                           f"error of loss$_{{{t}}}${nxt}")
    else:
        a.caption.set_text(f"The shared $W_{{hh}}$ gets the sum of the {T} copies' shares")
    return a
