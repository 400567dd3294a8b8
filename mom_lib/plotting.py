"""Plotting helpers the chapters share. Each takes ``ax=None`` and returns the axes it drew on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validation import _kind_of, as_float_array, check_count, check_real
from .objectives import Objective

__all__ = ["plot_contours", "plot_trajectory", "plot_loss", "plot_heatmap", "figure_text", "use_figure_text"]

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
