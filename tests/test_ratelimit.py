"""The rate limit on widget changes per websocket connection: a token bucket, the newest
change of each widget kept, the rest dropped, counted and told to the page's app."""

import asyncio
import json
import sys
from pathlib import Path

import pytest

from bpttviz.serve import ratelimit
from bpttviz.serve.ratelimit import V1, TokenBucket, widget_update

pytest.importorskip("jupyter_server")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _client import pack  # the v1 framing, as the benchmarks' pages speak it


def message(msg_type, content, channel="shell"):
    parts = [json.dumps(x).encode() for x in ({"msg_type": msg_type}, {}, {}, content)]
    return pack(channel, parts)


def update(comm_id, value):
    return message("comm_msg", {"comm_id": comm_id, "data": {
        "method": "update", "state": {"value": value}, "buffer_paths": []}})


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_bucket_allows_a_burst_then_the_rate():
    clock = Clock()
    bucket = TokenBucket(rate=60, burst=120, clock=clock)
    assert sum(bucket.take() for _ in range(150)) == 120
    assert bucket.wait() == pytest.approx(1 / 60)
    clock.now = 1.0
    assert sum(bucket.take() for _ in range(150)) == 60


def test_a_held_key_or_a_drag_is_never_limited():
    # ipywidgets' page sends a widget's next change only once the kernel is done with the
    # last: at most one per round trip. Key repeat (~30/s) and a 60 Hz drag for a minute.
    assert (ratelimit.RATE, ratelimit.BURST) == (60, 120)
    for per_second in (30, 60):
        clock = Clock()
        bucket = TokenBucket(clock=clock)
        sent = 0
        for i in range(per_second * 60):
            clock.now = i / per_second
            sent += bucket.take()
        assert sent == per_second * 60, per_second


def test_only_widget_updates_from_the_page_are_counted():
    assert widget_update(update("abc", 3), V1) == ("abc", ("value",))
    custom = message("comm_msg", {"comm_id": "abc", "data": {"method": "custom", "content": {}}})
    assert widget_update(custom, V1) is None
    assert widget_update(message("kernel_info_request", {}), V1) is None
    assert widget_update(message("comm_msg", {"comm_id": "a"}, channel="control"), V1) is None
    assert widget_update(b"garbage", V1) is None           # not 10**17 offsets built
    assert not ratelimit.well_framed(b"garbage") and ratelimit.well_framed(update("a", 1))
    legacy = json.dumps({"channel": "shell", "header": {"msg_type": "comm_msg"}, "content": {
        "comm_id": "x", "data": {"method": "update", "state": {"value": 1, "b": 2}}}})
    assert widget_update(legacy, "") == ("x", ("b", "value"))


class Recorder(ratelimit.RateLimitedConnection):
    """The connection's limit alone: what reaches the kernel and what it is told, recorded."""

    def __init__(self):                           # none of the websocket machinery
        self.forwarded, self.told = [], []

    subprotocol = V1
    channels = {"shell": object()}

    class log:
        warning = staticmethod(lambda *a: None)

    def _forward(self, msg):
        self.forwarded.append(json.loads(ratelimit.deserialize_msg_from_ws_v1(msg)[1][3]))

    def _tell(self, comm_id, n):
        self.told.append((comm_id, n))


def test_a_flood_keeps_the_newest_value_and_tells_the_page_once(monkeypatch):
    monkeypatch.setattr(ratelimit.ZMQChannelsWebsocketConnection, "handle_incoming_message",
                        lambda self, msg: self._forward(msg))

    async def scenario():
        c = Recorder()
        for v in range(300):                      # a stuck key: 300 changes back to back
            c.handle_incoming_message(update("slider", v))
        c.handle_incoming_message(message("kernel_info_request", {}))    # never held back
        await asyncio.sleep(0.2)
        return c

    c = asyncio.run(scenario())
    values = [m["data"]["state"]["value"] for m in c.forwarded if "data" in m]
    assert values[:120] == list(range(120))        # the burst
    # then a token now and then while they arrive (a few), and the newest at the end
    assert values[-1] == 299 and 121 <= len(values) <= 125
    assert len(c.forwarded) == len(values) + 1
    assert c.told == [("slider", 300 - len(values))]     # those never forwarded, said once


def test_the_app_says_how_many_changes_were_dropped():
    from bpttviz.app import TruncationApp

    app = TruncationApp(query="")
    slider = app.widgets["k2"]
    slider._handle_custom_msg({"bpttviz": "rate-limited", "dropped": 198}, [])
    text = app.rate_notice.value
    assert "198 changes from this page were dropped" in text
    assert "faster than the server takes them" in text
    slider._handle_custom_msg({"bpttviz": "rate-limited", "dropped": 1}, [])
    assert "1 change from this page was dropped" in app.rate_notice.value
    assert app.rate_notice in app.widget.children[0].children or "bpttviz-rate-notice" in \
        app.rate_notice._dom_classes


@pytest.mark.slow
def test_a_burst_over_the_websocket_is_limited_and_the_app_says_so(tmp_path):
    """A real server: a client that does not wait sends 300 changes of lesson 3's slider back
    to back; the kernel gets the burst and the newest, and the app's notice says the rest
    were dropped."""
    websockets = pytest.importorskip("websockets")
    from _client import PROTOCOL, Kernel, fetch, kernel_id_of, step_values, websocket_url

    from bpttviz.serve import served

    class Page(Kernel):
        notice_id, notice = None, ""

        async def on_comm_msg(self, content, buffers):
            data = content.get("data", {})
            if content.get("comm_id") == self.notice_id and data.get("method") == "update":
                self.notice = data.get("state", {}).get("value", self.notice)
            await super().on_comm_msg(content, buffers)

    async def flood(url):
        kernel_id = kernel_id_of(fetch(url + "/voila/render/03_truncated_bptt.ipynb"))
        async with websockets.connect(websocket_url(url, kernel_id), subprotocols=[PROTOCOL],
                                      max_size=None) as ws:
            page = Page(ws)
            reader = asyncio.ensure_future(page.read())
            slider, state = await page.open_widgets("bpttviz-control-k2")
            page.notice_id = next(m for m, s in page.states.items() if "bpttviz-rate-notice"
                                  in s.get("state", {}).get("_dom_classes", ()))
            values = step_values(state, 300)
            for v in values:
                await page.set_value(slider, v)
            await page.until(lambda: "dropped" in page.notice, timeout=60,
                             what="the notice of dropped changes")
            reader.cancel()
            return page.notice

    log = tmp_path / "serve.log"
    with served(log=log, start_timeout=120) as server:
        notice = asyncio.run(flood(server.url))
        text = log.read_text()
    assert "changes from this page were dropped: the page sent them faster than the server " \
           "takes them" in notice
    import re
    n = int(re.search(r"(\d+) changes from this page were dropped", notice).group(1))
    assert 150 <= n <= 180                          # 300 less the burst of 120, less a few
    assert "widget changes from a page were dropped" in text
