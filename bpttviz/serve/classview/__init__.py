"""The class view: the lecturer sees the class's answers to the guided steps, paces and reveals.

``bpttviz serve --class`` adds these routes to the Voila server of the lessons; on
JupyterHub the same routes run as a hub-managed service of their own
(``python -m bpttviz.serve.classview``, :mod:`bpttviz.hub`).

Routes, under :data:`ROUTE` (``/bpttviz/class``):

``GET  /bpttviz/class?token=T``             the lecturer's page (:data:`PAGE`)
``GET  /bpttviz/class/api/summary``         the class's answers and open pages (JSON)
``GET  /bpttviz/class/api/summary.csv``     the same counts as CSV
``GET  /bpttviz/class/api/lessons``         each lesson's steps: titles, choices, answers, pace
``POST /bpttviz/class/api/pace``            ``{"lesson", "step"}``: bring the class to a step
``POST /bpttviz/class/api/reveal``          ``{"lesson", "step"}``: reveal a step's answer
``POST /bpttviz/class/api/clear``           ``{"lesson"}``: forget a lesson's answers, pace, reveals
``POST /bpttviz/class/kernel/answer``       a kernel reports its page's choice
``GET  /bpttviz/class/kernel/state``        a kernel waits for the pace and reveals (long poll)

The lecturer's routes take the token (``Authorization: token T`` or ``?token=T``),
compared in constant time; the access log shows paths without their query, so the
token is never logged. The kernel routes take a per-server secret
(``Authorization: bpttviz-kernel S``) that only the kernels have (their environment,
inherited from the server): a page's browser cannot read or forge answers. On
JupyterHub a kernel shows its user's own hub token instead.

Storage is SQLite in the state folder (:func:`default_state_dir`): answers (a random
page id, lesson, step, choice, time; the latest answer of a page at a step replaces
its earlier one) and the pace and reveals. Only this server writes; the counts are
kept in memory too, so a summary costs no query. A page is "open" while its kernel
waits on ``kernel/state`` or did within :data:`OPEN_S` seconds.
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ...class_protocol import (ANSWER_PATH, HOLD_S, KERNEL_ROUTE, KERNEL_SCHEME, PAGE_ID, ROUTE,
                               SECRET_ENV, STATE_PATH, URL_ENV)
from .store import BadRequest, ClassLesson, ClassStore, class_lessons

__all__ = ["ROUTE", "MAX_BODY", "ANSWERS_PER_S", "OPEN_S", "HOLD_S", "SECRET_ENV", "URL_ENV",
           "TOKEN_ENV", "ClassLesson", "ClassOptions", "class_options", "ClassStore", "ClassView",
           "HubClassView", "class_lessons",
           "default_state_dir", "new_token", "kernel_environment", "class_url", "make_app",
           "main"]

#: Largest request body accepted, in bytes.
MAX_BODY = 4096
#: Answers a page may send in one second; more are refused with 429.
ANSWERS_PER_S = 10
#: A page counts as open this many seconds after its kernel last asked for the class's state.
OPEN_S = 5.0
#: The token of the lecturer's page, if not a fresh one.
TOKEN_ENV = "BPTTVIZ_CLASS_TOKEN"
_STATIC = Path(__file__).resolve().parent.parent / "classview_page"
#: The lecturer's page and its files, served from the package.
PAGE = _STATIC / "index.html"
_FILES = {"classview.js": "application/javascript", "classview.css": "text/css"}


def default_state_dir() -> Path:
    """Where the class view keeps its SQLite file by default: the user's data folder
    (``$XDG_DATA_HOME/bpttviz``, else ``~/.local/share/bpttviz``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "bpttviz"


def new_token() -> str:
    """A fresh random token for the lecturer's page."""
    return secrets.token_urlsafe(24)


def class_url(host: str, port: int, token: str) -> str:
    """The address of the lecturer's page that ``bpttviz serve --class`` prints."""
    return f"http://{host}:{int(port)}{ROUTE}?token={token}"


def kernel_environment(host: str, port: int, secret: str) -> dict:
    """The variables that tell a lesson's kernel where to report, and with what secret.

    A kernel reaches the server on this machine: through 127.0.0.1 when the server listens
    on every address (``0.0.0.0``, ``::``), else on the address it listens on.
    """
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    reach = f"[{reach}]" if ":" in reach else reach
    return {URL_ENV: f"http://{reach}:{int(port)}{KERNEL_ROUTE}", SECRET_ENV: secret}


@dataclass(frozen=True)
class ClassOptions:
    """What ``bpttviz serve --class`` asks for: the lecturer's token and the state folder."""

    token: str             #: the lecturer's token
    state_dir: Path        #: the folder of the SQLite file

    def url(self, host, port) -> str:
        return class_url(host, port, self.token)

    def start(self, notebooks, host, port):
        """The :class:`ClassView` of the lessons in ``notebooks`` and the kernels' environment."""
        from ..notebooks import page_names

        secret = secrets.token_urlsafe(32)
        store = ClassStore(Path(self.state_dir) / "class.sqlite",
                           class_lessons(page_names(notebooks)))
        return (ClassView(store, token=self.token, secret=secret),
                kernel_environment(host, port, secret))


def class_options(token=None, state_dir=None) -> ClassOptions:
    """The options of ``bpttviz serve --class``: ``token`` (else ``$BPTTVIZ_CLASS_TOKEN``, else
    a fresh one) and ``state_dir`` (else :func:`default_state_dir`).

    Raises ``ValueError`` for a token shorter than 8 characters or with characters a link
    would have to escape.
    """
    token = token or os.environ.get(TOKEN_ENV) or new_token()
    if not re.fullmatch(r"[A-Za-z0-9._~-]{8,256}", token):
        raise ValueError("the class token must be 8 to 256 letters, digits or . _ ~ -. "
                         f"Got one of {len(token)} characters with others.")
    return ClassOptions(token, Path(state_dir) if state_dir else default_state_dir())


class ClassView:
    """The class view's state and rules, shared by its request handlers.

    Parameters
    ----------
    store : ClassStore
    token : str or None
        The lecturer's token; None when :attr:`lecturer_allowed` is replaced (JupyterHub).
    secret : str or None
        The kernels' secret; None when :attr:`kernel_allowed` is replaced (JupyterHub).
    """

    #: A class mixed into every handler (JupyterHub's OAuth), or None.
    mixin = None
    #: What a request without the lecturer's credentials is told.
    refusal = "a valid token is needed (Authorization: token TOKEN, or ?token=)."

    def __init__(self, store, *, token=None, secret=None):
        self.store = store
        self.token = token
        self.secret = secret
        #: ``{page: (lesson, last seen, requests waiting)}``
        self.pages = {}
        self._recent = collections.defaultdict(collections.deque)
        # Bound to the running loop at its first wait (Python >= 3.10), not here.
        self._changed = asyncio.Event()
        self.version = 0

    # -- who may do what -------------------------------------------------------------------
    @staticmethod
    def _credential(handler, scheme):
        header = handler.request.headers.get("Authorization", "")
        if header.lower().startswith(scheme + " "):
            return header[len(scheme) + 1:].strip()
        return None

    def lecturer_allowed(self, handler) -> bool:
        """Whether the request carries the lecturer's token (header, or ``?token=``)."""
        given = self._credential(handler, "token")
        if given is None:
            given = handler.get_query_argument("token", "")
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())

    def login_first(self, handler) -> bool:
        """Whether the page's request was sent to log in first (never, with a token)."""
        return False

    async def kernel_allowed(self, handler) -> bool:
        """Whether the request carries the kernels' secret."""
        given = self._credential(handler, KERNEL_SCHEME) or ""
        return bool(self.secret) and hmac.compare_digest(given.encode(), self.secret.encode())

    # -- pages open now --------------------------------------------------------------------
    def seen(self, page, lesson, waiting=0):
        """Note that ``page`` on ``lesson`` asked now; ``waiting`` changes its held requests."""
        _, _, held = self.pages.get(page, (lesson, 0.0, 0))
        self.pages[page] = (lesson, time.monotonic(), max(0, held + waiting))

    def open_pages(self) -> dict:
        """``{lesson: pages open now}``; pages gone quiet are forgotten."""
        now, counts = time.monotonic(), collections.Counter()
        for page, (lesson, last, held) in list(self.pages.items()):
            if held or now - last <= OPEN_S:
                counts[lesson] += 1
            elif now - last > 10 * OPEN_S:
                del self.pages[page]
                self._recent.pop(page, None)
        return dict(counts)

    def rate_limited(self, page) -> bool:
        """Whether ``page`` has sent :data:`ANSWERS_PER_S` answers in the last second already."""
        now, times = time.monotonic(), self._recent[page]
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= ANSWERS_PER_S:
            return True
        times.append(now)
        return False

    # -- changes the kernels wait for --------------------------------------------------------
    def changed(self):
        """Wake every kernel waiting for the state."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, version, timeout):
        """Return once the state's version differs from ``version``, or after ``timeout`` s."""
        if version != self.version:
            return
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def handlers(self, prefix="") -> list:
        """Tornado's ``(pattern, handler, kwargs)`` for every route, under ``prefix``."""
        route, kernel = prefix.rstrip("/") + ROUTE, prefix.rstrip("/") + KERNEL_ROUTE
        kw = {"view": self}
        h = _handler_classes(self.mixin)
        return [
            (route, h["PageHandler"], kw),
            (route + "/static/(classview\\.js|classview\\.css)", h["FileHandler"], kw),
            (route + "/api/summary", h["SummaryHandler"], kw),
            (route + "/api/summary\\.csv", h["CsvHandler"], kw),
            (route + "/api/lessons", h["LessonsHandler"], kw),
            (route + "/api/(pace|reveal|clear)", h["GuideHandler"], kw),
            (kernel + ANSWER_PATH, h["AnswerHandler"], kw),
            (kernel + STATE_PATH, h["StateHandler"], kw),
        ]


