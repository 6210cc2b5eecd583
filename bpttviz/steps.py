"""Guided steps of the lessons (predict, observe, explain) as data, and the checks of their claims.

Each lesson ships its steps as a JSON file in ``bpttviz/data/steps/``,
named after the lesson's slug (``vanishing_exploding.json`` for the app whose
``slug`` is ``"vanishing_exploding"``). A file holds ``{"lesson": ..., "steps": [step, ...]}``;
a step is an object with

``title``
    A few words shown in the step's heading.
``settings``
    The control values the step applies (controls it does not name are set
    to their defaults, so the step always shows the same configuration).
``question``, ``choices``, ``answer``
    The prediction asked for, the choices offered (texts), and the correct
    choice (one of the texts).
``checks``
    The claims the answer rests on, each computed from the lesson's result:
    ``{"name", "quantity", "args", "baseline", "compare", "claim"}``.
    ``quantity`` names a function of :data:`QUANTITIES` called as
    ``f(result, values, **args)``; with ``baseline`` (control values that
    differ from the step's), the same quantity is computed for that
    configuration too and ``compare`` ("ratio" or "difference") combines
    them (after / before, after - before). ``claim`` is ``[op, bound]`` or
    ``["between", low, high]`` with ``op`` one of ``<, <=, >, >=``.
``reveal``
    What happened, a template filled with the checks' numbers
    (``{name}``, and ``{name_before}``, ``{name_after}`` for a comparison).
``highlight``
    The figure the reveal is about and what to mark on it:
    ``{"figure", "axes", "kind", "x", "y", "label", "name"}`` with ``kind``
    one of "point", "vline", "hline", "span", "none"; ``x``/``y`` are numbers
    or the name of a number of the checks; ``name`` is what the page calls
    the figure (default: its axes' title).
``explanation``, ``source``
    One paragraph on why, and the literature it comes from (authors, year).

Adding a lesson's steps is adding its file: :func:`load_steps` finds it by
slug, and the quantity ``read`` reaches any number of a result by its
attribute path, so most claims need no new code.

NumPy and the standard library only: the quantities read the results that
the lessons' ``compute`` returns (duck-typed) and the engine's records.
"""

from __future__ import annotations

import json
import math
import operator
import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .diagnostics import cliff_grad
from .engine import unroll
from .losses import LOSSES

__all__ = ["Step", "Check", "Outcome", "CheckResult", "load_steps", "steps_dir", "available",
           "validate_steps", "evaluate", "parse_step_option", "QUANTITIES", "CLAIM_OPS",
           "HIGHLIGHT_KINDS", "per_copy_shares", "first_overflow"]

#: Comparisons a claim may use.
CLAIM_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
#: What a step can mark on the axes of its figure.
HIGHLIGHT_KINDS = ("point", "vline", "hline", "span", "none")
COMPARES = ("ratio", "difference")


def steps_dir() -> Path:
    """The folder of the steps files shipped in the package (``bpttviz/data/steps``)."""
    return Path(__file__).resolve().parent / "data" / "steps"


def available() -> list:
    """The slugs of the lessons that ship steps."""
    return sorted(p.stem for p in steps_dir().glob("*.json"))


