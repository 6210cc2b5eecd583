"""Seeded data generators for recurrent networks, each after a published source.

Every task returns a :class:`Batch` of ``inputs`` (T, B, I), ``targets``
((T, B, O) real values for ``"mse"``, (T, B) class labels for
``"cross_entropy"``), a ``mask`` (T, B) of loss weights (1 where a step carries
a target, 0 elsewhere) and the name of its loss, ready for
:func:`bpttviz.bptt` and :func:`bpttviz.train`::

    task = AddingProblem(lag=30)
    batch = task.sample(batch_size=16, rng=np.random.default_rng(0))
    trace = bptt(model, batch.inputs, batch.targets, mask=batch.mask, loss=batch.loss)

The same ``rng`` state gives the same batch. ``task.baseline`` is the loss of
the best predictor that ignores the inputs (for example always predicting the
mean): a network that stays there has learnt nothing. A :class:`Series` is
scored against the persistence forecast instead (its last seen value).

Tasks (registry :data:`TASKS`):

* ``"sine"``, ``"noisy_sine"``: next-value prediction on a sine wave, the
  time-series example of the classic BPTT tutorials (e.g. PyTorch's
  ``time_sequence_prediction`` example).
* ``"adding"``: the adding problem (Hochreiter & Schmidhuber 1997, experiment
  4; Pascanu, Mikolov & Bengio 2013), with an adjustable lag.
* ``"copy_memory"``: the copying memory problem (Hochreiter & Schmidhuber
  1997, experiment 2's noise-free recall, in the form of Arjovsky, Shah &
  Bengio 2016), with an adjustable lag.
* ``"temporal_order"``: the temporal order problem (Hochreiter & Schmidhuber
  1997, experiment 6a).
* ``"char_lm"``: character-level language modelling (Karpathy's min-char-rnn
  and char-rnn) on a public-domain text shipped with the package.
* ``"sequence_classification"``: classify a sequence from its first inputs,
  with the loss only at the end: the information-latching problem of Bengio,
  Simard & Frasconi (1994).
* ``"nile"``: the Nile's annual flow at Aswan, 1871-1970 (Cobb 1978; Durbin &
  Koopman 2001), shipped with the package: a :class:`Series`.

Your own data: :class:`Series` predicts a series of yours (an array, or a
CSV file with :meth:`Series.from_csv`, whose columns :meth:`Series.columns`
lists) and :meth:`CharLM.from_file` models the text of a file. They are not in :data:`TASKS`, whose names each build a task
from their name alone: they need the data. Files are read with every check
before any work (:data:`MAX_BYTES` at most), and a bad file is refused with a
ValueError saying what and where.

Shapes: T steps, B batch, I inputs, O outputs (or classes), V vocabulary size.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from ._files import (MAX_BYTES, check_column, check_delimiter, check_encoding, list_columns,
                     read_columns, read_text)
from ._validation import (check_array, check_bool, check_int, check_mask, check_option,
                          check_real, check_rng, describe)

__all__ = [
    "Batch", "Task", "SineWave", "NoisySineWave", "AddingProblem", "CopyMemory",
    "TemporalOrder", "CharLM", "SequenceClassification", "Vocabulary", "load_text", "TASKS",
    "make_task", "Series", "Columns", "nile", "MAX_BYTES",
]


@dataclass(frozen=True, eq=False)
class Batch:
    """One batch of sequences and what to score.

    Attributes
    ----------
    inputs : ndarray (T, B, I)
    targets : ndarray (T, B, O) of floats for ``loss="mse"``, or (T, B) of int class labels
        for ``loss="cross_entropy"``.
    mask : ndarray (T, B)
        Loss weight per step and example: 1 where a step carries a target, 0 elsewhere.
    loss : {"mse", "cross_entropy"}
    """

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    loss: str

    def __post_init__(self):
        func = "Batch"
        loss = check_option(self.loss, "loss", func, ("mse", "cross_entropy"))
        x = check_array(self.inputs, "inputs", func, ndim=3,
                        shape=(("T", None), ("B", None), ("I", None)))
        T, B = x.shape[:2]
        if loss == "mse":
            y = check_array(self.targets, "targets", func, ndim=3,
                            shape=(("T", T), ("B", B), ("O", None)))
        else:
            y = check_array(self.targets, "targets", func, ndim=2, kind="int",
                            shape=(("T", T), ("B", B)))
        m = check_mask(self.mask, func, T, B)
        if np.ndim(self.mask) == 1:
            raise ValueError(f"The 'mask' parameter of {func} must have shape (T, B) = "
                             f"({T}, {B}). Got shape {np.shape(self.mask)} instead.")
        for name, value in (("inputs", x), ("targets", y), ("mask", m)):
            object.__setattr__(self, name, value)

    @property
    def T(self) -> int:
        return self.inputs.shape[0]

    @property
    def B(self) -> int:
        return self.inputs.shape[1]

    def __repr__(self):
        return (f"Batch(T={self.T}, B={self.B}, I={self.inputs.shape[2]}, "
                f"loss={self.loss!r})")


def _one_hot(ids, n):
    """(T, B) int -> (T, B, n) float one-hot."""
    return np.eye(n)[ids]


class Task:
    """A seeded generator of batches; subclasses set the sizes and ``_generate``.

    Attributes
    ----------
    name : str
        Key in :data:`TASKS` (a :class:`Series`: what its values are).
    n_in, n_out : int
        Input size I and output size O (classes for cross-entropy).
    loss : {"mse", "cross_entropy"}
    seq_len : int
        Default sequence length T.
    min_seq_len : int
        Shortest T the task can make.
    baseline : float
        Loss of the best input-ignoring predictor (see each task).
    source : str
        Where the task comes from.
    """

    name = "task"
    loss = "mse"
    source = ""

    def check_seq_len(self, seq_len, func=None):
        """Return ``seq_len`` (None: the task's default) after checking the task can make it."""
        func = func or f"{type(self).__name__}.sample"
        if seq_len is None:
            return self.seq_len
        return check_int(seq_len, "seq_len", func, low=self.min_seq_len, high=self.max_seq_len)

    @property
    def max_seq_len(self):
        return None

    def sample(self, batch_size, rng, seq_len=None) -> Batch:
        """Draw ``batch_size`` sequences of ``seq_len`` steps (default ``self.seq_len``).

        Parameters
        ----------
        batch_size : int >= 1
        rng : numpy.random.Generator or int seed
        seq_len : int, optional

        Returns
        -------
        Batch
        """
        func = f"{type(self).__name__}.sample"
        B = check_int(batch_size, "batch_size", func, low=1)
        T = self.check_seq_len(seq_len, func)
        return self._generate(B, T, check_rng(rng, func))

    def _generate(self, B, T, rng) -> Batch:
        raise NotImplementedError

    def _params(self):
        return {}

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"


# --- next-value prediction ---------------------------------------------------

class SineWave(Task):
    """Predict the next value of a sine wave: ``x_t = sin(2 pi (t + phi) / period) + noise e_t``.

    Input ``x_t`` (I = 1), target ``x_{t+1}`` (O = 1) at every step, MSE. The
    phase ``phi ~ U[0, period)`` is drawn per sequence and ``e_t ~ N(0, 1)``,
    so the target is the next *observed* value, noise included.

    Parameters
    ----------
    period : float > 1
        Steps per cycle.
    noise : float >= 0
        Standard deviation of the observation noise.
    seq_len : int >= 1
        Default T.

    Notes
    -----
    Source: the time-series example of the classic BPTT tutorials, e.g. the
    PyTorch example ``time_sequence_prediction`` (sine waves with random
    shifts, next value predicted). ``baseline = Var(x) / 2 = (1/2 + noise^2) / 2``,
    the loss of always predicting 0 under the ``1/2 ||.||^2`` MSE; no predictor
    goes below ``noise^2 / 2``.
    """

    name = "sine"
    n_in = n_out = 1
    loss = "mse"
    min_seq_len = 1
    source = "next-value sine prediction of the BPTT tutorials (PyTorch time_sequence_prediction)"
    default_noise = 0.0

    def __init__(self, period=20.0, noise=None, seq_len=50):
        func = type(self).__name__
        self.period = check_real(period, "period", func, low=1, closed="right")
        noise = self.default_noise if noise is None else noise
        self.noise = check_real(noise, "noise", func, low=0)
        self.seq_len = check_int(seq_len, "seq_len", func, low=self.min_seq_len)

    @property
    def baseline(self) -> float:
        return 0.5 * (0.5 + self.noise ** 2)

    def _generate(self, B, T, rng):
        phase = rng.uniform(0.0, self.period, size=(1, B))
        t = np.arange(T + 1)[:, None]
        x = np.sin(2 * np.pi * (t + phase) / self.period)               # (T+1, B)
        if self.noise > 0:
            x = x + self.noise * rng.standard_normal(x.shape)
        return Batch(x[:-1, :, None], x[1:, :, None], np.ones((T, B)), "mse")

    def _params(self):
        return {"period": self.period, "noise": self.noise, "seq_len": self.seq_len}


class NoisySineWave(SineWave):
    """:class:`SineWave` with observation noise (default 0.1).

    Notes
    -----
    Source: as :class:`SineWave`; the noise makes ``noise^2 / 2`` the floor of the loss.
    """

    name = "noisy_sine"
    default_noise = 0.1


class Series(Task):
    """Predict a series of the user's ``horizon`` steps ahead, from windows of T steps.

    The values are a 1-D series (N,) or a 2-D one (N, C) whose columns are
    all inputs and whose first column is the target. Each sequence is a
    window of T consecutive steps starting at a uniformly drawn offset: the
    input of step t is row ``s + t`` (I = C), its target the first column
    ``horizon`` rows later (O = 1), MSE at every step.

    Parameters
    ----------
    values : array (N,) or (N, C) of finite real numbers
        N >= T + horizon rows.
    T : int >= 1
        Default sequence length (``seq_len``; ``sample`` may ask for another,
        up to ``N - horizon``).
    horizon : int >= 1
        Steps ahead the target lies.
    normalize : bool
        Z-score every column with its own mean and (population) standard
        deviation (:attr:`mean`, :attr:`std`), so that the loss and the network's
        weights work on one scale whatever the units; ``False`` keeps the
        raw values.
    name : str, optional
        What the series is (default ``"series"``).

    Attributes
    ----------
    values : ndarray (N,) or (N, C)
        The values as given.
    scaled : ndarray (N, C)
        What the windows are cut from: ``(values - mean) / std``.
    mean, std : ndarray (C,)
        The shift and scale of each column (0 and 1 with ``normalize=False``);
        :meth:`denormalize` maps a prediction back to the target's units.
    baseline : float
        The loss of the persistence forecast, predicting the last seen value
        ``x_{t+horizon} = x_t`` (on the scaled values, ``1/2`` squared error,
        averaged over the windows ``sample`` draws). A network below it uses
        more of the past than its last value.

    Notes
    -----
    Source: next-value prediction of a time series, as the classic BPTT
    tutorials do on a sine; the persistence (naive, random-walk) forecast is
    the usual reference of forecasting (Hyndman & Athanasopoulos,
    *Forecasting: Principles and Practice*, section 5.2).

    A Series needs its values, so it is not in :data:`TASKS`, whose names
    each build a task alone; :func:`nile` (``make_task("nile")``) is a
    shipped one. Read a file with :meth:`from_csv`.
    """

    loss = "mse"
    n_out = 1
    min_seq_len = 1
    source = "values given to Series"

    def __init__(self, values, *, T=50, horizon=1, normalize=True, name=None):
        func = "Series"
        T = check_int(T, "T", func, low=1)
        horizon = check_int(horizon, "horizon", func, low=1)
        normalize = check_bool(normalize, "normalize", func)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"The 'name' parameter of {func} must be a str or None. "
                            f"Got {describe(name)} instead.")
        x = _check_series(values, "values", func, T, horizon, normalize)
        data = x.reshape(len(x), -1)                                    # (N, C)
        self.values = np.array(x)                                       # a copy: ours
        self.mean = data.mean(axis=0) if normalize else np.zeros(data.shape[1])
        self.std = data.std(axis=0) if normalize else np.ones(data.shape[1])
        self.scaled = (data - self.mean) / self.std
        self.n_in = data.shape[1]
        self.seq_len, self.horizon, self.normalize = T, horizon, normalize
        self.name = "series" if name is None else name

    @classmethod
    def from_csv(cls, path, column=None, *, T=50, horizon=1, normalize=True, delimiter=None,
                 encoding="utf-8"):
        """A Series read from a delimited text file (CSV, TSV, spreadsheet export).

        Parameters
        ----------
        path : str or os.PathLike, bytes, or a file object
            The file's path; or its content as bytes (as a lesson receives an
            upload); or a file object opened in binary (or text) mode.
            At most :data:`MAX_BYTES` (5 MB).
        column : str, int, list of them, or None
            The column to predict, by header name or 0-based index; a list
            reads several columns as inputs, the first the target. None: the
            first numeric column that is not a time axis (a column of
            numbers rising by one same step, such as years or row numbers,
            is passed over unless it is the only numeric one).
        T, horizon, normalize
            As for :class:`Series`.
        delimiter : str, optional
            One character, ``" "`` for any run of whitespace. None: sniffed
            by :class:`csv.Sniffer` among ``,``, ``;`` and tab, else
            whitespace, else one value per line.
        encoding : str
            The text encoding of the file (a BOM is dropped; line endings
            are read as Python's ``open`` reads them).

        Returns
        -------
        Series
            Named after the target column's header (``"series"`` without one).

        Notes
        -----
        The first row is a header when none of its cells is a number.
        Blank lines are skipped. A bad file raises a ValueError naming
        ``path`` and saying where: an empty or binary file, another encoding
        (and which to pass), a cell that is not a number (its row, counted
        from 1 as a spreadsheet counts them, and its column), NaN or inf
        (their rows), fewer than ``T + horizon`` values; an unknown column
        raises one naming ``column`` and listing the file's columns.
        """
        func = "Series.from_csv"
        column = check_column(column, func)
        T = check_int(T, "T", func, low=1)
        horizon = check_int(horizon, "horizon", func, low=1)
        check_bool(normalize, "normalize", func)
        delimiter = check_delimiter(delimiter, func)
        encoding = check_encoding(encoding, func)
        text, origin = read_text(path, encoding, func)
        values, names, _ = read_columns(text, column, delimiter, func)
        _check_series(values, "path", func, T, horizon, normalize)
        target = names if isinstance(names, str) or names is None else names[0]
        task = cls(values, T=T, horizon=horizon, normalize=normalize, name=target or None)
        if isinstance(names, list):
            task.source = f"{origin}, columns {names}"
        else:
            task.source = f"{origin}, column {names!r}" if names else origin
        return task

    @staticmethod
    def columns(path, *, delimiter=None, encoding="utf-8") -> "Columns":
        """The columns of a delimited text file, as :meth:`from_csv` reads it: which to offer.

        Parameters
        ----------
        path, delimiter, encoding
            As for :meth:`from_csv` (the same checks, the same messages).

        Returns
        -------
        Columns
            Every column's name, those holding numbers, and the one
            :meth:`from_csv` reads when ``column`` is None.
        """
        func = "Series.from_csv"            # the same file, the same messages
        delimiter = check_delimiter(delimiter, func)
        encoding = check_encoding(encoding, func)
        text, _ = read_text(path, encoding, func)
        return Columns(*list_columns(text, delimiter, func))

    @property
    def N(self) -> int:
        """Rows of the series."""
        return len(self.scaled)

    @property
    def max_seq_len(self):
        return self.N - self.horizon

    @property
    def baseline(self) -> float:
        z = self.scaled[:, 0]
        step_loss = 0.5 * (z[self.horizon:] - z[:-self.horizon]) ** 2          # (N - horizon,)
        # mean over the windows of T steps that sample() draws, each window's mean step loss
        return float(np.convolve(step_loss, np.ones(self.seq_len) / self.seq_len,
                                 "valid").mean())

    def denormalize(self, y):
        """Predictions ``y`` (any shape) of the scaled target, in the target's own units."""
        y = check_array(y, "y", "Series.denormalize", allow_empty=True)
        return y * self.std[0] + self.mean[0]

    def _generate(self, B, T, rng):
        starts = rng.integers(0, self.N - T - self.horizon + 1, size=B)
        rows = starts[None, :] + np.arange(T)[:, None]                      # (T, B)
        inputs = self.scaled[rows]                                          # (T, B, C)
        targets = self.scaled[rows + self.horizon, :1]                      # (T, B, 1)
        return Batch(inputs, targets, np.ones((T, B)), "mse")

    def _params(self):
        shape = f"{self.N}" if self.values.ndim == 1 else f"{self.N} x {self.n_in}"
        return {"values": f"<{shape} values>", "T": self.seq_len,
                "horizon": self.horizon, "normalize": self.normalize, "name": self.name}


