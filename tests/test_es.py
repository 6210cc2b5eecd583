"""The evolution-strategy baseline: its gradient estimate, its training and its compute count."""

import warnings

import numpy as np
import pytest

import bpttviz
from bpttviz.es import batch_loss, es_gradient, train_es
from bpttviz.tasks import AddingProblem, Batch, SineWave
from bpttviz.training import BACKWARD_COST


def flat(grads, names):
    return np.concatenate([np.ravel(grads[k]) for k in names])


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_batch_loss_is_the_engines_loss():
    task = AddingProblem(lag=3, seq_len=8)
    batch, model = task.sample(5, 0), bpttviz.ElmanRNN(2, 4, 1, seed=2)
    trace = bpttviz.bptt(model, batch.inputs, batch.targets, mask=batch.mask)
    assert batch_loss(model, batch) == pytest.approx(trace.loss, rel=1e-12)


def test_unshaped_estimate_matches_the_bptt_gradient():
    # A small sigma and many antithetic pairs: the estimate of the smoothed
    # loss's gradient approaches the true one (full BPTT).
    model = bpttviz.ElmanRNN(1, 3, 1, seed=0)
    batch = SineWave(seq_len=20).sample(8, 0)
    true = bpttviz.bptt(model, batch.inputs, batch.targets, mask=batch.mask).grads
    est, losses = es_gradient(model, batch, population=2000, sigma=1e-3, rng=1, shaping="none")
    names = list(model.params)
    a, b = flat(est, names), flat(true, names)
    assert cosine(a, b) > 0.99
    assert np.linalg.norm(a) / np.linalg.norm(b) == pytest.approx(1.0, abs=0.05)
    assert losses.shape == (2000,)


def test_rank_shaped_estimate_points_downhill():
    model = bpttviz.ElmanRNN(1, 3, 1, seed=0)
    batch = SineWave(seq_len=20).sample(8, 0)
    true = bpttviz.bptt(model, batch.inputs, batch.targets, mask=batch.mask).grads
    est, _ = es_gradient(model, batch, population=400, sigma=1e-2, rng=2)
    names = list(model.params)
    assert cosine(flat(est, names), flat(true, names)) > 0.8


def test_estimate_is_the_antithetic_formula():
    # g = sum_j (L(theta + sigma eps_j) - L(theta - sigma eps_j)) eps_j / (2 n sigma),
    # with the eps_j drawn pair by pair, parameter by parameter, from the rng.
    model = bpttviz.ElmanRNN(1, 2, 1, seed=0)
    batch = SineWave(seq_len=5).sample(3, 0)
    sigma, pairs = 0.1, 3
    est, losses = es_gradient(model, batch, population=2 * pairs, sigma=sigma, rng=7,
                              shaping="none")
    rng = np.random.default_rng(7)
    eps = [{k: rng.standard_normal(v.shape) for k, v in model.params.items()} for _ in range(pairs)]
    want = {k: np.zeros_like(v) for k, v in model.params.items()}
    for j, e in enumerate(eps):
        plus, minus = model.copy(), model.copy()
        plus.params = {k: v + sigma * e[k] for k, v in model.params.items()}
        minus.params = {k: v - sigma * e[k] for k, v in model.params.items()}
        lp, lm = batch_loss(plus, batch), batch_loss(minus, batch)
        assert (losses[2 * j], losses[2 * j + 1]) == (lp, lm)
        for k in want:
            want[k] += (lp - lm) * e[k] / (2 * pairs * sigma)
    for k in want:
        np.testing.assert_allclose(est[k], want[k], rtol=1e-12, atol=1e-15)


def test_es_reduces_the_loss_of_next_value_sine():
    task = SineWave(seq_len=20)
    history = train_es(bpttviz.ElmanRNN(1, 8, 1, seed=0), task, population=20, sigma=0.05,
                       lr=0.03, n_generations=60, batch_size=8, progress=False)
    assert len(history) == 60 and not history.stopped
    assert history.loss[-10:].mean() < 0.3 * history.loss[:3].mean()


