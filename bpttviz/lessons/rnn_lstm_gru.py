"""Lesson 5, RNN vs LSTM vs GRU: the same sequence through three cells, the errors compared.

In an Elman network every step multiplies the error by
``J_t = diag(phi'(a_t)) W_hh``, so it shrinks or grows exponentially with the
lag (lesson 2). The LSTM (Hochreiter & Schmidhuber 1997, with the forget
gate of Gers, Schmidhuber & Cummins 2000) carries a cell state
``c_t = f_t * c_{t-1} + i_t * g_t`` whose Jacobian along that path is the
diagonal of the forget gate: near 1, the error passes almost unchanged (the
"constant error carousel"). The GRU (Cho et al. 2014) interpolates
``h_t = (1 - z_t) * n_t + z_t * h_{t-1}`` and has the same kind of path
through ``z_t``. Chung et al. (2014) compare the gated cells empirically.

One full-BPTT run per cell on the same random sequence; the flow heatmaps
share one colour scale. For the LSTM the state is ``[h, c]``, so its flow is
the error reaching both. Each cell's run is kept for the controls it depends on
(:data:`CELL_CONTROLS`): moving an Elman control runs the Elman network alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import figures
from ..cells import ACTIVATIONS
from ..diagnostics import jacobian_singular_values
from ..engine import bptt
from ..figures import FIGURE_PX, alt_text
from ..models import GRU, LSTM, ElmanRNN
from .common import lag_value, overflow_notes, random_sequence, readout_html, relative_flow
from .control import Control
from .lesson import Lesson

__all__ = ["CellsLesson", "Comparison", "CellRun", "CELL_NAMES", "CELL_CONTROLS",
           "cell_model", "lesson_models"]

#: The three cells, in the order of the panels.
CELL_NAMES = ("Elman", "LSTM", "GRU")
#: The wide flow figure spans the two columns of figures below it.
WIDE_PX = (2 * FIGURE_PX[0], FIGURE_PX[1])


#: The controls each cell depends on beside the sequence (T, seed, input scale) and H.
CELL_CONTROLS = {"Elman": ("radius", "activation"), "LSTM": ("forget_bias",), "GRU": ()}
#: What every cell's run depends on.
SHARED_CONTROLS = ("T", "hidden", "input_scale", "seed")


def cell_model(name, values):
    """The network of cell ``name`` (1 input, H units, 1 output) the controls describe."""
    H, seed = values["hidden"], values["seed"]
    if name == "Elman":
        return ElmanRNN(1, H, 1, values["activation"], seed, radius=values["radius"])
    if name == "LSTM":
        return LSTM(1, H, 1, seed, forget_bias=values["forget_bias"])
    return GRU(1, H, 1, seed)


def lesson_models(values):
    """The Elman, LSTM and GRU networks (1 input, H units, 1 output) the controls describe."""
    return tuple(cell_model(name, values) for name in CELL_NAMES)


def cell_ratio(result, values, lag: int, cell: int = 1, others=(0, 2)) -> float:
    """Lesson 5: cell ``cell``'s relative gradient at ``lag`` over the largest of ``others``'."""
    mine = lag_value(result, values, lag, run=cell)
    rest = max(lag_value(result, values, lag, run=o) for o in others)
    with np.errstate(all="ignore"):
        return float(mine / rest)


def largest_band(result, values, cells=(1, 2)) -> float:
    """Lesson 5: the largest relative gradient (top of the band) of ``cells`` over all lags."""
    return float(max(np.nanmax(result.runs[c].lag_high) for c in cells))


@dataclass(frozen=True)
class CellRun:
    """One cell's full-BPTT run and its diagnostics."""

    model: object
    trace: object                 # bpttviz.Trace
    flow: np.ndarray              # (T, T)
    lag_median: np.ndarray        # (T,) relative flow along each lag
    lag_low: np.ndarray
    lag_high: np.ndarray
    singular_values: np.ndarray   # (T, S) of each step's Jacobian, the one sequence


@dataclass(frozen=True)
class Comparison:
    """One configuration of lesson 5: the same data through the three cells."""

    inputs: np.ndarray            # (T, 1, 1)
    targets: np.ndarray           # (T, 1, 1)
    lags: np.ndarray              # (T,)
    runs: tuple                   # CellRun per cell, in CELL_NAMES order


