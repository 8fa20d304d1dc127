"""The shipped language models: their files reproduce the numbers chapter 12 reports, and the
training script is deterministic given its seed."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from rnnlib.params import flatten_params
from rnnlib.evaluate import evaluate_documents
from rnnlib.lm_data import EVAL_ROW_LENGTH, document_batch, load_corpus
from rnnlib.ngram import NGramLM
from rnnlib.serialization import load_model

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "rnnlib" / "models"
NAMES = [f"{level}_{cell}_{split}" for level in ("word", "char") for cell in ("gru", "rnn")
         for split in ("within_play", "by_play")]
MAX_BYTES = 5 * 2 ** 20           # each weights file; all of them together stay a few MB

pytestmark = pytest.mark.slow


def _script():
    spec = importlib.util.spec_from_file_location("train_lm", ROOT / "scripts" / "train_lm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpora():
    cache = {}

    def get(split, level, min_count):
        key = split, level, min_count
        if key not in cache:
            cache[key] = load_corpus(split, level, min_count)
        return cache[key]
    return get


@pytest.mark.parametrize("name", NAMES)
def test_stored_weights_reproduce_the_recorded_test_perplexity(name, corpora):
    meta = json.loads((MODELS / f"{name}.json").read_text())
    extra = meta["extra"]
    corpus = corpora(extra["split"], extra["level"], extra["min_count"])
    params, config, vocab, _ = load_model(MODELS / name, expected_vocab=corpus.vocab, dtype="float32")
    assert meta["config"]["dtype"] == "float16"
    assert (MODELS / f"{name}.npz").stat().st_size < MAX_BYTES
    batch = document_batch(corpus.test, vocab, EVAL_ROW_LENGTH[extra["level"]])
    meter = evaluate_documents(batch, params, config)
    assert meter.n_tokens == extra["test_n_predictions"]
    assert meter.perplexity == pytest.approx(extra["test_ppl"], rel=1e-6)
    history = extra["history"]
    assert extra["valid_ppl"] == pytest.approx(min(history["valid_ppl"]), rel=1e-2)  # float16 rounding


def test_ngram_baselines_choose_on_validation_and_reproduce(corpora):
    baselines = json.loads((MODELS / "ngram_baselines.json").read_text())
    assert set(baselines) == {f"{level}/{split}" for level in ("word", "char")
                              for split in ("within_play", "by_play")}
    for key, b in baselines.items():
        assert b["best"] == min(b["candidates"], key=lambda c: c["valid_ppl"])
    b = baselines["word/within_play"]
    corpus = corpora("within_play", "word", b["min_count"])
    best = b["best"]
    model = NGramLM(best["order"], best["smoothing"], vocab=corpus.vocab).fit(corpus.sentences("train"))
    assert model.perplexity(corpus.sentences("test")) == pytest.approx(best["test_ppl"], rel=1e-9)
    for name in NAMES:                 # every network was scored on the n-gram's predictions
        extra = json.loads((MODELS / f"{name}.json").read_text())["extra"]
        n_gram = baselines[f"{extra['level']}/{extra['split']}"]["best"]
        assert extra["test_n_predictions"] == n_gram["test_n_predictions"]
        assert extra["valid_n_predictions"] == n_gram["valid_n_predictions"]


def test_a_short_training_run_is_deterministic(tmp_path, monkeypatch):
    train_lm = _script()
    args = ["--split", "by_play", "--level", "char", "--n-embed", "8", "--n-hidden", "16",
            "--dropout", "0.1", "--epochs", "2", "--batch-size", "8", "--bptt", "16",
            "--max-train-tokens", "4000", "--seed", "3", "--no-progress"]
    a = train_lm.main(args + ["--out", str(tmp_path / "a")])
    b = train_lm.main(args + ["--out", str(tmp_path / "b")])
    pa, _, _, _ = load_model(tmp_path / "a")
    pb, _, _, _ = load_model(tmp_path / "b")
    for key, value in flatten_params(pa).items():
        np.testing.assert_array_equal(value, flatten_params(pb)[key])
    for key in ("history", "valid_ppl", "test_ppl", "n_params"):
        assert a[key] == b[key]
    assert a["history"]["valid_ppl"][1] < a["history"]["valid_ppl"][0]
    c = train_lm.main(args[:-3] + ["--seed", "4", "--no-progress", "--out", str(tmp_path / "c")])
    assert c["history"]["valid_ppl"] != a["history"]["valid_ppl"]     # the seed matters


def test_continuing_a_model_extends_its_history(tmp_path):
    train_lm = _script()
    args = ["--split", "by_play", "--level", "char", "--n-embed", "8", "--n-hidden", "16",
            "--epochs", "1", "--batch-size", "8", "--bptt", "16", "--max-train-tokens", "3000",
            "--no-progress"]
    first = train_lm.main(args + ["--out", str(tmp_path / "m")])
    second = train_lm.main(args + ["--lr", "1e-3", "--init-from", str(tmp_path / "m"),
                                   "--out", str(tmp_path / "m")])
    h = second["history"]
    assert h["valid_ppl"][:1] == first["history"]["valid_ppl"] and len(h["valid_ppl"]) == 2
    assert h["tokens_seen"] == [first["tokens_per_epoch"], 2 * first["tokens_per_epoch"]]
    assert h["stage_starts"] == [0, 1] and len(second["commands"]) == 2
    with pytest.raises(ValueError, match="configuration"):
        train_lm.main(args + ["--n-hidden", "8", "--init-from", str(tmp_path / "m"),
                                   "--out", str(tmp_path / "x")])
