"""Small helpers for the book's notebooks."""


def glue(name: str, value, display: bool = False) -> None:
    """Record ``value`` under ``name`` so the prose can show it with ``{glue:text}`name```.

    Delegates to ``myst_nb.glue`` when the book's environment is installed; elsewhere (a
    notebook opened on Colab, say) the value only stays in the notebook, which runs the same.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=display)


def models_dir():
    """The repository's ``models/`` folder, where the trained language models of chapter 12 ship.

    Looked for beside the installed ``rnnlib`` package (a clone of the repository), then in
    the current directory and its parent.
    """
    from pathlib import Path

    candidates = [Path(__file__).resolve().parent.parent / "models", Path.cwd() / "models",
                  Path.cwd().parent / "models"]
    for directory in candidates:
        if (directory / "ngram_baselines.json").exists():
            return directory
    raise FileNotFoundError("the trained models were not found in "
                            + ", ".join(str(d) for d in candidates)
                            + ": they ship in the models/ folder of the book's repository; "
                            "clone it, or train them with scripts/book_models.sh")
