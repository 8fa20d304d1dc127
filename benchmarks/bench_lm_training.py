"""Training speed of the book's GRU language models, against a naive per-step implementation.

The two headline models of chapter 12 (``scripts/book_models.sh``), on their real training
streams (the ``within_play`` split of the plays):

- **word**: vocabulary of about 10,800 words (``min_count=3``), 200-dimensional embeddings
  tied to the output weights, a GRU of 200 units, dropout 0.25, batches of 32 rows × 32 steps;
- **char**: about 46 characters, 32-dimensional embeddings, a GRU of 384 units, dropout 0.1,
  batches of 32 rows × 64 steps.

Both are float32 GRUs with the reset gate after the recurrent product (``reset_after=True``),
trained with Adam (learning rate 3e-3) and the global gradient norm clipped to 1.0.

A **training step** is one chunk of :func:`rnnlib.lm_data.stream_batches`: loss and gradients
(dropout on), clipping, one Adam update, the final states carried into the next chunk, exactly
as :func:`rnnlib.train.train_language_model` does. Each implementation runs over the first
chunks of the stream, several times (the best run counts), and the result is tokens (targets)
per second and the minutes one epoch of the stream would take.

- **rnnlib**: :func:`rnnlib.language_model.lm_loss_and_grads`, float32.
- **naive**: the model as it is first written (in the style of Karpathy's ``min-char-rnn``):
  float64, a Python loop over the time steps in which each step computes the GRU step on the
  concatenation [h; x], the output logits of that step, a softmax, its logarithm, a one-hot
  matrix of the targets and the loss; then a loop backwards over the steps with the output
  layer's gradient and the GRU's backward pass of each step, weight gradients accumulated
  inside the loop. Clipping and Adam are rnnlib's, in float64. It runs on fewer chunks
  (it is slow).

The run first checks that the two compute the same thing (dropout off, the same parameters
and chunk): the naive loss and gradients against rnnlib in float64 (element-wise) and in
float32 (loss to a relative 1e-4, each gradient array to a norm-wise relative 1e-3). For the
word model it also times the output layer on its own, to show its share of the step.

The BLAS thread count is what the environment says (``OPENBLAS_NUM_THREADS``; unset means
OpenBLAS uses every core) and is recorded with the results.

Run with ``python benchmarks/bench_lm_training.py`` or ``make bench``; results go to
``results/lm_training.json`` and ``results/lm_training.md``. ``--quick`` runs a couple of
chunks only, as a smoke test, and writes nothing.
"""

import argparse
import dataclasses
import itertools
import os
import sys
from pathlib import Path

import numpy as np

from rnnlib.language_model import LMConfig, init_language_model, lm_forward, lm_loss_and_grads
from rnnlib.losses import fused_cross_entropy
from rnnlib.params import count_params, flatten_params
from rnnlib.lm_data import load_corpus, stream_batches
from rnnlib.optim import Adam, clip_grad_norm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, command_line, machine_info, write_results  # noqa: E402

BATCH, LR, CLIP = 32, 3e-3, 1.0
MODELS = {   # the book's models; chunks timed per run: rnnlib, naive
    "word": {"level": "word", "min_count": 3, "n_embed": 200, "n_hidden": 200, "dropout": 0.25,
             "tie_weights": True, "bptt": 32, "chunks": 40, "naive_chunks": 8},
    "char": {"level": "char", "min_count": 1, "n_embed": 32, "n_hidden": 384, "dropout": 0.1,
             "tie_weights": False, "bptt": 64, "chunks": 20, "naive_chunks": 8},
}
REPEATS, NAIVE_REPEATS = 3, 2


