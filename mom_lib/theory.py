r"""What the linear theory predicts for momentum on a quadratic.

On :math:`f(x) = \tfrac12 x^\top A x` every eigen-direction of :math:`A` (eigenvalue
:math:`\lambda`) evolves on its own. Heavy ball in the book's convention gives Polyak's
two-term recurrence :math:`x_{t+1} = (1 + \beta - \eta\lambda) x_t - \beta x_{t-1}`, i.e.

.. math::

    \begin{pmatrix} x_{t+1} \\ x_t \end{pmatrix} = M \begin{pmatrix} x_t \\ x_{t-1} \end{pmatrix},
    \qquad M = \begin{pmatrix} 1 + \beta - \eta\lambda & -\beta \\ 1 & 0 \end{pmatrix},

and the error shrinks like :math:`\rho(M)^t`, the spectral radius of :math:`M` (its *rate*).
Other methods (``method="nesterov"``, ``"gd"``, ...) have their own trace and determinant of
:math:`M`, read from their entry in :mod:`mom_lib.methods`.
Every function here is vectorized: array arguments broadcast against each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import methods as _methods
from ._validation import (
    as_float_array,
    check_count,
    check_hyperparameter,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "iteration_matrix",
    "characteristic_roots",
    "rate",
    "optimal_params",
    "gd_optimal_lr",
    "gd_optimal_rate",
    "stability_limit",
    "critical_beta",
    "complex_band",
    "effective_window",
    "half_life",
    "lag",
    "ema_noise_variance",
    "iterations_to_tolerance",
    "measured_rate",
]


def _linear(name: str, beta: np.ndarray) -> _methods.Method:
    """The registry entry of ``name``, refused unless it has a linear theory that takes ``beta``."""
    m = _methods.method(name)
    if m.linear is None:
        with_theory = tuple(k for k, e in _methods.METHODS.items() if e.linear is not None)
        raise ValueError(f"method {name!r} has no linear theory; methods with one: {with_theory}")
    if not m.momentum and np.any(beta != 0):
        raise ValueError(f"method {name!r} has no momentum: beta must be 0, got {beta}")
    return m


def _coefficients(lam: Any, lr: Any, beta: Any, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(trace, determinant) of the 2x2 iteration matrix: roots solve z^2 - trace z + det = 0."""
    lam = check_nonnegative("lam", lam)
    lr = check_hyperparameter("lr", lr)
    beta = check_hyperparameter("beta", beta)
    h = lr * lam
    tr, det = _linear(method, beta).linear(h, beta)
    shape = np.broadcast_shapes(np.shape(h), np.shape(beta))
    return np.broadcast_to(tr, shape), np.broadcast_to(det, shape)


