"""Lessons 4-6: how long a redraw takes after a control moves, and how training keeps up.

    python benchmarks/bench_app_lessons.py [--quick] [--threads N] [--browser]

Redraws, measured from Python as in ``bench_app.py`` (same method, same
columns): for each lesson at its default sizes a control is moved through a
series of values; *update* is the callback (the one engine run and the
in-place artist updates), *draw* the ``canvas.draw()`` of each figure it
asked to redraw. Lesson 4's controls only recompute the setup (task,
windows, measured memory); training is measured apart:

* train: wall time of the default preset's two runs (300 updates each, in
  two threads, as the page runs them) and updates per second;
* live redraw: the curves' update from the runs' histories, and the draw of
  the loss and gradient figures, while the runs go on (four times a second
  in the page).

``--browser`` also measures, in headless Chromium against ``bpttviz serve``,
key press -> new pixels for one slider per lesson, and on lesson 4 how long
the Stop button takes to end a run in progress (the kernel must hear it
while the threads train). No assertions.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser, machine, parse_args, served_page  # noqa: E402

parser = benchmark_parser(__doc__, quick="fewer changes per control", threads="BLAS")
parser.add_argument("--browser", action="store_true",
                    help="also time key press -> new pixels and Stop in headless Chromium")
args = parse_args(parser)

# The same measurement as lessons 1-3 (bench_app reads the same command-line flags).
from benchmarks.bench_app import N, cycle, measure, quantile  # noqa: E402
from bpttviz.app import CellsApp, SurfaceApp, TrainingApp  # noqa: E402


SCENARIOS = {
    TrainingApp: [
        ("k2_a", cycle([5, 6, 7, 8], N)),
        ("clip_b", cycle([0.0, 0.5, 1.0, 1.5], N)),
        ("cell", cycle(["gru", "lstm", "elman"], N)),
        ("task", cycle(["temporal_order", "adding", "sequence_classification", "copy_memory",
                        "sine"], N)),
    ],
    CellsApp: [
        ("radius", cycle([1.0, 1.05, 1.1, 1.15], N)),
        ("forget_bias", cycle([1.0, 1.1, 1.2, 1.3], N)),
        ("T", cycle([60, 61, 62, 63], N)),
    ],
    SurfaceApp: [
        ("w0", cycle([5.0, 5.05, 5.1, 5.15], N)),
        ("lr", cycle([0.1, 0.11, 0.12, 0.13], N)),
        ("clip", cycle([0.5, 0.55, 0.6, 0.65], N)),
        ("view", cycle(["cliff", "wide", "close-up"], N)),      # kept after the first visit
        ("T", cycle([50, 51, 52, 53], N)),                       # a new surface each time
    ],
}


def ms(xs):
    return f"{statistics.median(xs):8.1f} /{quantile(xs, 0.9):6.1f}"


def redraws():
    print(f"{N} changes per control; times in ms (median / 90th percentile)\n")
    head = (f"{'lesson':<16}{'control':<12}{'figs':>5}{'update':>16}{'draw':>16}"
            f"{'kernel total':>18}")
    print(head)
    print("-" * len(head))
    for cls, moves in SCENARIOS.items():
        t0 = time.perf_counter()
        app = cls(query="")
        build = time.perf_counter() - t0
        for name in app.figures:
            app.figures[name].canvas.syncing_data_url = False
            app.figures[name].canvas.draw()
        for control, values in moves:
            rows = measure(app, control, values)
            up = [r[0] * 1e3 for r in rows]
            dr = [r[1] * 1e3 for r in rows]
            tot = [a + b for a, b in zip(up, dr)]
            figs = statistics.median(r[2] for r in rows)
            print(f"{cls.slug[:15]:<16}{control:<12}{figs:>5.0f}{ms(up)}{ms(dr)}  {ms(tot)}")
        print(f"{'':<16}(built in {build * 1e3:.0f} ms, {app.runs} engine runs)")
        app.close()


def training():
    print("\nLesson 4, training (both runs in threads, as in the page)")
    for preset in TrainingApp.presets:
        app = TrainingApp(query="")
        app.apply_preset(preset)
        for name in ("loss", "grad"):
            app.figures[name].canvas.syncing_data_url = False
        t0 = time.perf_counter()
        run = app.start(wait=True)
        wall = time.perf_counter() - t0
        done = sum(run.done)
        draws = []
        for name in ("loss", "grad"):             # the full curves, as at the end of a run
            t1 = time.perf_counter()
            app.figures[name].canvas.draw()
            draws.append((time.perf_counter() - t1) * 1e3)
        live = app._live_ms
        print(f"  {preset:<26} {done:>4} updates in {wall:5.2f} s ({done / wall:6.0f}/s); "
              f"live update {statistics.median(live):.1f} ms, draw loss+grad "
              f"{sum(draws):.1f} ms, {len(live)} live redraws")
        app.close()


# --- in a browser ---------------------------------------------------------------------

PRESS_AND_WAIT = """async ([control, figure, key]) => {
  const px = () => document.querySelector('.bpttviz-figure-' + figure + ' canvas').toDataURL();
  const before = px();
  const slider = document.querySelector('.bpttviz-control-' + control + ' [role=slider]');
  slider.focus();
  const t0 = performance.now();
  slider.dispatchEvent(new KeyboardEvent('keydown', {key: key, bubbles: true}));
  while (performance.now() - t0 < 10000) {
    await new Promise(r => requestAnimationFrame(r));
    if (px() !== before) return performance.now() - t0;
  }
  return null;
}"""

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

BROWSER_CASES = {   # page -> (slider, figure it redraws)
    "04_training": ("k2_a", "reach"),
    "05_rnn_lstm_gru": ("radius", "flows"),
    "06_error_surface": ("w0", "surface"),
}


def browser():
    print(f"\nheadless Chromium, {N} presses per page (ms, median / 90th percentile)")
    with served_page() as (page, url):
        for name, (control, figure) in BROWSER_CASES.items():
            page.goto(f"{url}/voila/render/{name}.ipynb", timeout=120_000)
            page.wait_for_selector(".bpttviz-app .widget-readout", timeout=120_000)
            page.wait_for_timeout(2000)
            times = []
            for i in range(N):              # right, left, right, ...: never at an end
                key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
                times.append(page.evaluate(PRESS_AND_WAIT, [control, figure, key]))
                page.wait_for_timeout(300)
            ok = [t for t in times if t is not None]
            print(f"  {name:<20}{control:<8} key press -> new pixels {ms(ok)}"
                  f"   ({N - len(ok)} timed out)")
        page.goto(f"{url}/voila/render/04_training.ipynb?updates=3000", timeout=120_000)
        page.wait_for_selector(".bpttviz-app .widget-readout", timeout=120_000)
        stops = []
        for _ in range(min(N, 5)):
            page.locator(".bpttviz-start").click()
            page.wait_for_function("() => /training: A [1-9]/.test("
                                   "document.querySelector('.bpttviz-status').innerText)")
            page.wait_for_timeout(500)
            stops.append(page.evaluate(STOP_AND_WAIT))
        ok = [t for t in stops if t is not None]
        print(f"  04_training  Stop during training -> 'stopped' shown {ms(ok)}"
              f"   ({len(stops) - len(ok)} timed out)")


def main():
    print(machine())
    redraws()
    training()
    if args.browser:
        browser()


if __name__ == "__main__":
    main()
