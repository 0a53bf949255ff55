"""Theory of transfer learning and random features: a Gaussian covariate model (part III).

- :mod:`~tlcourse.theory.equivalence`: Gaussian equivalence, the covariances ``Omega``, ``Phi``
  of a frozen feature map on a task (analytic or Monte Carlo);
- :mod:`~tlcourse.theory.gcm`: the replica saddle-point equations and their solver;
- :mod:`~tlcourse.theory.curves`: theory learning curves of a frozen first layer (TL, RF);
- :mod:`~tlcourse.theory.transfer`: the theory of transfer on the batch solver: each protocol's
  best penalty and its learning curve, transfer-gain maps at a given or the best penalty;
- :mod:`~tlcourse.theory.finite_size`: theory against simulation at finite size, paired, with the
  Gaussian surrogate of real features and the exact test error of a readout on Gaussian features;
- :mod:`~tlcourse.theory.gap`: theory minus simulation split into four parts (covariances,
  Gaussian model, training, test);
- :mod:`~tlcourse.theory.ridge`: the optimal penalty of the isotropic ridge case;
- :mod:`~tlcourse.theory.bayes`: the Bayes-optimal error on the latent vector, a bound for every
  learner (from scratch, or knowing the source teacher).
"""

from ..activations import kappas
from . import bayes, finite_size, gap, transfer
from .bayes import bayes_optimal_error
from .curves import learning_curve
from .equivalence import feature_covariances, input_moments
from .finite_size import gaussian_error, paired_runs, random_features_theory, readout_overlaps
from .gap import gap_split
from .gcm import (
    GCMConvergenceWarning,
    GCMResult,
    gcm_iterates,
    logistic_prox,
    ridge_isotropic,
    solve_gcm,
)
from .ridge import ridge_optimal_penalty
from .transfer import best_penalty

__all__ = [
    "GCMConvergenceWarning",
    "GCMResult",
    "bayes",
    "bayes_optimal_error",
    "best_penalty",
    "feature_covariances",
    "finite_size",
    "gap",
    "gap_split",
    "gaussian_error",
    "gcm_iterates",
    "input_moments",
    "kappas",
    "learning_curve",
    "logistic_prox",
    "paired_runs",
    "random_features_theory",
    "readout_overlaps",
    "ridge_isotropic",
    "ridge_optimal_penalty",
    "solve_gcm",
    "transfer",
]
