"""What a lesson page fetches from the server: requests, bytes on the wire, caching, in Chromium.

One headless Chromium (``/usr/bin/chromium``, Playwright) opens a lesson page with
an empty cache and waits until its app is drawn; then, in the same browser (its
cache now warm), a second lesson page, as a student who opens the next lesson.
Every request is watched through the Chrome DevTools protocol: its URL, status,
bytes received (``encodedDataLength``: headers and body as sent, so compressed if
the server compressed), ``Content-Encoding``, ``Cache-Control`` and ``ETag``, and
whether the browser took it from its cache without asking the server. URLs the page
makes itself (``blob:``, ``data:``) are not requests and are left out.

Printed per page: requests (to the server, from the cache, elsewhere), bytes
received, and the server's responses grouped by URL prefix with how they may be
cached (the lecture hall's page fetches Solara's front end under ``/_solara/cdn``,
its fonts, and the widgets' scripts under ``/jupyter/nbextensions``; a Voila page,
``/voila/static`` and ``/voila/labextensions``); with ``--list``, every request. Then
(``--replay N``) the first page's files are fetched N times more without a browser,
accepting gzip and not: the server's CPU seconds and the bytes per student with an
empty cache. ``--record FILE`` writes the list of same-origin URLs the empty-cache page
fetched (path and query, in order; not the page itself, its websocket or the
session's API), which ``bench_classroom.py --static FILE`` replays for each simulated
student.

The server is ``bpttviz serve`` (the lecture hall), started on a free port and
stopped at the end; ``--base-url`` measures a server already running instead (a Voila
server, say, for a list its pages fetch; ``--replay`` then needs ``--server-pid``).

Any request that leaves the server (another host) is listed and counted: a page
of the lessons should make none.

Usage::

    python -m benchmarks.bench_static [--lessons 02_vanishing_exploding,04_training]
    python -m benchmarks.bench_static --record /tmp/page-files.json --replay 0
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import urllib.parse
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._common import (CHROMIUM, CHROMIUM_ARGS, add_running_server,  # noqa: E402
                                benchmark_parser)

#: A page is loaded when its app's live figures are all drawn (or, for a page without an
#: app, when the network has been idle); then this many seconds more for late requests.
SETTLE_S = 2.0
PAGE_TIMEOUT_MS = 180_000
DRAWN = ("() => { const f = document.querySelectorAll('.bpttviz-live'); "
         "return f.length > 0 && [...f].every(el => el.dataset.drawn); }")


#: URL prefixes whose next part (a package, ``@scope/name`` two) names a group of their own.
PACKAGE_PREFIXES = (["voila", "labextensions"], ["_solara", "cdn"], ["jupyter", "nbextensions"])


def group_of(path: str) -> str:
    """The URL prefix a request is counted under (``/voila/static``, ``/voila/labextensions/x``,
    ``/_solara/cdn/<package>``, ``/jupyter/nbextensions/<widgets>``)."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] in PACKAGE_PREFIXES and len(parts) > 2:
        n = 4 if parts[2].startswith("@") else 3
        return "/" + "/".join(parts[:n])
    if parts[:2] == ["voila", "templates"]:
        return "/" + "/".join(parts[:4])
    return "/" + "/".join(parts[:2])


class Recorder:
    """Every request of one page, from the DevTools protocol's Network events."""

    def __init__(self, origin):
        self.origin = origin
        self.requests = {}          # requestId -> dict

    def attach(self, cdp):
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", self._cached)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def _sent(self, e):
        url = e["request"]["url"]
        if url.startswith(("data:", "blob:")):       # made by the page itself
            return
        self.requests.setdefault(e["requestId"], {"url": url, "status": None, "bytes": 0,
                                                  "cached": False, "headers": {},
                                                  "type": e.get("type", "")})

    def _response(self, e):
        r = self.requests.get(e["requestId"])
        if r is None:
            return
        resp = e["response"]
        r["status"] = resp["status"]
        r["headers"] = {k.lower(): v for k, v in resp.get("headers", {}).items()}
        if resp.get("fromDiskCache") or resp.get("fromPrefetchCache"):
            r["cached"] = True

    def _cached(self, e):
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]]["cached"] = True

    def _finished(self, e):
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["bytes"] = 0 if r["cached"] else int(e.get("encodedDataLength", 0))

    def _failed(self, e):
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["status"] = r["status"] or f"failed ({e.get('errorText', '')})"

    def rows(self):
        return list(self.requests.values())


