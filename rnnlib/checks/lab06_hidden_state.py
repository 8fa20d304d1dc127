"""Checkers for the lab on hidden-state activations (6.1): the concatenated form of the
recurrence, running it over a sequence, and the saturation of tanh.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..rnn import init_rnn, rnn_forward, rnn_step_forward
from ._common import call as _call, passed as _passed
from ._common import rng as _rng
from ._common import CLOSE as _CLOSE, array as _array, close as _close, with_hint as _with_hint


# ----------------------------------------------------------------- W_h = [W_hh | W_hx]
def check_concatenate_weights(concatenate_weights) -> None:
    """Check ``concatenate_weights(W_hh, W_hx) -> W_h``, the block matrix [W_hh | W_hx].

    ``W_hh`` is ``(n_h, n_h)``, ``W_hx`` is ``(n_h, n_x)``; ``W_h`` is ``(n_h, n_h + n_x)``,
    with ``W_hh`` in the first ``n_h`` columns, so that ``W_h @ [h; x] = W_hh @ h + W_hx @ x``.
    """
    rng = _rng(21)
    for n_h, n_x in [(4, 3), (3, 3)]:              # n_x != n_h, then the square case
        W_hh = rng.normal(size=(n_h, n_h))
        W_hx = rng.normal(size=(n_h, n_x))
        what = f"W_hh of shape {W_hh.shape} and W_hx of shape {W_hx.shape}"
        try:
            got = _call(concatenate_weights, W_hh.copy(), W_hx.copy(), what=what)
        except AssertionError as error:
            raise _with_hint(error, "The blocks go side by side: the rows of W_hh and W_hx "
                                     "are the n_h hidden units, so join them along axis=1") from None
        got = _array(got, "concatenate_weights", what)
        expected = np.concatenate([W_hh, W_hx], axis=1)
        if _close(got, expected):
            continue
        if _close(got, np.concatenate([W_hx, W_hh], axis=1)):
            raise AssertionError("the blocks are in the wrong order: the state comes first in "
                                 "[h; x], so W_h = [W_hh | W_hx], W_hh in the first n_h columns")
        if _close(got, expected.T) or _close(got, np.concatenate([W_hx, W_hh], axis=1).T):
            raise AssertionError(f"you returned W_h transposed, shape {got.shape}: W_h is shaped "
                                 f"like the math, (n_h, n_h + n_x) = {expected.shape}")
        if n_x == n_h and (_close(got, np.concatenate([W_hh, W_hx], axis=0)) or
                           _close(got, np.concatenate([W_hx, W_hh], axis=0))):
            raise AssertionError(f"you stacked the blocks vertically (axis=0), shape {got.shape}; "
                                 f"they go side by side (axis=1): W_h is (n_h, n_h + n_x) = "
                                 f"{expected.shape}")
        if got.shape != expected.shape:
            raise AssertionError(f"W_h should have shape (n_h, n_h + n_x) = {expected.shape}, "
                                 f"got {got.shape} (on {what})")
        raise AssertionError(f"W_h has the right shape but wrong values (on {what}): it should be "
                             "W_hh and W_hx side by side, unchanged")
    _passed("W_h = [W_hh | W_hx], shape (n_h, n_h + n_x).")


# ----------------------------------------------------------------- one step, concatenated form
def check_rnn_step_concat(rnn_step_concat) -> None:
    """Check ``rnn_step_concat(x, h_prev, W_h, b_h) -> h`` for a batch of rows.

    ``x`` is ``(batch, n_x)``, ``h_prev`` ``(batch, n_h)``, ``W_h`` ``(n_h, n_h + n_x)``,
    ``b_h`` ``(n_h,)``; the step is :math:`h = \\tanh([h_{prev}; x] W_h^\\top + b_h)`, row by row.
    """
    rng = _rng(22)
    batch, n_x, n_h = 3, 4, 5
    params = init_rnn(n_x, n_h, rng)
    W_hh, W_hx = params["W_hh"], params["W_hx"]
    W_h = np.concatenate([W_hh, W_hx], axis=1)
    b_h = rng.normal(size=n_h)
    x = rng.normal(size=(batch, n_x))
    h_prev = rng.normal(scale=0.7, size=(batch, n_h))      # nonzero: the recurrent half shows
    what = f"x {x.shape}, h_prev {h_prev.shape}, W_h {W_h.shape}"
    try:
        got = _call(rnn_step_concat, x.copy(), h_prev.copy(), W_h.copy(), b_h.copy(), what=what)
    except AssertionError as error:
        raise _with_hint(error, "Stack each row as [h_prev, x] with np.concatenate(..., axis=1), "
                                 "shape (batch, n_h + n_x), then multiply by W_h.T") from None
    got = _array(got, "rnn_step_concat", what)
    z = h_prev @ W_hh.T + x @ W_hx.T + b_h
    if got.shape != (batch, n_h):
        raise AssertionError(f"the new state should have shape (batch, n_h) = {(batch, n_h)}, "
                             f"got {got.shape}")
    if _close(got, np.tanh(z)):
        _passed("tanh([h_prev, x] @ W_h.T + b_h) is the separate form's step.")
        return
    swapped = np.concatenate([x, h_prev], axis=1) @ W_h.T + b_h
    diagnoses = [
        (np.tanh(swapped), "you stacked [x, h_prev]: W_h = [W_hh | W_hx] multiplies [h_prev; x], "
                           "state first"),
        (z, "you returned the pre-activation: apply tanh"),
        (ops.sigmoid(z), "you applied the sigmoid; the simple RNN's hidden activation is tanh"),
        (np.tanh(z - b_h), "the bias b_h is missing"),
        (np.tanh(x @ W_hx.T + b_h), "the recurrent half is missing: h_prev must be part of the "
                                    "stacked vector"),
    ]
    for wrong, message in diagnoses:
        if _close(got, wrong):
            raise AssertionError(message)
    raise AssertionError("the new state has the right shape but wrong values: it should be "
                         "tanh(np.concatenate([h_prev, x], axis=1) @ W_h.T + b_h)")


# ----------------------------------------------------------------- a whole sequence
def _loop_without_feedback(x, h0, params):
    """The classic mistake: every step reads h0 instead of the state before it."""
    return np.stack([rnn_step_forward(x[:, t], h0, params)[0] for t in range(x.shape[1])], axis=1)


def check_run_sequence(run_sequence) -> None:
    """Check ``run_sequence(x, h0, W_h, b_h) -> hs``: the concatenated step, looped over time.

    ``x`` is ``(batch, T, n_x)``, ``h0`` ``(batch, n_h)``; ``hs`` is ``(batch, T, n_h)`` with
    ``hs[:, t]`` the state after reading ``x[:, t]`` (:math:`h^{\\langle t+1 \\rangle}`), as
    :func:`rnnlib.rnn.rnn_forward` returns.
    """
    rng = _rng(23)
    for batch, T, n_x, n_h in [(2, 6, 3, 4), (1, 1, 2, 3)]:
        params = init_rnn(n_x, n_h, rng)
        params["b_h"] = rng.normal(scale=0.5, size=n_h)
        W_h = np.concatenate([params["W_hh"], params["W_hx"]], axis=1)
        x = rng.normal(size=(batch, T, n_x))
        h0 = rng.normal(scale=0.8, size=(batch, n_h))     # nonzero: an ignored h0 shows up
        expected, _ = rnn_forward(x, h0, params)
        what = f"x of shape {x.shape}, h0 of shape {h0.shape}"
        got = _call(run_sequence, x.copy(), h0.copy(), W_h.copy(), params["b_h"].copy(), what=what)
        if isinstance(got, (tuple, list)) and len(got) == 2 and np.shape(got[0]) == expected.shape:
            raise AssertionError("run_sequence should return the states hs only, not a tuple")
        got = _array(got, "run_sequence", what)
        if _close(got, expected):
            continue
        if _close(got, expected[:, -1]):
            raise AssertionError("you returned only the last state; return every state, "
                                 f"hs of shape (batch, T, n_h) = {expected.shape}")
        if got.shape == (batch, T + 1, n_h):
            raise AssertionError(f"hs has T + 1 = {T + 1} states: leave h0 out; hs[:, t] is the "
                                 "state after reading x[:, t]")
        if got.shape == (T, batch, n_h) and T != batch:
            raise AssertionError(f"hs has shape {got.shape}, time first; return it batch-first, "
                                 f"(batch, T, n_h) = {expected.shape}: np.stack(states, axis=1)")
        if got.shape != expected.shape:
            raise AssertionError(f"hs should have shape (batch, T, n_h) = {expected.shape}, got "
                                 f"{got.shape} (on {what})")
        shifted = np.concatenate([h0[:, None], expected[:, :-1]], axis=1)
        diagnoses = [
            (rnn_forward(x, np.zeros_like(h0), params)[0],
             "you started from zeros: the first step must use the given h0"),
            (_loop_without_feedback(x, h0, params),
             "every step used h0: feed each new state back in, so step t reads the state of "
             "step t-1"),
            (shifted, "hs is shifted by one step: hs[:, 0] should be the state after the first "
                      "input, not h0 (off by one)"),
        ]
        for wrong, message in diagnoses:
            if _close(got, wrong):
                raise AssertionError(f"{message} ({what})")
        bad = tuple(int(i) for i in np.argwhere(~np.isclose(got, expected, **_CLOSE))[0])
        raise AssertionError(f"hs has the right shape but wrong values, first at hs{bad} "
                             f"({what}): each step is tanh([h, x[:, t]] @ W_h.T + b_h)")
    _passed("run_sequence starts from h0, feeds each state back, and returns all T states.")


# ----------------------------------------------------------------- saturation
def check_saturation(saturation_fraction) -> None:
    """Check ``saturation_fraction(hs, threshold) -> float``: the share with ``abs(h) > threshold``.

    ``hs`` is any array of tanh outputs (``(batch, T, n_h)`` in the lab); the result is one
    number in [0, 1], the fraction of all its entries whose absolute value exceeds ``threshold``.
    """
    rng = _rng(24)
    hs = np.tanh(rng.normal(scale=2.5, size=(2, 7, 5)))
    hs[0, 0, :3] = [-0.9999, 0.9999, -0.995]             # saturated both ways
    for threshold in (0.99, 0.9):
        what = f"hs of shape {hs.shape} and threshold={threshold}"
        got = _call(saturation_fraction, hs.copy(), threshold, what=what)
        expected = float(np.mean(np.abs(hs) > threshold))
        if np.ndim(got) != 0:
            raise AssertionError(f"return one number, the fraction over all entries; got an array "
                                 f"of shape {np.shape(got)} (did you average over one axis only?)")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise AssertionError(f"saturation_fraction should return a number, got "
                                 f"{type(got).__name__}") from None
        if np.isclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        diagnoses = [
            (float(np.mean(hs > threshold)), "you counted only h > threshold: a unit near -1 is "
                                             "saturated too; use np.abs(hs)"),
            (float(np.sum(np.abs(hs) > threshold)), "you returned the count: divide by the "
                                                    "number of entries (hs.size), or use np.mean"),
            (float(np.mean(np.abs(hs) > 0.99)), "you ignored the threshold argument and used 0.99"),
            (float(np.mean(np.abs(hs) < threshold)), "you counted the entries below the threshold: "
                                                     "saturated means |h| > threshold"),
            (float(np.mean(hs ** 2 > threshold)), "you compared h**2 with the threshold; compare "
                                                  "|h| itself"),
        ]
        for wrong, message in diagnoses:
            if np.isclose(got, wrong, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"{message} (on {what})")
        raise AssertionError(f"the fraction is wrong on {what}: it should be the share of all "
                             "entries with |h| > threshold, a number in [0, 1]")
    _passed("the fraction of entries with |h| above the threshold, both signs.")
