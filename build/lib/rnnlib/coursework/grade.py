"""Grade a folder of submissions: one process per notebook, results kept across runs.

Layout of SUBMISSIONS (both may be mixed)::

    SUBMISSIONS/alice.ipynb                          one notebook per student: the file's
    SUBMISSIONS/bob.ipynb                            name (without .ipynb) is the student id
    SUBMISSIONS/carol/06_lab_hidden_state.ipynb      a folder per student: the folder's name
    SUBMISSIONS/carol/11_lab_perplexity.ipynb        is the id; any notebooks inside, at any
    SUBMISSIONS/dave/lab2/11_lab_perplexity.ipynb    depth (nbgrader's submitted/ layout too)

Each notebook is graded against a *source* notebook (the instructor's, with solutions and
hidden checks): the one the student edition names in its metadata, else the one with the
same file name, else the one whose name the file's name contains, else the only one given.

Layout of the output folder (default: ``SUBMISSIONS-graded`` next to SUBMISSIONS)::

    grades.csv                      one row per student and notebook, rebuilt every run
    feedback/<student>.md           what passed and failed, for the student
    results/<student>/<nb>.json     everything measured (one file per notebook, written
                                    atomically; a run that is stopped and started again
                                    skips the notebooks whose result is there and current)
    executed/<student>/<nb>.ipynb   the submission as run (outputs capped): for the instructor
    logs/<student>/<nb>.log         the grading process's and the kernel's messages
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import datetime
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import feedback as fb
from ._files import TMP_SUFFIX, read_json, write_json_atomic, write_text_atomic
from .exercises import find_exercises
from .runner import RUNNER_VERSION, Options, empty_result, score

GRACE_SECONDS = 30          # beyond the total time limit, before a grading process is killed
IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass
class Source:
    path: Path
    exercises: list
    sha256: str

    @property
    def stem(self) -> str:
        return self.path.stem


@dataclass
class Job:
    student: str
    path: Path
    source: Source | None
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.student, self.source.stem if self.source else self.path.stem)


@dataclass
class Summary:
    out: Path
    graded: list = field(default_factory=list)      # keys graded in this run
    skipped: list = field(default_factory=list)     # keys whose result was already current
    results: list = field(default_factory=list)     # every current result (all students)
    warnings: list = field(default_factory=list)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def safe_name(text: str) -> str:
    name = re.sub(r"[^\w.@+-]", "_", text).strip(".") or "_"
    return name[:100]


# ---------------------------------------------------------------- finding things
def find_submissions(root: Path, exclude: Path | None = None) -> list[tuple[str, Path]]:
    """``(student id, notebook)`` pairs in ``root`` (see the module docstring)."""
    root = Path(root)
    exclude = exclude.resolve() if exclude else None
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root)
        if any(part in IGNORED_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if exclude and (path.resolve() == exclude or exclude in path.resolve().parents):
            continue
        student = rel.parts[0] if len(rel.parts) > 1 else path.stem
        found.append((student, path))
    return found


def load_sources(paths) -> dict[str, Source]:
    """The source notebooks that have exercises, by file stem."""
    import nbformat

    sources = {}
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        exercises = find_exercises(nb, where=path.name)
        if exercises:
            sources[path.stem] = Source(path, exercises, sha256(path))
    return sources


def default_sources() -> list[Path]:
    chapters = Path("chapters")
    return sorted(chapters.glob("*.ipynb")) if chapters.is_dir() else []


def _named_source(path: Path) -> str | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        return meta.get("rnnlib", {}).get("coursework", {}).get("source")
    except (OSError, ValueError, AttributeError):
        return None


def match_source(path: Path, sources: dict[str, Source]) -> Source | None:
    named = _named_source(path)
    if named in sources:
        return sources[named]
    if path.stem in sources:
        return sources[path.stem]
    inside = [s for stem, s in sources.items() if stem in path.stem]
    if inside:
        return max(inside, key=lambda s: len(s.stem))
    if len(sources) == 1:
        return next(iter(sources.values()))
    return None


def plan_jobs(submissions, sources) -> tuple[list[Job], list[str]]:
    jobs: dict[tuple[str, str], Job] = {}
    warnings = []
    for student, path in submissions:
        job = Job(student, path, match_source(path, sources))
        if job.source is None:
            warnings.append(f"{path}: cannot tell which notebook this is a submission of "
                            "(give --source)")
        old = jobs.get(job.key)
        if old is not None:
            newer, other = (job, old) if path.stat().st_mtime >= old.path.stat().st_mtime else (old, job)
            newer.notes.append(f"Several of your files are this notebook; graded the newest, "
                               f"{newer.path.name} (not {other.path.name}).")
            warnings.append(f"{student}: graded {newer.path}, ignored {other.path}")
            job = newer
        jobs[job.key] = job
    return list(jobs.values()), warnings


# ---------------------------------------------------------------- running
class _Runner:
    """Runs grading processes; can kill them all (Ctrl-C)."""

    def __init__(self, out: Path, opts: Options):
        self.out, self.opts = out, opts
        self.running: dict[int, tuple[subprocess.Popen, Path]] = {}
        self.lock = threading.Lock()
        self.stopping = False

    @staticmethod
    def kill(proc: subprocess.Popen, workdir: Path) -> None:
        """Kill a grading process and its kernel (each leads its own process group)."""
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError, ValueError):   # after: no new kernel can start
            os.killpg(int((workdir / "kernel.pid").read_text()), signal.SIGKILL)

    def kill_all(self) -> None:
        self.stopping = True
        with self.lock:
            running = list(self.running.values())
        for proc, workdir in running:
            self.kill(proc, workdir)

    def grade(self, job: Job) -> dict:
        student_dir, stem = safe_name(job.student), job.source.stem
        work = self.out / ".work" / f"{student_dir}--{stem}--{os.getpid()}-{threading.get_ident()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        copy = work / "submission.ipynb"
        shutil.copyfile(job.path, copy)
        spec = {"submission": str(copy), "source": str(job.source.path.resolve()),
                "workdir": str(work), "options": asdict(self.opts),
                "result": str(work / "result.json"), "progress": str(work / "progress.json"),
                "executed": str(work / "executed.ipynb")}
        (work / "job.json").write_text(json.dumps(spec), encoding="utf-8")
        start = time.monotonic()
        problems = []
        with open(work / "grader.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "rnnlib.coursework.runner",
                                     str(work / "job.json")], cwd=work, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env=_child_env())
            with self.lock:
                self.running[proc.pid] = (proc, work)
            if self.stopping:                     # Ctrl-C came while it was starting
                self.kill(proc, work)
            try:
                proc.wait(timeout=self.opts.total_timeout + GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill(proc, work)
                proc.wait()
                problems.append(f"Grading was stopped after {self.opts.total_timeout:g} s, the "
                                "time limit for one notebook; what came after was not graded.")
            finally:
                with self.lock:
                    self.running.pop(proc.pid, None)
        if self.stopping:
            raise KeyboardInterrupt
        result = read_json(work / "result.json")
        if result is None:
            result = read_json(work / "progress.json") or empty_result(job.source.exercises)
            if not problems:
                problems.append("The grader failed on this notebook (not a problem with your "
                                "work); your instructor will look at it.")
                result["status"] = "grader-error"
            else:
                result["status"] = "timeout"
        result.setdefault("problems", []).extend(problems)
        result["problems"][:0] = job.notes
        result["wall_seconds"] = round(time.monotonic() - start, 2)
        # keep the executed notebook and the log for the instructor
        for name, folder, suffix in (("executed.ipynb", "executed", ".ipynb"),
                                     ("grader.log", "logs", ".log")):
            src = work / name
            if src.exists():
                target = self.out / folder / student_dir / (stem + suffix)
                target.parent.mkdir(parents=True, exist_ok=True)
                if name.endswith(".log"):
                    with open(src, "ab") as f:
                        kernel_log = work / "kernel.log"
                        if kernel_log.exists():
                            f.write(b"\n--- kernel ---\n" + kernel_log.read_bytes()[-200_000:])
                os.replace(src, target)
        shutil.rmtree(work, ignore_errors=True)
        return score(result)


def _child_env() -> dict:
    """The environment of a grading process: this one's, and this rnnlib importable even
    when it runs from a source tree that is not installed."""
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").exists() and (root / "rnnlib").is_dir():
        env["PYTHONPATH"] = os.pathsep.join([str(root)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def _fingerprint(job: Job, opts: Options) -> dict:
    return {"submission_sha256": sha256(job.path), "source_sha256": job.source.sha256,
            "options": asdict(opts), "runner_version": RUNNER_VERSION}


def result_path(out: Path, key: tuple[str, str]) -> Path:
    return out / "results" / safe_name(key[0]) / f"{key[1]}.json"


def _clean(out: Path) -> None:
    """Remove what an interrupted run left: temporary files and working folders."""
    shutil.rmtree(out / ".work", ignore_errors=True)
    for folder in ("results", "feedback", "executed", "logs"):
        for tmp in (out / folder).rglob(f"*{TMP_SUFFIX}") if (out / folder).is_dir() else []:
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(f".*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _exclusive(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(f"another grading run is writing to {out}; wait for it to "
                               "finish (or give another --out)") from None
        yield


def default_out(submissions: Path) -> Path:
    submissions = Path(submissions).resolve()
    return submissions.parent / f"{submissions.name}-graded"


def grade_submissions(submissions, out=None, sources=None, jobs: int | None = None,
                      options: Options | None = None, force: bool = False,
                      show_hidden_messages: bool = False, log=print) -> Summary:
    """Grade every notebook in ``submissions``; write results, grades.csv and feedback."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions} is not a folder of submissions")
    out = Path(out) if out else default_out(submissions)
    opts = options or Options()
    source_paths = list(sources) if sources else default_sources()
    loaded = load_sources(source_paths)
    if not loaded:
        raise ValueError("no source notebook with exercises: give the instructor's notebooks "
                         "with --source (they hold the solutions and hidden checks)")
    summary = Summary(out)
    with _exclusive(out):
        _clean(out)
        all_jobs, summary.warnings = plan_jobs(find_submissions(submissions, exclude=out), loaded)
        for warning in summary.warnings:
            log(f"warning: {warning}")
        todo, current = [], {}
        for job in all_jobs:
            if job.source is None:
                continue
            fingerprint = _fingerprint(job, opts)
            old = read_json(result_path(out, job.key))
            if not force and old and old.get("fingerprint") == fingerprint:
                current[job.key] = old
                summary.skipped.append(job.key)
            else:
                todo.append((job, fingerprint))
        if summary.skipped:
            log(f"{len(summary.skipped)} notebook(s) already graded, skipped "
                "(--force grades them again)")
        runner = _Runner(out, opts)
        workers = max(1, jobs or os.cpu_count() or 1)
        pool = cf.ThreadPoolExecutor(max_workers=workers)
        try:
            futures = {pool.submit(runner.grade, job): (job, fp) for job, fp in todo}
            done_n = 0
            for future in cf.as_completed(futures):
                job, fingerprint = futures[future]
                result = future.result()
                result.update(student=job.student, notebook=job.source.stem,
                              submission=str(job.path), fingerprint=fingerprint,
                              graded_at=datetime.datetime.now().isoformat(timespec="seconds"))
                write_json_atomic(result_path(out, job.key), result)
                current[job.key] = result
                summary.graded.append(job.key)
                done_n += 1
                log(f"[{done_n}/{len(todo)}] {job.student} {job.source.stem}: "
                    f"{result['total']:g} / {result['max_total']:g}"
                    + ("" if result.get("status") == "graded" else f" ({result.get('status')})")
                    + f"  {result.get('wall_seconds', 0):.1f} s")
        except KeyboardInterrupt:
            runner.kill_all()
            pool.shutdown(wait=True, cancel_futures=True)
            log(f"interrupted: {len(summary.graded)} of {len(todo)} graded and kept; "
                "run the same command again to grade the rest")
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            keys = [job.key for job in all_jobs if job.source is not None]
            summary.results = [current[k] for k in keys if k in current]
            unmatched = [(job.student, job.path) for job in all_jobs if job.source is None]
            write_reports(out, summary.results, show_hidden_messages, unmatched)
            shutil.rmtree(out / ".work", ignore_errors=True)
    return summary


