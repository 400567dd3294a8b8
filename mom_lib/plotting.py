"""Plotting helpers the chapters share. Each takes ``ax=None`` and returns the axes it drew on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validation import _kind_of, as_float_array, check_count, check_real
from .objectives import Objective

__all__ = [
    "plot_contours",
    "plot_trajectory",
    "plot_loss",
    "plot_heatmap",
    "plot_regimes",
    "plot_phase_portrait",
    "phase_portrait_figure",
    "REGIMES",
    "figure_text",
    "use_figure_text",
]

#: The most grid points per axis :func:`plot_contours` evaluates (``n`` x ``n`` values in all).
MAX_GRID = 2000


def _limits(name: str, lim: Any) -> tuple[float, float]:
    arr = as_float_array(name, lim)
    if arr.shape != (2,) or not np.all(np.isfinite(arr)) or arr[0] == arr[1]:
        raise ValueError(f"{name} must be two different finite numbers (low, high), got {lim!r}")
    return float(arr[0]), float(arr[1])


def _levels(levels: Any) -> Any:
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, (bool, np.bool_)):
        if levels < 1:
            raise ValueError(f"levels must be a number of levels >= 1 or a sequence of finite values, got {levels}")
        return levels
    arr = as_float_array("levels", levels)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"levels must be a number of levels >= 1 or a sequence of finite values, got {levels!r}")
    return levels


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_contours(
    objective: Objective,
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    levels: int | Sequence[float] = 20,
    log: bool = False,
    n: int = 200,
    ax: Any = None,
    mark_minima: bool = True,
) -> Any:
    """Contour lines of a 2-D objective, with its known minimizers marked.

    Args:
        objective: a 2-D :class:`~mom_lib.Objective`.
        xlim, ylim: the window.
        levels: number of levels, or the levels themselves.
        log: space the levels logarithmically above the minimum (good for valleys).
        n: grid points per axis.
        ax: axes to draw on; a new figure if ``None``.
        mark_minima: draw the minimizers as stars.

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from mom_lib import Quadratic, plot_contours
        >>> ax = plot_contours(Quadratic([0.2, 4.0]), xlim=(-2, 2), ylim=(-1, 1))
        >>> ax.get_xlabel(), len(ax.lines)
        ('$x_1$', 1)
        >>> plt.close(ax.figure)
    """
    if not (callable(getattr(objective, "value", None)) and hasattr(objective, "d")):
        raise TypeError(f"objective must be an Objective (with value and d), got {_kind_of(objective, None)}")
    if objective.d != 2:
        raise ValueError(f"plot_contours needs a 2-D objective: objective.d must be 2, got d = {objective.d}")
    xlim, ylim = _limits("xlim", xlim), _limits("ylim", ylim)
    n = check_count("n", n, low=2, high=MAX_GRID)
    levels = _levels(levels)
    ax = _axes(ax)
    g1, g2 = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    z = objective.value(np.stack([g1, g2], axis=-1))
    if log and isinstance(levels, int):
        lo = z.min()
        levels = lo + np.geomspace(1e-3 * (z.max() - lo) + 1e-12, z.max() - lo, levels)
    ax.contour(g1, g2, z, levels=levels, cmap="viridis", linewidths=0.8)
    if mark_minima:
        m = objective.minimizers
        inside = (m[:, 0] >= xlim[0]) & (m[:, 0] <= xlim[1]) & (m[:, 1] >= ylim[0]) & (m[:, 1] <= ylim[1])
        ax.plot(m[inside, 0], m[inside, 1], "*", color="black", markersize=10, label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def plot_trajectory(xs: Any, *, ax: Any = None, label: str | None = None, **style: Any) -> Any:
    """A 2-D trajectory, shape ``(T + 1, 2)``, as a line with a dot at every iterate.

    Returns:
        The axes.
    """
    xs = as_float_array("xs", xs)
    if xs.ndim != 2 or xs.shape[-1] != 2:
        raise ValueError(f"xs must have shape (T + 1, 2), got {xs.shape}")
    ax = _axes(ax)
    style = {"marker": "o", "markersize": 3, "linewidth": 1.2, **style}
    ax.plot(xs[:, 0], xs[:, 1], label=label, **style)
    return ax


def plot_loss(
    values: Any,
    *,
    labels: Sequence[str] | None = None,
    ax: Any = None,
    floor: float = 1e-16,
) -> Any:
    """Loss curves on a log scale: ``values`` of shape ``(T + 1,)`` or ``(T + 1, k)``.

    Values below ``floor`` are clipped to it so an exact zero does not break the log axis.

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from mom_lib import plot_loss
        >>> ax = plot_loss([1.0, 0.1, 0.01])
        >>> ax.get_yscale()
        'log'
        >>> plt.close(ax.figure)
    """
    v = as_float_array("values", values)
    if v.ndim not in (1, 2) or v.size == 0:
        raise ValueError(f"values must have shape (T + 1,) or (T + 1, k) and hold at least one value, got {v.shape}")
    v = v[:, None] if v.ndim == 1 else v
    if labels is not None and (isinstance(labels, str) or len(labels) != v.shape[1]):
        raise ValueError(f"labels must be a sequence of {v.shape[1]} strings, one per curve, got {labels!r}")
    floor = check_real("floor", floor, low=0.0, low_closed=False)
    ax = _axes(ax)
    v = np.where(np.isnan(v), np.nan, np.maximum(v, floor))
    for k in range(v.shape[1]):
        ax.semilogy(np.arange(v.shape[0]), v[:, k], label=None if labels is None else labels[k])
    ax.set_xlabel("step $t$")
    ax.set_ylabel("$f(x_t) - f^\\star$")
    if labels is not None:
        ax.legend()
    return ax


def plot_heatmap(
    z: Any,
    *,
    lrs: Any,
    betas: Any,
    ax: Any = None,
    log: bool = False,
    label: str = "",
    cmap: str = "magma",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Any:
    r"""A heat map of ``z`` (shape ``(len(lrs), len(betas))``) over the (:math:`\eta`, :math:`\beta`) plane.

    :math:`\eta` runs along the x axis, :math:`\beta` along the y axis; ``nan`` (diverged)
    cells are drawn grey.

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from mom_lib import plot_heatmap, rate
        >>> lrs, betas = np.linspace(0.1, 3.0, 30), np.linspace(0.0, 0.9, 10)
        >>> ax = plot_heatmap(rate(1.0, lr=lrs[:, None], beta=betas), lrs=lrs, betas=betas, label="rate")
        >>> ax.get_ylabel()
        'momentum $\\beta$'
        >>> plt.close(ax.figure)
    """
    import matplotlib
    import matplotlib.colors as mcolors

    z = as_float_array("z", z)
    lrs, betas = as_float_array("lrs", lrs), as_float_array("betas", betas)
    for name, arr in (("lrs", lrs), ("betas", betas)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite, got {arr}")
    if z.shape != (lrs.size, betas.size):
        raise ValueError(f"z must have shape (len(lrs), len(betas)) = {(lrs.size, betas.size)}, got {z.shape}")
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colormap (e.g. 'magma'), got {cmap!r}")
    if log and not np.any(z > 0):
        raise ValueError("z must hold at least one value > 0 when log=True (a log colour scale shows only those)")
    ax = _axes(ax)
    norm = mcolors.LogNorm(vmin=vmin, vmax=vmax) if log else mcolors.Normalize(vmin=vmin, vmax=vmax)
    cm = __import__("matplotlib").colormaps[cmap].with_extremes(bad="0.75")
    mesh = ax.pcolormesh(lrs, betas, np.ma.masked_invalid(z).T, norm=norm, cmap=cm, shading="nearest")
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"momentum $\beta$")
    return ax


def figure_text(fig: Any) -> str:
    """A figure's plain-text form: its titles, for readers and diffs that cannot see the image.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> fig, axes = plt.subplots(1, 2)
        >>> _ = fig.suptitle("Two regimes"); _ = axes[0].set_title("slow"); _ = axes[1].set_title("fast")
        >>> figure_text(fig)
        'Figure: Two regimes | slow | fast'
        >>> plt.close(fig)
    """
    titles = [fig.get_suptitle()] if fig.get_suptitle() else []
    titles += [ax.get_title() for ax in fig.axes if ax.get_title()]
    if titles:
        return "Figure: " + " | ".join(titles)
    return f"Figure with {len(fig.axes)} axes"


def use_figure_text(shell: Any = None) -> None:
    """In IPython, show :func:`figure_text` as a figure's ``text/plain`` form.

    Without it a notebook stores ``<Figure size 640x480 with 1 Axes>`` beside every plot: noise
    for readers of the raw notebook and for the tests that compare stored outputs. Outside
    IPython it does nothing.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is installed with the book
            return
        shell = get_ipython()
    if shell is None:
        return
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # Load the plotting backend now: IPython's inline backend resets every figure formatter when
    # it loads (lazily, at the first figure), which would drop the one registered below.
    plt.switch_backend(plt.get_backend())

    shell.display_formatter.formatters["text/plain"].for_type(Figure, lambda fig, p, cycle: p.text(figure_text(fig)))


