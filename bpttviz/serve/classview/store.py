"""The class's answers, pace and reveals: SQLite in the state folder, counts in memory.

Answers are kept as (a random page id, lesson, step, choice, time); the latest answer of a
page at a step replaces its earlier one. Each answer a page sends has an id of its own,
kept in ``received`` (UNIQUE): an answer sent again, because its acknowledgement was lost,
is stored once. The pace and the reveals are kept beside them. Only the class view's server
writes, so the counts in memory stay right and a summary costs no query. The lessons
followed are those with guided steps (:func:`class_lessons`).

The pace and the reveals belong to one class: they expire once no page has been open and
the lecturer has not paced or revealed for :data:`PACE_EXPIRES_S` seconds (an hour), at
start or when the next page opens; a new class starts on them cleared
(:meth:`ClassStore.new_class`, ``bpttviz serve --class --new-class``). The answers stay
until the lecturer clears them, for export.
"""

from __future__ import annotations

import collections
import csv
import io
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ...lessons import lesson_of_page
from .teaching import Teaching

__all__ = ["ClassLesson", "class_lessons", "BadRequest", "ClassStore", "PACE_EXPIRES_S",
           "SCHEMA_VERSION"]

#: The pace and reveals expire after this many seconds with no page open and no lecturer's
#: pace or reveal.
PACE_EXPIRES_S = 3600.0
#: The version of the SQLite file's tables (``PRAGMA user_version``); an older file is migrated
#: when opened: 2 added the answers' ids (``received``) and the last time a page was open.
SCHEMA_VERSION = 2
#: How often the last time a page was open is written to disk while pages stay open (s).
_OPEN_WRITE_S = 60.0


@dataclass(frozen=True)
class ClassLesson:
    """A lesson the class view follows: its page name and its guided steps."""

    name: str      #: as in the page's address, ``02_vanishing_exploding``
    slug: str      #: the app's slug, which names its steps file
    steps: tuple   #: of :class:`bpttviz.steps.Step`


def class_lessons(names) -> dict:
    """The lessons among page names ``names`` that have guided steps, ``{name: ClassLesson}``.

    A page's lesson is the registry's (:func:`bpttviz.lessons.lesson_of_page`).
    """
    lessons = {}
    for name in sorted(names):
        cls = lesson_of_page(name)
        steps = cls.steps() if cls is not None else ()
        if steps:
            lessons[name] = ClassLesson(name, cls.slug, steps)
    return lessons


