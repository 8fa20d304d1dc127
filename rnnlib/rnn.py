r"""The simple (Elman) recurrent layer: step and sequence, forward and backward.

At every time step the hidden state is updated from the previous one and the input,

.. math::

    h^{\langle t \rangle} = g\big(W_{hh}\, h^{\langle t-1 \rangle} + W_{hx}\, x^{\langle t \rangle} + b_h\big)
                          = g\big(W_h [h^{\langle t-1 \rangle}; x^{\langle t \rangle}] + b_h\big),
    \qquad W_h = [W_{hh} \mid W_{hx}],

with the **same** parameters ``W_hx`` :math:`(n_h, n_x)`, ``W_hh`` :math:`(n_h, n_h)` and
``b_h`` :math:`(n_h,)` at every step (Elman 1990). The two products are *added*; ``W_hh`` is
square. In code, with batch-first data, a step reads ``g(x @ W_hx.T + h @ W_hh.T + b_h)``.

Speed: the sequence functions compute the input projections :math:`W_{hx} x^{\langle t
\rangle} + b_h` of all steps in one 2-D matrix product before the loop, and the weight
gradients in one product after the backward loop, so the Python loop over time holds only what
truly depends on the previous step: one ``(batch, n_h) @ (n_h, n_h)`` product and the
activation. The states are computed time-major and returned as a batch-first view, without a
copy. ``benchmarks/bench_hoisting.py`` measures what this buys against the concatenated step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import check_backward
from . import ops
from .layers import init_orthogonal
from .scan import scan
from .threads import one_blas_thread
from .validate import (as_float, check_finite, check_keys, check_rng, check_same_dtype, param,
                       positive_int)

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
           "init_rnn", "rnn_param_shapes", "RNN_PARAMS", "RNNStepCache", "RNNCache"]

#: The parameter names of a simple RNN layer, as in the notation table.
RNN_PARAMS = ("W_hx", "W_hh", "b_h")

# The activations of rnnlib.ops.ACTIVATIONS, with numpy's unchecked tanh and max in the loops
# (the inputs were checked once, at the top): activation -> (g, g' from g's output).
_ACTIVATIONS = {
    "tanh": (np.tanh, ops.tanh_grad_from_output),
    "sigmoid": (ops.sigmoid, ops.sigmoid_grad_from_output),
    "relu": (lambda z: np.maximum(z, 0), ops.relu_grad_from_output),
}


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_backward` needs."""

    x: np.ndarray        #: (batch, n_x) input of the step
    h_prev: np.ndarray   #: (batch, n_h) previous hidden state
    h: np.ndarray        #: (batch, n_h) new hidden state (the activation's output)
    W_hx: np.ndarray
    W_hh: np.ndarray
    activation: str


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs."""

    x: np.ndarray        #: (batch, T, n_x) inputs
    h0: np.ndarray       #: (batch, n_h) initial state
    hs: np.ndarray       #: (batch, T, n_h) hidden states of every step
    W_hx: np.ndarray
    W_hh: np.ndarray
    activation: str


def _check_params(params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    check_keys(params, RNN_PARAMS, "simple RNN")
    W_hx = param(params, "W_hx", 2, "(n_h, n_x)")
    W_hh = param(params, "W_hh", 2, "(n_h, n_h)")
    b_h = param(params, "b_h", 1, "(n_h,)")
    n_h = W_hx.shape[0]
    if W_hh.shape != (n_h, n_h):
        raise ValueError(f"params['W_hh'] must be square, (n_h, n_h) = ({n_h}, {n_h}) to match "
                         f"params['W_hx'] of shape {W_hx.shape}, got {W_hh.shape}")
    if b_h.shape != (n_h,):
        raise ValueError(f"params['b_h'] must have shape (n_h,) = ({n_h},), got {b_h.shape}")
    for name, p in (("W_hh", W_hh), ("b_h", b_h)):
        check_same_dtype(p, f"params['{name}']", W_hx.dtype, "params['W_hx']")
    return W_hx, W_hh, b_h


def _check_activation(activation) -> None:
    if activation not in ops.ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ops.ACTIVATIONS)}, got {activation!r}")


def _check_array(a, name: str, shape: tuple, shape_name: str, dtype) -> np.ndarray:
    a = as_float(a, name, dtype)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape_name} = {shape}, got {a.shape}")
    check_same_dtype(a, name, dtype, "params['W_hx']")
    check_finite(a, name)
    return a


def _check_inputs(x, h, params, activation, *, sequence: bool):
    """Validate a call of :func:`rnn_step_forward` (``x`` is ``(batch, n_x)``, ``h`` is
    ``h_prev``) or of :func:`rnn_forward` (``sequence``: ``x`` is ``(batch, T, n_x)``, ``h`` is
    ``h0``); returns ``(x, h, W_hx, W_hh, b_h)``."""
    _check_activation(activation)
    W_hx, W_hh, b_h = _check_params(params)
    n_h, n_x = W_hx.shape
    x = as_float(x, "x", W_hx.dtype)
    if sequence and (x.ndim != 3 or x.shape[2] != n_x or x.shape[1] == 0):
        raise ValueError(f"x must have shape (batch, T, n_x) with T >= 1 and n_x = {n_x} "
                         f"(params['W_hx'] is {W_hx.shape}), got {x.shape}")
    if not sequence and (x.ndim != 2 or x.shape[1] != n_x):
        raise ValueError(f"x must have shape (batch, n_x) with n_x = {n_x} (params['W_hx'] is "
                         f"{W_hx.shape}), got {x.shape}")
    x = _check_array(x, "x", x.shape, "(batch, T, n_x)" if sequence else "(batch, n_x)", W_hx.dtype)
    name = "h0" if sequence else "h_prev"
    h = _check_array(h, name, (x.shape[0], n_h), "(batch, n_h)", W_hx.dtype)
    return x, h, W_hx, W_hh, b_h


def _activate_in_place(z, activation: str) -> np.ndarray:
    """``g(z)`` written into ``z`` (the same values as ``_ACTIVATIONS``), for the kernels' loops."""
    if activation == "tanh":
        return np.tanh(z, out=z)
    if activation == "relu":
        return np.maximum(z, 0, out=z)
    z[...] = ops.sigmoid(z)
    return z


