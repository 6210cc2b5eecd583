"""Redraws as a student makes them: slider moved -> every figure drawn, in the page and the kernel.

Starts its own ``bpttviz serve`` on a free port of 127.0.0.1 (from a temporary folder
holding copies of the lessons, as ``bpttviz lessons DIR`` makes them, and one extra
notebook with a bare widget) and stops it, and its kernels, at the end. Prints figures,
asserts nothing. Each lesson moves the slider a class moves (its ``class_control`` in the
lessons' registry).

**Browser, one user** (headless Chromium, ``/usr/bin/chromium``, Playwright). For each
lesson: ``--moves`` one-step moves (ArrowRight/ArrowLeft on the focused handle) and
``--moves`` jumps (a click on the slider's track, ``.noUi-target``, at a random place at
least a quarter of the track away from the handle: what a drag or a click does). Each is
timed in the page (``performance.now()``) from the input event to the moment the last
figure that changes has drawn the new data (a MutationObserver on the ``data-drawn``
attribute of the ``.bpttviz-live`` elements; the move is over when the status line has
said "updated in" and no figure has drawn for 250 ms). Interleaved with them, in a
second tab of the same browser, the bare widget round trip: a key press on an
``IntSlider`` whose observer in the kernel sets a ``Label``, until the label changes.
Median and 95th percentile of each, and the medians' difference to the bare round trip;
then each other lesson's median of every move (steps and jumps) over that of lessons 02-04.

**Kernel per move, at the protocol level** (no browser; the client of
``benchmarks/_client.py``): lessons 02-04 unless ``--lessons`` says otherwise, the
same moves (one step, then jumps to random values at least a quarter of the range
away). CPU seconds of the kernel process (psutil; a Voila kernel is a child of the
server; the lecture hall has none, its pages' work is the server's) and of the server
over the moves, bytes received per move (everything the websocket
delivered, and the figures' share: array buffers, or PNGs before live figures), wall
time per move, and computations per move (status lines "updated in").

**Before live figures** (``--compare [REV]``): REV's tree (``git archive REV``; by
default the commit before the first one that added ``bpttviz/app/live``) is served the
same way beside this one and measured with the same moves, move by move in turn. That
code draws with Matplotlib in ipympl canvases, so the client answers each canvas's
``draw`` event with a draw request, as ipympl's page does, and waits for the PNGs. It
needs ipympl, which this project no longer installs: the script makes a temporary
virtual environment that sees this one's packages, installs ipympl there with pip (no
other package; pip's cache or index must have it) and removes it at the end. Nothing is
installed into ``.venv``.

**Stuck key**: ``--stuck`` updates of one slider (one step each, as a held key) sent back
to back over the websocket, per protocol lesson (the first only with ``--quick``), on
each code measured: seconds until the kernel is idle again and until the last figure
arrived, computations (status lines "updated in") and figure updates received, kernel
and server CPU, bytes received.

**Page ready without a pool**: ``--pages`` fresh browser contexts per lesson (empty cache,
a new kernel each): from the navigation's start to every figure drawn (``data-drawn`` on
each), median; and what the first of them fetched over HTTP (requests, bytes as
transferred, requests that failed, those to other hosts).

Every wait is bounded (at most a few minutes); the whole run takes about ten minutes
with the defaults, three with ``--quick``.

Usage::

    python benchmarks/bench_redraw.py                 # everything but the comparison
    python benchmarks/bench_redraw.py --compare       # and the code before live figures
    python benchmarks/bench_redraw.py --quick --lessons 02,03 --no-browser --compare
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._client import (Hall, Kernel, connected, cpu_of,  # noqa: E402
                                kernel_process, lesson_sliders, load_page, other_value, pct,
                                step_values)
from benchmarks._common import (CHROMIUM, CHROMIUM_ARGS, benchmark_parser,  # noqa: E402
                                machine, parse_args)

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL_LESSONS = ("02_vanishing_exploding", "03_truncated_bptt", "04_training")
#: A jump lands at least this fraction of the slider's range away from where it was.
JUMP = 0.25
#: Seconds between two moves: more than the app's SETTLE_S (0.05 s), so that each move is
#: computed at once, as a student's single moves are.
PAUSE = 0.15
#: A move in the browser is over once no figure has drawn for this long (ms) after the
#: status line said "updated in".
QUIET_MS = 250
BARE = "bench_bare_widget"

parser = benchmark_parser(__doc__, quick="5 moves of each kind, one page per lesson, the stuck "
                          "key on the first protocol lesson only")
# --help tells all of it: what each part measures and what --compare installs where.
parser.formatter_class = argparse.RawDescriptionHelpFormatter
parser.epilog = __doc__.split("\n", 1)[1]
parser.add_argument("--lessons", default="",
                    help="comma-separated lessons, by number or name (01, "
                         "03_truncated_bptt); default: every lesson in the browser, 02-04 at "
                         "the protocol level")
parser.add_argument("--moves", type=int, default=None,
                    help="moves of each kind (steps, jumps) per lesson, 1..200 (default 20; "
                         "5 with --quick)")
parser.add_argument("--compare", nargs="?", const="auto", default=None, metavar="REV",
                    help="also measure the kernel of the code at REV (default: the commit "
                         "before live figures), served from a temporary copy with ipympl "
                         "installed into a temporary virtual environment")
parser.add_argument("--no-browser", action="store_true",
                    help="skip the parts that need Chromium (one user's moves, page ready)")
parser.add_argument("--pages", type=int, default=None,
                    help="fresh pages per lesson for 'page ready', 1..10 (default 3; 1 with "
                         "--quick)")
parser.add_argument("--stuck", type=int, default=300,
                    help="updates sent back to back in the stuck-key part, 0..1000 (0: skip)")
parser.add_argument("--seed", type=int, default=0, help="seed of the jumps' targets")
parser.add_argument("--log", default=None,
                    help="folder for the servers' logs (default: a temporary one, removed)")
args = parse_args(parser)
#: The slider each lesson's student moves (the lessons' registry; after the BLAS threads).
SLIDERS = lesson_sliders()
N = args.moves if args.moves is not None else (5 if args.quick else 20)
PAGES = args.pages if args.pages is not None else (1 if args.quick else 3)
if not 1 <= N <= 200 or not 1 <= PAGES <= 10 or not 0 <= args.stuck <= 1000:
    parser.error(f"--moves must be in [1, 200], --pages in [1, 10], --stuck in [0, 1000]; got "
                 f"{N}, {PAGES}, {args.stuck}")


def chosen(default):
    """The lessons ``--lessons`` names (numbers or names), else ``default``."""
    if not args.lessons:
        return list(default)
    out = []
    for item in (x.strip() for x in args.lessons.split(",") if x.strip()):
        match = [n for n in SLIDERS if n == item or n.startswith(item.zfill(2) + "_")]
        if not match:
            parser.error(f"--lessons: {item!r} is none of {', '.join(SLIDERS)}")
        out += [m for m in match if m not in out]
    return out


def ms(xs):
    """``median / p95`` in ms of seconds ``xs``."""
    return (f"{statistics.median(xs) * 1e3:6.0f} /{pct(xs, 95) * 1e3:6.0f}" if xs
            else f"{'-':>6} /{'-':>6}")


# -- the served folder: the lessons and a bare widget ------------------------------------------
def write_bare_notebook(folder):
    """A notebook with nothing but an IntSlider whose observer sets a Label: the floor of a
    widget round trip (key press -> kernel -> page)."""
    import nbformat

    code = ("import ipywidgets as widgets\n"
            "slider = widgets.IntSlider(value=50, min=0, max=100, description='bare')\n"
            "slider.add_class('bench-bare-slider')\n"
            "label = widgets.Label('50')\n"
            "label.add_class('bench-bare-label')\n"
            "slider.observe(lambda change: setattr(label, 'value', str(change['new'])), "
            "names='value')\n"
            "widgets.VBox([slider, label])")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(Path(folder) / f"{BARE}.ipynb"))


# -- the code before live figures ----------------------------------------------------------------
def git(*argv):
    return subprocess.run(["git", *argv], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


def before_live_figures():
    """The commit before the first one that added the live figure widget."""
    added = git("log", "--diff-filter=A", "--format=%H", "--", "bpttviz/app/live/__init__.py")
    if not added:
        raise SystemExit("bench_redraw: no commit adds bpttviz/app/live here; name one with "
                         "--compare REV")
    return git("rev-parse", added.split()[-1] + "^")


@contextlib.contextmanager
def old_code(rev, work):
    """REV's tree and a virtual environment that runs it: ``(program, notebooks, env, cwd)``.

    The environment sees this one's packages (a ``.pth`` file) after REV's tree, so REV's
    ``bpttviz`` is imported, and gets ipympl of its own (``pip install --no-deps``)."""
    tree, venv = Path(work) / "tree", Path(work) / "venv"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True)
    ours = sysconfig.get_paths()["purelib"]
    Path(site.stdout.strip(), "_bpttviz_bench.pth").write_text(f"{tree}\n{ours}\n")
    pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "ipympl"],
                         capture_output=True, text=True)
    if pip.returncode:
        raise SystemExit(f"bench_redraw: pip could not install ipympl for --compare:\n"
                         f"{pip.stdout}{pip.stderr}")
    env = dict(os.environ)
    # Voila's templates and the widget managers' JavaScript are in this environment's data.
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] +
        [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    env.pop("PYTHONPATH", None)
    yield [str(python), "-m", "bpttviz.cli"], tree / "notebooks", env, tree


class OldKernel(Kernel):
    """The client for the code before live figures: ipympl canvases, each answered as ipympl's
    page does (``refresh``, ``send_image_mode``, ``initialized``, then a ``draw`` request for
    each ``draw`` event, one outstanding per canvas); the PNGs count as the figures' data."""

    def __init__(self, ws, **options):
        super().__init__(ws, **options)
        self.canvases = {}          # comm_id -> {"waiting", "again", "images"}

    def watch(self, model_id, s):
        if s.get("model_name") == "MPLCanvasModel":
            self.canvases[model_id] = {"waiting": False, "again": False, "images": 0}
            return True
        return False

    async def on_comm_msg(self, content, buffers):
        comm_id, data = content.get("comm_id"), content.get("data", {})
        if comm_id not in self.canvases:
            return await super().on_comm_msg(content, buffers)
        if data.get("method") != "custom":
            return
        c = self.canvases[comm_id]
        inner = data.get("content", {})
        event = json.loads(inner["data"]) if "data" in inner else {}
        if event.get("type") == "draw":
            if c["waiting"]:
                c["again"] = True
            else:
                c["waiting"] = True
                await self.custom(comm_id, {"type": "draw"})
        elif event.get("type") == "binary" and buffers:
            c["images"] += 1
            c["waiting"] = False
            self.figure_updates += 1
            self.figure_bytes += len(buffers[0])
            self.last_rx = time.perf_counter()
            if c["again"]:
                c["again"] = False
                c["waiting"] = True
                await self.custom(comm_id, {"type": "draw"})

    async def start_figures(self):
        for comm_id in self.canvases:
            for kind in ("refresh", "send_image_mode", "initialized"):   # refresh asks a draw
                await self.custom(comm_id, {"type": kind})

    def complete(self):
        return all(c["images"] and not (c["waiting"] or c["again"])
                   for c in self.canvases.values())


