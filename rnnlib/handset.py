r"""Recurrent networks whose weights are set by hand, and the strings they read.

A trained network's weights are hard to read; a few hand-set ones show what a hidden state
*can* do. The recurrent network of :func:`seen_symbol_rnn` has one sigmoid unit whose large
weights make it act like a switch: it turns on when it reads a chosen symbol and then stays
on, whatever follows, at every length. Its state answers the question "has the symbol
appeared so far (at this step or any earlier one)?", which no n-gram model of a fixed order
can answer once the symbol lies further back than its window.

The parameters use the names and shapes of :mod:`rnnlib.rnn` (``W_hx`` is ``(n_h, n_x)``,
``W_hh`` is ``(n_h, n_h)``, ``b_h`` is ``(n_h,)``) and :mod:`rnnlib.layers` (a dense
read-out ``W`` of shape ``(n_y, n_h)`` and ``b``), so :func:`rnnlib.rnn.rnn_forward` and
:func:`rnnlib.layers.dense_forward` run them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["one_hot_strings", "seen_symbol_rnn", "seen_symbol_readout"]


def _check_alphabet(alphabet) -> str:
    if isinstance(alphabet, (list, tuple)) and all(isinstance(a, str) for a in alphabet):
        alphabet = "".join(alphabet)
    if not isinstance(alphabet, str) or not alphabet:
        raise TypeError(f"alphabet must be a non-empty str of symbols, e.g. 'abc?', "
                        f"got {alphabet!r}")
    if len(set(alphabet)) != len(alphabet):
        raise ValueError(f"the symbols of alphabet must be distinct, got {alphabet!r}")
    return alphabet


def _check_gain(gain) -> float:
    if isinstance(gain, bool) or not isinstance(gain, (int, float, np.floating)) or not gain > 0:
        raise ValueError(f"gain must be a number > 0, got {gain!r}")
    return float(gain)


def one_hot_strings(strings: Sequence[str], alphabet: str, dtype=np.float64) -> np.ndarray:
    """Encode equally long strings as one-hot vectors, batch-first.

    Parameters
    ----------
    strings : sequence of str
        ``batch`` strings of the same length ``T >= 1``; every character must be in
        ``alphabet``.
    alphabet : str
        The ``n_x`` distinct symbols; symbol ``alphabet[i]`` becomes the unit vector ``e_i``.

    Returns
    -------
    x : ndarray, shape (batch, T, n_x)
        ``x[b, t, i] = 1`` if character ``t`` of string ``b`` is ``alphabet[i]``, else 0.
    """
    alphabet = _check_alphabet(alphabet)
    if isinstance(strings, str) or not isinstance(strings, Sequence) or len(strings) == 0:
        raise TypeError(f"strings must be a non-empty list of str, got {strings!r:.60}")
    for b, s in enumerate(strings):
        if not isinstance(s, str):
            raise TypeError(f"strings[{b}] must be a str, got {type(s).__name__}")
    lengths = {len(s) for s in strings}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f"strings must all have the same length >= 1 (group them by length); "
                         f"got lengths {sorted(lengths)}")
    index = {a: i for i, a in enumerate(alphabet)}
    ids = np.empty((len(strings), lengths.pop()), dtype=np.int64)
    for b, s in enumerate(strings):
        for t, ch in enumerate(s):
            if ch not in index:
                raise ValueError(f"strings[{b}][{t}] is {ch!r}, which is not in the alphabet "
                                 f"{alphabet!r}")
            ids[b, t] = index[ch]
    return np.eye(len(alphabet), dtype=dtype)[ids]


def seen_symbol_rnn(alphabet: str, symbol: str, gain: float = 10.0, dtype=np.float64) -> dict:
    r"""A one-unit sigmoid RNN whose state says whether ``symbol`` has been read yet.

    With :math:`k` the gain and :math:`x_s^{\langle t \rangle} \in \{0, 1\}` the input unit of
    ``symbol``, the state is

    .. math::

        h^{\langle t \rangle} = \sigma\big(k\, h^{\langle t-1 \rangle} + k\, x_s^{\langle t \rangle} - k/2\big),

    that is ``W_hh = [[k]]``, ``W_hx = k e_s^T`` and ``b_h = [-k/2]``. From
    :math:`h^{\langle 0 \rangle} = 0`, the state stays below 0.1 until ``symbol`` is read,
    jumps above 0.9 when it is, and stays there (for :math:`k \ge 10`, by induction on
    :math:`t`). Run it with ``rnn_forward(x, h0, params, activation="sigmoid")``.

    Parameters
    ----------
    alphabet : str
        The input symbols, in the order of :func:`one_hot_strings`.
    symbol : str
        The symbol to remember, one character of ``alphabet``.
    gain : float
        :math:`k`: how sharply the sigmoid switches. Larger is more switch-like.

    Returns
    -------
    params : dict
        ``W_hx`` (1, n_x), ``W_hh`` (1, 1), ``b_h`` (1,).
    """
    alphabet = _check_alphabet(alphabet)
    if not isinstance(symbol, str) or len(symbol) != 1 or symbol not in alphabet:
        raise ValueError(f"symbol must be one character of the alphabet {alphabet!r}, got {symbol!r}")
    k = _check_gain(gain)
    W_hx = np.zeros((1, len(alphabet)), dtype=dtype)
    W_hx[0, alphabet.index(symbol)] = k
    return {"W_hx": W_hx, "W_hh": np.full((1, 1), k, dtype=dtype),
            "b_h": np.full(1, -k / 2, dtype=dtype)}


def seen_symbol_readout(gain: float = 10.0, dtype=np.float64) -> dict:
    r"""The dense read-out of :func:`seen_symbol_rnn`: logits for the answers (yes, no).

    .. math::

        \hat y^{\langle t \rangle} = \operatorname{softmax}\big(W_{yh} h^{\langle t \rangle} + b_y\big),
        \qquad W_{yh} = \begin{bmatrix} k \\ -k \end{bmatrix}, \quad
        b_y = \begin{bmatrix} -k/2 \\ k/2 \end{bmatrix},

    so :math:`P(\text{yes}) = \sigma\big(2k (h^{\langle t \rangle} - 1/2)\big)`: above one half
    exactly when the state is above one half.

    Returns
    -------
    params : dict
        ``W`` (2, 1) and ``b`` (2,), for :func:`rnnlib.layers.dense_forward`; row 0 is *yes*.
    """
    k = _check_gain(gain)
    return {"W": np.array([[k], [-k]], dtype=dtype), "b": np.array([-k / 2, k / 2], dtype=dtype)}
