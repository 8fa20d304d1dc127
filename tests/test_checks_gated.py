"""Checkers of the GRU/scan lab and of the chapter on deep and bidirectional RNNs: right
solutions pass, the classic wrong ones are named, unwritten functions are reported."""

import numpy as np
import pytest

from rnnlib import checks
from rnnlib.gru import gru_forward, gru_param_count, gru_step_forward, init_gru
from rnnlib.params import count_params
from rnnlib.recurrent import reverse_in_time
from rnnlib.scan import scan


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def unwritten(*args):
    raise NotImplementedError()


# ----------------------------------------------------------------- the GRU step
def make_gru_step(order="hx", update="book", reset="before", cand=np.tanh, gate=sigmoid,
                  swap=False, biases=True):
    def gru_step(x, h_prev, params):
        n_h = h_prev.shape[1]
        W_u, W_r, W_c = params["W_u"], params["W_r"], params["W_c"]
        b_u, b_r, b_c = (params["b_u"], params["b_r"], params["b_c"]) if biases else (0, 0, 0)
        if swap:
            W_u, W_r, b_u, b_r = W_r, W_u, b_r, b_u
        cat = (lambda a, b: np.concatenate([a, b], 1)) if order == "hx" else \
            (lambda a, b: np.concatenate([b, a], 1))
        u = gate(cat(h_prev, x) @ W_u.T + b_u)
        r = gate(cat(h_prev, x) @ W_r.T + b_r)
        if reset == "before":
            c = cand(cat(r * h_prev, x) @ W_c.T + b_c)
        elif reset == "none":
            c = cand(cat(h_prev, x) @ W_c.T + b_c)
        elif reset == "after":
            c = cand(r * (h_prev @ W_c[:, :n_h].T) + x @ W_c[:, n_h:].T + b_c)
        elif reset == "outside":
            c = r * cand(cat(h_prev, x) @ W_c.T + b_c)
        if update == "book":
            return u * c + (1 - u) * h_prev
        return u * h_prev + (1 - u) * c
    return gru_step


def test_gru_step_checker_accepts_the_book_step_and_rnnlib(capsys):
    checks.check_gru_step(make_gru_step())
    checks.check_gru_step(lambda x, h, p: gru_step_forward(x, h, p)[0])
    assert capsys.readouterr().out.count("All checks passed") == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(update="swapped"), "update gate points the wrong way"),
    (dict(reset="none"), "reset gate is missing"),
    (dict(reset="after"), "after the product"),
    (dict(reset="outside"), "reset gate multiplies the wrong thing"),
    (dict(order="xh"), r"hidden part first"),
    (dict(cand=sigmoid), "candidate h̃ uses tanh"),
    (dict(gate=np.tanh), "gates must be sigmoids"),
    (dict(swap=True), "gates are swapped"),
    (dict(biases=False), "biases b_u, b_r, b_c are missing"),
])
def test_gru_step_checker_names_mistakes(kwargs, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_gru_step(make_gru_step(**kwargs))


def test_gru_step_checker_locates_unknown_mistakes():
    def update_wrong(x, h, p):        # right candidate, wrong mixing: h' = 0.5 (h~ + h)
        u = 0.5
        n_h = h.shape[1]
        r = sigmoid(np.concatenate([h, x], 1) @ p["W_r"].T + p["b_r"])
        c = np.tanh(np.concatenate([r * h, x], 1) @ p["W_c"].T + p["b_c"])
        return u * c + (1 - u) * h + 0 * n_h
    with pytest.raises(AssertionError, match="update gate looks wrong"):
        checks.check_gru_step(update_wrong)

    def reset_doubled(x, h, p):       # the reset gate applied twice
        u = sigmoid(np.concatenate([h, x], 1) @ p["W_u"].T + p["b_u"])
        r = sigmoid(np.concatenate([h, x], 1) @ p["W_r"].T + p["b_r"])
        c = np.tanh(np.concatenate([r * r * h, x], 1) @ p["W_c"].T + p["b_c"])
        return u * c + (1 - u) * h
    with pytest.raises(AssertionError, match="wrong"):
        checks.check_gru_step(reset_doubled)


def test_gru_step_checker_sees_what_a_zero_state_hides():
    # With h_prev = 0 the missing reset gate is invisible; the checker's nonzero state is not.
    rng = np.random.default_rng(0)
    params = init_gru(3, 4, rng)
    params["b_r"] = rng.normal(size=4)
    x, h0 = rng.normal(size=(2, 3)), np.zeros((2, 4))
    assert np.allclose(make_gru_step(reset="none")(x, h0, params), make_gru_step()(x, h0, params))
    with pytest.raises(AssertionError, match="nonzero h_prev"):
        checks.check_gru_step(make_gru_step(reset="none"))


def test_gru_step_checker_reports_shapes_and_tuples():
    with pytest.raises(AssertionError, match="only, not a tuple"):
        checks.check_gru_step(lambda x, h, p: gru_step_forward(x, h, p))
    with pytest.raises(AssertionError, match=r"np.concatenate\(\[h_prev, x\], axis=1\)"):
        checks.check_gru_step(lambda x, h, p: np.concatenate([h, x], 0) @ p["W_u"].T)
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_gru_step(unwritten)


# ----------------------------------------------------------------- running with scan
def run_with_scan(step, x, h0):
    hs, _ = scan(lambda h, x_t: (step(x_t, h),) * 2, x.swapaxes(0, 1), h0)
    return hs.swapaxes(0, 1)


def test_run_with_scan_checker_accepts_correct(capsys):
    checks.check_run_with_scan(run_with_scan)
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda step, x, h0: scan(lambda h, x_t: (step(x_t, h),) * 2, x.swapaxes(0, 1), h0)[0],
     "time first"),
    (lambda step, x, h0: scan(lambda h, x_t: (step(x_t, h),) * 2, x.swapaxes(0, 1), h0),
     "states hs only"),
    (lambda step, x, h0: scan(lambda h, x_t: (step(x_t, h),) * 2, x, h0)[0], "time-major"),
    (lambda step, x, h0: run_with_scan(step, x, np.zeros_like(h0)), "started from zeros"),
    (lambda step, x, h0: scan(lambda h, x_t: (h, step(x_t, h)), x.swapaxes(0, 1), h0)[0]
     .swapaxes(0, 1), "every step started from h0"),
    (lambda step, x, h0: scan(lambda h, x_t: (step(x_t, h), h), x.swapaxes(0, 1), h0)[0]
     .swapaxes(0, 1), "shifted by one step"),
    (lambda step, x, h0: np.concatenate([h0[:, None], run_with_scan(step, x, h0)], 1), "T \\+ 1"),
    (lambda step, x, h0: scan(lambda h, x_t: (step(h, x_t),) * 2, x.swapaxes(0, 1), h0)[0],
     "fn\\(carry, x_t\\)"),
    (unwritten, "not implemented yet"),
])
def test_run_with_scan_checker_names_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_run_with_scan(wrong)


