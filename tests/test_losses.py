"""Losses: values against the textbook formulas, stability, masking, gradients, errors."""

import math
import warnings

import numpy as np
import pytest

from rnnlib.gradcheck import check_gradients
from rnnlib.losses import binary_cross_entropy_with_logits, softmax_cross_entropy

TOL = 1e-7


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


# ----------------------------------------------------------------- binary cross-entropy
def test_bce_matches_the_probability_formula(rng):
    z = rng.normal(size=8) * 2
    y = (rng.random(8) < 0.5).astype(float)
    p = 1 / (1 + np.exp(-z))
    loss, dz = binary_cross_entropy_with_logits(z, y)
    assert loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    np.testing.assert_allclose(dz, (p - y) / 8, rtol=1e-12)
    assert binary_cross_entropy_with_logits(np.zeros(3), np.ones(3))[0] == pytest.approx(math.log(2))


def test_bce_is_stable_for_confident_logits():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([1, 0, 0, 1])                                  # two right, two badly wrong
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss, dz = binary_cross_entropy_with_logits(z, y)
    assert loss == pytest.approx(2 * 1000 / 4)                  # log(1 + e^1000) ~ 1000
    np.testing.assert_allclose(dz, [0, 0, 0.25, -0.25])


def test_bce_gradients(rng):
    z = rng.normal(size=(6, 2))
    y = rng.random((6, 2)) < 0.5
    loss, dz = binary_cross_entropy_with_logits(z, y)
    errors = check_gradients(lambda: binary_cross_entropy_with_logits(z, y)[0], {"logits": z},
                             {"logits": dz})
    assert errors["logits"] <= TOL, errors


def test_bce_dtype_and_errors():
    _, dz = binary_cross_entropy_with_logits(np.zeros(3, np.float32), np.ones(3))
    assert dz.dtype == np.float32
    with pytest.raises(ValueError, match=r"targets must have the shape of logits \(4,\), got \(4, 1\)"):
        binary_cross_entropy_with_logits(np.zeros(4), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"targets must be labels in \[0, 1\].*\[2\.0\]"):
        binary_cross_entropy_with_logits(np.zeros(2), np.array([1, 2]))
    with pytest.raises(ValueError, match="logits must be finite, got 1 NaN"):
        binary_cross_entropy_with_logits(np.array([0.0, np.nan]), np.zeros(2))
    with pytest.raises(TypeError, match="targets must be 0/1 labels"):
        binary_cross_entropy_with_logits(np.zeros(2), np.array(["a", "b"]))


# ----------------------------------------------------------------- softmax cross-entropy
def test_softmax_ce_matches_the_formula(rng):
    z = rng.normal(size=(5, 4))
    y = np.array([0, 3, 1, 1, 2])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss, dz = softmax_cross_entropy(z, y)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(5), y])), rel=1e-12)
    np.testing.assert_allclose(dz, (p - np.eye(4)[y]) / 5, rtol=1e-12, atol=1e-15)
    # uniform scores: the loss is log C, the perplexity is C
    assert softmax_cross_entropy(np.zeros((2, 7)), np.array([0, 6]))[0] == pytest.approx(math.log(7))


def test_softmax_ce_is_stable_for_large_logits():
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss, dz = softmax_cross_entropy(z, np.array([2, 0]))
    expected = (np.log(1 + np.exp(-1) + np.exp(-2)) + 2000) / 2
    assert loss == pytest.approx(expected)
    assert np.isfinite(dz).all()


def test_masked_mean_over_real_tokens(rng):
    z = rng.normal(size=(2, 4, 5))                              # (batch, time, C)
    y = np.array([[1, 4, 0, -1], [2, 2, 99, -7]])               # padding targets: anything
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    loss, dz = softmax_cross_entropy(z, y, mask)
    real_z, real_y = z[mask], y[mask]                           # the 5 real tokens
    assert loss == pytest.approx(softmax_cross_entropy(real_z, real_y)[0], rel=1e-12)
    np.testing.assert_array_equal(dz[~mask], 0)                 # no gradient on padding
    np.testing.assert_allclose(dz[mask], softmax_cross_entropy(real_z, real_y)[1])
    # padded logits do not matter at all
    z2 = z.copy()
    z2[~mask] = 1e3
    assert softmax_cross_entropy(z2, y, mask)[0] == loss
    # the documented conversion to the summed loss
    total = sum(-np.log(np.exp(z[b, t, y[b, t]]) / np.exp(z[b, t]).sum())
                for b, t in zip(*np.nonzero(mask)))
    assert loss * mask.sum() == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("masked", [False, True])
def test_softmax_ce_gradients(rng, masked):
    z = rng.normal(size=(3, 4, 6))
    y = rng.integers(0, 6, size=(3, 4))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], bool) if masked else None
    loss, dz = softmax_cross_entropy(z, y, mask)
    errors = check_gradients(lambda: softmax_cross_entropy(z, y, mask)[0], {"logits": z},
                             {"logits": dz})
    assert errors["logits"] <= TOL, errors


def test_softmax_ce_dtype_and_errors():
    _, dz = softmax_cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 1]))
    assert dz.dtype == np.float32
    z = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"targets must be in \[0, C\) = \[0, 4\) at real positions, "
                                         r"got 4 at index \(1, 2\)"):
        softmax_cross_entropy(z, np.array([[0, 1, 2], [3, 0, 4]]))
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 3\) \(logits shape \(2, 3, 4\) "
                                         r"without the class axis\), got \(2, 3, 4\)"):
        softmax_cross_entropy(z, np.zeros((2, 3, 4), int))
    with pytest.raises(TypeError, match="targets must be integer class ids, got dtype float64"):
        softmax_cross_entropy(z, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"mask has no real \(True\) position"):
        softmax_cross_entropy(z, np.zeros((2, 3), int), np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3\), got \(3,\)"):
        softmax_cross_entropy(z, np.zeros((2, 3), int), np.ones(3, bool))
    with pytest.raises(ValueError, match="logits must be finite, got 0 NaN and 1 inf"):
        softmax_cross_entropy(np.array([[0.0, np.inf]]), np.array([0]))
