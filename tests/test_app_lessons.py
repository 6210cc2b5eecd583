"""Lessons 4-6 driven from Python as a user drives them from the page.

Setting a widget's value is what the browser does when a user moves a
control; clicking a button calls its handlers. Engine and training runs are
counted by wrapping the function each lesson module calls. What a figure
shows is read from the record its live figure shows.
"""

import asyncio

import numpy as np
import pytest

from bpttviz import bptt
from bpttviz.app import CellsApp, SurfaceApp, TrainingApp
from bpttviz.lessons import error_surface as surface_module
from bpttviz.lessons import rnn_lstm_gru as comparison_module
from bpttviz.lessons import training as training_module
from bpttviz.lessons.error_surface import VIEWS, surface_grid
from bpttviz.lessons.rnn_lstm_gru import CELL_NAMES
from bpttviz.lessons.training import (LESSON_TASKS, checkpoint_intervals, lesson_task,
                                          needed_spans, update_windows)
from bpttviz.diagnostics import cliff_descent, cliff_loss
from bpttviz.engine import run_schedule
from bpttviz.schedules import tbptt
from bpttviz.training import train
# The same helpers as lessons 1-3: QUERY_STRING cleared, calls counted, text of HTML, the
# marks a figure shows, clicks from the page, and a changed page compared with a fresh one.
from test_app import (click, counted, counted_everywhere, labelled, marks_of,  # noqa: F401
                      no_voila_environment, text_of, texts, versions)
from test_app import \
    test_after_changes_every_figure_shows_what_a_fresh_page_shows as same_as_a_fresh_page


QUICK = "updates=40&T=12&k1_a=12&k2_a=3&k1_b=12&k2_b=12"


def curves(app, name):
    """The labelled data lines of a figure the page shows (one per series)."""
    return [m for m in marks_of(app, name, "Line") if m.label and m.dash == "solid"]


# --- lesson 4: the task, the windows and the memory -----------------------------------------

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


# --- lesson 4: training ------------------------------------------------------------------

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


# --- lesson 5: RNN vs LSTM vs GRU --------------------------------------------------------------

def test_cells_one_change_runs_each_cell_once_and_every_panel_shows_its_flow(counted):
    app = CellsApp(query="T=30")
    runs = counted(comparison_module, "bptt")
    app.widgets["hidden"].value = 8
    assert len(runs) == 3 and app.runs == 2
    assert [type(args[0]).__name__ for args, _ in runs] == ["ElmanRNN", "LSTM", "GRU"]
    panels = app.figures["flows"].record.panels
    heatmaps = [marks_of(app, "flows", "Heatmap", panel=i)[0] for i in range(len(panels))]
    assert [p.title for p in panels] == list(CELL_NAMES)
    scale = heatmaps[0].scale
    below = np.tril(np.ones((30, 30), dtype=bool))
    for heatmap, c in zip(heatmaps, app.result.runs):
        same = (heatmap.scale.norm, heatmap.scale.vmin, heatmap.scale.vmax)
        assert same == (scale.norm, scale.vmin, scale.vmax)     # one colour scale for the three
        ok = below & (c.flow > scale.vmin)
        np.testing.assert_allclose(heatmap.values[ok], c.flow[ok])
        assert np.all(c.flow[below] <= scale.vmax)
    assert [m.scale.colorbar for m in heatmaps] == [False, False, True]     # one colour bar
    assert [line.label for line in curves(app, "lag")] == list(CELL_NAMES)


def test_elman_controls_change_only_the_elman_panel_and_forget_bias_only_the_lstm():
    app = CellsApp(query="T=30")
    before = [c.flow.copy() for c in app.result.runs]
    app.widgets["radius"].value = 1.3
    after = [c.flow for c in app.result.runs]
    assert not np.allclose(before[0], after[0], equal_nan=True)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_array_equal(before[2], after[2])
    app.widgets["forget_bias"].value = -2.0
    again = [c.flow for c in app.result.runs]
    np.testing.assert_array_equal(after[0], again[0])
    assert not np.allclose(after[1], again[1])
    np.testing.assert_array_equal(after[2], again[2])
    assert app.result.runs[1].model.forget_bias == -2.0


def test_the_lstm_carries_errors_further_and_forgets_when_its_gate_closes():
    app = CellsApp(query="T=100")
    elman, lstm, gru = (c.lag_median[-1] for c in app.result.runs)
    assert lstm > 1e3 * max(elman, gru)
    app.apply_preset("LSTM that forgets")
    assert app.result.runs[1].lag_median[-1] < 1e-3 * lstm


