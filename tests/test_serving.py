"""Serving a class: the options a lecturer gives, the kernels kept ready and when they are
refilled, Voila's arguments, the page template, and the query string reaching a preheated app."""

import json
import os

import pytest

from bpttviz import serve as serving
from bpttviz.app import TruncationApp
from bpttviz.app.request import page_url_from, preheated
from bpttviz.cli import main as cli_main
from bpttviz.serve import EXECUTOR_TIMEOUTS, lesson_names, lessons_dir, voila_argv

LESSONS = lesson_names(lessons_dir())


@pytest.fixture(autouse=True)
def no_voila_environment(monkeypatch):
    for name in ("QUERY_STRING", "VOILA_REQUEST_URL", "VOILA_PREHEAT", "SERVER_NAME",
                 "SERVER_PORT", "SCRIPT_NAME"):
        monkeypatch.delenv(name, raising=False)


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


def test_students_are_shared_out_evenly_the_first_lessons_one_more():
    assert serving.split_students(30, ["a", "b", "c"]) == {"a": 10, "b": 10, "c": 10}
    assert serving.split_students(31, ["a", "b", "c"]) == {"a": 11, "b": 10, "c": 10}
    assert serving.split_students(2, ["a", "b", "c"]) == {"a": 1, "b": 1, "c": 0}
    assert sum(serving.split_students(60, LESSONS).values()) == 60


@pytest.mark.parametrize("bad", [0, -3, 501, True, 2.5, "30"])
def test_a_bad_number_of_students_is_refused_naming_the_option_and_range(bad):
    with pytest.raises(ValueError, match=r"'--students'.*\[1, 500\]\. Got"):
        serving.split_students(bad, ["a"])


def test_only_the_named_lessons_are_preheated():
    config = serving.pool_config({"02_vanishing_exploding": 2, "03_truncated_bptt": 0})
    assert config == {"default": {"pool_size": 0}, "02_vanishing_exploding.ipynb": {"pool_size": 2}}


def test_the_pool_memory_is_stated():
    note = serving.pool_memory_note({"a": 20, "b": 10})
    assert f"30 x {serving.KERNEL_MB} MB" in note
    assert f"{30 * serving.KERNEL_MB / 1024:.1f} GB" in note and "a: 20, b: 10" in note


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


def test_a_server_that_exits_first_is_reported_with_its_output(tmp_path):
    with pytest.raises(serving.ServerFailed, match="exited with 2:\n.*no notebooks directory"):
        with serving.served(notebooks=tmp_path / "nowhere", start_timeout=60):
            pass


# --- Voila's arguments ---------------------------------------------------------------------------

def test_serve_uses_the_page_template_and_patient_executor_waits_without_a_pool():
    argv = voila_argv("notebooks", "127.0.0.1", 9999)
    assert "--template=bpttviz" in argv
    for key, value in EXECUTOR_TIMEOUTS.items():
        assert f"--VoilaExecutor.{key}={value}" in argv
    assert EXECUTOR_TIMEOUTS["iopub_timeout"] >= 60          # nbclient's 4 s emptied pages
    assert not [a for a in argv if "preheat" in a or "kernel_pools_config" in a]
    assert not [a for a in argv if a.startswith("--VoilaExecutor.timeout")]   # cells unlimited
    if os.name == "posix":             # no two kernels started at once can draw one port
        assert "--KernelManager.transport=ipc" in argv


def test_serve_with_a_class_preheats_the_named_lessons_and_passes_extra_arguments_last():
    pools = {"02_vanishing_exploding": 15, "03_truncated_bptt": 15}
    argv = voila_argv("notebooks", "127.0.0.1", 9999, pools=pools,
                      extra=["--VoilaExecutor.iopub_timeout=5"])
    assert "--preheat_kernel=True" in argv
    assert argv[-1] == "--VoilaExecutor.iopub_timeout=5"
    # The pools, a dict of dicts, go as configuration: traitlets deprecates them on the
    # command line (tests/test_cli.py reads the server's log for the warning).
    assert not [a for a in argv if "kernel_pools_config" in a]
    config = serving.voila_config(pools)
    assert config.VoilaKernelManager.kernel_pools_config == serving.pool_config(pools)
    assert "VoilaKernelManager" not in serving.voila_config(None)


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

def test_refill_waits_for_a_quiet_server_and_adds_to_the_emptiest_pool_one_at_a_time():
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


def test_the_kernel_managers_cull_side_by_side_and_pools_only_with_preheating(monkeypatch):
    voila_app = pytest.importorskip("voila.app")
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    monkeypatch.setattr(voila_app, "voila_kernel_manager_factory",
                        voila_app.voila_kernel_manager_factory)
    serving.install_kernel_managers()
    serving.install_kernel_managers()                   # twice is once
    factory = voila_app.voila_kernel_manager_factory
    pooled = factory(AsyncMappingKernelManager, True, 0)
    names = [c.__name__ for c in pooled.__mro__]
    assert names[:4] == ["ClassroomKernelManager", "ClassroomPools", "ConcurrentCulling",
                         "VoilaKernelManager"]
    plain = factory(AsyncMappingKernelManager, False, 0)
    names = [c.__name__ for c in plain.__mro__]
    assert "ClassroomPools" not in names and names[1] == "ConcurrentCulling"


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


def test_a_pool_kernel_that_failed_while_heating_is_never_handed_out():
    import asyncio
    import logging

    Pools = serving.ClassroomPools

    class Base:
        log = logging.getLogger("test")

        def get_pool_size(self, notebook_name):
            return len(self._pools.get(notebook_name, []))

        def __contains__(self, kernel_id):
            return kernel_id in self.alive

    class Manager(Pools, Base):
        def __init__(self):           # only what the purge reads
            self.alive = {"good", "failed-run"}
            self.ended = []

        async def shutdown_kernel(self, kernel_id, now=False):
            self.ended.append(kernel_id)

    async def scenario():
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()                  # a healthy kernel waits for its page
        failed = loop.create_future()
        failed.set_exception(RuntimeError("Kernel died before replying to kernel_info"))

        def item(kernel_id, render):
            f = loop.create_future()
            f.set_result({"kernel_id": kernel_id, "task": render, "renderer": None})
            return f

        m = Manager()
        m._pools = {"a.ipynb": [item("dead", waiting), item("failed-run", failed),
                                item("good", waiting)]}
        size = m.get_pool_size("a.ipynb")
        await asyncio.sleep(0)
        kept = [t.result()["kernel_id"] for t in m._pools["a.ipynb"]]
        waiting.cancel()
        return size, kept, m.ended

    size, kept, ended = asyncio.run(scenario())
    assert size == 1 and kept == ["good"]
    assert ended == ["failed-run"]          # a kernel still running is ended, not leaked