def _handler_base(mixin=None):
    import tornado.web

    mixins = (mixin,) if mixin is not None else ()

    @tornado.web.stream_request_body
    class Base(*mixins, tornado.web.RequestHandler):
        """A route of the class view: bodies of :data:`MAX_BODY` bytes at most, errors as JSON,
        and an access log without the query (where the token may be)."""

        def initialize(self, view):
            self.view = view
            if mixin is not None:
                self.hub_auth = view.hub_auth
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

        def fail(self, status, message):
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": message}))

        def write_error(self, status_code, **kwargs):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": self._reason}))

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

        def send_json(self, data):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(data))

    return Base


def _handlers(mixin=None):
    base = _handler_base(mixin)

    class PageHandler(base):
        def get(self):
            if self.view.login_first(self):
                return
            if self.lecturer():
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.set_header("Content-Security-Policy", "default-src 'self'; "
                                "frame-ancestors 'none'")
                page = PAGE.read_text(encoding="utf-8")
                # A page logged in through JupyterHub sends the hub's XSRF token with its requests.
                xsrf = self.xsrf_token.decode() if mixin is not None else ""
                self.finish(page.replace('name="bpttviz-xsrf" content=""',
                                         f'name="bpttviz-xsrf" content="{xsrf}"'))

    class FileHandler(base):
        def get(self, name):
            self.set_header("Content-Type", _FILES[name])
            self.finish((_STATIC / name).read_bytes())

    class SummaryHandler(base):
        def get(self):
            if self.lecturer():
                self.send_json(self.view.store.summary(self.view.open_pages()))

    class CsvHandler(base):
        def get(self):
            if self.lecturer():
                self.set_header("Content-Type", "text/csv; charset=utf-8")
                self.set_header("Content-Disposition",
                                'attachment; filename="bpttviz-class.csv"')
                self.finish(self.view.store.csv())

    class LessonsHandler(base):
        def get(self):
            if self.lecturer():
                self.send_json(self.view.store.lessons_info())

    class GuideHandler(base):
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

    class AnswerHandler(base):
        async def post(self):
            if not await self.view.kernel_allowed(self):
                return self.fail(403, "only a lesson's kernel may report answers.")
            try:
                data = self.json_body()
                page = data.get("page")
                if not isinstance(page, str) or not PAGE_ID.match(page):
                    raise BadRequest(f"malformed body: 'page' must be 8 to 64 letters, digits, "
                                     f"'-' or '_', got {page!r}.")
                lesson, step, choice = data.get("lesson"), data.get("step"), data.get("choice")
                self.view.store.check(lesson, step if step is not None else "missing",
                                      choice if choice is not None else "missing")
                if self.view.rate_limited(page):
                    raise BadRequest(f"at most {ANSWERS_PER_S} answers a second per page.", 429)
                self.view.store.answer(page, lesson, step, choice)
            except BadRequest as exc:
                return self.fail(exc.status, str(exc))
            self.view.seen(page, lesson)
            self.send_json({"ok": True})

    class StateHandler(base):
        async def get(self):
            if not await self.view.kernel_allowed(self):
                return self.fail(403, "only a lesson's kernel may ask for the class's state.")
            page = self.get_query_argument("page", "")
            lesson = self.get_query_argument("lesson", "")
            try:
                if not PAGE_ID.match(page):
                    raise BadRequest("malformed query: 'page' must be 8 to 64 letters, digits, "
                                     "'-' or '_'.")
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

    return {c.__name__: c for c in (PageHandler, FileHandler, SummaryHandler, CsvHandler,
                                    LessonsHandler, GuideHandler, AnswerHandler, StateHandler)}


