"""The live figures in headless Chromium: what the page draws is what the engine computes, and
what a user downloads is Matplotlib's drawing of what the page draws.

After a slider is moved from the keyboard, each test waits until the figures drew a newer
record (``data-drawn``: a figure whose update never reaches the page fails here), reads the
record the page drew (its arrays decoded as the page has them) and compares its numbers with
the same quantities computed here, in the test process, by bpttviz on the same model and data
as the lesson builds (see ``bpttviz/app/lessons``). The settings are read from the page's own
link, so the link, the controls and the figures must all agree.
"""

import base64
import pathlib

import numpy as np
import pytest
from live import (CANVAS_DRAWN, drawn, labelled, marks, pixels_differ, png_pixels, rebuild,
                  record, svg_geometry, svg_images, svg_texts, texts, wait_redrawn, wait_settled)
from test_pages import (LESSONS, assert_no_error_shown, link_query, move_by_keyboard,
                        open_lesson, wait_link_names)

from bpttviz import GRU, LSTM, ElmanRNN, bptt, make_task, plots
from bpttviz.lessons.common import random_sequence
from bpttviz.diagnostics import (cliff_descent, pascanu_bound, step_jacobians,
                                 truncation_bias)
from bpttviz.schedules import tbptt

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The page's numbers are float32 where the values fit it: seven significant digits.
RTOL = 1e-6


def close(page_values, expected, what):
    np.testing.assert_allclose(np.asarray(page_values, dtype=float),
                               np.asarray(expected, dtype=float), rtol=RTOL, atol=0,
                               equal_nan=True, err_msg=what)


def lower_triangle(flow, vmin):
    """A flow matrix as its heatmap shows it: the lower triangle, values below the colour
    scale's floor at the floor, the rest blank (NaN)."""
    T = flow.shape[0]
    return np.where(np.tril(np.ones((T, T), dtype=bool)), np.maximum(flow, vmin), np.nan)


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


# --- what each lesson's figures must show, computed here -------------------------------------
def unfolding(s, page):
    """Lesson 1 at the last frame: each copy's share of the W_hh gradient and their sum."""
    T, seed = int(s["T"]), int(s["seed"])
    assert int(s["frame"]) == 2 * T                 # the frame that shows the sum
    model = ElmanRNN(1, int(s["hidden"]), 1, s["activation"], seed, radius=float(s["radius"]))
    x, y = random_sequence(T, seed, stream=1)
    trace = bptt(model, x, y)
    u = trace.updates[0]
    net = page["network"]
    close(marks(net, 1, "Rects")[0]["y1"], u.whh_norms, "each copy's share of dL/dW_hh")
    close(marks(net, 2, "Heatmap")[0]["values"], u.grads["W_hh"][::-1], "the sum dL/dW_hh")
    norms = np.linalg.norm(trace.hidden[:, 0], axis=-1)
    shown = [t["text"] for t in marks(net, 0, "Text") if t["text"].startswith("‖h‖=")]
    assert shown == [f"‖h‖={v:.2g}" for v in norms]


def vanishing(s, page):
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
    close(labelled(lag, "median relative ‖∂loss$_τ$/∂h$_s$‖")["y"], median, "median per lag")
    close(labelled(lag, "bound $(γσ_{max})^{τ-s}$")["y"], pascanu_bound(model, np.arange(T)),
          "Pascanu's bound")

    sv = np.linalg.svd(step_jacobians(model, x)[:, 0], compute_uv=False)      # (T, H)
    fig = page["singular_values"]
    close(labelled(fig, "largest")["y"], sv.max(axis=1), "largest singular value per step")
    close(labelled(fig, "smallest")["y"], sv.min(axis=1), "smallest singular value per step")
    every = labelled(fig, "all singular values")
    for t in range(T):
        close(np.sort(every["y"][every["x"] == t]), np.sort(sv[t][sv[t] > 0]),
              f"singular values at step {t}")


