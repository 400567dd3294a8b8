"""Plotting helpers the chapters share. Each takes ``ax=None`` and returns the axes it drew on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .objectives import Objective

__all__ = ["plot_contours", "plot_trajectory", "plot_loss", "plot_heatmap", "figure_text", "use_figure_text"]


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
    if objective.d != 2:
        raise ValueError(f"plot_contours needs a 2-D objective, got d = {objective.d}")
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
    ax = _axes(ax)
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 2 or xs.shape[-1] != 2:
        raise ValueError(f"xs must have shape (T + 1, 2), got {xs.shape}")
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
    ax = _axes(ax)
    v = np.asarray(values, dtype=float)
    v = v[:, None] if v.ndim == 1 else v
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
    import matplotlib.colors as mcolors

    ax = _axes(ax)
    z = np.asarray(z, dtype=float)
    lrs, betas = np.asarray(lrs, dtype=float), np.asarray(betas, dtype=float)
    if z.shape != (lrs.size, betas.size):
        raise ValueError(f"z must have shape (len(lrs), len(betas)) = {(lrs.size, betas.size)}, got {z.shape}")
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
