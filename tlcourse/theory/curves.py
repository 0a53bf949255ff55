"""Theory learning curves of a frozen first layer: transfer learning (TL) and random features (RF).

With the first layer ``W`` frozen, the readout trained on ``n`` target samples is a convex problem
on fixed features, and its test error follows from the Gaussian covariate model: covariances by
:func:`~tlcourse.theory.feature_covariances`, then the saddle point at
``samples_per_feature = n / K`` for every size (one eigendecomposition; the logistic loss on the
batch solver :func:`~tlcourse.theory.batch.solve_gcm_batch`, every size at once, with the
quadrature and tolerance of :func:`~tlcourse.theory.solve_gcm`, whose test errors it gives to
``1e-8``; the square loss on ``solve_gcm``). Sizes are
given as ``alpha = n / N`` (the course's ratio) or as ``n``; the theory is the high-dimensional
limit at a fixed ratio, so ``n = alpha N`` need not be an integer here (simulations round it,
:func:`tlcourse.data.sample_counts`). TL uses the source
network's ``W_s``; RF an i.i.d. Gaussian ``W`` (:func:`tlcourse.protocols.random_first_layer`),
whose test error concentrates: one draw stands for all of them at large sizes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._checks import check_array, check_positive
from ..data import Task, sample_counts
from ..specs import LAM
from .batch import BatchResult, solve_gcm_batch
from .equivalence import check_layer, feature_covariances
from .gcm import (
    GCMConvergenceWarning,
    _channel_logistic,
    _quadrature,
    _solve_one,
    _Spectrum,
    solve_gcm,
    spectrum,
)

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


def check_covariances(covariances, K: int, task: Task) -> tuple[np.ndarray, np.ndarray]:
    """``covariances = (Omega, Phi)`` checked against a first layer of ``K`` units and ``task``:
    ``Omega`` (K, K) and ``Phi`` (K, D_task), finite; returned as float arrays."""
    if not (isinstance(covariances, tuple | list) and len(covariances) == 2):
        raise TypeError("covariances must be a pair (Omega, Phi)")
    Omega = check_array(covariances[0], "Omega", ndim=2)
    Phi = check_array(covariances[1], "Phi", ndim=2)
    if Omega.shape != (K, K):
        raise ValueError(f"Omega must be (K, K) = ({K}, {K}) for a first layer of K = {K} "
                         f"units, got {Omega.shape}")
    if Phi.shape != (K, task.theta.size):
        raise ValueError(f"Phi must be (K, D_task) = ({K}, {task.theta.size}) for this first "
                         f"layer and task, got {Phi.shape}")
    return Omega, Phi


def _checked_covariances(W, task: Task, activation: str, method: str, covariances
                         ) -> tuple[np.ndarray, np.ndarray, int]:
    """``(Omega, Phi, K)`` of the readout on ``phi(W x / sqrt(N))`` of ``task``: ``covariances``
    checked against ``W`` and ``task``, or computed."""
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    K = check_layer(W, task).shape[0]
    if covariances is None:
        covariances = feature_covariances(W, task, activation=activation, method=method)
    return (*check_covariances(covariances, K, task), K)


def problem(W, task: Task, *, activation: str = "erf", method: str = "analytic",
            covariances: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[_Spectrum, int]:
    """The saddle-point problem of the readout on ``phi(W x / sqrt(N))`` of ``task``: its
    spectrum (for :func:`~tlcourse.theory.batch.solve_gcm_batch`) and ``K``, the number of
    features. ``covariances = (Omega, Phi)`` are checked against ``W`` and ``task``."""
    Omega, Phi, K = _checked_covariances(W, task, activation, method, covariances)
    return spectrum(Omega, Phi, task.theta, label_noise=task.label_noise), K


def solve(spectra, ratios, lam, *, start=None, tol: float = 1e-9, max_iter: int = 5000,
          n_outer: int = 48, n_inner: int = 32) -> BatchResult:
    """:func:`~tlcourse.theory.batch.solve_gcm_batch` (logistic loss), and the plain damped
    iteration of :func:`~tlcourse.theory.solve_gcm` from the uninformed start for the points
    where the batch's accelerated iteration does not settle (near the interpolation threshold
    at a small ``lam``, say); warns only if that fails too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GCMConvergenceWarning)
        res = solve_gcm_batch(spectra, ratios, lam, start=start, tol=tol, max_iter=max_iter,
                              n_outer=n_outer, n_inner=n_inner)
    if res.converged.all():
        return res
    fields = {f: getattr(res, f).copy() for f in ("test_error", "m", "q", "V", "iterations",
                                                  "residual", "converged")}
    lams = np.broadcast_to(np.asarray(lam, dtype=np.float64), res.m.shape)
    quad = _quadrature(n_outer, n_inner)
    for i, j in zip(*np.nonzero(~res.converged), strict=True):
        spec = spectra[i]
        r = _solve_one(spec, float(ratios[j]), float(lams[i, j]), "logistic",
                       (0.0, 0.1 * spec.rho, 1.0), quad, 0.0, tol, max_iter)
        for f in fields:
            fields[f][i, j] = getattr(r, f)
    return BatchResult(**fields)


