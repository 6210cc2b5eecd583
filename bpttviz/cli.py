"""The ``bpttviz`` command.

``bpttviz serve [--host 127.0.0.1] [--port 8866] [--notebooks DIR]`` serves
the lessons with Voila: sources stripped, tracebacks hidden, and idle kernels
culled (a closed tab does not end its kernel, voila#1458, so the culler is
what frees it). The lessons are installed with the package (:func:`lessons_dir`),
so it works from any folder once bpttviz is installed.

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
server is slow rather than broken (:data:`EXECUTOR_TIMEOUTS`).

``bpttviz lessons DIR`` copies the lesson notebooks to ``DIR`` for editing in
JupyterLab; ``bpttviz serve --notebooks DIR`` then serves the edited copies.

``bpttviz hub-config [--lesson NAME] [--try-locally] [-o FILE]`` writes a
JupyterHub configuration whose users land on a lesson in Voila
(:mod:`bpttviz.hub`).
"""

from __future__ import annotations

import argparse
import errno
import importlib.resources
import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

__all__ = ["main", "voila_argv", "lessons_dir", "default_notebooks", "copy_lessons",
           "port_problem", "slides_argv", "slides_config", "lesson_names", "EXECUTOR_TIMEOUTS"]

#: Check for idle kernels every half minute; end those idle for two minutes with no tab
#: connected (all side by side: :mod:`bpttviz.serve.pools`), so a closed tab's kernel ends within
#: three minutes.
CULL_INTERVAL = 30
CULL_IDLE_TIMEOUT = 120
#: Waits of Voila's notebook executor (nbclient), in seconds. nbclient's default wait for a
#: cell's output after its reply is 4 s: on a server busy starting thirty kernels it runs
#: out, and the page comes without its app. A cell's own run is not limited (``timeout``
#: stays None): under preheating the last cell waits for its page to be asked for.
EXECUTOR_TIMEOUTS = {"iopub_timeout": 120, "startup_timeout": 180}


def lessons_dir() -> Path:
    """The folder of the lesson notebooks installed with bpttviz (the package
    ``bpttviz.notebooks``; in a checkout, the repository's ``notebooks/``)."""
    return Path(importlib.resources.files("bpttviz.notebooks"))


def default_notebooks() -> Path:
    """The lessons ``bpttviz serve`` serves when not told: those shipped in the package."""
    return lessons_dir()


def copy_lessons(dest, *, overwrite: bool = False) -> list:
    """Copy the lesson notebooks into the folder ``dest`` (made if missing); return the copies.

    Raises ``FileExistsError`` naming the notebooks already there unless
    ``overwrite`` is true: an edited lesson is never replaced silently.
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"The 'DIR' of bpttviz lessons must be a folder. "
                                 f"Got the file {dest} instead.")
    sources = sorted(lessons_dir().glob("*.ipynb"))
    clashes = [p.name for p in sources if (dest / p.name).exists()]
    if clashes and not overwrite:
        raise FileExistsError(f"{dest} already holds {', '.join(clashes)}; nothing was copied. "
                              f"Choose another folder or pass --overwrite.")
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, dest / p.name)) for p in sources]


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served (in one sentence), or None if it can be bound now."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"the address {host!r} cannot be resolved ({exc.strerror})."
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as Tornado binds
        try:
            s.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use (another server, or "
                        f"bpttviz serve still running?); choose another with --port.")
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}."
    return None


def lesson_names(notebooks) -> list:
    """The lessons in the folder ``notebooks``: notebook stems, the landing page left out."""
    return sorted(p.stem for p in Path(notebooks).glob("*.ipynb") if p.stem != "index")


def voila_argv(notebooks, host="127.0.0.1", port=8866, open_browser=False, pools=None,
               extra=()) -> list:
    """Voila's command-line arguments for serving the lessons in ``notebooks``.

    ``pools`` maps lesson names to the kernels to keep ready for each
    (:func:`bpttviz.serve.pools.split_students`); ``extra`` are more Voila arguments, last.
    """
    from .serve.pools import TEMPLATE, pool_config

    argv = [
        str(notebooks),
        f"--Voila.ip={host}",
        f"--port={int(port)}",
        "--Voila.port_retries=0",            # a busy port is an error, not a silent move
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        "--MappingKernelManager.cull_connected=False",
        f"--template={TEMPLATE}",
    ]
    argv += [f"--VoilaExecutor.{k}={v}" for k, v in EXECUTOR_TIMEOUTS.items()]
    if os.name == "posix":
        # Kernels talk over Unix sockets, not TCP ports: measured, two of sixty kernels
        # started at once drew the same free port and one died (its page hung).
        argv.append("--KernelManager.transport=ipc")
    if pools:
        argv += ["--preheat_kernel=True",
                 f"--VoilaKernelManager.kernel_pools_config={json.dumps(pool_config(pools))}"]
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra)


def _notebooks(command, args):
    """The folder of notebooks ``bpttviz <command>`` serves, or None after saying why not."""
    notebooks = Path(args.notebooks) if args.notebooks else default_notebooks()
    if notebooks.is_dir() and any(notebooks.glob("*.ipynb")):
        return notebooks
    print(f"bpttviz {command}: no notebooks directory at {notebooks} (a folder of .ipynb "
          f"files); give one with --notebooks DIR.", file=sys.stderr)
    return None


def _voila(command, args):
    """Voila's application class, or None after saying in one line why it cannot serve."""
    try:
        from voila.app import Voila
    except ImportError:
        print(f"bpttviz {command} needs Voila: pip install 'bpttviz[app]'.", file=sys.stderr)
        return None
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"bpttviz {command}: {problem}", file=sys.stderr)
        return None
    return Voila


