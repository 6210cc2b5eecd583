"""Peak memory of BPTT: full grows with T·B·H, truncated with k2·B·H; checkpointing trades time for it.

    python benchmarks/bench_memory.py [--quick]

Two measures per run: the engine's own count of stored activations
(``trace.cost.peak_stored_bytes``) and the peak of NumPy allocations seen by
``tracemalloc`` during the call (everything: buffers, temporaries, gradients),
with the inputs allocated beforehand, minus the per-update gradients the
trace returns. Lean path (record=False), B = 8, H = 64.
"""

import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser, fmt_time, machine, parse_args  # noqa: E402

args = parse_args(benchmark_parser(__doc__, quick="fewer sizes"))

import numpy as np  # noqa: E402

import bpttviz  # noqa: E402

B, I, H, O = 8, 4, 64, 1


def measure(model, x, y, **kw):
    """Engine cost, working peak bytes and seconds of one lean bptt call.

    The working peak is the tracemalloc peak minus the gradients the trace
    returns (one set per update: the result, not working memory).
    """
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    trace = bpttviz.bptt(model, x, y, record=False, **kw)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    returned = sum(g.nbytes for u in trace.updates for g in u.grads.values())
    return trace.cost, peak - returned, seconds


def fit(xs, ys):
    """Slope and intercept of a least-squares line."""
    slope, icpt = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return slope, icpt


def main():
    print(f"# Peak memory, B={B}, H={H}, I={I}, O={O}, float64; {machine()}")
    model = bpttviz.ElmanRNN(I, H, O, radius=0.9)
    rng = np.random.default_rng(0)
    Ts = [250, 500, 1000, 2000] if args.quick else [250, 500, 1000, 2000, 4000]
    data = {T: (rng.normal(size=(T, B, I)), rng.normal(size=(T, B, O))) for T in Ts}
    per_step = B * (H + O) * 8                 # bytes of states and loss gradients per step

    print("\nFull BPTT: memory against T")
    print(f"{'T':>6} | {'stored (engine)':>16} {'working (tracemalloc)':>22} | {'bytes/(T·B·H)':>13}")
    rows = []
    for T in Ts:
        cost, peak, _ = measure(model, *data[T])
        rows.append((T, peak))
        print(f"{T:6d} | {cost.peak_stored_bytes:16,d} {peak:22,d} | {peak / (T * B * H):13.1f}")
    slope, icpt = fit(*zip(*rows))
    print(f"fit: peak = {slope:,.0f} bytes per step + {icpt:,.0f}  (states+dy alone: {per_step:,} per step)")

    print("\nTruncated BPTT(k2, k2): memory against T and k2")
    print(f"{'k2':>4} {'T':>6} | {'stored (engine)':>16} {'working (tracemalloc)':>22}")
    by_k2 = {}
    for k2 in (10, 50, 200):
        for T in Ts:
            cost, peak, _ = measure(model, *data[T], k1=k2, k2=k2)
            by_k2.setdefault(k2, []).append((T, peak))
            print(f"{k2:4d} {T:6d} | {cost.peak_stored_bytes:16,d} {peak:22,d}")
    for k2, rows in by_k2.items():
        slope, icpt = fit(*zip(*rows))
        print(f"k2={k2:3d}: peak = {slope:,.1f} bytes per step of T + {icpt:,.0f}"
              f"  (per step of T: the step-loss record and each update's loss lists)")
    peaks = [min(p for _, p in by_k2[k]) for k in by_k2]
    slope, icpt = fit(list(by_k2), peaks)
    print(f"across k2 at T={Ts[0]}: peak = {slope:,.0f} bytes per unit of k2 + {icpt:,.0f}")

    T = Ts[-1]
    print(f"\nCheckpointing (Chen et al. 2016): full BPTT at T={T}, every m-th state stored")
    print(f"{'m':>6} | {'stored (engine)':>16} {'working (tracemalloc)':>22} | "
          f"{'recomputed':>10} {'time':>10} {'time/plain':>10}")
    _, _, plain_time = measure(model, *data[T])
    _, _, plain_time = measure(model, *data[T])
    for m in (None, 10, int(np.sqrt(T)), 200, T):
        cost, peak, seconds = measure(model, *data[T], checkpoint=m)
        print(f"{'plain' if m is None else m:>6} | {cost.peak_stored_bytes:16,d} {peak:22,d} | "
              f"{cost.recomputed_steps:10d} {fmt_time(seconds):>10} {seconds / plain_time:10.2f}")


if __name__ == "__main__":
    main()
