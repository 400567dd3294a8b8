"""Printing numbers so that stored notebook outputs are the same on every machine."""

from __future__ import annotations

__all__ = ["format_small"]


def format_small(d: float, bound: float = 1e-12) -> str:
    """A difference, printed as ``< bound`` when it is at rounding level.

    The last digits of a rounding-level difference vary between machines and BLAS builds, so a
    notebook that printed them would not reproduce its own outputs; the bound it meets does.

    Examples:
        >>> format_small(3.2e-4), format_small(4e-16), format_small(2e-9, 1e-7)
        ('3.20e-04', '< 1e-12', '< 1e-07')
    """
    return f"{d:.2e}" if d >= bound else f"< {bound:.0e}"
