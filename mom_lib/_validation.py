"""Input checks shared by the step rules, the driver and the theory helpers.

Every check raises :class:`ValueError` with a message that names the parameter,
the allowed range and the offending value, so a learner never meets a silent NaN
or a bare NumPy traceback.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# name -> (low, high, low_closed, high_closed, description)
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "lr": (0.0, math.inf, True, False),
    "beta": (0.0, 1.0, True, False),
    "dampening": (0.0, 1.0, True, False),
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


def as_float_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float64 array or raise a ``ValueError`` naming ``name``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number or an array of real numbers, got {value!r}") from None
    return arr


def check_hyperparameter(name: str, value: Any, *, where: str = "") -> np.ndarray:
    """Check one hyperparameter against its allowed range and return it as an array.

    Names without a registered range (a user's own step rule may take any) only
    have to be finite. ``where`` (e.g. ``" (at step 3)"``) is added to the name in messages.
    """
    label = name + where
    arr = as_float_array(label, value)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{label} must be finite, got {_describe(value)} containing nan or inf")
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


def check_n_steps(n_steps: Any) -> int:
    """``n_steps`` must be a whole number >= 0."""
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)):
        raise ValueError(f"n_steps must be a whole number >= 0, got {n_steps!r}")
    if n_steps < 0:
        raise ValueError(f"n_steps must be a whole number >= 0, got {n_steps!r}")
    return int(n_steps)


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
        raise ValueError(f"{name} must be finite, got {_describe(value)} containing nan or inf")
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
