"""A lesson's page in headless Chromium, used as a user uses it: opened at an address, a slider
moved from the keyboard or by a click on its track, its readouts, status line and link read,
a figure downloaded; and what every page must pass (no error shown, axe-core).

The browser tests' fixtures (``server``, ``page``, ``artifacts``) are in conftest.py; what the
live figures drew is read with :mod:`live`. A lesson is named by its page (``"03_truncated_bptt"``)
and its declaration found in the registry (:func:`bpttviz.lessons.lesson_of_page`).
"""

from __future__ import annotations

import functools
import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from live import (drawn, pixels_differ, png_pixels, rebuild, record, same_drawing, svg_texts,
                  texts, wait_redrawn, wait_settled)
from page_in_kernel import SIGNATURES

from bpttviz import plots
from bpttviz.lessons import lesson_of_page

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 720}
START_TIMEOUT = 90          # seconds for a server to answer
PAGE_TIMEOUT = 90_000       # milliseconds for a lesson's page to be built and drawn

#: Every page served: each lesson's and the landing page (``index``).
PAGES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
#: Where a click on a slider's track lands, as a fraction of its length (:func:`move_by_track`).
TRACK_CLICK = 0.8
#: The axe-core violations a page must not have.
BLOCKING = {"critical", "serious"}

#: A control's readout text, or null while it is not there.
READOUT = """(control) => {
  const el = document.querySelector('.bpttviz-control-' + control + ' .widget-readout');
  return el ? el.innerText.trim() : null; }"""

#: The status line's text ('' while it is not there).
STATUS = "(document.querySelector('.bpttviz-status')?.innerText ?? '')"

#: The page's own model of the widget with DOM class ``bpttviz-control-<name>`` (a promise),
#: found through the page's widget manager (Solara's page exposes it as
#: ``solara.debug.widgetManager()``): what a script in the page reaches.
CONTROL_MODEL = """async (name) => {
  const models = await Promise.all(Object.values(solara.debug.widgetManager()._models));
  return models.find(m => (m.get('_dom_classes') || []).includes('bpttviz-control-' + name)); }"""


#: Send ``{"method": "update", "state": state}`` on the comm of the widget with DOM class
#: ``bpttviz-control-<name>``, through the page's own widget manager: the message a crafted
#: script sends, whatever the page's disabled slider allows.
FORGE = f"""async ([name, state]) => {{
  const m = await ({CONTROL_MODEL})(name);
  m.comm.send({{method: 'update', state: state, buffer_paths: []}});
  return m.model_id; }}"""


def in_browser(test):
    """Mark ``test`` as one that drives a page in Chromium: ``browser`` (the suite runs those
    last) and ``slow``."""
    return pytest.mark.slow(pytest.mark.browser(test))


# --- opening a page -----------------------------------------------------------------------------
def open_lesson(page, server, name, query=""):
    """Load a lesson and wait until its app has computed and every figure is drawn."""
    page.goto(f"{server}/voila/render/{name}.ipynb{query}")
    return wait_lesson_ready(page, name)


def wait_lesson_ready(page, name):
    """Wait until the lesson ``name`` loaded in ``page`` has computed and drawn every figure
    (the last records the server sent)."""
    page.wait_for_selector(".bpttviz-app .widget-readout")
    figures = lesson_of_page(name).figure_names
    page.wait_for_function(
        "(n) => document.querySelectorAll('.bpttviz-app .bpttviz-figure .bpttviz-live')"
        ".length == n", arg=len(figures))
    wait_status(page, "updated|failed")
    wait_settled(page)
    assert set(drawn(page)) == set(figures)
    return page


def open_page(page, server, name, query=""):
    """Open any page: a lesson as :func:`open_lesson` waits for one, the landing page until it
    lists the lessons."""
    if lesson_of_page(name) is not None:
        return open_lesson(page, server, name, query)
    page.goto(f"{server}/voila/render/{name}.ipynb{query}")
    page.wait_for_selector("main a[href$='.ipynb']")
    return page


# --- reading it ---------------------------------------------------------------------------------
def watchdog_done(page):
    """Wait until the page's watchdog has seen its app and stopped watching
    (``data-bpttviz-watchdog``): it says nothing about a slow app after that."""
    page.wait_for_selector("html[data-bpttviz-watchdog=done]", state="attached")


