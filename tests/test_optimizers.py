"""The optimizers of mom_lib.optimizers, each against the reference that defines it.

* Adam, AdamW, NAdam: ``torch.optim`` in float64 (skipped when torch is absent).
* Lion: Algorithm 2 of Chen et al. (2023), written out below as a loop.
* schedule-free SGD: the update equations of Defazio et al. (2024), written out below, and
  ``schedulefree.SGDScheduleFree`` when that package is installed.
* Newton-Schulz and Muon: ``torch.optim.Muon``, once with its iteration in float64 (its own code
  with only the dtype changed: round-off agreement) and once as shipped, in bfloat16.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import (
    AdamState,
    NAdamState,
    Quadratic,
    ScheduleFreeState,
    adam,
    adamw,
    gd,
    lion,
    muon,
    nadam,
    newton_schulz,
    run,
    schedule_free_sgd,
)

# a rotated, ill-conditioned quadratic with its minimizer off the origin
ROTATION = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
F = Quadratic([0.5, 2.0, 10.0], rotation=ROTATION, center=[0.3, -0.2, 0.1])
X0 = np.array([1.0, -1.5, 0.7])
T = 40


def torch_trajectory(opt_cls, grad_fn, x0, n_steps, **kw) -> np.ndarray:
    """The iterates of a ``torch.optim`` optimizer in float64, the gradient set by hand each step."""
    return np.array([x for x, _ in torch_steps(opt_cls, grad_fn, x0, n_steps, **kw)])


def torch_steps(opt_cls, grad_fn, x0, n_steps, **kw):
    """(x_t, torch's state before step t) for t = 0, ..., n_steps (the last state is None)."""
    torch = pytest.importorskip("torch")
    p = torch.tensor(np.array(x0, dtype=float), dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    out = []
    for _ in range(n_steps):
        state = {k: (v.double().numpy().copy() if v.ndim else float(v)) for k, v in opt.state[p].items()}
        out.append((p.detach().numpy().copy(), state))
        p.grad = torch.tensor(grad_fn(p.detach().numpy().copy()), dtype=torch.float64)
        opt.step()
    out.append((p.detach().numpy().copy(), None))
    return out


def our_state(name: str, state: dict, x: np.ndarray):
    """torch's state before a step as ours (a fresh state before the first step)."""
    if not state:
        return {"Adam": adam, "AdamW": adamw, "NAdam": nadam}[name].init(x)
    count = int(state["step"])
    if name == "NAdam":
        return NAdamState(count, np.full_like(x, state["mu_product"]), state["exp_avg"], state["exp_avg_sq"])
    return AdamState(count, state["exp_avg"], state["exp_avg_sq"])


def assert_steps_equal_torch(name, rule, hp, tol, **extra):
    """Every step of ours, from torch's state, lands where torch's step lands (to ``tol``).

    Step by step from a common state, not along two separate trajectories: with a large lr
    Adam near a minimizer moves like sign descent, chaotically, and two trajectories that agree
    to round-off at first separate, whatever the implementations (measured: 1.2e-7 apart after
    37 steps at lr = 0.5, beta1 = 0.5, beta2 = 0, eps = 2^-7).
    """
    torch = pytest.importorskip("torch")
    extra_torch = (
        {"decoupled_weight_decay": extra["decoupled_weight_decay"]} if "decoupled_weight_decay" in extra else {}
    )
    if "momentum_decay" in extra:
        extra_torch["momentum_decay"] = extra["momentum_decay"]
    steps = torch_steps(getattr(torch.optim, name), F.grad, X0, T, **_torch_kw(hp), **extra_torch)
    for (x, state), (x_next, _) in zip(steps[:-1], steps[1:], strict=True):
        ours, _ = rule(x, our_state(name, state, x), F.grad, **hp, **extra)
        np.testing.assert_allclose(ours, x_next, rtol=tol, atol=tol)


# hyperparameters in range; eps not so small that 1 / (sqrt(s) + eps) is beyond float64's
# precision near a vanishing gradient (there any two implementations differ)
HYPER = st.fixed_dictionaries(
    {
        "lr": st.floats(1e-4, 0.5),
        "beta1": st.floats(0.0, 0.99),
        "beta2": st.floats(0.0, 0.9999),
        "eps": st.floats(1e-8, 1e-2),
        "weight_decay": st.floats(0.0, 0.5),
    }
)


def _torch_kw(hp: dict) -> dict:
    return {"lr": hp["lr"], "betas": (hp["beta1"], hp["beta2"]), "eps": hp["eps"], "weight_decay": hp["weight_decay"]}


@settings(max_examples=40, deadline=None)
@given(hp=HYPER)
def test_adam_equals_torch_adam(hp):
    assert_steps_equal_torch("Adam", adam, hp, 1e-10)


@settings(max_examples=40, deadline=None)
@given(hp=HYPER)
def test_adamw_equals_torch_adamw(hp):
    assert_steps_equal_torch("AdamW", adamw, hp, 1e-10)


@settings(max_examples=40, deadline=None)
@given(hp=HYPER, momentum_decay=st.floats(0.0, 0.1), decoupled=st.booleans())
def test_nadam_equals_torch_nadam(hp, momentum_decay, decoupled):
    """To 1e-7, not 1e-10: torch keeps NAdam's step count and its product of momenta
    mu_1 ... mu_t as float32 tensors (``torch.tensor(1.0)``, the default dtype). The count is
    exact in float32, the product is not: its step sizes (1 - mu_t) / (1 - prod) carry float32
    round-off, about 6e-8 relative (measured: up to 3.6e-9 in x over 100 random settings)."""
    assert_steps_equal_torch("NAdam", nadam, hp, 1e-7, momentum_decay=momentum_decay, decoupled_weight_decay=decoupled)


@pytest.mark.parametrize("rule, name", [(adam, "Adam"), (adamw, "AdamW"), (nadam, "NAdam")])
def test_whole_runs_equal_torch_on_a_grid(rule, name):
    """run() over a batched grid, against torch config by config, over whole trajectories
    (small learning rates, where round-off is not amplified)."""
    torch = pytest.importorskip("torch")
    lrs, beta1s = np.array([0.001, 0.01, 0.03]), np.array([0.0, 0.5, 0.9, 0.99])
    res = run(rule, F.grad, X0, n_steps=T, lr=lrs[:, None], beta1=beta1s, weight_decay=0.05)
    tol = 1e-7 if name == "NAdam" else 1e-10
    for i, lr in enumerate(lrs):
        for j, b1 in enumerate(beta1s):
            theirs = torch_trajectory(
                getattr(torch.optim, name), F.grad, X0, T, lr=lr, betas=(b1, 0.999), weight_decay=0.05
            )
            np.testing.assert_allclose(res.x[:, i, j], theirs, rtol=tol, atol=tol)


def test_adam_state_is_named_and_counts_steps():
    res = run(adam, F.grad, X0, n_steps=7, lr=0.1)
    assert isinstance(res.v, AdamState) and res.v.count == 7
    assert res.v.mu.shape == res.v.nu.shape == (3,) and np.all(res.v.nu > 0)
    res = run(nadam, F.grad, X0, n_steps=3, lr=0.1)
    assert isinstance(res.v, NAdamState) and res.v.count == 3
    mus = 0.9 * (1 - 0.5 * 0.96 ** (np.arange(1, 4) * 4e-3))
    np.testing.assert_allclose(res.v.mu_product, np.prod(mus), rtol=1e-15)


def test_adam_with_zero_betas_is_sign_descent():
    """beta1 = beta2 = 0: m / sqrt(s) = g / |g|, so each step is lr * sign(g) (up to eps)."""
    lr = 0.01
    res = run(adam, F.grad, X0, n_steps=5, lr=lr, beta1=0.0, beta2=0.0, eps=1e-300)
    steps = -np.diff(res.x, axis=0)
    signs = np.sign(np.array([F.grad(x) for x in res.x[:-1]]))
    np.testing.assert_allclose(steps, lr * signs, rtol=1e-13)


# -- Lion ------------------------------------------------------------------------------------


def lion_paper(grad_fn, x0, n_steps, lr, beta1, beta2, weight_decay):
    """Algorithm 2 of Chen et al. (2023), line by line, one coordinate vector at a time."""
    theta, m = np.array(x0, dtype=float), np.zeros(len(x0))
    out = [theta.copy()]
    for _ in range(n_steps):
        g = grad_fn(theta)
        update = beta1 * m + (1 - beta1) * g  # interpolation
        update = np.sign(update) + weight_decay * theta
        theta = theta - lr * update
        m = beta2 * m + (1 - beta2) * g  # momentum update
        out.append(theta.copy())
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(1e-4, 0.5),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.999),
    weight_decay=st.floats(0.0, 1.0),
)
def test_lion_equals_algorithm_2(lr, beta1, beta2, weight_decay):
    hp = {"lr": lr, "beta1": beta1, "beta2": beta2, "weight_decay": weight_decay}
    ours = run(lion, F.grad, X0, n_steps=T, **hp).x
    np.testing.assert_allclose(ours, lion_paper(F.grad, X0, T, **hp), rtol=1e-14, atol=1e-15)


