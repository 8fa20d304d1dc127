"""The coursework tools: student edition, nbgrader metadata, autograding and feedback.

Most tests use the small lab built by ``tests/fixtures/coursework/fake_lab.py`` (three
exercises, 4 points) so that they are fast and independent of the chapters. The grading
tests grade one class of hostile submissions once (two at a time, a 3 s cell limit) and
check each result; they are marked ``slow`` (``pytest -m "not slow"`` leaves them out).
The nbgrader test runs only where nbgrader is installed (``NBGRADER=/path/to/nbgrader``).
"""

import copy
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from rnnlib.coursework import markers as mk
from rnnlib.coursework import release as rel
from rnnlib.coursework.__main__ import main as cli
from rnnlib.coursework.exercises import find_exercises
from rnnlib.coursework.grade import grade_submissions
from rnnlib.coursework.nbgrader_meta import (NBGRADER_CONFIG, SCHEMA_V3, annotate, annotate_file,
                                             nbgrader_problems)
from rnnlib.coursework.runner import Options
from rnnlib.coursework.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_01 = ROOT / "chapters" / "01_neural_networks_from_scratch.ipynb"

_spec = importlib.util.spec_from_file_location(
    "fake_lab", Path(__file__).parent / "fixtures" / "coursework" / "fake_lab.py")
fake_lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_lab)

with warnings.catch_warnings():          # the marker is not registered in the shared config
    warnings.simplefilter("ignore")
    slow = pytest.mark.slow

OPTIONS = Options(cell_timeout=3, total_timeout=120, memory_mb=2048)
needs_sandbox = pytest.mark.skipif(sandbox_problem() is not None,
                                   reason=f"grading needs a sandbox: {sandbox_problem()}")
HIDDEN_SECRETS = ["HIDDEN-EXPECTED-SHAPE", "HIDDEN-UNIFORM-QUARTER", "np.zeros((2, 3))",
                  "np.zeros((1, 4))"]


@pytest.fixture(autouse=True, scope="session")
def grading_key(tmp_path_factory):
    """Results are signed with a key of the tests' own, not one in the home folder."""
    key = tmp_path_factory.mktemp("key") / "grading.key"
    old = os.environ.get("RNNLIB_GRADING_KEY")
    os.environ["RNNLIB_GRADING_KEY"] = str(key)
    yield key
    if old is None:
        os.environ.pop("RNNLIB_GRADING_KEY", None)
    else:
        os.environ["RNNLIB_GRADING_KEY"] = old


@pytest.fixture
def source(tmp_path):
    return fake_lab.write_source(tmp_path / "fake_lab.ipynb")


def _text(path) -> str:
    """Every string of a notebook file: sources, outputs, metadata."""
    return "\n".join(rel._strings(json.loads(Path(path).read_text(encoding="utf-8"))))


def _solution_lines(nb):
    lines = []
    for cell in nb.cells:
        for kind in ("solution", "hidden"):
            for body in mk.region_bodies(cell.source, kind):
                lines += [line.strip() for line in body.split("\n") if line.strip()]
    return lines


# ---------------------------------------------------------------- markers and exercises
def test_solution_region_becomes_an_indented_stub():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    assert mk.replace_regions(source, "solution", mk.CODE_STUB) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")
    assert mk.solution_names(source) == ["f"]


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "never opened"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "cannot nest"),
])
def test_broken_regions_are_reported(source, problem):
    with pytest.raises(mk.MarkerError, match=problem):
        mk.regions(source, "solution")


def test_checker_code_splits_into_cases():
    code = ("x = np.ones(3)\nchecks.check_sigmoid(sigmoid)\n"
            "# feedback: try a 2-D input\ny = x * 2\nassert f(y) == 3, 'no'\nz = 1\n")
    cases = mk.split_cases(code, hidden=True)
    assert [c.label for c in cases] == ["checks.check_sigmoid(sigmoid)", "assert f(y) == 3, 'no'"]
    assert cases[0].code.startswith("x = np.ones(3)") and cases[1].code.endswith("z = 1")
    assert all(c.hint == "try a 2-D input" for c in cases)


