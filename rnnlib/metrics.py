r"""How good is a language model? Cross-entropy, perplexity and bits per character.

Everything here is a function of one kind of number: the log-probability
:math:`\log p_i = \log P(w_i \mid h_i)` that a model gave to the token :math:`w_i` that
actually came next, after its history :math:`h_i`. A neural model gives a whole distribution
at every position, ``log_probs`` of shape ``(batch, T, V)``, and :func:`token_log_probs` picks
the log-probabilities of the targets out of it; an n-gram model gives them directly
(:meth:`rnnlib.ngram.NGramLM.score_ids`). Either way the metrics below take those
*token log-probabilities* ``token_lp``, shape ``(batch, T)`` (any shape, for most of them),
with a boolean ``mask`` of the same shape that is True on real tokens and False on padding.

For the :math:`N = \sum m` real tokens,

.. math::

    H = -\frac{1}{N} \sum_{b,t} m_{b,t} \log p_{b,t} \quad\text{(nats per token)},
    \qquad
    \mathrm{PP} = e^{H},
    \qquad
    \text{bits per token} = \frac{H}{\ln 2} = \log_2 \mathrm{PP}.

This *token-weighted* perplexity is the standard: it is the probability of the whole text,
normalised per token, :math:`\mathrm{PP} = P(\text{text})^{-1/N}`, so, for given token
log-probabilities, it does not depend on how they are grouped into sequences or batches. :func:`mean_sequence_perplexity` (the mean of the
sequences' own perplexities) and the mean of ``exp(loss)`` over batches are different numbers,
kept here for comparison; :class:`StreamingPerplexity` shows the right way to accumulate over
batches.

Conventions: natural logarithms everywhere (nats); ``-inf`` is a valid log-probability (the
model gave the token probability 0) and makes the perplexity ``inf``; values at masked positions
are never read, so padding may hold anything, NaN included.
"""

from __future__ import annotations

import math

import numpy as np
from .validate import as_float, check_mask


__all__ = ["token_log_probs", "cross_entropy", "perplexity", "bits_per_token",
           "sequence_perplexities", "mean_sequence_perplexity", "bits_per_character",
           "rescale_perplexity", "StreamingPerplexity"]

_LN2 = math.log(2.0)
_MAX_EXP = math.log(np.finfo(np.float64).max)   # about 709.78: exp of more overflows


def _exp(x: float) -> float:
    """``exp(x)`` as a float, ``inf`` instead of an overflow warning."""
    return math.exp(x) if x < _MAX_EXP else math.inf


