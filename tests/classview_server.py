"""The class view served in this process, on a thread of its own on 127.0.0.1, and requests to
it as the lecturer's page and the kernels make them: its token and the kernels' secret."""

import asyncio
import contextlib
import json
import threading
import time
import urllib.error
import urllib.request

from bpttviz.class_protocol import KERNEL_ROUTE, serve_in_process
from bpttviz.serve import free_port
from bpttviz.serve.classview.asgi import InProcess, asgi_app
from bpttviz.serve.classview import ClassStore, ClassView, class_lessons, make_app
from bpttviz.serve.notebooks import lesson_names

TOKEN, SECRET = "lecturer-token-1234", "kernel-secret-5678"
LESSON = "02_vanishing_exploding"
#: The Authorization headers of the lecturer and of a kernel.
LECTURER, KERNEL = f"token {TOKEN}", f"bpttviz-kernel {SECRET}"


class Clock:
    """A clock that stands still until the test moves it (``clock.now``, seconds)."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@contextlib.contextmanager
def class_server(state_dir, clock=time.monotonic, port=None, in_process=False):
    """The class view on ``port`` (else a free one) of 127.0.0.1 in a thread; yields its base
    URL. ``clock``: the view's clock, the real one or a :class:`Clock` the test holds.
    ``in_process``: its kernel routes are also served to this process's kernels without a
    socket, as a lecture hall serves its pages."""
    port, ready, stop = port or free_port(), threading.Event(), {}
    kernels = f"http://127.0.0.1:{port}{KERNEL_ROUTE}"

    def run():
        async def main():
            view = ClassView(ClassStore(state_dir / "class.sqlite", class_lessons(lesson_names())),
                             token=TOKEN, secret=SECRET, clock=clock)
            server = make_app(view).listen(port, "127.0.0.1")
            if in_process:
                serve_in_process(kernels, InProcess(asgi_app(view), asyncio.get_running_loop(),
                                                    kernels))
            stop["event"], stop["loop"] = asyncio.Event(), asyncio.get_running_loop()
            ready.set()
            await stop["event"].wait()
            serve_in_process(kernels, None)
            server.stop()
            view.store.close()
        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}/bpttviz/class"
    finally:
        stop["loop"].call_soon_threadsafe(stop["event"].set)
        thread.join(10)


def request(url, body=None, auth=None, raw=None, method=None):
    """(status, parsed JSON or text) of a request; ``auth`` is the Authorization header."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method)
    if auth:
        req.add_header("Authorization", auth)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text, kind = r.status, r.read().decode(), r.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        status, text, kind = e.code, e.read().decode(), e.headers["Content-Type"]
    return status, (json.loads(text) if kind and "json" in kind else text)


def until(check, what, timeout=60):
    """Return once ``check()`` is true; fail, saying ``what`` did not happen, after ``timeout``
    seconds (generous: it happens at once)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not so after {timeout} s: {what}"
        time.sleep(0.05)


def as_a_class_page(monkeypatch, url, page):
    """Make this process's lesson apps pages of a class: they report to the class view at
    ``url`` with its secret, as the page ``page`` (its path) of a served lesson."""
    from bpttviz.app.classroom import SECRET_ENV, URL_ENV

    monkeypatch.setenv(URL_ENV, url + "/kernel")
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("SCRIPT_NAME", page)
