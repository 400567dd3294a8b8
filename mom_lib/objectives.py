r"""Objective functions with values, gradients and known minimizers.

Every objective is vectorized over leading axes: ``value(x)`` maps shape ``(*batch, d)`` to
``(*batch,)`` and ``grad(x)`` maps ``(*batch, d)`` to ``(*batch, d)``. Each knows its
minimizers (``minimizers``, shape ``(k, d)``) so experiments can say which minimum a run
reached (:meth:`Objective.nearest_minimum`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.polynomial import Polynomial

from ._validation import _kind_of, as_float_array, check_count, check_nonnegative, check_point, check_real

__all__ = [
    "Objective",
    "Quadratic",
    "Rosenbrock",
    "MultiWell1D",
    "MultiWell2D",
    "Himmelblau",
    "LeastSquares",
    "noisy_grad",
    "minibatch_grad",
]

#: The largest ``batch_size`` :func:`minibatch_grad` accepts (each call draws that many indices per point).
MAX_BATCH_SIZE = 10_000_000


class Objective:
    """Base class: ``value``, ``grad``, ``minimizers``, ``d`` and ``nearest_minimum``."""

    d: int
    minimizers: np.ndarray

    def value(self, x: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, x: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x: Any) -> np.ndarray:
        return self.value(x)

    def _point(self, x: Any, name: str = "x") -> np.ndarray:
        x = as_float_array(name, x)
        if x.ndim == 0 or x.shape[-1] != self.d:
            raise ValueError(
                f"{name} must have shape (..., {self.d}) for this {self.d}-D objective, got shape {x.shape}"
            )
        return x

    @property
    def minimum(self) -> float:
        """The smallest value over the known minimizers."""
        return float(np.min(self.value(self.minimizers)))

    @property
    def global_minimizer(self) -> np.ndarray:
        """The known minimizer with the smallest value, shape ``(d,)``."""
        return self.minimizers[int(np.argmin(self.value(self.minimizers)))]

    def nearest_minimum(self, x: Any, *, tol: float = 1e-3) -> np.ndarray:
        """Index into ``minimizers`` of the minimizer within ``tol`` of each point, else ``-1``.

        Args:
            x: points, shape ``(*batch, d)``; ``nan`` rows (diverged runs) give ``-1``.
            tol: largest Euclidean distance that counts as "at" a minimizer.

        Returns:
            int array of shape ``batch``.
        """
        tol = check_real("tol", tol, low=0.0)
        x = self._point(x)
        dist = np.linalg.norm(x[..., None, :] - self.minimizers, axis=-1)
        with np.errstate(invalid="ignore"):
            idx = np.argmin(np.where(np.isnan(dist), np.inf, dist), axis=-1)
            close = np.take_along_axis(dist, idx[..., None], axis=-1)[..., 0] <= tol
        return np.where(close, idx, -1)


class Quadratic(Objective):
    r"""A convex quadratic given by its eigenvalues.

    .. math::

        f(x) = \tfrac12 (x - c)^\top A (x - c), \qquad A = Q\, \mathrm{diag}(\lambda_1, \dots, \lambda_d)\, Q^\top,
        \qquad \nabla f(x) = A (x - c)

    Args:
        eigenvalues: :math:`\lambda_i \ge 0`, shape ``(d,)``.
        rotation: optional orthogonal :math:`Q`, shape ``(d, d)``; identity by default.
        angle: for ``d = 2`` only, build :math:`Q` as the rotation by ``angle`` radians.
        center: the minimizer :math:`c`, shape ``(d,)``; the origin by default.

    Examples:
        The zig-zag example :math:`f = 0.1 x_1^2 + 2 x_2^2` has eigenvalues 0.2 and 4:

        >>> from mom_lib import Quadratic
        >>> f = Quadratic([0.2, 4.0])
        >>> print(f.value([1.0, 1.0]), f.grad([1.0, 1.0]), f.condition_number)
        2.1 [0.2 4. ] 20.0
    """

    def __init__(
        self,
        eigenvalues: Sequence[float] | np.ndarray,
        *,
        rotation: Any = None,
        angle: float | None = None,
        center: Any = None,
    ) -> None:
        lam = check_nonnegative("eigenvalues", eigenvalues)
        if lam.ndim != 1 or lam.size == 0:
            raise ValueError(f"eigenvalues must be a non-empty 1-D sequence, got shape {lam.shape}")
        self.d = lam.size
        self.eigenvalues = lam
        if rotation is not None and angle is not None:
            raise ValueError("rotation and angle must not both be given: give one of them")
        if angle is not None:
            if self.d != 2:
                raise ValueError(f"angle is for 2-D quadratics only: d must be 2, this one has d = {self.d}")
            angle = check_real("angle", angle)
            c, s = np.cos(angle), np.sin(angle)
            rotation = np.array([[c, -s], [s, c]])
        # Without a rotation A is diagonal: no d x d matrix is built or checked (``matrix`` and
        # ``rotation`` are made on first access), and value/grad work coordinatewise.
        self._diagonal = rotation is None
        self._rotation: np.ndarray | None = None
        self._matrix: np.ndarray | None = None
        if not self._diagonal:
            q = as_float_array("rotation", rotation)
            if q.shape != (self.d, self.d) or not np.allclose(q @ q.T, np.eye(self.d), atol=1e-10):
                raise ValueError(f"rotation must be an orthogonal matrix of shape ({self.d}, {self.d})")
            self._rotation = q
            self._matrix = q @ np.diag(lam) @ q.T
        self.center = np.zeros(self.d) if center is None else check_point("center", center)
        if self.center.shape != (self.d,):
            raise ValueError(f"center must have shape ({self.d},), got {self.center.shape}")
        self.minimizers = self.center[None, :]
        if not np.any(self.center):
            self._shift = None
        elif self._diagonal:
            self._shift = lam * self.center
        else:
            self._shift = self._matrix @ self.center

    @property
    def rotation(self) -> np.ndarray:
        """The orthogonal :math:`Q`, shape ``(d, d)`` (the identity when none was given)."""
        if self._rotation is None:
            self._rotation = np.eye(self.d)
        return self._rotation

    @property
    def matrix(self) -> np.ndarray:
        """The Hessian :math:`A = Q \\mathrm{diag}(\\lambda) Q^\\top`, shape ``(d, d)``, built on first access."""
        if self._matrix is None:
            self._matrix = np.diag(self.eigenvalues)
        return self._matrix

    @property
    def mu(self) -> float:
        """Smallest eigenvalue :math:`\\mu`."""
        return float(self.eigenvalues.min())

    @property
    def L(self) -> float:  # noqa: N802 - the book's notation
        """Largest eigenvalue :math:`L`."""
        return float(self.eigenvalues.max())

    @property
    def condition_number(self) -> float:
        """:math:`\\kappa = L / \\mu` (``inf`` when :math:`\\mu = 0`)."""
        return float(self.L / self.mu) if self.mu > 0 else float("inf")

    def value(self, x: Any) -> np.ndarray:
        y = self._point(x) - self.center
        if self._diagonal:
            return 0.5 * np.einsum("...i,i,...i->...", y, self.eigenvalues, y)
        return 0.5 * np.einsum("...i,ij,...j->...", y, self.matrix, y)

    def grad(self, x: Any) -> np.ndarray:
        x = self._point(x)
        # Diagonal A: the coordinatewise product equals x @ A.T exactly for finite x (each
        # entry is one product plus exact zeros) and keeps the memory layout of x.
        g = x * self.eigenvalues if self._diagonal else x @ self.matrix.T
        return g - self._shift if self._shift is not None else g


class Rosenbrock(Objective):
    r"""Rosenbrock's banana valley.

    .. math::

        f(x, y) = (a - x)^2 + b\,(y - x^2)^2, \qquad \text{minimizer } (a, a^2)

    Examples:
        >>> from mom_lib import Rosenbrock
        >>> f = Rosenbrock()
        >>> print(f.value([1.0, 1.0]), f.grad([0.0, 1.0]), f.minimizers)
        0.0 [ -2. 200.] [[1. 1.]]
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = check_real("a", a), check_real("b", b, low=0.0, low_closed=False)
        self.d = 2
        if abs(self.a) > 1e150:
            raise ValueError(f"a must be at most 1e150 in size (the minimizer is (a, a^2)), got {self.a!r}")
        self.minimizers = np.array([[self.a, self.a**2]])

    def value(self, x: Any) -> np.ndarray:
        x = self._point(x)
        return (self.a - x[..., 0]) ** 2 + self.b * (x[..., 1] - x[..., 0] ** 2) ** 2

    def grad(self, x: Any) -> np.ndarray:
        x = self._point(x)
        u, w = x[..., 0], x[..., 1]
        gu = -2 * (self.a - u) - 4 * self.b * u * (w - u**2)
        gw = 2 * self.b * (w - u**2)
        return np.stack([gu, gw], axis=-1)