def test_cells_lag_plot_and_jacobian_plot_show_the_runs():
    app = CellsApp(query="T=20&activation=relu")
    for line, c in zip(curves(app, "lag"), app.result.runs):
        np.testing.assert_allclose(line.y, np.where(c.lag_median > 0, c.lag_median, np.nan))
    for line, c in zip(curves(app, "jacobian"), app.result.runs):
        np.testing.assert_allclose(line.y, c.singular_values.max(axis=1))
    assert app.result.runs[0].model.activation == "relu"


# --- lesson 6: the error surface -------------------------------------------------------------

def test_the_surface_is_computed_once_per_range_and_the_paths_once_per_change(counted):
    app = SurfaceApp(query="")
    descents = counted(surface_module, "cliff_descent")
    slices = counted(surface_module, "cliff_loss")
    assert app.surface_runs == 1
    # What each change computes: (paths without clipping, paths with it, slices).
    for name, value, work in (("lr", 0.2, (1, 1, 0)), ("clip", 1.0, (0, 1, 0)),
                              ("steps", 50, (1, 1, 0)), ("w0", 5.5, (1, 1, 1)),
                              ("b0", -2.0, (1, 1, 0)), ("clip", 0.5, (0, 1, 0))):
        before = len(descents), len(slices)
        app.widgets[name].value = value
        new = descents[before[0]:]
        assert (sum("clip" not in kw for _, kw in new), sum("clip" in kw for _, kw in new),
                len(slices) - before[1]) == work, name
    assert app.surface_runs == 1
    app.widgets["view"].value = "wide"
    assert app.surface_runs == 2
    app.widgets["view"].value = "cliff"                         # kept from before
    app.widgets["T"].value = 30
    assert app.surface_runs == 3 and app.runs == 10


def test_what_a_new_threshold_keeps_is_what_it_would_compute():
    app = SurfaceApp(query="")
    free = app.result.paths[0]
    app.widgets["clip"].value = 2.0
    assert app.result.paths[0] is free                           # kept, not recomputed
    v = app.values()
    start = dict(lr=v["lr"], steps=v["steps"], T=v["T"])
    again = cliff_descent(v["w0"], v["b0"], **start)
    clipped = cliff_descent(v["w0"], v["b0"], clip=2.0, **start)
    for kept, fresh in ((app.result.paths[0], again), (app.result.paths[1], clipped)):
        np.testing.assert_array_equal(kept.w, fresh.w)
        np.testing.assert_array_equal(kept.loss, fresh.loss)
    np.testing.assert_array_equal(app.result.slice_loss, cliff_loss(v["w0"], app.result.b,
                                                                     T=v["T"]))
    np.testing.assert_array_equal(labelled(app, "surface", "with clipping").x, clipped.w)
    assert app.widgets["steps"].description == "gradient steps"


def test_the_figures_show_the_surface_and_both_paths():
    app = SurfaceApp(query="w0=5&b0=-3&lr=0.1&clip=0.5&steps=60")
    w, b, loss = surface_grid("cliff", 50)
    np.testing.assert_allclose(marks_of(app, "surface", "Heatmap")[0].values, loss)
    np.testing.assert_allclose(loss[7, 11], cliff_loss(w[11], b[7]))
    free = cliff_descent(5.0, -3.0, lr=0.1, steps=60)
    clipped = cliff_descent(5.0, -3.0, lr=0.1, steps=60, clip=0.5)
    for label, p in zip(("without clipping", "with clipping"), (free, clipped)):
        line = labelled(app, "surface", label)
        np.testing.assert_allclose(line.x, p.w)
        np.testing.assert_allclose(line.y, p.b)
    fired = np.flatnonzero(clipped.clipped)
    assert fired.size > 0
    marked, = marks_of(app, "grad", "Points")           # only the clipped path has marks
    np.testing.assert_array_equal(marked.x, fired)
    threshold = [m for m in marks_of(app, "grad", "Line") if m.dash == "dotted" and m.x.size]
    assert [m.y.tolist() for m in threshold] == [[0.5, 0.5]]
    np.testing.assert_allclose(labelled(app, "slice", "E at the start's w").y, cliff_loss(5.0, b))


def test_the_default_shows_the_cliff_throwing_the_unclipped_path_away():
    app = SurfaceApp(query="")
    free, clipped = app.result.paths
    assert np.nanmax(free.grad_norm) > 100 * app.values()["clip"]
    assert clipped.loss[-1] < 0.1 * free.loss[-1]
    assert "without clipping: leaves the view at step" in texts(app, "surface")
    assert "with clipping: leaves" not in texts(app, "surface")


