r"""Chapter 1 (gradient descent): ``ex-01-gd-step`` and ``ex-01-gd-optimal``.

``ex-01-gd-step``: ``gd_step(x, grad, lr) -> x_next``, one step of gradient descent,

.. math::

    x_{t+1} = x_t - \eta \nabla f(x_t),

with ``x`` and ``grad`` of shape ``(d,)``. The reference is :func:`mom_lib.gd`.

``ex-01-gd-optimal``: ``gd_optimal(mu, L) -> (lr, rate)``, the best constant step on a
quadratic with eigenvalues in :math:`[\mu, L]` and the rate it achieves,

.. math::

    \eta^\star = \frac{2}{\mu + L}, \qquad \rho^\star = \frac{L - \mu}{L + \mu} = \frac{\kappa - 1}{\kappa + 1}.

The references are :func:`mom_lib.gd_optimal_lr` and :func:`mom_lib.gd_optimal_rate`.
"""

from __future__ import annotations

import numpy as np

from ..steps import gd
from ..theory import gd_optimal_lr, gd_optimal_rate
from ._core import Case, Exercise, Mistake, register, vec

__all__: list[str] = []


def _gd_step(x, grad, lr):
    return gd(x, np.zeros_like(x), lambda _: grad, lr=lr)[0]


def _gd_optimal(mu, L):
    return float(gd_optimal_lr(mu, L)), float(gd_optimal_rate(mu, L))


register(
    Exercise(
        id="ex-01-gd-step",
        signature="gd_step(x, grad, lr) -> x_next",
        reference=_gd_step,
        cases=[
            Case("a 2-D step", {"x": vec(1.0, -2.0), "grad": vec(0.5, 3.0), "lr": 0.1}),
            Case("a 3-D step", {"x": vec(0.0, 4.0, -1.5), "grad": vec(-2.0, 1.0, 0.25), "lr": 0.25}),
            Case("lr = 0 stays put", {"x": vec(3.0, -1.0), "grad": vec(2.0, 5.0), "lr": 0.0}),
            Case("a zero gradient stays put", {"x": vec(0.7, 0.2), "grad": vec(0.0, 0.0), "lr": 0.3}),
            Case("a 1-D problem", {"x": vec(2.0), "grad": vec(4.0), "lr": 0.05}),
            Case("a large step", {"x": vec(1.0, 1.0, 1.0, 1.0), "grad": vec(1.0, -1.0, 2.0, -2.0), "lr": 1.5}),
        ],
        mistakes=[
            Mistake(
                "sign",
                lambda x, grad, lr: x + lr * grad,
                "you stepped uphill: the gradient points to where f grows, so subtract it: x - lr * grad.",
            ),
            Mistake(
                "forgot-lr",
                lambda x, grad, lr: x - grad,
                "the step is scaled by the learning rate: x - lr * grad, not x - grad.",
            ),
            Mistake(
                "step-only",
                lambda x, grad, lr: -lr * grad,
                "you returned the step -lr * grad; return the new point x - lr * grad.",
            ),
            Mistake(
                "scalar",
                lambda x, grad, lr: np.sum(x - lr * grad),
                "you returned one number; return an array of the same shape (d,) as x (do not sum).",
            ),
        ],
    )
)

register(
    Exercise(
        id="ex-01-gd-optimal",
        signature="gd_optimal(mu, L) -> (lr, rate)",
        reference=_gd_optimal,
        cases=[
            Case("mu = 1, L = 10", {"mu": 1.0, "L": 10.0}),
            Case("mu = 0.5, L = 2", {"mu": 0.5, "L": 2.0}),
            Case("a badly conditioned problem", {"mu": 0.1, "L": 100.0}),
            Case("kappa = 1: one step solves it", {"mu": 3.0, "L": 3.0}),
            Case("mu = 2, L = 3", {"mu": 2.0, "L": 3.0}),
        ],
        mistakes=[
            Mistake(
                "lr-1/L",
                lambda mu, L: (1 / L, (L - mu) / (L + mu)),
                "1/L is a safe step but not the best one: the best step balances the slowest and the "
                "fastest direction, |1 - lr * mu| = |1 - lr * L|, which gives lr = 2 / (mu + L).",
            ),
            Mistake(
                "lr-2/L",
                lambda mu, L: (2 / L, (L - mu) / (L + mu)),
                "2/L is the edge of stability: with it the direction with eigenvalue L does not "
                "converge. The best step is 2 / (mu + L).",
            ),
            Mistake(
                "swapped",
                lambda mu, L: ((L - mu) / (L + mu), 2 / (mu + L)),
                "you returned (rate, lr); return (lr, rate) in this order.",
            ),
            Mistake(
                "rate-1/L",
                lambda mu, L: (2 / (mu + L), (L / mu - 1) / (L / mu)),
                "(kappa - 1) / kappa is the rate of the step 1/L; at the best step the rate is "
                "(kappa - 1) / (kappa + 1) = (L - mu) / (L + mu).",
            ),
        ],
    )
)