_HANDLERS = {}


def _handler_classes(mixin=None) -> dict:
    """The request handlers by name, made once per ``mixin``: they subclass tornado's, imported
    only when a server starts."""
    if mixin not in _HANDLERS:
        _HANDLERS[mixin] = _handlers(mixin)
    return _HANDLERS[mixin]


class HubClassView(ClassView):
    """The class view as a JupyterHub service: the lecturer logs in through the hub (OAuth;
    users with the scope ``access:services!service=<name>``: the teacher's role, admins), and
    a kernel shows its user's own hub token (``JUPYTERHUB_API_TOKEN``), which the hub
    identifies."""

    refusal = ("log in through JupyterHub as the class's teacher or an admin (or send a hub "
               "token of theirs: Authorization: token TOKEN).")

    def __init__(self, store, hub_auth):
        super().__init__(store)
        from jupyterhub.services.auth import HubOAuthenticated

        self.hub_auth = hub_auth
        self.mixin = HubOAuthenticated

    def lecturer_allowed(self, handler) -> bool:
        return handler.current_user is not None

    def login_first(self, handler) -> bool:
        if handler.current_user is None and handler.hub_auth.get_user(handler) is None:
            handler.redirect(handler.get_login_url())
            return True
        return False

    async def kernel_allowed(self, handler) -> bool:
        token = self._credential(handler, "token")
        if not token:
            return False
        model = await self.hub_auth.user_for_token(token, sync=False)
        return bool(model) and model.get("kind", "user") == "user"


