"""Speed of rnnlib's simple RNN (forward + backward) against two straightforward loops.

All three compute the same thing on the same data, in float32: a batch of 32 sequences of 64
steps, 64 inputs, 256 hidden units. ``rnnlib.rnn`` projects the inputs of all steps in one
matrix product, loops over time only for the recurrence, and computes the weight gradients
in one product after the loop. The baseline is the loop as it is usually first written: one
example and one step at a time, matrix-vector products, weight gradients accumulated as outer
products inside the loop. Between the two runs the same loop over the whole batch at once, in
the concatenated form of the labs (one product of ``[h; x]`` with ``[W_hh | W_hx]`` per step,
weight gradients accumulated inside the loop): the baseline over it measures what processing
the batch together buys, it over rnnlib what the rest buys (the hoisted input product, the
weight gradients in one product after the loop). The run checks that all three agree, and
reports tokens per second and the share of this machine's large-matrix-product throughput
each reaches.

Run with ``python benchmarks/bench_rnn.py`` or ``make bench``; results go to
``results/rnn.json`` and ``results/rnn.md``.
"""

import os
import sys
from pathlib import Path

import numpy as np

from rnnlib.rnn import init_rnn, rnn_backward, rnn_forward

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (best_of, command_line, finish, machine_info, matmul_gflops,  # noqa: E402
                    max_relative_difference)

BATCH, STEPS, N_X, N_H = 32, 64, 64, 256
DTYPE = np.float32


def naive_forward_backward(x, h0, params, dhs):
    """Per example, per step: the textbook loop (tanh), forward then backward."""
    W_hx, W_hh, b_h = params["W_hx"], params["W_hh"], params["b_h"]
    batch, T, _ = x.shape
    hs = np.empty((batch, T, W_hh.shape[0]), dtype=x.dtype)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dx = np.empty_like(x)
    dh0 = np.empty_like(h0)
    for b in range(batch):
        h = h0[b]
        for t in range(T):
            h = np.tanh(W_hx @ x[b, t] + W_hh @ h + b_h)
            hs[b, t] = h
        dh_next = np.zeros_like(h)
        for t in range(T - 1, -1, -1):
            h_prev = hs[b, t - 1] if t > 0 else h0[b]
            delta = (dhs[b, t] + dh_next) * (1 - hs[b, t] ** 2)
            grads["W_hx"] += np.outer(delta, x[b, t])
            grads["W_hh"] += np.outer(delta, h_prev)
            grads["b_h"] += delta
            dx[b, t] = W_hx.T @ delta
            dh_next = W_hh.T @ delta
        dh0[b] = dh_next
    return hs, dx, dh0, grads


def batched_forward_backward(x, h0, params, dhs):
    """The whole batch at every step, concatenated form: tanh([h, x_t] @ W_h.T + b_h)."""
    W_hx, W_hh, b_h = params["W_hx"], params["W_hh"], params["b_h"]
    n_h = W_hh.shape[0]
    W_h = np.concatenate([W_hh, W_hx], axis=1)
    batch, T, _ = x.shape
    hs = np.empty((batch, T, n_h), dtype=x.dtype)
    stacked = []
    h = h0
    for t in range(T):
        hx = np.concatenate([h, x[:, t]], axis=1)
        h = np.tanh(hx @ W_h.T + b_h)
        hs[:, t] = h
        stacked.append(hx)
    dW_h, db = np.zeros_like(W_h), np.zeros_like(b_h)
    dx = np.empty_like(x)
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        delta = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dW_h += delta.T @ stacked[t]
        db += delta.sum(axis=0)
        dhx = delta @ W_h
        dx[:, t] = dhx[:, n_h:]
        dh_next = dhx[:, :n_h]
    return hs, dx, dh_next, {"W_hx": dW_h[:, n_h:], "W_hh": dW_h[:, :n_h], "b_h": db}


def rnnlib_forward_backward(x, h0, params, dhs):
    hs, cache = rnn_forward(x, h0, params)
    dx, dh0, grads = rnn_backward(dhs, cache)
    return hs, dx, dh0, grads


def training_flops(batch, T, n_x, n_h):
    """Multiply-adds x 2 of one forward + backward: the products with W_hx and W_hh, three
    times each (forward; gradient of the input; gradient of the weights)."""
    return 3 * 2 * batch * T * n_h * (n_x + n_h)


def agreement(rng):
    """Largest relative difference between the two implementations, in float64."""
    params = init_rnn(5, 7, rng)
    x, h0 = rng.normal(size=(3, 6, 5)), rng.normal(size=(3, 7))
    dhs = rng.normal(size=(3, 6, 7))
    a, b = naive_forward_backward(x, h0, params, dhs), rnnlib_forward_backward(x, h0, params, dhs)
    c = batched_forward_backward(x, h0, params, dhs)
    return max(max_relative_difference(a, b), max_relative_difference(c, b))


