"""The diagnostics, each against a case computed independently: a one- or
two-unit network worked by hand, finite differences, a second formulation
(explicit Jacobian products, two bptt traces, reverse mode), or a bound the
theory says must hold."""

import numpy as np
import pytest

import bpttviz
from bpttviz import diagnostics as D
from bpttviz import schedules
from bpttviz.diagnostics import lyapunov_of, singular_values_of, step_jacobians
from bpttviz.diagnostics.surfaces import CLIFF_TARGET, CLIFF_X0, _cliff_run


# --- small networks whose answers can be written by hand -----------------------

def scalar_rnn(w, activation="linear", w_x=1.0, b=0.0, w_y=1.0):
    """A one-unit Elman network ``h_t = phi(w h_{t-1} + w_x x_t + b)``, ``yhat_t = w_y h_t``."""
    model = bpttviz.ElmanRNN(1, 1, 1, activation)
    model.params.update(W_hh=np.array([[w]]), W_xh=np.array([[w_x]]), b_h=np.array([b]),
                        W_hy=np.array([[w_y]]), b_y=np.zeros(1))
    return model


def diagonal_rnn(ws, activation="linear"):
    """Units that do not talk to each other: ``W_hh = diag(ws)``."""
    H = len(ws)
    model = bpttviz.ElmanRNN(1, H, 1, activation, seed=3)
    model.params["W_hh"] = np.diag(np.asarray(ws, dtype=float))
    return model


def series(T, B=1, I=1, seed=0, O=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, B, I)), rng.normal(size=(T, B, O))


