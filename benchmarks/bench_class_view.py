"""The class view's cost to a class: the same simulated class with and without ``--class``.

Two runs of ``bpttviz serve`` (the lecture hall) on 127.0.0.1, one after the other, with the
same students, the same arrival times and the same actions (seeded): first without the class
view, then with ``--class`` and a simulated lecturer's page reading the summary
(``/bpttviz/class/api/summary``) every 0.5 s, as the real page does. Each student opens a
lesson at its first guided step (``?step=1``), at the protocol level as
``benchmarks/bench_classroom.py`` does (``benchmarks/_client.py``), then, every ``--think``
seconds, moves the lesson's slider (timed: slider -> all figures) and, after every
``--answer-every`` moves, answers the step shown (a click on one of its choices, at random)
and goes to the next step (a click on "Next step"), so both runs do the same work in the
server and only the class view differs: with it, each answer is also reported to the class
view and each page waits on it for the lecturer's pace (a held request).

The server is prepared for the class (``--students N --lessons ...``; it is ready when it
says so) unless ``--cold``; ``--workers N`` runs N processes behind nginx (the class view
then in a process of its own). ``--server voila --program CMD`` measures an older
checkout's ``bpttviz serve`` (Voila, a kernel per page) the same way.

Printed per run: slider -> figures median and p95, moves, answers clicked, failures, the
server's CPU seconds (every process of it); then the ratio of the p95s (the aim: within
5 %) and the answers the lecturer's summary counted. Bounded: at most 120 students and 600 s
of interaction per run; only 127.0.0.1 is contacted.

``--delivery`` measures instead whether every answer reaches the class view through an
outage: one run, with ``--class``, where each student opens lesson 2 at its first guided
step and goes through its first five steps: at each, waits for the step's choice buttons
(those made after its last click on "Next step": a click hits a button the page shows now),
moves the slider half of the time, chooses at random, then presses "Next step". From
``--outage START,LENGTH`` (seconds after the first arrival) the class view answers 503 to
every kernel (a switch of the server for benchmarks, ``BPTTVIZ_CLASS_OUTAGE_FILE``). The
students stay until the class view has counted their answers (or 90 s after the last one
chose). Printed: the answers clicked (and how many during the outage), those the lecturer's
summary counts, those the class view stored by id; the aim: none lost, none twice.

``--votes`` measures peer instruction: two runs as above, without and with ``--class``, where
each student opens lesson 2 at its first guided step and moves the slider every ``--think``
seconds until the end (at least ``--duration`` s; with the class view, until the lecturer is
done). With the class view, once every page is in, the lecturer (the benchmark, with the
token) opens a vote on step 1 (``POST /bpttviz/class/api/vote``); each student waits until
its page says the round is open and the step's choice buttons are in the page's widget
states, enabled and not hidden (a click hits a button the page shows now), thinks, chooses at
random; the lecturer
closes the vote once the summary counts the answers sent (or after 60 s), waits 5 s (the
discussion), runs round 2 the same way, then starts a class experiment
(``POST /bpttviz/class/api/experiment``): each student waits until its page shows "Send my
result" and presses it; the lecturer stops it once ``GET /bpttviz/class/api/experiment``
returns as many points as were sent (or after 60 s). Printed: per round the answers sent and
those the summary counts (``rounds``), the results sent and the points returned, and both
runs' slider -> figures p95 and their ratio (the aim: within 5 %), and the same for three
stretches of both runs: before the first round (the class arriving), from the first round to
the experiment's end, and after, each with the CPU-s per second the server and the simulated
class (this process, on the same machine) spent in it. ``--pairs N`` runs N such pairs, in
alternating order (plain first, then the class view first, ...), and gives the same figures
over every pair's moves too: on a machine whose speed drifts (a shared host), one pair's
ratio varies by more than the 5 % it measures.

Usage::

    python -m benchmarks.bench_class_view --students 60 --window 10 --duration 120
    python -m benchmarks.bench_class_view --quick      # 4 students, 20 s: the harness works
    python -m benchmarks.bench_class_view --delivery --students 50 --outage 15,5
    python -m benchmarks.bench_class_view --votes --students 60 --window 10 --duration 120
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._client import (STEP_TIMEOUT, connected, lesson_sliders,  # noqa: E402
                                load_page, other_value, pct)
from benchmarks._common import benchmark_parser  # noqa: E402
from benchmarks.bench_classroom import range_option  # noqa: E402

#: The slider each lesson's students move, of the lessons they open by default.
SLIDERS = {name: control for name, control in lesson_sliders().items()
           if name in ("02_vanishing_exploding", "03_truncated_bptt", "04_training")}
MAX_STUDENTS = 120
MAX_DURATION = 600
TOKEN = "bench-class-view-token"


async def student(i, lesson, base, t_start, args, pool, out):
    rng = random.Random(1000 + i)
    await asyncio.sleep(max(0.0, t_start + args.arrivals[i] - time.monotonic()))
    rec = {"moves": [], "answers": 0, "error": None}
    out.append(rec)
    loop = asyncio.get_running_loop()
    try:
        landing = await loop.run_in_executor(pool, load_page, args.server, base, lesson, "step=1")
        if not landing.has_app():
            raise RuntimeError("the page came without its app")
        async with connected(landing) as k:
            slider = await k.open_widgets(f"bpttviz-control-{SLIDERS[lesson]}")
            if slider is None:
                raise RuntimeError("no slider in the page")
            model_id, state = slider
            moves = 0
            while True:
                await asyncio.sleep(rng.uniform(*args.think_range))
                if time.monotonic() - t_start > args.duration:
                    break
                # The slider's state follows the server's (a step sets the controls).
                state["value"] = other_value(k.states[model_id]["state"], rng)
                at = time.monotonic() - t_start
                rec["moves"].append((at, await k.move(model_id, state["value"])))
                moves += 1
                if moves % args.answer_every == 0:
                    # The step shown now: its newest choices (the previous step's are closed).
                    n = len({c for s in k.states.values() for c in
                             s.get("state", {}).get("_dom_classes", ())
                             if c.startswith("bpttviz-step-choice-")})
                    choice = k.newest(f"bpttviz-step-choice-{rng.randint(1, max(n, 1))}")
                    if choice is not None:
                        await k.press(choice)
                        rec["answers"] += 1
                    await k.press(k.newest("bpttviz-step-next"))
                    # The step's settings reach the figures before the next move is timed.
                    await asyncio.sleep(1.0)
            await k.leave()
    except Exception as exc:            # a failure is a figure of the benchmark, not a crash
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]


#: ``--delivery``: the lesson and how many of its guided steps each student goes through.
DELIVERY_LESSON, DELIVERY_STEPS = "02_vanishing_exploding", 5
#: ``--delivery``: how long the students wait for the class view to count their answers (s).
DELIVERY_WAIT = 90.0


def _classes(k, model_id):
    return k.states.get(model_id, {}).get("state", {}).get("_dom_classes", ())


async def guided_student(i, base, t_start, args, pool, out, counted):
    """``--delivery``: one student through the first guided steps of lesson 2; stays until
    ``counted`` is set (the class view counted the class's answers, or the wait ended)."""
    from bpttviz.lessons import lesson_of_page

    steps = lesson_of_page(DELIVERY_LESSON).steps()[:DELIVERY_STEPS]
    rng = random.Random(1000 + i)
    await asyncio.sleep(max(0.0, t_start + args.arrivals[i] - time.monotonic()))
    rec = {"moves": [], "answers": 0, "clicked_at": [], "done": False, "error": None}
    out.append(rec)
    loop = asyncio.get_running_loop()
    try:
        landing = await loop.run_in_executor(pool, load_page, args.server, base,
                                             DELIVERY_LESSON, "step=1")
        if not landing.has_app():
            raise RuntimeError("the page came without its app")
        async with connected(landing) as k:
            slider = await k.open_widgets(f"bpttviz-control-{SLIDERS[DELIVERY_LESSON]}")
            if slider is None:
                raise RuntimeError("no slider in the page")
            model_id = slider[0]
            shown = k.with_class("bpttviz-step-choice")          # step 1's, there at load
            for index, step in enumerate(steps):
                n = len(step.choices)
                if index:
                    # "Next step", then the next step's choices: made after this click, open.
                    mark = len(k.opened)
                    await k.press(k.newest("bpttviz-step-next"))

                    def made(mark=mark):
                        return [m for m in k.opened[mark:] if m in k.states
                                and "bpttviz-step-choice" in _classes(k, m)]

                    await k.until(lambda n=n, made=made: len(made()) >= n,
                                  what=f"the choices of step {index + 1}")
                    shown = made()
                if len(shown) != n:
                    raise RuntimeError(f"step {index + 1} shows {len(shown)} choices, not {n}")
                await asyncio.sleep(rng.uniform(*args.think_range))
                if rng.random() < 0.5:
                    value = other_value(k.states[model_id]["state"], rng)
                    at = time.monotonic() - t_start
                    rec["moves"].append((at, await k.move(model_id, value)))
                # Counted once sent: the server has the click even if its reply comes late.
                rec["clicked_at"].append(time.monotonic() - t_start)
                msg = await k.click(shown[rng.randrange(n)])
                rec["answers"] += 1
                await k.until(k.idle[msg].is_set, what="a choice's answer")
            rec["done"] = True
            await counted.wait()
            await k.leave()
    except Exception as exc:            # a failure is a figure of the benchmark, not a crash
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]


