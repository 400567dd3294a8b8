r"""Step rules: one iteration of gradient descent with or without momentum.

Every rule has the same shape, so :func:`mom_lib.run` can drive any of them::

    x_next, v_next = step(x, v, grad_fn, *, <hyperparameters>)

* ``x`` -- the iterate, shape ``(*batch, d)``;
* ``v`` -- the rule's state (the velocity), same shape as ``x``, zeros at the start;
* ``grad_fn`` -- maps points of shape ``(*batch, d)`` to gradients of the same shape;
* hyperparameters are keyword-only and broadcast against ``x[..., 0]`` -- a scalar, or an
  array with the batch shape (a trailing axis of size 1 is added by :func:`mom_lib.run`).

The rules are pure: nothing is changed in place, the new iterate and state are returned.

**The book's convention** is PyTorch's (``torch.optim.SGD``):

.. math::

    v_{t+1} = \beta v_t + \nabla f(x_t), \qquad x_{t+1} = x_t - \eta\, v_{t+1}.

The other conventions in common use (Sutskever et al. / Keras, the exponential moving
average with :math:`1-\beta`, Polyak's two-term recurrence, Nesterov's look-ahead form)
are here as rules too, and :mod:`mom_lib.conventions` converts their hyperparameters
exactly.

Every rule has one entry in :mod:`mom_lib.methods` (its label, convention and linear theory),
which the theory, the figures and the conventions read by the rule's name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import as_float_array, check_count, check_flag, check_hyperparameter, checked_grad

GradFn = Callable[[np.ndarray], np.ndarray]
StepRule = Callable[..., tuple[np.ndarray, np.ndarray]]

__all__ = ["gd", "heavy_ball", "torch_sgd", "nesterov", "sutskever", "sutskever_nesterov", "ema", "qhm"]


def _step_rule(rule: Callable[..., tuple[np.ndarray, np.ndarray]]) -> StepRule:
    """Wrap ``rule`` so that direct calls check the hyperparameters' ranges.

    :func:`mom_lib.run` checks them once and then calls ``rule.unchecked`` on every step. A direct
    call also checks ``x`` and ``v`` (real arrays of one shape), the switches (parameters whose
    default is a bool, such as ``bias_correction``), the step index ``t`` and every gradient
    ``grad_fn`` returns (an array of the shape of ``x``, or one that broadcasts into it along
    the batch axes, with every coordinate there: the same gradient for several rows of ``x``).
    """
    params = inspect.signature(rule).parameters
    flags = {n for n, p in params.items() if isinstance(p.default, bool)}
    options = {n for n, p in params.items() if isinstance(p.default, str)}  # choices by name

    @functools.wraps(rule)
    def checked(x: np.ndarray, v: np.ndarray, grad_fn: GradFn, **hyperparameters: Any):
        x, v = as_float_array("x", x), as_float_array("v", v)
        if x.ndim == 0:
            raise ValueError("x must have a last axis holding the coordinates (shape (..., d)), got a scalar")
        if v.shape != x.shape:
            raise ValueError(f"v must have the shape of x, {x.shape}, got shape {v.shape}")
        for k, val in hyperparameters.items():
            if k == "t":
                check_count("t", val, low=0)
            elif k in flags:
                check_flag(k, val)
            elif k in options:
                if not isinstance(val, str):
                    raise TypeError(f"{k} must be a str naming a choice, got {type(val).__name__} {val!r}")
            else:
                check_hyperparameter(k, val)
        return rule(x, v, checked_grad(grad_fn, batch_broadcast=True), **hyperparameters)

    checked.unchecked = rule  # type: ignore[attr-defined]
    return checked


@_step_rule
def gd(x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Plain gradient descent.

    .. math::

        x_{t+1} = x_t - \eta \nabla f(x_t)

    The state ``v`` is carried along unchanged (it stays zero), so gradient descent has the
    same signature as the momentum rules.

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: state, same shape as ``x`` (ignored).
        grad_fn: gradient of the objective, ``(*batch, d) -> (*batch, d)``.
        lr: learning rate :math:`\eta \ge 0`, scalar or broadcastable against ``x``.

    Returns:
        ``(x_next, v)``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import gd
        >>> x, v = gd(np.array([2.0]), np.zeros(1), lambda x: 2 * x, lr=0.25)
        >>> print(x)
        [1.]
    """
    return x - lr * grad_fn(x), v


