"""The recurrent language model: gradients, the fused output loss, dtype, validation."""

import numpy as np
import pytest

from rnnlib.gradcheck import check_gradients
from rnnlib.language_model import (LMConfig, check_params, init_language_model, initial_states,
                                   lm_backward, lm_forward, lm_loss_and_grads, param_shapes)
from rnnlib.losses import fused_cross_entropy, target_log_probs
from rnnlib.params import count_params
from rnnlib.losses import softmax_cross_entropy

V, B, T = 7, 3, 4


def _batch(rng, config):
    ids = rng.integers(0, V, (B, T))
    targets = rng.integers(0, V, (B, T))
    mask = np.ones((B, T), dtype=bool)
    mask[0, 2:] = False                         # masked positions
    mask[2, 3] = False
    h0s = [0.5 * rng.normal(size=(B, config.n_hidden)) for _ in range(config.n_layers)]
    return ids, targets, mask, h0s


# eps: the default 1e-5 of check_gradients, except for the reset-before GRU, where a few
# entries of the reset-gate gradient are ~4e-6 and the rounding error of 1e-5 differences
# alone is ~1e-6 relative there; with 1e-4 its truncation error is ~2e-7.
@pytest.mark.parametrize("cell,reset_after,eps,tie", [("rnn", False, 1e-5, False),
                                                      ("gru", False, 1e-4, False),
                                                      ("gru", True, 1e-5, False),
                                                      ("gru", False, 1e-4, True),
                                                      ("rnn", False, 1e-5, True)])
def test_whole_model_gradient_check(cell, reset_after, eps, tie):
    n_embed = 5 if tie else 4
    config = LMConfig(vocab_size=V, n_embed=n_embed, n_hidden=5, n_layers=2, cell=cell,
                      dropout=0.3, reset_after=reset_after, tie_weights=tie)
    rng = np.random.default_rng(0)
    params = init_language_model(config, np.random.default_rng(1))
    ids, targets, mask, h0s = _batch(rng, config)

    def loss():   # a fresh generator with the same seed: the same dropout masks every call
        return lm_loss_and_grads(ids, targets, mask, params, config, h0s=h0s, rng=np.random.default_rng(5))[0]

    _, grads, _ = lm_loss_and_grads(ids, targets, mask, params, config, h0s=h0s, rng=np.random.default_rng(5))
    errors = check_gradients(loss, params, grads, eps=eps)
    assert max(errors.values()) <= 1e-6, errors
    assert set(errors) == set(param_shapes(config))


def test_dropout_is_used_and_off_at_eval():
    config = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=2, dropout=0.5)
    params = init_language_model(config, np.random.default_rng(1))
    ids = np.random.default_rng(2).integers(0, V, (B, T))
    a, _, _ = lm_forward(ids, params, config, rng=np.random.default_rng(0), train=True)
    b, _, _ = lm_forward(ids, params, config, rng=np.random.default_rng(1), train=True)
    c, _, _ = lm_forward(ids, params, config)
    d, _, _ = lm_forward(ids, params, config, rng=np.random.default_rng(1))
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(c, d)
    with pytest.raises(TypeError, match="rng"):
        lm_forward(ids, params, config, train=True)


def test_fused_loss_matches_reference_and_does_not_touch_input():
    rng = np.random.default_rng(0)
    z = 5 * rng.normal(size=(3, 4, 11))
    t = rng.integers(0, 11, (3, 4))
    m = rng.random((3, 4)) > 0.3
    m[0, 0] = True
    z_before = z.copy()
    ref_loss, ref_dz = softmax_cross_entropy(z, t, m)
    loss, dz = fused_cross_entropy(z, t, m)
    np.testing.assert_array_equal(z, z_before)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(dz, ref_dz, rtol=0, atol=1e-15)
    lp = target_log_probs(z, t, m)
    assert (lp[~m] == 0).all() and -lp.sum() / m.sum() == pytest.approx(ref_loss, rel=1e-13)
    # float32 stays float32 and agrees to float32 precision
    loss32, dz32 = fused_cross_entropy(z.astype(np.float32), t, m, overwrite=False)
    assert dz32.dtype == np.float32
    assert loss32 == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(dz32, ref_dz, atol=1e-6)


