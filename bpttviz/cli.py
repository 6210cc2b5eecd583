"""The ``bpttviz`` command.

``bpttviz serve [--host 127.0.0.1] [--port 8866] [--notebooks DIR]`` serves
the lessons as a lecture hall (:mod:`bpttviz.serve.hall`): every student's page
in the server's process, no kernel per student; ``--workers N`` runs N such
processes behind nginx. The lessons are installed with the package
(:func:`bpttviz.serve.lessons_dir`), so it works from any folder once bpttviz
is installed.

``bpttviz slides [--host ...] [--port ...] [--notebooks DIR]`` serves the
lessons as a lecture deck through Voila's reveal.js template: each lesson's
narrative as slides and its app live on a slide (:mod:`bpttviz.serve.slides`).

``bpttviz serve --students 30 --lessons 02_vanishing_exploding,03_truncated_bptt``
prepares those lessons before it says it is ready (``--lessons`` is checked
against the lessons served), and says how much memory a class takes.
``--max-students N`` bounds the lesson pages open at once (by default, what the
memory available holds): past it a new page says the class is full. A page
whose app does not appear, or whose session ends, says so and offers Retry.

``bpttviz lessons DIR`` copies the lesson notebooks to ``DIR`` for editing in
JupyterLab; ``bpttviz serve --notebooks DIR`` then serves the edited copies.
``--keep-existing`` copies only the notebooks ``DIR`` lacks (``make lab``).

``bpttviz hub-config [--lesson NAME] [--try-locally] [-o FILE]`` writes a
JupyterHub configuration whose users land on a lesson in Voila
(:mod:`bpttviz.hub`).

This module parses the command line and dispatches; the work is done in
:mod:`bpttviz.serve` and :mod:`bpttviz.hub`. What ``--help`` prints is plain
text, each command's with examples (:data:`DESCRIPTIONS`, :data:`EXAMPLES`).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from .hub import hub_config_text
from .serve import (class_size, copy_lessons, lesson_names, lessons_dir, parse_lessons,
                    port_problem, serve_lessons, serve_slides)
from .serve.classview import class_options

__all__ = ["main"]


def _notebooks(command, args):
    """The folder of notebooks ``bpttviz <command>`` serves, or None after saying why not."""
    notebooks = Path(args.notebooks) if args.notebooks else lessons_dir()
    if notebooks.is_dir() and any(notebooks.glob("*.ipynb")):
        return notebooks
    print(f"bpttviz {command}: no notebooks directory at {notebooks} (a folder of .ipynb "
          f"files); give one with --notebooks DIR.", file=sys.stderr)
    return None


def _can_serve(command, args) -> bool:
    """Whether Voila is installed and the port free, after saying in one line why not."""
    try:
        import voila.app  # noqa: F401
    except ImportError:
        print(f"bpttviz {command} needs Voila: pip install 'bpttviz[app]'.", file=sys.stderr)
        return False
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"bpttviz {command}: {problem}", file=sys.stderr)
        return False
    return True


def _serve(args) -> int:
    notebooks = _notebooks("serve", args)
    if notebooks is None:
        return 2
    students = None
    if args.students is not None or args.lessons is not None:
        try:
            students = class_size(args.students, args.lessons, lesson_names(notebooks))
        except ValueError as exc:
            print(f"bpttviz serve: {exc}", file=sys.stderr)
            return 2
    if args.max_students is not None and not 0 <= args.max_students <= 10_000:
        print(f"bpttviz serve: The '--max-students' option must be a whole number in the range "
              f"[0, 10000] (0: no limit). Got {args.max_students} instead.", file=sys.stderr)
        return 2
    class_view = None
    if args.class_view:
        try:
            class_view = class_options(args.class_token, args.state_dir, args.new_class)
        except ValueError as exc:
            print(f"bpttviz serve: {exc}", file=sys.stderr)
            return 2
    elif args.class_token or args.state_dir or args.new_class:
        print("bpttviz serve: --class-token, --state-dir and --new-class go with --class.",
              file=sys.stderr)
        return 2
    if not 1 <= args.workers <= 64:
        print(f"bpttviz serve: The '--workers' option must be a whole number in the range "
              f"[1, 64]. Got {args.workers} instead.", file=sys.stderr)
        return 2
    if args.voila_arg:
        print("bpttviz serve: --voila-arg is ignored: bpttviz serve no longer runs Voila "
              "(serve a folder of notebooks with 'voila DIR' to give Voila arguments).",
              file=sys.stderr)
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"bpttviz serve: {problem}", file=sys.stderr)
        return 2
    lessons = parse_lessons(args.lessons, lesson_names(notebooks)) if args.lessons else None
    status = serve_lessons(notebooks, host=args.host, port=args.port, open_browser=args.open,
                           students=students, lessons=lessons, max_students=args.max_students,
                           class_view=class_view, workers=args.workers)
    return status or 0


def _slides(args) -> int:
    notebooks = _notebooks("slides", args)
    if notebooks is None or not _can_serve("slides", args):
        return 2
    serve_slides(notebooks, host=args.host, port=args.port, open_browser=args.open)
    return 0


def _lessons(args) -> int:
    try:
        copies = copy_lessons(args.dir, overwrite=args.overwrite,
                              keep_existing=args.keep_existing)
    except (FileExistsError, NotADirectoryError, PermissionError) as exc:
        print(f"bpttviz lessons: {exc}", file=sys.stderr)
        return 2
    kept = len(list(lessons_dir().glob("*.ipynb"))) - len(copies)
    kept = f" (kept {kept} already there as they were)" if kept else ""
    print(f"Copied {len(copies)} notebooks to {Path(args.dir).resolve()}{kept}. Open them with "
          f"'jupyter lab {args.dir}', or serve them with "
          f"'bpttviz serve --notebooks {args.dir}'.")
    return 0


def _hub_config(args) -> int:
    try:
        if args.class_view != bool(args.teacher):
            raise ValueError("--class and --teacher NAME go together: the class view needs a "
                             "teacher, and a teacher is for the class view.")
        text = hub_config_text(lesson=args.lesson, try_locally=args.try_locally,
                               host=args.host, port=args.port,
                               filename=Path(args.output).name if args.output
                               else "jupyterhub_config.py",
                               teachers=args.teacher or ())
    except ValueError as exc:
        print(f"bpttviz hub-config: {exc}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_text(text)
        print(f"Wrote {args.output}; run 'jupyterhub -f {args.output}'.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def port(text: str) -> int:
    """The argparse type of a TCP port: a whole number from 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port, a whole number from 1 to 65535. "
                                         f"Got {text!r} instead.")
    return value


