"""Checkers for the practice assignment (comedy or tragedy?): vocabulary, lengths, padding,
ReLU, dense layer, masked mean pooling, the classifier's forward pass, a training epoch and
the evaluation.

The cases are small and are not printed; when a function is wrong, the message names the
mistake when it recognises it (padding counted in the mean, transposed weights, a mask the
wrong way round...) in words a student can act on, without printing the expected arrays.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .. import ops
from ..layers import (dense_backward, dense_forward, embedding_backward, embedding_forward,
                      mean_pool_backward, mean_pool_forward)
from ..losses import binary_cross_entropy_with_logits
from ._common import call as _call, passed as _passed
from ._common import rng as _rng

__all__ = ["check_build_vocab", "check_max_length", "check_pad_truncate", "check_relu",
           "check_dense_forward", "check_mean_pool", "check_classifier_forward",
           "check_train_epoch", "check_evaluate"]

_PAD, _UNK = "<pad>", "<unk>"


def _numpy_array(value, name: str) -> np.ndarray:
    if isinstance(value, (list, tuple)):
        raise AssertionError(f"{name} should be a numpy array, got a {type(value).__name__}; "
                             "build it with numpy (np.array, np.zeros, ...)")
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name} should be a numpy array, got {type(value).__name__}")
    return value


def _shape(arr: np.ndarray, name: str, shape, hint: str = "") -> None:
    if arr.shape != tuple(shape):
        raise AssertionError(f"{name} should have shape {tuple(shape)}, got {arr.shape}"
                             + (f": {hint}" if hint else ""))


def _append_hint(exc: AssertionError, hint: str) -> AssertionError:
    return AssertionError(f"{exc} -- {hint}")


# ------------------------------------------------------------------ exercise: vocabulary
# Hidden cases: a word repeated inside one sequence (total counts differ from the number of
# sequences containing it), words exactly at min_count, ties broken alphabetically.
_VOCAB_CASES = [
    ([["o", "death", "death", "death"], ["death", "is", "near"], ["love", "is", "o", "love"],
      ["sweet", "love"], ["near", "o"], ["o", "sweet"]], 2),
    ([["hey", "nonny", "nonny"], ["the", "rain", "it", "raineth"], ["the", "rain"],
      ["hey", "ho"], ["the", "wind", "and", "the", "rain"]], 1),
    ([["a", "b", "c", "a"], ["c", "b", "d"], ["d", "e", "a"], ["b", "b"]], 3),
]


def _vocab_reference(sequences, min_count):
    counts = Counter(t for seq in sequences for t in seq)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return {_PAD: 0, _UNK: 1, **{w: i + 2 for i, w in enumerate(words)}}, counts


def _drawn_vocab_case(rng):
    """One more corpus, drawn (new inputs when graded, so no answer can be stored)."""
    words = ["thy", "love", "night", "o", "sweet", "death", "day", "star"]
    return [[str(w) for w in rng.choice(words, size=int(rng.integers(1, 7)))]
            for _ in range(8)], 2


def check_build_vocab(build_vocab) -> None:
    """Check ``build_vocab(token_lists, min_count) -> dict[str, int]``.

    ``"<pad>"`` gets id 0, ``"<unk>"`` id 1, then every token seen at least ``min_count``
    times in all the lists together, by decreasing count (ties alphabetical), ids 2, 3, ...
    """
    for sequences, min_count in _VOCAB_CASES + [_drawn_vocab_case(_rng(17))]:
        what = f"a corpus of {len(sequences)} short token lists with min_count={min_count}"
        original = [list(s) for s in sequences]
        got = _call(build_vocab, [list(s) for s in sequences], min_count, what=what)
        expected, counts = _vocab_reference(sequences, min_count)
        if not isinstance(got, dict):
            raise AssertionError(f"build_vocab should return a dict mapping each token to its id, "
                                 f"got {type(got).__name__}")
        if got.get(_PAD) != 0 or got.get(_UNK) != 1:
            raise AssertionError(f"'<pad>' must have id 0 and '<unk>' id 1 (got {got.get(_PAD)!r} and "
                                 f"{got.get(_UNK)!r}): put the two special tokens first")
        ids = sorted(got.values()) if all(isinstance(i, (int, np.integer)) for i in got.values()) else None
        if ids != list(range(len(got))):
            raise AssertionError("the ids should be the integers 0, 1, ..., len(vocab) - 1, each used "
                                 "once: number the tokens in order, with no gaps and no repeats")
        words = set(got) - {_PAD, _UNK}
        wanted = set(expected) - {_PAD, _UNK}
        in_sequences = Counter(t for seq in sequences for t in set(seq))
        by_sequences = sorted((w for w, c in in_sequences.items() if c >= min_count),
                              key=lambda w: (-in_sequences[w], w))
        if got != expected and (words != wanted and words == set(by_sequences)
                                or [w for w in sorted(words, key=got.get)] == by_sequences):
            raise AssertionError("you counted in how many token lists a word appears; count every "
                                 "occurrence instead (a word said three times in one speech counts 3)")
        if words - set(counts):
            raise AssertionError("your vocabulary holds tokens that are not in the corpus: build it "
                                 "from the tokens of the lists (not their characters or the lists)")
        at_threshold = {w for w in wanted if counts[w] == min_count}
        if at_threshold and not (at_threshold & words) and words == wanted - at_threshold:
            raise AssertionError(f"a token seen exactly min_count={min_count} times is missing: keep "
                                 "every token seen *at least* min_count times (>=, not >)")
        rare = words - wanted
        if rare:
            raise AssertionError(f"tokens seen fewer than min_count={min_count} times are in your "
                                 "vocabulary: leave them out, they will be encoded as '<unk>'")
        missing = wanted - words
        if missing:
            raise AssertionError(f"{len(missing)} token(s) seen at least min_count={min_count} times "
                                 f"are missing from your vocabulary (on {what})")
        if got != expected:
            first_seen = list(dict.fromkeys(t for seq in sequences for t in seq))
            if [w for w in sorted(words, key=got.get)] == [w for w in first_seen if w in words]:
                raise AssertionError("your ids follow the order in which tokens first appear; sort "
                                     "by decreasing count instead, ties alphabetically: "
                                     "sorted(words, key=lambda w: (-counts[w], w))")
            raise AssertionError("the right tokens, but in the wrong order: after the two specials, "
                                 "ids go by decreasing count, ties alphabetically")
        if [list(s) for s in sequences] != original:
            raise AssertionError("build_vocab changed the token lists it was given; only read them")
    _passed("vocabulary with <pad> = 0, <unk> = 1, tokens seen >= min_count times by decreasing count.")


# ------------------------------------------------------------------ exercise: max length
def _smallest_covering(lengths, coverage):
    lengths = np.sort(np.asarray(lengths))
    need = math.ceil(coverage * len(lengths) - 1e-9)
    return int(lengths[max(need, 1) - 1])


_LENGTH_CASES = [
    ([3, 9, 4, 1, 12, 7, 4, 5, 30, 6], 1.0),
    ([3, 9, 4, 1, 12, 7, 4, 5, 30, 6], 0.9),
    ([3, 9, 4, 1, 12, 7, 4, 5, 30, 6], 0.95),
    ([5, 2, 8, 8, 3, 1, 40, 6, 2, 9, 11, 4, 7, 3, 5, 6, 2, 8, 3, 100], 0.75),
    ([2, 2, 3, 17], 0.5),
]


def check_max_length(max_length) -> None:
    """Check ``max_length(token_lists, coverage) -> int``.

    The smallest length ``L`` such that at least a share ``coverage`` of the lists have at
    most ``L`` tokens; with ``coverage=1.0``, the length of the longest list.
    """
    word = "thou art more lovely".split()
    drawn = [int(n) for n in _rng(18).integers(1, 40, size=12)]   # new inputs when graded
    for lengths, coverage in _LENGTH_CASES + [(drawn, 0.75)]:
        sequences = [(word * 30)[:n] for n in lengths]
        what = f"{len(lengths)} token lists with coverage={coverage}"
        got = _call(max_length, [list(s) for s in sequences], coverage, what=what)
        expected = _smallest_covering(lengths, coverage)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            if isinstance(got, (float, np.floating)) and float(got).is_integer():
                hint = "convert it with int(...)"
            else:
                hint = ("a length is a whole number of tokens: take it from the sorted lengths, "
                        "not from an interpolated percentile")
            raise AssertionError(f"max_length should return an int, got {type(got).__name__} {got!r}: {hint}")
        got = int(got)
        chars = [len(" ".join(s)) for s in sequences]
        if got == max(chars) or got == _smallest_covering(chars, coverage):
            raise AssertionError("you measured lengths in characters: the length of a token list is "
                                 "its number of tokens, len(tokens)")
        share = float(np.mean(np.asarray(lengths) <= got))
        if coverage < 1 and got == max(lengths) != expected:
            raise AssertionError(f"with coverage={coverage} you returned the length of the longest "
                                 "list: use coverage, so that the few very long lists are truncated")
        if share < coverage - 1e-9:
            raise AssertionError(f"with coverage={coverage}, only {share:.0%} of the lists have at most "
                                 f"{got} tokens; at least {coverage:.0%} should")
        if got != expected:
            raise AssertionError(f"with coverage={coverage}, {got} is long enough but not the smallest "
                                 "such length: a shorter L also covers enough lists")
    _passed("max_length returns the smallest length that covers the requested share of lists.")


# ------------------------------------------------------------------ exercise: pad and truncate
def check_pad_truncate(pad_truncate) -> None:
    """Check ``pad_truncate(id_lists, max_len, pad_id) -> (ids, mask)``.

    ``ids`` is an int array of shape ``(batch, max_len)``: each list's first ``max_len`` ids,
    then ``pad_id`` up to ``max_len``; ``mask`` (bool, same shape) is True on real tokens.
    """
    cases = [
        ([[4, 8, 15], [16, 23, 42, 7, 9, 11], [5]], 4, 0),      # short, long and very short
        ([[3, 1], [2, 2, 9]], 5, 7),                           # all shorter; pad_id is not 0
        ([[6, 5, 4, 3, 2, 1], [9, 8, 7, 6, 5, 4]], 3, 1),      # all longer
    ]
    rng = _rng(19)                                             # one more, new when graded
    cases.append(([[int(i) for i in rng.integers(1, 50, size=int(rng.integers(1, 9)))]
                   for _ in range(4)], 5, 0))
    for lists, max_len, pad_id in cases:
        what = f"{len(lists)} lists of ids, max_len={max_len}, pad_id={pad_id}"
        given = [list(s) for s in lists]
        got = _call(pad_truncate, given, max_len, pad_id, what=what)
        if given != lists:
            raise AssertionError("pad_truncate changed the lists it was given (did you append the "
                                 "padding to them?); build new rows and leave the input alone")
        if not (isinstance(got, tuple) and len(got) == 2):
            raise AssertionError("pad_truncate should return a tuple (ids, mask)")
        ids, mask = _numpy_array(got[0], "ids"), _numpy_array(got[1], "mask")
        longest = max(map(len, lists))
        if ids.shape == (len(lists), longest) and longest != max_len:
            raise AssertionError(f"ids has shape {ids.shape}: its width is the longest list, but every "
                                 f"row must have exactly max_len = {max_len} columns, whether the "
                                 "lists are shorter or longer")
        _shape(ids, "ids", (len(lists), max_len), "one row per list, max_len columns")
        _shape(mask, "mask", (len(lists), max_len), "the same shape as ids")
        if ids.dtype.kind not in "iu":
            raise AssertionError(f"ids should hold integers (they index the embedding table), got "
                                 f"dtype {ids.dtype}: create it with dtype=int")
        if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
            raise AssertionError("mask should be True (1) on real tokens and False (0) on padding")
        mask = mask.astype(bool)
        expected_mask = np.array([[t < len(s) for t in range(max_len)] for s in lists])
        expected = np.array([(s + [pad_id] * max_len)[:max_len] for s in lists])
        if np.array_equal(mask, ~expected_mask):
            raise AssertionError("mask is the wrong way round: it should be True on real tokens and "
                                 "False on padding")
        if pad_id != 0 and np.any(ids[~expected_mask] == 0):
            raise AssertionError(f"the padding is 0, but pad_id is {pad_id}: fill with the pad_id "
                                 "argument, not a fixed number")
        left = np.array([([pad_id] * max_len + s[:max_len])[-max_len:] for s in lists])
        if np.array_equal(ids, left) and not np.array_equal(ids, expected):
            raise AssertionError("the padding is at the front of the rows; put the real tokens first "
                                 "and the padding after them (at the end of each row)")
        tail = np.array([(s[-max_len:] + [pad_id] * max_len)[:max_len] for s in lists])
        if np.array_equal(ids, tail) and not np.array_equal(ids, expected):
            raise AssertionError("a list longer than max_len keeps its last tokens; keep its first "
                                 "max_len tokens (s[:max_len])")
        if not np.array_equal(ids, expected):
            raise AssertionError(f"ids has the right shape but wrong values (on {what}): each row "
                                 "should be the list's first max_len ids, followed by pad_id")
        if not np.array_equal(mask, expected_mask):
            if np.array_equal(mask, ids != 0) or np.array_equal(mask, ids != pad_id):
                raise AssertionError("mask was computed from the ids' values; compute it from the "
                                     "lengths (True for the first min(len, max_len) positions)")
            raise AssertionError(f"mask has the right shape but wrong values (on {what}): it should "
                                 "be True exactly where ids holds a real token")
    _passed("pad_truncate pads at the end with pad_id, keeps the first max_len tokens, and masks padding.")


# ------------------------------------------------------------------ exercise: ReLU
def check_relu(relu) -> None:
    """Check ``relu(z) -> ndarray``: :math:`\\max(z, 0)` element-wise, any shape."""
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -7.0]])
    given = z.copy()
    got = _call(relu, given, what="a (2, 3) array with negative, zero and positive entries")
    if not np.array_equal(given, z):
        raise AssertionError("relu changed its input array in place (z[z < 0] = 0 writes into the "
                             "caller's data); return a new array, e.g. np.maximum(z, 0)")
    if np.ndim(got) == 0 or (isinstance(got, np.ndarray) and got.shape != z.shape
                             and got.shape in [(3,), (2,)]):
        raise AssertionError(f"relu returned shape {np.shape(got)} instead of {z.shape}: np.max reduces "
                             "an array to its largest value (along an axis); the element-wise "
                             "maximum with 0 is np.maximum(z, 0)")
    got = _numpy_array(got, "relu(z)")
    _shape(got, "relu(z)", z.shape, "relu works element-wise and keeps the shape")
    if got.dtype == bool:
        raise AssertionError("relu returned booleans (the mask z > 0); return the values max(z, 0)")
    if np.allclose(got, np.abs(z)):
        raise AssertionError("relu(-2) should be 0, not 2: negative inputs become 0, not their "
                             "absolute value")
    if np.allclose(got, (z > 0).astype(float)):
        raise AssertionError("relu returned 1 for every positive input: that is its derivative; "
                             "relu(z) is z itself where z > 0")
    if np.any(got < 0):
        raise AssertionError("relu returned negative values: every negative input should become 0")
    if not np.allclose(got, np.maximum(z, 0)):
        raise AssertionError("relu should return z where z > 0 and 0 elsewhere; some values differ")
    big = np.full((4, 5, 6), -1.0)
    big[1, 2, 3] = 2.5
    got = _numpy_array(_call(relu, big.copy(), what="a (4, 5, 6) array"), "relu(z)")
    _shape(got, "relu(z) on a (4, 5, 6) array", big.shape, "relu must work for any shape")
    if not np.allclose(got, np.maximum(big, 0)):
        raise AssertionError("relu is wrong on a 3-D array: it must work element-wise for any shape")
    drawn = _rng(23).normal(size=(3, 4))                 # new values when graded
    got = _numpy_array(_call(relu, drawn.copy(), what="a (3, 4) array of random values"), "relu(z)")
    if got.shape != drawn.shape or not np.allclose(got, np.maximum(drawn, 0)):
        raise AssertionError("relu is wrong on a (3, 4) array of random values: it should return z "
                             "where z > 0 and 0 elsewhere")
    _passed("relu is max(z, 0) element-wise, for any shape, and leaves its input unchanged.")


# ------------------------------------------------------------------ exercise: dense forward
def check_dense_forward(dense_forward_fn) -> None:
    """Check ``dense_forward(x, W, b) -> y`` with ``y = x @ W.T + b``.

    ``x`` is ``(batch, n_in)``, ``W`` is ``(n_out, n_in)`` (shaped like the math), ``b`` is
    ``(n_out,)``, ``y`` is ``(batch, n_out)``.
    """
    rng = _rng(11)
    hint = "weights are (n_out, n_in), so the layer computes y = x @ W.T + b"
    for batch, n_in, n_out in [(5, 3, 3), (4, 6, 2), (1, 2, 5)]:
        x = rng.normal(size=(batch, n_in))
        W = rng.normal(size=(n_out, n_in))
        b = rng.normal(size=n_out) + 1.0
        what = f"x of shape {x.shape}, W of shape {W.shape}, b of shape {b.shape}"
        try:
            got = _call(dense_forward_fn, x.copy(), W.copy(), b.copy(), what=what)
        except AssertionError as exc:
            if any(s in str(exc) for s in ("matmul", "shapes", "align", "broadcast")):
                raise _append_hint(exc, hint) from None
            raise
        got = _numpy_array(got, "dense_forward(x, W, b)")
        expected = x @ W.T + b
        if got.shape == (n_out, batch) and batch != n_out:
            raise AssertionError(f"the output has shape {got.shape}, one column per example: the "
                                 f"batch comes first, (batch, n_out) = {(batch, n_out)}; {hint}")
        _shape(got, "y", (batch, n_out), hint)
        if n_in == n_out and np.allclose(got, x @ W + b):
            raise AssertionError(f"you used W where W.T is needed (x @ W): {hint}. With a square W "
                                 "the shapes work either way, but the result is wrong")
        if np.allclose(got, x @ W.T):
            raise AssertionError("the bias is missing: add b to every row, y = x @ W.T + b")
        if np.allclose(got, np.maximum(expected, 0)) or np.allclose(got, ops.sigmoid(expected)):
            raise AssertionError("the dense layer is affine: return x @ W.T + b without an activation; "
                                 "the activation is a separate step")
        if not np.allclose(got, expected):
            raise AssertionError(f"y has the right shape but wrong values on {what}: {hint}")
    _passed("dense_forward computes x @ W.T + b with W shaped (n_out, n_in).")


# ------------------------------------------------------------------ exercise: masked mean pool
def _pool_case():
    rng = _rng(5)
    lengths = np.array([4, 1, 6, 2])
    batch, time, dim = len(lengths), 6, 3
    x = rng.normal(size=(batch, time, dim))
    mask = np.arange(time)[None, :] < lengths[:, None]
    x[~mask] = 5.0 + rng.normal(size=(int((~mask).sum()), dim))   # padding vectors far from 0
    return x, mask, lengths


def check_mean_pool(mean_pool) -> None:
    """Check ``mean_pool(x, mask) -> (batch, dim)``: the mean of the real positions only.

    ``x`` is ``(batch, time, dim)``; ``mask`` is bool ``(batch, time)``, True on real tokens.
    """
    x, mask, lengths = _pool_case()
    batch, time, dim = x.shape
    what = f"x of shape {x.shape} and a mask with {lengths.tolist()} real tokens per row"
    got = _call(mean_pool, x.copy(), mask.copy(), what=what)
    got = _numpy_array(got, "mean_pool(x, mask)")
    if got.shape == (time, dim):
        raise AssertionError(f"the output has shape {got.shape}: you averaged over the batch (axis 0); "
                             "average over time (axis 1) to get one vector per example")
    if got.shape == (batch, time):
        raise AssertionError(f"the output has shape {got.shape}: you averaged over the features "
                             "(axis 2); average over time (axis 1)")
    _shape(got, "mean_pool(x, mask)", (batch, dim), "one vector of size dim per example")
    expected, _ = mean_pool_forward(x, mask)
    real_sum = (x * mask[:, :, None]).sum(axis=1)
    if np.allclose(got, x.mean(axis=1)):
        raise AssertionError("padding is counted in the mean: you averaged over all time steps, so "
                             "every padded position pulls the average towards the padding vector. "
                             "Sum x over the real positions only (where mask is True) and divide "
                             "by the number of real tokens of each row")
    if np.allclose(got, real_sum / time):
        raise AssertionError("you zeroed the padding but divided by the full length (time steps "
                             "including padding): divide by the number of real tokens of each row, "
                             "mask.sum(axis=1)")
    if np.allclose(got, real_sum):
        raise AssertionError("you summed the real vectors but did not divide: divide each row's sum "
                             "by its number of real tokens")
    if np.allclose(got, real_sum / mask.sum()):
        raise AssertionError("you divided by the number of real tokens in the whole batch; divide "
                             "each row by its own count, mask.sum(axis=1, keepdims=True)")
    if not np.allclose(got, expected):
        raise AssertionError(f"the shape is right but the values are not the mean of the real "
                             f"positions (on {what})")
    _passed("mean_pool averages over the real tokens only; padding does not count.")


# ------------------------------------------------------------------ exercise: classifier
def _classifier_case(n_in, n_hidden, rng):
    vocab, batch, time = 12, 5, 7
    params = {"embed": {"E": rng.normal(size=(vocab, n_in))},
              "dense1": {"W": rng.normal(size=(n_hidden, n_in)), "b": rng.normal(size=n_hidden)},
              "dense2": {"W": rng.normal(size=(1, n_hidden)), "b": rng.normal(size=1)}}
    params["embed"]["E"][0] = 3.0                     # the <pad> row: far from the others
    lengths = np.array([7, 2, 4, 1, 5])
    mask = np.arange(time)[None, :] < lengths[:, None]
    ids = np.where(mask, rng.integers(1, vocab, size=(batch, time)), 0)
    return params, ids, mask


def _classifier_variants(params, ids, mask):
    """The right logits and those of the classic mistakes, keyed by mistake."""
    E = params["embed"]["E"]
    W1, b1 = params["dense1"]["W"], params["dense1"]["b"]
    W2, b2 = params["dense2"]["W"], params["dense2"]["b"]
    x = E[ids]
    m = mask[:, :, None]
    mean = (x * m).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    out = {}

    def head(u, act=True, tw1=False):
        z1 = u @ (W1 if tw1 else W1.T) + b1
        h = np.maximum(z1, 0) if act else z1
        return (h @ W2.T + b2)[:, 0]

    out["right"] = head(mean)
    out["padding counted"] = head(x.mean(axis=1))
    out["sum"] = head((x * m).sum(axis=1))
    out["no relu"] = head(mean, act=False)
    if W1.shape[0] == W1.shape[1]:
        out["transposed"] = head(mean, tw1=True)
    return out


def check_classifier_forward(classifier_forward) -> None:
    """Check ``classifier_forward(params, ids, mask) -> probabilities, shape (batch,)``.

    Embedding, masked mean pooling, dense, ReLU, dense to one logit, sigmoid. ``params`` has
    ``"embed": {"E": (vocab, d)}``, ``"dense1": {"W": (n_h, d), "b": (n_h,)}`` and
    ``"dense2": {"W": (1, n_h), "b": (1,)}``; the result is the probability of class 1.
    """
    rng = _rng(3)
    hint = "weights are (out, in), so each dense layer computes x @ W.T + b"
    for n_in, n_hidden in [(4, 4), (3, 5)]:
        params, ids, mask = _classifier_case(n_in, n_hidden, rng)
        what = (f"ids of shape {ids.shape}, embeddings of size {n_in}, {n_hidden} hidden units")
        copy = {k: {n: a.copy() for n, a in v.items()} for k, v in params.items()}
        try:
            got = _call(classifier_forward, copy, ids.copy(), mask.copy(), what=what)
        except AssertionError as exc:
            if any(s in str(exc) for s in ("matmul", "shapes", "align")):
                raise _append_hint(exc, hint) from None
            raise
        got = _numpy_array(got, "classifier_forward(params, ids, mask)")
        batch = ids.shape[0]
        if got.shape == (batch, 1):
            raise AssertionError(f"the output has shape {got.shape}; return one probability per "
                                 "example, shape (batch,): take the single column with [:, 0]")
        _shape(got, "the probabilities", (batch,), "one probability per example")
        variants = _classifier_variants(params, ids, mask)
        for mistake, logits in variants.items():
            if mistake != "right" and np.allclose(got, ops.sigmoid(logits)):
                raise AssertionError({
                    "padding counted": "padding is counted in the mean: the probabilities match a "
                                       "model that averages the embeddings over all time steps, "
                                       "<pad> included. Average over the real tokens only (mask)",
                    "sum": "the pooled vector is the sum of the embeddings, not their mean: divide "
                           "by the number of real tokens",
                    "no relu": "the ReLU between the two dense layers is missing",
                    "transposed": f"the first dense layer uses W instead of W.T: {hint}",
                }[mistake])
        right = variants["right"]
        if np.allclose(got, right):
            raise AssertionError("you returned the logits; apply the sigmoid to get probabilities")
        if np.allclose(got, ops.sigmoid(-right)):
            raise AssertionError("these are the probabilities of class 0; return sigmoid(logit), the "
                                 "probability of class 1")
        if np.any(got < 0) or np.any(got > 1):
            raise AssertionError("some outputs are outside [0, 1]; the last step is the sigmoid")
        if not np.allclose(got, ops.sigmoid(right)):
            raise AssertionError(f"the probabilities are wrong on {what}: check each step, embedding "
                                 "-> masked mean -> dense -> ReLU -> dense -> sigmoid")
    _passed("classifier_forward: embedding -> masked mean -> dense -> ReLU -> dense -> sigmoid.")


# ------------------------------------------------------------------ exercise: training epoch
class _Recorder:
    """A toy model's loss_and_grads that records every batch it is called with."""

    def __init__(self, ids, mask, y):
        self.index = {row.tobytes(): i for i, row in enumerate(ids)}
        self.n = len(ids)
        self.batches = []
        self.losses = []

    def __call__(self, params, ids, mask, y):
        ids = np.asarray(ids)
        rows = [self.index.get(np.asarray(r, dtype=np.int64).tobytes(), -1) for r in ids]
        self.batches.append(rows)
        e, c1 = embedding_forward(ids, params["embed"])
        u, c2 = mean_pool_forward(e, mask)
        z, c3 = dense_forward(u, params["dense"])
        loss, dz = binary_cross_entropy_with_logits(z[:, 0], np.asarray(y))
        du, g3 = dense_backward(dz[:, None], c3)
        g1 = embedding_backward(mean_pool_backward(du, c2), c1)
        self.losses.append(loss)
        return loss, {"embed": g1, "dense": g3}


