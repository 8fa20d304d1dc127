"""Checkers of the GRU chapter: right solutions pass, wrong ones are named."""

import numpy as np
import pytest

from rnnlib import checks


def memory(flag_w=20.0, bias=-10.0, value_w=3.0):
    # columns: [h, value, flag]
    return {"W_u": np.array([[0.0, 0.0, flag_w]]), "b_u": np.array([bias]),
            "W_r": np.zeros((1, 3)), "b_r": np.zeros(1),
            "W_c": np.array([[0.0, value_w, 0.0]]), "b_c": np.zeros(1)}


def test_memory_checker_accepts_a_hand_set_memory(capsys):
    checks.check_memory_gru(memory)
    assert "keeps it" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda: memory(flag_w=-20.0, bias=10.0), "noise overwrites|at a flagged step"),
    (lambda: memory(flag_w=0.0), "at a flagged step"),
    (lambda: memory(bias=-1.0, flag_w=11.0), "fades|noise overwrites"),
    (lambda: memory(value_w=-3.0), "at a flagged step"),
    (lambda: {"W_u": np.zeros((1, 2))}, "not GRU parameters"),
])
def test_memory_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_memory_gru(wrong)


def test_update_gate_conversion_checker(capsys):
    checks.check_update_gate_conversion(lambda W, b: (-W, -b))
    assert "1 - z" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="z's own weights"):
        checks.check_update_gate_conversion(lambda W, b: (W, b))
    with pytest.raises(AssertionError, match="bias is not"):
        checks.check_update_gate_conversion(lambda W, b: (-W, b))
    with pytest.raises(AssertionError, match="not implemented"):
        def unwritten(W, b):
            raise NotImplementedError()
        checks.check_update_gate_conversion(unwritten)
