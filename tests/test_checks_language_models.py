"""The chapter 12 checkers accept right answers and name the classic wrong ones."""

import math

import pytest

from rnnlib import checks


def param_count(V, n_e, n_h, cell, tie):
    recurrent = 3 * n_h * (n_h + n_e) + 4 * n_h if cell == "gru" else n_h * (n_h + n_e) + n_h
    return V * n_e + recurrent + (0 if tie else V * n_h) + V


def overtaking(tokens, ppls, baseline):
    for i, p in enumerate(ppls):
        if p < baseline:
            if i == 0:
                return tokens[0]
            a, b = math.log(ppls[i - 1]), math.log(p)
            return tokens[i - 1] + (a - math.log(baseline)) / (a - b) * (tokens[i] - tokens[i - 1])
    return None


def test_right_answers_pass(capsys):
    checks.check_lm_param_count(param_count)
    checks.check_overtaking_point(overtaking)
    out = capsys.readouterr().out
    assert out.count("All checks passed") == 2


@pytest.mark.parametrize("wrong,message", [
    (lambda V, e, h, c, t: param_count(V, e, h, c, False), "counted once"),
    (lambda V, e, h, c, t: param_count(V, e, h, c, t) - V, "bias of V"),
    (lambda V, e, h, c, t: param_count(V, e, h, c, t) - V * e, "embedding table"),
    (lambda V, e, h, c, t: param_count(V, e, h, c, t) - (h if c == "gru" else 0), "fourth bias"),
    (lambda V, e, h, c, t: param_count(V, e, h, "rnn", t), "three weight blocks"),
    (lambda V, e, h, c, t: param_count(V, e, h, c, t) + (V * (e - h) if not t else 0), "read the hidden state"),
    (lambda V, e, h, c, t: param_count(V, e, h, c, t) + 0.5, "whole number"),
    (lambda V, e, h, c, t: 1 / 0, "raised ZeroDivisionError"),
])
def test_param_count_mistakes_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_lm_param_count(wrong)


def _first_point(tokens, ppls, baseline):
    return next((tokens[i] for i, p in enumerate(ppls) if p < baseline), None)


def _linear(tokens, ppls, baseline):
    for i, p in enumerate(ppls):
        if p < baseline:
            if i == 0:
                return tokens[0]
            return tokens[i - 1] + (ppls[i - 1] - baseline) / (ppls[i - 1] - p) * (tokens[i] - tokens[i - 1])
    return None


def _last_crossing(tokens, ppls, baseline):
    starts = [i for i in range(1, len(ppls)) if ppls[i] < baseline <= ppls[i - 1]]
    if not starts:
        return overtaking(tokens, ppls, baseline)
    i = starts[-1]
    return overtaking(tokens[i - 1:], ppls[i - 1:], baseline)


@pytest.mark.parametrize("wrong,message", [
    (_first_point, "interpolate between"),
    (_linear, "log-perplexity"),
    (_last_crossing, "first crossing counts"),
    (lambda t, p, b: next((i for i, x in enumerate(p) if x < b), None), "not the index"),
    (lambda t, p, b: overtaking(t, p, b) or 0.0, "answer is None"),
    (lambda t, p, b: None, "got None"),
    (lambda t, p, b: overtaking(t, p, b if b != 130.0 else 129.0), "crosses 130.0"),
])
def test_overtaking_mistakes_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_overtaking_point(wrong)
