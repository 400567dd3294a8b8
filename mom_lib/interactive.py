r"""Interactive figures that work without a kernel: sliders over precomputed parameter grids.

A figure is computed once, when the notebook runs: :func:`mom_lib.run` is called *once*, batched
over every value on the sliders' grids, and the results are stored in the cell's HTML output as
compact JSON, next to a static PNG of the first setting (with alt text) for print and for readers
without JavaScript. In the book's web pages a small script shipped with the book
(``site/mom-interactive.js``) draws the figure on a canvas and redraws it whenever a slider
moves, from the embedded data: no kernel, no server, no network. In a live kernel (Jupyter,
Binder, Colab) :meth:`SliderFigure.live` shows the same figure with ipywidgets.

Two ready-made figures cover the book's needs:

* :func:`steps_figure` -- curves over the step axis ("loss vs t" on a log scale, or
  ":math:`x_t` vs t"), with sliders for ``lr`` and optionally ``beta``;
* :func:`trajectory_figure` -- paths on the contour lines of a 2-D objective, with sliders for
  ``lr`` and ``beta`` and a method selector (``gd`` / ``heavy_ball`` / ``nesterov``).

Both build a :class:`SliderFigure`, the generic form: any number of controls (range sliders
or selectors) spanning a grid, any number of series of points per grid setting, an optional
background image, markers and text readouts, one value per grid setting.

**Storage.** Coordinates are stored as 16-bit integers on the axes' scale (``1e-4`` of the
visible range, log10 on log axes), base64-encoded: a 25 x 10 x 3 grid of 60-step paths is about
240 kB. Readouts are stored as the exact strings Python formats, so the page shows the same
digits as ``f"{value:.3e}"``. The HTML is a deterministic function of the inputs (nbval compares
it exactly).

Examples:
    >>> import numpy as np
    >>> from mom_lib import Quadratic
    >>> from mom_lib.interactive import steps_figure
    >>> fig = steps_figure(Quadratic([1.0, 10.0]), [1.0, 1.0], n_steps=50,
    ...                    lr=np.linspace(0.01, 0.19, 10), beta=np.linspace(0.0, 0.9, 10))
    >>> fig
    SliderFigure('f(x_t) - f* over the steps'; lr[10] x beta[10]; 1 series; readouts: f(x_T) - f*)
    >>> fig.readout("f(x_T) - f*", lr=0.19, beta=0.5)
    '7.102e-15'
    >>> html = fig._repr_html_()  # what the notebook stores and the book renders
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from . import methods as _methods
from ._validation import as_float_array, check_point
from .objectives import Objective
from .runner import run

__all__ = [
    "Axis",
    "Control",
    "Readout",
    "Series",
    "SliderFigure",
    "METHODS",
    "steps_figure",
    "trajectory_figure",
]

#: The step rules the ready-made figures accept by name: every method of the registry
#: (:data:`mom_lib.methods.METHODS`), which also gives their labels.
METHODS: Mapping[str, Callable[..., Any]] = MappingProxyType({k: m.rule for k, m in _methods.METHODS.items()})

_METHOD_LABELS: Mapping[str, str] = MappingProxyType({k: m.label for k, m in _methods.METHODS.items()})

#: Colours of successive series (matplotlib's default cycle), shared by the page and the PNG.
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")

_Q = 10000  # quantization steps across the visible range of an axis
_QMAX = 30000  # stored range: three visible ranges either side
_GAP = -32768  # nan: a break in the line

# the largest data block one figure may embed, in numbers (about 1.3 MB of HTML)
MAX_NUMBERS = 500_000


def _small_png(fig: Any, *, colors: int, **savefig: Any) -> bytes:
    """Save a matplotlib figure as a palette PNG (a quarter of the size, the same look), deterministically."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, **savefig)
    img = Image.open(io.BytesIO(buf.getvalue())).quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _num(v: float) -> float | int:
    """A float rounded to 6 significant digits, for deterministic JSON."""
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"expected a finite number, got {v}")
    r = float(f"{v:.6g}")
    return int(r) if r.is_integer() and abs(r) < 1e15 else r


