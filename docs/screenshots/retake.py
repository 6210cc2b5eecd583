"""Retake the README's screenshots from a running ``bpttviz serve``.

    .venv/bin/bpttviz serve --port 8866 &
    .venv/bin/python docs/screenshots/retake.py http://127.0.0.1:8866

Each lesson's app at 1280x720 once every figure has drawn; a guided step of lesson 2
answered; lesson 2 in projector mode at 1920x1080 (saved at 1280x720). Needs Playwright
and Chromium (``/usr/bin/chromium`` unless ``--chromium`` says otherwise).

The class view's three (``class-view.png``, ``class-rounds.png``, ``class-experiment.png``) are
taken by its browser test::

    BPTTVIZ_SCREENSHOTS=docs .venv/bin/python -m pytest tests/browser/test_class_view.py
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from bpttviz.lessons import LESSONS

HERE = Path(__file__).resolve().parent


def open_lesson(browser, base, name, size=(1280, 720), query="", scale=1):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]},
                            device_scale_factor=scale)
    page.goto(f"{base}/voila/render/{name}.ipynb{query}")
    page.wait_for_selector(".bpttviz-app", timeout=90_000)
    wait_drawn(page)
    # At once: the page scrolls smoothly, and a screenshot taken meanwhile is of the narrative.
    page.evaluate("document.querySelector('.bpttviz-app')"
                  ".scrollIntoView({block: 'start', behavior: 'instant'})")
    page.wait_for_timeout(300)
    return page


def wait_drawn(page):
    page.wait_for_function(
        "[...document.querySelectorAll('.bpttviz-live')].every(e => e.dataset.drawn)",
        timeout=60_000)
    page.wait_for_timeout(300)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the server's address, e.g. http://127.0.0.1:8866")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    base = args.base.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium)
        for name in (cls.page_name() for cls in LESSONS.values()):
            page = open_lesson(browser, base, name)
            page.screenshot(path=HERE / f"{name}.png")
            page.close()
            print(name)

        page = open_lesson(browser, base, "02_vanishing_exploding")
        page.get_by_role("button", name="Start guided steps").click()
        page.get_by_role("button", name="Next step").click()
        page.locator(".bpttviz-step-choice").nth(1).click()
        page.wait_for_timeout(1500)
        wait_drawn(page)
        # The steps panel is under the controls: the step, its answer and the figures beside.
        page.evaluate("document.querySelector('.bpttviz-step-choice')"
                      ".scrollIntoView({block: 'center', behavior: 'instant'})")
        page.wait_for_timeout(300)
        page.screenshot(path=HERE / "guided-step.png")
        page.close()
        print("guided-step")

        page = open_lesson(browser, base, "02_vanishing_exploding", size=(1920, 1080),
                           query="?projector=1", scale=2 / 3)
        page.screenshot(path=HERE / "projector_mode.png")
        page.close()
        print("projector_mode")
        browser.close()


if __name__ == "__main__":
    main()
