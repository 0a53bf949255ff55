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
  seeds, with its standard error; :func:`paired_difference_at` reads it from a learning-curve
  table at one size, with the one-sided Student-t quantile that tests it;
- :func:`seed_differences`: the difference of two protocols' test errors seed by seed, as a
  table (one row per group, size and seed);
- :func:`crossover`: where a difference of two learning curves changes sign, with a Student-t
  confidence interval from the per-seed curves (a :class:`Crossover`);
- :func:`t_quantile`: the Student-t quantile that a "k standard errors" claim from a few seeds
  must use in place of a normal one;
- :func:`nested_mean_and_stderr`: a mean over seeds nested in source networks, with an error bar
  that includes the spread between networks;
- :func:`power_law_fit`: how fast a measured quantity falls with a size, ``y ~ a x^(-b)``, with the
  standard error of the exponent (a :class:`PowerLaw`).

NumPy, pandas and SciPy only (no PyTorch), so that plotting and analysis stay light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import check_array, check_int


def error_and_stderr(f, y) -> tuple[float, float]:
    """Fraction of wrong signs of outputs ``f`` (n,) against labels ``y`` and its standard error.

    A zero output counts as a ``+1`` prediction. The standard error is ``sqrt(e (1 - e) / n)``.
    """
    wrong = np.where(np.asarray(f) >= 0, 1.0, -1.0) != np.asarray(y)
    e = float(wrong.mean())
    return e, math.sqrt(e * (1 - e) / wrong.size)


def stderr_of_difference(*stderrs) -> np.ndarray:
    """Standard error of a difference (or sum) of independent estimates: ``sqrt(sum se_i^2)``."""
    if not stderrs:
        raise ValueError("give at least one standard error")
    return np.sqrt(sum(np.asarray(s, dtype=np.float64) ** 2 for s in stderrs))


