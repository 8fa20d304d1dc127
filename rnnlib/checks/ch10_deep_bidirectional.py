"""Checkers for the chapter on deep and bidirectional RNNs: the parameter count of a stack of
GRU layers, reversing padded sequences in time, and a bidirectional GRU layer.
"""

from __future__ import annotations

import numpy as np

from ..gru import gru_forward
from ..recurrent import bidirectional, gru_layer, reverse_in_time
from ._common import whole_number as _whole_number, call as _call, passed as _passed
from ._common import rng as _rng
from ._common import array as _array, close as _close, with_hint as _with_hint
from ..gru import gru_param_count as _gru_count
from ._common import gru_case as _gru_case


def _stack_count(n_x, sizes, bidirectional):
    total, n_in = 0, n_x
    for n_h in sizes:
        total += (2 if bidirectional else 1) * _gru_count(n_in, n_h)
        n_in = (2 if bidirectional else 1) * n_h
    return total


def check_stack_param_count(stack_param_count) -> None:
    """Check ``stack_param_count(n_x, sizes, bidirectional) -> int`` for a stack of GRU layers.

    ``sizes`` lists the hidden sizes :math:`n_h^{[1]}, \\dots, n_h^{[L]}` from the bottom up.
    Layer 1 reads :math:`x` (``n_x`` features), layer :math:`l > 1` reads the states of layer
    :math:`l - 1`; with ``bidirectional=True`` every layer has two directions with their own
    parameters, and the layer above reads both, :math:`2 n_h^{[l-1]}` features.
    Book convention: :math:`3 n_h (n_h + n_{in} + 1)` per direction.
    """
    cases = [(16, [32], False), (16, [32, 64], False), (10, [8, 12, 6], False),
             (16, [32], True), (16, [32, 32], True), (10, [8, 12, 6], True)]
    for n_x, sizes, bi in cases:
        what = f"n_x = {n_x}, sizes = {sizes}, bidirectional = {bi}"
        got = _whole_number(_call(stack_param_count, n_x, list(sizes), bi, what=what),
                     "stack_param_count", what)
        expected = _stack_count(n_x, sizes, bi)
        if got == expected:
            continue
        d = 2 if bi else 1
        from_x = d * sum(_gru_count(n_x, n_h) for n_h in sizes)
        one_dir_input = sum(d * _gru_count(n_x if l == 0 else sizes[l - 1], n_h)
                            for l, n_h in enumerate(sizes))
        wrong = [
            (from_x, "every layer above the first reads the states of the layer below, not x: "
                     "its input size is the hidden size of the layer below"),
            (_stack_count(n_x, sizes, False), "a bidirectional layer has two directions, each "
                                              "with its own parameters: count each layer twice"),
            (one_dir_input, "the layer above a bidirectional layer reads both directions' "
                            "states, concatenated: its input size is 2 n_h of the layer below"),
            (sum(d * 3 * n_h * (n_h + n_in) for n_h, n_in in
                 zip(sizes, [n_x] + [d * s for s in sizes[:-1]])), "you left out the biases"),
            (expected // 3, "that is a stack of simple RNNs; each GRU layer has three weight "
                            "matrices and three biases"),
        ]
        for value, message in wrong:
            if got == value:
                raise AssertionError(f"for {what} you counted {got:,}: {message}")
        raise AssertionError(f"for {what} the count is wrong, got {got!r}: add "
                             "3 n_h (n_h + n_in + 1) per layer and direction, where n_in is n_x "
                             "for the first layer and the width of the layer below's output for "
                             "the others")
    _passed("the stack's count: each layer reads the layer below, both directions counted.")


