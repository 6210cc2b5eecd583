"""The Nile at Aswan: does TBPTT need k2 to reach back as far as the series remembers?

    .venv/bin/python experiments/nile.py

Data: bpttviz.tasks.nile(), the annual flow 1871-1970 (100 values, Cobb 1978;
Durbin & Koopman 2001). The networks are trained on the years 1871-1950 (a
Series of windows of T = 40 years, z-scored with the mean and sd of those
years) and scored twice:

* train: the loss of the trained network over every window of the training
  years, against the task's baseline (the persistence forecast, next year =
  this year, on the same windows and scale);
* held-out: the years 1951-1970, each predicted from the 40 years before
  it, against persistence on the same years.

Memory: the autocorrelation of the series (printed) and the forecast of the
local level model (exponential smoothing, its gain fitted on the training
years), whose weights on past years decay as (1 - alpha)^k.

TBPTT(k1 = 1, k2): an update every step, whose single loss backpropagates
through its last k2 states (Williams & Peng's BPTT(h) with h = k2), for k2
below and above that memory, on an Elman network with H = 3 and H = 8
units, three seeds each. Cost: the engine's counted forward and backward
steps per update (over the batch), and their total in forward-step
equivalents (a backward step counts as 2). Prints figures; asserts nothing.
"""

import time

import numpy as np

import bpttviz
from bpttviz.tasks import Series, nile
from bpttviz.training import BACKWARD_COST

TRAIN_YEARS = 80                    # 1871-1950; 1951-1970 held out
T = 40
K2S = (1, 2, 4, 10, 20, 40)
HIDDEN = (3, 8)
SEEDS = (0, 1, 2)
SETTINGS = dict(k1=1, lr=0.01, clip=1.0, batch_size=16, n_updates=1200)   # 30 sequences
ACF_LAGS = 15
AR_ORDERS = (1, 10)


def autocorrelation(z, lags):
    """(lags,) sample autocorrelation of a z-scored series at lags 1..lags."""
    return np.array([np.mean(z[k:] * z[:-k]) for k in range(1, lags + 1)])


def windows(z, last, T):
    """Inputs (T, n, 1) whose window j ends at ``last[j]``, and the targets ``z[last + 1]``."""
    rows = last[None, :] - np.arange(T)[::-1, None]                     # (T, n)
    return z[rows][..., None], z[last + 1]


def half_mse(pred, target):
    return 0.5 * float(np.mean((pred - target) ** 2))


def smoothing(z, alpha):
    """One-step forecasts of z[1:] by exponential smoothing from the level z[0]."""
    level, out = z[0], np.empty(len(z) - 1)
    for t in range(len(z) - 1):
        level = alpha * z[t] + (1 - alpha) * level
        out[t] = level
    return out


def autoregression(z, p, n_train):
    """One-step forecasts of z[p:] by an AR(p) with intercept, least squares on z[:n_train]."""
    lagged = np.stack([z[p - 1 - i:len(z) - 1 - i] for i in range(p)], axis=1)   # (n - p, p)
    design = np.c_[lagged, np.ones(len(lagged))]
    fit = n_train - p
    w = np.linalg.lstsq(design[:fit], z[p:n_train], rcond=None)[0]
    return design @ w


def main():
    print(f"bpttviz {bpttviz.__version__}, numpy {np.__version__}\n")
    flow = nile().values
    task = Series(flow[:TRAIN_YEARS], T=T)
    z = (flow - task.mean[0]) / task.std[0]          # the training years' scale, for all years
    held = np.arange(TRAIN_YEARS - 1, len(flow) - 1)        # last input year of each forecast
    x_held, y_held = windows(z, held, T)
    # every step of every training window, as the baseline counts them
    rows = np.arange(TRAIN_YEARS - T)[None, :] + np.arange(T)[:, None]     # (T, windows)
    x_train, y_train = task.scaled[rows], task.scaled[rows + 1, 0]
    persistence = half_mse(z[held], y_held)

    full = (flow - flow.mean()) / flow.std()
    acf = autocorrelation(full, ACF_LAGS)
    band = 1.96 / np.sqrt(len(flow))
    print(f"Autocorrelation of the 100 years (95% band for no correlation: +-{band:.3f}):")
    print("  lag " + " ".join(f"{k:>5d}" for k in range(1, ACF_LAGS + 1)))
    print("  acf " + " ".join(f"{r:>5.2f}" for r in acf))
    alphas = np.linspace(0.05, 1.0, 96)
    fits = [half_mse(smoothing(z[:TRAIN_YEARS], a), z[1:TRAIN_YEARS]) for a in alphas]
    alpha = float(alphas[int(np.argmin(fits))])
    reach = np.log(0.1) / np.log(1 - alpha)
    es_held = half_mse(smoothing(z, alpha)[held], y_held)
    print(f"Local level model (exponential smoothing) fitted on 1871-1950: alpha = {alpha:.2f}; "
          f"90% of its weight lies on the last {reach:.1f} years.")
    refs = [f"smoothing {es_held:.3f} ({es_held / persistence:.3f} x persistence)"]
    for p in AR_ORDERS:
        ar = half_mse(autoregression(z, p, TRAIN_YEARS)[held - p + 1], y_held)
        refs.append(f"AR({p}) {ar:.3f} ({ar / persistence:.3f} x)")
    print(f"Held-out 1951-1970 (half MSE on the training scale): persistence {persistence:.3f}; "
          + "; ".join(refs) + ".")
    print(f"Training windows: {task!r}, baseline (persistence) {task.baseline:.3f}.\n")

    s = SETTINGS
    print(f"Elman RNN (tanh), TBPTT(k1={s['k1']}, k2), Adam lr={s['lr']}, clip {s['clip']} "
          f"(norm), batch {s['batch_size']}, {s['n_updates']} updates.")
    header = (f"{'H':>2} {'k2':>3} {'seed':>4} {'train/baseline':>14} {'held-out/persist':>16} "
              f"{'fwd/update':>10} {'bwd/update':>10} {'fwd-equiv total':>15} {'seconds':>7}")
    print(header)
    print("-" * len(header))
    summary = {}
    for H in HIDDEN:
        for k2 in K2S:
            for seed in SEEDS:
                model = bpttviz.ElmanRNN(task.n_in, H, task.n_out, seed=seed)
                start = time.perf_counter()
                history = bpttviz.train(model, task, k2=k2, seed=seed, progress=False, **s)
                seconds = time.perf_counter() - start
                train = half_mse(model.predict(x_train)[..., 0], y_train)
                held_out = half_mse(model.predict(x_held)[-1, :, 0], y_held)
                fwd, bwd = history["forward_steps"].mean(), history["backward_steps"].mean()
                total = history.forward_equivalents[-1]
                summary.setdefault((H, k2), []).append((train / task.baseline,
                                                        held_out / persistence))
                print(f"{H:>2} {k2:>3} {seed:>4} {train / task.baseline:>14.3f} "
                      f"{held_out / persistence:>16.3f} {fwd:>10.1f} {bwd:>10.1f} "
                      f"{total:>15.0f} {seconds:>7.1f}", flush=True)
    print("\nMedians over seeds (train / baseline, held-out / persistence):")
    for H in HIDDEN:
        print(f"  H={H}: " + ", ".join(
            f"k2={k2}: {np.median([a for a, _ in summary[(H, k2)]]):.3f} / "
            f"{np.median([b for _, b in summary[(H, k2)]]):.3f}" for k2 in K2S))
    print(f"(a backward step counts as {BACKWARD_COST:g} forward steps)")


if __name__ == "__main__":
    main()
