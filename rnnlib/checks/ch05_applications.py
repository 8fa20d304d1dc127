"""Checkers for the chapter on applications of RNNs: reading the state after the last real token
of a padded batch, and the temperature of a softmax used for sampling.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ._common import call as _call, passed as _passed
from ._common import rng as _rng
from ._common import array as _array, close as _close


# ----------------------------------------------------------------- the last real state
def check_last_real_state(last_real_state) -> None:
    """Check ``last_real_state(hs, mask) -> h_last``: the state after each sequence's last real token.

    ``hs`` is ``(batch, T, n_h)``, ``mask`` ``(batch, T)`` bool with the real tokens first
    (right padding); ``h_last[b]`` is ``hs[b, T_b - 1]`` with ``T_b = mask[b].sum()``.
    """
    rng = _rng(25)
    for lengths, T in [([5, 3, 1, 4], 6), ([6, 2, 6], 6)]:    # no full row, then full rows
        hs = rng.normal(size=(len(lengths), T, 3))
        mask = np.arange(T)[None, :] < np.array(lengths)[:, None]
        what = f"sequences of lengths {lengths} padded to T = {T}"
        try:
            got = _call(last_real_state, hs.copy(), mask.copy(), what=what)
        except AssertionError as error:
            if "out of bounds" in str(error):
                raise AssertionError(f"{error}. A sequence of T_b real tokens has its last one at "
                                     "index T_b - 1 (off by one)") from None
            raise
        got = _array(got, "last_real_state", what)
        idx = np.array(lengths)
        expected = hs[np.arange(len(lengths)), idx - 1]
        if _close(got, expected):
            continue
        if got.shape != expected.shape:
            raise AssertionError(f"the result should have shape (batch, n_h) = {expected.shape}, "
                                 f"got {got.shape}")
        diagnoses = [
            (hs[:, -1], "you took hs[:, -1], the state after the padding: for a short sequence the "
                        "RNN has read pad tokens since its last real one"),
            (hs[np.arange(len(lengths)), np.minimum(idx, T - 1)],
             "off by one: the last real token of a sequence of T_b tokens is at index T_b - 1"),
            (hs[:, 0], "you took the first state, hs[:, 0]; the last real one is at T_b - 1"),
            ((hs * mask[..., None]).sum(1) / mask.sum(1, keepdims=True),
             "you averaged the real states (mean pooling); take the last real one"),
        ]
        for wrong, message in diagnoses:
            if _close(got, wrong):
                raise AssertionError(f"{message} ({what})")
        raise AssertionError(f"wrong values on {what}: row b should be hs[b, mask[b].sum() - 1]")
    _passed("the state after each sequence's last real token, whatever the padding.")


# ----------------------------------------------------------------- temperature
def check_temperature_softmax(temperature_softmax) -> None:
    """Check ``temperature_softmax(logits, temperature) -> probs``: softmax(z / T) by rows.

    ``logits`` is ``(batch, V)``; each row of the result is a distribution over the ``V``
    tokens; it must stay finite for large logits and small temperatures.
    """
    rng = _rng(26)
    logits = rng.normal(scale=2.0, size=(3, 6))
    for tau in (1.0, 0.5, 2.0):
        what = f"logits of shape {logits.shape}, temperature={tau}"
        got = _array(_call(temperature_softmax, logits.copy(), tau, what=what),
                     "temperature_softmax", what)
        expected = ops.softmax(logits / tau, axis=-1)
        if _close(got, expected):
            continue
        if got.shape != expected.shape:
            raise AssertionError(f"the result should have the shape of logits {expected.shape}, "
                                 f"got {got.shape}")
        diagnoses = [
            (ops.softmax(logits * tau, axis=-1), "you multiplied the logits by the temperature; "
                                                  "divide them: a low temperature sharpens"),
            (ops.softmax(logits, axis=-1), "the temperature has no effect: divide the logits by it"),
            (np.exp(logits / tau), "the rows do not sum to 1: normalise by the sum over the tokens"),
            (ops.softmax(logits / tau, axis=0), "you normalised over the batch (axis 0); each row, a "
                                                "distribution over the tokens, must sum to 1"),
            (ops.softmax(logits, axis=-1) ** (1 / tau), "p ** (1 / temperature) must be "
                                                        "renormalised so each row sums to 1"),
        ]
        for wrong, message in diagnoses:
            if _close(got, wrong):
                raise AssertionError(f"{message} (on {what})")
        raise AssertionError(f"wrong probabilities on {what}: exp(z / T) / sum(exp(z / T)) by rows")
    big = np.array([[50.0, 49.0, 10.0], [-30.0, 0.0, 30.0]])
    with np.errstate(all="ignore"):
        got = _array(_call(temperature_softmax, big.copy(), 0.05, what="logits up to 50 and "
                           "temperature 0.05"), "temperature_softmax", "large logits")
    if not (np.all(np.isfinite(got)) and _close(got, ops.softmax(big / 0.05, axis=-1))):
        raise AssertionError("with logits up to 50 and temperature 0.05 (z / T up to 1000) your "
                             "result is wrong or not finite: subtract each row's maximum of z / T "
                             "before exp")
    _passed("softmax(logits / temperature) by rows, stable for large logits.")