def _serve(args) -> int:
    notebooks = _notebooks("serve", args)
    if notebooks is None:
        return 2
    from .serve.pools import install_kernel_managers, parse_lessons, pool_memory_note, \
        split_students, template_root

    pools = None
    if args.students is not None or args.lessons is not None:
        try:
            lessons = parse_lessons(args.lessons or "", lesson_names(notebooks))
            if args.students is None:
                raise ValueError("The '--lessons' option of bpttviz serve needs '--students N' "
                                 "too: how many kernels to keep ready.")
            pools = split_students(args.students, lessons)
        except ValueError as exc:
            print(f"bpttviz serve: {exc}", file=sys.stderr)
            return 2
    Voila = _voila("serve", args)
    if Voila is None:
        return 2
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(template_root())] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
                                  if p])
    print(f"Serving the lessons in {notebooks} at "
          f"http://{args.host}:{args.port}/voila/render/index.ipynb", flush=True)
    install_kernel_managers()
    if pools:
        print(pool_memory_note(pools), flush=True)
    Voila.launch_instance(argv=voila_argv(notebooks, args.host, args.port, args.open, pools,
                                          args.voila_arg))
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
    from .hub import hub_config_text

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


def slides_argv(decks, host="127.0.0.1", port=8866, open_browser=False) -> list:
    """Voila's command-line arguments for serving the decks in ``decks`` as reveal.js slides."""
    lessons_page = voila_argv(decks, host, port, open_browser)
    return [a for a in lessons_page if not a.startswith("--template=")] + ["--template=reveal"]


def slides_config():
    """Voila's configuration of the deck: reveal.js's slide size and style sheets, no transition.

    No ``scroll``: Voila's reveal.js set-up scrolls a tall slide with jQuery, which nbconvert's
    template loads from a CDN (slides are cut short enough instead, see :mod:`bpttviz.serve.slides`).

    Given as a configuration object: Voila's command line cannot set a nested dictionary.
    """
    from traitlets.config import Config

    from .serve.slides import ASSETS, DECK_HEIGHT, DECK_WIDTH, THEME
    config = Config()
    config.VoilaConfiguration.resources = {"reveal": {
        "width": DECK_WIDTH, "height": DECK_HEIGHT, "transition": "none",
        "url_prefix": f"/voila/files/{ASSETS}", "theme": THEME}}
    # Voila serves the decks' folder's files it is allowed to: its images, and the style sheets.
    config.VoilaConfiguration.file_allowlist = [r".*\.(png|jpg|gif|svg)", ASSETS + r"/.*\.css"]
    return config


def _slides(args) -> int:
    from .serve.slides import build_decks
    notebooks = _notebooks("slides", args)
    Voila = None if notebooks is None else _voila("slides", args)
    if Voila is None:
        return 2
    with tempfile.TemporaryDirectory(prefix="bpttviz-slides-") as decks:
        build_decks(notebooks, decks)
        print(f"Serving the lessons in {notebooks} as slides at "
              f"http://{args.host}:{args.port}/voila/render/index.ipynb (arrow keys turn the "
              f"slides)", flush=True)
        Voila.launch_instance(argv=slides_argv(decks, args.host, args.port, args.open),
                              config=slides_config())
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
