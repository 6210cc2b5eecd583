"""Every public callable checks its arguments: a named, short TypeError or ValueError before any work.

:data:`REGISTRY` holds, for every public function and class of the modules in
:data:`MODULES` (their ``__all__``), a valid call. The tests substitute each
parameter of that call, one at a time, with bad values of every common kind
(:data:`GENERIC`: None, a wrong type, a string, NaN, an empty list, a huge
array) and with the entry's own bad values (zero, negative, wrong shape...),
and require a TypeError or ValueError whose message names the parameter and
the function called, and stays short. A public callable without an entry fails
:func:`test_every_public_callable_has_an_entry`: add an entry (or, for a
record that only the package builds, a line in :data:`RECORDS` saying so).

To register a new function ``f(model, inputs, k)``::

    "bpttviz.diagnostics.f": Entry(lambda: dict(model=elman(), inputs=X, k=3),
                                   bad={"k": [0, -1, 2.5]}),

``ok`` lists generic kinds that are valid for a parameter (e.g. ``{"h0": ["none"]}``
is implied by a None default; ``{"label": ["str"]}`` for a free-text parameter);
``internal`` the parameters only the package passes. A module listed in
``bpttviz.__all__`` is enumerated by itself; a public-looking function left
out of its module's ``__all__`` fails :func:`test_every_public_looking_function_is_in_all`.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
from dataclasses import dataclass, field

import numpy as np
import pytest

import bpttviz
from bpttviz import diagnostics as D
from bpttviz import es, schedules, tasks, training
from bpttviz.schedules import Schedule, UpdatePlan

# bpttviz and every module it exports (a new module listed in bpttviz.__all__ joins by itself)
MODULES = (bpttviz,) + tuple(getattr(bpttviz, n) for n in bpttviz.__all__
                             if inspect.ismodule(getattr(bpttviz, n)))
assert {D, schedules, tasks, training, es} <= set(MODULES)
MAX_MESSAGE = 300

T, B, I, H, O = 6, 2, 2, 3, 1
RNG = np.random.default_rng(0)
X = RNG.normal(size=(T, B, I))
Y = RNG.normal(size=(T, B, O))
LABELS = RNG.integers(0, 3, size=(T, B))


def elman(**kw):
    return bpttviz.ElmanRNN(I, H, O, seed=0, **kw)


def lstm():
    return bpttviz.LSTM(I, H, O, seed=0)


SERIES = np.sin(np.arange(30.0))
CSV = b"year,flow\n1871,1120\n1872,1160\n1873,963\n1874,1210\n1875,1160\n1876,1160\n"


def adding():
    return tasks.AddingProblem(lag=2, seq_len=6)


def batch():
    return adding().sample(2, 0)


def grads_of(model):
    return bpttviz.bptt(model, X, Y).updates[0].grads


def trace_and_full():
    model = elman()
    trace = bpttviz.bptt(model, X, Y, k1=2, k2=2)
    return dict(trace=trace, full_grads=trace.full_grads)


def jacobians():
    return D.step_jacobians(elman(), X)


# --- generic bad values ---------------------------------------------------------------

HUGE = np.full((300, 50, 4), np.nan)        # 60,000 entries: a message must not print them

GENERIC = {
    "none": None,
    "object": object(),
    "str": "no such value",
    "nan": float("nan"),
    "empty": [],
    "huge": HUGE,
}


@dataclass
class Entry:
    """A valid call (``make()`` returns its keyword arguments) and what is bad for it."""

    make: object
    bad: dict = field(default_factory=dict)     # parameter -> extra bad values
    ok: dict = field(default_factory=dict)      # parameter -> generic kinds that are valid
    target: object = None                       # for methods: a function of the kwargs
    internal: tuple = ()                        # parameters the package passes, not a user


# a schedule whose only update comes before the adding problem's target (its last step)
EARLY = Schedule("early", T, (UpdatePlan(3, np.arange(3), np.zeros(3, dtype=np.int64)),))

REGISTRY = {
    # --- bpttviz ---
    "bpttviz.bptt": Entry(lambda: dict(model=elman(), inputs=X, targets=Y),
                          bad={"k1": [0, -1, 2.5, True], "k2": [0, -3], "checkpoint": [0],
                               "inputs": [X[:, :, :1], X[0], np.full(X.shape, np.inf),
                                          X.astype(complex), [[["a"]]]],
                               "targets": [Y[:-1], np.full(Y.shape, np.nan)],
                               "h0": [np.ones((B, H + 1)), np.ones(H)],
                               "mask": [np.zeros(T), -np.ones(T), np.ones(T + 1),
                                        [True] * (T - 1), np.full(T, np.nan)],
                               "record": [1, "yes"],
                               "schedule": [schedules.tbptt(T + 1, 2, 2)]}),
    "bpttviz.unroll": Entry(lambda: dict(model=elman(), inputs=X),
                            bad={"inputs": [X[0], np.ones((T, B, I + 1))],
                                 "h0": [np.ones((B + 1, H))]}),
    "bpttviz.ElmanRNN": Entry(lambda: dict(n_in=I, n_hidden=H, n_out=O),
                              bad={"n_in": [0, 2.0], "n_hidden": [-1], "n_out": [0],
                                   "dtype": [32, "float16", np.int32], "radius": [-1.0],
                                   "sigma": [-0.5], "input_scale": [-1.0], "seed": [-1],
                                   "activation": ["softmax"]}),
    "bpttviz.LSTM": Entry(lambda: dict(n_in=I, n_hidden=H, n_out=O),
                          bad={"n_in": [0], "n_hidden": [0], "dtype": [32],
                               "forget_bias": [np.inf], "activation": ["relu"]}),
    "bpttviz.GRU": Entry(lambda: dict(n_in=I, n_hidden=H, n_out=O),
                         bad={"n_hidden": [0], "dtype": [64], "seed": [-2],
                              "activation": ["tanh"]}),
    "bpttviz.spectral_radius": Entry(lambda: dict(W=np.eye(3)),
                                     bad={"W": [np.ones((2, 3)), np.ones(3),
                                                np.full((2, 2), np.inf)]}),
    "bpttviz.max_singular_value": Entry(lambda: dict(W=np.ones((2, 3))),
                                        bad={"W": [np.ones(3), np.full((2, 2), np.nan)]}),
    "bpttviz.train": Entry(lambda: dict(model=elman(), task=adding(), n_updates=2, batch_size=2,
                                        progress=False),
                           bad={"n_updates": [0, 1.5], "k1": [0], "k2": [-1], "lr": [-0.1, 0, 0.0],
                                "clip": [0.0, -1.0], "clip_mode": ["max"], "seed": [-1],
                                "batch_size": [0], "seq_len": [1, 3.5], "progress": [-1, 1.5],
                                "optimizer": ["rmsprop", 3],
                                "callback": [3],
                                "schedule": [schedules.tbptt(T + 2, 2, 2), EARLY],
                                "divergence_factor": [0.5, -1.0, 1.0],
                                "stop_on_divergence": [1, "yes"],
                                "method": ["RTRL", "es"]},
                           ok={"divergence_factor": ["none"]}),
    "bpttviz.train_es": Entry(lambda: dict(model=elman(), task=adding(), n_generations=1,
                                           population=2, batch_size=2, progress=False),
                              bad={"population": [3, 0], "sigma": [0.0, -1.0],
                                   "n_generations": [0], "shaping": ["rank"], "seed": [-1],
                                   "lr": [-1.0, 0], "callback": ["f"],
                                   "divergence_factor": [1.0], "stop_on_divergence": [0]},
                              ok={"divergence_factor": ["none"]}),
    "bpttviz.History": Entry(lambda: dict(columns=("loss", "grad_norm")),
                             bad={"columns": [("loss", "loss"), (1, 2), "loss"],
                                  "config": [[("a", 1)]]},
                             ok={"config": ["none"]}),
    "bpttviz.make_task": Entry(lambda: dict(name="adding"),
                               bad={"name": ["Adding", 3]}),
    "bpttviz.Batch": Entry(lambda: dict(inputs=X, targets=Y, mask=np.ones((T, B)), loss="mse"),
                           bad={"inputs": [X[0], np.full(X.shape, np.nan)],
                                "targets": [Y[:-1], Y[0]],
                                "mask": [np.ones(T + 1), -np.ones((T, B)), np.zeros((T, B))],
                                "loss": ["mae"]}),
    "bpttviz.Schedule": Entry(lambda: dict(name="custom", T=T, updates=schedules.tbptt(T, 2, 2).updates),
                              bad={"T": [0, 2.0], "updates": [(1, 2), ()],
                                   "k1": [0], "k2": [-1], "name": [3],
                                   "source": [3], "params": [[1]]},
                              ok={"source": ["str"], "name": ["str"]}),
    "bpttviz.UpdatePlan": Entry(lambda: dict(step=3, losses=np.arange(3), starts=np.zeros(3)),
                                bad={"step": [0, 2.5], "losses": [np.ones((2, 2)), [0.5, 1.5],
                                                                  [2, 1, 0]],
                                     "starts": [np.zeros(4), [-1, 0, 0]],
                                     "scale": [np.ones(2), np.ones((3, 1)), [1.0, np.nan, 1.0],
                                               np.ones(3, dtype=complex), ["a", "b", "c"]]},
                                ok={"losses": ["empty"]}),
    # --- schedules ---
    "bpttviz.schedules.kept_mask": Entry(lambda: dict(T=T, losses=[1, 2], starts=[0, 1]),
                                         bad={"T": [0], "losses": [[T], [1.5, 2]],
                                              "starts": [[0], [0, T]]},
                                         ok={"losses": ["empty"]}),
    "bpttviz.schedules.tbptt": Entry(lambda: dict(T=T, k1=2, k2=3),
                                     bad={"T": [0, -1, 2.5], "k1": [0], "k2": [-1]}),
    "bpttviz.schedules.full": Entry(lambda: dict(T=T), bad={"T": [0]}),
    "bpttviz.schedules.keras": Entry(lambda: dict(T=T, k=2), bad={"T": [0], "k": [0]}),
    "bpttviz.schedules.per_loss": Entry(lambda: dict(T=T, k2=2),
                                        bad={"T": [0], "k2": [0], "k1": [0]}),
    "bpttviz.schedules.sliding_window": Entry(lambda: dict(T=T, k=2),
                                              bad={"T": [0], "k": [0, T + 1]}),
    "bpttviz.schedules.last_loss": Entry(lambda: dict(T=T, k1=2),
                                         bad={"T": [0], "k1": [0], "k2": [0]}),
    # --- tasks ---
    "bpttviz.tasks.SineWave": Entry(lambda: dict(), bad={"period": [1.0, -2.0],
                                                         "noise": [-0.1], "seq_len": [0]}),
    "bpttviz.tasks.NoisySineWave": Entry(lambda: dict(), bad={"noise": [-1.0]}),
    "bpttviz.tasks.AddingProblem": Entry(lambda: dict(), bad={"lag": [-1, 2.5],
                                                              "seq_len": [3, 21]}),
    "bpttviz.tasks.CopyMemory": Entry(lambda: dict(), bad={"lag": [5], "n_symbols": [0],
                                                           "n_classes": [0], "seq_len": [2]}),
    "bpttviz.tasks.TemporalOrder": Entry(lambda: dict(), bad={"seq_len": [9]}),
    "bpttviz.tasks.SequenceClassification": Entry(
        lambda: dict(), bad={"lag": [-1], "n_classes": [1], "key_len": [0], "noise": [-1.0],
                             "seq_len": [1]}),
    "bpttviz.tasks.CharLM": Entry(lambda: dict(seq_len=10),
                                  bad={"text": ["a", b"abc"], "seq_len": [0, 10 ** 9]},
                                  ok={"text": ["str", "none"], "seq_len": ["none"]}),
    "bpttviz.tasks.Vocabulary": Entry(lambda: dict(chars="abc"), bad={"chars": ["", "aab", 3]}),
    "bpttviz.tasks.Vocabulary.encode": Entry(
        lambda: dict(text="abc"), bad={"text": ["abz", 3]},
        target=lambda text: tasks.Vocabulary("abc").encode(text)),
    "bpttviz.tasks.Vocabulary.decode": Entry(
        lambda: dict(ids=[0, 1]), bad={"ids": [[5], [-1], [0.5]]}, ok={"ids": ["empty"]},
        target=lambda ids: tasks.Vocabulary("abc").decode(ids)),
    "bpttviz.tasks.Task.sample": Entry(
        lambda: dict(batch_size=2, rng=0), bad={"batch_size": [0], "rng": [-1, 2.5],
                                                "seq_len": [3]},
        target=lambda **kw: adding().sample(**kw)),
    "bpttviz.tasks.load_text": Entry(lambda: dict()),
    "bpttviz.tasks.Series": Entry(
        lambda: dict(values=SERIES, T=5),
        bad={"values": [np.ones((30, 2, 2)), np.r_[1.0, np.nan, SERIES[2:]], SERIES[:5],
                        np.ones(30), np.ones((30, 0)), [["a"]], np.ones(30, dtype=bool)],
             "T": [0, 30, 2.5, True], "horizon": [0, 26], "normalize": [1, "yes"],
             "name": [3]},
        ok={"name": ["str"]}),
    "bpttviz.tasks.Series.from_csv": Entry(
        lambda: dict(path=CSV, T=3),
        bad={"path": [b"", b"\x00\x01", CSV.replace(b"1120", b"x"), "d\u00e9bit".encode("latin-1"),
                      CSV.replace(b"1120", b"nan"), CSV[:30], 3, io.BytesIO(b"")],
             "column": ["nope", 7, -1, True, 2.5, ["flow", "flow"], ["flow", 1]],
             "T": [0, 10], "horizon": [0, 10], "normalize": [1],
             "delimiter": [",,", "", "1", "."], "encoding": ["utf-99", "base64", 8]}),
    "bpttviz.tasks.Series.denormalize": Entry(
        lambda: dict(y=np.zeros((3, 2, 1))), bad={"y": [["a"], np.inf]}, ok={"y": ["empty"]},
        target=lambda y: tasks.Series(SERIES, T=5).denormalize(y)),
    "bpttviz.tasks.nile": Entry(lambda: dict(T=10),
                                bad={"T": [0, 100, 2.5], "horizon": [0, 100], "normalize": [0]}),
    "bpttviz.tasks.CharLM.from_file": Entry(
        lambda: dict(path=b"to be, or not to be", seq_len=5),
        bad={"path": [b"", b"ab\x00cd", "caf\u00e9".encode("latin-1"), b"ab", 3],
             "seq_len": [0, 100, 2.5], "encoding": ["utf-99", 8]}),
    # --- training ---
    "bpttviz.training.Optimizer": Entry(lambda: dict(lr=0.1), bad={"lr": [-1.0, 0]},
                                        ok={"lr": ["none"]}),
    "bpttviz.training.SGD": Entry(lambda: dict(lr=0.1), bad={"lr": [-1.0, 0]}),
    "bpttviz.training.Momentum": Entry(lambda: dict(lr=0.1), bad={"lr": [-1.0, 0.0],
                                                                  "momentum": [1.0, -0.5]}),
    "bpttviz.training.Adam": Entry(lambda: dict(lr=0.1), bad={"lr": [-1.0, 0], "beta1": [1.0],
                                                              "beta2": [-0.1], "eps": [0.0]}),
    "bpttviz.training.make_optimizer": Entry(lambda: dict(optimizer="sgd", lr=0.1),
                                             bad={"optimizer": ["rmsprop"], "lr": [-1.0, 0]},
                                             ok={"lr": ["none"]},
                                             internal=("func",)),    # the caller's name
    "bpttviz.training.clip_gradients": Entry(
        lambda: dict(grads=grads_of(elman()), clip=1.0),
        bad={"grads": [{}, {"W_hh": "x"}, {"W_hh": np.ones(3, dtype=complex)}],
             "clip": [0.0, -1.0], "mode": ["max"]}),
    "bpttviz.training.recurrent_matrix": Entry(lambda: dict(params=elman().params),
                                               bad={"params": [{}, {"W_hy": np.ones((1, 3))},
                                                               {"W_hh": np.ones(3)}]}),
    "bpttviz.training.ProgressBar": Entry(lambda: dict(total=10, every=1),
                                          bad={"total": [0], "every": [-1], "width": [0],
                                               "label": [3]},
                                          ok={"label": ["str"]}),
    # --- es ---
    "bpttviz.es.es_gradient": Entry(lambda: dict(model=elman(), batch=batch(), population=2),
                                    bad={"population": [3], "sigma": [0.0], "rng": [-1, 2.5],
                                         "shaping": ["rank"]}),
    "bpttviz.es.batch_loss": Entry(lambda: dict(model=elman(), batch=batch())),
    # --- diagnostics ---
    "bpttviz.diagnostics.step_jacobians": Entry(lambda: dict(model=elman(), inputs=X),
                                                bad={"inputs": [X[0]], "h0": [np.ones(H)]}),
    "bpttviz.diagnostics.jacobian_singular_values": Entry(lambda: dict(model=lstm(), inputs=X),
                                                          bad={"inputs": [X[..., :1]]}),
    "bpttviz.diagnostics.jacobian_product_norms": Entry(
        lambda: dict(model=elman(), inputs=X),
        bad={"rtol": [-0.1, 2.0], "log": [1, "yes"], "inputs": [X[0]]}),
    "bpttviz.diagnostics.lyapunov_exponent": Entry(lambda: dict(model=elman(), inputs=X),
                                                   bad={"discard": [-1, T, 1.5]}),
    "bpttviz.diagnostics.lyapunov_spectrum": Entry(lambda: dict(model=elman(), inputs=X),
                                                   bad={"discard": [T]}),
    "bpttviz.diagnostics.singular_values_of": Entry(lambda: dict(J=jacobians()),
                                                    bad={"J": [np.ones((2, 1, 3, 2)),
                                                               np.ones((2, 3, 3))]}),
    "bpttviz.diagnostics.lyapunov_of": Entry(lambda: dict(J=jacobians()),
                                             bad={"J": [np.ones((2, 1, 3, 3), dtype=complex)],
                                                  "discard": [T]}),
    "bpttviz.diagnostics.recurrent_spectrum": Entry(lambda: dict(model=elman()),
                                                    bad={"block": [1, -1, 0.5]}),
    "bpttviz.diagnostics.gamma": Entry(lambda: dict(model=elman()), bad={"model": [lstm()]}),
    "bpttviz.diagnostics.per_copy_shares": Entry(
        lambda: dict(model=elman(), inputs=X, targets=Y),
        bad={"model": [lstm()], "inputs": [X[0]], "targets": [Y[:2]]}),
    "bpttviz.diagnostics.pascanu_bound": Entry(lambda: dict(model=elman(), lags=[0, 1, 5]),
                                               bad={"lags": [[-1, 2]], "model": [lstm()]}),
    "bpttviz.diagnostics.truncation_bias": Entry(
        lambda: dict(model=elman(), inputs=X, targets=Y, k2_values=[1, 3]),
        bad={"k2_values": [[0, 3], [1.5], [[1, 2]], np.arange(10 ** 4) - 1],
             "k1": [0], "schedule": ["chunks"], "combine": ["max"],
             "params": [("W_zz",), 3], "mask": [np.zeros(T)]}),
    "bpttviz.diagnostics.gradient_agreement": Entry(
        trace_and_full,
        bad={"trace": [elman()],
             "full_grads": [{}, {"W_hh": np.ones(9)}, {"W_hh": np.ones((H, H + 1))},
                            {"W_qq": np.ones((H, H))}, {"W_hh": "x"}],
             "combine": ["max"], "params": [("W_zz",), 3]}),
    "bpttviz.diagnostics.schedule_cost": Entry(
        lambda: dict(model=elman(), inputs=X, targets=Y, schedule=schedules.tbptt(T, 2, 2)),
        bad={"schedule": [schedules.tbptt(T + 1, 2, 2)]}, ok={"schedule": ["none"]}),
    "bpttviz.diagnostics.cost_table": Entry(
        lambda: dict(model=elman(), inputs=X, targets=Y, schedules={"a": {"k1": 2, "k2": 2}}),
        bad={"schedules": [{"a": {"k9": 2}}, {"a": 3}, {"a": {"k1": 0}}]}),
    "bpttviz.diagnostics.loss_slice": Entry(
        lambda: dict(model=elman(), inputs=X, targets=Y,
                     direction=D.random_direction(elman()), alphas=[-1.0, 0.0, 1.0]),
        bad={"direction": [{"W_zz": np.ones(2)}, {"W_hh": np.ones(9)}],
             "alphas": [[[0.0]], [np.nan]], "betas": [[0.0]],
             "direction2": [D.random_direction(elman())]}),
    "bpttviz.diagnostics.random_direction": Entry(lambda: dict(model=elman()),
                                                  bad={"seed": [-1], "normalize": ["unit"]}),
    "bpttviz.diagnostics.cliff_loss": Entry(lambda: dict(w=[1.0, 2.0], b=[0.0, 1.0]),
                                            bad={"w": [np.ones(3)], "T": [0],
                                                 "x0": [np.inf]}),
    "bpttviz.diagnostics.cliff_grad": Entry(lambda: dict(w=1.0, b=0.0),
                                            bad={"T": [0], "target": [np.nan]}),
    "bpttviz.diagnostics.cliff_descent": Entry(lambda: dict(w0=1.0, b0=0.0, lr=0.1, steps=3),
                                               bad={"lr": [0.0, -1.0], "steps": [-1, 1.5],
                                                    "clip": [0.0]}),
    # --- online (forward-mode gradients) ---
    "bpttviz.rtrl": Entry(lambda: dict(model=elman(), inputs=X, targets=Y, k1=2),
                          bad={"model": [bpttviz.GRU(I, H, O, seed=0), elman().params],
                               "k1": [0, -1, 2.5, True], "inputs": [X[0], X[:, :, :1]],
                               "targets": [Y[:-1]], "h0": [np.ones((B, H + 1))],
                               "loss": ["mae"], "mask": [np.zeros(T), np.ones(T + 1)]}),
    "bpttviz.uoro": Entry(lambda: dict(model=elman(), inputs=X, targets=Y, k1=2),
                          bad={"model": [bpttviz.GRU(I, H, O, seed=0)], "k1": [0],
                               "inputs": [X[0]], "h0": [np.ones(H)], "loss": ["mae"],
                               "mask": [np.zeros(T)], "seed": [-1, 2.5, True]}),
    "bpttviz.online.OnlineGradient": Entry(
        lambda: dict(cell=elman().cell, s0=np.zeros((B, H)), method="rtrl"),
        bad={"cell": [bpttviz.GRU(I, H, O, seed=0).cell, elman()],
             "s0": [np.zeros(H), np.zeros((B, H + 1)), np.full((B, H), np.nan)],
             "method": ["bptt", "RTRL"], "rng": [0, np.random.RandomState(0)]},
        internal=("_variant",)),
    "bpttviz.online.check_online_model": Entry(
        lambda: dict(model=lstm(), func="rtrl"),
        bad={"model": [bpttviz.GRU(I, H, O, seed=0), elman().cell]},
        internal=("func",)),                                    # the caller's name
    # --- schedules: randomized truncation ---
    "bpttviz.schedules.randomized": Entry(
        lambda: dict(T=T, k1=2, k_min=1, p=0.5),
        bad={"T": [0, 2.5], "k1": [0], "k_min": [0, -1, 1.5], "p": [0.0, -0.1, 1.5, np.inf],
             "seed": [-1], "reweight": [1, "yes"]}),
    "bpttviz.schedules.expected_length": Entry(lambda: dict(k_min=2, p=0.5),
                                               bad={"k_min": [0, 1.5], "p": [0.0, 1.01]}),
    # --- diagnostics: estimators ---
    "bpttviz.diagnostics.compare_estimators": Entry(
        lambda: dict(model=elman(), inputs=X, targets=Y, k2_values=[1, 3], k1=3, n_seeds=2),
        bad={"model": [bpttviz.GRU(I, H, O, seed=0)], "k2_values": [[0, 3], [1.5], [[1, 2]]],
             "k1": [0], "n_seeds": [0, -1, 1.5], "k_min": [0], "p": [0.0, 1.5],
             "seed": [-1], "methods": [["bptt"], ["rtrl", 3], ()], "params": [("W_zz",), 3],
             "inputs": [X[0]], "mask": [np.zeros(T)], "loss": ["mae"]}),
    "bpttviz.diagnostics.engine_flops": Entry(
        lambda: dict(cell=elman().cell, B=2, n_out=1, forward_steps=6, backward_steps=4),
        bad={"cell": [elman()], "B": [0, 1.5], "n_out": [0], "forward_steps": [-1, 2.5],
             "backward_steps": [-1]}),
    "bpttviz.diagnostics.cost_against_hidden": Entry(
        lambda: dict(hidden_values=[2, 3], T=4, k2=2),
        bad={"hidden_values": [[0, 2], [1.5], [[2, 3]]], "T": [0], "k2": [0], "k_min": [0],
             "p": [0.0, 1.5], "n_in": [0], "n_out": [0], "seed": [-1],
             "methods": ["rtrl", [], ["bptt"]]}),
}

#: Public callables that are records the package builds and returns; their
#: constructors are not entry points for a user's data, so they have no entry.
RECORDS = {
    "bpttviz.Trace": "built by bptt / run_schedule",
    "bpttviz.Update": "built by bptt / run_schedule",
    "bpttviz.Cost": "built by the engine's counters",
    "bpttviz.TrainConfig": "train's options as a record; train checks them (the bpttviz.train entry)",
    "bpttviz.Task": "the abstract base of the tasks; its sample() has an entry",
    "bpttviz.diagnostics.Spectrum": "built by recurrent_spectrum",
    "bpttviz.diagnostics.TruncationBias": "built by truncation_bias",
    "bpttviz.diagnostics.CliffPath": "built by cliff_descent",
    "bpttviz.diagnostics.EstimatorComparison": "built by compare_estimators",
    "bpttviz.diagnostics.HiddenCost": "built by cost_against_hidden",
    "bpttviz.tasks.Columns": "built by Series.columns",
}


#: Functions with public-looking names that the modules share among themselves, not in __all__.
SHARED_HELPERS = {
    "bpttviz.training.check_data": "bpttviz.es checks its model and task with it",
    "bpttviz.training.check_run_options": "bpttviz.es checks its run options with it",
}


def _public_callables():
    """``(module name, public name, object)`` for every callable in the modules' ``__all__``."""
    out = []
    for module in MODULES:
        assert hasattr(module, "__all__"), f"{module.__name__} has no __all__"
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not inspect.ismodule(obj):
                out.append((module.__name__, name, obj))
    return out


