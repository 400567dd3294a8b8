"""The driver: shapes, batching, schedules, divergence, memory, and bad input."""

import inspect
import warnings
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_lib import (
    DIVERGENCE_THRESHOLD,
    Quadratic,
    Rosenbrock,
    ema,
    gd,
    heavy_ball,
    nesterov,
    run,
    sutskever,
    torch_sgd,
)

F = Quadratic([0.2, 4.0])
X0 = np.array([1.0, 1.0])
GRID_BETAS = np.linspace(0.0, 0.99, 7)


def test_shapes_keep_all_and_last():
    res = run(heavy_ball, F.grad, X0, n_steps=7, lr=0.1, beta=0.5)
    assert res.x.shape == (8, 2)
    np.testing.assert_array_equal(res.x[0], X0)
    assert res.diverged.shape == () and res.v.shape == (2,)
    last = run(heavy_ball, F.grad, X0, n_steps=7, lr=0.1, beta=0.5, keep="last")
    assert last.x.shape == (1, 2)
    np.testing.assert_array_equal(last.x[0], res.x[-1])


def test_grid_batch_shape_and_x0_batch():
    lrs, betas = np.linspace(0.01, 0.4, 5), np.array([0.0, 0.5, 0.9])
    res = run(heavy_ball, F.grad, X0, n_steps=10, lr=lrs[:, None], beta=betas)
    assert res.x.shape == (11, 5, 3, 2) and res.diverged.shape == (5, 3)
    starts = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [-1.0, 3.0]])
    res = run(heavy_ball, F.grad, starts, n_steps=10, lr=0.1, beta=betas[:, None])
    assert res.x.shape == (11, 3, 4, 2)


@settings(max_examples=25, deadline=None)
@given(
    lrs=st.lists(st.floats(0.0, 0.6), min_size=1, max_size=4),
    betas=st.lists(st.floats(0.0, 0.95), min_size=1, max_size=3),
)
def test_batched_run_equals_loop_of_single_runs(lrs, betas):
    lrs, betas = np.array(lrs), np.array(betas)
    batch = run(heavy_ball, F.grad, X0, n_steps=60, lr=lrs[:, None], beta=betas)
    for i, lr in enumerate(lrs):
        for j, beta in enumerate(betas):
            single = run(heavy_ball, F.grad, X0, n_steps=60, lr=lr, beta=beta)
            assert batch.diverged[i, j] == single.diverged
            np.testing.assert_array_equal(batch.x[:, i, j], single.x)