def wait_status(page, pattern, timeout=None):
    """Wait until the status line matches the regular expression ``pattern``; return its text."""
    page.wait_for_function(f"(p) => new RegExp(p).test({STATUS})", arg=pattern,
                           timeout=timeout)
    return page.locator(".bpttviz-status").inner_text()


def wait_readout(page, control, predicate, arg=None):
    """Wait until ``predicate`` (JS, of the readout text and ``arg``) holds for a control."""
    page.wait_for_function(f"(a) => {{ const t = ({READOUT})('{control}'); "
                           f"return t !== null && ({predicate})(t, a); }}", arg=arg)


def readout(page, control):
    return page.locator(f".bpttviz-control-{control} .widget-readout").inner_text().strip()


def link_query(page) -> dict:
    """The settings in the page's link to its configuration: ``{key: value}``."""
    text = page.locator(".bpttviz-link").inner_text()
    url = re.search(r"\S*\?\S*", text).group(0)
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def query_text(readout_text):
    """A slider's readout as the link writes it: "1.10" -> "1.1", "−2.0" -> "-2", "40" -> "40"."""
    return f"{float(readout_text.replace(chr(0x2212), '-')):.10g}"


def wait_link_names(page, control, value_text):
    """Wait until the page's link names ``control`` at the value its readout shows."""
    page.wait_for_function(
        r"""([key, value]) => { const el = document.querySelector('.bpttviz-link');
             const m = el && el.innerText.match(/\?(\S*)/);
             return !!m && new URLSearchParams(m[1]).get(key) === value; }""",
        arg=[control, query_text(value_text)])


def assert_no_error_shown(page):
    """No error in words (the page's, Voila's, a traceback), no "this lesson could not start"
    or "has stopped" notice, no uncaught JavaScript error."""
    assert page.locator(".voila-error").count() == 0
    assert page.locator(".bpttviz-page-problem").count() == 0, \
        page.locator(".bpttviz-page-problem").inner_text()
    assert page.locator(".bpttviz-error").count() == 0, page.locator(".bpttviz-error").inner_text()
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error:" not in body
    assert page.js_errors == []


# --- the console: shared modules' versions ------------------------------------------------------
#: An init script (``add_init_script``) that keeps, in ``window.__bpttvizVersionWarnings``, every
#: console warning or error about the version of a module the page's scripts share (webpack's
#: "Unsatisfied version 4.2.5 from _JUPYTERLAB.CORE_OUTPUT of shared singleton module
#: @jupyterlab/notebook (required ^4.6.2)", "No satisfying version (^4.6.2) of shared module
#: ... Available versions: 4.2.5 from ..."), with the lab extension that asked for the module:
#: the first one in the call's stack. The console message alone names only the page: Voila's
#: page passes every warning on through its own console.warn.
VERSION_LOG = r"""(() => {
  window.__bpttvizVersionWarnings = [];
  for (const level of ['warn', 'error']) {
    const real = console[level];
    console[level] = function (...args) {
      const text = args.map(String).join(' ');
      if (/(Unsatisfied|No satisfying) version/.test(text)) {
        const m = /\/labextensions\/((?:@[^/]+\/)?[^/]+)\/static\//.exec(new Error().stack);
        window.__bpttvizVersionWarnings.push({text: text, extension: m ? m[1] : null});
      }
      return real.apply(this, args);
    };
  }
})();"""

_UNSATISFIED = re.compile(r"Unsatisfied version (\S+) from (\S+) of shared singleton module "
                          r"(\S+) \(required (\S+)\)")
_NO_SATISFYING = re.compile(r"No satisfying version \((\S+)\) of shared module (\S+) found in "
                            r"shared scope \S+\s+Available versions: (\S+) from (\S+)")
#: Voila 0.5's page carries JupyterLab 4.2.5's packages (its own bundle, which the share scope
#: calls ``_JUPYTERLAB.CORE_OUTPUT``), and both widget managers a Voila page draws widgets with
#: ask for newer ones: Voila's own, in every Voila since 0.5.9 (0.5.13's: JupyterLab 4.5.10),
#: and ipywidgets', on which Voila's builds (jupyterlab_widgets 3.0.14 and later: 4.4 to 4.6.2).
#: No pin removes these: with an older ipywidgets the same modules warn, from Voila's manager
#: alone; only Voila 0.5.8's manager fits its bundle, and with it the deck does not start (its
#: template asks for a reveal.js the deck does not serve) and the later Voilas' fixes are lost.
#: Webpack warns, and the managers run on the bundle's 4.2.5, as they have since Voila 0.5.9.
VOILA_CORE = "_JUPYTERLAB.CORE_OUTPUT"
WIDGET_MANAGERS = {"@voila-dashboards/widgets-manager8", "@jupyter-widgets/jupyterlab-manager"}


