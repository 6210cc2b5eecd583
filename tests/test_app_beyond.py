"""Lesson 7, beyond truncation, driven from Python as a user drives it from the page."""

import asyncio

import numpy as np
import pytest

from bpttviz import rtrl
from bpttviz.app import BeyondApp
from bpttviz.lessons import beyond_truncation as beyond_module
from bpttviz.lessons import beyond_truncation as training_module
from bpttviz.lessons.beyond_truncation import METHOD_LABELS, RECURRENT, echo_batch
from bpttviz.diagnostics import compare_estimators
from bpttviz.training import train
from test_app import counted, labelled, no_voila_environment, text_of  # noqa: F401

QUICK = "updates=30&samples=4&T=12&lag=4&k2=3"


def test_echo_batch_targets_are_the_inputs_lag_steps_back():
    b = echo_batch(10, 3, 4, 0)
    np.testing.assert_array_equal(b.targets[3:], b.inputs[:7])
    assert not b.mask[:3].any() and b.mask[3:].all()


def test_the_figures_show_what_the_diagnostics_compute(counted):
    calls = counted(beyond_module, "compare_estimators")
    app = BeyondApp(query=QUICK)
    assert app.message.value == "" and len(calls) == 1
    c = app.result.comparison
    assert c.kinds == ("tbptt", "randomized", "uoro", "rtrl")
    b = app.result.task
    ref = compare_estimators(app.result.model, b.inputs, b.targets, mask=b.mask, k1=3,
                             k2_values=(3,), n_seeds=4, k_min=2, p=0.3, seed=0,
                             params=RECURRENT)
    np.testing.assert_allclose(c.cosine_mean, ref.cosine_mean)
    for i, label in enumerate(METHOD_LABELS):
        point = labelled(app, "bias", label)
        assert point.x[0] == pytest.approx(c.cosine_sd[i])
        assert point.y[0] == pytest.approx(c.cosine_mean[i])
    assert c.cosine_mean[-1] == pytest.approx(1.0, abs=1e-12)               # RTRL is exact
    assert c.cosine_sd[0] == 0 and c.cosine_sd[2] > 0                       # TBPTT fixed, UORO not
    cost = app.result.cost
    rtrl = labelled(app, "cost", METHOD_LABELS[3])
    np.testing.assert_allclose(rtrl.x, cost.hidden)
    np.testing.assert_allclose(rtrl.y, cost.flops_per_step["rtrl"])
    assert cost.slopes["rtrl"] > cost.slopes["uoro"] + 1
    assert "RTRL: cosine 1.000" in text_of(app.readout.value)


def test_race_trains_the_four_methods_from_the_same_start_and_shows_their_losses(monkeypatch):
    app = BeyondApp(query=QUICK)
    seen = []

    def recording(model, task, **kwargs):
        seen.append(kwargs.get("method", "bptt"))
        return train(model, task, **kwargs)

    monkeypatch.setattr(training_module, "train", recording)      # what the race's threads call
    initial = {k: v.copy() for k, v in app.result.model.params.items()}
    run = app.start()                                    # no event loop: it waits
    assert sorted(seen) == ["bptt", "bptt", "rtrl", "uoro"]
    for k in initial:
        np.testing.assert_array_equal(app.result.model.params[k], initial[k])
    again = train(app.result.model.copy(), app.result.task, progress=False,
                  **app.result.configs[3])
    np.testing.assert_allclose(run.rows(3)["loss"], again.loss)
    for i, label in enumerate(METHOD_LABELS):
        np.testing.assert_allclose(labelled(app, "race", label).y, run.rows(i)["loss"])
        assert len(run.rows(i)["loss"]) == 30
    assert "raced" in app.status.value and not app.start_button.disabled


def test_rtrl_in_the_race_starts_from_the_exact_gradient():
    app = BeyondApp(query=QUICK)
    run = app.start()
    h = run.histories[3]
    b = app.result.task
    first = rtrl(app.result.model, b.inputs, b.targets, 3, mask=b.mask)
    carried = [u for u in first.updates if b.mask[u.losses].any()]
    assert h.grad_norm[0] == pytest.approx(carried[0].grad_norm, rel=1e-12)


def test_in_a_kernel_the_race_runs_in_the_background_and_stop_ends_it():
    app = BeyondApp(query="updates=2000&samples=4")

    async def session():
        run = app.start()
        assert run.alive() and not app.stop_button.disabled
        await asyncio.sleep(0.5)
        app.stop_button.click()
        await asyncio.wait_for(app.watcher, 30)
        return run

    run = asyncio.run(session())
    assert not run.alive() and all(len(h) < 2000 for h in run.histories)
    assert "stopped" in app.status.value and app.message.value == ""


def test_presets_query_link_and_downloads():
    app = BeyondApp(query="")
    for name in BeyondApp.presets:
        app.apply_preset(name)
        assert app.message.value == "", (name, app.message.value)
    assert BeyondApp(query=app.query_string()).values() == app.values()
    assert app.savers["bias"].render("png").startswith(b"\x89PNG")
    bad = BeyondApp(query="k2=0&samples=zero")
    assert "k2" in text_of(bad.notes.value) and "samples" in text_of(bad.notes.value)


def test_after_a_failed_change_the_race_refuses_to_train_the_earlier_settings(monkeypatch):
    app = BeyondApp(query=QUICK)
    shown = app.figures["race"].record
    assert shown.panels[0].x.limits == (0, 30)

    def failing(*args, **kwargs):
        raise ValueError("no comparison")

    monkeypatch.setattr(beyond_module, "compare_estimators", failing)
    app.widgets["updates"].value = 50                    # the page shows 50, the setup has 30
    assert "no comparison" in text_of(app.message.value)
    assert app.result.values["updates"] == 30
    assert app.figures["race"].record is shown                 # the race still shows 30
    app.start_button.click()
    assert app.run is None and app.train_runs == 0
    assert "could not be computed" in text_of(app.message.value)
    monkeypatch.undo()
    app.widgets["updates"].value = 40
    run = app.start()
    assert run.n_updates == 40 and all(len(run.rows(i)["loss"]) == 40 for i in range(4))
    assert app.figures["race"].record.panels[0].x.limits == (0, 40)
