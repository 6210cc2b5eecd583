"""Serving a class: how many kernels to keep warm, how many students fit, idle kernels ended.

``bpttviz serve --students N --lessons A,B`` keeps ``N`` kernels warm before the
class arrives (:class:`bpttviz.serve.warm.WarmKernels`: started a few at a time,
``bpttviz.app`` imported, shared by every lesson). ``--lessons`` names the lessons
the class will open; it is checked against the lessons served (with a "did you
mean"), but any lesson may use any warm kernel, so a class is not bound to the
lecturer's guess of who opens what. This module holds what decides:

* **How many.** :func:`class_size` checks the options; :func:`default_max_students`
  sizes the class to the memory available, from the measured sizes of the server
  and of a kernel (:data:`SERVER_MB`, :data:`KERNEL_WAITING_MB`, :data:`KERNEL_MB`),
  stated at start-up in one line (:func:`pool_memory_note`); past ``--max-students``
  a new lesson page gets "the class is full" (:func:`bpttviz.serve.warm.class_full_hook`).
* **When a taken kernel is replaced**: later, one at a time, only when the server is
  quiet (:func:`refill_decision`), so replacements never compete with arriving students.

Kernels that students used are culled like any other (warm kernels are not), and
all idle kernels are ended side by side rather than one after another
(:class:`ConcurrentCulling`), so a closed tab's kernel ends within
``cull_idle_timeout + cull_interval`` seconds and the time of one shutdown.
:func:`bpttviz.serve.warm.install_kernel_managers` mixes both into the kernel manager
class Voila builds.
"""

from __future__ import annotations

import asyncio
import difflib
import os

__all__ = ["parse_lessons", "class_size", "refill_decision", "cpu_busy_sampler",
           "ConcurrentCulling", "KERNEL_MB", "KERNEL_WAITING_MB",
           "SERVER_MB", "available_memory_mb", "default_max_students", "pool_memory_note",
           "REFILL_QUIET_S", "REFILL_MAX_BUSY", "REFILL_INTERVAL_S", "REFILL_HEAT_S"]

#: Memory to plan for (MB): a warm kernel waiting for a page (``bpttviz.app`` imported:
#: 68 MB RSS, 49 MB PSS measured), a kernel a student uses (100 students moving sliders
#: on lessons 2-4: 7.75 GB RSS, 5.1 GB PSS for the server and 100 kernels, about 77 MB RSS
#: each; planned half as much again, for training and longer sessions), and the server.
KERNEL_WAITING_MB = 70
KERNEL_MB = 120
SERVER_MB = 110
#: Memory left to the rest of the machine when sizing the class (MB).
RESERVE_MB = 1024
#: Refill only when no page was asked for during this many seconds ...
REFILL_QUIET_S = 20.0
#: ... and the processors were busy less than this fraction of the time ...
REFILL_MAX_BUSY = 0.25
#: ... checked this often (seconds) ...
REFILL_INTERVAL_S = 5.0
#: ... and no kernel added in the last this many seconds (the time one takes to heat).
REFILL_HEAT_S = 15.0


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
    """The warm kernels to keep for ``--students N --lessons A,B``; ``available`` are the
    lessons served (``lessons`` None: any of them).

    Raises ``ValueError`` naming the option when either is wrong, or ``--students`` missing.
    """
    if lessons is not None:
        parse_lessons(lessons, available)
    if students is None:
        raise ValueError("The '--lessons' option of bpttviz serve needs '--students N' too: how "
                         "many kernels to keep ready.")
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


def default_max_students(available_mb: float | None, warm: int = 0) -> int | None:
    """How many students fit in ``available_mb`` of memory beside ``warm`` waiting kernels
    and the server (None when the memory is not known: no limit).

    Each student's kernel is counted at :data:`KERNEL_MB`; :data:`RESERVE_MB` is left
    to the rest of the machine. At least one student always fits.
    """
    if available_mb is None:
        return None
    room = available_mb - RESERVE_MB - SERVER_MB - warm * KERNEL_WAITING_MB
    return max(1, int(room // KERNEL_MB))


def pool_memory_note(students: int | None, max_students: int | None,
                     available_mb: float | None, default: bool) -> str:
    """The start-up line that states the class's memory and its limit."""
    n = students or 0
    parts = []
    if n:
        parts.append(f"Keeping {n} kernels warm for any lesson (about {KERNEL_WAITING_MB} MB "
                     f"each while they wait, {KERNEL_MB} MB once a student uses one); heating "
                     f"takes about {max(5, n)} s on 2 cores: start the server a minute early.")
    if max_students is None:
        parts.append("No limit on students (the memory available is not known); "
                     "set one with --max-students N.")
    else:
        how = (f"from {available_mb / 1024:.1f} GB available, {KERNEL_MB} MB per student"
               if default else "--max-students")
        plural = "s" if max_students != 1 else ""
        parts.append(f"At most {max_students} student{plural} at once ({how}); past it a new page "
                     f"says the class is full.")
    return " ".join(parts)


def refill_decision(now: float, last_request: float, busy: float, starting: int,
                    missing: dict) -> str | None:
    """Which lesson's pool to give one more kernel now, or None to wait.

    Parameters
    ----------
    now, last_request : float
        Monotonic seconds; ``last_request`` is when a page was last asked for.
    busy : float
        Fraction of the processors' time spent working since the last check (0..1).
    starting : int
        Pool kernels still starting or running their notebook.
    missing : dict of str -> int
        Kernels each pool lacks.

    Returns
    -------
    str or None
        The pool missing most kernels, if the server is quiet; else None.
    """
    wanted = {nb: k for nb, k in missing.items() if k > 0}
    if not wanted or starting > 0:
        return None
    if now - last_request < REFILL_QUIET_S or busy >= REFILL_MAX_BUSY:
        return None
    return max(wanted, key=lambda nb: (wanted[nb], nb))


def cpu_busy_sampler():
    """A function returning the fraction of processor time spent working since its last call.

    Reads ``/proc/stat``; where it cannot, the one-minute load average per core
    stands in for it.
    """
    def read():
        try:
            with open("/proc/stat") as f:
                fields = [float(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)   # idle + iowait
        return sum(fields), idle

    last = [read()]

    def sample() -> float:
        now = read()
        prev, last[0] = last[0], now
        if now is None or prev is None or now[0] <= prev[0]:
            try:
                return min(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
            except OSError:
                return 1.0
        return 1.0 - (now[1] - prev[1]) / (now[0] - prev[0])

    return sample


class ConcurrentCulling:
    """Check (and end) idle kernels concurrently.

    Mixed into the class of Voila's kernel manager. jupyter_server's culler awaits each
    kernel's shutdown in turn, so when a class closes its tabs the last kernel ends a whole
    pass of shutdowns after its tab closed; side by side, a pass takes about as long as one
    shutdown.
    """

    async def cull_kernels(self):
        async def one(kernel_id):
            try:
                await self.cull_kernel_if_idle(kernel_id)
            except Exception as exc:
                self.log.exception("Checking the idle time of kernel %s failed: %s",
                                   kernel_id, exc)

        await asyncio.gather(*(one(k) for k in self.list_kernel_ids()))
