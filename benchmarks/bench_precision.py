"""What float32 costs in precision: gradients and flow against float64 on the same weights.

    python benchmarks/bench_precision.py [--threads N]

For tanh Elman networks (H = 32, B = 4) with W_hh of spectral radius 0.9
(vanishing) and 1.5 (chaotic), at T = 10, 100, 1000: the relative error of
the float32 full-BPTT gradient (largest entry error over largest entry) and
the median relative error of the float32 flow matrix where the float64 flow
is above 1e-30. Also the speed ratio float32 / float64 of the lean path.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import benchmark_parser, machine, parse_args  # noqa: E402

args = parse_args(benchmark_parser(__doc__, threads="BLAS"))

import numpy as np  # noqa: E402

import bpttviz  # noqa: E402


def main():
    print(f"# float32 against float64; {machine()}")
    print(f"{'radius':>6} {'T':>5} | {'grad rel. err':>13} {'flow median rel. err':>21} | {'time32/time64':>13}")
    for radius in (0.9, 1.5):
        for T in (10, 100, 1000):
            rng = np.random.default_rng(0)
            x, y = rng.normal(size=(T, 4, 3)), rng.normal(size=(T, 4, 2))
            m64 = bpttviz.ElmanRNN(3, 32, 2, radius=radius, seed=1)
            m32 = bpttviz.ElmanRNN(3, 32, 2, radius=radius, seed=1, dtype="float32")
            m32.params = {k: v.astype(np.float32) for k, v in m64.params.items()}
            t64, t32 = bpttviz.bptt(m64, x, y), bpttviz.bptt(m32, x, y)
            g64, g32 = t64.updates[0].grads, t32.updates[0].grads
            err = max(float(np.abs(g32[k] - g64[k]).max() / np.abs(g64[k]).max()) for k in g64)
            keep = t64.flow > 1e-30
            flow_err = float(np.median(np.abs(t32.flow[keep] - t64.flow[keep]) / t64.flow[keep]))
            times = {}
            for name, model in (("64", m64), ("32", m32)):
                bpttviz.bptt(model, x, y, record=False)
                t0 = time.perf_counter()
                for _ in range(5):
                    bpttviz.bptt(model, x, y, record=False)
                times[name] = time.perf_counter() - t0
            print(f"{radius:6.1f} {T:5d} | {err:13.1e} {flow_err:21.1e} | {times['32'] / times['64']:13.2f}")


if __name__ == "__main__":
    main()
