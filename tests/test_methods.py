"""The registry of methods: every entry's linear theory against its own iterates, every name accepted everywhere."""

from __future__ import annotations

import dataclasses
import inspect
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import (
    CONVENTIONS,
    Quadratic,
    characteristic_roots,
    iteration_matrix,
    measured_rate,
    optimizers,
    rate,
    run,
    stability_limit,
    step_rule_for,
    steps,
)
from mom_lib import interactive as mi
from mom_lib import methods as mm
from mom_lib.methods import METHODS, Method, method

LINEAR = [name for name, m in METHODS.items() if m.linear is not None]


def hyper(m: Method, lr, beta) -> dict:
    """The keyword arguments of ``m``'s rule for a sweep over (lr, beta)."""
    return {"lr": lr, "beta": beta} if m.momentum else {"lr": lr}


def iterates(name: str, lam: float, lr, beta, n: int) -> np.ndarray:
    """x_0, ..., x_n of the rule on f = lam x^2 / 2 from x_0 = 1, shape (n + 1, *batch)."""
    f = Quadratic([lam])
    return run(method(name).rule, f.grad, [1.0], n_steps=n, **hyper(method(name), lr, beta)).x[..., 0]


# -- the linear theory of every entry is what its rule does ------------------------------------


@pytest.mark.parametrize("name", LINEAR)
@settings(max_examples=30, deadline=None)
@given(lam=st.floats(0.1, 10.0), h=st.floats(0.0, 2.5), beta=st.floats(0.0, 0.95))
def test_iteration_matrix_reproduces_the_iterates(name, lam, h, beta):
    m = method(name)
    beta = beta if m.momentum else 0.0
    lr = h / lam
    x = iterates(name, lam, lr, beta, 12)
    mat = iteration_matrix(lam, lr=lr, beta=beta, method=name)
    # from (x_1, x_0) on, M maps (x_t, x_{t-1}) to (x_{t+1}, x_t), up to rounding of the run's size
    pred = np.einsum("ij,tj->ti", mat, np.stack([x[1:-1], x[:-2]], axis=-1))
    assert np.abs(pred[:, 0] - x[2:]).max() <= 1e-13 * max(1.0, np.abs(x).max())
    np.testing.assert_array_equal(pred[:, 1], x[1:-1])


