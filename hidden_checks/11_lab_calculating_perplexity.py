"""Hidden checks of lab 11.1 (calculating perplexity). See README.md for the format."""
import numpy as np

from rnnlib.ngram import NGramLM
from rnnlib.text import BOS, EOS, UNK, Vocab

RNNLIB_EQUIVALENTS = {}
WORDS = "the a cat dog sat ran on under mat rug and then quickly slowly".split()


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def ref_log_ppl(log_probs, targets, mask):
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    return float(-picked[mask].mean())


def lp_case(rng, batch, T, V, dtype=np.float64):
    log_probs = log_softmax(rng.normal(scale=2, size=(batch, T, V))).astype(dtype)
    targets = rng.integers(0, V, size=(batch, T))
    lengths = rng.integers(1, T + 1, size=batch)
    mask = np.arange(T)[None, :] < lengths[:, None]
    return log_probs, targets, mask


def sentences(rng, n, shortest=1, longest=7):
    return [[str(w) for w in rng.choice(WORDS, size=int(rng.integers(shortest, longest + 1)))]
            for _ in range(n)]


def fitted_lm(rng, order=2):
    train = sentences(rng, 40, 2, 9)
    vocab = Vocab.build(train, specials=(UNK, BOS, EOS))
    return NGramLM(order, "kneser_ney", vocab=vocab).fit(train)


def ref_model_ppl(lm, sents):
    return float(lm.evaluate(sents).perplexity)


# %% case log_perplexity: random lengths, odd sizes
# feedback: average -log p(target) over the real tokens only (mask True), in nats
lp, tg, mask = lp_case(rng, 3, 5, 7)
assert abs(float(log_perplexity(lp, tg, mask)) - ref_log_ppl(lp, tg, mask)) < 1e-9

# %% case log_perplexity: a row of padding only
# feedback: a sequence with no real token contributes nothing: count real tokens over the whole batch
lp, tg, mask = lp_case(rng, 4, 6, 5)
mask[int(rng.integers(0, 4))] = False
assert abs(float(log_perplexity(lp, tg, mask)) - ref_log_ppl(lp, tg, mask)) < 1e-9

# %% case log_perplexity: batch of 1, float32
# feedback: log_perplexity must work for one sequence and for float32 log-probabilities
lp, tg, mask = lp_case(rng, 1, 6, 9, np.float32)
assert abs(float(log_perplexity(lp, tg, mask)) - ref_log_ppl(lp, tg, mask)) < 1e-4

# %% case model_perplexity: a batch size that does not divide the number of sentences
# feedback: sum the negative log-probabilities and count the tokens over all batches, the last smaller one too
lm = fitted_lm(rng)
sents = sentences(rng, 7)
assert abs(float(model_perplexity(lm, sents, 3)) - ref_model_ppl(lm, sents)) < 1e-6 * ref_model_ppl(lm, sents)

# %% case model_perplexity: one sentence per batch
# feedback: with batch_size=1 every sentence is its own batch; weight batches by their tokens
lm = fitted_lm(rng)
sents = sentences(rng, 5)
assert abs(float(model_perplexity(lm, sents, 1)) - ref_model_ppl(lm, sents)) < 1e-6 * ref_model_ppl(lm, sents)

# %% case model_perplexity: a batch larger than the text, a trigram model
# feedback: model_perplexity must work when batch_size exceeds the number of sentences
lm = fitted_lm(rng, order=3)
sents = sentences(rng, 4)
assert abs(float(model_perplexity(lm, sents, 10)) - ref_model_ppl(lm, sents)) < 1e-6 * ref_model_ppl(lm, sents)
