"""The ``bpttviz`` command: the lessons it serves from any folder, the copies it makes for
editing, and the clear line it gives, before anything else, when the port is taken."""

import json
import socket
import subprocess
import sys

import pytest

from bpttviz.cli import main as cli_main
from bpttviz.lessons import LESSONS
from bpttviz.serve import copy_lessons, lessons_dir, port_problem
from bpttviz.serve import lessons_dir as default_notebooks


def test_the_lessons_ship_inside_the_package():
    shipped = sorted(p.name for p in lessons_dir().glob("*.ipynb"))
    assert "index.ipynb" in shipped and len(shipped) >= 7
    assert lessons_dir().name == "notebooks"
    assert default_notebooks() == lessons_dir()


def test_lessons_copies_every_notebook_and_never_overwrites_an_edit(tmp_path, capsys):
    dest = tmp_path / "my lessons"
    assert cli_main(["lessons", str(dest)]) == 0
    copied = sorted(p.name for p in dest.glob("*.ipynb"))
    assert copied == sorted(p.name for p in lessons_dir().glob("*.ipynb"))
    assert "bpttviz serve --notebooks" in capsys.readouterr().out
    for name in copied:          # the copies are the notebooks, byte for byte
        assert (dest / name).read_bytes() == (lessons_dir() / name).read_bytes()

    edited = dest / "index.ipynb"
    edited.write_text(json.dumps({"edited": True}))
    assert cli_main(["lessons", str(dest)]) == 2
    err = capsys.readouterr().err
    assert "index.ipynb" in err and "--overwrite" in err and "nothing was copied" in err
    assert json.loads(edited.read_text()) == {"edited": True}

    assert cli_main(["lessons", str(dest), "--overwrite"]) == 0
    assert edited.read_bytes() == (lessons_dir() / "index.ipynb").read_bytes()


def test_lessons_refuses_a_file_as_the_folder(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(NotADirectoryError, match="must be a folder"):
        copy_lessons(target)


def test_a_busy_port_is_one_clear_line_before_serving(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert "already in use" in port_problem("127.0.0.1", port)
        assert cli_main(["serve", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert "Serving" not in out
    assert err.count("\n") == 1 and f"port {port}" in err and "--port" in err


def test_a_free_port_has_no_problem():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert port_problem("127.0.0.1", port) is None


def test_ports_chosen_together_are_different_and_free():
    from bpttviz.serve import free_ports

    ports = free_ports(30)
    assert len(set(ports)) == 30
    assert all(port_problem("127.0.0.1", p) is None for p in ports)


def test_an_unresolvable_host_is_said():
    assert "cannot be resolved" in port_problem("no-such-host.invalid", 8866)


def test_the_command_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "bpttviz.cli", "lessons", "--help"],
                         capture_output=True, text=True, check=True)
    assert "DIR" in out.stdout and "--overwrite" in out.stdout


def test_lessons_can_copy_only_what_a_folder_lacks_keeping_its_edits(tmp_path, capsys):
    dest = tmp_path / "lab"
    dest.mkdir()
    edited = dest / "03_truncated_bptt.ipynb"
    edited.write_text(json.dumps({"edited": True}))
    assert cli_main(["lessons", str(dest), "--keep-existing"]) == 0
    assert "kept 1 already there" in capsys.readouterr().out
    assert json.loads(edited.read_text()) == {"edited": True}
    assert sorted(p.name for p in dest.glob("*.ipynb")) == \
        sorted(p.name for p in lessons_dir().glob("*.ipynb"))
    assert cli_main(["lessons", str(dest), "--keep-existing"]) == 0      # again: nothing to do
    assert "Copied 0 notebooks" in capsys.readouterr().out
    assert json.loads(edited.read_text()) == {"edited": True}


# --- the command line explains itself -----------------------------------------------------------

COMMANDS = ["serve", "slides", "lessons", "hub-config"]


def _help(*command):
    """What ``bpttviz [command] --help`` prints, and its exit status."""
    out = subprocess.run([sys.executable, "-m", "bpttviz.cli", *command, "--help"],
                         capture_output=True, text=True)
    return out.returncode, out.stdout


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)],
                         ids=["bpttviz", *COMMANDS])
def test_help_describes_the_command_and_shows_examples_in_plain_text(command):
    from bpttviz.cli import DESCRIPTIONS, EXAMPLES

    status, text = _help(*command)
    name = command[0] if command else "bpttviz"
    assert status == 0
    assert DESCRIPTIONS[name].split("\n")[0] in text
    examples = text[text.index("\nexamples:\n"):]
    assert f"  bpttviz {command[0] if command else 'serve'}" in examples
    shown = [line for line in EXAMPLES[name].splitlines() if line.startswith("  bpttviz ")]
    assert len(shown) >= 2 and all(line in examples for line in shown)
    assert "``" not in text and ":mod:" not in text and ":func:" not in text   # no reST


