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
