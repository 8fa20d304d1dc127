"""nbgrader cell metadata for the house exercise format, and ``annotate``.

With this metadata on the source notebooks, ``nbgrader generate_assignment`` and
``nbgrader autograde`` work on them as they are (nbgrader's own markers are already there):

- solution cell: ``solution: true``, ``grade: false``; grade id = the function's name;
- checker cell: ``grade: true``, ``locked: true``, ``points``; grade id ``<name>-checks``;
- ``hidden-checks`` cell: the same, grade id ``<name>-hidden-checks``;
- exercise statement: ``locked: true``; grade id ``<name>-exercise``;
- prose solution (markdown with solution markers): ``solution: true``, ``grade: true``,
  ``points``; grade id ``answer-N`` (nbgrader's manually graded answer).

Every entry also has ``schema_version: 3`` and ``task: false``. An exercise's points (a
``points-N`` tag, else the points already in the metadata, else 1) are shared among its
test cells in proportion to the cases each holds, so nbgrader's total is this grader's.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from . import markers as mk
from .exercises import find_exercises, tags

SCHEMA_VERSION = 3

# nbgrader's documented cell-metadata schema, version 3 (nbgrader/nbgraderformat/v3.json,
# BSD-3-Clause), so the metadata can be checked without installing nbgrader.
SCHEMA_V3 = {
    "type": "object",
    "properties": {
        "schema_version": {"type": "integer", "minimum": 3, "maximum": 3},
        "grade": {"type": "boolean"},
        "locked": {"type": "boolean"},
        "solution": {"type": "boolean"},
        "task": {"type": "boolean"},
        "grade_id": {"type": "string", "pattern": "^[a-zA-Z0-9_\\-]*$"},
        "points": {"type": "number", "minimum": 0},
        "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
        "cell_type": {"type": "string", "enum": ["raw", "code", "markdown"]},
    },
    "required": ["schema_version", "grade", "locked", "solution"],
    "additionalProperties": False,
}


# nbgrader_config.py for a course that uses these notebooks with nbgrader: nbgrader strips
# solutions and hidden tests itself; this adds the book's prose solutions (solution-only
# cells, {solution} blocks), which nbgrader does not know about.
NBGRADER_CONFIG = """\
c = get_config()  # noqa: F821

# Take the book's prose solutions out first (cells tagged solution-only, {solution} blocks).
from nbgrader.converters import GenerateAssignment

c.GenerateAssignment.preprocessors = [
    "rnnlib.coursework.nbgrader_prep.RemoveProseSolutions",
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]
"""


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _split_points(total: float, weights: list[int]) -> list[float]:
    if sum(weights) == 0:
        weights = [1] + [0] * (len(weights) - 1)
    parts = [round(total * w / sum(weights), 4) for w in weights]
    parts[-1] = round(total - sum(parts[:-1]), 6)
    return [int(p) if float(p).is_integer() else p for p in parts]


def expected_metadata(nb) -> dict[int, dict]:
    """``{cell index: nbgrader metadata}`` for every cell the exercises involve."""
    wanted: dict[int, dict] = {}
    for ex in find_exercises(nb):
        wanted[ex.solution_cell] = _meta(ex.grade_id, grade=False, solution=True, locked=False)
        weights = []
        for j in ex.checker_cells:
            cell = nb.cells[j]
            if mk.TAG_HIDDEN_CHECKS in tags(cell):
                code = "\n".join(line for line in cell.source.split("\n")
                                 if not (mk.is_begin_hidden(line) or mk.is_end_hidden(line)))
                weights.append(len(mk.split_cases(code, hidden=True)))
            else:
                weights.append(sum(len(mk.split_cases(t, h)) for t, h in mk.split_hidden(cell.source)))
        hidden_n = 0
        for j, points in zip(ex.checker_cells, _split_points(ex.points, weights)):
            if mk.TAG_HIDDEN_CHECKS in tags(nb.cells[j]):
                hidden_n += 1
                gid = f"{ex.grade_id}-hidden-checks" + (f"-{hidden_n}" if hidden_n > 1 else "")
            elif j == ex.checker_cells[0]:
                gid = f"{ex.grade_id}-checks"
            else:
                gid = f"{ex.grade_id}-checks-{j}"
            wanted[j] = _meta(gid, grade=True, solution=False, locked=True, points=points)
        if ex.statement_cell is not None:
            wanted[ex.statement_cell] = _meta(f"{ex.grade_id}-exercise", grade=False,
                                              solution=False, locked=True)
    answers = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and mk.has_solution(cell.source):
            answers += 1
            points = mk.points_from_tags(tags(cell))
            wanted[i] = _meta(f"answer-{answers}", grade=True, solution=True, locked=False,
                              points=mk.DEFAULT_POINTS if points is None else points)
    return wanted


def annotate(nb) -> bool:
    """Add or update the nbgrader metadata of ``nb`` in place; return whether anything changed.

    Only ``cell.metadata["nbgrader"]`` is touched: sources, outputs and execution counts
    stay as they are. Running it twice changes nothing the second time.
    """
    changed = False
    for i, meta in expected_metadata(nb).items():
        cell = nb.cells[i]
        if dict(cell.metadata.get("nbgrader", {})) != meta:
            cell.metadata["nbgrader"] = meta
            changed = True
    return changed


def annotate_file(path) -> bool:
    """Annotate a notebook file in place (read and written with nbformat); True if rewritten."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if not annotate(nb):
        return False
    nbformat.write(nb, path)
    return True


def nbgrader_problems(nb) -> list[str]:
    """What nbgrader's metadata validator (schema version 3) would reject, as sentences."""
    import jsonschema

    problems, ids = [], set()
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        try:
            jsonschema.validate(dict(meta), SCHEMA_V3)
        except jsonschema.ValidationError as error:
            problems.append(f"cell {i}: {error.message}")
            continue
        grade, solution, locked = meta["grade"], meta["solution"], meta["locked"]
        if grade or solution or locked:
            if not meta.get("grade_id"):
                problems.append(f"cell {i}: no grade_id")
            elif meta["grade_id"] in ids:
                problems.append(f"cell {i}: duplicate grade id {meta['grade_id']!r}")
            ids.add(meta.get("grade_id"))
        if grade and "points" not in meta:
            problems.append(f"cell {i}: a graded cell needs points")
        if cell.cell_type == "markdown" and not meta.get("task") and grade != solution:
            problems.append(f"cell {i}: a markdown cell must be both grade and solution, or neither")
    return problems


def nbgrader_warnings(nb) -> list[str]:
    """What would work with these tools but not with nbgrader as it comes."""
    found = []
    for i, cell in enumerate(nb.cells):
        t = tags(cell)
        if mk.TAG_HIDDEN_CHECKS in t and not mk.has_hidden(cell.source):
            found.append(f"cell {i} is tagged hidden-checks but has no ### BEGIN HIDDEN TESTS "
                         "region: nbgrader would show its code to students; wrap it in the markers")
        if mk.TAG_SOLUTION_ONLY in t or (cell.cell_type == "markdown"
                                         and mk.solution_directive_bodies(cell.source)):
            found.append(f"cell {i} holds a prose solution (solution-only tag or {{solution}} "
                         "block): with nbgrader, use the nbgrader_config.py of the instructor "
                         "guide, which takes these out")
    return found
