"""The engine's gradients, proven three ways: by hand, by finite differences,
and by independent formulations (a direct sum over kept (tau, s) pairs of
explicit Jacobian products, and PyTorch autograd with detach)."""

import numpy as np
import pytest

import bpttviz
from bpttviz import schedules
from bpttviz.tasks import AddingProblem, SequenceClassification, TemporalOrder
from gradcheck import numerical_grads, rel_error

ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear"]


# --- an independent reference, written from the equations --------------------

PHI = {
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
}


def reference_forward(P, x, h0, activation):
    """Pre-activations a_t and states h_t by the textbook loop (T, B, H)."""
    phi = PHI[activation][0]
    a, h, prev = [], [], h0
    for t in range(x.shape[0]):
        a.append(x[t] @ P["W_xh"].T + prev @ P["W_hh"].T + P["b_h"])
        prev = phi(a[-1])
        h.append(prev)
    return np.array(a), np.array(h)


def reference_step_loss(P, h_t, y_t, m_t, loss):
    """loss_t and dloss_t/dyhat_t for one step, per the documented formulas."""
    yhat = h_t @ P["W_hy"].T + P["b_y"]
    B = yhat.shape[0]
    if loss == "mse":
        d = yhat - y_t
        return float((m_t * 0.5 * (d ** 2).sum(1)).sum() / B), d * m_t[:, None] / B
    p = np.exp(yhat - yhat.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    nll = -np.log(p[np.arange(B), y_t])
    g = p.copy()
    g[np.arange(B), y_t] -= 1
    return float((m_t * nll).sum() / B), g * m_t[:, None] / B


def reference_mean_loss(P, x, y, m, h0, activation, loss):
    _, h = reference_forward(P, x, h0, activation)
    carry = (m > 0).any(1)
    losses = [reference_step_loss(P, h[t], y[t], m[t], loss)[0] for t in range(len(x))]
    return float(np.mean(np.array(losses)[carry]))


def direct_sum_grads(P, x, y, m, h0, activation, loss, plan):
    """One update's gradient as a sum over its kept (tau, s) pairs.

    Contribution of (tau, s): w_tau * outer(dloss_tau/da_s, [x_s, h_{s-1}, 1]) with
    dloss_tau/dh_s = dloss_tau/dh_tau . J_tau ... J_{s+1} built from explicit
    Jacobian matrices J_r = diag(phi'(a_r)) W_hh, one example at a time.
    """
    a, h = reference_forward(P, x, h0, activation)
    dphi = PHI[activation][1]
    T, B, H = h.shape
    carry = (m > 0).any(1)[plan.losses]
    w = carry / carry.sum() if carry.sum() else np.zeros(len(plan.losses))
    g = {k: np.zeros_like(v) for k, v in P.items()}
    for tau, start, wt in zip(plan.losses, plan.starts, w):
        if wt == 0:
            continue
        _, dy = reference_step_loss(P, h[tau], y[tau], m[tau], loss)
        g["W_hy"] += wt * dy.T @ h[tau]
        g["b_y"] += wt * dy.sum(0)
        for b in range(B):
            top = dy[b] @ P["W_hy"]                     # dloss_tau/dh_tau
            for s in range(start, tau + 1):
                M = np.eye(H)
                for r in range(tau, s, -1):
                    M = M @ (np.diag(dphi(a[r, b])) @ P["W_hh"])
                da = (top @ M) * dphi(a[s, b])          # dloss_tau/da_s
                hprev = h[s - 1, b] if s > 0 else h0[b]
                g["W_hh"] += wt * np.outer(da, hprev)
                g["W_xh"] += wt * np.outer(da, x[s, b])
                g["b_h"] += wt * da
    return g


def make_data(T=9, B=3, I=2, H=4, O=2, activation="tanh", loss="mse", seed=0, radius=0.9):
    rng = np.random.default_rng(seed)
    model = bpttviz.ElmanRNN(I, H, O, activation=activation, seed=seed, radius=radius)
    model.params["b_h"] = rng.normal(0, 0.1, H)       # nonzero biases exercise every path
    model.params["b_y"] = rng.normal(0, 0.1, O)
    x = rng.normal(size=(T, B, I))
    y = rng.normal(size=(T, B, O)) if loss == "mse" else rng.integers(0, O, size=(T, B))
    h0 = rng.normal(0, 0.5, size=(B, H))
    return model, x, y, h0


# --- a scalar network a lecturer can work on the board ------------------------

def scalar_model(w=0.2):
    """h_t = w h_{t-1}, yhat_t = h_t: a linear one-unit network with no input."""
    model = bpttviz.ElmanRNN(1, 1, 1, activation="linear")
    model.params.update(W_xh=np.zeros((1, 1)), W_hh=np.array([[w]]), b_h=np.zeros(1),
                        W_hy=np.ones((1, 1)), b_y=np.zeros(1))
    return model


def scalar_run(k1=None, k2=None, T=3):
    """dL/dyhat = 1 at the last step only, so the W_hh gradient is dh_{T-1}/dw."""
    model = scalar_model()
    x = np.zeros((T, 1, 1))
    h0 = np.array([[0.9]])
    h_last = 0.9 * 0.2 ** T
    y = np.zeros((T, 1, 1))
    y[-1] = h_last - 1.0                     # yhat - y = 1 at the last step
    mask = np.zeros(T)
    mask[-1] = 1
    return bpttviz.bptt(model, x, y, k1, k2, h0=h0, mask=mask)


def test_scalar_forward_states():
    trace = scalar_run()
    assert trace.hidden[:, 0, 0] == pytest.approx([0.18, 0.036, 0.0072])


def test_scalar_full_gradient_is_3_w2_h0():
    # h_2 = w^3 h0, so dh_2/dw = 3 w^2 h0 = 3 * 0.04 * 0.9 = 0.108
    trace = scalar_run()
    assert trace.updates[0].grads["W_hh"][0, 0] == pytest.approx(0.108, rel=1e-12)


@pytest.mark.parametrize("k2, expected", [(3, 0.108), (2, 0.072), (1, 0.036), (10, 0.108)])
def test_scalar_real_time_bptt(k2, expected):
    # TBPTT(1, k2): the last update sees k2 copies of w, so dh_2/dw = k2 w^2 h0 (k2 <= 3).
    trace = scalar_run(k1=1, k2=k2)
    assert [u.step for u in trace.updates] == [1, 2, 3]
    assert trace.updates[-1].grads["W_hh"][0, 0] == pytest.approx(expected, rel=1e-12)
    assert trace.grads["W_hh"][0, 0] == pytest.approx(expected, rel=1e-12)


def test_forum_recipe_accumulates_wrongly_where_the_engine_does_not():
    """The PyTorch forum TBPTT(k1, k2) recipe reuses detached state leaves whose
    .grad is never zeroed; at TBPTT(1, 3) on the scalar network it returns 0.288
    where the truncated gradient is 3 w^2 h0 = 0.108 (what the engine returns)."""
    torch = pytest.importorskip("torch")
    w = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    k1, k2 = 1, 3
    states = [(None, torch.tensor(0.9, dtype=torch.float64))]
    for j in range(3):
        state = states[-1][1].detach()
        state.requires_grad = True
        new_state = w * state
        states.append((state, new_state))
        while len(states) > k2:
            del states[0]
        if (j + 1) % k1 == 0:
            w.grad = None
            new_state.backward(retain_graph=True)       # loss_j = h_j, dloss/dh = 1
            for i in range(k2 - 1):
                if states[-i - 2][0] is None:
                    break
                states[-i - 2][1].backward(states[-i - 1][0].grad, retain_graph=True)
    assert float(w.grad) == pytest.approx(0.288)
    engine = scalar_run(k1=1, k2=3)
    assert engine.updates[-1].grads["W_hh"][0, 0] == pytest.approx(0.108)


# --- full BPTT against finite differences --------------------------------------

@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("masked", [False, True])
def test_full_gradient_matches_finite_differences(activation, loss, masked):
    model, x, y, h0 = make_data(activation=activation, loss=loss, O=3 if loss != "mse" else 2)
    m = np.random.default_rng(5).uniform(0.5, 2.0, size=(x.shape[0], x.shape[1]))
    if masked:
        m[[0, 2, 3]] = 0.0          # some steps carry no target
        m[5, 1] = 0.0
    trace = bpttviz.bptt(model, x, y, h0=h0, loss=loss, mask=m)
    P = {k: v.copy() for k, v in model.params.items()}
    num = numerical_grads(lambda p: reference_mean_loss(p, x, y, m, h0, activation, loss), P)
    assert trace.loss == pytest.approx(reference_mean_loss(P, x, y, m, h0, activation, loss),
                                       rel=1e-12)
    assert len(trace.updates) == 1
    assert rel_error(trace.updates[0].grads, num) < 1e-7


def test_full_gradient_is_that_of_the_mean_of_per_step_losses():
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, h0=h0)
    assert trace.loss == pytest.approx(trace.step_losses.mean())
    assert trace.updates[0].loss == pytest.approx(trace.step_losses.mean())


