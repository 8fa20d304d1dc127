r"""Layers as forward/backward pairs: dense, activations, embedding, mean pooling, dropout.

Every layer is two functions. ``*_forward(...) -> (out, cache)`` computes the output and
keeps, in a small named ``cache``, what the backward pass will need; ``*_backward(dout,
cache)`` receives :math:`\partial L/\partial\,\mathrm{out}` (the *upstream* gradient, same
shape as ``out``) and returns the gradient of the floating-point input and, for layers with
parameters, a dict ``grads`` keyed like ``params`` (the embedding's input is integer ids, so
its backward pass returns ``grads`` only). Chaining backward calls in the reverse
order of the forward calls is backpropagation (Rumelhart, Hinton and Williams 1986,
``rumelhart1986learning``).

Conventions (see the API reference): data is batch-first; weights are shaped like the math,
``W`` is ``(out, in)``, so code reads ``x @ W.T + b``; float64 by default and dtype preserved;
randomness only through an explicit ``rng``. Parameters are plain dicts of arrays, possibly
nested (``{"embed": {"E": ...}, "dense1": {"W": ..., "b": ...}}``);
:mod:`rnnlib.params` walks such trees.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import ops
from .validate import (DIVERGED, as_float, check_cache, check_finite, check_ids, check_keys,
                       check_mask, check_rng, check_same_dtype, float_dtype, is_number, param,
                       positive_int, upstream)

__all__ = ["dense_forward", "dense_backward", "activation_forward", "activation_backward",
           "embedding_forward", "embedding_backward", "mean_pool_forward", "mean_pool_backward",
           "dropout_forward", "dropout_backward", "init_dense", "init_embedding", "init_orthogonal",
           "DenseCache", "ActivationCache", "EmbeddingCache", "MeanPoolCache", "DropoutCache"]

# ----------------------------------------------------------------- dense
class DenseCache(NamedTuple):
    """What :func:`dense_backward` needs."""

    x: np.ndarray   #: (..., in) the input, for dW = dy^T x
    W: np.ndarray   #: (out, in) the weights, for dx = dy W


def _check_dense(x, params):
    """Validate a dense layer's call; returns ``(x, W, b)``."""
    check_keys(params, ("W", "b"), "dense")
    W = param(params, "W", 2, "(out, in)")
    b = param(params, "b", 1, "(out,)")
    n_out, n_in = W.shape
    if b.shape != (n_out,):
        raise ValueError(f"params['b'] must have shape (out,) = ({n_out},) to match params['W'] "
                         f"of shape {W.shape}, got {b.shape}")
    check_same_dtype(b, "params['b']", W.dtype, "params['W']")
    x = as_float(x, "x", W.dtype)
    if x.ndim < 1 or x.shape[-1] != n_in:
        raise ValueError(f"x must have shape (..., in) with in = {n_in} (params['W'] has shape "
                         f"{W.shape}), got {x.shape}")
    check_same_dtype(x, "x", W.dtype, "params['W']")
    check_finite(x, "x")
    return x, W, b


def dense_forward(x, params: dict):
    r"""Affine layer, applied to the last axis of ``x``.

    .. math:: y = x W^\top + b, \qquad y_{\dots j} = \sum_i x_{\dots i} W_{ji} + b_j

    Leading axes are carried along: ``x`` of shape ``(batch, in)`` is an ordinary dense
    layer, ``(batch, time, in)`` applies the same weights at every time step
    (time-distributed), with a single ``@``.

    Parameters
    ----------
    x : array_like, shape (..., in)
    params : dict
        ``"W"``: (out, in), ``"b"``: (out,), same floating dtype.

    Returns
    -------
    y : ndarray, shape (..., out), dtype of ``W``
    cache : DenseCache
    """
    x, W, b = _check_dense(x, params)
    return x @ W.T + b, DenseCache(x, W)


def dense_backward(dy, cache: DenseCache):
    r"""Gradients of the dense layer.

    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W, \qquad
        \frac{\partial L}{\partial W} = \sum_{n} \Big(\frac{\partial L}{\partial y_n}\Big)^{\!\top} x_n, \qquad
        \frac{\partial L}{\partial b} = \sum_n \frac{\partial L}{\partial y_n}

    where :math:`n` runs over every leading position (batch, and time if any): the same
    weights were used at each, so their contributions add up.

    Parameters
    ----------
    dy : array_like, shape (..., out)
    cache : DenseCache

    Returns
    -------
    dx : ndarray, shape (..., in)
    grads : dict
        ``"W"``: (out, in), ``"b"``: (out,).
    """
    check_cache(cache, DenseCache, "dense_forward")
    x, W = cache
    n_out, n_in = W.shape
    dy = upstream(dy, x.shape[:-1] + (n_out,), x.dtype, "dy", "dense")
    dx = dy @ W
    # Flatten the leading axes so the sum over batch (and time) is a single matrix product.
    dy2, x2 = dy.reshape(-1, n_out), x.reshape(-1, n_in)
    return dx, {"W": dy2.T @ x2, "b": dy2.sum(axis=0)}


