"""Input checks shared by the step rules, the driver and the theory helpers.

Every check raises :class:`ValueError` with a message that names the parameter,
the allowed range and the offending value, so a learner never meets a silent NaN
or a bare NumPy traceback.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_F64 = np.dtype(np.float64)

# name -> (low, high, low_closed, high_closed, description)
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "lr": (0.0, math.inf, True, False),
    "beta": (0.0, 1.0, True, False),
    "dampening": (0.0, 1.0, True, False),
    "nu": (0.0, 1.0, True, True),
    # the optimizers of mom_lib.optimizers (Adam, Lion, Muon, ...)
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, True, False),
    "eps": (0.0, math.inf, False, False),
    "weight_decay": (0.0, math.inf, True, False),
    "momentum_decay": (0.0, math.inf, True, False),
}


def _interval(name: str) -> str:
    lo, hi, lo_closed, hi_closed = _RANGES[name]
    left = "[" if lo_closed else "("
    right = "]" if hi_closed else ")"
    hi_text = "inf" if math.isinf(hi) else f"{hi:g}"
    return f"{left}{lo:g}, {hi_text}{right}"


def _describe(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(float(arr)) if np.issubdtype(arr.dtype, np.number) else repr(value)
    return f"an array of shape {arr.shape}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _kind_of(value: Any, arr: np.ndarray | None) -> str:
    """What ``value`` is, in words, for a message about a value of the wrong type."""
    if isinstance(value, (bool, np.bool_)) or (arr is not None and arr.dtype.kind == "b"):
        return f"a bool ({_short(value)}); write 1.0 or 0.0 if a number is meant"
    if arr is not None and arr.dtype.kind == "c":
        return f"a complex value ({_short(value)})"
    if isinstance(value, (str, bytes)) or (arr is not None and arr.dtype.kind in "US"):
        return f"a string ({_short(value)}); write the number itself, e.g. 0.1, not '0.1'"
    return f"{type(value).__name__} {_short(value)}"


def as_float_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float64 array; only real numbers are accepted.

    Raises:
        TypeError: naming ``name``, for ``None``, bools, strings, complex numbers and other
            objects (they are refused, not coerced: ``True`` is not ``1.0``, ``'0.1'`` is not ``0.1``).
        ValueError: naming ``name``, for a ragged nesting of lists.
    """
    if type(value) is np.ndarray and value.dtype is _F64:  # the common case, at every gradient evaluation
        return value
    what = "a real number or an array of real numbers"
    if value is None or isinstance(value, (str, bytes, bool, np.bool_, complex, np.complexfloating)):
        raise TypeError(f"{name} must be {what}, got {_kind_of(value, None)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {what} (a regular array, not ragged lists), got {_short(value)}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {what}, got {_kind_of(value, arr)}")
    return arr if arr.dtype == np.float64 else arr.astype(np.float64)


def check_real(name: str, value: Any, *, low: float = -math.inf, low_closed: bool = True) -> float:
    """A finite real scalar (not a bool) ``>= low`` (``> low`` unless ``low_closed``), as a float."""
    arr = as_float_array(name, value)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single real number, got an array of shape {arr.shape}")
    x = float(arr)
    bound = "" if math.isinf(low) else (f" and >= {low:g}" if low_closed else f" and > {low:g}")
    if not math.isfinite(x) or x < low or (x == low and not low_closed):
        raise ValueError(f"{name} must be finite{bound}, got {x!r}")
    return x


def check_count(name: str, value: Any, *, low: int = 0, high: int | None = None, note: str = "") -> int:
    """A whole number (an ``int``, not a bool or a float) in ``[low, high]``."""
    allowed = f">= {low}" if high is None else f"in [{low}, {high:_}]"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number {allowed}, got {_kind_of(value, None)}")
    if value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be a whole number <= {high:_}{note}, got {value!r}")
    return int(value)


