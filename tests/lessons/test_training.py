"""Lesson 4, training with truncated BPTT: two windows (A and B) trained from the same start on
a task with long lags, what each update of theirs reaches of the task's dependencies, and the
memory one gradient costs; training runs in the background, redrawn live, and Stop ends it.
The user's own data: test_your_data.py.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): training redraws live and stops on the button, an explosion is
reported, the address sets the controls, what its figures show after a move is what the
engine computes here, and a download is Matplotlib's drawing of the figure shown.
"""

import asyncio
import re

import live
import numpy as np
import pytest
from live import LINE_POINTS, close, line_points, marks, record
from page_in_browser import (InThePage, PageCase, assert_no_error_shown,
                             assert_query_sets_the_controls, in_browser, open_lesson, screenshot,
                             wait_status)
from page_in_kernel import (assert_same_as_a_fresh_page, assert_sends_only, curves, labelled,
                            marks_of, text_of, texts)
from playwright.sync_api import expect

from bpttviz import bptt, make_task
from bpttviz.app import TrainingApp
from bpttviz.engine import run_schedule
from bpttviz.lessons import training as training_module
from bpttviz.lessons.training import (LESSON_TASKS, checkpoint_intervals, lesson_task,
                                      needed_spans, update_windows)
from bpttviz.schedules import tbptt
from bpttviz.training import train

PAGE = "04_training"
QUICK = "updates=40&T=12&k1_a=12&k2_a=3&k1_b=12&k2_b=12"


# --- the task, the windows and the memory ------------------------------------------------------
@pytest.mark.parametrize("name", LESSON_TASKS)
def test_needed_spans_hold_every_input_the_targets_depend_on(name):
    T = 24
    task = lesson_task(name, T)
    batch = task.sample(64, np.random.default_rng(1), T)
    x = batch.inputs
    if name == "adding":
        informative = x[..., 1] == 1                              # the markers
    elif name == "temporal_order":
        informative = x[..., 4:6].any(axis=-1)                    # X or Y
    elif name == "sequence_classification":
        levels = -1.0 + 2.0 * batch.targets[-1] / (task.n_classes - 1)
        informative = np.abs(x[..., 0] - levels) < 4 * task.noise  # near the class level
        informative &= (np.arange(T) >= T - task.lag - task.key_len)[:, None]
        informative &= (np.arange(T) < T - task.lag)[:, None]
    elif name == "copy_memory":
        informative = x[..., 1:task.n_classes + 1].any(axis=-1)  # the symbols
    else:
        assert needed_spans(task, T) == []                       # no long lag
        return
    inside = np.zeros(T, dtype=bool)
    for start, stop in needed_spans(task, T):
        inside[start:stop] = True
    assert informative.any() and np.all(inside[np.nonzero(informative)[0]])


def test_update_windows_of_a_hand_worked_schedule():
    s = tbptt(10, 5, 3)          # updates after 5 and 10 steps, each back 3 states
    every = update_windows(s, np.ones(10, dtype=bool))
    assert [(lo, hi, list(t)) for lo, hi, t in every] == [(2, 4, [0, 1, 2, 3, 4]),
                                                            (7, 9, [5, 6, 7, 8, 9])]
    last = np.zeros(10, dtype=bool)
    last[-1] = True              # a target at the last step only: the first update is skipped
    assert [(lo, hi, list(t)) for lo, hi, t in update_windows(s, last)] == [(7, 9, [9])]


def test_checkpoint_intervals_run_from_every_step_to_none():
    for T in (10, 20, 60):
        m = checkpoint_intervals(T)
        assert m[0] == 1 and m[-1] == T and round(np.sqrt(T)) in m
        assert np.all(np.diff(m) > 0) and m.size <= 12


