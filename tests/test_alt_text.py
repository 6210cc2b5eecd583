"""Text alternatives of the figures: the sentences say what the numbers of a real run say.

Each sentence is checked against numbers taken from the trace by a route of
its own (a single pair of the flow matrix, the engine's cost counters), not
from the sentence's own inputs only.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure

from bpttviz import bptt
from bpttviz.app import CellsApp, SurfaceApp, TrainingApp, TruncationApp, UnfoldingApp, VanishingApp
from bpttviz.app.alt_text import (cost_text, figure_text, flow_text, lag_norms_text, number,
                                  plain, trend, truncation_bias_text)
from bpttviz.app.lessons.common import random_sequence, relative_flow
from bpttviz.models import ElmanRNN
from bpttviz.plots import lag_profile
from bpttviz.schedules import tbptt
from bpttviz.steps import first_overflow as overflow_step

ALL_APPS = (UnfoldingApp, VanishingApp, TruncationApp, TrainingApp, CellsApp, SurfaceApp)


@pytest.fixture(autouse=True)
def no_voila_environment(monkeypatch):
    for name in ("QUERY_STRING", "VOILA_REQUEST_URL"):
        monkeypatch.delenv(name, raising=False)


def run(radius, T=40, activation="tanh", seed=0):
    model = ElmanRNN(1, 8, 1, activation, seed, radius=radius)
    x, y = random_sequence(T, seed, stream=2)
    return model, x, y, bptt(model, x, y)


# -- the words -------------------------------------------------------------------------

def test_number_reads_as_spoken():
    assert number(1.0) == "1"
    assert number(3.14159e-9) == "3.1e-09"
    assert number(0.05) == "0.05"
    assert number(np.inf) == "infinity"
    assert number(-np.inf) == "minus infinity"
    assert number(np.nan) == "not a number"


def test_plain_drops_mathtext_markup():
    assert plain("‖∂loss$_τ$/∂h$_s$‖") == "‖∂lossτ/∂hs‖"
    assert plain("$\\gamma\\sigma_{max}$") == "max"


def test_trend_by_hand():
    assert trend([1.0, 0.5, 0.1], [0, 1, 2], "the norm", "lag") == \
        "the norm falls from 1 at lag 0 to 0.1 at lag 2"
    assert trend([0.1, 0.5, 2.0], [0, 1, 2], "the norm", "lag") == \
        "the norm rises from 0.1 at lag 0 to 2 at lag 2"
    assert trend([1.0, 1.01, 1.0], [0, 1, 2], "the norm", "lag") == \
        "the norm stays near 1 from lag 0 to lag 2"
    assert trend([1.0, 9.0, 0.5], [0, 1, 2], "E", "step") == \
        "E falls from 1 at step 0 to 0.5 at step 2, peaking at 9 at step 1"
    assert trend([1.0, np.nan, 0.5], [0, 1, 2], "E", "step").endswith(
        "(1 of 3 values not finite)")
    assert trend([np.nan, np.inf], [0, 1], "E", "step") == "E has no finite value"
    assert trend([2.0], [7], "E", "step") == "E is 2 at step 7"


def test_trend_rejects_values_and_positions_of_different_shapes():
    with pytest.raises(ValueError, match=r"same shape. Got \(3,\) and \(2,\)"):
        trend([1, 2, 3], [0, 1], "E", "step")


# -- against real runs ---------------------------------------------------------------------

@pytest.mark.parametrize("radius, verb", [(0.5, "falls"), (1.6, "rises")])
def test_lag_sentence_follows_the_gradient_of_a_real_run(radius, verb):
    model, x, y, trace = run(radius, activation="linear" if radius > 1 else "tanh")
    T = len(x)
    lags, median, _, _ = lag_profile(relative_flow(trace.flow))
    text = lag_norms_text(lags, median)
    # Independent route: lag 0 is each loss's own step (relative norm 1); lag T-1 is the single
    # pair (loss T-1, state 0), its norm relative to loss T-1's own state.
    far = trace.flow[T - 1, 0] / trace.flow[T - 1, T - 1]
    assert text == (f"Gradient norm against lag, log scale: median gradient norm {verb} from 1 "
                    f"at lag 0 to {number(far)} at lag {T - 1}.")


def test_flow_sentence_names_the_extremes_the_kept_share_and_the_overflow():
    model, x, y, trace = run(0.5)
    T = len(x)
    text = flow_text(trace.flow)
    low = trace.flow[np.tril_indices(T)].min()
    assert f"over {T} steps" in text
    assert f"{number(trace.flow[T - 1, 0])} at the farthest pair (lag {T - 1})" in text
    assert f"values from {number(low)}" in text
    schedule = tbptt(T, 5, 10)
    kept = flow_text(trace.flow, kept=schedule.kept_any)
    share = schedule.kept_any[np.tril_indices(T)].mean()
    assert f"the schedule keeps {100 * share:.0f}% of the pairs" in kept
    # An exploding linear network overflows float64: the sentence says where.
    big = ElmanRNN(1, 8, 1, "linear", 0, radius=3.0)
    xb, yb = random_sequence(800, 0, stream=2)
    boom = bptt(big, xb, yb)
    step = overflow_step(boom)
    assert step is not None
    assert f"values overflowed from step {step} (marked)" in flow_text(boom.flow,
                                                                         overflow_step=step)


def test_truncation_sentences_follow_the_app_run():
    app = TruncationApp(query="k2=10")
    r = app.result
    text = truncation_bias_text(r.curve.k2, r.curve.cosine, 10, float(r.point.cosine[0]))
    assert text.startswith("Truncation bias against k2: the cosine between the truncated and "
                           "the full gradient rises from")
    assert f"at the chosen k2 = 10 it is {float(r.point.cosine[0]):.3f}." in text
    assert app.alt_text["bias"] == text
    costs = cost_text(r.trace.cost, r.reference_cost)
    c, full = r.trace.cost, r.reference_cost
    assert f"backward steps {c.backward_steps:,} against {full.backward_steps:,}" in costs
    assert f"peak stored floats {c.peak_stored_floats:,} against {full.peak_stored_floats:,}" \
        in costs
    app.close()


def test_figure_text_reads_lines_images_and_skips_reference_lines_and_colour_bars():
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [4.0, 2.0, 1.0], label="loss")
    ax.axhline(3.0, label="threshold")           # in axes coordinates: not data
    image = ax.imshow(np.array([[1.0, 2.0], [3.0, 8.0]]))
    fig.colorbar(image)
    ax.set_title("Training")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    text = figure_text(fig)
    assert text == ("Training (step across, loss up): loss falls from 4 at step 0 to 1 at "
                    "step 2; a 2 by 2 colour map of values from 1 to 8.")


# -- in the apps -------------------------------------------------------------------------------

def test_the_text_alternative_changes_with_the_figure_and_reaches_the_page():
    app = VanishingApp(query="radius=0.5")
    before = app.alt_text["lag"]
    r = app.result
    assert before == lag_norms_text(r.lags, r.lag_median, r.bound,
                                     "the median relative gradient norm")
    assert "falls" in before
    app.set(scale=1.6, activation="linear")
    after = app.alt_text["lag"]
    assert after != before and "rises" in after
    assert "bpttviz-alt-text" in app.alt_widgets["lag"].value
    assert after.split(":")[0] in app.alt_widgets["lag"].value
    assert 'aria-live="polite"' in app.alt_widgets["lag"].value
    app.close()


@pytest.mark.parametrize("cls", ALL_APPS, ids=lambda c: c.__name__)
def test_every_figure_of_every_lesson_has_a_text_alternative(cls):
    app = cls(query="")
    assert set(app.alt_text) == set(app.figures)
    for name, text in app.alt_text.items():
        assert len(text) > 20, (name, text)
        assert "no data shown" not in text, (name, text)
    app.close()
