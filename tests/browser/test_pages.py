"""Every page in headless Chromium, used as a student would: it renders with no error,
a slider moved from the keyboard redraws a figure, the address sets the controls,
figures download, and Play walks the lesson in the browser."""

import pathlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSONS = {   # page -> (figures, the slider a user moves, the figure it redraws)
    "01_unfolding": (1, "frame", "network"),
    "02_vanishing_exploding": (3, "scale", "flow"),
    "03_truncated_bptt": (4, "k2", "timeline"),
    "04_training": (4, "k2_a", "reach"),
    "05_rnn_lstm_gru": (3, "radius", "flows"),
    "06_error_surface": (4, "w0", "surface"),
    "07_beyond_truncation": (3, "k2", "bias"),
}

# Every JavaScript predicate below returns false or null, never throws, while the page is not
# ready yet (an element missing, a canvas of width 0): an exception would end Playwright's wait.

#: The image of the first canvas under ``sel``, or null while there is none to read.
CANVAS_DATA = """(sel) => { try {
    const c = document.querySelector(sel + ' canvas');
    return c && c.width && c.height ? c.toDataURL() : null;
  } catch (e) { return null; } }"""

#: Whether every canvas matching ``sel`` has something drawn (a pixel not transparent).
CANVAS_DRAWN = """(sel) => { const all = [...document.querySelectorAll(sel)];
  return all.length > 0 && all.every(c => { try {
    if (!c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4 * 101) { if (d[i] !== 0) return true; }
    return false;
  } catch (e) { return false; } }); }"""

#: Whether the images of the canvases matching ``sel`` have stayed the same for 400 ms: the
#: last image the kernel sent has arrived (a draw reaches the page after the status says
#: "updated": the browser asks for it, then the kernel renders and sends it).
CANVASES_SETTLED = """(sel) => {
  const key = [...document.querySelectorAll(sel)].map(c => { try {
    return c.width && c.height ? c.toDataURL() : ''; } catch (e) { return ''; } }).join('|');
  const now = performance.now(), last = window.__bpttvizSettled;
  if (!key || key.split('|').includes('') || !last || last.sel !== sel || last.key !== key) {
    window.__bpttvizSettled = {sel, key, since: now};
    return false;
  }
  return now - last.since >= 400; }"""

#: A control's readout text, or null while it is not there.
READOUT = """(control) => {
  const el = document.querySelector('.bpttviz-control-' + control + ' .widget-readout');
  return el ? el.innerText.trim() : null; }"""

#: The status line's text ('' while it is not there).
STATUS = "(document.querySelector('.bpttviz-status')?.innerText ?? '')"

FIRST_CANVASES = ".bpttviz-app div.jupyter-matplotlib-canvas-div canvas:first-child"


def test_every_lesson_notebook_is_tested_here():
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(LESSONS) | {"index"}


def open_lesson(page, server, name, query=""):
    """Load a lesson and wait until its app has computed and every figure is drawn."""
    page.goto(f"{server}/voila/render/{name}.ipynb{query}")
    return wait_lesson_ready(page, name)


def wait_lesson_ready(page, name):
    """Wait until the lesson ``name`` loaded in ``page`` has computed and drawn every figure."""
    page.wait_for_selector(".bpttviz-app .widget-readout")
    n_figures = LESSONS[name][0]
    page.wait_for_function(
        "(n) => document.querySelectorAll('.bpttviz-app div.jupyter-matplotlib-figure')"
        ".length == n", arg=n_figures)
    wait_status(page, "updated|failed")
    page.wait_for_function(CANVAS_DRAWN, arg=FIRST_CANVASES)
    page.wait_for_function(CANVASES_SETTLED, arg=FIRST_CANVASES, polling=100)
    return page


def wait_status(page, pattern, timeout=None):
    """Wait until the status line matches the regular expression ``pattern``; return its text."""
    page.wait_for_function(f"(p) => new RegExp(p).test({STATUS})", arg=pattern,
                           timeout=timeout)
    return page.locator(".bpttviz-status").inner_text()


def wait_image_changed(page, sel, old):
    """Wait until the first canvas under ``sel`` shows an image other than ``old``."""
    page.wait_for_function(f"(old) => {{ const d = ({CANVAS_DATA})('{sel}'); "
                           "return d !== null && d != old; }", arg=old)


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


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_renders_and_a_slider_moved_by_keyboard_redraws_a_figure(page, server, artifacts,
                                                                       name):
    open_lesson(page, server, name)
    assert_no_error_shown(page)
    screenshot(page, artifacts, name)
    _, control, figure = LESSONS[name]
    sel = f".bpttviz-figure-{figure}"
    before_value, before_image = readout(page, control), page.evaluate(CANVAS_DATA, sel)
    assert link_query(page)[control] == query_text(before_value)
    page.locator(f".bpttviz-control-{control} [role=slider]").focus()
    page.keyboard.press("ArrowRight")
    wait_readout(page, control, "(t, old) => t != old", before_value)
    new = query_text(readout(page, control))
    wait_image_changed(page, sel, before_image)
    # The link follows: it names the new value of the control moved.
    page.wait_for_function(
        r"""([key, value]) => { const el = document.querySelector('.bpttviz-link');
             const m = el && el.innerText.match(/\?(\S*)/);
             return !!m && new URLSearchParams(m[1]).get(key) === value; }""",
        arg=[control, new])
    assert new != query_text(before_value)
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
    assert re.search(r"overflowed at step \d+", notes)
    assert_no_error_shown(page)
    page.locator(".bpttviz-preset-vanishing").click()
    wait_readout(page, "scale", "(t) => t == '0.60'")
    page.wait_for_function("() => (document.querySelector('.bpttviz-notes')?.innerText ?? 'x')"
                           ".trim() == ''")
    assert readout(page, "T") == "60"
    assert_no_error_shown(page)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_a_figure_downloads(page, server, tmp_path, fmt):
    open_lesson(page, server, "02_vanishing_exploding")
    box = page.locator(".bpttviz-figure-flow")
    box.locator(f".bpttviz-save-{fmt}").click()
    link = box.locator("a.bpttviz-download")
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    d = download.value
    assert d.suggested_filename == f"bpttviz-vanishing-exploding-flow.{fmt}"
    path = pathlib.Path(tmp_path / d.suggested_filename)
    d.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data


def test_play_walks_the_frames_in_the_browser(page, server):
    open_lesson(page, server, "01_unfolding")
    before = page.evaluate(CANVAS_DATA, ".bpttviz-figure-network")
    page.locator(".bpttviz-play button").first.click()
    wait_readout(page, "frame", "(t) => +t >= 2")
    wait_image_changed(page, ".bpttviz-figure-network", before)
    assert_no_error_shown(page)
