"""Bad input to every public function gets a clear error that names the parameter.

Each case in :data:`CASES` calls one public function of ``mom_lib`` with one bad argument (NaN,
+-inf, a negative number, a bool, a string, None, a complex number, an arbitrary object, an
empty array, mismatched shapes, a huge size) and the others valid. A case passes when the call

* raises ``ValueError`` or ``TypeError``,
* whose message names the parameter (as a whole word) and states what is allowed ("must" or
  "one of"),
* emits no warning (warnings are errors while a case runs),
* prints nothing, to stderr or stdout (C-level output such as LAPACK's ``** On entry to DLASCL``
  included, which OpenBLAS writes to stdout),
* and returns within :data:`TIME_LIMIT` seconds of CPU time, within a bounded address space.

:data:`EXTREME` holds extreme but valid inputs: they must give the correct finite result (or a
named error), without a warning.

The table is explicit: ``python tests/test_fuzz.py`` prints the number of cases and lists the
failing ones; under pytest every case is its own test.
"""

from __future__ import annotations

import math
import os
import re
import resource
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pytest

import mom_lib
from mom_lib import (
    Himmelblau,
    LeastSquares,
    MultiWell1D,
    MultiWell2D,
    Quadratic,
    Rosenbrock,
    adam,
    adamw,
    characteristic_roots,
    check,
    complex_band,
    critical_beta,
    demon,
    effective_window,
    ema,
    ema_noise_variance,
    format_small,
    gd,
    gd_optimal_lr,
    gd_optimal_rate,
    half_life,
    heavy_ball,
    iteration_matrix,
    iterations_to_tolerance,
    lag,
    lion,
    lookahead_point,
    measured_rate,
    minibatch_grad,
    muon,
    nadam,
    nesterov,
    newton_schulz,
    noisy_grad,
    optimal_params,
    plot_contours,
    plot_heatmap,
    plot_loss,
    plot_trajectory,
    qhm,
    rate,
    run,
    schedule_free_sgd,
    stability_limit,
    state_scale,
    step_rule_for,
    sutskever,
    sutskever_nesterov,
    torch_sgd,
    translate,
)
from mom_lib.interactive import steps_figure, trajectory_figure
from mom_lib.network import MLP
from mom_lib.noise import (
    NoisyQuadratic,
    critical_batch_size,
    expected_loss,
    expected_loss_curves,
    stationary_covariance,
    steps_to_target,
    tuned_steps_to_target,
)

matplotlib.use("Agg")

#: CPU seconds one case may take before it counts as a hang.
TIME_LIMIT = 5.0
#: Address space a case may add to the process before an allocation fails (bytes).
MEMORY_LIMIT = 2 * 2**30


@dataclass(frozen=True)
class Case:
    """One call with one bad argument: ``call()`` must raise an error naming one of ``names``."""

    id: str
    names: tuple[str, ...]
    call: Callable[[], Any]


# ----------------------------------------------------------------------------- bad values

OBJ = object()
#: Every kind of bad scalar, by name.
SCALARS: dict[str, Any] = {
    "nan": math.nan,
    "+inf": math.inf,
    "-inf": -math.inf,
    "negative": -1.0,
    "bool": True,
    "str": "0.5",
    "None": None,
    "complex": 0.5 + 0.5j,
    "object": OBJ,
    "strarray": np.array(["0.5"]),
    "complexarray": np.array([0.5 + 0.5j]),
}
#: Kinds that are bad for any real parameter (negatives allowed).
REAL = ("nan", "+inf", "-inf", "bool", "str", "None", "complex", "object", "strarray", "complexarray")
#: ... for a parameter that must be >= 0.
NONNEG = (*REAL, "negative")
#: ... for beta-like parameters in [0, 1): also 1 and above.
FRACTION_EXTRA = {"one": 1.0, "above": 1.5}
#: ... for a whole-number count.
COUNTS: dict[str, Any] = {
    "nan": math.nan,
    "+inf": math.inf,
    "negative": -1,
    "fraction": 2.5,
    "bool": True,
    "str": "3",
    "None": None,
    "complex": 3 + 0j,
    "object": OBJ,
}

#: Bad points for a 2-D problem, by name.
POINTS: dict[str, Any] = {
    "nan": [math.nan, 1.0],
    "+inf": [math.inf, 1.0],
    "-inf": [1.0, -math.inf],
    "bool": [True, False],
    "str": ["1", "1"],
    "None": None,
    "complex": [1 + 1j, 1.0],
    "object": [OBJ, 1.0],
    "empty": [],
    "scalar": 1.0,
    "wrong-d": [1.0, 1.0, 1.0],
    "ragged": [[1.0, 1.0], [1.0]],
}


def scalar_cases(
    prefix: str, name: str, kinds: tuple[str, ...], call: Callable[[Any], Any], **extra: Any
) -> list[Case]:
    values = {k: SCALARS[k] for k in kinds} | extra
    return [Case(f"{prefix}/{name}={kind}", (name,), lambda v=v: call(v)) for kind, v in values.items()]


def count_cases(
    prefix: str, name: str, call: Callable[[Any], Any], skip: tuple[str, ...] = (), **extra: Any
) -> list[Case]:
    values = {k: v for k, v in COUNTS.items() if k not in skip} | extra
    return [Case(f"{prefix}/{name}={kind}", (name,), lambda v=v: call(v)) for kind, v in values.items()]


def point_cases(prefix: str, name: str, call: Callable[[Any], Any], skip: tuple[str, ...] = ()) -> list[Case]:
    return [
        Case(f"{prefix}/{name}={kind}", (name,), lambda v=v: call(v)) for kind, v in POINTS.items() if kind not in skip
    ]


# ----------------------------------------------------------------------------- the case table

F = Quadratic([1.0, 10.0])
X0 = np.array([1.0, 1.0])
GOOD_RUN = {"n_steps": 5, "lr": 0.05, "beta": 0.5}


DROP = object()  # run_with(beta=DROP): leave the argument out


def run_with(**changes: Any) -> Any:
    kw: dict[str, Any] = {"step": heavy_ball, "grad_fn": F.grad, "x0": X0, **GOOD_RUN, **changes}
    kw = {k: v for k, v in kw.items() if v is not DROP}
    return run(kw.pop("step"), kw.pop("grad_fn"), kw.pop("x0"), **kw)


def grad_returning(out: Any) -> Callable[[np.ndarray], Any]:
    return lambda x: out(x) if callable(out) else out


def step_returning(make: Callable[[np.ndarray, np.ndarray], Any]) -> Callable[..., Any]:
    def custom_step(x, v, grad_fn, *, lr):  # noqa: ANN001, ANN202
        return make(x, v)

    return custom_step


