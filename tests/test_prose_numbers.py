"""Every number the prose states was computed: each decimal, percentage or figure with a
thousands separator in a notebook's markdown is the written form of a ``claim`` in the same
notebook (``rnnlib.book.claim("57.2%", f"{acc:.1%}")``), or is listed below as not a result.

The claims themselves are asserted when nbval runs the notebook; this test makes sure that no
number escapes them.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "appendix").glob("*.ipynb"))

# A decimal (3.4, .5 is not prose), a percentage (57%, 0.2%), or a figure with thousands
# separators (5,163). Plain integers ("chapter 7", "n_h = 64") are not results by this rule.
NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|\d+\.\d+%?|\d+%)(?![\w])")

# Numbers in the prose that are not results of the notebook's code: settings, constants of a
# definition, quotations. Keep each list short and say why.
NOT_RESULTS: dict[str, set[str]] = {
    # Adam's usual betas; the two learning rates and the step count the cells are run with
    "01_neural_networks_from_scratch": {"0.9", "0.999", "0.5", "0.01", "1,500"},
    # the coverage the exercise asks for, a coverage value and the decision threshold
    "02_assignment_classification": {"90%", "1.0", "0.5"},
    # the proof's thresholds; sizes of the experiment and of the exercises; 1,000 + 1
    "04_recurrent_neural_networks": {"0.1", "0.9", "1,000", "1,001", "3,000", "5,000"},
    # sampling temperatures and a training length the cells are run with
    "05_applications_of_rnns": {"0.5", "1.5", "1,000", "0.05"},
    # the saturation threshold, and tanh' = 1 - 0.99**2 at it
    "06_lab_hidden_state_activation": {"0.99", "0.02"},
    # the eigenvalue the example is built with; an exercise's vocabulary size
    "06_math_in_simple_rnns": {"1.3", "10,000"},
    # spectral radii the experiments and exercises are run with
    "07_cost_function_for_rnns": {"0.9", "0.95", "1.1", "1.2", "1.5"},
    # the two smoothing weights of the figure; a section number of a cited book
    "08_implementation_note_scan": {"0.05", "0.3", "10.1"},
    # test-set size, chance level of a four-way choice, sigma(-2) quoted in the text
    "09_gated_recurrent_units": {"2,000", "25%", "0.12"},
    # a bound, asserted in the cell that computes the share
    "09_lab_vanilla_rnns_grus_and_scan": {"1%"},
    # the test-sample size and an exercise's training length
    "10_deep_and_bidirectional_rnns": {"3,000", "2,000"},
    # Shannon's (1951) published estimates; the toy model's settings; the exercises' data and
    # their worked answers (ln 8, 5.5 x 1.5)
    "11_calculating_perplexity": {"4.03", "3.32", "3.1", "0.6", "1.3", "100,000", "0.01", "1,000",
                                  "1.5", "5.5", "2.08", "8.25"},
    # the split's definition; gains reported in the cited papers; sample sizes; a temperature
    "12_training_language_models": {"80%", "10%", "20%", "40%", "100,000", "1,500", "0.8"},
    # Keras's documented default range for initialising embeddings (not computable without Keras)
    "from_book_to_framework": {"0.05"},
}


def prose_numbers(nb) -> list[str]:
    numbers = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"```.*?```", "", cell.source, flags=re.S)      # code blocks are not prose
        text = re.sub(r"\]\([^)]*\)", "]", text)                        # link targets
        text = re.sub(r"\{(?:numref|eq|doc|cite|ref)\}`[^`]*`", "", text)
        numbers += NUMBER.findall(text)
    return numbers


def claimed_numbers(nb) -> set[str]:
    """Every number in the written text of a ``claim`` call with a literal first argument."""
    covered = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "claim(" not in cell.source:
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "claim" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                covered.update(NUMBER.findall(node.args[0].value))
    return covered


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_number_in_the_prose_is_claimed(path):
    nb = nbformat.read(path, as_version=4)
    allowed = claimed_numbers(nb) | NOT_RESULTS.get(path.stem, set())
    uncovered = sorted(set(prose_numbers(nb)) - allowed, key=lambda s: float(s.strip("%").replace(",", "")))
    assert not uncovered, (f"{path.name}: the prose states {', '.join(uncovered)}, which no claim(...) "
                           "in the notebook asserts; assert each where it is computed, or list it "
                           "in NOT_RESULTS if it is not a result")


def test_allowlist_names_real_notebooks_and_numbers():
    stems = {p.stem: p for p in NOTEBOOKS}
    for stem, numbers in NOT_RESULTS.items():
        assert stem in stems, f"NOT_RESULTS names {stem}, which is not a notebook"
        stale = numbers - set(prose_numbers(nbformat.read(stems[stem], as_version=4)))
        assert not stale, f"{stem}: NOT_RESULTS lists {sorted(stale)}, which the prose no longer states"


def test_the_number_pattern():
    text = "57.2% and 0.2%, 5,163 names, 3.4 nats, 12,345.5 units, 7 steps, x1.5, chapter 10, 90%"
    assert NUMBER.findall(text) == ["57.2%", "0.2%", "5,163", "3.4", "12,345.5", "90%"]
