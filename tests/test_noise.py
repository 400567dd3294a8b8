"""mom_lib.noise: the noisy quadratic model, the closed-form stationary covariance and the exact
expected loss, each checked against seeded Monte Carlo simulation with stated standard errors."""

import numpy as np
import pytest

from mom_lib import (
    NoisyQuadratic,
    critical_batch_size,
    expected_loss,
    expected_loss_curves,
    heavy_ball,
    nesterov,
    rate,
    run,
    stationary_covariance,
    steps_to_target,
    tuned_steps_to_target,
)
from mom_lib.noise import time_grid


def simulate(lam, x0, *, lr, beta, batch_size, n_steps, n_runs, seed, method="heavy_ball", average_from=None):
    """Plain Monte Carlo of momentum on the NQM, written out independently of mom_lib.noise.

    Returns the loss of every run at every step, shape (n_steps + 1, n_runs)."""
    rng = np.random.default_rng(seed)
    lam = np.asarray(lam, dtype=float)
    x = np.broadcast_to(np.asarray(x0, dtype=float), (n_runs, lam.size)).copy()
    v = np.zeros_like(x)
    total = np.zeros_like(x)
    losses = [0.5 * (lam * x * x).sum(-1)]
    for t in range(n_steps):
        g = lam * x + np.sqrt(lam / batch_size) * rng.standard_normal(x.shape)
        v = beta * v + g
        x = x - lr * (v if method == "heavy_ball" else g + beta * v)
        if average_from is not None and t >= average_from:
            total = total + x
            xbar = total / (t + 1 - average_from)
            losses.append(0.5 * (lam * xbar * xbar).sum(-1))
        else:
            losses.append(0.5 * (lam * x * x).sum(-1))
    return np.array(losses)


# --------------------------------------------------------------------------- the objective


def test_value_and_exact_gradient():
    f = NoisyQuadratic([2.0, 0.5])
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(f.value(x), [0.5 * (2 + 0.5 * 4), 0.5 * (18 + 0.5)])
    np.testing.assert_allclose(f.grad(x), [[2.0, 1.0], [6.0, -0.5]])
    assert f.mu == 0.5 and f.L == 2.0 and f.minimum == 0.0


def test_zhang_spectrum():
    f = NoisyQuadratic.zhang(200)
    assert f.d == 200
    np.testing.assert_allclose(f.eigenvalues, 1.0 / np.arange(1, 201))


@pytest.mark.parametrize("batch_size", [1, 4, 64])
def test_noise_has_mean_zero_and_covariance_h_over_b(batch_size):
    f = NoisyQuadratic([1.0, 0.25, 0.01])
    grad = f.stochastic_grad(rng=np.random.default_rng(3), batch_size=batch_size)
    x = np.ones((40000, 3))
    noise = grad(x) - f.grad(x)
    n = noise.shape[0]
    var = f.eigenvalues / batch_size
    # mean: standard error sqrt(var / n); variance of a Gaussian sample: standard error var * sqrt(2 / n)
    assert np.all(np.abs(noise.mean(0)) < 5 * np.sqrt(var / n))
    assert np.all(np.abs(noise.var(0) - var) < 5 * var * np.sqrt(2 / n))
    cross = (noise[:, 0] * noise[:, 1]).mean()
    assert abs(cross) < 5 * np.sqrt(var[0] * var[1] / n)  # independent coordinates


def test_batch_size_broadcasts_over_leading_axes():
    f = NoisyQuadratic([1.0, 1.0])
    grad = f.stochastic_grad(rng=np.random.default_rng(0), batch_size=np.array([[1.0], [100.0]]))
    noise = grad(np.zeros((2, 5000, 2)))
    ratio = noise[0].var() / noise[1].var()
    assert 80 < ratio < 125  # 100 within its sampling error


