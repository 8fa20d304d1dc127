r"""The gated recurrent unit (GRU): forward and backward, both reset conventions, conversions.

The book's convention: the GRU of Cho et al. (2014) in the notation table's symbols, with the
update gate pointing the other way (Cho et al. write :math:`z = 1 - \Gamma_u`, the gate that keeps
the old state):

.. math::

    \Gamma_u &= \sigma\big(W_u [h^{\langle t-1 \rangle}; x^{\langle t \rangle}] + b_u\big)
        \qquad \text{(update gate)}\\
    \Gamma_r &= \sigma\big(W_r [h^{\langle t-1 \rangle}; x^{\langle t \rangle}] + b_r\big)
        \qquad \text{(relevance, or reset, gate)}\\
    \tilde h^{\langle t \rangle} &= \tanh\big(W_c [\Gamma_r \odot h^{\langle t-1 \rangle}; x^{\langle t \rangle}] + b_c\big)\\
    h^{\langle t \rangle} &= \Gamma_u \odot \tilde h^{\langle t \rangle} + (1 - \Gamma_u) \odot h^{\langle t-1 \rangle}

``W_u``, ``W_r``, ``W_c`` have shape :math:`(n_h, n_h + n_x)` and act on :math:`[h; x]`,
hidden part first: ``W[:, :n_h]`` multiplies the state, ``W[:, n_h:]`` the input.

With ``reset_after=True`` the reset gate is applied *after* the recurrent product, the form
of cuDNN, PyTorch and Keras:

.. math:: \tilde h^{\langle t \rangle} = \tanh\big(W_{cx} x^{\langle t \rangle} + b_c
          + \Gamma_r \odot (W_{ch} h^{\langle t-1 \rangle} + b_{ch})\big),

with :math:`W_c = [W_{ch} \mid W_{cx}]` and one more bias ``b_ch``. It is a different model
(:math:`W_{ch} (\Gamma_r \odot h)` and :math:`\Gamma_r \odot (W_{ch} h + b_{ch})` differ in
general; they agree, for example, when :math:`\Gamma_r` is all ones and :math:`b_{ch} = 0`),
chosen because the recurrent products of all three gates can then be computed in one matrix
product. PyTorch and Keras also write
:math:`z = 1 - \Gamma_u`; :func:`from_pytorch`, :func:`to_pytorch`, :func:`from_keras` and
:func:`to_keras` convert weights between their layouts and this one.

Two faces: :func:`gru_step_forward` and :func:`gru_step_backward` are one step written as
the equations, the code the chapters show; :func:`gru_forward` and :func:`gru_backward` are
the kernels for whole sequences that training uses, tested equal to the steps run in a loop.

Speed: the input projections of every gate and every step are computed before the loop, in two
matrix products (both gates, the candidate); inside it, one ``(batch, n_h) @ (n_h, 2 n_h)``
product for the gates and one for the candidate (with ``reset_after``, a single
``(n_h, 3 n_h)`` product for all three), and element-wise work done in place, in arrays
allocated once; weight gradients are one product each after the backward loop. Each pass runs
with BLAS on one thread (``rnnlib.threads`` says why).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import check_backward
from .layers import init_orthogonal
from .ops import sigmoid
from .threads import one_blas_thread
from .validate import (as_float, check_finite, check_keys, check_rng, check_same_dtype, param,
                       positive_int)

__all__ = ["gru_forward", "gru_backward", "gru_step_forward", "gru_step_backward", "init_gru",
           "gru_param_count", "from_pytorch", "to_pytorch", "from_keras", "to_keras",
           "gru_param_shapes", "GRU_PARAMS", "GRUCache", "GRUStepCache"]

#: Parameter names; ``reset_after=True`` adds ``b_ch``.
GRU_PARAMS = ("W_u", "W_r", "W_c", "b_u", "b_r", "b_c")


class GRUCache(NamedTuple):
    """What :func:`gru_backward` needs (per-step arrays are ``(batch, T, n_h)``)."""

    x: np.ndarray
    h0: np.ndarray
    hs: np.ndarray
    u: np.ndarray          #: update gate Γ_u
    r: np.ndarray          #: reset gate Γ_r
    c: np.ndarray          #: candidate h~
    rec: np.ndarray        #: Γ_r ⊙ h_prev (reset before) or W_ch h_prev + b_ch (reset after)
    params: dict
    reset_after: bool


def _check_params(params, reset_after: bool):
    keys = GRU_PARAMS + (("b_ch",) if reset_after else ())
    check_keys(params, keys, "GRU" + (" (reset_after=True)" if reset_after else ""))
    W_u = param(params, "W_u", 2, "(n_h, n_h + n_x)")
    n_h = W_u.shape[0]
    n_x = W_u.shape[1] - n_h
    if n_x < 1:
        raise ValueError(f"params['W_u'] must have shape (n_h, n_h + n_x) with n_x >= 1; got "
                         f"{W_u.shape}, which leaves no columns for the input")
    for key in keys:
        ndim, shape = (2, (n_h, n_h + n_x)) if key.startswith("W") else (1, (n_h,))
        p = param(params, key, ndim, "(n_h, n_h + n_x)" if ndim == 2 else "(n_h,)")
        if p.shape != shape:
            raise ValueError(f"params[{key!r}] must have shape {shape} to match params['W_u'] "
                             f"{W_u.shape} (n_h = {n_h}, n_x = {n_x}), got {p.shape}")
        check_same_dtype(p, f"params[{key!r}]", W_u.dtype, "params['W_u']")
    return n_h, n_x


def _check_inputs(x, h, params, reset_after, *, sequence: bool):
    """Validate a GRU call; returns ``(x, h, n_h)`` as float arrays of the weights' dtype.

    ``x`` is ``(batch, T, n_x)`` for a sequence, ``(batch, n_x)`` for one step; ``h`` is the
    initial or previous state, ``(batch, n_h)``.
    """
    if not isinstance(reset_after, bool):
        raise TypeError(f"reset_after must be True or False, got {reset_after!r}")
    n_h, n_x = _check_params(params, reset_after)
    dtype = params["W_u"].dtype
    x = as_float(x, "x", dtype)
    if sequence and (x.ndim != 3 or x.shape[2] != n_x or x.shape[1] == 0):
        raise ValueError(f"x must have shape (batch, T, n_x) with T >= 1 and n_x = {n_x} "
                         f"(params['W_u'] is {params['W_u'].shape}), got {x.shape}")
    if not sequence and (x.ndim != 2 or x.shape[1] != n_x):
        raise ValueError(f"x must have shape (batch, n_x) with n_x = {n_x} "
                         f"(params['W_u'] is {params['W_u'].shape}), got {x.shape}")
    check_same_dtype(x, "x", dtype, "params['W_u']")
    check_finite(x, "x")
    name = "h0" if sequence else "h_prev"
    h = as_float(h, name, dtype)
    if h.shape != (x.shape[0], n_h):
        raise ValueError(f"{name} must have shape (batch, n_h) = {(x.shape[0], n_h)}, got {h.shape}")
    check_same_dtype(h, name, dtype, "params['W_u']")
    check_finite(h, name)
    return x, h, n_h


def _sigmoid_in_place(z):
    """σ(z) = 1 / (1 + e^{-z}), written into ``z``: four passes over the array, no allocation.

    Accurate to a few units in the last place for every finite z: where e^{-z} is large the
    quotient keeps its relative precision, and where e^{-z} overflows (z < -709 in float64),
    σ(z) is 0 to working precision. (ops.sigmoid avoids the overflow, with more passes.)
    """
    with np.errstate(over="ignore"):
        np.exp(np.negative(z, out=z), out=z)
    z += 1
    return np.divide(1, z, out=z)


@one_blas_thread()          # BLAS on one thread for the whole pass: see rnnlib.threads
def gru_forward(x, h0, params: dict, reset_after: bool = False):
    r"""Run a GRU over a sequence.

    Parameters
    ----------
    x : array_like, shape (batch, T, n_x)
    h0 : array_like, shape (batch, n_h)
        The initial state. Test with a nonzero one: with :math:`h^{\langle 0 \rangle} = 0`
        the reset gate has nothing to act on at the first step (with ``reset_after``, nothing
        but ``b_ch``).
    params : dict
        ``W_u``, ``W_r``, ``W_c`` (n_h, n_h + n_x); ``b_u``, ``b_r``, ``b_c`` (n_h,); and
        ``b_ch`` (n_h,) when ``reset_after``.
    reset_after : bool
        Apply the reset gate after the recurrent product (cuDNN/PyTorch/Keras form).

    Returns
    -------
    hs : ndarray, shape (batch, T, n_h)
        A batch-first view of a time-major array (not C-contiguous when ``batch > 1``), as are
        the cache's gates, candidates and ``rec``; all five share one allocation, so keeping
        ``hs`` alone keeps them all (copy it to keep only the states).
    cache : GRUCache
    """
    x, h0, n_h = _check_inputs(x, h0, params, reset_after, sequence=True)
    batch, T, n_x = x.shape
    W_u, W_r, W_c = params["W_u"], params["W_r"], params["W_c"]
    # Everything the pass keeps, in one array allocated once, time-major (block t is step t):
    # the projections that the steps turn into [Γ_u, Γ_r] and h~ in place, the states and rec.
    # (One allocation rather than five: in our measurements, glibc's allocator reused one
    # large block freed by the previous call, but gave five back to the system, and every
    # call paid a page fault for each of their pages.)
    size = T * batch * n_h
    kept = np.empty(5 * size, x.dtype)
    a_ur_all = kept[:2 * size].reshape(T, batch, 2 * n_h)
    a_c_all, hs, rec = (kept[i * size:(i + 1) * size].reshape(T, batch, n_h) for i in (2, 3, 4))
    # Input projections of every gate at every step, before the loop: 2-D products, time-major
    # (row t * batch + b is step t of sequence b), one for both gates and one for the candidate,
    # so that the block of each step is contiguous (numpy is several times slower on strided
    # blocks) and the sigmoid of both gates is one call.
    x_tm = x.swapaxes(0, 1).reshape(T * batch, n_x)
    W_urx_T = np.concatenate([W_u[:, n_h:], W_r[:, n_h:]]).T                 # (n_x, 2 n_h)
    np.matmul(x_tm, W_urx_T, out=a_ur_all.reshape(T * batch, 2 * n_h))
    a_ur_all += np.concatenate([params["b_u"], params["b_r"]])
    np.matmul(x_tm, W_c[:, n_h:].T, out=a_c_all.reshape(T * batch, n_h))
    a_c_all += params["b_c"]
    # The recurrent weights of the gates side by side: one product per step for both gates
    # (with reset_after, for all three). With a batch of rows, a row-major copy of the
    # transposed weights, made once, may multiply faster than the transposed view.
    blocks = [W_u[:, :n_h], W_r[:, :n_h]] + ([W_c[:, :n_h]] if reset_after else [])
    W_hid, W_ch_T = np.concatenate(blocks).T, W_c[:, :n_h].T              # (n_h, 2 or 3 n_h)
    if batch > 1:
        W_hid, W_ch_T = np.ascontiguousarray(W_hid), np.ascontiguousarray(W_ch_T)
    hw = np.empty((batch, W_hid.shape[1]), x.dtype)   # h_prev @ W_hid
    tmp = np.empty((batch, n_h), x.dtype)

    h_prev = h0
    for t in range(T):
        a_ur, a_c = a_ur_all[t], a_c_all[t]
        np.matmul(h_prev, W_hid, out=hw)
        a_ur += hw[:, :2 * n_h]
        u_r = _sigmoid_in_place(a_ur)                             # both gates in one call
        u, r = u_r[:, :n_h], u_r[:, n_h:]
        if reset_after:
            np.add(hw[:, 2 * n_h:], params["b_ch"], out=rec[t])   # W_ch h_prev + b_ch
            a_c += np.multiply(r, rec[t], out=tmp)
        else:
            np.multiply(r, h_prev, out=rec[t])                    # Γ_r ⊙ h_prev
            a_c += np.matmul(rec[t], W_ch_T, out=tmp)
        c = np.tanh(a_c, out=a_c)
        # h = Γ_u ⊙ h~ + (1 - Γ_u) ⊙ h_prev, computed as h_prev + Γ_u ⊙ (h~ - h_prev)
        np.subtract(c, h_prev, out=hs[t])
        hs[t] *= u
        hs[t] += h_prev
        h_prev = hs[t]

    bf = lambda a: a.swapaxes(0, 1)                    # batch-first views, no copies
    u, r, c = bf(a_ur_all[..., :n_h]), bf(a_ur_all[..., n_h:]), bf(a_c_all)
    return bf(hs), GRUCache(x, h0, bf(hs), u, r, c, bf(rec), params, reset_after)


@one_blas_thread()          # BLAS on one thread for the whole pass: see rnnlib.threads
def gru_backward(dhs, cache: GRUCache):
    r"""Backpropagation through time for :func:`gru_forward`.

    Per step, with :math:`a_u, a_r, a_c` the pre-activations of :math:`\Gamma_u, \Gamma_r,
    \tilde h` and :math:`dh` the gradient reaching :math:`h^{\langle t \rangle}` (from outside
    plus from step :math:`t+1`):

    .. math::

        da_c &= dh \odot \Gamma_u \odot (1 - \tilde h^2), \qquad
        da_u = dh \odot (\tilde h - h^{\langle t-1 \rangle}) \odot \Gamma_u (1 - \Gamma_u),\\
        dh^{\langle t-1 \rangle} &= dh \odot (1 - \Gamma_u) + \text{(through the gates and
        the candidate)},

    and the reset gate's share depends on the convention (before: through
    :math:`\Gamma_r \odot h^{\langle t-1 \rangle}`; after: through
    :math:`\Gamma_r \odot (W_{ch} h^{\langle t-1 \rangle} + b_{ch})`).

    Returns
    -------
    dx : ndarray, shape (batch, T, n_x)
        A batch-first view of a time-major array.
    dh0 : ndarray, shape (batch, n_h)
    grads : dict
        Keyed like the params.
    """
    dhs = check_backward(dhs, cache, GRUCache, "gru_forward", "hs", "dhs", "GRU")
    params, reset_after = cache.params, cache.reset_after
    batch, T, n_h = cache.hs.shape
    # Time-major views (gru_forward stores its arrays time-major: no copies).
    tm = lambda a: a.swapaxes(0, 1)
    hs, u, r, c, rec, dhs = (tm(a) for a in (cache.hs, cache.u, cache.r, cache.c, cache.rec, dhs))
    W_u, W_r, W_c = params["W_u"], params["W_r"], params["W_c"]
    W_ch = W_c[:, :n_h]
    W_urh = np.concatenate([W_u[:, :n_h], W_r[:, :n_h]])             # (2 n_h, n_h)
    # One array for the pass's large work arrays (one, for the reason given in gru_forward):
    # the pre-activation gradients of every step, filled by the loop, [da_u, da_r, da_c], with
    # reset_after also d(W_ch h_prev + b_ch); and h^{<t-1>} for every t. The weight gradients
    # after the loop need them all.
    size = T * batch * n_h
    work = np.empty((5 if reset_after else 4) * size, hs.dtype)
    da = work[:3 * size].reshape(T, batch, 3 * n_h)
    h_prev = work[3 * size:4 * size].reshape(T, batch, n_h)
    np.concatenate([cache.h0[None], hs[:-1]], out=h_prev)
    drec = work[4 * size:].reshape(T, batch, n_h) if reset_after else None
    # The loop works in small buffers, allocated once: each step's factors are computed from
    # the cache in them (no full-size temporaries), in the order of the step's equations.
    dh, dh_next = np.empty((batch, n_h), hs.dtype), np.zeros((batch, n_h), hs.dtype)
    keep, f, back, tmp = (np.empty_like(dh) for _ in range(4))
    for t in range(T - 1, -1, -1):
        u_t, r_t, c_t, hp = u[t], r[t], c[t], h_prev[t]
        da_u, da_r, da_c = da[t, :, :n_h], da[t, :, n_h:2 * n_h], da[t, :, 2 * n_h:]
        np.add(dhs[t], dh_next, out=dh)
        np.subtract(1, u_t, out=keep)                             # d h / d h_prev, memory path
        # da_c = dh ⊙ Γ_u ⊙ (1 - h~²)
        np.subtract(1, np.multiply(c_t, c_t, out=f), out=f)
        np.multiply(dh, np.multiply(u_t, f, out=f), out=da_c)
        # da_u = dh ⊙ (h~ - h_prev) ⊙ Γ_u (1 - Γ_u)
        np.multiply(np.subtract(c_t, hp, out=f), u_t, out=f)
        np.multiply(dh, np.multiply(f, keep, out=f), out=da_u)
        # the reset gate: Γ_r (1 - Γ_r) times what it multiplies
        np.multiply(rec[t] if reset_after else hp, r_t, out=f)
        f *= np.subtract(1, r_t, out=tmp)
        if reset_after:
            np.multiply(da_c, r_t, out=drec[t])                   # d(W_ch h_prev + b_ch)
            np.multiply(da_c, f, out=da_r)
            np.matmul(drec[t], W_ch, out=back)
            np.multiply(dh, keep, out=dh_next)
            dh_next += back
        else:
            np.matmul(da_c, W_ch, out=back)                       # d(Γ_r ⊙ h_prev)
            np.multiply(back, f, out=da_r)
            np.multiply(dh, keep, out=dh_next)
            dh_next += np.multiply(back, r_t, out=tmp)
        dh_next += np.matmul(da[t, :, :2 * n_h], W_urh, out=tmp)  # both gates in one product

    # Weight gradients: one product each over all steps and examples (rows t * batch + b).
    flat = lambda a: a.reshape(T * batch, -1)
    da_f, x_f, hp_f = flat(da), flat(tm(cache.x)), flat(h_prev)
    dW_x = da_f.T @ x_f                                                 # (3 n_h, n_x)
    dW_urh = da_f[:, :2 * n_h].T @ hp_f                                 # both gates at once
    dW_uh, dW_rh = dW_urh[:n_h], dW_urh[n_h:]
    if reset_after:
        dW_ch = flat(drec).T @ hp_f
    else:
        dW_ch = da_f[:, 2 * n_h:].T @ flat(rec)                         # rec = Γ_r ⊙ h_prev
    db = da_f.sum(axis=0)
    grads = {
        "W_u": np.concatenate([dW_uh, dW_x[:n_h]], axis=1),
        "W_r": np.concatenate([dW_rh, dW_x[n_h:2 * n_h]], axis=1),
        "W_c": np.concatenate([dW_ch, dW_x[2 * n_h:]], axis=1),
        "b_u": db[:n_h], "b_r": db[n_h:2 * n_h], "b_c": db[2 * n_h:],
    }
    if reset_after:
        grads["b_ch"] = flat(drec).sum(axis=0)
    W_x = np.concatenate([W_u[:, n_h:], W_r[:, n_h:], W_c[:, n_h:]])
    dx = (da_f @ W_x).reshape(T, batch, -1)
    return tm(dx), dh_next, grads


class GRUStepCache(NamedTuple):
    """What :func:`gru_step_backward` needs: one step's input, state, gates and candidate."""

    x: np.ndarray          #: (batch, n_x)
    h_prev: np.ndarray     #: (batch, n_h)
    u: np.ndarray          #: update gate Γ_u
    r: np.ndarray          #: reset gate Γ_r
    c: np.ndarray          #: candidate h~
    rec: np.ndarray        #: Γ_r ⊙ h_prev (reset before) or W_ch h_prev + b_ch (reset after)
    params: dict
    reset_after: bool


