"""Finite differences and a frozen optimizer, shared by the gradient tests."""

import numpy as np

from bpttviz.training import Optimizer


class Frozen(Optimizer):
    """Leaves the weights as they are: every update of a training run is then computed at
    the initial weights, where the engine's gradient is the reference."""

    name = "frozen"

    def _step(self, name, p, g):
        return p.copy()


def numerical_grads(f, params, eps=1e-6):
    """Centred differences of the scalar ``f(params)`` for every entry of every array."""
    grads = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = f(params)
            p[idx] = old - eps
            down = f(params)
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


def rel_error(a, b):
    """max |a - b| / max(|a|, |b|, tiny) over all arrays of two gradient dicts."""
    num = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    den = max(max(float(np.max(np.abs(a[k]))), float(np.max(np.abs(b[k])))) for k in a)
    return num / max(den, 1e-300)
