"""Unroll a recurrent network forward and backpropagate under a truncation schedule.

NumPy only. The engine runs a schedule *online*: it consumes the inputs up to
each update's step, computes that update's gradient by one backward sweep
over the states its losses reach, then forgets what no later update needs.
So the activations it holds at once (measured in ``trace.cost``) scale with
the truncation window, not with T, as BPTT theory says; ``checkpoint=m``
stores only every m-th state and recomputes the rest (Chen et al. 2016).

All arithmetic is in the model's dtype (float64 by default). Overflow is a
state to record, not an error: floating-point warnings are silenced inside
the engine and the trace says where values stopped being finite.

Shapes: T steps, B batch, I inputs, H hidden units, S state floats, O outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (check_array, check_bool, check_instance, check_int, check_mask,
                          check_option, step_list)
from .cells import outer_sum
from .losses import LOSSES, mean_over_targets
from .models import check_inputs, unroll  # unroll lives with the models; offered here beside bptt
from .schedules import Schedule, full, tbptt
from .trace import Cost, Trace, Update

__all__ = ["bptt", "unroll", "Problem", "make_problem", "run_schedule", "flow_matrix",
           "problem_loss", "resolve_schedule", "row_norms", "loss_weights", "reaching_losses",
           "LazySource"]


@dataclass(frozen=True, eq=False)
class Problem:
    """A checked model snapshot and data: everything a run needs.

    ``params`` are copies, so later changes to the model do not reach a trace.
    """

    cell: object
    params: dict
    x: np.ndarray          # (T, B, I)
    y: np.ndarray | None   # (T, B, O) real targets, or (T, B) class labels
    m: np.ndarray | None   # (T, B) non-negative loss weights; None: all ones
    s0: np.ndarray         # (B, S)
    loss: str

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def B(self) -> int:
        return self.x.shape[1]

    @property
    def carries(self):
        """(T,) True where a step carries a target."""
        if self.m is None:
            return np.ones(self.T, dtype=bool)
        return (self.m > 0).any(axis=1)

    def weights(self, a, b):
        """Loss weights of steps a..b-1: (b-a, B)."""
        if self.m is None:
            return np.ones((b - a, self.B), dtype=self.x.dtype)
        return self.m[a:b]


def make_problem(model, inputs, targets, h0=None, loss="mse", mask=None, func="bptt", copy=True):
    """Check a model and its data and bundle them into a :class:`Problem`.

    Raises ``TypeError`` or ``ValueError`` naming the parameter, the allowed
    values and the value received, before any work. The parameters are always
    copied; the data too unless ``copy=False`` (then the caller must not change
    them while the problem is in use).
    """
    loss = check_option(loss, "loss", func, tuple(LOSSES))
    params, x, s0 = check_inputs(model, inputs, h0, func, copy)
    T, B = x.shape[:2]
    O = model.n_out
    if loss == "mse":
        y = check_array(targets, "targets", func, ndim=3, dtype=model.dtype,
                        shape=(("T", T), ("B", B), ("O", O)))
    else:
        y = check_array(targets, "targets", func, ndim=2, kind="int", shape=(("T", T), ("B", B)))
        if y.min() < 0 or y.max() >= O:
            raise ValueError(f"The 'targets' parameter of {func} must hold class labels in "
                             f"[0, {O - 1}] for cross_entropy. Got values in "
                             f"[{y.min()}, {y.max()}] instead.")
    if copy:
        y = y.copy()
    # True/False or weights >= 0, at least one positive: a mask with no target is refused
    m = None if mask is None else check_mask(mask, func, T, B, model.dtype).copy()
    return Problem(model.cell, params, x, y, m, s0, loss)


# --- what the forward pass keeps for the backward passes -------------------

def _stored_floats(cache) -> int:
    return sum(v.size for k, v in cache.items() if k not in ("x", "s_prev"))


def _slice(cache, a, b, copy=False):
    """Cache of steps a..b-1 of ``cache`` (its own ``s_prev`` included)."""
    out = {k: (v[a:b].copy() if copy else v[a:b]) for k, v in cache.items() if k != "s_prev"}
    out["s_prev"] = cache["s"][a - 1] if a > 0 else cache["s_prev"]
    if copy:
        out["s_prev"] = out["s_prev"].copy()
    return out


class _Tape:
    """The activations kept between the forward pass and later backward sweeps.

    ``forward`` yields the forward pass in chunks; ``chunks`` yields what a
    backward sweep over steps lo..hi needs; ``release`` forgets what no later
    update needs. Counts steps and the peak of stored floats as it goes
    (a chunk being computed counts until it is stored or dropped).
    ``post(cache, t0)`` adds the output layer's loss gradient ``"dy"`` to a
    fresh cache and returns ``(yhat, step losses)``.
    """

    def __init__(self, pb: Problem, post):
        self.pb, self.post = pb, post
        self.forward_steps = self.recomputed_steps = self.backward_steps = 0
        self.stored = self.peak = 0
        self.itemsize = np.dtype(pb.x.dtype).itemsize

    def _note(self, transient=0):
        self.peak = max(self.peak, self.stored + transient)

    def _with_x(self, cache, lo, hi):
        cache["x"] = self.pb.x[lo:hi + 1]
        return self.pb.cell.prepare_backward(self.pb.params, cache)

    def cost(self):
        return Cost(self.forward_steps, self.recomputed_steps, self.backward_steps,
                    int(self.peak), int(self.peak * self.itemsize))


class _BufferTape(_Tape):
    """Keeps the caches of the steps later updates need in one contiguous buffer.

    Every window is then a view, whatever k1 and k2. The buffer holds
    ``capacity`` steps, the most the schedule ever needs at once; released
    steps are dropped from its front and the rest moved back when the end is
    reached. Steps no update will reach are not stored at all. Forward and
    backward work in blocks of at most ``block`` steps, so their temporaries
    (pre-activations, phi', local gradients) stay small beside the buffer.
    """

    block = 256

    def __init__(self, pb, post, capacity, keep_from):
        super().__init__(pb, post)
        self.capacity = capacity
        self.keep = keep_from          # steps before it are not stored
        self.buf = None                # key -> (room, B, ...) arrays
        self.start = self.off = self.n = 0
        self.s_before = None           # state before self.start
        self.per_step = 0

    def forward(self, state, t0, t1):
        """Yield ``(c0, cache)`` for steps t0..t1-1 in ascending blocks."""
        cell, params, x = self.pb.cell, self.pb.params, self.pb.x
        a = t0
        while a < t1:
            b = min(a + self.block, t1)
            cache = cell.forward(params, x[a:b], state)
            self.forward_steps += b - a
            yield a, cache
            self._note(_stored_floats(cache))
            state = cache["s"][-1].copy()
            self._append(cache, a, b)
            a = b

    def _append(self, cache, a, b):
        first = max(a, self.keep)
        if first >= b:
            return
        cut, new = first - a, b - first
        keys = [k for k in cache if k not in ("x", "s_prev")]
        if self.n == 0:
            self.start, self.off = first, 0
            # a copy: the state may live in rows the buffer is about to reuse
            self.s_before = (cache["s"][cut - 1] if cut else cache["s_prev"]).copy()
        if self.buf is None:
            self.buf = {k: np.empty((max(self.capacity, new),) + cache[k].shape[1:],
                                    cache[k].dtype) for k in keys}
            self.per_step = sum(v[0].size for v in self.buf.values())
        room = self.buf["s"].shape[0]
        if self.off + self.n + new > room:
            if self.n + new > room:                     # grow (a schedule never needs it)
                self.buf = {k: np.concatenate([v[self.off:self.off + self.n],
                                               np.empty((new,) + v.shape[1:], v.dtype)])
                            for k, v in self.buf.items()}
            else:                                       # move the kept steps to the front
                for v in self.buf.values():
                    v[:self.n] = v[self.off:self.off + self.n]
            self.off = 0
        at = self.off + self.n
        for k in keys:
            self.buf[k][at:at + new] = cache[k][cut:]
        self.n += new
        self.stored = self.n * self.per_step
        self._note()

    def chunks(self, lo, hi):
        """Yield ``(c_lo, cache)``: views of the buffer over steps lo..hi, last block first."""
        for c_hi in range(hi, lo - 1, -self.block):
            c_lo = max(lo, c_hi - self.block + 1)
            a, b = self.off + c_lo - self.start, self.off + c_hi - self.start + 1
            cache = {k: v[a:b] for k, v in self.buf.items()}
            cache["s_prev"] = self.buf["s"][a - 1] if c_lo > self.start else self.s_before
            yield c_lo, self._with_x(cache, c_lo, c_hi)

    def release(self, keep_from):
        """Forget the steps before ``keep_from``."""
        self.keep = max(self.keep, keep_from)
        drop = min(keep_from - self.start, self.n)
        if self.n and drop > 0:
            self.s_before = self.buf["s"][self.off + drop - 1].copy()
            self.off += drop
            self.n -= drop
            self.start += drop
        self.stored = self.n * self.per_step


class _CheckpointTape(_Tape):
    """Keeps only the state after every ``every``-th step (Chen et al. 2016) and
    recomputes a chunk of ``every`` steps from the checkpoint before it when a
    backward sweep enters it."""

    def __init__(self, pb, post, every):
        super().__init__(pb, post)
        self.every = every
        self.checkpoints = {}          # step -> state after it (-1: the initial state)

    def forward(self, state, t0, t1):
        """Yield ``(c0, cache)`` for steps t0..t1-1 in chunks aligned to checkpoints."""
        cell, params, x, m = self.pb.cell, self.pb.params, self.pb.x, self.every
        if t0 == 0:
            self.checkpoints[-1] = state
            self.stored += state.size
        a = t0
        while a < t1:
            b = min((a // m + 1) * m, t1)
            cache = cell.forward(params, x[a:b], state)
            self.forward_steps += b - a
            yield a, cache
            self._note(_stored_floats(cache))
            state = cache["s"][-1]
            if b % m == 0:
                self.checkpoints[b - 1] = state.copy()
                self.stored += state.size
            a = b

    def chunks(self, lo, hi):
        """Yield ``(c_lo, cache)`` covering steps lo..hi in descending recomputed chunks."""
        cell, params, m = self.pb.cell, self.pb.params, self.every
        for c in range(hi // m, lo // m - 1, -1):
            start, b = c * m, min(c * m + m - 1, hi)
            cache = cell.forward(params, self.pb.x[start:b + 1], self.checkpoints[start - 1])
            self.post(cache, start)
            n = b + 1 - start
            self.forward_steps += n
            self.recomputed_steps += n
            self._note(_stored_floats(cache))
            a = max(lo, start)
            yield a, self._with_x(_slice(cache, a - start, n), a, b)

    def release(self, keep_from):
        """Forget the checkpoints only steps before ``keep_from`` would need."""
        first = (keep_from // self.every) * self.every - 1
        self.checkpoints = {t: s for t, s in self.checkpoints.items() if t >= first}
        self.stored = sum(s.size for s in self.checkpoints.values())


# --- the run ----------------------------------------------------------------

def _output_layer(pb: Problem):
    """``post(cache, t0)``: outputs, per-step losses and ``dloss_t/dyhat_t`` of a cache."""
    cell, W_hy, b_y = pb.cell, pb.params["W_hy"], pb.params["b_y"]
    loss_fn = LOSSES[pb.loss]

    def post(cache, t0):
        s = cache["s"]
        n = s.shape[0]
        yhat = cell.hidden(s) @ W_hy.T + b_y                      # (n, B, O)
        losses, dy = loss_fn(yhat, pb.y[t0:t0 + n], pb.weights(t0, t0 + n))
        cache["dy"] = dy
        return yhat, losses

    return post


def row_norms(a):
    """Euclidean norm of each ``a[i]`` over its other axes: (n,).

    Sums of squares overflow once entries pass ~1e154; those rows are redone
    with scaling, so a norm is inf only when an entry is.
    """
    flat = a.reshape(a.shape[0], -1)
    out = np.sqrt(np.einsum("ij,ij->i", flat, flat))
    redo = np.isinf(out) & np.isfinite(flat).all(axis=1)
    if redo.any():
        big = np.abs(flat[redo]).max(axis=1, keepdims=True)
        out[redo] = big[:, 0] * np.sqrt(((flat[redo] / big) ** 2).sum(axis=1))
    return out


def _first_nonfinite(flags, offset):
    """Index (plus offset) of the first False in a (n,) finiteness vector, or None."""
    bad = np.flatnonzero(~flags)
    return int(bad[0]) + offset if bad.size else None


def loss_weights(plan, carries):
    """(n,) weight of each loss ``plan`` injects in the update's mean.

    ``carries`` (T,) says which steps carry a target: each of the n' injected
    losses that does weighs 1/n', the others 0 (all 0 when none does).
    """
    c = carries[plan.losses].astype(float)
    n = c.sum()
    return c / n if n else c


def reaching_losses(plan, w):
    """(n,) bool: the update's losses that backpropagate into states.

    A loss reaches a state when its window is not empty and it carries a target
    (a loss with no target has a zero gradient: nothing to sweep).
    """
    return (plan.starts <= plan.losses) & (w > 0)


def _sweep(tape, pb, plan, w, reach, grads, record):
    """One update's backward sweep; adds into ``grads`` and returns its recorded extras."""
    cell, P = pb.cell, pb.params
    W_hy, H, B, S = P["W_hy"], cell.n_hidden, pb.B, cell.state_size
    if not reach.any():
        return None, 0, None, None
    taus, starts, wr = plan.losses[reach], plan.starts[reach], w[reach]
    lo, hi = int(starts.min()), int(taus.max())
    # Losses that share a start form a group; a group stops at its start. One
    # group (every k1/k2 schedule) is a plain sweep; several (per-loss windows)
    # are pulled back together, one row each.
    gstarts = np.unique(starts)
    gid = np.searchsorted(gstarts, starts)
    single = len(gstarts) == 1
    vjp_into = getattr(cell, "vjp_into", None)
    G = np.zeros((len(gstarts), B, S), dtype=pb.x.dtype)
    err = np.zeros(hi - lo + 1) if record else None
    whh = np.zeros(hi - lo + 1) if record else None
    first_bad = None
    for c_lo, cache in tape.chunks(lo, hi):
        n = cache["s"].shape[0]
        # dL/dh_tau injected by the output layer, (w * dloss_tau/dyhat_tau) W_hy,
        # for this chunk's losses in one product; at most one loss per step.
        here = np.flatnonzero((taus >= c_lo) & (taus < c_lo + n))
        rows = (cache["dy"][taus[here] - c_lo] * wr[here, None, None]) @ W_hy   # (m, B, H)
        inject = {int(taus[j]) - c_lo: (r, int(gid[j])) for r, j in enumerate(here)}
        errs = np.empty((n, B, S), dtype=G.dtype) if record else None
        if single and vjp_into is not None:
            # one group (every k1/k2 schedule): the cell writes in place
            g = G[0]
            gh = g if H == S else g[:, :H]      # the hidden part, where losses inject
            row_at = [None] * n
            for i, (r, _) in inject.items():
                row_at[i] = rows[r]
            local = np.empty((n, B, cell.local_size), dtype=G.dtype)
            for i in range(n - 1, -1, -1):
                if row_at[i] is not None:
                    gh += row_at[i]
                if record:
                    errs[i] = g
                vjp_into(P, cache, i, g, local[i])
        else:
            local = None
            for i in range(n - 1, -1, -1):
                if i in inject:
                    r, j = inject[i]
                    G[j, :, :H] += rows[r]
                k = 1 if single else int(np.searchsorted(gstarts, c_lo + i, "right"))
                if record:
                    errs[i] = G[:k].sum(axis=0)
                loc, G[:k] = cell.vjp(P, cache, i, G[:k])
                loc = loc.sum(axis=0)
                if local is None:
                    local = np.empty((n,) + loc.shape, dtype=loc.dtype)
                local[i] = loc
        tape.backward_steps += n
        if plan.scale is not None:          # per-state weights (randomized truncation)
            at = c_lo - int(plan.starts.min())
            local = local * plan.scale[at:at + n, None, None].astype(local.dtype)
        for name, g in cell.param_grads(P, cache, local, 0).items():
            grads[name] += g
        finite = np.isfinite(local).all(axis=(1, 2))
        if first_bad is None and not finite.all():
            first_bad = c_lo + int(np.flatnonzero(~finite)[-1])
        if record:
            err[c_lo - lo:c_lo - lo + n] = row_norms(errs)
            whh[c_lo - lo:c_lo - lo + n] = cell.recurrent_grad_norms(P, cache, local, 0)
    return first_bad, lo, err, whh


def run_schedule(pb: Problem, schedule: Schedule, checkpoint=None, record=True,
                 states_at=()) -> Trace:
    """Run ``schedule`` on a checked problem and return its :class:`Trace`.

    ``record=False`` keeps only what the gradients need (no states, outputs or
    per-step norms): the lean path for long training. Whatever ``record``,
    the trace holds the state after the last step (``trace.final_state``) and
    after each step listed in ``states_at`` (``trace.states_at[t]``), so a
    caller can carry a sequence on from any of them.
    """
    cell, P = pb.cell, pb.params
    T, B, S = pb.T, pb.B, cell.state_size
    plans = schedule.updates
    carries = pb.carries
    post = _output_layer(pb)
    weights = [loss_weights(p, carries) for p in plans]
    reaching = [reaching_losses(p, w) for p, w in zip(plans, weights)]
    # The earliest state each update reaches, and so what must be kept from update u on.
    first = [int(p.starts[r].min()) if r.any() else T for p, r in zip(plans, reaching)]
    keep_from = np.minimum.accumulate(np.array(first + [T])[::-1])[::-1]
    if checkpoint is None:
        need = max([p.step - min(int(k), p.step) for p, k in zip(plans, keep_from)] + [0])
        tape = _BufferTape(pb, post, need, int(keep_from[0]))
    else:
        tape = _CheckpointTape(pb, post, checkpoint)

    states = np.empty((T, B, S), dtype=pb.x.dtype) if record else None
    outputs = np.empty((T, B, pb.params["W_hy"].shape[0]), dtype=pb.x.dtype) if record else None
    step_losses = np.full(T, np.nan)
    first_bad = {}                  # "state" / "output" / "loss" -> first non-finite step
    state = pb.s0
    wanted = {int(t) for t in states_at}
    if wanted and not all(0 <= t < T for t in wanted):
        raise ValueError(f"The 'states_at' parameter of run_schedule must list steps in "
                         f"[0, {T - 1}]. Got {sorted(wanted)} instead.")
    kept_states = {}

    def consume(c0, cache):
        """Record one forward chunk; return its last state."""
        yhat, losses = post(cache, c0)
        n = losses.shape[0]
        step_losses[c0:c0 + n] = losses
        for t in wanted.intersection(range(c0, c0 + n)):
            kept_states[t] = cache["s"][t - c0].copy()
        if record:
            states[c0:c0 + n] = cache["s"]
            outputs[c0:c0 + n] = yhat
        for kind, values in (("state", cache["s"]), ("output", yhat), ("loss", losses)):
            if kind not in first_bad:
                finite = np.isfinite(values).all(axis=tuple(range(1, values.ndim)))
                bad = _first_nonfinite(finite, c0)
                if bad is not None:
                    first_bad[kind] = bad
        return cache["s"][-1].copy()

    updates = []
    t0 = 0
    with np.errstate(all="ignore"):
        for u, plan in enumerate(plans):
            w = weights[u]
            grads = {k: np.zeros_like(v) for k, v in P.items()}
            for c0, cache in tape.forward(state, t0, plan.step):
                state = consume(c0, cache)
                # Output-layer gradient of this update's losses, while h_tau is at hand.
                sel = (plan.losses >= c0) & (plan.losses < c0 + cache["s"].shape[0])
                if sel.any():
                    idx = plan.losses[sel] - c0
                    if idx[-1] - idx[0] + 1 == len(idx):      # a run of steps: slice, no copy
                        idx = slice(idx[0], idx[-1] + 1)
                    dy = cache["dy"][idx] * w[sel][:, None, None]
                    grads["W_hy"] += outer_sum(dy, cell.hidden(cache["s"][idx]))
                    grads["b_y"] += dy.sum(axis=(0, 1))
            bad, lo, err, whh = _sweep(tape, pb, plan, w, reaching[u], grads, record)
            loss_u = float(step_losses[plan.losses] @ w) if w.sum() > 0 else float("nan")
            updates.append(Update(plan.step, grads, plan.losses, plan.starts, loss_u, T,
                                  bad, lo, err, whh, reaching[u]))
            tape.release(int(keep_from[u + 1]))
            t0 = plan.step
        if t0 < T:  # steps after the last update: forward only, for the record
            for c0, cache in tape.forward(state, t0, T):
                state = consume(c0, cache)
            tape.release(T)

    hidden = cell.hidden(states) if record else None
    source = LazySource(pb, schedule, updates) if record else None
    return Trace(hidden, states, outputs, step_losses, carries, tuple(updates), schedule,
                 min(first_bad.values(), default=None), tape.cost(), np.dtype(pb.x.dtype).name,
                 source, final_state=state, states_at=kept_states, forward_nonfinite=first_bad)


class LazySource:
    """Computes a trace's O(T^2) flow and its full-BPTT views on first read.

    ``updates`` are the trace's own: when the schedule already is full BPTT
    (one update, every loss, back to step 0) and that update recorded its
    per-step norms, it is the full view; otherwise full BPTT is run once.
    (The forward-mode methods of :mod:`bpttviz.online` record no per-step
    norms, so their traces always run it.)
    """

    def __init__(self, pb, schedule, updates):
        self.pb, self.schedule, self.updates = pb, schedule, updates

    def __call__(self, key):
        if key == "flow":
            return flow_matrix(self.pb)
        sched = self.schedule
        plans = sched.updates
        up = self.updates[0]
        if not (len(plans) == 1 and plans[0].step == sched.T and len(plans[0].losses) == sched.T
                and not plans[0].starts.any() and up.error_window is not None):
            up = run_schedule(self.pb, full(self.pb.T), record=True).updates[0]
        return {"grads": up.grads, "error_norms": up.error_norms, "whh_norms": up.whh_norms}


def problem_loss(pb: Problem, params=None) -> float:
    """Mean per-step loss over the steps that carry a target (as ``trace.loss``).

    A forward pass only, with ``params`` (default: the problem's own), which
    must have the problem's shapes and dtype: for evaluating many parameter
    settings on one checked problem (loss surfaces, evolution strategies).
    """
    params = pb.params if params is None else params
    cell = pb.cell
    with np.errstate(all="ignore"):
        cache = cell.forward(params, pb.x, pb.s0)
        yhat = cell.hidden(cache["s"]) @ params["W_hy"].T + params["b_y"]
        losses, _ = LOSSES[pb.loss](yhat, pb.y, pb.weights(0, pb.T))
        return mean_over_targets(losses, pb.carries)


def flow_matrix(pb: Problem):
    """(T, T) ``flow[tau, s] = ||d loss_tau / d s_s||`` over the (B, S) state, untruncated.

    Every loss is pulled back separately (one row per loss, all rows in one
    matrix product per step): O(T^2 B S^2) time, O(T B S) memory. The rows of
    the steps that carry no target (``pb.carries`` false) are NaN.
    """
    cell, P = pb.cell, pb.params
    T, H = pb.T, cell.n_hidden
    with np.errstate(all="ignore"):
        cache = cell.forward(P, pb.x, pb.s0)
        _output_layer(pb)(cache, 0)
        cache = cell.prepare_backward(P, cache)
        G = np.zeros((T, pb.B, cell.state_size), dtype=pb.x.dtype)
        G[:, :, :H] = cache["dy"] @ P["W_hy"]       # dloss_tau/dh_tau, (T, B, H)
        flow = np.zeros((T, T))
        for s in range(T - 1, -1, -1):
            rows = G[s:]                            # losses tau >= s, each at state s
            flow[s:, s] = row_norms(rows)
            if s > 0:
                G[s:] = cell.vjp(P, cache, s, rows)[1]
    # A step without a target has no loss to differentiate: its zero row would read as an
    # error that vanished, so it is NaN (a loss whose error is exactly 0 keeps its zeros).
    flow[~pb.carries] = np.nan
    return flow


def resolve_schedule(T, k1=None, k2=None, schedule=None, func="bptt", where="",
                     length="T"):
    """The schedule a call asks for: ``tbptt(T, k1, k2)``, or a given Schedule checked against T.

    ``where`` is added to error messages (e.g. " (entry 'a')"); ``length`` is
    the caller's name for T (e.g. "seq_len").
    """
    k1 = check_int(k1, "k1", func, low=1, allow_none=True)
    k2 = check_int(k2, "k2", func, low=1, allow_none=True)
    if schedule is None:
        return tbptt(T, k1, k2)
    check_instance(schedule, "schedule", f"{func}{where}", Schedule,
                   "a bpttviz Schedule (see bpttviz.schedules)",
                   make="schedules.tbptt(T, k1, k2)")
    if k1 is not None or k2 is not None:
        raise ValueError(f"Give either k1/k2 or a schedule to {func}{where}, not both. "
                         f"Got k1={k1}, k2={k2} and {schedule!r}.")
    if schedule.T != T:
        raise ValueError(f"The 'schedule' parameter of {func}{where} must be built for "
                         f"{length}={T} steps (the length of the sequences). Got a schedule for "
                         f"T={schedule.T} instead.")
    return schedule


def bptt(model, inputs, targets, k1=None, k2=None, h0=None, *, loss="mse", mask=None,
         schedule=None, checkpoint=None, record=True) -> Trace:
    """Gradients of a recurrent network under full or truncated BPTT(k1, k2).

    Computes gradients; does not change the parameters.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    targets : array (T, B, O) for ``loss="mse"``, or int array (T, B) of class labels
        for ``loss="cross_entropy"``
    k1 : int >= 1 or None
        Steps between updates (None: T).
    k2 : int >= 1 or None
        States each update backpropagates through (None: T, back to the start;
        values above T mean the same).
    h0 : array (B, S), optional
        Initial state ``h_{-1}`` (zeros by default).
    loss : {"mse", "cross_entropy"}
    mask : array or list (T,) or (T, B) of weights >= 0 or booleans, optional
        Loss weight per step (and example); steps with no positive weight
        carry no target, and means are taken over the steps that do. At least
        one step the schedule injects must carry a target (an update without
        one is allowed: its loss is NaN and its gradient zero).
    schedule : Schedule, optional
        A preset from :mod:`bpttviz.schedules` instead of ``k1``, ``k2``.
    checkpoint : int >= 1, optional
        Store only every ``checkpoint``-th state and recompute the rest during
        the backward sweeps (same gradients, less memory, more forward steps).
    record : bool
        Keep states, outputs and per-step norms (True) or only the gradients.

    Returns
    -------
    Trace
        ``trace.updates[u].grads`` is the gradient of the mean of update u's
        injected losses; with ``k1 = k2 = None`` the single update's gradient
        is that of the mean of all T per-step losses.
    """
    record = check_bool(record, "record", "bptt")
    pb = make_problem(model, inputs, targets, h0, loss, mask, "bptt", copy=record)
    T = pb.T
    schedule = resolve_schedule(T, k1, k2, schedule, "bptt")
    checkpoint = check_int(checkpoint, "checkpoint", "bptt", low=1, allow_none=True)
    if pb.m is not None and not any(pb.carries[p.losses].any() for p in schedule.updates):
        injected = np.concatenate([p.losses for p in schedule.updates])
        raise ValueError(f"The 'mask' parameter of bptt must give a target to a step whose loss "
                         f"the schedule injects, or every gradient is zero; {schedule.name} "
                         f"injects steps {step_list(injected)}. Got targets at steps "
                         f"{step_list(np.flatnonzero(pb.carries))} instead.")
    return run_schedule(pb, schedule, checkpoint, record=record)
