"""Recurrent networks: a cell unfolded in time with shared weights, and a linear read-out.

``yhat_t = W_hy h_t + b_y``. Parameters live in ``model.params``, a dict of
NumPy arrays (float64 unless ``dtype`` says otherwise) that can be read and
assigned; they are checked before each use. :func:`unroll` runs a network
forward (no targets, no gradients); the engine adds the backward passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (check_array, check_instance, check_int, check_option, check_real,
                          check_state, describe, is_real)
from .cells import ElmanCell, GRUCell, LSTMCell

DTYPES = {"float64": np.float64, "float32": np.float32}


def _dtype(dtype, func):
    """The NumPy type of a dtype given by name ("float32"), as np.dtype or as a type."""
    if isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, (np.generic, float))):
        dtype = np.dtype(dtype).name
    return DTYPES[check_option(dtype, "dtype", func, tuple(DTYPES))]


def spectral_radius(W):
    """Largest absolute eigenvalue of a finite square matrix ``W`` (n, n)."""
    W = check_array(W, "W", "spectral_radius", ndim=2, shape=(("n", None), ("n", None)))
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"The 'W' parameter of spectral_radius must be a square matrix (n, n). "
                         f"Got shape {W.shape} instead.")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def max_singular_value(W):
    """Largest singular value (spectral norm) of a finite matrix ``W`` (m, n)."""
    W = check_array(W, "W", "max_singular_value", ndim=2, shape=(("m", None), ("n", None)))
    return float(np.linalg.norm(W, 2))


class RNN:
    """A recurrent cell plus a linear read-out; the base of every model.

    Subclasses set ``self.cell`` and fill ``self.params`` with the cell's
    parameters; this class adds ``W_hy`` (O, H) and ``b_y`` (O,).
    """

    name = "RNN"

    def __init__(self, cell, n_out, seed, dtype):
        self.cell = cell
        self.n_out = check_int(n_out, "n_out", self.name, low=1)
        self.seed = check_int(seed, "seed", self.name, low=0)
        self.dtype = _dtype(dtype, self.name)
        self.rng = np.random.default_rng(self.seed)
        H = cell.n_hidden
        self.params = {
            "W_hy": self.rng.normal(0.0, 1.0 / np.sqrt(H), size=(self.n_out, H)),
            "b_y": np.zeros(self.n_out),
        }

    # -- sizes -------------------------------------------------------------
    @property
    def n_in(self) -> int:
        return self.cell.n_in

    @property
    def n_hidden(self) -> int:
        return self.cell.n_hidden

    @property
    def state_size(self) -> int:
        return self.cell.state_size

    def param_shapes(self):
        """Expected shape of every parameter, keyed like ``params``."""
        shapes = dict(self.cell.param_shapes())
        shapes["W_hy"] = (self.n_out, self.n_hidden)
        shapes["b_y"] = (self.n_out,)
        return shapes

    def checked_params(self, func="bptt"):
        """The parameters as arrays of ``self.dtype``, after checking names, shapes and values."""
        shapes = self.param_shapes()
        if not isinstance(self.params, dict) or set(self.params) != set(shapes):
            got = sorted(self.params) if isinstance(self.params, dict) else type(self.params).__name__
            raise ValueError(f"The model's params given to {func} must be a dict with keys "
                             f"{sorted(shapes)}. Got {got} instead.")
        out = {}
        for name, shape in shapes.items():
            arr = np.asarray(self.params[name])
            bad = f"The model given to {func} has a bad parameter: {name!r} must"
            if not is_real(arr.dtype):
                raise TypeError(f"{bad} hold real numbers. Got dtype {arr.dtype} instead.")
            if arr.shape != shape:
                raise ValueError(f"{bad} have shape {shape}. Got shape {arr.shape} instead.")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{bad} be finite. Got a non-finite value instead.")
            out[name] = arr.astype(self.dtype, copy=False)
        return out

    def _set_params(self, cell_params):
        """``params``: the cell's, then the read-out's (set by ``__init__``), in ``self.dtype``."""
        self.params = {k: v.astype(self.dtype) for k, v in {**cell_params, **self.params}.items()}

    def init_state(self, batch_size: int):
        """Zero initial state (B, S)."""
        return np.zeros((batch_size, self.state_size), dtype=self.dtype)

    def predict(self, inputs, h0=None):
        """Outputs ``yhat`` (T, B, O) for ``inputs`` (T, B, I); no gradients."""
        return _unroll(self, inputs, h0, f"{type(self).__name__}.predict").outputs

    def copy(self):
        """A deep copy (parameters copied, same configuration)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.params = {k: np.array(v, copy=True) for k, v in self.params.items()}
        clone.rng = np.random.default_rng(self.seed)
        return clone

    def __repr__(self):
        return (f"{self.name}(n_in={self.n_in}, n_hidden={self.n_hidden}, n_out={self.n_out}, "
                f"seed={self.seed}, dtype={np.dtype(self.dtype).name})")


