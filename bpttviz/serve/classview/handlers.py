"""The class view's HTTP side: its request handlers and their routes.

The handlers are module-level tornado classes, as JupyterHub services write theirs; each
is given the :class:`~bpttviz.serve.classview.view.ClassView` (``initialize(view)``) and
only speaks HTTP: the view says who may do what, its store keeps the answers. The JupyterHub
variants subclass these (:mod:`bpttviz.serve.classview.hub`). Importing this module imports
tornado, so the rest of the class view imports it only when a server starts.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import NamedTuple

import tornado.web

from ...class_protocol import (ANSWER_ID, ANSWER_PATH, HOLD_S, KERNEL_ROUTE, PAGE_ID,
                               RESULT_PATH, ROUTE,
                               STATE_PATH)
from .store import BadRequest

__all__ = ["MAX_BODY", "PAGE", "ClassHandler", "PageHandler", "FileHandler", "SummaryHandler",
           "CsvHandler", "LessonsHandler", "GuideHandler", "AnswerHandler", "StateHandler",
           "TeachingHandler", "ExperimentHandler", "ResultHandler",
           "Handlers", "HANDLERS", "routes", "make_app"]

#: Largest request body accepted, in bytes.
MAX_BODY = 4096
_STATIC = Path(__file__).resolve().parent.parent / "classview_page"
#: The lecturer's page and its files, served from the package.
PAGE = _STATIC / "index.html"
_FILES = {"classview.js": "application/javascript", "classview.css": "text/css",
          "figure.js": "application/javascript"}
#: Where each file is: the lecturer's page's own, and the lessons' figure renderer.
_FILE_PATHS = {"figure.js": Path(__file__).resolve().parents[2] / "app" / "live" / "figure.js"}
#: What a page id must be (:data:`~bpttviz.class_protocol.PAGE_ID`), as a refusal says it.
_PAGE_RULE = "'page' must be 8 to 64 letters, digits, '-' or '_'"
_ID_RULE = f"'{ANSWER_ID}', if given, must be 8 to 64 letters, digits, '-' or '_'"
#: What a kernel is told while the class view is out of service (:meth:`ClassView.out_of_service`).
_OUTAGE = "the class view is out of service for a moment: send it again."


@tornado.web.stream_request_body
class ClassHandler(tornado.web.RequestHandler):
    """A route of the class view: bodies of :data:`MAX_BODY` bytes at most, errors as JSON,
    and an access log without the query (where the token may be)."""

    def initialize(self, view):
        self.view = view
        self._body = bytearray()
        self._too_big = False

    def prepare(self):
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._too_big = True

    def data_received(self, chunk):
        if not self._too_big:
            self._body += chunk
            self._too_big = len(self._body) > MAX_BODY

    def _request_summary(self):
        return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def send_json(self, data):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def fail(self, status, message):
        self.set_status(status)
        self.send_json({"error": message})

    def write_error(self, status_code, **kwargs):
        self.send_json({"error": self._reason})

    def json_body(self) -> dict:
        """The request's JSON object; :class:`BadRequest` when too big or malformed."""
        if self._too_big:
            raise BadRequest(f"the body is larger than {MAX_BODY} bytes.", 413)
        try:
            data = json.loads(bytes(self._body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"malformed body: it must be a JSON object ({exc}).") from None
        if not isinstance(data, dict):
            raise BadRequest(f"malformed body: it must be a JSON object, got "
                             f"{type(data).__name__}.")
        return data

    def lecturer(self) -> bool:
        if self.view.lecturer_allowed(self):
            return True
        self.fail(403, self.view.refusal)
        return False

    def page_xsrf(self) -> str:
        """The XSRF token the lecturer's page sends back with its requests: none with a token."""
        return ""


class PageHandler(ClassHandler):
    def get(self):
        if self.view.login_first(self):
            return
        if self.lecturer():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Content-Security-Policy", "default-src 'self'; "
                            "frame-ancestors 'none'")
            page = PAGE.read_text(encoding="utf-8")
            self.finish(page.replace('name="bpttviz-xsrf" content=""',
                                     f'name="bpttviz-xsrf" content="{self.page_xsrf()}"'))


class FileHandler(ClassHandler):
    def get(self, name):
        self.set_header("Content-Type", _FILES[name])
        self.finish(_FILE_PATHS.get(name, _STATIC / name).read_bytes())


class SummaryHandler(ClassHandler):
    def get(self):
        if self.lecturer():
            self.send_json(self.view.store.summary(self.view.open_pages()))


class CsvHandler(ClassHandler):
    def get(self):
        if self.lecturer():
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", 'attachment; filename="bpttviz-class.csv"')
            self.finish(self.view.store.csv())


class LessonsHandler(ClassHandler):
    def get(self):
        if self.lecturer():
            self.send_json(self.view.store.lessons_info())


