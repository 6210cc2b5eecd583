"""A lesson page's widgets at the protocol level, spoken as a browser does, on either server.

Shared by the benchmarks that simulate pages without a browser (``bench_classroom``,
``bench_class_view``, ``bench_redraw``). One client, :class:`PageClient`, keeps what a
page keeps (the widgets' states, the live figures and their arrays, the status line);
two transports say how its messages travel and how a page gets its widgets:

**The lecture hall** (:class:`Hall`, ``bpttviz serve``: every page in the server's
process, Solara's "virtual kernels"):

1. GET ``/voila/render/<lesson>.ipynb?<query>``: Solara's HTML and a cookie
   ``solara-session-id`` (no kernel id: the page makes one up).
2. Open ``/jupyter/api/kernels/<kernel id>/channels?session_id=<page id>`` (both uuid4,
   invented by the page) with the cookie. Messages are Jupyter's, as JSON text frames;
   one that carries buffers is a binary frame (a count, offsets, the JSON, the buffers).
3. ``kernel_info_request``; ``comm_open`` of a ``solara.control`` comm; on it
   ``{"method": "run", "args": {"path": "/voila/render/<lesson>.ipynb?<query>", ...}}``
   (the page's path with its query: the lesson reads its settings from it). The server
   builds the page then: a ``comm_open`` per widget, the updates that follow (a widget's
   DOM classes come in an update after its ``comm_open``; a figure's arrays as binary
   buffers of the update that names them), ``finished`` on the control comm, idle.
4. Closing the tab: the websocket closes and the page sends a beacon,
   ``POST /_solara/api/close/<kernel id>?session_id=<page id>``, which ends the session
   at once (without it the server keeps the session for a page that may reconnect).

**Voila** (:class:`Kernel`, a kernel per page: ``voila notebooks/``, or ``bpttviz serve``
of a checkout before the lecture hall): GET the page (Voila runs the notebook; the HTML
carries the kernel id), open ``/api/kernels/<id>/channels`` with the subprotocol
``v1.kernel.websocket.jupyter.org`` (binary v1 framing), send ``kernel_info_request``,
open a ``jupyter.widget.control`` comm and ask for every widget's state
(``request_states``, ipywidgets 8). The hall's pages answer the same request, which
lets a second client join a page a browser opened (:meth:`PageClient.join`).

Either way the client then finds the lesson's slider by its DOM class
``bpttviz-control-<name>``, its status line by ``bpttviz-status`` and its live figures
(anywidget's ``AnyModel`` with a ``spec``), and asks for any array a figure's ``spec``
names that it has not got (``{"type": "need", "refs": [...]}``, as ``figure.js`` does;
they come back in custom ``arrays`` messages). The page is ready when every figure has
drawn a record and has all its arrays.

A slider move is a ``comm_msg`` ``{"method": "update", "state": {"value": X}}``. It is
answered when the server is idle again on it, the status line has said "updated in" once
more (the app says so after it has sent every figure that changed: a change may be
computed after the server went idle, see ``bpttviz.app.base.SETTLE_S``) and every figure
has the arrays of its newest ``spec``. A button press is a ``comm_msg``
``{"method": "custom", "content": {"event": "click"}}``.

:func:`load_page` GETs a page for a server kind (``"hall"``, ``"voila"``) and
:func:`connected` opens its websocket with the right client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROTOCOL = "v1.kernel.websocket.jupyter.org"
STEP_TIMEOUT = 120          # seconds for any one wait (page, states, arrays, move)
#: The servers a page can be opened on: the lecture hall, and Voila (a kernel per page).
SERVERS = ("hall", "voila")
#: The cookie the hall's page request sets and its websocket must carry.
SESSION_COOKIE = "solara-session-id"


def lesson_sliders() -> dict:
    """Page name -> the slider a class moves in it (``Lesson.class_control``), for every lesson
    of the registry (:data:`bpttviz.lessons.LESSONS`), in order. Imports bpttviz (and NumPy):
    call it after the benchmark has set its BLAS threads."""
    from bpttviz.lessons import LESSONS

    return {cls.page_name(): cls.class_control for cls in LESSONS.values()}


# -- framings -----------------------------------------------------------------------------------
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


def pack_json(msg: dict, buffers=()):
    """One message as the hall's page sends it: JSON text, or with ``buffers`` a binary frame
    (a count n, n big-endian offsets, the JSON, the buffers: Solara's
    ``deserialize_binary_message``)."""
    if not buffers:
        return json.dumps(dict(msg, buffers=[]))
    parts = [json.dumps(msg).encode(), *map(bytes, buffers)]
    offsets = [4 * (len(parts) + 1)]
    for p in parts[:-1]:
        offsets.append(offsets[-1] + len(p))
    return struct.pack(f"!{len(parts) + 1}I", len(parts), *offsets) + b"".join(parts)


def unpack_json(data):
    """``(channel, header, parent_header, content, buffers)`` of one message of the hall."""
    if isinstance(data, str):
        msg, buffers = json.loads(data), []
    else:
        n = struct.unpack("!I", data[:4])[0]
        offsets = list(struct.unpack(f"!{n}I", data[4:4 * (n + 1)])) + [len(data)]
        msg = json.loads(data[offsets[0]:offsets[1]])
        buffers = [data[a:b] for a, b in zip(offsets[1:-1], offsets[2:])]
    return (msg.get("channel"), msg.get("header", {}), msg.get("parent_header") or {},
            msg.get("content", {}), buffers)


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


class PageClient:
    """A lesson page's widget frontend: widget states, the live figures and their arrays.

    The transport (:class:`Hall`, :class:`Kernel`) frames the messages (:meth:`frame`,
    :meth:`unframe`) and gets the page its widgets (:meth:`load`); everything else is
    the page's and the same on either server.

    Counters (read them before and after a phase): ``rx_bytes`` and ``rx_messages``
    (everything the websocket delivered), ``figure_bytes`` (the figures' data: buffers of
    ``arrays`` messages and of state updates), ``figure_updates`` (figure version changes
    received), ``updated`` (status lines saying "updated in": computations the app
    finished), ``statuses`` (status line changes). ``last_rx`` is when the last of these
    arrived.
    """

    kind = ""

    def __init__(self, ws, keep_arrays=False, session=None):
        self.ws = ws
        self.session = session or uuid.uuid4().hex
        self.idle = {}                 # msg_id -> Event set when the server went idle on it
        self.states = None             # model id -> {"model_name", "state"}, once known
        self.control = uuid.uuid4().hex
        self.figures = {}              # model_id -> {"spec", "version"}
        self.known = set()             # refs of the arrays received
        self.arrays = {} if keep_arrays else None     # ref -> bytes, when kept
        self.asked = set()
        self.status_id = None
        self.status_text = ""
        self.opened = []               # widgets made after the page was ready, in order
        self.closed = False
        self.tick = asyncio.Event()    # set by every message received
        self.rx_bytes = self.rx_messages = self.figure_bytes = 0
        self.figure_updates = self.updated = self.statuses = 0
        self.last_rx = time.perf_counter()
        self.landing = None            # the page's request (:class:`Landing`), if known
        self.sent = []                 # (msg_type, content) of every message sent

    # -- the transport's part ------------------------------------------------------------------
    def frame(self, channel, header, content, metadata, buffers):
        """One message as the server's websocket takes it."""
        raise NotImplementedError

    def unframe(self, data):
        """``(channel, header, parent_header, content, buffers)`` of a frame, or None."""
        raise NotImplementedError

    async def load(self):
        """Get the page's widgets (the states, each figure found)."""
        raise NotImplementedError

    # -- sending ----------------------------------------------------------------------------
    async def send(self, msg_type, content, channel="shell", buffers=(), metadata=None):
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "username": "student", "session": self.session,
                  "date": datetime.now(timezone.utc).isoformat(), "msg_type": msg_type,
                  "version": "5.3"}
        self.idle[msg_id] = asyncio.Event()
        self.sent.append((msg_type, content))
        await self.ws.send(self.frame(channel, header, content, metadata or {}, buffers))
        return msg_id

    async def comm(self, comm_id, data):
        return await self.send("comm_msg", {"comm_id": comm_id, "data": data})

    async def custom(self, comm_id, content):
        return await self.comm(comm_id, {"method": "custom", "content": content})

    async def set_value(self, model_id, value):
        """What the page sends when a slider moves; returns the message id."""
        return await self.comm(model_id, {"method": "update", "state": {"value": value},
                                          "buffer_paths": []})

    async def click(self, model_id):
        """What the page sends when a button is pressed; returns the message id."""
        return await self.custom(model_id, {"event": "click"})

    # -- receiving ---------------------------------------------------------------------------
    async def read(self):
        try:
            async for data in self.ws:
                message = self.unframe(data)
                if message is None:
                    continue
                self.rx_bytes += len(data)
                self.rx_messages += 1
                channel, header, parent, content, buffers = message
                kind = header.get("msg_type")
                pid = parent.get("msg_id") if parent else None
                if kind == "status" and content.get("execution_state") == "idle":
                    if pid in self.idle:
                        self.idle[pid].set()
                elif kind == "comm_msg":
                    await self.on_comm_msg(content, buffers)
                elif kind == "comm_open":
                    await self.on_comm_open(content, buffers)
                elif kind == "comm_close":
                    self.on_comm_close(content)
                self.tick.set()
        except Exception:
            pass
        finally:
            self.closed = True
            self.tick.set()

    async def on_comm_open(self, content, buffers):
        """A widget the server made once the page knew its states (the hall's whole page as
        it is built; a guided step's choice later): kept with them, as a page keeps its
        model."""
        if self.states is None:
            return
        data = content.get("data", {})
        comm_id, state = content.get("comm_id"), dict(data.get("state", {}))
        entry = {"model_name": state.get("_model_name"), "state": state}
        self.states[comm_id] = entry
        self.opened.append(comm_id)
        if self.watch(comm_id, entry):
            self.take_buffers(data.get("buffer_paths", []), buffers)
        await self.follow(comm_id, state)

    def on_comm_close(self, content):
        """A widget the server closed: a page drops its model (and its view)."""
        if self.states is not None:
            self.states.pop(content.get("comm_id"), None)

    def with_class(self, dom_class) -> list:
        """The model ids of the widgets the page has now that carry ``dom_class``, oldest first."""
        return [m for m, s in (self.states or {}).items()
                if dom_class in s.get("state", {}).get("_dom_classes", ())]

    def newest(self, dom_class):
        """The model id of the newest widget carrying ``dom_class``, or None."""
        found = self.with_class(dom_class)
        return found[-1] if found else None

    async def on_comm_msg(self, content, buffers):
        comm_id, data = content.get("comm_id"), content.get("data", {})
        method = data.get("method")
        if method == "update_states":
            self.states = data.get("states", {})
        elif method == "update":
            state = data.get("state", {})
            if self.states is not None and comm_id in self.states:
                # The page's model follows the server's (a widget made, then given its class).
                self.states[comm_id].setdefault("state", {}).update(state)
            if comm_id in self.figures:
                self.take_buffers(data.get("buffer_paths", []), buffers)
            await self.follow(comm_id, state)
        elif method == "custom" and comm_id in self.figures:
            msg = data.get("content") or {}
            if msg.get("type") == "arrays":
                for ref, b in zip(msg.get("refs", []), buffers):
                    self.keep(ref, b)

    async def follow(self, comm_id, state):
        """What a model's new ``state`` changes for the page: the status line, a figure."""
        if "bpttviz-status" in state.get("_dom_classes", ()):
            self.status_id = comm_id
        if comm_id == self.status_id and isinstance(state.get("value"), str):
            self.status_text = state["value"]
            self.statuses += 1
            self.updated += "updated in" in self.status_text
            self.last_rx = time.perf_counter()
        fig = self.figures.get(comm_id)
        if fig is not None:
            if "spec" in state:
                fig["spec"] = state["spec"]
            if "version" in state and state["version"] != fig["version"]:
                fig["version"] = state["version"]
                self.figure_updates += 1
                self.last_rx = time.perf_counter()
            if self.ready_to_ask:
                # New arrays came with the state that names them; the others are asked for.
                await self.ask_missing(comm_id)

    #: Whether a figure's missing arrays are asked for as soon as its state changes (once
    #: the page has its widgets, :meth:`start_figures`).
    ready_to_ask = False

    def take_buffers(self, paths, buffers):
        """The arrays a figure's state carries (``buffer_paths`` ``["arrays", ref]``)."""
        for path, b in zip(paths, buffers):
            if len(path) == 2 and path[0] == "arrays":
                self.keep(path[1], b)

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

    def drawn(self) -> bool:
        """The app has shown its figures (a figure it keeps hidden until it is used, as the
        preview of a file the student gives, has no record yet and is not waited for)."""
        return not self.figures or any(f["version"] for f in self.figures.values())

    def ready(self) -> bool:
        """The page as a student sees it ready: every figure drawn, with all its arrays."""
        return self.drawn() and self.complete()

    async def until(self, condition, timeout=STEP_TIMEOUT, what="the server's answer"):
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
    async def kernel_info(self):
        msg = await self.send("kernel_info_request", {})
        await self.until(self.idle[msg].is_set, what="kernel_info")

    async def request_states(self):
        """Every widget's state at once (ipywidgets 8's control comm): what Voila's page does,
        and how a second client joins a page already open."""
        await self.send("comm_open", {"comm_id": self.control, "target_name":
                                      "jupyter.widget.control", "data": {}},
                        metadata={"version": "1.0.0"})   # ipywidgets 8's control protocol
        await self.comm(self.control, {"method": "request_states"})
        await self.until(lambda: self.states is not None, what="the widgets' states")
        for model_id, s in self.states.items():
            self.watch(model_id, s)
            await self.follow(model_id, s.get("state", {}))

    async def join(self, slider_class):
        """Join a page already open (a second view of its widgets, as JupyterLab's second view
        of a widget is): its states asked for, every figure's arrays; returns the slider."""
        await self.kernel_info()
        await self.request_states()
        return await self.settle(slider_class)

    async def open_widgets(self, slider_class):
        """Open the page: its widgets and every figure's arrays; returns the slider
        ``(model id, state)`` or None (a page without the lesson's app)."""
        await self.kernel_info()
        await self.load()
        return await self.settle(slider_class)

    async def settle(self, slider_class):
        """Once the page has its widgets: the slider, and every figure's arrays."""
        slider = None
        for model_id in self.with_class(slider_class):
            state = self.states[model_id].get("state", {})
            if "value" in state:
                slider = (model_id, state)
        await self.start_figures()
        await self.until(self.ready, what="the figures' data")
        self.opened.clear()
        return slider

    async def start_figures(self):
        """What a page does once it has the states: ask for the figures' missing arrays."""
        self.ready_to_ask = True
        for model_id in self.figures:
            await self.ask_missing(model_id)

    def watch(self, model_id, s) -> bool:
        """Keep track of the model if it is a figure; say whether it was."""
        if s.get("model_name") == "AnyModel" and "spec" in s.get("state", {}):
            self.figures.setdefault(model_id, {"spec": s["state"]["spec"],
                                               "version": s["state"].get("version", 0)})
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

    async def press(self, model_id):
        """Press a button; waits until the server is idle again on it."""
        msg = await self.click(model_id)
        await self.until(self.idle[msg].is_set, what="a button's answer")

    async def leave(self, beacon=True):
        """Close the tab: the websocket, then (``beacon``) the server told, as a browser tells
        it when a tab closes (the hall's close beacon); without, a tab that ended silently."""
        with contextlib.suppress(Exception):
            await self.ws.close()


