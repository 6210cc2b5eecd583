"""Gradients computed forward in time: exact RTRL and the unbiased UORO estimate.

NumPy only. Where :func:`bpttviz.bptt` stores states and pulls errors back,
these methods carry forward, step by step, how the state depends on the
parameters, so their memory does not grow with the sequence length T:

* **RTRL** (real-time recurrent learning; Williams & Zipser 1989, "A learning
  algorithm for continually running fully recurrent neural networks", Neural
  Computation 1) carries the exact sensitivity ``M_t = ds_t/dtheta`` (per
  example, (S, n_theta) floats) with ``M_t = J_t M_{t-1} + F_t``, where
  ``J_t = ds_t/ds_{t-1}`` and ``F_t`` is the step's immediate dependence on the
  parameters. The gradient of ``loss_tau`` is ``(dloss_tau/ds_tau) M_tau``:
  exact, with O(S^2 n_theta) = O(H^4) work per step for an Elman network.
* **UORO** (unbiased online recurrent optimization; Tallec & Ollivier 2018,
  "Unbiased Online Recurrent Optimization", ICLR) carries a rank-one random
  estimate ``s~ theta~^T`` of ``M_t`` with ``E[s~ theta~^T] = M_t``, updated with
  fresh random signs ``nu`` and the variance-reducing factors ``rho0``,
  ``rho1`` of the paper's Algorithm 1, in O(H^2) work per step.

Updates follow the real-time framing of Williams & Peng (1990, "An efficient
gradient-based algorithm for on-line training of recurrent network
trajectories", Neural Computation 2): an update every ``k1`` steps with the
gradient of the losses since the previous update, the sensitivity carried on
across updates. Update ``u`` comes after the same steps and injects the same
losses as in ``bptt(model, inputs, targets, k1=k1, k2=None)``; with the weights
held fixed, RTRL's gradient equals that update's to rounding.

Supported cells: those whose parameters enter a step only through the
pre-activation ``a_t = W_xh x_t + W_hh h_{t-1} + b_h`` (the Elman and LSTM
cells), so that ``F_t = (ds_t/da_t) [x_t, h_{t-1}, 1]``. The GRU's reset gate
multiplies part of ``W_hh h_{t-1}``, which breaks that form; it gets a named error.

Cost is counted by the code that ran, in multiply-adds (``Cost.flops``) and
stored floats (``Cost.peak_stored_floats``: the carried sensitivity or its
rank-one factors, plus one step's cache; the trace's own record excluded).

Shapes: T steps, B batch, I inputs, H hidden units, S state floats, O outputs,
P pre-activation floats (H Elman, 4H LSTM), K = I + H + 1.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_instance, check_int, check_option
from .cells import ElmanCell, GRUCell, LSTMCell
from .engine import LazySource, loss_weights, make_problem, reaching_losses
from .losses import LOSSES
from .models import LSTM, RNN, ElmanRNN
from .schedules import Schedule, tbptt
from .trace import Cost, Trace, Update

__all__ = ["rtrl", "uoro", "OnlineGradient", "ONLINE_METHODS", "SUPPORTED_CELLS",
           "check_online_model"]

#: The forward-mode gradient methods, by name.
ONLINE_METHODS = ("rtrl", "uoro")

#: Cells (``cell.kind``) whose parameters enter only through ``W_xh x + W_hh h + b_h``.
SUPPORTED_CELLS = {"elman": "ElmanRNN", "lstm": "LSTM"}

#: The cell classes a caller may hand to :class:`OnlineGradient` (the GRU's gets a ValueError).
_CELL_TYPES = (ElmanCell, LSTMCell, GRUCell)

_EPS = 1e-7        # UORO's epsilon in rho0, rho1 (Tallec & Ollivier 2018, Algorithm 1)


_UNSUPPORTED = ("(cells whose parameters enter only through W_xh x + W_hh h + b_h; the "
                "GRU's reset gate breaks that form)")


def check_online_model(model, func):
    """Raise unless ``model`` is a network whose cell RTRL and UORO support.

    Parameters
    ----------
    model : object
        Accepted: an :class:`~bpttviz.ElmanRNN` or :class:`~bpttviz.LSTM`.
    func : str
        The name of the calling function, for the message.

    Raises
    ------
    TypeError
        If ``model`` is not a bpttviz network.
    ValueError
        If its cell is not one of :data:`SUPPORTED_CELLS` (the GRU).
    """
    # a class passed for a model is told to pass an instance, but never one of the GRU
    accepted = (ElmanRNN, LSTM) if isinstance(model, type) else RNN
    check_instance(model, "model", func, accepted, "an ElmanRNN or an LSTM")
    if model.cell.kind not in SUPPORTED_CELLS:
        raise ValueError(f"The 'model' parameter of {func} must be an ElmanRNN or an LSTM "
                         f"{_UNSUPPORTED}. Got {type(model).__name__} instead.")


def _jvp(cell, P, cache, v):
    """``J_t v``: the tangent of the state after step 0 of ``cache`` for a tangent ``v``
    (B, S) of the state before it. O(B S P) work, no Jacobian formed."""
    H = cell.n_hidden
    if cell.kind == "elman":
        return cache["dphi"][0] * (v @ P["W_hh"].T)
    da = (v[:, :H] @ P["W_hh"].T).reshape(-1, 4, H)           # (B, 4, H)
    coef = cache["coef"][0]                                     # (B, 4, H)
    f = cache["gates"][0, :, H:2 * H]
    dc = coef[:, 0] * da[:, 0] + coef[:, 1] * da[:, 1] + coef[:, 2] * da[:, 2] + f * v[:, H:]
    dh = coef[:, 3] * da[:, 3] + cache["dcdh"][0] * dc
    return np.concatenate([dh, dc], axis=1)


class OnlineGradient:
    """The forward-mode state of one batch of sequences: the state and its sensitivity.

    ``advance`` runs steps forward with given parameters and returns the
    gradient of a weighted sum of their losses; the sensitivity (RTRL) or its
    rank-one estimate (UORO) is carried on to the next call, even when the
    parameters change in between (the real-time recurrent learning of
    Williams & Zipser 1989: the carried sensitivity then mixes old and new
    weights, as in any online use).

    Parameters
    ----------
    cell : ElmanCell or LSTMCell
    s0 : ndarray (B, S)
        State before the first step; its sensitivity is zero.
    method : {"rtrl", "uoro"}
    rng : numpy.random.Generator, optional
        UORO's source of random signs (required for "uoro").

    Raises
    ------
    TypeError, ValueError
        For a cell other than an Elman or LSTM cell, an ``s0`` that is not a
        finite (B, S) array, another method, or a missing ``rng`` for "uoro".
    """

    def __init__(self, cell, s0, method="rtrl", rng=None, _variant="unbiased"):
        func = "OnlineGradient"
        kind = getattr(cell, "kind", None)
        check_instance(cell, "cell", func, _CELL_TYPES,
                       "a network's cell (model.cell) of an ElmanRNN or an LSTM")
        if kind not in SUPPORTED_CELLS:
            raise ValueError(f"The 'cell' parameter of {func} must be the cell of an ElmanRNN "
                             f"or an LSTM {_UNSUPPORTED}. Got {type(cell).__name__} instead.")
        dtype = s0.dtype if isinstance(s0, np.ndarray) and s0.dtype.kind == "f" else None
        s0 = check_array(s0, "s0", func, ndim=2, dtype=dtype,
                         shape=(("B", None), ("S", cell.state_size)))
        method = check_option(method, "method", func, ONLINE_METHODS)
        check_instance(rng, "rng", func, np.random.Generator, "a numpy.random.Generator",
                       allow_none=method == "rtrl")
        self.cell, self.method, self.rng, self.variant = cell, method, rng, _variant
        self.s = s0
        B, S = s0.shape
        self.P, self.K = cell.local_size, cell.n_in + cell.n_hidden + 1
        dtype = s0.dtype
        if method == "rtrl":
            self.M = np.zeros((B, S, self.P, self.K), dtype=dtype)        # ds/d[W_xh W_hh b_h]
            self.carried = self.M.size
        else:
            self.s_tilde = np.zeros((B, S), dtype=dtype)
            self.theta_tilde = np.zeros((B, self.P, self.K), dtype=dtype)
            self.carried = self.s_tilde.size + self.theta_tilde.size
        self.flops = 0
        self.steps = 0
        self.peak = self.carried
        self.first_bad_sensitivity = None

    def _split(self, G):
        """``{W_xh, W_hh, b_h}`` from a (P, K) gradient over ``[x, h, 1]``."""
        I = self.cell.n_in
        return {"W_xh": G[:, :I].copy(), "W_hh": G[:, I:-1].copy(), "b_h": G[:, -1].copy()}

    def advance(self, P, x, y, m, loss, w):
        """Run steps ``x`` (n, B, I) with parameters ``P``; return what they gave.

        ``y`` are the targets of these steps, ``m`` (n, B) their loss weights,
        ``w`` (n,) the weight of each step's loss in the gradient (0: not injected).

        Returns
        -------
        grads : dict of ndarray
            Gradient of ``sum_t w_t loss_t``, keyed like ``model.params``.
        states, outputs : ndarray (n, B, S), (n, B, O)
        losses : ndarray (n,)
        """
        cell, method = self.cell, self.method
        n, B, I = x.shape
        H, S, Pn, K = cell.n_hidden, cell.state_size, self.P, self.K
        W_hy, b_y = P["W_hy"], P["b_y"]
        O = W_hy.shape[0]
        loss_fn = LOSSES[loss]
        G = np.zeros((Pn, K), dtype=x.dtype)
        gy = np.zeros_like(W_hy)
        gb = np.zeros_like(b_y)
        states = np.empty((n, B, S), dtype=x.dtype)
        outputs = np.empty((n, B, O), dtype=x.dtype)
        losses = np.empty(n)
        if method == "rtrl":
            eye = np.broadcast_to(np.eye(S, dtype=x.dtype)[:, None, :], (S, B, S))
        for t in range(n):
            s_prev = self.s
            cache = cell.forward(P, x[t:t + 1], s_prev)
            cache = cell.prepare_backward(P, cache)
            s = cache["s"][0]
            z = np.concatenate([x[t], cell.hidden(s_prev), np.ones((B, 1), x.dtype)], axis=1)
            self.flops += B * Pn * (I + H)                                   # the forward step
            if method == "rtrl":
                local, g_prev = cell.vjp(P, cache, 0, eye)   # rows of ds_t/da_t and ds_t/ds_{t-1}
                D = local.transpose(1, 0, 2)                 # (B, S, P)
                J = g_prev.transpose(1, 0, 2)                # (B, S, S)
                M = np.matmul(J, self.M.reshape(B, S, Pn * K)).reshape(B, S, Pn, K)
                M += D[..., None] * z[:, None, None, :]
                self.M = M
                self.flops += B * S * Pn * H + B * S * S * Pn * K + B * S * Pn * K
                if self.first_bad_sensitivity is None and not np.all(np.isfinite(M)):
                    self.first_bad_sensitivity = self.steps
            else:
                self._uoro_step(P, cache, s_prev, z)
            self.s = s
            # The read-out, its loss and the loss's gradient through the sensitivity.
            h = cell.hidden(s)
            yhat = h @ W_hy.T + b_y
            lt, dy = loss_fn(yhat[None], y[t:t + 1], m[t:t + 1])
            states[t], outputs[t], losses[t] = s, yhat, lt[0]
            self.flops += B * O * H
            if w[t] > 0:
                dy = dy[0] * w[t]                                        # (B, O)
                gy += dy.T @ h
                gb += dy.sum(axis=0)
                dLds = np.zeros((B, S), dtype=x.dtype)
                dLds[:, :H] = dy @ W_hy
                if method == "rtrl":
                    G += (dLds.reshape(1, B * S) @ self.M.reshape(B * S, Pn * K)).reshape(Pn, K)
                    self.flops += B * S * Pn * K
                else:
                    c = np.einsum("bs,bs->b", dLds, self.s_tilde)
                    G += np.einsum("b,bpk->pk", c, self.theta_tilde)
                    self.flops += B * Pn * K
                self.flops += 2 * B * O * H
            self.steps += 1
            self.peak = max(self.peak, self.carried + sum(
                v.size for k, v in cache.items() if k not in ("x", "s_prev")))
        grads = self._split(G)
        grads["W_hy"], grads["b_y"] = gy, gb
        return grads, states, outputs, losses

    def _uoro_step(self, P, cache, s_prev, z):
        """One step of UORO (Tallec & Ollivier 2018, Algorithm 1), for every example."""
        cell = self.cell
        B, S = s_prev.shape
        Pn, K, H = self.P, self.K, cell.n_hidden
        st, tt = self.s_tilde, self.theta_tilde
        Js = _jvp(cell, P, cache, st)                                     # (B, S)
        nu = self.rng.integers(0, 2, size=(B, S)).astype(s_prev.dtype) * 2 - 1
        local, _ = cell.vjp(P, cache, 0, nu)                              # nu^T ds_t/da_t, (B, P)
        # delta_theta = nu^T dF/dtheta = local outer z, per example; its norm without forming it.
        n_dtheta = np.linalg.norm(local, axis=1) * np.linalg.norm(z, axis=1)
        n_theta = np.sqrt(np.einsum("bpk,bpk->b", tt, tt))
        n_Js = np.linalg.norm(Js, axis=1)
        n_nu = np.sqrt(S)
        rho0 = np.sqrt((n_theta + _EPS) / (n_Js + _EPS))
        rho1 = np.sqrt((n_dtheta + _EPS) / (n_nu + _EPS))
        dtheta = local[:, :, None] * z[:, None, :]                        # (B, P, K)
        self.s_tilde = rho0[:, None] * Js + rho1[:, None] * nu
        if self.variant == "unbiased":
            self.theta_tilde = tt / rho0[:, None, None] + dtheta / rho1[:, None, None]
        elif self.variant == "no_rho":
            # rho0 = rho1 = 1: noisier, still unbiased (both cross terms stay odd in nu).
            self.s_tilde = Js + nu
            self.theta_tilde = tt + dtheta
        elif self.variant == "theta_unscaled":
            # Deliberately biased (for tests): the factors applied to s~ only.
            self.theta_tilde = tt + dtheta
        else:
            raise ValueError(f"unknown UORO variant {self.variant!r}")
        self.flops += 2 * B * Pn * H + 4 * B * Pn * K + 4 * B * S
        if self.first_bad_sensitivity is None and not (
                np.all(np.isfinite(self.s_tilde)) and np.all(np.isfinite(self.theta_tilde))):
            self.first_bad_sensitivity = self.steps

    def cost(self, backward_steps=0):
        itemsize = np.dtype(self.s.dtype).itemsize
        return Cost(self.steps, 0, backward_steps, int(self.peak), int(self.peak * itemsize),
                    flops=int(self.flops))


def _run(method, model, inputs, targets, k1, h0, loss, mask, func, seed=None,
         _variant="unbiased"):
    check_online_model(model, func)
    pb = make_problem(model, inputs, targets, h0, loss, mask, func)
    T = pb.T
    k1 = check_int(k1, "k1", func, low=1, allow_none=True)
    schedule = tbptt(T, k1, None)
    schedule = Schedule(method, T, schedule.updates, schedule.k1, None,
                        _SOURCES[method], {"k1": schedule.k1})
    rng = np.random.default_rng(seed) if method == "uoro" else None
    run = OnlineGradient(pb.cell, pb.s0, method, rng, _variant)
    carries = pb.carries
    S, O = pb.cell.state_size, pb.params["W_hy"].shape[0]
    states = np.empty((T, pb.B, S), dtype=pb.x.dtype)
    outputs = np.empty((T, pb.B, O), dtype=pb.x.dtype)
    step_losses = np.full(T, np.nan)
    updates = []
    t0 = 0
    with np.errstate(all="ignore"):
        for plan in schedule.updates:
            wl = loss_weights(plan, carries)
            reach = reaching_losses(plan, wl)
            n = plan.step - t0
            w = np.zeros(n)
            w[plan.losses - t0] = wl
            grads, st, out, lt = run.advance(pb.params, pb.x[t0:plan.step], pb.y[t0:plan.step],
                                             pb.weights(t0, plan.step), pb.loss, w)
            states[t0:plan.step], outputs[t0:plan.step], step_losses[t0:plan.step] = st, out, lt
            loss_u = float(step_losses[plan.losses] @ wl) if wl.sum() > 0 else float("nan")
            updates.append(Update(plan.step, grads, plan.losses, plan.starts, loss_u, T,
                                  run.first_bad_sensitivity, 0, None, None, reach))
            t0 = plan.step
    finite = (np.isfinite(states).all(axis=(1, 2)) & np.isfinite(outputs).all(axis=(1, 2))
              & np.isfinite(step_losses))
    bad = np.flatnonzero(~finite)
    source = LazySource(pb, schedule, updates)
    return Trace(pb.cell.hidden(states), states, outputs, step_losses, carries, tuple(updates),
                 schedule, int(bad[0]) if bad.size else None, run.cost(),
                 np.dtype(pb.x.dtype).name, source, final_state=run.s)


_SOURCES = {
    "rtrl": "Williams & Zipser (1989), real-time recurrent learning; updates every k1 steps "
            "as in Williams & Peng (1990)",
    "uoro": "Tallec & Ollivier (2018), unbiased online recurrent optimization",
}


def rtrl(model, inputs, targets, k1=None, h0=None, *, loss="mse", mask=None) -> Trace:
    """Exact gradients computed forward in time by real-time recurrent learning.

    Williams & Zipser (1989), "A learning algorithm for continually running
    fully recurrent neural networks". The sensitivity ``ds_t/dtheta`` is
    carried forward and updated each step; memory does not grow with T.
    Computes gradients; does not change the parameters.

    Parameters
    ----------
    model : ElmanRNN or LSTM
    inputs : array (T, B, I)
    targets : array (T, B, O) for ``loss="mse"``, or int array (T, B) for "cross_entropy"
    k1 : int >= 1 or None
        Steps between updates (None: one update after step T).
    h0 : array (B, S), optional
        Initial state (zeros by default); treated as a constant.
    loss : {"mse", "cross_entropy"}
    mask : array (T,) or (T, B) of weights >= 0, optional
        As in :func:`bpttviz.bptt`.

    Returns
    -------
    Trace
        Update ``u`` comes after the same steps as in
        ``bptt(model, inputs, targets, k1=k1, k2=None)`` and its ``grads`` is the
        exact gradient of the mean of the losses it injects, through the whole
        past: equal to that update's gradient to rounding. ``trace.cost``
        holds the steps run, the multiply-adds (``flops``) and the peak of
        stored floats (the sensitivity, B*S*P*(I+H+1) floats, plus one step).
        ``trace.schedule.name`` is "rtrl"; no per-step error norms are recorded.

    Raises
    ------
    ValueError
        For a cell other than Elman or LSTM, and for bad arguments (as ``bptt``).
    """
    return _run("rtrl", model, inputs, targets, k1, h0, loss, mask, "rtrl")


def uoro(model, inputs, targets, k1=None, h0=None, *, loss="mse", mask=None, seed=0) -> Trace:
    """Unbiased rank-one estimates of RTRL's gradients (UORO), computed forward in time.

    Tallec & Ollivier (2018), "Unbiased Online Recurrent Optimization", ICLR,
    Algorithm 1, per example of the batch: ``ds_t/dtheta`` is estimated by
    ``s~_t theta~_t^T`` with ``s~_t = rho0 J_t s~_{t-1} + rho1 nu`` and
    ``theta~_t = theta~_{t-1} / rho0 + (nu^T dF_t/dtheta) / rho1``, with ``nu``
    independent random signs each step, ``rho0 = sqrt(|theta~| / |J s~|)`` and
    ``rho1 = sqrt(|nu^T dF/dtheta| / |nu|)`` (each with epsilon = 1e-7). Both
    cross terms are odd in ``nu``, so ``E[s~ theta~^T] = ds/dtheta`` exactly.
    The factors only reduce the variance: without them the estimate is still
    unbiased, only noisier (tested). O(H^2) work and O(H^2) memory per
    example and step.

    Parameters
    ----------
    model, inputs, targets, k1, h0, loss, mask
        As in :func:`rtrl`.
    seed : int >= 0
        Seed of the random signs (same seed, same estimate).

    Returns
    -------
    Trace
        Like :func:`rtrl`'s, with ``updates[u].grads`` a random, unbiased
        estimate of RTRL's; the read-out (``W_hy``, ``b_y``) gradients are exact.
    """
    seed = check_int(seed, "seed", "uoro", low=0)
    return _run("uoro", model, inputs, targets, k1, h0, loss, mask, "uoro", seed)


def _uoro_variant(model, inputs, targets, k1=None, h0=None, *, loss="mse", mask=None, seed=0,
                  variant="unbiased"):
    """UORO with a named variant, for tests: "theta_unscaled" (the factors applied to s~ only)
    is deliberately biased; "no_rho" (no factors at all) is noisier but still unbiased."""
    variant = check_option(variant, "variant", "uoro", ("unbiased", "theta_unscaled", "no_rho"))
    return _run("uoro", model, inputs, targets, k1, h0, loss, mask, "uoro", seed, variant)