def test_a_view_keeps_the_start_inside_it():
    app = SurfaceApp(query="w0=9&b0=1")
    app.widgets["view"].value = "close-up"
    (w_lo, w_hi), (b_lo, b_hi) = VIEWS["close-up"]
    v = app.values()
    assert w_lo <= v["w0"] <= w_hi and b_lo <= v["b0"] <= b_hi
    assert app.widgets["w0"].min == w_lo and app.widgets["w0"].max == w_hi
    app.widgets["view"].value = "wide"
    assert app.widgets["b0"].min == VIEWS["wide"][1][0] and app.message.value == ""


def test_a_click_on_the_surface_moves_the_start(counted):
    app = SurfaceApp(query="")
    descents = counted(surface_module, "cliff_descent")
    click(app.figures["surface"], {"type": "click", "panel": 0, "x": 6.012, "y": -2.49})
    assert (app.values()["w0"], app.values()["b0"]) == (6.0, -2.5) and len(descents) == 2
    start = labelled(app, "surface", "start")
    assert (start.x.tolist(), start.y.tolist()) == ([6.0], [-2.5])
    assert "w0=6&b0=-2.5" in app.query_string()
    click(app.figures["loss"], {"type": "click", "panel": 0, "x": 5.0, "y": 0.1})
    click(app.figures["surface"], {"type": "click", "panel": 1, "x": 5.0, "y": -3.0})
    assert len(descents) == 2 and app.message.value == ""      # elsewhere: nothing happens
    click(app.figures["surface"], {"type": "click", "panel": 0, "x": 99.0, "y": -99.0})
    (w_lo, w_hi), (b_lo, b_hi) = VIEWS["cliff"]
    assert (app.values()["w0"], app.values()["b0"]) == (w_hi, b_lo)   # kept inside the view


def test_surface_query_and_errors_in_the_page():
    app = SurfaceApp(query="view=wide&w0=11&lr=5")
    v = app.values()
    assert v["view"] == "wide" and v["w0"] == 11.0 and "lr=5" in text_of(app.notes.value)


# --- every lesson -----------------------------------------------------------------------------

@pytest.mark.parametrize("cls, control, values", [
    (TrainingApp, "k2_a", [6, 12]),
    (TrainingApp, "task", ["sine", "copy_memory"]),
    (CellsApp, "radius", [1.2, 0.8]),
    (SurfaceApp, "w0", [5.5, 7.0]),
    (SurfaceApp, "view", ["wide"]),
], ids=["training-k2", "training-task", "cells-radius", "surface-w0", "surface-view"])
def test_after_changes_every_figure_shows_what_a_fresh_page_shows(cls, control, values):
    same_as_a_fresh_page(cls, control, values)


@pytest.mark.parametrize("cls", [TrainingApp, CellsApp, SurfaceApp])
def test_every_preset_runs_without_an_error(cls):
    app = cls(query="")
    for name in cls.presets:
        app.apply_preset(name)
        assert app.message.value == "", (name, app.message.value)


@pytest.mark.parametrize("cls", [TrainingApp, CellsApp, SurfaceApp])
def test_figures_download_and_the_link_reproduces_the_configuration(cls):
    app = cls(query="")
    name = next(iter(app.figures))
    assert app.savers[name].render("png").startswith(b"\x89PNG")
    assert cls(query=app.query_string()).values() == app.values()


@pytest.mark.parametrize("cls, control, value, redrawn", [
    (TrainingApp, "k2_a", 8, {"reach", "loss", "grad"}),
    (TrainingApp, "hidden", 8, {"memory"}),
    (TrainingApp, "seed", 3, set()),              # new weights, the same figures: none sent
    (TrainingApp, "T", 30, {"reach", "memory"}),  # the empty curves do not depend on T
    (SurfaceApp, "lr", 0.2, {"surface", "loss", "grad"}),
    (SurfaceApp, "b0", -2.0, {"surface", "slice", "loss", "grad"}),
])
def test_a_change_sends_only_the_figures_it_changes(cls, control, value, redrawn):
    app = cls(query="")
    before = versions(app)
    app.widgets[control].value = value
    after = versions(app)
    assert {name for name in after if after[name] != before[name]} == redrawn
    assert all(after[name] - before[name] <= 1 for name in after)       # each sent once
    assert app.message.value == ""
