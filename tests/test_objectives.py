"""Objectives: gradients against finite differences, minimizers, vectorization, noise."""

import numpy as np
import pytest

from mom_lib import (
    Himmelblau,
    LeastSquares,
    MultiWell1D,
    MultiWell2D,
    Quadratic,
    Rosenbrock,
    heavy_ball,
    minibatch_grad,
    noisy_grad,
    run,
)

RNG = np.random.default_rng(0)
LS = LeastSquares(RNG.standard_normal((50, 3)), RNG.standard_normal(50))
OBJECTIVES = [
    Quadratic([0.2, 4.0], angle=0.3, center=[1.0, -1.0]),
    Quadratic([1.0, 2.0, 3.0]),
    Rosenbrock(),
    MultiWell1D(),
    MultiWell2D(),
    Himmelblau(),
    LS,
]


@pytest.mark.parametrize("f", OBJECTIVES, ids=lambda f: type(f).__name__)
def test_gradient_matches_finite_differences(f):
    x = np.random.default_rng(1).uniform(-2, 2, (5, f.d))
    h = 1e-6
    fd = np.stack(
        [(f.value(x + h * e) - f.value(x - h * e)) / (2 * h) for e in np.eye(f.d)],
        axis=-1,
    )
    np.testing.assert_allclose(f.grad(x), fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("f", OBJECTIVES, ids=lambda f: type(f).__name__)
def test_minimizers_are_critical_points_with_lowest_nearby_value(f):
    np.testing.assert_allclose(f.grad(f.minimizers), 0.0, atol=1e-9)
    rng = np.random.default_rng(2)
    for m in f.minimizers:
        nearby = m + 1e-3 * rng.standard_normal((20, f.d))
        assert np.all(f.value(nearby) >= f.value(m) - 1e-12)


@pytest.mark.parametrize("f", OBJECTIVES, ids=lambda f: type(f).__name__)
def test_vectorized_over_leading_axes(f):
    x = np.random.default_rng(3).uniform(-1, 1, (3, 4, f.d))
    assert f.value(x).shape == (3, 4)
    assert f.grad(x).shape == (3, 4, f.d)
    np.testing.assert_allclose(f.value(x)[1, 2], f.value(x[1, 2]))


def test_multiwell1d_layout():
    f = MultiWell1D()
    np.testing.assert_allclose(f.minimizers[:, 0], [-1.5, 0.5, 2.0])
    np.testing.assert_allclose(f.grad(f.maxima), 0.0, atol=1e-12)
    assert f.minimum == 0.0 and f.global_minimizer[0] == -1.5
    with pytest.raises(ValueError, match="interleave"):
        MultiWell1D((0.0, 1.0), (2.0,))


def test_multiwell2d_saddles_are_saddles():
    f = MultiWell2D()
    np.testing.assert_allclose(f.grad(f.saddles), 0.0, atol=1e-9)
    h = 1e-3
    for s in f.saddles:
        vals = [f.value(s + h * e) for e in (np.eye(2)[0], -np.eye(2)[0], np.eye(2)[1], -np.eye(2)[1])]
        assert min(vals) < f.value(s) < max(vals)


def test_nearest_minimum():
    f = MultiWell1D()
    pts = np.array([[-1.5 + 1e-5], [2.0], [0.0], [np.nan]])
    np.testing.assert_array_equal(f.nearest_minimum(pts), [0, 2, -1, -1])


def test_gd_from_each_side_lands_in_its_basin():
    f = MultiWell1D()
    starts = np.array([[-2.5], [-1.0], [0.0], [0.9], [1.5], [3.0]])
    res = run(heavy_ball, f.grad, starts, n_steps=3000, keep="last", lr=0.01, beta=0.0)
    np.testing.assert_array_equal(f.nearest_minimum(res.final), [0, 0, 1, 1, 2, 2])


def test_noisy_grad_is_seeded_and_unbiased():
    f = Quadratic([1.0, 2.0])
    g1 = noisy_grad(f, noise_std=0.5, rng=np.random.default_rng(7))
    g2 = noisy_grad(f, noise_std=0.5, rng=np.random.default_rng(7))
    x = np.ones((10000, 2))
    a, b = g1(x), g2(x)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.mean(0), f.grad(x[0]), atol=0.03)
    np.testing.assert_allclose(a.std(0), 0.5, rtol=0.05)