@dataclass(frozen=True)
class Axis:
    """One axis: its label, visible range ``lim`` and ``scale`` (``"linear"`` or ``"log"``)."""

    label: str
    lim: tuple[float, float]
    scale: str = "linear"

    def __post_init__(self) -> None:
        if self.scale not in ("linear", "log"):
            raise ValueError(f"scale must be 'linear' or 'log', got {self.scale!r}")
        lo, hi = (float(v) for v in self.lim)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"lim must be two finite numbers, low < high; got {self.lim!r}")
        if self.scale == "log" and lo <= 0:
            raise ValueError(f"a log axis needs lim > 0, got {self.lim!r}")
        object.__setattr__(self, "lim", (lo, hi))

    def _t(self, v: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(v) if self.scale == "log" else v

    def quantize(self, values: Any) -> np.ndarray:
        """Values as int16 steps of ``1e-4`` of the visible range (on the axis's scale)."""
        v = np.asarray(values, dtype=np.float64)
        lo, hi = self._t(np.array(self.lim))
        with np.errstate(invalid="ignore", over="ignore"):
            t = self._t(v)
            q = np.rint((t - lo) / (hi - lo) * _Q)
        q = np.where(np.isnan(v), np.nan, q)
        if self.scale == "log":  # zero or below: off the bottom of the axis, not a gap
            q = np.where(~np.isnan(v) & (v <= 0), -_QMAX, q)
        q = np.clip(q, -_QMAX, _QMAX)
        return np.where(np.isnan(q), _GAP, q).astype("<i2")

    def dequantize(self, q: Any) -> np.ndarray:
        """The inverse of :meth:`quantize` (up to its resolution); gaps become ``nan``."""
        q = np.asarray(q)
        lo, hi = self._t(np.array(self.lim))
        t = lo + q.astype(np.float64) / _Q * (hi - lo)
        t = np.where(q == _GAP, np.nan, t)
        return 10.0**t if self.scale == "log" else t

    def spec(self) -> dict[str, Any]:
        return {"label": self.label, "lim": [_num(self.lim[0]), _num(self.lim[1])], "scale": self.scale}


@dataclass(frozen=True)
class Control:
    """A control: a range slider over ``values`` or (``kind="select"``) a drop-down of ``values``.

    ``labels`` are the strings shown for each value (default: ``format(value, fmt)``);
    ``init`` is the index of the first setting.
    """

    name: str
    label: str
    values: Sequence[Any]
    kind: str = "range"
    init: int = 0
    fmt: str = ".4g"
    labels: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("range", "select"):
            raise ValueError(f"kind must be 'range' or 'select', got {self.kind!r}")
        if len(self.values) < 1:
            raise ValueError(f"control {self.name!r} needs at least one value")
        if not 0 <= self.init < len(self.values):
            raise ValueError(f"init = {self.init} is not an index into the {len(self.values)} values of {self.name!r}")
        if self.labels is not None and len(self.labels) != len(self.values):
            raise ValueError(f"control {self.name!r}: {len(self.labels)} labels for {len(self.values)} values")

    def shown(self) -> list[str]:
        if self.labels is not None:
            return [str(s) for s in self.labels]
        return [v if isinstance(v, str) else format(float(v), self.fmt) for v in self.values]

    def index(self, value: Any) -> int:
        """The index of ``value`` on the grid (the nearest one for numbers)."""
        if isinstance(value, str) or isinstance(self.values[0], str):
            try:
                return list(self.values).index(value)
            except ValueError:
                raise ValueError(f"{value!r} is not one of {list(self.values)!r} for {self.name!r}") from None
        return int(np.argmin(np.abs(np.asarray(self.values, dtype=float) - float(value))))


@dataclass(frozen=True)
class Series:
    """One line per grid setting.

    ``y`` has shape ``(*grid, n_points)``; ``x`` is the same shape, or ``None`` for the step
    index ``0, 1, ..., n_points - 1``. ``nan`` breaks the line (e.g. after divergence).
    ``markers`` draws a dot at every point.
    """

    label: str
    y: np.ndarray
    x: np.ndarray | None = None
    color: str | None = None
    markers: bool = False
    width: float = 1.6


@dataclass(frozen=True)
class Readout:
    """A number per grid setting (``values``, shape ``grid``), shown as ``label = format(value, fmt)``.

    ``nan`` is shown as ``nan_text`` (by default "diverged").
    """

    label: str
    values: np.ndarray
    fmt: str = ".3e"
    nan_text: str = "diverged"

    def strings(self) -> list[str]:
        return [self.nan_text if np.isnan(v) else format(float(v), self.fmt) for v in np.ravel(self.values)]


@dataclass(frozen=True)
class _Background:
    png: bytes
    objective: Objective
    levels: Any


class SliderFigure:
    """A figure whose data are precomputed for every setting of its controls.

    Args:
        controls: the sliders and selectors; their value counts give the grid shape.
        series: lines, each with data of shape ``(*grid, n_points)``.
        xaxis, yaxis: the axes.
        readouts: numbers shown under the plot, each of shape ``grid``.
        title: shown above the plot.
        alt: alt text of the static image; by default a description built from the title,
            the axes and the first setting.
        marks: points drawn as stars (e.g. minimizers), shape ``(k, 2)``.
        background: optional contour lines of a 2-D objective drawn behind the lines
            (use :func:`trajectory_figure`).
        width, height: size of the plot in CSS pixels.

    Raises:
        ValueError: when a series or readout does not have the grid's shape, or the data
            would be larger than :data:`MAX_NUMBERS`.
    """

    def __init__(
        self,
        *,
        controls: Sequence[Control],
        series: Sequence[Series],
        xaxis: Axis,
        yaxis: Axis,
        readouts: Sequence[Readout] = (),
        title: str = "",
        alt: str | None = None,
        marks: Any = None,
        background: _Background | None = None,
        width: int = 640,
        height: int = 400,
    ) -> None:
        self.controls = tuple(controls)
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique, got {names}")
        self.grid = tuple(len(c.values) for c in self.controls)
        if not series:
            raise ValueError("a SliderFigure needs at least one series")
        total = 0
        for s in series:
            y = np.asarray(s.y, dtype=float)
            if y.shape[:-1] != self.grid or y.ndim != len(self.grid) + 1:
                raise ValueError(
                    f"series {s.label!r}: y has shape {y.shape}; expected (*grid, n_points) with grid {self.grid}"
                )
            if s.x is not None and np.shape(s.x) != y.shape:
                raise ValueError(f"series {s.label!r}: x has shape {np.shape(s.x)}, y has shape {y.shape}")
            total += y.size * (1 if s.x is None else 2)
        if total > MAX_NUMBERS:
            raise ValueError(
                f"the figure would embed {total} numbers (more than {MAX_NUMBERS}); use coarser grids or fewer steps"
            )
        for r in readouts:
            if np.shape(r.values) != self.grid:
                raise ValueError(f"readout {r.label!r} has shape {np.shape(r.values)}; expected the grid {self.grid}")
        self.series = tuple(series)
        self.readouts = tuple(readouts)
        self.xaxis, self.yaxis = xaxis, yaxis
        self.title = title
        self.marks = None if marks is None else np.asarray(marks, dtype=float).reshape(-1, 2)
        self.background = background
        self.width, self.height = int(width), int(height)
        self._alt = alt

    # -- lookup ---------------------------------------------------------------------------------

    def index(self, **setting: Any) -> tuple[int, ...]:
        """The grid index of a setting given by control name (missing ones take their ``init``)."""
        unknown = set(setting) - {c.name for c in self.controls}
        if unknown:
            names = [c.name for c in self.controls]
            raise ValueError(f"unknown control(s) {sorted(unknown)}; the controls are {names}")
        return tuple(c.index(setting[c.name]) if c.name in setting else c.init for c in self.controls)

    def readout(self, label: str, **setting: Any) -> str:
        """The readout text the page shows for a setting, e.g. ``fig.readout("rate", lr=0.1)``."""
        for r in self.readouts:
            if r.label == label:
                return r.strings()[int(np.ravel_multi_index(self.index(**setting), self.grid))]
        raise ValueError(f"no readout {label!r}; the readouts are {[r.label for r in self.readouts]}")

    # -- the page -------------------------------------------------------------------------------

    @property
    def alt(self) -> str:
        if self._alt is not None:
            return self._alt
        idx = self.index()
        setting = ", ".join(f"{c.label} = {c.shown()[i]}" for c, i in zip(self.controls, idx, strict=True))
        text = f"{self.title or 'Figure'}: {self.yaxis.label} against {self.xaxis.label}"
        text += f" for {', '.join(s.label for s in self.series)}"
        if setting:
            text += f", at {setting}"
        for r in self.readouts:
            text += f"; {r.label} = {r.strings()[int(np.ravel_multi_index(idx, self.grid))]}"
        return text + "."

    def spec(self) -> dict[str, Any]:
        """The JSON-ready description the page script draws from."""
        series = []
        for k, s in enumerate(self.series):
            y = np.asarray(s.y, dtype=float)
            block = self.yaxis.quantize(y)
            if s.x is not None:
                block = np.stack([self.xaxis.quantize(s.x), block], axis=-1)
            series.append(
                {
                    "label": s.label,
                    "color": s.color or COLORS[k % len(COLORS)],
                    "markers": bool(s.markers),
                    "width": _num(s.width),
                    "n": int(y.shape[-1]),
                    "xy": s.x is not None,
                    "data": base64.b64encode(np.ascontiguousarray(block).tobytes()).decode("ascii"),
                }
            )
        out: dict[str, Any] = {
            "version": 1,
            "title": self.title,
            "width": self.width,
            "height": self.height,
            "q": _Q,
            "gap": _GAP,
            "x": self.xaxis.spec(),
            "y": self.yaxis.spec(),
            "controls": [
                {"name": c.name, "label": c.label, "kind": c.kind, "init": int(c.init), "labels": c.shown()}
                for c in self.controls
            ],
            "series": series,
            "readouts": [{"label": r.label, "values": r.strings()} for r in self.readouts],
            "marks": [] if self.marks is None else [[_num(a), _num(b)] for a, b in self.marks],
        }
        if self.background is not None:
            out["background"] = "data:image/png;base64," + base64.b64encode(self.background.png).decode("ascii")
        return out

    def to_json(self) -> str:
        """:meth:`spec` as compact, deterministic JSON, safe inside a ``<script>`` element."""
        text = json.dumps(self.spec(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return text.replace("</", "<\\/")

    def png(self, **setting: Any) -> bytes:
        """A static PNG of one setting (default: the first), drawn with matplotlib.

        It draws on a bare :class:`~matplotlib.figure.Figure`, which saves through Agg, so the
        notebook's plotting backend is left as it is.
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(self.width / 100, self.height / 100), dpi=100)
        ax = fig.add_subplot()
        self.draw(ax, **setting)
        fig.tight_layout()
        return _small_png(fig, colors=128)

    def _repr_html_(self) -> str:
        png = base64.b64encode(self.png()).decode("ascii")
        return (
            '<figure class="mom-fig" data-mom-fig="1">'
            f'<img class="mom-fig-static" src="data:image/png;base64,{png}" alt="{_html.escape(self.alt)}" '
            f'width="{self.width}" height="{self.height}">'
            '<div class="mom-fig-live" hidden></div>'
            f'<script type="application/json" class="mom-fig-data">{self.to_json()}</script>'
            "</figure>"
        )

    def __repr__(self) -> str:
        ctrl = " x ".join(f"{c.name}[{len(c.values)}]" for c in self.controls) or "no controls"
        text = f"SliderFigure({self.title!r}; {ctrl}; {len(self.series)} series"
        if self.readouts:
            text += "; readouts: " + ", ".join(r.label for r in self.readouts)
        return text + ")"

    # -- matplotlib: the static image and the live kernel ---------------------------------------

    def draw(self, ax: Any, **setting: Any) -> Any:
        """Draw one setting on matplotlib axes ``ax`` and return them."""
        idx = self.index(**setting)
        if self.background is not None:
            from .plotting import plot_contours

            b = self.background
            plot_contours(
                b.objective, xlim=self.xaxis.lim, ylim=self.yaxis.lim, levels=b.levels, ax=ax, mark_minima=False
            )
        if self.marks is not None and len(self.marks):
            ax.plot(self.marks[:, 0], self.marks[:, 1], "*", color="black", markersize=10, label="minimum")
        for k, s in enumerate(self.series):
            y = np.asarray(s.y, dtype=float)[idx]
            x = np.arange(y.size) if s.x is None else np.asarray(s.x, dtype=float)[idx]
            if self.yaxis.scale == "log":
                y = np.where(np.isnan(y), np.nan, np.maximum(y, self.yaxis.lim[0] * 1e-3))
            style = {"marker": "o", "markersize": 2.5} if s.markers else {}
            ax.plot(x, y, color=s.color or COLORS[k % len(COLORS)], linewidth=s.width, label=s.label, **style)
        ax.set_xscale(self.xaxis.scale)
        ax.set_yscale(self.yaxis.scale)
        ax.set_xlim(*self.xaxis.lim)
        ax.set_ylim(*self.yaxis.lim)
        ax.set_xlabel(self.xaxis.label)
        ax.set_ylabel(self.yaxis.label)
        setting_text = ", ".join(
            f"{c.label} = {c.shown()[i]}" for c, i in zip(self.controls, idx, strict=True) if len(c.values) > 1
        )
        ax.set_title("\n".join(t for t in (self.title, setting_text) if t), fontsize=10)
        if len(self.series) > 1 or (self.marks is not None and len(self.marks)):
            ax.legend(fontsize=8, loc="best")
        flat = int(np.ravel_multi_index(idx, self.grid))
        if self.readouts:
            text = "   ".join(f"{r.label} = {r.strings()[flat]}" for r in self.readouts)
            ax.text(0.01, 0.01, text, transform=ax.transAxes, fontsize=8, va="bottom")
        return ax

    def live(self) -> Any:
        """The same figure with ipywidgets, for a live kernel (Jupyter, Binder, Colab).

        Returns:
            an ``ipywidgets.VBox`` of the controls and the plot.
        """
        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        from IPython.display import display

        boxes = {}
        for c in self.controls:
            if len(c.values) < 2:  # nothing to choose: draw() uses its only value
                continue
            options = list(zip(c.shown(), c.values, strict=True))
            cls = widgets.SelectionSlider if c.kind == "range" else widgets.Dropdown
            boxes[c.name] = cls(options=options, value=c.values[c.init], description=c.name)
        out = widgets.Output()

        def redraw(_: Any = None) -> None:
            with out:
                out.clear_output(wait=True)
                fig, ax = plt.subplots(figsize=(self.width / 100, self.height / 100))
                self.draw(ax, **{k: w.value for k, w in boxes.items()})
                display(fig)
                plt.close(fig)

        for w in boxes.values():
            w.observe(redraw, names="value")
        redraw()
        return widgets.VBox([*boxes.values(), out])


# -- ready-made figures ---------------------------------------------------------------------------


def _grid(name: str, values: Any) -> np.ndarray:
    a = np.atleast_1d(as_float_array(name, values))
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite values, got {values!r}")
    if a.size > 1 and not np.all(np.diff(a) > 0):
        raise ValueError(f"{name} must be increasing (it is a slider's grid), got {a}")
    return a


def _rule(method: str) -> Callable[..., Any]:
    return _methods.method(method).rule


def _label(method: str) -> str:
    return _methods.method(method).label


def _method_names(methods: Any) -> tuple[str, ...]:
    if isinstance(methods, str) or not isinstance(methods, Sequence):
        raise ValueError(f"methods must be a sequence of method names from {sorted(METHODS)}, got {methods!r}")
    if not methods:
        raise ValueError("methods must name at least one method")
    for m in methods:
        if _methods.method(m).matrix:
            raise ValueError(f"methods must name rules for vectors; {m!r} steps a matrix parameter (shape (A, B))")
    return tuple(methods)


def _start(objective: Objective, x0: Any) -> np.ndarray:
    x0 = check_point("x0", x0)
    if x0.shape[-1] != objective.d:
        raise ValueError(f"x0 must have shape (..., {objective.d}) for this {objective.d}-D objective, got {x0.shape}")
    return x0


def _sweep(objective: Objective, x0: Any, method: str, lr: np.ndarray, beta: np.ndarray | None, n_steps: int):
    """One batched run over the grid: iterates of shape ``(n_steps + 1, len(lr)[, len(beta)], d)``."""
    entry = _methods.method(method)
    rule = entry.rule
    if beta is None:
        if entry.momentum:
            raise ValueError(f"method {method!r} needs a beta grid")
        return run(rule, objective.grad, x0, n_steps=n_steps, lr=lr).x
    if not entry.momentum:  # one run per lr, repeated along beta (e.g. gd has none)
        x = run(rule, objective.grad, x0, n_steps=n_steps, lr=lr).x
        return np.repeat(x[:, :, None, :], beta.size, axis=2)
    return run(rule, objective.grad, x0, n_steps=n_steps, lr=lr[:, None], beta=beta[None, :]).x


def _init_index(values: np.ndarray, init: Any) -> int:
    if init is None:
        return values.size // 2
    return int(np.argmin(np.abs(values - float(init))))


def _controls(lr: np.ndarray, beta: np.ndarray | None, init_lr: Any, init_beta: Any) -> list[Control]:
    out = [Control("lr", "learning rate η", lr, init=_init_index(lr, init_lr))]
    if beta is not None:
        out.append(Control("beta", "momentum β", beta, init=_init_index(beta, init_beta)))
    return out


def _extra_readouts(
    extra: Mapping[str, Any] | None, methods: Sequence[str], lr: np.ndarray, beta: np.ndarray | None
) -> dict[str, tuple[list[np.ndarray], str]]:
    """Evaluate ``{label: fn or (fn, fmt)}`` with ``fn(method, lr, beta)`` over the grid."""
    out: dict[str, tuple[list[np.ndarray], str]] = {}
    shape = (lr.size,) if beta is None else (lr.size, beta.size)
    L = lr if beta is None else lr[:, None]
    B = None if beta is None else beta[None, :]
    for label, item in (extra or {}).items():
        fn, fmt = item if isinstance(item, tuple) else (item, ".4f")
        vals = [np.broadcast_to(np.asarray(fn(m, L, B), dtype=float), shape) for m in methods]
        out[label] = (vals, fmt)
    return out


def steps_figure(
    objective: Objective,
    x0: Any,
    *,
    lr: Any,
    beta: Any = None,
    n_steps: int,
    methods: Sequence[str] = ("heavy_ball",),
    quantity: str = "gap",
    coordinate: int = 0,
    ylim: tuple[float, float] | None = None,
    init_lr: float | None = None,
    init_beta: float | None = None,
    extra_readouts: Mapping[str, Any] | None = None,
    title: str | None = None,
    alt: str | None = None,
) -> SliderFigure:
    r"""Curves over the step axis, with a slider for ``lr`` (and one for ``beta``).

    For every ``lr`` (and ``beta``) on the grids, and every method, the run from ``x0`` is
    computed by one batched :func:`mom_lib.run` call per method. ``quantity="gap"`` plots
    :math:`f(x_t) - f^\star` on a log axis, ``quantity="x"`` plots coordinate ``coordinate`` of
    :math:`x_t` on a linear axis. The readout is :math:`f(x_T) - f^\star` of each method.

    Args:
        objective: any :class:`~mom_lib.Objective`; :math:`f^\star` is ``objective.minimum``.
        x0: start point, shape ``(d,)``.
        lr: the learning-rate slider's values (increasing), e.g. ``np.linspace(0.01, 0.3, 30)``.
        beta: the momentum slider's values, or ``None`` for no momentum slider (then only
            ``methods=("gd",)`` makes sense).
        n_steps: :math:`T`.
        methods: names from :data:`METHODS`; one line each.
        quantity: ``"gap"`` or ``"x"``.
        coordinate: which coordinate of :math:`x_t` for ``quantity="x"``.
        ylim: the visible range of the y axis (default: from the data).
        init_lr, init_beta: the first setting (default: the middle of each grid).
        extra_readouts: more readouts, ``{label: fn}`` or ``{label: (fn, fmt)}`` with
            ``fn(method, lr, beta)`` vectorized over ``lr`` of shape ``(n_lr, 1)`` and ``beta``
            of shape ``(1, n_beta)`` (``lr`` of shape ``(n_lr,)`` and ``beta=None`` without a
            beta slider); e.g. ``{"rate": (lambda m, lr, b: rate(10.0, lr=lr, beta=b), ".4f")}``.
        title, alt: the title and the static image's alt text.

    Returns:
        A :class:`SliderFigure`; display it (last expression of a cell) to embed it.

    Raises:
        ValueError: for an unknown method or quantity, grids that are not increasing, or
            a run that :func:`mom_lib.run` rejects.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import Quadratic, run, gd
        >>> from mom_lib.interactive import steps_figure
        >>> f = Quadratic([1.0])
        >>> fig = steps_figure(f, [1.0], lr=[0.5, 1.0, 1.5], n_steps=4, methods=("gd",), quantity="x")
        >>> fig.readout("f(x_T) - f*", lr=0.5) == f"{f.value(run(gd, f.grad, [1.0], n_steps=4, lr=0.5).final):.3e}"
        True
    """
    if quantity not in ("gap", "x"):
        raise ValueError(f"quantity must be 'gap' or 'x', got {quantity!r}")
    lr_g = _grid("lr", lr)
    beta_g = None if beta is None else _grid("beta", beta)
    methods = _method_names(methods)
    x0 = _start(objective, x0)
    fstar = objective.minimum
    series, readouts = [], []
    gaps = []
    for m in methods:
        xs = _sweep(objective, x0, m, lr_g, beta_g, n_steps)  # (T + 1, *grid, d)
        gap = np.asarray(objective.value(xs), dtype=float) - fstar  # (T + 1, *grid)
        gap = np.where(np.isnan(gap), np.nan, np.maximum(gap, 0.0))
        y = gap if quantity == "gap" else xs[..., coordinate]
        series.append(Series(_label(m), np.moveaxis(y, 0, -1)))
        gaps.append(gap[-1])
    if ylim is None:
        ys = np.concatenate([s.y.ravel() for s in series])
        ys = ys[np.isfinite(ys)]
        if quantity == "gap":
            pos = ys[ys > 0]
            top = float(pos.max()) if pos.size else 1.0
            ylim = (max(float(pos.min()) if pos.size else 1e-16, top * 1e-16), top * 10)
        else:
            lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (-1.0, 1.0)
            pad = 0.05 * (hi - lo) or 1.0
            ylim = (lo - pad, hi + pad)
    ylabel = "f(x_t) − f*" if quantity == "gap" else f"x_t[{coordinate}]" if x0.size > 1 else "x_t"
    yaxis = Axis(ylabel, ylim, "log" if quantity == "gap" else "linear")
    many = len(methods) > 1
    for m, g in zip(methods, gaps, strict=True):
        readouts.append(Readout(f"f(x_T) - f*{f' ({_label(m)})' if many else ''}", g))
    for label, (vals, fmt) in _extra_readouts(extra_readouts, methods, lr_g, beta_g).items():
        for m, v in zip(methods, vals, strict=True):
            readouts.append(Readout(f"{label}{f' ({_label(m)})' if many else ''}", v, fmt=fmt))
    default_title = "f(x_t) - f* over the steps" if quantity == "gap" else "x_t over the steps"
    return SliderFigure(
        controls=_controls(lr_g, beta_g, init_lr, init_beta),
        series=series,
        xaxis=Axis("step t", (0, n_steps)),
        yaxis=yaxis,
        readouts=readouts,
        title=default_title if title is None else title,
        alt=alt,
    )


def _contour_png(objective: Objective, xlim, ylim, levels, width: int, height: int) -> bytes:
    from matplotlib.figure import Figure

    from .plotting import plot_contours

    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    plot_contours(objective, xlim=xlim, ylim=ylim, levels=levels, ax=ax, mark_minima=False)
    ax.set_axis_off()
    return _small_png(fig, colors=64, transparent=True)


def trajectory_figure(
    objective: Objective,
    x0: Any,
    *,
    lr: Any,
    beta: Any,
    n_steps: int,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    methods: Sequence[str] = ("gd", "heavy_ball", "nesterov"),
    compare: bool = False,
    levels: Any = 20,
    init_lr: float | None = None,
    init_beta: float | None = None,
    init_method: str | None = None,
    extra_readouts: Mapping[str, Any] | None = None,
    title: str | None = None,
    alt: str | None = None,
) -> SliderFigure:
    r"""Paths on the contour lines of a 2-D objective, with sliders for ``lr`` and ``beta``.

    With ``compare=False`` a selector picks one of ``methods`` and one path is drawn; with
    ``compare=True`` every method's path is drawn at once. The readout is
    :math:`f(x_T) - f^\star`. The contour lines are drawn once, as an image behind the paths.

    Args:
        objective: a 2-D :class:`~mom_lib.Objective`.
        x0: start point, shape ``(2,)``.
        lr, beta: the sliders' values (increasing).
        n_steps: :math:`T`.
        xlim, ylim: the window.
        methods: names from :data:`METHODS`.
        compare: draw all methods together instead of offering a selector.
        levels: contour levels, as for :func:`mom_lib.plot_contours`.
        init_lr, init_beta, init_method: the first setting.
        extra_readouts: as for :func:`steps_figure`.
        title, alt: the title and the static image's alt text.

    Returns:
        A :class:`SliderFigure`.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import Quadratic
        >>> from mom_lib.interactive import trajectory_figure
        >>> fig = trajectory_figure(Quadratic([1.0, 10.0]), [-2.0, 1.0], lr=np.linspace(0.02, 0.18, 9),
        ...                         beta=np.linspace(0.0, 0.9, 10), n_steps=40, xlim=(-2.5, 2.5), ylim=(-1.5, 1.5))
        >>> fig
        SliderFigure('Paths on the contour lines'; lr[9] x beta[10] x method[3]; 1 series; readouts: f(x_T) - f*)
    """
    if objective.d != 2:
        raise ValueError(f"trajectory_figure needs a 2-D objective, got d = {objective.d}")
    lr_g, beta_g = _grid("lr", lr), _grid("beta", beta)
    methods = _method_names(methods)
    x0 = _start(objective, x0)
    xaxis, yaxis = Axis("x₁", xlim), Axis("x₂", ylim)
    fstar = objective.minimum
    paths = [_sweep(objective, x0, m, lr_g, beta_g, n_steps) for m in methods]  # each (T+1, n_lr, n_beta, 2)
    finals = [np.maximum(np.asarray(objective.value(p[-1]), dtype=float) - fstar, 0.0) for p in paths]
    extra = _extra_readouts(extra_readouts, methods, lr_g, beta_g)
    controls = _controls(lr_g, beta_g, init_lr, init_beta)
    if compare:
        series = [
            Series(_label(m), np.moveaxis(p[..., 1], 0, -1), x=np.moveaxis(p[..., 0], 0, -1), markers=True)
            for m, p in zip(methods, paths, strict=True)
        ]
        many = len(methods) > 1
        readouts = [
            Readout(f"f(x_T) - f*{f' ({_label(m)})' if many else ''}", g) for m, g in zip(methods, finals, strict=True)
        ]
        for label, (vals, fmt) in extra.items():
            readouts += [
                Readout(f"{label}{f' ({_label(m)})' if many else ''}", v, fmt=fmt)
                for m, v in zip(methods, vals, strict=True)
            ]
    else:
        stacked = np.stack(paths, axis=3)  # (T+1, n_lr, n_beta, n_method, 2)
        series = [
            Series("path", np.moveaxis(stacked[..., 1], 0, -1), x=np.moveaxis(stacked[..., 0], 0, -1), markers=True)
        ]
        if init_method is None:
            init_method = "heavy_ball" if "heavy_ball" in methods else methods[0]
        init_m = Control("m", "m", methods).index(init_method)
        labels = [_label(m) for m in methods]
        controls.append(Control("method", "method", methods, kind="select", init=init_m, labels=labels))
        readouts = [Readout("f(x_T) - f*", np.stack(finals, axis=-1))]
        for label, (vals, fmt) in extra.items():
            readouts.append(Readout(label, np.stack(vals, axis=-1), fmt=fmt))
    png = _contour_png(objective, xaxis.lim, yaxis.lim, levels, 640, 400)
    m = objective.minimizers
    inside = (m[:, 0] >= xlim[0]) & (m[:, 0] <= xlim[1]) & (m[:, 1] >= ylim[0]) & (m[:, 1] <= ylim[1])
    return SliderFigure(
        controls=controls,
        series=series,
        xaxis=xaxis,
        yaxis=yaxis,
        readouts=readouts,
        title="Paths on the contour lines" if title is None else title,
        alt=alt,
        marks=m[inside],
        background=_Background(png=png, objective=objective, levels=levels),
    )