def gru_step_forward(x, h_prev, params: dict, reset_after: bool = False):
    r"""One GRU step, written as the equations of the module docstring.

    ``x`` is ``(batch, n_x)``, ``h_prev`` ``(batch, n_h)``; returns ``(h, cache)``. This is
    the face to read; :func:`gru_forward` computes the same states for a whole sequence,
    faster (the tests hold the two equal to 1e-12).
    """
    x, h_prev, n_h = _check_inputs(x, h_prev, params, reset_after, sequence=False)
    W_u, W_r, W_c = params["W_u"], params["W_r"], params["W_c"]
    hx = np.concatenate([h_prev, x], axis=1)                      # [h<t-1>; x<t>]
    u = sigmoid(hx @ W_u.T + params["b_u"])                       # update gate Γ_u
    r = sigmoid(hx @ W_r.T + params["b_r"])                       # reset gate Γ_r
    if reset_after:       # cuDNN, PyTorch, Keras: Γ_r ⊙ (W_ch h<t-1> + b_ch)
        rec = h_prev @ W_c[:, :n_h].T + params["b_ch"]
        c = np.tanh(x @ W_c[:, n_h:].T + params["b_c"] + r * rec)
    else:                 # the book: W_c [Γ_r ⊙ h<t-1>; x<t>]
        rec = r * h_prev
        c = np.tanh(np.concatenate([rec, x], axis=1) @ W_c.T + params["b_c"])
    h = u * c + (1 - u) * h_prev                                  # keep or overwrite
    return h, GRUStepCache(x, h_prev, u, r, c, rec, params, reset_after)


