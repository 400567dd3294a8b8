"""Conventions: the translator and the state scalings give identical iterates; schedules break them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import (
    CONVENTIONS,
    Quadratic,
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
