"""Text processing: tokenizers, sentence segmentation, vocabularies, padding.

The special tokens are shared by every model in the book:

=========  ===========================================================
``<pad>``  fills short sequences in a batch; always masked out
``<unk>``  stands for every word the vocabulary does not hold
``<s>``    beginning of a sentence (a context, never predicted)
``</s>``   end of a sentence (predicted like a word, so a model
           learns where sentences stop)
=========  ===========================================================
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from .validate import positive_int

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
#: The special tokens, in the order a default :class:`Vocab` gives them ids 0 to 3.
SPECIALS = (PAD, UNK, BOS, EOS)

# A word is letters with inner apostrophes or hyphens ("woo'd", "o'er", "self-same");
# a leading apostrophe stays attached to elisions like "'tis". A run of digits is one token;
# anything else that is not a space is a token of its own (punctuation).
_WORD = re.compile(r"'?[A-Za-z]+(?:['\-][A-Za-z]+)*|[0-9]+|[^\sA-Za-z0-9]")

# A sentence ends at . ! or ? followed by space and a capital letter (or the end of the
# text). Line breaks are not boundaries: in verse every line starts with a capital.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z])")
_ABBREVIATIONS = ("Mr.", "Mrs.", "St.", "Dr.", "viz.", "&c.", "& c.")


def _check_text(text, name="text"):
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")


def tokenize_words(text: str, lowercase: bool = True) -> list[str]:
    """Split text into word and punctuation tokens.

    >>> tokenize_words("Thou, thou, Lysander, thou hast given her rhymes!")
    ['thou', ',', 'thou', ',', 'lysander', ',', 'thou', 'hast', 'given', 'her', 'rhymes', '!']
    """
    _check_text(text)
    if lowercase:
        text = text.lower()
    return _WORD.findall(text)


def tokenize_chars(text: str, lowercase: bool = False) -> list[str]:
    """Split text into characters; line breaks become spaces, runs of spaces collapse."""
    _check_text(text)
    text = " ".join(text.split())
    return list(text.lower() if lowercase else text)


def split_sentences(text: str) -> list[str]:
    """Split a speech into sentences.

    Verse lines are joined first (a line break is not a sentence boundary), then the text is
    cut after ``.``, ``!`` or ``?`` when a capital letter follows. A few abbreviations
    (``Mr.``, ``St.``, ``&c.``) are protected.

    >>> split_sentences("Go, Philostrate,\\nStir up the youth. Awake the spirit!\\nO, how slow")
    ['Go, Philostrate, Stir up the youth.', 'Awake the spirit!', 'O, how slow']
    """
    _check_text(text)
    flat = " ".join(text.split())
    if not flat:
        return []
    protected = flat
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr + " ", f"\x00{i}\x00 ")
    pieces = _SENTENCE_END.split(protected)
    restored = []
    for piece in pieces:
        for i, abbr in enumerate(_ABBREVIATIONS):
            piece = piece.replace(f"\x00{i}\x00", abbr)
        if piece.strip():
            restored.append(piece.strip())
    return restored


def corpus_sentences(plays, level: str = "word", lowercase: bool = True) -> list[list[str]]:
    """Tokenized sentences of every speech of every play, in order.

    Sentences never cross a speech: a change of speaker is always a boundary. Speaker
    names are not part of the text.

    Parameters
    ----------
    plays : iterable of :class:`rnnlib.datasets.Play`
    level : {"word", "char"}
        Word tokens (:func:`tokenize_words`) or characters (:func:`tokenize_chars`).
    lowercase : bool
    """
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char', got {level!r}")
    tokenize = tokenize_words if level == "word" else tokenize_chars
    sentences = []
    for play in plays:
        for speech in play.speeches:
            for sentence in split_sentences(speech.text):
                tokens = tokenize(sentence, lowercase=lowercase)
                if tokens:
                    sentences.append(tokens)
    return sentences


def _check_sequences(sequences, name="sequences") -> list[list[str]]:
    """Validate a corpus given as a sequence of token sequences; return it as lists."""
    if isinstance(sequences, str):
        raise TypeError(f"{name} must be a list of token lists, got a single str; "
                        "tokenize it first, e.g. [tokenize_words(text)]")
    checked = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, str):
            raise TypeError(f"{name}[{i}] must be a list of tokens, got the str {seq[:30]!r}; "
                            "did you forget to tokenize it?")
        seq = list(seq)
        if not all(issubclass(t, str) for t in set(map(type, seq))):  # fast; culprit below
            j, token = next((j, t) for j, t in enumerate(seq) if not isinstance(t, str))
            raise TypeError(f"{name}[{i}][{j}] must be a str token, "
                            f"got {type(token).__name__} {token!r}")
        checked.append(seq)
    return checked


class Vocab:
    """A bidirectional map between tokens and integer ids.

    Special tokens come first, in the order given, then the other tokens: in the order given
    to the constructor, or, in a vocabulary made by :meth:`build`, by decreasing count (ties
    alphabetical), so the same corpus always gives the same ids.

    Parameters
    ----------
    tokens : iterable of str
        The ordinary tokens, in id order (specials are added in front).
    specials : sequence of str
        Special tokens; those of :data:`SPECIALS` get the ``pad_id``, ``unk_id``, ``bos_id``
        and ``eos_id`` properties. Without ``<unk>`` in it, encoding an unknown token is an error.
    """

    def __init__(self, tokens: Iterable[str] = (), specials: Sequence[str] = SPECIALS):
        self._itos: list[str] = []
        self._stoi: dict[str, int] = {}
        for token in list(specials) + list(tokens):
            if not isinstance(token, str):
                raise TypeError(f"a vocabulary token must be a str, got {type(token).__name__} {token!r}")
            if token not in self._stoi:
                self._stoi[token] = len(self._itos)
                self._itos.append(token)
        self.specials = tuple(specials)
        self.counts: Counter = Counter()

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_count: int = 1,
              max_size: int | None = None, specials: Sequence[str] = SPECIALS) -> "Vocab":
        """Build a vocabulary from tokenized sequences.

        Tokens seen fewer than ``min_count`` times are left out (they will encode as
        ``<unk>``); ``max_size`` caps the number of ordinary tokens, keeping the most frequent.
        """
        min_count = positive_int(min_count, "min_count")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 0):
            raise ValueError(f"max_size must be None or an int >= 0, got {max_size!r}")
        sequences = _check_sequences(sequences)
        counts = Counter(token for seq in sequences for token in seq)
        if not counts:
            raise ValueError("cannot build a vocabulary from an empty corpus (no tokens given)")
        kept = sorted((t for t, c in counts.items() if c >= min_count and t not in specials),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size]
        vocab = cls(kept, specials)
        vocab.counts = counts
        return vocab

    def __len__(self) -> int:
        return len(self._itos)

    def __iter__(self):
        return iter(self._itos)

    def __contains__(self, token) -> bool:
        return token in self._stoi

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, specials={self.specials})"

    def _special_id(self, token: str) -> int:
        if token not in self._stoi:
            raise KeyError(f"this vocabulary has no {token} token (specials: {self.specials})")
        return self._stoi[token]

    pad_id = property(lambda self: self._special_id(PAD))
    unk_id = property(lambda self: self._special_id(UNK))
    bos_id = property(lambda self: self._special_id(BOS))
    eos_id = property(lambda self: self._special_id(EOS))

    def id_of(self, token: str) -> int:
        """The id of ``token``; an unknown token maps to ``<unk>`` if the vocabulary has one."""
        if token in self._stoi:
            return self._stoi[token]
        if UNK in self._stoi:
            return self._stoi[UNK]
        raise KeyError(f"unknown token {token!r} and this vocabulary has no {UNK} token")

    def token_of(self, index: int) -> str:
        if not 0 <= index < len(self._itos):
            raise IndexError(f"token id must be in [0, {len(self._itos)}), got {index}")
        return self._itos[index]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Map tokens to ids (unknown tokens to ``<unk>``)."""
        (tokens,) = _check_sequences([tokens], name="tokens")
        return [self.id_of(t) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Map ids back to tokens."""
        return [self.token_of(int(i)) for i in ids]


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int, max_len: int | None = None):
    """Pad (or truncate) integer sequences to one length.

    Returns
    -------
    ids : ndarray of int64, shape (batch, time)
        ``ids[b, t]`` is token ``t`` of sequence ``b``, or ``pad_id`` past its end.
    mask : ndarray of bool, shape (batch, time)
        True on real tokens, False on padding.
    """
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence, got none")
    lengths = [len(s) for s in sequences]
    time = max(lengths) if max_len is None else max_len
    if time < 1:
        raise ValueError(f"max_len must be >= 1, got {time}")
    ids = np.full((len(sequences), time), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), time), dtype=bool)
    for b, seq in enumerate(sequences):
        n = min(len(seq), time)
        ids[b, :n] = seq[:n]
        mask[b, :n] = True
    return ids, mask
