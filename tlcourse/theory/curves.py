"""Theory learning curves of a frozen first layer: transfer learning (TL) and random features (RF).

With the first layer ``W`` frozen, the readout trained on ``n`` target samples is a convex problem
on fixed features, and its test error follows from the Gaussian covariate model: covariances by
:func:`~tlcourse.theory.feature_covariances`, then :func:`~tlcourse.theory.solve_gcm` at
``samples_per_feature = n / K`` for every size (one eigendecomposition, warm starts). Sizes are
given as ``alpha = n / N`` (the course's ratio) or as ``n``; the theory is the high-dimensional
limit at a fixed ratio, so ``n = alpha N`` need not be an integer here (simulations round it,
:func:`tlcourse.data.sample_counts`). TL uses the source
network's ``W_s``; RF an i.i.d. Gaussian ``W`` (:func:`tlcourse.protocols.random_first_layer`),
whose test error concentrates: one draw stands for all of them at large sizes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_positive
from ..data import Task, sample_counts
from .equivalence import feature_covariances
from .gcm import solve_gcm

COLUMNS = ["n", "alpha", "samples_per_feature", "test_error", "train_loss", "converged",
           "iterations", "residual"]


def _sizes(alphas, ns, N: int) -> np.ndarray:
    """Sizes ``n`` of the grid: ``ns`` as given, or ``alpha N`` kept exact (not rounded)."""
    if alphas is None or ns is not None:  # ns, or the error for neither / both
        return np.array(sample_counts(N, alphas=alphas, ns=ns), dtype=float)
    values = [alphas] if np.isscalar(alphas) else list(alphas)
    if not values:
        raise ValueError("the grid of sizes (alphas or ns) must not be empty")
    return np.array([check_positive(a, "alphas") * N for a in values])


def learning_curve(
    W,
    task: Task,
    *,
    alphas=None,
    ns=None,
    lam: float = 0.1,
    loss: str = "logistic",
    activation: str = "erf",
    method: str = "analytic",
    covariances: tuple[np.ndarray, np.ndarray] | None = None,
    **solver_options,
) -> pd.DataFrame:
    """Theory test errors of the readout on frozen features ``phi(W x / sqrt(N))`` of ``task``,
    ``phi`` the network's ``activation``.

    ``W`` (K, N): the source's first layer (TL) or a random one (RF). Sizes: ``alphas``
    (``n = alpha N``, the course's samples per input dimension; need not be integers) or ``ns``.
    ``covariances = (Omega, Phi)`` skips their computation (e.g. Monte Carlo ones); otherwise
    ``feature_covariances(W, task, activation, method)``. ``solver_options`` go to
    :func:`~tlcourse.theory.solve_gcm` (``tol``, ``damping``, ...).

    Returns a DataFrame, one row per size in the order given, with columns ``n, alpha (= n / N),
    samples_per_feature (= n / K), test_error, train_loss, converged, iterations, residual``.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    n = _sizes(alphas, ns, task.N)
    W = np.asarray(W, dtype=np.float64)
    if covariances is None:
        Omega, Phi = feature_covariances(W, task, activation=activation, method=method)
    else:
        Omega, Phi = covariances
    K = W.shape[0]
    results = solve_gcm(Omega, Phi, task.theta, samples_per_feature=list(n / K), lam=lam,
                        loss=loss, **solver_options)
    rows = [
        {"n": size, "alpha": size / task.N, "samples_per_feature": r.samples_per_feature,
         "test_error": r.test_error,
         "train_loss": r.train_loss, "converged": r.converged, "iterations": r.iterations,
         "residual": r.residual}
        for size, r in zip(n, results, strict=True)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
