"""Speed of rnnlib's Kneser–Ney trigram model against a naive dict-of-Counters one.

Fits a word-level Kneser–Ney trigram model on the training plays of the by-play split and
scores the held-out validation plays, once with ``rnnlib.ngram.NGramLM`` (vectorised numpy)
and once with ``naive_ngram.NaiveKneserNey`` (one n-gram at a time), in the same run. It
checks that the two give the same probabilities, prints a table and writes
``results/ngram.json`` (every number) and ``results/ngram.md`` (included in the book's
benchmarks appendix).

Run it alone with ``python benchmarks/bench_ngram.py``, or with every benchmark through
``make bench``. Import it and call :func:`run` to get the results without writing files.
"""

import math
import sys
import time
from pathlib import Path

import numpy as np

from rnnlib import datasets
from rnnlib.ngram import NGramLM
from rnnlib.text import BOS, EOS, UNK, Vocab, corpus_sentences

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, command_line, machine_info, write_results  # noqa: E402
from naive_ngram import NaiveKneserNey  # noqa: E402

ORDER = 3
REPEATS = 3               # best of 3 for every timing ...
NAIVE_BUDGET = 60.0       # ... except that the naive model stops repeating after this many seconds
CHECK_NGRAMS = 20_000     # held-out n-grams compared between the two models ...
MAX_REL_DIFF = 1e-9       # ... whose probabilities must agree to this relative difference
FIT_AIM, SCORE_AIM = 5.0, 500_000   # the issue's aims: fit seconds, n-grams scored per second


def run():
    """Measure everything once; return the results as a dict (nothing is written)."""
    start = time.perf_counter()
    split = datasets.split_by_play()
    train, valid = corpus_sentences(split.train), corpus_sentences(split.valid)
    vocab = Vocab.build(train, min_count=2, specials=(UNK, BOS, EOS))
    prep_seconds = time.perf_counter() - start

    # rnnlib: fit, then score the encoded n-grams, then evaluate end to end (encoding included).
    fit_s, _, lm = best_of(lambda: NGramLM(ORDER, "kneser_ney", vocab=vocab).fit(train))
    contexts, targets = lm.encode(valid)
    n = len(targets)
    score_s, _, p = best_of(lambda: lm.score_ids(contexts, targets))
    eval_s, _, evaluation = best_of(lambda: lm.evaluate(valid))

    # The naive model, on the same vocabulary and the same n-grams decoded back to strings.
    words = {t for t in vocab if t not in (UNK, BOS, EOS)}
    naive_fit_s, naive_fit_runs, naive = best_of(
        lambda: NaiveKneserNey(ORDER, train, vocab=words), budget=NAIVE_BUDGET)
    pairs = [(w, tuple(vocab.decode(h))) for w, h in zip(vocab.decode(targets), contexts)]
    score_naive = lambda m: np.array([naive.prob(w, h) for w, h in pairs[:m]])  # noqa: E731
    check = min(CHECK_NGRAMS, n)
    prefix_s, _, q = best_of(lambda: score_naive(check), repeats=1)
    if prefix_s * n / check < NAIVE_BUDGET:   # all of them should take under the budget
        naive_score_s, naive_score_runs, q = best_of(lambda: score_naive(n), budget=NAIVE_BUDGET)
    else:
        naive_score_s, naive_score_runs = prefix_s, 1
    m = len(q)

    rel_diff = np.abs(p[:check] - q[:check]) / p[:check]
    rates = {"vectorised": n / score_s, "evaluate": n / eval_s, "naive": m / naive_score_s}
    return {
        "model": f"word-level Kneser-Ney {ORDER}-gram (modified, interpolated)",
        "corpus": {"train_sentences": len(train), "train_tokens": sum(map(len, train)),
                   "valid_sentences": len(valid), "valid_ngrams": n,
                   "valid_oov": evaluation.n_oov, "vocab_size": len(vocab)},
        "data_prep_seconds": prep_seconds,
        "fit_seconds": {"rnnlib": fit_s, "naive": naive_fit_s, "naive_runs": naive_fit_runs,
                        "ratio": naive_fit_s / fit_s},
        "score": {"ngrams": {"rnnlib": n, "naive": m}, "naive_all": m == n,
                  "seconds": {"vectorised": score_s, "evaluate": eval_s, "naive": naive_score_s},
                  "naive_runs": naive_score_runs,
                  "ngrams_per_second": rates,
                  "ratio": {"vectorised": rates["vectorised"] / rates["naive"],
                            "evaluate": rates["evaluate"] / rates["naive"]}},
        "check": {"ngrams": check, "max_rel_diff": float(rel_diff.max()),
                  "perplexity_ngrams": m,
                  "perplexity_rnnlib": math.exp(-np.log(p[:m]).mean()),
                  "perplexity_naive": math.exp(-np.log(q).mean()),
                  "perplexity_rnnlib_evaluate": evaluation.perplexity},
        "aims": {"fit_seconds_below": FIT_AIM, "fit_met": fit_s < FIT_AIM,
                 "ngrams_per_second_above": SCORE_AIM,
                 "score_met": {k: rates[k] > SCORE_AIM for k in ("vectorised", "evaluate")}},
        "repeats": REPEATS,
        "command": command_line("bench_ngram.py"),
        "machine": machine_info(),
    }


