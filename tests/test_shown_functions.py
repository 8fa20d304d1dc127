"""The functions chapters 6, 7 and 9 show read as their equations: one validation line at most.

A validation line is a call of a checking helper (``_check_*``, ``check_*``, ``as_float``,
``upstream``, ``param``) or a ``raise``; the checks live in :mod:`rnnlib.validate` and in one
private helper per module, called once at the top.
"""

import inspect
import re

import pytest

from rnnlib.gru import gru_step_backward, gru_step_forward
from rnnlib.optim import clip_grad_norm
from rnnlib.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

SHOWN = [rnn_step_forward, rnn_step_backward, rnn_forward, rnn_backward,   # chapters 6, 7, 8
         gru_step_forward, gru_step_backward,                             # chapter 9, lab 9.1
         clip_grad_norm]                                                  # chapter 7
VALIDATION = re.compile(r"\b(_check\w*|check_\w+|as_float|upstream|param)\(|^\s*raise\b")


def _body(fn) -> list[str]:
    source = inspect.getsource(fn)
    body = source.split('"""', 2)[2] if source.count('"""') >= 2 else source
    return [line for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("fn", SHOWN, ids=lambda f: f.__name__)
def test_at_most_one_validation_line(fn):
    lines = [line.strip() for line in _body(fn) if VALIDATION.search(line)]
    assert len(lines) <= 1, f"{fn.__name__} has {len(lines)} validation lines: {lines}"


def test_the_pattern_finds_validation():
    assert VALIDATION.search("    x, h = _check_inputs(x, h, params)")
    assert VALIDATION.search("    check_cache(cache, RNNCache, 'rnn_forward')")
    assert not VALIDATION.search("    h = np.tanh(x @ W_hx.T + h_prev @ W_hh.T + b_h)")