@pytest.mark.parametrize("name", LINEAR)
def test_iteration_matrix_batched_over_a_grid(name):
    m = method(name)
    lam = 2.0
    lr = np.linspace(0.0, 1.2, 7)[:, None]
    beta = np.linspace(0.0, 0.9, 4)[None, :] if m.momentum else np.zeros((1, 1))
    x = iterates(name, lam, lr, beta, 10)  # (11, 7, 4) or (11, 7, 1)
    tr, det = m.linear(lr * lam, beta)
    np.testing.assert_allclose(x[2:], tr * x[1:-1] - det * x[:-2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", LINEAR)
@pytest.mark.parametrize(
    ("lam", "h", "beta"),
    [(1.0, 0.5, 0.5), (4.0, 0.4, 0.9), (0.2, 0.12, 0.0), (1.0, 1.5, 0.3), (1.0, 0.05, 0.2), (2.0, 1.2, 0.1)],
)
def test_measured_contraction_equals_rate(name, lam, h, beta):
    m = method(name)
    beta = beta if m.momentum else 0.0
    lr = h / lam
    predicted = float(rate(lam, lr=lr, beta=beta, method=name))
    assert 0.05 < predicted < 0.97, "a case whose rate can be measured over 200 steps"
    x = iterates(name, lam, lr, beta, 200)
    assert np.abs(x[-1]) > 1e-250  # far above underflow (the minimizer is 0: no rounding floor)
    got = float(measured_rate(np.abs(x), 100, 199, window=20))
    z = np.abs(characteristic_roots(lam, lr=lr, beta=beta, method=name))
    if np.all(characteristic_roots(lam, lr=lr, beta=beta, method=name).imag == 0) and z.min() < 0.5 * z.max():
        # real roots, one dominant: |x_t| is geometric after 100 steps, measured to 1e-9
        assert got == pytest.approx(predicted, rel=1e-9)
    else:  # complex roots: the envelope of an oscillation, measured to 2 %
        assert got == pytest.approx(predicted, rel=0.02)


@pytest.mark.parametrize(
    ("name", "beta"), [(n, b) for n in LINEAR for b in ((0.0, 0.3, 0.6, 0.9) if method(n).momentum else (0.0,))]
)
def test_stability_limit_is_where_the_rate_crosses_one(name, beta):
    h = float(stability_limit(beta, method=name))
    assert rate(1.0, lr=h * 0.999, beta=beta, method=name) < 1 < rate(1.0, lr=h * 1.001, beta=beta, method=name)
    # and the iterates agree: converging 2 % inside, blowing up (past 1e8) 2 % outside
    m, f = method(name), Quadratic([1.0])
    inside = run(m.rule, f.grad, [1.0], n_steps=2000, **hyper(m, h * 0.98, beta))
    outside = run(m.rule, f.grad, [1.0], n_steps=2000, **hyper(m, h * 1.02, beta))
    assert not inside.diverged and np.abs(inside.x[-50:]).max() < 1e-6
    assert outside.diverged


@settings(max_examples=200, deadline=None)
@given(lam=st.floats(0.0, 1e6), lr=st.floats(0.0, 1e6))
def test_gd_rate_is_exactly_abs_one_minus_h(lam, lr):
    want = abs(1 - lr * lam)
    assert float(rate(lam, lr=lr, method="gd")) == want
    assert float(rate(lam, lr=lr, beta=0.0, method="heavy_ball")) == want


def test_gd_theory_on_a_grid():
    lam = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    lr = np.array([[0.1], [1.0]])
    np.testing.assert_array_equal(rate(lam, lr=lr, method="gd"), np.abs(1 - lr * lam))
    np.testing.assert_array_equal(stability_limit(0.0, method="gd"), 2.0)
    np.testing.assert_array_equal(iteration_matrix(2.0, lr=0.25, method="gd"), [[0.5, 0.0], [1.0, 0.0]])
    z = characteristic_roots(lam, lr=lr, method="gd")  # the roots 1 - h and 0
    assert z.shape == (2, 5, 2) and np.all(z.imag == 0)
    want = np.stack(np.broadcast_arrays(1 - lr * lam, 0.0), axis=-1)
    np.testing.assert_array_equal(np.sort(z.real, axis=-1), np.sort(want, axis=-1))


# -- every registered name is accepted where a method is taken ---------------------------------


@pytest.mark.parametrize("name", list(METHODS))
def test_every_name_is_accepted_by_theory(name):
    m = method(name)
    beta = 0.5 if m.momentum else 0.0
    if m.linear is None:
        with pytest.raises(ValueError, match="has no linear theory"):
            rate(1.0, lr=0.1, beta=beta, method=name)
        return
    r = rate(np.array([0.5, 1.0]), lr=0.3, beta=beta, method=name)
    assert r.shape == (2,) and np.all((r > 0) & (r < 1))
    assert iteration_matrix(1.0, lr=0.3, beta=beta, method=name).shape == (2, 2)
    assert characteristic_roots(1.0, lr=0.3, beta=beta, method=name).shape == (2,)
    assert float(stability_limit(beta, method=name)) > 0


@pytest.mark.parametrize("name", list(METHODS))
def test_every_name_is_accepted_by_the_figures(name):
    m = method(name)
    assert mi.METHODS[name] is m.rule and mi._METHOD_LABELS[name] == m.label
    if m.matrix:  # the figures run on 2-D objectives: a rule for matrices is refused by name
        with pytest.raises(ValueError, match=f"methods must name rules for vectors; '{name}'"):
            mi.steps_figure(Quadratic([1.0, 10.0]), [1.0, 1.0], lr=[0.1], beta=[0.5], n_steps=8, methods=(name,))
        return
    f = Quadratic([1.0, 10.0])
    lrs, betas = np.array([0.05, 0.1]), np.array([0.0, 0.5])
    fig = mi.steps_figure(f, [1.0, 1.0], lr=lrs, beta=betas, n_steps=8, methods=(name,))
    assert fig.series[0].label == m.label
    want = run(m.rule, f.grad, [1.0, 1.0], n_steps=8, **hyper(m, 0.1, 0.5)).final
    assert fig.readout("f(x_T) - f*", lr=0.1, beta=0.5) == f"{float(f.value(want) - f.minimum):.3e}"
    fig = mi.trajectory_figure(
        f, [-1.0, 1.0], lr=lrs, beta=betas, n_steps=5, xlim=(-2, 2), ylim=(-2, 2), methods=(name,)
    )
    assert fig.controls[-1].labels == [m.label]


@pytest.mark.parametrize("name", list(METHODS))
def test_every_name_is_accepted_by_step_rule_for(name):
    m = method(name)
    if m.convention is None:  # no momentum: one rule in every convention
        assert all(step_rule_for(c, method=name) is m.rule for c in CONVENTIONS)
        return
    assert m.convention in CONVENTIONS
    assert step_rule_for(m.convention, method=name) is m.rule
    # its form in the book's convention is the method it is a form of
    assert step_rule_for("pytorch", method=name) is method(m.form_of).rule


def test_step_rule_for_gives_forms_of_the_same_iterates():
    f = Quadratic([0.3, 2.0], angle=1.0)
    ref = run(steps.nesterov, f.grad, [2.0, -1.0], n_steps=30, lr=0.2, beta=0.8)
    out = run(step_rule_for("sutskever", method="nesterov"), f.grad, [2.0, -1.0], n_steps=30, lr=0.2, beta=0.8)
    u = np.diff(out.x, axis=0, prepend=out.x[:1])
    np.testing.assert_allclose(out.x + 0.8 * u, ref.x, rtol=1e-10, atol=1e-12)
    with pytest.raises(
        ValueError, match=r"method 'nesterov' has no form in convention 'ema'.*\('pytorch', 'sutskever'\)"
    ):
        step_rule_for("ema", method="nesterov")


def test_default_step_rules_per_convention_are_unchanged():
    want = {
        "pytorch": steps.heavy_ball,
        "sutskever": steps.sutskever,
        "keras": steps.sutskever,
        "polyak": steps.sutskever,
        "ema": steps.ema,
        "qhm": steps.qhm,
    }
    assert {c: step_rule_for(c) for c in CONVENTIONS} == want


def test_figure_tables_keep_their_old_entries():
    old = {
        "gd": (steps.gd, "gradient descent"),
        "heavy_ball": (steps.heavy_ball, "heavy ball"),
        "nesterov": (steps.nesterov, "Nesterov"),
        "sutskever": (steps.sutskever, "Sutskever"),
        "sutskever_nesterov": (steps.sutskever_nesterov, "Sutskever-Nesterov"),
    }
    for name, (rule, label) in old.items():
        assert mi.METHODS[name] is rule and mi._METHOD_LABELS[name] == label


# -- unknown names and misuse ------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda m: method(m),
        lambda m: rate(1.0, lr=0.1, beta=0.5, method=m),
        lambda m: iteration_matrix(1.0, lr=0.1, beta=0.5, method=m),
        lambda m: characteristic_roots(1.0, lr=0.1, beta=0.5, method=m),
        lambda m: stability_limit(0.5, method=m),
        lambda m: step_rule_for("pytorch", method=m),
        lambda m: mi.steps_figure(Quadratic([1.0]), [1.0], lr=[0.1], beta=[0.5], n_steps=3, methods=(m,)),
        lambda m: mi.trajectory_figure(
            Quadratic([1.0, 2.0]), [1.0, 1.0], lr=[0.1], beta=[0.5], n_steps=3, xlim=(-1, 1), ylim=(-1, 1), methods=(m,)
        ),
    ],
)
def test_unknown_method_names_the_parameter_and_the_choices(call):
    with pytest.raises(ValueError, match=r"unknown method 'sgdw': method must be one of \('gd', 'heavy_ball'"):
        call("sgdw")
    with pytest.raises(TypeError, match="method must be a str"):
        call(["heavy_ball"])


