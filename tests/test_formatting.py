"""format_small: rounding-level differences print as the bound they meet."""

from mom_lib import format_small


def test_the_bound_decides():
    assert format_small(1e-12) == "1.00e-12"  # at the bound: printed
    assert format_small(9.99e-13) == "< 1e-12"
    assert format_small(0.0) == "< 1e-12"
    assert format_small(5e-8, 1e-7) == "< 1e-07"
    assert format_small(0.5) == "5.00e-01"
