"""Truncation schedules as data: when each update happens, which losses it injects,
and how far back each loss reaches.

An update ``u`` happens after ``step`` inputs have been consumed. It injects the
losses of steps ``losses`` (0-based) and each loss ``tau`` backpropagates into
the states ``s`` in ``[start, tau]``; the state before ``start`` is a constant.
A loss with ``start > tau`` reaches only the output layer (``W_hy``, ``b_y``).
The update's gradient is that of the mean of its injected losses.

Every loss is injected at most once, by the first update after it is computed
(``losses`` lie in ``[previous step, step)``): this is what lets the engine run
a schedule online, holding only the states a later update will need.

Truncated BPTT(k1, k2) follows Williams & Peng (1990), BPTT(h; h') with
h = k2 and h' = k1: update ``u`` happens at ``t_u = min(u*k1, T)``, injects the
losses ``[(u-1)*k1, t_u - 1]`` and reaches back to ``max(t_u - k2, 0)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._validation import check_array, check_bool, check_int, check_real, describe, step_list

__all__ = ["UpdatePlan", "Schedule", "kept_mask", "tbptt", "full", "keras", "per_loss",
           "sliding_window", "last_loss", "randomized", "expected_length", "PRESETS"]


@dataclass(frozen=True, eq=False)
class UpdatePlan:
    """One update of a schedule.

    Attributes
    ----------
    step : int
        Number of inputs consumed when the update happens (``t_u``).
    losses : ndarray of int, shape (n,)
        The loss steps ``tau`` it injects, ascending.
    starts : ndarray of int, shape (n,)
        For each loss, the earliest state it reaches.
    scale : ndarray of float, shape (step - min(starts),), optional
        A weight per state ``s`` in ``[min(starts), step - 1]`` (at
        ``scale[s - min(starts)]``) that multiplies the state's contribution
        to the parameter gradient (the error passed on further back is not
        scaled). None: all ones. Randomized truncation uses it to reweight
        each kept term by 1/P(kept) (:func:`randomized`). Must be None or a
        finite 1-D float array of that length (``max(step - min(starts), 0)``).
    """

    step: int
    losses: np.ndarray
    starts: np.ndarray
    scale: np.ndarray | None = None

    def __post_init__(self):
        func = "UpdatePlan"
        step = check_int(self.step, "step", func, low=1)
        losses = _steps(self.losses, "losses", func, high=step - 1,
                        what="only the losses it has seen, steps")
        if np.any(np.diff(losses) <= 0):
            raise ValueError(f"The 'losses' parameter of {func} must list steps in ascending "
                             f"order, each once. Got {describe(self.losses)} instead.")
        starts = _steps(self.starts, "starts", func)
        if starts.shape != losses.shape:
            raise ValueError(f"The 'starts' parameter of {func} must give one start per loss, "
                             f"shape {losses.shape}. Got shape {starts.shape} instead.")
        scale = None
        if self.scale is not None:
            n = max(step - int(starts.min()), 0) if starts.size else 0
            scale = check_array(self.scale, "scale", func, ndim=1, allow_empty=True)
            if scale.shape != (n,):
                raise ValueError(f"The 'scale' parameter of {func} must be None or hold one "
                                 f"weight per state from min(starts) to step - 1, shape "
                                 f"({n},). Got shape {scale.shape} instead.")
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "losses", losses)
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "scale", scale)

    @property
    def window(self):
        """``(lo, hi)``: the states the update backpropagates through (inclusive), or None."""
        reach = self.starts <= self.losses
        if not reach.any():
            return None
        return int(self.starts[reach].min()), int(self.losses[reach].max())


@dataclass(frozen=True, eq=False)
class Schedule:
    """A truncation schedule over ``T`` steps.

    Attributes
    ----------
    name : str
        Preset name, e.g. ``"tbptt"`` or ``"sliding_window"``.
    T : int
        Sequence length.
    updates : tuple of UpdatePlan
    k1, k2 : int or None
        The knobs, where the schedule has them.
    source : str
        Where the schedule comes from.
    """

    name: str
    T: int
    updates: tuple
    k1: int | None = None
    k2: int | None = None
    source: str = ""
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        func = "Schedule"
        if not isinstance(self.name, str):
            raise TypeError(f"The 'name' parameter of {func} must be a str. "
                            f"Got {describe(self.name)} instead.")
        T = check_int(self.T, "T", func, low=1)
        if not isinstance(self.updates, (tuple, list)) or not self.updates \
                or not all(isinstance(u, UpdatePlan) for u in self.updates):
            raise TypeError(f"The 'updates' parameter of {func} must be a non-empty tuple of "
                            f"UpdatePlan. Got {describe(self.updates)} instead.")
        k1 = check_int(self.k1, "k1", func, low=1, allow_none=True)
        k2 = check_int(self.k2, "k2", func, low=1, allow_none=True)
        if not isinstance(self.source, str):
            raise TypeError(f"The 'source' parameter of {func} must be a str. "
                            f"Got {describe(self.source)} instead.")
        if not isinstance(self.params, dict):
            raise TypeError(f"The 'params' parameter of {func} must be a dict. "
                            f"Got {describe(self.params)} instead.")
        _check_plans(T, self.updates)
        for name, value in (("T", T), ("updates", tuple(self.updates)), ("k1", k1), ("k2", k2)):
            object.__setattr__(self, name, value)

    def kept(self, u: int):
        """(T, T) bool mask of the ``(tau, s)`` pairs update ``u`` keeps."""
        plan = self.updates[u]
        return _kept_mask(self.T, plan.losses, plan.starts)

    @cached_property
    def kept_any(self):
        """(T, T) bool mask of the pairs kept by at least one update."""
        mask = np.zeros((self.T, self.T), dtype=bool)
        for plan in self.updates:
            mask |= _kept_mask(self.T, plan.losses, plan.starts)
        return mask

    def __repr__(self):
        knobs = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"Schedule({self.name}({knobs}), T={self.T}, updates={len(self.updates)})"


def _steps(value, name, func, high=None, what="steps"):
    """A (n,) int64 array of steps >= 0 (and <= ``high``); empty allowed."""
    if isinstance(value, np.ndarray) and value.dtype == np.int64 and value.ndim == 1:
        arr = value                     # the presets' own arrays: only the range to check
    else:
        arr = check_array(value, name, func, ndim=1, kind="int", what="whole step numbers",
                          allow_empty=True).astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or (high is not None and arr.max() > high)):
        raise ValueError(f"The {name!r} parameter of {func} must hold {what} in the range "
                         f"[0, {'inf' if high is None else high}]. Got {describe(value)} "
                         f"instead.")
    return arr


def kept_mask(T, losses, starts):
    """(T, T) bool mask with ``mask[tau, s]`` for ``start <= s <= tau`` of each loss.

    ``losses`` and ``starts`` are (n,) steps in ``[0, T-1]``.
    """
    func = "kept_mask"
    T = check_int(T, "T", func, low=1)
    losses = _steps(losses, "losses", func, high=T - 1)
    starts = _steps(starts, "starts", func, high=T - 1)
    if starts.shape != losses.shape:
        raise ValueError(f"The 'starts' parameter of {func} must give one start per loss, "
                         f"shape {losses.shape}. Got shape {starts.shape} instead.")
    return _kept_mask(T, losses, starts)


def _kept_mask(T, losses, starts):
    s = np.arange(T)
    mask = np.zeros((T, T), dtype=bool)
    losses = np.asarray(losses)
    mask[losses] = (s >= np.asarray(starts)[:, None]) & (s <= losses[:, None])
    return mask


def _check_plans(T, plans):
    """Updates in order, each within T and injecting only the losses seen since the one before.

    Each plan has checked its own losses (ascending, below its step), starts and scale.
    """
    prev = 0
    for u, plan in enumerate(plans):
        if not (prev < plan.step <= T):
            raise ValueError(f"The 'updates' parameter of Schedule must hold updates at "
                             f"increasing steps up to T={T}: update {u} must happen after "
                             f"step {prev}. Got step={plan.step} instead.")
        if plan.losses.size and plan.losses[0] < prev:
            raise ValueError(f"The 'updates' parameter of Schedule must inject each loss once: "
                             f"update {u} (at step {plan.step}) may inject only losses in "
                             f"[{prev}, {plan.step - 1}]. Got {step_list(plan.losses)} instead.")
        prev = plan.step


def _plan(step, taus, starts):
    taus = np.asarray(taus, dtype=np.int64)
    starts = np.broadcast_to(np.asarray(starts, dtype=np.int64), taus.shape).copy()
    return UpdatePlan(int(step), taus, starts)


def _check_T(T, func):
    return check_int(T, "T", func, low=1)


def _update_times(T, k1):
    """``(lo, t_u)`` of the updates every ``k1`` steps: update ``u`` comes at
    ``t_u = min(u k1, T)`` after the steps ``[lo, t_u)``, ``lo = (u - 1) k1``."""
    return [(lo, min(lo + k1, T)) for lo in range(0, T, k1)]


def tbptt(T: int, k1: int | None = None, k2: int | None = None) -> Schedule:
    """Truncated BPTT(k1, k2): Williams & Peng's BPTT(h; h') with h = k2, h' = k1.

    ``k1`` is the number of steps between updates, ``k2`` the number of states
    each update backpropagates through. None means T for either.
    ``tbptt(T, T, T)`` is full BPTT; ``tbptt(T, 1, T)`` is real-time BPTT;
    ``k1 == k2`` is the chunking of Keras/TensorFlow stateful RNNs.
    """
    T = _check_T(T, "tbptt")
    k1 = check_int(k1, "k1", "tbptt", low=1, allow_none=True) or T
    k2 = check_int(k2, "k2", "tbptt", low=1, allow_none=True) or T
    plans = [_plan(t_u, np.arange(lo, t_u), max(t_u - k2, 0)) for lo, t_u in _update_times(T, k1)]
    name = "full" if (k1 >= T and k2 >= T) else "tbptt"
    return Schedule(name, T, tuple(plans), k1, k2,
                    "Williams & Peng (1990), BPTT(h; h') with h = k2, h' = k1",
                    {"k1": k1, "k2": k2})


def full(T: int) -> Schedule:
    """Full BPTT: one update after the last step, every loss reaches step 0."""
    T = _check_T(T, "full")
    return tbptt(T, T, T)


def keras(T: int, k: int) -> Schedule:
    """Chunking of Keras/TensorFlow stateful RNNs (and PyTorch ``detach`` between chunks).

    The sequence is cut into chunks of ``k`` steps; each chunk's losses
    backpropagate to the chunk's first step; one update per chunk. Same as
    ``tbptt(T, k, k)``.
    """
    T = _check_T(T, "keras")
    k = check_int(k, "k", "keras", low=1)
    s = tbptt(T, k, k)
    return Schedule("keras", T, s.updates, k, k,
                    "Keras/TensorFlow stateful RNN training on chunks (k1 = k2)", {"k": k})


def per_loss(T: int, k2: int, k1: int | None = None) -> Schedule:
    """Per-loss truncation: each loss backpropagates through at most ``k2`` states
    counted from its own step (``[tau - k2 + 1, tau]``); an update every ``k1``
    steps (default: one update at the end).

    With one update at the end this is Theano's ``scan(truncate_gradient=k2)``;
    with ``k1 = 1`` it equals ``tbptt(T, 1, k2)``, Williams & Peng's BPTT(h).
    """
    T = _check_T(T, "per_loss")
    k2 = check_int(k2, "k2", "per_loss", low=1)
    k1 = check_int(k1, "k1", "per_loss", low=1, allow_none=True) or T
    plans = []
    for lo, t_u in _update_times(T, k1):
        taus = np.arange(lo, t_u)
        plans.append(_plan(t_u, taus, np.maximum(taus - k2 + 1, 0)))
    return Schedule("per_loss", T, tuple(plans), k1, k2,
                    "each loss truncated to its own k2 states (Theano truncate_gradient; "
                    "Williams & Peng 1990 BPTT(h) when k1 = 1)", {"k1": k1, "k2": k2})


def sliding_window(T: int, k: int) -> Schedule:
    """The sliding-window pseudocode of Wikipedia's BPTT article.

    A window of ``k`` inputs, one loss at its end, one update per step: for
    ``tau = k-1 .. T-1`` an update after step ``tau`` injects only the loss of
    ``tau`` and backpropagates through the ``k`` states ``[tau-k+1, tau]``. The
    context before the window advances one step at a time. The losses of the
    first ``k-1`` steps are never injected.
    """
    T = _check_T(T, "sliding_window")
    k = check_int(k, "k", "sliding_window", low=1, high=T)
    plans = tuple(_plan(tau + 1, [tau], tau - k + 1) for tau in range(k - 1, T))
    return Schedule("sliding_window", T, plans, 1, k,
                    "Wikipedia, 'Backpropagation through time', pseudocode", {"k": k})


def last_loss(T: int, k1: int, k2: int | None = None) -> Schedule:
    """Every ``k1`` steps, backpropagate only the most recent loss through ``k2`` states.

    The common PyTorch forum recipe for k1 != k2, done correctly: each update
    injects the single loss of step ``t_u - 1`` and reaches ``[t_u - k2, t_u - 1]``
    (``k2`` defaults to ``k1``). Losses between updates are not used.
    """
    T = _check_T(T, "last_loss")
    k1 = check_int(k1, "k1", "last_loss", low=1)
    k2 = check_int(k2, "k2", "last_loss", low=1, allow_none=True) or k1
    plans = [_plan(t_u, [t_u - 1], max(t_u - k2, 0)) for _, t_u in _update_times(T, k1)]
    return Schedule("last_loss", T, tuple(plans), k1, k2,
                    "PyTorch forum TBPTT(k1, k2) recipe, last loss only", {"k1": k1, "k2": k2})


def randomized(T: int, k1: int | None = None, *, k_min: int = 1, p: float = 0.2, seed: int = 0,
               reweight: bool = True) -> Schedule:
    """Randomized truncation: TBPTT(k1, K_u) with a random length K_u per update, reweighted
    so that the expected gradient of every update is its untruncated gradient.

    Tallec & Ollivier (2017), "Unbiasing Truncated Backpropagation Through
    Time" (ARTBP); the "randomized truncation" of Zhang, Lipton, Li & Smola,
    "Dive into Deep Learning", section 9.7 (Backpropagation Through Time).

    Distribution: ``K_u = k_min + G_u`` with ``G_u`` independent and geometric
    on ``{0, 1, 2, ...}``, ``P(G = j) = p (1 - p)^j``; so the first ``k_min``
    states are always kept, and each further state with probability ``1 - p``
    given the one after it (ARTBP's constant continuation probability
    ``c = 1 - p``). Mean length ``k_min + (1 - p) / p``.

    Update ``u`` happens at ``t_u = min(u k1, T)``, injects the losses of
    ``[(u-1) k1, t_u - 1]`` and reaches back to ``max(t_u - K_u, 0)``. The
    term of state ``s`` (distance ``d = t_u - s``) is kept with probability
    ``P(K >= d) = (1 - p)^max(d - k_min, 0)`` and, when kept, weighted by its
    inverse (ARTBP's compensation factor ``1/c`` for each step beyond
    ``k_min``), so ``E[gradient of update u]`` is the gradient of its losses
    through the whole past: ``bptt(..., k1=k1, k2=None)``'s. The variance
    grows with the weights, up to ``(1 - p)^-(t_u - k_min)``.

    Parameters
    ----------
    T : int >= 1
    k1 : int >= 1 or None
        Steps between updates (None: one update after step T).
    k_min : int >= 1
        States always kept.
    p : float in (0, 1]
        Probability of stopping at each state beyond ``k_min`` (1: always
        ``k_min``, plain TBPTT(k1, k_min)).
    seed : int >= 0
        Seed of the draws (same seed, same schedule).
    reweight : bool
        False drops the 1/P(kept) weights: the plain random-length truncation,
        biased towards short dependencies (for comparison only).

    Returns
    -------
    Schedule
        Named "randomized"; each plan's ``scale`` holds the weights;
        ``params`` records ``k1``, ``k_min``, ``p``, ``seed``, ``reweight`` and
        the drawn ``lengths``.

    Raises
    ------
    ValueError
        For ``p`` outside (0, 1], ``k_min < 1``, ``k1 < 1``, ``T < 1`` or a negative seed.
    """
    func = "randomized"
    T = _check_T(T, func)
    k1 = check_int(k1, "k1", func, low=1, allow_none=True) or T
    k_min = check_int(k_min, "k_min", func, low=1)
    p = check_real(p, "p", func, low=0, high=1, closed="right")
    seed = check_int(seed, "seed", func, low=0)
    reweight = check_bool(reweight, "reweight", func)
    rng = np.random.default_rng(seed)
    plans, lengths = [], []
    for lo, t_u in _update_times(T, k1):
        K = k_min + int(rng.geometric(p)) - 1
        start = max(t_u - K, 0)
        d = t_u - np.arange(start, t_u)                      # distances of the kept states
        scale = (1.0 - p) ** -np.maximum(d - k_min, 0).astype(float) if reweight else None
        plan = _plan(t_u, np.arange(lo, t_u), start)
        plans.append(UpdatePlan(plan.step, plan.losses, plan.starts, scale))
        lengths.append(K)
    return Schedule("randomized", T, tuple(plans), k1, None,
                    "Tallec & Ollivier (2017), ARTBP; geometric lengths, 1/P(kept) weights",
                    {"k1": k1, "k_min": k_min, "p": p, "seed": seed, "reweight": bool(reweight),
                     "lengths": lengths})


def expected_length(k_min: int, p: float) -> float:
    """Mean truncation length ``k_min + (1 - p) / p`` of :func:`randomized`."""
    k_min = check_int(k_min, "k_min", "expected_length", low=1)
    p = check_real(p, "p", "expected_length", low=0, high=1, closed="right")
    return k_min + (1.0 - p) / p


PRESETS = {
    "full": full,
    "tbptt": tbptt,
    "keras": keras,
    "per_loss": per_loss,
    "sliding_window": sliding_window,
    "last_loss": last_loss,
    "randomized": randomized,
}
