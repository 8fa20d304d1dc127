"""What every benchmark shares: timing, the machine's description, writing results."""

import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(fn, repeats=3, budget=math.inf):
    """Call ``fn`` up to ``repeats`` times (fewer once ``budget`` seconds are spent).

    Returns the fastest time in seconds, the number of runs, and the last result.
    """
    times = []
    while len(times) < repeats and sum(times) < budget:
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), len(times), result


def machine_info():
    processor = platform.processor()
    if not processor and os.path.exists("/proc/cpuinfo"):   # empty on most Linux systems
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        processor = names[0] if names else ""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "cpu_count": os.cpu_count(), "processor": processor, "machine": platform.machine(),
            "platform": platform.platform(), "date": datetime.date.today().isoformat()}


def command_line(script: str) -> str:
    """How the benchmark was started (``make bench`` sets BENCH_COMMAND through run_all)."""
    return os.environ.get("BENCH_COMMAND", f"python benchmarks/{script}")


def write_results(name: str, results: dict, markdown: str) -> None:
    """``results/<name>.json`` (every number) and ``results/<name>.md`` (for the book)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
    print(f"wrote {RESULTS / (name + '.json')} and {RESULTS / (name + '.md')}")


def matmul_gflops(n=2048, dtype=np.float32, repeats=5):
    """This machine's throughput on one large square matrix product, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    seconds, _, _ = best_of(lambda: a @ b, repeats)
    return 2 * n ** 3 / seconds / 1e9


def max_relative_difference(a, b) -> float:
    """Largest element-wise relative difference between two results of a recurrent layer.

    ``a`` and ``b`` are ``(hs, dx, dh0, grads)`` tuples, the outputs of a forward and
    backward pass; every array and every gradient (in key order) is compared.
    """
    flat = lambda r: np.concatenate([r[0].ravel(), r[1].ravel(), r[2].ravel()]
                                    + [r[3][k].ravel() for k in sorted(r[3])])
    fa, fb = flat(a), flat(b)
    return float(np.max(np.abs(fa - fb) / np.maximum(1e-12, np.abs(fa) + np.abs(fb))))


def finish(name: str, results: dict, markdown: str, tolerance: float = 1e-9) -> None:
    """Print and write the results; fail if the two implementations disagree."""
    import sys
    print(markdown)
    write_results(name, results, markdown)
    if not results["max_rel_diff_float64"] < tolerance:
        sys.exit(f"rnnlib and the loop disagree by {results['max_rel_diff_float64']:.2e}")
