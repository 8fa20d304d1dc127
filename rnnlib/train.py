r"""Training: the one training loop of ``rnnlib``, and the language-model trainer built on it.

:func:`train` is the loop every model of the book trains with: for each batch, the loss and
its gradients, clipping, one optimiser step. :func:`train_language_model` runs it once per
epoch over the chunks of :func:`rnnlib.lm_data.stream_batches`, carrying the final states of
each chunk into the next (truncated backpropagation through time), and adds what a real
training run needs: Adam, dropout, a learning-rate schedule, validation perplexity after every
epoch (:func:`rnnlib.evaluate.evaluate_language_model`), early stopping that restores the best
parameters, and a tqdm progress bar on stderr.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .evaluate import evaluate_language_model
from .language_model import LMConfig, check_config, check_params, initial_states, lm_loss_and_grads
from .lm_data import check_stream, n_stream_batches, stream_batches
from .optim import Adam, clip_grad_norm
from .validate import check_rng, positive_float, positive_int

__all__ = ["train", "train_language_model", "History", "SCHEDULES"]

#: Learning-rate schedules of :func:`train_language_model`.
SCHEDULES = ("constant", "plateau", "cosine")


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
        max_norm = positive_float(max_norm, "max_norm")
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


def train_language_model(train_ids, valid_ids, params: dict, config: LMConfig, *,
                         epochs: int = 10, batch_size: int = 16, bptt: int = 32,
                         lr: float = 2e-3, schedule: str = "plateau", clip: float | None = 5.0,
                         patience: int | None = 3, rng: np.random.Generator,
                         valid_batch_size: int | None = None,
                         evaluate: Callable[[dict], float] | None = None,
                         progress: bool = True) -> History:
    r"""Train a language model with truncated BPTT, Adam, clipping and early stopping.

    Each epoch is one run of :func:`train` over :func:`rnnlib.lm_data.stream_batches` of
    ``train_ids``, carrying the final states of each chunk into the next (the gradient is cut
    between chunks); per chunk: loss and gradients (dropout on, masks drawn from ``rng``),
    clipping of the global gradient norm to ``clip``, one Adam step. After the epoch,
    :func:`rnnlib.evaluate.evaluate_language_model` on ``valid_ids``.

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
    train_ids, valid_ids : array_like of int, shape (n,)
        Token streams.
    params : dict
        Updated in place.
    config : LMConfig
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
        example :func:`rnnlib.evaluate.evaluate_documents` on held-out documents); it decides
        the schedule, early stopping and ``history.valid_ppl``.
    progress : bool
        Show a tqdm progress bar on stderr; False prints nothing at all.

    Returns
    -------
    History
    """
    start_time = time.perf_counter()
    config = check_config(config)
    flat = check_params(params, config)
    check_rng(rng)
    epochs, batch_size, bptt = (positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size"),
                                positive_int(bptt, "bptt"))
    lr = positive_float(lr, "lr")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    clip = None if clip is None else positive_float(clip, "clip")
    patience = positive_int(patience, "patience", allow_none=True)
    train_ids = check_stream(train_ids, batch_size, "train_ids")
    valid_ids = check_stream(valid_ids, 1, "valid_ids")
    if valid_batch_size is None:
        valid_batch_size = max(1, min(batch_size, valid_ids.size - 1))
    check_stream(valid_ids, positive_int(valid_batch_size, "valid_batch_size"), "valid_ids")
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

            def loss_and_grads(x, y, params):
                nonlocal states          # carried from chunk to chunk: truncated BPTT
                loss, grads, states = lm_loss_and_grads(x, y, None, params, config, h0s=states,
                                                        rng=rng)
                return loss, grads

            def on_step(loss):
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.3f}", refresh=False)

            losses = train(stream_batches(train_ids, batch_size, bptt), params, loss_and_grads,
                           optimizer, max_norm=clip, on_step=on_step)
            sizes = [y.size for _, y in stream_batches(train_ids, batch_size, bptt)]
            history.train_loss.append(sum(l * n for l, n in zip(losses, sizes)) / sum(sizes))
            if evaluate is None:
                ppl = evaluate_language_model(valid_ids, params, config, valid_batch_size, bptt)
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