# --- truncated BPTT against independent formulations ---------------------------

CONFIGS = {  # (k1, k2) on T = 9: every configuration a textbook names
    "TBPTT(n,n)": (9, 9),
    "TBPTT(1,n)": (1, 9),
    "TBPTT(k1,1)": (3, 1),
    "k1<k2": (2, 5),
    "k1=k2": (3, 3),
    "k1>k2": (4, 2),
    "k1 not dividing T": (4, 6),
    "k2>T": (2, 50),
}


def preset_schedules(T):
    return {
        "keras": schedules.keras(T, 4),
        "per_loss": schedules.per_loss(T, 3),
        "per_loss k1=2": schedules.per_loss(T, 4, k1=2),
        "sliding_window": schedules.sliding_window(T, 3),
        "last_loss": schedules.last_loss(T, 3, 5),
    }


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("name", list(CONFIGS))
def test_truncated_updates_equal_direct_sum_over_kept_pairs(activation, name):
    model, x, y, h0 = make_data(activation=activation)
    k1, k2 = CONFIGS[name]
    trace = bpttviz.bptt(model, x, y, k1, k2, h0=h0)
    m = np.ones(x.shape[:2])
    for u, (update, plan) in enumerate(zip(trace.updates, trace.schedule.updates)):
        ref = direct_sum_grads(model.params, x, y, m, h0, activation, "mse", plan)
        assert rel_error(update.grads, ref) < 1e-10, f"update {u}"


