"""How long a lesson takes to redraw after a control moves, measured from Python.

    python benchmarks/bench_app.py [--quick] [--threads N] [--browser]

For each lesson at its default sizes, a control is moved through a series of
values as a user would (setting the widget's value fires the app's
callback). Two times per change:

* update: the callback itself, i.e. the engine run and diagnostics (when the
  control needs them) and the in-place artist updates;
* draw: what the kernel does next when the browser asks for the new image,
  i.e. ``canvas.draw()`` of each figure that changed (Agg rendering and the
  PNG encoding ipympl sends).

Their sum is the kernel's share of a redraw; the browser adds a widget round
trip and the image transfer (about 70-80 ms on localhost, see the field
notes). Medians and 90th percentiles over the changes.

``--browser`` also measures the whole loop in headless Chromium (Debian's
/usr/bin/chromium) against ``bpttviz serve``: from the key press that moves a
slider one step to the moment each figure's canvas shows new pixels. No
assertions.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser, machine, parse_args, served_page  # noqa: E402

parser = benchmark_parser(__doc__, quick="fewer changes per control", threads="BLAS")
parser.add_argument("--browser", action="store_true",
                    help="also time key press -> new pixels in headless Chromium")
args = parse_args(parser)

from bpttviz.app import TruncationApp, UnfoldingApp, VanishingApp  # noqa: E402

N = 6 if args.quick else 20


def cycle(values, n):
    """``n`` values going back and forth through ``values`` (every step is a change)."""
    seq = list(values) + list(values[-2:0:-1])
    return [seq[i % len(seq)] for i in range(1, n + 1)]


# lesson -> list of (control, values): moves of one slider step, then heavier changes.
SCENARIOS = {
    UnfoldingApp: [
        ("frame", cycle(range(0, 11), N)),
        ("radius", cycle([0.9, 0.95, 1.0, 1.05], N)),
        ("T", cycle([5, 6, 7, 8], N)),
    ],
    VanishingApp: [
        ("scale", cycle([1.0, 1.05, 1.1, 1.15], N)),
        ("T", cycle([60, 61, 62, 63], N)),
        ("activation", cycle(["tanh", "relu", "sigmoid", "linear"], N)),
    ],
    TruncationApp: [
        ("k2", cycle([10, 11, 12, 13], N)),
        ("k1", cycle([5, 6, 7, 8], N)),
        ("schedule", cycle(["tbptt", "keras", "per_loss", "sliding_window", "last_loss", "full"],
                           N)),
    ],
}


def measure(app, control, values):
    """Per change: (update seconds, draw seconds, figures redrawn)."""
    figs = app.figures
    out = []
    for value in values:
        drawn = []
        originals = {}
        for name, fig in figs.items():      # note which figures the update asks to redraw
            originals[name] = fig.canvas.draw_idle
            fig.canvas.draw_idle = (lambda name=name: drawn.append(name))
        t0 = time.perf_counter()
        app.widgets[control].value = value
        t1 = time.perf_counter()
        for name, f in originals.items():
            figs[name].canvas.draw_idle = f
        for name in drawn:
            figs[name].canvas.draw()
        t2 = time.perf_counter()
        if app.message.value:
            raise RuntimeError(f"{type(app).__name__} failed on {control}={value}: "
                               f"{app.message.value}")
        out.append((t1 - t0, t2 - t1, len(drawn)))
    return out


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    print(machine())
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
            # As once a browser shows the canvas: images go out as PNG diffs only.
            app.figures[name].canvas.syncing_data_url = False
            app.figures[name].canvas.draw()     # first render outside the measurement
        for control, values in moves:
            rows = measure(app, control, values)
            up = [r[0] * 1e3 for r in rows]
            dr = [r[1] * 1e3 for r in rows]
            tot = [a + b for a, b in zip(up, dr)]
            figs = statistics.median(r[2] for r in rows)
            print(f"{cls.slug[:15]:<16}{control:<12}{figs:>5.0f}"
                  f"{statistics.median(up):>8.1f} /{quantile(up, 0.9):>6.1f}"
                  f"{statistics.median(dr):>8.1f} /{quantile(dr, 0.9):>6.1f}"
                  f"{statistics.median(tot):>10.1f} /{quantile(tot, 0.9):>6.1f}")
        print(f"{'':<16}(built in {build * 1e3:.0f} ms, {app.runs} engine runs)")
        app.close()
    if args.browser:
        browser()


# --- the whole loop in a browser -----------------------------------------------------

# In the page: press an arrow key on a slider, then poll every animation frame until
# each figure's canvas differs from before; returns the ms to each figure.
PRESS_AND_WAIT = """async ([control, figures, key]) => {
  const pixels = () => figures.map(f =>
      document.querySelector('.bpttviz-figure-' + f + ' canvas').toDataURL());
  const before = pixels();
  const slider = document.querySelector('.bpttviz-control-' + control + ' [role=slider]');
  slider.focus();
  const t0 = performance.now();
  slider.dispatchEvent(new KeyboardEvent('keydown', {key: key, bubbles: true}));
  const seen = {};
  while (Object.keys(seen).length < figures.length && performance.now() - t0 < 10000) {
    await new Promise(r => requestAnimationFrame(r));
    pixels().forEach((p, i) => {
      if (p !== before[i] && !(i in seen)) seen[i] = performance.now() - t0; });
  }
  return figures.map((f, i) => seen[i] ?? null);
}"""

BROWSER_CASES = {   # page -> (slider, figures it redraws)
    "01_unfolding": ("frame", ["network"]),
    "02_vanishing_exploding": ("scale", ["flow", "lag", "singular_values"]),
    "03_truncated_bptt": ("k2", ["flow", "timeline", "bias", "cost"]),
}


def browser():
    print(f"\nheadless Chromium, key press -> new pixels, {N} presses per page "
          f"(ms, median / 90th percentile)")
    with served_page() as (page, url):
        for name, (control, figures) in BROWSER_CASES.items():
            page.goto(f"{url}/voila/render/{name}.ipynb", timeout=120_000)
            page.wait_for_selector(".bpttviz-app .widget-readout", timeout=120_000)
            page.wait_for_timeout(2000)
            rows = []
            for i in range(N):         # right, left, right, ...: always a change
                key = "ArrowLeft" if i % 2 else "ArrowRight"
                rows.append(page.evaluate(PRESS_AND_WAIT, [control, figures, key]))
                page.wait_for_timeout(300)
            first = [min(t for t in r if t is not None) for r in rows if any(r)]
            last = [max(r) for r in rows if all(t is not None for t in r)]
            print(f"{name:<24}{control:<7}first figure {statistics.median(first):5.0f} /"
                  f"{quantile(first, 0.9):5.0f}   all {len(figures)} figures "
                  f"{statistics.median(last):5.0f} /{quantile(last, 0.9):5.0f}"
                  f"   ({N - len(last)} presses timed out)")


if __name__ == "__main__":
    main()
