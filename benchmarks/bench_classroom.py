"""A class arriving at once: N simulated students on one server, at the protocol level.

Each student, as a browser with an empty cache would, GETs a lesson page, then the
page's static files (``--static``: the list of files a real page fetched, recorded once
in headless Chromium on a server of its own, then replayed by every student over 6
kept-alive connections accepting gzip, as Chromium does), opens the page's websocket,
gets its widgets, finds the lesson's slider by its DOM class ``bpttviz-control-<name>``
and the live figures (anywidget's ``AnyModel`` with a ``spec``), and has every array
each figure's ``spec`` names (see ``benchmarks/_client.py``, which speaks both servers'
protocols message by message). The page is ready when every figure has all its
arrays. Then the student moves the slider every ``--think`` seconds (a ``comm_msg``
update of its value) and waits until the app has shown the result: the server idle
again on it, the status line saying "updated in" once more, and every figure holding
the arrays of its newest ``spec``. At the end (or with ``--stay``, when it leaves) it
closes its tab.

Two servers (``--server``):

* ``hall`` (default): ``bpttviz serve``, the lecture hall, every page in the server's
  process (Solara's virtual kernels), ``--workers N`` processes behind nginx. It is
  started with ``--students N --lessons ...`` (the lessons prepared: the class arrives
  once it says "ready for N students"; ``--cold``: started without them). No kernels:
  what a page costs is the server's memory and CPU.
* ``voila``: a Voila server, a kernel per page, to measure the old server on the same
  harness: an older checkout's ``bpttviz serve`` started by this script with
  ``--program "env PYTHONPATH=OLD PYTHON -P -m bpttviz.cli"`` (its pool of ``--students``
  kernels heated before the class arrives, unless ``--cold``), or any Voila server
  already running (``--base-url``, e.g. ``voila notebooks/``; ``--server-pid`` to
  measure it).

As a real class, by default: each student chooses a lesson at random among
``--lessons`` (``--mix turns``: in turn), and moves the slider by jumps (a value at
random across its range, as a drag or a click on the track; ``--moves step``: one
step, as an arrow key). A page the server answers with 503 or "The class is full"
(``bpttviz serve --max-students``) counts as *full*, apart from failures.

Harder rooms: ``--training N`` (N more students on lessons 04_training and
07_beyond_truncation, in turn, who press Train or Race (the button of DOM class
``bpttviz-start``) as soon as their page is ready and again whenever the run has
ended (the status line says "trained", "raced" or "stopped"), for the whole run,
while the others move their sliders: the others' slider p95 is to be compared with
a run of the same class without ``--training``); ``--late-start S`` (the first
student arrives S seconds after the server was launched, without waiting for it to say
it is ready; the hall answers no request before its lessons are prepared, so its class
then arrives as soon as it answers);
``--stuck-key`` (one more student sends 300 one-step updates back to back at
``--stuck-at``; the others' slider latency is reported during the flood and outside
it); ``--stay LOW,HIGH`` (churn: each student leaves after LOW..HIGH seconds, closing
its tab, and a new one takes the seat; for a soak, e.g. 30 students for 1200 s:
the server's memory over time and the sessions it keeps past their tabs);
``--close drop`` (a tab that ends without telling the server: no close beacon, the
websocket dropped, as a laptop that sleeps); 100 students within 20 s
(``--students 100 --window 20``).

Printed: the conditions (date, machine, load before the run, lessons chosen); page
ready (from arrival) and slider -> all figures percentiles (with Voila, the kernel's
CPU seconds per move beside them); the static files per student (bytes, time); pages
without the app; full pages; failures; the arrival (the server's CPU seconds from
the first arrival until the last page of the class was ready, per student: *CPU-s to
arrive*; its memory after that less before, per student: *MB to stay*, PSS and RSS);
memory (peak RSS and PSS of every process of the server: workers, nginx, kernels;
its growth from the full class to the end); the hall's sessions (Solara's count,
read from each worker's ``/resourcez``) or Voila's kernels; CPU seconds of the
server; a probe of the server every second (does it answer, and how fast); with
``--training``, the training pages' runs. With ``--cull-check``, after the students
closed their tabs it waits (at most 240 s) until every session (kernel) they used has
ended and prints how long that took (what is left is leaked).

The server is started on a free port of 127.0.0.1 and stopped at the end (all its
processes: its process group). Bounded: at most 200 students, 600 s of interaction
(1800 s with ``--stay``); only 127.0.0.1 (or ``--base-url``) is contacted.

``--browser-check`` instead opens one lesson in headless Chromium
(``/usr/bin/chromium``, Playwright) and compares the simulated client with it: on
the hall, a simulated page of the same address gets the same widgets and the same
figures, number for number, as the browser's; a simulated client joined to the
browser's own page moves the slider, and the browser's slider follows and its
figures hold the arrays the simulated client received (on Voila, the second client
shares the browser's kernel).

Usage::

    python -m benchmarks.bench_classroom --students 30 --window 10 --duration 60
    python -m benchmarks.bench_classroom --students 30 --workers 2
    python -m benchmarks.bench_classroom --students 30 --training 4
    python -m benchmarks.bench_classroom --students 30 --late-start 1
    python -m benchmarks.bench_classroom --students 30 --stuck-key
    python -m benchmarks.bench_classroom --students 30 --stay 120,300 --duration 1200 --cull-check
    python -m benchmarks.bench_classroom --browser-check --lessons 03_truncated_bptt
    python -m benchmarks.bench_classroom --server voila --program "env PYTHONPATH=OLD .venv/bin/python -P -m bpttviz.cli"
    python -m benchmarks.bench_classroom --server voila --base-url http://127.0.0.1:8866 --server-pid PID
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shlex
import signal
import statistics
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._client import (STEP_TIMEOUT, ClassFull, connected, cpu_of,  # noqa: E402
                                fetch, fetch_files, kernel_process, lesson_sliders, load_page,
                                other_value, pct, step_values, tree)
from benchmarks._common import (CHROMIUM, CHROMIUM_ARGS, add_running_server,  # noqa: E402
                                benchmark_parser)

#: The slider each lesson's students move (the lessons' registry; the server is another
#: process, so NumPy's threads here do not matter).
SLIDERS = lesson_sliders()
DEFAULT_LESSONS = "02_vanishing_exploding,03_truncated_bptt,04_training"
#: The lessons of ``--training``'s students, in turn, and the words of a run that ended.
TRAINING_LESSONS = ("04_training", "07_beyond_truncation")
RUN_ENDED = ("trained", "raced", "stopped")
MAX_STUDENTS = 200
MAX_DURATION = 600
MAX_SOAK = 1800
#: Updates a stuck key sends back to back.
STUCK_UPDATES = 300
#: What the hall says once its lessons are prepared (``bpttviz serve --students N``).
READY_LINE = "ready for"
#: How long the hall keeps a session whose page went away without closing
#: (``bpttviz.serve.hall.SESSION_KEEP``), and the margin past it before a session counts
#: as kept too long.
SESSION_KEEP_S = 60
LEAK_MARGIN_S = 30


def nan_median(values):
    return statistics.median(values) if values else float("nan")


# -- one student --------------------------------------------------------------------------------
def new_record(i, lesson, arrival, role="slider"):
    return {"id": i, "lesson": lesson, "arrival": arrival, "role": role, "ready": None,
            "done_at": None, "no_app": False, "full": False, "error": None, "moves": [],
            "move_cpu": [], "kernel": None, "static_bytes": None, "static_s": None,
            "static_failures": [], "left": None, "closed_at": None, "runs": []}


@contextlib.asynccontextmanager
async def arrive(rec, base, t_start, args, pool):
    """A student's page, from its arrival to its widgets: GET the page, its static files, the
    websocket, the widgets and every figure's arrays. Yields ``(client, slider)``, or
    ``(None, None)`` when the page came without the app or the class was full (marked in
    ``rec``); ``rec["done_at"]`` is when the page was ready (or was known not to be)."""
    await asyncio.sleep(max(0.0, t_start + rec["arrival"] - time.monotonic()))
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    lesson = rec["lesson"]
    try:
        try:
            landing = await loop.run_in_executor(pool, load_page, args.server, args.base,
                                                 lesson)
        except ClassFull:
            rec["full"] = True
            yield None, None
            return
        rec["kernel"] = landing.kernel_id
        if landing.kind == "voila" and landing.kernel_id is None:
            raise RuntimeError("no kernel id in the page")
        if args.files:
            size, failed, secs = await loop.run_in_executor(pool, fetch_files, args.base,
                                                            args.files)
            rec["static_bytes"], rec["static_failures"], rec["static_s"] = size, failed, secs
        if not landing.has_app():
            rec["no_app"] = True
            yield None, None
            return
        async with connected(landing) as k:
            slider = await k.open_widgets(f"bpttviz-control-{SLIDERS[lesson]}")
            if slider is None or not k.figures:
                rec["no_app"] = True
                yield None, None
                return
            rec["ready"] = time.monotonic() - t0
            rec["done_at"] = time.monotonic() - t_start
            try:
                yield k, slider
            finally:
                await k.leave(beacon=args.close == "beacon")
                rec["closed_at"] = time.monotonic() - t_start
    finally:
        if rec["done_at"] is None:
            rec["done_at"] = time.monotonic() - t_start


async def student(rec, base, t_start, args, pool, leave_at=None):
    """One student: arrive at ``rec["arrival"]``, open the page, move the slider until the
    run ends (or ``leave_at``, a time from ``t_start``, when the tab is closed)."""
    rng = random.Random(1000 + rec["id"])
    loop = asyncio.get_running_loop()
    try:
        async with arrive(rec, base, t_start, args, pool) as (k, slider):
            if k is None:
                return
            proc = None
            if args.server == "voila" and args.pid:
                proc = await loop.run_in_executor(pool, kernel_process, args.pid, rec["kernel"])
            model_id, state = slider
            steps = []
            while True:
                await asyncio.sleep(rng.uniform(*args.think_range))
                now = time.monotonic() - t_start
                if leave_at is not None and now > leave_at:
                    rec["left"] = now              # the tab is closed
                    break
                if now > args.duration:
                    break
                if args.moves == "jump":
                    state["value"] = other_value(state, rng)
                else:
                    if not steps:
                        steps = step_values(state, 50)      # from the value shown, on and back
                    state["value"] = steps.pop(0)
                c0 = cpu_of(proc) if proc else 0.0
                latency = await k.move(model_id, state["value"])
                rec["moves"].append((now, latency))
                if proc:
                    rec["move_cpu"].append(cpu_of(proc) - c0)
    except Exception as exc:            # a failure is a figure of the benchmark, not a crash
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]


async def trainer(rec, base, t_start, args, pool):
    """A student who trains: presses the lesson's start button (Train, Race) as soon as the
    page is ready and again whenever the run has ended, until the run of the class ends."""
    try:
        async with arrive(rec, base, t_start, args, pool) as (k, _):
            if k is None:
                return
            start = k.newest("bpttviz-start")
            if start is None:
                raise RuntimeError(f"no start button in {rec['lesson']}")
            while time.monotonic() - t_start < args.duration:
                before, t0 = k.statuses, time.monotonic()
                await k.press(start)
                left = args.duration - (time.monotonic() - t_start)
                try:
                    await k.until(lambda: k.statuses > before and any(
                        w in k.status_text for w in RUN_ENDED), timeout=max(left, 1.0),
                        what="the end of a run")
                except TimeoutError:
                    break                   # the class ended first: the tab closes mid-run
                rec["runs"].append(time.monotonic() - t0)
    except Exception as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]


async def seat(slot, base, t_start, args, pool, recs, ids):
    """One seat of the class: with ``--stay``, a student leaves after a while and another takes
    the seat, until the run ends; without, one student."""
    rng = random.Random(5000 + slot)
    arrival = args.arrivals[slot]
    while True:
        i = next(ids)
        rec = new_record(i, args.choose(i), arrival)
        rec["first"] = arrival == args.arrivals[slot]
        recs.append(rec)
        leave_at = arrival + rng.uniform(*args.stay_range) if args.stay_range else None
        await student(rec, base, t_start, args, pool, leave_at)
        if leave_at is None or rec["ready"] is None:
            return
        arrival = max(leave_at, time.monotonic() - t_start) + rng.uniform(0, 5)
        if arrival >= args.duration:
            return


async def stuck_key(base, t_start, args, pool, flood, recs):
    """One more student who opens the first lesson with the others and, at ``--stuck-at``,
    sends :data:`STUCK_UPDATES` one-step updates back to back (a key held down, or a script);
    ``flood`` gets when the flood started and ended (its last value shown), and the CPU
    seconds it cost (its kernel's on Voila, the whole server's on the hall)."""
    loop = asyncio.get_running_loop()
    rec = new_record(-1, args.lesson_list[0], 0.0, role="stuck key")
    rec["first"] = True
    recs.append(rec)
    try:
        async with arrive(rec, base, t_start, args, pool) as (k, slider):
            if k is None:
                raise RuntimeError("its page came without the app, or the class was full")
            model_id, state = slider
            proc = None
            if args.server == "voila" and args.pid:
                proc = await loop.run_in_executor(pool, kernel_process, args.pid, rec["kernel"])

            def cpu():
                return cpu_of(proc) if proc else cpu_seconds(args.pid)

            await asyncio.sleep(max(0.0, t_start + args.stuck_at - time.monotonic()))
            c0 = cpu()
            before = k.updated
            flood["start"] = time.monotonic() - t_start
            msg = None
            for value in step_values(state, STUCK_UPDATES):
                msg = await k.set_value(model_id, value)
            flood["sent"] = time.monotonic() - t_start
            await k.until(lambda: k.idle[msg].is_set() and k.done(before),
                          timeout=max(STEP_TIMEOUT, 4 * STUCK_UPDATES),
                          what="the last value of the flood")
            flood["end"] = time.monotonic() - t_start
            flood["cpu"] = cpu() - c0
            flood["cpu_of"] = "its kernel" if proc else "the server"
            flood["shown"] = k.updated - before
    except Exception as exc:
        flood["error"] = f"{type(exc).__name__}: {exc}"[:200]


#: A small answer of each server, to probe it every second: Voila's script (revalidated:
#: 304), Solara's readiness route (through the event loop that serves the pages).
PROBES = {"voila": "/voila/static/voila.js", "hall": "/readyz"}


async def probe(base, stop, probes, path):
    """GET ``path`` every second: does the server answer, and how fast."""
    loop = asyncio.get_running_loop()
    url = base + path

    def once(etag):
        request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                r.read()
                return time.perf_counter() - t0, r.headers.get("ETag"), None
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return time.perf_counter() - t0, etag, None
            return time.perf_counter() - t0, etag, f"HTTP {exc.code}"
        except OSError as exc:
            return time.perf_counter() - t0, etag, type(exc).__name__

    etag = None
    while not stop.is_set():
        latency, etag, error = await loop.run_in_executor(None, once, etag)
        probes.append((latency, error))
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, 1.0 - latency))
        except asyncio.TimeoutError:
            pass


# -- the server --------------------------------------------------------------------------------
def processes(pid):
    """Every process of the server: itself and its children (the hall's workers and nginx,
    Voila's kernels); none when it is not known (a server at ``--base-url`` alone)."""
    return tree(pid) if pid else []


def rss_bytes(pid):
    total = 0
    for p in processes(pid):
        with contextlib.suppress(Exception):
            total += p.memory_info().rss
    return total


def cpu_seconds(pid):
    """CPU seconds of every process of the server."""
    return sum(cpu_of(p) for p in processes(pid))


def server_cpu(pid):
    """CPU seconds of the server process alone (Voila's kernels not counted)."""
    import psutil
    try:
        return cpu_of(psutil.Process(pid)) if pid else 0.0
    except psutil.NoSuchProcess:
        return 0.0


def kernel_count(pid):
    """Kernels a Voila server runs now (its ipykernel children)."""
    n = 0
    for p in processes(pid)[1:]:
        with contextlib.suppress(Exception):
            n += "ipykernel" in " ".join(p.cmdline())
    return n


def pss_bytes(pid):
    """Proportional set size of every process of the server (shared pages counted once) and
    the server process's own; reads /proc/<pid>/smaps, so it is sampled less often where
    there are many processes."""
    total, own = 0, 0
    for p in processes(pid):
        with contextlib.suppress(Exception):
            pss = p.memory_full_info().pss
            total += pss
            if p.pid == pid:
                own = pss
    return total, own


def usage(pid):
    """``(CPU seconds, RSS, PSS)`` of the server now."""
    return cpu_seconds(pid), rss_bytes(pid), pss_bytes(pid)[0]


def session_urls(args, server):
    """Where the hall's sessions are counted: each worker's ``/resourcez`` (Solara's count of
    its virtual kernels), the workers' ports read from the server's log; the server itself
    with one process."""
    if args.server != "hall":
        return []
    if args.workers > 1 and server.log is not None:
        m = re.search(r"workers on ports ([\d, ]+) behind nginx", server.log.read_text())
        if m:
            return [f"http://127.0.0.1:{p.strip()}" for p in m.group(1).split(",")]
    return [args.base]


def sessions_alive(urls):
    """Solara sessions (virtual kernels) the hall keeps now, over all its workers; None if one
    did not answer."""
    total = 0
    for url in urls:
        try:
            total += json.loads(fetch(url + "/resourcez", timeout=10))["kernels"]["total"]
        except (OSError, ValueError, KeyError):
            return None
    return total


def pages_open(recs):
    return sum(r["ready"] is not None and r["closed_at"] is None for r in recs)


async def sample(args, stop, peaks, t_start, recs):
    """Every second: the server's RSS and the load; its PSS (every 10 s where Voila runs a
    process per kernel), the sessions or kernels it keeps and the pages open, into
    ``peaks["series"]``."""
    loop = asyncio.get_running_loop()
    pid, n = args.pid, 0
    every = 1 if args.server == "hall" else 10
    while not stop.is_set():
        peaks["rss"] = max(peaks["rss"], rss_bytes(pid))
        peaks["load"] = max(peaks["load"], os.getloadavg()[0])
        if n % every == 0:
            pss, own = await loop.run_in_executor(None, pss_bytes, pid)
            if args.server == "hall":
                kept = await loop.run_in_executor(None, sessions_alive, args.session_urls)
            else:
                kept = kernel_count(pid)
            peaks["series"].append((time.monotonic() - t_start, pss, own, kept,
                                    pages_open(recs)))
            peaks["pss"] = max(peaks["pss"], pss)
        n += 1
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


async def arrival(recs, t_start, args, peaks):
    """When the last page of the class (the first student of every seat, the training
    students, the stuck key) is ready or known not to be: the server's CPU seconds and
    memory then, into ``peaks["arrived"]``."""
    loop = asyncio.get_running_loop()
    first = [r for r in recs if r.get("first")]
    deadline = t_start + args.window + STEP_TIMEOUT * 3
    while any(r["done_at"] is None for r in first) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    at = time.monotonic() - t_start
    cpu, rss, pss = await loop.run_in_executor(None, usage, args.pid)
    peaks["arrived"] = {"t": at, "cpu": cpu, "rss": rss, "pss": pss,
                        "pages": sum(r["ready"] is not None for r in first)}


@contextlib.contextmanager
def serving(args):
    """The server measured: ``--base-url`` (already running), else ``bpttviz serve`` (or
    ``--program``'s) on a free port of 127.0.0.1, logging to ``--log``, prepared for the
    class (the hall's lessons computed, Voila's pool heated) unless ``--cold`` or
    ``--late-start``. Yields ``(server, launched)``, ``launched`` the monotonic time the
    server was launched; ends the server and all its processes afterwards."""
    from bpttviz.serve import served
    from bpttviz.serve.process import Server

    if args.base_url:
        yield Server(url=args.base_url.rstrip("/"), pid=args.server_pid, log=None), None
        return
    extra = []
    if not args.cold:
        extra += ["--students", str(args.class_size), "--lessons", ",".join(args.all_lessons)]
    if args.workers > 1:
        extra += ["--workers", str(args.workers)]
    extra += args.server_args
    program = shlex.split(args.program) if args.program else None
    launched = time.monotonic()
    with served(extra_args=extra, program=program, log=args.log, start_timeout=120,
                stop_timeout=20) as server:
        print(f"# server answered {time.monotonic() - launched:.1f} s after its launch",
              flush=True)
        if not args.cold and args.late_start is None:
            if args.server == "hall":
                wait_ready(server, launched)
            else:
                wait_heated(server, args, launched)
        yield server, launched


def wait_ready(server, launched, limit=600):
    """Wait until the hall says it is ready for the class (its lessons computed)."""
    while time.monotonic() - launched < limit and READY_LINE not in server.log.read_text():
        time.sleep(0.2)
    print(f"# the server said '{READY_LINE} ...' {time.monotonic() - launched:.1f} s after its "
          f"launch", flush=True)


def wait_heated(server, args, launched, limit=600):
    """Wait until a Voila server runs at least ``--students`` kernels and its processors have
    been quiet for 2 s (under 10 % of one core): whatever the pool's design, it is then
    heated."""
    while time.monotonic() - launched < limit and kernel_count(server.pid) < args.students:
        time.sleep(1)
    last = cpu_seconds(server.pid)
    while time.monotonic() - launched < limit:
        time.sleep(2)
        now = cpu_seconds(server.pid)
        if now - last < 0.2:
            break
        last = now
    print(f"# pool heated {time.monotonic() - launched:.0f} s after the server's launch "
          f"({kernel_count(server.pid)} kernels)", flush=True)


def kernel_alive(base, kernel_id):
    try:
        fetch(f"{base}/api/kernels/{kernel_id}", timeout=10)
        return True
    except urllib.error.HTTPError as exc:
        return exc.code != 404
    except OSError:
        return True


async def ended_check(args, recs, limit=240):
    """Seconds until every session (hall) or kernel (Voila) the students used has ended, or
    None past ``limit``; and how many are left."""
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    if args.server == "hall":
        left = None
        while time.monotonic() - t0 < limit:
            left = await loop.run_in_executor(None, sessions_alive, args.session_urls)
            if left == 0:
                return time.monotonic() - t0, 0
            await asyncio.sleep(2)
        return None, left
    alive = {r["kernel"] for r in recs if r["kernel"]}
    while alive and time.monotonic() - t0 < limit:
        await asyncio.sleep(5)
        still = await asyncio.gather(*[loop.run_in_executor(None, kernel_alive, args.base, k)
                                       for k in alive])
        alive = {k for k, a in zip(list(alive), still) if a}
    return None if alive else time.monotonic() - t0, len(alive)


# -- report -------------------------------------------------------------------------------------
def conditions(args, recs):
    """Where and how: printed first, so that a figure never travels without them."""
    from benchmarks._common import machine

    lessons = list(dict.fromkeys(r["lesson"] for r in recs))
    chosen = {lesson: sum(r["lesson"] == lesson for r in recs) for lesson in lessons}
    where = ("server on 127.0.0.1" if not args.base_url else f"server at {args.base_url}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; {machine()}; "
          f"{os.cpu_count()} CPUs, load average before the run {args.load_before:.1f}; "
          f"{where}, load generator on the same machine")
    server = args.server + (f" ({args.workers} workers behind nginx)" if args.workers > 1
                             else "")
    print(f"# server {server}  students {args.students}"
          f"{f' + {args.training} training' if args.training else ''}  "
          f"{'already running' if args.base_url else 'cold (nothing prepared)' if args.cold else 'prepared for the class'}"
          f"{'' if args.late_start is None else f' (late start: {args.late_start:g} s)'}  "
          f"window {args.window:g} s  think {args.think} s  duration {args.duration:g} s  "
          f"moves {args.moves}  mix {args.mix}  static files "
          f"{len(args.files) if args.files else 0}"
          f"{'' if not args.stay_range else f'  stay {args.stay}'}  close {args.close}"
          f"{'  stuck key at ' + format(args.stuck_at, 'g') + ' s' if args.stuck_key else ''}"
          f"{'  server ' + ' '.join(args.server_args) if args.server_args else ''}"
          f"{'  program ' + args.program if args.program else ''}")
    print("# lessons chosen " + ", ".join(f"{k} {v}" for k, v in chosen.items())
          + f" ({len(recs)} pages)")


def memory_growth(series, t_from):
    """(first, last) of the server process's own PSS and of the total, from the first sample
    at or after ``t_from`` to the last; None without two such samples."""
    later = [s for s in series if s[0] >= t_from]
    if len(later) < 2:
        return None
    return (later[0][2], later[-1][2]), (later[0][1], later[-1][1])


def quiet_moves(recs, flood, args):
    """Other students' slider latencies during the flood (from its start until 10 s after it,
    or until its last value was shown if later) and outside it (after the arrivals)."""
    start = flood["start"]
    end = max(flood.get("end", args.duration), start + 10)
    during = [lat for r in recs for at, lat in r["moves"] if start <= at <= end]
    outside = [lat for r in recs for at, lat in r["moves"]
               if at > args.window + 5 and not start - 5 <= at <= end + 5]
    return during, outside


def kept_too_long(series, recs, args):
    """The most sessions the hall kept, at any sample, beyond the pages open and those closed
    recently enough to be kept still (:data:`SESSION_KEEP_S` when tabs end without telling
    the server, plus :data:`LEAK_MARGIN_S`)."""
    keep = (SESSION_KEEP_S if args.close == "drop" else 0) + LEAK_MARGIN_S
    worst = 0
    for t, _, _, kept, open_now in series:
        if kept is None:
            continue
        recent = sum(r["closed_at"] is not None and t - keep <= r["closed_at"] <= t
                     for r in recs)
        worst = max(worst, kept - open_now - recent)
    return worst


def report(args, recs, peaks, ended, probes, flood):
    sliders = [r for r in recs if r["role"] == "slider"]
    trainers = [r for r in recs if r["role"] == "training"]
    ready = [r["ready"] for r in recs if r["ready"] is not None]
    moves = [lat for r in sliders for _, lat in r["moves"]]
    first = [lat for r in sliders for at, lat in r["moves"] if at <= 60]
    move_cpu = [c for r in sliders for c in r["move_cpu"]]
    no_app = sum(r["no_app"] for r in recs)
    full = sum(r["full"] for r in recs)
    errors = [r["error"] for r in recs if r["error"]]
    # A page whose front end did not load does not work in a browser, whatever its websocket
    # did: each file not answered 200 is a failure (its status and address, query cut).
    errors += [f"static file {f.split('?')[0]}" for r in recs for f in r["static_failures"]]
    static = [r for r in recs if r["static_bytes"] is not None]
    measured = bool(args.pid)
    conditions(args, recs)
    print(f"page ready (s)            median {nan_median(ready):.2f}  p95 {pct(ready, 95):.2f}"
          f"  max {max(ready) if ready else float('nan'):.2f}  ({len(ready)} of {len(recs)} pages)")
    print(f"slider -> figures (s)     median {nan_median(moves):.3f}  p95 {pct(moves, 95):.3f}"
          f"  max {max(moves) if moves else float('nan'):.3f}  ({len(moves)} moves)")
    if move_cpu:
        print(f"  kernel CPU per move (s) median {nan_median(move_cpu):.3f}  p95 "
              f"{pct(move_cpu, 95):.3f}")
    print(f"  first minute            median {nan_median(first):.3f}  p95 {pct(first, 95):.3f}"
          f"  ({len(first)} moves)")
    if args.training:
        runs = [s for r in trainers for s in r["runs"]]
        print(f"  with {args.training} students training: the others' slider p95 "
              f"{pct(moves, 95):.3f} s (a run without --training is the comparison); "
              f"training pages ready {sum(r['ready'] is not None for r in trainers)} of "
              f"{len(trainers)}, {len(runs)} runs finished, a run median "
              f"{nan_median(runs):.1f} s")
    if static:
        sb = [r["static_bytes"] for r in static]
        ss = [r["static_s"] for r in static]
        sf = sum(len(r["static_failures"]) for r in static)
        print(f"static files per student  {len(args.files)} files, median "
              f"{nan_median(sb) / 1e6:.2f} MB received in {nan_median(ss):.2f} s "
              f"(p95 {pct(ss, 95):.2f} s); {sf} not answered 200")
    print(f"pages without app         {no_app}")
    print(f"full pages (503 or 'class is full')  {full}")
    print(f"failures                  {len(errors)}")
    for e in sorted(set(errors))[:5]:
        print(f"  {errors.count(e)} x {e}")
    result = {"server": args.server, "workers": args.workers, "students": args.students,
              "training": args.training, "cold": args.cold, "pages": len(recs),
              "ready_median": nan_median(ready) if ready else None, "ready_p95": pct(ready, 95),
              "ready_max": max(ready) if ready else None,
              "slider_median": nan_median(moves) if moves else None,
              "slider_p95": pct(moves, 95), "slider_first_p95": pct(first, 95),
              "move_cpu_median": nan_median(move_cpu) if move_cpu else None,
              "static_mb": round(nan_median([r["static_bytes"] for r in static]) / 1e6, 3)
              if static else None,
              "no_app": no_app, "full": full, "failures": len(errors), "moves": len(moves)}
    if args.training:
        result["training_runs"] = sum(len(r["runs"]) for r in trainers)
    arrived = peaks.get("arrived")
    if measured and arrived and arrived["pages"]:
        b, n = peaks["before"], arrived["pages"]
        in_window = sum(at <= arrived["t"] for r in sliders for at, _ in r["moves"])
        cpu = arrived["cpu"] - b["cpu"]
        print(f"arrival                   CPU-s to arrive {cpu / n:.3f} per student (the server's "
              f"{cpu:.1f} CPU-s from the first arrival until the last page was ready, "
              f"{arrived['t']:.1f} s, for {n} pages; {in_window} slider moves fell in it)")
        print(f"                          MB to stay {(arrived['pss'] - b['pss']) / n / 2**20:.2f} "
              f"PSS, {(arrived['rss'] - b['rss']) / n / 2**20:.2f} RSS per student (the "
              f"server's PSS {b['pss'] / 2**20:.0f} -> {arrived['pss'] / 2**20:.0f} MB, RSS "
              f"{b['rss'] / 2**20:.0f} -> {arrived['rss'] / 2**20:.0f} MB)")
        result.update(cpu_to_arrive=round(cpu / n, 3),
                      mb_to_stay_pss=round((arrived["pss"] - b["pss"]) / n / 2**20, 2),
                      mb_to_stay_rss=round((arrived["rss"] - b["rss"]) / n / 2**20, 2))
    if measured:
        print(f"peak memory (every process of the server)  RSS {peaks['rss'] / 2**30:.2f} GB; "
              f"PSS (shared pages once) {peaks['pss'] / 2**30:.2f} GB")
        result.update(rss_gb=round(peaks["rss"] / 2**30, 2), pss_gb=round(peaks["pss"] / 2**30, 2))
        during_run = [s for s in peaks["series"] if s[0] <= peaks["wall"]]
        growth = memory_growth(during_run, arrived["t"] if arrived else args.window + 5)
        if growth:
            (s0, s1), (t0, t1) = growth
            # With workers the server process only watches them: its own size says nothing.
            own = (f"server process {s0 / 2**20:.0f} -> {s1 / 2**20:.0f} MB "
                   f"({100 * (s1 - s0) / max(s0, 1):+.1f} %), " if args.workers == 1 else "")
            print(f"memory from the full class to the end  {own}every process "
                  f"{t0 / 2**20:.0f} -> {t1 / 2**20:.0f} MB PSS "
                  f"({100 * (t1 - t0) / max(t0, 1):+.1f} %)")
            result.update(server_mb=[round(s0 / 2**20), round(s1 / 2**20)],
                          total_mb=[round(t0 / 2**20), round(t1 / 2**20)])
    kept = [s[3] for s in peaks["series"] if s[3] is not None and s[0] <= peaks["wall"]]
    what = "sessions (Solara's)" if args.server == "hall" else "kernels running"
    closed = sum(r["closed_at"] is not None for r in recs)
    if kept:
        print(f"{what:<26}before the class {kept[0]}, peak {max(kept)}, at the end of the run "
              f"{kept[-1]} ({closed} tabs closed, {sum(r['left'] is not None for r in recs)} "
              f"of them during the run)")
        result.update(kept_peak=max(kept), kept_end=kept[-1])
        if args.server == "hall" and args.stay_range:
            excess = kept_too_long(peaks["series"], recs, args)
            print(f"  sessions kept past their tabs (beyond the pages open and those closed "
                  f"recently), at worst {excess}")
            result["sessions_kept_too_long"] = excess
    if measured and args.stay_range:
        print("memory over time          t (s), PSS of every process (MB), "
              f"{'sessions' if args.server == 'hall' else 'kernels'}, pages open")
        step = max(1, len(peaks["series"]) // 20)
        for t, pss, _, k, open_now in peaks["series"][::step]:
            print(f"  {t:7.0f} {pss / 2**20:9.0f} {k!s:>6} {open_now:6d}")
    print(f"peak load average (1 min)            {peaks['load']:.1f}")
    if measured:
        cpu_all = peaks["cpu_end"] - peaks["before"]["cpu"]
        line = (f"CPU seconds during the run           server {cpu_all:.1f} (in "
                f"{peaks['wall']:.0f} s, {os.cpu_count()} CPUs = "
                f"{os.cpu_count() * peaks['wall']:.0f} CPU-s); per slider move "
                f"{cpu_all / max(len(moves), 1):.3f}")
        if args.server == "voila":
            line += f" (the server process alone {peaks['cpu_server']:.1f})"
        if arrived:
            after = [lat for r in sliders for at, lat in r["moves"] if at > arrived["t"]]
            line += (f"; after the arrivals {(peaks['cpu_end'] - arrived['cpu']) / max(len(after), 1):.3f}"
                     f" per slider move")
        print(line)
        result["cpu_s"] = round(cpu_all, 1)
    lat = [p[0] for p in probes]
    bad = [p[1] for p in probes if p[1]]
    print(f"server probe (every 1 s)             {len(probes)} probes, {len(bad)} unanswered; "
          f"latency median {nan_median(lat):.3f} s, p95 {pct(lat, 95):.3f} s, max "
          f"{max(lat) if lat else float('nan'):.3f} s")
    result.update(load=round(peaks["load"], 1), probe_max=max(lat) if lat else None,
                  probe_failures=len(bad))
    if flood is not None:
        if "end" in flood:
            during, outside = quiet_moves(recs, flood, args)
            print(f"stuck key: {STUCK_UPDATES} updates sent in {flood['sent'] - flood['start']:.2f}"
                  f" s at {flood['start']:.0f} s; its last value shown after "
                  f"{flood['end'] - flood['start']:.2f} s, {flood['shown']} computations shown, "
                  f"{flood['cpu']:.1f} CPU-s of {flood['cpu_of']} meanwhile")
            print(f"  the others' slider p95  during the flood {pct(during, 95):.3f} s "
                  f"({len(during)} moves), outside it {pct(outside, 95):.3f} s "
                  f"({len(outside)} moves)")
            result.update(stuck_s=flood["end"] - flood["start"], stuck_cpu=flood["cpu"],
                          stuck_during_p95=pct(during, 95), stuck_outside_p95=pct(outside, 95))
        else:
            print(f"stuck key: failed: {flood.get('error', 'did not start')}")
    else:
        # The same window with no stuck key: a run with the same --seed, without --stuck-key,
        # is the comparison for the others' p95 "during the flood".
        during, outside = quiet_moves(recs, {"start": args.stuck_at, "end": args.stuck_at}, args)
        print(f"no stuck key: the slider p95 in the window a stuck key would take "
              f"({args.stuck_at:g}-{args.stuck_at + 10:g} s) {pct(during, 95):.3f} s "
              f"({len(during)} moves), outside it {pct(outside, 95):.3f} s ({len(outside)} moves)")
        result.update(window_p95=pct(during, 95), window_outside_p95=pct(outside, 95))
    if ended is not None:
        secs, left = ended
        what = "sessions" if args.server == "hall" else "kernels"
        print(f"{what} ended after tabs closed     " +
              (f"all within {secs:.0f} s" if secs is not None else f"{left} still kept"))
        result["leaked"] = left
    print(f"RESULT {json.dumps(result)}")


async def run(args):
    with serving(args) as (server, launched):
        args.base, args.pid = server.url, server.pid
        args.session_urls = session_urls(args, server)
        args.load_before = os.getloadavg()[0]
        peaks = {"rss": 0, "load": 0.0, "pss": 0, "series": []}
        stop = asyncio.Event()
        t_start = (launched + args.late_start if args.late_start is not None and launched
                   else time.monotonic())
        if args.late_start is not None and time.monotonic() > t_start:
            print(f"# the server answered only {time.monotonic() - launched:.1f} s after its "
                  f"launch: the first student arrives then, not at {args.late_start:g} s",
                  flush=True)
            t_start = time.monotonic()
        recs = []
        cpu, rss, pss = usage(args.pid)
        peaks["before"] = {"cpu": cpu, "rss": rss, "pss": pss}
        cpu_server0 = server_cpu(args.pid)
        sampler = asyncio.create_task(sample(args, stop, peaks, t_start, recs))
        probes = []
        probing = asyncio.Event()
        prober = asyncio.create_task(probe(args.base, probing, probes, PROBES[args.server]))
        # Not a with-block: a page that never answers must not hold the report back (its
        # thread ends when the server is stopped below).
        pool = ThreadPoolExecutor(max_workers=args.class_size + 8)
        ids = iter(range(10**6))
        tasks = [asyncio.create_task(seat(slot, args.base, t_start, args, pool, recs, ids))
                 for slot in range(args.students)]
        for j in range(args.training):
            rec = new_record(-100 - j, TRAINING_LESSONS[j % len(TRAINING_LESSONS)],
                             args.training_arrivals[j], role="training")
            rec["first"] = True
            recs.append(rec)
            tasks.append(asyncio.create_task(trainer(rec, args.base, t_start, args, pool)))
        flood = None
        if args.stuck_key:
            flood = {}
            tasks.append(asyncio.create_task(stuck_key(args.base, t_start, args, pool, flood,
                                                       recs)))
        await asyncio.sleep(0)             # every seat's first record made
        arrivals = asyncio.create_task(arrival(recs, t_start, args, peaks))
        done, pending = await asyncio.wait(
            tasks, timeout=max(0.0, t_start - time.monotonic()) + args.window + args.duration
            + STEP_TIMEOUT + 30)
        for t in pending:                 # a student still waiting counts as a failure
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        pool.shutdown(wait=False, cancel_futures=True)
        arrivals.cancel()
        await asyncio.gather(arrivals, return_exceptions=True)
        for r in recs:
            if r["ready"] is None and not (r["no_app"] or r["full"] or r["error"]):
                r["error"] = "TimeoutError: the page or its figures never arrived"
        peaks["cpu_end"] = cpu_seconds(args.pid)
        peaks["cpu_server"] = server_cpu(args.pid) - cpu_server0
        peaks["wall"] = time.monotonic() - t_start
        probing.set()
        await prober
        # The sampler goes on while the sessions end: the memory they leave behind.
        ended = await ended_check(args, recs) if args.cull_check else None
        stop.set()
        await sampler
        report(args, recs, peaks, ended, probes, flood)


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
ALL_DRAWN = ("() => { const f = document.querySelectorAll('.bpttviz-live'); "
             "return f.length && [...f].every(el => el.dataset.drawn); }")


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


def compare_figures(label, k, drawn):
    """Print, for every figure the browser drew, how it compares with the figure of the same
    version the simulated client ``k`` holds; returns the values that differ (all figures)."""
    ours = [(str(f["version"]), resolved(f["spec"], k.arrays)) for f in k.figures.values()
            if f["version"]]
    total = 0
    for i, shown in enumerate(drawn):
        best = None
        for version, record in ours:          # the page's order need not be the states'
            if version != shown["drawn"]:
                continue
            counts = {"arrays": 0, "differ": 0}
            differences(record, shown["figure"], counts)
            if best is None or counts["differ"] < best["differ"]:
                best = counts
        if best is None:
            print(f"  {label}, figure {i}: the browser drew version {shown['drawn']}, which "
                  f"the simulated client did not receive")
            total += 1
        else:
            print(f"  {label}, figure {i}: version {shown['drawn']}, {best['arrays']} arrays "
                  f"compared, values differing: {best['differ']}")
            total += best["differ"]
    return total


def models(counts_of, k):
    """Widgets by model name the simulated client holds, beside the browser's count."""
    ours = {}
    for s in (k.states or {}).values():
        ours[s.get("model_name")] = ours.get(s.get("model_name"), 0) + 1
    return ours, {m: n for m, n in counts_of.items() if n}


def browser_frames(ws, frames):
    """Keep what the page's websocket says and hears, decoded (the hall's framing)."""
    from benchmarks._client import unpack_json

    def keep(direction):
        def on(payload):
            with contextlib.suppress(Exception):
                frames.append((direction, *unpack_json(payload)))
        return on

    ws.on("framesent", keep("sent"))
    ws.on("framereceived", keep("received"))


def what_was_sent(messages):
    """What a page sent, message by message, without its ids: type, comm target or method."""
    out = []
    for msg_type, content in messages:
        data = content.get("data", {}) if isinstance(content, dict) else {}
        out.append((msg_type, content.get("target_name") or data.get("method")
                    or data.get("content", {}).get("type"), json.dumps(data.get("args", {}),
                                                                     sort_keys=True)))
    return out


async def browser_check(args):
    """One Chromium page and the simulated client: the same page, the same widgets, the same
    numbers, the same answer to the same move."""
    from playwright.async_api import async_playwright

    lesson = args.lesson_list[0]
    slider_class = f"bpttviz-control-{SLIDERS[lesson]}"
    args.cold = True
    with serving(args) as (server, _):
        base = server.url
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1280, "height": 720})
            page = await context.new_page()
            frames, sockets = [], []

            def on_websocket(ws):
                sockets.append(ws.url)
                if args.server == "hall":
                    browser_frames(ws, frames)

            page.on("websocket", on_websocket)
            path = f"/voila/render/{lesson}.ipynb" + (f"?{args.query}" if args.query else "")
            await page.goto(base + path, timeout=180_000)
            await page.wait_for_selector(f".{slider_class}", timeout=180_000)
            await page.wait_for_function(ALL_DRAWN, timeout=180_000)
            await page.wait_for_timeout(1000)
            print(f"lesson {lesson}{'?' + args.query if args.query else ''} on {args.server}, "
                  f"one Chromium page and the simulated client:")
            if args.server == "hall":
                problems = await check_hall(args, page, frames, base, lesson, slider_class)
            else:
                kernel_id = re.search(r"/api/kernels/([^/]+)/channels", sockets[0]).group(1)
                problems = await check_voila(args, page, base, path, kernel_id, slider_class)
            await browser.close()
    print("browser check: " + ("the simulated client matched the browser" if not problems
                               else f"{problems} differences (see above)"))