def test_a_change_computes_the_setup_once_and_trains_nothing(counted, counted_everywhere):
    app = TrainingApp(query="")
    costs = counted(training_module, "cost_table")
    sweeps = counted_everywhere(run_schedule)
    trains = counted(training_module, "train")
    app.widgets["k2_a"].value = 8
    # The memory figure does not depend on the windows: no engine run at all.
    assert app.runs == 2 and costs == [] and sweeps == [] and trains == []
    setup = app.result
    assert setup.schedules[0].k2 == 8 and setup.configs[0]["k2"] == 8
    # The last update (the only one with a target) reaches back k2 states from the end.
    segs = marks_of(app, "reach", "Segments")[0]                # A's windows
    assert segs.x0.size == 1 and segs.x0[0] == pytest.approx(20 - 8 - 0.45)


@pytest.mark.parametrize("control, value, measured", [
    ("k2_a", 8, False), ("k1_b", 10, False), ("clip_a", 1.0, False), ("optimizer", "sgd", False),
    ("lr", "0.1", False), ("updates", 500, False),
    ("radius", 1.5, False),                     # the default cell is a GRU: no spectral radius
    ("task", "adding", True), ("cell", "lstm", True), ("T", 30, True), ("hidden", 8, True),
    ("seed", 4, True),
])
def test_the_memory_is_measured_again_only_when_the_network_or_its_data_change(
        counted, counted_everywhere, control, value, measured):
    app = TrainingApp(query="")
    costs = counted(training_module, "cost_table")
    sweeps = counted_everywhere(run_schedule)
    app.widgets[control].value = value
    assert app.runs == 2 and app.message.value == ""
    assert len(costs) == measured
    assert len(sweeps) == (1 + len(app.result.checkpoints) if measured else 0)


def test_the_spectral_radius_changes_the_memory_of_an_elman_network_and_a_return_is_kept(
        counted):
    app = TrainingApp(query="cell=elman")
    costs = counted(training_module, "cost_table")
    app.widgets["radius"].value = 1.5
    assert len(costs) == 1
    app.widgets["radius"].value = 1.0                 # measured before: kept
    app.widgets["k2_b"].value = 9
    assert len(costs) == 1
    assert labelled(app, "memory", "checkpoint every m steps").y.tolist() == [
        c.peak_stored_floats for c in app.result.checkpoint_costs]


def test_the_memory_figure_is_what_the_engine_measures():
    app = TrainingApp(query="cell=lstm&T=16&hidden=6")
    s = app.result
    b = s.batch
    measured = [bptt(s.model, b.inputs, b.targets, loss=b.loss, mask=b.mask, checkpoint=int(m),
                     record=False).cost for m in s.checkpoints]
    line = labelled(app, "memory", "checkpoint every m steps")
    np.testing.assert_array_equal(line.x, s.checkpoints)
    np.testing.assert_array_equal(line.y, [c.peak_stored_floats for c in measured])
    plain = bptt(s.model, b.inputs, b.targets, loss=b.loss, mask=b.mask, record=False).cost
    assert labelled(app, "memory", "every state's cache kept").y[0] == plain.peak_stored_floats
    # Checkpointing stores less than keeping every cache somewhere, and pays in forward steps.
    assert min(c.peak_stored_floats for c in measured) < plain.peak_stored_floats
    assert all(c.forward_steps > plain.forward_steps for c in measured)


def test_training_query_sets_the_controls_and_reports_what_it_cannot_use():
    app = TrainingApp(query="task=adding&cell=lstm&k2_a=3&lr=0.1&lr2=1&clip_b=9")
    v = app.values()
    assert (v["task"], v["cell"], v["k2_a"], v["lr"]) == ("adding", "lstm", 3, "0.1")
    assert app.widgets["task"].label == "adding problem"           # the menu reads in words
    notes = text_of(app.notes.value)
    assert "lr2=1: not a setting" in notes and "clip_b=9" in notes and "[0, 5]" in notes
    assert app.widgets["radius"].disabled                     # only the Elman network uses it


@pytest.mark.parametrize("control, values", [("k2_a", [6, 12]),
                                             ("task", ["sine", "copy_memory"])],
                         ids=["k2", "task"])
def test_after_changes_every_figure_shows_what_a_fresh_page_shows(control, values):
    assert_same_as_a_fresh_page(TrainingApp, control, values)


