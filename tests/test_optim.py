"""Optimisers: hand-computed steps, convergence on a quadratic, nested params, clipping, errors."""

import math

import numpy as np
import pytest

from rnnlib.optim import SGD, Adam, clip_grad_norm


def test_sgd_plain_step():
    params = {"w": np.array([1.0, -2.0])}
    SGD(lr=0.1).step(params, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(params["w"], [1.0 - 0.05, -2.0 + 0.1])


def test_sgd_momentum_by_hand():
    params = {"w": np.array([1.0])}
    opt = SGD(lr=0.1, momentum=0.9)
    for g in (2.0, 1.0, -1.0):
        opt.step(params, {"w": np.array([g])})
    # v1 = 2, v2 = 0.9*2 + 1 = 2.8, v3 = 0.9*2.8 - 1 = 1.52; w = 1 - 0.1 (v1 + v2 + v3)
    np.testing.assert_allclose(params["w"], [1.0 - 0.1 * (2.0 + 2.8 + 1.52)])
    np.testing.assert_allclose(opt.state["w"]["velocity"], [1.52])


def test_adam_first_two_steps_by_hand():
    params = {"w": np.array([1.0, -2.0])}
    opt = Adam(lr=0.1)                                   # beta1 = 0.9, beta2 = 0.999, eps = 1e-8
    opt.step(params, {"w": np.array([0.5, -1.0])})
    # Step 1: m = 0.1 g, v = 0.001 g^2; bias correction gives m_hat = g, v_hat = g^2, so the
    # step is lr * g / (|g| + eps): lr in the direction of -sign(g), whatever the size of g.
    w1 = np.array([1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 + 0.1 * 1.0 / (1.0 + 1e-8)])
    np.testing.assert_allclose(params["w"], w1, rtol=1e-15)
    opt.step(params, {"w": np.array([0.1, 0.3])})
    # Step 2: m = 0.9 m1 + 0.1 g2 = [0.055, -0.06], v = 0.999 v1 + 0.001 g2^2 = [0.00025975, 0.001089],
    # m_hat = m / (1 - 0.9^2) = m / 0.19,  v_hat = v / (1 - 0.999^2) = v / 0.001999.
    w2 = w1 - 0.1 * np.array([
        (0.055 / 0.19) / (math.sqrt(0.00025975 / 0.001999) + 1e-8),
        (-0.06 / 0.19) / (math.sqrt(0.001089 / 0.001999) + 1e-8)])
    np.testing.assert_allclose(params["w"], w2, rtol=1e-12)
    assert opt.state["w"]["t"] == 2
    np.testing.assert_allclose(opt.state["w"]["m"], [0.055, -0.06], rtol=1e-12)
    np.testing.assert_allclose(opt.state["w"]["v"], [0.00025975, 0.001089], rtol=1e-12)


def quadratic(theta):
    """f = 1/2 sum a_i (theta_i - c_i)^2 with curvatures a_i spanning 1000x; gradient a (theta - c)."""
    a = np.array([100.0, 10.0, 1.0, 0.1])
    c = np.array([1.0, -2.0, 3.0, 0.5])
    return 0.5 * np.sum(a * (theta - c) ** 2), a * (theta - c), c


@pytest.mark.parametrize("make", [lambda: Adam(lr=0.05), lambda: SGD(lr=0.015, momentum=0.9)],
                         ids=["adam", "sgd-momentum"])
def test_optimisers_minimise_an_ill_conditioned_quadratic(make):
    params = {"theta": np.zeros(4)}
    opt = make()
    start = quadratic(params["theta"])[0]
    for _ in range(1500):
        _, grad, c = quadratic(params["theta"])
        opt.step(params, {"theta": grad})
    assert quadratic(params["theta"])[0] < 1e-8 * start
    np.testing.assert_allclose(params["theta"], c, atol=1e-3)


def test_momentum_is_what_gets_through_the_ill_conditioning():
    params = {"theta": np.zeros(4)}
    opt = SGD(lr=0.015)                    # the same lr without momentum: the flat direction crawls
    for _ in range(1500):
        opt.step(params, {"theta": quadratic(params["theta"])[1]})
    assert abs(params["theta"][3] - 0.5) > 0.01


def test_nested_params_are_flattened_with_slashes():
    params = {"dense1": {"W": np.ones((2, 3)), "b": np.zeros(2)}, "embed": {"E": np.ones((4, 2))}}
    grads = {"dense1": {"W": np.full((2, 3), 0.5), "b": np.ones(2)}, "embed": {"E": np.zeros((4, 2))}}
    W = params["dense1"]["W"]
    opt = Adam(lr=0.01)
    opt.step(params, grads)
    assert sorted(opt.state) == ["dense1/W", "dense1/b", "embed/E"]
    assert params["dense1"]["W"] is W                        # updated in place
    np.testing.assert_allclose(W, 1 - 0.01 * 0.5 / (0.5 + 1e-8))
    np.testing.assert_allclose(params["embed"]["E"], 1.0)    # zero gradient: no move
    SGD(0.1).step(params, grads)
    np.testing.assert_allclose(params["dense1"]["b"], -0.01 - 0.1, rtol=1e-6)


def test_float32_params_stay_float32():
    params = {"w": np.ones(3, np.float32)}
    Adam(lr=0.1).step(params, {"w": np.ones(3, np.float32)})
    SGD(lr=0.1, momentum=0.5).step(params, {"w": np.ones(3)})
    assert params["w"].dtype == np.float32


def test_step_errors():
    params = {"W": np.zeros((2, 3)), "b": np.zeros(2)}
    opt = Adam()
    with pytest.raises(ValueError, match=r"missing from grads: \['b'\], in grads but not in params: \['bias'\]"):
        opt.step(params, {"W": np.zeros((2, 3)), "bias": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3, 2\) but params\['W'\] has shape \(2, 3\)"):
        opt.step(params, {"W": np.zeros((3, 2)), "b": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['b'\] contains NaN or inf"):
        opt.step(params, {"W": np.zeros((2, 3)), "b": np.array([0.0, np.nan])})
    with pytest.raises(TypeError, match=r"params\['w'\] must be a writeable floating-point ndarray"):
        SGD(0.1).step({"w": np.zeros(2, int)}, {"w": np.zeros(2)})
    with pytest.raises(ValueError, match=r"missing from grads: \['layer/W'\]"):
        SGD(0.1).step({"layer": {"W": np.zeros(1)}}, {"layer": {}})
    opt.step({"w": np.zeros(2)}, {"w": np.zeros(2)})
    with pytest.raises(ValueError, match=r"params\['w'\] changed shape since the last step"):
        opt.step({"w": np.zeros(3)}, {"w": np.zeros(3)})


def test_hyperparameter_errors():
    with pytest.raises(ValueError, match=r"lr must be a number in \(0, inf\), got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\), got 1.0"):
        SGD(lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match=r"beta2 must be a number in \[0, 1\)"):
        Adam(beta2=1.5)
    with pytest.raises(ValueError, match=r"eps must be a number in \(0, inf\)"):
        Adam(eps=0)


def test_clip_grad_norm_scales_globally_in_place():
    grads = {"a": np.array([3.0, 0.0]), "nested": {"b": np.array([[4.0]])}}
    a = grads["a"]
    norm = clip_grad_norm(grads, max_norm=1.0)
    assert norm == pytest.approx(5.0)                          # sqrt(3^2 + 4^2), before clipping
    assert grads["a"] is a
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])        # direction kept: (3, 4) / 5
    np.testing.assert_allclose(grads["nested"]["b"], [[0.8]])
    new_norm = math.sqrt(sum(float((g ** 2).sum()) for g in (grads["a"], grads["nested"]["b"])))
    assert new_norm == pytest.approx(1.0, rel=1e-12)
    # below the threshold: untouched
    assert clip_grad_norm(grads, max_norm=2.0) == pytest.approx(1.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])


def test_clip_grad_norm_float32_and_errors():
    big = {"g": np.full(4, 1e30, np.float32)}                 # squares overflow float32
    assert clip_grad_norm(big, 1.0) == pytest.approx(2e30, rel=1e-6)
    assert big["g"].dtype == np.float32
    np.testing.assert_allclose(big["g"], 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match=r"gradient norm is not finite \(NaN or inf in \['b'\]\)"):
        clip_grad_norm({"a": np.ones(2), "b": np.array([np.nan])}, 1.0)
    with pytest.raises(ValueError, match=r"max_norm must be a number in \(0, inf\), got 0"):
        clip_grad_norm({"a": np.ones(2)}, 0)
