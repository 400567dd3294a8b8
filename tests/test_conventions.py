"""Conventions: the translator and the state scalings give identical iterates; schedules break them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import (
    CONVENTIONS,
    Quadratic,
    demon,
    ema,
    heavy_ball,
    lookahead_point,
    nesterov,
    run,
    state_scale,
    step_rule_for,
    sutskever,
    sutskever_nesterov,
    translate,
)

F = Quadratic([0.3, 2.0], angle=1.0)
X0 = np.array([2.0, -1.0])


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(0.001, 0.4),
    beta=st.floats(0.0, 0.95),
    source=st.sampled_from(CONVENTIONS),
    target=st.sampled_from(CONVENTIONS),
)
def test_translated_hyperparameters_give_identical_iterates(lr, beta, source, target):
    out = translate(lr=lr, beta=beta, source=source, target=target)
    a = run(step_rule_for(source), F.grad, X0, n_steps=40, lr=lr, beta=beta)
    b = run(step_rule_for(target), F.grad, X0, n_steps=40, lr=out["lr"], beta=out["beta"])
    np.testing.assert_allclose(a.x, b.x, rtol=1e-8, atol=1e-11)
    eta = translate(lr=lr, beta=beta, source=source, target="pytorch")["lr"]
    v = run(heavy_ball, F.grad, X0, n_steps=40, lr=eta, beta=beta).v
    np.testing.assert_allclose(b.v, state_scale(target, lr=eta, beta=beta) * v, rtol=1e-8, atol=1e-11)


def test_round_trip():
    out = translate(lr=0.05, beta=0.9, source="pytorch", target="ema")
    back = translate(lr=out["lr"], beta=out["beta"], source="ema", target="pytorch")
    np.testing.assert_allclose(back["lr"], 0.05)


def test_schedule_breaks_the_pytorch_sutskever_equivalence():
    def schedule(t):
        return 0.2 if t < 10 else 0.02

    a = run(heavy_ball, F.grad, X0, n_steps=30, lr=schedule, beta=0.9)
    b = run(sutskever, F.grad, X0, n_steps=30, lr=schedule, beta=0.9)
    np.testing.assert_allclose(a.x[:11], b.x[:11], rtol=1e-12)  # same while the lr is constant
    assert np.abs(a.x[11:] - b.x[11:]).max() > 1e-3


def test_lookahead_point_batched():
    betas = np.array([0.0, 0.5, 0.9])
    a = run(nesterov, F.grad, X0, n_steps=20, lr=0.1, beta=betas)
    b = run(sutskever_nesterov, F.grad, X0, n_steps=20, lr=0.1, beta=betas)
    u = np.diff(b.x, axis=0, prepend=b.x[:1])
    np.testing.assert_allclose(lookahead_point(b.x, u, beta=betas), a.x, rtol=1e-10, atol=1e-12)


def test_unknown_convention_is_named():
    with pytest.raises(ValueError, match="source must be one of"):
        translate(lr=0.1, beta=0.9, source="adam", target="pytorch")
    with pytest.raises(ValueError, match="target must be one of"):
        translate(lr=0.1, beta=0.9, source="pytorch", target=None)


# -- Demon: a momentum schedule ------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(beta=st.floats(0.0, 0.99), n=st.integers(1, 200))
def test_demon_decays_the_total_weight_linearly(beta, n):
    schedule = demon(beta=beta, n_steps=n)
    t = np.arange(n + 3)
    b = np.array([float(schedule(int(k))) for k in t])
    np.testing.assert_allclose(b / (1 - b), np.maximum(0, 1 - t / n) * beta / (1 - beta), rtol=1e-12, atol=1e-15)
    assert b[0] == beta and np.all(np.diff(b) <= 0) and np.all(b[n:] == 0)


def test_demon_keeps_pytorch_and_sutskever_equal_but_needs_a_translation_for_ema():
    n, alpha = 40, 0.3
    schedule = demon(beta=0.9, n_steps=n)
    a = run(heavy_ball, F.grad, X0, n_steps=n, lr=0.1, beta=schedule)
    b = run(sutskever, F.grad, X0, n_steps=n, lr=0.1, beta=schedule)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)
    # ema with (alpha, beta_t) is heavy ball with eta_t = alpha (1 - beta_t) and
    # beta'_t = beta_t (1 - beta_{t-1}) / (1 - beta_t)
    e = run(ema, F.grad, X0, n_steps=n, lr=alpha, beta=schedule)
    prev = lambda t: schedule(max(t - 1, 0))  # noqa: E731 - beta'_0 does not matter (v_0 = 0)
    h = run(
        heavy_ball,
        F.grad,
        X0,
        n_steps=n,
        lr=lambda t: alpha * (1 - schedule(t)),
        beta=lambda t: schedule(t) * (1 - prev(t)) / (1 - schedule(t)),
    )
    np.testing.assert_allclose(e.x, h.x, rtol=1e-10, atol=1e-12)
    # the constant-schedule translation (eta = alpha (1 - beta_0)) is not it
    naive = run(heavy_ball, F.grad, X0, n_steps=n, lr=alpha * (1 - 0.9), beta=schedule)
    assert np.abs(naive.x - e.x).max() > 1e-2


def test_demon_sweeps_an_array_of_betas():
    schedule = demon(beta=np.array([0.5, 0.9]), n_steps=10)
    np.testing.assert_allclose(schedule(5), [1 / 3, 0.45 / 0.55])
