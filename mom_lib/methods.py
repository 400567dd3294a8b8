r"""The registry of methods: one entry per step rule, read by every module that takes a ``method``.

An entry (:class:`Method`) holds everything the rest of :mod:`mom_lib` knows about a rule:
the step function of :mod:`mom_lib.steps`, the label figures show, the hyperparameters the
figures' sliders set, its linear theory on a quadratic, and the momentum convention it is
written in. :mod:`mom_lib.theory` (``rate``, ``iteration_matrix``, ``characteristic_roots``,
``stability_limit``), :mod:`mom_lib.interactive` (``METHODS``, the figures' legends) and
:func:`mom_lib.conventions.step_rule_for` all read :data:`METHODS`.

**The linear theory.** On :math:`f(x) = \tfrac12 \lambda x^2` (one eigen-direction of a
quadratic) the rules below are linear two-term recurrences: with :math:`h = \eta\lambda`,

.. math::

    x_{t+1} = \operatorname{tr}(h, \beta)\, x_t - \det(h, \beta)\, x_{t-1} \quad (t \ge 1),
    \qquad
    M = \begin{pmatrix} \operatorname{tr} & -\det \\ 1 & 0 \end{pmatrix},

so an entry gives the trace and the determinant of the iteration matrix :math:`M` as a
function of :math:`h` and :math:`\beta` (at the defaults of the rule's other
hyperparameters: no dampening, no bias correction). A rule whose iterates are not a linear
recurrence (Adam, Lion, ...) has ``linear=None`` and the theory functions refuse it by name.

**Adding a rule** takes one entry: write the rule in :mod:`mom_lib.steps` (or
:mod:`mom_lib.optimizers`, for a rule with a named state), then add a
:class:`Method` to the tuple below (see ``CONTRIBUTING.md``).

Examples:
    >>> from mom_lib.methods import METHODS, method
    >>> m = method("nesterov")
    >>> print(m.label, m.convention, m.form_of, m.hyperparameters)
    Nesterov pytorch nesterov ('lr', 'beta')
    >>> print([float(c) for c in m.linear(0.5, 0.5)])  # trace and determinant at h = 0.5, beta = 0.5
    [0.75, 0.25]
    >>> list(METHODS)  # doctest: +NORMALIZE_WHITESPACE
    ['gd', 'heavy_ball', 'torch_sgd', 'nesterov', 'sutskever', 'sutskever_nesterov', 'ema', 'qhm',
     'adam', 'adamw', 'nadam', 'lion', 'schedule_free_sgd', 'muon']
    >>> method("sgd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown method 'sgd': method must be one of ('gd', 'heavy_ball', ..., 'muon')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import optimizers, steps
from .steps import StepRule

__all__ = ["Method", "METHODS", "method"]

#: ``linear(h, beta) -> (trace, det)`` of the 2x2 iteration matrix, vectorized.
LinearTheory = Callable[[Any, Any], tuple[Any, Any]]


@dataclass(frozen=True)
class Method:
    r"""Everything :mod:`mom_lib` knows about one step rule.

    Attributes:
        name: the name every ``method=`` argument takes, e.g. ``"heavy_ball"``.
        rule: the step function, ``rule(x, v, grad_fn, *, lr, ...) -> (x_next, v_next)``.
        label: the human name figures show in legends and selectors.
        hyperparameters: the hyperparameters the figures' sliders and the linear theory set,
            in order; ``("lr",)`` for a rule without momentum, ``("lr", "beta")`` otherwise.
        convention: the momentum convention the rule is written in, a name in
            :data:`mom_lib.conventions.CONVENTIONS` (``"pytorch"``, ``"sutskever"``, ``"ema"``,
            ``"qhm"``);
            ``None`` for a rule without momentum (the same in every convention) and for the
            optimizers of :mod:`mom_lib.optimizers`, whose hyperparameters no convention
            translates (they are PyTorch's, as named there).
        form_of: the method this rule writes in its convention (``"heavy_ball"`` for
            ``sutskever``); its own name for a method in the book's (PyTorch) convention.
        linear: ``linear(h, beta) -> (trace, det)`` with :math:`h = \eta\lambda`: the
            iteration matrix on one eigen-direction of a quadratic (arrays in, arrays out;
            :mod:`mom_lib.theory` broadcasts the two against each other); ``None`` when the
            rule has no linear theory.
        stability: ``stability(beta) -> h``, the largest :math:`\eta\lambda` for which the
            linear recurrence converges, in closed form; ``None`` without a linear theory.
        state_space: ``state_space(lam, lr, beta) -> (a, c, e, g, b1)``: the rule's own state
            :math:`s_t = (x_t, v_t)` on :math:`\tfrac12\lambda x^2` with a noisy gradient
            :math:`\lambda x + \xi` evolves as :math:`s_{t+1} = R s_t + b\,\xi_t` with
            :math:`R = \begin{pmatrix} a & c \\ e & g \end{pmatrix}`,
            :math:`b = (b_1, 1)` (used by :mod:`mom_lib.noise`); ``None`` where not given.
        matrix: the rule's iterate is a matrix, shape ``(..., A, B)`` (Muon); the figures,
            which run on 2-D objectives, refuse it.
    """

    name: str
    rule: StepRule
    label: str
    hyperparameters: tuple[str, ...] = ("lr", "beta")
    convention: str | None = "pytorch"
    form_of: str | None = None
    linear: LinearTheory | None = None
    stability: Callable[[Any], Any] | None = None
    state_space: Callable[[Any, Any, Any], tuple[Any, ...]] | None = None
    matrix: bool = False

    def __post_init__(self) -> None:
        if self.form_of is None:
            object.__setattr__(self, "form_of", self.name)
        if (self.linear is None) != (self.stability is None):
            raise ValueError(f"method {self.name!r}: give both linear and stability, or neither")

    @property
    def momentum(self) -> bool:
        """Whether the rule takes a momentum ``beta``."""
        return "beta" in self.hyperparameters


# -- linear theory, h = lr * lam ---------------------------------------------------------------


def _gd_linear(h: Any, beta: Any) -> tuple[Any, Any]:
    """x_{t+1} = (1 - h) x_t: the rate is |1 - h| exactly."""
    return 1 - h, 0 * h


def _heavy_ball_linear(h: Any, beta: Any) -> tuple[Any, Any]:
    """Polyak's recurrence x_{t+1} = (1 + beta - h) x_t - beta x_{t-1}."""
    return 1 + beta - h, beta


def _nesterov_linear(h: Any, beta: Any) -> tuple[Any, Any]:
    """x_{t+1} = (1 + beta)(1 - h) x_t - beta (1 - h) x_{t-1}."""
    return (1 + beta) * (1 - h), beta * (1 - h)


def _ema_linear(h: Any, beta: Any) -> tuple[Any, Any]:
    """Heavy ball with eta = alpha (1 - beta): x_{t+1} = (1 + beta - (1 - beta) h) x_t - beta x_{t-1}."""
    return 1 + beta - (1 - beta) * h, beta


def _heavy_ball_state(lam: Any, lr: Any, beta: Any) -> tuple[Any, ...]:
    """v' = beta v + lam x + xi, x' = x - lr v' = (1 - lr lam) x - lr beta v - lr xi."""
    return 1 - lr * lam, -lr * beta + 0 * lam, lam + 0 * lr, beta + 0 * lam * lr, -lr + 0 * lam


def _nesterov_state(lam: Any, lr: Any, beta: Any) -> tuple[Any, ...]:
    """g = lam x + xi, v' = beta v + g, x' = x - lr (g + beta v') = (1 - lr lam (1 + beta)) x - lr beta^2 v - ..."""
    a = 1 - lr * lam * (1 + beta)
    return a, -lr * beta**2 + 0 * lam, lam + 0 * a, beta + 0 * a, -lr * (1 + beta) + 0 * lam


def _gd_stability(beta: Any) -> Any:
    return 2 + 0 * beta


def _heavy_ball_stability(beta: Any) -> Any:
    return 2 + 2 * beta


def _nesterov_stability(beta: Any) -> Any:
    return (2 + 2 * beta) / (1 + 2 * beta)


def _ema_stability(beta: Any) -> Any:
    return (2 + 2 * beta) / (1 - beta)


_ENTRIES = (
    Method(
        "gd",
        steps.gd,
        "gradient descent",
        hyperparameters=("lr",),
        convention=None,
        linear=_gd_linear,
        stability=_gd_stability,
    ),
    Method(
        "heavy_ball",
        steps.heavy_ball,
        "heavy ball",
        linear=_heavy_ball_linear,
        stability=_heavy_ball_stability,
        state_space=_heavy_ball_state,
    ),
    Method(  # heavy ball but for its first step under dampening (0 by default, where they agree)
        "torch_sgd",
        steps.torch_sgd,
        "PyTorch SGD",
        linear=_heavy_ball_linear,
        stability=_heavy_ball_stability,
    ),
    Method(
        "nesterov",
        steps.nesterov,
        "Nesterov",
        linear=_nesterov_linear,
        stability=_nesterov_stability,
        state_space=_nesterov_state,
    ),
    Method(
        "sutskever",
        steps.sutskever,
        "Sutskever",
        convention="sutskever",
        form_of="heavy_ball",
        linear=_heavy_ball_linear,
        stability=_heavy_ball_stability,
    ),
    Method(
        "sutskever_nesterov",
        steps.sutskever_nesterov,
        "Sutskever-Nesterov",
        convention="sutskever",
        form_of="nesterov",
        linear=_nesterov_linear,
        stability=_nesterov_stability,
    ),
    Method(  # alpha = lr: heavy ball with eta = alpha (1 - beta)
        "ema",
        steps.ema,
        "EMA momentum",
        convention="ema",
        form_of="heavy_ball",
        linear=_ema_linear,
        stability=_ema_stability,
    ),
    Method(  # alpha = lr, nu = 1 (its default): heavy ball with eta = alpha (1 - beta)
        "qhm",
        steps.qhm,
        "QHM",
        convention="qhm",
        form_of="heavy_ball",
        linear=_ema_linear,
        stability=_ema_stability,
    ),
    # The optimizers of mom_lib.optimizers: no linear theory, PyTorch's hyperparameter names.
    Method("adam", optimizers.adam, "Adam", hyperparameters=("lr",), convention=None),
    Method("adamw", optimizers.adamw, "AdamW", hyperparameters=("lr",), convention=None),
    Method("nadam", optimizers.nadam, "NAdam", hyperparameters=("lr",), convention=None),
    Method("lion", optimizers.lion, "Lion", hyperparameters=("lr",), convention=None),
    Method("schedule_free_sgd", optimizers.schedule_free_sgd, "schedule-free SGD", convention=None),
    Method("muon", optimizers.muon, "Muon", hyperparameters=("lr", "beta"), convention=None, matrix=True),
)

#: Every method by name, in the order above (read-only).
METHODS: Mapping[str, Method] = MappingProxyType({m.name: m for m in _ENTRIES})
if len(METHODS) != len(_ENTRIES):  # pragma: no cover - a guard for whoever adds an entry
    raise RuntimeError("two methods share a name")


def method(name: Any) -> Method:
    """The registry entry of the method called ``name``.

    Args:
        name: a key of :data:`METHODS`.

    Returns:
        its :class:`Method`.

    Raises:
        TypeError: if ``name`` is not a string.
        ValueError: if no method has that name (the message lists the names).

    Examples:
        >>> from mom_lib.methods import method
        >>> method("gd").rule.__name__, method("gd").label
        ('gd', 'gradient descent')
    """
    if not isinstance(name, str):
        raise TypeError(f"method must be a str, one of {tuple(METHODS)}; got {type(name).__name__} {name!r}")
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}: method must be one of {tuple(METHODS)}") from None
