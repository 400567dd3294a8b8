"""Find printed numbers that rounding decides: re-run notebooks with every BLAS-like result nudged.

OpenBLAS picks its kernel by CPU, so a dot product, a matrix product, a norm or an eigenvalue can
differ in its last bits between a reader's laptop and the machine that stored a notebook's
outputs. This tool re-executes a notebook in a fresh kernel in which those results are moved by
a few units in the last place (ulp), deterministically (the same input always gives the same
nudged output, so computations that agree exactly still agree), and reports every code cell
whose text output then differs from the stored one. A cell that changes here prints a digit that
some machine will print differently: measure further from the rounding floor, print fewer
digits, or print the value as a bound (:func:`mom_lib.format_small`).

What is nudged is what differs between machines:

* matrix products that mix coordinates: in ``LeastSquares`` and in a rotated ``Quadratic``,
  every product of the neural network of ``mom_lib.network`` (its ``matmul``), and ``numpy.dot``;
  each is moved by up to ``ulps / 2`` ulp of ``|a| @ |b|``, the size of the rounding error another
  summation order could make;
* ``numpy.linalg``'s solvers (``eigvalsh``, ``eigh``, ``eigvals``, ``svd``, ``lstsq``, ``solve``),
  given inputs moved by up to ``ulps / 2`` ulp, as a backward-stable solver on another kernel
  errs, and ``numpy.linalg.norm``'s result;
* NumPy's elementary functions (``exp``, ``log``, ``power``, ``sin``, ...), by up to half an ulp:
  NumPy evaluates them with other code on CPUs with AVX-512.

Elementwise arithmetic is correctly rounded (IEEE 754) on every machine, so objectives built from
it alone (a diagonal quadratic, the polynomial landscapes, Rosenbrock, Himmelblau) stay exact.

Usage: python tools/rounding_audit.py [--ulps 16] [--salts 2] chapters/*.ipynb
(exit status 1 if any cell differs)
"""

from __future__ import annotations

import argparse
import configparser
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# Runs first in the audited kernel. Names start with an underscore so no chapter sees them.
NUDGE = r"""
import numpy as _np
import mom_lib.objectives as _obj

_SIZE = {ulps!r} * 2.0**-52  # the largest nudge, relative
_SALT = _np.uint64({salt!r})

def _h(arr):
    # a deterministic pseudo-random number in [-0.5, 0.5) for every float64 entry
    bits = _np.ascontiguousarray(arr).reshape(-1).view(_np.uint64).reshape(_np.shape(arr))
    with _np.errstate(all="ignore"):
        return (((bits ^ _SALT) * _np.uint64(0x9E3779B97F4A7C15)) >> _np.uint64(11)).astype(_np.float64) / 2.0**53 - 0.5

def _nudge(a):
    # move every float64 entry by up to _SIZE, as a deterministic function of its bits
    if isinstance(a, (_np.floating, float)):
        return type(a)(a * (1 + _h(_np.float64(a)) * _SIZE))
    if isinstance(a, _np.ndarray) and a.dtype == _np.float64 and a.size:
        return a * (1 + _h(a) * _SIZE)
    return a

def _product(fn):
    # a product a @ b, off by up to _SIZE of |a| @ |b| (the forward error bound of another kernel)
    def nudged(a, b, *args, **kwargs):
        out = fn(a, b, *args, **kwargs)
        if not (isinstance(out, _np.ndarray) and out.dtype == _np.float64 and out.size):
            return out
        scale = _np.abs(fn(_np.abs(_np.asarray(a, dtype=float)), _np.abs(_np.asarray(b, dtype=float))))
        return out + _h(out) * _SIZE * scale
    return nudged

class _Nudged(_np.ndarray):
    # an array whose matrix products come out as another BLAS kernel might round them
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [x.view(_np.ndarray) if isinstance(x, _Nudged) else x for x in inputs]
        if ufunc is _np.matmul and method == "__call__" and len(plain) == 2 and not kwargs:
            return _product(_np.matmul)(*plain)
        return getattr(ufunc, method)(*plain, **kwargs)

def _wrap(fn):
    def nudged(*args, **kwargs):
        return _nudge(fn(*args, **kwargs))
    return nudged

def _backward(fn):
    # a solver that solves a problem whose float64 inputs are off by up to _SIZE (backward stability)
    def nudged(*args, **kwargs):
        args = [a * (1 + _h(a) * _SIZE) if isinstance(a, _np.ndarray) and a.dtype == _np.float64 else a
                for a in args]
        return fn(*args, **kwargs)
    return nudged

# products that mix coordinates: least squares always, a quadratic only when it is rotated
_ls_init = _obj.LeastSquares.__init__
def _ls_nudged(self, *args, **kwargs):
    _ls_init(self, *args, **kwargs)
    self.A = self.A.view(_Nudged)
_obj.LeastSquares.__init__ = _ls_nudged

_q_init = _obj.Quadratic.__init__


def _q_nudged(self, *args, **kwargs):
    _q_init(self, *args, **kwargs)
    m = self._matrix  # None for a diagonal quadratic, whose gradient is elementwise and exact
    if m is not None and _np.count_nonzero(m - _np.diag(_np.diag(m))):
        self._matrix = m.view(_Nudged)


_obj.Quadratic.__init__ = _q_nudged

# every product of the neural network goes through mom_lib.network.matmul
import mom_lib.network as _network
_network.matmul = _product(_np.matmul)

_np.linalg.norm = _wrap(_np.linalg.norm)

class _ulp:
    # an elementary function as another math library computes it: within 1 ulp of this one
    def __init__(self, fn):
        self._fn = fn

    def __getattr__(self, name):  # outer, reduce, ... pass through unchanged
        return getattr(self._fn, name)

    def __call__(self, *args, **kwargs):
        out = self._fn(*args, **kwargs)
        if isinstance(out, (_np.floating, float)):
            return type(out)(out * (1 + _h(_np.float64(out)) * 2.0**-52))
        if isinstance(out, _np.ndarray) and out.dtype == _np.float64 and out.size:
            return out * (1 + _h(out) * 2.0**-52)
        return out

for _name in ("exp", "expm1", "log", "log1p", "log2", "log10", "power", "float_power", "sin", "cos", "tan",
              "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "cbrt", "hypot"):
    setattr(_np, _name, _ulp(getattr(_np, _name)))
_np.dot = _product(_np.dot)
for _name in ("eigvalsh", "eigh", "eigvals", "svd", "lstsq", "solve"):
    setattr(_np.linalg, _name, _backward(getattr(_np.linalg, _name)))
"""