def truncated(s, page):
    """Lesson 3, every figure: the flow with what TBPTT(k1, k2) keeps, its updates, the bias
    of its gradient against k2, and what it costs against full BPTT."""
    T, seed, k1, k2 = int(s["T"]), int(s["seed"]), int(s["k1"]), int(s["k2"])
    assert s["schedule"] == "tbptt"
    model = ElmanRNN(1, int(s["hidden"]), 1, "tanh", seed, radius=float(s["radius"]),
                     input_scale=0.5)
    x, y = random_sequence(T, seed, stream=3)
    schedule = tbptt(T, k1, k2)
    trace = bptt(model, x, y, schedule=schedule)
    below = np.tril(np.ones((T, T), dtype=bool))

    flow = page["flow"]
    heat = marks(flow, 0, "Heatmap")[0]
    close(heat["values"], lower_triangle(bptt(model, x, y).flow, heat["scale"]["vmin"]),
          "flow heatmap")
    np.testing.assert_array_equal(marks(flow, 0, "Mask")[0]["where"] > 0,
                                  below & ~schedule.kept_any, "pairs the schedule drops")

    timeline = page["timeline"]
    plans = schedule.updates
    assert sorted(labelled(timeline, "loss injected")["x"]) == sorted(
        int(t) for p in plans for t in p.losses)
    close(labelled(timeline, "update happens")["x"], [p.step - 0.5 for p in plans],
          "the steps of the updates")
    bars = labelled(timeline, "states a loss reaches")
    assert sorted(zip(bars["x0"] + 0.5, bars["x1"] - 0.5)) == sorted(
        (int(a), int(t)) for p in plans for a, t in zip(p.starts, p.losses) if a <= t)

    bias = page["bias"]
    cosine = labelled(bias, "cos(truncated, full)")
    grid = cosine["x"].astype(int)
    names = model.cell.param_names
    curve = truncation_bias(model, x, y, grid, k1=k1, combine="mean", params=names)
    close(cosine["y"], curve.cosine, "cosine to the full gradient against k2")
    close(labelled(bias, "‖truncated‖/‖full‖")["y"], curve.norm_ratio, "norm ratio against k2")
    here = labelled(bias, "this schedule")
    point = truncation_bias(model, x, y, [k2], k1=k1, combine="mean", params=names)
    assert list(here["x"]) == [k2]
    close(here["y"], point.cosine, "this schedule's cosine")

    c, ref = trace.cost, bptt(model, x, y, record=False).cost
    close(labelled(page["cost"], "this schedule")["x1"],
          [c.forward_steps / ref.forward_steps, c.backward_steps / ref.backward_steps,
           c.peak_stored_floats / ref.peak_stored_floats], "cost relative to full BPTT")


def training(s, page):
    """Lesson 4: what each update of A and B reaches of the task's dependencies."""
    T, seed = int(s["T"]), int(s["seed"])
    assert s["task"] == "temporal_order"
    batch = make_task("temporal_order", seq_len=T).sample(32, np.random.default_rng(seed), T)
    carries = (np.asarray(batch.mask) > 0).any(axis=1)
    reach = page["reach"]
    close(labelled(reach, "loss with a target")["x"], np.flatnonzero(carries), "steps with targets")
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
    labelled(page["loss"], f"A: k1={s['k1_a']}, k2={s['k2_a']}")


def cells(s, page):
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


def surface(s, page):
    """Lesson 6: the error along each descent path, and the paths over the surface."""
    start = {"w0": float(s["w0"]), "b0": float(s["b0"]), "lr": float(s["lr"]),
             "steps": int(s["steps"]), "T": int(s["T"])}
    paths = {"without clipping": cliff_descent(**start),
             "with clipping": cliff_descent(**start, clip=float(s["clip"]))}
    for label, path in paths.items():
        loss = np.where(path.loss > 0, path.loss, np.nan)        # a log axis shows no zero
        close(labelled(page["loss"], label)["y"], loss, f"error along the path {label}")
        line = labelled(page["surface"], label)
        close(line["x"], path.w, f"w along the path {label}")
        close(line["y"], path.b, f"b along the path {label}")
    star = labelled(page["surface"], "start")
    close([star["x"][0], star["y"][0]], [start["w0"], start["b0"]], "the start")


def beyond(s, page):
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
    close(labelled(bias, "TBPTT, every k2 (no spread)")["y"], curve.cosine,
          "TBPTT's cosine for every k2")
    tb = labelled(bias, "TBPTT")
    close([tb["x"][0], tb["y"][0]], [0.0, curve.cosine[k2 - 1]], "TBPTT at this k2")
    rtrl = labelled(bias, "RTRL")
    np.testing.assert_allclose([rtrl["x"][0], rtrl["y"][0]], [0.0, 1.0], atol=1e-6)


#: page -> (query, the figures compared, the computation here). The slider moved is the page's
#: slider of test_pages.LESSONS, one step to the right.
NUMBERS = {
    "01_unfolding": ("?frame=9", ("network",), unfolding),
    "02_vanishing_exploding": ("", ("flow", "lag", "singular_values"), vanishing),
    "03_truncated_bptt": ("", ("flow", "timeline", "bias", "cost"), truncated),
    "04_training": ("", ("reach", "loss"), training),
    "05_rnn_lstm_gru": ("", ("flows",), cells),
    "06_error_surface": ("", ("surface", "loss"), surface),
    "07_beyond_truncation": ("", ("bias",), beyond),
}


