"""The theory of transfer on the batch solver: learning curves of a frozen first layer at a
given penalty or at its best one, and transfer-gain maps.

- :func:`best_penalty`: the readout penalty ``lam`` that minimises the theory's test error of a
  frozen first layer (TL: the source's, RF: a random one) at each size, and the learning curve
  at that penalty;
- :func:`theory_curve`: the theory's test errors of a frozen first layer over a grid of
  ``alpha``, at a given penalty;
- :func:`gain_map`: the test errors of TL and RF over a grid ``knob value x alpha`` and the
  transfer gain ``eps_RF - eps_TL``, at a given penalty or at each protocol's best.

Every curve is solved with :func:`~tlcourse.theory.batch.solve_gcm_batch` (through
:func:`~tlcourse.theory.curves.solve`): all the sizes of a
curve at once, the rows of a map warm-started from the previous row, and the covariances and
their eigendecomposition reused where the knob does not change them (the teacher). The best
penalty is a golden-section search on ``log10 lam`` run for every size at once, each step
warm-started from the nearest penalty already solved.

Conventions: ``alpha = P / N``, target samples per input dimension (the solver works at
``n / K``); features ``erf(W x / sqrt(N))``; logistic readout with the penalty of
:func:`~tlcourse.theory.solve_gcm`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import check_choice, check_int, check_positive
from ..data import Task, make_target
from .batch import BatchResult, eigenbasis
from .curves import _sizes, check_layer, curve_table, learning_curve, problem, solve
from .equivalence import feature_covariances

LAM_BOUNDS = (1e-4, 10.0)  # the default range of the search for the best penalty
KNOBS = (
    "teacher_perturbation",
    "feature_perturbation",
    "feature_substitution",
    "latent_added",
    "latent_removed",
)
# looser than solve_gcm's default 1e-9: the maps differ from it by ~1e-7 in test error
MAP_TOL = 1e-6
_GOLD = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618...
_NEAR = 0.6  # half-width in decades of a search started near a neighbour's best penalty


def _where(mask: np.ndarray, a: BatchResult, b: BatchResult) -> BatchResult:
    """The result ``a`` where ``mask``, ``b`` elsewhere, point by point."""
    return BatchResult(*(np.where(mask, x, y) for x, y in zip(
        (a.test_error, a.m, a.q, a.V, a.iterations, a.residual, a.converged),
        (b.test_error, b.m, b.q, b.V, b.iterations, b.residual, b.converged), strict=True)))


def _search(spectra, ratios: np.ndarray, bounds: tuple[float, float], xtol: float, *,
            start=None, near=None, **options) -> tuple[np.ndarray, BatchResult]:
    """Golden-section search on ``log10 lam`` in ``bounds`` for every (problem, ratio) at once.

    Returns ``(lam, result)``: the best penalty found, (n_p, n_a), and the solver's result
    there (the better of the two interior points of each final bracket, ``xtol`` decades wide).
    ``near`` (n_p, n_a): penalties expected close to the best (a neighbouring row of a map):
    the search then starts within :data:`_NEAR` decades of them, and is redone over the whole
    of ``bounds`` where its result lands on an edge of that narrower bracket.
    """
    shape = (len(spectra), ratios.size)
    low, high = math.log10(bounds[0]), math.log10(bounds[1])
    if near is not None:
        centre = np.log10(near)
        lo, hi = np.maximum(centre - _NEAR, low), np.minimum(centre + _NEAR, high)
        lam, res = _golden(spectra, ratios, lo, hi, xtol, start, options)
        x = np.log10(lam)
        edge = ((x - lo < xtol) & (lo > low)) | ((hi - x < xtol) & (hi < high))
        if not edge.any():
            return lam, res
        full_lam, full = _golden(spectra, ratios, np.full(shape, low), np.full(shape, high),
                                 xtol, start, options)
        return np.where(edge, full_lam, lam), _where(edge, full, res)
    return _golden(spectra, ratios, np.full(shape, low), np.full(shape, high), xtol, start,
                   options)


def _golden(spectra, ratios, lo, hi, xtol, start, options) -> tuple[np.ndarray, BatchResult]:
    """The golden-section iterations of :func:`_search` from the brackets ``[lo, hi]``."""
    c, d = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
    rc = solve(spectra, ratios, 10.0**c, start=start, **options)
    rd = solve(spectra, ratios, 10.0**d, start=(rc.m, rc.q, rc.V), **options)
    while (hi - lo).max() > xtol:
        left = rc.test_error <= rd.test_error  # the minimum lies in [lo, d]: d becomes hi
        lo, hi = np.where(left, lo, c), np.where(left, d, hi)
        keep_x, keep = np.where(left, c, d), _where(left, rc, rd)  # the point that stays
        new_x = np.where(left, hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo))
        new = solve(spectra, ratios, 10.0**new_x, start=(keep.m, keep.q, keep.V), **options)
        c, d = np.where(left, new_x, keep_x), np.where(left, keep_x, new_x)
        rc, rd = _where(left, new, keep), _where(left, keep, new)
    best = rc.test_error <= rd.test_error
    return 10.0 ** np.where(best, c, d), _where(best, rc, rd)


def _check_bounds(lam_bounds, xtol) -> tuple[tuple[float, float], float]:
    if not (isinstance(lam_bounds, tuple | list) and len(lam_bounds) == 2):
        raise TypeError(f"lam_bounds must be a pair (low, high), got {lam_bounds!r}")
    low, high = (check_positive(b, "lam_bounds") for b in lam_bounds)
    if not low < high:
        raise ValueError(f"lam_bounds must have low < high, got {lam_bounds!r}")
    return (low, high), check_positive(xtol, "xtol")


def best_penalty(
    W,
    task: Task,
    *,
    alphas=None,
    ns=None,
    lam_bounds: tuple[float, float] = LAM_BOUNDS,
    xtol: float = 0.01,
    activation: str = "erf",
    method: str = "analytic",
    covariances: tuple[np.ndarray, np.ndarray] | None = None,
    tol: float = 1e-9,
) -> pd.DataFrame:
    """The penalty that minimises the theory's test error of the readout on frozen features
    ``phi(W x / sqrt(N))`` of ``task`` at each size, and the learning curve at that penalty.

    ``W`` (K, N): the source's first layer (TL) or a random one (RF: one draw of
    :func:`tlcourse.protocols.random_first_layer`, which concentrates at large sizes).
    Arguments as in :func:`~tlcourse.theory.learning_curve`; the logistic loss. Each size is
    searched on ``log10 lam`` in ``lam_bounds`` (golden sections until the bracket is ``xtol``
    decades wide: ``lam`` within a factor ``10**xtol`` of the optimum if the test error has one
    minimum in the range).

    Returns the :func:`~tlcourse.theory.learning_curve` columns, one row per size in the order
    given, plus ``lam`` (the best penalty) and ``lam_at_bound`` (it lies within ``xtol``
    decades of a bound: the optimum may lie beyond it, the error shown is the bound's).
    """
    bounds, xtol = _check_bounds(lam_bounds, xtol)
    spec, K = problem(W, task, activation=activation, method=method, covariances=covariances)
    n = _sizes(alphas, ns, task.N)
    lam, res = _search([spec], n / K, bounds, xtol, tol=tol)
    out = curve_table(n, task.N, K, spec, res)
    out["lam"] = lam[0]
    log_lam = np.log10(lam[0])
    out["lam_at_bound"] = ((log_lam - math.log10(bounds[0]) < xtol)
                           | (math.log10(bounds[1]) - log_lam < xtol))
    return out


def theory_curve(W, task: Task, alphas, lam: float, *, tol: float = MAP_TOL) -> np.ndarray:
    """The theory's test errors of the frozen first layer ``W`` (K, N) on ``task``, one per alpha.

    An array (len(alphas),) from :func:`~tlcourse.theory.learning_curve`: l2 logistic readout of
    strength ``lam`` on ``n = alpha N`` samples, features ``erf(W x / sqrt(N))``, analytic
    Gaussian equivalence, saddle point solved to ``tol``.
    """
    curve = learning_curve(W, task, alphas=alphas, lam=lam, tol=tol)
    return curve["test_error"].to_numpy()


@dataclass(frozen=True)
class GainMap:
    """Theory test errors of TL and RF over a grid of knob values x alphas.

    ``knob``: the name of the :func:`tlcourse.make_target` knob; ``values`` (n_k,), ``alphas``
    (n_a,); ``tl``, ``rf`` (n_k, n_a) test errors at the penalties ``lam_tl``, ``lam_rf``
    (n_k, n_a: one value everywhere, or each protocol's best at each point).
    ``gain = rf - tl`` is the transfer gain (positive: the transferred features beat random
    ones; negative: negative transfer).
    """

    knob: str
    values: np.ndarray
    alphas: np.ndarray
    tl: np.ndarray
    rf: np.ndarray
    lam_tl: np.ndarray
    lam_rf: np.ndarray

    @property
    def gain(self) -> np.ndarray:
        """``eps_RF - eps_TL`` (n_k, n_a)."""
        return self.rf - self.tl


def _map_rows(W_source, W_random, source, knob, values, target_rng, alphas, lam, bounds, xtol,
              tol) -> list[tuple[np.ndarray, np.ndarray]]:
    """Test errors and penalties ``(errors (2, n_a), lams (2, n_a))`` of TL and RF for each
    value, in order: the covariances reused while only the teacher changes, each row's solve
    started from the previous row's overlaps."""
    K = W_source.shape[0]
    options = {"tol": tol}
    rows, bases, start, near = [], None, None, None
    for value in values:
        target = make_target(source, **{knob: value}, rng=target_rng)
        if bases is None or knob != "teacher_perturbation":
            bases = [eigenbasis(*feature_covariances(W, target)) for W in (W_source, W_random)]
        spectra = [b.spectrum(target.theta, target.label_noise) for b in bases]
        ratios = np.asarray(alphas) * source.N / K
        if lam == "best":
            lams, res = _search(spectra, ratios, bounds, xtol, start=start, near=near,
                                **options)
            near = lams
        else:
            res = solve(spectra, ratios, lam, start=start, **options)
            lams = np.full(res.test_error.shape, lam)
        start = (res.m, res.q, res.V)
        rows.append((res.test_error, lams))
    return rows


def gain_map(
    W_source,
    W_random,
    source: Task,
    knob: str,
    values,
    alphas,
    lam: float | str,
    *,
    target_rng: int = 1,
    lam_bounds: tuple[float, float] = LAM_BOUNDS,
    xtol: float = 0.02,
    tol: float = MAP_TOL,
    n_jobs: int | None = 1,
) -> GainMap:
    """Theory maps of TL and RF test errors over ``values`` of ``knob`` and ``alphas``.

    ``W_source`` (K, N): the first layer learned on ``source``; ``W_random`` (K, N): a random one
    (the RF baseline). For each value the target is ``make_target(source, knob=value,
    rng=target_rng)``: the same seed for every value, so the fresh parts (new teacher, new
    features) are the same and the map is smooth along the knob. ``lam``: the readout penalty of
    both protocols, or ``"best"``: each protocol's own best penalty at each point, searched as
    in :func:`best_penalty` (``lam_bounds``, ``xtol``).

    The rows are solved one after the other on the batch solver, each started from the previous
    row's solution; ``n_jobs`` > 1 (or ``None``: joblib's setting, e.g. the workers of a Dask
    cluster inside ``joblib.parallel_config(backend="dask")``) cuts the rows into that many
    contiguous blocks run in parallel (:func:`tlcourse.jobs.run_jobs`; ``None``: one block per
    row); the same map every way, to ``tol``.
    """
    from ..jobs import run_jobs

    check_choice(knob, "knob", KNOBS)
    if not isinstance(source, Task):
        raise TypeError(f"source must be a Task, got {type(source).__name__}")
    W_source, W_random = (check_layer(W, source, name) for W, name in (
        (W_source, "W_source"), (W_random, "W_random")))
    if W_source.shape != W_random.shape:
        raise ValueError(f"W_source and W_random must have the same shape, got "
                         f"{W_source.shape} and {W_random.shape}")
    values = np.asarray(values)
    alphas = np.asarray(alphas, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-d sequence, got shape {values.shape}")
    if alphas.ndim != 1 or alphas.size == 0:
        raise ValueError(f"alphas must be a non-empty 1-d sequence, got shape {alphas.shape}")
    for a in alphas:
        check_positive(float(a), "alphas")
    bounds, xtol = _check_bounds(lam_bounds, xtol)
    if isinstance(lam, str) and lam != "best":
        raise ValueError(f"lam must be a number > 0 or 'best', got {lam!r}")
    if lam != "best":
        lam = check_positive(lam, "lam")
    tol = check_positive(tol, "tol")
    blocks = values.size if n_jobs is None else min(check_int(n_jobs, "n_jobs", low=1),
                                                    values.size)
    values = values.astype(int) if knob.startswith("latent") else values.astype(np.float64)
    parts = run_jobs(
        _map_rows,
        [(W_source, W_random, source, knob, [v.item() for v in block], target_rng,
          alphas.tolist(), lam, bounds, xtol, tol)
         for block in np.array_split(values, blocks)],
        n_jobs=n_jobs, progress=False,
    )
    rows = [row for part in parts for row in part]
    errors = np.array([r[0] for r in rows])  # (n_k, 2, n_a)
    lams = np.array([r[1] for r in rows])
    return GainMap(knob, values, alphas, errors[:, 0], errors[:, 1], lams[:, 0], lams[:, 1])


__all__ = ["KNOBS", "LAM_BOUNDS", "MAP_TOL", "GainMap", "best_penalty", "gain_map",
           "theory_curve"]