# -- the protocol-level client, one per code ----------------------------------------------------
class Page:
    """One simulated page of a lesson on one server: its client, slider and kernel process
    (Voila's; the lecture hall has none: its pages' work is the server's)."""

    def __init__(self, code, server, lesson, kernel_class):
        self.code, self.server, self.lesson = code, server, lesson
        self.kernel_class = kernel_class

    async def open(self):
        import psutil

        loop = asyncio.get_running_loop()
        landing = await loop.run_in_executor(None, load_page, self.kernel_class.kind,
                                             self.server.url, self.lesson)
        if landing.kernel_id is None:
            raise RuntimeError(f"{self.code}: no kernel id in the page of {self.lesson}")
        self.stack = contextlib.AsyncExitStack()
        self.k = await self.stack.enter_async_context(
            connected(landing, client=self.kernel_class))
        slider = await self.k.open_widgets(f"bpttviz-control-{SLIDERS[self.lesson]}")
        if slider is None:
            raise RuntimeError(f"{self.code}: no slider {SLIDERS[self.lesson]} in {self.lesson}")
        self.model_id, self.state = slider
        self.proc = (kernel_process(self.server.pid, landing.kernel_id)
                     if landing.kind == "voila" else None)
        self.server_proc = psutil.Process(self.server.pid)
        return self

    async def close(self):
        await self.k.leave()
        await self.stack.aclose()

    def snapshot(self):
        k = self.k
        return {"kernel_cpu": cpu_of(self.proc) if self.proc else float("nan"),
                "server_cpu": cpu_of(self.server_proc), "rx_bytes": k.rx_bytes,
                "figure_bytes": k.figure_bytes, "updated": k.updated,
                "figure_updates": k.figure_updates}

    async def move(self, value):
        seconds = await self.k.move(self.model_id, value)
        self.state["value"] = value
        return seconds


