"""mom_lib: the numerical core of the Momentum book.

Pure step rules (:mod:`mom_lib.steps`; Adam, Lion, Muon and others in
:mod:`mom_lib.optimizers`) and their registry (:mod:`mom_lib.methods`: label,
convention and linear theory of each), one batched driver (:func:`run`), objectives with
known minimizers (:mod:`mom_lib.objectives`), the linear theory (:mod:`mom_lib.theory`),
convention conversions (:mod:`mom_lib.conventions`), shared plots (:mod:`mom_lib.plotting`),
the noisy quadratic model with its exact expected loss (:mod:`mom_lib.noise`) and a small neural
network every step rule can train (:mod:`mom_lib.network`).

The book's momentum convention is PyTorch's:
``v <- beta * v + grad f(x)``, ``x <- x - lr * v``.
"""

from .conventions import CONVENTIONS, demon, lookahead_point, state_scale, step_rule_for, translate
from .exercises import check
from .formatting import format_small
from .network import MLP
from .noise import (
    NoisyQuadratic,
    TunedSteps,
    critical_batch_size,
    expected_loss,
    expected_loss_curves,
    stationary_covariance,
    steps_to_target,
    tuned_steps_to_target,
)
from .objectives import (
    Himmelblau,
    LeastSquares,
    MultiWell1D,
    MultiWell2D,
    Objective,
    Quadratic,
    Rosenbrock,
    minibatch_grad,
    noisy_grad,
)
from .optimizers import (
    AdamState,
    NAdamState,
    ScheduleFreeState,
    adam,
    adamw,
    lion,
    muon,
    nadam,
    newton_schulz,
    schedule_free_sgd,
)
from .plotting import plot_contours, plot_heatmap, plot_loss, plot_trajectory
from .runner import DIVERGENCE_THRESHOLD, Result, run
from .steps import ema, gd, heavy_ball, nesterov, qhm, sutskever, sutskever_nesterov, torch_sgd
from .theory import (
    characteristic_roots,
    complex_band,
    critical_beta,
    effective_window,
    ema_noise_variance,
    gd_optimal_lr,
    gd_optimal_rate,
    half_life,
    iteration_matrix,
    iterations_to_tolerance,
    lag,
    measured_rate,
    optimal_params,
    rate,
    stability_limit,
)

__version__ = "0.1.0"

__all__ = [
    "AdamState",
    "NAdamState",
    "ScheduleFreeState",
    "adam",
    "adamw",
    "lion",
    "muon",
    "nadam",
    "newton_schulz",
    "schedule_free_sgd",
    "CONVENTIONS",
    "DIVERGENCE_THRESHOLD",
    "Himmelblau",
    "LeastSquares",
    "MLP",
    "MultiWell1D",
    "MultiWell2D",
    "NoisyQuadratic",
    "Objective",
    "Quadratic",
    "Result",
    "Rosenbrock",
    "TunedSteps",
    "characteristic_roots",
    "check",
    "complex_band",
    "critical_batch_size",
    "critical_beta",
    "demon",
    "effective_window",
    "ema",
    "ema_noise_variance",
    "expected_loss",
    "expected_loss_curves",
    "format_small",
    "gd",
    "gd_optimal_lr",
    "gd_optimal_rate",
    "half_life",
    "heavy_ball",
    "iteration_matrix",
    "iterations_to_tolerance",
    "lag",
    "lookahead_point",
    "measured_rate",
    "minibatch_grad",
    "nesterov",
    "noisy_grad",
    "optimal_params",
    "plot_contours",
    "plot_heatmap",
    "plot_loss",
    "plot_trajectory",
    "qhm",
    "rate",
    "run",
    "stability_limit",
    "stationary_covariance",
    "steps_to_target",
    "state_scale",
    "step_rule_for",
    "sutskever",
    "sutskever_nesterov",
    "torch_sgd",
    "translate",
    "tuned_steps_to_target",
]
