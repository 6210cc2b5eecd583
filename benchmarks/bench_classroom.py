"""A class arriving at once: N simulated students on one ``bpttviz serve``, at the protocol level.

Each student, as a browser would, GETs a lesson page (Voila starts or takes a
kernel and runs the notebook; the HTML carries the kernel id), opens the
kernel's websocket (``/api/kernels/<id>/channels``, subprotocol
``v1.kernel.websocket.jupyter.org``), sends ``kernel_info_request``, opens a
``jupyter.widget.control`` comm and asks for the widgets' states (ipywidgets 8
``request_states``), finds the lesson's slider by its DOM class
``bpttviz-control-<name>`` and the ipympl canvases (``MPLCanvasModel``),
initialises each canvas as ipympl's frontend does (``refresh``,
``send_image_mode``, ``initialized``) and answers every ``draw`` event with a
``draw`` request, one outstanding per canvas; the PNG arrives as a binary
buffer. The page is ready when every canvas has its first image. Then the
student moves the slider every ``--think`` seconds (a ``comm_msg`` update of
its value) and waits until every figure the move redrew has its new PNG.

Printed: page ready (from arrival) and slider -> all figures percentiles, the
latter also for moves in the first minute; pages without the app (no widget in
the HTML or no slider in the states); failures; peak memory (RSS of the server
and its kernels) and load average. With ``--cull-check``, after the students
close their tabs it waits (at most 240 s) until every kernel they used has
ended and prints how long that took.

The server is started by this script on a free port of 127.0.0.1 (with
``--pool``: ``bpttviz serve --students N --lessons ...``, and the run starts
once the pool is heated) and stopped at the end. Bounded: at most 200
students, 600 s of interaction.

``--browser-check`` instead opens one lesson in headless Chromium
(``/usr/bin/chromium``, Playwright), drives the same kernel with the
simulated client, and checks that the page's slider follows the simulated
move and that the figure rebuilt from the PNGs received equals the browser's
canvas pixel for pixel.

Usage::

    python -m benchmarks.bench_classroom --students 30 --window 10 --duration 60 --pool
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import CHROMIUM, CHROMIUM_ARGS, benchmark_parser  # noqa: E402

#: The slider each lesson's students move (its control name, as in the query string).
SLIDERS = {"01_unfolding": "frame", "02_vanishing_exploding": "scale", "03_truncated_bptt": "k2",
           "04_training": "k2_a", "05_rnn_lstm_gru": "radius", "06_error_surface": "w0"}
DEFAULT_LESSONS = "02_vanishing_exploding,03_truncated_bptt,04_training"
MAX_STUDENTS = 200
MAX_DURATION = 600
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROTOCOL = "v1.kernel.websocket.jupyter.org"
STEP_TIMEOUT = 120          # seconds for any one wait (page, states, image, move)


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


class Kernel:
    """A widget frontend of one kernel: widget states, canvases and their images."""

    def __init__(self, ws):
        self.ws = ws
        self.session = uuid.uuid4().hex
        self.idle = {}                 # msg_id -> Event set when the kernel went idle on it
        self.states = None
        self.states_event = asyncio.Event()
        self.control = uuid.uuid4().hex
        self.canvases = {}             # comm_id -> {"waiting", "again", "images", "event"}
        self.pngs = {}                 # comm_id -> list of PNG bytes received
        self.closed = False

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

    async def read(self):
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    continue
                channel, header, parent, content, buffers = unpack(data)
                kind = header.get("msg_type")
                pid = parent.get("msg_id") if parent else None
                if kind == "status" and content.get("execution_state") == "idle":
                    if pid in self.idle:
                        self.idle[pid].set()
                elif kind == "comm_msg":
                    await self._comm_msg(content, buffers)
        except Exception:
            pass
        finally:
            self.closed = True
            for c in self.canvases.values():
                c["event"].set()

    async def _comm_msg(self, content, buffers):
        comm_id, data = content.get("comm_id"), content.get("data", {})
        if data.get("method") == "update_states":
            self.states = data.get("states", {})
            self.states_event.set()
            return
        if comm_id not in self.canvases or data.get("method") != "custom":
            return
        c = self.canvases[comm_id]
        event = json.loads(data["content"]["data"]) if "data" in data.get("content", {}) else {}
        if event.get("type") == "draw":
            if c["waiting"]:
                c["again"] = True
            else:
                c["waiting"] = True
                await self.comm(comm_id, {"method": "custom", "content": {"type": "draw"}})
        elif event.get("type") == "binary" and buffers:
            self.pngs.setdefault(comm_id, []).append(bytes(buffers[0]))
            c["images"] += 1
            c["waiting"] = False
            if c["again"]:
                c["again"] = False
                c["waiting"] = True
                await self.comm(comm_id, {"method": "custom", "content": {"type": "draw"}})
            c["event"].set()

    async def settled(self, timeout=STEP_TIMEOUT):
        """Wait until no canvas waits for an image (nor has a draw queued)."""
        deadline = time.monotonic() + timeout
        while any(c["waiting"] or c["again"] for c in self.canvases.values()):
            if self.closed or time.monotonic() > deadline:
                raise TimeoutError("figures did not arrive")
            for c in self.canvases.values():
                c["event"].clear()
            waits = [asyncio.create_task(c["event"].wait()) for c in self.canvases.values()
                     if c["waiting"] or c["again"]]
            if waits:
                done, pending = await asyncio.wait(waits, timeout=0.5)
                for t in pending:
                    t.cancel()

    async def open_widgets(self, slider_class):
        """kernel_info, request_states, canvases initialised; returns the slider (id, state)."""
        msg = await self.send("kernel_info_request", {})
        await asyncio.wait_for(self.idle[msg].wait(), STEP_TIMEOUT)
        await self.send("comm_open", {"comm_id": self.control, "target_name":
                                      "jupyter.widget.control", "data": {}},
                        metadata={"version": "1.0.0"})   # ipywidgets 8's control protocol
        await self.comm(self.control, {"method": "request_states"})
        await asyncio.wait_for(self.states_event.wait(), STEP_TIMEOUT)
        slider = None
        for model_id, s in self.states.items():
            state = s.get("state", {})
            if s.get("model_name") == "MPLCanvasModel":
                self.canvases[model_id] = {"waiting": False, "again": False, "images": 0,
                                           "event": asyncio.Event()}
            elif slider_class in state.get("_dom_classes", ()) and "value" in state:
                slider = (model_id, state)
        for comm_id, c in self.canvases.items():
            for kind in ("refresh", "send_image_mode", "initialized"):   # refresh asks a draw
                await self.comm(comm_id, {"method": "custom", "content": {"type": kind}})
        deadline = time.monotonic() + STEP_TIMEOUT
        while not all(c["images"] for c in self.canvases.values()):
            if self.closed or time.monotonic() > deadline:
                raise TimeoutError("first images did not arrive")
            await asyncio.sleep(0.02)
        await self.settled()
        return slider

    async def move(self, model_id, value):
        """Set the slider's value; seconds until every figure it redrew has its new PNG."""
        t0 = time.perf_counter()
        msg = await self.comm(model_id, {"method": "update", "state": {"value": value},
                                         "buffer_paths": []})
        await asyncio.wait_for(self.idle[msg].wait(), STEP_TIMEOUT)
        await self.settled()
        return time.perf_counter() - t0


