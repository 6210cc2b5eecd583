"""Lesson 5, an Elman network against an LSTM and a GRU, in headless Chromium
(tests/page_in_browser.py): the address sets the controls, what its figures show after a move
is what the engine computes here, and a download is Matplotlib's drawing of the figure shown.
"""

from live import close, lower_triangle, marks
from page_in_browser import InThePage, PageCase, assert_query_sets_the_controls, in_browser

from bpttviz import GRU, LSTM, ElmanRNN, bptt
from bpttviz.lessons.common import random_sequence

PAGE = "05_rnn_lstm_gru"


@in_browser
def test_query_parameters_set_the_controls(page, server):
    assert_query_sets_the_controls(page, server, PAGE, "?T=80&forget_bias=-2",
                                   {"T": "80", "forget_bias": "\u22122.0"})


def expected_numbers(s, page):
    """Lesson 5: the flow of an Elman network, an LSTM and a GRU on the same sequence."""
    T, H, seed = int(s["T"]), int(s["hidden"]), int(s["seed"])
    x, y = random_sequence(T, seed, stream=5)
    x = x * float(s["input_scale"])
    models = (ElmanRNN(1, H, 1, s["activation"], seed, radius=float(s["radius"])),
              LSTM(1, H, 1, seed, forget_bias=float(s["forget_bias"])), GRU(1, H, 1, seed))
    for panel, (name, model) in enumerate(zip(("Elman", "LSTM", "GRU"), models)):
        heat = marks(page["flows"], panel, "Heatmap")[0]
        close(heat["values"], lower_triangle(bptt(model, x, y).flow, heat["scale"]["vmin"]),
              f"{name}'s flow heatmap")


class TestInThePage(InThePage):
    case = PageCase(PAGE, "", ("flows",), expected_numbers, download="lag")