class Kernel(PageClient):
    """A Voila page: a kernel of its own, the v1 websocket framing, the states asked for."""

    kind = "voila"

    def frame(self, channel, header, content, metadata, buffers):
        parts = [json.dumps(x).encode() for x in (header, {}, metadata, content)]
        return pack(channel, parts + list(buffers))

    def unframe(self, data):
        return None if isinstance(data, str) else unpack(data)

    async def load(self):
        await self.request_states()


class Hall(PageClient):
    """A page of the lecture hall: Solara's framing, the page built by its ``run``."""

    kind = "hall"

    def __init__(self, ws, keep_arrays=False, session=None, path="/"):
        super().__init__(ws, keep_arrays, session)
        self.path = path               # the page's path and query, as the browser has them
        self.app_comm = str(uuid.uuid4())      # the solara.control comm
        self.finished = False

    def frame(self, channel, header, content, metadata, buffers):
        return pack_json({"header": header, "parent_header": {}, "metadata": metadata,
                          "content": content, "channel": channel}, buffers)

    def unframe(self, data):
        return unpack_json(data)

    async def on_comm_msg(self, content, buffers):
        if content.get("comm_id") == self.app_comm:
            if content.get("data", {}).get("method") == "finished":
                self.finished = True
            return
        await super().on_comm_msg(content, buffers)

    async def load(self):
        """What Solara's page does: a ``solara.control`` comm, then ``run`` with the page's
        path and query; the page is built when the server says ``finished`` and is idle."""
        self.states = {}
        await self.send("comm_open", {"comm_id": self.app_comm, "target_name": "solara.control",
                                      "data": {}})
        msg = await self.comm(self.app_comm, {"method": "run", "args": {
            "path": self.path, "dark": False, "themes": {}, "appName": None}})
        await self.until(lambda: self.finished and self.idle[msg].is_set(),
                         what="the page built by the server")

    async def leave(self, beacon=True):
        await super().leave()
        landing = self.landing
        if beacon and landing is not None and landing.kernel_id:
            url = (f"{landing.base}/_solara/api/close/{landing.kernel_id}?"
                   + urllib.parse.urlencode({"session_id": self.session}))
            loop = asyncio.get_running_loop()
            with contextlib.suppress(Exception):
                await loop.run_in_executor(None, post, url, landing.cookie)