def version_warnings(page) -> list:
    """The warnings :data:`VERSION_LOG` kept in ``page``: ``[{"text", "extension", "module",
    "provided", "provider", "required"}]`` (the last four None where the text says otherwise)."""
    found = []
    for w in page.evaluate("window.__bpttvizVersionWarnings ?? null") or []:
        fields = dict.fromkeys(("module", "provided", "provider", "required"))
        if m := _UNSATISFIED.search(w["text"]):
            fields.update(zip(("provided", "provider", "module", "required"), m.groups()))
        elif m := _NO_SATISFYING.search(w["text"]):
            fields.update(zip(("required", "module", "provided", "provider"), m.groups()))
        found.append({**w, **fields})
    return found


def behind_voilas_bundle(warning) -> bool:
    """Whether a version warning is one no pin removes (:data:`WIDGET_MANAGERS`): a widget
    manager asking for a later minor version of a package of Voila's bundle, of the major
    version the bundle carries."""
    required, provided = warning["required"] or "", warning["provided"] or ""
    return (warning["extension"] in WIDGET_MANAGERS and warning["provider"] == VOILA_CORE
            and required.startswith("^")
            and required[1:].split(".")[0] == provided.split(".")[0])


def assert_no_version_warning(page, *, voila=False):
    """No console warning of a shared module's version in ``page`` (opened with
    :data:`VERSION_LOG`); on a Voila page (``voila``), none but those no pin removes
    (:func:`behind_voilas_bundle`)."""
    assert page.evaluate("Array.isArray(window.__bpttvizVersionWarnings)"), \
        "the page was opened without VERSION_LOG"
    problems = [w for w in version_warnings(page) if not (voila and behind_voilas_bundle(w))]
    assert problems == [], "\n".join(f"{w['extension']}: {w['text']}" for w in problems)


def screenshot(page, artifacts, name):
    """The app scrolled to the top of a 1280x720 window, as a projector shows it."""
    page.evaluate("document.querySelector('.bpttviz-app')?.scrollIntoView()")
    # Two animation frames: the scrolled page has been painted.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(artifacts / f"{name}.png"))


def blocking_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    # Let the naming script run on the last changes (it waits for an animation frame).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    violations = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"])
            for v in violations if v["impact"] in BLOCKING]


# --- moving a slider ----------------------------------------------------------------------------
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


def track_value(slider, fraction):
    """The value a click at ``fraction`` of a slider's track sets: the nearest step."""
    steps = round(fraction * (slider.max - slider.min) / slider.step)
    return type(slider.value)(round(slider.min + steps * slider.step, 10))


@functools.cache
def class_control_moves(cls) -> tuple:
    """``(changed, unchanged)``: the figures of lesson ``cls`` that each move the browser tests
    make of its class control changes, and those that none changes, computed here by the page
    itself (:class:`bpttviz.app.LessonApp`, records compared with ``records_equal``).

    The moves are the browser tests' own, one after the other from the defaults: one step to
    the right (the keyboard), then a click at :data:`TRACK_CLICK` of the track. A figure
    changed by one move only is in neither tuple.
    """
    from bpttviz.app import LessonApp
    from bpttviz.figures import records_equal

    app = LessonApp("", lesson=cls)
    slider = app.widgets[cls.class_control]
    changes = []
    for move in (lambda: slider.value + slider.step, lambda: track_value(slider, TRACK_CLICK)):
        before = {name: fig.record for name, fig in app.figures.items()}
        slider.value = move()
        changes.append({name for name, fig in app.figures.items()
                        if not records_equal(before[name], fig.record)})
    app.close()
    return (tuple(n for n in cls.figure_names if all(n in c for c in changes)),
            tuple(n for n in cls.figure_names if not any(n in c for c in changes)))


def step_class_control(page, name):
    """Move the class control of the lesson page ``name`` one step with the keyboard and wait
    until every figure that move changes is drawn again."""
    lesson = lesson_of_page(name)
    changed, _ = class_control_moves(lesson)
    before = drawn(page)
    move_by_keyboard(page, lesson.class_control)
    wait_redrawn(page, changed, before)