def test_exercises_of_the_fixture_lab():
    exercises = find_exercises(fake_lab.source_notebook())
    assert [ex.grade_id for ex in exercises] == ["sigmoid", "softmax", "perplexity"]
    assert {ex.grade_id: ex.points for ex in exercises} == fake_lab.POINTS
    assert {ex.grade_id: len(ex.cases) for ex in exercises} == fake_lab.CASES
    assert [sum(c.hidden for c in ex.cases) for ex in exercises] == [1, 1, 0]
    assert [ex.label for ex in exercises] == ["ex-sigmoid", "ex-softmax", "ex-perplexity"]


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_exercise_is_found(path):
    nb = nbformat.read(path, as_version=4)
    exercises = find_exercises(nb)
    solution_cells = [i for i, c in enumerate(nb.cells)
                      if c.cell_type == "code" and mk.has_solution(c.source)]
    assert [ex.solution_cell for ex in exercises] == solution_cells
    for ex in exercises:    # named after the function the solution is in, and checked
        assert ex.grade_id in mk.defined_names(nb.cells[ex.solution_cell].source)
        assert any(not case.hidden and "check" in case.code for case in ex.cases), ex.grade_id


# ---------------------------------------------------------------- student edition
def test_student_edition_keeps_no_solution_text(source, tmp_path):
    [path] = rel.release([source], tmp_path / "student")
    text = _text(path)
    nb = fake_lab.source_notebook()
    secrets = _solution_lines(nb) + [fake_lab.SECRET_PROSE, fake_lab.DIRECTIVE_SOLUTION]
    assert len(secrets) > 15
    for line in secrets:
        assert line not in text, f"solution text left in the student edition: {line!r}"
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    student = nbformat.read(path, as_version=4)
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert all("execution" not in c.metadata for c in student.cells)
    assert rel.find_leaks(nb, student) == []


def test_student_edition_keeps_checkers_stubs_and_prose(source, tmp_path):
    [path] = rel.release([source], tmp_path / "student")
    student = nbformat.read(path, as_version=4)
    sources = [c.source for c in student.cells]
    for checker in ("checks.check_sigmoid(sigmoid)", "checks.check_softmax(softmax)",
                    "checks.check_perplexity(perplexity)"):
        assert any(s.startswith(checker) for s in sources), checker
    stubs = [c for c in student.cells if "raise NotImplementedError()" in c.source]
    assert len(stubs) == 3
    for cell in stubs:
        assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in cell.source
        assert "hide-input" not in cell.metadata.get("tags", [])    # students must see it
        assert cell.metadata["nbgrader"]["solution"] is True
    assert any(":label: ex-softmax" in s for s in sources)           # the statement stays
    assert student.metadata["rnnlib"]["coursework"]["source"] == "fake_lab"


def test_hidden_checks_cell_without_markers_is_stripped_and_still_graded():
    nb = fake_lab.source_notebook()
    hidden = next(c for c in nb.cells if "hidden-checks" in c.metadata.get("tags", []))
    hidden.source = "assert softmax(np.zeros((1, 2)))[0, 0] == 0.5, 'UNMARKED-HIDDEN'"
    student = rel.student_edition(nb, "fake_lab.ipynb")
    assert "UNMARKED-HIDDEN" not in "\n".join(rel._strings(student))
    softmax = find_exercises(nb)[1]
    assert [c.hidden for c in softmax.cases] == [False, True]
    assert "UNMARKED-HIDDEN" in softmax.cases[1].code


def test_release_refuses_to_leak(source, tmp_path, monkeypatch):
    monkeypatch.setattr(rel, "student_source", lambda cell: cell.source)    # a broken stripper
    with pytest.raises(rel.ReleaseError, match="solution text"):
        rel.release([source], tmp_path / "student")
    assert not (tmp_path / "student" / "fake_lab.ipynb").exists()


def test_release_reports_an_unclosed_region(tmp_path):
    nb = fake_lab.source_notebook()
    nb.cells[3].source = nb.cells[3].source.replace("    ### END SOLUTION", "")
    nbformat.write(nb, tmp_path / "broken.ipynb")
    with pytest.raises(rel.ReleaseError, match="cell 3 .*never closed"):
        rel.release([tmp_path / "broken.ipynb"], tmp_path / "student")


