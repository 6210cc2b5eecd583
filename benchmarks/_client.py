"""A lesson page's widgets at the protocol level: its kernel's websocket, spoken as a browser does.

Shared by the benchmarks that simulate pages without a browser (``bench_classroom``,
``bench_redraw``). A page, as the browser loads it:

1. GET ``/voila/render/<lesson>.ipynb``: Voila starts (or takes) a kernel and runs the
   notebook; the HTML carries the kernel id.
2. Open ``/api/kernels/<id>/channels`` with the subprotocol ``v1.kernel.websocket.jupyter.org``,
   send ``kernel_info_request``, open a ``jupyter.widget.control`` comm and ask for every
   widget's state (``request_states``, ipywidgets 8).
3. Find the lesson's slider by its DOM class ``bpttviz-control-<name>``, its status line by
   ``bpttviz-status`` and its live figures (anywidget's ``AnyModel`` with a ``spec``).
   A figure's arrays were sent before anyone listened, so the client asks for those its
   ``spec`` names (``{"type": "need", "refs": [...]}``, as ``figure.js`` does); the page is
   ready when every figure has all its arrays.

A slider move is a ``comm_msg`` ``{"method": "update", "state": {"value": X}}``. It is answered
when the kernel is idle again, the status line has said "updated in" once more (the app says
so after it has sent every figure that changed: a change from the page may be computed after
the kernel went idle, see ``bpttviz.app.base.SETTLE_S``) and every figure has the arrays of
its newest ``spec`` (new arrays come as binary buffers in the state update that names them;
arrays asked for, as custom ``arrays`` messages).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROTOCOL = "v1.kernel.websocket.jupyter.org"
STEP_TIMEOUT = 120          # seconds for any one wait (page, states, arrays, move)


def lesson_sliders() -> dict:
    """Page name -> the slider a class moves in it (``Lesson.class_control``), for every lesson
    of the registry (:data:`bpttviz.lessons.LESSONS`), in order. Imports bpttviz (and NumPy):
    call it after the benchmark has set its BLAS threads."""
    from bpttviz.lessons import LESSONS

    return {cls.page_name(): cls.class_control for cls in LESSONS.values()}


# -- the kernel websocket, v1 protocol --------------------------------------------------------
def pack(channel: str, parts: list) -> bytes:
    """One message in the v1 kernel websocket framing (jupyter_server's serialize_msg_to_ws_v1)."""
    ch = channel.encode()
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(ch))
    for p in parts:
        offsets.append(offsets[-1] + len(p))
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + ch + b"".join(parts)


def unpack(data: bytes):
    """``(channel, header, parent_header, content, buffers)`` of one v1 message."""
    n = int.from_bytes(data[:8], "little")
    offsets = [int.from_bytes(data[8 * (i + 1):8 * (i + 2)], "little") for i in range(n)]
    channel = data[offsets[0]:offsets[1]].decode()
    parts = [data[offsets[i]:offsets[i + 1]] for i in range(1, n - 1)]
    header, parent, _meta, content = (json.loads(p) for p in parts[:4])
    return channel, header, parent, content, parts[4:]


def refs_of(node, out=None) -> list:
    """Every array a live figure's ``spec`` names (pieces of a grown array one by one)."""
    out = [] if out is None else out
    if isinstance(node, list):
        for v in node:
            refs_of(v, out)
    elif isinstance(node, dict):
        if "ref" in node and "dtype" in node:
            out.append(node["ref"])
        elif "chunks" in node and "dtype" in node:
            out.extend(piece["ref"] for piece in node["chunks"])
        else:
            for v in node.values():
                refs_of(v, out)
    return out


