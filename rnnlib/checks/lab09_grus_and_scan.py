"""Checkers for the lab on vanilla RNNs, GRUs and scan (9.1): a GRU step, running a step with
``scan``, and the GRU's parameter count.

Every GRU case starts from a **nonzero** previous state: with :math:`h^{\\langle t-1 \\rangle}
= 0` the reset gate multiplies zeros, and a missing or misplaced reset gate goes unseen.
"""

from __future__ import annotations

import numpy as np

from ..gru import gru_param_count as _gru_count
from ..gru import gru_step_forward
from ..rnn import init_rnn, rnn_step_forward
from ._common import whole_number as _whole_number, call as _call, passed as _passed
from ._common import gru_case as _gru_case, rng as _rng
from ._common import CLOSE as _CLOSE, array as _array, close as _close, with_hint as _with_hint


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


# ================================================================= a GRU step
# The expected value of every GRU and simple-RNN step below is rnnlib's own (the step the
# chapters teach, gradient-checked there); this module writes only the classic *mistakes*.
def _gru_expected(x, h, p):
    return gru_step_forward(x, h, p)[0]


def _gru_mistake(x, h, p, *, order="hx", update="book", reset="before", cand=np.tanh,
                 gate=_sigmoid, swap_gates=False, biases=True):
    """One of the classic ways of getting the book's GRU step wrong (at least one is asked for)."""
    if (order, update, reset, cand, gate, swap_gates, biases) == \
            ("hx", "book", "before", np.tanh, _sigmoid, False, True):
        raise ValueError("_gru_mistake needs a mistake; the right step is rnnlib.gru's")
    n_h = h.shape[1]
    W_u, W_r, W_c = p["W_u"], p["W_r"], p["W_c"]
    b_u, b_r, b_c = (p["b_u"], p["b_r"], p["b_c"]) if biases else (0.0, 0.0, 0.0)
    if swap_gates:
        W_u, W_r, b_u, b_r = W_r, W_u, b_r, b_u
    cat = (lambda a, b: np.concatenate([a, b], axis=1)) if order == "hx" else \
        (lambda a, b: np.concatenate([b, a], axis=1))
    u = gate(cat(h, x) @ W_u.T + b_u)
    r = gate(cat(h, x) @ W_r.T + b_r)
    if reset == "before":
        c = cand(cat(r * h, x) @ W_c.T + b_c)
    elif reset == "none":
        c = cand(cat(h, x) @ W_c.T + b_c)
    elif reset == "after":        # r * (W_ch h), the reset_after form (without b_ch)
        c = cand(r * (h @ W_c[:, :n_h].T) + x @ W_c[:, n_h:].T + b_c)
    elif reset == "outside":      # r * tanh(...)
        c = r * cand(cat(h, x) @ W_c.T + b_c)
    elif reset == "whole":        # tanh(r * (W_c [h; x] + b_c))
        c = cand(r * (cat(h, x) @ W_c.T + b_c))
    else:
        raise ValueError(reset)
    if update == "book":
        return u * c + (1 - u) * h
    if update == "swapped":       # h = u h_prev + (1 - u) c
        return u * h + (1 - u) * c
    if update == "sum":           # no interpolation: h = u c + h_prev
        return u * c + h
    raise ValueError(update)