def _run_cases() -> list[Case]:
    cases: list[Case] = []
    p = "run"
    cases += scalar_cases(p, "lr", NONNEG, lambda v: run_with(lr=v))
    cases += scalar_cases(p, "beta", NONNEG, lambda v: run_with(beta=v), **FRACTION_EXTRA)
    cases += scalar_cases(p, "dampening", NONNEG, lambda v: run_with(dampening=v), **FRACTION_EXTRA)
    cases += point_cases(p, "x0", lambda v: run_with(x0=v), skip=("wrong-d",))
    cases += count_cases(p, "n_steps", lambda v: run_with(n_steps=v))
    cases += [
        Case("run/n_steps=1e12 keep=last", ("n_steps",), lambda: run_with(n_steps=10**12, keep="last")),
        Case("run/n_steps=1e12 keep=all", ("n_steps",), lambda: run_with(n_steps=10**12, keep="all")),
        Case(
            "run/keep=all 1e6 configs x 1000 steps",
            ("keep",),
            lambda: run_with(n_steps=1000, keep="all", lr=np.linspace(0.01, 0.1, 10**6)),
        ),
        Case(
            "run/total work 1e6 configs x 1e6 steps",
            ("n_steps",),
            lambda: run_with(n_steps=10**6, keep="last", lr=np.linspace(0.01, 0.1, 10**6)),
        ),
        Case("run/keep=None", ("keep",), lambda: run_with(keep=None)),
        Case("run/keep=str", ("keep",), lambda: run_with(keep="first")),
        Case("run/keep=list", ("keep",), lambda: run_with(keep=["last"])),
        Case("run/step=None", ("step",), lambda: run_with(step=None)),
        Case("run/step=str", ("step",), lambda: run_with(step="heavy_ball")),
        Case("run/grad_fn=None", ("grad_fn",), lambda: run_with(grad_fn=None)),
        Case("run/grad_fn=array", ("grad_fn",), lambda: run_with(grad_fn=np.ones(2))),
        Case("run/unknown hyperparameter", ("momentum",), lambda: run_with(momentum=0.9)),
        Case("run/missing hyperparameter", ("beta",), lambda: run(heavy_ball, F.grad, X0, n_steps=3, lr=0.1)),
        Case(
            "run/mismatched lr and beta",
            ("lr", "beta"),
            lambda: run_with(lr=np.full(3, 0.1), beta=np.full(4, 0.5)),
        ),
        Case("run/mismatched x0 and lr", ("x0", "lr"), lambda: run_with(x0=np.ones((3, 2)), lr=np.full(4, 0.1))),
        # schedules
        Case("run/schedule lr -> bool", ("lr",), lambda: run_with(lr=lambda t: True)),
        Case("run/schedule beta -> bool", ("beta",), lambda: run_with(beta=lambda t: t > 2)),
        Case("run/schedule beta -> 1", ("beta",), lambda: run_with(beta=lambda t: 1.0)),
        Case("run/schedule lr -> nan late", ("lr",), lambda: run_with(lr=lambda t: math.nan if t == 3 else 0.1)),
        Case("run/schedule lr -> str", ("lr",), lambda: run_with(lr=lambda t: "0.1")),
        Case("run/schedule lr -> None", ("lr",), lambda: run_with(lr=lambda t: None)),
        Case("run/schedule lr -> complex", ("lr",), lambda: run_with(lr=lambda t: 0.1 + 0j)),
        Case("run/schedule lr -> negative", ("lr",), lambda: run_with(lr=lambda t: -0.1)),
        Case(
            "run/schedule lr -> another shape later",
            ("lr",),
            lambda: run_with(lr=lambda t: 0.1 if t == 0 else np.full(3, 0.1)),
        ),
        # what grad_fn returns
        Case("run/grad_fn -> shape (1,)", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(lambda x: x[..., :1]))),
        Case(
            "run/grad_fn -> one row for a batch",
            ("grad_fn",),
            lambda: run_with(x0=np.ones((3, 2)), grad_fn=grad_returning(lambda x: x[0])),
        ),
        Case("run/grad_fn -> None", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(None))),
        Case("run/grad_fn -> list", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(lambda x: list(x)))),
        Case("run/grad_fn -> str", ("grad_fn",), lambda: run_with(grad_fn=grad_returning("grad"))),
        Case("run/grad_fn -> complex", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(lambda x: x + 0j))),
        Case("run/grad_fn -> bool", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(lambda x: x > 0))),
        Case("run/grad_fn -> object", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(lambda x: OBJ))),
        Case("run/grad_fn -> scalar", ("grad_fn",), lambda: run_with(grad_fn=grad_returning(1.0))),
        # what the step returns
        Case(
            "run/step -> v of the wrong shape",
            ("step",),
            lambda: run_with(step=step_returning(lambda x, v: (x * 0.5, v[..., :1])), beta=DROP),
        ),
        Case(
            "run/step -> x of the wrong shape",
            ("step",),
            lambda: run_with(step=step_returning(lambda x, v: (x[..., :1], v)), beta=DROP),
        ),
        Case("run/step -> None", ("step",), lambda: run_with(step=step_returning(lambda x, v: None), beta=DROP)),
        Case(
            "run/step -> one value",
            ("step",),
            lambda: run_with(step=step_returning(lambda x, v: x), beta=DROP),
        ),
        Case(
            "run/step -> complex x",
            ("step",),
            lambda: run_with(step=step_returning(lambda x, v: (x + 0j, v)), beta=DROP),
        ),
        Case(
            "run/step -> str v",
            ("step",),
            lambda: run_with(step=step_returning(lambda x, v: (x, "v")), beta=DROP),
        ),
        Case(
            "run/ema bias_correction=str",
            ("bias_correction",),
            lambda: run_with(step=ema, bias_correction="yes"),
        ),
        Case(
            "run/ema bias_correction=float",
            ("bias_correction",),
            lambda: run_with(step=ema, bias_correction=0.5),
        ),
    ]
    return cases


RULES = {
    "gd": (gd, ("lr",)),
    "heavy_ball": (heavy_ball, ("lr", "beta", "dampening")),
    "torch_sgd": (torch_sgd, ("lr", "beta", "dampening")),
    "nesterov": (nesterov, ("lr", "beta")),
    "sutskever": (sutskever, ("lr", "beta")),
    "sutskever_nesterov": (sutskever_nesterov, ("lr", "beta")),
    "ema": (ema, ("lr", "beta")),
    "qhm": (qhm, ("lr", "beta", "nu")),
}


def _rule_cases() -> list[Case]:
    cases: list[Case] = []
    for name, (rule, hps) in RULES.items():
        good = {k: {"lr": 0.1, "beta": 0.5, "dampening": 0.0, "nu": 0.7}[k] for k in hps}

        def call(rule=rule, good=good, **changes):  # noqa: ANN001, ANN202
            kw = {"x": X0, "v": np.zeros(2), "grad_fn": F.grad, **good, **changes}
            return rule(kw.pop("x"), kw.pop("v"), kw.pop("grad_fn"), **kw)

        for hp in hps:
            extra = {"above": 1.5} if hp == "nu" else (FRACTION_EXTRA if hp != "lr" else {})
            kinds = ("nan", "+inf", "negative", "bool", "str", "None", "complex", "object")
            cases += scalar_cases(name, hp, kinds, lambda v, call=call, hp=hp: call(**{hp: v}), **extra)
        cases += [
            Case(f"{name}/x=None", ("x",), lambda call=call: call(x=None)),
            Case(f"{name}/x=str", ("x",), lambda call=call: call(x=["1", "1"])),
            Case(f"{name}/x=complex", ("x",), lambda call=call: call(x=X0 + 1j)),
            Case(f"{name}/v wrong shape", ("v",), lambda call=call: call(v=np.zeros(3))),
            Case(f"{name}/v=None", ("v",), lambda call=call: call(v=None)),
            Case(f"{name}/grad_fn=None", ("grad_fn",), lambda call=call: call(grad_fn=None)),
            Case(f"{name}/grad_fn -> wrong shape", ("grad_fn",), lambda call=call: call(grad_fn=lambda x: x[:1])),
        ]
    cases.append(
        Case(
            "ema/bias_correction=str",
            ("bias_correction",),
            lambda: ema(X0, np.zeros(2), F.grad, lr=0.1, beta=0.5, bias_correction="no"),
        )
    )
    cases.append(Case("torch_sgd/t=-1", ("t",), lambda: torch_sgd(X0, np.zeros(2), F.grad, lr=0.1, beta=0.5, t=-1)))
    cases.append(Case("torch_sgd/t=str", ("t",), lambda: torch_sgd(X0, np.zeros(2), F.grad, lr=0.1, beta=0.5, t="0")))
    return cases


