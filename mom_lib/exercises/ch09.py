r"""Chapter 9 (modern optimizers): ``ex-09-adamw-step``, ``ex-09-averaging-step``.

``ex-09-adamw-step``: ``adamw_step(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay) ->
(x_next, m_next, s_next)``, one step of AdamW from the moments ``m``, ``s`` after ``t`` steps
(0 at the start) with the gradient ``g`` at ``x``,

.. math::

    m' = \beta_1 m + (1-\beta_1) g, \qquad s' = \beta_2 s + (1-\beta_2) g^2, \qquad
    x' = (1-\eta\lambda)\, x - \eta\, \frac{m' / (1-\beta_1^{t+1})}{\sqrt{s'/(1-\beta_2^{t+1})} + \epsilon}.

The reference is one call of :func:`mom_lib.adamw`.

``ex-09-averaging-step``: ``averaging_step(x, z, g, lr, beta) -> (x_next, z_next)``, heavy ball
written as primal averaging, with ``g`` the gradient at the average ``x``,

.. math::

    z' = z - \frac{\eta}{1-\beta}\, g, \qquad x' = \beta x + (1-\beta)\, z'.

One case chains the step from :math:`z_0 = x_0` on a quadratic and must reproduce
:func:`mom_lib.heavy_ball`'s iterates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..objectives import Quadratic
from ..optimizers import AdamState, adamw
from ..runner import run
from ..steps import heavy_ball
from ._core import Case, Exercise, Mistake, register

__all__: list[str] = []


# --------------------------------------------------------------------------- ex-09-adamw-step


def _adamw_step(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay):
    g = np.asarray(g, dtype=float)
    x_next, state = adamw(
        np.asarray(x, dtype=float),
        AdamState(int(t), np.asarray(m, dtype=float), np.asarray(s, dtype=float)),
        lambda _: g,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
    )
    return x_next, state.mu, state.nu


def _moments(m, s, g, beta1, beta2):
    return beta1 * m + (1 - beta1) * g, beta2 * s + (1 - beta2) * g * g


def _no_bias_correction(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay):
    m2, s2 = _moments(m, s, g, beta1, beta2)
    return x * (1 - lr * weight_decay) - lr * m2 / (np.sqrt(s2) + eps), m2, s2


def _swapped_betas(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay):
    return _adamw_step(x, m, s, t, g, lr, beta2, beta1, eps, weight_decay)


def _eps_inside(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay):
    m2, s2 = _moments(m, s, g, beta1, beta2)
    m_hat, s_hat = m2 / (1 - beta1 ** (t + 1)), s2 / (1 - beta2 ** (t + 1))
    return x * (1 - lr * weight_decay) - lr * m_hat / np.sqrt(s_hat + eps), m2, s2


def _coupled(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay):
    g = np.asarray(g, dtype=float) + weight_decay * np.asarray(x, dtype=float)
    return _adamw_step(x, m, s, t, g, lr, beta1, beta2, eps, 0.0)


_RNG = np.random.default_rng(9)
_X = _RNG.standard_normal(4)
_M = 0.3 * _RNG.standard_normal(4)
_S = 0.2 + _RNG.random(4)
_G = _RNG.standard_normal(4)
_Z4 = np.zeros(4)

register(
    Exercise(
        id="ex-09-adamw-step",
        signature="adamw_step(x, m, s, t, g, lr, beta1, beta2, eps, weight_decay) -> (x_next, m_next, s_next)",
        reference=_adamw_step,
        cases=[
            Case(
                "the first step (t = 0, zero moments), with decay",
                {
                    "x": _X,
                    "m": _Z4,
                    "s": _Z4,
                    "t": 0,
                    "g": _G,
                    "lr": 0.1,
                    "beta1": 0.9,
                    "beta2": 0.999,
                    "eps": 1e-8,
                    "weight_decay": 0.1,
                },
            ),
            Case(
                "after 5 steps, a large eps and small second moments",
                {
                    "x": _X,
                    "m": _M,
                    "s": 1e-3 * _S,
                    "t": 5,
                    "g": 0.05 * _G,
                    "lr": 0.01,
                    "beta1": 0.8,
                    "beta2": 0.95,
                    "eps": 1e-2,
                    "weight_decay": 0.5,
                },
            ),
            Case(
                "after 40 steps, no decay",
                {
                    "x": _X,
                    "m": _M,
                    "s": _S,
                    "t": 40,
                    "g": _G,
                    "lr": 0.05,
                    "beta1": 0.9,
                    "beta2": 0.99,
                    "eps": 1e-8,
                    "weight_decay": 0.0,
                },
            ),
        ],
        mistakes=[
            Mistake(
                "no-bias-correction",
                _no_bias_correction,
                "divide each moment by its total weight before using it: m' / (1 - beta1**(t + 1)) and "
                "s' / (1 - beta2**(t + 1)); without it the first step is off by (1 - beta1) / sqrt(1 - beta2), "
                "3.2 for the defaults.",
            ),
            Mistake(
                "swapped-betas",
                _swapped_betas,
                "beta1 (0.9) averages the gradients, beta2 (0.999) the squared gradients: "
                "m' = beta1 m + (1 - beta1) g, s' = beta2 s + (1 - beta2) g**2.",
            ),
            Mistake(
                "eps-inside-sqrt",
                _eps_inside,
                "eps goes outside the square root, as in PyTorch: sqrt(s_hat) + eps, not sqrt(s_hat + eps).",
            ),
            Mistake(
                "coupled-decay",
                _coupled,
                "that is Adam's coupled decay (lambda x added to the gradient, so it is normalized too); "
                "AdamW shrinks x directly: x' = (1 - lr * weight_decay) x - lr * m_hat / (sqrt(s_hat) + eps).",
            ),
        ],
    )
)


# --------------------------------------------------------------------------- ex-09-averaging-step


def _averaging_step(x, z, g, lr, beta):
    z_next = np.asarray(z, dtype=float) - lr / (1 - beta) * np.asarray(g, dtype=float)
    return beta * np.asarray(x, dtype=float) + (1 - beta) * z_next, z_next


def _plain_step(x, z, g, lr, beta):
    z_next = np.asarray(z, dtype=float) - lr * np.asarray(g, dtype=float)
    return beta * np.asarray(x, dtype=float) + (1 - beta) * z_next, z_next


def _swapped_weights(x, z, g, lr, beta):
    z_next = np.asarray(z, dtype=float) - lr / (1 - beta) * np.asarray(g, dtype=float)
    return (1 - beta) * np.asarray(x, dtype=float) + beta * z_next, z_next


def _old_z(x, z, g, lr, beta):
    z_next = np.asarray(z, dtype=float) - lr / (1 - beta) * np.asarray(g, dtype=float)
    return beta * np.asarray(x, dtype=float) + (1 - beta) * np.asarray(z, dtype=float), z_next


_F = Quadratic([10.0, 1.0], angle=0.3)
_X0 = np.array([1.0, -2.0])


def _drive_chain(fn, inputs: dict[str, Any]) -> Any:
    """Chain 30 steps from z_0 = x_0 with the gradient at the average: heavy ball's iterates."""
    x, z = inputs["x"], inputs["z"]
    xs = [np.asarray(x, dtype=float)]
    for _ in range(30):
        out = fn(x, z, _F.grad(np.asarray(x, dtype=float)), inputs["lr"], inputs["beta"])
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            return out
        x, z = out
        xs.append(np.asarray(x, dtype=float))
    return np.array(xs)


