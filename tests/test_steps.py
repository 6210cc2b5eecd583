"""The guided steps: their data and every claim computed from the engine. The panel walking
them in a lesson's page: tests/app/test_guided.py.

A step's claim ("falls below 1e-6") is a check computed on the result of
exactly the settings the step applies, through the same path the page uses
(``app.steps.go``), so a change of the engine that falsifies a step fails here.
"""

import json

import numpy as np
import pytest

from bpttviz import bptt
from bpttviz.app import (BeyondApp, CellsApp, LessonApp, SurfaceApp, TrainingApp,
                         TruncationApp, UnfoldingApp, VanishingApp)
from bpttviz.figures import Rects, Rule
from bpttviz.models import ElmanRNN
from bpttviz.lessons import LESSONS as REGISTRY
from bpttviz.steps import (QUANTITIES, available, evaluate, load_steps, parse_step_option,
                           per_copy_shares, validate_steps)

#: Every lesson of the registry, by slug: a lesson added later is found here too, and its
#: steps file is tested like the others'.
APPS = {slug: (lambda query, cls=cls: LessonApp(query, lesson=cls))
        for slug, cls in REGISTRY.items()}
#: The lessons that must ship steps: every lesson app of the package.
LESSONS = tuple(sorted(APPS))
STEPS = [(slug, i) for slug in available() for i in range(len(REGISTRY[slug].steps()))]
_apps = {}


def app_for(slug):
    """One app per lesson for the whole module (building one costs a second or so)."""
    if slug not in _apps:
        _apps[slug] = APPS[slug]("")
    return _apps[slug]


def teardown_module():
    for app in _apps.values():
        app.close()


# -- the data --------------------------------------------------------------------------------

def test_every_lesson_ships_steps():
    assert len(LESSONS) >= 7 and "beyond_truncation" in LESSONS
    assert set(LESSONS) <= set(available()), set(LESSONS) - set(available())


@pytest.mark.parametrize("slug", available())
def test_a_lesson_has_three_to_six_steps(slug):
    assert 3 <= len(REGISTRY[slug].steps()) <= 6


def test_every_steps_file_belongs_to_a_lesson():
    assert set(available()) <= set(APPS), set(available()) - set(APPS)


@pytest.mark.parametrize("slug", available())
def test_steps_data_fits_the_lessons_controls_and_figures(slug):
    app = app_for(slug)
    steps = REGISTRY[slug].steps()
    assert validate_steps(steps, app.controls, app.figures) == []
    for step in steps:
        assert step.answer in step.choices and len(step.choices) >= 2
        assert all(c.strip() for c in step.choices)
        assert step.source.strip() and any(ch.isdigit() for ch in step.source)   # a year
        assert step.explanation.strip() and step.question.strip()
        assert all(c.quantity in {**QUANTITIES, **REGISTRY[slug].quantities}
                   for c in step.checks)


def test_validation_names_a_setting_out_of_range_and_an_unknown_control():
    steps = REGISTRY["vanishing_exploding"].steps()
    bad = [steps[0].__class__(**{**steps[0].__dict__, "settings": {"scale": 9.0, "rho": 1}})]
    problems = validate_steps(bad, VanishingApp.controls, ("lag",))
    assert any("scale must be a number in [0.1, 3]. Got 9.0" in p for p in problems)
    assert any("'rho' is not a control" in p for p in problems)


def _write(tmp_path, slug, step):
    (tmp_path / f"{slug}.json").write_text(json.dumps({"lesson": slug, "steps": [step]}))


GOOD = dict(title="t", settings={}, question="q?", choices=["a", "b"], answer="a",
            checks=[dict(name="x", quantity="read", args={"path": "value"}, claim=["<", 1])],
            reveal="x is {x}", highlight={"figure": "f", "kind": "hline", "y": "x"},
            explanation="because", source="Someone (2000)")


