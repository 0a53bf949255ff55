"""Nested means over source networks, fixed-exponent power laws, interior maxima."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from tlcourse import stats


def test_nested_mean_averages_groups_first():
    values = [1.0, 3.0, 10.0, 10.0, 10.0, 10.0]  # group a: mean 2; group b: mean 10
    mean, se, groups = stats.nested_mean_and_stderr(values, ["a", "a", "b", "b", "b", "b"])
    assert groups == 2 and mean == pytest.approx(6.0)
    assert se == pytest.approx(np.std([2.0, 10.0], ddof=1) / math.sqrt(2))


def test_nested_interval_covers_with_a_spread_between_groups():
    # every group has its own offset (variance 1) and seeds add noise (variance 1) on top:
    # the per-seed standard error undercovers, the nested one covers at its t level
    rng = np.random.default_rng(0)
    n_rep, G, S, level = 2000, 4, 10, 0.9
    t = sps.t.ppf(0.5 + level / 2, G - 1)
    hits = 0
    for _ in range(n_rep):
        offsets = rng.standard_normal(G)
        values = (offsets[:, None] + rng.standard_normal((G, S))).ravel()
        mean, se, _ = stats.nested_mean_and_stderr(values, np.repeat(np.arange(G), S))
        hits += abs(mean) < t * se
    half_width = 4 * math.sqrt(level * (1 - level) / n_rep)  # four binomial standard errors
    assert abs(hits / n_rep - level) < half_width


@pytest.mark.parametrize("bad", [([1.0, 2.0], ["a", "a"]), ([1.0, np.nan], ["a", "b"]),
                                 ([1.0, 2.0], ["a"])])
def test_nested_mean_refuses_bad_input(bad):
    with pytest.raises(ValueError):
        stats.nested_mean_and_stderr(*bad)


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
