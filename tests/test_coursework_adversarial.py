"""Grading a class that cheats: the sandbox, the trusted split, hidden cases, signed results.

The class is lab 9.1 with attacks (``tests/fixtures/coursework/adversarial.py``), graded
against a copy of the lab and its hidden checks. Every cheat earns what its real work earns
(zero for none), honest work earns full marks, nothing outside the sandboxes' scratch folders
changes (the checkout, the copy of the source, the other submissions and their results are
hashed before and after), and no process is left behind. Slow (about a minute): marked
``slow``. Skipped, saying why, where no sandbox can be made (no bubblewrap).
"""

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

from rnnlib.coursework import release as rel
from rnnlib.coursework import signing
from rnnlib.coursework.__main__ import main as cli
from rnnlib.coursework.exercises import attach_hidden, find_exercises
from test_coursework import grading_key  # noqa: F401 (results signed with the tests' own key)
from rnnlib.coursework.grade import grade_submissions
from rnnlib.coursework.runner import Options
from rnnlib.coursework.sandbox import Agent, SandboxUnavailable, StudentFailure, sandbox_problem
from rnnlib.coursework.sandboxed import wire

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "chapters" / "09_lab_vanilla_rnns_grus_and_scan.ipynb"
GRADED = ["02_assignment_classification", "06_lab_hidden_state_activation",
          "09_lab_vanilla_rnns_grus_and_scan", "11_lab_calculating_perplexity"]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "fixtures" / "coursework"
                                                  / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


adv = _load("adversarial")
fake_lab = _load("fake_lab")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    slow = pytest.mark.slow
needs_sandbox = pytest.mark.skipif(sandbox_problem() is not None,
                                   reason=f"no sandbox here: {sandbox_problem()}")
OPTIONS = Options(cell_timeout=10, total_timeout=300, memory_mb=2048)


def tree_hash(folder: Path, skip=()) -> dict:
    """sha256 of every file under ``folder`` (paths relative), but those under ``skip``."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        rel_path = path.relative_to(folder)
        if path.is_file() and not any(str(rel_path).startswith(s) for s in skip):
            found[str(rel_path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def checkout_hash() -> dict:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    return {f: hashlib.sha256((ROOT / f).read_bytes()).hexdigest()
            for f in files if f and (ROOT / f).is_file()}


def stray_processes() -> list[str]:
    """Processes a submission started or a sandbox left: the attackers' marker, a sandbox's
    uid, or the agent."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            uid = int((Path("/proc") / pid / "status").read_text().split("\nUid:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            continue
        if adv.MARKER in cmd or "/grader/agent.py" in cmd or 60_100 <= uid < 60_100 + 64_000:
            found.append(f"{pid} uid {uid}: {cmd[:100]}")
    return found


# ---------------------------------------------------------------- the wire
def test_wire_carries_plain_data_and_nothing_else():
    value = {"a": [1, 2.5, None, True, "x", float("nan")], (1, "k"): np.arange(6.0).reshape(2, 3),
             "s": np.float32(1.5), "g": np.random.default_rng(3)}
    back = wire.decode(json.loads(json.dumps(wire.encode(value))))
    assert back["a"][:5] == [1, 2.5, None, True, "x"] and np.isnan(back["a"][5])
    assert np.array_equal(back[(1, "k")], value[(1, "k")]) and back["s"].dtype == np.float32
    assert back["g"].integers(1 << 30) == np.random.default_rng(3).integers(1 << 30)
    for bad in [np.array([object()]), object(), lambda: 1, np.array(["text"])]:
        with pytest.raises(wire.WireError):
            wire.encode(bad)
    for forged in [{"__nd__": ["|O", [1], "AA=="]}, {"__nd__": ["<f8", [2], "AAAA"]},
                   {"__pickle__": "gASVAAAA"}, {"__handle__": 1}, {"a": 1, "b": 2},
                   {"__nd__": ["<f8", [-1], ""]}]:
        with pytest.raises(wire.WireError):
            wire.decode(forged)


