"""The book's plotting style: one look for the chapters' figures, readable by colour-blind readers.

The palette is Okabe and Ito's eight colours, chosen to stay distinct under the common forms
of colour blindness. ``MARKERS`` and ``LINESTYLES`` are there so that a figure can vary line
style and markers too, and no curve has to be told apart by colour alone.
"""

import matplotlib as mpl

#: Okabe–Ito palette (black first), in the order figures use it.
COLORS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")


def use_book_style() -> None:
    """Set matplotlib's defaults for the book's figures."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.8),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "axes.prop_cycle": mpl.cycler(color=COLORS),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 10,
        "legend.frameon": False,
    })
