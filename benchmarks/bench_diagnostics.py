"""Timings of the diagnostics a lesson redraws on a slider: product norms, flow, truncation bias.

    python benchmarks/bench_diagnostics.py [--quick] [--threads N]

At the lesson size (T = 100, H = 32, B = 1) and at T = 1000: medians of
interleaved rounds (see benchmarks/_common.py), on a tanh Elman network with
sigma_max(W_hh) = 1. ``jacobian_product_norms`` is timed at its default
tolerance, at rtol = 1e-6, and with an exact SVD of every product (rtol = 0;
T = 100 only); the largest relative gap to the exact values is printed too.
``trace.flow`` is the engine's O(T^2) flow matrix; ``truncation_bias`` runs
one full and one truncated BPTT per k2 value. No assertions: figures only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import (benchmark_parser, fmt_time, interleaved, machine,  # noqa: E402
                                parse_args)

args = parse_args(benchmark_parser(__doc__, quick="fewer rounds, T = 1000 once", threads="BLAS"))

import numpy as np  # noqa: E402

import bpttviz  # noqa: E402
from bpttviz import diagnostics as D  # noqa: E402
from bpttviz.engine import flow_matrix, make_problem  # noqa: E402

H, B, I, O = 32, 1, 1, 1


def case(T):
    model = bpttviz.ElmanRNN(I, H, O, "tanh", seed=0, sigma=1.0)
    rng = np.random.default_rng(1)
    return model, rng.normal(size=(T, B, I)), rng.normal(size=(T, B, O))


def run(T, k2s, exact, repeat):
    model, x, y = case(T)
    pb = make_problem(model, x, y)
    funcs = {
        "jacobian_product_norms (rtol=1e-3)": lambda: D.jacobian_product_norms(model, x),
        "jacobian_product_norms (rtol=1e-6)": lambda: D.jacobian_product_norms(model, x, rtol=1e-6),
        "trace.flow (engine flow_matrix)": lambda: flow_matrix(pb),
        f"truncation_bias ({len(k2s)} k2 values)": lambda: D.truncation_bias(model, x, y, k2s),
        "jacobian_singular_values": lambda: D.jacobian_singular_values(model, x),
        "lyapunov_exponent": lambda: D.lyapunov_exponent(model, x),
    }
    if exact:
        funcs["jacobian_product_norms (rtol=0, exact)"] = \
            lambda: D.jacobian_product_norms(model, x, rtol=0.0)
    times = interleaved(funcs, repeat=repeat, min_time=0.05 if T <= 100 else 0.0)
    print(f"\n## T={T}, H={H}, B={B}")
    for name, seconds in times.items():
        print(f"{name:42s} {fmt_time(seconds)}")
    if exact:
        ref = D.jacobian_product_norms(model, x, rtol=0.0)
        low = ref > 0
        for rtol in (1e-3, 1e-6):
            N = D.jacobian_product_norms(model, x, rtol=rtol)
            gap = np.max((ref[low] - N[low]) / ref[low])
            print(f"largest relative gap to exact, rtol={rtol:g}: {gap:.2e}")


def main():
    print(f"# Diagnostics timings, tanh Elman, sigma_max(W_hh) = 1, float64; {machine()}")
    run(100, [1, 2, 5, 10, 20, 50, 100], exact=True, repeat=3 if args.quick else 7)
    run(1000, [1, 10, 100, 1000], exact=False, repeat=1 if args.quick else 3)


if __name__ == "__main__":
    main()
