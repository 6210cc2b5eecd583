"""The ``bpttviz`` command.

``bpttviz serve [--host 127.0.0.1] [--port 8866] [--notebooks DIR]`` serves
the lessons with Voila: sources stripped, tracebacks hidden, and idle kernels
culled (a closed tab does not end its kernel, voila#1458, so the culler is
what frees it). The lessons are installed with the package
(:func:`bpttviz.serve.lessons_dir`), so it works from any folder once bpttviz
is installed.

``bpttviz slides [--host ...] [--port ...] [--notebooks DIR]`` serves the
lessons as a lecture deck through Voila's reveal.js template: each lesson's
narrative as slides and its app live on a slide (:mod:`bpttviz.serve.slides`).

``bpttviz serve --students 30 --lessons 02_vanishing_exploding,03_truncated_bptt``
keeps that many kernels of those lessons started and executed before the
class arrives (:mod:`bpttviz.serve.pools`: how they are shared out and refilled),
and says how much memory they take.

Every lesson page is served with bpttviz's page template (Voila's ``lab``
page plus a watchdog: a lesson whose app does not appear says so and offers
to retry), and with the notebook executor's waits raised so that a busy
server is slow rather than broken (:mod:`bpttviz.serve.settings`).

``bpttviz lessons DIR`` copies the lesson notebooks to ``DIR`` for editing in
JupyterLab; ``bpttviz serve --notebooks DIR`` then serves the edited copies.

``bpttviz hub-config [--lesson NAME] [--try-locally] [-o FILE]`` writes a
JupyterHub configuration whose users land on a lesson in Voila
(:mod:`bpttviz.hub`).

This module parses the command line and dispatches; the work is done in
:mod:`bpttviz.serve` and :mod:`bpttviz.hub`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .hub import hub_config_text
from .serve import (class_pools, copy_lessons, lesson_names, lessons_dir, port_problem,
                    serve_lessons, serve_slides)

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
    pools = None
    if args.students is not None or args.lessons is not None:
        try:
            pools = class_pools(args.students, args.lessons, lesson_names(notebooks))
        except ValueError as exc:
            print(f"bpttviz serve: {exc}", file=sys.stderr)
            return 2
    if not _can_serve("serve", args):
        return 2
    serve_lessons(notebooks, host=args.host, port=args.port, open_browser=args.open,
                  pools=pools, extra=args.voila_arg)
    return 0


def _slides(args) -> int:
    notebooks = _notebooks("slides", args)
    if notebooks is None or not _can_serve("slides", args):
        return 2
    serve_slides(notebooks, host=args.host, port=args.port, open_browser=args.open)
    return 0


def _lessons(args) -> int:
    try:
        copies = copy_lessons(args.dir, overwrite=args.overwrite)
    except (FileExistsError, NotADirectoryError, PermissionError) as exc:
        print(f"bpttviz lessons: {exc}", file=sys.stderr)
        return 2
    print(f"Copied {len(copies)} notebooks to {Path(args.dir).resolve()}. Open them with "
          f"'jupyter lab {args.dir}', or serve them with "
          f"'bpttviz serve --notebooks {args.dir}'.")
    return 0


def _hub_config(args) -> int:
    try:
        text = hub_config_text(lesson=args.lesson, try_locally=args.try_locally,
                               host=args.host, port=args.port,
                               filename=Path(args.output).name if args.output
                               else "jupyterhub_config.py")
    except ValueError as exc:
        print(f"bpttviz hub-config: {exc}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_text(text)
        print(f"Wrote {args.output}; run 'jupyterhub -f {args.output}'.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _server_options(parser):
    """The options ``serve`` and ``slides`` share: where to listen, what to serve, a browser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    parser.add_argument("--notebooks", default=None,
                        help="directory of the lesson notebooks (default: the lessons shipped "
                             "with bpttviz)")
    parser.add_argument("--open", action="store_true", help="open a browser")


def main(argv=None) -> int:
    """Entry point of the ``bpttviz`` script."""
    parser = argparse.ArgumentParser(prog="bpttviz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the lessons with Voila")
    _server_options(serve)
    serve.add_argument("--students", type=int, default=None, metavar="N",
                       help="keep N kernels of the --lessons started and run before the class "
                            "arrives, shared out evenly between them (1 to 500)")
    serve.add_argument("--lessons", default=None, metavar="NAME,NAME",
                       help="the lessons to keep ready for --students, by notebook name, e.g. "
                            "02_vanishing_exploding,03_truncated_bptt")
    serve.add_argument("--voila-arg", action="append", default=[], metavar="ARG",
                       help="one more argument for Voila, e.g. "
                            "--voila-arg=--VoilaExecutor.iopub_timeout=300 (repeatable)")
    lessons = sub.add_parser("lessons", help="copy the lesson notebooks to a folder for editing")
    lessons.add_argument("dir", metavar="DIR", help="folder to copy them into (made if missing)")
    lessons.add_argument("--overwrite", action="store_true",
                         help="replace notebooks of the same name already in DIR")
    hub = sub.add_parser("hub-config",
                         help="write a JupyterHub configuration whose users land on the lessons")
    hub.add_argument("--lesson", default="index",
                     help="lesson users land on, a notebook stem (default index, which links "
                          "every lesson)")
    hub.add_argument("--try-locally", action="store_true",
                     help="INSECURE, for one machine: any name and password log in, servers "
                          "run as the hub's account")
    hub.add_argument("--host", default="127.0.0.1", help="address the hub binds (default "
                                                          "127.0.0.1)")
    hub.add_argument("--port", type=int, default=8000, help="port of the hub (default 8000)")
    hub.add_argument("-o", "--output", default=None,
                     help="file to write (default: print it)")
    slides = sub.add_parser("slides", help="serve the lessons as a lecture deck (reveal.js)")
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
