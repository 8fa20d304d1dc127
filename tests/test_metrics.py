"""Perplexity, cross-entropy and bits: hand-computed values, masking, estimators, conversion."""

import math

import numpy as np
import pytest

from rnnlib import metrics
from rnnlib.ngram import NGramLM
from rnnlib.ops import log_softmax
from rnnlib.text import BOS, EOS, UNK, Vocab


def padded(lengths, rng, low=0.05, high=0.95):
    """Random target log-probabilities (batch, T) with a mask for sequences of ``lengths``."""
    mask = np.arange(max(lengths))[None, :] < np.array(lengths)[:, None]
    return np.log(rng.uniform(low, high, size=mask.shape)), mask


# ---------------------------------------------------------------- hand-computed values
def test_hand_computed_perplexity():
    lp = np.log([[0.5, 0.25, 0.125]])              # product 1/64 over 3 tokens
    assert metrics.perplexity(lp) == pytest.approx(4.0, rel=1e-12)
    assert metrics.cross_entropy(lp) == pytest.approx(math.log(4), rel=1e-12)
    assert metrics.bits_per_token(lp) == pytest.approx(2.0, rel=1e-12)


def test_hand_computed_with_padding():
    lp = np.log([[0.5, 0.5, 1.0], [0.25, 1.0, 1.0]])
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    # real tokens: 1/2, 1/2, 1/4 -> product 1/16 over 3 tokens
    assert metrics.perplexity(lp, mask) == pytest.approx(16 ** (1 / 3), rel=1e-12)
    # sequences alone: 2 and 4 -> mean 3
    assert metrics.mean_sequence_perplexity(lp, mask) == pytest.approx(3.0, rel=1e-12)
    np.testing.assert_allclose(metrics.sequence_perplexities(lp, mask), [2.0, 4.0], rtol=1e-12)


@pytest.mark.parametrize("V", [1, 2, 7, 1000])
def test_uniform_model_has_perplexity_V(V):
    rng = np.random.default_rng(V)
    log_probs = np.full((3, 5, V), -math.log(V))
    targets = rng.integers(0, V, size=(3, 5))
    mask = np.arange(5)[None, :] < np.array([5, 2, 1])[:, None]
    lp = metrics.token_log_probs(log_probs, targets, mask)
    assert metrics.perplexity(lp, mask) == pytest.approx(V, rel=1e-12)
    assert metrics.bits_per_token(lp, mask) == pytest.approx(math.log2(V), abs=1e-12)


def test_token_log_probs_picks_along_the_last_axis():
    rng = np.random.default_rng(0)
    log_probs = log_softmax(rng.normal(size=(2, 4, 6)))
    targets = rng.integers(0, 6, size=(2, 4))
    got = metrics.token_log_probs(log_probs, targets)
    for b in range(2):
        for t in range(4):
            assert got[b, t] == log_probs[b, t, targets[b, t]]


def test_token_log_probs_zero_at_padding_and_any_pad_id():
    rng = np.random.default_rng(1)
    log_probs = log_softmax(rng.normal(size=(2, 3, 4)))
    targets = np.array([[1, 2, -1], [3, 99, 99]])          # pad ids out of range: ignored
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    log_probs[~mask] = np.nan                               # and so are padded rows
    got = metrics.token_log_probs(log_probs, targets, mask)
    assert np.all(got[~mask] == 0)
    assert got[0, 1] == log_probs[0, 1, 2] and got[1, 0] == log_probs[1, 0, 3]


def test_perplexity_equals_ngram_evaluate():
    corpus = [s.split() for s in ["a b c a", "b c", "a a b", "c b a c b"]]
    vocab = Vocab.build(corpus, specials=(UNK, BOS, EOS))
    lm = NGramLM(2, "kneser_ney", vocab=vocab).fit(corpus)
    held_out = [s.split() for s in ["a c", "b b b a", "c"]]
    contexts, targets = lm.encode(held_out)
    lp = np.log(lm.score_ids(contexts, targets))
    lengths = [len(s) + 1 for s in held_out]
    mask = np.arange(max(lengths))[None, :] < np.array(lengths)[:, None]
    batch = np.zeros(mask.shape)
    batch[mask] = lp
    assert metrics.perplexity(batch, mask) == pytest.approx(lm.evaluate(held_out).perplexity, rel=1e-12)


