"""Shared by the benchmark scripts: their command line, BLAS threads, timing, the machine,
and a served page in headless Chromium.

Every script starts alike, before it imports NumPy (the BLAS libraries read their
thread count once, when NumPy loads them)::

    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks._common import benchmark_parser, parse_args  # noqa: E402

    args = parse_args(benchmark_parser(__doc__, quick="fewer sizes", threads="BLAS"))

    import numpy as np  # noqa: E402

(the first line lets ``python benchmarks/bench_x.py`` find this module).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time

#: BLAS threads of this run: ``--threads``, else ``$BPTTVIZ_BENCH_THREADS``, else 1 (set by
#: :func:`parse_args`).
THREADS = os.environ.get("BPTTVIZ_BENCH_THREADS", "1")
#: The Chromium the browser benchmarks drive (Debian's) and its headless flags.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def benchmark_parser(doc: str, *, quick: str | None = None,
                     threads: str | None = None) -> argparse.ArgumentParser:
    """A script's command line: the first line of its docstring ``doc`` as description,
    ``--quick`` when ``quick`` says what it cuts, ``--threads`` when ``threads`` names the
    libraries it pins ("BLAS", "BLAS/PyTorch")."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if quick:
        parser.add_argument("--quick", action="store_true", help=quick)
    if threads:
        parser.add_argument("--threads", default="1", help=f"{threads} threads (default 1)")
    return parser


def add_running_server(parser: argparse.ArgumentParser, what: str) -> None:
    """``--base-url`` and ``--server-pid``: measure a server already running (a Voila server,
    an older checkout's) instead of the ``bpttviz serve`` the script starts; ``what`` says
    what is measured only with its process."""
    parser.add_argument("--base-url", metavar="URL",
                        help="the server already running at URL (e.g. 'voila notebooks/', or "
                             "bpttviz serve of an older checkout): nothing is started or stopped")
    parser.add_argument("--server-pid", type=int, metavar="PID",
                        help=f"with --base-url: the server's process (its children counted "
                             f"with it), for {what}")


def parse_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse the command line (``--help`` exits here, before anything is measured), then pin
    the BLAS threads and clear a page's query from the environment (it would set the
    lessons' controls)."""
    global THREADS
    args = parser.parse_args(argv)
    THREADS = getattr(args, "threads", None) or THREADS
    os.environ["BPTTVIZ_BENCH_THREADS"] = THREADS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, THREADS)
    os.environ.pop("QUERY_STRING", None)
    return args


def machine() -> str:
    """One line describing where the figures were measured."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {np.__version__}, BLAS threads {THREADS}")


def torch_or_none():
    """PyTorch pinned to the same thread count, or None (the comparison is then skipped)."""
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: the PyTorch columns are skipped "
              "(make torch installs the CPU build).", file=sys.stderr)
        return None
    torch.set_num_threads(int(THREADS))
    return torch


def interleaved(funcs: dict, repeat: int = 7, min_time: float = 0.05) -> dict:
    """Median seconds per call of each function, measured in interleaved rounds.

    Each round runs every function once (after one warm-up call each), so a
    slow phase of a shared machine hits all of them alike; ratios of medians
    from one run are what the benchmarks report.
    """
    loops = {}
    for name, f in funcs.items():
        f()
        t0 = time.perf_counter()
        f()
        once = time.perf_counter() - t0
        loops[name] = max(1, int(min_time / max(once, 1e-9)))
    samples = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, f in funcs.items():
            n = loops[name]
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds:7.3f} s "


@contextlib.contextmanager
def served_page():
    """``bpttviz serve`` on a free port and a headless Chromium page.

    Yields ``(page, url)``; stops the browser, then the server and its kernels.
    """
    from playwright.sync_api import sync_playwright

    from bpttviz.serve import served

    with served() as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 720}), server.url
        finally:
            browser.close()
