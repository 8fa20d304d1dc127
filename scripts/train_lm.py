"""Train a language model of Shakespeare and save it with everything needed to check it.

Deterministic given ``--seed`` (on one machine, with one BLAS thread count). For example, the
command that trained the book's word-level GRU (``scripts/book_models.sh`` has them all)::

    python scripts/train_lm.py --split within_play --level word --min-count 3 --cell gru \\
        --n-hidden 200 --tie --dropout 0.25 --bptt 32 --epochs 12 --out rnnlib/models/word_gru_within_play

The model is written as ``<out>.npz`` and ``<out>.json`` (:func:`rnnlib.serialization.save_model`),
the weights in float16 unless ``--store-dtype float32``. The JSON's ``extra`` records the
command, data split, seed, the validation perplexity after every epoch (against tokens seen),
training time and speed, and the validation and test perplexity of the *stored* weights, on
exactly the predictions an n-gram model makes (:mod:`rnnlib.lm_data`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from rnnlib import __version__
from rnnlib.evaluate import evaluate_documents
from rnnlib.language_model import LMConfig, init_language_model
from rnnlib.lm_data import EVAL_ROW_LENGTH, LEVELS, SPLITS, document_batch, load_corpus
from rnnlib.params import cast_params, count_params
from rnnlib.serialization import load_model, save_model
from rnnlib.train import SCHEDULES, train_language_model

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=SPLITS, default="within_play")
    p.add_argument("--level", choices=LEVELS, default="word")
    p.add_argument("--min-count", type=int, default=1,
                   help="training tokens seen fewer times become <unk>")
    p.add_argument("--cell", choices=("gru", "rnn"), default="gru")
    p.add_argument("--n-embed", type=int, default=None, help="default: n-hidden")
    p.add_argument("--n-hidden", type=int, default=256)
    p.add_argument("--n-layers", type=int, default=1)
    p.add_argument("--tie", action="store_true", help="tie the output weights to the embeddings")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--bptt", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--schedule", choices=SCHEDULES, default="plateau")
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train-tokens", type=int, default=None,
                   help="train on the first N tokens of the stream only (for quick runs)")
    p.add_argument("--init-from", default=None,
                   help="continue training a saved model (same configuration); its history is "
                        "kept and extended")
    p.add_argument("--store-dtype", choices=("float16", "float32"), default="float16")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--out", required=True, help="path without extension")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    n_embed = args.n_embed or args.n_hidden
    corpus = load_corpus(args.split, args.level, args.min_count)
    train_ids = corpus.stream("train")
    if args.max_train_tokens is not None:
        train_ids = train_ids[:args.max_train_tokens]
    rows = EVAL_ROW_LENGTH[args.level]
    valid_batch = document_batch(corpus.valid, corpus.vocab, rows)
    test_batch = document_batch(corpus.test, corpus.vocab, rows)

    config = LMConfig(vocab_size=len(corpus.vocab), n_embed=n_embed, n_hidden=args.n_hidden,
                      n_layers=args.n_layers, cell=args.cell, dropout=args.dropout,
                      dtype="float32", reset_after=True, tie_weights=args.tie)
    rng = np.random.default_rng(args.seed)
    params = init_language_model(config, rng)
    previous = None
    if args.init_from is not None:
        params, loaded, _, previous = load_model(args.init_from, expected_vocab=corpus.vocab,
                                                 dtype="float32")
        if loaded != config:
            raise ValueError(f"{args.init_from} has the configuration {loaded}, but these "
                             f"arguments ask for {config}")
        previous = previous["extra"]
    history = train_language_model(
        train_ids, corpus.stream("valid"), params, config, epochs=args.epochs,
        batch_size=args.batch_size, bptt=args.bptt, lr=args.lr, schedule=args.schedule,
        clip=args.clip, patience=args.patience, rng=rng, progress=not args.no_progress,
        evaluate=lambda p: evaluate_documents(valid_batch, p, config).perplexity)
    n_batches_tokens = (len(train_ids) - 1) // args.batch_size * args.batch_size
    epochs_run = len(history.valid_ppl)

    command = "python scripts/train_lm.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    extra = {
        "command": command,
        "args": vars(args), "split": args.split, "level": args.level, "seed": args.seed,
        "min_count": args.min_count, "n_params": count_params(params),
        "tokens_per_epoch": n_batches_tokens,
        "history": {"tokens_seen": [n_batches_tokens * (e + 1) for e in range(epochs_run)],
                    "valid_ppl": history.valid_ppl, "train_loss": history.train_loss,
                    "lr": history.lr, "best_epoch": history.best_epoch,
                    "stopped_early": history.stopped_early},
        "train_seconds": round(history.seconds, 1),
        "tokens_per_second": round(n_batches_tokens * epochs_run / history.seconds, 1),
    }
    if previous is not None:           # one history from the first epoch of the first stage
        before = previous["history"]
        offset = before["tokens_seen"][-1]
        h = extra["history"]
        extra["history"] = {
            "tokens_seen": before["tokens_seen"] + [offset + n for n in h["tokens_seen"]],
            "valid_ppl": before["valid_ppl"] + h["valid_ppl"],
            "train_loss": before["train_loss"] + h["train_loss"],
            "lr": before["lr"] + h["lr"],
            "best_epoch": len(before["valid_ppl"]) + h["best_epoch"],
            "stopped_early": h["stopped_early"],
            "stage_starts": before.get("stage_starts", [0]) + [len(before["valid_ppl"])]}
        extra["commands"] = previous.get("commands", [previous["command"]]) + [command]
        extra["train_seconds"] = round(previous["train_seconds"] + history.seconds, 1)
        extra["tokens_per_second"] = round(
            extra["history"]["tokens_seen"][-1] / extra["train_seconds"], 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    store = args.store_dtype
    stored = cast_params(params, store)
    save_model(out, stored, replace(config, dtype=store), corpus.vocab, extra=extra)

    # Score what was stored, as a reader will load it: float16 weights, float32 arithmetic.
    params32, config32, _, _ = load_model(out, expected_vocab=corpus.vocab, dtype="float32")
    for name, batch in (("valid", valid_batch), ("test", test_batch)):
        meter = evaluate_documents(batch, params32, config32)
        extra[f"{name}_ppl"] = meter.perplexity
        extra[f"{name}_bits_per_token"] = meter.bits_per_token
        extra[f"{name}_n_predictions"] = meter.n_tokens
    extra["rnnlib_version"] = __version__
    save_model(out, stored, replace(config, dtype=store), corpus.vocab, extra=extra)
    print(f"{out}: {extra['n_params']:,} parameters, {epochs_run} epochs in "
          f"{history.seconds / 60:.1f} min ({extra['tokens_per_second']:,.0f} tokens/s); "
          f"valid {extra['valid_ppl']:.3f}, test {extra['test_ppl']:.3f}")
    return extra


if __name__ == "__main__":
    main()
