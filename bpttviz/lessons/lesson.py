"""A lesson, declared: what it computes from its controls and what it draws. Widget-free.

A lesson is a subclass of :class:`Lesson` that names itself (``slug``,
``number``, ``title``), declares its controls, its figures and the control a
class moves, and implements two hooks:

* ``compute(values)``: the one engine run a change of the controls needs;
  every figure reads its result;
* ``render(result, values)``: the figures' records (:mod:`bpttviz.figures`),
  ``{name: record}``.

The rest is optional: ``limits`` (ranges that depend on other controls),
``describe`` (the numbers under the controls), ``notes`` (warnings),
``describe_figures`` (text alternatives in the lesson's own words),
``link_refusal`` and ``link_note`` (what a link cannot carry), ``clicked`` (a
click on a figure), and the quantities its guided steps check
(:attr:`Lesson.quantities`). A lesson that trains declares its runs too
(:class:`LessonWithRuns`).

The page (:class:`bpttviz.app.LessonApp`) makes one instance per page: an
instance keeps what only that page has (its caches, the user's file, the
controls its link fixes), never a widget. NumPy and the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..steps import load_steps
from .control import Control

__all__ = ["Lesson", "LessonWithRuns", "Limits", "page_name"]


@dataclass(frozen=True)
class Limits:
    """What a lesson's rules allow one control now: its range and whether it is in use.

    ``None`` leaves that property as the control declares it.
    """

    low: float | None = None
    high: float | None = None
    disabled: bool | None = None


def page_name(number: int, slug: str) -> str:
    """The page (and notebook) of lesson ``number`` ``slug``: ``02_vanishing_exploding``."""
    return f"{int(number):02d}_{slug}"


class Lesson:
    """Base of a lesson declaration. Subclasses set the class attributes and the hooks.

    Attributes
    ----------
    fixed : frozenset of str
        The controls that the page's link fixes (a teacher's link), which a
        lesson may mention in its text; set by the page.
    data : object or None
        The user's file as last read without error (lessons that take one: :attr:`uploads`).
    """

    #: The lesson's one name: its module, its steps file, its notebook ``NN_<slug>.ipynb`` and,
    #: with hyphens, its class in the page and its download names (:attr:`page_slug`).
    slug: str = ""
    #: Its place in the course (1, 2, ...): the notebook's number.
    number: int = 0
    title: str = ""
    #: One sentence on what the lesson shows, for the list of lessons (Markdown).
    summary: str = ""
    #: The controls, in the order they are shown and applied (:class:`~.control.Control`).
    controls: tuple = ()
    #: The slider a class moves: what the browser tests and the classroom benchmark move.
    class_control: str = ""
    #: The figures, by name, in the order they are shown.
    figure_names: tuple = ()
    #: The figures that take a row of their own (a wide diagram).
    wide_figures: tuple = ()
    #: Named sets of control values; applied by a button or by ``?preset=name``.
    presets: dict = {}
    #: Shortcuts: query keys that set a control plus fixed values of others, e.g.
    #: ``{"radius": ("scale", {"scale_by": "radius"})}``. A control named in the query wins
    #: over a shortcut; of two shortcuts, the first.
    aliases: dict = {}
    #: The quantities the guided steps' checks name: ``f(result, values, **args) -> float``
    #: (:func:`bpttviz.steps.evaluate`).
    quantities: dict = {}
    #: A control that a Play button walks in the browser (no kernel round trip), or "".
    play: str = ""
    #: ``(control, value)``: the choice that means "the user's own file" (lesson 4's task
    #: "your_data"); the page then shows an upload under that control, hands what it read
    #: to :meth:`use_data` and keeps it in :attr:`data`. None: the lesson takes no file.
    uploads: tuple | None = None
    #: The steps file; None: ``bpttviz/data/steps/<slug>.json``.
    steps_file: Path | None = None

    def __init__(self):
        self.fixed = frozenset()
        self.data = None
        self._cache = {}

    # -- names -------------------------------------------------------------------------------
    @classmethod
    def page_name(cls) -> str:
        """The lesson's page and notebook name: ``02_vanishing_exploding``."""
        return page_name(cls.number, cls.slug)

    @classmethod
    def page_slug(cls) -> str:
        """The slug as the page and the downloads spell it: hyphens, not underscores."""
        return cls.slug.replace("_", "-")

    @classmethod
    def control(cls, name: str) -> Control:
        """The control ``name``; ``ValueError`` naming the lesson's controls if there is none."""
        for c in cls.controls:
            if c.name == name:
                return c
        raise ValueError(f"{cls.__name__} has no control {name!r}; its controls are "
                         f"{', '.join(c.name for c in cls.controls)}.")

    @classmethod
    def defaults(cls) -> dict:
        """Every control at its default value."""
        return {c.name: c.default for c in cls.controls}

    @classmethod
    def steps(cls) -> tuple:
        """The lesson's guided steps (:class:`bpttviz.steps.Step`), () if it ships none."""
        if cls.steps_file is None:
            return load_steps(cls.slug, quantities=cls.quantities)
        path = Path(cls.steps_file)
        return load_steps(path.stem, path.parent, cls.quantities)

    # -- hooks ---------------------------------------------------------------------------------
    def limits(self, values: dict) -> dict:
        """``{name: Limits}``: ranges and use of controls that depend on others
        (``k1 <= T``). Applied before each computation; a value outside its new range is
        moved inside it."""
        return {}

    def compute(self, values: dict):
        """The engine run for these control values; its result is shared by all figures."""
        raise NotImplementedError

    def render(self, result, values: dict) -> dict:
        """The figures' records for ``result``: ``{name: bpttviz.figures.Figure}``. A record
        equal to the one the page shows is not sent again."""
        raise NotImplementedError

    def describe(self, result, values: dict) -> str:
        """HTML shown under the controls: the numbers that matter for this configuration."""
        return ""

    def notes(self, result, values: dict) -> list:
        """Warnings about the result to show in the page (e.g. where it overflowed)."""
        return []

    def describe_figures(self, result, values: dict) -> dict:
        """Text alternatives (name -> sentence) of the figures that have their own wording;
        the others are described from their records."""
        return {}

    def experiment_result(self, result, run=None) -> dict:
        """What a page sends to a class experiment besides its settings: ``{name: number}``
        of ``result`` (and of the page's last training ``run``, for a lesson with runs).

        A number that is not finite is sent as None. Raise ``ValueError`` saying why when
        the page has nothing to send yet. Default: nothing beyond the settings.
        """
        return {}

    def link_refusal(self, name: str, value) -> str:
        """Why a link cannot carry control ``name`` at ``value`` ("" when it can)."""
        return ""

    def link_note(self, values: dict) -> str:
        """What the page says beside its link (plain text; "" for nothing)."""
        return ""

    def clicked(self, figure: str, panel: int, x: float, y: float, values: dict) -> dict:
        """The control values a click at data ``(x, y)`` of ``figure`` sets ({} for none)."""
        return {}

    def result_key(self, values: dict):
        """What the result of ``values`` depends on, hashable (pages with the same key share
        it: :class:`bpttviz.app.shared.SharedResults`); None when it depends on what only
        this page has."""
        return tuple(sorted(values.items()))

    def waiting(self, values: dict) -> bool:
        """Whether there is nothing to compute yet (the user's file is chosen, none read)."""
        return False

    def use_data(self, data, values: dict) -> dict:
        """The control values that use ``data``, a file the page read (:attr:`uploads`);
        raises ``ValueError`` when the page cannot use it. The page keeps ``data``."""
        raise NotImplementedError

    # -- work kept for this page ---------------------------------------------------------------
    def cached(self, key: tuple, make, keep: int = 8):
        """``make()`` once per ``key`` and kept, for work that only some controls change.

        ``key`` is a tuple naming its kind first (``("curve", T, k1)``); the
        latest ``keep`` results of each kind are kept.
        """
        if key not in self._cache:
            same = [k for k in self._cache if k[0] == key[0]]
            if len(same) >= keep:
                del self._cache[same[0]]
            self._cache[key] = make()
        return self._cache[key]


