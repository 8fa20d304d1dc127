"""diagrams: every figure builds, carries its key labels, renders without warnings; bad
arguments are clear errors."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")                      # no display in tests

import matplotlib.pyplot as plt            # noqa: E402
import pytest                              # noqa: E402
from matplotlib.figure import Figure       # noqa: E402
from matplotlib.text import Text           # noqa: E402

from rnnlib import diagrams                # noqa: E402


def texts(fig):
    """Every string written in ``fig``, with the mathtext dollars removed."""
    return [t.get_text().replace("$", "") for t in fig.findobj(Text) if t.get_text()]


def has(fig, *fragments):
    """Each fragment occurs in at least one of the figure's texts."""
    strings = texts(fig)
    return all(any(f in s for s in strings) for f in fragments)


@pytest.fixture
def draw():
    """Call a diagram function, check the result is a Figure that renders to PNG without any
    warning, and close every figure made, whatever the test's outcome."""
    made = []

    def _draw(fn, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig = fn(*args, **kwargs)
            made.append(fig)
            assert isinstance(fig, Figure)
            fig.savefig(io.BytesIO(), format="png", dpi=60)   # low dpi: fast
        width, _ = fig.get_size_inches()
        assert width <= 8.0 + 1e-9, f"{fn.__name__} is {width:.2f} in wide, more than 8 in"
        return fig

    yield _draw
    for fig in made:
        plt.close(fig)


def test_unrolled_rnn_labels_each_step_and_the_shared_weights(draw):
    fig = draw(diagrams.unrolled_rnn, steps=5)
    assert len(fig.axes) == 1
    assert has(fig, r"x^{\langle t\rangle}", r"\hat y^{\langle t\rangle}")      # folded
    assert has(fig, *[rf"x^{{\langle {t}\rangle}}" for t in [1, 2, 3, 4, "T"]])
    assert has(fig, r"h^{\langle 0\rangle}", r"\cdots", "=", "W_{hh}", "W_{hx}", "W_{yh}")
    assert has(fig, "the same")


def test_unrolled_rnn_without_ellipsis_numbers_every_step(draw):
    fig = draw(diagrams.unrolled_rnn, steps=3, ellipsis=False, folded=False)
    assert has(fig, *[rf"h^{{\langle {t}\rangle}}" for t in [1, 2, 3]])
    assert not has(fig, r"\cdots") and not has(fig, r"\langle T\rangle")
    assert not has(fig, r"\langle t\rangle")                      # no folded cell


def test_unrolled_rnn_options_remove_outputs_and_weights(draw):
    fig = draw(diagrams.unrolled_rnn, steps=2, show_outputs=False, show_weights=False)
    assert not has(fig, r"\hat y") and not has(fig, "W_{")
    assert has(fig, r"x^{\langle 1\rangle}", r"x^{\langle T\rangle}")


def test_rnn_cell_adds_the_two_products_and_the_bias(draw):
    fig = draw(diagrams.rnn_cell)
    assert len(fig.axes) == 1
    assert has(fig, "W_{hh}", "W_{hx}", "b_h", r"\tanh", "softmax", r"\hat y^{\langle t\rangle}")
    assert "+" in texts(fig), "the sum node '+' is missing"


@pytest.mark.parametrize("activation, label", [("relu", "ReLU"), ("sigmoid", r"g = \sigma")])
def test_rnn_cell_writes_its_activation(draw, activation, label):
    assert has(draw(diagrams.rnn_cell, activation=activation), label)


def test_io_patterns_has_five_titled_panels(draw):
    fig = draw(diagrams.io_patterns)
    assert len(fig.axes) == 5
    assert has(fig, "one-to-one", "one-to-many", "many-to-one", "many-to-many",
               "encoder–decoder", "name generation", "name classification", "tagging",
               "translation", "encoder", "decoder")


def test_gru_cell_shows_both_gates_and_the_candidate(draw):
    fig = draw(diagrams.gru_cell)
    assert len(fig.axes) == 1
    assert has(fig, r"\Gamma_u", r"\Gamma_r", r"\tilde h", r"\sigma", r"\tanh", r"\odot",
               r"h^{\langle t-1\rangle}", r"x^{\langle t\rangle}", r"1-\Gamma_u")
    assert not has(fig, "reset_after")


def test_gru_cell_reset_after_says_where_the_reset_gate_acts(draw):
    fig = draw(diagrams.gru_cell, reset_after=True)
    assert has(fig, "reset_after", "W_{ch}", "b_{ch}", "PyTorch")


def test_deep_rnn_labels_layer_and_step(draw):
    fig = draw(diagrams.deep_rnn, layers=2, steps=4)
    assert has(fig, *[rf"h^{{[{l}]\langle {t}\rangle}}" for l in (1, 2) for t in (0, 1, 4)])
    assert has(fig, "layer 1", "layer 2", r"x^{\langle 4\rangle}", r"\hat y^{\langle 4\rangle}")
    assert not has(fig, "layer 3")


def test_bidirectional_rnn_has_both_directions_and_the_output_formula(draw):
    fig = draw(diagrams.bidirectional_rnn, steps=3)
    assert has(fig, r"\overrightarrow{h}{}^{\langle 3\rangle}",
               r"\overleftarrow{h}{}^{\langle 1\rangle}")
    assert has(fig, "forward", "backward", "W_y", "b_y", r"x^{\langle 3\rangle}")


@pytest.mark.parametrize("fn, kwargs, match", [
    (diagrams.unrolled_rnn, {"steps": 0}, "steps must be at least 1, got 0"),
    (diagrams.unrolled_rnn, {"steps": 7}, "steps must be at most 6 .*, got 7"),
    (diagrams.rnn_cell, {"activation": "softsign"}, "activation must be one of .*'softsign'"),
    (diagrams.deep_rnn, {"layers": 0}, "layers must be at least 1, got 0"),
    (diagrams.deep_rnn, {"steps": 0}, "steps must be at least 1, got 0"),
    (diagrams.deep_rnn, {"layers": 6}, "layers must be at most 5"),
    (diagrams.bidirectional_rnn, {"steps": 0}, "steps must be at least 1, got 0"),
])
def test_bad_values_are_value_errors(fn, kwargs, match):
    n = len(plt.get_fignums())
    with pytest.raises(ValueError, match=match):
        fn(**kwargs)
    assert len(plt.get_fignums()) == n, "a figure was left open by a failed call"


@pytest.mark.parametrize("fn, kwargs, match", [
    (diagrams.unrolled_rnn, {"steps": 2.0}, "steps must be an int, got float"),
    (diagrams.unrolled_rnn, {"steps": True}, "steps must be an int, got bool"),
    (diagrams.unrolled_rnn, {"folded": "yes"}, "folded must be True or False"),
    (diagrams.gru_cell, {"reset_after": 1}, "reset_after must be True or False"),
])
def test_bad_types_are_type_errors(fn, kwargs, match):
    with pytest.raises(TypeError, match=match):
        fn(**kwargs)
