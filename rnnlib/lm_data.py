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
side as rows of a padded batch, which :func:`rnnlib.evaluate.evaluate_documents` scores with
a mask, so the perplexity is the token-weighted mean over exactly the n-gram's predictions.
:func:`stream_batches` cuts a training stream into the chunks of truncated backpropagation
through time (Williams and Peng 1990; the set-up of Zaremba, Sutskever and Vinyals 2014): the
state a chunk ends in is the state the next chunk of the same row starts from, so the model
reads each row as one continuous text, while the gradient stops at the chunk boundary.

This module only lays out data; :mod:`rnnlib.evaluate` runs models on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from . import datasets
from .text import BOS, EOS, UNK, Vocab, corpus_sentences
from .validate import positive_int

__all__ = ["SPLITS", "LEVELS", "EVAL_ROW_LENGTH", "Corpus", "load_corpus", "encode_stream",
           "document_batch", "stream_batches", "n_stream_batches", "check_stream"]

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
    :func:`rnnlib.evaluate.document_log_probs`): rows are of similar length and a long held-out play does not
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


# ----------------------------------------------------------------- a stream in chunks (truncated BPTT)
def check_stream(ids, batch_size: int = 1, name: str = "ids") -> np.ndarray:
    """``ids`` as a 1-D integer array long enough for ``batch_size`` rows of at least one
    input and its target (``batch_size + 1`` tokens); a clear error otherwise."""
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one long 1-D stream of token ids, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer token ids, got dtype {arr.dtype}")
    if (arr.size - 1) // batch_size < 1:
        raise ValueError(f"{name} has {arr.size} tokens, too few for batch_size = {batch_size} rows: "
                         f"each row needs at least 2 (an input and its target), so at least "
                         f"{batch_size + 1} tokens")
    return arr


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
    batch_size, bptt = positive_int(batch_size, "batch_size"), positive_int(bptt, "bptt")
    arr = check_stream(ids, batch_size)
    L = (arr.size - 1) // batch_size              # targets per row
    inputs = arr[:batch_size * L].reshape(batch_size, L)
    targets = arr[1:batch_size * L + 1].reshape(batch_size, L)

    def chunks():
        for start in range(0, L, bptt):
            yield inputs[:, start:start + bptt], targets[:, start:start + bptt]

    return chunks()