class GuideHandler(ClassHandler):
    def post(self, action):
        if not self.lecturer():
            return
        try:
            data = self.json_body()
            lesson = data.get("lesson")
            if action == "clear":
                self.view.store.clear(lesson)
            else:
                step = data.get("step")
                self.view.store.check(lesson, step if step is not None else "missing")
                (self.view.store.set_pace if action == "pace"
                 else self.view.store.reveal)(lesson, step)
        except BadRequest as exc:
            return self.fail(exc.status, str(exc))
        self.view.changed()
        self.send_json({"ok": True, **self.view.store.state(lesson)})


class AnswerHandler(ClassHandler):
    async def post(self):
        if self.view.out_of_service():
            return self.fail(503, _OUTAGE)
        if not await self.view.kernel_allowed(self):
            return self.fail(403, "only a lesson's kernel may report answers.")
        try:
            data = self.json_body()
            page, answer_id = data.get("page"), data.get(ANSWER_ID)
            if not isinstance(page, str) or not PAGE_ID.match(page):
                raise BadRequest(f"malformed body: {_PAGE_RULE}, got {page!r}.")
            if answer_id is not None and (not isinstance(answer_id, str)
                                          or not PAGE_ID.match(answer_id)):
                raise BadRequest(f"malformed body: {_ID_RULE}, got {answer_id!r}.")
            lesson, step, choice = data.get("lesson"), data.get("step"), data.get("choice")
            self.view.store.check(lesson, step if step is not None else "missing",
                                  choice if choice is not None else "missing")
            if self.view.rate_limited(page):
                raise BadRequest(self.view.too_fast, 429)
            new = self.view.store.answer(page, lesson, step, choice, answer_id=answer_id,
                                         round_=data.get("round"))
        except BadRequest as exc:
            return self.fail(exc.status, str(exc))
        self.view.seen(page, lesson)
        # "new": False for an answer already stored by its id (sent again): counted once.
        self.send_json({"ok": True, "new": new})


class StateHandler(ClassHandler):
    async def get(self):
        if self.view.out_of_service():
            return self.fail(503, _OUTAGE)
        if not await self.view.kernel_allowed(self):
            return self.fail(403, "only a lesson's kernel may ask for the class's state.")
        page = self.get_query_argument("page", "")
        lesson = self.get_query_argument("lesson", "")
        try:
            if not PAGE_ID.match(page):
                raise BadRequest(f"malformed query: {_PAGE_RULE}.")
            self.view.store.check(lesson)
            version = int(self.get_query_argument("version", "-1"))
            hold = min(float(self.get_query_argument("hold", str(HOLD_S))), HOLD_S)
        except ValueError as exc:
            return self.fail(getattr(exc, "status", 400), str(exc))
        self.view.seen(page, lesson, +1)
        self._page = page
        self._wait = asyncio.ensure_future(self.view.wait_change(version, max(hold, 0.0)))
        try:
            await self._wait
        except asyncio.CancelledError:
            pass
        if getattr(self, "_gone", False):
            # The kernel ended (culled, shut down): its page is no longer open.
            lesson, _, held = self.view.pages.get(page, (lesson, 0.0, 1))
            self.view.pages[page] = (lesson, 0.0, max(0, held - 1))
            return
        self.view.seen(page, lesson, -1)
        self.send_json({"version": self.view.version, **self.view.store.state(lesson)})

    def on_connection_close(self):
        self._gone = True
        wait = getattr(self, "_wait", None)
        if wait is not None:
            wait.cancel()


class TeachingHandler(ClassHandler):
    """``POST api/vote`` (``{"lesson", "step", "open"}``) and ``api/pause``
    (``{"lesson", "paused"}``): a round of a vote opened or closed, a lesson paused or resumed."""

    def post(self, action):
        if not self.lecturer():
            return
        teaching = self.view.store.teaching
        try:
            data = self.json_body()
            lesson = data.get("lesson")
            if action == "vote":
                teaching.vote(lesson, data.get("step"), data.get("open"))
            else:
                teaching.switch("paused", lesson, data.get("paused"))
        except BadRequest as exc:
            return self.fail(exc.status, str(exc))
        self.view.changed()
        self.send_json({"ok": True, **self.view.store.state(lesson)})


class ExperimentHandler(ClassHandler):
    """``GET api/experiment?lesson=L``: the points; ``POST`` ``{"lesson", "running"}``.
    ``GET api/experiment/figure?lesson=L&x=PART:NAME&y=PART:NAME``: the points as the lessons'
    figure record for the lessons' renderer (:func:`experiment_figure`)."""

    def get(self, figure=None):
        if not self.lecturer():
            return
        try:
            points = self.view.store.teaching.experiment(self.get_query_argument("lesson", None))
            if figure:
                points = experiment_figure(points["points"], self.get_query_argument("x", ""),
                                           self.get_query_argument("y", ""))
            self.send_json(points)
        except BadRequest as exc:
            self.fail(exc.status, str(exc))

    def post(self, figure=None):
        if not self.lecturer():
            return
        if figure:
            return self.fail(405, "the experiment's figure is read (GET), not sent.")
        try:
            data = self.json_body()
            lesson = data.get("lesson")
            self.view.store.teaching.switch("experiment", lesson, data.get("running"))
        except BadRequest as exc:
            return self.fail(exc.status, str(exc))
        self.view.changed()
        self.send_json({"ok": True, **self.view.store.teaching.experiment(lesson)})


