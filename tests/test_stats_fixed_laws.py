"""Fixed-exponent power laws, interior maxima, pooled means (nested means: test_stats.py)."""

import math

import numpy as np
import pytest

from tlcourse import stats


def test_fixed_power_law_recovers_the_scale_and_tells_laws_apart():
    x = np.array([10.0, 20.0, 40.0, 80.0])
    se = np.full(4, 1e-3)
    y = 0.05 * (x / 10) ** -1.0
    exact = stats.fixed_power_law_fit(x, y, se, 1.0)
    assert exact.scale == pytest.approx(0.05) and exact.chi2 == pytest.approx(0, abs=1e-12)
    assert exact.dof == 3 and exact.p_value == pytest.approx(1.0)
    assert exact.scale_se == pytest.approx(1e-3 / math.sqrt(np.sum((x / 10) ** -2.0)))
    wrong = stats.fixed_power_law_fit(x, y, se, 0.5)
    assert wrong.p_value < 1e-6  # 1/sqrt(x) is rejected by exact 1/x data


def test_fixed_power_law_chi2_has_its_distribution():
    # noisy data from the true law: chi2 over many draws averages its dof, p roughly uniform
    rng = np.random.default_rng(1)
    x, se = np.array([15.0, 25.0, 40.0, 70.0]), np.array([2e-3, 1.5e-3, 1e-3, 8e-4])
    fits = [stats.fixed_power_law_fit(x, 0.02 * (x / 15) ** -0.5 + se * rng.standard_normal(4),
                                      se, 0.5) for _ in range(4000)]
    chi2 = np.array([f.chi2 for f in fits])
    assert abs(chi2.mean() - 3) < 4 * math.sqrt(2 * 3 / chi2.size)
    p = np.array([f.p_value for f in fits])
    assert abs(np.mean(p < 0.05) - 0.05) < 4 * math.sqrt(0.05 * 0.95 / p.size)


@pytest.mark.parametrize("exponent", [np.nan, "1", True])
def test_fixed_power_law_refuses_a_bad_exponent(exponent):
    with pytest.raises(ValueError, match="exponent"):
        stats.fixed_power_law_fit([1.0, 2.0], [1.0, 0.5], [0.1, 0.1], exponent)


def test_fixed_power_law_refuses_bad_errors():
    with pytest.raises(ValueError, match="stderr"):
        stats.fixed_power_law_fit([1.0, 2.0], [1.0, 0.5], [0.1, 0.0], 1.0)


def test_interior_maximum():
    x = np.array([0.5, 1.0, 2.0, 4.0])
    assert stats.interior_maximum(x, [0.1, 0.3, 0.2, 0.1]) == 1.0
    assert stats.interior_maximum(x, [0.4, 0.3, 0.2, 0.1]) is None
    assert stats.interior_maximum(x, [0.1, 0.2, 0.3, 0.4]) is None
    with pytest.raises(ValueError, match="3 points"):
        stats.interior_maximum([1.0, 2.0], [0.0, 1.0])


def test_pooled_mean_of_independent_estimates():
    mean, se = stats.pooled_mean([1.0, 2.0, 3.0, 6.0], [0.3, 0.4, 0.0, 0.0])
    assert mean == pytest.approx(3.0) and se == pytest.approx(0.5 / 4)
    with pytest.raises(ValueError, match="stderrs"):
        stats.pooled_mean([1.0, 2.0], [0.1, -0.1])
    with pytest.raises(ValueError, match="stderrs"):
        stats.pooled_mean([1.0, 2.0], [0.1])