# ----------------------------------------------------------------- one step
def rnn_step_forward(x, h_prev, params: dict, activation: str = "tanh"):
    r"""One step: :math:`h = g(x W_{hx}^\top + h_{prev} W_{hh}^\top + b_h)`.

    Parameters
    ----------
    x : array_like, shape (batch, n_x)
    h_prev : array_like, shape (batch, n_h)
    params : dict
        ``W_hx`` (n_h, n_x), ``W_hh`` (n_h, n_h), ``b_h`` (n_h,).
    activation : {"tanh", "sigmoid", "relu"}

    Returns
    -------
    h : ndarray, shape (batch, n_h)
    cache : RNNStepCache
    """
    x, h_prev, W_hx, W_hh, b_h = _check_inputs(x, h_prev, params, activation, sequence=False)
    g, _ = _ACTIVATIONS[activation]
    h = g(x @ W_hx.T + h_prev @ W_hh.T + b_h)
    return h, RNNStepCache(x, h_prev, h, W_hx, W_hh, activation)


def rnn_step_backward(dh, cache: RNNStepCache):
    r"""Gradients of one step, given :math:`\partial L/\partial h`.

    With :math:`\delta = \partial L/\partial h \odot g'(z)` (computed from :math:`h = g(z)`):

    .. math::

        \frac{\partial L}{\partial x} = \delta W_{hx}, \quad
        \frac{\partial L}{\partial h_{prev}} = \delta W_{hh}, \quad
        \frac{\partial L}{\partial W_{hx}} = \delta^\top x, \quad
        \frac{\partial L}{\partial W_{hh}} = \delta^\top h_{prev}, \quad
        \frac{\partial L}{\partial b_h} = \textstyle\sum_{batch} \delta .

    Returns
    -------
    dx : ndarray, shape (batch, n_x)
    dh_prev : ndarray, shape (batch, n_h)
    grads : dict
        ``W_hx``, ``W_hh``, ``b_h``, shaped like the params.
    """
    dh = check_backward(dh, cache, RNNStepCache, "rnn_step_forward", "h", "dh", "RNN step")
    _, g_prime = _ACTIVATIONS[cache.activation]
    delta = dh * g_prime(cache.h)
    grads = {"W_hx": delta.T @ cache.x, "W_hh": delta.T @ cache.h_prev, "b_h": delta.sum(axis=0)}
    return delta @ cache.W_hx, delta @ cache.W_hh, grads