async def moves(pages, kind, n, rng):
    """``n`` moves of ``kind`` ("steps", "jumps") on every page in turn; per page the wall
    times and the counters' differences."""
    plans = {}
    for p in pages:
        if kind == "steps":
            plans[p.code] = step_values(p.state, n)
        else:                          # the same targets for every code: one generator each
            r, state, plan = random.Random(rng), dict(p.state), []
            for _ in range(n):
                state["value"] = other_value(state, r, far=JUMP)
                plan.append(state["value"])
            plans[p.code] = plan
    before = {p.code: p.snapshot() for p in pages}
    walls = {p.code: [] for p in pages}
    for i in range(n):
        for p in pages:
            await asyncio.sleep(PAUSE)
            walls[p.code].append(await p.move(plans[p.code][i]))
    await asyncio.sleep(0.5)           # the last messages of the last move (idle statuses)
    out = {}
    for p in pages:
        after = p.snapshot()
        out[p.code] = {"walls": walls[p.code],
                       **{k: after[k] - before[p.code][k] for k in after}}
    return out


async def stuck_key(page, n):
    """``n`` one-step updates sent back to back; what it took the kernel to be done."""
    k = page.k
    values = step_values(page.state, n)
    before = page.snapshot()
    t0 = time.perf_counter()
    last = None
    for v in values:
        last = await k.set_value(page.model_id, v)
    await k.until(k.idle[last].is_set, timeout=600, what="the kernel idle after the flood")
    idle = time.perf_counter() - t0
    deadline = time.monotonic() + 600
    # Done: the status line says "updated in", every figure has its data, and nothing has
    # arrived for a second.
    while not ("updated in" in k.status_text and k.complete()
               and time.perf_counter() - k.last_rx > 1.0):
        if time.monotonic() > deadline:
            raise TimeoutError("the figures did not settle after the flood")
        await asyncio.sleep(0.05)
    done = max(k.last_rx - t0, idle)
    page.state["value"] = values[-1]
    after = page.snapshot()
    return {"idle": idle, "done": done, **{key: after[key] - before[key] for key in after}}


