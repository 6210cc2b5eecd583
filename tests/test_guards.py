"""Values that go wrong without raising are reported: a loss that diverges while finite,
and what became non-finite first in a trace, and where."""

import re

import numpy as np
import pytest

import bpttviz
from bpttviz.tasks import AddingProblem
from bpttviz.trace import NonFinite
from bpttviz.training import History


# --- divergence that stays finite ---------------------------------------------------------

def _history(losses, factor=1e3):
    h = History(("loss",), divergence_factor=factor)
    for x in losses:
        h.append(loss=x)
    return h


def test_history_marks_the_first_update_past_the_factor():
    h = _history([0.5, 0.7, 400.0, 600.0, 5.0])        # 500 = 1000 x 0.5 is the threshold
    assert h.diverged and h.diverged_at == 3
    assert h.divergence == ("the loss diverged: 600 at update 3, more than 1000 times its start "
                            "(0.5 at update 0)")
    assert "the loss diverged: 600 at update 3" in repr(h)


@pytest.mark.parametrize("losses, factor", [
    ([0.5, 0.7, 400.0, 499.0], 1e3),        # below the threshold
    ([0.5, 1e9], None),                      # not watched
    ([0.0, 1.0], 1e3),                       # no scale to grow from
    ([np.nan, 1e9], 1e3),                    # no finite start
    ([0.5, np.nan, np.inf], 1e3),            # non-finite: a stop, not a divergence
])
def test_history_does_not_mark_what_did_not_diverge(losses, factor):
    h = _history(losses, factor)
    assert not h.diverged and h.diverged_at is None and h.divergence is None


def _adam_at_lr_10(**kw):
    model = bpttviz.ElmanRNN(2, 16, 1, seed=0)
    return bpttviz.train(model, AddingProblem(lag=20), optimizer="adam", lr=10, n_updates=40,
                         batch_size=32, progress=False, **kw)


def test_train_reports_a_finite_divergence_and_keeps_running_by_default():
    h = _adam_at_lr_10()
    assert len(h) == 40 and not h.stopped
    assert np.isfinite(h.loss).all() and not h.nonfinite.any()
    u = h.diverged_at
    assert u is not None and h.loss[u] > 1e3 * h.loss[0] and np.all(h.loss[:u] <= 1e3 * h.loss[0])
    assert h.config["divergence_factor"] == 1e3 and h.config["stop_on_divergence"] is False


def test_train_can_stop_on_divergence():
    h = _adam_at_lr_10(stop_on_divergence=True)
    reference = _adam_at_lr_10()
    assert h.stopped and h.stopped_at == h.diverged_at == reference.diverged_at
    assert len(h) == h.diverged_at + 1
    assert h.reason.startswith(f"the loss diverged: ") and "told to stop on divergence" in h.reason


def test_train_with_a_larger_factor_or_none_does_not_mark_it():
    assert _adam_at_lr_10(divergence_factor=None).diverged_at is None
    h = _adam_at_lr_10(divergence_factor=1e300)
    assert h.diverged_at is None and np.isfinite(h.loss).all()


def test_a_run_that_learns_is_not_marked():
    model = bpttviz.ElmanRNN(2, 16, 1, seed=0)
    h = bpttviz.train(model, AddingProblem(lag=5), optimizer="adam", lr=0.01, n_updates=40,
                      batch_size=16, progress=False)
    assert h.diverged_at is None and "diverged" not in repr(h)


def test_the_evolution_strategy_reports_and_can_stop_on_divergence():
    def run(**kw):
        model = bpttviz.ElmanRNN(2, 16, 1, seed=0)
        return bpttviz.train_es(model, AddingProblem(lag=2, seq_len=6), population=4,
                                sigma=0.5, optimizer="sgd", lr=100.0, shaping="none",
                                n_generations=30, batch_size=8, progress=False, **kw)

    h = run()
    u = h.diverged_at
    assert u is not None and h.loss[u] > 1e3 * h.loss[0] and np.isfinite(h.loss[u])
    stopped = run(stop_on_divergence=True)
    assert stopped.stopped and stopped.stopped_at == u and len(stopped) == u + 1