def sanitizers() -> list[tuple[re.Pattern[str], str]]:
    """The replacements nbval applies before comparing (``tests/nbval_sanitize.cfg``)."""
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[1] / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def text_outputs(cell: nbformat.NotebookNode) -> list[str]:
    """The text nbval compares: streams, text/plain and text/html results (the figures' data), in order."""
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            data = o.get("data", {})
            out.extend(data.get(key, "") for key in ("text/plain", "text/html"))  # what nbval compares
        elif o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}")
    for pattern, replacement in sanitizers():
        out = [pattern.sub(replacement, text) for text in out]
    return out


def audit(path: Path, *, ulps: float = 16.0, salt: int = 0, timeout: int = 300) -> list[tuple[int, str, str]]:
    """(code cell index, stored text, nudged text) for every code cell whose text output changed."""
    stored = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    setup = NUDGE.replace("{ulps!r}", repr(float(ulps))).replace("{salt!r}", repr(int(salt)))
    nb.cells.insert(0, nbformat.v4.new_code_cell(setup))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    changed = []
    old_cells = [c for c in stored.cells if c.cell_type == "code"]
    new_cells = [c for c in nb.cells[1:] if c.cell_type == "code"]
    for i, (old, new) in enumerate(zip(old_cells, new_cells, strict=True)):
        a, b = "".join(text_outputs(old)), "".join(text_outputs(new))
        if a != b:
            changed.append((i, a, b))
    return changed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--ulps", type=float, default=16.0, help="size of the nudge in units in the last place")
    parser.add_argument("--salts", type=int, default=2, help="independent nudges to try per notebook")
    args = parser.parse_args(argv)
    bad = 0
    for path in args.notebooks:
        for salt in range(args.salts):
            changed = audit(path, ulps=args.ulps, salt=salt)
            print(f"{path} (nudge {salt}): {len(changed)} code cell(s) change")
            for i, a, b in changed:
                bad += 1
                old, new = a.splitlines(), b.splitlines()
                for j in range(max(len(old), len(new))):
                    lo = old[j] if j < len(old) else ""
                    ln = new[j] if j < len(new) else ""
                    if lo != ln:
                        print(f"  code cell {i}: stored | {lo}")
                        print(f"  {' ' * len(f'code cell {i}')}  nudged | {ln}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