#: The optimizers of mom_lib.optimizers: hyperparameter -> kinds of bad value beyond NONNEG's.
OPTIMIZERS = {
    "adam": (
        adam,
        {"lr": {}, "beta1": FRACTION_EXTRA, "beta2": FRACTION_EXTRA, "eps": {"zero": 0.0}, "weight_decay": {}},
    ),
    "adamw": (
        adamw,
        {"lr": {}, "beta1": FRACTION_EXTRA, "beta2": FRACTION_EXTRA, "eps": {"zero": 0.0}, "weight_decay": {}},
    ),
    "nadam": (
        nadam,
        {"lr": {}, "beta1": FRACTION_EXTRA, "beta2": FRACTION_EXTRA, "eps": {"zero": 0.0}, "momentum_decay": {}},
    ),
    "lion": (lion, {"lr": {}, "beta1": FRACTION_EXTRA, "beta2": FRACTION_EXTRA, "weight_decay": {}}),
    "schedule_free_sgd": (schedule_free_sgd, {"lr": {}, "beta": FRACTION_EXTRA, "weight_decay": {}}),
    "muon": (muon, {"lr": {}, "beta": FRACTION_EXTRA, "weight_decay": {}}),
}


def _optimizer_cases() -> list[Case]:
    cases: list[Case] = []
    kinds = ("nan", "+inf", "negative", "bool", "str", "None", "complex", "object")
    for name, (rule, hps) in OPTIMIZERS.items():
        x0 = np.ones((2, 3)) if name == "muon" else X0
        grad = (lambda x: x) if name == "muon" else F.grad

        def call(rule=rule, x0=x0, grad=grad, **changes):  # noqa: ANN001, ANN202
            kw = {"x": x0, "grad_fn": grad, "lr": 0.1, **changes}
            x = kw.pop("x")
            fresh = rule.init(x0) if hasattr(rule, "init") else np.zeros_like(x0)
            state = kw.pop("state") if "state" in kw else fresh
            return rule(x, state, kw.pop("grad_fn"), **kw)

        def through_run(rule=rule, x0=x0, grad=grad, **changes):  # noqa: ANN001, ANN202
            return run(rule, grad, x0, n_steps=3, **{"lr": 0.1, **changes})

        for hp, extra in hps.items():
            cases += scalar_cases(name, hp, kinds, lambda v, call=call, hp=hp: call(**{hp: v}), **extra)
            cases += scalar_cases(
                f"{name}.run", hp, ("nan", "negative", "str"), lambda v, r=through_run, hp=hp: r(**{hp: v}), **extra
            )
        cases += [
            Case(f"{name}/x=None", ("x",), lambda call=call: call(x=None)),
            Case(f"{name}/x=str", ("x",), lambda call=call: call(x=["1", "1"])),
            Case(f"{name}/x=complex", ("x",), lambda call=call, x0=x0: call(x=x0 + 1j)),
            Case(f"{name}/grad_fn=None", ("grad_fn",), lambda call=call: call(grad_fn=None)),
            Case(f"{name}/grad_fn -> wrong shape", ("grad_fn",), lambda call=call: call(grad_fn=lambda x: x[..., :1])),
            Case(f"{name}.run/grad_fn -> None", ("grad_fn",), lambda r=through_run: r(grad=lambda x: None)),
            Case(f"{name}.run/unknown hyperparameter", ("momentum",), lambda r=through_run: r(momentum=0.9)),
        ]
        if hasattr(rule, "init"):  # a named state
            field = rule.init(x0)._fields[1]
            cases += [
                Case(f"{name}/state=None", ("state",), lambda call=call: call(state=None)),
                Case(f"{name}/state=array", ("state",), lambda call=call, x0=x0: call(state=np.zeros_like(x0))),
                Case(
                    f"{name}/state.{field} wrong shape",
                    (f"state.{field}",),
                    lambda call=call, r=rule, f=field, x0=x0: call(state=r.init(x0)._replace(**{f: np.zeros(5)})),
                ),
                Case(
                    f"{name}/state.count=-1",
                    ("state.count",),
                    lambda call=call, r=rule, x0=x0: call(state=r.init(x0)._replace(count=-1)),
                ),
                Case(
                    f"{name}/state.count=float",
                    ("state.count",),
                    lambda call=call, r=rule, x0=x0: call(state=r.init(x0)._replace(count=1.5)),
                ),
            ]
        else:
            cases += [
                Case(f"{name}/v=None", ("v",), lambda call=call: call(state=None)),
                Case(f"{name}/v wrong shape", ("v",), lambda call=call: call(state=np.zeros(5))),
            ]
    cases += [
        Case(
            "nadam/decoupled_weight_decay=str",
            ("decoupled_weight_decay",),
            lambda: run(nadam, F.grad, X0, n_steps=2, lr=0.1, decoupled_weight_decay="yes"),
        ),
        Case(
            "schedule_free_sgd/average_start=float",
            ("average_start",),
            lambda: run(schedule_free_sgd, F.grad, X0, n_steps=2, lr=0.1, average_start=0.5),
        ),
        Case(
            "muon/nesterov=str",
            ("nesterov",),
            lambda: muon(np.ones((2, 3)), np.zeros((2, 3)), lambda x: x, lr=0.1, nesterov="yes"),
        ),
        Case("muon/x=vector", ("x",), lambda: run(muon, F.grad, X0, n_steps=2, lr=0.1)),
        Case(
            "muon/adjust_lr_fn=unknown",
            ("adjust_lr_fn",),
            lambda: run(muon, lambda x: x, np.ones((2, 3)), n_steps=2, lr=0.1, adjust_lr_fn="rms"),
        ),
        Case(
            "muon/adjust_lr_fn=None",
            ("adjust_lr_fn",),
            lambda: run(muon, lambda x: x, np.ones((2, 3)), n_steps=2, lr=0.1, adjust_lr_fn=None),
        ),
        Case(
            "muon/adjust_lr_fn=number",
            ("adjust_lr_fn",),
            lambda: muon(np.ones((2, 3)), np.zeros((2, 3)), lambda x: x, lr=0.1, adjust_lr_fn=1.0),
        ),
    ]
    g = np.ones((2, 3))
    for kind, v in {
        "None": None,
        "str": [["1", "0"]],
        "complex": g + 1j,
        "bool": g > 0,
        "nan": np.full((2, 3), np.nan),
        "inf": np.full((2, 3), np.inf),
        "vector": np.ones(3),
        "scalar": 1.0,
        "empty": np.zeros((0, 3)),
        "object": OBJ,
    }.items():
        cases.append(Case(f"newton_schulz/g={kind}", ("g",), lambda v=v: newton_schulz(v)))
    cases += count_cases("newton_schulz", "steps", lambda v: newton_schulz(g, steps=v), huge=100)
    for kind, v in {
        "two": (1.0, 2.0),
        "str": ("3", "-4", "2"),
        "nan": (math.nan, -4.0, 2.0),
        "None": None,
        "complex": (3 + 1j, -4.0, 2.0),
        "bool": (True, -4.0, 2.0),
    }.items():
        cases.append(
            Case(f"newton_schulz/coefficients={kind}", ("coefficients",), lambda v=v: newton_schulz(g, coefficients=v))
        )
    cases += scalar_cases("newton_schulz", "eps", NONNEG, lambda v: newton_schulz(g, eps=v), zero=0.0)
    return cases


