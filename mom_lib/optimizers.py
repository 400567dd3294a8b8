r"""Modern optimizers as step rules: Adam, AdamW, NAdam, Lion, schedule-free SGD and Muon.

Each keeps a momentum buffer, and each is a pure step rule that :func:`mom_lib.run` drives like
:func:`mom_lib.heavy_ball`::

    x_next, state_next = rule(x, state, grad_fn, *, lr, <hyperparameters>)

**Named state.** A rule with one buffer (:func:`lion`, :func:`muon`) keeps it as a bare array
shaped like ``x``, zeros at the start, exactly as heavy ball keeps its velocity. A rule with
several buffers and a step count names them in a small named tuple, as optax does
(``ScaleByAdamState(count, mu, nu)``): :class:`AdamState`, :class:`NAdamState`,
:class:`ScheduleFreeState`. The rule carries its initial state as ``rule.init(x0)``, which
:func:`mom_lib.run` calls; the arrays have the shape of ``x`` and ``count`` (steps taken so
far) is a whole number.

Hyperparameters are keyword-only and broadcast against ``x[..., 0]``, as for the rules of
:mod:`mom_lib.steps`; their defaults are PyTorch's. Every rule is tested against the reference
that defines it (``tests/test_optimizers.py``): ``torch.optim`` for Adam, AdamW, NAdam and Muon,
the paper's algorithm for Lion and schedule-free SGD.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ._validation import as_float_array, check_count, check_flag, check_hyperparameter, check_real, checked_grad
from .steps import GradFn, _step_rule

__all__ = [
    "AdamState",
    "NAdamState",
    "ScheduleFreeState",
    "adam",
    "adamw",
    "nadam",
    "lion",
    "schedule_free_sgd",
    "newton_schulz",
    "muon",
]


class AdamState(NamedTuple):
    """The state of :func:`adam` and :func:`adamw` (optax's ``ScaleByAdamState``).

    Attributes:
        count: the number of steps taken, :math:`t` (0 at the start).
        mu: the first moment :math:`m_t`, the EMA of gradients; shape of ``x``.
        nu: the second moment :math:`s_t`, the EMA of squared gradients; shape of ``x``.
    """

    count: int
    mu: np.ndarray
    nu: np.ndarray


class NAdamState(NamedTuple):
    r"""The state of :func:`nadam`.

    Attributes:
        count: the number of steps taken, :math:`t`.
        mu_product: :math:`\prod_{i \le t} \mu_i`, the product of the momentum schedule so
            far (1 at the start); shape of ``x``, so that a batch may sweep ``beta1``.
        mu: the first moment :math:`m_t`; shape of ``x``.
        nu: the second moment :math:`s_t`; shape of ``x``.
    """

    count: int
    mu_product: np.ndarray
    mu: np.ndarray
    nu: np.ndarray


class ScheduleFreeState(NamedTuple):
    """The state of :func:`schedule_free_sgd`.

    Attributes:
        count: the number of steps taken.
        z: the SGD sequence :math:`z_t` (the iterate is its running average); starts at ``x0``.
    """

    count: int
    z: np.ndarray


def _adam_init(x: np.ndarray) -> AdamState:
    return AdamState(0, np.zeros_like(x), np.zeros_like(x))


def _nadam_init(x: np.ndarray) -> NAdamState:
    return NAdamState(0, np.ones_like(x), np.zeros_like(x), np.zeros_like(x))


def _schedule_free_init(x: np.ndarray) -> ScheduleFreeState:
    return ScheduleFreeState(0, x.copy(order="K"))  # "K": keeps the driver's memory layout


def _named_state_rule(init: Callable[[np.ndarray], tuple[Any, ...]]) -> Callable[[Callable[..., Any]], Any]:
    """Wrap a rule whose state is a named tuple; ``init(x0)`` gives its initial state.

    As :func:`mom_lib.steps._step_rule` does for a bare velocity, a direct call checks ``x``,
    the state (its type, every array field shaped like ``x``, a whole-number ``count``), the
    hyperparameters' ranges, the switches and every gradient. :func:`mom_lib.run` checks the
    hyperparameters once, builds the state with ``rule.init`` and calls ``rule.unchecked``.
    """

    def wrap(rule: Callable[..., Any]) -> Any:
        flags = {n for n, p in inspect.signature(rule).parameters.items() if isinstance(p.default, bool)}

        @functools.wraps(rule)
        def checked(x: Any, state: Any, grad_fn: GradFn, **hyperparameters: Any) -> Any:
            x = as_float_array("x", x)
            if x.ndim == 0:
                raise ValueError("x must have a last axis holding the coordinates (shape (..., d)), got a scalar")
            like = init(x)
            kind = type(like).__name__
            if type(state) is not type(like):
                raise TypeError(
                    f"state must be a {kind} (start from {rule.__name__}.init(x)), got {type(state).__name__}"
                )
            fields = []
            for field, value, ref in zip(like._fields, state, like, strict=True):
                if isinstance(ref, np.ndarray):
                    value = as_float_array(f"state.{field}", value)
                    if value.shape != x.shape:
                        raise ValueError(f"state.{field} must have the shape of x, {x.shape}, got shape {value.shape}")
                else:
                    value = check_count(f"state.{field}", value, low=0)
                fields.append(value)
            for k, val in hyperparameters.items():
                if k in flags:
                    check_flag(k, val)
                else:
                    check_hyperparameter(k, val)
            return rule(x, type(like)(*fields), checked_grad(grad_fn, batch_broadcast=True), **hyperparameters)

        rule.init = init  # type: ignore[attr-defined]
        checked.init = init  # type: ignore[attr-defined]
        checked.unchecked = rule  # type: ignore[attr-defined]
        return checked

    return wrap


def _moments(g: np.ndarray, state: Any, beta1: Any, beta2: Any) -> tuple[np.ndarray, np.ndarray]:
    """Adam's two EMAs: :math:`m' = \\beta_1 m + (1-\\beta_1) g`, :math:`s' = \\beta_2 s + (1-\\beta_2) g^2`."""
    return beta1 * state.mu + (1.0 - beta1) * g, beta2 * state.nu + (1.0 - beta2) * (g * g)


def _adam_update(mu: np.ndarray, nu: np.ndarray, t: int, lr: Any, beta1: Any, beta2: Any, eps: Any) -> np.ndarray:
    """The bias-corrected step :math:`\\eta\\, \\hat m / (\\sqrt{\\hat s} + \\epsilon)`."""
    return lr * (mu / (1.0 - beta1**t)) / (np.sqrt(nu / (1.0 - beta2**t)) + eps)


@_named_state_rule(_adam_init)
def adam(
    x: np.ndarray,
    state: AdamState,
    grad_fn: GradFn,
    *,
    lr: Any,
    beta1: Any = 0.9,
    beta2: Any = 0.999,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
) -> tuple[np.ndarray, AdamState]:
    r"""Adam (Kingma & Ba 2015), as ``torch.optim.Adam``; weight decay coupled to the gradient.

    .. math::

        g_t &= \nabla f(x_t) + \lambda x_t, \\
        m_{t+1} &= \beta_1 m_t + (1-\beta_1)\, g_t, \qquad
        s_{t+1} = \beta_2 s_t + (1-\beta_2)\, g_t^2, \\
        x_{t+1} &= x_t - \eta\, \frac{m_{t+1} / (1 - \beta_1^{t+1})}
                              {\sqrt{s_{t+1} / (1 - \beta_2^{t+1})} + \epsilon}

    (elementwise). :math:`m` is the EMA form of momentum with its :math:`1-\beta_1`, and the
    bias correction divides by the EMA's total weight. **PyTorch:** this is
    ``torch.optim.Adam(lr, betas=(beta1, beta2), eps, weight_decay)`` (``amsgrad=False``):
    :math:`\epsilon` is added *outside* the square root, and the weight decay :math:`\lambda`
    is added to the gradient, so it passes through both moments and the normalization (see
    :func:`adamw` for the decoupled form).

    Args:
        x: iterate, shape ``(*batch, d)``.
        state: an :class:`AdamState`; ``adam.init(x0)`` (zeros, count 0) at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta1: first-moment decay :math:`\beta_1 \in [0, 1)`.
        beta2: second-moment decay :math:`\beta_2 \in [0, 1)`.
        eps: :math:`\epsilon > 0`, added to the root of the second moment.
        weight_decay: :math:`\lambda \ge 0`, coupled (L2 penalty on the gradient).

    Returns:
        ``(x_next, AdamState(count + 1, mu_next, nu_next))``.

    Examples:
        The first step moves every coordinate by about :math:`\eta`, whatever the gradient's size:

        >>> import numpy as np
        >>> from mom_lib import adam
        >>> x0 = np.array([1.0, -3.0])
        >>> x, state = adam(x0, adam.init(x0), lambda x: [10.0, 0.1] * x, lr=0.1)
        >>> print(x.round(6), state.count)
        [ 0.9 -2.9] 1

    References:
        D. P. Kingma, J. Ba (2015), Adam: a method for stochastic optimization. ICLR.
    """
    g = grad_fn(x)
    if np.any(weight_decay != 0):
        g = g + weight_decay * x
    mu, nu = _moments(g, state, beta1, beta2)
    t = state.count + 1
    return x - _adam_update(mu, nu, t, lr, beta1, beta2, eps), AdamState(t, mu, nu)


@_named_state_rule(_adam_init)
def adamw(
    x: np.ndarray,
    state: AdamState,
    grad_fn: GradFn,
    *,
    lr: Any,
    beta1: Any = 0.9,
    beta2: Any = 0.999,
    eps: Any = 1e-8,
    weight_decay: Any = 1e-2,
) -> tuple[np.ndarray, AdamState]:
    r"""AdamW (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    .. math::

        g_t &= \nabla f(x_t), \qquad
        m_{t+1} = \beta_1 m_t + (1-\beta_1)\, g_t, \qquad
        s_{t+1} = \beta_2 s_t + (1-\beta_2)\, g_t^2, \\
        x_{t+1} &= (1 - \eta\lambda)\, x_t - \eta\, \frac{m_{t+1} / (1 - \beta_1^{t+1})}
                              {\sqrt{s_{t+1} / (1 - \beta_2^{t+1})} + \epsilon}

    The decay shrinks :math:`x` directly, outside the moments and the normalization, so every
    coordinate decays at the rate :math:`\eta\lambda` per step. **PyTorch:** the decay is
    multiplied by the learning rate (:math:`1 - \eta\lambda`, PyTorch's and optax's form; the
    paper's Algorithm 2 scales it by a schedule multiplier only), and its default
    :math:`\lambda` is ``1e-2``, kept here.

    Args:
        x: iterate, shape ``(*batch, d)``.
        state: an :class:`AdamState`; ``adamw.init(x0)`` at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta1: :math:`\beta_1 \in [0, 1)`.
        beta2: :math:`\beta_2 \in [0, 1)`.
        eps: :math:`\epsilon > 0`.
        weight_decay: :math:`\lambda \ge 0`, decoupled.

    Returns:
        ``(x_next, AdamState(count + 1, mu_next, nu_next))``.

    Examples:
        With a zero gradient only the decay acts: :math:`x_1 = (1 - \eta\lambda) x_0`:

        >>> import numpy as np
        >>> from mom_lib import adamw
        >>> x0 = np.array([2.0])
        >>> x, _ = adamw(x0, adamw.init(x0), lambda x: 0 * x, lr=0.1, weight_decay=0.5)
        >>> print(x)
        [1.9]

    References:
        I. Loshchilov, F. Hutter (2019), Decoupled weight decay regularization. ICLR.
    """
    g = grad_fn(x)
    mu, nu = _moments(g, state, beta1, beta2)
    t = state.count + 1
    return x * (1.0 - lr * weight_decay) - _adam_update(mu, nu, t, lr, beta1, beta2, eps), AdamState(t, mu, nu)


@_named_state_rule(_nadam_init)
def nadam(
    x: np.ndarray,
    state: NAdamState,
    grad_fn: GradFn,
    *,
    lr: Any,
    beta1: Any = 0.9,
    beta2: Any = 0.999,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    momentum_decay: Any = 4e-3,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, NAdamState]:
    r"""NAdam (Dozat 2016): Adam with a Nesterov look-ahead, as ``torch.optim.NAdam``.

    With :math:`t` steps taken and :math:`\psi` = ``momentum_decay``, the momentum schedule is
    :math:`\mu_k = \beta_1 (1 - \tfrac12\, 0.96^{k\psi})` and :math:`\Pi_k = \prod_{i\le k}\mu_i`:

    .. math::

        g_t &= \nabla f(x_t) + \lambda x_t, \qquad
        m_{t+1} = \beta_1 m_t + (1-\beta_1)\, g_t, \qquad
        s_{t+1} = \beta_2 s_t + (1-\beta_2)\, g_t^2, \\
        x_{t+1} &= x_t - \frac{\eta}{\sqrt{s_{t+1}/(1-\beta_2^{t+1})} + \epsilon}
            \left(\frac{(1-\mu_{t+1})\, g_t}{1 - \Pi_{t+1}}
                + \frac{\mu_{t+2}\, m_{t+1}}{1 - \Pi_{t+2}}\right)

    The second term is the momentum of the *next* step, taken now: the look-ahead of
    :func:`mom_lib.nesterov`. With ``decoupled_weight_decay`` the decay is
    :math:`x \leftarrow (1-\eta\lambda) x` instead of :math:`\lambda x` in :math:`g_t`.
    **PyTorch:** this is ``torch.optim.NAdam`` in float64, except that PyTorch keeps
    :math:`\Pi_t` (and the step count) as float32 tensors, so it differs from this rule by
    float32 round-off in :math:`\Pi_t` (below 1e-7 relative).

    Args:
        x: iterate, shape ``(*batch, d)``.
        state: a :class:`NAdamState`; ``nadam.init(x0)`` (``mu_product`` 1) at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta1: :math:`\beta_1 \in [0, 1)`.
        beta2: :math:`\beta_2 \in [0, 1)`.
        eps: :math:`\epsilon > 0`.
        weight_decay: :math:`\lambda \ge 0`.
        momentum_decay: :math:`\psi \ge 0` (PyTorch's default 4e-3).
        decoupled_weight_decay: decay as AdamW does.

    Returns:
        ``(x_next, NAdamState(count + 1, mu_product_next, mu_next, nu_next))``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import nadam
        >>> x0 = np.array([1.0])
        >>> x, state = nadam(x0, nadam.init(x0), lambda x: 2 * x, lr=0.1)
        >>> print(x.round(4), state.mu_product.round(4))
        [0.8944] [0.4501]

    References:
        T. Dozat (2016), Incorporating Nesterov momentum into Adam. ICLR workshop.
    """
    g = grad_fn(x)
    if decoupled_weight_decay:
        x = x * (1.0 - lr * weight_decay)
    elif np.any(weight_decay != 0):
        g = g + weight_decay * x
    t = state.count + 1
    mu_now = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    product = state.mu_product * mu_now
    mu, nu = _moments(g, state, beta1, beta2)
    denom = np.sqrt(nu / (1.0 - beta2**t)) + eps
    step = lr * ((1.0 - mu_now) / (1.0 - product) * g + mu_next / (1.0 - product * mu_next) * mu) / denom
    return x - step, NAdamState(t, product, mu, nu)


@_step_rule
def lion(
    x: np.ndarray,
    v: np.ndarray,
    grad_fn: GradFn,
    *,
    lr: Any,
    beta1: Any = 0.9,
    beta2: Any = 0.99,
    weight_decay: Any = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Lion (Chen et al. 2023, Algorithm 2): the sign of an interpolated momentum.

    .. math::

        c_t = \beta_1 m_t + (1-\beta_1)\, \nabla f(x_t), \qquad
        x_{t+1} = x_t - \eta\, \bigl(\operatorname{sign}(c_t) + \lambda x_t\bigr), \qquad
        m_{t+1} = \beta_2 m_t + (1-\beta_2)\, \nabla f(x_t)

    Every coordinate moves by exactly :math:`\eta` (plus the decay), so with a constant
    :math:`\eta` Lion cannot settle closer than about :math:`\eta` to a minimizer. The step
    uses one EMA (:math:`\beta_1`) and the buffer another (:math:`\beta_2 > \beta_1` by
    default, a longer memory).

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: the momentum :math:`m_t`, shape of ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta1: interpolation for the step, :math:`\beta_1 \in [0, 1)`.
        beta2: decay of the buffer, :math:`\beta_2 \in [0, 1)`.
        weight_decay: :math:`\lambda \ge 0`, decoupled (scaled by :math:`\eta`).

    Returns:
        ``(x_next, m_next)``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import lion
        >>> x, m = lion(np.array([1.0, -2.0]), np.zeros(2), lambda x: 2 * x, lr=0.1)
        >>> print(x, m.round(4))
        [ 0.9 -1.9] [ 0.02 -0.04]

    References:
        X. Chen et al. (2023), Symbolic discovery of optimization algorithms. NeurIPS.
    """
    g = grad_fn(x)
    c = beta1 * v + (1.0 - beta1) * g
    return x - lr * (np.sign(c) + weight_decay * x), beta2 * v + (1.0 - beta2) * g


@_named_state_rule(_schedule_free_init)
def schedule_free_sgd(
    x: np.ndarray,
    state: ScheduleFreeState,
    grad_fn: GradFn,
    *,
    lr: Any,
    beta: Any = 0.9,
    weight_decay: Any = 0.0,
    average_start: bool = True,
) -> tuple[np.ndarray, ScheduleFreeState]:
    r"""Schedule-free SGD (Defazio et al. 2024): momentum read as averaging, no schedule needed.

    .. math::

        y_t &= (1-\beta)\, z_t + \beta\, x_t, \qquad
        z_{t+1} = z_t - \eta\, \bigl(\nabla f(y_t) + \lambda y_t\bigr), \\
        x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1}, \qquad c_{t+1} = \frac{1}{t+2}

    from :math:`x_0 = z_0` (the paper counts from 1: :math:`c_{t+1} = 1/(t+1)`, :math:`x_1 = z_1`).
    The iterate returned is :math:`x_t`, the uniform average of :math:`z_0, \dots, z_t`; the
    gradient is taken at :math:`y_t`, between the average and the SGD sequence.
    With ``average_start=False``, :math:`c_{t+1} = 1/(t+1)` and :math:`x_t` averages
    :math:`z_1, \dots, z_t` only: the weighting :math:`c_{t+1} = \eta^2/\sum_{i\le t}\eta^2`
    of the paper's Algorithm 1 and of ``schedulefree.SGDScheduleFree`` (without warm-up),
    whose model holds :math:`y_t` during training and :math:`x_t` after ``optimizer.eval()``.
    The decay :math:`\lambda` is applied at :math:`y_t`, as there.

    Args:
        x: the average :math:`x_t`, shape ``(*batch, d)``.
        state: a :class:`ScheduleFreeState`; ``schedule_free_sgd.init(x0)`` (:math:`z_0 = x_0`).
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta: interpolation :math:`\beta \in [0, 1)`.
        weight_decay: :math:`\lambda \ge 0`.
        average_start: include :math:`z_0 = x_0` in the average (the paper's equations).

    Returns:
        ``(x_next, ScheduleFreeState(count + 1, z_next))``.

    Examples:
        With :math:`\beta = 0` the gradient is taken at :math:`z_t` (plain SGD) and the iterate
        is the running mean of the SGD iterates :math:`z_0 = 1, z_1 = 0.8`:

        >>> import numpy as np
        >>> from mom_lib import schedule_free_sgd
        >>> x0 = np.array([1.0])
        >>> x, s = schedule_free_sgd(x0, schedule_free_sgd.init(x0), lambda x: 2 * x, lr=0.1, beta=0.0)
        >>> print(x, s.z)
        [0.9] [0.8]

    References:
        A. Defazio, X. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky (2024),
        The road less scheduled. NeurIPS.
    """
    z = state.z
    y = (1.0 - beta) * z + beta * x
    g = grad_fn(y)
    if np.any(weight_decay != 0):
        g = g + weight_decay * y
    z_next = z - lr * g
    c = 1.0 / (state.count + (2 if average_start else 1))
    return (1.0 - c) * x + c * z_next, ScheduleFreeState(state.count + 1, z_next)


#: The quintic Newton-Schulz coefficients of Jordan et al. (2024), PyTorch's defaults.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _newton_schulz(g: np.ndarray, steps: int, coefficients: tuple[float, float, float], eps: float) -> np.ndarray:
    a, b, c = coefficients
    tall = g.shape[-2] > g.shape[-1]
    m = np.swapaxes(g, -1, -2) if tall else g
    norm = np.sqrt(np.sum(m * m, axis=(-2, -1), keepdims=True))
    m = m / np.maximum(norm, eps)
    for _ in range(steps):
        gram = m @ np.swapaxes(m, -1, -2)
        m = a * m + (b * gram + c * (gram @ gram)) @ m
    return np.swapaxes(m, -1, -2) if tall else m


def newton_schulz(
    g: Any, *, steps: int = 5, coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7
) -> np.ndarray:
    r"""Orthogonalize matrices by the quintic Newton-Schulz iteration of Muon (Jordan et al. 2024).

    With :math:`(a, b, c)` = ``coefficients`` and :math:`X_0 = G / \max(\|G\|_F, \epsilon)`
    (so every singular value is at most 1), for a wide matrix (rows :math:`\le` columns):

    .. math::

        A_k = X_k X_k^\top, \qquad X_{k+1} = a X_k + (b A_k + c A_k^2)\, X_k,

    :math:`k = 0, \dots, K-1`; a tall matrix is transposed first and back at the end. Each step
    maps every singular value :math:`\sigma` of :math:`X_k` to
    :math:`a\sigma + b\sigma^3 + c\sigma^5` and keeps the singular vectors, so the result is
    close to :math:`UV^\top` for :math:`G = U\Sigma V^\top`: with the default coefficients
    (chosen for a steep slope at 0, not for convergence) the singular values end in a band
    around 1 (roughly 0.7 to 1.2), not at 1 exactly. This is ``torch.optim.Muon``'s iteration,
    in float64 here where PyTorch runs it in bfloat16.

    Args:
        g: matrices, shape ``(*batch, A, B)`` with :math:`A, B \ge 1`; finite.
        steps: :math:`K`, a whole number in [0, 100).
        coefficients: :math:`(a, b, c)`, three finite reals.
        eps: :math:`\epsilon > 0`, the floor of the norm (a zero matrix stays zero).

    Returns:
        the orthogonalized matrices, shape of ``g``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib.optimizers import newton_schulz
        >>> g = np.random.default_rng(0).standard_normal((4, 6))
        >>> s = np.linalg.svd(newton_schulz(g), compute_uv=False)
        >>> bool(np.all((s > 0.6) & (s < 1.3)))
        True
    """
    arr = as_float_array("g", g)
    if arr.ndim < 2 or 0 in arr.shape[-2:]:
        raise ValueError(
            f"g must be a matrix or a batch of matrices, shape (..., A, B) with A, B >= 1, got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("g must be finite, got an array containing nan or inf")
    steps = check_count("steps", steps, low=0, high=99)
    if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 3:
        raise ValueError(f"coefficients must be three real numbers (a, b, c), got {coefficients!r}")
    coeffs = tuple(check_real(f"coefficients[{i}]", c) for i, c in enumerate(coefficients))
    eps = check_real("eps", eps, low=0.0, low_closed=False)
    return _newton_schulz(arr, steps, coeffs, eps)  # type: ignore[arg-type]


_ADJUST_LR = ("original", "match_rms_adamw")


@_step_rule
def muon(
    x: np.ndarray,
    v: np.ndarray,
    grad_fn: GradFn,
    *,
    lr: Any,
    beta: Any = 0.95,
    weight_decay: Any = 0.1,
    nesterov: bool = True,
    adjust_lr_fn: str = "original",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Muon (Jordan et al. 2024) for matrix parameters, as ``torch.optim.Muon``.

    For a weight matrix :math:`X \in \mathbb{R}^{A\times B}` with gradient :math:`G_t`:

    .. math::

        M_{t+1} &= \beta M_t + (1-\beta)\, G_t, \qquad
        U_t = (1-\beta)\, G_t + \beta M_{t+1} \ \text{(Nesterov; } U_t = M_{t+1}
        \text{ without)}, \\
        X_{t+1} &= (1 - \eta\lambda)\, X_t - \eta\, s\; \mathrm{NS}_5(U_t),

    with :func:`newton_schulz`'s five steps :math:`\mathrm{NS}_5` (default coefficients and
    :math:`\epsilon = 10^{-7}`, as PyTorch's) and the learning-rate
    adjustment :math:`s = \sqrt{\max(1, A/B)}` (``adjust_lr_fn="original"``, Jordan et al.)
    or :math:`s = 0.2\sqrt{\max(A, B)}` (``"match_rms_adamw"``, Liu et al. 2025: it gives the
    update the RMS of a typical AdamW update, so AdamW's :math:`\eta` and :math:`\lambda` carry
    over). The orthogonalized update is steepest descent in the spectral norm. **PyTorch:**
    the momentum is in the EMA form (``buf.lerp_(grad, 1 - momentum)``) and
    ``torch.optim.Muon`` runs the Newton-Schulz iteration in bfloat16, so it agrees with this
    float64 rule to bfloat16 round-off only; ``beta`` is its ``momentum``, and the defaults
    (:math:`\beta = 0.95`, :math:`\lambda = 0.1`) are its defaults.

    Args:
        x: the matrix, shape ``(*batch, A, B)``: under :func:`mom_lib.run`, ``x0`` of shape
            ``(A, B)`` (or ``(n, A, B)`` for ``n`` runs); ``run`` then counts the rows as batch
            elements, so an array-valued hyperparameter has shape ``(n, 1)`` and ``diverged``
            has one entry per row.
        v: the momentum :math:`M_t`, shape of ``x``; zeros at the start.
        grad_fn: gradient, ``(*batch, A, B) -> (*batch, A, B)``.
        lr: learning rate :math:`\eta \ge 0`.
        beta: momentum :math:`\beta \in [0, 1)`.
        weight_decay: :math:`\lambda \ge 0`, decoupled.
        nesterov: use the Nesterov update :math:`U_t` (PyTorch's default).
        adjust_lr_fn: ``"original"`` or ``"match_rms_adamw"``.

    Returns:
        ``(x_next, M_next)``.

    Examples:
        The update of a 2 x 3 matrix has singular values near 1 (here with no decay):

        >>> import numpy as np
        >>> from mom_lib import muon
        >>> x0 = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
        >>> x, m = muon(x0, np.zeros_like(x0), lambda x: x, lr=0.1, weight_decay=0.0)
        >>> s = np.linalg.svd((x0 - x) / 0.1, compute_uv=False)
        >>> bool(np.all(np.abs(s - 1) < 0.3))
        True

    References:
        K. Jordan et al. (2024), Muon: an optimizer for hidden layers in neural networks.
        J. Liu et al. (2025), Muon is scalable for LLM training.
    """
    if x.ndim < 2:
        raise ValueError(f"x must be a matrix (shape (..., A, B)) for muon, got shape {x.shape}")
    if adjust_lr_fn == "original":
        scale = max(1.0, x.shape[-2] / x.shape[-1]) ** 0.5
    elif adjust_lr_fn == "match_rms_adamw":
        scale = 0.2 * max(x.shape[-2:]) ** 0.5
    else:
        raise ValueError(f"adjust_lr_fn must be one of {_ADJUST_LR}, got {adjust_lr_fn!r}")
    g = grad_fn(x)
    m = beta * v + (1.0 - beta) * g
    u = (1.0 - beta) * g + beta * m if nesterov else m
    o = _newton_schulz(u, 5, NS_COEFFICIENTS, 1e-7)  # PyTorch's steps, coefficients and eps
    return x * (1.0 - lr * weight_decay) - (lr * scale) * o, m
