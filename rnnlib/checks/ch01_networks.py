"""Checkers for the neural-network chapter: a stable sigmoid, a stable softmax, the
backward pass of a dense layer."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..layers import dense_backward, dense_forward
from ._common import call as _call, passed as _passed
from ._common import rng as _rng


def _as_array(value, name: str, shape) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != tuple(shape):
        raise AssertionError(f"{name} should have shape {tuple(shape)}, got {arr.shape}")
    return arr


def check_sigmoid(sigmoid) -> None:
    """Check ``sigmoid(z) -> ndarray``: :math:`1/(1+e^{-z})` element-wise, without overflow."""
    z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    got = _as_array(_call(sigmoid, z.copy(), what="z = [-3, -0.5, 0, 0.5, 3]"), "sigmoid(z)", z.shape)
    if np.allclose(got, ops.sigmoid(-z)):
        raise AssertionError("sigmoid(3) should be close to 1 and sigmoid(-3) close to 0; yours is "
                             "the other way round: check the sign of z in the exponent")
    if not np.allclose(got, ops.sigmoid(z), rtol=1e-7, atol=1e-12):
        raise AssertionError(f"sigmoid([-3, -0.5, 0, 0.5, 3]) should be "
                             f"{np.round(ops.sigmoid(z), 4).tolist()}, got {np.round(got, 4).tolist()}")
    extreme = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = _as_array(_call(sigmoid, extreme.copy(), what="z = [-1000, -50, 50, 1000]"),
                            "sigmoid(z)", extreme.shape)
        except AssertionError as error:
            if "FloatingPointError" in str(error):
                raise AssertionError(
                    "your sigmoid overflows for z = -1000 or z = 1000: exp(1000) is too large for "
                    "a float (1/(1+exp(-z)) overflows at z = -1000, exp(z)/(1+exp(z)) at z = 1000). "
                    "Compute exp of a non-positive number only: for z >= 0 use 1/(1+exp(-z)), "
                    "for z < 0 use exp(z)/(1+exp(z))") from None
            raise
    if not np.all(np.isfinite(got)):
        raise AssertionError(f"sigmoid([-1000, -50, 50, 1000]) gave {got.tolist()}: not finite")
    if not np.allclose(got, ops.sigmoid(extreme), rtol=1e-7, atol=1e-300):
        raise AssertionError(f"sigmoid([-1000, -50, 50, 1000]) should be about [0, 2e-22, 1, 1], "
                             f"got {got.tolist()}")
    drawn = _rng(24).normal(scale=5, size=6)            # new values when graded
    got = _as_array(_call(sigmoid, drawn.copy(), what="six random values of z"), "sigmoid(z)",
                    drawn.shape)
    if not np.allclose(got, ops.sigmoid(drawn), rtol=1e-7, atol=1e-12):
        raise AssertionError("sigmoid is wrong on random values of z: 1 / (1 + exp(-z)), element-wise")
    _passed("sigmoid is right and does not overflow at z = +-1000.")


def check_softmax(softmax) -> None:
    """Check ``softmax(z) -> ndarray``: over the last axis of a ``(batch, classes)`` array."""
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 2.0], [2.0, 2.0, 8.0]])
    got = _as_array(_call(softmax, z.copy(), what="a batch of 4 rows of 3 logits"), "softmax(z)", z.shape)
    if np.allclose(got.sum(axis=0), 1) and not np.allclose(got.sum(axis=1), 1):
        raise AssertionError("each row (one example) should sum to 1, but your columns do: normalise "
                             "over the last axis (axis=-1, keepdims=True), not over the batch")
    if not np.allclose(got, ops.softmax(z), rtol=1e-7):
        raise AssertionError(f"softmax([1, 2, 3]) should be {np.round(ops.softmax(z[0]), 4).tolist()}, "
                             f"got {np.round(got[0], 4).tolist()}")
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    with np.errstate(all="ignore"):
        got = _as_array(_call(softmax, big.copy(), what="logits [1000, 1001, 1002]"), "softmax(z)", big.shape)
    if not np.all(np.isfinite(got)):
        raise AssertionError("softmax([1000, 1001, 1002]) gave NaN or inf: exp(1000) overflows. "
                             "Subtract each row's maximum before exponentiating; it changes nothing "
                             "mathematically (the factor cancels) and keeps every exponent <= 0")
    if not np.allclose(got, ops.softmax(big), rtol=1e-7):
        raise AssertionError(f"softmax([1000, 1001, 1002]) should be {np.round(ops.softmax(big[0]), 4).tolist()}, "
                             f"got {np.round(got[0], 4).tolist()}")
    _passed("softmax sums to 1 over each row and handles logits of 1000.")


def check_dense_backward(dense_backward_fn) -> None:
    """Check ``dense_backward(dy, x, W) -> (dx, dW, db)`` for ``y = x @ W.T + b``.

    ``x`` is ``(batch, n_in)``, ``W`` is ``(n_out, n_in)``, ``dy`` is ``(batch, n_out)``.
    """
    rng = _rng(7)
    batch, n_in, n_out = 5, 4, 3
    x = rng.normal(size=(batch, n_in))
    params = {"W": rng.normal(size=(n_out, n_in)), "b": rng.normal(size=n_out)}
    dy = rng.normal(size=(batch, n_out))
    _, cache = dense_forward(x, params)
    dx_ref, grads = dense_backward(dy, cache)
    got = _call(dense_backward_fn, dy.copy(), x.copy(), params["W"].copy(),
                what=f"a batch of {batch}, n_in = {n_in}, n_out = {n_out}")
    if not (isinstance(got, tuple) and len(got) == 3):
        raise AssertionError("dense_backward should return a tuple (dx, dW, db)")
    dx, dW, db = (np.asarray(g) for g in got)
    if dW.shape == (n_in, n_out):
        raise AssertionError(f"dW has shape {dW.shape}, the shape of W transposed: weights are "
                             f"(n_out, n_in) = {(n_out, n_in)}, so dW = dy.T @ x")
    _as_array(dW, "dW", (n_out, n_in))
    if db.shape == (batch, n_out):
        raise AssertionError(f"db has shape {db.shape}: one bias is shared by every example, so its "
                             "gradient is the sum of dy over the batch: db = dy.sum(axis=0)")
    _as_array(db, "db", (n_out,))
    _as_array(dx, "dx", (batch, n_in))
    if np.allclose(db, grads["b"] / batch):
        raise AssertionError("db is the mean of dy over the batch; the loss already averages, so "
                             "the layer must sum: db = dy.sum(axis=0)")
    if not np.allclose(dW, grads["W"]):
        raise AssertionError("dW has the right shape but wrong values: it should be dy.T @ x")
    if not np.allclose(db, grads["b"]):
        raise AssertionError("db has the right shape but wrong values: it should be dy.sum(axis=0)")
    if not np.allclose(dx, dx_ref):
        raise AssertionError("dx has the right shape but wrong values: it should be dy @ W")
    _passed("dense_backward returns dx = dy @ W, dW = dy.T @ x, db = dy.sum(axis=0).")
