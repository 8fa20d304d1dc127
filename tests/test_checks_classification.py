"""The assignment's checkers pass a correct solution and name the mistake in wrong ones."""

import math
from collections import Counter

import numpy as np
import pytest

from rnnlib import checks


def not_written(*args):
    raise NotImplementedError()


def _passes(checker, fn, capsys):
    checker(fn)
    out = capsys.readouterr().out
    assert out.startswith("All checks passed") and out.count("\n") == 1


# ---------------------------------------------------------------- build_vocab
def _vocab(token_lists, min_count, cmp=lambda c, m: c >= m, per_list=False, order="count",
           specials=("<pad>", "<unk>")):
    counts = Counter(t for s in token_lists for t in (set(s) if per_list else s))
    words = [w for w, c in counts.items() if cmp(c, min_count)]
    if order == "count":
        words.sort(key=lambda w: (-counts[w], w))
    elif order == "alpha":
        words.sort()
    return {t: i for i, t in enumerate(list(specials) + words)}


def test_build_vocab_accepts_correct(capsys):
    _passes(checks.check_build_vocab, _vocab, capsys)


@pytest.mark.parametrize("wrong, message", [
    (lambda s, m: _vocab(s, m, cmp=lambda c, k: c > k), r"at least\* min_count times \(>=, not >\)"),
    (lambda s, m: _vocab(s, m, per_list=True), "in how many token lists a word appears"),
    (lambda s, m: _vocab(s, m, order="first"), "order in which tokens first appear"),
    (lambda s, m: _vocab(s, m, order="alpha"), "wrong order"),
    (lambda s, m: _vocab(s, m, specials=("<unk>", "<pad>")), "'<pad>' must have id 0"),
    (lambda s, m: _vocab(s, 1), "fewer than min_count"),
    (lambda s, m: sorted(_vocab(s, m)), "should return a dict"),
])
def test_build_vocab_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_build_vocab(wrong)


# ---------------------------------------------------------------- max_length
def max_length(token_lists, coverage=1.0):
    lengths = sorted(len(s) for s in token_lists)
    return lengths[max(math.ceil(coverage * len(lengths) - 1e-9), 1) - 1]


def test_max_length_accepts_correct(capsys):
    _passes(checks.check_max_length, max_length, capsys)


@pytest.mark.parametrize("wrong, message", [
    (lambda s, c: max(len(x) for x in s), "returned the length of the longest list"),
    (lambda s, c: np.percentile([len(x) for x in s], 100 * c), "should return an int"),
    (lambda s, c: max(len(" ".join(x)) for x in s), "characters"),
    (lambda s, c: int(np.percentile([len(x) for x in s], 100 * c, method="lower")), "only"),
    (lambda s, c: int(np.percentile([len(x) for x in s], 100 * c)), "not the smallest|only"),
    (lambda s, c: max_length(s, c) + 1, "not the smallest"),
])
def test_max_length_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_max_length(wrong)


# ---------------------------------------------------------------- pad_truncate
def pad_truncate(id_lists, max_len, pad_id):
    ids = np.full((len(id_lists), max_len), pad_id, dtype=np.int64)
    mask = np.zeros((len(id_lists), max_len), dtype=bool)
    for i, s in enumerate(id_lists):
        n = min(len(s), max_len)
        ids[i, :n] = s[:n]
        mask[i, :n] = True
    return ids, mask


def _left(id_lists, max_len, pad_id):
    ids, mask = pad_truncate([s[:max_len][::-1] for s in id_lists], max_len, pad_id)
    return ids[:, ::-1].copy(), mask[:, ::-1].copy()


def _appends(id_lists, max_len, pad_id):
    for s in id_lists:
        s.extend([pad_id] * (max_len - len(s)))
    return pad_truncate([s[:max_len] for s in id_lists], max_len, pad_id)


@pytest.mark.parametrize("wrong, message", [
    (lambda s, m, p: (pad_truncate(s, m, p)[0], ~pad_truncate(s, m, p)[1]), "wrong way round"),
    (lambda s, m, p: pad_truncate(s, m, 0), "use|fill with the pad_id argument"),
    (_left, "padding is at the front"),
    (lambda s, m, p: pad_truncate([x[-m:] for x in s], m, p), "keeps its last tokens"),
    (lambda s, m, p: pad_truncate(s, max(map(len, s)), p), "exactly max_len"),
    (lambda s, m, p: (pad_truncate(s, m, p)[0].astype(float), pad_truncate(s, m, p)[1]), "integers"),
    (_appends, "changed the lists"),
    (lambda s, m, p: pad_truncate(s, m, p)[0], r"tuple \(ids, mask\)"),
])
def test_pad_truncate_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_pad_truncate(wrong)