class MultiWell1D(Objective):
    r"""A 1-D polynomial landscape with minima and maxima exactly where you put them.

    .. math::

        f'(x) = s \prod_i (x - m_i) \prod_j (x - M_j), \qquad f(0) = 0 \text{ before the shift}

    The minima :math:`m_i` and maxima :math:`M_j` must interleave, starting and ending with a
    minimum (``len(maxima) == len(minima) - 1``), so that :math:`f \to +\infty` on both sides.
    ``scale`` :math:`s > 0` sets the depth. The function is shifted so that its global minimum is 0.

    Args:
        minima: sorted locations of the local minima.
        maxima: sorted locations of the local maxima, one between each pair of minima.
        scale: :math:`s > 0`.

    Examples:
        The default landscape has minima at -1.5 (global), 0.5 and 2.0:

        >>> from mom_lib import MultiWell1D
        >>> f = MultiWell1D()
        >>> print(f.minimizers.ravel(), f.global_minimizer)
        [-1.5  0.5  2. ] [-1.5]
        >>> print(f.grad([[-1.5], [0.5], [2.0]]).ravel().round(12) + 0.0)
        [0. 0. 0.]
    """

    def __init__(
        self,
        minima: Sequence[float] = (-1.5, 0.5, 2.0),
        maxima: Sequence[float] = (-0.5, 1.1),
        *,
        scale: float = 1.0,
    ) -> None:
        mins = np.sort(as_float_array("minima", minima).ravel())
        maxs = np.sort(as_float_array("maxima", maxima).ravel())
        for name, arr in (("minima", mins), ("maxima", maxs)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be finite, got {arr}")
        if mins.size < 1:
            raise ValueError("minima must hold at least one location (and maxima one fewer)")
        if maxs.size != mins.size - 1:
            raise ValueError("maxima must have exactly one entry fewer than minima (one between each pair)")
        if not np.all(mins[:-1] < maxs) or not np.all(maxs < mins[1:]):
            raise ValueError("minima and maxima must interleave: m_0 < M_0 < m_1 < ... < m_k")
        scale = check_real("scale", scale, low=0.0, low_closed=False)
        self.d = 1
        self.maxima = maxs[:, None]
        self.minimizers = mins[:, None]
        with np.errstate(over="ignore", invalid="ignore"):
            self._dpoly = scale * Polynomial.fromroots(np.concatenate([mins, maxs]))
            poly = self._dpoly.integ()
            lowest = float(np.min(poly(mins)))
        if not (np.all(np.isfinite(poly.coef)) and np.isfinite(lowest)):
            raise ValueError(
                "minima, maxima and scale must be moderate: the landscape's values at its minima exceed the float range"
            )
        self._poly = poly - lowest

    def value(self, x: Any) -> np.ndarray:
        return self._poly(self._point(x)[..., 0])

    def grad(self, x: Any) -> np.ndarray:
        return self._dpoly(self._point(x))

    def curvature(self, x: Any) -> np.ndarray:
        """The second derivative :math:`f''(x)`, shape ``(*batch,)`` for ``x`` of shape ``(*batch, 1)``.

        Examples:
            >>> from mom_lib import MultiWell1D
            >>> print(MultiWell1D().curvature([[-1.5], [0.5], [-0.5]]).round(4))
            [18.2  1.8 -4. ]
        """
        return self._dpoly.deriv()(self._point(x)[..., 0])


class MultiWell2D(Objective):
    r"""A 2-D landscape :math:`f(x_1, x_2) = g_1(x_1) + g_2(x_2)` built from two :class:`MultiWell1D`.

    Its critical points are all pairs of critical points of :math:`g_1` and :math:`g_2`: a pair
    of minima is a minimum, a minimum with a maximum is a saddle point, two maxima a maximum.
    So the minimizers (``minimizers``) and saddle points (``saddles``) are known exactly.

    Args:
        g1, g2: the 1-D landscapes along each axis (defaults: minima at (-1.5, 0.5, 2.0) along
            :math:`x_1` and at (-1, 1) along :math:`x_2`).

    Examples:
        >>> from mom_lib import MultiWell2D
        >>> f = MultiWell2D()
        >>> f.minimizers.shape, f.saddles.shape
        ((6, 2), (7, 2))
    """

    def __init__(self, g1: MultiWell1D | None = None, g2: MultiWell1D | None = None) -> None:
        for name, g in (("g1", g1), ("g2", g2)):
            if g is not None and not isinstance(g, MultiWell1D):
                raise TypeError(f"{name} must be a MultiWell1D (or None for the default), got {_kind_of(g, None)}")
        self.g1 = g1 if g1 is not None else MultiWell1D()
        self.g2 = g2 if g2 is not None else MultiWell1D((-1.0, 1.2), (0.2,), scale=1.5)
        self.d = 2
        m1, m2 = self.g1.minimizers[:, 0], self.g2.minimizers[:, 0]
        M1, M2 = self.g1.maxima[:, 0], self.g2.maxima[:, 0]  # noqa: N806
        self.minimizers = np.array([[a, b] for a in m1 for b in m2])
        self.saddles = np.array([[a, b] for a in m1 for b in M2] + [[a, b] for a in M1 for b in m2])

    def value(self, x: Any) -> np.ndarray:
        x = self._point(x)
        return self.g1.value(x[..., :1]) + self.g2.value(x[..., 1:])

    def grad(self, x: Any) -> np.ndarray:
        x = self._point(x)
        return np.concatenate([self.g1.grad(x[..., :1]), self.g2.grad(x[..., 1:])], axis=-1)

    def hessian(self, x: Any) -> np.ndarray:
        """The Hessian, diagonal because :math:`f` is separable: shape ``(*batch, 2, 2)``.

        Examples:
            >>> from mom_lib import MultiWell2D
            >>> f = MultiWell2D()
            >>> print(f.hessian(f.saddles[0]).round(4))
            [[18.2  0. ]
             [ 0.  -1.8]]
        """
        x = self._point(x)
        h = np.zeros((*x.shape[:-1], 2, 2))
        h[..., 0, 0] = self.g1.curvature(x[..., :1])
        h[..., 1, 1] = self.g2.curvature(x[..., 1:])
        return h


class Himmelblau(Objective):
    r"""Himmelblau's function, four minima of equal value 0.

    .. math::

        f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2

    The minimizers are :math:`(3, 2)` and three others that :meth:`__init__` finds by Newton's
    method from their textbook approximations, so they are exact to round-off.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import Himmelblau
        >>> f = Himmelblau()
        >>> bool(np.all(np.abs(f.grad(f.minimizers)) < 1e-10))
        True
    """

    def __init__(self) -> None:
        self.d = 2
        guesses = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]])
        for _ in range(20):
            guesses = guesses - np.linalg.solve(self.hessian(guesses), self.grad(guesses)[..., None])[..., 0]
        self.minimizers = guesses

    def value(self, x: Any) -> np.ndarray:
        x = self._point(x)
        u, w = x[..., 0], x[..., 1]
        return (u**2 + w - 11) ** 2 + (u + w**2 - 7) ** 2

    def grad(self, x: Any) -> np.ndarray:
        x = self._point(x)
        u, w = x[..., 0], x[..., 1]
        a, b = u**2 + w - 11, u + w**2 - 7
        return np.stack([4 * u * a + 2 * b, 2 * a + 4 * w * b], axis=-1)

    def hessian(self, x: Any) -> np.ndarray:
        """Hessian, shape ``(*batch, 2, 2)``."""
        x = self._point(x)
        u, w = x[..., 0], x[..., 1]
        huu = 12 * u**2 + 4 * w - 42
        hww = 12 * w**2 + 4 * u - 26
        huw = 4 * (u + w)
        return np.stack([np.stack([huu, huw], -1), np.stack([huw, hww], -1)], -2)


