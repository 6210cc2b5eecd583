"""The ``bpttviz`` command.

``bpttviz serve [--host 127.0.0.1] [--port 8866] [--notebooks DIR]`` serves
the lessons with Voila: sources stripped, tracebacks hidden, and idle kernels
culled (a closed tab does not end its kernel, voila#1458, so the culler is
what frees it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "voila_argv", "default_notebooks"]

#: Check for idle kernels every minute; end those idle for two minutes with no tab connected.
CULL_INTERVAL = 60
CULL_IDLE_TIMEOUT = 120


def default_notebooks() -> Path:
    """``notebooks/`` of the current directory, else the one beside the package (a checkout)."""
    here = Path.cwd() / "notebooks"
    if (here / "index.ipynb").exists():
        return here
    return Path(__file__).resolve().parent.parent / "notebooks"


def voila_argv(notebooks, host="127.0.0.1", port=8866, open_browser=False) -> list:
    """Voila's command-line arguments for serving the lessons in ``notebooks``."""
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
    ]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def _serve(args) -> int:
    notebooks = Path(args.notebooks) if args.notebooks else default_notebooks()
    if not notebooks.is_dir():
        print(f"bpttviz serve: no notebooks directory at {notebooks}; give one with "
              f"--notebooks DIR.", file=sys.stderr)
        return 2
    try:
        from voila.app import Voila
    except ImportError:
        print("bpttviz serve needs Voila: pip install 'bpttviz[app]'.", file=sys.stderr)
        return 2
    print(f"Serving the lessons in {notebooks} at "
          f"http://{args.host}:{args.port}/voila/render/index.ipynb", flush=True)
    Voila.launch_instance(argv=voila_argv(notebooks, args.host, args.port, args.open))
    return 0


def main(argv=None) -> int:
    """Entry point of the ``bpttviz`` script."""
    parser = argparse.ArgumentParser(prog="bpttviz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the lessons with Voila")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    serve.add_argument("--notebooks", default=None,
                       help="directory of the lesson notebooks (default: ./notebooks)")
    serve.add_argument("--open", action="store_true", help="open a browser")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
