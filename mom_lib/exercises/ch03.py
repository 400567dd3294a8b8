r"""Chapter 3 (the velocity update): ``ex-03-momentum-step``, ``ex-03-ema-lr``, ``ex-03-hb-matrix``.

``ex-03-momentum-step``: ``momentum_step(x, v, grad, lr, beta) -> (x_next, v_next)``, one
heavy-ball step in the book's (PyTorch) convention,

.. math::

    v_{t+1} = \beta v_t + \nabla f(x_t), \qquad x_{t+1} = x_t - \eta\, v_{t+1}.

The reference is :func:`mom_lib.heavy_ball`. Two cases chain many calls: a constant
gradient must drive the velocity to its terminal value :math:`g / (1 - \beta)`, and on a
quadratic the chained calls must reproduce :func:`mom_lib.run` with :func:`mom_lib.heavy_ball`.

``ex-03-ema-lr``: ``pytorch_to_ema(lr, beta) -> alpha``, the step size of the EMA form
(:math:`m' = \beta m + (1-\beta) g`, :math:`x' = x - \alpha m'`) giving the same iterates,
:math:`\alpha = \eta / (1 - \beta)`. The reference is :func:`mom_lib.translate`.

``ex-03-hb-matrix``: ``heavy_ball_matrix(lam, lr, beta) -> 2x2 array``, the matrix mapping
:math:`(x_t, x_{t-1})` to :math:`(x_{t+1}, x_t)` along an eigenvalue :math:`\lambda`,

.. math::

    M = \begin{pmatrix} 1 + \beta - \eta\lambda & -\beta \\ 1 & 0 \end{pmatrix}.

The reference is :func:`mom_lib.iteration_matrix`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..conventions import translate
from ..objectives import Quadratic
from ..runner import run
from ..steps import heavy_ball
from ..theory import iteration_matrix
from ._core import Case, Exercise, Mistake, is_state_pair, register, vec

__all__: list[str] = []


def _momentum_step(x, v, grad, lr, beta):
    return heavy_ball(x, v, lambda _: grad, lr=lr, beta=beta)


def _chain_constant(fn, inputs: dict[str, Any]) -> Any:
    """Call ``fn`` ``n_calls`` times with the same gradient, feeding its output back in."""
    x, v, grad, lr, beta = (inputs[k] for k in ("x", "v", "grad", "lr", "beta"))
    for _ in range(inputs["n_calls"]):
        out = fn(x, v, grad, lr, beta)
        if not is_state_pair(out, x):
            return out
        x, v = out
    return x, v


_F = Quadratic([0.5, 3.0], angle=0.4, center=[1.0, -2.0])
_X0 = np.array([3.0, 1.0])


def _chain_quadratic(fn, inputs: dict[str, Any]) -> Any:
    """Call ``fn`` ``n_calls`` times on the quadratic ``_F``, with the gradient at the current x."""
    x, v, lr, beta = (inputs[k] for k in ("x", "v", "lr", "beta"))
    for _ in range(inputs["n_calls"]):
        out = fn(x, v, _F.grad(x), lr, beta)
        if not is_state_pair(out, x):
            return out
        x, v = out
    return x, v


def _run_quadratic() -> tuple[np.ndarray, np.ndarray]:
    res = run(heavy_ball, _F.grad, _X0, n_steps=25, lr=0.1, beta=0.8)
    return res.final, res.v


def _sign(x, v, grad, lr, beta):
    v_next = beta * v - grad
    return x - lr * v_next, v_next


def _no_memory(x, v, grad, lr, beta):
    v_next = grad
    return x - lr * v_next, v_next


def _no_beta(x, v, grad, lr, beta):
    v_next = v + grad
    return x - lr * v_next, v_next


def _old_v(x, v, grad, lr, beta):
    return x - lr * v, beta * v + grad


def _keras(x, v, grad, lr, beta):
    v_next = beta * v - lr * grad
    return x + v_next, v_next


def _swapped(x, v, grad, lr, beta):
    v_next = beta * v + grad
    return v_next, x - lr * v_next


def _shape(x, v, grad, lr, beta):
    v_next = beta * v[:, None] + grad
    return x - lr * v_next, v_next


register(
    Exercise(
        id="ex-03-momentum-step",
        signature="momentum_step(x, v, grad, lr, beta) -> (x_next, v_next)",
        reference=_momentum_step,
        cases=[
            Case(
                "one step",
                {"x": vec(1.0, -2.0), "v": vec(0.5, 0.25), "grad": vec(2.0, -1.0), "lr": 0.1, "beta": 0.9},
            ),
            Case(
                "beta = 0 is gradient descent",
                {"x": vec(0.5, 1.5), "v": vec(3.0, -1.0), "grad": vec(1.0, 2.0), "lr": 0.2, "beta": 0.0},
            ),
            Case(
                "a zero gradient decays the velocity by beta",
                {"x": vec(2.0, 0.0), "v": vec(1.0, -2.0), "grad": vec(0.0, 0.0), "lr": 0.1, "beta": 0.7},
            ),
            Case(
                "a 3-D step",
                {
                    "x": vec(0.0, 1.0, -1.0),
                    "v": vec(-0.5, 0.2, 0.0),
                    "grad": vec(1.5, -0.5, 4.0),
                    "lr": 0.05,
                    "beta": 0.5,
                },
            ),
            Case(
                "a 1-D step from rest",
                {"x": vec(1.0), "v": vec(0.0), "grad": vec(2.0), "lr": 0.1, "beta": 0.9},
            ),
            Case(
                "200 calls with a constant gradient reach the terminal velocity grad / (1 - beta)",
                {
                    "x": vec(0.0, 0.0),
                    "v": vec(0.0, 0.0),
                    "grad": vec(2.0, -1.0),
                    "lr": 0.01,
                    "beta": 0.9,
                    "n_calls": 200,
                },
                drive=_chain_constant,
            ),
            Case(
                "25 calls on a quadratic, feeding back x and v, give mom_lib.run(heavy_ball, ...)",
                {"x": _X0, "v": vec(0.0, 0.0), "lr": 0.1, "beta": 0.8, "n_calls": 25},
                drive=_chain_quadratic,
                expected=_run_quadratic,
            ),
        ],
        mistakes=[
            Mistake(
                "sign",
                _sign,
                "the velocity accumulates the gradient: v_next = beta * v + grad (plus), and the step "
                "subtracts it: x_next = x - lr * v_next.",
            ),
            Mistake(
                "no-memory",
                _no_memory,
                "you forgot beta * v: without it v_next is just the gradient and this is gradient "
                "descent. v_next = beta * v + grad.",
            ),
            Mistake(
                "no-beta",
                _no_beta,
                "the old velocity must be scaled by beta: v_next = beta * v + grad, not v + grad "
                "(which never forgets and grows without bound under a constant gradient).",
            ),
            Mistake(
                "old-v",
                _old_v,
                "you moved x with the old velocity; update v first, then x_next = x - lr * v_next.",
            ),
            Mistake(
                "keras",
                _keras,
                "this is the Sutskever/Keras convention (v' = beta * v - lr * grad, x' = x + v'); the "
                "book uses PyTorch's: v_next = beta * v + grad, x_next = x - lr * v_next. Same iterates, "
                "but the velocity differs by the factor -lr.",
            ),
            Mistake(
                "swapped",
                _swapped,
                "you returned (v_next, x_next); return (x_next, v_next) in this order.",
            ),
            Mistake(
                "shape",
                _shape,
                "your arrays have shape (d, d): a (d, 1) array broadcast against a (d,) one. Keep x, v "
                "and grad of shape (d,) throughout.",
            ),
        ],
    )
)


def _pytorch_to_ema(lr, beta):
    return float(translate(lr=lr, beta=beta, source="pytorch", target="ema")["lr"])


register(
    Exercise(
        id="ex-03-ema-lr",
        signature="pytorch_to_ema(lr, beta) -> alpha",
        reference=_pytorch_to_ema,
        cases=[
            Case("lr = 0.1, beta = 0.9", {"lr": 0.1, "beta": 0.9}),
            Case("lr = 0.01, beta = 0.5", {"lr": 0.01, "beta": 0.5}),
            Case("beta = 0: both forms are gradient descent", {"lr": 0.2, "beta": 0.0}),
            Case("lr = 0.05, beta = 0.99", {"lr": 0.05, "beta": 0.99}),
        ],
        mistakes=[
            Mistake(
                "times-1-minus-beta",
                lambda lr, beta: lr * (1 - beta),
                "lr * (1 - beta) goes the other way (EMA to PyTorch). The EMA's average is (1 - beta) "
                "times PyTorch's velocity, so its step size must be larger: alpha = lr / (1 - beta).",
            ),
            Mistake(
                "times-beta",
                lambda lr, beta: lr * beta,
                "the rescaling involves 1 - beta, not beta: the EMA average m = (1 - beta) v, so "
                "alpha = lr / (1 - beta).",
            ),
            Mistake(
                "over-beta",
                lambda lr, beta: lr / beta,
                "divide by 1 - beta, not by beta: the EMA average m = (1 - beta) v, so alpha = lr / (1 - beta).",
            ),
        ],
    )
)


def _heavy_ball_matrix(lam, lr, beta):
    return iteration_matrix(lam, lr=lr, beta=beta)


register(
    Exercise(
        id="ex-03-hb-matrix",
        signature="heavy_ball_matrix(lam, lr, beta) -> 2x2 array",
        reference=_heavy_ball_matrix,
        cases=[
            Case("lam = 1, lr = 0.5, beta = 0.25", {"lam": 1.0, "lr": 0.5, "beta": 0.25}),
            Case("lam = 2, lr = 0.1, beta = 0.9", {"lam": 2.0, "lr": 0.1, "beta": 0.9}),
            Case("lam = 0: a flat direction", {"lam": 0.0, "lr": 0.3, "beta": 0.5}),
            Case("beta = 0: gradient descent", {"lam": 10.0, "lr": 0.05, "beta": 0.0}),
        ],
        mistakes=[
            Mistake(
                "beta-sign",
                lambda lam, lr, beta: np.array([[1 + beta - lr * lam, beta], [1.0, 0.0]]),
                "x_{t+1} = (1 + beta - lr*lam) x_t - beta x_{t-1}: the top-right entry is -beta.",
            ),
            Mistake(
                "no-beta-diagonal",
                lambda lam, lr, beta: np.array([[1 - lr * lam, -beta], [1.0, 0.0]]),
                "the top-left entry is 1 + beta - lr*lam: the momentum term beta (x_t - x_{t-1}) "
                "adds beta to it as well as -beta to the top-right entry.",
            ),
            Mistake(
                "transposed",
                lambda lam, lr, beta: np.array([[1 + beta - lr * lam, 1.0], [-beta, 0.0]]),
                "your matrix is transposed: the first row gives x_{t+1} from (x_t, x_{t-1}), the "
                "second row copies x_t, so it is [1, 0].",
            ),
        ],
    )
)
