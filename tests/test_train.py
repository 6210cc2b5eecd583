"""The training loop: schedule applied online, optimizers, clipping, history, stops, errors."""

import dataclasses
import inspect
import io
import warnings

import numpy as np
import pytest

import bpttviz
from bpttviz import schedules
from bpttviz.tasks import AddingProblem, Batch, CharLM, SineWave
from bpttviz.training import (BACKWARD_COST, OPTIMIZERS, SGD, Adam, History, Momentum,
                           ProgressBar, TrainConfig, clip_gradients, make_optimizer, train)

from gradcheck import Frozen

MODELS = [bpttviz.ElmanRNN, bpttviz.LSTM, bpttviz.GRU]


def sine_model(seed=0, H=8, cls=bpttviz.ElmanRNN):
    return cls(1, H, 1, seed=seed)


def collect(store):
    """A callback that keeps a copy of every update's gradient."""
    def callback(history, u):
        store.append({k: g.copy() for k, g in history.last_grads.items()})
    return callback


# --- the update with fixed weights is the engine's --------------------------------

@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("k1, k2", [(5, 5), (4, 10), (10, 4), (7, None), (None, None), (1, 30)])
def test_with_frozen_weights_each_update_is_the_engines(cls, k1, k2):
    task, B = SineWave(seq_len=30), 3
    model = sine_model(1, 5, cls)
    grads = []
    history = train(model.copy(), task, k1=k1, k2=k2, optimizer=Frozen(), n_updates=40,
                    batch_size=B, progress=False, callback=collect(grads))
    batch = task.sample(B, np.random.default_rng(0))             # the first sequence of seed 0
    trace = bpttviz.bptt(model, batch.inputs, batch.targets, k1, k2, mask=batch.mask)
    n = len(trace.updates)
    for u, up in enumerate(trace.updates):
        for name, g in up.grads.items():
            np.testing.assert_allclose(grads[u][name], g, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(history.loss[:n], [up.loss for up in trace.updates], rtol=1e-12)
    np.testing.assert_allclose(history.grad_norm[:n], [up.grad_norm for up in trace.updates],
                               rtol=1e-10)
    assert np.all(history.sequence[:n] == 0) and np.all(history.sequence[n:2 * n] == 1)
    np.testing.assert_array_equal(history.step[:n], [up.step for up in trace.updates])


@pytest.mark.parametrize("schedule", [schedules.sliding_window(30, 7), schedules.per_loss(30, 6, 5),
                                      schedules.last_loss(30, 6, 11), schedules.keras(30, 8)])
def test_with_frozen_weights_any_schedule_is_the_engines(schedule):
    task, model, grads = SineWave(seq_len=30), sine_model(2, 4), []
    train(model.copy(), task, schedule=schedule, optimizer=Frozen(),
          n_updates=len(schedule.updates), batch_size=2, progress=False, callback=collect(grads))
    batch = task.sample(2, np.random.default_rng(0))
    trace = bpttviz.bptt(model, batch.inputs, batch.targets, mask=batch.mask, schedule=schedule)
    for got, up in zip(grads, trace.updates, strict=True):
        for name, g in up.grads.items():
            np.testing.assert_allclose(got[name], g, rtol=1e-10, atol=1e-14)


def test_without_k1_k2_or_a_schedule_train_runs_full_bptt_as_its_docstring_says():
    doc = " ".join(train.__doc__.split())
    assert ("The default, neither of them nor ``schedule``, is full BPTT, "
            "``schedules.full(T)``") in doc
    task, model = AddingProblem(lag=5, seq_len=20), bpttviz.ElmanRNN(2, 6, 1, seed=1)
    run = dict(n_updates=3, batch_size=4, progress=False)
    default = train(model.copy(), task, **run)
    full = train(model.copy(), task, schedule=schedules.full(20), **run)
    assert default.config["schedule"] == "Schedule(full(k1=20, k2=20), T=20, updates=1)"
    assert default.config["k1"] == default.config["k2"] == 20
    assert list(default.sequence) == [0, 1, 2]                # one update per sequence
    assert list(default.step) == [20] * 3 and list(default.window_start) == [0] * 3
    np.testing.assert_array_equal(default.loss, full.loss)
    np.testing.assert_array_equal(default.grad_norm, full.grad_norm)


def test_updates_without_a_target_are_not_applied():
    # Adding problem: only the last step has a target, so of tbptt(20, 6, 8)'s four
    # updates only the last one (at step 20, window [12, 20)) learns anything.
    task, model = AddingProblem(lag=5, seq_len=20), bpttviz.ElmanRNN(2, 6, 1, seed=1)
    grads = []
    history = train(model.copy(), task, k1=6, k2=8, optimizer=Frozen(), n_updates=3,
                    batch_size=3, progress=False, callback=collect(grads))
    assert list(history.step) == [20, 20, 20] and list(history.sequence) == [0, 1, 2]
    assert list(history.window_start) == [12, 12, 12]
    batch = task.sample(3, np.random.default_rng(0))
    last = bpttviz.bptt(model, batch.inputs, batch.targets, 6, 8, mask=batch.mask).updates[-1]
    for name, g in last.grads.items():
        np.testing.assert_allclose(grads[0][name], g, rtol=1e-10, atol=1e-15)
    assert history.loss[0] == pytest.approx(last.loss)


# --- what happens to the window when the weights change ---------------------------

def test_each_update_reruns_its_window_from_the_stored_context_with_current_weights():
    """k1 < k2: the window reaches into states streamed with older weights.

    Worked independently: stream the forward pass segment by segment with the
    weights of the moment, keep the state before each window, and at each update
    take full BPTT over the window from that state with the current weights,
    injecting only the update's own losses.
    """
    T, k1, k2, lr = 12, 3, 5, 0.3
    task, model = SineWave(period=7.0, seq_len=T), sine_model(3, 4)
    batch = task.sample(2, np.random.default_rng(0))
    grads = []
    trained = model.copy()
    train(trained, batch, k1=k1, k2=k2, optimizer="sgd", lr=lr, n_updates=T // k1,
          progress=False, callback=collect(grads))

    W = {k: v.copy() for k, v in model.params.items()}
    h = np.zeros((2, 4))
    stream = {}                                              # step -> state after it
    for u, t_u in enumerate(range(k1, T + 1, k1)):
        for t in range(t_u - k1, t_u):                       # the new segment, current weights
            h = np.tanh(batch.inputs[t] @ W["W_xh"].T + h @ W["W_hh"].T + W["b_h"])
            stream[t] = h
        a = max(t_u - k2, 0)
        context = stream[a - 1] if a > 0 else np.zeros((2, 4))
        mask = np.zeros((t_u - a, 2))
        mask[t_u - k1 - a:] = 1.0                            # only this update's losses
        current = model.copy()
        current.params = {k: v.copy() for k, v in W.items()}
        want = bpttviz.bptt(current, batch.inputs[a:t_u], batch.targets[a:t_u], h0=context,
                            mask=mask).updates[0].grads
        for name in W:
            np.testing.assert_allclose(grads[u][name], want[name], rtol=1e-10, atol=1e-14)
        W = {k: W[k] - lr * want[k] for k in W}
    for name in W:
        np.testing.assert_allclose(trained.params[name], W[name], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("k1, k2, rerun", [(5, 5, 0), (10, 4, 0), (4, 10, 6), (2, 20, 18)])
def test_compute_is_counted_per_update(k1, k2, rerun):
    T = 40
    history = train(sine_model(), SineWave(seq_len=T), k1=k1, k2=k2, lr=0.01, n_updates=T // k1,
                    batch_size=2, progress=False)
    steps = history.step
    segment_start, window_start = steps - k1, np.maximum(steps - max(k1, k2), 0)
    # A window that starts inside its segment continues the stream (each step runs
    # forward once); one that reaches back is re-run beside a streamed segment.
    reaches_back = window_start < segment_start
    np.testing.assert_array_equal(history.stream_steps,
                                  np.where(reaches_back, k1, window_start - segment_start))
    # The window's forward covers the states its losses reach back to (k2) and the
    # update's own loss steps (k1: with k1 > k2 the oldest reach only W_hy and b_y).
    np.testing.assert_array_equal(history.window_steps, np.minimum(max(k1, k2), steps))
    np.testing.assert_array_equal(history.backward_steps, np.minimum(k2, steps))
    np.testing.assert_array_equal(history.rerun_steps,
                                  np.maximum(segment_start - window_start, 0))
    assert history.rerun_steps.max() == rerun
    np.testing.assert_array_equal(history.forward_steps, history.stream_steps + history.window_steps)
    np.testing.assert_allclose(history.forward_equivalents,
                               np.cumsum(history.forward_steps + BACKWARD_COST * history.backward_steps))


# --- learning -----------------------------------------------------------------------

@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.2), ("momentum", 0.03), ("adam", 0.02)])
def test_training_reduces_the_loss_of_next_value_sine(optimizer, lr):
    task = SineWave(seq_len=20)
    history = train(sine_model(), task, k1=10, k2=10, optimizer=optimizer, lr=lr, n_updates=200,
                    batch_size=8, progress=False)
    assert len(history) == 200 and not history.stopped
    assert history.loss[:4].mean() > 0.3 * task.baseline
    assert history.loss[-20:].mean() < 0.05 * task.baseline