_GRU_MISTAKES = [
    (dict(update="swapped"),
     "the update gate points the wrong way: in this book h = Γ_u ⊙ h̃ + (1 − Γ_u) ⊙ h_prev "
     "(Γ_u weighs the candidate). You wrote h = Γ_u ⊙ h_prev + (1 − Γ_u) ⊙ h̃, the form of "
     "PyTorch and Keras, whose gate z is our 1 − Γ_u"),
    (dict(reset="none"),
     "the reset gate is missing: the candidate must read [Γ_r ⊙ h_prev; x], not [h_prev; x] "
     "(with h_prev = 0 you could not have seen this; the checker uses a nonzero h_prev)"),
    (dict(reset="after"),
     "you applied the reset gate after the product, Γ_r ⊙ (W_c[:, :n_h] h_prev): that is the "
     "reset_after form of cuDNN, PyTorch and Keras, a different model. This exercise asks for "
     "the reset before the product: h̃ = tanh(W_c [Γ_r ⊙ h_prev; x] + b_c)"),
    (dict(reset="outside"),
     "the reset gate multiplies the wrong thing: you scaled the candidate, Γ_r ⊙ tanh(...). "
     "It belongs inside, on the previous state: tanh(W_c [Γ_r ⊙ h_prev; x] + b_c)"),
    (dict(reset="whole"),
     "the reset gate multiplies the wrong thing: you scaled the whole pre-activation of the "
     "candidate (input part and bias too). Only h_prev is reset: tanh(W_c [Γ_r ⊙ h_prev; x] + b_c)"),
    (dict(swap_gates=True),
     "the two gates are swapped: W_u, b_u make the update gate Γ_u (it mixes h̃ and h_prev) "
     "and W_r, b_r the reset gate Γ_r (it multiplies h_prev inside the candidate)"),
    (dict(order="xh"),
     "the weights act on [h; x], hidden part first: W[:, :n_h] multiplies h_prev and W[:, n_h:] "
     "the input. You stacked [x, h_prev]"),
    (dict(cand=_sigmoid),
     "the candidate h̃ uses tanh, not the sigmoid: the gates are sigmoids (values in (0, 1)), "
     "the candidate is a new state in (-1, 1)"),
    (dict(gate=np.tanh),
     "the gates must be sigmoids, with values in (0, 1); you used tanh"),
    (dict(cand=_sigmoid, gate=np.tanh),
     "sigmoid and tanh are swapped: the gates Γ_u, Γ_r are sigmoids, the candidate h̃ is a tanh"),
    (dict(biases=False), "the biases b_u, b_r, b_c are missing"),
    (dict(update="sum"),
     "the new state must interpolate: h = Γ_u ⊙ h̃ + (1 − Γ_u) ⊙ h_prev; the (1 − Γ_u) on "
     "h_prev is missing"),
]


def check_gru_step(gru_step) -> None:
    r"""Check ``gru_step(x, h_prev, params) -> h``: one GRU step in the book's convention.

    ``x`` is ``(batch, n_x)``, ``h_prev`` ``(batch, n_h)``; ``params`` holds ``W_u``, ``W_r``,
    ``W_c`` of shape ``(n_h, n_h + n_x)`` acting on :math:`[h; x]` (hidden part first) and
    ``b_u``, ``b_r``, ``b_c`` of shape ``(n_h,)``:

    .. math::

        \Gamma_u = \sigma(W_u[h; x] + b_u),\ \Gamma_r = \sigma(W_r[h; x] + b_r),\
        \tilde h = \tanh(W_c[\Gamma_r \odot h; x] + b_c),\
        h' = \Gamma_u \odot \tilde h + (1 - \Gamma_u) \odot h.

    When the values are wrong and no classic mistake matches, the checker probes the function
    with gates forced shut or open to say which part looks wrong.
    """
    rng = _rng(31)
    batch, n_x, n_h = 3, 4, 5                       # n_x != n_h: a mixed-up block shows
    x, h_prev, params = _gru_case(rng, batch, n_x, n_h)

    def run(x, h, p, what):
        try:
            got = _call(gru_step, x.copy(), h.copy(), {k: v.copy() for k, v in p.items()}, what=what)
        except AssertionError as error:
            raise _with_hint(error, "With rows as examples, each gate is "
                                    "np.concatenate([h_prev, x], axis=1) @ W.T + b, and the "
                                    "candidate reads np.concatenate([r * h_prev, x], axis=1)") from None
        if isinstance(got, tuple) and len(got) == 2 and np.shape(got[0]) == h.shape:
            raise AssertionError("gru_step should return the new state h only, not a tuple")
        got = _array(got, "gru_step", what)
        if got.shape != h.shape:
            raise AssertionError(f"the new state should have shape (batch, n_h) = {h.shape}, "
                                 f"like h_prev, got {got.shape} (on {what})")
        return got

    what = f"x {x.shape}, a nonzero h_prev {h_prev.shape}, W_u, W_r, W_c {params['W_u'].shape}"
    got = run(x, h_prev, params, what)
    if not _close(got, _gru_expected(x, h_prev, params)):
        for variant, message in _GRU_MISTAKES:
            if _close(got, _gru_mistake(x, h_prev, params, **variant)):
                raise AssertionError(message)
        # Locate the fault: force the gates shut or open, one at a time.
        big = 60.0
        zeros = np.zeros_like(params["W_u"])
        shut_u = dict(params, W_u=zeros, b_u=np.full(n_h, -big))       # Γ_u = 0: h' = h_prev
        probe = run(x, h_prev, shut_u, "a case with the update gate shut (W_u = 0, b_u = -60)")
        if not _close(probe, h_prev):
            raise AssertionError("the update gate looks wrong: with Γ_u = 0 (W_u = 0, b_u = -60) "
                                 "the step must return h_prev unchanged, since h = Γ_u ⊙ h̃ + "
                                 "(1 − Γ_u) ⊙ h_prev")
        open_u = dict(params, W_u=zeros, b_u=np.full(n_h, big))        # Γ_u = 1: h' = h~
        open_all = dict(open_u, W_r=zeros, b_r=np.full(n_h, big))      # and Γ_r = 1
        probe = run(x, h_prev, open_all, "a case with both gates open (W = 0, b = +60)")
        if not _close(probe, np.tanh(np.concatenate([h_prev, x], axis=1) @ params["W_c"].T
                                     + params["b_c"])):
            raise AssertionError("the candidate looks wrong: with Γ_u = Γ_r = 1 the step must "
                                 "return h̃ = tanh(W_c [h_prev; x] + b_c), i.e. "
                                 "np.tanh(np.concatenate([h_prev, x], axis=1) @ W_c.T + b_c)")
        shut_r = dict(open_u, W_r=zeros, b_r=np.full(n_h, -big))       # Γ_r = 0: h~ ignores h
        probe = run(x, h_prev, shut_r, "a case with the reset gate shut (W_r = 0, b_r = -60)")
        if not _close(probe, np.tanh(x @ params["W_c"][:, n_h:].T + params["b_c"])):
            raise AssertionError("the reset gate looks wrong: with Γ_r = 0 the candidate must "
                                 "ignore h_prev entirely, tanh(W_c [0; x] + b_c)")
        raise AssertionError("the new state is wrong, although each part passes when the gates "
                             "are forced open or shut: check how the gates are computed from "
                             "[h_prev; x] (sigmoid of W @ [h_prev; x] + b, with W_u for Γ_u and "
                             "W_r for Γ_r) and that the candidate uses Γ_r ⊙ h_prev")
    # A second shape: batch of one, n_x > n_h.
    x2, h2, p2 = _gru_case(rng, 1, 7, 2)
    got2 = run(x2, h2, p2, f"x {x2.shape}, h_prev {h2.shape}")
    if not _close(got2, _gru_expected(x2, h2, p2)):
        raise AssertionError("the step is right for n_x = 4, n_h = 5 but wrong for n_x = 7, "
                             "n_h = 2: is a size fixed somewhere? Take n_h from h_prev.shape[1]")
    _passed("the GRU step matches the book's equations, reset gate included (nonzero h_prev).")


