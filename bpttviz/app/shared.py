"""Results shared by the pages of one process: the same settings are computed once.

In a lecture hall every student opens a lesson at its defaults, a guided step sets
the same values on every page, and a slider's steps are the same for everyone: the
engine would compute the same result many times. :class:`SharedResults` keeps the
latest results of each lesson by its settings (:meth:`bpttviz.lessons.Lesson.result_key`)
for every page of the process; a lesson whose result depends on more than its settings
(lesson 4 on a user's file) says so and is computed for its page alone. Results are
frozen records that no page changes, so sharing them is safe; the pages' threads take
a lock only to look up and to keep.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["SharedResults", "Shared"]


class SharedResults:
    """The latest ``size`` results of each lesson, by settings, for every page.

    Attributes
    ----------
    hits, misses : int
    """

    def __init__(self, size: int = 64):
        self.size = size
        self.hits = self.misses = 0
        self._kept = {}
        self._lock = threading.Lock()

    def result(self, lesson, values: dict, compute):
        """``compute(values)``, or the result of the same lesson and settings already kept."""
        key = lesson.result_key(values)
        if key is None:
            return compute(values)
        kept = self._kept.setdefault(type(lesson).slug, OrderedDict())
        with self._lock:
            if key in kept:
                kept.move_to_end(key)
                self.hits += 1
                return kept[key]
        result = compute(values)            # outside the lock: pages compute side by side
        with self._lock:
            self.misses += 1
            kept[key] = result
            while len(kept) > self.size:
                kept.popitem(last=False)
        return result


@dataclass(frozen=True)
class Shared:
    """What the pages of one process share (a lecture hall's server): results computed once,
    and the processes that train (:class:`bpttviz.lessons.runs.RunPool`; None: each page
    trains in threads of its own)."""

    results: SharedResults = field(default_factory=SharedResults)
    runs: object = None
