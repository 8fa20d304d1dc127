r"""The book's diagrams, drawn in code: unrolled RNNs, the RNN and GRU cells, input/output
patterns, deep and bidirectional RNNs.

Every function returns a :class:`matplotlib.figure.Figure` (created through pyplot, so a
notebook shows it; nothing here calls ``plt.show()``). The figures share one look:

* inputs :math:`x^{\langle t\rangle}` are blue boxes, hidden states :math:`h^{\langle t\rangle}`
  orange, outputs :math:`\hat y^{\langle t\rangle}` green, gates (:math:`\sigma`) vermilion and
  operations (matrix products, :math:`\tanh`, softmax) grey; elementwise sums and products
  (:math:`+`, :math:`\odot`) are small white circles; an initial state has a dashed edge.
  The colours are Okabe and Ito's (:data:`rnnlib.plots.COLORS`), and every box also carries
  its label, so no figure relies on colour alone;
* arrows are dark grey; a line that crosses another is drawn with a white gap around it;
* the notation is the book's: time step in angle brackets, weights :math:`W_{hx}, W_{hh},
  W_{yh}`, biases :math:`b_h, b_y`, GRU gates :math:`\Gamma_u, \Gamma_r` and candidate
  :math:`\tilde h^{\langle t\rangle}`.

Geometry is in abstract units (a box is about 1.2 units wide); a figure is 0.6 in per unit,
shrunk to stay at most 8 in wide, and its font sizes follow the same scale, so text always fits
its boxes.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import matplotlib.pyplot as plt
from matplotlib import patheffects
from matplotlib.colors import to_rgb
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from .plots import COLORS

__all__ = ["unrolled_rnn", "rnn_cell", "io_patterns", "gru_cell", "deep_rnn",
           "bidirectional_rnn", "ACTIVATION_TEX"]

#: Activations :func:`rnn_cell` can draw, with their mathtext.
#: How each activation of :data:`rnnlib.ops.ACTIVATIONS` is written in a diagram.
ACTIVATION_TEX = {"tanh": r"\tanh", "relu": r"\mathrm{ReLU}", "sigmoid": r"\sigma"}

_INK = "#333333"                     # arrows, node edges, free text
_EDGE = {"x": COLORS[5], "h": COLORS[1], "y": COLORS[3], "gate": COLORS[4], "op": "#666666"}
_SCALE, _MAX_WIDTH = 0.6, 8.0        # inches per unit, widest figure in inches
_BOX = 0.26                          # text height in units: in boxes
_LABEL = 0.22                        # ... on arrows and in notes
_LW = 1.3


# ------------------------------------------------------------------------------ helpers
def _step(t) -> str:
    r"""``\langle t\rangle`` for a step label."""
    return rf"\langle {t}\rangle"


def _lighten(color, amount: float = 0.78) -> tuple:
    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _check_count(value, name: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``; a clear TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    if value > high:
        raise ValueError(f"{name} must be at most {high} (a wider diagram is not readable at "
                         f"the book's column width), got {value}")
    return int(value)


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


class _Shape(NamedTuple):
    """A drawn box or node: centre, size, and whether it is round (arrows stop at its edge)."""
    x: float
    y: float
    w: float
    h: float
    round: bool = False

    def edge(self, toward) -> tuple:
        """The point of the outline on the ray from the centre toward ``toward``."""
        dx, dy = toward[0] - self.x, toward[1] - self.y
        if dx == dy == 0:
            return (self.x, self.y)
        if self.round:
            t = (self.w / 2) / math.hypot(dx, dy)
        else:
            t = min(self.w / 2 / abs(dx) if dx else math.inf,
                    self.h / 2 / abs(dy) if dy else math.inf)
        return (self.x + t * dx, self.y + t * dy)


def _xy(p) -> tuple:
    return (p.x, p.y) if isinstance(p, _Shape) else tuple(p)


def _canvas(xlim, ylim, ax=None):
    """A figure with one axes showing ``xlim`` x ``ylim`` units at equal scale, axes off."""
    if ax is None:
        width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
        scale = min(_SCALE, _MAX_WIDTH / width)
        fig = plt.figure(figsize=(width * scale, height * scale))
        ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.apply_aspect()
    return ax.figure, ax


def _fs(ax, units: float) -> float:
    """Font size (points) of text ``units`` data units tall on ``ax``."""
    (x0, _), (x1, _) = ax.transData.transform([(0, 0), (1, 0)])
    return units * (x1 - x0) * 72 / ax.figure.dpi


def _text(ax, xy, s, size=_LABEL, **kw):
    kw = {"ha": "center", "va": "center", "color": _INK, **kw}
    return ax.text(*xy, s, fontsize=_fs(ax, size), zorder=4, **kw)


def _box(ax, xy, text, kind="h", w=1.2, h=0.75, dashed=False, size=_BOX) -> _Shape:
    """A rounded box of ``kind`` ('x', 'h', 'y', 'gate', 'op') centred at ``xy``, with ``text``."""
    edge = _EDGE[kind]
    ax.add_patch(FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h,
                                boxstyle=f"round,pad=0,rounding_size={min(w, h) * 0.22}",
                                facecolor=_lighten(edge), edgecolor=edge, linewidth=1.5,
                                linestyle="--" if dashed else "-", zorder=2))
    _text(ax, xy, text, size, color="black")
    return _Shape(xy[0], xy[1], w, h)


def _node(ax, xy, text, r=0.28) -> _Shape:
    """A small white circle holding an operator such as ``$+$`` or ``$\\odot$``."""
    ax.add_patch(Circle(xy, r, facecolor="white", edgecolor=_INK, linewidth=_LW, zorder=2))
    _text(ax, xy, text, 0.3, color="black")
    return _Shape(xy[0], xy[1], 2 * r, 2 * r, round=True)


def _dot(ax, xy):
    """A junction: a line splits here."""
    ax.add_patch(Circle(xy, 0.07, color=_INK, zorder=3))


_SIDES = {"above": ((0, 1), "center", "bottom"), "below": ((0, -1), "center", "top"),
          "left": ((-1, 0), "right", "center"), "right": ((1, 0), "left", "center")}


def _arrow(ax, start, end, label=None, style="-", *, side=None, rad=0.0, head=True,
           bridge=False, at=0.5, gap=0.12):
    """An arrow from ``start`` to ``end`` (points or shapes: it stops at a shape's edge).

    ``label`` is written beside the arrow at fraction ``at`` of its length, on ``side``
    ('above', 'below', 'left', 'right'; by default above a horizontal arrow and right of a
    vertical one). ``rad`` bends it; ``bridge`` draws a white gap where it crosses a line.
    """
    a, b = _xy(start), _xy(end)
    p = start.edge(b) if isinstance(start, _Shape) else a
    q = end.edge(a) if isinstance(end, _Shape) else b
    arrow = FancyArrowPatch(p, q, arrowstyle="-|>" if head else "-", linestyle=style,
                            mutation_scale=_fs(ax, 0.32), color=_INK, linewidth=_LW,
                            shrinkA=0, shrinkB=0.5 if head else 0,
                            connectionstyle=f"arc3,rad={rad}", zorder=1.5 if bridge else 1)
    if bridge:
        arrow.set_path_effects([patheffects.withStroke(linewidth=7, foreground="white")])
    ax.add_patch(arrow)
    if label is not None:
        if side is None:
            side = "above" if abs(q[0] - p[0]) >= abs(q[1] - p[1]) else "right"
        (ux, uy), ha, va = _SIDES[side]
        mid = (p[0] + at * (q[0] - p[0]), p[1] + at * (q[1] - p[1]))
        _text(ax, (mid[0] + ux * gap, mid[1] + uy * gap), label, ha=ha, va=va)
    return arrow


def _wire(ax, points, head=True):
    """A polyline through ``points``, with an arrowhead on its last segment if ``head``."""
    body = points[:-1] if head else points
    ax.plot(*zip(*body), color=_INK, linewidth=_LW, solid_capstyle="butt", zorder=1)
    if head:
        _arrow(ax, points[-2], points[-1])


def _self_loop(ax, box: _Shape, label=None):
    """A loop leaving ``box`` on the right and coming back into it: the recurrence."""
    x, y = box.x + box.w / 2, box.y
    path = Path([(x, y + 0.18), (x + 1.1, y + 0.95), (x + 1.1, y - 0.95), (x, y - 0.18)],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=_fs(ax, 0.32),
                                 color=_INK, linewidth=_LW, zorder=1))
    if label is not None:
        _text(ax, (x + 0.95, y), label, ha="left")


# ------------------------------------------------------------------------------ diagrams
def unrolled_rnn(steps=4, show_outputs=True, show_weights=True, folded=True, ellipsis=True):
    r"""A simple RNN folded (a cell with a loop) and unrolled over time.

    The unrolled chain starts from :math:`h^{\langle 0\rangle}` and draws ``steps`` columns
    :math:`x^{\langle t\rangle} \to h^{\langle t\rangle} \to \hat y^{\langle t\rangle}`, with
    :math:`h^{\langle t-1\rangle} \to h^{\langle t\rangle}` between them; the arrows carry
    :math:`W_{hx}, W_{hh}, W_{yh}`, the same matrices at every step.

    Parameters
    ----------
    steps : int, 1 to 6
        Time steps drawn.
    show_outputs : bool
        Draw the outputs :math:`\hat y^{\langle t\rangle}` and the :math:`W_{yh}` arrows.
    show_weights : bool
        Label the arrows with the weights and note that they are shared across time.
    folded : bool
        Draw the folded RNN (one cell with a self-loop) and "=" on the left.
    ellipsis : bool
        Label the last step :math:`T` with :math:`\cdots` before it, so the figure stands for
        any length (steps 1, ..., ``steps``-1, ..., T; with ``steps=1`` there is no ellipsis);
        if False, label the steps 1 to ``steps``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps = _check_count(steps, "steps", 1, 6)
    for name, flag in [("show_outputs", show_outputs), ("show_weights", show_weights),
                       ("folded", folded), ("ellipsis", ellipsis)]:
        _check_flag(flag, name)
    if ellipsis and steps >= 2:
        labels = [str(t) for t in range(1, steps)] + [None, "T"]
    else:
        labels = [str(t) for t in range(1, steps + 1)]
    yx, yh, yy = 0.0, 1.9, 3.8
    S = 2.3                                   # column spacing
    x0 = 4.0 if folded else 0.0               # h^<0>
    right = x0 + S * len(labels) + 0.8
    top = (yy if show_outputs else yh) + 0.6
    width = right + 0.8
    lines = 1 if width >= 8 else 2 if width >= 5.5 else 3    # of the note on shared weights
    bottom = -0.7 - 0.42 * lines if show_weights else -0.6
    fig, ax = _canvas((-0.8, right), (bottom, top))
    w = (lambda s: s) if show_weights else (lambda s: None)

    if folded:
        h = _box(ax, (0, yh), rf"$h^{{{_step('t')}}}$", "h")
        _arrow(ax, _box(ax, (0, yx), rf"$x^{{{_step('t')}}}$", "x"), h, w(r"$W_{hx}$"))
        if show_outputs:
            _arrow(ax, h, _box(ax, (0, yy), rf"$\hat y^{{{_step('t')}}}$", "y"), w(r"$W_{yh}$"))
        _self_loop(ax, h, w(r"$W_{hh}$"))
        _text(ax, (x0 - 1.4, yh), "$=$", 0.45)

    prev = _box(ax, (x0, yh), rf"$h^{{{_step(0)}}}$", "h", dashed=True)
    for i, t in enumerate(labels):
        xc = x0 + S * (i + 1)
        if t is None:                          # the gap before step T
            for y in [yx, yh] + ([yy] if show_outputs else []):
                _text(ax, (xc, y), r"$\cdots$", 0.4)
            dots = _Shape(xc, yh, 0.7, 0.3)
            _arrow(ax, prev, dots, w(r"$W_{hh}$"))
            prev = dots
            continue
        h = _box(ax, (xc, yh), rf"$h^{{{_step(t)}}}$", "h")
        _arrow(ax, prev, h, w(r"$W_{hh}$"))
        _arrow(ax, _box(ax, (xc, yx), rf"$x^{{{_step(t)}}}$", "x"), h, w(r"$W_{hx}$"))
        if show_outputs:
            _arrow(ax, h, _box(ax, (xc, yy), rf"$\hat y^{{{_step(t)}}}$", "y"), w(r"$W_{yh}$"))
        prev = h
    if show_weights:
        words = ([r"the same $W_{hx}$, $W_{hh}$, $W_{yh}$", r"(and $b_h$, $b_y$)"] if show_outputs
                 else [r"the same $W_{hx}$, $W_{hh}$", r"(and $b_h$)"]) + ["at every step"]
        seps = {1: (" ", " "), 2: (" ", "\n"), 3: ("\n", "\n")}[lines]
        note = words[0] + seps[0] + words[1] + seps[1] + words[2]
        _text(ax, ((right - 0.8) / 2, -0.6), note, style="italic", va="top", linespacing=1.5)
    return fig


def rnn_cell(activation="tanh"):
    r"""One step of a simple RNN in detail.

    :math:`h^{\langle t-1\rangle}` and :math:`x^{\langle t\rangle}` are multiplied by their own
    matrices; the two products and :math:`b_h` are **added** (a "+" node), the activation
    :math:`g` gives :math:`h^{\langle t\rangle}`, which goes on to the next step and up to
    :math:`\hat y^{\langle t\rangle} = \mathrm{softmax}(W_{yh} h^{\langle t\rangle} + b_y)`.

    Parameters
    ----------
    activation : {'tanh', 'relu', 'sigmoid'}
        The activation :math:`g` written in the cell.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if activation not in ACTIVATION_TEX:
        raise ValueError(f"activation must be one of {sorted(ACTIVATION_TEX)}, got {activation!r}")
    g_tex = ACTIVATION_TEX[activation]
    fig, ax = _canvas((-2.9, 11.3), (-3.0, 6.5))
    y0 = 2.6
    # the cell's boundary
    ax.add_patch(FancyBboxPatch((1.45, -0.05), 6.05, 4.85, boxstyle="round,pad=0,rounding_size=0.3",
                                facecolor="none", edgecolor="#999999", linestyle=":",
                                linewidth=1.2, zorder=0))
    _text(ax, (1.65, 4.55), "RNN cell", ha="left", color="#666666", style="italic")

    h_prev = _box(ax, (0, y0), rf"$h^{{{_step('t-1')}}}$", "h", w=1.5)
    _arrow(ax, (-2.85, y0), h_prev, "from step $t-1$", at=0.45)
    whh = _box(ax, (2.75, y0), rf"$W_{{hh}}\, h^{{{_step('t-1')}}}$", "op", w=1.9)
    plus = _node(ax, (4.85, y0), "$+$")
    x = _box(ax, (4.85, -1.0), rf"$x^{{{_step('t')}}}$", "x")
    whx = _box(ax, (4.85, 0.8), rf"$W_{{hx}}\, x^{{{_step('t')}}}$", "op", w=1.9)
    bias = _box(ax, (4.85, 3.95), r"$b_h$", "op", w=0.8, h=0.6)
    act = _box(ax, (6.55, y0), f"$g = {g_tex}$", "op", w=1.45)
    h = _box(ax, (8.85, y0), rf"$h^{{{_step('t')}}}$", "h")
    soft = _box(ax, (8.85, 4.25), r"$\mathrm{softmax}$", "op", w=1.6)
    y = _box(ax, (8.85, 5.85), rf"$\hat y^{{{_step('t')}}}$", "y")
    for a, b in [(h_prev, whh), (whh, plus), (x, whx), (whx, plus), (bias, plus), (plus, act),
                 (act, h)]:
        _arrow(ax, a, b)
    _arrow(ax, h, soft, r"$W_{yh}$, $b_y$")
    _arrow(ax, soft, y)
    _arrow(ax, h, (11.2, y0), "to step $t+1$", at=0.55)
    _text(ax, (4.5, -2.05), rf"$h^{{{_step('t')}}} = {g_tex}(W_{{hh}} h^{{{_step('t-1')}}}"
          rf" + W_{{hx}} x^{{{_step('t')}}} + b_h)$", _BOX)
    _text(ax, (4.5, -2.7), rf"$\hat y^{{{_step('t')}}} = \mathrm{{softmax}}(W_{{yh}}"
          rf" h^{{{_step('t')}}} + b_y)$", _BOX)
    return fig


def _pattern(ax, n, inputs, outputs, title, task, feedback=False, split=None):
    """One panel of :func:`io_patterns`: ``n`` steps, x at steps ``inputs``, y at ``outputs``."""
    S, yx, yh, yy = 1.3, 0.75, 1.95, 3.15
    width = ax.get_xlim()[1]
    first = (width - S * (n - 1)) / 2
    _text(ax, (width / 2, 4.4), title, 0.24, weight="bold")
    _text(ax, (width / 2, 3.95), task, _LABEL, style="italic")
    prev = prev_y = None
    for t in range(n):
        xc = first + S * t
        h = _box(ax, (xc, yh), "$h$", "h", w=0.8, h=0.55, size=0.24)
        if prev is not None:
            _arrow(ax, prev, h)
        if t in inputs:
            _arrow(ax, _box(ax, (xc, yx), "$x$", "x", w=0.8, h=0.55, size=0.24), h)
        if feedback and prev_y is not None:
            _arrow(ax, prev_y, h, style="--")
        prev, prev_y = h, None
        if t in outputs:
            prev_y = _box(ax, (xc, yy), r"$\hat y$", "y", w=0.8, h=0.55, size=0.24)
            _arrow(ax, h, prev_y)
    if split is not None:
        for name, lo, hi in [("encoder", 0, split - 1), ("decoder", split, n - 1)]:
            _text(ax, (first + S * (lo + hi) / 2, 0.12), name, style="italic")


def io_patterns():
    r"""The input/output patterns of RNNs, one panel each, with a typical task.

    *one-to-one* (a plain network, no recurrence), *one-to-many* (name generation: one input,
    an output at every step, each output fed back as the next input, dashed), *many-to-one*
    (name classification: an output after the last input), *many-to-many* with equal lengths
    (tagging) and *encoder–decoder* (translation: read the whole input, then write the output).

    Returns
    -------
    matplotlib.figure.Figure
        Five axes: three panels on top, tagging and the (double-width) encoder–decoder below.
    """
    W, H, gap = 5.4, 4.8, 0.4                     # a panel in units
    fw, fh = 3 * W + 2 * gap, 2 * H + gap
    scale = min(_SCALE, _MAX_WIDTH / fw)
    fig = plt.figure(figsize=(fw * scale, fh * scale))
    panels = [(0, H + gap, W), (W + gap, H + gap, W), (2 * (W + gap), H + gap, W),
              (0, 0, W), (W + gap, 0, 2 * W + gap)]
    axes = []
    for x0, y0, w in panels:
        ax = fig.add_axes((x0 / fw, y0 / fh, w / fw, H / fh))
        _canvas((0, w), (0, H), ax)
        axes.append(ax)
    _pattern(axes[0], 1, {0}, {0}, "one-to-one", "a plain network")
    _pattern(axes[1], 4, {0}, {0, 1, 2, 3}, "one-to-many", "name generation", feedback=True)
    _pattern(axes[2], 4, {0, 1, 2, 3}, {3}, "many-to-one", "name classification")
    _pattern(axes[3], 4, {0, 1, 2, 3}, {0, 1, 2, 3}, "many-to-many (same length)", "tagging")
    _pattern(axes[4], 7, {0, 1, 2, 3}, {4, 5, 6}, "many-to-many (encoder–decoder)",
             "translation", feedback=True, split=4)
    return fig


def gru_cell(reset_after=False):
    r"""The GRU cell in the book's convention.

    :math:`h^{\langle t-1\rangle}` runs along the top (the memory line) to
    :math:`h^{\langle t\rangle}`, where it is interpolated with the candidate:
    :math:`h^{\langle t\rangle} = \Gamma_u \odot \tilde h^{\langle t\rangle}
    + (1 - \Gamma_u) \odot h^{\langle t-1\rangle}`. Below it, two :math:`\sigma` boxes read
    :math:`[h^{\langle t-1\rangle}; x^{\langle t\rangle}]` and give the gates
    :math:`\Gamma_r` (relevance/reset) and :math:`\Gamma_u` (update); the :math:`\tanh` box
    gives :math:`\tilde h^{\langle t\rangle} = \tanh(W_c [\Gamma_r \odot h^{\langle t-1\rangle};
    x^{\langle t\rangle}] + b_c)`.

    Parameters
    ----------
    reset_after : bool
        Draw the variant of cuDNN, PyTorch and Keras (``reset_after=True``), where the reset gate
        multiplies :math:`W_{ch} h^{\langle t-1\rangle} + b_{ch}`, after the product, and say so
        in a note.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_flag(reset_after, "reset_after")
    d = 1.5 if reset_after else 0.0              # room for the W_ch box
    mem, bus, xline, yr = 7.0, 1.0, 0.3, 3.4    # heights: memory line, [h; x] bus, x, reset path
    drop, cx = 1.4, 2.4                          # columns: h^<t-1> drop, x
    cr, cu, cc = 3.5 + d, 6.7 + d, 10.1 + d      # columns: Gamma_r, Gamma_u, candidate
    fig, ax = _canvas((-0.95, 13.35 + d), (-1.95 if reset_after else -1.1, 7.75))

    h_prev = _box(ax, (0, mem), rf"$h^{{{_step('t-1')}}}$", "h", w=1.5)
    h_new = _box(ax, (12.5 + d, mem), rf"$h^{{{_step('t')}}}$", "h", w=1.5)
    x = _box(ax, (cx, -0.6), rf"$x^{{{_step('t')}}}$", "x")
    m = _node(ax, (cu, mem), r"$\odot$")
    p = _node(ax, (cc, mem), "$+$")
    # memory line: h^<t-1> -> (1 - Gamma_u) * . -> + Gamma_u * h~ -> h^<t>
    _arrow(ax, h_prev, m)
    _arrow(ax, m, p, rf"$(1-\Gamma_u)\odot h^{{{_step('t-1')}}}$")
    _arrow(ax, p, h_new)
    # h^<t-1> drops down, x^<t> comes up: together they are the bus [h^<t-1>; x^<t>]
    _wire(ax, [(drop, mem), (drop, bus), (cu, bus)], head=False)
    for xy in [(drop, mem), (drop, yr), (cx, bus), (cx, xline), (cr, bus)]:
        _dot(ax, xy)
    _arrow(ax, x, (cx, bus), head=False)
    _text(ax, ((cr + cu) / 2, bus + 0.12), rf"$[h^{{{_step('t-1')}}};\, x^{{{_step('t')}}}]$",
          va="bottom")
    # the gates
    gr = _box(ax, (cr, 2.1), r"$\sigma$", "gate", w=1.0)
    gu = _box(ax, (cu, 2.1), r"$\sigma$", "gate", w=1.0)
    _text(ax, (cr - 0.6, 2.1), r"$W_r,\ b_r$", ha="right")
    _text(ax, (cu - 0.6, 2.1), r"$W_u,\ b_u$", ha="right")
    _arrow(ax, (cr, bus), gr)
    _arrow(ax, (cu, bus), gu)
    r = _node(ax, (cr, yr), r"$\odot$")
    _arrow(ax, gr, r, r"$\Gamma_r$", gap=0.1)
    if reset_after:
        wch = _box(ax, (drop + 1.6, yr), r"$W_{ch}\,\cdot + b_{ch}$", "op", w=1.9, size=_LABEL)
        _arrow(ax, (drop, yr), wch)
        _arrow(ax, wch, r)
    else:
        _arrow(ax, (drop, yr), r)
    # the update gate: up to 1 - Gamma_u on the memory line, and right to Gamma_u * h~
    j = (cu, 4.8)
    _wire(ax, [gu.edge(j), j], head=False)
    _dot(ax, j)
    one_minus = _box(ax, (cu, 5.85), r"$1-\,\cdot$", "op", w=0.85, h=0.5, size=_LABEL)
    _arrow(ax, j, one_minus)
    _arrow(ax, one_minus, m)
    g = _node(ax, (cc, 4.8), r"$\odot$")
    _arrow(ax, j, g, r"$\Gamma_u$")
    _arrow(ax, g, p, rf"$\Gamma_u\odot\tilde h^{{{_step('t')}}}$", gap=0.1)
    # the candidate: [Gamma_r * h^<t-1>; x^<t>] -> tanh -> h~
    cand = _box(ax, (cc, yr), r"$\tanh$", "op", w=1.2)
    _arrow(ax, r, cand, None if reset_after else rf"$\Gamma_r\odot h^{{{_step('t-1')}}}$",
           bridge=True, at=0.3)
    _wire(ax, [(cx, xline), (cc, xline), cand.edge((cc, xline))])
    _text(ax, (cc + 0.7, yr), r"$W_{cx},\ b_{cx}$" if reset_after else r"$W_c,\ b_c$",
          ha="left")
    _arrow(ax, cand, g, rf"$\tilde h^{{{_step('t')}}}$", gap=0.1)
    if reset_after:
        _text(ax, ((13.35 + d - 0.95) / 2, -1.55),
              r"reset_after=True (cuDNN, PyTorch, Keras): $\tilde h^{\langle t\rangle} = "
              r"\tanh(W_{cx} x^{\langle t\rangle} + b_{cx} + \Gamma_r \odot "
              r"(W_{ch} h^{\langle t-1\rangle} + b_{ch}))$", style="italic")
    return fig


def deep_rnn(layers=3, steps=3):
    r"""A deep (stacked) RNN: layer :math:`l`'s state :math:`h^{[l]\langle t\rangle}` is the
    input of layer :math:`l+1` at the same step, and goes on to step :math:`t+1` in its layer.

    Parameters
    ----------
    layers : int, 1 to 5
        Recurrent layers stacked.
    steps : int, 1 to 6
        Time steps drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    layers = _check_count(layers, "layers", 1, 5)
    steps = _check_count(steps, "steps", 1, 6)
    S, R = 2.5, 1.7                               # column spacing, row spacing
    mid, half = (S * steps + 1.0) / 2, max(S * steps + 2.8, 8.6) / 2   # room for the note
    fig, ax = _canvas((mid - half, mid + half), (-1.6, R * (layers + 1) + 0.6))
    below = [_box(ax, (S * (t + 1), 0), rf"$x^{{{_step(t + 1)}}}$", "x") for t in range(steps)]
    for l in range(1, layers + 1):
        prev = _box(ax, (0, R * l), rf"$h^{{[{l}]{_step(0)}}}$", "h", w=1.5, dashed=True)
        row = []
        for t in range(1, steps + 1):
            h = _box(ax, (S * t, R * l), rf"$h^{{[{l}]{_step(t)}}}$", "h", w=1.5)
            _arrow(ax, prev, h)
            _arrow(ax, below[t - 1], h)
            prev = h
            row.append(h)
        _text(ax, (S * steps + 0.95, R * l), f"layer {l}", ha="left", style="italic")
        below = row
    for t in range(1, steps + 1):
        _arrow(ax, below[t - 1], _box(ax, (S * t, R * (layers + 1)),
                                      rf"$\hat y^{{{_step(t)}}}$", "y"))
    _text(ax, (mid, -0.85), r"layer $l$ has its own $W_{hh}^{[l]}$, "
          r"$W_{hx}^{[l]}$, $b_h^{[l]}$, shared across time;", style="italic")
    _text(ax, (mid, -1.3), r"its input is $h^{[l-1]\langle t\rangle}$, with "
          r"$h^{[0]\langle t\rangle} = x^{\langle t\rangle}$", style="italic")
    return fig


def bidirectional_rnn(steps=4):
    r"""A bidirectional RNN: a forward row reads :math:`x^{\langle 1\rangle}, \ldots`
    left to right, a backward row reads them right to left, and each output sees both:
    :math:`\hat y^{\langle t\rangle} = g(W_y [\overrightarrow{h}^{\langle t\rangle};
    \overleftarrow{h}^{\langle t\rangle}] + b_y)`.

    Parameters
    ----------
    steps : int, 1 to 5
        Time steps drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps = _check_count(steps, "steps", 1, 5)
    S, off = 2.6, 0.6                       # column spacing, offset of the two rows' boxes
    yx, yf, yb, yy = 0.0, 1.9, 3.4, 5.3
    right = S * (steps + 1) + off + 0.75
    fig, ax = _canvas((-2.55, right), (-0.6, 6.55))
    def arrow_h(direction, t):               # {} keeps the step index beside the arrow
        return rf"$\over{direction}arrow{{h}}{{}}^{{{_step(t)}}}$"

    fwd = _box(ax, (-off, yf), arrow_h("right", 0), "h", dashed=True)
    bwd = _box(ax, (S * (steps + 1) + off, yb), arrow_h("left", steps + 1), "h", dashed=True)
    _text(ax, (-off - 0.75, yf), "forward", ha="right", style="italic")
    _text(ax, (-off - 0.75, yb), "backward", ha="right", style="italic")
    fs, bs = [], []
    for t in range(1, steps + 1):
        fs.append(_box(ax, (S * t - off, yf), arrow_h("right", t), "h"))
        bs.append(_box(ax, (S * t + off, yb), arrow_h("left", t), "h"))
    for t in range(steps):                   # the two chains
        _arrow(ax, fwd, fs[t])
        fwd = fs[t]
    for t in reversed(range(steps)):
        _arrow(ax, bwd, bs[t])
        bwd = bs[t]
    for t in range(steps):                   # inputs and outputs, crossing the chains
        xc = S * (t + 1)
        x = _box(ax, (xc, yx), rf"$x^{{{_step(t + 1)}}}$", "x")
        y = _box(ax, (xc, yy), rf"$\hat y^{{{_step(t + 1)}}}$", "y")
        _arrow(ax, x, fs[t])
        _arrow(ax, x, bs[t], bridge=True)
        _arrow(ax, fs[t], y, bridge=True)
        _arrow(ax, bs[t], y)
    _text(ax, ((right - 2.55) / 2, 6.2), r"$\hat y^{\langle t\rangle} = g(W_y\,"
          r"[\overrightarrow{h}{}^{\langle t\rangle};\, \overleftarrow{h}{}^{\langle t\rangle}]"
          r" + b_y)$", _BOX)
    return fig