@dataclass(frozen=True)
class Columns:
    """The columns of a delimited text file (:meth:`Series.columns`).

    Attributes
    ----------
    names : list of str
        Each column's header name (``"column j"`` for a file without a header).
    numeric : list of int
        The 0-based indices of the columns holding numbers.
    default : int
        The column :meth:`Series.from_csv` reads when none is named (the
        first numeric one that is not a time axis).
    """

    names: list
    numeric: list
    default: int


def _check_series(values, name, func, T, horizon, normalize):
    """``values`` as a float array (N,) or (N, C) after checking it can make a Series."""
    x = check_array(values, name, func, finite=False)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"The {name!r} parameter of {func} must be a 1-D array (N,) or a 2-D "
                         f"one (N, C) whose first column is the target. Got {describe(values)} "
                         f"instead.")
    rows = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
    if rows.size:
        shown = ", ".join(str(r) for r in rows[:5]) + (" ..." if rows.size > 5 else "")
        raise ValueError(f"The {name!r} parameter of {func} must be finite. Got NaN or inf in "
                         f"{rows.size} rows, at indices {shown} instead.")
    need = T + horizon
    if len(x) < need:
        raise ValueError(f"The {name!r} parameter of {func} must hold at least T + horizon = "
                         f"{need} values (T={T}, horizon={horizon}: lower 'T' or 'horizon', or "
                         f"give a longer series). Got {len(x)} instead.")
    flat = x.reshape(len(x), -1)
    constant = np.flatnonzero(flat.min(axis=0) == flat.max(axis=0))
    if normalize and constant.size:
        j = constant[0]
        what = "the series" if x.ndim == 1 else f"its column {j} (0-based, in the order given)"
        raise ValueError(f"The {name!r} parameter of {func} must vary when normalize=True (a "
                         f"z-score divides by the standard deviation). Got {what} constant, "
                         f"every value {flat[0, j]}, instead.")
    return x


