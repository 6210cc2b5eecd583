"""A server in a child process, for the browser tests, the benchmarks and scripts.

:func:`served` starts ``bpttviz serve`` (or ``bpttviz slides``) on a free port of
127.0.0.1, waits until it answers and yields it; afterwards it ends the server and
its kernels. :func:`running` does the same for any command that serves HTTP (a
JupyterHub, say). The server runs in a process group of its own, so that ending the
group ends every kernel it started too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "ServerFailed", "free_port", "free_ports", "running", "served"]

#: What a Voila request leaves in a kernel's environment: a server started from such a
#: process must not hand it on to the lessons it serves.
REQUEST_VARIABLES = ("QUERY_STRING", "VOILA_REQUEST_URL")


class ServerFailed(RuntimeError):
    """A server exited or did not answer in time; the message ends with its output."""


@dataclass(frozen=True)
class Server:
    """A server started by :func:`running` or :func:`served`."""

    url: str     #: base URL, without a trailing slash
    pid: int     #: the server's process, leader of the process group of its kernels
    log: Path    #: the file that receives its output


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port of ``host`` that is free now (the system's choice)."""
    return free_ports(1, host)[0]


def free_ports(n: int, host: str = "127.0.0.1") -> list:
    """``n`` different TCP ports of ``host``, free now: each is held until all are chosen (one
    at a time, the system may give the same port twice)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(n):
            s = held.enter_context(socket.socket())
            s.bind((host, 0))
            ports.append(s.getsockname()[1])
        return ports


@contextlib.contextmanager
def running(argv, *, url, probe="/", name=None, log=None, env=None, cwd=None,
            start_timeout=90, stop_timeout=15, ready_line=None):
    """Run ``argv``, a server answering HTTP at ``url``; yield a :class:`Server` once it answers.

    The server answers when ``url + probe`` can be fetched and, if ``ready_line`` is
    given, its output holds that line. Its output goes to the file ``log`` (by default a
    temporary file). ``env`` defaults to this process's environment; either way the
    variables of a Voila request (:data:`REQUEST_VARIABLES`) are left out.

    Raises :class:`ServerFailed` with the server's output when it exits first or does
    not answer within ``start_timeout`` seconds. Afterwards, and on any failure, its
    process group is sent SIGTERM, and SIGKILL if it has not ended ``stop_timeout``
    seconds later.
    """
    name = name or " ".join(map(str, argv))
    env = {k: v for k, v in (os.environ if env is None else env).items()
           if k not in REQUEST_VARIABLES}
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="bpttviz-server-"))) / "server.log"
        log = Path(log)
        with open(log, "w") as out:
            proc = subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait(proc, url + probe, name, log, start_timeout, ready_line)
            yield Server(url=url, pid=proc.pid, log=log)
        finally:
            _stop(proc, stop_timeout)


@contextlib.contextmanager
def served(command="serve", *, notebooks=None, port=None, extra_args=(), program=None,
           log=None, env=None, cwd=None, start_timeout=90, stop_timeout=15, ready_line=None):
    """``bpttviz <command>`` on 127.0.0.1 (``port``, or a free one); yield its :class:`Server`.

    Parameters
    ----------
    command : {"serve", "slides"}
        What to serve: the lessons, or their lecture deck.
    notebooks : path or None
        The folder of notebooks (``--notebooks``); default the lessons installed.
    extra_args : sequence of str
        More arguments of the command, e.g. ``["--students", "2", "--lessons", "..."]``.
    program : sequence of str or None
        How to run ``bpttviz``; default this Python's ``-m bpttviz.cli``.

    The other parameters are :func:`running`'s.
    """
    port = free_port() if port is None else int(port)
    argv = [*(program or [sys.executable, "-m", "bpttviz.cli"]), command,
            "--host", "127.0.0.1", "--port", str(port)]
    if notebooks is not None:
        argv += ["--notebooks", str(notebooks)]
    argv += list(extra_args)
    with running(argv, url=f"http://127.0.0.1:{port}", name=f"bpttviz {command}", log=log,
                 env=env, cwd=cwd, start_timeout=start_timeout, stop_timeout=stop_timeout,
                 ready_line=ready_line) as server:
        yield server


def _wait(proc, url, name, log, timeout, ready_line):
    """Return once ``url`` answers (and ``ready_line`` is logged); raise ServerFailed if not."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ServerFailed(f"{name} exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                pass
            if ready_line is None or ready_line in log.read_text():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ServerFailed(f"{name} was not ready in {timeout} s:\n{log.read_text()}")
        time.sleep(0.3)


def _stop(proc, timeout):
    """End the process group of ``proc``: SIGTERM, then SIGKILL after ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
