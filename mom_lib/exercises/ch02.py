r"""Chapter 2 (local minima): ``ex-02-basin``.

``basin_of(x_final, minimizers, tol) -> int array``: for each final iterate (a row of
``x_final``, shape ``(n, d)``; ``nan`` rows are diverged runs) the index of the minimizer
(a row of ``minimizers``, shape ``(k, d)``) within Euclidean distance ``tol``, else ``-1``:

.. math::

    b_i = \begin{cases} j & \text{if } \min_j \lVert x_i - m_j \rVert \le \mathrm{tol}
    \text{ and } j \text{ attains it}, \\ -1 & \text{otherwise (or if } x_i \text{ is nan).} \end{cases}

The reference is :meth:`mom_lib.Objective.nearest_minimum`.
"""

from __future__ import annotations

import numpy as np

from ..objectives import Objective
from ._core import Case, Exercise, Mistake, register

__all__: list[str] = []


def _basin_of(x_final, minimizers, tol):
    points = Objective()
    points.minimizers = np.asarray(minimizers, dtype=float)
    points.d = points.minimizers.shape[-1]
    return points.nearest_minimum(x_final, tol=tol)


def _distances(x_final, minimizers):
    return np.linalg.norm(x_final[:, None, :] - minimizers[None, :, :], axis=-1)


def _ignores_tol(x_final, minimizers, tol):
    dist = _distances(x_final, minimizers)
    return np.where(np.isnan(dist).any(axis=1), -1, np.argmin(np.nan_to_num(dist, nan=np.inf), axis=1))


def _nan_not_minus_one(x_final, minimizers, tol):
    dist = _distances(x_final, minimizers)
    return np.where(dist.min(axis=1) > tol, -1, np.argmin(dist, axis=1))


def _nan_crash(x_final, minimizers, tol):
    dist = _distances(x_final, minimizers)
    idx = np.nanargmin(dist, axis=1)
    return np.where(np.nanmin(dist, axis=1) <= tol, idx, -1)


def _wrong_axis(x_final, minimizers, tol):
    dist = _distances(x_final, minimizers)
    idx = np.argmin(dist, axis=0)
    return np.where(np.min(dist, axis=0) <= tol, idx, -1)


_WELLS = np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]])
_NAN = np.nan

register(
    Exercise(
        id="ex-02-basin",
        signature="basin_of(x_final, minimizers, tol) -> int array",
        reference=_basin_of,
        cases=[
            Case(
                "every run ends at a minimizer",
                {
                    "x_final": np.array([[2.0, 1.0005], [0.0001, -0.0002], [-1.0, 3.0], [2.0, 0.9999]]),
                    "minimizers": _WELLS,
                    "tol": 1e-2,
                },
            ),
            Case(
                "a run that stopped far from every minimizer gets -1",
                {
                    "x_final": np.array([[1.0, 0.5], [0.0, 0.0], [-1.0, 2.9], [1.99, 1.0], [5.0, 5.0]]),
                    "minimizers": _WELLS,
                    "tol": 0.05,
                },
            ),
            Case(
                "diverged runs (nan rows) get -1",
                {
                    "x_final": np.array([[_NAN, _NAN], [2.0, 1.0], [_NAN, _NAN], [0.0, 0.001]]),
                    "minimizers": _WELLS,
                    "tol": 0.01,
                },
            ),
            Case(
                "a 1-D problem with two wells",
                {
                    "x_final": np.array([[-1.0], [0.999], [0.3], [1.2], [-0.98]]),
                    "minimizers": np.array([[-1.0], [1.0]]),
                    "tol": 0.05,
                },
            ),
            Case(
                "a smaller tol makes near misses -1",
                {
                    "x_final": np.array([[0.03, 0.0], [2.0, 1.0], [-1.0, 3.02], [0.0, 0.0]]),
                    "minimizers": _WELLS,
                    "tol": 1e-3,
                },
            ),
        ],
        mistakes=[
            Mistake(
                "ignores-tol",
                _ignores_tol,
                "a run counts for a minimizer only if it ends within tol of it: compare the smallest "
                "distance with tol and answer -1 when it is larger.",
            ),
            Mistake(
                "nan-not-minus-one",
                _nan_not_minus_one,
                "every comparison with nan is False, so `dist > tol` does not catch diverged runs; "
                "test `dist <= tol` (or np.isnan) so that nan rows get -1.",
            ),
            Mistake(
                "nan-crash",
                _nan_crash,
                "np.nanargmin fails on a row that is all nan (a diverged run); give such rows -1 "
                "instead, e.g. with np.isnan(x_final).any(axis=1).",
            ),
            Mistake(
                "wrong-axis",
                _wrong_axis,
                "you reduced over the wrong axis: the distance table has shape (n, k), one row per run; "
                "take the min/argmin over the minimizers, axis=1, to get one answer per run.",
            ),
        ],
    )
)
