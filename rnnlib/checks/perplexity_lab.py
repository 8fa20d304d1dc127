"""Checkers for the perplexity chapter and its lab.

``check_masked_perplexity`` builds on :func:`rnnlib.checks.ngrams.check_perplexity` (which
checks a flat array of probabilities) and adds padding and sequences; the others check the
log-perplexity of a batch of distributions, a model's perplexity accumulated over batches, and
the conversion of a perplexity between two tokenizations of the same text.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np

from .. import ops
from ..ngram import NGramLM
from ..text import BOS, EOS, UNK, Vocab
from ._common import _diagnose, _number, call as _call, passed as _passed
from ._common import rng as _rng
from .ngrams import check_perplexity as _check_flat_perplexity


def _padded_case(seed: int = 11):
    """Three sequences of 6, 4 and 1 real tokens; target log-probabilities and mask."""
    rng = _rng(seed)
    mask = np.arange(6)[None, :] < np.array([6, 4, 1])[:, None]
    token_lp = np.log(rng.uniform(0.02, 0.9, size=mask.shape))
    token_lp[2, 0] = np.log(0.01)          # the short sequence is hard: its weight matters
    return token_lp, mask


# ---------------------------------------------------------------- chapter: masked perplexity
def check_masked_perplexity(masked_perplexity) -> None:
    """Check ``masked_perplexity(token_lp, mask) -> float``.

    ``token_lp`` ``(batch, T)`` holds the natural log-probability of each target, ``mask``
    ``(batch, T)`` is True on real tokens; the result is the token-weighted perplexity
    :math:`\\exp(-\\frac{1}{N}\\sum_{\\text{real}} \\log p)`, whatever the padding holds.
    """
    name = getattr(masked_perplexity, "__name__", "your function")
    token_lp, mask = _padded_case()
    zero_padded = np.where(mask, token_lp, 0.0)
    what = "3 sequences of 6, 4 and 1 real tokens, padded to 6 with log p = 0"
    got = _number(_call(masked_perplexity, zero_padded.copy(), mask.copy(), what=what), name)
    nll = -token_lp[mask]
    expected = math.exp(nll.mean())
    per_seq = np.array([-token_lp[b][mask[b]].mean() for b in range(3)])
    diagnoses = [
        (math.exp(-zero_padded.mean()), "you averaged over every position, padding included: "
                                        "padded positions are not tokens; divide by mask.sum()"),
        (float(np.mean(np.exp(per_seq))), "you returned the mean of the per-sequence "
                                          "perplexities: the standard perplexity averages the "
                                          "log-probabilities of all real tokens first, then "
                                          "exponentiates once"),
        (math.exp(per_seq.mean()), "you averaged each sequence first, then the sequences: a token "
                                   "of a short sequence then weighs more; average over all real "
                                   "tokens at once"),
        (nll.mean(), "you returned the cross-entropy (the log of the perplexity): exponentiate it"),
        (math.exp(nll.sum()), "you summed the negative log-probabilities: take their mean"),
        (math.exp(-nll.mean()), "the sign is wrong: perplexity is exp(MINUS the mean log-probability), "
                                "which is at least 1"),
        (2 ** nll.mean(), "natural logs go with exp, log2 with 2**; you mixed the two"),
    ]
    _diagnose(got, expected, diagnoses, what,
              f"the perplexity should be {expected:.4f}, got {got!r}")

    nan_padded = np.where(mask, token_lp, np.nan)
    what = "the same sequences with NaN at the padded positions"
    with np.errstate(all="ignore"):
        got = _number(_call(masked_perplexity, nan_padded, mask.copy(), what=what), name)
    if math.isnan(got):
        raise AssertionError(f"on {what} you returned NaN: the values at padded positions must "
                             "never be read. Multiplying by the mask does not remove NaN "
                             "(NaN * 0 is NaN): select the real tokens with token_lp[mask] or "
                             "np.where(mask, token_lp, 0)")
    _diagnose(got, expected, [], what, f"the perplexity should be {expected:.4f}, got {got!r}")

    def on_one_sequence(probs):
        lp = np.log(probs)[None, :]
        return masked_perplexity(lp, np.ones(lp.shape, dtype=bool))

    on_one_sequence.__name__ = name
    try:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            _check_flat_perplexity(on_one_sequence)
    except AssertionError as error:
        raise AssertionError(f"on one sequence without padding (token_lp = np.log(probs)[None, :]): "
                             f"{error}") from None
    _passed("token-weighted perplexity over the real tokens; padding is never read.")


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


# ---------------------------------------------------------------- converting between tokenizations
def check_rescale_perplexity(rescale_perplexity) -> None:
    """Check ``rescale_perplexity(ppl, n_tokens_from, n_tokens_to) -> float``.

    The same text has ``n_tokens_from`` tokens in the tokenization ``ppl`` was measured in and
    ``n_tokens_to`` in the other; the total log-probability is the same, so
    :math:`\\mathrm{PP}_{\\text{to}} = \\mathrm{PP}_{\\text{from}}^{N_{\\text{from}}/N_{\\text{to}}}`.
    """
    name = getattr(rescale_perplexity, "__name__", "your function")
    cases = [
        (4.0, 450, 100, "a per-character perplexity of 4 over 450 characters, to 100 words"),
        (512.0, 100, 450, "a per-word perplexity of 512 over 100 words, to 450 characters"),
        (3.2, 449_228, 107_728, "a per-character perplexity of 3.2 over 449,228 characters, "
                                "to 107,728 words"),
        (1.0, 7, 3, "a perplexity of 1 (a model that is always certain and right)"),
    ]
    for ppl, n_from, n_to, what in cases:
        got = _number(_call(rescale_perplexity, ppl, n_from, n_to, what=what), name)
        expected = math.exp(math.log(ppl) * n_from / n_to)
        diagnoses = [
            (ppl ** (n_to / n_from), "the exponent is upside down: the total log-probability "
                                     "log(PP_from) * n_from is shared, so divide it by n_to"),
            (ppl * n_from / n_to, "perplexity does not scale linearly: the total negative "
                                  "log-probability, n_from * log(PP_from), is what both "
                                  "tokenizations share"),
            (ppl * n_to / n_from, "perplexity does not scale linearly: the total negative "
                                  "log-probability, n_from * log(PP_from), is what both "
                                  "tokenizations share"),
            (math.log(ppl) * n_from / n_to, "you returned the log of the answer: exponentiate"),
            (2 ** (math.log(ppl) * n_from / n_to), "natural logs go with exp, log2 with 2**; "
                                                   "you mixed the two"),
        ]
        if ppl != 1.0:
            _diagnose(got, expected, diagnoses, what,
                      f"the converted perplexity should be {expected:.4f}, got {got!r}")
        elif not math.isclose(got, 1.0, rel_tol=1e-12):
            raise AssertionError(f"on {what}: a perplexity of 1 stays 1 in any unit, got {got!r}")
    back = _number(_call(rescale_perplexity, _number(_call(rescale_perplexity, 6.0, 300, 70,
                                                           what="a round trip"), name), 70, 300,
                         what="a round trip"), name)
    if not math.isclose(back, 6.0, rel_tol=1e-9):
        raise AssertionError(f"converting 6.0 from 300 to 70 tokens and back should give 6.0, got {back!r}")
    _passed("PP_to = PP_from ** (n_from / n_to): the total log-probability is shared.")
