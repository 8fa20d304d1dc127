"""Checkers of the perplexity chapter and lab: right solutions pass, wrong ones are named."""

import math

import numpy as np
import pytest

from rnnlib import checks


def not_written(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- masked perplexity
def good_masked(token_lp, mask):
    return float(np.exp(-token_lp[mask].mean()))


def masked_padding_counted(token_lp, mask):
    return float(np.exp(-np.where(mask, token_lp, 0).mean()))


def masked_mean_of_sequences(token_lp, mask):
    return float(np.mean([np.exp(-row[m].mean()) for row, m in zip(token_lp, mask)]))


def masked_multiply(token_lp, mask):
    return float(np.exp(-(token_lp * mask).sum() / mask.sum()))


def masked_no_exp(token_lp, mask):
    return float(-token_lp[mask].mean())


def test_masked_perplexity_checker(capsys):
    checks.check_masked_perplexity(good_masked)
    assert capsys.readouterr().out.count("All checks passed") == 1


@pytest.mark.parametrize("wrong, message", [
    (masked_padding_counted, "padding included"),
    (masked_mean_of_sequences, "mean of the per-sequence perplexities"),
    (masked_multiply, "NaN \\* 0 is NaN"),
    (masked_no_exp, "cross-entropy"),
    (lambda lp, m: float(np.exp(-lp[m].sum())), "summed"),
    (lambda lp, m: float(2 ** -lp[m].mean()), "log2"),
    (not_written, "not implemented"),
])
def test_masked_perplexity_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_masked_perplexity(wrong)


def test_masked_perplexity_checker_reuses_the_flat_checks():
    # Right on padded batches, wrong on the flat cases only: the message comes from
    # check_perplexity, with the context of the adapter.
    def wrong_on_long(token_lp, mask):
        value = float(np.exp(-token_lp[mask].mean()))
        return value + 1 if mask.size > 1000 else value

    with pytest.raises(AssertionError, match="one sequence without padding"):
        checks.check_masked_perplexity(wrong_on_long)


# ---------------------------------------------------------------- log-perplexity of a batch
def good_log_ppl(log_probs, targets, mask):
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    return float(-picked[mask].mean())


def log_ppl_wrong_axis(log_probs, targets, mask):
    picked = np.take_along_axis(log_probs, targets[..., None], axis=1)[..., 0]
    return float(-picked[mask].mean())


def log_ppl_padding(log_probs, targets, mask):
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    return float(-picked.mean())


def log_ppl_per_sequence(log_probs, targets, mask):
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    return float(np.log(np.mean([np.exp(-p[m].mean()) for p, m in zip(picked, mask)])))


def log_ppl_every_target(log_probs, targets, mask):
    return float(-log_probs[:, :, targets].mean())


def test_log_perplexity_checker(capsys):
    checks.check_log_perplexity(good_log_ppl)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (log_ppl_wrong_axis, "wrong axis"),
    (log_ppl_padding, "padding included"),
    (log_ppl_per_sequence, "per-sequence perplexities"),
    (log_ppl_every_target, "every target at every position"),
    (lambda lp, y, m: math.exp(good_log_ppl(lp, y, m)), "returned the perplexity"),
    (lambda lp, y, m: good_log_ppl(lp, y, m) / math.log(2), "bits"),
    (not_written, "not implemented"),
])
def test_log_perplexity_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_log_perplexity(wrong)


# ---------------------------------------------------------------- a model's perplexity
def _batches(lm, sentences, batch_size):
    for i in range(0, len(sentences), batch_size):
        batch = sentences[i:i + batch_size]
        contexts, targets = lm.encode(batch)
        lengths = [len(s) + 1 for s in batch]
        yield np.log(lm.score_ids(contexts, targets)), lengths


def good_model(lm, sentences, batch_size):
    nats, count = 0.0, 0
    for lp, lengths in _batches(lm, sentences, batch_size):
        nats -= lp.sum()
        count += len(lp)
    return math.exp(nats / count)


def model_jensen(lm, sentences, batch_size):
    return float(np.mean([np.exp(-lp.mean()) for lp, _ in _batches(lm, sentences, batch_size)]))


def model_unweighted(lm, sentences, batch_size):
    return float(np.exp(np.mean([-lp.mean() for lp, _ in _batches(lm, sentences, batch_size)])))


def model_per_sentence(lm, sentences, batch_size):
    ppls = []
    for lp, lengths in _batches(lm, sentences, batch_size):
        ppls += [np.exp(-part.mean()) for part in np.split(lp, np.cumsum(lengths)[:-1])]
    return float(np.mean(ppls))


def model_words_only(lm, sentences, batch_size):
    nats = -sum(lp.sum() for lp, _ in _batches(lm, sentences, batch_size))
    return math.exp(nats / sum(len(s) for s in sentences))


def model_padding(lm, sentences, batch_size):
    nats, count = 0.0, 0
    for lp, lengths in _batches(lm, sentences, batch_size):
        nats -= lp.sum()
        count += len(lengths) * max(lengths)
    return math.exp(nats / count)


def test_model_perplexity_checker(capsys):
    checks.check_model_perplexity(good_model)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (model_jensen, "Jensen"),
    (model_unweighted, "without weighting"),
    (model_per_sentence, "per-sentence perplexities"),
    (model_words_only, "</s>"),
    (model_padding, "padding"),
    (not_written, "not implemented"),
])
def test_model_perplexity_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_model_perplexity(wrong)


# ---------------------------------------------------------------- rescaling
def good_rescale(ppl, n_from, n_to):
    return math.exp(math.log(ppl) * n_from / n_to)


def test_rescale_checker(capsys):
    checks.check_rescale_perplexity(good_rescale)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda p, a, b: p ** (b / a), "upside down"),
    (lambda p, a, b: p * a / b, "linearly"),
    (lambda p, a, b: math.log(p) * a / b, "log of the answer"),
    (lambda p, a, b: 2 ** (math.log(p) * a / b), "log2"),
    (not_written, "not implemented"),
])
def test_rescale_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_rescale_perplexity(wrong)
