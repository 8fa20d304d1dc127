"""Checkers for the chapter on the cost of RNNs: masked cross-entropy, gradient clipping."""

from __future__ import annotations

import numpy as np

from .. import ops
from ._common import number as _number, call as _call, passed as _passed
from ._common import rng as _rng


def _masked_case(seed=3):
    rng = _rng(seed)
    batch, T, C = 3, 5, 4
    logits = rng.normal(size=(batch, T, C))
    targets = rng.integers(0, C, size=(batch, T))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    targets[~mask] = 0                     # padding positions hold the pad id, 0: a real class
    return logits, targets, mask


def check_masked_cross_entropy(masked_cross_entropy) -> None:
    """Check ``masked_cross_entropy(logits, targets, mask) -> float``.

    ``logits`` is ``(batch, T, C)``, ``targets`` ``(batch, T)`` ints, ``mask`` ``(batch, T)``
    bool; the result is the mean over the real (mask True) positions of
    :math:`-\\log \\operatorname{softmax}(z)_{y}`.
    """
    logits, targets, mask = _masked_case()
    nll = -np.take_along_axis(ops.log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    expected = nll[mask].mean()
    got = _call(masked_cross_entropy, logits.copy(), targets.copy(), mask.copy(),
                what="3 sequences of lengths 5, 3 and 1, padded to 5")
    try:
        got = float(got)
    except (TypeError, ValueError):
        raise AssertionError(f"masked_cross_entropy should return a number, got {type(got).__name__}") from None
    if np.isclose(got, expected, rtol=1e-9):
        big = logits * 1000
        nll_big = -np.take_along_axis(ops.log_softmax(big), targets[..., None], axis=-1)[..., 0]
        with np.errstate(all="ignore"):
            got_big = _call(masked_cross_entropy, big, targets.copy(), mask.copy(),
                            what="logits in the thousands")
        if not np.isclose(float(got_big), nll_big[mask].mean(), rtol=1e-9):
            raise AssertionError("with logits in the thousands your loss is wrong or not finite: "
                                 "compute log-softmax as z - max(z) - log(sum(exp(z - max(z))))")
        _passed("the mean cross-entropy over the real tokens, ignoring padding.")
        return
    diagnoses = [
        (nll.mean(), "you averaged over every position, padding included: average over the "
                     "real tokens only (mask True)"),
        (nll[mask].sum(), "you summed over the real tokens: divide by their number"),
        (nll[mask].sum() / mask.shape[0], "you divided by the number of sequences: this book "
                                          "averages over the real tokens"),
        (np.mean([nll[b][mask[b]].mean() for b in range(mask.shape[0])]),
         "you averaged each sequence first, then the sequences: a token of a short sequence then "
         "weighs more; average over all real tokens at once"),
        ((nll * mask).mean(), "you zeroed the padding but still divided by every position: "
                              "divide by mask.sum()"),
    ]
    for wrong, message in diagnoses:
        if np.isclose(got, wrong, rtol=1e-9):
            raise AssertionError(message)
    raise AssertionError("the loss is wrong: take -log softmax(logits)[target] at each real "
                         "position (softmax over the last axis, the classes), then average")


def check_clip_by_global_norm(clip_by_global_norm) -> None:
    """Check ``clip_by_global_norm(grads, max_norm) -> norm``: in-place global rescaling.

    ``grads`` is a dict of arrays; if their joint L2 norm exceeds ``max_norm``, every array is
    multiplied by ``max_norm / norm`` in place; the norm before clipping is returned.
    """
    rng = _rng(4)
    original = {"W_hh": rng.normal(size=(4, 4)) * 10, "W_hx": rng.normal(size=(4, 3)), "b_h": rng.normal(size=4)}
    norm = float(np.sqrt(sum((g ** 2).sum() for g in original.values())))
    grads = {k: v.copy() for k, v in original.items()}
    returned = _call(clip_by_global_norm, grads, 1.0, what="gradients of global norm "
                     f"{norm:.1f} and max_norm = 1")
    if returned is None:
        raise AssertionError(f"return the global norm before clipping ({norm:.3f} here), got None")
    if not np.isclose(_number(returned, "clip_by_global_norm"), norm, rtol=1e-9):
        raise AssertionError(f"return the global norm before clipping ({norm:.3f} here), got {returned!r}")
    if all(np.allclose(grads[k], original[k]) for k in grads):
        raise AssertionError("the gradients were not changed: scale the arrays in place "
                             "(g *= factor), do not rebind new arrays to local names")
    new_norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
    clipped_each = {k: np.clip(v, -1, 1) for k, v in original.items()}
    if all(np.allclose(grads[k], clipped_each[k]) for k in grads):
        raise AssertionError("you clipped each element to [-max_norm, max_norm]: that changes the "
                             "direction of the gradient. Rescale all arrays by one factor, "
                             "max_norm / global_norm")
    per_array = all(np.isclose(np.linalg.norm(grads[k]), min(1.0, np.linalg.norm(original[k])))
                    for k in grads)
    if per_array and not np.isclose(new_norm, 1.0):
        raise AssertionError("you clipped each array to norm max_norm separately: the norm to "
                             "clip is that of all the gradients together")
    if not np.isclose(new_norm, 1.0, rtol=1e-9):
        raise AssertionError(f"after clipping the global norm should be max_norm = 1, got {new_norm:.4f}")
    for k in grads:
        if not np.allclose(grads[k], original[k] / norm):
            raise AssertionError("the clipped gradients should keep their direction: multiply every "
                                 "array by the same factor max_norm / global_norm")
    small = {k: v / (10 * norm) for k, v in original.items()}
    kept = {k: v.copy() for k, v in small.items()}
    _call(clip_by_global_norm, kept, 1.0, what="gradients whose norm is already below max_norm")
    if not all(np.allclose(kept[k], small[k]) for k in kept):
        raise AssertionError("gradients whose norm is already below max_norm must be left unchanged")
    _passed("global-norm clipping rescales all gradients together and keeps their direction.")