def test_release_of_the_real_chapter_leaves_no_solution(tmp_path):
    source = nbformat.read(CHAPTER_01, as_version=4)
    assert cli(["release", str(CHAPTER_01), "--out", str(tmp_path)]) == 0
    path = tmp_path / CHAPTER_01.name
    text, public = _text(path), rel.public_text(source)
    lines = _solution_lines(source)
    assert len(lines) >= 8
    for line in lines:   # a line may occur outside a solution too (`return out`), no more often
        assert text.count(line) <= public.count(line), f"solution text left: {line!r}"
    student = nbformat.read(path, as_version=4)
    exercises = find_exercises(source)
    assert sum("raise NotImplementedError()" in c.source for c in student.cells) == len(exercises) >= 1
    sources = [c.source for c in student.cells]
    for ex in exercises:                                       # the checkers are kept
        assert rel.student_source(source.cells[ex.checker_cells[0]]) in sources
    assert all(c.outputs == [] for c in student.cells if c.cell_type == "code")


def test_release_without_labs_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(["release"]) == 0
    assert "no labs or assignments" in capsys.readouterr().err
    assert not (tmp_path / "_build").exists()


# ---------------------------------------------------------------- nbgrader metadata
def _without_nbgrader(data):
    data = copy.deepcopy(data)
    for cell in data["cells"]:
        cell["metadata"].pop("nbgrader", None)
    return data


@pytest.mark.parametrize("which", ["fixture", "chapter_01"])
def test_annotate_is_idempotent_and_changes_only_metadata(tmp_path, which):
    path = tmp_path / "nb.ipynb"
    if which == "fixture":
        fake_lab.write_source(path)
    else:
        shutil.copyfile(CHAPTER_01, path)
    before = json.loads(path.read_text(encoding="utf-8"))
    assert annotate_file(path) is True
    after_bytes = path.read_bytes()
    after = json.loads(after_bytes)
    assert _without_nbgrader(after) == _without_nbgrader(before)   # outputs, counts, sources
    assert annotate_file(path) is False
    assert path.read_bytes() == after_bytes
    assert cli(["annotate", "--check", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nbgrader_problems(nb) == []
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    for ex in find_exercises(nb):
        assert ex.grade_id in ids and f"{ex.grade_id}-checks" in ids


def test_nbgrader_metadata_follows_the_documented_format():
    jsonschema = pytest.importorskip("jsonschema")
    nb = fake_lab.source_notebook()
    assert annotate(nb) is True
    metas = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]
             for c in nb.cells if "nbgrader" in c.metadata}
    for meta in metas.values():
        jsonschema.validate(dict(meta), SCHEMA_V3)
        assert meta["schema_version"] == 3 and meta["task"] is False
    assert metas["sigmoid"] == {"grade": False, "grade_id": "sigmoid", "locked": False,
                                "schema_version": 3, "solution": True, "task": False}
    tests = {k: m for k, m in metas.items() if m["grade"]}
    assert set(tests) == {"sigmoid-checks", "softmax-checks", "softmax-hidden-checks",
                          "perplexity-checks"}
    assert all(m["locked"] and not m["solution"] for m in tests.values())
    assert sum(m["points"] for m in tests.values()) == sum(fake_lab.POINTS.values())
    assert metas["softmax-exercise"]["locked"] is True
    assert nbgrader_problems(nb) == []
    # the points nbgrader would give are the points this grader gives
    assert [ex.points for ex in find_exercises(nb)] == list(fake_lab.POINTS.values())


NBGRADER = os.environ.get("NBGRADER") or shutil.which("nbgrader")


