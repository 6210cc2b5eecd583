"""A class arriving at once: N simulated students on one ``bpttviz serve``, at the protocol level.

Each student, as a browser would, GETs a lesson page (Voila starts or takes a
kernel and runs the notebook; the HTML carries the kernel id), opens the
kernel's websocket (``/api/kernels/<id>/channels``, subprotocol
``v1.kernel.websocket.jupyter.org``), sends ``kernel_info_request``, opens a
``jupyter.widget.control`` comm and asks for the widgets' states (ipywidgets 8
``request_states``), finds the lesson's slider by its DOM class
``bpttviz-control-<name>`` and the live figures (anywidget's ``AnyModel``
with a ``spec``), and asks for the arrays each figure's ``spec`` names, as the
page's ``figure.js`` does (they come as binary buffers of custom ``arrays``
messages). The page is ready when every figure has all its arrays. Then the
student moves the slider every ``--think`` seconds (a ``comm_msg`` update of
its value) and waits until the app has shown the result: the kernel idle
again, the status line saying "updated in" once more, and every figure holding
the arrays of its newest ``spec`` (see ``benchmarks/_client.py``).

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
move and that every figure the page drew holds the arrays the simulated
client received for it, number for number.

Usage::

    python -m benchmarks.bench_classroom --students 30 --window 10 --duration 60 --pool
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._client import (PROTOCOL, STEP_TIMEOUT, WIDGET_VIEW, Kernel,  # noqa: E402
                                cpu_of, fetch, kernel_id_of, other_value, pct, tree,
                                websocket_url)
from benchmarks._common import CHROMIUM, CHROMIUM_ARGS, benchmark_parser  # noqa: E402

#: The slider each lesson's students move (its control name, as in the query string).
SLIDERS = {"01_unfolding": "frame", "02_vanishing_exploding": "scale", "03_truncated_bptt": "k2",
           "04_training": "k2_a", "05_rnn_lstm_gru": "radius", "06_error_surface": "w0",
           "07_beyond_truncation": "k2"}
DEFAULT_LESSONS = "02_vanishing_exploding,03_truncated_bptt,04_training"
MAX_STUDENTS = 200
MAX_DURATION = 600


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
        rec["kernel"] = kernel_id = kernel_id_of(html)
        if kernel_id is None:
            raise RuntimeError("no kernel id in the page")
        if WIDGET_VIEW not in html:
            rec["no_app"] = True
            return
        import websockets
        async with websockets.connect(websocket_url(base, kernel_id), subprotocols=[PROTOCOL],
                                      max_size=None, open_timeout=STEP_TIMEOUT,
                                      ping_interval=None) as ws:
            k = Kernel(ws)
            reader = asyncio.create_task(k.read())
            slider = await k.open_widgets(f"bpttviz-control-{SLIDERS[lesson]}")
            if slider is None or not k.figures:
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


# -- the server --------------------------------------------------------------------------------
def rss_bytes(pid):
    total = 0
    for p in tree(pid):
        try:
            total += p.memory_info().rss
        except Exception:
            pass
    return total


def cpu_seconds(pid):
    """CPU seconds of the server and its kernels."""
    return sum(cpu_of(p) for p in tree(pid))


def server_cpu(pid):
    """CPU seconds of the server process alone (its kernels not counted)."""
    import psutil
    try:
        return cpu_of(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return 0.0


@contextlib.contextmanager
def serving(args):
    """``bpttviz serve`` on a free port of 127.0.0.1, logging to ``--log``; with ``--pool``
    its kernels kept warm. Yields its :class:`bpttviz.serve.Server` once the pool is heated;
    ends the server and its kernels afterwards."""
    from bpttviz.serve import served

    extra = (["--students", str(args.students), "--lessons", ",".join(args.lesson_list)]
             if args.pool else [])
    with served(extra_args=extra, log=args.log, start_timeout=120, stop_timeout=20) as server:
        if args.pool:
            wait_heated(server, args)
        yield server


def wait_heated(server, args, limit=300):
    """Wait until the warm kernels are heated (the server says "ready for N students") and
    the CPU is quiet."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if "ready for " in server.log.read_text():
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
#: Every live figure of the page: the version it drew and the record it drew, its typed arrays
#: as plain lists.
PAGE_FIGURES = """() => {
  const plain = (v) => ArrayBuffer.isView(v) ? Array.from(v)
    : Array.isArray(v) ? v.map(plain)
    : (v && typeof v === 'object')
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
    : v;
  return [...document.querySelectorAll('.bpttviz-live')].map(el =>
    ({drawn: el.dataset.drawn, figure: plain(el.bpttvizFigure)}));
}"""


