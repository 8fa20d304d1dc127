"""BLAS threads for the recurrent kernels: one thread inside the loop over time.

The loop of a recurrent layer runs one small matrix product per step, ``(batch, n_h)`` by
``(n_h, k n_h)``, each waiting for the one before. A multithreaded BLAS splits every such
product between its threads and makes them meet at the end of it: on a quiet machine that
gains little at these sizes, and when another process keeps a core busy, a thread that waits
for a core holds up every step (``benchmarks/bench_threads.py`` measures both). The products
before and after the loop (the input projections of all steps, the weight gradients) are large
and keep every thread.

:func:`one_blas_thread` is the context manager the kernels of :mod:`rnnlib.rnn` and
:mod:`rnnlib.gru` put around their loops. It needs ``threadpoolctl``, which finds the BLAS
library numpy loaded. ``threadpoolctl.threadpool_limits`` inspects the process's loaded
libraries at every call (a few hundred microseconds); here they are inspected once, and each
use costs a few microseconds, nothing when BLAS already runs on one thread (as with
``OPENBLAS_NUM_THREADS=1``). Thread counts do not change the results: a BLAS library divides a
product between its threads by blocks of the output, and each output element is summed in the
same order either way.

:func:`loop_threads_limited` switches the policy off for a block, to measure what it buys.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

__all__ = ["one_blas_thread", "loop_threads_limited", "blas_threads"]

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
    """Run the block with BLAS on one thread, and restore the previous limit after it.

    Does nothing if BLAS already runs on one thread, or inside :func:`loop_threads_limited`
    with ``False``.
    """
    controller = _blas_controller()
    if not _state["enabled"] or blas_threads() <= 1:
        yield
        return
    with controller.limit(limits=1):
        yield


@contextmanager
def loop_threads_limited(enabled: bool):
    """Turn :func:`one_blas_thread` on (the default) or off for a block; for measurements."""
    previous, _state["enabled"] = _state["enabled"], bool(enabled)
    try:
        yield
    finally:
        _state["enabled"] = previous
