"""Shared machinery of the checkers: calling a student's function safely, reporting success.

A checker never crashes on a broken submission: a function that is not written yet,
raises, or runs too long gets a message that says so.
"""

from __future__ import annotations

import math
import signal
import threading
from contextlib import contextmanager

import numpy as np

from ..gru import init_gru

TIME_LIMIT = 10.0  # seconds a single call of a student function may take
_GRADING = {"seed": None}   # set by the grader: the checks' inputs are drawn afresh


def rng(seed: int):
    """The random generator of a checker's cases: ``default_rng(seed)`` for a learner, so that
    the notebook's checks are the same every time; while grading, a generator that also
    depends on the grader's per-run seed, so the same checks run on inputs nobody saw."""
    import numpy as np

    if _GRADING["seed"] is None:
        return np.random.default_rng(seed)
    return np.random.default_rng([int(_GRADING["seed"]), int(seed)])


@contextmanager
def grading_seed(seed: int | None):
    """Within the block, the checkers draw their inputs from ``seed`` too (see :func:`rng`)."""
    saved = _GRADING["seed"]
    _GRADING["seed"] = seed
    try:
        yield
    finally:
        _GRADING["seed"] = saved


class TimeLimitExceeded(BaseException):
    """Raised when a student's function runs out of time.

    A ``BaseException``, not an ``Exception``: a student's own ``except Exception`` inside a
    loop cannot swallow it and keep the loop going.
    """


@contextmanager
def time_limit(seconds: float, exception: type = TimeLimitExceeded):
    """Raise ``exception`` in the block after ``seconds`` (0 or None: no limit).

    Uses ``SIGALRM``, so it works in the main thread on Unix; elsewhere the block runs
    without a limit. Shared by the checkers and the coursework grader.
    """
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def _raise(signum, frame):
        raise exception()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(fn, *args, what: str):
    """Call the student's ``fn``; turn every way it can fail into a readable AssertionError."""
    name = getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise AssertionError(f"expected a function, got {type(fn).__name__}")
    # a function in a grading sandbox keeps its own time; an alarm here would cut the channel
    limit = 0 if getattr(fn, "_rnnlib_remote", False) else TIME_LIMIT
    try:
        with time_limit(limit):
            return fn(*args)
    except NotImplementedError:
        raise AssertionError(f"{name} is not implemented yet: replace the "
                             "`raise NotImplementedError()` line with your code") from None
    except TimeLimitExceeded:
        raise AssertionError(f"{name} took longer than {TIME_LIMIT:.0f} s on {what}; "
                             "is there a loop that never ends?") from None
    except Exception as exc:  # the student's bug, reported in words
        raise AssertionError(f"{name} raised {type(exc).__name__}: {exc} (on {what})") from None
    except SystemExit as exc:  # sys.exit() or exit() in the student's code: a bug, not the end
        raise AssertionError(f"{name} called sys.exit({exc.code!r}) (on {what}): return a value "
                             "instead; exit() ends the whole program") from None


def passed(message: str) -> None:
    print(f"All checks passed: {message}")


def number(value, fn_name: str) -> float:
    """``value`` as a float; an AssertionError naming ``fn_name`` if it is not one number."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise AssertionError(f"{fn_name} should return one number (a float), got "
                             f"{type(value).__name__} {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise AssertionError(f"{fn_name} should return one number (a float), "
                             f"got {type(value).__name__}") from None


def whole_number(value, fn_name: str, what: str) -> int:
    """``value`` as an int, if it is a finite whole number (7 or 7.0); else an AssertionError."""
    try:
        x = None if isinstance(value, (bool, np.bool_)) else number(value, fn_name)
    except AssertionError:
        x = None
    if x is None or not math.isfinite(x) or x != int(x):
        shown = repr(value) if len(repr(value)) <= 60 else type(value).__name__
        raise AssertionError(f"{fn_name} should return a whole number, got {shown} (on {what})")
    return int(x)


def diagnose(got: float, expected: float, diagnoses, what: str, fallback: str) -> None:
    """Pass if ``got`` matches ``expected``; else name the first mistake it matches."""
    if math.isclose(got, expected, rel_tol=1e-9):
        return
    for wrong, message in diagnoses:
        if math.isclose(got, wrong, rel_tol=1e-9):
            raise AssertionError(f"on {what}: {message}")
    raise AssertionError(f"on {what}: {fallback}")


# ----------------------------------------------------------------- diagnosis, shared by the checkers
CLOSE = {"rtol": 1e-7, "atol": 1e-10}


def close(a, b) -> bool:
    """Same shape and equal to rounding (the checkers' one notion of "right")."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, **CLOSE))


def array(got, name: str, what: str) -> np.ndarray:
    """The student's result as a float array, or an AssertionError that says what it was."""
    if got is None:
        raise AssertionError(f"{name} returned None (on {what}): did you forget `return`?")
    if isinstance(got, tuple):
        raise AssertionError(f"{name} returned a tuple of {len(got)} items (on {what}); return "
                             "only the array")
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} should return a numpy array, got {type(got).__name__} "
                             f"(on {what})") from None


def with_hint(error: AssertionError, hint: str) -> AssertionError:
    """Add ``hint`` to a shape error (matmul, concatenate, broadcast, rnnlib's own shape checks)
    raised by the student's code; any other error is returned as it is."""
    text = str(error)
    if any(k in text for k in ("matmul", "shapes", "align", "dimension", "broadcast", "index",
                               "must have shape")):
        return AssertionError(f"{text}. {hint}")
    return error


def gru_case(rng, batch, n_x, n_h):
    """A GRU step's inputs ``(x, h_prev, params)`` whose mistakes show in the output."""
    params = init_gru(n_x, n_h, rng)
    for key in ("b_u", "b_r", "b_c"):
        params[key] = rng.normal(scale=0.5, size=n_h)
    for key in ("W_u", "W_r", "W_c"):
        params[key] = params[key] * 1.5            # gates well away from 1/2: mistakes show
    x = rng.normal(size=(batch, n_x))
    h_prev = rng.normal(scale=0.8, size=(batch, n_h))    # nonzero: the reset gate shows
    return x, h_prev, params
