"""Teacher links: ``?hide=...&lock=...`` hides and fixes controls, and the kernel holds a fixed
control against anything that asks it to move, a crafted widget message included.

A message from the browser is delivered here as ipywidgets' comm handler delivers it
(``Widget._handle_msg`` with an ``update`` message), so the test exercises the path a
forged message takes in a kernel.
"""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from page_in_kernel import forged_update, sent_messages, text_of

from bpttviz.app import TruncationApp, VanishingApp
from bpttviz.lessons import truncated_bptt as truncation_module
from bpttviz.app.query import parse_names
from bpttviz.app.teacher import PANEL_NAME


# --- the query string ---------------------------------------------------------------------------
@pytest.fixture
def engine_runs(monkeypatch):
    """The calls of the truncation lesson's engine run (``bptt``), counted."""
    calls = []
    real = truncation_module.bptt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(truncation_module, "bptt", counting)
    return calls


def test_parse_names_splits_on_commas_drops_blanks_and_repeats():
    assert parse_names(" seed, H,,seed ,T") == ["seed", "H", "T"]
    assert parse_names("") == [] and parse_names(None) == []


def test_hide_and_lock_are_page_options_not_settings():
    app = TruncationApp(query="T=50&hide=seed&lock=T")
    assert app.page_options == {"hide": "seed", "lock": "T"}
    assert app.teacher.hidden == ("seed",) and app.teacher.locked == {"T": 50}
    assert "not a setting" not in text_of(app.notes.value)


def test_names_are_those_of_the_query_string_or_the_symbol_of_the_label():
    app = TruncationApp(query="hide=seed,H&lock=T")
    assert app.teacher.hidden == ("hidden", "seed")          # H is "H (hidden units)"
    assert app.widgets["hidden"].layout.display == "none"


def test_unknown_names_are_reported_in_the_page_and_the_rest_applied():
    app = TruncationApp(query="hide=seed,sede,bogus&lock=T,k3")
    notes = text_of(app.notes.value)
    assert "sede is not a control of this lesson. Did you mean seed?" in notes
    assert "bogus is not a control of this lesson" in notes
    assert "lock=T,k3: k3 is not a control of this lesson" in notes
    assert "schedule, T, k1, k2, radius, hidden, seed" in notes       # what is allowed
    assert app.teacher.hidden == ("seed",) and list(app.teacher.locked) == ["T"]


# --- hide and lock applied ------------------------------------------------------------------------
def test_hidden_controls_are_not_displayed_and_keep_their_classes():
    app = TruncationApp(query="hide=seed,radius")
    for name, w in app.widgets.items():
        assert f"bpttviz-control-{name}" in w._dom_classes
        assert (w.layout.display == "none") == (name in ("seed", "radius"))
    assert app.teacher.panel.layout.display is None          # the panel stays for the lecturer


def test_class_link_in_hide_hides_the_panel():
    app = TruncationApp(query=f"hide={PANEL_NAME}")
    assert app.teacher.panel.layout.display == "none" and app.teacher.hidden == ()


def test_a_locked_control_is_disabled_at_the_links_value_and_says_so():
    app = TruncationApp(query="k1=7&lock=k1")
    w = app.widgets["k1"]
    assert w.value == 7 and w.disabled and "bpttviz-locked" in w._dom_classes
    assert "Fixed for this class: k1 (steps) = 7." in text_of(app.teacher.notice.value)
    assert not app.widgets["k2"].disabled


def test_the_lessons_own_rules_cannot_enable_a_locked_control():
    app = TruncationApp(query="lock=k1")
    app.widgets["schedule"].value = "full"           # full BPTT uses neither k1 nor k2
    app.widgets["schedule"].value = "tbptt"          # the lesson enables both again
    assert app.widgets["k1"].disabled and not app.widgets["k2"].disabled


# --- the kernel checks --------------------------------------------------------------------------
def test_a_forged_widget_message_to_a_locked_control_changes_nothing(engine_runs, monkeypatch):
    app = TruncationApp(query="T=50&lock=T")
    w = app.widgets["T"]
    runs = len(engine_runs)
    sent = sent_messages(w, monkeypatch)
    forged_update(w, value=120)
    assert w.value == 50 and app.values()["T"] == 50
    assert len(engine_runs) == runs                          # no engine run, no redraw
    # The browser, which shows 120 after its own update, is told the kernel's value back.
    assert {"method": "update", "state": {"value": 50}, "buffer_paths": []} in sent
    assert "a request to set it to 120 was refused" in text_of(app.teacher.notice.value)


def test_a_forged_message_cannot_enable_a_locked_control_or_change_its_range(monkeypatch):
    app = TruncationApp(query="lock=T")
    w = app.widgets["T"]
    forged_update(w, disabled=False, max=20, min=15)
    assert w.disabled and (w.min, w.max) == (10, 200) and w.value == 60
    assert "a request to change its disabled, max, min was refused" in \
        text_of(app.teacher.notice.value)


