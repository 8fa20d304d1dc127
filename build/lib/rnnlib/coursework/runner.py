"""Grade one submission: run it in a fresh, limited kernel, exercise by exercise.

    python -m rnnlib.coursework.runner JOB.json

The grading command starts one such process per submitted notebook. The process

1. reads the instructor's *source* notebook and finds its exercises (grade id, the names
   the student writes, the visible and hidden check cases, the points);
2. reads the submission (a copy) and matches its cells to the exercises by grade id and
   by the function names they define, never by position; the student's copies of the
   checker cells are not run (the source's checks are);
3. starts a kernel with a memory limit (``rnnlib.coursework.kernel``) in an empty working
   folder and runs the student's code cells in order, each with a time limit, outputs
   capped, errors allowed; a kernel that dies (``os._exit``, a crash) or ignores an
   interrupt is restarted and the cells before are run again;
4. right after the last cell that defines an exercise's function, runs that exercise's
   cases (visible and hidden) one by one in the student's namespace, and records each as
   passed or failed with the checker's message (exercises whose function is nowhere are
   checked at the end, which says what is missing);
5. writes the result (JSON) atomically, and a progress file after every exercise, so a
   run stopped from outside keeps what was graded.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import Integer

from . import markers as mk
from ._files import write_json_atomic, write_text_atomic
from .exercises import (checker_sources, find_exercises, is_test_cell, other_code_sources,
                        source_imports, tags)

RUNNER_VERSION = 1
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Options:
    """Limits for one submission (the command line's options)."""
    cell_timeout: float = 60.0      # seconds for one cell, and for one check case
    total_timeout: float = 600.0    # seconds for the whole notebook
    memory_mb: int = 4096           # address space of the kernel (RLIMIT_AS); 0: no limit
    output_limit: int = 100_000     # characters a cell may print
    max_restarts: int = 5           # kernel restarts after a death or a stuck cell
    probe_timeout: float = 10.0     # seconds a kernel has to answer after an interrupt

    @classmethod
    def from_dict(cls, data: dict) -> "Options":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class GradingKernelManager(AsyncKernelManager):
    """A kernel manager that starts ``rnnlib.coursework.kernel`` with this interpreter."""

    memory_mb = Integer(0)

    @property
    def kernel_spec(self):
        return KernelSpec(
            argv=[sys.executable, "-m", "rnnlib.coursework.kernel", "--memory-mb",
                  str(self.memory_mb), "-f", "{connection_file}", "--HistoryManager.enabled=False"],
            display_name="rnnlib grading", language="python", interrupt_mode="signal")


class CappedClient(NotebookClient):
    """nbclient's client with a cap on what one cell's outputs may hold."""

    def __init__(self, nb, output_limit: int, token: str, **kwargs):
        super().__init__(nb, **kwargs)
        self._limit, self._token = output_limit, token
        self._cap = [None, 0, False]          # parent msg id, characters kept, note added
        self.timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        key = msg["parent_header"].get("msg_id")
        if self._cap[0] != key:
            self._cap = [key, 0, False]
        content = msg.get("content", {})
        if msg["msg_type"] == "error":
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(t)[:2000] for t in content.get("traceback", [])[-30:]]
            return super().output(outs, msg, display_id, cell_index)
        text = content.get("text")
        if isinstance(text, str) and self._token in text:
            return super().output(outs, msg, display_id, cell_index)
        size = len(text) if isinstance(text, str) else sum(
            len(v) if isinstance(v, str) else len(json.dumps(v))
            for v in (content.get("data") or {}).values())
        if self._cap[1] + size > self._limit:
            room = self._limit - self._cap[1]
            if isinstance(text, str) and room > 0:      # keep what fits of a stream
                content["text"] = text[:room]
                self._cap[1] = self._limit
                super().output(outs, msg, display_id, cell_index)
            if not self._cap[2]:
                self._cap[2] = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"[output truncated by the grader after {self._limit:,} characters]\n"))
            return None
        self._cap[1] += size
        return super().output(outs, msg, display_id, cell_index)


