"""What several lessons share: the seeded sequence they run on, the relative flow they show,
the words they use for an overflow and their readout, and the quantities of their steps."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["finite_or_none", "random_sequence", "relative_flow", "readout_html", "overflow_notes",
           "overflow_step", "lag_value"]


def finite_or_none(x):
    """``float(x)``, or None where it is not finite (a result sent as JSON)."""
    x = float(x)
    return x if math.isfinite(x) else None


def random_sequence(T: int, seed: int, stream: int):
    """Seeded N(0, 1) inputs (T, 1, 1) and targets (T, 1, 1); ``stream`` keeps lessons apart."""
    rng = np.random.default_rng([seed, stream])
    return rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1))


def relative_flow(flow):
    """(T, T) ``flow[tau, s] / flow[tau, tau]``: how much of loss tau's error reaches h_s.

    By the chain rule it is at most ``||dh_tau/dh_s||_2``, hence below the
    bound of :func:`bpttviz.diagnostics.pascanu_bound`. NaN where loss tau's
    error is zero or not finite, and in the rows of losses without a target
    (NaN in ``trace.flow``): a lag profile then takes only losses that exist.
    """
    flow = np.asarray(flow, dtype=float)
    d = np.diag(flow)
    ok = np.isfinite(d) & (d > 0)
    with np.errstate(all="ignore"):
        return np.where(ok[:, None], flow / np.where(ok, d, 1.0)[:, None], np.nan)


def readout_html(lines) -> str:
    """The numbers under the controls: one line each (HTML allowed, the caller escapes)."""
    return (f"<div style='font-size:14px;line-height:1.4'>"
            f"{'<br>'.join(x for x in lines if x)}</div>")


def overflow_notes(trace) -> list:
    """A sentence saying where ``trace`` overflowed, or none."""
    step = trace.first_overflow
    if step is None:
        return []
    return [f"This run overflowed at step {step}: numbers beyond float64's range (about "
            f"1.8e308) became inf or NaN ({trace.nonfinite_at}). The figures mark the step and "
            "draw those values in vermillion."]


# -- quantities of the guided steps that several lessons check ----------------------------------

def overflow_step(result, values) -> float:
    """First step at which ``result.trace`` stopped being finite (forward or backward), or NaN."""
    step = result.trace.first_overflow
    return math.nan if step is None else float(step)


def lag_value(result, values, lag: int, key: str = "lag_median", run: int | None = None) -> float:
    """The lag profile ``key`` (median relative gradient by default) at ``lag``; of
    ``result.runs[run]`` when ``run`` is given (lesson 5)."""
    obj = result if run is None else result.runs[run]
    return float(np.asarray(getattr(obj, key))[lag])

