"""No printed digit is decided by rounding: every notebook survives ``tools/rounding_audit.py``.

The OpenBLAS kernels this CPU can run are checked in ``test_openblas_kernels.py``; the audit covers
the rest (a reader's AVX-512 laptop, another LAPACK, NumPy's elementary functions on another CPU)
by nudging every result that differs between machines and requiring the same text outputs.
The first two tests show that the audit can fail: it flags a digit printed from a quantity at the
rounding floor and passes the same quantity printed as a bound.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from rounding_audit import audit  # noqa: E402

NOTEBOOKS = [*sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")), ROOT / "showcase.ipynb"]

SETUP = """\
import numpy as np
from mom_lib import LeastSquares, format_small
rng = np.random.default_rng(0)
A = rng.standard_normal((50, 5))
ls = LeastSquares(A, A @ np.ones(5))
gap = float(np.abs(ls.grad(ls.minimizers[0])).max())  # zero in exact arithmetic
"""


def stored_notebook(tmp_path: Path, line: str) -> Path:
    """A two-cell notebook executed once, its outputs stored, as a chapter would be."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(line)]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    NotebookClient(nb, kernel_name="python3").execute()
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def test_audit_flags_a_digit_at_the_rounding_floor(tmp_path: Path) -> None:
    path = stored_notebook(tmp_path, 'print(f"{gap:.3e}")')
    changed = audit(path)
    assert [i for i, _, _ in changed] == [1]


def test_audit_passes_the_same_quantity_printed_as_a_bound(tmp_path: Path) -> None:
    path = stored_notebook(tmp_path, "print(format_small(gap))")
    assert audit(path) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_survive_rounding_nudges(notebook: Path) -> None:
    changed = audit(notebook)
    report = "\n".join(f"code cell {i}:\n  stored {a!r}\n  nudged {b!r}" for i, a, b in changed)
    assert not changed, f"{notebook.name}: outputs that rounding decides\n{report}"