def _heavy_ball_path() -> Any:
    return run(heavy_ball, _F.grad, _X0, n_steps=30, lr=0.02, beta=0.8).x


_XA = _RNG.standard_normal(3)
_ZA = _RNG.standard_normal(3)
_GA = _RNG.standard_normal(3)

register(
    Exercise(
        id="ex-09-averaging-step",
        signature="averaging_step(x, z, g, lr, beta) -> (x_next, z_next)",
        reference=_averaging_step,
        cases=[
            Case("one step, z away from x", {"x": _XA, "z": _ZA, "g": _GA, "lr": 0.1, "beta": 0.9}),
            Case("one step, beta = 0.5", {"x": _XA, "z": _ZA, "g": -_GA, "lr": 0.3, "beta": 0.5}),
            Case(
                "30 chained steps from z = x on a quadratic are heavy ball's iterates",
                {"x": _X0, "z": _X0, "lr": 0.02, "beta": 0.8},
                drive=_drive_chain,
                expected=_heavy_ball_path,
            ),
        ],
        mistakes=[
            Mistake(
                "plain-step",
                _plain_step,
                "the averaged sequence z takes the effective step lr / (1 - beta), not lr: "
                "z' = z - lr / (1 - beta) * g.",
            ),
            Mistake(
                "swapped-weights",
                _swapped_weights,
                "the average keeps most of its past: x' = beta x + (1 - beta) z', not (1 - beta) x + beta z'.",
            ),
            Mistake(
                "old-z",
                _old_z,
                "average with the new point: x' = beta x + (1 - beta) z', where z' has already taken its step.",
            ),
        ],
    )
)
