"""The hand-set RNNs of the chapter on recurrent networks do what their docstrings say."""

import numpy as np
import pytest

from rnnlib.handset import one_hot_strings, seen_symbol_readout, seen_symbol_rnn
from rnnlib.layers import dense_forward
from rnnlib.ops import softmax
from rnnlib.rnn import rnn_forward


def test_one_hot_strings_shape_and_values():
    x = one_hot_strings(["ab?", "ba?"], "ab?")
    assert x.shape == (2, 3, 3) and x.dtype == np.float64
    assert np.array_equal(x[0], np.eye(3))
    assert np.array_equal(x[1].argmax(axis=1), [1, 0, 2])
    assert one_hot_strings(["a"], ("a", "b"), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("strings, alphabet, message", [
    (["ab", "a"], "ab", "same length"),
    (["az"], "ab", r"strings\[0\]\[1\] is 'z'"),
    ("ab", "ab", "list of str"),
    ([], "ab", "list of str"),
    ([""], "ab", "same length >= 1"),
    (["ab"], "aab", "distinct"),
    (["ab"], "", "non-empty"),
    ([3], "ab", r"strings\[0\] must be a str"),
])
def test_one_hot_strings_rejects_bad_input(strings, alphabet, message):
    with pytest.raises((TypeError, ValueError), match=message):
        one_hot_strings(strings, alphabet)


def _run(strings, alphabet="abc?", gain=10.0):
    x = one_hot_strings(strings, alphabet)
    params = seen_symbol_rnn(alphabet, "a", gain)
    hs, _ = rnn_forward(x, np.zeros((len(strings), 1)), params, activation="sigmoid")
    return hs[..., 0]


def test_seen_symbol_rnn_shapes():
    params = seen_symbol_rnn("abc?", "c", gain=6.0)
    assert params["W_hx"].shape == (1, 4) and params["W_hh"].shape == (1, 1)
    assert params["b_h"].shape == (1,)
    assert np.array_equal(params["W_hx"][0], [0, 0, 6, 0]) and params["b_h"][0] == -3


def test_seen_symbol_rnn_switches_on_and_stays_on_at_any_length():
    rng = np.random.default_rng(0)
    strings = []
    for _ in range(40):
        s = list(rng.choice(list("bc?"), size=300))
        if rng.random() < 0.5:
            s[rng.integers(300)] = "a"
        if rng.random() < 0.2:
            s[rng.integers(300)] = "a"
        strings.append("".join(s))
    h = _run(strings)
    seen = np.array([[("a" in s[:t + 1]) for t in range(300)] for s in strings])
    assert np.all(h[seen] > 0.9) and np.all(h[~seen] < 0.1)


def test_seen_symbol_readout_agrees_with_the_state():
    h = _run(["bcb?", "bab?", "abc?", "bbba"])
    logits, _ = dense_forward(h[:, -1:], seen_symbol_readout())
    p_yes = softmax(logits)[:, 0]
    assert np.array_equal(p_yes > 0.5, [False, True, True, True])
    assert np.allclose(p_yes, 1 / (1 + np.exp(-20 * (h[:, -1] - 0.5))))


@pytest.mark.parametrize("kwargs, message", [
    ({"alphabet": "abc", "symbol": "z"}, "one character of the alphabet"),
    ({"alphabet": "abc", "symbol": "ab"}, "one character"),
    ({"alphabet": "abc", "symbol": "a", "gain": 0}, "gain must be a number > 0"),
    ({"alphabet": "abc", "symbol": "a", "gain": True}, "gain"),
])
def test_seen_symbol_rnn_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        seen_symbol_rnn(**kwargs)
    with pytest.raises(ValueError, match="gain"):
        seen_symbol_readout(gain=-1.0)
