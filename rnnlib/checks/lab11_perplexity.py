"""Checkers for the lab on calculating perplexity (11.1): the log-perplexity of a batch of
distributions, and a model's perplexity accumulated over batches.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ngram import NGramLM
from ..text import BOS, EOS, UNK, Vocab
from ._common import diagnose as _diagnose, number as _number, call as _call, passed as _passed
from ._common import rng as _rng


# ---------------------------------------------------------------- lab: log-perplexity of a batch
def _distribution_case(seed: int = 5):
    rng = _rng(seed)
    batch, T, V = 3, 6, 5                 # V < T, so indexing the wrong axis runs without error
    log_probs = ops.log_softmax(rng.normal(scale=1.5, size=(batch, T, V)))
    mask = np.arange(T)[None, :] < np.array([6, 4, 1])[:, None]
    targets = rng.integers(0, V, size=(batch, T))
    targets[~mask] = 0                     # padding holds the pad id 0, which is a real class
    return log_probs, targets, mask


def check_log_perplexity(log_perplexity) -> None:
    """Check ``log_perplexity(log_probs, targets, mask) -> float``.

    ``log_probs`` ``(batch, T, V)`` are normalised log-probabilities (classes on the last
    axis), ``targets`` ``(batch, T)`` ints, ``mask`` ``(batch, T)`` bool; the result is the
    log of the token-weighted perplexity, :math:`-\\frac{1}{N}\\sum_{\\text{real}}
    \\log p(\\text{target})` in nats.
    """
    name = getattr(log_perplexity, "__name__", "your function")
    log_probs, targets, mask = _distribution_case()
    what = "3 sequences of 6, 4 and 1 real tokens, padded to 6, over V = 5 classes"
    got = _number(_call(log_perplexity, log_probs.copy(), targets.copy(), mask.copy(), what=what), name)
    nll = -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    expected = float(nll[mask].mean())
    wrong_axis = -np.take_along_axis(log_probs, targets[..., None], axis=1)[..., 0]
    every_target = -log_probs[:, :, targets]                      # (batch, T, batch, T)
    per_seq = np.array([nll[b][mask[b]].mean() for b in range(3)])
    diagnoses = [
        (float(nll.mean()), "you averaged over every position, padding included: average over "
                            "the real tokens only (mask True)"),
        (float((nll * mask).mean()), "you zeroed the padding but still divided by every position: "
                                     "divide by mask.sum()"),
        (float(wrong_axis[mask].mean()), "you picked the targets along the wrong axis (axis 1, "
                                         "time): the classes are on the last axis, "
                                         "np.take_along_axis(log_probs, targets[..., None], axis=-1)"),
        (float(every_target.mean()), "log_probs[:, :, targets] takes every target at every "
                                     "position (shape (batch, T, batch, T)); pick one class per "
                                     "position with np.take_along_axis(..., axis=-1)"),
        (float(every_target[np.broadcast_to(mask, every_target.shape)].mean()),
         "log_probs[:, :, targets] takes every target at every position (shape (batch, T, batch, "
         "T)); pick one class per position with np.take_along_axis(..., axis=-1)"),
        (float(per_seq.mean()), "you averaged each sequence first, then the sequences: a token of "
                                "a short sequence then weighs more; average over all real tokens at once"),
        (math.log(np.mean(np.exp(per_seq))), "you took the log of the mean of the per-sequence "
                                             "perplexities: that is not the token-weighted "
                                             "perplexity; average the log-probabilities of all "
                                             "real tokens"),
        (math.exp(expected), "you returned the perplexity: this function returns its log, the "
                             "mean negative log-probability"),
        (float(nll[mask].sum()), "you summed over the real tokens: divide by their number"),
        (-expected, "the sign is wrong: the log-perplexity is MINUS the mean log-probability (>= 0)"),
        (expected / math.log(2), "you returned bits (log base 2): this function returns nats"),
    ]
    _diagnose(got, expected, diagnoses, what,
              f"the log-perplexity should be {expected:.4f} nats, got {got!r}: take "
              "-log_probs[b, t, targets[b, t]] at each real position, then average")

    uniform = np.full((2, 4, 7), -math.log(7))
    targets_u = np.tile(np.arange(4) % 7, (2, 1))
    mask_u = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=bool)
    got = _number(_call(log_perplexity, uniform, targets_u, mask_u,
                        what="a uniform model over 7 classes"), name)
    if not math.isclose(got, math.log(7), rel_tol=1e-9):
        raise AssertionError(f"a uniform model over 7 classes has perplexity 7, so log-perplexity "
                             f"ln 7 = {math.log(7):.4f}; got {got!r}")
    _passed("mean negative log-probability of the targets over the real tokens (nats).")


# ---------------------------------------------------------------- lab: a model's perplexity
_TRAIN = [s.split() for s in [
    "to be or not to be", "to sleep perchance to dream", "the rest is silence",
    "good night sweet prince", "to be honest as this world goes", "the play is the thing",
    "frailty thy name is woman", "brevity is the soul of wit", "the lady doth protest too much",
    "something is rotten in the state of denmark", "get thee to a nunnery", "to thine own self be true",
]]


_HELD_OUT = [s.split() for s in [
    "to be", "the rest is not silence", "sweet prince", "this is the thing to be",
    "o", "the soul of the play is wit and the rest is silence", "good night",
    "thy name", "to dream of denmark",
]]


def _reference_model():
    vocab = Vocab.build(_TRAIN, specials=(UNK, BOS, EOS))
    return NGramLM(2, "kneser_ney", vocab=vocab).fit(_TRAIN)


def check_model_perplexity(model_perplexity) -> None:
    """Check ``model_perplexity(lm, sentences, batch_size) -> float``.

    ``lm`` is a fitted :class:`rnnlib.ngram.NGramLM`, ``sentences`` a list of tokenized
    sentences; the function scores them ``batch_size`` sentences at a time and returns the
    perplexity of all of them together, exactly ``lm.evaluate(sentences).perplexity``.
    """
    name = getattr(model_perplexity, "__name__", "your function")
    lm = _reference_model()
    order = _rng(21).permutation(len(_HELD_OUT))       # another order when graded
    sentences = [list(_HELD_OUT[i]) for i in order]
    expected = lm.evaluate(sentences).perplexity
    contexts, targets = lm.encode(sentences)
    lp = np.log(lm.score_ids(contexts, targets))
    lengths = np.array([len(s) + 1 for s in sentences])            # words and one </s>
    per_sentence = np.split(-lp, np.cumsum(lengths)[:-1])
    for batch_size in (2, 4, len(sentences), 1):
        what = (f"{len(sentences)} held-out sentences of {lengths.min() - 1} to {lengths.max() - 1} "
                f"words, batch_size={batch_size}")
        got = _number(_call(model_perplexity, lm, [list(s) for s in sentences], batch_size,
                            what=what), name)
        batches = [slice(i, i + batch_size) for i in range(0, len(sentences), batch_size)]
        batch_loss = np.array([np.concatenate(per_sentence[b]).mean() for b in batches])
        padded_count = sum(len(lengths[b]) * lengths[b].max() for b in batches)
        seq_ppl = np.exp([nll.mean() for nll in per_sentence])
        diagnoses = [
            (float(np.mean(np.exp(batch_loss))),
             "you averaged exp(batch loss) over the batches: the mean of exponentials is larger "
             "than the exponential of the mean (Jensen's inequality). Sum the negative "
             "log-probabilities and count the tokens over all batches; exponentiate once at the end"),
            (math.exp(batch_loss.mean()),
             "you averaged the batch losses without weighting them: batches hold different numbers "
             "of tokens. Sum the negative log-probabilities and count the tokens over all batches"),
            (float(seq_ppl.mean()),
             "you returned the mean of the per-sentence perplexities: that is a different number. "
             "The perplexity of a text averages the log-probabilities of all its tokens first"),
            (math.exp(-lp.sum() / (lengths.sum() - len(sentences))),
             "you divided by the number of words, but the model also predicted one </s> per "
             "sentence: count every prediction"),
            (math.exp(-lp.sum() / padded_count),
             "you counted the padding positions as tokens: count the real predictions only"),
            (-lp.mean(), "you returned the cross-entropy (nats per token): exponentiate it"),
        ]
        if batch_size == 1:
            # one sentence per batch: the first and third coincide, and all three are
            # per-sentence mistakes that the larger batches have already named
            diagnoses = diagnoses[3:]
        _diagnose(got, expected, diagnoses, what,
                  f"the perplexity should be {expected:.4f} (lm.evaluate(sentences).perplexity), "
                  f"got {got!r}")
    _passed("the perplexity of the whole text, accumulated exactly over batches.")
