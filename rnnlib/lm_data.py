r"""Shakespeare as token streams for a language model, scored on exactly the n-gram's predictions.

An n-gram model (:class:`rnnlib.ngram.NGramLM`) scores a text sentence by sentence: every
token and one ``</s>`` per sentence is a prediction. A recurrent model reads the same text as
one stream in which ``</s>`` separates the sentences::

    </s> w_1 w_2 ... w_n </s> v_1 ... v_m </s> ...

It predicts every token after the first, so **the targets are the n-gram's predictions, one
for one**: each word and each ``</s>``. The two models differ only in what they may condition
on. The n-gram restarts at every sentence (its history is padded with ``<s>``); the recurrent
model carries its state across sentences within a document (within a row of
:func:`document_batch`, which cuts long documents at sentence ends).

:func:`load_corpus` builds the vocabulary and the three streams of a split;
:func:`document_batch` lays held-out documents (plays, or the held-out parts of plays) side by
side as rows of a padded batch, and :func:`evaluate_documents` scores them with a mask, so the
perplexity is the token-weighted mean over exactly the n-gram's predictions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import datasets
from .language_model import LMConfig, _check_config, check_params, lm_forward
from .metrics import StreamingPerplexity
from .text import BOS, EOS, UNK, Vocab, corpus_sentences
from .validate import positive_int

__all__ = ["SPLITS", "LEVELS", "EVAL_ROW_LENGTH", "Corpus", "load_corpus", "encode_stream",
           "document_batch", "document_log_probs", "target_log_probs", "evaluate_documents"]

#: The two ways :mod:`rnnlib.datasets` splits the plays.
SPLITS = ("within_play", "by_play")
#: Tokenizations.
LEVELS = ("word", "char")
#: Held-out documents are cut into rows of about this many targets for evaluation
#: (:func:`document_batch`); the book's numbers use these.
EVAL_ROW_LENGTH = {"word": 2_000, "char": 8_000}


class Corpus(NamedTuple):
    """A split of the plays at one level, tokenized: per part, a list of plays (documents),
    each a list of tokenized sentences."""

    vocab: Vocab        #: built on the training sentences (``<unk>``, ``<s>``, ``</s>`` first)
    train: list         #: per training play, its sentences (lists of str)
    valid: list         #: per validation play (or held-out part of a play), its sentences
    test: list          #: per test play (or held-out part of a play), its sentences
    split: str          #: ``"within_play"`` or ``"by_play"``
    level: str          #: ``"word"`` or ``"char"``
    min_count: int      #: training tokens seen fewer times became ``<unk>``

    def sentences(self, part: str) -> list[list[str]]:
        """All sentences of ``part`` ("train", "valid" or "test"), play after play."""
        return [s for doc in self._part(part) for s in doc]

    def stream(self, part: str) -> np.ndarray:
        """The ids of ``part`` as one stream (see :func:`encode_stream`)."""
        return encode_stream(self.sentences(part), self.vocab)

    def _part(self, part: str) -> list:
        if part not in ("train", "valid", "test"):
            raise ValueError(f"part must be 'train', 'valid' or 'test', got {part!r}")
        return getattr(self, part)


def load_corpus(split: str = "within_play", level: str = "word", min_count: int = 1) -> Corpus:
    """Tokenize one split of the plays at one level and build the training vocabulary.

    Parameters
    ----------
    split : {"within_play", "by_play"}
        :func:`rnnlib.datasets.split_within_play` (the last 20% of every play held out) or
        :func:`rnnlib.datasets.split_by_play` (whole plays held out).
    level : {"word", "char"}
        Lower-cased words or characters (:func:`rnnlib.text.corpus_sentences`).
    min_count : int >= 1
        Training tokens seen fewer times become ``<unk>``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    min_count = positive_int(min_count, "min_count")
    plays = datasets.split_within_play() if split == "within_play" else datasets.split_by_play()
    parts = [[corpus_sentences([play], level=level) for play in part] for part in plays]
    parts = [[doc for doc in part if doc] for part in parts]
    vocab = Vocab.build([s for doc in parts[0] for s in doc], min_count=min_count,
                        specials=(UNK, BOS, EOS))
    return Corpus(vocab, *parts, split=split, level=level, min_count=min_count)


def encode_stream(sentences, vocab: Vocab) -> np.ndarray:
    """``[</s>] + ids(s_1) + [</s>] + ids(s_2) + [</s>] + ...`` as int32.

    A stream of ``n`` tokens in ``k`` sentences has ``n + k`` targets (everything after the
    leading ``</s>``), the same ``n + k`` predictions
    :meth:`rnnlib.ngram.NGramLM.evaluate` makes.
    Unknown tokens become ``<unk>``.
    """
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be an rnnlib.text.Vocab, got {type(vocab).__name__}")
    eos = vocab.id_of(EOS)
    ids = [eos]
    for sentence in sentences:
        if isinstance(sentence, str):
            raise TypeError("sentences must be lists of tokens, got a str; tokenize it first")
        ids.extend(vocab.encode(sentence))
        ids.append(eos)
    if len(ids) < 2:
        raise ValueError("cannot make a stream from no tokens: got no sentences")
    return np.asarray(ids, dtype=np.int32)