#: Years in the shipped Nile series (1871-1970).
NILE_YEARS = 100

NILE_SOURCE = ("annual flow of the Nile at Aswan, 1871-1970, in 10^8 m^3 (Cobb 1978; Durbin & "
               "Koopman 2001); public domain, as shipped by statsmodels and R's datasets")


def nile(*, T=50, horizon=1, normalize=True) -> Series:
    """The Nile's annual flow at Aswan, 1871-1970 (100 values): a real series, shipped.

    Parameters
    ----------
    T : int in [1, 100 - horizon]
    horizon : int in [1, 99]
    normalize : bool
        As for :class:`Series`.

    Returns
    -------
    Series
        Named ``"nile"``; ``task.values`` in 10^8 m^3.

    Notes
    -----
    Source: the flow volume measured at Aswan, 1871-1970 (``bpttviz/data/nile.csv``,
    its source and licence in ``bpttviz/data/README.md``), first analysed by
    Cobb (1978), the running example of Durbin & Koopman, *Time Series
    Analysis by State Space Methods* (2001); R's ``datasets::Nile`` and
    ``statsmodels.datasets.nile``. The flow drops by about a fifth from 1899
    on (the first Aswan dam; Cobb's change point) and its autocorrelation
    stays above 0.2 for a dozen years: a series with long memory.
    """
    func = "nile"
    horizon = check_int(horizon, "horizon", func, low=1, high=NILE_YEARS - 1)
    T = check_int(T, "T", func, low=1, high=NILE_YEARS - horizon)
    normalize = check_bool(normalize, "normalize", func)
    text = (resources.files("bpttviz") / "data" / "nile.csv").read_text(encoding="utf-8")
    flow, _, _ = read_columns(text, "flow", ",", func)
    task = Series(flow, T=T, horizon=horizon, normalize=normalize, name="nile")
    task.source = NILE_SOURCE
    return task