@dataclass(frozen=True)
class Check:
    """One computed claim of a step (see the module's docstring)."""

    name: str
    quantity: str
    claim: tuple
    args: dict = field(default_factory=dict)
    baseline: dict | None = None
    compare: str = "ratio"

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the claim (never for NaN)."""
        value = float(value)
        if not math.isfinite(value) and not math.isinf(value):
            return False
        if self.claim[0] == "between":
            return bool(self.claim[1] <= value <= self.claim[2])
        return bool(CLAIM_OPS[self.claim[0]](value, self.claim[1]))

    def describe(self) -> str:
        """The claim in words, e.g. ``"lag40 < 1e-06"``."""
        if self.claim[0] == "between":
            return f"{self.claim[1]:g} <= {self.name} <= {self.claim[2]:g}"
        return f"{self.name} {self.claim[0]} {self.claim[1]:g}"


@dataclass(frozen=True)
class Step:
    """One guided step: settings, a question with choices, the answer, its checks and reveal."""

    title: str
    settings: dict
    question: str
    choices: tuple
    answer: str
    checks: tuple
    reveal: str
    highlight: dict
    explanation: str
    source: str

    @property
    def answer_index(self) -> int:
        return self.choices.index(self.answer)


@dataclass(frozen=True)
class CheckResult:
    """A check evaluated: the number computed and whether the claim holds for it."""

    check: Check
    value: float
    holds: bool


@dataclass(frozen=True)
class Outcome:
    """A step's checks evaluated for one configuration.

    Attributes
    ----------
    facts : dict of str -> float
        Every number of the checks, by name (and ``name_before``/``name_after``
        for a comparison): what the reveal and the highlight are filled with.
    results : tuple of CheckResult
    """

    facts: dict
    results: tuple

    @property
    def holds(self) -> bool:
        """Whether every claim of the step holds."""
        return all(r.holds for r in self.results)

    def failed(self) -> list:
        """The claims that do not hold, in words with the value computed."""
        return [f"{r.check.describe()} (computed {r.value:.4g})" for r in self.results
                if not r.holds]


def _error(where, what, got):
    return ValueError(f"{where}: {what}. Got {got!r} instead.")


def _check_from(data, where) -> Check:
    if not isinstance(data, dict):
        raise _error(where, "a check must be an object", data)
    for key in ("name", "quantity", "claim"):
        if key not in data:
            raise _error(where, f"a check needs '{key}'", data)
    if data["quantity"] not in QUANTITIES:
        raise _error(where, f"'quantity' must be one of {', '.join(QUANTITIES)}",
                     data["quantity"])
    claim = data["claim"]
    ok = (isinstance(claim, list) and
          ((len(claim) == 2 and claim[0] in CLAIM_OPS) or
           (len(claim) == 3 and claim[0] == "between" and claim[1] <= claim[2])) and
          all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in claim[1:]))
    if not ok:
        raise _error(where, f"'claim' must be [op, number] with op one of "
                            f"{', '.join(CLAIM_OPS)}, or ['between', low, high]", claim)
    compare = data.get("compare", "ratio")
    if compare not in COMPARES:
        raise _error(where, f"'compare' must be one of {', '.join(COMPARES)}", compare)
    baseline = data.get("baseline")
    if baseline is not None and (not isinstance(baseline, dict) or not baseline):
        raise _error(where, "'baseline' must be an object of control values", baseline)
    return Check(str(data["name"]), data["quantity"], tuple(claim), dict(data.get("args", {})),
                 baseline, compare)


STEP_KEYS = ("title", "settings", "question", "choices", "answer", "checks", "reveal",
             "highlight", "explanation", "source")


def _step_from(data, where) -> Step:
    if not isinstance(data, dict):
        raise _error(where, "a step must be an object", data)
    missing = [k for k in STEP_KEYS if k not in data]
    if missing:
        raise _error(where, f"a step needs {', '.join(missing)}", sorted(data))
    extra = sorted(set(data) - set(STEP_KEYS))
    if extra:
        raise _error(where, f"a step has only the keys {', '.join(STEP_KEYS)}", extra)
    choices = tuple(data["choices"])
    if len(choices) < 2 or not all(isinstance(c, str) and c.strip() for c in choices):
        raise _error(where, "'choices' must be two or more non-empty texts", data["choices"])
    if len(set(choices)) != len(choices):
        raise _error(where, "'choices' must differ from each other", data["choices"])
    if data["answer"] not in choices:
        raise _error(where, f"'answer' must be one of the choices {choices}", data["answer"])
    for key in ("title", "question", "reveal", "explanation", "source"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise _error(where, f"'{key}' must be a non-empty text", data[key])
    if not isinstance(data["settings"], dict):
        raise _error(where, "'settings' must be an object of control values", data["settings"])
    checks = data["checks"]
    if not isinstance(checks, list) or not checks:
        raise _error(where, "'checks' must be a non-empty list", checks)
    checks = tuple(_check_from(c, f"{where}, check {i + 1}") for i, c in enumerate(checks))
    names = [c.name for c in checks]
    if len(set(names)) != len(names):
        raise _error(where, "the checks' names must differ", names)
    facts = set(names) | {f"{c.name}_{s}" for c in checks if c.baseline for s in
                          ("before", "after")}
    used = {f for _, f, _, _ in string.Formatter().parse(data["reveal"]) if f}
    unknown = sorted(used - facts)
    if unknown:
        raise _error(where, f"the reveal may name only the checks' numbers "
                            f"{', '.join(sorted(facts))}", unknown)
    hl = data["highlight"]
    if not isinstance(hl, dict) or "figure" not in hl:
        raise _error(where, "'highlight' must be an object naming a 'figure'", hl)
    if hl.get("kind", "none") not in HIGHLIGHT_KINDS:
        raise _error(where, f"the highlight's 'kind' must be one of {', '.join(HIGHLIGHT_KINDS)}",
                     hl.get("kind"))
    for key in ("x", "y"):
        v = hl.get(key)
        refs = v if isinstance(v, list) else [v]
        for r in refs:
            if isinstance(r, str) and r not in facts:
                raise _error(where, f"the highlight's {key!r} names no number of the checks "
                                    f"({', '.join(sorted(facts))})", r)
    return Step(data["title"], dict(data["settings"]), data["question"], choices,
                data["answer"], checks, data["reveal"], dict(hl), data["explanation"],
                data["source"])


def load_steps(slug: str, folder=None) -> tuple:
    """The steps of the lesson ``slug`` (a tuple of :class:`Step`), or () if it ships none.

    Raises ``ValueError`` naming the file and the step for malformed data.
    """
    path = Path(folder or steps_dir()) / f"{slug}.json"
    if not path.is_file():
        return ()
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise _error(str(path), "a steps file holds {\"lesson\": ..., \"steps\": [...]}",
                     type(data).__name__)
    steps = tuple(_step_from(s, f"{path.name}, step {i + 1}")
                  for i, s in enumerate(data["steps"]))
    if not 1 <= len(steps) <= 9:
        raise _error(str(path), "a lesson has 1 to 9 steps", len(steps))
    return steps


def validate_steps(steps, controls, figures=None) -> list:
    """Problems of ``steps`` against a lesson's controls (and figure names), as sentences.

    Each setting (and each baseline value) must name a control and pass its
    ``check`` (the declared range); the highlight must name one of
    ``figures`` when they are given. An empty list means the data is usable.
    """
    spec = {c.name: c for c in controls}
    problems = []
    for i, step in enumerate(steps, 1):
        groups = [("settings", step.settings)] + [(f"baseline of {c.name}", c.baseline)
                                                   for c in step.checks if c.baseline]
        for what, values in groups:
            for name, value in values.items():
                if name not in spec:
                    problems.append(f"step {i}, {what}: {name!r} is not a control "
                                    f"({', '.join(spec)})")
                    continue
                try:
                    spec[name].check(value)
                except ValueError as exc:
                    problems.append(f"step {i}, {what}: {exc}")
        if figures is not None and step.highlight["figure"] not in figures:
            problems.append(f"step {i}: the highlight names the figure "
                            f"{step.highlight['figure']!r}; the figures are "
                            f"{', '.join(figures)}")
    return problems


def parse_step_option(text, n_steps: int):
    """``(index, problem)`` for a ``?step=`` text: a 0-based index or None, and a sentence or None.

    Steps are numbered from 1 in the page and in links.
    """
    if text is None:
        return None, None
    if n_steps == 0:
        return None, f"step={text}: this lesson has no guided steps."
    try:
        number = int(str(text).strip())
    except ValueError:
        number = None
    if number is None or not 1 <= number <= n_steps:
        return None, (f"step={text}: the step must be a whole number from 1 to {n_steps} (this "
                      f"lesson's guided steps). Got {text!r} instead; no step is shown.")
    return number - 1, None


def evaluate(step: Step, result, values: dict, compute=None) -> Outcome:
    """Evaluate the checks of ``step`` on a lesson's ``result`` for control ``values``.

    Parameters
    ----------
    step : Step
    result
        What the lesson's ``compute(values)`` returned.
    values : dict
        The control values of ``result``.
    compute : callable, optional
        ``compute(values) -> result``, needed by checks with a ``baseline``
        (called with ``values`` updated by the baseline's).

    Returns
    -------
    Outcome
    """
    facts, results = {}, []
    for check in step.checks:
        f = QUANTITIES[check.quantity]
        after = float(f(result, values, **check.args))
        if check.baseline:
            if compute is None:
                raise ValueError(f"The check {check.name!r} compares with a baseline: evaluate "
                                 f"needs 'compute'. Got None instead.")
            base_values = {**values, **check.baseline}
            before = float(f(compute(base_values), base_values, **check.args))
            with np.errstate(all="ignore"):
                value = (after / before if check.compare == "ratio" else after - before)
            facts[f"{check.name}_before"] = before
            facts[f"{check.name}_after"] = after
        else:
            value = after
        value = float(value)
        facts[check.name] = value
        results.append(CheckResult(check, value, check.holds(value)))
    return Outcome(facts, tuple(results))


# -- the quantities ---------------------------------------------------------------------------

def read(result, values, path: str) -> float:
    """The number at ``path`` in ``result``: attributes, keys and indices joined by dots
    (``"point.cosine.0"``, ``"runs.1.lag_median.50"``); ``$name`` stands for ``values[name]``."""
    obj = result
    for part in path.split("."):
        if part.startswith("$"):
            part = str(values[part[1:]])
        if isinstance(obj, dict):
            obj = obj[part]
        elif part.lstrip("-").isdigit() and not hasattr(obj, part):
            obj = obj[int(part)]
        else:
            obj = getattr(obj, part)
    return float(obj)


def first_overflow(trace):
    """First step at which ``trace``'s forward pass or a backward sweep stopped being finite,
    or None."""
    steps = [trace.first_nonfinite] + [u.first_nonfinite for u in trace.updates]
    steps = [s for s in steps if s is not None]
    return min(steps) if steps else None


def overflow_step(result, values) -> float:
    """First step at which ``result.trace`` stopped being finite (forward or backward), or NaN."""
    step = first_overflow(result.trace)
    return math.nan if step is None else float(step)


def relative_reach(result, values, loss: int = -1, state: int = 0) -> float:
    """``flow[loss, state] / flow[loss, loss]`` of ``result.trace``: how much of one loss's
    error reaches an earlier state."""
    flow = np.asarray(result.trace.flow, dtype=float)
    T = flow.shape[0]
    loss, state = loss % T, state % T
    return float(flow[loss, state] / flow[loss, loss])


def lag_value(result, values, lag: int, key: str = "lag_median", run: int | None = None) -> float:
    """The lag profile ``key`` (median relative gradient by default) at ``lag``; of
    ``result.runs[run]`` when ``run`` is given (lesson 5)."""
    obj = result if run is None else result.runs[run]
    return float(np.asarray(getattr(obj, key))[lag])


def most_over_bound(result, values) -> float:
    """Largest ``lag_median / bound`` over the lags: at most 1 where the bound holds."""
    with np.errstate(all="ignore"):
        r = np.asarray(result.lag_median) / np.asarray(result.bound)
    return float(np.nanmax(r))


def growth_per_step(result, values) -> float:
    """``exp(lyapunov)``: the factor by which errors change per step along the sequence."""
    return float(np.exp(result.lyapunov))


def per_copy_shares(model, inputs, targets):
    """Each unrolled copy's share of the full-BPTT gradient of ``W_hh``: (T, H, H).

    Copy t's share is the gradient of the mean loss with respect to copy t's
    own ``W_hh`` (the weights it would change if the copies did not share
    them): ``(delta_t * phi'(a_t))^T h_{t-1}``, with ``delta_t = dL/dh_t``
    pulled back step by step through the cell's vector-Jacobian product
    (Werbos 1990). Their sum is the shared gradient that
    :func:`bpttviz.bptt` returns. Elman networks, mean squared error.
    """
    run = unroll(model, inputs)
    cell, params = model.cell, run.params
    cache = cell.prepare_backward(params, run.cache)
    T = inputs.shape[0]
    ones = np.ones(targets.shape[:2])
    _, dy = LOSSES["mse"](run.outputs, targets, ones)          # (T, B, O): d loss_t / d yhat_t
    inject = (dy / T) @ params["W_hy"]                         # (T, B, H): mean over the T losses
    shares = np.zeros((T,) + params["W_hh"].shape)
    g = np.zeros_like(run.hidden[0])
    for t in range(T - 1, -1, -1):
        g = g + inject[t]
        local, g = cell.vjp(params, cache, t, g)               # dL/da_t and dL/dh_{t-1}
        h_prev = run.states[t - 1] if t > 0 else cache["s_prev"]
        shares[t] = local.T @ h_prev
    return shares


def shared_update_rules(result, values, lr: float = 0.1, measure: str = "cosine") -> float:
    """The two accounts of the shared-weight update, compared on lesson 1's network.

    *Sum*: every copy proposes ``-lr * share_t`` and ``W_hh`` moves by their
    sum. *Average*: every copy changes its own weights,
    ``W_t = W_hh - lr * share_t``, and ``W_hh`` becomes their mean. Returns
    the cosine between the two weight changes (``measure="cosine"``), the
    ratio of their lengths sum / average (``"ratio"``), or the largest
    difference between the sum of the shares and the engine's shared gradient,
    relative to its norm (``"engine"``).
    """
    model, x, y = result.model, result.inputs, result.targets
    shares = per_copy_shares(model, x, y)                      # (k, H, H)
    W = model.params["W_hh"]
    by_sum = -lr * shares.sum(axis=0)
    by_average = np.mean([W - lr * s for s in shares], axis=0) - W
    if measure == "cosine":
        a, b = by_sum.ravel(), by_average.ravel()
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    if measure == "ratio":
        return float(np.linalg.norm(by_sum) / np.linalg.norm(by_average))
    if measure == "engine":
        g = result.trace.updates[0].grads["W_hh"]
        return float(np.abs(shares.sum(axis=0) - g).max() / np.linalg.norm(g))
    raise ValueError(f"measure must be one of cosine, ratio, engine. Got {measure!r} instead.")


def copy_share(result, values, copy: int = 0) -> float:
    """The norm of one copy's share of the ``W_hh`` gradient, as the engine recorded it."""
    return float(np.asarray(result.trace.updates[0].whh_norms)[copy])


def sum_over_parts(result, values) -> float:
    """``||sum of the copies' shares|| / sum of their norms``: at most 1 (triangle inequality)."""
    u = result.trace.updates[0]
    return float(np.linalg.norm(u.grads["W_hh"]) / np.sum(u.whh_norms))


def cost_ratio(result, values, what: str = "backward_steps") -> float:
    """The schedule's cost ``what`` over full BPTT's (lesson 3)."""
    return float(getattr(result.trace.cost, what) / getattr(result.reference_cost, what))


def losses_reaching_nothing(result, values) -> float:
    """How many losses of the schedule reach no state at all (lesson 3's timeline)."""
    kept = np.asarray(result.schedule.kept_any, dtype=bool)
    return float(np.sum(~kept.any(axis=1)))


def k2_reaching(result, values, cosine: float = 0.99) -> float:
    """The smallest k2 of the bias curve whose gradient has at least ``cosine`` with full
    BPTT's (NaN if none)."""
    c = result.curve
    ok = np.flatnonzero(np.asarray(c.cosine) >= cosine)
    return float(np.asarray(c.k2)[ok[0]]) if ok.size else math.nan


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


def cell_ratio(result, values, lag: int, cell: int = 1, others=(0, 2)) -> float:
    """Lesson 5: cell ``cell``'s relative gradient at ``lag`` over the largest of ``others``'."""
    mine = lag_value(result, values, lag, run=cell)
    rest = max(lag_value(result, values, lag, run=o) for o in others)
    with np.errstate(all="ignore"):
        return float(mine / rest)


def largest_band(result, values, cells=(1, 2)) -> float:
    """Lesson 5: the largest relative gradient (top of the band) of ``cells`` over all lags."""
    return float(max(np.nanmax(result.runs[c].lag_high) for c in cells))


def path_stat(result, values, path: int = 0, what: str = "max_grad") -> float:
    """Lesson 6: of ``result.paths[path]`` (0 unclipped, 1 clipped): its largest gradient norm
    ("max_grad"), its last finite error ("final_loss"), how many steps clipping fired
    ("clipped"), or how far it ends from the start ("distance")."""
    p = result.paths[path]
    ok = np.flatnonzero(np.isfinite(p.loss))
    if what == "max_grad":
        return float(np.nanmax(p.grad_norm))
    if what == "final_loss":
        return float(p.loss[ok[-1]])
    if what == "clipped":
        return float(np.sum(p.clipped))
    if what == "distance":
        return float(np.hypot(p.w[ok[-1]] - p.w[0], p.b[ok[-1]] - p.b[0]))
    raise ValueError(f"what must be one of max_grad, final_loss, clipped, distance. "
                     f"Got {what!r} instead.")


def paths_ratio(result, values, what: str = "final_loss") -> float:
    """Lesson 6: :func:`path_stat` ``what`` of the clipped path over the unclipped path's."""
    with np.errstate(all="ignore"):
        return float(path_stat(result, values, 1, what) / path_stat(result, values, 0, what))


def paths_differ(result, values) -> float:
    """Lesson 6: the largest distance between the two paths' parameters at the same step."""
    a, b = result.paths
    return float(np.nanmax(np.hypot(a.w - b.w, a.b - b.b)))


def wall_height(result, values, zooms: int = 8) -> float:
    """Lesson 6: the largest gradient norm of the error along b at the start's w (the wall).

    The wall is far thinner than any plotting grid: the maximum is found on
    a grid of 2001 values of b over the view, then on grids around the
    largest value, each 250 times finer (``zooms`` of them), until it stops
    growing.
    """
    lo, hi = float(np.min(result.b)), float(np.max(result.b))
    best = 0.0
    for _ in range(zooms):
        b = np.linspace(lo, hi, 2001)
        gw, gb = cliff_grad(values["w0"], b, T=values["T"])
        g = np.hypot(gw, gb)
        i = int(np.argmax(g))
        best = max(best, float(g[i]))
        half = 4 * (hi - lo) / 2000
        lo, hi = b[i] - half, b[i] + half
    return best


def cost_exponent(result, values, method: str = "rtrl", sizes: int = 2) -> float:
    """Lesson 7: the exponent e of ``work per step ~ H^e`` of ``method`` ("rtrl", "uoro", ...)
    between the largest ``sizes`` hidden sizes of ``result.cost``
    (:class:`~bpttviz.diagnostics.HiddenCost`): the least-squares slope of log(multiply-adds
    per step) against log(H) there, where the highest power of H dominates."""
    cost = result.cost
    H = np.log(np.asarray(cost.hidden, dtype=float)[-sizes:])
    f = np.log(np.asarray(cost.flops_per_step[method], dtype=float)[-sizes:])
    return float(np.polyfit(H, f, 1)[0])


#: The quantities a step's check may name: ``f(result, values, **args) -> float``.
QUANTITIES = {f.__name__: f for f in (
    read, overflow_step, relative_reach, lag_value, most_over_bound, growth_per_step,
    shared_update_rules, copy_share, sum_over_parts, cost_ratio, losses_reaching_nothing,
    k2_reaching, needed_reached, best_checkpoint_over_sqrt_t, cell_ratio, largest_band,
    path_stat, paths_ratio, paths_differ, wall_height, cost_exponent)}
