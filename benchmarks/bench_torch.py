"""Full BPTT (forward + backward) of bpttviz against PyTorch on the CPU, and the matmul floor.

    python benchmarks/bench_torch.py [--quick] [--threads N]

For each dtype, H in {16, 64, 256}, T in {100, 1000}, B in {1, 32} (I = 8, O = 4):
bpttviz's lean path (record=False) and recording path, torch.nn.RNN + Linear with
autograd (same dtype, same thread count), and the floor: the matrix products
alone that BPTT must do. Times are medians of interleaved rounds in one run;
the ratios are what to read.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import (benchmark_parser, fmt_time, interleaved, machine,  # noqa: E402
                                parse_args, torch_or_none)

args = parse_args(benchmark_parser(__doc__, quick="fewer sizes and rounds", threads="BLAS/PyTorch"))

import numpy as np  # noqa: E402

import bpttviz  # noqa: E402

I, O = 8, 4


def floor_fn(T, B, H, dtype):
    """The matrix products of one full BPTT pass, on preallocated buffers."""
    rng = np.random.default_rng(0)
    X, Wxh, Whh = rng.normal(size=(T * B, I)), rng.normal(size=(H, I)), rng.normal(size=(H, H))
    Why, A = rng.normal(size=(O, H)), rng.normal(size=(T * B, H)) * 0.1
    X, Wxh, Whh, Why, A = (a.astype(dtype) for a in (X, Wxh, Whh, Why, A))
    Y, D = np.empty((T * B, O), dtype), np.empty((T * B, H), dtype)
    h, g = np.empty((B, H), dtype), np.empty((B, H), dtype)
    P = np.empty((T * B, H), dtype)

    def run():
        np.matmul(X, Wxh.T, out=P)                      # input projections
        for t in range(T):                              # forward recurrence
            np.matmul(A[t * B:(t + 1) * B], Whh.T, out=h)
        np.matmul(A, Why.T, out=Y)                      # read-out
        np.matmul(Y, Why, out=D)                        # its error into the states
        for t in range(T - 1):                          # backward recurrence
            np.matmul(D[t * B:(t + 1) * B], Whh, out=g)
        D.T @ X, D.T @ A, Y.T @ A                       # parameter gradients
    return run


def torch_fn(torch, x, y, H, dtype):
    tdt = getattr(torch, dtype)
    torch.manual_seed(0)
    rnn = torch.nn.RNN(I, H, nonlinearity="tanh").to(tdt)
    lin = torch.nn.Linear(H, O).to(tdt)
    X, Y = torch.tensor(x), torch.tensor(y)
    T, B = x.shape[:2]

    def run():
        rnn.zero_grad()
        lin.zero_grad()
        out, _ = rnn(X)
        loss = 0.5 * ((lin(out) - Y) ** 2).sum() / (B * T)   # mean over steps of bpttviz's MSE
        loss.backward()
    return run


def main():
    torch = torch_or_none()
    print(f"# Full BPTT, forward + backward; {machine()}")
    if torch is not None:
        print(f"# PyTorch {torch.__version__}, threads {torch.get_num_threads()}")
    dtypes = ["float64"] if args.quick else ["float64", "float32"]
    Hs = [16, 64] if args.quick else [16, 64, 256]
    head = (f"{'dtype':8} {'H':>4} {'T':>5} {'B':>3} | {'bpttviz':>10} {'recording':>10} "
            f"{'PyTorch':>10} {'floor':>10} | {'/PyTorch':>8} {'/floor':>7}")
    print(head)
    print("-" * len(head))
    for dtype in dtypes:
        for H in Hs:
            for T in (100, 1000):
                for B in (1, 32):
                    rng = np.random.default_rng(0)
                    x = rng.normal(size=(T, B, I)).astype(dtype)
                    y = rng.normal(size=(T, B, O)).astype(dtype)
                    model = bpttviz.ElmanRNN(I, H, O, radius=0.9, dtype=dtype)
                    funcs = {
                        "lean": lambda: bpttviz.bptt(model, x, y, record=False),
                        "record": lambda: bpttviz.bptt(model, x, y),
                        "floor": floor_fn(T, B, H, dtype),
                    }
                    if torch is not None:
                        funcs["torch"] = torch_fn(torch, x, y, H, dtype)
                    t = interleaved(funcs, repeat=3 if args.quick else 7)
                    tt = t.get("torch", float("nan"))
                    print(f"{dtype:8} {H:4d} {T:5d} {B:3d} | {fmt_time(t['lean']):>10} "
                          f"{fmt_time(t['record']):>10} {fmt_time(tt) if torch else 'n/a':>10} "
                          f"{fmt_time(t['floor']):>10} | {t['lean'] / tt:8.2f} "
                          f"{t['lean'] / t['floor']:7.2f}", flush=True)


if __name__ == "__main__":
    main()