CLIENTS = {"hall": Hall, "voila": Kernel}


# -- a page, on either server -------------------------------------------------------------------
@dataclass
class Landing:
    """What the GET of a lesson page gave: enough to open its websocket."""

    kind: str            #: "hall" or "voila"
    base: str            #: the server's address, without a trailing slash
    path: str            #: the page's path and query
    html: str
    kernel_id: str       #: Voila's (in the HTML), or the one the hall's page makes up
    cookie: str = ""     #: the hall's session cookie ("name=value")

    def has_app(self) -> bool:
        """Whether the HTML can hold the lesson's app: a Voila page carries its widgets' views;
        the hall's page is built over the websocket, so only its app can tell."""
        return self.kind != "voila" or WIDGET_VIEW in self.html

    def websocket_url(self, session):
        ws = self.base.replace("http", "ws", 1)
        if self.kind == "voila":
            return f"{ws}/api/kernels/{self.kernel_id}/channels?session_id={session}"
        return f"{ws}/jupyter/api/kernels/{self.kernel_id}/channels?session_id={session}"


def page_path(lesson, query="") -> str:
    return f"/voila/render/{lesson}.ipynb" + (f"?{query}" if query else "")


def load_page(kind, base, lesson, query="", timeout=STEP_TIMEOUT * 2) -> Landing:
    """GET a lesson page as a browser does; raises :class:`ClassFull` for a full class."""
    if kind not in SERVERS:
        raise ValueError(f"the server kind must be one of {', '.join(SERVERS)}; got {kind!r}")
    path = page_path(lesson, query)
    html, headers = get_page(base + path, timeout)
    if kind == "voila":
        return Landing(kind, base, path, html, kernel_id_of(html))
    cookie = ""
    for value in headers.get_all("Set-Cookie") or ():
        name_value = value.split(";", 1)[0].strip()
        if name_value.startswith(SESSION_COOKIE + "="):
            cookie = name_value
    # The hall's page makes up its kernel id (Solara's generateUuid) and its page id.
    return Landing(kind, base, path, html, str(uuid.uuid4()), cookie)