# --- long time lags ------------------------------------------------------------

class AddingProblem(Task):
    """The adding problem with an adjustable lag.

    Each step shows a pair ``(value, marker)`` (I = 2) with values ~ U(0, 1).
    Exactly two steps are marked (marker 1, all others 0); the target, given
    only at the last step (mask 1 there, 0 elsewhere), is the sum of the two
    marked values (O = 1, MSE).

    Both marked steps are drawn, distinct and uniformly, among the first
    ``T - lag`` steps, so each lies at least ``lag`` steps before the last
    step ``T - 1``. A TBPTT window of ``k2 <= lag`` states ending at the
    last step reaches neither marker; ``k2 >= T`` reaches both.

    Parameters
    ----------
    lag : int >= 0
    seq_len : int >= lag + 2, optional
        Default T (``lag + 10``: the markers fall in the first 10 steps, as
        the first marker does in Hochreiter & Schmidhuber's version).

    Notes
    -----
    Source: Hochreiter & Schmidhuber (1997), experiment 4; Pascanu, Mikolov &
    Bengio (2013), section 5. They draw the first marker among the first 10%
    of steps and the second in the first half; here both lie in the first
    ``T - lag`` steps so that the lag, not T, sets the dependency length.
    ``baseline = Var(X1 + X2) / 2 = 1/12``: the loss of always predicting the
    mean 1 (Hochreiter & Schmidhuber count a sequence as solved when the
    absolute error is below 0.04).
    """

    name = "adding"
    n_in, n_out = 2, 1
    loss = "mse"
    baseline = 1.0 / 12.0
    source = "Hochreiter & Schmidhuber (1997) experiment 4; Pascanu, Mikolov & Bengio (2013)"

    def __init__(self, lag=20, seq_len=None):
        func = "AddingProblem"
        self.lag = check_int(lag, "lag", func, low=0)
        self.min_seq_len = self.lag + 2
        self.seq_len = (self.lag + 10 if seq_len is None
                        else check_int(seq_len, "seq_len", func, low=self.min_seq_len,
                                       why=f"at least lag + 2 = {self.min_seq_len}: both "
                                           f"markers lie at least lag={self.lag} steps "
                                           f"before the last"))

    def _generate(self, B, T, rng):
        values = rng.uniform(0.0, 1.0, size=(T, B))
        span = T - self.lag
        # Two distinct positions among the first `span` steps, per sequence.
        first = rng.integers(0, span, size=B)
        second = (first + 1 + rng.integers(0, span - 1, size=B)) % span
        markers = np.zeros((T, B))
        cols = np.arange(B)
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        inputs = np.stack([values, markers], axis=-1)                   # (T, B, 2)
        targets = np.zeros((T, B, 1))
        targets[-1, :, 0] = values[first, cols] + values[second, cols]
        mask = np.zeros((T, B))
        mask[-1] = 1.0
        return Batch(inputs, targets, mask, "mse")

    def _params(self):
        return {"lag": self.lag, "seq_len": self.seq_len}


