"""The gradient checker itself (it must catch wrong gradients, not only pass right ones), its
reuse for multi-input layers, and a whole model checked end to end."""

from typing import NamedTuple

import numpy as np
import pytest

from rnnlib.gradcheck import (check_gradients, check_layer_gradients, numerical_gradient,
                              relative_error)
from rnnlib.layers import (activation_backward, activation_forward, dense_backward, dense_forward,
                           embedding_backward, embedding_forward,
                           init_dense, init_embedding,
                           mean_pool_backward, mean_pool_forward)
from rnnlib.params import count_params
from rnnlib.losses import binary_cross_entropy_with_logits
from rnnlib.ops import tanh_grad_from_output
from rnnlib.optim import Adam


@pytest.fixture
def rng():
    return np.random.default_rng(99)


# ----------------------------------------------------------------- the primitives
def test_numerical_gradient_of_a_known_function(rng):
    x = rng.normal(size=(3, 4))
    before = x.copy()
    g = numerical_gradient(lambda: np.sum(x ** 3) + np.sin(x[0, 0]), x)
    expected = 3 * before ** 2
    expected[0, 0] += np.cos(before[0, 0])
    np.testing.assert_allclose(g, expected, rtol=1e-8)
    np.testing.assert_array_equal(x, before)                  # restored bit for bit


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])

    def f():
        if x[0] != 1.0:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_errors():
    with pytest.raises(TypeError, match="x must be float64 for a gradient check .* got float32"):
        numerical_gradient(lambda: 0.0, np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="x must be a float64 ndarray .* got list"):
        numerical_gradient(lambda: 0.0, [0.0, 1.0])
    x = np.zeros(2)
    with pytest.raises(TypeError, match=r"f must return a scalar loss, got an array of shape \(2,\)"):
        numerical_gradient(lambda: x * 2, x)


def test_relative_error_definition():
    # max_i |a_i - b_i| / max(1e-12, |a_i| + |b_i|), elementwise, then the max
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 100.0], [1.1, 100.0]) == pytest.approx(0.1 / 2.1)
    assert relative_error([0.0, 1.0], [0.0, 1.0]) == 0.0          # exact zeros agree
    assert relative_error([1e-13], [0.0]) == pytest.approx(0.1)   # the floor: 1e-13 / 1e-12
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match=r"a and b must have the same shape, got \(2,\) and \(2, 1\)"):
        relative_error(np.zeros(2), np.zeros((2, 1)))


# ----------------------------------------------------------------- it catches bugs
def test_checker_catches_a_wrong_backward(rng):
    def wrong_tanh_backward(dy, cache):
        return dy * (1 - cache.y)              # forgot the square: 1 - y instead of 1 - y^2

    x = rng.normal(size=(4, 5))
    errors = check_layer_gradients(lambda x: activation_forward(x, "tanh"), wrong_tanh_backward,
                                   {"x": x}, None, rng)
    assert errors["x"] > 1e-2


def test_checker_catches_a_bias_gradient_that_forgets_the_time_axis(rng):
    def backward_summing_batch_only(dy, cache):
        dx, grads = dense_backward(dy, cache)
        grads["b"] = dy[:, 0].sum(axis=0)       # only the first time step
        return dx, grads

    errors = check_layer_gradients(dense_forward, backward_summing_batch_only,
                                   {"x": rng.normal(size=(2, 3, 4))}, init_dense(4, 3, rng), rng)
    assert errors["W"] < 1e-7 and errors["x"] < 1e-7
    assert errors["b"] > 1e-2


def test_check_layer_gradients_api_errors(rng):
    params = init_dense(3, 2, rng)
    with pytest.raises(TypeError, match=r"inputs\['x'\] must be float64 for a gradient check .* got float32"):
        check_layer_gradients(dense_forward, dense_backward, {"x": np.zeros((2, 3), np.float32)},
                              init_dense(3, 2, rng, dtype=np.float32), rng)
    with pytest.raises(ValueError, match=r"backward returned 0 input gradient\(s\) but the inputs to "
                                         r"check are \['x'\]"):
        check_layer_gradients(dense_forward, lambda dy, c: dense_backward(dy, c)[1],
                              {"x": rng.normal(size=(2, 3))}, params, rng)
    with pytest.raises(ValueError, match=r"missing from grads: \['b'\]"):
        check_layer_gradients(dense_forward,
                              lambda dy, c: (dense_backward(dy, c)[0], {"W": dense_backward(dy, c)[1]["W"]}),
                              {"x": rng.normal(size=(2, 3))}, params, rng)
    with pytest.raises(ValueError, match=r"wrt names \['h'\] that are not in inputs \['x'\]"):
        check_layer_gradients(dense_forward, dense_backward, {"x": rng.normal(size=(2, 3))},
                              params, rng, wrt=["h"])


