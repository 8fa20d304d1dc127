"""Coursework tools: the student edition, nbgrader metadata, and autograding with feedback.

    python -m rnnlib.coursework release [NOTEBOOK ...] [--out _build/student]
    python -m rnnlib.coursework annotate NOTEBOOK ...
    python -m rnnlib.coursework exercises NOTEBOOK ...
    python -m rnnlib.coursework grade SUBMISSIONS [--out DIR] [--source NOTEBOOK ...]

They read the house exercise format (``### BEGIN SOLUTION`` regions in the function that
names the exercise, a ``checks.check_xxx(fn)`` cell after it, hidden checks in
``### BEGIN HIDDEN TESTS`` regions, ``hidden-checks`` cells or ``hidden_checks/<notebook>.py``
files) and nothing else, so they work
on any lab or assignment written in it. The instructor guide in the appendix explains the
workflow; the modules:

- ``.markers``: markers, tags and text operations on cell sources;
- ``.exercises``: the exercises of a notebook (grade ids, check cases, points);
- ``.release``: the student edition and its leak check;
- ``.nbgrader_meta``, ``.nbgrader_prep``: nbgrader cell metadata, ``annotate``, and
  the preprocessor that keeps prose solutions out of nbgrader's release;
- ``.grade``, ``.runner``: grading a folder of submissions, and one notebook (its cells in
  a sandbox, its checks in the grading process);
- ``.sandbox``, ``.sandboxed``: the bubblewrap sandbox, the agent inside it and the
  plain-data wire format between them;
- ``.signing``: signed results;
- ``.feedback``: the Markdown feedback.
"""

import importlib
import importlib.util

# An optional extra: a plain `pip install rnnlib` (a learner's) does not bring these.
_NEEDS = {"nbformat": "nbformat", "IPython": "ipython", "jsonschema": "jsonschema"}
_missing = [pip for module, pip in _NEEDS.items() if importlib.util.find_spec(module) is None]
if _missing:
    raise ImportError(f"rnnlib.coursework needs {', '.join(_missing)}, which a plain install of "
                      "rnnlib does not bring: pip install \"rnnlib[coursework]\" (in the book's "
                      "checkout, make env installs them)")

# Imported on first use: the command line should not pay for nbclient and friends.
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
