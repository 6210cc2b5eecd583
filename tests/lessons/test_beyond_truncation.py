"""Lesson 7, beyond truncation: truncated BPTT, randomized truncation, UORO and exact RTRL on an
echo task, their gradients' bias against variance, their cost against the hidden size, and a
race that trains the four from the same start in the background.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): the race runs live and stops on the button, each curve then showing
every update its method made; the address sets the controls; what its figures show after a
move is what the engine computes here, and a download is Matplotlib's drawing of the figure
shown.
"""

import asyncio
import re

import live
import numpy as np
import pytest
from live import close
from page_in_browser import (InThePage, PageCase, assert_no_error_shown, in_browser, link_query,
                             open_lesson, readout, screenshot, wait_status)
from page_in_kernel import labelled, text_of
from playwright.sync_api import expect

from bpttviz import ElmanRNN, rtrl
from bpttviz.app import BeyondApp
from bpttviz.diagnostics import compare_estimators, truncation_bias
from bpttviz.figures import records_equal
from bpttviz.lessons import beyond_truncation as beyond_module
from bpttviz.lessons import beyond_truncation as training_module
from bpttviz.lessons.beyond_truncation import METHOD_LABELS, RECURRENT, echo_batch
from bpttviz.training import train

PAGE = "07_beyond_truncation"
QUICK = "updates=30&samples=4&T=12&lag=4&k2=3"


def test_echo_batch_targets_are_the_inputs_lag_steps_back():
    b = echo_batch(10, 3, 4, 0)
    np.testing.assert_array_equal(b.targets[3:], b.inputs[:7])
    assert not b.mask[:3].any() and b.mask[3:].all()


def test_the_figures_show_what_the_diagnostics_compute(counted):
    calls = counted(beyond_module, "compare_estimators")
    app = BeyondApp(query=QUICK)
    # One comparison of the truncations, one of the online methods (kept while k2 moves).
    assert app.message.value == "" and len(calls) == 2
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


def test_the_rows_kept_while_k2_moves_are_those_computed_for_each_k2(counted):
    # UORO's and RTRL's rows are computed once per network, data and samples: for every k2
    # the comparison shown is the one compare_estimators gives with updates every k2 steps.
    calls = counted(beyond_module, "compare_estimators")
    app = BeyondApp(query=QUICK)
    for name, value, computed in (("k2", 5, 1), ("k2", 1, 1), ("k2", 12, 1), ("samples", 5, 2),
                                  ("radius", 0.8, 2), ("lag", 7, 2), ("hidden", 4, 2),
                                  ("T", 14, 2), ("seed", 2, 2), ("k2", 3, 1)):
        before = len(calls)
        app.widgets[name].value = value
        assert len(calls) - before == computed, name
        v, b = app.values(), app.result.task
        ref = compare_estimators(app.result.model, b.inputs, b.targets, mask=b.mask, k1=v["k2"],
                                 k2_values=(v["k2"],), n_seeds=v["samples"], k_min=v["k_min"],
                                 p=v["p"], seed=v["seed"], params=RECURRENT)
        c = app.result.comparison
        assert (c.labels, c.kinds, c.k1, c.full_norm) == (ref.labels, ref.kinds, ref.k1,
                                                         ref.full_norm)
        for field in ("cosine_mean", "cosine_sd", "norm_ratio_mean", "norm_ratio_sd",
                      "mean_cosine", "flops", "forward_steps", "backward_steps",
                      "peak_stored_floats"):
            np.testing.assert_allclose(getattr(c, field), getattr(ref, field), rtol=1e-12,
                                       atol=1e-15, err_msg=f"{field} after {name}={value}")
        fresh = BeyondApp(query=app.query_string())
        for figure in app.figures:
            assert records_equal(app.figures[figure].record,
                                 fresh.figures[figure].record), (name, figure)
        fresh.close()
    app.close()


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


# --- in the browser ----------------------------------------------------------------------------
METHODS = ("TBPTT", "randomized", "UORO", "RTRL")

