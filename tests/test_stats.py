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
    c = stats.crossover(alpha, diff)  # one exact curve: the interval is the crossing itself
    assert c.x == pytest.approx(3.0, rel=1e-12)
    assert c.low == pytest.approx(3.0) and c.high == pytest.approx(3.0) and c.seeds == 0


def test_crossover_takes_the_first_downward_crossing():
    alpha = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    c = stats.crossover(alpha, [-0.1, 0.2, -0.2, 0.2, -0.2])
    assert c.x == pytest.approx(np.sqrt(8.0))


def test_crossover_interval_edges_are_where_the_t_test_stops_resolving():
    alpha = np.array([1.0, 2.0, 4.0, 8.0])
    diffs = np.array([[0.30, 0.12, -0.08, -0.30], [0.32, 0.10, -0.12, -0.28],
                      [0.28, 0.08, -0.10, -0.32]])
    c = stats.crossover(alpha, diffs, level=0.9)
    assert c.seeds == 3 and c.level == 0.9
    mean = diffs.mean(axis=0)
    assert c.x == pytest.approx(np.exp(np.log(2) + mean[1] / (mean[1] - mean[2]) * np.log(2)))
    assert 2.0 < c.low < c.x < c.high < 4.0
    t = stats.t_quantile(3, 0.9, two_sided=True)

    def resolved(at):  # mean and t * se of the per-seed curves interpolated in log alpha
        w = np.log(at / 2.0) / np.log(2.0)
        v = (1 - w) * diffs[:, 1] + w * diffs[:, 2]
        return v.mean(), t * v.std(ddof=1) / np.sqrt(3)

    m, h = resolved(c.low)
    assert m - h == pytest.approx(0.0, abs=1e-4)  # edges located on 64 steps per interval
    m, h = resolved(c.high)
    assert m + h == pytest.approx(0.0, abs=1e-4)
    # a wider level gives a wider interval
    wide = stats.crossover(alpha, diffs, level=0.99)
    assert wide.low < c.low and wide.high > c.high


def test_crossover_intervals_off_the_grid():
    alpha = np.array([1.0, 2.0, 4.0])
    noise = np.array([[0.01], [-0.01], [0.0]])
    # resolved above zero everywhere: the crossing lies beyond the grid
    c = stats.crossover(alpha, np.array([0.3, 0.2, 0.1]) + noise)
    assert c.x is None and c.low == 4.0 and c.high == np.inf
    # crosses at the end, but is never resolved below zero
    c = stats.crossover(alpha, np.array([0.3, 0.2, -0.005]) + noise)
    assert c.x is not None and c.low <= c.x < 4.0 and c.high == np.inf
    # starts barely positive: not resolved above zero at the first size
    c = stats.crossover(alpha, np.array([0.005, -0.2, -0.3]) + noise)
    assert c.low == 0.0 and c.x <= c.high < 2.0
    # resolved below zero at the first size already
    c = stats.crossover(alpha, np.array([-0.3, -0.2, -0.1]) + noise)
    assert c.x is None and c.low == 0.0 and c.high == 1.0


def _coverage(seeds: int, shared: bool, reps: int, rng) -> tuple[float, np.ndarray]:
    """Coverage of the true crossing (alpha = 3) by the 90% interval, and the widths in log x,
    for differences linear in log alpha with normal seed effects (sd 0.02)."""
    alpha = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    truth = 0.05 * (np.log(3.0) - np.log(alpha))
    hits, widths = 0, []
    for _ in range(reps):
        if shared:  # a seed's offset and slope are shared along its whole curve
            effect = 0.02 * (rng.standard_normal((seeds, 1))
                             + 0.3 * rng.standard_normal((seeds, 1)) * np.log(alpha))
        else:
            effect = 0.02 * rng.standard_normal((seeds, alpha.size))
        c = stats.crossover(alpha, truth + effect, level=0.9)
        hits += c.low <= 3.0 <= c.high
        widths.append(np.log(c.high) - np.log(max(c.low, alpha[0])))
    return hits / reps, np.array(widths)


@pytest.mark.parametrize("shared", [True, False])
def test_crossover_interval_covers_at_its_level(shared):
    # 1000 replications: the coverage is estimated within 3 sqrt(0.9 * 0.1 / 1000) = 2.8 points,
    # so the true coverage lies within 5 points of 90% when the estimate is within 2.2 of it
    rng = np.random.default_rng(7 if shared else 8)
    reps = 1000
    tolerance = 0.05 - 3 * math.sqrt(0.9 * 0.1 / reps)
    median = {}
    for seeds in (3, 5, 8):
        coverage, widths = _coverage(seeds, shared, reps, rng)
        assert abs(coverage - 0.9) < tolerance, (seeds, coverage)
        median[seeds] = float(np.median(widths))
    # not trivially wide: the median interval spans well under half the grid (log 32 = 3.5),
    # and narrows as seeds are added
    assert median[3] < 0.5 * np.log(32) and median[8] < 0.6 * median[3], median


