r"""The driver: run any step rule over a whole batch of hyperparameters and start points at once.

One call of :func:`run` replaces the double loop "for each (lr, beta) on the grid, for each
step" that a sweep would otherwise need: hyperparameters that are arrays broadcast into a
batch, and every step updates the whole batch with a few vectorized NumPy operations.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import (
    _kind_of,
    check_count,
    check_flag,
    check_hyperparameter,
    check_n_steps,
    check_point,
    check_returned,
    checked_grad,
)
from .steps import GradFn, StepRule

__all__ = ["Result", "run", "DIVERGENCE_THRESHOLD", "MAX_STEPS", "MAX_UPDATES", "MAX_HISTORY_BYTES"]

#: A run counts as diverged once any coordinate of its iterate exceeds this in absolute value,
#: or becomes non-finite.
DIVERGENCE_THRESHOLD = 1e8

#: The largest ``n_steps`` :func:`run` accepts (at 5-20 microseconds per step, a few minutes).
MAX_STEPS = 10_000_000
#: The largest total work :func:`run` accepts: ``n_steps`` x batch size x ``d`` coordinate updates
#: (a few minutes on one core).
MAX_UPDATES = 10_000_000_000
#: The largest history ``keep="all"`` may allocate, in bytes (1 GiB); ``keep="last"`` needs none.
MAX_HISTORY_BYTES = 2**30

_KEEP = ("all", "last")


@dataclass(frozen=True)
class Result:
    """What :func:`run` returns.

    Attributes:
        x: iterates, shape ``(n_steps + 1, *batch, d)`` with ``x[0] = x0`` (``keep="all"``), or
            the final iterate only, shape ``(1, *batch, d)`` (``keep="last"``). Entries after a
            run diverged are ``nan``.
        v: the rule's state after the last step. For a rule with one buffer (``heavy_ball``,
            ``nesterov``, ...) the bare array, shape ``(*batch, d)``; for a rule that declares a
            named state (``step.init``, e.g. :func:`mom_lib.adam`'s
            :class:`~mom_lib.optimizers.AdamState`) that named tuple, each array field of shape
            ``(*batch, d)`` and the step ``count`` a whole number. Array entries are ``nan``
            where the run diverged.
        diverged: boolean, shape ``batch``: true where the run blew up.
        diverged_at: int, shape ``batch``: the first step index ``t`` whose iterate ``x[t]``
            was non-finite or beyond :data:`DIVERGENCE_THRESHOLD`; ``-1`` where the run did not
            diverge.
    """

    x: np.ndarray
    v: np.ndarray | tuple[Any, ...]
    diverged: np.ndarray
    diverged_at: np.ndarray

    @property
    def final(self) -> np.ndarray:
        """The last iterate, shape ``(*batch, d)``."""
        return self.x[-1]


def _step_parameters(step: Callable[..., Any]) -> tuple[set[str], set[str], bool, set[str] | None]:
    """The hyperparameters ``step`` takes: (required, optional, takes_t, flags).

    They are the parameters after the three positional ones ``(x, v, grad_fn)``; ``flags`` are
    those whose default is a bool (switches such as ``bias_correction``). A rule with
    ``**kwargs``, or one whose signature cannot be read, is trusted to take anything, and its
    ``flags`` are ``None`` (unknown).
    """
    try:
        params = list(inspect.signature(step).parameters.values())
    except (TypeError, ValueError):
        return set(), set(), False, None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return set(), set(), False, None
    named = [p for p in params[3:] if p.kind is not inspect.Parameter.VAR_POSITIONAL and p.name != "t"]
    required = {p.name for p in named if p.default is inspect.Parameter.empty}
    optional = {p.name for p in named if p.default is not inspect.Parameter.empty}
    flags = {p.name for p in named if isinstance(p.default, bool)}
    return required, optional, any(p.name == "t" for p in params), flags


def _options(step: Callable[..., Any]) -> set[str]:
    """The parameters of ``step`` whose default is a str: choices by name, passed on as given."""
    try:
        params = inspect.signature(step).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in params if isinstance(p.default, str)}


def _as_hyperparameter(name: str, value: Any, flags: set[str] | None, where: str = "") -> np.ndarray | Any:
    """A switch must be a bool; every other hyperparameter a real number (a bool is refused)."""
    if flags is not None and name in flags:
        return check_flag(name + where, value)
    if flags is None and isinstance(value, (bool, np.bool_)) and name not in ("lr", "beta", "dampening"):
        return bool(value)  # a rule with **kwargs: its switches are unknown
    return check_hyperparameter(name, value, where=where)


#: Arrays from this size up go straight to the operating system in glibc's default setting.
_MMAP_DEFAULT = 128 * 1024
#: glibc stops raising its threshold for blocks above this size (64-bit builds).
_MMAP_MAX = 32 * 1024 * 1024


def _settle_allocator(nbytes: int) -> None:
    """Let the step's temporaries of ``nbytes`` each be recycled, not fetched anew from the system.

    Every step a rule makes a few fresh arrays of the batch's size and drops the old ones.
    glibc's ``malloc`` serves blocks of 128 KiB and more with ``mmap`` and raises that
    threshold (and the heap's trim threshold, twice it) only when a mapped block larger
    than it is freed (mallopt(3), M_MMAP_THRESHOLD). Temporaries of about that size are
    then returned to the operating system and faulted back in, page by page, over and over:
    for 10,000 runs in 2-D (160 kB arrays) thousands of page faults per 1,000 steps, a
    large share of the time. Allocating and freeing one untouched block of eight times
    ``nbytes`` raises both thresholds above what a step needs, for the rest of the process.
    With another allocator it is just a short-lived allocation; values are not affected.
    """
    if _MMAP_DEFAULT // 2 <= nbytes and 8 * nbytes <= _MMAP_MAX:
        np.empty(8 * nbytes, dtype=np.uint8)


def _restart(a: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with the runs marked ``bad`` set to 0, in ``a``'s memory layout."""
    b = np.empty_like(a)  # keeps the (d, *batch) memory layout of a
    np.copyto(b, a)
    np.copyto(b, 0.0, where=bad[..., None])
    return b


def _set_aside(x: np.ndarray, v: Any, diverged: np.ndarray, diverged_at: np.ndarray, t: int) -> tuple[np.ndarray, Any]:
    """Record the runs whose iterate ``x`` (at step ``t``) is bad, and restart them from zero.

    ``diverged`` and ``diverged_at`` are updated in place. The returned state has the runs that
    are bad now set to ``x = v = 0`` (every array field of a named state; its step count is
    shared by the batch and left alone): their outputs are ``nan`` whatever happens next, and a
    finite state lets the cheap "every run is fine" test succeed again on the following steps
    (a batch whose state carried ``nan`` would fail it on every step).
    """
    bad = ~(np.abs(x) <= DIVERGENCE_THRESHOLD).all(axis=-1)
    new = bad & ~diverged
    diverged_at[new] = t
    diverged |= new
    if isinstance(v, np.ndarray):
        return _restart(x, bad), _restart(v, bad)
    return _restart(x, bad), type(v)(*(_restart(f, bad) if isinstance(f, np.ndarray) else f for f in v))


def _initial_state(label: str, init: Callable[[np.ndarray], Any], x: np.ndarray) -> tuple[Any, ...]:
    """The named state ``init(x)`` a rule declares, checked: a named tuple of arrays shaped like ``x``.

    A field that is not an array must be the step ``count``, a whole number.
    """
    state = init(x)
    if not (isinstance(state, tuple) and hasattr(state, "_fields")):
        raise TypeError(f"{label}: its init must return a named tuple (the state), got {_kind_of(state, None)}")
    return _checked_state(label, state, state, x.shape)


def _checked_state(label: str, new: Any, old: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[Any, ...]:
    """``new`` must be a state of the type of ``old``, with every array field of shape ``shape``."""
    if type(new) is not type(old):
        raise TypeError(f"{label} must return its state as a {type(old).__name__}, got {_kind_of(new, None)}")
    fields = [
        check_returned(label, f"the state's {field}", value, shape)
        if isinstance(before, np.ndarray)
        else check_count(f"{label}: the state's {field}", value, low=0)
        for field, value, before in zip(old._fields, new, old, strict=True)
    ]
    return type(old)(*fields)


def _nan_where(v: Any, diverged: np.ndarray) -> Any:
    """A copy of the state with ``nan`` in the runs that diverged (in every array field)."""
    if isinstance(v, np.ndarray):
        out = v.copy()
        out[diverged] = np.nan
        return out
    return type(v)(*(_nan_where(f, diverged) if isinstance(f, np.ndarray) else f for f in v))


def run(
    step: StepRule,
    grad_fn: GradFn,
    x0: Any,
    *,
    n_steps: int,
    keep: str = "all",
    **hyperparameters: Any,
) -> Result:
    r"""Iterate a step rule from ``x0`` for ``n_steps`` steps, over a whole batch at once.

    .. math::

        v_0 = 0, \qquad (x_{t+1}, v_{t+1}) = \mathrm{step}(x_t, v_t, \nabla f;\ \theta_t),
        \quad t = 0, \dots, T-1,

    with :math:`T` = ``n_steps`` and hyperparameters :math:`\theta_t`.

    **State.** A rule with one buffer keeps it as a bare array, zeros at the start. A rule with
    several buffers and a step count declares its named initial state as ``step.init(x0)``
    (e.g. :func:`mom_lib.adam`'s ``AdamState(count=0, mu=0, nu=0)``); ``run`` starts from it,
    checks every field the rule returns, restarts every array field of a diverged run at zero,
    and returns the last state in :attr:`Result.v`.

    **Batches.** The batch shape is the broadcast of ``x0.shape[:-1]`` with the shapes of all
    array-valued hyperparameters: ``lr=lrs[:, None], beta=betas`` sweeps a
    ``(len(lrs), len(betas))`` grid in one call; ``x0`` of shape ``(n, d)`` runs ``n`` start
    points. Each batch element is an independent run.

    **Schedules.** A hyperparameter may be a callable ``t -> value``; it is evaluated at
    every step ``t = 0, ..., T-1`` (e.g. a learning-rate schedule or a momentum warm-up).

    **Divergence.** A run whose iterate becomes non-finite or exceeds
    :data:`DIVERGENCE_THRESHOLD` in any coordinate is marked in ``diverged`` and its iterates
    from then on are ``nan``; the rest of the batch goes on and no ``RuntimeWarning`` is emitted.
    Internally a diverged run is restarted from ``x = v = 0`` (every array field of a named
    state; so ``grad_fn`` may be called there); what it computes afterwards never reaches
    the result.

    **Speed.** The batch is stored coordinate-major, as ``(d, *batch)`` in memory, and the rule
    receives the ``(*batch, d)`` view of it: the shapes are those stated below, but NumPy's
    elementwise loops run along the batch rather than along the ``d`` coordinates, and a
    rule built from elementwise operations returns its arrays in the same layout. Results
    are the same as those of the plain loop over steps, bit for bit.

    Args:
        step: a step rule such as :func:`mom_lib.heavy_ball`, or your own function with the
            same signature ``step(x, v, grad_fn, *, hyperparameters) -> (x, v)``. If it takes a
            keyword ``t``, it receives the step index.
        grad_fn: gradient, mapping ``(*batch, d)`` to ``(*batch, d)``: every gradient it returns
            must be a real NumPy array of exactly that shape (checked at every evaluation, so a
            gradient of the wrong shape is never broadcast silently).
        x0: start point(s), shape ``(d,)`` or ``(*batch, d)``; must be finite.
        n_steps: :math:`0 \le T \le` :data:`MAX_STEPS` (10⁷), and at most :data:`MAX_UPDATES`
            (10¹⁰) coordinate updates in all (:math:`T` x batch size x :math:`d`), so that a typo
            such as ``n_steps=10**12`` is refused at once instead of running for days.
        keep: ``"all"`` stores every iterate, up to :data:`MAX_HISTORY_BYTES` (1 GiB);
            ``"last"`` stores only the final one, so memory does not grow with ``n_steps``.
        **hyperparameters: keyword arguments for ``step``: scalars, arrays that broadcast
            into the batch shape, or callables of the step index.

    Returns:
        A :class:`Result`.

    Raises:
        ValueError: for an unknown ``keep``, a negative ``n_steps``, a non-finite ``x0``,
            a hyperparameter outside its range (``lr`` in ``[0, inf)``, ``beta`` in ``[0, 1)``),
            a hyperparameter ``step`` does not take or a missing one, shapes that do not
            broadcast, a gradient or a step result of the wrong shape, or a run too large:
            ``n_steps`` above :data:`MAX_STEPS` (10⁷), more than :data:`MAX_UPDATES` (10¹⁰)
            coordinate updates in all, or a ``keep="all"`` history above
            :data:`MAX_HISTORY_BYTES` (1 GiB; use ``keep="last"``).
        TypeError: for a value of the wrong type: a bool, string, complex number or ``None``
            where a number is meant (they are refused, never coerced), a ``step`` or
            ``grad_fn`` that is not callable, or a ``grad_fn`` or ``step`` that returns
            something other than real arrays (``None``, a list, complex values).

    Examples:
        A 3 x 2 grid of (lr, beta) on :math:`f(x) = \tfrac12 x^2`, 50 steps each:

        >>> import numpy as np
        >>> from mom_lib import heavy_ball, run
        >>> res = run(heavy_ball, lambda x: x, [1.0], n_steps=50, keep="last",
        ...           lr=np.array([0.1, 1.0, 5.0])[:, None], beta=np.array([0.0, 0.5]))
        >>> res.x.shape
        (1, 3, 2, 1)
        >>> res.diverged
        array([[False, False],
               [False, False],
               [ True,  True]])
    """
    if not isinstance(keep, str) or keep not in _KEEP:
        raise ValueError(f"keep must be one of {_KEEP}, got {keep!r}")
    n_steps = check_n_steps(n_steps, MAX_STEPS)
    x0 = check_point("x0", x0)
    if not callable(step):
        raise TypeError(f"step must be a step rule such as mom_lib.heavy_ball (a function), got {_kind_of(step, None)}")
    grad = checked_grad(grad_fn)

    rule = getattr(step, "unchecked", step)
    required, optional, takes_t, flags = _step_parameters(rule)
    name = getattr(step, "__name__", "step")
    if required or optional:
        unknown = set(hyperparameters) - required - optional
        if unknown:
            allowed = ", ".join(sorted(required | optional)) or "none"
            raise ValueError(
                f"{name} does not take {', '.join(sorted(unknown))}; its hyperparameters must be among: {allowed}"
            )
        missing = required - set(hyperparameters)
        if missing:
            raise ValueError(f"{name} needs the hyperparameter(s) {', '.join(sorted(missing))}: they must be given")

    fixed: dict[str, Any] = {}
    scheduled: dict[str, Callable[[int], Any]] = {}
    options = _options(rule)
    for key, value in hyperparameters.items():
        if key in options:  # a choice by name, e.g. muon's adjust_lr_fn: the rule checks it
            if not isinstance(value, str):
                raise TypeError(f"{key} must be a str naming a choice, got {_kind_of(value, None)}")
            fixed[key] = value
        elif callable(value):
            scheduled[key] = value
        else:
            fixed[key] = _as_hyperparameter(key, value, flags)

    def scheduled_at(t: int) -> dict[str, Any]:
        return {key: _as_hyperparameter(key, fn(t), flags, f" (at step {t})") for key, fn in scheduled.items()}

    first = scheduled_at(0) if n_steps > 0 else {}
    shapes = {"x0 (without its last axis)": x0.shape[:-1]}
    shapes.update({k: np.shape(v) for k, v in {**fixed, **first}.items()})
    try:
        batch = np.broadcast_shapes(*shapes.values())
    except ValueError:
        listing = ", ".join(f"{k} {s}" for k, s in shapes.items())
        raise ValueError(
            f"the shapes of x0 and the hyperparameters must broadcast into one batch, and these do not: {listing}"
        ) from None
    d = x0.shape[-1]
    size = int(np.prod(batch, dtype=np.int64)) * d
    if n_steps * size > MAX_UPDATES:
        raise ValueError(
            f"n_steps x batch size x d must be <= {MAX_UPDATES:.0e} coordinate updates (mom_lib.runner.MAX_UPDATES), "
            f"got {n_steps} x {size // d} x {d}; take fewer steps or a smaller grid"
        )
    if keep == "all" and (n_steps + 1) * size * 8 > MAX_HISTORY_BYTES:
        raise ValueError(
            f"keep='all' would store {(n_steps + 1) * size * 8 / 2**30:.1f} GiB of iterates, and it must stay within "
            f"{MAX_HISTORY_BYTES / 2**30:g} GiB (mom_lib.runner.MAX_HISTORY_BYTES): use keep='last', which "
            "stores only the final iterate"
        )

    def with_axis(value: Any) -> Any:
        # An array is spread to the whole batch (same values): an operand that varies along
        # every batch axis lets NumPy's loops run over the batch in one stretch.
        if isinstance(value, np.ndarray) and value.ndim:
            if value.shape != batch:
                value = np.broadcast_to(value, batch).copy()
            return value[..., None]
        return value

    fixed_b = {k: with_axis(v) for k, v in fixed.items()}

    # The state lives in memory as (d, *batch) and the rule sees the (*batch, d) view: NumPy's
    # elementwise loops then run along the long batch axis in memory order (not along d, often
    # 2), and allocate their outputs in the same layout, so the rule's results keep it.
    _settle_allocator(x0.itemsize * d * int(np.prod(batch)))
    x = np.moveaxis(np.empty((d, *batch)), 0, -1)
    x[...] = x0
    label = f"step {name}"
    # One bare velocity array (zeros) unless the rule declares a named state: then each field
    # is built by the rule's init from x (np.zeros_like(x) keeps the (d, *batch) layout).
    init = getattr(step, "init", None)
    if init is None:
        v = np.moveaxis(np.zeros((d, *batch)), 0, -1)
    else:
        v = _initial_state(label, init, x)
    history = np.empty((n_steps + 1, *batch, d)) if keep == "all" else None
    if history is not None:
        history[0] = x
    diverged = np.zeros(batch, dtype=bool)
    diverged_at = np.full(batch, -1, dtype=np.int64)
    check = x.size > 0

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(n_steps):
            hp = dict(fixed_b)
            if scheduled:
                now = first if t == 0 else scheduled_at(t)
                for k, val in now.items():
                    if np.broadcast_shapes(np.shape(val), batch) != batch:
                        raise ValueError(
                            f"schedule {k} returned shape {np.shape(val)} at step {t}; it must broadcast into {batch}"
                        )
                    hp[k] = with_axis(val)
            if takes_t:
                hp["t"] = t
            out = rule(x, v, grad, **hp)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise TypeError(f"{label} must return a pair (x, v), got {_kind_of(out, None)}")
            x_new, v_new = out
            del out  # hold no extra reference to the step's arrays
            x_new = check_returned(label, "the new iterate x", x_new, x.shape)
            if init is None:
                v_new = check_returned(label, "the new state v", v_new, x.shape)
            else:
                v_new = _checked_state(label, v_new, v, x.shape)
            if history is not None:
                history[t + 1] = x_new
            # nan, inf and |x| beyond the threshold all fail "<=" (max and min propagate nan).
            if check and not (x_new.max() <= DIVERGENCE_THRESHOLD and x_new.min() >= -DIVERGENCE_THRESHOLD):
                x_new, v_new = _set_aside(x_new, v_new, diverged, diverged_at, t + 1)
            x, v = x_new, v_new

    if history is None:
        history = x[None].copy()
    if diverged.any():
        # every iterate from the first bad one on is nan, whatever the rule did with nan input
        after = np.arange(history.shape[0]).reshape(-1, *([1] * len(batch))) >= diverged_at
        after = after & diverged if keep == "all" else diverged[None]
        history[after] = np.nan
    return Result(x=history, v=_nan_where(v, diverged), diverged=diverged, diverged_at=diverged_at)
