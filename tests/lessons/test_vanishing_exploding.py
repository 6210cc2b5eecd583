"""Lesson 2, vanishing and exploding gradients: one BPTT run feeds the flow of the gradient,
its profile against the lag beside Pascanu's bound, and the singular values of each step's
Jacobian; the spectral radius shortcut, the presets, and an overflow shown where it happened.

From Python, as a user drives the page (tests/page_in_kernel.py); then in headless Chromium
(tests/page_in_browser.py): what its figures show after a move is what the engine computes
here, a download is Matplotlib's drawing of the figure shown, the shortcut and an overflow.
"""

import re

import live
import numpy as np
import pytest
from live import close, lower_triangle, marks, record
from page_in_browser import (InThePage, PageCase, assert_no_error_shown, in_browser, open_lesson,
                             readout, wait_readout)
from page_in_kernel import assert_same_as_a_fresh_page, labelled, marks_of, text_of, texts

from bpttviz import ElmanRNN, bptt, figures, max_singular_value, spectral_radius
from bpttviz.app import VanishingApp
from bpttviz.diagnostics import (jacobian_singular_values, lyapunov_exponent, pascanu_bound,
                                 step_jacobians)
from bpttviz.diagnostics import jacobians as jacobians_module
from bpttviz.engine import run_schedule
from bpttviz.lessons import vanishing_exploding as vanishing_module
from bpttviz.lessons.common import random_sequence, relative_flow
from bpttviz.steps import first_overflow as overflow_step

PAGE = "02_vanishing_exploding"


def test_vanishing_one_engine_run_per_change_feeds_every_figure(counted, counted_everywhere):
    app = VanishingApp(query="")
    runs = counted(vanishing_module, "bptt")
    sweeps = counted_everywhere(run_schedule)
    jacobians = counted_everywhere(jacobians_module._jacobians)
    flow_before = marks_of(app, "flow", "Heatmap")[0].values
    app.widgets["scale"].value = 1.5
    # One BPTT run, and the step Jacobians once for both the singular values and lambda.
    assert len(runs) == 1 and len(sweeps) == 1 and len(jacobians) == 1
    r = app.result
    np.testing.assert_array_equal(r.singular_values,
                                  jacobian_singular_values(r.model, r.inputs)[:, 0, :])
    assert r.lyapunov == lyapunov_exponent(r.model, r.inputs)
    assert spectral_radius(r.model.params["W_hh"]) == pytest.approx(1.5)
    below = np.tril(np.ones_like(r.flow, dtype=bool))
    shown = marks_of(app, "flow", "Heatmap")[0].values
    np.testing.assert_allclose(shown[below], r.flow[below])
    assert not np.allclose(flow_before[below], shown[below])
    lags, med, _, _ = figures.lag_profile(relative_flow(r.flow))
    median, bound = marks_of(app, "lag", "Line")
    np.testing.assert_allclose(median.y, med)
    np.testing.assert_allclose(bound.y, pascanu_bound(r.model, lags))
    points = labelled(app, "singular_values", "all singular values")
    assert points.x.size == np.isfinite(r.singular_values).sum()


def test_relative_flow_never_exceeds_the_pascanu_bound():
    app = VanishingApp(query="T=40&scale_by=sigma&scale=0.9")
    r = app.result
    assert max_singular_value(r.model.params["W_hh"]) == pytest.approx(0.9)
    rel = relative_flow(r.flow)
    lag = np.subtract.outer(np.arange(40), np.arange(40))
    below = lag >= 0
    assert np.all(rel[below] <= pascanu_bound(r.model, lag[below]) * (1 + 1e-9))


def test_vanishing_presets_and_radius_alias(counted):
    app = VanishingApp(query="radius=1.1&T=100")
    v = app.values()
    assert (v["scale_by"], v["scale"], v["T"]) == ("radius", 1.1, 100)
    runs = counted(vanishing_module, "bptt")
    app.apply_preset("exploding")
    assert len(runs) == 1
    v = app.values()
    assert (v["activation"], v["scale"]) == ("linear", 1.3)
    assert app.result.lyapunov > 0
    app.apply_preset("vanishing")
    assert app.result.lyapunov < 0 and len(runs) == 2


@pytest.mark.parametrize("query, scale_by, scale, dropped", [
    ("radius=1.1&scale_by=sigma", "sigma", 1.0, "radius=1.1"),
    ("scale_by=sigma&radius=1.1", "sigma", 1.0, "radius=1.1"),
    ("radius=2&scale=0.5", "radius", 0.5, "radius=2"),
    ("sigma=0.5&radius=2", "sigma", 0.5, "radius=2"),
    ("radius=2&sigma=0.5", "radius", 2.0, "sigma=0.5"),
])
def test_vanishing_link_conflicts_follow_the_precedence_and_are_reported(query, scale_by, scale,
                                                                         dropped):
    app = VanishingApp(query=query)
    v = app.values()
    assert (v["scale_by"], v["scale"]) == (scale_by, scale)
    notes = text_of(app.notes.value)
    assert f"{dropped} (which means" in notes and notes.count("not used") == 1
    assert app.message.value == ""


