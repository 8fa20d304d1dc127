"""N-gram models: hand-computed values, sum-to-one for every method, a naive reference."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnnlib.ngram import SMOOTHINGS, NGramLM
from rnnlib.text import BOS, EOS, UNK, Vocab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from naive_ngram import NaiveKneserNey  # noqa: E402

# Toy corpus for the values computed by hand below. Padded for a bigram model:
#   <s> a b </s>      <s> b a b </s>
# bigram counts: (<s> a)=1 (a b)=2 (b </s>)=2 (<s> b)=1 (b a)=1; outcomes: <unk> a b </s>.
TOY = [["a", "b"], ["b", "a", "b"]]


def fitted(order, smoothing, corpus=TOY, **options):
    return NGramLM(order, smoothing, **options).fit(corpus)


def test_mle_by_hand():
    lm = fitted(2, "mle")
    assert lm.prob("b", ["a"]) == pytest.approx(1.0)          # c(a b)/c(a) = 2/2
    assert lm.prob("a", ["b"]) == pytest.approx(1 / 3)        # c(b a)/c(b) = 1/3
    assert lm.prob(EOS, ["b"]) == pytest.approx(2 / 3)
    assert lm.prob("a", [BOS]) == pytest.approx(1 / 2)
    # unigram MLE over the 7 predicted tokens: a 2, b 3, </s> 2
    assert fitted(1, "mle").prob("b") == pytest.approx(3 / 7)


def test_add_k_by_hand():
    lm = fitted(2, "add_k")                                      # k = 1, |O| = 4
    assert lm.prob("b", ["a"]) == pytest.approx((2 + 1) / (2 + 4))
    assert lm.prob("a", ["a"]) == pytest.approx(1 / 6)
    assert fitted(2, "add_k", k=0.5).prob("a", ["b"]) == pytest.approx(1.5 / (3 + 2))
    # an unseen context gets the uniform distribution
    assert lm.prob("a", ["zzz"]) == pytest.approx(1 / 4)


def test_interpolated_by_hand():
    lm = fitted(2, "interpolated", lambdas=(0.5, 0.8))
    p1_a = 0.5 * 2 / 7 + 0.5 * 1 / 4
    assert lm.prob("a", ["b"]) == pytest.approx(0.8 * 1 / 3 + 0.2 * p1_a)


def test_kneser_ney_by_hand():
    lm = fitted(2, "kneser_ney", discount=0.5)
    # Continuation counts N1+(. w): a 2 (after <s>, b), b 2 (after a, <s>), </s> 1; 5 types.
    # gamma at the unigram level = 3 * 0.5 / 5 = 0.3, shared with the uniform 1/4.
    p1 = {"a": 1.5 / 5 + 0.3 / 4, "b": 1.5 / 5 + 0.3 / 4, EOS: 0.5 / 5 + 0.3 / 4, UNK: 0.3 / 4}
    for w, p in p1.items():
        assert fitted(1, "kneser_ney", discount=0.5).prob(w) != pytest.approx(p)  # top order: raw counts
    assert lm.prob("b", ["a"]) == pytest.approx(1.5 / 2 + 0.25 * p1["b"])       # gamma(a) = 0.5/2
    assert lm.prob(EOS, ["b"]) == pytest.approx(1.5 / 3 + (1 / 3) * p1[EOS])   # gamma(b) = 2*0.5/3
    assert lm.prob("a", ["b"]) == pytest.approx(0.5 / 3 + (1 / 3) * p1["a"])
    assert lm.prob(UNK, ["a"]) == pytest.approx(0.25 * p1[UNK])


def test_modified_discounts_follow_chen_and_goodman():
    lm = NGramLM(2)
    values = np.array([1] * 10 + [2] * 5 + [3] * 3 + [4] * 2 + [9], dtype=float)
    y = 10 / (10 + 2 * 5)
    np.testing.assert_allclose(lm._discounts_for(values),
                               [0, 1 - 2 * y * 5 / 10, 2 - 3 * y * 3 / 5, 3 - 4 * y * 2 / 3])
    unmodified = NGramLM(2, modified=False)._discounts_for(values)
    np.testing.assert_allclose(unmodified, [0, y, y, y])


def test_counts_of_counts_are_what_the_discounts_are_estimated_from():
    sentences = [list("abracadabra"), list("abba"), list("cabbage"), list("banana")]
    lm = NGramLM(3).fit(sentences)
    for order in (1, 2, 3):
        n1, n2, n3, n4 = lm.counts_of_counts(order)
        if min(n1, n2, n3, n4) == 0:
            continue                                   # the fallback to one discount
        y = n1 / (n1 + 2 * n2)
        np.testing.assert_allclose(lm.discounts[order][1:],
                                   np.clip([1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3], 0, [1, 2, 3]))
    raw = NGramLM(2, "mle").fit(sentences)
    padded = [[BOS] + s + [EOS] for s in sentences]
    bigrams = {(s[i], s[i + 1]) for s in padded for i in range(len(s) - 1)}
    assert raw.counts_of_counts(2, up_to=1)[0] == sum(raw.count(g) == 1 for g in bigrams)
    with pytest.raises(ValueError, match="order must be"):
        lm.counts_of_counts(4)
    with pytest.raises(ValueError, match="up_to"):
        lm.counts_of_counts(1, up_to=0)


def test_uniform_model_has_perplexity_equal_to_number_of_outcomes():
    lm = fitted(1, "interpolated", lambdas=(0.0,))
    assert len(lm.outcomes) == 4
    assert lm.perplexity([["a", "b", "b"], ["zzz"]]) == pytest.approx(4.0)


def test_mle_unseen_event_gives_infinite_perplexity_and_says_so():
    lm = fitted(2, "mle")
    result = lm.evaluate([["a", "a"]])
    assert result.perplexity == math.inf and result.n_zero == 2 and result.n_tokens == 3  # a|a, </s>|a
    assert lm.logprob("a", ["a"]) == -math.inf


def test_unknown_words_score_as_unk():
    lm = fitted(2, "kneser_ney")
    assert lm.prob("never-seen", ["a"]) == lm.prob(UNK, ["a"])
    assert lm.evaluate([["a", "zz", "yy"]]).n_oov == 2


def test_counts_and_sizes():
    lm = fitted(3, "kneser_ney", corpus=TOY * 2)
    assert lm.count(["a", "b"]) == 4 and lm.count(["b"]) == 6 and lm.count([BOS, "b", "a"]) == 2
    assert lm.count(["b", "b"]) == 0
    assert lm.num_ngrams() == {1: 3, 2: 5, 3: 6}
    assert lm.nbytes > 0


def test_generate_is_reproducible_and_stops_at_end_marker():
    lm = fitted(2, "kneser_ney", corpus=TOY * 3)
    a = lm.generate(np.random.default_rng(1), max_tokens=50)
    assert a == lm.generate(np.random.default_rng(1), max_tokens=50)
    assert EOS not in a and len(a) < 50
    assert len(lm.generate(np.random.default_rng(1), max_tokens=2)) <= 2


# ---------------------------------------------------------------- sums to one
WORDS = st.sampled_from(list("abcde"))
CORPUS = st.lists(st.lists(WORDS, min_size=0, max_size=6), min_size=1, max_size=8).filter(
    lambda c: sum(map(len, c)) > 0)


def _model(order, smoothing, corpus):
    options = {"lambdas": np.linspace(0.3, 0.9, order)} if smoothing == "interpolated" else {}
    return NGramLM(order, smoothing, **options).fit(corpus)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@settings(max_examples=40, deadline=None)
@given(corpus=CORPUS, order=st.integers(1, 4), context=st.lists(
    st.sampled_from(list("abcdez") + [BOS, EOS, UNK]), min_size=3, max_size=3))
def test_every_method_sums_to_one_in_seen_and_unseen_contexts(smoothing, corpus, order, context):
    lm = _model(order, smoothing, corpus)
    contexts = [context[3 - (order - 1):] if order > 1 else []]
    contexts += [[BOS] * (order - 1)]                       # a context seen in training
    for ctx in contexts:
        p = lm.distribution(ctx)
        assert p.shape == (len(lm.outcomes),) and np.all(p >= 0)
        assert abs(p.sum() - 1) < 1e-9
        assert lm.prob(lm.outcomes[-1], ctx) == pytest.approx(p[-1], abs=1e-15)


def test_sums_to_one_on_a_larger_corpus():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    corpus = [list(rng.choice(words, size=rng.integers(1, 12), p=np.arange(1, 41) / 820))
              for _ in range(300)]
    for smoothing in SMOOTHINGS:
        lm = NGramLM(3, smoothing).fit(corpus)
        for _ in range(20):
            ctx = list(rng.choice(words + [BOS], size=2))
            assert abs(lm.distribution(ctx).sum() - 1) < 1e-9, smoothing


def test_kneser_ney_matches_naive_reference():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    corpus = [list(rng.choice(words, size=rng.integers(1, 15), p=np.arange(1, 31) / 465))
              for _ in range(400)]
    for order in (1, 2, 3, 4):
        lm = NGramLM(order).fit(corpus)
        ref = NaiveKneserNey(order, corpus)
        for _ in range(200):
            ctx = [str(t) for t in rng.choice(words + [BOS, "unseen"], size=order - 1)]
            w = str(rng.choice(words + [EOS, "unseen"]))
            assert lm.prob(w, ctx) == pytest.approx(ref.prob(w, ctx), rel=1e-12), (order, ctx, w)


def test_interpolation_weights_from_em_improve_heldout_likelihood():
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(20)]
    make = lambda n: [list(rng.choice(words, size=8)) for _ in range(n)]
    train, heldout = make(300), make(100)
    tuned = NGramLM(2, "interpolated").fit(train, heldout=heldout)
    assert tuned.lambdas.shape == (2,) and np.all((0 <= tuned.lambdas) & (tuned.lambdas <= 1))
    for other in [(0.5, 0.5), (0.9, 0.9), (0.1, 0.9), (0.99, 0.2)]:
        fixed = NGramLM(2, "interpolated", lambdas=other).fit(train)
        assert tuned.perplexity(heldout) <= fixed.perplexity(heldout) + 1e-9
    # Without held-out sentences, every 10th training sentence is used for tuning.
    assert NGramLM(2, "interpolated").fit(train).lambdas.shape == (2,)


def test_shared_vocabulary():
    vocab = Vocab.build(TOY, specials=(UNK, BOS, EOS))
    lm = NGramLM(2, vocab=vocab).fit([["a"]])
    assert lm.outcomes == (UNK, EOS, "b", "a")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("args, kwargs, error, match", [
    ((0,), {}, ValueError, "order must be an int >= 1, got 0"),
    ((2.5,), {}, ValueError, "order must be an int"),
    ((2, "witten_bell"), {}, ValueError, "unknown smoothing 'witten_bell'"),
    ((2, "add_k"), {"k": 0}, ValueError, "k must be a number > 0"),
    ((2, "kneser_ney"), {"k": 1}, TypeError, "unexpected \\['k'\\]"),
    ((2, "interpolated"), {"lambdas": (0.5,)}, ValueError, "lambdas must be 2 weights"),
    ((2,), {"vocab": Vocab(["a"], specials=(UNK,))}, ValueError, "missing"),
])
def test_bad_construction(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        NGramLM(*args, **kwargs)


def test_bad_corpora():
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM(2).fit([])
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM(2).fit([[], []])
    with pytest.raises(TypeError, match=r"sentences\[1\]\[0\] must be a str token, got int"):
        NGramLM(2).fit([["a"], [1, 2]])
    with pytest.raises(TypeError, match="forget to tokenize"):
        NGramLM(2).fit(["to be or not to be"])
    with pytest.raises(ValueError, match="too few sentences"):
        NGramLM(2, "interpolated").fit(TOY)


def test_bad_queries():
    lm = fitted(3, "kneser_ney")
    with pytest.raises(ValueError, match="needs a context of exactly 2 tokens, got 1"):
        lm.prob("a", ["b"])
    with pytest.raises(ValueError, match="exactly 2 tokens, got 3"):
        lm.prob("a", ["a", "b", "a"])
    with pytest.raises(TypeError, match="context must be a sequence of tokens, got a str"):
        lm.prob("a", "a b")
    with pytest.raises(TypeError, match="word must be a str"):
        lm.prob(3, ["a", "b"])
    with pytest.raises(ValueError, match="never predicted"):
        lm.prob(BOS, ["a", "b"])
    with pytest.raises(RuntimeError, match="not been fitted"):
        NGramLM(2).prob("a", ["b"])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        lm.generate(42)


def test_counts_of_every_order_from_one_model():
    lm = fitted(3, "mle", corpus=TOY * 2)
    contexts, targets = lm.encode([["a", "b", "zz"]])
    np.testing.assert_array_equal(lm.counts_ids(contexts, targets), [2, 2, 0, 0])   # <s><s>a, <s>ab
    np.testing.assert_array_equal(lm.counts_ids(contexts[:, 1:], targets), [2, 4, 0, 0])
    np.testing.assert_array_equal(lm.counts_ids(contexts[:, :0], targets), [4, 6, 0, 4])
    with pytest.raises(ValueError, match="up to 3 tokens"):
        lm.counts_ids(np.zeros((4, 3), int), targets)
