"""One Voila server of the lessons, run in this process until it is stopped.

``bpttviz serve`` checks its port first (:func:`port_problem`), so that a busy
port is one clear line rather than Voila's traceback, then calls
:func:`serve_lessons`: the page template put on Voila's path, the kernel
managers of :mod:`bpttviz.serve.pools` installed, the settings of
:mod:`bpttviz.serve.settings` given. :func:`launch_voila` runs Voila for it and
for ``bpttviz slides``, with a console that shows only what a lecturer can act on.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

from .pools import available_memory_mb, default_max_students, pool_memory_note
from .settings import template_root, voila_argv, voila_config
from .warm import install_kernel_managers

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
                  max_students=None, extra=(), class_view=None) -> None:
    """Serve the lessons in the folder ``notebooks`` with Voila until it is stopped.

    ``students`` kernels are kept warm for the class (:mod:`bpttviz.serve.warm`); at most
    ``max_students`` lesson pages have a kernel at once (None: as many as the memory
    available holds, :func:`bpttviz.serve.pools.default_max_students`; 0: no limit).
    ``extra`` are more Voila arguments. ``class_view``, a
    :class:`bpttviz.serve.classview.ClassOptions`, adds the class view.
    """
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(template_root())] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
                                  if p])
    # A lesson page shows each widget once: ipywidgets' echo of every change back to the page
    # (kept in step with other views of the same widget, as JupyterLab may have) would be one
    # more message per slider move, to no one. The kernels inherit this environment.
    os.environ.setdefault("JUPYTER_WIDGETS_ECHO", "0")
    print(f"Serving the lessons in {notebooks} at "
          f"http://{host}:{port}/voila/render/index.ipynb", flush=True)
    available = available_memory_mb()
    default = max_students is None
    if default:
        max_students = default_max_students(available, students or 0)
    print(pool_memory_note(students, max_students or None, available, default), flush=True)
    handlers = ()
    if class_view is not None:
        view, kernel_env = class_view.start(notebooks, host, port)
        # The kernels inherit the server's environment (warm ones too, started after this):
        # where to report, and the secret.
        os.environ.update(kernel_env)
        handlers = view.handlers()
        print(f"Class view: {class_view.url(host, port)}", flush=True)
    install_kernel_managers(warm=students or 0, max_students=max_students or None)
    launch_voila(voila_argv(notebooks, host, port, open_browser, extra),
                 voila_config(max_students or None), handlers)


def launch_voila(argv, config=None, handlers=()) -> None:
    """Run Voila with ``argv`` and ``config`` (a ``traitlets.config.Config``) until it is
    stopped, as ``Voila.launch_instance`` does, its log without the trust warning, its static
    files compressed and cached (:mod:`bpttviz.serve.static`).

    ``handlers`` are more tornado routes ``(pattern, handler, kwargs)``, matched before
    Voila's own (the class view's).
    """
    from jupyter_server.utils import url_path_join
    from voila.app import Voila
    from voila.static_file_handler import MultiStaticFileHandler

    from ..upstream.nbconvert_templates import share_compiled_templates
    from .static import add_transforms, static_version

    share_compiled_templates()        # each page's templates compiled once, not per page

    class LessonsVoila(Voila):
        """Voila with the routes ``handlers`` first, its static files compressed and cached."""

        def init_handlers(self):
            # Voila.start calls this once its Tornado application exists, before it listens.
            add_transforms(self.app)
            # Voila's scripts also under a path naming their content's hash, which the page
            # template gives the page as its static URL (resources.static_version): then they
            # can be cached as immutable. Before Voila's own handlers, which would match too.
            resources = self.config.VoilaConfiguration.resources
            resources = dict(resources) if isinstance(resources, dict) else {}
            resources["static_version"] = static_version(self.static_paths)
            self.config.VoilaConfiguration.resources = resources
            versioned = (url_path_join(self.server_url, r"/voila/static/v-[0-9a-f]+/(.*)"),
                         MultiStaticFileHandler, {"paths": self.static_paths})
            return list(handlers) + [versioned] + super().init_handlers()

    app = LessonsVoila.instance(config=config)
    app.initialize(argv)
    # The contents manager logs through the application's logger (its parent's).
    app.log.addFilter(_WithoutTrustWarnings())
    app.start()