def _axis_of(given, name) -> tuple:
    """``(part, key)`` of an axis asked as ``PART:KEY`` (``settings`` or ``result``)."""
    part, _, key = given.partition(":")
    if part not in ("settings", "result") or not key:
        raise BadRequest(f"'{name}' must be settings:NAME or result:NAME, got {given!r}.")
    return part, key


def experiment_figure(points, x, y) -> dict:
    """The class's points, ``y`` against ``x`` (each ``settings:NAME`` or ``result:NAME``), as
    the lessons' live figures receive a record: ``{"spec", "arrays": {ref: base64},
    "description", "points": [{"x", "y", "link"}]}`` (the points drawn, in order)."""
    import base64

    import numpy as np

    from ...app.live.encode import encode
    from ...figures import class_points

    (xp, xk), (yp, yk) = _axis_of(x, "x"), _axis_of(y, "y")
    drawn = [{"x": p[xp][xk], "y": p[yp][yk], "link": p.get("link", "")} for p in points
             if all(isinstance(p.get(part, {}).get(k), (int, float))
                    and not isinstance(p[part][k], bool) and np.isfinite(p[part][k])
                    for part, k in ((xp, xk), (yp, yk)))]
    record = class_points([d["x"] for d in drawn], [d["y"] for d in drawn], xlabel=xk,
                          ylabel=yk)
    spec, arrays, _ = encode(record)
    left = len(points) - len(drawn)
    said = (f"The class's results: {len(drawn)} point{'s' if len(drawn) != 1 else ''}, {yk} "
            f"against {xk}" + (f" ({left} without both values)." if left else "."))
    return {"spec": spec, "description": said, "points": drawn,
            "arrays": {ref: base64.b64encode(bytes(b)).decode() for ref, b in arrays.items()
                       if b is not None}}


class ResultHandler(ClassHandler):
    """``POST kernel/result``: a page's point in its lesson's class experiment."""

    async def post(self):
        if not await self.view.kernel_allowed(self):
            return self.fail(403, "only a lesson's kernel may send results.")
        try:
            data = self.json_body()
            page = data.pop("page", None)
            if not isinstance(page, str) or not PAGE_ID.match(page):
                raise BadRequest(f"malformed body: {_PAGE_RULE}, got {page!r}.")
            lesson = data.pop("lesson", None)
            self.view.store.check(lesson)
            if self.view.rate_limited(page):
                raise BadRequest(self.view.too_fast, 429)
            self.view.store.teaching.send_point(page, lesson, data)
        except BadRequest as exc:
            return self.fail(exc.status, str(exc))
        self.send_json({"ok": True})


class Handlers(NamedTuple):
    """The handler class of each route (:data:`HANDLERS`; JupyterHub's are subclasses)."""

    page: type
    file: type
    summary: type
    csv: type
    lessons: type
    guide: type
    answer: type
    state: type
    teaching: type = TeachingHandler
    experiment: type = ExperimentHandler
    result: type = ResultHandler


HANDLERS = Handlers(PageHandler, FileHandler, SummaryHandler, CsvHandler, LessonsHandler,
                    GuideHandler, AnswerHandler, StateHandler)


def routes(view, prefix="", handlers=HANDLERS) -> list:
    """Tornado's ``(pattern, handler, kwargs)`` for every route of ``view``, under ``prefix``."""
    route, kernel = prefix.rstrip("/") + ROUTE, prefix.rstrip("/") + KERNEL_ROUTE
    kw = {"view": view}
    return [
        (route, handlers.page, kw),
        (route + "/static/(classview\\.js|classview\\.css|figure\\.js)", handlers.file, kw),
        (route + "/api/summary", handlers.summary, kw),
        (route + "/api/summary\\.csv", handlers.csv, kw),
        (route + "/api/lessons", handlers.lessons, kw),
        (route + "/api/(pace|reveal|clear)", handlers.guide, kw),
        (kernel + ANSWER_PATH, handlers.answer, kw),
        (kernel + STATE_PATH, handlers.state, kw),
        (route + "/api/(vote|pause)", handlers.teaching, kw),
        (route + "/api/experiment(/figure)?", handlers.experiment, kw),
        (kernel + RESULT_PATH, handlers.result, kw),
    ]


def make_app(view, prefix=""):
    """A tornado application serving only the class view (tests; the JupyterHub service)."""
    handlers, settings = view.standalone(prefix)
    return tornado.web.Application(handlers, **settings)
