r"""Numerically stable elementwise functions: sigmoid, tanh, ReLU, softmax, log-softmax, one-hot.

The activations, ``softmax`` and ``log_softmax`` take an array of any shape (the two softmaxes
need at least one axis, the classes) and return one of the same shape; ``one_hot`` adds a last
axis. Floating-point inputs keep their dtype (float32 in, float32 out); integer and boolean
inputs are computed in float64. Inputs holding NaN or inf are rejected with a ``ValueError``:
a NaN that reaches a softmax would otherwise come out as a whole row of NaNs, far from the bug
that made it. The three ``*_grad_from_output`` helpers check nothing and convert nothing: they
receive an output the forward function has already checked.

The derivatives the layers need are written in terms of the function's *output*, which the
forward pass has already computed (and cached):

.. math::

    \sigma'(z) = \sigma(z)\,(1 - \sigma(z)), \qquad
    \tanh'(z) = 1 - \tanh^2(z), \qquad
    \operatorname{relu}'(z) = [z > 0] = [\operatorname{relu}(z) > 0].
"""

from __future__ import annotations

import numpy as np
from .validate import as_float, check_finite, check_ids, positive_int


__all__ = ["sigmoid", "tanh", "relu", "softmax", "log_softmax", "one_hot",
           "sigmoid_grad_from_output", "tanh_grad_from_output", "relu_grad_from_output",
           "ACTIVATIONS"]


def _float_input(z, name: str) -> np.ndarray:
    z = as_float(z, name)
    check_finite(z, name)
    return z


# ----------------------------------------------------------------- activations
def sigmoid(z) -> np.ndarray:
    r"""Logistic sigmoid, computed without overflow.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    The first form overflows for large negative :math:`z` (:math:`e^{1000}`), the second for
    large positive :math:`z`. With :math:`e = e^{-|z|} \in (0, 1]` both are safe:
    :math:`\sigma(z) = 1/(1+e)` for :math:`z \ge 0` and :math:`e/(1+e)` for :math:`z < 0`.

    Parameters
    ----------
    z : array_like, any shape
        Finite values.

    Returns
    -------
    ndarray, same shape and float dtype as ``z``, values in :math:`[0, 1]`.
    """
    z = _float_input(z, "z")
    e = np.exp(-np.abs(z))          # never overflows: the exponent is <= 0
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def tanh(z) -> np.ndarray:
    r"""Hyperbolic tangent, :math:`\tanh(z) = \dfrac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1`.

    ``np.tanh`` is already stable (it saturates at :math:`\pm 1` without overflow); this
    wrapper adds the input checks and the dtype rule of this module.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and float dtype as ``z``, values in :math:`[-1, 1]`.
    """
    return np.tanh(_float_input(z, "z"))


def relu(z) -> np.ndarray:
    r"""Rectified linear unit, :math:`\operatorname{relu}(z) = \max(z, 0)`.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and float dtype as ``z``.
    """
    return np.maximum(_float_input(z, "z"), 0)


def sigmoid_grad_from_output(s) -> np.ndarray:
    r""":math:`\sigma'(z) = s\,(1 - s)` from the output :math:`s = \sigma(z)`."""
    s = np.asarray(s)
    return s * (1 - s)


def tanh_grad_from_output(t) -> np.ndarray:
    r""":math:`\tanh'(z) = 1 - t^2` from the output :math:`t = \tanh(z)`."""
    t = np.asarray(t)
    return 1 - t * t


def relu_grad_from_output(r) -> np.ndarray:
    r""":math:`\operatorname{relu}'(z) = [r > 0]` from the output :math:`r = \operatorname{relu}(z)`.

    At the kink :math:`z = 0` the derivative is undefined; we take 0, as PyTorch, TensorFlow
    and JAX do.
    """
    r = np.asarray(r)
    return (r > 0).astype(r.dtype)


# ----------------------------------------------------------------- softmax
#: The element-wise activations of ``rnnlib`` (dense layers, simple RNNs, language models):
#: name -> (function, derivative computed from the function's output).
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad_from_output),
    "tanh": (tanh, tanh_grad_from_output),
    "relu": (relu, relu_grad_from_output),
}


def _check_axis(z: np.ndarray, axis: int) -> None:
    if z.ndim == 0:
        raise ValueError("z must have at least one axis (the classes), got a scalar")
    if not isinstance(axis, (int, np.integer)) or not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis must be an int in [{-z.ndim}, {z.ndim}) for z of shape {z.shape}, "
                         f"got {axis!r}")


def softmax(z, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``: non-negative values that sum to one.

    .. math:: \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}
              = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

    Subtracting the maximum changes nothing mathematically, but keeps every exponent
    :math:`\le 0`, so nothing overflows and the largest term is exactly 1 (the sum is
    never 0).

    Parameters
    ----------
    z : array_like, shape (..., C, ...)
        Scores (logits); ``axis`` indexes the classes.
    axis : int
        The class axis, by default the last.

    Returns
    -------
    ndarray, same shape and float dtype as ``z``.
    """
    z = _float_input(z, "z")
    _check_axis(z, axis)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax along ``axis``, computed without forming the softmax.

    .. math:: \log \operatorname{softmax}(z)_i = z_i - m - \log \sum_j e^{z_j - m},
              \qquad m = \max_j z_j

    ``np.log(softmax(z))`` gives ``-inf`` as soon as a probability underflows to 0 (a logit
    about 745 below the largest in float64, about 104 below in float32); this form stays
    finite.

    Parameters
    ----------
    z : array_like, shape (..., C, ...)
    axis : int

    Returns
    -------
    ndarray, same shape and float dtype as ``z``, values :math:`\le 0`.
    """
    z = _float_input(z, "z")
    _check_axis(z, axis)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def one_hot(ids, n_classes: int, dtype=np.float64) -> np.ndarray:
    r"""One-hot vectors: ``out[..., k] = 1`` where ``k == ids[...]``, 0 elsewhere.

    .. math:: \mathrm{onehot}(y)_k = [k = y], \qquad k = 0, \dots, C-1

    Parameters
    ----------
    ids : array_like of int, any shape
        Class ids, each in ``[0, n_classes)``.
    n_classes : int
        :math:`C`, the length of each vector.
    dtype : floating dtype

    Returns
    -------
    ndarray, shape ``ids.shape + (n_classes,)``
    """
    n_classes = positive_int(n_classes, "n_classes")
    ids = check_ids(ids, int(n_classes), "ids", "n_classes")
    out = np.zeros(ids.shape + (int(n_classes),), dtype=dtype)
    # Write the ones through a 2-D view: row r of the flat view belongs to ids.flat[r].
    out.reshape(-1, n_classes)[np.arange(ids.size), ids.ravel()] = 1
    return out
