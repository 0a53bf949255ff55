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
- :func:`crossover`: where a difference of two learning curves changes sign, with a bootstrap
  interval (a :class:`Crossover`);
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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import (
    RNGLike,
    as_generator,
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
    y = check_labels(y, "y", n=f.size)
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
    f_b = check_vector(f_b, "f_b", n=f_a.size)
    y = check_labels(y, "y", n=f_a.size)
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
    """Where a difference of learning curves changes sign, in the units of the grid ``x``
    (``alpha = P / N`` or the number of samples ``P``).

    ``x``: the interpolated crossing (``None`` if the curves do not cross in the range);
    ``low``, ``high``: the 16th and 84th percentiles of the crossing over all bootstrap draws (a
    one-standard-error interval; ``None`` if no crossing). A draw that does not cross inside the
    range counts as crossing beyond it (``inf``) if it stays positive, before it (``0``) if it
    starts at or below zero: so ``high = inf`` says that more than 16% of the draws have not
    crossed by the end of the grid, and ``low = 0`` that more than 16% crossed before its start.
    ``fraction_found``: the fraction of draws that crossed inside the range (small: the crossing
    is not resolved by the data).
    """

    x: float | None
    low: float | None
    high: float | None
    fraction_found: float


def _as_curve(x, name: str, n: int | None = None) -> np.ndarray:
    x = check_array(x, name, ndim=1)
    if x.size < 2:
        raise ValueError(f"{name} must have at least 2 entries, got {x.size}")
    if n is not None and x.size != n:
        raise ValueError(f"{name} must have the same length as x ({n}), got {x.size}")
    return x


def _first_crossing(log_x: np.ndarray, diff: np.ndarray) -> np.ndarray:
    """First downward zero crossing of each row of ``diff`` (m, n), interpolated in log x.

    A crossing is the first index ``i`` with ``diff[i] > 0 >= diff[i + 1]``; rows without one
    give NaN (used internally only: :func:`crossover` turns it into ``None``).
    """
    down = (diff[:, :-1] > 0) & (diff[:, 1:] <= 0)
    found = down.any(axis=1)
    i = np.argmax(down, axis=1)
    rows = np.arange(diff.shape[0])
    d0, d1 = diff[rows, i], diff[rows, i + 1]
    x0, x1 = log_x[i], log_x[i + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        x = x0 + d0 / (d0 - d1) * (x1 - x0)
    return np.exp(np.where(found, x, np.nan))


def crossover(x, diff, stderr, *, n_draws: int = 2000, rng: RNGLike = 0) -> Crossover:
    """Where ``diff`` (e.g. ``eps_2L - eps_TL`` over ``x``) first goes from > 0 to <= 0.

    ``x`` (n,) increasing and positive: the grid of sizes, ``alpha = P / N`` or ``P``;
    ``diff`` (n,) the difference of two curves at those points, ``stderr`` (n,) its standard
    errors (``sqrt(se_a^2 + se_b^2)`` for independent curves). The crossing is interpolated
    linearly in ``log x`` between the two points that bracket it. Its uncertainty:
    ``n_draws`` parametric bootstrap draws ``diff + stderr * z``, ``z ~ N(0, 1)`` independent
    per point, each located the same way.
    """
    x = _as_curve(x, "x")
    if (x <= 0).any() or (np.diff(x) <= 0).any():
        raise ValueError("x must be positive and strictly increasing")
    diff = _as_curve(diff, "diff", x.size)
    stderr = _as_curve(stderr, "stderr", x.size)
    if (stderr < 0).any():
        raise ValueError("stderr must be >= 0")
    n_draws = check_int(n_draws, "n_draws", low=1)
    log_x = np.log(x)
    best = _first_crossing(log_x, diff[None, :])[0]
    z = as_generator(rng).standard_normal((n_draws, x.size))
    redrawn = diff[None, :] + stderr[None, :] * z
    draws = _first_crossing(log_x, redrawn)
    ok = np.isfinite(draws)
    fraction = float(ok.mean())
    if not np.isfinite(best):
        return Crossover(None, None, None, fraction)
    # no crossing in the range: beyond its end if the draw starts positive, before its start if not
    draws = np.where(ok, draws, np.where(redrawn[:, 0] > 0, np.inf, 0.0))
    low, high = np.percentile(draws, [16, 84], method="inverted_cdf")  # order statistics: no
    return Crossover(float(best), float(low), float(high), fraction)  # interpolation with inf


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

    x = _as_curve(x, "x")
    if (x <= 0).any():
        raise ValueError("x must be positive")
    y = _as_curve(y, "y", x.size)
    stderr = _as_curve(stderr, "stderr", x.size)
    if (stderr <= 0).any():
        raise ValueError("stderr must be > 0")
    x0 = float(x[0])

    def model(x, scale, exponent):
        return scale * (x / x0) ** (-exponent)

    (scale, exponent), cov = curve_fit(model, x, y, p0=(y[0], 1.0), sigma=stderr,
                                       absolute_sigma=True)
    return PowerLaw(float(scale), float(exponent), float(math.sqrt(cov[1, 1])), x0)


# --- nested means, fixed-exponent laws and interior peaks (chapter *The replica formula*) ---


def nested_mean_and_stderr(values, groups) -> tuple[float, float, int]:
    """Mean of ``values`` over groups of seeds, with the standard error between groups.

    ``values`` (n,): one number per seed; ``groups`` (n,): the group of each seed (the source
    network or random layer the seed ran on: seeds nested in groups). Each group is averaged
    first; the result is the mean of the ``G`` group means and their ``std / sqrt(G)``
    (``ddof=1``), which counts the variation between groups as well as the seeds' own noise.
    Returns ``(mean, se, G)``; test it with Student-t quantiles at ``G - 1`` degrees of freedom.
    Needs ``G >= 2``.
    """
    values = np.asarray(values, dtype=np.float64)
    groups = np.asarray(groups)
    if values.ndim != 1 or groups.shape != values.shape:
        raise ValueError(f"values and groups must be 1-d of one length, got shapes "
                         f"{values.shape} and {groups.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite")
    means = pd.Series(values).groupby(groups).mean()
    if len(means) < 2:
        raise ValueError(f"need at least two groups for a standard error, got {len(means)}")
    return (float(means.mean()), float(means.std(ddof=1) / math.sqrt(len(means))),
            len(means))


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

    x = _as_curve(x, "x")
    if (x <= 0).any():
        raise ValueError("x must be positive")
    y = _as_curve(y, "y", x.size)
    stderr = _as_curve(stderr, "stderr", x.size)
    if (stderr <= 0).any():
        raise ValueError("stderr must be > 0")
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
    "stderr_of_difference",
    "summarize",
]