# ---------------------------------------------------------------- the sandbox itself
@needs_sandbox
def test_the_sandbox_sees_no_checkout_no_network_and_keeps_its_limits(tmp_path):
    agent = Agent(sandboxed=True, memory_mb=1024, scratch=tmp_path / "scratch", max_processes=16,
                  submission_text="{}", forbidden=[str(ROOT)])
    try:
        probe = agent.run_cell(
            "import os, socket, rnnlib\n"
            f"print(os.path.exists({str(LAB)!r}), os.path.exists({str(ROOT / 'hidden_checks')!r}),"
            f" os.path.exists({str(ROOT / 'rnnlib' / 'checks' / 'lab09_grus_and_scan.py')!r}), os.listdir('.'),"
            " os.getpid() < 10)\n"
            "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('net')\n"
            "except OSError:\n    print('no net')\n"
            "open('mine.txt', 'w').write('scratch is writable')\n", 1, 30)
        assert probe["status"] == "ok", probe
        assert probe["output"].split("\n")[:2] == ["False False False ['submission.ipynb'] True",
                                                   "no net"]
        memory = agent.run_cell("import numpy as np\nblock = np.ones(2 * 2**30 // 8)", 2, 30)
        assert memory["status"] == "memory"
        forks = agent.run_cell("import subprocess\n"
                               "ps = [subprocess.Popen(['sleep', '30']) for _ in range(40)]", 3, 30)
        assert forks["status"] == "error" and forks["ename"] in ("BlockingIOError", "OSError")
        leaked = agent.run_cell("raise KeyError('SECRET-VALUE 42')", 4, 30)
        assert "SECRET-VALUE" not in json.dumps({k: v for k, v in leaked.items() if k != "lines"})
        agent.run_cell("def naive(z):\n    return 1 / (1 + np.exp(-z))", 5, 30)
        with np.errstate(over="raise"):      # a check's floating-point rules hold in the sandbox
            with pytest.raises(StudentFailure) as failure:
                agent.call("naive", (np.array([-1000.0]),), {}, 10)
        assert failure.value.reply.get("ename") == "FloatingPointError"
    finally:
        agent.kill()
    assert not stray_processes()


@needs_sandbox
def test_grading_refuses_without_a_sandbox_and_marks_unsandboxed_runs(tmp_path, monkeypatch,
                                                                      capsys):
    from rnnlib.coursework import grade

    source = fake_lab.write_source(tmp_path / "fake_lab.ipynb")
    [student] = rel.release([source], tmp_path / "student")
    fake_lab.write_class(tmp_path / "subs", nbformat.read(student, as_version=4),
                         names=["reference"])
    monkeypatch.setattr(grade, "sandbox_problem",
                        lambda: "bubblewrap (`bwrap`) is not installed: install bubblewrap")
    with pytest.raises(SandboxUnavailable, match="install bubblewrap"):
        grade_submissions(tmp_path / "subs", out=tmp_path / "out", sources=[source])
    assert cli(["grade", str(tmp_path / "subs"), "--source", str(source), "--out",
                str(tmp_path / "out")]) == 3
    assert "bubblewrap" in capsys.readouterr().err
    assert cli(["grade", str(tmp_path / "subs"), "--source", str(source), "--out",
                str(tmp_path / "out"), "--no-sandbox", "-j", "1"]) == 0
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert rows[1].startswith("reference,fake_lab,4,4,100,graded,") and ",NO," in rows[1]
    assert "without a sandbox" in (tmp_path / "out" / "feedback" / "reference.md").read_text()
    assert "Graded without a sandbox" in (tmp_path / "out" / "report.md").read_text()


