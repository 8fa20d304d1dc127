r"""Optimisers that update parameters in place: SGD (with momentum), Adam; gradient clipping.

Parameters and gradients are dicts of arrays with the same keys, possibly nested
(``{"dense1": {"W": ..., "b": ...}}``). Nested dicts are handled by *flattening*: the
optimiser sees the keys ``"dense1/W"``, ``"dense1/b"`` (see
:func:`rnnlib.params.flatten_params`), keeps its state (velocity, moments) under those keys
in ``.state``, and writes the updates into the original arrays. Every ``step`` checks that
the two trees have the same keys and shapes, and that no gradient is NaN or inf: a bad
gradient stops training at once instead of quietly turning every weight into NaN.
"""

from __future__ import annotations

import math

import numpy as np

from .params import flatten_params

__all__ = ["SGD", "Adam", "clip_grad_norm"]


def _number(value, name: str, low: float, high: float = math.inf, *, low_open=False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = (value > low if low_open else value >= low) and value < high
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g})"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def _pairs(params: dict, grads: dict) -> list:
    """``(key, param, grad)`` for every flattened key, after checking the two trees match."""
    flat_p = flatten_params(params, "params")
    flat_g = flatten_params(grads, "grads")
    missing = [k for k in flat_p if k not in flat_g]
    extra = [k for k in flat_g if k not in flat_p]
    if missing or extra:
        raise ValueError("grads must have the same keys as params; "
                         f"missing from grads: {missing}, in grads but not in params: {extra}")
    pairs = []
    for key, p in flat_p.items():
        g = flat_g[key]
        if p.dtype.kind != "f" or not p.flags.writeable:
            raise TypeError(f"params[{key!r}] must be a writeable floating-point ndarray "
                            f"(it is updated in place), got dtype {p.dtype}")
        if g.shape != p.shape:
            raise ValueError(f"grads[{key!r}] has shape {g.shape} but params[{key!r}] has "
                             f"shape {p.shape}")
        if g.dtype.kind != "f":
            raise TypeError(f"grads[{key!r}] must be a floating-point array, got dtype {g.dtype}")
        if not np.isfinite(g).all():
            raise ValueError(f"grads[{key!r}] contains NaN or inf; the loss has probably "
                             "diverged (try a smaller learning rate or clip_grad_norm)")
        pairs.append((key, p, g))
    return pairs


class _Optimizer:
    """Shared bookkeeping: hyperparameters, per-key state, the checks of ``step``."""

    def __init__(self):
        self.state: dict[str, dict] = {}

    def _state_for(self, key: str, p: np.ndarray, names: tuple) -> dict:
        """The state of ``params[key]``: arrays ``names`` (zeros at first) and the step count t."""
        state = self.state.get(key)
        if state is None:
            state = self.state[key] = {name: np.zeros_like(p) for name in names}
            state["t"] = 0
        elif any(state[name].shape != p.shape for name in names):
            raise ValueError(f"params[{key!r}] changed shape since the last step (now {p.shape}); "
                             "create a new optimiser for a new model")
        return state

    def step(self, params: dict, grads: dict) -> None:
        for key, p, g in _pairs(params, grads):
            self._update(key, p, g)

    def _update(self, key, p, g):  # pragma: no cover - overridden
        raise NotImplementedError


class SGD(_Optimizer):
    r"""Stochastic gradient descent, optionally with (heavy-ball) momentum.

    .. math::

        v \leftarrow \mu\, v + g, \qquad \theta \leftarrow \theta - \eta\, v

    With :math:`\mu = 0` this is plain gradient descent, :math:`\theta \leftarrow \theta -
    \eta g`. The velocity :math:`v` starts at 0 (this is the form PyTorch uses; writing
    :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v` is the same for a
    constant :math:`\eta`).

    Parameters
    ----------
    lr : float > 0
        :math:`\eta`, the learning rate.
    momentum : float in [0, 1)
        :math:`\mu`.

    Examples
    --------
    >>> params = {"w": np.array([1.0])}
    >>> SGD(lr=0.1).step(params, {"w": np.array([2.0])})
    >>> params["w"]
    array([0.8])
    """

    def __init__(self, lr: float, momentum: float = 0.0):
        super().__init__()
        self.lr = _number(lr, "lr", 0.0, low_open=True)
        self.momentum = _number(momentum, "momentum", 0.0, 1.0)

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"

    def step(self, params: dict, grads: dict) -> None:
        """Update every array of ``params`` in place from the matching ``grads``."""
        super().step(params, grads)

    def _update(self, key, p, g):
        if self.momentum == 0:
            p -= self.lr * g
            return
        state = self._state_for(key, p, ("velocity",))
        v = state["velocity"]
        v *= self.momentum
        v += g
        state["t"] += 1
        p -= self.lr * v