def test_every_public_callable_has_an_entry():
    covered = {id(pkgutil.resolve_name(path)) for path in list(REGISTRY) + list(RECORDS)}
    missing = [f"{mod}.{name}" for mod, name, obj in _public_callables() if id(obj) not in covered]
    assert not missing, (f"public callables without argument checks registered in "
                         f"tests/test_validation.py: {missing}")


def test_every_public_looking_function_is_in_all():
    """A new function or class is found by the enumeration only through ``__all__``."""
    from bpttviz.diagnostics import estimators, jacobians, surfaces, truncation

    missing = []
    for module, public in ((schedules, schedules), (tasks, tasks), (training, training),
                           (es, es), (jacobians, D), (surfaces, D), (truncation, D),
                           (estimators, D), (bpttviz.online, bpttviz.online)):
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            path = f"{module.__name__}.{name}"
            if obj.__module__ == module.__name__ and name not in public.__all__ \
                    and path not in SHARED_HELPERS:
                missing.append(path)
    assert not missing, f"public-looking names missing from __all__ (or make them private): {missing}"


def test_the_enumeration_finds_the_public_functions():
    names = {f"{mod}.{name}" for mod, name, _ in _public_callables()}
    assert {"bpttviz.bptt", "bpttviz.diagnostics.gradient_agreement", "bpttviz.schedules.tbptt",
            "bpttviz.tasks.make_task", "bpttviz.training.train", "bpttviz.es.train_es"} <= names
    assert len(names) > 60


