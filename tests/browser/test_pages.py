"""Every page in headless Chromium, used as a student would: it renders with no error and
no figure text cut off, a slider moved from the keyboard or by a click on its track redraws
every figure that depends on it (and no other), the address sets the controls, an overflow
shows in the figure, and Play walks the lesson in the browser. What the figures show and
download: test_live_figures.py."""

import pathlib
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from live import TEXT_LOG, drawn, drawn_type, marks, record, wait_redrawn, wait_settled

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSONS = {   # page -> (its figures, the slider a user moves, the figures any move of it changes)
    "01_unfolding": (("network",), "frame", ("network",)),
    "02_vanishing_exploding": (("flow", "lag", "singular_values"), "scale",
                               ("flow", "lag", "singular_values")),
    "03_truncated_bptt": (("flow", "timeline", "bias", "cost"), "k2",
                          ("flow", "timeline", "bias", "cost")),
    "04_training": (("loss", "grad", "reach", "memory"), "k2_a", ("loss", "grad", "reach")),
    "05_rnn_lstm_gru": (("flows", "lag", "jacobian"), "radius", ("flows", "lag", "jacobian")),
    "06_error_surface": (("surface", "slice", "loss", "grad"), "w0",
                         ("surface", "slice", "loss", "grad")),
    # The cost per step changes with k2 only where the windows' leftover at the end does.
    "07_beyond_truncation": (("bias", "cost", "race"), "k2", ("bias",)),
}

#: Figures that the slider of :data:`LESSONS` never changes: the page must not be sent them again.
UNCHANGED = {
    "04_training": ("memory",),            # what a gradient costs does not depend on A's window
    "07_beyond_truncation": ("race",),     # the race's empty axes do not depend on k2
}

#: A control's readout text, or null while it is not there.
READOUT = """(control) => {
  const el = document.querySelector('.bpttviz-control-' + control + ' .widget-readout');
  return el ? el.innerText.trim() : null; }"""

#: The status line's text ('' while it is not there).
STATUS = "(document.querySelector('.bpttviz-status')?.innerText ?? '')"


def test_every_lesson_notebook_is_tested_here():
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(LESSONS) | {"index"}


def open_lesson(page, server, name, query=""):
    """Load a lesson and wait until its app has computed and every figure is drawn."""
    page.goto(f"{server}/voila/render/{name}.ipynb{query}")
    return wait_lesson_ready(page, name)


def wait_lesson_ready(page, name):
    """Wait until the lesson ``name`` loaded in ``page`` has computed and drawn every figure
    (the last records the kernel sent)."""
    page.wait_for_selector(".bpttviz-app .widget-readout")
    figures = LESSONS[name][0]
    page.wait_for_function(
        "(n) => document.querySelectorAll('.bpttviz-app .bpttviz-figure .bpttviz-live')"
        ".length == n", arg=len(figures))
    wait_status(page, "updated|failed")
    wait_settled(page)
    assert set(drawn(page)) == set(figures)
    return page


def wait_status(page, pattern, timeout=None):
    """Wait until the status line matches the regular expression ``pattern``; return its text."""
    page.wait_for_function(f"(p) => new RegExp(p).test({STATUS})", arg=pattern,
                           timeout=timeout)
    return page.locator(".bpttviz-status").inner_text()


def wait_readout(page, control, predicate, arg=None):
    """Wait until ``predicate`` (JS, of the readout text and ``arg``) holds for a control."""
    page.wait_for_function(f"(a) => {{ const t = ({READOUT})('{control}'); "
                           f"return t !== null && ({predicate})(t, a); }}", arg=arg)


def link_query(page) -> dict:
    """The settings in the page's link to its configuration: ``{key: value}``."""
    text = page.locator(".bpttviz-link").inner_text()
    url = re.search(r"\S*\?\S*", text).group(0)
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def query_text(readout_text):
    """A slider's readout as the link writes it: "1.10" -> "1.1", "−2.0" -> "-2", "40" -> "40"."""
    return f"{float(readout_text.replace(chr(0x2212), '-')):.10g}"


def assert_no_error_shown(page):
    assert page.locator(".voila-error").count() == 0
    assert page.locator(".bpttviz-error").count() == 0, page.locator(".bpttviz-error").inner_text()
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error:" not in body
    assert page.js_errors == []


def screenshot(page, artifacts, name):
    """The app scrolled to the top of a 1280x720 window, as a projector shows it."""
    page.evaluate("document.querySelector('.bpttviz-app')?.scrollIntoView()")
    # Two animation frames: the scrolled page has been painted.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(artifacts / f"{name}.png"))


def readout(page, control):
    return page.locator(f".bpttviz-control-{control} .widget-readout").inner_text().strip()


def test_landing_page_links_every_lesson(page, server, artifacts):
    page.goto(f"{server}/voila/render/index.ipynb")
    page.wait_for_selector("a[href$='.ipynb']")
    hrefs = {a.get_attribute("href") for a in page.locator("a[href$='.ipynb']").all()}
    assert hrefs == {f"{name}.ipynb" for name in LESSONS}
    assert_no_error_shown(page)
    page.screenshot(path=str(artifacts / "index.png"))
    page.click(f"a[href='{next(iter(sorted(LESSONS)))}.ipynb']")
    page.wait_for_selector(".bpttviz-app .widget-readout")


