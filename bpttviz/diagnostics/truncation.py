"""How far a truncated gradient is from the full one, and what the truncation saves (measured)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (check_array, check_grads, check_instance, check_int, check_option,
                           describe, instance_hint)
from ..engine import make_problem, resolve_schedule, run_schedule
from ..schedules import Schedule, keras, last_loss, per_loss, sliding_window, tbptt
from ..trace import Cost, Trace
from ._agreement import agreement, applied_gradient, check_param_names, flat_gradient


# --- truncation bias -----------------------------------------------------------------

def _tbptt(T, k1, k2):
    return tbptt(T, k1 or k2, k2)


def _per_loss(T, k1, k2):
    return per_loss(T, k2, k1)


def _keras(T, k1, k2):
    return keras(T, k2)


def _last_loss(T, k1, k2):
    return last_loss(T, k1 or k2, k2)


def _sliding_window(T, k1, k2):
    return sliding_window(T, min(k2, T))


#: Truncated schedules as functions of ``(T, k1, k2)``, for :func:`truncation_bias`.
#: ``k1=None`` means each schedule's own default: ``k1 = k2`` for "tbptt" and
#: "last_loss", one update at the end for "per_loss"; "keras" always has
#: ``k1 = k2`` and "sliding_window" ``k1 = 1``.
TRUNCATIONS = {
    "tbptt": _tbptt,
    "per_loss": _per_loss,
    "keras": _keras,
    "last_loss": _last_loss,
    "sliding_window": _sliding_window,
}


@dataclass(frozen=True, eq=False)
class TruncationBias:
    """How far a truncated gradient is from the full one, as a curve over ``k2``.

    Attributes
    ----------
    k2 : ndarray (K,) of int
    cosine : ndarray (K,)
        Cosine similarity between the schedule's gradient and the full-BPTT
        gradient (NaN where either is zero or not finite).
    norm_ratio : ndarray (K,)
        ``||schedule's gradient|| / ||full gradient||``.
    full_norm : float
        ``||full gradient||``.
    schedule : str
    k1 : int or None
    combine : str
        How the updates' gradients were combined ("sum" or "mean").
    params : tuple of str
        The parameters the gradient vectors are made of.
    """

    k2: np.ndarray
    cosine: np.ndarray
    norm_ratio: np.ndarray
    full_norm: float
    schedule: str = "tbptt"
    k1: int | None = None
    combine: str = "sum"
    params: tuple = ()


def gradient_agreement(trace, full_grads, *, combine="sum", params=None):
    """Cosine and norm ratio between the gradient a run of a schedule applies and a full one.

    One point of :func:`truncation_bias`, from a trace already computed (no
    engine run): for a lesson that has the schedule's trace anyway.

    Parameters
    ----------
    trace : Trace
        A run of a schedule over one sequence.
    full_grads : dict of arrays
        The reference gradient, keyed like ``model.params`` (e.g. the single
        update's ``grads`` of a full-BPTT trace).
    combine : {"sum", "mean"}
        As in :func:`truncation_bias`.
    params : str or sequence of str, optional
        Compare only these parameters; default all of ``full_grads``.

    Returns
    -------
    (cosine, norm_ratio, full_norm) : tuple of float
        NaN where a norm is zero or not finite.
    """
    func = "gradient_agreement"
    trace = check_instance(trace, "trace", func, Trace, "a bpttviz Trace (from bptt)",
                           make="bptt(model, inputs, targets)")
    own = trace.updates[0].grads
    full_grads = check_grads(full_grads, "full_grads", func, {k: g.shape for k, g in own.items()},
                             require_all=False)
    combine = check_option(combine, "combine", func, ("sum", "mean"))
    names = check_param_names(params, full_grads, func)
    with np.errstate(all="ignore"):
        return agreement(flat_gradient(applied_gradient(trace, trace.carries, combine), names),
                         flat_gradient(full_grads, names))


def truncation_bias(model, inputs, targets, k2_values, *, k1=None, h0=None, loss="mse",
                    mask=None, schedule="tbptt", combine="sum", params=None) -> TruncationBias:
    """Cosine and norm ratio between a truncated schedule's gradient and the full gradient.

    For each ``k2``, the gradient the schedule would apply over the sequence
    (``trace.grads``, the sum of its updates' gradients) is compared with the
    full-BPTT gradient of the mean loss, computed once.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    targets : array (T, B, O), or int array (T, B) for ``loss="cross_entropy"``
    k2_values : int or array-like of int >= 1, shape (K,)
        Truncation lengths; values at or above T mean no truncation.
    k1 : int >= 1, optional
        Steps between updates. None: ``k1 = k2`` for "tbptt" and "last_loss"
        (chunking), one update at the end for "per_loss" (see :data:`TRUNCATIONS`).
    h0, loss, mask
        As in :func:`bpttviz.bptt`.
    schedule : {"tbptt", "per_loss", "keras", "last_loss", "sliding_window"}
    combine : {"sum", "mean"}
        "sum" compares ``trace.grads``: with U updates of k1 losses each it is
        about ``T / k1`` times the full gradient's scale even without
        truncation. "mean" weights each update by the number of targeted
        losses it injects and divides by their total: the gradient of the
        mean of the injected losses, equal to the full gradient when nothing
        is truncated and every loss is injected.
    params : str or sequence of str, optional
        Compare only these parameters (e.g. ``("W_hh",)``); default all.

    Returns
    -------
    TruncationBias

    Notes
    -----
    Truncation drops the terms ``dL_tau/dh_tau * ds_tau/ds_s * ds_s/dtheta``
    with ``s`` before the window (Williams & Peng 1990); the cosine shows how
    much that turns the gradient, the norm ratio how much it shrinks it.
    """
    func = "truncation_bias"
    pb = make_problem(model, inputs, targets, h0, loss, mask, func)
    k2s = check_array(np.atleast_1d(np.asarray(k2_values)) if np.ndim(k2_values) == 0
                      else k2_values, "k2_values", func, ndim=1, kind="int",
                      what="whole numbers of states", shape=(("K", None),))
    if k2s.min() < 1:
        raise ValueError(f"The 'k2_values' parameter of {func} must hold ints in the range "
                         f"[1, inf). Got {k2s.min()} instead.")
    k1 = check_int(k1, "k1", func, low=1, allow_none=True)
    schedule = check_option(schedule, "schedule", func, tuple(TRUNCATIONS))
    if k1 is not None and schedule in ("keras", "sliding_window"):
        raise ValueError(f"The {schedule!r} schedule fixes k1 ({'k2' if schedule == 'keras' else 1}"
                         f"): the 'k1' parameter of {func} must be None. Got {k1} instead.")
    combine = check_option(combine, "combine", func, ("sum", "mean"))
    names = check_param_names(params, pb.params, func)
    T = pb.T
    with np.errstate(all="ignore"):
        full = run_schedule(pb, tbptt(T), record=False).updates[0].grads
        f = flat_gradient(full, names)
        fnorm = float(np.sqrt(f @ f))
        cos = np.empty(len(k2s))
        ratio = np.empty(len(k2s))
        for i, k2 in enumerate(k2s):
            trace = run_schedule(pb, TRUNCATIONS[schedule](T, k1, int(k2)), record=False)
            g = flat_gradient(applied_gradient(trace, pb.carries, combine), names)
            cos[i], ratio[i], _ = agreement(g, f)
    return TruncationBias(k2s.astype(np.int64), cos, ratio, fnorm, schedule, k1, combine, names)


# --- cost, measured ---------------------------------------------------------------------

_RUN_OPTIONS = ("k1", "k2", "schedule", "checkpoint")


def _run_plan(T, spec, func, label):
    """``(schedule, checkpoint)`` from a Schedule or a dict of bptt options."""
    where = f" (entry {describe(label)})" if label is not None else ""
    if isinstance(spec, Schedule):
        spec = {"schedule": spec}
    if not isinstance(spec, dict):
        raise TypeError(f"Each schedule given to {func}{where} must be a Schedule or a dict of "
                        f"options among {list(_RUN_OPTIONS)}. Got {describe(spec)} instead"
                        f"{instance_hint(spec, Schedule, 'schedules.tbptt(T, k1, k2)')}.")
    unknown = sorted(str(k) for k in set(spec) - set(_RUN_OPTIONS))
    if unknown:
        raise TypeError(f"The options given to {func}{where} must be among "
                        f"{list(_RUN_OPTIONS)} (and h0, loss, mask). Got unexpected options "
                        f"{describe(unknown)} instead.")
    checkpoint = check_int(spec.get("checkpoint"), "checkpoint", func, low=1, allow_none=True)
    sched = resolve_schedule(T, spec.get("k1"), spec.get("k2"), spec.get("schedule"), func, where)
    return sched, checkpoint


def schedule_cost(model, inputs, targets, schedule=None, *, h0=None, loss="mse", mask=None,
                  **bptt_kwargs) -> Cost:
    """What running a schedule costs, as counted by the engine while it runs.

    Parameters
    ----------
    model, inputs, targets, h0, loss, mask
        As in :func:`bpttviz.bptt`.
    schedule : Schedule, optional
        A schedule from :mod:`bpttviz.schedules`; or None and ``k1``/``k2``.
    **bptt_kwargs
        ``k1``, ``k2``, ``checkpoint`` as in :func:`bpttviz.bptt`.

    Returns
    -------
    Cost
        Forward steps (recomputation included), recomputed steps, backward
        steps, and the peak of activations stored for later backward sweeps
        (floats and bytes): ``trace.cost`` of a ``record=False`` run.
    """
    func = "schedule_cost"
    pb = make_problem(model, inputs, targets, h0, loss, mask, func)
    spec = dict(bptt_kwargs)
    if schedule is not None:
        if "schedule" in spec:
            raise TypeError(f"{func} got the schedule twice.")
        spec["schedule"] = schedule
    sched, checkpoint = _run_plan(pb.T, spec, func, None)
    with np.errstate(all="ignore"):
        return run_schedule(pb, sched, checkpoint, record=False).cost


def cost_table(model, inputs, targets, schedules, *, h0=None, loss="mse", mask=None):
    """:func:`schedule_cost` for several schedules on the same model and data.

    Parameters
    ----------
    model, inputs, targets, h0, loss, mask
        As in :func:`bpttviz.bptt`.
    schedules : dict
        Name -> a Schedule, or a dict of options among ``k1``, ``k2``,
        ``schedule``, ``checkpoint`` (e.g. ``{"k1": 10, "k2": 10, "checkpoint": 5}``).
        Every entry is checked before any runs.

    Returns
    -------
    dict of str -> Cost
        In the order given.
    """
    func = "cost_table"
    pb = make_problem(model, inputs, targets, h0, loss, mask, func)
    if not isinstance(schedules, dict) or not schedules:
        raise TypeError(f"The 'schedules' parameter of {func} must be a non-empty dict of "
                        f"name -> Schedule or options. Got {describe(schedules)} instead.")
    plans = {}
    for name, spec in schedules.items():
        try:
            plans[str(name)] = _run_plan(pb.T, spec, func, name)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"The 'schedules' parameter of {func} has a bad entry "
                            f"{describe(name)}: {exc}") from None
    with np.errstate(all="ignore"):
        return {name: run_schedule(pb, s, c, record=False).cost for name, (s, c) in plans.items()}