def test_divergence_is_flagged_without_warnings_and_spares_the_rest():
    lrs = np.array([0.1, 0.6, 5.0, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(gd, F.grad, X0, n_steps=300, lr=lrs)
    np.testing.assert_array_equal(res.diverged, [False, True, True, True])
    assert res.diverged_at[0] == -1
    # eta = 0.6: |1 - 0.6 * 4| = 1.4 per step from 1 -> first step beyond 1e8 is ceil(8 ln10 / ln 1.4)
    assert res.diverged_at[1] == int(np.ceil(np.log(DIVERGENCE_THRESHOLD) / np.log(1.4)))
    assert res.diverged_at[3] == 1
    assert np.all(np.isfinite(res.x[:, 0]))
    assert np.all(np.isnan(res.x[res.diverged_at[1] :, 1]))
    assert np.all(np.isfinite(res.x[: res.diverged_at[1], 1]))
    assert np.isnan(res.v[1]).all() and np.isfinite(res.v[0]).all()


def test_schedules_are_evaluated_per_step():
    seen = []

    def lr(t):
        seen.append(t)
        return 0.1 / (1 + t)

    res = run(gd, F.grad, X0, n_steps=5, lr=lr)
    assert seen == [0, 1, 2, 3, 4]
    x = X0.copy()
    for t in range(5):
        x = x - 0.1 / (1 + t) * F.grad(x)
    np.testing.assert_allclose(res.x[-1], x)


def test_schedule_can_be_batched():
    res = run(heavy_ball, F.grad, X0, n_steps=5, lr=lambda t: np.array([0.1, 0.2]) * 0.9**t, beta=0.5)
    assert res.x.shape == (6, 2, 2)


def test_bad_schedule_value_is_named():
    with pytest.raises(ValueError, match=r"beta \(at step 4\) must lie in \[0, 1\), got 1.2"):
        run(heavy_ball, F.grad, X0, n_steps=5, lr=0.1, beta=lambda t: 0.3 * t)


def test_step_index_is_passed_to_rules_that_take_t():
    a = run(ema, F.grad, X0, n_steps=3, lr=0.1, beta=0.9, bias_correction=True)
    x, m = X0, np.zeros(2)
    for t in range(3):
        x, m = ema(x, m, F.grad, lr=0.1, beta=0.9, t=t, bias_correction=True)
    np.testing.assert_allclose(a.x[-1], x)


def test_users_own_rule_runs():
    def my_rule(x, v, grad_fn, *, lr):
        return x - lr * grad_fn(x), v

    np.testing.assert_array_equal(
        run(my_rule, F.grad, X0, n_steps=5, lr=0.1).x, run(gd, F.grad, X0, n_steps=5, lr=0.1).x
    )


def test_keep_last_memory_does_not_grow_with_n_steps():
    import tracemalloc

    lrs = np.linspace(0.01, 0.4, 100)[:, None]
    betas = np.linspace(0.0, 0.9, 100)
    peaks = []
    for n in (10, 1000):
        tracemalloc.start()
        run(heavy_ball, F.grad, X0, n_steps=n, keep="last", lr=lrs, beta=betas)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.2 * peaks[0]


def test_zero_steps():
    res = run(nesterov, F.grad, X0, n_steps=0, lr=0.1, beta=0.5)
    np.testing.assert_array_equal(res.x, [X0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.1, "beta": 1.2}, r"beta must lie in \[0, 1\), got 1.2"),
        ({"lr": 0.1, "beta": np.array([0.5, 1.0])}, r"beta must lie in \[0, 1\), got 1.0"),
        ({"lr": -1.0, "beta": 0.5}, r"lr must lie in \[0, inf\)"),
        ({"lr": np.inf, "beta": 0.5}, "lr must be finite"),
        ({"lr": 0.1, "beta": 0.5, "n_steps": -1}, "n_steps must be a whole number >= 0, got -1"),
        ({"lr": 0.1, "beta": 0.5, "keep": "first"}, r"keep must be one of \('all', 'last'\)"),
        ({"lr": np.ones(3), "beta": np.ones(4) * 0.5}, "must broadcast into one batch, and these do not"),
        ({"lr": 0.1, "momentum": 0.9}, "heavy_ball does not take momentum"),
        ({"beta": 0.9}, r"heavy_ball needs the hyperparameter\(s\) lr"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    kwargs = {"n_steps": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        run(heavy_ball, F.grad, X0, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.1, "beta": 0.5, "n_steps": 2.5}, "n_steps must be a whole number"),
        ({"lr": "fast", "beta": 0.5}, "lr must be a real number"),
        ({"lr": 0.1, "beta": True}, "beta must be a real number .* got a bool"),
    ],
)
def test_values_of_the_wrong_type_are_refused_not_coerced(kwargs, message):
    kwargs = {"n_steps": 5, **kwargs}
    with pytest.raises(TypeError, match=message):
        run(heavy_ball, F.grad, X0, **kwargs)


def test_grad_fn_and_step_results_are_checked_every_step():
    with pytest.raises(ValueError, match=r"grad_fn must return the gradient at x .* shape \(2,\), got shape \(1,\)"):
        run(gd, lambda x: x[..., :1], X0, n_steps=3, lr=0.1)
    late = {"calls": 0}

    def grad_then_none(x):
        late["calls"] += 1
        return None if late["calls"] == 3 else F.grad(x)

    with pytest.raises(TypeError, match="grad_fn must return the gradient at x .* got None"):
        run(gd, grad_then_none, X0, n_steps=5, lr=0.1)

    def short_v(x, v, grad_fn, *, lr):
        return x - lr * grad_fn(x), v[..., :1]

    with pytest.raises(ValueError, match=r"step short_v must return the new state v .* got shape \(1,\)"):
        run(short_v, F.grad, X0, n_steps=3, lr=0.1)


def test_runs_too_large_are_refused_before_they_start():
    with pytest.raises(ValueError, match="n_steps must be a whole number <= 10_000_000"):
        run(gd, F.grad, X0, n_steps=10**12, keep="last", lr=0.1)
    with pytest.raises(ValueError, match="use keep='last'"):
        run(gd, F.grad, X0, n_steps=1000, lr=np.linspace(0.01, 0.1, 10**6))
    with pytest.raises(ValueError, match="coordinate updates"):
        run(gd, F.grad, X0, n_steps=10**6, keep="last", lr=np.linspace(0.01, 0.1, 10**6))


@pytest.mark.parametrize(
    ("x0", "message"),
    [
        ([np.nan, 1.0], "x0 must be finite"),
        ([1.0, np.inf], "x0 must be finite"),
        (3.0, "x0 must have a last axis"),
        (np.zeros((2, 0)), "at least one coordinate"),
    ],
)
def test_bad_x0_is_named(x0, message):
    with pytest.raises(ValueError, match=message):
        run(gd, F.grad, x0, n_steps=5, lr=0.1)


def test_wrong_dimension_is_named():
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\)"):
        run(gd, F.grad, [1.0, 2.0, 3.0], n_steps=5, lr=0.1)