class Session:
    """One kernel at a time for a submission, restarted when it dies or hangs."""

    def __init__(self, opts: Options, workdir: Path, token: str):
        self.opts, self.workdir, self.token = opts, workdir, token
        self.scratch = nbformat.v4.new_notebook()
        self.km = self.client = None
        self.alive = False
        self.starts = 0
        self._log = open(workdir / "kernel.log", "ab")

    def start(self) -> None:
        self.starts += 1
        env = dict(os.environ)
        env.update({v: "1" for v in THREAD_VARIABLES})
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env.pop("JPY_PARENT_PID", None)
        km = GradingKernelManager(memory_mb=int(self.opts.memory_mb or 0))
        # the kernel caps printing at output_limit; the client, a little above, caps the rest
        client = CappedClient(self.scratch, output_limit=self.opts.output_limit + 10_000,
                              token=self.token,
                              km=km, allow_errors=True, interrupt_on_timeout=True,
                              error_on_timeout={"ename": "Timeout", "evalue": "time limit",
                                                "traceback": []},
                              iopub_timeout=5, raise_on_iopub_timeout=False,
                              record_timing=False, startup_timeout=60,
                              shutdown_kernel="immediate")
        self.km, self.client = km, client
        client.start_new_kernel(cwd=str(self.workdir / "run"), env=env,
                                stdout=self._log, stderr=self._log)
        pid = getattr(km.provisioner, "pid", None)
        if pid:
            write_text_atomic(self.workdir / "kernel.pid", str(pid))
        client.start_new_kernel_client()
        self.alive = True
        setup = ("import rnnlib.coursework.harness as _rnnlib_grader\n"
                 f"_rnnlib_grader.install({int(self.opts.output_limit)})")
        _, status = self.run(setup, timeout=60, history=False)
        if status != "ok":
            raise RuntimeError("the grading kernel did not start (see kernel.log)")

    def run(self, source: str, timeout: float, history: bool = True):
        """Execute ``source``; return ``(cell, status)``, status one of
        ``ok``, ``error``, ``timeout`` (``self.alive`` says if the kernel recovered), ``died``."""
        cell = nbformat.v4.new_code_cell(source)
        self.scratch.cells.append(cell)
        index = len(self.scratch.cells) - 1
        self.client.timeout = max(1, math.ceil(timeout))
        self.client.timed_out = False
        try:
            self.client.execute_cell(cell, index, store_history=history)
        except (DeadKernelError, CellTimeoutError, Exception):  # noqa: BLE001 - a lost kernel
            self.alive = False
            return cell, "died"
        if self.client.timed_out:
            self.alive = self._responds()
            return cell, "timeout"
        if any(o.get("output_type") == "error" for o in cell.outputs):
            return cell, "error"
        return cell, "ok"

    def _responds(self) -> bool:
        """After an interrupt: does the kernel run a trivial cell again?"""
        probe = nbformat.v4.new_code_cell("pass")
        self.scratch.cells.append(probe)
        self.client.timeout = max(1, math.ceil(self.opts.probe_timeout))
        self.client.timed_out = False
        try:
            self.client.execute_cell(probe, len(self.scratch.cells) - 1, store_history=False)
        except Exception:  # noqa: BLE001 - any failure: treat the kernel as lost
            return False
        return not self.client.timed_out

    def stop(self) -> None:
        client, km = self.client, self.km
        self.alive, self.client, self.km = False, None, None
        pid = getattr(km.provisioner, "pid", None) if km is not None and km.provisioner else None
        if client is not None:
            try:
                run_sync(client._async_cleanup_kernel)()   # stops channels, shuts the kernel down
            except Exception:  # noqa: BLE001
                pass
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass

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
            evalue = re.sub(r"\(\d+\.py, line (\d+)\)", r"(line \1)", evalue)   # IPython's file name
            return out.get("ename", ""), evalue[:300]
    return None


def _outcome(cell, status: str, token: str) -> dict:
    if status == "died":
        return {"status": "died"}
    if status == "timeout":
        return {"status": "timeout"}
    for out in cell.outputs:
        if out.get("output_type") == "stream":
            for line in str(out.get("text", "")).split("\n"):
                if line.startswith(token + " "):
                    try:
                        return json.loads(line[len(token) + 1:])
                    except ValueError:
                        break
    error = _error_of(cell)
    return {"status": "error", "ename": error[0] if error else "GraderError",
            "message": error[1] if error else "the check gave no result"}