@_step_rule
def heavy_ball(
    x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any, dampening: Any = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Polyak's heavy-ball momentum in the book's (PyTorch) convention.

    .. math::

        v_{t+1} = \beta v_t + (1 - \delta)\, \nabla f(x_t), \qquad x_{t+1} = x_t - \eta\, v_{t+1}

    with dampening :math:`\delta` (0 by default). With :math:`\delta = 0` this is exactly
    ``torch.optim.SGD(lr=eta, momentum=beta)``. With :math:`\beta = 0` it is :func:`gd`.

    **Differs from PyTorch when** :math:`\delta > 0`: PyTorch sets the first velocity to the
    raw gradient, :math:`v_1 = \nabla f(x_0)`, ignoring the dampening on that step only;
    this rule applies :math:`1 - \delta` on every step, so :math:`v_1 = (1-\delta)\nabla f(x_0)`.
    With :math:`\delta = \beta` this rule is the exponential moving average of :func:`ema`.

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: velocity, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective, ``(*batch, d) -> (*batch, d)``.
        lr: learning rate :math:`\eta \ge 0`.
        beta: momentum :math:`\beta \in [0, 1)`.
        dampening: :math:`\delta \in [0, 1)`, scales the fresh gradient.

    Returns:
        ``(x_next, v_next)``.

    Examples:
        Two steps on :math:`f(x) = x^2` (gradient :math:`2x`) from :math:`x_0 = 1`:

        >>> import numpy as np
        >>> from mom_lib import heavy_ball
        >>> x, v = np.array([1.0]), np.zeros(1)
        >>> x, v = heavy_ball(x, v, lambda x: 2 * x, lr=0.1, beta=0.9)
        >>> print(x, v)
        [0.8] [2.]
        >>> x, v = heavy_ball(x, v, lambda x: 2 * x, lr=0.1, beta=0.9)
        >>> print(x.round(4), v.round(4))
        [0.46] [3.4]

    References:
        B. T. Polyak (1964), Some methods of speeding up the convergence of iteration methods.
    """
    v_next = beta * v + (1.0 - dampening) * grad_fn(x)
    return x - lr * v_next, v_next


@_step_rule
def torch_sgd(
    x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any, dampening: Any = 0.0, t: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""``torch.optim.SGD(lr, momentum=beta, dampening=dampening)`` exactly, first step included.

    .. math::

        v_1 = \nabla f(x_0), \qquad v_{t+1} = \beta v_t + (1 - \delta) \nabla f(x_t) \ (t \ge 1),
        \qquad x_{t+1} = x_t - \eta\, v_{t+1}

    PyTorch starts its momentum buffer at the raw gradient, so its first step ignores the
    dampening :math:`\delta`; :func:`heavy_ball` applies :math:`1 - \delta` on every step. The two
    agree when :math:`\delta = 0`. This rule exists to show that difference.

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: PyTorch's momentum buffer, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta: momentum :math:`\beta \in [0, 1)`.
        dampening: :math:`\delta \in [0, 1)`.
        t: the index of the current step (0 for the first); :func:`mom_lib.run` passes it.

    Returns:
        ``(x_next, v_next)``.

    Examples:
        With :math:`\delta = \beta = 0.9` the first step is :math:`1/(1-\delta) = 10` times
        :func:`heavy_ball`'s:

        >>> import numpy as np
        >>> from mom_lib import heavy_ball, torch_sgd
        >>> x0, g = np.array([1.0]), lambda x: 2 * x
        >>> print(torch_sgd(x0, np.zeros(1), g, lr=0.1, beta=0.9, dampening=0.9, t=0)[0],
        ...       heavy_ball(x0, np.zeros(1), g, lr=0.1, beta=0.9, dampening=0.9)[0])
        [0.8] [0.98]
    """
    g = grad_fn(x)
    v_next = g if t == 0 else beta * v + (1.0 - dampening) * g
    return x - lr * v_next, v_next


@_step_rule
def nesterov(x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Nesterov's accelerated gradient in the book's (PyTorch) convention.

    .. math::

        g_t = \nabla f(x_t), \qquad v_{t+1} = \beta v_t + g_t, \qquad
        x_{t+1} = x_t - \eta\,(g_t + \beta v_{t+1})

    This is ``torch.optim.SGD(lr=eta, momentum=beta, nesterov=True)``. Its iterates are the
    look-ahead points :math:`x^{\mathrm{S}}_t + \beta u_t` of :func:`sutskever_nesterov`
    (Nesterov's original form, which evaluates the gradient at the look-ahead point).

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: velocity, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta: momentum :math:`\beta \in [0, 1)`.

    Returns:
        ``(x_next, v_next)``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import nesterov
        >>> x, v = nesterov(np.array([1.0]), np.zeros(1), lambda x: 2 * x, lr=0.1, beta=0.9)
        >>> print(x, v)
        [0.62] [2.]

    References:
        Y. Nesterov (1983), A method of solving a convex programming problem with
        convergence rate O(1/k^2).
    """
    g = grad_fn(x)
    v_next = beta * v + g
    return x - lr * (g + beta * v_next), v_next


@_step_rule
def sutskever(x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Heavy ball in the Sutskever et al. / Keras convention.

    .. math::

        u_{t+1} = \beta u_t - \eta \nabla f(x_t), \qquad x_{t+1} = x_t + u_{t+1}

    Here the state :math:`u_t = x_t - x_{t-1}` is the last displacement, so this rule *is*
    Polyak's two-term recurrence
    :math:`x_{t+1} = x_t - \eta \nabla f(x_t) + \beta (x_t - x_{t-1})` with :math:`x_{-1} = x_0`.
    For a constant :math:`\eta` it gives the same iterates as :func:`heavy_ball` with the same
    :math:`(\eta, \beta)`, and :math:`u_t = -\eta v_t`; under a learning-rate schedule the two
    differ (see :mod:`mom_lib.conventions`).

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: the displacement :math:`u_t`, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta: momentum :math:`\beta \in [0, 1)`.

    Returns:
        ``(x_next, u_next)``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import sutskever
        >>> x, u = sutskever(np.array([1.0]), np.zeros(1), lambda x: 2 * x, lr=0.1, beta=0.9)
        >>> print(x, u)
        [0.8] [-0.2]

    References:
        I. Sutskever, J. Martens, G. Dahl, G. Hinton (2013), On the importance of
        initialization and momentum in deep learning. ICML.
    """
    u_next = beta * v - lr * grad_fn(x)
    return x + u_next, u_next


@_step_rule
def sutskever_nesterov(
    x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nesterov's accelerated gradient in its look-ahead form (Sutskever et al. 2013).

    .. math::

        u_{t+1} = \beta u_t - \eta \nabla f(x_t + \beta u_t), \qquad x_{t+1} = x_t + u_{t+1}

    The gradient is taken at the look-ahead point :math:`y_t = x_t + \beta u_t`. The points
    :math:`y_t` are exactly the iterates of :func:`nesterov` with the same
    :math:`(\eta, \beta)` (see :func:`mom_lib.conventions.lookahead_point`).

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: the displacement :math:`u_t`, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: learning rate :math:`\eta \ge 0`.
        beta: momentum :math:`\beta \in [0, 1)`.

    Returns:
        ``(x_next, u_next)``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import sutskever_nesterov
        >>> x, u = sutskever_nesterov(np.array([1.0]), np.zeros(1), lambda x: 2 * x, lr=0.1, beta=0.9)
        >>> print(x, u)
        [0.8] [-0.2]
    """
    u_next = beta * v - lr * grad_fn(x + beta * v)
    return x + u_next, u_next


@_step_rule
def ema(
    x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any, t: int = 0, bias_correction: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""Momentum as an exponential moving average of gradients (the :math:`1-\beta` form).

    .. math::

        m_{t+1} = \beta m_t + (1 - \beta) \nabla f(x_t), \qquad
        x_{t+1} = x_t - \alpha\, \frac{m_{t+1}}{c_{t+1}},

    where :math:`c_{t+1} = 1 - \beta^{t+1}` with bias correction and :math:`c_{t+1} = 1`
    without. Without bias correction this gives the iterates of :func:`heavy_ball` with
    learning rate :math:`\eta = \alpha (1-\beta)`, and :math:`m_t = (1-\beta) v_t`.

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: the average :math:`m_t`, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: the step size :math:`\alpha \ge 0` applied to the average.
        beta: decay :math:`\beta \in [0, 1)`.
        t: the index of the current step (0 for the first); :func:`mom_lib.run` passes it.
        bias_correction: divide by :math:`1 - \beta^{t+1}`, as Adam does.

    Returns:
        ``(x_next, m_next)``.

    Examples:
        With bias correction the first step moves by :math:`\alpha \nabla f(x_0)`:

        >>> import numpy as np
        >>> from mom_lib import ema
        >>> x, m = ema(np.array([1.0]), np.zeros(1), lambda x: 2 * x, lr=0.1, beta=0.9, t=0, bias_correction=True)
        >>> print(x, m.round(6))
        [0.8] [0.2]
    """
    m_next = beta * v + (1.0 - beta) * grad_fn(x)
    if bias_correction:
        return x - lr * m_next / (1.0 - np.power(beta, t + 1)), m_next
    return x - lr * m_next, m_next


@_step_rule
def qhm(
    x: np.ndarray, v: np.ndarray, grad_fn: GradFn, *, lr: Any, beta: Any, nu: Any = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Quasi-hyperbolic momentum (Ma & Yarats 2019): a step between the gradient and its average.

    .. math::

        m_{t+1} = \beta m_t + (1 - \beta) \nabla f(x_t), \qquad
        x_{t+1} = x_t - \alpha \bigl((1 - \nu) \nabla f(x_t) + \nu\, m_{t+1}\bigr)

    with :math:`\alpha` = ``lr``. It contains the book's methods (all exactly, with
    :math:`\eta = \alpha (1 - \beta)` and :math:`m_t = (1-\beta) v_t`):

    * :math:`\nu = 1`: :func:`ema` without bias correction, i.e. :func:`heavy_ball`;
    * :math:`\nu = \beta`: :func:`nesterov` (expand :math:`g_t + \beta v_{t+1}` in :math:`m`);
    * :math:`\nu = 0`: :func:`gd` with learning rate :math:`\alpha`.

    :func:`mom_lib.translate` converts to and from its heavy-ball member (``"qhm"``,
    :math:`\nu = 1`). The paper recommends :math:`\nu = 0.7, \beta = 0.999`.

    Args:
        x: iterate, shape ``(*batch, d)``.
        v: the average :math:`m_t`, same shape as ``x``; zeros at the start.
        grad_fn: gradient of the objective.
        lr: the step size :math:`\alpha \ge 0`.
        beta: decay :math:`\beta \in [0, 1)`.
        nu: the weight :math:`\nu \in [0, 1]` of the average in the step.

    Returns:
        ``(x_next, m_next)``.

    Examples:
        With :math:`\nu = \beta` the iterates are Nesterov's with :math:`\eta = \alpha(1-\beta)`:

        >>> import numpy as np
        >>> from mom_lib import nesterov, qhm
        >>> g = lambda x: 2 * x
        >>> print(qhm(np.array([1.0]), np.zeros(1), g, lr=1.0, beta=0.9, nu=0.9)[0].round(6),
        ...       nesterov(np.array([1.0]), np.zeros(1), g, lr=0.1, beta=0.9)[0].round(6))
        [0.62] [0.62]

    References:
        J. Ma, D. Yarats (2019), Quasi-hyperbolic momentum and Adam for deep learning. ICLR.
    """
    g = grad_fn(x)
    m_next = beta * v + (1.0 - beta) * g
    return x - lr * ((1.0 - nu) * g + nu * m_next), m_next