class LeastSquares(Objective):
    r"""Linear least squares, a finite sum over samples.

    .. math::

        f(x) = \frac{1}{2n} \lVert A x - b \rVert^2 = \frac1n \sum_{i=1}^n \tfrac12 (a_i^\top x - b_i)^2,
        \qquad \nabla f(x) = \tfrac1n A^\top (A x - b)

    Its Hessian :math:`A^\top A / n` has eigenvalues ``eigenvalues`` (so ``mu``, ``L``).

    Args:
        A: design matrix, shape ``(n, d)``.
        b: targets, shape ``(n,)``.
    """

    def __init__(self, A: Any, b: Any) -> None:  # noqa: N803
        A = as_float_array("A", A)  # noqa: N806
        b = as_float_array("b", b)
        if A.ndim != 2 or A.size == 0:
            raise ValueError(f"A must have shape (n, d) with n, d >= 1, got shape {A.shape}")
        if b.shape != (A.shape[0],):
            raise ValueError(f"b must have shape (n,) = ({A.shape[0]},) to match A, got shape {b.shape}")
        for name, arr in (("A", A), ("b", b)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be finite, got an array containing nan or inf")
        self.A, self.b = A, b
        self.n, self.d = A.shape
        with np.errstate(over="ignore", invalid="ignore"):
            gram = A.T @ A / self.n
        if not np.all(np.isfinite(gram)):
            raise ValueError("A must have entries below about 1e154: A^T A / n exceeds the float range")
        self.eigenvalues = np.linalg.eigvalsh(gram)
        self.minimizers = np.linalg.lstsq(A, b, rcond=None)[0][None, :]

    @property
    def mu(self) -> float:
        return float(self.eigenvalues.min())

    @property
    def L(self) -> float:  # noqa: N802
        return float(self.eigenvalues.max())

    def value(self, x: Any) -> np.ndarray:
        r = self._point(x) @ self.A.T - self.b
        return 0.5 * np.mean(r**2, axis=-1)

    def grad(self, x: Any) -> np.ndarray:
        r = self._point(x) @ self.A.T - self.b
        return r @ self.A / self.n

    def grad_on(self, x: Any, idx: np.ndarray) -> np.ndarray:
        """The gradient on the samples ``idx`` (shape ``(*batch, B)``) for each point of ``x``."""
        x = self._point(x)
        a = self.A[idx]  # (*batch, B, d)
        r = np.einsum("...bd,...d->...b", a, x) - self.b[idx]
        return np.einsum("...b,...bd->...d", r, a) / idx.shape[-1]


def noisy_grad(
    objective: Objective, *, noise_std: float, rng: np.random.Generator
) -> Callable[[np.ndarray], np.ndarray]:
    r"""A stochastic gradient: the exact gradient plus independent Gaussian noise.

    .. math::

        \tilde g(x) = \nabla f(x) + \sigma \xi, \qquad \xi \sim \mathcal N(0, I)

    Each call draws fresh noise from ``rng`` for every batch element and coordinate, so a
    seeded generator makes the whole run reproducible.

    Args:
        objective: any :class:`Objective`.
        noise_std: :math:`\sigma \ge 0`.
        rng: a ``np.random.Generator``, e.g. ``np.random.default_rng(0)``.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import Quadratic, noisy_grad
        >>> g = noisy_grad(Quadratic([1.0]), noise_std=0.0, rng=np.random.default_rng(0))
        >>> print(g(np.array([2.0])))
        [2.]
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    if not callable(getattr(objective, "grad", None)):
        raise TypeError(f"objective must be an Objective (with a grad method), got {_kind_of(objective, None)}")
    noise_std = check_real("noise_std", noise_std, low=0.0)

    def grad(x: np.ndarray) -> np.ndarray:
        g = objective.grad(x)
        return g + noise_std * rng.standard_normal(g.shape)

    return grad


def minibatch_grad(
    objective: LeastSquares, *, batch_size: int, rng: np.random.Generator
) -> Callable[[np.ndarray], np.ndarray]:
    r"""A minibatch gradient of a finite-sum objective: the average over ``batch_size`` samples.

    .. math::

        \tilde g(x) = \frac{1}{B} \sum_{i \in S} \nabla f_i(x), \qquad S \text{ drawn uniformly with replacement}

    Every batch element draws its own samples from ``rng`` on every call.

    Args:
        objective: a finite-sum objective with ``n`` and ``grad_on`` (e.g. :class:`LeastSquares`).
        batch_size: :math:`B \ge 1`.
        rng: a ``np.random.Generator``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    if not hasattr(objective, "grad_on"):
        raise ValueError(
            f"objective must be a finite sum with grad_on (e.g. LeastSquares), got {type(objective).__name__}"
        )
    batch_size = check_count("batch_size", batch_size, low=1, high=MAX_BATCH_SIZE)

    def grad(x: np.ndarray) -> np.ndarray:
        x = as_float_array("x", x)
        if x.ndim == 0 or x.shape[-1] != objective.d:
            raise ValueError(f"x must have shape (..., {objective.d}) for this objective, got shape {x.shape}")
        idx = rng.integers(0, objective.n, size=(*x.shape[:-1], batch_size))
        return objective.grad_on(x, idx)

    return grad
