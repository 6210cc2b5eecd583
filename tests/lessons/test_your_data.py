"""Lesson 4's "Your data": a file the user chooses becomes the task, read in the kernel's memory.

A good file (CSV with a header, ';', tab, a text) becomes the lesson's task, with a column
choice and a preview; every bad file gets one message in the page, the API's own words, and
leaves the running lesson exactly as it was. First driven as the page drives it (the upload's
bytes go to its handler); then in headless Chromium, where a CSV file chosen in the page's
file input reaches the kernel, becomes the task (column choice and preview drawn) and trains
with both curves drawn, a bad file gets its one message and the page keeps what it showed,
and the upload panel passes axe like the rest of the page.
"""

import builtins

import numpy as np
import pytest
from live import LINE_POINTS, drawn, line_points
from page_in_browser import blocking_violations, in_browser, open_lesson, wait_status
from page_in_kernel import text_of
from playwright.sync_api import expect

from bpttviz.app import TrainingApp
from bpttviz.lessons import your_data as your_data_module
from bpttviz.lessons.training import YOUR_DATA
from bpttviz.lessons.your_data import T_LOW, read_upload, sensible_T
from bpttviz.tasks import MAX_BYTES, CharLM, Series

PAGE = "04_training"
QUICK = "updates=10&T=12&k1_a=12&k2_a=3&k1_b=12&k2_b=12"


def periodic(n=120, period=12, seed=0):
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * np.arange(n) / period) + 0.2 * rng.normal(size=n)


def csv_bytes(values, delimiter=",", header=("month", "sales")):
    rows = [delimiter.join(header)] + [f"{i}{delimiter}{v:.6f}" for i, v in enumerate(values)]
    return "\n".join(rows).encode()


def upload(app, name, content, size=None):
    """What the page sends when a file is chosen: its name and size, its bytes in a buffer."""
    app.your_data.upload._handle_custom_msg(
        {"type": "file", "name": name, "size": len(content) if size is None else size},
        [memoryview(content)])


def errors(app):
    """The error notices the page shows, as text, one per box."""
    boxes = [v for v in (app.your_data.message.value, app.message.value, app.notes.value)
             if "bpttviz-error" in v]
    return [text_of(b) for b in boxes]


def state(app):
    """What the running lesson shows and uses."""
    return (app.values(), app.result, app.runs, app.user_data,
            {name: f.version for name, f in app.figures.items()}, app.readout.value,
            app.link.value, app.your_data.column.options, app.your_data.preview.version)


# --- good files -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, delimiter", [("sales.csv", ","), ("sales.csv", ";"),
                                              ("sales.tsv", "\t")])
def test_a_csv_file_becomes_the_task_with_a_column_choice_and_a_preview(name, delimiter):
    app = TrainingApp(query=QUICK)
    x = periodic()
    upload(app, name, csv_bytes(x, delimiter))
    assert errors(app) == []
    values = app.values()
    assert values["task"] == YOUR_DATA and values["T"] == sensible_T(120) == 24
    task = app.result.task
    assert isinstance(task, Series) and task.name == "sales" and task.seq_len == 24
    np.testing.assert_allclose(task.values, x, atol=1e-6)
    # the month column is numeric too, but a time axis: the sales are read
    panel = app.your_data
    assert panel.column.options == (("month", 0), ("sales", 1)) and panel.column.value == 1
    assert panel.preview in panel.widget.children
    line = [m for m in panel.preview.record.panels[0].marks if type(m).__name__ == "Line"][0]
    np.testing.assert_allclose(line.y, x, atol=1e-6)
    message = text_of(panel.message.value)
    assert "120 values in column 'sales'" in message
    assert "T = 24 steps" in text_of(app.readout.value)
    assert "repeats the last value" in str(app.records["loss"].panels[0].marks)
    assert "content" not in str(panel.upload.get_state())   # no copy in the widget's state


def test_another_column_is_read_from_the_bytes_kept_in_the_kernel():
    app = TrainingApp(query=QUICK)
    x = periodic()
    rows = ["a,b,c"] + [f"{v:.5f},{2 * v:.5f},{i}" for i, v in enumerate(x)]
    upload(app, "three.csv", "\n".join(rows).encode())
    assert app.your_data.column.value == 0
    runs = app.runs
    app.your_data.column.value = 1
    assert app.runs == runs + 1 and app.result.task.name == "b"
    np.testing.assert_allclose(app.result.task.values, 2 * x, atol=1e-4)


