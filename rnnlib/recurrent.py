r"""Recurrent layers as values, and the two ways of combining them: stacking and bidirectionality.

Every recurrent layer in ``rnnlib`` has the same interface,

- ``forward(x, h0, params, lengths=None) -> (hs, cache)`` with ``x`` of shape
  ``(batch, T, n_in)`` and ``hs`` of shape ``(batch, T, n_out)``; ``lengths`` (one per
  sequence, for right-padded batches) is data of the call, like ``x``;
- ``backward(dhs, cache) -> (dx, dh0, grads)``,

so a :class:`Layer` is just that pair. :func:`bidirectional` turns a layer into a layer that
reads the sequence both ways and concatenates the two states; :func:`stacked` feeds each
layer's states to the next as its input. Both return a :class:`Layer` again, so they compose:
a stack of bidirectional GRUs is ``stacked([bidirectional(gru_layer()), ...])``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .gru import gru_backward, gru_forward
from .rnn import rnn_backward, rnn_forward

__all__ = ["Layer", "Between", "StackCache", "rnn_layer", "gru_layer", "bidirectional", "stacked",
           "reverse_in_time"]


class Layer(NamedTuple):
    """A recurrent layer: ``forward(x, h0, params, lengths=None)`` and ``backward(dhs, cache)``."""

    forward: Callable
    backward: Callable


# A layer that reads left to right needs no lengths: right padding comes after every real
# token, so it cannot change a real position's state (what it does to the padded positions is
# masked by whatever reads them).
def rnn_layer(activation: str = "tanh") -> Layer:
    """The simple RNN of :mod:`rnnlib.rnn` as a :class:`Layer`."""
    def forward(x, h0, params, lengths=None):
        return rnn_forward(x, h0, params, activation)
    return Layer(forward, rnn_backward)


def gru_layer(reset_after: bool = False) -> Layer:
    """The GRU of :mod:`rnnlib.gru` as a :class:`Layer`."""
    def forward(x, h0, params, lengths=None):
        return gru_forward(x, h0, params, reset_after)
    return Layer(forward, gru_backward)


def reverse_in_time(x: np.ndarray, lengths=None) -> np.ndarray:
    """Reverse each sequence of ``x`` ``(batch, T, ...)`` along time, within its length.

    With ``lengths``, sequence ``b`` has ``lengths[b]`` real steps followed by padding; its real
    steps are reversed and the padding stays at the end, so a backward-running layer starts
    at the last real token. Reversing twice gives ``x`` back.
    """
    x = np.asarray(x)
    batch, T = x.shape[:2]
    if lengths is None:
        return x[:, ::-1]
    lengths = np.asarray(lengths)
    if lengths.shape != (batch,) or lengths.dtype.kind not in "iu":
        raise ValueError(f"lengths must be {batch} integers, one per sequence, got {lengths!r}")
    if np.any((lengths < 1) | (lengths > T)):
        raise ValueError(f"every length must be between 1 and T = {T}, got {lengths.tolist()}")
    t = np.arange(T)[None, :]
    index = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)       # (batch, T)
    index = index.reshape(index.shape + (1,) * (x.ndim - 2))
    return np.take_along_axis(x, index, axis=1)


class _BidirectionalCache(NamedTuple):
    forward: object
    backward: object
    n_forward: int
    lengths: np.ndarray | None


def bidirectional(layer: Layer) -> Layer:
    r"""A layer that runs ``layer`` forwards and a copy backwards in time (Schuster and Paliwal 1997).

    .. math:: \overrightarrow{h}^{\langle t \rangle} = f(\overrightarrow{h}^{\langle t-1 \rangle}, x^{\langle t \rangle}),
              \quad \overleftarrow{h}^{\langle t \rangle} = f(\overleftarrow{h}^{\langle t+1 \rangle}, x^{\langle t \rangle}),
              \quad h^{\langle t \rangle} = [\overrightarrow{h}^{\langle t \rangle}; \overleftarrow{h}^{\langle t \rangle}]

    The new layer's ``params`` is ``{"fwd": ..., "bwd": ...}`` (two independent parameter
    sets of ``layer``), its ``h0`` is the two initial states side by side, ``(batch, 2 n_h)``,
    and its states are ``(batch, T, 2 n_h)``. ``lengths``, given to ``forward`` with each batch
    (one per sequence, for right-padded batches), makes the backward direction start at each
    sequence's last real token.
    """

    def forward(x, h0, params, lengths=None):
        if not (isinstance(params, dict) and set(params) == {"fwd", "bwd"}):
            raise ValueError("params of a bidirectional layer must be a dict with keys 'fwd' and "
                             f"'bwd', got {sorted(params) if isinstance(params, dict) else type(params).__name__}")
        h0 = np.asarray(h0)
        if h0.ndim != 2 or h0.shape[1] % 2:
            raise ValueError(f"h0 of a bidirectional layer must be (batch, 2 n_h): the forward and "
                             f"backward initial states side by side, got {h0.shape}")
        n_h = h0.shape[1] // 2
        hs_f, cache_f = layer.forward(x, h0[:, :n_h], params["fwd"], lengths)
        hs_b_rev, cache_b = layer.forward(reverse_in_time(x, lengths), h0[:, n_h:], params["bwd"],
                                          lengths)
        hs = np.concatenate([hs_f, reverse_in_time(hs_b_rev, lengths)], axis=-1)
        return hs, _BidirectionalCache(cache_f, cache_b, hs_f.shape[-1], lengths)

    def backward(dhs, cache):
        if not isinstance(cache, _BidirectionalCache):
            raise TypeError("cache must be the one returned by the bidirectional layer's forward")
        n = cache.n_forward
        dx_f, dh0_f, g_f = layer.backward(dhs[..., :n], cache.forward)
        dx_b_rev, dh0_b, g_b = layer.backward(reverse_in_time(dhs[..., n:], cache.lengths), cache.backward)
        dx = dx_f + reverse_in_time(dx_b_rev, cache.lengths)
        return dx, np.concatenate([dh0_f, dh0_b], axis=1), {"fwd": g_f, "bwd": g_b}

    return Layer(forward, backward)


class Between(NamedTuple):
    """What :func:`stacked` applies to the states passed from one layer to the next (dropout,
    say): ``forward(hs) -> (hs, cache)`` and ``backward(dhs, cache) -> dhs``."""

    forward: Callable
    backward: Callable


class StackCache(NamedTuple):
    """What a :func:`stacked` layer's backward pass needs."""

    layers: list       #: one cache per layer
    between: list      #: one cache per connection between layers (None without ``between``)
    outputs: list      #: the states of every layer, (batch, T, n_h) each, bottom first