async def protocol_part(servers, lessons, rng_seed):
    """Kernel CPU, bytes and wall time per move, new code and (if served) the old, in turn."""
    print(f"\n## Kernel per move, at the protocol level: {N} moves of each kind per lesson, "
          f"one move on each code in turn, {PAUSE:g} s apart")
    print("kernel/server: CPU ms per move of the kernel process / the server process; KB: "
          "received per move, all (figures' data); wall: send -> figures shown, ms median / "
          "p95; runs: computations per move")
    head = (f"{'lesson':<24}{'slider':<7}{'code':<8}{'kind':<6}{'kernel':>8}{'server':>8}"
            f"{'KB all (figures)':>19}{'wall ms':>16}{'runs':>6}")
    print(head)
    print("-" * len(head))
    stuck_rows = []
    for li, lesson in enumerate(lessons):
        pages = []
        try:
            for code, (server, kernel_class) in servers.items():
                pages.append(await Page(code, server, lesson, kernel_class).open())
            warm = step_values(pages[0].state, 2)
            for p in pages:                 # the first moves fill caches: not measured
                for v in warm:
                    await asyncio.sleep(PAUSE)
                    await p.move(v)
            for kind in ("steps", "jumps"):
                res = await moves(pages, kind, N, rng_seed + li)
                for p in pages:
                    r = res[p.code]
                    print(f"{lesson:<24}{SLIDERS[lesson]:<7}{p.code:<8}{kind:<6}"
                          f"{r['kernel_cpu'] / N * 1e3:8.1f}{r['server_cpu'] / N * 1e3:8.1f}"
                          f"{r['rx_bytes'] / N / 1e3:9.1f} ({r['figure_bytes'] / N / 1e3:7.1f})"
                          f"{ms(r['walls']):>16}{r['updated'] / N:6.2f}", flush=True)
            if args.stuck and (li == 0 or not args.quick):
                for p in pages:
                    stuck_rows.append((lesson, p.code, await stuck_key(p, args.stuck)))
        except Exception as exc:       # a failure is a figure of the benchmark, not a crash
            print(f"{lesson:<24}failed: {type(exc).__name__}: {exc}"[:200], flush=True)
        finally:
            for p in pages:
                await p.close()
    if stuck_rows:
        print(f"\n## Stuck key: {args.stuck} one-step updates of the slider sent back to back "
              f"over the websocket")
        head = (f"{'lesson':<24}{'code':<8}{'idle s':>8}{'done s':>8}{'runs':>6}"
                f"{'figure updates':>16}{'kernel CPU s':>14}{'server CPU s':>14}{'MB recv':>9}")
        print(head)
        print("-" * len(head))
        for lesson, code, r in stuck_rows:
            print(f"{lesson:<24}{code:<8}{r['idle']:8.2f}{r['done']:8.2f}{r['updated']:6d}"
                  f"{r['figure_updates']:16d}{r['kernel_cpu']:14.2f}{r['server_cpu']:14.2f}"
                  f"{r['rx_bytes'] / 1e6:9.2f}")
        print("idle: until the kernel answered the last update; done: until the last figure "
              "arrived; runs: computations the app finished (status lines 'updated in'); "
              "figure updates: live figure versions (PNGs before live figures) received")


