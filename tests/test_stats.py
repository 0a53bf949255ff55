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
    with pytest.raises(ValueError, match="f_b must have length 3, got 4"):
        stats.paired_error_difference(np.ones(3), np.ones(4), np.ones(3))


Y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
F = np.array([0.5, -0.2, -1.0, 0.3, 2.0])


@pytest.mark.parametrize(
    ("f", "y", "error", "match"),
    [
        (np.full(5, np.nan), Y, ValueError, "f must be finite"),  # was an error of 0.4
        (np.where(F > 0, np.nan, F), Y, ValueError, "f must be finite"),
        (F, (Y + 1) / 2, ValueError, r"y must contain only -1 and \+1 labels"),  # 0/1 labels
        (F, Y[:, None], ValueError, "y must be a 1-d array"),  # was an n x n broadcast
        (F, Y[:4], ValueError, "y must have length 5"),
        (F, np.where(Y > 0, np.nan, Y), ValueError, "y must be finite"),
        (F, Y.astype(bool), TypeError, "y must be an array of real numbers"),
        (F.astype(str), Y, TypeError, "f must be an array of real numbers"),
        (np.array([]), np.array([]), ValueError, "f must have at least 1 entries"),
    ],
)
def test_error_and_stderr_refuses_what_it_cannot_judge(f, y, error, match):
    with pytest.raises(error, match=match):
        stats.error_and_stderr(f, y)
    arg = match.split(" ")[0]  # the same fault, named the same way, in the paired difference
    with pytest.raises(error, match=("f_a" if arg == "f" else arg) + " must"):
        stats.paired_error_difference(f, f, y)


def test_mean_and_stderr_refuses_nan_and_missing_groups():
    with pytest.raises(ValueError, match="values must be finite"):
        stats.mean_and_stderr([1.0, 2.0, np.nan])  # was se 0.408 over sqrt(3)
    with pytest.raises(ValueError, match="missing labels"):
        stats.mean_and_stderr([1.0, 2.0, 3.0, 4.0], by=[1.0, 1.0, np.nan, np.nan])
    assert stats.mean_and_stderr([1.0, 3.0]) == (2.0, 1.0)


def test_stderr_of_difference_refuses_negative_and_nan():
    assert stats.stderr_of_difference(3.0, 4.0) == pytest.approx(5.0)
    with pytest.raises(ValueError, match=r"stderrs\[1\] must be >= 0"):
        stats.stderr_of_difference(0.1, -0.1)
    with pytest.raises(ValueError, match=r"stderrs\[0\] must be finite"):
        stats.stderr_of_difference(np.nan)
    with pytest.raises(ValueError, match="one shape"):
        stats.stderr_of_difference(np.ones(2), np.ones(3))


def _curves(errors: dict, stderr=0.01, alpha=0.5):
    return pd.DataFrame([{"protocol": p, "alpha": alpha, "seed": s, "test_error": e,
                          "stderr": stderr} for p, es in errors.items() for s, e in enumerate(es)])


def test_summarize_refuses_nan_rows_and_stacked_settings():
    df = _curves({"TL": [0.2, 0.3, 0.25]})
    assert stats.summarize(df)["seeds"].tolist() == [3]
    nan = df.copy()
    nan.loc[1, "test_error"] = np.nan  # was averaged over two values but counted as 3 seeds
    with pytest.raises(ValueError, match=r"df\['test_error'\] must be finite"):
        stats.summarize(nan)
    with pytest.raises(ValueError, match="one row per seed"):
        stats.summarize(pd.concat([df.assign(delta=0.0), df.assign(delta=1.0)]))
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        stats.summarize(df.to_dict())


def test_paired_difference_refuses_duplicate_seeds_and_nan():
    a = pd.Series([0.3, 0.3, 0.2], index=[0, 0, 1])
    b = pd.Series([0.2, 0.2], index=[0, 1])
    with pytest.raises(ValueError, match="errors_a has seed 0 more than once"):
        stats.paired_difference(a, b, a * 0 + 0.01, b * 0 + 0.01)
    a = pd.Series([0.3, np.nan, 0.2], index=[0, 1, 2])
    b = pd.Series([0.2, 0.2, 0.1], index=[0, 1, 2])
    with pytest.raises(ValueError, match="errors_a must be finite"):
        stats.paired_difference(a, b, b * 0 + 0.01, b * 0 + 0.01)
    with pytest.raises(TypeError, match="pandas Series"):
        stats.paired_difference(a.to_numpy(), b, b, b)
