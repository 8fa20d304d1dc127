"""Checkers for the chapter on perplexity: perplexity over padded sequences (building on
:func:`rnnlib.checks.ch03_ngrams.check_perplexity`, which checks a flat array of
probabilities), and the conversion of a perplexity between two tokenizations of one text.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np

from ._common import diagnose as _diagnose, number as _number, call as _call, passed as _passed
from ._common import rng as _rng
from .ch03_ngrams import check_perplexity as _check_flat_perplexity


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
