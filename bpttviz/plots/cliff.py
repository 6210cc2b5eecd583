"""The error surface of a one-unit network with descent paths over it (lesson 6).

:func:`draw_cliff` shows the surface of Pascanu, Mikolov & Bengio (2013,
fig. 6) over (w, b) with a path of gradient descent without and one with
clipping drawn over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import patheffects
from matplotlib.colors import Normalize

from .style import MAGNITUDE_CMAP, MARK, OKABE_ITO, per_series

__all__ = ["CliffArtists", "draw_cliff", "update_cliff"]


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
    for line, end, (pw, pb) in zip(a.paths, a.ends, per_series(paths, len(a.paths))):
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