class CopyMemory(Task):
    """The copying memory problem with an adjustable lag.

    ``n_symbols`` symbols drawn from ``1..n_classes`` must be recalled, in
    order, exactly ``lag`` steps after they were shown. Inputs are one-hot
    over ``n_classes + 2`` tokens (0 blank, 1..n_classes symbols,
    ``n_classes + 1`` the delimiter); targets are class labels over
    ``n_classes + 1`` outputs (0 blank, 1..n_classes symbols); cross-entropy
    at every step.

    Layout of a sequence of T steps: blanks, the symbols at steps
    ``[T - lag - n_symbols, T - lag)``, blanks, the delimiter at step
    ``T - n_symbols - 1``, then the recall steps ``[T - n_symbols, T)``
    whose targets are the symbols. The target is blank everywhere else.

    Parameters
    ----------
    lag : int >= n_symbols + 1
        Distance from each symbol to its recall.
    n_symbols : int >= 1
    n_classes : int >= 1
    seq_len : int >= lag + n_symbols, optional
        Default T = ``lag + n_symbols`` (no leading blanks, Arjovsky et al.'s layout).

    Notes
    -----
    Source: Hochreiter & Schmidhuber (1997); the layout and the baseline are
    those of Arjovsky, Shah & Bengio (2016): predicting blanks, then uniform
    guesses over the symbols after the delimiter, scores
    ``baseline = n_symbols log(n_classes) / T`` per step.
    """

    name = "copy_memory"
    loss = "cross_entropy"
    source = "Hochreiter & Schmidhuber (1997); Arjovsky, Shah & Bengio (2016)"

    def __init__(self, lag=20, n_symbols=10, n_classes=8, seq_len=None):
        func = "CopyMemory"
        self.n_symbols = check_int(n_symbols, "n_symbols", func, low=1)
        self.n_classes = check_int(n_classes, "n_classes", func, low=1)
        self.lag = check_int(lag, "lag", func, low=self.n_symbols + 1,
                             why=f"more than n_symbols = {self.n_symbols}: the symbols are "
                                 f"recalled after they have all been read")
        self.min_seq_len = self.lag + self.n_symbols
        self.seq_len = (self.min_seq_len if seq_len is None
                        else check_int(seq_len, "seq_len", func, low=self.min_seq_len,
                                       why=f"at least lag + n_symbols = {self.min_seq_len}: "
                                           f"the recall ends lag={self.lag} steps after the "
                                           f"{self.n_symbols} symbols"))
        self.n_in = self.n_classes + 2
        self.n_out = self.n_classes + 1

    @property
    def baseline(self) -> float:
        return self.n_symbols * np.log(self.n_classes) / self.seq_len

    def _generate(self, B, T, rng):
        n, K = self.n_symbols, self.n_classes
        symbols = rng.integers(1, K + 1, size=(n, B))
        tokens = np.zeros((T, B), dtype=np.int64)
        first = T - self.lag - n
        tokens[first:first + n] = symbols
        tokens[T - n - 1] = K + 1                                       # the delimiter
        targets = np.zeros((T, B), dtype=np.int64)
        targets[T - n:] = symbols
        return Batch(_one_hot(tokens, K + 2), targets, np.ones((T, B)), "cross_entropy")

    def _params(self):
        return {"lag": self.lag, "n_symbols": self.n_symbols, "n_classes": self.n_classes,
                "seq_len": self.seq_len}


