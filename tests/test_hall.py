"""The lecture hall's parts, each on its own: the narrative's HTML, static files answered from
memory, the class-full rule, the class view inside an ASGI server, the nginx configuration,
and what the pages of one process share (results, the processes that train, the gate on a
page's changes)."""

import asyncio
import gzip
import json
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from bpttviz.app.ratelimit import ChangeGate
from bpttviz.app.shared import SharedResults
from bpttviz.lessons import LESSONS, TrainingLesson, TruncationLesson
from bpttviz.lessons.runs import RunPool, TrainingRun
from bpttviz.serve.hall import narrative as narrative_module
from bpttviz.serve.hall.narrative import markdown_html, narrative
from bpttviz.serve.hall.web import ADMIT_S, ClassFull, Precompressed
from bpttviz.serve.hall.workers import nginx_config
from bpttviz.training import train


# -- the narrative ------------------------------------------------------------------------------

def test_math_becomes_mathml_and_a_dollar_in_code_stays_code():
    out = markdown_html(r"The error $\lVert J_t \rVert \le \gamma$ and `cost $5` and"
                        "\n\n$$\\frac{a}{b}$$")
    assert out.count("<math") == 2 and 'display="block"' in out and 'display="inline"' in out
    assert "<code>cost $5</code>" in out
    assert "lVert" not in out and "&#x02016;" in out        # norm bars, as the converter names them


def test_a_notebooks_narrative_is_its_markdown_around_the_first_code_cell(tmp_path):
    path = tmp_path / "05_x.ipynb"
    cells = [{"cell_type": "markdown", "source": ["# 5 · A title\n", "before $x$"]},
             {"cell_type": "code", "source": ["app"]},
             {"cell_type": "markdown", "source": ["after"]}]
    path.write_text(json.dumps({"cells": cells}))
    text = narrative(path)
    assert text.title == "5 · A title"
    assert "<h1>" in text.before and "<math" in text.before and "after" not in text.before
    assert text.after.strip() == "<p>after</p>"
    assert narrative(path) is text                      # read once while the file is the same
    time.sleep(0.01)
    cells[2]["source"] = ["changed"]
    path.write_text(json.dumps({"cells": cells}))
    assert "changed" in narrative(path).after and narrative_module._CACHE[path][1].after


# -- static files from memory ---------------------------------------------------------------------

def asgi_client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hall")


def test_a_static_file_is_fetched_once_then_answered_from_memory_gzipped_or_not():
    calls = []
    body = b"console.log('front end');" * 400

    async def inner(scope, receive, send):
        calls.append(scope["path"])
        if scope["path"].startswith("/static/"):       # asked for as it is, to be kept
            assert not any(k == b"accept-encoding" for k, _ in scope["headers"])
        status = 404 if "gone" in scope["path"] else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/javascript"),
                                (b"x-private", b"not kept")]})
        await send({"type": "http.response.body", "body": body})

    async def run():
        async with asgi_client(Precompressed(inner)) as c:
            zipped = await c.get("/static/main.js?v=1", headers={"Accept-Encoding": "gzip"})
            plain = await c.get("/static/main.js?v=1", headers={"Accept-Encoding": "identity"})
            missing = [await c.get("/static/gone.css") for _ in range(2)]
            other = await c.get("/voila/render/x.ipynb")
        return zipped, plain, missing, other

    zipped, plain, missing, other = asyncio.run(run())
    assert zipped.content == body and zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(body) / 10
    assert plain.content == body and "content-encoding" not in plain.headers
    assert "immutable" in zipped.headers["cache-control"] and "x-private" not in zipped.headers
    assert [m.status_code for m in missing] == [404, 404]
    # The file once, the missing one each time (never kept), the page passed through.
    assert calls == ["/static/main.js", "/static/gone.css", "/static/gone.css",
                     "/voila/render/x.ipynb"]
    assert other.status_code == 200


def test_what_is_kept_is_gzipped_once():
    kept = Precompressed(None)
    assert kept.cache == {}
    raw = b"x" * 5000
    assert gzip.decompress(gzip.compress(raw, 6)) == raw


# -- the class-full rule --------------------------------------------------------------------------

