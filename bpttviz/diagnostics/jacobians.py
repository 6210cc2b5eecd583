"""Jacobian spectra of the hidden dynamics and the bound of Pascanu, Mikolov & Bengio (2013)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_bool, check_int, check_real
from ..models import check_inputs, check_model


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


def step_jacobians(model, inputs, h0=None):
    """Every step's Jacobian ``J_t = ds_t/ds_{t-1}`` along the trajectory driven by ``inputs``.

    One forward pass; pass the result to :func:`singular_values_of` and
    :func:`lyapunov_of` to get several diagnostics from the same Jacobians.

    Parameters
    ----------
    model : ElmanRNN, LSTM or GRU
    inputs : array (T, B, I)
    h0 : array (B, S), optional
        Initial state ``s_{-1}`` (zeros by default).

    Returns
    -------
    ndarray (T, B, S, S), float64
        ``[t, b]`` is ``J_t`` of example ``b``; not finite where the forward
        pass stopped being finite.
    """
    return _jacobians(model, check_inputs(model, inputs, h0, "step_jacobians"))


def _check_jacobians(J, func):
    """``J`` as a float64 (T, B, S, S) stack of square matrices (non-finite entries allowed)."""
    J = check_array(J, "J", func, ndim=4, finite=False,
                    shape=(("T", None), ("B", None), ("S", None), ("S", None)))
    if J.shape[-1] != J.shape[-2]:
        raise ValueError(f"The 'J' parameter of {func} must hold square Jacobians, shape "
                         f"(T, B, S, S). Got shape {J.shape} instead.")
    return J


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
    ``singular_values_of(step_jacobians(model, inputs, h0))`` is the same.
    """
    J = _jacobians(model, check_inputs(model, inputs, h0, "jacobian_singular_values"))
    return _singular_values(J)


def singular_values_of(J):
    """Singular values of each Jacobian of a stack, as :func:`jacobian_singular_values`.

    Parameters
    ----------
    J : array (T, B, S, S)
        E.g. from :func:`step_jacobians`.

    Returns
    -------
    ndarray (T, B, S)
        Descending along the last axis; NaN where a Jacobian is not finite.
    """
    return _singular_values(_check_jacobians(J, "singular_values_of"))


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
# scale kept aside). An exact SVD of every product is too slow to redraw under
# a slider (docs/benchmarks.md times it), so each product's top singular value
# is estimated by power and block subspace iteration with Rayleigh-Ritz (Saad
# 2011, "Numerical Methods for Large Eigenvalue Problems", ch. 5), warm-started
# from the same row's subspace a few steps earlier, and *certified*: with V
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
        more exact SVDs; ``rtol=0`` takes one for nearly every product, the
        slowest setting (docs/benchmarks.md times both).
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
    log = check_bool(log, "log", func)
    J = _jacobians(model, checked)
    with np.errstate(all="ignore"):
        L = _log_product_norms(J, rtol)
        return L if log else np.exp(L)




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
    return _lyapunov(_jacobians(model, checked), discard)


def lyapunov_of(J, *, discard=0):
    """The finite-time maximal Lyapunov exponent of a stack of Jacobians, as
    :func:`lyapunov_exponent`.

    Parameters
    ----------
    J : array (T, B, S, S)
        The step Jacobians along a trajectory, e.g. from :func:`step_jacobians`.
    discard : int in [0, T-1]
        Steps left out at the start.

    Returns
    -------
    float
        ``(1/n) log ||J_{T-1} ... J_discard||_2`` averaged over the batch,
        ``n = T - discard``; -inf for a zero product, NaN for a non-finite one.
    """
    func = "lyapunov_of"
    J = _check_jacobians(J, func)
    discard = check_int(discard, "discard", func, low=0, high=J.shape[0] - 1)
    return _lyapunov(J, discard)


def _lyapunov(J, discard):
    """Benettin's renormalised product over steps ``discard..T-1`` of ``J`` (T, B, S, S)."""
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
    block = check_int(block, "block", func, low=0, high=blocks - 1, allow_none=True)
    if blocks == 1:
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
        raise ValueError(f"The 'model' parameter of {func} must be an ElmanRNN: a cell with "
                         f"one activation phi, whose Jacobians are diag(phi'(a_t)) W_hh. Got "
                         f"a {model.name}, whose Jacobians mix gates: use "
                         f"jacobian_product_norms instead.")
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
