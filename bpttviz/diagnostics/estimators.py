"""Bias, variance and cost of gradient estimators on one network and one batch.

Truncated BPTT over k2 (biased, deterministic), randomized truncation
(Tallec & Ollivier 2017, unbiased and noisy), UORO (Tallec & Ollivier 2018,
unbiased and noisy) and RTRL (Williams & Zipser 1989, exact) are run on the
same model and data, with the same update times, and compared with the full
BPTT gradient: cosine and norm ratio (mean and spread over seeds), and what
each run cost as counted by the code that ran.

Cost is given in multiply-adds: the forward-mode methods count theirs as they
run (``Cost.flops``); for the engine's runs they are derived from the forward
and backward steps the engine counted, at the multiply-adds of one step (see
:func:`engine_flops`). Peak stored floats are measured by each run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_instance, check_int, check_real, describe
from ..cells import ElmanCell, GRUCell, LSTMCell
from ..engine import make_problem, run_schedule
from ..models import ElmanRNN
from ..online import check_online_model, rtrl, uoro
from ..schedules import randomized, tbptt
from ._agreement import agreement, applied_gradient, check_param_names, flat_gradient

__all__ = ["EstimatorComparison", "compare_estimators", "engine_flops", "ESTIMATOR_KINDS",
           "HiddenCost", "cost_against_hidden"]

#: The kinds of estimator compared, in the order rows appear.
ESTIMATOR_KINDS = ("tbptt", "randomized", "uoro", "rtrl")


def engine_flops(cell, B, n_out, forward_steps, backward_steps) -> int:
    """Multiply-adds of an engine run from its counted steps (Elman/LSTM/GRU alike).

    A forward step is ``B (P (I + H) + O H)`` (pre-activations and read-out);
    a backward step ``B (P H + P (I + H + 1) + O H)`` (the error through
    ``W_hh``, the parameter outer products, the read-out's gradient), with P
    the pre-activation size.

    Parameters
    ----------
    cell : ElmanCell, LSTMCell or GRUCell
        The network's cell (``model.cell``).
    B : int >= 1
        Batch size.
    n_out : int >= 1
        Outputs O.
    forward_steps, backward_steps : int >= 0
        As counted in ``trace.cost``.

    Returns
    -------
    int
    """
    func = "engine_flops"
    check_instance(cell, "cell", func, (ElmanCell, LSTMCell, GRUCell),
                   "a network's cell (model.cell)")
    B = check_int(B, "B", func, low=1)
    n_out = check_int(n_out, "n_out", func, low=1)
    forward_steps = check_int(forward_steps, "forward_steps", func, low=0)
    backward_steps = check_int(backward_steps, "backward_steps", func, low=0)
    P, I, H = cell.local_size, cell.n_in, cell.n_hidden
    fwd = B * (P * (I + H) + n_out * H)
    bwd = B * (P * H + P * (I + H + 1) + n_out * H)
    return int(forward_steps * fwd + backward_steps * bwd)


@dataclass(frozen=True, eq=False)
class EstimatorComparison:
    """One row per estimator; arrays are aligned with ``labels``.

    Attributes
    ----------
    labels : tuple of str
        E.g. ``"tbptt k2=4"``, ``"randomized k_min=2 p=0.3"``, ``"uoro"``, ``"rtrl"``.
    kinds : tuple of str
        One of :data:`ESTIMATOR_KINDS` per row.
    cosines, norm_ratios : tuple of ndarray (n_r,)
        Per row, the value of every sample (one for a deterministic method,
        ``n_seeds`` for a random one).
    cosine_mean, cosine_sd, norm_ratio_mean, norm_ratio_sd : ndarray (M,)
        Mean and standard deviation over the samples (sd 0 for one sample).
    mean_cosine : ndarray (M,)
        Cosine between the *mean* of the samples and the full gradient:
        near 1 for an unbiased estimator with enough samples.
    flops : ndarray (M,)
        Multiply-adds of one run (mean over seeds).
    forward_steps, backward_steps : ndarray (M,)
        Steps counted by the run (mean over seeds); the forward-mode methods
        have no backward steps.
    peak_stored_floats : ndarray (M,) of int
        Largest stored floats of one run (max over seeds).
    full_norm : float
    k1 : int
    n_seeds : int
    """

    labels: tuple
    kinds: tuple
    cosines: tuple
    norm_ratios: tuple
    cosine_mean: np.ndarray
    cosine_sd: np.ndarray
    norm_ratio_mean: np.ndarray
    norm_ratio_sd: np.ndarray
    mean_cosine: np.ndarray
    flops: np.ndarray
    forward_steps: np.ndarray
    backward_steps: np.ndarray
    peak_stored_floats: np.ndarray
    full_norm: float
    k1: int
    n_seeds: int

    def rows(self):
        """The summary as a list of dicts, one per estimator."""
        return [{"label": l, "kind": k, "cosine_mean": float(cm), "cosine_sd": float(cs),
                 "norm_ratio_mean": float(rm), "norm_ratio_sd": float(rs),
                 "mean_cosine": float(mc), "flops": float(f), "forward_steps": float(fs),
                 "backward_steps": float(bs), "peak_stored_floats": int(p)}
                for l, k, cm, cs, rm, rs, mc, f, fs, bs, p in zip(
                    self.labels, self.kinds, self.cosine_mean, self.cosine_sd,
                    self.norm_ratio_mean, self.norm_ratio_sd, self.mean_cosine, self.flops,
                    self.forward_steps, self.backward_steps, self.peak_stored_floats)]

    def table(self) -> str:
        """A plain-text table of the summary."""
        head = (f"{'estimator':<28}{'cos mean':>9}{'cos sd':>8}{'|g|/|g*|':>9}{'sd':>8}"
                f"{'cos(mean)':>10}{'Mflops':>9}{'peak floats':>12}")
        lines = [head]
        for r in self.rows():
            lines.append(f"{r['label']:<28}{r['cosine_mean']:>9.4f}{r['cosine_sd']:>8.4f}"
                         f"{r['norm_ratio_mean']:>9.3f}{r['norm_ratio_sd']:>8.3f}"
                         f"{r['mean_cosine']:>10.4f}{r['flops'] / 1e6:>9.3f}"
                         f"{r['peak_stored_floats']:>12d}")
        return "\n".join(lines)


def compare_estimators(model, inputs, targets, *, k2_values=(2, 4, 8), k1=None, h0=None,
                       loss="mse", mask=None, n_seeds=20, k_min=1, p=0.2, seed=0,
                       methods=ESTIMATOR_KINDS, params=None) -> EstimatorComparison:
    """Cosine and norm ratio to the full gradient, and cost, of TBPTT, randomized
    truncation, UORO and RTRL on the same model and data.

    Every method makes its updates at the same steps (every ``k1`` steps; None:
    one at the end); the gradient compared is the loss-weighted mean of its
    updates' gradients (``combine="mean"`` of :func:`truncation_bias`), which
    is the full gradient when nothing is truncated and the weights are fixed.

    Parameters
    ----------
    model : ElmanRNN or LSTM (GRU: only ``methods=("tbptt", "randomized")``)
    inputs : array (T, B, I)
    targets : array (T, B, O), or int array (T, B) for ``loss="cross_entropy"``
    k2_values : sequence of int >= 1
        Truncation lengths of the TBPTT rows.
    k1 : int >= 1, optional
        Steps between updates (None: T).
    h0, loss, mask
        As in :func:`bpttviz.bptt`.
    n_seeds : int >= 1
        Samples of each random method (seeds ``seed .. seed + n_seeds - 1``).
    k_min : int >= 1
    p : float in (0, 1]
        Randomized truncation's parameters (:func:`bpttviz.schedules.randomized`).
    seed : int >= 0
    methods : sequence of {"tbptt", "randomized", "uoro", "rtrl"}
    params : str or sequence of str, optional
        Compare only these parameters, e.g. ``("W_xh", "W_hh", "b_h")``: the
        read-out's gradient is exact for every method and can hide the
        recurrent part's differences. Default: all.

    Returns
    -------
    EstimatorComparison
    """
    func = "compare_estimators"
    pb = make_problem(model, inputs, targets, h0, loss, mask, func)
    T, B = pb.T, pb.B
    k2s = check_array(np.atleast_1d(np.asarray(k2_values)), "k2_values", func, ndim=1,
                      kind="int", what="whole numbers of states", shape=(("K", None),))
    if k2s.min() < 1:
        raise ValueError(f"The 'k2_values' parameter of {func} must hold ints in the range "
                         f"[1, inf). Got {k2s.min()} instead.")
    k1 = check_int(k1, "k1", func, low=1, allow_none=True) or T
    n_seeds = check_int(n_seeds, "n_seeds", func, low=1)
    k_min = check_int(k_min, "k_min", func, low=1)
    p = check_real(p, "p", func, low=0, high=1, closed="right")
    seed = check_int(seed, "seed", func, low=0)
    methods = _check_methods(methods, func)
    if "uoro" in methods or "rtrl" in methods:
        check_online_model(model, func)
    names = check_param_names(params, pb.params, func)
    cell, O = pb.cell, pb.params["W_hy"].shape[0]
    rows = []

    def engine_row(label, kind, scheds):
        cos, ratio, fl, fs, bs, peak, flats = [], [], [], [], [], 0, []
        for s in scheds:
            tr = run_schedule(pb, s, record=False)
            g = flat_gradient(applied_gradient(tr, pb.carries, "mean"), names)
            c, r, _ = agreement(g, f)
            cos.append(c), ratio.append(r), flats.append(g)
            fs.append(tr.cost.forward_steps), bs.append(tr.cost.backward_steps)
            fl.append(engine_flops(cell, B, O, tr.cost.forward_steps, tr.cost.backward_steps))
            peak = max(peak, tr.cost.peak_stored_floats)
        rows.append((label, kind, cos, ratio, flats, fl, fs, bs, peak))

    def online_row(label, kind, seeds):
        cos, ratio, fl, fs, peak, flats = [], [], [], [], 0, []
        for s in seeds:
            if kind == "rtrl":
                tr = rtrl(model, pb.x, pb.y, k1, pb.s0, loss=pb.loss, mask=pb.m)
            else:
                tr = uoro(model, pb.x, pb.y, k1, pb.s0, loss=pb.loss, mask=pb.m, seed=s)
            g = flat_gradient(applied_gradient(tr, pb.carries, "mean"), names)
            c, r, _ = agreement(g, f)
            cos.append(c), ratio.append(r), flats.append(g)
            fl.append(tr.cost.flops), fs.append(tr.cost.forward_steps)
            peak = max(peak, tr.cost.peak_stored_floats)
        rows.append((label, kind, cos, ratio, flats, fl, fs, [0] * len(fs), peak))

    with np.errstate(all="ignore"):
        f = flat_gradient(run_schedule(pb, tbptt(T), record=False).updates[0].grads, names)
        fnorm = float(np.sqrt(f @ f))
        seeds = range(seed, seed + n_seeds)
        if "tbptt" in methods:
            for k2 in k2s:
                engine_row(f"tbptt k2={int(k2)}", "tbptt", [tbptt(T, k1, int(k2))])
        if "randomized" in methods:
            engine_row(f"randomized k_min={k_min} p={p:g}", "randomized",
                       [randomized(T, k1, k_min=k_min, p=p, seed=s) for s in seeds])
        if "uoro" in methods:
            online_row("uoro", "uoro", seeds)
        if "rtrl" in methods:
            online_row("rtrl", "rtrl", [None])
        mean_cos = [agreement(np.mean(r[4], axis=0), f)[0] for r in rows]

    def stat(i, fn):
        return np.array([fn(np.asarray(r[i], dtype=float)) for r in rows])

    sd = lambda a: float(a.std(ddof=1)) if a.size > 1 else 0.0   # noqa: E731
    return EstimatorComparison(
        tuple(r[0] for r in rows), tuple(r[1] for r in rows),
        tuple(np.asarray(r[2]) for r in rows), tuple(np.asarray(r[3]) for r in rows),
        stat(2, np.mean), stat(2, sd), stat(3, np.mean), stat(3, sd), np.array(mean_cos),
        stat(5, np.mean), stat(6, np.mean), stat(7, np.mean),
        np.array([r[8] for r in rows], dtype=np.int64), fnorm, k1, n_seeds)


def _check_methods(methods, func):
    """``methods`` as a non-empty tuple of names from :data:`ESTIMATOR_KINDS`."""
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, (tuple, list)):
        raise TypeError(f"The 'methods' parameter of {func} must be a list of names from "
                        f"{list(ESTIMATOR_KINDS)}. Got {describe(methods)} instead.")
    if not methods or not all(isinstance(m, str) and m in ESTIMATOR_KINDS for m in methods):
        raise ValueError(f"The 'methods' parameter of {func} must list some of "
                         f"{list(ESTIMATOR_KINDS)}. Got {describe(methods)} instead.")
    return tuple(methods)


@dataclass(frozen=True, eq=False)
class HiddenCost:
    """Counted cost per step of each method against the hidden size H.

    Attributes
    ----------
    hidden : ndarray (K,) of int
    methods : tuple of str
        ``"rtrl"``, ``"uoro"``, ``"tbptt k2=..."``, ``"randomized ..."``.
    flops_per_step : dict of str -> ndarray (K,)
        Multiply-adds per input step (per example), as counted by the run.
    peak_stored_floats : dict of str -> ndarray (K,) of int
        Per example.
    slopes : dict of str -> float
        Least-squares slope of log(flops per step) against log(H) over the
        sizes given (RTRL near 4, the others near 2 once H dominates I and O).
    """

    hidden: np.ndarray
    methods: tuple
    flops_per_step: dict
    peak_stored_floats: dict
    slopes: dict


#: The methods :func:`cost_against_hidden` counts, in its order.
COST_METHODS = ("rtrl", "uoro", "tbptt", "randomized")


def cost_against_hidden(hidden_values=(4, 8, 16, 32, 64), *, T=20, k2=5, k_min=1, p=0.2,
                        n_in=1, n_out=1, seed=0, methods=COST_METHODS) -> HiddenCost:
    """Multiply-adds per step and stored floats of RTRL, UORO, TBPTT(k2) and randomized
    truncation for each hidden size, counted by running one gradient of each.

    Elman networks (tanh, spectral radius 1) with B = 1 on a random sequence
    of T steps; one update at the end (randomized truncation: the mean over 5
    draws). Counted, not timed, so the figures are exact and
    machine-independent; :mod:`benchmarks.bench_online` times the same runs.

    Parameters
    ----------
    hidden_values : sequence of int >= 1
    T : int >= 1
    k2 : int >= 1
        TBPTT's window (k1 = k2).
    k_min, p : randomized truncation's parameters
    n_in, n_out : int >= 1
    seed : int >= 0
    methods : sequence of {"rtrl", "uoro", "tbptt", "randomized"}
        The methods to count (RTRL and UORO do not depend on k2, k_min or p: a
        caller that changes those can count them once).

    Returns
    -------
    HiddenCost
    """
    func = "cost_against_hidden"
    ok = isinstance(methods, (list, tuple)) and methods and all(
        isinstance(m, str) and m in COST_METHODS for m in methods)
    if not ok:
        raise ValueError(f"The 'methods' parameter of {func} must be a non-empty list or tuple "
                         f"of {', '.join(map(repr, COST_METHODS))}. Got {describe(methods)} "
                         f"instead.")
    wanted = set(methods)
    Hs = check_array(np.atleast_1d(np.asarray(hidden_values)), "hidden_values", func, ndim=1,
                     kind="int", what="hidden sizes", shape=(("K", None),))
    if Hs.min() < 1:
        raise ValueError(f"The 'hidden_values' parameter of {func} must hold ints in the range "
                         f"[1, inf). Got {Hs.min()} instead.")
    T = check_int(T, "T", func, low=1)
    k2 = check_int(k2, "k2", func, low=1)
    k_min = check_int(k_min, "k_min", func, low=1)
    p = check_real(p, "p", func, low=0, high=1, closed="right")
    n_in = check_int(n_in, "n_in", func, low=1)
    n_out = check_int(n_out, "n_out", func, low=1)
    seed = check_int(seed, "seed", func, low=0)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(T, 1, n_in)), rng.normal(size=(T, 1, n_out))
    names = dict(zip(COST_METHODS, ("rtrl", "uoro", f"tbptt k2={k2}",
                                    f"randomized k_min={k_min} p={p:g}")))
    labels = tuple(names[m] for m in COST_METHODS if m in wanted)
    flops = {m: [] for m in labels}
    peak = {m: [] for m in labels}
    with np.errstate(all="ignore"):
        for H in Hs:
            model = ElmanRNN(n_in, int(H), n_out, seed=seed, radius=1.0)
            pb = make_problem(model, x, y, func=func)
            if "rtrl" in wanted:
                c = rtrl(model, x, y).cost
                flops["rtrl"].append(c.flops / T)
                peak["rtrl"].append(c.peak_stored_floats)
            if "uoro" in wanted:
                c = uoro(model, x, y, seed=seed).cost
                flops["uoro"].append(c.flops / T)
                peak["uoro"].append(c.peak_stored_floats)
            if "tbptt" in wanted:
                c = run_schedule(pb, tbptt(T, k2, k2), record=False).cost
                flops[names["tbptt"]].append(engine_flops(pb.cell, 1, n_out, c.forward_steps,
                                                          c.backward_steps) / T)
                peak[names["tbptt"]].append(c.peak_stored_floats)
            if "randomized" in wanted:
                runs = [run_schedule(pb, randomized(T, None, k_min=k_min, p=p, seed=seed + i),
                                     record=False).cost for i in range(5)]
                flops[names["randomized"]].append(np.mean([
                    engine_flops(pb.cell, 1, n_out, c.forward_steps, c.backward_steps)
                    for c in runs]) / T)
                peak[names["randomized"]].append(max(c.peak_stored_floats for c in runs))
    flops = {m: np.asarray(v, dtype=float) for m, v in flops.items()}
    slopes = {m: (float(np.polyfit(np.log(Hs), np.log(v), 1)[0]) if len(Hs) > 1 else np.nan)
              for m, v in flops.items()}
    return HiddenCost(Hs.astype(np.int64), labels, flops,
                      {m: np.asarray(v, dtype=np.int64) for m, v in peak.items()}, slopes)