# ----------------------------------------------------------------- reuse: several inputs, wrt
class StepCache(NamedTuple):
    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    params: dict


def test_a_layer_with_two_differentiable_inputs(rng):
    """The shape every recurrent step will have: (x, h_prev, params) -> h."""
    def step_forward(x, h_prev, params):
        pre = x @ params["W_hx"].T + h_prev @ params["W_hh"].T + params["b_h"]
        h = np.tanh(pre)
        return h, StepCache(x, h_prev, h, params)

    def step_backward(dh, cache):
        x, h_prev, h, params = cache
        dpre = dh * tanh_grad_from_output(h)
        grads = {"W_hx": dpre.T @ x, "W_hh": dpre.T @ h_prev, "b_h": dpre.sum(axis=0)}
        return dpre @ params["W_hx"], dpre @ params["W_hh"], grads

    params = {"W_hx": rng.normal(size=(5, 3)), "W_hh": rng.normal(size=(5, 5)) * 0.5,
              "b_h": rng.normal(size=5)}
    inputs = {"x": rng.normal(size=(4, 3)), "h_prev": rng.normal(size=(4, 5))}
    errors = check_layer_gradients(step_forward, step_backward, inputs, params, rng)
    assert set(errors) == {"x", "h_prev", "W_hx", "W_hh", "b_h"}
    assert max(errors.values()) <= 1e-7, errors


def test_wrt_skips_float_inputs_that_are_not_differentiated(rng):
    mask = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])          # a float 0/1 mask
    errors = check_layer_gradients(mean_pool_forward, mean_pool_backward,
                                   {"x": rng.normal(size=(2, 3, 4)), "mask": mask}, None, rng,
                                   wrt=["x"])
    assert list(errors) == ["x"] and errors["x"] <= 1e-7


# ----------------------------------------------------------------- a whole model
def init_classifier(rng, vocab=12, dim=6, hidden=5):
    return {"embed": init_embedding(vocab, dim, rng, std=1.0),
            "hidden": init_dense(dim, hidden, rng),
            "out": init_dense(hidden, 1, rng)}


def classifier_loss_and_grads(params, ids, mask, y):
    """embedding -> mean pool -> dense -> relu -> dense -> BCE, forward then backward."""
    x, c_embed = embedding_forward(ids, params["embed"])           # (B, T, dim)
    pooled, c_pool = mean_pool_forward(x, mask)                    # (B, dim)
    pre, c_hidden = dense_forward(pooled, params["hidden"])        # (B, hidden)
    h, c_relu = activation_forward(pre, "relu")
    logits, c_out = dense_forward(h, params["out"])                # (B, 1)
    loss, dlogits = binary_cross_entropy_with_logits(logits[:, 0], y)

    dh, g_out = dense_backward(dlogits[:, None], c_out)
    dpre = activation_backward(dh, c_relu)
    dpooled, g_hidden = dense_backward(dpre, c_hidden)
    dx = mean_pool_backward(dpooled, c_pool)
    g_embed = embedding_backward(dx, c_embed)
    return loss, {"embed": g_embed, "hidden": g_hidden, "out": g_out}


# Four padded sentences (0 = <pad>, never a real token); label 1 iff token 3 occurs.
IDS = np.array([[3, 5, 7, 0], [4, 4, 0, 0], [9, 3, 3, 11], [6, 0, 0, 0]])
MASK = IDS != 0
Y = np.array([1, 0, 1, 0])


def test_whole_classifier_gradients_end_to_end(rng):
    params = init_classifier(rng)
    loss, grads = classifier_loss_and_grads(params, IDS, MASK, Y)
    errors = check_gradients(lambda: classifier_loss_and_grads(params, IDS, MASK, Y)[0],
                             params, grads)
    assert len(errors) == 5 and max(errors.values()) <= 1e-6, errors
    np.testing.assert_array_equal(grads["embed"]["E"][0], 0)      # <pad> only in padding
    np.testing.assert_array_equal(grads["embed"]["E"][[1, 2, 8, 10]], 0)   # never used


def test_adam_trains_the_classifier(rng):
    params = init_classifier(rng)
    opt = Adam(lr=0.05)
    first = classifier_loss_and_grads(params, IDS, MASK, Y)[0]
    for _ in range(60):
        loss, grads = classifier_loss_and_grads(params, IDS, MASK, Y)
        opt.step(params, grads)
    assert loss < 0.1 * first
    assert count_params(params) == 12 * 6 + (6 * 5 + 5) + (5 + 1)
