"""Checkers for the chapters on recurrent networks and on scan: the recurrence as a loop, a
bracket counter with hand-set weights, ``scan`` itself, an exponential moving average."""

from __future__ import annotations

import numpy as np

from ..handset import one_hot_strings
from ..rnn import init_rnn, rnn_forward
from ..scan import scan as _scan
from ._common import call as _call, passed as _passed
from ._common import rng as _rng

_CLOSE = {"rtol": 1e-7, "atol": 1e-10}


def _close(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, **_CLOSE))


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


# ---------------------------------------------------------------- scan
def _library_scan(fn, xs, init):
    """rnnlib's own scan (the expected value), with the carry's dtype as the check hands it."""
    return _scan(fn, np.asarray(xs), init)


def check_scan(scan) -> None:
    """Check ``scan(fn, xs, init) -> (ys, carry)``, with ``fn(carry, x) -> (carry, y)``.

    ``xs`` is time-major: ``xs[t]`` is the input of step ``t``; ``ys[t]`` is the ``y`` of
    step ``t``, stacked along a new leading axis; ``carry`` is the carry after the last step.
    """
    def running_sum(c, x):
        return c + x, c + x

    cases = [
        # (description, fn, xs, init): the later ones tell y from carry and (carry, x) from (x, carry)
        ("a running sum of [1, 2, 3, 4] from 0", running_sum, np.array([1.0, 2.0, 3.0, 4.0]), 0.0),
        ("a step that outputs the carry *before* the update (ys = [0, 1, 3], carry 6)",
         lambda c, x: (c + x, c), np.array([1.0, 2.0, 3.0]), 0.0),
        ("a step h = 0.5 h + x on vectors: xs of shape (3, 2), init [1, -1]",
         lambda c, x: (0.5 * c + x, 0.5 * c + x), np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])),
        ("a step whose output is twice the new carry, c - x (order matters)",
         lambda c, x: (c - x, 2 * (c - x)), np.array([5.0, 1.0, 2.0, 0.5]), 10.0),
        ("one step", running_sum, np.array([[7.0, 8.0]]), np.zeros(2)),
    ]
    for what, fn, xs, init in cases:
        calls = []

        def spy(c, x, fn=fn):
            calls.append(1)
            return fn(c, x)

        got = _call(scan, spy, xs.copy(), np.copy(init), what=what)
        exp_ys, exp_carry = _library_scan(fn, xs, init)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise AssertionError(f"scan should return a pair (ys, carry), got {type(got).__name__} "
                                 f"(on {what})")
        ys, carry = got
        if len(calls) != len(xs):
            raise AssertionError(f"scan called fn {len(calls)} times on {len(xs)} inputs: call it "
                                 f"once per step, on xs[0], ..., xs[T-1] (on {what})")
        if _close(ys, exp_carry) and _close(carry, exp_ys) and not _close(ys, exp_ys):
            raise AssertionError("scan returned (carry, ys); rnnlib's scan returns (ys, carry), "
                                 f"outputs first (jax.lax.scan is the one that returns (carry, ys)) "
                                 f"(on {what})")
        ys = np.asarray(ys)
        if ys.shape == (len(xs) + 1,) + exp_ys.shape[1:]:
            raise AssertionError(f"ys has {len(xs) + 1} entries for {len(xs)} steps: do not include "
                                 f"init, stack one y per step (on {what})")
        carries = _library_scan(lambda c, x: (fn(c, x)[0], fn(c, x)[0]), xs, init)[0]
        if _close(ys, carries) and not _close(ys, exp_ys):
            raise AssertionError("ys holds the carries; it should hold the outputs y that fn returns "
                                 f"as the second element of its pair (on {what})")
        swapped = None
        try:
            swapped = _library_scan(lambda c, x: fn(x, c), xs, init)
        except Exception:
            pass
        if swapped is not None and _close(ys, swapped[0]) and not _close(ys, exp_ys):
            raise AssertionError(f"fn was called as fn(x, carry); the step is fn(carry, x) (on {what})")
        if ys.shape != exp_ys.shape:
            raise AssertionError(f"ys should have shape {exp_ys.shape} (time first, then the shape "
                                 f"of one y), got {ys.shape} (on {what})")
        if not _close(ys, exp_ys):
            raise AssertionError(f"ys should be {exp_ys.tolist()}, got {ys.tolist()} (on {what})")
        if not _close(carry, exp_carry):
            raise AssertionError(f"the final carry should be {np.asarray(exp_carry).tolist()}, got "
                                 f"{np.asarray(carry).tolist()}: return the carry after the last "
                                 f"step (on {what})")
    _passed("scan threads the carry through every step and stacks the outputs.")


# ---------------------------------------------------------------- exponential moving average
def _ema(xs, alpha, s0):
    out, s = [], s0
    for x in xs:
        s = (1 - alpha) * s + alpha * x
        out.append(s)
    return np.array(out)


def check_ema(ema) -> None:
    """Check ``ema(xs, alpha, s0) -> ss`` with :math:`s_t = (1-\\alpha) s_{t-1} + \\alpha x_t`.

    ``xs`` has shape ``(T, ...)``; ``ss[t-1]`` is :math:`s_t` for ``t = 1 .. T`` (``s0`` is
    not included), with the shape of ``xs``.
    """
    rng = _rng(3)
    cases = [(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 0.3, 10.0),
             (rng.normal(size=(6, 2)), 0.8, np.array([1.0, -2.0])),
             (np.array([4.0]), 0.5, 0.0)]
    for xs, alpha, s0 in cases:
        what = f"xs of shape {xs.shape}, alpha = {alpha}, s0 = {np.asarray(s0).tolist()}"
        got = _call(ema, xs.copy(), alpha, np.copy(s0), what=what)
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"ema should return an array shaped like xs, got {type(got).__name__}") from None
        expected = _ema(xs, alpha, s0)
        if got.shape == (len(xs) + 1,) + xs.shape[1:]:
            raise AssertionError(f"ema returned {len(xs) + 1} values for {len(xs)} inputs: leave s0 "
                                 f"out, return s_1 ... s_T ({what})")
        if got.shape == np.shape(s0) and len(xs) > 1:
            raise AssertionError(f"ema returned only the last average; return every s_t, one per "
                                 f"input ({what})")
        if got.shape != xs.shape:
            raise AssertionError(f"ema should return an array of shape {xs.shape}, like xs, got "
                                 f"{got.shape} ({what})")
        if _close(got, expected):
            continue
        diagnoses = [
            (_ema(xs, 1 - alpha, s0), "alpha weighs the new input: s_t = (1 - alpha) s_{t-1} + "
                                      "alpha x_t; yours gives alpha to the old average"),
            (_ema(xs, alpha, np.zeros_like(np.asarray(s0, dtype=float))),
             "you started from 0: the first average must use the given s0"),
            (np.concatenate([xs[:1], _ema(xs[1:], alpha, xs[0])]) if len(xs) > 1 else None,
             "you started from x_1 instead of s0"),
            (np.concatenate([np.asarray(s0, float)[None], expected[:-1]]),
             "the averages are shifted by one step: ss[0] should be s_1, after the first input"),
        ]
        for wrong, message in diagnoses:
            if wrong is not None and _close(got, wrong):
                raise AssertionError(f"{message} ({what})")
        raise AssertionError(f"ema({what}) should be {np.round(expected, 4).tolist()}, got "
                             f"{np.round(got, 4).tolist()}")
    _passed("ema computes s_t = (1 - alpha) s_{t-1} + alpha x_t from s0, for vectors too.")
