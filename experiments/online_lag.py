"""Beyond truncation on a lag: which gradient learns what TBPTT with k2 below the lag cannot, at what cost.

    .venv/bin/python experiments/online_lag.py             # all methods, seeds 0 and 1
    .venv/bin/python experiments/online_lag.py --quick     # fewer updates, one seed

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 updates, seed 0 only")
    args = parser.parse_args()
    c = dict(CONFIG)
    if args.quick:
        c.update(n_updates=600, seeds=(0,), rtrl_updates=10)
    task = AddingProblem(lag=c["lag"])
    T = task.seq_len
    mean_k = schedules.expected_length(c["k_min"], c["p"])
    print(f"Elman RNN (tanh, H={c['hidden']}) on {task!r}: one update per sequence at the last "
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
