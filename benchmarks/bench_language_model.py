"""Speed of one training step of a word-level GRU language model, and where the time goes.

The model is the size of the book's Shakespeare word model: a vocabulary of 14,147 words,
128-dimensional embeddings, one GRU layer of 256 units, trained on batches of 32 rows of 32
steps (1,024 tokens) in float32. One training step is ``lm_loss_and_grads`` (forward,
fused softmax cross-entropy, backward), gradient clipping and an Adam update.

The parts are also timed separately, on the same data:

- the **output layer**: the ``(1024, 256) @ (256, 14147)`` logits product, the fused
  log-softmax/cross-entropy/gradient of :func:`rnnlib.losses.fused_cross_entropy`,
  and the two backward products (weights and states);
- the **recurrence**: embedding lookup, GRU forward and backward, embedding gradient;
- the **optimiser**: clipping and Adam over the 5.3 million parameters;

and the output layer is compared with the way it is usually first written: float64, the
softmax and its logarithm computed separately, a one-hot matrix of the targets materialised,
and the loss and gradient formed from it. The run checks that the two agree.

Run with ``python benchmarks/bench_language_model.py`` or ``make bench``; results go to
``results/language_model.json`` and ``results/language_model.md``.
"""

import sys
from pathlib import Path

import numpy as np

from rnnlib.gru import gru_backward, gru_forward
from rnnlib.language_model import (LMConfig, init_language_model, initial_states,
                                   lm_loss_and_grads)
from rnnlib.losses import fused_cross_entropy
from rnnlib.layers import embedding_backward, embedding_forward
from rnnlib.params import count_params
from rnnlib.optim import Adam, clip_grad_norm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, command_line, machine_info, write_results  # noqa: E402

VOCAB, N_EMBED, N_HIDDEN, BATCH, BPTT = 14_147, 128, 256, 32, 32
REPEATS = 10


def fast_output_layer(hs2, W, b, targets):
    """rnnlib's output layer: one product, fused loss and gradient, two backward products."""
    logits = hs2 @ W.T
    logits += b
    loss, d = fused_cross_entropy(logits, targets, overwrite=True)
    return loss, d.T @ hs2, d.sum(axis=0), d @ W


def naive_output_layer(hs2, W, b, targets):
    """The first way one writes it: softmax, then log, a one-hot matrix, float64."""
    hs2, W, b = hs2.astype(np.float64), W.astype(np.float64), b.astype(np.float64)
    logits = hs2 @ W.T + b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    log_probs = np.log(probs)
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(len(targets)), targets] = 1
    n = len(targets)
    loss = -(one_hot * log_probs).sum() / n
    d = (probs - one_hot) / n
    return loss, d.T @ hs2, d.sum(axis=0), d @ W


def recurrence(params, ids, h0, dhs):
    """Embedding, GRU forward and backward, embedding gradient (no output layer)."""
    x, c_embed = embedding_forward(ids, params["embed"])
    hs, c_gru = gru_forward(x, h0, params["layers"]["0"])
    dx, _, g_gru = gru_backward(dhs, c_gru)
    return hs, g_gru, embedding_backward(dx, c_embed)


def agreement(rng):
    """Largest relative difference between the fused and the naive output layer (float64)."""
    hs2, W, b = rng.normal(size=(40, 16)), rng.normal(size=(300, 16)), rng.normal(size=300)
    t = rng.integers(0, 300, 40)
    a, c = fast_output_layer(hs2, W, b, t), naive_output_layer(hs2, W, b, t)
    fa = np.concatenate([np.ravel(x) for x in a])
    fc = np.concatenate([np.ravel(x) for x in c])
    return float(np.max(np.abs(fa - fc) / np.maximum(1e-12, np.abs(fa) + np.abs(fc))))


