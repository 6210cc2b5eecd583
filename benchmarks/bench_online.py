"""Forward-mode gradients: RTRL's and UORO's time per step against H and T, TBPTT's memory against k2.

    python benchmarks/bench_online.py [--quick] [--threads N]

RTRL (Williams & Zipser 1989) carries the exact sensitivity ds_t/dtheta:
O(H^4) multiply-adds per step for an Elman network, memory O(H^3) whatever T.
UORO (Tallec & Ollivier 2018) carries a rank-one estimate of it: O(H^2) per
step and in memory. TBPTT(k1, k2) stores k2 steps of activations and does
O(H^2) work per step and per state swept. The script times one gradient
computation per method (medians of interleaved rounds), divides by the steps,
and fits the slope of log(time per step) against log(H) over the largest sizes
(small sizes are dominated by Python's per-step overhead); it also prints the
multiply-adds each run counted and the peak stored floats it measured.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import (benchmark_parser, fmt_time, interleaved, machine,  # noqa: E402
                                parse_args)

parser = benchmark_parser(__doc__, quick="fewer sizes and rounds", threads="BLAS")
parser.add_argument("--part", choices=["all", "rtrl", "uoro", "tbptt", "T", "memory"],
                    default="all", help="run one part only (default all)")
args = parse_args(parser)

import numpy as np  # noqa: E402

import bpttviz  # noqa: E402

I, O, B = 4, 1, 1


def data(T, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, B, I)), rng.normal(size=(T, B, O))


def slope(H, t):
    """Least-squares slope of log t against log H."""
    return float(np.polyfit(np.log(H), np.log(t), 1)[0])


def against_H(name, run, sizes, T, fit_last, repeat):
    print(f"\n## {name}: time per step against H (T = {T}, B = {B}, I = {I}, O = {O})")
    head = f"{'H':>6} | {'per step':>10} | {'Mflops/step':>11} | {'peak floats':>12}"
    print(head)
    print("-" * len(head))
    x, y = data(T)
    times, flops = [], []
    for H in sizes:
        model = bpttviz.ElmanRNN(I, H, O, seed=0, radius=0.9)
        trace = run(model, x, y)
        t = interleaved({"run": lambda: run(model, x, y)}, repeat=repeat, min_time=0.02)["run"] / T
        f = trace.cost.flops if trace.cost.flops is not None else bpttviz.diagnostics.engine_flops(
            model.cell, B, O, trace.cost.forward_steps, trace.cost.backward_steps)
        times.append(t)
        flops.append(f / T)
        print(f"{H:>6} | {fmt_time(t):>10} | {f / T / 1e6:>11.3f} | "
              f"{trace.cost.peak_stored_floats:>12d}", flush=True)
    k = fit_last
    print(f"slope of time per step in H over H = {sizes[-k:]}: {slope(sizes[-k:], times[-k:]):.2f}"
          f"  (counted multiply-adds: {slope(sizes[-k:], flops[-k:]):.2f})")


def against_T(sizes_T, H, repeat):
    print(f"\n## Time per step and memory against T (H = {H}, B = {B})")
    head = (f"{'T':>6} | {'RTRL/step':>10} {'peak':>8} | {'UORO/step':>10} {'peak':>8} | "
            f"{'BPTT/step':>10} {'peak':>8}")
    print(head)
    print("-" * len(head))
    model = bpttviz.ElmanRNN(I, H, O, seed=0, radius=0.9)
    for T in sizes_T:
        x, y = data(T)
        runs = {"rtrl": lambda: bpttviz.rtrl(model, x, y),
                "uoro": lambda: bpttviz.uoro(model, x, y, seed=0),
                "bptt": lambda: bpttviz.bptt(model, x, y, record=False)}
        times = interleaved(runs, repeat=repeat, min_time=0.02)
        peaks = {k: f().cost.peak_stored_floats for k, f in runs.items()}
        print(f"{T:>6} | {fmt_time(times['rtrl'] / T):>10} {peaks['rtrl']:>8d} | "
              f"{fmt_time(times['uoro'] / T):>10} {peaks['uoro']:>8d} | "
              f"{fmt_time(times['bptt'] / T):>10} {peaks['bptt']:>8d}", flush=True)


def tbptt_memory(T, H, k2s):
    print(f"\n## TBPTT(k1 = k2, k2) memory against k2 (T = {T}, H = {H}, B = {B}); "
          f"RTRL and UORO for comparison")
    head = f"{'method':>16} | {'peak stored floats':>18} | {'forward':>8} {'backward':>8}"
    print(head)
    print("-" * len(head))
    model = bpttviz.ElmanRNN(I, H, O, seed=0, radius=0.9)
    x, y = data(T)
    for k2 in k2s:
        c = bpttviz.bptt(model, x, y, k1=k2, k2=k2, record=False).cost
        print(f"{'tbptt k2=' + str(k2):>16} | {c.peak_stored_floats:>18d} | "
              f"{c.forward_steps:>8d} {c.backward_steps:>8d}")
    for name, f in (("rtrl", bpttviz.rtrl), ("uoro", bpttviz.uoro)):
        c = f(model, x, y).cost
        print(f"{name:>16} | {c.peak_stored_floats:>18d} | {c.forward_steps:>8d} {0:>8d}")


def main():
    print(f"# Forward-mode gradients, Elman tanh, float64; {machine()}")
    repeat = 3 if args.quick else 5
    rtrl_H = [8, 16, 32, 48] if args.quick else [16, 32, 64, 128, 192, 256]
    uoro_H = [16, 64, 256, 512] if args.quick else [16, 64, 128, 256, 512, 1024]
    bptt_H = [16, 64, 256, 512] if args.quick else [16, 64, 128, 256, 512, 1024]
    part = args.part
    if part in ("all", "rtrl"):
        against_H("RTRL", bpttviz.rtrl, rtrl_H, 10, 3, repeat)
    if part in ("all", "uoro"):
        against_H("UORO", lambda m, x, y: bpttviz.uoro(m, x, y, seed=0), uoro_H, 20, 3, repeat)
    if part in ("all", "tbptt"):
        against_H("TBPTT(k1 = k2 = 10)", lambda m, x, y: bpttviz.bptt(m, x, y, k1=10, k2=10,
                                                                       record=False),
                  bptt_H, 100, 3, repeat)
    if part in ("all", "T"):
        against_T([25, 100] if args.quick else [25, 100, 400, 1600], 16, repeat)
    if part in ("all", "memory"):
        tbptt_memory(1000, 64, [5, 10, 50, 100, 500, 1000])


if __name__ == "__main__":
    main()