@pytest.mark.parametrize("name", ["keras", "per_loss", "per_loss k1=2", "sliding_window",
                                  "last_loss"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_presets_equal_direct_sum_over_kept_pairs(name, loss):
    model, x, y, h0 = make_data(loss=loss, O=3)
    sched = preset_schedules(x.shape[0])[name]
    m = np.ones(x.shape[:2])
    m[1] = 0.0
    trace = bpttviz.bptt(model, x, y, h0=h0, loss=loss, mask=m, schedule=sched)
    for update, plan in zip(trace.updates, sched.updates):
        ref = direct_sum_grads(model.params, x, y, m, h0, "tanh", loss, plan)
        assert rel_error(update.grads, ref) < 1e-10


def torch_truncated_grads(model, x, y, h0, sched, activation="tanh"):
    """Each update with PyTorch autograd: the state before each loss's window is
    detached, the window re-run with parameters that require grad."""
    torch = pytest.importorskip("torch")
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
           "linear": lambda a: a}[activation]
    P = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    X, Y = torch.tensor(x), torch.tensor(y)

    def step(h, t):
        return act(X[t] @ P["W_xh"].T + h @ P["W_hh"].T + P["b_h"])

    with torch.no_grad():                       # the untruncated forward: constants
        hs, h = [], torch.tensor(h0)
        for t in range(len(x)):
            h = step(h, t)
            hs.append(h)
    out = []
    for plan in sched.updates:
        for p in P.values():
            p.grad = None
        total = 0
        for tau, start in zip(plan.losses.tolist(), plan.starts.tolist()):
            if start > tau:
                h = hs[tau]                     # only the read-out sees this loss
            else:
                h = (hs[start - 1] if start > 0 else torch.tensor(h0)).detach()
                for t in range(start, tau + 1):
                    h = step(h, t)
            yhat = h @ P["W_hy"].T + P["b_y"]
            total = total + 0.5 * ((yhat - Y[tau]) ** 2).sum() / x.shape[1]
        (total / len(plan.losses)).backward()
        out.append({k: p.grad.numpy().copy() for k, p in P.items()})
    return out


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_truncated_updates_equal_pytorch_autograd_with_detach(activation, name):
    model, x, y, h0 = make_data(activation=activation)
    k1, k2 = CONFIGS[name]
    sched = schedules.tbptt(x.shape[0], k1, k2)
    trace = bpttviz.bptt(model, x, y, h0=h0, schedule=sched)
    ref = torch_truncated_grads(model, x, y, h0, sched, activation)
    for update, r in zip(trace.updates, ref):
        assert rel_error(update.grads, r) < 1e-10


@pytest.mark.parametrize("name", ["per_loss", "sliding_window", "last_loss"])
def test_presets_equal_pytorch_autograd_with_detach(name):
    model, x, y, h0 = make_data()
    sched = preset_schedules(x.shape[0])[name]
    trace = bpttviz.bptt(model, x, y, h0=h0, schedule=sched)
    for update, r in zip(trace.updates, torch_truncated_grads(model, x, y, h0, sched)):
        assert rel_error(update.grads, r) < 1e-10


# --- schedules ----------------------------------------------------------------

def test_update_timing_and_injected_losses_follow_williams_and_peng():
    sched = schedules.tbptt(10, 4, 6)
    assert [p.step for p in sched.updates] == [4, 8, 10]
    assert [p.losses.tolist() for p in sched.updates] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [p.window for p in sched.updates] == [(0, 3), (2, 7), (4, 9)]


def test_k1_above_k2_leaves_old_losses_to_the_read_out_only():
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, 6, 2, h0=h0)
    first = trace.updates[0]
    assert first.window == (4, 5)
    assert not first.kept[:4].any()               # losses 0..3 reach no state
    # their contribution is in W_hy / b_y: dropping them changes only those
    mask = np.ones(x.shape[0])
    mask[:4] = 0
    only_recent = bpttviz.bptt(model, x, y, 6, 2, h0=h0, mask=mask).updates[0]
    scale = 6 / 2                                  # means over 6 and over 2 losses
    for k in ("W_xh", "W_hh", "b_h"):
        np.testing.assert_allclose(first.grads[k] * scale, only_recent.grads[k], rtol=1e-12)
    assert not np.allclose(first.grads["W_hy"] * scale, only_recent.grads["W_hy"])


@pytest.mark.parametrize("k2", [9, 10, 1000])
def test_tbptt_T_k2_at_least_T_is_full_bptt(k2):
    model, x, y, h0 = make_data()
    full = bpttviz.bptt(model, x, y, h0=h0)
    same = bpttviz.bptt(model, x, y, 9, k2, h0=h0)
    assert len(same.updates) == 1
    assert rel_error(same.updates[0].grads, full.updates[0].grads) == 0.0


def test_per_loss_with_k1_1_is_real_time_bptt():
    model, x, y, h0 = make_data()
    a = bpttviz.bptt(model, x, y, h0=h0, schedule=schedules.per_loss(9, 4, k1=1))
    b = bpttviz.bptt(model, x, y, 1, 4, h0=h0)
    for ua, ub in zip(a.updates, b.updates):
        assert rel_error(ua.grads, ub.grads) < 1e-14


def test_kept_masks_draw_the_truncation():
    sched = schedules.tbptt(6, 2, 3)
    assert sched.kept(1).astype(int).tolist() == [
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, 1, 1, 0, 0, 0],
        [0, 1, 1, 1, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
    ]
    assert not np.triu(sched.kept_any, 1).any()


def test_sliding_window_injects_one_loss_per_step_after_the_first_window():
    sched = schedules.sliding_window(6, 3)
    assert [p.step for p in sched.updates] == [3, 4, 5, 6]
    assert [(p.losses.tolist(), p.starts.tolist()) for p in sched.updates] == [
        ([2], [0]), ([3], [1]), ([4], [2]), ([5], [3])]