async def browser_shows(page, slider_class):
    """The value the browser's slider shows (its readout, else its handle's aria-valuenow)."""
    readout = page.locator(f".{slider_class} .widget-readout")
    if await readout.count():
        return (await readout.first.inner_text()).strip()
    return await page.locator(f".{slider_class} [role=slider]").first.get_attribute(
        "aria-valuenow")


async def check_hall(args, page, frames, base, lesson, slider_class):
    """A simulated page of the same address, beside the browser's (each a session of its own:
    a second connection to the browser's session would disturb it): the same messages sent,
    the same widgets and figures received; then the browser's slider moved by a key press and
    the simulated page sent the value the browser sent: the same message, the same figures."""
    problems = 0
    landing = load_page("hall", base, lesson, args.query)
    async with connected(landing, keep_arrays=True) as own:
        await own.open_widgets(slider_class)
        sent_browser = what_was_sent([(h.get("msg_type"), c) for d, _, h, _, c, _ in frames
                                      if d == "sent"])
        sent_ours = what_was_sent(own.sent)
        same = sent_browser[:len(sent_ours)] == sent_ours
        print(f"  the simulated page sent {len(sent_ours)} messages to open, "
              f"{'the same as' if same else 'NOT the same as'} the browser's first "
              f"{len(sent_ours)} ({', '.join(f'{t} {w}' for t, w, _ in sent_ours)})")
        problems += not same
        opened = {}
        for d, _, h, _, c, _ in frames:
            if d == "received" and h.get("msg_type") == "comm_open":
                m = c.get("data", {}).get("state", {}).get("_model_name")
                opened[m] = opened.get(m, 0) + 1
        ours, theirs = models(opened, own)
        print(f"  widgets: the simulated page holds {sum(ours.values())} ({len(ours)} kinds), "
              f"the browser received {sum(theirs.values())} ({len(theirs)} kinds): "
              + ("the same kinds and counts" if ours == theirs else
                 f"differing {sorted(set(ours.items()) ^ set(theirs.items()))}"))
        problems += ours != theirs
        problems += compare_figures("as loaded", own, await page.evaluate(PAGE_FIGURES))

        # The browser's user presses an arrow key on the slider.
        before = len(frames)
        handle = page.locator(f".{slider_class} [role=slider]").first
        await handle.focus()
        await page.keyboard.press("ArrowRight")
        # The redraw is over when the status line carries the next number (figures that did
        # not change keep their version).
        await page.wait_for_function(
            "() => { const s = document.querySelector('.bpttviz-status [data-update]'); "
            "return s && s.dataset.update !== '1'; }", timeout=30_000)
        await page.wait_for_timeout(500)
        moved = [c for d, _, h, _, c, _ in frames[before:]
                 if d == "sent" and h.get("msg_type") == "comm_msg"
                 and c.get("data", {}).get("method") == "update"]
        if not moved:
            print("  the browser sent no update of its slider")
            return problems + 1
        value = moved[-1]["data"]["state"]["value"]
        model_id = own.with_class(slider_class)[0]
        latency = await own.move(model_id, value)
        ours = own.sent[-1][1]["data"]
        same = ours == moved[-1]["data"]
        print(f"  the browser's key press sent {json.dumps(moved[-1]['data'])}; the simulated "
              f"page sent {'the same' if same else json.dumps(ours)}, and its figures came in "
              f"{latency:.3f} s; the browser's slider shows "
              f"{await browser_shows(page, slider_class)!r}")
        problems += not same
        problems += compare_figures("after the move", own, await page.evaluate(PAGE_FIGURES))
        await own.leave()
    return problems


