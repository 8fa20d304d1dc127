"""Checkers for chapter 12, training language models: where the parameters are, and reading a
learning curve against a baseline."""

from __future__ import annotations

import math

from ..language_model import LMConfig, param_shapes
from ._common import diagnose as _diagnose, number as _number, call as _call, passed as _passed


def _count(config: LMConfig) -> int:
    return sum(math.prod(shape) for shape in param_shapes(config).values())


# ---------------------------------------------------------------- parameter count
def check_lm_param_count(lm_param_count) -> None:
    """Check ``lm_param_count(vocab_size, n_embed, n_hidden, cell, tie) -> int``.

    One recurrent layer (``"rnn"``: tanh, ``W_hx``, ``W_hh``, ``b_h``; ``"gru"``: the reset-after
    GRU of the chapter's models, three weight blocks ``(n_h, n_h + n_e)`` and four biases),
    an embedding table ``(V, n_e)``, and an output layer ``(V, n_h)`` plus ``(V,)``, whose
    weights are the embedding table itself when ``tie`` is True.
    """
    name = getattr(lm_param_count, "__name__", "your function")
    cases = [(10_774, 200, 200, "gru", True), (10_774, 200, 200, "gru", False),
             (46, 32, 384, "gru", False), (46, 32, 384, "rnn", False),
             (10_774, 200, 200, "rnn", True), (5, 3, 4, "gru", False)]
    for V, n_e, n_h, cell, tie in cases:
        what = f"V = {V}, n_embed = {n_e}, n_hidden = {n_h}, cell = {cell!r}, tie = {tie}"
        got = _number(_call(lm_param_count, V, n_e, n_h, cell, tie, what=what), name)
        config = LMConfig(vocab_size=V, n_embed=n_e, n_hidden=n_h, cell=cell, tie_weights=tie,
                          reset_after=True)
        expected = _count(config)
        recurrent = expected - V * n_e - V - (0 if tie else V * n_h)
        diagnoses = [
            (expected + V * n_h if tie else math.nan,
             "with tied weights the output layer has no matrix of its own: W is E, counted once"),
            (expected - V, "the output layer has a bias of V numbers too"),
            (expected - V * n_e, "the embedding table (V, n_embed) is a parameter too"),
            (expected - n_h if cell == "gru" else math.nan,
             "the reset-after GRU has a fourth bias, b_ch, inside the candidate's product "
             "(chapter 9)"),
            (expected - recurrent + n_h * (n_h + n_e) + n_h if cell == "gru" else math.nan,
             "a GRU has three weight blocks (update, reset, candidate), not one"),
            (expected - V * n_h + V * n_e if not tie else math.nan,
             "the output weights are (V, n_hidden): they read the hidden state, not the embedding"),
        ]
        if not math.isfinite(got) or got != int(got):
            raise AssertionError(f"on {what}: a number of parameters is a whole number, got {got!r}")
        _diagnose(got, expected, diagnoses, what,
                  f"the model has {expected:,} parameters, got {int(got):,}")
    _passed("the parameter counts of tied and untied GRU and RNN language models are right")


# ---------------------------------------------------------------- learning curves
def _overtaking_point(tokens_seen, valid_ppl, baseline):
    """Where the curve first goes below ``baseline``, log-perplexity interpolated linearly."""
    for i, (n, ppl) in enumerate(zip(tokens_seen, valid_ppl)):
        if ppl < baseline:
            if i == 0:
                return float(n)
            n0, p0 = tokens_seen[i - 1], valid_ppl[i - 1]
            f = (math.log(p0) - math.log(baseline)) / (math.log(p0) - math.log(ppl))
            return float(n0 + f * (n - n0))
    return None


def check_overtaking_point(overtaking_point) -> None:
    """Check ``overtaking_point(tokens_seen, valid_ppl, baseline) -> float or None``."""
    name = getattr(overtaking_point, "__name__", "your function")
    cases = [
        ([1e6, 2e6, 3e6, 4e6], [200.0, 150.0, 120.0, 110.0], 130.0, "a curve that crosses once"),
        ([1e6, 2e6, 3e6], [300.0, 200.0, 160.0], 130.0, "a curve that stays above the baseline"),
        ([5e5, 1e6], [100.0, 90.0], 130.0, "a curve below the baseline from its first point"),
        ([1e6, 2e6, 3e6, 4e6, 5e6], [200.0, 125.0, 135.0, 120.0, 118.0], 130.0,
         "a curve that dips below, goes back above, and comes down again"),
        ([1e6, 2e6, 3e6], [200.0, 130.0, 120.0], 130.0,
         "a curve that touches the baseline exactly before going below"),
        ([1e6, 3e6], [400.0, 100.0], 200.0, "two points far apart"),
    ]
    for tokens, ppls, baseline, what in cases:
        got = _call(overtaking_point, list(tokens), list(ppls), baseline, what=what)
        expected = _overtaking_point(tokens, ppls, baseline)
        if expected is None:
            if got is not None:
                raise AssertionError(f"on {what}: the curve never goes below {baseline}, so the "
                                     f"answer is None, got {got!r}")
            continue
        if got is None:
            raise AssertionError(f"on {what}: the curve does go below {baseline}; expected "
                                 f"{expected:,.0f} tokens, got None")
        got = _number(got, name)
        i = next(i for i, p in enumerate(ppls) if p < baseline)
        diagnoses = [(float(i), "return the number of tokens seen, not the index of the evaluation"),
                     (float(tokens[i]), "interpolate between the last evaluation above the "
                                        "baseline and the first below it; the curve crosses "
                                        "somewhere between them"),
                     ]
        if i > 0:
            n0, n1, p0, p1 = tokens[i - 1], tokens[i], ppls[i - 1], ppls[i]
            diagnoses.append((n0 + (p0 - baseline) / (p0 - p1) * (n1 - n0),
                              "interpolate the log-perplexity (the mean loss) linearly, as the "
                              "exercise asks, not the perplexity itself"))
        last = max(j for j, p in enumerate(ppls) if p < baseline and (j == 0 or ppls[j - 1] >= baseline))
        if last != i:
            diagnoses.append((_overtaking_point(tokens[last - 1:], ppls[last - 1:], baseline),
                              "the first crossing counts, not the last"))
        _diagnose(got, expected, diagnoses, what,
                  f"the curve crosses {baseline} at {expected:,.1f} tokens, got {got!r}")
    _passed("crossings are found, interpolated in log-perplexity, and None when there is none")
