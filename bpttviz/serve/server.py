"""Serving the lessons in this process until stopped: the lecture hall, and Voila for the slides.

``bpttviz serve`` checks its port first (:func:`port_problem`), so that a busy port is
one clear line rather than a traceback, then calls :func:`serve_lessons`: the lecture-hall
server (:mod:`bpttviz.serve.hall`), every student's page in this process, the class view
beside them. ``bpttviz slides`` still runs Voila (its reveal.js template) through
:func:`launch_voila`, with a console that shows only what a lecturer can act on.
"""

from __future__ import annotations

import errno
import logging
import os
import socket


__all__ = ["port_problem", "serve_lessons", "launch_voila"]

#: jupyter_server's contents manager logs this (its format string, verbatim) for every notebook
#: it reads whose signature the user's notebook-trust database lacks.
UNTRUSTED = "Notebook %s is not trusted"


class _WithoutTrustWarnings(logging.Filter):
    """Drop the contents manager's "Notebook ... is not trusted" warning, and nothing else.

    Trust decides only whether JupyterLab shows a notebook's stored HTML and JavaScript
    outputs; Voila runs and shows the notebooks it serves whatever their trust, and the
    lessons are committed without outputs. The lessons installed with bpttviz (or a
    lecturer's copies) are not in the lecturer's trust database, so the warning came once
    per page served and asked for nothing a lecturer should do; signing them would write to
    that database, in the user's home, for no gain.
    """

    def filter(self, record):
        return record.msg != UNTRUSTED


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


def serve_lessons(notebooks, *, host="127.0.0.1", port=8866, open_browser=False, students=None,
                  lessons=None, max_students=None, class_view=None, workers=1) -> int:
    """Serve the lessons in the folder ``notebooks`` until stopped (the lecture hall).

    ``students`` (with ``lessons``, the lessons they will open; None: all) are prepared for
    before the server says it is ready; at most ``max_students`` lesson pages are open at
    once (None: as many as the memory available holds,
    :func:`bpttviz.serve.hall.capacity.default_max_students`; 0: no limit).
    ``class_view``, a :class:`bpttviz.serve.classview.ClassOptions`, adds the class view.
    ``workers`` > 1: that many server processes behind nginx (:mod:`bpttviz.serve.hall.workers`).
    Returns the exit status.
    """
    from .hall import serve_hall
    from .hall.capacity import available_memory_mb, capacity_note, default_max_students

    print(f"Serving the lessons in {notebooks} at "
          f"http://{host}:{port}/voila/render/index.ipynb", flush=True)
    available = available_memory_mb()
    default = max_students is None
    if default:
        max_students = default_max_students(available, workers)
    print(capacity_note(students, max_students or None, available, default), flush=True)
    if class_view is not None:
        # A restart in the middle of a class, or a new class: said before anyone comes.
        print(class_view.begin(notebooks), flush=True)
    if workers > 1:
        from .hall.workers import serve_workers

        return serve_workers(notebooks, host=host, port=port, workers=workers,
                             max_students=max_students, class_options=class_view,
                             students=students, lessons=lessons)
    view = None
    if class_view is not None:
        view, page_env = class_view.start(notebooks, host, port)
        # The pages, in this process, report to the class view with this environment.
        os.environ.update(page_env)
        print(f"Class view: {class_view.url(host, port)}", flush=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(2.0, webbrowser.open,
                        [f"http://{host}:{port}/voila/render/index.ipynb"]).start()
    serve_hall(notebooks, host=host, port=port, max_students=max_students or None,
               class_view=view, students=students, lessons=lessons)
    return 0


def launch_voila(argv, config=None) -> None:
    """Run Voila with ``argv`` and ``config`` (a ``traitlets.config.Config``) until it is
    stopped, as ``Voila.launch_instance`` does, its log without the trust warning
    (``bpttviz slides``)."""
    from voila.app import Voila

    from ..upstream.nbconvert_templates import share_compiled_templates

    share_compiled_templates()        # each page's templates compiled once, not per page
    app = Voila.instance(config=config)
    app.initialize(argv)
    # The contents manager logs through the application's logger (its parent's).
    app.log.addFilter(_WithoutTrustWarnings())
    app.start()