# ---------------------------------------------------------------- masking
def test_masked_positions_are_ignored_whatever_their_values():
    rng = np.random.default_rng(2)
    lp, mask = padded([6, 3, 1], rng)
    reference = metrics.perplexity(lp, mask)
    for garbage in (np.nan, np.inf, -np.inf, 5.0, 0.0, -1e9):
        changed = lp.copy()
        changed[~mask] = garbage
        assert metrics.perplexity(changed, mask) == reference
        assert metrics.mean_sequence_perplexity(changed, mask) == metrics.mean_sequence_perplexity(lp, mask)
        meter = metrics.StreamingPerplexity().update(changed, mask)
        assert meter.perplexity == pytest.approx(reference, rel=1e-12)


def test_counting_padding_lowers_perplexity():
    rng = np.random.default_rng(3)
    lp, mask = padded([8, 2, 1], rng)
    zeroed = np.where(mask, lp, 0.0)
    assert math.exp(-zeroed.mean()) < metrics.perplexity(zeroed, mask)


def test_a_zero_probability_gives_infinite_perplexity():
    lp = np.array([[math.log(0.5), -np.inf, math.log(0.25)]])      # log 0 = -inf is allowed
    assert metrics.perplexity(lp) == math.inf
    assert metrics.cross_entropy(lp) == math.inf


# ---------------------------------------------------------------- the estimators
def test_token_weighted_and_mean_of_sequences_differ_on_unequal_lengths():
    lp = np.full((2, 4), math.log(0.5))
    lp[1, 0] = math.log(0.05)                       # one short, hard sequence
    mask = np.array([[1, 1, 1, 1], [1, 0, 0, 0]], dtype=bool)
    token_weighted = metrics.perplexity(lp, mask)
    per_sequence = metrics.mean_sequence_perplexity(lp, mask)
    assert token_weighted == pytest.approx((0.5 ** 4 * 0.05) ** (-1 / 5), rel=1e-12)
    assert per_sequence == pytest.approx((2 + 20) / 2, rel=1e-12)
    assert per_sequence > token_weighted


def test_estimators_agree_when_every_sequence_has_the_same_loss_per_token():
    rng = np.random.default_rng(4)
    lengths = [7, 3, 5, 1]
    mask = np.arange(7)[None, :] < np.array(lengths)[:, None]
    lp = np.full(mask.shape, np.nan)
    for b, n in enumerate(lengths):
        row = np.log(rng.uniform(0.1, 0.9, size=n))
        lp[b, :n] = row - row.mean() + math.log(0.2)   # same mean, different tokens
    assert metrics.mean_sequence_perplexity(lp, mask) == pytest.approx(metrics.perplexity(lp, mask), rel=1e-12)
    assert metrics.perplexity(lp, mask) == pytest.approx(5.0, rel=1e-12)


def test_token_weighted_perplexity_does_not_depend_on_the_cut():
    rng = np.random.default_rng(5)
    flat = np.log(rng.uniform(0.01, 0.99, size=60))

    def cut(lengths):
        mask = np.arange(max(lengths))[None, :] < np.array(lengths)[:, None]
        out = np.zeros(mask.shape)
        out[mask] = flat
        return out, mask

    a, b = cut([10] * 6), cut([1, 2, 3, 4, 50])
    assert metrics.perplexity(*a) == pytest.approx(metrics.perplexity(*b), rel=1e-12)
    assert metrics.perplexity(*a) == pytest.approx(metrics.perplexity(flat), rel=1e-12)
    assert not math.isclose(metrics.mean_sequence_perplexity(*a), metrics.mean_sequence_perplexity(*b))