def _target(path, entry):
    return entry.target if entry.target is not None else pkgutil.resolve_name(path)


def _parameters(path, entry):
    """The named parameters of the entry's callable (no self, *args or **kwargs)."""
    if entry.target is not None:
        sig = inspect.signature(pkgutil.resolve_name(path))
    else:
        sig = inspect.signature(_target(path, entry))
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {n: p for n, p in sig.parameters.items()
            if p.kind in kinds and n != "self" and n not in entry.internal}


def _cases():
    out = []
    for path, entry in REGISTRY.items():
        for name, param in _parameters(path, entry).items():
            for kind, value in GENERIC.items():
                if kind in entry.ok.get(name, ()):
                    continue
                if kind == "none" and param.default is None:
                    continue                # None is the documented default
                out.append(pytest.param(path, name, value, id=f"{path}-{name}-{kind}"))
            for i, value in enumerate(entry.bad.get(name, ())):
                out.append(pytest.param(path, name, value, id=f"{path}-{name}-bad{i}"))
        unknown = set(entry.bad) - set(_parameters(path, entry))
        assert not unknown, f"{path}: bad values for unknown parameters {unknown}"
    return out


@pytest.mark.parametrize("path", sorted(REGISTRY))
def test_the_valid_call_works(path):
    entry = REGISTRY[path]
    _target(path, entry)(**entry.make())


