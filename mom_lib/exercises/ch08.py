r"""Chapter 8 (training networks): ``ex-08-backprop``, ``ex-08-momentum-dict``, ``ex-08-hvp``.

``ex-08-backprop``: ``tanh_layer_backward(a_prev, W, delta) -> (grad_W, grad_b, delta_prev)``,
one step of backpropagation through a layer :math:`z = a_\text{prev} W + b` whose input is the
output of a tanh layer, :math:`a_\text{prev} = \tanh(z_\text{prev})`: given the error
:math:`\delta = \partial f / \partial z` of shape ``(B, n_out)``,

.. math::

    \nabla_W f = a_\text{prev}^\top \delta, \qquad \nabla_b f = \textstyle\sum_i \delta_i, \qquad
    \delta_\text{prev} = (\delta W^\top) \odot (1 - a_\text{prev}^2).

The reference is what :meth:`mom_lib.network.MLP.loss_grad` does for each layer.

``ex-08-momentum-dict``: ``momentum_step_dict(params, velocity, grads, lr, beta) -> (params_next,
velocity_next)``, the book's momentum step :math:`v \leftarrow \beta v + g`,
:math:`w \leftarrow w - \eta v` applied to every array of a parameter dictionary (as a framework
keeps a network's layers). The reference applies :func:`mom_lib.heavy_ball` to each entry.

``ex-08-hvp``: ``hvp_fd(grad_fn, w, u, eps) -> array``, the Hessian-vector product by a
central difference of gradients along the unit direction of ``u``,

.. math::

    H u \approx \frac{\nabla f(w + h u) - \nabla f(w - h u)}{2h}, \qquad h = \frac{\epsilon}{\lVert u\rVert}.

The reference is :meth:`mom_lib.network.MLP.hvp`'s formula; the cases use a quadratic (where
the difference is exact), and a network's gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..network import MLP
from ..objectives import Quadratic
from ..steps import heavy_ball
from ._core import Case, Exercise, Mistake, register

__all__: list[str] = []


# --------------------------------------------------------------------------- ex-08-backprop


def _backprop(a_prev, W, delta):  # noqa: N803
    return a_prev.T @ delta, delta.sum(axis=0), (delta @ W.T) * (1 - a_prev**2)


def _no_derivative(a_prev, W, delta):  # noqa: N803
    return a_prev.T @ delta, delta.sum(axis=0), delta @ W.T


def _wrong_derivative(a_prev, W, delta):  # noqa: N803
    return a_prev.T @ delta, delta.sum(axis=0), (delta @ W.T) * (1 - np.tanh(a_prev) ** 2)


def _mean_bias(a_prev, W, delta):  # noqa: N803
    return a_prev.T @ delta, delta.mean(axis=0), (delta @ W.T) * (1 - a_prev**2)


def _transposed(a_prev, W, delta):  # noqa: N803
    return delta.T @ a_prev, delta.sum(axis=0), (delta @ W.T) * (1 - a_prev**2)


_RNG = np.random.default_rng(8)
_A1 = np.tanh(_RNG.standard_normal((5, 4)))
_W1 = _RNG.standard_normal((4, 3))
_D1 = _RNG.standard_normal((5, 3))
_A2 = np.tanh(2 * _RNG.standard_normal((7, 6)))
_W2 = _RNG.standard_normal((6, 6))
_D2 = 0.1 * _RNG.standard_normal((7, 6))

register(
    Exercise(
        id="ex-08-backprop",
        signature="tanh_layer_backward(a_prev, W, delta) -> (grad_W, grad_b, delta_prev)",
        reference=_backprop,
        cases=[
            Case("a batch of 5, a 4 -> 3 layer", {"a_prev": _A1, "W": _W1, "delta": _D1}),
            Case("a batch of 7, a square 6 -> 6 layer, saturated tanh", {"a_prev": _A2, "W": _W2, "delta": _D2}),
            Case(
                "one sample: grad_W is an outer product",
                {"a_prev": _A1[:1], "W": _W1, "delta": _D1[:1]},
            ),
        ],
        mistakes=[
            Mistake(
                "no-derivative",
                _no_derivative,
                "delta @ W.T is the error at the previous layer's output a_prev; to reach its "
                "pre-activation multiply by tanh's derivative, 1 - a_prev**2.",
            ),
            Mistake(
                "tanh-of-a",
                _wrong_derivative,
                "a_prev is already tanh(z_prev): tanh's derivative is 1 - a_prev**2, not 1 - tanh(a_prev)**2.",
            ),
            Mistake(
                "mean-bias",
                _mean_bias,
                "the loss already averages over the batch (delta carries the 1/B): the bias gradient is "
                "the sum of delta over the samples, delta.sum(axis=0), not its mean.",
            ),
            Mistake(
                "transposed",
                _transposed,
                "grad_W must have W's shape (n_in, n_out): a_prev.T @ delta, not delta.T @ a_prev.",
            ),
        ],
    )
)


# --------------------------------------------------------------------------- ex-08-momentum-dict


def _momentum_dict(params, velocity, grads, lr, beta):
    new_p, new_v = {}, {}
    for k in params:
        new_p[k], new_v[k] = heavy_ball(params[k], velocity[k], lambda _, k=k: grads[k], lr=lr, beta=beta)
    return new_p, new_v


def _as_arrays(out: Any, keys: list[str]) -> Any:
    """A pair of dictionaries as one tuple of arrays in key order (anything else unchanged)."""
    if isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(o, dict) and sorted(o) == keys for o in out):
        return tuple(np.asarray(o[k]) for o in out for k in keys)
    return out


def _drive_dict(fn, inputs: dict[str, Any]) -> Any:
    return _as_arrays(fn(*inputs.values()), sorted(inputs["params"]))


def _drive_chain(fn, inputs: dict[str, Any]) -> Any:
    """Five calls on a quadratic per entry, with the gradient at the current parameters."""
    keys = sorted(inputs["params"])
    params, velocity = inputs["params"], inputs["velocity"]
    for _ in range(5):
        grads = {k: inputs["curvature"][k] * params[k] for k in keys}
        out = fn(params, velocity, grads, inputs["lr"], inputs["beta"])
        if _as_arrays(out, keys) is out:
            return out
        params, velocity = out
    return _as_arrays((params, velocity), keys)


def _sutskever_dict(params, velocity, grads, lr, beta):
    new_v = {k: beta * velocity[k] - lr * grads[k] for k in params}
    return {k: params[k] + new_v[k] for k in params}, new_v


def _old_velocity(params, velocity, grads, lr, beta):
    new_v = {k: beta * velocity[k] + grads[k] for k in params}
    return {k: params[k] - lr * velocity[k] for k in params}, new_v


def _ema_dict(params, velocity, grads, lr, beta):
    new_v = {k: beta * velocity[k] + (1 - beta) * grads[k] for k in params}
    return {k: params[k] - lr * new_v[k] for k in params}, new_v


def _gradient_step(params, velocity, grads, lr, beta):
    new_v = {k: beta * velocity[k] + grads[k] for k in params}
    return {k: params[k] - lr * grads[k] for k in params}, new_v


_P = {"W1": _RNG.standard_normal((3, 2)), "b1": _RNG.standard_normal(2), "W2": _RNG.standard_normal((2, 4))}
_V = {k: 0.3 * _RNG.standard_normal(v.shape) for k, v in _P.items()}
_G = {k: _RNG.standard_normal(v.shape) for k, v in _P.items()}
_Z = {k: np.zeros_like(v) for k, v in _P.items()}
_C = {"W1": np.full((3, 2), 2.0), "b1": np.array([0.5, 1.5]), "W2": np.full((2, 4), 4.0)}

register(
    Exercise(
        id="ex-08-momentum-dict",
        signature="momentum_step_dict(params, velocity, grads, lr, beta) -> (params_next, velocity_next)",
        reference=_momentum_dict,
        cases=[
            Case(
                "three layers, a nonzero velocity",
                {"params": _P, "velocity": _V, "grads": _G, "lr": 0.1, "beta": 0.9},
                drive=_drive_dict,
            ),
            Case(
                "the first step: zero velocity",
                {"params": _P, "velocity": _Z, "grads": _G, "lr": 0.05, "beta": 0.7},
                drive=_drive_dict,
            ),
            Case(
                "five chained calls on a quadratic in every entry",
                {"params": _P, "velocity": _Z, "grads": _G, "lr": 0.1, "beta": 0.8, "curvature": _C},
                drive=_drive_chain,
            ),
        ],
        mistakes=[
            Mistake(
                "sutskever",
                _sutskever_dict,
                "that is the Sutskever/Keras form (v <- beta v - lr g, w <- w + v); the book's convention is "
                "PyTorch's: v <- beta v + g, then w <- w - lr v.",
            ),
            Mistake(
                "old-velocity",
                _old_velocity,
                "update the velocity first and step with the new one: w <- w - lr * (beta v + g).",
            ),
            Mistake(
                "ema",
                _ema_dict,
                "the book's velocity adds the full gradient, v <- beta v + g; the factor (1 - beta) belongs "
                "to the EWMA form, which needs lr / (1 - beta) to give the same steps.",
            ),
            Mistake(
                "gradient-step",
                _gradient_step,
                "the parameters move along the velocity, w <- w - lr * v_next, not along the gradient alone.",
            ),
        ],
    )
)


# --------------------------------------------------------------------------- ex-08-hvp


def _hvp(grad_fn, w, u, eps):
    h = eps / np.linalg.norm(u)
    return (grad_fn(w + h * u) - grad_fn(w - h * u)) / (2 * h)


def _forward(grad_fn, w, u, eps):
    h = eps / np.linalg.norm(u)
    return (grad_fn(w + h * u) - grad_fn(w)) / h


def _no_norm(grad_fn, w, u, eps):
    return (grad_fn(w + eps * u) - grad_fn(w - eps * u)) / (2 * eps)


def _half(grad_fn, w, u, eps):
    h = eps / np.linalg.norm(u)
    return (grad_fn(w + h * u) - grad_fn(w - h * u)) / h


def _unit(grad_fn, w, u, eps):
    n = np.linalg.norm(u)
    h = eps / n
    return (grad_fn(w + h * u) - grad_fn(w - h * u)) / (2 * h) / n


_Q = Quadratic([0.5, 4.0, 10.0])
_NET = MLP(np.tanh(_RNG.standard_normal((12, 5))), np.arange(12) % 3, hidden=(4,))
_W_NET = _NET.init(np.random.default_rng(0))

register(
    Exercise(
        id="ex-08-hvp",
        signature="hvp_fd(grad_fn, w, u, eps) -> array",
        reference=_hvp,
        cases=[
            Case(
                "a quadratic: H u exactly, u of length 5",
                {"grad_fn": _Q.grad, "w": np.array([1.0, -2.0, 0.5]), "u": np.array([3.0, 0.0, 4.0]), "eps": 1e-3},
            ),
            Case(
                "a quadratic, a short u",
                {"grad_fn": _Q.grad, "w": np.zeros(3), "u": np.array([0.1, 0.2, 0.0]), "eps": 1e-2},
            ),
            Case(
                "a small network's gradient, a long u: the step along u must have length eps",
                {"grad_fn": _NET.grad, "w": _W_NET, "u": np.linspace(-1.0, 2.0, _NET.d), "eps": 0.05},
            ),
        ],
        mistakes=[
            Mistake(
                "forward-difference",
                _forward,
                "use the central difference (grad(w + h u) - grad(w - h u)) / (2h): the one-sided "
                "difference (grad(w + h u) - grad(w)) / h has an error of order h.",
            ),
            Mistake(
                "step-not-normalized",
                _no_norm,
                "the step along u must have length eps: h = eps / ||u||, so that w + h u moves by eps "
                "whatever the length of u.",
            ),
            Mistake(
                "missing-two",
                _half,
                "the central difference spans 2h (from w - h u to w + h u): divide by 2h.",
            ),
            Mistake(
                "unit-direction",
                _unit,
                "return H u for the u you were given, not H u / ||u||: the Hessian-vector product is linear in u.",
            ),
        ],
        rtol=1e-6,
        atol=1e-9,
    )
)
