"""Hidden checks of the practice assignment (comedy or tragedy?). See README.md for the format."""
from collections import Counter

import numpy as np

PAD, UNK = "<pad>", "<unk>"
RNNLIB_EQUIVALENTS = {"relu": ["relu"], "sigmoid": ["sigmoid"], "dense_forward": ["dense_forward"],
                      "mean_pool": ["mean_pool_forward"], "evaluate": ["accuracy", "confusion_matrix"]}
WORDS = [f"w{i}" for i in range(12)]


def close(got, expected, rtol=1e-6, atol=1e-8):
    got = np.asarray(got, dtype=float)
    assert got.shape == np.shape(expected), "wrong shape"
    assert np.allclose(got, expected, rtol=rtol, atol=atol), "wrong values"


def token_lists(rng, n, longest=8):
    return [[str(w) for w in rng.choice(WORDS, size=int(rng.integers(0, longest + 1)))]
            for _ in range(n)]


def ref_vocab(lists, min_count):
    counts = Counter(t for tokens in lists for t in tokens)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return {PAD: 0, UNK: 1, **{w: i + 2 for i, w in enumerate(words)}}


def ref_max_length(lists, coverage):
    lengths = sorted(len(t) for t in lists)
    needed = max(int(np.ceil(coverage * len(lengths) - 1e-9)), 1)
    return int(lengths[needed - 1])


def ref_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def ref_mean_pool(x, mask):
    m = mask[:, :, None]
    return (x * m).sum(axis=1) / m.sum(axis=1)


def random_mask(rng, batch, T, full=False):
    lengths = np.full(batch, T) if full else rng.integers(1, T + 1, size=batch)
    return np.arange(T)[None, :] < lengths[:, None]


def classifier_params(rng, vocab, n_x, n_h):
    return {"embed": {"E": rng.normal(size=(vocab, n_x))},
            "dense1": {"W": rng.normal(size=(n_h, n_x)), "b": rng.normal(size=n_h)},
            "dense2": {"W": rng.normal(size=(1, n_h)), "b": rng.normal(size=1)}}


def ref_classifier(params, ids, mask):
    u = ref_mean_pool(params["embed"]["E"][ids], mask)
    a = np.maximum(u @ params["dense1"]["W"].T + params["dense1"]["b"], 0)
    z = a @ params["dense2"]["W"].T + params["dense2"]["b"]
    return ref_sigmoid(z[:, 0])


class LossAndGrads:
    """The grader's loss_and_grads: records each batch, returns a distinct loss each time."""

    def __init__(self, rng):
        self.batches, self.losses, self.rng, self.consistent = [], [], rng, True

    def __call__(self, params, ids_b, mask_b, y_b):
        ids_b, mask_b, y_b = np.asarray(ids_b), np.asarray(mask_b), np.asarray(y_b)
        rows = [int(r) - 1 for r in ids_b[:, 0]]
        self.consistent &= bool(np.array_equal(y_b, np.array(rows) % 2)) and \
            bool(np.array_equal(mask_b[:, 0], np.ones(len(rows), bool)))
        self.batches.append(rows)
        loss = float(self.rng.uniform(0.1, 2.0))
        self.losses.append(loss)
        return loss, {"w": np.ones_like(params["w"])}


class Optimizer:
    """The grader's optimizer: counts its steps and changes the parameters."""

    def __init__(self):
        self.steps = 0

    def step(self, params, grads):
        self.steps += 1
        params["w"] -= 0.1 * np.asarray(grads["w"])


def epoch_data(n, T=4):
    ids = np.zeros((n, T), dtype=np.int64)
    ids[:, 0] = np.arange(1, n + 1)
    mask = np.zeros((n, T), dtype=bool)
    mask[:, 0] = True
    return ids, mask, np.arange(n) % 2


