"""LSTM and GRU cells run by the same engine as the Elman cell.

Specifications: the forward pass is PyTorch's ``torch.nn.LSTM`` / ``torch.nn.GRU``
with the same weights; full and truncated gradients match finite differences
of an independent NumPy reference written from the equations, and PyTorch
autograd with ``detach``; the flow, per-step norms and Jacobians agree with
explicit products; checkpointing changes nothing; bad arguments are refused.
"""

import numpy as np
import pytest

import bpttviz
from bpttviz import schedules
from gradcheck import numerical_grads, rel_error

KINDS = ["lstm", "gru"]
I, H, O, T, B = 2, 3, 3, 7, 2


# --- an independent reference, written from the equations --------------------

def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def reference_step(kind, P, x_t, s, W_hh=None):
    """One step ``s_{t-1} -> s_t`` (B, S); ``W_hh`` overrides ``P["W_hh"]`` for this step."""
    W_hh = P["W_hh"] if W_hh is None else W_hh
    if kind == "lstm":
        h, c = s[:, :H], s[:, H:]
        a = x_t @ P["W_xh"].T + h @ W_hh.T + P["b_h"]
        i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), \
            sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        return np.concatenate([o * np.tanh(c), c], axis=1)
    ax = x_t @ P["W_xh"].T + P["b_xh"]
    ah = s @ W_hh.T + P["b_hh"]
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * s


def reference_states(kind, P, x, s0, W_hh_per_step=None):
    """States s_t (T, B, S) by the textbook loop."""
    out, s = [], s0
    for t in range(x.shape[0]):
        s = reference_step(kind, P, x[t], s, None if W_hh_per_step is None else W_hh_per_step[t])
        out.append(s)
    return np.array(out)


