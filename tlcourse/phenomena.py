"""Small analysis helpers of part IV (phenomena): crossovers, transfer-gain maps, feature rank.

- :func:`crossover`: where a difference of two learning curves (e.g. ``eps_2L - eps_TL``)
  changes sign, interpolated linearly in ``log alpha``, with a bootstrap interval from the
  standard errors of the points;
- :func:`theory_curve`: the theory's test errors of a frozen first layer ``W`` on a task over a
  grid of ``alpha`` (Gaussian equivalence, then the saddle-point equations of
  :func:`tlcourse.theory.solve_gcm`);
- :func:`gain_map`: the theory's test errors of TL and RF over a grid ``knob value x alpha``, and
  their difference, the *transfer gain* ``eps_RF - eps_TL`` (negative: negative transfer);
- :func:`effective_rank`: the participation ratio of the singular values of a first layer, a
  measure of how many directions its features really use.

Conventions: ``alpha = n / K`` (samples per feature), which is the book's ``P / N`` when ``K = N``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed

from . import theory
from ._checks import RNGLike, as_generator, check_array, check_choice, check_int, check_positive
from .data import Task, make_target

KNOBS = (
    "teacher_perturbation",
    "feature_perturbation",
    "feature_substitution",
    "latent_added",
    "latent_removed",
)
# looser than solve_gcm's default 1e-9: the maps differ from it by ~1e-7 in test error, 2x faster
MAP_TOL = 1e-6


@dataclass(frozen=True)
class Crossover:
    """Where a difference of learning curves changes sign.

    ``alpha``: the interpolated crossing (``None`` if the curves do not cross in the range);
    ``low``, ``high``: the 16th and 84th percentiles of the crossing over bootstrap draws (a
    one-standard-error interval; ``None`` if no crossing); ``fraction_found``: the fraction of
    draws that crossed inside the range (small: the crossing is not resolved by the data).
    """

    alpha: float | None
    low: float | None
    high: float | None
    fraction_found: float


def _as_curve(x, name: str, n: int | None = None) -> np.ndarray:
    x = check_array(x, name, ndim=1)
    if x.size < 2:
        raise ValueError(f"{name} must have at least 2 entries, got {x.size}")
    if n is not None and x.size != n:
        raise ValueError(f"{name} must have the same length as alpha ({n}), got {x.size}")
    return x


def _first_crossing(log_alpha: np.ndarray, diff: np.ndarray) -> np.ndarray:
    """First downward zero crossing of each row of ``diff`` (m, n), interpolated in log alpha.

    A crossing is the first index ``i`` with ``diff[i] > 0 >= diff[i + 1]``; rows without one
    give NaN (used internally only: :func:`crossover` turns it into ``None``).
    """
    down = (diff[:, :-1] > 0) & (diff[:, 1:] <= 0)
    found = down.any(axis=1)
    i = np.argmax(down, axis=1)
    rows = np.arange(diff.shape[0])
    d0, d1 = diff[rows, i], diff[rows, i + 1]
    x0, x1 = log_alpha[i], log_alpha[i + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        x = x0 + d0 / (d0 - d1) * (x1 - x0)
    return np.exp(np.where(found, x, np.nan))


def crossover(
    alpha, diff, stderr, *, n_draws: int = 2000, rng: RNGLike = 0
) -> Crossover:
    """Where ``diff`` (e.g. ``eps_2L - eps_TL`` over ``alpha``) first goes from > 0 to <= 0.

    ``alpha`` (n,) increasing and positive; ``diff`` (n,) the difference of two curves at those
    points, ``stderr`` (n,) its standard errors (``sqrt(se_a^2 + se_b^2)`` for independent
    curves). The crossing is interpolated linearly in ``log alpha`` between the two points that
    bracket it. Its uncertainty: ``n_draws`` parametric bootstrap draws ``diff + stderr * z``,
    ``z ~ N(0, 1)`` independent per point, each located the same way.
    """
    alpha = _as_curve(alpha, "alpha")
    if (alpha <= 0).any() or (np.diff(alpha) <= 0).any():
        raise ValueError("alpha must be positive and strictly increasing")
    diff = _as_curve(diff, "diff", alpha.size)
    stderr = _as_curve(stderr, "stderr", alpha.size)
    if (stderr < 0).any():
        raise ValueError("stderr must be >= 0")
    n_draws = check_int(n_draws, "n_draws", low=1)
    log_alpha = np.log(alpha)
    best = _first_crossing(log_alpha, diff[None, :])[0]
    z = as_generator(rng).standard_normal((n_draws, alpha.size))
    draws = _first_crossing(log_alpha, diff[None, :] + stderr[None, :] * z)
    ok = np.isfinite(draws)
    fraction = float(ok.mean())
    if not np.isfinite(best):
        return Crossover(None, None, None, fraction)
    low, high = (np.percentile(draws[ok], [16, 84]) if ok.any() else (best, best))
    return Crossover(float(best), float(low), float(high), fraction)


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
    n_jobs: int = 2,
) -> GainMap:
    """Theory maps of TL and RF test errors over ``values`` of ``knob`` and ``alphas``.

    ``W_source`` (K, N): the first layer learned on ``source``; ``W_random`` (K, N): a random one
    (the RF baseline). For each value the target is ``make_target(source, knob=value,
    rng=target_rng)``: the same seed for every value, so the fresh parts (new teacher, new
    features) are the same and the map is smooth along the knob. Rows run in parallel over
    ``n_jobs`` processes (joblib).
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
    n_jobs = check_int(n_jobs, "n_jobs", low=1)
    values = values.astype(int) if knob.startswith("latent") else values.astype(np.float64)
    rows = Parallel(n_jobs=n_jobs)(
        delayed(_map_row)(
            W_source, W_random, source, knob, v.item(), target_rng, alphas.tolist(), lam, tol
        )
        for v in values
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


def stderr_of_difference(*stderrs) -> np.ndarray:
    """Standard error of a difference (or sum) of independent estimates: ``sqrt(sum se_i^2)``."""
    if not stderrs:
        raise ValueError("give at least one standard error")
    return np.sqrt(sum(np.asarray(s, dtype=np.float64) ** 2 for s in stderrs))


__all__ = [
    "KNOBS",
    "Crossover",
    "GainMap",
    "crossover",
    "effective_rank",
    "gain_map",
    "stderr_of_difference",
    "theory_curve",
]