@slow
@pytest.mark.skipif(not NBGRADER, reason="nbgrader is not installed (NBGRADER=/path/to/nbgrader)")
def test_nbgrader_releases_and_autogrades_the_notebooks(tmp_path):
    course = tmp_path / "course"
    (course / "source" / "lab1").mkdir(parents=True)
    source = fake_lab.source_notebook()
    annotate(source)
    nbformat.write(source, course / "source" / "lab1" / "fake_lab.ipynb")
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG + "c.CourseDirectory.course_id = 'lab'\n")
    kernels = tmp_path / "jupyter" / "kernels" / "python3"     # run notebooks with this Python
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    student = rel.student_edition(fake_lab.source_notebook(), "fake_lab.ipynb")
    for who, nb in [("alice", fake_lab.solved(student)), ("bob", student)]:
        (course / "submitted" / who / "lab1").mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / who / "lab1" / "fake_lab.ipynb")
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter"), "PYTHONPATH": str(ROOT),
           "PATH": f"{Path(NBGRADER).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in (["generate_assignment", "lab1", "--force"],
                    ["autograde", "lab1", "--create", "--force"], ["export"]):
        run = subprocess.run([NBGRADER, *command], cwd=course, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    released = nbformat.read(course / "release" / "lab1" / "fake_lab.ipynb", as_version=4)
    assert rel.find_leaks(fake_lab.source_notebook(), released) == []
    # the same student edition, cell for cell (but for the hidden-checks placeholder)
    assert [c.source for c in released.cells] == [
        "" if c.source == rel.HIDDEN_PLACEHOLDER else c.source for c in student.cells]
    rows = (course / "grades.csv").read_text().splitlines()
    scores = {r.split(",")[3]: (float(r.split(",")[9]), float(r.split(",")[10])) for r in rows[1:]}
    assert scores == {"alice": (4.0, 4.0), "bob": (0.0, 4.0)}


def test_the_instructor_guide_shows_the_nbgrader_config():
    guide = (ROOT / "appendix" / "instructor_guide.md").read_text(encoding="utf-8")
    assert NBGRADER_CONFIG.strip() in guide


# ---------------------------------------------------------------- grading
@needs_sandbox
def test_a_notebook_of_unknown_source_is_listed_not_lost(tmp_path, source):
    other = fake_lab.write_source(tmp_path / "other_lab.ipynb")
    (tmp_path / "subs").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "subs" / "mystery.ipynb")
    summary = grade_submissions(tmp_path / "subs", out=tmp_path / "out", sources=[source, other],
                                log=lambda *a: None)
    assert summary.graded == [] and any("mystery" in w for w in summary.warnings)
    assert (tmp_path / "out" / "grades.csv").read_text().splitlines()[1] == \
        "mystery,mystery,,,,unmatched,,"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The fixture lab's class of submissions, graded once: (summary, expected, out)."""
    if sandbox_problem() is not None:
        pytest.skip(f"grading needs a sandbox: {sandbox_problem()}")
    base = tmp_path_factory.mktemp("class")
    source = fake_lab.write_source(base / "fake_lab.ipynb")
    [student] = rel.release([source], base / "student")
    expected = fake_lab.write_class(base / "submissions", nbformat.read(student, as_version=4))
    out = base / "graded"
    summary = grade_submissions(base / "submissions", out=out, sources=[source], jobs=2,
                                options=OPTIONS, log=lambda *a: None)
    return summary, expected, out, source


def _results(summary):
    return {r["student"]: r for r in summary.results}


@slow
@needs_sandbox
def test_every_submission_is_graded_as_expected(graded_class):
    summary, expected, out, _ = graded_class
    results = _results(summary)
    assert sorted(results) == sorted(expected)
    wrong = {name: {e["grade_id"]: e["points"] for e in results[name]["exercises"]}
             for name in expected
             if {e["grade_id"]: e["points"] for e in results[name]["exercises"]} != expected[name]}
    assert wrong == {}, f"unexpected points: {wrong}"
    assert results["reference"]["total"] == 4 and results["untouched"]["total"] == 0
    assert results["garbage"]["status"] == "unreadable"
    assert results["reference"]["problems"] == []


@slow
@needs_sandbox
def test_grades_csv_has_one_row_per_student(graded_class):
    summary, expected, out, _ = graded_class
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0].split(",") == ["student", "notebook", "total", "max_points", "percent",
                                  "status", "sigmoid", "softmax", "perplexity", "sandboxed",
                                  "flags"]
    students = [r.split(",")[0] for r in rows[1:]]
    assert sorted(students) == sorted(expected) and len(set(students)) == len(students)
    assert "reference,fake_lab,4,4,100,graded,2,1,1,yes," in rows
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == sorted(expected)


@slow
@needs_sandbox
def test_feedback_reveals_no_hidden_check(graded_class):
    _, expected, out, source = graded_class
    hidden_code = [line for line in _solution_lines(nbformat.read(source, as_version=4))
                   if not line.startswith("#") and line not in fake_lab.SOLVED["sigmoid"]]
    for name in expected:
        text = (out / "feedback" / f"{name}.md").read_text()
        for secret in HIDDEN_SECRETS + [line for line in hidden_code if "assert" in line]:
            assert secret not in text, f"{name}'s feedback shows hidden check text {secret!r}"


