"""Gradient-flow heatmaps: ``flow[tau, s]``, how much of loss tau's error reaches state s.

:func:`draw_flow` shows one flow matrix (with what a truncation schedule
keeps, lessons 2 and 3); :func:`draw_flow_panels` shows several side by side
on one colour scale (lesson 5). Both use a log colour scale that moves by
whole decades, blank cells where ``s > tau`` and vermillion where values
stopped being finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.colors import LogNorm

from .style import EMPTY, HUGE, MAGNITUDE_CMAP, OVERFLOW, per_series, whole_decades

__all__ = ["FlowArtists", "draw_flow", "update_flow", "FlowPanelsArtists", "draw_flow_panels",
           "update_flow_panels", "shared_log_range"]


def _flow_cmap():
    return mpl.colormaps[MAGNITUDE_CMAP].with_extremes(bad=EMPTY, over=OVERFLOW)


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
    vmin, vmax = whole_decades(vmin, vmax)      # the colour bar moves only by whole decades
    vmin, vmax = max(vmin, 1e-300), min(vmax, HUGE)
    return (vmin, vmax) if vmin < vmax else (vmax / 10, vmax * 10)


def _shown(flow, vmin):
    """``flow`` (T, T) as the image draws it on a colour scale starting at ``vmin``."""
    T = flow.shape[0]
    below = np.tril(np.ones((T, T), dtype=bool))          # s <= tau
    finite = np.isfinite(flow)
    shown = flow.copy()
    shown[below & finite & (shown <= vmin)] = vmin          # exact zeros: darkest colour
    # Overflow gets the "over" colour; inf itself would be masked by set_data as invalid.
    shown[below & ~finite] = np.finfo(float).max
    return np.ma.masked_array(shown, mask=~below)


def _show_square(image, ax, T):
    """Fit ``image`` and the limits of ``ax`` to a (T, T) matrix."""
    ext = (-0.5, T - 0.5, -0.5, T - 0.5)
    image.set_extent(ext)
    ax.set_xlim(ext[:2])
    ax.set_ylim(ext[2:])


def _cross_hair(line, step, T):
    """Put ``line`` across a (T, T) heatmap at ``step`` (None: hide it)."""
    if step is None:
        line.set_data([], [])
    else:
        line.set_data([step, step, np.nan, -0.5, T - 0.5], [-0.5, T - 0.5, np.nan, step, step])


# --- one flow matrix ---------------------------------------------------------------------

@dataclass
class FlowArtists:
    """Artists of :func:`draw_flow`."""

    ax: object
    image: object       # AxesImage of the flow, log colour scale
    shade: object       # AxesImage dimming the pairs a schedule drops
    cross: object       # Line2D marking the overflow step
    note: object        # Text below the title
    colorbar: object


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
    vmin, vmax = shared_log_range([flow])
    a = artists
    a.image.set_data(_shown(flow, vmin))
    if a.image.get_clim() != (vmin, vmax):      # the colour bar rebuilds itself on any change
        a.image.set_clim(vmin, vmax)
    shade = np.zeros((T, T, 4))
    if kept is not None:
        dropped = np.tril(np.ones((T, T), dtype=bool)) & ~np.asarray(kept, dtype=bool)
        shade[dropped] = (1.0, 1.0, 1.0, 0.78)
    a.shade.set_data(shade)
    a.shade.set_extent((-0.5, T - 0.5, -0.5, T - 0.5))
    _show_square(a.image, a.ax, T)
    _cross_hair(a.cross, overflow_step, T)
    a.note.set_text("" if overflow_step is None else f"overflow from step {overflow_step}")
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


def update_flow_panels(artists: FlowPanelsArtists, flows, overflow_steps=None):
    """Show one (T, T) flow matrix per panel on a common colour scale.

    Cells with ``s > tau`` are blank, non-finite ones vermillion; an overflow
    step (or None) per panel draws a cross-hair there.
    """
    a = artists
    n = len(a.images)
    flows = per_series(flows, n)
    overflow_steps = per_series(overflow_steps, n)
    vmin, vmax = shared_log_range(flows)
    if (a.norm.vmin, a.norm.vmax) != (vmin, vmax):   # the colour bar rebuilds on any change
        a.images[0].set_clim(vmin, vmax)
    for im, cross, ax, flow, step in zip(a.images, a.crosses, a.axes, flows, overflow_steps):
        flow = np.array(flow, dtype=float)
        T = flow.shape[0]
        im.set_data(_shown(flow, vmin))
        _show_square(im, ax, T)
        _cross_hair(cross, step, T)
    return a
