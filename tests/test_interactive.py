"""Tests for mom_lib.interactive: shapes, determinism, the embedded numbers, bad input."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from mom_lib import Quadratic, Rosenbrock, gd, heavy_ball, nesterov, rate, run
from mom_lib.interactive import Axis, Control, Readout, Series, SliderFigure, steps_figure, trajectory_figure

F = Quadratic([1.0, 10.0])
LRS = np.linspace(0.01, 0.19, 7)
BETAS = np.linspace(0.0, 0.9, 4)


def embedded(fig: SliderFigure) -> dict:
    html = fig._repr_html_()
    m = re.search(r'<script type="application/json" class="mom-fig-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def block(spec: dict, k: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["series"][k]["data"]), dtype="<i2")


def test_steps_figure_shapes_and_numbers_equal_run():
    fig = steps_figure(F, [1.0, 1.0], lr=LRS, beta=BETAS, n_steps=30, methods=("gd", "heavy_ball"))
    assert fig.grid == (7, 4)
    spec = embedded(fig)
    assert [c["name"] for c in spec["controls"]] == ["lr", "beta"]
    assert spec["series"][1]["n"] == 31
    data = block(spec, 1).reshape(7, 4, 31)
    # the embedded heavy-ball curve at (lr[5], beta[2]) is what run computes, to 1e-4 of a decade
    res = run(heavy_ball, F.grad, [1.0, 1.0], n_steps=30, lr=LRS[5], beta=BETAS[2])
    gap = F.value(res.x) - F.minimum
    got = fig.yaxis.dequantize(data[5, 2])
    visible = gap > fig.yaxis.lim[0]
    np.testing.assert_allclose(np.log10(got[visible]), np.log10(gap[visible]), atol=2e-4 * 20)
    # readouts are Python's formatting of f(x_T) - f*, for every setting
    for i, lr in enumerate(LRS):
        for j, beta in enumerate(BETAS):
            xt = run(heavy_ball, F.grad, [1.0, 1.0], n_steps=30, lr=lr, beta=beta).final
            want = f"{float(F.value(xt) - F.minimum):.3e}"
            assert fig.readout("f(x_T) - f* (heavy ball)", lr=lr, beta=beta) == want
            assert spec["readouts"][1]["values"][i * 4 + j] == want
    # gd ignores beta
    gd_t = run(gd, F.grad, [1.0, 1.0], n_steps=30, lr=LRS[3]).final
    assert fig.readout("f(x_T) - f* (gradient descent)", lr=LRS[3], beta=0.9) == f"{float(F.value(gd_t)):.3e}"


def test_trajectory_figure_with_method_selector():
    fig = trajectory_figure(F, [-2.0, 1.0], lr=LRS, beta=BETAS, n_steps=20, xlim=(-2.5, 2.5), ylim=(-1.5, 1.5))
    assert fig.grid == (7, 4, 3)
    spec = embedded(fig)
    assert spec["controls"][2]["kind"] == "select"
    assert spec["background"].startswith("data:image/png;base64,")
    xy = block(spec, 0).reshape(7, 4, 3, 21, 2)
    for k, rule in enumerate((gd, heavy_ball, nesterov)):
        hp = {"lr": LRS[2]} if rule is gd else {"lr": LRS[2], "beta": BETAS[3]}
        path = run(rule, F.grad, [-2.0, 1.0], n_steps=20, **hp).x
        np.testing.assert_allclose(fig.xaxis.dequantize(xy[2, 3, k, :, 0]), path[:, 0], atol=5.0 / 1e4)
        np.testing.assert_allclose(fig.yaxis.dequantize(xy[2, 3, k, :, 1]), path[:, 1], atol=3.0 / 1e4)
        want = f"{float(F.value(path[-1]) - F.minimum):.3e}"
        assert fig.readout("f(x_T) - f*", lr=LRS[2], beta=BETAS[3], method=rule.__name__) == want


def test_compare_mode_and_extra_readouts():
    fig = trajectory_figure(
        F,
        [-2.0, 1.0],
        lr=LRS,
        beta=BETAS,
        n_steps=10,
        xlim=(-2.5, 2.5),
        ylim=(-1.5, 1.5),
        methods=("heavy_ball", "nesterov"),
        compare=True,
        extra_readouts={"rate": (lambda m, lr, b: rate(10.0, lr=lr, beta=b, method=m), ".4f")},
    )
    assert fig.grid == (7, 4)
    assert len(fig.series) == 2
    assert fig.readout("rate (Nesterov)", lr=LRS[1], beta=BETAS[1]) == (
        f"{float(rate(10.0, lr=LRS[1], beta=BETAS[1], method='nesterov')):.4f}"
    )


def test_html_and_repr_are_deterministic():
    make = lambda: trajectory_figure(  # noqa: E731
        Rosenbrock(),
        [-1.5, 2.0],
        lr=[1e-4, 2e-4, 4e-4],
        beta=[0.0, 0.9],
        n_steps=30,
        xlim=(-2, 2),
        ylim=(-1, 3),
        levels=np.geomspace(0.1, 1000, 10),
    )
    a, b = make(), make()
    assert a._repr_html_() == b._repr_html_()
    assert (
        repr(a)
        == repr(b)
        == ("SliderFigure('Paths on the contour lines'; lr[3] x beta[2] x method[3]; 1 series; readouts: f(x_T) - f*)")
    )
    html = a._repr_html_()
    assert 'alt="Paths on the contour lines' in html
    assert "</script>" in html and html.count("</script>") == 1


def test_diverged_runs_are_gaps_and_say_diverged():
    f = Quadratic([1.0])
    fig = steps_figure(f, [1.0], lr=[0.5, 3.0], n_steps=80, methods=("gd",), quantity="x")
    assert fig.readout("f(x_T) - f*", lr=3.0) == "diverged"
    data = block(embedded(fig), 0).reshape(2, 81)
    assert (data[1, -5:] == -32768).all()
    assert (data[0] != -32768).all()


def test_generic_figure_and_live_widgets():
    t = np.arange(11)
    y = np.array([[0.5**t], [0.9**t]])  # grid (2, 1)
    fig = SliderFigure(
        controls=[Control("a", "a", [0.5, 0.9]), Control("b", "b", ["x"], kind="select")],
        series=[Series("a^t", y)],
        xaxis=Axis("t", (0, 10)),
        yaxis=Axis("a^t", (1e-4, 1), "log"),
        readouts=[Readout("a^10", y[..., -1], fmt=".4f")],
    )
    assert fig.readout("a^10", a=0.9) == f"{0.9**10:.4f}"
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"
    box = fig.live()
    assert len(box.children) == 2  # the slider of "a" and the plot; "b" has one value, nothing to choose


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": [0.2, 0.1]}, "increasing"),
        ({"lr": []}, "non-empty"),
        ({"methods": ("sgdw",)}, r"method must be one of \('gd', "),
        ({"quantity": "loss"}, "quantity"),
        ({"beta": [0.5, 1.0]}, "beta"),
        ({"ylim": (0.0, 1.0)}, "log axis"),
    ],
)
def test_bad_input_errors(kwargs, message):
    args = {"lr": LRS, "beta": BETAS, "n_steps": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        steps_figure(F, [1.0, 1.0], **args)


def test_bad_shapes_and_sizes():
    with pytest.raises(ValueError, match="expected"):
        SliderFigure(
            controls=[Control("a", "a", [1, 2])],
            series=[Series("s", np.zeros((3, 5)))],
            xaxis=Axis("t", (0, 4)),
            yaxis=Axis("y", (0, 1)),
        )
    with pytest.raises(ValueError, match="coarser"):
        steps_figure(F, [1.0, 1.0], lr=np.linspace(0.01, 0.1, 100), beta=np.linspace(0, 0.9, 50), n_steps=200)
    with pytest.raises(ValueError, match="2-D"):
        trajectory_figure(Quadratic([1.0]), [1.0], lr=LRS, beta=BETAS, n_steps=5, xlim=(-1, 1), ylim=(-1, 1))
    with pytest.raises(ValueError, match="low < high"):
        Axis("x", (1, 1))
    with pytest.raises(ValueError, match="unknown control"):
        steps_figure(F, [1.0, 1.0], lr=LRS, beta=BETAS, n_steps=5).readout("f(x_T) - f*", eta=0.1)


def test_showcase_notebook_outputs_are_reproduced():
    """The stored outputs of showcase.ipynb (HTML with embedded data included) are what it computes now."""
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    path = Path(__file__).resolve().parents[1] / "showcase.ipynb"
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    NotebookClient(fresh, timeout=120, kernel_name="python3").execute()

    def shown(nb):
        return [
            {k: v for k, v in out.get("data", {}).items() if k in ("text/plain", "text/html")}
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.outputs
        ]

    assert shown(fresh) == shown(stored)
    assert len([d for d in shown(stored) if "text/html" in d]) == 2


def test_png_leaves_the_plotting_backend_alone():
    # A notebook's inline backend must survive a slider figure, or later plots vanish.
    import matplotlib

    inline = "module://matplotlib_inline.backend_inline"
    before = matplotlib.get_backend()
    matplotlib.use(inline)
    try:
        fig = steps_figure(Quadratic([1.0]), [1.0], n_steps=5, lr=np.array([0.1, 0.2]), methods=("gd",))
        assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"
        assert matplotlib.get_backend() == inline
    finally:
        matplotlib.use(before)
