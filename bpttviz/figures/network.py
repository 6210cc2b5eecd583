"""The network unrolled over T steps (lesson 1), one frame of its forward and backward walk.

Inputs, hidden states and losses are nodes in three rows, one column per
copy. Frames ``0 .. T-1`` compute ``h_t`` forward, frames ``T .. 2T-1`` pull
the error ``delta_s = dL/dh_s`` back from ``s = T-1`` to 0, frame ``2T`` shows
the sum of the copies' shares of the ``W_hh`` gradient. Below the network,
one bar per copy: its share; beside them, the summed (H, H) gradient.
"""

from __future__ import annotations

import numpy as np

from .record import Axis, ColourScale, Figure, Heatmap, Panel, Points, Rects, Segments, Text
from .style import GREY, MAGNITUDE_CMAP, OKABE_ITO, OVERFLOW, SIGNED_CMAP, colormap

__all__ = ["unrolled", "unrolled_frames", "phase"]

DX = 1.5            # distance between copies (data units)
ROW = {"x": 0.0, "h": 1.0, "loss": 2.0}
NODE = 31.6         # node diameter (points): round whatever the panel's aspect
GAP = 19.0          # arrows stop this far (points) from a node's centre
INK = OKABE_ITO["black"]
PHI = {"tanh": r"\tanh", "relu": r"\mathrm{relu}", "sigmoid": r"\sigma", "linear": ""}


def unrolled_frames(T: int) -> int:
    """Number of frames of the walk: T forward steps, T backward steps, the sum."""
    return 2 * T + 1


def phase(T, frame):
    """("forward", t), ("backward", s) or ("sum", None) for a frame in [0, 2T]."""
    if frame < T:
        return "forward", frame
    if frame < 2 * T:
        return "backward", 2 * T - 1 - frame
    return "sum", None


def _viridis_hex(u, lut):
    k = int(np.clip(np.floor(u * 256), 0, 255))
    r, g, b = lut[k]
    return f"#{r:02x}{g:02x}{b:02x}"


