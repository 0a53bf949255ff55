"""Comparing learning curves with their uncertainty: the tables behind the claims of part IV.

- :func:`paired_differences`: the difference of two protocols' test errors, paired seed by seed,
  at each size, with its standard error;
- :func:`crossover_table`: where such a difference changes sign
  (:func:`tlcourse.stats.crossover`, from the per-seed differences of
  :func:`tlcourse.stats.seed_differences`) for each group of a table, with a status that says
  what the data resolve;
- :func:`theory_gaps`: simulation minus theory at the simulated sizes;
- :func:`separability`: per size, the fraction of seeds whose training set the readout fits
  without error, and the bracket where that fraction falls from one to zero;
- :func:`flat_and_steep`: the stretches of a theory curve that are flatter or steeper than a
  given slope per e-fold of ``alpha``;
- :func:`real_differences`, :func:`real_gains`: named paired differences and transfer gains of a
  real-data table (:func:`tlcourse.realdata.curves.real_learning_curves`).

Conventions: a learning-curve table is one of :func:`tlcourse.curves.learning_curves` (columns
``protocol``, the size ``x`` (``alpha`` or ``n``), ``seed``, ``test_error``, ``stderr``, and
``train_error``), possibly several stacked with extra columns (e.g. ``delta``): name those in
``by``, since a curve has one row per size and seed. Differences are ``a - b`` in test error (a
fraction; multiply by 100 for percentage points), the sign convention of :mod:`tlcourse.stats`;
every one is computed there (:func:`tlcourse.stats.paired_rows`). Missing values in the columns
used are refused, not dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import stats
from ._checks import (
    check_array,
    check_one_row_per,
    check_positive,
    check_table,
)


def _check_table(df, x: str, by: Sequence[str], *, finite=()) -> pd.DataFrame:
    """A learning-curve table with the columns ``x`` and ``by``, no missing size or group."""
    df = check_table(df, (*stats.TABLE_COLUMNS, x, *by),
                     finite=(x, "seed", "test_error", "stderr", *finite))
    for col in by:
        if df[col].isna().any():
            raise ValueError(f"df[{col!r}] must not hold missing values (a group of by)")
    return df


def paired_differences(df, a: str, b: str, *, x: str = "alpha", by: Sequence[str] = ()
                       ) -> pd.DataFrame:
    """``test_error(a) - test_error(b)`` at each size ``x`` (and group ``by``), paired by seed.

    ``a``, ``b``: two protocol names of ``df["protocol"]``. For one seed, both protocols of
    :func:`tlcourse.curves.learning_curves` see the same target training and test samples, so the
    difference is taken seed by seed and averaged over the seeds both protocols ran, by
    :func:`tlcourse.stats.paired_rows` (the standard error is the larger of the spread across
    seeds and the held-out bound). Sizes where fewer than two seeds ran both are left out. A
    table of several settings (e.g. deltas) must name their columns in ``by``: several rows for
    one protocol, size and seed are refused.

    Returns a DataFrame with columns ``*by, x, difference, se, seeds``, sorted by group and size.
    """
    by = [by] if isinstance(by, str) else list(by)
    df = _check_table(df, x, by)
    protocols = set(df["protocol"])
    for p, name in ((a, "a"), (b, "b")):
        if p not in protocols:
            raise ValueError(f"{name} must be a protocol of df, one of "
                             f"{sorted(map(str, protocols))}, got {p!r}")
    if a == b:
        raise ValueError(f"a and b must be two different protocols, got {a!r} twice")
    rows = []
    for key, part in df.groupby([*by, x], observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rows_a, rows_b = part[part["protocol"] == a], part[part["protocol"] == b]
        if len(set(rows_a["seed"]) & set(rows_b["seed"])) < 2:
            continue
        try:
            d, se, S = stats.paired_rows(rows_a, rows_b)
        except ValueError as exc:
            where = ", ".join(f"{k} = {v}" for k, v in zip([*by, x], key, strict=True))
            raise ValueError(f"{a} and {b} at {where}: {exc}") from None
        rows.append({**dict(zip([*by, x], key, strict=True)), "difference": d, "se": se,
                     "seeds": S})
    return pd.DataFrame(rows, columns=[*by, x, "difference", "se", "seeds"])


CROSSOVER_STATUS = ("crossed", "not resolved", "not reached", "starts at or below zero")


def crossover_table(per_seed: pd.DataFrame, *, x: str = "alpha", by: str | None = None,
                    level: float = 0.9) -> pd.DataFrame:
    """Where each group's difference first goes from > 0 to <= 0 along ``x``, seed by seed.

    ``per_seed``: per-seed differences, a :func:`tlcourse.stats.seed_differences` table (columns
    ``x``, ``seed``, ``difference`` and ``by``), every seed at every size of its group. Each group
    goes through :func:`tlcourse.stats.crossover` (interpolation in ``log x``, a Student-t
    interval at ``level`` from the per-seed curves, so that what a seed shares along its curve
    is kept; the seed-averaged :func:`paired_differences` table cannot give it). The ``status``
    says what the data resolve:

    - ``"starts at or below zero"``: the mean difference is <= 0 at the smallest size already;
    - ``"crossed"``: the mean curve crosses and is resolved below zero within the grid
      (``high`` finite);
    - ``"not resolved"``: it crosses but is never resolved below zero, or it does not cross
      but is no longer resolved above zero at the largest size;
    - ``"not reached"``: it does not cross and is resolved above zero at the largest size.

    Returns one row per group: ``by`` (if given), ``alpha_star`` (NaN without a crossing),
    ``low``, ``high`` (the interval; ``low = 0`` or ``high = inf`` when it runs beyond the grid,
    see :class:`tlcourse.stats.Crossover`), ``seeds`` and ``status``.
    """
    if not isinstance(per_seed, pd.DataFrame):
        raise TypeError(f"per_seed must be a pandas DataFrame, got {type(per_seed).__name__}")
    missing = [c for c in (x, "seed", "difference", *([by] if by else [])) if c not in per_seed]
    if missing:
        raise ValueError(f"per_seed must have the columns {missing} (a "
                         "stats.seed_differences table, one row per seed and size)")
    groups = [(None, per_seed)] if by is None else list(per_seed.groupby(by, sort=False))
    rows = []
    for key, part in groups:
        if part.duplicated([x, "seed"]).any():
            raise ValueError(f"per_seed has several rows for one ({x}, seed)"
                             + ("" if by is None else f" in group {by} = {key!r}"))
        curves = part.pivot(index="seed", columns=x, values="difference").sort_index(axis=1)
        if curves.isna().any().any():
            raise ValueError("every seed must have a difference at every size"
                             + ("" if by is None else f" (group {by} = {key!r})"))
        c = stats.crossover(curves.columns.to_numpy(float), curves.to_numpy(float), level=level)
        mean = curves.mean(axis=0).to_numpy()
        if mean[0] <= 0:
            status = "starts at or below zero"
        elif c.x is not None:
            status = "crossed" if np.isfinite(c.high) else "not resolved"
        else:
            status = "not reached" if c.low == curves.columns[-1] else "not resolved"
        row = {} if by is None else {by: key}
        row.update(alpha_star=np.nan if c.x is None else c.x, low=c.low, high=c.high,
                   seeds=c.seeds, status=status)
        rows.append(row)
    return pd.DataFrame(rows)


def theory_gaps(summary: pd.DataFrame, alpha_line, theory_line, *, x: str = "alpha"
                ) -> pd.DataFrame:
    """Simulation minus theory at the simulated sizes of one protocol.

    ``summary``: rows of :func:`tlcourse.stats.summarize` for one protocol (columns ``x``,
    ``test_error``, ``sem``); ``alpha_line`` (m,) increasing and ``theory_line`` (m,) the theory's
    test errors, interpolated linearly in ``log x`` at the simulated sizes, which must lie in the
    line's range. Returns columns ``x, simulation, sem, theory, gap`` (``gap = simulation -
    theory``: negative when the theory is pessimistic).
    """
    alpha_line = check_array(alpha_line, "alpha_line", ndim=1)
    theory_line = check_array(theory_line, "theory_line", ndim=1, shape=alpha_line.shape)
    if (alpha_line <= 0).any() or (np.diff(alpha_line) <= 0).any():
        raise ValueError("alpha_line must be positive and strictly increasing")
    summary = check_table(summary, (x, "test_error", "sem"), "summary",
                          finite=(x, "test_error", "sem"))
    if summary.empty or summary[x].duplicated().any():
        raise ValueError(f"summary must hold one row per size {x} (one protocol's rows of "
                         "stats.summarize), at least one")
    sim = summary.sort_values(x)
    xs = sim[x].to_numpy(float)
    if xs.min() < alpha_line[0] or xs.max() > alpha_line[-1]:
        raise ValueError(f"the simulated sizes {xs.min():g}..{xs.max():g} must lie within "
                         f"alpha_line's range {alpha_line[0]:g}..{alpha_line[-1]:g}")
    th = np.interp(np.log(xs), np.log(alpha_line), theory_line)
    out = pd.DataFrame({x: xs, "simulation": sim["test_error"].to_numpy(float),
                        "sem": sim["sem"].to_numpy(float), "theory": th})
    out["gap"] = out["simulation"] - out["theory"]
    return out


def separability(df: pd.DataFrame, *, x: str = "alpha") -> tuple[pd.Series, float, float]:
    """Where the training samples stop being fitted without error.

    ``df``: a learning-curve table of one frozen-feature protocol (column ``train_error``),
    typically with a weak readout penalty. Returns ``(fraction, low, high)``: ``fraction`` (a
    Series indexed by size) the fraction of seeds whose training error is exactly zero; ``low``
    the largest size up to which every seed is fitted without error (NaN if none), ``high`` the
    smallest size from which no seed is (NaN if none): the threshold lies in ``(low, high]``.
    """
    df = _check_table(df, x, ["train_error"], finite=("train_error",))
    if df.empty or df["protocol"].nunique() != 1:
        raise ValueError(f"df must hold the rows of one protocol, got "
                         f"{sorted(map(str, set(df['protocol'])))}")
    check_one_row_per(df, [x, "seed"])
    fraction = (df["train_error"] == 0).groupby(df[x]).mean().sort_index()
    all_fit = fraction.to_numpy() == 1.0
    k = int(np.argmin(all_fit)) if not all_fit.all() else len(all_fit)
    low = float(fraction.index[k - 1]) if k > 0 else np.nan
    none = np.flatnonzero(fraction.to_numpy() == 0.0)
    none = none[none >= k]
    high = float(fraction.index[none[0]]) if none.size else np.nan
    return fraction, low, high


def flat_and_steep(alphas, errors, slope: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slope ``d errors / d log alpha`` of a curve and where it is flat or steep.

    ``alphas`` (m,) increasing, ``errors`` (m,); ``slope > 0``. Returns ``(d, flat, steep)``:
    ``d`` (m,) the slope per e-fold of alpha (central differences in ``log alpha``), ``flat`` a
    boolean mask where ``|d| < slope``, ``steep`` where ``|d| >= slope``.
    """
    alphas = check_array(alphas, "alphas", ndim=1)
    errors = check_array(errors, "errors", ndim=1, shape=alphas.shape)
    slope = check_positive(slope, "slope")
    if alphas.size < 3 or (alphas <= 0).any() or (np.diff(alphas) <= 0).any():
        raise ValueError("alphas must hold at least 3 positive, strictly increasing sizes")
    d = np.gradient(errors, np.log(alphas))
    return d, np.abs(d) < slope, np.abs(d) >= slope