def test_a_forged_message_to_an_unlocked_control_still_works(engine_runs):
    app = TruncationApp(query="lock=T")
    runs = len(engine_runs)
    forged_update(app.widgets["k2"], value=12)
    assert app.values()["k2"] == 12 and len(engine_runs) == runs + 1


def test_a_locked_value_set_from_python_stays(engine_runs):
    app = TruncationApp(query="lock=T")
    app.widgets["T"].value = 100
    assert app.widgets["T"].value == 60
    app.set(T=120, k2=20)                              # the other control is set
    assert app.values()["T"] == 60 and app.values()["k2"] == 20


def test_a_change_that_puts_a_locked_control_out_of_range_is_undone():
    app = TruncationApp(query="T=60&k1=40&lock=k1")
    app.widgets["T"].value = 20                         # k1 <= T would need k1 <= 20
    assert app.values()["T"] == 60 and app.values()["k1"] == 40
    assert app.widgets["k1"].max == 60
    assert "T (steps) stays at 60" in text_of(app.teacher.notice.value)
    assert app.message.value == ""                      # no error, the lesson keeps working
    app.widgets["T"].value = 45                          # still room for k1 = 40: allowed
    assert app.values()["T"] == 45 and app.widgets["k1"].max == 45


# --- after the app is built, and again --------------------------------------------------------
def test_hide_and_lock_apply_to_an_app_already_built_and_can_be_replaced():
    app = TruncationApp()
    app._apply_query("T=30&hide=seed&lock=T")           # as a kernel built before the request
    app.update()
    assert app.values()["T"] == 30 and app.widgets["T"].disabled
    assert app.widgets["seed"].layout.display == "none"
    app.widgets["T"].value = 90
    assert app.values()["T"] == 30
    app._apply_query("T=80&lock=k2")                    # another link: T free again, k2 fixed
    assert app.values()["T"] == 80 and not app.widgets["T"].disabled
    assert app.widgets["seed"].layout.display is None and app.widgets["k2"].disabled
    app.widgets["T"].value = 90
    assert app.values()["T"] == 90


# --- links ------------------------------------------------------------------------------------------
def test_the_link_to_this_configuration_keeps_hide_and_lock(monkeypatch):
    monkeypatch.setenv("VOILA_REQUEST_URL",
                       "http://10.0.0.5:8866/voila/render/03_truncated_bptt.ipynb?lock=k1")
    app = TruncationApp(query="hide=seed,class_link&lock=k1,H&k1=3")
    url = app.link_url()
    assert url.startswith("http://10.0.0.5:8866/voila/render/03_truncated_bptt.ipynb?")
    query = parse_qs(urlsplit(url).query)
    assert query["hide"] == ["seed,class_link"] and query["lock"] == ["k1,hidden"]
    assert "hide=seed,class_link&amp;lock=k1,hidden" in app.link.value
    again = TruncationApp(query=urlsplit(url).query)
    assert again.values() == app.values()
    assert (again.teacher.hidden, again.teacher.locked, again.teacher.panel_hidden) == \
        (app.teacher.hidden, app.teacher.locked, True)


def test_the_class_link_hides_and_fixes_what_was_chosen_and_hides_the_panel():
    app = VanishingApp(query="T=80")
    url = app.teacher.class_link({"seed": "hidden", "T": "fixed", "hidden": "change"})
    query = parse_qs(urlsplit(url).query)
    assert query["hide"] == [f"seed,{PANEL_NAME}"] and query["lock"] == ["T,seed"]
    assert query["T"] == ["80"]
    student = VanishingApp(query=urlsplit(url).query)
    assert student.values() == app.values()
    assert student.teacher.hidden == ("seed",) and set(student.teacher.locked) == {"T", "seed"}
    assert student.teacher.panel.layout.display == "none"
    with pytest.raises(ValueError, match=r"choices must map controls.*Got \{'T': 'frozen'\}"):
        app.teacher.class_link({"T": "frozen"})


def test_the_panel_is_built_when_opened_and_its_link_follows_the_choices_and_settings():
    app = TruncationApp(query="lock=k2")
    t = app.teacher
    assert t.choices == {} and t.made.value == ""      # nothing built for a student's page
    t.toggle.value = True
    assert set(t.choices) == set(app.widgets) and t.choices["k2"].value == "fixed"
    assert t.body.layout.display is None
    t.choices["seed"].value = "hidden"
    made = unescape(t.made.value)
    assert "hide=seed,class_link&lock=k2,seed" in made and "Copy link" in made
    app.widgets["radius"].value = 1.5
    assert "radius=1.5" in unescape(t.made.value)
    t.toggle.value = False
    assert t.body.layout.display == "none"
