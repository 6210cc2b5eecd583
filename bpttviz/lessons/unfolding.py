"""Lesson 1, unfolding: one network copied T times, walked forward and then backward.

A recurrent network applied to a sequence is a deep feed-forward network
with one layer per step whose layers share ``W_hh`` (Rumelhart, Hinton &
Williams 1986; Werbos 1990, "Backpropagation through time: what it does and
how to do it"). Backpropagation through that unrolled network is BPTT:
the error ``delta_s = dL/dh_s`` flows from the last step back to the first,
and the gradient of the shared ``W_hh`` is the sum of every copy's share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import figures
from ..cells import ACTIVATIONS
from ..diagnostics import per_copy_shares
from ..engine import bptt
from ..models import ElmanRNN
from .common import overflow_notes, random_sequence, readout_html
from .control import Control
from .lesson import Limits, Lesson

__all__ = ["UnfoldingLesson", "Unfolding"]


def relative_reach(result, values, loss: int = -1, state: int = 0) -> float:
    """``flow[loss, state] / flow[loss, loss]`` of ``result.trace``: how much of one loss's
    error reaches an earlier state."""
    flow = np.asarray(result.trace.flow, dtype=float)
    T = flow.shape[0]
    loss, state = loss % T, state % T
    return float(flow[loss, state] / flow[loss, loss])


def shared_update_rules(result, values, lr: float = 0.1, measure: str = "cosine") -> float:
    """The two accounts of the shared-weight update, compared on lesson 1's network.

    *Sum*: every copy proposes ``-lr * share_t`` and ``W_hh`` moves by their
    sum. *Average*: every copy changes its own weights,
    ``W_t = W_hh - lr * share_t``, and ``W_hh`` becomes their mean. Returns
    the cosine between the two weight changes (``measure="cosine"``), the
    ratio of their lengths sum / average (``"ratio"``), or the largest
    difference between the sum of the shares and the engine's shared gradient,
    relative to its norm (``"engine"``).
    """
    model, x, y = result.model, result.inputs, result.targets
    shares = per_copy_shares(model, x, y)                      # (k, H, H)
    W = model.params["W_hh"]
    by_sum = -lr * shares.sum(axis=0)
    by_average = np.mean([W - lr * s for s in shares], axis=0) - W
    if measure == "cosine":
        a, b = by_sum.ravel(), by_average.ravel()
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    if measure == "ratio":
        return float(np.linalg.norm(by_sum) / np.linalg.norm(by_average))
    if measure == "engine":
        g = result.trace.updates[0].grads["W_hh"]
        return float(np.abs(shares.sum(axis=0) - g).max() / np.linalg.norm(g))
    raise ValueError(f"measure must be one of cosine, ratio, engine. Got {measure!r} instead.")


def copy_share(result, values, copy: int = 0) -> float:
    """The norm of one copy's share of the ``W_hh`` gradient, as the engine recorded it."""
    return float(np.asarray(result.trace.updates[0].whh_norms)[copy])


def sum_over_parts(result, values) -> float:
    """``||sum of the copies' shares|| / sum of their norms``: at most 1 (triangle inequality)."""
    u = result.trace.updates[0]
    return float(np.linalg.norm(u.grads["W_hh"]) / np.sum(u.whh_norms))


@dataclass(frozen=True)
class Unfolding:
    """One full-BPTT run of lesson 1."""

    model: ElmanRNN
    inputs: np.ndarray          # (T, 1, 1)
    targets: np.ndarray         # (T, 1, 1)
    trace: object               # bpttviz.Trace
    hidden_norms: np.ndarray    # (T,) ||h_t||


class UnfoldingLesson(Lesson):
    """Lesson 1: the unrolled network, with a play/step control over the forward and backward pass.

    The frame slider (and the Play button that walks it in the browser) only
    changes what is shown; the engine runs when the network or the sequence
    changes.
    """

    title = "Unfolding"
    summary = ("the network unrolled over a few steps; step through the forward pass, then the "
               "backward pass, and see the shared weight's gradient summed over its copies.")
    slug = "unfolding"
    number = 1
    class_control = "frame"
    play = "frame"
    controls = (
        Control("T", "T (steps)", "int", 5, 2, 8, help="Length of the sequence"),
        Control("hidden", "H (hidden units)", "int", 3, 1, 8, help="Size of h_t"),
        Control("radius", "ρ(W_hh)", "float", 0.9, 0.1, 2.0, 0.05,
                help="Spectral radius of W_hh: its largest |eigenvalue|"),
        Control("activation", "activation φ", "option", "tanh", options=tuple(ACTIVATIONS)),
        Control("seed", "seed", "int", 0, 0, 99, help="Weights and data"),
        Control("frame", "frame of the walk", "int", 0, 0, 2 * 8, recompute=False,
                continuous=True, help="0..T-1 forward, T..2T-1 backward, 2T the sum"),
    )
    figure_names = ("network",)
    wide_figures = ("network",)
    quantities = {f.__name__: f for f in (relative_reach, shared_update_rules, copy_share,
                                            sum_over_parts)}

    def limits(self, values):
        return {"frame": Limits(high=figures.unrolled_frames(values["T"]) - 1)}

    def compute(self, values):
        T = values["T"]
        model = ElmanRNN(1, values["hidden"], 1, values["activation"], values["seed"],
                         radius=values["radius"])
        x, y = random_sequence(T, values["seed"], stream=1)
        trace = bptt(model, x, y)
        return Unfolding(model, x, y, trace, np.linalg.norm(trace.hidden[:, 0], axis=-1))

    def render(self, result, values):
        u = result.trace.updates[0]
        return {"network": figures.unrolled(values["frame"], result.hidden_norms, u.error_norms,
                                            u.whh_norms, u.grads["W_hh"],
                                            activation=values["activation"])}

    def describe(self, result, values):
        tr = result.trace
        g = tr.updates[0].grads["W_hh"]
        return readout_html([f"mean loss L = {tr.loss:.3g}",
                             f"‖∂L/∂W<sub>hh</sub>‖ = {np.linalg.norm(g):.3g} "
                             f"(sum over {tr.T} copies)"])

    def notes(self, result, values):
        return overflow_notes(result.trace)
