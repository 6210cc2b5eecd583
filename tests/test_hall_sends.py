"""A lecture-hall page's messages are queued for the server's loop: written in order, the
page's thread not waiting for each, and a closed websocket said at the next message."""

import asyncio
import threading

import pytest
import starlette.websockets

from bpttviz.upstream.solara_server import queue_sends


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


class Socket:
    """A websocket that writes once ``opened`` is set, or raises as a closed one does (or
    ``fails``, as one that breaks)."""

    def __init__(self, loop):
        self.written, self.closed, self.fails = [], False, None
        self.opened = asyncio.run_coroutine_threadsafe(self._event(), loop).result()

    @staticmethod
    async def _event():
        return asyncio.Event()

    async def _write(self, data):
        await self.opened.wait()
        if self.closed:
            raise starlette.websockets.WebSocketDisconnect(1001)
        if self.fails is not None:
            raise self.fails
        self.written.append(data)

    send_text = send_bytes = _write


def wrapper(loop, socket):
    from solara.server.starlette import WebsocketWrapper

    async def make():
        return WebsocketWrapper(socket, portal=object())     # a page's thread: a portal
    return asyncio.run_coroutine_threadsafe(make(), loop).result()


def wait_for(condition, seconds=5.0):
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        done.wait(0.01)
    return condition()


def test_a_pages_messages_are_written_in_order_without_its_thread_waiting(loop):
    queue_sends()
    queue_sends()                          # twice: still one queue
    socket = Socket(loop)
    ws = wrapper(loop, socket)
    sent = [f"text {i}" if i % 3 else f"bytes {i}".encode() for i in range(300)]
    for data in sent:
        ws.send(data)                      # returns although nothing can be written yet
    assert socket.written == []
    loop.call_soon_threadsafe(socket.opened.set)
    assert wait_for(lambda: len(socket.written) == len(sent))
    assert socket.written == sent


@pytest.mark.parametrize("how", ["closed", "broken"])
def test_a_closed_websocket_is_said_at_the_pages_next_message(loop, how):
    from solara.server.websocket import WebSocketDisconnect

    queue_sends()
    socket = Socket(loop)
    if how == "closed":
        socket.closed = True
    else:
        socket.fails = ValueError("not a websocket any more")
    ws = wrapper(loop, socket)
    ws.send("first")                       # queued: its failure is not known yet
    loop.call_soon_threadsafe(socket.opened.set)
    assert wait_for(lambda: ws.__dict__["_bpttviz_outbox"].closed)
    with pytest.raises(WebSocketDisconnect):
        ws.send("second")
    assert socket.written == []
