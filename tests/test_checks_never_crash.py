"""A checker never crashes on a broken submission: whatever the student's function returns or
does (garbage, NaN, sys.exit()), the checker fails with an AssertionError that says so."""

import sys

import numpy as np
import pytest

from rnnlib import checks
from rnnlib.ngram import NGramLM
from rnnlib.text import BOS, EOS, UNK, Vocab


def _stringified_bigrams(sentences):
    """The right bigram dict, with every probability written as a string."""
    vocab = Vocab.build(sentences, specials=(UNK, BOS, EOS))
    lm = NGramLM(2, "mle", vocab=vocab).fit(sentences)
    out = {}
    for sentence in sentences:
        padded = [BOS, *sentence, EOS]
        for prev, word in zip(padded, padded[1:]):
            out[(prev, word)] = str(lm.prob(word, (prev,)))
    return out


BROKEN = [
    (checks.check_clip_by_global_norm, lambda g, m: "x", "one number"),
    (checks.check_clip_by_global_norm, lambda g, m: object(), "one number"),
    (checks.check_rnn_param_count, lambda a, b, c: {}, "whole number"),
    (checks.check_rnn_param_count, lambda a, b, c: np.arange(3), "whole number"),
    (checks.check_gru_param_count, lambda a, b: float("nan"), "whole number"),
    (checks.check_stack_param_count, lambda a, b, c: float("inf"), "whole number"),
    (checks.check_lm_param_count, lambda *a: float("nan"), "whole number"),
    (checks.check_bigram_mle, _stringified_bigrams, "probability"),
    (checks.check_sigmoid, lambda z: sys.exit(3), r"sys\.exit"),
]


@pytest.mark.parametrize("check, broken, message", BROKEN)
def test_a_broken_submission_fails_with_a_message_not_a_crash(check, broken, message):
    with pytest.raises(AssertionError, match=message):
        check(broken)
