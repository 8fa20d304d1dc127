"""Speed of rnnlib's GRU (forward + backward) against a straightforward per-step loop.

Float32, a batch of 32 sequences of 64 steps, 64 inputs, 256 hidden units. ``rnnlib.gru``
projects the inputs of every gate and step in one time-major product, computes the recurrent
products of the gates together, works inside the loop in arrays allocated once, and computes
the weight gradients in one product each after the backward loop; each pass runs with BLAS on
one thread (``rnnlib.threads``). The baseline is the GRU as it is usually first written: at
every step, each gate multiplies its own weight matrix by the concatenation [h; x], and every
weight gradient is accumulated inside the loop. The run checks that the two agree, and reports
tokens per second and the share of this machine's large-matrix-product throughput (with BLAS on
all its threads, and on one). The machine may be shared: the load average before and after
says how busy it was.

Run with ``python benchmarks/bench_gru.py`` or ``make bench``; results go to
``results/gru.json`` and ``results/gru.md``.
"""

import os
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from rnnlib import threads
from rnnlib.gru import gru_backward, gru_forward, init_gru
from rnnlib.ops import sigmoid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (best_of, command_line, finish, machine_info, matmul_gflops,  # noqa: E402
                    max_relative_difference)

BATCH, STEPS, N_X, N_H = 32, 64, 64, 256
AIM = 0.45   # share of the machine's matmul throughput the training step should reach


def naive_forward_backward(x, h0, p, dhs):
    """The textbook loop: concatenate [h; x] and multiply by each gate's matrix, every step."""
    batch, T, _ = x.shape
    n_h = h0.shape[1]
    h, saved = h0, []
    for t in range(T):
        hx = np.concatenate([h, x[:, t]], axis=1)
        u = sigmoid(hx @ p["W_u"].T + p["b_u"])
        r = sigmoid(hx @ p["W_r"].T + p["b_r"])
        rhx = np.concatenate([r * h, x[:, t]], axis=1)
        c = np.tanh(rhx @ p["W_c"].T + p["b_c"])
        saved.append((h, hx, rhx, u, r, c))
        h = u * c + (1 - u) * h
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.empty_like(x)
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        hp, hx, rhx, u, r, c = saved[t]
        dh = dhs[:, t] + dh_next
        da_c = dh * u * (1 - c * c)
        da_u = dh * (c - hp) * u * (1 - u)
        drhx = da_c @ p["W_c"]
        da_r = drhx[:, :n_h] * hp * r * (1 - r)
        dhx = da_u @ p["W_u"] + da_r @ p["W_r"]
        for key, da, inp in (("u", da_u, hx), ("r", da_r, hx), ("c", da_c, rhx)):
            grads["W_" + key] += da.T @ inp
            grads["b_" + key] += da.sum(axis=0)
        dx[:, t] = dhx[:, n_h:] + drhx[:, n_h:]
        dh_next = dh * (1 - u) + dhx[:, :n_h] + drhx[:, :n_h] * r
    return np.stack([s[0] for s in saved[1:]] + [h], axis=1), dx, dh_next, grads


def rnnlib_forward_backward(x, h0, p, dhs):
    hs, cache = gru_forward(x, h0, p)
    dx, dh0, grads = gru_backward(dhs, cache)
    return hs, dx, dh0, grads


def training_flops(batch, T, n_x, n_h):
    """Three gates, each a (n_h, n_h + n_x) product: forward, input gradient, weight gradient."""
    return 3 * 3 * 2 * batch * T * n_h * (n_x + n_h)


def agreement(rng):
    p = init_gru(5, 7, rng)
    for k in p:
        if k.startswith("b"):
            p[k] = rng.normal(size=7)
    x, h0, dhs = rng.normal(size=(3, 6, 5)), rng.normal(size=(3, 7)), rng.normal(size=(3, 6, 7))
    a, b = naive_forward_backward(x, h0, p, dhs), rnnlib_forward_backward(x, h0, p, dhs)
    return max_relative_difference(a, b)


