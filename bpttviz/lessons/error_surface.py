"""Lesson 6, the error surface: the cliff of a one-unit RNN, and what clipping does on it.

Pascanu, Mikolov & Bengio (2013, section 3.2 and fig. 6) train the single
unit ``x_t = w sigmoid(x_{t-1}) + b`` (``x_0 = 0.5``, T = 50) to end at
``sigmoid(x_T) = 0.7``. For ``w > 4`` the map has two stable fixed points;
where the start sits on the boundary between their basins, the final state,
and so the error, jumps: the surface has a *cliff*, a wall along which the
gradient explodes while it is small everywhere else. A gradient step taken
on the wall throws the parameters far away, undoing the descent so far.
Clipping the gradient's norm to a threshold (their algorithm 1) keeps the
step's direction but bounds its length, so the path crosses the wall
instead of being catapulted.

The surface is computed once per change of its range (the view, T) and
kept; the path without clipping and the slice through the start once per
change of what they depend on (a new threshold leaves them as they are); the
clipped path once per change of its controls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import figures
from ..diagnostics import cliff_descent, cliff_grad, cliff_loss
from ..figures import OKABE_ITO
from .common import readout_html
from .control import Control
from .lesson import Limits, Lesson

__all__ = ["SurfaceLesson", "Surface", "VIEWS", "surface_grid"]

#: View name -> ((w_min, w_max), (b_min, b_max)).
VIEWS = {
    "cliff": ((2.0, 10.0), (-6.0, 2.0)),
    "wide": ((-2.0, 12.0), (-8.0, 6.0)),
    "close-up": ((4.0, 6.5), (-3.5, -1.5)),
}
GRID = (181, 161)           # points along w and b: the cliff shows, and a new view is quick
PATH_COLORS = (OKABE_ITO["vermillion"], OKABE_ITO["sky"])
PATH_LABELS = ("without clipping", "with clipping")
LOSS_FLOOR = 1e-6           # bottom of the error-per-step axis (the surface's least error ~1e-8)
GRAD_FLOOR = 1e-12          # bottom of the gradient-norm axis: room for the legend and a note


def surface_grid(view: str, T: int):
    """``(w (nw,), b (nb,), loss (nb, nw))``: :func:`bpttviz.diagnostics.cliff_loss` on the
    grid of ``VIEWS[view]``, the unit run for T steps."""
    (w0, w1), (b0, b1) = VIEWS[view]
    w = np.linspace(w0, w1, GRID[0])
    b = np.linspace(b0, b1, GRID[1])
    return w, b, cliff_loss(w[None, :], b[:, None], T=T)


def path_stat(result, values, path: int = 0, what: str = "max_grad") -> float:
    """Lesson 6: of ``result.paths[path]`` (0 unclipped, 1 clipped): its largest gradient norm
    ("max_grad"), its last finite error ("final_loss"), how many steps clipping fired
    ("clipped"), or how far it ends from the start ("distance")."""
    p = result.paths[path]
    ok = np.flatnonzero(np.isfinite(p.loss))
    if what == "max_grad":
        return float(np.nanmax(p.grad_norm))
    if what == "final_loss":
        return float(p.loss[ok[-1]])
    if what == "clipped":
        return float(np.sum(p.clipped))
    if what == "distance":
        return float(np.hypot(p.w[ok[-1]] - p.w[0], p.b[ok[-1]] - p.b[0]))
    raise ValueError(f"what must be one of max_grad, final_loss, clipped, distance. "
                     f"Got {what!r} instead.")


def paths_ratio(result, values, what: str = "final_loss") -> float:
    """Lesson 6: :func:`path_stat` ``what`` of the clipped path over the unclipped path's."""
    with np.errstate(all="ignore"):
        return float(path_stat(result, values, 1, what) / path_stat(result, values, 0, what))


def paths_differ(result, values) -> float:
    """Lesson 6: the largest distance between the two paths' parameters at the same step."""
    a, b = result.paths
    return float(np.nanmax(np.hypot(a.w - b.w, a.b - b.b)))