#: The four regimes of heavy ball along one eigen-direction, in the order of their codes.
REGIMES = ("monotone", "oscillating sign", "complex (ringing)", "divergent")


def _regime_codes(eta_lam: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """0 monotone, 1 oscillating sign, 2 complex, 3 divergent, from the characteristic roots."""
    from .theory import characteristic_roots

    z = characteristic_roots(eta_lam, lr=1.0, beta=beta)
    diverges = np.abs(z).max(axis=-1) >= 1.0
    is_complex = np.abs(z.imag).max(axis=-1) > 0
    negative = z.real.min(axis=-1) < 0
    return np.where(diverges, 3, np.where(is_complex, 2, np.where(negative, 1, 0)))


def plot_regimes(
    *,
    eta_lam_max: float = 4.2,
    beta_max: float = 0.99,
    n: int = 400,
    points: Any = None,
    ax: Any = None,
) -> Any:
    r"""Heavy ball's regimes over the :math:`(\eta\lambda, \beta)` plane, with their boundaries.

    Along an eigenvalue :math:`\lambda` the roots of :math:`z^2 - (1 + \beta - \eta\lambda) z + \beta`
    decide the regime: both real and positive (*monotone*), real with a negative one
    (*oscillating sign*), complex with modulus :math:`\sqrt\beta` (*ringing*), or one of modulus
    :math:`\ge 1` (*divergent*). The regions are coloured from
    :func:`mom_lib.characteristic_roots` on an ``n`` x ``n`` grid; the closed-form boundaries
    are drawn over them:

    .. math::

        \eta\lambda = (1 \mp \sqrt\beta)^2 \ \text{(complex band)}, \qquad
        \eta\lambda = 2 + 2\beta \ \text{(stability edge)} .

    Args:
        eta_lam_max: right end of the :math:`\eta\lambda` axis, > 0 (the axis starts at 0).
        beta_max: top of the :math:`\beta` axis, in (0, 1).
        n: grid points per axis, 2 to :data:`MAX_GRID`.
        points: optional :math:`(\eta\lambda, \beta)` pairs to mark, shape ``(k, 2)``.
        ax: the axes to draw on (a new figure if ``None``).

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from mom_lib.plotting import plot_regimes
        >>> ax = plot_regimes(n=50, points=[[0.3, 0.9]])
        >>> ax.get_xlabel()
        '$\\eta\\lambda$'
        >>> plt.close(ax.figure)
    """
    import matplotlib.colors as mcolors
    import matplotlib.patches as mpatches

    eta_lam_max = check_real("eta_lam_max", eta_lam_max, low=0.0, low_closed=False)
    beta_max = check_real("beta_max", beta_max, low=0.0, low_closed=False)
    if not beta_max < 1.0:
        raise ValueError(f"beta_max must be in (0, 1), got {beta_max}")
    n = check_count("n", n, low=2, high=MAX_GRID)
    if points is not None:
        points = as_float_array("points", points)
        if points.ndim != 2 or points.shape[-1] != 2 or not np.all(np.isfinite(points)):
            raise ValueError(f"points must be finite (eta*lambda, beta) pairs of shape (k, 2), got {points.shape}")
    h = np.linspace(0.0, eta_lam_max, n + 1)[1:]  # eta*lambda = 0 does not move at all
    b = np.linspace(0.0, beta_max, n)
    codes = _regime_codes(h[None, :], b[:, None])
    ax = _axes(ax)
    colors = ["#9ecae1", "#fdd0a2", "#c7e9c0", "#d9d9d9"]
    cmap = mcolors.ListedColormap(colors)
    ax.pcolormesh(h, b, codes, cmap=cmap, norm=mcolors.BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], 4), shading="nearest")
    lo, hi = (1 - np.sqrt(b)) ** 2, (1 + np.sqrt(b)) ** 2
    ax.plot(lo, b, color="black", linewidth=1.2, label=r"$(1 \mp \sqrt{\beta})^2$")
    ax.plot(hi, b, color="black", linewidth=1.2)
    ax.plot(2 + 2 * b, b, color="black", linestyle="--", linewidth=1.2, label=r"$2 + 2\beta$")
    if points is not None:
        ax.plot(points[:, 0], points[:, 1], "k*", markersize=10, linestyle="none")
    ax.set_xlim(0.0, eta_lam_max)
    ax.set_ylim(0.0, beta_max)
    ax.set_xlabel(r"$\eta\lambda$")
    ax.set_ylabel(r"momentum $\beta$")
    patches = [mpatches.Patch(color=c, label=name) for c, name in zip(colors, REGIMES, strict=True)]
    ax.legend(handles=[*patches, *ax.get_lines()[:3:2]], loc="lower right", fontsize="small")
    return ax