def _snapshot(kwargs):
    model = kwargs.get("model")
    if isinstance(model, bpttviz.models.RNN):
        return model, {k: np.array(v, copy=True) for k, v in model.params.items()}
    return None, None


@pytest.mark.parametrize("path, name, value", _cases())
def test_bad_argument_gives_a_named_short_error(path, name, value):
    entry = REGISTRY[path]
    kwargs = entry.make()
    kwargs[name] = value
    model, before = _snapshot(kwargs)
    with pytest.raises((TypeError, ValueError)) as info:
        _target(path, entry)(**kwargs)
    message = str(info.value)
    assert f"'{name}'" in message, f"the message does not name {name!r}: {message}"
    assert len(message) < MAX_MESSAGE, f"{len(message)} characters: {message[:400]}"
    assert "Got" in message, f"the message does not say what was received: {message}"
    if "func" not in entry.internal:            # else it names the caller given as func
        called = path.split(".")[-1]
        assert re.search(rf"\b{called}\b", message), f"{called} is not named: {message}"
    if model is not None:                       # refused before any work
        for k, v in before.items():
            np.testing.assert_array_equal(model.params[k], v)


# --- the cases a new user met, one by one -------------------------------------------------

def _error(fn):
    with pytest.raises((TypeError, ValueError)) as info:
        fn()
    return info.type, str(info.value)


