"""Stream batching, truncated BPTT, and the training loop."""

import math

import numpy as np
import pytest

from rnnlib.language_model import LMConfig, init_language_model, lm_forward
from rnnlib.params import flatten_params
from rnnlib.evaluate import evaluate_language_model
from rnnlib.lm_data import n_stream_batches, stream_batches
from rnnlib.train import (History,
                          train_language_model)

PATTERN = np.array([4, 5, 6, 7, 8, 5, 4])     # "5" is followed by 6 or 4: needs memory


def test_stream_rows_continue_across_chunks_and_targets_are_used_once():
    ids = np.arange(103) * 3 + 1
    chunks = list(stream_batches(ids, 4, 7))
    assert len(chunks) == n_stream_batches(ids.size, 4, 7) == math.ceil(25 / 7)
    assert [x.shape for x, _ in chunks] == [(4, 7)] * 3 + [(4, 4)]
    for x, y in chunks:
        assert x.shape == y.shape
        pos = (x - 1) // 3
        np.testing.assert_array_equal(y, ids[pos + 1])          # target = next token
    for (x0, y0), (x1, _) in zip(chunks, chunks[1:]):
        np.testing.assert_array_equal(x1[:, 0], y0[:, -1])      # row b continues row b
    targets = np.concatenate([y.ravel() for _, y in chunks])
    assert len(set(targets.tolist())) == targets.size           # each target once
    np.testing.assert_array_equal(np.sort(targets), ids[1:1 + 4 * 25])
    assert ids.size - 1 - targets.size < 4                      # fewer than batch_size dropped


def test_stream_bad_arguments():
    with pytest.raises(ValueError, match="1-D"):
        stream_batches(np.zeros((2, 5), dtype=int), 1, 2)
    with pytest.raises(TypeError, match="integer"):
        stream_batches(np.zeros(10), 1, 2)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        stream_batches(np.arange(10), 0, 2)
    with pytest.raises(ValueError, match="bptt must be an int >= 1"):
        stream_batches(np.arange(10), 2, 1.5)
    with pytest.raises(ValueError, match="at least 6 tokens"):
        stream_batches(np.arange(5), 5, 2)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_carried_state_equals_one_long_forward(cell):
    config = LMConfig(vocab_size=9, n_embed=4, n_hidden=6, n_layers=2, cell=cell)
    params = init_language_model(config, np.random.default_rng(0))
    ids = np.random.default_rng(1).integers(0, 9, (3, 20))
    full, full_states, _ = lm_forward(ids, params, config)
    pieces, states = [], None
    for start in range(0, 20, 6):
        logits, states, _ = lm_forward(ids[:, start:start + 6], params, config, h0s=states)
        pieces.append(logits)
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, rtol=1e-12, atol=1e-13)
    for a, b in zip(states, full_states):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_evaluate_matches_one_pass_per_row():
    config = LMConfig(vocab_size=9, n_embed=4, n_hidden=6, cell="gru")
    params = init_language_model(config, np.random.default_rng(0))
    ids = np.random.default_rng(1).integers(0, 9, 61)
    ppl = evaluate_language_model(ids, params, config, batch_size=3, bptt=7)
    rows = ids[:60].reshape(3, 20)
    logits, _, _ = lm_forward(rows, params, config)
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, ids[1:61].reshape(3, 20)[..., None], -1).mean()
    assert ppl == pytest.approx(math.exp(nll), rel=1e-12)


def _setup(cell="gru", dropout=0.1):
    config = LMConfig(vocab_size=9, n_embed=8, n_hidden=16, cell=cell, dropout=dropout)
    return config, init_language_model(config, np.random.default_rng(0))


