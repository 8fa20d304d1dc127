r"""Training a language model on a long token stream with truncated backpropagation through time.

A corpus for a language model is one long stream of token ids. :func:`stream_batches` cuts it
into ``batch_size`` parallel rows and walks along them ``bptt`` steps at a time; the state a
chunk ends in is the state the next chunk of the same row starts from, so the model reads each
row as one continuous text, while the gradient stops at the chunk boundary (truncated BPTT,
Williams and Peng 1990; the set-up of Zaremba, Sutskever and Vinyals 2014).

:func:`train_language_model` is the loop: Adam, gradient-norm clipping, dropout, a learning-rate
schedule, validation perplexity after every epoch, early stopping that restores the best
parameters, and a tqdm progress bar on stderr. :func:`evaluate_language_model` gives the
token-weighted perplexity of a stream, carrying the state across chunks in the same way.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .language_model import (LMConfig, _check_config, check_params, initial_states,
                             lm_forward, lm_loss_and_grads)
from .losses import sum_nll
from .metrics import StreamingPerplexity
from .optim import Adam, clip_grad_norm
from .validate import check_rng

__all__ = ["train", "stream_batches", "n_stream_batches", "train_language_model",
           "evaluate_language_model", "History", "SCHEDULES"]

#: Learning-rate schedules of :func:`train_language_model`.
SCHEDULES = ("constant", "plateau", "cosine")


def _int(value, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _stream(ids, name: str = "ids") -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one long 1-D stream of token ids, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer token ids, got dtype {arr.dtype}")
    return arr


def _row_length(n: int, batch_size: int, name: str) -> int:
    row = (n - 1) // batch_size
    if row < 1:
        raise ValueError(f"{name} has {n} tokens, too few for batch_size = {batch_size} rows: "
                         f"each row needs at least 2 (an input and its target), so at least "
                         f"{batch_size + 1} tokens")
    return row


def n_stream_batches(n_tokens: int, batch_size: int, bptt: int) -> int:
    """How many chunks :func:`stream_batches` yields for a stream of ``n_tokens`` tokens."""
    return math.ceil(((n_tokens - 1) // batch_size) / bptt)


def stream_batches(ids, batch_size: int, bptt: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    r"""Cut one long stream of ids into ``batch_size`` parallel rows and yield them in chunks.

    With :math:`n` tokens and :math:`L = \lfloor (n-1) / B \rfloor` targets per row, row
    :math:`b` holds the inputs ``ids[b L : (b+1) L]`` and the targets ``ids[b L + 1 : (b+1) L + 1]``
    (each input's next token). Chunk :math:`i` is columns :math:`[i\,\mathrm{bptt}, (i+1)\,
    \mathrm{bptt})` of those rows, the last chunk possibly shorter. So

    - **row b of chunk i+1 continues row b of chunk i**: the first input of the next chunk is
      the last target of this one. Pass the final states of one chunk as the initial states of
      the next and the model reads each row as a continuous text;
    - **every token ``ids[1 : B L + 1]`` is a target exactly once**; the last
      :math:`(n - 1) \bmod B` tokens (fewer than ``batch_size``) are not used.

    Parameters
    ----------
    ids : array_like of int, shape (n,)
    batch_size : int >= 1
        :math:`B`, the number of parallel rows.
    bptt : int >= 1
        Steps per chunk (how far back the gradient flows).

    Yields
    ------
    inputs, targets : ndarray of int, shape (batch_size, T) with T = bptt (last chunk: <= bptt)

    Examples
    --------
    >>> [(x.tolist(), y.tolist()) for x, y in stream_batches(np.arange(9), 2, 3)]
    [([[0, 1, 2], [4, 5, 6]], [[1, 2, 3], [5, 6, 7]]), ([[3], [7]], [[4], [8]])]
    """
    arr = _stream(ids)
    batch_size, bptt = _int(batch_size, "batch_size"), _int(bptt, "bptt")
    L = _row_length(arr.size, batch_size, "ids")
    inputs = arr[:batch_size * L].reshape(batch_size, L)
    targets = arr[1:batch_size * L + 1].reshape(batch_size, L)

    def chunks():
        for start in range(0, L, bptt):
            yield inputs[:, start:start + bptt], targets[:, start:start + bptt]

    return chunks()


# ----------------------------------------------------------------- the training loop
def train(batches: Iterable, params: dict, loss_and_grads: Callable, optimizer, *,
          max_norm: float | None = None, on_step: Callable[[float], None] | None = None) -> np.ndarray:
    """Mini-batch training: for each batch, loss and gradients, clipping, one optimiser step.

    The one training loop of ``rnnlib``: chapter 5's models call it directly, and
    :func:`train_language_model` calls it once per epoch.

    Parameters
    ----------
    batches : iterable of tuples
        One tuple of data arguments per step.
    params : dict
        Updated in place.
    loss_and_grads : callable ``(*batch, params) -> (loss, grads)``
        Data first, then the parameters, like every model of ``rnnlib``; e.g.
        :func:`rnnlib.sequence_models.many_to_many_loss`.
    optimizer : rnnlib.optim.SGD or Adam
    max_norm : float, optional
        Clip the global gradient norm to this (:func:`rnnlib.optim.clip_grad_norm`).
    on_step : callable ``(loss) -> None``, optional
        Called after every step (a progress bar, for example).

    Returns
    -------
    ndarray
        The training loss at every step.
    """
    if max_norm is not None:
        max_norm = _positive_float(max_norm, "max_norm")
    losses = []
    for batch in batches:
        loss, grads = loss_and_grads(*batch, params)
        if max_norm is not None:
            clip_grad_norm(grads, max_norm)
        optimizer.step(params, grads)
        losses.append(loss)
        if on_step is not None:
            on_step(loss)
    return np.array(losses)


# ----------------------------------------------------------------- evaluation
def evaluate_language_model(params: dict, config: LMConfig, ids, batch_size: int = 16,
                            bptt: int = 64) -> float:
    r"""Token-weighted perplexity of the stream ``ids``, state carried across chunks.

    .. math:: \mathrm{PP} = \exp\Big(\frac{1}{N} \sum_{n=1}^{N} -\log P(w_n \mid w_{<n})\Big)

    over the :math:`N` targets of :func:`stream_batches` (no dropout). Each row starts from a
    zero state, so the first tokens of the rows are predicted with little context: fewer rows
    (a smaller ``batch_size``) usually give a slightly lower, more faithful number.
    """
    config = _check_config(config)
    check_params(params, config)
    meter = StreamingPerplexity()
    states = None
    for x, y in stream_batches(ids, batch_size, bptt):
        logits, states, _ = lm_forward(x, params, config, h0s=states)
        total, n = sum_nll(logits, y)
        meter.add(total / n, n)
    return meter.perplexity


# ----------------------------------------------------------------- training
@dataclass
class History:
    """What :func:`train_language_model` measured, one entry per epoch run.

    Attributes
    ----------
    train_loss : list of float
        Mean cross-entropy (nats per token, token-weighted, with dropout on) over the epoch.
    valid_ppl : list of float
        Validation perplexity after the epoch.
    lr : list of float
        The learning rate used during the epoch.
    best_epoch : int
        Index (from 0) of the epoch with the lowest validation perplexity: the parameters
        returned are those after it.
    stopped_early : bool
        True if training stopped before ``epochs`` because validation stopped improving.
    seconds : float
        Wall-clock time; left out of the repr so a printed History is the same on every machine.
    """

    train_loss: list = field(default_factory=list)
    valid_ppl: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    seconds: float = field(default=0.0, repr=False, compare=False)

    @property
    def best_valid_ppl(self) -> float:
        return self.valid_ppl[self.best_epoch]


def _positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def train_language_model(params: dict, config: LMConfig, train_ids, valid_ids, *,
                         epochs: int = 10, batch_size: int = 16, bptt: int = 32,
                         lr: float = 2e-3, schedule: str = "plateau", clip: float | None = 5.0,
                         patience: int | None = 3, rng: np.random.Generator,
                         valid_batch_size: int | None = None,
                         evaluate: Callable[[dict], float] | None = None,
                         progress: bool = True) -> History:
    r"""Train a language model with truncated BPTT, Adam, clipping and early stopping.

    Each epoch walks :func:`stream_batches` of ``train_ids`` once, carrying the final states of
    each chunk into the next (the gradient is cut between chunks); per chunk: loss and
    gradients (dropout on, masks drawn from ``rng``), clipping of the global gradient norm to
    ``clip``, one Adam step. After the epoch, :func:`evaluate_language_model` on ``valid_ids``.

    Learning-rate schedules (``lr`` is the starting rate :math:`\eta_0`):

    - ``"plateau"``: halve the rate after every epoch whose validation perplexity is not a new
      best;
    - ``"cosine"``: :math:`\eta_e = \eta_0 \cdot \tfrac12 \big(1 + \cos(\pi e / E)\big)` for
      epoch :math:`e = 0, \dots, E-1`;
    - ``"constant"``.

    Early stopping: after ``patience`` epochs in a row without a new best validation
    perplexity, stop. In every case the best parameters seen are copied back into ``params``
    at the end (so ``params`` holds the model of ``history.best_epoch``).

    Parameters
    ----------
    params : dict
        Updated in place.
    config : LMConfig
    train_ids, valid_ids : array_like of int, shape (n,)
        Token streams.
    epochs, batch_size, bptt : int
    lr : float > 0
    schedule : {"plateau", "cosine", "constant"}
    clip : float > 0 or None
        Maximum global gradient norm (:func:`rnnlib.optim.clip_grad_norm`); None: no clipping.
    patience : int >= 1 or None
        None: never stop early.
    rng : numpy.random.Generator
        Dropout masks.
    valid_batch_size : int, optional
        Rows for validation; default ``min(batch_size, len(valid_ids) - 1)``.
    evaluate : callable, optional
        ``evaluate(params) -> perplexity`` replaces the validation on ``valid_ids`` (for
        example :func:`rnnlib.lm_data.evaluate_documents` on held-out documents); it decides
        the schedule, early stopping and ``history.valid_ppl``.
    progress : bool
        Show a tqdm progress bar on stderr; False prints nothing at all.

    Returns
    -------
    History
    """
    start_time = time.perf_counter()
    config = _check_config(config)
    flat = check_params(params, config)
    check_rng(rng)
    epochs, batch_size, bptt = (_int(epochs, "epochs"), _int(batch_size, "batch_size"),
                                _int(bptt, "bptt"))
    lr = _positive_float(lr, "lr")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    clip = None if clip is None else _positive_float(clip, "clip")
    patience = None if patience is None else _int(patience, "patience")
    train_ids, valid_ids = _stream(train_ids, "train_ids"), _stream(valid_ids, "valid_ids")
    _row_length(train_ids.size, batch_size, "train_ids")
    if valid_batch_size is None:
        valid_batch_size = max(1, min(batch_size, valid_ids.size - 1))
    _row_length(valid_ids.size, _int(valid_batch_size, "valid_batch_size"), "valid_ids")
    if evaluate is not None and not callable(evaluate):
        raise TypeError(f"evaluate must be a function of the params or None, got {type(evaluate).__name__}")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")

    optimizer = Adam(lr=lr)
    history = History()
    best = {k: v.copy() for k, v in flat.items()}
    best_ppl, since_best = math.inf, 0
    n_batches = n_stream_batches(train_ids.size, batch_size, bptt)
    bar = tqdm(total=epochs * n_batches, file=sys.stderr, disable=not progress,
               desc="training", unit="batch", leave=True, dynamic_ncols=True)
    try:
        for epoch in range(epochs):
            if schedule == "cosine":
                optimizer.lr = lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
            history.lr.append(optimizer.lr)
            states = initial_states(config, batch_size)
            total_nats, total_tokens = 0.0, 0
            for x, y in stream_batches(train_ids, batch_size, bptt):
                loss, grads, states = lm_loss_and_grads(x, y, None, params, config, h0s=states, rng=rng)
                if clip is not None:
                    clip_grad_norm(grads, clip)
                optimizer.step(params, grads)
                total_nats += loss * y.size
                total_tokens += y.size
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.3f}", refresh=False)
            history.train_loss.append(total_nats / total_tokens)
            if evaluate is None:
                ppl = evaluate_language_model(params, config, valid_ids, valid_batch_size, bptt)
            else:
                ppl = float(evaluate(params))
            history.valid_ppl.append(ppl)
            bar.set_postfix(epoch=epoch + 1, valid_ppl=f"{ppl:.2f}")
            if ppl < best_ppl:
                best_ppl, since_best, history.best_epoch = ppl, 0, epoch
                for k, v in flat.items():
                    best[k][...] = v
            else:
                since_best += 1
                if schedule == "plateau":
                    optimizer.lr /= 2
                if patience is not None and since_best >= patience and epoch < epochs - 1:
                    history.stopped_early = True
                    break
    finally:
        bar.close()
    for k, v in flat.items():          # restore the best parameters, in place
        v[...] = best[k]
    history.seconds = time.perf_counter() - start_time
    return history