def other_value(state, rng):
    """A value of the slider on its grid, different from the current one."""
    lo, hi, step, now = state["min"], state["max"], state.get("step") or 1, state["value"]
    n = int(round((hi - lo) / step))
    for _ in range(20):
        v = lo + rng.randint(0, n) * step
        v = int(v) if isinstance(now, int) else round(v, 10)
        if v != now:
            return v
    return now


# -- one student --------------------------------------------------------------------------------
async def student(i, lesson, base, t_start, args, pool, out):
    rng = random.Random(1000 + i)
    arrival = t_start + args.arrivals[i]
    await asyncio.sleep(max(0.0, arrival - time.monotonic()))
    rec = {"lesson": lesson, "ready": None, "no_app": False, "error": None, "moves": [],
           "kernel": None}
    out.append(rec)
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    try:
        url = f"{base}/voila/render/{lesson}.ipynb"
        html = await loop.run_in_executor(pool, fetch, url)
        m = re.search(r'"kernelId": "([0-9a-f-]+)"', html)
        if not m:
            raise RuntimeError("no kernel id in the page")
        rec["kernel"] = kernel_id = m.group(1)
        if WIDGET_VIEW not in html:
            rec["no_app"] = True
            return
        import websockets
        ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
        async with websockets.connect(f"{ws_url}?session_id={uuid.uuid4().hex}",
                                      subprotocols=[PROTOCOL], max_size=None,
                                      open_timeout=STEP_TIMEOUT, ping_interval=None) as ws:
            k = Kernel(ws)
            reader = asyncio.create_task(k.read())
            slider = await k.open_widgets(f"bpttviz-control-{SLIDERS[lesson]}")
            if slider is None or not k.canvases:
                rec["no_app"] = True
                return
            rec["ready"] = time.monotonic() - t0
            model_id, state = slider
            while True:
                await asyncio.sleep(rng.uniform(*args.think_range))
                if time.monotonic() - t_start > args.duration:
                    break
                state["value"] = other_value(state, rng)
                at = time.monotonic() - t_start
                rec["moves"].append((at, await k.move(model_id, state["value"])))
            reader.cancel()
    except Exception as exc:            # a failure is a figure of the benchmark, not a crash
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]


