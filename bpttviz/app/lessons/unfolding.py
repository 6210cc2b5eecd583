"""Lesson 1, unfolding: one network copied T times, walked forward and then backward.

A recurrent network applied to a sequence is a deep feed-forward network
with one layer per step whose layers share ``W_hh`` (Rumelhart, Hinton &
Williams 1986; Werbos 1990, "Backpropagation through time: what it does and
how to do it"). Backpropagation through that unrolled network is BPTT:
the error ``delta_s = dL/dh_s`` flows from the last step back to the first,
and the gradient of the shared ``W_hh`` is the sum of every copy's share.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ... import figures
from ...cells import ACTIVATIONS
from ...engine import bptt
from ...models import ElmanRNN
from ..base import LessonApp
from ..controls import Control
from ..notices import overflow_notes, readout_html
from .common import random_sequence

__all__ = ["UnfoldingApp"]


@dataclass(frozen=True)
class Unfolding:
    """One full-BPTT run of lesson 1."""

    model: ElmanRNN
    inputs: np.ndarray          # (T, 1, 1)
    targets: np.ndarray         # (T, 1, 1)
    trace: object               # bpttviz.Trace
    hidden_norms: np.ndarray    # (T,) ||h_t||


class UnfoldingApp(LessonApp):
    """Lesson 1: the unrolled network, with a play/step control over the forward and backward pass.

    The frame slider (and the Play button linked to it in the browser) only
    changes what is shown; the engine runs when the network or the sequence
    changes.
    """

    title = "Unfolding"
    slug = "unfolding"
    controls = (
        Control("T", "T (steps)", "int", 5, 2, 8, help="Length of the sequence"),
        Control("hidden", "H (hidden units)", "int", 3, 1, 8, help="Size of h_t"),
        Control("radius", "ρ(W_hh)", "float", 0.9, 0.1, 2.0, 0.05,
                help="Spectral radius of W_hh: its largest |eigenvalue|"),
        Control("activation", "activation φ", "option", "tanh", options=tuple(ACTIVATIONS)),
        Control("seed", "seed", "int", 0, 0, 99, help="Weights and data"),
        Control("frame", "frame of the walk", "int", 0, 0, 2 * 8, recompute=False,
                continuous=True, help="0..T-1 forward, T..2T-1 backward, 2T the sum"),
    )
    figure_names = ("network",)
    wide_figures = ("network",)

    def extra_controls(self):
        frame = self.widgets["frame"]
        # Play starts at the frame shown: the browser's link copies Play's value to the slider
        # when it is made, which would otherwise send a link's ?frame=N back to frame 0.
        self.play = widgets.Play(value=frame.value, min=0, max=frame.max, step=1, interval=900,
                                 description="play", tooltip="Walk the forward and backward pass")
        self.play.add_class("bpttviz-play")
        # The animation clock runs in the browser: Play drives the slider with no kernel round trip.
        self.play_link = widgets.jslink((self.play, "value"), (frame, "value"))
        return [widgets.HBox([widgets.Label("walk the passes"), self.play])]

    def constrain(self):
        last = figures.unrolled_frames(self.widgets["T"].value) - 1
        self.widgets["frame"].max = last
        if hasattr(self, "play"):
            self.play.max = last
            self.play.value = self.widgets["frame"].value     # a link applied after the build

    def compute(self, values):
        T = values["T"]
        model = ElmanRNN(1, values["hidden"], 1, values["activation"], values["seed"],
                         radius=values["radius"])
        x, y = random_sequence(T, values["seed"], stream=1)
        trace = bptt(model, x, y)
        return Unfolding(model, x, y, trace, np.linalg.norm(trace.hidden[:, 0], axis=-1))

    def render(self, result, values):
        u = result.trace.updates[0]
        return {"network": figures.unrolled(values["frame"], result.hidden_norms, u.error_norms,
                                            u.whh_norms, u.grads["W_hh"],
                                            activation=values["activation"])}

    def describe(self, result, values):
        tr = result.trace
        g = tr.updates[0].grads["W_hh"]
        return readout_html([f"mean loss L = {tr.loss:.3g}",
                             f"‖∂L/∂W<sub>hh</sub>‖ = {np.linalg.norm(g):.3g} "
                             f"(sum over {tr.T} copies)"])

    def notes_for(self, result, values):
        return overflow_notes(result.trace)
