"""``python -m bpttviz.serve.hall``: one worker of ``bpttviz serve --workers N``.

A lecture-hall process on a port of 127.0.0.1, behind nginx (:mod:`.workers`); its pages
report to the class view that the environment names, if any.
"""

from __future__ import annotations

import argparse

from . import serve_hall


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bpttviz.serve.hall",
                                     description="One worker of bpttviz serve --workers N.")
    parser.add_argument("--notebooks", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-students", type=int, default=0, help="0: no limit")
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--lessons", default=None, help="page names, comma-separated")
    args = parser.parse_args(argv)
    lessons = [x for x in (args.lessons or "").split(",") if x] or None
    serve_hall(args.notebooks, host=args.host, port=args.port,
               max_students=args.max_students or None, students=args.students,
               lessons=lessons)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
