"""Figures of lessons 4-6 (training, the three cells, the error surface): matplotlib only.

The same contract as :mod:`bpttviz.plots`: ``draw_*(ax, ...)`` builds the
artists once and returns them in a small record, ``update_*(artists, ...)``
changes their data in place, and nothing here draws the canvas. Artists are
never added or removed by an update (pools of a fixed size are shown or
hidden), and limits move in coarse steps, so a canvas can keep the axes'
ticks as a rendered background (:func:`bpttviz.plots.split_for_blitting`).

* :func:`draw_lines`: a few series against a common x (training curves, norms
  against lag, Jacobian norms per step), each with an optional band, marks
  and reference level.
* :func:`draw_reach`: which steps a task's targets depend on, against the
  windows two truncation schedules backpropagate through.
* :func:`draw_checkpoint_cost`: memory of a gradient against the
  checkpoint interval (Chen et al. 2016; Gruslys et al. 2016).
* :func:`draw_flow_panels`: flow heatmaps side by side on one colour scale.
* :func:`draw_bias_variance`: gradient estimators' mean cosine to the full
  gradient against its spread (lesson 7).
* :func:`draw_cliff`: the error surface of the single-unit network of
  Pascanu, Mikolov & Bengio (2013, fig. 6) with descent paths over it.

Colours: the Okabe & Ito (2008) palette for series, viridis for magnitudes.
Shapes: T steps, n points of a series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import patheffects
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.ticker import FixedLocator, NullLocator

from .plots import (HUGE, MAGNITUDE_CMAP, OKABE_ITO, OVERFLOW, _decades, _flow_cmap, _log_limits,
                    _positive)

__all__ = [
    "SERIES_COLORS", "draw_lines", "update_lines", "draw_reach", "update_reach",
    "draw_checkpoint_cost", "update_checkpoint_cost", "draw_flow_panels", "update_flow_panels",
    "shared_log_range", "draw_cliff", "update_cliff", "draw_bias_variance",
    "update_bias_variance",
]

#: Colours of up to four series, in order (Okabe & Ito 2008).
SERIES_COLORS = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"])
MARK = OKABE_ITO["black"]
LOG_FLOOR, LOG_CEIL = 1e-200, 1e200     # log axes stay inside: wider, their ticks overflow


def _series(values, n):
    """``values`` as a list of ``n`` entries (None for a missing one)."""
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"Expected one entry per series ({n}). Got {len(values)} instead.")
    return values


# --- a few series against a common x ------------------------------------------------

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
    ys, lows, highs = _series(ys, n), _series(lows, n), _series(highs, n)
    marks, refs = _series(marks, n), _series(refs, n)
    xs = list(x) if isinstance(x, (list, tuple)) else [x] * n
    clean = _positive if a.log else (lambda v: np.asarray(v, dtype=float))
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
            lo, hi = _log_limits(*shown_y, level_arr) if shown_y or levels else (0.1, 10.0)
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
            top = _decades(ymax, ymax)[1] if a.log else ymax
            ylim = (min(ylim[0], top / 10 if a.log else top - 1), top)
    a.ax.set_ylim(*ylim)
    for i in range(n):           # marks beyond the top sit on its edge
        if marks[i] is not None:
            mx, my = (np.asarray(v, dtype=float) for v in marks[i])
            a.marks[i].set_data(mx, np.minimum(my, ylim[1]))
    a.note.set_text(note)
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
    for i, per_update in enumerate(_series(windows, n)):
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


# --- flow heatmaps side by side ------------------------------------------------------------

@dataclass
class FlowPanelsArtists:
    """Artists of :func:`draw_flow_panels`: one entry per panel in each list."""

    axes: list
    images: list        # AxesImage per panel
    crosses: list       # Line2D per panel: overflow step
    colorbar: object
    norm: object        # the shared LogNorm


def draw_flow_panels(fig, titles, *,
                     colorbar_label="‖∂loss$_τ$/∂h$_s$‖") -> FlowPanelsArtists:
    """Flow heatmaps side by side in ``fig`` on one shared log colour scale.

    One panel per title; rows are losses ``tau``, columns states ``s``.
    """
    n = len(titles)
    axes = list(fig.subplots(1, n, sharey=True, squeeze=False)[0])
    norm = LogNorm(1e-3, 1)
    images, crosses = [], []
    for ax, title in zip(axes, titles):
        im = ax.imshow(np.ones((2, 2)), origin="lower", cmap=_flow_cmap(), norm=norm,
                       interpolation="nearest", extent=(-0.5, 1.5, -0.5, 1.5), aspect="auto")
        cross, = ax.plot([], [], color=OVERFLOW, lw=1.5, ls="--")
        ax.set_title(title)
        ax.set_xlabel("state $s$")
        images.append(im)
        crosses.append(cross)
    axes[0].set_ylabel("loss $τ$")
    colorbar = fig.colorbar(images[0], ax=axes, pad=0.02, extend="max", fraction=0.04)
    colorbar.ax.tick_params(labelsize=10)
    colorbar.set_label(colorbar_label, fontsize=10)
    return FlowPanelsArtists(axes, images, crosses, colorbar, norm)


def shared_log_range(flows):
    """``(vmin, vmax)``: whole decades spanning the positive finite lower triangles of
    ``flows``."""
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
    vmin = max(float(v.min()), vmax * 1e-16)             # below float64 epsilon: noise
    vmin, vmax = _decades(vmin, vmax)
    vmin, vmax = max(vmin, 1e-300), min(vmax, HUGE)
    return (vmin, vmax) if vmin < vmax else (vmax / 10, vmax * 10)


def update_flow_panels(artists: FlowPanelsArtists, flows, overflow_steps=None):
    """Show one (T, T) flow matrix per panel on a common colour scale.

    Cells with ``s > tau`` are blank, non-finite ones vermillion; an overflow
    step (or None) per panel draws a cross-hair there.
    """
    a = artists
    n = len(a.images)
    flows = _series(flows, n)
    overflow_steps = _series(overflow_steps, n)
    vmin, vmax = shared_log_range(flows)
    if (a.norm.vmin, a.norm.vmax) != (vmin, vmax):   # the colour bar rebuilds on any change
        a.images[0].set_clim(vmin, vmax)
    for im, cross, ax, flow, step in zip(a.images, a.crosses, a.axes, flows, overflow_steps):
        flow = np.array(flow, dtype=float)
        T = flow.shape[0]
        below = np.tril(np.ones((T, T), dtype=bool))
        finite = np.isfinite(flow)
        shown = flow.copy()
        shown[below & finite & (shown <= vmin)] = vmin
        shown[below & ~finite] = np.finfo(float).max   # the "over" colour
        im.set_data(np.ma.masked_array(shown, mask=~below))
        ext = (-0.5, T - 0.5, -0.5, T - 0.5)
        im.set_extent(ext)
        ax.set_xlim(ext[:2])
        ax.set_ylim(ext[2:])
        if step is None:
            cross.set_data([], [])
        else:
            cross.set_data([step, step, np.nan, -0.5, T - 0.5],
                           [-0.5, T - 0.5, np.nan, step, step])
    return a


# --- the cliff ---------------------------------------------------------------------------

@dataclass
class CliffArtists:
    """Artists of :func:`draw_cliff`."""

    ax: object
    image: object       # AxesImage: the loss over (w, b)
    paths: list         # Line2D per path
    ends: list          # Line2D per path: its last point
    start: object       # Line2D: the common start
    colorbar: object
    note: object


def draw_cliff(ax, labels=("without clipping", "with clipping"),
               colors=(OKABE_ITO["vermillion"], OKABE_ITO["sky"])) -> CliffArtists:
    """Empty axes for an error surface over (w, b) with descent paths drawn over it."""
    image = ax.imshow(np.zeros((2, 2)), origin="lower", cmap=MAGNITUDE_CMAP,
                      norm=Normalize(0, 0.5), interpolation="nearest", aspect="auto",
                      extent=(0, 1, 0, 1))
    paths, ends = [], []
    for label, c in zip(labels, colors):
        # A dark outline keeps any colour readable over every part of viridis.
        p, = ax.plot([], [], color=c, lw=1.8, marker="o", ms=3, label=label,
                     path_effects=[patheffects.withStroke(linewidth=3.6, foreground=MARK)])
        e, = ax.plot([], [], ls="none", marker="o", ms=9, color=c, mec="white", mew=1.5)
        paths.append(p)
        ends.append(e)
    start, = ax.plot([], [], ls="none", marker="*", ms=16, color="white", mec=MARK, mew=1,
                     label="start", zorder=5)
    colorbar = ax.figure.colorbar(image, ax=ax, pad=0.02)
    colorbar.ax.tick_params(labelsize=10)
    colorbar.set_label("error $E$", fontsize=10)
    ax.set_xlabel("recurrent weight $w$")
    ax.set_ylabel("bias $b$")
    ax.set_title("Error surface and descent paths")
    ax.legend(loc="lower right", framealpha=0.85, fontsize=9)
    note = ax.text(0.02, 0.97, "", transform=ax.transAxes, ha="left", va="top", fontsize=9,
                   bbox=dict(fc="white", ec="none", alpha=0.85, pad=1))
    return CliffArtists(ax, image, paths, ends, start, colorbar, note)


def update_cliff(artists: CliffArtists, w, b, loss, paths, *, note=""):
    """Show the surface ``loss`` (nb, nw) over the grid ``w`` (nw,) x ``b`` (nb,) and the paths.

    ``paths`` is a list of ``(ws, bs)`` per path (NaN ends a path early);
    the first point of the first path is the start. Paths may leave the view.
    """
    a = artists
    w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    loss = np.asarray(loss, dtype=float)
    dw = (w[-1] - w[0]) / max(len(w) - 1, 1) / 2
    db = (b[-1] - b[0]) / max(len(b) - 1, 1) / 2
    ext = (w[0] - dw, w[-1] + dw, b[0] - db, b[-1] + db)
    a.image.set_data(np.ma.masked_invalid(loss))
    a.image.set_extent(ext)
    finite = loss[np.isfinite(loss)]
    top = float(finite.max()) if finite.size else 1.0
    top = 0.1 * np.ceil(max(top, 1e-12) / 0.1)         # steps of 0.1: the colour bar rarely moves
    if a.image.get_clim() != (0.0, top):
        a.image.set_clim(0.0, top)
    for line, end, (pw, pb) in zip(a.paths, a.ends, _series(paths, len(a.paths))):
        pw, pb = np.asarray(pw, dtype=float), np.asarray(pb, dtype=float)
        line.set_data(pw, pb)
        ok = np.isfinite(pw) & np.isfinite(pb)
        end.set_data(pw[ok][-1:], pb[ok][-1:])
    if paths:
        a.start.set_data([paths[0][0][0]], [paths[0][1][0]])
    a.ax.set_xlim(ext[:2])
    a.ax.set_ylim(ext[2:])
    a.note.set_text(note)
    return a


# --- lesson 7: bias against variance of gradient estimators ------------------------------

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
    spread, mean_cosine = _series(spread, n), _series(mean_cosine, n)
    cosine_of_mean = _series(cosine_of_mean, n)
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
