"""Train a recurrent network by applying a truncation schedule's updates as it goes.

:func:`train` draws sequences from a task (:mod:`bpttviz.tasks`) and, over
each sequence, applies the updates of a TBPTT(k1, k2) schedule (or any
:class:`~bpttviz.schedules.Schedule`) online: it streams the forward pass up to
the next update with the current weights, keeps the states a later update
needs, and at each update computes that update's gradient with the engine,
clips it, steps the optimizer and goes on with the new weights. With
``method="rtrl"`` or ``"uoro"`` the gradients are computed forward in time
by :mod:`bpttviz.online` instead; the same loop applies them.

The stored window when the weights change
-----------------------------------------
Between two updates the weights change, but the states of a window were
computed with older weights. Williams & Peng (1990) note that TBPTT then
backpropagates through a history the current weights did not produce; the
sliding-window pseudocode of Wikipedia's "Backpropagation through time"
article re-runs its window forward from a saved context. We do as it does
for the window: each update re-runs its window forward **from the stored
state just before the window, with the current weights**, and
backpropagates through that. So every update's gradient is the exact
truncated gradient at the current weights, given a context computed earlier.

The context itself is the state streamed when its step was consumed, with the
weights of that moment. The pseudocode instead advances its context by one
step with the newest weights after every update; under
``schedules.sliding_window(T, k)`` our context is therefore up to ``k - 1``
updates older than the pseudocode's (with fixed weights, as in
:func:`bpttviz.bptt`, the two are the same).

* When ``k1 >= k2`` the window lies in the segment just streamed with the
  current weights, and the re-run reproduces those states exactly.
* When ``k1 < k2`` the window reaches back before the segment, into states
  streamed with older weights; the re-run recomputes those ``k2 - k1`` (at
  most) steps with the current weights. They are counted in the history's
  ``rerun_steps``.

Compute is counted in cell steps over the batch, as the engine counts it:
``stream_steps`` (the forward pass over new steps outside the engine's
runs), ``window_steps`` (the engine's forward over the update's window, the
re-run included), ``backward_steps``, and ``forward_steps = stream_steps +
window_steps``. When the window starts inside the new segment (k1 >= k2) the
engine's run of the window *is* the stream there, so every step is run
forward once; when it reaches back (k1 < k2) the segment is streamed and the
window re-run, ``k2`` forward steps per update on top of the stream. In
*forward-step equivalents* a backward step costs :data:`BACKWARD_COST` = 2
forward steps (see its comment).

Updates whose losses carry no target (for example every update before the
last step of the adding problem under ``k1 < T``) have nothing to learn from
and are not applied: they would be zero gradients, which momentum and Adam
would still turn into steps.
"""

from __future__ import annotations

import inspect
import numbers
import sys
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from ._validation import (check_array, check_bool, check_callable, check_grads, check_instance,
                          check_int, check_option, check_real, describe)
from .engine import loss_weights, make_problem, resolve_schedule, run_schedule
from .models import check_model, max_singular_value, unroll
from .online import ONLINE_METHODS, OnlineGradient, check_online_model
from .schedules import Schedule, UpdatePlan, randomized
from .tasks import Batch, Task
from .trace import global_norm

__all__ = [
    "train", "TrainConfig", "History", "Optimizer", "SGD", "Momentum", "Adam", "OPTIMIZERS",
    "make_optimizer", "clip_gradients", "CLIP_MODES", "BACKWARD_COST", "recurrent_matrix",
    "ProgressBar",
]

# A backward step of the engine costs about two forward steps: the forward
# step is one (B, H) x (H, H) product (plus the input projection); the
# backward step pulls the error back through W_hh (one such product) and
# accumulates the parameter gradients (outer products of the same size).
# This is the usual rule that reverse mode costs about twice the forward
# pass (Griewank & Walther 2008, "cheap gradient principle"; Kaplan et al.
# 2020 count 2N FLOPs forward and 4N backward per token).
# experiments/es_vs_bptt.py measures the ratio on this engine.
BACKWARD_COST = 2.0


# --- optimizers -----------------------------------------------------------------

class Optimizer:
    """Turns gradients into new parameters; keeps its own state between steps.

    ``step(params, grads)`` returns new arrays and leaves ``params`` alone, so
    a step whose result is not finite can be refused. ``lr`` is the learning
    rate, > 0 (None: the class's ``default_lr``).
    """

    name = "optimizer"
    default_lr = 0.01

    def __init__(self, lr=None):
        lr = self.default_lr if lr is None else lr
        self.lr = check_real(lr, "lr", type(self).__name__, low=0, closed="right")
        self.reset()

    def reset(self):
        """Forget the state (velocities, moments)."""
        self.t = 0

    def step(self, params, grads):
        """New parameters from ``params`` and their gradients (dicts keyed alike)."""
        self.t += 1
        return {k: self._step(k, p, grads[k]) for k, p in params.items()}

    def _step(self, name, p, g):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr!r})"


class SGD(Optimizer):
    """Plain gradient descent: ``p <- p - lr g``."""

    name = "sgd"
    default_lr = 0.1

    def _step(self, name, p, g):
        return p - self.lr * g


