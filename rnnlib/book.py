"""What the chapter notebooks need beyond the library: checked numbers, code listings, the
release they install, and the trained models.

The notebook is the primary form of every chapter, so nothing here depends on the HTML build:
a number the prose states is written in the prose and asserted with :func:`claim`; library
code the prose discusses is printed by :func:`show`, as a stored output that nbval compares.
"""

import inspect
import re
from importlib import resources
from pathlib import Path

from rnnlib import __version__

#: Where the book's source lives, and the release of it that a notebook on Colab installs.
#: ``_config.yml``'s ``repository.url`` and every notebook's install cell are tested equal
#: to these (``tests/test_notebooks.py``), so the version is named once: ``__version__``.
REPOSITORY = "https://github.com/rnnlib/sequence-models-book"
RELEASE = f"v{__version__}"

_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def claim(written: str, computed, *, tolerance: float | None = None) -> None:
    """Assert that a number the prose writes is the one the cell computed.

    Exact form: ``claim("57.2%", f"{acc:.1%}")`` compares the written text with the computed
    text, character for character, so the prose shows exactly what the code rounds to.

    Banded form, for results that move in their last digits from one machine to another (a
    trained model's accuracy, say): ``claim("about 99%", 100 * acc, tolerance=1.5)`` checks
    that the first number written (here 99) is within ``tolerance`` of ``computed``, in the
    units written.

    Raises
    ------
    AssertionError
        naming the written claim and the computed value.
    """
    if not isinstance(written, str):
        raise TypeError(f"claim: `written` must be the text of the prose (str), got {type(written).__name__}")
    if tolerance is None:
        if not isinstance(computed, str):
            raise TypeError("claim: without a tolerance, `computed` must be formatted text "
                            f"(an f-string rounded as the prose rounds it), got {type(computed).__name__} "
                            f"{computed!r}")
        if written != computed:
            raise AssertionError(f"the text says {written!r}, but the cell computed {computed!r}")
        return
    match = _NUMBER.search(written)
    if match is None:
        raise ValueError(f"claim: no number in the written text {written!r}")
    stated = float(match.group().replace(",", ""))
    if not abs(float(computed) - stated) <= tolerance:
        raise AssertionError(f"the text says {written!r}, but the cell computed {float(computed):.6g}, "
                             f"more than {tolerance:g} away from {stated:g}")


def below(value: float, limit: float) -> str:
    """The text ``"< 1e-7"`` (for ``limit=1e-7``) to print for an error that must stay under
    ``limit``, after checking that it does.

    An error at the level of rounding (a gradient check's relative error, the difference of
    two ways to add the same numbers) can come out differently from one CPU or BLAS library to
    another; a bound can hold on all of them, so that is what a notebook prints.
    """
    if not float(value) < limit:
        raise AssertionError(f"the text says the error is below {limit:.0e}, but it is {float(value):.3g}")
    return f"< {limit:.0e}".replace("e-0", "e-")


class Listing:
    """Source code shown in a notebook: Markdown with a Python code block (highlighted by
    JupyterLab, Colab and the HTML book alike), plain text where Markdown is not rendered."""

    def __init__(self, sources: list[str]):
        self.sources = sources

    def __repr__(self) -> str:
        return "\n\n".join(self.sources)

    def _repr_markdown_(self) -> str:
        blocks = []
        for source in self.sources:
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source)), default=0))
            blocks.append(f"{fence}python\n{source}\n{fence}")
        return "\n\n".join(blocks)


def show(*objects, start_at: str | None = None) -> Listing:
    """The source of each function, method or class in ``objects``, for a notebook to display.

    ``start_at`` shows a single object's source from the first line that contains it, for
    when the prose discusses only the end of a long function.
    """
    if not objects:
        raise TypeError("show: give at least one function, method or class")
    sources = []
    for obj in objects:
        try:
            source = inspect.getsource(obj)
        except (TypeError, OSError) as error:
            raise TypeError(f"show: cannot find the source of {obj!r}: {error}") from None
        source = inspect.cleandoc("\n" + source) if source[:1].isspace() else source.rstrip("\n")
        sources.append(source)
    if start_at is not None:
        if len(sources) != 1:
            raise TypeError(f"show: start_at applies to one object, got {len(sources)}")
        lines = sources[0].splitlines()
        hits = [i for i, line in enumerate(lines) if start_at in line]
        if not hits:
            raise ValueError(f"show: no line of {objects[0].__qualname__} contains {start_at!r}")
        sources = [inspect.cleandoc("\n" + "\n".join(lines[hits[0]:]))]
    return Listing(sources)


def models_dir() -> Path:
    """The folder of chapter 12's trained language models, shipped inside the package.

    They are package data (``rnnlib/models``) rather than a download: they travel with the
    exact code that reads them, work offline, and need no server kept alive.
    """
    directory = Path(str(resources.files("rnnlib") / "models"))
    if not (directory / "ngram_baselines.json").exists():
        raise FileNotFoundError(f"the trained models are not in {directory}: they ship with rnnlib "
                                "(install it from the book's repository or a release), or retrain "
                                "them with `make models`")
    return directory