def move_and_read(page, name, figures):
    """Move the lesson's class control one step from the keyboard; once each figure drew the
    record of the new value, return the page's settings and records."""
    control = lesson_of_page(name).class_control
    before = drawn(page)
    value = move_by_keyboard(page, control)
    wait_redrawn(page, figures, before)
    wait_link_names(page, control, value)
    return link_query(page), {f: record(page, f) for f in figures}


# --- what each lesson's page is checked for -----------------------------------------------------
def download(page, name, figure, fmt, by_keyboard=False):
    """Press the figure's save button as a user (the figure draws it under its canvas) with the
    mouse, or ``by_keyboard`` (focused, then Enter), then the link it offers once the kernel
    sent the file; the file's bytes."""
    box = page.locator(f".bpttviz-figure-{figure}")
    slug = name.split("_", 1)[1].replace("_", "-")
    filename = f"bpttviz-{slug}-{figure}.{fmt}"
    link = box.locator(f".bpttviz-saver a.bpttviz-download[download='{filename}']")
    old = link.get_attribute("href") if link.count() else None
    button = box.locator(f".bpttviz-saver button.bpttviz-save-{fmt}")
    assert button.get_attribute("title") == f"Save this figure as {fmt.upper()}"
    if by_keyboard:
        button.focus()
        page.keyboard.press("Enter")
    else:
        button.click()
    # The link of this press: a new file (an object URL of the bytes the kernel sent).
    page.wait_for_function("([f, n, old]) => { const a = document.querySelector("
                           "'.bpttviz-figure-' + f + ' a.bpttviz-download');"
                           "return !!a && a.download === n && a.getAttribute('href') !== old; }",
                           arg=[figure, filename, old])
    assert link.get_attribute("href").startswith("blob:")
    with page.expect_download() as d:
        link.click()
    assert d.value.suggested_filename == filename
    data = pathlib.Path(d.value.path()).read_bytes()
    assert data.startswith(SIGNATURES[fmt]), data[:16]
    assert link.inner_text() == f"Download {filename} ({len(data) / 1024:.0f} kB)"
    return data


@dataclass(frozen=True)
class PageCase:
    """How a lesson's page is checked for its numbers and its download (:class:`InThePage`)."""

    #: The lesson's page (``"01_unfolding"``) and the address it is opened at (``"?frame=9"``).
    page: str
    query: str
    #: The figures whose records ``expected(settings, records)`` checks after a keyboard move
    #: of the lesson's class control: the lesson's own computation, in the test, of what they
    #: must show (``settings``: the page's link; ``records``: what the figures drew).
    figures: tuple
    expected: Callable
    #: The figure downloaded.
    download: str


class InThePage:
    """The checks every lesson's test file makes of its page in Chromium, as a class it
    subclasses (``class TestInThePage(InThePage)``) with its :class:`PageCase` in ``case``: what
    its figures show after a move is what the engine computes, and a download is Matplotlib's
    drawing of the figure shown."""

    case: PageCase

    @in_browser
    def test_figures_show_the_numbers_the_engine_computes(self, page, server):
        c = self.case
        open_lesson(page, server, c.page, c.query)
        settings, records = move_and_read(page, c.page, c.figures)
        c.expected(settings, records)
        assert_no_error_shown(page)

    @in_browser
    def test_a_download_is_matplotlibs_drawing_of_the_figure_the_page_shows(self, page, server):
        c = self.case
        name, figure = c.page, c.download
        open_lesson(page, server, name, c.query)
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

        svg = download(page, name, figure, "svg", by_keyboard=True).decode()
        words = set(svg_texts(svg))
        assert set(texts(records[figure])) <= words, set(texts(records[figure])) - words
        assert same_drawing(svg, plots.save(shown, fmt="svg").decode())
        assert not same_drawing(svg, plots.save(old, fmt="svg").decode())
        assert_no_error_shown(page)


def assert_query_sets_the_controls(page, server, name, query, expected):
    """The address ``query`` sets the controls (``expected``: their readouts), the link keeps
    what it asked, and the page notes nothing."""
    open_lesson(page, server, name, query)
    for control, value in expected.items():
        assert readout(page, control) == value
    link = link_query(page)
    asked = {k: v[-1] for k, v in parse_qs(query[1:]).items()}
    assert {k: link[k] for k in asked} == asked
    assert page.locator(".bpttviz-notes").inner_text().strip() == ""
    assert_no_error_shown(page)
