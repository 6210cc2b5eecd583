"""A toy lesson and its page, on which the tests of the page's machinery (tests/app) drive it:
small enough to reason about every computation, with a control of each kind, a preset, two
shortcuts, a range that depends on another control, and an error on demand."""

import numpy as np
from page_in_kernel import labelled

from bpttviz import figures
from bpttviz.app import Control, LessonApp
from bpttviz.lessons import Lesson, Limits


class ToyLesson(Lesson):
    """y = x * [0, 1, ..., n-1]; compute refuses x = 0 so errors can be provoked."""

    slug = "toy"
    number = 99
    controls = (
        Control("n", "n (points)", "int", 3, 1, 10),
        Control("x", "x (units)", "float", 0.5, 0.0, 1.0, 0.1),
        Control("mode", "mode", "option", "a", options=("a", "b")),
        Control("flag", "flag", "bool", False),
        Control("view", "view", "int", 0, 0, 10, recompute=False, continuous=True),
    )
    presets = {"big": dict(n=9, x=1.0)}
    aliases = {"size": ("n", {"mode": "b"}), "count": ("n", {"mode": "a"})}

    figure_names = ("main",)

    def __init__(self):
        super().__init__()
        self.renders = []

    def compute(self, values):
        if values["x"] == 0.0:
            raise ValueError("x must not be zero for this toy")
        return np.arange(values["n"]) * values["x"]

    def render(self, result, values):
        self.renders.append(values["view"])
        record = figures.lines(np.arange(len(result)), [result], ["y"], log=False,
                               title="toy", xlabel="step", ylabel="y")
        # The view control moves a rule only: nothing to compute, one figure to draw.
        return {"main": record.with_mark(0, figures.Rule(values["view"], "x"))}

    def limits(self, values):
        return {"view": Limits(high=values["n"])}


class Toy(LessonApp):
    """The toy lesson's page; ``renders`` lists the view of every render."""

    lesson = ToyLesson
    renders = property(lambda self: self.lesson.renders)


def toy_y(app):
    """The y values of the toy's line, as the page shows them."""
    return labelled(app, "main", "y").y
