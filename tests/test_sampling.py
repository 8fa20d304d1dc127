"""Greedy, temperature and top-k decoding; generation from a language model."""

import numpy as np
import pytest

from rnnlib.language_model import LMConfig, init_language_model
from rnnlib.sampling import generate, sample_next
from rnnlib.text import Vocab
from rnnlib.train import train_language_model

LOGITS = np.array([0.5, 2.0, -1.0, 1.5, 0.0])


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_greedy_is_argmax():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 9))
    np.testing.assert_array_equal(sample_next(z, rng, temperature=0), z.argmax(axis=1))
    np.testing.assert_array_equal(sample_next(z, None, temperature=0), z.argmax(axis=1))
    np.testing.assert_array_equal(sample_next(z, rng, top_k=1), z.argmax(axis=1))
    assert sample_next(LOGITS, None, temperature=0) == 1
    assert isinstance(sample_next(LOGITS, None, temperature=0), int)


def test_low_temperature_approaches_greedy():
    rng = np.random.default_rng(0)
    z = np.tile(LOGITS, (2000, 1))
    assert (sample_next(z, rng, temperature=0.05) == 1).all()      # p(1) > 1 - 1e-4
    assert (sample_next(z, rng, temperature=1.0) == 1).mean() < 0.6


@pytest.mark.parametrize("temperature,top_k", [(1.0, None), (0.7, None), (2.0, None),
                                               (1.0, 3), (1.5, 2), (1.0, 10)])
def test_samples_follow_the_distribution(temperature, top_k):
    n = 40_000
    rng = np.random.default_rng(42)
    draws = sample_next(np.tile(LOGITS, (n, 1)), rng, temperature=temperature, top_k=top_k)
    z = LOGITS / temperature
    if top_k is not None and top_k < z.size:
        keep = np.argsort(-LOGITS)[:top_k]
        z = np.where(np.isin(np.arange(z.size), keep), z, -np.inf)
    p = _softmax(z)
    counts = np.bincount(draws, minlength=z.size)
    assert counts[p == 0].sum() == 0                                 # outside top-k: never
    expected = n * p[p > 0]
    chi2 = ((counts[p > 0] - expected) ** 2 / expected).sum()
    assert chi2 < 20.5                      # chi-square, <= 4 dof, p-value ~ 4e-4


def test_one_draw_at_a_time_is_reproducible():
    a = [sample_next(LOGITS, np.random.default_rng(3)) for _ in range(3)]
    assert a[0] == a[1] == a[2]


def test_sample_next_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        sample_next(LOGITS, rng, temperature=-1)
    with pytest.raises(ValueError, match="top_k must be None or an int >= 1"):
        sample_next(LOGITS, rng, top_k=0)
    with pytest.raises(ValueError, match="top_k"):
        sample_next(LOGITS, rng, top_k=2.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample_next(LOGITS, 0)
    with pytest.raises(TypeError, match="rng"):
        sample_next(LOGITS, None, temperature=1.0)
    with pytest.raises(ValueError, match="logits must be a real array of shape"):
        sample_next(np.zeros((2, 2, 2)), rng)
    with pytest.raises(ValueError, match="finite"):
        sample_next(np.array([0.0, np.nan]), rng)


def _trained_model():
    words = ["the", "cat", "sat", "on", "mat"]
    vocab = Vocab(words)                                 # specials first: ids 0..3
    sentence = vocab.encode(words) + [vocab.eos_id]
    ids = np.tile(sentence, 60)
    config = LMConfig(vocab_size=len(vocab), n_embed=8, n_hidden=16, cell="gru")
    params = init_language_model(config, np.random.default_rng(0))
    train_language_model(ids[:300], ids[300:], params, config, epochs=6, batch_size=4, bptt=12,
                         lr=0.03, rng=np.random.default_rng(1), progress=False)
    return params, config, vocab


def test_generate_greedy_and_sampled():
    params, config, vocab = _trained_model()
    assert generate(params, config, vocab, None, temperature=0) == ["the", "cat", "sat", "on", "mat"]
    assert generate(params, config, vocab, None, prompt=["cat"], temperature=0) == ["sat", "on", "mat"]
    out = generate(params, config, vocab, None, temperature=0, stop_at_eos=False, max_tokens=8)
    assert out == ["the", "cat", "sat", "on", "mat", "</s>", "the", "cat"]
    a = generate(params, config, vocab, np.random.default_rng(7), max_tokens=20, temperature=1.5)
    b = generate(params, config, vocab, np.random.default_rng(7), max_tokens=20, temperature=1.5)
    assert a == b and len(a) <= 20 and all(t in vocab for t in a)
    c = generate(params, config, vocab, np.random.default_rng(7), max_tokens=20, top_k=1)
    assert c == ["the", "cat", "sat", "on", "mat"]


def test_generate_errors():
    params, config, vocab = _trained_model()
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="tokenize"):
        generate(params, config, vocab, rng, prompt="the cat")
    with pytest.raises(ValueError, match="max_tokens"):
        generate(params, config, vocab, rng, max_tokens=0)
    with pytest.raises(ValueError, match="vocab has 4 tokens"):
        generate(params, config, Vocab([]), rng)
    with pytest.raises(ValueError, match="nothing to start from"):
        generate(params, config, vocab, rng, start_token=None)
    with pytest.raises(TypeError, match="rng"):
        generate(params, config, vocab, None, temperature=1.0)