def _where(bad: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()


def _tolerance(dtype) -> float:
    """How far above 0 a rounded log-probability may come (1e3 machine epsilons)."""
    return 1e3 * float(np.finfo(dtype).eps)


def _real_log_probs(token_lp, mask, name: str = "token_lp"):
    """Validate ``token_lp`` and ``mask``; return (token_lp as float array, bool mask).

    Only the real positions are checked: they must be log-probabilities, finite or ``-inf``.
    """
    lp = as_float(token_lp, name)
    if lp.ndim == 0:
        raise ValueError(f"{name} must be an array of log-probabilities, one per token "
                         "(e.g. shape (batch, T)), got a scalar")
    m = np.ones(lp.shape, dtype=bool) if mask is None else check_mask(mask, lp.shape, "mask")
    if not m.any():
        raise ValueError(f"mask has no real (True) position among its {m.size} entries: "
                         "a mean over zero tokens is undefined")
    real = lp[m]
    bad = np.isnan(real) | (real == np.inf)
    if bad.any():
        where = _where(m & (np.isnan(lp) | (lp == np.inf)))
        raise ValueError(f"{name} must be log-probabilities (finite, or -inf for probability 0) "
                         f"at the real positions, got {lp[where]!r} at index {where}")
    too_big = real > _tolerance(lp.dtype)
    if too_big.any():
        where = _where(m & (lp > _tolerance(lp.dtype)))
        hint = ("; these look like probabilities: take np.log first"
                if (real >= 0).all() and (real <= 1).all() else
                "; did you pass losses (negative log-probabilities)? negate them")
        raise ValueError(f"{name} must be log-probabilities, which are <= 0, got {lp[where]!r} "
                         f"at index {where}{hint}")
    return lp, m


def token_log_probs(log_probs, targets, mask=None) -> np.ndarray:
    r"""The log-probability each position gave to its target: ``log_probs[b, t, targets[b, t]]``.

    .. math:: \log p_{b,t} = \log \hat y^{\langle t \rangle}_{b,\; y_b^{\langle t \rangle}}

    Parameters
    ----------
    log_probs : array_like, shape (batch, T, V) (or any (..., V))
        Normalised log-probabilities over the :math:`V` classes on the **last** axis, e.g. the
        output of :func:`rnnlib.ops.log_softmax`. At real positions every row must satisfy
        :math:`\log \sum_k e^{\text{row}_k} = 0`: logits or probabilities are refused.
        ``-inf`` (probability 0) is allowed.
    targets : array_like of int, shape (batch, T) (``log_probs.shape[:-1]``)
        The token that came next, in :math:`[0, V)` at real positions; anything (a pad id,
        -1) at masked positions.
    mask : array_like of bool, shape (batch, T), optional
        True on real tokens, False on padding; None means every position is real.

    Returns
    -------
    ndarray, shape (batch, T), dtype of ``log_probs``
        The target log-probabilities; **0.0 at masked positions** (so they add nothing to a
        sum, but still count in a plain ``.mean()``: average with the mask).
    """
    lp = as_float(log_probs, "log_probs")
    if lp.ndim < 1 or lp.shape[-1] < 1:
        raise ValueError(f"log_probs must have shape (..., V) with the classes on the last axis, "
                         f"got shape {lp.shape}")
    t = np.asarray(targets)
    if t.shape != lp.shape[:-1]:
        hint = ""
        if lp.ndim == 3 and t.shape == (lp.shape[0], lp.shape[2]):
            hint = (": the classes must be on the last axis, (batch, T, V); yours look like "
                    "(batch, V, T), so transpose with log_probs.transpose(0, 2, 1)")
        elif lp.ndim == 3 and t.shape == (lp.shape[1], lp.shape[0]):
            hint = ": rnnlib is batch-first, targets (batch, T); yours look like (T, batch)"
        raise ValueError(f"targets must have shape {lp.shape[:-1]} (log_probs shape {lp.shape} "
                         f"without the class axis), got {t.shape}{hint}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"targets must be integer token ids, got dtype {t.dtype}")
    m = np.ones(t.shape, dtype=bool) if mask is None else check_mask(mask, t.shape, "mask")
    if not m.any():
        raise ValueError(f"mask has no real (True) position among its {m.size} entries: "
                         "there is nothing to score")
    V = lp.shape[-1]
    bad = m & ((t < 0) | (t >= V))
    if bad.any():
        where = _where(bad)
        raise ValueError(f"targets must be in [0, V) = [0, {V}) at real positions, got "
                         f"{int(t[where])} at index {where}")
    rows = lp[m]                                             # (n_real, V)
    broken = np.isnan(rows) | (rows == np.inf)
    if broken.any():
        raise ValueError("log_probs must be finite (or -inf for probability 0) at real positions, "
                         f"got {int(broken.sum())} NaN or +inf value(s)")
    top = rows.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        lse = (top + np.log(np.exp(rows - top).sum(axis=-1, keepdims=True)))[:, 0]
    off = ~(np.abs(lse) <= max(1e-6, _tolerance(lp.dtype)))
    if off.any():
        where = tuple(int(i) for i in np.argwhere(m)[int(np.argmax(off))])
        if (rows >= 0).all() and (rows <= 1).all() and np.allclose(rows.sum(axis=-1), 1):
            hint = "these look like probabilities: take np.log first"
        elif lse[int(np.argmax(off))] > 0:
            hint = "did you pass logits? apply rnnlib.ops.log_softmax first"
        else:
            hint = "each row must be a whole distribution over the V classes"
        raise ValueError("log_probs must be normalised over the last axis (log of the sum of "
                         f"exp = 0), got {float(lse[int(np.argmax(off))]):.4g} at index "
                         f"{where}: {hint}")
    picked = np.take_along_axis(lp, np.where(m, t, 0)[..., None], axis=-1)[..., 0]
    return np.where(m, picked, lp.dtype.type(0))


def cross_entropy(token_lp, mask=None) -> float:
    r"""Mean negative log-probability per real token, in nats.

    .. math:: H = -\frac{1}{\sum_{b,t} m_{b,t}} \sum_{b,t} m_{b,t} \log p_{b,t}

    Parameters
    ----------
    token_lp : array_like, any shape, e.g. (batch, T) or (N,)
        Log-probabilities of the targets (:func:`token_log_probs`), natural log.
    mask : array_like of bool, same shape, optional
        True on real tokens; the values at False positions are never read.

    Returns
    -------
    float
        :math:`H \ge 0`; ``inf`` if a real token had probability 0.
    """
    lp, m = _real_log_probs(token_lp, mask)
    return float(-lp[m].astype(np.float64).sum() / m.sum())


def perplexity(token_lp, mask=None) -> float:
    r"""Token-weighted perplexity: :math:`e^{H}` with :math:`H` the mean over *all* real tokens.

    .. math::

        \mathrm{PP} = \exp\Big(-\frac{1}{N} \sum_{b,t} m_{b,t} \log p_{b,t}\Big)
                    = \Big(\prod_{\text{real}} p_{b,t}\Big)^{-1/N},
        \qquad N = \sum_{b,t} m_{b,t}

    the inverse geometric mean of the probabilities of the real tokens. The standard measure:
    it is the probability of the whole text normalised per token, however the scored tokens
    are grouped into sequences. A model that is uniform over :math:`V` symbols has :math:`\mathrm{PP} = V`.

    Parameters
    ----------
    token_lp : array_like, any shape, e.g. (batch, T)
        Log-probabilities of the targets, natural log (:func:`token_log_probs`).
    mask : array_like of bool, same shape, optional
        True on real tokens, False on padding (whose values, NaN included, are ignored).

    Returns
    -------
    float
        :math:`\mathrm{PP} \ge 1`; ``inf`` if a real token had probability 0.
    """
    return _exp(cross_entropy(token_lp, mask))


def bits_per_token(token_lp, mask=None) -> float:
    r"""Cross-entropy in bits: :math:`H / \ln 2 = \log_2 \mathrm{PP}`.

    Bits per character (BPC) when the tokens are characters. Same arguments as
    :func:`cross_entropy`.
    """
    return cross_entropy(token_lp, mask) / _LN2


def sequence_perplexities(token_lp, mask=None) -> np.ndarray:
    r"""The perplexity of each sequence on its own: one number per row.

    .. math:: \mathrm{PP}_b = \exp\Big(-\frac{1}{N_b} \sum_t m_{b,t} \log p_{b,t}\Big),
              \qquad N_b = \sum_t m_{b,t}

    Parameters
    ----------
    token_lp : array_like, shape (batch, T)
    mask : array_like of bool, shape (batch, T), optional
        Every sequence must have at least one real token.

    Returns
    -------
    ndarray of float64, shape (batch,)
    """
    lp, m = _real_log_probs(token_lp, mask)
    if lp.ndim != 2:
        raise ValueError(f"token_lp must have shape (batch, T), one row per sequence, got {lp.shape}")
    lengths = m.sum(axis=1)
    if (lengths == 0).any():
        b = int(np.argmax(lengths == 0))
        raise ValueError(f"sequence {b} has no real token (mask row {b} is all False): "
                         "its perplexity is undefined; drop empty sequences first")
    nats = -np.where(m, lp, 0).astype(np.float64).sum(axis=1) / lengths
    with np.errstate(over="ignore"):
        return np.exp(nats)


def mean_sequence_perplexity(token_lp, mask=None) -> float:
    r"""The mean over sequences of each sequence's own perplexity (for comparison only).

    .. math:: \overline{\mathrm{PP}} = \frac{1}{B} \sum_{b=1}^{B} \mathrm{PP}_b

    **Not** the standard perplexity (:func:`perplexity`), and not an estimate of it: a token of
    a short sequence weighs more than a token of a long one, the arithmetic mean of
    exponentials is pulled up by the few hardest sequences, and the number changes when the
    same text is cut into sequences differently. It equals the token-weighted perplexity
    when every sequence has the same mean log-probability per token; for sequences of equal
    length it is never smaller (Jensen's inequality), but with unequal lengths it can come out
    on either side.

    Parameters
    ----------
    token_lp : array_like, shape (batch, T)
    mask : array_like of bool, shape (batch, T), optional

    Returns
    -------
    float
    """
    return float(np.mean(sequence_perplexities(token_lp, mask)))


def bits_per_character(total_nats, n_characters) -> float:
    r"""Bits per character of a text whose total negative log-probability is ``total_nats``.

    .. math:: \mathrm{BPC} = \frac{-\sum_i \ln p_i}{n_{\text{char}} \ln 2}

    Any model can be scored this way, whatever its tokens, as long as ``total_nats`` is the
    negative log-probability of the whole text and ``n_characters`` counts the characters of
    the same text the same way for every model compared (this book counts every character
    the character model predicts: letters, punctuation, spaces, and one end-of-sentence marker
    per sentence).

    Parameters
    ----------
    total_nats : float
        :math:`-\sum_i \ln p_i` over all predictions of the text, :math:`\ge 0`.
    n_characters : int
        The number of characters, :math:`> 0`.

    Returns
    -------
    float
    """
    nats = _total_nats(total_nats)
    n = _count(n_characters, "n_characters")
    return nats / (n * _LN2)


def _total_nats(value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"total_nats must be a number, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or value < 0:
        raise ValueError(f"total_nats must be >= 0 (a sum of negative log-probabilities), got {value!r}")
    return value


def _count(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int (a number of tokens), got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return int(value)


def rescale_perplexity(ppl, n_tokens_from, n_tokens_to) -> float:
    r"""Express a perplexity per a different unit of the *same* text.

    A model gives the whole text a probability :math:`P`; that number does not depend on how
    we count. Per token of one tokenization (:math:`N_{\text{from}}` predictions) the
    perplexity is :math:`P^{-1/N_{\text{from}}}`; per token of another (:math:`N_{\text{to}}`),
    :math:`P^{-1/N_{\text{to}}}`. Hence

    .. math::

        \mathrm{PP}_{\text{to}} = \mathrm{PP}_{\text{from}}^{\,N_{\text{from}} / N_{\text{to}}}
        = \exp\Big(\ln \mathrm{PP}_{\text{from}} \cdot \frac{N_{\text{from}}}{N_{\text{to}}}\Big)

    e.g. per word from per character: ``rescale_perplexity(pp_char, n_chars, n_words)``.
    Count each tokenization's predictions exactly as its model made them (with the
    end-of-sentence predictions, if the model made them).

    Parameters
    ----------
    ppl : float
        A perplexity, :math:`\ge 1` (``inf`` stays ``inf``).
    n_tokens_from : int
        The number of predictions ``ppl`` was averaged over.
    n_tokens_to : int
        The number of tokens of the same text in the other tokenization.

    Returns
    -------
    float
    """
    if isinstance(ppl, (bool, np.bool_)) or not isinstance(ppl, (int, float, np.integer, np.floating)):
        raise TypeError(f"ppl must be a number, got {type(ppl).__name__}")
    ppl = float(ppl)
    if math.isnan(ppl) or ppl < 1:
        raise ValueError(f"ppl must be a perplexity, >= 1, got {ppl!r}"
                         + (": is this a cross-entropy? use exp(cross_entropy)" if 0 <= ppl < 1 else ""))
    n_from = _count(n_tokens_from, "n_tokens_from")
    n_to = _count(n_tokens_to, "n_tokens_to")
    return _exp(math.log(ppl) * n_from / n_to)


class StreamingPerplexity:
    r"""Accumulate the exact perplexity of a text scored batch by batch.

    Keeps two running sums, the total negative log-probability :math:`\sum -\log p` (nats)
    and the number of real tokens :math:`N`, and exponentiates only at the end:

    .. math:: \mathrm{PP} = \exp\Big(\frac{\sum_{\text{batches}} \sum_{\text{real}} -\log p}
                                          {\sum_{\text{batches}} N_{\text{batch}}}\Big)

    The result is the token-weighted perplexity of all the tokens together, whatever the
    batch sizes. Averaging ``exp(batch loss)`` instead is wrong: over batches of equal size it
    overestimates the perplexity (Jensen's inequality: the mean of an exponential is at least
    the exponential of the mean), and over batches of different sizes it can err either way;
    averaging the batch losses without weighting them by their token counts is wrong too when
    the batches hold different numbers of tokens.

    Examples
    --------
    >>> meter = StreamingPerplexity()
    >>> meter.update(np.log([[0.5, 0.25]])).update(np.log([[0.125, 1.0]]))
    StreamingPerplexity(n_tokens=4, cross_entropy=1.0397)
    >>> round(meter.perplexity, 4)       # (0.5 * 0.25 * 0.125 * 1) ** (-1/4) = 2 ** 1.5
    2.8284
    """

    def __init__(self):
        self.total_nats = 0.0
        self.n_tokens = 0

    def update(self, token_lp, mask=None) -> "StreamingPerplexity":
        """Add a batch of target log-probabilities (any shape) with its mask; return self."""
        lp, m = _real_log_probs(token_lp, mask)
        self.total_nats += float(-lp[m].astype(np.float64).sum())
        self.n_tokens += int(m.sum())
        return self

    def add(self, mean_loss, n_tokens) -> "StreamingPerplexity":
        """Add a batch given as its mean loss (nats per token) and its number of real tokens."""
        nats = _total_nats(mean_loss)
        n = _count(n_tokens, "n_tokens")
        self.total_nats += nats * n
        self.n_tokens += n
        return self

    def _check_tokens(self):
        if self.n_tokens == 0:
            raise ValueError("no tokens yet: call update() or add() with a batch first")

    @property
    def cross_entropy(self) -> float:
        """Nats per token over everything seen so far."""
        self._check_tokens()
        return self.total_nats / self.n_tokens

    @property
    def perplexity(self) -> float:
        """The token-weighted perplexity of everything seen so far."""
        return _exp(self.cross_entropy)

    @property
    def bits_per_token(self) -> float:
        """Bits per token (bits per character for a character model)."""
        return self.cross_entropy / _LN2

    def __repr__(self):
        if self.n_tokens == 0:
            return "StreamingPerplexity(n_tokens=0)"
        return f"StreamingPerplexity(n_tokens={self.n_tokens}, cross_entropy={self.cross_entropy:.4f})"
