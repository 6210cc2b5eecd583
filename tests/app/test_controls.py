"""A lesson's controls in its page, on the toy lesson (tests/toy_lesson.py): a control declared
once checks and reads its values, and the page keeps the controls within the ranges the
lesson's rules set, changing several at once (``set``, a preset) with one computation."""

import pytest
from toy_lesson import Toy

from bpttviz.app import Control


def test_control_check_names_the_control_the_range_and_the_value():
    c = Control("k2", "k2 (states)", "int", 10, 1, 60)
    assert c.check(5) == 5
    with pytest.raises(ValueError, match=r"k2 must be an integer in \[1, 60\]. Got 0 instead"):
        c.check(0)
    with pytest.raises(ValueError, match=r"\[1, 30\]"):
        c.check(40, high=30)
    with pytest.raises(ValueError, match="integer"):
        c.check(2.5)
    with pytest.raises(ValueError, match="one of a, b"):
        Control("m", "m", "option", "a", options=("a", "b")).check("c")
    with pytest.raises(ValueError, match="kind"):
        Control("m", "m", "colour", "a")


def test_control_parse_reads_query_text():
    assert Control("T", "T", "int", 5, 1, 10).parse(" 7 ") == 7
    assert Control("r", "r", "float", 1.0, 0.0, 3.0).parse("1.1") == 1.1
    assert Control("f", "f", "bool", False).parse("on") is True
    opt = Control("s", "s", "option", "tbptt", options=(("TBPTT", "tbptt"), ("full", "full")))
    assert opt.parse("full") == "full"
    for bad in ("abc", "7.5", "nan", "inf", "11"):
        with pytest.raises(ValueError, match=r"T must be an integer in \[1, 10\]"):
            Control("T", "T", "int", 5, 1, 10).parse(bad)
    with pytest.raises(ValueError, match="number"):
        Control("r", "r", "float", 1.0, 0.0, 3.0).parse("nan")


def test_set_changes_several_controls_with_one_compute():
    app = Toy(query="")
    app.set(n=8, x=0.2, mode="b")
    assert app.runs == 2
    assert app.values() == dict(n=8, x=0.2, mode="b", flag=False, view=0)


def test_set_rejects_a_bad_value_and_changes_nothing():
    app = Toy(query="")
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 10\]. Got 11"):
        app.set(x=0.3, n=11)
    with pytest.raises(ValueError, match="no control 'size'"):
        app.set(size=3)
    assert app.values()["x"] == 0.5 and app.runs == 1


def test_dependent_ranges_follow_their_control():
    app = Toy(query="")
    app.widgets["view"].value = 3
    app.widgets["n"].value = 2          # view must now stay <= 2
    assert app.widgets["view"].max == 2 and app.widgets["view"].value == 2
    assert app.runs == 2


def test_preset_sets_its_values_with_one_compute():
    app = Toy(query="")
    app.apply_preset("big")
    assert (app.values()["n"], app.values()["x"], app.runs) == (9, 1.0, 2)
    with pytest.raises(ValueError, match="no preset 'huge'"):
        app.apply_preset("huge")
