"""Why gradients vanish, explode and get truncated: diagnostics of a model on data.

NumPy only, no plotting. Every function checks its arguments before any work
and works for every cell through the cell interface (``cell.forward`` and
``cell.jacobians``), so the same diagnostics serve the Elman, LSTM and GRU
networks. The state ``s`` is the hidden state ``h`` (Elman, GRU) or ``[h, c]``
(LSTM); ``J_t = ds_t/ds_{t-1}`` is the Jacobian of step ``t``.

* Jacobian spectra: :func:`jacobian_singular_values`,
  :func:`jacobian_product_norms`, :func:`lyapunov_exponent`,
  :func:`lyapunov_spectrum`.
* The theory's bound: :func:`recurrent_spectrum`, :func:`gamma`,
  :func:`pascanu_bound` (Pascanu, Mikolov & Bengio 2013, section 2.1).
* Truncation: :func:`truncation_bias`, and what it saves,
  :func:`schedule_cost` and :func:`cost_table` (measured by the engine).
* Loss surfaces: :func:`loss_slice`, :func:`random_direction`, and the
  single-unit network whose error surface has a cliff: :func:`cliff_loss`,
  :func:`cliff_grad`, :func:`cliff_descent`.

Shapes: T steps, B batch, I inputs, H hidden units, S state floats, O outputs.

References
----------
Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent
neural networks", ICML (arXiv:1211.5063).
Benettin, Galgani, Giorgilli & Strelcyn (1980), "Lyapunov characteristic
exponents for smooth dynamical systems ... Part 2: Numerical application",
Meccanica 15; Shimada & Nagashima (1979), Prog. Theor. Phys. 61.
Li, Xu, Taylor, Studer & Goldstein (2018), "Visualizing the loss landscape of
neural nets", NeurIPS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_int, check_option, check_real
from .engine import check_inputs, check_model, make_problem, resolve_schedule, run_schedule
from .losses import LOSSES
from .schedules import Schedule, keras, last_loss, per_loss, sliding_window, tbptt
from .trace import Cost

__all__ = [
    "jacobian_singular_values", "jacobian_product_norms", "lyapunov_exponent",
    "lyapunov_spectrum", "Spectrum", "recurrent_spectrum", "gamma", "pascanu_bound",
    "TruncationBias", "truncation_bias", "TRUNCATIONS", "schedule_cost", "cost_table",
    "loss_slice", "random_direction", "cliff_loss", "cliff_grad", "CliffPath",
    "cliff_descent",
]


# --- per-step Jacobians -------------------------------------------------------

def _jacobians(model, checked):
    """The per-step Jacobians ``J_t`` in float64 (T, B, S, S) of a checked ``(params, x, s0)``."""
    params, x, s0 = checked
    cell = model.cell
    with np.errstate(all="ignore"):
        cache = cell.forward(params, x, s0)
        J = cell.jacobians(params, cache)
    return np.asarray(J, dtype=np.float64)


def _finite_matrices(J):
    """(..., ) True where a stack of matrices (..., S, S) is finite everywhere."""
    return np.isfinite(J).all(axis=(-2, -1))


def jacobian_singular_values(model, inputs, h0=None):
    """Singular values of every step's Jacobian ``J_t = ds_t/ds_{t-1}``.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    h0 : array (B, S), optional
        Initial state ``s_{-1}`` (zeros by default).

    Returns
    -------
    ndarray (T, B, S)
        Descending along the last axis; ``[t, b, 0]`` is the spectral norm of
        ``J_t`` for example ``b``. NaN where the forward pass stopped being finite.

    Notes
    -----
    For the Elman cell ``J_t = diag(phi'(a_t)) W_hh``, so every singular value
    is at most ``gamma * sigma_max(W_hh)`` (see :func:`pascanu_bound`).
    """
    J = _jacobians(model, check_inputs(model, inputs, h0, "jacobian_singular_values"))
    return _singular_values(J)


def _singular_values(J):
    ok = _finite_matrices(J)
    out = np.full(J.shape[:-1], np.nan)
    if ok.any():
        out[ok] = np.linalg.svd(J[ok], compute_uv=False)
    return out


# --- norms of Jacobian products ---------------------------------------------------
#
# N[tau, s] = ||J_tau ... J_{s+1}||_2 for every pair: T(T-1)/2 products. Each
# product is formed once, by left-multiplying the product ending at tau - 1
# with J_tau (rescaled when its norm leaves [1e-60, 1e60], the log of the
# scale kept aside). An SVD of every product costs about 40 us at S = 32, too
# slow for a slider at T = 100, so each product's top singular value is
# estimated by power and block subspace iteration with Rayleigh-Ritz (Saad 2011,
# "Numerical Methods for Large Eigenvalue Problems", ch. 5), warm-started from
# the same row's subspace a few steps earlier, and *certified*: with V
# orthonormal (S, k), G = Q^T Q, A = V^T G V, C = V_perp^T G V, D = V_perp^T G V_perp,
#
#     lambda_max(A) <= lambda_max(G) <= lambda_max([[alpha, gam], [gam, delta]])
#
# with alpha = lambda_max(A), gam = ||C||_F = sqrt(||G V||_F^2 - ||A||_F^2) and
# delta >= lambda_max(D): tr(D) = ||Q||_F^2 - tr(A), or ||D||_F. A product whose
# bracket is wider than rtol gets a few more iterations, then an exact SVD:
# long products are nearly of rank one and pass at once; short ones, whose
# spectra are flat, usually need the SVD. The products of a few consecutive
# steps are estimated together, to call NumPy a few times per block of steps.

_BLOCK = 4            # subspace size of the iteration
_EXTRA = 3            # further block iterations before the exact SVD
_STEPS = 8            # steps whose products are estimated together
_BUFFER = 1 << 22     # at most this many floats of them (32 MB)
_RESCALE = 1e60       # products are rescaled when their norm leaves [1/_RESCALE, _RESCALE]
                      # (so that the 4th powers in the bracket stay in range)


def _bracket_ok(alpha, gam2, delta, rtol):
    """Whether ``lambda_max([[alpha, gam], [gam, delta]]) <= alpha (1 + rtol)^2``."""
    half = 0.5 * (alpha - delta)
    upper = 0.5 * (alpha + delta) + np.sqrt(half * half + gam2)
    return upper <= alpha * (1.0 + rtol) ** 2


def _ritz_step(q, v, tr, gram, rtol):
    """One block iteration on ``G = q^T q``: (lambda_max lower bound, certified?, next basis).

    ``q`` (m, S, S); ``v`` (m, S, k) orthonormal; ``tr`` (m,) = ``||q||_F^2``;
    ``gram`` (m,) = ``||G||_F^2``.
    """
    Y = q @ v                                       # (m, S, k)
    M = Y.swapaxes(-1, -2) @ Y                      # V^T G V, (m, k, k)
    Z = q.swapaxes(-1, -2) @ Y                      # G V, (m, S, k)
    alpha = np.linalg.eigvalsh(M)[:, -1]
    m2 = np.einsum("mij,mij->m", M, M)
    gam2 = np.maximum(np.einsum("mij,mij->m", Z, Z) - m2, 0.0)
    # ||G||_F^2 = ||A||_F^2 + 2 ||C||_F^2 + ||D||_F^2
    delta = np.minimum(np.maximum(tr - np.einsum("mii->m", M), 0.0),
                       np.sqrt(np.maximum(gram - m2 - 2.0 * gam2, 0.0)))
    return alpha, _bracket_ok(alpha, gam2, delta, rtol), np.linalg.qr(Z)[0]


def _top_singular(q, v, tr, rtol):
    """Top singular value of each of ``q`` (m, S, S), to relative ``rtol``.

    ``tr`` (m,) holds ``||q||_F^2 > 0``; ``v`` (m, S, k), bases from earlier
    estimates, is updated in place. The first column is tried alone (one
    power step), then the whole block (orthonormalised), then an exact SVD.
    Returns the values (m,), never above the true ones.
    """
    if rtol == 0:                                    # exact: no iteration can certify it
        return np.linalg.svd(q, compute_uv=False)[:, 0]
    y = np.einsum("mij,mj->mi", q, v[:, :, 0])
    a = np.einsum("mi,mi->m", y, y)
    z = np.einsum("mij,mi->mj", q, y)                # G v
    zz = np.einsum("mj,mj->m", z, z)
    ok = _bracket_ok(a, np.maximum(zz - a * a, 0.0), np.maximum(tr - a, 0.0), rtol) & (zz > 0)
    sig = np.sqrt(a)
    v[ok, :, 0] = z[ok] / np.sqrt(zz[ok])[:, None]
    todo = np.flatnonzero(~ok)
    if not todo.size:
        return sig
    qt, trt = q[todo], tr[todo]
    vt = np.linalg.qr(v[todo])[0]
    G = qt.swapaxes(-1, -2) @ qt
    gram = np.einsum("mij,mij->m", G, G)
    alpha = np.empty(todo.size)
    left = np.arange(todo.size)
    for _ in range(1 + _EXTRA):
        a2, ok2, v2 = _ritz_step(qt[left], vt[left], trt[left], gram[left], rtol)
        alpha[left], vt[left] = a2, v2
        left = left[~ok2]
        if not left.size:
            break
    sig[todo] = np.sqrt(np.maximum(alpha, 0.0))
    v[todo] = vt
    if left.size:
        sig[todo[left]] = np.linalg.svd(qt[left], compute_uv=False)[:, 0]
    return sig


def _log_product_norms(J, rtol):
    """(T, T) ``log max_b ||J_tau ... J_{s+1}||_2``; 0 on the diagonal, -inf above it.

    NaN where a Jacobian of the product is not finite.
    """
    T, B, S, _ = J.shape
    out = np.full((T, T), -np.inf)
    np.fill_diagonal(out, 0.0)
    if T < 2:
        return out
    k = min(_BLOCK, S)
    fin = _finite_matrices(J)                                   # (T, B)
    J = np.where(fin[..., None, None], J, 0.0)
    log1 = np.log(np.linalg.svd(J[1:], compute_uv=False)[..., 0])   # lag 1, exact
    log1[~fin[1:]] = np.nan
    out[np.arange(1, T), np.arange(T - 1)] = log1.max(axis=1)
    if T < 3:
        return out
    start = np.linalg.qr(np.random.default_rng(0).standard_normal((S, k)))[0]
    V = np.broadcast_to(start, (T - 2, B, S, k)).copy()       # row s: warm-start basis
    # The products ending at tau - 1 that have >= 2 factors (rows s < tau - 2),
    # the log of the scale divided out of each, and whether it met a non-finite J.
    prev, prev_log, prev_bad = np.empty((0, B, S, S)), np.empty((0, B)), np.empty((0, B), bool)
    steps = max(1, min(_STEPS, _BUFFER // (T * B * S * S)))
    for t0 in range(2, T, steps):
        taus = np.arange(t0, min(t0 + steps, T))
        counts = taus - 1                           # rows s <= tau - 2 at each tau
        m = int(counts.sum())
        E = np.empty((m, B, S, S))                  # the block's products, row after row
        Elog = np.empty((m, B))
        Etr = np.empty((m, B))
        Ebad = np.empty((m, B), dtype=bool)
        Es = np.concatenate([np.arange(n) for n in counts])
        Et = np.repeat(taus, counts)
        i = 0
        for tau, n in zip(taus, counts):
            q, lg, tr, bd = E[i:i + n], Elog[i:i + n], Etr[i:i + n], Ebad[i:i + n]
            np.matmul(J[tau], prev, out=q[:n - 1])
            np.matmul(J[tau], J[tau - 1], out=q[n - 1])
            lg[:n - 1], lg[n - 1] = prev_log, 0.0
            bd[:n - 1], bd[n - 1] = prev_bad, ~fin[tau - 1]
            np.einsum("nbij,nbij->nb", q, q, out=tr)
            bd |= ~(fin[tau] & np.isfinite(tr))
            far = (tr > 0) & ((tr > _RESCALE ** 2) | (tr < _RESCALE ** -2)) & ~bd
            if far.any():
                f = np.sqrt(tr[far])
                q[far] /= f[:, None, None]
                lg[far] += np.log(f)
                tr[far] = 1.0
            prev, prev_log, prev_bad = q, lg, bd
            i += n
        live = ~Ebad & (Etr > 0)                    # zero products stay at -inf
        sig = np.zeros((m, B))
        if live.all():                              # no gather: views
            Vb = V[Es].reshape(m * B, S, k)
            sig[...] = _top_singular(E.reshape(m * B, S, S), Vb, Etr.ravel(), rtol).reshape(m, B)
            Vb = Vb.reshape(m, B, S, k)
            last = Et == taus[-1]                   # carry the latest bases forward
            V[Es[last]] = Vb[last]
        elif live.any():
            w = np.nonzero(live)
            Vb = V[Es[w[0]], w[1]]
            sig[w] = _top_singular(E[w], Vb, Etr[w], rtol)
            last = Et[w[0]] == taus[-1]
            V[Es[w[0][last]], w[1][last]] = Vb[last]
        val = Elog + np.log(sig)
        val[Ebad] = np.nan
        out[Et, Es] = val.max(axis=1)
    return out


def jacobian_product_norms(model, inputs, h0=None, *, rtol=1e-3, log=False):
    """Spectral norms of the Jacobian products ``ds_tau/ds_s = J_tau ... J_{s+1}``.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    h0 : array (B, S), optional
    rtol : float in [0, 1]
        Relative accuracy: each returned value ``n`` satisfies
        ``n <= ||ds_tau/ds_s||_2 <= n * (1 + rtol)`` (certified, see Notes);
        the default 1e-3 is far below what a plot shows. Smaller values cost
        more exact SVDs; ``rtol=0`` takes one for nearly every product (two to
        three times slower at T = 100, H = 32).
    log : bool
        Return natural logarithms (no overflow or underflow at large T).

    Returns
    -------
    ndarray (T, T)
        ``[tau, s]`` is the largest over the batch of ``||ds_tau/ds_s||_2``;
        1 on the diagonal (the empty product), 0 for ``s > tau`` (with
        ``log=True``: 0 and -inf). NaN where the forward pass was not finite.

    Notes
    -----
    Every product is formed once, from the one before (``T(T-1)/2`` matrix
    products in all). Its norm is estimated by warm-started power and block
    subspace iteration, with an upper bound from the Rayleigh-Ritz residual;
    products whose bracket is wider than ``rtol`` fall back to an exact SVD.
    By the chain rule ``||dL_tau/ds_s|| <= ||ds_tau/ds_s|| ||dL_tau/ds_tau||``
    (Pascanu et al. 2013, eq. 5): ``trace.flow[tau, s] <= N[tau, s] * (1 + rtol)
    * trace.flow[tau, tau]``.
    """
    func = "jacobian_product_norms"
    checked = check_inputs(model, inputs, h0, func)
    rtol = check_real(rtol, "rtol", func, low=0, high=1)
    log = _check_bool(log, "log", func)
    J = _jacobians(model, checked)
    with np.errstate(all="ignore"):
        L = _log_product_norms(J, rtol)
        return L if log else np.exp(L)


def _check_bool(value, name, func):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"The {name!r} parameter of {func} must be a bool. Got {value!r} instead.")


def lyapunov_exponent(model, inputs, h0=None, *, discard=0):
    """Finite-time maximal Lyapunov exponent per step of the hidden dynamics.

    ``lambda = (1/n) log ||J_{T-1} ... J_discard||_2`` with ``n = T - discard``,
    computed as a renormalised product (the product is divided by its norm at
    every step and the logarithms of the norms are summed, Benettin et al.
    1980), for each example, then averaged over the batch.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    h0 : array (B, S), optional
    discard : int in [0, T-1]
        Steps left out at the start (a transient).

    Returns
    -------
    float
        Negative: perturbations of the state shrink by ``exp(lambda)`` per step
        and so do backpropagated errors (vanishing); positive: they grow
        (exploding, chaotic dynamics). -inf when a product is exactly zero, NaN
        when the forward pass was not finite.

    Notes
    -----
    Along the trajectory driven by ``inputs``: the same Jacobians the
    gradient is made of. For RNNs see also Engelken, Wolf & Abbott (2023),
    "Lyapunov spectra of chaotic recurrent neural networks", Phys. Rev. Research 5.
    The QR method of :func:`lyapunov_spectrum` gives the whole spectrum.
    """
    func = "lyapunov_exponent"
    checked = check_inputs(model, inputs, h0, func)
    discard = check_int(discard, "discard", func, low=0, high=checked[1].shape[0] - 1)
    J = _jacobians(model, checked)
    T, B, S, _ = J.shape
    with np.errstate(all="ignore"):
        P = np.broadcast_to(np.eye(S), (B, S, S)).copy()
        logc = np.zeros(B)
        for t in range(discard, T):
            P = J[t] @ P
            f = np.sqrt(np.einsum("bij,bij->b", P, P))
            logc += np.log(f)
            P /= np.where(f > 0, f, 1.0)[:, None, None]
        ok = np.isfinite(P).all(axis=(1, 2))
        top = np.full(B, np.nan)
        if ok.any():
            top[ok] = np.linalg.svd(P[ok], compute_uv=False)[:, 0]
        lam = (logc + np.log(top)) / (T - discard)
        return float(lam.mean())


def lyapunov_spectrum(model, inputs, h0=None, *, discard=0):
    """Finite-time Lyapunov spectrum by the QR method, averaged over the batch.

    ``Q_t R_t = J_t Q_{t-1}`` from ``Q = I``; ``lambda_i = (1/n) sum_t log |R_t[i, i]|``
    (Shimada & Nagashima 1979; Benettin et al. 1980; Eckmann & Ruelle 1985).

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    h0 : array (B, S), optional
    discard : int in [0, T-1]
        Steps left out at the start.

    Returns
    -------
    ndarray (S,)
        Exponents in descending order (each example's sorted, then averaged).
        Their sum is the mean ``log |det J_t|``; the first tends to
        :func:`lyapunov_exponent` as T grows.
    """
    func = "lyapunov_spectrum"
    checked = check_inputs(model, inputs, h0, func)
    discard = check_int(discard, "discard", func, low=0, high=checked[1].shape[0] - 1)
    J = _jacobians(model, checked)
    T, B, S, _ = J.shape
    if not np.isfinite(J[discard:]).all():
        return np.full(S, np.nan)
    with np.errstate(all="ignore"):
        Q = np.broadcast_to(np.eye(S), (B, S, S)).copy()
        sums = np.zeros((B, S))
        for t in range(discard, T):
            Q, R = np.linalg.qr(J[t] @ Q)
            sums += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
        lam = -np.sort(-sums / (T - discard), axis=1)
        return lam.mean(axis=0)


# --- the recurrent matrix and Pascanu et al.'s bound --------------------------------

@dataclass(frozen=True, eq=False)
class Spectrum:
    """Spectrum of the recurrent matrix ``W_hh`` (or one (H, H) gate block of it).

    Attributes
    ----------
    sigma_max : float
        Largest singular value (spectral norm).
    radius : float
        Spectral radius, the largest ``|eigenvalue|``.
    eigenvalues : ndarray (H,) complex
        By decreasing modulus.
    singular_values : ndarray (H,)
        Descending.
    """

    sigma_max: float
    radius: float
    eigenvalues: np.ndarray
    singular_values: np.ndarray


def _recurrent_matrix(model, func, block=None):
    params = check_model(model, func)
    W = params.get("W_hh")
    if W is None:
        raise ValueError(f"{func} needs a recurrent matrix 'W_hh'; the model's parameters are "
                         f"{sorted(params)}.")
    H = model.n_hidden
    blocks = W.shape[0] // H
    if blocks == 1:
        if block not in (None, 0):
            check_int(block, "block", func, low=0, high=0)
        return np.asarray(W, dtype=np.float64)
    if block is None:
        raise ValueError(f"The 'W_hh' of a {model.name} stacks {blocks} (H, H) gate blocks "
                         f"(rows in the cell's gate order): choose one with the 'block' "
                         f"parameter of {func}, an int in the range [0, {blocks - 1}]. "
                         f"Got block=None instead.")
    block = check_int(block, "block", func, low=0, high=blocks - 1)
    return np.asarray(W[block * H:(block + 1) * H], dtype=np.float64)


def recurrent_spectrum(model, *, block=None) -> Spectrum:
    """Eigenvalues and singular values of ``W_hh``.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    block : int, optional
        For an LSTM (4 blocks) or GRU (3 blocks), which (H, H) gate block of
        the stacked ``W_hh`` to analyse; not needed for an Elman network.

    Returns
    -------
    Spectrum
    """
    W = _recurrent_matrix(model, "recurrent_spectrum", block)
    eig = np.linalg.eigvals(W).astype(complex)
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    sv = np.linalg.svd(W, compute_uv=False)
    return Spectrum(float(sv[0]), float(np.abs(eig[0])), eig, sv)


def _gamma(model, func):
    check_model(model, func)
    g = getattr(model.cell, "gamma", None)
    if g is None:
        raise ValueError(f"{func} needs a cell with one activation phi, whose Jacobians are "
                         f"diag(phi'(a_t)) W_hh (ElmanRNN). Got a {model.name}, whose "
                         f"Jacobians mix gates: use jacobian_product_norms instead.")
    return float(g)


def gamma(model) -> float:
    """``sup |phi'|`` of the Elman cell's activation: 1 for tanh, relu and linear, 1/4 for sigmoid.

    The constant of Pascanu, Mikolov & Bengio (2013), section 2.1.
    """
    return _gamma(model, "gamma")


def pascanu_bound(model, lags):
    """Upper bound ``(sigma_max(W_hh) * gamma) ** lag`` on ``||ds_tau/ds_s||_2``.

    Since ``||diag(phi') W_hh|| <= gamma sigma_max``, the product of ``lag``
    Jacobians has at most that norm. When ``sigma_max * gamma < 1`` it decays
    exponentially: the sufficient condition for vanishing gradients of
    Pascanu, Mikolov & Bengio (2013), section 2.1 (``sigma_max > 1/gamma`` is
    only necessary for exploding).

    Parameters
    ----------
    model : ElmanRNN
    lags : array-like of real numbers >= 0, any shape
        ``tau - s``.

    Returns
    -------
    ndarray, the shape of ``lags``
        inf where the bound overflows.
    """
    func = "pascanu_bound"
    g = _gamma(model, func)
    lags = check_array(lags, "lags", func)
    if lags.size and lags.min() < 0:
        raise ValueError(f"The 'lags' parameter of {func} must hold numbers >= 0 (tau - s). "
                         f"Got {lags.min()} instead.")
    sigma = float(np.linalg.norm(_recurrent_matrix(model, func), 2))
    with np.errstate(all="ignore"):
        return np.power(sigma * g, lags)


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


def _param_names(params, model_params, func):
    if params is None:
        return tuple(model_params)
    names = (params,) if isinstance(params, str) else tuple(params)
    unknown = [n for n in names if n not in model_params]
    if not names or unknown:
        raise ValueError(f"The 'params' parameter of {func} must name some of the model's "
                         f"parameters {list(model_params)}. Got {params!r} instead.")
    return names


def _flat(grads, names):
    return np.concatenate([np.asarray(grads[n], dtype=np.float64).ravel() for n in names])


def _combined(trace, carries, combine):
    """The gradient a schedule applies over one sequence: sum (or loss-weighted mean) of updates."""
    if combine == "sum":
        return trace.grads
    n = np.array([carries[u.losses].sum() for u in trace.updates], dtype=np.float64)
    total = {k: np.zeros_like(v) for k, v in trace.updates[0].grads.items()}
    for u, w in zip(trace.updates, n):
        if w:
            for k, g in u.grads.items():
                total[k] += (w / n.sum()) * g
    return total


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
                      shape=(("K", None),))
    if k2s.min() < 1:
        raise ValueError(f"The 'k2_values' parameter of {func} must hold ints in the range "
                         f"[1, inf). Got {k2s.min()} instead.")
    k1 = check_int(k1, "k1", func, low=1, allow_none=True)
    schedule = check_option(schedule, "schedule", func, tuple(TRUNCATIONS))
    if k1 is not None and schedule in ("keras", "sliding_window"):
        raise ValueError(f"The {schedule!r} schedule fixes k1 ({'k2' if schedule == 'keras' else 1}"
                         f"): the 'k1' parameter of {func} must be None. Got {k1} instead.")
    combine = check_option(combine, "combine", func, ("sum", "mean"))
    names = _param_names(params, pb.params, func)
    T = pb.T
    with np.errstate(all="ignore"):
        full = run_schedule(pb, tbptt(T), record=False).updates[0].grads
        f = _flat(full, names)
        fnorm = float(np.sqrt(f @ f))
        cos = np.empty(len(k2s))
        ratio = np.empty(len(k2s))
        for i, k2 in enumerate(k2s):
            trace = run_schedule(pb, TRUNCATIONS[schedule](T, k1, int(k2)), record=False)
            g = _flat(_combined(trace, pb.carries, combine), names)
            gnorm = float(np.sqrt(g @ g))
            cos[i] = (g @ f) / (gnorm * fnorm) if gnorm > 0 and fnorm > 0 else np.nan
            ratio[i] = gnorm / fnorm if fnorm > 0 else np.nan
    return TruncationBias(k2s.astype(np.int64), cos, ratio, fnorm, schedule, k1, combine, names)


# --- cost, measured ---------------------------------------------------------------------

_RUN_OPTIONS = ("k1", "k2", "schedule", "checkpoint")


def _run_plan(T, spec, func, label):
    """``(schedule, checkpoint)`` from a Schedule or a dict of bptt options."""
    where = f" (entry {label!r})" if label is not None else ""
    if isinstance(spec, Schedule):
        spec = {"schedule": spec}
    if not isinstance(spec, dict):
        raise TypeError(f"Each schedule given to {func}{where} must be a Schedule or a dict of "
                        f"options among {list(_RUN_OPTIONS)}. Got {type(spec).__name__} instead.")
    unknown = sorted(set(spec) - set(_RUN_OPTIONS))
    if unknown:
        raise TypeError(f"{func}{where} got unexpected options {unknown}; allowed: "
                        f"{list(_RUN_OPTIONS)} (and h0, loss, mask).")
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
                        f"name -> Schedule or options. Got {schedules!r} instead.")
    plans = {str(name): _run_plan(pb.T, spec, func, name) for name, spec in schedules.items()}
    with np.errstate(all="ignore"):
        return {name: run_schedule(pb, s, c, record=False).cost for name, (s, c) in plans.items()}


# --- loss along directions in parameter space -------------------------------------------

def _check_direction(direction, params, name, func):
    """A direction keyed like (a subset of) ``params``, as float64 arrays; missing keys are 0."""
    if not isinstance(direction, dict):
        raise TypeError(f"The {name!r} parameter of {func} must be a dict of arrays keyed like "
                        f"model.params. Got {type(direction).__name__} instead.")
    unknown = sorted(set(direction) - set(params))
    if unknown or not direction:
        raise ValueError(f"The {name!r} parameter of {func} must have keys among "
                         f"{list(params)}. Got {sorted(direction)} instead.")
    out = {}
    for key, p in params.items():
        if key not in direction:
            out[key] = np.zeros(p.shape)
            continue
        d = check_array(direction[key], f"{name}[{key!r}]", func)
        if d.shape != p.shape:
            raise ValueError(f"The {name!r} parameter of {func} must give {key!r} the shape "
                             f"{p.shape} of model.params[{key!r}]. Got shape {d.shape} instead.")
        out[key] = d
    return out


def _mean_loss(pb, params):
    """Mean per-step loss over the steps that carry a target (as ``trace.loss``)."""
    cell = pb.cell
    cache = cell.forward(params, pb.x, pb.s0)
    yhat = cell.hidden(cache["s"]) @ params["W_hy"].T + params["b_y"]
    losses, _ = LOSSES[pb.loss](yhat, pb.y, pb.weights(0, pb.T))
    carries = pb.carries
    return float(losses[carries].mean()) if carries.any() else float("nan")


def loss_slice(model, inputs, targets, direction, alphas, *, direction2=None, betas=None,
               h0=None, loss="mse", mask=None):
    """The mean loss along one or two directions in parameter space.

    ``loss(theta + alpha d1)`` or ``loss(theta + alpha d1 + beta d2)``, with
    ``theta`` the model's parameters (left unchanged).

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs, targets, h0, loss, mask
        As in :func:`bpttviz.bptt`.
    direction : dict of arrays
        Keyed like ``model.params`` (missing keys: 0), e.g. from
        :func:`random_direction` or ``trace.full_grads``.
    alphas : array-like (A,)
        Steps along ``direction``.
    direction2 : dict of arrays, optional
        A second direction; needs ``betas``.
    betas : array-like (Bn,), optional
        Steps along ``direction2``.

    Returns
    -------
    ndarray (A,) or (A, Bn)
        ``[i]`` or ``[i, j]`` is the loss at ``alphas[i]`` (and ``betas[j]``);
        inf or NaN where the forward pass overflowed.

    Notes
    -----
    One forward pass per point (no gradients): a 41 x 41 grid is 1681 passes.
    """
    func = "loss_slice"
    pb = make_problem(model, inputs, targets, h0, loss, mask, func)
    d1 = _check_direction(direction, pb.params, "direction", func)
    alphas = check_array(alphas, "alphas", func, ndim=1, shape=(("A", None),))
    if (direction2 is None) != (betas is None):
        raise ValueError(f"{func} needs both 'direction2' and 'betas' for a 2-D slice, or "
                         f"neither. Got direction2={'None' if direction2 is None else 'a dict'}"
                         f" and betas={'None' if betas is None else 'an array'}.")
    if direction2 is None:
        d2, betas = {k: np.zeros_like(v) for k, v in d1.items()}, np.zeros(1)
    else:
        d2 = _check_direction(direction2, pb.params, "direction2", func)
        betas = check_array(betas, "betas", func, ndim=1, shape=(("Bn", None),))
    out = np.empty((len(alphas), len(betas)))
    with np.errstate(all="ignore"):
        for i, a in enumerate(alphas):
            for j, b in enumerate(betas):
                P = {k: (p + a * d1[k] + b * d2[k]).astype(p.dtype, copy=False)
                     for k, p in pb.params.items()}
                out[i, j] = _mean_loss(pb, P)
    return out[:, 0] if direction2 is None else out


_NORMALIZE = ("filter", "layer", "none")


def random_direction(model, seed=0, normalize="filter"):
    """A random Gaussian direction in parameter space, scaled like the parameters.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    seed : int >= 0
    normalize : {"filter", "layer", "none"}
        "filter" (Li et al. 2018): each row of a weight matrix (the weights
        into one unit) gets the norm of the same row of the parameter;
        "layer": each matrix gets the Frobenius norm of the parameter. With
        both, 1-D parameters (biases) get 0, as in Li et al.'s code
        (``ignore="biasbn"``). "none": the raw N(0, 1) draw.

    Returns
    -------
    dict of ndarray
        Keyed and shaped like ``model.params``.
    """
    func = "random_direction"
    params = check_model(model, func)
    seed = check_int(seed, "seed", func, low=0)
    normalize = check_option(normalize, "normalize", func, _NORMALIZE)
    rng = np.random.default_rng(seed)
    out = {}
    for key, p in params.items():
        d = rng.standard_normal(p.shape)
        p = np.asarray(p, dtype=np.float64)
        if normalize != "none" and p.ndim <= 1:
            d = np.zeros(p.shape)
        elif normalize == "filter":
            d *= (np.linalg.norm(p, axis=1) / (np.linalg.norm(d, axis=1) + 1e-10))[:, None]
        elif normalize == "layer":
            d *= np.linalg.norm(p) / (np.linalg.norm(d) + 1e-10)
        out[key] = d
    return out


# --- the single-unit network with a cliff (Pascanu et al. 2013, fig. 6) ---------------------
#
#     x_t = w sigmoid(x_{t-1}) + b,  t = 1 .. T,   E = (sigmoid(x_T) - target)^2
#
# with x_0 = 0.5, T = 50, target = 0.7: eq. (8) and the error E_50 of fig. 6 in
# section 2.3 ("The geometrical interpretation") of arXiv:1211.5063. The exact
# gradient is carried forward with the state (real-time recurrent learning,
# Williams & Zipser 1989), which vectorises over any grid of (w, b):
#
#     dx_t/dw = sigmoid(x_{t-1}) + w sigmoid'(x_{t-1}) dx_{t-1}/dw,   dx_0/dw = 0
#     dx_t/db = 1                + w sigmoid'(x_{t-1}) dx_{t-1}/db,   dx_0/db = 0
#     dE/dtheta = 2 (sigmoid(x_T) - target) sigmoid'(x_T) dx_T/dtheta
#
# The factor w sigmoid'(x) is the step's Jacobian, at most |w|/4, so the gradient
# can explode only for |w| > 4. For w > 4 the map x -> w sigmoid(x) + b can have
# two stable fixed points; where x_0 sits on the boundary between their basins,
# x_T changes abruptly with (w, b): the cliff (at w = 8 near b = -4.48).

CLIFF_T = 50
CLIFF_X0 = 0.5
CLIFF_TARGET = 0.7


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))      # no overflow for large |x|


def _cliff_args(w, b, T, x0, target, func):
    w = check_array(w, "w", func)
    b = check_array(b, "b", func)
    try:
        np.broadcast_shapes(w.shape, b.shape)
    except ValueError:
        raise ValueError(f"The 'w' and 'b' parameters of {func} must broadcast together. "
                         f"Got shapes {w.shape} and {b.shape} instead.") from None
    T = check_int(T, "T", func, low=1)
    x0 = check_real(x0, "x0", func)
    target = check_real(target, "target", func)
    return w, b, T, x0, target


def _cliff_run(w, b, T, x0, target, grad):
    with np.errstate(all="ignore"):
        x = np.broadcast_to(np.float64(x0), np.broadcast_shapes(w.shape, b.shape))
        dw = db = 0.0
        for _ in range(T):
            sx = _sigmoid(x)
            if grad:
                jac = w * sx * (1.0 - sx)        # dx_t/dx_{t-1}
                dw = sx + jac * dw
                db = 1.0 + jac * db
            x = w * sx + b
        sx = _sigmoid(x)
        err = sx - target
        if not grad:
            return err * err
        c = 2.0 * err * sx * (1.0 - sx)
        return np.broadcast_to(c * dw, x.shape).copy(), np.broadcast_to(c * db, x.shape).copy()


def cliff_loss(w, b, T=CLIFF_T, x0=CLIFF_X0, target=CLIFF_TARGET):
    """Error ``(sigmoid(x_T) - target)^2`` of the single-unit RNN ``x_t = w sigmoid(x_{t-1}) + b``.

    Pascanu, Mikolov & Bengio (2013), eq. (8) and fig. 6: no input, ``x_0 = 0.5``,
    ``T = 50``, target 0.7. Its surface over ``(w, b)`` has a cliff (try
    ``w`` in [-2, 12] and ``b`` in [-8, 2]).

    Parameters
    ----------
    w, b : array-like, broadcastable
    T : int >= 1
    x0, target : float

    Returns
    -------
    ndarray, the broadcast shape of ``w`` and ``b``
    """
    w, b, T, x0, target = _cliff_args(w, b, T, x0, target, "cliff_loss")
    return _cliff_run(w, b, T, x0, target, grad=False)


def cliff_grad(w, b, T=CLIFF_T, x0=CLIFF_X0, target=CLIFF_TARGET):
    """Exact gradient ``(dE/dw, dE/db)`` of :func:`cliff_loss`.

    Forward-mode recursion carried with the state (real-time recurrent
    learning, Williams & Zipser 1989)::

        dx_t/dw = sigmoid(x_{t-1}) + w sigmoid'(x_{t-1}) dx_{t-1}/dw
        dx_t/db = 1 + w sigmoid'(x_{t-1}) dx_{t-1}/db,      dx_0/dw = dx_0/db = 0
        dE/dtheta = 2 (sigmoid(x_T) - target) sigmoid'(x_T) dx_T/dtheta

    Returns
    -------
    (ndarray, ndarray)
        Both of the broadcast shape of ``w`` and ``b``.
    """
    w, b, T, x0, target = _cliff_args(w, b, T, x0, target, "cliff_grad")
    return _cliff_run(w, b, T, x0, target, grad=True)


@dataclass(frozen=True, eq=False)
class CliffPath:
    """A gradient-descent run on :func:`cliff_loss`.

    Attributes
    ----------
    w, b, loss : ndarray (n+1,)
        Parameters and loss before each step and after the last.
    grad_norm : ndarray (n,)
        ``||(dE/dw, dE/db)||`` at each step, before clipping.
    clipped : ndarray (n,) of bool
        Whether clipping rescaled the step.
    first_nonfinite : int or None
        First step whose gradient was not finite; the run stopped there
        (later entries are NaN).
    """

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    first_nonfinite: int | None = None


def cliff_descent(w0, b0, *, lr, steps, clip=None, T=CLIFF_T, x0=CLIFF_X0,
                  target=CLIFF_TARGET) -> CliffPath:
    """Gradient descent on :func:`cliff_loss`, with or without norm clipping.

    ``theta <- theta - lr * g``; with ``clip``, ``g <- clip * g / ||g||``
    whenever ``||g|| >= clip`` (Pascanu et al. 2013, algorithm 1).

    Parameters
    ----------
    w0, b0 : float
        Starting point.
    lr : float > 0
    steps : int >= 0
    clip : float > 0, optional
        Threshold on the gradient norm.
    T, x0, target
        As in :func:`cliff_loss`.

    Returns
    -------
    CliffPath
    """
    func = "cliff_descent"
    w = check_real(w0, "w0", func)
    b = check_real(b0, "b0", func)
    lr = check_real(lr, "lr", func, low=0, closed="right")
    steps = check_int(steps, "steps", func, low=0)
    clip = check_real(clip, "clip", func, low=0, closed="right", allow_none=True)
    _, _, T, x0, target = _cliff_args(w, b, T, x0, target, func)
    ws, bs, losses = np.full(steps + 1, np.nan), np.full(steps + 1, np.nan), np.full(steps + 1, np.nan)
    norms, clipped = np.full(steps, np.nan), np.zeros(steps, dtype=bool)
    first_bad = None
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            wa, ba = np.array(w), np.array(b)
            ws[i], bs[i] = w, b
            losses[i] = float(_cliff_run(wa, ba, T, x0, target, grad=False))
            if i == steps:
                break
            gw, gb = (float(g) for g in _cliff_run(wa, ba, T, x0, target, grad=True))
            norm = float(np.hypot(gw, gb))
            norms[i] = norm
            if not np.isfinite(norm):
                first_bad = i
                break
            if clip is not None and norm >= clip:
                gw, gb = gw * clip / norm, gb * clip / norm
                clipped[i] = True
            w, b = w - lr * gw, b - lr * gb
    return CliffPath(ws, bs, losses, norms, clipped, first_bad)