@contextlib.asynccontextmanager
async def connected(landing: Landing, keep_arrays=False, client=None, session=None):
    """The page's websocket, opened as its browser opens it, with a client reading it (of
    ``client``, a :class:`PageClient` subclass; by default the one of the server's kind).
    ``session``: the page id (a new one by default)."""
    import websockets

    session = session or str(uuid.uuid4())
    options = {"max_size": None, "open_timeout": STEP_TIMEOUT, "ping_interval": None}
    if landing.kind == "voila":
        options["subprotocols"] = [PROTOCOL]
    elif landing.cookie:
        options["additional_headers"] = {"Cookie": landing.cookie}
    cls = client or CLIENTS[landing.kind]
    async with websockets.connect(landing.websocket_url(session), **options) as ws:
        k = cls(ws, keep_arrays=keep_arrays, session=session)
        if isinstance(k, Hall):
            k.path = landing.path
        k.landing = landing
        reader = asyncio.ensure_future(k.read())
        try:
            yield k
        finally:
            reader.cancel()


async def open_page(kind, base, lesson, query="", keep_arrays=False):
    """GET a lesson page and open its websocket (without its widgets: :meth:`open_widgets`);
    an async context manager of the client."""
    loop = asyncio.get_running_loop()
    landing = await loop.run_in_executor(None, load_page, kind, base, lesson, query)
    return connected(landing, keep_arrays=keep_arrays)


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


def post(url, cookie="", timeout=30):
    """POST with an empty body, as a page's beacon does."""
    request = urllib.request.Request(url, data=b"", method="POST",
                                     headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return r.status


class ClassFull(Exception):
    """The server said the class is full (HTTP 503, or a page saying so)."""


#: How the server words a full class (the page of ``bpttviz serve --max-students``).
FULL_WORDS = "class is full"


def get_page(url, timeout=STEP_TIMEOUT * 2):
    """A lesson page's HTML and its response headers; raises :class:`ClassFull` for the page
    a full server answers (503, or its words), so that a benchmark counts it apart from
    failures."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            html, headers = r.read().decode("utf-8", "replace"), r.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 503:
            raise ClassFull(exc.read().decode("utf-8", "replace")[:200]) from None
        raise
    if FULL_WORDS in html.lower() and "kernelId" not in html:
        raise ClassFull(html[:200])
    return html, headers


def fetch_page(url, timeout=STEP_TIMEOUT * 2):
    """A lesson page's HTML, as :func:`get_page`."""
    return get_page(url, timeout)[0]


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