# ----------------------------------------------------------------- activations


class ActivationCache(NamedTuple):
    """What :func:`activation_backward` needs: the derivative is a function of the output."""

    kind: str
    y: np.ndarray


def _check_kind(kind) -> None:
    if kind not in ops.ACTIVATIONS:
        raise ValueError(f"unknown activation kind {kind!r}; choose one of {tuple(ops.ACTIVATIONS)}")


def activation_forward(x, kind: str):
    r"""Elementwise nonlinearity :math:`y = g(x)`.

    Parameters
    ----------
    x : array_like, any shape
    kind : {"sigmoid", "tanh", "relu"}
        :math:`g = \sigma`, :math:`\tanh` or :math:`\max(\cdot, 0)` (see :mod:`rnnlib.ops`).

    Returns
    -------
    y : ndarray, same shape and float dtype as ``x``
    cache : ActivationCache
    """
    _check_kind(kind)
    x = as_float(x, "x")
    check_finite(x, "x")
    y = ops.ACTIVATIONS[kind][0](x)
    return y, ActivationCache(kind, y)


def activation_backward(dy, cache: ActivationCache) -> np.ndarray:
    r"""Gradient of an elementwise nonlinearity.

    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \odot g'(x)

    with :math:`g'` computed from the cached output: :math:`\sigma' = y(1-y)`,
    :math:`\tanh' = 1 - y^2`, :math:`\operatorname{relu}' = [y > 0]`.

    Parameters
    ----------
    dy : array_like, shape of ``y``
    cache : ActivationCache

    Returns
    -------
    dx : ndarray, shape of ``x``
    """
    check_cache(cache, ActivationCache, "activation_forward")
    _check_kind(cache.kind)
    dy = upstream(dy, cache.y.shape, cache.y.dtype, "dy", f"{cache.kind} activation")
    return dy * ops.ACTIVATIONS[cache.kind][1](cache.y)


# ----------------------------------------------------------------- embedding
class EmbeddingCache(NamedTuple):
    """What :func:`embedding_backward` needs: which rows were read, and the table's size."""

    ids: np.ndarray       #: int, any shape
    shape: tuple          #: (vocab, dim) of E
    dtype: np.dtype


def embedding_forward(ids, params: dict):
    r"""Look up one row of the embedding table per token id.

    .. math:: x_{\dots} = E_{\mathrm{ids}_{\dots}} \quad (\text{row } \mathrm{ids}_{\dots} \text{ of } E)

    which equals ``one_hot(ids) @ E`` without building the one-hot matrix.

    Parameters
    ----------
    ids : array_like of int, any shape (typically (batch, time))
        Each in ``[0, vocab)``.
    params : dict
        ``"E"``: (vocab, dim).

    Returns
    -------
    x : ndarray, shape ``ids.shape + (dim,)``, dtype of ``E``
    cache : EmbeddingCache
    """
    check_keys(params, ("E",), "embedding")
    E = params["E"]
    if not isinstance(E, np.ndarray) or E.dtype.kind != "f" or E.ndim != 2:
        what = f"shape {E.shape}, dtype {E.dtype}" if isinstance(E, np.ndarray) else type(E).__name__
        raise TypeError("params['E'] must be a floating-point ndarray of shape (vocab, dim), "
                        f"got {what}")
    ids = check_ids(ids, E.shape[0], "ids", "vocab_size")
    x = E[ids]
    # Check only the rows read: cheap even for a large vocabulary.
    check_finite(x, "params['E'] (rows selected by ids)", DIVERGED)
    return x, EmbeddingCache(ids, E.shape, E.dtype)