class Adam(_Optimizer):
    r"""Adam (Kingma and Ba 2015, ``kingma2015adam``), with bias correction.

    For each parameter, with :math:`m = v = 0` and :math:`t = 0` at the start:

    .. math::

        t &\leftarrow t + 1\\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2\\
        \hat m &= \frac{m}{1 - \beta_1^t} \qquad \hat v = \frac{v}{1 - \beta_2^t}\\
        \theta &\leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}

    :math:`m` and :math:`v` are exponential moving averages of the gradient and of its square.
    Because they start at 0, their weights add up to :math:`1 - \beta^t` rather than 1, which
    biases them towards 0 early on; dividing by :math:`1 - \beta^t` makes the weights add up
    to 1. The ratio :math:`\hat m / \sqrt{\hat v}` does not change when every gradient is
    multiplied by the same constant, so the size of a step is set by :math:`\eta`, not by the
    scale of the gradient, as long as :math:`\sqrt{\hat v}` is large next to :math:`\epsilon`
    (with a constant gradient, every coordinate moves by just under :math:`\eta` per step;
    a coordinate whose gradient changes sign moves less, and one whose gradient jumps after a
    quiet spell can move more). The step counter :math:`t` is kept per parameter in ``.state``.

    Parameters
    ----------
    lr : float > 0
        :math:`\eta`.
    beta1, beta2 : float in [0, 1)
    eps : float > 0
        :math:`\epsilon`, keeps the division finite where :math:`\hat v = 0`.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__()
        self.lr = _number(lr, "lr", 0.0, low_open=True)
        self.beta1 = _number(beta1, "beta1", 0.0, 1.0)
        self.beta2 = _number(beta2, "beta2", 0.0, 1.0)
        self.eps = _number(eps, "eps", 0.0, low_open=True)

    def __repr__(self):
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, eps={self.eps:g})"

    def step(self, params: dict, grads: dict) -> None:
        """Update every array of ``params`` in place from the matching ``grads``."""
        super().step(params, grads)

    def _update(self, key, p, g):
        state = self._state_for(key, p, ("m", "v"))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** t)
        v_hat = v / (1 - self.beta2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _check_clip(grads, max_norm) -> tuple[dict, float]:
    """The flattened gradients and ``max_norm`` for :func:`clip_grad_norm`, after checking that
    every gradient is a finite floating-point array and ``max_norm > 0``."""
    max_norm = _number(max_norm, "max_norm", 0.0, low_open=True)
    flat = flatten_params(grads, "grads")
    for key, g in flat.items():
        if g.dtype.kind != "f":
            raise TypeError(f"grads[{key!r}] must be a floating-point array, got dtype {g.dtype}")
    bad = [k for k, g in flat.items() if not np.isfinite(g).all()]
    if bad:
        raise ValueError(f"the gradient norm is not finite (NaN or inf in {bad}); "
                         "the loss has probably diverged")
    return flat, max_norm


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    r"""Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    .. math::

        \|g\| = \sqrt{\textstyle\sum_k \sum_i g_{k,i}^2}, \qquad
        g \leftarrow g \cdot \frac{\text{max\_norm}}{\|g\|} \quad \text{if } \|g\| > \text{max\_norm}

    The sum runs over every array :math:`k` of the (possibly nested) dict, and every array is
    scaled by the same factor, so the direction of the whole gradient is kept and only its
    length is capped (to ``max_norm``, up to rounding). With plain SGD that is also the
    direction of the update; an optimiser such as Adam rescales each coordinate afterwards,
    so its update need not point along the clipped gradient. Clipping the norm is the remedy
    Pascanu, Mikolov and Bengio (2013, ``pascanu2013difficulty``) propose for exploding
    gradients in recurrent networks.

    Parameters
    ----------
    grads : dict of ndarray (possibly nested)
        Scaled in place.
    max_norm : float > 0

    Returns
    -------
    float
        The global norm *before* clipping (worth logging: a spike signals trouble).
    """
    flat, max_norm = _check_clip(grads, max_norm)
    # Accumulate in float64: squares of float32 gradients can overflow float32.
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in flat.values()))
    if total > max_norm:
        scale = max_norm / total
        for g in flat.values():
            g *= scale
    return total