def _objective_cases() -> list[Case]:
    cases: list[Case] = []
    cases += point_cases("Quadratic", "eigenvalues", lambda v: Quadratic(v), skip=("wrong-d",))
    cases += [
        Case("Quadratic/eigenvalues negative", ("eigenvalues",), lambda: Quadratic([1.0, -1.0])),
        Case("Quadratic/eigenvalues 2-D", ("eigenvalues",), lambda: Quadratic([[1.0, 2.0]])),
        Case(
            "Quadratic/rotation not orthogonal", ("rotation",), lambda: Quadratic([1.0, 2.0], rotation=np.ones((2, 2)))
        ),
        Case("Quadratic/rotation wrong shape", ("rotation",), lambda: Quadratic([1.0, 2.0], rotation=np.eye(3))),
        Case("Quadratic/rotation=str", ("rotation",), lambda: Quadratic([1.0, 2.0], rotation="identity")),
        Case("Quadratic/rotation=nan", ("rotation",), lambda: Quadratic([1.0, 2.0], rotation=np.full((2, 2), np.nan))),
        Case("Quadratic/rotation=complex", ("rotation",), lambda: Quadratic([1.0, 2.0], rotation=np.eye(2) * 1j)),
        Case("Quadratic/rotation=bool", ("rotation",), lambda: Quadratic([1.0, 2.0], rotation=np.eye(2, dtype=bool))),
        Case(
            "Quadratic/rotation and angle",
            ("rotation", "angle"),
            lambda: Quadratic([1.0, 2.0], rotation=np.eye(2), angle=0.1),
        ),
        Case("Quadratic/angle for d=3", ("angle",), lambda: Quadratic([1.0, 2.0, 3.0], angle=0.1)),
    ]
    # None is the default of angle and center (no rotation, the origin)
    real = tuple(k for k in REAL if k != "None")
    cases += scalar_cases("Quadratic", "angle", real, lambda v: Quadratic([1.0, 2.0], angle=v))
    cases += point_cases("Quadratic", "center", lambda v: Quadratic([1.0, 2.0], center=v), skip=("None",))
    cases += scalar_cases("Rosenbrock", "a", REAL, lambda v: Rosenbrock(a=v))
    cases += scalar_cases("Rosenbrock", "b", NONNEG, lambda v: Rosenbrock(b=v), zero=0.0)
    for name in ("minima", "maxima"):
        good = {"minima": (-1.0, 1.0), "maxima": (0.0,)}
        bad = {
            "nan": [math.nan, 1.0] if name == "minima" else [math.nan],
            "str": ["-1", "1"] if name == "minima" else ["0"],
            "None": None,
            "complex": [-1 + 1j, 1.0] if name == "minima" else [1j],
            "object": OBJ,
            "bool": [False, True] if name == "minima" else [True],
            "inf": [-1.0, math.inf] if name == "minima" else [math.inf],
        }
        for kind, v in bad.items():
            kw = {**good, name: v}
            cases.append(Case(f"MultiWell1D/{name}={kind}", (name,), lambda kw=kw: MultiWell1D(**kw)))
    cases.append(Case("MultiWell1D/minima=empty", ("minima", "maxima"), lambda: MultiWell1D([], [])))
    cases.append(Case("MultiWell1D/not interleaved", ("minima", "maxima"), lambda: MultiWell1D((-1.0, 1.0), (2.0,))))
    cases += scalar_cases("MultiWell1D", "scale", NONNEG, lambda v: MultiWell1D(scale=v), zero=0.0)
    for name in ("g1", "g2"):
        for kind, v in {"str": "g", "Quadratic": Quadratic([1.0]), "object": OBJ, "number": 1.0}.items():
            cases.append(Case(f"MultiWell2D/{name}={kind}", (name,), lambda name=name, v=v: MultiWell2D(**{name: v})))
    a_good, b_good = np.eye(3, 2), np.ones(3)
    for kind, v in {
        "1-D": np.ones(3),
        "nan": np.full((3, 2), np.nan),
        "inf": np.full((3, 2), np.inf),
        "str": [["1", "0"], ["0", "1"], ["1", "1"]],
        "None": None,
        "complex": a_good + 1j,
        "object": OBJ,
        "empty": np.zeros((0, 2)),
        "bool": np.eye(3, 2, dtype=bool),
    }.items():
        cases.append(Case(f"LeastSquares/A={kind}", ("A",), lambda v=v: LeastSquares(v, b_good)))
    for kind, v in {
        "wrong length": np.ones(4),
        "nan": np.array([1.0, np.nan, 1.0]),
        "str": ["1", "1", "1"],
        "None": None,
        "complex": b_good + 1j,
    }.items():
        cases.append(Case(f"LeastSquares/b={kind}", ("b",), lambda v=v: LeastSquares(a_good, v)))
    # value, grad and nearest_minimum of each objective
    objectives = {
        "Quadratic": F,
        "Rosenbrock": Rosenbrock(),
        "MultiWell1D": MultiWell1D(),
        "MultiWell2D": MultiWell2D(),
        "Himmelblau": Himmelblau(),
        "LeastSquares": LeastSquares(a_good, b_good),
    }
    for oname, obj in objectives.items():
        wrong = np.ones(obj.d + 1)
        for method in ("value", "grad"):
            fn = getattr(obj, method)
            for kind, v in {
                "None": None,
                "str": ["1"] * obj.d,
                "complex": np.ones(obj.d) + 1j,
                "object": OBJ,
                "bool": np.ones(obj.d, dtype=bool),
                "wrong-d": wrong,
                "scalar": 1.0,
            }.items():
                cases.append(Case(f"{oname}.{method}/x={kind}", ("x",), lambda fn=fn, v=v: fn(v)))
    for kind, v in {"nan": math.nan, "negative": -1.0, "str": "0.1", "None": None, "bool": True}.items():
        cases.append(Case(f"nearest_minimum/tol={kind}", ("tol",), lambda v=v: F.nearest_minimum(X0, tol=v)))
    rng = np.random.default_rng(0)
    cases += scalar_cases("noisy_grad", "noise_std", NONNEG, lambda v: noisy_grad(F, noise_std=v, rng=rng))
    for kind, v in {"int": 0, "None": None, "legacy": np.random.RandomState(0)}.items():
        cases.append(Case(f"noisy_grad/rng={kind}", ("rng",), lambda v=v: noisy_grad(F, noise_std=0.1, rng=v)))
    for kind, v in {"None": None, "str": "f", "function": F.grad}.items():
        cases.append(
            Case(f"noisy_grad/objective={kind}", ("objective",), lambda v=v: noisy_grad(v, noise_std=0.1, rng=rng))
        )
    ls = objectives["LeastSquares"]
    cases += count_cases(
        "minibatch_grad", "batch_size", lambda v: minibatch_grad(ls, batch_size=v, rng=rng), zero=0, huge=10**12
    )
    cases.append(
        Case("minibatch_grad/objective=Quadratic", ("objective",), lambda: minibatch_grad(F, batch_size=2, rng=rng))
    )
    cases.append(Case("minibatch_grad/rng=None", ("rng",), lambda: minibatch_grad(ls, batch_size=2, rng=None)))
    g = noisy_grad(F, noise_std=0.1, rng=rng)
    cases.append(Case("noisy_grad()/x=str", ("x",), lambda: g(["1", "1"])))
    mg = minibatch_grad(ls, batch_size=2, rng=rng)
    cases.append(Case("minibatch_grad()/x=str", ("x",), lambda: mg(["1", "1"])))
    cases.append(Case("minibatch_grad()/x wrong d", ("x",), lambda: mg(np.ones(3))))
    return cases


