"""Find the exercises of a notebook in the house format.

An exercise is

1. (optionally) a markdown cell with an ``{exercise}`` directive, the statement;
2. a code cell with a ``### BEGIN SOLUTION`` region, the *solution cell*; the function whose
   body holds the region names the exercise (its grade id);
3. the next code cell, the *checker cell*, calling ``checks.check_xxx(fn)``; it may hold
   ``### BEGIN HIDDEN TESTS`` regions;
4. (optionally) further code cells tagged ``hidden-checks``, before the next exercise.

Each top-level call or ``assert`` in the checks is one *case*; an exercise's points are
shared equally among its cases, so an exercise with several cases gives partial credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import markers as mk


class ExerciseError(ValueError):
    """A notebook whose exercises cannot be read (an unclosed region, say)."""


@dataclass
class Exercise:
    """One exercise of a source notebook (indices are cell positions in that notebook)."""
    grade_id: str
    names: list[str]                 # what the student writes: the functions holding solutions
    solution_cell: int
    checker_cells: list[int] = field(default_factory=list)   # the visible checker first
    statement_cell: int | None = None
    label: str | None = None         # the exercise directive's :label:, if any
    points: float = mk.DEFAULT_POINTS
    points_source: str = "default"   # "tag", "nbgrader" or "default"
    cases: list[mk.Chunk] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"`{self.grade_id}`" + (f" ({self.label})" if self.label else "")

    def to_dict(self) -> dict:
        return {"grade_id": self.grade_id, "names": self.names, "points": self.points,
                "label": self.label, "cases": [c.__dict__ for c in self.cases]}


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    """nbgrader's "autograder tests" cell: graded, not a solution."""
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_solution_cell(cell) -> bool:
    return cell.cell_type == "code" and mk.has_solution(cell.source)


def is_statement(cell) -> bool:
    return cell.cell_type == "markdown" and re.search(r"^\s*(:{3,}|`{3,})\s*\{exercise(-start)?\}",
                                                      cell.source, re.M) is not None


def _check_markers(nb, where: str) -> None:
    for i, cell in enumerate(nb.cells):
        for kind in ("solution", "hidden"):
            try:
                mk.regions(cell.source, kind)
            except mk.MarkerError as error:
                raise ExerciseError(f"{where}cell {i} ({cell.cell_type}): {error}") from None


def find_exercises(nb, where: str = "") -> list[Exercise]:
    """The exercises of ``nb`` in order. ``where`` prefixes error messages (a file name)."""
    _check_markers(nb, f"{where}: " if where else "")
    cells = nb.cells
    solution_idx = [i for i, c in enumerate(cells) if is_solution_cell(c)]
    exercises: list[Exercise] = []
    used: dict[str, int] = {}
    for n, s in enumerate(solution_idx):
        names = mk.solution_names(cells[s].source) or [f"exercise-{n + 1}"]
        base = re.sub(r"[^A-Za-z0-9_\-]", "_", names[0])
        used[base] = used.get(base, 0) + 1
        grade_id = base if used[base] == 1 else f"{base}-{used[base]}"
        ex = Exercise(grade_id=grade_id, names=names, solution_cell=s)

        # the statement: the nearest markdown cell above with an {exercise} directive
        j = s - 1
        while j >= 0 and cells[j].cell_type != "code":
            if is_statement(cells[j]):
                ex.statement_cell = j
                m = re.search(r"^:label:\s*(\S+)", cells[j].source, re.M)
                ex.label = m.group(1) if m else None
                break
            j -= 1

        # the checkers: the next code cell, then hidden-checks cells up to the next exercise
        stop = solution_idx[n + 1] if n + 1 < len(solution_idx) else len(cells)
        first = True
        for j in range(s + 1, stop):
            cell = cells[j]
            if cell.cell_type != "code":
                if is_statement(cell):      # the next exercise's statement
                    break
                continue
            hidden_cell = mk.TAG_HIDDEN_CHECKS in tags(cell)
            looks_like_checks = ("check" in cell.source or "assert" in cell.source
                                 or is_test_cell(cell) or mk.has_hidden(cell.source))
            if (first and looks_like_checks) or hidden_cell or mk.has_hidden(cell.source) \
                    or (not first and is_test_cell(cell)):
                ex.checker_cells.append(j)
            first = False

        for j in ex.checker_cells:
            cell = cells[j]
            if mk.TAG_HIDDEN_CHECKS in tags(cell):
                code = "\n".join(line for line in cell.source.split("\n")
                                 if not (mk.is_begin_hidden(line) or mk.is_end_hidden(line)))
                ex.cases.extend(mk.split_cases(code, hidden=True))
            else:
                for text, hidden in mk.split_hidden(cell.source):
                    ex.cases.extend(mk.split_cases(text, hidden=hidden))

        # points: a points-N tag, else the points nbgrader metadata gives the test cells
        for j in [s] + ex.checker_cells:
            tagged = mk.points_from_tags(tags(cells[j]))
            if tagged is not None:
                ex.points, ex.points_source = tagged, "tag"
                break
        else:
            given = [_nbgrader(cells[j]).get("points") for j in ex.checker_cells
                     if is_test_cell(cells[j])]
            if given and all(isinstance(p, (int, float)) for p in given) and sum(given) > 0:
                ex.points, ex.points_source = round(float(sum(given)), 6), "nbgrader"
        exercises.append(ex)
    return exercises


def checker_sources(nb, exercises) -> set[str]:
    """Normalized student-visible sources of every checker cell (to recognise copies)."""
    found = set()
    for ex in exercises:
        for j in ex.checker_cells:
            if mk.TAG_HIDDEN_CHECKS not in tags(nb.cells[j]):
                found.add(mk.normalize(mk.remove_regions(nb.cells[j].source, "hidden")))
    found.discard("")
    return found


def other_code_sources(nb, exercises) -> set[str]:
    """Normalized sources of the code cells that belong to no exercise."""
    taken = {i for ex in exercises for i in [ex.solution_cell] + ex.checker_cells}
    return {mk.normalize(c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and i not in taken and c.source.strip()}


def source_imports(nb, exercises) -> list[tuple[str, list[str]]]:
    """The import statements of the notebook's own code (not of solutions or checks)."""
    taken = {i for ex in exercises for i in [ex.solution_cell] + ex.checker_cells}
    found, seen = [], set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and i not in taken:
            for code, names in mk.import_statements(cell.source):
                if code not in seen:
                    seen.add(code)
                    found.append((code, names))
    return found
