"""The markers and tags the coursework tools read, and the text operations on cell sources.

Markers are nbgrader's, so the same notebooks work with nbgrader:

``### BEGIN SOLUTION`` ... ``### END SOLUTION``
    the reference solution; the student edition replaces the region by
    ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (``YOUR ANSWER HERE`` in prose),
    indented like the ``BEGIN`` line.
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``
    checks the student never sees: removed from the student edition, run by the grader.

Tags (cell metadata ``tags``) are this project's:

``hidden-checks``
    a whole code cell of hidden checks (removed from the student edition).
``solution-only``
    a cell the student edition leaves out entirely (a worked solution in prose, a plot of it).
``points-N``
    on a solution or checker cell: the exercise is worth N points (default 1; ``points-2.5`` works).

A comment line ``# feedback: <text>`` inside hidden checks is what a student reads when that
hidden check fails (otherwise a generic sentence); the hidden code itself is never shown.

Everything here works on strings; nothing imports a notebook library.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_STUB = ("YOUR ANSWER HERE",)

TAG_HIDDEN_CHECKS = "hidden-checks"
TAG_SOLUTION_ONLY = "solution-only"
POINTS_TAG = re.compile(r"^points-(\d+(?:\.\d+)?)$")
DEFAULT_POINTS = 1.0
FEEDBACK_COMMENT = re.compile(r"^\s*#\s*feedback:\s*(.+?)\s*$", re.IGNORECASE)

# Jupyter Book tags that hide a cell's input: a student must see the cell they write in.
HIDING_TAGS = ("hide-input", "hide-cell", "remove-input", "remove-cell")


class MarkerError(ValueError):
    """A solution or hidden-tests region that is not closed, not opened, or nested."""


def _marker_key(line: str, key: str) -> bool:
    # nbgrader's rule ("BEGIN SOLUTION" anywhere in the line), limited to comment or
    # heading lines so that code merely mentioning the words is not a marker.
    stripped = line.strip()
    return stripped.startswith("#") and key in stripped


def is_begin_solution(line: str) -> bool:
    return _marker_key(line, "BEGIN SOLUTION")


def is_end_solution(line: str) -> bool:
    return _marker_key(line, "END SOLUTION")


def is_begin_hidden(line: str) -> bool:
    return _marker_key(line, "BEGIN HIDDEN TESTS")


def is_end_hidden(line: str) -> bool:
    return _marker_key(line, "END HIDDEN TESTS")


_KINDS = {
    "solution": (is_begin_solution, is_end_solution, "### BEGIN SOLUTION"),
    "hidden": (is_begin_hidden, is_end_hidden, "### BEGIN HIDDEN TESTS"),
}


def regions(source: str, kind: str) -> list[tuple[int, int]]:
    """Line ranges ``(begin, end)`` (0-based, both marker lines included) of every region.

    ``kind`` is ``"solution"`` or ``"hidden"``. Raises ``MarkerError`` for a region
    that is nested, never closed, or closed without being opened.
    """
    is_begin, is_end, name = _KINDS[kind]
    found, start = [], None
    for i, line in enumerate(source.split("\n")):
        if is_begin(line):
            if start is not None:
                raise MarkerError(f"a {name} region opened on line {start + 1} is opened again "
                                  f"on line {i + 1} (regions cannot nest)")
            start = i
        elif is_end(line):
            if start is None:
                raise MarkerError(f"line {i + 1} closes a {name} region that was never opened")
            found.append((start, i))
            start = None
    if start is not None:
        raise MarkerError(f"the {name} region opened on line {start + 1} is never closed")
    return found


def has_solution(source: str) -> bool:
    return any(is_begin_solution(line) for line in source.split("\n"))


def has_hidden(source: str) -> bool:
    return any(is_begin_hidden(line) for line in source.split("\n"))


def replace_regions(source: str, kind: str, stub: tuple[str, ...]) -> str:
    """Replace each region (markers included) by ``stub``, indented like its BEGIN line."""
    lines = source.split("\n")
    out, last = [], 0
    for begin, end in regions(source, kind):
        out.extend(lines[last:begin])
        indent = re.match(r"\s*", lines[begin]).group(0)
        out.extend(indent + s for s in stub)
        last = end + 1
    out.extend(lines[last:])
    return "\n".join(out)


def remove_regions(source: str, kind: str) -> str:
    """Delete each region, markers included."""
    return replace_regions(source, kind, ())


def region_bodies(source: str, kind: str) -> list[str]:
    """The text between the markers of each region."""
    lines = source.split("\n")
    return ["\n".join(lines[b + 1:e]) for b, e in regions(source, kind)]


def split_hidden(source: str) -> list[tuple[str, bool]]:
    """Cut a checker cell into ``(text, hidden)`` pieces, in order."""
    lines = source.split("\n")
    pieces, last = [], 0
    for begin, end in regions(source, "hidden"):
        pieces.append(("\n".join(lines[last:begin]), False))
        pieces.append(("\n".join(lines[begin + 1:end]), True))
        last = end + 1
    pieces.append(("\n".join(lines[last:]), False))
    return [(text, hidden) for text, hidden in pieces if text.strip()]


# ---------------------------------------------------------------- prose solutions (sphinx-exercise)
_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{([a-z-]+)\}")


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (len(stripped) >= len(fence) and set(stripped) == {fence[0]})


def strip_solution_directives(markdown: str) -> str:
    """Remove ``{solution}`` blocks and ``{solution-start}`` ... ``{solution-end}`` spans.

    These are sphinx-exercise's solution directives, in colon or backtick fences; a
    worked solution written in prose must not reach the student edition.
    """
    lines = markdown.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and m.group(2) in ("solution", "solution-start"):
            fence, name = m.group(1), m.group(2)
            i += 1
            if name == "solution":
                while i < len(lines) and not _closes(lines[i], fence):
                    i += 1
                i += 1                                    # the closing fence
            else:                                         # up to and through {solution-end}
                while i < len(lines):
                    end = _FENCE.match(lines[i])
                    if end and end.group(2) == "solution-end":
                        i += 1
                        while i < len(lines) and not _closes(lines[i], end.group(1)):
                            i += 1
                        i += 1
                        break
                    i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def solution_directive_bodies(markdown: str) -> list[str]:
    """The lines that ``strip_solution_directives`` removes (for leak checks)."""
    kept = set(strip_solution_directives(markdown).split("\n"))
    return [line for line in markdown.split("\n") if line not in kept]


# ---------------------------------------------------------------- reading Python
def parse_text(source: str) -> tuple[ast.Module | None, str]:
    """``(ast, python)`` of a cell: IPython magics are turned into Python first.

    The tree is None when the cell does not parse; ``python`` is the text the tree is of.
    """
    try:
        return ast.parse(source), source
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        text = TransformerManager().transform_cell(source)
        return ast.parse(text), text
    except Exception:   # noqa: BLE001 - any failure means "not Python we can read"
        return None, source


def parse(source: str) -> ast.Module | None:
    """``ast`` of a cell (magics turned into Python first), or None if it does not parse."""
    return parse_text(source)[0]


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def defined_names(source: str) -> set[str]:
    """Top-level names a cell defines (def, class, assignment; imports do not count).

    A cell with a syntax error still "defines" the functions it tries to define: a
    line-based fallback finds them, so the grader can say why the function is missing.
    """
    tree = parse(source)
    if tree is None:
        return set(re.findall(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", source, re.M)) | \
            set(re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", source, re.M))
    return {name for node in tree.body for name in _targets(node)}


def solution_names(source: str) -> list[str]:
    """Names the solution regions of a cell belong to, in order.

    A region inside a top-level ``def`` (or ``class``) belongs to that function; a region at
    top level belongs to the names it assigns. Used to derive grade ids.
    """
    spans = regions(source, "solution")
    if not spans:
        return []
    names: list[str] = []
    tree = parse(source)
    lines = source.split("\n")
    for begin, end in spans:
        found = []
        if tree is not None:
            for node in tree.body:
                start = getattr(node, "lineno", 0) - 1
                stop = (getattr(node, "end_lineno", None) or start + 1) - 1
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    if start <= begin <= stop:
                        found = [node.name]
                        break
                elif begin < start and stop < end:
                    found.extend(_targets(node))
        if not found:   # no parse: the nearest def above the region
            for line in reversed(lines[:begin]):
                m = re.match(r"(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", line)
                if m:
                    found = [m.group(1)]
                    break
        names.extend(n for n in found if n not in names)
    return names


@dataclass
class Chunk:
    """One scoring case of a checker: the code to run and how to show it to a student."""
    code: str
    label: str
    hidden: bool
    hint: str | None = None


def _is_case(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assert) or (isinstance(node, ast.Expr)
                                            and isinstance(node.value, (ast.Call, ast.Await)))


def split_cases(code: str, hidden: bool) -> list[Chunk]:
    """Cut checker code into scoring cases.

    Every top-level call (``checks.check_x(f)``) or ``assert`` is a case; the statements
    before it (setting up inputs) run with it. Code that does not parse is one case.
    """
    hints = [m.group(1) for line in code.split("\n") if (m := FEEDBACK_COMMENT.match(line))]
    hint = " ".join(hints) or None
    tree, code = parse_text(code)
    lines = code.split("\n")
    if tree is None or not tree.body:
        text = code.strip("\n")
        return [Chunk(text, _label(text), hidden, hint)] if text.strip() else []
    chunks, start = [], 0
    for node in tree.body:
        if _is_case(node):
            text = "\n".join(lines[start:node.end_lineno]).strip("\n")
            case_text = "\n".join(lines[node.lineno - 1:node.end_lineno])
            chunks.append(Chunk(text, _label(case_text), hidden, hint))
            start = node.end_lineno
    rest = "\n".join(lines[start:]).strip("\n")
    if rest.strip():
        if chunks:   # trailing statements run with the last case
            chunks[-1].code += "\n" + rest
        else:        # no call or assert at all: the whole code is one case
            chunks.append(Chunk(rest, _label(rest), hidden, hint))
    return chunks


def _label(text: str) -> str:
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()
             and not line.strip().startswith("#")]
    lines = [line.rstrip("\\").rstrip() for line in lines]
    first = lines[0] if lines else text.strip()
    return first if len(lines) <= 1 else first + " ..."


def import_statements(source: str) -> list[tuple[str, list[str]]]:
    """Top-level imports of a cell as ``(code, names bound)``; star imports are skipped."""
    tree = parse(source)
    if tree is None:
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            if any(a.name == "*" for a in node.names):
                continue
            names = [a.asname or a.name for a in node.names]
        else:
            continue
        found.append((ast.unparse(node), names))
    return found


def normalize(source: str) -> str:
    """A cell's source without blank lines, comments-only lines and trailing spaces."""
    return "\n".join(line.rstrip() for line in source.split("\n")
                     if line.strip() and not line.strip().startswith("#"))


def points_from_tags(tags) -> float | None:
    for tag in tags or ():
        m = POINTS_TAG.match(str(tag))
        if m:
            return float(m.group(1))
    return None