def fetch(url, timeout=STEP_TIMEOUT * 2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8", "replace")


# -- the server --------------------------------------------------------------------------------
def tree(pid):
    import psutil
    try:
        p = psutil.Process(pid)
        return [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def rss_bytes(pid):
    total = 0
    for p in tree(pid):
        try:
            total += p.memory_info().rss
        except Exception:
            pass
    return total


def cpu_seconds(pid):
    total = 0.0
    for p in tree(pid):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except Exception:
            pass
    return total


def server_cpu(pid):
    """CPU seconds of the server process alone (its kernels not counted)."""
    import psutil
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.NoSuchProcess:
        return 0.0


@contextlib.contextmanager
def serving(args):
    """``bpttviz serve`` on a free port of 127.0.0.1, logging to ``--log``; with ``--pool``
    its kernels preheated. Yields its :class:`bpttviz.serve.Server` once the pool is heated;
    ends the server and its kernels afterwards."""
    from bpttviz.serve import served

    extra = (["--students", str(args.students), "--lessons", ",".join(args.lesson_list)]
             if args.pool else [])
    with served(extra_args=extra, log=args.log, start_timeout=120, stop_timeout=20) as server:
        if args.pool:
            wait_heated(server, args)
        yield server


def wait_heated(server, args, limit=300):
    """Wait until every pool is filled and the kernels' notebooks have run (CPU quiet)."""
    from bpttviz.serve import split_students

    t0 = time.monotonic()
    pools = [nb for nb, n in split_students(args.students, args.lesson_list).items() if n > 0]
    while time.monotonic() - t0 < limit:
        text = server.log.read_text()
        if all(f"Kernel pool of {nb}.ipynb is filled" in text for nb in pools):
            break
        time.sleep(1)
    last = cpu_seconds(server.pid)
    while time.monotonic() - t0 < limit:
        time.sleep(2)
        now = cpu_seconds(server.pid)
        if now - last < 0.2:            # under 10 % of one core for 2 s
            break
        last = now
    print(f"# pool heated in {time.monotonic() - t0:.0f} s", flush=True)


def pss_bytes(pid):
    """Proportional set size of the server and its kernels (shared pages counted once) and
    the number of kernels; reads /proc/<pid>/smaps, so it is sampled less often."""
    total, kernels = 0, 0
    for p in tree(pid):
        try:
            total += p.memory_full_info().pss
            kernels += p.pid != pid and "ipykernel" in " ".join(p.cmdline())
        except Exception:
            pass
    return total, kernels


async def sample(pid, stop, peaks):
    loop = asyncio.get_running_loop()
    n = 0
    while not stop.is_set():
        peaks["rss"] = max(peaks["rss"], rss_bytes(pid))
        peaks["load"] = max(peaks["load"], os.getloadavg()[0])
        if n % 10 == 0:
            pss, kernels = await loop.run_in_executor(None, pss_bytes, pid)
            if pss > peaks["pss"]:
                peaks["pss"], peaks["kernels"] = pss, kernels
        n += 1
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


def kernel_alive(base, kernel_id):
    try:
        fetch(f"{base}/api/kernels/{kernel_id}", timeout=10)
        return True
    except urllib.error.HTTPError as exc:
        return exc.code != 404
    except OSError:
        return True


async def cull_check(base, kernels, limit=240):
    """Seconds until every kernel in ``kernels`` has ended, or None past ``limit``."""
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    alive = set(kernels)
    while alive and time.monotonic() - t0 < limit:
        await asyncio.sleep(5)
        still = await asyncio.gather(*[loop.run_in_executor(None, kernel_alive, base, k)
                                       for k in alive])
        alive = {k for k, a in zip(list(alive), still) if a}
    return None if alive else time.monotonic() - t0, len(alive)


# -- report -------------------------------------------------------------------------------------
def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def report(args, recs, peaks, culled):
    ready = [r["ready"] for r in recs if r["ready"] is not None]
    moves = [lat for r in recs for _, lat in r["moves"]]
    first = [lat for r in recs for at, lat in r["moves"] if at <= 60]
    no_app = sum(r["no_app"] for r in recs)
    errors = [r["error"] for r in recs if r["error"]]
    print(f"students {args.students}  pool {'yes' if args.pool else 'no'}  lessons "
          f"{','.join(args.lesson_list)}  window {args.window:g} s  think {args.think} s  "
          f"duration {args.duration:g} s")
    print(f"page ready (s)            median {statistics.median(ready) if ready else float('nan'):.2f}"
          f"  p95 {pct(ready, 95):.2f}  max {max(ready) if ready else float('nan'):.2f}"
          f"  ({len(ready)} of {len(recs)} pages)")
    print(f"slider -> figures (s)     median {statistics.median(moves) if moves else float('nan'):.3f}"
          f"  p95 {pct(moves, 95):.3f}  max {max(moves) if moves else float('nan'):.3f}"
          f"  ({len(moves)} moves)")
    print(f"  first minute            median "
          f"{statistics.median(first) if first else float('nan'):.3f}  p95 {pct(first, 95):.3f}"
          f"  ({len(first)} moves)")
    print(f"pages without app         {no_app}")
    print(f"failures                  {len(errors)}")
    for e in sorted(set(errors))[:5]:
        print(f"  {errors.count(e)} x {e}")
    print(f"peak memory (server + kernels RSS)  {peaks['rss'] / 2**30:.2f} GB; PSS (shared pages "
          f"once) {peaks['pss'] / 2**30:.2f} GB with {peaks['kernels']} kernels")
    print(f"peak load average (1 min)            {peaks['load']:.1f}")
    print(f"CPU seconds during the run           server {peaks['cpu_server']:.1f}, server and "
          f"kernels {peaks['cpu_all']:.1f} (in {peaks['wall']:.0f} s, 2 cores = "
          f"{2 * peaks['wall']:.0f} CPU-s)")
    if culled is not None:
        secs, left = culled
        print("kernels ended after tabs closed     " +
              (f"all within {secs:.0f} s" if secs is not None else f"{left} still running"))
    print(f"RESULT {json.dumps({'students': args.students, 'pool': args.pool, 'ready_median': statistics.median(ready) if ready else None, 'ready_p95': pct(ready, 95), 'ready_max': max(ready) if ready else None, 'slider_median': statistics.median(moves) if moves else None, 'slider_p95': pct(moves, 95), 'slider_first_p95': pct(first, 95), 'no_app': no_app, 'failures': len(errors), 'rss_gb': round(peaks['rss'] / 2**30, 2), 'pss_gb': round(peaks['pss'] / 2**30, 2), 'kernels': peaks['kernels'], 'load': round(peaks['load'], 1), 'moves': len(moves)})}")


async def run(args):
    with serving(args) as server:
        base = server.url
        peaks = {"rss": 0, "load": 0.0, "pss": 0, "kernels": 0}
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(server.pid, stop, peaks))
        recs = []
        cpu0 = (server_cpu(server.pid), cpu_seconds(server.pid))
        t_start = time.monotonic()
        # Not a with-block: a page that never answers must not hold the report back (its
        # thread ends when the server is stopped below).
        pool = ThreadPoolExecutor(max_workers=args.students + 2)
        tasks = [student(i, args.lesson_list[i % len(args.lesson_list)], base, t_start,
                         args, pool, recs) for i in range(args.students)]
        running = [asyncio.create_task(t) for t in tasks]
        done, pending = await asyncio.wait(
            running, timeout=args.window + args.duration + STEP_TIMEOUT + 30)
        for t in pending:                 # a student still waiting counts as a failure
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        pool.shutdown(wait=False, cancel_futures=True)
        for r in recs:
            if r["ready"] is None and not r["no_app"] and not r["error"]:
                r["error"] = "TimeoutError: the page or its figures never arrived"
        stop.set()
        await sampler
        peaks["cpu_server"] = server_cpu(server.pid) - cpu0[0]
        peaks["cpu_all"] = cpu_seconds(server.pid) - cpu0[1]
        peaks["wall"] = time.monotonic() - t_start
        culled = None
        if args.cull_check:
            culled = await cull_check(base, [r["kernel"] for r in recs if r["kernel"]])
        report(args, recs, peaks, culled)


# -- the check against a real browser -------------------------------------------------------------
async def browser_check(args):
    """One Chromium page and the simulated client on the same kernel: same slider, same pixels."""
    import io

    import numpy as np
    import websockets
    from PIL import Image
    from playwright.async_api import async_playwright

    lesson = args.lesson_list[0]
    name = SLIDERS[lesson]
    args.pool = False
    with serving(args) as server:
        base = server.url
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            await page.goto(f"{base}/voila/render/{lesson}.ipynb", timeout=180_000)
            await page.wait_for_selector(f".bpttviz-control-{name}", timeout=180_000)
            await page.wait_for_timeout(3000)
            config = json.loads(await page.inner_text("#jupyter-config-data"))
            ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{config['kernelId']}/channels"
            async with websockets.connect(f"{ws_url}?session_id={uuid.uuid4().hex}",
                                          subprotocols=[PROTOCOL], max_size=None) as ws:
                k = Kernel(ws)
                reader = asyncio.create_task(k.read())
                model_id, state = await k.open_widgets(f"bpttviz-control-{name}")
                value = other_value(state, random.Random(7))
                latency = await k.move(model_id, value)
                for comm_id in k.canvases:     # ask for full frames, not diffs, to compare
                    await k.comm(comm_id, {"method": "custom", "content": {"type": "refresh"}})
                await asyncio.sleep(0.5)
                await k.settled()
                await page.wait_for_timeout(2000)
                shown = await page.inner_text(f".bpttviz-control-{name} .widget-readout")
                canvases = await page.evaluate("""() => [...document.querySelectorAll(
                    '.jupyter-matplotlib-canvas-div canvas')].filter(c => c.width > 0 &&
                    !c.classList.contains('jupyter-matplotlib-canvas-top')).map(c => c.toDataURL())""")
                reader.cancel()
            await browser.close()
        import base64
        browser_imgs = [np.asarray(Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))))
                        for u in canvases]
        sim_imgs = [np.asarray(Image.open(io.BytesIO(p[-1])).convert("RGBA"))
                    for p in k.pngs.values()]
        print(f"lesson {lesson}: simulated move {name} -> {value} in {latency:.3f} s; "
              f"the browser's slider shows {shown.strip()!r}")
        for i, s in enumerate(sim_imgs):
            diffs = [np.any(b[..., :4] != s[..., :4], axis=-1) for b in browser_imgs
                     if b.shape[:2] == s.shape[:2]]
            best = min(diffs, key=lambda d: d.sum(), default=None)
            where = ""
            if best is not None and best.any():
                rows, cols = np.nonzero(best)
                where = (f" (rows {rows.min()}-{rows.max()}, columns {cols.min()}-{cols.max()})")
            outside = None
            if best is not None:      # ipympl's frontend draws its resize handle in the corner
                outside = int(best.sum() - best[-20:, -20:].sum())
            print(f"  figure {i}: {s.shape[1]}x{s.shape[0]} px, pixels differing from the "
                  f"browser's canvas: {None if best is None else int(best.sum())} of "
                  f"{s.shape[0] * s.shape[1]}{where}; outside the 20x20 corner of the resize "
                  f"handle: {outside}")