# --- what the trace records -----------------------------------------------------

def test_flow_is_lower_triangular_and_its_diagonal_is_the_direct_error():
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, h0=h0)
    flow = trace.flow
    assert flow.shape == (9, 9)
    assert np.all(np.triu(flow, 1) == 0)
    assert np.all(flow[np.tril_indices(9)] > 0)
    P = model.params
    for tau in range(9):
        _, dy = reference_step_loss(P, trace.hidden[tau], y[tau], np.ones(3), "mse")
        assert flow[tau, tau] == pytest.approx(np.linalg.norm(dy @ P["W_hy"]))


def test_flow_equals_explicit_jacobian_products():
    model, x, y, h0 = make_data(B=2, activation="sigmoid")
    trace = bpttviz.bptt(model, x, y, 3, 2, h0=h0)          # truncation must not matter
    a, h = reference_forward(model.params, x, h0, "sigmoid")
    dphi = PHI["sigmoid"][1]
    P = model.params
    for tau in range(9):
        _, dy = reference_step_loss(P, h[tau], y[tau], np.ones(2), "mse")
        for s in range(tau + 1):
            rows = []
            for b in range(2):
                M = np.eye(4)
                for r in range(tau, s, -1):
                    M = M @ (np.diag(dphi(a[r, b])) @ P["W_hh"])
                rows.append(dy[b] @ P["W_hy"] @ M)
            assert trace.flow[tau, s] == pytest.approx(np.linalg.norm(rows), rel=1e-10)


@pytest.mark.parametrize("activation, gamma", [("tanh", 1.0), ("sigmoid", 0.25)])
def test_flow_obeys_the_pascanu_bound(activation, gamma):
    # ||dh_t/dh_{t-1}|| <= gamma * sigma with sigma the largest singular value of
    # W_hh (Pascanu, Mikolov & Bengio 2013), so the flow decays at least that fast.
    rng = np.random.default_rng(3)
    model = bpttviz.ElmanRNN(3, 8, 2, activation=activation, sigma=0.9, seed=3)
    x, y = rng.normal(size=(30, 4, 3)), rng.normal(size=(30, 4, 2))
    flow = bpttviz.bptt(model, x, y).flow
    sigma = bpttviz.max_singular_value(model.params["W_hh"])
    assert sigma == pytest.approx(0.9)
    tau, s = np.tril_indices(30)
    bound = (sigma * gamma) ** (tau - s) * flow[tau, tau]
    assert np.all(flow[tau, s] <= bound * (1 + 1e-12))
    assert flow[29, 0] < 1e-2 * flow[29, 29]          # and the lesson: it vanishes


def flow_by_finite_differences(P, x, y, m, activation, loss, tau):
    """(T,) ``||d loss_tau / d h_s||`` for every s <= tau by centred differences: h_s nudged,
    steps s+1 .. tau run again by the textbook loop (h0 = 0), loss_tau as documented."""
    phi = PHI[activation][0]
    _, h = reference_forward(P, x, np.zeros((x.shape[1], P["W_hh"].shape[0])), activation)

    def loss_tau(h_s, s):
        for t in range(s + 1, tau + 1):
            h_s = phi(x[t] @ P["W_xh"].T + h_s @ P["W_hh"].T + P["b_h"])
        return reference_step_loss(P, h_s, y[tau], m[tau], loss)[0]

    return np.array([np.linalg.norm(numerical_grads(lambda q: loss_tau(q["h"], s),
                                                    {"h": h[s].copy()})["h"])
                     for s in range(tau + 1)])


def test_flow_rows_of_a_scalar_network_scored_at_its_last_step_only():
    # h_t = w h_{t-1}, yhat_t = h_t, a target at step 2 only with yhat_2 - y_2 = 1:
    # d loss_2 / d h_s = w^(2 - s) = 0.04, 0.2, 1. Losses 0 and 1 do not exist: NaN, not 0.
    flow = scalar_run().flow
    assert np.isnan(flow[:2]).all()
    assert flow[2] == pytest.approx([0.04, 0.2, 1.0], rel=1e-12)


NO_TARGET_BEFORE_THE_END = {
    "adding": AddingProblem(lag=4, seq_len=8),
    "temporal_order": TemporalOrder(seq_len=10),
    "sequence_classification": SequenceClassification(lag=4, key_len=2, seq_len=8),
}


@pytest.mark.parametrize("name", list(NO_TARGET_BEFORE_THE_END))
def test_flow_rows_of_losses_without_a_target_are_nan_and_the_scored_row_is_exact(name):
    # These tasks score the last step only: every other loss is identically 0, and a row of
    # zeros would read as a gradient that vanished. There is no loss there: the row is NaN.
    task = NO_TARGET_BEFORE_THE_END[name]
    batch = task.sample(3, np.random.default_rng(0))
    model = bpttviz.ElmanRNN(task.n_in, 4, task.n_out, seed=1)
    trace = bpttviz.bptt(model, batch.inputs, batch.targets, loss=batch.loss, mask=batch.mask)
    T = batch.T
    assert trace.carries.tolist() == [False] * (T - 1) + [True]
    assert np.isnan(trace.flow[:-1]).all()
    fd = flow_by_finite_differences(model.params, batch.inputs, batch.targets, batch.mask,
                                    "tanh", batch.loss, T - 1)
    np.testing.assert_allclose(trace.flow[-1], fd, rtol=1e-6)
    assert np.all(trace.flow[-1] > 0)


