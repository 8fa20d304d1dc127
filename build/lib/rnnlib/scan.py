r"""``scan``: the loop every recurrent layer is written with.

A recurrent layer applies the same step function at every time step, threading a *carry*
(the hidden state) from one step to the next and emitting an output at each:

.. math:: (c_t, y_t) = f(c_{t-1}, x_t), \qquad t = 1, \dots, T.

``scan`` is that loop, written once. Array frameworks have the same primitive
(``jax.lax.scan(f, init, xs)``, ``tf.scan``); there it also lets a compiler see the whole
loop. Note the order of the results: ``jax.lax.scan`` returns ``(carry, ys)``, this one
``(ys, carry)``, outputs first, as a layer's forward pass returns its outputs first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["scan"]


def scan(fn: Callable, xs, init):
    r"""Run ``carry, y = fn(carry, x)`` over the leading axis of ``xs``.

    Parameters
    ----------
    fn : callable ``(carry, x) -> (carry, y)``
        The step. ``y`` must have the same shape (and dtype) at every step.
    xs : array_like, shape (T, ...)
        The inputs, **time-major**: ``xs[t]`` is the input of step ``t``. (Batch-first data
        ``(batch, T, ...)`` is passed as ``x.swapaxes(0, 1)``.)
    init : any
        The initial carry, e.g. :math:`h^{\langle 0 \rangle}`.

    Returns
    -------
    ys : ndarray, shape (T, ...)
        The outputs of every step, stacked along a new leading axis.
    carry : any
        The carry after the last step.

    Examples
    --------
    A running sum is a scan whose carry is the total so far:

    >>> ys, total = scan(lambda c, x: (c + x, c + x), np.array([1, 2, 3, 4]), 0)
    >>> ys.tolist(), int(total)
    ([1, 3, 6, 10], 10)
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function (carry, x) -> (carry, y), got {type(fn).__name__}")
    xs = np.asarray(xs)
    if xs.ndim < 1 or xs.shape[0] == 0:
        raise ValueError(f"xs must have a leading time axis of length >= 1, got shape {xs.shape}")
    carry, ys = init, None
    for t in range(xs.shape[0]):
        result = fn(carry, xs[t])
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"fn must return a pair (carry, y); at step {t} it returned "
                            f"{type(result).__name__}")
        carry, y = result
        y = np.asarray(y)
        if ys is None:                       # allocate once, from the first output
            ys = np.empty((xs.shape[0],) + y.shape, dtype=y.dtype)
        elif y.shape != ys.shape[1:]:
            raise ValueError(f"fn's output changed shape at step {t}: {y.shape}, "
                             f"not {ys.shape[1:]} as at step 0")
        ys[t] = y
    return ys, carry
