"""Projector mode and accessibility in headless Chromium: every page passes an axe-core audit,
projector mode fits 1920x1080 and 1024x768 in large type, the figures' text alternatives
follow the figures, and Play, Train and Stop work from the keyboard."""

import pytest
from live import TEXT_LOG, drawn_type, record
from page_in_browser import (PAGES, assert_no_error_shown, blocking_violations, open_lesson,
                             open_page, screenshot, wait_readout, wait_status)

from bpttviz.app.projector import FIGURE_MIN, FIGURE_SCALE
from bpttviz.lessons import LESSONS, lesson_of_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Elements that stick out of the viewport on the left or right (visually hidden text aside,
#: which is clipped to one pixel), and the page's own horizontal scroll width.
OVERFLOW = """() => {
  const W = document.documentElement.clientWidth;
  const out = [];
  document.querySelectorAll('body *').forEach(el => {
    if (el.closest('.bpttviz-alt')) return;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && (r.right > W + 0.5 || r.left < -0.5))
      out.push(el.tagName + '.' + String(el.className).slice(0, 60) + ' ' +
               Math.round(r.left) + '..' + Math.round(r.right));
  });
  return {width: W, scroll: document.documentElement.scrollWidth, out: out.slice(0, 10)};
}"""

#: Visible text of the lesson's page (its narrative and its app) set smaller than ``min`` px.
SMALL_TEXT = """(min) => {
  const out = [];
  const texts = document.querySelectorAll('.bpttviz-page *');
  if (!texts.length) return ['no .bpttviz-page in this page'];
  texts.forEach(el => {
    if (el.closest('.bpttviz-alt')) return;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) return;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min) out.push(el.tagName + ' ' + size + 'px: ' + el.textContent.trim().slice(0, 40));
  });
  return out.slice(0, 10);
}"""

#: Controls whose text is cut: content wider than its box where the box hides the rest.
CLIPPED = """() => [...document.querySelectorAll(
    '.bpttviz-app .widget-label, .bpttviz-app button, .bpttviz-app .widget-readout')]
  .filter(el => el.offsetWidth && el.scrollWidth > el.clientWidth + 1 &&
                getComputedStyle(el).overflowX !== 'visible')
  .map(el => el.textContent.trim().slice(0, 40))"""


def test_every_page_is_audited():
    assert {"index", *(cls.page_name() for cls in LESSONS.values())} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_page_passes_axe_with_no_critical_or_serious_violation(page, server, name):
    open_page(page, server, name)
    assert blocking_violations(page) == []
    assert_no_error_shown(page)


def assert_fits_in_large_type(page):
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] <= overflow["width"], overflow
    assert overflow["out"] == [], overflow
    assert page.evaluate(SMALL_TEXT, 18) == []
    assert page.evaluate(CLIPPED) == []


#: Each live figure's canvas width (CSS pixels), the width of its place, and the width its
#: record asks for at the figure's scale.
FIGURE_WIDTHS = """(scale) => [...document.querySelectorAll('.bpttviz-app .bpttviz-live')]
  .map(el => {
  const c = el.querySelector('canvas');
  return {canvas: parseFloat(c.style.width), place: el.clientWidth,
          wanted: el.bpttvizFigure.width * scale}; })"""


def wait_figure_widths(page, scale):
    """Wait until every figure is drawn as wide as its record asks at ``scale``, or as its
    place allows, never below FIGURE_MIN pixels (figures redraw after a resize)."""
    page.wait_for_function(f"() => ({FIGURE_WIDTHS})({scale}).every(f => Math.abs(f.canvas - "
                           f"Math.max({FIGURE_MIN} * {scale}, Math.min(f.wanted, f.place))) <= 1)")


def assert_figures_in_large_type(page, name):
    """Projector mode's figures: 1.2 times wider or filling their place, tick labels, axis
    labels and titles at 18 px or more, and no text cut off at a canvas' edge."""
    wait_figure_widths(page, FIGURE_SCALE)
    for f in page.evaluate(FIGURE_WIDTHS, FIGURE_SCALE):
        assert f["canvas"] >= f["wanted"] - 1 or abs(f["canvas"] - f["place"]) <= 1, f
    records = {n: record(page, n) for n in lesson_of_page(name).figure_names}
    drew = drawn_type(page, records)
    assert all(px >= 18 for px in drew["ticks"].values()), drew["ticks"]
    assert all(px >= 18 for words in drew["labels"].values() for _, px in words), drew["labels"]
    cut = {(f, text) for f, text, _ in drew["outside"]}
    assert cut <= CUT_IN_PROJECTOR_MODE.get(name, set()), cut


#: Texts longer than their figure at projector mode's type (at 1920 or 1024 pixels): a figure's
#: wording to shorten, not the page's layout.
CUT_IN_PROJECTOR_MODE = {
    "04_training": {("memory", "Memory of one gradient, and its price")},
    "07_beyond_truncation": {("bias", "mean cosine to the full gradient")},
}


@pytest.mark.parametrize("name", [cls.page_name() for cls in LESSONS.values()])
def test_projector_mode_fits_1920x1080_and_1024x768_in_large_type(page, server, artifacts,
                                                                  name):
    page.add_init_script(TEXT_LOG)
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_page(page, server, name, "?projector=1")
    page.wait_for_selector(".bpttviz-app.bpttviz-projector")
    assert_fits_in_large_type(page)
    assert_figures_in_large_type(page, name)
    assert blocking_violations(page) == []
    screenshot(page, artifacts, f"projector-{name}")
    # The same page on a smaller projector: the layout reflows (a style sheet, no reload), and
    # the figures draw themselves again at the width of their new place.
    page.evaluate("window.__bpttvizTexts = []")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert_fits_in_large_type(page)
    assert_figures_in_large_type(page, name)
    assert_no_error_shown(page)


