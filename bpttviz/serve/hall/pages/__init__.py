"""The lesson pages of the lecture-hall server: a Solara app, one route per lesson.

Solara (``SOLARA_APP`` names this module) keeps every student's widgets in
this one process, a "virtual kernel" per page; a page is a route,
``/voila/render/<NN_slug>.ipynb`` as under Voila, so every link a lecturer
made still opens the same lesson with the same settings. A page shows its
notebook's narrative (:mod:`.narrative`, rendered once per server) around
the lesson's app (:class:`bpttviz.app.LessonApp`), built for that page from
its query string and closed with it: a closed tab ends its training runs
and frees its widgets.
"""

from __future__ import annotations

import html
import os
import traceback
from pathlib import Path

import solara
import solara.lab

from ....app import LessonApp
from ....app.shared import Shared
from ....lessons import LESSONS
from ....lessons.runs import RunPool
from .. import PAGES_ENV
from ..narrative import narrative

__all__ = ["routes", "Layout", "SHARED", "page_route", "prepare"]
#: What every page of this process shares: results of the same settings computed once, and
#: the processes that train (below the pages' priority).
SHARED = Shared(runs=RunPool())


def notebooks() -> Path:
    from ...notebooks import lessons_dir

    folder = os.environ.get(PAGES_ENV)
    return Path(folder) if folder else lessons_dir()


def page_address(path: str) -> str:
    """The page's own address (without its query), as the browser that opened it sees it."""
    headers = solara.lab.headers.value or {}
    origin = (headers.get("origin") or [""])[0]
    if not origin:
        host = (headers.get("host") or [""])[0]
        origin = f"http://{host}" if host else ""
    return f"{origin}{path}" if origin else ""


def build(cls, query: str, address: str):
    """The lesson's app for one page, or an HTML message saying why it could not be built."""
    try:
        app = LessonApp(query or "", lesson=cls, shared=SHARED)
    except Exception:
        traceback.print_exc()
        return None
    app.page_url = address or None
    app.show_link()
    return app


#: What a page says when its lesson's app could not be built; ``data-kind`` tells the page's
#: watchdog (templates/index.html.j2) that the page has said why its app is missing.
PROBLEM = ("<div class='bpttviz-page-problem' role='alert' data-kind='failed'>"
           "<p style='margin:0'>This lesson could not start: an error occurred on the server, "
           "so the interactive part is missing. Retry loads the page again.</p>"
           "<button class='bpttviz-retry' onclick='window.location.reload()'>Retry</button>"
           "</div>")


def page_route(cls):
    """The route of lesson ``cls``'s page."""

    @solara.component
    def LessonPage():
        router = solara.use_router()
        address = page_address("/" + "/".join(router.parts)) if router.parts else ""
        app = solara.use_memo(lambda: build(cls, router.search, address), [])
        solara.use_effect(lambda: (app.close if app is not None else None), [])
        text = narrative(notebooks() / f"{cls.page_name()}.ipynb")
        solara.Title(text.title)
        with solara.Column(classes=["bpttviz-page"], style={"max-width": "100%"}):
            solara.HTML(tag="div", unsafe_innerHTML=text.before, classes=["bpttviz-narrative"])
            if app is None:
                solara.HTML(tag="div", unsafe_innerHTML=PROBLEM)
            else:
                solara.display(app.widget)
            solara.HTML(tag="div", unsafe_innerHTML=text.after, classes=["bpttviz-narrative"])

    return solara.Route(path=f"{cls.page_name()}.ipynb", component=LessonPage)


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature)
    """Every page as it is: no application bar, no navigation."""
    solara.Column(children=children, style={"padding": "0 16px"})


@solara.component
def NotFound():
    solara.HTML(tag="p", unsafe_innerHTML=html.escape("There is no such lesson here."))


#: The routes Solara serves: every lesson of the registry whose notebook is in the folder.
routes = [solara.Route(path="/", component=NotFound, layout=Layout),
          solara.Route(path="voila", children=[solara.Route(path="render", children=[
              page_route(cls) for cls in LESSONS.values()
              if (notebooks() / f"{cls.page_name()}.ipynb").is_file()])])]


def prepare(slugs) -> None:
    """Compute the lessons ``slugs`` at their defaults into :data:`SHARED`, so the first
    students wait for no first computation (and the imports are done)."""
    for slug in slugs:
        cls = LESSONS[slug]
        lesson = cls()
        values = cls.defaults()
        lesson.limits(values)
        SHARED.results.result(lesson, values, lesson.compute)