@pytest.mark.parametrize("full_grads, kind, part", [
    (None, TypeError, "Got None"),
    ({"a": 1}, ValueError, "Got a dict with keys ['a']"),
    ({}, ValueError, "Got an empty dict"),
    ("W_hh", TypeError, "Got 'W_hh'"),
])
def test_gradient_agreement_refuses_what_is_not_a_gradient(full_grads, kind, part):
    t = trace_and_full()["trace"]
    got, message = _error(lambda: D.gradient_agreement(t, full_grads))
    assert got is kind and "'full_grads' parameter of gradient_agreement" in message
    assert part in message


@pytest.mark.parametrize("name", sorted(schedules.PRESETS))
def test_every_preset_names_itself_not_the_preset_it_builds_on(name):
    preset = schedules.PRESETS[name]
    needed = {p: 2 for p, v in inspect.signature(preset).parameters.items()
              if v.default is inspect.Parameter.empty and p != "T"}
    got, message = _error(lambda: preset(T="50", **needed))
    assert got is TypeError
    assert message == (f"The 'T' parameter of {name} must be an int in the range [1, inf). "
                       f"Got '50' instead.")


@pytest.mark.parametrize("call, name, hint", [
    (lambda: bpttviz.train(elman(), tasks.AddingProblem, progress=False),
     "task", "Got the class AddingProblem instead; pass an instance: AddingProblem()."),
    (lambda: bpttviz.train_es(elman(), tasks.AddingProblem, progress=False),
     "task", "Got the class AddingProblem instead; pass an instance: AddingProblem()."),
    (lambda: bpttviz.train(elman(), tasks.make_task, progress=False),
     "task", "Got the function make_task instead; call it: make_task(name)."),
    (lambda: bpttviz.train(bpttviz.ElmanRNN, adding(), progress=False),
     "model", "Got the class ElmanRNN instead; pass an instance: ElmanRNN(n_in, n_hidden, n_out)."),
    (lambda: bpttviz.bptt(bpttviz.LSTM, X, Y),
     "model", "Got the class LSTM instead; pass an instance: LSTM(n_in, n_hidden, n_out)."),
    (lambda: bpttviz.rtrl(bpttviz.ElmanRNN, X, Y),
     "model", "Got the class ElmanRNN instead; pass an instance: ElmanRNN(n_in, n_hidden, n_out)."),
    (lambda: D.step_jacobians(bpttviz.GRU, X),
     "model", "Got the class GRU instead; pass an instance: GRU(n_in, n_hidden, n_out)."),
    (lambda: bpttviz.bptt(elman(), X, Y, schedule=schedules.full),
     "schedule", "Got the function full instead; call it: full(T)."),
    (lambda: bpttviz.train(elman(), adding(), schedule=schedules.keras, progress=False),
     "schedule", "Got the function keras instead; call it: keras(T, k)."),
    (lambda: bpttviz.bptt(elman(), X, Y, schedule=Schedule),
     "schedule", "Got the class Schedule instead; pass an instance: schedules.tbptt(T, k1, k2)."),
    (lambda: D.cost_table(elman(), X, Y, {"a": schedules.tbptt}),
     "schedules", "Got the function tbptt instead; call it: tbptt(T)."),
    (lambda: bpttviz.train(elman(), adding(), optimizer=training.Adam, progress=False),
     "optimizer", "Got the class Adam instead; pass an instance: Adam()."),
    (lambda: es.batch_loss(elman(), bpttviz.Batch),
     "batch", "Got the class Batch instead; pass an instance: Batch(inputs, targets, mask, loss)."),
    (lambda: D.gradient_agreement(bpttviz.Trace, {}),
     "trace", "Got the class Trace instead; pass an instance: bptt(model, inputs, targets)."),
])
def test_a_class_or_a_builder_for_an_instance_is_told_to_pass_an_instance(call, name, hint):
    got, message = _error(call)
    assert got is TypeError and f"'{name}'" in message and message.endswith(hint)
    assert len(message) < MAX_MESSAGE


