"""Loss along directions in parameter space, and the single-unit network with a cliff."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_int, check_option, check_real, describe
from ..engine import make_problem, problem_loss
from ..models import check_model


# --- loss along directions in parameter space -------------------------------------------

def _check_direction(direction, params, name, func):
    """A direction keyed like (a subset of) ``params``, as float64 arrays; missing keys are 0."""
    if not isinstance(direction, dict):
        raise TypeError(f"The {name!r} parameter of {func} must be a dict of arrays keyed like "
                        f"model.params. Got {describe(direction)} instead.")
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
                out[i, j] = problem_loss(pb, P)
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
    """The error, or ``(error, dE/dw, dE/db)`` with ``grad``: one forward-mode run."""
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
        return (err * err, np.broadcast_to(c * dw, x.shape).copy(),
                np.broadcast_to(c * db, x.shape).copy())


def _cliff_point(w, b, T, x0, target):
    """``(error, dE/dw, dE/db)`` at one point, as floats: :func:`_cliff_run`'s operations in
    the same order on Python floats (``np.tanh`` as there), so the same numbers to the last
    bit, about nine times sooner than on 0-d arrays."""
    tanh = np.tanh
    x, dw, db = float(x0), 0.0, 0.0
    for _ in range(T):
        sx = 0.5 * (1.0 + float(tanh(0.5 * x)))
        jac = w * sx * (1.0 - sx)
        dw = sx + jac * dw
        db = 1.0 + jac * db
        x = w * sx + b
    sx = 0.5 * (1.0 + float(tanh(0.5 * x)))
    err = sx - target
    c = 2.0 * err * sx * (1.0 - sx)
    return err * err, c * dw, c * db


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
    return _cliff_run(w, b, T, x0, target, grad=True)[1:]


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
            ws[i], bs[i] = w, b
            # The error and its gradient from one run: the same operations as each alone.
            loss, gw, gb = _cliff_point(w, b, T, x0, target)
            losses[i] = loss
            if i == steps:
                break
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
