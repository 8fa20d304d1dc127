"""Parameter trees: the plain, possibly nested dicts of arrays that hold a model's weights.

``{"embed": {"E": ...}, "dense1": {"W": ..., "b": ...}}`` is a tree; the optimisers, the
gradient checks and saving and loading all walk it through these three functions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flatten_params", "cast_params", "count_params"]


def flatten_params(params: dict, name: str = "params") -> dict:
    """A flat view of a (possibly nested) dict of arrays, keys joined with ``"/"``.

    ``{"dense1": {"W": W, "b": b}, "embed": {"E": E}}`` becomes
    ``{"dense1/W": W, "dense1/b": b, "embed/E": E}``. The values are the same array objects,
    not copies, so updating them in place updates the tree (this is how the optimisers work).

    Keys must be strings without ``"/"``, so that flattening is unambiguous.
    """
    if not isinstance(params, dict):
        raise TypeError(f"{name} must be a dict of arrays (possibly nested), "
                        f"got {type(params).__name__}")
    flat = {}

    def walk(tree, prefix):
        for key, value in tree.items():
            if not isinstance(key, str) or "/" in key:
                raise ValueError(f"keys of {name} must be str without '/', got {key!r}"
                                 + (f" under {prefix[:-1]!r}" if prefix else ""))
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}/")
            elif isinstance(value, np.ndarray):
                flat[prefix + key] = value
            else:
                raise TypeError(f"{name}[{prefix + key!r}] must be an ndarray or a dict, "
                                f"got {type(value).__name__}")

    walk(params, "")
    return flat


def cast_params(params: dict, dtype) -> dict:
    """A copy of a (possibly nested) dict of arrays with every array converted to ``dtype``,
    e.g. float32 weights to float16 for storage, and back."""
    flatten_params(params)                      # the same checks: str keys, arrays or dicts
    return {k: cast_params(v, dtype) if isinstance(v, dict) else v.astype(dtype)
            for k, v in params.items()}


def count_params(params: dict) -> int:
    """Number of scalar parameters in a (possibly nested) dict of arrays."""
    return sum(int(p.size) for p in flatten_params(params).values())