def test_averaging_exp_loss_over_batches_overestimates_jensen():
    rng = np.random.default_rng(6)
    flat = np.log(rng.uniform(0.001, 0.99, size=600))
    true = metrics.perplexity(flat)
    for size in (1, 5, 30, 100):
        losses = -flat.reshape(-1, size).mean(axis=1)           # equal-size batches
        averaged = float(np.mean(np.exp(losses)))
        assert averaged >= true
        meter = metrics.StreamingPerplexity()
        for batch in flat.reshape(-1, size):
            meter.update(batch)
        assert meter.perplexity == pytest.approx(true, rel=1e-12)
    # the whole text in one batch: no gap
    assert float(np.exp(-flat.mean())) == pytest.approx(true, rel=1e-12)


def test_jensen_equality_when_batch_losses_are_equal():
    base = np.log([0.1, 0.5, 0.8])
    flat = np.concatenate([base, base[::-1], base[[1, 2, 0]]])   # each batch: the same mean loss
    losses = -flat.reshape(3, 3).mean(axis=1)
    assert float(np.mean(np.exp(losses))) == pytest.approx(metrics.perplexity(flat), rel=1e-12)


def test_streaming_add_weights_by_token_counts():
    rng = np.random.default_rng(7)
    batches = [padded(lengths, rng) for lengths in ([5, 2], [9], [1, 1, 1])]
    meter = metrics.StreamingPerplexity()
    for lp, mask in batches:
        meter.add(metrics.cross_entropy(lp, mask), int(mask.sum()))
    all_lp = np.concatenate([lp[mask] for lp, mask in batches])
    assert meter.perplexity == pytest.approx(metrics.perplexity(all_lp), rel=1e-12)
    assert meter.n_tokens == all_lp.size
    assert meter.bits_per_token == pytest.approx(metrics.bits_per_token(all_lp), rel=1e-12)
    assert "n_tokens=" in repr(meter)


def test_streaming_needs_tokens():
    with pytest.raises(ValueError, match="no tokens yet"):
        metrics.StreamingPerplexity().perplexity


# ---------------------------------------------------------------- bits and conversion
def test_bits_are_nats_over_ln2():
    rng = np.random.default_rng(8)
    lp, mask = padded([4, 6], rng)
    assert metrics.bits_per_token(lp, mask) == pytest.approx(metrics.cross_entropy(lp, mask) / math.log(2))
    assert metrics.bits_per_token(lp, mask) == pytest.approx(math.log2(metrics.perplexity(lp, mask)))
    assert metrics.bits_per_character(100 * math.log(2), 50) == pytest.approx(2.0, rel=1e-12)


def test_rescale_round_trips_and_keeps_the_total():
    ppl = metrics.rescale_perplexity(4.0, 450, 100)
    assert ppl == pytest.approx(4.0 ** 4.5, rel=1e-12)
    assert metrics.rescale_perplexity(ppl, 100, 450) == pytest.approx(4.0, rel=1e-12)
    assert 100 * math.log(ppl) == pytest.approx(450 * math.log(4.0), rel=1e-12)
    assert metrics.rescale_perplexity(1.0, 3, 1000) == 1.0
    assert metrics.rescale_perplexity(math.inf, 3, 7) == math.inf
    assert metrics.rescale_perplexity(1e6, 10_000, 1) == math.inf          # overflow is inf