def test_a_mac_refusing_rlimit_as_is_no_crash(monkeypatch):
    import resource

    from rnnlib.coursework.sandbox import _limits

    def refuse(which, limits):
        if which == resource.RLIMIT_AS:
            raise ValueError("current limit exceeds maximum limit")   # what macOS says
    monkeypatch.setattr(resource, "setrlimit", refuse)
    _limits(2048, [])()          # no exception


@needs_sandbox
def test_a_tampered_result_is_graded_again(tmp_path):
    source = fake_lab.write_source(tmp_path / "fake_lab.ipynb")
    [student] = rel.release([source], tmp_path / "student")
    fake_lab.write_class(tmp_path / "subs", nbformat.read(student, as_version=4),
                         names=["reference", "untouched"])
    out = tmp_path / "out"
    grade_submissions(tmp_path / "subs", out=out, sources=[source], jobs=2, options=OPTIONS,
                      log=lambda *a: None)
    path = out / "results" / "untouched" / "fake_lab.json"
    forged = json.loads(path.read_text())
    forged["total"] = forged["max_total"]                    # fingerprint still valid
    path.write_text(json.dumps(forged))
    again = grade_submissions(tmp_path / "subs", out=out, sources=[source], jobs=2,
                              options=OPTIONS, log=lambda *a: None)
    assert [s for s, _ in again.graded] == ["untouched"]
    assert any("failed verification" in w for w in again.warnings)
    assert {r["student"]: r["total"] for r in again.results} == {"reference": 4, "untouched": 0}
    assert all(signing.verify(json.loads(p.read_text()), signing.load_key())
               for p in (out / "results").rglob("*.json"))
    with pytest.raises(ValueError, match="must not be inside the output folder"):
        grade_submissions(tmp_path / "subs", out=out, sources=[source], key=out / "k.key",
                          log=lambda *a: None)


# ---------------------------------------------------------------- hidden cases ship
@pytest.mark.parametrize("stem", GRADED)
def test_every_graded_exercise_has_hidden_cases_the_student_edition_lacks(stem, tmp_path):
    path = ROOT / "chapters" / f"{stem}.ipynb"
    exercises = find_exercises(nbformat.read(path, as_version=4))
    hidden = attach_hidden(exercises, path)
    assert hidden.path == ROOT / "hidden_checks" / f"{stem}.py"
    for ex in exercises:
        assert sum(c.hidden for c in ex.cases) >= 3, ex.grade_id
        assert sum(not c.hidden for c in ex.cases) == 1, ex.grade_id
    [edition] = rel.release([path], tmp_path)
    text = Path(edition).read_text()
    for case in (c for ex in exercises for c in ex.cases if c.hidden):
        for line in case.code.split("\n"):
            if len(line.strip()) > 30 and not line.lstrip().startswith("#"):
                assert line.strip() not in text, line


def _input_key(args) -> str:
    parts = []

    def walk(a):
        if isinstance(a, np.ndarray):
            parts.append(a.tobytes() + repr(a.shape).encode())
        elif isinstance(a, (list, tuple)):
            for x in a:
                walk(x)
        elif isinstance(a, dict):
            parts.append(repr(sorted(map(str, a))).encode())
            for x in a.values():
                walk(x)
        elif isinstance(a, (int, float, str, np.generic)):
            parts.append(repr(a).encode())
    walk(args)
    return hashlib.sha256(b"|".join(parts)).hexdigest()


