"""rnnlib.threads: the kernels run BLAS on one thread, the limit is undone after them, and thread
counts change no result."""

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from rnnlib import threads
from rnnlib.gru import gru_backward, gru_forward, init_gru
from rnnlib.rnn import init_rnn, rnn_backward, rnn_forward

blas = ThreadpoolController().select(user_api="blas")
needs_threads = pytest.mark.skipif(threads.blas_threads() < 2,
                                   reason="BLAS runs on one thread here (nothing to limit)")


@needs_threads
def test_one_blas_thread_limits_and_restores():
    before = threads.blas_threads()
    with threads.one_blas_thread():
        assert threads.blas_threads() == 1
        with threads.one_blas_thread():                 # nested: still one, then restored
            assert threads.blas_threads() == 1
        assert threads.blas_threads() == 1
    assert threads.blas_threads() == before


@needs_threads
def test_the_policy_can_be_switched_off_for_a_block():
    before = threads.blas_threads()
    with threads.limit_enabled(False), threads.one_blas_thread():
        assert threads.blas_threads() == before
    with threads.one_blas_thread():
        assert threads.blas_threads() == 1


@needs_threads
def test_the_limit_is_restored_after_an_error():
    before = threads.blas_threads()
    with pytest.raises(ValueError):
        with threads.one_blas_thread():
            raise ValueError("inside")
    assert threads.blas_threads() == before


@needs_threads
def test_kernels_run_their_loop_with_one_blas_thread(monkeypatch):
    import rnnlib.gru
    import rnnlib.rnn
    seen = []

    def spy(module, name):          # record the thread count inside the loop's steps
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a: seen.append(threads.blas_threads()) or original(*a))

    spy(rnnlib.rnn, "_activate_in_place")
    spy(rnnlib.gru, "_sigmoid_in_place")
    rng = np.random.default_rng(0)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    rnn_forward(x, h0, init_rnn(3, 4, rng))
    gru_forward(x, h0, init_gru(3, 4, rng))
    assert len(seen) == 10 and set(seen) == {1}
    assert threads.blas_threads() > 1                    # restored afterwards


def run_both(dtype):
    """Forward and backward of both kernels, at sizes where a BLAS library uses its threads."""
    rng = np.random.default_rng(0)
    batch, T, n_x, n_h = 32, 6, 64, 256
    x = rng.normal(size=(batch, T, n_x)).astype(dtype)
    h0 = rng.normal(scale=0.5, size=(batch, n_h)).astype(dtype)
    dhs = rng.normal(size=(batch, T, n_h)).astype(dtype)
    out = []
    for reset_after in (False, True):
        p = {k: v.astype(dtype) for k, v in init_gru(n_x, n_h, rng, reset_after=reset_after).items()}
        hs, cache = gru_forward(x, h0, p, reset_after)
        out += [hs, *gru_backward(dhs, cache)[:2], *gru_backward(dhs, cache)[2].values()]
    p = {k: v.astype(dtype) for k, v in init_rnn(n_x, n_h, rng).items()}
    hs, cache = rnn_forward(x, h0, p)
    out += [hs, *rnn_backward(dhs, cache)[:2], *rnn_backward(dhs, cache)[2].values()]
    return out


@needs_threads
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_counts_do_not_change_the_results(dtype):
    default = run_both(dtype)
    with threads.limit_enabled(False):                 # every product on every thread
        all_threads = run_both(dtype)
    with blas.limit(limits=1):                          # every product on one thread
        one_thread = run_both(dtype)
    for a, b, c in zip(default, all_threads, one_thread):
        assert np.array_equal(a, b) and np.array_equal(a, c)
