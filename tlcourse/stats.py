"""Error statistics of the course: test errors with their standard errors, averages over seeds,
paired differences and crossings of learning curves.

Every number the book prints with a ``±`` comes from here:

- :func:`error_and_stderr`: the test error of outputs against labels and its binomial standard
  error ``sqrt(e (1 - e) / n)``;
- :func:`stderr_of_difference`: ``sqrt(sum se_i^2)``, for a difference of independent estimates;
- :func:`paired_error_difference`: the difference of the test errors of two predictors on the same
  samples, with the standard error of the per-sample differences;
- :func:`summarize`: mean test error per protocol and size of a learning-curve table, with the
  standard error of that mean over seeds;
- :func:`mean_and_stderr`: the mean of any per-seed quantity and its standard error, overall or
  per group (per ``alpha``, say);
- :func:`paired_difference`: the mean over seeds of a difference of two curves measured on the same
  seeds, with its standard error; :func:`paired_rows` takes it from two sets of rows of a
  learning-curve table, :func:`paired_difference_at` at one size of a table, with the one-sided
  Student-t quantile that tests it;
- :func:`seed_differences`: the difference of two protocols' test errors seed by seed, as a
  table (one row per group, size and seed);
- :func:`crossover`: where a difference of two learning curves changes sign, with a Student-t
  confidence interval from the per-seed curves (a :class:`Crossover`);
- :func:`t_quantile`: the Student-t quantile that a "k standard errors" claim from a few seeds
  must use in place of a normal one;
- :func:`power_law_fit`: how fast a measured quantity falls with a size, ``y ~ a x^(-b)``, with the
  standard error of the exponent (a :class:`PowerLaw`); :func:`fixed_power_law_fit`: the same
  with the exponent fixed, and the chi-square that tests it (a :class:`FixedPowerLaw`);
- :func:`nested_mean_and_stderr`: the mean of per-seed values with seeds nested in groups
  (source networks), its standard error from the spread between groups;
- :func:`pooled_mean`: the mean of independent estimates, with its standard error;
- :func:`interior_maximum`: where a curve peaks inside its grid, if it does.

**One sign convention** for every paired difference of the package: the first argument minus the
second, ``error(a) - error(b)`` (:func:`paired_error_difference`, :func:`paired_difference`,
:func:`paired_difference_at`, :func:`paired_rows`, and through them
:func:`tlcourse.comparisons.paired_differences` and :func:`tlcourse.realdata.curves.compare`): a
positive difference says that ``a`` has the larger error, i.e. that ``b`` is better.

Bad input is refused with an error naming the argument, never turned into a number: outputs and
values must be finite, labels in {-1, +1}, shapes must match, and a table may hold only one row
per seed of a curve at a size (several settings stacked in one table are compared one at a time,
or grouped by their own columns). Nothing is dropped silently: seeds are those both sides ran.

NumPy, pandas and SciPy only (no PyTorch), so that plotting and analysis stay light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import (
    check_array,
    check_int,
    check_labels,
    check_one_row_per,
    check_table,
    check_vector,
)

TABLE_COLUMNS = ("protocol", "seed", "test_error", "stderr")


def error_and_stderr(f, y) -> tuple[float, float]:
    """Fraction of wrong signs of outputs ``f`` (n,) against labels ``y`` and its standard error.

    ``f`` finite, ``y`` (n,) in {-1, +1}, ``n >= 1``. A zero output counts as a ``+1``
    prediction. The standard error is ``sqrt(e (1 - e) / n)``.
    """
    f = check_vector(f, "f")
    y = check_labels(y, "y", n=f.size, like="f")
    wrong = np.where(f >= 0, 1.0, -1.0) != y
    e = float(wrong.mean())
    return e, math.sqrt(e * (1 - e) / wrong.size)


def stderr_of_difference(*stderrs) -> np.ndarray:
    """Standard error of a difference (or sum) of independent estimates: ``sqrt(sum se_i^2)``.

    Each standard error a finite number >= 0 or an array of them (arrays broadcast together).
    """
    if not stderrs:
        raise ValueError("give at least one standard error")
    arrays = []
    for i, s in enumerate(stderrs):
        s = check_array(s, f"stderrs[{i}]", ndim=np.ndim(s))
        if (s < 0).any():
            raise ValueError(f"stderrs[{i}] must be >= 0, got a minimum of {s.min()}")
        arrays.append(s)
    try:
        np.broadcast_shapes(*(s.shape for s in arrays))
    except ValueError:
        raise ValueError(f"the standard errors must have one shape (or broadcast), got "
                         f"{[s.shape for s in arrays]}") from None
    return np.sqrt(sum(s**2 for s in arrays))


def paired_error_difference(f_a, f_b, y) -> tuple[float, float]:
    """Test error of outputs ``f_a`` minus that of ``f_b`` (both (n,)) on the same labels ``y``.

    The two errors share their samples, so the difference is a mean of per-sample differences
    ``wrong_a - wrong_b`` (each in {-1, 0, 1}); its standard error ``sd / sqrt(n)`` counts only the
    samples on which the two predictors disagree, and is smaller than the
    :func:`stderr_of_difference` of the two errors when they make the same mistakes. A zero output
    counts as a ``+1`` prediction, as in :func:`error_and_stderr`. ``f_a``, ``f_b`` finite,
    ``y`` in {-1, +1}, one length ``n >= 2``.
    """
    f_a = check_vector(f_a, "f_a", min_size=2)
    f_b = check_vector(f_b, "f_b", n=f_a.size, like="f_a")
    y = check_labels(y, "y", n=f_a.size, like="f_a")
    d = ((np.where(f_a >= 0, 1.0, -1.0) != y).astype(np.float64)
         - (np.where(f_b >= 0, 1.0, -1.0) != y))
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def summarize(df: pd.DataFrame, x: str = "alpha") -> pd.DataFrame:
    """Mean test error and its standard error per protocol and size.

    ``df`` is a learning-curve table (:func:`tlcourse.curves.learning_curves`): columns
    ``protocol``, ``x``, ``seed``, ``test_error`` and ``stderr`` (finite), one row per protocol,
    size and seed. The standard error of the mean over ``S`` seeds is the spread across seeds,
    ``std / sqrt(S)``, but never less than the test-set part of it, ``sqrt(mean(stderr^2) / S)``:
    with two or three seeds the spread alone can come out small by chance. With one seed it is
    that seed's test-set standard error. Columns: ``protocol, x, test_error, sem, seeds``.
    """
    df = check_table(df, (*TABLE_COLUMNS, x), finite=(x, "seed", "test_error", "stderr"))
    check_one_row_per(df, ["protocol", x, "seed"])
    grouped = df.groupby(["protocol", x], observed=True)
    out = grouped.agg(
        test_error=("test_error", "mean"),
        sd=("test_error", "std"),
        seeds=("seed", "nunique"),
        var_test=("stderr", lambda s: float(np.mean(np.square(s)))),
    ).reset_index()
    spread = out["sd"].fillna(0.0).to_numpy()
    out["sem"] = np.sqrt(np.maximum(spread**2, out["var_test"]) / out["seeds"])
    return out[["protocol", x, "test_error", "sem", "seeds"]]


def mean_and_stderr(values, by=None):
    """Mean of ``values`` and its standard error across them, ``std / sqrt(n)`` (``ddof=1``).

    ``values`` (n,), finite: one number per seed (a paired difference, say). Without ``by``,
    returns two floats ``(mean, se)``; with ``by`` (n,) group labels (the ``alpha`` of each row,
    say; no missing label), two arrays ``(mean, se)`` ordered by sorted group label. Needs at
    least two values per group.
    """
    values = pd.Series(check_vector(values, "values", min_size=0))
    if by is None:
        if len(values) < 2:
            raise ValueError(f"need at least two values for a standard error, got {len(values)}")
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))
    by = np.asarray(by)
    if by.shape != (len(values),):
        raise ValueError(f"by must have one label per value ({len(values)}), got shape "
                         f"{by.shape}")
    if pd.isna(by).any():
        raise ValueError("by must not hold missing labels (NaN, None): each value needs a group")
    g = values.groupby(by)
    if len(values) == 0 or g.count().min() < 2:
        raise ValueError("need at least two values per group for a standard error")
    return g.mean().to_numpy(), (g.std(ddof=1) / np.sqrt(g.count())).to_numpy()


def _per_seed(s, name: str) -> pd.Series:
    """``s`` as a float Series indexed by seed: one entry per seed, finite."""
    if not isinstance(s, pd.Series):
        raise TypeError(f"{name} must be a pandas Series indexed by seed, got {type(s).__name__}")
    if not s.index.is_unique:
        seed = s.index[s.index.duplicated()][0]
        raise ValueError(f"{name} has seed {seed} more than once: one value per seed is "
                         "expected (a table of several settings must be split first)")
    if s.index.hasnans:
        raise ValueError(f"{name} has a missing seed (NaN) in its index")
    return pd.Series(check_vector(s.to_numpy(), name, min_size=0), index=s.index)


def paired_difference(errors_a: pd.Series, errors_b: pd.Series, stderr_a: pd.Series,
                      stderr_b: pd.Series) -> tuple[float, float]:
    """Mean over seeds of ``errors_a - errors_b`` and its standard error, paired seed by seed.

    The four series are indexed by seed, one finite value per seed (the standard errors >= 0,
    for every seed of the difference); the difference is taken over the
    seeds both sides have (a seed missing from one side is left out). The standard error is the
    larger of the spread across seeds, ``std / sqrt(S)``, and the bound from the test sets,
    ``sqrt(mean(se_a^2 + se_b^2) / S)``: a few seeds can underestimate the spread, the test-set
    size cannot. Needs at least two shared seeds.
    """
    mean, se, _ = _paired(errors_a, errors_b, stderr_a, stderr_b)
    return mean, se


def _paired(errors_a, errors_b, stderr_a, stderr_b) -> tuple[float, float, int]:
    """:func:`paired_difference` and the number of shared seeds."""
    errors_a, errors_b = _per_seed(errors_a, "errors_a"), _per_seed(errors_b, "errors_b")
    stderr_a, stderr_b = _per_seed(stderr_a, "stderr_a"), _per_seed(stderr_b, "stderr_b")
    seeds = errors_a.index.intersection(errors_b.index)
    if len(seeds) < 2:
        raise ValueError(f"need at least two seeds shared by both curves, got {len(seeds)}")
    for se, name in ((stderr_a, "stderr_a"), (stderr_b, "stderr_b")):
        lacking = seeds.difference(se.index)
        if len(lacking):
            raise ValueError(f"{name} has no value for the seeds {lacking.tolist()[:5]}")
        if (se < 0).any():
            raise ValueError(f"{name} must be >= 0")
    d = errors_a[seeds] - errors_b[seeds]
    spread = d.std(ddof=1) / np.sqrt(len(d))
    test_sets = np.sqrt((stderr_a[seeds] ** 2 + stderr_b[seeds] ** 2).mean() / len(d))
    return float(d.mean()), float(max(spread, test_sets)), len(seeds)


def paired_rows(rows_a: pd.DataFrame, rows_b: pd.DataFrame) -> tuple[float, float, int]:
    """:func:`paired_difference` of two sets of rows of a learning-curve table, ``a - b``.

    ``rows_a``, ``rows_b``: the rows of one curve each at one size (columns ``seed``,
    ``test_error``, ``stderr``, finite), one row per seed. Returns ``(mean, se, seeds)``, ``seeds``
    the number of seeds both have (at least two).
    """
    per = []
    for rows, name in ((rows_a, "rows_a"), (rows_b, "rows_b")):
        rows = check_table(rows, ("seed", "test_error", "stderr"), name,
                           finite=("seed", "test_error", "stderr"))
        check_one_row_per(rows, ["seed"], name)
        per.append(rows.set_index("seed"))
    a, b = per
    return _paired(a["test_error"], b["test_error"], a["stderr"], b["stderr"])


def paired_difference_at(
    df: pd.DataFrame, a: str, b: str, at: float, *, x: str = "alpha", level: float = 0.95
) -> dict:
    """:func:`paired_difference` of ``error(a) - error(b)`` at ``x == at`` in a learning-curve
    table, with the one-sided Student-t quantile that tests it.

    ``df`` is a :func:`tlcourse.curves.learning_curves` table (one row per protocol, size and
    seed); protocols ``a`` and ``b`` of the same seed share their training and test samples, so
    the per-seed difference has less noise than either error. Returns ``{"mean", "se", "seeds",
    "t"}``: ``mean`` and ``se`` as :func:`paired_difference` gives them, ``seeds`` the number
    ``S`` of seeds both ran, ``t`` the Student-t quantile at ``level`` with ``S - 1`` degrees of
    freedom, so that ``mean > t * se`` is a one-sided test at that level of the claim "a has the
    larger error" (``b`` is better; ``mean < -t * se``: ``a`` is better).
    """
    from scipy import stats as _scipy_stats

    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    if isinstance(at, bool) or not isinstance(at, (int, float, np.number)) or not np.isfinite(at):
        raise ValueError(f"at must be a finite size ({x}), got {at!r}")
    df = check_table(df, (*TABLE_COLUMNS, x), finite=(x, "seed", "test_error", "stderr"))
    rows = df[np.isclose(df[x].astype(float), at)]
    per = {}
    for name in (a, b):
        part = rows[rows["protocol"] == name]
        if part.empty:
            raise ValueError(f"no rows for protocol {name!r} at {x} = {at}")
        per[name] = part
    try:
        mean, se, seeds = paired_rows(per[a], per[b])
    except ValueError as exc:
        raise ValueError(f"{a} and {b} at {x} = {at}: {exc}") from None
    return {"mean": mean, "se": se, "seeds": seeds,
            "t": float(_scipy_stats.t.ppf(level, seeds - 1))}


@dataclass(frozen=True)
class Crossover:
    """Where a difference of learning curves first changes sign from positive, in the units of
    the grid ``x`` (``alpha = P / N`` or the number of samples ``P``), with a confidence interval.

    ``x``: the first downward crossing of the mean curve, interpolated in ``log x`` (``None`` if
    the mean curve does not cross in the range). ``[low, high]``: a confidence interval for the
    crossing at ``level`` (see :func:`crossover`): ``low`` is the first ``x`` where the mean
    difference is no longer resolved above zero, ``high`` the first where it is resolved below
    zero. Off the grid: ``low = 0`` says that the difference is not resolved above zero at the
    first size already (the crossing may lie before the grid; ``high`` is then the first size if
    it is resolved below zero there), ``low`` equal to the largest size that it is resolved above
    zero everywhere (the crossing lies beyond the grid), and ``high = inf`` that it is never
    resolved below zero in the range. ``seeds``: the number of per-seed curves (0 for one exact
    curve, such as a theory's, whose ``low`` and ``high`` bracket the crossing itself).
    """

    x: float | None
    low: float
    high: float
    level: float
    seeds: int


def _as_curve(x, name: str, n: int | None = None) -> np.ndarray:
    x = check_array(x, name, ndim=1)
    if x.size < 2:
        raise ValueError(f"{name} must have at least 2 entries, got {x.size}")
    if n is not None and x.size != n:
        raise ValueError(f"{name} must have the same length as x ({n}), got {x.size}")
    return x


def _first_crossing(log_x: np.ndarray, diff: np.ndarray) -> float:
    """First downward zero crossing of ``diff`` (n,) over ``log_x``, interpolated linearly, in
    ``log x``; NaN if none. A crossing is the first ``i`` with ``diff[i] > 0 >= diff[i + 1]``."""
    down = np.flatnonzero((diff[:-1] > 0) & (diff[1:] <= 0))
    if not down.size:
        return np.nan
    i = down[0]
    d0, d1 = diff[i], diff[i + 1]
    return float(log_x[i] + d0 / (d0 - d1) * (log_x[i + 1] - log_x[i]))


def _first_at_or_below_zero(log_x: np.ndarray, f: np.ndarray, strict: bool) -> float:
    """First ``log x`` where ``f`` (n,) reaches zero (falls below it if ``strict``), interpolated
    linearly between the two points that bracket it; ``-inf`` if at the first point already,
    ``inf`` if never."""
    hit = np.flatnonzero(f < 0 if strict else f <= 0)
    if not hit.size:
        return np.inf
    j = hit[0]
    if j == 0:
        return -np.inf
    return float(log_x[j - 1] + f[j - 1] / (f[j - 1] - f[j]) * (log_x[j] - log_x[j - 1]))


_STEPS = 64  # points per grid interval on which the interval's edges are located


def crossover(x, diffs, *, level: float = 0.9) -> Crossover:
    """Where a difference of two learning curves (e.g. ``eps_2L - eps_TL``) first goes from > 0
    to <= 0, with a confidence interval from per-seed curves (a :class:`Crossover`).

    ``x`` (n,) positive and increasing: the grid of sizes (``alpha = P / N`` or ``P``).
    ``diffs`` (S, n): one difference curve per seed, ``S >= 2``, each seed's two curves measured
    on the same samples (:func:`seed_differences` gives them as a table), so that what a seed
    shares along its curve (its training set, say) stays in; or (n,): one exact curve (a
    theory's), whose crossing is all there is.

    Each seed's curve is interpolated linearly in ``log x`` between grid points, and so is their
    mean, whose first downward crossing is the estimate (eq. ``crossover-interp`` of the book).
    The interval inverts a two-sided Student-t test (``S - 1`` degrees of freedom) of "the mean
    difference is zero at x": ``low`` is the first ``x`` where ``mean - t se <= 0`` (no longer
    resolved above zero), ``high`` the first where ``mean + t se < 0`` (resolved below zero),
    ``se`` the spread of the interpolated per-seed values over ``sqrt(S)``. Where the true
    difference is linear in ``log x`` between grid points and the seeds' values are normal and
    independent between seeds, the interval covers the true first crossing with probability
    close to ``level`` (tested by simulation), whatever the correlation along a curve.
    """
    x = _as_curve(x, "x")
    if (x <= 0).any() or (np.diff(x) <= 0).any():
        raise ValueError("x must be positive and strictly increasing")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    d = np.asarray(diffs)
    if d.ndim == 1:
        d = _as_curve(d, "diffs", x.size)[None, :]
    else:
        d = check_array(d, "diffs", ndim=2)
        if d.shape[1] != x.size or d.shape[0] < 2:
            raise ValueError(f"diffs must be (S, n) = (seeds >= 2, {x.size}) or ({x.size},), "
                             f"got shape {d.shape}")
    seeds = d.shape[0] if d.shape[0] >= 2 else 0
    log_x = np.log(x)
    best = _first_crossing(log_x, d.mean(axis=0))
    w = np.linspace(0.0, 1.0, _STEPS, endpoint=False)
    fine_x = np.append((log_x[:-1, None] * (1 - w) + log_x[1:, None] * w).ravel(), log_x[-1])
    fine = np.concatenate([(d[:, :-1, None] * (1 - w) + d[:, 1:, None] * w).reshape(
        d.shape[0], -1), d[:, -1:]], axis=1)
    mean = fine.mean(axis=0)
    if seeds:
        from scipy import stats as _scipy_stats

        half = (_scipy_stats.t.ppf((1 + level) / 2, seeds - 1)
                * fine.std(axis=0, ddof=1) / math.sqrt(seeds))
    else:
        half = np.zeros_like(mean)
    low = _first_at_or_below_zero(fine_x, mean - half, strict=False)
    high = _first_at_or_below_zero(fine_x, mean + half, strict=True)
    low = x[-1] if low == np.inf else math.exp(low)  # resolved above zero everywhere
    high = x[0] if high == -np.inf else math.exp(high)  # resolved below zero at once
    return Crossover(None if np.isnan(best) else math.exp(best), float(low), float(high),
                     float(level), seeds)


def _fit_points(x, y, stderr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of a power-law fit: ``x`` positive, ``y`` and ``stderr`` of its length,
    ``stderr`` positive (all finite, at least two points)."""
    x = _as_curve(x, "x")
    if (x <= 0).any():
        raise ValueError("x must be positive")
    y = _as_curve(y, "y", x.size)
    stderr = _as_curve(stderr, "stderr", x.size)
    if (stderr <= 0).any():
        raise ValueError("stderr must be > 0")
    return x, y, stderr


@dataclass(frozen=True)
class PowerLaw:
    """A fit ``y = scale * (x / x0) ** (-exponent)``: ``x0`` the first size of the fit, ``scale``
    the fitted value there; ``exponent_se`` the standard error of ``exponent`` from the
    measurements' standard errors (linearised at the fit)."""

    scale: float
    exponent: float
    exponent_se: float
    x0: float


def power_law_fit(x, y, stderr) -> PowerLaw:
    """Weighted least-squares fit of ``y ~ scale * (x / x[0]) ** (-exponent)``.

    ``x`` (n,) positive sizes, ``y`` (n,) measured values (zero or negative allowed: the fit is
    made on ``y`` itself, not on its logarithm), ``stderr`` (n,) their standard errors, positive,
    independent between points; ``n >= 2``. The exponent's standard error takes the standard
    errors as known (``absolute_sigma``): with three points it is a rough guide.
    """
    from scipy.optimize import curve_fit

    x, y, stderr = _fit_points(x, y, stderr)
    x0 = float(x[0])

    def model(x, scale, exponent):
        return scale * (x / x0) ** (-exponent)

    (scale, exponent), cov = curve_fit(model, x, y, p0=(y[0], 1.0), sigma=stderr,
                                       absolute_sigma=True)
    return PowerLaw(float(scale), float(exponent), float(math.sqrt(cov[1, 1])), x0)


# --- nested means, fixed-exponent laws and interior peaks (chapter *The replica formula*) ---


@dataclass(frozen=True)
class FixedPowerLaw:
    """A fit ``y = scale * (x / x0) ** (-exponent)`` with the exponent fixed: ``scale`` and its
    standard error, and the goodness of fit, ``chi2`` on ``dof = n - 1`` degrees of freedom and
    its ``p_value`` (small: the law is rejected by the measurements)."""

    exponent: float
    scale: float
    scale_se: float
    chi2: float
    dof: int
    p_value: float
    x0: float


def fixed_power_law_fit(x, y, stderr, exponent: float) -> FixedPowerLaw:
    """Weighted least-squares fit of ``y ~ scale * (x / x[0]) ** (-exponent)``, exponent given.

    ``x`` (n,) positive sizes, ``y`` (n,) measurements (any sign), ``stderr`` (n,) their
    standard errors, positive and independent between points; ``n >= 2``; ``exponent`` a finite
    real. One free parameter, so the fit has a closed form and its ``chi2`` has ``n - 1``
    degrees of freedom: comparing the ``p_value`` of two exponents (say 1/2 and 1) says which law
    the measurements reject, if any.
    """
    from scipy import stats as _scipy_stats

    x, y, stderr = _fit_points(x, y, stderr)
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)) \
            or not math.isfinite(exponent):
        raise ValueError(f"exponent must be a finite real number, got {exponent!r}")
    x0 = float(x[0])
    shape = (x / x0) ** (-float(exponent))
    w = 1.0 / stderr**2
    scale = float(np.sum(w * shape * y) / np.sum(w * shape**2))
    chi2 = float(np.sum(w * (y - scale * shape) ** 2))
    dof = x.size - 1
    return FixedPowerLaw(float(exponent), scale, float(1.0 / math.sqrt(np.sum(w * shape**2))),
                         chi2, dof, float(_scipy_stats.chi2.sf(chi2, dof)), x0)