def unrolled(frame, hidden_norms, error_norms, whh_norms, whh_grad, *, activation="tanh",
             size=(875, 450)):
    """Frame ``frame`` (0 .. 2T) of the walk through one full BPTT run.

    ``hidden_norms`` (T,) are ``||h_t||``, ``error_norms`` (T,) ``||dL/dh_t||``,
    ``whh_norms`` (T,) the norm of each copy's share of the W_hh gradient and
    ``whh_grad`` (H, H) their sum.
    """
    hn, en = np.asarray(hidden_norms, dtype=float), np.asarray(error_norms, dtype=float)
    wn = np.asarray(whh_norms, dtype=float)
    T = hn.size
    stage, t = phase(T, int(frame))
    seen = T if stage != "forward" else t + 1                    # copies computed so far
    back_from = {"forward": T, "backward": t, "sum": 0}[stage]   # copies the error reached
    x = DX * np.arange(T)
    finite_h = hn[np.isfinite(hn)]
    top_h = max(float(finite_h.max()) if finite_h.size else 1.0, 1e-12)
    ok_e = en[np.isfinite(en) & (en > 0)]
    e_lo, e_hi = (float(ok_e.min()), float(ok_e.max())) if ok_e.size else (1.0, 1.0)

    def width(e):
        """Arrow width on a log scale of the error norms: 1.2 .. 6 points."""
        if not np.isfinite(e) or e <= 0 or e_hi <= e_lo:
            return 3.0 if np.isfinite(e) and e > 0 else 1.2
        return 1.2 + 4.8 * (np.log(e) - np.log(e_lo)) / (np.log(e_hi) - np.log(e_lo))

    done = np.arange(T) < seen
    now = np.zeros(T, dtype=bool)
    if stage in ("forward", "backward"):
        now[t] = True
    accent = OKABE_ITO["orange"] if stage == "forward" else OKABE_ITO["vermillion"]
    edges = [accent if n else (INK if d else GREY) for n, d in zip(now, done)]
    widths = np.where(now, 4.0, 1.5)
    fill = ["#d9d9d9" if d else "#ffffff" for d in done]
    # The upper two thirds of viridis only, so the black labels stay readable.
    lut = colormap(MAGNITUDE_CMAP)
    h_fill = [_viridis_hex(0.35 + 0.65 * v / top_h, lut) if (d and np.isfinite(v))
              else (OVERFLOW if d else "#ffffff") for v, d in zip(hn, done)]
    net = [
        Points(x, np.full(T, ROW["x"]), fill, NODE, edge=edges, edge_width=widths),
        Points(np.r_[-DX, x], np.full(T + 1, ROW["h"]), ["#ffffff"] + h_fill, NODE,
               edge=[INK] + edges, edge_width=np.r_[1.5, widths]),
        Points(x, np.full(T, ROW["loss"]), fill, NODE, edge=edges, edge_width=widths),
    ]
    # Forward arrows: x_t -> h_t, h_{t-1} -> h_t, h_t -> loss_t.
    fwd_col = [OKABE_ITO["orange"] if (stage == "forward" and i == t) else (INK if done[i] else GREY)
               for i in range(T)]
    fx0 = np.concatenate([x, x - DX, x])
    fy0 = np.concatenate([np.full(T, ROW["x"]), np.full(T, ROW["h"] + 0.06), np.full(T, ROW["h"])])
    fx1 = np.concatenate([x, x, x])
    fy1 = np.concatenate([np.full(T, ROW["h"]), np.full(T, ROW["h"] + 0.06),
                          np.full(T, ROW["loss"])])
    net.append(Segments(fx0, fy0, fx1, fy1, fwd_col * 3, 1.6, arrow=True, shrink=GAP))
    # Backward arrows: loss_i -> h_i once the error reached i, h_i -> h_{i-1} after.
    reached = np.arange(T) >= back_from
    pulled = np.arange(T) > back_from
    ii = np.flatnonzero(reached)
    jj = np.flatnonzero(pulled)
    net.append(Segments(x[ii] - 0.12, np.full(ii.size, ROW["loss"]), x[ii] - 0.12,
                        np.full(ii.size, ROW["h"]), OKABE_ITO["vermillion"], 1.6, arrow=True,
                        shrink=GAP))
    net.append(Segments(x[jj], np.full(jj.size, ROW["h"] - 0.08), x[jj] - DX,
                        np.full(jj.size, ROW["h"] - 0.08), OKABE_ITO["vermillion"],
                        np.array([width(en[j]) for j in jj]), arrow=True, shrink=GAP))
    net.append(Text(-DX, ROW["h"], "$h_{-1}$", ha="center", size=11))
    for i in range(T):
        for row, name in (("x", "x"), ("h", "h"), ("loss", "L")):
            net.append(Text(x[i], ROW[row], f"${name}_{{{i}}}$", ha="center", size=11))
        if done[i]:
            net.append(Text(x[i] + 0.1, ROW["h"] + 0.2, f"‖h‖={hn[i]:.2g}", ha="left",
                            va="bottom", color=OKABE_ITO["blue"], size=10))
        if reached[i]:
            net.append(Text(x[i] + 0.1, ROW["h"] - 0.2, f"‖δ‖={en[i]:.2g}", ha="left", va="top",
                            color=OKABE_ITO["vermillion"], size=10))
    net.append(Text(-DX / 2, ROW["h"] + 0.12, "$W_{hh}$", ha="center", va="bottom", color=GREY,
                    size=10))
    phi = PHI.get(activation, activation)
    if stage == "forward":
        caption = (f"Forward, step {t}:  $h_{{{t}}} = {phi}(W_{{xh}} x_{{{t}}} + "
                   f"W_{{hh}} h_{{{t - 1}}} + b_h)$, then loss$_{{{t}}}$")
    elif stage == "backward":
        nxt = f" + δ$_{{{t + 1}}}$ pulled back through $W_{{hh}}$" if t + 1 < T else ""
        caption = (f"Backward, step {t}:  δ$_{{{t}}}$ = ∂L/∂h$_{{{t}}}$ = "
                   f"error of loss$_{{{t}}}${nxt}")
    else:
        caption = f"The shared $W_{{hh}}$ gets the sum of the {T} copies' shares"
    xlim = (-DX - 0.75, float(x[-1]) + 0.75)
    network = Panel(Axis("", xlim, visible=False), Axis("", (ROW["x"] - 0.35, ROW["loss"] + 0.35),
                                                        visible=False),
                    net, title=caption, frame=False, cell=(0, 0, 1, 1), name="network")

    heights = np.where(reached & np.isfinite(wn), wn, 0.0)
    top = float(wn[np.isfinite(wn)].max()) if np.isfinite(wn).any() else 1.0
    edge = [OKABE_ITO["vermillion"] if (stage == "backward" and i == t) else "#00000000"
            for i in range(T)]
    bars = Rects(x - 0.3 * DX, x + 0.3 * DX, np.zeros(T), heights, OKABE_ITO["green"],
                 edge=edge, edge_width=3.0)
    shares = Panel(Axis("", xlim, ticks=tuple(x), tick_labels=tuple(f"copy {i}" for i in range(T))),
                   Axis("‖share‖", (0.0, max(top, 1e-12) * 1.15)), (bars,),
                   title="Each copy's share of ∂L/∂W$_{hh}$", cell=(1, 0, 1, 1), name="shares",
                   y_side="right")
    g = np.asarray(whh_grad, dtype=float)
    H = g.shape[0]
    if stage == "sum" and np.isfinite(g).all():
        m = max(float(np.abs(g).max()), 1e-12)
        sum_marks = (Heatmap(g[::-1], (-0.5, H - 0.5, -0.5, H - 0.5),
                             ColourScale(SIGNED_CMAP, "centered", -m, m, colorbar=False)),)
        xlabel = f"‖Σ‖={np.linalg.norm(g):.2g}"
    else:
        sum_marks = (Text(0.5, 0.5, "after the\nbackward\npass", "axes", "center", "center",
                          size=9),)
        xlabel = ""
    # The sum sits under h_{-1}, where no copy is: an inset of the shares' panel.
    left = (-DX - 0.55 - xlim[0]) / (xlim[1] - xlim[0])
    wide = 1.1 / (xlim[1] - xlim[0])
    total = Panel(Axis(xlabel, (-0.5, H - 0.5), ticks=()), Axis("", (-0.5, H - 0.5), ticks=()),
                  sum_marks, title="Σ = ∂L/∂W$_{hh}$", name="sum",
                  inset=(1, left, 0.0, wide, 0.72), title_size=10)
    return Figure((network, shares, total), *size, rows=(2.3, 1.0))