def test_fused_loss_errors():
    z = np.zeros((2, 3, 5))
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 3\)"):
        fused_cross_entropy(z, np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        fused_cross_entropy(z, np.full((2, 3), 5))
    with pytest.raises(ValueError, match="no real"):
        fused_cross_entropy(z, np.zeros((2, 3), dtype=int), np.zeros((2, 3), dtype=bool))
    with pytest.raises(TypeError, match="integer"):
        fused_cross_entropy(z, np.zeros((2, 3)))
    # a masked position may hold any target, even an invalid one
    loss, _ = fused_cross_entropy(z, np.array([[0, 1, 99]] * 2), np.array([[1, 1, 0]] * 2))
    assert loss == pytest.approx(np.log(5))


def test_float32_is_preserved_and_agrees_with_float64():
    c64 = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=2, cell="gru")
    c32 = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=2, cell="gru", dtype=np.float32)
    assert c32.dtype == "float32"
    p64 = init_language_model(c64, np.random.default_rng(0))
    p32 = {k: ({kk: (vv.astype(np.float32) if isinstance(vv, np.ndarray) else
                     {a: b.astype(np.float32) for a, b in vv.items()}) for kk, vv in v.items()})
           for k, v in p64.items()}
    ids = np.random.default_rng(1).integers(0, V, (B, T))
    l64, g64, s64 = lm_loss_and_grads(ids, ids, None, p64, c64)
    l32, g32, s32 = lm_loss_and_grads(ids, ids, None, p32, c32)
    assert l32 == pytest.approx(l64, rel=1e-5)
    assert g32["out"]["W"].dtype == np.float32 and s32[0].dtype == np.float32
    np.testing.assert_allclose(g32["layers"]["1"]["W_u"], g64["layers"]["1"]["W_u"], atol=1e-5)


def test_shapes_states_and_param_count():
    config = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=3, cell="rnn")
    params = init_language_model(config, np.random.default_rng(0))
    assert count_params(params) == sum(int(np.prod(s)) for s in param_shapes(config).values())
    h0s = initial_states(config, B)
    assert len(h0s) == 3 and h0s[0].shape == (B, 5) and not np.shares_memory(h0s[0], h0s[1])
    logits, finals, cache = lm_forward(np.zeros((B, T), dtype=int), params, config, h0s=h0s)
    assert logits.shape == (B, T, V) and [f.shape for f in finals] == [(B, 5)] * 3
    dh0s, grads = lm_backward(np.ones_like(logits), cache)
    check_params(grads, config)
    assert [d.shape for d in dh0s] == [(B, 5)] * 3


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="cell"):
        LMConfig(vocab_size=5, cell="lstm")
    with pytest.raises(ValueError, match="dropout"):
        LMConfig(vocab_size=5, dropout=1.0)
    with pytest.raises(ValueError, match="n_layers"):
        LMConfig(vocab_size=5, n_layers=0)
    with pytest.raises(TypeError, match="dtype"):
        LMConfig(vocab_size=5, dtype="int32")
    config = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=2)
    params = init_language_model(config, np.random.default_rng(0))
    ids = np.zeros((B, T), dtype=int)
    with pytest.raises(ValueError, match=r"ids must be in \[0, vocab_size\)"):
        lm_forward(ids + V, params, config)
    with pytest.raises(ValueError, match=r"ids must have shape \(batch, T\)"):
        lm_forward(np.zeros(T, dtype=int), params, config)
    with pytest.raises(TypeError, match="integer"):
        lm_forward(ids.astype(float), params, config)
    with pytest.raises(ValueError, match="list of 2 initial state"):
        lm_forward(ids, params, config, h0s=[np.zeros((B, 5))])
    with pytest.raises(ValueError, match=r"h0s\[1\] must have shape"):
        lm_forward(ids, params, config, h0s=[np.zeros((B, 5)), np.zeros((B, 4))])
    with pytest.raises(TypeError, match="config.dtype is float64"):
        lm_forward(ids, params, config, h0s=[np.zeros((B, 5), np.float32)] * 2)
    other = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=3)
    with pytest.raises(ValueError, match=r"missing weights \['layers/2/W_u"):
        lm_forward(ids, params, other)
    with pytest.raises(ValueError, match=r"weight 'embed/E' has shape \(7, 4\), the config needs \(8, 4\)"):
        lm_forward(ids, params, LMConfig(vocab_size=8, n_embed=4, n_hidden=5, n_layers=2))
    as32 = {k: {kk: vv.astype(np.float32) for kk, vv in v.items()} if k != "layers" else
            {i: {kk: vv.astype(np.float32) for kk, vv in layer.items()} for i, layer in v.items()}
            for k, v in params.items()}
    with pytest.raises(ValueError, match="weight 'embed/E' has dtype float32, the config says float64"):
        lm_forward(ids, as32, config)
    logits, _, cache = lm_forward(ids, params, config)
    with pytest.raises(ValueError, match="dlogits must have the shape"):
        lm_backward(logits[:, :2], cache)
    bad = np.zeros_like(logits)
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        lm_backward(bad, cache)
    with pytest.raises(TypeError, match="LMCache"):
        lm_backward(logits, (1, 2))