# ----------------------------------------------------------------- the naive implementation
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax_loss(logits, targets):
    """Summed cross-entropy of one step, written out: softmax, log, one-hot matrix."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(len(targets)), targets] = 1
    return -(one_hot * np.log(probs)).sum(), probs, one_hot


def naive_forward(params, ids, targets, h, p_drop, rng):
    """Step by step: embedding, dropout, GRU step, dropout, logits, softmax loss.

    Returns the mean loss, what every step saved for the backward pass, and the last state.
    """
    E, g, b = params["embed"]["E"], params["layers"]["0"], params["out"]["b"]
    W = params["out"].get("W", E)
    n_h = h.shape[1]
    W_ch, W_cx = g["W_c"][:, :n_h], g["W_c"][:, n_h:]
    keep = lambda shape: (rng.random(shape) >= p_drop) / (1 - p_drop) if p_drop else 1.0
    total, steps = 0.0, []
    for t in range(ids.shape[1]):
        keep_in = keep((len(h), E.shape[1]))
        x = E[ids[:, t]] * keep_in
        hx = np.concatenate([h, x], axis=1)
        u = sigmoid(hx @ g["W_u"].T + g["b_u"])
        r = sigmoid(hx @ g["W_r"].T + g["b_r"])
        rec = h @ W_ch.T + g["b_ch"]                   # reset_after: Γ_r ⊙ (W_ch h + b_ch)
        c = np.tanh(x @ W_cx.T + g["b_c"] + r * rec)
        h_new = u * c + (1 - u) * h
        keep_out = keep(h.shape)
        top = h_new * keep_out
        loss, probs, one_hot = softmax_loss(top @ W.T + b, targets[:, t])
        total += loss
        steps.append(dict(keep_in=keep_in, x=x, h=h, hx=hx, u=u, r=r, rec=rec, c=c,
                          keep_out=keep_out, top=top, probs=probs, one_hot=one_hot))
        h = h_new
    return total / ids.size, steps, h


def naive_backward(params, ids, steps):
    """Step by step backwards: output layer, then the GRU step; gradients summed in the loop."""
    E, g = params["embed"]["E"], params["layers"]["0"]
    tied = "W" not in params["out"]
    W = E if tied else params["out"]["W"]
    n_h = steps[0]["h"].shape[1]
    W_ch, W_cx = g["W_c"][:, :n_h], g["W_c"][:, n_h:]
    grads = {k: {kk: np.zeros_like(v) for kk, v in sub.items()} for k, sub in params.items()
             if k != "layers"}
    grads["layers"] = {"0": {k: np.zeros_like(v) for k, v in g.items()}}
    gl, gW = grads["layers"]["0"], np.zeros_like(W)
    dh_next = np.zeros_like(steps[0]["h"])
    for t in range(len(steps) - 1, -1, -1):
        s = steps[t]
        d = (s["probs"] - s["one_hot"]) / ids.size
        gW += d.T @ s["top"]
        grads["out"]["b"] += d.sum(axis=0)
        dh = (d @ W) * s["keep_out"] + dh_next
        u, r, c, rec = s["u"], s["r"], s["c"], s["rec"]
        da_c = dh * u * (1 - c * c)
        da_u = dh * (c - s["h"]) * u * (1 - u)
        drec = da_c * r
        da_r = da_c * rec * r * (1 - r)
        gl["W_u"] += da_u.T @ s["hx"]
        gl["W_r"] += da_r.T @ s["hx"]
        gl["W_c"] += np.concatenate([drec.T @ s["h"], da_c.T @ s["x"]], axis=1)
        for key, da in (("b_u", da_u), ("b_r", da_r), ("b_c", da_c), ("b_ch", drec)):
            gl[key] += da.sum(axis=0)
        dhx = da_u @ g["W_u"] + da_r @ g["W_r"]
        dx = (dhx[:, n_h:] + da_c @ W_cx) * s["keep_in"]
        np.add.at(grads["embed"]["E"], ids[:, t], dx)
        dh_next = dh * (1 - u) + dhx[:, :n_h] + drec @ W_ch
    if tied:
        grads["embed"]["E"] += gW
    else:
        grads["out"]["W"] = gW
    return grads


def naive_loss_and_grads(params, ids, targets, h, p_drop, rng):
    loss, steps, h = naive_forward(params, ids, targets, h, p_drop, rng)
    return loss, naive_backward(params, ids, steps), h


# ----------------------------------------------------------------- training steps
def rnnlib_trainer(params, config, chunks, seed=1):
    """A function that trains ``params`` over ``chunks`` with rnnlib, carrying the states."""
    optimizer, rng = Adam(lr=LR), np.random.default_rng(seed)

    def run():
        states = None
        for x, y in chunks:
            _, grads, states = lm_loss_and_grads(x, y, None, params, config, h0s=states, rng=rng)
            clip_grad_norm(grads, CLIP)
            optimizer.step(params, grads)
    return run


def naive_trainer(params, config, chunks, seed=1):
    """The same with the naive forward and backward (float64 ``params``)."""
    optimizer, rng = Adam(lr=LR), np.random.default_rng(seed)

    def run():
        h = np.zeros((BATCH, config.n_hidden))
        for x, y in chunks:
            _, grads, h = naive_loss_and_grads(params, x, y, h, config.dropout, rng)
            clip_grad_norm(grads, CLIP)
            optimizer.step(params, grads)
    return run


def as_float64(params):
    return {k: as_float64(v) if isinstance(v, dict) else v.astype(np.float64)
            for k, v in params.items()}


def throughput(train, chunks, repeats, tokens_per_epoch):
    seconds, runs, _ = best_of(train, repeats)
    tokens = sum(y.size for _, y in chunks)
    rate = tokens / seconds
    return {"chunks": len(chunks), "tokens": tokens, "seconds": seconds, "runs": runs,
            "tokens_per_s": rate, "minutes_per_epoch": tokens_per_epoch / rate / 60}


# ----------------------------------------------------------------- checks and parts
def agreement(params, config, chunks):
    """Naive against rnnlib, dropout off, on chunk 1 from the states after chunk 0."""
    config = dataclasses.replace(config, dropout=0.0)
    (x0, _), (x, y) = chunks[0], chunks[1]
    p64 = as_float64(params)
    _, h0s, _ = lm_forward(x0, p64, dataclasses.replace(config, dtype="float64"))
    loss, grads, _ = naive_loss_and_grads(p64, x, y, h0s[0], 0.0, None)
    flat = flatten_params(grads)
    out = {"loss_naive": loss}
    for dtype, p in (("float64", p64), ("float32", params)):
        cfg = dataclasses.replace(config, dtype=dtype)
        h0 = [h0s[0].astype(dtype)]
        loss_r, grads_r, _ = lm_loss_and_grads(x, y, None, p, cfg, h0s=h0, train=False)
        flat_r = flatten_params(grads_r)
        out[f"loss_rnnlib_{dtype}"] = loss_r
        if dtype == "float64":      # element-wise, as the other benchmarks
            out["max_rel_diff_float64"] = max(
                float(np.max(np.abs(flat_r[k] - flat[k])
                             / np.maximum(1e-12, np.abs(flat_r[k]) + np.abs(flat[k]))))
                for k in flat)
        else:                       # float32 rounding: norm-wise, per array
            out["max_grad_rel_err_float32"] = max(
                float(np.linalg.norm(flat_r[k] - flat[k]) / np.linalg.norm(flat[k]))
                for k in flat)
    return out


def check(a):
    assert a["max_rel_diff_float64"] < 1e-6, a
    assert np.isclose(a["loss_rnnlib_float64"], a["loss_naive"], rtol=1e-9), a
    assert np.isclose(a["loss_rnnlib_float32"], a["loss_naive"], rtol=1e-4), a
    assert a["max_grad_rel_err_float32"] < 1e-3, a


def output_layer_seconds(params, config, chunk, repeats):
    """rnnlib's and the naive output layer alone (forward and backward) on one chunk."""
    x, y = chunk
    _, _, cache = lm_forward(x, params, config)
    top, W, b = cache.top, cache.W, params["out"]["b"]

    def fast():
        logits = top @ W.T
        logits += b
        _, d = fused_cross_entropy(logits, y.reshape(-1), overwrite=True)
        return d.T @ top, d.sum(axis=0), d @ W

    hs = top.astype(np.float64).reshape(*y.shape, -1)
    W64, b64 = W.astype(np.float64), b.astype(np.float64)

    def naive():
        for t in range(y.shape[1]):
            _, probs, one_hot = softmax_loss(hs[:, t] @ W64.T + b64, y[:, t])
            d = (probs - one_hot) / y.size
            grads = d.T @ hs[:, t], d.sum(axis=0), d @ W64      # noqa: F841

    return best_of(fast, repeats)[0], best_of(naive, repeats)[0]