# ================================================================= running a step with scan
def _rnn_step_for(params):
    return lambda x_t, h: rnn_step_forward(x_t, h, params)[0]


def _gru_step_for(params):
    return lambda x_t, h: gru_step_forward(x_t, h, params)[0]


def _loop(step, x, h0, feed_back=True):
    hs, h = [], h0
    for t in range(x.shape[1]):
        new = step(x[:, t], h)
        hs.append(new)
        if feed_back:
            h = new
    return np.stack(hs, axis=1)


def check_run_with_scan(run_with_scan) -> None:
    """Check ``run_with_scan(step, x, h0) -> hs``: a step function run over a batch of sequences.

    ``step(x_t, h_prev) -> h`` computes one step for a batch (``x_t`` is ``(batch, n_x)``,
    ``h_prev`` ``(batch, n_h)``); ``x`` is batch-first ``(batch, T, n_x)``; ``hs`` must be
    ``(batch, T, n_h)`` with ``hs[:, t]`` the state after reading ``x[:, t]`` (``h0`` left out).
    The checker runs it with a GRU step and with a simple-RNN step.
    """
    rng = _rng(32)
    gru_params = _gru_case(rng, 1, 3, 4)[2]
    rnn = init_rnn(3, 4, rng)
    rnn_params = dict(rnn, b_h=rng.normal(scale=0.5, size=4))
    cases = [("a GRU step", _gru_step_for(gru_params), 2, 5),
             ("a simple-RNN step", _rnn_step_for(rnn_params), 3, 1),
             ("a simple-RNN step", _rnn_step_for(rnn_params), 4, 7)]
    for name, step, batch, T in cases:           # batch != T where it matters: a mix-up shows
        x = rng.normal(size=(batch, T, 3))
        h0 = rng.normal(scale=0.8, size=(batch, 4))           # nonzero: an ignored h0 shows
        what = f"{name}, x of shape {x.shape} (batch, T, n_x), h0 of shape {h0.shape}"
        try:
            got = _call(run_with_scan, step, x.copy(), h0.copy(), what=what)
        except AssertionError as error:
            raise _with_hint(error, "scan is time-major: pass x.swapaxes(0, 1), so that scan "
                                    "hands the step one time step of the whole batch, "
                                    "(batch, n_x); and scan calls fn(carry, x_t) while the step "
                                    "is step(x_t, h_prev)") from None
        if isinstance(got, tuple) and len(got) == 2:
            raise AssertionError("run_with_scan should return the states hs only; scan returns "
                                 "(ys, carry): keep ys")
        got = _array(got, "run_with_scan", what)
        expected = _loop(step, x, h0)
        if _close(got, expected):
            continue
        if got.shape == (T, batch, 4) and T != batch:
            raise AssertionError(f"hs has shape {got.shape}, time first, as scan returns it; swap "
                                 f"back to batch-first (batch, T, n_h) = {(batch, T, 4)} with "
                                 f".swapaxes(0, 1) ({what})")
        if got.shape == (batch, T + 1, 4):
            raise AssertionError(f"hs has T + 1 = {T + 1} states: leave h0 out, hs[:, t] is the "
                                 f"state after reading x[:, t] ({what})")
        if got.shape != expected.shape:
            raise AssertionError(f"hs should have shape (batch, T, n_h) = {expected.shape}, got "
                                 f"{got.shape} ({what})")
        diagnoses = [
            (_loop(step, x, np.zeros_like(h0)), "you started from zeros: the first step must "
                                                "use the given h0"),
            (_loop(step, x, h0, feed_back=False), "every step started from h0: the carry must be "
                                                  "the new state, so fn returns (h, h)"),
            (np.concatenate([h0[:, None], expected[:, :-1]], axis=1),
             "hs is shifted by one step: the step must emit the new state (fn returns (h, h)), "
             "not the previous one"),
        ]
        for wrong, message in diagnoses:
            if _close(got, wrong):
                raise AssertionError(f"{message} ({what})")
        bad = np.argwhere(~np.isclose(got, expected, **_CLOSE))[0]
        raise AssertionError(f"hs has the right shape but wrong values, first at hs{tuple(bad)} "
                             f"({what}): the scan's fn should be lambda h, x_t: (step(x_t, h),) * 2")
    _passed("run_with_scan threads the state through every step, for a GRU and a simple RNN.")


