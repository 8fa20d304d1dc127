"""Coursework tools: the student edition, nbgrader metadata, and autograding with feedback.

    python -m rnnlib.coursework release [NOTEBOOK ...] [--out _build/student]
    python -m rnnlib.coursework annotate NOTEBOOK ...
    python -m rnnlib.coursework exercises NOTEBOOK ...
    python -m rnnlib.coursework grade SUBMISSIONS [--out DIR] [--source NOTEBOOK ...]

They read the house exercise format (``### BEGIN SOLUTION`` regions in the function that
names the exercise, a ``checks.check_xxx(fn)`` cell after it, hidden checks in
``### BEGIN HIDDEN TESTS`` regions or ``hidden-checks`` cells) and nothing else, so they work
on any lab or assignment written in it. The instructor guide in the appendix explains the
workflow; the modules:

- ``.markers``: markers, tags and text operations on cell sources;
- ``.exercises``: the exercises of a notebook (grade ids, check cases, points);
- ``.release``: the student edition and its leak check;
- ``.nbgrader_meta``, ``.nbgrader_prep``: nbgrader cell metadata, ``annotate``, and
  the preprocessor that keeps prose solutions out of nbgrader's release;
- ``.grade``, ``.runner``, ``.harness``, ``.kernel``: grading a folder of
  submissions, one notebook in a limited kernel, the code run inside that kernel;
- ``.feedback``: the Markdown feedback.
"""

import importlib

# Imported on first use: the grader imports ``rnnlib.coursework.harness`` inside every
# student's kernel, which should not pay for nbclient and friends.
_EXPORTS = {
    "Exercise": "exercises", "find_exercises": "exercises",
    "grade_submissions": "grade",
    "annotate": "nbgrader_meta", "annotate_file": "nbgrader_meta", "nbgrader_problems": "nbgrader_meta",
    "find_leaks": "release", "release": "release", "student_edition": "release",
    "Options": "runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
