r"""Chapter 7 (noise and batch size): ``ex-07-stationary-variance``, ``ex-07-moment-step``, ``ex-07-critical-batch``.

``ex-07-stationary-variance``: ``stationary_variance(lam, lr, beta, noise_var) -> float``, the
stationary variance of heavy ball's iterate on :math:`\tfrac12\lambda x^2` with gradient noise of
variance :math:`\sigma^2`,

.. math::

    \operatorname{Var} x_\infty = \frac{\eta\sigma^2 (1+\beta)}{\lambda (1-\beta)(2 + 2\beta - \eta\lambda)} .

The reference is entry :math:`(x, x)` of :func:`mom_lib.stationary_covariance`.

``ex-07-moment-step``: ``moment_step(P, lam, lr, beta, noise_var) -> P_next``, one step of the
second-moment recursion of heavy ball along one eigen-direction,

.. math::

    P_{t+1} = R P_t R^\top + \sigma^2 b b^\top, \qquad
    R = \begin{pmatrix} 1 - \eta\lambda & -\eta\beta \\ \lambda & \beta \end{pmatrix}, \qquad
    b = \begin{pmatrix} -\eta \\ 1 \end{pmatrix},

with ``P`` the 2 x 2 matrix of :math:`\mathbb E[x^2], \mathbb E[xv], \mathbb E[v^2]`. One case
chains 400 steps, which must reach :func:`mom_lib.stationary_covariance`.

``ex-07-critical-batch``: ``critical_batch(batch_sizes, steps) -> float``, the batch size at
which the steps to a target are twice their minimum, interpolating :math:`\log S` linearly in
:math:`\log B` between the two grid points around it. The reference is
:func:`mom_lib.critical_batch_size`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..noise import critical_batch_size, stationary_covariance
from ._core import Case, Exercise, Mistake, register

__all__: list[str] = []


# ----------------------------------------------------------------------------- stationary variance


def _stationary_variance(lam, lr, beta, noise_var):
    return float(stationary_covariance(lam, lr=lr, beta=beta, noise_var=noise_var)[0, 0])


def _var_sgd(lam, lr, beta, noise_var):
    return float(lr * noise_var / (lam * (2 - lr * lam)))


def _var_no_one_plus_beta(lam, lr, beta, noise_var):
    return float(lr * noise_var / (lam * (1 - beta) * (2 + 2 * beta - lr * lam)))


def _var_gd_edge(lam, lr, beta, noise_var):
    return float(lr * noise_var * (1 + beta) / (lam * (1 - beta) * (2 - lr * lam)))


def _var_small_step(lam, lr, beta, noise_var):
    return float(lr * noise_var / (2 * lam * (1 - beta)))


def _var_velocity(lam, lr, beta, noise_var):
    return float(stationary_covariance(lam, lr=lr, beta=beta, noise_var=noise_var)[1, 1])


register(
    Exercise(
        id="ex-07-stationary-variance",
        signature="stationary_variance(lam, lr, beta, noise_var) -> float",
        reference=_stationary_variance,
        cases=[
            Case(
                "lam = 1, lr = 0.1, beta = 0.9, noise variance 1",
                {"lam": 1.0, "lr": 0.1, "beta": 0.9, "noise_var": 1.0},
            ),
            Case("a stiff direction: lr * lam = 1.5", {"lam": 3.0, "lr": 0.5, "beta": 0.8, "noise_var": 0.5}),
            Case("beta = 0 is SGD", {"lam": 0.5, "lr": 1.0, "beta": 0.0, "noise_var": 2.0}),
            Case("small steps: lr * lam = 0.001", {"lam": 0.1, "lr": 0.01, "beta": 0.99, "noise_var": 1.0}),
            Case(
                "beyond SGD's edge lr * lam = 2, inside 2 + 2 beta",
                {"lam": 1.0, "lr": 2.5, "beta": 0.6, "noise_var": 1.0},
            ),
        ],
        mistakes=[
            Mistake(
                "sgd-formula",
                _var_sgd,
                "that is SGD's stationary variance lr * s2 / (lam (2 - lr lam)); momentum multiplies the step: "
                "Var x = lr s2 (1 + beta) / (lam (1 - beta) (2 + 2 beta - lr lam)).",
            ),
            Mistake(
                "no-one-plus-beta",
                _var_no_one_plus_beta,
                "a factor (1 + beta) is missing in the numerator: from E[x v'] = lr E[v^2] / 2 and "
                "E[x v] = -lr E[v^2] / 2 you get lam E[x^2] = lr (1 + beta) E[v^2] / 2.",
            ),
            Mistake(
                "gd-edge",
                _var_gd_edge,
                "the last factor is 2 + 2 beta - lr lam, the distance to heavy ball's stability edge 2 + 2 beta, "
                "not gradient descent's 2 - lr lam.",
            ),
            Mistake(
                "small-step",
                _var_small_step,
                "lr s2 / (2 lam (1 - beta)) is the small-step approximation (lr lam -> 0); the exact variance keeps "
                "(1 + beta) / (2 + 2 beta - lr lam) instead of 1/2.",
            ),
            Mistake(
                "velocity-variance",
                _var_velocity,
                "you returned the stationary variance of the velocity v, 2 s2 / ((1 - beta)(2 + 2 beta - lr lam)); "
                "the question asks for the iterate x: multiply by lr (1 + beta) / (2 lam).",
            ),
        ],
    )
)


# ----------------------------------------------------------------------------- moment step


def _matrices(lam, lr, beta):
    R = np.array([[1 - lr * lam, -lr * beta], [lam, beta]])
    b = np.array([-lr, 1.0])
    return R, b


def _moment_step(P, lam, lr, beta, noise_var):
    R, b = _matrices(lam, lr, beta)
    return R @ P @ R.T + noise_var * np.outer(b, b)


def _moment_no_noise(P, lam, lr, beta, noise_var):
    R, _ = _matrices(lam, lr, beta)
    return R @ P @ R.T


def _moment_noise_on_v(P, lam, lr, beta, noise_var):
    R, _ = _matrices(lam, lr, beta)
    return R @ P @ R.T + noise_var * np.array([[0.0, 0.0], [0.0, 1.0]])


def _moment_transposed(P, lam, lr, beta, noise_var):
    R, b = _matrices(lam, lr, beta)
    return R.T @ P @ R + noise_var * np.outer(b, b)


def _moment_sign(P, lam, lr, beta, noise_var):
    R, b = _matrices(lam, lr, beta)
    b = np.array([lr, 1.0])
    return R @ P @ R.T + noise_var * np.outer(b, b)


def _moment_old_velocity(P, lam, lr, beta, noise_var):
    R = np.array([[1.0, -lr], [lam, beta]])  # x' = x - lr v with the old velocity
    return R @ P @ R.T + noise_var * np.array([[0.0, 0.0], [0.0, 1.0]])


def _chain(fn, inputs: dict[str, Any]) -> Any:
    P = inputs["P"]
    for _ in range(inputs["n_calls"]):
        out = fn(P, inputs["lam"], inputs["lr"], inputs["beta"], inputs["noise_var"])
        if np.shape(out) != (2, 2):
            return out
        P = np.asarray(out, dtype=float)
    return P


_P0 = np.array([[1.0, 0.0], [0.0, 0.0]])
_P1 = np.array([[2.0, -0.5], [-0.5, 3.0]])

register(
    Exercise(
        id="ex-07-moment-step",
        signature="moment_step(P, lam, lr, beta, noise_var) -> P_next",
        reference=_moment_step,
        cases=[
            Case(
                "from x0 = 1, v0 = 0",
                {"P": _P0, "lam": 1.0, "lr": 0.3, "beta": 0.9, "noise_var": 0.5},
            ),
            Case(
                "a general second-moment matrix",
                {"P": _P1, "lam": 0.5, "lr": 0.2, "beta": 0.7, "noise_var": 2.0},
            ),
            Case(
                "no noise: P -> R P R^T",
                {"P": _P1, "lam": 2.0, "lr": 0.1, "beta": 0.3, "noise_var": 0.0},
            ),
            Case(
                "from P = 0 one step is the noise alone: noise_var * b b^T",
                {"P": np.zeros((2, 2)), "lam": 1.0, "lr": 0.4, "beta": 0.6, "noise_var": 1.5},
            ),
            Case(
                "400 chained steps reach stationary_covariance",
                {"P": _P0, "lam": 1.0, "lr": 0.5, "beta": 0.5, "noise_var": 1.0, "n_calls": 400},
                drive=_chain,
                expected=lambda: stationary_covariance(1.0, lr=0.5, beta=0.5, noise_var=1.0),
            ),
        ],
        mistakes=[
            Mistake(
                "no-noise",
                _moment_no_noise,
                "you propagated P but added no noise: the fresh gradient noise adds noise_var * b b^T with "
                "b = (-lr, 1) on every step.",
            ),
            Mistake(
                "noise-on-velocity-only",
                _moment_noise_on_v,
                "the noise enters the velocity (v' = beta v + g) and, through x' = x - lr v', the iterate too: add "
                "noise_var * b b^T with b = (-lr, 1), not only noise_var to E[v^2].",
            ),
            Mistake(
                "transposed",
                _moment_transposed,
                "the covariance of R s is R P R^T, not R^T P R.",
            ),
            Mistake(
                "noise-sign",
                _moment_sign,
                "x' = x - lr v' subtracts the noise: b = (-lr, 1), so E[x' v'] gains -lr * noise_var, "
                "not +lr * noise_var.",
            ),
            Mistake(
                "old-velocity",
                _moment_old_velocity,
                "the book's convention moves x with the new velocity: x' = x - lr v' = (1 - lr lam) x - lr beta v "
                "- lr * noise, so R = [[1 - lr lam, -lr beta], [lam, beta]].",
            ),
        ],
    )
)


# ----------------------------------------------------------------------------- critical batch size


def _critical_batch(batch_sizes, steps):
    return critical_batch_size(batch_sizes, steps)


def _crossing(batch_sizes, steps):
    b, s = np.asarray(batch_sizes, dtype=float), np.asarray(steps, dtype=float)
    k = int(np.argmax(s <= 2 * s.min()))
    return b, s, k


def _cb_grid_point(batch_sizes, steps):
    b, _, k = _crossing(batch_sizes, steps)
    return float(b[k])


def _cb_previous_point(batch_sizes, steps):
    b, _, k = _crossing(batch_sizes, steps)
    return float(b[k - 1])


def _cb_linear(batch_sizes, steps):
    b, s, k = _crossing(batch_sizes, steps)
    level = 2 * s.min()
    w = (level - s[k - 1]) / (s[k] - s[k - 1])
    return float(b[k - 1] + w * (b[k] - b[k - 1]))


def _cb_knee(batch_sizes, steps):
    b, s, _ = _crossing(batch_sizes, steps)
    return float(s[0] * b[0] / s.min())


_B = 2.0 ** np.arange(0, 15)

register(
    Exercise(
        id="ex-07-critical-batch",
        signature="critical_batch(batch_sizes, steps) -> float",
        reference=_critical_batch,
        cases=[
            Case("the model S = 100 (1 + 20 / B)", {"batch_sizes": _B, "steps": 100 * (1 + 20 / _B)}),
            Case(
                "a measured curve (steps are whole numbers)",
                {
                    "batch_sizes": _B[:10],
                    "steps": np.array([9000.0, 4600.0, 2400.0, 1300.0, 760.0, 480.0, 350.0, 290.0, 270.0, 262.0]),
                },
            ),
            Case(
                "perfect scaling all the way down to the floor",
                {"batch_sizes": np.array([1.0, 4.0, 16.0, 64.0]), "steps": np.array([800.0, 200.0, 50.0, 50.0])},
            ),
            Case(
                "uneven batch sizes",
                {"batch_sizes": np.array([10.0, 30.0, 100.0, 1000.0]), "steps": np.array([500.0, 170.0, 70.0, 40.0])},
            ),
        ],
        mistakes=[
            Mistake(
                "grid-point",
                _cb_grid_point,
                "you returned the first batch size on the grid whose steps are <= 2 S_min; interpolate between it "
                "and the point before: log S is linear in log B between them.",
            ),
            Mistake(
                "previous-grid-point",
                _cb_previous_point,
                "you returned the last batch size on the grid whose steps are still above 2 S_min; interpolate "
                "between it and the next one, linearly in log B and log S.",
            ),
            Mistake(
                "linear-interpolation",
                _cb_linear,
                "interpolate on log-log axes, where perfect scaling S ~ 1/B is a straight line: with "
                "w = (log(2 S_min) - log S_k-1) / (log S_k - log S_k-1), "
                "B* = exp(log B_k-1 + w (log B_k - log B_k-1)).",
            ),
            Mistake(
                "knee",
                _cb_knee,
                "S(B_0) B_0 / S_min is where the perfect-scaling line through the first point meets S_min; the "
                "definition asks where the measured curve itself reaches 2 S_min.",
            ),
        ],
    )
)