def _toy_problem():
    """64 sequences; class 1 iff token 1 is more frequent than token 2. Rows are unique."""
    rng = _rng(21)
    n, time, vocab = 64, 6, 8
    while True:
        lengths = rng.integers(2, time + 1, size=n)
        mask = np.arange(time)[None, :] < lengths[:, None]
        ids = np.where(mask, rng.integers(1, vocab, size=(n, time)), 0).astype(np.int64)
        y = ((ids == 1).sum(1) > (ids == 2).sum(1)).astype(int)
        if len({r.tobytes() for r in ids}) == n and 0.3 < y.mean() < 0.7:
            return ids, mask, y, vocab


def _toy_params(vocab):
    rng = _rng(4)
    return {"embed": {"E": 0.1 * rng.normal(size=(vocab, 4))},
            "dense": {"W": 0.1 * rng.normal(size=(1, 4)), "b": np.zeros(1)}}


def check_train_epoch(train_epoch) -> None:
    """Check ``train_epoch(params, loss_and_grads, ids, mask, y, optimizer, batch_size, rng)``.

    One pass over the data in a random order (``rng.permutation``), in mini-batches of at
    most ``batch_size`` examples: for each, ``loss, grads = loss_and_grads(params, ids_b,
    mask_b, y_b)`` and ``optimizer.step(params, grads)``. Returns the list of batch losses.
    The check trains a small model on a toy problem for several epochs.
    """
    from ..optim import Adam

    ids, mask, y, vocab = _toy_problem()
    n, batch_size, epochs = len(ids), 10, 15
    n_batches = math.ceil(n / batch_size)

    def run(seed):
        params = _toy_params(vocab)
        record = _Recorder(ids, mask, y)
        optimizer = Adam(lr=0.05)
        rng = _rng(seed)
        results = []
        for epoch in range(epochs):
            before = len(record.batches)
            out = _call(train_epoch, params, record, ids.copy(), mask.copy(), y.copy(), optimizer,
                        batch_size, rng, what=f"a toy problem of {n} examples, batch_size={batch_size}")
            results.append((out, record.batches[before:], record.losses[before:]))
        return params, results

    initial = _toy_params(vocab)
    params, results = run(seed=0)
    out, batches, losses = results[0]
    if out is None:
        raise AssertionError("train_epoch returned None; return the list of the batch losses")
    try:
        out = [float(v) for v in out]
    except (TypeError, ValueError):
        raise AssertionError("train_epoch should return a list of floats, the loss of each batch") from None
    if not batches:
        raise AssertionError("train_epoch never called loss_and_grads")
    sizes = [len(b) for b in batches]
    if max(sizes) > batch_size:
        raise AssertionError(f"a batch had {max(sizes)} examples, more than batch_size={batch_size}"
                             + (": you passed the whole data set at once; split it into mini-batches"
                                if max(sizes) == n else ""))
    if -1 in {i for b in batches for i in b}:
        raise AssertionError("loss_and_grads received rows that are not rows of ids; index ids, mask "
                             "and y with the same batch of example indices")
    seen = Counter(i for b in batches for i in b)
    if len(seen) < n:
        dropped = n - len(seen)
        extra = (" (the last, smaller batch is missing: loop up to n, not n - batch_size)"
                 if dropped == n % batch_size else "")
        raise AssertionError(f"{dropped} of the {n} examples were never used in an epoch{extra}: "
                             "one epoch visits every example once")
    if max(seen.values()) > 1:
        raise AssertionError("some examples were used more than once in one epoch: take the "
                             "batches from one permutation, rng.permutation(n), without overlap")
    if len(batches) != n_batches:
        raise AssertionError(f"{n} examples in batches of {batch_size} make {n_batches} batches, "
                             f"got {len(batches)}")
    if len(out) != len(batches):
        raise AssertionError(f"train_epoch returned {len(out)} losses for {len(batches)} batches: "
                             "return one loss per batch")
    if not np.allclose(out, losses):
        raise AssertionError("the returned losses are not those loss_and_grads computed; return the "
                             "loss of each batch, in order")
    orders = [[i for b in r[1] for i in b] for r in results]
    if orders[0] == list(range(n)):
        raise AssertionError("the examples come in their stored order; shuffle them with "
                             "rng.permutation(n) at the start of the epoch")
    if all(o == orders[0] for o in orders):
        raise AssertionError("the examples come in the same order every epoch; draw a new "
                             "rng.permutation(n) at the start of each epoch")
    _, again = run(seed=0)
    if [[i for b in r[1] for i in b] for r in again] != orders:
        raise AssertionError("two runs with the same rng gave different orders: shuffle with the rng "
                             "argument (rng.permutation), not np.random, so that runs are reproducible")
    if all(np.array_equal(params[k][n_], initial[k][n_]) for k in params for n_ in params[k]):
        raise AssertionError("the parameters never changed: call optimizer.step(params, grads) after "
                             "each batch")
    first = np.mean(results[0][2])
    last = np.mean(results[-1][2])
    if not last < first:
        raise AssertionError(f"the mean batch loss went from {first:.3f} in the first epoch to "
                             f"{last:.3f} in the last: training does not lower the loss")
    e, _ = embedding_forward(ids, params["embed"])
    u, _ = mean_pool_forward(e, mask)
    z, _ = dense_forward(u, params["dense"])
    accuracy = float(np.mean((z[:, 0] > 0) == y))
    if accuracy < 0.85:
        raise AssertionError(f"after {epochs} epochs the toy model classifies only {accuracy:.0%} of its "
                             "training examples correctly (at least 85% expected): check that each "
                             "batch's ids, mask and y belong together")
    _passed(f"train_epoch shuffles, visits every example once in mini-batches, and training "
            f"lowers the loss (toy problem: {accuracy:.0%} correct).")