# ----------------------------------------------------------------- a whole sequence
@one_blas_thread()          # BLAS on one thread for the whole pass: see rnnlib.threads
def rnn_forward(x, h0, params: dict, activation: str = "tanh"):
    r"""Run the RNN over a sequence, from the initial state ``h0``.

    .. math:: h^{\langle t \rangle} = g\big(W_{hh} h^{\langle t-1 \rangle} + W_{hx} x^{\langle t \rangle} + b_h\big),
              \qquad t = 1, \dots, T

    Written with :func:`rnnlib.scan.scan`; the input projections of all steps are one matrix
    product before the loop. ``hs`` is a batch-first view of the time-major array the scan
    fills (not C-contiguous when ``batch > 1``).

    Parameters
    ----------
    x : array_like, shape (batch, T, n_x)
    h0 : array_like, shape (batch, n_h)
        :math:`h^{\langle 0 \rangle}`; often zeros, but any state works (for truncated
        backpropagation through time it is the last state of the previous chunk).
    params : dict
        ``W_hx`` (n_h, n_x), ``W_hh`` (n_h, n_h), ``b_h`` (n_h,).
    activation : {"tanh", "sigmoid", "relu"}

    Returns
    -------
    hs : ndarray, shape (batch, T, n_h)
        ``hs[:, t-1]`` is :math:`h^{\langle t \rangle}`.
    cache : RNNCache
    """
    x, h0, W_hx, W_hh, b_h = _check_inputs(x, h0, params, activation, sequence=True)
    (batch, T, n_x), n_h = x.shape, W_hh.shape[0]
    # Every step's input projection in one 2-D product, time-major: row t * batch + b is
    # x[b, t] @ W_hx.T. (A 3-D ``x @ W_hx.T`` would be one small product per sequence.)
    projected = x.swapaxes(0, 1).reshape(T * batch, n_x) @ W_hx.T
    projected += b_h
    # A row-major copy of W_hh.T, made once for the T products of the loop: with a batch of
    # rows, a BLAS library may multiply by it faster than by the transposed view.
    W_hh_T = W_hh.T if batch == 1 else np.ascontiguousarray(W_hh.T)

    def step(h_prev, z_t):
        z_t += h_prev @ W_hh_T          # z_t, this step's block of `projected`, in place
        h = _activate_in_place(z_t, activation)
        return h, h

    hs, _ = scan(step, projected.reshape(T, batch, n_h), h0)   # scan runs over time
    hs = hs.swapaxes(0, 1)            # (batch, T, n_h): a batch-first view, no copy
    return hs, RNNCache(x, h0, hs, W_hx, W_hh, activation)


