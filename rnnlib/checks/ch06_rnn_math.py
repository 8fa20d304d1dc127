"""Checkers for the chapter on the math of simple RNNs: one step, the parameter count."""

from __future__ import annotations

import numpy as np

from ..rnn import init_rnn, rnn_step_forward
from ._common import whole_number as _whole_number, call as _call, passed as _passed
from ._common import rng as _rng


def check_rnn_step(rnn_step) -> None:
    """Check ``rnn_step(x, h_prev, W_hx, W_hh, b_h) -> h`` with batch-first rows.

    ``x`` is ``(batch, n_x)``, ``h_prev`` is ``(batch, n_h)``; the step is
    :math:`h = \\tanh(x W_{hx}^\\top + h_{prev} W_{hh}^\\top + b_h)`.
    """
    rng = _rng(5)
    batch, n_x, n_h = 3, 4, 6                    # n_x != n_h, so a transposed weight shows up
    params = init_rnn(n_x, n_h, rng)
    params["b_h"] = rng.normal(size=n_h)
    x = rng.normal(size=(batch, n_x))
    h_prev = rng.normal(scale=0.5, size=(batch, n_h))   # nonzero: a wrong W_hh term shows up
    expected, _ = rnn_step_forward(x, h_prev, params)
    what = f"x of shape {x.shape}, h_prev of shape {h_prev.shape}"
    try:
        got = _call(rnn_step, x.copy(), h_prev.copy(), params["W_hx"].copy(), params["W_hh"].copy(),
                    params["b_h"].copy(), what=what)
    except AssertionError as error:
        if "matmul" in str(error) or "shapes" in str(error) or "align" in str(error):
            raise AssertionError(f"{error}. With rows as examples, the products are "
                                 "x @ W_hx.T (batch, n_x)(n_x, n_h) and h_prev @ W_hh.T") from None
        raise
    got = np.asarray(got)
    if got.shape != (batch, n_h):
        raise AssertionError(f"the new state should have shape (batch, n_h) = {(batch, n_h)}, "
                             f"got {got.shape}")
    z = x @ params["W_hx"].T + h_prev @ params["W_hh"].T + params["b_h"]
    diagnoses = [
        (z, "you returned the pre-activation: apply tanh to the sum"),
        (1 / (1 + np.exp(-z)), "you applied the sigmoid; the simple RNN's hidden activation is tanh"),
        (np.tanh(z - params["b_h"]), "the bias b_h is missing from the sum"),
        (np.tanh(x @ params["W_hx"].T + params["b_h"]), "the recurrent term h_prev @ W_hh.T is missing"),
        (np.tanh(x @ params["W_hx"].T + h_prev @ params["W_hh"] + params["b_h"]),
         "W_hh is used untransposed: with rows as examples the term is h_prev @ W_hh.T"),
    ]
    if not np.allclose(got, expected, rtol=1e-7, atol=1e-10):
        for wrong, message in diagnoses:
            if np.allclose(got, wrong, rtol=1e-7, atol=1e-10):
                raise AssertionError(message)
        raise AssertionError("the new state has the right shape but wrong values: it should be "
                             "tanh(x @ W_hx.T + h_prev @ W_hh.T + b_h)")
    _passed("rnn_step adds the two products and the bias, then applies tanh.")


def check_rnn_param_count(rnn_param_count) -> None:
    """Check ``rnn_param_count(n_x, n_h, n_y) -> int``: a simple RNN layer and its softmax output."""
    for n_x, n_h, n_y in [(10, 20, 30), (64, 256, 14147), (1, 1, 1)]:
        what = f"n_x={n_x}, n_h={n_h}, n_y={n_y}"
        got = _whole_number(_call(rnn_param_count, n_x, n_h, n_y, what=what), "rnn_param_count", what)
        expected = n_h * (n_h + n_x + 1) + n_y * (n_h + 1)
        if got == expected:
            continue
        wrong = {
            n_h * (n_h + n_x) + n_y * n_h: "you left out the biases b_h and b_y",
            n_h * (n_h + n_x + 1): "you left out the output layer W_yh, b_y",
            n_h * (2 * n_x + 1) + n_y * (n_h + 1): "W_hh maps the state to the state: it is (n_h, n_h), not (n_h, n_x)",
            n_h * (n_h + n_x + 1) + n_y * (n_x + 1): "W_yh reads the hidden state: it is (n_y, n_h)",
        }
        if (n_x, n_h, n_y) != (1, 1, 1) and got in wrong:
            raise AssertionError(f"for {what} you counted {got:,}: {wrong[got]}")
        raise AssertionError(f"for {what} the count should be n_h(n_h + n_x + 1) + n_y(n_h + 1), "
                             f"got {got!r}")
    _passed("the parameter count covers W_hx, W_hh, b_h, W_yh and b_y.")
