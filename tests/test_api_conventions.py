"""rnnlib's signature conventions, checked on every public layer and model function.

- data first, then ``params``, then settings: no ``*_forward``, ``*_loss`` or
  ``*_loss_and_grads`` function takes ``params`` as its first argument;
- ``backward(d_out, cache)``: every ``*_backward`` takes exactly those two arguments;
- the one training loop calls ``loss_and_grads(*batch, params)``.
"""

import importlib
import inspect
import pkgutil

import pytest

import rnnlib

SKIP = {"rnnlib.coursework", "rnnlib.checks", "rnnlib.data", "rnnlib.models"}
MODULES = sorted(m.name for m in pkgutil.walk_packages(rnnlib.__path__, "rnnlib.")
                 if not any(m.name == s or m.name.startswith(s + ".") for s in SKIP))


def _public_functions():
    for name in MODULES:
        module = importlib.import_module(name)
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == name and not fname.startswith("_"):
                yield f"{name}.{fname}", fn


FUNCTIONS = dict(_public_functions())
LAYER_AND_MODEL = {k: f for k, f in FUNCTIONS.items()
                   if k.endswith(("_forward", "_loss", "_loss_and_grads"))}
BACKWARD = {k: f for k, f in FUNCTIONS.items() if k.endswith("_backward")}


def test_the_convention_covers_the_library():
    # Guards the guard: the lists are not empty because of a renaming.
    assert {"rnnlib.rnn.rnn_forward", "rnnlib.language_model.lm_forward",
            "rnnlib.sequence_models.many_to_many_loss"} <= set(LAYER_AND_MODEL)
    assert {"rnnlib.rnn.rnn_backward", "rnnlib.language_model.lm_backward"} <= set(BACKWARD)


@pytest.mark.parametrize("name", sorted(LAYER_AND_MODEL))
def test_data_comes_before_params(name):
    args = list(inspect.signature(LAYER_AND_MODEL[name]).parameters)
    if "params" in args:
        assert args.index("params") > 0, f"{name}{args}: data first, then params"


@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_backward_takes_the_upstream_gradient_and_the_cache(name):
    args = list(inspect.signature(BACKWARD[name]).parameters)
    assert len(args) == 2 and args[1] == "cache", f"{name}{args}: backward(d_out, cache)"


def test_the_training_loop_passes_params_last():
    import numpy as np

    from rnnlib.optim import SGD
    from rnnlib.train import train

    seen = []

    def loss_and_grads(x, y, params):
        seen.append((x, y, params))
        return 0.0, {"w": np.zeros(1)}

    params = {"w": np.ones(1)}
    train([(1, 2)], params, loss_and_grads, SGD(lr=0.1))
    assert seen == [(1, 2, params)]