def paired_error_difference(f_a, f_b, y) -> tuple[float, float]:
    """Test error of outputs ``f_a`` minus that of ``f_b`` (both (n,)) on the same labels ``y``.

    The two errors share their samples, so the difference is a mean of per-sample differences
    ``wrong_a - wrong_b`` (each in {-1, 0, 1}); its standard error ``sd / sqrt(n)`` counts only the
    samples on which the two predictors disagree, and is smaller than the
    :func:`stderr_of_difference` of the two errors when they make the same mistakes. A zero output
    counts as a ``+1`` prediction, as in :func:`error_and_stderr`.
    """
    f_a, f_b, y = (np.asarray(a, dtype=np.float64) for a in (f_a, f_b, y))
    if not (f_a.ndim == f_b.ndim == y.ndim == 1 and f_a.size == f_b.size == y.size >= 2):
        raise ValueError(f"f_a, f_b and y must be 1-d of one length n >= 2, got shapes "
                         f"{f_a.shape}, {f_b.shape}, {y.shape}")
    d = ((np.where(f_a >= 0, 1.0, -1.0) != y).astype(np.float64)
         - (np.where(f_b >= 0, 1.0, -1.0) != y))
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def summarize(df: pd.DataFrame, x: str = "alpha") -> pd.DataFrame:
    """Mean test error and its standard error per protocol and size.

    ``df`` is a learning-curve table (:func:`tlcourse.curves.learning_curves`): columns
    ``protocol``, ``x``, ``seed``, ``test_error`` and ``stderr``. The standard error of the mean
    over ``S`` seeds is the spread across seeds, ``std / sqrt(S)``, but never less than the
    test-set part of it, ``sqrt(mean(stderr^2) / S)``: with two or three seeds the spread alone
    can come out small by chance. With one seed it is that seed's test-set standard error.
    Columns: ``protocol, x, test_error, sem, seeds``.
    """
    for col in ("protocol", x, "seed", "test_error", "stderr"):
        if col not in df.columns:
            raise ValueError(f"df must have a column {col!r} (a learning_curves table)")
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

    ``values`` (n,): one number per seed (a paired difference, say). Without ``by``, returns two
    floats ``(mean, se)``; with ``by`` (n,) group labels (the ``alpha`` of each row, say), two
    arrays ``(mean, se)`` ordered by sorted group label. Needs at least two values per group.
    """
    values = pd.Series(np.asarray(values, dtype=np.float64))
    if by is None:
        if len(values) < 2:
            raise ValueError(f"need at least two values for a standard error, got {len(values)}")
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))
    by = np.asarray(by)
    if by.shape != (len(values),):
        raise ValueError(f"by must have one label per value ({len(values)}), got shape "
                         f"{by.shape}")
    g = values.groupby(by)
    if g.count().min() < 2:
        raise ValueError("need at least two values per group for a standard error")
    return g.mean().to_numpy(), (g.std(ddof=1) / np.sqrt(g.count())).to_numpy()


def paired_difference(errors_a: pd.Series, errors_b: pd.Series, stderr_a: pd.Series,
                      stderr_b: pd.Series) -> tuple[float, float]:
    """Mean over seeds of ``errors_a - errors_b`` and its standard error, paired seed by seed.

    The four series are indexed by seed (seeds missing from either side are dropped). The
    standard error is the larger of the spread across seeds, ``std / sqrt(S)``, and the bound
    from the test sets, ``sqrt(mean(se_a^2 + se_b^2) / S)``: a few seeds can underestimate the
    spread, the test-set size cannot. Needs at least two shared seeds.
    """
    d = (errors_a - errors_b).dropna()
    if len(d) < 2:
        raise ValueError(f"need at least two seeds shared by both curves, got {len(d)}")
    spread = d.std(ddof=1) / np.sqrt(len(d))
    test_sets = np.sqrt((stderr_a**2 + stderr_b**2).mean() / len(d))
    return float(d.mean()), float(max(spread, test_sets))


def paired_difference_at(
    df: pd.DataFrame, a: str, b: str, at: float, *, x: str = "alpha", level: float = 0.95
) -> dict:
    """:func:`paired_difference` of ``error(b) - error(a)`` at ``x == at`` in a learning-curve
    table, with the one-sided Student-t quantile that tests it.

    ``df`` is a :func:`tlcourse.curves.learning_curves` table; protocols ``a`` and ``b`` of the
    same seed share their training and test samples, so the per-seed difference has less noise
    than either error. Returns ``{"mean", "se", "seeds", "t"}``: ``mean`` and ``se`` as
    :func:`paired_difference` gives them, ``t`` the Student-t quantile at ``level`` with
    ``S - 1`` degrees of freedom (``S`` shared seeds), so that ``mean > t * se`` is a one-sided
    test at that level of the claim "b has the larger error" (``mean < -t * se``: the smaller).
    """
    from scipy import stats as _scipy_stats

    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    for col in ("protocol", x, "seed", "test_error", "stderr"):
        if col not in df.columns:
            raise ValueError(f"df must have a column {col!r} (a learning_curves table)")
    rows = df[np.isclose(df[x].astype(float), at)]
    per = {}
    for name in (a, b):
        part = rows[rows["protocol"] == name].set_index("seed")
        if part.empty:
            raise ValueError(f"no rows for protocol {name!r} at {x} = {at}")
        per[name] = part
    seeds = len(per[a].index.intersection(per[b].index))
    try:
        mean, se = paired_difference(per[b]["test_error"], per[a]["test_error"],
                                     per[b]["stderr"], per[a]["stderr"])
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
    d = np.asarray(diffs, dtype=np.float64)
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
    "PowerLaw",
    "crossover",
    "error_and_stderr",
    "mean_and_stderr",
    "nested_mean_and_stderr",
    "paired_difference",
    "paired_difference_at",
    "paired_error_difference",
    "power_law_fit",
    "seed_differences",
    "stderr_of_difference",
    "summarize",
    "t_quantile",
]