def plot_phase_portrait(xs: Any, *, ax: Any = None, label: str | None = None, **style: Any) -> Any:
    r"""A one-dimensional run as the path of :math:`(x_t, x_{t-1})`, with a dot at every state.

    The state :math:`(x_t, x_{t-1})` is what the iteration matrix maps one step on; its path
    is a straight approach, a zig-zag across the diagonal, or a spiral, by regime
    (:func:`plot_regimes`).

    Args:
        xs: iterates :math:`x_0, \dots, x_T`, shape ``(T + 1,)`` or ``(T + 1, 1)``, ``T >= 1``.
        ax: the axes to draw on (a new figure if ``None``).
        label: legend label.
        **style: passed to ``ax.plot``.

    Returns:
        The axes.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from mom_lib.plotting import plot_phase_portrait
        >>> ax = plot_phase_portrait([1.0, 0.5, 0.1, -0.1])
        >>> ax.get_ylabel()
        '$x_{t-1}$'
        >>> plt.close(ax.figure)
    """
    xs = as_float_array("xs", xs)
    if xs.ndim == 2 and xs.shape[-1] == 1:
        xs = xs[:, 0]
    if xs.ndim != 1 or xs.size < 2:
        raise ValueError(f"xs must have shape (T + 1,) or (T + 1, 1) with T >= 1, got {xs.shape}")
    ax = _axes(ax)
    style = {"marker": "o", "markersize": 3, "linewidth": 1.0, **style}
    ax.plot(xs[1:], xs[:-1], label=label, **style)
    ax.plot([0.0], [0.0], "k+", markersize=10)
    ax.set_xlabel("$x_t$")
    ax.set_ylabel("$x_{t-1}$")
    return ax