class Kernel:
    """A widget frontend of one kernel: widget states, the live figures and their arrays.

    Counters (read them before and after a phase): ``rx_bytes`` and ``rx_messages``
    (everything the websocket delivered), ``figure_bytes`` (the figures' data: buffers of
    ``arrays`` messages), ``figure_updates`` (figure version changes received), ``updated``
    (status lines saying "updated in": computations the app finished). ``last_rx`` is when
    the last of these (or a status line) arrived.
    """

    def __init__(self, ws, keep_arrays=False):
        self.ws = ws
        self.session = uuid.uuid4().hex
        self.idle = {}                 # msg_id -> Event set when the kernel went idle on it
        self.states = None
        self.control = uuid.uuid4().hex
        self.figures = {}              # model_id -> {"spec", "version"}
        self.known = set()             # refs of the arrays received
        self.arrays = {} if keep_arrays else None     # ref -> bytes, when kept
        self.asked = set()
        self.status_id = None
        self.status_text = ""
        self.opened = []               # comm ids of the widgets made after the states, in order
        self.closed = False
        self.tick = asyncio.Event()    # set by every message received
        self.rx_bytes = self.rx_messages = self.figure_bytes = 0
        self.figure_updates = self.updated = 0
        self.last_rx = time.perf_counter()

    # -- sending ----------------------------------------------------------------------------
    async def send(self, msg_type, content, channel="shell", buffers=(), metadata=None):
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "username": "student", "session": self.session,
                  "date": datetime.now(timezone.utc).isoformat(), "msg_type": msg_type,
                  "version": "5.3"}
        self.idle[msg_id] = asyncio.Event()
        parts = [json.dumps(x).encode() for x in (header, {}, metadata or {}, content)]
        parts += list(buffers)
        await self.ws.send(pack(channel, parts))
        return msg_id

    async def comm(self, comm_id, data):
        return await self.send("comm_msg", {"comm_id": comm_id, "data": data})

    async def custom(self, comm_id, content):
        return await self.comm(comm_id, {"method": "custom", "content": content})

    async def set_value(self, model_id, value):
        """What the page sends when a slider moves; returns the message id."""
        return await self.comm(model_id, {"method": "update", "state": {"value": value},
                                          "buffer_paths": []})

    # -- receiving ---------------------------------------------------------------------------
    async def read(self):
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    continue
                self.rx_bytes += len(data)
                self.rx_messages += 1
                channel, header, parent, content, buffers = unpack(data)
                kind = header.get("msg_type")
                pid = parent.get("msg_id") if parent else None
                if kind == "status" and content.get("execution_state") == "idle":
                    if pid in self.idle:
                        self.idle[pid].set()
                elif kind == "comm_msg":
                    await self.on_comm_msg(content, buffers)
                elif kind == "comm_open":
                    self.on_comm_open(content)
                elif kind == "comm_close":
                    self.on_comm_close(content)
                self.tick.set()
        except Exception:
            pass
        finally:
            self.closed = True
            self.tick.set()

    def on_comm_open(self, content):
        """A widget the kernel made after the page asked for the states (a guided step's
        choice, say): kept with them, as a page keeps its model."""
        if self.states is None:
            return
        state = content.get("data", {}).get("state", {})
        self.states[content.get("comm_id")] = {"model_name": state.get("_model_name"),
                                               "state": state}
        self.opened.append(content.get("comm_id"))

    def on_comm_close(self, content):
        """A widget the kernel closed: a page drops its model (and its view)."""
        if self.states is not None:
            self.states.pop(content.get("comm_id"), None)

    def with_class(self, dom_class) -> list:
        """The model ids of the widgets the page has now that carry ``dom_class``."""
        return [m for m, s in (self.states or {}).items()
                if dom_class in s.get("state", {}).get("_dom_classes", ())]

    async def on_comm_msg(self, content, buffers):
        comm_id, data = content.get("comm_id"), content.get("data", {})
        method = data.get("method")
        if method == "update_states":
            self.states = data.get("states", {})
        elif method == "update" and comm_id == self.status_id:
            text = data.get("state", {}).get("value")
            if isinstance(text, str):
                self.status_text = text
                self.updated += "updated in" in text
                self.last_rx = time.perf_counter()
        elif method == "update" and comm_id in self.figures:
            state, fig = data.get("state", {}), self.figures[comm_id]
            # New arrays come with the state that names them, as binary buffers.
            paths = data.get("buffer_paths", [])
            for path, b in zip(paths, buffers):
                if len(path) == 2 and path[0] == "arrays":
                    self.keep(path[1], b)
            if "spec" in state:
                fig["spec"] = state["spec"]
            if "version" in state and state["version"] != fig["version"]:
                fig["version"] = state["version"]
                self.figure_updates += 1
                self.last_rx = time.perf_counter()
            await self.ask_missing(comm_id)
        elif method == "custom" and comm_id in self.figures:
            msg = data.get("content") or {}
            if msg.get("type") == "arrays":
                for ref, b in zip(msg.get("refs", []), buffers):
                    self.keep(ref, b)
        if method == "update" and self.states is not None and comm_id in self.states:
            # The page's model follows the kernel's (a button made, then given its class).
            self.states[comm_id].setdefault("state", {}).update(data.get("state", {}))

    def keep(self, ref, b):
        """An array received (with a state, or asked for)."""
        self.known.add(ref)
        self.asked.discard(ref)
        if self.arrays is not None:
            self.arrays[ref] = bytes(b)
        self.figure_bytes += len(b)
        self.last_rx = time.perf_counter()

    def missing(self, model_id) -> list:
        return [r for r in refs_of(self.figures[model_id]["spec"]) if r not in self.known]

    async def ask_missing(self, model_id):
        """Ask for the arrays a figure's spec names and the client lacks (as figure.js does)."""
        ask = [r for r in self.missing(model_id) if r not in self.asked]
        if ask:
            self.asked.update(ask)
            await self.custom(model_id, {"type": "need", "refs": ask})

    def complete(self) -> bool:
        """Every figure has every array its newest spec names."""
        return all(not self.missing(m) for m in self.figures)

    async def until(self, condition, timeout=STEP_TIMEOUT, what="the kernel's answer"):
        """Wait until ``condition()`` holds (checked after each message received)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.closed:
                raise ConnectionError(f"the websocket closed while waiting for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{what} did not arrive in {timeout:g} s")
            self.tick.clear()
            if condition():
                break
            try:
                await asyncio.wait_for(self.tick.wait(), min(left, 1.0))
            except asyncio.TimeoutError:
                pass

    # -- a page -------------------------------------------------------------------------------
    async def open_widgets(self, slider_class):
        """kernel_info, request_states, every figure's arrays; returns the slider (id, state)."""
        msg = await self.send("kernel_info_request", {})
        await self.until(self.idle[msg].is_set, what="kernel_info")
        await self.send("comm_open", {"comm_id": self.control, "target_name":
                                      "jupyter.widget.control", "data": {}},
                        metadata={"version": "1.0.0"})   # ipywidgets 8's control protocol
        await self.comm(self.control, {"method": "request_states"})
        await self.until(lambda: self.states is not None, what="the widgets' states")
        slider = None
        for model_id, s in self.states.items():
            state = s.get("state", {})
            classes = state.get("_dom_classes", ())
            if self.watch(model_id, s):
                continue
            if "bpttviz-status" in classes:
                self.status_id = model_id
                self.status_text = state.get("value", "")
            elif slider_class in classes and "value" in state:
                slider = (model_id, state)
        await self.start_figures()
        await self.until(self.complete, what="the figures' data")
        return slider

    async def start_figures(self):
        """What a page does once it has the states: ask for the figures' arrays."""
        for model_id in self.figures:
            await self.ask_missing(model_id)

    def watch(self, model_id, s) -> bool:
        """Keep track of the model if it is a figure; say whether it was."""
        if s.get("model_name") == "AnyModel" and "spec" in s.get("state", {}):
            self.figures[model_id] = {"spec": s["state"]["spec"],
                                      "version": s["state"].get("version", 0)}
            return True
        return False

    def done(self, since) -> bool:
        """A computation finished since ``since`` (a value of :attr:`updated`) and every figure
        has its arrays."""
        return self.updated > since and self.complete()

    async def move(self, model_id, value):
        """Set the slider's value; seconds until the app has shown the result (see the module)."""
        t0 = time.perf_counter()
        before = self.updated
        msg = await self.set_value(model_id, value)
        await self.until(lambda: self.idle[msg].is_set() and self.done(before),
                         what="the figures of a move")
        return time.perf_counter() - t0


