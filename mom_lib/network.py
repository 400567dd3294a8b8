r"""A small neural network that every step rule can train: a multilayer perceptron on digits.

The network's parameters travel as **one flat vector** ``w`` of length ``d``, so every step rule
of :mod:`mom_lib.steps` and the driver :func:`mom_lib.run` train it unchanged, and a batch of
parameter vectors of shape ``(*batch, d)`` trains several seeds or hyperparameters at once.

The model, for inputs :math:`a_0 = x` and layers :math:`l = 1, \dots, L`:

.. math::

    z_l = a_{l-1} W_l + b_l, \qquad a_l = \phi(z_l) \quad (l < L), \qquad
    p = \operatorname{softmax}(z_L),

with :math:`\phi = \tanh` or ReLU, and the loss is the mean softmax cross-entropy over the
samples plus an optional L2 penalty (weight decay) on all parameters,

.. math::

    f(w) = -\frac1B \sum_{i=1}^B \log p_{i, y_i} + \frac{\lambda}{2} \lVert w \rVert^2 .

With ``batch_norm=True`` every hidden layer normalizes its pre-activations over the samples
of the batch (batch normalization without learnable scale and shift, and without bias, which
it would cancel):

.. math::

    h_l = a_{l-1} W_l, \qquad z_l = \frac{h_l - \operatorname{mean}(h_l)}{\sqrt{\operatorname{var}(h_l) + \epsilon}},

so the loss does not change when a column of :math:`W_l` (one unit's weights) is scaled:
those weights are *scale-invariant*.

Backpropagation is written out in :meth:`MLP.loss_grad`: the error
:math:`\delta_L = (p - Y)/B` at the output travels back through
:math:`\delta_{l} = (\delta_{l+1} W_{l+1}^\top) \odot \phi'(z_l)` (and through the batch
normalization's own derivative), and each layer's gradient is
:math:`\nabla_{W_l} f = a_{l-1}^\top \delta_l`, :math:`\nabla_{b_l} f = \sum_i \delta_{l,i}`.

Every matrix product goes through :func:`matmul`, one place a test (or the rounding audit of
``tools/rounding_audit.py``) can replace to see how the results depend on rounding.

References:
    Y. LeCun, L. Bottou, G. Orr, K.-R. Müller (1998), Efficient BackProp.
    S. Ioffe, C. Szegedy (2015), Batch normalization: accelerating deep network training by
    reducing internal covariate shift. ICML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validation import as_float_array, check_real

__all__ = ["MLP", "digits", "matmul", "power_iteration"]

_ACTIVATIONS = ("tanh", "relu")
_LOSSES = ("cross_entropy", "mse")


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The matrix product ``a @ b`` (with NumPy's broadcasting over leading axes).

    Every product of the network goes through this function (looked up at call time), so the
    rounding audit can replace it with one that rounds as another BLAS kernel might.

    Examples:
        >>> import numpy as np
        >>> print(matmul(np.eye(2), np.array([[1.0], [2.0]])).ravel())
        [1. 2.]
    """
    return np.matmul(a, b)