def gru_step_backward(dh, cache: GRUStepCache):
    r"""Gradients of one step, by the chain rule through :func:`gru_step_forward`.

    With :math:`a_u, a_r, a_c` the pre-activations of :math:`\Gamma_u, \Gamma_r, \tilde h`:
    :math:`da_c = dh \odot \Gamma_u \odot (1 - \tilde h^2)` and
    :math:`da_u = dh \odot (\tilde h - h^{\langle t-1 \rangle}) \odot \Gamma_u (1 - \Gamma_u)`;
    the reset gate's share depends on the convention. Returns ``(dx, dh_prev, grads)``.
    """
    dh = check_backward(dh, cache, GRUStepCache, "gru_step_forward", "h_prev", "dh", "GRU step")
    x, h_prev, u, r, c, rec, params, reset_after = cache
    n_h = h_prev.shape[1]
    W_u, W_r, W_c = params["W_u"], params["W_r"], params["W_c"]
    W_ch, W_cx = W_c[:, :n_h], W_c[:, n_h:]
    da_c = dh * u * (1 - c * c)                                   # h = Γ_u h~ + ..., h~ = tanh(a_c)
    da_u = dh * (c - h_prev) * u * (1 - u)                        # Γ_u = σ(a_u)
    dh_prev = dh * (1 - u)                                        # the memory path
    grads = {}
    if reset_after:       # a_c = W_cx x + b_c + Γ_r ⊙ rec, rec = W_ch h_prev + b_ch
        drec = da_c * r
        da_r = da_c * rec * r * (1 - r)
        dh_prev += drec @ W_ch
        grads["W_c"] = np.concatenate([drec.T @ h_prev, da_c.T @ x], axis=1)
        grads["b_ch"] = drec.sum(axis=0)
    else:                 # a_c = W_c [rec; x] + b_c, rec = Γ_r ⊙ h_prev
        drec = da_c @ W_ch
        da_r = drec * h_prev * r * (1 - r)
        dh_prev += drec * r
        grads["W_c"] = da_c.T @ np.concatenate([rec, x], axis=1)
    hx = np.concatenate([h_prev, x], axis=1)
    dhx = da_u @ W_u + da_r @ W_r                                 # both gates read [h_prev; x]
    dh_prev += dhx[:, :n_h]
    dx = dhx[:, n_h:] + da_c @ W_cx
    grads.update(W_u=da_u.T @ hx, W_r=da_r.T @ hx, b_u=da_u.sum(axis=0), b_r=da_r.sum(axis=0),
                 b_c=da_c.sum(axis=0))
    return dx, dh_prev, {k: grads[k] for k in params}


