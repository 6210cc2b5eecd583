"""Beyond truncation on a lag: which gradient learns what TBPTT with k2 below the lag cannot, at what cost.

    .venv/bin/python experiments/online_lag.py                # both parts
    .venv/bin/python experiments/online_lag.py --part adding  # or --part echo
    .venv/bin/python experiments/online_lag.py --quick        # fewer updates, one seed

Part "echo" is lesson 7's setting, small enough for every method to run in
full: random inputs, the target from step L on is the input L steps earlier
(bpttviz.lessons.beyond_truncation.echo_batch), an Elman RNN with H = 8, every method
updating every k2 = 4 < L = 6 steps (RTRL and UORO online, their sensitivity
carried across updates), trained on one fixed batch of 32 sequences and
scored on 256 held-out ones (MSE over the steps with a target, against the
baseline 1/2 of predicting 0).

Part "adding" is the harder one:

Task: bpttviz.tasks.AddingProblem(lag=L): two marked values among the first
T - L steps, their sum the target of the last step only (baseline MSE 1/12,
always predicting the mean). An Elman RNN (tanh) is trained with one update
per sequence, at the last step, with the gradient of

* TBPTT with k2 < L (no gradient reaches a marker),
* full BPTT (the exact gradient, backward),
* randomized truncation (Tallec & Ollivier 2017): geometric lengths beyond
  k_min, kept terms reweighted by 1/P(kept); unbiased, noisy,
* UORO (Tallec & Ollivier 2018): unbiased rank-one forward estimate, noisy,
* RTRL (Williams & Zipser 1989): the exact gradient, forward. With one
  target per sequence it applies the same gradients as full BPTT, at far
  more compute; it is run for ``rtrl_updates`` updates on the first seed
  only and its losses are compared with full BPTT's over those updates.

Same model initialization, data, optimizer (Adam), clipping and number of
updates for every method. Each run is scored on 1000 held-out sequences (MSE
/ baseline, and the fraction with absolute error below 0.04, Hochreiter &
Schmidhuber 1997), and its compute is the history's forward-step equivalents
(the engine's counted steps for BPTT and truncation, a backward step = 2
forward steps; counted multiply-adds over those of one forward step for RTRL
and UORO). Prints figures; asserts nothing.
"""

import argparse
import time

import numpy as np

import bpttviz
from bpttviz import schedules
from bpttviz.tasks import AddingProblem

CONFIG = dict(lag=10, hidden=32, batch_size=32, n_updates=3000, lr=0.003, clip=1.0,
              k2_short=5, k_min=5, p=0.2, seeds=(0, 1, 2), rtrl_updates=30)


def score(model, task, n=1000):
    batch = task.sample(n, np.random.default_rng(12345))
    err = model.predict(batch.inputs)[-1, :, 0] - batch.targets[-1, :, 0]
    return 0.5 * float(np.mean(err ** 2)), float(np.mean(np.abs(err) < 0.04))


def methods(c, T):
    return {
        f"tbptt k2={c['k2_short']}": dict(k2=c["k2_short"]),
        "full bptt": dict(),
        f"randomized k_min={c['k_min']} p={c['p']}": dict(
            schedule=schedules.randomized(T, k_min=c["k_min"], p=c["p"], seed=7)),
        "uoro": dict(method="uoro"),
        "rtrl": dict(method="rtrl"),
    }


ECHO = dict(T=20, lag=6, hidden=8, k2=4, k_min=2, p=0.3, lr=0.01, clip=1.0, n_updates=1500,
            seeds=(0, 1, 2))