def test_past_max_pages_a_new_lesson_page_gets_the_class_full_page(monkeypatch):
    live = {"n": 0}
    now = {"t": 1000.0}
    monkeypatch.setattr("bpttviz.serve.hall.web.live_pages", lambda: live["n"])
    served = []

    async def inner(scope, receive, send):
        served.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    gate = ClassFull(inner, max_pages=2, clock=lambda: now["t"])

    async def get(path):
        async with asgi_client(gate) as c:
            return await c.get(path)

    page = "/voila/render/02_vanishing_exploding.ipynb"
    assert [asyncio.run(get(page)).status_code for _ in range(2)] == [200, 200]
    full = asyncio.run(get(page))
    assert full.status_code == 503 and "bpttviz-class-full" in full.text
    assert "The class is full" in full.text and full.headers["cache-control"] == "no-store"
    assert asyncio.run(get("/voila/render/index.ipynb")).status_code == 200   # the landing page
    assert asyncio.run(get("/static/x.js")).status_code == 200
    now["t"] += ADMIT_S + 1                 # the two admitted never connected: places freed
    assert asyncio.run(get(page)).status_code == 200
    live["n"] = 2                           # two sessions live: full again
    now["t"] += ADMIT_S + 1
    assert asyncio.run(get(page)).status_code == 503


# -- the class view inside the ASGI server ----------------------------------------------------------

@pytest.fixture
def class_app(tmp_path):
    from bpttviz.serve.classview import ClassStore, ClassView, class_lessons
    from bpttviz.serve.classview.asgi import asgi_app

    store = ClassStore(tmp_path / "class.sqlite", class_lessons(["02_vanishing_exploding"]))
    view = ClassView(store, token="lecturer-token", secret="page-secret")
    return view, asgi_app(view)


def test_the_class_views_handlers_answer_through_asgi(class_app):
    view, app = class_app
    lecturer = {"Authorization": "token lecturer-token"}
    page = {"Authorization": "bpttviz-kernel page-secret"}
    answer = {"page": "page-0001", "lesson": "02_vanishing_exploding", "step": 1, "choice": 2}

    async def run():
        async with asgi_client(app) as c:
            refused = await c.get("/bpttviz/class/api/summary")
            counted = await c.post("/bpttviz/class/kernel/answer", headers=page, json=answer)
            summary = await c.get("/bpttviz/class/api/summary", headers=lecturer)
            too_big = await c.post("/bpttviz/class/api/pace", headers=lecturer,
                                   content=b"x" * 5000)
            lecturer_page = await c.get("/bpttviz/class?token=lecturer-token")
            return refused, counted, summary, too_big, lecturer_page

    refused, counted, summary, too_big, lecturer_page = asyncio.run(run())
    assert refused.status_code == 403 and "token" in refused.json()["error"]
    assert counted.json() == {"ok": True, "new": True}
    steps = summary.json()["lessons"]["02_vanishing_exploding"]["steps"]
    assert steps["1"]["answers"] == {"1": 0, "2": 1, "3": 0}
    assert too_big.status_code == 413
    assert lecturer_page.status_code == 200 and "text/html" in lecturer_page.headers["content-type"]


def test_a_long_poll_through_asgi_returns_when_the_lecturer_paces(class_app):
    view, app = class_app
    page = {"Authorization": "bpttviz-kernel page-secret"}

    async def run():
        async with asgi_client(app) as c:
            wait = asyncio.ensure_future(c.get(
                "/bpttviz/class/kernel/state?page=page-0001&lesson=02_vanishing_exploding"
                "&version=0&hold=20", headers=page))
            await asyncio.sleep(0.2)
            assert not wait.done()                  # held: nothing changed yet
            paced = await c.post("/bpttviz/class/api/pace", json={
                "lesson": "02_vanishing_exploding", "step": 3},
                headers={"Authorization": "token lecturer-token"})
            return paced, await asyncio.wait_for(wait, 10)

    paced, state = asyncio.run(run())
    assert paced.json()["pace"] == 3 and state.json()["pace"] == 3 and state.json()["version"] == 1


# -- nginx in front of the workers ---------------------------------------------------------------

