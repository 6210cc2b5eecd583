"""Forward-mode gradients (RTRL, UORO) and randomized truncation.

RTRL is checked against the engine's full BPTT, finite differences and
PyTorch autograd; UORO and randomized truncation are checked for
unbiasedness by a test whose tolerance comes from the measured variance, and
the same test is shown to fail on a deliberately biased variant of each.
"""

from statistics import NormalDist

import numpy as np
import pytest

import bpttviz
from bpttviz import schedules
from bpttviz.engine import make_problem, problem_loss
from bpttviz.online import _uoro_variant, rtrl, uoro

from gradcheck import Frozen, numerical_grads, rel_error

KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def _data(T, B, I=3, O=2, seed=0, mask=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, I))
    y = rng.normal(size=(T, B, O))
    if mask == "random":
        mask = (rng.random((T, B)) > 0.35).astype(float) * rng.uniform(0.5, 2.0, (T, B))
        mask[-1, 0] = 1.0                           # at least one target
    elif mask == "last":
        mask = np.zeros(T)
        mask[-1] = 1.0
    return x, y, mask


def _flat(grads):
    return np.concatenate([np.ravel(grads[k]) for k in KEYS])


# --- RTRL is exact ------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("T, B, k1, mask", [(1, 1, None, None), (9, 3, None, "random"),
                                            (13, 2, 1, None), (13, 4, 4, "random"),
                                            (12, 2, 5, "last"), (7, 1, 30, None)])
def test_rtrl_equals_bptt_per_update(activation, T, B, k1, mask):
    model = bpttviz.ElmanRNN(3, 5, 2, activation, seed=3, radius=1.1)
    x, y, m = _data(T, B, mask=mask)
    ours = rtrl(model, x, y, k1, mask=m)
    ref = bpttviz.bptt(model, x, y, k1=k1, k2=None, mask=m)
    assert len(ours.updates) == len(ref.updates) >= 1
    for a, b in zip(ours.updates, ref.updates):
        assert a.step == b.step
        assert np.array_equal(a.losses, b.losses)
        assert b.grad_norm > 0 or not np.any(b.reached)          # not vacuous
        assert rel_error(a.grads, b.grads) <= 1e-12
        assert (np.isnan(a.loss) and np.isnan(b.loss)) or a.loss == pytest.approx(b.loss, rel=1e-13)
    np.testing.assert_allclose(ours.states, ref.states, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ours.step_losses, ref.step_losses, rtol=1e-13)


def test_rtrl_with_initial_state_and_cross_entropy_equals_bptt():
    model = bpttviz.ElmanRNN(3, 4, 5, seed=1)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 3, 3))
    y = rng.integers(0, 5, size=(10, 3))
    h0 = rng.normal(size=(3, 4))
    ours = rtrl(model, x, y, 3, h0, loss="cross_entropy")
    ref = bpttviz.bptt(model, x, y, k1=3, h0=h0, loss="cross_entropy")
    for a, b in zip(ours.updates, ref.updates):
        assert rel_error(a.grads, b.grads) <= 1e-12


@pytest.mark.parametrize("k1", [None, 3])
def test_rtrl_lstm_equals_bptt(k1):
    model = bpttviz.LSTM(3, 4, 2, seed=5)
    x, y, m = _data(11, 2, mask="random")
    ours = rtrl(model, x, y, k1, mask=m)
    ref = bpttviz.bptt(model, x, y, k1=k1, mask=m)
    for a, b in zip(ours.updates, ref.updates):
        assert rel_error(a.grads, b.grads) <= 1e-12


@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_rtrl_equals_finite_differences(cell):
    model = (bpttviz.ElmanRNN(2, 3, 2, seed=4, radius=0.9) if cell == "elman"
             else bpttviz.LSTM(2, 2, 2, seed=4))
    x, y, m = _data(6, 2, I=2, mask="random")
    pb = make_problem(model, x, y, mask=m)
    num = numerical_grads(lambda p: problem_loss(pb, p), {k: v.copy() for k, v in pb.params.items()})
    ours = rtrl(model, x, y, mask=m).updates[0].grads
    assert rel_error(ours, num) < 1e-7