def test_lion_batched_equals_single_runs():
    lrs = np.array([0.001, 0.01, 0.1])
    res = run(lion, F.grad, X0, n_steps=T, lr=lrs, beta1=0.8)
    for i, lr in enumerate(lrs):
        np.testing.assert_array_equal(res.x[:, i], run(lion, F.grad, X0, n_steps=T, lr=lr, beta1=0.8).x)


# -- schedule-free SGD -----------------------------------------------------------------------


def schedule_free_paper(grad_fn, x0, n_steps, lr, beta, weight_decay):
    """The schedule-free SGD equations of Defazio et al. (2024), counting from t = 1:
    y_t = (1 - beta) z_t + beta x_t, z_{t+1} = z_t - lr grad(y_t), x_{t+1} = (1 - c) x_t + c z_{t+1}
    with c = c_{t+1} = 1 / (t + 1) and z_1 = x_1 = x0 (decay, as in the reference code, at y_t)."""
    x = z = np.array(x0, dtype=float)
    out = [x.copy()]
    for t in range(1, n_steps + 1):
        y = (1 - beta) * z + beta * x
        z = z - lr * (grad_fn(y) + weight_decay * y)
        c = 1 / (t + 1)
        x = (1 - c) * x + c * z
        out.append(x.copy())
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(lr=st.floats(1e-4, 0.19), beta=st.floats(0.0, 0.99), weight_decay=st.floats(0.0, 0.5))
def test_schedule_free_sgd_equals_the_papers_equations(lr, beta, weight_decay):
    hp = {"lr": lr, "beta": beta, "weight_decay": weight_decay}
    res = run(schedule_free_sgd, F.grad, X0, n_steps=T, **hp)
    np.testing.assert_allclose(res.x, schedule_free_paper(F.grad, X0, T, **hp), rtol=1e-13, atol=1e-14)
    assert isinstance(res.v, ScheduleFreeState) and res.v.count == T