def test_optimizer_steps_by_hand():
    p, g = {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 0.25])}
    np.testing.assert_allclose(SGD(lr=0.1).step(p, g)["w"], [0.95, -2.025])
    mom = Momentum(lr=0.1, momentum=0.5)
    first = mom.step(p, g)["w"]                         # v = -0.1 g
    second = mom.step({"w": first}, g)["w"]             # v = 0.5 (-0.1 g) - 0.1 g
    np.testing.assert_allclose(second, first - 0.15 * g["w"])
    # Adam's first step moves every coordinate by lr (m_hat / sqrt(v_hat) = sign(g)).
    np.testing.assert_allclose(Adam(lr=0.01).step(p, g)["w"], p["w"] - 0.01 * np.sign(g["w"]),
                               rtol=1e-6)
    assert p["w"].tolist() == [1.0, -2.0]               # steps return new arrays
    assert set(OPTIMIZERS) == {"sgd", "momentum", "adam"}
    assert make_optimizer("adam").lr == Adam.default_lr


# --- clipping -------------------------------------------------------------------------

def test_clip_gradients_by_norm_and_by_value_by_hand():
    g = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    clipped, before, after, fired = clip_gradients(g, 1.0, "norm")
    assert (before, fired) == (5.0, True) and after == pytest.approx(1.0)
    np.testing.assert_allclose(clipped["a"], [0.6])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    clipped, before, after, fired = clip_gradients(g, 3.5, "value")
    assert fired and clipped["a"][0] == 3.0 and clipped["b"][0, 0] == 3.5
    assert after == pytest.approx(np.hypot(3.0, 3.5))
    same, before, after, fired = clip_gradients(g, 10.0, "norm")
    assert not fired and before == after == 5.0
    assert clip_gradients(g, None)[3] is False