def run():
    rng = np.random.default_rng(0)
    config = LMConfig(vocab_size=VOCAB, n_embed=N_EMBED, n_hidden=N_HIDDEN, n_layers=1,
                      cell="gru", dropout=0.0, dtype="float32")
    params = init_language_model(config, rng)
    ids = rng.integers(0, VOCAB, (BATCH, BPTT))
    targets = rng.integers(0, VOCAB, (BATCH, BPTT))
    tokens = BATCH * BPTT
    optimizer = Adam(lr=1e-3)
    h0s = initial_states(config, BATCH)

    def train_step():
        loss, grads, _ = lm_loss_and_grads(ids, targets, None, params, config, h0s=h0s, rng=rng)
        clip_grad_norm(grads, 5.0)
        optimizer.step(params, grads)
        return grads

    grads = train_step()                       # warm-up; allocates Adam's moments
    step_s, step_runs, _ = best_of(train_step, REPEATS)

    hs2 = (0.5 * rng.standard_normal((tokens, N_HIDDEN))).astype(np.float32)
    W, b, t = params["out"]["W"], params["out"]["b"], targets.ravel()
    out_s, out_runs, _ = best_of(lambda: fast_output_layer(hs2, W, b, t), REPEATS)
    naive_s, naive_runs, _ = best_of(lambda: naive_output_layer(hs2, W, b, t), 3)
    out64 = (hs2.astype(np.float64), W.astype(np.float64), b.astype(np.float64))
    out64_s, out64_runs, _ = best_of(lambda: fast_output_layer(*out64, t), REPEATS)

    h0 = h0s[0]
    dhs = (0.01 * rng.standard_normal((BATCH, BPTT, N_HIDDEN))).astype(np.float32)
    rec_s, rec_runs, _ = best_of(lambda: recurrence(params, ids, h0, dhs), REPEATS)

    def optimiser_step():
        clip_grad_norm(grads, 5.0)
        optimizer.step(params, grads)

    opt_s, opt_runs, _ = best_of(optimiser_step, REPEATS)
    part = lambda s, runs: {"seconds": s, "runs": runs, "share_of_step": s / step_s}
    return {
        "config": {"vocab": VOCAB, "n_embed": N_EMBED, "n_hidden": N_HIDDEN, "n_layers": 1,
                   "cell": "gru", "batch": BATCH, "bptt": BPTT, "dtype": "float32",
                   "params": count_params(params)},
        "train_step": {"seconds": step_s, "runs": step_runs, "tokens_per_s": tokens / step_s},
        "output_layer": part(out_s, out_runs),
        "recurrence": part(rec_s, rec_runs),
        "optimiser": part(opt_s, opt_runs),
        "output_layer_fused_float64": {"seconds": out64_s, "runs": out64_runs},
        "output_layer_naive_float64": {"seconds": naive_s, "runs": naive_runs},
        "output_speedup_vs_naive": naive_s / out_s,
        "max_rel_diff_float64": agreement(np.random.default_rng(1)),
        "machine": machine_info(),
        "command": command_line("bench_language_model.py"),
    }


def to_markdown(r):
    c, m, s = r["config"], r["machine"], r["train_step"]
    o, rec, opt = r["output_layer"], r["recurrence"], r["optimiser"]
    f64, naive = r["output_layer_fused_float64"], r["output_layer_naive_float64"]
    return (
        f"One training step (forward, loss, backward, clipping, Adam) of a word-level GRU language "
        f"model: vocabulary {c['vocab']:,}, embeddings {c['n_embed']}, {c['n_hidden']} hidden "
        f"units, {c['params']:,} parameters, a batch of {c['batch']} rows × {c['bptt']} steps "
        f"({c['batch'] * c['bptt']:,} tokens), {c['dtype']}.\n\n"
        f"A training step takes {s['seconds'] * 1e3:.1f} ms (best of {s['runs']}): "
        f"**{s['tokens_per_s']:,.0f} tokens per second**. Its parts, each timed on its own (best "
        "of several runs, so the shares need not add up to exactly 100%):\n\n"
        "| part | ms | share of the step |\n| --- | ---: | ---: |\n"
        f"| output layer (logits, fused log-softmax + cross-entropy + gradient, backward) | "
        f"{o['seconds'] * 1e3:.1f} | {o['share_of_step']:.0%} |\n"
        f"| recurrence (embedding, GRU forward and backward) | {rec['seconds'] * 1e3:.1f} | "
        f"{rec['share_of_step']:.0%} |\n"
        f"| clipping and Adam | {opt['seconds'] * 1e3:.1f} | {opt['share_of_step']:.0%} |\n\n"
        "The output layer, three ways (forward and backward, same data):\n\n"
        "| output layer | ms |\n| --- | ---: |\n"
        f"| rnnlib, fused, float32 | {o['seconds'] * 1e3:.1f} |\n"
        f"| rnnlib, fused, float64 | {f64['seconds'] * 1e3:.1f} |\n"
        f"| naive: one-hot matrix, separate softmax and log, float64 | {naive['seconds'] * 1e3:.1f} |\n\n"
        f"The fused float32 output layer is {r['output_speedup_vs_naive']:.1f}× faster than the "
        "naive one. The fused and the naive layer agree to a relative difference of "
        f"{r['max_rel_diff_float64']:.1e} in float64.\n\n"
        f"Measured on {m['date']} with `{r['command']}` on {m['processor'] or m['machine']} "
        f"({m['cpu_count']} CPUs), Python {m['python']}, numpy {m['numpy']}.\n")


def main():
    results = run()
    print(to_markdown(results))
    write_results("language_model", results, to_markdown(results))
    if not results["max_rel_diff_float64"] < 1e-9:
        sys.exit(f"the fused and the naive output layer disagree by "
                 f"{results['max_rel_diff_float64']:.2e}")


if __name__ == "__main__":
    main()