@pytest.mark.parametrize("change, message", [
    ({"answer": "c"}, "'answer' must be one of the choices"),
    ({"choices": ["a"]}, "'choices' must be two or more non-empty texts"),
    ({"choices": ["a", " "]}, "'choices' must be two or more non-empty texts"),
    ({"source": ""}, "'source' must be a non-empty text"),
    ({"checks": []}, "'checks' must be a non-empty list"),
    ({"checks": [dict(name="x", quantity="guess", claim=["<", 1])]}, "'quantity' must be one of"),
    ({"checks": [dict(name="x", quantity="read", claim=["~", 1])]}, "'claim' must be"),
    ({"reveal": "{y}"}, "the reveal may name only the checks' numbers"),
    ({"highlight": {"figure": "f", "kind": "circle"}}, "the highlight's 'kind' must be one of"),
    ({"highlight": {"figure": "f", "kind": "point", "x": "nope"}}, "names no number"),
])
def test_malformed_steps_are_refused_with_the_reason(tmp_path, change, message):
    _write(tmp_path, "lesson-x", {**GOOD, **change})
    with pytest.raises(ValueError, match="lesson-x.json, step 1") as info:
        load_steps("lesson-x", folder=tmp_path)
    assert message in str(info.value)


def test_a_new_lessons_steps_are_a_data_file(tmp_path):
    """A lesson added later ships its steps as a file; the generic ``read`` reaches its numbers."""
    _write(tmp_path, "beyond", GOOD)
    (step,) = load_steps("beyond", folder=tmp_path)
    assert load_steps("no-such-lesson", folder=tmp_path) == ()

    class Result:
        value = np.float64(0.25)

    out = evaluate(step, Result(), {})
    assert out.holds and out.facts == {"x": 0.25}
    Result.value = 3.0
    assert not evaluate(step, Result(), {}).holds


@pytest.mark.parametrize("text, expected", [
    (None, (None, None)), ("1", (0, None)), (" 3 ", (2, None)), ("5", (4, None)),
])
def test_a_step_number_from_the_link(text, expected):
    assert parse_step_option(text, 5) == expected


@pytest.mark.parametrize("text", ["0", "6", "-1", "two", "", "2.5"])
def test_a_bad_step_number_is_explained(text):
    index, problem = parse_step_option(text, 5)
    assert index is None
    assert f"step={text}: the step must be a whole number from 1 to 5" in problem
    assert repr(text) in problem


# -- every claim against the engine ------------------------------------------------------------

def data_positions(mark):
    """``[(axis, values)]``: where a mark sits on the axes whose data coordinates place it."""
    if isinstance(mark, Rule):
        return [(mark.axis, np.array([mark.value]))] if mark.axis in ("x", "y") else []
    if isinstance(mark, Rects):
        return [("x", mark.x0), ("x", mark.x1)]
    coords = getattr(mark, "coords", "data")
    return [(axis, np.asarray(getattr(mark, axis), dtype=float)) for axis in ("x", "y")
            if coords in ("data", f"{axis}-data")]


@pytest.mark.parametrize("slug, i", STEPS, ids=[f"{s}-{i + 1}" for s, i in STEPS])
def test_every_steps_claim_holds_and_its_mark_lands_inside_its_figure(slug, i):
    app = app_for(slug)
    step = app.steps.steps[i]
    app.steps.go(i)                         # what the page does: the step's values, one update
    assert app.values() == app.steps.values_of(i)   # applied exactly, nothing clamped
    runs = app.runs
    outcome = evaluate(step, app.result, app.values(), app.compute, app.lesson.quantities)
    assert outcome.holds, f"{slug} step {i + 1} ({step.title}): " + "; ".join(outcome.failed())
    assert app.runs == runs                 # the checks read the result, not a rerun of it
    assert step.reveal.format(**outcome.facts)
    for key in ("x", "y"):
        v = step.highlight.get(key)
        if isinstance(v, str):
            assert np.isfinite(outcome.facts[v])
    # The reveal marks the figure the step is about, inside what its axes show.
    app.steps.choose(step.answer_index)
    hl = step.highlight
    if hl.get("kind", "none") != "none":
        name, k = hl["figure"], hl.get("axes", 0)
        lesson = app.records[name].panels[k]
        added = app.figures[name].record.panels[k].marks[len(lesson.marks):]
        assert added, f"{slug} step {i + 1}: no mark on {name}"
        for m in added:
            for axis, values in data_positions(m):
                lo, hi = sorted(getattr(lesson, axis).limits)
                assert np.all((lo <= values) & (values <= hi)), \
                    f"{slug} step {i + 1}: {type(m).__name__} at {axis}={values} outside {lo, hi}"
    app.steps.end()