def test_pad_truncate_accepts_correct(capsys):
    _passes(checks.check_pad_truncate, pad_truncate, capsys)


# ---------------------------------------------------------------- relu
def _in_place(z):
    z[z < 0] = 0
    return z


@pytest.mark.parametrize("wrong, message", [
    (lambda z: np.max(z, 0), "np.maximum"),
    (_in_place, "in place"),
    (lambda z: z > 0, "booleans"),
    (np.abs, "absolute value"),
    (lambda z: (z > 0).astype(float), "derivative"),
    (lambda z: np.maximum(z, 0.01 * z), "negative values"),
])
def test_relu_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_relu(wrong)


def test_relu_accepts_correct(capsys):
    _passes(checks.check_relu, lambda z: np.maximum(z, 0), capsys)


# ---------------------------------------------------------------- dense_forward
@pytest.mark.parametrize("wrong, message", [
    (lambda x, W, b: x @ W + b, r"you used W where W.T is needed"),
    (lambda x, W, b: W @ x.T + b[:, None], "one column per example"),
    (lambda x, W, b: x @ W.T, "bias is missing"),
    (lambda x, W, b: np.maximum(x @ W.T + b, 0), "without an activation"),
    (lambda x, W, b: x @ W.T - b, "wrong values"),
])
def test_dense_forward_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_dense_forward(wrong)


def test_dense_forward_transposed_on_non_square_gets_a_hint():
    def only_non_square(x, W, b):     # a transposed W that fails on a non-square matrix
        return x @ W + b if W.shape[0] != W.shape[1] else x @ W.T + b
    with pytest.raises(AssertionError, match=r"raised ValueError.*weights are \(n_out, n_in\)"):
        checks.check_dense_forward(only_non_square)


def test_dense_forward_accepts_correct(capsys):
    _passes(checks.check_dense_forward, lambda x, W, b: x @ W.T + b, capsys)


# ---------------------------------------------------------------- mean_pool
def mean_pool(x, mask):
    m = mask[:, :, None]
    return (x * m).sum(axis=1) / m.sum(axis=1)


@pytest.mark.parametrize("wrong, message", [
    (lambda x, m: x.mean(axis=1), "padding is counted in the mean"),
    (lambda x, m: (x * m[:, :, None]).sum(axis=1) / x.shape[1], "divided by the full length"),
    (lambda x, m: (x * m[:, :, None]).sum(axis=1), "did not divide"),
    (lambda x, m: (x * m[:, :, None]).sum(axis=1) / m.sum(), "whole batch"),
    (lambda x, m: x.mean(axis=0), "over the batch"),
])
def test_mean_pool_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_mean_pool(wrong)


def test_mean_pool_accepts_correct(capsys):
    _passes(checks.check_mean_pool, mean_pool, capsys)


# ---------------------------------------------------------------- classifier_forward
def _sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def _forward(params, ids, mask, pool=mean_pool, relu=True, transpose=True, sigmoid=True, column=False):
    u = pool(params["embed"]["E"][ids], mask)
    W1 = params["dense1"]["W"]
    z1 = u @ (W1.T if transpose else W1) + params["dense1"]["b"]
    h = np.maximum(z1, 0) if relu else z1
    z = h @ params["dense2"]["W"].T + params["dense2"]["b"]
    p = _sigmoid(z) if sigmoid else z
    return p if column else p[:, 0]


def test_classifier_forward_accepts_correct(capsys):
    _passes(checks.check_classifier_forward, _forward, capsys)


@pytest.mark.parametrize("wrong, message", [
    (lambda p, i, m: _forward(p, i, m, pool=lambda x, mask: x.mean(axis=1)), "padding is counted"),
    (lambda p, i, m: _forward(p, i, m, relu=False), "ReLU .* is missing"),
    (lambda p, i, m: _forward(p, i, m, transpose=False), "uses W instead of W.T|weights are"),
    (lambda p, i, m: _forward(p, i, m, sigmoid=False), "returned the logits"),
    (lambda p, i, m: _forward(p, i, m, column=True), r"shape \(batch,\)"),
    (lambda p, i, m: _forward(p, i, m, pool=lambda x, mask: (x * mask[:, :, None]).sum(1)), "sum"),
    (lambda p, i, m: 1 - _forward(p, i, m), "class 0"),
])
def test_classifier_forward_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_classifier_forward(wrong)


