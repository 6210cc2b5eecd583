"""Compute to reach a loss: BPTT against an evolution strategy, on the same task and network.

    .venv/bin/python experiments/es_vs_bptt.py

Task: next-value prediction on a sine wave (T = 20, batch 32), an Elman RNN
with 16 tanh units (305 parameters), then 32 (1121 parameters). BPTT is full
BPTT with Adam; the baseline is the antithetic evolution strategy of
Salimans et al. (2017) (bpttviz.es) with Adam, its sigma and learning rate
picked from a small grid on seed 0 with 16 units (and kept for 32). Both are
scored after every update on a fixed held-out batch of 1000 sequences (that
scoring is not counted as compute).

Compute is in forward-step equivalents (one cell step over the batch = 1),
a backward step counting BACKWARD_COST = 2 forward steps. The script first
measures that ratio on this engine. Full BPTT costs 3T per update (T steps
forward, T backward); ES costs (population + 1) T per generation.

Prints figures; asserts nothing. Takes a few minutes on 2 cores.
"""

import time

import numpy as np

import bpttviz
from bpttviz.es import batch_loss, train_es
from bpttviz.tasks import SineWave
from bpttviz.training import BACKWARD_COST, train

T, B = 20, 32
HIDDEN = (16, 32)
SEEDS = (0, 1, 2)
TARGETS = (0.1, 0.03, 0.01)         # fractions of the baseline loss
BPTT = dict(lr=0.01, n_updates=600)
ES_GRID = dict(sigma=(0.02, 0.05, 0.1), lr=(0.01, 0.03))
ES = dict(population=50, n_generations=1500)
EVERY = 1


def measure_backward_cost(H, repeats=30):
    """Seconds of one backward step over one forward step, on this engine (full BPTT)."""
    model = bpttviz.ElmanRNN(1, H, 1, seed=0)
    batch = SineWave(seq_len=200).sample(B, 0)

    def best(f):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return min(times)

    forward = best(lambda: bpttviz.unroll(model, batch.inputs))
    both = best(lambda: bpttviz.bptt(model, batch.inputs, batch.targets, record=False))
    return (both - forward) / forward, forward, both        # bptt runs the forward once itself


def scored_run(run, model, eval_batch):
    """Run ``run(model, callback)``; return rows (updates, forward equivalents, seconds, eval loss)."""
    rows, spent = [], [0.0, time.perf_counter()]

    def callback(history, u):
        if (u + 1) % EVERY == 0:
            now = time.perf_counter()
            spent[0] += now - spent[1]
            rows.append((u + 1, history.forward_equivalents[-1], spent[0],
                         batch_loss(model, eval_batch)))
            spent[1] = time.perf_counter()

    history = run(model, callback)
    return np.array(rows), history


def first_reach(rows, level):
    """(updates, forward equivalents, seconds) at the first score <= level, or None."""
    hit = np.flatnonzero(rows[:, 3] <= level)
    return tuple(rows[hit[0], :3]) if hit.size else None


def fmt(x, unit=""):
    return "never" if x is None else f"{x:.3g}{unit}"


