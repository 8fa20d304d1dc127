"""Choose the best n-gram model of each level and split on validation data; record its scores.

For every (level, split) of chapter 12 this fits Kneser–Ney and Jelinek–Mercer (interpolated)
models of several orders on the training text, scores each on the validation text, and keeps
all the numbers, with the test perplexity of every candidate, in ``rnnlib/models/ngram_baselines.json``.
The best model is the one with the lowest *validation* perplexity; its test perplexity is the
number the recurrent models are compared with. Vocabularies are those of the recurrent models
(:func:`rnnlib.lm_data.load_corpus` with the same ``min_count``), so the predictions are the same.

Run with ``python scripts/ngram_baselines.py`` (about 10 minutes on one core).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from rnnlib.lm_data import load_corpus
from rnnlib.ngram import NGramLM

#: The candidates: (level, min_count, orders).
GRID = {"word": (3, [1, 2, 3, 4, 5]), "char": (1, [3, 4, 5, 6, 7, 8, 9, 10])}
SMOOTHINGS = ("kneser_ney", "interpolated")
OUT = Path(__file__).resolve().parent.parent / "rnnlib" / "models" / "ngram_baselines.json"


def sweep(level: str, split: str) -> dict:
    min_count, orders = GRID[level]
    corpus = load_corpus(split, level, min_count)
    train, valid, test = (corpus.sentences(p) for p in ("train", "valid", "test"))
    candidates = []
    for smoothing in SMOOTHINGS:
        for order in orders:
            start = time.perf_counter()
            model = NGramLM(order, smoothing, vocab=corpus.vocab).fit(train)
            fit_seconds = time.perf_counter() - start
            v, t = model.evaluate(valid), model.evaluate(test)
            candidates.append({"smoothing": smoothing, "order": order,
                               "valid_ppl": v.perplexity, "test_ppl": t.perplexity,
                               "valid_n_predictions": v.n_tokens, "test_n_predictions": t.n_tokens,
                               "n_ngrams": int(sum(model.num_ngrams().values())),
                               "fit_seconds": round(fit_seconds, 2)})
            print(f"{level:>4} {split:>11} {smoothing:>12} n={order:2d}: valid "
                  f"{v.perplexity:8.3f}  test {t.perplexity:8.3f}", flush=True)
    best = min(candidates, key=lambda c: c["valid_ppl"])
    return {"level": level, "split": split, "min_count": min_count,
            "vocab_size": len(corpus.vocab), "candidates": candidates, "best": best}


def main() -> None:
    results = {f"{level}/{split}": sweep(level, split)
               for level in GRID for split in ("within_play", "by_play")}
    OUT.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