def run():
    rng = np.random.default_rng(0)
    p = {k: v.astype(np.float32) for k, v in init_gru(N_X, N_H, rng).items()}
    x = rng.standard_normal((BATCH, STEPS, N_X)).astype(np.float32)
    h0 = np.zeros((BATCH, N_H), np.float32)
    dhs = rng.standard_normal((BATCH, STEPS, N_H)).astype(np.float32)
    tokens, flops = BATCH * STEPS, training_flops(BATCH, STEPS, N_X, N_H)
    # The machine's peak: the best of a measurement before and one after the timings (on a
    # shared machine, another process's work lowers it).
    peak = matmul_gflops()
    with threadpool_limits(1, "blas"):
        peak_one_thread = matmul_gflops()
    load_before = os.getloadavg()[0]
    fast_s, fast_runs, _ = best_of(lambda: rnnlib_forward_backward(x, h0, p, dhs), repeats=20)
    naive_s, naive_runs, _ = best_of(lambda: naive_forward_backward(x, h0, p, dhs), repeats=5)
    peak = max(peak, matmul_gflops())
    with threadpool_limits(1, "blas"):
        peak_one_thread = max(peak_one_thread, matmul_gflops())
    share = flops / fast_s / 1e9 / peak
    return {
        "config": {"batch": BATCH, "steps": STEPS, "n_x": N_X, "n_h": N_H, "dtype": "float32"},
        "rnnlib": {"seconds": fast_s, "runs": fast_runs, "tokens_per_s": tokens / fast_s,
                   "gflops": flops / fast_s / 1e9},
        "naive": {"seconds": naive_s, "runs": naive_runs, "tokens_per_s": tokens / naive_s,
                  "gflops": flops / naive_s / 1e9},
        "speedup": naive_s / fast_s, "matmul_gflops": peak, "rnnlib_share_of_matmul": share,
        "blas_threads": threads.blas_threads(), "matmul_gflops_one_thread": peak_one_thread,
        "rnnlib_share_of_one_thread_matmul": flops / fast_s / 1e9 / peak_one_thread,
        "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
        "aim_share": AIM, "aim_met": share >= AIM,
        "max_rel_diff_float64": agreement(np.random.default_rng(1)),
        "machine": machine_info(), "command": command_line("bench_gru.py"),
    }


def to_markdown(r):
    c, m = r["config"], r["machine"]
    verdict = "met" if r["aim_met"] else "not met"
    return (
        f"Forward and backward pass of a GRU on a batch of {c['batch']} sequences of {c['steps']} "
        f"steps, {c['n_x']} inputs and {c['n_h']} hidden units, in {c['dtype']}.\n\n"
        "| | rnnlib | per-step loop on [h; x] |\n| --- | ---: | ---: |\n"
        f"| seconds (best of {r['rnnlib']['runs']} / {r['naive']['runs']}) | "
        f"{r['rnnlib']['seconds']:.4f} | {r['naive']['seconds']:.4f} |\n"
        f"| tokens per second | {r['rnnlib']['tokens_per_s']:,.0f} | {r['naive']['tokens_per_s']:,.0f} |\n"
        f"| GFLOP/s | {r['rnnlib']['gflops']:.1f} | {r['naive']['gflops']:.1f} |\n\n"
        f"rnnlib is {r['speedup']:.1f}× faster than the loop and reaches "
        f"{r['rnnlib_share_of_matmul']:.0%} of the {r['matmul_gflops']:.0f} GFLOP/s of a 2048×2048 "
        f"float32 matrix product on this machine with BLAS on {r['blas_threads']} threads (aim: "
        f"{r['aim_share']:.0%}, {verdict}). rnnlib runs each pass with BLAS on one thread "
        f"(`rnnlib.threads`); the same product on one thread runs at "
        f"{r['matmul_gflops_one_thread']:.0f} GFLOP/s, of which rnnlib reaches "
        f"{r['rnnlib_share_of_one_thread_matmul']:.0%}. The two "
        f"implementations agree to a relative difference of {r['max_rel_diff_float64']:.1e} in "
        "float64.\n\n"
        f"Measured on {m['date']} with `{r['command']}` on {m['processor'] or m['machine']} "
        f"({m['cpu_count']} CPUs, load average {r['load_average_before']:.1f} before and "
        f"{r['load_average_after']:.1f} after), Python {m['python']}, numpy {m['numpy']}.\n")


def main():
    results = run()
    finish("gru", results, to_markdown(results))


if __name__ == "__main__":
    main()
