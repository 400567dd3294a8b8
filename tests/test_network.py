"""mom_lib.network: backpropagation against finite differences and torch autograd, a training run
step for step against torch.optim.SGD(momentum=beta), Hessian-vector products and the sharpness,
scale invariance under batch normalization, batching, and input validation."""

import numpy as np
import pytest

from mom_lib import heavy_ball, minibatch_grad, run
from mom_lib.network import MLP, digits, matmul, power_iteration

X_ALL, Y_ALL, X_TEST, Y_TEST = digits(n_test=297, seed=0)
CONFIGS = [
    {"hidden": (6,), "activation": "tanh"},
    {"hidden": (7, 5), "activation": "relu"},
    {"hidden": (6, 4), "activation": "tanh", "batch_norm": True},
    {"hidden": (5,), "activation": "relu", "batch_norm": True, "weight_decay": 0.03},
    {"hidden": (), "activation": "tanh", "weight_decay": 0.1},
    {"hidden": (6,), "activation": "tanh", "loss": "mse"},
]
IDS = ["tanh", "relu-2", "tanh-bn", "relu-bn-wd", "linear-wd", "tanh-mse"]


def small(config, n=40):
    return MLP(X_ALL[:n], Y_ALL[:n], **config)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_gradient_matches_central_differences(config):
    net = small(config)
    rng = np.random.default_rng(1)
    w = net.init(rng)
    w = w + 0.1 * rng.standard_normal(net.d)  # nonzero biases too
    for _ in range(3):
        u = rng.standard_normal(net.d)
        h = 1e-5
        fd = (net.value(w + h * u) - net.value(w - h * u)) / (2 * h)
        assert abs(fd - net.grad(w) @ u) < 1e-7 * (1 + abs(fd))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_minibatch_gradient_matches_central_differences(config):
    net = small(config)
    rng = np.random.default_rng(2)
    w = net.init(rng)
    idx = rng.integers(0, net.n, size=9)
    u = rng.standard_normal(net.d)
    h = 1e-5
    fd = (net.value(w + h * u, idx) - net.value(w - h * u, idx)) / (2 * h)
    assert abs(fd - net.grad_on(w, idx) @ u) < 1e-7 * (1 + abs(fd))