# ================================================================= parameter counts
def check_gru_param_count(gru_param_count) -> None:
    """Check ``gru_param_count(n_x, n_h) -> int``: one GRU layer in the book's convention.

    Three weight matrices ``W_u``, ``W_r``, ``W_c`` of shape ``(n_h, n_h + n_x)`` and three
    biases of shape ``(n_h,)`` (reset before the product, one bias per gate).
    """
    drawn = [int(n) for n in _rng(35).integers(2, 400, size=2)]     # new sizes when graded
    for n_x, n_h in [(10, 20), (64, 256), (300, 128), (1, 1), tuple(drawn)]:
        what = f"n_x = {n_x}, n_h = {n_h}"
        got = _whole_number(_call(gru_param_count, n_x, n_h, what=what), "gru_param_count", what)
        expected = _gru_count(n_x, n_h)
        if got == expected:
            continue
        wrong = {
            3 * n_h * (n_h + n_x): "you left out the biases b_u, b_r, b_c",
            n_h * (n_h + n_x + 1): "that is a simple RNN: a GRU has three weight matrices and "
                                   "biases, one for each gate and one for the candidate",
            2 * n_h * (n_h + n_x + 1): "you counted two of the three: W_u, W_r and W_c (with "
                                       "their biases) are all (n_h, n_h + n_x)",
            3 * n_h * (n_x + 1): "each W acts on [h; x], so it has n_h + n_x columns, not n_x",
            3 * n_h * (n_h + 1): "each W acts on [h; x], so it has n_h + n_x columns, not n_h",
            3 * n_h * (n_h + n_x + 2): "you counted two biases per gate, as PyTorch and Keras "
                                       "store them; this book's GRU has one per gate (b_u, b_r, "
                                       "b_c), 3 n_h fewer (for the two gates, a pair such as "
                                       "b_ir + b_hr acts as a single bias anyway)",
            3 * n_h * (n_h + n_x + 1) + n_h: "the extra n_h is b_ch, which only the reset_after "
                                             "form has; this count is for the book's form",
            4 * n_h * (n_h + n_x + 1): "four blocks is an LSTM; a GRU has three (W_u, W_r, W_c)",
        }
        if n_h > 1 and got in wrong:
            raise AssertionError(f"for {what} you counted {got:,}: {wrong[got]}")
        raise AssertionError(f"for {what} the count should be 3 n_h (n_h + n_x + 1), got {got!r}")
    _passed("3 n_h (n_h + n_x + 1): W_u, W_r, W_c and their biases.")
