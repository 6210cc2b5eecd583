"""Peer instruction and class experiments: votes in rounds, a lesson paused, points sent.

Peer instruction (Crouch & Mazur, Am. J. Phys. 69, 2001; Crouch et al., Am. J. Phys. 72,
2004; Smith et al., Science 323, 2009): the lecturer opens a vote on a guided step, the class
answers alone, the lecturer closes it and shows the split, the students discuss, and a second
round on the same question follows. Each round keeps each page's latest choice. A step that
never had a vote counts its answers as given (:class:`~.store.ClassStore`).

A lesson may also be paused (its pages' controls refuse changes while the class discusses) and
run a class experiment: while it runs, each page may send its settings and the lesson's result
(:meth:`bpttviz.lessons.Lesson.experiment_result`) with its link; the lecturer sees one point
per page, the latest it sent, without the page's id.

Kept in the class view's SQLite file beside the answers, and in memory.
"""

from __future__ import annotations

import collections
import json
import math
import time

__all__ = ["Teaching", "check_point", "MAX_POINT_ITEMS", "MAX_LINK"]

#: At most this many settings, and as many result values, in one experiment point.
MAX_POINT_ITEMS = 24
#: The longest link a point may carry, in characters.
MAX_LINK = 2000


class Teaching:
    """Votes in rounds, pauses and experiments of the class's lessons.

    Parameters
    ----------
    db : sqlite3.Connection
        The class view's database (tables made if missing).
    check : callable
        ``check(lesson, step=None, choice=None)``: raises ``error`` for an unknown lesson, step
        or choice (the store's).
    error : type
        What a refusal raises: ``error(message, status=400)`` (the store's ``BadRequest``).
    """

    def __init__(self, db, check, error):
        self.db, self.check, self.error = db, check, error
        db.execute("CREATE TABLE IF NOT EXISTS rounds (lesson TEXT NOT NULL, step INTEGER NOT "
                   "NULL, round INTEGER NOT NULL, open INTEGER NOT NULL, time REAL NOT NULL, "
                   "PRIMARY KEY (lesson, step, round))")
        db.execute("CREATE TABLE IF NOT EXISTS votes (page TEXT NOT NULL, lesson TEXT NOT NULL, "
                   "step INTEGER NOT NULL, round INTEGER NOT NULL, choice INTEGER NOT NULL, "
                   "time REAL NOT NULL, PRIMARY KEY (page, lesson, step, round))")
        db.execute("CREATE TABLE IF NOT EXISTS switches (lesson TEXT NOT NULL, kind TEXT NOT "
                   "NULL, time REAL NOT NULL, PRIMARY KEY (lesson, kind))")
        db.execute("CREATE TABLE IF NOT EXISTS points (page TEXT NOT NULL, lesson TEXT NOT "
                   "NULL, point TEXT NOT NULL, time REAL NOT NULL, PRIMARY KEY (page, lesson))")
        #: ``{(lesson, step): [open, ...]}``: each round of a step, round 1 first.
        self.rounds = collections.defaultdict(list)
        for lesson, step, _, is_open in db.execute(
                "SELECT lesson, step, round, open FROM rounds ORDER BY lesson, step, round"):
            self.rounds[lesson, step].append(bool(is_open))
        #: ``{(lesson, step, round): {page: choice}}``, rounds 1-based.
        self.votes = collections.defaultdict(dict)
        for page, lesson, step, r, choice in db.execute(
                "SELECT page, lesson, step, round, choice FROM votes"):
            self.votes[lesson, step, r][page] = choice
        #: ``{kind: set of lessons}`` switched on: ``"paused"``, ``"experiment"``.
        self.switches = collections.defaultdict(set)
        for lesson, kind in db.execute("SELECT lesson, kind FROM switches"):
            self.switches[kind].add(lesson)
        #: ``{lesson: {page: point}}``: the latest point each page sent.
        self.points = collections.defaultdict(dict)
        for page, lesson, point in db.execute(
                "SELECT page, lesson, point FROM points ORDER BY time"):
            self.points[lesson][page] = json.loads(point)

    # -- votes in rounds ---------------------------------------------------------------------
    def vote(self, lesson, step, is_open):
        """Open a new round of ``step`` of ``lesson`` (``is_open`` true; an open one is closed
        first) or close the open one."""
        self.check(lesson, step if step is not None else "missing")
        if not isinstance(is_open, bool):
            raise self.error(f"'open' must be true or false; got {is_open!r}.")
        rounds = self.rounds[lesson, step]
        now = time.time()
        with self.db:
            if rounds and rounds[-1]:
                self.db.execute("UPDATE rounds SET open = 0, time = ? WHERE lesson = ? AND "
                                "step = ? AND round = ?", (now, lesson, step, len(rounds)))
                rounds[-1] = False
            elif not is_open and not rounds:
                raise self.error(f"step {step} of lesson {lesson!r} has no vote to close: "
                                 f"open one first with \"open\": true.")
            if is_open:
                rounds.append(True)
                self.db.execute("INSERT INTO rounds (lesson, step, round, open, time) VALUES "
                                "(?, ?, ?, 1, ?)", (lesson, step, len(rounds), now))

    def take(self, page, lesson, step, choice, round_=None, when=None) -> bool:
        """Count ``choice`` in a round of the step when it has votes; False when it has none
        (the answer is then counted as given).

        ``round_`` is the round the page voted in (1-based); None: the round open now. A
        choice for a round that is closed is refused (409): the split shown stays as it was.
        """
        rounds = self.rounds.get((lesson, step))
        if not rounds:
            if round_ is not None:
                raise self.error(f"step {step} of lesson {lesson!r} has no vote; got round "
                                 f"{round_!r}.")
            return False
        r = len(rounds) if round_ is None else round_
        if not _whole(r) or not 1 <= r <= len(rounds):
            raise self.error(f"'round' of step {step} of lesson {lesson!r} must be a whole "
                             f"number from 1 to {len(rounds)}; got {round_!r}.")
        if not rounds[r - 1]:
            raise self.error(f"round {r} of the vote on step {step} of lesson {lesson!r} is "
                             f"closed.", 409)
        self.db.execute("INSERT INTO votes (page, lesson, step, round, choice, time) VALUES "
                        "(?, ?, ?, ?, ?, ?) ON CONFLICT (page, lesson, step, round) DO UPDATE "
                        "SET choice = excluded.choice, time = excluded.time",
                        (page, lesson, step, r, choice, time.time() if when is None else when))
        self.votes[lesson, step, r][page] = choice
        return True

    def step_rounds(self, lesson, step, n_choices) -> dict:
        """``{"open": bool, "rounds": [{"answers": {...}, "answered": n}, ...]}`` of a step."""
        rounds = self.rounds.get((lesson, step), [])
        return {"open": bool(rounds and rounds[-1]),
                "rounds": [counts(self.votes.get((lesson, step, r), {}), n_choices)
                           for r in range(1, len(rounds) + 1)]}

    # -- pause and experiment ----------------------------------------------------------------
    def switch(self, kind, lesson, on):
        """Switch ``kind`` (``"paused"`` or ``"experiment"``) on or off for ``lesson``."""
        self.check(lesson)
        if not isinstance(on, bool):
            name = "paused" if kind == "paused" else "running"
            raise self.error(f"'{name}' must be true or false; got {on!r}.")
        with self.db:
            if on:
                self.db.execute("INSERT OR IGNORE INTO switches (lesson, kind, time) VALUES "
                                "(?, ?, ?)", (lesson, kind, time.time()))
                self.switches[kind].add(lesson)
            else:
                self.db.execute("DELETE FROM switches WHERE lesson = ? AND kind = ?",
                                (lesson, kind))
                self.switches[kind].discard(lesson)

    def send_point(self, page, lesson, point):
        """Keep ``point`` as page ``page``'s latest in the experiment of ``lesson`` (409 when
        none runs)."""
        self.check(lesson)
        point = check_point(point, self.error)
        if lesson not in self.switches["experiment"]:
            raise self.error(f"no class experiment runs on lesson {lesson!r}.", 409)
        self.db.execute("INSERT INTO points (page, lesson, point, time) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (page, lesson) DO UPDATE SET point = excluded.point, "
                        "time = excluded.time", (page, lesson, json.dumps(point), time.time()))
        self.points[lesson].pop(page, None)          # the latest last
        self.points[lesson][page] = point

    def experiment(self, lesson) -> dict:
        """``{"running": bool, "points": [...]}``: one point per page, oldest first, no ids."""
        self.check(lesson)
        return {"running": lesson in self.switches["experiment"],
                "points": list(self.points.get(lesson, {}).values())}

    def state(self, lesson) -> dict:
        """What a kernel on ``lesson`` is told besides the pace and reveals: the votes
        (``{"N": {"round": r, "open": bool}}``), whether it is paused and whether an
        experiment runs."""
        votes = {str(step): {"round": len(rounds), "open": rounds[-1]}
                 for (name, step), rounds in self.rounds.items() if name == lesson and rounds}
        return {"votes": votes, "paused": lesson in self.switches["paused"],
                "experiment": lesson in self.switches["experiment"]}

    def clear(self, lesson):
        """Forget the votes, the pause, the experiment and its points of ``lesson``."""
        with self.db:
            for table in ("rounds", "votes", "switches", "points"):
                self.db.execute(f"DELETE FROM {table} WHERE lesson = ?", (lesson,))
        for key in [k for k in self.rounds if k[0] == lesson]:
            del self.rounds[key]
        for key in [k for k in self.votes if k[0] == lesson]:
            del self.votes[key]
        for lessons in self.switches.values():
            lessons.discard(lesson)
        self.points.pop(lesson, None)


