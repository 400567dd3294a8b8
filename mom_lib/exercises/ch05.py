r"""Chapter 5 (Nesterov's accelerated gradient): ``ex-05-nesterov-step``, ``ex-05-nesterov-edge``.

``ex-05-nesterov-step``: ``nesterov_step(x, v, grad_fn, lr, beta) -> (x_next, v_next)``, one step of
Nesterov's method in the book's (PyTorch) form,

.. math::

    g_t = \nabla f(x_t), \qquad v_{t+1} = \beta v_t + g_t, \qquad x_{t+1} = x_t - \eta\,(g_t + \beta v_{t+1}).

The reference is :func:`mom_lib.nesterov`. One case chains calls on a quadratic and must
reproduce :func:`mom_lib.run` with :func:`mom_lib.nesterov`.

``ex-05-nesterov-edge``: ``nesterov_stability_limit(beta) -> float``, the largest
:math:`\eta\lambda` for which Nesterov's method converges on a quadratic,

.. math::

    \frac{2 + 2\beta}{1 + 2\beta}.

The reference is :func:`mom_lib.stability_limit` with ``method="nesterov"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..objectives import Quadratic
from ..runner import run
from ..steps import nesterov
from ..theory import stability_limit
from ._core import Case, Exercise, Mistake, is_state_pair, register, vec

__all__: list[str] = []


def _nesterov_step(x, v, grad_fn, lr, beta):
    return nesterov(x, v, grad_fn, lr=lr, beta=beta)


_F = Quadratic([0.5, 3.0], angle=0.4, center=[1.0, -2.0])
_X0 = np.array([3.0, 1.0])


def _cubic_grad(x: np.ndarray) -> np.ndarray:
    """Gradient of sum(x^4 / 4 + x^2 / 2): not linear, so where it is evaluated matters."""
    return x**3 + x


def _chain_quadratic(fn, inputs: dict[str, Any]) -> Any:
    """Call ``fn`` ``n_calls`` times on the quadratic ``_F``, feeding back x and v."""
    x, v, lr, beta = (inputs[k] for k in ("x", "v", "lr", "beta"))
    for _ in range(inputs["n_calls"]):
        out = fn(x, v, _F.grad, lr, beta)
        if not is_state_pair(out, x):
            return out
        x, v = out
    return x, v


def _run_quadratic() -> tuple[np.ndarray, np.ndarray]:
    res = run(nesterov, _F.grad, _X0, n_steps=25, lr=0.1, beta=0.8)
    return res.final, res.v


def _heavy_ball(x, v, grad_fn, lr, beta):
    v_next = beta * v + grad_fn(x)
    return x - lr * v_next, v_next


def _lookahead_twice(x, v, grad_fn, lr, beta):
    g = grad_fn(x - lr * beta * v)
    v_next = beta * v + g
    return x - lr * (g + beta * v_next), v_next


def _uphill(x, v, grad_fn, lr, beta):
    g = grad_fn(x)
    v_next = beta * v + g
    return x + lr * (g + beta * v_next), v_next


def _minus_beta(x, v, grad_fn, lr, beta):
    g = grad_fn(x)
    v_next = beta * v + g
    return x - lr * (g - beta * v_next), v_next


def _swapped(x, v, grad_fn, lr, beta):
    g = grad_fn(x)
    v_next = beta * v + g
    return v_next, x - lr * (g + beta * v_next)


register(
    Exercise(
        id="ex-05-nesterov-step",
        signature="nesterov_step(x, v, grad_fn, lr, beta) -> (x_next, v_next)",
        reference=_nesterov_step,
        cases=[
            Case(
                "one step on a quadratic with a velocity",
                {"x": vec(2.0, -1.0), "v": vec(0.5, 1.5), "grad_fn": _F.grad, "lr": 0.1, "beta": 0.9},
            ),
            Case(
                "a step on a non-quadratic function, gradient x^3 + x",
                {"x": vec(1.5, -0.5), "v": vec(-2.0, 0.7), "grad_fn": _cubic_grad, "lr": 0.05, "beta": 0.7},
            ),
            Case(
                "beta = 0 is gradient descent",
                {"x": vec(0.5, 1.5), "v": vec(3.0, -1.0), "grad_fn": _cubic_grad, "lr": 0.2, "beta": 0.0},
            ),
            Case(
                "a 1-D step from rest",
                {"x": vec(1.0), "v": vec(0.0), "grad_fn": _cubic_grad, "lr": 0.1, "beta": 0.9},
            ),
            Case(
                "25 calls on a quadratic, feeding back x and v, give mom_lib.run(nesterov, ...)",
                {"x": _X0, "v": vec(0.0, 0.0), "lr": 0.1, "beta": 0.8, "n_calls": 25},
                drive=_chain_quadratic,
                expected=_run_quadratic,
            ),
        ],
        mistakes=[
            Mistake(
                "heavy-ball",
                _heavy_ball,
                "this is heavy ball (x_next = x - lr * v_next). Nesterov's step in the PyTorch form adds "
                "the fresh gradient to beta times the new velocity: x_next = x - lr * (g + beta * v_next).",
            ),
            Mistake(
                "lookahead-twice",
                _lookahead_twice,
                "in the PyTorch form the stored x already is the look-ahead point: take the gradient at x "
                "itself, g = grad_fn(x). Evaluating it at x - lr * beta * v looks ahead a second time.",
            ),
            Mistake(
                "uphill",
                _uphill,
                "the step goes downhill: x_next = x - lr * (g + beta * v_next), with a minus.",
            ),
            Mistake(
                "minus-beta",
                _minus_beta,
                "the momentum term is added to the gradient: x_next = x - lr * (g + beta * v_next), "
                "not g - beta * v_next.",
            ),
            Mistake(
                "swapped",
                _swapped,
                "you returned (v_next, x_next); return (x_next, v_next) in this order.",
            ),
        ],
    )
)


def _nesterov_stability_limit(beta):
    return float(stability_limit(beta, method="nesterov"))


register(
    Exercise(
        id="ex-05-nesterov-edge",
        signature="nesterov_stability_limit(beta) -> float",
        reference=_nesterov_stability_limit,
        cases=[
            Case("beta = 0: gradient descent's edge", {"beta": 0.0}),
            Case("beta = 0.9", {"beta": 0.9}),
            Case("beta = 0.3", {"beta": 0.3}),
            Case("beta = 0.99", {"beta": 0.99}),
        ],
        mistakes=[
            Mistake(
                "heavy-ball",
                lambda beta: 2 + 2 * beta,
                "2 + 2 beta is heavy ball's edge. Nesterov's characteristic polynomial has the factor "
                "(1 - eta lambda) on both coefficients; p(-1) = 1 + (1 + 2 beta)(1 - eta lambda) = 0 gives "
                "(2 + 2 beta) / (1 + 2 beta).",
            ),
            Mistake(
                "numerator-2",
                lambda beta: 2 / (1 + 2 * beta),
                "the numerator is 2 + 2 beta: solve 1 + (1 + 2 beta)(1 - h) = 0 for h, "
                "h = 1 + 1 / (1 + 2 beta) = (2 + 2 beta) / (1 + 2 beta). At beta = 0 the edge must be 2.",
            ),
            Mistake(
                "denominator-1-plus-beta",
                lambda beta: (2 + 2 * beta) / (1 + beta),
                "(2 + 2 beta) / (1 + beta) is always 2. In p(-1) = 1 + (1 + beta)(1 - h) + beta (1 - h) the "
                "two terms add up to (1 + 2 beta)(1 - h), so the denominator is 1 + 2 beta.",
            ),
        ],
    )
)