def caching_of(r) -> str:
    """How a response may be cached, in a word or two."""
    cc = r["headers"].get("cache-control", "")
    if "immutable" in cc or "max-age=31536000" in cc or "max-age=315360000" in cc:
        return "immutable"
    if "no-store" in cc:
        return "no-store"
    if "no-cache" in cc or "max-age=0" in cc:
        return "revalidate" + (" (ETag)" if "etag" in r["headers"] else "")
    if cc:
        return cc
    return "ETag only" if "etag" in r["headers"] else "none"


def summary(name, rows, origin, listing=False):
    """Print one page's requests; return its totals."""
    ours = [r for r in rows if r["url"].startswith(origin)]
    outside = [r for r in rows if not r["url"].startswith(origin)]
    fetched = [r for r in ours if not r["cached"]]
    cached = [r for r in ours if r["cached"]]
    total = sum(r["bytes"] for r in fetched)
    print(f"{name}: {len(fetched)} requests to the server, {total / 1e6:.2f} MB received; "
          f"{len(cached)} from the browser's cache; {len(outside)} to other hosts")
    groups = defaultdict(list)
    for r in fetched:
        groups[group_of(urllib.parse.urlsplit(r["url"]).path)].append(r)
    for g, rs in sorted(groups.items(), key=lambda kv: -sum(r["bytes"] for r in kv[1])):
        enc = sorted({r["headers"].get("content-encoding", "-") for r in rs})
        how = sorted({caching_of(r) for r in rs})
        status = sorted({str(r["status"]) for r in rs})
        print(f"  {g:<58} {len(rs):4d} req {sum(r['bytes'] for r in rs) / 1e3:8.1f} kB  "
              f"status {','.join(status)}  encoding {','.join(enc)}  cache {'; '.join(how)}")
    for r in outside:
        print(f"  OUTSIDE {r['url']}  status {r['status']}")
    if listing:
        for r in rows:
            print(f"    {r['status']!s:>4} {r['bytes']:9d} {'cache' if r['cached'] else '     '} "
                  f"{r['headers'].get('content-encoding', '-'):5} "
                  f"{r['headers'].get('cache-control', '-')[:40]:40} {r['url'][len(origin):]}")
    return {"requests": len(fetched), "bytes": total, "from_cache": len(cached),
            "outside": len(outside)}


async def open_page(context, url, origin, app):
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    rec = Recorder(origin)
    rec.attach(cdp)
    await cdp.send("Network.enable")
    t0 = time.monotonic()
    await page.goto(url, timeout=PAGE_TIMEOUT_MS)
    if app:
        await page.wait_for_function(DRAWN, timeout=PAGE_TIMEOUT_MS, polling=200)
    else:
        await page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
    ready = time.monotonic() - t0
    await asyncio.sleep(SETTLE_S)
    await page.close()
    return rec.rows(), ready


#: What a simulated student asks for on its own, not as a file: the page, its kernel's or
#: session's API (the hall's close beacon among them).
NOT_FILES = ("/api/kernels/", "/voila/render/", "/_solara/api/")


def same_origin_files(rows, origin) -> list:
    """The paths (with their queries) of the files a page fetched from ``origin``, in order."""
    return [r["url"][len(origin):] for r in rows
            if r["url"].startswith(origin) and not any(p in r["url"] for p in NOT_FILES)]