def table_rows(r):
    """(what, rnnlib, naive, speed-up) for the table, as strings."""
    fit, sc, ch = r["fit_seconds"], r["score"], r["check"]
    rate, ratio = sc["ngrams_per_second"], sc["ratio"]
    ppl_on = ("the validation set" if sc["naive_all"]
              else f"the first {ch['perplexity_ngrams']:,} n-grams")
    return [
        ("fit (seconds)", f"{fit['rnnlib']:.3f}", f"{fit['naive']:.3f}", f"{fit['ratio']:.1f}×"),
        ("scoring, encoded ids (`score_ids`, n-grams/s)", f"{rate['vectorised']:,.0f}",
         f"{rate['naive']:,.0f}", f"{ratio['vectorised']:.1f}×"),
        ("scoring, end to end (`evaluate`, n-grams/s)", f"{rate['evaluate']:,.0f}",
         f"{rate['naive']:,.0f}", f"{ratio['evaluate']:.1f}×"),
        (f"perplexity on {ppl_on}", f"{ch['perplexity_rnnlib']:.4f}",
         f"{ch['perplexity_naive']:.4f}", ""),
    ]


def to_markdown(r):
    """The results as paragraphs and a table (no headings: the page gives the section)."""
    c, sc, ch, aims, mc = r["corpus"], r["score"], r["check"], r["aims"], r["machine"]
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    scored = ("all of them" if sc["naive_all"] else f"only the first {sc['ngrams']['naive']:,} "
              f"(all would take over {NAIVE_BUDGET:.0f} s)")
    header = [("", "rnnlib", "naive", "speed-up (rnnlib / naive)"), ("---", "---:", "---:", "---:")]
    table = "\n".join(f"| {' | '.join(row)} |" for row in header + table_rows(r))
    return f"""\
Training: {c['train_tokens']:,} tokens in {c['train_sentences']:,} sentences; validation: \
{c['valid_ngrams']:,} n-grams to score ({c['valid_sentences']:,} sentences, one `</s>` each); \
vocabulary: {c['vocab_size']:,} tokens (words seen at least twice, plus `<unk>`, `<s>`, `</s>`). \
Loading, splitting and tokenizing the plays and building the vocabulary took \
{r['data_prep_seconds']:.2f} s, not counted below. The naive model scored {scored}.

{table}

On the first {ch['ngrams']:,} held-out n-grams the two models' probabilities differ by at most \
{ch['max_rel_diff']:.1e} (relative). Aims: fit in under {aims['fit_seconds_below']:g} s: \
{met(aims['fit_met'])}; score over {aims['ngrams_per_second_above']:,} n-grams per second: \
{met(aims['score_met']['vectorised'])} with `score_ids`, {met(aims['score_met']['evaluate'])} \
end to end with `evaluate`.

Measured on {mc['date']} with `{r['command']}` on {mc['processor'] or mc['machine']} \
({mc['cpu_count']} CPUs, {mc['platform']}), Python {mc['python']}, numpy {mc['numpy']}; \
rnnlib times are the best of {r['repeats']} runs, the naive fit the best of \
{r['fit_seconds']['naive_runs']}, naive scoring the best of {sc['naive_runs']}.
"""


def print_table(r):
    print(f"data prep {r['data_prep_seconds']:.2f} s; corpus {r['corpus']}")
    print(f"{'':48}{'rnnlib':>14}{'naive':>14}{'speed-up':>10}")
    for what, ours, naive, ratio in table_rows(r):
        print(f"{what:48}{ours:>14}{naive:>14}{ratio:>10}")
    print(f"max relative difference on {r['check']['ngrams']:,} n-grams: "
          f"{r['check']['max_rel_diff']:.2e}")
    print(f"aims: {r['aims']}")


def main():
    results = run()
    print_table(results)
    write_results("ngram", results, to_markdown(results))
    if not results["check"]["max_rel_diff"] < MAX_REL_DIFF:
        sys.exit(f"rnnlib and the naive model disagree by {results['check']['max_rel_diff']:.2e}")


if __name__ == "__main__":
    main()