#: What ``bpttviz [COMMAND] --help`` says above the options: plain text, as printed.
DESCRIPTIONS = {
    "bpttviz": """\
See backpropagation through time work and fail: lessons in which you move k1,
k2, the sequence length or the weights and watch gradients vanish, explode and
get cut off, each a web page whose controls run an exact NumPy engine live,
served with Voila.""",
    "serve": """\
Serve the lessons, a web page each, linked from the landing page
http://HOST:PORT/voila/render/index.ipynb. Every student's page lives in the
server's process (no kernel per student): plan for about 10 MB of memory per
student. Errors show as messages in the page; a closed tab's page is freed
within a minute.

For a class, --students N prepares the lessons (--lessons: those named) before
the server says "ready for N students". At most --max-students pages are open
at once (by default what the memory holds, stated at start-up); past it a new
page says the class is full. --workers N runs N server processes behind nginx
(one per core of the machine: a page's work is Python, one core per process).""",
    "slides": """\
Serve the lessons as reveal.js lecture decks through Voila: each lesson's
narrative cut into slides at its headings, its app live on a slide of its own.
The arrow keys turn the slides.""",
    "lessons": """\
Copy the lesson notebooks into a folder, to edit them in JupyterLab and serve
the edited copies. A notebook already in the folder is never replaced unless
--overwrite is given.""",
    "hub-config": """\
Write a JupyterHub configuration (a jupyterhub_config.py) whose users land on
the lessons in Voila, each user in a Jupyter server of their own. How to run it
and what a larger deployment needs: docs/jupyterhub.md in bpttviz's repository.""",
}