def main():
    task = SineWave(seq_len=T)
    eval_batch = task.sample(1000, np.random.default_rng(12345))
    base = task.baseline
    for H in HIDDEN:
        ratio, fwd, both = measure_backward_cost(H)
        print(f"Backward step / forward step on this engine (Elman H={H}, B={B}, T=200, best of "
              f"30): {ratio:.2f} (forward {fwd * 1e3:.2f} ms, forward+backward {both * 1e3:.2f} ms); "
              f"counted as {BACKWARD_COST:g}.")
    print(f"Task {task!r}, baseline loss {base:.4f}; targets {', '.join(f'{t:g}' for t in TARGETS)} "
          f"x baseline; eval on 1000 held-out sequences after every update.\n")

    # ES: pick sigma and lr on seed 0 by the final held-out loss.
    H = HIDDEN[0]
    print(f"ES grid on seed 0, H={H} (population {ES['population']}, {ES['n_generations']} "
          f"generations):")
    best = None
    for sigma in ES_GRID["sigma"]:
        for lr in ES_GRID["lr"]:
            model = bpttviz.ElmanRNN(1, H, 1, seed=0)
            train_es(model, task, population=ES["population"], sigma=sigma, lr=lr,
                     n_generations=ES["n_generations"], batch_size=B, seed=0, progress=False)
            final = batch_loss(model, eval_batch)
            print(f"  sigma={sigma:<5g} lr={lr:<5g} final held-out loss {final:.5f} "
                  f"({final / base:.3f} x baseline)")
            if best is None or final < best[0]:
                best = (final, sigma, lr)
    _, sigma, es_lr = best
    print(f"  -> sigma={sigma}, lr={es_lr}\n")
    print(f"Forward-step equivalents per update/generation: BPTT {3 * T}, "
          f"ES {(ES['population'] + 1) * T}. Budgets: BPTT {BPTT['n_updates']} "
          f"updates (lr {BPTT['lr']}), ES {ES['n_generations']} generations.\n")
    for H in HIDDEN:
        compare(task, eval_batch, H, sigma, es_lr)


def compare(task, eval_batch, H, sigma, es_lr):
    base = task.baseline
    n_params = sum(p.size for p in bpttviz.ElmanRNN(1, H, 1).params.values())
    results = {"BPTT": [], "ES": []}
    for seed in SEEDS:
        rows, _ = scored_run(
            lambda m, cb: train(m, task, lr=BPTT["lr"], n_updates=BPTT["n_updates"], batch_size=B,
                                seed=seed, callback=cb, progress=False),
            bpttviz.ElmanRNN(1, H, 1, seed=seed), eval_batch)
        results["BPTT"].append(rows)
        rows, _ = scored_run(
            lambda m, cb: train_es(m, task, population=ES["population"], sigma=sigma, lr=es_lr,
                                   n_generations=ES["n_generations"], batch_size=B, seed=seed,
                                   callback=cb, progress=False),
            bpttviz.ElmanRNN(1, H, 1, seed=seed), eval_batch)
        results["ES"].append(rows)

    print(f"Elman RNN H={H} ({n_params} parameters):")
    header = (f"{'method':6} {'seed':>4} {'target':>8} {'updates':>8} {'fwd-equiv':>11} "
              f"{'seconds':>8} {'final loss':>11}")
    print(header)
    print("-" * len(header))
    reach = {}
    for name in ("BPTT", "ES"):
        for seed, rows in zip(SEEDS, results[name]):
            for frac in TARGETS:
                hit = first_reach(rows, frac * base)
                reach.setdefault((name, frac), []).append(hit)
                u, c, s = hit if hit else (None, None, None)
                print(f"{name:6} {seed:>4} {frac:>8g} {fmt(u):>8} {fmt(c):>11} {fmt(s, 's'):>8} "
                      f"{rows[-1, 3]:>11.5f}")
    print(f"Median over seeds, H={H} (a run that never reached the target counts as infinite):")
    for frac in TARGETS:
        med = {}
        for name in ("BPTT", "ES"):
            hits = reach[(name, frac)]
            med[name] = [np.median([h[i] if h else np.inf for h in hits]) for i in range(3)]
        ratio = med["ES"][1] / med["BPTT"][1]
        print(f"  loss <= {frac:g} x baseline: BPTT {med['BPTT'][1]:.3g} fwd-equiv "
              f"({med['BPTT'][2]:.2f} s), ES {med['ES'][1]:.3g} ({med['ES'][2]:.2f} s): "
              f"ES needs {ratio:.3g}x the compute")
    spent = {name: results[name][0][-1, 1] for name in results}
    final = {name: np.median([rows[-1, 3] for rows in results[name]]) for name in results}
    print(f"  whole budgets: BPTT {spent['BPTT']:.3g} fwd-equiv -> median final loss "
          f"{final['BPTT']:.5f}; ES {spent['ES']:.3g} ({spent['ES'] / spent['BPTT']:.3g}x) -> "
          f"{final['ES']:.5f}")
    print()


if __name__ == "__main__":
    main()
