"""The theory of transfer on the batch solver: learning curves of a frozen first layer at a
given penalty or at its best one, and transfer-gain maps.

- :func:`best_penalty`: the readout penalty ``lam`` that minimises the theory's test error of a
  frozen first layer (TL: the source's, RF: a random one) at each size, and the learning curve
  at that penalty;
- :func:`theory_curve`: the theory's test errors of a frozen first layer over a grid of
  ``alpha``, at a given penalty;
- :func:`gain_map`: the test errors of TL and RF over a grid ``knob value x alpha`` and the
  transfer gain ``eps_RF - eps_TL``, at a given penalty or at each protocol's best;
- :class:`TransferTheory`: TL and RF for any setting of the knobs (:data:`tlcourse.specs.KNOBS`)
  fast enough for a slider (:class:`TheoryCurves`, drawn by
  :func:`tlcourse.plotting.plot_transfer_theory` and the explorers of
  :mod:`tlcourse.widgets` and :mod:`tlcourse.interactive`).

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
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_choice, check_fraction, check_int, check_positive
from ..data import Task, make_target
from ..specs import FRACTION_KNOBS, KNOBS, LAM
from .batch import BatchResult, eigenbasis, solve_gcm_batch
from .curves import _sizes, curve_table, learning_curve, problem, solve
from .equivalence import check_layer, feature_covariances

LAM_BOUNDS = (1e-4, 10.0)  # the default range of the search for the best penalty
# looser than solve_gcm's default 1e-9: the maps differ from it by ~1e-7 in test error
MAP_TOL = 1e-6
_GOLD = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618...
_NEAR = 0.6  # half-width in decades of a search started near a neighbour's best penalty
ALPHAS = np.geomspace(0.1, 100.0, 25)  # TransferTheory's default grid of alpha = P / N
_CACHE = 256  # settings kept per TransferTheory


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


@dataclass(frozen=True)
class TheoryCurves:
    """Theory test errors of TL and RF over ``alphas`` (each (n_a,)) for one setting."""

    alphas: np.ndarray
    tl: np.ndarray
    rf: np.ndarray
    setting: dict

    @property
    def gain(self) -> np.ndarray:
        """The transfer gain ``eps_RF - eps_TL`` (positive: the transferred layer helps)."""
        return self.rf - self.tl


@dataclass
class TransferTheory:
    """The theory of TL (``W_source``) and RF (``W_random``) on targets of ``source``.

    ``W_source``, ``W_random``: (K, N) first layers; ``alphas`` (n_a,) the grid of ``P / N``;
    targets are ``make_target(source, knobs..., rng=target_rng)`` (one seed for every setting,
    so the fresh parts are shared and curves change smoothly with the knobs).
    :meth:`curves` returns both learning curves for a setting of the three fraction knobs and
    ``lam``, fast enough for a slider: the covariances and their eigenbases are cached per input
    distribution (:meth:`spectra`; the teacher perturbation does not change them), both curves
    are solved at once (:func:`~tlcourse.theory.batch.solve_gcm_batch`) from the previous
    solution, and results are cached per setting.
    """

    source: Task
    W_source: np.ndarray
    W_random: np.ndarray
    target_rng: int = 1
    alphas: np.ndarray = field(default_factory=lambda: ALPHAS.copy())
    _covariances: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _results: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _last: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.source, Task):
            raise TypeError(f"source must be a Task, got {type(self.source).__name__}")
        self.W_source, self.W_random = (check_layer(getattr(self, name), self.source, name)
                                        for name in ("W_source", "W_random"))
        if self.W_source.shape != self.W_random.shape:
            raise ValueError(f"W_source and W_random must have the same shape, got "
                             f"{self.W_source.shape} and {self.W_random.shape}")
        self.target_rng = check_int(self.target_rng, "target_rng", low=0)
        alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
        if alphas.size < 2 or (alphas <= 0).any() or (np.diff(alphas) <= 0).any():
            raise ValueError("alphas must hold at least 2 positive, increasing values")
        self.alphas = alphas

    def target(self, **knobs) -> Task:
        """The target task of a setting of the knobs (:func:`tlcourse.make_target`'s keywords)."""
        return make_target(self.source, **knobs, rng=self.target_rng)

    def spectra(self, **knobs) -> tuple[Task, list]:
        """The target of ``knobs`` and the spectra of TL's and RF's problems on it, the
        covariances computed once per input distribution (every knob but the teacher's)."""
        target = self.target(**knobs)
        key = tuple(sorted((k, v) for k, v in knobs.items() if k != "teacher_perturbation" and v))
        bases = self._covariances.get(key)
        if bases is None:
            bases = [eigenbasis(*feature_covariances(W, target))
                     for W in (self.W_source, self.W_random)]
            self._covariances[key] = bases
            while len(self._covariances) > _CACHE // 8:
                self._covariances.popitem(last=False)
        return target, [basis.spectrum(target.theta, target.label_noise) for basis in bases]

    def curves(self, teacher_perturbation: float = 0.0, feature_perturbation: float = 0.0,
               feature_substitution: float = 0.0, lam: float = LAM) -> TheoryCurves:
        """Theory test errors of TL and RF over ``alphas`` for one setting (cached)."""
        knobs = {name: check_fraction(value, name) for name, value in zip(
            FRACTION_KNOBS, (teacher_perturbation, feature_perturbation, feature_substitution),
            strict=True)}
        lam = check_positive(lam, "lam")
        key = (*(round(v, 10) for v in knobs.values()), round(lam, 12))
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        _, spectra = self.spectra(**knobs)
        # the GCM's ratio n / K from the book's alpha = n / N
        ratios = self.alphas * self.source.N / self.W_source.shape[0]
        res = solve_gcm_batch(spectra, ratios, lam, start=self._last)
        self._last = (res.m, res.q, res.V)
        out = TheoryCurves(self.alphas.copy(), res.test_error[0], res.test_error[1],
                           {**knobs, "lam": lam})
        self._results[key] = out
        while len(self._results) > _CACHE:
            self._results.popitem(last=False)
        return out


def _map_rows(theory: TransferTheory, knob, values, alphas, lam, bounds, xtol,
              tol) -> list[tuple[np.ndarray, np.ndarray]]:
    """Test errors and penalties ``(errors (2, n_a), lams (2, n_a))`` of TL and RF for each
    value, in order: the covariances reused while only the teacher changes, each row's solve
    started from the previous row's overlaps."""
    ratios = np.asarray(alphas) * theory.source.N / theory.W_source.shape[0]
    options = {"tol": tol}
    rows, start, near = [], None, None
    for value in values:
        _, spectra = theory.spectra(**{knob: value})
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
    features) are the same and the map is smooth along the knob. ``knob``: one of
    :data:`tlcourse.specs.KNOBS`. ``lam``: the readout penalty of
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
    theory = TransferTheory(source, W_source, W_random, target_rng)
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
    values = values.astype(np.float64) if KNOBS[knob].fraction else values.astype(int)
    parts = run_jobs(
        _map_rows,
        [(theory, knob, [v.item() for v in block], alphas.tolist(), lam, bounds, xtol, tol)
         for block in np.array_split(values, blocks)],
        n_jobs=n_jobs, progress=False,
    )
    rows = [row for part in parts for row in part]
    errors = np.array([r[0] for r in rows])  # (n_k, 2, n_a)
    lams = np.array([r[1] for r in rows])
    return GainMap(knob, values, alphas, errors[:, 0], errors[:, 1], lams[:, 0], lams[:, 1])


__all__ = ["ALPHAS", "LAM_BOUNDS", "MAP_TOL", "GainMap", "TheoryCurves", "TransferTheory",
           "best_penalty", "gain_map", "theory_curve"]
