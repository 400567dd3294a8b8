"""Printing numbers so that stored notebook outputs are the same on every machine."""

from __future__ import annotations

from ._validation import check_real

__all__ = ["format_small"]


def format_small(d: float, bound: float = 1e-12) -> str:
    """A difference, printed as ``< bound`` when it is at rounding level.

    The last digits of a rounding-level difference vary between machines and BLAS builds, so a
    notebook that printed them would not reproduce its own outputs; the bound it meets does.

    Args:
        d: the difference, a finite real number >= 0.
        bound: the rounding level, a finite real number > 0.

    Raises:
        ValueError: for a ``d`` that is nan, infinite or negative (a difference that is not a
            small size of anything must not print as "< 1e-12"), or a ``bound`` not > 0.
        TypeError: for a ``d`` or ``bound`` that is not a real number (a bool, a string, complex).

    Examples:
        >>> format_small(3.2e-4), format_small(4e-16), format_small(2e-9, 1e-7)
        ('3.20e-04', '< 1e-12', '< 1e-07')
    """
    d_, bound_ = check_real("d", d, low=0.0), check_real("bound", bound, low=0.0, low_closed=False)
    return f"{d_:.2e}" if d_ >= bound_ else f"< {bound_:.0e}"
