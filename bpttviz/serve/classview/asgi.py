"""The class view inside an ASGI server (the lecture hall), its tornado handlers unchanged.

The class view's handlers are tornado's (:mod:`.handlers`), as JupyterHub services write
theirs; the lecture hall is an ASGI application. :class:`TornadoASGI` runs a tornado
``Application`` for ASGI requests through tornado's public interfaces: each request
becomes an ``HTTPServerRequest`` on an ``HTTPConnection`` that writes to the ASGI
``send``, so one set of handlers serves the hall, the standalone class view and the hub.
A client that goes away (a long poll's kernel ended) is told to the handler, as tornado's
own server tells it.

The hall's pages live in its process: :class:`InProcess` lets their kernels' threads call the
same application on the server's event loop, the request and its answer as they would be over
HTTP, without a socket, an HTTP parser or a client library on either side.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import urllib.parse

import tornado.httputil
import tornado.web

__all__ = ["TornadoASGI", "InProcess", "asgi_app"]


class _Connection(tornado.httputil.HTTPConnection):
    """One ASGI request's side of tornado's connection interface: what the handler writes,
    sent in order (each write a future, as tornado expects)."""

    def __init__(self, send):
        self.send = send
        self.close_callback = None
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        self._last = None

    def _then(self, message):
        previous = self._last

        async def step():
            if previous is not None:
                await previous
            await self.send(message)

        self._last = asyncio.ensure_future(step())
        return self._last

    def set_close_callback(self, callback):
        self.close_callback = callback

    def write_headers(self, start_line, headers, chunk=None):
        future = self._then({"type": "http.response.start", "status": start_line.code,
                             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                         for k, v in headers.get_all()]})
        return self.write(chunk) if chunk else future

    def write(self, chunk):
        return self._then({"type": "http.response.body", "body": bytes(chunk),
                           "more_body": True})

    def finish(self):
        last = self._then({"type": "http.response.body", "body": b"", "more_body": False})
        last.add_done_callback(lambda _: self.done.done() or self.done.set_result(None))

    def closed(self):
        """The client went away before the answer."""
        if self.close_callback is not None:
            callback, self.close_callback = self.close_callback, None
            callback()
        if not self.done.done():
            self.done.set_result(None)


class TornadoASGI:
    """An ASGI application that answers with the tornado ``Application`` ``app``."""

    def __init__(self, app: tornado.web.Application):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = tornado.httputil.HTTPHeaders()
        for k, v in scope["headers"]:
            headers.add(k.decode("latin-1"), v.decode("latin-1"))
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        connection = _Connection(send)
        client = scope.get("client") or ("127.0.0.1", 0)
        start = tornado.httputil.RequestStartLine(
            scope["method"], path + ("?" + query if query else ""),
            "HTTP/" + scope.get("http_version", "1.1"))
        request = tornado.httputil.HTTPServerRequest(
            start_line=start, headers=headers, connection=connection)
        request.remote_ip = client[0]
        delegate = self.app.find_handler(request)
        delegate.headers_received(start, headers)
        if body:
            delegate.data_received(bytes(body))
        delegate.finish()

        async def watch():
            while not connection.done.done():
                if (await receive())["type"] == "http.disconnect":
                    connection.closed()
                    return

        watcher = asyncio.ensure_future(watch())
        try:
            await connection.done
        finally:
            watcher.cancel()


class InProcess:
    """Requests to the ASGI application ``app`` made from other threads of its process.

    ``InProcess(app, loop, url)(method, target, headers, body, timeout)`` runs the request
    for ``url + target`` on ``loop`` (the server's) and returns ``(status, body)``: 500 for an
    error the application raised, as a server answers; it raises ``OSError`` when there is
    no answer within ``timeout`` seconds or the loop has stopped (as a client does for a
    server that does not answer). The signature of
    :func:`bpttviz.class_protocol.serve_in_process`.
    """

    def __init__(self, app, loop, url):
        parts = urllib.parse.urlsplit(url)
        self.app, self.loop = app, loop
        self.prefix, self.host = parts.path.rstrip("/"), parts.netloc

    def __call__(self, method, target, headers, body=None, timeout=10.0):
        try:
            future = asyncio.run_coroutine_threadsafe(
                self._request(method, target, headers, body or b""), self.loop)
        except RuntimeError as exc:               # the loop is closed: the server stopped
            raise ConnectionRefusedError(str(exc)) from None
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout:g} s") from None
        except concurrent.futures.CancelledError:
            raise ConnectionAbortedError("the server stopped") from None

    async def _request(self, method, target, headers, body):
        path, _, query = (self.prefix + target).partition("?")
        scope = {"type": "http", "method": method, "path": path, "http_version": "1.1",
                 "query_string": query.encode("latin-1"), "client": ("127.0.0.1", 0),
                 "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                             for k, v in {"Host": self.host, **headers}.items()]}
        received = asyncio.Event()

        async def receive():
            if not received.is_set():
                received.set()
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Future()                # the client stays until the answer
        status, chunks = 500, []

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        except Exception:
            logging.getLogger(__name__).exception("%s %s", method, path)
            return 500, b'{"error": "the class view failed on this request."}'
        return status, b"".join(chunks)


def asgi_app(view, prefix=""):
    """The class view ``view`` as an ASGI application (its routes under ``prefix``)."""
    routes, settings = view.standalone(prefix)
    return TornadoASGI(tornado.web.Application(routes, **settings))