@pytest.mark.parametrize("mode", ["norm", "value"])
def test_clipping_caps_the_gradient_and_is_recorded(mode):
    clip = 0.02
    seen = []
    history = train(sine_model(), SineWave(seq_len=20), k1=10, k2=10, optimizer="sgd", lr=0.1,
                    clip=clip, clip_mode=mode, n_updates=30, batch_size=4, progress=False,
                    callback=lambda h, u: seen.append((h.last_grads, h.last_clipped_grads)))
    assert history.clipped.dtype == bool
    for (raw, used), fired, before, after in zip(seen, history.clipped, history.grad_norm,
                                                 history.clipped_norm):
        largest = max(np.abs(g).max() for g in raw.values())
        if mode == "norm":
            assert fired == (before > clip)
            assert after <= clip * (1 + 1e-12)
            if fired:   # same direction
                for k in raw:
                    np.testing.assert_allclose(used[k], raw[k] * clip / before, rtol=1e-12)
        else:
            assert fired == (largest > clip)
            assert max(np.abs(g).max() for g in used.values()) <= clip
        if not fired:
            assert after == before
    assert history.clipped.any()


# --- explosions, stops, reproducibility -------------------------------------------

def test_an_exploding_run_stops_cleanly_and_keeps_its_history():
    model = bpttviz.ElmanRNN(1, 4, 1, activation="linear", radius=1.2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train(model, SineWave(seq_len=40), k1=10, k2=10, optimizer="sgd", lr=5.0,
                        n_updates=50, batch_size=4, progress=False)
    assert history.stopped and 0 < history.stopped_at == len(history) - 1 < 50
    assert "non-finite" in history.reason and f"update {history.stopped_at}" in history.reason
    assert history.nonfinite[-1] and not history.nonfinite[:-1].any()
    assert np.all(np.isfinite(history.loss[:-1])) and history.grad_norm[-2] > 1e10
    assert all(np.all(np.isfinite(p)) for p in model.params.values())   # the bad step was refused


def test_a_run_whose_forward_pass_overflows_stops_at_the_first_update():
    model = bpttviz.ElmanRNN(1, 4, 1, activation="relu", radius=1e3, input_scale=1e3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train(model, SineWave(seq_len=200), k1=100, k2=100, n_updates=5, batch_size=2,
                        progress=False)
    assert history.stopped and history.stopped_at == 0 and history.nonfinite[0]


def test_identical_seeds_give_identical_histories():
    def run(seed):
        model = sine_model(4)
        h = train(model, SineWave(seq_len=24), k1=4, k2=9, optimizer="adam", lr=0.01, clip=0.5,
                  n_updates=25, batch_size=3, seed=seed, progress=False)
        return h, model

    (h1, m1), (h2, m2), (h3, _) = run(5), run(5), run(6)
    for name in h1.columns:
        np.testing.assert_array_equal(h1[name], h2[name])
    for name in m1.params:
        np.testing.assert_array_equal(m1.params[name], m2.params[name])
    assert not np.array_equal(h1.loss, h3.loss)
    assert h1.config == h2.config and h1.config["seed"] == 5


def test_callback_returning_false_stops_the_run():
    calls = []

    def callback(history, u):
        calls.append(u)
        return u < 3

    history = train(sine_model(), SineWave(seq_len=20), k1=5, n_updates=50, progress=False,
                    callback=callback)
    assert calls == [0, 1, 2, 3] and len(history) == 4
    assert history.stopped and history.stopped_at == 3 and "callback" in history.reason


def test_request_stop_ends_the_run_before_the_next_update():
    history = train(sine_model(), SineWave(seq_len=20), k1=5, n_updates=50, progress=False,
                    callback=lambda h, u: h.request_stop() if u == 6 else None)
    assert len(history) == 7 and history.stopped and history.reason == "stop requested"


def test_sigma_max_is_the_largest_singular_value_before_each_step():
    model = sine_model()
    start = np.linalg.svd(model.params["W_hh"], compute_uv=False)[0]
    after_step = []
    history = train(model, SineWave(seq_len=20), k1=10, lr=0.05, n_updates=6, progress=False,
                    callback=lambda h, u: after_step.append(
                        np.linalg.svd(model.params["W_hh"], compute_uv=False)[0]))
    assert history.sigma_max[0] == pytest.approx(start)
    np.testing.assert_allclose(history.sigma_max[1:], after_step[:-1])
    assert len(set(history.sigma_max)) == 6


def test_progress_bar_writes_to_its_stream():
    stream = io.StringIO()
    bar = ProgressBar(total=4, every=2, stream=stream)
    history = History(("loss",))
    for loss in (1.0, 0.5, 0.25, 0.125):
        history.append(loss=loss)
        bar.update(history)
    bar.close(history)
    text = stream.getvalue()
    assert "2/4 loss 0.5" in text and "4/4 loss 0.125" in text and "1/4" not in text
    assert text.endswith("\n")


def test_progress_goes_to_stderr(capsys):
    train(sine_model(), SineWave(seq_len=10), k1=5, n_updates=4, progress=1)
    err = capsys.readouterr().err
    assert "train [" in err and "4/4" in err
    train(sine_model(), SineWave(seq_len=10), k1=5, n_updates=4, progress=False)
    assert capsys.readouterr().err == ""


def test_a_fixed_batch_is_used_for_every_sequence():
    batch = SineWave(seq_len=12).sample(3, 0)
    history = train(sine_model(), batch, optimizer=Frozen(), n_updates=3, progress=False)
    assert np.all(history.loss == history.loss[0]) and list(history.sequence) == [0, 1, 2]


# --- bad arguments ---------------------------------------------------------------------

BAD = [
    (dict(k2=0), ValueError, r"'k2' parameter of train must be an int in the range \[1, inf\) or None\. Got 0 instead"),
    (dict(k1=-1), ValueError, r"'k1' parameter of train"),
    (dict(optimizer="rmsprop"), ValueError, r"'optimizer' parameter of train must be one of"),
    (dict(lr=-0.1), ValueError, r"'lr' parameter of train"),
    (dict(lr=0), ValueError, r"^The 'lr' parameter of train must be a real number in the range \(0, inf\)\. Got 0 instead\.$"),
    (dict(optimizer="sgd", lr=0.0), ValueError, r"'lr' parameter of train .* \(0, inf\)\. Got 0\.0"),
    (dict(clip=0), ValueError, r"'clip' parameter of train must be a real number in the range \(0, inf\)"),
    (dict(clip=-1.0), ValueError, r"'clip'"),
    (dict(clip_mode="abs"), ValueError, r"'clip_mode'"),
    (dict(n_updates=0), ValueError, r"'n_updates'"),
    (dict(batch_size=0), ValueError, r"'batch_size'"),
    (dict(seed=-1), ValueError, r"'seed'"),
    (dict(callback=3), TypeError, r"'callback' parameter of train must be callable"),
    (dict(progress="yes"), TypeError, r"'progress'"),
    (dict(seq_len=0), ValueError, r"'seq_len'"),
    (dict(schedule=schedules.tbptt(10, 2, 2)), ValueError, r"built for seq_len=20"),
    (dict(schedule=schedules.tbptt(20, 2, 2), k1=2), ValueError, r"either k1/k2 or a schedule"),
    (dict(schedule="tbptt"), TypeError, r"'schedule' parameter of train"),
    (dict(optimizer=Adam(), lr=0.1), ValueError, r"either in the optimizer"),
]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_refuses_a_learning_rate_of_zero(name):
    cls = OPTIMIZERS[name]
    with pytest.raises(ValueError, match=rf"^The 'lr' parameter of {cls.__name__} must be a real "
                                         r"number in the range \(0, inf\)\. Got 0 instead\.$"):
        cls(lr=0)
    with pytest.raises(ValueError, match=r"'lr' parameter of make_optimizer .* Got 0\.0"):
        make_optimizer(name, lr=0.0)


@pytest.mark.parametrize("kwargs, exc, match", BAD)
def test_bad_arguments_fail_before_any_work(kwargs, exc, match):
    model = sine_model()
    before = {k: v.copy() for k, v in model.params.items()}
    calls = []
    kwargs = {"callback": lambda h, u: calls.append(u), **kwargs}
    with pytest.raises(exc, match=match):
        train(model, SineWave(seq_len=20), n_updates=kwargs.pop("n_updates", 5), progress=False,
              **kwargs)
    assert calls == []
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


@pytest.mark.parametrize("model, task, match", [
    (bpttviz.ElmanRNN(1, 4, 1), AddingProblem(lag=10), r"has 1 inputs but the task .* has 2"),
    (bpttviz.ElmanRNN(2, 4, 3), AddingProblem(lag=10), r"has 3 outputs"),
    ("model", SineWave(), r"'model' parameter of train must be a bpttviz model"),
    (bpttviz.ElmanRNN(1, 4, 1), "sine", r"'task' parameter of train must be a bpttviz Task"),
])
def test_model_and_task_must_fit(model, task, match):
    with pytest.raises((TypeError, ValueError), match=match):
        train(model, task, n_updates=1, progress=False)


def test_negative_lag_and_short_text_and_short_sequences_are_rejected():
    with pytest.raises(ValueError, match=r"'lag' parameter of AddingProblem"):
        AddingProblem(lag=-1)
    text_task = CharLM(text="to be or not to be", seq_len=5)
    model = bpttviz.ElmanRNN(text_task.n_in, 4, text_task.n_out)
    with pytest.raises(ValueError, match=r"too short for seq_len=40 in train"):
        train(model, text_task, seq_len=40, n_updates=1, progress=False)
    with pytest.raises(ValueError, match=r"'seq_len' parameter of train .* \[12, inf\)"):
        train(bpttviz.ElmanRNN(2, 4, 1), AddingProblem(lag=10), seq_len=8, progress=False)


def test_a_schedule_that_never_reaches_a_target_is_rejected():
    batch = AddingProblem(lag=5, seq_len=20).sample(2, 0)
    with pytest.raises(ValueError, match="'mask' parameter of Batch must give at least one"):
        Batch(batch.inputs, batch.targets, np.zeros((20, 2)), "mse")
    # The adding problem scores only its last step; this schedule's one update never injects it.
    first_half = schedules.Schedule("first_half", 20, (schedules.UpdatePlan(10, np.arange(10),
                                                                            np.zeros(10, int)),))
    with pytest.raises(ValueError, match="injects none"):
        train(bpttviz.ElmanRNN(2, 3, 1), AddingProblem(lag=5, seq_len=20), schedule=first_half,
              progress=False)


@pytest.mark.parametrize("dtype, size", [(np.float32, 3e19), (np.float64, 3e200)])
def test_norm_clipping_shortens_huge_finite_gradients_instead_of_erasing_them(dtype, size):
    # The sum of squares overflows long before the norm does.
    g = {"W_hh": np.array([[size, -4 / 3 * size]], dtype=dtype)}
    clipped, before, after, fired = clip_gradients(g, 1.0)
    assert fired and np.isfinite(before) and before == pytest.approx(5 / 3 * size, rel=1e-6)
    np.testing.assert_allclose(clipped["W_hh"], [[0.6, -0.8]], rtol=1e-6)
    assert after == pytest.approx(1.0, rel=1e-6)


# --- the options as one record ------------------------------------------------------------

# train's keyword defaults as documented before the record existed
DEFAULTS = dict(k1=None, k2=None, schedule=None, optimizer="adam", lr=None, clip=None,
                clip_mode="norm", n_updates=100, batch_size=None, seq_len=None, seed=0,
                divergence_factor=1e3, stop_on_divergence=False, method="bptt")


def assert_same_run(a, b, model_a, model_b):
    """Two histories and trained models equal bit for bit."""
    assert a.config == b.config and list(a.config) == list(b.config)
    assert (a.stopped, a.reason, a.diverged_at) == (b.stopped, b.reason, b.diverged_at)
    for name in a.columns:
        assert a[name].tobytes() == b[name].tobytes(), name
    for name in model_a.params:
        assert model_a.params[name].tobytes() == model_b.params[name].tobytes(), name


def test_the_records_defaults_are_trains_defaults():
    assert dataclasses.asdict(TrainConfig()) == DEFAULTS
    assert bpttviz.TrainConfig is TrainConfig
    shown = inspect.signature(train).parameters            # what help() and Jupyter show
    assert {name: shown[name].default for name in DEFAULTS} == DEFAULTS
    assert shown["config"].default is None
    task = SineWave(seq_len=8)
    a, b = sine_model(7, 3), sine_model(7, 3)
    assert_same_run(train(a, task, progress=False), train(b, task, TrainConfig(), progress=False),
                    a, b)


@pytest.mark.parametrize("options", [
    dict(k1=4, k2=9, optimizer="adam", lr=0.01, clip=0.5, n_updates=25, batch_size=3, seed=5),
    dict(k1=10, k2=4, optimizer="sgd", lr=0.1, clip=0.02, clip_mode="value", n_updates=12),
    dict(schedule=schedules.randomized(20, 5, p=0.3, seed=1), n_updates=10, batch_size=2),
    dict(k1=5, method="uoro", lr=0.02, n_updates=8, batch_size=2, seed=3),
    dict(optimizer="adam", lr=10, divergence_factor=10.0, stop_on_divergence=True, n_updates=30),
], ids=["tbptt", "value-clip", "randomized", "uoro", "diverges"])
def test_a_config_trains_exactly_as_the_same_keywords(options):
    task = SineWave(seq_len=20)
    a, b = sine_model(4, 5, bpttviz.LSTM), sine_model(4, 5, bpttviz.LSTM)
    by_keywords = train(a, task, progress=False, **options)
    by_record = train(b, task, TrainConfig(**options), progress=False)
    assert_same_run(by_keywords, by_record, a, b)
    # a keyword that repeats the config's value is no contradiction
    c = sine_model(4, 5, bpttviz.LSTM)
    assert_same_run(by_keywords, train(c, task, TrainConfig(**options), progress=False,
                                       **options), a, c)


def test_an_optimizer_instance_in_a_config_is_reset_as_a_keyword_one_is():
    task, opt = SineWave(seq_len=20), Momentum(lr=0.02, momentum=0.5)
    a, b = sine_model(3), sine_model(3)
    by_keywords = train(a, task, k1=5, optimizer=opt, n_updates=9, progress=False)
    by_record = train(b, task, TrainConfig(k1=5, optimizer=opt, n_updates=9), progress=False)
    assert_same_run(by_keywords, by_record, a, b)


@pytest.mark.parametrize("config, options, exc, match", [
    (TrainConfig(k1=5), dict(k1=6), ValueError,
     (r"^The keywords of train contradict its 'config', which has k1=5: give each option once, "
      r"in the config \(dataclasses\.replace\(config, \.\.\.\) gives a changed copy\) or as a "
      r"keyword\. Got k1=6\.$")),
    (TrainConfig(seed=2, lr=0.1), dict(seed=3, lr=0.1, n_updates=4), ValueError,
     r"which has seed=2, n_updates=100: .* Got seed=3, n_updates=4\.$"),
    (TrainConfig(stop_on_divergence=True), dict(stop_on_divergence=1), ValueError,
     r"which has stop_on_divergence=True: .* Got stop_on_divergence=1\.$"),
    (None, dict(k3=5), TypeError,
     (r"^train has no option 'k3': its options are callback, progress and the fields of "
      r"TrainConfig \(k1, k2, .*\)\. Got k3=5\.$")),
    (TrainConfig(), dict(n_update=5), TypeError, r"no option 'n_update'"),
    (dict(k1=5), {}, TypeError,
     (r"^The 'config' parameter of train must be a TrainConfig or None\. "
      r"Got a dict with keys \['k1'\] instead\.$")),
])
def test_keywords_that_contradict_the_config_are_named_before_any_work(config, options, exc,
                                                                        match):
    model, calls = sine_model(), []
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(exc, match=match):
        train(model, SineWave(seq_len=20), config, progress=False,
              callback=lambda h, u: calls.append(u), **options)
    assert calls == []
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


@pytest.mark.parametrize("kwargs", [kw for kw, _, _ in BAD if set(kw) <= set(DEFAULTS)])
def test_a_bad_field_gives_the_message_of_the_keyword_form(kwargs):
    def refusal(call):
        with pytest.raises((TypeError, ValueError)) as info:
            call(sine_model(), SineWave(seq_len=20))
        return info.type, str(info.value)

    by_keywords = refusal(lambda m, t: train(m, t, progress=False, **kwargs))
    by_record = refusal(lambda m, t: train(m, t, TrainConfig(**kwargs), progress=False))
    assert by_record == by_keywords
