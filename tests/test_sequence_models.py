"""The small models of the four input/output patterns: gradient checks, padding, generation."""

import numpy as np
import pytest

from rnnlib import sequence_models as sm
from rnnlib.gradcheck import check_gradients, check_layer_gradients
from rnnlib.layers import dense_forward
from rnnlib.optim import Adam
from rnnlib.rnn import rnn_step_forward
from rnnlib.sampling import sample_next
from rnnlib.train import train

V, N_X, N_H, N_Y = 9, 4, 6, 5


def _nonzero_biases(params, rng):
    """Random biases everywhere, so that a bias gradient is really checked."""
    for layer in params.values():
        if "b_h" in layer:
            layer["b_h"] = rng.normal(scale=0.2, size=layer["b_h"].shape)
        if "b" in layer:
            layer["b"] = rng.normal(scale=0.2, size=layer["b"].shape)
    return params


def _mask(lengths, T):
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


# ----------------------------------------------------------------- last state
def test_last_state_picks_the_last_real_step():
    rng = np.random.default_rng(0)
    hs = rng.normal(size=(3, 5, 2))
    mask = _mask([5, 2, 1], 5)
    h_last, _ = sm.last_state_forward(hs, mask)
    assert np.array_equal(h_last, np.stack([hs[0, 4], hs[1, 1], hs[2, 0]]))


def test_last_state_gradients():
    rng = np.random.default_rng(1)
    hs = rng.normal(size=(3, 4, 2))
    errors = check_layer_gradients(sm.last_state_forward, sm.last_state_backward,
                                   {"hs": hs, "mask": _mask([4, 2, 3], 4)}, None, rng, wrt=["hs"])
    assert errors["hs"] <= 1e-7


@pytest.mark.parametrize("mask, message", [
    (np.array([[1, 0, 1]], bool), "right-padded"),
    (np.array([[0, 0, 0]], bool), "at least one real token"),
])
def test_last_state_rejects_bad_masks(mask, message):
    with pytest.raises(ValueError, match=message):
        sm.last_state_forward(np.zeros((1, 3, 2)), mask)


# ----------------------------------------------------------------- many-to-many
def _many_to_many(seed=2):
    rng = np.random.default_rng(seed)
    params = _nonzero_biases(sm.init_many_to_many(V, N_X, N_H, N_Y, rng), rng)
    ids = rng.integers(0, V, size=(3, 6))
    return rng, params, ids


def test_many_to_many_loss_gradients_with_mask_and_h0():
    rng, params, ids = _many_to_many()
    targets = rng.integers(0, N_Y, size=ids.shape)
    mask = _mask([6, 4, 2], 6)
    h0 = rng.normal(scale=0.5, size=(3, N_H))
    loss, grads = sm.many_to_many_loss(ids, targets, mask, params, h0=h0)
    errors = check_gradients(lambda: sm.many_to_many_loss(ids, targets, mask, params, h0=h0)[0],
                             params, grads)
    assert set(errors) == {"embed/E", "rnn/W_hx", "rnn/W_hh", "rnn/b_h", "out/W", "out/b"}
    assert max(errors.values()) <= 1e-6, errors


def test_many_to_many_backward_gives_dh0():
    rng, params, ids = _many_to_many(3)
    h0 = rng.normal(scale=0.5, size=(3, N_H))
    errors = check_layer_gradients(sm.many_to_many_forward, sm.many_to_many_backward,
                                   {"ids": ids, "h0": h0}, params, rng, wrt=["h0"])
    assert max(errors.values()) <= 1e-6, errors


def test_many_to_many_shapes_and_dtype():
    rng = np.random.default_rng(4)
    params = sm.init_many_to_many(V, N_X, N_H, N_Y, rng, dtype=np.float32)
    logits, _ = sm.many_to_many_forward(rng.integers(0, V, size=(2, 7)), params)
    assert logits.shape == (2, 7, N_Y) and logits.dtype == np.float32