def embedding_backward(dx, cache: EmbeddingCache) -> dict:
    r"""Gradient of the embedding table.

    .. math:: \frac{\partial L}{\partial E_v} = \sum_{n:\ \mathrm{ids}_n = v} \frac{\partial L}{\partial x_n}

    A row used several times collects the sum of its gradients, which is why this uses
    ``np.add.at`` (unbuffered) rather than ``dE[ids] += dx``: with fancy indexing, a repeated
    id's row is written once, with the gradient of only one of its occurrences (numpy does
    not even say which).

    Parameters
    ----------
    dx : array_like, shape ``ids.shape + (dim,)``
    cache : EmbeddingCache

    Returns
    -------
    grads : dict
        ``"E"``: (vocab, dim), zero on rows never looked up. There is no gradient for the
        integer ids.
    """
    check_cache(cache, EmbeddingCache, "embedding_forward")
    ids, (vocab, dim), dtype = cache
    dx = upstream(dx, ids.shape + (dim,), dtype, "dx", "embedding")
    dE = np.zeros((vocab, dim), dtype=dtype)
    np.add.at(dE, ids.ravel(), dx.reshape(-1, dim))
    return {"E": dE}


# ----------------------------------------------------------------- mean pooling
class MeanPoolCache(NamedTuple):
    """What :func:`mean_pool_backward` needs."""

    weights: np.ndarray   #: (batch, time): mask / number of real tokens in the row
    dim: int


def mean_pool_forward(x, mask):
    r"""Average the vectors of the real (unpadded) positions of each sequence.

    .. math:: y_b = \frac{1}{n_b} \sum_{t:\ m_{bt} = 1} x_{bt}, \qquad n_b = \sum_t m_{bt}

    Padding positions are excluded with ``np.where``, not multiplied by 0, so whatever they
    hold (even NaN) cannot change the result.

    Parameters
    ----------
    x : array_like, shape (batch, time, dim)
    mask : array_like of bool (or 0/1), shape (batch, time)
        True on real tokens, False on padding (as returned by :func:`rnnlib.text.pad_batch`).
        Every row needs at least one real token.

    Returns
    -------
    y : ndarray, shape (batch, dim), dtype of ``x``
    cache : MeanPoolCache
    """
    x = as_float(x, "x")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, dim), got {x.shape}")
    mask = check_mask(mask, x.shape[:2], "mask")
    counts = mask.sum(axis=1)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(f"mask has no real (True) position in row(s) {empty.tolist()}: the mean of "
                         "zero tokens is undefined; drop empty sequences from the batch")
    real = np.where(mask[:, :, None], x, 0)
    check_finite(real, "x (at real positions)")
    n = counts.astype(x.dtype)[:, None]                    # (batch, 1)
    y = real.sum(axis=1) / n
    weights = (mask / n).astype(x.dtype)                   # (batch, time); 0 on padding
    return y, MeanPoolCache(weights, x.shape[2])


def mean_pool_backward(dy, cache: MeanPoolCache) -> np.ndarray:
    r"""Gradient of mean pooling: each real position receives an equal share.

    .. math:: \frac{\partial L}{\partial x_{bt}} = \frac{m_{bt}}{n_b} \frac{\partial L}{\partial y_b}

    Padding positions get exactly zero.

    Parameters
    ----------
    dy : array_like, shape (batch, dim)
    cache : MeanPoolCache

    Returns
    -------
    dx : ndarray, shape (batch, time, dim)
    """
    check_cache(cache, MeanPoolCache, "mean_pool_forward")
    w = cache.weights
    dy = upstream(dy, (w.shape[0], cache.dim), w.dtype, "dy", "mean pool")
    return w[:, :, None] * dy[:, None, :]


# ----------------------------------------------------------------- dropout
class DropoutCache(NamedTuple):
    """What :func:`dropout_backward` needs: the scaled keep-mask (None = identity)."""

    scale: np.ndarray | None   #: same shape as x: 0 (dropped) or 1/(1-p) (kept)
    shape: tuple
    dtype: np.dtype


def _check_dropout(x, p, rng, train):
    """Validate a dropout call; returns ``x`` as a float array."""
    x = as_float(x, "x")
    check_finite(x, "x")
    if not is_number(p) or not 0 <= p < 1:
        raise ValueError(f"p (the drop probability) must be a number in [0, 1), got {p!r}")
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be a bool, got {type(train).__name__}")
    if train and p > 0 and not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)) "
                        f"at training time, got {type(rng).__name__}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
    return x


def dropout_forward(x, p: float, rng: np.random.Generator | None, train: bool = True):
    r"""Inverted dropout (Srivastava et al. 2014, ``srivastava2014dropout``).

    At training time each entry is zeroed with probability :math:`p` and the survivors are
    scaled up, so the expected output equals the input:

    .. math:: y = x \odot \frac{r}{1-p}, \qquad r_i \sim \mathrm{Bernoulli}(1-p)

    At evaluation time (``train=False``) the layer is the identity: because of the scaling
    during training, nothing needs rescaling at test time.

    Parameters
    ----------
    x : array_like, any shape
    p : float in [0, 1)
        Drop probability.
    rng : numpy.random.Generator
        The source of the mask; may be None when ``train=False`` or ``p == 0``.
    train : bool

    Returns
    -------
    y : ndarray, same shape and dtype as ``x``
    cache : DropoutCache
    """
    x = _check_dropout(x, p, rng, train)
    if not train or p == 0:                       # evaluation: the identity
        return x.copy(), DropoutCache(None, x.shape, x.dtype)
    keep = rng.random(x.shape) >= p
    scale = keep.astype(x.dtype) / x.dtype.type(1 - p)
    return x * scale, DropoutCache(scale, x.shape, x.dtype)


