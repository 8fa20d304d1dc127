"""The simple RNN: gradient checks of every backward, equivalences, dtype, bad input."""

import functools

import numpy as np
import pytest

from rnnlib import ops
from rnnlib.gradcheck import check_gradients, check_layer_gradients
from rnnlib.layers import (dense_backward, dense_forward, embedding_backward, embedding_forward,
                           init_dense, init_embedding)
from rnnlib.losses import softmax_cross_entropy
from rnnlib.rnn import (init_rnn, rnn_backward, rnn_forward, rnn_step_backward,
                        rnn_step_forward)
from rnnlib.scan import scan

ACTIVATIONS = list(ops.ACTIVATIONS)


def setup(batch=3, T=5, n_x=4, n_h=6, seed=0):
    rng = np.random.default_rng(seed)
    params = init_rnn(n_x, n_h, rng)
    params["b_h"] = rng.normal(scale=0.1, size=n_h)          # nonzero, so it is really checked
    x = rng.normal(size=(batch, T, n_x))
    h0 = rng.normal(scale=0.5, size=(batch, n_h))            # a nonzero initial state
    return rng, params, x, h0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_gradients(activation):
    rng, params, x, h0 = setup()
    forward = functools.partial(rnn_step_forward, activation=activation)
    errors = check_layer_gradients(forward, rnn_step_backward, {"x": x[:, 0], "h_prev": h0},
                                   params, rng)
    assert set(errors) == {"x", "h_prev", "W_hx", "W_hh", "b_h"}
    assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_sequence_gradients_with_nonzero_h0(activation):
    rng, params, x, h0 = setup(T=7)
    forward = functools.partial(rnn_forward, activation=activation)
    errors = check_layer_gradients(forward, rnn_backward, {"x": x, "h0": h0}, params, rng)
    assert set(errors) == {"x", "h0", "W_hx", "W_hh", "b_h"}
    assert max(errors.values()) <= 1e-6, errors


def test_whole_model_with_padding_mask():
    """Embedding -> RNN -> time-distributed dense -> masked cross-entropy, end to end."""
    rng = np.random.default_rng(3)
    vocab, n_x, n_h, batch, T = 11, 5, 7, 4, 6
    params = {"embed": init_embedding(vocab, n_x, rng), "rnn": init_rnn(n_x, n_h, rng),
              "out": init_dense(n_h, vocab, rng)}
    params["rnn"]["b_h"] = rng.normal(scale=0.1, size=n_h)
    ids = rng.integers(0, vocab, size=(batch, T))
    targets = rng.integers(0, vocab, size=(batch, T))
    mask = np.ones((batch, T), bool)
    mask[1, 4:] = mask[3, 2:] = False                        # two padded sequences
    h0 = rng.normal(scale=0.5, size=(batch, n_h))

    def forward():
        x, c_embed = embedding_forward(ids, params["embed"])
        hs, c_rnn = rnn_forward(x, h0, params["rnn"])
        logits, c_out = dense_forward(hs, params["out"])
        loss, dlogits = softmax_cross_entropy(logits, targets, mask)
        return loss, (c_embed, c_rnn, c_out, dlogits)

    loss, (c_embed, c_rnn, c_out, dlogits) = forward()
    dhs, g_out = dense_backward(dlogits, c_out)
    dx, dh0, g_rnn = rnn_backward(dhs, c_rnn)
    grads = {"embed": embedding_backward(dx, c_embed), "rnn": g_rnn, "out": g_out}
    errors = check_gradients(lambda: forward()[0], params, grads)
    assert max(errors.values()) <= 1e-6, errors
    # Padding gets no gradient from the loss:
    assert np.all(dlogits[~mask] == 0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_sequence_equals_a_loop_of_steps_and_backward_agrees(activation):
    """The fast kernels (rnn_forward / rnn_backward) against the readable steps the chapters
    show, run in a loop: float64, forward and backward, to 1e-12."""
    rng, params, x, h0 = setup()
    tol = dict(rtol=1e-12, atol=1e-12)
    hs, cache = rnn_forward(x, h0, params, activation)
    h, caches = h0, []
    for t in range(x.shape[1]):
        h, c = rnn_step_forward(x[:, t], h, params, activation)
        caches.append(c)
        np.testing.assert_allclose(hs[:, t], h, **tol)
    dhs = rng.normal(size=hs.shape)
    dx, dh0, grads = rnn_backward(dhs, cache)
    dh = np.zeros_like(h0)
    total = {k: np.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(x.shape[1])):
        dx_t, dh, g = rnn_step_backward(dhs[:, t] + dh, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, **tol)
        for k in total:
            total[k] += g[k]
    np.testing.assert_allclose(dh0, dh, **tol)
    for k in total:
        np.testing.assert_allclose(grads[k], total[k], **tol, err_msg=k)


@pytest.mark.parametrize("batch", [1, 3])
def test_states_are_a_view_and_backward_accepts_either_layout(batch):
    # rnn_forward returns a batch-first view of its time-major states (no copy); the backward
    # pass gives the same gradients from a cache whose states are a C-contiguous copy.
    rng, params, x, h0 = setup(batch=batch)
    hs, cache = rnn_forward(x, h0, params)
    assert hs.base is not None and hs.swapaxes(0, 1).flags.c_contiguous
    dhs = rng.normal(size=hs.shape)
    dx, dh0, grads = rnn_backward(dhs, cache)
    copied = cache._replace(hs=np.ascontiguousarray(hs))
    dx2, dh02, grads2 = rnn_backward(dhs, copied)
    np.testing.assert_allclose(dx, dx2, rtol=1e-12)
    np.testing.assert_allclose(dh0, dh02, rtol=1e-12)
    for k in grads:
        np.testing.assert_allclose(grads[k], grads2[k], rtol=1e-12)


def test_concatenated_form_adds_the_two_products():
    rng, params, x, h0 = setup()
    W_h = np.concatenate([params["W_hh"], params["W_hx"]], axis=1)      # (n_h, n_h + n_x)
    stacked = np.concatenate([h0, x[:, 0]], axis=1)                     # [h; x]
    h, _ = rnn_step_forward(x[:, 0], h0, params)
    np.testing.assert_allclose(h, np.tanh(stacked @ W_h.T + params["b_h"]), rtol=1e-12)


def test_float32_stays_float32():
    rng, params, x, h0 = setup()
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    hs, cache = rnn_forward(x.astype(np.float32), h0.astype(np.float32), p32)
    assert hs.dtype == np.float32
    dx, dh0, grads = rnn_backward(np.ones_like(hs), cache)
    assert dx.dtype == dh0.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())


