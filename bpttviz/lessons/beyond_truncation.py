"""Lesson 7, beyond truncation: bias (TBPTT) against variance (UORO, randomized truncation)
against cost (RTRL), measured on one network.

Truncated BPTT (Williams & Peng 1990) drops the terms of the gradient older
than its window: a bias that no amount of data averages away. Three ways
beyond it, side by side on the same network and data:

* randomized truncation (Tallec & Ollivier 2017, "Unbiasing Truncated
  Backpropagation Through Time"): a random window length per update, each
  kept term reweighted by 1/P(kept), so the expected gradient is the full one;
* UORO (Tallec & Ollivier 2018, "Unbiased Online Recurrent Optimization"): a
  random rank-one estimate of the exact forward sensitivity, O(H^2) per step;
* RTRL (Williams & Zipser 1989): the exact gradient carried forward, memory
  independent of T but O(H^4) work per step.

The data is an echo: random inputs, and from step ``lag`` on the target is
the input ``lag`` steps earlier, so the gradient has a long-range part that
a window of ``k2 < lag`` states cannot see. Every method updates every ``k2``
steps (RTRL and UORO carry their sensitivity across the updates).
The bias-variance figure comes from :func:`bpttviz.diagnostics.compare_estimators`,
the cost figure from :func:`bpttviz.diagnostics.cost_against_hidden` (counted
multiply-adds), the race from four :func:`bpttviz.train` runs in background
threads, as in lesson 4 (:class:`~.lesson.LessonWithRuns`: the page stays free
for the Stop button). UORO's and RTRL's rows do not depend on k2 (the weights are
fixed: the mean of their updates' gradients is that of every loss's, however the
updates split the steps) and are kept while k2 moves.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields

import numpy as np

from .. import figures
from ..diagnostics import (HiddenCost, compare_estimators, cost_against_hidden,
                           truncation_bias)
from ..models import ElmanRNN
from ..schedules import expected_length, randomized
from ..tasks import Batch
from ..training import train
from .common import readout_html
from .control import Control
from .lesson import LessonWithRuns, Limits
from .runs import TrainingRun

__all__ = ["BeyondLesson", "BeyondSetup", "METHOD_LABELS", "COST_HIDDEN", "echo_batch",
           "RECURRENT"]

#: The four estimators, in the order of every figure.
METHOD_LABELS = ("TBPTT", "randomized", "UORO", "RTRL")
#: Hidden sizes of the cost figure (the current H is added).
COST_HIDDEN = (2, 4, 8, 16, 32)
COST_T = 10                 # steps of the counted runs (the cost per step does not depend on T)
BATCH = 32
LEARNING_RATES = ("0.001", "0.003", "0.01", "0.03")
#: The parameters compared: the read-out's gradient is exact for every method.
RECURRENT = ("W_xh", "W_hh", "b_h")


def echo_batch(T: int, lag: int, B: int, seed: int) -> Batch:
    """Inputs x_t ~ N(0, 1) (T, B, 1); from step ``lag`` on the target is ``x_{t - lag}``.

    Steps before ``lag`` carry no target. Always predicting 0 scores the
    baseline loss 1/2 (the targets have unit variance).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, 1))
    y = np.zeros_like(x)
    y[lag:] = x[:T - lag]
    mask = np.zeros((T, B))
    mask[lag:] = 1.0
    return Batch(x, y, mask, "mse")


def _joined(first, second):
    """One :class:`~bpttviz.diagnostics.EstimatorComparison` of the rows of ``first`` then
    ``second`` (the same model, data, samples and full gradient); ``k1`` is ``first``'s."""
    if first.full_norm != second.full_norm or first.n_seeds != second.n_seeds:
        raise ValueError("Only comparisons of the same full gradient and samples join.")
    joined = {f.name: getattr(first, f.name) for f in fields(first)}
    for f in fields(first):
        a, b = getattr(first, f.name), getattr(second, f.name)
        if isinstance(a, tuple):
            joined[f.name] = a + b
        elif isinstance(a, np.ndarray):
            joined[f.name] = np.concatenate([a, b])
    return type(first)(**joined)


def cost_exponent(result, values, method: str = "rtrl", sizes: int = 2) -> float:
    """Lesson 7: the exponent e of ``work per step ~ H^e`` of ``method`` ("rtrl", "uoro", ...)
    between the largest ``sizes`` hidden sizes of ``result.cost``
    (:class:`~bpttviz.diagnostics.HiddenCost`): the least-squares slope of log(multiply-adds
    per step) against log(H) there, where the highest power of H dominates."""
    cost = result.cost
    H = np.log(np.asarray(cost.hidden, dtype=float)[-sizes:])
    f = np.log(np.asarray(cost.flops_per_step[method], dtype=float)[-sizes:])
    return float(np.polyfit(H, f, 1)[0])


@dataclass(frozen=True)
class BeyondSetup:
    """What a change of the controls computes."""

    task: object                # the echo Batch every figure and run uses
    model: object               # the initial Elman network of every figure and run
    comparison: object          # diagnostics.EstimatorComparison (rows in METHOD_LABELS order)
    curve: object               # diagnostics.TruncationBias over k2 = 1..T
    cost: object                # diagnostics.HiddenCost
    configs: tuple              # train() arguments per method
    values: dict                # the control values all of this was computed from


