"""Lesson 5, an Elman network against an LSTM and a GRU: one change runs each cell once on the
same sequence, and each panel shows its flow of the gradient on one colour scale; the Elman
controls change only its panel, the forget gate's bias only the LSTM's.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): the address sets the controls, what its figures show after a
move is what the engine computes here, and a download is Matplotlib's drawing of the figure
shown.
"""

import numpy as np
from live import close, lower_triangle, marks
from page_in_browser import InThePage, PageCase, assert_query_sets_the_controls, in_browser
from page_in_kernel import assert_same_as_a_fresh_page, curves, marks_of

from bpttviz import GRU, LSTM, ElmanRNN, bptt
from bpttviz.app import CellsApp
from bpttviz.figures import records_equal
from bpttviz.lessons import rnn_lstm_gru as comparison_module
from bpttviz.lessons.common import random_sequence
from bpttviz.lessons.rnn_lstm_gru import CELL_NAMES

PAGE = "05_rnn_lstm_gru"


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


def test_after_changes_every_figure_shows_what_a_fresh_page_shows():
    assert_same_as_a_fresh_page(CellsApp, "radius", [1.2, 0.8])


def test_a_cell_kept_for_its_controls_is_run_again_when_one_of_them_changes(counted):
    # The LSTM's and the GRU's runs are kept while the Elman controls move; a control they
    # depend on (the forget bias, H, T, the seed, the input scale) runs them again.
    runs = counted(comparison_module, "bptt")
    app = CellsApp(query="T=20&hidden=8")
    for name, value, cells in (("radius", 1.3, ["ElmanRNN"]), ("activation", "relu", ["ElmanRNN"]),
                               ("radius", 1.0, ["ElmanRNN"]), ("forget_bias", -1.0, ["LSTM"]),
                               ("hidden", 6, ["ElmanRNN", "LSTM", "GRU"]),
                               ("input_scale", 2.0, ["ElmanRNN", "LSTM", "GRU"]),
                               ("seed", 3, ["ElmanRNN", "LSTM", "GRU"]),
                               ("T", 25, ["ElmanRNN", "LSTM", "GRU"])):
        before = len(runs)
        app.widgets[name].value = value
        assert [type(args[0]).__name__ for args, _ in runs[before:]] == cells, name
        fresh = CellsApp(query=app.query_string())
        for figure in app.figures:
            assert records_equal(app.figures[figure].record, fresh.figures[figure].record), \
                (name, figure)
        fresh.close()
    app.close()


# --- in the browser ----------------------------------------------------------------------------
@in_browser
def test_query_parameters_set_the_controls(page, server):
    assert_query_sets_the_controls(page, server, PAGE, "?T=80&forget_bias=-2",
                                   {"T": "80", "forget_bias": "\u22122.0"})


def expected_numbers(s, page):
    """Lesson 5: the flow of an Elman network, an LSTM and a GRU on the same sequence."""
    T, H, seed = int(s["T"]), int(s["hidden"]), int(s["seed"])
    x, y = random_sequence(T, seed, stream=5)
    x = x * float(s["input_scale"])
    models = (ElmanRNN(1, H, 1, s["activation"], seed, radius=float(s["radius"])),
              LSTM(1, H, 1, seed, forget_bias=float(s["forget_bias"])), GRU(1, H, 1, seed))
    for panel, (name, model) in enumerate(zip(("Elman", "LSTM", "GRU"), models)):
        heat = marks(page["flows"], panel, "Heatmap")[0]
        close(heat["values"], lower_triangle(bptt(model, x, y).flow, heat["scale"]["vmin"]),
              f"{name}'s flow heatmap")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("flows",), expected_numbers, download="lag")