def dropout_backward(dy, cache: DropoutCache) -> np.ndarray:
    r"""Gradient of dropout: the same mask and scale.

    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \odot \frac{r}{1-p}

    Parameters
    ----------
    dy : array_like, shape of ``x``
    cache : DropoutCache

    Returns
    -------
    dx : ndarray, shape of ``x``
    """
    check_cache(cache, DropoutCache, "dropout_forward")
    dy = upstream(dy, cache.shape, cache.dtype, "dy", "dropout")
    return dy.copy() if cache.scale is None else dy * cache.scale


# ----------------------------------------------------------------- initialisation
def init_dense(n_in: int, n_out: int, rng: np.random.Generator, dtype=np.float64,
               scale="glorot") -> dict:
    r"""Parameters of a dense layer: uniform random weights, zero bias.

    With ``scale="glorot"`` (Glorot and Bengio 2010, ``glorot2010understanding``, also called
    Xavier initialisation):

    .. math:: W_{ji} \sim \mathcal U(-a, a), \qquad a = \sqrt{\frac{6}{n_\mathrm{in} + n_\mathrm{out}}}

    which gives :math:`\operatorname{Var}(W_{ji}) = 2/(n_\mathrm{in}+n_\mathrm{out})`, a
    compromise between keeping the variance of the activations (forward) and of the
    gradients (backward) constant from layer to layer.

    Parameters
    ----------
    n_in, n_out : int
    rng : numpy.random.Generator
    dtype : floating dtype
    scale : "glorot" or float
        A number :math:`a > 0` draws from :math:`\mathcal U(-a, a)` instead.

    Returns
    -------
    dict
        ``"W"``: (n_out, n_in), ``"b"``: (n_out,) zeros.
    """
    n_in, n_out = positive_int(n_in, "n_in"), positive_int(n_out, "n_out")
    check_rng(rng)
    dt = float_dtype(dtype)
    if isinstance(scale, str):
        if scale != "glorot":
            raise ValueError(f"scale must be 'glorot' or a number > 0, got {scale!r}")
        a = math.sqrt(6.0 / (n_in + n_out))
    elif is_number(scale) and scale > 0:
        a = float(scale)
    else:
        raise ValueError(f"scale must be 'glorot' or a number > 0, got {scale!r}")
    return {"W": rng.uniform(-a, a, size=(n_out, n_in)).astype(dt),
            "b": np.zeros(n_out, dtype=dt)}


def init_orthogonal(n: int, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """A uniformly random orthogonal ``(n, n)`` matrix: the simple RNN's initial ``W_hh``, and the
    blocks of the GRU's weights that act on the hidden state.

    All its singular values are 1, so multiplying by it preserves the length of every vector:
    at the start, the recurrent product :math:`W_{hh} h` neither blows the state up nor shrinks
    it (the inputs and the activation still change its size). It is drawn as the Q of the QR
    decomposition of a Gaussian matrix, with the signs fixed so the draw is uniform.
    """
    check_rng(rng)
    n = positive_int(n, "n")
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


def init_embedding(vocab_size: int, dim: int, rng: np.random.Generator, dtype=np.float64,
                   std: float = 0.1) -> dict:
    r"""Parameters of an embedding layer: :math:`E_{vk} \sim \mathcal N(0, \mathrm{std}^2)`.

    Small random vectors: different enough for tokens to be told apart from the first step,
    small enough that averages of them start near zero.

    Parameters
    ----------
    vocab_size, dim : int
    rng : numpy.random.Generator
    dtype : floating dtype
    std : float > 0

    Returns
    -------
    dict
        ``"E"``: (vocab_size, dim).
    """
    vocab_size, dim = positive_int(vocab_size, "vocab_size"), positive_int(dim, "dim")
    check_rng(rng)
    dt = float_dtype(dtype)
    if not is_number(std) or std <= 0:
        raise ValueError(f"std must be a number > 0, got {std!r}")
    return {"E": (std * rng.standard_normal((vocab_size, dim))).astype(dt)}