def test_rescale_matches_two_tokenizations_of_one_text():
    # The same probability for the same text, spread over 12 characters or 3 words.
    rng = np.random.default_rng(9)
    char_lp = np.log(rng.uniform(0.2, 0.9, size=12))
    word_lp = np.full(3, char_lp.sum() / 3)          # a word model giving the text the same probability
    pp_char, pp_word = metrics.perplexity(char_lp), metrics.perplexity(word_lp)
    assert metrics.rescale_perplexity(pp_char, 12, 3) == pytest.approx(pp_word, rel=1e-12)
    assert metrics.bits_per_character(-word_lp.sum(), 12) == pytest.approx(metrics.bits_per_token(char_lp), rel=1e-12)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: metrics.perplexity(np.log([[0.5, 0.5]]), np.array([[True]])), ValueError, "shape"),
    (lambda: metrics.perplexity(np.log([[0.5, 0.5]]), np.zeros((1, 2), bool)), ValueError, "no real"),
    (lambda: metrics.perplexity(np.array([[np.nan, -1.0]])), ValueError, "finite"),
    (lambda: metrics.perplexity(np.array([[np.inf, -1.0]])), ValueError, "finite"),
    (lambda: metrics.perplexity(np.array([[2.3, 0.7]])), ValueError, "losses"),
    (lambda: metrics.perplexity(np.array([[0.5, 0.25]])), ValueError, "probabilities"),
    (lambda: metrics.perplexity(np.array(["a", "b"])), TypeError, "real numbers"),
    (lambda: metrics.perplexity(-1.0), ValueError, "scalar"),
    (lambda: metrics.perplexity(np.log([[0.5]]), np.array([[2]])), ValueError, "0/1"),
    (lambda: metrics.mean_sequence_perplexity(np.log([0.5, 0.5])), ValueError, r"\(batch, T\)"),
    (lambda: metrics.mean_sequence_perplexity(np.log([[0.5], [0.5]]), np.array([[True], [False]])),
     ValueError, "sequence 1 has no real token"),
    (lambda: metrics.token_log_probs(np.zeros((2, 3, 4)), np.zeros((2, 4), int)), ValueError, "shape"),
    (lambda: metrics.token_log_probs(np.full((2, 5, 3), -math.log(3)), np.zeros((2, 3), int)),
     ValueError, "transpose"),
    (lambda: metrics.token_log_probs(np.full((2, 3, 4), -math.log(4)), np.zeros((2, 3))), TypeError, "integer"),
    (lambda: metrics.token_log_probs(np.full((1, 2, 4), -math.log(4)), np.array([[0, 4]])), ValueError, r"\[0, 4\)"),
    (lambda: metrics.token_log_probs(np.zeros((1, 2, 4)), np.array([[0, 1]])), ValueError, "logits"),
    (lambda: metrics.token_log_probs(np.full((1, 2, 4), 0.25), np.array([[0, 1]])), ValueError, "probabilities"),
    (lambda: metrics.token_log_probs(np.full((1, 2, 4), np.nan), np.array([[0, 1]])), ValueError, "NaN"),
    (lambda: metrics.token_log_probs(np.full((1, 2, 4), -math.log(4)), np.array([[0, 1]]),
                                     np.zeros((1, 2), bool)), ValueError, "nothing to score"),
    (lambda: metrics.rescale_perplexity(0.5, 10, 3), ValueError, "cross-entropy"),
    (lambda: metrics.rescale_perplexity(4.0, 10.0, 3), TypeError, "n_tokens_from"),
    (lambda: metrics.rescale_perplexity(4.0, 10, 0), ValueError, "n_tokens_to"),
    (lambda: metrics.rescale_perplexity("4", 10, 3), TypeError, "number"),
    (lambda: metrics.bits_per_character(-1.0, 10), ValueError, ">= 0"),
    (lambda: metrics.bits_per_character(10.0, 0), ValueError, "n_characters"),
    (lambda: metrics.StreamingPerplexity().add(1.0, 2.5), TypeError, "n_tokens"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_float32_is_accepted():
    log_probs = log_softmax(np.random.default_rng(10).normal(size=(2, 3, 5)).astype(np.float32))
    lp = metrics.token_log_probs(log_probs, np.zeros((2, 3), int))
    assert lp.dtype == np.float32
    assert metrics.perplexity(lp) >= 1


def test_zero_probabilities_in_a_distribution_are_allowed():
    # A model may give some classes probability 0 (log -inf), e.g. <s>, which is never predicted.
    log_probs = np.array([[[math.log(0.5), math.log(0.5), -np.inf],
                           [-np.inf, math.log(0.25), math.log(0.75)]]])
    lp = metrics.token_log_probs(log_probs, np.array([[1, 2]]))
    assert metrics.perplexity(lp) == pytest.approx((0.5 * 0.75) ** -0.5, rel=1e-12)
    lp_zero = metrics.token_log_probs(log_probs, np.array([[2, 2]]))
    assert metrics.perplexity(lp_zero) == math.inf
