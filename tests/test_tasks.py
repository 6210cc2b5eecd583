"""Tasks: seeded, with the documented shapes, layouts and statistics."""

import numpy as np
import pytest

import bpttviz
from bpttviz.losses import cross_entropy
from bpttviz.tasks import (TASKS, AddingProblem, Batch, CharLM, CopyMemory, NoisySineWave,
                           SequenceClassification, SineWave, TemporalOrder, Vocabulary, load_text,
                           make_task)


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_has_the_documented_shapes(name):
    task = make_task(name)
    batch = task.sample(5, np.random.default_rng(0))
    T = task.seq_len
    assert isinstance(batch, Batch)
    assert batch.inputs.shape == (T, 5, task.n_in)
    assert batch.mask.shape == (T, 5)
    assert batch.loss == task.loss
    if task.loss == "mse":
        assert batch.targets.shape == (T, 5, task.n_out)
    else:
        assert batch.targets.shape == (T, 5)
        assert batch.targets.min() >= 0 and batch.targets.max() < task.n_out
    assert set(np.unique(batch.mask)) <= {0.0, 1.0} and batch.mask.any()
    # The batch is ready for the engine as it is.
    model = bpttviz.ElmanRNN(task.n_in, 3, task.n_out, seed=0)
    trace = bpttviz.bptt(model, batch.inputs, batch.targets, mask=batch.mask, loss=batch.loss)
    assert np.isfinite(trace.loss)


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_is_seeded(name):
    task = make_task(name)
    a, b = task.sample(4, 7), task.sample(4, np.random.default_rng(7))
    c = task.sample(4, 8)
    for field in ("inputs", "targets", "mask"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not (np.array_equal(a.inputs, c.inputs) and np.array_equal(a.targets, c.targets))


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_documents_its_source_and_baseline(name):
    task = make_task(name)
    assert task.source and TASKS[name].__doc__ and "Source" in TASKS[name].__doc__
    assert task.baseline > 0


def test_sine_targets_are_the_next_input():
    batch = SineWave(period=12.0, seq_len=30).sample(6, 0)
    np.testing.assert_array_equal(batch.targets[:-1], batch.inputs[1:])
    assert np.abs(batch.inputs).max() <= 1.0
    # Noise-free: every sequence is a shifted copy of sin(2 pi t / 12).
    t = np.arange(31)
    x = np.concatenate([batch.inputs[:, 0, 0], batch.targets[-1:, 0, 0]])
    phase = np.arcsin(x[0])
    candidates = [np.sin(2 * np.pi * t / 12 + p) for p in (phase, np.pi - phase)]
    assert min(np.abs(c - x).max() for c in candidates) < 1e-12


def test_noisy_sine_has_the_stated_noise_and_baseline():
    task = NoisySineWave(noise=0.3, period=20.0, seq_len=200)
    batch = task.sample(400, 1)
    clean = SineWave(period=20.0, seq_len=200)
    # The noise is the difference from the best sine through each sequence; here,
    # the second difference of a sine is -(2 sin(pi/period))^2 times the sine, so
    # x_{t+1} + x_{t-1} - 2 cos(2 pi/period) x_t is pure noise with variance
    # (2 + 4 cos^2) noise^2.
    x = batch.inputs[:, :, 0]
    c = np.cos(2 * np.pi / 20.0)
    resid = x[2:] + x[:-2] - 2 * c * x[1:-1]
    assert np.isclose(resid.var(), (2 + 4 * c * c) * 0.09, rtol=0.05)
    assert np.isclose(0.5 * np.mean(batch.targets ** 2), task.baseline, rtol=0.05)
    assert task.baseline > clean.baseline


def test_adding_problem_markers_lie_at_least_lag_steps_before_the_end():
    lag, T = 15, 25
    batch = AddingProblem(lag=lag, seq_len=T).sample(2000, 3)
    values, markers = batch.inputs[..., 0], batch.inputs[..., 1]
    assert np.all(markers.sum(axis=0) == 2)
    where = np.argwhere(markers.T == 1)[:, 1]
    assert where.max() == T - 1 - lag and where.min() == 0   # the whole allowed range is used
    assert np.all(markers[T - lag:] == 0)
    # The target is the sum of the two marked values, given at the last step only.
    np.testing.assert_allclose(batch.targets[-1, :, 0], (values * markers).sum(axis=0))
    assert np.all(batch.mask[:-1] == 0) and np.all(batch.mask[-1] == 1)
    assert np.all(batch.targets[:-1] == 0)
    assert np.all((values >= 0) & (values < 1))


def test_adding_problem_baseline_is_the_loss_of_predicting_the_mean():
    task = AddingProblem(lag=5)
    batch = task.sample(20000, 0)
    mse_of_mean = 0.5 * np.mean((batch.targets[-1, :, 0] - 1.0) ** 2)
    assert task.baseline == pytest.approx(1 / 12)
    assert mse_of_mean == pytest.approx(task.baseline, rel=0.03)


def test_adding_problem_default_length_and_lag_zero():
    assert AddingProblem(lag=40).seq_len == 50
    batch = AddingProblem(lag=0, seq_len=2).sample(3, 0)
    assert np.all(batch.inputs[..., 1] == 1)                    # T = 2: both steps marked


def test_copy_memory_recalls_each_symbol_lag_steps_later():
    lag, n, K, T = 12, 4, 5, 20
    task = CopyMemory(lag=lag, n_symbols=n, n_classes=K, seq_len=T)
    batch = task.sample(50, 2)
    tokens = batch.inputs.argmax(axis=-1)                       # (T, B)
    assert np.all(batch.inputs.sum(axis=-1) == 1)               # one-hot
    shown = tokens[T - lag - n:T - lag]
    assert shown.min() >= 1 and shown.max() <= K
    np.testing.assert_array_equal(batch.targets[T - n:], shown)
    assert np.all(tokens[T - n - 1] == K + 1)                   # the delimiter
    others = np.ones(T, bool)
    others[T - lag - n:T - lag] = others[T - n - 1] = False
    assert np.all(tokens[others] == 0)
    assert np.all(batch.targets[:T - n] == 0)
    assert np.all(batch.mask == 1)
    assert task.n_in == K + 2 and task.n_out == K + 1


def test_copy_memory_baseline_is_blanks_then_uniform_guesses():
    task = CopyMemory(lag=11, n_symbols=3, n_classes=6)
    batch = task.sample(8, 0)
    T, n = task.seq_len, 3
    logits = np.zeros(batch.targets.shape + (task.n_out,))
    logits[:T - n, :, 0] = 60.0                                 # certain of a blank
    logits[T - n:, :, 0] = -60.0                                # uniform over the symbols
    losses, _ = cross_entropy(logits, batch.targets, batch.mask)
    assert losses.mean() == pytest.approx(task.baseline, rel=1e-9)
    assert task.baseline == pytest.approx(3 * np.log(6) / 14)


def test_temporal_order_class_is_the_order_of_x_and_y():
    T = 100
    batch = TemporalOrder(seq_len=T).sample(500, 4)
    tokens = batch.inputs.argmax(axis=-1)
    assert np.all(tokens[0] == 6) and np.all(tokens[-1] == 7)  # E ... B
    (a1, b1), (a2, b2) = TemporalOrder.positions(T)
    assert (a1, b1, a2, b2) == (10, 20, 50, 60)
    for b in range(500):
        relevant = np.flatnonzero(tokens[:, b] >= 4)[1:-1]      # X or Y, between E and B
        assert len(relevant) == 2
        t1, t2 = relevant
        assert a1 <= t1 <= b1 and a2 <= t2 <= b2
        is_y = tokens[[t1, t2], b] == 5
        assert batch.targets[-1, b] == 2 * is_y[0] + is_y[1]
    assert np.all(batch.mask[:-1] == 0) and np.all(batch.mask[-1] == 1)
    assert set(np.unique(batch.targets[-1])) == {0, 1, 2, 3}


def test_sequence_classification_key_sits_lag_steps_before_the_end():
    lag, key, T = 6, 2, 12
    task = SequenceClassification(lag=lag, n_classes=3, key_len=key, noise=0.0, seq_len=T)
    batch = task.sample(30, 5)
    x = batch.inputs[..., 0]
    levels = np.array([-1.0, 0.0, 1.0])[batch.targets[-1]]
    np.testing.assert_allclose(x[T - lag - key:T - lag], np.broadcast_to(levels, (key, 30)))
    outside = np.ones(T, bool)
    outside[T - lag - key:T - lag] = False
    assert np.all(x[outside] == 0)
    assert np.all(batch.mask[:-1] == 0) and task.baseline == pytest.approx(np.log(3))


def test_shipped_text_and_vocabulary():
    text = load_text()
    assert 10_000 < len(text) < 50_000 and text.startswith("First Citizen:")
    vocab = Vocabulary.from_text(text)
    assert vocab.chars == "".join(sorted(set(text))) and len(vocab) == vocab.size
    assert vocab.decode(vocab.encode("Rome")) == "Rome"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("Rome\u00e9")


def test_char_lm_windows_come_from_the_text():
    task = CharLM(seq_len=40)
    batch = task.sample(6, 9)
    ids = batch.inputs.argmax(axis=-1)
    np.testing.assert_array_equal(batch.targets[:-1], ids[1:])
    for b in range(6):
        window = task.vocab.decode(ids[:, b]) + task.vocab.decode(batch.targets[-1:, b])
        assert window in task.text
    freq = np.bincount(task.ids, minlength=task.vocab.size) / len(task.ids)
    assert task.baseline == pytest.approx(-(freq[freq > 0] * np.log(freq[freq > 0])).sum())


def test_char_lm_on_a_custom_text():
    task = CharLM(text="abcabcabc", seq_len=8)
    assert task.n_in == task.n_out == 3
    batch = task.sample(2, 0)
    assert batch.inputs.shape == (8, 2, 3)


@pytest.mark.parametrize("build, match", [
    (lambda: AddingProblem(lag=-1), r"'lag' parameter of AddingProblem .* \[0, inf\)\. Got -1"),
    (lambda: AddingProblem(lag=10, seq_len=11), r"'seq_len' .* \[12, inf\)"),
    (lambda: CopyMemory(lag=-3), r"'lag' parameter of CopyMemory"),
    (lambda: CopyMemory(lag=10, n_symbols=10), r"'lag' .* \[11, inf\)"),
    (lambda: SequenceClassification(lag=-2), r"'lag' parameter of SequenceClassification"),
    (lambda: SequenceClassification(n_classes=1), r"'n_classes'"),
    (lambda: TemporalOrder(seq_len=9), r"'seq_len' .* \[10, inf\)"),
    (lambda: SineWave(noise=-0.1), r"'noise'"),
    (lambda: CharLM(text="abcdef", seq_len=6), r"too short for seq_len=6.*at most 5"),
    (lambda: CharLM(text="a"), r"at least 2 characters"),
    (lambda: CharLM(text=b"bytes"), r"must be a str"),
    (lambda: make_task("xor"), r"one of \{'sine'"),
])
def test_bad_task_arguments_are_rejected(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()


@pytest.mark.parametrize("call, match", [
    (lambda t: t.sample(0, 0), r"'batch_size'"),
    (lambda t: t.sample(2, -1), r"'rng'"),
    (lambda t: t.sample(2, 0, seq_len=5), r"'seq_len' parameter of AddingProblem.sample"),
    (lambda t: t.sample(2, 0, seq_len=2.5), r"'seq_len'"),
])
def test_bad_sample_arguments_are_rejected(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(AddingProblem(lag=10))


def test_text_too_short_for_the_requested_length():
    task = CharLM(text="abcdefghij", seq_len=5)
    with pytest.raises(ValueError, match="too short for seq_len=10"):
        task.sample(2, 0, seq_len=10)
