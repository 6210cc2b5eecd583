"""The network unrolled over a few steps (lesson 1), walked forward and then backward.

:func:`draw_unrolled` draws the copies once; :func:`update_unrolled` shows one
frame of the walk: the forward pass step by step, the error pulled back step
by step, and the shared ``W_hh``'s gradient as the sum of the copies' shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.patches import FancyArrowPatch

from .style import MAGNITUDE_CMAP, OKABE_ITO, OVERFLOW, SIGNED_CMAP

__all__ = ["UnrolledArtists", "unrolled_frames", "draw_unrolled", "update_unrolled"]


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