class CellsLesson(Lesson):
    """Lesson 5: flow heatmaps of an Elman, an LSTM and a GRU network side by side."""

    title = "RNN vs LSTM vs GRU"
    summary = ("the same sequence through the three cells; how the gated cells' paths carry errors "
               "further back.")
    slug = "rnn_lstm_gru"
    number = 5
    class_control = "radius"
    controls = (
        Control("T", "T (steps)", "int", 60, 5, 200),
        Control("hidden", "H (hidden units)", "int", 16, 2, 64),
        Control("input_scale", "input scale (std of x)", "float", 1.0, 0.0, 3.0, 0.1,
                help="Standard deviation of the inputs x_t, the same for the three cells"),
        Control("seed", "seed", "int", 0, 0, 99, help="Weights and data"),
        Control("radius", "Elman: ρ(W_hh)", "float", 1.0, 0.1, 2.0, 0.05,
                help="Spectral radius of the Elman network's W_hh"),
        Control("activation", "Elman: activation φ", "option", "tanh", options=tuple(ACTIVATIONS)),
        Control("forget_bias", "LSTM: forget bias", "float", 1.0, -3.0, 5.0, 0.1,
                help="Added to the forget gate's bias: large keeps the cell state "
                     "(Gers et al. 2000; Jozefowicz et al. 2015 use 1)"),
    )
    presets = {
        "defaults": dict(T=60, hidden=16, input_scale=1.0, radius=1.0, activation="tanh",
                         forget_bias=1.0),
        "long sequence": dict(T=200, input_scale=1.0, radius=1.0, activation="tanh",
                              forget_bias=1.0),
        "LSTM that forgets": dict(T=100, forget_bias=-3.0),
        "Elman explodes": dict(T=100, radius=1.3, activation="linear"),
    }
    figure_names = ("flows", "lag", "jacobian")
    wide_figures = ("flows",)
    quantities = {f.__name__: f for f in (lag_value, cell_ratio, largest_band)}

    def compute(self, values):
        T = values["T"]
        x, y = random_sequence(T, values["seed"], stream=5)
        x = x * values["input_scale"]
        # A cell's run depends on the sequence and its own controls: the Elman controls (the
        # slider a class moves) leave the LSTM's and the GRU's runs as they are.
        runs = tuple(self.cached((name,) + tuple(values[c] for c in SHARED_CONTROLS)
                                 + tuple(values[c] for c in CELL_CONTROLS[name]),
                                 lambda name=name: _cell_run(cell_model(name, values), x, y))
                     for name in CELL_NAMES)
        return Comparison(x, y, np.arange(T), runs)

    def render(self, r, values):
        steps = np.arange(len(r.inputs))
        top = [_row_extreme(c.singular_values, np.max) for c in r.runs]
        bottom = [_row_extreme(c.singular_values, np.min) for c in r.runs]
        return {
            "flows": figures.flow_panels([c.flow for c in r.runs], CELL_NAMES,
                                         carries=[c.trace.carries for c in r.runs],
                                         overflow_steps=[c.trace.first_overflow for c in r.runs],
                                         size=WIDE_PX),
            "lag": figures.lines(r.lags, [c.lag_median for c in r.runs], CELL_NAMES,
                                 lows=[c.lag_low for c in r.runs],
                                 highs=[c.lag_high for c in r.runs],
                                 xlim=(0, max(r.lags[-1], 1)), title="Gradient norm against lag",
                                 xlabel="lag $τ - s$ (steps)",
                                 ylabel="relative ‖∂loss$_τ$/∂h$_s$‖", legend="lower left"),
            "jacobian": figures.lines(steps, top, CELL_NAMES, lows=bottom, highs=top,
                                      baseline=1.0, baseline_label="1: no growth, no decay",
                                      xlim=(-0.5, len(steps) - 0.5),
                                      title="Singular values of ∂h$_t$/∂h$_{t-1}$",
                                      xlabel="step $t$", ylabel="largest (band: all)",
                                      legend="lower left"),
        }

    def describe_figures(self, r, values):
        trends = [alt_text.trend(c.lag_median, r.lags, f"{name}'s median", "lag")
                  for name, c in zip(CELL_NAMES, r.runs)]
        return {"lag": "Relative gradient norm against lag, log scale: " + "; ".join(trends) + "."}

    def describe(self, r, values):
        lines = []
        for name, c in zip(CELL_NAMES, r.runs):
            far = c.lag_median[-1] if len(c.lag_median) > 1 else np.nan
            reach = (f"error left after {len(c.lag_median) - 1} steps: {far:.2g}"
                     if np.isfinite(far) else "the error overflowed or vanished to zero")
            lines.append(f"<b>{name}</b>: mean loss {c.trace.loss:.3g}; {reach}")
        lines.append("Heatmaps share one colour scale; the LSTM's state is [h, c].")
        return readout_html(lines)

    def notes(self, r, values):
        notes = []
        for name, c in zip(CELL_NAMES, r.runs):
            notes += [f"{name}: {n}" for n in overflow_notes(c.trace)]
        return notes


def _cell_run(model, x, y):
    """One cell's full-BPTT run on ``x``, ``y`` and its diagnostics."""
    trace = bptt(model, x, y)
    flow = trace.flow
    _, med, low, high = figures.lag_profile(relative_flow(flow))
    return CellRun(model, trace, flow, med, low, high, jacobian_singular_values(model, x)[:, 0, :])


def _row_extreme(a, reduce):
    """(T,) ``reduce`` over each row's finite entries of ``a`` (T, S); NaN for a row with none."""
    a = np.asarray(a, dtype=float)
    ok = np.isfinite(a)
    fill = -np.inf if reduce is np.max else np.inf
    out = reduce(np.where(ok, a, fill), axis=1)
    return np.where(ok.any(axis=1), out, np.nan)
