"""Every page asks nothing of any host but the server: no CDN, no font service, no third
party; the live figures draw and redraw with no request leaving the machine. The icons come
from the server (Font Awesome 4, which Solara's front end carries, served from the installed
assets) and stay out of the buttons' accessible names."""

import urllib.parse

import pytest
from live import CANVAS_DRAWN, drawn, wait_redrawn, wait_settled
from page_in_browser import (PAGES, assert_no_error_shown, class_control_moves,
                             move_by_keyboard, open_lesson, open_page)

from bpttviz.lessons import lesson_of_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCAL_HOSTS = {"127.0.0.1"}


def stay_local(page):
    """Abort, and list in ``page.outside``, every request (websockets too) for another host."""
    page.outside = []

    def route(r):
        url = r.request.url
        if urllib.parse.urlsplit(url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            page.outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("websocket", lambda ws: urllib.parse.urlsplit(ws.url).hostname in LOCAL_HOSTS
            or page.outside.append(ws.url))
    return page


@pytest.mark.parametrize("name", PAGES)
def test_a_page_requests_nothing_from_another_host(page, server, name):
    stay_local(page)
    open_page(page, server, name)
    page.wait_for_load_state("networkidle")
    assert page.outside == []
    assert_no_error_shown(page)


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
    lesson = lesson_of_page(name)
    figures, control = lesson.figure_names, lesson.class_control
    changed, _ = class_control_moves(lesson)
    for figure in figures:
        assert page.evaluate(CANVAS_DRAWN, figure), figure
    before = drawn(page)
    move_by_keyboard(page, control)
    wait_redrawn(page, changed, before)
    wait_settled(page)
    assert outside == []
    assert_no_error_shown(page)


#: The Play button's icon: its font, whether that font is loaded, and the glyph's width.
PLAY_ICON = """() => {
  const i = document.querySelector('.bpttviz-play button i');
  const before = getComputedStyle(i, '::before');
  const icons = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'FontAwesome');
  return {family: before.fontFamily, content: before.content,
          width: i.getBoundingClientRect().width, loaded: icons.some(f => f.status === 'loaded'),
          hidden: i.getAttribute('aria-hidden')};
}"""


def test_icons_render_from_a_font_the_server_sent(page, server):
    stay_local(page)
    fonts = []
    page.on("response", lambda r: urllib.parse.urlsplit(r.url).path.endswith(".woff2")
            and fonts.append((r.url, r.status)))
    open_page(page, server, "01_unfolding")
    page.wait_for_function(f"() => ({PLAY_ICON})().loaded")
    icon = page.evaluate(PLAY_ICON)
    assert "FontAwesome" in icon["family"]
    assert icon["content"] == '"\uf04b"'            # fa-play
    assert icon["width"] > 0 and icon["hidden"] == "true"
    assert any("fontawesome-webfont" in url for url, _ in fonts), fonts
    assert all(url.startswith(server + "/") and status == 200 for url, status in fonts), fonts
    assert page.outside == []


def test_an_icon_is_not_part_of_a_buttons_name(page, server):
    open_page(page, server, "04_training")
    page.wait_for_function("() => document.querySelector('.bpttviz-start i')"
                           "?.getAttribute('aria-hidden') === 'true'")
    assert page.get_by_role("button", name="Train", exact=True).count() == 1
    assert page.get_by_role("button", name="Stop", exact=True).count() == 1