def move_by_keyboard(page, control, key="ArrowRight"):
    """Focus a control's slider handle and press ``key``; wait until its readout changed."""
    before = readout(page, control)
    page.locator(f".bpttviz-control-{control} [role=slider]").focus()
    page.keyboard.press(key)
    wait_readout(page, control, "(t, old) => t != old", before)
    return readout(page, control)


def move_by_track(page, control, fraction):
    """Click a control's slider track at ``fraction`` of its length (a jump, as a mouse does);
    wait until its readout changed."""
    before = readout(page, control)
    track = page.locator(f".bpttviz-control-{control} .noUi-target")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
    wait_readout(page, control, "(t, old) => t != old", before)
    return readout(page, control)


def wait_link_names(page, control, value_text):
    """Wait until the page's link names ``control`` at the value its readout shows."""
    page.wait_for_function(
        r"""([key, value]) => { const el = document.querySelector('.bpttviz-link');
             const m = el && el.innerText.match(/\?(\S*)/);
             return !!m && new URLSearchParams(m[1]).get(key) === value; }""",
        arg=[control, query_text(value_text)])


@pytest.mark.parametrize("name", LESSONS)
def test_a_slider_moved_by_keyboard_or_its_track_redraws_every_figure_it_changes(
        page, server, artifacts, name):
    page.add_init_script(TEXT_LOG)
    open_lesson(page, server, name)
    assert_no_error_shown(page)
    screenshot(page, artifacts, name)
    figures, control, changed = LESSONS[name]
    # No text of a figure is cut off at its canvas' edge.
    assert drawn_type(page, {f: record(page, f) for f in figures})["outside"] == []
    start = readout(page, control)
    assert link_query(page)[control] == query_text(start)
    for move in (lambda: move_by_keyboard(page, control),     # one step
                 lambda: move_by_track(page, control, 0.8)):  # a jump, as a drag or a click
        before = drawn(page)
        value = move()
        after = wait_redrawn(page, changed, before)
        wait_status(page, "updated")
        # The link follows: it names the new value of the control moved.
        wait_link_names(page, control, value)
        # Figures the control does not change are not sent again.
        unchanged = UNCHANGED.get(name, ())
        assert {n: drawn(page)[n] for n in unchanged} == {n: before[n] for n in unchanged}
        assert all(after[n] > before[n] for n in changed)
    assert query_text(readout(page, control)) != query_text(start)
    assert_no_error_shown(page)


def test_query_parameters_set_the_controls_and_the_link(page, server):
    open_lesson(page, server, "03_truncated_bptt", "?k1=4&k2=20&T=80")
    assert (readout(page, "k1"), readout(page, "k2"), readout(page, "T")) == ("4", "20", "80")
    link = page.locator(".bpttviz-link").inner_text()
    assert re.search(r"http://127\.0\.0\.1:\d+/voila/render/03_truncated_bptt\.ipynb\?", link)
    assert {k: link_query(page)[k] for k in ("T", "k1", "k2")} == {"T": "80", "k1": "4", "k2": "20"}
    assert page.locator(".bpttviz-notes").inner_text().strip() == ""
    assert_no_error_shown(page)


def test_query_alias_sets_the_spectral_radius(page, server):
    open_lesson(page, server, "02_vanishing_exploding", "?radius=1.1")
    assert readout(page, "scale") == "1.10"
    assert "ρ(Whh) = 1.1" in page.locator(".bpttviz-readout").inner_text()


def test_a_shortcut_contradicted_by_an_explicit_setting_is_reported(page, server):
    open_lesson(page, server, "02_vanishing_exploding", "?radius=1.1&scale_by=sigma")
    assert readout(page, "scale") == "1.00"
    notes = page.locator(".bpttviz-notes").inner_text()
    assert "radius=1.1" in notes and "not used" in notes and "scale_by=sigma" in notes
    assert link_query(page)["scale_by"] == "sigma"
    assert_no_error_shown(page)


def test_unusable_query_parameters_are_reported_not_crashed_on(page, server, artifacts):
    open_lesson(page, server, "03_truncated_bptt", "?k2=abc&T=30&k1=500&colour=red")
    notes = page.locator(".bpttviz-notes").inner_text()
    assert "k2=abc" in notes and "k1=500" in notes and "[1, 30]" in notes and "colour=red" in notes
    assert (readout(page, "T"), readout(page, "k1"), readout(page, "k2")) == ("30", "5", "10")
    assert_no_error_shown(page)
    screenshot(page, artifacts, "03_truncated_bptt-bad-link")


def test_an_overflowing_run_says_where_and_a_preset_recovers(page, server):
    open_lesson(page, server, "02_vanishing_exploding", "?activation=linear&scale=3&T=400")
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


def test_play_walks_the_frames_in_the_browser(page, server):
    open_lesson(page, server, "01_unfolding")
    before = drawn(page)
    caption = record(page, "network")["panels"][0]["title"]
    page.locator(".bpttviz-play button").first.click()
    wait_readout(page, "frame", "(t) => +t >= 2")
    wait_redrawn(page, ["network"], before)
    page.wait_for_function(
        "(old) => document.querySelector('.bpttviz-figure-network .bpttviz-live')"
        "?.bpttvizFigure?.panels[0].title !== old", arg=caption)
    assert record(page, "network")["panels"][0]["title"].startswith("Forward, step ")
    assert_no_error_shown(page)
