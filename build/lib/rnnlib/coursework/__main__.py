"""Command line: ``python -m rnnlib.coursework {release,annotate,exercises,grade} ...``.

Run any command with ``--help`` for its options; the instructor guide in the book's
appendix walks through a whole term.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _release(args) -> int:
    from .release import DEFAULT_PATTERNS, ReleaseError, default_notebooks, release

    paths = args.notebooks or default_notebooks()
    if not paths:
        print(f"no labs or assignments yet: nothing matches chapters/{' or chapters/'.join(DEFAULT_PATTERNS)}; "
              "name notebooks to release them", file=sys.stderr)
        return 0
    try:
        written = release(paths, args.out)
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def _annotate(args) -> int:
    import nbformat

    from .exercises import ExerciseError
    from .nbgrader_meta import annotate, nbgrader_problems, nbgrader_warnings

    stale = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            changed = annotate(nb)
        except ExerciseError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for problem in nbgrader_problems(nb) + nbgrader_warnings(nb):
            print(f"warning: {path}: {problem}", file=sys.stderr)
        if changed and args.check:
            stale += 1
            print(f"{path}: nbgrader metadata missing or out of date")
        elif changed:
            nbformat.write(nb, path)
            print(f"{path}: nbgrader metadata written")
        else:
            print(f"{path}: up to date")
    return 1 if stale else 0


def _exercises(args) -> int:
    import nbformat

    from .exercises import find_exercises

    for path in args.notebooks:
        exercises = find_exercises(nbformat.read(path, as_version=4), where=str(path))
        total = sum(ex.points for ex in exercises)
        print(f"{path}: {len(exercises)} exercise(s), {total:g} point(s)")
        for ex in exercises:
            visible = sum(not c.hidden for c in ex.cases)
            print(f"  {ex.grade_id:<28} {ex.points:>5g} pt ({ex.points_source:<8}) "
                  f"{visible} visible + {len(ex.cases) - visible} hidden case(s)"
                  + (f"  [{ex.label}]" if ex.label else ""))
    return 0


def _grade(args) -> int:
    from .grade import grade_submissions
    from .runner import Options

    options = Options(cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                      memory_mb=args.memory, output_limit=args.output_limit)
    try:
        summary = grade_submissions(args.submissions, out=args.out, sources=args.source,
                                    jobs=args.jobs, options=options, force=args.force,
                                    show_hidden_messages=args.show_hidden_messages)
    except KeyboardInterrupt:
        return 130
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"graded {len(summary.graded)}, already graded {len(summary.skipped)}; "
          f"wrote {summary.out / 'grades.csv'} and {summary.out / 'feedback'}/")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnlib.coursework",
                                     description="Student editions, nbgrader metadata and "
                                                 "autograding for the book's labs and assignments.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="write the student edition (solutions and outputs stripped)")
    p.add_argument("notebooks", nargs="*", type=Path,
                   help="source notebooks (default: chapters/*_lab_*.ipynb and chapters/*_assignment_*.ipynb)")
    p.add_argument("--out", type=Path, default=Path("_build") / "student",
                   help="output folder (default: _build/student)")
    p.set_defaults(run=_release)

    p = sub.add_parser("annotate", help="add or update nbgrader metadata in source notebooks, in place")
    p.add_argument("notebooks", nargs="+", type=Path)
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 if any notebook's metadata is missing or stale")
    p.set_defaults(run=_annotate)

    p = sub.add_parser("exercises", help="list the exercises, points and check cases of notebooks")
    p.add_argument("notebooks", nargs="+", type=Path)
    p.set_defaults(run=_exercises)

    p = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    p.add_argument("submissions", type=Path,
                   help="folder: STUDENT.ipynb files, or STUDENT/ folders of notebooks")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: SUBMISSIONS-graded next to SUBMISSIONS)")
    p.add_argument("--source", type=Path, action="append", default=None, metavar="NOTEBOOK",
                   help="instructor notebook with solutions and hidden checks (repeatable; "
                        "default: every chapters/*.ipynb with exercises)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="notebooks graded at once (default: the number of CPUs)")
    p.add_argument("--cell-timeout", type=float, default=60.0,
                   help="seconds for one cell or one check (default 60)")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds for one whole notebook (default 600)")
    p.add_argument("--memory", type=int, default=4096,
                   help="memory limit of a student's kernel in MB (address space; 0: none; default 4096)")
    p.add_argument("--output-limit", type=int, default=100_000,
                   help="characters of output kept per cell (default 100000)")
    p.add_argument("--force", action="store_true", help="grade again what is already graded")
    p.add_argument("--show-hidden-messages", action="store_true",
                   help="put the messages of failed hidden checks in the feedback (off: they "
                        "may reveal expected values)")
    p.set_defaults(run=_grade)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