def test_serve_help_says_what_a_student_costs_and_how_big_a_class_is():
    text = " ".join(_help("serve")[1].split())          # as read, not as wrapped
    assert "no kernel per student" in text and "about 10 MB of memory per student" in text
    assert "--lessons NAME,NAME the lessons the class will open" in text
    assert "a student may open any lesson" in text
    assert "--max-students N at most N lesson pages at once" in text
    assert "the class is full" in text
    assert "--workers N server processes" in text and "nginx" in text
    assert "bpttviz serve --students 30 --max-students 40" in text and "03_truncated_bptt" in text


@pytest.mark.parametrize("command", [["serve"], ["slides"], ["hub-config"]])
@pytest.mark.parametrize("bad", ["0", "65536", "99999", "-1", "eighty"])
def test_a_port_outside_1_to_65535_is_refused_before_anything_starts(command, bad, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli_main([*command, "--port", bad])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Serving" not in err
    assert f"argument --port: must be a TCP port, a whole number from 1 to 65535. " \
           f"Got '{bad}' instead." in err


@pytest.mark.parametrize("good", ["1", "8866", "65535"])
def test_ports_1_to_65535_are_accepted(good):
    from bpttviz.cli import port

    assert port(good) == int(good)


# --- a class's lessons -------------------------------------------------------------------------

@pytest.fixture
def served_pools(monkeypatch):
    """What ``bpttviz serve`` would serve with (the server itself not started)."""
    import bpttviz.cli

    seen = []
    monkeypatch.setattr(bpttviz.cli, "serve_lessons", lambda notebooks, **kw: seen.append(kw))
    return seen


def test_students_lessons_and_the_limit_reach_the_server(served_pools):
    from bpttviz.serve import free_port

    assert cli_main(["serve", "--port", str(free_port()), "--students", "14"]) == 0
    assert served_pools[0]["students"] == 14
    two = ",".join(cls.page_name() for cls in list(LESSONS.values())[:2])
    assert cli_main(["serve", "--port", str(free_port()), "--students", "30", "--lessons",
                     two]) == 0
    assert served_pools[1]["students"] == 30
    assert cli_main(["serve", "--port", str(free_port())]) == 0          # no class: no pool
    assert served_pools[2]["students"] is None and served_pools[2]["max_students"] is None
    assert cli_main(["serve", "--port", str(free_port()), "--max-students", "40"]) == 0
    assert served_pools[3]["max_students"] == 40


def test_a_bad_max_students_is_refused_in_one_line(served_pools, capsys):
    assert cli_main(["serve", "--port", "1", "--max-students", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'--max-students'" in err and "Got -1" in err
    assert not served_pools


@pytest.mark.parametrize("typed, meant", [
    ("03_truncation", "03_truncated_bptt"),        # the number typed decides
    ("07_truncation", "07_beyond_truncation"),
    *((cls.slug, cls.page_name()) for cls in LESSONS.values()),                  # no number
    *((cls.page_name().replace("_", "-"), cls.page_name()) for cls in LESSONS.values()),
])
def test_a_mistyped_lesson_gets_a_did_you_mean(typed, meant, served_pools, capsys):
    first = next(iter(LESSONS.values())).page_name()
    assert cli_main(["serve", "--port", "1", "--students", "4", "--lessons",
                     f"{first},{typed}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not served_pools
    assert f"Got {typed} instead; did you mean {meant}?" in err


def test_a_name_like_no_lesson_gets_the_list_and_no_guess(capsys):
    assert cli_main(["serve", "--port", "1", "--students", "4", "--lessons", "lstm"]) == 2
    err = capsys.readouterr().err
    assert "Got lstm instead." in err and "did you mean" not in err
    assert "05_rnn_lstm_gru" in err                     # the lessons there are


def test_two_mistyped_lessons_get_a_guess_each():
    from bpttviz.serve import lesson_names, parse_lessons

    with pytest.raises(ValueError) as err:
        parse_lessons("03_truncation,trainin", lesson_names())
    assert "did you mean 03_truncated_bptt for 03_truncation, 04_training for trainin?" \
        in str(err.value)


# --- the lecturer's console ---------------------------------------------------------------------

def test_a_class_server_prepares_says_ready_and_prints_no_warning(tmp_path):
    """The lecturer's console while the class's lessons are prepared and a page is served."""
    import asyncio
    import re
    import urllib.request
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from _client import connected, load_page

    from bpttviz.serve import served

    async def open_lesson(url):
        async with connected(load_page("hall", url, "03_truncated_bptt")) as page:
            return await page.open_widgets("bpttviz-control-k2")

    log = tmp_path / "serve.log"
    with served(extra_args=["--students", "3", "--lessons", "03_truncated_bptt",
                            "--max-students", "10"], log=log,
                ready_line="ready for 3 students", start_timeout=180) as server:
        with urllib.request.urlopen(server.url + "/voila/render/index.ipynb", timeout=180) as r:
            assert r.status == 200 and b"03_truncated_bptt" in r.read()
        slider = asyncio.run(open_lesson(server.url))
        assert slider is not None and slider[1]["value"] == 10     # lesson 3's app, built
        text = log.read_text()           # while it serves
    assert "Preparing for 3 students" in text
    assert "At most 10 students at once (--max-students)" in text
    assert re.search(r"ready for 3 students \(1 lesson prepared in \d+\.\d s\)", text)
    assert "Warning" not in text and "WARNING" not in text and "Traceback" not in text, text
    assert "deprecated" not in text.lower(), text


def test_only_the_trust_warning_is_left_out_of_the_log():
    import logging

    from bpttviz.serve.server import UNTRUSTED, _WithoutTrustWarnings

    def record(msg, *args):
        return logging.LogRecord("Voila", logging.WARNING, __file__, 1, msg, args, None)

    keep = _WithoutTrustWarnings().filter
    assert not keep(record(UNTRUSTED, "03_truncated_bptt.ipynb"))
    assert keep(record("Notebook %s is not valid", "x.ipynb"))
    assert keep(record("Kernel started: %s", "abc"))


def test_past_max_students_a_lesson_page_is_the_class_full_page_and_it_retries(tmp_path):
    """HTTP level: with --max-students 1, a second lesson page gets 503 and a readable page
    that tries again by itself and offers Retry; the landing page is still served."""
    import urllib.error
    import urllib.request

    from bpttviz.serve import served

    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=180) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    log = tmp_path / "serve.log"
    with served(extra_args=["--max-students", "1"], log=log, start_timeout=180) as server:
        lesson = server.url + "/voila/render/03_truncated_bptt.ipynb"
        assert get(lesson)[0] == 200
        status, html = get(lesson + "?k2=25")
        assert get(server.url + "/voila/render/index.ipynb")[0] == 200
        text = log.read_text()
    assert status == 503
    assert "The class is full; try again in a minute." in html
    assert 'class="bpttviz-retry" href=""' in html and ">Retry</a>" in html
    assert "window.location.reload()" in html and 'http-equiv="refresh"' in html
    assert "30 + Math.floor(Math.random() * 31)" in html          # 30-60 s, spread out
    assert "http" not in html.replace('http-equiv', '')         # nothing fetched from outside
    assert "At most 1 student at once (--max-students)" in text


# --- the class view ----------------------------------------------------------------------------

def test_class_takes_the_token_given_else_the_environments_else_a_fresh_one(served_pools,
                                                                          monkeypatch, tmp_path):
    from bpttviz.serve import free_port

    monkeypatch.delenv("BPTTVIZ_CLASS_TOKEN", raising=False)
    assert cli_main(["serve", "--port", str(free_port()), "--class", "--class-token",
                     "given-token-1", "--state-dir", str(tmp_path)]) == 0
    assert served_pools[0]["class_view"].token == "given-token-1"
    assert served_pools[0]["class_view"].state_dir == tmp_path
    monkeypatch.setenv("BPTTVIZ_CLASS_TOKEN", "env-token-22")
    assert cli_main(["serve", "--port", str(free_port()), "--class"]) == 0
    assert served_pools[1]["class_view"].token == "env-token-22"
    monkeypatch.delenv("BPTTVIZ_CLASS_TOKEN")
    assert cli_main(["serve", "--port", str(free_port()), "--class"]) == 0
    assert cli_main(["serve", "--port", str(free_port()), "--class"]) == 0
    fresh = served_pools[2]["class_view"].token, served_pools[3]["class_view"].token
    assert fresh[0] != fresh[1] and min(map(len, fresh)) >= 32
    assert cli_main(["serve", "--port", str(free_port())]) == 0
    assert served_pools[4]["class_view"] is None


def test_class_options_without_class_and_a_bad_token_are_refused_without_echoing_it(
        served_pools, capsys):
    assert cli_main(["serve", "--port", "1", "--class-token", "abcdefgh123"]) == 2
    assert "--class" in capsys.readouterr().err
    assert cli_main(["serve", "--port", "1", "--class", "--class-token", "short"]) == 2
    assert cli_main(["serve", "--port", "1", "--class", "--class-token", "bad token/x"]) == 2
    err = capsys.readouterr().err
    assert "8 to 256" in err and "short" not in err and "bad token" not in err
    assert not served_pools
