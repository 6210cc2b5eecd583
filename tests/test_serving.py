"""Serving a class: the options a lecturer gives, how many students fit, the lecture hall's
settings and page template, Voila's arguments (the slides, a hub user's server), and a page's
request reaching an app."""

import json
import os
import pathlib

import pytest

from bpttviz import serve as serving
from bpttviz.app import TruncationApp
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
    from bpttviz.serve.hall.capacity import RESERVE_MB

    mb = serving.PAGE_MB
    room = 10 * 1024
    fits = serving.default_max_students(room)
    assert fits == int((room - RESERVE_MB - serving.SERVER_MB) // mb)
    # each more server process takes its share
    assert serving.default_max_students(room, processes=2) == \
        int((room - RESERVE_MB - 2 * serving.SERVER_MB) // mb)
    assert serving.default_max_students(100) == 1                  # one always fits
    assert serving.default_max_students(None) is None              # unknown: no limit
    note = serving.capacity_note(30, fits, room, default=True)
    assert "Preparing for 30 students" in note
    assert f"At most {fits} students at once (from 10.0 GB available, {mb} MB per student)" \
        in note and "class is full" in note
    assert "(--max-students)" in serving.capacity_note(None, 12, room, default=False)
    assert "No limit" in serving.capacity_note(None, None, None, default=True)


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


# --- the lecture hall's settings and page ---------------------------------------------------------

def test_the_hall_runs_the_lessons_app_in_production_with_nothing_from_other_hosts(tmp_path):
    from bpttviz.serve.hall import PAGES_ENV, SESSION_KEEP, solara_environment

    env = solara_environment(tmp_path)
    assert env["SOLARA_APP"] == "bpttviz.serve.hall.pages"
    assert env["SOLARA_MODE"] == "production"              # no tracebacks, no hot reload
    assert env["SOLARA_ASSETS_PROXY"] == "True"            # fonts and scripts served locally
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env[PAGES_ENV] == str(tmp_path.resolve())
    # a page whose tab closed without a word is let go after SESSION_KEEP
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == SESSION_KEEP
    assert all(isinstance(v, str) for v in env.values())


def test_the_hall_page_template_ships_with_the_package_and_has_the_watchdog():
    from importlib.resources import files

    page = (files("bpttviz.serve.hall") / "templates" / "index.html.j2").read_text()
    assert page.lstrip().startswith("{#-") and '{%- extends "solara.html.j2" -%}' in page
    assert "document.documentElement.lang = 'en'" in page     # Solara's page names none
    for needed in (".bpttviz-app", "bpttviz-retry", "bpttviz-page-problem"):
        assert needed in page
    assert not [u for u in ("https://", "http://", "//cdn") if f'src="{u}' in page]


def test_every_lesson_asks_for_the_watchdog_and_shows_its_student_only_the_app():
    import nbformat

    notebooks = pathlib.Path(__file__).resolve().parents[1] / "notebooks"    # this checkout's
    for name in lesson_names(notebooks):
        nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
        assert nb.metadata["bpttviz"]["app"] is True, name
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        # The hall builds the page in the server: no plumbing for a student to read.
        assert code[0].startswith("from bpttviz.app import") and code[0].endswith("\napp"), name
        assert not [c for c in code[1:] if "app." in c or "follow_request" in c], name
    index = nbformat.read(notebooks / "index.ipynb", as_version=4)
    assert not index.metadata.get("bpttviz", {}).get("app")      # no app, no watchdog


# --- Voila's arguments (the slides, a hub user's server) -----------------------------------------

def test_voila_uses_the_page_template_and_patient_executor_waits_and_no_preheating():
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


def test_voila_runs_with_sources_stripped_tracebacks_hidden_and_idle_kernels_culled():
    argv = voila_argv("notebooks", "127.0.0.1", 9999, extra=["--VoilaExecutor.iopub_timeout=5"])
    assert argv[0] == "notebooks" and argv[-1] == "--VoilaExecutor.iopub_timeout=5"
    for flag in ("--Voila.ip=127.0.0.1", "--port=9999", "--strip_sources=True",
                 "--show_tracebacks=False", "--no-browser",
                 "--MappingKernelManager.cull_interval=30",
                 "--MappingKernelManager.cull_idle_timeout=120"):
        assert flag in argv
    # No Voila page uses the code colours, nor the lecture hall's Vue widgets.
    assert serving.voila_config().VoilaConfiguration.extension_denylist == \
        ["jupyterlab_pygments", "jupyter-vue", "jupyter-vuetify"]


def test_voilas_page_template_ships_with_the_package_and_extends_lab():
    folder = serving.template_root() / "voila" / "templates" / serving.TEMPLATE
    assert json.loads((folder / "conf.json").read_text())["base_template"] == "lab"
    page = (folder / "index.html.j2").read_text()
    assert "extends 'lab/index.html.j2'" in page
    for needed in (".bpttviz-app", "bpttviz-retry", "bpttviz-page-problem", "'app'"):
        assert needed in page


# --- the query string applied to an app already built -----------------------------------------

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