def test_a_gru_class_given_to_rtrl_is_not_told_to_pass_a_gru():
    got, message = _error(lambda: bpttviz.rtrl(bpttviz.GRU, X, Y))
    assert got is TypeError
    assert message == ("The 'model' parameter of rtrl must be an ElmanRNN or an LSTM. "
                       "Got the class GRU instead.")


def test_numpy_scalars_and_classes_are_quoted_by_what_a_user_would_type():
    got, message = _error(lambda: schedules.tbptt(np.int64(0)))
    assert message.endswith("Got 0 instead.")
    got, message = _error(lambda: bpttviz.ElmanRNN(2, 3, 1, radius=np.float64(-1.0)))
    assert message.endswith("Got -1.0 instead.")
    got, message = _error(lambda: training.make_optimizer(training.Adam))
    assert "Got the class Adam" in message


def test_a_wrong_h0_is_told_the_shape_with_its_numbers():
    model = bpttviz.ElmanRNN(3, 16, 1)
    x, y = np.zeros((10, 4, 3)), np.zeros((10, 4, 1))
    got, message = _error(lambda: bpttviz.bptt(model, x, y, h0=np.zeros(16)))
    assert got is ValueError
    assert message == ("The 'h0' parameter of bptt must have shape (B, S) = (4, 16) for 4 "
                       "sequences and a state of 16 floats. Got shape (16,) instead.")


