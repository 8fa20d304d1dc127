"""Checkers for the chapter on recurrent neural networks: the recurrence written as a loop
over time, and a bracket counter with hand-set weights.
"""

from __future__ import annotations

import numpy as np

from ..handset import one_hot_strings
from ..rnn import init_rnn, rnn_forward
from ._common import call as _call, passed as _passed
from ._common import rng as _rng
from ._common import CLOSE as _CLOSE, close as _close


# ---------------------------------------------------------------- the recurrence as a loop
def _loop(x, h0, W_hx, W_hh, b_h, g=np.tanh):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = g(x[:, t] @ W_hx.T + h @ W_hh.T + b_h)
        hs.append(h)
    return np.stack(hs, axis=1)


def check_rnn_forward_loop(rnn_forward_loop) -> None:
    """Check ``rnn_forward_loop(x, h0, params) -> hs``: a tanh RNN written as a loop over time.

    ``x`` is ``(batch, T, n_x)``, ``h0`` is ``(batch, n_h)``, ``params`` holds ``W_hx``
    ``(n_h, n_x)``, ``W_hh`` ``(n_h, n_h)``, ``b_h`` ``(n_h,)``; ``hs[:, t]`` must be
    :math:`h^{\\langle t+1 \\rangle}`, as in :func:`rnnlib.rnn.rnn_forward`.
    """
    rng = _rng(11)
    for batch, T, n_x, n_h in [(3, 6, 4, 5), (1, 1, 2, 3)]:     # n_x != n_h: a transpose shows
        params = init_rnn(n_x, n_h, rng)
        params["b_h"] = rng.normal(size=n_h)
        x = rng.normal(size=(batch, T, n_x))
        h0 = rng.normal(scale=0.8, size=(batch, n_h))      # nonzero: an ignored h0 shows up
        expected, _ = rnn_forward(x, h0, params)
        what = f"x of shape {x.shape}, h0 of shape {h0.shape}"
        got = _call(rnn_forward_loop, x.copy(), h0.copy(), {k: v.copy() for k, v in params.items()},
                    what=what)
        if isinstance(got, tuple) and len(got) == 2 and np.shape(got[0]) == expected.shape:
            raise AssertionError("rnn_forward_loop should return the states hs only, not a tuple")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"rnn_forward_loop should return an array of shape (batch, T, n_h), "
                                 f"got {type(got).__name__}") from None
        W_hx, W_hh, b_h = params["W_hx"], params["W_hh"], params["b_h"]
        if got.shape == (batch, T + 1, n_h):
            raise AssertionError(f"hs has shape {got.shape}: T + 1 states. Return the T new states "
                                 "h<1> ... h<T>, without h0 (hs[:, t] is the state after reading x[:, t])")
        if got.shape == (T, batch, n_h) and T != batch:
            raise AssertionError(f"hs has shape {got.shape}, time first; return it batch-first, "
                                 f"(batch, T, n_h) = {(batch, T, n_h)}: np.stack(states, axis=1)")
        if got.shape != (batch, T, n_h):
            raise AssertionError(f"hs should have shape (batch, T, n_h) = {(batch, T, n_h)}, "
                                 f"got {got.shape}")
        if _close(got, expected):
            continue
        shifted = np.concatenate([h0[:, None], expected[:, :-1]], axis=1)
        diagnoses = [
            (_loop(x, np.zeros_like(h0), W_hx, W_hh, b_h),
             "you started from zeros: the first step must use the given h0"),
            (np.tanh(x @ W_hx.T + (h0 @ W_hh.T)[:, None] + b_h),
             "every step used h0: update h inside the loop, so step t reads the state of step t-1"),
            (np.tanh(x @ W_hx.T + b_h), "the recurrent term h @ W_hh.T is missing"),
            (_loop(x, h0, W_hx, W_hh, 0 * b_h), "the bias b_h is missing from the sum"),
            (_loop(x, h0, W_hx, W_hh.T, b_h),
             "W_hh is used untransposed: with rows as examples the term is h @ W_hh.T"),
            (_loop(x, h0, W_hx, W_hh, b_h, g=lambda z: z),
             "no activation: apply tanh to the sum at every step"),
            (_loop(x, h0, W_hx, W_hh, b_h, g=lambda z: 1 / (1 + np.exp(-z))),
             "you applied the sigmoid; this RNN's activation is tanh"),
            (shifted, "hs is shifted by one step: hs[:, 0] should be h<1>, the state after the "
                      "first input, not h0"),
        ]
        for wrong, message in diagnoses:
            if _close(got, wrong):
                raise AssertionError(f"{message} ({what})")
        bad = np.argwhere(~np.isclose(got, expected, **_CLOSE))[0]
        raise AssertionError(f"hs has the right shape but wrong values, first at hs{tuple(bad)} "
                             f"({what}): it should be tanh(x[:, t] @ W_hx.T + h @ W_hh.T + b_h)")
    _passed("rnn_forward_loop gives the same states as rnnlib.rnn.rnn_forward.")


