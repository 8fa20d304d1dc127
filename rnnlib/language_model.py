r"""A recurrent language model assembled from rnnlib's layers, with a fast output layer.

The model reads token ids and, after each one, gives a distribution over the next:

.. math::

    x^{\langle t \rangle} = \operatorname{dropout}(E_{\mathrm{ids}_t}), \qquad
    h^{[l]\langle t \rangle} = f^{[l]}\big(h^{[l]\langle t-1 \rangle},\,
        \operatorname{dropout}(h^{[l-1]\langle t \rangle})\big), \quad l = 1, \dots, L,

    z^{\langle t \rangle} = W \operatorname{dropout}(h^{[L]\langle t \rangle}) + b, \qquad
    \log \hat y^{\langle t \rangle} = \operatorname{log\,softmax}(z^{\langle t \rangle})

with :math:`h^{[0]\langle t \rangle} = x^{\langle t \rangle}` and :math:`f^{[l]}` a simple RNN or
a GRU layer (:func:`rnnlib.recurrent.rnn_layer`, :func:`rnnlib.recurrent.gru_layer`). Dropout
(inverted, :func:`rnnlib.layers.dropout_forward`) is applied only to the non-recurrent
connections, as in Zaremba, Sutskever and Vinyals (2014): on the embeddings, between layers,
and before the output layer, never on the state carried from step to step.

Parameters are a nested dict::

    {"embed": {"E": (V, n_embed)},
     "layers": {"0": {...first recurrent layer...}, "1": {...}, ...},
     "out": {"W": (V, n_hidden), "b": (V,)}}

With ``tie_weights=True`` the output layer reuses the embedding table, :math:`W = E` (Press
and Wolf 2017; Inan, Khosravi and Socher 2017), and ``"out"`` holds only ``"b"``. The word
that comes in and the word that comes out are then one vector: a word-level model loses up to
half of its parameters and usually reaches a lower perplexity, since every occurrence of a
word, as input or as target, trains the same row. It needs ``n_embed == n_hidden``.

**The output layer dominates the cost** of a word-level model: with :math:`V \approx 14\,000`
words it is a :math:`(B T) \times n_h` by :math:`n_h \times V` product, far larger than anything
in the recurrence. So it is written for speed: one matrix product over all :math:`B \times T`
positions (flattened, not a loop over time), and :func:`rnnlib.losses.fused_cross_entropy` computes the
log-softmax, the cross-entropy and its gradient
:math:`(\operatorname{softmax}(z) - \mathrm{onehot}(y)) / N` in a few in-place passes over
the logits, without materialising a one-hot matrix or a second ``(B T, V)`` array. In float32
it runs at twice the speed of float64 (``benchmarks/bench_language_model.py`` measures it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .gru import gru_param_shapes, init_gru
from .layers import (DropoutCache, EmbeddingCache, dropout_backward, dropout_forward,
                     embedding_backward, embedding_forward, init_dense, init_embedding)
from .losses import fused_cross_entropy
from .params import flatten_params
from .recurrent import Between, Layer, StackCache, gru_layer, rnn_layer, stacked
from .ops import ACTIVATIONS
from .rnn import init_rnn, rnn_param_shapes
from .validate import check_cache, check_ids, check_rng, positive_int

__all__ = ["LMConfig", "LMCache", "init_language_model", "initial_states", "param_shapes",
           "check_config", "check_params", "param_mismatch", "lm_forward", "lm_backward", "lm_loss_and_grads",
           "CELLS"]

#: The recurrent cells a language model can use.
CELLS = ("rnn", "gru")


@dataclass(frozen=True)
class LMConfig:
    """The shape and options of a language model (everything but the weights).

    Parameters
    ----------
    vocab_size : int
        :math:`V`, the number of tokens (the size of the vocabulary).
    n_embed : int
        Size of the word vectors.
    n_hidden : int
        :math:`n_h`, the state size of every recurrent layer.
    n_layers : int
        Number of stacked recurrent layers.
    cell : {"rnn", "gru"}
    dropout : float in [0, 1)
        Drop probability on the embeddings, between layers and before the output layer.
    dtype : str or numpy dtype
        Stored as its name (``"float64"``, ``"float32"``); float32 trains about twice as fast.
    reset_after : bool
        GRU only: the cuDNN/PyTorch/Keras placement of the reset gate.
    activation : {"tanh", "sigmoid", "relu"}
        Simple RNN only.
    tie_weights : bool
        Use the embedding table as the output weights (:math:`W = E`); needs
        ``n_embed == n_hidden``.
    """

    vocab_size: int
    n_embed: int = 32
    n_hidden: int = 64
    n_layers: int = 1
    cell: str = "gru"
    dropout: float = 0.0
    dtype: str = "float64"
    reset_after: bool = False
    activation: str = "tanh"
    tie_weights: bool = False

    def __post_init__(self):
        for name in ("vocab_size", "n_embed", "n_hidden", "n_layers"):
            object.__setattr__(self, name, positive_int(getattr(self, name), name))
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        p = self.dropout
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
                or not 0 <= p < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {p!r}")
        object.__setattr__(self, "dropout", float(p))
        try:
            dt = np.dtype(self.dtype)
        except TypeError as err:
            raise TypeError(f"dtype must be a floating dtype such as 'float32', got {self.dtype!r}") from err
        if dt.kind != "f":
            raise TypeError(f"dtype must be a floating dtype such as 'float32', got {dt}")
        object.__setattr__(self, "dtype", dt.name)
        if not isinstance(self.reset_after, (bool, np.bool_)):
            raise TypeError(f"reset_after must be True or False, got {self.reset_after!r}")
        object.__setattr__(self, "reset_after", bool(self.reset_after))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {self.activation!r}")
        if not isinstance(self.tie_weights, (bool, np.bool_)):
            raise TypeError(f"tie_weights must be True or False, got {self.tie_weights!r}")
        object.__setattr__(self, "tie_weights", bool(self.tie_weights))
        if self.tie_weights and self.n_embed != self.n_hidden:
            raise ValueError(f"tie_weights needs n_embed == n_hidden (the output layer reuses the "
                             f"(V, n_embed) embedding table as its (V, n_hidden) weights), got "
                             f"n_embed = {self.n_embed} and n_hidden = {self.n_hidden}")

    @property
    def np_dtype(self) -> np.dtype:
        """The dtype as a numpy dtype."""
        return np.dtype(self.dtype)

    def to_dict(self) -> dict:
        """Plain JSON-ready fields."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "LMConfig":
        """The inverse of :meth:`to_dict`; unknown or missing fields are an error."""
        if not isinstance(d, dict):
            raise TypeError(f"a config must be a dict of fields, got {type(d).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ValueError(f"unknown LMConfig field(s) {unknown}; known fields are {names}")
        if "vocab_size" not in d:
            raise ValueError("the config has no 'vocab_size'")
        return cls(**d)

    def layer(self) -> Layer:
        """The recurrent :class:`rnnlib.recurrent.Layer` of this config's cell."""
        if self.cell == "gru":
            return gru_layer(reset_after=self.reset_after)
        return rnn_layer(self.activation)


def check_config(config) -> LMConfig:
    """``config`` itself if it is an :class:`LMConfig`; a ``TypeError`` otherwise."""
    if not isinstance(config, LMConfig):
        raise TypeError(f"config must be an LMConfig, got {type(config).__name__}")
    return config


# ----------------------------------------------------------------- parameters
def init_language_model(config: LMConfig, rng: np.random.Generator) -> dict:
    """Random parameters for ``config``: embedding N(0, 0.1²), recurrent layers as
    :func:`rnnlib.rnn.init_rnn` / :func:`rnnlib.gru.init_gru`, output Glorot with zero bias.

    Returns
    -------
    dict
        ``{"embed": {"E"}, "layers": {"0": ..., }, "out": {"W", "b"}}``, arrays of ``config.dtype``.
    """
    config = check_config(config)
    check_rng(rng)
    dt = config.np_dtype
    layers = {}
    for i in range(config.n_layers):
        n_in = config.n_embed if i == 0 else config.n_hidden
        if config.cell == "gru":
            p = init_gru(n_in, config.n_hidden, rng, dt, reset_after=config.reset_after)
        else:
            p = init_rnn(n_in, config.n_hidden, rng, dt)
        layers[str(i)] = {k: v.astype(dt, copy=False) for k, v in p.items()}
    out = init_dense(config.n_hidden, config.vocab_size, rng, dt)
    if config.tie_weights:
        del out["W"]
    return {"embed": init_embedding(config.vocab_size, config.n_embed, rng, dt),
            "layers": layers, "out": out}


def param_shapes(config: LMConfig) -> dict[str, tuple]:
    """The flattened parameter names of a model of ``config`` and their shapes."""
    config = check_config(config)
    V, n_e, n_h = config.vocab_size, config.n_embed, config.n_hidden
    shapes = {"embed/E": (V, n_e)}
    for i in range(config.n_layers):
        n_in = n_e if i == 0 else n_h
        layer = (gru_param_shapes(n_in, n_h, config.reset_after) if config.cell == "gru"
                 else rnn_param_shapes(n_in, n_h))
        shapes.update({f"layers/{i}/{key}": shape for key, shape in layer.items()})
    if not config.tie_weights:
        shapes["out/W"] = (V, n_h)
    shapes["out/b"] = (V,)
    return shapes


def param_mismatch(flat: dict, config: LMConfig) -> str | None:
    """How the flattened arrays ``flat`` differ from what ``config`` needs (missing or
    unexpected names, the first wrong shape, the first wrong dtype), or None if they match."""
    expected = param_shapes(config)
    missing = [k for k in expected if k not in flat]
    extra = [k for k in flat if k not in expected]
    if missing or extra:
        return (f"it does not match the config ({config.cell}, {config.n_layers} layer(s)): "
                f"missing weights {missing}, unexpected weights {extra}")
    for key, shape in expected.items():
        if flat[key].shape != shape:
            return f"weight {key!r} has shape {flat[key].shape}, the config needs {shape}"
    for key in expected:
        if flat[key].dtype != config.np_dtype:
            return f"weight {key!r} has dtype {flat[key].dtype}, the config says {config.dtype}"
    return None


def check_params(params: dict, config: LMConfig) -> dict:
    """Check that ``params`` has exactly the names, shapes and dtype of ``config``.

    Returns the flattened params; raises ``ValueError`` saying what differs
    (:func:`param_mismatch`).
    """
    flat = flatten_params(params, "params")
    problem = param_mismatch(flat, config)
    if problem is not None:
        raise ValueError(f"params do not fit: {problem}")
    return flat


def initial_states(config: LMConfig, batch: int) -> list[np.ndarray]:
    """Zero initial states, one ``(batch, n_hidden)`` array per layer."""
    config = check_config(config)
    batch = positive_int(batch, "batch")
    return [np.zeros((batch, config.n_hidden), dtype=config.np_dtype)
            for _ in range(config.n_layers)]


# ----------------------------------------------------------------- forward and backward
class LMCache(NamedTuple):
    """What :func:`lm_backward` needs."""

    embed: EmbeddingCache
    dropout_in: DropoutCache | None   #: dropout on the embeddings (None where dropout is off)
    stack: Layer                      #: the stacked recurrent layers the forward pass ran
    layers: StackCache                #: their cache
    dropout_out: DropoutCache | None  #: dropout before the output layer
    top: np.ndarray                   #: (batch*T, n_h) input of the output layer (after dropout)
    W: np.ndarray                     #: (V, n_h) output weights
    shape: tuple                      #: (batch, T)
    config: LMConfig


def _dropout(x, config, rng, train):
    if train and config.dropout > 0:
        return dropout_forward(x, config.dropout, rng, train=True)
    return x, None


def _undropout(dx, cache):
    return dx if cache is None else dropout_backward(dx, cache)


def _stack(config: LMConfig, rng, train: bool) -> Layer:
    """The recurrent layers as one :func:`rnnlib.recurrent.stacked` layer, with dropout between
    them when training with ``config.dropout > 0``."""
    between = None
    if train and config.dropout > 0:
        between = Between(lambda hs: _dropout(hs, config, rng, train), _undropout)
    return stacked([config.layer()] * config.n_layers, between)


def _layer_params(params: dict, config: LMConfig) -> list:
    return [params["layers"][str(i)] for i in range(config.n_layers)]


def _check_ids2d(ids, vocab_size: int, name: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 2 or arr.shape[1] == 0 or arr.shape[0] == 0:
        raise ValueError(f"{name} must have shape (batch, T) with batch, T >= 1, got {arr.shape}")
    return check_ids(arr, vocab_size, name, "vocab_size")


def _check_states(h0s, config: LMConfig, batch: int) -> list:
    if h0s is None:
        return initial_states(config, batch)
    if not isinstance(h0s, (list, tuple)) or len(h0s) != config.n_layers:
        raise ValueError(f"h0s must be a list of {config.n_layers} initial state(s), one per "
                         f"layer (or None for zeros), got {type(h0s).__name__}"
                         + (f" of length {len(h0s)}" if isinstance(h0s, (list, tuple)) else ""))
    out = []
    for i, h in enumerate(h0s):
        h = np.asarray(h)
        if h.shape != (batch, config.n_hidden):
            raise ValueError(f"h0s[{i}] must have shape (batch, n_hidden) = "
                             f"{(batch, config.n_hidden)}, got {h.shape}")
        if h.dtype != config.np_dtype:
            raise TypeError(f"h0s[{i}] has dtype {h.dtype} but config.dtype is {config.dtype}")
        out.append(h)
    return out


def _check_call(ids, params, config, train) -> tuple[LMConfig, np.ndarray]:
    """Validate a call of :func:`lm_forward`; returns the config and the ids."""
    config = check_config(config)
    check_params(params, config)
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be a bool, got {type(train).__name__}")
    return config, _check_ids2d(ids, config.vocab_size, "ids")


def lm_forward(ids, params: dict, config: LMConfig, *, h0s=None,
               rng: np.random.Generator | None = None, train: bool = False):
    r"""Run the language model over a batch of token sequences.

    Parameters
    ----------
    ids : array_like of int, shape (batch, T)
    params : dict
        As from :func:`init_language_model`.
    config : LMConfig
    h0s : list of ndarray (batch, n_hidden), one per layer, or None
        Initial states; None means zeros. In truncated BPTT, the ``final_states`` of the
        previous chunk.
    rng : numpy.random.Generator, optional
        Draws the dropout masks; required when ``train`` and ``config.dropout > 0``.
    train : bool
        Apply dropout (training) or not (evaluation, generation).

    Returns
    -------
    logits : ndarray, shape (batch, T, V), dtype ``config.dtype``
        ``logits[:, t]`` are the scores :math:`z` of the token after ``ids[:, t]``.
    final_states : list of ndarray (batch, n_hidden)
        The state of each layer after the last step (copies: safe to carry on).
    cache : LMCache
    """
    config, ids = _check_call(ids, params, config, train)
    batch, T = ids.shape
    h0s = _check_states(h0s, config, batch)

    x, c_embed = embedding_forward(ids, params["embed"])
    x, c_in = _dropout(x, config, rng, train)
    stack = _stack(config, rng, train)
    hs, c_stack = stack.forward(x, h0s, _layer_params(params, config))
    finals = [h[:, -1].copy() for h in c_stack.outputs]
    hs, c_out = _dropout(hs, config, rng, train)
    # The output layer: one product over all batch*T positions.
    top = hs.reshape(batch * T, config.n_hidden)
    W = params["embed"]["E"] if config.tie_weights else params["out"]["W"]
    logits = top @ W.T
    logits += params["out"]["b"]
    cache = LMCache(c_embed, c_in, stack, c_stack, c_out, top, W, (batch, T), config)
    return logits.reshape(batch, T, config.vocab_size), finals, cache


def _check_dlogits(dlogits, cache) -> np.ndarray:
    """Validate the arguments of :func:`lm_backward`; returns ``dlogits`` as ``(batch*T, V)``."""
    check_cache(cache, LMCache, "lm_forward")
    (batch, T), V = cache.shape, cache.config.vocab_size
    d = np.asarray(dlogits)
    if d.shape != (batch, T, V):
        raise ValueError(f"dlogits must have the shape of the logits {(batch, T, V)}, got {d.shape}")
    if d.dtype != cache.W.dtype:
        raise TypeError(f"dlogits has dtype {d.dtype} but the model computes in {cache.W.dtype}")
    return d.reshape(batch * T, V)


def lm_backward(dlogits, cache: LMCache):
    r"""Backpropagation through the whole model, within the chunk.

    .. math::

        \frac{\partial L}{\partial W} = \sum_n \delta_n^\top h_n, \qquad
        \frac{\partial L}{\partial b} = \sum_n \delta_n, \qquad
        \frac{\partial L}{\partial h_n} = \delta_n W, \qquad \delta_n = \frac{\partial L}{\partial z_n}

    over all :math:`n = (b, t)` positions at once, then back through dropout, the stacked
    recurrent layers and the embedding.

    Parameters
    ----------
    dlogits : ndarray, shape (batch, T, V)
    cache : LMCache

    Returns
    -------
    dh0s : list of ndarray (batch, n_hidden)
        The gradient for each layer's initial state. Truncated BPTT drops it: the carried
        state is treated as a constant, which is where the gradient is cut.
    grads : dict, keyed like ``params``
    """
    d2 = _check_dlogits(dlogits, cache)
    db = d2.sum(axis=0)
    if not np.isfinite(db).all():      # a NaN or inf anywhere in dlogits shows up in its sums
        raise ValueError("dlogits must be finite, got NaN or inf (the loss has probably diverged: "
                         "try a smaller learning rate or gradient clipping)")
    config, (batch, T) = cache.config, cache.shape
    dW = d2.T @ cache.top
    grads_out = {"b": db} if config.tie_weights else {"W": dW, "b": db}
    dhs = _undropout((d2 @ cache.W).reshape(batch, T, config.n_hidden), cache.dropout_out)
    dx, dh0s, grads_layers = cache.stack.backward(dhs, cache.layers)
    grads_embed = embedding_backward(_undropout(dx, cache.dropout_in), cache.embed)
    if config.tie_weights:             # E is used twice, so its gradient is the sum of both uses
        grads_embed["E"] += dW
    grads = {"embed": grads_embed, "layers": {str(i): g for i, g in enumerate(grads_layers)},
             "out": grads_out}
    return dh0s, grads


def lm_loss_and_grads(inputs, targets, mask, params: dict, config: LMConfig, *, h0s=None,
                      rng: np.random.Generator | None = None, train: bool = True):
    """Mean cross-entropy (nats per real token) of one batch, its gradients and the final states.

    :func:`lm_forward`, then :func:`rnnlib.losses.fused_cross_entropy` (in place on the logits), then
    :func:`lm_backward`.

    Parameters
    ----------
    inputs : array_like of int, shape (batch, T)
    targets : array_like of int, shape (batch, T)
        The token after each input (usually ``inputs`` shifted by one).
    mask : array_like of bool, shape (batch, T), or None (every position real)
    params, config
    h0s : list of initial states, or None for zeros
    rng : numpy.random.Generator, optional
        For dropout.
    train : bool

    Returns
    -------
    loss : float
    grads : dict, keyed like ``params``
    final_states : list of ndarray (batch, n_hidden)
    """
    logits, finals, cache = lm_forward(inputs, params, config, h0s=h0s, rng=rng, train=train)
    loss, dlogits = fused_cross_entropy(logits, targets, mask, overwrite=True)
    return loss, lm_backward(dlogits, cache)[1], finals