# ------------------------------------------------------------------ exercise: evaluation
def check_evaluate(evaluate) -> None:
    """Check ``evaluate(probs, labels) -> (accuracy, confusion)``.

    Predict class 1 where the probability is above 0.5. ``accuracy`` is the share of correct
    predictions (a float in [0, 1]); ``confusion`` is a (2, 2) int array whose entry
    ``[i, j]`` counts the examples of true class ``i`` predicted as class ``j``.
    """
    probs = np.array([0.9, 0.2, 0.7, 0.4, 0.6, 0.1, 0.8, 0.3, 0.95, 0.45, 0.65])
    labels = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0])
    order = _rng(20).permutation(len(probs))           # another order when graded
    probs, labels = probs[order], labels[order]
    pred = (probs > 0.5).astype(int)
    expected = np.zeros((2, 2), dtype=int)
    np.add.at(expected, (labels, pred), 1)
    acc = float(np.mean(pred == labels))
    got = _call(evaluate, probs.copy(), labels.copy(), what=f"{len(probs)} fixed predictions")
    if not (isinstance(got, tuple) and len(got) == 2):
        raise AssertionError("evaluate should return a tuple (accuracy, confusion)")
    accuracy, confusion = got
    if not isinstance(accuracy, (float, np.floating)) or isinstance(accuracy, bool):
        raise AssertionError(f"accuracy should be a float, got {type(accuracy).__name__}")
    confusion = _numpy_array(confusion, "confusion")
    _shape(confusion, "confusion", (2, 2), "rows are the true class, columns the predicted class")
    if math.isclose(accuracy, 100 * acc):
        raise AssertionError("accuracy should be a share in [0, 1], not a percentage")
    if math.isclose(accuracy, 1 - acc):
        raise AssertionError("accuracy is the share of *correct* predictions; yours is the error rate"
                             " -- or the threshold is the wrong way round: predict 1 where p > 0.5")
    if np.array_equal(confusion, expected[::-1, ::-1]):
        raise AssertionError("the confusion matrix has its classes the wrong way round: predict 1 "
                             "(tragedy) where the probability is above 0.5, and put class 0 first")
    if not math.isclose(accuracy, acc, abs_tol=1e-9):
        raise AssertionError("the accuracy is wrong: it is the share of examples whose prediction "
                             "(p > 0.5) equals the label")
    if confusion.dtype.kind == "f" and np.allclose(confusion, expected / expected.sum()):
        raise AssertionError("the confusion matrix should hold counts of examples, not shares")
    if np.array_equal(confusion, expected.T):
        raise AssertionError("the confusion matrix is transposed: row i is the true class i, "
                             "column j the predicted class j")
    if not np.array_equal(confusion, expected):
        raise AssertionError("the confusion matrix is wrong: entry [i, j] counts the examples of "
                             "true class i predicted as class j")
    if not math.isclose(float(np.trace(confusion)) / confusion.sum(), accuracy):
        raise AssertionError("accuracy and confusion matrix disagree: accuracy is the trace over "
                             "the total")
    _passed("evaluate: accuracy at threshold 0.5, confusion matrix with true classes in rows.")