class BeyondLesson(LessonWithRuns):
    """Lesson 7: TBPTT, randomized truncation, UORO and RTRL on one network, and their race."""

    title = "Beyond truncation"
    summary = ("randomized truncation, UORO and RTRL against truncated BPTT on one network: bias "
               "against variance against cost, and a race.")
    slug = "beyond_truncation"
    number = 7
    class_control = "k2"
    controls = (
        Control("T", "T (steps)", "int", 20, 6, 40, help="Length of each sequence"),
        Control("lag", "lag (steps)", "int", 6, 1, 39,
                help="The target is the input this many steps earlier"),
        Control("hidden", "H (hidden units)", "int", 8, 2, 24),
        Control("radius", "ρ(W_hh)", "float", 1.0, 0.3, 1.5, 0.05,
                help="Spectral radius of W_hh at the start"),
        Control("k2", "k2 (states)", "int", 4, 1, 40,
                help="States TBPTT's updates backpropagate through; every method updates "
                     "every k2 steps"),
        Control("k_min", "randomized: k_min", "int", 2, 1, 40,
                help="States randomized truncation always keeps"),
        Control("p", "randomized: stop p", "float", 0.3, 0.05, 1.0, 0.05,
                help="Probability of stopping at each state beyond k_min"),
        Control("samples", "samples (seeds)", "int", 20, 2, 100,
                help="Draws of each random estimator"),
        Control("lr", "race: learning rate", "option", "0.01", options=LEARNING_RATES),
        Control("updates", "race: updates", "int", 300, 10, 2000, 10,
                help="Parameter updates per method"),
        Control("seed", "seed", "int", 0, 0, 99, help="Weights and data"),
    )
    presets = {
        "defaults": dict(T=20, lag=6, hidden=8, radius=1.0, k2=4, k_min=2, p=0.3, samples=20),
        "window reaches the lag": dict(T=20, lag=6, k2=8, k_min=2, p=0.3),
        "long lag": dict(T=30, lag=12, hidden=8, radius=1.0, k2=4, k_min=2, p=0.15,
                         samples=40),
    }

    run_names = METHOD_LABELS
    figure_names = ("bias", "cost", "race")
    quantities = {"cost_exponent": cost_exponent}
    live_figures = ("race",)
    start_label = "Race"
    start_tooltip = "Train the four methods from the same start"
    actions = {"start": "start the race", "stop": "stop the race", "follow": "follow the race",
               "redraw": "redraw the race", "finish": "finish the race"}
    finished_word = "raced"
    join_seconds = 30.0

    # -- figures ---------------------------------------------------------------------
    def limits(self, values):
        T = values["T"]
        return {"k2": Limits(high=T), "k_min": Limits(high=T), "lag": Limits(high=T - 1)}

    # -- one computation per change ---------------------------------------------------
    def compute(self, values):
        T, H, seed, k2 = values["T"], values["hidden"], values["seed"], values["k2"]
        batch = echo_batch(T, values["lag"], BATCH, seed)
        model = ElmanRNN(1, H, 1, "tanh", seed, radius=values["radius"])
        args = (model, batch.inputs, batch.targets)
        common = dict(mask=batch.mask, n_seeds=values["samples"], k_min=values["k_min"],
                      p=values["p"], seed=seed, params=RECURRENT)
        truncations = compare_estimators(*args, k1=k2, k2_values=(k2,),
                                         methods=("tbptt", "randomized"), **common)
        # UORO's and RTRL's rows do not depend on k2: the weights stay fixed, so the
        # loss-weighted mean of their updates' gradients is the mean of every loss's gradient
        # however the updates split the steps (their cost is counted per step). Computed once
        # per network, data and samples, with one update at the end.
        online = self.cached(("online rows", T, values["lag"], H, values["radius"], seed,
                              values["samples"]),
                             lambda: compare_estimators(*args, methods=("uoro", "rtrl"),
                                                        **common))
        comparison = _joined(truncations, online)
        curve = truncation_bias(*args, np.arange(1, T + 1), k1=k2, mask=batch.mask,
                                combine="mean", params=RECURRENT)
        sizes = tuple(sorted(set(COST_HIDDEN) | {H}))
        # RTRL's and UORO's cost depend on H only: counted once; the truncations' on k2 too.
        online = self.cached(("online cost", sizes),
                             lambda: cost_against_hidden(sizes, T=COST_T, methods=("rtrl", "uoro")))
        k2_cost, k_min_cost = min(k2, COST_T), min(values["k_min"], COST_T)
        truncated = self.cached(("truncated cost", sizes, k2_cost, k_min_cost, values["p"]),
                                lambda: cost_against_hidden(sizes, T=COST_T, k2=k2_cost,
                                                            k_min=k_min_cost, p=values["p"],
                                                            methods=("tbptt", "randomized")),
                                keep=COST_T)
        cost = HiddenCost(online.hidden, online.methods + truncated.methods,
                          {**online.flops_per_step, **truncated.flops_per_step},
                          {**online.peak_stored_floats, **truncated.peak_stored_floats},
                          {**online.slopes, **truncated.slopes})
        race = dict(optimizer="adam", lr=float(values["lr"]), clip=1.0,
                    n_updates=values["updates"], seed=seed)
        configs = (dict(k1=k2, k2=k2, **race),
                   dict(schedule=randomized(T, k2, k_min=values["k_min"], p=values["p"],
                                            seed=seed), **race),
                   dict(k1=k2, method="uoro", **race),
                   dict(k1=k2, method="rtrl", **race))
        return BeyondSetup(batch, model, comparison, curve, cost, configs, dict(values))

    def render(self, setup, values):
        c = setup.comparison
        cost, H = setup.cost, values["hidden"]
        at = int(np.flatnonzero(cost.hidden == H)[0])
        ys = [cost.flops_per_step[m] for m in cost.methods]
        order = (2, 3, 1, 0)            # cost.methods: rtrl, uoro, tbptt, randomized
        ys = [ys[j] for j in order]
        span = (float(cost.hidden.min()) / 1.3, float(cost.hidden.max()) * 1.3)
        return {
            "bias": figures.bias_variance(c.cosine_sd, c.cosine_mean,
                                          [None, c.mean_cosine[1], c.mean_cosine[2], None],
                                          METHOD_LABELS, curve_k2=setup.curve.k2,
                                          curve_cosine=setup.curve.cosine),
            "cost": figures.lines(cost.hidden, ys, METHOD_LABELS,
                                  marks=[([H], [y[at]]) for y in ys], xscale="log",
                                  xticks=COST_HIDDEN, xlim=span,
                                  note=f"slopes: RTRL {cost.slopes['rtrl']:.1f}, "
                                       f"UORO {cost.slopes['uoro']:.1f}",
                                  title="Cost per step against H", xlabel="H (hidden units)",
                                  ylabel="multiply-adds per step", legend="upper left"),
            **self.draw_run(None, setup),
        }

    def draw_run(self, run, setup):
        """The race's loss curves of ``run`` (None: empty, waiting for Race).

        The x-range is the length of the race drawn (or of the one the current
        setup would run), never the controls' current value: a background
        race is shown from the kernel while controls may be changing.
        """
        n = run.n_updates if run is not None else setup.values["updates"]
        rows = [run.rows(i) if run is not None else None for i in range(len(METHOD_LABELS))]
        x = [np.arange(len(r["loss"])) if r is not None else np.zeros(0) for r in rows]
        return {"race": figures.lines(x, [r["loss"] if r is not None else None for r in rows],
                                      METHOD_LABELS, baseline=0.5,
                                      baseline_label="baseline (ignores the inputs)",
                                      xlim=(0, n), ymax=1e4,
                                      note="press Race to start" if run is None else "",
                                      title="Training race (echo)", xlabel="update",
                                      ylabel="loss of the update", legend="upper right",
                                      room=True)}

    # -- the race --------------------------------------------------------------------------
    def new_run(self, setup, values):
        """Train the four methods from ``setup`` (the page starts them).

        Refuses when the settings shown are not those of the setup: the last
        change of the controls failed, and the race would train earlier ones.
        """
        if setup.values != values:
            raise RuntimeError("The settings shown could not be computed (see the message "
                               "above), so the race would train earlier ones; change a "
                               "control first.")
        return TrainingRun(setup, setup.values["updates"], train)

    def progress_text(self, run):
        return "racing: " + ", ".join(f"{name} {d}" for name, d in zip(METHOD_LABELS, run.done))

    def count_text(self, run):
        return ", ".join(f"{name} {d}" for name, d in zip(METHOD_LABELS, run.done)) + " updates"

    # -- text -------------------------------------------------------------------------------
    def describe(self, setup, values):
        c, T = setup.comparison, setup.task.T
        rows = c.rows()
        lag, k2 = values["lag"], values["k2"]
        lines = [f"<i>echo: random inputs; from step {lag} on the target is the input {lag} "
                 f"steps earlier (baseline loss 0.5: always predict 0).</i>",
                 f"Every method updates every k2 = {k2} steps. TBPTT's windows of {k2} states "
                 + ("never reach the input a target needs." if k2 <= lag
                    else "reach the input for the targets late in each window."),
                 f"Randomized truncation: mean length "
                 f"{expected_length(values['k_min'], values['p']):.1f}, weights up to "
                 f"{(1 - values['p']) ** -max(T - values['k_min'], 0):.3g}"
                 if values["p"] < 1 else "Randomized truncation with p = 1 is TBPTT(k_min)."]
        for label, r in zip(METHOD_LABELS, rows):
            lines.append(f"{label}: cosine {r['cosine_mean']:.3f} ± {r['cosine_sd']:.3f}, "
                         f"norm ratio {r['norm_ratio_mean']:.2f}, "
                         f"{r['flops']:,.0f} multiply-adds, "
                         f"{r['peak_stored_floats']:,} floats stored")
        return readout_html([html.escape(x) if not x.startswith("<i>") else x for x in lines])
