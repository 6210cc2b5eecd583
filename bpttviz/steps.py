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
    ``quantity`` names a function called as ``f(result, values, **args)``:
    one of the lesson's own (:attr:`bpttviz.lessons.Lesson.quantities`, next to
    the result they read) or of :data:`QUANTITIES` (``read``); with ``baseline`` (control values that
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

NumPy and the standard library only.
"""

from __future__ import annotations

import json
import math
import operator
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .diagnostics import per_copy_shares as _per_copy_shares
from .figures import Points, Rects, Rule, Text
from .figures.placement import first_clear

__all__ = ["Step", "Check", "Outcome", "CheckResult", "load_steps", "steps_dir", "available",
           "validate_steps", "evaluate", "parse_step_option", "figure_title", "highlight_marks",
           "QUANTITIES", "CLAIM_OPS", "HIGHLIGHT_KINDS", "per_copy_shares", "first_overflow"]

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


def _check_from(data, where, quantities) -> Check:
    if not isinstance(data, dict):
        raise _error(where, "a check must be an object", data)
    for key in ("name", "quantity", "claim"):
        if key not in data:
            raise _error(where, f"a check needs '{key}'", data)
    if data["quantity"] not in QUANTITIES and data["quantity"] not in quantities:
        raise _error(where, f"'quantity' must be one of {', '.join([*QUANTITIES, *quantities])}",
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


def _step_from(data, where, quantities=()) -> Step:
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
    checks = tuple(_check_from(c, f"{where}, check {i + 1}", quantities)
                   for i, c in enumerate(checks))
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


def load_steps(slug: str, folder=None, quantities=()) -> tuple:
    """The steps of the lesson ``slug`` (a tuple of :class:`Step`), or () if it ships none.

    ``quantities`` names the lesson's own quantities (its checks may name those and
    :data:`QUANTITIES`); a lesson's steps are best read with
    :meth:`bpttviz.lessons.Lesson.steps`, which passes them. Raises ``ValueError`` naming
    the file and the step for malformed data.
    """
    path = Path(folder or steps_dir()) / f"{slug}.json"
    if not path.is_file():
        return ()
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise _error(str(path), "a steps file holds {\"lesson\": ..., \"steps\": [...]}",
                     type(data).__name__)
    steps = tuple(_step_from(s, f"{path.name}, step {i + 1}", tuple(quantities))
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


def evaluate(step: Step, result, values: dict, compute=None, quantities=None) -> Outcome:
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
    quantities : dict, optional
        The lesson's own quantities (:attr:`bpttviz.lessons.Lesson.quantities`), beside
        :data:`QUANTITIES`.

    Returns
    -------
    Outcome
    """
    known = {**QUANTITIES, **(quantities or {})}
    facts, results = {}, []
    for check in step.checks:
        if check.quantity not in known:
            raise ValueError(f"The check {check.name!r} names the quantity {check.quantity!r}, "
                             f"which this lesson does not have; it has {', '.join(known)}.")
        f = known[check.quantity]
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


# -- what a step marks on its figure -----------------------------------------------------------

def figure_title(highlight: dict, record) -> str:
    """What the page calls the figure a step marks: the highlight's ``name``, else the title
    its ``record`` shows (the marked panel's, else the figure's), else the figure's name."""
    if highlight.get("name"):
        return highlight["name"]
    if record is not None and record.panels:
        panel = record.panels[min(highlight.get("axes", 0), len(record.panels) - 1)]
        title = panel.title or record.title
        if title:
            return re.sub(r"[_^]\{([^}]*)\}", r"_\1", title).replace("$", "")
    return highlight["figure"]


def highlight_marks(highlight: dict, facts: dict, record, color: str):
    """``(panel, marks)``: the marks a step's highlight draws over ``record`` in ``color``
    (a point, a vertical or horizontal rule, or a span, with its label), its numbers taken
    from ``facts`` where it names them. No marks where a number is not finite."""
    panel = highlight.get("axes", 0)

    def number(key):
        v = highlight.get(key)
        if isinstance(v, list):
            return [number_of(x) for x in v]
        return number_of(v)

    def number_of(v):
        return float(facts[v]) if isinstance(v, str) else (None if v is None else float(v))

    x, y = number("x"), number("y")
    kind, label = highlight.get("kind", "none"), highlight.get("label", "")
    text = dict(color="#000000", size=11, edge=color)
    finite = lambda *v: all(u is not None and np.isfinite(u) for u in v)  # noqa: E731
    marks, places = [], []
    if kind == "point" and finite(x, y):
        marks.append(Points([x], [y], color, 18.0, edge_width=3.0, hollow=True))
        # Up and to the right of the point, else round it, nearer first.
        places = [Text(x, y, label, ha="left", offset=(14.0, 14.0), **text)]
        for r in (16.0, 28.0):
            for a in np.radians([45, -45, 135, -135, 0, 180, 90, -90]):
                c, s = np.cos(a), np.sin(a)
                ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
                va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
                places.append(Text(x, y, label, ha=ha, va=va, offset=(r * c, r * s), **text))
    elif kind == "vline" and finite(x):
        marks.append(Rule(x, "x", color, 3.0, "dashed"))
        # At the top right of the line, else at its left, else at the bottom.
        places = [Text(x, fy, label, "x-data", ha=ha, va=va, offset=(dx, dy), **text)
                  for fy, va, dy in ((1.0, "top", -4.0), (0.0, "bottom", 4.0))
                  for ha, dx in (("left", 4.0), ("right", -4.0))]
    elif kind == "hline" and finite(y):
        marks.append(Rule(y, "y", color, 3.0, "dashed"))
        # Over the line at the left, else under it, else at the right.
        places = [Text(fx, y, label, "y-data", ha=ha, va=va, offset=(dx, dy), **text)
                  for fx, ha, dx in ((0.0, "left", 6.0), (1.0, "right", -6.0))
                  for va, dy in (("bottom", 6.0), ("top", -6.0))]
    elif kind == "span" and isinstance(x, list) and finite(*x):
        lo, hi = record.panels[panel].y.limits
        marks.append(Rects([x[0]], [x[1]], [lo], [hi], color, 0.25))
    if label and places:        # where it covers no mark, else no text, and not the legend
        marks.append(first_clear(record, panel, places, marks))
    return panel, marks


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


#: The quantities every lesson's checks may name: ``f(result, values, **args) -> float``. A
#: lesson's own quantities are declared by the lesson (:attr:`bpttviz.lessons.Lesson.quantities`).
QUANTITIES = {"read": read}


def first_overflow(trace):
    """First step at which ``trace`` stopped being finite, or None. Replaced by
    :attr:`bpttviz.Trace.first_overflow`; kept for the code that still calls it."""
    return trace.first_overflow


def per_copy_shares(model, inputs, targets):
    """Replaced by :func:`bpttviz.diagnostics.per_copy_shares`; kept for the code that still
    calls it here."""
    return _per_copy_shares(model, inputs, targets)