class LessonWithRuns(Lesson):
    """A lesson that trains: runs of :func:`bpttviz.train` started by a button, drawn live.

    A subclass sets the class attributes below and implements :meth:`new_run`
    and :meth:`draw_run`; the page (:mod:`bpttviz.app.background`) starts,
    stops and follows the runs.
    """

    #: The runs' names, in the order of ``setup.configs`` (and of the curves).
    run_names: tuple = ()
    #: The figures that show the runs: redrawn live, described again when a run ends.
    live_figures: tuple = ()
    start_label = "Train"
    start_tooltip = "Train from the same start"
    stop_tooltip = "Stop every run after its current update"
    #: What the page says it could not do when a step of training fails ("Could not ...").
    actions = {"start": "start training", "stop": "stop training",
               "follow": "follow the training run", "redraw": "redraw the training curves",
               "finish": "finish the training run"}
    #: The status word of a run that was not stopped.
    finished_word = "trained"
    #: Longest wait for a run to end after Stop (seconds): a run ends after its current update.
    join_seconds = 10.0

    def new_run(self, setup, values: dict):
        """The runs a press of Start begins (a :class:`~.runs.TrainingRun`, not started)."""
        raise NotImplementedError

    def draw_run(self, run, setup) -> dict:
        """The records of what ``run`` has recorded, ``{name: Figure}``; ``run`` None: the
        empty curves of ``setup``, waiting for Start."""
        raise NotImplementedError

    def progress_text(self, run) -> str:
        """The status while ``run`` trains."""
        return "training: " + ", ".join(f"{name} {d}/{run.n_updates}"
                                        for name, d in zip(self.run_names, run.done))

    def count_text(self, run) -> str:
        """How far each run of ``run`` went, for the status when it ends."""
        return ", ".join(f"{name} {d} updates" for name, d in zip(self.run_names, run.done))

    def run_notes(self, run) -> list:
        """Why runs of ``run`` ended early, and which diverged (once all have ended)."""
        names = self.run_names
        notes = [f"{names[i]} {r}." for i in range(len(names))
                 if (r := run.stop_reason(i)) is not None and "Stop button" not in r]
        return notes + [f"{names[i]}: {d} (values stayed finite; a smaller learning rate or "
                        f"clipping would help)." for i in range(len(names))
                        if (d := run.divergence_note(i)) is not None]
