"""A straightforward dict-of-Counters interpolated Kneser–Ney model.

It is the baseline that ``benchmarks/bench_ngram.py`` times rnnlib against, and the
independent reference that ``tests/test_ngram.py`` checks rnnlib's probabilities with.
It follows Chen and Goodman (1999) directly, one n-gram at a time, with no arrays.
"""

from collections import Counter, defaultdict

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


class NaiveKneserNey:
    """Interpolated modified Kneser–Ney, counted with Counters keyed by token tuples."""

    def __init__(self, order, sentences, vocab=None):
        n = self.order = order
        if vocab is None:
            vocab = {w for s in sentences for w in s}
        self.words = set(vocab) | {UNK}
        self.outcomes = sorted(self.words | {EOS})
        raw = [Counter() for _ in range(n + 1)]
        for sentence in sentences:
            padded = [BOS] * (n - 1) + [w if w in self.words else UNK for w in sentence] + [EOS]
            for t in range(n - 1, len(padded)):
                for k in range(1, n + 1):
                    raw[k][tuple(padded[t - k + 1:t + 1])] += 1
        # Lower orders count distinct left neighbours: N1+(. h w).
        self.values = [None] * (n + 1)
        self.values[n] = raw[n]
        for k in range(n - 1, 0, -1):
            self.values[k] = Counter(gram[1:] for gram in raw[k + 1])
        self.totals, self.n_by_count, self.discounts = {}, {}, {}
        for k in range(1, n + 1):
            totals, by_count = Counter(), defaultdict(Counter)
            for gram, c in self.values[k].items():
                totals[gram[:-1]] += c
                by_count[gram[:-1]][min(c, 3)] += 1
            self.totals[k], self.n_by_count[k] = totals, by_count
            self.discounts[k] = self._estimate_discounts(self.values[k].values())

    @staticmethod
    def _estimate_discounts(values):
        n = Counter(values)
        n1, n2, n3, n4 = n[1], n[2], n[3], n[4]
        y = n1 / (n1 + 2 * n2) if n1 and n2 else 0.75
        if min(n1, n2, n3, n4) == 0:
            return {0: 0.0, 1: y, 2: y, 3: y}
        clip = lambda d, r: min(max(d, 0.0), r)
        return {0: 0.0, 1: clip(1 - 2 * y * n2 / n1, 1), 2: clip(2 - 3 * y * n3 / n2, 2),
                3: clip(3 - 4 * y * n4 / n3, 3)}

    def prob(self, word, context):
        word = word if word in self.words or word == EOS else UNK
        context = tuple(w if w in self.words or w in (BOS, EOS) else UNK for w in context)
        p = 1.0 / len(self.outcomes)
        for k in range(1, self.order + 1):
            h = context[len(context) - (k - 1):] if k > 1 else ()
            total = self.totals[k].get(h, 0)
            if total == 0:
                continue
            c = self.values[k].get(h + (word,), 0)
            d = self.discounts[k]
            gamma = sum(d[r] * m for r, m in self.n_by_count[k][h].items()) / total
            p = max(c - d[min(c, 3)], 0.0) / total + gamma * p
        return p
