"""Solara's server from the inside: how many pages (virtual kernels) live in this process, and
how a page's messages reach its websocket.

Solara keeps one "virtual kernel" per open page in a module-level dictionary of its
server; nothing public counts them. The lecture hall's class-full rule needs the
count (:func:`live_pages`).

Each page's widgets run on a thread of their own, and Solara sends each of their messages by
a call into the server's event loop that waits for it to be written (an anyio portal: a task
spawned and awaited per message). A lesson page sends tens of messages a slider move; with a
class in one process each of them took the interpreter back and forth between two threads,
and left the cycles of the spawned task for the collector, which then stopped every page to
free them. :func:`queue_sends` has each page's messages queued in order instead and written by
one task of the event loop, the page's thread going on at once.
"""

from __future__ import annotations

import collections
import logging
import threading

PRIVATE_NAMES = (
    ("solara.server.kernel_context", "contexts"),
    ("solara.server.starlette", "WebsocketWrapper"),
    ("solara.server.starlette.WebsocketWrapper", "_send_text_exc"),
    ("solara.server.starlette.WebsocketWrapper", "_send_bytes_exc"),
    ("solara.server.starlette.WebsocketWrapper", "portal"),
    ("solara.server.starlette.WebsocketWrapper", "event_loop"),
    ("solara.server.starlette.WebsocketWrapper", "_thread_id"),
    ("solara.server.starlette.WebsocketWrapper", "tasks"),
)


def live_pages() -> int:
    """The pages whose session lives in this process now (open, or closed within the time
    Solara keeps a session for a page that may reconnect)."""
    from solara.server import kernel_context

    return len(kernel_context.contexts)


class _Outbox:
    """One websocket's messages waiting to be written, in order, and whether a task of the
    event loop writes them now. Filled from the page's thread, emptied on the loop."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queue = collections.deque()
        self.writing = False
        self.closed = False


def queue_sends():
    """Have every page's messages queued and written in order by the server's event loop,
    without the page's thread waiting for each (see the module). A websocket found closed
    raises Solara's ``WebSocketDisconnect`` at the page's next message, as a send waited for
    would have at that one. Messages sent from the loop's own thread go as Solara sends them.
    Idempotent."""
    from solara.server import starlette as solara_starlette
    from solara.server.websocket import WebSocketDisconnect

    wrapper = solara_starlette.WebsocketWrapper
    if getattr(wrapper, "_bpttviz_queued", False):
        return
    text, binary = wrapper.send_text, wrapper.send_bytes

    async def write(ws, box):
        try:
            while True:
                with box.lock:
                    if not box.queue:
                        box.writing = False
                        return
                    data = box.queue.popleft()
                await (ws._send_bytes_exc(data) if isinstance(data, bytes)
                       else ws._send_text_exc(data))
        except WebSocketDisconnect:
            pass
        except Exception:           # said, and the socket given up, as Solara's send does
            logging.getLogger(__name__).exception("A page's message could not be sent")
        with box.lock:
            box.closed, box.writing = True, False
            box.queue.clear()

    def start(ws, box):
        task = ws.event_loop.create_task(write(ws, box))
        ws.tasks.add(task)                 # a strong reference, as Solara keeps its own
        task.add_done_callback(ws.tasks.discard)

    def queued(original):
        def send(ws, data):
            if ws.portal is None or ws._thread_id == threading.get_ident():
                return original(ws, data)
            box = ws.__dict__.get("_bpttviz_outbox")
            if box is None:
                box = ws.__dict__.setdefault("_bpttviz_outbox", _Outbox())
            with box.lock:
                if box.closed:
                    raise WebSocketDisconnect()
                box.queue.append(data)
                idle, box.writing = not box.writing, True
            if idle:
                ws.event_loop.call_soon_threadsafe(start, ws, box)
        send.__doc__ = original.__doc__
        return send

    wrapper.send_text, wrapper.send_bytes = queued(text), queued(binary)
    wrapper._bpttviz_queued = True
