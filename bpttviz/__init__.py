"""bpttviz: see backpropagation through time work and fail.

An instrumented NumPy engine for full and truncated BPTT(k1, k2) on recurrent
networks, in float64 by default.
"""

from . import diagnostics, es, schedules, tasks, training
from .engine import bptt
from .models import GRU, LSTM, ElmanRNN, max_singular_value, spectral_radius, unroll
from .schedules import Schedule, UpdatePlan
from .trace import Cost, Trace, Update
from .tasks import TASKS, Batch, Task, make_task
from .training import OPTIMIZERS, History, TrainConfig, train
from .es import train_es
from . import online
from .online import rtrl, uoro

__version__ = "0.1.0"

__all__ = [
    "bptt", "unroll", "ElmanRNN", "Trace", "Update", "Cost", "Schedule", "UpdatePlan",
    "schedules", "spectral_radius", "max_singular_value", "LSTM", "GRU",
    "tasks", "TASKS", "Task", "Batch", "make_task", "train", "training", "es", "History",
    "OPTIMIZERS", "TrainConfig",
    "train_es", "diagnostics",
    "online", "rtrl", "uoro",
]
