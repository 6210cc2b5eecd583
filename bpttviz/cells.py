"""Recurrent cells: the step forward, its vector-Jacobian product, and parameter gradients.

A cell maps ``(x_t, s_{t-1}) -> s_t`` with a state ``s`` of ``state_size``
floats per example (the hidden state ``h`` for Elman and GRU cells). The
engine owns the loop over time and the truncation; a cell only knows how to

* run forward over a segment and keep what its backward needs (the *cache*),
* pull an error ``g = dL/ds_t`` back one step (``vjp``), returning the
  step's *local* gradient (w.r.t. its pre-activations) and ``dL/ds_{t-1}``,
* turn the local gradients of many steps into parameter gradients with a few
  large matrix products (``param_grads``).

A cell may also offer ``vjp_into(params, cache, t, g, local_out)`` (with a
``local_size`` attribute, P): the same pull-back for a single error (B, S),
writing into given buffers, which the engine's sweep prefers when present.

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

def _dtanh(y):
    d = np.square(y)
    return np.subtract(1.0, d, out=d)


def _dsigmoid(y):
    d = np.subtract(1.0, y)
    d *= y
    return d


DERIVATIVES = {
    "tanh": _dtanh,
    "relu": lambda y: (y > 0).astype(y.dtype),
    "sigmoid": _dsigmoid,
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


def outer_sum_previous(local, cache, lo: int, width=None):
    """``sum_t local[t]^T s_{t-1}[:, :width]`` for cache steps ``t = lo .. lo+n-1``.

    Same as ``outer_sum(local, previous_states(...))`` without copying the states.
    """
    n = local.shape[0]
    s, s_prev = cache["s"], cache["s_prev"]
    if width is not None:
        s, s_prev = s[..., :width], s_prev[..., :width]
    if lo > 0:
        return outer_sum(local, s[lo - 1:lo - 1 + n])
    out = local[0].T @ s_prev
    if n > 1:
        out += outer_sum(local[1:], s[:n - 1])
    return out


def step_outer_norms(local, inputs):
    """Frobenius norm of each step's ``sum_b local[t,b]^T inputs[t,b]``: (n,).

    Uses ``||A^T X||_F^2 = sum((A A^T) * (X X^T))`` over the batch, so no
    (P, K) matrix is formed per step.
    """
    ga = local @ local.transpose(0, 2, 1)       # (n, B, B) Gram matrices
    gx = inputs @ inputs.transpose(0, 2, 1)
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

    @property
    def local_size(self) -> int:
        """P: floats of local gradient (dL/da_t) per example and step."""
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

    def vjp_into(self, params, cache, t, g, local_out):
        """``vjp`` for one error (B, H), writing the local gradient into ``local_out``
        and ``dL/dh_{t-1}`` over ``g``: no allocation on the hot path of a sweep."""
        np.multiply(g, cache["dphi"][t], out=local_out)
        return np.matmul(local_out, params["W_hh"], out=g)

    def param_grads(self, params, cache, local, lo: int):
        """Gradients of W_xh, W_hh, b_h from the local gradients of steps lo..lo+n-1."""
        n = local.shape[0]
        return {
            "W_xh": outer_sum(local, cache["x"][lo:lo + n]),
            "W_hh": outer_sum_previous(local, cache, lo),
            "b_h": local.sum(axis=(0, 1)),
        }

    def recurrent_grad_norms(self, params, cache, local, lo: int):
        """Norm of each step's contribution to the W_hh gradient: (n,)."""
        return step_outer_norms(local, previous_states(cache, lo, local.shape[0]))

    def jacobians(self, params, cache):
        """Per-step Jacobians ``dh_t/dh_{t-1} = diag(phi'(a_t)) W_hh``: (T, B, H, H)."""
        dphi = self._dphi(cache["s"])
        return dphi[..., :, None] * params["W_hh"]


def input_projections(x, W, b):
    """``x_t W^T + b`` for all steps at once, as one (T*B, I) x (I, K) product: (T, B, K)."""
    T, B, I = x.shape
    pre = x.reshape(T * B, I) @ np.ascontiguousarray(W.T)
    pre += b
    return pre.reshape(T, B, -1)


