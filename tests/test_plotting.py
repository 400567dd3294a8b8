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
