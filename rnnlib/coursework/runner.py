"""Grade one submission: its cells run in a sandbox; its grade is decided here.

    python -m rnnlib.coursework.runner JOB.json

The grading command starts one such process per submitted notebook. The process

1. reads the instructor's *source* notebook and its hidden checks (``hidden_checks/``),
   and finds the exercises (grade id, the names the student writes, the visible and hidden
   check cases, the points);
2. reads the submission and matches its cells to the exercises by grade id and by the
   function names they define, never by position; the student's copies of the checker
   cells are not run;
3. starts the sandbox's agent (:mod:`.sandbox`) and sends it the student's code cells in
   order, each with a time limit, outputs capped, errors allowed; an agent that dies or
   hangs is killed with everything in its sandbox, restarted, and the cells before are sent
   again;
4. right after the last cell that defines an exercise's function, runs that exercise's
   cases *in this process*: the checks' code (the visible checker and the hidden cases)
   runs here, on inputs drawn now from a per-run seed, and each of the student's functions
   it calls is a :class:`RemoteFunction`: a call sends the inputs to the sandbox as plain
   data, and the function's result comes back as plain data. This process never imports or
   runs the student's code; comparing, diagnosing and scoring happen here;
5. collects what looks like cheating (flags for the instructor) and writes the result.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from . import markers as mk
from ._files import write_json_atomic, write_text_atomic
from .exercises import (attach_hidden, checker_sources, find_exercises, is_test_cell,
                        other_code_sources, source_imports, tags)
from .sandbox import Agent, StudentFailure

RUNNER_VERSION = 2
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STANDARD_EXCEPTIONS = frozenset(
    name for name, obj in __import__("builtins").__dict__.items()
    if isinstance(obj, type) and issubclass(obj, BaseException)) | {"LinAlgError", "AxisError"}
MESSAGE_LIMIT = 500


@dataclass
class Options:
    """Limits for one submission (the command line's options)."""
    cell_timeout: float = 60.0      # seconds for one cell, and for one check case
    total_timeout: float = 600.0    # seconds for the whole notebook
    memory_mb: int = 4096           # address space of the sandbox (RLIMIT_AS); 0: no limit
    output_limit: int = 100_000     # characters a cell may print
    max_restarts: int = 5           # sandbox restarts after a death or a stuck cell
    probe_timeout: float = 10.0     # seconds the agent has to answer beyond a time limit
    sandbox: bool = True            # False: --no-sandbox (trusted practice only)
    max_processes: int = 64         # processes (and threads) a sandbox may run at once
    scratch_mb: int = 512           # size of a sandbox's private scratch folder

    @classmethod
    def from_dict(cls, data: dict) -> "Options":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class RemoteFunction:
    """A student's function as the checks see it: calling it calls it in the sandbox."""

    _rnnlib_remote = True

    def __init__(self, session: "Session", name: str):
        self._session, self.__name__, self.__qualname__ = session, name, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<your function {self.__name__}>"


class Session:
    """One sandboxed agent at a time for a submission, restarted when it dies or hangs."""

    def __init__(self, opts: Options, workdir: Path, slot: int, submission_text: str,
                 forbidden=(), watched=None):
        self.opts, self.workdir, self.slot = opts, workdir, slot
        self.submission_text, self.forbidden, self.watched = submission_text, forbidden, watched
        self.agent: Agent | None = None
        self.alive = False
        self.starts = 0
        self.events: list = []
        self.call_budget = 0.0      # seconds a call may take (set per case)
        self._log = open(workdir / "kernel.log", "ab")

    def start(self) -> None:
        self.starts += 1
        self.agent = Agent(sandboxed=self.opts.sandbox, memory_mb=int(self.opts.memory_mb or 0),
                           scratch=self.workdir / "scratch", slot=self.slot,
                           max_processes=self.opts.max_processes,
                           output_limit=self.opts.output_limit, scratch_mb=self.opts.scratch_mb,
                           submission_text=self.submission_text, forbidden=self.forbidden,
                           watched=self.watched)
        # the grading command kills this group if it must stop the run (Ctrl-C, a time-out)
        write_text_atomic(self.workdir / "kernel.pid", str(self.agent.proc.pid))
        self.alive = True

    def run(self, number: int, source: str, timeout: float) -> dict:
        reply = self.agent.run_cell(source, number, timeout, grace=self.opts.probe_timeout)
        if not self.agent.alive() or reply.get("status") == "died" or reply.get("killed"):
            self.alive = False
            if reply.get("status") != "timeout":
                reply = {"status": "died"}
        return reply

    def call(self, name: str, args, kwargs):
        if self.agent is None or not self.alive:
            raise StudentFailure("died", {"name": name})
        try:
            return self.agent.call(name, args, kwargs, max(0.5, self.call_budget),
                                   grace=self.opts.probe_timeout)
        except StudentFailure as failure:
            failure.reply = {**failure.reply, "name": name}
            if not self.agent.alive():
                self.alive = False
            raise

    def collect_events(self) -> None:
        if self.agent is not None and self.alive:
            for event in self.agent.events():
                if event not in self.events:
                    self.events.append(event)

    def stop(self) -> None:
        if self.agent is not None:
            self.collect_events()
            self.agent.kill()
            self._log.write(self.agent.log.decode("utf-8", "replace")[-200_000:].encode())
            self._log.flush()
        self.agent, self.alive = None, False

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._log.close()


# ---------------------------------------------------------------- planning
def _first_line(source: str) -> str:
    for line in source.split("\n"):
        if line.strip():
            return line.strip()[:100]
    return ""


def _visible(source: str) -> str:
    """A cell's normalized source without hidden-test regions (a copy of a checker cell
    may still hold them: the instructor grading the source notebook itself)."""
    try:
        source = mk.remove_regions(source, "hidden")
    except mk.MarkerError:
        pass
    return mk.normalize(source)


def plan(nb, source, exercises):
    """Which student cells run, and after which cell each exercise is checked.

    Returns ``(run_cells, anchors)``: indices of the code cells to execute in order, and
    for each exercise the index of the cell after which its cases run (None: at the end).
    A cell is an exercise's anchor if it carries the exercise's grade id or defines one of
    its names; of several, the last counts (as it would in the notebook). Cells that copy
    the source's checkers, or the source's own non-exercise code, are never anchors.
    """
    checkers = checker_sources(source, exercises)
    others = other_code_sources(source, exercises)
    run_cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if mk.TAG_HIDDEN_CHECKS in tags(cell) or is_test_cell(cell) \
                or _visible(cell.source) in checkers:
            continue
        run_cells.append(i)
    anchors = []
    for ex in exercises:
        candidates = []
        for i in run_cells:
            cell = nb.cells[i]
            grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
            if grade_id == ex.grade_id:
                candidates.append(i)
            elif mk.normalize(cell.source) not in others and set(ex.names) & mk.defined_names(cell.source):
                candidates.append(i)
        anchors.append(candidates[-1] if candidates else None)
    return run_cells, anchors


def _error_of(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            evalue = _ANSI.sub("", str(out.get("evalue", "")))
            return out.get("ename", ""), evalue[:300]
    return None


def sanitized_ename(name) -> str:
    """A type name from the standard set, else "an exception": nothing a student chose."""
    return name if isinstance(name, str) and name in STANDARD_EXCEPTIONS else "an exception"


def _own_lines(reply: dict) -> list[str]:
    lines = reply.get("lines")
    if not isinstance(lines, list):
        return []
    keep = []
    for line in lines[-8:]:
        if isinstance(line, str) and re.match(r"^code cell \d+, line \d+: ", line):
            keep.append(_ANSI.sub("", line)[:200])
    return keep


def _clean_message(text) -> str:
    text = _ANSI.sub("", str(text))
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + " [...]"


def failure_record(failure: StudentFailure, name: str) -> dict:
    """What a failed call of the student's function tells the feedback (sanitized)."""
    status, reply = failure.status, failure.reply
    if status == "missing":
        return {"status": "error", "ename": "NameError", "name": name,
                "message": f"name {name!r} is not defined"}
    if status == "foreign":
        module = re.sub(r"[^\w.]", "", str(reply.get("module", "")))[:80]
        qualname = re.sub(r"[^\w.<>]", "", str(reply.get("qualname", "")))[:80]
        return {"status": "foreign", "name": name, "message": f"{module}.{qualname}"}
    if status == "not_callable":
        return {"status": "error", "ename": "TypeError", "name": name,
                "message": f"{name} is not a function"}
    if status in ("timeout", "memory", "exit", "died", "not_implemented"):
        return {"status": status, "lines": _own_lines(reply)}
    if status == "unportable":
        return {"status": "error", "ename": "unportable",
                "message": f"{name} returned a value the grader cannot read (only numbers, "
                           "strings, lists, tuples, dicts and numpy arrays count)"}
    return {"status": "error", "ename": sanitized_ename(reply.get("ename")),
            "lines": _own_lines(reply)}


# ---------------------------------------------------------------- grading
def empty_result(exercises) -> dict:
    return {
        "status": "graded", "problems": [], "cells": [], "flags": [],
        "exercises": [{"grade_id": ex.grade_id, "label": ex.label, "names": ex.names,
                       "max_points": ex.points, "points": 0.0, "anchor": None, "notes": [],
                       "cases": [{"label": c.label, "hidden": c.hidden, "hint": c.hint,
                                  "status": "not_run"} for c in ex.cases]}
                      for ex in exercises],
    }


def score(result: dict) -> dict:
    """Fill in points per exercise (shared equally among its cases) and the totals."""
    for entry in result["exercises"]:
        cases = entry["cases"]
        passed = sum(c["status"] == "passed" for c in cases)
        entry["points"] = round(entry["max_points"] * passed / len(cases), 2) if cases else 0.0
    result["total"] = round(sum(e["points"] for e in result["exercises"]), 2)
    result["max_total"] = round(sum(e["max_points"] for e in result["exercises"]), 2)
    return result


def _trusted_namespace(imports, hidden_setup=None, names=(), session=None, rng=None) -> dict:
    """The namespace a case runs in (in this process): the source notebook's imports, the
    student's functions as :class:`RemoteFunction` objects, ``rng``, then the hidden
    checks' set-up (its helpers see the student's functions as globals)."""
    ns = {"__name__": "hidden_checks", "__builtins__": __builtins__}
    for code, _names in imports:
        try:
            exec(code, ns)
        except Exception:  # noqa: BLE001 - an import the grader lacks: the check will say
            pass
    for name in names:
        ns[name] = RemoteFunction(session, name)
    if rng is not None:
        ns["rng"] = rng
    if hidden_setup:
        exec(compile(hidden_setup, "<hidden checks setup>", "exec"), ns)
    return ns


def _case_seed(run_seed: int, grade_id: str, index: int) -> int:
    digest = hashlib.sha256(f"{run_seed}:{grade_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def run_case(code: str, imports, setup, session: Session, names: list[str], seed: int,
             budget: float) -> dict:
    """Run one case's code here, its calls of student functions in the sandbox."""
    import numpy as np

    from ..checks._common import grading_seed

    session.call_budget = budget
    try:
        with grading_seed(seed):
            ns = _trusted_namespace(imports, setup, names, session, np.random.default_rng(seed))
            exec(compile(code, "<grader check>", "exec"), ns)
        return {"status": "passed"}
    except StudentFailure as failure:
        return failure_record(failure, str(failure.reply.get("name") or names[0]))
    except AssertionError as error:
        return {"status": "failed", "message": _clean_message(error)}
    except NotImplementedError:
        return {"status": "not_implemented"}
    except Exception as error:  # noqa: BLE001 - the check could not use what came back
        return {"status": "failed", "message": _clean_message(
            f"the check could not use the value your function returned ({type(error).__name__})")}


def student_names(nb, run_cells) -> list[str]:
    """The functions the student's cells define (``def`` at top level)."""
    names = set()
    for i in run_cells:
        tree, _ = mk.parse_text(nb.cells[i].source)
        if tree is not None:
            names |= {node.name for node in tree.body
                      if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return sorted(names)


# ---------------------------------------------------------------- flags (static)
PROCESS_CALLS = {"system", "popen", "fork", "forkpty", "spawnl", "spawnv", "spawnve", "spawnlp",
                 "execv", "execve", "execl", "execlp", "execvp", "posix_spawn", "Popen", "run",
                 "call", "check_call", "check_output", "getoutput", "getstatusoutput"}


def static_flags(nb, run_cells, given=frozenset()) -> list[str]:
    """What the submission's code shows of cheating, read (never run) here. Cells the source
    notebook itself holds (``given``, normalized: the set-up cell, say) are not read."""
    flags = []
    for i in run_cells:
        source = nb.cells[i].source
        if mk.normalize(source) in given:
            continue
        tree, _ = mk.parse_text(source)
        if tree is None:
            continue
        modules = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    modules[alias.asname or alias.name.split(".")[0]] = alias.name
                    if alias.name.startswith(("rnnlib.checks.", "rnnlib.coursework")):
                        flags.append(f"imports the grading code ({alias.name})")
                    if alias.name.split(".")[0] in ("subprocess", "multiprocessing", "pty"):
                        flags.append(f"imports {alias.name} (starts processes)")
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                for alias in node.names:
                    modules[alias.asname or alias.name] = f"{module}.{alias.name}"
                if module.startswith(("rnnlib.checks", "rnnlib.coursework")) or (
                        module == "rnnlib" and any(a.name == "coursework" for a in node.names)):
                    flags.append(f"imports the grading code (from {module} import ...)")
                if module.split(".")[0] in ("subprocess", "multiprocessing", "pty"):
                    flags.append(f"imports from {module} (starts processes)")
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute):
                    base = target.value
                    while isinstance(base, ast.Attribute):
                        base = base.value
                    if isinstance(base, ast.Name) and base.id in modules:
                        flags.append(f"patches a module: {ast.unparse(target)[:80]} = ...")
                if isinstance(target, ast.Subscript) and "sys.modules" in ast.unparse(target):
                    flags.append("replaces a module in sys.modules")
            if isinstance(node, ast.Call):
                func = node.func
                fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if fname == "setattr" and node.args and isinstance(node.args[0], ast.Name) \
                        and node.args[0].id in modules:
                    flags.append(f"patches a module: setattr({node.args[0].id}, ...)")
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                        and modules.get(func.value.id, "").split(".")[0] in ("os", "subprocess") \
                        and fname in PROCESS_CALLS:
                    flags.append(f"starts processes ({ast.unparse(func)[:60]})")
        if re.search(r"rnnlib[\\/]+(checks|coursework)|chapters[\\/]|hidden_checks|job\.json|"
                     r"grades\.csv|results[\\/]", source):
            flags.append("code cell reads paths of the grading files")
    return list(dict.fromkeys(flags))


def event_flags(events) -> list[str]:
    texts = {"process": "started a process ({})", "denied-file": "tried to open {} (outside "
             "its sandbox)", "import": "imported {} (grading code)",
             "patched-module": "patched a module at run time ({})",
             "wraps-rnnlib": "uses rnnlib's own implementation ({})"}
    return [texts[kind].format(detail[:120]) for kind, detail in events if kind in texts]


# ---------------------------------------------------------------- grading
def grade_notebook(submission, source_path, opts: Options, workdir, progress=None,
                   executed_path=None, seed: int | None = None, slot: int = 0,
                   forbidden=()) -> dict:
    """Grade one submitted notebook against its source; return the result dict."""
    workdir = Path(workdir)
    start = time.monotonic()
    deadline = start + opts.total_timeout
    source = nbformat.read(source_path, as_version=4)
    exercises = find_exercises(source, where=Path(source_path).name)
    hidden = attach_hidden(exercises, source_path)
    imports = source_imports(source, exercises)
    result = empty_result(exercises)
    run_seed = secrets.randbits(63) if seed is None else int(seed)
    result["seed"] = run_seed
    result["sandboxed"] = bool(opts.sandbox)

    def save_progress():
        if progress:
            write_json_atomic(progress, score(result))

    save_progress()
    try:
        text = Path(submission).read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
    except Exception as error:  # noqa: BLE001 - whatever the file holds
        result["status"] = "unreadable"
        result["problems"].append(f"The file could not be read as a Jupyter notebook "
                                  f"({type(error).__name__}).")
        return score(result)

    run_cells, anchors = plan(nb, source, exercises)
    code_number = {i: n for n, i in enumerate(
        [i for i, c in enumerate(nb.cells) if c.cell_type == "code"], start=1)}
    status_of: dict[int, str] = {}
    watched = {ex_name: list(v) for ex_name, v in (hidden.watched or {}).items()}
    session = Session(opts, workdir, slot, text, forbidden=forbidden, watched=watched)
    state = {"broken": None, "out_of_time": False}
    trusted_ns = _trusted_namespace(imports, hidden.setup)
    names_defined = student_names(nb, run_cells)

    def remaining() -> float:
        return deadline - time.monotonic()

    def run_cell(i: int) -> dict:
        reply = session.run(code_number[i], nb.cells[i].source, min(opts.cell_timeout, remaining()))
        return reply

    def revive(upto: int) -> bool:
        """Restart a dead or stuck sandbox and re-run the cells before ``upto`` that worked."""
        while not session.alive:
            if session.starts > opts.max_restarts:
                state["broken"] = (f"The Python process had to be restarted {opts.max_restarts} "
                                   "times; the rest of the notebook was not run.")
                return False
            try:
                session.restart()
            except Exception as error:  # noqa: BLE001
                state["broken"] = f"The grader could not restart the sandbox: {error}"
                return False
            for i in run_cells[:upto]:
                if status_of.get(i) in ("ok", "error") and remaining() > 1:
                    run_cell(i)
                    if not session.alive:      # this cell stops the sandbox: never again
                        status_of[i] = "died"
                        break
        return True

    def check(k: int, upto: int) -> None:
        ex, entry = exercises[k], result["exercises"][k]
        # the student's functions the checks may call; never a name the checks themselves use
        names = sorted(set(ex.names) | {n for n in names_defined if n not in trusted_ns})
        for index, (case, record) in enumerate(zip(ex.cases, entry["cases"])):
            if record["status"] != "not_run":
                continue
            if state["broken"] or remaining() <= 1:
                state["out_of_time"] = state["out_of_time"] or not state["broken"]
                continue
            if not session.alive and not revive(upto):
                continue
            timeout = min(opts.cell_timeout, remaining())
            record.update(run_case(case.code, imports, hidden.setup, session, names,
                                   _case_seed(run_seed, ex.grade_id, index), timeout))
            if record["status"] == "died":     # the other cases would only stop it again
                for other in entry["cases"]:
                    if other["status"] == "not_run":
                        other.update(status="died")
            if not session.alive:
                revive(upto)
        save_progress()

    try:
        try:
            session.start()
        except Exception as error:  # noqa: BLE001
            result["status"] = "error"
            result["problems"].append(f"The grader could not start the sandbox: {error}")
            return score(result)
        at_cell: dict[int, list[int]] = {}
        for k, anchor in enumerate(anchors):
            if anchor is not None:
                at_cell.setdefault(anchor, []).append(k)
        for pos, i in enumerate(run_cells):
            if state["broken"] or remaining() <= 1:
                status_of[i] = "not_run"
                state["out_of_time"] = state["out_of_time"] or not state["broken"]
                continue
            if not session.alive:
                revive(pos)
            reply = run_cell(i)
            nb.cells[i].outputs = _outputs(reply)
            nb.cells[i].execution_count = code_number[i]
            status = reply.get("status")
            status_of[i] = ("ok" if status == "ok" else "timeout" if status == "timeout"
                            else "died" if status == "died" else "error")
            if not session.alive:
                revive(pos)
            for k in at_cell.get(i, []):
                check(k, pos + 1)
        for k, anchor in enumerate(anchors):
            if anchor is None:
                check(k, len(run_cells))
        session.collect_events()
    finally:
        session.close()

    # what the feedback needs to know about cells and anchors
    for k, anchor in enumerate(anchors):
        if anchor is not None:
            error = _error_of(nb.cells[anchor])
            result["exercises"][k]["anchor"] = {
                "cell": code_number[anchor], "status": status_of.get(anchor, "not_run"),
                "error": f"{error[0]}" if error else None}
    for i in run_cells:
        st = status_of.get(i, "not_run")
        if st != "ok":
            error = _error_of(nb.cells[i])
            result["cells"].append({"cell": code_number[i], "first_line": _first_line(nb.cells[i].source),
                                    "status": st, "ename": error[0] if error else None,
                                    "evalue": error[1] if error else None})
    if session.starts > 1:
        result["problems"].append(f"The Python process stopped or hung and was restarted "
                                  f"{session.starts - 1} time(s); the cells before were run again.")
    if state["broken"]:
        result["problems"].append(state["broken"])
    if state["out_of_time"]:
        result["problems"].append(f"Grading stopped after {opts.total_timeout:g} s, the time limit "
                                  "for one notebook; what came after was not run.")
    flags = static_flags(nb, run_cells, other_code_sources(source, exercises)) \
        + event_flags(session.events)
    score(result)
    for k, ex in enumerate(exercises):
        entry = result["exercises"][k]
        if any("uses rnnlib's own implementation" in f and f"({n} calls" in f
               for f in flags for n in ex.names):
            entry["notes"].append("The exercise asks for your own code: your function calls "
                                  "rnnlib's implementation of it.")
        if entry["points"] == entry["max_points"] and entry["max_points"] > 0:
            stub = [i for i in run_cells
                    if (nb.cells[i].metadata.get("nbgrader") or {}).get("grade_id") == ex.grade_id
                    and "NotImplementedError" in nb.cells[i].source]
            if stub:
                flags.append(f"full marks for {ex.grade_id} although its cell still raises "
                             "NotImplementedError")
    result["flags"] = list(dict.fromkeys(flags))
    result["seconds"] = round(time.monotonic() - start, 2)
    if executed_path:
        try:
            write_text_atomic(executed_path, nbformat.writes(nb))
        except Exception:  # noqa: BLE001 - an invalid notebook is still graded
            pass
    return score(result)


def _outputs(reply: dict) -> list:
    outputs = []
    text = reply.get("output")
    if isinstance(text, str) and text:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
    status = reply.get("status")
    if status not in (None, "ok"):
        ename = {"timeout": "Timeout", "died": "DeadKernel", "exit": "SystemExit",
                 "memory": "MemoryError", "not_implemented": "NotImplementedError"}.get(
            status, sanitized_ename(reply.get("ename")))
        outputs.append(nbformat.v4.new_output("error", ename=ename, evalue="",
                                              traceback=_own_lines(reply)))
    return outputs


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    opts = Options.from_dict(job.get("options", {}))
    result = grade_notebook(job["submission"], job["source"], opts, job["workdir"],
                            progress=job.get("progress"), executed_path=job.get("executed"),
                            seed=job.get("seed"), slot=int(job.get("slot", 0)),
                            forbidden=job.get("forbidden", []))
    result["options"] = asdict(opts)
    result["runner_version"] = RUNNER_VERSION
    write_json_atomic(job["result"], result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
