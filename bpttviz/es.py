"""A gradient-free baseline: a natural evolution strategy with antithetic sampling.

Salimans, Ho, Chen, Sidor & Sutskever (2017), "Evolution Strategies as a
Scalable Alternative to Reinforcement Learning": perturb all parameters
``theta`` with Gaussian noise, ``theta +- sigma eps`` (antithetic pairs,
Geweke 1988), score each perturbed network by its loss on the batch, and
estimate the gradient of the Gaussian-smoothed loss

    g = 1 / (2 n sigma) * sum_j (F(theta + sigma eps_j) - F(theta - sigma eps_j)) eps_j,

with ``F`` the loss (``shaping="none"``) or its centred rank in [-0.5, 0.5]
(``shaping="ranks"``, the fitness shaping of Salimans et al. and Wierstra et
al. 2014, which makes the step insensitive to the loss's scale and to
outliers). ``g`` is handed to the same optimizers as BPTT (Adam by default, as
in Salimans et al.).

Compute is counted like BPTT's (:mod:`bpttviz.training`): one cell step over the
batch is one forward step. A generation evaluates ``population`` perturbed
networks and the unperturbed one (whose loss is recorded) on a batch of T
steps: ``(population + 1) * T`` forward steps, no backward steps.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_instance, check_int, check_option, check_real, check_rng
from .engine import make_problem, problem_loss
from .models import max_singular_value
from .tasks import Batch
from .trace import global_norm
from .training import (History, ProgressBar, check_data, check_run_options, make_optimizer,
                       recurrent_matrix)

__all__ = ["train_es", "es_gradient", "batch_loss", "ES_COLUMNS", "SHAPINGS"]

SHAPINGS = ("ranks", "none")

ES_COLUMNS = (
    "loss",             # loss of the unperturbed network on the generation's batch, before the step
    "grad_norm",        # norm of the gradient estimate
    "sigma_max",        # largest singular value of the recurrent weights, before the step
    "nonfinite",        # the unperturbed loss or the estimate was not finite (not applied)
    "sequence",         # generation index (one batch per generation)
    "forward_steps",    # (population + 1) * T
    "backward_steps",   # always 0
)


def _problem(model, batch, func):
    """``model`` and ``batch`` checked once, for many forward passes."""
    check_instance(batch, "batch", func, Batch, "a bpttviz.tasks.Batch")
    return make_problem(model, batch.inputs, batch.targets, None, batch.loss, batch.mask, func,
                        copy=False)


def _finite_or_inf(value):
    return value if np.isfinite(value) else float("inf")


def batch_loss(model, batch) -> float:
    """Loss of ``model`` on a Batch; +inf if not finite.

    The mean of the per-step losses over the steps that carry a target, as
    ``trace.loss`` of :func:`bpttviz.bptt`.
    """
    return _finite_or_inf(problem_loss(_problem(model, batch, "batch_loss")))


def _check_perturbations(population, sigma, func):
    """``population`` (an even int >= 2: antithetic pairs) and ``sigma`` (> 0), checked."""
    population = check_int(population, "population", func, low=2)
    if population % 2:
        raise ValueError(f"The 'population' parameter of {func} must be even (antithetic "
                         f"pairs). Got {population} instead.")
    return population, check_real(sigma, "sigma", func, low=0, closed="right")


def _centred_ranks(values):
    """Ranks of ``values`` scaled to [-0.5, 0.5] (ties broken by order)."""
    ranks = np.empty(values.size)
    ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
    return ranks / max(values.size - 1, 1) - 0.5


def es_gradient(model, batch, *, population=50, sigma=0.02, rng=None, shaping="ranks"):
    """Estimate the loss gradient of ``model`` on ``batch`` from perturbed forward passes.

    Parameters
    ----------
    model : any bpttviz RNN
    batch : Batch
    population : even int >= 2
        Perturbed networks (``population / 2`` antithetic pairs).
    sigma : float > 0
        Standard deviation of the perturbations.
    rng : numpy.random.Generator or int, optional
    shaping : {"ranks", "none"}
        ``"none"``: an unbiased estimate of the gradient of the Gaussian-smoothed
        loss ``E[L(theta + sigma eps)]`` (to O(sigma^2), the gradient of L).
        ``"ranks"``: centred ranks instead of losses (a direction, not to scale).

    Returns
    -------
    grads : dict of ndarray
        Keyed like ``model.params``.
    losses : ndarray (population,)
        Losses of the perturbed networks (+inf where not finite).
    """
    func = "es_gradient"
    population, sigma = _check_perturbations(population, sigma, func)
    shaping = check_option(shaping, "shaping", func, SHAPINGS)
    rng = check_rng(rng, func, allow_none=True)
    pb = _problem(model, batch, func)
    theta = pb.params                       # checked copies, in the model's dtype
    names = list(theta)
    pairs = population // 2
    eps = [{k: rng.standard_normal(v.shape).astype(v.dtype) for k, v in theta.items()}
           for _ in range(pairs)]
    losses = np.empty(population)
    for j, e in enumerate(eps):
        for s, sign in enumerate((1.0, -1.0)):
            params = {k: theta[k] + sign * sigma * e[k] for k in names}
            losses[2 * j + s] = _finite_or_inf(problem_loss(pb, params))
    if shaping == "ranks":
        score = _centred_ranks(losses)
    else:
        score = losses
    with np.errstate(all="ignore"):
        diff = score[0::2] - score[1::2]                                  # (pairs,)
        grads = {k: (sum(d * e[k] for d, e in zip(diff, eps)) / (2 * pairs * sigma)
                     ).astype(theta[k].dtype) for k in names}
    return grads, losses


def train_es(model, task, *, population=50, sigma=0.02, optimizer="adam", lr=None,
             shaping="ranks", n_generations=100, batch_size=None, seq_len=None, seed=0,
             callback=None, progress=None, divergence_factor=1e3,
             stop_on_divergence=False) -> History:
    """Train ``model`` in place with the antithetic evolution strategy; return its History.

    One generation draws a batch, evaluates the unperturbed network (its
    loss is recorded) and ``population`` perturbed ones on it, and steps the
    optimizer with the estimate of :func:`es_gradient`.

    Parameters
    ----------
    model : any bpttviz RNN
    task : Task or Batch
    population : even int >= 2
    sigma : float > 0
    optimizer : {"sgd", "momentum", "adam"} or Optimizer
    lr : float > 0, optional
        Learning rate (None: the optimizer's default).
    shaping : {"ranks", "none"}
    n_generations : int >= 1
    batch_size, seq_len : int, optional
        As in :func:`bpttviz.train`.
    seed : int >= 0
        Seeds the data and the perturbations (one generator, data drawn first
        each generation).
    callback : callable, optional
        ``callback(history, generation) -> bool | None``; False stops the run.
    progress : None, bool or int
        As in :func:`bpttviz.train`.
    divergence_factor : float > 1 or None
    stop_on_divergence : bool
        As in :func:`bpttviz.train`: a loss past ``divergence_factor`` times the
        first generation's is reported (``history.diverged_at``), and stops
        the run with ``stop_on_divergence``.

    Returns
    -------
    History
        Columns ``ES_COLUMNS``; compute in ``forward_steps`` (``backward_steps`` is 0).
    """
    func = "train_es"
    population, sigma = _check_perturbations(population, sigma, func)
    opt = make_optimizer(optimizer, lr, func)
    shaping = check_option(shaping, "shaping", func, SHAPINGS)
    n_generations, seed, divergence_factor, stop_on_divergence, every = check_run_options(
        n_generations, "n_generations", seed, callback, divergence_factor, stop_on_divergence,
        progress, func)
    draw, B, T = check_data(model, task, batch_size, seq_len, func)

    history = History(ES_COLUMNS, {
        "model": repr(model), "task": repr(task), "population": population, "sigma": sigma,
        "optimizer": repr(opt), "shaping": shaping, "n_generations": n_generations,
        "batch_size": B, "seq_len": T, "seed": seed, "divergence_factor": divergence_factor,
        "stop_on_divergence": stop_on_divergence}, divergence_factor=divergence_factor)
    bar = ProgressBar(n_generations, every, label="es")
    rng = np.random.default_rng(seed)
    for g in range(n_generations):
        if history.stop_requested:
            history.mark_stopped("stop requested")
            break
        batch = draw(rng)
        loss = batch_loss(model, batch)
        grads, _ = es_gradient(model, batch, population=population, sigma=sigma, rng=rng,
                               shaping=shaping)
        norm = global_norm(grads)
        with np.errstate(all="ignore"):
            new = opt.step(model.params, grads)
        ok = np.isfinite(loss) and np.isfinite(norm) and all(np.all(np.isfinite(v))
                                                              for v in new.values())
        history.append(loss=loss, grad_norm=norm,
                       sigma_max=max_singular_value(recurrent_matrix(model.params)),
                       nonfinite=not ok, sequence=g, forward_steps=(population + 1) * T,
                       backward_steps=0)
        history.last_grads = grads
        if not ok:
            history.mark_stopped(f"non-finite loss or step at generation {g}; it was not applied")
            break
        model.params.update(new)
        bar.update(history)
        if stop_on_divergence and history.diverged_at == g:
            history.mark_stopped(f"{history.divergence}; the run was told to stop on divergence")
            break
        if callback is not None and callback(history, g) is False:
            history.mark_stopped(f"the callback asked to stop after generation {g}")
            break
    bar.close(history)
    return history