def test_nginx_keeps_a_session_on_its_worker_and_routes_the_class_view():
    conf = nginx_config("0.0.0.0", 8866, [9001, 9002], class_port=8867, folder="/tmp/x")
    sessions = conf[conf.index("upstream sessions"):conf.index("upstream pages")]
    assert "hash $session consistent" in sessions
    assert "~^/jupyter/api/kernels/(?<id>[^/]+) $id" in conf           # the session's id ...
    assert "~^/_solara/api/close/(?<closed>[^/]+) $closed" in conf    # ... also when it closes
    assert "location /_solara/api/close/ {\n            proxy_pass http://sessions" in conf
    assert "127.0.0.1:9001" in sessions and "127.0.0.1:9002" in sessions
    assert "least_conn" in conf[conf.index("upstream pages"):]
    assert "location /jupyter/" in conf and "proxy_set_header Upgrade $http_upgrade" in conf
    assert "location /bpttviz/class" in conf and "127.0.0.1:8867" in conf
    assert "listen 0.0.0.0:8866" in conf and "daemon off" in conf
    assert "location /bpttviz/class" not in nginx_config("127.0.0.1", 1, [2])


# -- what the pages of a process share ------------------------------------------------------------

def test_the_same_settings_are_computed_once_for_every_page():
    shared, computed = SharedResults(size=2), []

    def compute(values):
        computed.append(values["T"])
        return object()

    a, b = TruncationLesson(), TruncationLesson()       # two pages of the same lesson
    first = shared.result(a, {"T": 10, "k2": 3}, compute)
    assert shared.result(b, {"k2": 3, "T": 10}, compute) is first
    for T in (11, 12):
        shared.result(a, {"T": T, "k2": 3}, compute)
    shared.result(a, {"T": 10, "k2": 3}, compute)       # the oldest was let go
    assert computed == [10, 11, 12, 10] and (shared.hits, shared.misses) == (1, 4)


def test_a_users_file_is_never_shared():
    lesson = TrainingLesson()
    values = {**TrainingLesson.defaults(), "task": "your_data"}
    assert lesson.result_key(values) is None
    assert lesson.result_key(TrainingLesson.defaults()) is not None


def test_runs_in_the_pool_record_what_threads_record():
    lesson = LESSONS["training"]()
    values = {**LESSONS["training"].defaults(), "updates": 30}
    setup = lesson.compute(values)
    here = lesson.new_run(setup, values).start()
    assert here.join(60)
    pool = RunPool(processes=1)
    try:
        there = lesson.new_run(setup, values).start(pool)
        assert there.join(120)
    finally:
        pool.close()
    for i in range(2):
        assert there.errors[i] is None and len(there.histories[i]) == 30
        np.testing.assert_array_equal(there.histories[i]["loss"], here.histories[i]["loss"])
        assert there.rows(i)["grad_norm"].shape == (30,)


def test_stop_ends_a_pooled_run_after_its_current_update():
    lesson = LESSONS["training"]()
    values = {**LESSONS["training"].defaults(), "updates": 3000}
    setup = lesson.compute(values)
    pool = RunPool(processes=2)
    try:
        run = lesson.new_run(setup, values).start(pool)
        deadline = time.monotonic() + 60
        while min(run.done) < 5 and time.monotonic() < deadline:   # training, rows arriving
            time.sleep(0.05)
        run.stop()
        assert run.join(60)
    finally:
        pool.close()
    for i in range(2):
        assert 5 <= len(run.histories[i]) < 3000 and run.histories[i].stopped
        assert "Stop button" in run.stop_reason(i)


def test_an_error_in_a_pooled_run_is_the_runs_error():
    lesson = LESSONS["training"]()
    values = {**LESSONS["training"].defaults(), "updates": 10}
    setup = lesson.compute(values)
    broken = TrainingRun(setup, 10, train)
    broken.setup = type(setup)(**{**setup.__dict__, "configs": ({"k1": 0}, {"k2": -1})})
    pool = RunPool(processes=1)
    try:
        broken.start(pool)
        assert broken.join(60)
    finally:
        pool.close()
    assert all("k1" in str(e) or "k2" in str(e) for e in broken.errors)


# -- the gate on a page's changes ------------------------------------------------------------------


def test_the_collector_leaves_what_the_server_built_alone_and_still_collects_cycles():
    # In a process of its own: the collector's settings are the whole process's.
    script = """
import gc, weakref
from bpttviz.serve.hall import YOUNG_OBJECTS, quiet_collector
import bpttviz.lessons
quiet_collector()
print(gc.get_freeze_count() > 10_000, gc.get_threshold()[0] == YOUNG_OBJECTS)
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a                       # a cycle: only the collector frees it
gone = weakref.ref(a)
del a, b
keep = [[] for _ in range(3 * YOUNG_OBJECTS)]  # new objects: the young generation fills
print(gone() is None)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["True", "True", "True"], out