# ================================================================= reversing padded sequences
def check_reverse_padded(reverse_padded) -> None:
    """Check ``reverse_padded(x, lengths) -> array``: reverse each sequence within its length.

    ``x`` is ``(batch, T)`` or ``(batch, T, n)``, right-padded; sequence ``b`` has
    ``lengths[b]`` real steps. Its real steps come out in reverse order and the padding stays
    where it was, at the end, so that reversing twice gives ``x`` back. ``x`` is not changed.
    """
    rng = _rng(33)
    ids = np.array([[1, 2, 3, 4, 5, 6], [7, 8, 9, -1, -1, -1], [10, -1, -1, -1, -1, -1]])
    lengths = np.array([6, 3, 1])
    feats = rng.normal(size=(3, 5, 2))
    feats[1, 4:] = -9.0                                     # padding with a visible value
    cases = [(ids, lengths, "ids [[1 2 3 4 5 6] [7 8 9 -1 -1 -1] [10 -1 -1 -1 -1 -1]] "
                            "(-1 is padding), lengths [6 3 1]"),
             (feats, np.array([5, 4, 2]), "features of shape (3, 5, 2), lengths [5 4 2]")]
    for x, lens, what in cases:
        before = x.copy()
        try:
            got = _call(reverse_padded, x, lens.copy(), what=what)
        except AssertionError as error:
            raise _with_hint(error, "Build one index per position: lengths[b] - 1 - t where "
                                    "t < lengths[b], t itself in the padding") from None
        if not np.array_equal(x, before):
            raise AssertionError("reverse_padded changed its input x in place; return a new array "
                                 f"(on {what})")
        got = _array(got, "reverse_padded", what)
        expected = reverse_in_time(x, lens)
        if _close(got, expected):
            continue
        if got.shape != x.shape:
            raise AssertionError(f"the result should have the shape of x, {x.shape}, got "
                                 f"{got.shape}: keep the padding, do not cut the sequences "
                                 f"(on {what})")
        if _close(got, x[:, ::-1]):
            raise AssertionError("you reversed the whole time axis: the padding now comes first, "
                                 "and a backward-running layer would read it before the real "
                                 "tokens. Reverse only the first lengths[b] steps of each "
                                 f"sequence (on {what})")
        if _close(got, x[::-1]):
            raise AssertionError("you reversed the batch axis (the order of the sequences); "
                                 f"reverse each sequence in time, axis 1 (on {what})")
        if _close(got, x):
            raise AssertionError(f"nothing was reversed (on {what})")
        real = np.arange(x.shape[1])[None, :] < lens[:, None]
        if _close(got[real], expected[real]):
            raise AssertionError("the real steps are right but the padding changed: leave it as "
                                 f"it was, so that reversing twice gives x back (on {what})")
        b = int(np.argwhere(~np.all(np.isclose(got, expected).reshape(len(x), x.shape[1], -1),
                                    axis=(1, 2)))[0][0])
        raise AssertionError(f"sequence {b} (length {lens[b]}) is reversed wrongly (on {what}): "
                             "position t < length takes step length - 1 - t")
    _passed("each sequence is reversed within its length; the padding stays at the end.")