def _theory_cases() -> list[Case]:
    cases: list[Case] = []
    for name, fn in {
        "iteration_matrix": iteration_matrix,
        "characteristic_roots": characteristic_roots,
        "rate": rate,
    }.items():
        cases += scalar_cases(name, "lam", NONNEG, lambda v, fn=fn: fn(v, lr=0.1, beta=0.5))
        cases += scalar_cases(name, "lr", NONNEG, lambda v, fn=fn: fn(1.0, lr=v, beta=0.5))
        cases += scalar_cases(name, "beta", NONNEG, lambda v, fn=fn: fn(1.0, lr=0.1, beta=v), **FRACTION_EXTRA)
        for kind, v in {"unknown": "sgdw", "None": None, "int": 1}.items():
            cases.append(
                Case(f"{name}/method={kind}", ("method",), lambda fn=fn, v=v: fn(1.0, lr=0.1, beta=0.5, method=v))
            )
        cases.append(
            Case(f"{name}/mismatched shapes", ("lam", "lr"), lambda fn=fn: fn(np.ones(3), lr=np.full(4, 0.1), beta=0.5))
        )
    for name, fn in {
        "optimal_params": optimal_params,
        "gd_optimal_lr": gd_optimal_lr,
        "gd_optimal_rate": gd_optimal_rate,
    }.items():
        cases += scalar_cases(name, "mu", NONNEG, lambda v, fn=fn: fn(v, 10.0), zero=0.0)
        cases += scalar_cases(name, "L", NONNEG, lambda v, fn=fn: fn(1.0, v), zero=0.0)
        cases.append(Case(f"{name}/mu > L", ("mu", "L"), lambda fn=fn: fn(10.0, 1.0)))
    cases += scalar_cases("stability_limit", "beta", NONNEG, lambda v: stability_limit(v), **FRACTION_EXTRA)
    cases.append(Case("stability_limit/method=unknown", ("method",), lambda: stability_limit(0.5, method="sgdw")))
    cases += scalar_cases("critical_beta", "lam", NONNEG, lambda v: critical_beta(v, lr=0.1))
    cases += scalar_cases("critical_beta", "lr", NONNEG, lambda v: critical_beta(1.0, lr=v))
    cases.append(Case("critical_beta/lr * lam > 1", ("lr", "lam"), lambda: critical_beta(10.0, lr=1.0)))
    for name, fn in {
        "complex_band": complex_band,
        "effective_window": effective_window,
        "half_life": half_life,
        "lag": lag,
    }.items():
        cases += scalar_cases(name, "beta", NONNEG, fn, **FRACTION_EXTRA)
    cases.append(Case("half_life/beta=0", ("beta",), lambda: half_life(0.0)))
    cases += scalar_cases("ema_noise_variance", "beta", NONNEG, lambda v: ema_noise_variance(v, 1.0), **FRACTION_EXTRA)
    cases += scalar_cases("ema_noise_variance", "noise_std", NONNEG, lambda v: ema_noise_variance(0.5, v))
    cases += scalar_cases("iterations_to_tolerance", "rate", NONNEG, lambda v: iterations_to_tolerance(v, tol=1e-6))
    cases += scalar_cases(
        "iterations_to_tolerance", "tol", NONNEG, lambda v: iterations_to_tolerance(0.5, tol=v), zero=0.0
    )
    cases += scalar_cases(
        "iterations_to_tolerance",
        "initial_error",
        NONNEG,
        lambda v: iterations_to_tolerance(0.5, tol=1e-6, initial_error=v),
        zero=0.0,
    )
    dist = 0.9 ** np.arange(101.0)
    for kind, v in {
        "None": None,
        "str": ["1"] * 101,
        "complex": dist + 1j,
        "object": OBJ,
        "scalar": 1.0,
        "empty": np.array([]),
        "negative": -dist,
        "bool": dist > 0.5,
    }.items():
        cases.append(Case(f"measured_rate/dist={kind}", ("dist",), lambda v=v: measured_rate(v, 10, 100)))
    cases += count_cases("measured_rate", "start", lambda v: measured_rate(dist, v, 100), too_late=90)
    cases += count_cases("measured_rate", "stop", lambda v: measured_rate(dist, 10, v), skip=("negative",), beyond=101)
    cases += count_cases("measured_rate", "window", lambda v: measured_rate(dist, 10, 100, window=v), zero=0)
    return cases


def _convention_cases() -> list[Case]:
    cases: list[Case] = []
    cases += scalar_cases(
        "translate", "lr", NONNEG, lambda v: translate(lr=v, beta=0.5, source="ema", target="pytorch")
    )
    cases += scalar_cases(
        "translate",
        "beta",
        NONNEG,
        lambda v: translate(lr=0.1, beta=v, source="ema", target="pytorch"),
        **FRACTION_EXTRA,
    )
    for which in ("source", "target"):
        for kind, v in {"unknown": "sgdw", "None": None, "int": 1, "list": ["ema"]}.items():
            kw = {"source": "ema", "target": "pytorch", which: v}
            cases.append(
                Case(
                    f"translate/{which}={kind}", ("convention", which), lambda kw=kw: translate(lr=0.1, beta=0.5, **kw)
                )
            )
    cases += scalar_cases("demon", "beta", NONNEG, lambda v: demon(beta=v, n_steps=10), **FRACTION_EXTRA)
    cases += count_cases("demon", "n_steps", lambda v: demon(beta=0.9, n_steps=v), zero=0)
    cases += scalar_cases("state_scale", "lr", NONNEG, lambda v: state_scale("ema", lr=v, beta=0.5))
    cases += scalar_cases("state_scale", "beta", NONNEG, lambda v: state_scale("ema", lr=0.1, beta=v), **FRACTION_EXTRA)
    for kind, v in {"unknown": "sgdw", "None": None, "list": ["ema"]}.items():
        cases.append(
            Case(f"state_scale/convention={kind}", ("convention",), lambda v=v: state_scale(v, lr=0.1, beta=0.5))
        )
        cases.append(Case(f"step_rule_for/convention={kind}", ("convention",), lambda v=v: step_rule_for(v)))
    cases += scalar_cases(
        "lookahead_point", "beta", NONNEG, lambda v: lookahead_point(X0, X0, beta=v), **FRACTION_EXTRA
    )
    # x and u may hold nan: the iterates of diverged runs
    finite = ("nan", "+inf", "-inf")
    cases += point_cases("lookahead_point", "x", lambda v: lookahead_point(v, X0, beta=0.5), skip=finite)
    cases += point_cases("lookahead_point", "u", lambda v: lookahead_point(X0, v, beta=0.5), skip=finite)
    return cases


def _formatting_cases() -> list[Case]:
    cases = scalar_cases("format_small", "d", NONNEG, lambda v: format_small(v))
    cases.append(Case("format_small/d=array", ("d",), lambda: format_small(np.array([1e-3, 1e-4]))))
    cases += scalar_cases("format_small", "bound", NONNEG, lambda v: format_small(1e-3, v), zero=0.0)
    return cases


def _gd_step(x, grad, lr):  # noqa: ANN001, ANN202
    return x - lr * grad


def _check_cases() -> list[Case]:
    cases: list[Case] = []
    for kind, v in {
        "zero": 0,
        "negative": -1.0,
        "nan": math.nan,
        "str": "2",
        "bool": True,
        "complex": 1j,
        "object": OBJ,
        "-inf": -math.inf,
    }.items():
        cases.append(
            Case(f"check/timeout={kind}", ("timeout",), lambda v=v: check("ex-01-gd-step", _gd_step, timeout=v))
        )
    for kind, v in {"unknown": "ex-99-nothing", "None": None, "int": 1, "list": ["ex-01-gd-step"]}.items():
        cases.append(Case(f"check/exercise_id={kind}", ("exercise_id",), lambda v=v: check(v, _gd_step)))
    for kind, v in {"None": None, "str": "gd_step", "array": np.ones(2)}.items():
        cases.append(Case(f"check/fn={kind}", ("fn",), lambda v=v: check("ex-01-gd-step", v)))
    return cases


