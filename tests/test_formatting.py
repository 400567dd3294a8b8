"""format_small: rounding-level differences print as the bound they meet."""

import pytest

from mom_lib import format_small


def test_the_bound_decides():
    assert format_small(1e-12) == "1.00e-12"  # at the bound: printed
    assert format_small(9.99e-13) == "< 1e-12"
    assert format_small(0.0) == "< 1e-12"
    assert format_small(5e-8, 1e-7) == "< 1e-07"
    assert format_small(0.5) == "5.00e-01"


@pytest.mark.parametrize(
    ("d", "error", "message"),
    [
        (float("nan"), ValueError, "d must be finite and >= 0, got nan"),
        (-1e-3, ValueError, "d must be finite and >= 0"),
        (float("inf"), ValueError, "d must be finite"),
        (True, TypeError, "d must be a real number"),
        ("1e-3", TypeError, "d must be a real number"),
        (1e-3 + 0j, TypeError, "d must be a real number"),
    ],
)
def test_what_is_not_a_small_size_is_refused(d, error, message):
    with pytest.raises(error, match=message):
        format_small(d)
    with pytest.raises(ValueError, match="bound must be finite and > 0"):
        format_small(1e-3, 0.0)
