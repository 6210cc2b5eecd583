"""Serving a class: the options a lecturer gives, the kernels kept warm and when they are
refilled, the class's size, Voila's arguments, the page template, and a page's request
reaching an app (in a warm kernel, or in one preheated by Voila)."""

import json
import os

import pytest

from bpttviz import serve as serving
from bpttviz.app import TruncationApp
from bpttviz.app.request import page_url_from, preheated
from bpttviz.cli import main as cli_main
from bpttviz.serve import EXECUTOR_TIMEOUTS, lesson_names, lessons_dir, voila_argv

LESSONS = lesson_names(lessons_dir())


# --- the lecturer's options ----------------------------------------------------------------------

def test_lesson_names_are_the_notebook_stems_without_the_landing_page():
    assert "03_truncated_bptt" in LESSONS and "index" not in LESSONS
    assert len(LESSONS) >= 6


def test_lessons_are_checked_against_those_served():
    assert serving.parse_lessons("02_vanishing_exploding, 03_truncated_bptt.ipynb", LESSONS) == \
        ["02_vanishing_exploding", "03_truncated_bptt"]
    assert serving.parse_lessons("04_training,04_training", LESSONS) == ["04_training"]
    with pytest.raises(ValueError) as err:
        serving.parse_lessons("03_truncated_bptt,03_truncation", LESSONS)
    message = str(err.value)
    assert "'--lessons'" in message and "Got 03_truncation instead" in message
    assert all(name in message for name in LESSONS)          # the lessons available
    with pytest.raises(ValueError, match="Got '' instead"):
        serving.parse_lessons("", LESSONS)


def test_the_class_size_is_the_number_of_students_whatever_the_lessons():
    assert serving.class_size(30, "02_vanishing_exploding,03_truncated_bptt", LESSONS) == 30
    assert serving.class_size(7, None, LESSONS) == 7
    with pytest.raises(ValueError, match="'--students N' too"):
        serving.class_size(None, "03_truncated_bptt", LESSONS)


@pytest.mark.parametrize("bad", [0, -3, 501, True, 2.5, "30"])
def test_a_bad_number_of_students_is_refused_naming_the_option_and_range(bad):
    with pytest.raises(ValueError, match=r"'--students'.*\[1, 500\]\. Got"):
        serving.class_size(bad, None, LESSONS)


