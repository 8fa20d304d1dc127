"""Speed of the autograder: a class of 30 submissions, graded by 1 and by 2 workers.

Builds the small lab of ``tests/fixtures/coursework/fake_lab.py`` (three exercises, 4
points), its student edition, and a class of 30 submissions: right answers, partly
right ones and the usual breakage (a syntax error, an exception, a renamed function, a
wrong signature, NaN, a deleted cell, an untouched notebook). It grades the class with
``python -m rnnlib.coursework grade``'s machinery, once with one worker and once with
two (each notebook in its own grading process and sandbox, as always), checks that both runs give
every student the same points, prints a table and writes ``results/grading.json`` (every
number) and ``results/grading.md`` (for the book's benchmarks appendix).

``--source NOTEBOOK`` grades a real lab or assignment instead: every submission is its
student edition with the source's solutions put back (or left blank for every third
student). Mind the time: 30 times the notebook's run time, twice.

Run it alone with ``python benchmarks/bench_grading.py``, or with every benchmark through
``make bench``. Import it and call :func:`run` to get the results without writing files.
"""

import argparse
import copy
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from rnnlib.coursework.grade import grade_submissions
from rnnlib.coursework.release import student_edition
from rnnlib.coursework.runner import Options

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import command_line, machine_info, write_results  # noqa: E402

CLASS_SIZE = 30
WORKERS = (1, 2)
OPTIONS = Options(cell_timeout=60, total_timeout=600, memory_mb=4096)
# the kinds of submission in the fixture class, cycled through (no time-outs: a loop that
# never ends would measure the time limit, not the grader)
KINDS = ["reference", "reference", "partial", "exception", "nan_outputs", "reference",
         "renamed_function", "syntax_error", "wrong_signature", "deleted_cells", "untouched",
         "duplicated_cells", "instructor", "reference", "sys_exit"]


def _fake_lab():
    spec = importlib.util.spec_from_file_location(
        "fake_lab", HERE.parent / "tests" / "fixtures" / "coursework" / "fake_lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixture_class(folder: Path) -> Path:
    """Write the fixture lab's source and a class of 30; return the source's path."""
    lab = _fake_lab()
    source = lab.write_source(folder / "fake_lab.ipynb")
    subs = lab.submissions(student_edition(lab.source_notebook(), "fake_lab.ipynb"))
    (folder / "class").mkdir()
    for n in range(CLASS_SIZE):
        nb, _ = subs[KINDS[n % len(KINDS)]]
        nbformat.write(nb, folder / "class" / f"student{n + 1:02d}.ipynb")
    return source


def notebook_class(folder: Path, source: Path) -> Path:
    """A class of 30 for a real notebook: its solutions put back, or left blank."""
    source_nb = nbformat.read(source, as_version=4)
    student = student_edition(source_nb, source.name)
    from rnnlib.coursework.exercises import find_exercises

    solutions = {ex.grade_id: source_nb.cells[ex.solution_cell].source
                 for ex in find_exercises(source_nb)}
    solved = copy.deepcopy(student)
    for cell in solved.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in solutions:
            cell.source = solutions[meta["grade_id"]]
    (folder / "class").mkdir()
    for n in range(CLASS_SIZE):
        nbformat.write(student if n % 3 == 2 else solved, folder / "class" / f"student{n + 1:02d}.ipynb")
    return source


def run(source: Path | None = None):
    """Grade the class with 1 and with 2 workers; return the results (nothing written)."""
    machine = machine_info()
    # taken before grading starts: the load then is the other processes'
    machine["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        src = notebook_class(tmp, Path(source).resolve()) if source else fixture_class(tmp)
        runs, totals = {}, {}
        for workers in WORKERS:
            out = tmp / f"graded-{workers}"
            start = time.perf_counter()
            summary = grade_submissions(tmp / "class", out=out, sources=[src], jobs=workers,
                                        options=OPTIONS, log=lambda *a: None, key=tmp / "key")
            seconds = time.perf_counter() - start
            assert len(summary.graded) == CLASS_SIZE, "every submission is graded"
            totals[workers] = {r["student"]: r["total"] for r in summary.results}
            runs[workers] = {"seconds": seconds, "per_submission": seconds / CLASS_SIZE,
                             "submissions_per_minute": 60 * CLASS_SIZE / seconds}
            shutil.rmtree(out)
        agree = totals[WORKERS[0]] == totals[WORKERS[-1]]
        points = sorted(totals[WORKERS[-1]].values())
        max_points = summary.results[0]["max_total"]
    return {
        "notebook": Path(source).name if source else "fixture lab (tests/fixtures/coursework/fake_lab.py)",
        "submissions": CLASS_SIZE,
        "max_points": max_points,
        "mean_points": sum(points) / len(points),
        "full_marks": sum(p == max_points for p in points),
        "same_points_with_1_and_2_workers": agree,
        "runs": {str(w): r for w, r in runs.items()},
        "speedup": runs[WORKERS[0]]["seconds"] / runs[WORKERS[-1]]["seconds"],
        "options": {"cell_timeout": OPTIONS.cell_timeout, "total_timeout": OPTIONS.total_timeout,
                    "memory_mb": OPTIONS.memory_mb},
        "command": command_line("bench_grading.py" + (f" --source {source}" if source else "")),
        "machine": machine,
    }


def table_rows(r):
    rows = []
    for workers in WORKERS:
        run_ = r["runs"][str(workers)]
        speedup = r["runs"][str(WORKERS[0])]["seconds"] / run_["seconds"]
        rows.append((str(workers), f"{run_['seconds']:.1f}", f"{run_['per_submission']:.2f}",
                     f"{run_['submissions_per_minute']:.0f}", f"{speedup:.2f}×"))
    return rows


def to_markdown(r):
    """The results as a paragraph and a table (no headings: the page gives the section)."""
    mc, opts = r["machine"], r["options"]
    header = [("workers", "total (s)", "per submission (s)", "submissions per minute",
               "speed-up"), ("---:", "---:", "---:", "---:", "---:")]
    table = "\n".join(f"| {' | '.join(row)} |" for row in header + table_rows(r))
    same = "the same" if r["same_points_with_1_and_2_workers"] else "**different**"
    load = mc.get("load_average")
    busy = (f" The load average was already {load:.1f} from other processes when the run "
            "started: the workers shared the cores with them, so the speed-up is a lower bound."
            if load and load > 0.5 else "")
    return f"""\
A class of {r['submissions']} submissions of the {r['notebook']}, each graded in its own \
grading process and bubblewrap sandbox (memory limit {opts['memory_mb']} MB, {opts['cell_timeout']:g} s per cell): \
every cell run, then every exercise's checks. Mean score {r['mean_points']:.2f} of \
{r['max_points']:g} points, {r['full_marks']} full marks; the runs with one and with two \
workers gave every student {same} points.{busy}

{table}

Measured on {mc['date']} with `{r['command']}` on {mc['processor'] or mc['machine']} \
({mc['cpu_count']} CPUs, {mc['platform']}), Python {mc['python']}.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="grade this lab or assignment instead of the fixture lab")
    args = parser.parse_args(argv)
    results = run(args.source)
    print(f"{'workers':>8}{'total s':>10}{'s/sub':>8}{'sub/min':>9}{'speed-up':>10}")
    for row in table_rows(results):
        print(f"{row[0]:>8}{row[1]:>10}{row[2]:>8}{row[3]:>9}{row[4]:>10}")
    write_results("grading", results, to_markdown(results))
    if not results["same_points_with_1_and_2_workers"]:
        sys.exit("the runs with 1 and 2 workers gave different points")


if __name__ == "__main__":
    main()
