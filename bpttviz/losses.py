"""Per-step losses and their gradients with respect to the outputs.

Each loss takes outputs ``yhat`` (n, B, O), targets and a mask ``m`` (n, B) of
non-negative weights, and returns the per-step losses (n,) and their gradient
``dloss_t/dyhat_t`` (n, B, O). Both average over the batch:

* ``"mse"``: ``loss_t = (1/B) sum_b m_tb * 1/2 ||yhat_tb - y_tb||^2`` with real targets (n, B, O);
* ``"cross_entropy"``: ``loss_t = (1/B) sum_b m_tb * (-log softmax(yhat_tb)[y_tb])``
  with integer class targets (n, B).

A step *carries a target* when some ``m_tb > 0``; aggregated costs are means
over the steps that carry one (all steps when no mask is given).
"""

from __future__ import annotations

import numpy as np


def mse(yhat, y, m):
    """Mean squared error per step: returns ``(loss (n,), dloss/dyhat (n, B, O))``."""
    B = yhat.shape[1]
    diff = yhat - y
    w = m[..., None] / B                      # (n, B, 1)
    loss = 0.5 * np.einsum("nbo,nbo->n", diff * w, diff)
    return loss, diff * w


def cross_entropy(yhat, y, m):
    """Softmax cross-entropy per step with integer targets ``y`` (n, B)."""
    B = yhat.shape[1]
    z = yhat - yhat.max(axis=-1, keepdims=True)      # shift for a stable softmax
    logsum = np.log(np.exp(z).sum(axis=-1, keepdims=True))
    logp = z - logsum                                # (n, B, O) log-probabilities
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]   # (n, B)
    loss = -(m * picked).sum(axis=1) / B
    grad = np.exp(logp)
    np.put_along_axis(grad, y[..., None], np.take_along_axis(grad, y[..., None], -1) - 1.0, -1)
    return loss, grad * (m[..., None] / B)


LOSSES = {"mse": mse, "cross_entropy": cross_entropy}


def mean_over_targets(step_losses, carries) -> float:
    """Mean of the per-step losses over the steps that carry a target; NaN if none does."""
    return float(step_losses[carries].mean()) if carries.any() else float("nan")
