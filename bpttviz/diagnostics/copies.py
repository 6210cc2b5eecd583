"""Each unrolled copy's share of a shared weight's gradient: the sum BPTT computes, in parts."""

from __future__ import annotations

import numpy as np

from ..engine import make_problem, unroll
from ..losses import LOSSES
from ..models import ElmanRNN

__all__ = ["per_copy_shares"]


def per_copy_shares(model, inputs, targets):
    """Each unrolled copy's share of the full-BPTT gradient of ``W_hh``: (T, H, H).

    Copy t's share is the gradient of the mean loss with respect to copy t's
    own ``W_hh`` (the weights it would change if the copies did not share
    them): ``(delta_t * phi'(a_t))^T h_{t-1}``, with ``delta_t = dL/dh_t``
    pulled back step by step through the cell's vector-Jacobian product
    (Werbos 1990). Their sum is the shared gradient that
    :func:`bpttviz.bptt` returns. Elman networks, mean squared error.

    Parameters
    ----------
    model : ElmanRNN
    inputs : array (T, B, I)
    targets : array (T, B, O)

    Returns
    -------
    array (T, H, H)
    """
    func = "per_copy_shares"
    make_problem(model, inputs, targets, func=func, copy=False)   # checked before any work
    if not isinstance(model, ElmanRNN):
        raise ValueError(f"The 'model' parameter of {func} must be an ElmanRNN: each copy's "
                         f"share of W_hh needs one shared W_hh. Got a {model.name} instead.")
    run = unroll(model, inputs)
    cell, params = model.cell, run.params
    cache = cell.prepare_backward(params, run.cache)
    T = inputs.shape[0]
    ones = np.ones(targets.shape[:2])
    _, dy = LOSSES["mse"](run.outputs, targets, ones)          # (T, B, O): d loss_t / d yhat_t
    inject = (dy / T) @ params["W_hy"]                         # (T, B, H): mean over the T losses
    shares = np.zeros((T,) + params["W_hh"].shape)
    g = np.zeros_like(run.hidden[0])
    for t in range(T - 1, -1, -1):
        g = g + inject[t]
        local, g = cell.vjp(params, cache, t, g)               # dL/da_t and dL/dh_{t-1}
        h_prev = run.states[t - 1] if t > 0 else cache["s_prev"]
        shares[t] = local.T @ h_prev
    return shares