def run():
    rng = np.random.default_rng(0)
    params = {k: v.astype(DTYPE) for k, v in init_rnn(N_X, N_H, rng).items()}
    x = rng.standard_normal((BATCH, STEPS, N_X)).astype(DTYPE)
    h0 = np.zeros((BATCH, N_H), DTYPE)
    dhs = rng.standard_normal((BATCH, STEPS, N_H)).astype(DTYPE)
    tokens = BATCH * STEPS
    flops = training_flops(BATCH, STEPS, N_X, N_H)
    peak = matmul_gflops()
    fast_s, fast_runs, _ = best_of(lambda: rnnlib_forward_backward(x, h0, params, dhs), repeats=10)
    naive_s, naive_runs, _ = best_of(lambda: naive_forward_backward(x, h0, params, dhs), repeats=3)
    batched_s, batched_runs, _ = best_of(lambda: batched_forward_backward(x, h0, params, dhs),
                                         repeats=10)
    return {
        "config": {"batch": BATCH, "steps": STEPS, "n_x": N_X, "n_h": N_H, "dtype": "float32",
                   "activation": "tanh"},
        "rnnlib": {"seconds": fast_s, "runs": fast_runs, "tokens_per_s": tokens / fast_s,
                   "gflops": flops / fast_s / 1e9},
        "naive": {"seconds": naive_s, "runs": naive_runs, "tokens_per_s": tokens / naive_s,
                  "gflops": flops / naive_s / 1e9},
        "batched": {"seconds": batched_s, "runs": batched_runs,
                    "tokens_per_s": tokens / batched_s, "gflops": flops / batched_s / 1e9},
        "speedup": naive_s / fast_s,
        "speedup_batching": naive_s / batched_s,
        "speedup_over_batched": batched_s / fast_s,
        "matmul_gflops": peak,
        "rnnlib_share_of_matmul": flops / fast_s / 1e9 / peak,
        "max_rel_diff_float64": agreement(np.random.default_rng(1)),
        "machine": machine_info(),
        "command": command_line("bench_rnn.py"),
        "threads_note": (f" and OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
                         if "OPENBLAS_NUM_THREADS" in os.environ else ""),
    }


def to_markdown(r):
    c, m = r["config"], r["machine"]
    return (
        f"Forward and backward pass of a simple tanh RNN on a batch of {c['batch']} sequences of "
        f"{c['steps']} steps, {c['n_x']} inputs and {c['n_h']} hidden units, in {c['dtype']}.\n\n"
        "| | rnnlib | batched per-step loop, [h; x] | per-example, per-step loop |\n"
        "| --- | ---: | ---: | ---: |\n"
        f"| seconds (best of {r['rnnlib']['runs']} / {r['batched']['runs']} / {r['naive']['runs']}) | "
        f"{r['rnnlib']['seconds']:.4f} | {r['batched']['seconds']:.4f} | {r['naive']['seconds']:.3f} |\n"
        f"| tokens per second | {r['rnnlib']['tokens_per_s']:,.0f} | "
        f"{r['batched']['tokens_per_s']:,.0f} | {r['naive']['tokens_per_s']:,.0f} |\n"
        f"| GFLOP/s | {r['rnnlib']['gflops']:.1f} | {r['batched']['gflops']:.1f} | "
        f"{r['naive']['gflops']:.2f} |\n\n"
        f"rnnlib is {r['speedup']:.0f}× faster than the per-example loop. Most of that is "
        f"batching: the same loop over the whole batch at once is already "
        f"{r['speedup_batching']:.1f}× faster than the per-example loop, and rnnlib is "
        f"{r['speedup_over_batched']:.2f}× as fast as that batched loop. This machine's 2048×2048 float32 "
        f"matrix product runs at {r['matmul_gflops']:.0f} GFLOP/s; the RNN's training step "
        f"reaches {r['rnnlib_share_of_matmul']:.0%} of that (its recurrent products are "
        f"{c['batch']}×{c['n_h']} by {c['n_h']}×{c['n_h']}, too small to run at full speed, and "
        "they must run one after the other). The three implementations agree to a relative "
        f"difference of {r['max_rel_diff_float64']:.1e} in float64.\n\n"
        f"Measured on {m['date']} with `{r['command']}`{r.get('threads_note', '')} on {m['processor'] or m['machine']} "
        f"({m['cpu_count']} CPUs), Python {m['python']}, numpy {m['numpy']}.\n")


def main():
    results = run()
    finish("rnn", results, to_markdown(results))


if __name__ == "__main__":
    main()
