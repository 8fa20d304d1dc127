"""The GRU: gradient checks (both reset conventions, nonzero h0), conversions, counts, errors."""

import functools

import numpy as np
import pytest

from rnnlib.gradcheck import check_layer_gradients
from rnnlib.gru import (from_keras, from_pytorch, gru_backward, gru_forward, gru_param_count,
                        gru_step_backward, gru_step_forward, init_gru, to_keras, to_pytorch)
from rnnlib.ops import sigmoid


def setup(reset_after=False, batch=3, T=5, n_x=4, n_h=6, seed=0):
    rng = np.random.default_rng(seed)
    params = init_gru(n_x, n_h, rng, reset_after=reset_after)
    for key in params:
        if key.startswith("b"):
            params[key] = rng.normal(scale=0.3, size=n_h)     # nonzero biases are checked too
    x = rng.normal(size=(batch, T, n_x))
    h0 = rng.normal(scale=0.5, size=(batch, n_h))
    return rng, params, x, h0


@pytest.mark.parametrize("reset_after", [False, True])
def test_sequence_gradients(reset_after):
    rng, params, x, h0 = setup(reset_after)
    forward = functools.partial(gru_forward, reset_after=reset_after)
    errors = check_layer_gradients(forward, gru_backward, {"x": x, "h0": h0}, params, rng)
    assert set(errors) == {"x", "h0"} | set(params)
    assert max(errors.values()) <= 1e-6, errors


@pytest.mark.parametrize("reset_after", [False, True])
def test_step_gradients(reset_after):
    rng, params, x, h0 = setup(reset_after)
    forward = functools.partial(gru_step_forward, reset_after=reset_after)
    errors = check_layer_gradients(forward, gru_step_backward, {"x": x[:, 0], "h_prev": h0},
                                   params, rng)
    assert max(errors.values()) <= 1e-7, errors


def reference_step(x, h, p, reset_after):
    """The book's equations, column by column, written independently of gru.py."""
    n_h = h.shape[1]
    hx = np.concatenate([h, x], axis=1)
    u = sigmoid(hx @ p["W_u"].T + p["b_u"])
    r = sigmoid(hx @ p["W_r"].T + p["b_r"])
    if reset_after:
        c = np.tanh(x @ p["W_c"][:, n_h:].T + p["b_c"] + r * (h @ p["W_c"][:, :n_h].T + p["b_ch"]))
    else:
        c = np.tanh(np.concatenate([r * h, x], axis=1) @ p["W_c"].T + p["b_c"])
    return u * c + (1 - u) * h


@pytest.mark.parametrize("reset_after", [False, True])
def test_forward_matches_the_equations(reset_after):
    _, params, x, h0 = setup(reset_after)
    hs, _ = gru_forward(x, h0, params, reset_after)
    h = h0
    for t in range(x.shape[1]):
        h = reference_step(x[:, t], h, params, reset_after)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12)


def test_reset_after_is_a_different_model_unless_the_reset_gate_is_open():
    _, params, x, h0 = setup(True)
    before = {k: v for k, v in params.items() if k != "b_ch"}
    before_hs, _ = gru_forward(x, h0, before)
    after_hs, _ = gru_forward(x, h0, dict(params, b_ch=np.zeros(6)), reset_after=True)
    assert np.abs(before_hs - after_hs).max() > 1e-3
    open_gate = dict(params, b_r=np.full(6, 50.0), b_ch=np.zeros(6))      # Γ_r = 1
    b1, _ = gru_forward(x, h0, {k: v for k, v in open_gate.items() if k != "b_ch"})
    b2, _ = gru_forward(x, h0, open_gate, reset_after=True)
    np.testing.assert_allclose(b1, b2, rtol=1e-9)


def pytorch_gru(x, h0, w_ih, w_hh, b_ih, b_hh):
    """PyTorch's documented nn.GRU equations (gates r, z, n; h' = (1 - z) n + z h)."""
    n_h = w_hh.shape[1]
    h, out = h0, []
    for t in range(x.shape[1]):
        gi, gh = x[:, t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :n_h] + gh[:, :n_h])
        z = sigmoid(gi[:, n_h:2 * n_h] + gh[:, n_h:2 * n_h])
        n = np.tanh(gi[:, 2 * n_h:] + r * gh[:, 2 * n_h:])
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out, axis=1)


def test_pytorch_layout_gives_identical_states_and_round_trips():
    rng = np.random.default_rng(5)
    n_x, n_h = 4, 6
    w_ih, w_hh = rng.normal(size=(3 * n_h, n_x)), rng.normal(size=(3 * n_h, n_h))
    b_ih, b_hh = rng.normal(size=3 * n_h), rng.normal(size=3 * n_h)
    x, h0 = rng.normal(size=(2, 7, n_x)), rng.normal(size=(2, n_h))
    params = from_pytorch(w_ih, w_hh, b_ih, b_hh)
    ours, _ = gru_forward(x, h0, params, reset_after=True)
    np.testing.assert_allclose(ours, pytorch_gru(x, h0, w_ih, w_hh, b_ih, b_hh), rtol=1e-10)
    back = to_pytorch(params)
    np.testing.assert_allclose(pytorch_gru(x, h0, back["weight_ih"], back["weight_hh"], back["bias_ih"], back["bias_hh"]), ours, rtol=1e-10)
    for key, value in from_pytorch(**back).items():
        np.testing.assert_allclose(value, params[key], rtol=1e-12)


