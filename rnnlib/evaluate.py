r"""Scoring a trained language model on held-out text: perplexity over a stream or documents.

Both ways read the text without dropout and without gradients, chunk by chunk, carrying each
row's state from one chunk to the next, and score every target with
:func:`rnnlib.losses.target_log_probs`:

- :func:`evaluate_language_model` reads one long stream laid out by
  :func:`rnnlib.lm_data.stream_batches`, the way the model trains (validation during training);
- :func:`document_log_probs` and :func:`evaluate_documents` read a padded batch of documents
  (:func:`rnnlib.lm_data.document_batch`), each row from a zero state, so that the model is
  scored on exactly the predictions an n-gram model makes.

.. math:: \mathrm{PP} = \exp\Big(\frac{1}{N} \sum_{n=1}^{N} -\ln P(w_n \mid w_{<n})\Big)
"""

from __future__ import annotations

import numpy as np

from .language_model import LMConfig, check_config, check_params, initial_states, lm_forward
from .lm_data import stream_batches
from .losses import target_log_probs
from .metrics import StreamingPerplexity

__all__ = ["evaluate_language_model", "document_log_probs", "evaluate_documents"]


def evaluate_language_model(ids, params: dict, config: LMConfig, batch_size: int = 16,
                            bptt: int = 64) -> float:
    r"""Token-weighted perplexity of the stream ``ids``, state carried across chunks.

    Over the :math:`N` targets of :func:`rnnlib.lm_data.stream_batches` (no dropout). Each row
    starts from a zero state, so the first tokens of the rows are predicted with little context:
    fewer rows (a smaller ``batch_size``) usually give a slightly lower, more faithful number.
    """
    config = check_config(config)
    check_params(params, config)
    meter = StreamingPerplexity()
    states = None
    for x, y in stream_batches(ids, batch_size, bptt):
        logits, states, _ = lm_forward(x, params, config, h0s=states)
        meter.update(target_log_probs(logits, y))
    return meter.perplexity


def document_log_probs(batch, params: dict, config: LMConfig, bptt: int = 128) -> np.ndarray:
    r"""The model's :math:`\ln p(\text{target})` at every position of a
    :func:`rnnlib.lm_data.document_batch`.

    Each row is read from a zero state, the state carried from chunk to chunk of ``bptt``
    steps (no gradient, no dropout).

    Returns
    -------
    ndarray of float64, shape (rows, T)
        0.0 at the padded positions; ``lp[mask]`` lists the predictions document after
        document, in the order :meth:`rnnlib.ngram.NGramLM.encode` lists them.
    """
    config = check_config(config)
    check_params(params, config)
    inputs, targets, mask = batch
    if not (inputs.shape == targets.shape == mask.shape) or inputs.ndim != 2:
        raise ValueError(f"batch must be (inputs, targets, mask) of one (rows, T) shape, got "
                         f"{inputs.shape}, {targets.shape}, {mask.shape}")
    lp = np.zeros(inputs.shape)
    states = initial_states(config, inputs.shape[0])
    for start in range(0, inputs.shape[1], bptt):
        cols = slice(start, start + bptt)
        # Rows are padded at the end only: skip the rows that have already ended.
        rows = np.flatnonzero(mask[:, start])
        if rows.size == 0:
            break
        logits, finals, _ = lm_forward(inputs[rows, cols], params, config,
                                       h0s=[h[rows] for h in states])
        for h, final in zip(states, finals):
            h[rows] = final
        lp[rows, cols] = target_log_probs(logits, targets[rows, cols], mask[rows, cols])
    return lp


def evaluate_documents(batch, params: dict, config: LMConfig, bptt: int = 128) -> StreamingPerplexity:
    """Score a :func:`rnnlib.lm_data.document_batch` with the model (:func:`document_log_probs`).

    Every row starts from zero states; padded positions are masked out, so the result is the
    token-weighted perplexity over the real targets only.

    Returns
    -------
    StreamingPerplexity
        ``.perplexity``, ``.cross_entropy`` (nats per token) and ``.n_tokens``.
    """
    lp = document_log_probs(batch, params, config, bptt)
    return StreamingPerplexity().update(lp, batch[2])