async def outage(t_start, args):
    """The class view out of service (503 to every kernel) from ``START`` for ``LENGTH`` s."""
    start, length = args.outage_range
    await asyncio.sleep(max(0.0, t_start + start - time.monotonic()))
    args.outage_file.touch()
    print(f"# the class view answers 503 from {time.monotonic() - t_start:.1f} s", flush=True)
    await asyncio.sleep(length)
    args.outage_file.unlink()
    print(f"# ... until {time.monotonic() - t_start:.1f} s", flush=True)


def stored_by_id(state_dir):
    """The answers the class view stored by their ids (in its SQLite file)."""
    with contextlib.closing(sqlite3.connect(f"file:{state_dir}/class.sqlite?mode=ro",
                                            uri=True)) as db:
        return db.execute("SELECT COUNT(*) FROM received WHERE lesson = ?",
                          (DELIVERY_LESSON,)).fetchone()[0]


def counted_answers(base):
    steps = summary(base)["lessons"][DELIVERY_LESSON]["steps"]
    return sum(st["answered"] for st in steps.values())


async def delivery_run(args):
    """``--delivery``: the class through the outage; every answer clicked, counted, stored."""
    from bpttviz.serve.classview.view import OUTAGE_ENV

    from benchmarks.bench_classroom import cpu_seconds, serving

    print(f"# {args.students} students on {DELIVERY_LESSON}, arriving within {args.window:g} s, "
          f"{DELIVERY_STEPS} guided steps each ({args.think} s before each choice, the slider "
          f"moved half of the time), the class view answering 503 for "
          f"{args.outage_range[1]:g} s from {args.outage_range[0]:g} s", flush=True)
    run_args = argparse.Namespace(**vars(args))
    run_args.server_args = ["--class", "--class-token", TOKEN, "--state-dir", args.state_dir]
    run_args.log = f"{args.log}.delivery"
    run_args.all_lessons = [DELIVERY_LESSON]
    os.environ[OUTAGE_ENV] = str(args.outage_file)
    with serving(run_args) as (server, _):
        base = server.url
        recs, counted = [], asyncio.Event()
        pool = ThreadPoolExecutor(max_workers=args.students + 4)
        cpu0 = cpu_seconds(server.pid)
        t_start = time.monotonic()
        down = asyncio.create_task(outage(t_start, args))
        tasks = [asyncio.create_task(guided_student(i, base, t_start, args, pool, recs, counted))
                 for i in range(args.students)]
        loop = asyncio.get_running_loop()
        limit = t_start + args.window + DELIVERY_STEPS * (args.think_range[1] + 30) + 60
        n = 0

        def all_chose():
            return len(recs) == args.students and all(
                r["done"] or r["error"] for r in recs)

        while time.monotonic() < limit and not all_chose():
            await asyncio.sleep(0.5)
        chose = time.monotonic()
        clicked = sum(r["answers"] for r in recs)
        while time.monotonic() - chose < DELIVERY_WAIT:
            n = await loop.run_in_executor(pool, counted_answers, base)
            if n >= clicked and down.done():
                break
            await asyncio.sleep(0.5)
        delivered_after = time.monotonic() - chose
        counted.set()
        await asyncio.wait(tasks, timeout=60)
        await down
        clicked = sum(r["answers"] for r in recs)
        cpu = cpu_seconds(server.pid) - cpu0
        n = await loop.run_in_executor(pool, counted_answers, base)
        stored = stored_by_id(args.state_dir)
        pool.shutdown(wait=False, cancel_futures=True)
    errors = [r["error"] for r in recs if r["error"]]
    start, length = args.outage_range
    during = sum(1 for r in recs for t in r["clicked_at"] if start <= t < start + length)
    moves = [lat for r in recs for _, lat in r["moves"]]
    refused = sum(1 for line in Path(run_args.log).read_text().splitlines()
                  if "503 POST /bpttviz/class/kernel/answer" in line)
    print(f"answers clicked {clicked} ({during} while the class view answered 503; "
          f"{refused} tries answered 503), counted by the lecturer's summary "
          f"{n}, stored by id {stored}: lost {max(0, clicked - n)}, counted twice "
          f"{max(0, stored - clicked)}", flush=True)
    print(f"the last answer counted {delivered_after:.1f} s after the last student chose; "
          f"{len(errors)} failures; slider -> figures p95 {pct(moves, 95):.3f} s over "
          f"{len(moves)} moves; server {cpu:.1f} CPU-s", flush=True)
    for e in sorted(set(errors))[:3]:
        print(f"  {errors.count(e)} x {e}")
    print("RESULT " + json.dumps({"students": args.students, "clicked": clicked,
                                  "during_outage": during, "tries_503": refused,
                                  "counted": n, "stored": stored, "failures": len(errors),
                                  "delivered_after_s": round(delivered_after, 1)}))


