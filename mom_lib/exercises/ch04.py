r"""Chapter 4 (momentum as an exponential moving average): ``ex-04-ema-update``, ``ex-04-half-life``.

``ex-04-ema-update``: ``ema_update(m, grad, beta) -> m_next``, one update of the exponentially
weighted moving average of the gradients,

.. math::

    m_{t+1} = \beta m_t + (1 - \beta) \nabla f(x_t),

with ``m`` and ``grad`` of shape ``(d,)``. The reference is the state update of
:func:`mom_lib.ema`. One case chains many calls with a constant gradient: the average must
approach the gradient itself (not :math:`g / (1 - \beta)` as the book's velocity does).

``ex-04-half-life``: ``half_life(beta) -> float``, the number of steps after which a
gradient's weight :math:`\beta^\tau` has halved,

.. math::

    \tau_{1/2} = \frac{\ln 0.5}{\ln \beta}.

The reference is :func:`mom_lib.half_life`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..steps import ema
from ..theory import half_life
from ._core import Case, Exercise, Mistake, register, vec

__all__: list[str] = []


def _ema_update(m, grad, beta):
    return ema(np.zeros_like(m), m, lambda _: grad, lr=0.0, beta=beta)[1]


def _chain_constant(fn, inputs: dict[str, Any]) -> Any:
    """Call ``fn`` ``n_calls`` times with the same gradient, feeding its output back in."""
    m, grad, beta = (inputs[k] for k in ("m", "grad", "beta"))
    for _ in range(inputs["n_calls"]):
        out = fn(m, grad, beta)
        if np.shape(out) != np.shape(m):
            return out
        m = out
    return m


def _half_life(beta):
    return float(half_life(beta))


register(
    Exercise(
        id="ex-04-ema-update",
        signature="ema_update(m, grad, beta) -> m_next",
        reference=_ema_update,
        cases=[
            Case("one update", {"m": vec(1.0, -2.0), "grad": vec(3.0, 0.5), "beta": 0.9}),
            Case(
                "from m = 0 the first average is (1 - beta) * grad",
                {"m": vec(0.0, 0.0), "grad": vec(2.0, -4.0), "beta": 0.8},
            ),
            Case("beta = 0 forgets the past: m_next = grad", {"m": vec(5.0, 1.0), "grad": vec(-1.0, 2.0), "beta": 0.0}),
            Case(
                "a zero gradient decays the average by beta",
                {"m": vec(2.0, -1.0, 0.5), "grad": vec(0.0, 0.0, 0.0), "beta": 0.7},
            ),
            Case("a 1-D update", {"m": vec(0.25), "grad": vec(1.0), "beta": 0.99}),
            Case(
                "300 calls with a constant gradient approach the gradient itself",
                {"m": vec(0.0, 0.0), "grad": vec(2.0, -1.0), "beta": 0.9, "n_calls": 300},
                drive=_chain_constant,
            ),
        ],
        mistakes=[
            Mistake(
                "swapped",
                lambda m, grad, beta: (1 - beta) * m + beta * grad,
                "the weights are swapped: beta multiplies the old average (the memory) and 1 - beta "
                "the fresh gradient: m_next = beta * m + (1 - beta) * grad.",
            ),
            Mistake(
                "pytorch",
                lambda m, grad, beta: beta * m + grad,
                "this is the book's velocity v_next = beta * v + grad (PyTorch's momentum buffer), a sum "
                "whose weights add up to 1 / (1 - beta). The average scales the fresh gradient by "
                "1 - beta: m_next = beta * m + (1 - beta) * grad.",
            ),
            Mistake(
                "no-decay",
                lambda m, grad, beta: m + (1 - beta) * grad,
                "you forgot to multiply the old average by beta: m + (1 - beta) * grad never forgets and "
                "grows without bound under a constant gradient. m_next = beta * m + (1 - beta) * grad.",
            ),
        ],
    )
)

register(
    Exercise(
        id="ex-04-half-life",
        signature="half_life(beta) -> float",
        reference=_half_life,
        cases=[
            Case("beta = 0.9", {"beta": 0.9}),
            Case("beta = 0.99", {"beta": 0.99}),
            Case("beta = 0.5 halves in one step", {"beta": 0.5}),
            Case("beta = 0.1 halves in less than one step", {"beta": 0.1}),
            Case("beta = 0.999", {"beta": 0.999}),
        ],
        mistakes=[
            Mistake(
                "window",
                lambda beta: 1 / (1 - beta),
                "1 / (1 - beta) is the total weight (the effective window), not the half-life. Solve "
                "beta ** tau = 0.5 for tau: tau = ln 0.5 / ln beta.",
            ),
            Mistake(
                "inverted",
                lambda beta: np.log(beta) / np.log(0.5),
                "the ratio is upside down: beta ** tau = 0.5 gives tau * ln beta = ln 0.5, so tau = ln 0.5 / ln beta.",
            ),
            Mistake(
                "e-folding",
                lambda beta: -1 / np.log(beta),
                "-1 / ln beta is the time for the weight to fall by a factor e, not 2. The half-life is "
                "ln 0.5 / ln beta (ln 2 = 0.693 times as long).",
            ),
            Mistake(
                "mixed-bases",
                lambda beta: np.log10(0.5) / np.log(beta),
                "both logarithms must have the same base: ln 0.5 / ln beta (or log10(0.5) / log10(beta)); "
                "mixing log10 and ln is off by the factor ln 10.",
            ),
        ],
    )
)