def stretches(alphas, mask) -> list[tuple[float, float]]:
    """The contiguous runs of ``True`` in ``mask`` (m,) as ``(first alpha, last alpha)`` pairs."""
    alphas = check_array(alphas, "alphas", ndim=1)
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be an array of booleans, got dtype {mask.dtype}")
    if mask.shape != alphas.shape:
        raise ValueError(f"mask must have the shape of alphas {alphas.shape}, got {mask.shape}")
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(alphas[s]), float(alphas[e])) for s, e in zip(starts, ends, strict=True)]


def _shared_seeds(df: pd.DataFrame, a, b, n: int) -> int:
    """How many seeds of a real-data table ran both ``(protocol, source)`` pairs at size ``n``."""
    seeds = []
    for protocol, source in (a, b):
        rows = df[(df["protocol"] == protocol) & (df["n"] == n)]
        rows = rows[rows["source"].isna()] if source is None else rows[rows["source"] == source]
        seeds.append(set(rows["seed"]))
    return len(seeds[0] & seeds[1])


def real_differences(df: pd.DataFrame, comparisons, *, level: float = 0.95,
                     against: float = 0.9) -> pd.DataFrame:
    """Named paired differences of a real-data table, one row per comparison.

    ``comparisons``: ``(label, a, b, n)`` or ``(label, a, b, n, expected)`` tuples, ``a`` and ``b``
    ``(protocol, source)`` pairs as in :func:`tlcourse.realdata.curves.compare` (``source``
    ``None`` for 2L and RF), ``n`` the number of target training images, ``expected`` the sign a
    claim gives the difference (+1 or -1; 0 or absent: no claim). Returns columns ``comparison, n,
    difference, se, z, seeds, t, expected`` (``z = difference / se``, ``seeds`` the seeds both
    curves ran, ``t`` the one-sided Student-t quantile at ``level`` for them,
    :func:`tlcourse.stats.t_quantile`); with a claim, ``resolved`` (``z`` has the expected sign
    and exceeds ``t`` in size: a one-sided test at ``level``) and ``contradicted`` (the opposite
    sign beyond the quantile at the laxer ``against``, so that a contradiction is flagged
    sooner than a claim is granted).
    """
    from .realdata.curves import compare

    for value, name in ((level, "level"), (against, "against")):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {value!r}")
    rows = []
    for item in comparisons:
        if not isinstance(item, tuple | list) or len(item) not in (4, 5):
            raise ValueError(f"each comparison must be (label, a, b, n[, expected]), got {item!r}")
        label, a, b, n = item[:4]
        expected = item[4] if len(item) == 5 else 0
        if isinstance(expected, bool) or expected not in (-1, 0, 1):
            raise ValueError(f"expected must be -1, 0 or +1, got {expected!r} in {label!r}")
        d, se = compare(df, a, b, n)
        seeds = _shared_seeds(df, a, b, n)
        z, t = d / se, stats.t_quantile(seeds, level)
        rows.append({"comparison": label, "n": n, "difference": d, "se": se, "z": z,
                     "seeds": seeds, "t": t, "expected": expected,
                     "resolved": expected != 0 and expected * z > t,
                     "contradicted": (expected != 0
                                      and expected * z < -stats.t_quantile(seeds, against))})
    return pd.DataFrame(rows, columns=["comparison", "n", "difference", "se", "z", "seeds", "t",
                                       "expected", "resolved", "contradicted"])


def real_gains(df: pd.DataFrame, baseline: str, sources, ns) -> pd.DataFrame:
    """Transfer gain ``error(baseline) - error(TL)`` of a real-data table per source and size.

    ``baseline``: a source-free protocol (``"2L"`` or ``"RF"``); ``sources`` the source names,
    ``ns`` the sizes. Paired by seed (:func:`tlcourse.realdata.curves.compare`). Returns columns
    ``source, n, difference, se``.
    """
    from .realdata.curves import compare

    if isinstance(sources, str) or isinstance(ns, str):
        raise TypeError(f"sources and ns must be collections (of names, of sizes), got "
                        f"{sources!r} and {ns!r}")
    rows = []
    for name in sources:
        for n in ns:
            d, se = compare(df, (baseline, None), ("TL", name), n)
            rows.append({"source": name, "n": n, "difference": d, "se": se})
    return pd.DataFrame(rows, columns=["source", "n", "difference", "se"])


__all__ = [
    "CROSSOVER_STATUS",
    "crossover_table",
    "flat_and_steep",
    "paired_differences",
    "real_differences",
    "real_gains",
    "separability",
    "stretches",
    "theory_gaps",
]