@one_blas_thread()          # BLAS on one thread for the whole pass: see rnnlib.threads
def rnn_backward(dhs, cache: RNNCache):
    r"""Backpropagation through time for :func:`rnn_forward`.

    ``dhs[:, t]`` is the gradient of the loss with respect to :math:`h^{\langle t+1 \rangle}`
    coming from outside the recurrence (from the output layer). Walking back from the last
    step, the gradient reaching each state is that plus what flows back from the next step:

    .. math::

        \frac{\partial L}{\partial h^{\langle t \rangle}} = \mathrm{dhs}^{\langle t \rangle}
            + \delta^{\langle t+1 \rangle} W_{hh}, \qquad
        \delta^{\langle t \rangle} = \frac{\partial L}{\partial h^{\langle t \rangle}} \odot g'\big(z^{\langle t \rangle}\big),

    and the weights, used at every step, collect the sum over steps:
    :math:`\partial L/\partial W_{hh} = \sum_t \delta^{\langle t \rangle\top} h^{\langle t-1 \rangle}`,
    :math:`\partial L/\partial W_{hx} = \sum_t \delta^{\langle t \rangle\top} x^{\langle t \rangle}`,
    :math:`\partial L/\partial b_h = \sum_t \sum_{batch} \delta^{\langle t \rangle}`, each
    computed as one matrix product over all steps after the loop.

    Returns
    -------
    dx : ndarray, shape (batch, T, n_x)
    dh0 : ndarray, shape (batch, n_h)
    grads : dict
        ``W_hx``, ``W_hh``, ``b_h``.
    """
    dhs = check_backward(dhs, cache, RNNCache, "rnn_forward", "hs", "dhs", "RNN")
    hs, W_hh = cache.hs, cache.W_hh
    _, g_prime = _ACTIVATIONS[cache.activation]
    batch, T, n_h = hs.shape
    hs_t = hs.swapaxes(0, 1)             # time-major, as rnn_forward computed it
    deltas = g_prime(hs_t)               # g'(z) for every step; multiplied in place below
    dh_next = np.zeros((batch, n_h), dtype=hs.dtype)
    for t in range(T - 1, -1, -1):
        delta = deltas[t]
        delta *= dhs[:, t] + dh_next
        dh_next = delta @ W_hh
    # All steps at once, as 2-D products over the T * batch rows (row t * batch + b).
    flat_delta = deltas.reshape(T * batch, n_h)
    h_prev = np.concatenate([cache.h0[None], hs_t[:-1]]).reshape(T * batch, n_h)   # h^{<t-1>}
    x_flat = cache.x.swapaxes(0, 1).reshape(T * batch, -1)
    grads = {
        "W_hx": flat_delta.T @ x_flat,
        "W_hh": flat_delta.T @ h_prev,
        "b_h": flat_delta.sum(axis=0),
    }
    dx = (flat_delta @ cache.W_hx).reshape(T, batch, -1).swapaxes(0, 1)
    return dx, dh_next, grads


def rnn_param_shapes(n_x: int, n_h: int) -> dict[str, tuple]:
    """The shape of each of :data:`RNN_PARAMS` for ``n_x`` inputs and ``n_h`` hidden units."""
    return {"W_hx": (n_h, n_x), "W_hh": (n_h, n_h), "b_h": (n_h,)}


def init_rnn(n_x: int, n_h: int, rng: np.random.Generator, dtype=np.float64) -> dict:
    r"""Parameters of a simple RNN layer.

    ``W_hx`` is drawn like a dense layer's (Glorot uniform), ``W_hh`` as a random orthogonal
    matrix (all singular values 1, so at the start the product :math:`W_{hh} h` neither
    stretches nor shrinks the state), ``b_h`` is zero.
    """
    check_rng(rng)
    n_x, n_h = positive_int(n_x, "n_x"), positive_int(n_h, "n_h")
    limit = np.sqrt(6.0 / (n_x + n_h))
    W_hh = init_orthogonal(n_h, rng, dtype)        # drawn first: the order of the draws is fixed
    return {"W_hx": rng.uniform(-limit, limit, (n_h, n_x)).astype(dtype),
            "W_hh": W_hh, "b_h": np.zeros(n_h, dtype=dtype)}