# ----------------------------------------------------------------- parameter counts
def test_gru_param_count_checker():
    checks.check_gru_param_count(lambda n_x, n_h: 3 * n_h * (n_h + n_x + 1))
    checks.check_gru_param_count(lambda n_x, n_h: gru_param_count(n_x, n_h))
    checks.check_gru_param_count(lambda n_x, n_h: count_params(init_gru(n_x, n_h, np.random.default_rng(0))))
    for wrong, message in [
        (lambda n_x, n_h: 3 * n_h * (n_h + n_x), "left out the biases"),
        (lambda n_x, n_h: n_h * (n_h + n_x + 1), "simple RNN"),
        (lambda n_x, n_h: gru_param_count(n_x, n_h, reset_after=True, convention="pytorch"),
         "two biases per gate"),
        (lambda n_x, n_h: gru_param_count(n_x, n_h, reset_after=True), "b_ch"),
        (lambda n_x, n_h: 3 * n_h * (n_x + 1), "n_h \\+ n_x columns, not n_x"),
        (lambda n_x, n_h: 4 * n_h * (n_h + n_x + 1), "LSTM"),
        (lambda n_x, n_h: "many", "whole number"),
        (unwritten, "not implemented yet"),
    ]:
        with pytest.raises(AssertionError, match=message):
            checks.check_gru_param_count(wrong)


def stack_param_count(n_x, sizes, bidirectional):
    d, total, n_in = (2 if bidirectional else 1), 0, n_x
    for n_h in sizes:
        total += d * 3 * n_h * (n_h + n_in + 1)
        n_in = d * n_h
    return total