def test_tied_weights_share_the_embedding_table():
    config = LMConfig(vocab_size=V, n_embed=5, n_hidden=5, tie_weights=True)
    params = init_language_model(config, np.random.default_rng(0))
    assert set(params["out"]) == {"b"}
    untied = LMConfig(vocab_size=V, n_embed=5, n_hidden=5)
    assert count_params(params) == count_params(init_language_model(untied, np.random.default_rng(0))) - V * 5
    ids = np.arange(4).reshape(1, 4) % V
    logits, _, _ = lm_forward(ids, params, config)
    # the same numbers as an untied model whose output weights are a copy of E
    copy = {"embed": params["embed"], "layers": params["layers"],
            "out": {"W": params["embed"]["E"].copy(), "b": params["out"]["b"]}}
    np.testing.assert_allclose(lm_forward(ids, copy, untied)[0], logits)
    with pytest.raises(ValueError, match="n_embed == n_hidden.*n_embed = 4 and n_hidden = 5"):
        LMConfig(vocab_size=V, n_embed=4, n_hidden=5, tie_weights=True)
    with pytest.raises(TypeError, match="tie_weights must be True or False"):
        LMConfig(vocab_size=V, n_embed=5, n_hidden=5, tie_weights="yes")


def test_initial_state_gradients_are_checked():
    """lm_backward's dh0s: what truncated BPTT drops, but the gradient all the same."""
    config = LMConfig(vocab_size=V, n_embed=4, n_hidden=5, n_layers=2, cell="gru", dropout=0.3)
    params = init_language_model(config, np.random.default_rng(1))
    ids, targets, mask, h0s = _batch(np.random.default_rng(0), config)

    def forward():
        return lm_forward(ids, params, config, h0s=h0s, rng=np.random.default_rng(5), train=True)

    def loss():
        return softmax_cross_entropy(forward()[0], targets, mask)[0]

    logits, _, cache = forward()
    _, dlogits = softmax_cross_entropy(logits, targets, mask)
    dh0s, _ = lm_backward(dlogits, cache)
    errors = check_gradients(loss, {str(i): h for i, h in enumerate(h0s)},
                             {str(i): d for i, d in enumerate(dh0s)})
    assert max(errors.values()) <= 1e-7, errors
