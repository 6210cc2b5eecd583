"""What one run of the engine recorded: typed, immutable records, saved and loaded as .npz.

Shapes: T steps, B batch, H hidden units, S state floats (H, or 2H for an
LSTM's ``[h, c]``), O outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .losses import mean_over_targets
from .schedules import Schedule, UpdatePlan, kept_mask


def _expand(T, lo, values):
    """A (T,) array holding ``values`` at ``lo .. lo+len-1`` and 0 elsewhere."""
    out = np.zeros(T)
    if values is not None and len(values):
        out[lo:lo + len(values)] = values
    return out


def global_norm(grads) -> float:
    """L2 norm of all gradient arrays taken together, never a warning.

    Sums of squares overflow long before the norm does (above ~1e154 in
    float64, ~1e19 in float32); then the arrays are scaled by their largest
    entry first, so the norm is inf only when it truly exceeds the largest float.
    """
    with np.errstate(all="ignore"):
        arrays = [np.asarray(g, dtype=float) for g in grads.values()]
        norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in arrays)))
        if np.isinf(norm) and all(np.all(np.isfinite(g)) for g in arrays):
            big = max(float(np.max(np.abs(g))) for g in arrays if g.size)
            norm = big * float(np.sqrt(sum(float(np.sum(np.square(g / big))) for g in arrays)))
        return norm


@dataclass(frozen=True)
class NonFinite:
    """What stopped being finite in a run, and where (``trace.nonfinite_at``).

    Attributes
    ----------
    state : int or None
        First forward step whose state (``h_t``, or ``[h_t, c_t]``) holds an inf or NaN.
    output : int or None
        First forward step whose output ``yhat_t`` does.
    loss : int or None
        First forward step whose loss ``loss_t`` does. A loss overflows before
        the state it is computed from: ``1/2 ||yhat - y||^2`` passes float64's
        ~1.8e308 once the output passes ~1e154.
    gradient : tuple (int, int) or None
        ``(u, s)``: the first update ``u`` whose backward sweep met a non-finite
        error, and the step ``s`` at which it did (the first such step in
        backward order, ``trace.updates[u].first_nonfinite``).

    ``kind`` and ``step`` name the first of these: the earliest forward step
    (a state before its output, an output before its loss at the same step),
    else the gradient; None when every value was finite.
    """

    state: int | None = None
    output: int | None = None
    loss: int | None = None
    gradient: tuple | None = None

    @property
    def kind(self):
        """"state", "output", "loss" or "gradient": what stopped being finite first, or None."""
        forward = [(getattr(self, k), i, k) for i, k in enumerate(("state", "output", "loss"))
                   if getattr(self, k) is not None]
        if forward:
            return min(forward)[2]
        return "gradient" if self.gradient is not None else None

    @property
    def step(self):
        """The step at which ``kind`` stopped being finite, or None."""
        kind = self.kind
        if kind == "gradient":
            return self.gradient[1]
        return None if kind is None else getattr(self, kind)

    def __bool__(self):
        return self.kind is not None

    def __str__(self):
        kind = self.kind
        if kind is None:
            return "every value stayed finite"
        if kind == "gradient":
            u, s = self.gradient
            return (f"the forward pass stayed finite; the backpropagated error of update {u} "
                    f"stopped being finite at step {s}")
        text = f"the {kind} became non-finite first, at step {self.step}"
        finite = [k for k in ("state", "output", "loss") if getattr(self, k) is None]
        if finite:
            text += f" ({' and '.join(k + 's' for k in finite)} stayed finite)"
        return text


@dataclass(frozen=True)
class Cost:
    """What a run cost, counted by the engine as it ran.

    Attributes
    ----------
    forward_steps : int
        Cell steps run forward, recomputation included.
    recomputed_steps : int
        Of those, steps run again by checkpointing.
    backward_steps : int
        Cell steps pulled back (vector-Jacobian products of the state).
    peak_stored_floats, peak_stored_bytes : int
        Largest amount of activations held for later backward passes at once
        (inputs, targets and the trace's own record not included); for the
        forward-mode methods (:mod:`bpttviz.online`), the carried sensitivity.
    flops : int or None
        Multiply-adds counted by the code that ran, where it counts them (the
        forward-mode methods); None otherwise.
    """

    forward_steps: int = 0
    recomputed_steps: int = 0
    backward_steps: int = 0
    peak_stored_floats: int = 0
    peak_stored_bytes: int = 0
    flops: int | None = None


@dataclass(frozen=True, eq=False)
class Update:
    """One parameter update of a schedule and the gradient it would apply.

    Attributes
    ----------
    step : int
        Inputs consumed when the update happens (``t_u``).
    grads : dict of ndarray
        Gradient of the mean of the update's injected losses, keyed like ``model.params``.
    losses, starts : ndarray of int
        Injected loss steps and, for each, the earliest state it reaches.
    loss : float
        Mean of the injected losses that carry a target (NaN if none does).
    T : int
        Sequence length (for the (T,) and (T, T) views).
    first_nonfinite : int or None
        First step, in backward order, at which the backpropagated error
        stopped being finite.
    reached : ndarray of bool, shape (n,)
        Which injected losses were backpropagated into states: those whose
        window is not empty and that carry a target (a loss with no target
        has a zero gradient and is not swept). ``window`` and ``kept``
        describe these.
    """

    step: int
    grads: dict
    losses: np.ndarray
    starts: np.ndarray
    loss: float
    T: int
    first_nonfinite: int | None = None
    window_lo: int = 0
    error_window: np.ndarray | None = field(default=None, repr=False)
    whh_window: np.ndarray | None = field(default=None, repr=False)
    reached: np.ndarray | None = field(default=None, repr=False)

    @property
    def plan(self) -> UpdatePlan:
        return UpdatePlan(self.step, self.losses, self.starts)

    def _reached(self):
        if self.reached is None:
            return self.starts <= self.losses
        return np.asarray(self.reached, dtype=bool)

    @property
    def window(self):
        """``(lo, hi)``: the states this update backpropagated through, or None."""
        r = self._reached()
        if not r.any():
            return None
        return int(self.starts[r].min()), int(self.losses[r].max())

    @property
    def error_norms(self):
        """(T,) ``||dL_u/dh_s||`` over the (B, S) state; 0 where no error reached."""
        return _expand(self.T, self.window_lo, self.error_window)

    @property
    def whh_norms(self):
        """(T,) Frobenius norm of step s's contribution to this update's W_hh gradient."""
        return _expand(self.T, self.window_lo, self.whh_window)

    @cached_property
    def kept(self):
        """(T, T) bool mask: ``kept[tau, s]`` when this update carries loss tau back to state s."""
        r = self._reached()
        return kept_mask(self.T, self.losses[r], self.starts[r])

    @property
    def grad_norm(self) -> float:
        """L2 norm of all parameter gradients together."""
        return global_norm(self.grads)

    def __repr__(self):
        return (f"Update(step={self.step}, losses=[{self.losses.min() if self.losses.size else ''}"
                f"..{self.losses.max() if self.losses.size else ''}], window={self.window}, "
                f"loss={self.loss:.6g}, grad_norm={self.grad_norm:.6g})")


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything one call of :func:`bpttviz.bptt` computed.

    Attributes
    ----------
    hidden : ndarray (T, B, H)
        ``hidden[t]`` is ``h_t``.
    states : ndarray (T, B, S)
        The full recurrent state (``[h, c]`` for an LSTM; the same as ``hidden`` otherwise).
    outputs : ndarray (T, B, O)
        ``yhat_t``.
    step_losses : ndarray (T,)
        Per-step losses ``loss_t``.
    carries : ndarray (T,) of bool
        Which steps carry a target (mask > 0).
    updates : tuple of Update
        The updates in order.
    schedule : Schedule
    first_nonfinite : int or None
        First forward step at which a state, output or loss was not finite
        (``nonfinite_at`` says which).
    cost : Cost
    dtype : str
    final_state : ndarray (B, S)
        The state after the last step (kept even with ``record=False``).
    states_at : dict of int -> ndarray (B, S)
        States after the steps a caller asked for (``run_schedule(states_at=...)``).
    nonfinite_at : NonFinite
        What stopped being finite first (state, output, loss or gradient) and
        at which step; ``nonfinite_at.state`` etc. give each one's first step.
    forward_nonfinite : dict
        The forward part of it: ``"state"``, ``"output"``, ``"loss"`` -> first
        non-finite step, for those that stopped being finite.

    ``flow``, ``full_grads``, ``full_error_norms`` and ``full_whh_norms`` are
    computed when first read (``flow`` costs O(T^2)).
    """

    hidden: np.ndarray | None
    states: np.ndarray | None
    outputs: np.ndarray | None
    step_losses: np.ndarray
    carries: np.ndarray
    updates: tuple
    schedule: Schedule
    first_nonfinite: int | None
    cost: Cost
    dtype: str = "float64"
    _source: object = field(default=None, repr=False)
    _saved: dict = field(default_factory=dict, repr=False)
    final_state: np.ndarray | None = field(default=None, repr=False)
    states_at: dict = field(default_factory=dict, repr=False)
    forward_nonfinite: dict = field(default_factory=dict, repr=False)

    @property
    def nonfinite_at(self) -> NonFinite:
        """What stopped being finite first, and where: see :class:`NonFinite`."""
        grad = next(((u, up.first_nonfinite) for u, up in enumerate(self.updates)
                     if up.first_nonfinite is not None), None)
        fwd = self.forward_nonfinite
        return NonFinite(fwd.get("state"), fwd.get("output"), fwd.get("loss"), grad)

    @property
    def T(self) -> int:
        return self.schedule.T

    @property
    def loss(self) -> float:
        """Mean of the per-step losses over the steps that carry a target."""
        return mean_over_targets(self.step_losses, self.carries)

    @property
    def grads(self):
        """The sum of the updates' gradients, keyed like ``model.params``."""
        total = {k: np.zeros_like(v) for k, v in self.updates[0].grads.items()}
        for up in self.updates:
            for k, g in up.grads.items():
                total[k] += g
        return total

    @property
    def first_overflow(self) -> int | None:
        """First step at which the forward pass or a backward sweep stopped being finite,
        or None."""
        steps = [self.first_nonfinite] + [u.first_nonfinite for u in self.updates]
        steps = [s for s in steps if s is not None]
        return min(steps) if steps else None

    @property
    def nonfinite(self) -> bool:
        """True when any recorded value or gradient stopped being finite."""
        return (self.first_nonfinite is not None
                or any(u.first_nonfinite is not None for u in self.updates)
                or any(not np.all(np.isfinite(g)) for u in self.updates for g in u.grads.values()))

    def _lazy(self, key, name):
        if key in self._saved:
            return self._saved[key]
        if self._source is None:
            raise RuntimeError(f"This trace was loaded without {name} and no longer holds the "
                               f"model and data to compute it: read trace.{name} before saving.")
        return self._source(key)

    @cached_property
    def flow(self):
        """(T, T) ``flow[tau, s] = ||d loss_tau / d h_s||`` over the whole (B, S) state.

        Full and untruncated, whatever the schedule; 0 where ``s > tau``. The
        row of a step that carries no target (``carries[tau]`` false: its mask
        weight is 0 for every example) is NaN: there is no loss there to
        differentiate. A loss whose error is exactly 0 keeps its row of zeros.
        """
        return self._lazy("flow", "flow")

    @cached_property
    def _full(self):
        return self._lazy("full", "full_grads")

    @property
    def full_grads(self):
        """Gradient of the mean of all targeted per-step losses (full BPTT)."""
        return self._full["grads"]

    @property
    def full_error_norms(self):
        """(T,) ``||dL/dh_t||`` of full BPTT, L the mean of the per-step losses."""
        return self._full["error_norms"]

    @property
    def full_whh_norms(self):
        """(T,) norm of each step's contribution to the full W_hh gradient."""
        return self._full["whh_norms"]

    # -- persistence ---------------------------------------------------------
    def save(self, path):
        """Save to ``path`` (.npz). Lazy results already read are saved too."""
        arrays = {"step_losses": self.step_losses, "carries": self.carries}
        for name in ("hidden", "states", "outputs", "final_state"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        for t, state in self.states_at.items():
            arrays[f"states_at/{t}"] = state
        if "flow" in self.__dict__:
            arrays["flow"] = self.flow
        if "_full" in self.__dict__:
            for k, g in self.full_grads.items():
                arrays[f"full/grads/{k}"] = g
            arrays["full/error_norms"] = self.full_error_norms
            arrays["full/whh_norms"] = self.full_whh_norms
        meta_updates = []
        for i, u in enumerate(self.updates):
            arrays[f"u{i}/losses"] = u.losses
            arrays[f"u{i}/starts"] = u.starts
            arrays[f"u{i}/reached"] = u._reached()
            if self.schedule.updates[i].scale is not None:
                arrays[f"u{i}/scale"] = self.schedule.updates[i].scale
            for k, g in u.grads.items():
                arrays[f"u{i}/grads/{k}"] = g
            if u.error_window is not None:
                arrays[f"u{i}/error_window"] = u.error_window
                arrays[f"u{i}/whh_window"] = u.whh_window
            meta_updates.append({"step": u.step, "loss": u.loss, "window_lo": u.window_lo,
                                 "first_nonfinite": u.first_nonfinite,
                                 "grads": list(u.grads)})
        s = self.schedule
        meta = {"format": "bpttviz.trace/1", "dtype": self.dtype,
                "first_nonfinite": self.first_nonfinite, "cost": self.cost.__dict__,
                "forward_nonfinite": self.forward_nonfinite,
                "schedule": {"name": s.name, "T": s.T, "k1": s.k1, "k2": s.k2,
                             "source": s.source, "params": s.params},
                "updates": meta_updates}
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path):
        """Load a trace written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != "bpttviz.trace/1":
            raise ValueError(f"{path} is not a bpttviz trace (format {meta.get('format')!r}).")
        updates, plans = [], []
        sm = meta["schedule"]
        for i, um in enumerate(meta["updates"]):
            grads = {k: data[f"u{i}/grads/{k}"] for k in um["grads"]}
            losses, starts = data[f"u{i}/losses"], data[f"u{i}/starts"]
            plans.append(UpdatePlan(um["step"], losses, starts, data.get(f"u{i}/scale")))
            updates.append(Update(um["step"], grads, losses, starts, um["loss"], sm["T"],
                                  um["first_nonfinite"], um["window_lo"],
                                  data.get(f"u{i}/error_window"), data.get(f"u{i}/whh_window"),
                                  data.get(f"u{i}/reached")))
        schedule = Schedule(sm["name"], sm["T"], tuple(plans), sm["k1"], sm["k2"],
                            sm["source"], sm["params"])
        saved = {}
        if "flow" in data:
            saved["flow"] = data["flow"]
        if "full/error_norms" in data:
            saved["full"] = {"grads": {k.split("/")[-1]: v for k, v in data.items()
                                       if k.startswith("full/grads/")},
                             "error_norms": data["full/error_norms"],
                             "whh_norms": data["full/whh_norms"]}
        return cls(data.get("hidden"), data.get("states"), data.get("outputs"),
                   data["step_losses"], data["carries"], tuple(updates), schedule,
                   meta["first_nonfinite"], Cost(**meta["cost"]), meta["dtype"], None, saved,
                   final_state=data.get("final_state"),
                   forward_nonfinite=meta.get("forward_nonfinite", {}),
                   states_at={int(k.split("/")[1]): v for k, v in data.items()
                              if k.startswith("states_at/")})