def other_value(state, rng, far=0.0):
    """A value of the slider on its grid, different from the current one; with ``far`` > 0,
    at least that fraction of the range away from it (a jump: a drag or a click on the track)."""
    lo, hi, step, now = state["min"], state["max"], state.get("step") or 1, state["value"]
    n = int(round((hi - lo) / step))
    for _ in range(200):
        v = lo + rng.randint(0, n) * step
        v = int(v) if isinstance(now, int) else round(v, 10)
        if v != now and abs(v - now) >= far * (hi - lo):
            return v
    return hi if now - lo < hi - now else lo


def step_values(state, n):
    """``n`` one-step moves from the current value, as arrow keys: up, and back at an end."""
    lo, hi, step, v = state["min"], state["max"], state.get("step") or 1, state["value"]
    out, sign = [], 1
    for _ in range(n):
        if not lo <= v + sign * step <= hi:
            sign = -sign
        v = v + sign * step
        v = int(round(v)) if isinstance(state["value"], int) else round(v, 10)
        out.append(v)
    return out


def fetch(url, timeout=STEP_TIMEOUT * 2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8", "replace")


class ClassFull(Exception):
    """The server said the class is full (HTTP 503, or a page saying so)."""


#: How the server words a full class (the page of ``bpttviz serve --max-students``).
FULL_WORDS = "class is full"


def fetch_page(url, timeout=STEP_TIMEOUT * 2):
    """A lesson page's HTML, as :func:`fetch`; raises :class:`ClassFull` for the page a full
    server answers (503, or its words), so that a benchmark counts it apart from failures."""
    try:
        html = fetch(url, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 503:
            raise ClassFull(exc.read().decode("utf-8", "replace")[:200]) from None
        raise
    if FULL_WORDS in html.lower() and "kernelId" not in html:
        raise ClassFull(html[:200])
    return html


#: Connections a browser opens to one host over HTTP/1.1 (Chromium's limit).
BROWSER_CONNECTIONS = 6


def fetch_files(base, paths, connections=BROWSER_CONNECTIONS, timeout=STEP_TIMEOUT,
                encoding="gzip, deflate"):
    """GET every path of ``paths`` from ``base`` as a browser with an empty cache does: over
    ``connections`` kept-alive connections at once, accepting ``encoding``. Returns ``(bytes received
    (headers and bodies as sent), failures, seconds)``; a failure is ``"<status> <path>"``."""
    import http.client
    import queue
    import threading
    import urllib.parse

    host = urllib.parse.urlsplit(base)
    todo = queue.SimpleQueue()
    for path in paths:
        todo.put(path)
    received, failures = [0], []
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=timeout)
        try:
            while True:
                try:
                    path = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    conn.request("GET", path, headers={"Accept-Encoding": encoding})
                    r = conn.getresponse()
                    body = r.read()
                    size = len(body) + sum(len(k) + len(v) + 4 for k, v in r.getheaders())
                    ok = r.status == 200
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection(host.hostname, host.port,
                                                      timeout=timeout)
                    size, ok, r = 0, False, type("R", (), {"status": type(exc).__name__})
                with lock:
                    received[0] += size
                    if not ok:
                        failures.append(f"{r.status} {path}")
        finally:
            conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(min(connections, max(1, len(paths))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return received[0], failures, time.perf_counter() - t0


def kernel_id_of(html):
    """The kernel id a Voila page's HTML carries, or None."""
    m = re.search(r'"kernelId": "([0-9a-f-]+)"', html)
    return m.group(1) if m else None


def websocket_url(base, kernel_id):
    return (base.replace("http", "ws", 1)
            + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}")


def pct(values, q):
    """The ``q``-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


# -- processes ----------------------------------------------------------------------------------
def tree(pid):
    """The process ``pid`` and all its descendants (a server and its kernels)."""
    import psutil
    try:
        p = psutil.Process(pid)
        return [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def cpu_of(proc) -> float:
    """CPU seconds (user + system) of one process, 0 once it has ended."""
    try:
        t = proc.cpu_times()
        return t.user + t.system
    except Exception:
        return 0.0


def kernel_process(server_pid, kernel_id):
    """The process of kernel ``kernel_id`` among the server's children (its connection file
    is named after the id), or None."""
    for p in tree(server_pid)[1:]:
        try:
            if any(kernel_id in part for part in p.cmdline()):
                return p
        except Exception:
            pass
    return None
