"""The sequence kernels' fast paths: time-major caches, in-place steps, any cache layout.

The kernels are tested equal to the readable steps in tests/test_gru.py and tests/test_rnn.py;
these tests cover what the speed work added: caches that are views of time-major arrays, a
backward pass that accepts a cache built by hand, extreme pre-activations, float32 kept.
"""

import numpy as np
import pytest

from rnnlib.gru import GRUCache, gru_backward, gru_forward, gru_step_forward, init_gru
from rnnlib.rnn import init_rnn, rnn_backward, rnn_forward, rnn_step_forward


def gru_setup(reset_after, dtype=np.float64, batch=4, T=6, n_x=3, n_h=5, seed=0):
    rng = np.random.default_rng(seed)
    params = {k: v.astype(dtype) for k, v in init_gru(n_x, n_h, rng, reset_after=reset_after).items()}
    for key in params:
        if key.startswith("b"):
            params[key] = rng.normal(scale=0.5, size=n_h).astype(dtype)
    x = rng.normal(size=(batch, T, n_x)).astype(dtype)
    h0 = rng.normal(scale=0.5, size=(batch, n_h)).astype(dtype)
    dhs = rng.normal(size=(batch, T, n_h)).astype(dtype)
    return params, x, h0, dhs


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_backward_accepts_a_cache_of_contiguous_batch_first_arrays(reset_after):
    params, x, h0, dhs = gru_setup(reset_after)
    hs, cache = gru_forward(x, h0, params, reset_after)
    copied = GRUCache(*(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a for a in cache))
    a, b = gru_backward(dhs, cache), gru_backward(dhs, copied)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-13, atol=1e-15)
    for key in a[2]:
        np.testing.assert_allclose(a[2][key], b[2][key], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_cache_arrays_are_shaped_like_the_states_and_hold_the_steps(reset_after):
    params, x, h0, _ = gru_setup(reset_after)
    hs, cache = gru_forward(x, h0, params, reset_after)
    h = h0
    for t in range(x.shape[1]):
        h, step = gru_step_forward(x[:, t], h, params, reset_after)
        for name in ("u", "r", "c", "rec"):
            np.testing.assert_allclose(getattr(cache, name)[:, t], getattr(step, name), rtol=1e-12,
                                       atol=1e-14)
    assert all(getattr(cache, n).shape == hs.shape for n in ("hs", "u", "r", "c", "rec"))


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_saturated_gates_stay_finite_and_exact(reset_after):
    params, x, h0, dhs = gru_setup(reset_after)
    params["b_u"] = np.full_like(params["b_u"], -800.0)     # e^{800} overflows: Γ_u must be 0
    params["b_r"] = np.full_like(params["b_r"], 800.0)      # Γ_r must be 1
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        hs, cache = gru_forward(x, h0, params, reset_after)
    assert np.all(cache.u == 0) and np.all(cache.r == 1)
    np.testing.assert_array_equal(hs, np.repeat(h0[:, None], x.shape[1], axis=1))   # state kept
    assert all(np.isfinite(g).all() for g in gru_backward(dhs, cache)[2].values())


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_float32_stays_float32_through_backward(reset_after):
    params, x, h0, dhs = gru_setup(reset_after, np.float32)
    hs, cache = gru_forward(x, h0, params, reset_after)
    dx, dh0, grads = gru_backward(dhs, cache)
    assert hs.dtype == dx.dtype == dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_rnn_forward_in_place_step_equals_the_step_function(activation):
    rng = np.random.default_rng(1)
    params = init_rnn(3, 5, rng)
    params["b_h"] = rng.normal(size=5)
    x, h0 = rng.normal(size=(4, 7, 3)), rng.normal(size=(4, 5))
    hs, _ = rnn_forward(x, h0, params, activation)
    h = h0
    for t in range(7):
        h, _ = rnn_step_forward(x[:, t], h, params, activation)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)


def test_rnn_backward_checks_its_arguments_in_one_call():
    rng = np.random.default_rng(2)
    params = init_rnn(3, 5, rng)
    hs, cache = rnn_forward(rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5)), params)
    with pytest.raises(TypeError, match="RNNCache"):
        rnn_backward(np.zeros(hs.shape), tuple(cache))
    with pytest.raises(ValueError):
        rnn_backward(np.zeros((2, 3, 5)), cache)
