"""Text alternatives of the figures: the sentences say what the numbers of a real run say.

Each sentence is checked against numbers taken from the trace by a route of
its own (a single pair of the flow matrix, the engine's cost counters), not
from the sentence's own inputs only.
"""

import numpy as np
import pytest

from bpttviz import bptt
from bpttviz import figures as F
from bpttviz.app import LessonApp, TruncationApp, VanishingApp
from bpttviz.figures.alt_text import (MAX_CHARS, cost_text, figure_text, flow_text, lag_norms_text,
                                  number, plain, position, trend, truncation_bias_text)
from bpttviz.lessons import LESSONS
from bpttviz.lessons.common import random_sequence, relative_flow
from bpttviz.figures import lag_profile
from bpttviz.models import ElmanRNN
from bpttviz.schedules import tbptt
from bpttviz.steps import first_overflow as overflow_step
from bpttviz.tasks import TemporalOrder

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


@pytest.mark.parametrize("x, said", [
    (300, "300"), (300.0, "300"), (0, "0"), (-4, "-4"), (12.5, "12.5"), (0.25, "0.25"),
    (123456, "123456"), (2.0 ** 40, "1099511627776"), (1 / 3, "0.3333"), (1e-5, "1e-05"),
    (2.5e7, "25000000"), (1234567.5, "1.2e+06"), (np.inf, "infinity"),
    (np.nan, "not a number"),
])
def test_position_reads_as_a_reader_counts(x, said):
    assert position(x) == said


def test_plain_drops_mathtext_markup():
    assert plain("‖∂loss$_τ$/∂h$_s$‖") == "‖∂lossτ/∂hs‖"
    assert plain("$\\gamma\\sigma_{max}$") == "γσmax"     # names read as their letters
    assert plain("$h_0 = \\tanh(x)$ $\\mathrm{relu}$") == "h0 = tanh(x) relu"


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


def test_positions_in_a_trend_are_plain_numbers():
    text = trend(np.linspace(2.0, 0.5, 301), np.arange(301), "the loss", "update")
    assert text == "the loss falls from 2 at update 0 to 0.5 at update 300"
    assert "e+" not in trend([1.0, 9.0, 1.0], [0, 1250, 2500], "E", "update")


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


def test_flow_sentence_says_which_losses_carry_no_target():
    # Temporal order scores the last step only: 29 of the 30 losses do not exist.
    task = TemporalOrder(seq_len=30)
    batch = task.sample(4, np.random.default_rng(0))
    trace = bptt(ElmanRNN(task.n_in, 8, task.n_out, seed=0), batch.inputs, batch.targets,
                 loss=batch.loss, mask=batch.mask)
    text = flow_text(trace.flow)
    assert "; losses at 29 of 30 steps have no target (no loss), their rows left blank" in text
    assert f"{number(trace.flow[29, 0])} at the farthest pair (lag 29)" in text
    assert text == flow_text(trace.flow, carries=trace.carries)
    described = figure_text(F.flow(trace.flow))
    assert described.endswith("; no loss at this step in 29 of 30 rows.")
    # A run whose every loss has a target says nothing of the kind, even where it overflowed.
    dense = run(0.5)[3]
    big = ElmanRNN(1, 8, 1, "linear", 0, radius=3.0)
    xb, yb = random_sequence(800, 0, stream=2)
    boom = bptt(big, xb, yb).flow                   # its last loss is NaN at every state
    assert np.isnan(boom[-1]).all()
    for flow in (dense.flow, boom):
        assert "no target" not in flow_text(flow)
        assert "no loss" not in figure_text(F.flow(flow))


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


def panel(marks, title="Training", x="step", y="loss", **kwargs):
    return F.Panel(F.Axis(x, (0.0, 2.0)), F.Axis(y, (0.0, 10.0)), marks, title=title, **kwargs)


def test_figure_text_reads_lines_and_colour_maps_and_skips_levels_and_rules():
    fig = F.Figure((panel((
        F.Line([0, 1, 2], [4.0, 2.0, 1.0], label="loss"),
        F.Line([0, 2], [3.0, 3.0], label="baseline"),        # a level, not data
        F.Rule(3.0, "y", label="threshold"),
        F.Heatmap([[1.0, 2.0], [3.0, 8.0]], (0, 2, 0, 10),
                  F.ColourScale(label="the colour bar's label"))),),))
    assert figure_text(fig) == ("Training (step across, loss up): loss falls from 4 at step 0 to "
                                "1 at step 2; a 2 by 2 colour map of values from 1 to 8.")


def test_figure_text_reads_marks_texts_second_axes_and_every_panel():
    first = panel((F.Points([0, 1, 2], [1, 2, 3], label="loss injected"),
                   F.Points([1], [1]),                          # unlabelled: decoration
                   F.Rects([0, 1], [0.5, 1.5], [0, 0], [3, 4]),  # unlabelled: bars
                   F.Text(0.5, 0.5, "overflow from\nstep $τ$ = 3", "axes")), title="Left")
    second = panel((F.Line([0, 1, 2], [1.0, 1.0, 1.0], axis="y2"),), title="$k_2$ right",
                   x="update", y2=F.Axis("norm ratio", (0.1, 10.0), "log"),
                   cell=(0, 1, 1, 1))
    empty = panel((), title="", y="", cell=(0, 2, 1, 1))
    text = figure_text(F.Figure((first, second, empty), cols=(1.0, 1.0, 1.0)))
    assert text == ("Left (step across, loss up): loss injected: 3 marks; 2 bars; overflow from "
                    "step τ = 3. k2 right (update across, loss up): norm ratio stays near 1 from "
                    "update 0 to update 2. A plot: no data shown.")


def test_figure_text_of_a_long_training_curve_counts_updates_in_plain_numbers():
    record = F.lines(np.arange(2001), [np.linspace(1.0, 0.01, 2001)], ["A"], xlabel="update",
                     ylabel="loss", title="Loss while training")
    text = figure_text(record)
    assert "A falls from 1 at update 0 to 0.01 at update 2000" in text and "e+" not in text


def test_a_long_figure_text_is_cut_to_what_a_screen_reader_reads_at_each_change():
    lines = [F.Line([0, 1], [1.0, float(i + 2)], label=f"series number {i}") for i in range(40)]
    text = figure_text(F.Figure((panel(tuple(lines)),)))
    assert MAX_CHARS - 10 < len(text) <= MAX_CHARS and text.endswith("…")


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
    # The page names the figure by it and announces it (figure.js: role=img, a polite live region).
    assert app.figures["lag"].description == after
    app.close()


def test_positions_in_a_lessons_text_alternatives_read_as_plain_numbers():
    app = VanishingApp(query="T=200&scale=0.5")
    assert "at lag 199" in app.alt_text["lag"]
    assert "at step 199" in app.alt_text["singular_values"]
    assert not any("e+" in position for text in app.alt_text.values()
                   for position in text.split(" at ")[1:])
    app.close()


@pytest.mark.parametrize("cls", LESSONS.values(), ids=lambda cls: cls.slug)
def test_every_figure_of_every_lesson_has_a_text_alternative(cls):
    app = LessonApp(query="", lesson=cls)
    assert set(app.alt_text) == set(app.figures)
    for name, text in app.alt_text.items():
        assert len(text) > 20, (name, text)
        assert "no data shown" not in text, (name, text)
        assert app.figures[name].description == text, name
    app.close()