class ElmanRNN(RNN):
    """Elman network: ``h_t = phi(W_xh x_t + W_hh h_{t-1} + b_h)``, ``yhat_t = W_hy h_t + b_y``.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Sizes I, H and O.
    activation : {"tanh", "relu", "sigmoid", "linear"}
    seed : int
        Seed of the initialization.
    radius : float, optional
        Spectral radius (largest |eigenvalue|) to give ``W_hh`` exactly.
    sigma : float, optional
        Largest singular value to give ``W_hh`` exactly (Pascanu et al. 2013
        state their vanishing condition in terms of it). At most one of
        ``radius`` and ``sigma``; with neither, ``W_hh ~ N(0, 1/H)``.
    input_scale : float
        ``W_xh ~ N(0, input_scale^2 / I)``.
    dtype : {"float64", "float32"}
        Floating type of parameters and computation (float64 by default).

    Notes
    -----
    ``W_hy ~ N(0, 1/H)``; biases start at zero.
    """

    name = "ElmanRNN"

    def __init__(self, n_in, n_hidden, n_out, activation="tanh", seed=0, *, radius=None,
                 sigma=None, input_scale=1.0, dtype="float64"):
        cell = ElmanCell(n_in, n_hidden, activation)
        super().__init__(cell, n_out, seed, dtype)
        radius = check_real(radius, "radius", self.name, low=0, allow_none=True)
        sigma = check_real(sigma, "sigma", self.name, low=0, allow_none=True)
        input_scale = check_real(input_scale, "input_scale", self.name, low=0)
        if radius is not None and sigma is not None:
            raise ValueError("The 'radius' and 'sigma' parameters of ElmanRNN set the same "
                             f"scale: give at most one. Got radius={radius} and sigma={sigma}.")
        H, I = self.n_hidden, self.n_in
        W_xh = self.rng.normal(0.0, input_scale / np.sqrt(I), size=(H, I))
        W_hh = self.rng.normal(0.0, 1.0 / np.sqrt(H), size=(H, H))
        if radius is not None:
            W_hh *= radius / spectral_radius(W_hh)
        elif sigma is not None:
            W_hh *= sigma / max_singular_value(W_hh)
        self._set_params({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(H)})

    @property
    def activation(self) -> str:
        return self.cell.activation

    def __repr__(self):
        return super().__repr__()[:-1] + f", activation={self.activation!r})"


class LSTM(RNN):
    """LSTM network (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000).

    ``[i, f, g, o]`` gates from ``W_xh x_t + W_hh h_{t-1} + b_h``,
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``, ``yhat_t = W_hy h_t + b_y``.
    The state is ``[h, c]`` (S = 2H); see :class:`bpttviz.cells.LSTMCell`.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Sizes I, H and O.
    seed : int
        Seed of the initialization.
    forget_bias : float
        Added to the forget-gate bias ``b_h[H:2H]``, so that the cell starts
        by remembering (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1).
    dtype : {"float64", "float32"}
        Floating type of parameters and computation (float64 by default).
    activation : None
        Not chosen: the gates are logistic sigmoids and the cell uses tanh. Any other
        value is refused with a message that says so (:class:`ElmanRNN` chooses its
        activation).

    Notes
    -----
    ``W_xh`` (4H, I), ``W_hh`` (4H, H) and ``b_h`` (4H,) (gate order i, f, g, o,
    as in ``torch.nn.LSTM``) start uniform in ``[-1/sqrt(H), 1/sqrt(H)]`` like
    PyTorch's; ``W_hy ~ N(0, 1/H)``, ``b_y = 0``.
    """

    name = "LSTM"

    def __init__(self, n_in, n_hidden, n_out, seed=0, *, forget_bias=1.0, dtype="float64",
                 activation=None):
        _no_activation(activation, "LSTM")
        cell = LSTMCell(n_in, n_hidden)
        super().__init__(cell, n_out, seed, dtype)
        self.forget_bias = check_real(forget_bias, "forget_bias", self.name)
        H = self.n_hidden
        params = _uniform_init(self.rng, cell.param_shapes(), H)
        params["b_h"][H:2 * H] += self.forget_bias
        self._set_params(params)

    def __repr__(self):
        return super().__repr__()[:-1] + f", forget_bias={self.forget_bias!r})"