def make_app(view, prefix=""):
    """A tornado application serving only the class view (tests; the JupyterHub service)."""
    import tornado.web

    handlers = view.handlers(prefix)
    settings = {}
    if isinstance(view, HubClassView):
        from jupyterhub.services.auth import HubOAuthCallbackHandler

        root = prefix.rstrip("/")
        handlers += [(root + "/oauth_callback", HubOAuthCallbackHandler),
                     (root + "/?", tornado.web.RedirectHandler, {"url": root + ROUTE})]
        settings["cookie_secret"] = secrets.token_bytes(32)
    return tornado.web.Application(handlers, **settings)


def main(argv=None) -> int:
    """``python -m bpttviz.serve.classview``: the class view on its own (see :mod:`bpttviz.hub`)."""
    import argparse

    import tornado.ioloop

    from ..notebooks import lessons_dir, page_names

    parser = argparse.ArgumentParser(prog="python -m bpttviz.serve.classview",
                                     description="The class view on its own, beside servers "
                                                 "of the lessons whose kernels report to it.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8867)
    parser.add_argument("--notebooks", default=None, help="the lessons' folder (its names)")
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--prefix", default="", help="a path the routes are under")
    parser.add_argument("--hub", action="store_true",
                        help="run as a JupyterHub service: address, prefix and authentication "
                             "from the hub's JUPYTERHUB_* variables")
    args = parser.parse_args(argv)
    lessons = class_lessons(page_names(args.notebooks or lessons_dir()))
    state = Path(args.state_dir) if args.state_dir else default_state_dir()

    async def run():
        store = ClassStore(state / "class.sqlite", lessons)
        if args.hub:
            from urllib.parse import urlsplit

            from jupyterhub.services.auth import HubOAuth

            where = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
            # The one instance: the OAuth callback handler finds its login state there.
            view = HubClassView(store, HubOAuth.instance(cache_max_age=60))
            prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
            make_app(view, prefix).listen(where.port, where.hostname)
            print(f"Class view at {prefix.rstrip('/')}{ROUTE} (through the hub)", flush=True)
        else:
            token = os.environ.get(TOKEN_ENV) or new_token()
            secret = os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)
            view = ClassView(store, token=token, secret=secret)
            make_app(view, args.prefix).listen(args.port, args.host)
            print(f"Class view: {class_url(args.host, args.port, token)}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())
    return 0