def test_a_mask_only_blanks_rows_and_changes_no_number():
    # Each row is its own loss's gradient: dropping the other targets leaves it bit for bit.
    model, x, y, h0 = make_data()
    dense = bpttviz.bptt(model, x, y, h0=h0).flow
    assert np.isfinite(dense).all() and np.all(np.triu(dense, 1) == 0)
    np.testing.assert_array_equal(bpttviz.bptt(model, x, y, h0=h0, mask=np.ones(9)).flow, dense)
    mask = np.ones((9, 3))
    mask[[2, 5]] = 0                                # no example has a target at steps 2 and 5
    mask[7, :2] = 0                                 # step 7: one example has one
    sparse = bpttviz.bptt(model, x, y, h0=h0, mask=mask).flow
    assert np.isnan(sparse[[2, 5]]).all()
    rows = [0, 1, 3, 4, 6, 8]
    np.testing.assert_array_equal(sparse[rows], dense[rows])
    assert np.isfinite(sparse[7]).all() and np.all(sparse[7, :8] > 0)


def test_a_loss_whose_error_is_exactly_zero_keeps_its_zeros():
    # A target met exactly is a loss with a zero gradient: that is a gradient of 0, drawn so.
    model = scalar_model()
    x, h0 = np.zeros((3, 1, 1)), np.array([[0.9]])
    y = bpttviz.unroll(model, x, h0=h0).hidden              # yhat_t = h_t: every target met
    flow = bpttviz.bptt(model, x, y, h0=h0).flow
    assert np.array_equal(flow, np.zeros((3, 3)))


def test_error_norms_per_update_and_for_the_full_gradient():
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, 3, 5, h0=h0)
    full = bpttviz.bptt(model, x, y, h0=h0)
    np.testing.assert_allclose(trace.full_error_norms, full.updates[0].error_norms)
    for k, g in trace.full_grads.items():
        np.testing.assert_allclose(g, full.updates[0].grads[k])
    u = trace.updates[1]                              # window (1, 5)
    assert u.window == (1, 5)
    assert np.all(u.error_norms[1:6] > 0) and np.all(u.error_norms[[0, 6, 7, 8]] == 0)
    # the error at the last state of the window is the direct read-out error only
    _, dy = reference_step_loss(model.params, trace.hidden[5], y[5], np.ones(3), "mse")
    assert u.error_norms[5] == pytest.approx(np.linalg.norm(dy @ model.params["W_hy"]) / 3)


def test_whh_contributions_sum_to_the_whh_gradient_in_the_scalar_case():
    trace = scalar_run()
    # per-copy contributions of w: dL/da_s * h_{s-1}, for s = 0, 1, 2
    # = w^2 * h0, w * (w h0), 1 * (w^2 h0): each 0.036
    assert trace.full_whh_norms == pytest.approx([0.036, 0.036, 0.036])
    assert trace.full_whh_norms.sum() == pytest.approx(0.108)


def test_lean_path_gives_the_same_gradients():
    model, x, y, h0 = make_data()
    a = bpttviz.bptt(model, x, y, 2, 5, h0=h0)
    b = bpttviz.bptt(model, x, y, 2, 5, h0=h0, record=False)
    assert b.hidden is None and b.updates[0].error_window is None
    for ua, ub in zip(a.updates, b.updates):
        assert rel_error(ua.grads, ub.grads) == 0.0


@pytest.mark.parametrize("every", [1, 2, 3, 4, 9, 20])
@pytest.mark.parametrize("k1, k2", [(None, None), (2, 5), (4, 2), (1, 9)])
def test_checkpointing_gives_identical_gradients(every, k1, k2):
    model, x, y, h0 = make_data()
    plain = bpttviz.bptt(model, x, y, k1, k2, h0=h0)
    ckpt = bpttviz.bptt(model, x, y, k1, k2, h0=h0, checkpoint=every)
    for ua, ub in zip(plain.updates, ckpt.updates):
        for k in ua.grads:
            np.testing.assert_allclose(ua.grads[k], ub.grads[k], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(plain.updates[-1].error_norms, ckpt.updates[-1].error_norms,
                               rtol=1e-13)
    if every > 1:
        assert ckpt.cost.recomputed_steps > 0


def test_stored_activations_scale_with_the_window_not_with_T():
    rng = np.random.default_rng(0)
    model = bpttviz.ElmanRNN(2, 16, 1)
    peaks = {}
    for T in (100, 400):
        x, y = rng.normal(size=(T, 2, 2)), rng.normal(size=(T, 2, 1))
        for k2 in (5, 20):
            peaks[T, k2] = bpttviz.bptt(model, x, y, k2, k2, record=False).cost.peak_stored_floats
        peaks[T, "full"] = bpttviz.bptt(model, x, y, record=False).cost.peak_stored_floats
    per_step = 2 * (16 + 1)                          # B * (H states + O loss gradients)
    assert peaks[100, 5] == peaks[400, 5] == 5 * per_step
    assert peaks[100, 20] == peaks[400, 20] == 20 * per_step
    assert peaks[100, "full"] == 100 * per_step and peaks[400, "full"] == 400 * per_step
    ckpt = bpttviz.bptt(model, x, y, checkpoint=20, record=False).cost
    assert ckpt.peak_stored_floats < peaks[400, "full"] / 5
    assert ckpt.forward_steps == 400 + ckpt.recomputed_steps


def test_cost_counts_forward_and_backward_steps():
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, 2, 5, h0=h0)
    assert trace.cost.forward_steps == 9
    windows = [u.window for u in trace.updates]
    assert trace.cost.backward_steps == sum(hi - lo + 1 for lo, hi in windows)