@slow
@pytest.mark.parametrize("name, says", [
    ("untouched", "is not implemented yet"),
    ("syntax_error", "SyntaxError"),
    ("exception", "your code raised `ValueError`"),
    ("infinite_loop", "took longer than 3 s"),
    ("sys_exit", "sys.exit()"),
    ("kernel_death", "restarted"),
    ("deleted_cells", "did you rename or delete"),
    ("renamed_function", "`sigmoid` is not defined"),
    ("wrong_signature", "your code raised `TypeError`"),
    ("nan_outputs", "got nan"),
    ("memory_bomb", "ran out of memory"),
    ("partial", "sigmoid must keep the shape of its input"),     # the hidden check's hint
    ("garbage", "could not be read as a Jupyter notebook"),
])
def test_feedback_says_what_failed(graded_class, name, says):
    _, _, out, _ = graded_class
    assert says in (out / "feedback" / f"{name}.md").read_text()


@slow
@needs_sandbox
def test_huge_output_is_capped(graded_class):
    _, _, out, _ = graded_class
    executed = out / "executed" / "huge_output" / "fake_lab.ipynb"
    assert executed.stat().st_size < 400_000          # 50 MB were printed
    assert "output truncated by the grader" in executed.read_text()


@slow
@needs_sandbox
def test_memory_limit_applies_in_the_kernel(graded_class):
    summary, _, _, _ = graded_class
    bomb = next(e for e in _results(summary)["memory_bomb"]["exercises"]
                if e["grade_id"] == "perplexity")
    assert all(c["status"] in ("memory", "failed") and "emory" in json.dumps(c)
               for c in bomb["cases"])


@slow
@needs_sandbox
def test_a_resumed_run_loses_and_duplicates_nothing(graded_class):
    summary, expected, out, source = graded_class
    before = {r["student"]: r["total"] for r in summary.results}
    csv_before = (out / "grades.csv").read_text()
    (out / "results" / "reference" / "fake_lab.json").unlink()            # never written
    (out / "results" / "partial" / "fake_lab.json").write_text('{"stud')  # torn write
    stray = out / "results" / "exception" / ".fake_lab.json.abc.tmp"      # killed mid-write
    stray.write_text("{")
    again = grade_submissions(out.parent / "submissions", out=out, sources=[source], jobs=2,
                              options=OPTIONS, log=lambda *a: None)
    assert sorted(s for s, _ in again.graded) == ["partial", "reference"]
    assert len(again.skipped) == len(expected) - 2
    assert {r["student"]: r["total"] for r in again.results} == before
    assert (out / "grades.csv").read_text() == csv_before
    assert not stray.exists() and not list(out.rglob("*.tmp"))
    assert sorted(p.parent.name for p in (out / "results").rglob("*.json")) == sorted(expected)


@slow
@needs_sandbox
def test_an_interrupted_command_resumes(tmp_path, source):
    [student] = rel.release([source], tmp_path / "student")
    names = ["reference", "untouched", "exception"]
    fake_lab.write_class(tmp_path / "subs", nbformat.read(student, as_version=4), names=names)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rnnlib.coursework", "grade", str(tmp_path / "subs"),
               "--out", str(out), "--source", str(source), "-j", "1", "--memory", "2048"]
    # A shell that starts the tests in the background makes them ignore SIGINT, and a child
    # inherits that; give the grader the default handler, as at a terminal.
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list(out.glob("results/*/*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130, proc.stdout.read().decode()
    done = sorted(p.parent.name for p in out.glob("results/*/*.json"))
    assert 1 <= len(done) < 3 and not list(out.rglob("*.tmp"))
    summary = grade_submissions(tmp_path / "subs", out=out, sources=[source], jobs=1,
                                options=Options(memory_mb=2048), log=lambda *a: None)
    assert sorted(s for s, _ in summary.skipped) == done
    assert sorted(s for s, _ in summary.graded + summary.skipped) == sorted(names)
    rows = (out / "grades.csv").read_text().splitlines()[1:]
    assert sorted(r.split(",")[0] for r in rows) == sorted(names)
    assert {r.split(",")[0]: r.split(",")[2] for r in rows} == {
        "reference": "4", "untouched": "0", "exception": "3"}
