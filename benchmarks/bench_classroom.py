"""A class arriving at once: N simulated students on one ``bpttviz serve``, at the protocol level.

Each student, as a browser with an empty cache would, GETs a lesson page (Voila
starts or hands over a kernel and runs the notebook; the HTML carries the kernel
id), then the page's static files (``--static``: the list of files a real page
fetched, recorded once in headless Chromium on a server of its own, then replayed
by every student over 6 kept-alive connections accepting gzip, as Chromium does),
opens the kernel's websocket (``/api/kernels/<id>/channels``, subprotocol
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

As a real class, by default: each student chooses a lesson at random among
``--lessons`` (``--mix turns``: in turn, as a pool split evenly expects), and moves
the slider by jumps (a value at random across its range, as a drag or a click on
the track; ``--moves step``: one step, as an arrow key). A page the server answers
with 503 or "The class is full" (``bpttviz serve --max-students``) counts as
*full*, apart from failures.

Harder rooms: ``--late-start S`` (the first student arrives S seconds after the
server was launched, its pool still heating); ``--stuck-key`` (one more student
sends 300 one-step updates back to back at ``--stuck-at``; the others' slider
latency is reported during the flood and outside it); ``--stay LOW,HIGH``
(churn: each student leaves after LOW..HIGH seconds, closing its tab, and a new
one takes the seat; for a soak, e.g. 30 students for 1200 s); 100 students
within 20 s (``--students 100 --window 20``).

Printed: the conditions (date, machine, load before the run, lessons chosen);
page ready (from arrival) and slider -> all figures percentiles, with the kernel
CPU seconds per move beside them; the static files per student (bytes, time);
pages without the app (no widget in the HTML or no slider in the states); full
pages; failures; memory (peak RSS and PSS of the server and its kernels, and the
server's and the total's growth from the first full class to the end); kernels
running; CPU seconds of the server and of the kernels; a probe of the server
every second (does it answer, and how fast). With ``--cull-check``, after the
students close their tabs it waits (at most 240 s) until every kernel they used
has ended and prints how long that took (what is left is a leaked kernel).

The server is started by this script on a free port of 127.0.0.1 (with
``--pool``: ``bpttviz serve --students N --lessons ...``; the class arrives once the
pool is heated: the server's kernels started and its processors quiet, unless
``--late-start``) and stopped at the end. Bounded: at most 200 students, 600 s of
interaction (1800 s with ``--stay``).

``--browser-check`` instead opens one lesson in headless Chromium
(``/usr/bin/chromium``, Playwright), drives the same kernel with the
simulated client, and checks that the page's slider follows the simulated
move and that every figure the page drew holds the arrays the simulated
client received for it, number for number.

Usage::

    python -m benchmarks.bench_classroom --students 30 --window 10 --duration 60 --pool
    python -m benchmarks.bench_classroom --students 30 --pool --late-start 30
    python -m benchmarks.bench_classroom --students 30 --pool --stuck-key
    python -m benchmarks.bench_classroom --students 30 --pool --stay 120,300 --duration 1200
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
from benchmarks._client import (PROTOCOL, STEP_TIMEOUT, WIDGET_VIEW, ClassFull,  # noqa: E402
                                Kernel, cpu_of, fetch, fetch_files, fetch_page, kernel_id_of,
                                kernel_process, lesson_sliders, other_value, pct, step_values,
                                tree, websocket_url)
from benchmarks._common import CHROMIUM, CHROMIUM_ARGS, benchmark_parser  # noqa: E402

#: The slider each lesson's students move (the lessons' registry; the server is another
#: process, so NumPy's threads here do not matter).
SLIDERS = lesson_sliders()
DEFAULT_LESSONS = "02_vanishing_exploding,03_truncated_bptt,04_training"
MAX_STUDENTS = 200
MAX_DURATION = 600
MAX_SOAK = 1800
#: Updates a stuck key sends back to back.
STUCK_UPDATES = 300


def nan_median(values):
    return statistics.median(values) if values else float("nan")


# -- one student --------------------------------------------------------------------------------
def new_record(i, lesson, arrival):
    return {"id": i, "lesson": lesson, "arrival": arrival, "ready": None, "no_app": False,
            "full": False, "error": None, "moves": [], "move_cpu": [], "kernel": None,
            "static_bytes": None, "static_s": None, "static_failures": [], "left": None}


async def student(rec, base, t_start, args, pool, server_pid, leave_at=None):
    """One student: arrive at ``rec["arrival"]``, open the page, move the slider until the
    run ends (or ``leave_at``, a time from ``t_start``, when the tab is closed)."""
    rng = random.Random(1000 + rec["id"])
    await asyncio.sleep(max(0.0, t_start + rec["arrival"] - time.monotonic()))
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    lesson = rec["lesson"]
    try:
        url = f"{base}/voila/render/{lesson}.ipynb"
        try:
            html = await loop.run_in_executor(pool, fetch_page, url)
        except ClassFull:
            rec["full"] = True
            return
        rec["kernel"] = kernel_id = kernel_id_of(html)
        if kernel_id is None:
            raise RuntimeError("no kernel id in the page")
        if args.files:
            size, failed, secs = await loop.run_in_executor(pool, fetch_files, base, args.files)
            rec["static_bytes"], rec["static_failures"], rec["static_s"] = size, failed, secs
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
            proc = await loop.run_in_executor(pool, kernel_process, server_pid, kernel_id)
            model_id, state = slider
            steps = []
            while True:
                await asyncio.sleep(rng.uniform(*args.think_range))
                now = time.monotonic() - t_start
                if leave_at is not None and now > leave_at:
                    rec["left"] = now              # the tab is closed: the websocket too
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
            reader.cancel()
    except Exception as exc:            # a failure is a figure of the benchmark, not a crash
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]


async def seat(slot, base, t_start, args, pool, server_pid, recs, ids):
    """One seat of the class: with ``--stay``, a student leaves after a while and another takes
    the seat, until the run ends; without, one student."""
    rng = random.Random(5000 + slot)
    arrival = args.arrivals[slot]
    while True:
        i = next(ids)
        rec = new_record(i, args.choose(i), arrival)
        recs.append(rec)
        leave_at = arrival + rng.uniform(*args.stay_range) if args.stay_range else None
        await student(rec, base, t_start, args, pool, server_pid, leave_at)
        if leave_at is None or rec["ready"] is None:
            return
        arrival = max(leave_at, time.monotonic() - t_start) + rng.uniform(0, 5)
        if arrival >= args.duration:
            return


async def stuck_key(base, t_start, args, pool, server_pid, flood):
    """One more student who opens the first lesson with the others and, at ``--stuck-at``,
    sends :data:`STUCK_UPDATES` one-step updates back to back (a key held down, or a script);
    ``flood`` gets when the flood started and ended (its last value shown), and its kernel's
    CPU seconds."""
    loop = asyncio.get_running_loop()
    lesson = args.lesson_list[0]
    try:
        html = await loop.run_in_executor(pool, fetch_page, f"{base}/voila/render/{lesson}.ipynb")
        kernel_id = kernel_id_of(html)
        import websockets
        async with websockets.connect(websocket_url(base, kernel_id), subprotocols=[PROTOCOL],
                                      max_size=None, open_timeout=STEP_TIMEOUT,
                                      ping_interval=None) as ws:
            k = Kernel(ws)
            reader = asyncio.create_task(k.read())
            model_id, state = await k.open_widgets(f"bpttviz-control-{SLIDERS[lesson]}")
            proc = await loop.run_in_executor(pool, kernel_process, server_pid, kernel_id)
            await asyncio.sleep(max(0.0, t_start + args.stuck_at - time.monotonic()))
            c0 = cpu_of(proc) if proc else 0.0
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
            flood["cpu"] = (cpu_of(proc) - c0) if proc else float("nan")
            flood["shown"] = k.updated - before
            reader.cancel()
    except Exception as exc:
        flood["error"] = f"{type(exc).__name__}: {exc}"[:200]


async def probe(base, stop, probes):
    """GET a small answer of the server every second (Voila's script, revalidated: 304)."""
    import urllib.request
    loop = asyncio.get_running_loop()
    url = f"{base}/voila/static/voila.js"

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


def kernel_count(pid):
    """Kernels the server runs now (its ipykernel children)."""
    n = 0
    for p in tree(pid)[1:]:
        try:
            n += "ipykernel" in " ".join(p.cmdline())
        except Exception:
            pass
    return n


@contextlib.contextmanager
def serving(args):
    """``bpttviz serve`` on a free port of 127.0.0.1, logging to ``--log``; with ``--pool``
    its kernels ready for ``--students``. Yields ``(server, launched)``, ``launched`` the
    monotonic time the server was launched, once the pool is heated (at once with
    ``--late-start``); ends the server and its kernels afterwards."""
    from bpttviz.serve import served

    extra = (["--students", str(args.students), "--lessons", ",".join(args.lesson_list)]
             if args.pool else [])
    extra += args.server_args
    launched = time.monotonic()
    with served(extra_args=extra, log=args.log, start_timeout=120, stop_timeout=20) as server:
        print(f"# server answered {time.monotonic() - launched:.1f} s after its launch",
              flush=True)
        if args.pool and args.late_start is None:
            wait_heated(server, args, launched)
        yield server, launched


def wait_heated(server, args, launched, limit=600):
    """Wait until the server runs at least ``--students`` kernels and its processors have been
    quiet for 2 s (under 10 % of one core): whatever the pool's design, it is then heated."""
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


def pss_bytes(pid):
    """Proportional set size of the server and its kernels (shared pages counted once), the
    server's own, and the number of kernels; reads /proc/<pid>/smaps, so it is sampled less
    often."""
    total, own, kernels = 0, 0, 0
    for p in tree(pid):
        try:
            pss = p.memory_full_info().pss
            total += pss
            if p.pid == pid:
                own = pss
            kernels += p.pid != pid and "ipykernel" in " ".join(p.cmdline())
        except Exception:
            pass
    return total, own, kernels


async def sample(pid, stop, peaks, t_start):
    loop = asyncio.get_running_loop()
    n = 0
    while not stop.is_set():
        peaks["rss"] = max(peaks["rss"], rss_bytes(pid))
        peaks["load"] = max(peaks["load"], os.getloadavg()[0])
        if n % 10 == 0:
            pss, own, kernels = await loop.run_in_executor(None, pss_bytes, pid)
            peaks["series"].append((time.monotonic() - t_start, pss, own, kernels))
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
def conditions(args, recs):
    """Where and how: printed first, so that a figure never travels without them."""
    from benchmarks._common import machine

    chosen = {lesson: sum(r["lesson"] == lesson for r in recs) for lesson in args.lesson_list}
    print(f"# {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; {machine()}; "
          f"{os.cpu_count()} CPUs, load average before the run {args.load_before:.1f}; "
          f"server on 127.0.0.1, load generator on the same machine")
    print(f"# students {args.students}  pool {'yes' if args.pool else 'no'}"
          f"{'' if args.late_start is None else f' (late start: {args.late_start:g} s)'}  "
          f"window {args.window:g} s  think {args.think} s  duration {args.duration:g} s  "
          f"moves {args.moves}  mix {args.mix}  static files "
          f"{len(args.files) if args.files else 0}"
          f"{'' if not args.stay_range else f'  stay {args.stay}'}"
          f"{'  stuck key at ' + format(args.stuck_at, 'g') + ' s' if args.stuck_key else ''}"
          f"{'  server ' + ' '.join(args.server_args) if args.server_args else ''}")
    print("# lessons chosen " + ", ".join(f"{k} {v}" for k, v in chosen.items())
          + f" ({len(recs)} pages)")


def memory_growth(series, t_from):
    """(first, last) of the server's own PSS and of the total, from the first sample at or
    after ``t_from`` to the last; None without two such samples."""
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


def report(args, recs, peaks, culled, probes, flood):
    ready = [r["ready"] for r in recs if r["ready"] is not None]
    moves = [lat for r in recs for _, lat in r["moves"]]
    first = [lat for r in recs for at, lat in r["moves"] if at <= 60]
    move_cpu = [c for r in recs for c in r["move_cpu"]]
    no_app = sum(r["no_app"] for r in recs)
    full = sum(r["full"] for r in recs)
    errors = [r["error"] for r in recs if r["error"]]
    static = [r for r in recs if r["static_bytes"] is not None]
    conditions(args, recs)
    print(f"page ready (s)            median {nan_median(ready):.2f}  p95 {pct(ready, 95):.2f}"
          f"  max {max(ready) if ready else float('nan'):.2f}  ({len(ready)} of {len(recs)} pages)")
    print(f"slider -> figures (s)     median {nan_median(moves):.3f}  p95 {pct(moves, 95):.3f}"
          f"  max {max(moves) if moves else float('nan'):.3f}  ({len(moves)} moves)")
    print(f"  kernel CPU per move (s) median {nan_median(move_cpu):.3f}  p95 "
          f"{pct(move_cpu, 95):.3f}")
    print(f"  first minute            median {nan_median(first):.3f}  p95 {pct(first, 95):.3f}"
          f"  ({len(first)} moves)")
    if static:
        sb = [r["static_bytes"] for r in static]
        ss = [r["static_s"] for r in static]
        sf = sum(len(r["static_failures"]) for r in static)
        print(f"static files per student  {len(args.files)} files, median "
              f"{nan_median(sb) / 1e6:.2f} MB received in {nan_median(ss):.2f} s "
              f"(p95 {pct(ss, 95):.2f} s); "
              f"{sf} not answered 200")
    print(f"pages without app         {no_app}")
    print(f"full pages (503)          {full}")
    print(f"failures                  {len(errors)}")
    for e in sorted(set(errors))[:5]:
        print(f"  {errors.count(e)} x {e}")
    print(f"peak memory (server + kernels RSS)  {peaks['rss'] / 2**30:.2f} GB; PSS (shared pages "
          f"once) {peaks['pss'] / 2**30:.2f} GB with {peaks['kernels']} kernels")
    growth = memory_growth(peaks["series"], args.window + 5)
    if growth:
        (s0, s1), (t0, t1) = growth
        print(f"memory from the full class to the end  server {s0 / 2**20:.0f} -> {s1 / 2**20:.0f}"
              f" MB ({100 * (s1 - s0) / max(s0, 1):+.1f} %), server and kernels "
              f"{t0 / 2**30:.2f} -> {t1 / 2**30:.2f} GB PSS")
    if peaks["series"]:
        ks = [s[3] for s in peaks["series"]]
        print(f"kernels running           before the class {ks[0]}, peak {max(ks)}, at the end "
              f"{ks[-1]} ({sum(r['left'] is not None for r in recs)} tabs closed during the run)")
    print(f"peak load average (1 min)            {peaks['load']:.1f}")
    print(f"CPU seconds during the run           server {peaks['cpu_server']:.1f}, server and "
          f"kernels {peaks['cpu_all']:.1f} (in {peaks['wall']:.0f} s, {os.cpu_count()} CPUs = "
          f"{os.cpu_count() * peaks['wall']:.0f} CPU-s); all of it per move "
          f"{peaks['cpu_all'] / max(len(moves), 1):.3f}")
    lat = [p[0] for p in probes]
    bad = [p[1] for p in probes if p[1]]
    print(f"server probe (every 1 s)             {len(probes)} probes, {len(bad)} unanswered; "
          f"latency median {nan_median(lat):.3f} s, p95 {pct(lat, 95):.3f} s, max "
          f"{max(lat) if lat else float('nan'):.3f} s")
    result = {"students": args.students, "pool": args.pool, "pages": len(recs),
              "ready_median": nan_median(ready) if ready else None, "ready_p95": pct(ready, 95),
              "ready_max": max(ready) if ready else None,
              "slider_median": nan_median(moves) if moves else None,
              "slider_p95": pct(moves, 95), "slider_first_p95": pct(first, 95),
              "move_cpu_median": nan_median(move_cpu) if move_cpu else None,
              "static_mb": round(nan_median([r["static_bytes"] for r in static]) / 1e6, 3)
              if static else None,
              "no_app": no_app, "full": full, "failures": len(errors),
              "rss_gb": round(peaks["rss"] / 2**30, 2), "pss_gb": round(peaks["pss"] / 2**30, 2),
              "kernels": peaks["kernels"], "load": round(peaks["load"], 1), "moves": len(moves),
              "probe_max": max(lat) if lat else None, "probe_failures": len(bad)}
    if flood is not None:
        if "end" in flood:
            during, outside = quiet_moves(recs, flood, args)
            print(f"stuck key: {STUCK_UPDATES} updates sent in {flood['sent'] - flood['start']:.2f}"
                  f" s at {flood['start']:.0f} s; its last value shown after "
                  f"{flood['end'] - flood['start']:.2f} s, {flood['shown']} computations shown, "
                  f"its kernel {flood['cpu']:.1f} CPU-s")
            print(f"  the others' slider p95  during the flood {pct(during, 95):.3f} s "
                  f"({len(during)} moves), outside it {pct(outside, 95):.3f} s "
                  f"({len(outside)} moves)")
            result.update(stuck_s=flood["end"] - flood["start"], stuck_cpu=flood["cpu"],
                          stuck_during_p95=pct(during, 95), stuck_outside_p95=pct(outside, 95))
        else:
            print(f"stuck key: failed: {flood.get('error', 'did not start')}")
    else:
        # The same window with no stuck key: a run with the same --seed, without --stuck-key,
        # is the comparison for the others' p95 "during the flood" (the pool's refill, for one,
        # may fall in that window too).
        during, outside = quiet_moves(recs, {"start": args.stuck_at, "end": args.stuck_at}, args)
        print(f"no stuck key: the slider p95 in the window a stuck key would take "
              f"({args.stuck_at:g}-{args.stuck_at + 10:g} s) {pct(during, 95):.3f} s "
              f"({len(during)} moves), outside it {pct(outside, 95):.3f} s ({len(outside)} moves)")
        result.update(window_p95=pct(during, 95), window_outside_p95=pct(outside, 95))
    if growth:
        result.update(server_mb=[round(s0 / 2**20), round(s1 / 2**20)])
    if culled is not None:
        secs, left = culled
        print("kernels ended after tabs closed     " +
              (f"all within {secs:.0f} s" if secs is not None else f"{left} still running"))
        result["leaked"] = left
    print(f"RESULT {json.dumps(result)}")


async def run(args):
    with serving(args) as (server, launched):
        base = server.url
        args.load_before = os.getloadavg()[0]
        peaks = {"rss": 0, "load": 0.0, "pss": 0, "kernels": 0, "series": []}
        stop = asyncio.Event()
        t_start = (launched + args.late_start if args.late_start is not None
                   else time.monotonic())
        if args.late_start is not None and time.monotonic() > t_start:
            print(f"# the server answered only {time.monotonic() - launched:.1f} s after its "
                  f"launch: the first student arrives then, not at {args.late_start:g} s",
                  flush=True)
            t_start = time.monotonic()
        sampler = asyncio.create_task(sample(server.pid, stop, peaks, t_start))
        probes = []
        prober = asyncio.create_task(probe(base, stop, probes))
        recs = []
        cpu0 = (server_cpu(server.pid), cpu_seconds(server.pid))
        # Not a with-block: a page that never answers must not hold the report back (its
        # thread ends when the server is stopped below).
        pool = ThreadPoolExecutor(max_workers=args.students + 8)
        ids = iter(range(10**6))
        tasks = [asyncio.create_task(seat(slot, base, t_start, args, pool, server.pid, recs,
                                          ids)) for slot in range(args.students)]
        flood = None
        if args.stuck_key:
            flood = {}
            tasks.append(asyncio.create_task(stuck_key(base, t_start, args, pool, server.pid,
                                                       flood)))
        done, pending = await asyncio.wait(
            tasks, timeout=max(0.0, t_start - time.monotonic()) + args.window + args.duration
            + STEP_TIMEOUT + 30)
        for t in pending:                 # a student still waiting counts as a failure
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        pool.shutdown(wait=False, cancel_futures=True)
        for r in recs:
            if r["ready"] is None and not (r["no_app"] or r["full"] or r["error"]):
                r["error"] = "TimeoutError: the page or its figures never arrived"
        stop.set()
        await sampler
        await prober
        peaks["cpu_server"] = server_cpu(server.pid) - cpu0[0]
        peaks["cpu_all"] = cpu_seconds(server.pid) - cpu0[1]
        peaks["wall"] = time.monotonic() - t_start
        culled = None
        if args.cull_check:
            culled = await cull_check(base, [r["kernel"] for r in recs if r["kernel"]])
        report(args, recs, peaks, culled, probes, flood)


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
    with serving(args) as (server, _):
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
        files = recorded_files(lesson, log=args.log + ".static")
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
    parser.add_argument("--students", type=int, default=10,
                        help=f"students present at once (1..{MAX_STUDENTS}); with --pool also "
                             f"the pool's size")
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
                             "turns: in turn, the split of an even pool")
    parser.add_argument("--moves", choices=("jump", "step"), default="jump",
                        help="jump: a slider value at random across its range (a drag or a "
                             "click on the track; default); step: one step (an arrow key)")
    parser.add_argument("--static", default="record", metavar="record|none|FILE",
                        help="the static files each student fetches after its page, as a "
                             "browser with an empty cache: 'record' (default) records them "
                             "once in Chromium on a server of their own (bench_static.py), "
                             "FILE replays a list written by bench_static.py --record, 'none' "
                             "fetches none")
    parser.add_argument("--pool", action="store_true",
                        help="start the server with --students N --lessons ... (kernels "
                             "ready) and wait until heated before the class arrives")
    parser.add_argument("--late-start", type=float, metavar="S",
                        help="the first student arrives S seconds after the server's launch, "
                             "without waiting for its pool")
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
    parser.add_argument("--server-args", default="", metavar="ARGS",
                        help="more arguments of bpttviz serve, e.g. '--max-students 60'")
    parser.add_argument("--cull-check", action="store_true",
                        help="after the run, wait until every kernel used has ended (<= 240 s);"
                             " those left are leaked")
    parser.add_argument("--browser-check", action="store_true",
                        help="compare the simulated client with one real Chromium page")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the arrival times and of the lessons chosen")
    parser.add_argument("--log", default="/tmp/bpttviz-bench-classroom.log",
                        help="where the server's log goes")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be in [1, {MAX_STUDENTS}]; got {args.students}")
    limit = MAX_SOAK if args.stay else MAX_DURATION
    if not 0 < args.duration <= limit:
        parser.error(f"--duration must be in (0, {limit}]; got {args.duration:g}")
    if args.window < 0:
        parser.error(f"--window must be >= 0; got {args.window:g}")
    if args.late_start is not None and args.late_start < 0:
        parser.error(f"--late-start must be >= 0 seconds; got {args.late_start:g}")
    args.think_range = range_option(parser, args.think, "--think")
    args.stay_range = range_option(parser, args.stay, "--stay") if args.stay else None
    args.lesson_list = [x.strip() for x in args.lessons.split(",") if x.strip()]
    unknown = [x for x in args.lesson_list if x not in SLIDERS]
    if unknown or not args.lesson_list:
        parser.error(f"--lessons must name lessons from {', '.join(SLIDERS)}; got {unknown}")
    if args.stuck_at is None:
        args.stuck_at = args.window + max(5.0, (args.duration - args.window) / 2)
    args.server_args = args.server_args.split()
    # Stopped from outside (timeout, kill): still stop the server and its kernels.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    args.arrivals = sorted(rng.uniform(0, args.window) for _ in range(args.students))
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