def curve_table(n: np.ndarray, N: int, K: int, spec: _Spectrum, res: BatchResult,
                row: int = 0, n_outer: int = 48, n_inner: int = 32) -> pd.DataFrame:
    """The :data:`COLUMNS` table of row ``row`` of a batch result over sizes ``n`` (logistic
    loss; the training loss from the channel at the fixed point)."""
    quad = _quadrature(n_outer, n_inner)
    loss = [_channel_logistic(m, q, V, spec.rho, quad, spec.label_noise)[3]
            for m, q, V in zip(res.m[row], res.q[row], res.V[row], strict=True)]
    return pd.DataFrame({"n": n, "alpha": n / N, "samples_per_feature": n / K,
                         "test_error": res.test_error[row], "train_loss": loss,
                         "converged": res.converged[row], "iterations": res.iterations[row],
                         "residual": res.residual[row]}, columns=COLUMNS)


def learning_curve(
    W,
    task: Task,
    *,
    alphas=None,
    ns=None,
    lam: float = LAM,
    loss: str = "logistic",
    activation: str = "erf",
    method: str = "analytic",
    covariances: tuple[np.ndarray, np.ndarray] | None = None,
    tol: float = 1e-9,
    max_iter: int = 5000,
) -> pd.DataFrame:
    """Theory test errors of the readout on frozen features ``phi(W x / sqrt(N))`` of ``task``,
    ``phi`` the network's ``activation``.

    ``W`` (K, N): the source's first layer (TL) or a random one (RF); the readout trains on
    labels flipped with probability ``task.label_noise``, its test error is against the
    teacher's clean labels. Sizes: ``alphas``
    (``n = alpha N``, the course's samples per input dimension; need not be integers) or ``ns``.
    ``covariances = (Omega, Phi)`` skips their computation (e.g. Monte Carlo ones; ``Omega``
    must be (K, K) and ``Phi`` (K, D_task)); otherwise ``feature_covariances(W, task,
    activation, method)``. ``tol``, ``max_iter``: the solver's stopping rule (as in
    :func:`~tlcourse.theory.solve_gcm`). At the penalty that minimises the test error:
    :func:`~tlcourse.theory.transfer.best_penalty`.

    Returns a DataFrame, one row per size in the order given, with columns ``n, alpha (= n / N),
    samples_per_feature (= n / K), test_error, train_loss, converged, iterations, residual``.
    """
    Omega, Phi, K = _checked_covariances(W, task, activation, method, covariances)
    n = _sizes(alphas, ns, task.N)
    if loss == "logistic":
        spec = spectrum(Omega, Phi, task.theta, label_noise=task.label_noise)
        res = solve([spec], n / K, lam, tol=tol, max_iter=max_iter)
        return curve_table(n, task.N, K, spec, res)
    results = solve_gcm(Omega, Phi, task.theta, samples_per_feature=list(n / K), lam=lam,
                        loss=loss, tol=tol, max_iter=max_iter, label_noise=task.label_noise)
    rows = [
        {"n": size, "alpha": size / task.N, "samples_per_feature": r.samples_per_feature,
         "test_error": r.test_error,
         "train_loss": r.train_loss, "converged": r.converged, "iterations": r.iterations,
         "residual": r.residual}
        for size, r in zip(n, results, strict=True)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
