"""Code the grader runs *inside* the student's kernel. Not for notebooks.

``install`` caps what each cell may print (a loop printing a gigabyte costs the grader
nothing but the loop); ``run_case`` runs one case of an exercise's checks in the
student's namespace and reports the outcome as one JSON line that starts with a token
the grader chose (so nothing the student prints can be mistaken for a result).
"""

from __future__ import annotations

import json
import sys
import types

from ..checks._common import time_limit

_STATE: dict = {}
MESSAGE_LIMIT = 2_000


class _Budget:
    def __init__(self, limit: int):
        self.limit, self.used, self.noted = limit, 0, False

    def reset(self, *args, **kwargs):
        self.used, self.noted = 0, False


class CappedStream:
    """A text stream that passes on at most ``budget.limit`` characters per cell."""

    def __init__(self, stream, budget: _Budget):
        self._stream, self._budget = stream, budget

    def write(self, text):
        if not isinstance(text, str):
            return self._stream.write(text)
        budget = self._budget
        room = budget.limit - budget.used
        if room > 0:
            budget.used += min(room, len(text))
            self._stream.write(text[:room])
        if len(text) > room and not budget.noted:
            budget.noted = True
            self._stream.write(f"\n[output truncated by the grader after {budget.limit:,} characters]\n")
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def install(output_limit: int) -> None:
    """Cap every cell's printed output at ``output_limit`` characters (stdout and stderr)."""
    if _STATE.get("installed"):
        return
    budget = _Budget(output_limit)
    _STATE.update(installed=True, stdout=sys.stdout, budget=budget)
    sys.stdout = CappedStream(sys.stdout, budget)
    sys.stderr = CappedStream(sys.stderr, budget)
    try:
        shell = get_ipython()  # noqa: F821 - IPython builtin
    except NameError:      # not in IPython (tests): the budget is never reset
        return
    shell.events.register("pre_run_cell", budget.reset)

    def refuse_exit(*args, **kwargs):
        # IPython's exit() and quit() would shut the kernel down after the cell; in a
        # graded notebook they raise SystemExit like sys.exit(), which the grader reports.
        raise SystemExit("exit() or quit() was called")

    shell.ask_exit = refuse_exit


def _real_stdout():
    """The kernel's own stdout, addressed to the request being run now (a student's code
    may have replaced ``sys.stdout``, which then no longer learns whom to answer)."""
    real = _STATE.get("stdout", sys.stdout)
    try:
        parent = get_ipython().kernel.get_parent("shell")  # noqa: F821 - IPython builtin
        if parent and hasattr(real, "set_parent"):
            real.set_parent(parent)
    except Exception:  # noqa: BLE001 - outside a kernel there is nothing to address
        pass
    return real


class _Capture:
    """Collects (a bounded amount of) what a check prints."""

    def __init__(self, limit: int = 4_000):
        self.parts, self.size, self.limit = [], 0, limit

    def write(self, text):
        if isinstance(text, str) and self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
            self.size += len(self.parts[-1])
        return len(text) if isinstance(text, str) else 0

    def flush(self):
        pass

    def isatty(self):
        return False

    def getvalue(self) -> str:
        return "".join(self.parts)


class GraderTimeout(BaseException):
    """Raised in the kernel when a case runs out of time (not an Exception: the student's
    ``except Exception`` cannot swallow it)."""


def _alarm(seconds: float):
    return time_limit(seconds, GraderTimeout)


def _text(value, limit: int = MESSAGE_LIMIT) -> str:
    try:
        text = str(value)
    except BaseException:  # noqa: BLE001 - a student's __str__ may do anything
        text = f"<{type(value).__name__} that cannot be shown>"
    return text if len(text) <= limit else text[:limit] + " [...]"


def _name_problem(ns: dict, names: list[str]) -> dict | None:
    for name in names:
        if name not in ns:
            return {"status": "error", "ename": "NameError", "name": name,
                    "message": f"name {name!r} is not defined"}
        obj = ns[name]
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, type)):
            module = getattr(obj, "__module__", None)
            if module not in (None, "__main__", "builtins"):
                return {"status": "foreign", "name": name,
                        "message": f"{module}.{getattr(obj, '__qualname__', name)}"}
    return None


def run_case(spec_json: str, namespace: dict | None = None) -> dict:
    """Run one case; print ``<token> <json>`` on the real output; return the result."""
    spec = json.loads(spec_json)
    if namespace is None:
        namespace = get_ipython().user_ns  # noqa: F821 - IPython builtin
    capture = _Capture()
    saved = sys.stdout, sys.stderr
    result: dict
    try:
        for code, names in spec.get("imports", []):   # names a deleted cell used to import
            if any(n not in namespace for n in names):
                try:
                    exec(code, namespace)
                except BaseException:  # noqa: BLE001
                    pass
        problem = _name_problem(namespace, spec.get("names", []))
        if problem:
            result = problem
        else:
            code = compile(spec["code"], "<grader check>", "exec")
            sys.stdout = sys.stderr = capture
            try:
                with _alarm(spec.get("time_limit", 0)):
                    exec(code, namespace)
            finally:
                sys.stdout, sys.stderr = saved
            result = {"status": "passed"}
    except AssertionError as error:
        result = {"status": "failed", "message": _text(error)}
    except (GraderTimeout, KeyboardInterrupt):
        result = {"status": "timeout"}
    except SystemExit as error:
        result = {"status": "exit", "message": _text(error.code)}
    except MemoryError:
        result = {"status": "memory"}
    except NotImplementedError:
        result = {"status": "not_implemented"}
    except NameError as error:
        result = {"status": "error", "ename": "NameError", "name": getattr(error, "name", None),
                  "message": _text(error)}
    except BaseException as error:  # noqa: BLE001 - whatever the student's code raised
        result = {"status": "error", "ename": type(error).__name__, "message": _text(error)}
    finally:
        sys.stdout, sys.stderr = saved
    result["output"] = capture.getvalue()[:MESSAGE_LIMIT]
    real = _real_stdout()
    real.write(f"{spec.get('token', '')} {json.dumps(result, default=str)}\n")
    real.flush()
    return result
