"""A preprocessor for ``nbgrader generate_assignment``: prose solutions out.

nbgrader strips ``### BEGIN SOLUTION`` regions and hidden tests by itself, but knows
nothing of this book's prose solutions: cells tagged ``solution-only`` and sphinx-exercise
``{solution}`` blocks. Listed first among nbgrader's preprocessors (the instructor guide's
``nbgrader_config.py``, ``rnnlib.coursework.nbgrader_meta.NBGRADER_CONFIG``), it takes
them out before nbgrader records and checksums the cells. Needs nbconvert (nbgrader has it).
"""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from . import markers as mk


class RemoveProseSolutions(Preprocessor):
    """Drop ``solution-only`` cells and ``{solution}`` blocks of markdown cells."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells
                    if mk.TAG_SOLUTION_ONLY not in c.get("metadata", {}).get("tags", [])]
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = mk.strip_solution_directives(cell.source)
        return nb, resources
