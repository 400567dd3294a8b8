"""Theory: every formula against the iteration it describes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import (
    Quadratic,
    characteristic_roots,
    complex_band,
    critical_beta,
    effective_window,
    ema_noise_variance,
    gd,
    gd_optimal_lr,
    gd_optimal_rate,
    half_life,
    heavy_ball,
    iteration_matrix,
    iterations_to_tolerance,
    lag,
    measured_rate,
    nesterov,
    optimal_params,
    rate,
    run,
    stability_limit,
)


def run_and_measure(step, lam, lr, beta, n=200, window=20):
    """Contraction per step: the envelope max|x| over a window, compared half a run apart."""
    f = Quadratic([lam])
    x = run(step, f.grad, [1.0], n_steps=n, lr=lr, beta=beta).x[:, 0]
    return float(measured_rate(np.abs(x), n // 2, n - 1, window=window))


@settings(max_examples=40, deadline=None)
@given(lam=st.floats(0.1, 10.0), h=st.floats(0.05, 1.9), beta=st.floats(0.0, 0.9))
def test_rate_predicts_measured_contraction(lam, h, beta):
    lr = h / lam
    predicted = float(rate(lam, lr=lr, beta=beta))
    if predicted < 0.9 and predicted > 0.05:
        assert run_and_measure(heavy_ball, lam, lr, beta) == pytest.approx(predicted, rel=0.05, abs=0.01)


@pytest.mark.parametrize(("lam", "lr", "beta"), [(1.0, 0.5, 0.5), (4.0, 0.1, 0.9), (0.2, 0.6, 0.0), (1.0, 1.5, 0.3)])
def test_rate_matches_measurement_heavy_ball(lam, lr, beta):
    assert run_and_measure(heavy_ball, lam, lr, beta) == pytest.approx(float(rate(lam, lr=lr, beta=beta)), rel=0.02)


@pytest.mark.parametrize(("lam", "lr", "beta"), [(1.0, 0.5, 0.5), (4.0, 0.1, 0.9), (1.0, 0.9, 0.3)])
def test_rate_matches_measurement_nesterov(lam, lr, beta):
    got = run_and_measure(nesterov, lam, lr, beta)
    assert got == pytest.approx(float(rate(lam, lr=lr, beta=beta, method="nesterov")), rel=0.02)


def test_rate_is_spectral_radius_of_iteration_matrix():
    lam, lr, beta = np.array([0.1, 1.0, 3.0]), 0.4, np.array([[0.0], [0.5], [0.95]])
    m = iteration_matrix(lam, lr=lr, beta=beta)
    np.testing.assert_allclose(rate(lam, lr=lr, beta=beta), np.abs(np.linalg.eigvals(m)).max(-1), rtol=1e-10)
    mn = iteration_matrix(lam, lr=lr, beta=beta, method="nesterov")
    np.testing.assert_allclose(
        rate(lam, lr=lr, beta=beta, method="nesterov"), np.abs(np.linalg.eigvals(mn)).max(-1), rtol=1e-10
    )


def test_beta_zero_rate_is_gd():
    lam = np.linspace(0, 5, 11)
    np.testing.assert_allclose(rate(lam, lr=0.3), np.abs(1 - 0.3 * lam), atol=1e-12)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_optimal_params_rate(kappa):
    mu, L = 1.0, kappa
    lr, beta = optimal_params(mu, L)
    rk = np.sqrt(kappa)
    expected = (rk - 1) / (rk + 1)
    worst = rate(np.array([mu, L]), lr=lr, beta=beta).max()
    # at the optimum the roots are a double root: tolerance from sqrt of round-off
    assert worst == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(np.sqrt(beta), expected)
    # and every eigenvalue in between contracts at least as fast
    assert rate(np.linspace(mu, L, 101), lr=lr, beta=beta).max() <= expected * (1 + 1e-6)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_optimal_params_are_a_local_optimum_on_a_grid(kappa):
    mu, L = 1.0, kappa
    lr0, beta0 = optimal_params(mu, L)
    best = rate(np.array([mu, L]), lr=lr0, beta=beta0).max()
    for dl in (0.98, 1.02):
        for db in (-0.01, 0.01):
            assert rate(np.array([mu, L]), lr=lr0 * dl, beta=beta0 + db).max() > best


def test_gd_optimal():
    mu, L = 1.0, 10.0
    assert gd_optimal_rate(mu, L) == pytest.approx(9 / 11)
    assert rate(np.array([mu, L]), lr=gd_optimal_lr(mu, L)).max() == pytest.approx(9 / 11)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9])
def test_stability_limits(beta):
    for method, step in (("heavy_ball", heavy_ball), ("nesterov", nesterov)):
        h = float(stability_limit(beta, method=method))
        assert rate(1.0, lr=h * 0.999, beta=beta, method=method) < 1
        assert rate(1.0, lr=h * 1.001, beta=beta, method=method) > 1
        assert not run(step, Quadratic([1.0]).grad, [1.0], n_steps=3000, lr=h * 0.99, beta=beta).diverged
        assert run(step, Quadratic([1.0]).grad, [1.0], n_steps=3000, lr=h * 1.01, beta=beta).diverged


@settings(max_examples=40, deadline=None)
@given(beta=st.floats(0.01, 0.99), frac=st.floats(0.01, 0.99))
def test_complex_roots_have_modulus_sqrt_beta(beta, frac):
    lo, hi = complex_band(beta)
    h = lo + frac * (hi - lo)
    roots = characteristic_roots(1.0, lr=h, beta=beta)
    assert np.all(np.abs(roots.imag) > 0)
    np.testing.assert_allclose(np.abs(roots), np.sqrt(beta), rtol=1e-9)


def test_critical_beta_gives_a_double_root():
    lr, lam = 0.3, 0.5
    beta = critical_beta(lam, lr=lr)
    roots = characteristic_roots(lam, lr=lr, beta=beta)
    assert abs(roots[0] - roots[1]) < 1e-6
    with pytest.raises(ValueError, match="lr \\* lam <= 1"):
        critical_beta(3.0, lr=1.0)


def test_ema_quantities():
    np.testing.assert_allclose(effective_window([0.5, 0.9, 0.99]), [2, 10, 100])
    assert half_life(0.9) == pytest.approx(6.5788, abs=1e-4)
    assert 0.9 ** half_life(0.9) == pytest.approx(0.5)
    assert lag(0.9) == pytest.approx(9.0)
    with pytest.raises(ValueError, match=r"beta must lie in \(0, 1\)"):
        half_life(0.0)


def test_ema_noise_variance_by_simulation():
    rng = np.random.default_rng(0)
    beta, sigma = 0.9, 2.0
    noise = sigma * rng.standard_normal((4000, 200))
    m = np.zeros(200)
    samples = []
    for t, xi in enumerate(noise):
        m = beta * m + (1 - beta) * xi
        if t > 200:
            samples.append(m)
    assert np.var(samples) == pytest.approx(float(ema_noise_variance(beta, sigma)), rel=0.05)


def test_iterations_to_tolerance():
    assert iterations_to_tolerance(0.5, tol=1e-3) == 10
    assert np.isinf(iterations_to_tolerance(1.0, tol=1e-3))
    # GD on a 1-D quadratic reaches the predicted count exactly
    lr, lam = 0.1, 1.0
    n = int(iterations_to_tolerance(rate(lam, lr=lr), tol=1e-6))
    x = run(gd, Quadratic([lam]).grad, [1.0], n_steps=n, lr=lr).x[:, 0]
    assert abs(x[n]) <= 1e-6 < abs(x[n - 1])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rate(-1.0, lr=0.1), "lam must be finite and >= 0"),
        (lambda: rate(1.0, lr=0.1, beta=1.0), r"beta must lie in \[0, 1\)"),
        (lambda: rate(1.0, lr=0.1, method="sgdw"), "method must be one of"),
        (lambda: optimal_params(0.0, 1.0), "mu must be finite and > 0"),
        (lambda: optimal_params(2.0, 1.0), "mu must be <= L"),
    ],
)
def test_theory_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_measured_rate_is_exact_on_a_geometric_decay_and_vectorized():
    t = np.arange(201)[:, None]
    rho = np.array([0.5, 0.9, 0.99])
    np.testing.assert_allclose(measured_rate(rho**t, 20, 200, window=10), rho, rtol=1e-12)
    with pytest.raises(ValueError, match="start < stop - window"):
        measured_rate(rho**t, 190, 200, window=25)


def test_extreme_valid_inputs_stay_finite_and_exact():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr, beta = optimal_params(1e-300, 1e300)
        assert lr == pytest.approx(4e-300, rel=1e-12) and beta == 1.0  # 1 - 4e-300 rounds to 1
        assert float(rate(1.0, lr=1e200)) == pytest.approx(1e200, rel=1e-12)
        assert float(rate(1.0, lr=1e200, beta=0.5)) == pytest.approx(1e200, rel=1e-12)
        small, large = np.sort(np.abs(characteristic_roots(1.0, lr=1e200, beta=0.5)))
        assert large == pytest.approx(1e200, rel=1e-12) and small == pytest.approx(5e-201, rel=1e-12)
        assert float(gd_optimal_rate(1e308, 1.7e308)) == pytest.approx(0.7 / 2.7, rel=1e-12)
        with pytest.raises(ValueError, match="lr \\* lam must stay within the float range"):
            rate(1e200, lr=1e200)