def test_vanishing_overflow_is_shown_where_it_happened():
    app = VanishingApp(query="activation=linear&scale=3&T=400")
    trace = app.result.trace
    step = overflow_step(trace)
    # The backward sweep overflows before the forward pass does.
    assert trace.first_nonfinite is not None and trace.updates[0].first_nonfinite is not None
    assert step == min(trace.first_nonfinite, trace.updates[0].first_nonfinite)
    assert f"overflowed at step {step}" in text_of(app.notes.value)
    # A note may be written on two or three lines where it fits only so: read as words.
    assert f"overflow from step {step}" in " ".join(texts(app, "flow").split())
    assert [m.value for m in marks_of(app, "flow", "Rule")] == [step, step]   # the cross-hair
    assert app.message.value == ""                       # an overflow is a result, not an error
    app.widgets["scale"].value = 0.5
    assert app.notes.value == ""


def test_after_changes_every_figure_shows_what_a_fresh_page_shows():
    assert_same_as_a_fresh_page(VanishingApp, "scale", [1.05, 1.1, 1.6])


# --- in the browser ----------------------------------------------------------------------------
def lag_statistics(M):
    """Median, min and max of a (T, T) matrix along each lag ``tau - s`` (finite values)."""
    T = M.shape[0]
    out = np.full((3, T), np.nan)
    for lag in range(T):
        d = np.diagonal(M, -lag)
        d = d[np.isfinite(d)]
        if d.size:
            out[:, lag] = np.median(d), d.min(), d.max()
    return out


def expected_numbers(s, page):
    """Lesson 2, every figure: the flow, its profile along the lag with the bound, and the
    singular values of each step's Jacobian."""
    T, seed = int(s["T"]), int(s["seed"])
    model = ElmanRNN(1, int(s["hidden"]), 1, s["activation"], seed,
                     input_scale=float(s["input_scale"]), **{s["scale_by"]: float(s["scale"])})
    x, y = random_sequence(T, seed, stream=2)
    flow = bptt(model, x, y).flow
    heat = marks(page["flow"], 0, "Heatmap")[0]
    close(heat["values"], lower_triangle(flow, heat["scale"]["vmin"]), "flow heatmap")

    median, low, high = lag_statistics(flow / np.diag(flow)[:, None])
    lag = page["lag"]
    band = marks(lag, 0, "Band")[0]
    close(band["x"], np.arange(T), "lags")
    close(band["low"], low, "least relative flow per lag")
    close(band["high"], high, "largest relative flow per lag")
    close(live.labelled(lag, "median relative ‖∂loss$_τ$/∂h$_s$‖")["y"], median,
          "median per lag")
    close(live.labelled(lag, "bound $(γσ_{max})^{τ-s}$")["y"],
          pascanu_bound(model, np.arange(T)), "Pascanu's bound")

    sv = np.linalg.svd(step_jacobians(model, x)[:, 0], compute_uv=False)      # (T, H)
    fig = page["singular_values"]
    close(live.labelled(fig, "largest")["y"], sv.max(axis=1), "largest singular value per step")
    close(live.labelled(fig, "smallest")["y"], sv.min(axis=1), "smallest singular value per step")
    every = live.labelled(fig, "all singular values")
    for t in range(T):
        close(np.sort(every["y"][every["x"] == t]), np.sort(sv[t][sv[t] > 0]),
              f"singular values at step {t}")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("flow", "lag", "singular_values"), expected_numbers, download="flow")


@in_browser
def test_query_alias_sets_the_spectral_radius(page, server):
    open_lesson(page, server, PAGE, "?radius=1.1")
    assert readout(page, "scale") == "1.10"
    assert "ρ(Whh) = 1.1" in page.locator(".bpttviz-readout").inner_text()


@in_browser
def test_an_overflowing_run_says_where_and_a_preset_recovers(page, server):
    open_lesson(page, server, PAGE, "?activation=linear&scale=3&T=400")
    notes = page.locator(".bpttviz-notes").inner_text()
    step = int(re.search(r"overflowed at step (\d+)", notes).group(1))
    # The figure shows it: cells that overflowed (in the "over" colour) and a cross-hair there.
    flow = record(page, "flow")
    assert np.isposinf(marks(flow, kind="Heatmap")[0]["values"]).any()
    assert {(r["axis"], r["value"]) for r in marks(flow, kind="Rule")} == {("x", step),
                                                                          ("y", step)}
    assert_no_error_shown(page)
    page.locator(".bpttviz-preset-vanishing").click()
    wait_readout(page, "scale", "(t) => t == '0.60'")
    page.wait_for_function("() => (document.querySelector('.bpttviz-notes')?.innerText ?? 'x')"
                           ".trim() == ''")
    assert readout(page, "T") == "60"
    assert_no_error_shown(page)
