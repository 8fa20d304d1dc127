"""Token streams and document batches score exactly the n-gram's predictions."""

import numpy as np
import pytest

from rnnlib.language_model import LMConfig, init_language_model
from rnnlib.evaluate import evaluate_documents
from rnnlib.lm_data import document_batch, encode_stream, load_corpus
from rnnlib.ngram import NGramLM
from rnnlib.text import EOS, UNK, BOS, Vocab
from rnnlib.evaluate import evaluate_language_model

SENTENCES = [["to", "be", "or", "not"], ["to", "be"], ["that", "is", "the", "question"]]
VOCAB = Vocab.build(SENTENCES, specials=(UNK, BOS, EOS))


def test_stream_has_one_target_per_ngram_prediction():
    ids = encode_stream(SENTENCES, VOCAB)
    assert ids.dtype == np.int32 and ids[0] == VOCAB.id_of(EOS)
    assert VOCAB.decode(ids[1:6].tolist()) == ["to", "be", "or", "not", EOS]
    ngram = NGramLM(2, vocab=VOCAB).fit(SENTENCES)
    assert len(ids) - 1 == ngram.evaluate(SENTENCES).n_tokens == 4 + 2 + 4 + 3
    assert encode_stream([["zounds"]], VOCAB).tolist()[1] == VOCAB.id_of(UNK)
    with pytest.raises(TypeError, match="tokenize it first"):
        encode_stream(["to be"], VOCAB)
    with pytest.raises(ValueError, match="no sentences"):
        encode_stream([], VOCAB)


def test_document_batch_cuts_long_documents_at_sentence_ends():
    docs = [SENTENCES, SENTENCES[:1]]
    inputs, targets, mask = document_batch(docs, VOCAB, max_length=6)
    # document 1: 5 + 3 targets reach 6 after two sentences, then 5; document 2: 5
    assert mask.sum(axis=1).tolist() == [8, 5, 5]
    assert inputs.shape == targets.shape == mask.shape == (3, 8)
    assert (inputs[:, 0] == VOCAB.id_of(EOS)).all()
    np.testing.assert_array_equal(inputs[0, 1:], targets[0, :-1])
    whole = document_batch(docs, VOCAB)
    assert whole[2].sum() == mask.sum() == 13 + 5
    with pytest.raises(ValueError, match="nothing to evaluate"):
        document_batch([[]], VOCAB)
    with pytest.raises(ValueError, match="max_length"):
        document_batch(docs, VOCAB, max_length=0)


def test_one_row_matches_the_stream_evaluation():
    config = LMConfig(vocab_size=len(VOCAB), n_embed=4, n_hidden=5, cell="gru")
    params = init_language_model(config, np.random.default_rng(0))
    meter = evaluate_documents(document_batch([SENTENCES], VOCAB), params, config, bptt=3)
    stream = encode_stream(SENTENCES, VOCAB)
    assert meter.n_tokens == len(stream) - 1
    assert meter.perplexity == pytest.approx(evaluate_language_model(stream, params, config, 1, 4),
                                             rel=1e-12)
    # padding rows of another document does not change the first row's contribution
    two = evaluate_documents(document_batch([SENTENCES, SENTENCES[1:2]], VOCAB), params, config)
    assert two.n_tokens == meter.n_tokens + 3


def test_load_corpus_vocabulary_and_errors():
    corpus = load_corpus("by_play", "char")
    assert len(corpus.valid) >= 2 and all(corpus.valid)
    assert corpus.vocab.counts and all(len(t) == 1 for t in list(corpus.vocab)[4:])
    assert corpus.stream("valid").size - 1 == sum(len(s) + 1 for s in corpus.sentences("valid"))
    with pytest.raises(ValueError, match="split must be one of"):
        load_corpus("random")
    with pytest.raises(ValueError, match="level must be one of"):
        load_corpus(level="byte")
    with pytest.raises(ValueError, match="part must be"):
        corpus.stream("dev")


def test_target_log_probs_and_per_position_scores():
    from rnnlib.evaluate import document_log_probs
    from rnnlib.losses import target_log_probs
    from rnnlib.ops import log_softmax
    z = np.random.default_rng(0).normal(size=(2, 3, 7)).astype(np.float32) * 30
    y = np.array([[0, 6, 3], [1, 1, 2]])
    expected = np.take_along_axis(log_softmax(z.astype(np.float64)), y[..., None], -1)[..., 0]
    np.testing.assert_allclose(target_log_probs(z, y), expected, rtol=1e-5)
    config = LMConfig(vocab_size=len(VOCAB), n_embed=4, n_hidden=5, cell="rnn")
    params = init_language_model(config, np.random.default_rng(1))
    batch = document_batch([SENTENCES, SENTENCES[:1]], VOCAB)
    lp = document_log_probs(batch, params, config, bptt=4)
    assert (lp[~batch[2]] == 0).all() and (lp[batch[2]] < 0).all()
    assert np.exp(-lp[batch[2]].mean()) == pytest.approx(
        evaluate_documents(batch, params, config).perplexity, rel=1e-12)