# ================================================================= a bidirectional GRU layer
def check_bidirectional_gru(bidirectional_gru) -> None:
    r"""Check ``bidirectional_gru(x, lengths, h0, params) -> hs``.

    ``x`` is ``(batch, T, n_x)``, right-padded, with ``lengths`` real steps per sequence;
    ``h0`` is ``(batch, 2 n_h)``, the forward and backward initial states side by side;
    ``params`` is ``{"fwd": ..., "bwd": ...}``, two GRU parameter sets. ``hs[:, t]`` must be
    :math:`[\overrightarrow{h}^{\langle t \rangle}; \overleftarrow{h}^{\langle t \rangle}]`,
    the backward direction starting at each sequence's last real step. Only real positions are
    compared: the states at padded positions are to be masked out by whatever reads them, so
    any value there is accepted.
    """
    rng = _rng(34)
    batch, T, n_x, n_h = 3, 6, 4, 5
    x = rng.normal(size=(batch, T, n_x))
    lengths = np.array([6, 4, 2])
    params = {"fwd": _gru_case(rng, 1, n_x, n_h)[2], "bwd": _gru_case(rng, 1, n_x, n_h)[2]}
    h0 = rng.normal(scale=0.8, size=(batch, 2 * n_h))        # nonzero: a swapped h0 shows
    real = np.arange(T)[None, :] < lengths[:, None]
    what = f"x of shape {x.shape}, lengths {lengths.tolist()}, n_h = {n_h}"
    try:
        got = _call(bidirectional_gru, x.copy(), lengths.copy(), h0.copy(),
                    {d: {k: v.copy() for k, v in p.items()} for d, p in params.items()}, what=what)
    except AssertionError as error:
        raise _with_hint(error, "Each direction is gru_forward(x, h0_half, params[direction]) "
                                "with x of shape (batch, T, n_x); concatenate the two state "
                                "arrays along the last axis") from None
    got = _array(got, "bidirectional_gru", what)
    expected, _ = bidirectional(gru_layer()).forward(x, h0, params, lengths)
    if got.shape != expected.shape:
        hint = ""
        if got.shape == (batch, T, n_h):
            hint = ": that is one direction; concatenate the forward and backward states"
        elif got.shape == (2 * batch, T, n_h) or got.shape == (batch, 2 * T, n_h):
            hint = ": concatenate along the last axis (features), not the batch or time axis"
        raise AssertionError(f"hs should have shape (batch, T, 2 n_h) = {expected.shape}, got "
                             f"{got.shape}{hint}")
    if _close(got[real], expected[real]):
        _passed("forward and backward states side by side; the backward direction starts at "
                "each sequence's last real step.")
        return
    fwd, _ = gru_forward(x, h0[:, :n_h], params["fwd"])
    h0_f, h0_b = h0[:, :n_h], h0[:, n_h:]

    def backward(xr, h0_half, p, rev_out):
        hs_b, _ = gru_forward(xr, h0_half, p)
        return rev_out(hs_b)

    rev = lambda a: reverse_in_time(a, lengths)
    flip = lambda a: a[:, ::-1]
    same = lambda a: a
    diagnoses = [
        (np.concatenate([fwd, backward(rev(x), h0_b, params["bwd"], same)], -1),
         "the backward states are still in reversed order: reverse them back (with the lengths) "
         "so that position t holds the backward state of step t"),
        (np.concatenate([fwd, backward(flip(x), h0_b, params["bwd"], flip)], -1),
         "you reversed the whole time axis, padding included: the backward direction then reads "
         "the padding first, and the states at real positions depend on it. Reverse each "
         "sequence within its length (reverse_in_time(x, lengths))"),
        (np.concatenate([backward(rev(x), h0_b, params["bwd"], rev), fwd], -1),
         "the two halves are swapped: the forward states come first, [→h; ←h]"),
        (np.concatenate([fwd, gru_forward(x, h0_b, params["bwd"])[0]], -1),
         "the second direction reads the sequence forwards: reverse x (within each length) "
         "before running it, then reverse its states back"),
        (np.concatenate([gru_forward(x, h0_b, params["fwd"])[0],
                         backward(rev(x), h0_f, params["bwd"], rev)], -1),
         "the two halves of h0 are swapped: h0[:, :n_h] starts the forward direction, "
         "h0[:, n_h:] the backward one"),
        (np.concatenate([fwd, backward(rev(x), h0_b, params["fwd"], rev)], -1),
         "both directions use params['fwd']: the backward direction has its own parameters, "
         "params['bwd']"),
        (np.concatenate([fwd, backward(rev(x), np.zeros_like(h0_b), params["bwd"], rev)], -1),
         "the backward direction started from zeros: use h0[:, n_h:]"),
    ]
    for wrong, message in diagnoses:
        if _close(got[real], wrong[real]):
            raise AssertionError(message)
    half = "forward" if not _close(got[real][:, :n_h], expected[real][:, :n_h]) else "backward"
    raise AssertionError(f"the {half} half of hs is wrong at some real positions ({what})")
