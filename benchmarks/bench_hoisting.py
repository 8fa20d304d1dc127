"""What hoisting the input product out of the recurrence buys, against the concatenated step.

The labs write a simple RNN step in the concatenated form, ``tanh(concat([h, x_t]) @ W_h.T +
b)``, and run it over time with ``rnnlib.scan.scan``: one matrix product per step, whose
input part ``x_t @ W_hx.T`` does not depend on the previous state. *Hoisting* computes that
input part for every step in one product before the loop, so that the loop keeps only
``h @ W_hh.T``. This benchmark times, in the same run and on the same data (float64, like the
labs), the forward pass four ways:

- ``concat``: the labs' step, run with ``scan`` (the baseline of every ratio);
- ``separate``: ``tanh(x_t @ W_hx.T + h @ W_hh.T + b)``, two products per step, with ``scan``;
- ``hoisted``: one product for the inputs of all steps, then ``tanh(xw_t + h @ W_hh.T)``
  with ``scan``;
- ``rnn_forward``: ``rnnlib.rnn.rnn_forward``, which hoists and also checks its arguments and
  builds the cache for the backward pass.

Each configuration changes one thing at a time from ``n_h = 256``: the input size (64 or
1024), the number of steps (10 or 200) and the batch (1 or 32); the lab's shapes (batch 32,
50 steps, 64 inputs) are one more row. Timing: the machine is shared, so every variant is run
many times, interleaved (each round runs all four, in a rotating order), and we keep the
**minimum CPU time** of the process (``time.process_time``), with BLAS on one thread; that
excludes the time spent waiting for a core, which on a busy machine dominates wall-clock noise.
Each ratio is the baseline's minimum over the variant's: above 1 the variant is faster.

Memory: before timing, the script allocates and frees one 24 MB array. glibc's allocator then
keeps up to twice that much freed memory for reuse; in a fresh process it returns freed memory
of more than twice the largest array freed so far to the system, so a function that needs two
arrays the size of all the states (the hoisted loop and ``rnn_forward``: the projections and
the states) gets fresh pages, and pays a page fault for each, on every call, while one that needs
a single such array does not. Any session that has freed an array of that size is in the first
situation. ``BENCH_COLD=1`` skips the warm-up and writes
``results/hoisting_cold.*`` instead.

Run with ``python benchmarks/bench_hoisting.py`` or ``make bench``; results go to
``results/hoisting.json`` and ``results/hoisting.md``.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"                     # before numpy: one BLAS thread, less noise

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from rnnlib.rnn import init_rnn, rnn_forward  # noqa: E402
from rnnlib.scan import scan  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import command_line, machine_info, write_results  # noqa: E402

N_H = 256
# (batch, T, n_x): one thing changed at a time, then the lab's shapes
CONFIGS = [(32, 50, 64),
           (1, 10, 64), (1, 200, 64), (1, 10, 1024), (1, 200, 1024),
           (32, 10, 64), (32, 200, 64), (32, 10, 1024), (32, 200, 1024)]
ROUNDS, BUDGET = 25, 20.0
COLD = os.environ.get("BENCH_COLD") == "1"          # at most ROUNDS rounds, fewer once BUDGET seconds are spent


def run_with_scan(step, x, h0):
    """The labs' ``run_with_scan``: ``step(x_t, h)`` over time, states batch-first."""
    def fn(h, x_t):
        h = step(x_t, h)
        return h, h
    hs, _ = scan(fn, x.swapaxes(0, 1), h0)
    return hs.swapaxes(0, 1)


def concat_forward(x, h0, W_h, b_h):
    return run_with_scan(lambda x_t, h: np.tanh(np.concatenate([h, x_t], axis=1) @ W_h.T + b_h),
                         x, h0)


def separate_forward(x, h0, W_hx, W_hh, b_h):
    return run_with_scan(lambda x_t, h: np.tanh(x_t @ W_hx.T + h @ W_hh.T + b_h), x, h0)


def hoisted_forward(x, h0, W_hx, W_hh, b_h):
    B, T, n_x = x.shape
    projected = (x.swapaxes(0, 1).reshape(T * B, n_x) @ W_hx.T).reshape(T, B, -1) + b_h
    W_hh_T = W_hh.T

    def step(h, xw_t):
        h = np.tanh(xw_t + h @ W_hh_T)
        return h, h
    hs, _ = scan(step, projected, h0)
    return hs.swapaxes(0, 1)


