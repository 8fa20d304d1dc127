"""``rnnlib.checks`` as a sandboxed submission sees it: no checks, no references.

While a submission is graded its checks run in the grading process, on the values its
functions return; here every ``check_*`` does nothing, and the checkers' modules are not
there to import.
"""


def _checked_by_the_grader(*args, **kwargs):
    return None


def __getattr__(name):
    if name.startswith("check_"):
        return _checked_by_the_grader
    if name == "TIME_LIMIT":
        return 10.0
    raise AttributeError(f"module 'rnnlib.checks' has no attribute {name!r} while grading")
