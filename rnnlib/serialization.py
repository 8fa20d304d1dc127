"""Saving and loading a trained language model: weights, config and vocabulary together.

``save_model("models/gru")`` writes two files side by side:

- ``models/gru.npz``: the weights, one array per flattened name (``"layers/0/W_u"``, ...);
- ``models/gru.json``: everything else, readable by eye: the :class:`LMConfig`, the
  vocabulary's tokens in id order and its special tokens, the name, shape and dtype of
  every weight, the rnnlib version that wrote it, and ``extra`` (hyperparameters, data split,
  seed, scores: anything JSON can hold).

Each file is written to a temporary file in the same directory and moved into place with
``os.replace``, which is atomic: a reader never sees a half-written file. If anything fails
before the files are moved (say ``extra`` is not JSON-serialisable, or the disk is full),
nothing is left behind and the files of an earlier save are untouched. The two moves are
separate steps, though: a failure or crash between them would leave the new ``.npz`` beside
the old ``.json``, a pair that :func:`load_model` rejects only if the weights' names or shapes
differ.

:func:`load_model` checks everything it reads and raises a ``ValueError`` that names what does
not match: the vocabulary (against ``expected_vocab``), a missing or unexpected weight, a
shape, the dtype, an unknown cell or config field. A file written by another rnnlib version
loads with a ``UserWarning`` (the format is versioned separately, and a newer *format* is an
error).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from . import __version__
from .language_model import LMConfig, check_config, check_params, param_mismatch
from .params import cast_params
from .text import Vocab

__all__ = ["save_model", "load_model", "FORMAT", "FORMAT_VERSION"]

FORMAT = "rnnlib.language_model"
FORMAT_VERSION = 1


def _base(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    p = Path(path)
    if p.suffix in (".npz", ".json"):       # accept "model.npz" for "model"
        p = p.with_suffix("")
    return p


def _write_temp(directory: Path, write) -> str:
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)            # mkstemp creates 0600; a saved model is an ordinary file
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def save_model(path, params: dict, config: LMConfig, vocab: Vocab, *, extra: dict | None = None) -> None:
    """Write ``<path>.npz`` (weights) and ``<path>.json`` (config, vocabulary, metadata).

    Parameters
    ----------
    path : str or path-like
        Without extension (a trailing ``.npz`` or ``.json`` is dropped). The directory must exist.
    params : dict
        The model's parameters; they must match ``config``.
    config : LMConfig
    vocab : rnnlib.text.Vocab
        ``len(vocab) == config.vocab_size``.
    extra : dict, optional
        JSON-serialisable metadata (hyperparameters, data split, seed, results).
    """
    base = _base(path)
    config = check_config(config)
    flat = check_params(params, config)
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be an rnnlib.text.Vocab, got {type(vocab).__name__}")
    if len(vocab) != config.vocab_size:
        raise ValueError(f"vocab has {len(vocab)} tokens but config.vocab_size is {config.vocab_size}")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {type(extra).__name__}")
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "rnnlib_version": __version__,
            "config": config.to_dict(),
            "vocab": {"tokens": list(vocab), "specials": list(vocab.specials)},
            "params": {k: {"shape": list(v.shape), "dtype": v.dtype.name} for k, v in flat.items()},
            "extra": extra or {}}
    try:
        text = json.dumps(meta, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as err:
        raise TypeError(f"extra must be JSON-serialisable (str, numbers, lists, dicts): {err}") from err
    directory = base.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {str(directory)!r} does not exist")
    temps = []
    try:
        temps.append(_write_temp(directory, lambda f: np.savez(f, **flat)))
        temps.append(_write_temp(directory, lambda f: f.write(text.encode("utf-8"))))
        os.replace(temps[0], base.with_name(base.name + ".npz"))
        os.replace(temps[1], base.with_name(base.name + ".json"))
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _vocab_difference(got: list, expected: list) -> str:
    if len(got) != len(expected):
        return f"the file has {len(got)} tokens, the expected vocabulary {len(expected)}"
    i = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
    return f"first difference at id {i}: the file has {got[i]!r}, the expected vocabulary {expected[i]!r}"


def load_model(path, expected_vocab: Vocab | None = None, dtype=None):
    """Read a model written by :func:`save_model`, checking that every part fits.

    Parameters
    ----------
    path : str or path-like
        As given to :func:`save_model`.
    expected_vocab : rnnlib.text.Vocab, optional
        If given, the file's vocabulary must be exactly this one (same tokens, same ids).
    dtype : str or numpy dtype, optional
        Convert the weights (and the returned config) to this floating dtype, e.g. weights
        stored in float16 to save space, computed with in float32.

    Returns
    -------
    params : dict (nested like :func:`rnnlib.language_model.init_language_model`'s)
    config : LMConfig
    vocab : rnnlib.text.Vocab
    meta : dict
        ``extra``, ``rnnlib_version`` and ``format_version`` from the file.

    Raises
    ------
    FileNotFoundError
        A file is missing.
    ValueError
        The files are not an rnnlib model, or something does not match (named in the message).

    Warns
    -----
    UserWarning
        The file was written by another rnnlib version.
    """
    base = _base(path)
    npz_path, json_path = base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")
    for p in (json_path, npz_path):
        if not p.exists():
            raise FileNotFoundError(f"no model file {str(p)!r} (a model is a .npz and a .json "
                                    "with the same name, as written by save_model)")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{json_path} is not valid JSON: {err}") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{json_path} is not an rnnlib language model (format "
                         f"{meta.get('format') if isinstance(meta, dict) else None!r}, "
                         f"expected {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{json_path} has format version {meta.get('format_version')!r}; this "
                         f"rnnlib ({__version__}) reads version {FORMAT_VERSION}")
    if meta.get("rnnlib_version") != __version__:
        warnings.warn(f"{json_path} was written by rnnlib {meta.get('rnnlib_version')!r}, this is "
                      f"rnnlib {__version__}; the format is the same, but check the results",
                      UserWarning, stacklevel=2)
    for key in ("config", "vocab", "params"):
        if key not in meta:
            raise ValueError(f"{json_path} has no {key!r} entry")
    try:
        config = LMConfig.from_dict(meta["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{json_path}: bad config: {err}") from err

    tokens, specials = meta["vocab"].get("tokens"), meta["vocab"].get("specials")
    if not isinstance(tokens, list) or not isinstance(specials, list) \
            or tokens[:len(specials)] != specials:
        raise ValueError(f"{json_path}: the vocabulary must list its tokens in id order, "
                         "the special tokens first")
    vocab = Vocab(tokens[len(specials):], specials=specials)
    if list(vocab) != tokens:
        raise ValueError(f"{json_path}: the vocabulary has repeated tokens")
    if len(tokens) != config.vocab_size:
        raise ValueError(f"{json_path}: the vocabulary has {len(tokens)} tokens but "
                         f"config.vocab_size is {config.vocab_size}")
    if expected_vocab is not None:
        if not isinstance(expected_vocab, Vocab):
            raise TypeError(f"expected_vocab must be an rnnlib.text.Vocab or None, "
                            f"got {type(expected_vocab).__name__}")
        if list(expected_vocab) != tokens:
            raise ValueError(f"{json_path}: the vocabulary is not the expected one; "
                             + _vocab_difference(tokens, list(expected_vocab)))

    with np.load(npz_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    problem = param_mismatch(arrays, config)
    if problem is not None:
        raise ValueError(f"{npz_path}: {problem}")
    params: dict = {}
    for key, value in arrays.items():
        node = params
        *parents, leaf = key.split("/")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    params["layers"] = {str(i): params["layers"][str(i)] for i in range(config.n_layers)}
    params = {k: params[k] for k in ("embed", "layers", "out")}
    check_params(params, config)
    if dtype is not None:
        config = dataclasses.replace(config, dtype=dtype)
        params = cast_params(params, config.np_dtype)
    return params, config, vocab, {"extra": meta.get("extra", {}),
                                   "rnnlib_version": meta.get("rnnlib_version"),
                                   "format_version": meta.get("format_version")}
