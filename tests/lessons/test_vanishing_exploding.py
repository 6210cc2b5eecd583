"""Lesson 2, vanishing and exploding gradients, in headless Chromium (tests/page_in_browser.py):
what its figures show after a move is what the engine computes here, a download is
Matplotlib's drawing of the figure shown, the spectral radius shortcut sets the scale, and an
overflow is shown where it happened until a preset recovers.
"""

import re

import live
import numpy as np
from live import close, lower_triangle, marks, record
from page_in_browser import (InThePage, PageCase, assert_no_error_shown, in_browser, open_lesson,
                             readout, wait_readout)

from bpttviz import ElmanRNN, bptt
from bpttviz.diagnostics import pascanu_bound, step_jacobians
from bpttviz.lessons.common import random_sequence

PAGE = "02_vanishing_exploding"


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