#: The number of points of each method's loss curve in the race figure.
CURVE_POINTS = """(methods) => {
  const fig = document.querySelector('.bpttviz-figure-race .bpttviz-live')?.bpttvizFigure;
  const lines = fig ? fig.panels[0].marks.filter(m => m.type === 'Line') : [];
  return methods.map(name => lines.find(m => m.label === name)?.y.length ?? -1); }"""


@in_browser
def test_the_race_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, PAGE, "?updates=2000&samples=5")
    assert page.evaluate(CURVE_POINTS, METHODS) == [0, 0, 0, 0]
    page.locator(".bpttviz-start").click()
    wait_status(page, r"racing: TBPTT \d+")
    # The curves grow while the methods train.
    page.wait_for_function(f"(m) => ({CURVE_POINTS})(m).some(n => n > 0)", arg=METHODS)
    grown = max(page.evaluate(CURVE_POINTS, METHODS))
    page.wait_for_function(f"([m, n]) => Math.max(...({CURVE_POINTS})(m)) > n",
                           arg=[METHODS, grown])
    screenshot(page, artifacts, "07_beyond_truncation-race")
    page.locator(".bpttviz-stop").click()           # the kernel must still hear the button
    status = wait_status(page, r"stopped", timeout=60_000)
    done = [int(n) for n in re.findall(r"(?:TBPTT|randomized|UORO|RTRL) (\d+)", status)]
    assert len(done) == 4 and all(n < 2000 for n in done)
    # The last redraw shows every update each method made, one point each.
    page.wait_for_function(f"([m, done]) => JSON.stringify(({CURVE_POINTS})(m)) == "
                           "JSON.stringify(done)", arg=[METHODS, done])
    expect(page.locator(".bpttviz-start")).to_be_enabled()
    expect(page.locator(".bpttviz-stop")).to_be_disabled()
    assert_no_error_shown(page)


@in_browser
def test_the_address_sets_the_controls_and_a_race_runs_to_its_end(page, server, artifacts):
    open_lesson(page, server, PAGE, "?k2=3&lag=6&samples=6&updates=300")
    assert readout(page, "k2") == "3" and readout(page, "lag") == "6"
    q = link_query(page)
    assert q["k2"] == "3" and q["lag"] == "6" and q["samples"] == "6"
    page.locator(".bpttviz-start").click()
    status = wait_status(page, r"raced", timeout=120_000)
    assert re.findall(r"(?:TBPTT|randomized|UORO|RTRL) (\d+)", status) == ["300"] * 4
    page.wait_for_function(f"(m) => ({CURVE_POINTS})(m).every(n => n === 300)", arg=METHODS)
    screenshot(page, artifacts, "07_beyond_truncation-raced")
    assert_no_error_shown(page)


def expected_numbers(s, page):
    """Lesson 7: TBPTT's cosine to the full gradient for every k2, and the exact RTRL."""
    T, lag, seed, k2 = int(s["T"]), int(s["lag"]), int(s["seed"]), int(s["k2"])
    rng = np.random.default_rng(seed)            # the echo: the target is the input lag earlier
    x = rng.normal(size=(T, 32, 1))
    y = np.zeros_like(x)
    y[lag:] = x[:T - lag]
    mask = np.zeros((T, 32))
    mask[lag:] = 1.0
    model = ElmanRNN(1, int(s["hidden"]), 1, "tanh", seed, radius=float(s["radius"]))
    curve = truncation_bias(model, x, y, np.arange(1, T + 1), k1=k2, mask=mask, combine="mean",
                            params=("W_xh", "W_hh", "b_h"))
    bias = page["bias"]
    close(live.labelled(bias, "TBPTT, every k2")["y"], curve.cosine,
          "TBPTT's cosine for every k2")
    tb = live.labelled(bias, "TBPTT")
    close([tb["x"][0], tb["y"][0]], [0.0, curve.cosine[k2 - 1]], "TBPTT at this k2")
    rtrl = live.labelled(bias, "RTRL")
    np.testing.assert_allclose([rtrl["x"][0], rtrl["y"][0]], [0.0, 1.0], atol=1e-6)


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("bias",), expected_numbers, download="bias")