# ----------------------------------------------------------------- many-to-one
def test_many_to_one_loss_gradients():
    rng = np.random.default_rng(5)
    params = _nonzero_biases(sm.init_many_to_one(V, N_X, N_H, 3, rng), rng)
    ids = rng.integers(0, V, size=(4, 5))
    mask = _mask([5, 3, 1, 4], 5)
    labels = np.array([0, 2, 1, 2])
    loss, grads = sm.many_to_one_loss(ids, mask, labels, params)
    errors = check_gradients(lambda: sm.many_to_one_loss(ids, mask, labels, params)[0], params, grads)
    assert max(errors.values()) <= 1e-6, errors


def test_many_to_one_backward_by_layer_convention():
    rng = np.random.default_rng(6)
    params = _nonzero_biases(sm.init_many_to_one(V, N_X, N_H, 2, rng), rng)
    errors = check_layer_gradients(sm.many_to_one_forward, sm.many_to_one_backward,
                                   {"ids": rng.integers(0, V, size=(3, 4)), "mask": _mask([4, 2, 3], 4)},
                                   params, rng)
    assert max(errors.values()) <= 1e-6, errors


def test_many_to_one_ignores_padding():
    rng = np.random.default_rng(7)
    params = sm.init_many_to_one(V, N_X, N_H, 2, rng)
    ids = rng.integers(0, V, size=(3, 6))
    mask = _mask([6, 3, 2], 6)
    other = ids.copy()
    other[~mask] = rng.integers(0, V, size=(~mask).sum())     # change only the padding
    a, _ = sm.many_to_one_forward(ids, mask, params)
    b, _ = sm.many_to_one_forward(other, mask, params)
    assert np.array_equal(a, b)


# ----------------------------------------------------------------- encoder-decoder
def _encoder_decoder(seed=8):
    rng = np.random.default_rng(seed)
    params = sm.init_encoder_decoder(V, V + 2, N_X, N_H, rng)
    for part in params.values():
        _nonzero_biases(part, rng)
    src = rng.integers(0, V, size=(3, 5))
    src_mask = _mask([5, 2, 3], 5)
    tgt_in = rng.integers(0, V + 2, size=(3, 4))
    tgt_out = rng.integers(0, V + 2, size=(3, 4))
    tgt_mask = _mask([4, 3, 1], 4)
    return rng, params, (src, src_mask, tgt_in, tgt_out, tgt_mask)


def test_encoder_decoder_loss_gradients():
    _, params, batch = _encoder_decoder()
    loss, grads = sm.encoder_decoder_loss(*batch, params)
    errors = check_gradients(lambda: sm.encoder_decoder_loss(*batch, params)[0], params, grads)
    assert {"encoder/embed/E", "encoder/rnn/W_hh", "decoder/out/W"} <= set(errors)
    assert max(errors.values()) <= 1e-6, errors


def test_the_encoder_receives_gradient_only_through_its_last_real_state():
    _, params, (src, src_mask, tgt_in, tgt_out, tgt_mask) = _encoder_decoder(9)
    _, grads = sm.encoder_decoder_loss(src, src_mask, tgt_in, tgt_out, tgt_mask, params)
    assert np.abs(grads["encoder"]["rnn"]["W_hh"]).sum() > 0
    # Source tokens only in the padding: their embedding rows get no gradient.
    pad_only = set(src[~src_mask].tolist()) - set(src[src_mask].tolist())
    for v in pad_only:
        assert np.all(grads["encoder"]["embed"]["E"][v] == 0)


def test_encode_matches_the_forward_pass():
    _, params, (src, src_mask, tgt_in, _, _) = _encoder_decoder(10)
    c = sm.encode(src, src_mask, params)
    logits, _ = sm.encoder_decoder_forward(src, src_mask, tgt_in, params)
    direct, _ = sm.many_to_many_forward(tgt_in, params["decoder"], h0=c)
    assert np.allclose(logits, direct)


