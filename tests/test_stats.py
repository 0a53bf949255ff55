"""Tests of tlcourse.stats: error bars, paired differences, crossovers."""

import math

import numpy as np
import pandas as pd
import pytest

from tlcourse import stats


def test_error_and_stderr_is_the_binomial_standard_error():
    f = np.array([1.0, -2.0, 0.0, 3.0, -1.0])  # a zero output predicts +1
    y = np.array([1.0, 1.0, -1.0, -1.0, -1.0])
    e, se = stats.error_and_stderr(f, y)
    assert e == pytest.approx(3 / 5)
    assert se == pytest.approx(math.sqrt(0.6 * 0.4 / 5))


def test_paired_difference_pairs_seeds_and_bounds_the_error_below():
    seeds = [0, 1, 2, 3]
    a = pd.Series([0.30, 0.32, 0.28, 0.30], index=seeds)
    b = pd.Series([0.20, 0.21, 0.19, 0.20, 0.5], index=[*seeds, 9])  # seed 9 has no partner
    se_a = pd.Series([0.01] * 4, index=seeds)
    se_b = pd.Series([0.01] * 5, index=[*seeds, 9])
    d, se = stats.paired_difference(a, b, se_a, se_b)
    diffs = np.array([0.10, 0.11, 0.09, 0.10])
    assert d == pytest.approx(diffs.mean())
    spread = diffs.std(ddof=1) / 2  # smaller than the test-set bound here
    bound = math.sqrt((0.01**2 + 0.01**2) / 4)
    assert spread < bound and se == pytest.approx(bound)
    # a large spread across seeds wins over the test-set bound
    d, se = stats.paired_difference(a + pd.Series([0.2, -0.2, 0.2, -0.2], index=seeds), b,
                                    se_a, se_b)
    assert se == pytest.approx(np.std(diffs + [0.2, -0.2, 0.2, -0.2], ddof=1) / 2)
    with pytest.raises(ValueError, match="at least two seeds"):
        stats.paired_difference(a[:1], b, se_a, se_b)


def test_crossover_exact_on_a_line_in_log_alpha():
    alpha = np.array([1.0, 2.0, 4.0, 8.0])
    diff = np.log(3.0) - np.log(alpha)  # zero at alpha = 3, linear in log alpha
    c = stats.crossover(alpha, diff, np.zeros(4))
    assert c.x == pytest.approx(3.0, rel=1e-12)
    assert c.low == pytest.approx(3.0) and c.high == pytest.approx(3.0)
    assert c.fraction_found == 1.0


def test_crossover_interval_matches_error_propagation():
    # crossing between alpha = 2 and 4 at the middle in log alpha; the linearised standard
    # deviation of the crossing is (dx / |d0 - d1|) * sqrt(s0^2 (1-t)^2 + s1^2 t^2) with t = 1/2
    alpha = np.array([1.0, 2.0, 4.0, 8.0])
    diff = np.array([0.3, 0.1, -0.1, -0.3])
    se = np.full(4, 0.01)
    c = stats.crossover(alpha, diff, se, n_draws=20_000, rng=1)
    assert c.x == pytest.approx(np.sqrt(8.0))
    sd_log = np.log(2.0) / 0.2 * np.sqrt(2 * 0.01**2 * 0.25)
    # bootstrap half-width of the 68% interval, in log alpha, within 5% (20000 draws)
    half = 0.5 * (np.log(c.high) - np.log(c.low))
    assert half == pytest.approx(sd_log, rel=0.05)
    assert c.low < c.x < c.high


def test_crossover_none_when_curves_do_not_cross():
    alpha = np.array([1.0, 2.0, 4.0])
    c = stats.crossover(alpha, [0.3, 0.2, 0.1], [0.001] * 3)
    assert c.x is None and c.low is None and c.fraction_found == 0.0
    # noisy points: some draws cross although the measured curves do not
    c = stats.crossover(alpha, [0.3, 0.2, 0.01], [0.01] * 3, n_draws=4000)
    assert c.x is None and 0.05 < c.fraction_found < 0.3