def test_a_text_file_is_modelled_character_by_character():
    app = TrainingApp(query=QUICK)
    text = "the quick brown fox jumps over the lazy dog. " * 5
    upload(app, "fox.txt", text.encode())
    assert errors(app) == []
    task = app.result.task
    assert isinstance(task, CharLM) and task.text == text
    assert app.values()["T"] == sensible_T(len(text))
    assert app.your_data.column.layout.display == "none"
    assert app.your_data.preview not in app.your_data.widget.children    # no series to show
    assert f"{len(text)} characters" in text_of(app.your_data.message.value)


def test_training_on_your_data_draws_both_curves():
    app = TrainingApp(query=QUICK)
    upload(app, "sales.csv", csv_bytes(periodic()))
    app.start(wait=True)
    loss = [m for m in app.figures["loss"].record.panels[0].marks
            if type(m).__name__ == "Line" and m.label and m.label[:2] in ("A:", "B:")]
    assert len(loss) == 2 and all(len(m.y) == 10 for m in loss)


def test_a_short_series_narrows_t_to_what_it_holds():
    app = TrainingApp(query=QUICK)
    upload(app, "short.csv", csv_bytes(periodic(14)))
    assert app.values()["T"] == 10 and app.widgets["T"].max == 13


# --- bad files ------------------------------------------------------------------------------