def _outcome(cls, slug, i, **values):
    """Step i's checks evaluated on another configuration than the step's own."""
    app = app_for(slug)
    step = REGISTRY[slug].steps()[i]
    values = {**{c.name: c.default for c in cls.controls}, **step.settings, **values}
    return evaluate(step, app.compute(values), values, app.compute, app.lesson.quantities)


@pytest.mark.parametrize("cls, i, values", [
    (VanishingApp, 0, dict(scale=1.3, activation="linear", T=100)),     # no longer vanishes
    (VanishingApp, 1, dict(scale=0.6)),                                 # rho falls instead
    (VanishingApp, 4, dict(scale=1.0, T=100)),                          # stays finite
    (UnfoldingApp, 3, dict(T=4)),                                       # k = 4, not 5
    (TruncationApp, 1, dict(k1=3, k2=10)),                              # every loss reaches
    (TruncationApp, 2, dict(k2=60)),                                    # chunks = full BPTT
    (TrainingApp, 0, dict(k2_a=20)),                                    # A reaches everything
    (CellsApp, 1, dict(forget_bias=2.0)),                               # remembers more
    (SurfaceApp, 2, dict(w0=5.0, b0=-3.0, lr=0.1)),                     # on the wall: clipped
    (SurfaceApp, 3, dict(T=50)),                                        # no change of T
    (BeyondApp, 0, dict(k2=8)),                                         # the window reaches
    (BeyondApp, 1, dict(samples=5)),                                    # nothing more averaged
    (BeyondApp, 2, dict(p=1.0)),                                        # plain TBPTT(k_min)
])
def test_a_steps_checks_fail_where_its_answer_is_wrong(cls, i, values):
    """The checks are not true whatever the numbers: elsewhere they fail."""
    out = _outcome(cls, cls.slug, i, **values)
    assert not out.holds, out.facts


# -- lesson 1: the two accounts of the shared-weight update ----------------------------------

def _loss_with_copies(model, x, y, W_copies):
    """Mean squared error of an Elman network whose copy t uses its own W_hh = W_copies[t]."""
    p = model.params
    h = np.zeros((x.shape[1], p["W_hh"].shape[0]))
    total = 0.0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ p["W_xh"].T + h @ W_copies[t].T + p["b_h"])
        yhat = h @ p["W_hy"].T + p["b_y"]
        total += 0.5 * np.sum((yhat - y[t]) ** 2) / x.shape[1]
    return total / x.shape[0]


def test_each_copys_share_is_the_gradient_of_its_own_weights():
    """Finite differences on copy t's own W_hh, with the other copies left alone."""
    rng = np.random.default_rng(3)
    model = ElmanRNN(2, 3, 1, "tanh", seed=3, radius=1.1)
    T, B = 6, 2
    x, y = rng.normal(size=(T, B, 2)), rng.normal(size=(T, B, 1))
    shares = per_copy_shares(model, x, y)
    W = model.params["W_hh"]
    eps = 1e-6
    for t in (0, 2, 5):
        for (i, j) in ((0, 1), (2, 2)):
            up, down = [np.array([W] * T) for _ in range(2)]
            up[t, i, j] += eps
            down[t, i, j] -= eps
            fd = (_loss_with_copies(model, x, y, up)
                  - _loss_with_copies(model, x, y, down)) / (2 * eps)
            assert abs(fd - shares[t, i, j]) < 1e-8 * max(1.0, abs(fd))
    trace = bptt(model, x, y)
    np.testing.assert_allclose(shares.sum(axis=0), trace.updates[0].grads["W_hh"], atol=1e-13)
    np.testing.assert_allclose(np.linalg.norm(shares, axis=(1, 2)), trace.updates[0].whh_norms,
                               atol=1e-13)


def test_sum_and_average_of_the_copies_updates_differ_by_k_only():
    app = app_for("unfolding")
    for T in (2, 5, 8):
        values = {**app.steps.values_of(3), "T": T, "frame": 2 * T}
        r = app.compute(values)
        f = REGISTRY["unfolding"].quantities["shared_update_rules"]
        assert f(r, values, measure="cosine") == pytest.approx(1.0, abs=1e-12)
        assert f(r, values, measure="ratio") == pytest.approx(T, rel=1e-12)
