"""Saving and loading language models: exact round trip, clear errors, atomic writes."""

import dataclasses
import json
import os

import numpy as np
import pytest

import rnnlib
from rnnlib.language_model import LMConfig, init_language_model
from rnnlib.params import cast_params, flatten_params
from rnnlib.serialization import load_model, save_model
from rnnlib.text import Vocab

WORDS = ["the", "cat", "sat", "on", "mat"]


@pytest.fixture
def model():
    vocab = Vocab(WORDS)
    config = LMConfig(vocab_size=len(vocab), n_embed=4, n_hidden=6, n_layers=2, cell="gru",
                      dropout=0.2, dtype="float32", reset_after=True)
    return init_language_model(config, np.random.default_rng(0)), config, vocab


def _files(directory):
    return sorted(os.listdir(directory))


def test_round_trip_is_exact(tmp_path, model):
    params, config, vocab = model
    extra = {"seed": 3, "split": "by play", "lr": 0.002, "valid_ppl": [12.5, 11.0]}
    save_model(tmp_path / "lm", params, config, vocab, extra=extra)
    assert _files(tmp_path) == ["lm.json", "lm.npz"]
    p2, c2, v2, meta = load_model(tmp_path / "lm", expected_vocab=vocab)
    assert c2 == config and list(v2) == list(vocab) and v2.specials == vocab.specials
    assert v2.eos_id == vocab.eos_id
    assert meta["extra"] == extra and meta["rnnlib_version"] == rnnlib.__version__
    a, b = flatten_params(params), flatten_params(p2)
    assert list(a) == list(b)
    for k in a:
        assert b[k].dtype == a[k].dtype
        np.testing.assert_array_equal(a[k], b[k])
    info = json.loads((tmp_path / "lm.json").read_text())
    assert info["vocab"]["tokens"][:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert info["params"]["layers/1/b_ch"] == {"shape": [6], "dtype": "float32"}
    # "lm.npz" names the same model
    assert load_model(str(tmp_path / "lm.npz"))[1] == config


def _edit_json(path, fn):
    info = json.loads(path.read_text())
    fn(info)
    path.write_text(json.dumps(info))


def test_wrong_vocabulary(tmp_path, model):
    params, config, vocab = model
    save_model(tmp_path / "lm", params, config, vocab)
    other = Vocab(["the", "dog", "sat", "on", "mat"])
    with pytest.raises(ValueError, match="first difference at id 5: the file has 'cat', the "
                                         "expected vocabulary 'dog'"):
        load_model(tmp_path / "lm", expected_vocab=other)
    with pytest.raises(ValueError, match="the file has 9 tokens, the expected vocabulary 8"):
        load_model(tmp_path / "lm", expected_vocab=Vocab(WORDS[:4]))


def test_missing_key_and_wrong_shape(tmp_path, model):
    params, config, vocab = model
    save_model(tmp_path / "lm", params, config, vocab)
    flat = flatten_params(params)
    np.savez(tmp_path / "lm.npz", **{k: v for k, v in flat.items() if k != "layers/1/W_r"})
    with pytest.raises(ValueError, match=r"missing weights \['layers/1/W_r'\]"):
        load_model(tmp_path / "lm")
    np.savez(tmp_path / "lm.npz", **{**flat, "extra/W": np.zeros(2, np.float32)})
    with pytest.raises(ValueError, match=r"unexpected weights \['extra/W'\]"):
        load_model(tmp_path / "lm")
    np.savez(tmp_path / "lm.npz", **{**flat, "out/W": np.zeros((9, 5), np.float32)})
    with pytest.raises(ValueError, match=r"'out/W' has shape \(9, 5\), the config needs \(9, 6\)"):
        load_model(tmp_path / "lm")
    np.savez(tmp_path / "lm.npz", **{**flat, "out/b": flat["out/b"].astype(np.float64)})
    with pytest.raises(ValueError, match="'out/b' has dtype float64, the config says float32"):
        load_model(tmp_path / "lm")


def test_bad_config_version_and_format(tmp_path, model):
    params, config, vocab = model
    save_model(tmp_path / "lm", params, config, vocab)
    js = tmp_path / "lm.json"
    _edit_json(js, lambda i: i["config"].update(cell="lstm"))
    with pytest.raises(ValueError, match="bad config: cell must be one of"):
        load_model(tmp_path / "lm")
    save_model(tmp_path / "lm", params, config, vocab)
    _edit_json(js, lambda i: i["config"].update(n_hidden=7))
    with pytest.raises(ValueError, match=r"'layers/0/W_u' has shape \(6, 10\), the config needs \(7, 11\)"):
        load_model(tmp_path / "lm")
    save_model(tmp_path / "lm", params, config, vocab)
    _edit_json(js, lambda i: i["config"].update(colour="red"))
    with pytest.raises(ValueError, match=r"unknown LMConfig field\(s\) \['colour'\]"):
        load_model(tmp_path / "lm")
    save_model(tmp_path / "lm", params, config, vocab)
    _edit_json(js, lambda i: i.update(rnnlib_version="0.0.1"))
    with pytest.warns(UserWarning, match="written by rnnlib '0.0.1'"):
        load_model(tmp_path / "lm")
    _edit_json(js, lambda i: i.update(format_version=99))
    with pytest.raises(ValueError, match="format version 99"):
        load_model(tmp_path / "lm")
    js.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(tmp_path / "lm")
    os.remove(tmp_path / "lm.npz")
    with pytest.raises(FileNotFoundError, match="lm.npz"):
        load_model(tmp_path / "lm")


def test_save_errors_leave_no_files_and_keep_old_ones(tmp_path, model):
    params, config, vocab = model
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_model(tmp_path / "lm", params, config, vocab, extra={"rng": np.random.default_rng()})
    assert _files(tmp_path) == []
    with pytest.raises(ValueError, match="vocab has 8 tokens but config.vocab_size is 9"):
        save_model(tmp_path / "lm", params, config, Vocab(WORDS[:4]))
    with pytest.raises(ValueError, match="missing"):
        save_model(tmp_path / "lm", {"embed": params["embed"]}, config, vocab)
    assert _files(tmp_path) == []
    save_model(tmp_path / "lm", params, config, vocab, extra={"run": 1})
    before = {f: (tmp_path / f).read_bytes() for f in _files(tmp_path)}
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_model(tmp_path / "lm", params, config, vocab, extra={"x": {1, 2}})
    assert {f: (tmp_path / f).read_bytes() for f in _files(tmp_path)} == before


def test_failure_during_write_cleans_up(tmp_path, model, monkeypatch):
    params, config, vocab = model

    def broken_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_model(tmp_path / "lm", params, config, vocab)
    assert _files(tmp_path) == []


def test_float16_storage_loads_as_float32(tmp_path):
    vocab = Vocab(WORDS)
    config = LMConfig(vocab_size=len(vocab), n_embed=6, n_hidden=6, dtype="float16",
                      tie_weights=True)
    params = init_language_model(config, np.random.default_rng(0))
    save_model(tmp_path / "lm", params, config, vocab)
    as32 = cast_params(params, np.float32)
    save_model(tmp_path / "lm32", as32, dataclasses.replace(config, dtype="float32"), vocab)
    n_params = sum(v.size for v in flatten_params(params).values())
    saved = (tmp_path / "lm32.npz").stat().st_size - (tmp_path / "lm.npz").stat().st_size
    assert saved == 2 * n_params              # two bytes fewer per weight, same headers
    p32, c32, _, _ = load_model(tmp_path / "lm", dtype="float32")
    assert c32.dtype == "float32" and c32.tie_weights and "W" not in p32["out"]
    for k, v in flatten_params(p32).items():
        assert v.dtype == np.float32
        np.testing.assert_array_equal(v, flatten_params(params)[k].astype(np.float32))
    with pytest.raises(TypeError, match="floating dtype"):
        load_model(tmp_path / "lm", dtype="int8")
