"""Checkers of the simple-RNN math chapter: right solutions pass, wrong ones are named."""

import numpy as np
import pytest

from rnnlib import checks


def rnn_step(x, h_prev, W_hx, W_hh, b_h):
    return np.tanh(x @ W_hx.T + h_prev @ W_hh.T + b_h)


def test_rnn_step_checker_accepts_correct(capsys):
    checks.check_rnn_step(rnn_step)
    assert "tanh" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda x, h, Wx, Wh, b: x @ Wx.T + h @ Wh.T + b, "pre-activation"),
    (lambda x, h, Wx, Wh, b: 1 / (1 + np.exp(-(x @ Wx.T + h @ Wh.T + b))), "sigmoid"),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T), "bias b_h is missing"),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b), "recurrent term"),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b), "untransposed"),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b), "x @ W_hx.T"),
    (lambda x, h, Wx, Wh, b: np.tanh(np.concatenate([h, x], 1) @ np.concatenate([Wh, Wx], 1).T), "bias"),
])
def test_rnn_step_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rnn_step(wrong)


def test_param_count_checker():
    checks.check_rnn_param_count(lambda n_x, n_h, n_y: n_h * (n_h + n_x + 1) + n_y * (n_h + 1))
    with pytest.raises(AssertionError, match="left out the biases"):
        checks.check_rnn_param_count(lambda n_x, n_h, n_y: n_h * (n_h + n_x) + n_y * n_h)
    with pytest.raises(AssertionError, match="it is \\(n_h, n_h\\)"):
        checks.check_rnn_param_count(lambda n_x, n_h, n_y: n_h * (2 * n_x + 1) + n_y * (n_h + 1))
    with pytest.raises(AssertionError, match="output layer"):
        checks.check_rnn_param_count(lambda n_x, n_h, n_y: n_h * (n_h + n_x + 1))


def test_unwritten_function():
    def rnn_step(*args):
        raise NotImplementedError()
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_rnn_step(rnn_step)