def test_the_training_lesson_says_a_run_diverged():
    from bpttviz.app import TrainingApp

    app = TrainingApp(query="task=adding&cell=gru&optimizer=sgd&lr=1&updates=30")
    run = app.start()
    notes = re.sub(r"<[^>]+>", " ", app.notes.value)
    diverged = [i for i, h in enumerate(run.histories) if h.diverged and not h.stopped]
    assert diverged, "this configuration diverges while staying finite"
    for i in diverged:
        assert f"the loss diverged: " in notes
        assert f"at update {run.histories[i].diverged_at}," in notes
    assert app.message.value == ""                    # a result, not an error


# --- what became non-finite, and where ------------------------------------------------------

def _linear_at_radius_3(T=500):
    model = bpttviz.ElmanRNN(1, 8, 1, "linear", radius=3.0, seed=0)
    rng = np.random.default_rng(0)
    return bpttviz.bptt(model, rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1)))


def test_a_loss_overflows_before_the_state_it_comes_from():
    trace = _linear_at_radius_3()
    where = trace.nonfinite_at
    assert where.kind == "loss" and where.step == trace.first_nonfinite == 326  # README's figure
    assert where.state is None and where.output is None
    assert np.isfinite(trace.states).all() and 1e236 < np.abs(trace.states).max() < 1e237
    assert np.isfinite(trace.step_losses[:326]).all() and np.isinf(trace.step_losses[326])
    assert str(where) == ("the loss became non-finite first, at step 326 (states and outputs "
                          "stayed finite)")


def test_a_state_that_overflows_is_named_first():
    model = bpttviz.ElmanRNN(1, 4, 1, "linear", radius=50.0, seed=0)
    rng = np.random.default_rng(0)
    T = 300
    trace = bpttviz.bptt(model, rng.normal(size=(T, 1, 1)), rng.normal(size=(T, 1, 1)))
    where = trace.nonfinite_at
    s = where.state
    assert s is not None and not np.isfinite(trace.states[s]).all()
    assert np.isfinite(trace.states[:s]).all()
    assert where.loss <= s and where.output <= s + 1    # a loss and an output overflow sooner
    assert where.kind == "loss" and where.step == trace.first_nonfinite == where.loss
    assert (where.state, where.output, where.loss) == tuple(
        int(np.flatnonzero(~np.isfinite(a).reshape(T, -1).all(axis=1))[0])
        for a in (trace.states, trace.outputs, trace.step_losses))


def test_a_gradient_that_overflows_with_a_finite_forward_pass():
    # tiny inputs keep the forward pass finite; the error pulled back through W_hh
    # (radius 8) over 400 steps does not stay finite
    rng = np.random.default_rng(0)
    model = bpttviz.ElmanRNN(1, 8, 1, activation="linear", radius=8.0)
    x, y = rng.normal(size=(400, 1, 1)) * 1e-300, rng.normal(size=(400, 1, 1))
    trace = bpttviz.bptt(model, x, y)
    where = trace.nonfinite_at
    assert trace.first_nonfinite is None and where.state is where.loss is None
    assert where.kind == "gradient" and where.step == trace.updates[0].first_nonfinite
    assert where.gradient == (0, where.step)
    assert str(where) == ("the forward pass stayed finite; the backpropagated error of update 0 "
                          f"stopped being finite at step {where.step}")


def test_a_finite_run_reports_nothing():
    model = bpttviz.ElmanRNN(1, 4, 1, seed=0)
    trace = bpttviz.bptt(model, np.ones((10, 1, 1)), np.ones((10, 1, 1)))
    assert trace.nonfinite_at == NonFinite() and not trace.nonfinite_at
    assert trace.nonfinite_at.kind is None and trace.nonfinite_at.step is None


def test_where_it_overflowed_survives_save_and_load(tmp_path):
    trace = _linear_at_radius_3(400)
    trace.save(tmp_path / "t.npz")
    loaded = bpttviz.Trace.load(tmp_path / "t.npz")
    assert loaded.nonfinite_at == trace.nonfinite_at and loaded.first_nonfinite == 326