@pytest.mark.parametrize("control, value, redrawn", [
    ("k2_a", 8, {"reach", "loss", "grad"}),
    ("hidden", 8, {"memory"}),
    ("seed", 3, set()),              # new weights, the same figures: none sent
    ("T", 30, {"reach", "memory"}),  # the empty curves do not depend on T
])
def test_a_change_sends_only_the_figures_it_changes(control, value, redrawn):
    assert_sends_only(TrainingApp, control, value, redrawn)


# --- training -----------------------------------------------------------------------------------
def test_start_trains_A_and_B_from_the_same_start_and_the_curves_show_their_histories(
        monkeypatch):
    app = TrainingApp(query=QUICK)
    starts = []                              # the weights each train() call starts from

    def recording(model, *args, **kwargs):
        starts.append({k: v.copy() for k, v in model.params.items()})
        return train(model, *args, **kwargs)

    monkeypatch.setattr(training_module, "train", recording)
    initial = {k: v.copy() for k, v in app.result.model.params.items()}
    run = app.start()                       # no event loop here: it waits, redrawing
    assert len(starts) == 2 and app.train_runs == 1 and app.runs == 1
    for k in initial:
        np.testing.assert_array_equal(starts[0][k], initial[k])
        np.testing.assert_array_equal(starts[1][k], initial[k])
        np.testing.assert_array_equal(app.result.model.params[k], initial[k])   # kept as it was
    # An independent run of train() with the same arguments records the same losses.
    cfg = app.result.configs[0]
    again = train(app.result.model.copy(), app.result.task, progress=False, **cfg)
    np.testing.assert_allclose(run.rows(0)["loss"], again.loss)
    for i in range(2):
        loss, grad = (curves(app, name)[i] for name in ("loss", "grad"))
        np.testing.assert_allclose(loss.y, run.rows(i)["loss"])
        np.testing.assert_allclose(grad.y, run.rows(i)["grad_norm"])
        assert len(run.rows(i)["loss"]) == 40 and loss.label.startswith(("A", "B")[i] + ": k1=12")
    assert "trained: A 40 updates, B 40 updates" in app.status.value
    assert app.progress.layout.display == "none" and not app.start_button.disabled
    baseline = labelled(app, "loss", "baseline (ignores the inputs)")
    assert baseline.y[0] == pytest.approx(app.result.task.baseline)


def test_a_window_below_the_lag_learns_less_than_one_above_it():
    app = TrainingApp(query="updates=150")          # temporal order, GRU, k2 = 5 against 20
    run = app.start()
    A, B = (np.mean(run.rows(i)["loss"][-20:]) for i in range(2))
    assert B < 0.1 * A


def test_an_explosion_stops_cleanly_and_the_page_says_at_which_update():
    app = TrainingApp(query="preset=clipping")
    run = app.start()
    a, b = run.histories
    assert a.stopped and not b.stopped and len(b) == 300
    assert a.nonfinite[-1] and np.isfinite(b.loss).all()
    notes = text_of(app.notes.value)
    assert f"at update {a.stopped_at}" in notes and notes.startswith("NoteA stopped")
    assert app.message.value == ""                      # an explosion is a result, not an error
    end, = marks_of(app, "loss", "Points")              # where A stopped; B has no mark
    top = app.figures["loss"].record.panels[0].y.limits[1]
    assert end.x.tolist() == [a.stopped_at] and end.y[0] <= top
    assert end.color == curves(app, "loss")[0].color
    app.widgets["seed"].value = 1                       # a change clears the curves and the note
    assert app.notes.value == "" and curves(app, "loss")[0].x.size == 0


def test_in_a_kernel_training_runs_in_the_background_and_stop_ends_it():
    app = TrainingApp(query="updates=3000")

    async def session():
        run = app.start()                                # returns at once
        assert run.alive() and app.watcher is not None and app.stop_button.disabled is False
        await asyncio.sleep(0.6)                         # the loop stays free: redraws happen
        assert 0 < max(run.done) < 3000 and "training: A" in app.status.value
        app.stop_button.click()                          # as the browser's click does
        await asyncio.wait_for(app.watcher, 10)
        return run

    run = asyncio.run(session())
    assert not run.alive()
    for h in run.histories:
        assert h.stopped and h.reason.startswith("the callback asked to stop") and len(h) < 3000
    assert "stopped" in app.status.value and app.message.value == ""
    assert app.notes.value == ""                          # the user's stop is not a warning
    assert len(app._live_ms) >= 2