def check_epoch(n, batch_size, seed):
    ids, mask, y = epoch_data(n)
    params = {"w": np.zeros(3)}
    record, optimizer = LossAndGrads(np.random.default_rng(seed)), Optimizer()
    losses = train_epoch(params, record, ids, mask, y, optimizer, batch_size,
                         np.random.default_rng(seed))
    assert record.consistent, "ids, mask and y of a batch do not belong together"
    sizes = [len(b) for b in record.batches]
    assert sorted(i for b in record.batches for i in b) == list(range(n)), "not every example once"
    assert max(sizes) <= batch_size and len(sizes) == -(-n // batch_size), "wrong batches"
    assert optimizer.steps == len(sizes), "one optimizer step per batch"
    assert [float(v) for v in losses] == record.losses, "the returned losses"
    assert np.allclose(params["w"], -0.1 * len(sizes)), "the parameters were not updated in place"
    return [i for b in record.batches for i in b]


# %% case build_vocab: random lists, min_count 2
# feedback: specials first, then the tokens seen at least min_count times, most frequent first, ties alphabetical
lists = token_lists(rng, 12)
assert dict(build_vocab([list(t) for t in lists], 2)) == ref_vocab(lists, 2)

# %% case build_vocab: min_count 1, with empty lists
# feedback: build_vocab must cope with empty token lists and keep every token at min_count=1
lists = token_lists(rng, 9) + [[]]
assert dict(build_vocab([list(t) for t in lists], 1)) == ref_vocab(lists, 1)

# %% case build_vocab: a high min_count
# feedback: a token needs at least min_count occurrences (>=, not >)
lists = token_lists(rng, 20)
counts = Counter(t for tokens in lists for t in tokens)
k = sorted(counts.values())[len(counts) // 2]
assert dict(build_vocab([list(t) for t in lists], k)) == ref_vocab(lists, k)

# %% case max_length: coverage 1
# feedback: with coverage 1.0 every list must fit: the longest length
lists = token_lists(rng, 11, 15)
assert int(max_length([list(t) for t in lists], 1.0)) == ref_max_length(lists, 1.0)

# %% case max_length: partial coverage
# feedback: the smallest T such that at least the given share of the lists have at most T tokens
lists = token_lists(rng, 17, 20)
c = float(rng.choice([0.5, 0.75, 0.9]))
assert int(max_length([list(t) for t in lists], c)) == ref_max_length(lists, c)

# %% case max_length: one list
# feedback: max_length must work for a single token list
lists = token_lists(rng, 1, 9)
assert int(max_length([list(t) for t in lists], 0.5)) == ref_max_length(lists, 0.5)

# %% case pad_truncate: an empty sequence (an all-padding row)
# feedback: an empty list gives a row of pad_id and a mask row of False
seqs = [list(map(int, rng.integers(2, 9, size=int(rng.integers(1, 8))))) for _ in range(3)] + [[]]
ids, mask = pad_truncate([list(s) for s in seqs], 5, 0)
ids, mask = np.asarray(ids), np.asarray(mask)
assert ids.shape == (4, 5) and mask.shape == (4, 5), "wrong shape"
for row, s in enumerate(seqs):
    n = min(len(s), 5)
    assert list(ids[row, :n]) == s[:n] and all(ids[row, n:] == 0), "wrong ids"
    assert mask[row].tolist() == [True] * n + [False] * (5 - n), "wrong mask"

# %% case pad_truncate: a nonzero pad_id
# feedback: pad with the pad_id argument, not a fixed 0
seqs = [list(map(int, rng.integers(2, 9, size=int(rng.integers(0, 6))))) for _ in range(5)]
ids, mask = pad_truncate([list(s) for s in seqs], 4, 7)
ids = np.asarray(ids)
for row, s in enumerate(seqs):
    n = min(len(s), 4)
    assert list(ids[row]) == s[:n] + [7] * (4 - n), "wrong ids"

# %% case pad_truncate: one sequence, truncated
# feedback: keep the first max_len tokens of a longer list
s = list(map(int, rng.integers(1, 50, size=9)))
ids, mask = pad_truncate([list(s)], 3, 0)
assert np.asarray(ids).tolist() == [s[:3]] and np.asarray(mask).all(), "wrong truncation"

# %% case relu: odd shape
# feedback: relu is max(0, z) element-wise, for arrays of any shape
z = rng.normal(size=(3, 5, 2))
close(relu(z.copy()), np.maximum(z, 0))

# %% case relu: float32
# feedback: relu must work on float32 arrays
z = rng.normal(size=(4, 3)).astype(np.float32)
close(relu(z.copy()), np.maximum(z, 0))

# %% case relu: a 1-D array with zeros
# feedback: relu(0) is 0
z = np.concatenate([rng.normal(size=5), [0.0, -0.0]])
close(relu(z.copy()), np.maximum(z, 0))

# %% case sigmoid: large logits of both signs
# feedback: sigmoid must not overflow for large negative or positive z
z = rng.choice([-1, 1], size=(2, 7)) * rng.uniform(50, 1000, size=(2, 7))
close(sigmoid(z.copy()), ref_sigmoid(z))

# %% case sigmoid: float32, odd shape
# feedback: sigmoid must work on float32 arrays of any shape
z = rng.normal(scale=4, size=(3, 1, 5)).astype(np.float32)
close(sigmoid(z.copy()), ref_sigmoid(z), rtol=1e-5, atol=1e-6)

# %% case sigmoid: a 1-D array
# feedback: sigmoid must work on a 1-D array
z = rng.normal(scale=10, size=9)
close(sigmoid(z.copy()), ref_sigmoid(z))

# %% case dense_forward: batch of 1
# feedback: y = x W^T + b, also for a batch of one example
x, W, b = rng.normal(size=(1, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
close(dense_forward(x, W, b), x @ W.T + b)

# %% case dense_forward: odd, non-square sizes
# feedback: W has shape (n_out, n_in): transpose it
n_in, n_out = int(rng.integers(2, 9)), int(rng.integers(2, 9)) + 9
x, W, b = rng.normal(size=(5, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
close(dense_forward(x, W, b), x @ W.T + b)

# %% case dense_forward: float32
# feedback: dense_forward must work on float32 arrays
x, W, b = (rng.normal(size=s).astype(np.float32) for s in [(3, 2), (4, 2), (4,)])
close(dense_forward(x, W, b), x.astype(float) @ W.T.astype(float) + b, rtol=1e-4, atol=1e-5)

# %% case mean_pool: random masks
# feedback: average over the real time steps of each row (mask True), not over all steps
x = rng.normal(size=(4, 6, 3))
mask = random_mask(rng, 4, 6)
close(mean_pool(x, mask), ref_mean_pool(x, mask))

# %% case mean_pool: batch of 1, one real step
# feedback: mean_pool must work for a batch of one and a single real time step
x = rng.normal(size=(1, 5, 2))
mask = np.zeros((1, 5), bool)
mask[0, 0] = True
close(mean_pool(x, mask), ref_mean_pool(x, mask))

# %% case mean_pool: no padding
# feedback: with a full mask mean_pool is the plain mean over time
x = rng.normal(size=(3, 4, 5))
mask = random_mask(rng, 3, 4, full=True)
close(mean_pool(x, mask), ref_mean_pool(x, mask))

# %% case classifier_forward: random parameters
# feedback: embed, mean-pool over real steps, dense1 + relu, dense2, sigmoid: shape (batch,)
p = classifier_params(rng, 11, 4, 5)
ids = rng.integers(0, 11, size=(6, 7))
mask = random_mask(rng, 6, 7)
close(classifier_forward(p, ids, mask), ref_classifier(p, ids, mask))

# %% case classifier_forward: batch of 1
# feedback: classifier_forward returns shape (batch,), also for one example
p = classifier_params(rng, 6, 3, 2)
ids = rng.integers(0, 6, size=(1, 4))
mask = random_mask(rng, 1, 4)
close(classifier_forward(p, ids, mask), ref_classifier(p, ids, mask))

# %% case classifier_forward: padding ids are ignored
# feedback: positions where mask is False must not change the result
p = classifier_params(rng, 8, 3, 3)
ids = rng.integers(0, 8, size=(3, 5))
mask = random_mask(rng, 3, 5)
other = np.where(mask, ids, (ids + 3) % 8)
close(classifier_forward(p, other, mask), ref_classifier(p, ids, mask))

# %% case train_epoch: a last batch that is smaller
# feedback: visit every example once per epoch in batches of at most batch_size, the last smaller one too
check_epoch(int(rng.integers(21, 30)), 5, int(rng.integers(1 << 30)))

# %% case train_epoch: a batch larger than the data
# feedback: with batch_size larger than the data set, one batch holds everything
check_epoch(7, 10, int(rng.integers(1 << 30)))

# %% case train_epoch: shuffled with the given rng
# feedback: shuffle with the rng argument at the start of each epoch (same rng, same order)
seed = int(rng.integers(1 << 30))
first = check_epoch(30, 4, seed)
assert first != list(range(30)), "the examples come in their stored order"
assert check_epoch(30, 4, seed) == first, "the same rng should give the same order"

# %% case evaluate: random predictions
# feedback: predict 1 where the probability is above 0.5; confusion rows are the truth, columns the prediction
probs, labels = rng.uniform(size=15), rng.integers(0, 2, size=15)
acc, conf = evaluate(probs, labels)
pred = (probs > 0.5).astype(int)
expected = np.zeros((2, 2), int)
np.add.at(expected, (labels, pred), 1)
assert abs(float(acc) - float(np.mean(pred == labels))) < 1e-12 and np.array_equal(np.asarray(conf), expected)

# %% case evaluate: a probability of exactly 0.5
# feedback: a probability of exactly 0.5 predicts class 0 (above 0.5 means class 1)
probs, labels = np.array([0.5, 0.5, 0.9]), np.array([0, 1, 1])
acc, conf = evaluate(probs, labels)
assert abs(float(acc) - 2 / 3) < 1e-12 and np.asarray(conf).tolist() == [[1, 0], [1, 1]]

# %% case evaluate: one example
# feedback: evaluate must work for a single prediction
acc, conf = evaluate(np.array([0.2]), np.array([1]))
assert abs(float(acc)) < 1e-12 and np.asarray(conf).tolist() == [[0, 0], [1, 0]]
