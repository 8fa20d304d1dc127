"""Checkers of the hidden-state lab and the applications chapter: right solutions pass,
classic mistakes are named, unwritten functions are reported in words."""

import numpy as np
import pytest

from rnnlib import checks, ops


def _unwritten(*args):
    raise NotImplementedError()


# ----------------------------------------------------------------- concatenate_weights
def test_concatenate_weights_accepts_correct(capsys):
    checks.check_concatenate_weights(lambda W_hh, W_hx: np.concatenate([W_hh, W_hx], axis=1))
    checks.check_concatenate_weights(lambda W_hh, W_hx: np.hstack([W_hh, W_hx]))
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda W_hh, W_hx: np.concatenate([W_hx, W_hh], axis=1), "wrong order"),
    (lambda W_hh, W_hx: np.concatenate([W_hh, W_hx], axis=1).T, "transposed"),
    (lambda W_hh, W_hx: np.concatenate([W_hh, W_hx], axis=0), "axis=1"),
    (lambda W_hh, W_hx: np.concatenate([W_hh.T, W_hx.T], axis=1), "axis=1|shape"),
    (lambda W_hh, W_hx: np.concatenate([W_hh, 2 * W_hx], axis=1), "wrong values"),
])
def test_concatenate_weights_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_concatenate_weights(wrong)


def test_concatenate_weights_vertical_stack_in_the_square_case():
    def vertical_when_possible(W_hh, W_hx):
        return np.vstack([W_hh, W_hx]) if W_hh.shape == W_hx.shape else np.hstack([W_hh, W_hx])
    with pytest.raises(AssertionError, match="vertically"):
        checks.check_concatenate_weights(vertical_when_possible)


def test_concatenate_weights_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_concatenate_weights(_unwritten)


# ----------------------------------------------------------------- rnn_step_concat
def _step(x, h_prev, W_h, b_h):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W_h.T + b_h)


def test_rnn_step_concat_accepts_correct(capsys):
    checks.check_rnn_step_concat(_step)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda x, h, W, b: np.tanh(np.concatenate([x, h], axis=1) @ W.T + b), r"\[x, h_prev\]"),
    (lambda x, h, W, b: np.concatenate([h, x], axis=1) @ W.T + b, "pre-activation"),
    (lambda x, h, W, b: ops.sigmoid(np.concatenate([h, x], axis=1) @ W.T + b), "sigmoid"),
    (lambda x, h, W, b: np.tanh(np.concatenate([h, x], axis=1) @ W.T), "bias"),
    (lambda x, h, W, b: np.tanh(np.concatenate([h, x], axis=1) @ W + b), "W_h.T"),
    (lambda x, h, W, b: np.tanh(np.concatenate([h, x], axis=0) @ W.T + b), "axis=1"),
    (lambda x, h, W, b: np.tanh(np.concatenate([0 * h, x], axis=1) @ W.T + b), "recurrent half"),
])
def test_rnn_step_concat_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rnn_step_concat(wrong)


def test_rnn_step_concat_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_rnn_step_concat(_unwritten)


# ----------------------------------------------------------------- run_sequence
def _run(x, h0, W_h, b_h, zero_start=False, feed_back=True, keep_h0=False, last_only=False,
         time_major=False, tuple_out=False):
    h = np.zeros_like(h0) if zero_start else h0
    hs = [h0] if keep_h0 else []
    for t in range(x.shape[1]):
        new = _step(x[:, t], h, W_h, b_h)
        if feed_back:
            h = new
        hs.append(new)
    if last_only:
        return hs[-1]
    if keep_h0:
        hs = hs[:-1] if keep_h0 == "shift" else hs
    out = np.stack(hs, axis=0 if time_major else 1)
    return (out, h) if tuple_out else out


def test_run_sequence_accepts_correct(capsys):
    checks.check_run_sequence(_run)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, message", [
    ({"zero_start": True}, "started from zeros"),
    ({"feed_back": False}, "every step used h0"),
    ({"keep_h0": "shift"}, "off by one"),
    ({"keep_h0": True}, "T \\+ 1"),
    ({"last_only": True}, "only the last state"),
    ({"time_major": True}, "time first"),
    ({"tuple_out": True}, "not a tuple"),
])
def test_run_sequence_names_mistakes(kwargs, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_run_sequence(lambda x, h0, W_h, b_h: _run(x, h0, W_h, b_h, **kwargs))


def test_run_sequence_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_run_sequence(_unwritten)


# ----------------------------------------------------------------- saturation
def test_saturation_accepts_correct(capsys):
    checks.check_saturation(lambda hs, threshold: np.mean(np.abs(hs) > threshold))
    checks.check_saturation(lambda hs, threshold: (np.abs(hs) > threshold).sum() / hs.size)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda hs, th: np.mean(hs > th), "np.abs"),
    (lambda hs, th: np.sum(np.abs(hs) > th), "count"),
    (lambda hs, th: np.mean(np.abs(hs) > 0.99), "ignored the threshold"),
    (lambda hs, th: np.mean(np.abs(hs) < th), "below the threshold"),
    (lambda hs, th: np.mean(np.abs(hs) > th, axis=0), "one number"),
    (lambda hs, th: np.mean(hs ** 2 > th), "h\\*\\*2"),
])
def test_saturation_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_saturation(wrong)


def test_saturation_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_saturation(_unwritten)


# ----------------------------------------------------------------- last_real_state
def test_last_real_state_accepts_correct(capsys):
    checks.check_last_real_state(lambda hs, mask: hs[np.arange(len(hs)), mask.sum(1) - 1])
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda hs, mask: hs[:, -1], "after the padding"),
    (lambda hs, mask: hs[np.arange(len(hs)), mask.sum(1)], "off by one"),
    (lambda hs, mask: hs[:, 0], "first state"),
    (lambda hs, mask: (hs * mask[..., None]).sum(1) / mask.sum(1, keepdims=True), "mean pooling"),
    (lambda hs, mask: hs[np.arange(len(hs)), mask.sum(1) - 1][:, 0], "shape"),
])
def test_last_real_state_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_last_real_state(wrong)


def test_last_real_state_off_by_one_that_raises():
    def last(hs, mask):                    # right whenever the index exists, then IndexError
        idx = mask.sum(1)
        if (idx < hs.shape[1]).all():
            return hs[np.arange(len(hs)), idx - 1]
        return hs[np.arange(len(hs)), idx]
    with pytest.raises(AssertionError, match="off by one"):
        checks.check_last_real_state(last)


def test_last_real_state_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_last_real_state(_unwritten)


# ----------------------------------------------------------------- temperature_softmax
def _temperature_softmax(logits, temperature):
    z = logits / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_temperature_softmax_accepts_correct(capsys):
    checks.check_temperature_softmax(_temperature_softmax)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda z, tau: ops.softmax(z * tau, axis=-1), "multiplied"),
    (lambda z, tau: ops.softmax(z, axis=-1), "no effect"),
    (lambda z, tau: np.exp(z / tau), "sum to 1"),
    (lambda z, tau: ops.softmax(z / tau, axis=0), "axis 0"),
    (lambda z, tau: ops.softmax(z, axis=-1) ** (1 / tau), "renormalised"),
    (lambda z, tau: np.exp(z / tau) / np.exp(z / tau).sum(-1, keepdims=True), "not finite"),
])
def test_temperature_softmax_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_temperature_softmax(wrong)


def test_temperature_softmax_unwritten():
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_temperature_softmax(_unwritten)
