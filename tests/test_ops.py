"""ops: stability at extreme inputs, values at known points, dtype rules, clear errors."""

import math
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

from rnnlib.ops import (log_softmax, one_hot, relu, relu_grad_from_output, sigmoid,
                        sigmoid_grad_from_output, softmax, tanh, tanh_grad_from_output)


@contextmanager
def no_fp_warnings():
    """Fail on any overflow, invalid operation or division by zero, and on any warning.

    Underflow is left out on purpose: exp(-1000) flushing to 0.0 is the correct answer
    (numpy ignores underflow by default, so it never warns).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def test_sigmoid_is_finite_without_warnings_at_extremes():
    z = np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 745.0, 1000.0])
    with no_fp_warnings():
        s = sigmoid(z)
    assert np.isfinite(s).all()
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert s[2] == pytest.approx(math.exp(-50), rel=1e-12)   # no catastrophic cancellation
    np.testing.assert_array_less(0.0, s[1:])


def test_naive_sigmoid_would_warn():
    # The guard above really catches the problem the stable form avoids.
    with pytest.raises(FloatingPointError, match="overflow"), no_fp_warnings():
        1 / (1 + np.exp(-np.array([-1000.0])))


def test_sigmoid_tanh_relu_values_at_known_points():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)
    assert sigmoid(math.log(3)) == pytest.approx(0.75)
    np.testing.assert_allclose(tanh(z), 2 * sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_array_equal(relu(z), [0, 0, 0, 0.5, 2])
    with no_fp_warnings():
        np.testing.assert_array_equal(tanh([-1000.0, 1000.0]), [-1.0, 1.0])


def test_derivatives_from_output():
    z = np.linspace(-3, 3, 13)
    s, t = sigmoid(z), tanh(z)
    np.testing.assert_allclose(sigmoid_grad_from_output(s), np.exp(-z) / (1 + np.exp(-z)) ** 2)
    np.testing.assert_allclose(tanh_grad_from_output(t), 1 / np.cosh(z) ** 2)
    np.testing.assert_array_equal(relu_grad_from_output(relu(z)), (z > 0).astype(float))


def test_softmax_is_stable_and_sums_to_one():
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [0.0, 0.0, 0.0]])
    with no_fp_warnings():
        p = softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-15)
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(p[0], e / e.sum(), rtol=1e-14)   # shift invariance
    np.testing.assert_allclose(p[2], 1 / 3)
    # along another axis
    np.testing.assert_allclose(softmax(z, axis=0).sum(axis=0), 1.0)


def test_log_softmax_matches_log_of_softmax_and_stays_finite():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5, 7)) * 5
    np.testing.assert_allclose(log_softmax(z), np.log(softmax(z)), atol=1e-12)
    np.testing.assert_allclose(log_softmax(z, axis=1), np.log(softmax(z, axis=1)), atol=1e-12)
    with no_fp_warnings():
        lp = log_softmax([0.0, -1000.0])      # softmax underflows to 0 here; log-softmax does not
    np.testing.assert_allclose(lp, [0.0, -1000.0])


@pytest.mark.parametrize("fn", [sigmoid, tanh, relu, softmax, log_softmax])
def test_dtype_is_preserved_and_ints_become_float64(fn):
    assert fn(np.ones((2, 3), np.float32)).dtype == np.float32
    assert fn(np.ones((2, 3))).dtype == np.float64
    assert fn(np.array([[1, 2, 3]])).dtype == np.float64


@pytest.mark.parametrize("fn", [sigmoid, tanh, relu, softmax, log_softmax])
def test_non_finite_and_non_numeric_inputs_are_rejected(fn):
    with pytest.raises(ValueError, match=r"z must be finite, got 1 NaN and 0 inf value\(s\) \(first at index \(1,\)"):
        fn(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="z must be finite, got 0 NaN and 1 inf"):
        fn(np.array([np.inf, 1.0]))
    with pytest.raises(TypeError, match="z must be an array of real numbers, got dtype <U1"):
        fn(np.array(["a"]))


def test_softmax_axis_errors():
    with pytest.raises(ValueError, match="at least one axis"):
        softmax(1.0)
    with pytest.raises(ValueError, match=r"axis must be an int in \[-2, 2\) for z of shape \(2, 3\), got 2"):
        softmax(np.zeros((2, 3)), axis=2)


def test_one_hot_values_shape_and_dtype():
    ids = np.array([[0, 2], [1, 2]])
    out = one_hot(ids, 3)
    assert out.shape == (2, 2, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out[0], [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(out.argmax(-1), ids)
    np.testing.assert_array_equal(out.sum(-1), 1)
    assert one_hot([1], 2, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(one_hot(1, 3), [0, 1, 0])


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"ids must be in \[0, n_classes\) = \[0, 3\), got id 3 at index \(1,\)"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"got id -1 at index \(0, 1\)"):
        one_hot([[0, -1]], 3)
    with pytest.raises(TypeError, match=r"ids must be an array of integer ids, got dtype float64 \(cast"):
        one_hot([0.0, 1.0], 3)
    with pytest.raises(TypeError, match="got dtype bool"):
        one_hot([True, False], 2)
    with pytest.raises(ValueError, match="n_classes must be an int >= 1, got 0"):
        one_hot([0], 0)