def gru_param_shapes(n_x: int, n_h: int, reset_after: bool = False) -> dict[str, tuple]:
    """The shape of each parameter of a GRU layer: :data:`GRU_PARAMS`, and ``b_ch`` when
    ``reset_after``."""
    keys = GRU_PARAMS + (("b_ch",) if reset_after else ())
    return {k: (n_h, n_h + n_x) if k.startswith("W") else (n_h,) for k in keys}


def init_gru(n_x: int, n_h: int, rng: np.random.Generator, dtype=np.float64,
             reset_after: bool = False) -> dict:
    """GRU parameters: input parts Glorot-uniform, recurrent parts orthogonal, biases zero."""
    check_rng(rng)
    n_x, n_h = positive_int(n_x, "n_x"), positive_int(n_h, "n_h")
    limit = np.sqrt(6.0 / (n_x + n_h))
    params = {}
    for gate in "urc":
        params[f"W_{gate}"] = np.concatenate(
            [init_orthogonal(n_h, rng), rng.uniform(-limit, limit, (n_h, n_x))], axis=1).astype(dtype)
    for key, shape in gru_param_shapes(n_x, n_h, reset_after).items():
        if key.startswith("b"):
            params[key] = np.zeros(shape, dtype=dtype)
    return params


def gru_param_count(n_x: int, n_h: int, reset_after: bool = False, convention: str = "book") -> int:
    r"""Parameters of one GRU layer.

    ``convention="book"``: this module's layout, :math:`3 n_h (n_h + n_x + 1)`, plus
    :math:`n_h` for ``b_ch`` when ``reset_after``. ``convention="pytorch"`` or ``"keras"``:
    those libraries keep an input and a recurrent bias for every gate,
    :math:`3 n_h (n_h + n_x + 2)` (``reset_after=True``: PyTorch's only form and Keras's default;
    with ``reset_after=False``, Keras's single-bias :math:`3 n_h (n_h + n_x + 1)`); two of the six
    bias vectors are redundant (:math:`b_{ir} + b_{hr}` acts as one bias), which is why the
    book's count is :math:`2 n_h` smaller.
    """
    if convention == "book":
        return 3 * n_h * (n_h + n_x + 1) + (n_h if reset_after else 0)
    if convention in ("pytorch", "keras"):
        return 3 * n_h * (n_h + n_x + (2 if reset_after else 1))
    raise ValueError(f"convention must be 'book', 'pytorch' or 'keras', got {convention!r}")