def phase_portrait_figure(
    eta_lam: Any, beta: Any, *, n_steps: int = 40, init_eta_lam: Any = None, init_beta: Any = None
) -> Any:
    r"""A kernel-free interactive phase portrait of heavy ball on :math:`f(x) = \tfrac12\lambda x^2`.

    Sliders over the grids ``eta_lam`` (:math:`\eta\lambda`) and ``beta`` choose a setting; the
    figure shows the path of :math:`(x_t, x_{t-1})` from :math:`x_0 = x_{-1} = 1`
    (:func:`mom_lib.run` once, batched over the whole grid), and the readouts give the rate
    :math:`\rho` (:func:`mom_lib.rate`) and the angle :math:`\arg z` of the root of largest
    modulus, which names the regime (:func:`plot_regimes`): :math:`0` monotone, :math:`\pi`
    oscillating sign, in between ringing (turning by :math:`\arg z` per step); :math:`\rho \ge 1`
    divergent.

    .. math::

        x_{t+1} = x_t - \eta\lambda\, x_t + \beta (x_t - x_{t-1})

    Args:
        eta_lam: grid of :math:`\eta\lambda > 0`, shape ``(m,)``.
        beta: grid of :math:`\beta \in [0, 1)`, shape ``(k,)``.
        n_steps: steps per path, 1 to 400.
        init_eta_lam, init_beta: the first setting shown (nearest grid values; default the first).

    Returns:
        A :class:`mom_lib.interactive.SliderFigure`.

    Examples:
        >>> import numpy as np
        >>> from mom_lib.plotting import phase_portrait_figure
        >>> fig = phase_portrait_figure([0.3, 3.1], [0.5, 0.9], n_steps=10)
        >>> fig.readout("rate rho", eta_lam=0.3, beta=0.9)
        '0.9487'
        >>> fig.readout("arg z (0 monotone, pi oscillating)", eta_lam=3.1, beta=0.5)
        '3.142'
    """
    from .interactive import Axis, Control, Readout, Series, SliderFigure
    from .runner import run
    from .steps import heavy_ball
    from .theory import characteristic_roots, rate

    grids = {}
    for name, values in (("eta_lam", eta_lam), ("beta", beta)):
        arr = as_float_array(name, values)
        if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be a non-empty 1-D grid of finite numbers, got {values!r}")
        grids[name] = arr
    h, b = grids["eta_lam"], grids["beta"]
    if np.any(h <= 0):
        raise ValueError(f"eta_lam must be > 0, got {h}")
    if np.any((b < 0) | (b >= 1)):
        raise ValueError(f"beta must be in [0, 1), got {b}")
    n_steps = check_count("n_steps", n_steps, low=1, high=400)
    res = run(heavy_ball, lambda x: x, [1.0], n_steps=n_steps, lr=h[:, None], beta=b[None, :])
    xs = np.moveaxis(res.x[..., 0], 0, -1)  # (m, k, T + 1)
    z = characteristic_roots(h[:, None], lr=1.0, beta=b[None, :])
    top = np.take_along_axis(z, np.abs(z).argmax(axis=-1)[..., None], axis=-1)[..., 0]

    def init(grid: np.ndarray, value: Any) -> int:
        return 0 if value is None else int(np.argmin(np.abs(grid - check_real("init", value))))

    return SliderFigure(
        controls=[
            Control("eta_lam", "eta*lambda", list(h), init=init(h, init_eta_lam)),
            Control("beta", "beta", list(b), init=init(b, init_beta)),
        ],
        series=[Series("(x_t, x_(t-1))", xs[..., :-1], x=xs[..., 1:], markers=True, color="C0")],
        xaxis=Axis("x_t", (-1.5, 1.5)),
        yaxis=Axis("x_(t-1)", (-1.5, 1.5)),
        readouts=[
            Readout("rate rho", rate(h[:, None], lr=1.0, beta=b[None, :]), fmt=".4f"),
            Readout("arg z (0 monotone, pi oscillating)", np.abs(np.angle(top)), fmt=".3f"),
        ],
        title=f"Heavy ball on 0.5 lambda x^2: {n_steps} steps from x_0 = 1",
        marks=[[0.0, 0.0]],
        width=480,
        height=480,
    )
