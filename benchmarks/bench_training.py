"""Training in the lessons (4 and 7): updates per second while the curves follow, and Stop.

    python benchmarks/bench_training.py [--quick] [--threads N] [--browser]

From Python, for each of lesson 4's presets (two runs in threads, as the page
runs them) and for lesson 7's race (four methods): the wall time of the run and
updates per second, and the kernel's share of following it live (each live
redraw: the curves' records from the runs' histories, sent to the live figures;
four times a second in the page), with the bytes the live figures sent (a
growing curve travels as its new tail).

``--browser`` also measures, in headless Chromium against ``bpttviz serve``,
how long lesson 4's Stop button takes to end a run in progress (the kernel must
hear it while the threads train). No assertions. The redraws after a slider
moves are measured by ``bench_redraw.py``.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser, machine, parse_args, served_page  # noqa: E402

parser = benchmark_parser(__doc__, quick="lesson 4's first preset and a shorter race; fewer "
                          "Stops", threads="BLAS")
parser.add_argument("--browser", action="store_true",
                    help="also time Stop during training in headless Chromium")
args = parse_args(parser)

from bpttviz.app import BeyondApp, TrainingApp  # noqa: E402

N = 3 if args.quick else 5


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def ms(xs):
    return f"{statistics.median(xs):8.1f} /{quantile(xs, 0.9):6.1f}" if xs else "       - /     -"


def one_run(app, label):
    bytes0 = sum(f.bytes_sent for f in app.figures.values())
    t0 = time.perf_counter()
    run = app.start(wait=True)
    wall = time.perf_counter() - t0
    done = sum(run.done)
    live = app._live_ms
    sent = sum(f.bytes_sent for f in app.figures.values()) - bytes0
    print(f"  {label:<26} {done:>5} updates in {wall:5.2f} s ({done / wall:6.0f}/s); "
          f"live redraw {ms(live)} ms (median / 90th percentile), {len(live)} redraws, "
          f"{sent / 1e3:.1f} kB of arrays sent", flush=True)


def training():
    print("Lesson 4, training (both runs in threads, as in the page)")
    presets = list(TrainingApp.presets)[:1] if args.quick else TrainingApp.presets
    for preset in presets:
        app = TrainingApp(query="")
        app.apply_preset(preset)
        one_run(app, preset)
        app.close()
    print("Lesson 7, the race (four methods in threads)")
    app = BeyondApp(query="updates=100" if args.quick else "")
    one_run(app, f"race, {app.values()['updates']} updates each")
    app.close()


# --- in a browser ---------------------------------------------------------------------

STOP_AND_WAIT = """async () => {
  const status = () => document.querySelector('.bpttviz-status').innerText;
  const t0 = performance.now();
  document.querySelector('.bpttviz-stop').click();
  while (performance.now() - t0 < 20000) {
    await new Promise(r => requestAnimationFrame(r));
    if (/stopped/.test(status())) return performance.now() - t0;
  }
  return null;
}"""


def browser():
    print(f"\nheadless Chromium, {N} Stops (ms, median / 90th percentile)")
    with served_page() as (page, url):
        page.goto(f"{url}/voila/render/04_training.ipynb?updates=3000", timeout=120_000)
        page.wait_for_selector(".bpttviz-app .widget-readout", timeout=120_000)
        stops = []
        for _ in range(N):
            page.locator(".bpttviz-start").click()
            page.wait_for_function("() => /training: A [1-9]/.test("
                                   "document.querySelector('.bpttviz-status').innerText)",
                                   timeout=60_000)
            page.wait_for_timeout(500)
            stops.append(page.evaluate(STOP_AND_WAIT))
        ok = [t for t in stops if t is not None]
        print(f"  04_training  Stop during training -> 'stopped' shown {ms(ok)}"
              f"   ({len(stops) - len(ok)} timed out)")


def main():
    print(machine())
    training()
    if args.browser:
        browser()


if __name__ == "__main__":
    main()