class Momentum(Optimizer):
    """Classical (heavy-ball) momentum, Polyak (1964), as written by Sutskever et al. (2013):
    ``v <- mu v - lr g``, ``p <- p + v``.
    """

    name = "momentum"
    default_lr = 0.01

    def __init__(self, lr=None, momentum=0.9):
        self.momentum = check_real(momentum, "momentum", "Momentum", low=0, high=1, closed="left")
        super().__init__(lr)

    def reset(self):
        super().reset()
        self.v = {}

    def _step(self, name, p, g):
        v = self.momentum * self.v.get(name, 0.0) - self.lr * g
        self.v[name] = v
        return p + v

    def __repr__(self):
        return f"Momentum(lr={self.lr!r}, momentum={self.momentum!r})"


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), with bias-corrected first and second moments."""

    name = "adam"
    default_lr = 0.001

    def __init__(self, lr=None, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1 = check_real(beta1, "beta1", "Adam", low=0, high=1, closed="left")
        self.beta2 = check_real(beta2, "beta2", "Adam", low=0, high=1, closed="left")
        self.eps = check_real(eps, "eps", "Adam", low=0, closed="right")
        super().__init__(lr)

    def reset(self):
        super().reset()
        self.m, self.v = {}, {}

    def _step(self, name, p, g):
        m = self.beta1 * self.m.get(name, 0.0) + (1 - self.beta1) * g
        v = self.beta2 * self.v.get(name, 0.0) + (1 - self.beta2) * g * g
        self.m[name], self.v[name] = m, v
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        return p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def __repr__(self):
        return f"Adam(lr={self.lr!r}, beta1={self.beta1!r}, beta2={self.beta2!r})"


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(optimizer="adam", lr=None, func="make_optimizer") -> Optimizer:
    """An optimizer from a name in :data:`OPTIMIZERS` (with ``lr``, None: its default)
    or an :class:`Optimizer` instance (then ``lr`` must be None), with its state reset.
    """
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError(f"Give the learning rate of {func} either in the optimizer "
                             f"{optimizer!r} or as 'lr', not both. Got lr={describe(lr)}.")
        optimizer.reset()
        return optimizer
    if not isinstance(optimizer, str):
        names = ", ".join(repr(o) for o in OPTIMIZERS)
        check_instance(optimizer, "optimizer", func, Optimizer,
                       f"one of {{{names}}} or an Optimizer")
    name = check_option(optimizer, "optimizer", func, tuple(OPTIMIZERS))
    lr = OPTIMIZERS[name].default_lr if lr is None else lr
    lr = check_real(lr, "lr", func, low=0, closed="right")
    return OPTIMIZERS[name](lr=lr)


# --- clipping ---------------------------------------------------------------------

CLIP_MODES = ("norm", "value")


def clip_gradients(grads, clip=None, mode="norm"):
    """Clip gradients by their global norm or by value.

    Parameters
    ----------
    grads : dict of ndarray
    clip : float > 0 or None
        Threshold (None: no clipping).
    mode : {"norm", "value"}
        ``"norm"``: if the global L2 norm ``||g||`` of all gradients together
        exceeds ``clip``, rescale them all by ``clip / ||g||`` (Pascanu,
        Mikolov & Bengio 2013, algorithm 1): the direction is kept.
        ``"value"``: clip every entry to ``[-clip, clip]`` (Mikolov 2012):
        the direction may change.

    Returns
    -------
    clipped : dict of ndarray
        New arrays (``grads`` is left alone).
    norm_before, norm_after : float
        Global L2 norms.
    fired : bool
        Whether the clipping changed anything.
    """
    grads = _check_gradient_dict(grads, "grads", "clip_gradients")
    clip = check_real(clip, "clip", "clip_gradients", low=0, closed="right", allow_none=True)
    mode = check_option(mode, "mode", "clip_gradients", CLIP_MODES)
    with np.errstate(all="ignore"):
        before = global_norm(grads)
        if clip is None:
            return {k: g.copy() for k, g in grads.items()}, before, before, False
        if mode == "norm":
            fired = bool(before > clip)
            scale = clip / before if fired else 1.0
            clipped = {k: g * scale for k, g in grads.items()}
        else:
            fired = any(bool(np.any(np.abs(g) > clip)) for g in grads.values())
            clipped = {k: np.clip(g, -clip, clip) for k, g in grads.items()}
        return clipped, before, global_norm(clipped), fired


def _check_gradient_dict(grads, name, func):
    """A non-empty dict of real arrays (any shapes; non-finite entries allowed), checked."""
    if not isinstance(grads, dict) or not grads:
        raise TypeError(f"The {name!r} parameter of {func} must be a non-empty dict of arrays "
                        f"keyed like model.params. Got {describe(grads)} instead.")
    return check_grads(grads, name, func, {k: np.shape(v) for k, v in grads.items()})


def recurrent_matrix(params):
    """The recurrent weights: ``W_hh`` (H, H) or (G*H, H), or the gate blocks ``W_h*`` stacked
    row-wise, of a dict of parameters keyed like ``model.params``."""
    func = "recurrent_matrix"
    if not isinstance(params, dict):
        raise TypeError(f"The 'params' parameter of {func} must be a dict of arrays keyed like "
                        f"model.params. Got {describe(params)} instead.")
    keys = ["W_hh"] if "W_hh" in params else \
        [k for k in sorted(params) if isinstance(k, str) and k.startswith("W_h") and k != "W_hy"]
    if not keys:
        raise ValueError(f"The 'params' parameter of {func} must hold the recurrent weights "
                         f"'W_hh'. Got {describe(params)} instead.")
    blocks = [check_array(params[k], "params", func, ndim=2, finite=False,
                          shape=((f"rows of {k}", None), ("H", None))) for k in keys]
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=0)


# --- the record of a run ----------------------------------------------------------

TRAIN_COLUMNS = (
    "loss",             # mean of the update's injected losses, at the weights before the step
    "grad_norm",        # global L2 norm of the gradient before clipping
    "clipped_norm",     # ... after clipping (the gradient given to the optimizer)
    "clipped",          # whether clipping fired
    "sigma_max",        # largest singular value of the recurrent weights, before the step
    "nonfinite",        # the update met a non-finite value (then it is not applied)
    "sequence",         # index of the sequence the update belongs to
    "step",             # inputs of that sequence consumed at the update (t_u)
    "window_start",     # first state the update's forward covers (its context is the state before)
    "stream_steps",     # forward steps over the new segment
    "window_steps",     # forward steps of the engine over the window (re-run included)
    "rerun_steps",      # of the window, steps before the segment: recomputed with new weights
    "forward_steps",    # stream_steps + window_steps
    "backward_steps",   # backward steps of the engine
)


class History:
    """What a training run recorded, one row per update; it grows while the run goes.

    Columns are read as arrays by name: ``history.loss``, ``history["grad_norm"]``.

    Attributes
    ----------
    columns : tuple of str
        The recorded columns (see ``TRAIN_COLUMNS`` in this module).
    config : dict
        The arguments of the run.
    stopped : bool
        True when the run ended before its planned number of updates.
    reason : str or None
        Why it stopped early.
    stopped_at : int or None
        Index of the last recorded update when it stopped (the non-finite
        one, for an explosion; None if nothing was recorded).
    last_grads, last_clipped_grads : dict or None
        The latest update's gradient before and after clipping.
    divergence_factor : float or None
        A run has diverged when an update's loss exceeds ``divergence_factor``
        times the loss of the first update (the loss at the starting weights);
        None: not watched. Only a history with a "loss" column watches it.
    diverged_at : int or None
        Index of the first update whose loss passed that threshold, or None.
        A run whose loss grows without bound but stays finite is reported
        here; a non-finite value stops the run instead (``stopped``).
    """

    def __init__(self, columns=TRAIN_COLUMNS, config=None, divergence_factor=None):
        func = "History"
        if isinstance(columns, str) or not isinstance(columns, (list, tuple)) or not columns \
                or not all(isinstance(c, str) for c in columns) \
                or len(set(columns)) != len(columns):
            raise TypeError(f"The 'columns' parameter of {func} must be a non-empty list or "
                            f"tuple of distinct str. Got {describe(columns)} instead.")
        if config is not None and not isinstance(config, dict):
            raise TypeError(f"The 'config' parameter of {func} must be a dict or None. "
                            f"Got {describe(config)} instead.")
        self.divergence_factor = check_real(divergence_factor, "divergence_factor", func,
                                            low=1, closed="right", allow_none=True)
        self._columns = tuple(columns)
        self._rows = {c: [] for c in self._columns}
        self.config = dict(config or {})
        self.stopped = False
        self.reason = None
        self.stopped_at = None
        self.last_grads = None
        self.last_clipped_grads = None
        self.diverged_at = None
        self._stop_requested = False

    @property
    def columns(self):
        return self._columns

    def append(self, **row):
        """Add one update's row; every column must be given."""
        if set(row) != set(self._columns):
            raise ValueError(f"A history row needs the columns {sorted(self._columns)}. "
                             f"Got {sorted(row)} instead.")
        for c in self._columns:
            self._rows[c].append(row[c])
        if self.divergence_factor is not None and self.diverged_at is None and "loss" in row:
            start, loss = self._rows["loss"][0], row["loss"]
            if np.isfinite(start) and start > 0 and np.isfinite(loss) \
                    and loss > self.divergence_factor * start:
                self.diverged_at = len(self) - 1

    @property
    def diverged(self) -> bool:
        """True when the loss has grown past ``divergence_factor`` times its start."""
        return self.diverged_at is not None

    @property
    def divergence(self):
        """A sentence saying when and how far the loss grew past the threshold, or None."""
        if self.diverged_at is None:
            return None
        loss = self._rows["loss"]
        return (f"the loss diverged: {loss[self.diverged_at]:.3g} at update {self.diverged_at}, "
                f"more than {self.divergence_factor:g} times its start ({loss[0]:.3g} at "
                f"update 0)")

    def __len__(self):
        return len(self._rows[self._columns[0]])

    def __getitem__(self, name):
        if name not in self._rows:
            raise KeyError(f"{name!r} is not a column of this history; columns: {self._columns}.")
        return np.array(self._rows[name])

    def __getattr__(self, name):
        if not name.startswith("_") and name in self.__dict__.get("_rows", {}):
            return self[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def as_dict(self):
        """The columns as a dict of arrays."""
        return {c: self[c] for c in self._columns}

    @property
    def forward_equivalents(self):
        """(n,) cumulative compute after each row, in forward-step equivalents:
        ``forward_steps + BACKWARD_COST * backward_steps``."""
        return np.cumsum(self["forward_steps"] + BACKWARD_COST * self["backward_steps"])

    def request_stop(self):
        """Ask the run to stop before its next update (e.g. from an app's Stop button)."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def mark_stopped(self, reason: str):
        """Record that the run stopped after the last row, and why (the training loops call it)."""
        self.stopped = True
        self.reason = reason
        self.stopped_at = len(self) - 1 if len(self) else None

    def __repr__(self):
        state = f", stopped: {self.reason}" if self.stopped else ""
        if self.diverged and not self.stopped:
            state = f", {self.divergence}"
        last = f", last loss {self._rows['loss'][-1]:.4g}" if len(self) and "loss" in self._rows else ""
        return f"History({len(self)} updates{last}{state})"


# --- progress -------------------------------------------------------------------

class ProgressBar:
    """A one-line text progress bar on a stream (stderr by default), redrawn every ``every`` rows."""

    def __init__(self, total, every, stream=None, label="train", width=24):
        func = "ProgressBar"
        self.total = check_int(total, "total", func, low=1)
        self.every = check_int(every, "every", func, low=0)
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise TypeError(f"The 'stream' parameter of {func} must be a text stream (with a "
                            f"write method) or None. Got {describe(stream)} instead.")
        if not isinstance(label, str):
            raise TypeError(f"The 'label' parameter of {func} must be a str. "
                            f"Got {describe(label)} instead.")
        self.label = label
        self.width = check_int(width, "width", func, low=1)
        self.stream = stream if stream is not None else sys.stderr

    @property
    def enabled(self) -> bool:
        return self.every > 0

    def update(self, history, force=False):
        n = len(history)
        if not self.enabled or not (force or n % self.every == 0 or n == self.total):
            return
        filled = int(self.width * min(n, self.total) / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        loss = history["loss"][-1] if n else float("nan")
        self.stream.write(f"\r{self.label} [{bar}] {n}/{self.total} loss {loss:.4g}")
        self.stream.flush()

    def close(self, history):
        if not self.enabled:
            return
        self.update(history, force=True)
        tail = f"  stopped: {history.reason}" if history.stopped else ""
        self.stream.write(tail + "\n")
        self.stream.flush()


def _progress_every(progress, total, func):
    """Rows between redraws: None (auto) -> a bar on a terminal only; bool; int >= 0."""
    auto = max(1, total // 100)
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", lambda: False)
        return auto if isatty() else 0
    if isinstance(progress, (bool, np.bool_)):
        return auto if progress else 0
    if isinstance(progress, numbers.Integral):
        return check_int(progress, "progress", func, low=0)
    raise TypeError(f"The 'progress' parameter of {func} must be None, a bool or an int >= 0 "
                    f"(updates between redraws). Got {describe(progress)} instead.")


# --- the options of a run -------------------------------------------------------

@dataclass(frozen=True)
class TrainConfig:
    """The options of a :func:`train` run as one record: ``train(model, task, config)``.

    Built without checks, like the keywords it stands for: :func:`train` checks
    it against the model and the task before any work, with the messages the
    keywords get. ``dataclasses.replace(config, k2=20)`` gives a changed copy;
    :func:`train` describes each option at length.
    """

    k1: int | None = None           # steps between updates, >= 1 (None: T)
    k2: int | None = None           # states an update backpropagates through, >= 1 (None: T)
    schedule: Schedule | None = None  # a preset for seq_len steps, not k1/k2 (all None: full BPTT)
    optimizer: str | Optimizer = "adam"  # "sgd", "momentum", "adam" or an Optimizer (reset first)
    lr: float | None = None         # learning rate, > 0 (None: the optimizer's default_lr)
    clip: float | None = None       # gradient clipping threshold, > 0 (None: no clipping)
    clip_mode: str = "norm"         # "norm": rescale by the global L2 norm; "value": clip entries
    n_updates: int = 100            # parameter updates to apply, >= 1 (sequences drawn as needed)
    batch_size: int | None = None   # B, sequences per batch, >= 1 (None: 32, or a fixed Batch's)
    seq_len: int | None = None      # T, steps per sequence (None: the task's, or a fixed Batch's)
    seed: int = 0                   # seed of the data, >= 0: sequence i is its rng's i-th draw
    divergence_factor: float | None = 1e3  # diverged: loss > this x the first update's (None: off)
    stop_on_divergence: bool = False  # stop where the loss diverges (False: report it, go on)
    method: str = "bptt"            # gradient: "bptt" (the engine), "rtrl" or "uoro" (online)


# train's keyword options, besides callback and progress
_OPTIONS = tuple(f.name for f in fields(TrainConfig))


def _config_of(config, options, func):
    """The run's TrainConfig: ``config``, or one made of the keyword ``options``.

    Keywords beside a config must repeat its values: a contradiction is refused
    by name rather than settled silently one way or the other.
    """
    unknown = [k for k in options if k not in _OPTIONS]
    if unknown:
        got = ", ".join(f"{k}={describe(options[k])}" for k in unknown)
        raise TypeError(f"{func} has no option {', '.join(map(repr, unknown))}: its options are "
                        f"callback, progress and the fields of TrainConfig "
                        f"({', '.join(_OPTIONS)}). Got {got}.")
    check_instance(config, "config", func, TrainConfig, "a TrainConfig", allow_none=True)
    if config is None:
        return TrainConfig(**options)
    differ = [k for k, v in options.items() if not _same(v, getattr(config, k))]
    if differ:
        has = ", ".join(f"{k}={describe(getattr(config, k))}" for k in differ)
        got = ", ".join(f"{k}={describe(options[k])}" for k in differ)
        raise ValueError(f"The keywords of {func} contradict its 'config', which has {has}: "
                         f"give each option once, in the config (dataclasses.replace(config, "
                         f"...) gives a changed copy) or as a keyword. Got {got}.")
    return config


def _same(a, b) -> bool:
    """Whether a keyword repeats a config's value: the same object, or an equal number or str
    (a bool is not taken for the int it equals)."""
    plain, flag = (numbers.Number, str), (bool, np.bool_)
    return a is b or (isinstance(a, plain) and isinstance(b, plain)
                      and isinstance(a, flag) == isinstance(b, flag) and bool(a == b))


# --- the loop ---------------------------------------------------------------------

def check_run_options(n, n_name, seed, callback, divergence_factor, stop_on_divergence, progress,
                      func):
    """The options :func:`train` and :func:`bpttviz.es.train_es` share, checked in this order:
    the number of updates ``n`` (the parameter ``n_name``), ``seed``, ``callback``,
    ``divergence_factor``, ``stop_on_divergence`` and ``progress``.

    Returns ``(n, seed, divergence_factor, stop_on_divergence, every)``, with ``every``
    the rows between redraws of the progress bar.
    """
    n = check_int(n, n_name, func, low=1)
    seed = check_int(seed, "seed", func, low=0)
    check_callable(callback, "callback", func)
    divergence_factor = check_real(divergence_factor, "divergence_factor", func, low=1,
                                   closed="right", allow_none=True)
    stop_on_divergence = check_bool(stop_on_divergence, "stop_on_divergence", func)
    return n, seed, divergence_factor, stop_on_divergence, _progress_every(progress, n, func)


def check_data(model, task, batch_size, seq_len, func):
    """Check a model against a task (or a fixed Batch); return ``(draw, B, T)``.

    ``draw(rng)`` gives the next batch: a new sample of the task, or always
    the same fixed batch.
    """
    check_model(model, func)
    check_instance(task, "task", func, (Task, Batch),
                   "a bpttviz Task (see bpttviz.tasks.TASKS) or a Batch")
    if isinstance(task, Batch):
        B, T = task.B, task.T
        if batch_size is not None and check_int(batch_size, "batch_size", func, low=1) != B:
            raise ValueError(f"The 'batch_size' parameter of {func} must be None or {B} (the "
                             f"fixed batch's size). Got {describe(batch_size)} instead.")
        if seq_len is not None and check_int(seq_len, "seq_len", func, low=1) != T:
            raise ValueError(f"The 'seq_len' parameter of {func} must be None or {T} (the fixed "
                             f"batch's length). Got {describe(seq_len)} instead.")
        make_problem(model, task.inputs, task.targets, None, task.loss, task.mask, func)
        return (lambda rng: task), B, T
    B = check_int(32 if batch_size is None else batch_size, "batch_size", func, low=1)
    T = task.check_seq_len(seq_len, func)
    for what, need, have in (("inputs", task.n_in, model.n_in), ("outputs", task.n_out, model.n_out)):
        if need != have:
            raise ValueError(f"The model given to {func} has {have} {what} but the task {task!r} "
                             f"has {need}: build the model with n_in={task.n_in}, "
                             f"n_out={task.n_out}.")
    return (lambda rng: task.sample(B, rng, T)), B, T


def _windows(schedule, carries):
    """For each update that injects a target: ``(t_u, a, losses, starts, scale)``.

    ``a`` is the first step the update's forward must cover: the earliest
    state its losses reach, or its earliest loss when none reaches a state.
    ``scale`` is the plan's per-state weights from ``min(starts)`` on, or None.
    """
    out = []
    for plan in schedule.updates:
        carry = carries[plan.losses]
        if carry.any():
            taus, starts = plan.losses[carry], plan.starts[carry]
            scale = plan.scale
            if scale is not None:
                scale = scale[int(starts.min()) - int(plan.starts.min()):]
            out.append((plan.step, int(np.minimum(starts, taus).min()), taus, starts, scale))
    return out


def _redraw(schedule, sequence):
    """The schedule for sequence ``sequence``: a randomized schedule is drawn anew for each
    sequence (seeded by its own seed and the sequence index), so that its draws
    average out over training; any other schedule is returned as it is."""
    if schedule.name != "randomized" or sequence == 0:
        return schedule
    kw = {k: v for k, v in schedule.params.items() if k not in ("seed", "lengths")}
    seed = int(np.random.SeedSequence([schedule.params["seed"], sequence]).generate_state(1)[0])
    return randomized(schedule.T, seed=seed, **kw)


def _finite(arrays) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


def train(model, task, config=None, *, callback=None, progress=None, **options) -> History:
    """Train ``model`` in place on ``task`` with truncated BPTT(k1, k2); return its History.

    Without ``k1``, ``k2`` or ``schedule`` it trains with full BPTT: one update
    per sequence, after its last step, through every state back to step 0.

    Each sequence (a fresh batch from ``task``, starting from the zero state)
    is run under the schedule; its updates are applied as they come (see the
    module docstring for what happens to a window when the weights change).
    Training stops after ``n_updates`` applied updates, on a non-finite
    value, when ``callback`` returns False, when ``history.request_stop()``
    is called, or (with ``stop_on_divergence``) when the loss diverges.

    Parameters
    ----------
    model : ElmanRNN, LSTM, GRU (any bpttviz RNN)
        Trained in place (pass ``model.copy()`` to keep the original).
    task : Task or Batch
        A task from :mod:`bpttviz.tasks` (a new batch per sequence), or a fixed
        Batch used for every sequence.
    config : TrainConfig, optional
        The options below but ``callback`` and ``progress``, as one record
        instead of keywords: ``train(model, task, TrainConfig(k1=10, lr=0.01))``
        is ``train(model, task, k1=10, lr=0.01)``. A keyword given beside it
        must repeat the config's value (a contradiction is a ValueError naming it).
    k1, k2 : int >= 1 or None
        Steps between updates and states each update backpropagates through
        (None: T, the sequence length), as in :func:`bpttviz.bptt`. The default,
        neither of them nor ``schedule``, is full BPTT, ``schedules.full(T)``:
        one update per sequence, so ``n_updates`` counts sequences
        (``history.config["schedule"]`` says which schedule ran).
    schedule : Schedule, optional
        A preset of :mod:`bpttviz.schedules` built for ``seq_len`` steps, instead of k1/k2.
    optimizer : {"sgd", "momentum", "adam"} or Optimizer
    lr : float > 0, optional
        Learning rate (None: the optimizer's default, see :data:`OPTIMIZERS`).
    clip : float > 0, optional
        Clipping threshold (None: no clipping).
    clip_mode : {"norm", "value"}
        See :func:`clip_gradients`.
    n_updates : int >= 1
        Parameter updates to apply (sequences are drawn as needed; a run may
        end inside a sequence).
    batch_size : int >= 1, optional
        B (default 32; for a fixed Batch, its own).
    seq_len : int, optional
        T of each sequence (default: the task's ``seq_len``).
    seed : int >= 0
        Seed of the data: sequence i is ``task.sample(batch_size, rng, seq_len)``,
        the i-th draw from ``rng = np.random.default_rng(seed)``. Same model,
        same arguments and same seed give the same history.
    callback : callable, optional
        ``callback(history, update_index) -> bool | None``, called after each
        update; returning False stops the run.
    progress : None, bool or int
        A text progress bar on stderr: None draws it on a terminal only, True
        always, False never, an int N every N updates.
    divergence_factor : float > 1 or None
        The run is marked as diverged (``history.diverged_at``,
        ``history.divergence``) at the first update whose loss exceeds this
        factor times the first update's loss, while every value is still
        finite (Adam at lr = 10 on the adding problem passes 1e3 times its
        start within a few updates and goes on finite). None: not watched.
    stop_on_divergence : bool
        Stop the run at that update (default: keep training, and report it).
    method : {"bptt", "rtrl", "uoro"}
        How each update's gradient is computed: by the engine under the
        schedule ("bptt"), or forward in time (:mod:`bpttviz.online`): exact
        RTRL or UORO's unbiased estimate, an update every ``k1`` steps with the
        sensitivity carried across updates within a sequence (``k2`` and
        ``schedule`` must then be None; Elman and LSTM models). A
        ``schedules.randomized`` schedule is drawn anew for each sequence.

    Returns
    -------
    History
        One row per update (see ``TRAIN_COLUMNS``); ``stopped``, ``reason``
        and ``stopped_at`` say whether and why the run ended early,
        ``diverged_at`` whether and where the loss diverged.

    Raises
    ------
    TypeError, ValueError
        On bad arguments, before any work.
    """
    func = "train"
    config, batches, every = _checked(_config_of(config, options, func), model, task, callback,
                                      progress, func)
    schedule, method, seed = config.schedule, config.method, config.seed
    history = History(TRAIN_COLUMNS, {
        "model": repr(model), "task": repr(task), "schedule": repr(schedule),
        "k1": schedule.k1, "k2": schedule.k2, "method": method,
        "optimizer": repr(config.optimizer), "clip": config.clip, "clip_mode": config.clip_mode,
        "n_updates": config.n_updates, "batch_size": config.batch_size,
        "seq_len": config.seq_len, "seed": seed, "divergence_factor": config.divergence_factor,
        "stop_on_divergence": config.stop_on_divergence},
        divergence_factor=config.divergence_factor)
    bar = ProgressBar(config.n_updates, every)
    noise = np.random.default_rng(np.random.SeedSequence([seed, 1])) if method == "uoro" else None
    sequence = 0
    with np.errstate(all="ignore"):
        while not history.stopped and len(history) < config.n_updates:
            batch = next(batches)
            if method == "bptt":
                gradients = _bptt_gradients(model, batch, _redraw(schedule, sequence))
            else:
                gradients = _online_gradients(model, batch, schedule, method, noise)
            _apply_updates(model, gradients, sequence, history, bar, config, callback)
            sequence += 1
    bar.close(history)
    return history


# help() and Jupyter's tooltips read a function's signature: have them list each option of
# train by name with its default (the record's fields), where **options alone would hide them.
_signature = inspect.signature(train)
train.__signature__ = _signature.replace(parameters=[
    *(p for p in _signature.parameters.values() if p.kind != p.VAR_KEYWORD),
    *(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
      for f in fields(TrainConfig))])


def _checked(given, model, task, callback, progress, func):
    """Check a run's options against ``model`` and ``task`` before any work, in one order
    whichever form they came in, so that both forms get the same messages.

    Returns ``(config, batches, every)``: the TrainConfig that runs (the schedule
    built for T in place of k1/k2, an Optimizer with its state reset in place of a
    name and lr, the actual B and T, numbers as int and float); an iterator over
    the run's batches, whose first one the schedule was checked against; and the
    rows between redraws of the progress bar.
    """
    opt = make_optimizer(given.optimizer, given.lr, func)
    clip = check_real(given.clip, "clip", func, low=0, closed="right", allow_none=True)
    clip_mode = check_option(given.clip_mode, "clip_mode", func, CLIP_MODES)
    n_updates, seed, divergence_factor, stop_on_divergence, every = check_run_options(
        given.n_updates, "n_updates", given.seed, callback, given.divergence_factor,
        given.stop_on_divergence, progress, func)
    method = check_option(given.method, "method", func, ("bptt",) + ONLINE_METHODS)
    k1, k2, schedule = given.k1, given.k2, given.schedule
    if method != "bptt":
        check_online_model(model, func)
        if k2 is not None or schedule is not None:
            raise ValueError(f"The 'method' {method!r} of {func} carries the gradient through "
                             f"the whole past: give only k1, not k2 or a schedule. Got "
                             f"k2={k2!r}, schedule={schedule!r}.")
    draw, B, T = check_data(model, task, given.batch_size, given.seq_len, func)
    schedule = resolve_schedule(T, k1, k2, schedule, func, length="seq_len")

    rng = np.random.default_rng(seed)
    first = draw(rng)
    if not _windows(schedule, (np.asarray(first.mask) > 0).any(axis=1)):
        raise ValueError(f"The 'schedule' parameter of {func} must inject a loss that carries "
                         f"a target, or no update learns anything. Got {schedule!r}, which "
                         f"injects none of the steps that carry a target in {task!r}.")

    def batches():
        yield first
        while True:
            yield draw(rng)

    config = TrainConfig(schedule=schedule, optimizer=opt, clip=clip, clip_mode=clip_mode,
                         n_updates=n_updates, batch_size=B, seq_len=T, seed=seed,
                         divergence_factor=divergence_factor,
                         stop_on_divergence=stop_on_divergence, method=method)
    return config, batches(), every


# --- the gradient sources: one sequence's updates, computed with the current weights ---

class _Gradient(NamedTuple):
    """One update's gradient, as a source hands it to the loop that applies it."""

    row: dict               # the update's columns the source knows: step, loss, compute counts
    grads: dict | None      # None: the forward pass stopped being finite before the update
    nonfinite: str | None   # what was not finite ("loss or gradient"), or None


def _bptt_gradients(model, batch, schedule):
    """The engine's gradient of each update of ``schedule`` that injects a target, over one
    sequence; each is computed when asked for, with the model's weights at that moment."""
    x, y, m = batch.inputs, batch.targets, np.asarray(batch.mask, dtype=float)
    windows = _windows(schedule, (m > 0).any(axis=1))
    h0 = model.init_state(x.shape[1])
    needed = {a - 1 for _, a, *_ in windows if a > 0}
    contexts = {}                 # step c -> state after step c, for the windows to come
    state, t = h0, 0
    for t_u, a, taus, starts, scale in windows:
        row = {"step": t_u, "window_start": a, "stream_steps": 0, "window_steps": 0,
               "backward_steps": 0, "rerun_steps": max(0, t - a)}
        # Stream the forward pass with the current weights: over the whole new
        # segment when the window reaches back before it (k1 < k2), else only up
        # to the window, whose own run below continues the stream.
        context = None
        stream_to = t_u if a < t else a
        if _finite([state]):
            if stream_to > t:
                run = unroll(model, x[t:stream_to], h0=state)
                for c in needed:
                    if t <= c < stream_to:
                        contexts[c] = run.states[c - t]
                state = run.states[-1]
                row["stream_steps"] = stream_to - t
            context = h0 if a == 0 else contexts[a - 1]
        continues = a >= t
        t = t_u
        if context is None or not _finite([context]):
            row.update(loss=np.nan, forward_steps=row["stream_steps"])
            yield _Gradient(row, None, None)
            return
        # The update's window, (re-)run from its stored context with the current weights.
        n = t_u - a
        pb = make_problem(model, x[a:t_u], y[a:t_u], context, batch.loss, m[a:t_u], "train",
                          copy=False)
        window = Schedule("window", n, (UpdatePlan(n, taus - a, starts - a, scale),), schedule.k1,
                          schedule.k2, schedule.source, schedule.params)
        later = [c for c in needed if a <= c < t_u] if continues else []
        trace = run_schedule(pb, window, record=False, states_at=[c - a for c in later])
        if continues:                 # the window's states are the stream's
            contexts.update({c: trace.states_at[c - a] for c in later})
            state = trace.final_state
        up = trace.updates[0]
        row.update(loss=up.loss, window_steps=trace.cost.forward_steps,
                   backward_steps=trace.cost.backward_steps)
        row["forward_steps"] = row["stream_steps"] + row["window_steps"]
        finite = np.isfinite(up.loss) and _finite(up.grads.values())
        yield _Gradient(row, up.grads, None if finite else "loss or gradient")


def _online_gradients(model, batch, schedule, method, rng):
    """RTRL's or UORO's gradient (:mod:`bpttviz.online`) of each update of ``schedule``, over
    one sequence; None for an update whose losses carry no target (not applied).

    The sequence starts from the zero state with a zero sensitivity; each update
    (TBPTT(k1) update times) gives the gradient of the mean of its losses, at
    the model's weights of that moment, and the sensitivity is carried on with
    the new weights. The steps of an update that is not applied are counted in
    the next applied row. Cost columns: ``stream_steps`` and ``forward_steps``
    are the steps run, ``backward_steps`` the remaining multiply-adds
    (sensitivity and gradient) in backward-step equivalents of
    ``BACKWARD_COST`` forward steps, so ``history.forward_equivalents`` is the
    counted multiply-adds over those of one forward step.
    """
    x, y, m = batch.inputs, batch.targets, np.asarray(batch.mask, dtype=float)
    cell = model.cell
    B = x.shape[1]
    run = OnlineGradient(cell, model.init_state(B), method, rng)
    carries = (m > 0).any(axis=1)
    step_flops = B * (cell.local_size * (cell.n_in + cell.n_hidden) + model.n_out * cell.n_hidden)
    pending_steps, pending_flops = 0, 0
    t = 0
    for plan in schedule.updates:
        wl = loss_weights(plan, carries)
        w = np.zeros(plan.step - t)
        w[plan.losses - t] = wl
        flops0 = run.flops
        P = model.checked_params("train")
        grads, states, _, losses = run.advance(P, x[t:plan.step], y[t:plan.step],
                                               m[t:plan.step], batch.loss, w)
        pending_steps += plan.step - t
        pending_flops += run.flops - flops0
        t0, t = t, plan.step
        if wl.sum() == 0:
            yield None
            continue
        extra = max(pending_flops - pending_steps * step_flops, 0) / (BACKWARD_COST * step_flops)
        row = {"step": plan.step, "window_start": 0, "stream_steps": pending_steps,
               "window_steps": 0, "rerun_steps": 0, "forward_steps": pending_steps,
               "backward_steps": extra, "loss": float(losses[plan.losses - t0] @ wl)}
        pending_steps, pending_flops = 0, 0
        finite = np.isfinite(row["loss"]) and _finite(grads.values()) and _finite([states])
        yield _Gradient(row, grads, None if finite else "loss, state or gradient")


# --- the loop that applies them ------------------------------------------------------

def _apply_updates(model, gradients, sequence, history, bar, config, callback):
    """Apply the updates a gradient source yields over one sequence; rows go into ``history``.

    Each gradient is clipped and handed to the optimizer (``config`` as :func:`_checked`
    returns it); a non-finite value stops the run without applying it. The stops
    asked for (``n_updates`` reached, ``history.request_stop()``) are checked before
    the source computes the next gradient.
    """
    end = object()
    while len(history) < config.n_updates:
        if history.stop_requested:
            history.mark_stopped("stop requested")
            return
        gradient = next(gradients, end)
        if gradient is end:
            return
        if gradient is None:
            continue
        u = len(history)
        where = f"update {u} (sequence {sequence}, step {gradient.row['step']})"
        row = {"sequence": sequence, "clipped": False, "nonfinite": False,
               "sigma_max": max_singular_value(recurrent_matrix(model.params)), **gradient.row}
        grads = gradient.grads
        if grads is None:
            row.update(grad_norm=np.nan, clipped_norm=np.nan, nonfinite=True)
            return _stop_at(history, bar, row, f"the forward pass stopped being finite before "
                                               f"{where}; it was not applied")
        history.last_grads = grads
        if gradient.nonfinite:
            row.update(grad_norm=global_norm(grads), clipped_norm=np.nan, nonfinite=True)
            return _stop_at(history, bar, row, f"non-finite {gradient.nonfinite} at {where}; "
                                               f"it was not applied")
        clipped, before, after, fired = clip_gradients(grads, config.clip, config.clip_mode)
        row.update(grad_norm=before, clipped_norm=after, clipped=fired)
        history.last_clipped_grads = clipped
        new = config.optimizer.step(model.params, clipped)
        if not _finite(new.values()):
            row["nonfinite"] = True
            return _stop_at(history, bar, row, f"the step of {where} made the weights "
                                               f"non-finite; they were kept as before it")
        model.params.update(new)
        history.append(**row)
        bar.update(history)
        if config.stop_on_divergence and history.diverged_at == u:
            history.mark_stopped(f"{history.divergence}; the run was told to stop on divergence")
            bar.update(history, force=True)
            return
        if callback is not None and callback(history, u) is False:
            history.mark_stopped(f"the callback asked to stop after update {u}")
            return


def _stop_at(history, bar, row, reason):
    """Record the update that stops the run, and why."""
    history.append(**row)
    history.mark_stopped(reason)
    bar.update(history, force=True)