# ---------------------------------------------------------------- reports
def write_reports(out: Path, results: list[dict], show_hidden_messages: bool = False,
                  unmatched=()) -> None:
    """grades.csv and one feedback file per student, from the results (atomically).

    ``unmatched`` notebooks (no source notebook found) get a row with status
    ``unmatched``, so that no submission goes missing from the grades unnoticed."""
    results = sorted(results, key=lambda r: (r["student"], r["notebook"]))
    notebooks = sorted({r["notebook"] for r in results})
    columns: list[str] = []
    for r in results:
        for e in r["exercises"]:
            name = e["grade_id"] if len(notebooks) == 1 else f"{r['notebook']}:{e['grade_id']}"
            if name not in columns:
                columns.append(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "notebook", "total", "max_points", "percent", "status"] + columns)
    for r in results:
        points = {(e["grade_id"] if len(notebooks) == 1 else f"{r['notebook']}:{e['grade_id']}"):
                  e["points"] for e in r["exercises"]}
        percent = round(100 * r["total"] / r["max_total"], 1) if r["max_total"] else 0.0
        status = r.get("status", "graded")
        if status == "graded" and r.get("problems"):
            status = "graded with problems"
        writer.writerow([r["student"], r["notebook"], f"{r['total']:g}", f"{r['max_total']:g}",
                         f"{percent:g}", status] + [f"{points[c]:g}" if c in points else ""
                                                    for c in columns])
    for student, path in sorted(unmatched):
        writer.writerow([student, Path(path).stem, "", "", "", "unmatched"] + [""] * len(columns))
    write_text_atomic(out / "grades.csv", buffer.getvalue())
    by_student: dict[str, list[dict]] = {}
    for r in results:
        by_student.setdefault(r["student"], []).append(r)
    for student, rs in by_student.items():
        write_text_atomic(out / "feedback" / f"{safe_name(student)}.md",
                          fb.render(student, rs, show_hidden_messages=show_hidden_messages))