def pooled_mean(means, stderrs) -> tuple[float, float]:
    """Mean of independent estimates ``means`` (n,) and its standard error
    ``sqrt(sum se_i^2) / n`` from theirs, ``stderrs`` (n,) (one per size of an experiment, say,
    each from its own networks and seeds). ``n >= 1``; standard errors ``>= 0``."""
    means = check_array(means, "means", ndim=1)
    stderrs = check_array(stderrs, "stderrs", ndim=1, shape=means.shape)
    if means.size < 1:
        raise ValueError("give at least one estimate")
    if (stderrs < 0).any():
        raise ValueError("stderrs must be >= 0")
    return float(means.mean()), float(math.sqrt(np.sum(stderrs**2)) / means.size)


def interior_maximum(x, y) -> float | None:
    """The ``x`` at which ``y`` is largest if that is an interior point of the grid (a peak of
    the curve), ``None`` if the largest value sits at either end. ``x``, ``y`` (n,), ``n >= 3``."""
    x = _as_curve(x, "x")
    y = _as_curve(y, "y", x.size)
    if x.size < 3:
        raise ValueError(f"need at least 3 points to have an interior, got {x.size}")
    i = int(np.argmax(y))
    return float(x[i]) if 0 < i < x.size - 1 else None


def seed_differences(df: pd.DataFrame, a: str, b: str, *, x: str = "alpha",
                     by: str | Sequence[str] = ()) -> pd.DataFrame:
    """``test_error(a) - test_error(b)`` seed by seed, at each size ``x`` (and group ``by``).

    ``df``: a learning-curve table (:func:`tlcourse.curves.learning_curves`; columns
    ``protocol``, ``x``, ``seed``, ``test_error`` and the ``by`` columns), in which protocols
    ``a`` and ``b`` of one seed saw the same samples. Only the (group, size, seed) that both
    protocols ran are kept; a protocol with two rows for one (group, size, seed) is refused.
    Returns columns ``*by, x, seed, difference``, sorted: the input of :func:`crossover` (one
    curve per seed) and of :func:`tlcourse.comparisons.crossover_table`.
    """
    by = [by] if isinstance(by, str) else list(by)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame (a learning-curve table), got "
                        f"{type(df).__name__}")
    missing = [c for c in ("protocol", x, "seed", "test_error", *by) if c not in df.columns]
    if missing:
        raise ValueError(f"df must have the columns {missing} (a learning_curves table)")
    keys = [*by, x, "seed"]
    parts = []
    for name, arg in ((a, "a"), (b, "b")):
        part = df[df["protocol"] == name]
        if part.empty:
            raise ValueError(f"{arg} must be a protocol of df, one of "
                             f"{sorted(map(str, set(df['protocol'])))}, got {name!r}")
        if part.duplicated(keys).any():
            raise ValueError(f"df has several rows of protocol {name!r} for one {keys}")
        if part[[*keys, "test_error"]].isna().any().any():
            raise ValueError(f"df has missing values in the rows of protocol {name!r}")
        parts.append(part.set_index(keys)["test_error"])
    both = parts[0].index.intersection(parts[1].index)
    out = (parts[0].loc[both] - parts[1].loc[both]).rename("difference").reset_index()
    return out.sort_values(keys, ignore_index=True)


