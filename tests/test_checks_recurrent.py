"""Checkers of the recurrent-network and scan chapters: right solutions pass, wrong ones are named."""

import numpy as np
import pytest

from rnnlib import checks


def _unwritten(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- the recurrence as a loop
def _loop(x, h0, params, g=np.tanh, update=True, transpose=True, bias=True, start=None, keep_h0=False):
    W_hx, W_hh, b_h = params["W_hx"], params["W_hh"], params["b_h"]
    W = W_hh.T if transpose else W_hh
    h = h0 if start is None else start(h0)
    hs = [h] if keep_h0 else []
    for t in range(x.shape[1]):
        new = g(x[:, t] @ W_hx.T + h @ W + (b_h if bias else 0))
        if update:
            h = new
        hs.append(new)
    return np.stack(hs, axis=1)


def test_rnn_forward_loop_accepts_correct(capsys):
    checks.check_rnn_forward_loop(_loop)
    assert capsys.readouterr().out.startswith("All checks passed")


@pytest.mark.parametrize("wrong, message", [
    (lambda x, h0, p: _loop(x, h0, p, start=np.zeros_like), "started from zeros"),
    (lambda x, h0, p: _loop(x, h0, p, update=False), "every step used h0"),
    (lambda x, h0, p: _loop(x, h0, p, bias=False), "bias b_h is missing"),
    (lambda x, h0, p: _loop(x, h0, p, transpose=False), "untransposed"),
    (lambda x, h0, p: _loop(x, h0, p, g=lambda z: z), "no activation"),
    (lambda x, h0, p: _loop(x, h0, p, keep_h0=True), "T \\+ 1 states"),
    (lambda x, h0, p: _loop(x, h0, p, keep_h0=True)[:, :-1], "shifted by one step"),
    (lambda x, h0, p: _loop(x, h0, p).swapaxes(0, 1), "time first"),
    (lambda x, h0, p: (_loop(x, h0, p), None), "states hs only"),
])
def test_rnn_forward_loop_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rnn_forward_loop(wrong)


def test_rnn_forward_loop_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_rnn_forward_loop(_unwritten)


# ---------------------------------------------------------------- bracket counter
def _counter(w_open=1.0, w_close=-1.0, w_x=0.0, w_hh=1.0, b=0.0):
    return lambda: {"W_hx": np.array([[w_open, w_close, w_x]]), "W_hh": np.array([[w_hh]]),
                    "b_h": np.array([b])}


def test_bracket_counter_accepts_correct(capsys):
    checks.check_bracket_counter(_counter())
    assert capsys.readouterr().out.startswith("All checks passed")


def test_bracket_counter_accepts_extra_units(capsys):
    def two_units():
        return {"W_hx": np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]]),
                "W_hh": np.array([[1.0, 0.0], [0.0, 0.5]]), "b_h": np.zeros(2)}
    checks.check_bracket_counter(two_units)
    assert "400 symbols" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (_counter(w_open=-1.0, w_close=1.0), "check its sign"),
    (_counter(w_hh=0.0), "forgets the count"),
    (_counter(w_hh=0.9), "leaks"),
    (_counter(w_hh=1.1), "grows by itself"),
    (_counter(b=0.5), "bias b_h\\[0\\] = 0.5"),
    (_counter(w_x=1.0), "column of 'x'"),
    (_counter(w_close=0.0), "subtract 1"),
    (lambda: {"W_hx": np.ones((1, 2)), "W_hh": np.ones((1, 1)), "b_h": np.zeros(1)}, "\\(n_h, 3\\)"),
    (lambda: {"W_hx": np.ones((1, 3)), "W_hh": np.ones((1, 1))}, "keys"),
])
def test_bracket_counter_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_bracket_counter(wrong)


def test_bracket_counter_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_bracket_counter(_unwritten)


# ---------------------------------------------------------------- scan
def scan(fn, xs, init):
    carry, ys = init, []
    for x in xs:
        carry, y = fn(carry, x)
        ys.append(y)
    return np.stack(ys), carry


def test_scan_accepts_correct(capsys):
    checks.check_scan(scan)
    assert capsys.readouterr().out.startswith("All checks passed")


def _carries(fn, xs, init):
    carry, ys = init, []
    for x in xs:
        carry, _ = fn(carry, x)
        ys.append(carry)
    return np.stack(ys), carry


def _swapped(fn, xs, init):
    carry, ys = init, []
    for x in xs:
        carry, y = fn(x, carry)
        ys.append(y)
    return np.stack(ys), carry


def _with_init(fn, xs, init):
    ys, carry = scan(fn, xs, init)
    return np.concatenate([np.asarray(init, float)[None], ys]), carry


@pytest.mark.parametrize("wrong, message", [
    (lambda fn, xs, init: scan(fn, xs, init)[::-1], "returned \\(carry, ys\\)"),
    (_carries, "ys holds the carries"),
    (_swapped, "fn\\(x, carry\\)"),
    (_with_init, "do not include init"),
    (lambda fn, xs, init: (scan(fn, xs, init)[0], init), "final carry"),
    (lambda fn, xs, init: scan(fn, xs[:-1], init) if len(xs) > 1 else scan(fn, xs, init), "called fn"),
    (lambda fn, xs, init: [scan(fn, xs, init)], "pair \\(ys, carry\\)"),
])
def test_scan_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_scan(wrong)


def test_scan_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_scan(_unwritten)


# ---------------------------------------------------------------- EMA
def ema(xs, alpha, s0):
    return scan(lambda s, x: ((1 - alpha) * s + alpha * x,) * 2, xs, s0)[0]


def test_ema_accepts_correct(capsys):
    checks.check_ema(ema)
    assert capsys.readouterr().out.startswith("All checks passed")


@pytest.mark.parametrize("wrong, message", [
    (lambda xs, a, s0: ema(xs, 1 - a, s0), "alpha weighs the new input"),
    (lambda xs, a, s0: ema(xs, a, 0 * np.asarray(s0)), "started from 0"),
    (lambda xs, a, s0: np.concatenate([np.asarray(s0, float)[None], ema(xs, a, s0)]), "leave s0"),
    (lambda xs, a, s0: np.concatenate([np.asarray(s0, float)[None], ema(xs, a, s0)[:-1]]), "shifted"),
    (lambda xs, a, s0: ema(xs, a, s0)[-1], "only the last"),
    (lambda xs, a, s0: np.concatenate([xs[:1], ema(xs[1:], a, xs[0])]), "instead of s0"),
])
def test_ema_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_ema(wrong)


def test_ema_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_ema(_unwritten)
