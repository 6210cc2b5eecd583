"""Several lecture-hall processes behind nginx: ``bpttviz serve --workers N``.

A page's work is Python: one server process uses one core, whatever the machine has.
With ``--workers N`` the command starts N worker processes on ports of 127.0.0.1
(each a :func:`bpttviz.serve.hall.serve_hall`), the class view in a process of its own
when ``--class`` is on (so every worker's pages report to the same one), and nginx on
the public address in front of them all (Debian's ``nginx`` package; the same
configuration serves behind any nginx, and docs/deployment.md shows Kubernetes).

nginx sends a page's session to one worker for its whole life: a session is named by
the id in its websocket's address (``/jupyter/api/kernels/<id>/...``) and in the beacon
a closing tab sends (``/_solara/api/close/<id>``), and nginx hashes that id (``hash
$session consistent``), so a page that reconnects (a network blip) reaches the worker
that holds its widgets, and a closed tab's session is freed where it lives. Page
requests and files go to the least busy worker. Each worker admits ``--max-students /
N`` pages.

Everything started here is stopped with it; a child that exits stops the others, with
its output in the log.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["nginx_config", "serve_workers", "NGINX_HELP"]

#: What ``--workers`` needs and where it comes from.
NGINX_HELP = ("--workers N (N > 1) runs the workers behind nginx, which is not installed: "
              "apt-get install nginx (Debian, Ubuntu), or run one worker.")


def nginx_config(host: str, port: int, workers, class_port=None, folder="/tmp") -> str:
    """nginx's configuration: ``host:port`` in front of the worker ports ``workers`` (and the
    class view's ``class_port``), its files in ``folder``."""
    from .web import STATIC_PREFIXES

    static = "/(" + "|".join(p.strip("/") for p in STATIC_PREFIXES) + ")"
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in workers)
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    class_view = "" if class_port is None else f"""
        location /bpttviz/class {{
            proxy_pass http://127.0.0.1:{class_port};
            proxy_set_header Host $http_host;
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}"""
    return f"""# Written by bpttviz serve --workers: the public address in front of the workers.
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # The front end's files, kept by nginx: a worker answers each file once (gzipped or not).
    proxy_cache_path {folder}/static levels=1:2 keys_zone=static:4m max_size=256m
                     inactive=1d use_temp_path=off;
    map $http_accept_encoding $gzip_asked {{ ~gzip gzip; default plain; }}
    # The session a request belongs to: the id in its address.
    map $uri $session {{
        ~^/jupyter/api/kernels/(?<id>[^/]+) $id;
        ~^/_solara/api/close/(?<closed>[^/]+) $closed;
        default $uri;
    }}
    # A page's session (its websocket, its closing beacon) always to the worker that holds it.
    upstream sessions {{
        hash $session consistent;
{servers}
    }}
    upstream pages {{
        least_conn;
{servers}
    }}
    server {{
        listen {listen};
        client_max_body_size 8m;
        # Their addresses name their versions (the workers say "immutable"): every student
        # of a class arriving with an empty cache is answered by nginx, not by Python.
        location ~ ^{static}/ {{
            proxy_pass http://pages;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_cache static;
            proxy_cache_key "$request_uri $gzip_asked";
            proxy_ignore_headers Vary;
            proxy_cache_valid 200 1d;
            proxy_cache_lock on;
            add_header X-Cache $upstream_cache_status;
        }}
        location /_solara/api/close/ {{
            proxy_pass http://sessions;
            proxy_set_header Host $http_host;
        }}
        location /jupyter/ {{
            proxy_pass http://sessions;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_buffering off;
        }}{class_view}
        location / {{
            proxy_pass http://pages;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def _free_ports(n):
    from ..process import free_port

    ports = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def serve_workers(notebooks, *, host, port, workers, max_students=None, class_options=None,
                  students=None, lessons=None) -> int:
    """Run ``workers`` lecture-hall processes behind nginx on ``host:port`` until stopped."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                      else None)
    if nginx is None:
        print(f"bpttviz serve: {NGINX_HELP}", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="bpttviz-workers-"))
    # nginx started by root serves as an unprivileged user, which must reach the folders nginx
    # makes for it here (its cache and buffers, given to that user): it may pass, not list.
    folder.chmod(0o711)
    ports = _free_ports(workers + (1 if class_options is not None else 0))
    class_port = ports.pop() if class_options is not None else None
    env = dict(os.environ)
    children = []
    if class_options is not None:
        from ..classview.options import kernel_environment
        import secrets

        secret = secrets.token_urlsafe(32)
        env.update(kernel_environment("127.0.0.1", class_port, secret))
        class_env = dict(env, BPTTVIZ_CLASS_TOKEN=class_options.token)
        children.append(_start([sys.executable, "-m", "bpttviz.serve.classview", "--host",
                                "127.0.0.1", "--port", str(class_port), "--notebooks",
                                str(notebooks), "--state-dir", str(class_options.state_dir)],
                               class_env, folder / "classview.log"))
        print(f"Class view: {class_options.url(host, port)}", flush=True)
    share = None if not max_students else math.ceil(max_students / workers)
    for i, p in enumerate(ports):
        argv = [sys.executable, "-m", "bpttviz.serve.hall", "--notebooks", str(notebooks),
                "--port", str(p), "--max-students", str(share or 0)]
        if students:
            argv += ["--students", str(math.ceil(students / workers))]
            if lessons:
                argv += ["--lessons", ",".join(lessons)]
        children.append(_start(argv, env, folder / f"worker-{i + 1}.log"))
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(host, port, ports, class_port, folder))
    children.append(_start([nginx, "-c", str(conf), "-p", str(folder)], env,
                           folder / "nginx.log"))
    print(f"{workers} workers on ports {', '.join(map(str, ports))} behind nginx on "
          f"{host}:{port} (logs in {folder})", flush=True)
    return _supervise(children, students, folder)


def _start(argv, env, log):
    out = open(log, "w")
    return subprocess.Popen([str(a) for a in argv], env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True), log


def _supervise(children, students, folder) -> int:
    """Wait until stopped (or a child exits); then stop every child."""
    stop = {"now": False}

    def ask_stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, ask_stop)
    signal.signal(signal.SIGINT, ask_stop)
    ready_said = not students
    status = 0
    try:
        while not stop["now"]:
            for proc, log in children:
                if proc.poll() is not None:
                    print(f"bpttviz serve: {Path(log).name} exited with {proc.returncode}:\n"
                          f"{Path(log).read_text()[-2000:]}", file=sys.stderr, flush=True)
                    return 1
            if not ready_said:
                workers = [log for _, log in children if Path(log).name.startswith("worker")]
                if all("ready for" in Path(log).read_text() for log in workers):
                    print(f"ready for {students} students", flush=True)
                    ready_said = True
            time.sleep(0.5)
    finally:
        for proc, _ in children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc, _ in children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return status
