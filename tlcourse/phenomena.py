"""Analysis helpers of part IV (phenomena): transfer-gain maps and what a first layer learned.

- :func:`theory_curve`: the theory's test errors of a frozen first layer ``W`` on a task over a
  grid of ``alpha`` (Gaussian equivalence, then the saddle-point equations of
  :func:`tlcourse.theory.solve_gcm`);
- :func:`gain_map`: the theory's test errors of TL and RF over a grid ``knob value x alpha``, and
  their difference, the *transfer gain* ``eps_RF - eps_TL`` (negative: negative transfer);
- :func:`effective_rank`: the participation ratio of the singular values of a first layer, a
  measure of how many directions its features really use;
- :func:`alignment`: the fraction of a first layer's squared norm in the span of the latent
  features ``F`` (defined in :mod:`tlcourse.firstlayer`, re-exported here).

Crossovers of learning curves and their uncertainty are in :mod:`tlcourse.stats`.
Conventions: ``alpha = P / N``, target samples per input dimension, as everywhere in the course.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import theory
from ._checks import check_array, check_choice, check_positive
from .data import Task, make_target
from .firstlayer import alignment
from .jobs import check_n_jobs, run_jobs

KNOBS = (
    "teacher_perturbation",
    "feature_perturbation",
    "feature_substitution",
    "latent_added",
    "latent_removed",
)
# looser than solve_gcm's default 1e-9: the maps differ from it by ~1e-7 in test error, 2x faster
MAP_TOL = 1e-6


def theory_curve(W, task: Task, alphas, lam: float, *, tol: float = MAP_TOL) -> np.ndarray:
    """The theory's test errors of the frozen first layer ``W`` (K, N) on ``task``, one per alpha.

    An array (len(alphas),) from :func:`tlcourse.theory.learning_curve`: l2 logistic readout of
    strength ``lam`` on ``n = alpha N`` samples, features ``erf(W x / sqrt(N))``, analytic
    Gaussian equivalence, saddle point solved to ``tol``.
    """
    curve = theory.learning_curve(W, task, alphas=alphas, lam=lam, tol=tol)
    return curve["test_error"].to_numpy()


@dataclass(frozen=True)
class GainMap:
    """Theory test errors of TL and RF over a grid of knob values x alphas.

    ``knob``: the name of the :func:`tlcourse.make_target` knob; ``values`` (n_k,), ``alphas``
    (n_a,); ``tl``, ``rf`` (n_k, n_a) test errors. ``gain = rf - tl`` is the transfer gain
    (positive: the transferred features beat random ones; negative: negative transfer).
    """

    knob: str
    values: np.ndarray
    alphas: np.ndarray
    tl: np.ndarray
    rf: np.ndarray

    @property
    def gain(self) -> np.ndarray:
        """``eps_RF - eps_TL`` (n_k, n_a)."""
        return self.rf - self.tl


def _map_row(W_source, W_random, source, knob, value, target_rng, alphas, lam, tol):
    target = make_target(source, **{knob: value}, rng=target_rng)
    return (
        theory_curve(W_source, target, alphas, lam, tol=tol),
        theory_curve(W_random, target, alphas, lam, tol=tol),
    )


def gain_map(
    W_source,
    W_random,
    source: Task,
    knob: str,
    values,
    alphas,
    lam: float,
    *,
    target_rng: int = 1,
    tol: float = MAP_TOL,
    n_jobs: int | None = 2,
) -> GainMap:
    """Theory maps of TL and RF test errors over ``values`` of ``knob`` and ``alphas``.

    ``W_source`` (K, N): the first layer learned on ``source``; ``W_random`` (K, N): a random one
    (the RF baseline). For each value the target is ``make_target(source, knob=value,
    rng=target_rng)``: the same seed for every value, so the fresh parts (new teacher, new
    features) are the same and the map is smooth along the knob. Rows run in parallel through
    joblib's active backend (:func:`tlcourse.jobs.run_jobs`): ``n_jobs`` local processes
    (loky), ``None`` for joblib's setting (an enclosing ``joblib.parallel_config``'s
    ``n_jobs``), or the workers of a Dask cluster inside
    ``joblib.parallel_config(backend="dask")``, whatever ``n_jobs``; the same map every way.
    """
    check_choice(knob, "knob", KNOBS)
    if not isinstance(source, Task):
        raise TypeError(f"source must be a Task, got {type(source).__name__}")
    values = np.asarray(values)
    alphas = np.asarray(alphas, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-d sequence, got shape {values.shape}")
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError(f"alphas must be a non-empty 1-d sequence, got shape {alphas.shape}")
    check_positive(lam, "lam")
    n_jobs = check_n_jobs(n_jobs)
    values = values.astype(int) if knob.startswith("latent") else values.astype(np.float64)
    rows = run_jobs(
        _map_row,
        [(W_source, W_random, source, knob, v.item(), target_rng, alphas.tolist(), lam, tol)
         for v in values],
        n_jobs=n_jobs, progress=False,
    )
    tl = np.array([r[0] for r in rows])
    rf = np.array([r[1] for r in rows])
    return GainMap(knob, values, alphas, tl, rf)


def effective_rank(W) -> float:
    """Participation ratio ``(sum s_i^2)^2 / sum s_i^4`` of the singular values ``s`` of ``W``.

    Between 1 (all the weight in one direction) and ``min(W.shape)`` (a flat spectrum). A
    first layer whose features collapse to a few directions has a small effective rank.
    """
    W = check_array(W, "W", ndim=2)
    if W.size == 0:
        raise ValueError(f"W must be a non-empty 2-d matrix, got shape {W.shape}")
    s2 = np.linalg.svd(W, compute_uv=False) ** 2
    if s2.sum() == 0:
        raise ValueError("W is zero: its effective rank is undefined")
    return float(s2.sum() ** 2 / (s2**2).sum())


__all__ = [
    "KNOBS",
    "GainMap",
    "alignment",
    "effective_rank",
    "gain_map",
    "theory_curve",
]
