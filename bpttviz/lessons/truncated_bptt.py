"""Lesson 3, truncated BPTT: which errors a schedule keeps, what it costs, how wrong it is.

Truncated BPTT(k1, k2) (Williams & Peng 1990; Williams & Zipser 1995)
updates every k1 steps and backpropagates each update through the last k2
states. The named schedules of :mod:`bpttviz.schedules` are what libraries
and tutorials do (Keras/TensorFlow chunks, Theano's ``truncate_gradient``,
the PyTorch forum recipe, the Wikipedia pseudocode). Truncation drops the
error paths longer than the window: the gradient is biased (Tallec &
Ollivier 2017, "Unbiasing truncated backpropagation through time"), in
exchange for memory that grows with k2 instead of T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import figures
from ..diagnostics import TRUNCATIONS, TruncationBias, gradient_agreement, truncation_bias
from ..engine import bptt
from ..figures import alt_text
from ..models import ElmanRNN
from ..schedules import full
from .common import finite_or_none, overflow_notes, random_sequence, readout_html
from .control import Control
from .lesson import Limits, Lesson

__all__ = ["TruncationLesson", "Truncation", "SCHEDULES", "SCHEDULE_LABELS", "lesson_schedule",
           "bias_grid", "bias_at"]

#: Scale of W_xh: small enough that tanh does not saturate and errors travel far.
INPUT_SCALE = 0.5

#: The schedules of the lesson and the knobs each one uses.
SCHEDULES = {
    "tbptt": ("k1", "k2"),
    "full": (),
    "keras": ("k2",),
    "per_loss": ("k1", "k2"),
    "sliding_window": ("k2",),
    "last_loss": ("k1", "k2"),
}

#: What the schedule menu shows for each (the query string keeps the names above).
SCHEDULE_LABELS = {
    "tbptt": "TBPTT(k1, k2)",
    "full": "full BPTT",
    "keras": "Keras chunks",
    "per_loss": "per loss",
    "sliding_window": "sliding window",
    "last_loss": "last loss only",
}

_KNOB_HELP = {
    "tbptt": "update every k1 steps through the last k2 states (Williams & Peng 1990)",
    "full": "one update after the last step, back to the first state",
    "keras": "chunks of k = k2 steps (Keras/TensorFlow stateful RNNs, PyTorch detach)",
    "per_loss": "each loss reaches its own last k2 states; an update every k1 steps",
    "sliding_window": "one loss per update, a window of k = k2 states (Wikipedia pseudocode)",
    "last_loss": "every k1 steps, only the latest loss, through k2 states (forum recipe)",
}


def lesson_schedule(name: str, T: int, k1: int, k2: int):
    """The schedule ``name`` over T steps with the lesson's knobs (unused knobs ignored)."""
    if name == "full":
        return full(T)
    return TRUNCATIONS[name](T, k1 if "k1" in SCHEDULES[name] else None, k2)


def bias_grid(T: int, n: int = 14):
    """About ``n`` values of k2 from 1 to T, denser at small k2 (where the bias changes)."""
    return np.unique(np.round(np.geomspace(1, T, n)).astype(np.int64))


def bias_at(trace, full_grads, params, k2, schedule, k1=None) -> TruncationBias:
    """The point of :func:`bpttviz.diagnostics.truncation_bias` (``combine="mean"``) at one k2,
    from a trace of that schedule already run and the full-BPTT gradient.

    Parameters
    ----------
    trace : Trace
        The run of ``TRUNCATIONS[schedule](T, k1, k2)`` (or of full BPTT at k2 = T).
    full_grads : dict of arrays
        The full-BPTT gradient of the mean loss, keyed like ``model.params``.
    params : sequence of str
        The parameters compared.
    k2 : int
    schedule : str
    k1 : int, optional

    Returns
    -------
    TruncationBias
        Arrays of shape (1,); no engine run.
    """
    cos, ratio, fnorm = gradient_agreement(trace, full_grads, combine="mean", params=params)
    return TruncationBias(np.array([k2], dtype=np.int64), np.array([cos]), np.array([ratio]),
                          fnorm, schedule, k1, "mean", tuple(params))


def _bias_args(name, k1):
    """(schedule family, k1) of the bias curve for the lesson's schedule ``name``."""
    family = "tbptt" if name == "full" else name
    return family, (k1 if "k1" in SCHEDULES[name] else None)


def cost_ratio(result, values, what: str = "backward_steps") -> float:
    """The schedule's cost ``what`` over full BPTT's (lesson 3)."""
    return float(getattr(result.trace.cost, what) / getattr(result.reference_cost, what))


def losses_reaching_nothing(result, values) -> float:
    """How many losses of the schedule reach no state at all (lesson 3's timeline)."""
    kept = np.asarray(result.schedule.kept_any, dtype=bool)
    return float(np.sum(~kept.any(axis=1)))


def k2_reaching(result, values, cosine: float = 0.99) -> float:
    """The smallest k2 of the bias curve whose gradient has at least ``cosine`` with full
    BPTT's (NaN if none)."""
    c = result.curve
    ok = np.flatnonzero(np.asarray(c.cosine) >= cosine)
    return float(np.asarray(c.k2)[ok[0]]) if ok.size else math.nan


@dataclass(frozen=True)
class Truncation:
    """One configuration of lesson 3."""

    model: ElmanRNN
    inputs: np.ndarray            # (T, 1, 1)
    targets: np.ndarray           # (T, 1, 1)
    schedule: object              # bpttviz.Schedule
    trace: object                 # bpttviz.Trace of that schedule
    flow: np.ndarray              # (T, T), untruncated
    reference_cost: object        # bpttviz.Cost of full BPTT on the same data
    curve: object                 # diagnostics.TruncationBias over bias_grid(T)
    point: object                 # diagnostics.TruncationBias at this k2