BAD = {
    "empty": ("a.csv", b"", "must not be empty"),
    "not UTF-8": ("a.csv", "x\n1\n2\ncaf\u00e9\n".encode("latin-1") * 9,
                  "pass encoding='latin-1'"),
    "not a number": ("a.csv", b"x,y\n" + b"1,2\n" * 5 + b"oops,3\n" + b"4,5\n" * 10,
                     "'oops' at row 7, column A ('x', column=0)"),
    "NaN and inf": ("a.csv", b"y\n" + b"1\n" * 5 + b"nan\n2\ninf\n" + b"3\n" * 10,
                    "NaN or inf at rows 7 (nan), 9 (inf)"),
    "too short": ("a.csv", b"y\n1\n2\n3\n4\n5\n", "at least T + horizon = 11 values"),
    "too long": ("a.csv", b"1\n" * (MAX_BYTES // 2 + 1), "must be at most 5 MB"),
    "binary": ("a.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 4, "binary file"),
    "no numeric column": ("a.csv", b"name,town\nann,paris\nbob,rome\n",
                          "must hold a column of numbers"),
    "short text": ("a.txt", b"hello", "at least seq_len + 1 = 11 characters"),
    "binary text": ("a.txt", bytes(range(256)), "binary file"),
    "another kind": ("a.xlsx", b"PK\x03\x04", "must end in .csv or .tsv"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_gets_one_message_and_changes_nothing(case):
    name, content, part = BAD[case]
    app = TrainingApp(query=QUICK)
    upload(app, "good.csv", csv_bytes(periodic()))
    app.start(wait=True)
    before = state(app)
    run, curves = app.run, app.figures["loss"].record
    upload(app, name, content)
    shown = errors(app)
    assert len(shown) == 1 and part in shown[0], shown
    assert "Nothing changed: the lesson still uses 'good.csv', column 'sales'" in shown[0]
    assert state(app) == before and app.run is run and app.figures["loss"].record is curves


@pytest.mark.parametrize("case", ["empty", "not a number", "too short", "binary"])
def test_a_bad_file_before_any_leaves_the_task_shown(case):
    name, content, part = BAD[case]
    app = TrainingApp(query=QUICK + "&task=nile")
    before = state(app)
    upload(app, name, content)
    assert len(errors(app)) == 1 and part in errors(app)[0]
    assert state(app) == before and app.values()["task"] == "nile"


def test_the_size_is_checked_on_the_bytes_before_any_parsing(monkeypatch):
    def parsing(*args, **kwargs):
        raise AssertionError("parsed")
    monkeypatch.setattr(your_data_module.Series, "columns", parsing)
    monkeypatch.setattr(your_data_module.CharLM, "from_file", parsing)
    for name in ("big.csv", "big.txt"):
        with pytest.raises(ValueError, match="must be at most 5 MB"):
            read_upload(name, b"1\n" * (MAX_BYTES // 2 + 1))


def test_a_larger_file_is_refused_on_its_first_bytes_and_its_declared_size():
    # The page sends MAX_BYTES + 1 bytes of a larger file, and its size.
    app = TrainingApp(query=QUICK)
    before = state(app)
    upload(app, "big.csv", b"1\n" * (MAX_BYTES // 2 + 1), size=40_000_000)
    assert "Got 40000000 bytes (38.1 MB) instead" in errors(app)[0]
    assert state(app) == before


def test_what_is_not_a_file_message_is_ignored():
    app = TrainingApp(query=QUICK)
    before = state(app)
    app.your_data.upload._handle_custom_msg({"type": "click"}, [])
    app.your_data.upload._handle_custom_msg(["file"], [])
    assert state(app) == before and errors(app) == []


def test_the_file_is_read_in_memory_and_never_written(monkeypatch):
    real_open = builtins.open

    def guarded(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise AssertionError(f"wrote {file}")
        return real_open(file, mode, *args, **kwargs)
    app = TrainingApp(query=QUICK)
    monkeypatch.setattr(builtins, "open", guarded)
    upload(app, "sales.csv", csv_bytes(periodic()))
    upload(app, "fox.txt", b"a text, long enough to be read as one. " * 3)
    assert errors(app) == [] and isinstance(app.result.task, CharLM)


def test_a_column_that_cannot_be_read_keeps_the_one_in_use():
    app = TrainingApp(query=QUICK)
    rows = ["a,b"] + [f"{v:.4f},{'x' if i == 30 else i * i}" for i, v in enumerate(periodic())]
    upload(app, "typo.csv", "\n".join(rows).encode())
    before = state(app)
    app.your_data.column.value = 1
    assert "'x' at row 32, column B ('b', column=1)" in errors(app)[0]
    assert state(app) == before and app.your_data.column.value == 0


# --- the task menu, the link and Train --------------------------------------------------------

def test_choosing_your_data_without_a_file_waits_and_train_says_why():
    app = TrainingApp(query=QUICK)
    runs, result = app.runs, app.result
    app.widgets["task"].value = YOUR_DATA
    assert app.runs == runs and app.result is result
    assert "Choose a file" in text_of(app.your_data.message.value)
    assert app.your_data.widget.layout.display is None
    app.start_button.click()
    assert "no file to train on yet" in text_of(app.message.value) and app.run is None
    app.widgets["task"].value = "sine"
    assert app.runs == runs + 1 and app.your_data.widget.layout.display == "none"


def test_the_link_says_it_cannot_carry_your_data_and_opens_the_default_task():
    app = TrainingApp(query=QUICK)
    upload(app, "sales.csv", csv_bytes(periodic()))
    link = text_of(app.link.value)
    assert "cannot carry your data" in link and "task=" not in app.query_string()
    fresh = TrainingApp(query=app.query_string())
    assert fresh.values()["task"] == "temporal_order" and fresh.values()["T"] == 24
    app.widgets["task"].value = "sine"
    assert "cannot carry" not in text_of(app.link.value) and "task=sine" in app.query_string()


def test_a_link_asking_for_your_data_opens_the_default_task_and_says_why():
    app = TrainingApp(query="task=your_data")
    assert app.values()["task"] == "temporal_order" and app.user_data is None
    assert "a link cannot carry your data" in text_of(app.notes.value)


def test_a_class_link_that_fixes_the_task_or_t_is_kept():
    app = TrainingApp(query=QUICK + "&task=sine&lock=task")
    before = state(app)
    upload(app, "sales.csv", csv_bytes(periodic()))          # a message the page cannot send
    assert "fixes the task at 'sine wave'" in errors(app)[0] and state(app) == before
    app = TrainingApp(query=QUICK + "&lock=T")
    upload(app, "sales.csv", csv_bytes(periodic()))
    assert app.values()["T"] == 12 and "link fixes T" in text_of(app.readout.value)
    before = state(app)
    upload(app, "short.csv", csv_bytes(periodic(11)))          # holds T = 10 at most
    assert "fixes T at 12 steps, and the data holds at most 10" in errors(app)[0]
    assert state(app) == before


def test_the_nile_is_in_the_task_menu():
    app = TrainingApp(query=QUICK + "&task=nile")
    assert app.result.task.name == "nile" and app.result.task.N == 100
    assert "Nile" in text_of(app.readout.value)


def test_sensible_t_is_a_fifth_within_the_lesson_range():
    assert [sensible_T(n) for n in (11, 30, 100, 250, 300, 10 ** 6)] == [10, 10, 20, 50, 60, 60]
    assert sensible_T(T_LOW + 1) == T_LOW


# --- in the browser ----------------------------------------------------------------------------
#: Sixty updates: a curve long enough to be seen growing in the page.
PAGE_QUICK = "?updates=60&T=12&k1_a=12&k2_a=3&k1_b=12&k2_b=12"
MESSAGE = ".bpttviz-upload-message"
#: The number of points of each curve the loss figure shows (by legend label).
CURVE_POINTS = f"() => ({LINE_POINTS})('loss')"


def curve_points(page):
    """``[points of A's loss curve, points of B's]`` as the page draws them."""
    return line_points(page, "loss", ("A:", "B:"))


def sales_csv(n=120, period=12):
    rng = np.random.default_rng(0)
    x = np.sin(2 * np.pi * np.arange(n) / period) + 0.2 * rng.normal(size=n)
    return ("month;sales\n" + "\n".join(f"{i};{v:.5f}" for i, v in enumerate(x))).encode()


def choose_file(page, name, content, mime="text/csv"):
    """What a user does in the file dialog: the upload's input gets one file."""
    page.locator(".bpttviz-upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}])


@in_browser
def test_upload_a_csv_train_on_it_then_a_bad_file_is_refused(page, server, artifacts):
    open_lesson(page, server, PAGE, PAGE_QUICK)
    panel = page.locator(".bpttviz-your-data")
    expect(panel).to_be_hidden()
    page.locator(".bpttviz-control-task select").select_option(label="Your data")
    expect(panel).to_be_visible()
    expect(page.locator(MESSAGE)).to_contain_text("Choose a file")

    before = drawn(page)
    choose_file(page, "sales.csv", sales_csv())
    expect(page.locator(MESSAGE)).to_contain_text("Read 'sales.csv': 120 values in column "
                                                  "'sales'")
    # The column menu offers the numeric columns, the series (not its time axis) chosen.
    column = page.locator(".bpttviz-upload-column select")
    expect(column).to_be_visible()
    assert column.locator("option").all_inner_texts() == ["month", "sales"]
    expect(column.locator("option:checked")).to_have_text("sales")
    # The preview is drawn in the page, every value of the column.
    page.wait_for_function("() => +document.querySelector("
                           "'.bpttviz-upload-preview .bpttviz-live')?.dataset.drawn >= 1")
    wait_status(page, "updated")
    assert "T = 24 steps" in page.locator(".bpttviz-readout").inner_text()
    assert "cannot carry your data" in page.locator(".bpttviz-link").inner_text()
    assert drawn(page)["memory"] > before["memory"]          # the network of the new data
    page.locator(".bpttviz-app").screenshot(path=str(artifacts / "04_training-your-data.png"))

    # Train: both curves are drawn, one point per update.
    loss_before = drawn(page)["loss"]
    page.locator(".bpttviz-start").click()
    wait_status(page, "trained", timeout=120_000)
    page.wait_for_function(f"() => Object.values(({CURVE_POINTS})()).slice(0, 2)"
                           ".every(n => n === 60)")
    assert curve_points(page) == [60, 60] and drawn(page)["loss"] > loss_before
    trained = drawn(page)

    # A bad file: one message, the API's words, and nothing else changes.
    choose_file(page, "bad.csv", b"sales\n2\n3\noops\n" + b"5\n" * 20)
    message = page.locator(MESSAGE)
    expect(message).to_contain_text("Could not read 'bad.csv'")
    text = message.inner_text()
    assert "'oops' at row 4, column A ('sales', column=0)" in text
    assert "Nothing changed: the lesson still uses 'sales.csv', column 'sales'" in text
    assert page.locator(".bpttviz-error").count() == 1
    page.locator(".bpttviz-your-data").screenshot(
        path=str(artifacts / "04_training-your-data-refused.png"))
    page.wait_for_timeout(500)                        # what a wrong update would have sent
    assert drawn(page) == trained
    assert curve_points(page) == [60, 60]
    expect(page.locator(".bpttviz-control-task select option:checked")).to_have_text("Your data")
    assert page.js_errors == []


@in_browser
def test_the_upload_panel_passes_axe(page, server):
    open_lesson(page, server, PAGE, PAGE_QUICK)
    page.locator(".bpttviz-control-task select").select_option(label="Your data")
    choose_file(page, "sales.csv", sales_csv())
    expect(page.locator(".bpttviz-upload-column select")).to_be_visible()
    wait_status(page, "updated")
    assert blocking_violations(page) == []
