"""The lecture-hall server's web application: Solara's routes, and what bpttviz puts around them.

* the landing page (``/`` and ``/voila/render/index.ipynb``): plain HTML, rendered once
  from ``index.ipynb`` and the lessons' registry; no session, no script;
* the lesson pages (:mod:`.pages`), behind :class:`ClassFull`: past ``--max-students``
  pages at once, a new student gets the "class is full" page (HTTP 503) instead of a page
  the server could not run well;
* static files (Solara's front end, the widgets' scripts) through :class:`Precompressed`:
  read and gzipped once, then sent from memory, cacheable by the browser as their URLs
  allow;
* the class view's routes (``/bpttviz/class``), when a class is on.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import os
import time
from collections import deque
from importlib import resources
from pathlib import Path

from ...lessons import contents
from ...upstream.solara_server import live_pages, queue_sends
from .narrative import markdown_html, narrative

__all__ = ["make_app", "Precompressed", "ClassFull", "landing_html", "STATIC_PREFIXES"]

#: Where Solara's front end and the widgets' scripts are served from.
STATIC_PREFIXES = ("/_solara/cdn/", "/static/", "/jupyter/nbextensions/")
#: A page let in holds its place this long while its websocket connects (seconds).
ADMIT_S = 30.0
LANDING_PATHS = ("/", "/voila/render/index.ipynb", "/voila/render/index.ipynb/")
PAGE_PREFIX = "/voila/render/"

_STYLE = """
body { margin: 0 auto; max-width: 56em; padding: 1em 1.5em 3em; font: 17px/1.55 sans-serif;
  color: #1a1a1a; background: #fff; }
a { color: #005a8c; }
table { border-collapse: collapse; } td, th { border: 1px solid #aaa; padding: 2px 8px; }
code { background: #f3f3f3; padding: 0 3px; }
"""


def landing_html(folder: Path) -> str:
    """The landing page: ``index.ipynb``'s text with the list of the lessons in ``folder``."""
    text = narrative(folder / "index.ipynb")
    body = text.before + markdown_html(contents(folder)) + text.after
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(text.title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def _class_full_page(message: str) -> bytes:
    source = (resources.files("bpttviz.serve") / "share" / "voila" / "templates" / "bpttviz"
              / "503.html").read_text(encoding="utf-8")
    import jinja2

    return jinja2.Template(source).render(status_code=503, message=message).encode()


class Precompressed:
    """Static files answered from memory, gzipped once.

    The first request of a path is answered by the application (Solara's static
    routes) with nothing compressed; the body is kept as it is and gzipped once, and
    every later request gets one or the other from memory: a class of 200 arriving
    with empty caches costs the server a dictionary lookup per file, not a compression.
    Their URLs name their version (``?v=<hash>``, ``@<version>/``), so browsers may keep
    them for a year.
    """

    def __init__(self, app, prefixes=STATIC_PREFIXES):
        self.app, self.prefixes = app, tuple(prefixes)
        self.cache = {}

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or not scope["path"].startswith(self.prefixes)):
            return await self.app(scope, receive, send)
        key = (scope["path"], scope.get("query_string", b""))
        hit = self.cache.get(key)
        if hit is None:
            hit = await self._fetch(scope, receive)
            if hit[0] != 200:
                return await _answer(send, *hit[:2], hit[2])
            self.cache[key] = hit
        status, headers, raw, zipped = hit
        accepts = dict(scope["headers"]).get(b"accept-encoding", b"")
        body, extra = (zipped, [(b"content-encoding", b"gzip")]) if b"gzip" in accepts else \
            (raw, [])
        headers = headers + extra + [(b"vary", b"Accept-Encoding"),
                                     (b"cache-control", b"public, max-age=31536000, immutable")]
        await _answer(send, status, headers, b"" if scope["method"] == "HEAD" else body,
                      len(body))

    async def _fetch(self, scope, receive):
        got = {"status": 500, "headers": [], "body": []}

        async def keep(message):
            if message["type"] == "http.response.start":
                got["status"], got["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                got["body"].append(message.get("body", b""))

        plain = dict(scope, method="GET",
                     headers=[(k, v) for k, v in scope["headers"] if k != b"accept-encoding"])
        await self.app(plain, receive, keep)
        raw = b"".join(got["body"])
        headers = [(k, v) for k, v in got["headers"]
                   if k.lower() in (b"content-type", b"etag", b"last-modified")]
        return got["status"], headers, raw, gzip.compress(raw, 6)


async def _answer(send, status, headers, body, length=None):
    length = len(body) if length is None else length
    await send({"type": "http.response.start", "status": status,
                "headers": list(headers) + [(b"content-length", str(length).encode())]})
    await send({"type": "http.response.body", "body": body})


class ClassFull:
    """At most ``max_pages`` lesson pages at once; the next one gets the "class is full" page.

    A page counts from its request: it holds its place :data:`ADMIT_S` seconds while
    its session connects, then as long as its session lives.
    """

    def __init__(self, app, max_pages: int | None, clock=time.monotonic):
        self.app, self.max_pages, self.clock = app, max_pages, clock
        self.admitted = deque()

    def pages(self) -> int:
        """Lesson pages counted now: live sessions, or recent admissions if more."""
        now = self.clock()
        while self.admitted and now - self.admitted[0] > ADMIT_S:
            self.admitted.popleft()
        return max(live_pages(), len(self.admitted))

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if (scope["type"] == "http" and self.max_pages and path.startswith(PAGE_PREFIX)
                and path.endswith(".ipynb") and path not in LANDING_PATHS):
            if self.pages() >= self.max_pages:
                body = _class_full_page("The class is full; try again in a minute.")
                return await _answer(send, 503, [(b"content-type", b"text/html; charset=utf-8"),
                                                 (b"cache-control", b"no-store")], body)
            self.admitted.append(self.clock())
        return await self.app(scope, receive, send)


class Prefixed:
    """Requests under ``prefix`` to the application ``inner``, the others to ``app``."""

    def __init__(self, app, prefix: str, inner):
        self.app, self.prefix, self.inner = app, prefix.rstrip("/"), inner

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or
                                        path.startswith(self.prefix + "/")):
            return await self.inner(scope, receive, send)
        return await self.app(scope, receive, send)


def make_app(folder: Path, max_pages: int | None = None, class_view=None, on_start=None):
    """The ASGI application of the lecture hall for the notebooks in ``folder``; with
    ``class_view`` (a :class:`~bpttviz.serve.classview.ClassView`), its routes too.
    ``on_start()`` runs (in a thread) once the application has started."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    import solara.server.starlette as solara_web

    # A page's messages are written by the server's loop in order, its thread not waiting
    # for each (:func:`~bpttviz.upstream.solara_server.queue_sends`).
    queue_sends()
    page = landing_html(folder)

    async def landing(request):
        return HTMLResponse(page, headers={"cache-control": "no-cache"})

    class_app = kernels_url = None
    if class_view is not None:
        from ...class_protocol import URL_ENV
        from ..classview.asgi import asgi_app

        class_app, kernels_url = asgi_app(class_view), os.environ.get(URL_ENV)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with solara_web.lifespan(app):
            # The server answers at once; what it prepares, it prepares meanwhile.
            if on_start is not None:
                asyncio.get_running_loop().run_in_executor(None, on_start)
            with _kernels_in_process(class_app, kernels_url):
                yield

    routes = [Route(p, landing) for p in LANDING_PATHS]
    app = Starlette(routes=routes + list(solara_web.routes), lifespan=lifespan)
    # Pages (their HTML differs by session) gzipped as they go, a millisecond each; static
    # files are gzipped once by Precompressed, which asks for them uncompressed.
    app = GZipMiddleware(app, minimum_size=1000, compresslevel=5)
    app = Precompressed(ClassFull(app, max_pages))
    if class_app is not None:
        from ...class_protocol import ROUTE

        app = Prefixed(app, ROUTE, class_app)
    return app


@contextlib.contextmanager
def _kernels_in_process(class_app, url):
    """While the server runs, its pages (in this process) reach the class view's kernel routes
    at ``url`` without a socket (:class:`~bpttviz.serve.classview.asgi.InProcess`). Over HTTP,
    each answer and each page's wait for the lecturer would be a request from this process to
    itself, written and parsed by a client and a server, the server's part on the thread every
    student's slider waits for."""
    if class_app is None or not url:
        yield
        return
    import asyncio

    from ...class_protocol import serve_in_process
    from ..classview.asgi import InProcess

    serve_in_process(url, InProcess(class_app, asyncio.get_running_loop(), url))
    try:
        yield
    finally:
        serve_in_process(url, None)
