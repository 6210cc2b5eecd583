"""How many students a lecture-hall server takes: the options, and the memory it plans for.

``bpttviz serve --students N --lessons A,B`` says how many students the lecturer expects
and on which lessons: the server prepares those lessons before it says "ready for N
students" (each built and computed once, so the first students wait for no import or
first computation). ``--lessons`` is checked against the lessons served (with a "did you
mean"); any student may open any lesson. :func:`default_max_students` sizes the class to
the memory available, from the measured sizes of the server and of a page
(:data:`SERVER_MB`, :data:`PAGE_MB`), stated at start-up in one line
(:func:`capacity_note`); past ``--max-students`` a new lesson page gets "the class is
full" (:class:`bpttviz.serve.hall.web.ClassFull`).
"""

from __future__ import annotations

import difflib

__all__ = ["parse_lessons", "class_size", "available_memory_mb", "default_max_students",
           "capacity_note", "PAGE_MB", "SERVER_MB", "RESERVE_MB"]

#: Memory to plan for (MB): a student's page (its widgets, figures, caches: about 1.5 MB
#: measured on lessons 2-4, planned with room for training runs and long sessions), and one
#: server process (Python, NumPy, Solara, the lessons imported).
PAGE_MB = 10
SERVER_MB = 250
#: Memory left to the rest of the machine when sizing the class (MB).
RESERVE_MB = 1024


def parse_lessons(text: str, available) -> list:
    """Lesson names from ``"A,B"`` checked against ``available`` (notebook stems).

    Raises ``ValueError`` naming the option, the lessons available and what was received,
    with the closest lesson for each name not found ("did you mean").
    """
    available = sorted(available)
    names = [t.strip().removesuffix(".ipynb") for t in str(text).split(",") if t.strip()]
    unknown = [n for n in names if n not in available]
    if not names or unknown:
        got = ", ".join(unknown) if unknown else repr(text)
        guesses = {n: _closest(n, available) for n in unknown}
        guesses = {n: g for n, g in guesses.items() if g}
        hint = "."
        if len(unknown) == 1 and guesses:
            hint = f"; did you mean {guesses[unknown[0]]}?"
        elif guesses:
            hint = "; did you mean " + ", ".join(f"{g} for {n}" for n, g in guesses.items()) + "?"
        raise ValueError(f"The '--lessons' option of bpttviz serve must be lesson names "
                         f"separated by commas, from: {', '.join(available)}. "
                         f"Got {got} instead{hint}")
    return list(dict.fromkeys(names))       # a lesson named twice counts once


def _closest(name: str, available) -> str | None:
    """The lesson ``name`` was most likely meant to be, or None if none is close."""
    close = difflib.get_close_matches(name, available, n=2, cutoff=0.6)
    # "03_truncation" is as close to 07_beyond_truncation as to 03_truncated_bptt: the
    # number typed decides.
    number = name.split("_", 1)[0]
    close.sort(key=lambda lesson: lesson.split("_", 1)[0] != number)
    return close[0] if close else None


def class_size(students, lessons, available) -> int:
    """The students to prepare for with ``--students N --lessons A,B``; ``available`` are the
    lessons served (``lessons`` None: any of them).

    Raises ``ValueError`` naming the option when either is wrong, or ``--students`` missing.
    """
    if lessons is not None:
        parse_lessons(lessons, available)
    if students is None:
        raise ValueError("The '--lessons' option of bpttviz serve needs '--students N' too: how "
                         "many students to prepare for.")
    if isinstance(students, bool) or not isinstance(students, int) or not 1 <= students <= 500:
        raise ValueError(f"The '--students' option of bpttviz serve must be a whole number in "
                         f"the range [1, 500]. Got {students!r} instead.")
    return students


def available_memory_mb() -> float | None:
    """Memory the system can give without swapping (MB, ``MemAvailable``), None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def default_max_students(available_mb: float | None, processes: int = 1) -> int | None:
    """How many students fit in ``available_mb`` of memory beside ``processes`` server
    processes (None when the memory is not known: no limit).

    Each student's page is counted at :data:`PAGE_MB`; :data:`RESERVE_MB` is left
    to the rest of the machine. At least one student always fits.
    """
    if available_mb is None:
        return None
    room = available_mb - RESERVE_MB - processes * SERVER_MB
    return max(1, int(room // PAGE_MB))


def capacity_note(students: int | None, max_students: int | None,
                  available_mb: float | None, default: bool) -> str:
    """The start-up line that states the class's memory and its limit."""
    parts = []
    if students:
        parts.append(f"Preparing for {students} students (each lesson built once before the "
                     f"first arrives; about {PAGE_MB} MB per student).")
    if max_students is None:
        parts.append("No limit on students (the memory available is not known); "
                     "set one with --max-students N.")
    else:
        how = (f"from {available_mb / 1024:.1f} GB available, {PAGE_MB} MB per student"
               if default else "--max-students")
        plural = "s" if max_students != 1 else ""
        parts.append(f"At most {max_students} student{plural} at once ({how}); past it a new page "
                     f"says the class is full.")
    return " ".join(parts)
