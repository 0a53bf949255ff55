"""Theory of transfer learning and random features: a Gaussian covariate model (part III).

- :mod:`~tlcourse.theory.equivalence`: Gaussian equivalence, the covariances ``Omega``, ``Phi``
  of a frozen feature map on a task (analytic or Monte Carlo);
- :mod:`~tlcourse.theory.gcm`: the replica saddle-point equations and their solver;
- :mod:`~tlcourse.theory.curves`: theory learning curves of a frozen first layer (TL, RF).
"""

from ..activations import kappas
from .curves import learning_curve
from .equivalence import feature_covariances, input_moments
from .gcm import GCMConvergenceWarning, GCMResult, logistic_prox, solve_gcm

__all__ = [
    "GCMConvergenceWarning",
    "GCMResult",
    "feature_covariances",
    "input_moments",
    "kappas",
    "learning_curve",
    "logistic_prox",
    "solve_gcm",
]
