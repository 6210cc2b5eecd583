"""Matplotlib, the renderer of figure records for files: static figures, downloads, docs.

:func:`draw` turns a :class:`bpttviz.figures.Figure` into a Matplotlib
figure, mark by mark; :func:`save` writes it as PNG or SVG. The page's live
figures read the same records, so what is downloaded is what was shown.
"""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.colors import LogNorm, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import FancyArrowPatch
from matplotlib import patheffects
from matplotlib.collections import PolyCollection
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator
from matplotlib.transforms import blended_transform_factory

from ..figures import record as R
from ..figures.placement import LEGEND, OUTSIDE
from ..figures.style import GREY, OKABE_ITO

__all__ = ["draw", "save", "STYLE", "FORMATS"]

#: Type and line sizes: readable from the back of a lecture hall on a 1280x720 projector.
STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 9,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "axes.prop_cycle": cycler(color=[OKABE_ITO[k] for k in
                                     ("blue", "orange", "green", "vermillion", "purple", "sky")]),
}
FORMATS = ("png", "svg")
_DASH = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}


def _cmap(scale: R.ColourScale):
    cmap = mpl.colormaps[scale.cmap].with_extremes(bad=scale.bad)
    if scale.over:
        cmap = cmap.with_extremes(over=scale.over)
    return cmap


def _norm(scale: R.ColourScale):
    if scale.norm == "log":
        return LogNorm(scale.vmin, scale.vmax)
    if scale.norm == "centered":
        return TwoSlopeNorm(0.0, -abs(scale.vmax), abs(scale.vmax))
    return Normalize(scale.vmin, scale.vmax)


def _set_axis(ax, which, axis: R.Axis):
    setter = ax.set_xscale if which == "x" else ax.set_yscale
    if axis.scale == "log":
        setter("log")
    elif axis.scale == "log2":
        setter("log", base=2)
    (ax.set_xlim if which == "x" else ax.set_ylim)(*axis.limits)
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(axis.label, color=axis.color or "black")
    ticker = ax.xaxis if which == "x" else ax.yaxis
    if axis.ticks is not None:
        ticker.set_major_locator(FixedLocator(axis.ticks))
        ticker.set_minor_locator(NullLocator())
        if axis.tick_labels is not None:
            (ax.set_xticklabels if which == "x" else ax.set_yticklabels)(axis.tick_labels)
    elif axis.integer:
        ticker.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if axis.color:
        ax.tick_params(axis=which, colors=axis.color)


def _colour_list(c, n):
    if c is None or isinstance(c, str):
        return c
    return list(c)


# One drawer per mark type: drawer(ax, mark, label, panel_axes) draws ``mark`` on ``ax`` with its
# legend ``label``; ``panel_axes`` are the axes a colour bar takes its room from.

def _draw_line(ax, m: R.Line, label, panel_axes):
    kw = {}
    if m.halo:
        kw["path_effects"] = [patheffects.withStroke(linewidth=m.width + 1.8, foreground=m.halo)]
    ax.plot(m.x, m.y, color=m.color, lw=m.width, ls=_DASH[m.dash], marker=m.marker,
            ms=m.marker_size, label=label, **kw)


def _draw_band(ax, m: R.Band, label, panel_axes):
    ok = np.isfinite(m.low) & np.isfinite(m.high)
    ax.fill_between(m.x, np.where(ok, m.low, 1.0), np.where(ok, m.high, 1.0), where=ok,
                    color=m.color, alpha=m.alpha, lw=0, label=label)


def _draw_points(ax, m: R.Points, label, panel_axes):
    size = np.asarray(m.size, dtype=float) ** 2
    colour = _colour_list(m.color, len(m.x))
    edge = _colour_list(m.edge, len(m.x))
    if m.hollow:
        ax.scatter(m.x, m.y, s=size, marker=m.marker, facecolors="none",
                   edgecolors=colour, linewidths=m.edge_width, label=label, zorder=5)
    else:
        ax.scatter(m.x, m.y, s=size, marker=m.marker, c=colour, edgecolors=edge or "face",
                   linewidths=m.edge_width, alpha=m.alpha, label=label, zorder=4)


