"""House rules for the notebooks (the chapters and the appendix pages written as notebooks),
checked on their stored form (nbval checks that
the stored outputs are still what the code prints; these check how the notebooks are made)."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from rnnlib import book

ROOT = Path(__file__).resolve().parents[1]
# The chapters, and the appendix pages that are notebooks: the same house rules hold for both.
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "appendix").glob("*.ipynb"))


def toc_files(node) -> set[str]:
    """Every `file:` entry of a parsed _toc.yml, at any depth (comments are not entries)."""
    if isinstance(node, dict):
        return ({node["file"]} if "file" in node else set()).union(*map(toc_files, node.values()))
    if isinstance(node, list):
        return set().union(*map(toc_files, node))
    return set()


TOC = toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_notebooks():
    assert any(p.parent.name == "chapters" for p in NOTEBOOKS), "no chapter notebooks found under chapters/"


def test_toc_files_reads_entries_not_text():
    toc = yaml.safe_load("root: intro\nchapters:\n  - file: chapters/a\n    sections:\n"
                         "      - file: chapters/b\n  # - file: chapters/c\n")
    assert toc_files(toc) == {"chapters/a", "chapters/b"}


def test_listed_in_the_table_of_contents(notebook):
    path, _ = notebook
    assert path.relative_to(ROOT).with_suffix("").as_posix() in TOC, f"{path.name} is not in _toc.yml"


def test_run_top_to_bottom_with_outputs_stored(notebook):
    path, nb = notebook
    counts = [c.execution_count for c in code_cells(nb)]
    assert None not in counts, f"{path.name}: some code cells were never run; nbval would skip them"
    assert counts == list(range(1, len(counts) + 1)), \
        f"{path.name}: cells were not run once, top to bottom, in a fresh kernel: {counts}"
    errors = [c.source[:60] for c in code_cells(nb) for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: stored error outputs in {errors}"


def test_one_title_and_learning_goals(notebook):
    path, nb = notebook
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)      # a comment in a code block is no title
    titles = [line for line in prose.splitlines() if line.startswith("# ")]
    assert len(titles) == 1, f"{path.name}: expected one '# ' title, found {titles}"
    assert "You will learn" in markdown or "## Goal" in markdown, f"{path.name}: no learning goals"


def test_first_code_cell_installs_the_release_on_colab_and_is_hidden(notebook):
    path, nb = notebook
    first = code_cells(nb)[0]
    assert "google.colab" in first.source and "pip" in first.source, \
        f"{path.name}: the first code cell should install rnnlib on Colab"
    assert f"git+{book.REPOSITORY}@{book.RELEASE}" in first.source, \
        f"{path.name}: the install cell must install the release rnnlib.book.RELEASE ({book.RELEASE}) " \
        f"from {book.REPOSITORY}, never a moving branch"
    assert "hide-input" in first.metadata.get("tags", []), f"{path.name}: hide the install cell's input"


def test_the_repository_is_named_once():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == book.REPOSITORY, \
        "_config.yml's repository.url (the launch buttons) differs from rnnlib.book.REPOSITORY"


def test_folded_cells_are_folded_in_jupyter_too(notebook):
    """What the book folds (setup, solutions) JupyterLab folds as well: the notebook is the book."""
    path, nb = notebook
    for i, cell in enumerate(nb.cells):
        if "hide-input" in cell.metadata.get("tags", []):
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, \
                f"{path.name}: cell {i} is folded on the site (hide-input) but not in Jupyter: " \
                "set metadata.jupyter.source_hidden"


def test_no_build_time_only_content(notebook):
    """No number filled in by {glue}, no code pulled in by literalinclude: outside the HTML
    build the reader would see the directive instead of the content."""
    path, nb = notebook
    for i, cell in enumerate(nb.cells):
        for marker in ("{glue", "literalinclude", "import glue"):
            assert marker not in cell.source, f"{path.name}: cell {i} uses {marker!r}"


def test_student_edition_folds_setup_and_shows_exercises(notebook, tmp_path):
    from rnnlib.coursework import release

    path, nb = notebook
    if "_lab_" not in path.name and "_assignment_" not in path.name:
        pytest.skip("only labs and assignments are handed out")
    [out] = release.release([path], tmp_path)
    student = nbformat.read(out, as_version=4)
    setup = code_cells(student)[1]
    assert setup.metadata.get("jupyter", {}).get("source_hidden") is True, \
        f"{path.name}: the student edition shows the setup cell unfolded"
    stubs = [c for c in student.cells if "raise NotImplementedError()" in c.source]
    assert stubs, f"{path.name}: no exercise stubs in the student edition"
    for cell in stubs:
        assert not cell.metadata.get("jupyter", {}).get("source_hidden"), \
            f"{path.name}: a cell the student must write in is folded"


def test_every_figure_has_caption_and_alt_text(notebook):
    path, nb = notebook
    for cell in code_cells(nb):
        if any("image/png" in o.get("data", {}) for o in cell.outputs):
            meta = cell.metadata.get("mystnb", {})
            caption = meta.get("figure", {}).get("caption", "")
            alt = meta.get("image", {}).get("alt", "")
            assert len(caption) > 20 and len(alt) > 20, \
                f"{path.name}: the figure drawn by `{cell.source.splitlines()[0]}` needs a caption and alt text"
            assert meta["figure"].get("name"), f"{path.name}: give the figure a name to refer to"


def test_exercises_mark_solutions_and_are_checked(notebook):
    path, nb = notebook
    cells = code_cells(nb)
    for i, cell in enumerate(cells):
        if "### BEGIN SOLUTION" in cell.source:
            assert "### END SOLUTION" in cell.source, f"{path.name}: unclosed solution in cell {i}"
            assert "hide-input" in cell.metadata.get("tags", []), \
                f"{path.name}: fold the solution in cell {i} (tag hide-input)"
            following = cells[i + 1].source if i + 1 < len(cells) else ""
            assert "checks." in following, f"{path.name}: the exercise in cell {i} has no checker after it"


def test_labs_and_assignments_carry_nbgrader_metadata(notebook):
    """So that `nbgrader generate_assignment` works on the source notebooks as they are."""
    import subprocess
    import sys

    path, _ = notebook
    if "_lab_" not in path.name and "_assignment_" not in path.name:
        pytest.skip("only labs and assignments are handed out")
    result = subprocess.run([sys.executable, "-m", "rnnlib.coursework", "annotate", "--check", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, (f"{path.name}: nbgrader metadata missing or stale; run "
                                    f"`python -m rnnlib.coursework annotate {path}`\n{result.stdout}{result.stderr}")


def test_no_claim_is_hidden_from_nbval(notebook):
    """A cell whose output nbval ignores must not carry a claim: the claims are what make the
    prose's numbers hold on every machine, so their cells are always compared."""
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb)):
        ignored = "nbval-ignore-output" in cell.metadata.get("tags", []) or "NBVAL_IGNORE_OUTPUT" in cell.source
        assert not (ignored and "claim(" in cell.source), \
            f"{path.name}: code cell {i} claims a number but nbval ignores its output"