# -- in the browser -------------------------------------------------------------------------------
#: Installed once per page: the input's time and every later drawing, status line and label
#: change, in the page's clock.
RECORDER = """() => {
  if (window.__bench) return;
  const b = window.__bench = {input: null, drawn: [], status: [], label: [], before: []};
  const figures = () => [...document.querySelectorAll('.bpttviz-live')];
  b.reset = () => {
    b.input = null; b.drawn = []; b.status = []; b.label = [];
    b.before = figures().map((el) => el.dataset.drawn);
  };
  document.addEventListener('keydown', () => { b.input = performance.now(); }, true);
  document.addEventListener('pointerdown', () => { b.input = performance.now(); }, true);
  new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records) b.drawn.push([figures().indexOf(r.target), t, r.target.dataset.drawn]);
  }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-drawn']});
  const watch = (selector, key) => {
    const el = document.querySelector(selector);
    if (el) new MutationObserver(() => b[key].push([el.innerText, performance.now()]))
      .observe(el, {subtree: true, childList: true, characterData: true});
  };
  watch('.bpttviz-status', 'status');
  watch('.bench-bare-label', 'label');
}"""

#: The lesson's move is over: the status line said "updated in" after the input and no figure
#: has drawn for QUIET_MS (figure messages come before the status line's; a figure that lacks
#: arrays asks for them and draws later, hence the wait).
MOVE_OVER = """(quiet) => {
  const b = window.__bench;
  if (b.input === null) return false;
  if (!b.status.some(([text, t]) => t >= b.input && text.includes('updated in'))) return false;
  const last = Math.max(b.input, ...b.drawn.map((d) => d[1]), ...b.status.map((s) => s[1]));
  return performance.now() - last > quiet;
}"""