def _torch_update_grads(model, x, y, mask, k1):
    """Per-update gradients by PyTorch autograd through the whole past (no detach)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (make torch)")
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
           "linear": lambda a: a}[model.activation]
    P = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    X, Y = torch.tensor(x), torch.tensor(y)
    T, B = x.shape[:2]
    M = torch.ones(T, B, dtype=torch.float64) if mask is None else torch.tensor(mask)
    h = torch.zeros(B, model.n_hidden, dtype=torch.float64)
    losses = []
    for t in range(T):
        h = act(X[t] @ P["W_xh"].T + h @ P["W_hh"].T + P["b_h"])
        yhat = h @ P["W_hy"].T + P["b_y"]
        losses.append((M[t] / B * 0.5 * ((yhat - Y[t]) ** 2).sum(-1)).sum())
    carries = (M > 0).any(dim=1)
    k1 = k1 or T
    out = []
    for lo in range(0, T, k1):
        idx = [t for t in range(lo, min(lo + k1, T)) if carries[t]]
        if not idx:
            out.append(None)
            continue
        L = sum(losses[t] for t in idx) / len(idx)
        g = torch.autograd.grad(L, [P[k] for k in KEYS], retain_graph=True, allow_unused=True)
        out.append({k: (gi.numpy() if gi is not None else np.zeros_like(model.params[k]))
                    for k, gi in zip(KEYS, g)})
    return out


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("k1, mask", [(None, None), (4, "random"), (1, None)])
def test_rtrl_equals_pytorch_autograd(activation, k1, mask):
    model = bpttviz.ElmanRNN(3, 4, 2, activation, seed=7, radius=1.2)
    x, y, m = _data(10, 3, mask=mask)
    ref = _torch_update_grads(model, x, y, m, k1)
    ours = rtrl(model, x, y, k1, mask=m)
    assert len(ref) == len(ours.updates)
    for a, r in zip(ours.updates, ref):
        if r is not None:
            assert rel_error(a.grads, r) <= 1e-12


def test_rtrl_memory_does_not_grow_with_T_and_bptt_does():
    model = bpttviz.ElmanRNN(3, 4, 2, seed=0)
    peaks, bptt_peaks = [], []
    for T in (8, 64):
        x, y, _ = _data(T, 2)
        peaks.append(rtrl(model, x, y).cost.peak_stored_floats)
        bptt_peaks.append(bpttviz.bptt(model, x, y).cost.peak_stored_floats)
    assert peaks[0] == peaks[1] > 0
    assert bptt_peaks[1] > bptt_peaks[0]
    B, S, P, K = 2, 4, 4, 3 + 4 + 1
    assert peaks[0] >= B * S * P * K                    # the carried sensitivity


def test_rtrl_flops_grow_like_H_to_the_fourth():
    """Counted multiply-adds per step (not a timing): the sensitivity product dominates."""
    x, y, _ = _data(5, 1)
    flops = [rtrl(bpttviz.ElmanRNN(3, H, 2, seed=0), x, y).cost.flops for H in (16, 32)]
    assert 12 < flops[1] / flops[0] <= 16.5


# --- unbiasedness, with a test that a biased variant fails --------------------------------

def _unbiased(samples, truth, alpha=1e-3):
    """``(max |z|, critical value)`` of per-coordinate z-scores of the sample mean.

    ``z_j = (mean_j - truth_j) / (sd_j / sqrt(N))`` with ``sd_j`` measured
    from the samples; with a Bonferroni correction over the d coordinates, an
    unbiased estimator exceeds the critical value with probability at most
    about ``alpha`` (central limit theorem). Coordinates the estimator gets
    exactly (zero spread) must equal the truth to rounding.
    """
    N, d = samples.shape
    assert N > 1
    mean, sd = samples.mean(axis=0), samples.std(axis=0, ddof=1)
    scale = np.abs(truth).max()
    exact = sd <= 1e-12 * scale
    assert np.all(np.abs(mean - truth)[exact] <= 1e-10 * scale), "an exact coordinate is off"
    z = (mean - truth)[~exact] / (sd[~exact] / np.sqrt(N))
    crit = NormalDist().inv_cdf(1 - alpha / (2 * z.size))
    return float(np.abs(z).max()), crit


@pytest.fixture(scope="module")
def small_problem():
    model = bpttviz.ElmanRNN(2, 3, 1, seed=2, radius=0.9)
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(8, 2, 2)), rng.normal(size=(8, 2, 1))


@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_uoro_is_unbiased_and_the_biased_variant_fails_the_same_test(cell, small_problem):
    model, x, y = small_problem
    if cell == "lstm":
        model = bpttviz.LSTM(2, 2, 1, seed=2)
    truth = _flat(rtrl(model, x, y, 4).updates[-1].grads)
    N = 2500
    results = {}
    for variant in ("unbiased", "theta_unscaled"):
        est = np.array([_flat(_uoro_variant(model, x, y, 4, seed=i, variant=variant)
                              .updates[-1].grads) for i in range(N)])
        results[variant] = _unbiased(est, truth)
    z, crit = results["unbiased"]
    assert z <= crit, f"UORO looks biased: max |z| = {z:.2f} > {crit:.2f}"
    z, crit = results["theta_unscaled"]
    assert z > crit, f"the biased variant passed: max |z| = {z:.2f} <= {crit:.2f}"


def test_uoro_error_of_the_mean_shrinks_at_the_rate_its_variance_predicts(small_problem):
    model, x, y = small_problem
    truth = _flat(rtrl(model, x, y).updates[0].grads)
    est = np.array([_flat(uoro(model, x, y, seed=i).updates[0].grads) for i in range(4000)])
    var = est.var(axis=0, ddof=1).sum()                 # trace of the covariance
    ratios = []
    for N in (250, 1000, 4000):
        blocks = est[:N * (4000 // N)].reshape(4000 // N, N, -1).mean(axis=1)
        mse = np.mean(np.sum((blocks - truth) ** 2, axis=1))     # E||mean_N - truth||^2
        ratios.append(mse / (var / N))
    # E||mean_N - truth||^2 = tr(Cov)/N for an unbiased estimator: the ratio stays near 1.
    assert all(0.4 < r < 2.5 for r in ratios), ratios


def test_uoro_is_seeded_and_its_read_out_gradient_is_exact(small_problem):
    model, x, y = small_problem
    a, b, c = (uoro(model, x, y, seed=s).updates[0].grads for s in (1, 1, 2))
    assert all(np.array_equal(a[k], b[k]) for k in KEYS)
    assert not np.array_equal(a["W_hh"], c["W_hh"])
    ref = rtrl(model, x, y).updates[0].grads
    np.testing.assert_allclose(a["W_hy"], ref["W_hy"], rtol=1e-13)


@pytest.mark.parametrize("k1", [None, 4])
def test_randomized_truncation_is_unbiased_and_without_reweighting_fails(k1):
    model = bpttviz.ElmanRNN(2, 3, 1, seed=2, radius=1.1)
    rng = np.random.default_rng(0)
    T = 12
    x, y = rng.normal(size=(T, 2, 2)), rng.normal(size=(T, 2, 1))
    truth = np.concatenate([_flat(u.grads) for u in bpttviz.bptt(model, x, y, k1=k1).updates])
    N = 2500
    results = {}
    for reweight in (True, False):
        est = np.array([np.concatenate([_flat(u.grads) for u in bpttviz.bptt(
            model, x, y, schedule=schedules.randomized(T, k1, k_min=2, p=0.3, seed=i,
                                                       reweight=reweight)).updates])
            for i in range(N)])
        results[reweight] = _unbiased(est, truth)
    z, crit = results[True]
    assert z <= crit, f"randomized truncation looks biased: max |z| = {z:.2f} > {crit:.2f}"
    z, crit = results[False]
    assert z > crit, f"the unweighted variant passed: max |z| = {z:.2f} <= {crit:.2f}"


def test_randomized_with_p_one_is_tbptt_with_k_min():
    model = bpttviz.ElmanRNN(2, 3, 1, seed=2)
    x, y, _ = _data(15, 2, I=2, O=1)
    a = bpttviz.bptt(model, x, y, schedule=schedules.randomized(15, 4, k_min=3, p=1.0, seed=9))
    b = bpttviz.bptt(model, x, y, k1=4, k2=3)
    for ua, ub in zip(a.updates, b.updates):
        assert all(np.array_equal(ua.grads[k], ub.grads[k]) for k in KEYS)


def test_randomized_schedule_is_seeded_and_documents_its_draws():
    a, b, c = (schedules.randomized(40, 5, k_min=2, p=0.25, seed=s) for s in (3, 3, 4))
    assert a.params["lengths"] == b.params["lengths"] != c.params["lengths"]
    for plan, K in zip(a.updates, a.params["lengths"]):
        assert K >= 2
        assert plan.starts.min() == max(plan.step - K, 0)
        d = plan.step - np.arange(plan.starts.min(), plan.step)
        np.testing.assert_allclose(plan.scale, 0.75 ** -np.maximum(d - 2, 0))
    assert schedules.expected_length(2, 0.25) == 5.0


def test_randomized_trace_saves_and_loads_its_weights(tmp_path):
    model = bpttviz.ElmanRNN(2, 3, 1, seed=2)
    x, y, _ = _data(10, 2, I=2, O=1)
    trace = bpttviz.bptt(model, x, y, schedule=schedules.randomized(10, 3, p=0.4, seed=1))
    trace.save(tmp_path / "r.npz")
    back = bpttviz.Trace.load(tmp_path / "r.npz")
    for p, q in zip(trace.schedule.updates, back.schedule.updates):
        np.testing.assert_array_equal(p.scale, q.scale)


# --- training ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["rtrl", "uoro"])
def test_train_with_online_methods_applies_their_gradients(method):
    task = bpttviz.make_task("sine", seq_len=20)
    batch = task.sample(4, np.random.default_rng(0))
    model = bpttviz.ElmanRNN(1, 4, 1, seed=0)
    frozen = model.copy()
    hist = bpttviz.train(model, batch, k1=5, method=method, optimizer=Frozen(), n_updates=1)
    ref = (rtrl(frozen, batch.inputs, batch.targets, 5, mask=batch.mask) if method == "rtrl"
           else uoro(frozen, batch.inputs, batch.targets, 5, mask=batch.mask))
    if method == "rtrl":
        assert rel_error(hist.last_grads, ref.updates[0].grads) <= 1e-12
    np.testing.assert_allclose(hist.last_grads["W_hy"], ref.updates[0].grads["W_hy"], rtol=1e-12)
    trained = bpttviz.ElmanRNN(1, 4, 1, seed=0)
    hist = bpttviz.train(trained, task, k1=5, method=method, n_updates=40, batch_size=4, lr=0.02)
    assert len(hist) == 40 and not hist.stopped
    assert hist.loss[-5:].mean() < hist.loss[:5].mean()
    assert hist.config["method"] == method


def test_train_redraws_a_randomized_schedule_per_sequence():
    task = bpttviz.make_task("sine", seq_len=20)
    model = bpttviz.ElmanRNN(1, 4, 1, seed=0)
    seen = []
    hist = bpttviz.train(model, task, schedule=schedules.randomized(20, 5, p=0.3, seed=1),
                         n_updates=12, batch_size=2,
                         callback=lambda h, u: seen.append(h["window_start"][-1]))
    assert len(hist) == 12
    per_sequence = np.array(seen).reshape(3, 4)
    assert len({tuple(r) for r in per_sequence}) > 1


# --- bad input ---------------------------------------------------------------------------

def test_bad_input_gets_named_errors():
    x, y, _ = _data(5, 2, I=1, O=1)
    with pytest.raises(ValueError, match="'model' parameter of rtrl must be an ElmanRNN or an LSTM.*GRU"):
        rtrl(bpttviz.GRU(1, 3, 1), x, y)
    with pytest.raises(ValueError, match="'model' parameter of uoro"):
        uoro(bpttviz.GRU(1, 3, 1), x, y)
    m = bpttviz.ElmanRNN(1, 3, 1)
    with pytest.raises(ValueError, match="'k1' parameter of rtrl"):
        rtrl(m, x, y, 0)
    with pytest.raises(ValueError, match="'seed' parameter of uoro"):
        uoro(m, x, y, seed=-1)
    for kw, name in ((dict(p=0.0), "p"), (dict(p=1.5), "p"), (dict(k_min=0), "k_min"),
                     (dict(seed=-2), "seed")):
        with pytest.raises(ValueError, match=f"'{name}' parameter of randomized"):
            schedules.randomized(10, **kw)
    with pytest.raises(TypeError, match="'reweight' parameter of randomized"):
        schedules.randomized(10, reweight="yes")
    with pytest.raises(ValueError, match="'method' parameter of train"):
        bpttviz.train(m, bpttviz.make_task("sine", seq_len=5), method="rtlr")
    with pytest.raises(ValueError, match="give only k1"):
        bpttviz.train(m, bpttviz.make_task("sine", seq_len=5), method="rtrl", k2=2)
    gru = bpttviz.GRU(1, 3, 1)
    before = {k: v.copy() for k, v in gru.params.items()}
    with pytest.raises(ValueError, match="'model' parameter of train must be an ElmanRNN.*GRU"):
        bpttviz.train(gru, bpttviz.make_task("sine", seq_len=5), method="uoro", progress=False)
    assert all(np.array_equal(gru.params[k], v) for k, v in before.items())   # before any work
    for p in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match=r"'p' parameter of expected_length.*\(0, 1\]"):
            schedules.expected_length(1, p)
    with pytest.raises(ValueError, match=r"'k_min' parameter of expected_length.*\[1, inf\)"):
        schedules.expected_length(0, 0.5)
    plan = schedules.randomized(10, 5, p=0.5, seed=1).updates[0]
    with pytest.raises(ValueError, match=r"'scale' parameter of UpdatePlan.*shape \(\d+,\)"):
        schedules.UpdatePlan(plan.step, plan.losses, plan.starts, plan.scale[1:])
    with pytest.raises(ValueError, match="'scale' parameter of UpdatePlan must be finite"):
        schedules.UpdatePlan(plan.step, plan.losses, plan.starts, plan.scale * np.nan)


# --- diagnostics -------------------------------------------------------------------------

def test_compare_estimators_puts_every_method_on_one_scale():
    from bpttviz.diagnostics import compare_estimators, truncation_bias
    model = bpttviz.ElmanRNN(2, 4, 1, seed=0, radius=1.0)
    x, y, _ = _data(16, 3, I=2, O=1)
    res = compare_estimators(model, x, y, k1=4, k2_values=(2, 16), n_seeds=6, k_min=2, p=0.3)
    assert res.kinds == ("tbptt", "tbptt", "randomized", "uoro", "rtrl")
    ref = truncation_bias(model, x, y, [2, 16], k1=4, combine="mean")
    np.testing.assert_allclose(res.cosine_mean[:2], ref.cosine, rtol=1e-12)
    np.testing.assert_allclose(res.norm_ratio_mean[:2], ref.norm_ratio, rtol=1e-12)
    assert res.cosine_mean[-1] == pytest.approx(1.0, abs=1e-12)      # RTRL is exact
    assert res.norm_ratio_mean[-1] == pytest.approx(1.0, abs=1e-12)
    assert res.cosine_sd[2] > 0 and res.cosine_sd[3] > 0 and res.cosine_sd[-1] == 0
    assert [len(c) for c in res.cosines] == [1, 1, 6, 6, 1]
    rt = rtrl(model, x, y, 4).cost
    assert res.flops[-1] == rt.flops and res.peak_stored_floats[-1] == rt.peak_stored_floats
    assert res.flops[-1] > res.flops[3] > 0                           # RTRL costs most
    assert "uoro" in res.table()


def test_compare_estimators_bad_input():
    from bpttviz.diagnostics import compare_estimators
    x, y, _ = _data(6, 2, I=1, O=1)
    m = bpttviz.ElmanRNN(1, 3, 1)
    with pytest.raises(ValueError, match="'n_seeds' parameter of compare_estimators"):
        compare_estimators(m, x, y, n_seeds=0)
    with pytest.raises(ValueError, match="'methods' parameter of compare_estimators"):
        compare_estimators(m, x, y, methods=("bptt",))
    with pytest.raises(ValueError, match="'p' parameter of compare_estimators"):
        compare_estimators(m, x, y, p=0)
    with pytest.raises(ValueError, match="ElmanRNN or an LSTM"):
        compare_estimators(bpttviz.GRU(1, 3, 1), x, y)
    res = compare_estimators(bpttviz.GRU(1, 3, 1), x, y, methods=("tbptt", "randomized"),
                             n_seeds=2)
    assert res.kinds == ("tbptt",) * 3 + ("randomized",)


def test_randomized_weights_reach_the_gradient_with_checkpointing_and_in_training():
    model = bpttviz.ElmanRNN(2, 3, 1, seed=2)
    x, y, _ = _data(16, 2, I=2, O=1)
    sched = schedules.randomized(16, 4, k_min=1, p=0.5, seed=3)
    assert any(plan.scale.max() > 1 for plan in sched.updates)        # weights that matter
    plain = bpttviz.bptt(model, x, y, schedule=sched)
    unweighted = bpttviz.bptt(model, x, y, schedule=schedules.randomized(
        16, 4, k_min=1, p=0.5, seed=3, reweight=False))
    assert rel_error(plain.grads, unweighted.grads) > 1e-3
    ckpt = bpttviz.bptt(model, x, y, schedule=sched, checkpoint=3)
    for a, b in zip(plain.updates, ckpt.updates):
        assert rel_error(a.grads, b.grads) <= 1e-12
    batch = bpttviz.Batch(x, y, np.ones((16, 2)), "mse")
    seen = []
    bpttviz.train(model.copy(), batch, schedule=sched, optimizer=Frozen(), n_updates=4,
                  callback=lambda h, u: seen.append(h.last_grads))
    assert len(seen) == 4
    for got, up in zip(seen, plain.updates):
        assert rel_error(got, up.grads) <= 1e-12


def test_cost_against_hidden_counts_what_the_runs_count():
    from bpttviz.diagnostics import cost_against_hidden
    res = cost_against_hidden((8, 16, 32), T=6, k2=3)
    assert res.methods[:2] == ("rtrl", "uoro")
    assert 3.5 < res.slopes["rtrl"] <= 4.1
    assert 1.5 < res.slopes["uoro"] <= 2.1 and 1.5 < res.slopes["tbptt k2=3"] <= 2.1
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 1, 1)), rng.normal(size=(6, 1, 1))
    c = rtrl(bpttviz.ElmanRNN(1, 16, 1, seed=0, radius=1.0), x, y).cost
    assert res.flops_per_step["rtrl"][1] == c.flops / 6
    assert res.peak_stored_floats["rtrl"][1] == c.peak_stored_floats
    with pytest.raises(ValueError, match="'hidden_values' parameter of cost_against_hidden"):
        cost_against_hidden((0, 4))


def test_compare_estimators_on_some_parameters_only():
    from bpttviz.diagnostics import compare_estimators, truncation_bias
    model = bpttviz.ElmanRNN(2, 4, 1, seed=0)
    x, y, _ = _data(10, 2, I=2, O=1)
    names = ("W_xh", "W_hh", "b_h")
    res = compare_estimators(model, x, y, k2_values=(3,), n_seeds=3, params=names)
    ref = truncation_bias(model, x, y, [3], k1=10, combine="mean", params=names)
    assert res.cosine_mean[0] == pytest.approx(ref.cosine[0], rel=1e-12)
    allp = compare_estimators(model, x, y, k2_values=(3,), n_seeds=3)
    assert allp.cosine_mean[0] != pytest.approx(res.cosine_mean[0], rel=1e-6)
    with pytest.raises(ValueError, match="'params' parameter of compare_estimators"):
        compare_estimators(model, x, y, params=("W_zz",))


def test_rtrl_trace_full_views_come_from_the_engine():
    model = bpttviz.ElmanRNN(2, 3, 1, seed=1)
    x, y, _ = _data(8, 2, I=2, O=1)
    for k1 in (None, 3):
        ours, ref = rtrl(model, x, y, k1), bpttviz.bptt(model, x, y)
        np.testing.assert_allclose(ours.full_error_norms, ref.full_error_norms, rtol=1e-12)
        assert ours.full_error_norms.any()
        np.testing.assert_allclose(ours.flow, ref.flow, rtol=1e-12)
        assert rel_error(ours.full_grads, ref.full_grads) <= 1e-12


def test_uoro_without_any_normalising_factor_is_noisier_but_still_unbiased(small_problem):
    """rho0 and rho1 only reduce the variance (Tallec & Ollivier 2018, section 3): with both
    set to 1 the cross terms are still odd in the random signs. So dropping them is not a
    biased variant; applying them to s~ alone (the test above) is."""
    model, x, y = small_problem
    truth = _flat(rtrl(model, x, y).updates[0].grads)
    est = {v: np.array([_flat(_uoro_variant(model, x, y, seed=i, variant=v).updates[0].grads)
                        for i in range(2500)]) for v in ("unbiased", "no_rho")}
    z, crit = _unbiased(est["no_rho"], truth)
    assert z <= crit
    assert est["no_rho"].var(axis=0).sum() > est["unbiased"].var(axis=0).sum()