class TruncationLesson(Lesson):
    """Lesson 3: a truncation schedule as a timeline and as a mask over the gradient flow.

    The bias curve over k2 depends only on the network, T, the schedule
    family and k1, full BPTT (its gradient and its cost) only on the network
    and T: they are kept and reused while only k2 changes. The point at the
    current k2 comes from the schedule's own run.
    """

    title = "Truncated BPTT"
    summary = ("what truncation schedules, TBPTT(k1, k2) and the variants libraries use, keep and "
               "drop; how biased their gradient is and what they save.")
    slug = "truncated_bptt"
    number = 3
    class_control = "k2"
    controls = (
        Control("schedule", "schedule", "option", "tbptt",
                options=tuple((SCHEDULE_LABELS[s], s) for s in SCHEDULES)),
        Control("T", "T (steps)", "int", 60, 10, 200),
        Control("k1", "k1 (steps)", "int", 5, 1, 200, help="Steps between updates"),
        Control("k2", "k2 (states)", "int", 10, 1, 200,
                help="States each update backpropagates through"),
        Control("radius", "ρ(W_hh)", "float", 1.2, 0.1, 2.0, 0.05,
                help="Spectral radius of W_hh: its largest |eigenvalue|"),
        Control("hidden", "H (hidden units)", "int", 16, 2, 64),
        Control("seed", "seed", "int", 0, 0, 99, help="Weights and data"),
    )
    figure_names = ("flow", "timeline", "bias", "cost")
    quantities = {f.__name__: f for f in (cost_ratio, losses_reaching_nothing, k2_reaching)}

    def experiment_result(self, r, run=None):
        """The truncation bias at this k2: the cosine of the schedule's gradient with full
        BPTT's (1: unbiased in direction) and their norm ratio."""
        return {"cosine_to_full": finite_or_none(r.point.cosine[0]),
                "norm_ratio": finite_or_none(r.point.norm_ratio[0])}

    def limits(self, values):
        T, uses = values["T"], SCHEDULES[values["schedule"]]
        return {k: Limits(high=T, disabled=k not in uses) for k in ("k1", "k2")}

    def compute(self, values):
        T, name, k1, k2 = values["T"], values["schedule"], values["k1"], values["k2"]
        seed = values["seed"]
        model = ElmanRNN(1, values["hidden"], 1, "tanh", seed, radius=values["radius"],
                         input_scale=INPUT_SCALE)
        x, y = random_sequence(T, seed, stream=3)
        schedule = lesson_schedule(name, T, k1, k2)
        trace = bptt(model, x, y, schedule=schedule)
        net = (T, values["hidden"], values["radius"], seed)
        family, bias_k1 = _bias_args(name, k1)
        point_k2 = T if name == "full" else k2
        # Full BPTT without records: the reference cost and the gradient the point is
        # compared with (truncation_bias's full gradient: the gradient of the mean loss).
        reference = self.cached(("full", net), lambda: bptt(model, x, y, record=False))
        # The output layer's gradient is never truncated: compare the recurrent layer's.
        names = model.cell.param_names
        curve = self.cached(("curve", net, family, bias_k1),
                             lambda: truncation_bias(model, x, y, bias_grid(T), k1=bias_k1,
                                                     schedule=family, combine="mean",
                                                     params=names))
        point = bias_at(trace, reference.updates[0].grads, names, point_k2, family, bias_k1)
        # The flow is full BPTT's, whatever the schedule: it changes with the network only.
        flow = self.cached(("flow", net), lambda: trace.flow)
        return Truncation(model, x, y, schedule, trace, flow, reference.cost, curve, point)

    def render(self, r, values):
        return {
            "flow": figures.flow(r.flow, carries=r.trace.carries, kept=r.schedule.kept_any,
                                 overflow_step=r.trace.first_overflow,
                                 title="Flow, and what the schedule keeps"),
            "timeline": figures.schedule(r.schedule),
            "bias": figures.truncation_bias(r.curve.k2, r.curve.cosine, r.curve.norm_ratio,
                                            current_k2=int(r.point.k2[0]),
                                            current_cosine=float(r.point.cosine[0])),
            "cost": figures.cost(r.trace.cost, r.reference_cost),
        }

    def describe_figures(self, r, values):
        return {"flow": alt_text.flow_text(r.flow, kept=r.schedule.kept_any,
                                           overflow_step=r.trace.first_overflow,
                                           carries=r.trace.carries),
                "bias": alt_text.truncation_bias_text(r.curve.k2, r.curve.cosine,
                                                      int(r.point.k2[0]),
                                                      float(r.point.cosine[0])),
                "cost": alt_text.cost_text(r.trace.cost, r.reference_cost)}

    def describe(self, r, values):
        s, c, ref = r.schedule, r.trace.cost, r.reference_cost
        injected = np.unique(np.concatenate([u.losses for u in s.updates]))
        kept = s.kept_any[np.tril_indices(s.T)].mean()
        return readout_html([
            f"<i>{_KNOB_HELP[values['schedule']]}</i>",
            f"{len(s.updates)} updates; {injected.size} of {s.T} losses injected; "
            f"{100 * kept:.0f}% of the (loss, state) pairs kept",
            f"recurrent layer's gradient: cos(this, full) = {float(r.point.cosine[0]):.3f}, "
            f"norm ratio = {float(r.point.norm_ratio[0]):.3g}",
            f"backward steps {c.backward_steps} (full: {ref.backward_steps}); "
            f"peak stored floats {c.peak_stored_floats} (full: {ref.peak_stored_floats})"])

    def notes(self, r, values):
        return overflow_notes(r.trace)
