"""What several lessons share: the seeded sequence they run on and the relative flow they show."""

from __future__ import annotations

import numpy as np

__all__ = ["random_sequence", "relative_flow"]


def random_sequence(T: int, seed: int, stream: int):
    """Seeded N(0, 1) inputs (T, 1, 1) and targets (T, 1, 1); ``stream`` keeps lessons apart."""
    rng = np.random.default_rng([seed, stream])
    return rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1))


def relative_flow(flow):
    """(T, T) ``flow[tau, s] / flow[tau, tau]``: how much of loss tau's error reaches h_s.

    By the chain rule it is at most ``||dh_tau/dh_s||_2``, hence below the
    bound of :func:`bpttviz.diagnostics.pascanu_bound`. NaN where loss tau's
    error is zero or not finite.
    """
    flow = np.asarray(flow, dtype=float)
    d = np.diag(flow)
    ok = np.isfinite(d) & (d > 0)
    with np.errstate(all="ignore"):
        return np.where(ok[:, None], flow / np.where(ok, d, 1.0)[:, None], np.nan)