async def record_files(origin, lesson) -> list:
    """Open ``lesson`` once in a fresh Chromium (empty cache); the files it fetched."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        rows, _ = await open_page(context, f"{origin}/voila/render/{lesson}.ipynb", origin,
                                  app=lesson != "index")
        await browser.close()
    return same_origin_files(rows, origin)


def recorded_files(lesson="02_vanishing_exploding", log=None, program=None, base=None) -> list:
    """The files ``lesson`` fetches with an empty cache, recorded on a server of its own
    (started and stopped here, so that the recording takes nothing of the one measured):
    ``bpttviz serve``, or ``program`` run as it (an older checkout's ``bpttviz``); with
    ``base``, on the server already running there."""
    with server_at(base, None, program=program, log=log) as server:
        return asyncio.run(record_files(server.url, lesson))


@contextlib.contextmanager
def server_at(base, pid, program=None, log=None):
    """The server at ``base`` (already running; ``pid`` its process, if known), else
    ``bpttviz serve`` (``program`` run as ``bpttviz``) on a free port, stopped afterwards."""
    if base:
        from bpttviz.serve.process import Server

        yield Server(url=base.rstrip("/"), pid=pid, log=None)
        return
    from bpttviz.serve import served

    with served(start_timeout=120, log=log, program=program) as server:
        yield server


async def measure(args):
    from playwright.async_api import async_playwright

    with server_at(args.base_url, args.server_pid, log=args.log) as server:
        origin = server.url
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1280, "height": 720})
            results = {}
            for i, lesson in enumerate(args.lesson_list):
                url = f"{origin}/voila/render/{lesson}.ipynb"
                rows, ready = await open_page(context, url, origin, app=lesson != "index")
                label = (f"{lesson} ({'empty cache' if i == 0 else 'warm cache'}), app drawn "
                         f"after {ready:.1f} s")
                results[lesson] = summary(label, rows, origin, args.list)
                if i == 0:
                    first_rows = rows
                if i == 0 and args.record:
                    paths = same_origin_files(rows, origin)
                    with open(args.record, "w") as f:
                        json.dump({"lesson": lesson, "recorded": time.strftime("%Y-%m-%d"),
                                   "paths": paths}, f, indent=1)
                    print(f"# {len(paths)} URLs written to {args.record}")
            await browser.close()
        if args.replay and server.pid is not None:
            results["replay"] = replay(server, same_origin_files(first_rows, origin),
                                       args.replay)
    print(f"RESULT {json.dumps(results)}")


def replay(server, files, repeat):
    """The server's CPU seconds and the bytes per student for the files a page fetched,
    fetched ``repeat`` times as a browser with an empty cache, compressed and not."""
    from benchmarks._client import cpu_of, fetch_files, tree

    # Every process of the server: its workers and nginx with --workers.
    procs = tree(server.pid)
    out = {}
    for label, encoding in (("gzip", "gzip, deflate"), ("identity", "identity")):
        c0, t0, size = sum(map(cpu_of, procs)), time.perf_counter(), 0
        for _ in range(repeat):
            received, failed, _ = fetch_files(server.url, files, encoding=encoding)
            size += received
            assert not failed, failed[:3]
        cpu = (sum(map(cpu_of, procs)) - c0) / repeat
        out[label] = {"cpu_s": round(cpu, 3), "mb": round(size / repeat / 1e6, 3),
                      "s": round((time.perf_counter() - t0) / repeat, 3)}
        print(f"{len(files)} files fetched {repeat} times without a browser, Accept-Encoding "
              f"{encoding}: {size / repeat / 1e6:.2f} MB and {cpu:.3f} CPU-s of the server "
              f"per student, {(time.perf_counter() - t0) / repeat:.2f} s each")
    return out


def main(argv=None):
    parser = benchmark_parser(__doc__)
    parser.add_argument("--lessons", default="02_vanishing_exploding,04_training",
                        help="pages opened in turn in one browser: the first with an empty "
                             "cache, the others with the cache it left ('index' is the landing "
                             "page)")
    parser.add_argument("--list", action="store_true", help="print every request")
    parser.add_argument("--record", metavar="FILE",
                        help="write the same-origin URLs the first page fetched (JSON) for "
                             "bench_classroom.py --static")
    parser.add_argument("--replay", type=int, default=5, metavar="N",
                        help="then fetch the first page's files N times without a browser, "
                             "with and without gzip: the server's CPU seconds per student "
                             "(default 5; 0 skips)")
    parser.add_argument("--log", default="/tmp/bpttviz-bench-static.log",
                        help="where the server's log goes")
    add_running_server(parser, "--replay's CPU seconds (without it --replay is skipped)")
    args = parser.parse_args(argv)
    args.lesson_list = [x.strip() for x in args.lessons.split(",") if x.strip()]
    if not args.lesson_list:
        parser.error("--lessons must name at least one page")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