def _reference_run(step, grad_fn, x0, n_steps, keep, **hyperparameters):
    """The straightforward loop ``run`` must reproduce bit for bit.

    Arrays of shape ``(*batch, d)`` in C order, hyperparameters with a trailing axis, the
    rule called on every step, diverged runs left to do whatever their non-finite state
    does, and ``nan`` written over each run's iterates from its first bad one on.
    """
    takes_t = "t" in inspect.signature(step).parameters
    rule = getattr(step, "unchecked", step)
    x0 = np.asarray(x0, dtype=float)
    first = {k: (h(0) if callable(h) else h) for k, h in hyperparameters.items()}
    batch = np.broadcast_shapes(x0.shape[:-1], *(np.shape(h) for h in first.values()))
    x = np.broadcast_to(x0, (*batch, x0.shape[-1])).copy()
    v = np.zeros_like(x)
    xs = [x]
    diverged_at = np.full(batch, -1)
    with np.errstate(all="ignore"):
        for t in range(n_steps):
            hp = {k: (h(t) if callable(h) else h) for k, h in hyperparameters.items()}
            hp = {k: np.asarray(h)[..., None] if np.ndim(h) else h for k, h in hp.items()}
            if takes_t:
                hp["t"] = t
            x, v = rule(x, v, grad_fn, **hp)
            bad = ~np.all(np.abs(x) <= DIVERGENCE_THRESHOLD, axis=-1) & (diverged_at < 0)
            diverged_at[bad] = t + 1
            xs.append(x)
    xs = np.stack(xs)
    diverged = diverged_at >= 0
    steps = np.arange(n_steps + 1).reshape(-1, *([1] * len(batch)))
    xs[(steps >= diverged_at) & diverged] = np.nan
    v = np.where(diverged[..., None], np.nan, v)
    return (xs if keep == "all" else xs[-1:]), v, diverged, diverged_at


def _schedule(t):
    return np.linspace(0.02, 1.5, 9)[:, None] / (1 + 0.001 * t)