@pytest.mark.parametrize("name, call", [
    ("bptt", lambda model, h0: bpttviz.bptt(model, X, Y, h0=h0)),
    ("unroll", lambda model, h0: bpttviz.unroll(model, X, h0=h0)),
    ("LSTM.predict", lambda model, h0: model.predict(X, h0=h0)),
    ("rtrl", lambda model, h0: bpttviz.rtrl(model, X, Y, h0=h0)),
    ("uoro", lambda model, h0: bpttviz.uoro(model, X, Y, h0=h0)),
    ("step_jacobians", lambda model, h0: D.step_jacobians(model, X, h0=h0)),
    ("truncation_bias", lambda model, h0: D.truncation_bias(model, X, Y, [2], h0=h0)),
])
@pytest.mark.parametrize("h0", [np.zeros(2 * H), np.zeros((B + 1, 2 * H)), np.zeros((B, H))])
def test_a_wrong_h0_names_the_function_called_and_the_lstm_state(name, call, h0):
    got, message = _error(lambda: call(lstm(), h0))
    assert got is ValueError
    assert message == (f"The 'h0' parameter of {name} must have shape (B, S) = ({B}, {2 * H}) "
                       f"for {B} sequences and a state [h, c] of {2 * H} floats. Got shape "
                       f"{h0.shape} instead.")


@pytest.mark.parametrize("name, call", [
    ("bptt", lambda model: bpttviz.bptt(model, X, Y)),
    ("train", lambda model: bpttviz.train(model, adding(), progress=False)),
    ("lyapunov_exponent", lambda model: D.lyapunov_exponent(model, X)),
])
def test_a_bad_model_parameter_names_the_function_called(name, call):
    model = elman()
    model.params["W_hh"] = np.zeros((H, H + 1))
    got, message = _error(lambda: call(model))
    assert got is ValueError
    assert message == (f"The model given to {name} has a bad parameter: 'W_hh' must have shape "
                       f"({H}, {H}). Got shape ({H}, {H + 1}) instead.")


def test_gradient_agreement_refuses_a_reshaped_recurrent_matrix_of_the_same_size():
    args = trace_and_full()
    wrong = dict(args["full_grads"])
    wrong["W_hh"] = wrong["W_hh"].reshape(1, H * H)         # same size, another shape
    got, message = _error(lambda: D.gradient_agreement(args["trace"], wrong))
    assert got is ValueError and f"shape {(H, H)}" in message and f"{(1, H * H)}" in message