def test_minibatch_grad_is_unbiased_and_full_batch_exact():
    g = minibatch_grad(LS, batch_size=5, rng=np.random.default_rng(0))
    x = np.zeros((20000, 3))
    np.testing.assert_allclose(g(x).mean(0), LS.grad(x[0]), atol=0.03)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Quadratic([-1.0, 1.0]), "eigenvalues must be finite and >= 0"),
        (lambda: Quadratic([1.0, 2.0, 3.0], angle=0.1), "angle is for 2-D"),
        (lambda: Quadratic([1.0, 2.0], rotation=np.ones((2, 2))), "rotation must be an orthogonal"),
        (lambda: noisy_grad(Quadratic([1.0]), noise_std=1.0, rng=0), "rng must be a numpy.random.Generator"),
        (lambda: noisy_grad(Quadratic([1.0]), noise_std=-1.0, rng=RNG), "noise_std must be finite and >= 0"),
        (lambda: minibatch_grad(LS, batch_size=0, rng=RNG), "batch_size must be a whole number >= 1"),
        (lambda: minibatch_grad(Quadratic([1.0]), batch_size=2, rng=RNG), "objective must be a finite sum"),
    ],
)
def test_objective_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("f", [MultiWell1D(), MultiWell2D(), Himmelblau()], ids=lambda f: type(f).__name__)
def test_second_derivatives_match_finite_differences_of_the_gradient(f):
    x = np.random.default_rng(4).uniform(-2, 2, (5, f.d))
    h = 1e-6
    fd = np.stack([(f.grad(x + h * e) - f.grad(x - h * e)) / (2 * h) for e in np.eye(f.d)], axis=-1)
    exact = f.curvature(x)[..., None, None] if f.d == 1 else f.hessian(x)
    np.testing.assert_allclose(exact, fd, rtol=1e-5, atol=1e-5)


def test_curvature_sign_at_critical_points():
    f = MultiWell1D()
    assert np.all(f.curvature(f.minimizers) > 0) and np.all(f.curvature(f.maxima) < 0)
    g = MultiWell2D()
    eig = np.linalg.eigvalsh(g.hessian(g.saddles))
    assert np.all(eig[:, 0] < 0) and np.all(eig[:, 1] > 0)


def test_quadratic_without_rotation_builds_no_dense_matrix():
    import tracemalloc

    d = 100_000  # a dense d x d matrix would need 80 GB
    lam = np.linspace(1.0, 10.0, d)
    tracemalloc.start()
    f = Quadratic(lam, center=np.ones(d))
    x = np.full((3, d), 2.0)
    g, val = f.grad(x), f.value(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 8 * d
    np.testing.assert_array_equal(g, x * lam - lam)
    np.testing.assert_allclose(val, 0.5 * lam.sum(), rtol=1e-12)


def test_quadratic_diagonal_path_equals_the_matrix_path():
    rng = np.random.default_rng(3)
    for d in (1, 2, 5):
        lam = rng.uniform(0.0, 10.0, d)
        center = rng.standard_normal(d)
        fast, dense = Quadratic(lam, center=center), Quadratic(lam, rotation=np.eye(d), center=center)
        np.testing.assert_array_equal(fast.matrix, dense.matrix)
        np.testing.assert_array_equal(fast.rotation, np.eye(d))
        x = rng.standard_normal((4, 3, d)) * 10.0 ** rng.integers(-150, 150, (4, 3, 1))
        np.testing.assert_array_equal(fast.grad(x), dense.grad(x))  # one product plus exact zeros
        np.testing.assert_allclose(fast.value(x), dense.value(x), rtol=1e-14)
        assert fast.matrix.shape == (d, d)  # building it on request does not switch the computation
        np.testing.assert_array_equal(fast.grad(x), dense.grad(x))