# ---------------------------------------------------------------- train_epoch
def train_epoch(params, loss_and_grads, ids, mask, y, optimizer, batch_size, rng,
                shuffle="rng", drop_last=False, step=True, whole=False, return_losses=True):
    n = len(ids)
    if shuffle == "rng":
        order = rng.permutation(n)
    elif shuffle == "global":
        order = np.random.permutation(n)
    elif shuffle == "fixed":
        order = np.random.default_rng(0).permutation(n)
    else:
        order = np.arange(n)
    size = n if whole else batch_size
    stop = n - size + 1 if drop_last else n
    losses = []
    for start in range(0, stop, size):
        b = order[start:start + size]
        loss, grads = loss_and_grads(params, ids[b], mask[b], y[b])
        if step:
            optimizer.step(params, grads)
        losses.append(loss)
    return losses if return_losses else None


def test_train_epoch_accepts_correct(capsys):
    _passes(checks.check_train_epoch, train_epoch, capsys)


@pytest.mark.parametrize("options, message", [
    (dict(shuffle="none"), "stored order"),
    (dict(shuffle="fixed"), "same order every epoch"),
    (dict(shuffle="global"), "not np.random"),
    (dict(drop_last=True), "last, smaller batch is missing"),
    (dict(step=False), "optimizer.step"),
    (dict(whole=True), "whole data set at once"),
    (dict(return_losses=False), "returned None"),
])
def test_train_epoch_names_mistakes(options, message):
    def wrong(*args):
        return train_epoch(*args, **options)
    with pytest.raises(AssertionError, match=message):
        checks.check_train_epoch(wrong)


def test_train_epoch_with_mismatched_labels_does_not_learn():
    def shuffled_labels(params, loss_and_grads, ids, mask, y, optimizer, batch_size, rng):
        order = rng.permutation(len(ids))
        losses = []
        for start in range(0, len(ids), batch_size):
            b = order[start:start + batch_size]
            loss, grads = loss_and_grads(params, ids[b], mask[b], y[start:start + len(b)])  # bug
            optimizer.step(params, grads)
            losses.append(loss)
        return losses
    with pytest.raises(AssertionError, match="belong together|does not lower the loss"):
        checks.check_train_epoch(shuffled_labels)


# ---------------------------------------------------------------- evaluate
def evaluate(probs, labels):
    pred = (probs > 0.5).astype(int)
    confusion = np.zeros((2, 2), dtype=int)
    np.add.at(confusion, (labels, pred), 1)
    return float(np.mean(pred == labels)), confusion


def test_evaluate_accepts_correct(capsys):
    _passes(checks.check_evaluate, evaluate, capsys)


@pytest.mark.parametrize("wrong, message", [
    (lambda p, y: (evaluate(p, y)[0], evaluate(p, y)[1].T), "transposed"),
    (lambda p, y: (100 * evaluate(p, y)[0], evaluate(p, y)[1]), "not a percentage"),
    (lambda p, y: evaluate(1 - p, y), "threshold is the wrong way round"),
    (lambda p, y: (evaluate(p, y)[0], evaluate(p, y)[1] / len(p)), "counts of examples"),
    (lambda p, y: evaluate(p, y)[1], r"tuple \(accuracy, confusion\)"),
    (lambda p, y: (evaluate(p, y)[0], evaluate(p, y)[1][::-1, ::-1]), "wrong way round"),
])
def test_evaluate_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_evaluate(wrong)


# ---------------------------------------------------------------- not written yet
@pytest.mark.parametrize("checker", [
    checks.check_build_vocab, checks.check_max_length, checks.check_pad_truncate,
    checks.check_relu, checks.check_dense_forward, checks.check_mean_pool,
    checks.check_classifier_forward, checks.check_train_epoch, checks.check_evaluate,
])
def test_unwritten_exercise_gets_a_message(checker):
    with pytest.raises(AssertionError, match="not implemented yet"):
        checker(not_written)