# ----------------------------------------------------------------- one model
def bench_model(name, spec, quick):
    corpus = load_corpus("within_play", spec["level"], min_count=spec["min_count"])
    stream = corpus.stream("train")
    config = LMConfig(vocab_size=len(corpus.vocab), n_embed=spec["n_embed"],
                      n_hidden=spec["n_hidden"], cell="gru", dropout=spec["dropout"],
                      dtype="float32", reset_after=True, tie_weights=spec["tie_weights"])
    params = init_language_model(config, np.random.default_rng(0))
    n_chunks, n_naive = (2, 2) if quick else (spec["chunks"], spec["naive_chunks"])
    repeats, naive_repeats = (1, 1) if quick else (REPEATS, NAIVE_REPEATS)
    chunks = list(itertools.islice(stream_batches(stream, BATCH, spec["bptt"]), n_chunks))
    tokens_per_epoch = BATCH * ((stream.size - 1) // BATCH)     # every target once

    naive_params = as_float64(params)
    fast = throughput(rnnlib_trainer(params, config, chunks), chunks, repeats, tokens_per_epoch)
    naive = throughput(naive_trainer(naive_params, config, chunks[:n_naive]), chunks[:n_naive],
                       naive_repeats, tokens_per_epoch)
    agree = agreement(params, config, chunks)
    check(agree)
    result = {"config": {**config.to_dict(), "batch": BATCH, "bptt": spec["bptt"], "lr": LR,
                         "clip": CLIP, "params": count_params(params)},
              "train_tokens_per_epoch": tokens_per_epoch, "rnnlib": fast, "naive": naive,
              "speedup": fast["tokens_per_s"] / naive["tokens_per_s"], "agreement": agree}
    if name == "word":
        out_fast, out_naive = output_layer_seconds(params, config, chunks[0], repeats)
        result["output_layer"] = {
            "rnnlib_seconds": out_fast, "naive_seconds": out_naive,
            "rnnlib_share": out_fast / (fast["seconds"] / fast["chunks"]),
            "naive_share": out_naive / (naive["seconds"] / naive["chunks"])}
    return result


def run(quick=False):
    return {"models": {name: bench_model(name, spec, quick) for name, spec in MODELS.items()},
            "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "quick": quick,
            "machine": machine_info(), "command": command_line("bench_lm_training.py")}


def to_markdown(r):
    m, threads = r["machine"], r["openblas_num_threads"]
    threads = f"`OPENBLAS_NUM_THREADS={threads}`" if threads else \
        "`OPENBLAS_NUM_THREADS` unset (OpenBLAS uses every core)"
    lines = [
        "Training throughput of the book's two GRU language models (float32, `reset_after`, "
        "Adam, clipping), on the first chunks of their training streams, against the naive "
        "per-step implementation (float64; per time step: GRU step, logits, softmax, log, "
        "one-hot targets; backward step by step). Tokens are targets; best of several runs.\n",
        "| model | parameters | chunk | rnnlib tokens/s | naive tokens/s | speedup | "
        "rnnlib min/epoch | naive min/epoch |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, x in r["models"].items():
        c, f, n = x["config"], x["rnnlib"], x["naive"]
        lines.append(
            f"| {name} (V = {c['vocab_size']:,}, {c['n_hidden']} units) | {c['params']:,} | "
            f"{c['batch']} × {c['bptt']} | {f['tokens_per_s']:,.0f} | {n['tokens_per_s']:,.0f} "
            f"| {x['speedup']:.1f}× | {f['minutes_per_epoch']:.1f} | "
            f"{n['minutes_per_epoch']:.1f} |")
    lines.append("")
    for name, x in r["models"].items():
        f, n, a = x["rnnlib"], x["naive"], x["agreement"]
        lines.append(
            f"- **{name}**: rnnlib over {f['chunks']} chunks (best of {f['runs']}), naive over "
            f"{n['chunks']} (best of {n['runs']}); an epoch is {x['train_tokens_per_epoch']:,} "
            f"tokens. Without dropout the two agree: loss {a['loss_naive']:.6f} (naive) and "
            f"{a['loss_rnnlib_float32']:.6f} (rnnlib, float32); gradients to "
            f"{a['max_rel_diff_float64']:.0e} element-wise in float64 and "
            f"{a['max_grad_rel_err_float32']:.0e} (norm-wise) in float32.")
    o = r["models"]["word"].get("output_layer")
    if o:
        lines.append(
            f"- The word model's output layer (logits, loss, gradient; one chunk) takes "
            f"{o['rnnlib_seconds'] * 1e3:.0f} ms in rnnlib, about {o['rnnlib_share']:.0%} of "
            f"its training step, and {o['naive_seconds'] * 1e3:.0f} ms in the naive version, "
            f"about {o['naive_share']:.0%} of its step.")
    lines.append(
        f"\nMeasured on {m['date']} with `{r['command']}`, {threads}, on "
        f"{m['processor'] or m['machine']} ({m['cpu_count']} CPUs), Python {m['python']}, "
        f"numpy {m['numpy']}.\n")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="two chunks, one run each, as a smoke test; writes no results")
    args = parser.parse_args()
    results = run(args.quick)
    markdown = to_markdown(results)
    print(markdown)
    if not args.quick:
        write_results("lm_training", results, markdown)


if __name__ == "__main__":
    main()