#: The examples ``--help`` prints under the options, each with what it does.
EXAMPLES = {
    "bpttviz": """\
examples:
  bpttviz serve
      the lessons at http://127.0.0.1:8866/voila/render/index.ipynb
  bpttviz serve --host 0.0.0.0 --students 200 --workers 2
      a lecture hall: 200 students, two server processes
  bpttviz lessons my-lessons
      copy the notebooks into my-lessons/ to edit them in JupyterLab
  bpttviz slides
      the lessons as lecture decks

'bpttviz COMMAND --help' describes a command and its options.""",
    "serve": """\
examples:
  bpttviz serve
      the lessons at http://127.0.0.1:8866/voila/render/index.ipynb
  bpttviz serve --host 0.0.0.0 --port 8866 --students 30 \\
      --lessons 02_vanishing_exploding,03_truncated_bptt
      a class of 30 on two lessons, prepared before it arrives
  bpttviz serve --students 30 --max-students 40
      a 41st page at once says the class is full
  bpttviz serve --host 0.0.0.0 --workers 2
      two server processes behind nginx (Debian's package), one per core
  bpttviz serve --notebooks my-lessons
      copies made with 'bpttviz lessons my-lessons', edited
  bpttviz serve --host 0.0.0.0 --students 30 --class
      a class with the class view: open the 'Class view:' link it prints; a restart
      continues the class (its answers, pace and reveals)
  bpttviz serve --host 0.0.0.0 --students 30 --class --new-class
      the next class: no pace, no reveals (the last class's answers kept for export)

{lessons}""",
    "slides": """\
examples:
  bpttviz slides
      the decks at http://127.0.0.1:8866/voila/render/index.ipynb
  bpttviz slides --host 0.0.0.0 --port 8867 --notebooks my-lessons
      decks cut from your edited copies, for the room's network""",
    "lessons": """\
examples:
  bpttviz lessons my-lessons
      copy them into my-lessons/ (made if missing), then:
  jupyter lab my-lessons
      edit and run them in JupyterLab
  bpttviz serve --notebooks my-lessons
      serve the edited copies""",
    "hub-config": """\
examples:
  bpttviz hub-config -o jupyterhub_config.py
      system accounts log in; then run: jupyterhub -f jupyterhub_config.py
  bpttviz hub-config --try-locally --lesson 03_truncated_bptt -o try_hub.py
      INSECURE, one machine: any name and password log in, landing on lesson 3
  bpttviz hub-config --class --teacher ada -o jupyterhub_config.py
      with the class view, opened by ada at /services/bpttviz-class/""",
}


def _parser(parent, name, help=None):
    """A parser for ``bpttviz`` (``parent`` None) or its command ``name``, with its text."""
    epilog = EXAMPLES[name]
    if "{lessons}" in epilog:
        epilog = epilog.replace("{lessons}", textwrap.fill(
            "lessons shipped: " + ", ".join(lesson_names()), width=79, subsequent_indent="  ",
            break_on_hyphens=False))
    options = dict(description=DESCRIPTIONS[name], epilog=epilog,
                   formatter_class=argparse.RawDescriptionHelpFormatter)
    if parent is None:
        return argparse.ArgumentParser(prog=name, **options)
    return parent.add_parser(name, help=help, **options)


