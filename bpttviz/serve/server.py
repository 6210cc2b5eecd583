"""One Voila server of the lessons, run in this process until it is stopped.

``bpttviz serve`` checks its port first (:func:`port_problem`), so that a busy
port is one clear line rather than Voila's traceback, then calls
:func:`serve_lessons`: the page template put on Voila's path, the kernel
managers of :mod:`bpttviz.serve.pools` installed, the settings of
:mod:`bpttviz.serve.settings` given.
"""

from __future__ import annotations

import errno
import os
import socket

from .pools import install_kernel_managers, pool_memory_note
from .settings import template_root, voila_argv

__all__ = ["port_problem", "serve_lessons"]


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


def serve_lessons(notebooks, *, host="127.0.0.1", port=8866, open_browser=False, pools=None,
                  extra=()) -> None:
    """Serve the lessons in the folder ``notebooks`` with Voila until it is stopped.

    ``pools`` maps lesson names to the kernels to keep ready for each
    (:func:`bpttviz.serve.pools.class_pools`); ``extra`` are more Voila arguments.
    """
    from voila.app import Voila

    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(template_root())] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
                                  if p])
    print(f"Serving the lessons in {notebooks} at "
          f"http://{host}:{port}/voila/render/index.ipynb", flush=True)
    install_kernel_managers()
    if pools:
        print(pool_memory_note(pools), flush=True)
    Voila.launch_instance(argv=voila_argv(notebooks, host, port, open_browser, pools, extra))