def test_the_projector_toggle_switches_the_page_and_back(page, server):
    page.add_init_script(TEXT_LOG)
    open_lesson(page, server, "02_vanishing_exploding")
    assert page.locator(".bpttviz-app.bpttviz-projector").count() == 0
    flow = {"flow": record(page, "flow")}
    widths = page.evaluate(FIGURE_WIDTHS, 1.0)
    ticks = drawn_type(page, flow)["ticks"]["flow"]
    page.evaluate("window.__bpttvizTexts = []")
    page.locator(".bpttviz-projector-toggle").click()
    page.wait_for_selector(".bpttviz-app.bpttviz-projector")
    wait_figure_widths(page, FIGURE_SCALE)
    assert page.evaluate(SMALL_TEXT, 18) == []
    # Type, lines and size together: the figure's tick labels are 1.2 times bigger.
    page.wait_for_function("() => window.__bpttvizTexts.some(e => e.figure === 'flow')")
    bigger = drawn_type(page, flow)["ticks"]["flow"]
    assert bigger == pytest.approx(FIGURE_SCALE * ticks, abs=0.1)
    page.locator(".bpttviz-projector-toggle").click()
    page.wait_for_function("() => !document.querySelector('.bpttviz-app.bpttviz-projector')")
    page.wait_for_function(f"(w) => JSON.stringify(({FIGURE_WIDTHS})(1.0)) == JSON.stringify(w)",
                           arg=widths)
    assert_no_error_shown(page)


def test_sliders_and_icon_buttons_have_names_with_units(page, server):
    open_lesson(page, server, "01_unfolding")
    page.wait_for_function("() => document.querySelector("
                           "'.bpttviz-control-T [role=slider]')?.getAttribute('aria-label')")
    assert page.locator(".bpttviz-control-T [role=slider]").get_attribute("aria-label") == \
        "T (steps)"
    names = page.evaluate("() => [...document.querySelectorAll('.bpttviz-play button')]"
                          ".map(b => b.getAttribute('aria-label'))")
    assert names == ["Play", "Stop", "Repeat"]


#: The text alternative of a figure: the hidden live text and the live figure's accessible name.
ALT = """(f) => {
  const box = document.querySelector('.bpttviz-figure-' + f);
  const text = box.querySelector('.bpttviz-alt-text');
  const fig = box.querySelector('.bpttviz-live [role=img]');
  return {text: text ? text.textContent : null, live: text && text.getAttribute('aria-live'),
          role: fig.getAttribute('role'), label: fig.getAttribute('aria-label')};
}"""


def test_a_figures_text_alternative_follows_a_slider_moved_by_keyboard(page, server):
    open_lesson(page, server, "02_vanishing_exploding")
    page.wait_for_function(f"() => ({ALT})('lag').label")
    before = page.evaluate(ALT, "lag")
    assert before["role"] == "img" and before["live"] == "polite"
    assert before["label"] == before["text"]
    assert before["text"].startswith("Gradient norm against lag, log scale: the median relative "
                                     "gradient norm falls from 1 at lag 0 to")
    handle = page.locator(".bpttviz-control-scale [role=slider]")
    handle.focus()
    for _ in range(6):                      # scale 1.00 -> 1.30: the bound and the norms move
        page.keyboard.press("ArrowRight")
    wait_readout(page, "scale", "(t) => t === '1.30'")
    page.wait_for_function(f"(old) => {{ const a = ({ALT})('lag'); "
                           "return a.text !== old && a.label === a.text; }", arg=before["text"])
    after = page.evaluate(ALT, "lag")
    assert after["text"] != before["text"]
    assert_no_error_shown(page)


def focus_by_tab(page, label, start, presses=12):
    """Focus ``start``, then press Tab until the focused element is named ``label``."""
    page.locator(start).focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.getAttribute('aria-label') || "
                                "document.activeElement.textContent.trim()")
        if focused == label:
            return
    pytest.fail(f"{label!r} was not reached with {presses} presses of Tab from {start}")


def test_play_and_stop_work_from_the_keyboard(page, server):
    open_lesson(page, server, "01_unfolding")
    focus_by_tab(page, "Play", ".bpttviz-control-frame [role=slider]")
    page.keyboard.press("Enter")
    wait_readout(page, "frame", "(t) => +t >= 2")
    focus_by_tab(page, "Stop", ".bpttviz-play button >> nth=0", presses=3)
    page.keyboard.press("Enter")
    wait_readout(page, "frame", "(t) => +t === 0")      # Stop goes back to the first frame
    assert_no_error_shown(page)


def test_train_and_stop_work_from_the_keyboard(page, server):
    open_lesson(page, server, "04_training", "?updates=3000")
    focus_by_tab(page, "Train", ".bpttviz-control-seed [role=slider]")
    page.keyboard.press("Enter")
    wait_status(page, "training: A [1-9]")
    page.wait_for_function("() => !document.querySelector('.bpttviz-stop button, "
                           "button.bpttviz-stop').disabled")
    focus_by_tab(page, "Stop", ".bpttviz-start", presses=3)
    page.keyboard.press("Enter")
    assert "stopped" in wait_status(page, "stopped", timeout=60_000)
    assert_no_error_shown(page)