def test_every_lesson_has_its_numbers_checked():
    assert set(NUMBERS) == set(LESSONS)


def move_and_read(page, name, figures):
    """Move the lesson's slider one step from the keyboard; once each figure drew the record of
    the new value, return the page's settings and records."""
    control = LESSONS[name][1]
    before = drawn(page)
    value = move_by_keyboard(page, control)
    wait_redrawn(page, figures, before)
    wait_link_names(page, control, value)
    return link_query(page), {f: record(page, f) for f in figures}


@pytest.mark.parametrize("name", NUMBERS)
def test_figures_show_the_numbers_the_engine_computes(page, server, name):
    query, figures, expected = NUMBERS[name]
    open_lesson(page, server, name, query)
    settings, records = move_and_read(page, name, figures)
    expected(settings, records)
    assert_no_error_shown(page)


# --- downloads ---------------------------------------------------------------------------------
#: page -> the figure downloaded (after a keyboard move of the page's slider).
DOWNLOADS = {
    "01_unfolding": "network",
    "02_vanishing_exploding": "flow",
    "03_truncated_bptt": "timeline",
    "04_training": "reach",
    "05_rnn_lstm_gru": "lag",
    "06_error_surface": "loss",
    "07_beyond_truncation": "bias",
}


def download(page, name, figure, fmt):
    """Click the figure's save button as a user, then the link it offers; the file's bytes."""
    box = page.locator(f".bpttviz-figure-{figure}")
    box.locator(f".bpttviz-save-{fmt}").click()
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    link = box.locator(f"a.bpttviz-download[href^='data:{mime};base64,']")
    link.wait_for()
    href = link.get_attribute("href")
    with page.expect_download() as d:
        link.click()
    slug = name.split("_", 1)[1].replace("_", "-")
    assert d.value.suggested_filename == f"bpttviz-{slug}-{figure}.{fmt}"
    data = pathlib.Path(d.value.path()).read_bytes()
    assert data == base64.b64decode(href.split(",", 1)[1])
    return data


def same_drawing(svg_a: str, svg_b: str) -> bool:
    """Whether two Matplotlib SVGs draw the same: the same elements and texts, numbers equal
    within a thousandth of a point, the same embedded images."""
    (ka, na), (kb, nb) = svg_geometry(svg_a), svg_geometry(svg_b)
    if ka != kb or na.shape != nb.shape or not np.allclose(na, nb, rtol=0, atol=1e-3):
        return False
    ia, ib = svg_images(svg_a), svg_images(svg_b)
    return len(ia) == len(ib) and all(pixels_differ(a, b) == 0 for a, b in zip(ia, ib))


@pytest.mark.parametrize("name", DOWNLOADS)
def test_a_download_is_matplotlibs_drawing_of_the_figure_the_page_shows(page, server, name):
    figure = DOWNLOADS[name]
    open_lesson(page, server, name, NUMBERS[name][0])
    old = rebuild(record(page, figure))
    # After a move the page shows a new record: the download must be of that one.
    _, records = move_and_read(page, name, (figure,))
    shown = rebuild(records[figure])

    png = png_pixels(download(page, name, figure, "png"))
    assert png.shape[:2] == (shown.height, shown.width)
    # The page's numbers are float32: a few pixels of an edge may differ by a shade.
    expected = png_pixels(plots.save(shown, fmt="png"))
    assert pixels_differ(png, expected) < 5e-4 and pixels_differ(png, expected, 0.1) < 1e-4
    # ... and not of the record shown before the move (the check tells them apart).
    assert pixels_differ(png, png_pixels(plots.save(old, fmt="png"))) > 5e-4

    svg = download(page, name, figure, "svg").decode()
    words = set(svg_texts(svg))
    assert set(texts(records[figure])) <= words, set(texts(records[figure])) - words
    assert same_drawing(svg, plots.save(shown, fmt="svg").decode())
    assert not same_drawing(svg, plots.save(old, fmt="svg").decode())
    assert_no_error_shown(page)


# --- the network -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["02_vanishing_exploding", "06_error_surface"])
def test_figures_draw_with_no_request_leaving_the_machine(page, server, name):
    outside = []

    def local_only(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "blob:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", local_only)
    open_lesson(page, server, name)
    figures, control, changed = LESSONS[name]
    for figure in figures:
        assert page.evaluate(CANVAS_DRAWN, figure), figure
    before = drawn(page)
    move_by_keyboard(page, control)
    wait_redrawn(page, changed, before)
    wait_settled(page)
    assert outside == []
    assert_no_error_shown(page)