async def check_voila(args, page, base, path, kernel_id, slider_class):
    """A second client on the browser's kernel (Voila's page shares it): it moves the slider,
    the browser's slider follows and its figures hold the arrays the client received."""
    from benchmarks._client import Landing

    joined = Landing("voila", base, path, "", kernel_id)
    async with connected(joined, keep_arrays=True) as k:
        model_id, state = await k.join(slider_class)
        value = other_value(state, random.Random(7))
        latency = await k.move(model_id, value)
        versions = sorted(str(f["version"]) for f in k.figures.values() if f["version"])
        await page.wait_for_function(
            "v => [...document.querySelectorAll('.bpttviz-live')].filter(el => "
            "el.dataset.drawn).map(el => el.dataset.drawn).sort().join() === v.join()",
            arg=versions, timeout=30_000)
        print(f"  a client joined to the browser's kernel moved the slider to {value} in "
              f"{latency:.3f} s; the browser's slider shows "
              f"{await browser_shows(page, slider_class)!r}")
        return compare_figures("after the move", k, await page.evaluate(PAGE_FIGURES))


def range_option(parser, text, name):
    """``LOW,HIGH`` seconds with 0 < LOW <= HIGH, or a parser error naming ``name``."""
    try:
        low, high = (float(x) for x in text.split(","))
        assert 0 < low <= high
    except (ValueError, AssertionError):
        parser.error(f"{name} must be LOW,HIGH seconds with 0 < LOW <= HIGH; got {text!r}")
    return low, high