def test_a_method_without_momentum_refuses_a_beta():
    for call in (
        lambda: rate(1.0, lr=0.1, beta=0.5, method="gd"),
        lambda: stability_limit(0.5, method="gd"),
        lambda: iteration_matrix(1.0, lr=0.1, beta=np.array([0.0, 0.5]), method="gd"),
    ):
        with pytest.raises(ValueError, match="method 'gd' has no momentum: beta must be 0"):
            call()


def test_a_rule_without_linear_theory_is_refused_by_theory_only(monkeypatch):
    """How a rule like Adam will sit in the registry: figures take it, the linear theory names what is missing."""
    sign = Method("sign_gd", lambda x, v, grad_fn, *, lr: (x - lr * np.sign(grad_fn(x)), v), "sign GD", ("lr",), None)
    monkeypatch.setattr(mm, "METHODS", MappingProxyType({**METHODS, "sign_gd": sign}))
    with pytest.raises(ValueError, match=r"method 'sign_gd' has no linear theory; methods with one: \('gd',"):
        rate(1.0, lr=0.1, method="sign_gd")
    with pytest.raises(ValueError, match="has no linear theory"):
        stability_limit(0.0, method="sign_gd")
    fig = mi.steps_figure(Quadratic([1.0]), [1.0], lr=[0.25, 0.5], n_steps=3, methods=("sign_gd",), quantity="x")
    np.testing.assert_allclose(fig.series[0].y[0], [1.0, 0.75, 0.5, 0.25])
    assert fig.series[0].label == "sign GD"
    assert step_rule_for("ema", method="sign_gd") is sign.rule


# -- the registry itself -----------------------------------------------------------------------


def test_registry_is_read_only_and_entries_frozen():
    with pytest.raises(TypeError):
        METHODS["x"] = METHODS["gd"]  # type: ignore[index]
    with pytest.raises(TypeError):
        mi.METHODS["x"] = steps.gd  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        METHODS["gd"].label = "GD"  # type: ignore[misc]


def test_registry_entries_are_consistent():
    labels = [m.label for m in METHODS.values()]
    assert len(set(labels)) == len(labels)
    forms = [(m.form_of, m.convention) for m in METHODS.values() if m.convention is not None]
    assert len(set(forms)) == len(forms), "one rule per method and convention"
    for name, m in METHODS.items():
        module = optimizers if name in optimizers.__all__ else steps
        assert m.name == name and m.rule is getattr(module, name) and name in module.__all__
        params = inspect.signature(m.rule).parameters
        assert all(p in params for p in m.hyperparameters), name
        assert m.convention is None or m.convention in CONVENTIONS
        assert METHODS[m.form_of].convention in (None, "pytorch"), "a form of a method in the book's convention"
        assert m.momentum == ("beta" in params)


def test_linear_and_stability_come_together():
    with pytest.raises(ValueError, match="give both linear and stability"):
        Method("half", steps.gd, "half", ("lr",), None, linear=lambda h, b: (1 - h, 0 * h))
