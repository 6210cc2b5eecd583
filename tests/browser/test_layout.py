"""Every lesson fits a laptop and a projector: scrolled into view at 1280x800, and at 1024x768
in projector mode, its controls, its buttons (Train, Race, Play, Stop: what it has) and its
first row of figures are on screen, and nothing in the page scrolls by itself: the page
scrolls, once."""

import pytest
from page_in_browser import assert_no_error_shown, open_lesson, screenshot

from bpttviz.lessons import LESSONS, LessonWithRuns

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (width, height, projector mode): a laptop, and a projector with the page's toggle pressed.
SCREENS = {"laptop-1280x800": (1280, 800, False), "projector-1024x768": (1024, 768, True)}

#: The action buttons a lesson can have.
BUTTONS = ".bpttviz-start, .bpttviz-stop, .bpttviz-play"

#: Scroll the app to the top of the viewport at once (the page may scroll smoothly), then
#: the boxes of what must be on screen, and every element in the page with a vertical scroll
#: of its own.
MEASURE = """async (controls) => {
  const app = document.querySelector('.bpttviz-app');
  app.scrollIntoView({block: 'start', behavior: 'instant'});
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const box = el => { const b = el.getBoundingClientRect();
    return {name: String(el.className).match(/bpttviz-[\\w-]+/g)?.join(' ') ?? el.tagName,
            left: b.left, top: b.top, right: b.right, bottom: b.bottom,
            shown: b.width > 0 && b.height > 0}; };
  const figures = [...app.querySelectorAll('.bpttviz-figure')].map(box);
  const firstTop = Math.min(...figures.map(f => f.top));
  const scrolls = [];
  document.querySelectorAll('body *').forEach(el => {
    const y = getComputedStyle(el).overflowY;
    if ((y === 'auto' || y === 'scroll') && el.scrollHeight > el.clientHeight + 1)
      scrolls.push(box(el).name + ` (${el.scrollHeight} px in ${el.clientHeight} px)`);
  });
  return {
    width: document.documentElement.clientWidth, height: window.innerHeight,
    controls: controls.map(c => document.querySelector('.bpttviz-control-' + c)).filter(Boolean)
      .map(box),
    buttons: [...app.querySelectorAll(BUTTONS)].map(box),
    firstRow: figures.filter(f => f.top < firstTop + 1),
    scrolls: scrolls};
}""".replace("BUTTONS", repr(BUTTONS))


def off_screen(boxes, width, height):
    """The boxes shown but not wholly inside the viewport (half a pixel of rounding allowed)."""
    return [f"{b['name']} at ({b['left']:.0f}, {b['top']:.0f})-({b['right']:.0f}, "
            f"{b['bottom']:.0f})" for b in boxes if b["shown"] and
            (b["left"] < -0.5 or b["top"] < -0.5 or b["right"] > width + 0.5
             or b["bottom"] > height + 0.5)]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("cls", LESSONS.values(), ids=list(LESSONS))
def test_a_lesson_scrolled_into_view_shows_its_controls_buttons_and_first_figures(
        page, server, artifacts, cls, screen):
    width, height, projector = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    open_lesson(page, server, cls.page_name())
    if projector:
        page.click(".bpttviz-projector-toggle")
        page.wait_for_selector(".bpttviz-app.bpttviz-projector")
    seen = page.evaluate(MEASURE, [c.name for c in cls.controls])
    screenshot(page, artifacts, f"layout-{cls.page_name()}-{screen}")
    assert (seen["width"], seen["height"]) == (width, height)
    assert [b for b in seen["controls"] if b["shown"]], "no control shown"
    assert seen["firstRow"] and all(f["shown"] for f in seen["firstRow"])
    has_buttons = issubclass(cls, LessonWithRuns) or bool(cls.play)
    assert bool([b for b in seen["buttons"] if b["shown"]]) == has_buttons, seen["buttons"]
    for part in ("controls", "buttons", "firstRow"):
        assert off_screen(seen[part], width, height) == [], part
    assert seen["scrolls"] == []
    assert_no_error_shown(page)