def _finite_coefficients(lam: Any, lr: Any, beta: Any, method: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_coefficients` after checking that the inputs broadcast and ``lr * lam`` stays in float range."""
    lam = check_nonnegative("lam", lam)
    lr = check_hyperparameter("lr", lr)
    beta = check_hyperparameter("beta", beta)
    try:
        np.broadcast_shapes(lam.shape, lr.shape, beta.shape)
    except ValueError:
        raise ValueError(
            f"lam, lr and beta must broadcast against each other, got shapes {lam.shape}, {lr.shape} and {beta.shape}"
        ) from None
    with np.errstate(over="ignore", invalid="ignore"):
        tr, det = _coefficients(lam, lr, beta, method)
    if not (np.all(np.isfinite(tr)) and np.all(np.isfinite(det))):
        with np.errstate(over="ignore"):
            h = float(np.max(lr * lam))
        raise ValueError(
            "lr * lam must stay within the float range (about 1e308) for the iteration matrix to be finite, "
            f"got lr * lam up to {h:g}"
        )
    return tr, det


def iteration_matrix(lam: Any, *, lr: Any, beta: Any = 0.0, method: str = "heavy_ball") -> np.ndarray:
    r"""The 2x2 matrix :math:`M` that maps :math:`(x_t, x_{t-1})` to :math:`(x_{t+1}, x_t)` along one eigenvalue.

    Heavy ball: :math:`M = \begin{pmatrix} 1+\beta-\eta\lambda & -\beta \\ 1 & 0\end{pmatrix}`.
    Nesterov: :math:`M = \begin{pmatrix} (1+\beta)(1-\eta\lambda) & -\beta(1-\eta\lambda) \\ 1 & 0\end{pmatrix}`.
    Every method's trace and determinant come from its registry entry (:mod:`mom_lib.methods`);
    for ``method="gd"``, :math:`M = \begin{pmatrix} 1-\eta\lambda & 0 \\ 1 & 0\end{pmatrix}`.

    Args:
        lam: eigenvalue(s) :math:`\lambda \ge 0`.
        lr: :math:`\eta \ge 0`.
        beta: :math:`\beta \in [0, 1)`; must be 0 for a method without momentum (``"gd"``).
        method: a name in :data:`mom_lib.methods.METHODS` with a linear theory.

    Returns:
        array of shape ``(*broadcast, 2, 2)``.

    Examples:
        >>> from mom_lib import iteration_matrix
        >>> print(iteration_matrix(1.0, lr=0.5, beta=0.25))
        [[ 0.75 -0.25]
         [ 1.    0.  ]]
    """
    tr, det = _finite_coefficients(lam, lr, beta, method)
    tr, det = np.broadcast_arrays(tr, det)
    m = np.zeros((*tr.shape, 2, 2))
    m[..., 0, 0], m[..., 0, 1], m[..., 1, 0] = tr, -det, 1.0
    return m


def characteristic_roots(lam: Any, *, lr: Any, beta: Any = 0.0, method: str = "heavy_ball") -> np.ndarray:
    r"""The two eigenvalues of :func:`iteration_matrix`, complex, shape ``(*broadcast, 2)``.

    They solve :math:`z^2 - (1+\beta-\eta\lambda) z + \beta = 0` (heavy ball). When they are
    complex their modulus is :math:`\sqrt\beta`, whatever :math:`\eta` and :math:`\lambda`.
    """
    tr, det = _finite_coefficients(lam, lr, beta, method)
    with np.errstate(over="ignore", invalid="ignore"):
        disc = tr**2 - 4 * det
        root = np.sqrt(disc.astype(complex))
        roots = np.stack([(tr + root) / 2, (tr - root) / 2], axis=-1)
    big = ~np.isfinite(disc)
    if np.any(big):
        # tr**2 overflows (lr * lam beyond ~1e154): the same roots, scaled by s = max(|tr|, sqrt|det|)
        # so that nothing overflows; the small root as det / (the large one), without cancellation.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s = np.maximum(np.abs(tr), np.sqrt(np.abs(det)))
            half = (s / 2) * np.sqrt(((tr / s) ** 2 - 4 * ((det / s) / s)).astype(complex))
            sign = np.where(tr < 0, -1.0, 1.0)
            large = tr / 2 + sign * half
            small = det / large
            scaled = np.stack([np.where(tr < 0, small, large), np.where(tr < 0, large, small)], axis=-1)
        roots = np.where(big[..., None], scaled, roots)
    return roots


def rate(lam: Any, *, lr: Any, beta: Any = 0.0, method: str = "heavy_ball") -> np.ndarray:
    r"""Spectral radius of the iteration matrix: the asymptotic factor by which the error shrinks per step.

    .. math::

        \rho(\lambda; \eta, \beta) = \max\{|z| : z^2 - (1 + \beta - \eta\lambda) z + \beta = 0\}

    With ``beta = 0`` (or ``method="gd"``) this is gradient descent's :math:`|1 - \eta\lambda|`,
    exactly. A rate >= 1 means the iteration does not converge along that eigenvalue. For a
    problem with several eigenvalues, the rate is the maximum over them:
    ``rate(lams, ...).max(axis=...)``. Other methods replace the trace :math:`1 + \beta - \eta\lambda`
    and the determinant :math:`\beta` by those of their registry entry (:mod:`mom_lib.methods`).

    Args:
        lam: eigenvalue(s) :math:`\lambda \ge 0`.
        lr: :math:`\eta \ge 0`.
        beta: :math:`\beta \in [0, 1)`; 0 for a method without momentum.
        method: a name in :data:`mom_lib.methods.METHODS` with a linear theory:
            ``"heavy_ball"`` (default), ``"nesterov"``, ``"gd"``, ...

    Returns:
        array of the broadcast shape of ``lam``, ``lr`` and ``beta``.

    Examples:
        >>> from mom_lib import rate
        >>> print(f"{rate(1.0, lr=0.5):.2f}  {rate(1.0, lr=0.5, beta=0.5):.4f}")
        0.50  0.7071
        >>> print(f"{rate(1.0, lr=1.5, method='gd'):.2f}  {rate(1.0, lr=0.5, beta=0.5, method='nesterov'):.4f}")
        0.50  0.5000
    """
    return np.abs(characteristic_roots(lam, lr=lr, beta=beta, method=method)).max(axis=-1)


def _mu_L(mu: Any, L: Any) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802, N803
    mu, L = check_positive("mu", mu), check_positive("L", L)  # noqa: N806
    if np.any(mu > L):
        raise ValueError("mu must be <= L (mu is the smallest eigenvalue, L the largest)")
    return mu, L


def optimal_params(mu: Any, L: Any) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
    r"""Polyak's optimal heavy-ball hyperparameters for eigenvalues in :math:`[\mu, L]`.

    .. math::

        \eta^\star = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
        \beta^\star = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2, \qquad
        \rho^\star = \sqrt{\beta^\star} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}

    Returns:
        ``(lr, beta)``.

    Examples:
        >>> from mom_lib import optimal_params
        >>> lr, beta = optimal_params(1.0, 100.0)
        >>> print(f"{lr:.5f} {beta:.5f}")
        0.03306 0.66942

    References:
        B. T. Polyak (1964); G. Goh (2017), Why Momentum Really Works, Distill.
    """
    mu, L = _mu_L(mu, L)  # noqa: N806
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        sk = np.sqrt(L / mu)
        s = np.sqrt(L) + np.sqrt(mu)
        lr, beta = 4.0 / s**2, ((sk - 1) / (sk + 1)) ** 2
        # at the ends of the float range the same formulas, rearranged so that nothing overflows
        if not np.all(np.isfinite(sk)):
            t = np.sqrt(mu) / np.sqrt(L)
            beta = np.where(np.isfinite(sk), beta, ((1 - t) / (1 + t)) ** 2)
        tiny = np.finfo(float).tiny
        if np.any(~np.isfinite(s**2) | (s**2 < tiny)):
            lr = np.where(np.isfinite(s**2) & (s**2 >= tiny), lr, (2.0 / s) ** 2)
    if not np.all(np.isfinite(lr)):
        raise ValueError("mu and L must be larger: lr = 4 / (sqrt(L) + sqrt(mu))^2 exceeds the float range")
    return lr, beta


def gd_optimal_lr(mu: Any, L: Any) -> np.ndarray:  # noqa: N803
    r"""Gradient descent's best constant step :math:`2/(\mu + L)`."""
    mu, L = _mu_L(mu, L)  # noqa: N806
    with np.errstate(over="ignore"):
        lr = 2.0 / (mu + L)
        if not np.all(np.isfinite(mu + L)):
            lr = np.where(np.isfinite(mu + L), lr, 1.0 / (mu / 2 + L / 2))
    if not np.all(np.isfinite(lr)):
        raise ValueError("mu and L must be larger: lr = 2 / (mu + L) exceeds the float range")
    return lr


def gd_optimal_rate(mu: Any, L: Any) -> np.ndarray:  # noqa: N803
    r"""Gradient descent's rate at its best step: :math:`(\kappa - 1)/(\kappa + 1)`."""
    mu, L = _mu_L(mu, L)  # noqa: N806
    with np.errstate(over="ignore"):
        r = (L - mu) / (L + mu)
        if not np.all(np.isfinite(L + mu)):
            r = np.where(np.isfinite(L + mu), r, (L / 2 - mu / 2) / (L / 2 + mu / 2))
    return r


def stability_limit(beta: Any, *, method: str = "heavy_ball") -> np.ndarray:
    r"""The largest :math:`\eta\lambda` for which the iteration converges.

    Heavy ball converges iff :math:`0 < \eta\lambda < 2 + 2\beta`; Nesterov iff
    :math:`0 < \eta\lambda < (2 + 2\beta)/(1 + 2\beta)`; gradient descent iff
    :math:`0 < \eta\lambda < 2`. Each method's closed form is its registry entry's
    ``stability`` (:mod:`mom_lib.methods`).

    Args:
        beta: :math:`\beta \in [0, 1)` (0 for a method without momentum).
        method: a name in :data:`mom_lib.methods.METHODS` with a linear theory.

    Examples:
        >>> from mom_lib import stability_limit
        >>> print(stability_limit(0.0), stability_limit(0.5), stability_limit(0.5, method="nesterov"))
        2.0 3.0 1.5
        >>> print(stability_limit(0.0, method="gd"))
        2.0
    """
    beta = check_hyperparameter("beta", beta)
    return _linear(method, beta).stability(beta)


def critical_beta(lam: Any, *, lr: Any) -> np.ndarray:
    r"""The momentum :math:`\beta = (1 - \sqrt{\eta\lambda})^2` that critically damps one eigen-direction.

    At this :math:`\beta` the two roots coincide; for larger :math:`\beta` (up to
    :math:`(1 + \sqrt{\eta\lambda})^2`) they are complex and the iterate oscillates.
    Requires :math:`\eta\lambda \le 1`.
    """
    lam, lr = check_nonnegative("lam", lam), check_hyperparameter("lr", lr)
    h = lr * lam
    if np.any(h > 1):
        raise ValueError(
            "critical_beta needs lr * lam <= 1: it must be, since for larger steps no beta in [0, 1) damps critically"
        )
    return (1 - np.sqrt(h)) ** 2


def complex_band(beta: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""The range of :math:`\eta\lambda` where heavy ball's roots are complex.

    It is the open interval :math:`((1-\sqrt\beta)^2, (1+\sqrt\beta)^2)`.

    Inside it every direction contracts at exactly :math:`\sqrt\beta` per step.
    """
    beta = check_hyperparameter("beta", beta)
    return (1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2


def effective_window(beta: Any) -> np.ndarray:
    r"""Total weight :math:`\sum_{\tau \ge 0} \beta^\tau = 1/(1 - \beta)` the velocity gives past gradients."""
    beta = check_hyperparameter("beta", beta)
    return 1.0 / (1.0 - beta)


def half_life(beta: Any) -> np.ndarray:
    r"""Steps until a gradient's weight has halved: :math:`\ln 0.5 / \ln \beta` (needs :math:`\beta > 0`).

    Examples:
        >>> from mom_lib import half_life
        >>> print(f"{half_life(0.9):.2f}")
        6.58
    """
    beta = check_hyperparameter("beta", beta)
    if np.any(beta == 0):
        raise ValueError("beta must lie in (0, 1) for a half-life (beta = 0 forgets at once)")
    return np.log(0.5) / np.log(beta)


def lag(beta: Any) -> np.ndarray:
    r"""Mean age of the gradients in the normalized average: :math:`\beta / (1 - \beta)` steps."""
    beta = check_hyperparameter("beta", beta)
    return beta / (1.0 - beta)


def ema_noise_variance(beta: Any, noise_std: Any) -> np.ndarray:
    r"""Stationary variance of :math:`m_{t+1} = \beta m_t + (1-\beta)\xi_t` for iid noise of variance :math:`\sigma^2`.

    .. math::

        \operatorname{Var} m_\infty = \sigma^2 \frac{1 - \beta}{1 + \beta}
    """
    beta = check_hyperparameter("beta", beta)
    sigma = check_nonnegative("noise_std", noise_std)
    with np.errstate(over="ignore"):
        out = sigma**2 * (1 - beta) / (1 + beta)
    if not np.all(np.isfinite(out)):
        raise ValueError("noise_std must be below about 1e154: its square, the variance, exceeds the float range")
    return out


def iterations_to_tolerance(rate_: Any, *, tol: float, initial_error: float = 1.0) -> np.ndarray:
    r"""Steps :math:`t` for :math:`\rho^t e_0 \le \mathrm{tol}`: :math:`\lceil \ln(\mathrm{tol}/e_0) / \ln\rho \rceil`.

    Returns ``inf`` where :math:`\rho \ge 1`.
    """
    r = check_nonnegative("rate", rate_)
    tol, initial_error = check_positive("tol", tol), check_positive("initial_error", initial_error)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        steps = np.ceil(np.log(tol / initial_error) / np.log(r))
    return np.where(r >= 1, np.inf, np.where(r == 0, 1.0, np.maximum(steps, 0.0)))


def measured_rate(dist: Any, start: int, stop: int, *, window: int = 25) -> np.ndarray:
    r"""The contraction per step that a run shows: the measured counterpart of :func:`rate`.

    An oscillating error does not shrink every step, so its envelope is compared instead: the
    largest :math:`d_t` over the first window :math:`[s, s + w)` and over the last window
    :math:`(e - w, e]`, with :math:`s` = ``start``, :math:`e` = ``stop`` and :math:`w` = ``window``,

    .. math::

        \hat\rho = \left(\frac{\max_{e-w < t \le e} d_t}{\max_{s \le t < s+w} d_t}\right)^{1/(e - w + 1 - s)},

    the exponent being the distance between the windows' starts.

    Args:
        dist: distances to the minimizer (or any decaying magnitude), shape ``(T + 1, ...)``;
            the rate is measured for every trailing index at once.
        start, stop: the first step of the first window and the last step of the last window.
        window: :math:`w \ge 1`, steps per window.

    Returns:
        array of shape ``dist.shape[1:]``.

    Examples:
        >>> import numpy as np
        >>> t = np.arange(101)
        >>> print(f"{measured_rate(0.9**t, 10, 100):.4f}")  # a plain geometric decay: exact
        0.9000
        >>> print(f"{measured_rate(0.9**t * (2 + np.cos(2 * t)), 10, 100):.3f}")  # oscillating: the envelope
        0.900
    """
    d = as_float_array("dist", dist)
    if d.ndim == 0 or d.shape[0] == 0:
        raise ValueError(f"dist must be an array of shape (T + 1, ...) with T >= 1, got shape {d.shape}")
    if np.any(d < 0):
        raise ValueError("dist must hold distances (>= 0; nan for a diverged run), got a negative value")
    start, stop = check_count("start", start, low=0), check_count("stop", stop, low=0)
    window = check_count("window", window, low=1)
    if not start < stop - window + 1 or stop >= d.shape[0]:
        raise ValueError(
            "start, stop and window must satisfy 0 <= start < stop - window + 1 and stop <= T, "
            f"with T = {d.shape[0] - 1}; got start = {start}, stop = {stop}, window = {window}"
        )
    first = d[start : start + window].max(axis=0)
    last = d[stop - window + 1 : stop + 1].max(axis=0)
    if np.any(first == 0):
        raise ValueError(
            "dist must not vanish over the whole first window [start, start + window): "
            "a run already at its minimizer has no rate"
        )
    return (last / first) ** (1 / (stop - window + 1 - start))
