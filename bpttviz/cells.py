"""Recurrent cells: the step forward, its vector-Jacobian product, and parameter gradients.

A cell maps ``(x_t, s_{t-1}) -> s_t`` with a state ``s`` of ``state_size``
floats per example (the hidden state ``h`` for Elman and GRU cells). The
engine owns the loop over time and the truncation; a cell only knows how to

* run forward over a segment and keep what its backward needs (the *cache*),
* pull an error ``g = dL/ds_t`` back one step (``vjp``), returning the
  step's *local* gradient (w.r.t. its pre-activations) and ``dL/ds_{t-1}``,
* turn the local gradients of many steps into parameter gradients with a few
  large matrix products (``param_grads``).

A cache is a dict of arrays whose first axis is time, plus ``"s_prev"``, the
state before the cache's first step. Shapes in comments: T steps, B batch,
I inputs, H hidden units, S state floats, P local-gradient floats per step.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_option


# --- activations ------------------------------------------------------------
# Each entry: forward (in place into ``out``), derivative written in terms of
# the activation's *output* y = phi(a) (so the backward pass needs only the
# stored states), and gamma = sup |phi'|, the constant in Pascanu et al.'s bound.

def _tanh(a, out):
    return np.tanh(a, out=out)


def _relu(a, out):
    return np.maximum(a, 0.0, out=out)


def _sigmoid(a, out):
    # 1 / (1 + exp(-a)), computed in place; exp overflow gives 1/inf = 0 as it should.
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _linear(a, out):
    out[...] = a
    return out


ACTIVATIONS = {
    "tanh": _tanh,
    "relu": _relu,
    "sigmoid": _sigmoid,
    "linear": _linear,
}

DERIVATIVES = {
    "tanh": lambda y: 1.0 - y * y,
    "relu": lambda y: (y > 0).astype(y.dtype),
    "sigmoid": lambda y: y * (1.0 - y),
    "linear": lambda y: np.ones_like(y),
}

GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25, "linear": 1.0}


def sigmoid(a):
    """Logistic function, returning a new array."""
    return _sigmoid(a, np.empty_like(a))


def previous_states(cache, lo: int, n: int):
    """States ``s_{t-1}`` for cache steps ``t = lo .. lo+n-1``: (n, B, S)."""
    s = cache["s"]
    if lo > 0:
        return s[lo - 1:lo - 1 + n]
    return np.concatenate([cache["s_prev"][None], s[:n - 1]], axis=0)


def outer_sum(local, inputs):
    """``sum_{t,b} local[t,b]^T inputs[t,b]``: one matrix product over all steps."""
    P, K = local.shape[-1], inputs.shape[-1]
    return local.reshape(-1, P).T @ inputs.reshape(-1, K)


def step_outer_norms(local, inputs):
    """Frobenius norm of each step's ``sum_b local[t,b]^T inputs[t,b]``: (n,).

    Uses ``||A^T X||_F^2 = sum((A A^T) * (X X^T))`` over the batch, so no
    (P, K) matrix is formed per step.
    """
    ga = np.einsum("tbp,tcp->tbc", local, local)
    gx = np.einsum("tbk,tck->tbc", inputs, inputs)
    return np.sqrt(np.maximum(np.einsum("tbc,tbc->t", ga, gx), 0.0))


class ElmanCell:
    """Elman cell: ``h_t = phi(W_xh x_t + W_hh h_{t-1} + b_h)``.

    Parameters
    ----------
    n_in, n_hidden : int
        Input size I and hidden size H.
    activation : {"tanh", "relu", "sigmoid", "linear"}
    """

    kind = "elman"
    param_names = ("W_xh", "W_hh", "b_h")

    def __init__(self, n_in: int, n_hidden: int, activation: str = "tanh"):
        self.n_in = check_int(n_in, "n_in", "ElmanRNN", low=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", "ElmanRNN", low=1)
        self.activation = check_option(activation, "activation", "ElmanRNN", tuple(ACTIVATIONS))
        self._phi = ACTIVATIONS[activation]
        self._dphi = DERIVATIVES[activation]
        self.gamma = GAMMA[activation]

    @property
    def state_size(self) -> int:
        return self.n_hidden

    def param_shapes(self):
        H, I = self.n_hidden, self.n_in
        return {"W_xh": (H, I), "W_hh": (H, H), "b_h": (H,)}

    def hidden(self, s):
        """The hidden state ``h`` inside a state array ``s`` (..., S) -> (..., H)."""
        return s

    # -- forward ---------------------------------------------------------
    def forward(self, params, x, s0):
        """Run steps over ``x`` (T, B, I) from ``s0`` (B, H); return the cache."""
        W_hh_T = params["W_hh"].T
        pre = x @ params["W_xh"].T          # (T, B, H): all input projections at once
        pre += params["b_h"]
        s = np.empty_like(pre)
        rec = np.empty_like(s0)
        h = s0
        phi = self._phi
        for t in range(x.shape[0]):
            np.matmul(h, W_hh_T, out=rec)   # (B, H)
            rec += pre[t]
            h = phi(rec, out=s[t])
        return {"x": x, "s": s, "s_prev": s0}

    # -- backward --------------------------------------------------------
    def prepare_backward(self, params, cache):
        """Derived arrays the step VJPs share: here phi'(a_t) from the states."""
        cache = dict(cache)
        cache["dphi"] = self._dphi(cache["s"])  # (T, B, H)
        return cache

    def vjp(self, params, cache, t, g):
        """Pull ``g = dL/dh_t`` (..., B, H) back through step ``t``.

        Returns the local gradient ``dL/da_t = g * phi'(a_t)`` and
        ``dL/dh_{t-1} = (dL/da_t) W_hh`` (vector-Jacobian product).
        """
        local = g * cache["dphi"][t]
        return local, local @ params["W_hh"]

    def param_grads(self, params, cache, local, lo: int):
        """Gradients of W_xh, W_hh, b_h from the local gradients of steps lo..lo+n-1."""
        n = local.shape[0]
        return {
            "W_xh": outer_sum(local, cache["x"][lo:lo + n]),
            "W_hh": outer_sum(local, previous_states(cache, lo, n)),
            "b_h": local.sum(axis=(0, 1)),
        }

    def recurrent_grad_norms(self, params, cache, local, lo: int):
        """Norm of each step's contribution to the W_hh gradient: (n,)."""
        return step_outer_norms(local, previous_states(cache, lo, local.shape[0]))

    def jacobians(self, params, cache):
        """Per-step Jacobians ``dh_t/dh_{t-1} = diag(phi'(a_t)) W_hh``: (T, B, H, H)."""
        dphi = self._dphi(cache["s"])
        return dphi[..., :, None] * params["W_hh"]
