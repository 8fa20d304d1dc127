"""Hidden checks of lab 6.1 (hidden-state activations). See README.md for the format."""
import numpy as np

from rnnlib.rnn import rnn_forward, rnn_step_forward

RNNLIB_EQUIVALENTS = {"rnn_step_concat": ["rnn_step_forward"], "run_sequence": ["rnn_forward"]}


def close(got, expected, rtol=1e-6, atol=1e-8):
    got = np.asarray(got, dtype=float)
    assert got.shape == np.shape(expected), "wrong shape"
    assert np.allclose(got, expected, rtol=rtol, atol=atol), "wrong values"


def split(W_h, b_h):
    """The lab's stacked W_h = [W_hh | W_hx] as rnnlib's separate parameters."""
    n_h = W_h.shape[0]
    return {"W_hh": W_h[:, :n_h], "W_hx": W_h[:, n_h:], "b_h": b_h}


def ref_step(x, h_prev, W_h, b_h):
    return rnn_step_forward(x, h_prev, split(W_h, b_h))[0]


def ref_run(x, h0, W_h, b_h):
    return rnn_forward(x, h0, split(W_h, b_h))[0]


def rnn_case(rng, batch, n_x, n_h, dtype=np.float64):
    x = rng.normal(size=(batch, n_x)).astype(dtype)
    h = rng.uniform(-0.9, 0.9, size=(batch, n_h)).astype(dtype)
    W_h = rng.normal(scale=0.6, size=(n_h, n_h + n_x)).astype(dtype)
    b_h = rng.normal(scale=0.3, size=n_h).astype(dtype)
    return x, h, W_h, b_h


# %% case concatenate_weights: odd, non-square sizes
# feedback: W_h is [W_hh | W_hx]: W_hh first, joined along the columns, for any n_h and n_x
n_h, n_x = rng.integers(2, 8), rng.integers(2, 8)
W_hh, W_hx = rng.normal(size=(n_h, n_h)), rng.normal(size=(n_h, n_x + 1))
close(concatenate_weights(W_hh.copy(), W_hx.copy()), np.concatenate([W_hh, W_hx], axis=1))

# %% case concatenate_weights: one hidden unit
# feedback: concatenate_weights must also work with a single hidden unit (n_h = 1)
W_hh, W_hx = rng.normal(size=(1, 1)), rng.normal(size=(1, 4))
close(concatenate_weights(W_hh, W_hx), np.concatenate([W_hh, W_hx], axis=1))

# %% case concatenate_weights: float32 weights
# feedback: concatenate_weights must work for float32 weights too
W_hh, W_hx = rng.normal(size=(3, 3)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32)
close(concatenate_weights(W_hh, W_hx), np.concatenate([W_hh, W_hx], axis=1), rtol=1e-5)

# %% case rnn_step_concat: batch of 1, nonzero h_prev
# feedback: rnn_step_concat must use h_prev (not zeros) and work for a batch of one example
x, h, W_h, b_h = rnn_case(rng, 1, 3, 4)
close(rnn_step_concat(x, h, W_h, b_h), ref_step(x, h, W_h, b_h))

# %% case rnn_step_concat: odd sizes, n_x != n_h
# feedback: in [h_prev, x] the state comes first; check it with n_x different from n_h
x, h, W_h, b_h = rnn_case(rng, 3, int(rng.integers(2, 6)), 5)
close(rnn_step_concat(x, h, W_h, b_h), ref_step(x, h, W_h, b_h))

# %% case rnn_step_concat: float32 inputs
# feedback: rnn_step_concat must work on float32 arrays
x, h, W_h, b_h = rnn_case(rng, 2, 3, 3, np.float32)
close(rnn_step_concat(x, h, W_h, b_h), ref_step(x, h, W_h, b_h), rtol=1e-4, atol=1e-5)

# %% case run_sequence: nonzero h0, batch of 1
# feedback: run_sequence starts from the given h0 and returns the T states after each input
x, h0, W_h, b_h = rnn_case(rng, 1, 2, 3)
xs = rng.normal(size=(1, 4, 2))
close(run_sequence(xs, h0, W_h, b_h), ref_run(xs, h0, W_h, b_h))

# %% case run_sequence: one time step
# feedback: run_sequence must work for sequences of length one, shape (batch, 1, n_h)
x, h0, W_h, b_h = rnn_case(rng, 3, 4, 2)
xs = rng.normal(size=(3, 1, 4))
close(run_sequence(xs, h0, W_h, b_h), ref_run(xs, h0, W_h, b_h))

# %% case run_sequence: batch and time of different sizes
# feedback: hs is batch-first, (batch, T, n_h); check with batch != T
x, h0, W_h, b_h = rnn_case(rng, 2, 3, 5)
xs = rng.normal(size=(2, int(rng.integers(5, 9)), 3))
close(run_sequence(xs, h0, W_h, b_h), ref_run(xs, h0, W_h, b_h))

# %% case saturation_fraction: random states
# feedback: the share of entries whose absolute value is above the threshold, as a float
hs = np.tanh(rng.normal(scale=3, size=(3, 7, 4)))
got = saturation_fraction(hs)
assert abs(float(got) - float(np.mean(np.abs(hs) > 0.99))) < 1e-12, "wrong fraction"

# %% case saturation_fraction: another threshold
# feedback: use the threshold argument, not a fixed 0.99
hs = np.tanh(rng.normal(scale=2, size=(2, 5, 3)))
t = float(rng.uniform(0.3, 0.7))
assert abs(float(saturation_fraction(hs, t)) - float(np.mean(np.abs(hs) > t))) < 1e-12

# %% case saturation_fraction: negative saturation counts too
# feedback: count |h| > threshold: states near -1 are saturated as well
hs = -np.full((1, 4, 2), 0.999)
hs[0, 0, 0] = 0.2
assert abs(float(saturation_fraction(hs)) - 7 / 8) < 1e-12
