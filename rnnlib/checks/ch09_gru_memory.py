"""Checkers for the GRU chapter: a hand-set memory cell, the update-gate conversion."""

from __future__ import annotations

import numpy as np

from ..gru import gru_forward
from ._common import call as _call, passed as _passed
from ._common import rng as _rng


def _flagged_sequences(rng, n=40, T=60):
    """Channel 0: a value in {-1, +1} when the flag is set, noise otherwise; channel 1: flag."""
    x = np.zeros((n, T, 2))
    x[:, :, 0] = rng.normal(scale=1.0, size=(n, T))
    stored = np.zeros(n)
    for b in range(n):
        when = np.sort(rng.choice(np.arange(T - 10), size=rng.integers(1, 3), replace=False))
        for t in when:
            value = rng.choice([-1.0, 1.0])
            x[b, t, 0], x[b, t, 1] = value, 1.0
            stored[b] = value
    return x, stored


def check_memory_gru(memory_gru_params) -> None:
    """Check ``memory_gru_params() -> params`` for a GRU with ``n_x = 2``, ``n_h = 1``.

    Input channel 0 carries a value (+1 or -1) at the steps where channel 1, a flag, is 1,
    and noise elsewhere. The checker runs 40 sequences of 60 steps, each with one or two
    flagged steps before step 50, from the state 0.3. In at least 90% of them the state must
    take the sign of the value at the first flagged step; and at the last step, in at least
    90% of them, its sign must be that of the value at the last flagged step and, in at least
    90%, its magnitude must be above 0.5.
    """
    params = _call(memory_gru_params, what="no arguments")
    if not isinstance(params, dict):
        raise AssertionError(f"memory_gru_params should return a dict of GRU parameters, got {type(params).__name__}")
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x, stored = _flagged_sequences(_rng(11))
    try:
        hs, cache = gru_forward(x, np.full((len(x), 1), 0.3), params)
    except (ValueError, TypeError) as error:
        raise AssertionError(f"these are not GRU parameters for n_x = 2, n_h = 1: {error}") from None
    flags = x[:, :, 1] == 1
    after_flag = np.array([hs[b, np.flatnonzero(flags[b])[0], 0] for b in range(len(x))])
    first = np.array([x[b, np.flatnonzero(flags[b])[0], 0] for b in range(len(x))])
    if np.mean(np.sign(after_flag) == np.sign(first)) < 0.9:
        raise AssertionError("at a flagged step the state should take the sign of the value: open the "
                             "update gate when the flag is 1 (a large positive weight on the flag in W_u) "
                             "and let the candidate follow the value (a positive weight on channel 0 in W_c)")
    final = hs[:, -1, 0]
    if np.mean(np.abs(final) > 0.5) < 0.9 or np.mean(np.sign(final) == stored) < 0.9:
        decayed = np.mean(np.abs(final) > 0.5) < 0.9
        hint = ("the memory fades: when the flag is 0 the update gate must be shut, "
                "Gamma_u = sigma(very negative), so that h = (1 - Gamma_u) h_prev keeps the value"
                if decayed else
                "the noise overwrites the memory: with the flag at 0 the update gate must be shut, "
                "so that the candidate (driven by the noise) is ignored")
        raise AssertionError(hint)
    _passed("the GRU writes the flagged value and keeps it through the noise.")


def check_update_gate_conversion(update_gate_from_z) -> None:
    """Check ``update_gate_from_z(W_z, b_z) -> (W_u, b_u)``: from PyTorch's ``z`` to ``Gamma_u = 1 - z``."""
    rng = _rng(12)
    W_z, b_z = rng.normal(size=(5, 8)), rng.normal(size=5)
    got = _call(update_gate_from_z, W_z.copy(), b_z.copy(), what="a 5-unit gate")
    if not (isinstance(got, tuple) and len(got) == 2):
        raise AssertionError("update_gate_from_z should return a pair (W_u, b_u)")
    W_u, b_u = (np.asarray(g, dtype=float) for g in got)
    a = np.concatenate([rng.normal(size=(3, 8))])
    z = 1 / (1 + np.exp(-(a @ W_z.T + b_z)))
    if W_u.shape != W_z.shape or b_u.shape != b_z.shape:
        raise AssertionError(f"W_u and b_u should keep the shapes {W_z.shape} and {b_z.shape}")
    u = 1 / (1 + np.exp(-(a @ W_u.T + b_u)))
    if np.allclose(u, z):
        raise AssertionError("you returned z's own weights: the book's update gate is 1 - z")
    if np.allclose(W_u, -W_z) and not np.allclose(b_u, -b_z):
        raise AssertionError("the weights are negated but the bias is not: 1 - sigma(a) = sigma(-a) "
                             "negates the whole pre-activation, bias included")
    if not np.allclose(u, 1 - z):
        raise AssertionError("Gamma_u should equal 1 - z for every input: use 1 - sigma(a) = sigma(-a)")
    _passed("Gamma_u = 1 - z, by negating the gate's weights and bias.")