def _plot_cases() -> list[Case]:
    cases: list[Case] = []
    box = {"xlim": (-2.0, 2.0), "ylim": (-1.0, 1.0)}
    for kind, v in {"str": "f", "None": None, "3-D": Quadratic([1.0, 2.0, 3.0]), "function": F.value}.items():
        cases.append(Case(f"plot_contours/objective={kind}", ("objective",), lambda v=v: plot_contours(v, **box)))
    for which in ("xlim", "ylim"):
        for kind, v in {
            "nan": (math.nan, 1.0),
            "inf": (-math.inf, 1.0),
            "str": ("a", "b"),
            "None": None,
            "one number": 1.0,
            "complex": (1j, 2.0),
        }.items():
            kw = {**box, which: v}
            cases.append(Case(f"plot_contours/{which}={kind}", (which,), lambda kw=kw: plot_contours(F, **kw)))
    cases += count_cases("plot_contours", "n", lambda v: plot_contours(F, n=v, **box), zero=0, huge=10**7)
    for kind, v in {"str": "many", "negative": -3, "nan levels": [math.nan, 1.0]}.items():
        cases.append(Case(f"plot_contours/levels={kind}", ("levels",), lambda v=v: plot_contours(F, levels=v, **box)))
    for kind, v in {
        "None": None,
        "str": [["a", "b"]],
        "wrong shape": np.ones((3, 3)),
        "1-D": np.ones(4),
        "complex": np.ones((3, 2)) + 1j,
    }.items():
        cases.append(Case(f"plot_trajectory/xs={kind}", ("xs",), lambda v=v: plot_trajectory(v)))
    for kind, v in {
        "None": None,
        "str": ["a", "b"],
        "empty": [],
        "complex": [1j, 1.0],
    }.items():
        cases.append(Case(f"plot_loss/values={kind}", ("values",), lambda v=v: plot_loss(v)))
    cases.append(Case("plot_loss/labels too few", ("labels",), lambda: plot_loss(np.ones((3, 2)), labels=["a"])))
    cases.append(Case("plot_loss/labels=str", ("labels",), lambda: plot_loss(np.ones((3, 2)), labels="ab")))
    cases += scalar_cases("plot_loss", "floor", NONNEG, lambda v: plot_loss([1.0, 0.1], floor=v), zero=0.0)
    lrs, betas = np.linspace(0.1, 1.0, 3), np.linspace(0.0, 0.9, 2)
    for kind, v in {
        "None": None,
        "str": [["a"] * 2] * 3,
        "wrong shape": np.ones((2, 3)),
        "complex": np.ones((3, 2)) + 1j,
    }.items():
        cases.append(Case(f"plot_heatmap/z={kind}", ("z",), lambda v=v: plot_heatmap(v, lrs=lrs, betas=betas)))
    cases.append(
        Case("plot_heatmap/lrs=str", ("lrs",), lambda: plot_heatmap(np.ones((3, 2)), lrs=["a"] * 3, betas=betas))
    )
    cases.append(
        Case("plot_heatmap/betas=nan", ("betas",), lambda: plot_heatmap(np.ones((3, 2)), lrs=lrs, betas=[np.nan, 1.0]))
    )
    cases.append(
        Case(
            "plot_heatmap/cmap=unknown",
            ("cmap",),
            lambda: plot_heatmap(np.ones((3, 2)), lrs=lrs, betas=betas, cmap="nope"),
        )
    )
    cases.append(
        Case(
            "plot_heatmap/log with zero",
            ("z", "log"),
            lambda: plot_heatmap(np.zeros((3, 2)), lrs=lrs, betas=betas, log=True),
        )
    )
    return cases


def _interactive_cases() -> list[Case]:
    cases: list[Case] = []
    good = {"lr": np.linspace(0.01, 0.1, 3), "beta": np.linspace(0.0, 0.9, 2), "n_steps": 5}

    def sf(**changes):  # noqa: ANN202
        kw = {**good, **changes}
        return steps_figure(F, kw.pop("x0", X0), **kw)

    def tf(**changes):  # noqa: ANN202
        kw = {**good, "xlim": (-2.0, 2.0), "ylim": (-2.0, 2.0), **changes}
        return trajectory_figure(F, kw.pop("x0", X0), **kw)

    for fname, fig in {"steps_figure": sf, "trajectory_figure": tf}.items():
        cases += count_cases(fname, "n_steps", lambda v, fig=fig: fig(n_steps=v), huge=10**12)
        for kind, v in {
            "nan": [0.1, math.nan],
            "str": ["0.1", "0.2"],
            "bool": [True],
            "empty": [],
            "negative": [-0.1, 0.1],
        }.items():
            cases.append(Case(f"{fname}/lr={kind}", ("lr",), lambda fig=fig, v=v: fig(lr=v)))
        for kind, v in {"unknown": ("sgdw",), "None": None, "str": "heavy_ball_x", "empty": ()}.items():
            cases.append(Case(f"{fname}/methods={kind}", ("methods", "method"), lambda fig=fig, v=v: fig(methods=v)))
        cases += point_cases(fname, "x0", lambda v, fig=fig: fig(x0=v))
    return cases


