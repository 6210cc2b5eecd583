"""Gradients as flat vectors, and how far one is from another.

Shared by the truncation bias (:mod:`.truncation`) and the comparison of
gradient estimators (:mod:`.estimators`).
"""

from __future__ import annotations

import numpy as np

from .._validation import describe


def check_param_names(params, model_params, func):
    """The parameter names to compare: ``params`` (a name or a list of names among
    ``model_params``) as a tuple, or all of ``model_params`` for None."""
    if params is None:
        return tuple(model_params)
    if isinstance(params, str):
        names = (params,)
    elif isinstance(params, (list, tuple)):
        names = tuple(params)
    else:
        raise TypeError(f"The 'params' parameter of {func} must be a str, a list or tuple of "
                        f"str, or None. Got {describe(params)} instead.")
    unknown = [n for n in names if n not in model_params]
    if not names or unknown:
        raise ValueError(f"The 'params' parameter of {func} must name some of the model's "
                         f"parameters {list(model_params)}. Got {describe(params)} instead.")
    return names


def flat_gradient(grads, names):
    """The gradients of ``names``, raveled one after the other into one float64 vector."""
    return np.concatenate([np.asarray(grads[n], dtype=np.float64).ravel() for n in names])


def applied_gradient(trace, carries, combine):
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


def agreement(g, f):
    """(cosine, norm ratio, norm of ``f``) of two flat gradients; NaN where a norm is zero."""
    gnorm, fnorm = float(np.sqrt(g @ g)), float(np.sqrt(f @ f))
    cos = float(g @ f) / (gnorm * fnorm) if gnorm > 0 and fnorm > 0 else np.nan
    ratio = gnorm / fnorm if fnorm > 0 else np.nan
    return cos, ratio, fnorm