def t_quantile(n: int, level: float = 0.95, *, two_sided: bool = False) -> float:
    """The Student-t quantile for a mean of ``n`` independent values (``n - 1`` degrees of
    freedom): a claim "``mean > k se``" from ``n`` seeds holds at ``level`` (one-sided) only with
    ``k = t_quantile(n, level)``, larger than the normal quantile when ``n`` is small (2.92 for
    three seeds at 95%, against 1.64). ``two_sided``: the quantile at ``(1 + level) / 2``, the
    half-width of a ``level`` confidence interval in standard errors. For a mean over seeds
    nested in networks (:func:`nested_mean_and_stderr`), ``n`` is the number of networks.
    """
    from scipy import stats as _scipy_stats

    n = check_int(n, "n", low=2)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    return float(_scipy_stats.t.ppf((1 + level) / 2 if two_sided else level, n - 1))


def nested_mean_and_stderr(values, networks) -> tuple[float, float, int]:
    """Mean of ``values`` measured on seeds nested in source networks, and its standard error.

    ``values`` (n,): one number per (network, seed) (a test error or a paired difference);
    ``networks`` (n,): the source network each value was measured with. Seeds of one network
    share that network, so they are not independent: the mean is the mean of the per-network
    means, and its standard error the spread of those means over ``sqrt(G)`` (``G`` networks),
    which holds both the spread between networks and, through each network's mean, the spread
    of its seeds. Returns ``(mean, se, G)``; ``G >= 2``; a confidence interval takes
    :func:`t_quantile` with ``n = G``. Networks with different numbers of seeds weigh the same.
    """
    values = check_array(values, "values", ndim=1)
    networks = np.asarray(networks)
    if networks.shape != values.shape:
        raise ValueError(f"networks must have one label per value ({values.size}), got shape "
                         f"{networks.shape}")
    if pd.isna(networks).any():
        raise ValueError("networks must not contain missing labels")
    means = pd.Series(values).groupby(networks).mean().to_numpy()
    if means.size < 2:
        raise ValueError(f"need values from at least two networks, got {means.size}")
    return float(means.mean()), float(means.std(ddof=1) / math.sqrt(means.size)), int(means.size)


__all__ = [
    "Crossover",
    "FixedPowerLaw",
    "PowerLaw",
    "crossover",
    "error_and_stderr",
    "fixed_power_law_fit",
    "interior_maximum",
    "mean_and_stderr",
    "nested_mean_and_stderr",
    "paired_difference",
    "paired_difference_at",
    "paired_error_difference",
    "paired_rows",
    "pooled_mean",
    "power_law_fit",
    "seed_differences",
    "stderr_of_difference",
    "summarize",
    "t_quantile",
]
