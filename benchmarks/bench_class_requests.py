"""What one request of a page's kernel to the class view costs: over HTTP, and in process.

A lecture hall's pages share the class view's process (``bpttviz serve --class``, one
process): their answers and their waits for the lecturer reach its routes without a socket
(:class:`bpttviz.serve.classview.asgi.InProcess`). Here the class view runs on an event loop
of this process, on a thread of its own (as the hall's does), and this thread sends
``--answers`` answers (distinct ids, one page, lesson 2, step 1) three ways, in turn:

- ``http``: ``urllib`` to the class view's own tornado server on 127.0.0.1 (how a kernel in
  a process of its own, Voila's or the hub's, sends them);
- ``http via ASGI``: ``urllib`` to uvicorn serving the class view through the hall's ASGI
  adapter (:class:`~bpttviz.serve.classview.asgi.TornadoASGI`), as a hall's page would
  without the in-process path;
- ``in process``: :class:`~bpttviz.serve.classview.asgi.InProcess`, as a hall's page does.

Both sides are in this process, so its CPU time is the whole cost. Printed: CPU and wall
milliseconds per answer, each way, twice (the order alternating). Bounded: at most 5,000
answers a way; only 127.0.0.1 is contacted.

Usage::

    python -m benchmarks.bench_class_requests
    python -m benchmarks.bench_class_requests --quick      # 50 answers: the harness works
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import benchmark_parser  # noqa: E402

MAX_ANSWERS = 5000
SECRET = "bench-requests-secret-0123456789"
LESSON = "02_vanishing_exploding"


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def serve(state_dir):
    """The class view on a thread's event loop: ``{way: send(body)}`` and a ``stop()``."""
    import uvicorn

    from bpttviz.class_protocol import KERNEL_ROUTE
    from bpttviz.serve import free_port
    from bpttviz.serve.classview import ClassStore, ClassView, class_lessons, make_app
    from bpttviz.serve.classview.asgi import InProcess, asgi_app
    from bpttviz.serve.notebooks import lesson_names

    logging.getLogger("tornado.access").disabled = True
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{p}{KERNEL_ROUTE}" for p in ports]
    loop, ready, box = asyncio.new_event_loop(), threading.Event(), {}

    def run():
        asyncio.set_event_loop(loop)

        async def main():
            view = ClassView(ClassStore(Path(state_dir) / "class.sqlite",
                                        class_lessons(lesson_names())),
                             token="bench-requests-token", secret=SECRET)
            view.rate_limited = lambda page: False     # one page sends them all
            make_app(view).listen(ports[0], "127.0.0.1")
            app = asgi_app(view)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=ports[1],
                                                   log_level="warning", lifespan="off"))
            box["uvicorn"] = server
            box["task"] = asyncio.ensure_future(server.serve())
            while not server.started:
                await asyncio.sleep(0.01)
            box["in process"] = InProcess(app, loop, urls[0])
            ready.set()

        loop.run_until_complete(main())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the class view did not start within 30 s")
    headers = {"Authorization": f"bpttviz-kernel {SECRET}", "Content-Type": "application/json"}

    def over_http(url):
        def send(body):
            req = urllib.request.Request(url + "/answer", data=body, headers=headers,
                                         method="POST")
            with urllib.request.urlopen(req, timeout=10) as r:
                r.read()
                return r.status
        return send

    def in_process(body):
        return box["in process"]("POST", "/answer", headers, body, 10)[0]

    def stop():
        async def uvicorn_done():
            box["uvicorn"].should_exit = True
            await asyncio.wait_for(box["task"], 5)

        asyncio.run_coroutine_threadsafe(uvicorn_done(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return {"http": over_http(urls[0]), "http via ASGI": over_http(urls[1]),
            "in process": in_process}, stop


def main(argv=None):
    parser = benchmark_parser(__doc__, quick="50 answers a way: checks the harness")
    parser.add_argument("--answers", type=int, default=1000,
                        help=f"answers sent each way, each round (1..{MAX_ANSWERS})")
    args = parser.parse_args(argv)
    if args.quick:
        args.answers = 50
    if not 1 <= args.answers <= MAX_ANSWERS:
        parser.error(f"--answers must be in [1, {MAX_ANSWERS}]; got {args.answers}")
    print(f"# {args.answers} answers each way, twice; the class view and this client in one "
          f"process (its CPU time is both sides')", flush=True)
    with tempfile.TemporaryDirectory(prefix="bpttviz-bench-requests-") as state:
        ways, stop = serve(state)
        try:
            sent = 0
            for round_ in range(2):
                names = list(ways) if round_ == 0 else list(reversed(ways))
                for name in names:
                    send = ways[name]
                    c0, t0 = cpu_seconds(), time.perf_counter()
                    for _ in range(args.answers):
                        body = json.dumps({"id": f"answer-{sent:08d}", "page": "bench-page-1",
                                           "lesson": LESSON, "step": 1,
                                           "choice": 1 + sent % 3}).encode()
                        sent += 1
                        status = send(body)
                        if status != 200:
                            raise RuntimeError(f"{name}: the class view answered {status}")
                    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
                    print(f"{name:14s} CPU {cpu / args.answers * 1000:.2f} ms, wall "
                          f"{wall / args.answers * 1000:.2f} ms per answer", flush=True)
        finally:
            stop()


if __name__ == "__main__":
    main()
