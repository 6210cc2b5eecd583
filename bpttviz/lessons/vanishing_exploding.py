"""Lesson 2, vanishing and exploding gradients.

The error reaching state ``h_s`` from loss ``tau`` is multiplied by the step
Jacobians ``J_t = diag(phi'(a_t)) W_hh`` for ``t = tau .. s+1``, so its norm
is at most ``(gamma sigma_max(W_hh))^(tau - s)`` (Pascanu, Mikolov & Bengio
2013, section 2.1; Bengio, Simard & Frasconi 1994; Hochreiter 1991): below 1
it vanishes exponentially with the lag, above 1 it may explode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import figures
from ..cells import ACTIVATIONS
from ..diagnostics import (gamma, lyapunov_of, pascanu_bound, recurrent_spectrum,
                           singular_values_of, step_jacobians)
from ..engine import bptt
from ..figures import alt_text
from ..models import ElmanRNN
from .common import (finite_or_none, lag_value, overflow_notes, overflow_step, random_sequence,
                     readout_html, relative_flow)
from .control import Control
from .lesson import Lesson

__all__ = ["VanishingLesson", "Vanishing"]


def most_over_bound(result, values) -> float:
    """Largest ``lag_median / bound`` over the lags: at most 1 where the bound holds."""
    with np.errstate(all="ignore"):
        r = np.asarray(result.lag_median) / np.asarray(result.bound)
    return float(np.nanmax(r))


def growth_per_step(result, values) -> float:
    """``exp(lyapunov)``: the factor by which errors change per step along the sequence."""
    return float(np.exp(result.lyapunov))


@dataclass(frozen=True)
class Vanishing:
    """One configuration of lesson 2: the run and its diagnostics."""

    model: ElmanRNN
    inputs: np.ndarray            # (T, 1, 1)
    targets: np.ndarray           # (T, 1, 1)
    trace: object                 # bpttviz.Trace, full BPTT
    flow: np.ndarray              # (T, T)
    lags: np.ndarray              # (T,)
    lag_median: np.ndarray        # (T,) of relative_flow along each lag
    lag_low: np.ndarray
    lag_high: np.ndarray
    bound: np.ndarray             # (T,) Pascanu bound per lag
    singular_values: np.ndarray   # (T, S) of each step's Jacobian, first example
    spectrum: object              # diagnostics.Spectrum of W_hh
    gamma: float
    lyapunov: float


class VanishingLesson(Lesson):
    """Lesson 2: how the scale of W_hh and the activation make gradients vanish or explode."""

    title = "Vanishing and exploding gradients"
    summary = ("how the scale of the recurrent matrix and the activation decide whether an error "
               "survives the trip back through time, against the bound of Pascanu, Mikolov & "
               "Bengio (2013).")
    slug = "vanishing_exploding"
    number = 2
    class_control = "scale"
    controls = (
        Control("scale_by", "W_hh scaled by", "option", "radius",
                options=(("spectral radius ρ", "radius"), ("largest singular value σ", "sigma"))),
        Control("scale", "scale of W_hh", "float", 1.0, 0.1, 3.0, 0.05,
                help="ρ(W_hh) or σ_max(W_hh), as chosen above"),
        Control("activation", "activation φ", "option", "tanh", options=tuple(ACTIVATIONS)),
        Control("T", "T (steps)", "int", 60, 5, 400),
        Control("hidden", "H (hidden units)", "int", 32, 2, 64),
        Control("input_scale", "input scale", "float", 1.0, 0.0, 3.0, 0.1,
                help="Standard deviation of W_xh times √I"),
        Control("seed", "seed", "int", 0, 0, 99, help="Weights and data"),
    )
    figure_names = ("flow", "lag", "singular_values")
    aliases = {
        "radius": ("scale", {"scale_by": "radius"}),
        "sigma": ("scale", {"scale_by": "sigma"}),
    }
    quantities = {f.__name__: f for f in (overflow_step, lag_value, most_over_bound,
                                            growth_per_step)}
    presets = {
        "vanishing": dict(scale_by="radius", scale=0.6, activation="tanh", input_scale=1.0, T=60),
        "exploding": dict(scale_by="radius", scale=1.3, activation="linear", input_scale=1.0,
                          T=100),
        "edge of chaos": dict(scale_by="radius", scale=1.2, activation="tanh", input_scale=0.3,
                              T=100),
    }

    def compute(self, values):
        T, H = values["T"], values["hidden"]
        model = ElmanRNN(1, H, 1, values["activation"], values["seed"],
                         input_scale=values["input_scale"],
                         **{values["scale_by"]: values["scale"]})
        x, y = random_sequence(T, values["seed"], stream=2)
        trace = bptt(model, x, y)
        flow = trace.flow
        lags, med, low, high = figures.lag_profile(relative_flow(flow))
        J = step_jacobians(model, x)          # (T, 1, H, H), once for both diagnostics
        return Vanishing(model, x, y, trace, flow, lags, med, low, high, pascanu_bound(model, lags),
                         singular_values_of(J)[:, 0, :], recurrent_spectrum(model),
                         gamma(model), lyapunov_of(J))

    def experiment_result(self, r, run=None):
        """The gradient at the largest lag: the median relative norm of ∂loss_τ/∂h_s there."""
        return {"largest_lag": int(r.lags[-1]),
                "grad_norm_at_largest_lag": finite_or_none(r.lag_median[-1])}

    def render(self, r, values):
        gs = r.gamma * r.spectrum.sigma_max
        return {
            "flow": figures.flow(r.flow, carries=r.trace.carries,
                                 overflow_step=r.trace.first_overflow),
            "lag": figures.lag_norms(r.lags, r.lag_median, r.lag_low, r.lag_high, r.bound,
                                     note=f"γσ$_{{max}}$ = {gs:.3g}",
                                     label="relative ‖∂loss$_τ$/∂h$_s$‖"),
            "singular_values": figures.singular_values(r.singular_values),
        }

    def describe_figures(self, r, values):
        return {"flow": alt_text.flow_text(r.flow, overflow_step=r.trace.first_overflow,
                                           carries=r.trace.carries),
                "lag": alt_text.lag_norms_text(r.lags, r.lag_median, r.bound,
                                               "the median relative gradient norm")}

    def describe(self, r, values):
        gs = r.gamma * r.spectrum.sigma_max
        verdict = ("γσ<sub>max</sub> &lt; 1: the gradient must vanish" if gs < 1 else
                   "γσ<sub>max</sub> ≥ 1: it may explode (necessary, not sufficient)")
        lam = r.lyapunov
        growth = (f"errors change by about ×{np.exp(lam):.3g} per step (λ = {lam:.3g})"
                  if np.isfinite(lam) else "λ is not finite (the run overflowed)")
        return readout_html([
            f"ρ(W<sub>hh</sub>) = {r.spectrum.radius:.3g}, "
            f"σ<sub>max</sub> = {r.spectrum.sigma_max:.3g}, γ = {r.gamma:.3g}",
            verdict, f"Along this sequence {growth}.", f"mean loss = {r.trace.loss:.3g}"])

    def notes(self, r, values):
        return overflow_notes(r.trace)