def textbook_states(model, x, h0=None):
    """h_t of an Elman network by the plain loop, written from the equation: (T, B, H)."""
    P = model.params
    phi = {"tanh": np.tanh, "linear": lambda a: a,
           "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0)}
    h = np.zeros((x.shape[1], model.n_hidden)) if h0 is None else h0
    out = []
    for t in range(x.shape[0]):
        h = phi[model.activation](x[t] @ P["W_xh"].T + h @ P["W_hh"].T + P["b_h"])
        out.append(h)
    return np.array(out)


def explicit_product_norms(J):
    """(T, T) max over the batch of ||J_tau ... J_{s+1}||_2, one product and one SVD per pair."""
    T, B = J.shape[:2]
    N = np.zeros((T, T))
    for tau in range(T):
        for s in range(tau + 1):
            for b in range(B):
                P = np.eye(J.shape[-1])
                for t in range(s + 1, tau + 1):
                    P = J[t, b] @ P
                N[tau, s] = max(N[tau, s], np.linalg.norm(P, 2))
    return N


def jacobians(model, x, h0=None):
    u = bpttviz.unroll(model, x, h0)
    return model.cell.jacobians(u.params, u.cache)


def gated_models():
    return [bpttviz.LSTM(2, 4, 2, seed=1), bpttviz.GRU(2, 4, 2, seed=1)]


def all_models():
    return [bpttviz.ElmanRNN(2, 5, 2, "tanh", seed=1, sigma=1.3),
            bpttviz.ElmanRNN(2, 5, 2, "sigmoid", seed=2, sigma=3.0)] + gated_models()


MODEL_IDS = ["elman-tanh", "elman-sigmoid", "lstm", "gru"]


# --- singular values of the step Jacobians ---------------------------------------

@pytest.mark.parametrize("w", [0.5, -1.7])
def test_linear_unit_jacobian_is_w(w):
    x, _ = series(12, B=2)
    sv = D.jacobian_singular_values(scalar_rnn(w), x)
    assert sv.shape == (12, 2, 1)
    np.testing.assert_allclose(sv, abs(w), rtol=1e-15)


def test_tanh_unit_jacobian_is_w_times_one_minus_h_squared():
    model = scalar_rnn(1.4, "tanh", w_x=0.8, b=0.1)
    x, _ = series(15, B=3)
    h = textbook_states(model, x)                       # (T, B, 1)
    np.testing.assert_allclose(D.jacobian_singular_values(model, x)[..., 0],
                               np.abs(1.4 * (1 - h[..., 0] ** 2)), rtol=1e-12)


@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_singular_values_are_those_of_finite_difference_jacobians(model):
    x, _ = series(6, B=2, I=2)
    u = bpttviz.unroll(model, x)
    s_prev = np.concatenate([model.init_state(2)[None], u.states[:-1]])
    sv = D.jacobian_singular_values(model, x)
    eps = 1e-6
    for t in (0, 3, 5):
        S = model.state_size
        J = np.empty((2, S, S))
        for j in range(S):
            e = np.zeros(S)
            e[j] = eps
            up = model.cell.forward(u.params, x[t:t + 1], s_prev[t] + e)["s"][0]
            down = model.cell.forward(u.params, x[t:t + 1], s_prev[t] - e)["s"][0]
            J[:, :, j] = (up - down) / (2 * eps)
        np.testing.assert_allclose(sv[t], np.linalg.svd(J, compute_uv=False), atol=1e-8)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_step_norms_obey_gamma_times_sigma_max(activation):
    model = bpttviz.ElmanRNN(2, 8, 1, activation, seed=4, sigma=1.7)
    x, _ = series(30, B=2, I=2)
    sv = D.jacobian_singular_values(model, x)
    assert np.all(np.diff(sv, axis=-1) <= 0)            # descending
    assert sv.max() <= D.gamma(model) * D.recurrent_spectrum(model).sigma_max * (1 + 1e-12)


def test_non_finite_jacobians_give_nan_without_warnings(monkeypatch):
    """Whatever cell produced them (an overflowed state), NaN Jacobians are recorded, not raised."""
    model = bpttviz.ElmanRNN(1, 3, 1, "tanh", seed=0)
    x, _ = series(8, B=2)
    J = jacobians(model, x)
    J[3, 1, 0, 0] = np.nan                                   # example 1 breaks at step 3
    monkeypatch.setattr(model.cell, "jacobians", lambda params, cache: J.copy())
    sv = D.jacobian_singular_values(model, x)
    assert np.isnan(sv[3, 1]).all() and np.isfinite(np.delete(sv.reshape(16, 3), 7, axis=0)).all()
    N = D.jacobian_product_norms(model, x)
    lag = np.subtract.outer(np.arange(8), np.arange(8))
    broken = (np.arange(8)[:, None] >= 3) & (np.arange(8)[None, :] < 3)     # products through J_3
    assert np.isnan(N[broken]).all() and np.isfinite(N[~broken & (lag >= 0)]).all()
    assert np.isnan(D.lyapunov_exponent(model, x))
    assert np.isnan(D.lyapunov_spectrum(model, x)).all()
    assert np.isfinite(D.lyapunov_exponent(model, x, discard=4))


def test_overflowing_states_of_a_linear_unit_keep_exact_jacobians():
    model = scalar_rnn(1e10)                                 # h_t = 1e10^t x_0 overflows at t = 31
    x, _ = series(40)
    np.testing.assert_allclose(D.jacobian_singular_values(model, x), 1e10)
    L = D.jacobian_product_norms(model, x, log=True)
    assert L[39, 0] == pytest.approx(39 * np.log(1e10), rel=1e-12)


# --- diagnostics of Jacobians computed once -------------------------------------------

@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_step_jacobians_are_the_cells_along_the_unrolled_trajectory(model):
    x, _ = series(7, B=2, I=2)
    h0 = np.random.default_rng(5).normal(size=(2, model.state_size))
    J = step_jacobians(model, x, h0)
    assert J.shape == (7, 2, model.state_size, model.state_size) and J.dtype == np.float64
    np.testing.assert_array_equal(J, jacobians(model, x, h0))


@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_diagnostics_of_precomputed_jacobians_are_those_of_the_model(model):
    x, _ = series(25, B=3, I=2)
    J = step_jacobians(model, x)
    np.testing.assert_array_equal(singular_values_of(J), D.jacobian_singular_values(model, x))
    for discard in (0, 6):
        assert lyapunov_of(J, discard=discard) == D.lyapunov_exponent(model, x, discard=discard)


def test_singular_values_and_lyapunov_of_hand_made_jacobians():
    J = np.zeros((4, 2, 2, 2))
    J[:, 0] = np.diag([3.0, -4.0])                       # example 0: singular values 4, 3
    J[:, 1] = [[0.0, 2.0], [0.5, 0.0]]                   # example 1: swaps and scales
    np.testing.assert_allclose(singular_values_of(J)[:, 0], [[4.0, 3.0]] * 4, rtol=1e-15)
    np.testing.assert_allclose(singular_values_of(J)[:, 1], [[2.0, 0.5]] * 4, rtol=1e-15)
    # Example 0's product of 4 steps has norm 4^4; example 1's is diag(1, 1): lambda 0.
    assert lyapunov_of(J) == pytest.approx(0.5 * np.log(4.0), rel=1e-12)
    J[2, 1, 0, 1] = np.inf                               # a non-finite step: NaN, no warning
    assert np.isnan(singular_values_of(J)[2, 1]).all() and np.isnan(lyapunov_of(J))
    assert lyapunov_of(J, discard=3) == pytest.approx(0.5 * (np.log(4.0) + np.log(2.0)))


# --- norms of Jacobian products ------------------------------------------------------

@pytest.mark.parametrize("w", [0.8, -1.3])
def test_linear_unit_product_norms_are_powers_of_w(w):
    T = 30
    x, _ = series(T)
    lag = np.subtract.outer(np.arange(T), np.arange(T))
    N = D.jacobian_product_norms(scalar_rnn(w), x)
    np.testing.assert_allclose(N, np.where(lag >= 0, abs(w) ** np.maximum(lag, 0), 0.0), rtol=1e-12)
    L = D.jacobian_product_norms(scalar_rnn(w), x, log=True)
    np.testing.assert_allclose(L[lag >= 0], (lag * np.log(abs(w)))[lag >= 0], atol=1e-12)
    assert np.all(L[lag < 0] == -np.inf)


def test_diagonal_units_product_norm_is_the_largest_power():
    T = 25
    x, _ = series(T, B=2)
    lag = np.maximum(np.subtract.outer(np.arange(T), np.arange(T)), 0)
    expected = np.tril(np.maximum(0.9 ** lag, 0.5 ** lag))
    for rtol in (1e-3, 1e-9, 0.0):
        N = D.jacobian_product_norms(diagonal_rnn([0.5, -0.9]), x, rtol=rtol)
        assert np.all(N <= expected * (1 + 1e-12))
        assert np.all(expected <= N * (1 + rtol) * (1 + 1e-12))


def test_tanh_unit_product_norms_by_hand():
    model = scalar_rnn(2.5, "tanh", w_x=1.0)
    T = 20
    x, _ = series(T)
    d = np.abs(2.5 * (1 - textbook_states(model, x)[:, 0, 0] ** 2))     # |J_t|
    N = D.jacobian_product_norms(model, x)
    for tau in range(T):
        for s in range(tau + 1):
            assert N[tau, s] == pytest.approx(np.prod(d[s + 1:tau + 1]), rel=1e-12)


@pytest.mark.parametrize("rtol", [1e-3, 1e-8, 0.0])
@pytest.mark.parametrize("H,sigma,activation", [(6, 1.5, "tanh"), (32, 1.0, "tanh"),
                                                (32, 3.0, "tanh"), (32, 0.7, "sigmoid")])
def test_product_norms_are_within_rtol_below_explicit_products(H, sigma, activation, rtol):
    model = bpttviz.ElmanRNN(1, H, 1, activation, seed=5, sigma=sigma)
    T = 40 if H > 6 else 25
    x, _ = series(T, B=2 if H == 6 else 1)
    exact = explicit_product_norms(jacobians(model, x))
    N = D.jacobian_product_norms(model, x, rtol=rtol)
    assert np.all(N <= exact * (1 + 1e-10))
    assert np.all(exact <= N * (1 + rtol) * (1 + 1e-10))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sigma", [0.8, 1.5, 4.0])
def test_product_norms_obey_the_pascanu_bound(activation, sigma):
    model = bpttviz.ElmanRNN(2, 10, 1, activation, seed=6, sigma=sigma)
    T = 60
    x, _ = series(T, B=3, I=2)
    lag = np.subtract.outer(np.arange(T), np.arange(T))
    bound = D.pascanu_bound(model, np.maximum(lag, 0))
    N = D.jacobian_product_norms(model, x)
    assert np.all(N[lag >= 0] <= bound[lag >= 0] * (1 + 1e-12))


@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_error_flow_is_bounded_by_product_norms(model):
    x, y = series(35, B=3, I=2, O=2)
    flow = bpttviz.bptt(model, x, y).flow
    rtol = 1e-3
    N = D.jacobian_product_norms(model, x, rtol=rtol)
    bound = N * (1 + rtol) * np.diag(flow)[:, None]
    assert np.all(flow <= bound * (1 + 1e-12) + 1e-300)
    # and the bound is not loose everywhere: it is reached to within a factor 10 somewhere off the diagonal
    lag = np.subtract.outer(np.arange(35), np.arange(35))
    assert np.max((flow / np.where(bound > 0, bound, 1))[lag > 0]) > 0.1


def test_product_norms_in_logs_do_not_overflow_at_large_T():
    T = 400
    x, _ = series(T)
    with np.errstate(over="raise"):
        L = D.jacobian_product_norms(scalar_rnn(10.0), x, log=True)
    assert L[T - 1, 0] == pytest.approx((T - 1) * np.log(10.0), rel=1e-12)
    N = D.jacobian_product_norms(scalar_rnn(10.0), x)           # 10^399 overflows: inf, no warning
    assert N[T - 1, 0] == np.inf and N[300, 0] == pytest.approx(1e300, rel=1e-9)


def test_product_of_zero_jacobians_has_norm_zero():
    model = scalar_rnn(1.0, "relu", w_x=1.0)                    # relu off when x < 0
    x = np.ones((10, 1, 1))
    x[4] = -5.0
    N = D.jacobian_product_norms(model, x)
    assert np.all(N[4:, :4] == 0)                                  # every product through J_4 = 0
    assert all(N[tau, s] > 0 for tau in range(4, 10) for s in range(4, tau + 1))


# --- Lyapunov exponents -----------------------------------------------------------------

@pytest.mark.parametrize("w", [0.5, -1.5, 2.0])
def test_linear_unit_lyapunov_exponent_is_log_w(w):
    x, _ = series(50, B=2)
    assert D.lyapunov_exponent(scalar_rnn(w), x) == pytest.approx(np.log(abs(w)), rel=1e-12)
    np.testing.assert_allclose(D.lyapunov_spectrum(scalar_rnn(w), x), [np.log(abs(w))], rtol=1e-12)


def test_diagonal_units_lyapunov_spectrum_is_the_log_moduli():
    x, _ = series(40)
    model = diagonal_rnn([0.5, -1.2, 0.9])
    assert D.lyapunov_exponent(model, x) == pytest.approx(np.log(1.2), rel=1e-12)
    np.testing.assert_allclose(D.lyapunov_spectrum(model, x),
                               np.log([1.2, 0.9, 0.5]), rtol=1e-12)


@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_lyapunov_exponent_is_the_log_norm_of_the_whole_product_per_step(model):
    T = 50
    x, _ = series(T, B=1, I=2)
    N = D.jacobian_product_norms(model, x, rtol=1e-12)
    assert D.lyapunov_exponent(model, x, discard=1) == pytest.approx(
        np.log(N[T - 1, 0]) / (T - 1), rel=1e-9)


@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_lyapunov_spectrum_sums_to_the_mean_log_determinant(model):
    x, _ = series(30, B=2, I=2)
    logdet = np.log(D.jacobian_singular_values(model, x)).sum(axis=-1)      # (T, B)
    lam = D.lyapunov_spectrum(model, x, discard=5)
    assert np.all(np.diff(lam) <= 0)
    assert lam.sum() == pytest.approx(logdet[5:].mean(), rel=1e-9)
    # each |prod_t R_t[i, i]| is an eigenvalue of the triangular factor of the product, so at most its norm
    assert lam[0] <= D.lyapunov_exponent(model, x, discard=5) + 1e-12


def test_lyapunov_exponent_is_the_mean_over_the_batch():
    model = bpttviz.ElmanRNN(1, 6, 1, "tanh", seed=2, sigma=2.0)
    x, _ = series(40, B=3)
    each = [D.lyapunov_exponent(model, x[:, b:b + 1]) for b in range(3)]
    assert D.lyapunov_exponent(model, x) == pytest.approx(np.mean(each), rel=1e-12)


# --- W_hh, gamma, the Pascanu bound ---------------------------------------------------------

def test_recurrent_spectrum_by_hand():
    model = bpttviz.ElmanRNN(1, 2, 1)
    model.params["W_hh"] = np.array([[0.0, 2.0], [0.5, 0.0]])      # eigenvalues +-1, singular 2, 1/2
    spec = D.recurrent_spectrum(model)
    assert spec.sigma_max == pytest.approx(2.0) and spec.radius == pytest.approx(1.0)
    np.testing.assert_allclose(spec.singular_values, [2.0, 0.5])
    np.testing.assert_allclose(np.sort(spec.eigenvalues.real), [-1.0, 1.0], atol=1e-15)
    assert np.iscomplexobj(spec.eigenvalues)


def test_recurrent_spectrum_follows_the_initialisation_knobs():
    assert D.recurrent_spectrum(bpttviz.ElmanRNN(1, 16, 1, radius=0.9)).radius == pytest.approx(0.9)
    assert D.recurrent_spectrum(bpttviz.ElmanRNN(1, 16, 1, sigma=1.3)).sigma_max == pytest.approx(1.3)
    spec = D.recurrent_spectrum(bpttviz.ElmanRNN(1, 16, 1, seed=8))
    assert np.all(np.diff(np.abs(spec.eigenvalues)) <= 1e-15) and spec.radius <= spec.sigma_max


@pytest.mark.parametrize("model", gated_models(), ids=MODEL_IDS[2:2 + len(gated_models())])
def test_gated_cells_need_a_gate_block(model):
    H = model.n_hidden
    with pytest.raises(ValueError, match="'block' parameter of recurrent_spectrum"):
        D.recurrent_spectrum(model)
    spec = D.recurrent_spectrum(model, block=1)
    np.testing.assert_allclose(spec.singular_values,
                               np.linalg.svd(model.params["W_hh"][H:2 * H], compute_uv=False))
    with pytest.raises(ValueError, match="one activation"):
        D.gamma(model)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_gamma_is_the_largest_slope_of_the_activation(activation):
    model = bpttviz.ElmanRNN(1, 1, 1, activation)
    a = np.linspace(-8, 8, 160001)
    phi = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "linear": lambda v: v,
           "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[activation]
    slope = np.abs(np.diff(phi(a)) / np.diff(a)).max()
    assert D.gamma(model) == pytest.approx(slope, rel=1e-6)


def test_pascanu_bound_is_sigma_gamma_to_the_lag():
    model = bpttviz.ElmanRNN(1, 8, 1, "sigmoid", sigma=2.0)
    lags = np.array([[0, 1], [2, 10]])
    np.testing.assert_allclose(D.pascanu_bound(model, lags), 0.5 ** lags, rtol=1e-12)
    big = bpttviz.ElmanRNN(1, 8, 1, "tanh", sigma=10.0)
    assert D.pascanu_bound(big, [400])[0] == np.inf                 # overflow is a value, not a warning


# --- truncation bias -------------------------------------------------------------------------

def cosine_and_ratio(g, f, names):
    a = np.concatenate([g[k].ravel() for k in names])
    b = np.concatenate([f[k].ravel() for k in names])
    return a @ b / np.linalg.norm(a) / np.linalg.norm(b), np.linalg.norm(a) / np.linalg.norm(b)


@pytest.fixture(scope="module")
def problem():
    model = bpttviz.ElmanRNN(2, 6, 2, "tanh", seed=9, sigma=1.4)
    x, y = series(24, B=3, I=2, O=2, seed=4)
    return model, x, y


def test_no_truncation_means_cosine_and_ratio_one(problem):
    model, x, y = problem
    tb = D.truncation_bias(model, x, y, [24, 100])
    np.testing.assert_allclose(tb.cosine, 1.0, rtol=1e-12)
    np.testing.assert_allclose(tb.norm_ratio, 1.0, rtol=1e-12)


@pytest.mark.parametrize("k1", [None, 3])
def test_truncation_bias_agrees_with_two_bptt_traces(problem, k1):
    model, x, y = problem
    k2s = [1, 2, 5, 9, 24]
    full = bpttviz.bptt(model, x, y).grads
    tb = D.truncation_bias(model, x, y, k2s, k1=k1)
    names = list(model.params)
    for i, k2 in enumerate(k2s):
        g = bpttviz.bptt(model, x, y, k1=k1 or k2, k2=k2).grads
        cos, ratio = cosine_and_ratio(g, full, names)
        assert tb.cosine[i] == pytest.approx(cos, rel=1e-12)
        assert tb.norm_ratio[i] == pytest.approx(ratio, rel=1e-12)
    assert tb.full_norm == pytest.approx(np.sqrt(sum((g ** 2).sum() for g in full.values())))
    assert tb.cosine[0] < 1 - 1e-6                                  # truncation did turn it


@pytest.mark.parametrize("model", all_models(), ids=MODEL_IDS[:len(all_models())])
def test_truncation_bias_works_for_every_cell(model):
    x, y = series(16, B=2, I=2, O=2)
    full = bpttviz.bptt(model, x, y).grads
    tb = D.truncation_bias(model, x, y, [3, 16])
    cos, ratio = cosine_and_ratio(bpttviz.bptt(model, x, y, k1=3, k2=3).grads, full, list(full))
    assert (tb.cosine[0], tb.norm_ratio[0]) == pytest.approx((cos, ratio), rel=1e-12)
    assert (tb.cosine[1], tb.norm_ratio[1]) == pytest.approx((1.0, 1.0), rel=1e-12)


@pytest.mark.parametrize("name,build", [
    ("per_loss", lambda T, k2: schedules.per_loss(T, k2)),
    ("keras", lambda T, k2: schedules.keras(T, k2)),
    ("last_loss", lambda T, k2: schedules.last_loss(T, k2, k2)),
    ("sliding_window", lambda T, k2: schedules.sliding_window(T, min(k2, T))),
])
def test_truncation_bias_of_every_preset_agrees_with_bptt(problem, name, build):
    model, x, y = problem
    full = bpttviz.bptt(model, x, y).grads
    tb = D.truncation_bias(model, x, y, [2, 6, 30], schedule=name, params=("W_hh", "W_xh"))
    for i, k2 in enumerate([2, 6, 30]):
        g = bpttviz.bptt(model, x, y, schedule=build(24, k2)).grads
        cos, ratio = cosine_and_ratio(g, full, ["W_hh", "W_xh"])
        assert (tb.cosine[i], tb.norm_ratio[i]) == pytest.approx((cos, ratio), rel=1e-12)


@pytest.mark.parametrize("combine", ["sum", "mean"])
def test_gradient_agreement_of_a_trace_is_a_point_of_the_bias_curve(problem, combine):
    model, x, y = problem
    full = bpttviz.bptt(model, x, y).grads
    for k1, k2 in [(3, 2), (4, 9), (5, 5)]:
        trace = bpttviz.bptt(model, x, y, k1=k1, k2=k2)
        got = D.gradient_agreement(trace, full, combine=combine, params=("W_hh",))
        tb = D.truncation_bias(model, x, y, [k2], k1=k1, combine=combine, params="W_hh")
        assert got == pytest.approx((tb.cosine[0], tb.norm_ratio[0], tb.full_norm), rel=1e-12)
    if combine == "sum":                              # and by hand, from the summed updates
        cos, ratio = cosine_and_ratio(trace.grads, full, ["W_hh"])
        assert got[:2] == pytest.approx((cos, ratio), rel=1e-12)


def test_gradient_agreement_names_a_parameter_it_cannot_compare(problem):
    model, x, y = problem
    trace = bpttviz.bptt(model, x, y, k1=4, k2=4)
    with pytest.raises(ValueError, match="'params' parameter of gradient_agreement"):
        D.gradient_agreement(trace, trace.grads, params="W_ih")
    with pytest.raises(ValueError, match="'combine' parameter of gradient_agreement"):
        D.gradient_agreement(trace, trace.grads, combine="max")


def test_summing_updates_scales_the_untruncated_gradient_by_their_number(problem):
    model, x, y = problem
    tb = D.truncation_bias(model, x, y, [24], k1=4)                 # 6 updates of 4 losses, no truncation
    assert tb.cosine[0] == pytest.approx(1.0, rel=1e-12)
    assert tb.norm_ratio[0] == pytest.approx(24 / 4, rel=1e-12)
    mean = D.truncation_bias(model, x, y, [24], k1=4, combine="mean")
    assert mean.norm_ratio[0] == pytest.approx(1.0, rel=1e-12)


def test_mean_combination_weights_updates_by_their_targeted_losses():
    model = bpttviz.ElmanRNN(2, 5, 3, "tanh", seed=2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 2, 2))
    y = rng.integers(0, 3, size=(20, 2))
    mask = (rng.random(20) < 0.4).astype(float)                     # few steps carry a target
    mask[0] = 1.0
    tb = D.truncation_bias(model, x, y, [20], k1=3, loss="cross_entropy", mask=mask,
                           combine="mean")
    assert (tb.cosine[0], tb.norm_ratio[0]) == pytest.approx((1.0, 1.0), rel=1e-12)