def test_stack_param_count_checker():
    checks.check_stack_param_count(stack_param_count)
    # The formula agrees with the parameters rnnlib allocates for such a stack.
    rng = np.random.default_rng(0)
    params = {"l1": {"fwd": init_gru(10, 8, rng), "bwd": init_gru(10, 8, rng)},
              "l2": {"fwd": init_gru(16, 12, rng), "bwd": init_gru(16, 12, rng)}}
    assert count_params(params) == stack_param_count(10, [8, 12], True)

    def every_layer_reads_x(n_x, sizes, bi):
        return sum((2 if bi else 1) * 3 * n_h * (n_h + n_x + 1) for n_h in sizes)

    def one_direction(n_x, sizes, bi):
        return stack_param_count(n_x, sizes, False)

    def input_forgets_two_directions(n_x, sizes, bi):
        d, total, n_in = (2 if bi else 1), 0, n_x
        for n_h in sizes:
            total += d * 3 * n_h * (n_h + n_in + 1)
            n_in = n_h
        return total

    for wrong, message in [(every_layer_reads_x, "not x"), (one_direction, "count each layer twice"),
                           (input_forgets_two_directions, "2 n_h of the layer below"),
                           (lambda n_x, s, b: stack_param_count(n_x, s, b) // 3, "simple RNNs"),
                           (unwritten, "not implemented yet")]:
        with pytest.raises(AssertionError, match=message):
            checks.check_stack_param_count(wrong)


# ----------------------------------------------------------------- reversing padded sequences
def reverse_padded(x, lengths):
    out = np.array(x, copy=True)
    for b, n in enumerate(lengths):
        out[b, :n] = x[b, :n][::-1]
    return out


def test_reverse_padded_checker(capsys):
    checks.check_reverse_padded(reverse_padded)
    checks.check_reverse_padded(reverse_in_time)
    assert capsys.readouterr().out.count("All checks passed") == 2

    def in_place(x, lengths):
        for b, n in enumerate(lengths):
            x[b, :n] = x[b, :n][::-1].copy()
        return x

    def pads_zeroed(x, lengths):
        out = np.zeros_like(x)
        for b, n in enumerate(lengths):
            out[b, :n] = x[b, :n][::-1]
        return out

    def off_by_one(x, lengths):
        out = np.array(x, copy=True)
        for b, n in enumerate(lengths):
            out[b, :n - 1] = x[b, 1:n][::-1]
        return out

    for wrong, message in [(lambda x, lengths: x[:, ::-1], "padding now comes first"),
                           (lambda x, lengths: x[::-1], "batch axis"),
                           (lambda x, lengths: [x[b, :n][::-1] for b, n in enumerate(lengths)],
                            "should return a numpy array|shape of x"),
                           (in_place, "in place"), (pads_zeroed, "padding changed"),
                           (off_by_one, "reversed wrongly"), (unwritten, "not implemented yet")]:
        with pytest.raises(AssertionError, match=message):
            checks.check_reverse_padded(wrong)


# ----------------------------------------------------------------- a bidirectional GRU
def bidirectional_gru(x, lengths, h0, params, *, rev=reverse_in_time, back=True, order="fb",
                      h0_swap=False, bwd_key="bwd"):
    n_h = h0.shape[1] // 2
    h0_f, h0_b = (h0[:, n_h:], h0[:, :n_h]) if h0_swap else (h0[:, :n_h], h0[:, n_h:])
    fwd, _ = gru_forward(x, h0_f, params["fwd"])
    bwd_rev, _ = gru_forward(rev(x, lengths), h0_b, params[bwd_key])
    bwd = rev(bwd_rev, lengths) if back else bwd_rev
    return np.concatenate([fwd, bwd] if order == "fb" else [bwd, fwd], axis=-1)


def test_bidirectional_gru_checker(capsys):
    checks.check_bidirectional_gru(bidirectional_gru)
    assert "All checks passed" in capsys.readouterr().out
    flip = lambda a, lengths: a[:, ::-1]
    for kwargs, message in [(dict(back=False), "still in reversed order"),
                            (dict(rev=flip), "padding included"),
                            (dict(order="bf"), "halves are swapped"),
                            (dict(h0_swap=True), "two halves of h0 are swapped"),
                            (dict(bwd_key="fwd"), "both directions use params\\['fwd'\\]"),
                            (dict(rev=lambda a, lengths: a), "reads the sequence forwards")]:
        with pytest.raises(AssertionError, match=message):
            checks.check_bidirectional_gru(lambda *args, kw=kwargs: bidirectional_gru(*args, **kw))

    def one_direction(x, lengths, h0, params):
        return gru_forward(x, h0[:, :h0.shape[1] // 2], params["fwd"])[0]

    for wrong, message in [(one_direction, "that is one direction"),
                           (lambda x, l, h0, p: np.concatenate([bidirectional_gru(x, l, h0, p)[..., :5],
                                                                bidirectional_gru(x, l, h0, p)[..., 5:]], 0),
                            "not the batch or time axis"),
                           (unwritten, "not implemented yet")]:
        with pytest.raises(AssertionError, match=message):
            checks.check_bidirectional_gru(wrong)