class TemporalOrder(Task):
    """The temporal order problem: classify the order of two widely separated symbols.

    A sequence starts with ``E``, ends with ``B`` and is otherwise made of
    random distractors ``a, b, c, d``, except at two steps ``t1`` and ``t2``
    that show ``X`` or ``Y``. Its class (given only at the last step,
    cross-entropy over 4 classes) is the order: XX -> 0 (Q), XY -> 1 (R),
    YX -> 2 (S), YY -> 3 (U). Inputs are one-hot over the 8 symbols
    ``a b c d X Y E B`` (I = 8).

    ``t1`` is drawn in ``[round(0.1 T), round(0.2 T)]`` and ``t2`` in
    ``[round(0.5 T), round(0.6 T)]``, the original ranges for T = 100.

    Parameters
    ----------
    seq_len : int >= 10
        Default T (100, as in the original's 100-110).

    Notes
    -----
    Source: Hochreiter & Schmidhuber (1997), experiment 6a (sequence length
    100-110, t1 in [10, 20], t2 in [50, 60]). ``baseline = log 4``.
    """

    name = "temporal_order"
    n_in, n_out = 8, 4
    loss = "cross_entropy"
    min_seq_len = 10
    baseline = float(np.log(4.0))
    source = "Hochreiter & Schmidhuber (1997), experiment 6a"
    symbols = "abcdXYEB"

    def __init__(self, seq_len=100):
        self.seq_len = check_int(seq_len, "seq_len", "TemporalOrder", low=self.min_seq_len)

    @staticmethod
    def positions(T):
        """The ranges ``(t1_lo, t1_hi), (t2_lo, t2_hi)`` (inclusive) for length T."""
        return ((round(0.1 * T), round(0.2 * T)), (round(0.5 * T), round(0.6 * T)))

    def _generate(self, B, T, rng):
        (a1, b1), (a2, b2) = self.positions(T)
        tokens = rng.integers(0, 4, size=(T, B))                        # distractors a..d
        tokens[0], tokens[-1] = 6, 7                                    # E ... B
        t1 = rng.integers(a1, b1 + 1, size=B)
        t2 = rng.integers(a2, b2 + 1, size=B)
        is_y1 = rng.integers(0, 2, size=B)
        is_y2 = rng.integers(0, 2, size=B)
        cols = np.arange(B)
        tokens[t1, cols] = 4 + is_y1
        tokens[t2, cols] = 4 + is_y2
        targets = np.zeros((T, B), dtype=np.int64)
        targets[-1] = 2 * is_y1 + is_y2
        mask = np.zeros((T, B))
        mask[-1] = 1.0
        return Batch(_one_hot(tokens, 8), targets, mask, "cross_entropy")

    def _params(self):
        return {"seq_len": self.seq_len}