def main(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--students", type=int, default=10, help=f"students (1..{MAX_STUDENTS})")
    parser.add_argument("--window", type=float, default=10.0,
                        help="arrival window: students arrive uniformly within it (s)")
    parser.add_argument("--think", default="2,5",
                        help="seconds between a student's slider moves, uniform in LOW,HIGH")
    parser.add_argument("--duration", type=float, default=60.0,
                        help=f"seconds from the first arrival until students stop moving "
                             f"(at most {MAX_DURATION})")
    parser.add_argument("--lessons", default=DEFAULT_LESSONS,
                        help=f"lessons the students open, in turn (from {', '.join(SLIDERS)})")
    parser.add_argument("--pool", action="store_true",
                        help="start the server with --students N --lessons ... (kernels "
                             "preheated) and wait until heated before the class arrives")
    parser.add_argument("--cull-check", action="store_true",
                        help="after the run, wait until every kernel used has ended (<= 240 s)")
    parser.add_argument("--browser-check", action="store_true",
                        help="compare the simulated client with one real Chromium page")
    parser.add_argument("--seed", type=int, default=0, help="seed of the arrival times")
    parser.add_argument("--log", default="/tmp/bpttviz-bench-classroom.log",
                        help="where the server's log goes")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be in [1, {MAX_STUDENTS}]; got {args.students}")
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION}]; got {args.duration:g}")
    if args.window < 0:
        parser.error(f"--window must be >= 0; got {args.window:g}")
    try:
        low, high = (float(x) for x in args.think.split(","))
        assert 0 < low <= high
    except (ValueError, AssertionError):
        parser.error(f"--think must be LOW,HIGH seconds with 0 < LOW <= HIGH; got {args.think!r}")
    args.think_range = (low, high)
    args.lesson_list = [x.strip() for x in args.lessons.split(",") if x.strip()]
    unknown = [x for x in args.lesson_list if x not in SLIDERS]
    if unknown or not args.lesson_list:
        parser.error(f"--lessons must name lessons from {', '.join(SLIDERS)}; got {unknown}")
    # Stopped from outside (timeout, kill): still stop the server and its kernels.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    args.arrivals = sorted(rng.uniform(0, args.window) for _ in range(args.students))
    if args.browser_check:
        asyncio.run(browser_check(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
