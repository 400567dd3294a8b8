r"""Momentum with noisy gradients: the noisy quadratic model and its exact moments.

The *noisy quadratic model* (NQM) of Zhang et al. (2019) is a quadratic whose stochastic
gradient carries Gaussian noise with covariance :math:`H/B`, as a minibatch of :math:`B`
samples would:

.. math::

    f(x) = \tfrac12 \sum_i \lambda_i x_i^2, \qquad
    \tilde g(x) = H x + \varepsilon, \quad \varepsilon \sim \mathcal N(0, H / B),
    \quad H = \operatorname{diag}(\lambda_1, \dots, \lambda_d).

Along one eigen-direction, heavy ball (``v <- beta v + g``, ``x <- x - lr v``) with a gradient
:math:`\lambda x + \sigma\xi` is the linear system

.. math::

    s_{t+1} = R\, s_t + \sigma\, b\, \xi_t, \qquad s_t = \begin{pmatrix} x_t \\ v_t \end{pmatrix},
    \qquad R = \begin{pmatrix} 1 - \eta\lambda & -\eta\beta \\ \lambda & \beta \end{pmatrix},
    \qquad b = \begin{pmatrix} -\eta \\ 1 \end{pmatrix},

(Nesterov's rule in the same convention has
:math:`R = \begin{pmatrix} 1 - \eta\lambda(1+\beta) & -\eta\beta^2 \\ \lambda & \beta \end{pmatrix}`,
:math:`b = (-\eta(1+\beta), 1)^\top`), so the mean obeys :math:`m_{t+1} = R m_t` and the second
moment :math:`P_t = \mathbb E[s_t s_t^\top]` obeys :math:`P_{t+1} = R P_t R^\top + \sigma^2 b b^\top`.
The expected loss is therefore a *deterministic* function of the step,
:math:`\mathbb E f(x_t) = \sum_i \tfrac{\lambda_i}{2} (P_t)_{xx, i}`, computed here exactly
(:func:`expected_loss`, :func:`expected_loss_curves`) without any sampling.

Every function is vectorized: hyperparameters broadcast against each other, eigenvalues run
along the last axis, and the hot loops use elementwise NumPy operations only (no BLAS), so the
results are the same bit for bit whatever BLAS kernel the machine picks.

References:
    G. Zhang, L. Li, Z. Nado, J. Martens, S. Sachdeva, G. Dahl, C. Shallue, R. Grosse (2019),
    Which algorithmic choices matter at which batch sizes? Insights from a noisy quadratic model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import methods as _methods
from ._validation import as_float_array, check_hyperparameter, check_nonnegative, check_positive, check_real
from .objectives import Quadratic
from .theory import rate

__all__ = [
    "NoisyQuadratic",
    "stationary_covariance",
    "expected_loss",
    "expected_loss_curves",
    "steps_to_target",
    "tuned_steps_to_target",
    "TunedSteps",
    "critical_batch_size",
    "time_grid",
    "plot_steps_vs_batch",
    "plot_loss_curves",
]


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


def _check_batch_size(batch_size: Any) -> np.ndarray:
    b = as_float_array("batch_size", batch_size)
    if not np.all(np.isfinite(b)) or np.any(b < 1):
        bad = b[~(np.isfinite(b) & (b >= 1))].flat[0] if b.ndim else float(b)
        raise ValueError(f"batch_size must be finite and >= 1, got {float(bad)!r}")
    return b


def _check_method(method: Any) -> str:
    """A registered method whose entry gives its noisy state-space form (:mod:`mom_lib.methods`)."""
    with_state = tuple(k for k, m in _methods.METHODS.items() if m.state_space is not None)
    if not isinstance(method, str) or method not in with_state:
        raise ValueError(f"method must be one of {with_state}, got {method!r}")
    return method


class NoisyQuadratic(Quadratic):
    r"""The noisy quadratic model: a diagonal quadratic whose gradient noise has covariance :math:`H/B`.

    .. math::

        f(x) = \tfrac12 \sum_{i=1}^d \lambda_i x_i^2, \qquad
        \tilde g(x) = \lambda \odot x + \sqrt{\lambda / B} \odot \xi, \quad \xi \sim \mathcal N(0, I)

    The noise of coordinate :math:`i` has variance :math:`\lambda_i / B`: the larger the batch,
    the smaller the noise, and the stiff directions are the noisy ones, as for the minibatch
    gradient of a least-squares problem near its minimum (Zhang et al. 2019).

    Args:
        eigenvalues: :math:`\lambda_i \ge 0`, shape ``(d,)``; :meth:`zhang` gives :math:`1/i`.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import NoisyQuadratic
        >>> f = NoisyQuadratic([1.0, 0.5])
        >>> print(f.value([2.0, 2.0]), f.grad([2.0, 2.0]))
        3.0 [2. 1.]
        >>> g = f.stochastic_grad(rng=np.random.default_rng(0), batch_size=10**12)
        >>> print(np.round(g(np.array([2.0, 2.0])), 4))  # a huge batch: nearly the exact gradient
        [2. 1.]
    """

    def __init__(self, eigenvalues: Sequence[float] | np.ndarray) -> None:
        super().__init__(eigenvalues)  # diagonal, centred at 0: value, grad, mu, L and kappa as there

    @classmethod
    def zhang(cls, d: int = 200) -> NoisyQuadratic:
        r"""The spectrum :math:`\lambda_i = 1/i`, :math:`i = 1, \dots, d`, of Zhang et al. (2019)."""
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"d must be a whole number >= 1, got {d!r}")
        return cls(1.0 / np.arange(1, d + 1))

    def noise_std(self, batch_size: Any = 1) -> np.ndarray:
        r"""Per-coordinate noise standard deviation :math:`\sqrt{\lambda_i / B}`, shape ``(*B.shape, d)``."""
        b = _check_batch_size(batch_size)
        return np.sqrt(self.eigenvalues / b[..., None])

    def stochastic_grad(self, *, rng: np.random.Generator, batch_size: Any = 1) -> Callable[[np.ndarray], np.ndarray]:
        r"""A gradient function for :func:`mom_lib.run` that draws fresh noise on every call.

        Args:
            rng: a ``np.random.Generator``; one seeded generator makes a whole run reproducible.
            batch_size: :math:`B \ge 1` (need not be whole), a scalar or an array that
                broadcasts against the batch shape ``x.shape[:-1]`` (e.g. shape ``(n_B, 1)``
                to run several batch sizes in one call).

        Returns:
            ``grad(x)`` mapping ``(*batch, d)`` to ``(*batch, d)``.
        """
        _check_rng(rng)
        std = self.noise_std(batch_size)

        def grad(x: np.ndarray) -> np.ndarray:
            g = self.grad(x)
            return g + std * rng.standard_normal(np.broadcast_shapes(g.shape, std.shape))

        return grad


def stationary_covariance(lam: Any, *, lr: Any, beta: Any, noise_var: Any) -> np.ndarray:
    r"""Heavy ball's stationary covariance of :math:`(x, v)` on :math:`\tfrac12\lambda x^2` with noise :math:`\sigma^2`.

    It solves the Lyapunov equation :math:`P = R P R^\top + \sigma^2 b b^\top` (see the module
    docstring for :math:`R` and :math:`b`):

    .. math::

        P_{vv} = \frac{2\sigma^2}{(1-\beta)(2 + 2\beta - \eta\lambda)}, \qquad
        P_{xv} = -\frac{\eta}{2} P_{vv}, \qquad
        P_{xx} = \frac{\eta (1+\beta)}{2\lambda} P_{vv}
        = \frac{\eta\sigma^2 (1+\beta)}{\lambda (1-\beta)(2 + 2\beta - \eta\lambda)} .

    Args:
        lam: :math:`\lambda > 0`.
        lr: :math:`\eta > 0` with :math:`\eta\lambda < 2 + 2\beta` (the stability edge).
        beta: :math:`\beta \in [0, 1)`.
        noise_var: :math:`\sigma^2 \ge 0`.

    Returns:
        array of shape ``(*broadcast, 2, 2)``, rows and columns ordered :math:`(x, v)`.

    Raises:
        ValueError: outside the stability region, where no stationary distribution exists.

    Examples:
        >>> from mom_lib import stationary_covariance
        >>> print(stationary_covariance(1.0, lr=0.1, beta=0.0, noise_var=1.0).round(6))
        [[ 0.052632 -0.052632]
         [-0.052632  1.052632]]
    """
    lam = check_positive("lam", lam)
    lr = check_hyperparameter("lr", lr)
    beta = check_hyperparameter("beta", beta)
    s2 = check_nonnegative("noise_var", noise_var)
    h = lr * lam
    if np.any(lr <= 0) or np.any(h >= 2 + 2 * beta):
        raise ValueError(
            "lr must satisfy 0 < lr * lam < 2 + 2 * beta (inside the stability edge) for a stationary covariance"
        )
    pvv = 2 * s2 / ((1 - beta) * (2 + 2 * beta - h))
    pxv = -0.5 * lr * pvv
    pxx = lr * (1 + beta) / (2 * lam) * pvv
    pxx, pxv, pvv = np.broadcast_arrays(pxx, pxv, pvv)
    return np.stack([np.stack([pxx, pxv], -1), np.stack([pxv, pvv], -1)], -2)


def _transition(lam: np.ndarray, lr: np.ndarray, beta: np.ndarray, method: str):
    """Entries (a, c, e, g) of R = [[a, c], [e, g]] and b1 of b = (b1, 1), from the method's registry entry."""
    return _methods.method(method).state_space(lam, lr, beta)