# ----------------------------------------------------------------- other libraries' layouts
def from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh) -> dict:
    r"""Book parameters (``reset_after=True``) from a PyTorch ``nn.GRU`` layer's arrays.

    PyTorch stacks the gates as :math:`(r, z, n)`: ``weight_ih`` is :math:`(3n_h, n_x)`,
    ``weight_hh`` :math:`(3n_h, n_h)`, the biases :math:`(3n_h,)`, and computes
    :math:`h' = (1 - z) \odot n + z \odot h` with :math:`z = \sigma(\cdot)`. Since
    :math:`1 - \sigma(a) = \sigma(-a)`, the book's update gate is :math:`\Gamma_u = 1 - z`
    with negated weights and bias.
    """
    w_ih, w_hh = np.asarray(weight_ih), np.asarray(weight_hh)
    b_ih, b_hh = np.asarray(bias_ih), np.asarray(bias_hh)
    n_h = w_hh.shape[1]
    if w_hh.shape != (3 * n_h, n_h) or w_ih.shape[0] != 3 * n_h or w_ih.ndim != 2 \
            or b_ih.shape != (3 * n_h,) or b_hh.shape != (3 * n_h,):
        raise ValueError("expected weight_ih (3 n_h, n_x), weight_hh (3 n_h, n_h), bias_ih and "
                         f"bias_hh (3 n_h,); got {w_ih.shape}, {w_hh.shape}, {b_ih.shape}, {b_hh.shape}")
    r, z, n = (slice(i * n_h, (i + 1) * n_h) for i in range(3))
    return {
        "W_u": -np.concatenate([w_hh[z], w_ih[z]], axis=1),
        "W_r": np.concatenate([w_hh[r], w_ih[r]], axis=1),
        "W_c": np.concatenate([w_hh[n], w_ih[n]], axis=1),
        "b_u": -(b_ih[z] + b_hh[z]), "b_r": b_ih[r] + b_hh[r], "b_c": b_ih[n].copy(),
        "b_ch": b_hh[n].copy(),
    }


