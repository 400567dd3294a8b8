"""Plotting helpers draw on the axes they are given and return them."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mom_lib import MultiWell1D, Quadratic, heavy_ball, plot_contours, plot_heatmap, plot_loss, plot_trajectory, run
from mom_lib.plotting import figure_text, use_figure_text


def test_helpers_use_and_return_the_given_axes():
    f = Quadratic([0.2, 4.0])
    res = run(heavy_ball, f.grad, [1.0, 1.0], n_steps=20, lr=0.3, beta=0.5)
    fig, axes = plt.subplots(1, 4)
    assert plot_contours(f, xlim=(-1, 1), ylim=(-1, 1), ax=axes[0]) is axes[0]
    assert plot_trajectory(res.x, ax=axes[0]) is axes[0]
    assert plot_loss(f.value(res.x), ax=axes[1]) is axes[1]
    assert plot_heatmap(np.ones((3, 2)), lrs=[0.1, 0.2, 0.3], betas=[0.0, 0.5], ax=axes[2]) is axes[2]
    assert len(axes[0].lines) == 2  # minimum marker and trajectory
    plt.close(fig)


def test_helpers_make_axes_when_none_given():
    ax = plot_loss(np.array([1.0, 0.1, 0.0]))
    assert ax.get_yscale() == "log"
    plt.close(ax.figure)


def test_plot_errors():
    with pytest.raises(ValueError, match="2-D objective"):
        plot_contours(MultiWell1D(), xlim=(0, 1), ylim=(0, 1))
    with pytest.raises(ValueError, match=r"z must have shape"):
        plot_heatmap(np.ones((2, 2)), lrs=[0.1], betas=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"xs must have shape"):
        plot_trajectory(np.ones((3, 3)))


def test_figure_text_replaces_the_size_repr_in_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    fig, ax = plt.subplots()
    ax.set_title("Zig-zag")
    use_figure_text(shell)
    data, _ = shell.display_formatter.format(fig)
    assert data["text/plain"] == "Figure: Zig-zag" == figure_text(fig)
    plt.close(fig)
    fig = plt.figure()
    assert figure_text(fig) == "Figure with 0 axes"
    plt.close(fig)


def test_figure_text_survives_the_inline_backend_in_a_real_kernel():
    # The inline backend drops figure formatters when it loads: only a real kernel shows that.
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from mom_lib.plotting import use_figure_text\nuse_figure_text()"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n_, ax = plt.subplots()\nax.set_title('Zig-zag')\nplt.show()"
        ),
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    (out,) = nb.cells[1].outputs
    assert out.data["text/plain"] == "Figure: Zig-zag" and "image/png" in out.data


def test_regime_codes_match_the_closed_form_boundaries():
    from mom_lib.plotting import _regime_codes

    beta = np.linspace(0.05, 0.95, 19)[:, None]  # beta > 0: at beta = 0 the band is the point 1
    lo, hi, edge = (1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2, 2 + 2 * beta
    # points just inside each region
    for h, code in [(lo - 1e-6, 0), (lo + 1e-6, 2), (hi - 1e-6, 2), (hi + 1e-6, 1), (edge - 1e-6, 1), (edge + 1e-6, 3)]:
        ok = h > 0  # beta near 1 leaves no monotone region above eta*lambda = 0
        assert np.all(_regime_codes(h, beta)[ok] == code), code


def test_plot_regimes_draws_the_boundaries_and_points():
    from mom_lib.plotting import plot_regimes

    fig, ax = plt.subplots()
    assert plot_regimes(n=30, points=[[0.3, 0.9], [2.0, 0.1]], ax=ax) is ax
    lines = ax.get_lines()
    assert len(lines) == 4  # two band edges, the stability edge, the points
    b = lines[2].get_ydata()
    assert np.allclose(lines[2].get_xdata(), 2 + 2 * b)
    assert np.allclose(lines[0].get_xdata(), (1 - np.sqrt(lines[0].get_ydata())) ** 2)
    assert len(ax.get_legend().get_texts()) == 6
    plt.close(fig)


def test_plot_phase_portrait_plots_consecutive_pairs():
    from mom_lib.plotting import plot_phase_portrait

    xs = np.array([1.0, 0.5, -0.25, 0.125])
    ax = plot_phase_portrait(xs[:, None])
    line = ax.get_lines()[0]
    assert np.array_equal(line.get_xdata(), xs[1:]) and np.array_equal(line.get_ydata(), xs[:-1])
    plt.close(ax.figure)


def test_regime_and_portrait_errors():
    from mom_lib.plotting import plot_phase_portrait, plot_regimes

    with pytest.raises(ValueError, match="beta_max must be in"):
        plot_regimes(beta_max=1.0)
    with pytest.raises(ValueError, match="eta_lam_max must be finite and > 0"):
        plot_regimes(eta_lam_max=-1.0)
    with pytest.raises(TypeError, match="n must be a whole number"):
        plot_regimes(n=3.5)
    with pytest.raises(ValueError, match="points must be finite"):
        plot_regimes(points=[0.3, 0.9])
    with pytest.raises(ValueError, match="xs must have shape"):
        plot_phase_portrait([1.0])
    with pytest.raises(ValueError, match="xs must have shape"):
        plot_phase_portrait(np.ones((3, 2)))


def test_phase_portrait_figure_holds_the_runs_and_the_regime():
    from mom_lib.plotting import phase_portrait_figure

    h, b = np.array([0.05, 0.3, 2.95]), np.array([0.5, 0.9])
    fig = phase_portrait_figure(h, b, n_steps=30, init_eta_lam=0.3, init_beta=0.9)
    assert fig.grid == (3, 2) and fig.index() == (1, 1)
    s = fig.series[0]
    res = run(heavy_ball, lambda x: x, [1.0], n_steps=30, lr=0.3, beta=0.9)
    assert np.array_equal(s.x[1, 1], res.x[1:, 0]) and np.array_equal(s.y[1, 1], res.x[:-1, 0])
    assert fig.readout("arg z (0 monotone, pi oscillating)", eta_lam=0.05, beta=0.5) == "0.000"
    assert fig.readout("arg z (0 monotone, pi oscillating)", eta_lam=2.95, beta=0.5) == "3.142"
    assert 0 < float(fig.readout("arg z (0 monotone, pi oscillating)", eta_lam=0.3, beta=0.9)) < np.pi
    with pytest.raises(ValueError, match="beta must be in"):
        phase_portrait_figure(h, [1.0])
    with pytest.raises(ValueError, match="eta_lam must be > 0"):
        phase_portrait_figure([0.0], b)
    with pytest.raises(ValueError, match="eta_lam must be a non-empty"):
        phase_portrait_figure([], b)
    with pytest.raises(ValueError, match="n_steps must be a whole number <= 400"):
        phase_portrait_figure(h, b, n_steps=1000)