def static_files(args, parser):
    """The files every student fetches after its page (``--static``)."""
    if args.static == "none":
        return []
    if args.static == "record":
        from benchmarks.bench_static import recorded_files
        lesson = args.lesson_list[0]
        program = shlex.split(args.program) if args.program else None
        files = recorded_files(lesson, log=args.log + ".static", program=program,
                               base=args.base_url)
        print(f"# static files: {len(files)}, recorded in Chromium on {lesson} (empty cache), "
              f"replayed by every student", flush=True)
        return files
    try:
        with open(args.static) as f:
            files = json.load(f)["paths"]
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"--static must be 'record', 'none' or a file written by "
                     f"bench_static.py --record; {args.static!r}: {exc}")
    print(f"# static files: {len(files)}, from {args.static}", flush=True)
    return files


def main(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--server", choices=("hall", "voila"), default="hall",
                        help="hall: bpttviz serve, every page in the server's process "
                             "(default); voila: a kernel per page (--program or --base-url)")
    parser.add_argument("--students", type=int, default=10,
                        help=f"students present at once (1..{MAX_STUDENTS}); the server is "
                             f"prepared for them (with --training and --stuck-key, for those "
                             f"too) unless --cold")
    parser.add_argument("--window", type=float, default=10.0,
                        help="arrival window: students arrive uniformly within it (s)")
    parser.add_argument("--think", default="2,5",
                        help="seconds between a student's slider moves, uniform in LOW,HIGH")
    parser.add_argument("--duration", type=float, default=60.0,
                        help=f"seconds from the first arrival until students stop moving "
                             f"(at most {MAX_DURATION}, {MAX_SOAK} with --stay)")
    parser.add_argument("--lessons", default=DEFAULT_LESSONS,
                        help=f"lessons the students open (from {', '.join(SLIDERS)})")
    parser.add_argument("--mix", choices=("random", "turns"), default="random",
                        help="random: each student picks one of --lessons at random (default); "
                             "turns: in turn")
    parser.add_argument("--moves", choices=("jump", "step"), default="jump",
                        help="jump: a slider value at random across its range (a drag or a "
                             "click on the track; default); step: one step (an arrow key)")
    parser.add_argument("--static", default="record", metavar="record|none|FILE",
                        help="the static files each student fetches after its page, as a "
                             "browser with an empty cache: 'record' (default) records them "
                             "once in Chromium on a server of their own (bench_static.py), "
                             "FILE replays a list written by bench_static.py --record, 'none' "
                             "fetches none")
    parser.add_argument("--cold", action="store_true",
                        help="start the server without --students/--lessons: nothing "
                             "prepared (no lesson computed, no kernel heated)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="hall: bpttviz serve --workers N (N processes behind nginx)")
    parser.add_argument("--training", type=int, default=0, metavar="N",
                        help=f"N more students on {' and '.join(TRAINING_LESSONS)}, in turn, "
                             f"who press Train/Race whenever no run is going on, all along")
    parser.add_argument("--late-start", type=float, metavar="S",
                        help="the first student arrives S seconds after the server's launch, "
                             "without waiting for it to be ready")
    parser.add_argument("--stuck-key", action="store_true",
                        help=f"one more student sends {STUCK_UPDATES} one-step updates back to "
                             f"back at --stuck-at; the others' slider p95 is reported during "
                             f"and outside the flood")
    parser.add_argument("--stuck-at", type=float, metavar="S",
                        help="when the stuck key starts, from the first arrival (default: "
                             "the middle of the interaction after the arrivals)")
    parser.add_argument("--stay", metavar="LOW,HIGH",
                        help="churn: each student leaves after LOW..HIGH s (closing its tab) "
                             "and a new one takes the seat; for a soak, with --duration 1200")
    parser.add_argument("--close", choices=("beacon", "drop"), default="beacon",
                        help="how a tab closes: beacon (the websocket closed and the server "
                             "told, as a browser does; default) or drop (the websocket "
                             "dropped, nothing said: a laptop closed)")
    parser.add_argument("--server-args", default="", metavar="ARGS",
                        help="more arguments of bpttviz serve, e.g. '--max-students 60'")
    parser.add_argument("--program", metavar="CMD",
                        help="how to run bpttviz for the server, e.g. an older checkout's "
                             "'env PYTHONPATH=OLD .venv/bin/python -P -m bpttviz.cli' (with "
                             "--server voila; -P: not this checkout's bpttviz from the current "
                             "folder)")
    add_running_server(parser, "its memory and CPU seconds (and Voila's kernels' CPU)")
    parser.add_argument("--cull-check", action="store_true",
                        help="after the run, wait until every session (hall) or kernel "
                             "(voila) used has ended (<= 240 s); those left are leaked")
    parser.add_argument("--browser-check", action="store_true",
                        help="compare the simulated client with one real Chromium page")
    parser.add_argument("--query", default="",
                        help="with --browser-check: the page's query string, e.g. 'scale=1.5'")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the arrival times and of the lessons chosen")
    parser.add_argument("--log", default="/tmp/bpttviz-bench-classroom.log",
                        help="where the server's log goes")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be in [1, {MAX_STUDENTS}]; got {args.students}")
    if not 0 <= args.training <= MAX_STUDENTS - args.students:
        parser.error(f"--training must be in [0, {MAX_STUDENTS - args.students}]; got "
                     f"{args.training}")
    limit = MAX_SOAK if args.stay else MAX_DURATION
    if not 0 < args.duration <= limit:
        parser.error(f"--duration must be in (0, {limit}]; got {args.duration:g}")
    if args.window < 0:
        parser.error(f"--window must be >= 0; got {args.window:g}")
    if args.late_start is not None and args.late_start < 0:
        parser.error(f"--late-start must be >= 0 seconds; got {args.late_start:g}")
    if not 1 <= args.workers <= 64:
        parser.error(f"--workers must be in [1, 64]; got {args.workers}")
    if args.server == "voila" and args.workers > 1:
        parser.error("--workers is the hall's (bpttviz serve --workers); a Voila server runs "
                     "one process and a kernel per page")
    if args.server == "voila" and not (args.program or args.base_url):
        parser.error("--server voila needs a Voila server: --program 'env PYTHONPATH=OLD "
                     ".venv/bin/python -P -m bpttviz.cli' (bpttviz serve of a checkout before "
                     "the lecture hall) or "
                     "--base-url URL (one already running, e.g. 'voila notebooks/')")
    if args.base_url and (args.program or args.workers > 1 or args.server_args):
        parser.error("--base-url measures a server already running: --program, --workers and "
                     "--server-args start one")
    args.think_range = range_option(parser, args.think, "--think")
    args.stay_range = range_option(parser, args.stay, "--stay") if args.stay else None
    args.lesson_list = [x.strip() for x in args.lessons.split(",") if x.strip()]
    unknown = [x for x in args.lesson_list if x not in SLIDERS]
    if unknown or not args.lesson_list:
        parser.error(f"--lessons must name lessons from {', '.join(SLIDERS)}; got {unknown}")
    args.all_lessons = list(dict.fromkeys(
        args.lesson_list + (list(TRAINING_LESSONS) if args.training else [])))
    args.class_size = args.students + args.training + bool(args.stuck_key)
    if args.stuck_at is None:
        args.stuck_at = args.window + max(5.0, (args.duration - args.window) / 2)
    args.server_args = args.server_args.split()
    # Stopped from outside (timeout, kill): still stop the server and all its processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    args.arrivals = sorted(rng.uniform(0, args.window) for _ in range(args.students))
    # The training students arrive with the others, from a generator of their own: the
    # others arrive as they would without them.
    trng = random.Random(args.seed + 2)
    args.training_arrivals = sorted(trng.uniform(0, args.window) for _ in range(args.training))
    picks = random.Random(args.seed + 1)
    args.choose = ((lambda i: picks.choice(args.lesson_list)) if args.mix == "random"
                   else (lambda i: args.lesson_list[i % len(args.lesson_list)]))
    if args.browser_check:
        asyncio.run(browser_check(args))
    else:
        args.files = static_files(args, parser)
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