def test_keras_layout_round_trips_and_matches_pytorch():
    _, params, x, h0 = setup(True)
    keras = to_keras(params)
    assert keras["kernel"].shape == (4, 18) and keras["recurrent_kernel"].shape == (6, 18)
    assert keras["bias"].shape == (2, 18)
    again = from_keras(**keras)
    for key in params:
        np.testing.assert_allclose(again[key], params[key], rtol=1e-12)
    # Keras's update gate z is the first block: z = 1 - Γ_u.
    hx = np.concatenate([h0, x[:, 0]], axis=1)
    z = sigmoid(x[:, 0] @ keras["kernel"][:, :6] + keras["bias"][0, :6]
                + h0 @ keras["recurrent_kernel"][:, :6] + keras["bias"][1, :6])
    np.testing.assert_allclose(z, 1 - sigmoid(hx @ params["W_u"].T + params["b_u"]), rtol=1e-12)


def test_parameter_counts_of_a_keras_stack():
    # GRU(256) -> GRU(128) -> GRU(64) -> Dense(10) on 40 inputs, reset_after=True (Keras).
    counts = [gru_param_count(40, 256, True, "keras"), gru_param_count(256, 128, True, "keras"),
              gru_param_count(128, 64, True, "keras"), 64 * 10 + 10]
    assert counts == [228_864, 148_224, 37_248, 650]
    params = init_gru(40, 256, np.random.default_rng(0), reset_after=True)
    assert sum(p.size for p in params.values()) == gru_param_count(40, 256, True) == 228_864 - 2 * 256
    assert sum(p.size for p in init_gru(3, 5, np.random.default_rng(0)).values()) == gru_param_count(3, 5)


def test_float32_stays_float32():
    _, params, x, h0 = setup()
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    hs, cache = gru_forward(x.astype(np.float32), h0.astype(np.float32), p32)
    dx, dh0, grads = gru_backward(np.ones_like(hs), cache)
    assert hs.dtype == dx.dtype == dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize("mutate, error, match", [
    (lambda p, x, h: ({k: v for k, v in p.items() if k != "b_r"}, x, h), ValueError, r"missing \['b_r'\]"),
    (lambda p, x, h: (dict(p, b_ch=p["b_u"]), x, h), ValueError, r"unexpected \['b_ch'\]"),
    (lambda p, x, h: (dict(p, W_r=p["W_r"][:, :-1]), x, h), ValueError, r"params\['W_r'\] must have shape \(6, 10\)"),
    (lambda p, x, h: (p, x[..., :3], h), ValueError, "n_x = 4"),
    (lambda p, x, h: (p, x, h[:1]), ValueError, r"h0 must have shape \(batch, n_h\) = \(3, 6\)"),
    (lambda p, x, h: (p, np.full_like(x, np.inf), h), ValueError, "x must be finite"),
])
def test_bad_input(mutate, error, match):
    _, params, x, h0 = setup()
    p, xx, hh = mutate(params, x, h0)
    with pytest.raises(error, match=match):
        gru_forward(xx, hh, p)


def test_bad_conversion_and_convention():
    with pytest.raises(ValueError, match="expected weight_ih"):
        from_pytorch(np.zeros((9, 2)), np.zeros((9, 4)), np.zeros(9), np.zeros(9))
    with pytest.raises(ValueError, match="convention must be"):
        gru_param_count(3, 4, convention="tf")
    with pytest.raises(TypeError, match="reset_after must be True or False"):
        gru_forward(np.zeros((1, 2, 4)), np.zeros((1, 6)), setup()[1], reset_after="yes")


@pytest.mark.parametrize("reset_after", [False, True])
def test_the_fast_kernel_equals_the_readable_step_run_in_a_loop(reset_after):
    """gru_forward / gru_backward (the kernel) against gru_step_forward / gru_step_backward
    (the equations the chapters show), forward and backward, float64, to 1e-12."""
    rng, params, x, h0 = setup(reset_after, batch=4, T=7, n_x=3, n_h=5, seed=3)
    hs, cache = gru_forward(x, h0, params, reset_after)
    h, caches = h0, []
    for t in range(x.shape[1]):
        h, step_cache = gru_step_forward(x[:, t], h, params, reset_after)
        caches.append(step_cache)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-12)
    dhs = rng.normal(size=hs.shape)
    dx, dh0, grads = gru_backward(dhs, cache)
    dh_next, total = np.zeros_like(h0), {k: np.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(x.shape[1])):
        dx_t, dh_next, step_grads = gru_step_backward(dhs[:, t] + dh_next, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-12)
        for k in total:
            total[k] += step_grads[k]
    np.testing.assert_allclose(dh0, dh_next, rtol=1e-12, atol=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], total[k], rtol=1e-12, atol=1e-12, err_msg=k)