def test_scan_runs_a_loop_and_returns_outputs_then_carry():
    ys, carry = scan(lambda c, x: (c * x, c + x), np.array([1.0, 2.0, 3.0]), 1.0)
    np.testing.assert_array_equal(ys, [2.0, 3.0, 5.0])
    assert carry == 6.0
    with pytest.raises(ValueError, match="leading time axis"):
        scan(lambda c, x: (c, x), np.zeros((0, 2)), 0)
    with pytest.raises(TypeError, match="must return a pair"):
        scan(lambda c, x: c, np.zeros(3), 0)
    with pytest.raises(ValueError, match="changed shape at step 1"):
        scan(lambda c, x: (c + 1, np.zeros(c + 1)), np.zeros(3), 0)


@pytest.mark.parametrize("mutate, error, match", [
    (lambda p, x, h: (dict(p, W_hh=p["W_hh"][:, :-1]), x, h), ValueError, "must be square"),
    (lambda p, x, h: ({k: v for k, v in p.items() if k != "b_h"}, x, h), ValueError, r"missing \['b_h'\]"),
    (lambda p, x, h: (dict(p, W_xh=p["W_hx"]), x, h), ValueError, r"unexpected \['W_xh'\]"),
    (lambda p, x, h: (p, x[..., :-1], h), ValueError, r"x must have shape \(batch, T, n_x\) with T >= 1 and n_x = 4"),
    (lambda p, x, h: (p, x[:, 0], h), ValueError, "got \\(3, 4\\)"),
    (lambda p, x, h: (p, x, h[:, :-1]), ValueError, r"h0 must have shape \(batch, n_h\) = \(3, 6\), got \(3, 5\)"),
    (lambda p, x, h: (p, np.where(x > 1, np.nan, x), h), ValueError, "x must be finite"),
    (lambda p, x, h: (p, x.astype(np.float32), h), TypeError, "dtype float32"),
])
def test_bad_input_gets_a_clear_error(mutate, error, match):
    _, params, x, h0 = setup()
    p, xx, hh = mutate(params, x, h0)
    with pytest.raises(error, match=match):
        rnn_forward(xx, hh, p)


def test_bad_activation_and_cache():
    _, params, x, h0 = setup()
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn_forward(x, h0, params, activation="softsign")
    hs, cache = rnn_forward(x, h0, params)
    with pytest.raises(TypeError, match="cache must be the RNNCache"):
        rnn_backward(hs, cache._replace(x=None)[:3])
    with pytest.raises(ValueError, match="dhs must have the shape"):
        rnn_backward(hs[:, :-1], cache)