def reference_step_loss(P, h_t, y_t, m_t, loss):
    """loss_t and dloss_t/dyhat_t of one step, per the documented formulas."""
    yhat = h_t @ P["W_hy"].T + P["b_y"]
    if loss == "mse":
        d = yhat - y_t
        return float((m_t * 0.5 * (d ** 2).sum(1)).sum() / B), d * m_t[:, None] / B
    p = np.exp(yhat - yhat.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = p.copy()
    g[np.arange(B), y_t] -= 1
    return float(-(m_t * np.log(p[np.arange(B), y_t])).sum() / B), g * m_t[:, None] / B


def reference_mean_loss(kind, P, x, y, m, s0, loss, W_hh_per_step=None):
    """Mean of the per-step losses over the steps that carry a target."""
    s = reference_states(kind, P, x, s0, W_hh_per_step)
    losses = [reference_step_loss(P, s[t, :, :H], y[t], m[t], loss)[0] for t in range(len(x))]
    return float(np.mean(np.array(losses)[(m > 0).any(1)]))


def loss_weights(plan, m):
    """Weight of each of the update's losses in its mean: 1/n over the targeted ones."""
    carry = (m > 0).any(1)[plan.losses].astype(float)
    return carry / carry.sum() if carry.sum() else carry


def surrogate(kind, P, x, y, m, s0, loss, plan, const_states):
    """sum_tau w_tau loss_tau(P), each loss recomputed from the constant state s_{start-1}.

    ``const_states`` (T, B, S) come from the untruncated forward at the
    original parameters; a loss with start > tau sees its own constant state
    and only the read-out is live.
    """
    total = 0.0
    for tau, start, w in zip(plan.losses, plan.starts, loss_weights(plan, m)):
        if w == 0:
            continue
        if start > tau:
            s_tau = const_states[tau]
        else:
            s = s0 if start == 0 else const_states[start - 1]
            for t in range(start, tau + 1):
                s = reference_step(kind, P, x[t], s)
            s_tau = s
        total += w * reference_step_loss(P, s_tau[:, :H], y[tau], m[tau], loss)[0]
    return total


# --- fixtures -----------------------------------------------------------------

def make_model(kind, seed=0):
    if kind == "lstm":
        return bpttviz.LSTM(I, H, O, seed=seed, forget_bias=0.5)
    return bpttviz.GRU(I, H, O, seed=seed)


def make_data(kind, loss, seed=1):
    """Inputs, targets, a (T, B) mask with weights 0, 0.5, 1, 2 and a random initial state."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, I))
    y = rng.normal(size=(T, B, O)) if loss == "mse" else rng.integers(0, O, size=(T, B))
    m = rng.choice([0.0, 0.5, 1.0, 2.0], size=(T, B))
    m[2] = 0.0                                    # one step carries no target at all
    m[-1] = 1.0
    S = 2 * H if kind == "lstm" else H
    s0 = 0.5 * rng.normal(size=(B, S))
    return x, y, m, s0


def torch_modules(kind, P):
    """torch.nn.LSTM/GRU and the matching torch.nn.LSTMCell/GRUCell with the weights of P."""
    torch = pytest.importorskip("torch")
    layer = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(I, H).double()
    cell = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(I, H).double()
    b_ih = P["b_h"] if kind == "lstm" else P["b_xh"]
    b_hh = np.zeros_like(P["b_h"]) if kind == "lstm" else P["b_hh"]
    with torch.no_grad():
        for w_ih, w_hh, bi, bh in ((layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0,
                                    layer.bias_hh_l0),
                                   (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)):
            w_ih.copy_(torch.from_numpy(P["W_xh"]))
            w_hh.copy_(torch.from_numpy(P["W_hh"]))
            bi.copy_(torch.from_numpy(b_ih))
            bh.copy_(torch.from_numpy(b_hh))
    return torch, layer, cell


# --- the model and its forward pass -------------------------------------------

def test_parameter_shapes_follow_pytorch_gate_stacking():
    lstm, gru = bpttviz.LSTM(2, 3, 4), bpttviz.GRU(2, 3, 4)
    assert {k: v.shape for k, v in lstm.params.items()} == {
        "W_xh": (12, 2), "W_hh": (12, 3), "b_h": (12,), "W_hy": (4, 3), "b_y": (4,)}
    assert {k: v.shape for k, v in gru.params.items()} == {
        "W_xh": (9, 2), "W_hh": (9, 3), "b_xh": (9,), "b_hh": (9,), "W_hy": (4, 3), "b_y": (4,)}
    assert lstm.state_size == 6 and gru.state_size == 3
    assert all(v.dtype == np.float64 for v in lstm.params.values())


def test_initialisation_is_pytorch_uniform_plus_forget_bias():
    model = bpttviz.LSTM(2, 16, 1, seed=3, forget_bias=2.0)
    bound = 1 / np.sqrt(16)
    b = model.params["b_h"]
    assert np.all(np.abs(model.params["W_hh"]) <= bound)
    assert np.all(np.abs(np.delete(b, np.s_[16:32])) <= bound)
    assert np.all(np.abs(b[16:32] - 2.0) <= bound)
    assert np.array_equal(bpttviz.LSTM(2, 16, 1, seed=3, forget_bias=2.0).params["W_xh"],
                          model.params["W_xh"])
    gru = bpttviz.GRU(2, 16, 1, seed=3)
    assert all(np.all(np.abs(gru.params[k]) <= bound) for k in ("W_xh", "W_hh", "b_xh", "b_hh"))


@pytest.mark.parametrize("kind", KINDS)
def test_forward_states_equal_pytorch(kind):
    model = make_model(kind)
    x, _, _, s0 = make_data(kind, "mse")
    torch, layer, _ = torch_modules(kind, model.params)
    h0 = torch.from_numpy(s0[None, :, :H].copy())
    with torch.no_grad():
        if kind == "lstm":
            out, (h_n, c_n) = layer(torch.from_numpy(x), (h0, torch.from_numpy(s0[None, :, H:].copy())))
        else:
            out, h_n = layer(torch.from_numpy(x), h0)
    run = bpttviz.unroll(model, x, h0=s0)
    np.testing.assert_allclose(run.hidden, out.numpy(), rtol=0, atol=1e-13)
    if kind == "lstm":
        np.testing.assert_allclose(run.states[-1, :, H:], c_n[0].numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(run.states, reference_states(kind, model.params, x, s0),
                               rtol=0, atol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_trace_records_hidden_and_cell_states(kind):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, "mse")
    trace = bpttviz.bptt(model, x, y, h0=s0, mask=m)
    ref = reference_states(kind, model.params, x, s0)
    np.testing.assert_allclose(trace.states, ref, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(trace.hidden, trace.states[..., :H])
    assert trace.states.shape == (T, B, 2 * H if kind == "lstm" else H)


@pytest.mark.parametrize("kind", KINDS)
def test_saved_trace_keeps_the_cell_states(kind, tmp_path):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, "mse")
    trace = bpttviz.bptt(model, x, y, h0=s0, mask=m, k1=3, k2=4)
    trace.flow
    trace.save(tmp_path / "trace.npz")
    loaded = bpttviz.Trace.load(tmp_path / "trace.npz")
    np.testing.assert_array_equal(loaded.states, trace.states)
    np.testing.assert_array_equal(loaded.flow, trace.flow)
    for k, g in trace.grads.items():
        np.testing.assert_array_equal(loaded.grads[k], g)


def test_float32_model_computes_in_float32():
    for model in (bpttviz.LSTM(I, H, O, dtype="float32"), bpttviz.GRU(I, H, O, dtype="float32")):
        x, y, _, _ = make_data(model.cell.kind, "mse")
        trace = bpttviz.bptt(model, x, y, k1=3, k2=4)
        assert trace.states.dtype == np.float32
        assert all(g.dtype == np.float32 for g in trace.grads.values())


# --- gradients ------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_full_bptt_matches_finite_differences(kind, loss):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, loss)
    trace = bpttviz.bptt(model, x, y, h0=s0, loss=loss, mask=m)
    assert len(trace.updates) == 1
    P = {k: v.copy() for k, v in model.params.items()}
    num = numerical_grads(lambda p: reference_mean_loss(kind, p, x, y, m, s0, loss), P)
    assert rel_error(trace.grads, num) < 1e-8
    assert trace.loss == pytest.approx(reference_mean_loss(kind, P, x, y, m, s0, loss), rel=1e-12)


TRUNCATIONS = [
    {"k1": 2, "k2": 3},                                  # k1 < k2
    {"k1": 3, "k2": 3},                                  # k1 = k2
    {"k1": 3, "k2": 2},                                  # k1 > k2: some losses reach only W_hy
    {"k1": 1, "k2": 2},
    {"schedule": schedules.per_loss(T, 3, k1=4)},        # one window per loss
    {"schedule": schedules.per_loss(T, 2)},
]
TRUNCATION_IDS = ["k1<k2", "k1=k2", "k1>k2", "k1=1", "per_loss-k1", "per_loss-end"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("how", TRUNCATIONS, ids=TRUNCATION_IDS)
def test_truncated_updates_match_finite_differences_of_the_surrogate(kind, loss, how):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, loss)
    trace = bpttviz.bptt(model, x, y, h0=s0, loss=loss, mask=m, **how)
    const = reference_states(kind, model.params, x, s0)
    assert len(trace.updates) > 1 or "schedule" in how
    for up in trace.updates:
        P = {k: v.copy() for k, v in model.params.items()}
        num = numerical_grads(
            lambda p: surrogate(kind, p, x, y, m, s0, loss, up.plan, const), P)
        assert rel_error(up.grads, num) < 1e-8


def torch_truncated_grads(kind, P, x, y, m, s0, loss, plan):
    """One update's gradient by PyTorch autograd: each group of losses sharing a
    start runs forward from the detached state s_{start-1}."""
    torch, _, cell = torch_modules(kind, P)
    W_hy = torch.tensor(P["W_hy"], requires_grad=True)
    b_y = torch.tensor(P["b_y"], requires_grad=True)
    xt, mt = torch.from_numpy(x), torch.from_numpy(m)

    def step(t, s):
        if kind == "lstm":
            return torch.cat(cell(xt[t], (s[:, :H], s[:, H:])), dim=1)
        return cell(xt[t], s)

    def step_loss(t, h):
        yhat = h @ W_hy.T + b_y
        if loss == "mse":
            per = 0.5 * ((yhat - torch.from_numpy(y[t])) ** 2).sum(1)
        else:
            per = torch.nn.functional.cross_entropy(yhat, torch.from_numpy(y[t]), reduction="none")
        return (mt[t] * per).sum() / B

    with torch.no_grad():                               # untruncated states at P
        states, s = [], torch.from_numpy(s0)
        for t in range(T):
            s = step(t, s)
            states.append(s)
    total = torch.zeros((), dtype=torch.float64)
    w = loss_weights(plan, m)
    for tau, start, wt in zip(plan.losses, plan.starts, w):
        if wt > 0 and start > tau:                      # the read-out only
            total = total + wt * step_loss(tau, states[tau][:, :H])
    for start in np.unique(plan.starts):
        group = (plan.starts == start) & (plan.starts <= plan.losses) & (w > 0)
        if not group.any():
            continue
        taus = plan.losses[group]
        s = (torch.from_numpy(s0) if start == 0 else states[start - 1]).detach()
        for t in range(start, int(taus.max()) + 1):
            s = step(t, s)
            if t in taus:
                total = total + w[group][taus == t][0] * step_loss(t, s[:, :H])
    params = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh, W_hy, b_y]
    for p in params:
        p.grad = None
    if total.requires_grad:
        total.backward()
    g = [np.zeros(p.shape) if p.grad is None else p.grad.numpy() for p in params]
    out = {"W_xh": g[0], "W_hh": g[1], "W_hy": g[4], "b_y": g[5]}
    if kind == "lstm":
        out["b_h"] = g[2]                               # the sum of PyTorch's two biases
    else:
        out["b_xh"], out["b_hh"] = g[2], g[3]
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("how", [{}] + TRUNCATIONS, ids=["full"] + TRUNCATION_IDS)
def test_updates_match_pytorch_autograd_with_detach(kind, loss, how):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, loss)
    trace = bpttviz.bptt(model, x, y, h0=s0, loss=loss, mask=m, **how)
    for up in trace.updates:
        ref = torch_truncated_grads(kind, model.params, x, y, m, s0, loss, up.plan)
        assert rel_error(up.grads, ref) < 1e-12


# --- diagnostics: Jacobians, flow, per-step norms ------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_in_place_vjp_equals_vjp(kind):
    """The engine's single-error fast path gives what the broadcasting VJP gives."""
    model = make_model(kind)
    x, _, _, s0 = make_data(kind, "mse")
    run = bpttviz.unroll(model, x, h0=s0)
    cell = model.cell
    cache = cell.prepare_backward(run.params, run.cache)
    g = np.random.default_rng(2).normal(size=(3, B, model.state_size))
    for t in range(T):
        local, g_prev = cell.vjp(run.params, cache, t, g)          # three errors at once
        for k in range(3):
            local_out, g_k = np.empty((B, cell.local_size)), g[k].copy()
            cell.vjp_into(run.params, cache, t, g_k, local_out)
            np.testing.assert_allclose(local_out, local[k], rtol=1e-14, atol=1e-16)
            np.testing.assert_allclose(g_k, g_prev[k], rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("kind", KINDS)
def test_jacobians_match_finite_differences_of_one_step(kind):
    model = make_model(kind)
    x, _, _, s0 = make_data(kind, "mse")
    run = bpttviz.unroll(model, x, h0=s0)
    J = model.cell.jacobians(run.params, run.cache)
    S = model.state_size
    assert J.shape == (T, B, S, S)
    eps = 1e-6
    for t in range(T):
        prev = s0 if t == 0 else run.states[t - 1]
        for k in range(S):
            d = np.zeros_like(prev)
            d[:, k] = eps
            col = (reference_step(kind, run.params, x[t], prev + d)
                   - reference_step(kind, run.params, x[t], prev - d)) / (2 * eps)
            np.testing.assert_allclose(J[t, :, :, k], col, rtol=0, atol=1e-9)


def test_lstm_jacobian_by_hand_without_recurrent_weights():
    """With W_hh = 0 the LSTM's step Jacobian is [[0, diag(o tanh'(c) f)], [0, diag(f)]]:
    the cell state passes errors back scaled by the forget gate alone
    (the constant error carousel of Hochreiter & Schmidhuber 1997)."""
    model = bpttviz.LSTM(1, 2, 1, seed=5)
    model.params["W_hh"][:] = 0.0
    x = np.array([[[0.3]], [[-0.7]]])                  # T=2, B=1
    run = bpttviz.unroll(model, x)
    J = model.cell.jacobians(run.params, run.cache)[1, 0]
    a = model.params["W_xh"][:, 0] * -0.7 + model.params["b_h"]
    f, o = sigmoid(a[2:4]), sigmoid(a[6:8])
    c = run.states[1, 0, 2:]
    expected = np.zeros((4, 4))
    expected[2:, 2:] = np.diag(f)
    expected[:2, 2:] = np.diag(o * (1 - np.tanh(c) ** 2) * f)
    np.testing.assert_allclose(J, expected, rtol=0, atol=1e-15)


def test_gru_jacobian_by_hand_without_recurrent_weights():
    """With W_hh = 0 and b_hh = 0, h_t = (1 - z) n + z h_{t-1} with z, n free of
    h_{t-1}: the step Jacobian is diag(z), the update gate."""
    model = bpttviz.GRU(1, 2, 1, seed=5)
    model.params["W_hh"][:] = 0.0
    model.params["b_hh"][:] = 0.0
    x = np.array([[[0.3]], [[-0.7]]])
    run = bpttviz.unroll(model, x)
    J = model.cell.jacobians(run.params, run.cache)[1, 0]
    z = sigmoid(model.params["W_xh"][2:4, 0] * -0.7 + model.params["b_xh"][2:4])
    np.testing.assert_allclose(J, np.diag(z), rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_flow_and_error_norms_are_explicit_jacobian_products(kind, loss):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, loss)
    trace = bpttviz.bptt(model, x, y, h0=s0, loss=loss, mask=m)
    run = bpttviz.unroll(model, x, h0=s0)
    J = model.cell.jacobians(run.params, run.cache)          # (T, B, S, S)
    P, S = model.params, model.state_size
    w = loss_weights(trace.updates[0].plan, m)
    flow = np.zeros((T, T))
    error = np.zeros((T, B, S))                               # dL/ds_s of the mean loss
    for tau in range(T):
        v = np.zeros((B, S))
        v[:, :H] = reference_step_loss(P, run.hidden[tau], y[tau], m[tau], loss)[1] @ P["W_hy"]
        for s in range(tau, -1, -1):
            flow[tau, s] = np.linalg.norm(v)
            error[s] += w[tau] * v
            v = np.einsum("bi,bij->bj", v, J[s])              # through J_s to s-1
    flow[~(m > 0).any(axis=1)] = np.nan                       # step 2 has no loss to differentiate
    np.testing.assert_allclose(trace.flow, flow, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(trace.updates[0].error_norms,
                               np.linalg.norm(error.reshape(T, -1), axis=1), rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_whh_norms_are_norms_of_per_step_recurrent_gradients(kind):
    """Step s's contribution to the W_hh gradient is the derivative with respect
    to the copy of W_hh used at step s alone (weights untied in time)."""
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, "mse")
    trace = bpttviz.bptt(model, x, y, h0=s0, mask=m)
    P = {k: v.copy() for k, v in model.params.items()}
    per_step = {"W": np.repeat(P["W_hh"][None], T, axis=0)}
    num = numerical_grads(
        lambda q: reference_mean_loss(kind, P, x, y, m, s0, "mse", W_hh_per_step=q["W"]), per_step)
    expected = np.linalg.norm(num["W"].reshape(T, -1), axis=1)
    np.testing.assert_allclose(trace.updates[0].whh_norms, expected, rtol=1e-7)
    assert rel_error({"W_hh": num["W"].sum(0)}, {"W_hh": trace.grads["W_hh"]}) < 1e-7


# --- checkpointing --------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", [{}, {"k1": 2, "k2": 5}, {"k1": 3, "k2": 2},
                                 {"schedule": schedules.per_loss(T, 3, k1=4)}],
                         ids=["full", "k1<k2", "k1>k2", "per_loss"])
@pytest.mark.parametrize("every", [1, 2, 3, T])
def test_checkpointing_gives_the_same_gradients_and_norms(kind, how, every):
    model = make_model(kind)
    x, y, m, s0 = make_data(kind, "mse")
    plain = bpttviz.bptt(model, x, y, h0=s0, mask=m, **how)
    ckpt = bpttviz.bptt(model, x, y, h0=s0, mask=m, checkpoint=every, **how)
    assert len(plain.updates) == len(ckpt.updates)
    for a, b in zip(plain.updates, ckpt.updates):
        for k in a.grads:
            np.testing.assert_allclose(b.grads[k], a.grads[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b.error_norms, a.error_norms, rtol=1e-12)
        np.testing.assert_allclose(b.whh_norms, a.whh_norms, rtol=1e-12)
    np.testing.assert_array_equal(ckpt.states, plain.states)


# --- bad arguments ---------------------------------------------------------------

@pytest.mark.parametrize("build, error, message", [
    (lambda: bpttviz.LSTM(2, 0, 1), ValueError, r"'n_hidden' parameter of LSTM must be an int in the range \[1, inf\)\. Got 0"),
    (lambda: bpttviz.GRU(2, 0, 1), ValueError, r"'n_hidden' parameter of GRU must be an int in the range \[1, inf\)\. Got 0"),
    (lambda: bpttviz.LSTM(0, 3, 1), ValueError, r"'n_in' parameter of LSTM"),
    (lambda: bpttviz.GRU(2.0, 3, 1), TypeError, r"'n_in' parameter of GRU must be an int"),
    (lambda: bpttviz.LSTM(2, 3, 0), ValueError, r"'n_out' parameter of LSTM"),
    (lambda: bpttviz.GRU(2, 3, 1, seed=-1), ValueError, r"'seed' parameter of GRU"),
    (lambda: bpttviz.LSTM(2, 3, 1, forget_bias="1"), TypeError,
     r"'forget_bias' parameter of LSTM must be a real number .* Got '1' instead"),
    (lambda: bpttviz.LSTM(2, 3, 1, forget_bias=float("nan")), ValueError, r"'forget_bias' parameter of LSTM"),
    (lambda: bpttviz.LSTM(2, 3, 1, forget_bias=True), TypeError, r"'forget_bias' parameter of LSTM"),
    (lambda: bpttviz.GRU(2, 3, 1, dtype="float16"), ValueError, r"'dtype' parameter of GRU must be one of"),
    (lambda: bpttviz.GRU(2, 3, 1, forget_bias=1.0), TypeError, r"forget_bias"),
])
def test_bad_model_arguments_are_refused(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_lstm_initial_state_must_hold_h_and_c():
    model = bpttviz.LSTM(I, H, O)
    x, y, _, _ = make_data("lstm", "mse")
    with pytest.raises(ValueError, match=r"'h0' parameter of bptt must have shape \(B, S\) = "
                                         r"\(2, 6\) for 2 sequences and a state \[h, c\] of 6"):
        bpttviz.bptt(model, x, y, h0=np.zeros((B, H)))


def test_lstm_params_with_elman_shapes_are_refused():
    model = bpttviz.LSTM(I, H, O)
    model.params["W_hh"] = np.zeros((H, H))
    x, y, _, _ = make_data("lstm", "mse")
    with pytest.raises(ValueError, match=r"'W_hh' must have shape \(12, 3\)"):
        bpttviz.bptt(model, x, y)