def test_es_compute_is_counted_in_forward_steps():
    T, pop, gens = 15, 8, 5
    history = train_es(bpttviz.ElmanRNN(1, 4, 1), SineWave(seq_len=T), population=pop,
                       n_generations=gens, progress=False)
    assert np.all(history.forward_steps == (pop + 1) * T)
    assert np.all(history.backward_steps == 0)
    np.testing.assert_allclose(history.forward_equivalents, (pop + 1) * T * np.arange(1, gens + 1))
    assert BACKWARD_COST == 2.0


def test_es_is_reproducible_from_its_seed():
    def run(seed):
        model = bpttviz.ElmanRNN(1, 4, 1, seed=3)
        h = train_es(model, SineWave(seq_len=10), population=6, n_generations=4, seed=seed,
                     progress=False)
        return h, model

    (h1, m1), (h2, m2), (h3, _) = run(1), run(1), run(2)
    for name in h1.columns:
        np.testing.assert_array_equal(h1[name], h2[name])
    for name in m1.params:
        np.testing.assert_array_equal(m1.params[name], m2.params[name])
    assert not np.array_equal(h1.loss, h3.loss)


def test_es_on_lstm_and_gru():
    for cls in (bpttviz.LSTM, bpttviz.GRU):
        model = cls(1, 3, 1, seed=0)
        history = train_es(model, SineWave(seq_len=8), population=4, n_generations=2,
                           progress=False)
        assert len(history) == 2 and np.all(history.sigma_max > 0)


def test_es_stops_cleanly_when_the_loss_overflows():
    model = bpttviz.ElmanRNN(1, 3, 1, activation="relu", radius=1e3, input_scale=1e3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train_es(model, SineWave(seq_len=200), population=4, n_generations=3,
                           shaping="none", progress=False)
    assert history.stopped and history.stopped_at == 0 and history.nonfinite[0]


def test_es_callback_stops():
    history = train_es(bpttviz.ElmanRNN(1, 3, 1), SineWave(seq_len=8), population=4,
                       n_generations=10, progress=False, callback=lambda h, g: g < 1)
    assert len(history) == 2 and history.stopped and "callback" in history.reason


@pytest.mark.parametrize("kwargs, match", [
    (dict(population=5), r"must be even"),
    (dict(population=0), r"'population' parameter of train_es"),
    (dict(sigma=0.0), r"'sigma' parameter of train_es .* \(0, inf\)"),
    (dict(shaping="fitness"), r"'shaping'"),
    (dict(n_generations=0), r"'n_generations'"),
    (dict(optimizer="lbfgs"), r"'optimizer' parameter of train_es"),
    (dict(lr=-1.0), r"'lr'"),
    (dict(lr=0), r"^The 'lr' parameter of train_es must be a real number in the range \(0, inf\)\. "
                 r"Got 0 instead\.$"),
    (dict(seed=-2), r"'seed'"),
    (dict(callback="x"), r"'callback'"),
])
def test_bad_es_arguments_fail_before_any_work(kwargs, match):
    model = bpttviz.ElmanRNN(1, 3, 1)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises((TypeError, ValueError), match=match):
        train_es(model, SineWave(seq_len=8), progress=False, **kwargs)
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


def test_es_keeps_the_model_dtype_and_checks_its_batch(recwarn):
    task = SineWave(seq_len=12)
    model = bpttviz.ElmanRNN(1, 4, 1, seed=0, dtype="float32")
    train_es(model, task, population=4, n_generations=3, batch_size=2, progress=False)
    assert all(v.dtype == np.float32 for v in model.params.values())
    with pytest.raises(TypeError, match=r"'batch' parameter of es_gradient must be a bpttviz.tasks.Batch. Got 'nope'"):
        es_gradient(model, "nope")
    batch = task.sample(2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="'mask' parameter of Batch must give at least one"):
        Batch(batch.inputs, batch.targets, np.zeros_like(batch.mask), batch.loss)
    assert np.isfinite(batch_loss(model, batch))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