def test_seeded_noise_is_reproducible():
    f = NoisyQuadratic.zhang(5)
    a = f.stochastic_grad(rng=np.random.default_rng(7), batch_size=2)(np.ones(5))
    b = f.stochastic_grad(rng=np.random.default_rng(7), batch_size=2)(np.ones(5))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0.5}, "batch_size must be finite and >= 1"),
        ({"batch_size": np.nan}, "batch_size must be finite and >= 1"),
        ({"batch_size": [1.0, 0.0]}, "batch_size must be finite and >= 1"),
    ],
)
def test_bad_batch_size(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NoisyQuadratic([1.0]).stochastic_grad(rng=np.random.default_rng(0), **kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        NoisyQuadratic([1.0]).stochastic_grad(rng=0)
    with pytest.raises(ValueError, match="eigenvalues must be finite and >= 0"):
        NoisyQuadratic([1.0, -1.0])
    with pytest.raises(ValueError, match="eigenvalues must be a non-empty 1-D"):
        NoisyQuadratic([])
    with pytest.raises(ValueError, match="d must be a whole number >= 1"):
        NoisyQuadratic.zhang(0)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\)"):
        NoisyQuadratic([1.0, 2.0]).value([1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- stationary covariance


@pytest.mark.parametrize(("lam", "lr", "beta"), [(1.0, 0.1, 0.0), (1.0, 0.1, 0.9), (0.3, 2.0, 0.5), (2.0, 1.5, 0.95)])
def test_stationary_covariance_solves_the_lyapunov_equation(lam, lr, beta):
    s2 = 0.7
    P = stationary_covariance(lam, lr=lr, beta=beta, noise_var=s2)
    R = np.array([[1 - lr * lam, -lr * beta], [lam, beta]])
    b = np.array([-lr, 1.0])
    np.testing.assert_allclose(P, R @ P @ R.T + s2 * np.outer(b, b), rtol=1e-12, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(P) > 0)


def test_stationary_covariance_beta_zero_is_sgd():
    lam, lr = np.array([0.5, 1.0, 3.0]), 0.4
    P = stationary_covariance(lam, lr=lr, beta=0.0, noise_var=1.0)
    np.testing.assert_allclose(P[..., 0, 0], lr / (lam * (2 - lr * lam)))


def test_stationary_covariance_broadcasts():
    P = stationary_covariance(np.array([1.0, 2.0])[:, None], lr=0.1, beta=np.array([0.0, 0.5, 0.9]), noise_var=1.0)
    assert P.shape == (2, 3, 2, 2)


@pytest.mark.parametrize(("lr", "beta"), [(0.05, 0.9), (0.5, 0.5), (1.2, 0.0)])
def test_stationary_covariance_against_monte_carlo(lr, beta):
    lam, sigma, n_runs, burn, n_keep = 1.0, 1.0, 4000, 600, 200
    rng = np.random.default_rng(11)
    x, v = np.zeros(n_runs), np.zeros(n_runs)
    samples = []
    for t in range(burn + n_keep):
        v = beta * v + lam * x + sigma * rng.standard_normal(n_runs)
        x = x - lr * v
        if t >= burn and (t - burn) % 20 == 0:
            samples.append(np.stack([x * x, x * v, v * v]))
    s = np.array(samples)  # (10, 3, n_runs)
    per_run = s.mean(axis=0)  # (3, n_runs); the runs are independent
    mean, se = per_run.mean(axis=1), per_run.std(axis=1) / np.sqrt(n_runs)
    P = stationary_covariance(lam, lr=lr, beta=beta, noise_var=sigma**2)
    predicted = np.array([P[0, 0], P[0, 1], P[1, 1]])
    assert np.all(np.abs(mean - predicted) < 5 * se), (mean, predicted, se)


def test_stationary_covariance_outside_the_edge():
    with pytest.raises(ValueError, match="inside the stability edge"):
        stationary_covariance(1.0, lr=3.5, beta=0.5, noise_var=1.0)
    with pytest.raises(ValueError, match="lam must be finite and > 0"):
        stationary_covariance(0.0, lr=0.1, beta=0.5, noise_var=1.0)
    with pytest.raises(ValueError, match=r"beta must lie in \[0, 1\)"):
        stationary_covariance(1.0, lr=0.1, beta=1.0, noise_var=1.0)


# --------------------------------------------------------------------------- the exact expected loss


@pytest.mark.parametrize(
    ("method", "lr", "beta", "batch_size"),
    [("heavy_ball", 0.3, 0.9, 4.0), ("heavy_ball", 1.0, 0.0, 1.0), ("nesterov", 0.2, 0.8, 2.0)],
)
def test_expected_loss_against_monte_carlo(method, lr, beta, batch_size):
    f = NoisyQuadratic.zhang(10)
    x0, T, n_runs = np.ones(10), 120, 3000
    exact = expected_loss(f, x0, lr=lr, beta=beta, batch_size=batch_size, n_steps=T, method=method)
    mc = simulate(
        f.eigenvalues, x0, lr=lr, beta=beta, batch_size=batch_size, n_steps=T, n_runs=n_runs, seed=5, method=method
    )
    se = mc.std(axis=1) / np.sqrt(n_runs)
    checked = [10, 30, 60, 120]
    z = np.abs(mc.mean(axis=1)[checked] - exact[checked]) / se[checked]
    assert np.all(z < 5), z


def test_expected_loss_of_the_average_against_monte_carlo():
    f = NoisyQuadratic.zhang(8)
    x0, T, s, n_runs = np.ones(8), 300, 100, 3000
    exact = expected_loss(f, x0, lr=0.5, beta=0.5, batch_size=1, n_steps=T, average_from=s)
    mc = simulate(f.eigenvalues, x0, lr=0.5, beta=0.5, batch_size=1, n_steps=T, n_runs=n_runs, seed=9, average_from=s)
    se = mc.std(axis=1) / np.sqrt(n_runs)
    for t in [50, 101, 150, 300]:
        assert abs(mc[:, :].mean(axis=1)[t] - exact[t]) < 5 * se[t], t
    # the same as the last iterate up to and including step s
    plain = expected_loss(f, x0, lr=0.5, beta=0.5, batch_size=1, n_steps=T)
    np.testing.assert_allclose(exact[: s + 1], plain[: s + 1])
    assert exact[-1] < 0.2 * plain[-1]


def test_expected_loss_reaches_the_stationary_floor():
    f = NoisyQuadratic([1.0, 0.5, 0.2])
    lr, beta, B = 0.2, 0.8, 8.0
    loss = expected_loss(f, np.ones(3), lr=lr, beta=beta, batch_size=B, n_steps=3000)
    P = stationary_covariance(f.eigenvalues, lr=lr, beta=beta, noise_var=f.eigenvalues / B)
    floor = 0.5 * (f.eigenvalues * P[..., 0, 0]).sum()
    assert abs(loss[-1] / floor - 1) < 1e-10


def test_expected_loss_without_noise_is_the_deterministic_run():
    f = NoisyQuadratic([1.0, 0.1])
    loss = expected_loss(f, [1.0, -2.0], lr=0.5, beta=0.7, batch_size=1e300, n_steps=50)
    res = run(heavy_ball, f.grad, [1.0, -2.0], n_steps=50, lr=0.5, beta=0.7)
    np.testing.assert_allclose(loss, f.value(res.x), rtol=1e-10, atol=1e-300)
    loss_n = expected_loss(f, [1.0, -2.0], lr=0.5, beta=0.7, batch_size=1e300, n_steps=50, method="nesterov")
    res_n = run(nesterov, f.grad, [1.0, -2.0], n_steps=50, lr=0.5, beta=0.7)
    np.testing.assert_allclose(loss_n, f.value(res_n.x), rtol=1e-10, atol=1e-300)


def test_expected_loss_batches_and_schedules():
    f = NoisyQuadratic.zhang(6)
    lrs, betas = np.array([0.1, 0.5])[:, None], np.array([0.0, 0.9])
    batch = expected_loss(f, np.ones(6), lr=lrs, beta=betas, batch_size=2, n_steps=40)
    assert batch.shape == (41, 2, 2)
    for i in range(2):
        for j in range(2):
            one = expected_loss(f, np.ones(6), lr=float(lrs[i, 0]), beta=float(betas[j]), batch_size=2, n_steps=40)
            np.testing.assert_allclose(batch[:, i, j], one)
    decayed = expected_loss(f, np.ones(6), lr=lambda t: 0.5 if t < 20 else 0.25, batch_size=1, n_steps=40)
    const = expected_loss(f, np.ones(6), lr=0.5, batch_size=1, n_steps=40)
    np.testing.assert_allclose(decayed[:21], const[:21])
    assert decayed[-1] < const[-1]


def test_expected_loss_validates():
    f = NoisyQuadratic([1.0])
    with pytest.raises(ValueError, match="objective must be a NoisyQuadratic"):
        expected_loss(object(), [1.0], lr=0.1, n_steps=3)
    with pytest.raises(ValueError, match="method must be one of"):
        expected_loss(f, [1.0], lr=0.1, n_steps=3, method="sgdw")
    with pytest.raises(ValueError, match=r"lr must lie in \[0, inf\)"):
        expected_loss(f, [1.0], lr=-0.1, n_steps=3)
    with pytest.raises(ValueError, match=r"lr \(at step 2\) must lie"):
        expected_loss(f, [1.0], lr=lambda t: 0.1 if t < 2 else -1.0, n_steps=3)
    with pytest.raises(ValueError, match="average_from must be None or a whole number >= 0"):
        expected_loss(f, [1.0], lr=0.1, n_steps=3, average_from=-1)
    with pytest.raises(TypeError, match="n_steps must be a whole number"):
        expected_loss(f, [1.0], lr=0.1, n_steps=2.5)


def test_diverging_settings_give_inf_without_warnings():
    f = NoisyQuadratic([1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = expected_loss(f, [1.0], lr=5.0, beta=0.0, n_steps=2000)
        times, curves = expected_loss_curves(f, np.ones(1), lr=np.array([0.5, 5.0]), max_steps=4000)
    assert np.isinf(loss[-1])
    assert np.all(np.isfinite(curves[:, 0])) and np.all(np.isinf(curves[:, 1]))


# --------------------------------------------------------------------------- curves on a grid of steps


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov"])
def test_curves_equal_the_step_by_step_recursion(method):
    f = NoisyQuadratic.zhang(12)
    x0 = np.linspace(1.0, 2.0, 12)
    lr, beta, B = np.array([0.05, 0.4, 2.5])[:, None, None], np.array([0.0, 0.5, 0.9])[:, None], np.array([1.0, 32.0])
    times, curves = expected_loss_curves(f, x0, lr=lr, beta=beta, batch_size=B, max_steps=600, method=method)
    assert curves.shape == (times.size, 3, 3, 2)
    exact = expected_loss(f, x0, lr=lr, beta=beta, batch_size=B, n_steps=600, method=method)
    finite = np.isfinite(curves)
    np.testing.assert_allclose(curves[finite], exact[times][finite], rtol=1e-9)
    # inf exactly beyond the stability edge, where the rate of some direction is >= 1
    worst = rate(f.eigenvalues, lr=lr[..., None], beta=beta[..., None], method=method).max(axis=-1)
    unstable = np.broadcast_to(worst >= 1, curves.shape[1:])
    assert unstable.any() and np.array_equal(np.isinf(curves[-1]), unstable)


@pytest.mark.parametrize("per_octave", [1, 4, 32])
def test_time_grid(per_octave):
    t = time_grid(10**5, per_octave=per_octave)
    assert t[0] == 0 and t[-1] <= 10**5 and t[-1] * (1 + 1 / per_octave) > 10**5
    jumps = np.diff(t)
    assert np.all(jumps >= 1) and np.all(np.diff(jumps) >= 0)
    assert np.all(jumps & (jumps - 1) == 0)  # powers of two
    late = t[:-1] >= per_octave
    assert np.all(jumps[late] <= t[:-1][late] / per_octave)  # at most a factor 1 + 1 / per_octave
    assert np.array_equal(t[: 2 * per_octave + 1], np.arange(2 * per_octave + 1))


def test_steps_to_target_and_tuning():
    f = NoisyQuadratic.zhang(30)
    lr, beta, B = np.geomspace(0.01, 3.0, 15), np.array([0.0, 0.5, 0.9]), np.array([1.0, 16.0, 1024.0])
    res = tuned_steps_to_target(f, np.ones(30), lr=lr, beta=beta, batch_size=B, target=0.05, max_steps=2**16)
    assert res.all_steps.shape == (3, 15, 3)
    np.testing.assert_array_equal(res.steps, res.all_steps.reshape(3, -1).min(axis=1))
    times, loss = expected_loss_curves(f, np.ones(30), lr=res.lr, beta=res.beta, batch_size=B, max_steps=2**16)
    np.testing.assert_array_equal(steps_to_target(times, loss, 0.05), res.steps)
    assert np.all(np.diff(res.steps) < 0)  # a larger batch never needs more steps
    # a 2-D grid: effective learning rates alpha, lr = alpha (1 - beta)
    alpha = np.geomspace(0.01, 3.0, 15)
    res2 = tuned_steps_to_target(
        f, np.ones(30), lr=alpha[:, None] * (1 - beta), beta=beta, batch_size=B, target=0.05, max_steps=2**16
    )
    best_alpha = res2.lr / (1 - res2.beta)
    assert np.all(np.min(np.abs(alpha[:, None] / best_alpha - 1), axis=0) < 1e-12)  # on the alpha grid


def test_steps_to_target_validates():
    with pytest.raises(ValueError, match="target must be finite and > 0"):
        steps_to_target([0, 1], [1.0, 0.5], 0.0)
    with pytest.raises(ValueError, match=r"loss must have shape \(len\(times\), \.\.\.\)"):
        steps_to_target([0, 1, 2], [1.0, 0.5], 0.1)
    f = NoisyQuadratic([1.0])
    with pytest.raises(ValueError, match="lr must be a 1-D tuning grid"):
        tuned_steps_to_target(f, [1.0], lr=np.ones((2, 3)), beta=[0.0, 0.5], batch_size=1, target=0.1, max_steps=10)
    with pytest.raises(ValueError, match="per_octave must be a whole number"):
        time_grid(10, per_octave=0)


# --------------------------------------------------------------------------- the critical batch size


@pytest.mark.parametrize("b_star", [3.0, 40.0, 700.0])
def test_critical_batch_size_recovers_the_model(b_star):
    b = 2.0 ** np.arange(0, 21)  # far into the flat regime, so the smallest S is S_min
    s = 50 * (1 + b_star / b)
    # the model's log-log curve is not a straight line between grid points: a small interpolation error
    assert abs(critical_batch_size(b, s) / b_star - 1) < 0.03
    exact_grid = 2.0 ** np.arange(0, 14)
    assert critical_batch_size(exact_grid, 50 * (1 + 8.0 / exact_grid)) == pytest.approx(8.0, rel=0.03)


def test_critical_batch_size_interpolates_in_log_log():
    # steps 400 at B = 1 and 100 at B = 4 (slope -1 in log-log); minimum 50: 2 * 50 = 100 at B = 4 exactly,
    # and 150 = 3 * 50 lies at B = 400 / 150
    b, s = [1.0, 4.0, 16.0], [400.0, 100.0, 50.0]
    assert critical_batch_size(b, s) == pytest.approx(4.0)
    assert critical_batch_size(b, s, factor=3.0) == pytest.approx(400 / 150)


def test_critical_batch_size_validates():
    with pytest.raises(ValueError, match="already within factor"):
        critical_batch_size([1.0, 2.0], [10.0, 9.0])
    with pytest.raises(ValueError, match="steps must be finite and > 0"):
        critical_batch_size([1.0, 2.0], [np.inf, 9.0])
    with pytest.raises(ValueError, match="batch_sizes must be positive and increasing"):
        critical_batch_size([2.0, 1.0], [10.0, 9.0])
    with pytest.raises(ValueError, match="factor must be finite and > 1"):
        critical_batch_size([1.0, 2.0], [10.0, 1.0], factor=1.0)


# --------------------------------------------------------------------------- plots


def test_plots_draw_and_validate():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mom_lib.noise import plot_loss_curves, plot_steps_vs_batch

    b = np.array([1.0, 2.0, 4.0, 8.0])
    ax = plot_steps_vs_batch(
        b, {"SGD": [80, 40, 25, 20], "HB": [80, 40, 20, 10]}, perfect_from="SGD", critical={"SGD": 3.0}
    )
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(ax.lines) == 4  # two curves, the critical line, perfect scaling
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"steps\['SGD'\] has shape"):
        plot_steps_vs_batch(b, {"SGD": [1.0, 2.0]})
    t = np.arange(50)
    ax = plot_loss_curves(
        {"a": (t, 0.9**t)}, target=0.1, bands={"band": (t, 0.8**t, 0.95**t)}, styles={"a": {"ls": "--"}}
    )
    assert len(ax.lines) == 2 and len(ax.collections) == 1 and ax.lines[0].get_linestyle() == "--"
    assert np.all(ax.lines[0].get_xdata() > 0)  # t = 0 left out on the log axis
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"curves\['a'\]: steps have shape"):
        plot_loss_curves({"a": (t, t[:3])})
