"""Truncated BPTT(k1, k2) with k1 < k2: bpttviz against a correct PyTorch implementation.

    python benchmarks/bench_tbptt.py [--quick] [--threads N]

PyTorch has no k1 != k2 truncation built in. The correct way with autograd is
to re-run each update's window from the detached state before it: a no-grad
forward over the sequence gives the states, then every update forwards its
k2-step window with grad from ``h[t_u - k2 - 1].detach()`` and backpropagates
the mean of its k1 injected losses. bpttviz runs the forward once and sweeps
each window backward from stored states. The script first checks that both
give the same summed gradient, then times them (medians of interleaved rounds).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import (benchmark_parser, fmt_time, interleaved, machine,  # noqa: E402
                                parse_args, torch_or_none)

args = parse_args(benchmark_parser(__doc__, quick="fewer sizes and rounds", threads="BLAS/PyTorch"))

import numpy as np  # noqa: E402

import bpttviz  # noqa: E402
from bpttviz import schedules  # noqa: E402

I, O = 8, 4


def torch_tbptt(torch, model, x, y, sched):
    """Returns a function computing the summed gradient of all updates, and the module."""
    tdt = torch.float64 if x.dtype == np.float64 else torch.float32
    H = model.n_hidden
    rnn = torch.nn.RNN(I, H, nonlinearity="tanh").to(tdt)
    lin = torch.nn.Linear(H, O).to(tdt)
    P = model.params
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(P["W_xh"]))
        rnn.weight_hh_l0.copy_(torch.tensor(P["W_hh"]))
        rnn.bias_ih_l0.copy_(torch.tensor(P["b_h"]))
        rnn.bias_hh_l0.zero_()
        lin.weight.copy_(torch.tensor(P["W_hy"]))
        lin.bias.copy_(torch.tensor(P["b_y"]))
    X, Y = torch.tensor(x), torch.tensor(y)
    B = x.shape[1]

    def run():
        rnn.zero_grad()
        lin.zero_grad()
        with torch.no_grad():
            states, _ = rnn(X)                                   # (T, B, H)
        for plan in sched.updates:
            lo, hi = plan.window
            h0 = (states[lo - 1] if lo > 0 else torch.zeros(B, H, dtype=tdt)).detach()
            out, _ = rnn(X[lo:hi + 1], h0[None])
            taus = torch.as_tensor(plan.losses - lo)
            err = lin(out[taus]) - Y[plan.losses]
            loss = 0.5 * (err ** 2).sum() / B / len(plan.losses)
            loss.backward()                                      # grads add up over updates
    return run, rnn, lin


def main():
    torch = torch_or_none()
    if torch is None:
        sys.exit("This benchmark compares with PyTorch: install it (make torch).")
    print(f"# TBPTT(k1, k2), k1 < k2, T = 1000; {machine()}; PyTorch {torch.__version__}")
    head = (f"{'H':>4} {'B':>3} {'k1':>3} {'k2':>3} | {'bpttviz':>10} {'PyTorch':>10} | "
            f"{'ratio':>6} | max rel. diff")
    print(head)
    print("-" * len(head))
    T = 1000
    configs = [(1, 20), (5, 20), (10, 50)] if not args.quick else [(5, 20)]
    for H in ([16, 64] if args.quick else [16, 64, 256]):
        for B in (1, 32):
            for k1, k2 in configs:
                rng = np.random.default_rng(0)
                x, y = rng.normal(size=(T, B, I)), rng.normal(size=(T, B, O))
                model = bpttviz.ElmanRNN(I, H, O, radius=0.9)
                sched = schedules.tbptt(T, k1, k2)
                trun, rnn, lin = torch_tbptt(torch, model, x, y, sched)
                trun()
                ours = bpttviz.bptt(model, x, y, schedule=sched, record=False).grads
                theirs = {"W_xh": rnn.weight_ih_l0.grad, "W_hh": rnn.weight_hh_l0.grad,
                          "b_h": rnn.bias_ih_l0.grad, "W_hy": lin.weight.grad, "b_y": lin.bias.grad}
                diff = max(float(np.abs(ours[k] - theirs[k].numpy()).max()
                                 / np.abs(ours[k]).max()) for k in ours)
                t = interleaved({"np": lambda: bpttviz.bptt(model, x, y, schedule=sched, record=False),
                                 "torch": trun}, repeat=3 if args.quick else 5)
                print(f"{H:4d} {B:3d} {k1:3d} {k2:3d} | {fmt_time(t['np']):>10} "
                      f"{fmt_time(t['torch']):>10} | {t['np'] / t['torch']:6.2f} | {diff:.1e}",
                      flush=True)


if __name__ == "__main__":
    main()