@pytest.mark.parametrize("stem", GRADED)
def test_graded_visible_checks_meet_inputs_no_stored_answer_covers(stem):
    """Under the grader's seed every visible checker calls the function on at least one input
    the notebook's own run never used: outputs hard-coded for the notebook's inputs fail."""
    import contextlib
    import io
    import re

    from rnnlib.checks._common import grading_seed
    from rnnlib.coursework.exercises import source_imports

    nb = nbformat.read(ROOT / "chapters" / f"{stem}.ipynb", as_version=4)
    exercises = find_exercises(nb)
    ns = {}
    for code, _ in source_imports(nb, exercises):
        exec(code, ns)
    for cell in nb.cells:                      # the constants the solutions use
        for line in cell.source.split("\n") if cell.cell_type == "code" else []:
            if re.match(r"^(PAD|UNK)\s*=", line):
                exec(line, ns)
    for ex in exercises:
        exec("\n".join(line for line in nb.cells[ex.solution_cell].source.split("\n")
                       if "SOLUTION" not in line), ns)
    for ex in exercises:
        checker, name = nb.cells[ex.checker_cells[0]].source, ex.names[0]
        seen = {}
        for label, seed in (("notebook", None), ("graded", 2 ** 40 + 7)):
            keys, real = set(), ns[name]

            def spy(*args, _real=real, _keys=keys):
                _keys.add(_input_key(args))
                return _real(*args)
            spy.__name__ = name
            with grading_seed(seed), contextlib.redirect_stdout(io.StringIO()):
                exec(checker, {**ns, name: spy})
            seen[label] = keys
        assert seen["notebook"] and seen["graded"] - seen["notebook"], ex.grade_id


# ---------------------------------------------------------------- the adversarial class
@pytest.fixture(scope="module")
def adversarial(tmp_path_factory):
    base = tmp_path_factory.mktemp("adversarial")
    book = base / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "hidden_checks").mkdir()
    source = book / "chapters" / LAB.name
    shutil.copyfile(LAB, source)
    hidden = book / "hidden_checks" / f"{LAB.stem}.py"
    shutil.copyfile(ROOT / "hidden_checks" / hidden.name, hidden)
    [student] = rel.release([source], base / "student")
    student_nb = nbformat.read(student, as_version=4)
    source_nb = nbformat.read(source, as_version=4)
    subs, out = base / "subs", base / "graded"
    paths = {"out": out, "source": source, "hidden": hidden,
             "victim": subs / "honest" / "lab.ipynb"}
    expected = adv.write_class(subs, student_nb, source_nb, paths)
    # first the honest student alone: the attackers then go for a graded classmate
    alone = base / "alone"
    shutil.copytree(subs / "honest", alone / "honest")
    grade_submissions(alone, out=out, sources=[source], jobs=1, options=OPTIONS,
                      log=lambda *a: None)
    before = {"checkout": checkout_hash(), "book": tree_hash(book), "subs": tree_hash(subs),
              "out": tree_hash(out, skip=("grades.csv", "report.md", ".lock"))}
    processes = stray_processes()
    summary = grade_submissions(subs, out=out, sources=[source], jobs=2, options=OPTIONS,
                                log=lambda *a: None)
    time.sleep(1.0)            # a process that outlived the run would act now
    after = {"checkout": checkout_hash(), "book": tree_hash(book), "subs": tree_hash(subs),
             "out": tree_hash(out)}
    return {"summary": summary, "expected": expected, "out": out, "before": before,
            "after": after, "processes_before": processes, "processes_after": stray_processes(),
            "subs": subs, "source": source, "hidden": hidden}


def _by_student(summary):
    return {r["student"]: r for r in summary.results}


@slow
@needs_sandbox
def test_each_cheat_earns_what_its_real_work_earns(adversarial):
    results = _by_student(adversarial["summary"])
    assert sorted(results) == sorted(adversarial["expected"])
    for name, (points, flags) in adversarial["expected"].items():
        got = {e["grade_id"]: e["points"] for e in results[name]["exercises"]}
        assert got == points, (name, got, [(e["grade_id"], [c["status"] for c in e["cases"]])
                                           for e in results[name]["exercises"]])
        assert results[name]["sandboxed"] is True


