"""Lesson 4, training: two truncation settings trained side by side, live.

Truncated BPTT(k1, k2) (Williams & Peng 1990) can only learn a dependency
that its window of k2 states reaches: a target that depends on an input
further back than k2 steps gets no gradient from it (Tallec & Ollivier 2017
on the bias; Hochreiter & Schmidhuber 1997 for the long-lag tasks used
here). Two configurations, A and B, train from the same initial weights on
the same data, so what differs is only what the lesson's controls set: k1,
k2 and the clipping threshold (Pascanu, Mikolov & Bengio 2013, algorithm 1).

Training is long work: the page's Train runs the two :func:`bpttviz.train`
calls in background threads (:meth:`TrainingLesson.new_run`) and returns at
once, following them (:mod:`bpttviz.app.background`).

The memory figure is the trade-off of gradient checkpointing, memory against
recomputation, measured by the engine: one full-BPTT gradient of this network
keeping every step's cache, against storing only every m-th state and
recomputing the rest (Chen, Xu, Zhang & Guestrin 2016; Gruslys et al. 2016).

Beside the generated tasks, a real series (the Nile's flow, :func:`bpttviz.tasks.nile`)
and "Your data": a CSV or text file the user uploads (:mod:`.your_data`; the page
hands it to :meth:`TrainingLesson.use_data`), trained on exactly as the other
tasks are.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from .. import figures
from ..diagnostics import cost_table
from ..models import GRU, LSTM, ElmanRNN
from ..schedules import tbptt
from ..tasks import Series, make_task
from ..training import OPTIMIZERS, train
from .common import finite_or_none, readout_html
from .control import Control
from .lesson import LessonWithRuns, Limits
from .runs import TrainingRun
from .your_data import T_HIGH, T_LOW, sensible_T

__all__ = ["TrainingLesson", "Setup", "LESSON_TASKS", "YOUR_DATA", "CELLS", "lesson_task",
           "needed_spans", "make_model", "update_windows", "checkpoint_intervals", "memory_key"]

#: Tasks of the lesson: long lags first, then one with none, then a real series.
LESSON_TASKS = ("temporal_order", "adding", "sequence_classification", "copy_memory", "sine",
                "nile")
#: The menu's last choice: a file the user uploads (never in a link: the data stays in the page).
YOUR_DATA = "your_data"
#: What the task menu shows for each (the query string keeps the names above).
TASK_LABELS = {"temporal_order": "temporal order", "adding": "adding problem",
               "sequence_classification": "information latching", "copy_memory": "copy memory",
               "sine": "sine wave", "nile": "Nile flow (real)", YOUR_DATA: "Your data"}
CELLS = ("elman", "lstm", "gru")
LEARNING_RATES = ("0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1")
BATCH = 32                  # sequences per batch
LABELS = ("A", "B")
# The loss and gradient axes stop this far up, so an exploding run does not flatten the other
# (the curve runs off the top, its end is marked on the edge and the page says where it stopped).
LOSS_CEIL = 1e4             # times the task's baseline loss
GRAD_CEIL = 1e12

_TASK_TEXT = {
    "temporal_order": "temporal order (Hochreiter & Schmidhuber 1997, exp. 6a): classify the "
                      "order of two symbols shown early in the sequence",
    "adding": "adding problem (Hochreiter & Schmidhuber 1997, exp. 4): add the two marked "
              "values of the first half",
    "sequence_classification": "information latching (Bengio, Simard & Frasconi 1994): a class "
                               "shown for 3 steps, then noise",
    "copy_memory": "copy memory (Arjovsky, Shah & Bengio 2016): recall 3 symbols T−3 steps "
                   "later",
    "sine": "sine wave, next value: the target depends on the last inputs only",
    "nile": "the Nile's annual flow at Aswan, 1871–1970 (Cobb 1978), 100 values: predict next "
            "year's flow; the flow drops from 1899 on and stays correlated for a dozen years",
}


def lesson_task(name: str, T: int):
    """The task ``name`` over T steps, its lag tied to T as the lesson uses it."""
    if name == "temporal_order" or name == "sine":
        return make_task(name, seq_len=T)
    if name == "nile":
        return make_task("nile", T=T)
    if name == "adding":
        return make_task("adding", lag=T // 2, seq_len=T)
    if name == "sequence_classification":
        return make_task(name, lag=T // 2, key_len=3, seq_len=T)
    if name == "copy_memory":
        return make_task(name, lag=T - 3, n_symbols=3, n_classes=4, seq_len=T)
    raise ValueError(f"task must be one of {', '.join(LESSON_TASKS)}. Got {name!r} instead.")


def needed_spans(task, T: int) -> list:
    """Half-open step ranges ``(start, stop)`` where the inputs the targets depend on may lie."""
    name = task.name
    if name == "temporal_order":
        (a1, b1), (a2, b2) = task.positions(T)
        return [(a1, b1 + 1), (a2, b2 + 1)]
    if name == "adding":
        return [(0, T - task.lag)]
    if name == "sequence_classification":
        end = T - task.lag
        return [(end - task.key_len, end)]
    if name == "copy_memory":
        first = T - task.lag - task.n_symbols
        return [(first, first + task.n_symbols)]
    return []


def make_model(cell: str, task, H: int, seed: int, radius: float = 1.0):
    """A fresh network for ``task``: Elman (tanh, spectral radius ``radius``), LSTM or GRU."""
    if cell == "elman":
        return ElmanRNN(task.n_in, H, task.n_out, "tanh", seed, radius=radius)
    if cell == "lstm":
        return LSTM(task.n_in, H, task.n_out, seed)
    if cell == "gru":
        return GRU(task.n_in, H, task.n_out, seed)
    raise ValueError(f"cell must be one of {', '.join(CELLS)}. Got {cell!r} instead.")


def update_windows(schedule, carries) -> list:
    """Per update injecting a target: ``(lo, hi, losses)``: its window and those losses.

    ``carries`` (T,) bool marks the steps whose loss carries a target;
    updates that inject none are skipped, as :func:`bpttviz.train` skips them.
    """
    out = []
    for plan in schedule.updates:
        carry = np.asarray(carries)[plan.losses]
        if carry.any():
            taus, starts = plan.losses[carry], plan.starts[carry]
            out.append((int(starts.min()), int(taus.max()), taus))
    return out


def checkpoint_intervals(T: int) -> np.ndarray:
    """Checkpoint intervals shown: powers of two below T, about sqrt(T), and T (at most 12)."""
    m = [2 ** i for i in range(12) if 2 ** i < T] + [int(round(np.sqrt(T))), T]
    m = np.unique(m)
    if m.size > 12:                 # keep the ends and sqrt(T)
        m = np.unique(np.r_[m[:10], int(round(np.sqrt(T))), T])
    return m


def _lr(text):
    return float(text)


def memory_key(values, data=None) -> tuple:
    """What the memory figure depends on: the network, its data and T (not the windows).

    The spectral radius shapes only the Elman network; ``data`` names the user's
    file read (:attr:`.your_data.UserData.key`) when the task is "Your data".
    """
    return tuple(values[k] for k in ("task", "cell", "T", "hidden", "seed")) + (
        values["radius"] if values["cell"] == "elman" else None, data)


def needed_reached(result, values, config: int = 0, span: int | None = None) -> float:
    """Fraction of the steps the targets depend on (``result.needed``) that some window of
    configuration ``config`` (0: A, 1: B) backpropagates through (lesson 4)."""
    spans = result.needed if span is None else [result.needed[span]]
    steps = np.concatenate([np.arange(a, b) for a, b in spans])
    covered = np.zeros(steps.size, dtype=bool)
    for lo, hi, _ in result.windows[config]:
        covered |= (steps >= lo) & (steps <= hi)
    return float(covered.mean())


def best_checkpoint_over_sqrt_t(result, values) -> float:
    """The checkpoint interval m storing the fewest floats, divided by sqrt(T) (lesson 4)."""
    peaks = [c.peak_stored_floats for c in result.checkpoint_costs]
    m = np.asarray(result.checkpoints)[int(np.argmin(peaks))]
    return float(m / np.sqrt(result.batch.T))


@dataclass(frozen=True)
class Setup:
    """What a change of the controls computes: the task, the start and the costs."""

    task: object
    model: object               # the initial network, shared by A and B
    batch: object               # a sample of the task (for the figures and the costs)
    carries: np.ndarray         # (T,) bool, the steps whose loss carries a target
    needed: list                # (start, stop) spans of the inputs the targets depend on
    schedules: tuple            # (A, B) bpttviz.Schedule
    windows: tuple              # (A, B) update_windows
    checkpoints: np.ndarray     # checkpoint intervals m
    checkpoint_costs: tuple     # bpttviz.Cost per m
    store_all: object           # bpttviz.Cost keeping every cache
    configs: tuple              # (A, B) dicts of train() arguments
    data: object = None         # the user's file read (.your_data.UserData), for "Your data"


#: The lesson's controls.
CONTROLS = (
    Control("task", "task", "option", "temporal_order",
            options=tuple((TASK_LABELS[t], t) for t in LESSON_TASKS + (YOUR_DATA,))),
    Control("cell", "cell", "option", "gru",
            options=(("Elman (tanh)", "elman"), ("LSTM", "lstm"), ("GRU", "gru"))),
    Control("T", "T (steps)", "int", 20, 10, 60, help="Length of each sequence"),
    Control("hidden", "H (hidden units)", "int", 16, 2, 64),
    Control("radius", "ρ(W_hh) at start", "float", 1.0, 0.1, 2.0, 0.05,
            help="Spectral radius of the Elman network's W_hh before training"),
    Control("k1_a", "A: k1 (steps)", "int", 20, 1, 60, help="Steps between A's updates"),
    Control("k2_a", "A: k2 (states)", "int", 5, 1, 60,
            help="States each of A's updates backpropagates through"),
    Control("clip_a", "A: clip (0 = off)", "float", 0.0, 0.0, 5.0, 0.1,
            help="Threshold on the gradient's global norm for A"),
    Control("k1_b", "B: k1 (steps)", "int", 20, 1, 60, help="Steps between B's updates"),
    Control("k2_b", "B: k2 (states)", "int", 20, 1, 60,
            help="States each of B's updates backpropagates through"),
    Control("clip_b", "B: clip (0 = off)", "float", 0.0, 0.0, 5.0, 0.1,
            help="Threshold on the gradient's global norm for B"),
    Control("optimizer", "optimizer", "option", "adam", options=tuple(OPTIMIZERS)),
    Control("lr", "learning rate", "option", "0.01", options=LEARNING_RATES),
    Control("updates", "updates", "int", 300, 10, 3000, 10,
            help="Parameter updates per configuration"),
    Control("seed", "seed", "int", 0, 0, 99, help="Initial weights and data"),
)

#: Named settings: the questions the lesson is about.
PRESETS = {
    "k2 below / above the lag": dict(
        task="temporal_order", cell="gru", T=20, k1_a=20, k2_a=5, clip_a=0.0, k1_b=20,
        k2_b=20, clip_b=0.0, optimizer="adam", lr="0.01", updates=300),
    "clipping": dict(
        task="sine", cell="elman", radius=1.5, T=20, k1_a=20, k2_a=20, clip_a=0.0, k1_b=20,
        k2_b=20, clip_b=1.0, optimizer="sgd", lr="1", updates=300),
    "online updates": dict(
        task="copy_memory", cell="lstm", T=12, k1_a=12, k2_a=12, clip_a=0.0, k1_b=1,
        k2_b=12, clip_b=0.0, optimizer="adam", lr="0.01", updates=300),
}


class TrainingLesson(LessonWithRuns):
    """Lesson 4: train two TBPTT configurations side by side with live loss and gradient norms.

    A change of the controls (one :meth:`compute`: the task, the initial
    network, the windows, and the measured memory when the network or its data
    changed) stops a run in progress and clears the curves; *Train* starts both
    runs, *Stop* ends them.

    "Your data" (:attr:`uploads`): the page reads the user's file
    (:class:`~.your_data.UserData`, kept as :attr:`data` for that page only).
    """

    title = "Training"
    summary = ("two truncation settings trained side by side, live: what a window that does not "
               "reach the task's lag cannot learn, what clipping saves, and what gradient "
               "checkpointing trades for memory.")
    slug = "training"
    number = 4
    class_control = "k2_a"
    controls = CONTROLS
    presets = PRESETS
    uploads = ("task", YOUR_DATA)

    run_names = LABELS
    figure_names = ("loss", "grad", "reach", "memory")
    live_figures = ("loss", "grad")
    start_tooltip = "Train A and B from the same start"
    stop_tooltip = "Stop both runs after their current update"
    quantities = {f.__name__: f for f in (needed_reached, best_checkpoint_over_sqrt_t)}

    def limits(self, values):
        mine = values["task"] == YOUR_DATA
        # A short series or text holds fewer steps than the slider's end.
        T_max = min(T_HIGH, self.data.max_T) if mine and self.data is not None else T_HIGH
        T = min(values["T"], T_max)
        return {"T": Limits(high=T_max), "radius": Limits(disabled=values["cell"] != "elman"),
                **{name: Limits(high=T) for name in ("k1_a", "k2_a", "k1_b", "k2_b")}}

    # -- "Your data" --------------------------------------------------------------------------
    def waiting(self, values) -> bool:
        """Whether "Your data" is chosen and no file has been read yet: nothing to compute."""
        return values["task"] == YOUR_DATA and self.data is None

    def use_data(self, data, values) -> dict:
        """The control values that train on ``data`` (a file read by the upload): the task
        "Your data", T set against its length unless the page's link fixes T.

        Raises ``ValueError`` (before anything changes) when the link fixes the task at
        another, or fixes T beyond what the data holds. The caller keeps ``data``
        (:attr:`data`) and sets the values.
        """
        if "task" in self.fixed and values["task"] != YOUR_DATA:
            raise ValueError(f"this page's link fixes the task at "
                             f"'{TASK_LABELS[values['task']]}', so it cannot train on "
                             f"your data.")
        T = values["T"] if "T" in self.fixed else sensible_T(data.length)
        if T > data.max_T:
            raise ValueError(f"this page's link fixes T at {T} steps, and the data holds at "
                             f"most {data.max_T}.")
        task = data.make_task(T)                    # checked before anything changes
        task.sample(2, np.random.default_rng(0), T)
        return {"task": YOUR_DATA, "T": T}

    def data_key(self, values):
        """Names the user's file read when the task is "Your data" (for caches), else None."""
        data = self.data
        return data.key if values["task"] == YOUR_DATA and data is not None else None

    def result_key(self, values):
        return None if values["task"] == YOUR_DATA else super().result_key(values)

    def link_refusal(self, name, value):
        if name == "task" and value == YOUR_DATA:
            return (f"a link cannot carry your data; choose '{TASK_LABELS[YOUR_DATA]}' and "
                    f"upload the file again.")
        return ""

    def link_note(self, values):
        if values["task"] != YOUR_DATA:
            return ""
        return ("This link cannot carry your data (it stays in this page): it opens the "
                "lesson on the default task, with the other settings shown here.")

    # -- one engine run per change ------------------------------------------------------
    def compute(self, values):
        T, seed = values["T"], values["seed"]
        data = self.data if values["task"] == YOUR_DATA else None
        if values["task"] == YOUR_DATA and data is None:
            raise ValueError("choose a file under 'Your data' first.")
        task = data.make_task(T) if data is not None else lesson_task(values["task"], T)
        model = make_model(values["cell"], task, values["hidden"], seed, values["radius"])
        batch = task.sample(BATCH, np.random.default_rng(seed), T)
        carries = (np.asarray(batch.mask) > 0).any(axis=1)
        configs, schedules = [], []
        for s in ("a", "b"):
            k1, k2, clip = values[f"k1_{s}"], values[f"k2_{s}"], values[f"clip_{s}"]
            schedules.append(tbptt(T, k1, k2))
            configs.append(dict(k1=k1, k2=k2, optimizer=values["optimizer"],
                                lr=_lr(values["lr"]), clip=clip if clip > 0 else None,
                                n_updates=values["updates"], batch_size=BATCH, seq_len=T,
                                seed=seed))
        windows = tuple(update_windows(s, carries) for s in schedules)
        m = checkpoint_intervals(T)
        runs = {"all": {}, **{f"m={k}": {"checkpoint": int(k)} for k in m}}
        # About ten engine runs, which only the network and its data change.
        costs = self.cached(("memory",) + memory_key(values, self.data_key(values)),
                            lambda: cost_table(model, batch.inputs, batch.targets, runs,
                                               loss=batch.loss, mask=batch.mask))
        return Setup(task, model, batch, carries, needed_spans(task, T), tuple(schedules),
                     windows, m, tuple(costs[f"m={k}"] for k in m), costs["all"],
                     tuple(configs), data)

    def render(self, setup, values):
        T = setup.batch.T
        data = self.data_key(values)
        reach = tuple(values[k] for k in ("task", "T", "k1_a", "k2_a", "k1_b", "k2_b")) + (data,)
        c = setup.checkpoint_costs
        # Each figure is built once per what it shows: the same record is not sent again.
        return {
            "reach": self.cached(("reach figure",) + reach, lambda: figures.reach(
                T, setup.needed, np.flatnonzero(setup.carries), setup.windows, labels=LABELS),
                keep=2),
            "memory": self.cached(("memory figure",) + memory_key(values, data),
                                  lambda: figures.checkpoint_cost(
                                      setup.checkpoints, [x.peak_stored_floats for x in c],
                                      [x.forward_steps for x in c],
                                      setup.store_all.peak_stored_floats,
                                      setup.store_all.forward_steps), keep=2),
            **self.draw_run(None, setup),
        }

    def draw_run(self, run, setup):
        """The loss and gradient curves of ``run`` (None: empty, waiting for Train), labelled
        with the settings the run trains with."""
        setup = run.setup if run is not None else setup
        configs = setup.configs
        n = configs[0]["n_updates"]
        rows = [run.rows(i) if run is not None else None for i in range(len(LABELS))]
        x = [np.arange(len(r["loss"])) if r is not None else np.zeros(0) for r in rows]
        marks_loss, marks_grad = [], []
        for i, r in enumerate(rows):
            reason = run.stop_reason(i) if run is not None else None
            if r is None or reason is None or not len(r["loss"]):
                marks_loss.append(None)
                marks_grad.append(None)
                continue
            u = len(r["loss"]) - 1
            marks_loss.append(([u], [_last_finite(r["loss"])]))
            marks_grad.append(([u], [_last_finite(r["grad_norm"])]))
        labels = [f"{LABELS[i]}: k1={c['k1']}, k2={c['k2']}"
                  + (f", clip {c['clip']:g}" if c["clip"] else "") for i, c in enumerate(configs)]
        waiting = "press Train to start" if run is None else ""
        baseline = setup.task.baseline
        return {
            "loss": figures.lines(x, [r["loss"] if r is not None else None for r in rows], labels,
                                  marks=marks_loss, baseline=baseline,
                                  baseline_label=_baseline_label(setup.task),
                                  xlim=(0, n), ymax=LOSS_CEIL * baseline, note=waiting,
                                  title="Loss while training", xlabel="update",
                                  ylabel="loss of the update", legend="upper right"),
            "grad": figures.lines(x, [r["grad_norm"] if r is not None else None for r in rows],
                                  labels, marks=marks_grad, refs=[c["clip"] for c in configs],
                                  ref_label="clip threshold", xlim=(0, n), ymax=GRAD_CEIL,
                                  note=waiting, title="Gradient norm before clipping",
                                  xlabel="update", ylabel="‖g‖", legend="lower right"),
        }

    def experiment_result(self, setup, run=None):
        """The final loss (the last finite one) of each network after a run."""
        if run is None or run.alive():
            raise ValueError("Train first, and wait for the run to end: this lesson's result "
                             "is each network's final loss.")
        return {f"final_loss_{label.lower()}": finite_or_none(_last_finite(run.rows(i)["loss"]))
                for i, label in enumerate(LABELS)}

    # -- training ---------------------------------------------------------------------------
    def new_run(self, setup, values):
        """Train A and B from ``setup`` (the page starts them)."""
        return TrainingRun(setup, values["updates"], train)

    # -- text ---------------------------------------------------------------------------------
    def describe(self, setup, values):
        T = setup.batch.T
        if setup.data is not None:
            d = setup.data
            what = ("next character" if d.kind == "text" else "next value")
            lines = [f"<i>your data: {html.escape(d.label)}, {d.length:,} "
                     f"{'characters' if d.kind == 'text' else 'values'}; predict the {what}</i>",
                     f"T = {T} steps, so a window starts at any of {d.length - T:,} places. "
                     + ("This page's link fixes T." if "T" in self.fixed else
                        f"Reading the file set T to {sensible_T(d.length)}: a fifth of your "
                        f"data, within {T_LOW}–{T_HIGH} (at most {min(T_HIGH, d.max_T)} "
                        f"here).")]
        else:
            lines = [f"<i>{html.escape(_TASK_TEXT[values['task']])}</i>"]
        if setup.needed:
            first = min(s for s, _ in setup.needed)
            last = max(e for _, e in setup.needed) - 1
            lines.append(f"The last target needs inputs back to step {first}: an update at the "
                         f"end reaches them all with k2 ≥ {T - first}, some with "
                         f"k2 ≥ {T - last}.")
            for i, s in enumerate(("a", "b")):
                k2 = values[f"k2_{s}"]
                verdict = ("reaches all" if k2 >= T - first else
                           "reaches some" if k2 >= T - last else "reaches none")
                lines.append(f"{LABELS[i]}: k2 = {k2} {verdict} (when k1 = T).")
        scores = ("what repeating the last value scores" if isinstance(setup.task, Series)
                  else "what ignoring the inputs scores")
        lines.append(f"Baseline loss {setup.task.baseline:.3g}: {scores}.")
        c = setup.checkpoint_costs
        best = int(np.argmin([x.peak_stored_floats for x in c]))
        lines.append(f"One gradient keeping every cache: {setup.store_all.peak_stored_floats:,} "
                     f"floats, {setup.store_all.forward_steps} forward steps; checkpoint every "
                     f"{setup.checkpoints[best]}: {c[best].peak_stored_floats:,} floats, "
                     f"{c[best].forward_steps} forward steps.")
        return readout_html(lines)


def _baseline_label(task):
    if isinstance(task, Series):
        return "baseline (repeats the last value)"
    return "baseline (ignores the inputs)"


def _last_finite(a):
    a = np.asarray(a, dtype=float)
    ok = a[np.isfinite(a)]
    return float(ok[-1]) if ok.size else np.nan
