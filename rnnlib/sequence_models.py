r"""Small recurrent models for four input/output patterns, assembled from rnnlib's layers.

Every model here is an embedding, a simple RNN (:mod:`rnnlib.rnn`) and a dense layer, wired
differently:

* **many-to-many** (aligned): one output per input step, ``logits[:, t]`` from
  :math:`h^{\langle t \rangle}`. A character language model is this model with the next
  character as the target; a tagger is this model with a tag per character as the target.
* **many-to-one**: one output per sequence, read from the state after the *last real* token
  (:func:`last_state_forward`), so right-padding never reaches the output.
* **encoder--decoder** (many-to-many, unaligned): an encoder reads the source and its last
  real state becomes the decoder's initial state :math:`h^{\langle 0 \rangle}`; the decoder is a
  many-to-many model that writes the target (Sutskever, Vinyals and Le 2014,
  ``sutskever2014sequence``; Cho et al. 2014, ``cho2014learning``).
* **one-to-many**: not a separate model; :func:`generate` runs a trained many-to-many model
  from a start token, feeding each output back as the next input.

Each model has ``init_*``, ``*_forward(data..., params) -> (logits, cache)``,
``*_backward(dlogits, cache)`` and ``*_loss(data..., params) -> (loss, grads)`` (mean
cross-entropy over the real targets, with its gradient). As everywhere in ``rnnlib``, the data
come first (the arrays a batch carries: ids, masks, targets, labels, in reading order), then the
parameters; the many-to-many model's initial state is the keyword ``h0=None`` after them. A
backward pass returns one gradient per real-valued input of its forward pass, then ``grads``
(only ``grads`` when every input is ids or a mask). Parameters are nested dicts (``{"embed":
{"E"}, "rnn": {"W_hx", "W_hh", "b_h"}, "out": {"W", "b"}}``), so the optimisers and
:func:`rnnlib.gradcheck.check_gradients` take them as they are. The hidden activation is tanh.

A loss function is what :func:`rnnlib.train.train`, the training loop, calls as
``loss_and_grads(*batch, params)``, so a batch is the tuple of a loss's data arguments, for
example ``(ids, targets, mask)`` for :func:`many_to_many_loss`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .layers import (DenseCache, EmbeddingCache, dense_backward, dense_forward, embedding_backward, embedding_forward, init_dense, init_embedding)
from .losses import softmax_cross_entropy
from .rnn import RNNCache, init_rnn, rnn_backward, rnn_forward, rnn_step_forward
from .sampling import sample_next
from .validate import check_cache, check_mask, check_rng, positive_int, upstream

__all__ = ["last_state_forward", "last_state_backward", "LastStateCache",
           "init_many_to_many", "many_to_many_forward", "many_to_many_backward", "many_to_many_loss",
           "init_many_to_one", "many_to_one_forward", "many_to_one_backward", "many_to_one_loss",
           "init_encoder_decoder", "encoder_decoder_forward", "encoder_decoder_backward",
           "encoder_decoder_loss", "encode", "generate",
           "ManyToManyCache", "ManyToOneCache", "EncoderDecoderCache"]


# ----------------------------------------------------------------- the last real state
class LastStateCache(NamedTuple):
    """What :func:`last_state_backward` needs."""

    lengths: np.ndarray   #: (batch,) number of real tokens of each sequence
    shape: tuple          #: (batch, T, n_h) of the states
    dtype: np.dtype


def _lengths(mask, shape: tuple) -> np.ndarray:
    """Lengths of right-padded sequences from their mask; an error for any other mask."""
    mask = check_mask(mask, shape, "mask")
    lengths = mask.sum(axis=1)
    prefix = np.arange(shape[1])[None, :] < lengths[:, None]
    if not np.array_equal(mask, prefix):
        row = int(np.flatnonzero((mask != prefix).any(axis=1))[0])
        raise ValueError("mask must mark right-padded sequences (True for the real tokens, then "
                         f"False for the padding), as pad_batch returns; row {row} is "
                         f"{mask[row].astype(int).tolist()}")
    if (lengths == 0).any():
        raise ValueError(f"every sequence needs at least one real token; row(s) "
                         f"{np.flatnonzero(lengths == 0).tolist()} of mask are all False")
    return lengths


def last_state_forward(hs, mask):
    r"""The state after each sequence's last real token: :math:`h_b^{\langle T_b \rangle}`.

    With right padding, ``hs[:, -1]`` is the state after the padding of every sequence shorter
    than the batch; this picks ``hs[b, T_b - 1]`` instead, with :math:`T_b` the number of real
    tokens of sequence :math:`b`.

    Parameters
    ----------
    hs : ndarray, shape (batch, T, n_h)
    mask : array_like of bool, shape (batch, T)
        True on the real tokens, which come first (right padding, as from
        :func:`rnnlib.text.pad_batch`); at least one per row.

    Returns
    -------
    h_last : ndarray, shape (batch, n_h)
    cache : LastStateCache
    """
    hs = np.asarray(hs)
    if hs.ndim != 3 or hs.dtype.kind != "f":
        raise ValueError(f"hs must be a float array of shape (batch, T, n_h), "
                         f"got shape {hs.shape} and dtype {hs.dtype}")
    lengths = _lengths(mask, hs.shape[:2])
    return hs[np.arange(hs.shape[0]), lengths - 1], LastStateCache(lengths, hs.shape, hs.dtype)


def last_state_backward(dh_last, cache: LastStateCache) -> np.ndarray:
    r"""Gradient of :func:`last_state_forward`: ``dh_last`` goes to step :math:`T_b`, zero elsewhere.

    Returns
    -------
    dhs : ndarray, shape (batch, T, n_h)
    """
    check_cache(cache, LastStateCache, "last_state_forward")
    batch, _, n_h = cache.shape
    dh_last = upstream(dh_last, (batch, n_h), cache.dtype, "dh_last", "last-state")
    dhs = np.zeros(cache.shape, dtype=cache.dtype)
    dhs[np.arange(batch), cache.lengths - 1] = dh_last
    return dhs


# ----------------------------------------------------------------- shared pieces
def _h0(params_rnn: dict, batch: int, h0):
    W_hx = params_rnn["W_hx"]
    if h0 is None:
        return np.zeros((batch, W_hx.shape[0]), dtype=W_hx.dtype)
    return h0


def _init(vocab_size, n_x, n_h, n_y, rng, dtype) -> dict:
    check_rng(rng)
    params = {"embed": init_embedding(vocab_size, n_x, rng, dtype),
              "rnn": init_rnn(n_x, n_h, rng, dtype)}
    if n_y is not None:
        params["out"] = init_dense(n_h, n_y, rng, dtype)
    return params


# ----------------------------------------------------------------- many-to-many (aligned)
class ManyToManyCache(NamedTuple):
    """What :func:`many_to_many_backward` needs: the caches of its three layers."""

    embed: EmbeddingCache
    rnn: RNNCache
    out: DenseCache


def init_many_to_many(vocab_size: int, n_x: int, n_h: int, n_y: int, rng: np.random.Generator,
                      dtype=np.float64) -> dict:
    """Parameters of :func:`many_to_many_forward`.

    ``embed`` (vocab_size, n_x), ``rnn`` (n_x to n_h) and ``out`` (n_y, n_h).
    """
    return _init(vocab_size, n_x, n_h, n_y, rng, dtype)


def many_to_many_forward(ids, params: dict, h0=None):
    r"""One output per input step: embedding, RNN, time-distributed dense layer.

    .. math::

        x^{\langle t \rangle} = E_{\mathrm{ids}_t}, \quad
        h^{\langle t \rangle} = \tanh\big(W_{hh} h^{\langle t-1 \rangle}
                                  + W_{hx} x^{\langle t \rangle} + b_h\big), \quad
        z^{\langle t \rangle} = W h^{\langle t \rangle} + b

    Parameters
    ----------
    ids : array_like of int, shape (batch, T)
    params : dict
        ``embed``, ``rnn`` and ``out``, as from :func:`init_many_to_many`.
    h0 : ndarray, shape (batch, n_h), optional
        :math:`h^{\langle 0 \rangle}`; zeros if None (a decoder gets the encoder's state).

    Returns
    -------
    logits : ndarray, shape (batch, T, n_y)
        ``logits[:, t]`` is :math:`z^{\langle t+1 \rangle}`, the scores after reading ``ids[:, t]``.
    cache : ManyToManyCache
    """
    x, c_embed = embedding_forward(ids, params["embed"])
    hs, c_rnn = rnn_forward(x, _h0(params["rnn"], x.shape[0], h0), params["rnn"])
    logits, c_out = dense_forward(hs, params["out"])
    return logits, ManyToManyCache(c_embed, c_rnn, c_out)


def many_to_many_backward(dlogits, cache: ManyToManyCache):
    """Backward of :func:`many_to_many_forward`.

    Parameters
    ----------
    dlogits : ndarray, shape (batch, T, n_y)
        Gradient of the loss with respect to the logits.
    cache : ManyToManyCache

    Returns
    -------
    dh0 : ndarray, shape (batch, n_h)
        Gradient with respect to ``h0`` (the ids have none); a decoder passes it on to its
        encoder.
    grads : dict, keyed like ``params``
    """
    check_cache(cache, ManyToManyCache, "many_to_many_forward")
    dhs, g_out = dense_backward(dlogits, cache.out)
    dx, dh0, g_rnn = rnn_backward(dhs, cache.rnn)
    return dh0, {"embed": embedding_backward(dx, cache.embed), "rnn": g_rnn, "out": g_out}


def many_to_many_loss(ids, targets, mask, params: dict, h0=None):
    """Mean cross-entropy over the real positions of :func:`many_to_many_forward`, and its gradients.

    Parameters
    ----------
    ids : array_like of int, shape (batch, T)
    targets : array_like of int, shape (batch, T)
        The class of every position (for a language model, the next token).
    mask : array_like of bool, shape (batch, T), or None
        True on the positions that count; None: all of them (no padding).
    params : dict
        As from :func:`init_many_to_many`.
    h0 : ndarray, shape (batch, n_h), optional
        Initial state; zeros if None.

    Returns
    -------
    loss : float
    grads : dict, keyed like ``params``
    """
    logits, cache = many_to_many_forward(ids, params, h0)
    loss, dlogits = softmax_cross_entropy(logits, targets, mask)
    return loss, many_to_many_backward(dlogits, cache)[1]


# ----------------------------------------------------------------- many-to-one
class ManyToOneCache(NamedTuple):
    """What :func:`many_to_one_backward` needs."""

    embed: EmbeddingCache
    rnn: RNNCache
    last: LastStateCache
    out: DenseCache


def init_many_to_one(vocab_size: int, n_x: int, n_h: int, n_y: int, rng: np.random.Generator,
                     dtype=np.float64) -> dict:
    """Parameters of :func:`many_to_one_forward`: ``embed``, ``rnn`` and ``out`` (n_y, n_h)."""
    return _init(vocab_size, n_x, n_h, n_y, rng, dtype)


def many_to_one_forward(ids, mask, params: dict):
    r"""One output per sequence, from the state after its last real token.

    .. math:: z_b = W\, h_b^{\langle T_b \rangle} + b

    Parameters
    ----------
    ids : array_like of int, shape (batch, T)
    mask : array_like of bool, shape (batch, T)
        Right padding: True on the real tokens.
    params : dict
        ``embed``, ``rnn`` and ``out``, as from :func:`init_many_to_one`.

    Returns
    -------
    logits : ndarray, shape (batch, n_y)
    cache : ManyToOneCache
    """
    x, c_embed = embedding_forward(ids, params["embed"])
    hs, c_rnn = rnn_forward(x, _h0(params["rnn"], x.shape[0], None), params["rnn"])
    h_last, c_last = last_state_forward(hs, mask)
    logits, c_out = dense_forward(h_last, params["out"])
    return logits, ManyToOneCache(c_embed, c_rnn, c_last, c_out)


def many_to_one_backward(dlogits, cache: ManyToOneCache) -> dict:
    """Backward of :func:`many_to_one_forward`.

    Parameters
    ----------
    dlogits : ndarray, shape (batch, n_y)
    cache : ManyToOneCache

    Returns
    -------
    grads : dict, keyed like ``params``
        Only the parameters' gradients: the ids and the mask have none.
    """
    check_cache(cache, ManyToOneCache, "many_to_one_forward")
    dh_last, g_out = dense_backward(dlogits, cache.out)
    dx, _, g_rnn = rnn_backward(last_state_backward(dh_last, cache.last), cache.rnn)
    return {"embed": embedding_backward(dx, cache.embed), "rnn": g_rnn, "out": g_out}


def many_to_one_loss(ids, mask, labels, params: dict):
    """Mean cross-entropy of :func:`many_to_one_forward` against the labels, and its gradients.

    Parameters
    ----------
    ids : array_like of int, shape (batch, T)
    mask : array_like of bool, shape (batch, T)
        Right padding: True on the real tokens.
    labels : array_like of int, shape (batch,)
        The class of each sequence.
    params : dict
        As from :func:`init_many_to_one`.

    Returns
    -------
    loss : float
    grads : dict, keyed like ``params``
    """
    logits, cache = many_to_one_forward(ids, mask, params)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    return loss, many_to_one_backward(dlogits, cache)


# ----------------------------------------------------------------- encoder-decoder
class EncoderDecoderCache(NamedTuple):
    """What :func:`encoder_decoder_backward` needs."""

    embed: EmbeddingCache
    rnn: RNNCache
    last: LastStateCache
    decoder: ManyToManyCache


def init_encoder_decoder(src_vocab: int, tgt_vocab: int, n_x: int, n_h: int,
                         rng: np.random.Generator, dtype=np.float64) -> dict:
    """Parameters of :func:`encoder_decoder_forward`.

    ``encoder``: ``embed`` (src_vocab, n_x) and ``rnn``; ``decoder``: ``embed`` (tgt_vocab,
    n_x), ``rnn`` and ``out`` (tgt_vocab, n_h). The two RNNs have the same ``n_h``, since the
    encoder's last state is the decoder's first.
    """
    return {"encoder": _init(src_vocab, n_x, n_h, None, rng, dtype),
            "decoder": _init(tgt_vocab, n_x, n_h, tgt_vocab, rng, dtype)}


def encoder_decoder_forward(src_ids, src_mask, tgt_in, params: dict):
    r"""Encode the source into one state, then decode the target from it.

    .. math:: c = h_{\mathrm{enc}}^{\langle T_{\mathrm{src}} \rangle}, \qquad
              h_{\mathrm{dec}}^{\langle 0 \rangle} = c

    and the decoder is :func:`many_to_many_forward` on ``tgt_in`` (the target shifted right,
    starting with ``<s>``: teacher forcing). The vector :math:`c` of size :math:`n_h` is all the
    decoder knows about the source.

    Parameters
    ----------
    src_ids : array_like of int, shape (batch, T_src)
    src_mask : array_like of bool, shape (batch, T_src)
        Right padding: True on the real source tokens.
    tgt_in : array_like of int, shape (batch, T_tgt)
    params : dict
        ``encoder`` and ``decoder``, as from :func:`init_encoder_decoder`.

    Returns
    -------
    logits : ndarray, shape (batch, T_tgt, tgt_vocab)
    cache : EncoderDecoderCache
    """
    enc = params["encoder"]
    x, c_embed = embedding_forward(src_ids, enc["embed"])
    hs, c_rnn = rnn_forward(x, _h0(enc["rnn"], x.shape[0], None), enc["rnn"])
    context, c_last = last_state_forward(hs, src_mask)
    logits, c_dec = many_to_many_forward(tgt_in, params["decoder"], h0=context)
    return logits, EncoderDecoderCache(c_embed, c_rnn, c_last, c_dec)


def encoder_decoder_backward(dlogits, cache: EncoderDecoderCache) -> dict:
    """Backward of :func:`encoder_decoder_forward`: the decoder's ``dh0`` flows into the encoder.

    Parameters
    ----------
    dlogits : ndarray, shape (batch, T_tgt, tgt_vocab)
    cache : EncoderDecoderCache

    Returns
    -------
    grads : dict
        ``{"encoder": ..., "decoder": ...}``, keyed like ``params``; the ids and masks have no
        gradient.
    """
    check_cache(cache, EncoderDecoderCache, "encoder_decoder_forward")
    dcontext, g_dec = many_to_many_backward(dlogits, cache.decoder)
    dx, _, g_rnn = rnn_backward(last_state_backward(dcontext, cache.last), cache.rnn)
    return {"encoder": {"embed": embedding_backward(dx, cache.embed), "rnn": g_rnn},
            "decoder": g_dec}


def encoder_decoder_loss(src_ids, src_mask, tgt_in, tgt_out, tgt_mask, params: dict):
    """Mean cross-entropy over the real target tokens of :func:`encoder_decoder_forward`.

    Parameters
    ----------
    src_ids : array_like of int, shape (batch, T_src)
    src_mask : array_like of bool, shape (batch, T_src)
        Right padding: True on the real source tokens.
    tgt_in : array_like of int, shape (batch, T_tgt)
        The decoder's inputs: ``<s>`` and the target but its last token.
    tgt_out : array_like of int, shape (batch, T_tgt)
        What the decoder should write at each step: the target and ``</s>``.
    tgt_mask : array_like of bool, shape (batch, T_tgt)
        True on the real target positions.
    params : dict
        As from :func:`init_encoder_decoder`.

    Returns
    -------
    loss : float
    grads : dict, keyed like ``params``
    """
    logits, cache = encoder_decoder_forward(src_ids, src_mask, tgt_in, params)
    loss, dlogits = softmax_cross_entropy(logits, tgt_out, tgt_mask)
    return loss, encoder_decoder_backward(dlogits, cache)


def encode(src_ids, src_mask, params: dict) -> np.ndarray:
    """The encoder's last real state :math:`c`.

    It is what :func:`encoder_decoder_forward` gives the decoder as :math:`h^{\\langle 0 \\rangle}`.

    Parameters
    ----------
    src_ids : array_like of int, shape (batch, T_src)
    src_mask : array_like of bool, shape (batch, T_src)
        Right padding: True on the real source tokens.
    params : dict
        An encoder--decoder's parameters (:func:`init_encoder_decoder`); only ``encoder`` is
        read.

    Returns
    -------
    c : ndarray, shape (batch, n_h)
    """
    enc = params["encoder"]
    x, _ = embedding_forward(src_ids, enc["embed"])
    hs, _ = rnn_forward(x, _h0(enc["rnn"], x.shape[0], None), enc["rnn"])
    return last_state_forward(hs, src_mask)[0]


# ----------------------------------------------------------------- one-to-many: generation
def generate(h0, params: dict, start_id: int, stop_id: int, max_len: int,
             rng: np.random.Generator | None = None, temperature: float = 1.0) -> list[list[int]]:
    r"""Run a many-to-many model on its own outputs, from ``<s>``, until ``</s>``.

    At each step the model reads the previous token and gives logits
    :math:`z^{\langle t \rangle}` over the next; :func:`rnnlib.sampling.sample_next` draws the
    next token from

    .. math:: p = \operatorname{softmax}\big(z^{\langle t \rangle} / \tau\big)

    with ``rng`` (for :math:`\tau = 0` it takes the most likely token: greedy decoding). A low
    temperature :math:`\tau` sharpens the distribution towards its most likely tokens, a high
    one flattens it.

    Parameters
    ----------
    h0 : ndarray, shape (n, n_h)
        One initial state per sequence to generate (zeros for a language model, the encoder's
        state for a decoder). ``n`` sequences are generated together.
    params : dict
        A many-to-many model (``embed``, ``rnn``, ``out``).
    start_id, stop_id : int
        The ids of ``<s>`` (first input) and ``</s>`` (ends a sequence; not returned).
    max_len : int
        A sequence that has not stopped after ``max_len`` tokens is cut there.
    rng : numpy.random.Generator, optional
        Required when ``temperature > 0``.
    temperature : float >= 0

    Returns
    -------
    list of n lists of int
    """
    max_len = positive_int(max_len, "max_len")
    E = params["embed"]["E"]
    h = np.asarray(h0)
    if h.ndim != 2:
        raise ValueError(f"h0 must have shape (n, n_h), got {h.shape}")
    n = h.shape[0]
    token = np.full(n, start_id)
    out = np.zeros((n, max_len), dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    length = np.full(n, max_len)
    for t in range(max_len):
        h, _ = rnn_step_forward(E[token], h, params["rnn"])
        logits, _ = dense_forward(h, params["out"])
        token = sample_next(logits, rng, temperature)      # one token per sequence, shape (n,)
        out[:, t] = token
        stopped = (token == stop_id) & ~done
        length[stopped] = t
        done |= stopped
        if done.all():
            break
    return [out[i, :length[i]].tolist() for i in range(n)]