def test_schedule_free_with_beta_zero_averages_sgd():
    """beta = 0: gradients at z, so z is plain SGD and x_t is the mean of z_0, ..., z_t."""
    res = run(schedule_free_sgd, F.grad, X0, n_steps=T, lr=0.05, beta=0.0)
    sgd = run(gd, F.grad, X0, n_steps=T, lr=0.05).x
    means = np.cumsum(sgd, axis=0) / np.arange(1, T + 2)[:, None]
    np.testing.assert_allclose(res.x, means, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("beta, weight_decay", [(0.9, 0.0), (0.5, 0.1), (0.95, 0.01)])
def test_schedule_free_sgd_equals_the_reference_package(beta, weight_decay):
    """``average_start=False`` is schedulefree.SGDScheduleFree (no warm-up): its model holds y_t
    while training and x_t after ``eval()``."""
    torch = pytest.importorskip("torch")
    sf = pytest.importorskip("schedulefree")
    lr = 0.05
    for n in (1, 2, 10, T):
        p = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        opt = sf.SGDScheduleFree([p], lr=lr, momentum=beta, weight_decay=weight_decay, warmup_steps=0)
        opt.train()
        for _ in range(n):
            p.grad = torch.tensor(F.grad(p.detach().numpy().copy()), dtype=torch.float64)
            opt.step()
        opt.eval()
        theirs = p.detach().numpy()
        ours = run(
            schedule_free_sgd, F.grad, X0, n_steps=n, lr=lr, beta=beta, weight_decay=weight_decay, average_start=False
        ).final
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# -- Newton-Schulz and Muon ------------------------------------------------------------------

NS = (3.4445, -4.7750, 2.0315)


def torch_newton_schulz_float64(grad, ns_coefficients, ns_steps, eps):
    """torch.optim._muon._zeropower_via_newtonschulz with ``grad.bfloat16()`` replaced by float64."""
    import torch

    a, b, c = ns_coefficients
    ortho = grad.double()
    if grad.size(0) > grad.size(1):
        ortho = ortho.T
    ortho = ortho / ortho.norm().clamp(min=eps)
    for _ in range(ns_steps):
        gram = ortho @ ortho.T
        update = torch.addmm(gram, gram, gram, beta=b, alpha=c)
        ortho = torch.addmm(ortho, update, ortho, beta=a)
    if grad.size(0) > grad.size(1):
        ortho = ortho.T
    return ortho


SHAPES = [(4, 6), (6, 4), (16, 16), (32, 8), (1, 5), (5, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_newton_schulz_equals_torch_in_float64_and_in_bfloat16(shape):
    """Two comparisons. With torch's iteration in float64 (its code, dtype changed), to round-off.
    As shipped, torch runs it in bfloat16 (8 significant bits, unit round-off 2^-9 = 0.002); the
    quintic's slope at small singular values is up to a^5 = 490 over five steps, so round-off in
    the directions of the small singular values grows: entries agree to 0.1 of the largest entry
    (the largest difference measured over these shapes and 20 scales is 0.073)."""
    torch = pytest.importorskip("torch")
    from torch.optim._muon import _zeropower_via_newtonschulz

    rng = np.random.default_rng(1)
    for scale in 10.0 ** np.linspace(-3, 3, 7):
        g = scale * rng.standard_normal(shape)
        ours = newton_schulz(g)
        f64 = torch_newton_schulz_float64(torch.tensor(g), NS, 5, 1e-7).numpy()
        np.testing.assert_allclose(ours, f64, rtol=0, atol=1e-12 * np.abs(f64).max())
        bf16 = _zeropower_via_newtonschulz(torch.tensor(g), NS, 5, 1e-7).double().numpy()
        assert np.abs(ours - bf16).max() <= 0.1 * np.abs(ours).max()


def test_newton_schulz_is_batched_over_leading_axes():
    g = np.random.default_rng(2).standard_normal((3, 2, 4, 6))
    out = newton_schulz(g, steps=3)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(out[i, j], newton_schulz(g[i, j], steps=3), rtol=0, atol=1e-14)


def test_newton_schulz_singular_values_lie_in_a_band_around_one():
    """The band is set by the coefficients: five steps send every singular value into [0.68, 1.2]."""
    rng = np.random.default_rng(3)
    s = np.linalg.svd(newton_schulz(rng.standard_normal((200, 32, 64))), compute_uv=False)
    assert 0.6 < s.min() and s.max() < 1.25


def test_newton_schulz_with_zero_steps_is_the_normalized_input():
    g = np.array([[3.0, 4.0]])
    np.testing.assert_allclose(newton_schulz(g, steps=0), g / 5.0)
    np.testing.assert_array_equal(newton_schulz(np.zeros((2, 3))), np.zeros((2, 3)))


def _torch_muon(x0, grad_fn, n_steps, **kw):
    torch = pytest.importorskip("torch")
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Muon([p], **kw)
    for _ in range(n_steps):
        p.grad = torch.tensor(grad_fn(p.detach().numpy().copy()), dtype=torch.float64)
        opt.step()
    return p.detach().numpy()


A_MAT = np.random.default_rng(4).standard_normal((8, 8)) / 3


def matrix_grad(x):
    """Gradient of 0.5 ||A X - B||_F^2 with B = ones: A^T (A X - B), for X of shape (..., 8, 5)."""
    return A_MAT.T @ (A_MAT @ x - 1.0)


@pytest.mark.parametrize("adjust", ["original", "match_rms_adamw"])
@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("shape", [(8, 5), (5, 8)])
def test_muon_equals_torch_muon(adjust, nesterov, shape, monkeypatch):
    """Exactly (1e-12) with torch's Newton-Schulz run in float64; within bfloat16 round-off as shipped:
    every step moves X by lr * s * NS(U), and bfloat16 perturbs NS(U) by up to 0.1 of its largest
    entry (see above), so after n steps the iterates differ by at most n * lr * s * 0.1 * max|NS|
    (max|NS| <= 1.2: a row of an almost orthogonal matrix)."""
    pytest.importorskip("torch")
    import torch.optim._muon as tm

    grad = matrix_grad if shape == (8, 5) else (lambda x: matrix_grad(x.swapaxes(-1, -2)).swapaxes(-1, -2))
    x0 = np.random.default_rng(5).standard_normal(shape)
    kw = {"lr": 0.02, "weight_decay": 0.1, "momentum": 0.9, "nesterov": nesterov, "adjust_lr_fn": adjust}
    n = 15
    ours = run(muon, grad, x0, n_steps=n, lr=0.02, weight_decay=0.1, beta=0.9, nesterov=nesterov, adjust_lr_fn=adjust)
    bf16 = _torch_muon(x0, grad, n, **kw)
    scale = max(1, shape[0] / shape[1]) ** 0.5 if adjust == "original" else 0.2 * max(shape) ** 0.5
    assert np.abs(ours.final - bf16).max() <= n * 0.02 * scale * 0.1 * 1.2
    monkeypatch.setattr(tm, "_zeropower_via_newtonschulz", torch_newton_schulz_float64)
    f64 = _torch_muon(x0, grad, n, **kw)
    np.testing.assert_allclose(ours.final, f64, rtol=0, atol=1e-12)


def test_muon_batched_over_matrices_equals_single_runs():
    x0 = np.random.default_rng(6).standard_normal((3, 8, 5))
    lrs = np.array([0.01, 0.02, 0.05])
    res = run(muon, matrix_grad, x0, n_steps=10, lr=lrs[:, None], beta=0.9)
    assert res.final.shape == (3, 8, 5) and res.diverged.shape == (3, 8)
    for i in range(3):
        single = run(muon, matrix_grad, x0[i], n_steps=10, lr=lrs[i], beta=0.9).final
        np.testing.assert_allclose(res.final[i], single, rtol=0, atol=1e-14)


def test_muon_refuses_a_vector_and_an_unknown_adjustment():
    with pytest.raises(ValueError, match="x must be a matrix"):
        muon(np.ones(3), np.zeros(3), lambda x: x, lr=0.1)
    with pytest.raises(ValueError, match="adjust_lr_fn must be one of"):
        run(muon, lambda x: x, np.ones((2, 3)), n_steps=2, lr=0.1, adjust_lr_fn="rms")
    with pytest.raises(TypeError, match="adjust_lr_fn must be a str"):
        run(muon, lambda x: x, np.ones((2, 3)), n_steps=2, lr=0.1, adjust_lr_fn=1.0)


# -- direct calls and ranges -----------------------------------------------------------------


@pytest.mark.parametrize("rule", [adam, adamw, nadam, schedule_free_sgd])
def test_direct_calls_check_the_named_state(rule):
    x = np.ones(2)
    with pytest.raises(TypeError, match="state must be a"):
        rule(x, np.zeros(2), lambda x: x, lr=0.1)
    good = rule.init(x)
    with pytest.raises(ValueError, match=f"state.{good._fields[1]} must have the shape of x"):
        rule(x, good._replace(**{good._fields[1]: np.zeros(3)}), lambda x: x, lr=0.1)
    with pytest.raises(ValueError, match="state.count must be a whole number >= 0"):
        rule(x, good._replace(count=-1), lambda x: x, lr=0.1)
    x1, s1 = rule(x, good, lambda x: x, lr=0.1)
    x2 = run(rule, lambda x: x, x, n_steps=1, lr=0.1).final
    np.testing.assert_array_equal(x1, x2)
    assert s1.count == 1


@pytest.mark.parametrize(
    "rule, name, value, match",
    [
        (adam, "beta1", 1.0, r"beta1 must lie in \[0, 1\)"),
        (adam, "beta2", -0.1, r"beta2 must lie in \[0, 1\)"),
        (adam, "eps", 0.0, r"eps must lie in \(0, inf\)"),
        (adamw, "weight_decay", -1.0, r"weight_decay must lie in \[0, inf\)"),
        (nadam, "momentum_decay", -1.0, r"momentum_decay must lie in \[0, inf\)"),
        (lion, "beta2", 1.5, r"beta2 must lie in \[0, 1\)"),
        (schedule_free_sgd, "beta", 1.0, r"beta must lie in \[0, 1\)"),
    ],
)
def test_hyperparameters_out_of_range_are_refused_by_name(rule, name, value, match):
    with pytest.raises(ValueError, match=match):
        run(rule, F.grad, X0, n_steps=2, lr=0.1, **{name: value})