def check_flag(name: str, value: Any) -> bool:
    """A switch: ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_kind_of(value, None)}")
    return bool(value)


def check_hyperparameter(name: str, value: Any, *, where: str = "") -> np.ndarray:
    """Check one hyperparameter against its allowed range and return it as an array.

    Names without a registered range (a user's own step rule may take any) only
    have to be finite. ``where`` (e.g. ``" (at step 3)"``) is added to the name in messages.
    """
    label = name + where
    arr = as_float_array(label, value)
    if not np.all(np.isfinite(arr)):
        allowed = f" and lie in {_interval(name)}" if name in _RANGES else ""
        got = _describe(value) + (" containing nan or inf" if arr.ndim else "")
        raise ValueError(f"{label} must be finite{allowed}, got {got}")
    if name in _RANGES:
        lo, hi, lo_closed, hi_closed = _RANGES[name]
        below = arr < lo if lo_closed else arr <= lo
        above = arr > hi if hi_closed else arr >= hi
        bad = below | above
        if np.any(bad):
            example = float(arr[bad].flat[0]) if arr.ndim else float(arr)
            raise ValueError(f"{label} must lie in {_interval(name)}, got {example!r}")
    return arr


def check_hyperparameters(hyperparameters: dict[str, Any]) -> None:
    """Check every hyperparameter in a ``{name: value}`` mapping."""
    for name, value in hyperparameters.items():
        check_hyperparameter(name, value)


def check_n_steps(n_steps: Any, high: int | None = None) -> int:
    """``n_steps`` must be a whole number >= 0 (and <= ``high``)."""
    note = "" if high is None else " (mom_lib.runner.MAX_STEPS; raise it there if so long a run is meant)"
    return check_count("n_steps", n_steps, low=0, high=high, note=note)


def check_point(name: str, value: Any) -> np.ndarray:
    """A point (or a batch of points) must be a finite float array with a last axis of size >= 1."""
    arr = as_float_array(name, value)
    if arr.ndim == 0:
        raise ValueError(
            f"{name} must have a last axis holding the coordinates (shape (..., d)), got a scalar; "
            f"write [{float(arr)!r}] for a 1-D problem"
        )
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one coordinate, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        got = _describe(value) + (" containing nan or inf" if arr.ndim else "")
        raise ValueError(f"{name} must be finite, got {got}")
    return arr


def check_positive(name: str, value: Any) -> np.ndarray:
    """A curvature-like quantity must be finite and > 0."""
    arr = as_float_array(name, value)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {_describe(value)}")
    return arr


def check_nonnegative(name: str, value: Any) -> np.ndarray:
    """An eigenvalue-like quantity must be finite and >= 0."""
    arr = as_float_array(name, value)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0, got {_describe(value)}")
    return arr


def _bad_array(label: str, what: str, value: Any, shape: tuple[int, ...], batch_broadcast: bool = False) -> np.ndarray:
    """The slow path of :func:`check_returned`: convert a real array of the right shape, else raise.

    With ``batch_broadcast`` an array whose last axis matches and whose shape broadcasts into
    ``shape`` (the same gradient for several batch elements) is accepted as it is.
    """
    want = f"an array of real numbers of shape {shape}"
    if value is None:
        raise TypeError(f"{label} must return {what} as {want}, got None (is a `return` missing?)")
    if not isinstance(value, np.ndarray):
        hint = "; wrap it in np.asarray(...)" if isinstance(value, (list, tuple)) else ""
        raise TypeError(f"{label} must return {what} as {want}, got {_kind_of(value, None)}{hint}")
    if value.dtype.kind not in "iuf":
        raise TypeError(f"{label} must return {what} as {want}, got {_kind_of(value, value)} of dtype {value.dtype}")
    if batch_broadcast and value.shape[-1:] == shape[-1:] and _broadcasts_into(value.shape, shape):
        return value
    if value.shape != shape:
        raise ValueError(
            f"{label} must return {what} as {want}, got shape {value.shape} "
            "(it would be broadcast silently: compute it for every point of the batch)"
        )
    return value.astype(np.float64)


def check_returned(label: str, what: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` (returned by user code) must be a real ndarray of exactly ``shape``.

    The check costs a type test, a dtype test and a shape comparison; nothing scans the array.
    """
    if type(value) is np.ndarray and value.dtype is _F64 and value.shape == shape:
        return value
    return _bad_array(label, what, value, shape)


def _broadcasts_into(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(a, b) == b
    except ValueError:
        return False


def checked_grad(grad_fn: Any, label: str = "grad_fn", *, batch_broadcast: bool = False) -> Any:
    """``grad_fn`` wrapped so that every gradient it returns must have the shape of its input.

    With ``batch_broadcast`` a gradient may also leave out or shrink to 1 batch axes (not the
    coordinate axis), so that one gradient serves several batch elements.
    """
    if not callable(grad_fn):
        raise TypeError(f"{label} must be a callable mapping x to the gradient at x, got {_kind_of(grad_fn, None)}")

    def grad(x: np.ndarray) -> np.ndarray:
        g = grad_fn(x)
        if type(g) is np.ndarray and g.shape == x.shape and g.dtype.kind == "f":
            return g
        return _bad_array(label, "the gradient at x", g, np.shape(x), batch_broadcast)

    return grad