def digits(*, n_test: int = 297, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8 x 8 handwritten digits (1797 images, shipped with the package), split.

    Pixels are scaled to :math:`[0, 1]` (divided by 16). A seeded permutation puts ``n_test``
    images in the test set and the rest in the training set.

    Args:
        n_test: the number of test images, in ``[1, 1796]``.
        seed: the seed of the permutation.

    Returns:
        ``(X_train, y_train, X_test, y_test)``; ``X`` of shape ``(n, 64)``, ``y`` integer labels 0-9.

    Examples:
        >>> X, y, Xt, yt = digits(n_test=297, seed=0)
        >>> X.shape, Xt.shape, int(y.max())
        ((1500, 64), (297, 64), 9)
    """
    from sklearn.datasets import load_digits

    if isinstance(n_test, bool) or not isinstance(n_test, (int, np.integer)) or not 1 <= n_test <= 1796:
        raise ValueError(f"n_test must be a whole number in [1, 1796], got {n_test!r}")
    data = load_digits()
    X, y = data.data / 16.0, data.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    test, train = perm[:n_test], perm[n_test:]
    return X[train], y[train], X[test], y[test]


class MLP:
    r"""A multilayer perceptron with softmax cross-entropy, as a function of one flat parameter vector.

    Args:
        X: inputs, shape ``(n, n_in)``, finite.
        y: integer class labels, shape ``(n,)``, in ``[0, n_classes)``.
        hidden: the widths of the hidden layers, e.g. ``(32,)``; each a whole number >= 1.
        n_classes: the number of classes (default ``y.max() + 1``).
        activation: ``"tanh"`` or ``"relu"``.
        batch_norm: normalize every hidden layer's pre-activations over the batch (then hidden
            layers have no bias and their weights are scale-invariant).
        weight_decay: :math:`\lambda \ge 0`, the L2 penalty :math:`\tfrac\lambda2\lVert w\rVert^2`
            on all parameters (its gradient :math:`\lambda w` is PyTorch's ``weight_decay``).
        bn_eps: :math:`\epsilon > 0` in the batch normalization.
        loss: ``"cross_entropy"`` (softmax cross-entropy, the default) or ``"mse"``, the squared
            error to the one-hot labels :math:`\frac1{2B}\sum_i \lVert z_{L,i} - Y_i \rVert^2`
            (then :math:`\delta_L = (z_L - Y)/B`).

    Attributes:
        d: the number of parameters.
        n: the number of samples.
        slices: ``{name: slice}`` of each parameter block (``"W1"``, ``"b1"``, ...) in the flat vector.
        shapes: ``{name: shape}`` of each block.

    Examples:
        >>> import numpy as np
        >>> from mom_lib import heavy_ball, run
        >>> from mom_lib.network import MLP, digits
        >>> X, y, _, _ = digits()
        >>> net = MLP(X[:200], y[:200], hidden=(16,))
        >>> net.d, list(net.shapes)
        (1210, ['W1', 'b1', 'W2', 'b2'])
        >>> w0 = net.init(np.random.default_rng(0), shape=(3,))  # three seeds at once
        >>> res = run(heavy_ball, net.grad, w0, n_steps=50, keep="last", lr=0.5, beta=0.9)
        >>> bool(np.all(net.value(res.final) < net.value(w0)))
        True
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        hidden: Sequence[int] = (32,),
        n_classes: int | None = None,
        activation: str = "tanh",
        batch_norm: bool = False,
        weight_decay: float = 0.0,
        bn_eps: float = 1e-5,
        loss: str = "cross_entropy",
    ) -> None:
        X = as_float_array("X", X)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1 or not np.all(np.isfinite(X)):
            raise ValueError(f"X must be a finite array of shape (n, n_in) with n, n_in >= 1, got shape {X.shape}")
        y = np.asarray(y)
        if y.dtype == np.bool_:
            raise TypeError("y must hold integer labels, got booleans")
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must hold integer labels, shape ({X.shape[0]},); got dtype {y.dtype}, shape {y.shape}")
        if n_classes is None:
            n_classes = int(y.max()) + 1
        if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
            raise ValueError(f"n_classes must be a whole number >= 2, got {n_classes!r}")
        if y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"y must lie in [0, {n_classes}), got labels from {y.min()} to {y.max()}")
        if isinstance(hidden, (int, np.integer, str)) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden must be a sequence of layer widths such as (32,), got {hidden!r}")
        hidden = tuple(hidden)
        for h in hidden:
            if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
                raise ValueError(f"hidden must hold whole numbers >= 1 (layer widths), got {hidden!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {loss!r}")
        if not isinstance(batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm must be True or False, got {batch_norm!r}")
        if batch_norm and not hidden:
            raise ValueError("batch_norm needs at least one hidden layer (hidden=(width, ...))")
        weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        bn_eps = check_real("bn_eps", bn_eps, low=0.0, low_closed=False)

        self.X, self.y = X, y.astype(np.int64)
        self.n, self.n_in = X.shape
        self.n_classes = int(n_classes)
        self.Y = np.eye(self.n_classes)[self.y]
        self.hidden = hidden
        self.activation = activation
        self.batch_norm = bool(batch_norm)
        self.weight_decay = float(weight_decay)
        self.bn_eps = float(bn_eps)
        self.loss = loss
        widths = (self.n_in, *hidden, self.n_classes)
        self.n_layers = len(widths) - 1
        self.shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(1, self.n_layers + 1):
            self.shapes[f"W{layer}"] = (widths[layer - 1], widths[layer])
            if not (self.batch_norm and layer < self.n_layers):
                self.shapes[f"b{layer}"] = (widths[layer],)
        self.slices: dict[str, slice] = {}
        start = 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            self.slices[name] = slice(start, start + size)
            start += size
        self.d = start

    def __repr__(self) -> str:
        extra = ", batch_norm=True" if self.batch_norm else ""
        extra += f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"MLP(n={self.n}, hidden={self.hidden}, activation={self.activation!r}{extra}; d={self.d})"

    # -- parameters ---------------------------------------------------------------------------------

    def init(self, rng: np.random.Generator, *, shape: Sequence[int] = (), scale: float = 1.0) -> np.ndarray:
        r"""Random initial parameters: :math:`W_l \sim \mathcal N(0, s^2/n_{l-1})` entrywise, biases zero.

        This is LeCun's scaling (variance one over the fan-in), times ``scale`` :math:`s`.

        Args:
            rng: a ``np.random.Generator``.
            shape: the batch shape, e.g. ``(n_seeds,)``: one independent draw per batch element.
            scale: :math:`s > 0`.

        Returns:
            parameters of shape ``(*shape, d)``.
        """
        _check_rng(rng)
        scale = check_real("scale", scale, low=0.0, low_closed=False)
        if isinstance(shape, (int, np.integer)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise TypeError(f"shape must be a sequence of whole numbers >= 0 (a batch shape), got {shape!r}")
        shape = tuple(int(n) for n in shape)
        w = np.zeros((*shape, self.d))
        for name, (fan_in, fan_out) in ((k, s) for k, s in self.shapes.items() if k.startswith("W")):
            draw = rng.standard_normal((*shape, fan_in * fan_out)) * (scale / np.sqrt(fan_in))
            w[..., self.slices[name]] = draw
        return w

    def unflatten(self, w: Any) -> dict[str, np.ndarray]:
        """The parameter blocks of ``w`` (shape ``(*batch, d)``) as views of shape ``(*batch, *block_shape)``."""
        w = self._point(w)
        return {k: w[..., s].reshape(*w.shape[:-1], *self.shapes[k]) for k, s in self.slices.items()}

    def flatten(self, blocks: dict[str, Any]) -> np.ndarray:
        """The inverse of :meth:`unflatten`: blocks with a common batch shape -> ``(*batch, d)``."""
        missing = set(self.shapes) - set(blocks)
        if missing:
            raise ValueError(f"blocks is missing {sorted(missing)}; it needs {list(self.shapes)}")
        parts = []
        for k, shape in self.shapes.items():
            a = np.asarray(blocks[k], dtype=np.float64)
            if a.shape[a.ndim - len(shape) :] != shape:
                raise ValueError(f"block {k} must end in shape {shape}, got {a.shape}")
            parts.append(a.reshape(*a.shape[: a.ndim - len(shape)], -1))
        batch = np.broadcast_shapes(*(p.shape[:-1] for p in parts))
        return np.concatenate([np.broadcast_to(p, (*batch, p.shape[-1])) for p in parts], axis=-1)

    # -- the loss and its gradient ------------------------------------------------------------------

    def _point(self, w: Any) -> np.ndarray:
        w = as_float_array("w", w)
        if w.ndim == 0 or w.shape[-1] != self.d:
            raise ValueError(f"w must have shape (..., {self.d}) for this network, got shape {w.shape}")
        return w

    def _samples(self, w: np.ndarray, idx: Any) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and one-hot labels of the samples ``idx`` (all samples for ``None``)."""
        if idx is None:
            return self.X, self.Y
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim == 0 or idx.shape[-1] < 1:
            raise ValueError(f"idx must be an integer array of sample indices, shape (*batch, B); got {idx!r}")
        if idx.min() < 0 or idx.max() >= self.n:
            raise ValueError(f"idx must lie in [0, {self.n}), got indices from {idx.min()} to {idx.max()}")
        try:
            np.broadcast_shapes(idx.shape[:-1], w.shape[:-1])
        except ValueError:
            raise ValueError(
                f"the batch shapes of idx {idx.shape[:-1]} and w {w.shape[:-1]} do not broadcast"
            ) from None
        return self.X[idx], self.Y[idx]

    def loss_grad(self, w: Any, idx: Any = None) -> tuple[np.ndarray, np.ndarray]:
        r"""The loss and its gradient by backpropagation, on the samples ``idx`` (default: all).

        Forward, for :math:`l = 1, \dots, L` (with batch normalization on hidden layers if set):

        .. math::

            z_l = a_{l-1} W_l + b_l, \quad a_l = \phi(z_l), \qquad
            f = -\frac1B \sum_i \log \operatorname{softmax}(z_L)_{i, y_i} + \frac\lambda2 \lVert w\rVert^2 .

        Backward, from :math:`\delta_L = (\operatorname{softmax}(z_L) - Y)/B`:

        .. math::

            \nabla_{W_l} f = a_{l-1}^\top \delta_l + \lambda W_l, \quad
            \nabla_{b_l} f = \textstyle\sum_i \delta_{l, i} + \lambda b_l, \quad
            \delta_{l-1} = (\delta_l W_l^\top) \odot \phi'(z_{l-1}).

        Through a batch normalization :math:`z = (h - \bar h)/\sigma` the error becomes

        .. math::

            \frac{\partial f}{\partial h} = \frac{\delta - \operatorname{mean}(\delta)
            - z \operatorname{mean}(\delta \odot z)}{\sigma}

        (means over the samples of the batch).

        Args:
            w: parameters, shape ``(*batch, d)``.
            idx: sample indices, shape ``(*batch, B)`` (broadcasting against ``w``'s batch
                shape), or ``None`` for all ``n`` samples.

        Returns:
            ``(value, grad)``: shapes ``(*batch,)`` and ``(*batch, d)``.

        Examples:
            >>> import numpy as np
            >>> net = MLP(np.eye(3), [0, 1, 2], hidden=(4,))
            >>> f, g = net.loss_grad(np.zeros(net.d))
            >>> print(f"{f:.4f}", g.shape)  # log 3 at w = 0
            1.0986 (31,)
        """
        w = self._point(w)
        A0, Y = self._samples(w, idx)
        B = A0.shape[-2]
        p = self.unflatten(w)
        acts = [A0]  # a_0, a_1, ..., a_{L-1}
        norms = []  # (z, sigma) of each batch-normalized layer
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for layer in range(1, self.n_layers):
                h = matmul(acts[-1], p[f"W{layer}"])
                if self.batch_norm:
                    centred = h - h.mean(axis=-2, keepdims=True)
                    sigma = np.sqrt((centred**2).mean(axis=-2, keepdims=True) + self.bn_eps)
                    z = centred / sigma
                    norms.append((z, sigma))
                else:
                    z = h + p[f"b{layer}"][..., None, :]
                acts.append(np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0))
            L = self.n_layers
            logits = matmul(acts[-1], p[f"W{L}"]) + p[f"b{L}"][..., None, :]
            if self.loss == "mse":
                residual = logits - Y
                value = 0.5 * (residual**2).sum(axis=-1).mean(axis=-1)
                delta = residual / B  # df / dz_L
            else:
                shifted = logits - logits.max(axis=-1, keepdims=True)
                expz = np.exp(shifted)
                total = expz.sum(axis=-1, keepdims=True)
                log_p = shifted - np.log(total)
                value = -(Y * log_p).sum(axis=-1).mean(axis=-1)
                delta = (expz / total - Y) / B  # df / dz_L

            grads: dict[str, np.ndarray] = {}
            for layer in range(L, 0, -1):
                a_prev = acts[layer - 1]
                grads[f"W{layer}"] = matmul(np.swapaxes(a_prev, -1, -2), delta)
                if f"b{layer}" in self.shapes:
                    grads[f"b{layer}"] = delta.sum(axis=-2)
                if layer == 1:
                    break
                back = matmul(delta, np.swapaxes(p[f"W{layer}"], -1, -2))  # df / da_{layer-1}
                a = acts[layer - 1]
                back = back * (1.0 - a**2) if self.activation == "tanh" else back * (a > 0)  # df / dz
                if self.batch_norm:
                    z, sigma = norms[layer - 2]
                    back = (
                        back - back.mean(axis=-2, keepdims=True) - z * (back * z).mean(axis=-2, keepdims=True)
                    ) / sigma
                delta = back
            batch = np.broadcast_shapes(w.shape[:-1], delta.shape[:-2])
            grad = self.flatten({k: np.broadcast_to(g, (*batch, *self.shapes[k])) for k, g in grads.items()})
            if self.weight_decay:
                value = value + 0.5 * self.weight_decay * (w**2).sum(axis=-1)
                grad = grad + self.weight_decay * w
        return np.broadcast_to(value, batch).copy(), grad

    def value(self, w: Any, idx: Any = None) -> np.ndarray:
        """The loss on the samples ``idx`` (default: all), shape ``(*batch,)``."""
        return self.loss_grad(w, idx)[0]

    def __call__(self, w: Any) -> np.ndarray:
        return self.value(w)

    def grad(self, w: Any) -> np.ndarray:
        """The full-batch gradient, shape ``(*batch, d)``: a ``grad_fn`` for :func:`mom_lib.run`."""
        return self.loss_grad(w)[1]

    def grad_on(self, w: Any, idx: Any) -> np.ndarray:
        """The gradient on the samples ``idx`` (shape ``(*batch, B)``), for :func:`mom_lib.minibatch_grad`."""
        return self.loss_grad(w, idx)[1]

    def logits(self, w: Any, X: Any = None) -> np.ndarray:
        """The network's outputs :math:`z_L` on inputs ``X`` (default: the training inputs).

        Shape ``(*batch, m, n_classes)``. Batch normalization uses the statistics of ``X`` itself.
        """
        w = self._point(w)
        A = self.X if X is None else np.asarray(X, dtype=np.float64)
        if A.ndim < 2 or A.shape[-1] != self.n_in:
            raise ValueError(f"X must have shape (..., m, {self.n_in}), got {A.shape}")
        p = self.unflatten(w)
        with np.errstate(over="ignore", invalid="ignore"):
            for layer in range(1, self.n_layers):
                h = matmul(A, p[f"W{layer}"])
                if self.batch_norm:
                    c = h - h.mean(axis=-2, keepdims=True)
                    z = c / np.sqrt((c**2).mean(axis=-2, keepdims=True) + self.bn_eps)
                else:
                    z = h + p[f"b{layer}"][..., None, :]
                A = np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)
            L = self.n_layers
            return matmul(A, p[f"W{L}"]) + p[f"b{L}"][..., None, :]

    def accuracy(self, w: Any, X: Any = None, y: Any = None) -> np.ndarray:
        """The fraction of samples classified correctly (default: the training set), shape ``(*batch,)``."""
        labels = self.y if y is None else np.asarray(y)
        return (self.logits(w, X).argmax(axis=-1) == labels).mean(axis=-1)

    # -- curvature ----------------------------------------------------------------------------------

    def hvp(self, w: Any, u: Any, idx: Any = None, *, eps: float = 1e-4) -> np.ndarray:
        r"""The Hessian-vector product :math:`H(w)\,u` by a central difference of gradients.

        .. math::

            H u \approx \frac{\nabla f(w + h u) - \nabla f(w - h u)}{2h}, \qquad h = \frac{\epsilon}{\lVert u \rVert},

        exact for a quadratic; its error is :math:`O(\epsilon^2)` third derivatives, plus rounding
        of about :math:`10^{-16}/\epsilon` relative.

        Args:
            w: parameters, shape ``(*batch, d)``.
            u: directions, shape broadcasting against ``w``; nonzero (``nan`` rows, from
                diverged runs, give ``nan``).
            idx: the samples the loss is taken on (default: all).
            eps: :math:`\epsilon > 0`, the length of the difference step.

        Returns:
            shape ``(*batch, d)``.
        """
        w = self._point(w)
        u = np.asarray(u, dtype=np.float64)
        if isinstance(eps, bool) or not np.isfinite(eps) or eps <= 0:
            raise ValueError(f"eps must be finite and > 0, got {eps!r}")
        norm = np.sqrt((u**2).sum(axis=-1, keepdims=True))
        if np.any(norm == 0):
            raise ValueError("u must be nonzero in every batch element")
        h = eps / norm
        with np.errstate(invalid="ignore", over="ignore"):
            return (self.loss_grad(w + h * u, idx)[1] - self.loss_grad(w - h * u, idx)[1]) / (2 * h)

    def sharpness(
        self,
        w: Any,
        *,
        n_iter: int = 20,
        rng: np.random.Generator | None = None,
        u0: Any = None,
        idx: Any = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""The sharpness, the top eigenvalue of the Hessian of the loss, by power iteration.

        See :func:`power_iteration`; the operator is :meth:`hvp` at ``w``. Power iteration finds the
        eigenvalue of largest magnitude; in training it is the top (positive) one.

        Args:
            w: parameters, shape ``(*batch, d)``.
            n_iter: the number of Hessian-vector products, >= 1.
            rng: draws the start vector (give this or ``u0``).
            u0: the start vector(s), e.g. the eigenvector of an earlier call (warm start).
            idx: the samples the loss is taken on (default: all).

        Returns:
            ``(sharpness, vector)``: shapes ``(*batch,)`` and ``(*batch, d)``.

        Examples:
            >>> import numpy as np
            >>> from mom_lib.network import MLP, digits
            >>> X, y, _, _ = digits()
            >>> net = MLP(X[:100], y[:100], hidden=(8,))
            >>> w = net.init(np.random.default_rng(0))
            >>> s, u = net.sharpness(w, n_iter=100, rng=np.random.default_rng(1))
            >>> bool(abs(s - u @ net.hvp(w, u)) < 1e-6 * s)
            True
        """
        w = self._point(w)
        if u0 is None:
            if rng is None:
                raise ValueError("give rng (to draw the start vector) or u0 (a start vector)")
            _check_rng(rng)
            u0 = rng.standard_normal(w.shape)
        return power_iteration(lambda u: self.hvp(w, u, idx), np.broadcast_to(u0, w.shape), n_iter=n_iter)


def power_iteration(op: Any, u0: Any, *, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The eigenvalue of largest magnitude of a symmetric operator, batched, by power iteration.

    .. math::

        u_0 \leftarrow \frac{u_0}{\lVert u_0 \rVert}, \qquad
        u_{k+1} = \frac{A u_k}{\lVert A u_k \rVert}, \qquad \hat\lambda = u_n^\top A u_n .

    Args:
        op: the operator, ``u -> A u``, for ``u`` of shape ``(*batch, d)``.
        u0: the start vector(s), shape ``(*batch, d)``, nonzero (``nan`` rows give ``nan``).
        n_iter: :math:`n \ge 1` products before the Rayleigh quotient.

    Returns:
        ``(eigenvalue, unit vector)``, shapes ``(*batch,)`` and ``(*batch, d)``.

    Examples:
        >>> import numpy as np
        >>> A = np.diag([3.0, 1.0, 0.5])
        >>> lam, u = power_iteration(lambda u: u @ A, np.ones(3), n_iter=60)
        >>> print(f"{lam:.6f}")
        3.000000
    """
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be a whole number >= 1, got {n_iter!r}")
    u = np.array(u0, dtype=np.float64)
    if u.ndim == 0:
        raise ValueError("u0 must have a last axis (shape (*batch, d))")
    norm = np.sqrt((u**2).sum(axis=-1, keepdims=True))
    if np.any(norm == 0):
        raise ValueError("u0 must be nonzero in every batch element")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        u = u / norm
        for _ in range(n_iter):
            au = np.asarray(op(u), dtype=np.float64)
            u = au / np.sqrt((au**2).sum(axis=-1, keepdims=True))
        return (u * np.asarray(op(u))).sum(axis=-1), u


def _check_rng(rng: Any) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