class GRU(RNN):
    """GRU network (Cho et al. 2014), in PyTorch's convention.

    ``r, z = sigmoid(...)``, ``n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))``,
    ``h_t = (1 - z) * n + z * h_{t-1}``, ``yhat_t = W_hy h_t + b_y``;
    see :class:`bpttviz.cells.GRUCell`.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Sizes I, H and O.
    seed : int
        Seed of the initialization.
    dtype : {"float64", "float32"}
        Floating type of parameters and computation (float64 by default).
    activation : None
        Not chosen: the gates are logistic sigmoids and the candidate uses tanh. Any
        other value is refused with a message that says so (:class:`ElmanRNN` chooses its
        activation).

    Notes
    -----
    ``W_xh`` (3H, I), ``W_hh`` (3H, H), ``b_xh`` and ``b_hh`` (3H,) (gate order
    r, z, n, as in ``torch.nn.GRU``) start uniform in ``[-1/sqrt(H), 1/sqrt(H)]``
    like PyTorch's; ``W_hy ~ N(0, 1/H)``, ``b_y = 0``.
    """

    name = "GRU"

    def __init__(self, n_in, n_hidden, n_out, seed=0, *, dtype="float64", activation=None):
        _no_activation(activation, "GRU")
        cell = GRUCell(n_in, n_hidden)
        super().__init__(cell, n_out, seed, dtype)
        self._set_params(_uniform_init(self.rng, cell.param_shapes(), self.n_hidden))


_GATED = {"LSTM": "an LSTM's gates are logistic sigmoids and its cell uses tanh",
          "GRU": "a GRU's gates are logistic sigmoids and its candidate state uses tanh"}


def _no_activation(activation, func):
    """Refuse an activation for a gated network, whose nonlinearities are part of the cell."""
    if activation is not None:
        raise ValueError(
            f"The 'activation' parameter of {func} must be None: {_GATED[func]}, as the "
            f"architecture defines them (ElmanRNN takes an activation). "
            f"Got {describe(activation)} instead.")


def _uniform_init(rng, shapes, H):
    """PyTorch's recurrent-layer initialization: every array uniform in [-1/sqrt(H), 1/sqrt(H)]."""
    bound = 1.0 / np.sqrt(H)
    return {name: rng.uniform(-bound, bound, size=shape) for name, shape in shapes.items()}


# --- the forward pass ------------------------------------------------------------

def check_model(model, func):
    """The model's parameters, checked (TypeError/ValueError naming what is wrong)."""
    check_instance(model, "model", func, RNN, "a bpttviz model (ElmanRNN, LSTM, GRU)")
    return model.checked_params(func)


def check_inputs(model, inputs, h0, func, copy=True):
    """``(params copy, inputs (T, B, I), h0 (B, S))`` of a model, checked.

    The inputs are copied too unless ``copy=False`` (then the caller must not
    change them while it uses them).
    """
    params = check_model(model, func)
    dtype = model.dtype
    x = check_array(inputs, "inputs", func, ndim=3, dtype=dtype,
                    shape=(("T", None), ("B", None), ("I", model.n_in)))
    if copy:
        x = x.copy()
    B, S = x.shape[1], model.state_size
    if h0 is None:
        s0 = model.init_state(B)
    else:
        state = "a state" if S == model.n_hidden else "a state [h, c]"
        s0 = check_state(h0, "h0", func, B, S, state, dtype).copy()
    return {k: v.copy() for k, v in params.items()}, x, s0


@dataclass(frozen=True, eq=False)
class Unrolled:
    """A forward pass: states (T, B, S), hidden (T, B, H), outputs (T, B, O), and the cell cache."""

    states: np.ndarray
    hidden: np.ndarray
    outputs: np.ndarray
    cache: dict
    params: dict


def unroll(model, inputs, h0=None) -> Unrolled:
    """Run the network forward over ``inputs`` (T, B, I); no targets, no gradients."""
    return _unroll(model, inputs, h0, "unroll")


def _unroll(model, inputs, h0, func):
    params, x, s0 = check_inputs(model, inputs, h0, func)
    cell = model.cell
    with np.errstate(all="ignore"):
        cache = cell.forward(params, x, s0)
        hidden = cell.hidden(cache["s"])
        outputs = hidden @ params["W_hy"].T + params["b_y"]
    return Unrolled(cache["s"], hidden, outputs, cache, params)