# ----------------------------------------------------------------- generation
def test_greedy_generation_is_deterministic_and_stops():
    rng = np.random.default_rng(11)
    params = sm.init_many_to_many(V, N_X, N_H, V, rng)
    h0 = np.zeros((4, N_H))
    a = sm.generate(h0, params, start_id=2, stop_id=3, max_len=8, temperature=0)
    b = sm.generate(h0, params, start_id=2, stop_id=3, max_len=8, temperature=0)
    assert a == b and all(len(s) <= 8 and 3 not in s for s in a)
    params["out"]["b"][:] = 0
    params["out"]["b"][3] = 100.0                     # </s> is certain: every sequence is empty
    assert sm.generate(h0, params, 2, 3, 8, np.random.default_rng(0)) == [[]] * 4


def test_sampling_follows_the_distribution_and_the_temperature():
    rng = np.random.default_rng(12)
    params = sm.init_many_to_many(V, N_X, N_H, V, rng)
    params["out"]["W"][:] = 0                         # the distribution ignores the state
    params["out"]["b"][:] = -50.0
    params["out"]["b"][[4, 5]] = [np.log(3.0), 0.0]   # P(4) = 3/4, P(5) = 1/4
    h0 = np.zeros((4000, N_H))
    first = np.array([s[0] for s in sm.generate(h0, params, 2, 3, 1, np.random.default_rng(1))])
    assert set(first.tolist()) == {4, 5} and abs((first == 4).mean() - 0.75) < 0.03
    cold = np.array([s[0] for s in sm.generate(h0, params, 2, 3, 1, np.random.default_rng(1),
                                                temperature=0.5)])
    assert abs((cold == 4).mean() - 0.9) < 0.03      # 3^2 / (3^2 + 1)


@pytest.mark.parametrize("temperature", [0, 0.7, 1.0])
def test_generation_draws_each_token_with_sample_next(temperature):
    """generate is the model's step plus rnnlib.sampling.sample_next, the one sampler."""
    rng = np.random.default_rng(15)
    params = _nonzero_biases(sm.init_many_to_many(V, N_X, N_H, V, rng), rng)
    h0 = rng.normal(scale=0.5, size=(50, N_H))
    got = sm.generate(h0, params, 2, 3, 1, np.random.default_rng(4), temperature=temperature)
    h, _ = rnn_step_forward(params["embed"]["E"][np.full(50, 2)], h0, params["rnn"])
    logits, _ = dense_forward(h, params["out"])
    want = sample_next(logits, np.random.default_rng(4), temperature)
    assert [s[:1] for s in got] == [[] if t == 3 else [t] for t in want.tolist()]


def test_generation_rejects_bad_arguments():
    params = sm.init_many_to_many(V, N_X, N_H, V, np.random.default_rng(0))
    h0 = np.zeros((1, N_H))
    with pytest.raises(ValueError, match="temperature"):
        sm.generate(h0, params, 2, 3, 5, np.random.default_rng(0), temperature=-1)
    with pytest.raises(TypeError, match="rng"):
        sm.generate(h0, params, 2, 3, 5, None, temperature=1.0)
    with pytest.raises(ValueError, match="max_len"):
        sm.generate(h0, params, 2, 3, 0, np.random.default_rng(0))


# ----------------------------------------------------------------- training
def test_train_learns_to_copy_the_input():
    """A many-to-many model, trained by rnnlib.train.train, learns the identity tagging task quickly."""
    rng = np.random.default_rng(13)
    params = sm.init_many_to_many(V, 8, 16, V, rng, dtype=np.float32)
    data_rng = np.random.default_rng(14)
    batches = [(ids, ids, None) for ids in (data_rng.integers(0, V, size=(16, 5)) for _ in range(150))]
    losses = train(batches, params, sm.many_to_many_loss, Adam(0.02), max_norm=1.0)
    assert losses.shape == (150,) and losses[-10:].mean() < 0.1 * losses[0]


def test_the_old_training_loop_is_gone():
    assert not hasattr(sm, "train")     # one training loop: rnnlib.train.train
