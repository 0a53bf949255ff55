"""Tests of the part IV exercise checkers: right answers pass, typical mistakes are named."""

import math

import numpy as np
import pytest

from tlcourse import phenomena, stats
from tlcourse.exercises import phenomena as ex

ALPHA = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
DIFF = np.array([0.08, 0.05, 0.02, -0.01, -0.03])  # crosses between alpha = 2 and 4


def test_check_crossover_right_answer():
    ref = stats.crossover(ALPHA, DIFF, np.zeros(5)).x
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


def test_check_crossover_without_crossing_is_an_error():
    with pytest.raises(ValueError, match="no crossing"):
        ex.check_crossover(1.0, ALPHA, np.abs(DIFF) + 0.01)
    with pytest.raises(TypeError, match="value"):
        ex.check_crossover("3", ALPHA, DIFF)


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
    assert phenomena.effective_rank(W) == pytest.approx(reference, rel=1e-12)


def test_check_effective_rank_names_mistakes(W):
    s = np.linalg.svd(W, compute_uv=False)
    pr = phenomena.effective_rank(W)
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