def to_pytorch(params: dict) -> dict:
    """The inverse of :func:`from_pytorch`; the recurrent biases of ``r`` and ``z`` are set to 0."""
    n_h, _ = _check_params(params, reset_after=True)
    hid, inp = slice(0, n_h), slice(n_h, None)
    W = {"r": params["W_r"], "z": -params["W_u"], "n": params["W_c"]}
    zeros = np.zeros(n_h, dtype=params["W_u"].dtype)
    return {
        "weight_ih": np.concatenate([W[g][:, inp] for g in "rzn"]),
        "weight_hh": np.concatenate([W[g][:, hid] for g in "rzn"]),
        "bias_ih": np.concatenate([params["b_r"], -params["b_u"], params["b_c"]]),
        "bias_hh": np.concatenate([zeros, zeros, params["b_ch"]]),
    }


def from_keras(kernel, recurrent_kernel, bias) -> dict:
    r"""Book parameters (``reset_after=True``) from a Keras ``GRU`` layer's weights.

    Keras stores ``kernel`` :math:`(n_x, 3n_h)` and ``recurrent_kernel`` :math:`(n_h, 3n_h)`
    with gates in the order :math:`(z, r, h)` and ``bias`` :math:`(2, 3n_h)` (input bias,
    recurrent bias) when ``reset_after=True``; its update is also
    :math:`h = z \odot h_{prev} + (1 - z) \odot \tilde h`. The layout is PyTorch's, transposed
    and reordered.
    """
    kernel, rk, bias = np.asarray(kernel), np.asarray(recurrent_kernel), np.asarray(bias)
    n_h = rk.shape[0]
    if rk.shape != (n_h, 3 * n_h) or kernel.ndim != 2 or kernel.shape[1] != 3 * n_h \
            or bias.shape != (2, 3 * n_h):
        raise ValueError("expected kernel (n_x, 3 n_h), recurrent_kernel (n_h, 3 n_h) and bias "
                         f"(2, 3 n_h) (reset_after=True); got {kernel.shape}, {rk.shape}, {bias.shape}")
    z, r, h = (slice(i * n_h, (i + 1) * n_h) for i in range(3))
    reorder = lambda a: np.concatenate([a[..., r], a[..., z], a[..., h]], axis=-1)
    return from_pytorch(reorder(kernel).T, reorder(rk).T, reorder(bias[0]), reorder(bias[1]))


def to_keras(params: dict) -> dict:
    """The inverse of :func:`from_keras`: ``kernel``, ``recurrent_kernel``, ``bias``."""
    pt = to_pytorch(params)
    n_h = pt["weight_hh"].shape[1]
    r, z, h = (slice(i * n_h, (i + 1) * n_h) for i in range(3))
    reorder = lambda a: np.concatenate([a[z], a[r], a[h]])
    return {"kernel": reorder(pt["weight_ih"]).T, "recurrent_kernel": reorder(pt["weight_hh"]).T,
            "bias": np.stack([reorder(pt["bias_ih"]), reorder(pt["bias_hh"])])}
