"""rnnlib.book: the helpers that keep a notebook's prose honest outside the HTML build."""

import pytest

from rnnlib import __version__, book
from rnnlib.book import below, claim, models_dir, show


def test_claim_passes_when_the_written_text_is_what_was_computed():
    acc = 0.5721
    claim("57.2%", f"{acc:.1%}")
    claim("5,163", f"{5163:,}")


def test_claim_names_the_claim_and_the_computed_value():
    with pytest.raises(AssertionError, match=r"the text says '57\.2%', but the cell computed '57\.3%'"):
        claim("57.2%", f"{0.573:.1%}")


def test_claim_wants_formatted_text_without_a_tolerance():
    with pytest.raises(TypeError, match="formatted text"):
        claim("57.2%", 0.572)
    with pytest.raises(TypeError, match="str"):
        claim(57.2, "57.2")


def test_banded_claim_checks_the_first_written_number_within_the_tolerance():
    claim("about 90%", 89.6, tolerance=1.5)
    claim("about 90%", 91.5, tolerance=1.5)
    claim("about 12,000 words", 11_900, tolerance=200)
    with pytest.raises(AssertionError, match=r"'about 90%'.*87.*more than 1.5 away from 90"):
        claim("about 90%", 87.0, tolerance=1.5)
    with pytest.raises(ValueError, match="no number"):
        claim("most of them", 0.9, tolerance=0.1)


def test_below_states_the_bound_after_checking_it():
    assert below(3.2e-9, 1e-7) == "< 1e-7"
    assert below(0.0, 1e-12) == "< 1e-12"
    with pytest.raises(AssertionError, match="below 1e-07, but it is 2e-07"):
        below(2e-7, 1e-7)
    with pytest.raises(AssertionError):
        below(float("nan"), 1e-7)


def _example(x):
    """A docstring with ``code`` and a fence: ```python```."""
    return x + 1


class _Example:
    def method(self):
        first = 1
        second = 2
        return first + second


def test_show_renders_the_source_as_highlighted_markdown_and_plain_text():
    listing = show(_example)
    assert repr(listing).startswith("def _example(x):") and repr(listing).endswith("return x + 1")
    markdown = listing._repr_markdown_()
    # the source holds a run of three backticks, so the fence must be longer
    assert markdown.startswith("````python\ndef _example(x):") and markdown.endswith("\n````")


def test_show_dedents_methods_and_starts_where_asked():
    assert repr(show(_Example.method)).startswith("def method(self):\n    first = 1")
    assert repr(show(_Example.method, start_at="second")) == "second = 2\nreturn first + second"
    with pytest.raises(ValueError, match="no line"):
        show(_Example.method, start_at="third")
    with pytest.raises(TypeError, match="one object"):
        show(_example, _Example.method, start_at="x")


def test_show_several_objects_and_bad_input():
    assert repr(show(_example, _Example.method)).count("def ") == 2
    with pytest.raises(TypeError, match="at least one"):
        show()
    with pytest.raises(TypeError, match="cannot find the source"):
        show(len)


def test_the_release_is_the_package_version():
    assert book.RELEASE == f"v{__version__}"
    assert book.REPOSITORY.startswith("https://")


def test_models_ship_inside_the_package():
    directory = models_dir()
    assert directory.parent.name == "rnnlib"
    assert len(list(directory.glob("*.npz"))) == 8 and (directory / "ngram_baselines.json").exists()