@pytest.mark.parametrize("keep", ["all", "last"])
@pytest.mark.parametrize(
    ("rule", "f", "x0", "hyperparameters"),
    [
        (heavy_ball, Quadratic([1.0, 10.0]), X0, {"lr": np.linspace(0.01, 0.39, 9)[:, None], "beta": GRID_BETAS}),
        (heavy_ball, Quadratic([0.2, 4.0], angle=0.3, center=[1.0, -1.0]), X0, {"lr": _schedule, "beta": 0.9}),
        (gd, Quadratic([1.0, 3.0, 10.0], center=[1.0, 2.0, 3.0]), np.ones(3), {"lr": np.linspace(0.05, 0.3, 9)}),
        (nesterov, Rosenbrock(), np.array([[-1.0, 1.0], [0.0, 0.5]]), {"lr": 4e-3 * GRID_BETAS[:, None], "beta": 0.8}),
        (torch_sgd, Quadratic([1.0, 10.0]), X0, {"lr": 0.5, "beta": GRID_BETAS, "dampening": 0.5}),
        (
            ema,
            Quadratic([0.2, 4.0]),
            X0,
            {"lr": np.array([0.5, 1.0, 3.0])[:, None], "beta": GRID_BETAS, "bias_correction": True},
        ),
    ],
    ids=[
        "heavy_ball-grid",
        "heavy_ball-schedule-rotated",
        "gd-3d-center",
        "nesterov-rosenbrock",
        "torch_sgd-t",
        "ema-t",
    ],
)
def test_run_equals_the_straightforward_loop_bit_for_bit(rule, f, x0, hyperparameters, keep):
    res = run(rule, f.grad, x0, n_steps=400, keep=keep, **hyperparameters)
    xs, v, diverged, diverged_at = _reference_run(rule, f.grad, x0, 400, keep, **hyperparameters)
    assert diverged.any() and not diverged.all(), "each case should hold diverging and converging runs"
    np.testing.assert_array_equal(res.diverged, diverged)
    np.testing.assert_array_equal(res.diverged_at, diverged_at)
    np.testing.assert_array_equal(res.x, xs)  # nan where the reference has nan, else equal values
    np.testing.assert_array_equal(res.v, v)
    assert res.x.flags.c_contiguous and res.v.flags.c_contiguous


@pytest.mark.parametrize(
    ("rule", "hyperparameters"),
    [
        (gd, {}),
        (heavy_ball, {"beta": GRID_BETAS}),
        (nesterov, {"beta": GRID_BETAS}),
        (sutskever, {"beta": GRID_BETAS}),
        (torch_sgd, {"beta": GRID_BETAS}),
        (ema, {"beta": GRID_BETAS, "bias_correction": True}),
    ],
    ids=lambda a: getattr(a, "__name__", ""),
)
def test_rule_outputs_keep_the_batch_major_memory_layout(rule, hyperparameters):
    """The iterate handed to the rule is a view of a (d, *batch) array, and the rules'
    elementwise results come back in that layout, so no step has to reorder memory."""
    seen = []
    takes_t = "t" in inspect.signature(rule).parameters

    switched = "bias_correction" in hyperparameters

    def spy(x, v, grad_fn, *, lr, t, beta=None, bias_correction=False):
        hp = {"lr": lr, "beta": beta, "bias_correction": bias_correction if switched else None}
        hp["t"] = t if takes_t else None
        out = rule(x, v, grad_fn, **{k: h for k, h in hp.items() if h is not None})
        seen.append([np.moveaxis(a, -1, 0).flags.c_contiguous for a in (x, v, *out)])
        return out

    run(spy, F.grad, X0, n_steps=3, lr=np.linspace(0.1, 0.3, 4)[:, None], **hyperparameters)
    assert seen == [[True] * 4] * 3