def echo(quick):
    from bpttviz.lessons.beyond_truncation import echo_batch
    c = dict(ECHO)
    if quick:
        c.update(n_updates=300, seeds=(0,))
    T, k2 = c["T"], c["k2"]
    print(f"\nPart echo: Elman RNN (tanh, H={c['hidden']}), T={T}, lag {c['lag']}, an update every "
          f"k2={k2} steps; Adam lr={c['lr']}, clip {c['clip']}, one fixed batch of 32, "
          f"{c['n_updates']} updates; baseline MSE 0.5.")
    head = (f"{'method':<26}{'seed':>5}{'MSE/baseline':>14}{'fwd-equiv/update':>18}"
            f"{'peak floats':>13}{'seconds':>9}")
    print(head)
    print("-" * len(head))
    runs = {f"tbptt k2={k2}": dict(k1=k2, k2=k2),
            "full bptt (k1=T)": dict(),
            f"randomized k_min={c['k_min']} p={c['p']}": None,
            "uoro": dict(k1=k2, method="uoro"),
            "rtrl": dict(k1=k2, method="rtrl")}
    summary = {}
    for name, kw in runs.items():
        for seed in c["seeds"]:
            if kw is None:
                kw_s = dict(schedule=schedules.randomized(T, k2, k_min=c["k_min"], p=c["p"],
                                                          seed=seed))
            else:
                kw_s = kw
            batch = echo_batch(T, c["lag"], 32, seed)
            held = echo_batch(T, c["lag"], 256, 10_000 + seed)
            model = bpttviz.ElmanRNN(1, c["hidden"], 1, seed=seed, radius=1.0)
            if kw_s.get("method") in ("rtrl", "uoro"):
                probe = getattr(bpttviz, kw_s["method"])(model, batch.inputs, batch.targets, k2,
                                                         mask=batch.mask)
            else:
                probe = bpttviz.bptt(model, batch.inputs, batch.targets, mask=batch.mask,
                                     k1=kw_s.get("k1"), k2=kw_s.get("k2"),
                                     schedule=kw_s.get("schedule"), record=False)
            start = time.perf_counter()
            hist = bpttviz.train(model, batch, optimizer="adam", lr=c["lr"], clip=c["clip"],
                                 n_updates=c["n_updates"], seed=seed, progress=False, **kw_s)
            seconds = time.perf_counter() - start
            err = model.predict(held.inputs)[c["lag"]:] - held.targets[c["lag"]:]
            ratio = float(0.5 * np.mean(err ** 2)) / 0.5
            summary.setdefault(name, []).append(ratio)
            print(f"{name:<26}{seed:>5}{ratio:>14.3f}"
                  f"{hist.forward_equivalents[-1] / len(hist):>18.0f}"
                  f"{probe.cost.peak_stored_floats:>13d}{seconds:>9.1f}", flush=True)
    print("Median MSE / baseline over seeds: " + ", ".join(
        f"{k}: {np.median(v):.3f}" for k, v in summary.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer updates, seed 0 only")
    parser.add_argument("--part", choices=["all", "echo", "adding"], default="all")
    args = parser.parse_args()
    if args.part in ("all", "echo"):
        echo(args.quick)
    if args.part in ("all", "adding"):
        adding(args.quick)


def adding(quick):
    c = dict(CONFIG)
    if quick:
        c.update(n_updates=600, seeds=(0,), rtrl_updates=10)
    task = AddingProblem(lag=c["lag"])
    T = task.seq_len
    mean_k = schedules.expected_length(c["k_min"], c["p"])
    print(f"\nPart adding: Elman RNN (tanh, H={c['hidden']}) on {task!r}: one update per sequence at the last "
          f"step; Adam lr={c['lr']}, clip {c['clip']} (norm), batch {c['batch_size']}, "
          f"{c['n_updates']} updates; baseline MSE {task.baseline:.4f}.")
    print(f"Markers lie in steps 0..{T - c['lag'] - 1}: a window must reach back more than "
          f"{c['lag']} states. Randomized truncation: mean length {mean_k:.1f}, "
          f"P(length >= {c['lag'] + 1}) = {(1 - c['p']) ** (c['lag'] + 1 - c['k_min']):.3f}, "
          f"largest weight {(1 - c['p']) ** -(T - c['k_min']):.1f}.")
    head = (f"{'method':<26}{'seed':>5}{'MSE/baseline':>14}{'solved':>8}"
            f"{'fwd-equiv/update':>18}{'peak floats':>13}{'seconds':>9}")
    print(head)
    print("-" * len(head))
    summary, losses = {}, {}
    for name, kw in methods(c, T).items():
        online = kw.get("method") == "rtrl"
        for seed in c["seeds"][:1] if online else c["seeds"]:
            n_updates = c["rtrl_updates"] if online else c["n_updates"]
            model = bpttviz.ElmanRNN(task.n_in, c["hidden"], task.n_out, seed=seed)
            probe = task.sample(c["batch_size"], np.random.default_rng(0))
            if kw.get("method") == "rtrl":
                peak = bpttviz.rtrl(model, probe.inputs, probe.targets, mask=probe.mask)
            elif kw.get("method") == "uoro":
                peak = bpttviz.uoro(model, probe.inputs, probe.targets, mask=probe.mask)
            else:
                peak = bpttviz.bptt(model, probe.inputs, probe.targets, mask=probe.mask,
                                    k2=kw.get("k2"), schedule=kw.get("schedule"), record=False)
            start = time.perf_counter()
            hist = bpttviz.train(model, task, optimizer="adam", lr=c["lr"], clip=c["clip"],
                                 n_updates=n_updates, batch_size=c["batch_size"], seed=seed,
                                 progress=False, **kw)
            seconds = time.perf_counter() - start
            mse, solved = score(model, task)
            per_update = hist.forward_equivalents[-1] / len(hist)
            losses[name, seed] = hist.loss
            if online:
                full = losses["full bptt", seed][:n_updates]
                print(f"{name:<26}{seed:>5}   (after {n_updates} updates; max |loss - full "
                      f"BPTT's loss| over them: {np.max(np.abs(hist.loss - full)):.1e})"
                      f"{per_update:>10.0f}{peak.cost.peak_stored_floats:>13d}{seconds:>9.1f}",
                      flush=True)
                continue
            summary.setdefault(name, []).append(mse / task.baseline)
            print(f"{name:<26}{seed:>5}{mse / task.baseline:>14.3f}{solved:>8.2f}"
                  f"{per_update:>18.0f}{peak.cost.peak_stored_floats:>13d}{seconds:>9.1f}",
                  flush=True)
    print("Median MSE / baseline over seeds: " + ", ".join(
        f"{k}: {np.median(v):.3f}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
