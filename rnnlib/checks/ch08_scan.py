"""Checkers for the implementation note on scan: ``scan`` itself, and an exponential moving
average written with it.
"""

from __future__ import annotations

import numpy as np

from ..scan import scan as _scan
from ._common import call as _call, passed as _passed
from ._common import rng as _rng
from ._common import close as _close


# ---------------------------------------------------------------- scan
def _library_scan(fn, xs, init):
    """rnnlib's own scan (the expected value), with the carry's dtype as the check hands it."""
    return _scan(fn, np.asarray(xs), init)


def check_scan(scan) -> None:
    """Check ``scan(fn, xs, init) -> (ys, carry)``, with ``fn(carry, x) -> (carry, y)``.

    ``xs`` is time-major: ``xs[t]`` is the input of step ``t``; ``ys[t]`` is the ``y`` of
    step ``t``, stacked along a new leading axis; ``carry`` is the carry after the last step.
    """
    def running_sum(c, x):
        return c + x, c + x

    cases = [
        # (description, fn, xs, init): the later ones tell y from carry and (carry, x) from (x, carry)
        ("a running sum of [1, 2, 3, 4] from 0", running_sum, np.array([1.0, 2.0, 3.0, 4.0]), 0.0),
        ("a step that outputs the carry *before* the update (ys = [0, 1, 3], carry 6)",
         lambda c, x: (c + x, c), np.array([1.0, 2.0, 3.0]), 0.0),
        ("a step h = 0.5 h + x on vectors: xs of shape (3, 2), init [1, -1]",
         lambda c, x: (0.5 * c + x, 0.5 * c + x), np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])),
        ("a step whose output is twice the new carry, c - x (order matters)",
         lambda c, x: (c - x, 2 * (c - x)), np.array([5.0, 1.0, 2.0, 0.5]), 10.0),
        ("one step", running_sum, np.array([[7.0, 8.0]]), np.zeros(2)),
    ]
    for what, fn, xs, init in cases:
        calls = []

        def spy(c, x, fn=fn):
            calls.append(1)
            return fn(c, x)

        got = _call(scan, spy, xs.copy(), np.copy(init), what=what)
        exp_ys, exp_carry = _library_scan(fn, xs, init)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise AssertionError(f"scan should return a pair (ys, carry), got {type(got).__name__} "
                                 f"(on {what})")
        ys, carry = got
        if len(calls) != len(xs):
            raise AssertionError(f"scan called fn {len(calls)} times on {len(xs)} inputs: call it "
                                 f"once per step, on xs[0], ..., xs[T-1] (on {what})")
        if _close(ys, exp_carry) and _close(carry, exp_ys) and not _close(ys, exp_ys):
            raise AssertionError("scan returned (carry, ys); rnnlib's scan returns (ys, carry), "
                                 f"outputs first (jax.lax.scan is the one that returns (carry, ys)) "
                                 f"(on {what})")
        ys = np.asarray(ys)
        if ys.shape == (len(xs) + 1,) + exp_ys.shape[1:]:
            raise AssertionError(f"ys has {len(xs) + 1} entries for {len(xs)} steps: do not include "
                                 f"init, stack one y per step (on {what})")
        carries = _library_scan(lambda c, x: (fn(c, x)[0], fn(c, x)[0]), xs, init)[0]
        if _close(ys, carries) and not _close(ys, exp_ys):
            raise AssertionError("ys holds the carries; it should hold the outputs y that fn returns "
                                 f"as the second element of its pair (on {what})")
        swapped = None
        try:
            swapped = _library_scan(lambda c, x: fn(x, c), xs, init)
        except Exception:
            pass
        if swapped is not None and _close(ys, swapped[0]) and not _close(ys, exp_ys):
            raise AssertionError(f"fn was called as fn(x, carry); the step is fn(carry, x) (on {what})")
        if ys.shape != exp_ys.shape:
            raise AssertionError(f"ys should have shape {exp_ys.shape} (time first, then the shape "
                                 f"of one y), got {ys.shape} (on {what})")
        if not _close(ys, exp_ys):
            raise AssertionError(f"ys should be {exp_ys.tolist()}, got {ys.tolist()} (on {what})")
        if not _close(carry, exp_carry):
            raise AssertionError(f"the final carry should be {np.asarray(exp_carry).tolist()}, got "
                                 f"{np.asarray(carry).tolist()}: return the carry after the last "
                                 f"step (on {what})")
    _passed("scan threads the carry through every step and stacks the outputs.")


# ---------------------------------------------------------------- exponential moving average
def _ema(xs, alpha, s0):
    out, s = [], s0
    for x in xs:
        s = (1 - alpha) * s + alpha * x
        out.append(s)
    return np.array(out)


def check_ema(ema) -> None:
    """Check ``ema(xs, alpha, s0) -> ss`` with :math:`s_t = (1-\\alpha) s_{t-1} + \\alpha x_t`.

    ``xs`` has shape ``(T, ...)``; ``ss[t-1]`` is :math:`s_t` for ``t = 1 .. T`` (``s0`` is
    not included), with the shape of ``xs``.
    """
    rng = _rng(3)
    cases = [(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 0.3, 10.0),
             (rng.normal(size=(6, 2)), 0.8, np.array([1.0, -2.0])),
             (np.array([4.0]), 0.5, 0.0)]
    for xs, alpha, s0 in cases:
        what = f"xs of shape {xs.shape}, alpha = {alpha}, s0 = {np.asarray(s0).tolist()}"
        got = _call(ema, xs.copy(), alpha, np.copy(s0), what=what)
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"ema should return an array shaped like xs, got {type(got).__name__}") from None
        expected = _ema(xs, alpha, s0)
        if got.shape == (len(xs) + 1,) + xs.shape[1:]:
            raise AssertionError(f"ema returned {len(xs) + 1} values for {len(xs)} inputs: leave s0 "
                                 f"out, return s_1 ... s_T ({what})")
        if got.shape == np.shape(s0) and len(xs) > 1:
            raise AssertionError(f"ema returned only the last average; return every s_t, one per "
                                 f"input ({what})")
        if got.shape != xs.shape:
            raise AssertionError(f"ema should return an array of shape {xs.shape}, like xs, got "
                                 f"{got.shape} ({what})")
        if _close(got, expected):
            continue
        diagnoses = [
            (_ema(xs, 1 - alpha, s0), "alpha weighs the new input: s_t = (1 - alpha) s_{t-1} + "
                                      "alpha x_t; yours gives alpha to the old average"),
            (_ema(xs, alpha, np.zeros_like(np.asarray(s0, dtype=float))),
             "you started from 0: the first average must use the given s0"),
            (np.concatenate([xs[:1], _ema(xs[1:], alpha, xs[0])]) if len(xs) > 1 else None,
             "you started from x_1 instead of s0"),
            (np.concatenate([np.asarray(s0, float)[None], expected[:-1]]),
             "the averages are shifted by one step: ss[0] should be s_1, after the first input"),
        ]
        for wrong, message in diagnoses:
            if wrong is not None and _close(got, wrong):
                raise AssertionError(f"{message} ({what})")
        raise AssertionError(f"ema({what}) should be {np.round(expected, 4).tolist()}, got "
                             f"{np.round(got, 4).tolist()}")
    _passed("ema computes s_t = (1 - alpha) s_{t-1} + alpha x_t from s0, for vectors too.")