def test_a_mask_with_no_target_is_refused_at_the_top_level():
    got, message = _error(lambda: bpttviz.bptt(elman(), X, Y, mask=np.zeros(T)))
    assert got is ValueError and "'mask'" in message and "positive weight" in message


def test_a_mask_whose_targets_no_update_injects_is_refused():
    mask = np.zeros(T)
    mask[-1] = 1                                      # EARLY's one update injects steps 0-2
    got, message = _error(lambda: bpttviz.bptt(elman(), X, Y, mask=mask, schedule=EARLY))
    assert got is ValueError
    assert message == ("The 'mask' parameter of bptt must give a target to a step whose loss the "
                       "schedule injects, or every gradient is zero; early injects steps "
                       "[0, 1, 2]. Got targets at steps [5] instead.")
    trace = bpttviz.bptt(elman(), X, Y, mask=mask, schedule=schedules.tbptt(T, 2, 2))
    assert np.isnan(trace.updates[0].loss) and np.isfinite(trace.updates[-1].loss)


def test_long_lists_of_steps_are_shown_by_their_ends():
    mask = np.zeros(100)
    mask[3::10] = 1                                   # last_loss injects steps 9, 19, ..., 99
    x, y = np.zeros((100, 1, I)), np.zeros((100, 1, O))
    got, message = _error(lambda: bpttviz.bptt(elman(), x, y, mask=mask,
                                               schedule=schedules.last_loss(100, 10)))
    assert message.endswith("; last_loss injects steps [9, 19, 29, ..., 99] (10 steps). Got "
                            "targets at steps [3, 13, 23, ..., 93] (10 steps) instead.")


def test_a_loss_injected_twice_is_quoted_as_a_list():
    plans = (UpdatePlan(3, [0, 1, 2], [0, 0, 0]), UpdatePlan(5, [2, 3, 4], [0, 0, 0]))
    got, message = _error(lambda: Schedule("twice", 5, plans))
    assert got is ValueError and message.endswith("[3, 4]. Got [2, 3, 4] instead.")


def test_a_list_of_booleans_is_a_mask_like_the_same_array():
    m = [True, False, True, True, False, True]
    a = bpttviz.bptt(elman(), X, Y, mask=m)
    b = bpttviz.bptt(elman(), X, Y, mask=np.array(m))
    assert a.loss == b.loss and np.isfinite(a.loss)
    np.testing.assert_array_equal(a.carries, np.array(m))


def test_an_integer_dtype_names_the_parameter():
    got, message = _error(lambda: bpttviz.ElmanRNN(1, 2, 1, dtype=32))
    assert got is ValueError
    assert message == ("The 'dtype' parameter of ElmanRNN must be one of {'float64', "
                       "'float32'}. Got 32 instead.")


def test_no_inputs_names_the_parameter_and_the_shape():
    got, message = _error(lambda: bpttviz.bptt(elman(), None, Y))
    assert got is TypeError
    assert message == ("The 'inputs' parameter of bptt must be an array of shape "
                       f"(T, B, I={I}). Got None instead.")


def test_no_k2_values_is_an_empty_list_not_a_dtype():
    got, message = _error(lambda: D.truncation_bias(elman(), X, Y, k2_values=[]))
    assert got is ValueError
    assert message == ("The 'k2_values' parameter of truncation_bias must not be empty "
                       "along axis K. Got shape (0,) instead.")


def test_a_schedule_that_reaches_no_target_gives_a_short_message():
    task = tasks.AddingProblem(lag=200)
    early = Schedule("early", task.seq_len, (UpdatePlan(10, np.arange(10), np.zeros(10)),))
    got, message = _error(lambda: bpttviz.train(
        bpttviz.ElmanRNN(2, 4, 1), task, schedule=early, batch_size=64, n_updates=2,
        progress=False))
    assert got is ValueError and "'schedule'" in message and len(message) < MAX_MESSAGE


def test_a_fixed_batch_is_described_not_printed():
    b = tasks.AddingProblem(lag=200).sample(64, 0)
    assert len(repr(b)) < 100 and "T=210" in repr(b) and "B=64" in repr(b)


@pytest.mark.parametrize("call, says", [
    (lambda: tasks.AddingProblem(lag=50, seq_len=20),
     "'seq_len' parameter of AddingProblem must be an int in the range [52, inf) (at least "
     "lag + 2 = 52"),
    (lambda: tasks.CopyMemory(lag=20, seq_len=10),
     "(at least lag + n_symbols = 30"),
    (lambda: tasks.CopyMemory(lag=5), "(more than n_symbols = 10"),
    (lambda: tasks.SequenceClassification(lag=20, seq_len=5), "(at least lag + key_len = 23"),
])
def test_a_range_set_by_another_parameter_says_which(call, says):
    _, message = _error(call)
    assert says in message and "Got" in message


@pytest.mark.parametrize("model, cell", [(bpttviz.LSTM, "its cell uses tanh"),
                                         (bpttviz.GRU, "its candidate state uses tanh")])
def test_a_gated_network_refuses_an_activation_and_says_whose_it_is(model, cell):
    kind, message = _error(lambda: model(I, H, O, activation="relu"))
    assert kind is ValueError
    assert f"The 'activation' parameter of {model.__name__} must be None" in message
    assert cell in message and "ElmanRNN takes an activation" in message
    assert "Got 'relu' instead." in message
    assert model(I, H, O, activation=None).n_hidden == H

