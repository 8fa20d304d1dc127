"""Checkers for the n-gram chapter: bigram MLE, add-k smoothing, perplexity."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..ngram import NGramLM
from ..text import BOS, EOS, UNK, Vocab
from ._common import call as _call, passed as _passed

def _reference_bigram(corpus, smoothing="mle", **options):
    vocab = Vocab.build(corpus, specials=(UNK, BOS, EOS))
    return NGramLM(2, smoothing, vocab=vocab, **options).fit(corpus)


# ---------------------------------------------------------------- exercise: bigram MLE
_BIGRAM_CASES = [
    [["i", "am", "sam"], ["sam", "i", "am"], ["i", "do", "not", "like", "green", "eggs", "and", "ham"]],
    [["to", "be", "or", "not", "to", "be"], ["to", "sleep"], ["be", "still"]],
]


def check_bigram_mle(bigram_mle) -> None:
    """Check ``bigram_mle(sentences) -> dict[(prev, word), prob]``.

    Every sentence is padded as ``<s> w1 ... wT </s>``; the dict holds
    :math:`P(w \\mid prev) = c(prev\\, w) / c(prev)` for every bigram seen.
    """
    for corpus in _BIGRAM_CASES:
        what = f"the corpus {[' '.join(s) for s in corpus]}"
        got = _call(bigram_mle, [list(s) for s in corpus], what=what)
        if not isinstance(got, dict):
            raise AssertionError(f"bigram_mle should return a dict, got {type(got).__name__}")
        ref = _reference_bigram(corpus)
        expected = {}
        for sentence in corpus:
            padded = [BOS] + sentence + [EOS]
            for prev, word in zip(padded, padded[1:]):
                expected[(prev, word)] = ref.prob(word, [prev])
        bad_keys = [k for k in got if not (isinstance(k, tuple) and len(k) == 2)]
        if bad_keys:
            raise AssertionError(f"keys should be (previous word, word) tuples, got {bad_keys[0]!r}")
        if not any(k[0] == BOS for k in got):
            raise AssertionError(f"no bigram starts with {BOS!r}: pad the front of every sentence "
                                 f"with {BOS!r} so the first word has a context ({what})")
        if not any(k[1] == EOS for k in got):
            raise AssertionError(f"no bigram ends with {EOS!r}: pad the end of every sentence with "
                                 f"{EOS!r}, or the model never learns where sentences stop ({what})")
        missing = sorted(set(expected) - set(got))
        if missing:
            raise AssertionError(f"the bigram {missing[0]} occurs in {what} but is not in your dict")
        extra = sorted(set(got) - set(expected))
        if extra:
            raise AssertionError(f"your dict has {extra[0]}, which never occurs in {what}")
        for key, p in got.items():
            if isinstance(p, (str, bytes, bool)) or not np.isscalar(p) or not np.isreal(p):
                raise AssertionError(f"the value for {key} should be a probability (a float), "
                                     f"got {type(p).__name__} {p!r}")
        totals = Counter()
        for (prev, _), p in got.items():
            totals[prev] += float(p)
        for prev, total in sorted(totals.items()):
            if not math.isclose(total, 1.0, abs_tol=1e-9):
                hint = ("you may have divided by the number of all bigrams instead of c(prev)"
                        if total < 1 else "you may have divided by too small a count")
                raise AssertionError(f"the probabilities after {prev!r} sum to {total:.3f}, not 1: {hint}")
        for key, p in expected.items():
            if not math.isclose(got[key], p, rel_tol=1e-9):
                raise AssertionError(f"P({key[1]!r} | {key[0]!r}) should be c(prev word)/c(prev) "
                                     f"= {p:.4f}, got {got[key]!r}")
    _passed("bigram MLE, with <s> and </s> padding, sums to 1 after every context.")


# ---------------------------------------------------------------- exercise: add-k
def check_add_k_prob(add_k_prob) -> None:
    """Check ``add_k_prob(word, prev, bigram_counts, outcomes, k) -> float``.

    ``bigram_counts`` is a Counter of ``(prev, word)`` pairs; ``outcomes`` lists every token
    that can follow (the vocabulary and ``</s>``, never ``<s>``).
    """
    corpus = _BIGRAM_CASES[0]
    counts = Counter()
    for sentence in corpus:
        padded = [BOS] + sentence + [EOS]
        counts.update(zip(padded, padded[1:]))
    for k in (1.0, 0.1):
        ref = _reference_bigram(corpus, "add_k", k=k)
        outcomes = list(ref.outcomes)
        for prev in ["i", BOS, "ham", "never-seen"]:
            what = f"prev={prev!r}, k={k}"
            probs = [_call(add_k_prob, w, prev, Counter(counts), list(outcomes), k, what=what)
                     for w in outcomes]
            if not all(isinstance(p, (float, int, np.floating)) for p in probs):
                raise AssertionError(f"add_k_prob should return a number, got {type(probs[0]).__name__}")
            total = float(sum(probs))
            if prev == "never-seen" and not np.allclose(probs, 1 / len(outcomes)):
                raise AssertionError(
                    f"after a context never seen in training ({what}) add-k smoothing gives every "
                    f"outcome the same probability 1/|O| = {1 / len(outcomes):.4f}; got {probs[0]!r} "
                    "for the first outcome")
            if not math.isclose(total, 1.0, abs_tol=1e-9):
                hint = ("the denominator must grow by k for every outcome: c(prev) + k*|O|"
                        if total > 1 else "count every outcome once in |O|, and c(prev) over the "
                        "bigrams that start with prev")
                raise AssertionError(f"your probabilities after {prev!r} sum to {total:.4f}, not 1 "
                                     f"({what}): {hint}")
            expected = [ref.prob(w, [prev]) for w in outcomes]
            if not np.allclose(probs, expected, rtol=1e-9):
                i = int(np.argmax(np.abs(np.subtract(probs, expected))))
                raise AssertionError(f"P({outcomes[i]!r} | {prev!r}) with {what} should be "
                                     f"(c + k) / (c(prev) + k*|O|) = {expected[i]:.4f}, got {probs[i]!r}")
    _passed("add-k smoothing sums to 1 after seen and unseen contexts.")


# ---------------------------------------------------------------- exercise: perplexity
def check_perplexity(perplexity) -> None:
    """Check ``perplexity(probs) -> float``: exp of the mean negative log-probability."""
    cases = [
        (np.full(4, 0.25), "four predictions of probability 1/4"),
        (np.array([0.5, 0.1, 0.9, 0.3]), "the probabilities [0.5, 0.1, 0.9, 0.3]"),
        (np.full(5000, 0.01), "5,000 predictions of probability 0.01"),
    ]
    for probs, what in cases:
        try:
            got = _call(perplexity, probs.copy(), what=what)
        except AssertionError as error:
            if len(probs) > 1000 and ("Division" in str(error) or "overflow" in str(error)):
                raise AssertionError(f"{error}. The product of so many probabilities underflows to "
                                     "0.0; work in log space: sum the logs, then exponentiate once")
            raise
        expected = float(np.exp(-np.mean(np.log(probs))))
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise AssertionError(f"perplexity should return a number, got {type(got).__name__}") from None
        if math.isclose(got, expected, rel_tol=1e-9):
            continue
        product = float(np.prod(probs))
        if len(probs) > 1000 and (math.isinf(got) or got == 0 or math.isnan(got)):
            raise AssertionError(
                f"on {what} you returned {got!r}: the product of so many probabilities underflows "
                f"to {product!r}. Work in log space: sum the logs, then exponentiate once")
        if math.isclose(got, float(np.exp(-np.sum(np.log(probs)))), rel_tol=1e-9):
            raise AssertionError(f"on {what} you returned {got:.4g}: take the mean of the negative "
                                 "log-probabilities, not their sum (perplexity is per token)")
        if math.isclose(got, float(2 ** (-np.mean(np.log(probs)))), rel_tol=1e-9):
            raise AssertionError(f"on {what} you returned {got:.4g}: natural logs go with exp, "
                                 "log2 with 2**; you mixed the two")
        if math.isclose(got, float(np.mean(1 / probs)), rel_tol=1e-9):
            raise AssertionError(f"on {what} you returned {got:.4g}, the mean of 1/p: perplexity is "
                                 "the geometric mean of 1/p, exp(mean(-log p))")
        raise AssertionError(f"on {what} the perplexity should be {expected:.4f}, got {got!r}")
    _passed("perplexity is exp(mean(-log p)), computed in log space.")