# ---------------------------------------------------------------- grading
def empty_result(exercises) -> dict:
    return {
        "status": "graded", "problems": [], "cells": [],
        "exercises": [{"grade_id": ex.grade_id, "label": ex.label, "names": ex.names,
                       "max_points": ex.points, "points": 0.0, "anchor": None,
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


def grade_notebook(submission, source_path, opts: Options, workdir, progress=None,
                   executed_path=None) -> dict:
    """Grade one submitted notebook against its source; return the result dict."""
    workdir = Path(workdir)
    (workdir / "run").mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    deadline = start + opts.total_timeout
    source = nbformat.read(source_path, as_version=4)
    exercises = find_exercises(source, where=Path(source_path).name)
    imports = source_imports(source, exercises)
    result = empty_result(exercises)

    def save_progress():
        if progress:
            write_json_atomic(progress, score(result))

    save_progress()
    try:
        nb = nbformat.read(submission, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
    except Exception as error:  # noqa: BLE001 - whatever the file holds
        result["status"] = "unreadable"
        result["problems"].append(f"The file could not be read as a Jupyter notebook "
                                  f"({type(error).__name__}: {str(error)[:200]}).")
        return score(result)

    run_cells, anchors = plan(nb, source, exercises)
    code_number = {i: n for n, i in enumerate(
        [i for i, c in enumerate(nb.cells) if c.cell_type == "code"], start=1)}
    status_of: dict[int, str] = {}
    token = secrets.token_hex(16)
    session = Session(opts, workdir, token)
    state = {"broken": None, "out_of_time": False}

    def remaining() -> float:
        return deadline - time.monotonic()

    def revive(upto: int) -> bool:
        """Restart a dead or stuck kernel and re-run the cells before ``upto`` that worked."""
        while not session.alive:
            if session.starts > opts.max_restarts:
                state["broken"] = (f"The kernel had to be restarted {opts.max_restarts} times; "
                                   "the rest of the notebook was not run.")
                return False
            try:
                session.restart()
            except Exception as error:  # noqa: BLE001
                state["broken"] = f"The grader could not restart the Python kernel: {error}"
                return False
            for i in run_cells[:upto]:
                if status_of.get(i) in ("ok", "error") and remaining() > 1:
                    session.run(nb.cells[i].source, min(opts.cell_timeout, remaining()))
                    if not session.alive:      # this cell stops the kernel: never again
                        status_of[i] = "died"
                        break
        return True

    def check(k: int, upto: int) -> None:
        ex, entry = exercises[k], result["exercises"][k]
        for case, record in zip(ex.cases, entry["cases"]):
            if record["status"] != "not_run":
                continue
            if state["broken"] or remaining() <= 1:
                state["out_of_time"] = state["out_of_time"] or not state["broken"]
                continue
            timeout = min(opts.cell_timeout, remaining())
            spec = {"token": token, "code": case.code, "names": ex.names, "imports": imports,
                    "time_limit": max(0.5, 0.8 * timeout)}
            code = ("import rnnlib.coursework.harness as _rnnlib_grader\n"
                    f"_rnnlib_grader.run_case({json.dumps(spec)!r});")
            cell, status = session.run(code, timeout, history=False)
            record.update(_outcome(cell, status, token))
            if status == "died":       # the other cases would only stop the kernel again
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
            result["problems"].append(f"The grader could not start a Python kernel: {error}")
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
            cell = nb.cells[i]
            executed, status = session.run(cell.source, min(opts.cell_timeout, remaining()))
            cell.outputs, cell.execution_count = executed.outputs, executed.execution_count
            status_of[i] = status
            if not session.alive:
                revive(pos)
            for k in at_cell.get(i, []):
                check(k, pos + 1)
        for k, anchor in enumerate(anchors):
            if anchor is None:
                check(k, len(run_cells))
    finally:
        session.close()

    # what the feedback needs to know about cells and anchors
    for k, anchor in enumerate(anchors):
        if anchor is not None:
            error = _error_of(nb.cells[anchor])
            result["exercises"][k]["anchor"] = {
                "cell": code_number[anchor], "status": status_of.get(anchor, "not_run"),
                "error": f"{error[0]}: {error[1]}" if error else None}
    for i in run_cells:
        st = status_of.get(i, "not_run")
        if st != "ok":
            error = _error_of(nb.cells[i])
            result["cells"].append({"cell": code_number[i], "first_line": _first_line(nb.cells[i].source),
                                    "status": st, "ename": error[0] if error else None,
                                    "evalue": error[1] if error else None})
    if session.starts > 1:
        result["problems"].append(f"The Python kernel stopped or hung and was restarted "
                                  f"{session.starts - 1} time(s); the cells before were run again.")
    if state["broken"]:
        result["problems"].append(state["broken"])
    if state["out_of_time"]:
        result["problems"].append(f"Grading stopped after {opts.total_timeout:g} s, the time limit "
                                  "for one notebook; what came after was not run.")
    result["seconds"] = round(time.monotonic() - start, 2)
    if executed_path:
        try:
            write_text_atomic(executed_path, nbformat.writes(nb))
        except Exception:  # noqa: BLE001 - an invalid notebook is still graded
            pass
    return score(result)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    opts = Options.from_dict(job.get("options", {}))
    result = grade_notebook(job["submission"], job["source"], opts, job["workdir"],
                            progress=job.get("progress"), executed_path=job.get("executed"))
    result["options"] = asdict(opts)
    result["runner_version"] = RUNNER_VERSION
    write_json_atomic(job["result"], result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
