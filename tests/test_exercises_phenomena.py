"""Tests of the part IV exercise checkers: right answers pass, typical mistakes are named."""

import math

import numpy as np
import pytest

from tlcourse import firstlayer, stats
from tlcourse.exercises import phenomena as ex

ALPHA = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
DIFF = np.array([0.08, 0.05, 0.02, -0.01, -0.03])  # crosses between alpha = 2 and 4


def test_check_crossover_right_answer():
    ref = stats.crossover(ALPHA, DIFF).x
    fb = ex.check_crossover(ref, ALPHA, DIFF)
    assert fb and fb.diagnosis == "correct"
    assert "Correct" in str(fb)


@pytest.mark.parametrize(
    "value, tag",
    [
        (2 + 0.02 / 0.03 * 2, "linear_alpha"),
        (math.log(2) + 2 / 3 * math.log(2), "log_value"),
        (2.0, "grid_before"),
        (4.0, "grid_after"),
        (6.0, "outside_bracket"),
        (2.5, "unknown"),
    ],
)
def test_check_crossover_names_mistakes(value, tag):
    fb = ex.check_crossover(value, ALPHA, DIFF)
    assert not fb and fb.diagnosis == tag, fb


def test_check_crossover_without_crossing_gives_feedback():
    never = np.abs(DIFF) + 0.01
    fb = ex.check_crossover(1.0, ALPHA, never)
    assert not fb and fb.diagnosis == "no_crossing" and "stays > 0" in str(fb)
    assert ex.check_crossover(float("nan"), ALPHA, never).diagnosis == "correct"
    below = -np.abs(DIFF)
    fb = ex.check_crossover(2.0, ALPHA, below)
    assert not fb and "already <= 0" in str(fb)
    assert ex.check_crossover(np.nan, ALPHA, DIFF).diagnosis == "missed_crossing"
    assert ex.check_crossover("3", ALPHA, DIFF).diagnosis == "type"
    with pytest.raises(TypeError, match="alpha and diff"):
        ex.check_crossover(3.0)


def right_crossing(alpha, diff):
    down = np.flatnonzero((diff[:-1] > 0) & (diff[1:] <= 0))
    if down.size == 0:
        return np.nan
    i = down[0]
    t = diff[i] / (diff[i] - diff[i + 1])
    return float(np.exp(np.log(alpha[i]) + t * np.log(alpha[i + 1] / alpha[i])))


def test_check_crossover_runs_a_function():
    assert ex.check_crossover(right_crossing, ALPHA, DIFF).diagnosis == "correct"
    assert ex.check_crossover(right_crossing).diagnosis == "correct"

    def linear(alpha, diff):
        i = int(np.argmax((diff[:-1] > 0) & (diff[1:] <= 0)))
        return alpha[i] + diff[i] / (diff[i] - diff[i + 1]) * (alpha[i + 1] - alpha[i])

    assert ex.check_crossover(linear).diagnosis == "linear_alpha"

    def extrapolates(alpha, diff):
        c = right_crossing(alpha, diff)
        return float(alpha[-1] * 2) if np.isnan(c) else c

    fb = ex.check_crossover(extrapolates)
    assert not fb and fb.diagnosis == "no_crossing"

    def broken(alpha, diff):
        raise IndexError("index 7 is out of bounds")

    fb = ex.check_crossover(broken)
    assert not fb and fb.diagnosis == "raised" and "IndexError" in str(fb)


@pytest.fixture(scope="module")
def W():
    rng = np.random.default_rng(0)
    # a spiked first layer: one strong direction on top of a random bulk
    return rng.standard_normal((30, 40)) + 3 * np.outer(rng.standard_normal(30), np.ones(40))


def test_check_effective_rank_right_answer(W):
    # the participation ratio without singular values: the squared singular values are the
    # eigenvalues of G = W W^T, so (sum s^2)^2 / sum s^4 = tr(G)^2 / tr(G^2) = |W|_F^4 / |G|_F^2
    G = W @ W.T
    reference = np.sum(W**2) ** 2 / np.sum(G**2)
    assert ex.check_effective_rank(reference, W).diagnosis == "correct"
    assert firstlayer.effective_rank(W) == pytest.approx(reference, rel=1e-12)


def test_check_effective_rank_runs_a_function(W):
    assert ex.check_effective_rank(firstlayer.effective_rank, W).diagnosis == "correct"
    fb = ex.check_effective_rank(lambda w: np.linalg.matrix_rank(w), W)
    assert fb.diagnosis == "matrix_rank"
    fb = ex.check_effective_rank(lambda w: w.nonexistent, W)
    assert fb.diagnosis == "raised" and "AttributeError" in str(fb)


def test_check_effective_rank_names_mistakes(W):
    s = np.linalg.svd(W, compute_uv=False)
    pr = firstlayer.effective_rank(W)
    cases = {
        "singular_values": s.sum() ** 2 / (s**2).sum(),
        "inverse": 1 / pr,
        "fraction": pr / 30,
        "matrix_rank": 30.0,
        "unknown": pr + 1.0,
    }
    for tag, value in cases.items():
        fb = ex.check_effective_rank(value, W)
        assert not fb and fb.diagnosis == tag, (tag, fb)


def test_check_equal_overlap_addition():
    assert ex.check_equal_overlap_addition(100, 100, 50)  # 50/100 = 100/200
    assert ex.check_equal_overlap_addition(33, 100, 25)  # 100 * 25 / 75 = 33.3
    assert not ex.check_equal_overlap_addition(35, 100, 25)
    assert ex.check_equal_overlap_addition(25, 100, 25).diagnosis == "same_count"
    assert ex.check_equal_overlap_addition(75, 100, 25).diagnosis == "shared_count"
    assert ex.check_equal_overlap_addition(-3, 100, 25).diagnosis == "negative"
    assert ex.check_equal_overlap_addition(60, 100, 25).diagnosis == "unknown"
    with pytest.raises(ValueError, match="removed"):
        ex.check_equal_overlap_addition(10, 100, 100)


def test_check_feature_overlap():
    def right(knob, value):
        return 1 - value if knob == "feature_substitution" else math.sqrt(1 - value)

    assert ex.check_feature_overlap(right).diagnosis == "correct"
    cases = {
        "no_sqrt": lambda k, v: 1 - v,
        "sqrt_substitution": lambda k, v: math.sqrt(1 - v),
        "changed_fraction": lambda k, v: v,
        "unknown": lambda k, v: 0.5,
        "type": lambda k, v: "high",
        "raised": lambda k, v: {}[k],
    }
    for tag, fn in cases.items():
        fb = ex.check_feature_overlap(fn)
        assert not fb and fb.diagnosis == tag, (tag, fb)
    fb = ex.check_feature_overlap(0.5)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "function" in fb.message, fb


def test_expected_feature_overlap_matches_the_generator():
    """The checker's closed forms are what tl.overlaps measures (large D and N)."""
    import tlcourse as tl

    src = tl.make_source(400, 800, rng=0)
    for knob, value, expected in (("feature_substitution", 0.25, 0.75),
                                  ("feature_perturbation", 0.36, 0.8)):
        got = tl.overlaps(src, tl.make_target(src, **{knob: value}, rng=1))["feature_overlap"]
        # the overlap of N*D Gaussian products: standard deviation about 1 / sqrt(N D) ~ 0.002
        assert abs(got - expected) < 0.01, (knob, got)