@slow
@needs_sandbox
def test_cheats_are_flagged_for_the_instructor_not_in_the_feedback(adversarial):
    results = _by_student(adversarial["summary"])
    report = (adversarial["out"] / "report.md").read_text()
    for name, (_, flags) in adversarial["expected"].items():
        text = " ".join(results[name]["flags"])
        for word in flags:
            assert word in text, (name, word, results[name]["flags"])
        if flags:
            assert f"### {name}," in report
        feedback = (adversarial["out"] / "feedback" / f"{name}.md").read_text()
        assert "flag" not in feedback.lower() and "sandbox" not in feedback
    assert results["honest"]["flags"] == [] and results["partial"]["flags"] == []
    wraps = (adversarial["out"] / "feedback" / "wraps_rnnlib.md").read_text()
    assert "asks for your own code" in wraps


@slow
@needs_sandbox
def test_nothing_outside_the_scratch_folders_changes(adversarial):
    before, after = adversarial["before"], adversarial["after"]
    assert after["checkout"] == before["checkout"]
    assert after["book"] == before["book"]           # the source notebook and hidden checks
    assert after["subs"] == before["subs"]           # the classmates' submissions
    for path, digest in before["out"].items():       # the classmate graded before
        assert after["out"].get(path) == digest, path
    assert not Path(os.path.expanduser("~/.config/rnnlib/grading.key")).exists() or \
        Path(os.path.expanduser("~/.config/rnnlib/grading.key")).read_text() != "0" * 64


@slow
@needs_sandbox
def test_no_process_is_left_behind(adversarial):
    assert adversarial["processes_before"] == []
    assert adversarial["processes_after"] == []


@slow
@needs_sandbox
def test_feedback_carries_nothing_a_submission_could_mine(adversarial):
    hidden_code = [line.strip() for line in adversarial["hidden"].read_text().split("\n")
                   if any(w in line for w in ("assert", "close(", "ref_", "_case("))
                   and not line.lstrip().startswith("#")]
    for path in (adversarial["out"] / "feedback").glob("*.md"):
        text = path.read_text()
        # the student's own source lines may show; values their code computed may not
        assert not re.search(r"LEAK_m?\d", text) and "LEAKMSG (" not in text, path.name
        assert "found " not in text, path.name
        for line in hidden_code:
            assert line not in text, (path.name, line)
    leak = (adversarial["out"] / "feedback" / "exception_leak.md").read_text()
    assert "raised an exception" in leak and "`ValueError`" in leak


@slow
def test_without_the_sandbox_the_same_attack_succeeds(tmp_path):
    """The attacks are real: unsandboxed, reading the source earns full marks."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    source = book / "chapters" / LAB.name
    shutil.copyfile(LAB, source)
    [student] = rel.release([source], tmp_path / "student")
    paths = {"out": tmp_path / "graded", "source": source, "hidden": book / "none.py",
             "victim": tmp_path / "none.ipynb"}
    nb, _, _ = adv.class_of(nbformat.read(student, as_version=4),
                            nbformat.read(source, as_version=4), paths)["reads_secrets"]
    (tmp_path / "subs").mkdir()
    nbformat.write(nb, tmp_path / "subs" / "reads_secrets.ipynb")
    summary = grade_submissions(tmp_path / "subs", out=tmp_path / "graded", sources=[source],
                                jobs=1, options=Options(cell_timeout=10, memory_mb=2048,
                                                        sandbox=False), log=lambda *a: None)
    [result] = summary.results
    assert result["total"] == result["max_total"] and result["sandboxed"] is False


@slow
@needs_sandbox
def test_a_resumed_run_trusts_the_signed_results_only(adversarial):
    again = grade_submissions(adversarial["subs"], out=adversarial["out"],
                              sources=[adversarial["source"]], jobs=2, options=OPTIONS,
                              log=lambda *a: None)
    assert again.graded == [] and len(again.skipped) == len(adversarial["expected"])
    assert {r["student"]: r["total"] for r in again.results} == \
        {r["student"]: r["total"] for r in adversarial["summary"].results}
    seeds = {r["seed"] for r in adversarial["summary"].results}
    assert len(seeds) == len(adversarial["summary"].results)     # drawn per submission