class BadRequest(ValueError):
    """A request the class view refuses, with the HTTP status and a message saying why."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class ClassStore:
    """The class's answers, pace and reveals: SQLite on disk, counts in memory.

    Parameters
    ----------
    path : path
        The SQLite file (made, with its folder, if missing; migrated if older).
    lessons : dict of str -> ClassLesson
    clock : callable, optional
        The time now, in seconds since the epoch (default ``time.time``).
    """

    def __init__(self, path, lessons, clock=time.time):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lessons = lessons
        self.clock = clock
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS answers (page TEXT NOT NULL, lesson TEXT "
                        "NOT NULL, step INTEGER NOT NULL, choice INTEGER NOT NULL, time REAL "
                        "NOT NULL, PRIMARY KEY (page, lesson, step))")
        self.db.execute("CREATE TABLE IF NOT EXISTS guidance (lesson TEXT NOT NULL, kind TEXT "
                        "NOT NULL, step INTEGER NOT NULL, time REAL NOT NULL, "
                        "PRIMARY KEY (lesson, kind, step))")
        self._migrate()
        #: ``{(lesson, step): {page: choice}}``, steps and choices 1-based.
        self.answers = collections.defaultdict(dict)
        for page, lesson, step, choice in self.db.execute(
                "SELECT page, lesson, step, choice FROM answers"):
            self.answers[lesson, step][page] = choice
        #: ``{lesson: (step, serial)}``: the step the lecturer chose, numbered so that choosing
        #: the same step again brings back the pages that left it.
        self.pace = {}
        #: ``{lesson: set of steps}`` revealed.
        self.revealed = collections.defaultdict(set)
        for lesson, kind, step, when in self.db.execute(
                "SELECT lesson, kind, step, time FROM guidance ORDER BY time"):
            if kind == "pace":
                self.pace[lesson] = (step, when)
            else:
                self.revealed[lesson].add(step)
        #: Votes in rounds, pauses and class experiments (:mod:`.teaching`).
        self.teaching = Teaching(self.db, self.check, BadRequest)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_open'").fetchone()
        #: When a page was last open (s since the epoch; None: never since version 2).
        self.last_open = row[0] if row else None
        self._written_open = self.last_open
        #: Whether the pace and reveals found at start had expired (and were cleared).
        self.expired_at_start = self.expire_idle()

    def _migrate(self):
        """Bring an older file's tables to :data:`SCHEMA_VERSION` (new tables: nothing in the
        existing ones changes)."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS received (id TEXT NOT NULL UNIQUE, "
                            "lesson TEXT NOT NULL, time REAL NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)")
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def check(self, lesson, step=None, choice=None):
        """Raise :class:`BadRequest` saying which of ``lesson``, ``step``, ``choice`` is unknown."""
        if not isinstance(lesson, str) or lesson not in self.lessons:
            raise BadRequest(f"unknown lesson {lesson!r}: the lessons with guided steps are "
                             f"{', '.join(self.lessons) or 'none'}.")
        steps = self.lessons[lesson].steps
        if step is not None:
            if not _whole(step) or not 1 <= step <= len(steps):
                raise BadRequest(f"unknown step {step!r} of lesson {lesson!r}: a step is a whole "
                                 f"number from 1 to {len(steps)}.")
            if choice is not None:
                n = len(steps[step - 1].choices)
                if not _whole(choice) or not 1 <= choice <= n:
                    raise BadRequest(f"unknown choice {choice!r} of step {step} of lesson "
                                     f"{lesson!r}: a choice is a whole number from 1 to {n}.")

    def answer(self, page, lesson, step, choice, when=None, answer_id=None, round_=None) -> bool:
        """Keep ``choice`` as page ``page``'s answer at ``step`` of ``lesson`` (the latest counts);
        in a round of its vote when the step has one (``round_``, default the open round).

        ``answer_id`` names the answer: one already stored is not stored again (a page sent it
        again, its acknowledgement lost). Returns whether the answer was new.
        """
        self.check(lesson, step, choice)
        when = self.clock() if when is None else when
        answer_id = uuid.uuid4().hex if answer_id is None else answer_id
        with self.db:
            new = self.db.execute("INSERT OR IGNORE INTO received (id, lesson, time) VALUES "
                                  "(?, ?, ?)", (answer_id, lesson, when)).rowcount == 1
            if not new:
                return False
            # A vote's answer is the round's (a closed round refuses it, and the id with it).
            if self.teaching.take(page, lesson, step, choice, round_, when):
                return True
            self.db.execute("INSERT INTO answers (page, lesson, step, choice, time) VALUES "
                            "(?, ?, ?, ?, ?) ON CONFLICT (page, lesson, step) DO UPDATE "
                            "SET choice = excluded.choice, time = excluded.time",
                            (page, lesson, step, choice, when))
        self.answers[lesson, step][page] = choice
        return True

    def set_pace(self, lesson, step):
        """Bring the class on ``lesson`` to ``step``."""
        self.check(lesson, step)
        when = self.clock()
        with self.db:
            self.db.execute("DELETE FROM guidance WHERE lesson = ? AND kind = 'pace'", (lesson,))
            self.db.execute("INSERT INTO guidance (lesson, kind, step, time) VALUES "
                            "(?, 'pace', ?, ?)", (lesson, step, when))
        self.pace[lesson] = (step, when)

    def reveal(self, lesson, step):
        """Reveal the answer of ``step`` of ``lesson`` to every page at it."""
        self.check(lesson, step)
        self.db.execute("INSERT OR IGNORE INTO guidance (lesson, kind, step, time) VALUES "
                        "(?, 'reveal', ?, ?)", (lesson, step, self.clock()))
        self.revealed[lesson].add(step)

    def clear(self, lesson):
        """Forget the answers, the pace and the reveals of ``lesson``."""
        self.check(lesson)
        with self.db:
            self.db.execute("DELETE FROM answers WHERE lesson = ?", (lesson,))
            self.db.execute("DELETE FROM guidance WHERE lesson = ?", (lesson,))
        for key in [k for k in self.answers if k[0] == lesson]:
            del self.answers[key]
        self.pace.pop(lesson, None)
        self.revealed.pop(lesson, None)
        self.teaching.clear(lesson)

    # -- one class, then the next ----------------------------------------------------------
    def new_class(self):
        """Start a new class: forget every lesson's pace and reveals (the answers stay)."""
        with self.db:
            self.db.execute("DELETE FROM guidance")
        self.pace.clear()
        self.revealed.clear()

    def last_activity(self):
        """When a page was last open or the lecturer last paced or revealed (None: never)."""
        times = [self.last_open] if self.last_open is not None else []
        guided = self.db.execute("SELECT MAX(time) FROM guidance").fetchone()[0]
        times += [guided] if guided is not None else []
        return max(times, default=None)

    def expire_idle(self) -> bool:
        """Clear the pace and reveals if nothing happened for :data:`PACE_EXPIRES_S` seconds
        (:meth:`last_activity`); return whether they were cleared."""
        if not self.pace and not any(self.revealed.values()):
            return False
        last = self.last_activity()
        if last is None or self.clock() - last <= PACE_EXPIRES_S:
            return False
        self.new_class()
        return True

    def page_open(self) -> bool:
        """Note that a page is open now (its kernel asked); first, the pace and reveals
        expire if nothing happened for an hour. Returns whether they expired."""
        expired = self.expire_idle()
        now = self.last_open = self.clock()
        if self._written_open is None or now - self._written_open >= _OPEN_WRITE_S:
            self.db.execute("INSERT INTO meta (key, value) VALUES ('last_open', ?) ON CONFLICT "
                            "(key) DO UPDATE SET value = excluded.value", (now,))
            self._written_open = now
        return expired

    def kept(self) -> dict:
        """What the store holds from before: ``{"pages": pages that answered, "pace":
        {lesson: step}, "revealed": {lesson: [steps]}}``."""
        pages = {p for chosen in self.answers.values() for p in chosen}
        return {"pages": len(pages),
                "pace": {lesson: step for lesson, (step, _) in sorted(self.pace.items())},
                "revealed": {lesson: sorted(s) for lesson, s in sorted(self.revealed.items())
                             if s}}

    def summary(self, open_pages=None) -> dict:
        """The class's answers as the summary API returns them.

        ``open_pages`` maps lessons to the pages open on them now (default none).
        """
        open_pages = open_pages or {}
        lessons = {}
        for name, lesson in self.lessons.items():
            steps = {}
            for i, step in enumerate(lesson.steps, start=1):
                chosen = self.answers.get((name, i), {})
                counts = {str(k): 0 for k in range(1, len(step.choices) + 1)}
                for choice in chosen.values():
                    counts[str(choice)] = counts.get(str(choice), 0) + 1
                steps[str(i)] = {"answers": counts, "answered": len(chosen),
                                 "revealed": i in self.revealed.get(name, ())}
                votes = self.teaching.step_rounds(name, i, len(step.choices))
                if votes["rounds"]:             # a step with a vote: its latest round
                    steps[str(i)].update(votes["rounds"][-1])
                steps[str(i)].update(votes)
            lessons[name] = {"students": open_pages.get(name, 0), "steps": steps}
        return {"students": sum(open_pages.values()), "lessons": lessons}

    def csv(self) -> str:
        """The counts as CSV: one row per lesson, step, choice and round of a vote (``round``
        empty for a step without a vote)."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["lesson", "step", "step_title", "choice", "choice_text", "right", "count",
                    "answered", "revealed", "round"])
        summary = self.summary()
        for name, lesson in self.lessons.items():
            for i, step in enumerate(lesson.steps, start=1):
                s = summary["lessons"][name]["steps"][str(i)]
                rounds = list(enumerate(s["rounds"], start=1)) or [("", s)]
                for r, counted in rounds:
                    for k, text in enumerate(step.choices, start=1):
                        w.writerow([name, i, step.title, k, text,
                                    int(k - 1 == step.answer_index), counted["answers"][str(k)],
                                    counted["answered"], int(s["revealed"]), r])
        return out.getvalue()

    def lessons_info(self) -> dict:
        """Each lesson's steps for the lecturer's page: titles, questions, choices, answers,
        and the step the class was brought to."""
        info = {}
        for name, lesson in self.lessons.items():
            pace = self.pace.get(name)
            info[name] = {
                "pace": pace[0] if pace else None,
                "paused": name in self.teaching.switches["paused"],
                "experiment": name in self.teaching.switches["experiment"],
                "steps": [{"title": s.title, "question": s.question, "choices": list(s.choices),
                           "answer": s.answer_index + 1} for s in lesson.steps]}
        return {"lessons": info}

    def state(self, lesson) -> dict:
        """What a kernel on ``lesson`` is told: the pace (step and serial) and the reveals."""
        pace = self.pace.get(lesson)
        return {"pace": pace[0] if pace else None, "pace_serial": pace[1] if pace else None,
                "revealed": sorted(self.revealed.get(lesson, ())),
                **self.teaching.state(lesson)}

    def close(self):
        if self.last_open is not None and self.last_open != self._written_open:
            self.db.execute("INSERT INTO meta (key, value) VALUES ('last_open', ?) ON CONFLICT "
                            "(key) DO UPDATE SET value = excluded.value", (self.last_open,))
        self.db.close()


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