def _draw_rects(ax, m: R.Rects, label, panel_axes):
    ax.bar(m.x0, m.y1 - m.y0, width=m.x1 - m.x0, bottom=m.y0, align="edge",
           color=_colour_list(m.color, len(m.x0)), alpha=m.alpha,
           edgecolor=_colour_list(m.edge, len(m.x0)) or "none", linewidth=m.edge_width,
           label=label)


def _draw_segments(ax, m: R.Segments, label, panel_axes):
    n = len(m.x0)
    colours = _colour_list(m.color, n)
    widths = np.broadcast_to(np.asarray(m.width, dtype=float), (n,))
    if m.arrow:
        for i in range(n):
            c = colours if isinstance(colours, str) else colours[i]
            ax.add_patch(FancyArrowPatch((m.x0[i], m.y0[i]), (m.x1[i], m.y1[i]),
                                         arrowstyle="-|>", mutation_scale=14, color=c,
                                         lw=widths[i], shrinkA=m.shrink, shrinkB=m.shrink))
    else:
        from matplotlib.collections import LineCollection
        segs = np.stack([np.c_[m.x0, m.y0], np.c_[m.x1, m.y1]], axis=1)
        ax.add_collection(LineCollection(segs, colors=colours, linewidths=widths,
                                         linestyles=_DASH[m.dash], label=label))


def _draw_heatmap(ax, m: R.Heatmap, label, panel_axes):
    s = m.scale
    values = np.array(m.values, dtype=float)
    values[np.isposinf(values)] = np.finfo(float).max     # the "over" colour, not a hole
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", cmap=_cmap(s),
                      norm=_norm(s), interpolation="nearest", extent=m.extent, aspect="auto")
    if s.colorbar:
        bar = ax.figure.colorbar(image, ax=panel_axes, pad=0.02, extend=s.extend,
                                 fraction=0.05 if len(panel_axes) > 1 else 0.15)
        bar.ax.tick_params(labelsize=10)
        if s.label:
            bar.set_label(s.label, fontsize=10)


def _draw_mask(ax, m: R.Mask, label, panel_axes):
    rgba = np.zeros((*m.where.shape, 4))
    rgba[m.where] = (*mpl.colors.to_rgb(m.color), m.alpha)
    ax.imshow(rgba, origin="lower", interpolation="nearest", extent=m.extent, aspect="auto")
    if m.label:
        # An image has no legend handle: an empty collection carries the mask's swatch. A
        # mask's colour is pale, near the legend's white, so the swatch is outlined (as the
        # page outlines it).
        ax.add_collection(PolyCollection([], facecolors=[mpl.colors.to_rgba(m.color, m.alpha)],
                                         edgecolors=[GREY], linewidths=0.8, label=label),
                          autolim=False)


def _draw_rule(ax, m: R.Rule, label, panel_axes):
    line = ax.axvline if m.axis == "x" else ax.axhline
    line(m.value, color=m.color, lw=m.width, ls=_DASH[m.dash], label=label)


def _draw_text(ax, m: R.Text, label, panel_axes):
    kw = dict(ha=m.ha, va=m.va, color=m.color, fontsize=m.size)
    if m.box or m.edge:
        kw["bbox"] = (dict(boxstyle="round,pad=0.2", fc="white", ec=m.edge, lw=1.5) if m.edge
                      else dict(fc="white", ec="none", alpha=0.8, pad=1))
    where = {"data": ax.transData, "axes": ax.transAxes,
             "x-data": blended_transform_factory(ax.transData, ax.transAxes),
             "y-data": blended_transform_factory(ax.transAxes, ax.transData)}[m.coords]
    ax.annotate(m.text, (m.x, m.y), xycoords=where, xytext=m.offset,
                textcoords="offset points", **kw)


#: Every mark type of :data:`bpttviz.figures.MARKS` and the function that draws it.
DRAWERS = {"Line": _draw_line, "Band": _draw_band, "Points": _draw_points, "Rects": _draw_rects,
           "Segments": _draw_segments, "Heatmap": _draw_heatmap, "Mask": _draw_mask,
           "Rule": _draw_rule, "Text": _draw_text}


