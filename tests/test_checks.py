"""Each checker passes a correct solution and names the mistake in wrong ones."""

import time
from collections import Counter

import numpy as np
import pytest

from rnnlib import checks


# ---------------------------------------------------------------- bigram MLE
def bigram_mle(sentences):
    pairs = Counter()
    for s in sentences:
        padded = ["<s>"] + s + ["</s>"]
        pairs.update(zip(padded, padded[1:]))
    context = Counter()
    for (prev, _), c in pairs.items():
        context[prev] += c
    return {(prev, w): c / context[prev] for (prev, w), c in pairs.items()}


def _mle(sentences, start=True, end=True, joint=False):
    pairs = Counter()
    for s in sentences:
        padded = (["<s>"] if start else []) + s + (["</s>"] if end else [])
        pairs.update(zip(padded, padded[1:]))
    context = Counter()
    for (prev, _), c in pairs.items():
        context[prev] += c
    total = sum(pairs.values())
    return {(p, w): c / (total if joint else context[p]) for (p, w), c in pairs.items()}


def test_bigram_mle_checker_accepts_correct(capsys):
    checks.check_bigram_mle(bigram_mle)
    assert capsys.readouterr().out.startswith("All checks passed")


@pytest.mark.parametrize("wrong, message", [
    (lambda s: _mle(s, end=False), "no bigram ends with '</s>'"),
    (lambda s: _mle(s, start=False), "no bigram starts with '<s>'"),
    (lambda s: _mle(s, joint=True), "divided by the number of all bigrams"),
    (lambda s: list(_mle(s).items()), "should return a dict"),
])
def test_bigram_mle_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_bigram_mle(wrong)


# ---------------------------------------------------------------- add-k
def add_k_prob(word, prev, bigram_counts, outcomes, k):
    context = sum(bigram_counts[(prev, w)] for w in outcomes)
    return (bigram_counts[(prev, word)] + k) / (context + k * len(outcomes))


def test_add_k_checker_accepts_correct(capsys):
    checks.check_add_k_prob(add_k_prob)
    assert "add-k" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda w, p, c, o, k: (c[(p, w)] + k) / (sum(c[(p, x)] for x in o) + k), "grow by k for every outcome"),
    (lambda w, p, c, o, k: (c[(p, w)] + k) / (sum(c[(p, x)] for x in o) + k * (len(o) + 1)), "sum to"),
    (lambda w, p, c, o, k: c[(p, w)] / max(1, sum(c[(p, x)] for x in o)), "same probability 1/|O|"),
])
def test_add_k_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_add_k_prob(wrong)


# ---------------------------------------------------------------- perplexity
def test_perplexity_checker_accepts_correct(capsys):
    checks.check_perplexity(lambda p: float(np.exp(-np.mean(np.log(p)))))
    assert "log space" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda p: float(np.prod(p)) ** (-1 / len(p)), "underflows"),
    (lambda p: float(np.exp(-np.sum(np.log(p)))), "not their sum"),
    (lambda p: float(2 ** (-np.mean(np.log(p)))), "you mixed the two"),
    (lambda p: float(np.mean(1 / p)), "geometric mean"),
])
def test_perplexity_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_perplexity(wrong)


# ---------------------------------------------------------------- broken submissions
def not_written(*args):
    raise NotImplementedError()


def crashes(probs):
    return probs["nope"]


def loops(probs):
    while True:
        pass


@pytest.mark.parametrize("fn, message", [
    (not_written, "not implemented yet"),
    (crashes, "raised IndexError"),
    (42, "expected a function"),
])
def test_broken_submissions_get_a_message(fn, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_perplexity(fn)


def test_a_function_that_never_returns_is_stopped(monkeypatch):
    monkeypatch.setattr(checks._common, "TIME_LIMIT", 0.2)
    start = time.perf_counter()
    with pytest.raises(AssertionError, match="loop that never ends"):
        checks.check_perplexity(loops)
    assert time.perf_counter() - start < 5


# ---------------------------------------------------------------- sigmoid, softmax, dense
def stable_sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def test_sigmoid_checker(capsys):
    checks.check_sigmoid(stable_sigmoid)
    assert "+-1000" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda z: 1 / (1 + np.exp(-z)), "overflows for z = -1000"),
    (lambda z: 1 / (1 + np.exp(z)), "sign of z"),
    (lambda z: np.tanh(z), "should be"),
])
def test_sigmoid_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_sigmoid(wrong)


def stable_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_checker(capsys):
    checks.check_softmax(stable_softmax)
    assert "1000" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), "Subtract each row's maximum"),
    (lambda z: np.exp(z) / np.exp(z).sum(axis=0, keepdims=True), "normalise over the last axis"),
])
def test_softmax_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_softmax(wrong)


def dense_backward_ok(dy, x, W):
    return dy @ W, dy.T @ x, dy.sum(axis=0)


def test_dense_backward_checker(capsys):
    checks.check_dense_backward(dense_backward_ok)
    assert "dW = dy.T @ x" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda dy, x, W: (dy @ W, x.T @ dy, dy.sum(axis=0)), "transposed"),
    (lambda dy, x, W: (dy @ W, dy.T @ x, dy), "sum of dy over the batch"),
    (lambda dy, x, W: (dy @ W, dy.T @ x, dy.mean(axis=0)), "the layer must sum"),
    (lambda dy, x, W: (dy @ W, dy.T @ x), "tuple \\(dx, dW, db\\)"),
])
def test_dense_backward_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_dense_backward(wrong)


def test_a_loop_that_catches_every_exception_is_still_stopped(monkeypatch):
    monkeypatch.setattr(checks._common, "TIME_LIMIT", 0.2)

    def stubborn(probs):
        while True:
            try:
                pass
            except Exception:   # the time limit is not an Exception, so it is not caught here
                pass

    with pytest.raises(AssertionError, match="loop that never ends"):
        checks.check_perplexity(stubborn)
