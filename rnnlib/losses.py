r"""Losses that return their gradient: binary and (masked) softmax cross-entropy, and the fused
softmax cross-entropy a language model trains with (with :func:`target_log_probs`, its
evaluation form).

Each loss takes *logits* (the scores before the sigmoid or softmax) and returns
``(loss, dlogits)``: the scalar loss and :math:`\partial L/\partial\,\mathrm{logits}`, which is
the upstream gradient that starts the backward pass of the layers below. Working from logits
rather than probabilities is what makes both losses stable (no :math:`\log 0`) and gives their
famously simple gradients, :math:`\sigma(z) - y` and
:math:`\operatorname{softmax}(z) - \mathrm{onehot}(y)`.
"""

from __future__ import annotations

import numpy as np

from .ops import log_softmax, one_hot, sigmoid
from .validate import as_float, check_finite, check_mask

__all__ = ["binary_cross_entropy_with_logits", "softmax_cross_entropy", "fused_cross_entropy",
           "target_log_probs"]


def _logits(logits) -> np.ndarray:
    z = as_float(logits, "logits")
    check_finite(z, "logits")
    if z.size == 0:
        raise ValueError(f"logits must not be empty, got shape {z.shape}")
    return z


def binary_cross_entropy_with_logits(logits, targets):
    r"""Mean binary cross-entropy of sigmoid probabilities, computed from the logits.

    With :math:`p_i = \sigma(z_i)` and :math:`N` the number of entries of ``logits``:

    .. math::

        L = -\frac1N \sum_i \big[y_i \log p_i + (1 - y_i) \log(1 - p_i)\big]
          = \frac1N \sum_i \big[\log(1 + e^{z_i}) - y_i z_i\big],
        \qquad
        \frac{\partial L}{\partial z_i} = \frac{\sigma(z_i) - y_i}{N}

    The right-hand form is evaluated with ``np.logaddexp(0, z)`` :math:`= \log(1+e^z)`, which
    never overflows and never takes :math:`\log 0`, however confident the model is.

    Parameters
    ----------
    logits : array_like, any shape (typically (batch,))
        :math:`z`, one score per example.
    targets : array_like, same shape as ``logits``
        :math:`y`, the labels 0 or 1 (bool works; probabilities in [0, 1] are also accepted).
        The shapes must match exactly: ``(batch, 1)`` against ``(batch,)`` would otherwise
        broadcast to ``(batch, batch)``.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape and dtype of ``logits``
    """
    z = _logits(logits)
    y = np.asarray(targets)
    if y.shape != z.shape:
        raise ValueError(f"targets must have the shape of logits {z.shape}, got {y.shape}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"targets must be 0/1 labels (bool, int or float), got dtype {y.dtype}")
    y = y.astype(z.dtype)
    if not (np.isfinite(y).all() and ((y >= 0) & (y <= 1)).all()):
        raise ValueError("targets must be labels in [0, 1] (usually 0 or 1), got values outside: "
                         f"{np.unique(y[~((y >= 0) & (y <= 1))])[:5].tolist()}")
    n = z.size
    loss = np.mean(np.logaddexp(0, z) - y * z)
    dz = np.asarray((sigmoid(z) - y) / z.dtype.type(n))   # 0-d stays an array
    return float(loss), dz


def softmax_cross_entropy(logits, targets, mask=None):
    r"""Softmax cross-entropy averaged over the real (unmasked) positions.

    For every position :math:`n` (an example, or a time step of a sequence) with logits
    :math:`z_n \in \mathbb R^C`, target class :math:`y_n` and mask :math:`m_n \in \{0, 1\}`:

    .. math::

        L = \frac{1}{\sum_n m_n} \sum_n m_n \big(-\log \operatorname{softmax}(z_n)_{y_n}\big),
        \qquad
        \frac{\partial L}{\partial z_n} = \frac{m_n}{\sum_{n'} m_{n'}}
            \big(\operatorname{softmax}(z_n) - \mathrm{onehot}(y_n)\big)

    so padded positions contribute nothing to the loss and get exactly zero gradient.

    **Conventions.** This is the *mean over real tokens*: every real token weighs the same,
    whatever sequence it is in, and the loss is the cross-entropy per token in nats, so
    :math:`e^L` is the perplexity of the tokens scored. Other books and libraries use other reductions, which
    change the scale of the gradient and hence the learning rate that works:

    - *sum over time, mean over the batch* (:math:`\frac1B \sum_b \sum_t`, common in RNN
      texts and in the original BPTT derivations): the loss and every gradient are larger by
      the average number of real tokens per sequence :math:`\bar T` (for :math:`B`
      sequences, :math:`\sum_n m_n = B \bar T`), so with plain gradient descent the same
      learning rate takes steps :math:`\bar T` times larger (Adam, which divides by a running
      estimate of the gradient's size, hardly notices);
    - *mean over time within each sequence, then over the batch*: a token of a short
      sequence weighs more than a token of a long one;
    - *sum over everything*: the gradient grows with the batch size too.

    To convert, multiply: ``loss * mask.sum()`` and ``dlogits * mask.sum()`` give the total
    (sum) version, divide that by the batch size for sum-over-time.

    Parameters
    ----------
    logits : array_like, shape (..., C)
        E.g. (batch, C) for classification or (batch, time, C) for a language model.
    targets : array_like of int, shape (...)
        The class at each position, in ``[0, C)`` at real positions; at masked positions
        anything (e.g. the ``<pad>`` id), it is ignored.
    mask : array_like of bool, shape (...), optional
        True on real positions, False on padding; None means every position is real.
        At least one position must be real.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape and dtype of ``logits``
    """
    z = _logits(logits)
    if z.ndim < 1:
        raise ValueError("logits must have shape (..., C), got a scalar")
    n_classes = z.shape[-1]
    t = np.asarray(targets)
    if t.shape != z.shape[:-1]:
        raise ValueError(f"targets must have shape {z.shape[:-1]} (logits shape {z.shape} "
                         f"without the class axis), got {t.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"targets must be integer class ids, got dtype {t.dtype}")
    m = np.ones(t.shape, dtype=bool) if mask is None else check_mask(mask, t.shape, "mask")
    n_real = int(m.sum())
    if n_real == 0:
        raise ValueError("mask has no real (True) position: the mean over zero tokens is undefined")
    bad = m & ((t < 0) | (t >= n_classes))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if t.ndim else ()
        raise ValueError(f"targets must be in [0, C) = [0, {n_classes}) at real positions, "
                         f"got {int(t[where])} at index {where}")
    t = np.where(m, t, 0)        # masked targets may be anything: make them safe to index with

    logp = log_softmax(z)
    nll = -np.take_along_axis(logp, t[..., None], axis=-1)[..., 0]
    loss = nll[m].sum() / n_real
    weight = (m / n_real).astype(z.dtype)[..., None]          # 0 on padding
    dz = (np.exp(logp) - one_hot(t, n_classes, dtype=z.dtype)) * weight
    return float(loss), dz


# ----------------------------------------------------------------- the fused output loss
def _targets_and_weights(logits2, targets, mask, shape):
    t = np.asarray(targets)
    if t.shape != shape:
        raise ValueError(f"targets must have shape {shape} (the logits' shape without the "
                         f"vocabulary axis), got {t.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"targets must be integer token ids, got dtype {t.dtype}")
    m = None if mask is None else check_mask(mask, shape, "mask")
    V = logits2.shape[1]
    t = t.reshape(-1)
    if m is None:
        n_real = t.size
        bad = (t < 0) | (t >= V)
    else:
        m = m.reshape(-1)
        n_real = int(m.sum())
        bad = m & ((t < 0) | (t >= V))
        t = np.where(m, t, 0)          # masked targets may be anything
    if n_real == 0:
        raise ValueError("mask has no real (True) position: the mean over zero tokens is undefined")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"targets must be in [0, V) = [0, {V}) at real positions, got "
                         f"{int(np.asarray(targets).reshape(-1)[i])} at flat index {i}")
    return t, m, n_real


def _logits2(logits):
    z = np.asarray(logits)
    if z.dtype.kind != "f" or z.ndim < 2:
        raise TypeError(f"logits must be a floating ndarray of shape (..., V), got dtype "
                        f"{z.dtype} and shape {z.shape}")
    return z, z.reshape(-1, z.shape[-1])


def fused_cross_entropy(logits, targets, mask=None, *, overwrite: bool = False):
    r"""Log-softmax, mean cross-entropy over the real tokens and its gradient, fused.

    For each position :math:`n` with logits :math:`z_n`, target :math:`y_n`, mask :math:`m_n`
    and :math:`N = \sum_n m_n`:

    .. math::

        L = \frac1N \sum_n m_n \Big(\log \sum_j e^{z_{nj} - c_n} + c_n - z_{n y_n}\Big),
        \qquad c_n = \max_j z_{nj},

        \frac{\partial L}{\partial z_n} = \frac{m_n}{N}\big(\operatorname{softmax}(z_n)
            - \mathrm{onehot}(y_n)\big)

    the same numbers as :func:`softmax_cross_entropy`, computed in place: shift
    by the row maximum, exponentiate, sum, scale each row by :math:`m_n / (N s_n)`, subtract
    :math:`m_n/N` at the target. No one-hot matrix and no array of the logits' size besides the
    gradient itself (a copy of the logits or, with ``overwrite=True``, their own memory). The
    loss is accumulated in float64.

    Parameters
    ----------
    logits : ndarray, shape (..., V), floating
    targets : array_like of int, shape (...)
    mask : array_like of bool, shape (...), optional
    overwrite : bool
        Reuse ``logits``' memory for the gradient (``logits`` is destroyed).

    Returns
    -------
    loss : float
    dlogits : ndarray, shape and dtype of ``logits``
    """
    z, z2 = _logits2(logits)
    t, m, n_real = _targets_and_weights(z2, targets, mask, z.shape[:-1])
    g = z2 if overwrite else z2.copy()
    rows = np.arange(g.shape[0])
    g -= g.max(axis=1, keepdims=True)
    z_target = g[rows, t].astype(np.float64)
    np.exp(g, out=g)
    s = g.sum(axis=1, keepdims=True)
    nll = np.log(s[:, 0].astype(np.float64)) - z_target
    if not np.isfinite(nll).all():
        raise ValueError("logits must be finite, got NaN or inf (the model has probably diverged)")
    w = np.full(g.shape[0], 1.0 / n_real) if m is None else m / n_real   # float64 weights
    loss = float(nll @ w)
    g *= (w[:, None] / s).astype(g.dtype)
    g[rows, t] -= w.astype(g.dtype)
    return loss, g.reshape(z.shape)


def target_log_probs(logits, targets, mask=None) -> np.ndarray:
    r"""The log-probability the model gives each target, from logits, in float64 (no gradient).

    .. math:: \ln \operatorname{softmax}(z)_y = z_y - c - \ln \sum_j e^{z_j - c},
              \qquad c = \max_j z_j

    This is the one place ``rnnlib`` scores a target from logits: evaluation
    (:mod:`rnnlib.evaluate`) sums it, and :func:`fused_cross_entropy` is its mean with the
    gradient, fused for training. Unlike :func:`rnnlib.ops.log_softmax`, it never builds the
    whole ``(..., V)`` array of log-probabilities.

    Parameters
    ----------
    logits : ndarray, shape (..., V)
    targets : array_like of int, shape (...)
    mask : array_like of bool, shape (...), optional
        False at padding, where the result is 0.0 and the target may be anything.

    Returns
    -------
    ndarray of float64, shape (...)
    """
    z, z2 = _logits2(logits)
    t, m, _ = _targets_and_weights(z2, targets, mask, z.shape[:-1])
    c = z2.max(axis=1)
    log_sum = np.log(np.exp(z2 - c[:, None]).sum(axis=1, dtype=np.float64))
    lp = z2[np.arange(z2.shape[0]), t].astype(np.float64) - c - log_sum
    if not np.isfinite(lp if m is None else lp[m]).all():
        raise ValueError("logits must be finite, got NaN or inf (the model has probably diverged)")
    if m is not None:
        lp[~m] = 0.0
    return lp.reshape(z.shape[:-1])
