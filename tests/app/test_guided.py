"""The guided steps' panel in a lesson's page: a step from the link applied after the page is
built, a choice revealed with the step's mark drawn on its figure (and in its download) and
removed at the next step, and a choice after the controls moved revealed for the step's own
values. The steps' data and their claims: tests/test_steps.py."""

import pytest
from page_in_kernel import press_save

from bpttviz import plots
from bpttviz.app import UnfoldingApp, VanishingApp
from bpttviz.app.guided import MARK_COLOR
from bpttviz.figures import Points, Text, records_equal


def test_a_step_from_the_link_is_applied_after_the_app_is_built():
    app = VanishingApp(query="")
    assert app.steps.index is None and "step=" not in app.query_string()
    app._apply_query("step=2&T=80")             # as a preheated page does when the request comes
    assert app.steps.index == 1
    assert app.values()["scale"] == 1.2 and app.values()["T"] == 80    # the link's T wins
    app.update()
    assert "step=2" in app.link.value and "T=80" in app.link.value
    assert "Step 2 of 5" in app.steps.heading.value
    app._apply_query("step=seven")
    assert app.steps.index is None
    assert any("step=seven: the step must be a whole number from 1 to 5" in n for n in app._notes)
    app.update()
    assert "step=seven" in app.notes.value and "step=" not in app.link.value
    app.close()


def test_choosing_reveals_marks_the_figure_and_next_removes_the_mark():
    app = VanishingApp(query="step=2")
    panel = app.steps
    assert panel.reveal.value.count("Choose your prediction") == 1
    assert [b.description for b in panel.buttons] == list(panel.steps[1].choices)
    shown = list(panel.buttons)
    panel.buttons[0].click()                    # a wrong prediction
    assert panel.buttons == shown               # the same buttons, changed in place
    assert panel.choice == 0 and panel.outcome.holds
    assert "Not this time" in panel.reveal.value and "Source:" in panel.reveal.value
    assert "Pascanu" in panel.reveal.value and "What happened:" in panel.reveal.value
    assert panel.next_button.tooltip.startswith("✗ Not this time") and "lag 40" in \
        panel.next_button.tooltip              # the focused button describes the outcome
    assert all(b.disabled for b in panel.buttons)
    assert panel.buttons[panel.steps[1].answer_index].button_style == "success"
    assert ".bpttviz-figure-lag" in panel.highlight_style.value
    # The page shows the lesson's figure with the step's marks drawn last.
    lesson, page = app.records["lag"].panels[0].marks, app.figures["lag"].record.panels[0].marks
    assert records_equal(page[:len(lesson)], lesson)
    added = page[len(lesson):]
    point, = [m for m in added if isinstance(m, Points)]
    assert point.x.tolist() == [40] and point.hollow and point.color == MARK_COLOR
    assert point.y[0] == pytest.approx(panel.outcome.facts["lag40_after"])
    assert [m.text for m in added if isinstance(m, Text)] == ["lag 40"]
    # A download shows what the page shows, the marks with it.
    (_, [png]), = press_save(app.figures["lag"], "png")
    assert png == plots.save(app.figures["lag"].record)
    panel.next_button.click()
    assert panel.index == 2 and panel.choice is None and panel.marked is None
    # The previous step's buttons are closed, with the layout and style each made for itself.
    assert all(w.comm is None for b in shown for w in (b, b.layout, b.style))
    assert records_equal(app.figures["lag"].record, app.records["lag"])    # the marks are gone
    assert panel.highlight_style.value == ""
    assert "step=3" in app.link.value
    panel.buttons[panel.steps[2].answer_index].click()
    assert "Your prediction was right" in panel.reveal.value
    panel.start_button.click()                  # end the steps
    assert panel.index is None and "step=" not in app.link.value
    app.close()


def test_a_choice_after_moving_the_controls_is_revealed_for_the_steps_own_values():
    app = UnfoldingApp(query="step=2")
    app.set(radius=0.5)
    app.steps.choose(app.steps.steps[1].answer_index)
    assert app.values()["radius"] == 1.5
    assert "set back to this step's values" in app.steps.reveal.value
    app.close()