def test_h0_is_the_state_before_the_first_step():
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, h0=h0)
    _, h = reference_forward(model.params, x, h0, "tanh")
    np.testing.assert_allclose(trace.hidden, h, rtol=1e-13)
    zero = bpttviz.bptt(model, x, y)
    _, h = reference_forward(model.params, x, np.zeros_like(h0), "tanh")
    np.testing.assert_allclose(zero.hidden, h, rtol=1e-13)


def test_bptt_does_not_change_the_parameters_and_the_trace_keeps_its_own_copy():
    model, x, y, h0 = make_data()
    before = {k: v.copy() for k, v in model.params.items()}
    trace = bpttviz.bptt(model, x, y, 2, 3, h0=h0)
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])
    expected = bpttviz.bptt(model, x, y, h0=h0).updates[0].grads["W_hh"]
    model.params["W_hh"] *= 3.0                      # later edits do not reach the trace
    np.testing.assert_allclose(trace.full_grads["W_hh"], expected)


def test_float32_runs_in_float32_close_to_float64():
    model, x, y, h0 = make_data()
    m32 = bpttviz.ElmanRNN(2, 4, 2, seed=0, radius=0.9, dtype="float32")
    m32.params = {k: v.astype(np.float32) for k, v in model.params.items()}
    t32 = bpttviz.bptt(m32, x, y, 3, 3, h0=h0)
    t64 = bpttviz.bptt(model, x, y, 3, 3, h0=h0)
    assert t32.hidden.dtype == np.float32 and t32.updates[0].grads["W_hh"].dtype == np.float32
    assert rel_error(t32.updates[0].grads, t64.updates[0].grads) < 1e-5


def test_trace_save_and_load_round_trip(tmp_path):
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, 2, 4, h0=h0)
    flow = trace.flow
    path = tmp_path / "trace.npz"
    trace.save(path)
    back = bpttviz.Trace.load(path)
    np.testing.assert_array_equal(back.hidden, trace.hidden)
    np.testing.assert_array_equal(back.flow, flow)
    assert back.cost == trace.cost and back.schedule.k2 == 4
    for ua, ub in zip(trace.updates, back.updates):
        assert ua.step == ub.step and ua.window == ub.window
        np.testing.assert_array_equal(ua.error_norms, ub.error_norms)
        assert rel_error(ua.grads, ub.grads) == 0.0
    with pytest.raises(RuntimeError, match="loaded without full_grads"):
        back.full_grads


# --- overflow is a state to show ------------------------------------------------

def test_exploding_run_records_where_values_stopped_being_finite(recwarn):
    rng = np.random.default_rng(0)
    model = bpttviz.ElmanRNN(1, 8, 1, activation="linear", radius=30.0)
    x, y = rng.normal(size=(400, 2, 1)), rng.normal(size=(400, 2, 1))
    trace = bpttviz.bptt(model, x, y, 50, 50)
    assert trace.nonfinite
    first = trace.first_nonfinite
    assert first is not None and 50 < first < 400       # 30^t overflows float64 near t = 209
    assert np.all(np.isfinite(trace.hidden[:first])) and np.all(np.isfinite(trace.step_losses[:first]))
    assert not np.isfinite(trace.step_losses[first])     # the squared error overflows first
    assert not np.all(np.isfinite(trace.hidden[-1]))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    flow = trace.flow                                     # still computable, with inf/NaN in it
    assert not np.all(np.isfinite(flow))


def test_exploding_gradients_record_the_backward_step():
    rng = np.random.default_rng(0)
    model = bpttviz.ElmanRNN(1, 8, 1, activation="linear", radius=8.0)
    x, y = rng.normal(size=(400, 1, 1)) * 1e-300, rng.normal(size=(400, 1, 1))
    trace = bpttviz.bptt(model, x, y)
    assert trace.first_nonfinite is None                 # the forward pass stays finite
    up = trace.updates[0]
    assert up.first_nonfinite is not None and up.first_nonfinite < 300
    # above it the error is finite (its norm may already exceed the largest float)
    assert np.all(np.isfinite(up.error_norms[up.first_nonfinite + 2:]))
    assert not np.isfinite(up.error_norms[up.first_nonfinite])
    assert np.isnan(up.error_norms[0])                   # inf - inf below: NaN, shown, not raised
    assert trace.nonfinite