def test_crossover_interval_counts_the_draws_that_do_not_cross():
    alpha = np.array([1.0, 2.0, 4.0])
    # crosses just before the end: about 31% of the draws are still positive there, so the 84th
    # percentile lies beyond the grid, and the estimate is inside its interval
    c = stats.crossover(alpha, [0.3, 0.2, -0.005], [0.01] * 3, n_draws=4000)
    assert c.high == np.inf and c.low <= c.x
    assert 0.6 < c.fraction_found < 0.78
    # starts barely positive: about 31% of the draws start at or below zero, before the grid
    c = stats.crossover(alpha, [0.005, -0.2, -0.3], [0.01] * 3, n_draws=4000)
    assert c.low == 0.0 and c.x <= c.high < 2.0


def test_crossover_takes_the_first_downward_crossing():
    alpha = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    c = stats.crossover(alpha, [-0.1, 0.2, -0.2, 0.2, -0.2], np.zeros(5))
    assert c.x == pytest.approx(np.sqrt(8.0))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": [1.0, 1.0, 2.0]}, "increasing"),
        ({"x": [-1.0, 1.0, 2.0]}, "positive"),
        ({"diff": [0.1, 0.0]}, "same length"),
        ({"stderr": [0.1, -0.1, 0.1]}, ">= 0"),
        ({"diff": [0.1, np.nan, 0.0]}, "finite"),
        ({"x": [1.0]}, "at least 2"),
    ],
)
def test_crossover_bad_input(kwargs, match):
    args = {"x": [1.0, 2.0, 3.0], "diff": [0.1, 0.0, -0.1], "stderr": [0.0] * 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        stats.crossover(args["x"], args["diff"], args["stderr"])


def test_stderr_of_difference():
    assert stats.stderr_of_difference(0.3, 0.4) == pytest.approx(0.5)
    np.testing.assert_allclose(stats.stderr_of_difference([3.0, 0.0], [4.0, 1.0]), [5.0, 1.0])
    with pytest.raises(ValueError, match="at least one"):
        stats.stderr_of_difference()


def test_paired_error_difference_counts_the_disagreements():
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    f_a = np.array([1.0, -1.0, -1.0, 1.0, 0.0, -2.0])  # wrong on samples 1 and 3
    f_b = np.array([1.0, -1.0, 1.0, -1.0, -1.0, -2.0])  # wrong on samples 1, 2 and 4
    d, se = stats.paired_error_difference(f_a, f_b, y)
    per_sample = np.array([0, 0, -1, 1, -1, 0])
    assert d == pytest.approx(2 / 6 - 3 / 6)
    assert se == pytest.approx(per_sample.std(ddof=1) / math.sqrt(6))
    # the same mistakes cancel: identical predictors differ by exactly 0 with no error
    assert stats.paired_error_difference(f_a, f_a, y) == (0.0, 0.0)


def test_paired_error_difference_is_calibrated():
    # two noisy predictors that share most of their mistakes: the paired z-score of their
    # difference is standard normal over repetitions, and the unpaired error bar is too wide
    rng = np.random.default_rng(0)
    z, ratio = [], []
    for _ in range(400):
        y = rng.choice([-1.0, 1.0], size=2000)
        common = rng.random(2000) < 0.2
        f_a = np.where(common ^ (rng.random(2000) < 0.05), -y, y)
        f_b = np.where(common ^ (rng.random(2000) < 0.05), -y, y)
        d, se = stats.paired_error_difference(f_a, f_b, y)
        z.append(d / se)
        ratio.append(se / stats.stderr_of_difference(stats.error_and_stderr(f_a, y)[1],
                                                    stats.error_and_stderr(f_b, y)[1]))
    z = np.array(z)
    # mean 0 and variance 1 within five standard errors of their estimates over 400 draws
    assert abs(z.mean()) < 5 / np.sqrt(400)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / 400)
    assert max(ratio) < 0.8


def test_paired_error_difference_checks_shapes():
    with pytest.raises(ValueError, match="1-d"):
        stats.paired_error_difference(np.ones(3), np.ones(4), np.ones(3))
