r"""Decoding a language model: greedy, temperature and top-k sampling.

At every step the model gives logits :math:`z` over the vocabulary; the next token is

- **greedy** (:math:`\tau = 0`): :math:`\arg\max_j z_j`, deterministic;
- **temperature** :math:`\tau > 0`: drawn from :math:`p = \operatorname{softmax}(z / \tau)`;
  :math:`\tau < 1` sharpens the distribution towards its most likely tokens (as
  :math:`\tau \to 0` it becomes greedy), :math:`\tau > 1` flattens it;
- **top-k**: the same, but only among the :math:`k` tokens with the largest logits (the rest get
  probability 0; Fan, Lewis and Dauphin 2018). ``top_k=1`` is greedy.

Randomness comes only from the explicit ``rng``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .language_model import LMConfig, check_config, check_params, lm_forward
from .text import EOS, Vocab
from .validate import positive_int

__all__ = ["sample_next", "generate"]


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(
            temperature, (int, float, np.integer, np.floating)) or not np.isfinite(temperature) \
            or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got {temperature!r}")
    return float(temperature)


def _check_top_k(top_k):
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ValueError(f"top_k must be None or an int >= 1, got {top_k!r}")
    return int(top_k)


def _check_sampling_rng(rng, temperature: float, top_k) -> None:
    greedy = temperature == 0 or top_k == 1
    if rng is None and greedy:
        return
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)); "
                        f"only greedy decoding (temperature=0 or top_k=1) may pass None, got "
                        f"{type(rng).__name__}")


def sample_next(logits, rng: np.random.Generator | None, temperature: float = 1.0,
                top_k: int | None = None):
    r"""Choose the next token from logits.

    Parameters
    ----------
    logits : array_like, shape (V,) or (n, V)
        Unnormalised scores :math:`z` (one row per sequence).
    rng : numpy.random.Generator
        May be None only for greedy decoding.
    temperature : float >= 0
        :math:`\tau`; 0 is greedy (:math:`\arg\max`, ties to the lowest id).
    top_k : int >= 1, optional
        Sample only among the ``top_k`` largest logits (all of them if ``top_k >= V``).

    Returns
    -------
    int, or ndarray of int of shape (n,) for 2-D logits
    """
    temperature = _check_temperature(temperature)
    top_k = _check_top_k(top_k)
    _check_sampling_rng(rng, temperature, top_k)
    z = np.asarray(logits)
    if z.dtype.kind not in "fiu" or z.ndim not in (1, 2) or z.shape[-1] == 0:
        raise ValueError(f"logits must be a real array of shape (V,) or (n, V) with V >= 1, got "
                         f"dtype {z.dtype} and shape {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("logits must be finite, got NaN or inf")
    z2 = np.atleast_2d(z).astype(np.float64)
    n, V = z2.shape
    if temperature == 0 or top_k == 1:
        out = z2.argmax(axis=1)
    else:
        if top_k is not None and top_k < V:
            # The k largest of each row (their order does not matter for sampling).
            cand = np.argpartition(-z2, top_k - 1, axis=1)[:, :top_k]
            cand.sort(axis=1)
        else:
            cand = np.broadcast_to(np.arange(V), (n, V))
        vals = np.take_along_axis(z2, cand, axis=1) / temperature
        p = np.exp(vals - vals.max(axis=1, keepdims=True))
        cdf = np.cumsum(p, axis=1)
        u = rng.random((n, 1)) * cdf[:, -1:]
        pick = np.minimum((cdf <= u).sum(axis=1), cand.shape[1] - 1)   # inverse-CDF sampling
        out = cand[np.arange(n), pick]
    out = out.astype(np.int64)
    return int(out[0]) if z.ndim == 1 else out


def generate(params: dict, config: LMConfig, vocab: Vocab, rng: np.random.Generator | None,
             prompt: Sequence[str] = (), max_tokens: int = 50, temperature: float = 1.0,
             top_k: int | None = None, stop_at_eos: bool = True,
             start_token: str | None = EOS) -> list[str]:
    r"""Continue a prompt with tokens drawn from the model.

    The model first reads ``start_token`` followed by the ``prompt`` (its state after them is
    the context), then, ``max_tokens`` times, chooses a token with :func:`sample_next` and
    reads it.

    Parameters
    ----------
    params, config
        A language model (:mod:`rnnlib.language_model`).
    vocab : rnnlib.text.Vocab
        Maps the prompt to ids and the ids back to tokens; ``len(vocab) == config.vocab_size``.
    rng : numpy.random.Generator
        May be None only for greedy decoding.
    prompt : sequence of str
        Tokens to continue (unknown ones become ``<unk>``).
    max_tokens : int >= 1
    temperature, top_k
        See :func:`sample_next`.
    stop_at_eos : bool
        Stop at ``</s>`` (not included in the result).
    start_token : str or None
        Read before the prompt. The default ``</s>``: in a token stream of sentences separated
        by ``</s>``, that is what precedes the start of a sentence. None reads only the prompt
        (which must then be non-empty).

    Returns
    -------
    list of str
        The generated tokens, without the prompt.
    """
    config = check_config(config)
    check_params(params, config)
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be an rnnlib.text.Vocab, got {type(vocab).__name__}")
    if len(vocab) != config.vocab_size:
        raise ValueError(f"vocab has {len(vocab)} tokens but config.vocab_size is {config.vocab_size}")
    temperature = _check_temperature(temperature)
    top_k = _check_top_k(top_k)
    _check_sampling_rng(rng, temperature, top_k)
    max_tokens = positive_int(max_tokens, "max_tokens")
    if isinstance(prompt, str):
        raise TypeError("prompt must be a sequence of tokens, got a str; tokenize it first, "
                        "e.g. tokenize_words(text)")
    context = ([] if start_token is None else [start_token]) + list(prompt)
    if not context:
        raise ValueError("nothing to start from: give a prompt or a start_token")
    eos_id = vocab.eos_id if (stop_at_eos and EOS in vocab) else None
    ids = np.array([vocab.encode(context)], dtype=np.int64)
    logits, states, _ = lm_forward(ids, params, config)
    out = []
    for _ in range(max_tokens):
        token = sample_next(logits[0, -1], rng, temperature, top_k)
        if token == eos_id:
            break
        out.append(token)
        logits, states, _ = lm_forward(np.array([[token]]), params, config, h0s=states)
    return vocab.decode(out)
