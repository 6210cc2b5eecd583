"""The page's query string: the settings a link asks a lesson for, read once into a record.

A lesson's link carries two kinds of entries: settings of the lesson's
controls (``k1=5``, a shortcut such as ``radius=1.1``, ``preset=...``), which
only the lesson can check, and page options (:data:`PAGE_KEYS`), which every
lesson accepts: ``projector``, ``step``, ``hide`` and ``lock``.
:meth:`PageQuery.parse` reads the whole string once; the app and its parts
(projector mode, the guided steps, the teacher's links) take what they need
from the record it returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping
from urllib.parse import parse_qs

from ..steps import parse_step_option
from .controls import widget_range
from .projector import parse_projector

__all__ = ["parse_query", "parse_names", "PageQuery", "settings_asked", "apply_page",
           "IGNORED_QUERY_KEYS", "PAGE_KEYS"]

#: Query-string keys that belong to Voila or Jupyter, not to a lesson.
IGNORED_QUERY_KEYS = frozenset({"template", "theme", "token", "voila-template", "voila-theme"})
#: Query-string keys that set how the page shows a lesson, not a control of it: every lesson
#: accepts them (``LessonApp.page_options``).
PAGE_KEYS = frozenset({"projector", "step", "hide", "lock"})


def parse_query(query: str | None) -> dict:
    """``{key: value}`` from a query string like ``"k1=5&k2=20"`` (the last repeat wins).

    A leading ``?`` is allowed; Voila's and Jupyter's own keys
    (:data:`IGNORED_QUERY_KEYS`) are left out.
    """
    query = (query or "").lstrip("?")
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items() if k not in IGNORED_QUERY_KEYS}


def parse_names(text: str | None) -> list:
    """The names of a ``hide=``/``lock=`` entry: comma-separated, blanks dropped, repeats once.

    >>> parse_names(" seed, H,,seed ")
    ['seed', 'H']
    """
    names = []
    for part in (text or "").split(","):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


@dataclass(frozen=True)
class PageQuery:
    """A page's query string, read once: what the link asks the lesson for.

    Attributes
    ----------
    settings : mapping of str -> str
        The entries for the lesson's controls and shortcuts, as text, in the
        link's order (the preset and the page options left out). The lesson
        checks them: only it knows its controls.
    preset : str or None
        The ``preset`` entry.
    options : mapping of str -> str
        The page options (:data:`PAGE_KEYS`) as the link gives them.
    projector : bool
        Whether the link asks for projector mode (off when absent or unusable).
    step : int or None
        The guided step the link shows (0-based), None when it shows none.
    hide, lock : tuple of str
        The names of ``hide=`` and ``lock=`` (:func:`parse_names`).
    projector_problem, step_problem : str or None
        Why the ``projector`` or ``step`` entry could not be used.
    """

    settings: Mapping[str, str]
    preset: str | None
    options: Mapping[str, str]
    projector: bool
    step: int | None
    hide: tuple
    lock: tuple
    projector_problem: str | None = None
    step_problem: str | None = None

    @classmethod
    def parse(cls, query: str | None, n_steps: int = 0) -> PageQuery:
        """Read ``query`` (``"k1=5&projector=1"``, a leading ``?`` allowed) for a lesson with
        ``n_steps`` guided steps."""
        entries = parse_query(query)
        options = {k: entries.pop(k) for k in list(entries) if k in PAGE_KEYS}
        preset = entries.pop("preset", None)
        text = options.get("projector")
        projector, projector_problem = False, None
        if text is not None:
            try:
                projector = parse_projector(text)
            except ValueError as exc:
                projector_problem = f"projector={text}: {exc} Kept it off."
        step, step_problem = parse_step_option(options.get("step"), n_steps)
        return cls(MappingProxyType(entries), preset, MappingProxyType(options), projector, step,
                   tuple(parse_names(options.get("hide"))),
                   tuple(parse_names(options.get("lock"))), projector_problem, step_problem)


def settings_asked(entries, controls: dict, aliases: dict, presets: dict, problems: list) -> dict:
    """What a link's settings and shortcuts ask each control for.

    Parameters
    ----------
    entries : mapping of str -> str
        The link's settings (:attr:`PageQuery.settings`), in the link's order.
    controls : dict of str -> Control
        The lesson's controls by name.
    aliases : dict
        The lesson's shortcuts (``LessonApp.aliases``).
    presets : dict
        The lesson's presets (only named in the message for an unknown key).
    problems : list of str
        Gets a sentence for each entry not used.

    Returns
    -------
    dict of str -> (str, str)
        Per control asked for: the text asked and the entry that asks. A
        setting named explicitly (``scale=2``) wins over a shortcut
        (``radius=2``) that would set it differently; of two shortcuts that
        set the same control differently, the first in the link is used.
    """
    wanted = {k: (text, f"{k}={text}") for k, text in entries.items() if k in controls}
    for key, text in entries.items():
        if key in controls:
            continue
        if key not in aliases:
            known = list(controls) + list(aliases) + (["preset"] if presets else [])
            problems.append(f"{key}={text}: not a setting of this lesson (settings: "
                            f"{', '.join(known)}).")
            continue
        target, implied = aliases[key]
        sets = {target: text, **{k: controls[k].format(v) for k, v in implied.items()}}
        meaning = ", ".join(f"{k}={v}" for k, v in sets.items())
        clash = next((k for k, v in sets.items()
                      if k in wanted and not _same(controls[k], wanted[k][0], v)), None)
        if clash is None:
            wanted.update({k: (v, f"{key}={text}") for k, v in sets.items()})
        elif clash in entries:
            problems.append(f"{key}={text} (which means {meaning}): not used, because the "
                            f"link also sets {clash}={entries[clash]}, and a setting named "
                            f"explicitly wins over a shortcut.")
        else:
            problems.append(f"{key}={text} (which means {meaning}): not used, because "
                            f"{wanted[clash][1]} comes first in the link and sets {clash} "
                            f"too; of two shortcuts, the first is used.")
    return wanted


def _same(control, a, b) -> bool:
    """Whether two query texts ask ``control`` for the same value ("1.1", "1.10")."""
    try:
        return control.parse(a, -math.inf, math.inf) == control.parse(b, -math.inf, math.inf)
    except ValueError:
        return a.strip() == b.strip()


def apply_page(page: PageQuery, lesson, controls, steps, projector, teacher) -> list:
    """Set a page's controls as its link asks; return a sentence for every entry not used.

    Precedence: a preset first, then a guided step's values (``steps.from_page``), then the
    settings named in the link (:func:`settings_asked`), then the teacher's ``hide`` and
    ``lock`` (``teacher.apply``); a value that a link cannot carry
    (``lesson.link_refusal``) goes back to its default. ``controls`` is the page's
    :class:`~bpttviz.app.values.ControlPanel`, ``projector`` its projector mode.
    """
    teacher.release()                   # the link's settings may set controls it fixed
    problems = projector.apply(page)
    presets = lesson.presets
    if page.preset is not None:
        if page.preset in presets:
            controls.assign_all(presets[page.preset])
        else:
            problems.append(f"preset={page.preset}: there is no such preset (try "
                            f"{', '.join(presets) or 'none'}).")
    controls.assign_all(steps.from_page(page, problems))       # settings named in it win
    wanted = settings_asked(page.settings, controls.spec, lesson.aliases, presets, problems)
    with controls.hold():
        for name, (text, source) in wanted.items():
            c, w = controls.spec[name], controls.widgets[name]
            try:
                controls.assign(name, c.parse(text, *widget_range(w)))
            except ValueError as exc:
                problems.append(f"{source}: {exc} Kept {c.format(w.value)}.")
    problems += teacher.apply(page)
    for c in controls.controls:
        value = controls.widgets[c.name].value
        refusal = lesson.link_refusal(c.name, value)
        if refusal:
            problems.append(f"{c.name}={c.format(value)}: {refusal}")
            controls.assign_all({c.name: c.default})
    return problems