# ---------------------------------------------------------------- a bracket counter by hand
BRACKET_ALPHABET = "()x"


def _depths(s: str) -> np.ndarray:
    return np.cumsum([{"(": 1, ")": -1}.get(ch, 0) for ch in s])


def _hidden_bracket_strings(rng, n: int, length: int) -> list[str]:
    """Strings over ``()x`` whose depth never goes below zero."""
    out = []
    for _ in range(n):
        depth, s = 0, []
        for _ in range(length):
            ch = rng.choice(["(", ")", "x"], p=[0.4, 0.3, 0.3])
            if ch == ")" and depth == 0:
                ch = "("
            depth += {"(": 1, ")": -1}.get(ch, 0)
            s.append(ch)
        out.append("".join(s))
    return out


def check_bracket_counter(bracket_counter) -> None:
    """Check ``bracket_counter() -> params``: a ReLU RNN whose unit 0 is the bracket depth.

    The inputs are one-hot over ``"()x"`` (in that order), ``h0`` is zero, and the network
    runs as ``rnn_forward(x, h0, params, activation="relu")``; after every prefix of a string
    whose depth never goes below zero, ``hs[:, t, 0]`` must equal the number of ``(`` minus the
    number of ``)`` read so far.
    """
    params = _call(bracket_counter, what="no arguments")
    if not isinstance(params, dict) or set(params) != {"W_hx", "W_hh", "b_h"}:
        raise AssertionError("bracket_counter should return a dict with keys 'W_hx', 'W_hh', "
                             f"'b_h', got {params!r:.80}")
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    W_hx, W_hh, b_h = params["W_hx"], params["W_hh"], params["b_h"]
    if W_hx.ndim != 2 or W_hx.shape[1] != 3:
        raise AssertionError(f"W_hx should have shape (n_h, n_x) = (n_h, 3): one column for each of "
                             f"'(', ')' and 'x'; got {W_hx.shape}")
    n_h = W_hx.shape[0]
    if W_hh.shape != (n_h, n_h) or b_h.shape != (n_h,):
        raise AssertionError(f"with n_h = {n_h}, W_hh should be ({n_h}, {n_h}) and b_h ({n_h},); "
                             f"got {W_hh.shape} and {b_h.shape}")

    def run(strings):
        x = one_hot_strings(strings, BRACKET_ALPHABET)
        hs, _ = rnn_forward(x, np.zeros((len(strings), n_h)), params, activation="relu")
        return hs[..., 0]

    probes = [("x", "'x' alone should leave the count at 0"),
              ("(", "after '(' the count should be 1"),
              ("((", "after '((' the count should be 2"),
              ("(x", "'x' is not a bracket: after '(x' the count should still be 1"),
              ("()", "after '()' the count should be back to 0"),
              ("(()", "after '(()' the count should be 1")]
    for s, rule in probes:
        got = float(run([s])[0, -1])
        if abs(got - _depths(s)[-1]) < 1e-6:
            continue
        hint = ""
        if abs(b_h[0]) > 1e-12:
            hint = f": the bias b_h[0] = {b_h[0]:g} adds to the count at every step; it should be 0"
        elif s == "(" and got == 0 and W_hx[0, 0] <= 0:
            hint = ": '(' must add to unit 0 (W_hx[0, 0] = 1); check its sign"
        elif s == "((" and abs(got - 1) < 1e-6:
            hint = ": the unit forgets the count; W_hh[0, 0] = 1 carries it to the next step"
        elif s == "((" and 1 < got < 2:
            hint = (f": the count leaks (W_hh[0, 0] = {W_hh[0, 0]:g}); it must be exactly 1, "
                    "or every step shrinks what was counted")
        elif s == "((" and got > 2:
            hint = f": the count grows by itself (W_hh[0, 0] = {W_hh[0, 0]:g}); it must be exactly 1"
        elif s in ("x", "(x"):
            hint = ": the column of 'x' in W_hx should be zero"
        elif s in ("()", "(()"):
            hint = ": ')' must subtract 1 from unit 0 (W_hx[0, 1] = -1)"
        raise AssertionError(f"{rule}, got {got:.4g}{hint}")
    rng = _rng(2024)
    for length in (40, 400):
        strings = _hidden_bracket_strings(rng, 16, length)
        got = run(strings)
        expected = np.array([_depths(s) for s in strings])
        if not np.allclose(got, expected, atol=1e-6):
            b, t = np.argwhere(~np.isclose(got, expected, atol=1e-6))[0]
            raise AssertionError(f"on a hidden string of length {length}, after {t + 1} symbols the "
                                 f"depth is {expected[b, t]} but unit 0 is {got[b, t]:.4g}")
    _passed("unit 0 counts the bracket depth exactly, on strings of 400 symbols too.")