#: ms from the input to the last figure that drew a new version (each figure counted at its
#: first such drawing: a figure may draw again, e.g. when its text alternative follows), and
#: how many figures drew a new version.
MOVE_RESULT = """() => {
  const b = window.__bench;
  const first = new Map();
  for (const [i, t, v] of b.drawn)
    if (t >= b.input && v !== b.before[i] && !first.has(i)) first.set(i, t);
  const times = [...first.values()];
  return {figures: times.length, last: times.length ? Math.max(...times) - b.input : null};
}"""

BARE_OVER = """() => { const b = window.__bench;
  return b.input !== null && b.label.some(([, t]) => t >= b.input); }"""
BARE_RESULT = """() => { const b = window.__bench;
  return Math.min(...b.label.filter(([, t]) => t >= b.input).map(([, t]) => t)) - b.input; }"""

#: Every figure of the page has drawn (``n`` of them).
ALL_DRAWN = """(n) => { const f = document.querySelectorAll('.bpttviz-live');
  return f.length >= n && [...f].every((el) => el.dataset.drawn); }"""


def figure_count(lesson):
    from bpttviz.lessons import lesson_of_page

    return len(lesson_of_page(lesson).figure_names)


def open_lesson(browser, url, lesson):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{url}/voila/render/{lesson}.ipynb", timeout=180_000)
    page.wait_for_function(ALL_DRAWN, arg=figure_count(lesson), timeout=180_000, polling=50)
    page.wait_for_timeout(1000)
    page.evaluate(RECORDER)
    return page


