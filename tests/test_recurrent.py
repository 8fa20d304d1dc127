"""Stacked and bidirectional layers: gradient checks, padding, composition."""

import numpy as np
import pytest

from rnnlib.gradcheck import check_gradients
from rnnlib.gru import gru_forward, init_gru
from rnnlib.recurrent import (Layer, bidirectional, gru_layer, reverse_in_time, rnn_layer,
                              stacked)
from rnnlib.rnn import init_rnn, rnn_forward


def check_layer(layer, x, h0, params, rng, tol=1e-6, lengths=None):
    hs, cache = layer.forward(x, h0, params, lengths)
    dhs = rng.normal(size=hs.shape)
    dx, dh0, grads = layer.backward(dhs, cache)
    loss = lambda: float(np.sum(layer.forward(x, h0, params, lengths)[0] * dhs))
    errors = check_gradients(loss, {"x": x, "h0": h0, "params": params},
                             {"x": dx, "h0": dh0, "params": grads})
    assert max(errors.values()) <= tol, errors
    return hs


def h0_like(rng, batch, n):
    return rng.normal(scale=0.5, size=(batch, n))


@pytest.mark.parametrize("make, init", [(rnn_layer, init_rnn), (gru_layer, init_gru)])
def test_bidirectional_gradients(make, init):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3))
    params = {"fwd": init(3, 4, rng), "bwd": init(3, 4, rng)}
    hs = check_layer(bidirectional(make()), x, h0_like(rng, 2, 8), params, rng)
    assert hs.shape == (2, 5, 8)


def test_stack_of_bidirectional_grus_gradients():
    rng = np.random.default_rng(1)
    layer = stacked([bidirectional(gru_layer()), gru_layer(reset_after=True), rnn_layer()])
    params = [{"fwd": init_gru(3, 4, rng), "bwd": init_gru(3, 4, rng)},
              init_gru(8, 5, rng, reset_after=True), init_rnn(5, 6, rng)]
    h0s = [h0_like(rng, 2, 8), h0_like(rng, 2, 5), h0_like(rng, 2, 6)]
    x = rng.normal(size=(2, 4, 3))
    hs, cache = layer.forward(x, h0s, params)
    dhs = rng.normal(size=hs.shape)
    dx, dh0s, grads = layer.backward(dhs, cache)
    loss = lambda: float(np.sum(layer.forward(x, h0s, params)[0] * dhs))
    named = lambda items: {f"layer{i}": item for i, item in enumerate(items)}
    errors = check_gradients(loss, {"x": x, "h0": named(h0s), "p": named(params)},
                             {"x": dx, "h0": named(dh0s), "p": named(grads)})
    assert max(errors.values()) <= 1e-6, errors


def test_the_backward_direction_reads_the_sequence_reversed():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 3))
    params = {"fwd": init_gru(3, 4, rng), "bwd": init_gru(3, 4, rng)}
    h0 = h0_like(rng, 2, 8)
    hs, _ = bidirectional(gru_layer()).forward(x, h0, params)
    back, _ = gru_forward(x[:, ::-1], h0[:, 4:], params["bwd"])
    np.testing.assert_allclose(hs[:, :, 4:], back[:, ::-1], rtol=1e-12)
    forward, _ = gru_forward(x, h0[:, :4], params["fwd"])
    np.testing.assert_allclose(hs[:, :, :4], forward, rtol=1e-12)


def test_padding_does_not_reach_the_real_positions_of_either_direction():
    rng = np.random.default_rng(3)
    lengths = np.array([6, 3])
    x = rng.normal(size=(2, 6, 3))
    params = {"fwd": init_rnn(3, 4, rng), "bwd": init_rnn(3, 4, rng)}
    layer = bidirectional(rnn_layer())
    h0 = np.zeros((2, 8))
    hs, _ = layer.forward(x, h0, params, lengths)
    x2 = x.copy()
    x2[1, 3:] = 100.0                                      # garbage in the padding
    hs2, _ = layer.forward(x2, h0, params, lengths)
    np.testing.assert_allclose(hs2[1, :3], hs[1, :3], rtol=1e-12)
    # The short sequence's backward direction starts at its last real token:
    alone, _ = rnn_forward(x[1:, :3][:, ::-1], h0[1:, 4:], params["bwd"])
    np.testing.assert_allclose(hs[1, :3, 4:], alone[0, ::-1], rtol=1e-12)
    check_layer(layer, x, h0_like(rng, 2, 8), params, rng, lengths=lengths)
    # The same layer serves a batch with other lengths: they are data of the call.
    other = np.array([2, 6])
    hs3, _ = layer.forward(x, h0, params, other)
    alone, _ = rnn_forward(x[:1, :2][:, ::-1], h0[:1, 4:], params["bwd"])
    np.testing.assert_allclose(hs3[0, :2, 4:], alone[0, ::-1], rtol=1e-12)


def test_reverse_in_time():
    x = np.arange(12).reshape(2, 6)
    np.testing.assert_array_equal(reverse_in_time(x, [6, 2]), [[5, 4, 3, 2, 1, 0], [7, 6, 8, 9, 10, 11]])
    np.testing.assert_array_equal(reverse_in_time(reverse_in_time(x, [3, 4]), [3, 4]), x)
    with pytest.raises(ValueError, match="between 1 and T = 6"):
        reverse_in_time(x, [7, 2])


def test_bad_use():
    with pytest.raises(ValueError, match="non-empty list of Layer"):
        stacked([])
    layer = stacked([rnn_layer(), rnn_layer()])
    with pytest.raises(ValueError, match="needs 2 initial states and 2 parameter sets"):
        layer.forward(np.zeros((1, 2, 3)), [np.zeros((1, 4))], [init_rnn(3, 4, np.random.default_rng(0))])
    with pytest.raises(ValueError, match="keys 'fwd' and 'bwd'"):
        bidirectional(rnn_layer()).forward(np.zeros((1, 2, 3)), np.zeros((1, 8)), {"fwd": {}})
    with pytest.raises(ValueError, match=r"\(batch, 2 n_h\)"):
        bidirectional(rnn_layer()).forward(np.zeros((1, 2, 3)), np.zeros((1, 7)), {"fwd": {}, "bwd": {}})
    assert isinstance(bidirectional(rnn_layer()), Layer)
