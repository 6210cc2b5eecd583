"""What a lesson kernel costs to start: interpreter and kernel, imports, building the app.

Starts a fresh ipykernel per lesson (as Voila does for a page), runs the
lesson's steps one at a time and prints, for each, the wall time and the
kernel's CPU time, then the kernel's memory (RSS and unique) once the app is
built.

Steps: ``kernel`` (start the interpreter and ipykernel, until it answers),
``import bpttviz.app``, ``build app`` (widgets, the first engine run, every
figure's record and its arrays encoded for the page). The figures are drawn
by the browser: a page that connects only asks for the arrays the kernel
already holds.

Usage::

    python -m benchmarks.bench_kernel_start [--lessons 02_vanishing_exploding,...] [--repeat 3]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser  # noqa: E402

STEPS = ("kernel", "import bpttviz.app", "build app")
PROBE = ("import os, time, resource\n"
         "_t = os.times()\n"
         "print(time.perf_counter(), _t.user + _t.system)")


def execute(kc, code, timeout=300):
    """Run ``code``; return its stdout (raises on an error)."""
    msg_id = kc.execute(code, store_history=False)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise RuntimeError(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def cpu_of(kc):
    return float(execute(kc, PROBE).split()[1])


def one(lesson):
    """``{step: (wall s, cpu s)}`` and ``(rss MB, uss MB)`` for one fresh kernel."""
    import psutil
    from jupyter_client.manager import start_new_kernel

    from bpttviz.serve.process import REQUEST_VARIABLES

    env = {k: v for k, v in os.environ.items() if k not in REQUEST_VARIABLES}
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        wall = time.perf_counter() - t0
        proc = psutil.Process(km.provisioner.process.pid)
        cpu = proc.cpu_times()
        steps = {"kernel": (wall, cpu.user + cpu.system)}
        code = {"import bpttviz.app": "import bpttviz.app",
                "build app": f"app = bpttviz.app.LessonApp(query='', lesson={SLUGS[lesson]!r})"}
        for step, source in code.items():
            c0 = cpu_of(kc)
            t = time.perf_counter()
            execute(kc, source)
            wall = time.perf_counter() - t
            steps[step] = (wall, cpu_of(kc) - c0)
        mem = proc.memory_full_info()
        return steps, (mem.rss / 2**20, mem.uss / 2**20)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def lesson_slugs() -> dict:
    """Lesson notebook -> its lesson's slug (the lessons' registry)."""
    from bpttviz.lessons import LESSONS

    return {cls.page_name(): slug for slug, cls in LESSONS.items()}


def main(argv=None):
    global SLUGS
    SLUGS = lesson_slugs()
    parser = benchmark_parser(__doc__)
    parser.add_argument("--lessons", default="02_vanishing_exploding,03_truncated_bptt,04_training",
                        help=f"lessons, from {', '.join(SLUGS)}")
    parser.add_argument("--repeat", type=int, default=3, help="fresh kernels per lesson (1..10)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    lessons = [x.strip() for x in args.lessons.split(",") if x.strip()]
    unknown = [x for x in lessons if x not in SLUGS]
    if unknown or not 1 <= args.repeat <= 10:
        parser.error(f"--lessons from {', '.join(SLUGS)} and --repeat in [1, 10]; got "
                     f"{unknown or args.lessons}, {args.repeat}")
    print(f"median of {args.repeat} fresh kernels; wall s / kernel CPU s per step; "
          f"load average now {os.getloadavg()[0]:.1f}")
    print(f"{'lesson':24s}" + "".join(f"{s:>22s}" for s in STEPS) + f"{'total':>14s}"
          f"{'RSS MB':>9s}{'USS MB':>9s}")
    figures = {}
    for lesson in lessons:
        runs = [one(lesson) for _ in range(args.repeat)]
        med = {s: (statistics.median(r[0][s][0] for r in runs),
                   statistics.median(r[0][s][1] for r in runs)) for s in STEPS}
        rss = statistics.median(r[1][0] for r in runs)
        uss = statistics.median(r[1][1] for r in runs)
        total = (sum(w for w, _ in med.values()), sum(c for _, c in med.values()))
        print(f"{lesson:24s}" + "".join(f"{w:11.2f} /{c:5.2f} s  " for w, c in med.values())
              + f"{total[0]:6.2f} /{total[1]:5.2f}" + f"{rss:9.0f}{uss:9.0f}", flush=True)
        figures[lesson] = {"steps": med, "rss_mb": rss, "uss_mb": uss}
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
