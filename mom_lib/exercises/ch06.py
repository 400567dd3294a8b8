r"""Chapter 6 (tuning): ``ex-06-polyak`` and ``ex-06-power-iteration``.

``ex-06-polyak``: ``polyak_params(mu, L) -> (lr, beta)``, Polyak's optimal heavy-ball
hyperparameters for a quadratic with eigenvalues in :math:`[\mu, L]`,

.. math::

    \eta^\star = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
    \beta^\star = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2, \qquad \kappa = L / \mu.

The reference is :func:`mom_lib.optimal_params`.

``ex-06-power-iteration``: ``estimate_L(A, x0, n_iter) -> float``, the largest eigenvalue of a
symmetric positive semi-definite matrix :math:`A` by power iteration: start from
:math:`x_0 / \lVert x_0 \rVert`, multiply by :math:`A` and normalize ``n_iter`` times,

.. math::

    x_{k+1} = \frac{A x_k}{\lVert A x_k \rVert}, \qquad k = 0, \dots, n_\text{iter} - 1,

and return the Rayleigh quotient :math:`x_n^\top A x_n` of the last (unit) vector. The
reference is written out here with NumPy (``mom_lib`` has no power iteration); the cases
include a matrix whose unnormalized powers overflow, and few iterations, where the Rayleigh
quotient and the norm ratio :math:`\lVert A x_n \rVert` still differ.
"""

from __future__ import annotations

import numpy as np

from ..theory import optimal_params
from ._core import Case, Exercise, Mistake, register

__all__: list[str] = []


def _polyak_params(mu, L):  # noqa: N803
    lr, beta = optimal_params(mu, L)
    return float(lr), float(beta)


def _polyak_gd_step(mu, L):  # noqa: N803
    return 2 / (mu + L), _polyak_params(mu, L)[1]


def _polyak_not_squared(mu, L):  # noqa: N803
    sk = np.sqrt(L / mu)
    return _polyak_params(mu, L)[0], (sk - 1) / (sk + 1)


def _polyak_kappa(mu, L):  # noqa: N803
    k = L / mu
    return _polyak_params(mu, L)[0], ((k - 1) / (k + 1)) ** 2


def _polyak_swapped(mu, L):  # noqa: N803
    lr, beta = _polyak_params(mu, L)
    return beta, lr


register(
    Exercise(
        id="ex-06-polyak",
        signature="polyak_params(mu, L) -> (lr, beta)",
        reference=_polyak_params,
        cases=[
            Case("mu = 1, L = 100", {"mu": 1.0, "L": 100.0}),
            Case("mu = 0.01, L = 1", {"mu": 0.01, "L": 1.0}),
            Case("mu = 2, L = 50", {"mu": 2.0, "L": 50.0}),
            Case("a badly conditioned problem: kappa = 10^4", {"mu": 1e-3, "L": 10.0}),
            Case("mu = 0.5, L = 8", {"mu": 0.5, "L": 8.0}),
        ],
        mistakes=[
            Mistake(
                "gd-step",
                _polyak_gd_step,
                "2 / (mu + L) is gradient descent's best step; with momentum the best step is larger, "
                "lr = 4 / (sqrt(L) + sqrt(mu))^2 (nearly twice as large when kappa is large).",
            ),
            Mistake(
                "beta-not-squared",
                _polyak_not_squared,
                "(sqrt(kappa) - 1) / (sqrt(kappa) + 1) is the optimal rate, sqrt(beta*); the momentum is "
                "its square, beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2.",
            ),
            Mistake(
                "kappa-not-sqrt",
                _polyak_kappa,
                "momentum's formulas use the square root of the condition number: "
                "beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2, not ((kappa - 1) / (kappa + 1))^2.",
            ),
            Mistake(
                "swapped",
                _polyak_swapped,
                "you returned (beta, lr); return (lr, beta) in this order.",
            ),
        ],
    )
)


def _estimate_L(A, x0, n_iter):  # noqa: N802, N803
    x = x0 / np.linalg.norm(x0)
    for _ in range(n_iter):
        y = A @ x
        x = y / np.linalg.norm(y)
    return float(x @ A @ x)


def _norm_ratio(A, x0, n_iter):  # noqa: N803
    x = x0 / np.linalg.norm(x0)
    for _ in range(n_iter):
        y = A @ x
        x = y / np.linalg.norm(y)
    return float(np.linalg.norm(A @ x))


def _no_normalize(A, x0, n_iter):  # noqa: N803
    x = np.array(x0, dtype=float)
    for _ in range(n_iter):
        x = A @ x
    return float(x @ A @ x / (x @ x))


def _unnormalized_rayleigh(A, x0, n_iter):  # noqa: N803
    x = np.array(x0, dtype=float)
    for _ in range(n_iter):
        y = A @ x
        x = y / np.linalg.norm(y)
    return float(x @ A @ x) if n_iter else float(x0 @ A @ x0)


def _returns_vector(A, x0, n_iter):  # noqa: N803
    x = x0 / np.linalg.norm(x0)
    for _ in range(n_iter):
        y = A @ x
        x = y / np.linalg.norm(y)
    return x


def _diag_rotated(eigenvalues, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(eigenvalues), len(eigenvalues))))
    return q @ np.diag(eigenvalues) @ q.T


_A1 = np.array([[2.0, 1.0], [1.0, 3.0]])
_A3 = _diag_rotated([1000.0, 600.0, 5.0, 1.0], 1)
_A4 = _diag_rotated([4.0, 3.5, 0.5], 2)

register(
    Exercise(
        id="ex-06-power-iteration",
        signature="estimate_L(A, x0, n_iter) -> float",
        reference=_estimate_L,
        cases=[
            Case("a 2 x 2 matrix, 3 iterations", {"A": _A1, "x0": np.array([1.0, 0.0]), "n_iter": 3}),
            Case(
                "a diagonal matrix, 1 iteration",
                {"A": np.diag([1.0, 2.0, 4.0]), "x0": np.array([1.0, 1.0, 1.0]), "n_iter": 1},
            ),
            Case(
                "eigenvalues up to 1000 and 200 iterations: unnormalized powers overflow",
                {"A": _A3, "x0": np.array([1.0, -2.0, 0.5, 3.0]), "n_iter": 200},
            ),
            Case(
                "close eigenvalues 4 and 3.5, a long start vector, 5 iterations",
                {"A": _A4, "x0": np.array([10.0, -20.0, 5.0]), "n_iter": 5},
            ),
            Case(
                "n_iter = 0: the Rayleigh quotient of the normalized start",
                {"A": _A1, "x0": np.array([3.0, 4.0]), "n_iter": 0},
            ),
        ],
        mistakes=[
            Mistake(
                "norm-ratio",
                _norm_ratio,
                "you returned the norm |A x| of the last product; that tends to L too, but more slowly. Return "
                "the Rayleigh quotient x @ A @ x of the last unit vector x.",
            ),
            Mistake(
                "no-normalize",
                _no_normalize,
                "without dividing by the norm after every multiplication, A^k x0 grows like L^k and overflows "
                "(inf, then nan). Normalize each step: x = y / np.linalg.norm(y).",
            ),
            Mistake(
                "start-not-normalized",
                _unnormalized_rayleigh,
                "normalize the start vector too: x = x0 / np.linalg.norm(x0) before the loop, so the Rayleigh "
                "quotient x @ A @ x is taken of a unit vector (it matters when n_iter = 0).",
            ),
            Mistake(
                "returns-vector",
                _returns_vector,
                "you returned the eigenvector estimate; return the eigenvalue estimate, the number x @ A @ x.",
            ),
        ],
    )
)
