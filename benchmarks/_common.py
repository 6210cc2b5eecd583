"""Shared helpers for the benchmark scripts: thread pinning, timing, machine description.

Import this module before NumPy so that the BLAS thread count can still be set.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

THREADS = os.environ.get("BPTTVIZ_BENCH_THREADS", "1")
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, THREADS)

import numpy as np  # noqa: E402  (after the thread variables)


def machine() -> str:
    """One line describing where the figures were measured."""
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


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def served_page():
    """Context manager: ``bpttviz serve`` on a free port and a headless Chromium page.

    Yields ``(page, url)``; stops the browser and the server (and its kernels) on exit.
    """
    import contextlib
    import signal
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    @contextlib.contextmanager
    def run():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        server = subprocess.Popen([sys.executable, "-m", "bpttviz.cli", "serve", "--port",
                                   str(port)], cwd=root, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(url + "/", timeout=5)
                    break
                except OSError:
                    time.sleep(0.3)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
                try:
                    yield browser.new_page(viewport={"width": 1280, "height": 720}), url
                finally:
                    browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)

    return run()