def _noise_cases() -> list[Case]:
    nq = NoisyQuadratic([1.0, 0.5])
    x0 = np.ones(2)
    cases: list[Case] = []
    eig = {k: v for k, v in POINTS.items() if k not in ("wrong-d", "scalar", "ragged")}
    eig["negative"] = [1.0, -1.0]
    cases += [
        Case(f"NoisyQuadratic/eigenvalues={k}", ("eigenvalues",), lambda v=v: NoisyQuadratic(v)) for k, v in eig.items()
    ]
    cases += count_cases("NoisyQuadratic.zhang", "d", lambda v: NoisyQuadratic.zhang(v), zero=0)
    rng = np.random.default_rng(0)
    cases += [
        Case(f"NoisyQuadratic.stochastic_grad/rng={k}", ("rng",), lambda v=v: nq.stochastic_grad(rng=v))
        for k, v in {"None": None, "int": 0, "legacy": np.random.RandomState(0)}.items()
    ]
    cases += scalar_cases(
        "NoisyQuadratic.stochastic_grad",
        "batch_size",
        NONNEG,
        lambda v: nq.stochastic_grad(rng=rng, batch_size=v),
        zero=0.0,
    )
    good_cov = {"lam": 1.0, "lr": 0.1, "beta": 0.5, "noise_var": 1.0}
    for name, kinds, extra in [
        ("lam", NONNEG, {"zero": 0.0}),
        ("lr", NONNEG, {"beyond edge": 10.0}),
        ("beta", NONNEG, FRACTION_EXTRA),
        ("noise_var", NONNEG, {}),
    ]:

        def cov(v, name=name):
            kw = {**good_cov, name: v}
            return stationary_covariance(kw.pop("lam"), **kw)

        cases += scalar_cases("stationary_covariance", name, kinds, cov, **extra)
    good_loss = {"lr": 0.1, "beta": 0.5, "batch_size": 4, "n_steps": 5}
    for name, kinds, extra in [("lr", NONNEG, {}), ("beta", NONNEG, FRACTION_EXTRA), ("batch_size", NONNEG, {})]:
        cases += scalar_cases(
            "expected_loss", name, kinds, lambda v, name=name: expected_loss(nq, x0, **{**good_loss, name: v}), **extra
        )
    cases += count_cases("expected_loss", "n_steps", lambda v: expected_loss(nq, x0, **{**good_loss, "n_steps": v}))
    cases += point_cases("expected_loss", "x0", lambda v: expected_loss(nq, v, **good_loss))
    cases.append(
        Case("expected_loss/method=unknown", ("method",), lambda: expected_loss(nq, x0, method="sgdw", **good_loss))
    )
    cases.append(Case("expected_loss/objective=object", ("objective",), lambda: expected_loss(OBJ, x0, **good_loss)))
    cases += count_cases(
        "expected_loss", "average_from", lambda v: expected_loss(nq, x0, average_from=v, **good_loss), skip=("None",)
    )
    good_curves = {"lr": np.array([0.1, 0.2]), "beta": 0.5, "batch_size": 4, "max_steps": 64}
    for name, kinds, extra in [("lr", NONNEG, {}), ("beta", NONNEG, FRACTION_EXTRA), ("batch_size", NONNEG, {})]:
        cases += scalar_cases(
            "expected_loss_curves",
            name,
            kinds,
            lambda v, name=name: expected_loss_curves(nq, x0, **{**good_curves, name: v}),
            **extra,
        )
    cases += count_cases(
        "expected_loss_curves", "max_steps", lambda v: expected_loss_curves(nq, x0, **{**good_curves, "max_steps": v})
    )
    cases += count_cases(
        "expected_loss_curves",
        "per_octave",
        lambda v: expected_loss_curves(nq, x0, per_octave=v, **good_curves),
        zero=0,
    )
    times, curves = expected_loss_curves(nq, x0, **good_curves)
    cases += scalar_cases("steps_to_target", "target", NONNEG, lambda v: steps_to_target(times, curves, v), zero=0.0)
    cases.append(Case("steps_to_target/times=str", ("times",), lambda: steps_to_target("abc", curves, 0.1)))
    cases.append(
        Case("steps_to_target/loss=mismatched", ("loss", "times"), lambda: steps_to_target(times, np.ones(3), 0.1))
    )
    good_tuned = {"lr": np.array([0.1, 0.2]), "beta": np.array([0.0, 0.5]), "batch_size": np.array([1.0, 4.0])}
    good_tuned |= {"target": 0.1, "max_steps": 64}
    for name, kinds, extra in [
        ("lr", NONNEG, {}),
        ("beta", NONNEG, FRACTION_EXTRA),
        ("batch_size", NONNEG, {}),
        ("target", NONNEG, {"zero": 0.0}),
    ]:
        cases += scalar_cases(
            "tuned_steps_to_target",
            name,
            kinds,
            lambda v, name=name: tuned_steps_to_target(nq, x0, **{**good_tuned, name: v}),
            **extra,
        )
    cases += count_cases(
        "tuned_steps_to_target", "max_steps", lambda v: tuned_steps_to_target(nq, x0, **{**good_tuned, "max_steps": v})
    )
    sizes, steps = np.array([1.0, 2.0, 4.0, 8.0]), np.array([100.0, 50.0, 30.0, 25.0])
    cases += scalar_cases(
        "critical_batch_size", "factor", NONNEG, lambda v: critical_batch_size(sizes, steps, factor=v), below_one=0.5
    )
    cases.append(
        Case(
            "critical_batch_size/steps=mismatched",
            ("steps", "batch_sizes"),
            lambda: critical_batch_size(sizes, steps[:3]),
        )
    )
    cases.append(
        Case(
            "critical_batch_size/batch_sizes=str",
            ("batch_sizes",),
            lambda: critical_batch_size(np.array(["1", "2"]), steps[:2]),
        )
    )
    cases.append(
        Case(
            "critical_batch_size/steps=nan",
            ("steps",),
            lambda: critical_batch_size(sizes, np.array([100.0, np.nan, 30.0, 25.0])),
        )
    )
    return cases


def _network_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 3)), np.arange(12) % 3
    net = MLP(X, y, hidden=(4,))
    w = net.init(np.random.default_rng(1))

    def mlp(**changes: Any) -> MLP:
        return MLP(**{"X": X, "y": y, "hidden": (4,), **changes})

    cases: list[Case] = []
    bad_x = {"str": np.array([["1"] * 3] * 12), "complex": X + 1j, "nan": np.where(X > 1, np.nan, X)}
    bad_x |= {"None": None, "object": OBJ, "bool": X > 0, "1-D": X[:, 0], "empty": np.zeros((0, 3))}
    cases += [Case(f"MLP/X={k}", ("X",), lambda v=v: mlp(X=v)) for k, v in bad_x.items()]
    bad_y = {"float": y + 0.5, "str": y.astype(str), "bool": y > 0, "negative": y - 1, "short": y[:5], "None": None}
    cases += [Case(f"MLP/y={k}", ("y",), lambda v=v: mlp(y=v)) for k, v in bad_y.items()]
    bad_hidden = {"int": 4, "zero": (0,), "bool": (True,), "str": ("4",), "float": (4.5,), "None": None}
    cases += [Case(f"MLP/hidden={k}", ("hidden",), lambda v=v: mlp(hidden=v)) for k, v in bad_hidden.items()]
    for name, values in {
        "activation": {"unknown": "sigmoid", "None": None},
        "loss": {"unknown": "hinge", "None": None},
        "batch_norm": {"int": 1, "str": "yes", "None": None},
        "n_classes": {"one": 1, "bool": True, "float": 3.0, "too few": 2},
    }.items():
        cases += [Case(f"MLP/{name}={k}", (name, "y"), lambda n=name, v=v: mlp(**{n: v})) for k, v in values.items()]
    cases += scalar_cases("MLP", "weight_decay", NONNEG, lambda v: mlp(weight_decay=v))
    cases += scalar_cases("MLP", "bn_eps", NONNEG, lambda v: mlp(batch_norm=True, bn_eps=v), zero=0.0)
    for method in ("value", "grad"):
        cases += [
            Case(f"MLP.{method}/w={k}", ("w",), lambda m=method, v=v: getattr(net, m)(v))
            for k, v in {
                "str": np.array(["1"] * net.d),
                "complex": w + 1j,
                "None": None,
                "wrong-d": w[:-1],
                "scalar": 1.0,
                "bool": w > 0,
            }.items()
        ]
    cases += [
        Case(f"MLP.init/rng={k}", ("rng",), lambda v=v: net.init(v))
        for k, v in {"None": None, "int": 0, "legacy": np.random.RandomState(0)}.items()
    ]
    cases += scalar_cases("MLP.init", "scale", NONNEG, lambda v: net.init(rng, scale=v), zero=0.0)
    cases += [
        Case(f"MLP.init/shape={k}", ("shape",), lambda v=v: net.init(rng, shape=v))
        for k, v in {"int": 3, "negative": (-1,), "float": (2.5,), "bool": (True,)}.items()
    ]
    cases += [
        Case(f"MLP.grad_on/idx={k}", ("idx",), lambda v=v: net.grad_on(w, v))
        for k, v in {"float": np.array([0.5, 1.0]), "beyond n": np.array([0, 12]), "negative": np.array([-1])}.items()
    ]
    return cases


CASES: list[Case] = [
    *_run_cases(),
    *_rule_cases(),
    *_optimizer_cases(),
    *_objective_cases(),
    *_theory_cases(),
    *_convention_cases(),
    *_formatting_cases(),
    *_check_cases(),
    *_plot_cases(),
    *_interactive_cases(),
    *_noise_cases(),
    *_network_cases(),
]


@dataclass(frozen=True)
class Extreme:
    """An extreme but valid input: ``call()`` must return ``expected`` (within ``rtol``) or raise a named error."""

    id: str
    names: tuple[str, ...]
    call: Callable[[], Any]
    expected: Any
    rtol: float = 1e-12