class SequenceClassification(Task):
    """Classify a noisy sequence from a short key shown ``lag`` steps before its end.

    Each sequence has a class ``c`` in ``0..n_classes-1``. For ``key_len``
    steps ending ``lag`` steps before the last step, the input (I = 1) is the
    class level ``-1 + 2c / (n_classes - 1)`` plus noise; every other step is
    pure noise ``N(0, noise^2)``. The class is the target of the last step
    only (cross-entropy over ``n_classes``): the network must latch the key
    and hold it through the noise.

    Parameters
    ----------
    lag : int >= 0
        Steps from the last key step to the last step.
    n_classes : int >= 2
    key_len : int >= 1
    noise : float >= 0
    seq_len : int >= lag + key_len, optional
        Default T = ``lag + key_len``: the key opens the sequence.

    Notes
    -----
    Source: the information-latching problem of Bengio, Simard & Frasconi
    (1994): the class depends only on the first inputs, the rest is noise,
    and only the end is scored. ``baseline = log(n_classes)``.
    """

    name = "sequence_classification"
    n_in = 1
    loss = "cross_entropy"
    source = "Bengio, Simard & Frasconi (1994), information latching"

    def __init__(self, lag=20, n_classes=2, key_len=3, noise=0.2, seq_len=None):
        func = "SequenceClassification"
        self.lag = check_int(lag, "lag", func, low=0)
        self.n_classes = check_int(n_classes, "n_classes", func, low=2)
        self.key_len = check_int(key_len, "key_len", func, low=1)
        self.noise = check_real(noise, "noise", func, low=0)
        self.min_seq_len = self.lag + self.key_len
        self.seq_len = (self.min_seq_len if seq_len is None
                        else check_int(seq_len, "seq_len", func, low=self.min_seq_len,
                                       why=f"at least lag + key_len = {self.min_seq_len}: the "
                                           f"{self.key_len}-step key lies lag={self.lag} steps "
                                           f"before the end"))
        self.n_out = self.n_classes

    @property
    def baseline(self) -> float:
        return float(np.log(self.n_classes))

    def _generate(self, B, T, rng):
        labels = rng.integers(0, self.n_classes, size=B)
        levels = -1.0 + 2.0 * labels / (self.n_classes - 1)
        inputs = self.noise * rng.standard_normal((T, B, 1))
        end = T - self.lag                                              # key is [end - key_len, end)
        inputs[end - self.key_len:end, :, 0] += levels
        targets = np.zeros((T, B), dtype=np.int64)
        targets[-1] = labels
        mask = np.zeros((T, B))
        mask[-1] = 1.0
        return Batch(inputs, targets, mask, "cross_entropy")

    def _params(self):
        return {"lag": self.lag, "n_classes": self.n_classes, "key_len": self.key_len,
                "noise": self.noise, "seq_len": self.seq_len}


# --- character-level language modelling ---------------------------------------

TEXT_SOURCE = ("Shakespeare, Coriolanus, the opening of Act I (public domain), as it begins "
               "the 'tiny shakespeare' file of Karpathy's char-rnn")


def load_text() -> str:
    """The public-domain text shipped with the package (about 16 KB).

    The opening of Shakespeare's *Coriolanus* (Act I, scenes 1-3), as it
    begins the "tiny shakespeare" file of Karpathy's char-rnn.
    """
    return (resources.files("bpttviz") / "data" / "coriolanus.txt").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text, each with an integer id (in sorted order).

    Attributes
    ----------
    chars : str
        The distinct characters, sorted; ``chars[i]`` has id ``i``.
    """

    chars: str
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.chars, str):
            raise TypeError(f"The 'chars' parameter of Vocabulary must be a str. "
                            f"Got {describe(self.chars)} instead.")
        if not self.chars or len(set(self.chars)) != len(self.chars):
            raise ValueError(f"The 'chars' parameter of Vocabulary must be a non-empty str of "
                             f"distinct characters. Got {describe(self.chars)} instead.")
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        """The vocabulary of the characters in ``text``."""
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        """Number of characters V."""
        return len(self.chars)

    def __len__(self):
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Ids (n,) of the characters of ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"The 'text' parameter of Vocabulary.encode must be a str. "
                            f"Got {describe(text)} instead.")
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as exc:
            raise ValueError(f"The 'text' parameter of Vocabulary.encode must hold only the "
                             f"vocabulary's {self.size} characters. Got {exc.args[0]!r}, which "
                             f"is not in the vocabulary.") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (any shape, read in order)."""
        ids = check_array(ids, "ids", "Vocabulary.decode", kind="int", what="character ids",
                          allow_empty=True)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"The 'ids' parameter of Vocabulary.decode must hold ids in "
                             f"[0, {self.size - 1}]. Got values in [{ids.min()}, {ids.max()}] "
                             f"instead.")
        return "".join(self.chars[int(i)] for i in np.ravel(ids))


