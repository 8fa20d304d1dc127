r"""Gradient checking: compare a backward pass with centred finite differences.

A backward pass is easy to get subtly wrong and the training loop will not tell you: a
slightly wrong gradient often still lowers the loss, just more slowly. The check is to perturb each input
entry by :math:`\pm\varepsilon`, re-run the forward pass, and compare

.. math:: \frac{\partial L}{\partial x_i} \approx
          \frac{L(x + \varepsilon e_i) - L(x - \varepsilon e_i)}{2\varepsilon}

with the analytic gradient. Checks must run in float64: in float32, at the steps used here, rounding alone makes
the differences wrong in the third digit.

Choosing :math:`\varepsilon`: the centred difference has a truncation error
:math:`\approx \varepsilon^2 |L^{(3)}|/6` (the one-sided one is :math:`O(\varepsilon)`) and
a rounding error :math:`\approx u\,|L|/\varepsilon`, with :math:`u \approx 10^{-16}` the
float64 unit roundoff; their sum is smallest near :math:`\varepsilon \approx u^{1/3}
\approx 5\cdot10^{-6}`. :func:`numerical_gradient` defaults to :math:`10^{-6}`; the two
checkers default to :math:`10^{-5}`, because their verdict is the *elementwise* relative
error, and at :math:`10^{-6}` the rounding error alone (:math:`\sim 10^{-10}` absolute for
a loss of order 1) exceeds :math:`10^{-7}` relative on every gradient entry smaller than
about :math:`10^{-3}`, which small softmax probabilities produce all the time. With
:math:`10^{-5}`, a correct backward agrees to about :math:`10^{-8}` or better; a wrong one
is typically off by :math:`10^{-2}` or more.

Three levels, from raw to ready-made:

- :func:`numerical_gradient` — the finite differences of a scalar function of one array;
- :func:`check_gradients` — any scalar loss with analytic gradients for a dict of arrays
  (a loss function, a whole model);
- :func:`check_layer_gradients` — a forward/backward pair, turned into a scalar loss
  :math:`L = \sum \mathrm{out} \odot \mathrm{dout}` with a random upstream gradient ``dout``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .params import flatten_params

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "check_layer_gradients"]


def _check_float64(x, name: str) -> None:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a float64 ndarray (it is perturbed in place), "
                        f"got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"{name} must be float64 for a gradient check (float32 differences are "
                        f"only good to ~1e-3), got {x.dtype}; use .astype(np.float64)")
    if not x.flags.writeable:
        raise ValueError(f"{name} must be writeable (it is perturbed in place)")


def _scalar(value) -> float:
    if np.ndim(value) != 0:
        raise TypeError(f"f must return a scalar loss, got an array of shape {np.shape(value)}")
    return float(value)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Centred-difference gradient of the scalar ``f()`` with respect to every entry of ``x``.

    .. math:: g_i = \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}

    ``f`` takes no arguments and must read ``x`` when called (a closure over it): each entry
    of ``x`` is changed in place, ``f`` re-evaluated, and the entry restored, even if ``f``
    raises. Cost: :math:`2\,\mathrm{size}(x)` calls of ``f``.

    Parameters
    ----------
    f : callable () -> float
    x : ndarray of float64, any shape
    eps : float > 0
        :math:`\varepsilon`.

    Returns
    -------
    ndarray, shape of ``x``
    """
    _check_float64(x, "x")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + eps
            f_plus, up = _scalar(f()), x[i]
            x[i] = old - eps
            f_minus, down = _scalar(f()), x[i]
        finally:
            x[i] = old
        # Divide by the step actually taken: old + eps is rounded, so it is not exactly 2 eps.
        grad[i] = (f_plus - f_minus) / (up - down)
    return grad


