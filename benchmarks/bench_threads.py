"""What rnnlib's thread policy buys: BLAS on one thread for each pass of a recurrent kernel.

``rnn_forward``, ``rnn_backward``, ``gru_forward`` and ``gru_backward`` run with BLAS limited to
one thread (``rnnlib.threads.one_blas_thread``). This script times one forward and backward
pass of the GRU and of the simple RNN of ``bench_gru.py`` and ``bench_rnn.py`` (batch 32, 64
steps, 64 inputs, 256 hidden units, float32) with that limit and without it
(``rnnlib.threads.limit_enabled(False)``: every product may use every thread), on a quiet
machine and with one busy process beside it. (A third policy, the loop over time alone on one
thread and the products before and after it on every thread, was measured while the kernels had
it, at commit fd3cbbb, with an earlier version of this script: ``results/threads_loop_only.md``.)

The busy process is started and stopped by this script: a second Python process multiplying
two 1024×1024 float32 matrices in a loop, with BLAS on one thread, so it keeps one core busy.
Quiet and busy rounds alternate: the busy process is paused (SIGSTOP) during the quiet rounds
and resumed (SIGCONT) during the busy ones, and within a round the variants run in a rotating
order. Every run records its wall-clock time (``time.perf_counter``) and the CPU time of this
process (``time.process_time``, all its threads); the tables give the median and the minimum
over the runs. The machine may be shared with other work, which no script can switch off: the
load average before and after the measurement says how busy it was.

It also measures what one use of the limit costs: ``threadpoolctl.threadpool_limits``, which
inspects the loaded libraries at every call, against ``one_blas_thread``, which inspects them
once.

Run with ``python benchmarks/bench_threads.py`` or ``make bench``; results go to
``results/threads.json`` and ``results/threads.md``.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from rnnlib import threads
from rnnlib.gru import gru_backward, gru_forward, init_gru
from rnnlib.rnn import init_rnn, rnn_backward, rnn_forward

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import command_line, machine_info, write_results  # noqa: E402

BATCH, STEPS, N_X, N_H = 32, 64, 64, 256
ROUNDS, RUNS = 6, 2           # rounds of (quiet, busy); runs of each variant per round
AIM = 1.5                     # the GRU with a busy process beside it: at most this much slower
BUSY = ("import numpy as np\n"
        "a = np.ones((1024, 1024), np.float32)\n"
        "while True:\n"
        "    a @ a\n")


def start_busy_process():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", BUSY], env=env)
    time.sleep(1.0)                                    # numpy imported, the loop running
    return proc


def models():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS, N_X)).astype(np.float32)
    h0 = np.zeros((BATCH, N_H), np.float32)
    dhs = rng.standard_normal((BATCH, STEPS, N_H)).astype(np.float32)
    gru = {k: v.astype(np.float32) for k, v in init_gru(N_X, N_H, rng).items()}
    rnn = {k: v.astype(np.float32) for k, v in init_rnn(N_X, N_H, rng).items()}

    def gru_pass():
        hs, cache = gru_forward(x, h0, gru)
        return gru_backward(dhs, cache)

    def rnn_pass():
        hs, cache = rnn_forward(x, h0, rnn)
        return rnn_backward(dhs, cache)
    return {"GRU": gru_pass, "RNN": rnn_pass}


POLICIES = {
    "pass on one thread": "BLAS on one thread for the whole pass (rnnlib's default)",
    "no limit": "every product may use every thread (rnnlib.threads.limit_enabled(False))",
}


def with_policy(fn, policy):
    def run():
        with threads.limit_enabled(policy == "pass on one thread"):
            return fn()
    return run


def limit_cost(calls=2000):
    """Microseconds per use: threadpoolctl's threadpool_limits, and one_blas_thread."""
    def per_call(fn, n):
        start = time.perf_counter()
        for _ in range(n):
            with fn():
                pass
        return (time.perf_counter() - start) / n * 1e6
    return {"threadpool_limits": min(per_call(lambda: threadpool_limits(1, "blas"), calls // 10)
                                     for _ in range(3)),
            "one_blas_thread": min(per_call(threads.one_blas_thread, calls) for _ in range(3))}


def run():
    variants = {}
    for name, fn in models().items():
        for policy in POLICIES:
            variants[f"{name}, {policy}"] = with_policy(fn, policy)
    for fn in variants.values():                       # warm up (allocator, BLAS buffers)
        fn()
    load_before = os.getloadavg()
    busy = start_busy_process()
    times = {(cond, name): {"wall": [], "cpu": []} for cond in ("quiet", "busy") for name in variants}
    names = list(variants)
    try:
        for r in range(ROUNDS):
            for cond in (("quiet", "busy") if r % 2 == 0 else ("busy", "quiet")):
                busy.send_signal(signal.SIGCONT if cond == "busy" else signal.SIGSTOP)
                time.sleep(0.2)
                k = r % len(names)
                for name in names[k:] + names[:k]:
                    for _ in range(RUNS):
                        wall, cpu = time.perf_counter(), time.process_time()
                        variants[name]()
                        times[cond, name]["cpu"].append(time.process_time() - cpu)
                        times[cond, name]["wall"].append(time.perf_counter() - wall)
    finally:
        busy.send_signal(signal.SIGCONT)
        busy.terminate()
        busy.wait()
    load_after = os.getloadavg()
    rows = {}
    for (cond, name), t in times.items():
        rows.setdefault(name, {})[cond] = {
            f"{stat}_{clock}": float(fn(t[clock])) for clock in ("wall", "cpu")
            for stat, fn in (("median", np.median), ("min", np.min))}
    for name, row in rows.items():
        row["busy_over_quiet_median_wall"] = row["busy"]["median_wall"] / row["quiet"]["median_wall"]
    gru_ratio = rows["GRU, pass on one thread"]["busy_over_quiet_median_wall"]
    info = machine_info()
    return {
        "config": {"batch": BATCH, "steps": STEPS, "n_x": N_X, "n_h": N_H, "dtype": "float32",
                   "rounds": ROUNDS, "runs_per_round": RUNS},
        "blas_threads": threads.blas_threads(), "rows": rows,
        "limit_cost_us": limit_cost(),
        "aim_busy_over_quiet": AIM, "gru_busy_over_quiet": gru_ratio, "aim_met": gru_ratio <= AIM,
        "load_average_before": load_before[0], "load_average_after": load_after[0],
        "machine": info, "command": command_line("bench_threads.py"),
    }


def to_markdown(r):
    c, m, n = r["config"], r["machine"], r["config"]["rounds"] * r["config"]["runs_per_round"]
    lines = [
        f"One forward and backward pass on a batch of {c['batch']} sequences of {c['steps']} steps, "
        f"{c['n_x']} inputs and {c['n_h']} hidden units, {c['dtype']}, BLAS with "
        f"{r['blas_threads']} threads. "
        + "; ".join(f"*{name}*: {text}" for name, text in POLICIES.items())
        + ". Quiet: nothing else started by the benchmark; busy: one other process keeps a core "
        f"busy. Milliseconds, median (minimum) of {n} runs.\n",
        "| | quiet, wall | busy, wall | busy / quiet | quiet, CPU | busy, CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in r["rows"].items():
        q, b = row["quiet"], row["busy"]
        lines.append(
            f"| {name} | {1e3 * q['median_wall']:.1f} ({1e3 * q['min_wall']:.1f}) | "
            f"{1e3 * b['median_wall']:.1f} ({1e3 * b['min_wall']:.1f}) | "
            f"{row['busy_over_quiet_median_wall']:.2f}× | "
            f"{1e3 * q['median_cpu']:.1f} ({1e3 * q['min_cpu']:.1f}) | "
            f"{1e3 * b['median_cpu']:.1f} ({1e3 * b['min_cpu']:.1f}) |")
    verdict = "met" if r["aim_met"] else "not met"
    cost = r["limit_cost_us"]
    lines += [
        "",
        f"With rnnlib's default policy, the GRU with a busy process beside it takes "
        f"{r['gru_busy_over_quiet']:.2f}× its quiet time (median wall-clock time; aim: at most "
        f"{r['aim_busy_over_quiet']:.1f}×, {verdict}). One use of "
        f"`threadpoolctl.threadpool_limits` costs {cost['threadpool_limits']:.0f} µs here, one "
        f"use of `rnnlib.threads.one_blas_thread` {cost['one_blas_thread']:.1f} µs.",
        "",
        f"Measured on {m['date']} with `{r['command']}` on {m['processor'] or m['machine']} "
        f"({m['cpu_count']} CPUs, load average {r['load_average_before']:.1f} before and "
        f"{r['load_average_after']:.1f} after), Python {m['python']}, numpy {m['numpy']}.", ""]
    return "\n".join(lines)


def main():
    results = run()
    markdown = to_markdown(results)
    print(markdown)
    write_results("threads", results, markdown)


if __name__ == "__main__":
    main()
