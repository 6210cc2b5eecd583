"""The page's address, on the toy lesson (tests/toy_lesson.py): the query string sets the
controls (through shortcuts and presets, an explicit setting winning), what it cannot use is
reported in the page and left at its default, and the page's link reproduces its
configuration."""

import pytest
from page_in_kernel import text_of
from toy_lesson import Toy

from bpttviz.app import parse_query


def test_parse_query_keeps_the_last_repeat_and_drops_voila_keys():
    assert parse_query("?k1=5&k2=20&k1=6&voila-template=lab&theme=dark") == {"k1": "6", "k2": "20"}
    assert parse_query("") == {} and parse_query(None) == {}


def test_query_string_sets_initial_values_through_aliases_and_presets():
    app = Toy(query="x=0.3&flag=true&view=2")
    assert app.values() == dict(n=3, x=0.3, mode="a", flag=True, view=2)
    assert app.notes.value == "" and app.runs == 1
    assert Toy(query="size=7").values()["mode"] == "b"
    assert Toy(query="size=7").values()["n"] == 7
    assert Toy(query="preset=big&x=0.4").values()["x"] == 0.4     # explicit values win


@pytest.mark.parametrize("query", ["size=7&mode=a", "mode=a&size=7"])
def test_a_setting_named_explicitly_wins_over_a_shortcut_and_the_page_says_so(query):
    app = Toy(query=query)                       # size=7 means n=7 with mode=b
    assert app.values()["mode"] == "a" and app.values()["n"] == 3
    notes = text_of(app.notes.value)
    assert "size=7 (which means n=7, mode=b): not used" in notes and "mode=a" in notes
    assert "explicitly wins over a shortcut" in notes and app.message.value == ""


def test_a_shortcut_that_agrees_with_an_explicit_setting_is_no_conflict():
    app = Toy(query="size=7&mode=b&n=7")
    assert (app.values()["n"], app.values()["mode"]) == (7, "b") and app.notes.value == ""


@pytest.mark.parametrize("query, n, mode, dropped", [
    ("size=7&count=5", 7, "b", "count=5"),
    ("count=5&size=7", 5, "a", "size=7"),
])
def test_of_two_shortcuts_the_first_is_used_and_the_second_reported(query, n, mode, dropped):
    app = Toy(query=query)
    assert (app.values()["n"], app.values()["mode"]) == (n, mode)
    notes = text_of(app.notes.value)
    assert f"{dropped} (which means" in notes and "the first is used" in notes
    assert notes.count("not used") == 1


def test_an_unusable_shortcut_is_reported_under_its_own_name():
    app = Toy(query="size=99")
    assert app.values()["n"] == 3 and "size=99: n must be an integer in [1, 10]" in text_of(
        app.notes.value)


def test_unusable_query_entries_are_reported_and_left_at_their_defaults():
    app = Toy(query="n=99&x=abc&colour=red&preset=huge&view=2")
    notes = text_of(app.notes.value)
    assert "n=99: n must be an integer in [1, 10]. Got 99 instead. Kept 3." in notes
    assert "x=abc" in notes and "Kept 0.5" in notes
    assert "colour=red: not a setting of this lesson" in notes
    assert "preset=huge" in notes
    assert app.values() == dict(n=3, x=0.5, mode="a", flag=False, view=2)
    assert app.message.value == ""                      # a note, not an error


def test_query_is_checked_against_ranges_that_depend_on_earlier_settings():
    assert Toy(query="n=5&view=5").values()["view"] == 5
    app = Toy(query="view=5")                                   # n = 3, so view <= 3
    assert app.values()["view"] == 0 and "view=5" in app.notes.value


def test_the_query_string_is_read_from_voila_environment(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "n=4&x=0.2")
    assert Toy().values()["n"] == 4


def test_link_reproduces_the_configuration(monkeypatch):
    app = Toy(query="")
    app.set(n=6, x=0.7, flag=True)
    assert app.link_url() == "?n=6&x=0.7&mode=a&flag=true&view=0"
    assert Toy(query=app.query_string()).values() == app.values()
    monkeypatch.setenv("VOILA_REQUEST_URL",
                       "http://127.0.0.1:8866/voila/render/02_vanishing_exploding.ipynb?n=1")
    assert app.link_url() == ("http://127.0.0.1:8866/voila/render/02_vanishing_exploding.ipynb"
                              "?n=6&x=0.7&mode=a&flag=true&view=0")
    app.widgets["n"].value = 2
    assert "n=2" in app.link.value
    assert '<a href="http://127.0.0.1:8866/' in app.link.value


def test_a_link_where_the_page_has_no_address_says_how_to_use_its_query():
    # In JupyterLab a query added to the notebook's address does nothing: no bare "?n=6" link.
    app = Toy(query="")
    app.set(n=6)
    query = app.query_string()
    assert app.link_url() == "?" + query and query.startswith("n=6&")
    assert text_of(app.link.value) == ("Link to this configuration:Open this lesson with "
                                       f"bpttviz serve and add this to its address: ?{query}")
    assert "<a " not in app.link.value and "<code>bpttviz serve</code>" in app.link.value
    app.page_url = "http://10.0.0.5:8765/lesson/toy"       # served: the page's own address
    app.show_link()
    url = f"http://10.0.0.5:8765/lesson/toy?{query}"
    assert text_of(app.link.value) == f"Link to this configuration:{url}"
    assert f'<a href="{url.replace("&", "&amp;")}"' in app.link.value