def resolved(node, arrays):
    """A live figure's spec with each array descriptor replaced by the array it names (NumPy),
    as the page's figure.js resolves it."""
    import numpy as np

    if isinstance(node, list):
        return [resolved(v, arrays) for v in node]
    if isinstance(node, dict):
        if "ref" in node and "dtype" in node:
            return np.frombuffer(arrays[node["ref"]], dtype=node["dtype"])
        if "chunks" in node and "dtype" in node:
            return np.concatenate([resolved(c, arrays) for c in node["chunks"]])
        return {k: resolved(v, arrays) for k, v in node.items()}
    return node


def differences(ours, page, counts):
    """Compare a record rebuilt by the simulated client with the page's; count arrays compared
    in ``counts["arrays"]`` and values that differ in ``counts["differ"]``."""
    import numpy as np

    if hasattr(ours, "dtype"):
        counts["arrays"] += 1
        theirs = np.asarray(page if page is not None else [], dtype=float).ravel()
        mine = ours.astype(float).ravel()
        if theirs.shape != mine.shape:
            counts["differ"] += max(mine.size, 1)
        else:
            same = (mine == theirs) | (np.isnan(mine) & np.isnan(theirs))
            counts["differ"] += int(np.sum(~same))
    elif isinstance(ours, dict):
        for k, v in ours.items():
            differences(v, (page or {}).get(k) if isinstance(page, dict) else None, counts)
    elif isinstance(ours, list):
        page = page if isinstance(page, list) else []
        counts["differ"] += abs(len(ours) - len(page))
        for a, b in zip(ours, page):
            differences(a, b, counts)
    elif ours != page and not (ours is None and page is None):
        counts["differ"] += 1


async def browser_check(args):
    """One Chromium page and the simulated client on the same kernel: same slider, same numbers."""
    import websockets
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
            await page.wait_for_function("() => { const f = document.querySelectorAll("
                                         "'.bpttviz-live'); return f.length && [...f].every("
                                         "el => el.dataset.drawn); }", timeout=180_000)
            config = json.loads(await page.inner_text("#jupyter-config-data"))
            async with websockets.connect(websocket_url(base, config["kernelId"]),
                                          subprotocols=[PROTOCOL], max_size=None) as ws:
                k = Kernel(ws, keep_arrays=True)
                reader = asyncio.create_task(k.read())
                model_id, state = await k.open_widgets(f"bpttviz-control-{name}")
                value = other_value(state, random.Random(7))
                latency = await k.move(model_id, value)
                versions = sorted(str(f["version"]) for f in k.figures.values())
                await page.wait_for_function(
                    "v => [...document.querySelectorAll('.bpttviz-live')].map(el => "
                    "el.dataset.drawn).sort().join() === v.join()", arg=versions, timeout=30_000)
                shown = await page.inner_text(f".bpttviz-control-{name} .widget-readout")
                drawn = await page.evaluate(PAGE_FIGURES)
                reader.cancel()
            await browser.close()
        print(f"lesson {lesson}: simulated move {name} -> {value} in {latency:.3f} s; "
              f"the browser's slider shows {shown.strip()!r}")
        ours = {str(f["version"]) + ":" + str(i): resolved(f["spec"], k.arrays)
                for i, f in enumerate(k.figures.values())}
        for i, shown_fig in enumerate(drawn):
            best = None
            for key, record in ours.items():      # the page's order need not be the states'
                if key.split(":")[0] != shown_fig["drawn"]:
                    continue
                counts = {"arrays": 0, "differ": 0}
                differences(record, shown_fig["figure"], counts)
                if best is None or counts["differ"] < best[1]["differ"]:
                    best = (key, counts)
            if best is None:
                print(f"  figure {i}: drew version {shown_fig['drawn']}, which the simulated "
                      f"client did not receive")
            else:
                print(f"  figure {i}: version {shown_fig['drawn']}, {best[1]['arrays']} arrays "
                      f"compared with the simulated client's, values differing: "
                      f"{best[1]['differ']}")


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
