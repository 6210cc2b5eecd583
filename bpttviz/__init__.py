"""bpttviz: see backpropagation through time work and fail.

An instrumented NumPy engine for full and truncated BPTT(k1, k2) on recurrent
networks, in float64 by default.
"""

from . import schedules
from .engine import bptt, unroll
from .models import GRU, LSTM, ElmanRNN, max_singular_value, spectral_radius
from .schedules import Schedule, UpdatePlan
from .trace import Cost, Trace, Update

__version__ = "0.1.0"

__all__ = [
    "bptt", "unroll", "ElmanRNN", "Trace", "Update", "Cost", "Schedule", "UpdatePlan",
    "schedules", "spectral_radius", "max_singular_value", "LSTM", "GRU",
]