# --- bad input ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"k1": 0}, ValueError, r"The 'k1' parameter of bptt must be an int in the range \[1, inf\) or None. Got 0"),
    ({"k2": 0}, ValueError, r"The 'k2' parameter of bptt must be an int in the range \[1, inf\) or None. Got 0"),
    ({"k2": -3}, ValueError, r"'k2'.*Got -3"),
    ({"k1": 2.5}, TypeError, r"'k1'.*Got 2.5"),
    ({"k2": "5"}, TypeError, r"'k2'.*Got '5'"),
    ({"k1": True}, TypeError, r"'k1'.*Got True"),
    ({"loss": "hinge"}, ValueError, r"'loss'.*\{'mse', 'cross_entropy'\}. Got 'hinge'"),
    ({"checkpoint": 0}, ValueError, r"'checkpoint'.*Got 0"),
    ({"h0": np.zeros((2, 4))}, ValueError, r"'h0'.*shape \(B, S\) = \(3, 4\).*Got shape \(2, 4\)"),
    ({"mask": np.ones(4)}, ValueError, r"'mask'.*\(T,\) = \(9,\).*Got shape \(4,\)"),
    ({"mask": -np.ones(9)}, ValueError, r"'mask'.*>= 0"),
    ({"schedule": "keras"}, TypeError, r"'schedule'.*Schedule"),
    ({"schedule": schedules.tbptt(8, 2, 2)}, ValueError, r"T=9.*T=8"),
    ({"schedule": schedules.tbptt(9, 2, 2), "k1": 2}, ValueError, r"either k1/k2 or a schedule"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    model, x, y, h0 = make_data()
    with pytest.raises(error, match=message):
        bpttviz.bptt(model, x, y, **kwargs)


def test_bad_data_is_named():
    model, x, y, _ = make_data()
    bad_x = x.copy()
    bad_x[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"'inputs' parameter of bptt must be finite. Got nan at index \(2, 1, 0\)"):
        bpttviz.bptt(model, bad_x, y)
    with pytest.raises(ValueError, match=r"'targets'.*finite.*inf"):
        bpttviz.bptt(model, x, np.full_like(y, np.inf))
    with pytest.raises(ValueError, match=r"'inputs'.*\(T, B, I=2\).*axis I is 3"):
        bpttviz.bptt(model, np.zeros((9, 3, 3)), y)
    with pytest.raises(ValueError, match=r"'inputs'.*shape \(T, B, I\).*\(9, 3\)"):
        bpttviz.bptt(model, x[:, :, 0], y)
    with pytest.raises(ValueError, match=r"'targets'.*T=9.*axis T is 8"):
        bpttviz.bptt(model, x, y[:8])
    with pytest.raises(TypeError, match=r"'inputs'.*real numbers.*complex"):
        bpttviz.bptt(model, x.astype(complex), y)
    with pytest.raises(TypeError, match=r"'inputs'.*real numbers.*bool"):
        bpttviz.bptt(model, x > 0, y)
    with pytest.raises(TypeError, match=r"'inputs'.*real numbers.*(<U|object)"):
        bpttviz.bptt(model, [["a"]], y)
    with pytest.raises(ValueError, match=r"'targets'.*class labels in \[0, 1\].*\[5, 5\]"):
        bpttviz.bptt(model, x, np.full((9, 3), 5), loss="cross_entropy")
    with pytest.raises(ValueError, match=r"'inputs'.*not be empty along axis T"):
        bpttviz.bptt(model, np.zeros((0, 3, 2)), y[:0])
    with pytest.raises(TypeError, match=r"'model'.*bpttviz model.*dict"):
        bpttviz.bptt({"W_hh": 1}, x, y)


def test_bad_parameters_are_named():
    model, x, y, _ = make_data()
    model.params["W_hh"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"'W_hh' must have shape \(4, 4\). Got shape \(3, 3\)"):
        bpttviz.bptt(model, x, y)
    model.params["W_hh"] = np.full((4, 4), np.nan)
    with pytest.raises(ValueError, match=r"'W_hh' must be finite"):
        bpttviz.bptt(model, x, y)
    del model.params["W_hh"]
    with pytest.raises(ValueError, match=r"keys \['W_hh', 'W_hy', 'W_xh', 'b_h', 'b_y'\]"):
        bpttviz.bptt(model, x, y)


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "softplus"}, r"'activation' parameter of ElmanRNN must be one of \{'tanh', 'relu', 'sigmoid', 'linear'\}. Got 'softplus'"),
    ({"n_hidden": 0}, r"'n_hidden'.*\[1, inf\). Got 0"),
    ({"radius": -1.0}, r"'radius'.*\[0, inf\).*Got -1.0"),
    ({"radius": 1.0, "sigma": 1.0}, r"at most one"),
    ({"dtype": "float16"}, r"'dtype'.*\{'float64', 'float32'\}. Got 'float16'"),
])
def test_bad_model_arguments_are_named(kwargs, message):
    args = {"n_in": 2, "n_hidden": 4, "n_out": 1, **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        bpttviz.ElmanRNN(**args)


@pytest.mark.parametrize("call, message", [
    (lambda: schedules.tbptt(10, 0, 2), r"'k1' parameter of tbptt"),
    (lambda: schedules.sliding_window(10, 11), r"'k' parameter of sliding_window.*\[1, 10\]. Got 11"),
    (lambda: schedules.per_loss(10, 0), r"'k2' parameter of per_loss"),
    (lambda: schedules.Schedule("custom", 5, (schedules.UpdatePlan(3, np.array([0, 3]), np.array([0, 0])),)),
     r"only the losses it has seen"),
])
def test_bad_schedules_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_radius_and_sigma_are_set_exactly():
    m = bpttviz.ElmanRNN(2, 16, 1, radius=1.3, seed=4)
    assert bpttviz.spectral_radius(m.params["W_hh"]) == pytest.approx(1.3, rel=1e-12)
    m = bpttviz.ElmanRNN(2, 16, 1, sigma=0.7, seed=4)
    assert bpttviz.max_singular_value(m.params["W_hh"]) == pytest.approx(0.7, rel=1e-12)
    a, b = bpttviz.ElmanRNN(2, 16, 1, seed=4), bpttviz.ElmanRNN(2, 16, 1, seed=4)
    np.testing.assert_array_equal(a.params["W_hh"], b.params["W_hh"])


@pytest.mark.parametrize("block", [256, 2])
def test_random_schedules_equal_direct_sum_over_kept_pairs(block, monkeypatch):
    """Many (T, k1, k2) at random, including k1 or k2 above T, plain and checkpointed,
    with the engine's forward/backward blocks longer and shorter than the windows."""
    from bpttviz.engine import _BufferTape
    monkeypatch.setattr(_BufferTape, "block", block)
    rng = np.random.default_rng(11 + block)
    for _ in range(40):
        T = int(rng.integers(1, 13))
        k1, k2 = int(rng.integers(1, T + 3)), int(rng.integers(1, T + 3))
        model, x, y, h0 = make_data(T=T, B=2, H=3, seed=int(rng.integers(1000)))
        m = (rng.random((T, 2)) < 0.8).astype(float)
        every = [None, int(rng.integers(1, T + 2))][int(rng.integers(2))]
        trace = bpttviz.bptt(model, x, y, k1, k2, h0=h0, mask=m, checkpoint=every)
        for update, plan in zip(trace.updates, trace.schedule.updates):
            ref = direct_sum_grads(model.params, x, y, m, h0, "tanh", "mse", plan)
            # relative to the reference's scale; an update with nothing to learn must give 0
            scale = max(float(np.max(np.abs(r))) for r in ref.values())
            diff = max(float(np.max(np.abs(update.grads[k] - ref[k]))) for k in ref)
            assert diff <= 1e-10 * scale, (T, k1, k2, every)


def test_an_overflowed_trace_prints_without_warnings(recwarn):
    rng = np.random.default_rng(0)
    model = bpttviz.ElmanRNN(1, 8, 1, activation="linear", radius=30.0)
    trace = bpttviz.bptt(model, rng.normal(size=(300, 1, 1)), rng.normal(size=(300, 1, 1)), 100)
    text = repr(trace.updates[-1])
    assert "grad_norm=nan" in text or "grad_norm=inf" in text
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("record", [True, False])
def test_final_state_and_requested_states_let_a_caller_carry_on(record, tmp_path):
    from bpttviz.engine import make_problem, run_schedule
    model, x, y, h0 = make_data()
    _, h = reference_forward(model.params, x, h0, "tanh")
    pb = make_problem(model, x, y, h0)
    trace = run_schedule(pb, schedules.tbptt(9, 2, 3), record=record, states_at=[0, 4, 8])
    np.testing.assert_allclose(trace.final_state, h[-1], rtol=1e-13)
    assert sorted(trace.states_at) == [0, 4, 8]
    for t, state in trace.states_at.items():
        np.testing.assert_allclose(state, h[t], rtol=1e-13)
    # carrying on from step 4 equals the rest of the sequence
    rest = bpttviz.bptt(model, x[5:], y[5:], h0=trace.states_at[4])
    np.testing.assert_allclose(rest.hidden, h[5:], rtol=1e-12)
    trace.save(tmp_path / "t.npz")
    back = bpttviz.Trace.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(back.final_state, trace.final_state)
    np.testing.assert_array_equal(back.states_at[4], trace.states_at[4])
    with pytest.raises(ValueError, match=r"'states_at'.*\[0, 8\].*\[9\]"):
        run_schedule(pb, schedules.tbptt(9, 2, 3), states_at=[9])


@pytest.mark.parametrize("sched", [schedules.last_loss(9, 9), schedules.sliding_window(9, 9)],
                         ids=["last_loss", "sliding_window"])
def test_full_gradient_of_a_one_update_schedule_that_skips_losses_is_the_true_full_one(sched):
    model, x, y, h0 = make_data()
    trace = bpttviz.bptt(model, x, y, h0=h0, schedule=sched)    # one update, only loss 8
    full = bpttviz.bptt(model, x, y, h0=h0).updates[0]
    assert rel_error(trace.full_grads, full.grads) == 0.0
    np.testing.assert_array_equal(trace.full_error_norms, full.error_norms)


def test_window_and_kept_describe_what_was_swept_when_losses_carry_no_target(tmp_path):
    model, x, y, h0 = make_data()
    mask = np.ones(9)
    mask[[2, 3, 4, 5]] = 0                          # update 1 (losses 3..5) has no target
    trace = bpttviz.bptt(model, x, y, 3, 3, h0=h0, mask=mask)
    first, second = trace.updates[:2]
    assert first.window == (0, 1) and first.kept[2].sum() == 0 and first.kept[1, :2].all()
    assert second.window is None and not second.kept.any()
    swept = sum(hi - lo + 1 for u in trace.updates if u.window for lo, hi in [u.window])
    assert trace.cost.backward_steps == swept
    trace.save(tmp_path / "t.npz")
    back = bpttviz.Trace.load(tmp_path / "t.npz")
    assert [u.window for u in back.updates] == [u.window for u in trace.updates]


def test_a_boolean_mask_marks_the_steps_with_a_target():
    model, x, y, h0 = make_data()
    where = np.zeros(9, dtype=bool)
    where[[3, 8]] = True
    a = bpttviz.bptt(model, x, y, h0=h0, mask=where)
    b = bpttviz.bptt(model, x, y, h0=h0, mask=where.astype(float))
    assert rel_error(a.updates[0].grads, b.updates[0].grads) == 0.0
    assert a.loss == pytest.approx(a.step_losses[[3, 8]].mean())


def test_record_must_be_a_boolean():
    model, x, y, h0 = make_data()
    with pytest.raises(TypeError, match=r"'record' parameter of bptt must be True or False. Got 'no'"):
        bpttviz.bptt(model, x, y, record="no")
