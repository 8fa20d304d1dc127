"""Hidden checks of lab 9.1 (vanilla RNNs, GRUs and scan). See README.md for the format."""
import numpy as np

from rnnlib.gru import gru_step_forward
from rnnlib.rnn import rnn_step_forward

RNNLIB_EQUIVALENTS = {"rnn_step_concat": ["rnn_step_forward"], "gru_step": ["gru_step_forward"],
                      "run_with_scan": ["gru_forward", "rnn_forward"]}


def close(got, expected, rtol=1e-6, atol=1e-8):
    got = np.asarray(got, dtype=float)
    assert got.shape == np.shape(expected), "wrong shape"
    assert np.allclose(got, expected, rtol=rtol, atol=atol), "wrong values"


def ref_step(x, h_prev, W_h, b_h):
    """rnnlib's simple-RNN step, with the lab's stacked W_h = [W_hh | W_hx] split in two."""
    n_h = h_prev.shape[1]
    params = {"W_hh": W_h[:, :n_h], "W_hx": W_h[:, n_h:], "b_h": b_h}
    return rnn_step_forward(x, h_prev, params)[0]


def rnn_case(rng, batch, n_x, n_h, dtype=np.float64):
    x = rng.normal(size=(batch, n_x)).astype(dtype)
    h = rng.uniform(-0.9, 0.9, size=(batch, n_h)).astype(dtype)
    W_h = rng.normal(scale=0.6, size=(n_h, n_h + n_x)).astype(dtype)
    b_h = rng.normal(scale=0.3, size=n_h).astype(dtype)
    return x, h, W_h, b_h


def ref_gru(x, h_prev, p):
    """rnnlib's GRU step (the book's convention, reset before the product)."""
    return gru_step_forward(x, h_prev, p)[0]


def gru_case(rng, batch, n_x, n_h, dtype=np.float64, scale=0.7):
    p = {}
    for g in "urc":
        p[f"W_{g}"] = rng.normal(scale=scale, size=(n_h, n_h + n_x)).astype(dtype)
        p[f"b_{g}"] = rng.normal(scale=0.3, size=n_h).astype(dtype)
    x = rng.normal(size=(batch, n_x)).astype(dtype)
    h = rng.uniform(-0.9, 0.9, size=(batch, n_h)).astype(dtype)
    return x, h, p


class Step:
    """A recurrent step of the grader's: called from the student's run_with_scan."""

    def __init__(self, params, kind):
        self.params, self.kind = params, kind

    def __call__(self, x_t, h_prev):
        x_t, h_prev = np.asarray(x_t, dtype=float), np.asarray(h_prev, dtype=float)
        if self.kind == "gru":
            return ref_gru(x_t, h_prev, self.params)
        return ref_step(x_t, h_prev, self.params["W_h"], self.params["b_h"])


def loop(step, x, h0):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = step(x[:, t], h)
        hs.append(h)
    return np.stack(hs, axis=1)


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

# %% case gru_step: batch of 1, nonzero h_prev
# feedback: gru_step must use h_prev everywhere it appears (a zero h_prev hides a wrong reset gate)
x, h, p = gru_case(rng, 1, 3, 4)
close(gru_step(x, h, {k: v.copy() for k, v in p.items()}), ref_gru(x, h, p))

# %% case gru_step: odd sizes, n_x != n_h
# feedback: the reset gate multiplies h_prev before the product with W_c; check with n_x != n_h
x, h, p = gru_case(rng, 3, 5, int(rng.integers(2, 4)))
close(gru_step(x, h, p), ref_gru(x, h, p))

# %% case gru_step: a strong reset gate
# feedback: h~ uses r * h_prev; the new state is u * h~ + (1 - u) * h_prev
x, h, p = gru_case(rng, 2, 2, 3, scale=2.0)
close(gru_step(x, h, p), ref_gru(x, h, p))

# %% case gru_step: float32 inputs
# feedback: gru_step must work on float32 arrays
x, h, p = gru_case(rng, 2, 3, 3, np.float32)
close(gru_step(x, h, p), ref_gru(x.astype(float), h.astype(float),
                                  {k: v.astype(float) for k, v in p.items()}), rtol=1e-4, atol=1e-5)

# %% case run_with_scan: a GRU step, batch of 1
# feedback: run_with_scan returns (batch, T, n_h) states, starting from the given h0
x, h0, p = gru_case(rng, 1, 3, 4)
step = Step(p, "gru")
xs = rng.normal(size=(1, 5, 3))
close(run_with_scan(step, xs, h0), loop(step, xs, h0))

# %% case run_with_scan: one time step
# feedback: run_with_scan must work for sequences of length one
x, h0, W_h, b_h = rnn_case(rng, 3, 2, 4)
step = Step({"W_h": W_h, "b_h": b_h}, "rnn")
xs = rng.normal(size=(3, 1, 2))
close(run_with_scan(step, xs, h0), loop(step, xs, h0))

# %% case run_with_scan: batch and time of different sizes
# feedback: scan is time-major: swap x to (T, batch, n_x) and the states back to batch-first
x, h0, W_h, b_h = rnn_case(rng, 2, 3, 5)
step = Step({"W_h": W_h, "b_h": b_h}, "rnn")
xs = rng.normal(size=(2, int(rng.integers(4, 8)), 3))
close(run_with_scan(step, xs, h0), loop(step, xs, h0))

# %% case gru_params_count: random sizes
# feedback: three weight matrices of shape (n_h, n_h + n_x) and three bias vectors of n_h
n_x, n_h = int(rng.integers(2, 300)), int(rng.integers(2, 300))
assert int(gru_params_count(n_x, n_h)) == 3 * (n_h * (n_h + n_x) + n_h)

# %% case gru_params_count: a single input
# feedback: with n_x = 1 each weight matrix still has n_h + 1 columns
n_h = int(rng.integers(2, 40))
assert int(gru_params_count(1, n_h)) == 3 * (n_h * (n_h + 1) + n_h)

# %% case gru_params_count: n_x and n_h swapped
# feedback: n_x and n_h play different roles; do not swap them
n_x, n_h = int(rng.integers(2, 50)), int(rng.integers(60, 120))
assert int(gru_params_count(n_x, n_h)) == 3 * (n_h * (n_h + n_x) + n_h)