def test_moving_a_control_while_training_stops_the_run_and_clears_the_curves(counted):
    app = TrainingApp(query="updates=3000")
    costs = counted(training_module, "cost_table")

    async def session():
        run = app.start()
        await asyncio.sleep(0.3)
        app.widgets["k2_a"].value = 7
        await asyncio.sleep(0.3)                          # the old watcher leaves quietly
        return run

    run = asyncio.run(session())
    assert not run.alive() and run.stop_requested.is_set()
    assert app.run is None and costs == []                # the network did not change
    assert curves(app, "loss")[0].x.size == 0
    assert "press Train" in texts(app, "loss")
    assert "updated" in app.status.value


def test_closing_the_app_ends_a_run_in_progress():
    app = TrainingApp(query="updates=3000")

    async def session():
        run = app.start()
        await asyncio.sleep(0.2)
        app.close()
        return run

    run = asyncio.run(session())
    assert not run.alive() and all(h is None or h.stopped for h in run.histories)


def test_a_failing_finish_is_reported_and_train_is_enabled_again(monkeypatch):
    app = TrainingApp(query=QUICK)

    def broken(*args):
        raise RuntimeError("no notes today")

    monkeypatch.setattr(app.lesson, "run_notes", broken)
    app.start_button.click()                            # no event loop: trains, then finishes
    assert "Could not finish the training run: no notes today" in text_of(app.message.value)
    assert "failed" in app.status.value and "Traceback" not in app.message.value
    assert not app.start_button.disabled and app.stop_button.disabled
    assert app.progress.layout.display == "none"


def test_in_a_kernel_a_failing_finish_is_reported_and_train_is_enabled_again(monkeypatch):
    app = TrainingApp(query=QUICK)

    def broken(*args):
        raise RuntimeError("no notes today")

    async def session():
        monkeypatch.setattr(app.lesson, "run_notes", broken)
        run = app.start()                                # returns at once
        assert app.start_button.disabled
        await asyncio.wait_for(app.watcher, 30)          # the task itself never fails
        return run

    run = asyncio.run(session())
    assert not run.alive() and len(run.rows(0)["loss"]) == 40
    assert "Could not finish the training run: no notes today" in text_of(app.message.value)
    assert not app.start_button.disabled and app.stop_button.disabled


def test_in_a_kernel_a_failing_watcher_stops_the_run_and_says_so():
    app = TrainingApp(query="updates=3000")

    def lost(timeout=None):
        raise RuntimeError("lost the run")

    async def session():
        run = app.start()
        await asyncio.sleep(0.2)
        real, run.join = run.join, lost
        await asyncio.wait_for(app.watcher, 10)
        run.join = real
        return run

    run = asyncio.run(session())
    assert run.stop_requested.is_set() and run.join(10)          # nobody trains unwatched
    assert "Could not follow the training run: lost the run" in text_of(app.message.value)
    assert not app.start_button.disabled and app.stop_button.disabled
    assert app.progress.layout.display == "none"


def test_a_failing_run_is_reported_in_the_page(monkeypatch):
    app = TrainingApp(query=QUICK)

    def broken(*args, **kwargs):
        raise ValueError("no data today")

    monkeypatch.setattr(training_module, "train", broken)
    app.start_button.click()
    assert "Could not train A: no data today; B: no data today" in text_of(app.message.value)
    assert "Traceback" not in app.message.value and not app.start_button.disabled


# --- in the browser ----------------------------------------------------------------------------
#: The number of points of each curve the loss figure shows (by legend label).
CURVE_POINTS = f"() => ({LINE_POINTS})('loss')"