def test_the_class_is_sized_to_the_memory_and_the_note_says_so():
    mb = serving.KERNEL_MB
    room = 10 * 1024
    fits = serving.default_max_students(room, warm=0)
    assert fits == int((room - 1024 - serving.SERVER_MB) // mb)
    # warm kernels waiting take their share
    assert serving.default_max_students(room, warm=30) < fits
    assert serving.default_max_students(100, warm=0) == 1          # one always fits
    assert serving.default_max_students(None) is None              # unknown: no limit
    note = serving.pool_memory_note(30, fits, room, default=True)
    assert "Keeping 30 kernels warm for any lesson" in note
    assert f"At most {fits} students at once (from 10.0 GB available, {mb} MB per student)" \
        in note and "class is full" in note
    assert "(--max-students)" in serving.pool_memory_note(None, 12, room, default=False)
    assert "No limit" in serving.pool_memory_note(None, None, None, default=True)


@pytest.mark.parametrize("args, words", [
    (["--students", "30", "--lessons", "03_truncated_bptt,99_nothing"],
     ["--lessons", "99_nothing", "03_truncated_bptt", "04_training"]),
    (["--students", "0", "--lessons", "03_truncated_bptt"], ["--students", "[1, 500]", "Got 0"]),
    (["--lessons", "03_truncated_bptt"], ["--students N"]),
    (["--students", "30", "--lessons", ""], ["--lessons", "03_truncated_bptt", "Got ''"]),
])
def test_serve_refuses_bad_class_options_in_one_clear_line_before_serving(args, words, capsys):
    assert cli_main(["serve", "--port", "1", *args]) == 2
    out, err = capsys.readouterr()
    assert "Serving" not in out and err.count("\n") == 1
    for word in words:
        assert word in err


def test_serve_refuses_a_missing_notebooks_directory(tmp_path, capsys):
    assert cli_main(["serve", "--notebooks", str(tmp_path / "nowhere")]) == 2
    assert "no notebooks directory" in capsys.readouterr().err


def test_a_server_that_exits_first_is_reported_with_its_output(tmp_path):
    with pytest.raises(serving.ServerFailed, match="exited with 2:\n.*no notebooks directory"):
        with serving.served(notebooks=tmp_path / "nowhere", start_timeout=60):
            pass


# --- Voila's arguments ---------------------------------------------------------------------------

def test_serve_uses_the_page_template_and_patient_executor_waits_and_no_preheating():
    argv = voila_argv("notebooks", "127.0.0.1", 9999)
    assert "--template=bpttviz" in argv
    for key, value in EXECUTOR_TIMEOUTS.items():
        assert f"--VoilaExecutor.{key}={value}" in argv
    assert EXECUTOR_TIMEOUTS["iopub_timeout"] >= 60          # nbclient's 4 s emptied pages
    assert not [a for a in argv if "preheat" in a or "kernel_pools_config" in a]
    assert not [a for a in argv if a.startswith("--VoilaExecutor.timeout")]   # cells unlimited
    if os.name == "posix":             # no two kernels started at once can draw one port
        assert "--KernelManager.transport=ipc" in argv
    assert "--KernelRestarter.restart_limit=0" in argv          # a dead kernel is removed
    assert "--Voila.kernel_websocket_connection_class=" \
        "bpttviz.serve.ratelimit.RateLimitedConnection" in argv


def test_serve_runs_voila_with_sources_stripped_tracebacks_hidden_and_idle_kernels_culled():
    argv = voila_argv("notebooks", "127.0.0.1", 9999)
    assert argv[0] == "notebooks"
    for flag in ("--Voila.ip=127.0.0.1", "--port=9999", "--strip_sources=True",
                 "--show_tracebacks=False", "--no-browser",
                 "--MappingKernelManager.cull_interval=30",
                 "--MappingKernelManager.cull_idle_timeout=120"):
        assert flag in argv


def test_the_class_full_page_goes_through_voilas_public_prelaunch_hook_only_with_a_limit():
    from bpttviz.serve.warm import class_full_hook

    argv = voila_argv("notebooks", "127.0.0.1", 9999, extra=["--VoilaExecutor.iopub_timeout=5"])
    assert argv[-1] == "--VoilaExecutor.iopub_timeout=5"
    assert serving.voila_config(12).VoilaConfiguration.prelaunch_hook is class_full_hook
    assert "prelaunch_hook" not in serving.voila_config(None).VoilaConfiguration


def test_the_page_template_ships_with_the_package_and_extends_lab():
    folder = serving.template_root() / "voila" / "templates" / serving.TEMPLATE
    assert json.loads((folder / "conf.json").read_text())["base_template"] == "lab"
    page = (folder / "index.html.j2").read_text()
    assert "extends 'lab/index.html.j2'" in page
    for needed in (".bpttviz-app", "bpttviz-retry", "bpttviz-page-problem", "'app'"):
        assert needed in page


def test_every_lesson_asks_for_the_watchdog_and_follows_its_request():
    import nbformat

    for name in LESSONS:
        nb = nbformat.read(lessons_dir() / f"{name}.ipynb", as_version=4)
        assert nb.metadata["bpttviz"]["app"] is True, name
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert any("app.follow_request()" in c for c in code), name
    index = nbformat.read(lessons_dir() / "index.ipynb", as_version=4)
    assert not index.metadata.get("bpttviz", {}).get("app")      # no app, no watchdog


# --- refilling the pool --------------------------------------------------------------------------

def test_refill_waits_for_a_quiet_server_and_adds_one_kernel_at_a_time():
    quiet = serving.REFILL_QUIET_S
    busy_ok = serving.REFILL_MAX_BUSY / 2
    missing = {"a.ipynb": 2, "b.ipynb": 5, "c.ipynb": 0}
    assert serving.refill_decision(100.0, 100.0 - quiet - 1, busy_ok, 0, missing) == "b.ipynb"
    # a student asked for a page lately: students first
    assert serving.refill_decision(100.0, 100.0 - quiet + 1, busy_ok, 0, missing) is None
    # the processors are busy (students moving sliders): wait
    assert serving.refill_decision(100.0, 0.0, serving.REFILL_MAX_BUSY, 0, missing) is None
    # one kernel of the pool still starting: one at a time
    assert serving.refill_decision(100.0, 0.0, busy_ok, 1, missing) is None
    # nothing missing
    assert serving.refill_decision(100.0, 0.0, busy_ok, 0, {"a.ipynb": 0}) is None


def test_cpu_busy_sampler_gives_a_fraction():
    sample = serving.cpu_busy_sampler()
    sum(i * i for i in range(200_000))
    assert 0.0 <= sample() <= 1.0


def test_the_kernel_managers_keep_warm_kernels_and_cull_side_by_side(monkeypatch):
    voila_app = pytest.importorskip("voila.app")
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    monkeypatch.setattr(voila_app, "voila_kernel_manager_factory",
                        voila_app.voila_kernel_manager_factory)
    serving.install_kernel_managers(warm=3, max_students=9)
    serving.install_kernel_managers(warm=4, max_students=9)      # again: the last one counts
    factory = voila_app.voila_kernel_manager_factory
    cls = factory(AsyncMappingKernelManager, False, 0)
    names = [c.__name__ for c in cls.__mro__]
    assert names[:3] == ["BpttvizKernelManager", "WarmKernels", "ConcurrentCulling"]
    assert "VoilaKernelManager" not in names             # Voila's preheating is not used
    assert (cls.warm_target, cls.max_students) == (4, 9)


def test_idle_kernels_are_culled_side_by_side():
    import asyncio
    import logging

    Culling = serving.ConcurrentCulling

    class Manager(Culling):
        log = logging.getLogger("test")

        def __init__(self):
            self._kernels = {"a": 1, "b": 2, "c": 3, "broken": 4}
            self.running, self.most, self.ended = 0, 0, []

        def list_kernel_ids(self):
            return list(self._kernels)

        async def cull_kernel_if_idle(self, kernel_id):
            if kernel_id == "broken":
                raise RuntimeError("no such kernel")
            self.running += 1
            self.most = max(self.most, self.running)
            await asyncio.sleep(0.05)          # a shutdown in progress
            self.running -= 1
            self.ended.append(kernel_id)

    m = Manager()
    asyncio.run(m.cull_kernels())
    assert sorted(m.ended) == ["a", "b", "c"]   # one failure does not stop the others
    assert m.most == 3                          # all at once, not one after another


# --- the query string of a preheated page ---------------------------------------------------------

def test_apply_query_leaves_the_app_as_building_it_with_that_query_would():
    query = "k2=25&radius=1.1&projector=1&nonsense=3"
    built = TruncationApp(query=query)
    later = TruncationApp(query="")
    problems = later.apply_query(query)
    assert later.values() == built.values()
    assert later.page_options == built.page_options == {"projector": "1"}
    assert later.notes.value == built.notes.value and "nonsense=3" in later.notes.value
    assert problems and "nonsense=3" in problems[0]
    assert later.runs == 2 and later.result is not None
    # applied again: back to the defaults, the old notes gone
    later.apply_query("")
    assert later.values() == TruncationApp(query="").values()
    assert later.page_options == {} and "nonsense" not in later.notes.value


def test_apply_query_without_a_change_keeps_the_figures_and_sets_the_link():
    app = TruncationApp(query="")
    page = "http://127.0.0.1:8866/voila/render/03_truncated_bptt.ipynb"
    app.apply_query("", page_url=page)
    assert app.runs == 1                                       # nothing recomputed
    assert app.link_url().startswith(page + "?") and page in app.link.value


def test_follow_request_does_nothing_where_the_kernel_was_not_preheated():
    app = TruncationApp(query="")
    os.environ["QUERY_STRING"] = "k2=25"       # already read at build time in plain Voila
    try:
        app.follow_request()
    finally:
        del os.environ["QUERY_STRING"]
    assert not preheated() and app.runs == 1 and app.values()["k2"] == 10


def test_follow_request_applies_the_request_a_preheated_kernel_waited_for(monkeypatch):
    voila_utils = pytest.importorskip("voila.utils")
    app = TruncationApp(query="")                 # built before anyone asked for the page
    calls = []

    def request_arrives(url=None):
        calls.append(url)
        os.environ.update({"QUERY_STRING": "k2=25&step=2", "SERVER_NAME": "10.0.0.5",
                           "SERVER_PORT": "8866",
                           "SCRIPT_NAME": "/voila/render/03_truncated_bptt.ipynb"})

    monkeypatch.setattr(voila_utils, "wait_for_request", request_arrives)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    # Voila hands the preheated kernel the address of another request; it must not be used.
    monkeypatch.setenv("VOILA_REQUEST_URL", "http://elsewhere:1/voila/render/x.ipynb?k2=3")
    try:
        app.follow_request()
    finally:
        for name in ("QUERY_STRING", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME"):
            os.environ.pop(name, None)
    assert calls == [None]
    assert app.values()["k2"] == 25 and app.page_options == {"step": "2"}
    assert app.link_url().startswith("http://10.0.0.5:8866/voila/render/03_truncated_bptt.ipynb?")
    assert "k2=25" in app.link_url() and app.message.value == ""


def test_follow_request_shows_a_failed_wait_in_the_page(monkeypatch):
    voila_utils = pytest.importorskip("voila.utils")

    def broken(url=None):
        raise ConnectionError("the server went away")

    monkeypatch.setattr(voila_utils, "wait_for_request", broken)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    app = TruncationApp(query="")
    app.follow_request()
    assert "read the page" in app.message.value and "the server went away" in app.message.value


@pytest.mark.parametrize("environ, url", [
    ({"SERVER_NAME": "h", "SERVER_PORT": "8866", "SCRIPT_NAME": "/voila/render/a.ipynb"},
     "http://h:8866/voila/render/a.ipynb"),
    ({"SERVER_NAME": "h", "SERVER_PORT": "80", "SCRIPT_NAME": "/voila/render/a.ipynb"},
     "http://h/voila/render/a.ipynb"),
    ({"SERVER_NAME": "h", "SERVER_PORT": "443", "SCRIPT_NAME": "/p/a.ipynb",
      "VOILA_REQUEST_URL": "https://h/p/b.ipynb"}, "https://h/p/a.ipynb"),
    ({"SERVER_NAME": "", "SCRIPT_NAME": "/a.ipynb"}, ""),
])
def test_the_page_address_is_rebuilt_from_the_request(environ, url):
    assert page_url_from(environ) == url


def test_a_preheated_kernel_has_its_figures_before_the_page_and_they_are_a_cold_pages(
        monkeypatch):
    from bpttviz.figures import records_equal
    voila_utils = pytest.importorskip("voila.utils")
    monkeypatch.setattr(voila_utils, "wait_for_request", lambda url=None: None)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    warm, cold = TruncationApp(query=""), TruncationApp(query="")
    # Computed and encoded while the kernel waits: the page draws from the state it is sent.
    ready = {name: (fig.version, fig.bytes_sent) for name, fig in warm.figures.items()}
    assert all(version == 1 and sent > 0 for version, sent in ready.values())
    warm.follow_request()                       # a page with no settings takes the kernel
    assert warm.runs == 1 and warm.message.value == ""
    assert {name: (fig.version, fig.bytes_sent) for name, fig in warm.figures.items()} == ready
    for name, fig in warm.figures.items():
        assert records_equal(fig.record, cold.figures[name].record), name
        assert fig.spec == cold.figures[name].spec, name


# --- warm kernels ---------------------------------------------------------------------------------

class FakeKernels:
    """Just what :class:`WarmKernels` uses of jupyter_server's kernel manager: kernels that
    take ``start_s`` seconds to start, can be killed, and record the code they run."""

    import logging
    log = logging.getLogger("test")
    start_s = 0.05

    def __init__(self, **kwargs):
        self.kernels, self.ran, self.culled, self.ended, self.callbacks = {}, {}, [], [], {}
        self.started_for_pages = 0

    async def start_kernel(self, kernel_name=None, path=None, env=None, **kwargs):
        import asyncio

        await asyncio.sleep(self.start_s)
        kernel_id = f"k{len(self.kernels) + len(self.ended) + 1}"
        self.kernels[kernel_id] = True
        self.started_for_pages += env is not None
        return kernel_id

    def __contains__(self, kernel_id):
        return kernel_id in self.kernels

    def list_kernel_ids(self):
        return list(self.kernels)

    def get_kernel(self, kernel_id):
        alive = self.kernels[kernel_id]

        class Km:
            async def is_alive(self):
                return alive
        return Km()

    def add_restart_callback(self, kernel_id, callback, event="restart"):
        self.callbacks[kernel_id] = callback

    async def shutdown_kernel(self, kernel_id, now=False):
        self.kernels.pop(kernel_id)
        self.ended.append(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id):
        self.culled.append(kernel_id)

    def cwd_for_path(self, path):
        return f"/root/{path}"

    async def run_code(self, kernel_id, code):
        self.ran.setdefault(kernel_id, []).append(code)


def warm_manager(target, max_students=None):
    from bpttviz.serve.warm import WarmKernels

    return type("Manager", (WarmKernels, FakeKernels),
                {"warm_target": target, "max_students": max_students, "run_code":
                 FakeKernels.run_code})()


PAGE = {"VOILA_PREHEAT": "False", "QUERY_STRING": "k2=25", "SERVER_NAME": "10.0.0.5",
        "SCRIPT_NAME": "/voila/render/03_truncated_bptt.ipynb", "HOME": "/not/given"}


def test_a_warm_kernel_takes_a_page_with_its_request_and_folder():
    import asyncio

    async def scenario():
        m = warm_manager(2)
        while len(m.warm) < 2:
            await asyncio.sleep(0.01)
        kernel_id = await m.start_kernel("python3", path="lessons", env=dict(PAGE))
        return m, kernel_id

    m, kernel_id = asyncio.run(scenario())
    assert m.ran[kernel_id][0] == serving.warm.PRELUDE             # heated: bpttviz imported
    code = m.ran[kernel_id][1]
    namespace = {}
    os_environ = dict(os.environ)
    import unittest.mock
    with unittest.mock.patch("os.chdir") as chdir, unittest.mock.patch.dict(os.environ):
        exec(code, namespace)
        assert os.environ["QUERY_STRING"] == "k2=25" and os.environ["SERVER_NAME"] == "10.0.0.5"
        assert os.environ["VOILA_PREHEAT"] == "False"            # app.follow_request(): no-op
        assert os.environ.get("HOME") == os_environ.get("HOME")  # only the request's keys
    chdir.assert_called_once_with("/root/lessons")
    assert m.started_for_pages == 0 and m.in_use() == 1 and m.warm == ["k2"]


def test_a_page_during_heating_takes_the_next_warm_kernel_and_never_waits_for_nothing():
    import asyncio

    async def scenario():
        m = warm_manager(4)
        m.start_s = 0.2
        await asyncio.sleep(0.01)                  # heating: two kernels starting, none warm
        assert m.heating == 2 and not m.warm
        pages = [asyncio.ensure_future(m.start_kernel("python3", path="", env=dict(PAGE)))
                 for _ in range(3)]
        got = await asyncio.gather(*pages)
        return m, got

    m, got = asyncio.run(scenario())
    # two pages got the two kernels heating, in order; the third had none promised and
    # started its own at once (a pool never makes a page wait longer than no pool)
    assert got[:2] == ["k1", "k2"] and m.started_for_pages == 1
    assert m.in_use() == 3


def test_warm_kernels_are_not_culled_and_a_dead_one_is_never_handed_out():
    import asyncio

    async def scenario():
        m = warm_manager(3)
        while len(m.warm) < 3:
            await asyncio.sleep(0.01)
        for kernel_id in list(m.kernels):
            await m.cull_kernel_if_idle(kernel_id)
        assert m.culled == []                          # waiting for students, by design
        m.kernels["k1"] = False                        # killed while waiting
        m.kernels.pop("k2")                            # died, removed by the server ...
        m.callbacks["k2"]()                            # ... which tells the pool
        await asyncio.sleep(0.01)
        first = await m.start_kernel("python3", path="", env=dict(PAGE))
        taken = await m.start_kernel("python3", path="", env=dict(PAGE))
        await m.cull_kernel_if_idle(taken)
        return m, first, taken

    m, first, taken = asyncio.run(scenario())
    assert first == "k3" and m.ended == ["k1"]           # found dead when asked: ended
    assert "k2" not in m.warm
    assert m.culled == [taken] and taken not in ("k1", "k2")      # a page's kernel: culled


def test_landing_pages_share_a_kernel_and_other_kernel_specs_never_take_a_warm_one():
    import asyncio

    async def scenario():
        m = warm_manager(1)
        while len(m.warm) < 1:
            await asyncio.sleep(0.01)
        env = dict(PAGE, SCRIPT_NAME="/voila/render/index.ipynb")
        landing = await asyncio.gather(*(m.start_kernel("python3", path="", env=env)
                                         for _ in range(3)))
        assert len(set(landing)) == 1 and landing[0] != "k1"    # one kernel shared, not warm
        m.kernels[landing[0]] = False                            # died (or culled)
        assert await m.start_kernel("python3", path="", env=env) != landing[0]

        await m.start_kernel("julia-1.10", path="", env=dict(PAGE))     # not our kernel spec
        return m

    m = asyncio.run(scenario())
    assert m.warm == ["k1"] and m.in_use() == 1 and m.started_for_pages == 3


def test_past_max_students_a_lesson_page_gets_503_and_the_landing_page_passes():
    import asyncio
    from types import SimpleNamespace

    from tornado.web import HTTPError

    from bpttviz.serve.warm import CLASS_FULL, class_full_hook

    async def scenario():
        m = warm_manager(0, max_students=2)

        def handler(path="/voila/render/03_truncated_bptt.ipynb"):
            return SimpleNamespace(kernel_manager=m, request=SimpleNamespace(path=path))

        class_full_hook(handler())
        class_full_hook(handler())          # two pages let in at once, kernels not yet started
        with pytest.raises(HTTPError) as err:
            class_full_hook(handler())
        assert err.value.status_code == 503 and err.value.log_message == CLASS_FULL
        class_full_hook(handler("/voila/render/index.ipynb"))
        # while the two kernels start, the two places stay taken
        starting = [asyncio.ensure_future(m.start_kernel("python3", path="", env=dict(PAGE)))
                    for _ in range(2)]
        await asyncio.sleep(0.01)
        assert m.in_use() == 2
        with pytest.raises(HTTPError):
            class_full_hook(handler())
        kernel_id, _ = await asyncio.gather(*starting)
        assert m.in_use() == 2
        await m.shutdown_kernel(kernel_id)             # a student left (culled)
        class_full_hook(handler())                     # room again

    asyncio.run(scenario())


def test_page_templates_are_compiled_once_per_process_and_again_when_edited(monkeypatch):
    nbconvert = pytest.importorskip("nbconvert")
    from jinja2 import DictLoader, Environment

    from bpttviz.upstream import nbconvert_templates as nt

    monkeypatch.setattr(nbconvert.exporters.templateexporter.TemplateExporter,
                        "_create_environment",
                        nbconvert.exporters.templateexporter.TemplateExporter._create_environment)
    nt.share_compiled_templates()
    nt.share_compiled_templates()                       # twice is once
    env = nbconvert.HTMLExporter().environment
    assert env.bytecode_cache is nt.SHARED
    cache = nt.SharedBytecode()
    compiled = []

    def environment(source, **options):
        e = Environment(loader=DictLoader({"page.html": source}), bytecode_cache=cache,
                        **options)
        real = e._compile
        e._compile = lambda *a: compiled.append(1) or real(*a)
        return e

    for _ in range(3):                                  # three pages, one compilation
        assert environment("Hello {{ name }}").get_template("page.html").render(name="a") == \
            "Hello a"
    assert len(compiled) == 1
    assert environment("Bye {{ name }}").get_template("page.html").render(name="a") == "Bye a"
    assert len(compiled) == 2                           # edited: compiled anew
    environment("Bye {{ name }}", enable_async=True).get_template("page.html")
    assert len(compiled) == 3                           # other options: compiled anew
