"""Checkers of the RNN cost chapter: right solutions pass, wrong ones are named."""

import numpy as np
import pytest

from rnnlib import checks


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def nll(logits, targets):
    return -np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)[..., 0]


def good_loss(logits, targets, mask):
    return nll(logits, targets)[mask].mean()


def test_masked_cross_entropy_checker(capsys):
    checks.check_masked_cross_entropy(good_loss)
    assert "ignoring padding" in capsys.readouterr().out


def naive_log_softmax_loss(logits, targets, mask):
    p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return -np.log(np.take_along_axis(p, targets[..., None], axis=-1)[..., 0])[mask].mean()


@pytest.mark.parametrize("wrong, message", [
    (lambda z, y, m: nll(z, y).mean(), "padding included"),
    (lambda z, y, m: nll(z, y)[m].sum(), "divide by their number"),
    (lambda z, y, m: (nll(z, y) * m).mean(), "divide by mask.sum"),
    (lambda z, y, m: np.mean([nll(z, y)[b][m[b]].mean() for b in range(3)]), "each sequence first"),
    (naive_log_softmax_loss, "thousands"),
])
def test_masked_cross_entropy_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_masked_cross_entropy(wrong)


def good_clip(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


def elementwise_clip(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
    for g in grads.values():
        np.clip(g, -max_norm, max_norm, out=g)
    return norm


def per_array_clip(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
    for g in grads.values():
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return norm


def rebinding_clip(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
    for g in grads.values():
        g = g * max_norm / norm   # noqa: F841  (the classic mistake: a new local array)
    return norm


def test_clip_checker(capsys):
    checks.check_clip_by_global_norm(good_clip)
    assert "direction" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (elementwise_clip, "each element"),
    (per_array_clip, "separately"),
    (rebinding_clip, "in place"),
    (lambda grads, max_norm: None, "return the global norm"),
])
def test_clip_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_clip_by_global_norm(wrong)
