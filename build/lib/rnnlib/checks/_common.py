"""Shared machinery of the checkers: calling a student's function safely, reporting success.

A checker never crashes on a broken submission: a function that is not written yet,
raises, or runs too long gets a message that says so.
"""

from __future__ import annotations

import math
import signal
import threading
from contextlib import contextmanager

TIME_LIMIT = 10.0  # seconds a single call of a student function may take


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
    try:
        with time_limit(TIME_LIMIT):
            return fn(*args)
    except NotImplementedError:
        raise AssertionError(f"{name} is not implemented yet: replace the "
                             "`raise NotImplementedError()` line with your code") from None
    except TimeLimitExceeded:
        raise AssertionError(f"{name} took longer than {TIME_LIMIT:.0f} s on {what}; "
                             "is there a loop that never ends?") from None
    except Exception as exc:  # the student's bug, reported in words
        raise AssertionError(f"{name} raised {type(exc).__name__}: {exc} (on {what})") from None


def passed(message: str) -> None:
    print(f"All checks passed: {message}")


def _number(value, fn_name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{fn_name} should return one number (a float), "
                             f"got {type(value).__name__}") from None


def _diagnose(got: float, expected: float, diagnoses, what: str, fallback: str) -> None:
    """Pass if ``got`` matches ``expected``; else name the first mistake it matches."""
    if math.isclose(got, expected, rel_tol=1e-9):
        return
    for wrong, message in diagnoses:
        if math.isclose(got, wrong, rel_tol=1e-9):
            raise AssertionError(f"on {what}: {message}")
    raise AssertionError(f"on {what}: {fallback}")