def _draw_mark(ax, m, panel_axes):
    label = m.label if getattr(m, "label", None) else "_nolegend_"
    DRAWERS[type(m).__name__](ax, m, label, panel_axes)


def draw(record: R.Figure, fig=None, *, scale: float = 1.0):
    """A Matplotlib figure showing ``record`` (drawn into ``fig`` when given).

    ``scale`` enlarges the figure, its type and its lines together
    (projector mode's 1.2).
    """
    if not isinstance(record, R.Figure):
        raise TypeError(f"The 'record' of bpttviz.plots.draw must be a bpttviz.figures.Figure. "
                        f"Got {type(record).__name__} instead.")
    style = dict(STYLE)
    for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                "ytick.labelsize", "legend.fontsize", "lines.linewidth", "lines.markersize"):
        style[key] = STYLE[key] * scale
    with mpl.rc_context(style):
        if fig is None:
            fig = MplFigure(figsize=(record.width * scale / 100, record.height * scale / 100),
                            dpi=100, layout="constrained")
        grid = fig.add_gridspec(len(record.rows), len(record.cols), height_ratios=record.rows,
                                width_ratios=record.cols)
        axes = []
        for p in record.panels:
            if p.inset is not None:
                parent, *rect = p.inset
                ax = axes[parent].inset_axes(rect)
            else:
                r, c, rs, cs = p.cell
                ax = fig.add_subplot(grid[r:r + rs, c:c + cs])
            axes.append(ax)
            _set_axis(ax, "x", p.x)
            _set_axis(ax, "y", p.y)
            if p.y_side == "right":
                ax.yaxis.tick_right()
                ax.yaxis.set_label_position("right")
            twin = None
            if p.y2 is not None:
                twin = ax.twinx()
                _set_axis(twin, "y", p.y2)
            for m in p.marks:
                target = twin if (twin is not None and getattr(m, "axis", "y") == "y2") else ax
                _draw_mark(target, m, [ax] if p.inset is not None else
                           [a for a, q in zip(axes, record.panels) if q.inset is None])
            if not p.frame:
                ax.set_axis_off()
            if not p.x.visible:
                ax.xaxis.set_visible(False)
            if not p.y.visible:
                ax.yaxis.set_visible(False)
            if p.title:
                ax.set_title(p.title, fontsize=(p.title_size * scale if p.title_size else None))
            if p.legend:
                handles, labels = [], []
                for a in ([ax, twin] if twin is not None else [ax]):
                    h, lab = a.get_legend_handles_labels()
                    handles += h
                    labels += lab
                if handles:
                    # Where the record says (placed from its data), in the layout the page's
                    # renderer copies: Matplotlib's own, its pads named once in LEGEND.
                    kw = dict(ncols=p.legend_columns, framealpha=0.85,
                              fontsize=STYLE["legend.fontsize"] * scale,
                              borderpad=LEGEND["border_pad"], handlelength=LEGEND["handle"],
                              handletextpad=LEGEND["handle_pad"],
                              labelspacing=LEGEND["row_gap"],
                              columnspacing=LEGEND["column_gap"],
                              borderaxespad=LEGEND["axes_pad"])
                    if p.legend == OUTSIDE:      # beside everything on the right: the layout
                        fig.legend(handles, labels, loc="outside right upper", **kw)  # makes room
                    else:
                        ax.legend(handles, labels, loc=p.legend, **kw)
        if record.title:
            fig.suptitle(record.title)
    return fig


def save(record: R.Figure, target=None, fmt: str = "png", *, scale: float = 1.0):
    """Write ``record`` as ``fmt`` ("png" or "svg") to ``target`` (a path or a binary file);
    with no target, return the bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"The 'fmt' of bpttviz.plots.save must be one of {', '.join(FORMATS)}. "
                         f"Got {fmt!r} instead.")
    fig = draw(record, scale=scale)
    if target is None:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        return buf.getvalue()
    fig.savefig(target, format=fmt)
    return target
