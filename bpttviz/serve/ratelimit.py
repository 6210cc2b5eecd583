"""A limit on the rate of widget changes a page sends its kernel, per websocket connection.

A page's widget changes (ipywidgets ``comm_msg`` "update" messages: a slider
moved, a menu chosen) reach the kernel through the server's websocket
connection. :class:`RateLimitedConnection` (Voila's public
``Voila.kernel_websocket_connection_class``) lets each connection send
:data:`RATE` changes a second, in bursts of up to :data:`BURST` (a token
bucket); past it, a change waits, and only the newest waiting change of each
widget (and set of properties) is forwarded when the bucket allows it. So the
newest value always reaches the kernel (a slider never stays at a value the
kernel did not see), and the changes in between are dropped: counted, and the
page is told once per episode, by a ``custom`` message to the widget whose
changes were dropped, ``{"bpttviz": "rate-limited", "dropped": n}``
(:class:`bpttviz.app.controls.Lockable` turns it into a notice in the app).

A normal page is never limited: ipywidgets' page sends a widget's next change
only after the kernel has finished with the previous one (it keeps the newest
meanwhile), so a drag or a held key (browser key repeat, about 30 a second)
sends at most one change per kernel round trip. Measured (headless Chromium,
lesson 1's "frame" slider, the one lesson control that sends while dragged;
the others send on release): a fast drag back and forth, a pointer event
every 8 ms for 4 s, sent 82 changes, at most 20 in any second. The limit is
three times that. What the limit stops is a client that
does not wait: a script, or a page sending back to back (the classroom
benchmark's "stuck key": 300 updates at once cost the kernel 12 CPU-s and
slowed another student's redraws by a third).
"""

from __future__ import annotations

import asyncio
import json
import time

from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["RateLimitedConnection", "TokenBucket", "RATE", "BURST", "NOTICE"]

#: Widget changes a second a connection may send, sustained (a drag sends at most one per
#: pointer event, 60 a second on most screens, and fewer: one per kernel round trip) ...
RATE = 60.0
#: ... and at once (two seconds of a drag on a 120 Hz screen).
BURST = 120
#: The marker of the custom message that tells a widget its page's changes were dropped.
NOTICE = "rate-limited"
V1 = "v1.kernel.websocket.jupyter.org"


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` kept; :meth:`take` one if there is one."""

    def __init__(self, rate: float = RATE, burst: int = BURST, clock=time.monotonic):
        self.rate, self.burst, self.clock = float(rate), float(burst), clock
        self.tokens, self.last = float(burst), clock()

    def _fill(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def take(self) -> bool:
        self._fill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Seconds until a token is there."""
        self._fill()
        return max(0.0, (1 - self.tokens) / self.rate)


def well_framed(message) -> bool:
    """Whether ``message`` is a sound v1 frame: its count of offsets and its offsets fit in it.

    jupyter_server reads the count first and builds that many offsets: 8 bytes of garbage
    make it build a list of 10**17 numbers, and the server runs out of memory.
    """
    if not isinstance(message, bytes) or len(message) < 8:
        return False
    n = int.from_bytes(message[:8], "little")
    if not 2 <= n <= 1024 or len(message) < 8 * (n + 1):
        return False
    offsets = [int.from_bytes(message[8 * (i + 1):8 * (i + 2)], "little") for i in range(n)]
    return all(a <= b for a, b in zip(offsets, offsets[1:])) and offsets[-1] <= len(message)


def widget_update(message, subprotocol) -> tuple | None:
    """``(comm_id, properties)`` if the websocket ``message`` is a widget's state update
    from the page, else None (anything else passes unlimited)."""
    try:
        if subprotocol == V1:
            if not well_framed(message):
                return None
            channel, parts = deserialize_msg_from_ws_v1(message)
            if channel != "shell" or len(parts) < 4:
                return None
            if json.loads(parts[0]).get("msg_type") != "comm_msg":
                return None
            content = json.loads(parts[3])
        else:
            if isinstance(message, bytes):
                from jupyter_server.services.kernels.connection.base import (
                    deserialize_binary_message)

                msg = deserialize_binary_message(message)
            else:
                msg = json.loads(message)
            if msg.get("channel", "shell") != "shell":
                return None
            if msg.get("header", {}).get("msg_type") != "comm_msg":
                return None
            content = msg.get("content", {})
        data = content.get("data", {})
        if data.get("method") != "update":
            return None
        return content.get("comm_id"), tuple(sorted(data.get("state", {})))
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        return None


class RateLimitedConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel websocket connection with a limit on widget changes."""

    rate = RATE
    burst = BURST

    def _limit(self):
        if not hasattr(self, "_bucket"):
            self._bucket = TokenBucket(self.rate, self.burst)
            self._waiting = {}          # (comm_id, properties) -> newest change waiting
            self._dropped = {}          # comm_id -> changes dropped this episode
            self._flush_at = None
        return self._bucket

    def handle_incoming_message(self, incoming_msg):
        if self.subprotocol == V1 and not well_framed(incoming_msg):
            self.log.warning("bpttviz: a malformed message from a page was dropped")
            return None
        key = widget_update(incoming_msg, self.subprotocol)
        if key is None:
            return super().handle_incoming_message(incoming_msg)
        bucket = self._limit()
        if key in self._waiting:                     # a newer change replaces the one waiting
            del self._waiting[key]
            self._count_drop(key[0])
        if not self._waiting and bucket.take():
            return super().handle_incoming_message(incoming_msg)
        self._waiting[key] = incoming_msg
        self._schedule()
        return None

    def _count_drop(self, comm_id):
        self._dropped[comm_id] = self._dropped.get(comm_id, 0) + 1

    def _schedule(self):
        if self._flush_at is None:
            loop = asyncio.get_event_loop()
            self._flush_at = loop.call_later(self._bucket.wait(), self._flush)

    def _flush(self):
        self._flush_at = None
        if not self.channels:                        # the page went away
            self._waiting.clear()
            return
        while self._waiting and self._bucket.take():
            key = next(iter(self._waiting))
            super().handle_incoming_message(self._waiting.pop(key))
        if self._waiting:
            self._schedule()
            return
        dropped, self._dropped = self._dropped, {}
        for comm_id, n in dropped.items():
            self._tell(comm_id, n)

    def _tell(self, comm_id, n):
        """Send the kernel, on the widget's comm, the notice that ``n`` changes were dropped."""
        self.log.warning("bpttviz: %d widget changes from a page were dropped (more than %g a "
                         "second)", n, self.rate)
        content = {"comm_id": comm_id,
                   "data": {"method": "custom", "content": {"bpttviz": NOTICE, "dropped": n}}}
        try:
            self.session.send(self.channels["shell"], "comm_msg", content)
        except Exception as exc:
            self.log.warning("bpttviz: could not tell the page of dropped changes: %s", exc)