def stacked(layers: Sequence[Layer], between: Between | None = None) -> Layer:
    r"""A deep RNN: layer :math:`l` reads the states of layer :math:`l-1` at the same step.

    .. math:: h^{[l]\langle t \rangle} = f^{[l]}\big(h^{[l]\langle t-1 \rangle}, g(h^{[l-1]\langle t \rangle})\big),
              \qquad h^{[0]\langle t \rangle} = x^{\langle t \rangle}

    with :math:`g` the identity, or ``between`` (for example dropout between layers, which the
    language model of :mod:`rnnlib.language_model` uses). The new layer's ``params`` and ``h0``
    are lists with one entry per layer; its states are those of the top layer, and ``lengths``
    is handed to every layer. The backward pass returns ``dh0`` as a list too. The cache's
    ``outputs`` holds every layer's states, for the final state of each layer.
    """
    layers = list(layers)
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise ValueError("stacked needs a non-empty list of Layer values, e.g. [gru_layer(), gru_layer()]")
    if between is not None and not isinstance(between, Between):
        raise TypeError(f"between must be a Between(forward, backward) or None, got {type(between).__name__}")

    def forward(x, h0s, params_list, lengths=None):
        if len(h0s) != len(layers) or len(params_list) != len(layers):
            raise ValueError(f"a stack of {len(layers)} layers needs {len(layers)} initial states and "
                             f"{len(layers)} parameter sets, got {len(h0s)} and {len(params_list)}")
        caches, links, outputs, hs = [], [], [], x
        for i, (layer, h0, params) in enumerate(zip(layers, h0s, params_list)):
            if i > 0 and between is not None:
                hs, link = between.forward(hs)
                links.append(link)
            hs, cache = layer.forward(hs, h0, params, lengths)
            caches.append(cache)
            outputs.append(hs)
        return hs, StackCache(caches, links, outputs)

    def backward(dhs, cache):
        if not isinstance(cache, StackCache):
            raise TypeError("cache must be the StackCache returned by the stacked layer's forward")
        dh0s, grads = [None] * len(layers), [None] * len(layers)
        for i in range(len(layers) - 1, -1, -1):
            dhs, dh0s[i], grads[i] = layers[i].backward(dhs, cache.layers[i])
            if i > 0 and between is not None:
                dhs = between.backward(dhs, cache.between[i - 1])
        return dhs, dh0s, grads

    return Layer(forward, backward)