def lesson_move(page, slider, kind, rng, turn):
    """One move of the lesson's slider; seconds to the last figure drawn (None: timed out or
    nothing drew) and the number of figures that drew."""
    handle = page.locator(f".bpttviz-control-{slider} [role=slider]").first
    page.bring_to_front()
    page.evaluate("() => window.__bench.reset()")
    lo, hi, now = (float(handle.get_attribute(a))
                   for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
    if kind == "steps":                 # right, left, right, ...; away from an end
        right = (turn % 2 == 0 or now <= lo) and now < hi
        handle.focus()
        page.keyboard.press("ArrowRight" if right else "ArrowLeft")
    else:
        where = (now - lo) / (hi - lo) if hi > lo else 0.5
        f = where
        while abs(f - where) < JUMP:
            f = rng.uniform(0.02, 0.98)
        box = page.locator(f".bpttviz-control-{slider} .noUi-target").first.bounding_box()
        page.mouse.click(box["x"] + f * box["width"], box["y"] + box["height"] / 2)
    try:
        page.wait_for_function(MOVE_OVER, arg=QUIET_MS, timeout=30_000, polling=20)
    except Exception:
        return None, 0
    r = page.evaluate(MOVE_RESULT)
    return (r["last"] / 1e3 if r["last"] is not None else None), r["figures"]


def bare_press(page, turn):
    page.bring_to_front()
    page.evaluate("() => window.__bench.reset()")
    page.locator(".bench-bare-slider [role=slider]").first.focus()
    page.keyboard.press("ArrowRight" if turn % 2 == 0 else "ArrowLeft")
    try:
        page.wait_for_function(BARE_OVER, timeout=30_000, polling=20)
    except Exception:
        return None
    return page.evaluate(BARE_RESULT) / 1e3


def browser_part(browser, url, lessons):
    print(f"\n## Browser, one user: headless Chromium 1280x720, {N} moves of each kind per "
          f"lesson; input -> the last figure that changed has drawn (ms, median / p95); bare: "
          f"key press -> a Label set by the kernel, in another tab, one press after each move")
    head = (f"{'lesson':<24}{'slider':<7}{'figs':>5}{'steps':>15}{'jumps':>15}{'bare':>15}"
            f"{'steps-bare':>12}{'jumps-bare':>12}  timed out")
    print(head)
    print("-" * len(head))
    bare = browser.new_page(viewport={"width": 1280, "height": 720})
    bare.goto(f"{url}/voila/render/{BARE}.ipynb", timeout=180_000)
    try:
        bare.wait_for_selector(".bench-bare-slider [role=slider]", timeout=60_000)
    except Exception:
        # The lecture hall serves the lessons of the registry only, not a notebook of its
        # own: no floor to compare with there.
        print(f"(the server does not serve {BARE}.ipynb: no bare round trip)")
        bare.close()
        bare = None
    if bare is not None:
        bare.wait_for_timeout(1000)
        bare.evaluate(RECORDER)
        for _ in range(3):              # the first round trips are slower: not measured
            bare_press(bare, 0)
            bare_press(bare, 1)
    rng = random.Random(args.seed)
    every = {"steps": [], "jumps": [], "bare": []}
    moved = {}                      # lesson -> every move's seconds (steps and jumps)
    for lesson in lessons:
        slider = SLIDERS[lesson]
        try:
            page = open_lesson(browser, url, lesson)
        except Exception as exc:
            print(f"{lesson:<24}failed to open: {type(exc).__name__}: {exc}"[:200], flush=True)
            continue
        lesson_move(page, slider, "steps", rng, 0)     # warm-up, not measured
        lesson_move(page, slider, "steps", rng, 1)
        times = {"steps": [], "jumps": [], "bare": []}
        figs, lost = [], 0
        turn = 0
        for kind in ("steps", "jumps"):
            for i in range(N):
                t, n = lesson_move(page, slider, kind, rng, i)
                if t is None:
                    lost += 1
                else:
                    times[kind].append(t)
                    figs.append(n)
                if bare is None:
                    continue
                b = bare_press(bare, turn)
                turn += 1
                if b is None:
                    lost += 1
                else:
                    times["bare"].append(b)
        page.close()
        for k in every:
            every[k] += times[k]
        moved[lesson] = times["steps"] + times["jumps"]
        base = statistics.median(times["bare"]) if times["bare"] else float("nan")
        diff = {k: (statistics.median(times[k]) - base) * 1e3 if times[k] else float("nan")
                for k in ("steps", "jumps")}
        print(f"{lesson:<24}{slider:<7}{statistics.median(figs) if figs else 0:5.0f}"
              f"{ms(times['steps']):>15}{ms(times['jumps']):>15}{ms(times['bare']):>15}"
              f"{diff['steps']:12.0f}{diff['jumps']:12.0f}  {lost}", flush=True)
    base = statistics.median(every["bare"]) if every["bare"] else float("nan")
    diff = [(statistics.median(every[k]) - base) * 1e3 if every[k] else float("nan")
            for k in ("steps", "jumps")]
    print(f"{'all lessons':<36}{ms(every['steps']):>15}{ms(every['jumps']):>15}"
          f"{ms(every['bare']):>15}{diff[0]:12.0f}{diff[1]:12.0f}")
    reference = [t for lesson in PROTOCOL_LESSONS for t in moved.get(lesson, [])]
    others = [lesson for lesson in moved if lesson not in PROTOCOL_LESSONS and moved[lesson]]
    if reference and others:
        base = statistics.median(reference)
        print(f"every move (steps and jumps), median, against that of "
              f"{', '.join(x[:2] for x in PROTOCOL_LESSONS)} ({base * 1e3:.0f} ms): "
              + ", ".join(f"{lesson[:2]} {statistics.median(moved[lesson]) * 1e3:.0f} ms = "
                          f"{statistics.median(moved[lesson]) / base:.2f}x" for lesson in others))
    if bare is not None:
        bare.close()


#: From the start of the page's life: the first drawing of each figure, in the page's clock
#: (0 = the navigation's start).
READY_RECORDER = """
window.__firstDrawn = [];
new MutationObserver((records) => {
  for (const r of records) if (!r.target.__drawnOnce) {
    r.target.__drawnOnce = true;
    window.__firstDrawn.push(performance.now());
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-drawn']});
"""


def page_ready_part(browser, url, lessons):
    print(f"\n## Page ready without a pool: {PAGES} fresh page(s) per lesson (a new kernel "
          f"and an empty cache each); from the navigation's start to every figure drawn; what "
          f"the first page fetched over HTTP")
    head = (f"{'lesson':<24}{'figs':>5}{'ready s median':>16}{'max':>7}{'requests':>10}"
            f"{'MB':>7}{'failed':>8}{'other hosts':>13}")
    print(head)
    print("-" * len(head))
    for lesson in lessons:
        n = figure_count(lesson)
        ready, fetched = [], None
        for i in range(PAGES):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.add_init_script(READY_RECORDER)
            page = context.new_page()
            net = {"requests": 0, "bytes": 0, "failed": 0, "other": set()}
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")

            def sent(e, net=net):
                host = e["request"]["url"].split("/")[2] if "://" in e["request"]["url"] else ""
                if e["request"]["url"].startswith("http") and not host.startswith("127.0.0.1"):
                    net["other"].add(host)

            def finished(e, net=net):
                net["requests"] += 1
                net["bytes"] += e.get("encodedDataLength", 0)

            def failed(e, net=net):
                net["failed"] += 1

            cdp.on("Network.requestWillBeSent", sent)
            cdp.on("Network.loadingFinished", finished)
            cdp.on("Network.loadingFailed", failed)
            try:
                page.goto(f"{url}/voila/render/{lesson}.ipynb", timeout=180_000)
                page.wait_for_function(f"() => window.__firstDrawn.length >= {n}",
                                       timeout=180_000, polling=50)
                ready.append(page.evaluate("() => Math.max(...window.__firstDrawn)") / 1e3)
                page.wait_for_timeout(500)     # the last fetches of the page
                if fetched is None:
                    fetched = dict(net)
            except Exception as exc:
                print(f"{lesson:<24}page {i + 1} failed: {type(exc).__name__}: {exc}"[:200])
            finally:
                context.close()
        if fetched is None:
            continue
        print(f"{lesson:<24}{n:5d}{statistics.median(ready):16.2f}{max(ready):7.2f}"
              f"{fetched['requests']:10d}{fetched['bytes'] / 1e6:7.2f}{fetched['failed']:8d}"
              f"{len(fetched['other']):13d}" + (f"  ({', '.join(sorted(fetched['other']))})"
                                               if fetched["other"] else ""), flush=True)


# -- the run --------------------------------------------------------------------------------------
def main():
    from playwright.sync_api import sync_playwright

    from bpttviz.serve import copy_lessons, served

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    browser_lessons = chosen(SLIDERS)
    protocol_lessons = chosen(PROTOCOL_LESSONS)
    print(f"# {machine()}; load average {os.getloadavg()[0]:.1f}")
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bpttviz-bench-")))
        logs = Path(args.log) if args.log else work
        logs.mkdir(parents=True, exist_ok=True)
        folder = work / "lessons"
        copy_lessons(folder)
        write_bare_notebook(folder)
        server = stack.enter_context(served(notebooks=folder, log=logs / "server.log",
                                            start_timeout=120, stop_timeout=20))
        servers = {"live": (server, Hall)}
        if args.compare:
            rev = before_live_figures() if args.compare == "auto" else git("rev-parse",
                                                                           args.compare)
            old_work = work / "old"
            old_work.mkdir()
            program, notebooks, env, cwd = stack.enter_context(old_code(rev, old_work))
            old = stack.enter_context(served(notebooks=notebooks, program=program, env=env,
                                             cwd=cwd, log=logs / "server-old.log",
                                             start_timeout=120, stop_timeout=20))
            servers[f"{rev[:7]}"] = (old, OldKernel)
            print(f"# before live figures: {rev[:7]} "
                  f"({git('log', '-1', '--format=%cs %s', rev)[:80]}), served from a copy "
                  f"with ipympl in a temporary environment")
        asyncio.run(protocol_part(servers, protocol_lessons, args.seed))
        if args.no_browser:
            return
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                browser_part(browser, server.url, browser_lessons)
                page_ready_part(browser, server.url, browser_lessons)
            finally:
                browser.close()


if __name__ == "__main__":
    main()
