"""Layers: every backward gradient-checked (float64, centred differences, rel. error <= 1e-7),
values against direct computations, dtype preservation, and the errors for bad input."""

import functools

import numpy as np
import pytest

from rnnlib.gradcheck import check_layer_gradients
from rnnlib.ops import ACTIVATIONS
from rnnlib.layers import (ActivationCache, DenseCache, activation_backward,
                           activation_forward, dense_backward,
                           dense_forward, dropout_backward,
                           dropout_forward, embedding_backward,
                           embedding_forward, init_dense, init_embedding,
                           mean_pool_backward, mean_pool_forward)
from rnnlib.params import count_params, flatten_params

TOL = 1e-7


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def away_from_zero(rng, shape, margin=0.1):
    """Normal values with |x| >= margin: finite differences never cross ReLU's kink."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin, x) + 0.0


# ----------------------------------------------------------------- dense
@pytest.mark.parametrize("shape", [(5, 4), (3, 6, 4), (4,)], ids=["2d", "3d-time", "1d"])
def test_dense_gradients(rng, shape):
    params = init_dense(4, 3, rng)
    params["b"] = rng.normal(size=3)
    errors = check_layer_gradients(dense_forward, dense_backward, {"x": rng.normal(size=shape)},
                                   params, rng)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) <= TOL, errors


def test_dense_values_and_time_distribution(rng):
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    x = rng.normal(size=(2, 5, 4))
    y, cache = dense_forward(x, params)
    assert y.shape == (2, 5, 3) and isinstance(cache, DenseCache)
    # Same weights at every time step: equal to the 2-D layer applied step by step.
    for t in range(5):
        np.testing.assert_allclose(y[:, t], dense_forward(x[:, t], params)[0])
    np.testing.assert_allclose(y[1, 2], params["W"] @ x[1, 2] + params["b"])
    # The weight gradient sums the contributions of every (batch, time) position.
    dy = rng.normal(size=y.shape)
    _, grads = dense_backward(dy, cache)
    np.testing.assert_allclose(grads["W"], np.einsum("bto,bti->oi", dy, x))
    np.testing.assert_allclose(grads["b"], dy.sum(axis=(0, 1)))


def test_dense_preserves_float32(rng):
    params = init_dense(4, 3, rng, dtype=np.float32)
    y, cache = dense_forward(rng.normal(size=(2, 4)).astype(np.float32), params)
    assert y.dtype == np.float32
    dx, grads = dense_backward(np.ones_like(y), cache)
    assert dx.dtype == grads["W"].dtype == grads["b"].dtype == np.float32


def test_dense_errors(rng):
    params = init_dense(4, 3, rng)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., in\) with in = 4 \(params\['W'\] "
                                         r"has shape \(3, 4\)\), got \(2, 5\)"):
        dense_forward(np.zeros((2, 5)), params)
    with pytest.raises(ValueError, match=r"must have keys \['W', 'b'\]; missing \['b'\], unexpected \['bias'\]"):
        dense_forward(np.zeros((2, 4)), {"W": params["W"], "bias": params["b"]})
    with pytest.raises(TypeError, match="params of a dense layer must be a dict"):
        dense_forward(np.zeros((2, 4)), [params["W"], params["b"]])
    with pytest.raises(ValueError, match=r"params\['b'\] must have shape \(out,\) = \(3,\) to match "
                                         r"params\['W'\] of shape \(3, 4\), got \(4,\)"):
        dense_forward(np.zeros((2, 4)), {"W": params["W"], "b": np.zeros(4)})
    with pytest.raises(ValueError, match=r"params\['W'\] must have shape \(out, in\), got shape \(12,\)"):
        dense_forward(np.zeros((2, 4)), {"W": np.zeros(12), "b": params["b"]})
    with pytest.raises(TypeError, match=r"x has dtype float32 but params\['W'\] has dtype float64"):
        dense_forward(np.zeros((2, 4), np.float32), params)
    with pytest.raises(ValueError, match=r"x must be finite, got 1 NaN and 0 inf value\(s\) \(first at index \(1, 2\)"):
        dense_forward(np.where(np.arange(8).reshape(2, 4) == 6, np.nan, 0.0), params)
    bad = {"W": params["W"].copy(), "b": params["b"]}
    bad["W"][0, 0] = np.inf
    with pytest.raises(ValueError, match=r"params\['W'\] must be finite.*diverged"):
        dense_forward(np.zeros((2, 4)), bad)
    y, cache = dense_forward(np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match=r"dy must have the shape of the dense output \(2, 3\), got \(3, 2\)"):
        dense_backward(np.zeros((3, 2)), cache)
    with pytest.raises(TypeError, match="cache must be the DenseCache returned by dense_forward, got tuple"):
        dense_backward(np.zeros((2, 3)), (cache.x, cache.W))


# ----------------------------------------------------------------- activations
@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_gradients(rng, kind):
    x = away_from_zero(rng, (4, 3, 5))
    errors = check_layer_gradients(functools.partial(activation_forward, kind=kind),
                                   activation_backward, {"x": x}, None, rng)
    assert errors["x"] <= TOL, errors


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_dtype_and_values(kind):
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    y, cache = activation_forward(x, kind)
    expected = {"sigmoid": 1 / (1 + np.exp(-x)), "tanh": np.tanh(x), "relu": np.maximum(x, 0)}[kind]
    np.testing.assert_allclose(y, expected, rtol=1e-15)
    assert isinstance(cache, ActivationCache) and cache.kind == kind
    y32, cache32 = activation_forward(x.astype(np.float32), kind)
    assert y32.dtype == np.float32
    assert activation_backward(np.ones(4, np.float32), cache32).dtype == np.float32


def test_relu_gradient_is_zero_where_input_negative():
    _, cache = activation_forward(np.array([-1.0, 0.0, 2.0]), "relu")
    np.testing.assert_array_equal(activation_backward(np.array([5.0, 5.0, 5.0]), cache), [0, 0, 5])


def test_activation_errors():
    with pytest.raises(ValueError, match=r"unknown activation kind 'softmax'; choose one of "
                                         r"\('sigmoid', 'tanh', 'relu'\)"):
        activation_forward(np.zeros(3), "softmax")
    with pytest.raises(ValueError, match="x must be finite"):
        activation_forward(np.array([np.nan]), "tanh")
    _, cache = activation_forward(np.zeros((2, 3)), "tanh")
    with pytest.raises(ValueError, match=r"dy must have the shape of the tanh activation output \(2, 3\), got \(3,\)"):
        activation_backward(np.zeros(3), cache)


# ----------------------------------------------------------------- embedding
def test_embedding_gradients_with_repeated_ids(rng):
    params = init_embedding(6, 4, rng, std=1.0)
    ids = np.array([[1, 3, 1, 1], [5, 3, 0, 1]])            # 1 four times, 3 twice; 2 and 4 unused
    errors = check_layer_gradients(embedding_forward, embedding_backward, {"ids": ids}, params, rng)
    assert set(errors) == {"E"} and errors["E"] <= TOL, errors


def test_embedding_lookup_and_accumulation(rng):
    E = rng.normal(size=(5, 3))
    ids = np.array([[2, 2, 4]])
    x, cache = embedding_forward(ids, {"E": E})
    assert x.shape == (1, 3, 3)
    np.testing.assert_array_equal(x[0, 1], E[2])
    grads = embedding_backward(np.ones((1, 3, 3)), cache)
    np.testing.assert_array_equal(grads["E"][2], [2, 2, 2])   # both uses of id 2 count
    np.testing.assert_array_equal(grads["E"][[0, 1, 3]], 0)
    # any shape of ids works, even a single id
    assert embedding_forward(np.int64(4), {"E": E})[0].shape == (3,)


def test_embedding_errors(rng):
    params = init_embedding(5, 3, rng)
    with pytest.raises(ValueError, match=r"ids must be in \[0, vocab_size\) = \[0, 5\), got id 7 at index \(1, 0\)"):
        embedding_forward(np.array([[0, 1], [7, 2]]), params)
    with pytest.raises(ValueError, match=r"got id -1 at index \(2,\)"):
        embedding_forward(np.array([0, 1, -1]), params)
    with pytest.raises(TypeError, match="ids must be an array of integer ids, got dtype float64"):
        embedding_forward(np.array([0.0, 1.0]), params)
    with pytest.raises(ValueError, match=r"missing \['E'\], unexpected \['W'\]"):
        embedding_forward(np.array([0]), {"W": params["E"]})
    with pytest.raises(TypeError, match=r"params\['E'\] must be a floating-point ndarray of shape \(vocab, dim\)"):
        embedding_forward(np.array([0]), {"E": np.zeros(5)})
    bad = {"E": params["E"].copy()}
    bad["E"][3, 1] = np.nan
    embedding_forward(np.array([0, 1]), bad)                  # row 3 not read: fine
    with pytest.raises(ValueError, match=r"params\['E'\] \(rows selected by ids\) must be finite"):
        embedding_forward(np.array([0, 3]), bad)
    _, cache = embedding_forward(np.array([[0, 1]]), params)
    with pytest.raises(ValueError, match=r"dx must have the shape of the embedding output \(1, 2, 3\), got \(2, 3\)"):
        embedding_backward(np.zeros((2, 3)), cache)


# ----------------------------------------------------------------- mean pooling
MASK = np.array([[True, True, True, False, False],
                 [True, False, False, False, False],
                 [True, True, True, True, True]])


def test_mean_pool_gradients_with_padding(rng):
    x = rng.normal(size=(3, 5, 4))
    errors = check_layer_gradients(mean_pool_forward, mean_pool_backward,
                                   {"x": x, "mask": MASK}, None, rng)
    assert errors["x"] <= TOL, errors
    _, cache = mean_pool_forward(x, MASK)
    dx = mean_pool_backward(rng.normal(size=(3, 4)), cache)
    assert (dx[~MASK] == 0).all() and (dx[MASK] != 0).all()


def test_mean_pool_averages_real_tokens_only(rng):
    x = rng.normal(size=(3, 5, 4))
    y, _ = mean_pool_forward(x, MASK)
    np.testing.assert_allclose(y[0], x[0, :3].mean(axis=0))
    np.testing.assert_allclose(y[1], x[1, 0])
    np.testing.assert_allclose(y[2], x[2].mean(axis=0))
    # Whatever the padding holds (huge values, NaN, inf), the output does not change.
    garbage = x.copy()
    garbage[~MASK] = rng.normal(size=(int((~MASK).sum()), 4)) * 1e6
    garbage[1, 3, 2], garbage[0, 4, 0] = np.nan, np.inf
    np.testing.assert_array_equal(mean_pool_forward(garbage, MASK)[0], y)
    # 0/1 masks work like booleans; float32 is preserved
    np.testing.assert_array_equal(mean_pool_forward(x, MASK.astype(int))[0], y)
    assert mean_pool_forward(x.astype(np.float32), MASK)[0].dtype == np.float32


def test_mean_pool_errors(rng):
    x = rng.normal(size=(3, 5, 4))
    empty = MASK.copy()
    empty[1] = False
    with pytest.raises(ValueError, match=r"mask has no real \(True\) position in row\(s\) \[1\]"):
        mean_pool_forward(x, empty)
    with pytest.raises(ValueError, match=r"mask must have shape \(3, 5\), got \(5, 3\)"):
        mean_pool_forward(x, MASK.T)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, dim\), got \(3, 5\)"):
        mean_pool_forward(x[..., 0], MASK)
    with pytest.raises(ValueError, match=r"mask must hold only 0/1 or True/False, got values \[2\]"):
        mean_pool_forward(x, MASK * 2)
    bad = x.copy()
    bad[0, 1, 0] = np.nan                                     # a real position
    with pytest.raises(ValueError, match=r"x \(at real positions\) must be finite"):
        mean_pool_forward(bad, MASK)


# ----------------------------------------------------------------- dropout
def test_dropout_gradients_with_a_fixed_mask(rng):
    x = rng.normal(size=(4, 6))
    # A fresh generator with the same seed at every call: the same mask each time.
    forward = lambda x: dropout_forward(x, 0.4, np.random.default_rng(7))   # noqa: E731
    errors = check_layer_gradients(forward, dropout_backward, {"x": x}, None, rng)
    assert errors["x"] <= TOL, errors


def test_dropout_train_and_eval(rng):
    x = np.ones((200, 100))
    y, cache = dropout_forward(x, 0.25, np.random.default_rng(0))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)               # inverted dropout: scaled up
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(y.mean() - 1.0) < 0.02                           # expectation preserved
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), cache), y)
    # evaluation, and p = 0: identity, no rng needed, a copy not a view
    for train, p in [(False, 0.25), (True, 0.0)]:
        y_eval, cache_eval = dropout_forward(x, p, None, train=train)
        np.testing.assert_array_equal(y_eval, x)
        assert y_eval is not x
        np.testing.assert_array_equal(dropout_backward(2 * x, cache_eval), 2 * x)
    # the same seed gives the same mask; float32 is preserved
    np.testing.assert_array_equal(dropout_forward(x, 0.5, np.random.default_rng(3))[0],
                                  dropout_forward(x, 0.5, np.random.default_rng(3))[0])
    assert dropout_forward(x.astype(np.float32), 0.5, rng)[0].dtype == np.float32


def test_dropout_errors(rng):
    with pytest.raises(ValueError, match=r"p \(the drop probability\) must be a number in \[0, 1\), got 1"):
        dropout_forward(np.ones(3), 1, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator .* at training time, got int"):
        dropout_forward(np.ones(3), 0.5, 0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or None, got RandomState"):
        dropout_forward(np.ones(3), 0.5, np.random.RandomState(0), train=False)


# ----------------------------------------------------------------- init and parameter trees
def test_init_dense_is_glorot_uniform():
    rng = np.random.default_rng(0)
    params = init_dense(300, 200, rng)
    limit = np.sqrt(6 / 500)
    W = params["W"]
    assert W.shape == (200, 300) and params["b"].shape == (200,)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.99 * limit
    assert W.var() == pytest.approx(2 / 500, rel=0.02)
    np.testing.assert_array_equal(params["b"], 0)
    assert init_dense(3, 2, rng, dtype=np.float32)["W"].dtype == np.float32
    assert np.abs(init_dense(3, 2, rng, scale=0.01)["W"]).max() <= 0.01
    # reproducible from the seed
    np.testing.assert_array_equal(init_dense(4, 3, np.random.default_rng(5))["W"],
                                  init_dense(4, 3, np.random.default_rng(5))["W"])


def test_init_embedding():
    E = init_embedding(1000, 50, np.random.default_rng(0), std=0.5)["E"]
    assert E.shape == (1000, 50) and E.dtype == np.float64
    assert E.std() == pytest.approx(0.5, rel=0.02)


def test_init_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_in must be an int >= 1, got 0"):
        init_dense(0, 3, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator .* got int"):
        init_dense(3, 3, 42)
    with pytest.raises(ValueError, match="scale must be 'glorot' or a number > 0, got 'he'"):
        init_dense(3, 3, rng, scale="he")
    with pytest.raises(TypeError, match="dtype must be a floating-point dtype"):
        init_embedding(3, 3, rng, dtype=np.int32)
    with pytest.raises(ValueError, match="std must be a number > 0"):
        init_embedding(3, 3, rng, std=-1.0)


def test_count_and_flatten_nested_params():
    rng = np.random.default_rng(0)
    params = {"embed": init_embedding(10, 4, rng), "dense1": init_dense(4, 3, rng),
              "out": init_dense(3, 1, rng)}
    assert count_params(params) == 10 * 4 + (4 * 3 + 3) + (3 * 1 + 1)
    flat = flatten_params(params)
    assert list(flat) == ["embed/E", "dense1/W", "dense1/b", "out/W", "out/b"]
    assert flat["dense1/W"] is params["dense1"]["W"]        # views, not copies
    with pytest.raises(TypeError, match=r"params\['dense1/W'\] must be an ndarray or a dict, got list"):
        count_params({"dense1": {"W": [[1.0]]}})
    with pytest.raises(ValueError, match="keys of params must be str without '/', got 'a/b'"):
        flatten_params({"a/b": np.zeros(1)})


def test_cast_params_copies_every_array_of_a_nested_tree():
    from rnnlib.params import cast_params
    params = {"embed": {"E": np.ones((2, 3))}, "layers": {"0": {"W": np.zeros(4)}}}
    half = cast_params(params, np.float16)
    assert half["embed"]["E"].dtype == half["layers"]["0"]["W"].dtype == np.float16
    assert params["embed"]["E"].dtype == np.float64          # the original is untouched
    with pytest.raises(TypeError, match="must be an ndarray or a dict"):
        cast_params({"W": [1.0, 2.0]}, np.float32)