def document_batch(documents, vocab: Vocab, max_length: int | None = None):
    """Lay documents side by side as the rows of a padded batch.

    Each document (a list of tokenized sentences) becomes one stream (:func:`encode_stream`);
    with ``max_length``, a stream is cut at the first sentence end at or after every
    ``max_length`` targets, so that every piece but the last has ``max_length`` targets or a
    little more (each piece again starting from ``</s>``, and read from a fresh state by
    :func:`document_log_probs`): rows are of similar length and a long held-out play does not
    become one very long sequential row.

    Returns
    -------
    inputs, targets : ndarray of int32, shape (rows, T)
    mask : ndarray of bool, shape (rows, T)
        True at the real targets; their number is the number of n-gram predictions.
    """
    max_length = positive_int(max_length, "max_length", allow_none=True)
    rows = []
    for doc in documents:
        piece: list = []
        n_targets = 0
        for sentence in doc:
            piece.append(sentence)
            n_targets += len(sentence) + 1
            if max_length is not None and n_targets >= max_length:
                rows.append(encode_stream(piece, vocab))
                piece, n_targets = [], 0
        if piece:
            rows.append(encode_stream(piece, vocab))
    if not rows:
        raise ValueError("documents hold no sentences: nothing to evaluate")
    T = max(len(r) for r in rows) - 1
    inputs = np.zeros((len(rows), T), dtype=np.int32)
    targets = np.zeros((len(rows), T), dtype=np.int32)
    mask = np.zeros((len(rows), T), dtype=bool)
    for i, r in enumerate(rows):
        inputs[i, :len(r) - 1] = r[:-1]
        targets[i, :len(r) - 1] = r[1:]
        mask[i, :len(r) - 1] = True
    return inputs, targets, mask


def document_log_probs(params: dict, config: LMConfig, batch, bptt: int = 128) -> np.ndarray:
    r"""The model's :math:`\ln p(\text{target})` at every position of a :func:`document_batch`.

    Each row is read from a zero state, the state carried from chunk to chunk of ``bptt``
    steps (no gradient, no dropout).

    Returns
    -------
    ndarray of float64, shape (rows, T)
        0.0 at the padded positions; ``lp[mask]`` lists the predictions document after
        document, in the order :meth:`rnnlib.ngram.NGramLM.encode` lists them.
    """
    config = _check_config(config)
    check_params(params, config)
    inputs, targets, mask = batch
    if not (inputs.shape == targets.shape == mask.shape) or inputs.ndim != 2:
        raise ValueError(f"batch must be (inputs, targets, mask) of one (rows, T) shape, got "
                         f"{inputs.shape}, {targets.shape}, {mask.shape}")
    lp = np.zeros(inputs.shape)
    states = [np.zeros((inputs.shape[0], config.n_hidden), config.np_dtype)
              for _ in range(config.n_layers)]
    for start in range(0, inputs.shape[1], bptt):
        cols = slice(start, start + bptt)
        # Rows are padded at the end only: skip the rows that have already ended.
        rows = np.flatnonzero(mask[:, start])
        if rows.size == 0:
            break
        logits, finals, _ = lm_forward(inputs[rows, cols], params, config, h0s=[h[rows] for h in states])
        for h, final in zip(states, finals):
            h[rows] = final
        lp[rows, cols] = np.where(mask[rows, cols], target_log_probs(logits, targets[rows, cols]), 0.0)
    return lp


def target_log_probs(logits, targets) -> np.ndarray:
    r""":math:`\ln \operatorname{softmax}(z)_y = z_y - c - \ln \sum_j e^{z_j - c}` with
    :math:`c = \max_j z_j`, for logits ``(..., V)`` and targets ``(...)``, in float64."""
    z = np.asarray(logits)
    c = z.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(z - c).sum(axis=-1, dtype=np.float64))
    picked = np.take_along_axis(z, np.asarray(targets)[..., None], axis=-1)[..., 0]
    return picked.astype(np.float64) - c[..., 0] - log_sum


def evaluate_documents(params: dict, config: LMConfig, batch, bptt: int = 128) -> StreamingPerplexity:
    """Score a :func:`document_batch` with the model (:func:`document_log_probs`).

    Every row starts from zero states; padded positions are masked out, so the result is the
    token-weighted perplexity over the real targets only.

    Returns
    -------
    StreamingPerplexity
        ``.perplexity``, ``.cross_entropy`` (nats per token) and ``.n_tokens``.
    """
    lp = document_log_probs(params, config, batch, bptt)
    return StreamingPerplexity().update(lp, batch[2])