def wall_height(result, values, zooms: int = 8) -> float:
    """Lesson 6: the largest gradient norm of the error along b at the start's w (the wall).

    The wall is far thinner than any plotting grid: the maximum is found on
    a grid of 2001 values of b over the view, then on grids around the
    largest value, each 250 times finer (``zooms`` of them), until it stops
    growing.
    """
    lo, hi = float(np.min(result.b)), float(np.max(result.b))
    best = 0.0
    for _ in range(zooms):
        b = np.linspace(lo, hi, 2001)
        gw, gb = cliff_grad(values["w0"], b, T=values["T"])
        g = np.hypot(gw, gb)
        i = int(np.argmax(g))
        best = max(best, float(g[i]))
        half = 4 * (hi - lo) / 2000
        lo, hi = b[i] - half, b[i] + half
    return best


@dataclass(frozen=True)
class Surface:
    """One configuration of lesson 6."""

    w: np.ndarray               # (nw,) grid of the recurrent weight
    b: np.ndarray               # (nb,) grid of the bias
    loss: np.ndarray            # (nb, nw)
    slice_loss: np.ndarray      # (nb,) the error along b at the start's w
    paths: tuple                # (without, with clipping) bpttviz.diagnostics.CliffPath


class SurfaceLesson(Lesson):
    """Lesson 6: gradient descent over the cliff of a one-unit RNN, with and without clipping.

    Clicking the surface moves the start there.

    Attributes
    ----------
    surface_runs : int
        How many times the surface was computed for this page (it is kept per view and T).
    """

    title = "The error surface"
    summary = ("the cliff of a one-unit network (Pascanu, Mikolov & Bengio 2013) and what clipping "
               "does to a descent path over it.")
    slug = "error_surface"
    number = 6
    class_control = "w0"
    controls = (
        Control("view", "view", "option", "cliff", options=tuple(VIEWS),
                help="Range of w and b shown"),
        Control("T", "T (steps)", "int", 50, 5, 100, help="Steps the unit runs (Pascanu: 50)"),
        Control("w0", "start w", "float", 5.0, -2.0, 12.0, 0.05),
        Control("b0", "start b", "float", -3.0, -8.0, 6.0, 0.05),
        Control("lr", "learning rate", "float", 0.1, 0.01, 3.0, 0.01),
        Control("clip", "clip threshold ‖g‖", "float", 0.5, 0.05, 5.0, 0.05,
                help="Norm the clipped path's gradient is cut to (Pascanu et al., algorithm 1)"),
        Control("steps", "gradient steps", "int", 80, 1, 300,
                help="Gradient steps of each path"),
    )
    figure_names = ("surface", "slice", "loss", "grad")
    quantities = {f.__name__: f for f in (path_stat, paths_ratio, paths_differ, wall_height)}
    presets = {
        "thrown off the cliff": dict(view="cliff", T=50, w0=5.0, b0=-3.0, lr=0.1, clip=0.5,
                                     steps=80),
        "big steps": dict(view="wide", T=50, w0=6.0, b0=-4.5, lr=1.0, clip=0.5, steps=80),
        "far from the wall": dict(view="cliff", T=50, w0=8.0, b0=-4.3, lr=0.5, clip=0.5,
                                  steps=80),
    }

    def __init__(self):
        super().__init__()
        self.surface_runs = 0

    def limits(self, values):
        (w_lo, w_hi), (b_lo, b_hi) = VIEWS[values["view"]]
        return {"w0": Limits(w_lo, w_hi), "b0": Limits(b_lo, b_hi)}

    def _surface(self, view, T):
        self.surface_runs += 1
        return surface_grid(view, T)

    def compute(self, values):
        T, view, w0 = values["T"], values["view"], values["w0"]
        w, b, loss = self.cached(("surface", view, T), lambda: self._surface(view, T))
        start = dict(w0=w0, b0=values["b0"], lr=values["lr"], steps=values["steps"], T=T)
        free = self.cached(("free",) + tuple(start.values()), lambda: cliff_descent(**start))
        clipped = cliff_descent(**start, clip=values["clip"])
        slice_loss = self.cached(("slice", view, T, w0), lambda: cliff_loss(w0, b, T=T))
        return Surface(w, b, loss, slice_loss, (free, clipped))

    def render(self, r, values):
        free, clipped = r.paths
        out = {"surface": figures.cliff(r.w, r.b, r.loss, [(p.w, p.b) for p in r.paths],
                                        labels=PATH_LABELS, colors=PATH_COLORS,
                                        note=self._left_view(r))}
        # The slice depends on the start only: the same record is shown again (and not sent).
        out["slice"] = self.cached(
            ("slice figure", values["view"], values["T"], values["w0"], values["b0"]),
            lambda: figures.lines(r.b, [r.slice_loss], ["E at the start's w"], log=False,
                                  colors=(OKABE_ITO["blue"],), mark="*",
                                  marks=[([values["b0"]], [free.loss[0]])],
                                  xlim=(r.b[0], r.b[-1]), ylim=(0, 0.55),
                                  title="The cliff from the side", xlabel="bias $b$",
                                  ylabel="error $E$", legend="upper right"), keep=2)
        steps = np.arange(values["steps"] + 1)
        # Fixed bottoms and a top in steps of three decades: the axes rarely move.
        out["loss"] = figures.lines(steps, [p.loss for p in r.paths], PATH_LABELS,
                                    colors=PATH_COLORS, xlim=(0, max(values["steps"], 1)),
                                    ylim=(LOSS_FLOOR, 1.0), title="Error along each path",
                                    xlabel="step", ylabel="error $E$", legend="lower left")
        fired = np.flatnonzero(clipped.clipped)
        norms = np.concatenate([p.grad_norm[np.isfinite(p.grad_norm)] for p in r.paths])
        top = max(1e3, 10.0 ** (3 * np.ceil(np.log10(norms.max()) / 3))) if norms.size else 1e3
        out["grad"] = figures.lines(steps[:-1], [p.grad_norm for p in r.paths], PATH_LABELS,
                                    colors=PATH_COLORS, mark="o",
                                    marks=[None, (fired, clipped.grad_norm[fired])],
                                    refs=[None, values["clip"]], ref_label="clip threshold",
                                    xlim=(0, max(values["steps"] - 1, 1)),
                                    ylim=(GRAD_FLOOR, min(top, 1e200)),
                                    note=f"● clipped at {fired.size} of {values['steps']} steps",
                                    title="Gradient norm along each path", xlabel="step",
                                    ylabel="‖g‖ before clipping", legend="lower left")
        return out

    @staticmethod
    def _left_view(r):
        """A note naming the first step where each path left the view, if it did."""
        out = []
        for label, p in zip(PATH_LABELS, r.paths):
            inside = ((p.w >= r.w[0]) & (p.w <= r.w[-1]) & (p.b >= r.b[0]) & (p.b <= r.b[-1]))
            ok = np.isfinite(p.w) & np.isfinite(p.b)
            out_steps = np.flatnonzero(ok & ~inside)
            if out_steps.size:
                out.append(f"{label}: leaves the view at step {out_steps[0]}")
        return "\n".join(out)

    def describe(self, r, values):
        lines = []
        for label, p in zip(PATH_LABELS, r.paths):
            ok = np.flatnonzero(np.isfinite(p.loss))
            end = ok[-1]
            biggest = np.nanmax(p.grad_norm) if np.isfinite(p.grad_norm).any() else np.nan
            lines.append(f"<b>{label}</b>: E {p.loss[0]:.3g} → {p.loss[end]:.3g} at "
                         f"(w, b) = ({p.w[end]:.3g}, {p.b[end]:.3g}); largest ‖g‖ "
                         f"{biggest:.3g}")
        clipped = r.paths[1]
        lines.append(f"Clipping fired at {int(clipped.clipped.sum())} of {values['steps']} "
                     f"steps (threshold {values['clip']:g}).")
        lines.append("<i>Click the surface to start from there.</i>")
        return readout_html(lines)

    def notes(self, r, values):
        notes = []
        for label, p in zip(PATH_LABELS, r.paths):
            if p.first_nonfinite is not None:
                notes.append(f"The path {label} stopped at step {p.first_nonfinite}: its gradient "
                             "was not finite.")
        return notes

    def clicked(self, figure, panel, w, b, values):
        """A click on the surface moves the start there (rounded to the sliders' step)."""
        if figure != "surface":
            return {}
        (w_lo, w_hi), (b_lo, b_hi) = VIEWS[values["view"]]
        step = 0.05
        w0 = float(np.clip(round(w / step) * step, w_lo, w_hi))
        b0 = float(np.clip(round(b / step) * step, b_lo, b_hi))
        return {"w0": round(w0, 2), "b0": round(b0, 2)}
