"""Step rules: the update rules themselves, their equivalences, and PyTorch as the oracle."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import Quadratic, ema, gd, heavy_ball, nesterov, qhm, run, sutskever, sutskever_nesterov, torch_sgd

lrs = st.floats(0.0, 0.3)
betas = st.floats(0.0, 0.99)
F = Quadratic([0.5, 3.0], angle=0.4, center=[1.0, -2.0])
X0 = np.array([3.0, 1.0])


def test_heavy_ball_one_step_by_hand():
    g = F.grad(X0)
    v0 = np.array([0.3, -0.1])
    x1, v1 = heavy_ball(X0, v0, F.grad, lr=0.1, beta=0.9)
    np.testing.assert_allclose(v1, 0.9 * v0 + g)
    np.testing.assert_allclose(x1, X0 - 0.1 * (0.9 * v0 + g))


def test_nesterov_one_step_by_hand():
    g = F.grad(X0)
    v0 = np.array([0.3, -0.1])
    x1, v1 = nesterov(X0, v0, F.grad, lr=0.1, beta=0.9)
    np.testing.assert_allclose(v1, 0.9 * v0 + g)
    np.testing.assert_allclose(x1, X0 - 0.1 * (g + 0.9 * (0.9 * v0 + g)))


def test_zero_gradient_decays_velocity_by_beta():
    v0 = np.array([1.0, -2.0])
    _, v1 = heavy_ball(X0, v0, lambda x: np.zeros_like(x), lr=0.1, beta=0.7)
    np.testing.assert_allclose(v1, 0.7 * v0)


def test_constant_gradient_reaches_terminal_velocity():
    g = np.array([2.0, -1.0])
    res = run(heavy_ball, lambda x: g + 0 * x, X0, n_steps=400, lr=0.01, beta=0.9)
    np.testing.assert_allclose(res.v, g / (1 - 0.9), rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(lr=lrs)
def test_beta_zero_is_gradient_descent(lr):
    a = run(heavy_ball, F.grad, X0, n_steps=30, lr=lr, beta=0.0).x
    b = run(nesterov, F.grad, X0, n_steps=30, lr=lr, beta=0.0).x
    c = run(gd, F.grad, X0, n_steps=30, lr=lr).x
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, c)


@settings(max_examples=50, deadline=None)
@given(lr=lrs, beta=betas)
def test_sutskever_form_gives_the_same_iterates(lr, beta):
    a = run(heavy_ball, F.grad, X0, n_steps=40, lr=lr, beta=beta)
    b = run(sutskever, F.grad, X0, n_steps=40, lr=lr, beta=beta)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.v, -lr * a.v, rtol=1e-10, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(lr=lrs, beta=betas)
def test_polyak_two_term_recurrence(lr, beta):
    xs = run(heavy_ball, F.grad, X0, n_steps=40, lr=lr, beta=beta).x
    prev, x = X0, X0
    for t in range(40):
        prev, x = x, x - lr * F.grad(x) + beta * (x - prev)
        np.testing.assert_allclose(xs[t + 1], x, rtol=1e-10, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(alpha=st.floats(0.0, 3.0), beta=betas)
def test_ema_form_is_heavy_ball_with_rescaled_lr(alpha, beta):
    a = run(ema, F.grad, X0, n_steps=40, lr=alpha, beta=beta)
    b = run(heavy_ball, F.grad, X0, n_steps=40, lr=alpha * (1 - beta), beta=beta)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.v, (1 - beta) * b.v, rtol=1e-9, atol=1e-12)


def test_ema_dampening_equals_heavy_ball_dampening():
    a = run(ema, F.grad, X0, n_steps=20, lr=0.2, beta=0.8)
    b = run(heavy_ball, F.grad, X0, n_steps=20, lr=0.2, beta=0.8, dampening=0.8)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-12)


def test_ema_bias_correction_first_step_is_plain_gradient_step():
    x1, _ = ema(X0, np.zeros(2), F.grad, lr=0.1, beta=0.99, t=0, bias_correction=True)
    np.testing.assert_allclose(x1, X0 - 0.1 * F.grad(X0))


def test_ema_bias_correction_on_constant_gradient_gives_constant_steps():
    g = np.array([1.0, -3.0])
    res = run(ema, lambda x: g + 0 * x, X0, n_steps=10, lr=0.1, beta=0.9, bias_correction=True)
    np.testing.assert_allclose(np.diff(res.x, axis=0), np.broadcast_to(-0.1 * g, (10, 2)), rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(lr=lrs, beta=betas)
def test_nesterov_forms_agree(lr, beta):
    a = run(nesterov, F.grad, X0, n_steps=40, lr=lr, beta=beta)
    b = run(sutskever_nesterov, F.grad, X0, n_steps=40, lr=lr, beta=beta)
    # PyTorch's iterates are the look-ahead points x + beta u of the Sutskever form
    u = np.diff(b.x, axis=0, prepend=b.x[:1])
    np.testing.assert_allclose(a.x, b.x + beta * u, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rule", [gd, heavy_ball, nesterov, sutskever, sutskever_nesterov, ema])
def test_rules_are_pure(rule):
    x, v = X0.copy(), np.array([0.5, 0.5])
    kwargs = {"lr": 0.1} if rule is gd else {"lr": 0.1, "beta": 0.5}
    rule(x, v, F.grad, **kwargs)
    np.testing.assert_array_equal(x, X0)
    np.testing.assert_array_equal(v, [0.5, 0.5])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -0.1, "beta": 0.5}, r"lr must lie in \[0, inf\), got -0.1"),
        ({"lr": float("nan"), "beta": 0.5}, "lr must be finite"),
        ({"lr": 0.1, "beta": 1.0}, r"beta must lie in \[0, 1\), got 1.0"),
        ({"lr": 0.1, "beta": -0.2}, r"beta must lie in \[0, 1\)"),
        ({"lr": 0.1, "beta": 0.5, "dampening": 1.5}, r"dampening must lie in \[0, 1\)"),
    ],
)
def test_direct_calls_reject_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        heavy_ball(X0, np.zeros(2), F.grad, **kwargs)


@settings(max_examples=30)
@given(lr=lrs, beta=betas)
def test_torch_sgd_without_dampening_is_heavy_ball(lr, beta):
    a = run(torch_sgd, F.grad, X0, n_steps=30, lr=lr, beta=beta).x
    np.testing.assert_array_equal(a, run(heavy_ball, F.grad, X0, n_steps=30, lr=lr, beta=beta).x)


# --- PyTorch as the oracle ------------------------------------------------------------------

torch = pytest.importorskip("torch", reason="torch is the optional oracle: pip install torch==2.13.0")


def torch_iterates(lr, beta, n_steps, *, nesterov_=False, dampening=0.0, x0=X0, f=F):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr, momentum=beta, nesterov=nesterov_, dampening=dampening)
    a = torch.tensor(f.matrix)
    c = torch.tensor(f.center)
    out = [x.detach().numpy().copy()]
    for _ in range(n_steps):
        opt.zero_grad()
        loss = 0.5 * (x - c) @ a @ (x - c)
        loss.backward()
        opt.step()
        out.append(x.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize(("lr", "beta"), [(0.1, 0.0), (0.1, 0.9), (0.3, 0.5), (0.05, 0.99)])
def test_heavy_ball_matches_torch_sgd(lr, beta):
    ours = run(heavy_ball, F.grad, X0, n_steps=100, lr=lr, beta=beta).x
    np.testing.assert_allclose(ours, torch_iterates(lr, beta, 100), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(("lr", "beta"), [(0.1, 0.9), (0.3, 0.5), (0.05, 0.99)])
def test_nesterov_matches_torch_sgd(lr, beta):
    ours = run(nesterov, F.grad, X0, n_steps=100, lr=lr, beta=beta).x
    np.testing.assert_allclose(ours, torch_iterates(lr, beta, 100, nesterov_=True), rtol=1e-12, atol=1e-13)


def test_torch_sgd_is_torch_and_differs_from_heavy_ball_only_by_its_first_step():
    lr, beta, tau = 0.1, 0.9, 0.5
    theirs = torch_iterates(lr, beta, 30, dampening=tau)
    ours = run(torch_sgd, F.grad, X0, n_steps=30, lr=lr, beta=beta, dampening=tau).x
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)
    damped = run(heavy_ball, F.grad, X0, n_steps=30, lr=lr, beta=beta, dampening=tau).x
    assert np.abs(damped[1] - theirs[1]).max() > 1e-3  # PyTorch's first step ignores dampening
    # from then on PyTorch follows heavy_ball's rule, from its undamped first velocity
    x2, _ = heavy_ball(theirs[1], F.grad(X0), F.grad, lr=lr, beta=beta, dampening=tau)
    np.testing.assert_allclose(x2, theirs[2], rtol=1e-12)


# -- QHM ---------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(alpha=st.floats(0.001, 2.0), beta=st.floats(0.0, 0.95))
def test_qhm_contains_heavy_ball_nesterov_and_gd(alpha, beta):
    """Ma & Yarats (2019): nu = 1 is heavy ball, nu = beta is Nesterov (eta = alpha (1 - beta)), nu = 0 is gd."""
    f = Quadratic([0.3, 2.0], angle=1.0)
    x0, eta = [2.0, -1.0], alpha * (1 - beta)
    q = {nu: run(qhm, f.grad, x0, n_steps=30, lr=alpha, beta=beta, nu=nu) for nu in (1.0, beta, 0.0)}
    hb = run(heavy_ball, f.grad, x0, n_steps=30, lr=eta, beta=beta)
    np.testing.assert_allclose(q[1.0].x, hb.x, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(q[1.0].v, (1 - beta) * hb.v, rtol=1e-8, atol=1e-11)
    nag = run(nesterov, f.grad, x0, n_steps=30, lr=eta, beta=beta)
    np.testing.assert_allclose(q[beta].x, nag.x, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(q[0.0].x, run(gd, f.grad, x0, n_steps=30, lr=alpha).x, rtol=1e-12, atol=1e-14)


def test_qhm_nu_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"nu must lie in \[0, 1\]"):
        run(qhm, lambda x: x, [1.0], n_steps=2, lr=0.1, beta=0.5, nu=1.5)