class CharLM(Task):
    """Character-level language modelling: predict the next character of a text.

    Inputs are one-hot characters (T, B, V); the target of step t is the id of
    the next character (T, B); cross-entropy at every step. Each sequence is
    a window of ``T + 1`` consecutive characters starting at a uniformly
    drawn offset.

    Parameters
    ----------
    text : str, optional
        The text (default: :func:`load_text`, a public-domain excerpt of
        Shakespeare). It must hold at least ``seq_len + 1`` characters.
    seq_len : int >= 1
        Default T.

    Attributes
    ----------
    vocab : Vocabulary
    ids : ndarray (N,)
        The text encoded.

    Notes
    -----
    Source: Karpathy's min-char-rnn (2015) and char-rnn. ``baseline`` is the
    entropy (in nats) of the text's character frequencies: the loss of the
    best predictor that ignores the context.
    """

    name = "char_lm"
    loss = "cross_entropy"
    min_seq_len = 1
    source = "Karpathy (2015), min-char-rnn / char-rnn"

    def __init__(self, text=None, seq_len=50):
        func = "CharLM"
        if text is None:
            text = load_text()
        if not isinstance(text, str):
            raise TypeError(f"The 'text' parameter of {func} must be a str. "
                            f"Got {type(text).__name__} instead.")
        if len(text) < 2:
            raise ValueError(f"The 'text' parameter of {func} must hold at least 2 characters. "
                             f"Got {len(text)} instead.")
        self.text = text
        self.vocab = Vocabulary.from_text(text)
        self.ids = self.vocab.encode(text)
        self.n_in = self.n_out = self.vocab.size
        self.seq_len = self.check_seq_len(50 if seq_len is None else seq_len, func)

    @classmethod
    def from_file(cls, path, *, encoding="utf-8", seq_len=50):
        """Character-level modelling of the text of a file.

        Parameters
        ----------
        path : str or os.PathLike, bytes, or a file object
            The file's path; or its content as bytes (as a lesson receives an
            upload); or a file object opened in binary (or text) mode.
            At most :data:`MAX_BYTES` (5 MB) and ``seq_len + 1`` characters.
        encoding : str
            The text encoding of the file (a BOM is dropped; line endings are
            read as ``"\\n"``, as Python's ``open`` reads them).
        seq_len : int >= 1
            Default T, as for :class:`CharLM`.

        Returns
        -------
        CharLM
            ``task.text`` is the file's text.

        Notes
        -----
        A bad file raises a ValueError naming ``path``: an empty or binary
        file, one the encoding cannot read (with the encoding to pass), one
        over :data:`MAX_BYTES`, one shorter than ``seq_len + 1`` characters.
        """
        func = "CharLM.from_file"
        encoding = check_encoding(encoding, func)
        seq_len = check_int(seq_len, "seq_len", func, low=1)
        text, _ = read_text(path, encoding, func)
        if len(text) < seq_len + 1:
            raise ValueError(f"The 'path' parameter of {func} must hold at least seq_len + 1 = "
                             f"{seq_len + 1} characters (seq_len={seq_len}: lower 'seq_len' or "
                             f"give a longer text). Got {len(text)} instead.")
        return cls(text, seq_len=seq_len)

    @property
    def max_seq_len(self):
        return len(self.text) - 1

    def check_seq_len(self, seq_len, func=None):
        func = func or "CharLM.sample"
        if seq_len is None:
            return self.seq_len
        if (isinstance(seq_len, numbers.Integral) and not isinstance(seq_len, bool)
                and seq_len > self.max_seq_len):
            raise ValueError(f"The 'seq_len' parameter of {func}: the text of {len(self.text)} "
                             f"characters is too short for seq_len={seq_len} in {func} (a "
                             f"sequence needs seq_len + 1 characters), so seq_len must be at "
                             f"most {self.max_seq_len}. Got {seq_len} instead.")
        return check_int(seq_len, "seq_len", func, low=1)

    @property
    def baseline(self) -> float:
        p = np.bincount(self.ids, minlength=self.vocab.size) / self.ids.size
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    def _generate(self, B, T, rng):
        starts = rng.integers(0, self.ids.size - T, size=B)
        window = self.ids[starts[None, :] + np.arange(T + 1)[:, None]]    # (T+1, B)
        return Batch(_one_hot(window[:-1], self.vocab.size), window[1:].copy(),
                     np.ones((T, B)), "cross_entropy")

    def _params(self):
        return {"text": f"<{len(self.text)} characters>", "seq_len": self.seq_len}


TASKS = {
    "sine": SineWave,
    "noisy_sine": NoisySineWave,
    "adding": AddingProblem,
    "copy_memory": CopyMemory,
    "temporal_order": TemporalOrder,
    "char_lm": CharLM,
    "sequence_classification": SequenceClassification,
    "nile": nile,
}


def make_task(name, **params) -> Task:
    """The task registered under ``name`` in :data:`TASKS`, built with ``params``."""
    name = check_option(name, "name", "make_task", tuple(TASKS))
    return TASKS[name](**params)