# --- cost, as the engine counts it ------------------------------------------------------------

def test_schedule_cost_is_the_trace_cost(problem):
    model, x, y = problem
    sched = schedules.per_loss(24, 5, 4)
    assert D.schedule_cost(model, x, y, sched) == bpttviz.bptt(model, x, y, schedule=sched).cost
    assert D.schedule_cost(model, x, y, k1=3, k2=7, checkpoint=4) == \
        bpttviz.bptt(model, x, y, k1=3, k2=7, checkpoint=4).cost


def test_tbptt_memory_grows_with_k_and_not_with_T():
    model = bpttviz.ElmanRNN(1, 8, 1, seed=0)
    peaks = {}
    for T in (48, 96):
        x, y = series(T, B=2)
        for k in (4, 8, 16):
            peaks[T, k] = D.schedule_cost(model, x, y, k1=k, k2=k).peak_stored_floats
        peaks[T, "full"] = D.schedule_cost(model, x, y).peak_stored_floats
    for k in (4, 8, 16):
        assert peaks[48, k] == peaks[96, k]
    assert peaks[48, 8] == 2 * peaks[48, 4] and peaks[48, 16] == 2 * peaks[48, 8]
    assert peaks[96, "full"] == 2 * peaks[48, "full"]


def test_backward_steps_are_the_window_lengths():
    model = bpttviz.ElmanRNN(1, 4, 1)
    T, k1, k2 = 20, 3, 7
    x, y = series(T)
    cost = D.schedule_cost(model, x, y, k1=k1, k2=k2)
    steps = [min(u * k1, T) for u in range(1, -(-T // k1) + 1)]
    assert cost.backward_steps == sum(min(k2, t) for t in steps)
    assert cost.forward_steps == T and cost.recomputed_steps == 0


def test_checkpointing_trades_memory_for_recomputation():
    model = bpttviz.ElmanRNN(1, 8, 1)
    T = 64
    x, y = series(T, B=2)
    table = D.cost_table(model, x, y, {"full": schedules.full(T), "ckpt": {"checkpoint": 8}})
    assert list(table) == ["full", "ckpt"]
    full, ckpt = table["full"], table["ckpt"]
    assert ckpt.peak_stored_floats < full.peak_stored_floats / 2
    assert 0 < ckpt.recomputed_steps <= T
    assert ckpt.forward_steps == T + ckpt.recomputed_steps
    assert ckpt.backward_steps == full.backward_steps == T
    assert ckpt.peak_stored_bytes == 8 * ckpt.peak_stored_floats


# --- loss along directions -------------------------------------------------------------------

def test_slice_at_zero_is_the_trace_loss_and_its_slope_the_gradient(problem):
    model, x, y = problem
    d = D.random_direction(model, seed=1, normalize="none")
    eps = 1e-5
    vals = D.loss_slice(model, x, y, d, [-eps, 0.0, eps])
    trace = bpttviz.bptt(model, x, y)
    assert vals[1] == pytest.approx(trace.loss, rel=1e-14)
    slope = sum((trace.full_grads[k] * d[k]).sum() for k in d)
    assert (vals[2] - vals[0]) / (2 * eps) == pytest.approx(slope, rel=1e-6)


def test_slice_with_a_mask_and_cross_entropy():
    model = bpttviz.ElmanRNN(2, 5, 3, seed=2)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(15, 2, 2)), rng.integers(0, 3, size=(15, 2))
    mask = np.r_[np.zeros(10), np.ones(5)]
    d = D.random_direction(model, seed=2, normalize="none")
    eps = 1e-5
    vals = D.loss_slice(model, x, y, d, [-eps, 0.0, eps], loss="cross_entropy", mask=mask)
    trace = bpttviz.bptt(model, x, y, loss="cross_entropy", mask=mask)
    assert vals[1] == pytest.approx(trace.loss, rel=1e-14)
    slope = sum((trace.full_grads[k] * d[k]).sum() for k in d)
    assert (vals[2] - vals[0]) / (2 * eps) == pytest.approx(slope, rel=1e-6)


def test_two_direction_slice_is_consistent_with_one_direction(problem):
    model, x, y = problem
    before = {k: v.copy() for k, v in model.params.items()}
    d1, d2 = D.random_direction(model, 1), D.random_direction(model, 2)
    a, b = np.linspace(-1, 1, 4), np.linspace(-0.5, 0.5, 3)
    grid = D.loss_slice(model, x, y, d1, a, direction2=d2, betas=b)
    assert grid.shape == (4, 3)
    np.testing.assert_allclose(grid[:, 1], D.loss_slice(model, x, y, d1, a), rtol=1e-14)
    np.testing.assert_allclose(grid, D.loss_slice(model, x, y, d2, b, direction2=d1, betas=a).T,
                               rtol=1e-13)
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


def test_missing_direction_keys_are_zero(problem):
    model, x, y = problem
    d = D.random_direction(model, 3, normalize="none")
    only = {"W_hh": d["W_hh"]}
    padded = {k: (v if k == "W_hh" else np.zeros_like(v)) for k, v in d.items()}
    np.testing.assert_array_equal(D.loss_slice(model, x, y, only, [0.3, 1.0]),
                                  D.loss_slice(model, x, y, padded, [0.3, 1.0]))


def test_slice_into_overflow_is_inf_or_nan_without_warnings():
    model = scalar_rnn(1.0, "linear")
    x, y = series(30)
    vals = D.loss_slice(model, x, y, {"W_hh": np.array([[1.0]])}, [0.0, 1e200])
    assert np.isfinite(vals[0]) and not np.isfinite(vals[1])


def test_filter_normalised_direction_has_the_parameters_row_norms():
    model = bpttviz.ElmanRNN(3, 6, 2, seed=4)
    d = D.random_direction(model, seed=7)
    raw = D.random_direction(model, seed=7, normalize="none")
    for k, p in model.params.items():
        if p.ndim == 1:
            assert np.all(d[k] == 0)
        else:
            np.testing.assert_allclose(np.linalg.norm(d[k], axis=1), np.linalg.norm(p, axis=1),
                                       rtol=1e-8)
            ratio = d[k] / raw[k]                                   # a positive rescaling of each row
            np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones_like(ratio), rtol=1e-12)
            assert np.all(ratio > 0)
    layer = D.random_direction(model, seed=7, normalize="layer")
    assert np.linalg.norm(layer["W_hh"]) == pytest.approx(np.linalg.norm(model.params["W_hh"]))
    again, other = D.random_direction(model, seed=7), D.random_direction(model, seed=8)
    assert all(np.array_equal(again[k], d[k]) for k in d)
    assert not np.array_equal(other["W_hh"], d["W_hh"])


# --- the single-unit network with a cliff ------------------------------------------------------

def sig(v):
    return 1 / (1 + np.exp(-v))


def reverse_mode_cliff_grad(w, b, T=50, x0=0.5, target=0.7):
    """dE/dw, dE/db by backpropagation through time, scalar by scalar."""
    xs = [x0]
    for _ in range(T):
        xs.append(w * sig(xs[-1]) + b)
    g = 2 * (sig(xs[T]) - target) * sig(xs[T]) * (1 - sig(xs[T]))      # dE/dx_T
    gw = gb = 0.0
    for t in range(T, 0, -1):
        gw += g * sig(xs[t - 1])
        gb += g
        g *= w * sig(xs[t - 1]) * (1 - sig(xs[t - 1]))
    return gw, gb


def test_cliff_loss_one_step_by_hand():
    w, b = 2.0, -0.3
    x1 = w * sig(0.5) + b
    assert D.cliff_loss(w, b, T=1) == pytest.approx((sig(x1) - 0.7) ** 2, rel=1e-14)


def test_cliff_loss_is_vectorised_over_grids():
    W, Bg = np.meshgrid(np.linspace(-2, 12, 7), np.linspace(-8, 2, 5), indexing="ij")
    grid = D.cliff_loss(W, Bg)
    assert grid.shape == (7, 5)
    assert grid[3, 2] == D.cliff_loss(W[3, 2], Bg[3, 2])
    gw, gb = D.cliff_grad(np.linspace(0, 10, 6)[:, None], np.array([-3.0, 0.0]))
    assert gw.shape == gb.shape == (6, 2)


def test_cliff_grad_matches_finite_differences_and_reverse_mode():
    rng = np.random.default_rng(0)
    w, b = rng.uniform(-2, 12, 25), rng.uniform(-8, 2, 25)
    gw, gb = D.cliff_grad(w, b)
    eps = 1e-6
    fw = (D.cliff_loss(w + eps, b) - D.cliff_loss(w - eps, b)) / (2 * eps)
    fb = (D.cliff_loss(w, b + eps) - D.cliff_loss(w, b - eps)) / (2 * eps)
    far = np.hypot(gw, gb) < 10                                      # finite differences fail on the wall
    assert far.sum() >= 15
    np.testing.assert_allclose(gw[far], fw[far], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(gb[far], fb[far], rtol=1e-5, atol=1e-9)
    for i in range(25):
        rw, rb = reverse_mode_cliff_grad(w[i], b[i])
        assert (gw[i], gb[i]) == pytest.approx((rw, rb), rel=1e-9, abs=1e-14)


def test_cliff_grad_matches_pytorch_autograd():
    torch = pytest.importorskip("torch")
    w = torch.tensor([0.5, 5.0, 8.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([-1.0, -2.6, -4.0], dtype=torch.float64, requires_grad=True)
    x = torch.full((3,), 0.5, dtype=torch.float64)
    for _ in range(50):
        x = w * torch.sigmoid(x) + b
    ((torch.sigmoid(x) - 0.7) ** 2).sum().backward()
    gw, gb = D.cliff_grad(w.detach().numpy(), b.detach().numpy())
    np.testing.assert_allclose(gw, w.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gb, b.grad.numpy(), rtol=1e-10)


def test_the_error_surface_has_a_cliff():
    """At w = 8 the loss jumps across a wall in b where the gradient explodes."""
    w, lo, hi = 8.0, -4.6, -4.3
    f_lo, f_hi = D.cliff_loss(w, lo), D.cliff_loss(w, hi)
    assert abs(f_lo - f_hi) > 0.2
    for _ in range(60):                                              # bisect the jump
        mid = 0.5 * (lo + hi)
        if abs(D.cliff_loss(w, mid) - f_lo) < abs(D.cliff_loss(w, mid) - f_hi):
            lo = mid
        else:
            hi = mid
    assert hi - lo < 1e-12
    wall = np.hypot(*D.cliff_grad(w, 0.5 * (lo + hi)))
    beside = np.hypot(*D.cliff_grad(w, np.array([lo - 0.3, hi + 0.3])))
    assert wall > 1e6 and np.all(beside < 1)


def test_descent_without_clipping_is_plain_gradient_descent():
    path = D.cliff_descent(1.0, 0.5, lr=0.3, steps=15)
    w, b = 1.0, 0.5
    for i in range(15):
        assert (path.w[i], path.b[i]) == pytest.approx((w, b), rel=1e-14)
        gw, gb = D.cliff_grad(w, b)
        assert path.grad_norm[i] == pytest.approx(np.hypot(gw, gb), rel=1e-14)
        w, b = w - 0.3 * gw, b - 0.3 * gb
    assert path.loss[-1] == pytest.approx(D.cliff_loss(w, b), rel=1e-14)
    assert not path.clipped.any() and path.first_nonfinite is None


def _descent_on_arrays(w, b, lr, steps, clip, T):
    """Gradient descent as cliff_descent did before its own loop on floats: each step's error
    and gradient from the run that cliff_loss and cliff_grad make on arrays, here 0-d."""
    ws, bs, losses, norms, clipped = [], [], [], [], []
    for i in range(steps + 1):
        with np.errstate(all="ignore"):
            run = _cliff_run(np.array(w), np.array(b), T, CLIFF_X0, CLIFF_TARGET, grad=True)
        loss, gw, gb = (float(v) for v in run)
        ws.append(w), bs.append(b), losses.append(loss)
        if i == steps:
            break
        norm = float(np.hypot(gw, gb))
        norms.append(norm), clipped.append(clip is not None and norm >= clip)
        if not np.isfinite(norm):
            return ws, bs, losses, norms, clipped, i
        if clipped[-1]:
            gw, gb = gw * clip / norm, gb * clip / norm
        w, b = w - lr * gw, b - lr * gb
    return ws, bs, losses, norms, clipped, None


@pytest.mark.parametrize("w0,b0,lr,steps,clip,T", [
    (5.0, -3.0, 0.1, 80, None, 50), (5.0, -3.0, 0.1, 80, 0.5, 50),      # lesson 6's presets
    (6.0, -4.5, 1.0, 80, 0.5, 50), (8.0, -4.3, 0.5, 80, 0.5, 50),
    (8.0, -4.47967464961485, 0.1, 30, 1.0, 50),                          # on the wall
    (11.0, -7.0, 3.0, 300, 0.05, 100), (-1.5, 5.0, 2.5, 40, 4.0, 5),
    (8.0, -4.47967464961485, 1e300, 10, None, 50),                       # thrown to infinity
])
def test_descent_is_the_one_on_arrays_to_the_last_bit(w0, b0, lr, steps, clip, T):
    path = D.cliff_descent(w0, b0, lr=lr, steps=steps, clip=clip, T=T)
    ws, bs, losses, norms, clipped, bad = _descent_on_arrays(w0, b0, lr, steps, clip, T)
    n = len(ws)
    for got, want in ((path.w, ws), (path.b, bs), (path.loss, losses)):
        np.testing.assert_array_equal(got[:n], want)
        assert np.isnan(got[n:]).all()
    np.testing.assert_array_equal(path.grad_norm[:len(norms)], norms)
    np.testing.assert_array_equal(path.clipped[:len(clipped)], clipped)
    assert not path.clipped[len(clipped):].any() and path.first_nonfinite == bad


def test_clipping_keeps_steps_short_at_the_wall():
    w0, b0 = 8.0, -4.47967464961485                                  # on the wall of the test above
    free = D.cliff_descent(w0, b0, lr=0.1, steps=10)
    clipped = D.cliff_descent(w0, b0, lr=0.1, steps=10, clip=1.0)
    step = lambda p: np.hypot(np.diff(p.w), np.diff(p.b))            # noqa: E731
    assert np.all(step(clipped) <= 0.1 * 1.0 * (1 + 1e-12))
    np.testing.assert_array_equal(clipped.clipped, clipped.grad_norm >= 1.0)
    assert clipped.clipped[0] and step(free).max() > 100 * step(clipped).max()


# --- arguments are checked before any work -----------------------------------------------------

M = bpttviz.ElmanRNN(1, 3, 1)
X, Y = series(10)


@pytest.mark.parametrize("call,error,message", [
    (lambda: D.jacobian_singular_values("rnn", X), TypeError, "'model' parameter of jacobian_singular_values"),
    (lambda: D.jacobian_singular_values(M, X[..., None]), ValueError, "'inputs' parameter of jacobian_singular_values must have shape"),
    (lambda: D.jacobian_product_norms(M, X, rtol=-1.0), ValueError, r"'rtol' parameter of jacobian_product_norms must be a real number in the range \[0, 1\]. Got -1.0"),
    (lambda: D.jacobian_product_norms(M, X, log=1), TypeError, "'log' parameter of jacobian_product_norms must be True or False"),
    (lambda: D.jacobian_product_norms(M, X, h0=np.zeros((2, 3))), ValueError, "'h0' parameter of jacobian_product_norms"),
    (lambda: D.lyapunov_exponent(M, X, discard=10), ValueError, r"'discard' parameter of lyapunov_exponent must be an int in the range \[0, 9\]. Got 10"),
    (lambda: D.lyapunov_spectrum(M, X, discard=-1), ValueError, "'discard' parameter of lyapunov_spectrum"),
    (lambda: step_jacobians(M, X[..., None]), ValueError, "'inputs' parameter of step_jacobians must have shape"),
    (lambda: singular_values_of(np.ones((4, 1, 3))), ValueError, r"'J' parameter of singular_values_of must have shape \(T, B, S, S\)"),
    (lambda: singular_values_of(np.ones((4, 1, 3, 2))), ValueError, "'J' parameter of singular_values_of must hold square Jacobians"),
    (lambda: lyapunov_of(np.ones((4, 1, 2, 2), dtype=complex)), TypeError, "'J' parameter of lyapunov_of must hold real numbers"),
    (lambda: lyapunov_of(np.ones((4, 1, 2, 2)), discard=4), ValueError, r"'discard' parameter of lyapunov_of must be an int in the range \[0, 3\]. Got 4"),
    (lambda: D.recurrent_spectrum(M, block=1), ValueError, r"'block' parameter of recurrent_spectrum must be an int in the range \[0, 0\]"),
    (lambda: D.pascanu_bound(M, [-1, 2]), ValueError, "'lags' parameter of pascanu_bound must hold numbers >= 0"),
    (lambda: D.pascanu_bound(M, [np.nan]), ValueError, "'lags' parameter of pascanu_bound must be finite"),
    (lambda: D.truncation_bias(M, X, Y, [0, 3]), ValueError, r"'k2_values' parameter of truncation_bias must hold ints in the range \[1, inf\). Got 0"),
    (lambda: D.truncation_bias(M, X, Y, [2.5]), TypeError, "'k2_values' parameter of truncation_bias"),
    (lambda: D.truncation_bias(M, X, Y, [2], k1=0), ValueError, "'k1' parameter of truncation_bias"),
    (lambda: D.truncation_bias(M, X, Y, [2], schedule="full"), ValueError, "'schedule' parameter of truncation_bias must be one of"),
    (lambda: D.truncation_bias(M, X, Y, [2], schedule="keras", k1=2), ValueError, "'k1' parameter of truncation_bias must be None"),
    (lambda: D.truncation_bias(M, X, Y, [2], combine="max"), ValueError, "'combine' parameter of truncation_bias"),
    (lambda: D.truncation_bias(M, X, Y, [2], params=("W_hx",)), ValueError, "'params' parameter of truncation_bias"),
    (lambda: D.truncation_bias(M, X, Y[:5], [2]), ValueError, "'targets' parameter of truncation_bias"),
    (lambda: D.schedule_cost(M, X, Y, k2=0), ValueError, "'k2' parameter of schedule_cost"),
    (lambda: D.schedule_cost(M, X, Y, schedules.full(11)), ValueError, "built for T=10"),
    (lambda: D.schedule_cost(M, X, Y, schedules.full(10), k2=3), ValueError, "either k1/k2 or a schedule"),
    (lambda: D.schedule_cost(M, X, Y, chekpoint=3), TypeError, "unexpected options"),
    (lambda: D.cost_table(M, X, Y, {"a": {"k2": 3}, "b": "tbptt"}), TypeError, "entry 'b'"),
    (lambda: D.cost_table(M, X, Y, {}), TypeError, "'schedules' parameter of cost_table"),
    (lambda: D.loss_slice(M, X, Y, {"W_hh": np.ones((2, 2))}, [0.0]), ValueError, r"'direction' parameter of loss_slice must give 'W_hh' the shape \(3, 3\) of model.params\['W_hh'\]. Got shape \(2, 2\)"),
    (lambda: D.loss_slice(M, X, Y, {"W_hh": np.full((3, 3), np.nan)}, [0.0]), ValueError, "must be finite"),
    (lambda: D.loss_slice(M, X, Y, {"V": np.ones(3)}, [0.0]), ValueError, "'direction' parameter of loss_slice must have keys among"),
    (lambda: D.loss_slice(M, X, Y, {"b_h": np.ones(3)}, [0.0], betas=[1.0]), ValueError, "both 'direction2' and 'betas'"),
    (lambda: D.loss_slice(M, X, Y, {"b_h": np.ones(3)}, [[0.0]]), ValueError, "'alphas' parameter of loss_slice"),
    (lambda: D.random_direction(M, seed=-1), ValueError, "'seed' parameter of random_direction"),
    (lambda: D.random_direction(M, normalize="unit"), ValueError, "'normalize' parameter of random_direction must be one of"),
    (lambda: D.cliff_loss([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "must broadcast together"),
    (lambda: D.cliff_loss(1.0, 0.0, T=0), ValueError, "'T' parameter of cliff_loss"),
    (lambda: D.cliff_grad(np.inf, 0.0), ValueError, "'w' parameter of cliff_grad must be finite"),
    (lambda: D.cliff_descent(1.0, 0.0, lr=0.0, steps=3), ValueError, r"'lr' parameter of cliff_descent must be a real number in the range \(0, inf\). Got 0.0"),
    (lambda: D.cliff_descent(1.0, 0.0, lr=0.1, steps=-1), ValueError, "'steps' parameter of cliff_descent"),
    (lambda: D.cliff_descent(1.0, 0.0, lr=0.1, steps=3, clip=0), ValueError, "'clip' parameter of cliff_descent"),
])
def test_bad_arguments_are_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
