"""The student edition: solutions, hidden checks and outputs stripped, checkers kept.

For every cell of a source notebook:

- cells tagged ``solution-only`` are left out; a cell tagged ``hidden-checks`` keeps only a
  comment (and its nbgrader metadata, so nbgrader can put the checks back when grading);
- ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` becomes ``# YOUR CODE HERE`` /
  ``raise NotImplementedError()`` in code (``YOUR ANSWER HERE`` in prose), indented like the
  region; ``### BEGIN HIDDEN TESTS`` regions are deleted; sphinx-exercise ``{solution}``
  blocks are deleted from prose;
- outputs, execution counts and all metadata but a short list (tags, nbgrader,
  mystnb, slideshow) are dropped; the hiding tags (``hide-input`` ...) come off solution
  cells, which the student must see;
- nbgrader metadata is added (as ``annotate`` would), and the notebook metadata records the
  source notebook's name, which the grader uses to match a submission to its source.

Before anything is written, ``find_leaks`` compares the result with the source: a
line of a solution, hidden check or solution-only cell that is in the student edition
more often than in the source's public text stops the release.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat

from . import markers as mk
from .exercises import find_exercises, tags
from ._files import write_text_atomic
from .nbgrader_meta import annotate

KEEP_CELL_METADATA = ("tags", "nbgrader", "mystnb", "slideshow")
KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info")
DEFAULT_OUT = Path("_build") / "student"
DEFAULT_PATTERNS = ("*_lab_*.ipynb", "*_assignment_*.ipynb")


class ReleaseError(RuntimeError):
    """The student edition could not be made safely (it would leak a solution, say)."""


def default_notebooks(chapters: Path = Path("chapters")) -> list[Path]:
    """Every lab and assignment: ``chapters/*_lab_*.ipynb`` and ``chapters/*_assignment_*.ipynb``."""
    found = {p for pattern in DEFAULT_PATTERNS for p in Path(chapters).glob(pattern)}
    return sorted(found)


HIDDEN_PLACEHOLDER = "# Hidden checks of this exercise run here when your notebook is graded."


def _removed(cell) -> bool:
    return mk.TAG_SOLUTION_ONLY in tags(cell)


def student_source(cell) -> str:
    """A cell's source as the student edition has it."""
    if mk.TAG_HIDDEN_CHECKS in tags(cell):
        # kept as an empty locked cell, as nbgrader does, so nbgrader can fill it in again
        return HIDDEN_PLACEHOLDER
    source = mk.remove_regions(cell.source, "hidden")
    if cell.cell_type == "code":
        return mk.replace_regions(source, "solution", mk.CODE_STUB)
    source = mk.replace_regions(source, "solution", mk.TEXT_STUB)
    return mk.strip_solution_directives(source) if cell.cell_type == "markdown" else source


def student_edition(nb, name: str = ""):
    """A new notebook: the student edition of the source notebook ``nb`` (left unchanged)."""
    source = copy.deepcopy(nb)
    find_exercises(source, where=name)   # raises on an unclosed or nested region
    annotate(source)
    out = nbformat.v4.new_notebook()
    out.nbformat, out.nbformat_minor = source.nbformat, source.nbformat_minor
    out.metadata = {k: source.metadata[k] for k in KEEP_NOTEBOOK_METADATA if k in source.metadata}
    out.metadata["rnnlib"] = {"coursework": {"edition": "student", "source": Path(name).stem}}
    for cell in source.cells:
        if _removed(cell):
            continue
        text = student_source(cell)
        if cell.cell_type == "markdown" and cell.source.strip() and not text.strip():
            continue                                  # a cell that was all solution
        meta = {k: copy.deepcopy(cell.metadata[k]) for k in KEEP_CELL_METADATA if k in cell.metadata}
        if mk.has_solution(cell.source) and "tags" in meta:
            meta["tags"] = [t for t in meta["tags"] if t not in mk.HIDING_TAGS]
            if not meta["tags"]:
                del meta["tags"]
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(text, metadata=meta)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(text, metadata=meta)
            if "attachments" in cell:
                new.attachments = copy.deepcopy(cell.attachments)
        else:
            new = nbformat.v4.new_raw_cell(text, metadata=meta)
        if "id" in cell:
            new.id = cell.id
        elif "id" in new:
            del new["id"]
        out.cells.append(new)
    return out


# ---------------------------------------------------------------- leak check
def secret_lines(nb) -> list[str]:
    """Every non-blank line of every solution region, hidden check and removed cell."""
    found = []
    for cell in nb.cells:
        if _removed(cell) or mk.TAG_HIDDEN_CHECKS in tags(cell):
            found.extend(cell.source.split("\n"))
            continue
        found.extend(line for body in mk.region_bodies(cell.source, "solution")
                     for line in body.split("\n"))
        found.extend(line for body in mk.region_bodies(cell.source, "hidden")
                     for line in body.split("\n"))
        if cell.cell_type == "markdown":
            found.extend(mk.solution_directive_bodies(mk.remove_regions(cell.source, "hidden")))
    secrets = []
    for line in found:
        line = line.strip()
        if line and not (mk.is_begin_solution(line) or mk.is_end_solution(line)
                         or mk.is_begin_hidden(line) or mk.is_end_hidden(line)) \
                and line not in secrets:
            secrets.append(line)
    return secrets


def _strings(node):
    """Every string in a JSON-like structure (sources, outputs, metadata keys and values)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _strings(value)


def public_text(nb) -> str:
    """What a student edition may contain of the source: the lines of its kept cells that
    are in no solution or hidden region and no prose solution (worked out independently of
    ``student_source``, so that a fault there cannot hide itself)."""
    kept = []
    for cell in nb.cells:
        if _removed(cell) or mk.TAG_HIDDEN_CHECKS in tags(cell):
            continue
        lines = cell.source.split("\n")
        secret = {i for kind in ("solution", "hidden") for b, e in mk.regions(cell.source, kind)
                  for i in range(b, e + 1)}
        prose = set(mk.solution_directive_bodies(cell.source)) if cell.cell_type == "markdown" else set()
        kept += [line for i, line in enumerate(lines) if i not in secret and line not in prose]
    return "\n".join(kept)


def find_leaks(source_nb, student_nb) -> list[str]:
    """Secret lines of ``source_nb`` found in ``student_nb`` more often than the source's
    public text has them (a line like ``return out`` may also occur outside a solution)."""
    text = "\n".join(_strings(student_nb))
    public = public_text(source_nb)
    return [line for line in secret_lines(source_nb) if text.count(line) > public.count(line)]


# ---------------------------------------------------------------- files
def write_notebook_atomic(nb, path: Path) -> None:
    write_text_atomic(path, nbformat.writes(nb))


def release(paths, out_dir=DEFAULT_OUT) -> list[Path]:
    """Write the student edition of each notebook in ``paths`` into ``out_dir``."""
    written = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        try:
            student = student_edition(nb, name=path.name)
        except ValueError as error:
            raise ReleaseError(f"{path}: {error}") from None
        leaks = find_leaks(nb, student)
        if leaks:
            raise ReleaseError(f"{path}: the student edition would still contain solution text, "
                               f"e.g. {leaks[0]!r}; nothing was written")
        if not find_exercises(nb):
            print(f"note: {path} has no exercises (no ### BEGIN SOLUTION)", file=sys.stderr)
        target = Path(out_dir) / path.name
        write_notebook_atomic(student, target)
        written.append(target)
    return written
