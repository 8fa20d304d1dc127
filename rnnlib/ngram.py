r"""N-gram language models: counting, MLE, add-k, interpolation and Kneser–Ney.

An n-gram model of order :math:`n` predicts each token from the :math:`n-1` tokens before it,

.. math:: P(w_1 \dots w_T) \approx \prod_{t=1}^{T+1} P(w_t \mid w_{t-n+1} \dots w_{t-1}),

where every sentence is padded with :math:`n-1` start markers ``<s>`` in front and one end
marker ``</s>`` behind (the :math:`(T+1)`-th prediction). ``</s>`` is predicted like a word;
``<s>`` is only ever a context, so a model's distribution is over the *outcomes*: every
vocabulary token except ``<s>``.

Storage: a context of length :math:`j` gets an integer id, built from the right: the id of
:math:`(w_{t-j} \dots w_{t-1})` is looked up from the pair (id of :math:`w_{t-j+1} \dots
w_{t-1}`, :math:`w_{t-j}`), so dropping the leftmost word (backing off to a shorter context)
is one integer division. An n-gram is the pair (context id, word), stored as one int64 key
``context_id * V + word`` in a sorted array, found with ``numpy.searchsorted``. Every
count and lookup is vectorised over all n-grams at once.

References: Jelinek and Mercer (1980) for interpolation; Kneser and Ney (1995) for
continuation counts; Chen and Goodman (1999) for interpolated Kneser–Ney with the three
discounts of *modified* Kneser–Ney, whose estimates are used here.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .text import BOS, EOS, UNK, Vocab, _check_sequences
from .validate import positive_int

SMOOTHINGS = ("mle", "add_k", "interpolated", "kneser_ney")
_OPTIONS = {
    "mle": {},
    "add_k": {"k": 1.0},
    "interpolated": {"lambdas": None, "heldout_fraction": 0.1},
    "kneser_ney": {"discount": None, "modified": True},
}


class Evaluation(NamedTuple):
    """What :meth:`NGramLM.evaluate` measures on a set of sentences."""

    perplexity: float     #: exp(cross_entropy); ``inf`` if any token got probability 0
    cross_entropy: float  #: mean negative log-probability per predicted token, in nats
    n_tokens: int         #: predicted tokens, counting one ``</s>`` per sentence
    n_oov: int            #: tokens outside the vocabulary (scored as ``<unk>``)
    n_zero: int           #: tokens the model gave probability exactly 0


class _Table(NamedTuple):
    """The n-grams of one order: sorted keys ``context_id * V + word`` and their counts."""

    keys: np.ndarray      # (m,) int64, sorted
    raw: np.ndarray       # (m,) float64: how often the n-gram occurred
    cont: np.ndarray      # (m,) float64: continuation count N1+(. context word), or raw at top order
    context: np.ndarray   # (m,) int64: the context id of each n-gram


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray):
    """Positions of ``keys`` in ``sorted_keys`` and whether each was found."""
    pos = np.searchsorted(sorted_keys, keys)
    pos = np.minimum(pos, len(sorted_keys) - 1)
    found = sorted_keys[pos] == keys if len(sorted_keys) else np.zeros(len(keys), bool)
    return pos, found


class NGramLM:
    r"""An n-gram language model over word (or character) tokens.

    Parameters
    ----------
    order : int
        :math:`n`, the number of tokens in an n-gram (1 = unigram, 2 = bigram, ...).
    smoothing : {"mle", "add_k", "interpolated", "kneser_ney"}
        ``"mle"``: relative frequencies :math:`c(h,w)/c(h)`. A context never seen in
        training has no MLE; the model then uses the longest suffix of it that was seen.
        Unseen n-grams get probability 0, and perplexity becomes infinite.

        ``"add_k"``: :math:`(c(h,w)+k)/(c(h)+k|O|)` with :math:`|O|` outcomes. Option ``k``
        (default 1, Laplace).

        ``"interpolated"``: Jelinek–Mercer, :math:`P_m(w|h) = \lambda_m P^{MLE}_m(w|h) +
        (1-\lambda_m) P_{m-1}(w|h')`, down to the uniform distribution :math:`P_0 = 1/|O|`; a
        level whose context was never seen is skipped. One weight per order, tuned by EM on
        held-out data (see :meth:`fit`), or given as option ``lambdas`` (length ``order``,
        lowest order first).

        ``"kneser_ney"``: interpolated Kneser–Ney. The top order discounts raw counts; lower
        orders use continuation counts :math:`N_{1+}(\bullet\, h\, w)`, the number of
        distinct words seen before :math:`h\,w`; the lowest interpolates with uniform. Options
        ``modified`` (default True: discounts :math:`D_1, D_2, D_{3+}` per order, estimated
        from counts of counts as in Chen and Goodman 1999) and ``discount`` (one fixed
        discount for every count, e.g. 0.75, overriding the estimates).
    min_count : int
        Words seen fewer times in training become ``<unk>`` (ignored when ``vocab`` is given).
    vocab : Vocab, optional
        A fixed vocabulary (it must hold ``<unk>``, ``<s>`` and ``</s>``). Give every model
        you compare the same vocabulary: perplexities over different vocabularies are not
        comparable.

    Attributes
    ----------
    vocab : Vocab
        The vocabulary, set by :meth:`fit` unless given.
    outcomes : tuple of str
        What the model predicts, in the order of :meth:`distribution`: every vocabulary
        token except ``<s>``.
    discounts : dict
        Kneser–Ney only: ``discounts[k] = [0, D1, D2, D3+]`` for order ``k``.
    lambdas : ndarray
        Interpolation only: one weight per order, lowest first.
    """

    def __init__(self, order: int, smoothing: str = "kneser_ney", *, min_count: int = 1,
                 vocab: Vocab | None = None, **options):
        order = positive_int(order, "order")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"unknown smoothing {smoothing!r}; choose one of {SMOOTHINGS}")
        unknown = set(options) - set(_OPTIONS[smoothing])
        if unknown:
            raise TypeError(f"smoothing {smoothing!r} takes options {sorted(_OPTIONS[smoothing])}, "
                            f"got unexpected {sorted(unknown)}")
        min_count = positive_int(min_count, "min_count")
        if vocab is not None:
            if not isinstance(vocab, Vocab):
                raise TypeError(f"vocab must be an rnnlib.text.Vocab, got {type(vocab).__name__}")
            missing = [t for t in (UNK, BOS, EOS) if t not in vocab]
            if missing:
                raise ValueError(f"vocab must contain {UNK}, {BOS} and {EOS}; missing {missing}")
        self.order = int(order)
        self.smoothing = smoothing
        self.min_count = min_count
        self.options = {**_OPTIONS[smoothing], **options}
        self._check_options()
        self.vocab = vocab
        self._fitted = False

    def _check_options(self):
        o = self.options
        if self.smoothing == "add_k" and not (isinstance(o["k"], (int, float)) and o["k"] > 0):
            raise ValueError(f"k must be a number > 0, got {o['k']!r}")
        if self.smoothing == "interpolated":
            if o["lambdas"] is not None:
                lam = np.asarray(o["lambdas"], dtype=float)
                if lam.shape != (self.order,) or np.any((lam < 0) | (lam > 1)):
                    raise ValueError(f"lambdas must be {self.order} weights in [0, 1] (lowest order "
                                     f"first), got {o['lambdas']!r}")
            if not 0 < o["heldout_fraction"] < 1:
                raise ValueError(f"heldout_fraction must be in (0, 1), got {o['heldout_fraction']!r}")
        if self.smoothing == "kneser_ney" and o["discount"] is not None:
            if not 0 < o["discount"] <= 1:
                raise ValueError(f"discount must be in (0, 1], got {o['discount']!r}")

    def __repr__(self):
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        state = f"|V|={len(self.vocab)}" if self._fitted else "not fitted"
        return f"NGramLM(order={self.order}, smoothing={self.smoothing!r}{opts}; {state})"

    # ------------------------------------------------------------------ fitting
    def fit(self, sentences, heldout=None) -> "NGramLM":
        """Count the n-grams of tokenized ``sentences`` (a list of lists of str).

        For ``"interpolated"`` without given ``lambdas``, the weights are tuned by EM to
        maximise the likelihood of ``heldout`` sentences under counts from ``sentences``. If
        ``heldout`` is None, every ``round(1/heldout_fraction)``-th training sentence is held
        out for the tuning; the counts are then re-estimated on all sentences with the tuned
        weights (held-out interpolation; deleted interpolation proper would also rotate which
        part is held out).
        """
        sentences = _check_sequences(sentences, name="sentences")
        if sum(len(s) for s in sentences) == 0:
            raise ValueError("cannot fit a language model on an empty corpus: "
                             f"got {len(sentences)} sentences and no tokens")
        if self.vocab is None:
            self.vocab = Vocab.build(sentences, min_count=self.min_count, specials=(UNK, BOS, EOS))
        self._V = len(self.vocab)
        self._bos = self.vocab.bos_id
        self._outcome_mask = np.ones(self._V, bool)
        self._outcome_mask[self._bos] = False
        self.outcomes = tuple(t for t in self.vocab if t != BOS)
        self._outcome_ids = np.array([self.vocab.id_of(t) for t in self.outcomes], np.int64)

        if self.smoothing == "interpolated":
            lambdas = self.options["lambdas"]
            if lambdas is None:
                if heldout is None:
                    every = max(2, round(1 / self.options["heldout_fraction"]))
                    heldout = sentences[every - 1::every]
                    tuning = [s for i, s in enumerate(sentences) if i % every != every - 1]
                    if not heldout:
                        raise ValueError(
                            f"too few sentences ({len(sentences)}) to hold out every {every}th "
                            "for tuning the interpolation weights; pass heldout=... or lambdas=...")
                else:
                    heldout = _check_sequences(heldout, name="heldout")
                    tuning = sentences
                self._count(tuning)
                lambdas = self._tune_lambdas(*self._encode(heldout)[:2])
            self.lambdas = np.asarray(lambdas, dtype=float)
        self._count(sentences)
        self._fitted = True
        return self

    def _encode(self, sentences):
        """Contexts ``(N, n-1)`` and targets ``(N,)`` of every prediction, and the OOV count.

        Each sentence becomes ``n-1`` start markers, its token ids and one end marker in a
        single padded stream; every non-padding position is a prediction.
        """
        n = self.order
        stoi, unk = self.vocab._stoi, self.vocab.unk_id
        lengths = np.fromiter((len(s) + 1 for s in sentences), np.int64, len(sentences))
        ids = np.fromiter((stoi.get(t, unk) for s in sentences for t in s), np.int64,
                          int(lengths.sum() - len(sentences)))
        n_oov = sum(t not in stoi for s in sentences for t in s)
        starts = np.cumsum(lengths + n - 1) - lengths            # first prediction of each sentence
        positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        stream = np.full(int(lengths.sum() + len(sentences) * (n - 1)), self._bos, np.int64)
        is_end = np.zeros(len(positions), bool)
        is_end[np.cumsum(lengths) - 1] = True
        stream[positions[~is_end]] = ids
        stream[positions[is_end]] = self.vocab.eos_id
        contexts = stream[positions[:, None] + np.arange(-(n - 1), 0)]
        return contexts, stream[positions], n_oov

    def _count(self, sentences):
        """Build the context ids and the n-gram tables of every order."""
        n, V = self.order, self._V
        contexts, targets, _ = self._encode(sentences)
        # Context ids of every length, right to left: (w_{t-j} .. w_{t-1}) from (w_{t-j+1} ..).
        self._context_keys = [np.zeros(1, np.int64)]
        context_of = [np.zeros(len(targets), np.int64)]
        for j in range(1, n):
            keys = context_of[-1] * V + contexts[:, n - 1 - j]
            unique, inverse = np.unique(keys, return_inverse=True)
            self._context_keys.append(unique)
            context_of.append(inverse.ravel())

        self._tables = [None] * (n + 1)  # index = order
        for k in range(n, 0, -1):
            keys, raw = np.unique(context_of[k - 1] * V + targets, return_counts=True)
            if k == n:
                cont = raw
            else:
                # N1+(. h w): each distinct (k+1)-gram (x h w) adds one to (h w).
                upper = self._tables[k + 1]
                suffix = self._context_keys[k][upper.context] // V
                lower_keys, cont = np.unique(suffix * V + upper.keys % V, return_counts=True)
                assert np.array_equal(lower_keys, keys), "every lower n-gram has a left neighbour"
            self._tables[k] = _Table(keys, raw.astype(float), cont.astype(float), keys // V)
        self._precompute()

    def _precompute(self):
        """Per-context totals, and the Kneser–Ney discounts and back-off weights."""
        n = self.order
        self._totals, self._gammas, self.discounts = [None], [None], {}
        for k in range(1, n + 1):
            table = self._tables[k]
            n_contexts = len(self._context_keys[k - 1])
            use_cont = self.smoothing == "kneser_ney"
            values = table.cont if use_cont else table.raw
            self._totals.append(np.bincount(table.context, values, minlength=n_contexts))
            if self.smoothing != "kneser_ney":
                self._gammas.append(None)
                continue
            d = self._discounts_for(values)
            self.discounts[k] = d
            per_entry = d[np.minimum(values, 3).astype(int)]
            mass = np.bincount(table.context, per_entry, minlength=n_contexts)
            total = self._totals[k]
            self._gammas.append(np.divide(mass, total, out=np.zeros_like(mass), where=total > 0))

    def _discounts_for(self, values: np.ndarray) -> np.ndarray:
        """Discounts ``[0, D1, D2, D3+]`` for one order, from its counts of counts.

        Modified Kneser–Ney (Chen and Goodman 1999, eq. 26): with :math:`n_r` the number of
        n-grams seen exactly :math:`r` times and :math:`Y = n_1/(n_1 + 2n_2)`,
        :math:`D_r = r - (r+1)\\,Y\\,n_{r+1}/n_r` for :math:`r = 1, 2, 3`.
        """
        fixed = self.options["discount"]
        if fixed is not None:
            return np.array([0.0, fixed, fixed, fixed])
        n_r = [np.count_nonzero(values == r) for r in range(1, 5)]
        if n_r[0] == 0 or n_r[1] == 0:
            y = 0.75   # no counts of counts to estimate from (tiny corpora): the customary D
        else:
            y = n_r[0] / (n_r[0] + 2 * n_r[1])
        if not self.options["modified"] or min(n_r) == 0:
            # One discount for all counts (Ney, Essen and Kneser's estimate Y); also the
            # fallback when some n_r = 0 would make a D_r meaningless (e.g. D_2 = 2).
            return np.array([0.0, y, y, y])
        d = [r - (r + 1) * y * n_r[r] / n_r[r - 1] for r in (1, 2, 3)]
        return np.array([0.0] + [float(np.clip(dr, 0.0, r)) for r, dr in zip((1, 2, 3), d)])

    def _tune_lambdas(self, contexts, targets, iterations: int = 200, tol: float = 1e-7):
        """EM for the per-order interpolation weights on held-out n-grams.

        Each prediction walks down from the longest seen context and stops at level ``k``
        with probability :math:`\\lambda_k`. E-step: the posterior of each level given the
        actual word. M-step: :math:`\\lambda_k` = expected stops at ``k`` / expected visits.
        """
        comps = self._components(contexts, targets)        # (N, n+1); NaN = context unseen
        available = ~np.isnan(comps)
        comps = np.nan_to_num(comps)
        lam = np.full(self.order + 1, 0.5)
        lam[0] = 1.0                                       # the uniform level always stops
        previous = -np.inf
        for _ in range(iterations):
            weights = np.zeros_like(comps)
            remaining = np.ones(len(targets))
            for k in range(self.order, -1, -1):
                a = available[:, k]
                weights[a, k] = remaining[a] * lam[k]
                remaining[a] *= 1 - lam[k]
            joint = weights * comps
            p = joint.sum(axis=1)
            loglik = np.log(p).mean()
            post = joint / p[:, None]
            visits = np.cumsum(post, axis=1)               # reached level k = stopped at <= k
            for k in range(1, self.order + 1):
                a = available[:, k]
                if visits[a, k].sum() > 0:
                    lam[k] = post[a, k].sum() / visits[a, k].sum()
            if loglik - previous < tol:
                break
            previous = loglik
        return lam[1:]

    def _components(self, contexts, targets):
        """MLE of every order for each prediction: column k is P_MLE(w | last k-1 words)."""
        N = len(targets)
        out = np.full((N, self.order + 1), np.nan)
        out[:, 0] = 1.0 / len(self.outcomes)
        for k, cid, alive in self._walk(contexts):
            total = self._totals[k][cid]
            seen = alive & (total > 0)
            raw = self._ngram_values(k, cid, targets, "raw")
            out[seen, k] = raw[seen] / total[seen]
        return out

    # ------------------------------------------------------------------ scoring
    def _check_fitted(self):
        if not self._fitted:
            raise RuntimeError("this model has not been fitted yet: call .fit(sentences) first")

    def _walk(self, contexts):
        """Yield ``(k, context_id, found)`` for orders 1..n, the context growing leftwards."""
        n, V = self.order, self._V
        cid = np.zeros(len(contexts), np.int64)
        found = np.ones(len(contexts), bool)
        for k in range(1, n + 1):
            if k > 1:
                pos, hit = _lookup(self._context_keys[k - 1], cid * V + contexts[:, n - k])
                found &= hit
                cid = np.where(found, pos, 0)
            yield k, cid, found

    def _ngram_values(self, k, cid, targets, kind):
        """Counts of the order-``k`` n-grams (context ``cid``, word ``targets``); 0 if unseen."""
        table = self._tables[k]
        keys, values = table.keys, getattr(table, kind)
        if len(cid) > 1 and cid[0] == cid[-1] and np.all(cid == cid[0]):
            # One context for many words (a whole distribution): its n-grams are a contiguous
            # slice of the sorted keys, so search that slice only.
            lo, hi = np.searchsorted(keys, [cid[0] * self._V, (cid[0] + 1) * self._V])
            keys, values = keys[lo:hi], values[lo:hi]
            if hi == lo:
                return np.zeros(len(targets))
            cid = cid[:1]
        pos, hit = _lookup(keys, cid * self._V + targets)
        return np.where(hit, values[pos], 0.0)

    def _probs(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """P(target | context) for arrays of ids: contexts ``(N, n-1)``, targets ``(N,)``."""
        n = self.order
        p = np.full(len(targets), 1.0 / len(self.outcomes))   # order 0: uniform
        s = self.smoothing
        for k, cid, found in self._walk(contexts):
            if s == "add_k" and k < n:
                continue
            # One history for many words (a whole distribution) is walked once, then broadcast.
            cid, found = np.broadcast_to(cid, targets.shape), np.broadcast_to(found, targets.shape)
            total = np.where(found, self._totals[k][cid], 0.0)
            if s == "add_k":
                kk = self.options["k"]
                c = np.where(found, self._ngram_values(k, cid, targets, "raw"), 0.0)
                p = (c + kk) / (total + kk * len(self.outcomes))
                continue
            use = total > 0
            c = self._ngram_values(k, cid[use], targets[use], "cont" if s == "kneser_ney" else "raw")
            t = total[use]
            if s == "mle":            # c(h w) / c(h); an unseen history keeps a shorter one's
                p[use] = c / t
            elif s == "interpolated":   # lambda P_MLE(w | h) + (1 - lambda) P(w | h')
                lam = self.lambdas[k - 1]
                p[use] = lam * c / t + (1 - lam) * p[use]
            else:                       # max(c - D, 0) / c(h) + gamma(h) P(w | h')
                d = self.discounts[k][np.minimum(c, 3).astype(int)]
                p[use] = np.maximum(c - d, 0.0) / t + self._gammas[k][cid[use]] * p[use]
        # <s> is never an outcome.
        return np.where(targets == self._bos, 0.0, p)

    def _encode_query(self, word, context):
        self._check_fitted()
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__} {word!r}")
        if word == BOS:
            raise ValueError(f"{BOS} is never predicted: it only marks the start of a context")
        if isinstance(context, str):
            raise TypeError("context must be a sequence of tokens, got a str; "
                            f"e.g. {tuple(context.split())!r}")
        context = tuple(context)
        if len(context) != self.order - 1:
            raise ValueError(f"an order-{self.order} model needs a context of exactly "
                             f"{self.order - 1} tokens, got {len(context)}: {context!r} "
                             f"(pad the start of a sentence with {BOS!r})")
        for t in context:
            if not isinstance(t, str):
                raise TypeError(f"context tokens must be str, got {type(t).__name__} {t!r}")
        ids = np.array([[self.vocab.id_of(t) for t in context]], dtype=np.int64).reshape(1, -1)
        return ids, np.array([self.vocab.id_of(word)], dtype=np.int64)

    def prob(self, word: str, context=()) -> float:
        """:math:`P(w \\mid h)`; ``context`` holds exactly ``order - 1`` tokens, OOVs are ``<unk>``."""
        return float(self._probs(*self._encode_query(word, context))[0])

    def logprob(self, word: str, context=()) -> float:
        """Natural log of :meth:`prob`; ``-inf`` for probability 0."""
        p = self.prob(word, context)
        return math.log(p) if p > 0 else -math.inf

    def distribution(self, context=()) -> np.ndarray:
        """Probabilities of every token in :attr:`outcomes` after ``context``; they sum to 1."""
        ids, _ = self._encode_query(EOS, context)
        return self._probs(ids, self._outcome_ids)

    def evaluate(self, sentences) -> Evaluation:
        """Score tokenized sentences: perplexity, cross-entropy, token and OOV counts.

        .. math:: \\mathrm{PP} = \\exp\\Big(-\\frac{1}{N}\\sum_{i=1}^{N} \\ln P(w_i \\mid h_i)\\Big)

        over all :math:`N` predictions, one ``</s>`` per sentence included. A probability of
        zero makes the perplexity ``inf``; ``n_zero`` says how many tokens did that.
        """
        self._check_fitted()
        sentences = _check_sequences(sentences, name="sentences")
        if not sentences:
            raise ValueError("cannot evaluate on an empty list of sentences")
        contexts, targets, n_oov = self._encode(sentences)
        p = self._probs(contexts, targets)
        n_zero = int(np.count_nonzero(p == 0))
        with np.errstate(divide="ignore"):
            ce = float(-np.log(p).mean())
        return Evaluation(math.exp(ce) if n_zero == 0 else math.inf, ce, len(targets), n_oov, n_zero)

    def perplexity(self, sentences) -> float:
        """Perplexity on tokenized sentences (see :meth:`evaluate`)."""
        return self.evaluate(sentences).perplexity

    def score_ids(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`prob` on token ids: contexts ``(N, n-1)``, targets ``(N,)``."""
        self._check_fitted()
        contexts = np.asarray(contexts, dtype=np.int64).reshape(len(targets), self.order - 1)
        return self._probs(contexts, np.asarray(targets, dtype=np.int64))

    def encode(self, sentences):
        """Token ids of every prediction in ``sentences``: ``(contexts (N, n-1), targets (N,))``."""
        self._check_fitted()
        contexts, targets, _ = self._encode(_check_sequences(sentences, name="sentences"))
        return contexts, targets

    # ------------------------------------------------------------------ generation and size
    def generate(self, rng: np.random.Generator, max_tokens: int = 30, context=()) -> list[str]:
        """Sample a sentence, token by token, until ``</s>`` or ``max_tokens`` tokens.

        ``context`` (optional) is the start of the sentence; it is padded with ``<s>``.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
                            f"got {type(rng).__name__}")
        self._check_fitted()
        history = [BOS] * (self.order - 1) + list(context)
        out = []
        for _ in range(max_tokens):
            ctx = history[len(history) - (self.order - 1):] if self.order > 1 else []
            p = self.distribution(ctx)
            token = self.outcomes[rng.choice(len(p), p=p / p.sum())]
            if token == EOS:
                break
            out.append(token)
            history.append(token)
        return out

    def counts_ids(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Training counts :math:`c(h w)` of n-grams given as ids; 0 for one never seen.

        ``contexts`` is ``(N, m)`` with ``m <= order - 1``: the last ``m`` columns of
        :meth:`encode`'s contexts give the counts of the ``(m+1)``-grams, so one model of
        order ``n`` answers for every order up to ``n``.
        """
        self._check_fitted()
        targets = np.asarray(targets, dtype=np.int64)
        contexts = np.asarray(contexts, dtype=np.int64).reshape(len(targets), -1)
        k = contexts.shape[1] + 1
        if k > self.order:
            raise ValueError(f"an order-{self.order} model counts n-grams of up to {self.order} "
                             f"tokens; got contexts of {k - 1} tokens")
        # Columns the walk never reaches before order k; -1 matches no id.
        padded = np.concatenate([np.full((len(targets), self.order - k), -1), contexts], axis=1)
        for order, cid, found in self._walk(padded):
            if order == k:
                counts = self._ngram_values(k, cid, targets, "raw")
                return np.where(found, counts, 0.0).astype(np.int64)
        raise AssertionError("unreachable")

    def count(self, ngram) -> int:
        """How often the tokens ``ngram`` (1 to ``order`` of them) occurred in training."""
        self._check_fitted()
        ngram = tuple(ngram)
        if not 1 <= len(ngram) <= self.order:
            raise ValueError(f"ngram must have 1 to {self.order} tokens, got {len(ngram)}")
        ids = np.array([[self.vocab.id_of(t) for t in ngram]], dtype=np.int64)
        return int(self.counts_ids(ids[:, :-1], ids[:, -1])[0])

    def num_ngrams(self) -> dict[int, int]:
        """Distinct n-grams of each order seen in training."""
        self._check_fitted()
        return {k: len(self._tables[k].keys) for k in range(1, self.order + 1)}

    def counts_of_counts(self, order: int, up_to: int = 4) -> list[int]:
        r""":math:`n_1, \dots, n_{\text{up\_to}}`: how many n-grams of ``order`` have each count.

        The counts are those the smoothing uses: for Kneser–Ney, continuation counts at every
        order below the top one. These are the :math:`n_r` the modified Kneser–Ney discounts
        of that order are estimated from.
        """
        self._check_fitted()
        if not isinstance(order, (int, np.integer)) or not 1 <= order <= self.order:
            raise ValueError(f"order must be an int from 1 to {self.order}, got {order!r}")
        up_to = positive_int(up_to, "up_to")
        table = self._tables[order]
        values = table.cont if self.smoothing == "kneser_ney" else table.raw
        return [int(np.count_nonzero(values == r)) for r in range(1, up_to + 1)]

    @property
    def nbytes(self) -> int:
        """Memory held by the model's count arrays, in bytes."""
        self._check_fitted()
        arrays = [a for t in self._tables[1:] for a in t] + self._context_keys
        arrays += [a for a in self._totals[1:] + self._gammas[1:] if a is not None]
        return int(sum(a.nbytes for a in arrays))