def measure(batch, T, n_x, rng):
    params = init_rnn(n_x, N_H, rng)
    params["b_h"] = rng.normal(scale=0.1, size=N_H)
    W_hx, W_hh, b_h = params["W_hx"], params["W_hh"], params["b_h"]
    W_h = np.concatenate([W_hh, W_hx], axis=1)
    x, h0 = rng.normal(size=(batch, T, n_x)), rng.normal(scale=0.5, size=(batch, N_H))
    variants = {
        "concat": lambda: concat_forward(x, h0, W_h, b_h),
        "separate": lambda: separate_forward(x, h0, W_hx, W_hh, b_h),
        "hoisted": lambda: hoisted_forward(x, h0, W_hx, W_hh, b_h),
        "rnn_forward": lambda: rnn_forward(x, h0, params)[0],
    }
    reference = variants["concat"]()
    for name, fn in variants.items():
        assert np.allclose(fn(), reference, rtol=1e-10, atol=1e-12), name
    names, times, spent = list(variants), {name: [] for name in variants}, 0.0
    for r in range(ROUNDS):
        for name in names[r % 4:] + names[:r % 4]:
            start = time.process_time()
            variants[name]()
            times[name].append(time.process_time() - start)
        spent += sum(times[name][-1] for name in names)
        if spent > BUDGET and r >= 4:
            break
    best = {name: min(t) for name, t in times.items()}
    return {"batch": batch, "T": T, "n_x": n_x, "n_h": N_H, "runs": len(times["concat"]),
            "seconds": best, "median_seconds": {k: float(np.median(t)) for k, t in times.items()},
            "speedup_vs_concat": {k: best["concat"] / v for k, v in best.items()}}


def run():
    rng = np.random.default_rng(0)
    if not COLD:
        warm = np.ones(3_000_000)        # 24 MB, allocated and freed: see the module docstring
        del warm
    rows = []
    for batch, T, n_x in CONFIGS:
        row = measure(batch, T, n_x, rng)
        s = row["speedup_vs_concat"]
        print(f"batch {batch:>2}, T {T:>3}, n_x {n_x:>4}: concat {1e3 * row['seconds']['concat']:8.3f} ms; "
              f"separate {s['separate']:.2f}x, hoisted {s['hoisted']:.2f}x, "
              f"rnn_forward {s['rnn_forward']:.2f}x", flush=True)
        rows.append(row)
    info = machine_info()
    info["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"dtype": "float64", "blas_threads": 1, "clock": "time.process_time",
            "allocator_warmed": not COLD, "rows": rows,
            "machine": info, "command": command_line("bench_hoisting.py")}


def to_markdown(r):
    m = r["machine"]
    lines = [
        f"Forward pass of a simple tanh RNN with {N_H} hidden units, float64, BLAS on one thread. "
        "Each time is the minimum CPU time over the runs (interleaved); each ratio is the "
        "concatenated step's time over the variant's, so above 1 means faster than the "
        "concatenated step. "
        + ("The allocator was warmed up first (see the script).\n" if r["allocator_warmed"] else
           "Fresh process, allocator not warmed up (`BENCH_COLD=1`).\n"),
        "| batch | T | n_x | runs | concat (ms) | separate | hoisted | `rnn_forward` |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in r["rows"]:
        s = row["speedup_vs_concat"]
        lines.append(f"| {row['batch']} | {row['T']} | {row['n_x']} | {row['runs']} | "
                     f"{1e3 * row['seconds']['concat']:.2f} | {s['separate']:.2f}× | "
                     f"{s['hoisted']:.2f}× | {s['rnn_forward']:.2f}× |")
    load = f", load average {m['load_average']:.1f} at the end" if m.get("load_average") else ""
    lines.append(f"\nMeasured on {m['date']} with `{r['command']}` on "
                 f"{m['processor'] or m['machine']} ({m['cpu_count']} CPUs{load}), "
                 f"Python {m['python']}, numpy {m['numpy']}.\n")
    return "\n".join(lines)


def main():
    results = run()
    markdown = to_markdown(results)
    print(markdown)
    write_results("hoisting_cold" if COLD else "hoisting", results, markdown)


if __name__ == "__main__":
    main()
