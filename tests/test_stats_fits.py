"""Tests of tlcourse.stats: means over seeds with their standard errors, power-law fits."""

import math

import numpy as np
import pytest

from tlcourse import stats


def test_mean_and_stderr_overall_and_per_group():
    values = np.array([1.0, 3.0, 2.0, 6.0, 4.0, 5.0])
    mean, se = stats.mean_and_stderr(values)
    assert mean == pytest.approx(3.5)
    assert se == pytest.approx(np.std(values, ddof=1) / math.sqrt(6))
    # per group, ordered by the sorted labels whatever the order of the rows
    mean, se = stats.mean_and_stderr(values, by=[2, 1, 2, 1, 2, 1])
    np.testing.assert_allclose(mean, [14 / 3, 7 / 3])
    np.testing.assert_allclose(se, [np.std([3, 6, 5], ddof=1) / math.sqrt(3),
                                    np.std([1, 2, 4], ddof=1) / math.sqrt(3)])
    with pytest.raises(ValueError, match="at least two values"):
        stats.mean_and_stderr([1.0])
    with pytest.raises(ValueError, match="at least two values per group"):
        stats.mean_and_stderr([1.0, 2.0, 3.0], by=[0, 0, 1])
    with pytest.raises(ValueError, match="one label per value"):
        stats.mean_and_stderr([1.0, 2.0, 3.0], by=[0, 0])


def test_power_law_fit_is_exact_on_a_power_law():
    x = np.array([25.0, 50.0, 100.0])
    fit = stats.power_law_fit(x, 0.02 * (x / 25) ** -0.75, np.full(3, 1e-3))
    assert fit.exponent == pytest.approx(0.75, abs=1e-8)
    assert fit.scale == pytest.approx(0.02, rel=1e-8)
    assert fit.x0 == 25.0


def test_power_law_fit_standard_error_matches_the_spread_of_refits():
    # three sizes, noise as in the replica chapter's gap (a few standard errors of the signal);
    # 2000 refits: the mean exponent within 4 of its standard errors of the truth (plus 0.02
    # for the bias of a nonlinear fit), the reported standard error within 10% of the spread
    # of the refits (2000 draws measure a standard deviation to about 1.6%)
    rng = np.random.default_rng(0)
    x = np.array([25.0, 50.0, 100.0])
    truth = 0.016 * (x / 25) ** -1.0
    se = np.array([0.0012, 0.0010, 0.0009]) / 3  # small noise: the linearisation holds
    fits = [stats.power_law_fit(x, truth + se * rng.standard_normal(3), se)
            for _ in range(2000)]
    b = np.array([f.exponent for f in fits])
    reported = np.array([f.exponent_se for f in fits])
    assert abs(b.mean() - 1.0) < 4 * b.std(ddof=1) / math.sqrt(b.size) + 0.02
    assert reported.mean() == pytest.approx(b.std(ddof=1), rel=0.10)


def test_power_law_fit_refuses_bad_input():
    with pytest.raises(ValueError, match="x must be positive"):
        stats.power_law_fit([0.0, 1.0], [1.0, 0.5], [0.1, 0.1])
    with pytest.raises(ValueError, match="stderr must be > 0"):
        stats.power_law_fit([1.0, 2.0], [1.0, 0.5], [0.1, 0.0])
    with pytest.raises(ValueError, match="same length"):
        stats.power_law_fit([1.0, 2.0], [1.0, 0.5, 0.2], [0.1, 0.1])
