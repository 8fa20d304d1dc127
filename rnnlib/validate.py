"""The validation rnnlib's modules share, in one vocabulary: what a function's caller passed,
checked once at the top, with an error that names what was expected and what was given. (A few
modules keep checks of their own settings: the optimisers' hyperparameters, the diagrams'
sizes, the hand-set networks' alphabets.)

- ``as_float``, ``check_finite``, ``check_same_dtype``: arrays of real numbers;
- ``check_ids``, ``check_mask``: token ids and padding masks;
- ``check_keys``, ``param``: a layer's parameter dict and its arrays;
- ``upstream``, ``check_cache``: what a backward pass receives;
- ``positive_int``, ``is_number``, ``check_rng``, ``float_dtype``: settings.
"""

from __future__ import annotations

import numpy as np

#: Appended to a non-finite parameter's error: where NaN weights usually come from.
DIVERGED = (" (if this appeared during training, training has probably diverged: try a "
             "smaller learning rate or gradient clipping)")


def as_float(x, name: str, dtype=None) -> np.ndarray:
    """``x`` as a floating-point array without copying when it already is one.

    Floating arrays keep their dtype; integers and booleans become ``dtype`` (float64 if None).
    Anything else (strings, objects, complex numbers) is a ``TypeError`` naming ``name``.
    """
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64 if dtype is None else dtype)
    raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")


def check_finite(arr: np.ndarray, name: str, hint: str = "") -> None:
    """Raise a ``ValueError`` saying how many NaN/inf values ``arr`` holds and where the first is."""
    finite = np.isfinite(arr)
    if finite.all():
        return
    bad = np.argwhere(~finite)[0]
    where = tuple(int(i) for i in bad) if arr.ndim else ()
    n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
    raise ValueError(f"{name} must be finite, got {n_nan} NaN and {n_inf} inf value(s) "
                     f"(first at index {where}: {arr[where]!r}){hint}")


def check_ids(ids, n: int, name: str = "ids", what: str = "n_classes") -> np.ndarray:
    """``ids`` as an integer array with every value in ``[0, n)``; a clear error otherwise."""
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an array of integer ids, got dtype {arr.dtype}"
                        + (" (cast with .astype(np.int64) if they are whole numbers)"
                           if arr.dtype.kind == "f" else ""))
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        raise ValueError(f"{name} must be in [0, {what}) = [0, {n}), got id {int(arr[where])} "
                         f"at index {where}")
    return arr


def check_mask(mask, shape: tuple, name: str = "mask") -> np.ndarray:
    """``mask`` as a boolean array of exactly ``shape``; 0/1 numbers are accepted."""
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be bool (True = real token, False = padding), "
                        f"got dtype {arr.dtype}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0/1 or True/False, got values "
                         f"{np.unique(arr[~np.isin(arr, (0, 1))])[:5].tolist()}")
    return arr.astype(bool)


def check_keys(params, expected: tuple, layer: str) -> None:
    """``params`` must be a dict with exactly the ``expected`` keys (a typo is an error)."""
    if not isinstance(params, dict):
        raise TypeError(f"params of a {layer} layer must be a dict with keys {list(expected)}, "
                        f"got {type(params).__name__}")
    missing = [k for k in expected if k not in params]
    extra = [k for k in params if k not in expected]
    if missing or extra:
        raise ValueError(f"params of a {layer} layer must have keys {list(expected)}; "
                         f"missing {missing}, unexpected {extra}")


def param(params: dict, key: str, ndim: int, shape_name: str) -> np.ndarray:
    """``params[key]``: a finite floating ndarray with ``ndim`` axes."""
    p = params[key]
    if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
        what = f"ndarray of dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
        raise TypeError(f"params[{key!r}] must be a floating-point ndarray of shape {shape_name}, "
                        f"got {what}")
    if p.ndim != ndim:
        raise ValueError(f"params[{key!r}] must have shape {shape_name}, got shape {p.shape}")
    check_finite(p, f"params[{key!r}]", DIVERGED)
    return p


def check_same_dtype(x: np.ndarray, name: str, dtype: np.dtype, other: str) -> None:
    # Mixing float32 data with float64 weights would silently compute in float64.
    if x.dtype != dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but {other} has dtype {dtype}; "
                        f"cast one to match, e.g. {name}.astype(np.{dtype})")


def upstream(d, shape: tuple, dtype: np.dtype, name: str, layer: str) -> np.ndarray:
    """Check an upstream gradient: exactly the forward output's shape and dtype, finite."""
    d = as_float(d, name, dtype)
    if d.shape != tuple(shape):
        raise ValueError(f"{name} must have the shape of the {layer} output {tuple(shape)}, "
                         f"got {d.shape}")
    check_same_dtype(d, name, dtype, f"the {layer} output")
    check_finite(d, name)
    return d


def check_backward(d, cache, cls, forward: str, output: str, name: str, layer: str) -> np.ndarray:
    """Check a backward pass's two arguments: ``cache`` is the ``cls`` that ``forward`` returned,
    and the upstream gradient ``d`` has the shape and dtype of the output ``cache.<output>``
    (:func:`upstream`). Returns ``d`` as an array."""
    check_cache(cache, cls, forward)
    out = getattr(cache, output)
    return upstream(d, out.shape, out.dtype, name, layer)


def is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_cache(cache, cls, forward: str):
    if not isinstance(cache, cls):
        raise TypeError(f"cache must be the {cls.__name__} returned by {forward}, "
                        f"got {type(cache).__name__}")


def positive_float(value, name: str) -> float:
    """``value`` as a finite float > 0; a ``ValueError`` naming it otherwise."""
    if not is_number(value) or not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def positive_int(n, name: str, *, allow_none: bool = False) -> int | None:
    """``n`` as an int >= 1 (or None, where ``allow_none``); a ``ValueError`` naming it otherwise."""
    if n is None and allow_none:
        return None
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be an int >= 1{' or None' if allow_none else ''}, got {n!r}")
    return int(n)


def check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
                        f"got {type(rng).__name__}")


def float_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating-point dtype such as np.float64, got {dt}")
    return dt