def _identity_jacobians(cell, params, cache):
    """Per-step Jacobians ``ds_t/ds_{t-1}`` (T, B, S, S) from VJPs of the identity rows.

    Row ``k`` of ``J_t`` is ``e_k J_t``, the VJP of the unit vector ``e_k``,
    so this is exact, with one (S, B, S) VJP per step.
    """
    T, B, S = cache["s"].shape
    eye = np.broadcast_to(np.eye(S, dtype=cache["s"].dtype)[:, None, :], (S, B, S))
    J = np.empty((T, B, S, S), dtype=cache["s"].dtype)
    with np.errstate(all="ignore"):           # overflow is recorded, not raised
        cache = cell.prepare_backward(params, cache)
        for t in range(T):
            J[t] = cell.vjp(params, cache, t, eye)[1].transpose(1, 0, 2)   # (B, S, S)
    return J


class LSTMCell:
    """Long short-term memory cell (Hochreiter & Schmidhuber 1997, with the forget
    gate of Gers, Schmidhuber & Cummins 2000), in PyTorch's ``torch.nn.LSTM`` form::

        [a_i, a_f, a_g, a_o] = W_xh x_t + W_hh h_{t-1} + b_h
        i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    The state is ``s = [h, c]`` (S = 2H); the read-out sees ``h`` only. Gates
    are stacked in PyTorch's order i, f, g, o, so ``W_xh`` (4H, I), ``W_hh``
    (4H, H) and ``b_h`` (4H,) are PyTorch's ``weight_ih_l0``, ``weight_hh_l0``
    and ``bias_ih_l0 + bias_hh_l0``. The local gradient of a step is
    ``dL/da_t`` (P = 4H, same gate order).

    Parameters
    ----------
    n_in, n_hidden : int
        Input size I and hidden size H.
    """

    kind = "lstm"
    param_names = ("W_xh", "W_hh", "b_h")

    def __init__(self, n_in: int, n_hidden: int):
        self.n_in = check_int(n_in, "n_in", "LSTM", low=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", "LSTM", low=1)

    @property
    def state_size(self) -> int:
        return 2 * self.n_hidden

    @property
    def local_size(self) -> int:
        """P: floats of local gradient (dL/da_t, four gates) per example and step."""
        return 4 * self.n_hidden

    def param_shapes(self):
        H, I = self.n_hidden, self.n_in
        return {"W_xh": (4 * H, I), "W_hh": (4 * H, H), "b_h": (4 * H,)}

    def hidden(self, s):
        """The hidden state ``h`` inside a state array ``s`` (..., 2H) -> (..., H)."""
        return s[..., :self.n_hidden]

    def cell_state(self, s):
        """The cell state ``c`` inside a state array ``s`` (..., 2H) -> (..., H)."""
        return s[..., self.n_hidden:]

    # -- forward ---------------------------------------------------------
    def forward(self, params, x, s0):
        """Run steps over ``x`` (T, B, I) from ``s0`` (B, 2H); return the cache.

        The cache holds the states ``s`` (T, B, 2H) and the gate activations
        ``gates`` = [i, f, g, o] (T, B, 4H).
        """
        H = self.n_hidden
        W_hh_T = np.ascontiguousarray(params["W_hh"].T)    # (H, 4H); BLAS is slow on the view
        pre = input_projections(x, params["W_xh"], params["b_h"])   # (T, B, 4H)
        T = x.shape[0]
        s = np.empty(pre.shape[:2] + (2 * H,), dtype=pre.dtype)
        gates = pre                              # overwritten step by step with the activations
        a = np.empty(pre.shape[1:], dtype=pre.dtype)
        h, c = s0[:, :H], s0[:, H:]
        for t in range(T):
            np.matmul(h, W_hh_T, out=a)          # (B, 4H)
            a += pre[t]
            z = gates[t]
            # sigmoid over all four blocks, then tanh over g: contiguous
            # whole-row ufuncs are faster than strided per-gate ones.
            _sigmoid(a, out=z)                   # i, f, o (and g, replaced next)
            np.tanh(a[:, 2 * H:3 * H], out=z[:, 2 * H:3 * H])
            c_new, h_new = s[t, :, H:], s[t, :, :H]
            np.multiply(z[:, H:2 * H], c, out=c_new)
            c_new += z[:, :H] * z[:, 2 * H:3 * H]
            np.tanh(c_new, out=h_new)
            h_new *= z[:, 3 * H:]
            h, c = h_new, c_new
        return {"x": x, "s": s, "gates": gates, "s_prev": s0}

    # -- backward --------------------------------------------------------
    def prepare_backward(self, params, cache):
        """Derived arrays the step VJPs share, all (T, B, ...).

        ``dcdh = o * tanh'(c_t)``, the path from ``h_t`` to ``c_t``;
        ``coef`` (T, B, 4, H) = [g i', c_{t-1} f', i g', tanh(c_t) o'], so that
        ``dL/da_t = coef * [dc, dc, dc, dh]`` with ``dc`` the total ``dL/dc_t``.
        """
        H = self.n_hidden
        s = cache["s"]
        T, B = s.shape[:2]
        z = cache["gates"].reshape(T, B, 4, H)
        i, g, o = z[:, :, 0], z[:, :, 2], z[:, :, 3]
        # In place over whole arrays: these are the largest passes of a sweep.
        coef = np.subtract(1.0, z)
        coef *= z                                 # sigmoid' = y (1 - y) of every block
        coef[:, :, 0] *= g
        coef[1:, :, 1] *= s[:-1, :, H:]           # c_{t-1}
        coef[0, :, 1] *= cache["s_prev"][:, H:]
        np.multiply(g, g, out=coef[:, :, 2])      # tanh' = 1 - g^2, times i
        np.subtract(1.0, coef[:, :, 2], out=coef[:, :, 2])
        coef[:, :, 2] *= i
        tc = np.tanh(s[..., H:])                  # (T, B, H)
        coef[:, :, 3] *= tc
        dcdh = np.multiply(tc, tc, out=tc)        # o tanh'(c_t), reusing tc
        np.subtract(1.0, dcdh, out=dcdh)
        dcdh *= o
        cache = dict(cache)
        cache["dcdh"] = dcdh
        cache["coef"] = coef
        return cache

    def vjp(self, params, cache, t, g):
        """Pull ``g = [dL/dh_t, dL/dc_t]`` (..., B, 2H) back through step ``t``.

        Returns the local gradient ``dL/da_t`` (..., B, 4H) and
        ``dL/ds_{t-1} = [dL/da_t W_hh, dc * f]`` (..., B, 2H), where
        ``dc = dL/dc_t + dL/dh_t * o * tanh'(c_t)``.
        """
        H = self.n_hidden
        gh, gc = g[..., :H], g[..., H:]
        dc = gc + gh * cache["dcdh"][t]                     # (..., B, H)
        coef = cache["coef"][t]                             # (B, 4, H)
        local = np.empty(dc.shape[:-1] + (4, H), dtype=dc.dtype)
        np.multiply(dc[..., None, :], coef[:, :3], out=local[..., :3, :])
        np.multiply(gh, coef[:, 3], out=local[..., 3, :])
        local = local.reshape(dc.shape[:-1] + (4 * H,))
        g_prev = np.empty(dc.shape[:-1] + (2 * H,), dtype=dc.dtype)
        np.matmul(local, params["W_hh"], out=g_prev[..., :H])
        np.multiply(dc, cache["gates"][t, :, H:2 * H], out=g_prev[..., H:])
        return local, g_prev

    def vjp_into(self, params, cache, t, g, local_out):
        """``vjp`` for one error (B, 2H), writing the local gradient into ``local_out``
        (B, 4H) and ``dL/ds_{t-1}`` over ``g``: no allocation on the hot path of a sweep."""
        H = self.n_hidden
        gh, gc = g[:, :H], g[:, H:]
        coef = cache["coef"][t]                             # (B, 4, H)
        loc = local_out.reshape(-1, 4, H)
        dc = loc[:, 0]                                      # dL/dc_t, until it becomes dL/da_i
        np.multiply(gh, cache["dcdh"][t], out=dc)
        dc += gc
        np.multiply(dc, coef[:, 1], out=loc[:, 1])
        np.multiply(dc, coef[:, 2], out=loc[:, 2])
        np.multiply(dc, cache["gates"][t, :, H:2 * H], out=gc)
        dc *= coef[:, 0]
        np.multiply(gh, coef[:, 3], out=loc[:, 3])
        np.matmul(local_out, params["W_hh"], out=gh)
        return g

    def param_grads(self, params, cache, local, lo: int):
        """Gradients of W_xh, W_hh, b_h from the local gradients of steps lo..lo+n-1."""
        n = local.shape[0]
        return {
            "W_xh": outer_sum(local, cache["x"][lo:lo + n]),
            "W_hh": outer_sum_previous(local, cache, lo, width=self.n_hidden),
            "b_h": local.sum(axis=(0, 1)),
        }

    def recurrent_grad_norms(self, params, cache, local, lo: int):
        """Norm of each step's contribution to the W_hh gradient: (n,)."""
        return step_outer_norms(local, self.hidden(previous_states(cache, lo, local.shape[0])))

    def jacobians(self, params, cache):
        """Per-step Jacobians ``ds_t/ds_{t-1}`` of ``s = [h, c]``: (T, B, 2H, 2H)."""
        return _identity_jacobians(self, params, cache)


class GRUCell:
    """Gated recurrent unit (Cho et al. 2014), in PyTorch's ``torch.nn.GRU`` form::

        [x_r, x_z, x_n] = W_xh x_t + b_xh
        [h_r, h_z, h_n] = W_hh h_{t-1} + b_hh
        r = sigmoid(x_r + h_r);  z = sigmoid(x_z + h_z)
        n = tanh(x_n + r * h_n)
        h_t = (1 - z) * n + z * h_{t-1}

    The reset gate multiplies ``W_hn h_{t-1} + b_hn`` (PyTorch's convention,
    not Cho et al.'s ``W_hn (r * h_{t-1})``), which is why there are two bias
    vectors. Gates are stacked in PyTorch's order r, z, n: ``W_xh`` (3H, I),
    ``W_hh`` (3H, H), ``b_xh``, ``b_hh`` (3H,) are ``weight_ih_l0``,
    ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``. The state is ``h`` (S = H).
    The local gradient of a step (P = 4H) is
    ``[dL/da_r, dL/da_z, dL/dh_n, dL/da_n]``: the first three are the gradient
    of ``W_hh h_{t-1} + b_hh``, and ``[dL/da_r, dL/da_z, dL/da_n]`` that of
    ``W_xh x_t + b_xh`` (``a_n = x_n + r * h_n``).

    Parameters
    ----------
    n_in, n_hidden : int
        Input size I and hidden size H.
    """

    kind = "gru"
    param_names = ("W_xh", "W_hh", "b_xh", "b_hh")

    def __init__(self, n_in: int, n_hidden: int):
        self.n_in = check_int(n_in, "n_in", "GRU", low=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", "GRU", low=1)

    @property
    def state_size(self) -> int:
        return self.n_hidden

    @property
    def local_size(self) -> int:
        """P: floats of local gradient per example and step."""
        return 4 * self.n_hidden

    def param_shapes(self):
        H, I = self.n_hidden, self.n_in
        return {"W_xh": (3 * H, I), "W_hh": (3 * H, H), "b_xh": (3 * H,), "b_hh": (3 * H,)}

    def hidden(self, s):
        """The hidden state ``h`` inside a state array ``s`` (..., H) -> (..., H)."""
        return s

    # -- forward ---------------------------------------------------------
    def forward(self, params, x, s0):
        """Run steps over ``x`` (T, B, I) from ``s0`` (B, H); return the cache.

        The cache holds the states ``s`` (T, B, H), the gate activations
        ``gates`` = [r, z, n] (T, B, 3H) and ``hn`` = ``W_hn h_{t-1} + b_hn`` (T, B, H).
        """
        H = self.n_hidden
        W_hh_T = np.ascontiguousarray(params["W_hh"].T)    # (H, 3H); BLAS is slow on the view
        b_hh = params["b_hh"]
        pre = input_projections(x, params["W_xh"], params["b_xh"])  # (T, B, 3H)
        T = x.shape[0]
        s = np.empty(pre.shape[:2] + (H,), dtype=pre.dtype)
        hn = np.empty_like(s)
        gates = pre                                        # overwritten step by step with r, z, n
        a = np.empty(pre.shape[1:], dtype=pre.dtype)
        h = s0
        for t in range(T):
            np.matmul(h, W_hh_T, out=a)                    # (B, 3H)
            a += b_hh
            hn[t] = a[:, 2 * H:]
            z = gates[t]
            z[:, :2 * H] += a[:, :2 * H]
            _sigmoid(z[:, :2 * H], out=z[:, :2 * H])       # r, z
            n = z[:, 2 * H:]
            n += z[:, :H] * hn[t]
            np.tanh(n, out=n)
            h_new = s[t]
            np.subtract(h, n, out=h_new)                   # h_t = n + z * (h_{t-1} - n)
            h_new *= z[:, H:2 * H]
            h_new += n
            h = h_new
        return {"x": x, "s": s, "gates": gates, "hn": hn, "s_prev": s0}

    # -- backward --------------------------------------------------------
    def prepare_backward(self, params, cache):
        """Derived arrays the step VJPs share: ``coef`` (T, B, 4, H).

        ``coef = [(1 - z) tanh'(a_n), (h_{t-1} - n) z', h_n r', r]``, so that
        ``dL/da_n = g coef_0``, ``dL/da_z = g coef_1``,
        ``dL/da_r = dL/da_n coef_2`` and ``dL/dh_n = dL/da_n coef_3``.
        """
        H = self.n_hidden
        s = cache["s"]
        T, B = s.shape[:2]
        gates = cache["gates"].reshape(T, B, 3, H)
        r, z, n = gates[:, :, 0], gates[:, :, 1], gates[:, :, 2]
        # In place over whole arrays, with slots of coef as scratch space.
        coef = np.empty((T, B, 4, H), dtype=s.dtype)
        c0, c1, c2, c3 = (coef[:, :, k] for k in range(4))
        np.multiply(n, n, out=c0)
        np.subtract(1.0, c0, out=c0)              # tanh' = 1 - n^2
        np.subtract(1.0, z, out=c1)
        c0 *= c1                                  # (1 - z) tanh'
        c1 *= z                                   # z' = z (1 - z)
        np.subtract(s[:-1], n[1:], out=c3[1:])    # h_{t-1} - n
        np.subtract(cache["s_prev"], n[0], out=c3[0])
        c1 *= c3
        np.subtract(1.0, r, out=c2)
        c2 *= r
        c2 *= cache["hn"]
        c3[...] = r
        cache = dict(cache)
        cache["coef"] = coef
        return cache

    def vjp(self, params, cache, t, g):
        """Pull ``g = dL/dh_t`` (..., B, H) back through step ``t``.

        Returns the local gradient (..., B, 4H) and
        ``dL/dh_{t-1} = [dL/da_r, dL/da_z, dL/dh_n] W_hh + g * z``.
        """
        H = self.n_hidden
        coef = cache["coef"][t]                            # (B, 4, H)
        shape = np.broadcast_shapes(g.shape, coef.shape[:1] + coef.shape[2:])
        local = np.empty(shape[:-1] + (4, H), dtype=np.result_type(g, coef))
        da_n = local[..., 3, :]
        np.multiply(g, coef[:, 0], out=da_n)
        np.multiply(g, coef[:, 1], out=local[..., 1, :])
        np.multiply(da_n, coef[:, 2], out=local[..., 0, :])
        np.multiply(da_n, coef[:, 3], out=local[..., 2, :])
        local = local.reshape(shape[:-1] + (4 * H,))
        g_prev = local[..., :3 * H] @ params["W_hh"]
        g_prev += g * cache["gates"][t, :, H:2 * H]
        return local, g_prev

    def vjp_into(self, params, cache, t, g, local_out):
        """``vjp`` for one error (B, H), writing the local gradient into ``local_out``
        (B, 4H) and ``dL/dh_{t-1}`` over ``g``: no large allocation on the hot path."""
        H = self.n_hidden
        coef = cache["coef"][t]                             # (B, 4, H)
        loc = local_out.reshape(-1, 4, H)
        da_n = loc[:, 3]
        np.multiply(g, coef[:, 0], out=da_n)
        np.multiply(g, coef[:, 1], out=loc[:, 1])
        np.multiply(da_n, coef[:, 2], out=loc[:, 0])
        np.multiply(da_n, coef[:, 3], out=loc[:, 2])
        g *= cache["gates"][t, :, H:2 * H]
        g += local_out[:, :3 * H] @ params["W_hh"]
        return g

    def param_grads(self, params, cache, local, lo: int):
        """Gradients of W_xh, W_hh, b_xh, b_hh from the local gradients of steps lo..lo+n-1."""
        n, H = local.shape[0], self.n_hidden
        d_hh = local[..., :3 * H]                                            # (n, B, 3H)
        d_xh = np.concatenate([local[..., :2 * H], local[..., 3 * H:]], axis=-1)
        return {
            "W_xh": outer_sum(d_xh, cache["x"][lo:lo + n]),
            "W_hh": outer_sum_previous(d_hh, cache, lo),
            "b_xh": d_xh.sum(axis=(0, 1)),
            "b_hh": d_hh.sum(axis=(0, 1)),
        }

    def recurrent_grad_norms(self, params, cache, local, lo: int):
        """Norm of each step's contribution to the W_hh gradient: (n,)."""
        d_hh = local[..., :3 * self.n_hidden]
        return step_outer_norms(d_hh, previous_states(cache, lo, local.shape[0]))

    def jacobians(self, params, cache):
        """Per-step Jacobians ``dh_t/dh_{t-1}``: (T, B, H, H)."""
        return _identity_jacobians(self, params, cache)
