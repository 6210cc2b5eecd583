"""The error surface of a one-unit network over (w, b), with descent paths over it.

Pascanu, Mikolov & Bengio (2013, fig. 6): a cliff where the gradient explodes.
"""

from __future__ import annotations

import numpy as np

from .record import Axis, ColourScale, Figure, Heatmap, Line, Panel, Points, Text
from .style import FIGURE_PX, MAGNITUDE_CMAP, MARK, OKABE_ITO, series

__all__ = ["cliff"]



def cliff(w, b, loss, paths, *, labels=("without clipping", "with clipping"),
          colors=(OKABE_ITO["vermillion"], OKABE_ITO["sky"]), note="", size=FIGURE_PX):
    """The surface ``loss`` (nb, nw) over the grid ``w`` (nw,) x ``b`` (nb,) and the paths.

    ``paths`` is a list of ``(ws, bs)`` per path (NaN ends a path early); the
    first point of the first path is the start. Paths may leave the view.
    """
    w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    loss = np.asarray(loss, dtype=float)
    dw = (w[-1] - w[0]) / max(len(w) - 1, 1) / 2
    db = (b[-1] - b[0]) / max(len(b) - 1, 1) / 2
    ext = (w[0] - dw, w[-1] + dw, b[0] - db, b[-1] + db)
    finite = loss[np.isfinite(loss)]
    top = float(finite.max()) if finite.size else 1.0
    top = float(0.1 * np.ceil(max(top, 1e-12) / 0.1))   # steps of 0.1: the colour bar rarely moves
    marks = [Heatmap(np.where(np.isfinite(loss), loss, np.nan), ext,
                     ColourScale(MAGNITUDE_CMAP, "linear", 0.0, top, label="error $E$"))]
    for label, c, path in zip(labels, colors, series(paths, len(labels), "paths")):
        pw, pb = (np.asarray(v, dtype=float) for v in path)
        # A dark outline keeps any colour readable over every part of viridis.
        marks.append(Line(pw, pb, c, 1.8, marker="o", marker_size=3, halo=MARK, label=label))
        ok = np.isfinite(pw) & np.isfinite(pb)
        marks.append(Points(pw[ok][-1:], pb[ok][-1:], c, 9.0, edge="#ffffff", edge_width=1.5))
    start = ([paths[0][0][0]], [paths[0][1][0]]) if len(paths) else ([], [])
    marks.append(Points(*start, "#ffffff", 16.0, "*", edge=MARK, edge_width=1.0, label="start"))
    if note:
        marks.append(Text(0, 0, note, size=9, box=True, corner="upper left"))
    panel = Panel(Axis("recurrent weight $w$", ext[:2]), Axis("bias $b$", ext[2:]), marks,
                  title="Error surface and descent paths", legend="lower right")
    return Figure((panel,), *size)
