import numpy as np
import pytest

from rnnlib.text import (BOS, EOS, PAD, UNK, Vocab, corpus_sentences, pad_batch,
                         split_sentences, tokenize_chars, tokenize_words)


def test_word_tokens_keep_elisions_and_split_punctuation():
    assert tokenize_words("I woo'd thee; 'tis O'er-wrought!") == \
        ["i", "woo'd", "thee", ";", "'tis", "o'er-wrought", "!"]
    assert tokenize_words("Good Night", lowercase=False) == ["Good", "Night"]


def test_char_tokens_fold_whitespace():
    assert tokenize_chars("ab  c\nd") == list("ab c d")


def test_sentences_join_verse_lines_and_cut_at_end_marks():
    speech = "Now, fair Hippolyta, our nuptial hour\nDraws on apace. How slow\nThis old moon wanes!"
    assert split_sentences(speech) == ["Now, fair Hippolyta, our nuptial hour Draws on apace.",
                                       "How slow This old moon wanes!"]


def test_sentences_do_not_cut_after_protected_abbreviation_or_before_lowercase():
    assert split_sentences("Ask St. Francis. what? no more.") == ["Ask St. Francis. what? no more."]
    assert split_sentences("") == []


def test_bad_text_types():
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize_words(["a"])


def test_vocab_orders_specials_then_frequency_and_round_trips():
    v = Vocab.build([["b", "a", "b"], ["c", "b", "a"]])
    assert list(v) == [PAD, UNK, BOS, EOS, "b", "a", "c"]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    tokens = ["a", "c", "b"]
    assert v.decode(v.encode(tokens)) == tokens
    assert v.encode(["zzz"]) == [v.unk_id]


def test_vocab_min_count_and_max_size():
    v = Vocab.build([["a", "a", "b", "c", "c", "c"]], min_count=2)
    assert "b" not in v and "a" in v and v.id_of("b") == v.unk_id
    assert list(Vocab.build([["a", "a", "b"]], max_size=1))[-1] == "a"


def test_vocab_errors():
    with pytest.raises(ValueError, match="empty corpus"):
        Vocab.build([[], []])
    with pytest.raises(TypeError, match=r"sequences\[0\] must be a list of tokens"):
        Vocab.build(["a sentence"])
    with pytest.raises(TypeError, match=r"sequences\[0\]\[1\] must be a str token, got int"):
        Vocab.build([["a", 3]])
    with pytest.raises(ValueError, match="min_count"):
        Vocab.build([["a"]], min_count=0)
    no_unk = Vocab(["a"], specials=(PAD,))
    with pytest.raises(KeyError, match="unknown token 'b'"):
        no_unk.encode(["b"])
    with pytest.raises(IndexError, match=r"token id must be in \[0, 2\)"):
        no_unk.decode([5])


def test_pad_batch_pads_truncates_and_masks():
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0]])
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0, max_len=2)
    np.testing.assert_array_equal(ids, [[5, 6], [8, 0]])
    with pytest.raises(ValueError, match="at least one sequence"):
        pad_batch([], pad_id=0)


class _Speech:
    def __init__(self, text):
        self.text = text


class _Play:
    def __init__(self, *texts):
        self.speeches = [_Speech(t) for t in texts]


def test_corpus_sentences_never_cross_speeches():
    plays = [_Play("Go now. Stay", "Yes! No.")]
    assert corpus_sentences(plays) == [["go", "now", "."], ["stay"], ["yes", "!"], ["no", "."]]
    assert corpus_sentences(plays, level="char")[1] == list("stay")
    with pytest.raises(ValueError, match="level"):
        corpus_sentences(plays, level="byte")