def curve_points(page):
    """``[points of A's loss curve, points of B's]`` as the page draws them."""
    return line_points(page, "loss", ("A:", "B:"))


@in_browser
def test_training_redraws_live_and_the_stop_button_ends_it(page, server, artifacts):
    open_lesson(page, server, PAGE, "?updates=3000")
    assert curve_points(page) == [0, 0]
    bar = page.locator(".bpttviz-app .bpttviz-progress")
    assert bar.count() == 1 and not bar.is_visible()          # in the page, hidden until Train
    page.locator(".bpttviz-start").click()
    wait_status(page, r"training: A \d+/3000")
    # The curves grow while the runs train (each redraw sends only the new points).
    page.wait_for_function(f"() => Object.values(({CURVE_POINTS})()).some(n => n > 0)")
    grown = curve_points(page)
    page.wait_for_function(f"(n) => Math.max(...Object.values(({CURVE_POINTS})())) > n",
                           arg=max(grown))
    bar.wait_for(state="visible")
    screenshot(page, artifacts, "04_training-live")
    page.locator(".bpttviz-stop").click()           # the kernel must still hear the button
    status = wait_status(page, r"stopped")
    done = [int(n) for n in re.findall(r"[AB] (\d+) updates", status)]
    assert len(done) == 2 and all(0 < n < 3000 for n in done)
    # The last redraw shows every update each run made, one point each.
    page.wait_for_function(f"(done) => JSON.stringify(Object.values(({CURVE_POINTS})())"
                           ".slice(0, 2)) == JSON.stringify(done)", arg=done)
    loss = record(page, "loss")
    for label, n in zip(("A:", "B:"), done):
        line = next(m for m in loss["panels"][0]["marks"]
                    if m["type"] == "Line" and (m["label"] or "").startswith(label))
        assert list(line["x"]) == list(range(n))
    bar.wait_for(state="hidden")
    expect(page.locator(".bpttviz-start")).to_be_enabled()
    expect(page.locator(".bpttviz-stop")).to_be_disabled()
    assert_no_error_shown(page)


@in_browser
def test_an_exploding_run_is_reported_at_its_update(page, server):
    open_lesson(page, server, PAGE, "?preset=clipping")
    page.locator(".bpttviz-start").click()
    wait_status(page, r"trained", timeout=60_000)
    notes = page.locator(".bpttviz-notes").inner_text()
    assert re.search(r"A stopped: non-finite loss or gradient at update \d+", notes)
    assert "B stopped" not in notes
    assert_no_error_shown(page)


@in_browser
def test_query_parameters_set_the_controls(page, server):
    assert_query_sets_the_controls(page, server, PAGE, "?task=adding&k2_a=7&updates=500",
                                   {"k2_a": "7", "updates": "500"})


def expected_numbers(s, page):
    """Lesson 4: what each update of A and B reaches of the task's dependencies."""
    T, seed = int(s["T"]), int(s["seed"])
    assert s["task"] == "temporal_order"
    batch = make_task("temporal_order", seq_len=T).sample(32, np.random.default_rng(seed), T)
    carries = (np.asarray(batch.mask) > 0).any(axis=1)
    reach = page["reach"]
    close(live.labelled(reach, "loss with a target")["x"], np.flatnonzero(carries),
          "steps with targets")
    bars = marks(reach, 0, "Segments")
    for row, run in enumerate("ab"):
        k1, k2 = int(s[f"k1_{run}"]), int(s[f"k2_{run}"])
        windows = []
        for p in tbptt(T, k1, k2).updates:
            carried = carries[p.losses]
            if carried.any():
                windows.append((p.starts[carried].min(), p.losses[carried].max()))
        close(bars[row]["x0"], [lo - 0.45 for lo, _ in windows], f"{run}'s windows' starts")
        close(bars[row]["x1"], [hi + 0.45 for _, hi in windows], f"{run}'s windows' ends")
    # The curves' legends name the window they will train with.
    live.labelled(page["loss"], f"A: k1={s['k1_a']}, k2={s['k2_a']}")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("reach", "loss"), expected_numbers, download="reach")