def test_training_learns_a_repeating_pattern(capsys):
    config, params = _setup()
    ids = np.tile(PATTERN, 80)
    history = train_language_model(ids[:420], ids[420:], params, config, epochs=8, batch_size=4,
                                   bptt=10, lr=0.02, rng=np.random.default_rng(1), progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""                      # progress=False prints nothing
    assert isinstance(history, History)
    assert len(history.train_loss) == len(history.valid_ppl) == len(history.lr) == 8
    assert history.valid_ppl[-1] < 1.1 < 2 < history.valid_ppl[0] * 1.5
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.best_epoch == int(np.argmin(history.valid_ppl))
    assert "seconds" not in repr(history)
    assert evaluate_language_model(ids[420:], params, config, 4, 10) == \
        pytest.approx(history.best_valid_ppl, rel=1e-12)


def test_early_stopping_restores_best_params_and_plateau_halves_lr():
    config, params = _setup(dropout=0.0)
    train = np.tile(PATTERN, 40)
    valid = np.tile(PATTERN[::-1], 10)                   # the same tokens in another order
    history = train_language_model(train, valid, params, config, epochs=12, batch_size=4,
                                   bptt=10, lr=0.02, patience=2, schedule="plateau",
                                   rng=np.random.default_rng(1), progress=False)
    n = len(history.valid_ppl)
    assert history.stopped_early and n == history.best_epoch + 3 < 12
    assert len(history.train_loss) == len(history.lr) == n
    assert evaluate_language_model(valid, params, config, 4, 10) == \
        pytest.approx(history.valid_ppl[history.best_epoch], rel=1e-12)
    for e in range(n - 1):                               # halved after each non-improvement
        improved = history.valid_ppl[e] <= min(history.valid_ppl[:e + 1])
        assert history.lr[e + 1] == (history.lr[e] if improved else history.lr[e] / 2)


def test_cosine_schedule_and_progress_bar_on_stderr(capsys):
    config, params = _setup(cell="rnn")
    ids = np.tile(PATTERN, 20)
    history = train_language_model(ids[:100], ids[100:], params, config, epochs=4, batch_size=2,
                                   bptt=8, lr=0.01, schedule="cosine", patience=None,
                                   rng=np.random.default_rng(1), progress=True)
    assert history.lr == pytest.approx([0.01 * 0.5 * (1 + math.cos(math.pi * e / 4))
                                        for e in range(4)])
    out, err = capsys.readouterr()
    assert out == "" and "training" in err


def test_training_argument_errors():
    config, params = _setup()
    ids = np.tile(PATTERN, 10)
    kw = dict(epochs=1, batch_size=2, bptt=5, rng=np.random.default_rng(0), progress=False)
    with pytest.raises(ValueError, match="schedule"):
        train_language_model(ids, ids, params, config, **{**kw, "schedule": "step"})
    with pytest.raises(ValueError, match="lr must be"):
        train_language_model(ids, ids, params, config, **{**kw, "lr": 0})
    with pytest.raises(ValueError, match="clip must be"):
        train_language_model(ids, ids, params, config, **{**kw, "clip": -1.0})
    with pytest.raises(ValueError, match="patience"):
        train_language_model(ids, ids, params, config, **{**kw, "patience": 0})
    with pytest.raises(TypeError, match="rng"):
        train_language_model(ids, ids, params, config, **{**kw, "rng": 0})
    with pytest.raises(ValueError, match="train_ids has 2 tokens.*at least 3"):
        train_language_model(ids[:2], ids, params, config, **kw)
    before = {k: v.copy() for k, v in flatten_params(params).items()}
    with pytest.raises(ValueError, match="missing"):
        train_language_model(ids, ids, params,
                             LMConfig(vocab_size=9, n_embed=8, n_hidden=16, n_layers=2), **kw)
    for k, v in flatten_params(params).items():
        np.testing.assert_array_equal(v, before[k])


def test_custom_evaluation_drives_history_and_early_stopping():
    config, params = _setup(dropout=0.0)
    ids = np.tile(PATTERN, 20)
    scores = iter([5.0, 4.0, 4.5, 4.2, 6.0, 7.0])
    history = train_language_model(ids, ids, params, config, epochs=6, batch_size=2, bptt=7,
                                   patience=2, rng=np.random.default_rng(0), progress=False,
                                   evaluate=lambda p: next(scores))
    assert history.valid_ppl == [5.0, 4.0, 4.5, 4.2] and history.best_epoch == 1
    assert history.stopped_early
    with pytest.raises(TypeError, match="evaluate must be a function"):
        train_language_model(ids, ids, params, config, epochs=1, batch_size=2, bptt=7,
                             rng=np.random.default_rng(0), progress=False, evaluate=3.0)
