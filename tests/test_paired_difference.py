"""Tests of stats.paired_difference_at: paired by seed, a floor from the test sets, a t quantile;
one sign convention (a - b) for every paired difference of the package."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from tlcourse import stats


def _table(errors_a, errors_b, stderr=0.001, alpha=0.5):
    rows = []
    for seed, (ea, eb) in enumerate(zip(errors_a, errors_b, strict=True)):
        rows.append({"protocol": "A", "alpha": alpha, "seed": seed, "test_error": ea,
                     "stderr": stderr})
        rows.append({"protocol": "B", "alpha": alpha, "seed": seed, "test_error": eb,
                     "stderr": stderr})
    return pd.DataFrame(rows)


def test_pairing_removes_the_shared_seed_effect():
    # seed effects of +-0.05 shared by both protocols; B is worse by 0.01 +- 0.001 on every seed
    base = np.array([0.20, 0.30, 0.25, 0.15])
    diff = np.array([0.010, 0.011, 0.009, 0.010])
    d = stats.paired_difference_at(_table(base, base + diff, stderr=1e-5), "B", "A", 0.5)
    assert d["mean"] == pytest.approx(diff.mean())
    assert d["se"] == pytest.approx(diff.std(ddof=1) / 2)  # the seed effects cancel
    assert d["seeds"] == 4 and d["t"] == pytest.approx(scipy_stats.t.ppf(0.95, 3))
    assert d["mean"] > d["t"] * d["se"]


def test_test_set_noise_is_a_floor():
    d = stats.paired_difference_at(_table([0.2, 0.2, 0.2], [0.21, 0.21, 0.21], stderr=0.01),
                                 "A", "B", 0.5)
    assert d["se"] == pytest.approx(np.sqrt(2 * 0.01**2 / 3))


def test_level_sets_the_quantile():
    df = _table([0.2, 0.3], [0.25, 0.31])
    assert stats.paired_difference_at(df, "A", "B", 0.5, level=0.99)["t"] == pytest.approx(
        scipy_stats.t.ppf(0.99, 1))


def test_bad_inputs():
    df = _table([0.2, 0.3], [0.25, 0.31])
    with pytest.raises(ValueError, match="protocol 'C'"):
        stats.paired_difference_at(df, "A", "C", 0.5)
    with pytest.raises(ValueError, match="two seeds"):
        stats.paired_difference_at(_table([0.2], [0.3]), "A", "B", 0.5)
    with pytest.raises(ValueError, match="level"):
        stats.paired_difference_at(df, "A", "B", 0.5, level=1.5)
    with pytest.raises(ValueError, match="column"):
        stats.paired_difference_at(df.drop(columns="stderr"), "A", "B", 0.5)


def test_one_sign_convention_everywhere():
    """error(a) - error(b) from stats, comparisons and realdata alike: B is worse by 0.01."""
    from tlcourse import comparisons
    from tlcourse.realdata import curves as real_curves

    df = _table([0.20, 0.30, 0.25], [0.21, 0.31, 0.26]).assign(n=10, source=None)
    want = pytest.approx(0.01)
    assert stats.paired_difference_at(df, "B", "A", 0.5)["mean"] == want
    assert comparisons.paired_differences(df, "B", "A")["difference"].iloc[0] == want
    assert real_curves.compare(df, ("B", None), ("A", None), 10)[0] == want
    f_a, f_b, y = np.array([-1.0, 1.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    assert stats.paired_error_difference(f_a, f_b, y)[0] == 0.5  # a errs once, b never


def test_a_nan_or_a_second_setting_is_refused_not_miscounted():
    df = _table([0.2, 0.3, 0.25], [0.25, 0.31, 0.3])
    nan = df.copy()
    nan.loc[0, "test_error"] = np.nan
    with pytest.raises(ValueError, match=r"df\['test_error'\] must be finite"):
        stats.paired_difference_at(nan, "A", "B", 0.5)
    # two delta levels stacked: six rows per protocol, three seeds
    stacked = pd.concat([df.assign(delta=0.0), df.assign(delta=1.0)], ignore_index=True)
    with pytest.raises(ValueError, match="one row per seed"):
        stats.paired_difference_at(stacked, "A", "B", 0.5)
    one = stats.paired_difference_at(stacked[stacked.delta == 0.0], "A", "B", 0.5)
    assert one["seeds"] == 3
