"""Theory learning curves of a frozen first layer: transfer learning (TL) and random features (RF).

With the first layer ``W`` frozen, the readout trained on ``n`` target samples is a convex problem
on fixed features, and its test error follows from the Gaussian covariate model: covariances by
:func:`~tlcourse.theory.feature_covariances`, then :func:`~tlcourse.theory.solve_gcm` at
``alpha_gcm = n / K`` for every size (one eigendecomposition, warm starts). TL uses the source
network's ``W_s``; RF an i.i.d. Gaussian ``W`` (:func:`tlcourse.protocols.random_first_layer`),
whose test error concentrates: one draw stands for all of them at large sizes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive
from ..data import Task
from .equivalence import feature_covariances
from .gcm import solve_gcm

COLUMNS = ["n", "alpha", "alpha_gcm", "test_error", "train_loss", "converged", "iterations",
           "residual"]


def _sizes(alphas, ns, N: int) -> np.ndarray:
    if (alphas is None) == (ns is None):
        raise ValueError("give exactly one of alphas (samples per input dimension, n / N) or ns")
    if ns is not None:
        values = [ns] if np.isscalar(ns) else list(ns)
        out = np.array([check_int(n, "ns", low=1) for n in values], dtype=float)
    else:
        values = [alphas] if np.isscalar(alphas) else list(alphas)
        out = np.array([check_positive(a, "alphas") * N for a in values])
    if out.size == 0:
        raise ValueError("the grid of sizes (alphas or ns) must not be empty")
    return out


def learning_curve(
    W,
    task: Task,
    *,
    alphas=None,
    ns=None,
    lam: float = 0.1,
    loss: str = "logistic",
    phi: str = "erf",
    method: str = "analytic",
    covariances: tuple[np.ndarray, np.ndarray] | None = None,
    **solver_options,
) -> pd.DataFrame:
    """Theory test errors of the readout on frozen features ``phi(W x / sqrt(N))`` of ``task``.

    ``W`` (K, N): the source's first layer (TL) or a random one (RF). Sizes: ``alphas``
    (``n = alpha N``, the course's samples per input dimension; need not be integers) or ``ns``.
    ``covariances = (Omega, Phi)`` skips their computation (e.g. Monte Carlo ones); otherwise
    ``feature_covariances(W, task, phi, method)``. ``solver_options`` go to
    :func:`~tlcourse.theory.solve_gcm` (``tol``, ``damping``, ...).

    Returns a DataFrame, one row per size in the order given, with columns ``n, alpha (= n / N),
    alpha_gcm (= n / K), test_error, train_loss, converged, iterations, residual``.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    n = _sizes(alphas, ns, task.N)
    W = np.asarray(W, dtype=np.float64)
    if covariances is None:
        Omega, Phi = feature_covariances(W, task, phi=phi, method=method)
    else:
        Omega, Phi = covariances
    K = W.shape[0]
    results = solve_gcm(Omega, Phi, task.theta, alpha=list(n / K), lam=lam, loss=loss,
                        **solver_options)
    rows = [
        {"n": size, "alpha": size / task.N, "alpha_gcm": r.alpha, "test_error": r.test_error,
         "train_loss": r.train_loss, "converged": r.converged, "iterations": r.iterations,
         "residual": r.residual}
        for size, r in zip(n, results, strict=True)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