EXTREME: list[Extreme] = [
    Extreme("optimal_params(1e-300, 1e300)", ("mu", "L"), lambda: optimal_params(1e-300, 1e300), (4e-300, 1.0)),
    Extreme(
        "optimal_params(1e308, 1.7e308)",
        ("mu", "L"),
        lambda: optimal_params(1e308, 1.7e308),
        (4 / (math.sqrt(1.7) + 1) ** 2 / 1e308, ((math.sqrt(1.7) - 1) / (math.sqrt(1.7) + 1)) ** 2),
        1e-10,
    ),
    # lr = 1 / mu = 2e323 is beyond the float range
    Extreme("optimal_params(5e-324, 5e-324)", ("mu", "L"), lambda: optimal_params(5e-324, 5e-324), None),
    Extreme(
        "gd_optimal_lr(1e308, 1.7e308)", ("mu", "L"), lambda: gd_optimal_lr(1e308, 1.7e308), 2 / 2.7 / 1e308, 1e-12
    ),
    Extreme("gd_optimal_rate(1e308, 1.7e308)", ("mu", "L"), lambda: gd_optimal_rate(1e308, 1.7e308), 0.7 / 2.7, 1e-12),
    Extreme("rate(1, lr=1e200)", ("lr", "lam"), lambda: rate(1.0, lr=1e200), 1e200),
    Extreme("rate(1, lr=1e200, beta=0.5)", ("lr", "lam"), lambda: rate(1.0, lr=1e200, beta=0.5), 1e200),
    Extreme(
        "rate(1, lr=1e200, nesterov)", ("lr", "lam"), lambda: rate(1.0, lr=1e200, beta=0.5, method="nesterov"), 1.5e200
    ),
    Extreme("rate(1e200, lr=1e200)", ("lr", "lam"), lambda: rate(1e200, lr=1e200), None),
    Extreme(
        "characteristic_roots(1, lr=1e200, beta=0.5)",
        ("lr", "lam"),
        lambda: np.sort(np.abs(characteristic_roots(1.0, lr=1e200, beta=0.5))),
        np.array([0.5e-200, 1e200]),
    ),
    Extreme("ema_noise_variance(0.5, 1e200)", ("noise_std",), lambda: ema_noise_variance(0.5, 1e200), None),
    # the minimizer (a, a^2) is beyond the float range
    Extreme("Rosenbrock(a=1e200)", ("a",), lambda: Rosenbrock(a=1e200).minimizers, None),
    Extreme(
        "MultiWell1D(minima=(-1e200, 1e200))",
        ("minima", "maxima"),
        lambda: MultiWell1D((-1e200, 1e200), (0.0,)).value([0.0]),
        None,
    ),
    Extreme("MultiWell1D(scale=1e308)", ("scale",), lambda: MultiWell1D(scale=1e308).value([0.0]), None),
    Extreme("LeastSquares(A=1e200)", ("A",), lambda: LeastSquares(np.full((3, 2), 1e200), np.ones(3)).mu, None),
    Extreme("measured_rate(zeros)", ("dist",), lambda: measured_rate(np.zeros(101), 10, 100), None),
    Extreme(
        "translate(lr=1e308, beta=0.5, pytorch -> ema)",
        ("lr", "beta"),
        lambda: translate(lr=1e308, beta=0.5, source="pytorch", target="ema")["lr"],
        None,
    ),
]


# ----------------------------------------------------------------------------- running a case


class _Hang(BaseException):
    pass


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:  # pragma: no cover - not Linux
        return 0


def _guarded(call: Callable[[], Any]) -> tuple[Any, BaseException | None, list[str], str]:
    """Call under a CPU-time limit and a memory limit, output captured: (value, error, warnings, output)."""
    import matplotlib.pyplot as plt

    def on_alarm(signum: int, frame: Any) -> None:
        raise _Hang

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + MEMORY_LIMIT
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    previous = signal.signal(signal.SIGPROF, on_alarm)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    value, error, caught = None, None, []
    with tempfile.TemporaryFile(mode="w+b") as err:
        os.dup2(err.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            signal.setitimer(signal.ITIMER_PROF, TIME_LIMIT)
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                try:
                    value = call()
                except BaseException as exc:  # noqa: BLE001 - the case decides what counts
                    error = exc
            caught = [f"{w.category.__name__}: {w.message}" for w in seen]
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
        err.seek(0)
        printed = err.read().decode(errors="replace")
    plt.close("all")
    return value, error, caught, printed


def _names_one(message: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", message) for n in names)


def _error_problem(error: BaseException | None, names: tuple[str, ...]) -> str | None:
    if isinstance(error, _Hang):
        return f"no answer within {TIME_LIMIT:g} s of CPU time"
    if error is None:
        return "no error"
    if not isinstance(error, (ValueError, TypeError)):
        return f"{type(error).__name__} instead of ValueError/TypeError: {error}"
    message = str(error)
    if not _names_one(message, names):
        return f"{type(error).__name__} does not name {' or '.join(names)}: {message}"
    if "must" not in message and "one of" not in message:
        return f"{type(error).__name__} does not say what is allowed: {message}"
    return None


def problem(case: Case) -> str | None:
    """What is wrong with ``case``'s outcome, or ``None`` when it is a clean, named error."""
    _, error, caught, printed = _guarded(case.call)
    found = _error_problem(error, case.names)
    if found is None and caught:
        found = f"warned: {caught[0]}"
    if found is None and printed.strip():
        found = f"printed: {printed.strip().splitlines()[0]}"
    return found


def extreme_problem(case: Extreme) -> str | None:
    """``None`` when the extreme input gives the right finite answer (or a named error) quietly."""
    value, error, caught, printed = _guarded(case.call)
    if error is not None:
        found = _error_problem(error, case.names)
    elif case.expected is None:
        found = f"returned {value!r}; its true value is beyond the float range, so a named error was due"
    else:
        got = np.asarray(value if not isinstance(value, tuple) else np.stack(value), dtype=float)
        want = np.asarray(case.expected, dtype=float)
        ok = got.shape == want.shape and np.all(np.isfinite(got)) and np.allclose(got, want, rtol=case.rtol, atol=0)
        found = None if ok else f"returned {got!r}, expected {want!r}"
    if found is None and caught:
        found = f"warned: {caught[0]}"
    if found is None and printed.strip():
        found = f"printed: {printed.strip().splitlines()[0]}"
    return found


def test_every_public_function_is_fuzzed() -> None:
    covered = {c.id.split("/")[0].split(".")[0].split("(")[0] for c in [*CASES, *EXTREME]}
    # constants, base classes and the optimizers' state tuples
    objects = {"CONVENTIONS", "DIVERGENCE_THRESHOLD", "Objective", "Result", "TunedSteps"}
    objects |= {"AdamState", "NAdamState", "ScheduleFreeState"}
    missing = set(mom_lib.__all__) - objects - covered
    assert not missing, f"no bad-input case for {sorted(missing)}"


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in [*CASES, *EXTREME]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_by_name(case: Case) -> None:
    found = problem(case)
    assert found is None, found


@pytest.mark.parametrize("case", EXTREME, ids=[c.id for c in EXTREME])
def test_extreme_valid_input_is_exact_or_refused(case: Extreme) -> None:
    found = extreme_problem(case)
    assert found is None, found


def main() -> None:
    """Print the case count and every failing case: ``python tests/test_fuzz.py``."""
    failing = []
    for case in CASES:
        found = problem(case)
        if found:
            failing.append((case.id, found))
    for case in EXTREME:
        found = extreme_problem(case)
        if found:
            failing.append((case.id, found))
    for cid, found in failing:
        print(f"FAIL {cid}: {found.splitlines()[0][:160]}")
    print(
        f"{len(CASES)} bad-input cases + {len(EXTREME)} extreme valid inputs = {len(CASES) + len(EXTREME)} cases, "
        f"{len(failing)} failing"
    )


if __name__ == "__main__":
    main()