def counts(chosen, n_choices) -> dict:
    """``{"answers": {"1": n, ...}, "answered": n}`` of ``{page: choice}``."""
    answers = {str(k): 0 for k in range(1, n_choices + 1)}
    for choice in chosen.values():
        answers[str(choice)] = answers.get(str(choice), 0) + 1
    return {"answers": answers, "answered": len(chosen)}


def check_point(point, error=ValueError) -> dict:
    """A point of a class experiment, ``{"settings", "result", "link"}``, checked: settings and
    result map names to numbers, strings, booleans or None (a number that was not finite),
    :data:`MAX_POINT_ITEMS` each at most,
    the link is the page's (http, https or a path); ``error`` is raised for one that is not."""
    if not isinstance(point, dict) or set(point) != {"settings", "result", "link"}:
        got = sorted(point) if isinstance(point, dict) else type(point).__name__
        raise error(f"a point must have exactly 'settings', 'result' and 'link'; "
                         f"got {got}.")
    for part in ("settings", "result"):
        values = point[part]
        if not isinstance(values, dict) or len(values) > MAX_POINT_ITEMS:
            size = f" of {len(values)}" if isinstance(values, dict) else ""
            raise error(f"'{part}' must be an object of at most {MAX_POINT_ITEMS} values; "
                             f"got {type(values).__name__}{size}.")
        for k, v in values.items():
            ok = (v is None or isinstance(v, (bool, str)) and len(str(v)) <= 64
                  or isinstance(v, (int, float)) and math.isfinite(v))
            if len(k) > 64 or not ok:
                raise error(f"'{part}' values must be finite numbers, booleans, short "
                                 f"strings or null; got {k!r}: {v!r}.")
    link = point["link"]
    if (not isinstance(link, str) or len(link) > MAX_LINK
            or not link.startswith(("http://", "https://", "/"))):
        raise error(f"'link' must be an http(s) address or a path of at most {MAX_LINK} "
                         f"characters; got {str(link)[:80]!r}.")
    return {"settings": point["settings"], "result": point["result"], "link": link}


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