def test_a_rule_returning_c_order_arrays_gives_the_same_result():
    def c_order(x, v, grad_fn, *, lr, beta):
        return tuple(np.ascontiguousarray(a) for a in heavy_ball(x, v, grad_fn, lr=lr, beta=beta))

    kw = {"n_steps": 200, "lr": np.linspace(0.01, 0.39, 9)[:, None], "beta": GRID_BETAS}
    f = Quadratic([1.0, 10.0])
    a, b = run(c_order, f.grad, X0, **kw), run(heavy_ball, f.grad, X0, **kw)
    assert a.diverged.any()
    for k in ("x", "v", "diverged", "diverged_at"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


# -- rules with a named state ------------------------------------------------------------------


def test_a_named_state_run_equals_the_loop_of_direct_calls_bit_for_bit():
    from mom_lib import adam

    f = Quadratic([1.0, 10.0])
    res = run(adam, f.grad, [1.0, -1.0], n_steps=30, lr=0.05, beta1=0.8)
    x, state = np.array([1.0, -1.0]), adam.init(np.array([1.0, -1.0]))
    for t in range(30):
        x, state = adam(x, state, f.grad, lr=0.05, beta1=0.8)
        np.testing.assert_array_equal(res.x[t + 1], x)
    assert res.v.count == state.count == 30
    np.testing.assert_array_equal(res.v.mu, state.mu)
    np.testing.assert_array_equal(res.v.nu, state.nu)


def test_a_diverged_run_with_a_named_state_leaves_the_others_alone():
    """Every array field of the diverged run is nan in Result.v; the other runs are the single runs."""
    from mom_lib import schedule_free_sgd

    f = Quadratic([1.0, 10.0])
    lrs = np.array([0.01, 0.1, 5.0])  # the last diverges
    res = run(schedule_free_sgd, f.grad, [1.0, 1.0], n_steps=200, lr=lrs, beta=0.9)
    assert res.diverged.tolist() == [False, False, True] and res.v.count == 200
    assert np.isnan(res.v.z[2]).all() and np.isnan(res.x[-1, 2]).all()
    for i in range(2):
        single = run(schedule_free_sgd, f.grad, [1.0, 1.0], n_steps=200, lr=lrs[i], beta=0.9)
        np.testing.assert_array_equal(res.x[:, i], single.x)
        np.testing.assert_array_equal(res.v.z[i], single.v.z)


class _Pair(NamedTuple):
    count: int
    a: np.ndarray
    b: np.ndarray


def _pair_rule(returns):
    def pair_rule(x, state, grad_fn, *, lr):  # noqa: ANN001, ANN202
        return x - lr * grad_fn(x), returns(x, state)

    pair_rule.init = lambda x: _Pair(0, np.zeros_like(x), np.zeros_like(x))
    return pair_rule


@pytest.mark.parametrize(
    "returns, error, match",
    [
        (lambda x, s: (s.count + 1, s.a, s.b), TypeError, "must return its state as a _Pair"),
        (lambda x, s: s.a, TypeError, "must return its state as a _Pair"),
        (lambda x, s: _Pair(s.count + 1, s.a[..., :1], s.b), ValueError, "the state's a as an array"),
        (lambda x, s: _Pair(s.count + 1, s.a, None), TypeError, "the state's b"),
        (lambda x, s: _Pair(0.5, s.a, s.b), TypeError, "the state's count must be a whole number"),
    ],
)
def test_a_named_state_of_the_wrong_kind_is_refused(returns, error, match):
    with pytest.raises(error, match=match):
        run(_pair_rule(returns), lambda x: x, [1.0, 2.0], n_steps=2, lr=0.1)


def test_a_rule_whose_init_gives_no_named_tuple_is_refused():
    rule = _pair_rule(lambda x, s: s)
    rule.init = lambda x: (0, np.zeros_like(x))
    with pytest.raises(TypeError, match="its init must return a named tuple"):
        run(rule, lambda x: x, [1.0, 2.0], n_steps=2, lr=0.1)


def test_a_custom_named_state_rule_runs_and_keeps_the_layout():
    rule = _pair_rule(lambda x, s: _Pair(s.count + 1, s.a + x, s.b))
    res = run(rule, lambda x: x, np.ones((4, 2)), n_steps=3, lr=0.5)
    assert res.v.count == 3 and res.v.a.shape == (4, 2)
    np.testing.assert_array_equal(res.v.a, np.full((4, 2), 1 + 0.5 + 0.25))