@pytest.mark.parametrize(
    "x, diffs, match",
    [
        ([1.0, 1.0, 2.0], [0.1, 0.0, -0.1], "increasing"),
        ([-1.0, 1.0, 2.0], [0.1, 0.0, -0.1], "positive"),
        ([1.0, 2.0, 3.0], [0.1, 0.0], "same length"),
        ([1.0, 2.0, 3.0], [0.1, np.nan, 0.0], "finite"),
        ([1.0], [0.1], "at least 2"),
        ([1.0, 2.0, 3.0], [[0.1, 0.0, -0.1]], "seeds >= 2"),
        ([1.0, 2.0, 3.0], [[0.1, 0.0], [0.1, 0.0]], "seeds >= 2"),
        ([1.0, 2.0, 3.0], [[0.1, 0.0, np.inf], [0.1, 0.0, -0.1]], "finite"),
    ],
)
def test_crossover_bad_input(x, diffs, match):
    with pytest.raises(ValueError, match=match):
        stats.crossover(x, diffs)


@pytest.mark.parametrize("level", [0, 1, 1.5, True, "0.9"])
def test_crossover_bad_level(level):
    with pytest.raises(ValueError, match="level"):
        stats.crossover([1.0, 2.0], [0.1, -0.1], level=level)


def test_seed_differences_pairs_by_seed_and_group():
    rows = [{"protocol": p, "alpha": a, "seed": s, "g": g, "test_error": e}
            for g in ("u", "v") for a in (1.0, 2.0) for s in (0, 1, 2)
            for p, e in (("A", 0.3 + 0.01 * s + a / 10), ("B", 0.2 + 0.02 * s))]
    df = pd.DataFrame(rows)
    df = df[~((df.protocol == "B") & (df.seed == 2) & (df.alpha == 2.0))]  # B lacks one seed
    out = stats.seed_differences(df, "A", "B", by="g")
    assert list(out.columns) == ["g", "alpha", "seed", "difference"]
    assert len(out) == 2 * 5
    one = out[(out.g == "v") & (out.alpha == 2.0) & (out.seed == 1)].difference.item()
    assert one == pytest.approx(0.3 + 0.01 + 0.2 - 0.2 - 0.02)
    with pytest.raises(ValueError, match="several rows"):
        stats.seed_differences(df, "A", "B")  # without by, the two groups collide
    with pytest.raises(ValueError, match="protocol"):
        stats.seed_differences(df, "A", "C", by="g")
    with pytest.raises(ValueError, match="columns"):
        stats.seed_differences(df.drop(columns="seed"), "A", "B", by="g")
    bad = df.copy()
    bad.loc[bad.index[0], "test_error"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        stats.seed_differences(bad, "A", "B", by="g")


def test_t_quantile():
    assert stats.t_quantile(3) == pytest.approx(2.919986, rel=1e-6)  # one-sided 95%, 2 dof
    assert stats.t_quantile(3, 0.9, two_sided=True) == pytest.approx(stats.t_quantile(3))
    assert stats.t_quantile(1000) == pytest.approx(1.6464, rel=1e-3)  # the normal quantile
    with pytest.raises(ValueError, match="n must be >= 2"):
        stats.t_quantile(1)
    with pytest.raises(ValueError, match="level"):
        stats.t_quantile(3, 1.0)


def test_nested_mean_covers_where_the_pooled_error_bar_does_not():
    # 4 source networks x 3 seeds: the network effect (sd 0.02) is shared by a network's seeds;
    # the 90% t interval with 3 degrees of freedom covers the true mean at its level, the naive
    # one that treats the 12 values as independent does not (2000 replications: 3 standard
    # errors of a coverage estimate are 2 points)
    rng = np.random.default_rng(3)
    reps, networks = 2000, np.repeat(np.arange(4), 3)
    t = stats.t_quantile(4, 0.9, two_sided=True)
    t_naive = stats.t_quantile(12, 0.9, two_sided=True)
    nested = naive = 0
    for _ in range(reps):
        values = (0.25 + 0.02 * rng.standard_normal(4)[networks]
                  + 0.01 * rng.standard_normal(12))
        mean, se, G = stats.nested_mean_and_stderr(values, networks)
        assert G == 4
        nested += abs(mean - 0.25) <= t * se
        naive += abs(values.mean() - 0.25) <= t_naive * values.std(ddof=1) / np.sqrt(12)
    tolerance = 3 * math.sqrt(0.9 * 0.1 / reps)
    assert abs(nested / reps - 0.9) < tolerance
    assert naive / reps < 0.9 - 0.1


def test_nested_mean_and_stderr_values_and_bad_input():
    mean, se, G = stats.nested_mean_and_stderr([0.1, 0.3, 0.5, 0.5, 0.5], ["a", "a", "b", "b",
                                                                          "b"])
    assert (mean, G) == (pytest.approx(0.35), 2)  # networks weigh the same
    assert se == pytest.approx(np.std([0.2, 0.5], ddof=1) / np.sqrt(2))
    with pytest.raises(ValueError, match="two networks"):
        stats.nested_mean_and_stderr([0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="one label per value"):
        stats.nested_mean_and_stderr([0.1, 0.2], [0, 1, 2])
    with pytest.raises(ValueError, match="finite"):
        stats.nested_mean_and_stderr([0.1, np.nan], [0, 1])
    with pytest.raises(ValueError, match="missing"):
        stats.nested_mean_and_stderr([0.1, 0.2, 0.3], [0, 1, None])


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
    with pytest.raises(ValueError, match=r"f_b must have length 3 \(that of f_a\), got 4"):
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