def _torch_loss(torch, net, wt, X, y):
    """The same network written with torch operations, as a function of the flat vector wt."""
    F = torch.nn.functional
    a = X
    for layer in range(1, net.n_layers + 1):
        W = wt[net.slices[f"W{layer}"]].reshape(net.shapes[f"W{layer}"])
        z = a @ W
        last = layer == net.n_layers
        if net.batch_norm and not last:
            z = F.batch_norm(z, None, None, training=True, eps=net.bn_eps)
        else:
            z = z + wt[net.slices[f"b{layer}"]]
        a = z if last else (torch.tanh(z) if net.activation == "tanh" else torch.relu(z))
    if net.loss == "mse":
        data = 0.5 * ((a - F.one_hot(y, net.n_classes).double()) ** 2).sum(axis=1).mean()
    else:
        data = F.cross_entropy(a, y)
    return data + 0.5 * net.weight_decay * (wt**2).sum()


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_loss_gradient_and_hvp_match_torch_autograd(config):
    torch = pytest.importorskip("torch")
    net = small(config)
    rng = np.random.default_rng(3)
    w = net.init(rng) + 0.05 * rng.standard_normal(net.d)
    u = rng.standard_normal(net.d)
    idx = rng.integers(0, net.n, size=12)
    for sel in (None, idx):
        Xs = net.X if sel is None else net.X[sel]
        ys = net.y if sel is None else net.y[sel]
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        loss = _torch_loss(torch, net, wt, torch.tensor(Xs), torch.tensor(ys))
        (g,) = torch.autograd.grad(loss, wt, create_graph=True)
        (hu,) = torch.autograd.grad(g @ torch.tensor(u), wt)
        value, grad = net.loss_grad(w, sel)
        assert abs(float(value) - loss.item()) < 1e-12 * (1 + abs(loss.item()))
        np.testing.assert_allclose(grad, g.detach().numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(net.hvp(w, u, sel), hu.numpy(), rtol=1e-5, atol=1e-6 * np.abs(hu.numpy()).max())


@pytest.mark.parametrize("beta", [0.0, 0.9])
@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[3]], ids=["tanh", "relu-bn-wd"])
def test_training_run_matches_torch_sgd_step_for_step(config, beta):
    torch = pytest.importorskip("torch")
    config = {k: v for k, v in config.items() if k != "weight_decay"}
    net = MLP(X_ALL[:200], Y_ALL[:200], **config)  # weight decay goes to torch's optimizer below
    lam, lr, T, B = 0.01, 0.2, 30, 16
    net_wd = MLP(X_ALL[:200], Y_ALL[:200], **config, weight_decay=lam)
    rng = np.random.default_rng(4)
    w0 = net.init(rng)
    batches = rng.integers(0, net.n, size=(T, B))
    stream = iter(batches)
    res = run(heavy_ball, lambda w: net_wd.grad_on(w, next(stream)), w0, n_steps=T, lr=lr, beta=beta)

    wt = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([wt], lr=lr, momentum=beta, weight_decay=lam)
    Xt, yt = torch.tensor(net.X), torch.tensor(net.y)
    for t in range(T):
        opt.zero_grad()
        _torch_loss(torch, net, wt, Xt[batches[t]], yt[batches[t]]).backward()
        opt.step()
        np.testing.assert_allclose(res.x[t + 1], wt.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_minibatch_grad_of_mom_lib_draws_each_batch_elements_samples():
    net = small(CONFIGS[0], n=100)
    w = net.init(np.random.default_rng(5), shape=(3,))
    g = minibatch_grad(net, batch_size=8, rng=np.random.default_rng(6))(w)
    idx = np.random.default_rng(6).integers(0, net.n, size=(3, 8))
    np.testing.assert_array_equal(g, net.grad_on(w, idx))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_a_batch_of_parameter_vectors_equals_a_loop(config):
    net = small(config)
    rng = np.random.default_rng(7)
    w = net.init(rng, shape=(2, 3))
    idx = rng.integers(0, net.n, size=(2, 3, 10))
    value, grad = net.loss_grad(w, idx)
    assert value.shape == (2, 3) and grad.shape == (2, 3, net.d)
    for i in range(2):
        for j in range(3):
            v1, g1 = net.loss_grad(w[i, j], idx[i, j])
            np.testing.assert_allclose(value[i, j], v1, rtol=1e-13)
            np.testing.assert_allclose(grad[i, j], g1, rtol=1e-12, atol=1e-15)
    full = net.value(w)
    np.testing.assert_allclose(full[1, 2], net.value(w[1, 2]), rtol=1e-13)


def test_batch_norm_makes_hidden_weights_scale_invariant():
    net = MLP(X_ALL[:60], Y_ALL[:60], hidden=(8, 6), batch_norm=True, bn_eps=1e-12)
    rng = np.random.default_rng(8)
    w = net.init(rng)
    c = 3.0
    scaled = w.copy()
    scaled[net.slices["W1"]] *= c
    f1, g1 = net.loss_grad(w)
    f2, g2 = net.loss_grad(scaled)
    assert abs(f1 - f2) < 1e-12
    # the gradient of a scale-invariant block shrinks by 1/c and is orthogonal to the block
    np.testing.assert_allclose(g2[net.slices["W1"]], g1[net.slices["W1"]] / c, rtol=1e-8, atol=1e-14)
    W1, G1 = w[net.slices["W1"]].reshape(64, 8), g1[net.slices["W1"]].reshape(64, 8)
    assert np.all(np.abs((W1 * G1).sum(axis=0)) < 1e-12 * np.abs(G1).sum())


def test_sharpness_equals_the_top_eigenvalue_of_the_hessian():
    net = MLP(X_ALL[:30], Y_ALL[:30], hidden=(3,))
    rng = np.random.default_rng(9)
    w = net.init(rng, scale=2.0)
    H = np.stack([net.hvp(w, e) for e in np.eye(net.d)])
    H = (H + H.T) / 2
    eig = np.linalg.eigvalsh(H)
    top = eig[np.abs(eig).argmax()]
    s, u = net.sharpness(w, n_iter=300, rng=rng)
    assert abs(s - top) < 1e-4 * abs(top)
    assert abs(np.linalg.norm(u) - 1) < 1e-12
    # warm start from the vector found: already converged
    s2, _ = net.sharpness(w, n_iter=1, u0=u)
    assert abs(s2 - s) < 1e-4 * abs(top)


def test_power_iteration_is_batched():
    A = np.stack([np.diag([3.0, 1.0]), np.diag([0.5, 2.0])])
    lam, u = power_iteration(lambda u: (A @ u[..., None])[..., 0], np.ones((2, 2)), n_iter=80)
    np.testing.assert_allclose(lam, [3.0, 2.0], rtol=1e-10)


def test_matmul_is_the_one_product_of_the_network(monkeypatch):
    import mom_lib.network as network

    calls = []

    def counting(a, b):
        calls.append(1)
        return np.matmul(a, b)

    monkeypatch.setattr(network, "matmul", counting)
    net = MLP(X_ALL[:20], Y_ALL[:20], hidden=(4, 3))
    net.loss_grad(net.init(np.random.default_rng(0)))
    assert len(calls) == 3 + 3 + 2  # forward, weight gradients, errors sent back
    assert matmul is not counting


def test_training_lowers_loss_and_generalizes():
    net = MLP(X_ALL, Y_ALL, hidden=(32,))
    w0 = net.init(np.random.default_rng(10))
    grad = minibatch_grad(net, batch_size=32, rng=np.random.default_rng(11))
    res = run(heavy_ball, grad, w0, n_steps=400, keep="last", lr=0.05, beta=0.9)
    assert net.value(res.final) < 0.2 < net.value(w0)
    assert net.accuracy(res.final, X_TEST, Y_TEST) > 0.9


def test_flatten_inverts_unflatten():
    net = small(CONFIGS[2])
    w = net.init(np.random.default_rng(12), shape=(2,))
    np.testing.assert_array_equal(net.flatten(net.unflatten(w)), w)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"hidden": (0,)}, ValueError, "hidden must hold whole numbers >= 1"),
        ({"hidden": 5}, TypeError, "hidden must be a sequence"),
        ({"activation": "sigmoid"}, ValueError, "activation must be one of"),
        ({"weight_decay": -1.0}, ValueError, "weight_decay must be finite and >= 0"),
        ({"weight_decay": np.nan}, ValueError, "weight_decay must be finite and >= 0"),
        ({"batch_norm": 1}, TypeError, "batch_norm must be True or False"),
        ({"batch_norm": True, "hidden": ()}, ValueError, "batch_norm needs at least one hidden layer"),
        ({"bn_eps": 0.0}, ValueError, "bn_eps must be finite and > 0"),
        ({"loss": "hinge"}, ValueError, "loss must be one of"),
        ({"n_classes": 5}, ValueError, r"y must lie in \[0, 5\)"),
    ],
)
def test_bad_construction_is_refused_by_name(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(X_ALL[:20], Y_ALL[:20], **kwargs)


def test_bad_data_and_inputs_are_refused_by_name():
    with pytest.raises(ValueError, match="X must be a finite array"):
        MLP(np.full((3, 2), np.nan), [0, 1, 0])
    with pytest.raises(ValueError, match="y must hold integer labels"):
        MLP(np.ones((3, 2)), [0.0, 1.0, 0.0])
    net = small(CONFIGS[0])
    w = net.init(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"w must have shape \(\.\.\., "):
        net.value(w[:-1])
    with pytest.raises(ValueError, match=r"idx must lie in \[0, 40\)"):
        net.value(w, np.array([0, 40]))
    with pytest.raises(ValueError, match="idx must be an integer array"):
        net.value(w, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="do not broadcast"):
        net.value(np.stack([w, w]), np.zeros((3, 4), dtype=int))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        net.init(0)
    with pytest.raises(ValueError, match="scale must be finite and > 0"):
        net.init(np.random.default_rng(0), scale=0.0)
    with pytest.raises(ValueError, match="eps must be finite and > 0"):
        net.hvp(w, w, eps=-1.0)
    with pytest.raises(ValueError, match="u must be nonzero"):
        net.hvp(w, np.zeros_like(w))
    with pytest.raises(ValueError, match="give rng"):
        net.sharpness(w)
    with pytest.raises(ValueError, match="n_iter must be a whole number >= 1"):
        power_iteration(lambda u: u, np.ones(2), n_iter=0)
    with pytest.raises(ValueError, match=r"n_test must be a whole number in \[1, 1796\]"):
        digits(n_test=0)


def test_diverged_parameters_give_nan_without_warnings():
    net = small(CONFIGS[0])
    w = np.full(net.d, np.nan)
    with np.errstate(all="raise"):
        value, grad = net.loss_grad(w)
    assert np.isnan(value) and np.isnan(grad).all()
    good = net.init(np.random.default_rng(0))
    with np.errstate(all="raise"):
        s, u = net.sharpness(np.stack([good, w]), n_iter=3, rng=np.random.default_rng(1))
    assert np.isfinite(s[0]) and np.isnan(s[1])