def _server_options(parser):
    """The options ``serve`` and ``slides`` share: where to listen, what to serve, a browser."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only; "
                             "0.0.0.0 for every network it is on)")
    parser.add_argument("--port", type=port, default=8866, help="port, 1 to 65535 (default 8866)")
    parser.add_argument("--notebooks", default=None, metavar="DIR",
                        help="folder of the lesson notebooks (default: the lessons shipped "
                             "with bpttviz)")
    parser.add_argument("--open", action="store_true", help="open a browser")


def main(argv=None) -> int:
    """Entry point of the ``bpttviz`` script."""
    parser = _parser(None, "bpttviz")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = _parser(sub, "serve", help="serve the lessons, a lecture hall of them")
    _server_options(serve)
    serve.add_argument("--students", type=int, default=None, metavar="N",
                       help="prepare for N students (1 to 500): the lessons computed before "
                            "the server says it is ready")
    serve.add_argument("--lessons", default=None, metavar="NAME,NAME",
                       help="the lessons the class will open, by notebook name, e.g. "
                            "02_vanishing_exploding,03_truncated_bptt, checked against those "
                            "served (with --students; a student may open any lesson)")
    serve.add_argument("--max-students", type=int, default=None, metavar="N",
                       help="at most N lesson pages at once; past it a new page says the class "
                            "is full and retries (default: what the memory available holds; "
                            "0: no limit)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="server processes (1 to 64, default 1): with more than one, nginx "
                            "spreads the pages over them and the class view runs beside them")
    serve.add_argument("--class", dest="class_view", action="store_true",
                       help="the class view: the lecturer's page of the class's answers to the "
                            "guided steps, with pacing and reveal; its address (with a token) "
                            "is printed at start")
    serve.add_argument("--class-token", default=None, metavar="TOKEN",
                       help="the token of the lecturer's page (default: $BPTTVIZ_CLASS_TOKEN, "
                            "else a fresh random one each start)")
    serve.add_argument("--state-dir", default=None, metavar="DIR",
                       help="folder of the class view's answers (default "
                            "$XDG_DATA_HOME/bpttviz, else ~/.local/share/bpttviz)")
    serve.add_argument("--new-class", action="store_true",
                       help="with --class: start a new class, the pace and reveals of the last "
                            "one cleared (its answers stay for export until cleared on the "
                            "lecturer's page); without it a restart continues the class, unless "
                            "no page was open and nothing was paced or revealed for an hour")
    serve.add_argument("--voila-arg", action="append", default=[], metavar="ARG",
                       help="ignored: bpttviz serve no longer runs Voila (serve a folder of "
                            "notebooks with Voila's own 'voila DIR' to give it arguments)")
    lessons = _parser(sub, "lessons", help="copy the lesson notebooks to a folder for editing")
    lessons.add_argument("dir", metavar="DIR", help="folder to copy them into (made if missing)")
    existing = lessons.add_mutually_exclusive_group()
    existing.add_argument("--overwrite", action="store_true",
                          help="replace notebooks of the same name already in DIR")
    existing.add_argument("--keep-existing", action="store_true",
                          help="copy only the notebooks DIR lacks and keep those already there "
                               "as they are (what 'make lab' does)")
    hub = _parser(sub, "hub-config",
                  help="write a JupyterHub configuration whose users land on the lessons")
    hub.add_argument("--lesson", default="index",
                     help="lesson users land on, a notebook name (default index, which links "
                          "every lesson)")
    hub.add_argument("--try-locally", action="store_true",
                     help="INSECURE, for one machine: any name and password log in, servers "
                          "run as the hub's account")
    hub.add_argument("--host", default="127.0.0.1", help="address the hub listens on (default "
                                                          "127.0.0.1)")
    hub.add_argument("--port", type=port, default=8000, help="port of the hub, 1 to 65535 "
                                                             "(default 8000)")
    hub.add_argument("--class", dest="class_view", action="store_true",
                     help="also run the class view as a hub service (with --teacher)")
    hub.add_argument("--teacher", action="append", default=[], metavar="NAME",
                     help="a hub user who may open the class view, besides admins "
                          "(repeatable)")
    hub.add_argument("-o", "--output", default=None, metavar="FILE",
                     help="file to write (default: print it)")
    slides = _parser(sub, "slides", help="serve the lessons as lecture decks (reveal.js)")
    _server_options(slides)
    args = parser.parse_args(argv)
    if args.command == "hub-config":
        return _hub_config(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "lessons":
        return _lessons(args)
    if args.command == "slides":
        return _slides(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