def summary(base):
    req = urllib.request.Request(f"{base}/bpttviz/class/api/summary",
                                 headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


async def lecturer(base, stop, pool, seen):
    """The lecturer's page: the summary every 0.5 s."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            s = await loop.run_in_executor(pool, summary, base)
            seen["answered"] = sum(st["answered"] for les in s["lessons"].values()
                                   for st in les["steps"].values())
            seen["open"] = max(seen.get("open", 0), s["students"])
        except OSError as exc:
            seen["error"] = str(exc)
        await asyncio.sleep(0.5)


def report_moves(recs, with_class, after_count, cpu):
    """Print one run's slider -> figures line (``after_count`` follows the number of moves)
    and its commonest failures; return the moves' latencies and the failures."""
    moves = [lat for r in recs for _, lat in r["moves"]]
    errors = [r["error"] for r in recs if r["error"]]
    name = "with the class view" if with_class else "without it"
    print(f"{name:22s} slider -> figures median "
          f"{statistics.median(moves) if moves else float('nan'):.3f} s  p95 {pct(moves, 95):.3f} s"
          f"  ({len(moves)} moves{after_count}, {len(errors)} failures, server "
          f"{cpu:.1f} CPU-s)", flush=True)
    for e in sorted(set(errors))[:3]:
        print(f"  {errors.count(e)} x {e}")
    return moves, errors


def server_args(args, with_class) -> list:
    """``bpttviz serve``'s class view options for a run: each run with the class view starts
    a class of its own (no answers, rounds or points of an earlier run kept)."""
    return (["--class", "--class-token", TOKEN, "--state-dir",
             tempfile.mkdtemp(dir=args.state_dir)] if with_class else [])


async def one_run(args, with_class):
    from benchmarks.bench_classroom import cpu_seconds, serving

    run_args = argparse.Namespace(**vars(args))
    run_args.server_args = server_args(args, with_class)
    run_args.log = f"{args.log}.{'class' if with_class else 'plain'}"
    with serving(run_args) as (server, _):
        base = server.url
        recs, seen = [], {}
        pool = ThreadPoolExecutor(max_workers=args.students + 4)
        stop = asyncio.Event()
        watcher = asyncio.create_task(lecturer(base, stop, pool, seen)) if with_class else None
        cpu0 = cpu_seconds(server.pid)
        t_start = time.monotonic()
        tasks = [asyncio.create_task(student(i, args.lesson_list[i % len(args.lesson_list)],
                                             base, t_start, args, pool, recs))
                 for i in range(args.students)]
        _, pending = await asyncio.wait(tasks, timeout=args.window + args.duration
                                        + STEP_TIMEOUT + 30)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        cpu = cpu_seconds(server.pid) - cpu0
        if watcher:
            await asyncio.sleep(1.0)        # the last answers reach the summary
            stop.set()
            await watcher
        pool.shutdown(wait=False, cancel_futures=True)
    answers = sum(r["answers"] for r in recs)
    moves, errors = report_moves(recs, with_class, f", {answers} answers", cpu)
    if with_class:
        print(f"  the lecturer's summary counted {seen.get('answered')} answers, at most "
              f"{seen.get('open')} pages open" + (f"; error {seen['error']}"
                                                   if "error" in seen else ""))
    return {"p95": pct(moves, 95), "median": statistics.median(moves) if moves else None,
            "moves": len(moves), "answers": answers, "failures": len(errors), "cpu": cpu,
            "counted": seen.get("answered")}


async def run(args):
    print(f"# {args.students} students on {','.join(args.lesson_list)}, arriving within "
          f"{args.window:g} s, a move every {args.think} s for {args.duration:g} s, an answer "
          f"every {args.answer_every} moves, server {args.server}"
          f"{f' ({args.workers} workers)' if args.workers > 1 else ''}"
          f"{', cold' if args.cold else ', prepared for the class'}", flush=True)
    plain = await one_run(args, False)
    with_class = await one_run(args, True)
    ratio = with_class["p95"] / plain["p95"] if plain["p95"] else float("nan")
    print(f"p95 with / without the class view: {ratio:.3f} (aim: at most 1.05)")
    print("RESULT " + json.dumps({"students": args.students, "plain": plain,
                                  "class": with_class, "p95_ratio": round(ratio, 3)}))


#: ``--votes``: the lesson, and the guided step (from 1) the lecturer's vote is on.
VOTES_LESSON, VOTES_STEP = "02_vanishing_exploding", 1
#: ``--votes``: how long the lecturer waits for the answers or points sent to be counted (s).
VOTES_WAIT = 60.0
#: ``--votes``: seconds between closing round 1 and opening round 2 (the class discusses).
DISCUSSION = 5.0


def model_ref(model_id):
    return f"IPY_MODEL_{model_id}"


def shown_now(k, model_id) -> bool:
    """Whether the page shows the button ``model_id`` now, enabled: in its widget states, not
    disabled, and neither its layout nor any box holding it has ``display: none``."""
    states = k.states or {}
    if model_id not in states or states[model_id].get("state", {}).get("disabled"):
        return False
    parents = {}
    for m, s in states.items():
        for child in s.get("state", {}).get("children", ()) or ():
            parents[child] = m
    seen, node = set(), model_id
    while node is not None and node not in seen:
        seen.add(node)
        layout = str(states.get(node, {}).get("state", {}).get("layout", ""))
        if states.get(layout[len("IPY_MODEL_"):], {}).get("state", {}).get("display") == "none":
            return False
        node = parents.get(model_ref(node))
    return True


async def vote_actions(k, rng, args, todo, rec, n_choices):
    """What a student does when the lecturer asks: choose in a round of the vote, or press
    "Send my result". ``todo`` gives ``("vote", round)`` or ``("result", None)``; None ends."""
    while (what := await todo.get()) is not None:
        kind, round_ = what
        if kind == "vote":
            def shown(round_=round_):
                # The step's choices, enabled, while its panel says this round is open: the
                # page changes the buttons it shows in place when a round opens.
                said = " ".join(str(k.states[m]["state"].get("value", ""))
                                for m in k.with_class("bpttviz-step-reveal"))
                if "Vote open" not in said or f"(round {round_})" not in said:
                    return []
                return [m for m in k.with_class("bpttviz-step-choice") if shown_now(k, m)]

            await k.until(lambda: len(shown()) >= n_choices,
                          what=f"the choices of round {round_}")
            await asyncio.sleep(rng.uniform(*args.think_range))
            pick = f"bpttviz-step-choice-{rng.randint(1, n_choices)}"
            # That choice's button, still shown and enabled (the round still open).
            await k.until(lambda pick=pick: any(pick in _classes(k, m) for m in shown()),
                          what=f"the choices of round {round_}")
            button = [m for m in shown() if pick in _classes(k, m)][-1]
        else:
            def send_button():
                return [m for m in k.with_class("bpttviz-send-result") if shown_now(k, m)]

            await k.until(lambda: bool(send_button()), what="the Send my result button")
            await asyncio.sleep(rng.uniform(*args.think_range))
            button = send_button()[-1]
        msg = await k.click(button)
        rec["sent"][f"{kind} {round_}"] = True       # counted once sent
        await k.until(k.idle[msg].is_set, what="a button's answer")
        rec["done"] += 1


async def vote_student(i, base, t_start, args, pool, out, stop, todo):
    """``--votes``: one student on lesson 2 at its first guided step, moving the slider every
    ``--think`` s until ``stop``; with the class view, also does what ``todo`` asks."""
    from bpttviz.lessons import lesson_of_page

    n_choices = len(lesson_of_page(VOTES_LESSON).steps()[VOTES_STEP - 1].choices)
    rng = random.Random(1000 + i)
    await asyncio.sleep(max(0.0, t_start + args.arrivals[i] - time.monotonic()))
    rec = {"moves": [], "sent": {}, "done": 0, "client": None, "todo": todo, "error": None}
    out.append(rec)
    loop = asyncio.get_running_loop()
    actions = None
    try:
        landing = await loop.run_in_executor(pool, load_page, args.server, base, VOTES_LESSON,
                                             f"step={VOTES_STEP}")
        async with connected(landing) as k:
            slider = await k.open_widgets(f"bpttviz-control-{SLIDERS[VOTES_LESSON]}")
            if slider is None:
                raise RuntimeError("no slider in the page")
            model_id = slider[0]
            rec["client"] = k
            actions = asyncio.create_task(vote_actions(k, rng, args, todo, rec, n_choices))
            while not stop.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), rng.uniform(*args.think_range))
                if stop.is_set():
                    break
                if actions.done() and actions.exception() is not None:
                    raise actions.exception()
                # The page's model takes the value it sends (the server echoes nothing back).
                state = k.states[model_id]["state"]
                state["value"] = other_value(state, rng)
                at = time.monotonic() - t_start
                rec["moves"].append((at, await k.move(model_id, state["value"])))
            todo.put_nowait(None)
            await asyncio.wait_for(actions, STEP_TIMEOUT)
            await k.leave()
    except Exception as exc:            # a failure is a figure of the benchmark, not a crash
        rec["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        rec["client"] = None
        if actions is not None and not actions.done():
            actions.cancel()


def lecturer_post(base, path, body):
    """POST ``body`` to the class view's API with the lecturer's token; the reply's JSON."""
    req = urllib.request.Request(f"{base}/bpttviz/class/api/{path}", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Authorization": f"token {TOKEN}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def experiment_points(base):
    req = urllib.request.Request(
        f"{base}/bpttviz/class/api/experiment?lesson={VOTES_LESSON}",
        headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return len(json.loads(r.read())["points"])


def round_counts(base):
    """The pages counted in each round of the vote, round 1 first (the lecturer's summary)."""
    step = summary(base)["lessons"][VOTES_LESSON]["steps"][str(VOTES_STEP)]
    return [r["answered"] for r in step["rounds"]]


async def peer_instruction(base, t_start, args, pool, recs, log):
    """The lecturer: once the class is in, two rounds of a vote on step 1 (each closed once the
    summary counts the answers sent, or after :data:`VOTES_WAIT` s), then a class experiment
    until the points returned match the results sent. Returns what was sent per phase."""
    loop = asyncio.get_running_loop()
    limit = t_start + args.window + STEP_TIMEOUT + 30

    def settled(phase):
        return len(recs) == args.students and all(r["error"] or r["done"] > phase
                                                  for r in recs)

    while time.monotonic() < limit and not (
            len(recs) == args.students and all(r["error"] or r["client"] for r in recs)):
        await asyncio.sleep(0.5)

    def sent(key):
        return sum(1 for r in recs if r["sent"].get(key))

    async def ask(kind, round_, phase, count):
        t0 = time.monotonic()
        for r in recs:
            if r["client"] is not None and not r["error"]:
                r["todo"].put_nowait((kind, round_))
        if kind == "vote":
            await loop.run_in_executor(pool, lecturer_post, base, "vote",
                                       {"lesson": VOTES_LESSON, "step": VOTES_STEP, "open": True})
        else:
            await loop.run_in_executor(pool, lecturer_post, base, "experiment",
                                       {"lesson": VOTES_LESSON, "running": True})
        while not settled(phase) and time.monotonic() - t0 < STEP_TIMEOUT * 2:
            await asyncio.sleep(0.5)
        chose = time.monotonic()
        n = sent(f"{kind} {round_}")
        while time.monotonic() - chose < VOTES_WAIT:
            got = await loop.run_in_executor(pool, count)
            if got >= n:
                break
            await asyncio.sleep(0.5)
        log.append({"phase": f"{kind} {round_}" if round_ else kind, "sent": n,
                    "asked_at_s": round(t0 - t_start, 1),
                    "ended_at_s": round(time.monotonic() - t_start, 1),
                    "all_in_s": round(chose - t0, 1),
                    "counted_after_s": round(time.monotonic() - chose, 1)})
        print(f"# {log[-1]['phase']}: asked at {t0 - t_start:.1f} s, {n} sent within "
              f"{chose - t0:.1f} s, counted {time.monotonic() - chose:.1f} s later", flush=True)

    for phase, round_ in enumerate((1, 2)):
        if round_ == 2:
            await asyncio.sleep(DISCUSSION)

        def counted(round_=round_):
            return round_counts(base)[round_ - 1]

        await ask("vote", round_, phase, counted)
        await loop.run_in_executor(pool, lecturer_post, base, "vote",
                                   {"lesson": VOTES_LESSON, "step": VOTES_STEP, "open": False})
    await ask("result", None, 2, lambda: experiment_points(base))
    await loop.run_in_executor(pool, lecturer_post, base, "experiment",
                               {"lesson": VOTES_LESSON, "running": False})


async def votes_run_once(args, with_class):
    """``--votes``: one run, with the class view and the lecturer's script or without both."""
    from benchmarks.bench_classroom import cpu_seconds, serving

    run_args = argparse.Namespace(**vars(args))
    run_args.server_args = server_args(args, with_class)
    run_args.log = f"{args.log}.votes-{'class' if with_class else 'plain'}"
    run_args.all_lessons = [VOTES_LESSON]
    out = {}
    with serving(run_args) as (server, _):
        base = server.url
        recs, seen, log = [], {}, []
        todos = [asyncio.Queue() for _ in range(args.students)]
        pool = ThreadPoolExecutor(max_workers=args.students + 4)
        stop, stop_watch = asyncio.Event(), asyncio.Event()
        cpu0 = cpu_seconds(server.pid)
        t_start = time.monotonic()
        tasks = [asyncio.create_task(vote_student(i, base, t_start, args, pool, recs, stop,
                                                  todos[i]))
                 for i in range(args.students)]
        watcher = (asyncio.create_task(lecturer(base, stop_watch, pool, seen))
                   if with_class else None)
        samples = []
        sampler = asyncio.create_task(sample_cpu(server.pid, t_start, stop, samples))
        script = (asyncio.create_task(peer_instruction(base, t_start, args, pool, recs, log))
                  if with_class else None)
        await asyncio.sleep(max(0.0, t_start + args.duration - time.monotonic()))
        if script is not None:
            try:
                await script
            except Exception as exc:    # the lecturer's failure is a figure too
                out["lecturer_error"] = f"{type(exc).__name__}: {exc}"[:200]
                print(f"  the lecturer's script failed: {out['lecturer_error']}", flush=True)
        length = time.monotonic() - t_start
        stop.set()
        await sampler
        _, pending = await asyncio.wait(tasks, timeout=STEP_TIMEOUT + 30)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        cpu = cpu_seconds(server.pid) - cpu0
        if with_class:
            stop_watch.set()
            await watcher
            loop = asyncio.get_running_loop()
            counted = await loop.run_in_executor(pool, round_counts, base)
            points = await loop.run_in_executor(pool, experiment_points, base)
            out.update(rounds=[{"sent": sum(1 for r in recs if r["sent"].get(f"vote {n}")),
                                "counted": counted[n - 1] if n <= len(counted) else None}
                               for n in (1, 2)],
                       results_sent=sum(1 for r in recs if r["sent"].get("result None")),
                       points=points, phases=log)
        pool.shutdown(wait=False, cancel_futures=True)
    moves, errors = report_moves(recs, with_class, f" in {length:.0f} s", cpu)
    if with_class:
        for n, r in enumerate(out["rounds"], start=1):
            print(f"  round {n}: answers sent {r['sent']}, counted by the summary "
                  f"{r['counted']}", flush=True)
        print(f"  results sent {out['results_sent']}, points returned {out['points']}",
              flush=True)
    out.update(p95=pct(moves, 95), median=statistics.median(moves) if moves else None,
               moves=len(moves), failures=len(errors), cpu=round(cpu, 1),
               seconds=round(length, 1))
    out["timed_moves"] = [m for r in recs for m in r["moves"]]
    out["cpu_samples"] = samples
    return out


async def sample_cpu(pid, t_start, stop, samples, every=1.0):
    """Until ``stop``, every ``every`` s: ``(s since t_start, the server's CPU-s, this
    process's CPU-s)``. The simulated class runs on the server's machine: a stretch where the
    harness works harder takes CPU from the server too, and the stretches say both."""
    from benchmarks.bench_classroom import cpu_seconds

    while True:
        samples.append((time.monotonic() - t_start, cpu_seconds(pid), time.process_time()))
        if stop.is_set():
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def cpu_between(samples, start, end) -> tuple:
    """``(server, harness)`` CPU-s per second between ``start`` and ``end`` (s into the run),
    from the samples nearest those moments."""
    if len(samples) < 2:
        return float("nan"), float("nan")
    a = min(samples, key=lambda x: abs(x[0] - start))
    b = min(samples, key=lambda x: abs(x[0] - end))
    if b[0] <= a[0]:
        return float("nan"), float("nan")
    return (b[1] - a[1]) / (b[0] - a[0]), (b[2] - a[2]) / (b[0] - a[0])


def stretch_bounds(with_class) -> list:
    """``[(name, start, end), ...]`` in s into a run: the class arriving (until the lecturer's
    first round), the rounds and the experiment, and the rest, as the run with the class view
    had them; [] without its phases."""
    if not with_class.get("phases"):
        return []
    start = with_class["phases"][0]["asked_at_s"]
    end = with_class["phases"][-1]["ended_at_s"]
    return [("before the first round", 0.0, start),
            ("during the rounds and the experiment", start, end),
            ("after them", end, float("inf"))]


def stretches(plain, with_class):
    """Both runs' timed moves over the stretches of :func:`stretch_bounds`:
    ``[(name, plain latencies, latencies with the class view), ...]``."""
    return [(name, [lat for at, lat in plain["timed_moves"] if lo <= at < hi],
             [lat for at, lat in with_class["timed_moves"] if lo <= at < hi])
            for name, lo, hi in stretch_bounds(with_class)]


def print_stretches(parts, cpu=None):
    """Print the p95 of each stretch (:func:`stretches`) with and without the class view, and
    with ``cpu`` (``{name: ((server, harness) without, (server, harness) with)}``, CPU-s per
    s) what the server and the harness spent in it."""
    for name, p, q in parts:
        if not (p and q):
            print(f"  {name}: no moves in one of the runs", flush=True)
            continue
        a, b = pct(p, 95), pct(q, 95)
        print(f"  {name}: p95 {b:.3f} s with the class view ({len(q)} moves), {a:.3f} s "
              f"without ({len(p)}): {b / a if a else float('nan'):.2f}x", flush=True)
        if cpu and name in cpu:
            (sp, hp), (sc, hc) = cpu[name]
            print(f"    CPU-s per s: server {sc:.2f} with, {sp:.2f} without; the simulated "
                  f"class {hc:.2f} with, {hp:.2f} without", flush=True)


def stretch_cpu(plain, with_class) -> dict:
    """What :func:`print_stretches` takes as ``cpu`` for one pair of runs."""
    return {name: tuple(cpu_between(run["cpu_samples"], lo, min(hi, run["seconds"]))
                        for run in (plain, with_class))
            for name, lo, hi in stretch_bounds(with_class)}


async def votes_run(args):
    """``--votes``: the class without the class view and with it and the lecturer, ``--pairs``
    times, the order alternating (plain first, then the class view first, ...) so that a
    machine that slows down or speeds up during the benchmark weighs on both alike."""
    print(f"# {args.students} students on {VOTES_LESSON} at step {VOTES_STEP}, arriving within "
          f"{args.window:g} s, a move every {args.think} s for at least {args.duration:g} s; "
          f"with --class the lecturer runs two rounds of a vote on step {VOTES_STEP}, then a "
          f"class experiment; {args.pairs} pair{'s' if args.pairs > 1 else ''} of runs",
          flush=True)
    pairs, pooled, lost = [], {}, 0
    for k in range(args.pairs):
        runs = {}
        for with_class in ((False, True) if k % 2 == 0 else (True, False)):
            runs[with_class] = await votes_run_once(args, with_class)
        plain, with_class = runs[False], runs[True]
        ratio = with_class["p95"] / plain["p95"] if plain["p95"] else float("nan")
        print(f"pair {k + 1}: p95 with / without the class view {ratio:.3f}", flush=True)
        parts = stretches(plain, with_class)
        print_stretches(parts, stretch_cpu(plain, with_class))
        parts.append(("every move", [m for _, m in plain["timed_moves"]],
                      [m for _, m in with_class["timed_moves"]]))
        for name, p, q in parts:
            pooled.setdefault(name, ([], []))
            pooled[name][0].extend(p)
            pooled[name][1].extend(q)
        lost += sum(max(0, r["sent"] - (r["counted"] or 0)) for r in with_class["rounds"])
        lost += max(0, with_class["results_sent"] - with_class["points"])
        for run in (plain, with_class):
            del run["timed_moves"], run["cpu_samples"]
        pairs.append({"plain": plain, "class": with_class, "p95_ratio": round(ratio, 3)})
    every = pooled.pop("every move")
    ratio = pct(every[1], 95) / pct(every[0], 95)
    if args.pairs > 1:
        print(f"all {args.pairs} pairs: p95 {pct(every[1], 95):.3f} s with the class view "
              f"({len(every[1])} moves), {pct(every[0], 95):.3f} s without "
              f"({len(every[0])})", flush=True)
        print_stretches([(name, p, q) for name, (p, q) in pooled.items()])
    print(f"p95 with / without the class view: {ratio:.3f} (aim: at most 1.05); answers and "
          f"results sent but not counted: {lost}")
    print("RESULT " + json.dumps({"students": args.students, "pairs": pairs,
                                  "p95_ratio": round(ratio, 3), "not_counted": lost}))


def main(argv=None):
    parser = benchmark_parser(__doc__, quick="4 students for 20 s: checks the harness, "
                                             "measures nothing worth keeping")
    parser.add_argument("--students", type=int, default=60,
                        help=f"students (1..{MAX_STUDENTS})")
    parser.add_argument("--window", type=float, default=10.0,
                        help="arrival window: students arrive uniformly within it (s)")
    parser.add_argument("--think", default="2,5",
                        help="seconds between a student's slider moves, uniform in LOW,HIGH")
    parser.add_argument("--answer-every", type=int, default=3,
                        help="answer the step shown and go on after this many moves")
    parser.add_argument("--duration", type=float, default=120.0,
                        help=f"seconds from the first arrival until students stop (at most "
                             f"{MAX_DURATION})")
    parser.add_argument("--lessons", default=",".join(SLIDERS),
                        help=f"lessons the students open, in turn (from {', '.join(SLIDERS)})")
    parser.add_argument("--cold", action="store_true",
                        help="start the server without --students/--lessons (nothing prepared)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="bpttviz serve --workers N (N processes behind nginx)")
    parser.add_argument("--server", choices=("hall", "voila"), default="hall",
                        help="hall: bpttviz serve (default); voila: --program's, a kernel per "
                             "page")
    parser.add_argument("--program", metavar="CMD",
                        help="how to run bpttviz for the server, e.g. an older checkout's "
                             "'env PYTHONPATH=OLD .venv/bin/python -P -m bpttviz.cli'")
    parser.add_argument("--delivery", action="store_true",
                        help=f"one run with --class: each student through {DELIVERY_STEPS} "
                             f"guided steps of {DELIVERY_LESSON} while the class view is out "
                             "of service for a while (--outage); prints the answers clicked, "
                             "counted and stored")
    parser.add_argument("--outage", default="15,5", metavar="START,LENGTH",
                        help="with --delivery: the class view answers 503 from START s after "
                             "the first arrival, for LENGTH s (default 15,5)")
    parser.add_argument("--votes", action="store_true",
                        help=f"peer instruction: the students on {VOTES_LESSON} at step "
                             f"{VOTES_STEP} move the slider while the lecturer runs two rounds "
                             "of a vote on the step and a class experiment; prints the answers "
                             "and results sent and counted, and the slider p95 with and "
                             "without the class view")
    parser.add_argument("--pairs", type=int, default=1, metavar="N",
                        help="with --votes: N pairs of runs, without and with the class view, "
                             "in alternating order; the p95s are also given over every pair's "
                             "moves (1..5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the arrival times")
    parser.add_argument("--log", default="/tmp/bpttviz-bench-class-view.log",
                        help="where the servers' logs go (.plain and .class appended)")
    args = parser.parse_args(argv)
    if args.quick:
        args.students, args.duration, args.window = 4, 20.0, 2.0
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be in [1, {MAX_STUDENTS}]; got {args.students}")
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION}]; got {args.duration:g}")
    if args.answer_every < 1:
        parser.error(f"--answer-every must be >= 1; got {args.answer_every}")
    if args.server == "voila" and not args.program:
        parser.error("--server voila needs --program: an older checkout's bpttviz")
    args.think_range = range_option(parser, args.think, "--think")
    args.lesson_list = [x.strip() for x in args.lessons.split(",") if x.strip()]
    unknown = [x for x in args.lesson_list if x not in SLIDERS]
    if unknown or not args.lesson_list:
        parser.error(f"--lessons must name lessons from {', '.join(SLIDERS)}; got {unknown}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    args.arrivals = sorted(rng.uniform(0, args.window) for _ in range(args.students))
    # What bench_classroom's server takes: this class, on these lessons, started here.
    args.base_url, args.late_start = None, None
    args.class_size, args.all_lessons = args.students, args.lesson_list
    try:
        args.outage_range = tuple(float(x) for x in args.outage.split(","))
        assert len(args.outage_range) == 2 and args.outage_range[0] >= 0 < args.outage_range[1]
    except (ValueError, AssertionError):
        parser.error(f"--outage must be START,LENGTH seconds with START >= 0 and LENGTH > 0; "
                     f"got {args.outage!r}")
    if args.delivery and args.server != "hall":
        parser.error("--delivery measures the lecture hall (--server hall)")
    if args.pairs != 1 and not args.votes:
        parser.error(f"--pairs applies to --votes only; got --pairs {args.pairs}")
    if args.votes:
        if args.delivery:
            parser.error("--votes and --delivery are two benchmarks: give one of them")
        if args.server != "hall":
            parser.error("--votes measures the lecture hall (--server hall); got --server "
                         f"{args.server}")
        if not 1 <= args.pairs <= 5:
            parser.error(f"--pairs must be in [1, 5]; got {args.pairs}")
        if args.lessons != parser.get_default("lessons"):
            parser.error(f"--votes runs {VOTES_LESSON} only; --lessons does not apply "
                         f"(got {args.lessons!r})")
    with tempfile.TemporaryDirectory(prefix="bpttviz-bench-class-") as state:
        args.state_dir = state
        args.outage_file = Path(state) / "outage"
        asyncio.run(delivery_run(args) if args.delivery else
                    votes_run(args) if args.votes else run(args))


if __name__ == "__main__":
    main()
