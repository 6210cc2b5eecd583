"""Key press -> all figures redrawn, in the browser, in normal and in projector mode.

    python benchmarks/bench_app_modes.py [--quick] [--lessons 02,03]

For every lesson, headless Chromium (Debian's /usr/bin/chromium) opens the
page twice against one ``bpttviz serve``: once as it is, once with
``?projector=1`` (bigger figures, type and lines, the text alternatives of
the figures kept up to date as in every mode). The presses alternate between
the two pages (normal, projector, normal, ...), so a slow phase of a shared
machine hits both modes alike. A press is an arrow key on a slider's handle,
as a keyboard user moves it; the time runs until every figure that the
press redraws shows new pixels (found by a first press that is not timed).
Medians and 90th percentiles per lesson, then over all presses, and the
ratio projector / normal.

First, the kernel's share of the same moves, from Python (no browser): the
callback (engine run, artist updates, text alternatives) plus the draw of
each figure it redraws and the PNG ipympl sends, normal and projector apps
alternating. ``--kernel`` measures only that. No assertions.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser, machine, parse_args, served_page  # noqa: E402

parser = benchmark_parser(__doc__, quick="fewer presses per page")
parser.add_argument("--lessons", default="", help="comma-separated page prefixes (default all)")
parser.add_argument("--kernel", action="store_true", help="only the kernel's share, no browser")
args = parse_args(parser)

from bpttviz.app import (CellsApp, SurfaceApp, TrainingApp, TruncationApp,  # noqa: E402
                         UnfoldingApp, VanishingApp)

N = 6 if args.quick else 16

CASES = {   # page -> the slider a user moves
    "01_unfolding": "frame",
    "02_vanishing_exploding": "scale",
    "03_truncated_bptt": "k2",
    "04_training": "k2_a",
    "05_rnn_lstm_gru": "radius",
    "06_error_surface": "w0",
}

#: The names of the page's figures (from their boxes' classes).
FIGURES = """() => [...document.querySelectorAll('[class*="bpttviz-figure-"]')]
  .map(el => [...el.classList].find(c => c.startsWith('bpttviz-figure-')).slice(15))"""

#: Press an arrow key on the slider, then poll each animation frame until every figure in
#: ``figures`` differs from before; ms to the last of them (null after 10 s). With no figures
#: given, wait 3 s and return the names of those that changed.
PRESS_AND_WAIT = """async ([control, figures, key]) => {
  const names = figures.length ? figures : %s;
  const pixels = () => names.map(f => {
    const c = document.querySelector('.bpttviz-figure-' + f + ' canvas');
    return c ? c.toDataURL() : ''; });
  const before = pixels();
  const slider = document.querySelector('.bpttviz-control-' + control + ' [role=slider]');
  slider.focus();
  const t0 = performance.now();
  slider.dispatchEvent(new KeyboardEvent('keydown', {key: key, bubbles: true}));
  if (!figures.length) {
    await new Promise(r => setTimeout(r, 3000));
    const after = pixels();
    return names.filter((f, i) => after[i] !== before[i]);
  }
  const seen = new Set();
  while (seen.size < names.length && performance.now() - t0 < 10000) {
    await new Promise(r => requestAnimationFrame(r));
    pixels().forEach((p, i) => { if (p !== before[i]) seen.add(i); });
  }
  return seen.size === names.length ? performance.now() - t0 : null;
}""" % ("(" + FIGURES + ")()")


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def ms(xs):
    return f"{statistics.median(xs):6.0f} /{quantile(xs, 0.9):6.0f}" if xs else "     - /     -"


APPS = {"01_unfolding": UnfoldingApp, "02_vanishing_exploding": VanishingApp,
        "03_truncated_bptt": TruncationApp, "04_training": TrainingApp,
        "05_rnn_lstm_gru": CellsApp, "06_error_surface": SurfaceApp}


def kernel_change(app, control, value):
    """Seconds for one change: the callback, then each figure it redraws drawn and encoded."""
    figs, drawn, originals = app.figures, [], {}
    for name, fig in figs.items():          # note which figures the update asks to redraw
        originals[name] = fig.canvas.draw_idle
        fig.canvas.draw_idle = (lambda name=name: drawn.append(name))
    t0 = time.perf_counter()
    app.widgets[control].value = value
    for name, f in originals.items():
        figs[name].canvas.draw_idle = f
    for name in drawn:
        figs[name].canvas.draw()
        figs[name].canvas.get_diff_image()  # the PNG ipympl sends
    return time.perf_counter() - t0


def kernel(wanted):
    print(f"kernel's share from Python: callback + draw + PNG of the figures redrawn, {2 * N} "
          f"changes per mode, alternating (ms, median / 90th percentile)\n")
    head = f"{'lesson':<24}{'slider':<8}{'normal':>16}{'projector':>16}{'ratio':>8}"
    print(head)
    print("-" * len(head))
    every = {"normal": [], "projector": []}
    for name, control in CASES.items():
        if wanted and not any(name.startswith(p) for p in wanted):
            continue
        apps = {"normal": APPS[name](query=""), "projector": APPS[name](query="projector=1")}
        times = {"normal": [], "projector": []}
        for app in apps.values():
            for fig in app.figures.values():
                fig.canvas.syncing_data_url = False
                fig.canvas.draw()
        w = apps["normal"].widgets[control]
        values = [w.value, min(w.value + w.step, w.max)]
        for i in range(2 * N):
            for mode, app in apps.items():
                times[mode].append(kernel_change(app, control, values[(i + 1) % 2]) * 1e3)
        for mode in every:
            every[mode] += times[mode]
        ratio = statistics.median(times["projector"]) / statistics.median(times["normal"])
        print(f"{name:<24}{control:<8}{ms(times['normal']):>16}{ms(times['projector']):>16}"
              f"{ratio:>8.2f}")
        for app in apps.values():
            app.close()
    ratio = statistics.median(every["projector"]) / statistics.median(every["normal"])
    print(f"{'all changes':<32}{ms(every['normal']):>16}{ms(every['projector']):>16}"
          f"{ratio:>8.2f}\n")


def open_page(browser, url, name, query):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{url}/voila/render/{name}.ipynb{query}", timeout=120_000)
    page.wait_for_selector(".bpttviz-app .widget-readout", timeout=120_000)
    page.wait_for_timeout(2000)
    return page


def main():
    print(machine())
    wanted = [p for p in args.lessons.split(",") if p]
    kernel(wanted)
    if args.kernel:
        return
    print(f"headless Chromium 1280x720, key press -> all figures the press redraws show new "
          f"pixels, {N} presses per mode, alternating (ms, median / 90th percentile)\n")
    head = f"{'lesson':<24}{'slider':<8}{'figs':>5}{'normal':>16}{'projector':>16}{'ratio':>8}"
    print(head)
    print("-" * len(head))
    every = {"normal": [], "projector": []}
    with served_page() as (first, url):
        browser = first.context.browser
        for name, control in CASES.items():
            if wanted and not any(name.startswith(p) for p in wanted):
                continue
            pages = {"normal": open_page(browser, url, name, ""),
                     "projector": open_page(browser, url, name, "?projector=1")}
            figures = {mode: p.evaluate(PRESS_AND_WAIT, [control, [], "ArrowRight"])
                       for mode, p in pages.items()}
            times = {"normal": [], "projector": []}
            for i in range(N):
                key = "ArrowLeft" if i % 2 == 0 else "ArrowRight"    # never at an end
                for mode, p in pages.items():
                    times[mode].append(p.evaluate(PRESS_AND_WAIT, [control, figures[mode], key]))
                    p.wait_for_timeout(300)
            ok = {mode: [t for t in ts if t is not None] for mode, ts in times.items()}
            for mode in every:
                every[mode] += ok[mode]
            ratio = (statistics.median(ok["projector"]) / statistics.median(ok["normal"])
                     if ok["normal"] and ok["projector"] else float("nan"))
            lost = sum(len(ts) - len(ok[m]) for m, ts in times.items())
            print(f"{name:<24}{control:<8}{len(figures['normal']):>5}{ms(ok['normal']):>16}"
                  f"{ms(ok['projector']):>16}{ratio:>8.2f}"
                  + (f"   ({lost} presses timed out)" if lost else ""))
            for p in pages.values():
                p.close()
    ratio = statistics.median(every["projector"]) / statistics.median(every["normal"])
    print(f"{'all presses':<32}{'':>5}{ms(every['normal']):>16}{ms(every['projector']):>16}"
          f"{ratio:>8.2f}")


if __name__ == "__main__":
    main()
