r"""Translate momentum hyperparameters between the conventions in use.

The book's convention is PyTorch's: :math:`v_{t+1} = \beta v_t + \nabla f(x_t)`,
:math:`x_{t+1} = x_t - \eta v_{t+1}`. For a *constant* learning rate the others give the
same iterates after an exact rescaling (:math:`g = \nabla f(x)`):

* ``pytorch``: :math:`v' = \beta v + g,\ x' = x - \eta v'` -- the reference.
* ``sutskever`` (also ``keras``): :math:`u' = \beta u - \epsilon g,\ x' = x + u'`. Same iterates
  for :math:`\epsilon = \eta`; the state is :math:`u = -\eta v`.
* ``polyak``: :math:`x' = x - \eta g + \beta (x - x_{\mathrm{prev}})`. Same :math:`(\eta, \beta)`;
  it is the Sutskever form with :math:`u = x - x_{\mathrm{prev}}`.
* ``ema``: :math:`m' = \beta m + (1-\beta) g,\ x' = x - \alpha m'`. Same iterates for
  :math:`\alpha = \eta / (1-\beta)`; the state is :math:`m = (1-\beta) v`.
* ``qhm`` (Ma & Yarats 2019): :math:`m' = \beta m + (1-\beta) g,\
  x' = x - \alpha((1-\nu) g + \nu m')`. Its heavy-ball member is :math:`\nu = 1`, the ``ema``
  form: :math:`\alpha = \eta / (1-\beta)`, :math:`m = (1-\beta) v` (and :math:`\nu = \beta`,
  same :math:`\alpha`, is Nesterov; see :func:`mom_lib.qhm`).

Under a learning-rate schedule PyTorch's velocity remembers raw gradients while
Sutskever's remembers steps already scaled by old learning rates, so the two differ; with
PyTorch's dampening the first step differs from the EMA (see :func:`mom_lib.heavy_ball`).

Under a *momentum* schedule :math:`\beta_t` (such as :func:`demon`) with a constant learning
rate, PyTorch's and Sutskever's forms still give the same iterates (:math:`u_t = -\eta v_t`
holds step by step), but the EMA form does not: ``ema`` with :math:`(\alpha, \beta_t)` is
PyTorch's heavy ball with :math:`\eta_t = \alpha (1 - \beta_t)` and
:math:`\beta'_t = \beta_t (1 - \beta_{t-1}) / (1 - \beta_t)` (and :math:`m_t = (1-\beta_{t-1}) v_t`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import methods as _methods
from ._validation import as_float_array, check_count, check_hyperparameter
from .steps import StepRule

__all__ = ["CONVENTIONS", "translate", "state_scale", "lookahead_point", "step_rule_for", "demon"]

#: The conventions :func:`translate` knows; ``keras`` is another name for ``sutskever``.
CONVENTIONS = ("pytorch", "sutskever", "keras", "polyak", "ema", "qhm")


def _name(convention: str, label: str = "convention") -> str:
    if not isinstance(convention, str) or convention not in CONVENTIONS:
        raise ValueError(f"{label} must be one of {CONVENTIONS}, got {convention!r}")
    return "sutskever" if convention in ("keras", "polyak") else convention


def _to_pytorch(convention: str, lr: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return lr * (1 - beta) if _name(convention) in ("ema", "qhm") else lr


def _from_pytorch(convention: str, lr: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return lr / (1 - beta) if _name(convention) in ("ema", "qhm") else lr


def translate(*, lr: Any, beta: Any, source: str, target: str) -> dict[str, np.ndarray]:
    r"""Hyperparameters in convention ``target`` that give the same iterates as ``(lr, beta)`` in ``source``.

    The momentum :math:`\beta` is the same in every convention; only the step size changes,
    and only for the ``ema`` and ``qhm`` forms: :math:`\eta = \alpha (1 - \beta)`. For ``qhm``
    the heavy-ball member :math:`\nu = 1` is meant: as a source it is assumed, as a target it
    is returned as ``"nu"``.

    Args:
        lr: the step size in ``source`` (:math:`\eta`, :math:`\epsilon` or :math:`\alpha`), >= 0.
        beta: momentum in [0, 1).
        source, target: names from :data:`CONVENTIONS`.

    Returns:
        ``{"lr": ..., "beta": ...}`` for ``target`` (and ``"nu": 1.0`` for ``qhm``).

    Examples:
        >>> from mom_lib import translate
        >>> out = translate(lr=0.1, beta=0.9, source="ema", target="pytorch")
        >>> print(f"{out['lr']:.3f} {out['beta']:.1f}")
        0.010 0.9
    """
    lr = check_hyperparameter("lr", lr)
    beta = check_hyperparameter("beta", beta)
    _name(source, "source")
    _name(target, "target")
    eta = _to_pytorch(source, lr, beta)
    with np.errstate(over="ignore"):
        out = _from_pytorch(target, eta, beta)
    if not np.all(np.isfinite(out)):
        raise ValueError("lr must be smaller: lr / (1 - beta) exceeds the float range")
    if _name(target) == "qhm":
        return {"lr": out, "beta": beta, "nu": np.ones_like(out)}
    return {"lr": out, "beta": beta}


def state_scale(convention: str, *, lr: Any, beta: Any) -> np.ndarray:
    r"""The factor :math:`c` with (state of ``convention``) :math:`= c\, v` (PyTorch's velocity), same iterates.

    ``pytorch``: 1; ``sutskever``/``keras``/``polyak``: :math:`-\eta`; ``ema``, ``qhm``: :math:`1 - \beta`.
    ``lr`` is PyTorch's :math:`\eta`.
    """
    lr = check_hyperparameter("lr", lr)
    beta = check_hyperparameter("beta", beta)
    name = _name(convention)
    if name == "pytorch":
        return np.ones_like(lr * beta)
    if name == "sutskever":
        return -lr + 0 * beta
    return 1 - beta + 0 * lr


def lookahead_point(x: Any, u: Any, *, beta: Any) -> np.ndarray:
    r"""The look-ahead point :math:`y = x + \beta u` of Nesterov's original form.

    The iterates :math:`y_t` built from :func:`mom_lib.sutskever_nesterov`'s :math:`(x_t, u_t)`
    are the iterates of :func:`mom_lib.nesterov` (PyTorch's form) with the same
    :math:`(\eta, \beta)`.
    """
    beta = check_hyperparameter("beta", beta)
    x, u = as_float_array("x", x), as_float_array("u", u)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x must have a last axis holding at least one coordinate (shape (..., d)), got {x.shape}")
    if u.shape != x.shape:
        raise ValueError(f"u must have the shape of x, {x.shape}, got shape {u.shape}")
    return x + (beta[..., None] if beta.ndim else beta) * u


def step_rule_for(convention: str, *, method: str = "heavy_ball") -> StepRule:
    """The step rule that implements ``method`` in ``convention`` (``ema`` without bias correction).

    The rule is read from the registry (:mod:`mom_lib.methods`): the entry written in
    ``convention`` that is a form of the same method as ``method``. A method without momentum
    (``"gd"``) is the same rule in every convention.

    Args:
        convention: a name from :data:`CONVENTIONS`.
        method: a name in :data:`mom_lib.methods.METHODS`; heavy ball by default. Any of its
            forms names it: ``"sutskever"`` and ``"heavy_ball"`` both mean heavy ball.

    Returns:
        the step rule.

    Raises:
        ValueError: for an unknown convention or method, or a method with no registered
            form in ``convention`` (the message lists the conventions it has).

    Examples:
        >>> from mom_lib import step_rule_for
        >>> [step_rule_for(c).__name__ for c in ("pytorch", "keras", "ema")]
        ['heavy_ball', 'sutskever', 'ema']
        >>> step_rule_for("sutskever", method="nesterov").__name__
        'sutskever_nesterov'
    """
    name = _name(convention)
    m = _methods.method(method)
    if m.convention is None:
        return m.rule
    forms = [e for e in _methods.METHODS.values() if e.form_of == m.form_of and e.convention is not None]
    for e in forms:
        if e.convention == name:
            return e.rule
    have = tuple(e.convention for e in forms)
    raise ValueError(
        f"method {method!r} has no form in convention {convention!r}; it is registered in {have} "
        "(add an entry to mom_lib.methods)"
    )


def demon(*, beta: Any, n_steps: int) -> Callable[[int], np.ndarray]:
    r"""The Demon momentum schedule (Chen et al. 2022): :math:`\beta_t` for ``run(..., beta=demon(...))``.

    A gradient's total weight in all later steps is :math:`\sum_{k\ge1} \beta^k = \beta/(1-\beta)`;
    Demon lets it fall linearly to 0 over :math:`T` steps:

    .. math::

        \frac{\beta_t}{1 - \beta_t} = \Bigl(1 - \frac{t}{T}\Bigr) \frac{\beta_0}{1 - \beta_0},
        \qquad \beta_t = \frac{\beta_0 (1 - t/T)}{(1 - \beta_0) + \beta_0 (1 - t/T)},

    and :math:`\beta_t = 0` from :math:`t = T` on. With a constant learning rate PyTorch's and
    Sutskever's forms give the same iterates under this schedule; the EMA form needs the
    translation in this module's introduction.

    Args:
        beta: the initial momentum :math:`\beta_0 \in [0, 1)`; an array sweeps several.
        n_steps: :math:`T \ge 1`, the step at which the momentum reaches 0.

    Returns:
        the schedule ``t -> beta_t`` (an array of the shape of ``beta``).

    Raises:
        ValueError, TypeError: for ``beta`` outside [0, 1) or ``n_steps`` not a whole number >= 1.

    Examples:
        >>> from mom_lib import demon
        >>> schedule = demon(beta=0.9, n_steps=100)
        >>> print([round(float(schedule(t)), 4) for t in (0, 50, 99, 100)])
        [0.9, 0.8182, 0.0826, 0.0]

    References:
        J. Chen, C. Wolfe, Z. Li, A. Kyrillidis (2022), Demon: improved neural network training
        with momentum decay. ICASSP.
    """
    beta0 = check_hyperparameter("beta", beta)
    total = check_count("n_steps", n_steps, low=1)

    def schedule(t: int) -> np.ndarray:
        left = max(0.0, 1.0 - t / total)
        return beta0 * left / ((1.0 - beta0) + beta0 * left)

    return schedule