def _congruence(a, c, e, g, pxx, pxv, pvv):
    """R P R^T for symmetric P = [[pxx, pxv], [pxv, pvv]], elementwise."""
    nxx = a * a * pxx + 2 * a * c * pxv + c * c * pvv
    nxv = a * e * pxx + (a * g + c * e) * pxv + c * g * pvv
    nvv = e * e * pxx + 2 * e * g * pxv + g * g * pvv
    return nxx, nxv, nvv


def _schedule(name: str, value: Any) -> Callable[[int], np.ndarray]:
    if callable(value):
        return lambda t: check_hyperparameter(name, value(t), where=f" (at step {t})")
    arr = check_hyperparameter(name, value)
    return lambda t: arr


def expected_loss(
    objective: NoisyQuadratic,
    x0: Any,
    *,
    lr: Any,
    beta: Any = 0.0,
    batch_size: Any = 1,
    n_steps: int,
    method: str = "heavy_ball",
    average_from: int | None = None,
) -> np.ndarray:
    r"""The exact expected loss :math:`\mathbb E f(x_t)` of momentum on the noisy quadratic model, step by step.

    Per eigen-direction the second moments of :math:`(x_t, v_t)` follow

    .. math::

        P_{t+1} = R_t P_t R_t^\top + \frac{\lambda}{B} b_t b_t^\top, \qquad
        P_0 = \begin{pmatrix} x_0^2 & 0 \\ 0 & 0 \end{pmatrix}, \qquad
        \mathbb E f(x_t) = \sum_i \tfrac{\lambda_i}{2} (P_t)_{xx, i},

    with :math:`R_t, b_t` built from :math:`\eta_t, \beta_t` (module docstring). With
    ``average_from`` :math:`= s`, the state also carries the running sum
    :math:`S_t = \sum_{s < k \le t} x_k`, and the result is the expected loss of the
    Polyak–Ruppert average :math:`\bar x_t = S_t / (t - s)` for :math:`t > s` (and of
    :math:`x_t` up to :math:`t = s`).

    Args:
        objective: a :class:`NoisyQuadratic`.
        x0: start point, shape ``(d,)`` or ``(*batch, d)``; the velocity starts at 0.
        lr, beta: scalars, arrays that broadcast into the batch shape, or callables
            ``t -> value`` (schedules, e.g. a step decay).
        batch_size: :math:`B \ge 1`, scalar or array broadcasting into the batch shape.
        n_steps: :math:`T`.
        method: ``"heavy_ball"`` or ``"nesterov"`` (``beta = 0`` is SGD for both).
        average_from: ``None`` (the last iterate) or the step :math:`s \ge 0` after which the
            iterates are averaged.

    Returns:
        array of shape ``(n_steps + 1, *batch)``.

    Examples:
        Without noise (:math:`B \to \infty`) SGD on :math:`\tfrac12 x^2` at :math:`\eta = 0.5` halves
        :math:`x` each step; at :math:`B = 1` the loss settles at the floor
        :math:`\tfrac{\lambda}{2}\,\eta\sigma^2/(\lambda(2 - \eta\lambda)) = 1/6`:

        >>> from mom_lib import NoisyQuadratic, expected_loss
        >>> f = NoisyQuadratic([1.0])
        >>> print(expected_loss(f, [1.0], lr=0.5, batch_size=1e300, n_steps=3))
        [0.5      0.125    0.03125  0.0078125]
        >>> print(f"{expected_loss(f, [1.0], lr=0.5, batch_size=1, n_steps=60)[-1]:.6f}")
        0.166667
    """
    from ._validation import check_n_steps

    if not isinstance(objective, NoisyQuadratic):
        raise ValueError(f"objective must be a NoisyQuadratic, got {type(objective).__name__}")
    n_steps = check_n_steps(n_steps)
    method = _check_method(method)
    x0 = objective._point(x0, "x0")
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 must be finite")
    bsz = _check_batch_size(batch_size)
    if average_from is not None and (
        isinstance(average_from, bool) or not isinstance(average_from, (int, np.integer)) or average_from < 0
    ):
        raise ValueError(f"average_from must be None or a whole number >= 0, got {average_from!r}")
    lr_at, beta_at = _schedule("lr", lr), _schedule("beta", beta)
    lam = objective.eigenvalues
    shape = np.broadcast_shapes(x0.shape[:-1], np.shape(lr_at(0)), np.shape(beta_at(0)), bsz.shape)
    full = (*shape, objective.d)
    noise = lam / bsz[..., None]
    pxx = np.broadcast_to(x0 * x0, full).copy()
    pxv, pvv = np.zeros(full), np.zeros(full)
    # the running sum S (only with averaging): moments E[S x], E[S v], E[S^2]
    psx = psv = pss = None
    out = np.empty((n_steps + 1, *shape))
    out[0] = 0.5 * (lam * pxx).sum(axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            lr_t, beta_t = lr_at(t), beta_at(t)
            a, c, e, g, b1 = _transition(lam, lr_t[..., None], beta_t[..., None], method)
            nxx, nxv, nvv = _congruence(a, c, e, g, pxx, pxv, pvv)
            nxx = nxx + noise * b1 * b1
            nxv = nxv + noise * b1
            nvv = nvv + noise
            if psx is not None:
                # S' = S + x' = S + a x + c v + b1 sigma xi
                nsx = a * psx + c * psv + nxx
                nsv = e * psx + g * psv + nxv
                nss = pss + 2 * (a * psx + c * psv) + nxx
                psx, psv, pss = nsx, nsv, nss
            pxx, pxv, pvv = nxx, nxv, nvv
            if average_from is not None and t == average_from:
                psx, psv, pss = pxx.copy(), pxv.copy(), pxx.copy()
            if psx is not None:
                n_avg = t + 1 - average_from
                out[t + 1] = 0.5 * (lam * pss).sum(axis=-1) / n_avg**2
            else:
                out[t + 1] = 0.5 * (lam * pxx).sum(axis=-1)
    return np.where(np.isfinite(out), out, np.inf)


def time_grid(max_steps: int, *, per_octave: int = 32) -> np.ndarray:
    r"""The steps at which :func:`expected_loss_curves` evaluates the loss: a geometric grid.

    With :math:`n` = ``per_octave``: steps of 1 up to :math:`2n`, then steps of 2 up to
    :math:`4n`, of 4 up to :math:`8n`, and so on: every step up to :math:`2n` is on the grid,
    from :math:`n` on consecutive times differ by at most a factor :math:`1 + 1/n` (``per_octave``
    points per doubling), and every jump is a power of two. The grid stops at the last
    such step that is at most ``max_steps``.

    Examples:
        >>> from mom_lib.noise import time_grid
        >>> print(time_grid(20, per_octave=4))
        [ 0  1  2  3  4  5  6  7  8 10 12 14 16 20]
    """
    if isinstance(per_octave, bool) or not isinstance(per_octave, (int, np.integer)) or per_octave < 1:
        raise ValueError(f"per_octave must be a whole number >= 1, got {per_octave!r}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"max_steps must be a whole number >= 1, got {max_steps!r}")
    times = list(range(min(per_octave, max_steps) + 1))
    step = 1
    while times[-1] + step <= max_steps:
        times.append(times[-1] + step)
        if times[-1] == 2 * per_octave * step:  # the end of an octave: double the step
            step *= 2
    return np.array(times)


def expected_loss_curves(
    objective: NoisyQuadratic,
    x0: Any,
    *,
    lr: Any,
    beta: Any = 0.0,
    batch_size: Any = 1,
    max_steps: int,
    per_octave: int = 32,
    method: str = "heavy_ball",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact expected loss curves on a geometric grid of steps, for a whole grid of :math:`(\eta, \beta, B)` at once.

    With :math:`D_t = R^t P_0 R^{t\top}` (the noise-free part) and
    :math:`N_t = \sum_{k<t} R^k b b^\top R^{k\top}` (the noise, per unit variance),

    .. math::

        \mathbb E f(x_t) = \underbrace{\sum_i \tfrac{\lambda_i}{2} (D_t)_{xx,i}}_{a_t}
        + \frac1B \underbrace{\sum_i \tfrac{\lambda_i^2}{2} (N_t)_{xx,i}}_{c_t},

    so the batch size enters only at the end. Along the grid (:func:`time_grid`) both parts
    advance by exact jumps :math:`D_{t+\Delta} = R^\Delta D_t R^{\Delta\top}` and
    :math:`N_{t+\Delta} = N_\Delta + R^\Delta N_t R^{\Delta\top}`, with :math:`R^{2^j}` by repeated
    squaring: the cost grows with the logarithm of ``max_steps``, and no number is sampled.

    Args:
        objective: a :class:`NoisyQuadratic`.
        x0: start point, shape ``(d,)``; the velocity starts at 0.
        lr, beta: arrays that broadcast against each other (e.g. ``lr[:, None]``, ``beta``).
        batch_size: :math:`B \ge 1`, broadcasting against ``lr`` and ``beta`` (e.g. with a
            leading axis of its own: ``B[:, None, None]``).
        max_steps: the last step on the grid.
        per_octave: grid resolution (:func:`time_grid`).
        method: ``"heavy_ball"`` or ``"nesterov"``.

    Returns:
        ``(times, loss)``: the steps, shape ``(n_t,)``, and :math:`\mathbb E f(x_t)`, shape
        ``(n_t, *broadcast(lr, beta, batch_size))``; ``inf`` for settings beyond the stability
        edge (whose rate is >= 1).

    Examples:
        The curves agree with the step-by-step recursion of :func:`expected_loss`:

        >>> import numpy as np
        >>> from mom_lib import NoisyQuadratic, expected_loss, expected_loss_curves
        >>> f = NoisyQuadratic.zhang(20)
        >>> times, curves = expected_loss_curves(f, np.ones(20), lr=0.5, beta=0.9, batch_size=8, max_steps=400)
        >>> exact = expected_loss(f, np.ones(20), lr=0.5, beta=0.9, batch_size=8, n_steps=400)
        >>> bool(np.allclose(curves, exact[times], rtol=1e-9))
        True
    """
    if not isinstance(objective, NoisyQuadratic):
        raise ValueError(f"objective must be a NoisyQuadratic, got {type(objective).__name__}")
    method = _check_method(method)
    x0 = objective._point(x0, "x0")
    if x0.ndim != 1 or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be one finite point of shape ({objective.d},), got shape {x0.shape}")
    lr = check_hyperparameter("lr", lr)
    beta = check_hyperparameter("beta", beta)
    bsz = _check_batch_size(batch_size)
    times = time_grid(max_steps, per_octave=per_octave)
    lam = objective.eigenvalues
    shape = np.broadcast_shapes(lr.shape, beta.shape)
    full = (*shape, objective.d)
    lr_d = np.broadcast_to(lr[..., None], full)
    beta_d = np.broadcast_to(beta[..., None], full)
    stable = np.all(rate(lam, lr=lr_d, beta=beta_d, method=method) < 1, axis=-1)  # shape
    # unstable settings get R = 0 (nothing overflows); their loss is set to inf at the end
    on = stable[..., None]
    a, c, e, g, b1 = _transition(lam, lr_d, beta_d, method)
    a, c, e, g, b1 = (np.where(on, z, 0.0) for z in (a, c, e, g, b1))
    # jump matrix R^Delta and noise sum N_Delta for the current Delta (starting at Delta = 1)
    ja, jc, je, jg = a, c, e, g
    nxx, nxv, nvv = b1 * b1, b1 + 0 * a, 1 + 0 * a
    # state: D_t (noise-free) and N_t (noise sum)
    dxx = np.broadcast_to(x0 * x0, full).copy()
    dxv, dvv = np.zeros(full), np.zeros(full)
    sxx, sxv, svv = np.zeros(full), np.zeros(full), np.zeros(full)
    a_t = np.empty((times.size, *shape))
    c_t = np.empty((times.size, *shape))
    a_t[0], c_t[0] = 0.5 * (lam * dxx).sum(axis=-1), 0.0
    delta = 1
    for k in range(1, times.size):
        step = int(times[k] - times[k - 1])
        while delta < step:  # square: R^{2 Delta} = (R^Delta)^2, N_{2 Delta} = N_Delta + R^Delta N_Delta R^Delta^T
            mxx, mxv, mvv = _congruence(ja, jc, je, jg, nxx, nxv, nvv)
            nxx, nxv, nvv = nxx + mxx, nxv + mxv, nvv + mvv
            ja, jc, je, jg = ja * ja + jc * je, ja * jc + jc * jg, je * ja + jg * je, je * jc + jg * jg
            delta *= 2
        if delta != step:  # time_grid only makes jumps of 1, 2, 4, ... in increasing order
            raise AssertionError("time grid jumps must be non-decreasing powers of two")
        dxx, dxv, dvv = _congruence(ja, jc, je, jg, dxx, dxv, dvv)
        mxx, mxv, mvv = _congruence(ja, jc, je, jg, sxx, sxv, svv)
        sxx, sxv, svv = nxx + mxx, nxv + mxv, nvv + mvv
        a_t[k] = 0.5 * (lam * dxx).sum(axis=-1)
        c_t[k] = 0.5 * (lam * lam * sxx).sum(axis=-1)
    out_shape = np.broadcast_shapes(shape, bsz.shape)
    pad = (1,) * (len(out_shape) - len(shape))
    loss = a_t.reshape(times.size, *pad, *shape) + c_t.reshape(times.size, *pad, *shape) / bsz
    return times, np.where(np.broadcast_to(stable, out_shape), loss, np.inf)


def steps_to_target(times: Any, loss: Any, target: float) -> np.ndarray:
    r"""The first step on the grid at which the expected loss is at most ``target`` (``inf`` if none).

    .. math::

        T_\text{target} = \min\{t_k : \mathbb E f(x_{t_k}) \le \text{target}\}

    Args:
        times: the steps, shape ``(n_t,)`` (from :func:`expected_loss_curves`).
        loss: expected losses, shape ``(n_t, *batch)``.
        target: the target loss, > 0.

    Returns:
        float array of shape ``batch``.

    Examples:
        >>> from mom_lib.noise import steps_to_target
        >>> print(steps_to_target([0, 1, 2, 4], [[1.0, 1.0], [0.5, 0.9], [0.2, 0.8], [0.1, 0.7]], 0.3))
        [ 2. inf]
    """
    times = np.asarray(times)
    loss = as_float_array("loss", loss)
    target = float(check_positive("target", target))
    if times.ndim != 1 or loss.shape[:1] != times.shape:
        raise ValueError(f"loss must have shape (len(times), ...) = ({times.size}, ...), got {loss.shape}")
    hit = loss <= target
    first = np.argmax(hit, axis=0)
    return np.where(hit.any(axis=0), times[first].astype(float), np.inf)


@dataclass(frozen=True)
class TunedSteps:
    """What :func:`tuned_steps_to_target` returns (all arrays of the batch-size grid's shape).

    Attributes:
        steps: the fewest steps to the target over the tuning grid (``inf`` if none reaches it).
        lr, beta: the best setting (the first in the grid's row-major order, among ties).
        all_steps: steps for every setting, shape ``(*batch, n_lr, n_beta)``.
    """

    steps: np.ndarray
    lr: np.ndarray
    beta: np.ndarray
    all_steps: np.ndarray


def tuned_steps_to_target(
    objective: NoisyQuadratic,
    x0: Any,
    *,
    lr: Any,
    beta: Any,
    batch_size: Any,
    target: float,
    max_steps: int,
    per_octave: int = 32,
    method: str = "heavy_ball",
) -> TunedSteps:
    r"""Steps to a target loss for every batch size, each at its best :math:`(\eta, \beta)` on a grid, in one call.

    .. math::

        T^\star(B) = \min_{\eta \in \text{lr},\ \beta \in \text{beta}} T_\text{target}(B; \eta, \beta)

    using the exact expected loss (:func:`expected_loss_curves`, :func:`steps_to_target`).

    Args:
        objective, x0, max_steps, per_octave, method: as for :func:`expected_loss_curves`.
        lr: the learning-rate grid: 1-D (the same for every ``beta``) or of shape
            ``(n_lr, len(beta))``, one column per ``beta`` (e.g. ``alpha[:, None] * (1 - beta)``
            for a grid of effective learning rates ``alpha``).
        beta: 1-D momentum grid.
        batch_size: batch sizes, any shape (e.g. ``2 ** np.arange(13)``).
        target: the target expected loss.

    Returns:
        A :class:`TunedSteps`.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import NoisyQuadratic, tuned_steps_to_target
        >>> f = NoisyQuadratic.zhang(50)
        >>> res = tuned_steps_to_target(f, np.ones(50), lr=np.geomspace(0.01, 2, 12), beta=[0.0, 0.9],
        ...                             batch_size=[1, 1024], target=0.05, max_steps=10**5)
        >>> print(res.steps, res.all_steps.shape)
        [2048.   28.] (2, 12, 2)
    """
    lr = as_float_array("lr", lr)
    beta = as_float_array("beta", beta)
    if beta.ndim != 1 or beta.size == 0:
        raise ValueError(f"beta must be a non-empty 1-D tuning grid, got shape {beta.shape}")
    if lr.ndim == 1 and lr.size:
        lr = np.broadcast_to(lr[:, None], (lr.size, beta.size))
    elif lr.ndim != 2 or lr.shape[1] != beta.size or lr.shape[0] == 0:
        raise ValueError(
            f"lr must be a 1-D tuning grid or one of shape (n_lr, len(beta)) = (n_lr, {beta.size}), "
            f"got shape {lr.shape}"
        )
    bsz = _check_batch_size(batch_size)
    bshape = bsz.shape
    times, loss = expected_loss_curves(
        objective,
        x0,
        lr=lr,
        beta=beta[None, :],
        batch_size=bsz.reshape(*bshape, 1, 1),
        max_steps=max_steps,
        per_octave=per_octave,
        method=method,
    )
    steps = steps_to_target(times, loss, target)  # (*bshape, n_lr, n_beta)
    flat = steps.reshape(*bshape, -1)
    best = np.argmin(flat, axis=-1)
    i_lr, i_beta = np.unravel_index(best, lr.shape)
    return TunedSteps(
        steps=np.take_along_axis(flat, best[..., None], axis=-1)[..., 0],
        lr=lr[i_lr, i_beta],
        beta=beta[i_beta],
        all_steps=steps,
    )


def critical_batch_size(batch_sizes: Any, steps: Any, *, factor: float = 2.0) -> float:
    r"""The batch size beyond which a larger batch stops paying: where the steps are ``factor`` times their minimum.

    With :math:`S_\text{min} = \min_B S(B)` (the curvature-limited regime), the critical batch
    size :math:`B^\star` solves :math:`S(B^\star) = 2 S_\text{min}` (for ``factor = 2``), found
    by linear interpolation of :math:`\log S` against :math:`\log B` between the two grid
    points around it. For the model :math:`S(B) = S_\text{min}(1 + B^\star / B)` this is
    exactly its :math:`B^\star`, where perfect scaling (:math:`S \propto 1/B`) meets the floor,
    provided the grid reaches far enough into the flat regime that its smallest :math:`S` is
    :math:`S_\text{min}`.

    Args:
        batch_sizes: increasing batch sizes, shape ``(n,)``.
        steps: steps to the target at each batch size, shape ``(n,)``, finite and > 0.
        factor: > 1.

    Returns:
        :math:`B^\star` as a float.

    Raises:
        ValueError: when the steps are already within ``factor`` of the minimum at the
            smallest batch size (the grid does not reach the perfect-scaling regime).

    Examples:
        >>> import numpy as np
        >>> from mom_lib import critical_batch_size
        >>> b = 2.0 ** np.arange(13)  # 1 ... 4096
        >>> print(f"{critical_batch_size(b, 100 * (1 + 4 / b)):.1f}")  # S = 100 (1 + 4 / B)
        4.0
    """
    b = as_float_array("batch_sizes", batch_sizes)
    s = as_float_array("steps", steps)
    if b.ndim != 1 or b.shape != s.shape or b.size < 2:
        raise ValueError(f"batch_sizes and steps must be 1-D of the same length >= 2, got {b.shape} and {s.shape}")
    if not np.all(np.diff(b) > 0) or b[0] <= 0:
        raise ValueError("batch_sizes must be positive and increasing")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("steps must be finite and > 0 (every batch size must reach the target)")
    factor = check_real("factor", factor, low=1.0, low_closed=False)
    level = factor * s.min()
    k = int(np.argmax(s <= level))
    if k == 0:
        raise ValueError(
            f"the steps at the smallest batch size are already within factor = {factor} of the minimum: "
            "add smaller batch sizes"
        )
    lb, ls = np.log(b[k - 1 : k + 1]), np.log(s[k - 1 : k + 1])
    w = (np.log(level) - ls[0]) / (ls[1] - ls[0])
    return float(np.exp(lb[0] + w * (lb[1] - lb[0])))


def plot_steps_vs_batch(
    batch_sizes: Any,
    steps: dict[str, Any],
    *,
    ax: Any = None,
    perfect_from: str | None = None,
    critical: dict[str, float] | None = None,
) -> Any:
    """Steps to a target against the batch size, on log-log axes, one line per method.

    Args:
        batch_sizes: shape ``(n,)``.
        steps: ``{label: steps}``, each of shape ``(n,)``.
        ax: axes to draw on; a new figure if ``None``.
        perfect_from: label of the curve whose first point starts a dotted line of perfect
            scaling (steps proportional to 1/B).
        critical: ``{label: B}`` batch sizes to mark with a vertical line.

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from mom_lib.noise import plot_steps_vs_batch
        >>> ax = plot_steps_vs_batch([1, 2, 4], {"SGD": [400, 200, 150]}, perfect_from="SGD")
        >>> ax.get_xscale(), len(ax.lines)
        ('log', 2)
        >>> plt.close(ax.figure)
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    b = np.asarray(batch_sizes, dtype=float)
    for k, (label, s) in enumerate(steps.items()):
        s = np.asarray(s, dtype=float)
        if s.shape != b.shape:
            raise ValueError(f"steps[{label!r}] has shape {s.shape}; expected {b.shape}")
        ax.loglog(b, s, "o-", ms=4, label=label, color=f"C{k}")
        if critical and label in critical:
            ax.axvline(critical[label], color=f"C{k}", ls="--", lw=1, label=f"critical batch size ({label})")
    if perfect_from is not None:
        s0 = np.asarray(steps[perfect_from], dtype=float)
        ax.loglog(b, s0[0] * b[0] / b, ":", color="0.4", label="perfect scaling (steps ~ 1/B)")
    lo = min(float(np.nanmin(np.asarray(s, dtype=float))) for s in steps.values())
    hi = max(float(np.nanmax(np.asarray(s, dtype=float))) for s in steps.values())
    ax.set_ylim(lo / 2, hi * 2)
    ax.set_xlabel("batch size $B$")
    ax.set_ylabel("steps to the target loss")
    ax.legend(fontsize=8)
    return ax


def plot_loss_curves(
    curves: dict[str, tuple[Any, Any]],
    *,
    ax: Any = None,
    target: float | None = None,
    bands: dict[str, tuple[Any, Any, Any]] | None = None,
    styles: dict[str, dict[str, Any]] | None = None,
    logx: bool = True,
) -> Any:
    r"""Expected-loss curves on log axes: ``{label: (steps, loss)}``, with an optional target line and bands.

    Args:
        curves: ``{label: (t, loss)}``, each pair of the same shape ``(n,)``; steps :math:`t = 0`
            are left out on a log step axis.
        ax: axes to draw on; a new figure if ``None``.
        target: draw the target loss as a dashed horizontal line.
        bands: ``{label: (t, low, high)}`` shaded ranges, e.g. a Monte Carlo mean
            :math:`\pm 2` standard errors.
        styles: ``{label: matplotlib line properties}`` for some curves, e.g.
            ``{"heavy ball": {"ls": "--"}}``.
        logx: a log step axis (else linear).

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from mom_lib.noise import plot_loss_curves
        >>> t = np.arange(100)
        >>> ax = plot_loss_curves({"SGD": (t, 0.9**t + 0.01)}, target=0.05)
        >>> ax.get_yscale(), len(ax.lines)
        ('log', 2)
        >>> plt.close(ax.figure)
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4.5))
    for label, (t, lo, hi) in (bands or {}).items():
        t = np.asarray(t, dtype=float)
        keep = t > 0 if logx else np.ones(t.shape, dtype=bool)
        ax.fill_between(t[keep], np.asarray(lo)[keep], np.asarray(hi)[keep], alpha=0.3, label=label, color="0.5")
    for label, (t, y) in curves.items():
        t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
        if t.shape != y.shape:
            raise ValueError(f"curves[{label!r}]: steps have shape {t.shape}, losses {y.shape}")
        keep = t > 0 if logx else np.ones(t.shape, dtype=bool)
        ax.plot(t[keep], np.where(np.isfinite(y[keep]), y[keep], np.nan), label=label, **(styles or {}).get(label, {}))
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=f"target {target:.3g}")
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$\mathbb{E}\, f(x_t)$")
    ax.legend(fontsize=8)
    return ax
