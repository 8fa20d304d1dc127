"""BLAS threads for the recurrent kernels: each pass runs on one thread.

The loop of a recurrent layer runs one small matrix product per step, ``(batch, n_h)`` by
``(n_h, k n_h)``, each waiting for the one before. A multithreaded BLAS splits every such
product between its threads and makes them meet at the end of it; when another process keeps
a core busy, a thread that waits for a core holds up every step, and the pass can take
several times as long. The large products before and after the loop (the input projections of all
steps, the weight gradients) do gain from more threads, but only on an idle machine: after a
multithreaded product, OpenBLAS's other threads keep spinning, waiting for more work, through
the loop that follows, where they take a core from the loop or from any other process.
``benchmarks/bench_threads.py`` measures the choices on a quiet machine and with one busy
process beside it. On the two-core machine of the benchmarks appendix, without any limit a pass
was somewhat faster on a quiet machine (the GRU of the benchmark by about 15%), but with one
busy process beside it took 2.4 to 14 times as long as with the whole pass on one thread; the
loop alone on one thread was slower than the whole pass on one thread, quiet and busy, and
used twice the CPU time, in the run that measured it. The whole pass on one thread costs a
little on an idle machine and holds up when the machine is shared.

:func:`one_blas_thread` is what the kernels of :mod:`rnnlib.rnn` and :mod:`rnnlib.gru` run
in (as a decorator). It needs ``threadpoolctl``, which finds the BLAS library numpy loaded.
``threadpoolctl.threadpool_limits`` inspects the process's loaded libraries at every call
(hundreds of microseconds); here they are inspected once, and each use costs microseconds,
almost nothing when BLAS already runs on one thread (as with ``OPENBLAS_NUM_THREADS=1``).
Thread counts do not change the results: OpenBLAS divides a product between its threads by
blocks of the output, and each output element is summed in the same order either way
(``tests/test_threads.py`` checks it for the kernels).

:func:`limit_enabled` switches the limit off for a block, to measure what it buys.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

__all__ = ["one_blas_thread", "limit_enabled", "blas_threads"]

_state = {"controller": None, "enabled": True}
_lock = threading.Lock()


def _blas_controller():
    """The BLAS libraries loaded in this process, found once (numpy's is loaded by then)."""
    if _state["controller"] is None:
        with _lock:
            if _state["controller"] is None:
                from threadpoolctl import ThreadpoolController
                _state["controller"] = ThreadpoolController().select(user_api="blas")
    return _state["controller"]


def blas_threads() -> int:
    """The largest number of threads any loaded BLAS library may use now (1 if none is found)."""
    return max([lib.num_threads or 1 for lib in _blas_controller().lib_controllers], default=1)


@contextmanager
def one_blas_thread():
    """Run the block (or, as ``@one_blas_thread()``, the function) with BLAS on one thread, and
    restore the previous limit after it.

    Does nothing if BLAS already runs on one thread, or inside :func:`limit_enabled`
    with ``False``.
    """
    controller = _blas_controller()
    if not _state["enabled"] or blas_threads() <= 1:
        yield
        return
    with controller.limit(limits=1):
        yield


@contextmanager
def limit_enabled(enabled: bool):
    """Turn :func:`one_blas_thread` on (the default) or off for a block; for measurements."""
    previous, _state["enabled"] = _state["enabled"], bool(enabled)
    try:
        yield
    finally:
        _state["enabled"] = previous
