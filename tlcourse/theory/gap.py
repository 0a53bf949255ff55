"""The gap between theory and simulation, split into four parts that add up to it.

At finite size the replica theory of a frozen first layer ``W`` (K, N) misses the simulated test
error of the readout by a small ``gap = theory - real``. :func:`gap_split` measures it on one
layer over paired seeds and splits it, using the exact (Monte Carlo) covariances
``Omega_mc, Phi_mc`` of the features as the reference::

    theory - real = (theory - theory_mc)      covariances: analytic vs exact moments
                  + (theory_mc - gauss)       Gaussian model: its finite-size part
                  + (gauss - real_as_gauss)   training: readout fitted on real features
                  + (real_as_gauss - real)    test: one readout, Gaussian law vs real

``theory_mc`` is the replica theory on ``Omega_mc, Phi_mc``; ``gauss`` the exact Gaussian test
error of the readout fitted on Gaussian surrogate features with those covariances (same training
latents and labels); ``real_as_gauss`` the exact Gaussian test error (with those covariances) of
the readout fitted on the real features; ``real`` its error on real test samples. The first part
is the error of the two-step formulas for ``Omega, Phi``; the second, the Gaussian covariate
model's distance from its ``K -> infinity`` limit; the last two, what non-Gaussian features change
when the readout is trained on them and when it is tested on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import RNGLike, check_int, check_positive
from ..data import Task
from .equivalence import feature_covariances
from .finite_size import paired_runs
from .gcm import solve_gcm

#: each part of the gap: the first column minus the second; they add up to ``theory - real``
GAP_PARTS: dict[str, tuple[str, str]] = {
    "covariances": ("theory", "theory_mc"),
    "Gaussian model": ("theory_mc", "gauss"),
    "training": ("gauss", "real_as_gauss"),
    "test": ("real_as_gauss", "real"),
}


def gap_split(
    W, task: Task, alpha: float, *, lam: float, seeds, n_test: int, n_mc: int, rng_mc: RNGLike,
    activation: str = "erf",
) -> pd.DataFrame:
    """Theory minus simulation on the frozen layer ``W`` (K, N) at ``alpha = P / N``, split.

    ``seeds``: the paired seeds of :func:`~tlcourse.theory.paired_runs` (training latents,
    surrogate noise and test set of each); ``n_test`` test samples per seed; ``n_mc`` Monte Carlo
    samples (drawn from ``rng_mc``) for the exact covariances, whose own sampling error then
    enters the ``covariances`` part and shows as spread between layers. Returns one row per
    seed: ``seed``, the columns ``theory, theory_mc, gauss, real_as_gauss, real``, the ``gap``
    ``theory - real`` and one column per part of :data:`GAP_PARTS` (they add up to ``gap``).
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    W = np.asarray(W, dtype=np.float64)
    alpha = check_positive(alpha, "alpha")
    n_mc = check_int(n_mc, "n_mc", low=2)
    exact = feature_covariances(W, task, activation, method="monte-carlo", n_samples=n_mc,
                                rng=rng_mc)
    runs = paired_runs(W, task, [alpha], lam=lam, seeds=seeds, n_test=n_test,
                       activation=activation, covariances=exact)
    out = runs[["seed", "gauss", "real_as_gauss", "real"]].copy()
    out.insert(1, "theory_mc", runs["theory"])
    analytic = feature_covariances(W, task, activation)
    out.insert(1, "theory", solve_gcm(*analytic, task.theta, samples_per_feature=runs["n"].iloc[0]
                                      / W.shape[0], lam=lam).test_error)
    out["gap"] = out["theory"] - out["real"]
    for name, (first, second) in GAP_PARTS.items():
        out[name] = out[first] - out[second]
    return out.reset_index(drop=True)


__all__ = ["GAP_PARTS", "gap_split"]