def relative_error(a, b) -> float:
    r"""Largest elementwise relative error between two arrays (the form of the cs231n assignments).

    .. math:: \max_i \frac{|a_i - b_i|}{\max(10^{-12},\ |a_i| + |b_i|)}

    The floor :math:`10^{-12}` only keeps the denominator from being 0: where a gradient
    entry is exactly zero on both sides (padding, unused embedding rows) the error is 0, and
    entries below about :math:`10^{-19}` count as agreeing, but rounding noise of
    :math:`10^{-11}` against an exact 0 gives an error of 1. Rule of thumb in float64:
    :math:`\le 10^{-7}` is right, :math:`\ge 10^{-4}` is usually a bug.

    Parameters
    ----------
    a, b : array_like, same shape (no broadcasting)

    Returns
    -------
    float (0.0 for empty arrays)
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))))


def _compare(f, arrays: dict, grads: dict, eps: float) -> dict:
    """Relative errors of flat ``grads`` against numerical gradients of ``f`` for flat ``arrays``."""
    missing = [k for k in arrays if k not in grads]
    extra = [k for k in grads if k not in arrays]
    if missing or extra:
        raise ValueError("the analytic grads must have the keys of the arrays checked; "
                         f"missing from grads: {missing}, not among the arrays: {extra}")
    # Copy first: the numerical loop re-runs the forward pass, which must not disturb them.
    analytic = {k: np.array(g, dtype=np.float64) for k, g in grads.items()}
    errors = {}
    for key, x in arrays.items():
        _check_float64(x, f"arrays[{key!r}]")
        if analytic[key].shape != x.shape:
            raise ValueError(f"the gradient for {key!r} has shape {analytic[key].shape} but "
                             f"the array has shape {x.shape}")
        errors[key] = relative_error(analytic[key], numerical_gradient(f, x, eps))
    return errors


def check_gradients(f: Callable[[], float], arrays: dict, grads: dict,
                    eps: float = 1e-5) -> dict[str, float]:
    r"""Check analytic gradients of a scalar loss against finite differences.

    Parameters
    ----------
    f : callable () -> float
        Recomputes the loss from the current contents of ``arrays`` (a closure).
    arrays : dict of float64 ndarray (possibly nested)
        The arrays to differentiate, e.g. ``{"logits": z}`` or a model's whole params tree.
        Perturbed in place and restored.
    grads : dict of ndarray
        The analytic gradients, same keys (and nesting) and shapes as ``arrays``.
    eps : float
        Step of the centred differences (1e-5: see the module notes).

    Returns
    -------
    dict
        ``{name: relative_error}``, nested keys joined with ``"/"`` (``"dense1/W"``).

    Examples
    --------
    >>> from rnnlib.losses import softmax_cross_entropy
    >>> z, y = np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 2, 1, 1])
    >>> loss, dz = softmax_cross_entropy(z, y)
    >>> errors = check_gradients(lambda: softmax_cross_entropy(z, y)[0], {"logits": z}, {"logits": dz})
    >>> errors["logits"] < 1e-7
    True
    """
    return _compare(f, flatten_params(arrays, "arrays"), flatten_params(grads, "grads"), eps)


def _split_backward(result, has_params: bool):
    """``(d_inputs, grads)`` from whatever a backward returns, by the layer convention."""
    if has_params:
        if isinstance(result, dict):             # e.g. embedding_backward: grads only
            return (), result
        if isinstance(result, tuple) and result and isinstance(result[-1], dict):
            return tuple(result[:-1]), result[-1]
        raise TypeError("backward of a layer with params must return (d_inputs..., grads) "
                        f"with grads a dict keyed like params, got {type(result).__name__}")
    if isinstance(result, dict):
        raise TypeError("backward returned a dict of grads but params is empty; pass the "
                        "layer's params to check_layer_gradients")
    return (tuple(result) if isinstance(result, tuple) else (result,)), {}


def check_layer_gradients(forward: Callable, backward: Callable, inputs: dict,
                          params: dict | None, rng: np.random.Generator, *,
                          wrt: Sequence[str] | None = None,
                          eps: float = 1e-5) -> dict[str, float]:
    r"""Gradient-check a forward/backward pair.

    Draws an upstream gradient :math:`\mathrm{dout} \sim \mathcal N(0, 1)` of the output's
    shape, so the scalar being differentiated is

    .. math:: L = \sum \mathrm{out} \odot \mathrm{dout}, \qquad
              \frac{\partial L}{\partial\,\mathrm{out}} = \mathrm{dout},

    and compares what ``backward(dout, cache)`` returns with the numerical gradient of
    :math:`L` for every input in ``wrt`` and every array of ``params``. (It evaluates
    :math:`L` as :math:`\sum (\mathrm{out} - \mathrm{out}_0) \odot \mathrm{dout}`, with
    :math:`\mathrm{out}_0` the unperturbed output: a constant shift with the same gradient
    that keeps rounding errors small.)

    Calling convention (that of every rnnlib layer):

    - ``forward(**inputs, params=params) -> (out, cache)``; when ``params`` is None or
      empty, ``forward(**inputs)``. Non-array inputs (``kind="tanh"``) and integer or
      boolean arrays (ids, masks) are passed along and not differentiated.
    - ``backward(dout, cache)`` returns ``(d_inputs..., grads)`` with ``grads`` keyed like
      ``params`` (it may return only ``grads`` when no input is differentiable, and only
      the ``d_inputs`` for a layer without params; a single ``dx`` need not be a tuple).
      ``d_inputs`` come in the order of ``wrt``.

    Adapt other signatures with a lambda or ``functools.partial``.

    Parameters
    ----------
    forward, backward : callable
    inputs : dict
        Keyword arguments of ``forward`` other than ``params``; differentiated arrays must
        be float64.
    params : dict of float64 ndarray (possibly nested) or None
    rng : numpy.random.Generator
        Draws ``dout``.
    wrt : sequence of str, optional
        Names of the inputs whose gradients ``backward`` returns, in its return order.
        Default: every floating-point ndarray in ``inputs``, in dict order.
    eps : float
        Step of the centred differences (1e-5: see the module notes).

    Returns
    -------
    dict
        ``{name: relative_error}`` for each input in ``wrt`` and each (flattened) param key.

    Examples
    --------
    >>> from rnnlib.layers import dense_forward, dense_backward, init_dense
    >>> rng = np.random.default_rng(0)
    >>> errors = check_layer_gradients(dense_forward, dense_backward,
    ...                                {"x": rng.normal(size=(4, 3))}, init_dense(3, 2, rng), rng)
    >>> sorted(errors), max(errors.values()) < 1e-7
    (['W', 'b', 'x'], True)
    """
    if not isinstance(inputs, dict):
        raise TypeError("inputs must be a dict of forward's keyword arguments, "
                        f"got {type(inputs).__name__}")
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"params must be a dict or None, got {type(params).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if wrt is None:
        wrt = [k for k, v in inputs.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    else:
        wrt = list(wrt)
        unknown = [k for k in wrt if k not in inputs]
        if unknown:
            raise ValueError(f"wrt names {unknown} that are not in inputs {list(inputs)}")
    has_params = bool(params)
    flat_params = flatten_params(params, "params") if has_params else {}
    clash = sorted(set(wrt) & set(flat_params))
    if clash:
        raise ValueError(f"names {clash} are both inputs and params; rename one")
    if not wrt and not flat_params:
        raise ValueError("nothing to check: no floating-point input and no params")
    for k in wrt:
        _check_float64(inputs[k], f"inputs[{k!r}]")
    for k, p in flat_params.items():
        _check_float64(p, f"params[{k!r}]")

    def run():
        return forward(**inputs, params=params) if has_params else forward(**inputs)

    out, cache = run()
    out = np.asarray(out)
    dout = rng.standard_normal(out.shape)
    d_inputs, grads = _split_backward(backward(dout, cache), has_params)
    if len(d_inputs) != len(wrt):
        raise ValueError(f"backward returned {len(d_inputs)} input gradient(s) but the inputs "
                         f"to check are {wrt}; pass wrt=[...] naming, in order, the inputs "
                         "whose gradients backward returns")
    analytic = dict(zip(wrt, d_inputs))
    analytic.update(flatten_params(grads, "grads"))
    arrays = {**{k: inputs[k] for k in wrt}, **flat_params}
    # sum((out - out0) * dout) differs from sum(out * dout) by a constant, so it has the same
    # gradient; but it is close to 0, so its rounding error is that of the few outputs a
    # perturbation changes, not of the whole sum (often 100x smaller).
    out0 = np.array(out, dtype=np.float64)
    return _compare(lambda: np.sum((run()[0] - out0) * dout), arrays, analytic, eps)
