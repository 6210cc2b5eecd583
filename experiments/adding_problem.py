"""The adding problem: truncation that cannot reach the markers does not learn; the LSTM reaches further.

    .venv/bin/python experiments/adding_problem.py           # both parts
    .venv/bin/python experiments/adding_problem.py --part truncation
    .venv/bin/python experiments/adding_problem.py --part lstm

Task: bpttviz.tasks.AddingProblem(lag=L): two marked values among the first
T - L steps, their sum the target of the last step only. Baseline: always
predicting the mean 1 scores MSE (1/2 (y - 1)^2) = 1/12 = 0.0833.

Part "truncation": an Elman RNN trained with TBPTT whose single update (at
the last step, the only one with a target) backpropagates through the last
k2 states. With k2 <= L no gradient reaches a marker.

Part "lstm": full BPTT at a longer lag, the Elman RNN against the LSTM,
same budget of updates, each with the learning rate that did best for it in
a small grid on seed 0 (printed).

Each run is scored on 1000 held-out sequences: the MSE, its ratio to the
baseline, and the fraction of sequences whose absolute error is below 0.04
(Hochreiter & Schmidhuber's criterion). Prints figures; asserts nothing.
"""

import argparse
import time

import numpy as np

import bpttviz
from bpttviz.tasks import AddingProblem
from bpttviz.training import train

TRUNCATION = dict(lag=10, hidden=32, lr=0.003, clip=1.0, batch_size=32, n_updates=3000,
                  k2s=(2, 5, 10, 15, None), seeds=(0, 1, 2))
LSTM_VS_ELMAN = dict(lag=30, batch_size=64, n_updates=3000, clip=1.0, seeds=(0, 1, 2),
                     models={"ElmanRNN": dict(hidden=32, kwargs={}),
                             "LSTM": dict(hidden=16, kwargs={"forget_bias": 3.0})},
                     lr_grid=(0.003, 0.01))


def score(model, task, n=1000):
    """Held-out MSE (1/2 (yhat - y)^2 at the last step) and the fraction solved (|error| < 0.04)."""
    batch = task.sample(n, np.random.default_rng(12345))
    err = model.predict(batch.inputs)[-1, :, 0] - batch.targets[-1, :, 0]
    return 0.5 * float(np.mean(err ** 2)), float(np.mean(np.abs(err) < 0.04))


def run(cls, hidden, kwargs, task, seed, **train_args):
    model = getattr(bpttviz, cls)(task.n_in, hidden, task.n_out, seed=seed, **kwargs)
    start = time.perf_counter()
    history = train(model, task, seed=seed, progress=False, **train_args)
    seconds = time.perf_counter() - start
    mse, solved = score(model, task)
    return mse, solved, seconds, history


def truncation():
    c = TRUNCATION
    task = AddingProblem(lag=c["lag"])
    T = task.seq_len
    print(f"Part 1. Elman RNN (tanh, H={c['hidden']}) on {task!r}, TBPTT with one update at the "
          f"last step through its last k2 states; Adam lr={c['lr']}, clip {c['clip']} (norm), "
          f"batch {c['batch_size']}, {c['n_updates']} updates; baseline MSE {task.baseline:.4f}.")
    print(f"Markers lie in steps 0..{T - c['lag'] - 1}; a window of k2 states reaches step "
          f"{T} - k2, so k2 >= {c['lag'] + 1} reaches the latest marker and k2 >= {T} both.")
    header = f"{'k2':>4} {'seed':>4} {'held-out MSE':>12} {'x baseline':>10} {'solved':>7} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    summary = {}
    for k2 in c["k2s"]:
        for seed in c["seeds"]:
            mse, solved, seconds, _ = run("ElmanRNN", c["hidden"], {}, task, seed, k2=k2,
                                          lr=c["lr"], clip=c["clip"], batch_size=c["batch_size"],
                                          n_updates=c["n_updates"])
            summary.setdefault(k2, []).append(mse / task.baseline)
            print(f"{k2 or T:>4} {seed:>4} {mse:>12.4f} {mse / task.baseline:>10.3f} "
                  f"{solved:>7.2f} {seconds:>8.1f}", flush=True)
    print("Median MSE / baseline over seeds: "
          + ", ".join(f"k2={k2 or T}: {np.median(v):.3f}" for k2, v in summary.items()) + "\n")


def lstm_vs_elman():
    c = LSTM_VS_ELMAN
    task = AddingProblem(lag=c["lag"])
    print(f"Part 2. Full BPTT on {task!r}: Elman RNN against LSTM, batch {c['batch_size']}, "
          f"{c['n_updates']} updates, Adam, clip {c['clip']} (norm); baseline MSE "
          f"{task.baseline:.4f}.")
    for cls, spec in c["models"].items():
        extra = f", {spec['kwargs']}" if spec["kwargs"] else ""
        print(f"{cls} (H={spec['hidden']}{extra}): learning rate grid on seed 0:")
        best = None
        results = {}
        for lr in c["lr_grid"]:
            out = run(cls, spec["hidden"], spec["kwargs"], task, c["seeds"][0], lr=lr,
                      clip=c["clip"], batch_size=c["batch_size"], n_updates=c["n_updates"])
            results[(lr, c["seeds"][0])] = out
            print(f"  lr={lr:<6g} held-out MSE {out[0]:.4f} ({out[0] / task.baseline:.3f} x "
                  f"baseline), solved {out[1]:.2f}, {out[2]:.0f} s", flush=True)
            if best is None or out[0] < best[1]:
                best = (lr, out[0])
        lr = best[0]
        print(f"  -> lr={lr}; seeds:")
        for seed in c["seeds"]:
            out = results.get((lr, seed)) or run(cls, spec["hidden"], spec["kwargs"], task, seed,
                                                 lr=lr, clip=c["clip"],
                                                 batch_size=c["batch_size"],
                                                 n_updates=c["n_updates"])
            mse, solved, seconds, history = out
            curve = history.loss.reshape(-1, c["n_updates"] // 10).mean(axis=1)
            print(f"  seed {seed}: held-out MSE {mse:.4f} ({mse / task.baseline:.3f} x baseline), "
                  f"solved {solved:.2f}, {seconds:.0f} s; training loss by tenths: "
                  + " ".join(f"{v:.3f}" for v in curve), flush=True)
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("truncation", "lstm", "both"), default="both")
    args = parser.parse_args()
    print(f"bpttviz {bpttviz.__version__}, numpy {np.__version__}\n")
    if args.part in ("truncation", "both"):
        truncation()
    if args.part in ("lstm", "both"):
        lstm_vs_elman()


if __name__ == "__main__":
    main()
