"""What each lesson sends to a class experiment (``Lesson.experiment_result``), checked against
the lesson's own result: lesson 2 the gradient at the largest lag, lesson 3 the truncation bias
at its k2, lesson 4 each network's final loss after a run (and a clear refusal before one)."""

import math

import numpy as np
import pytest

from bpttviz.app import TrainingApp, TruncationApp, VanishingApp
from bpttviz.lessons.common import finite_or_none


def test_lesson_2_sends_the_median_gradient_at_its_largest_lag():
    app = VanishingApp(query="scale=1.3&activation=linear&T=40")
    r = app.result
    got = app.lesson.experiment_result(r)
    assert got == {"largest_lag": 39, "grad_norm_at_largest_lag": float(r.lag_median[-1])}
    assert r.lags[-1] == 39                           # T = 40 steps: lags 0 to 39
    point = app.experiment_point()
    assert point["settings"]["scale"] == 1.3 and point["result"] == got
    assert "scale=1.3" in point["link"]


def test_lesson_3_sends_the_truncation_bias_at_its_k2():
    app = TruncationApp(query="k2=3")
    got = app.lesson.experiment_result(app.result)
    assert got == {"cosine_to_full": float(app.result.point.cosine[0]),
                   "norm_ratio": float(app.result.point.norm_ratio[0])}
    assert 0 < got["cosine_to_full"] < 1              # truncated to 3 of 60 states: biased
    full = TruncationApp(query="schedule=full").lesson
    assert full.experiment_result(TruncationApp(query="schedule=full").result)[
        "cosine_to_full"] == pytest.approx(1.0)


def test_lesson_4_sends_the_final_losses_after_a_run_and_refuses_before():
    app = TrainingApp(query="updates=40&T=12&k1_a=12&k2_a=3&k1_b=12&k2_b=12")
    with pytest.raises(ValueError, match="Train first"):
        app.experiment_point()
    run = app.start()                                 # no event loop here: it waits
    got = app.experiment_point()["result"]
    assert got == {"final_loss_a": float(run.rows(0)["loss"][-1]),
                   "final_loss_b": float(run.rows(1)["loss"][-1])}
    assert all(np.isfinite(v) for v in got.values())


def test_a_number_that_is_not_finite_is_sent_as_none():
    assert finite_or_none(np.float64(2.5)) == 2.5
    assert finite_or_none(math.inf) is None and finite_or_none(np.nan) is None
