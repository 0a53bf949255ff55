"""Tests of the real-data exercise checkers: right answers pass, typical wrong ones are named."""

import math

import numpy as np
import pytest

from tlcourse.exercises import realdata as ex


def test_standard_error():
    e, n = 0.12, 270
    ref = math.sqrt(e * (1 - e) / n)
    fb = ex.check_standard_error(ref, e, n)
    assert fb and fb.diagnosis == "correct"
    wrong = {
        e * (1 - e) / n: "variance",
        math.sqrt(e * (1 - e) / (n - 1)): "n_minus_one",
        math.sqrt(e * (1 - e)) / n: "divide_by_n",
        100 * ref: "percent",
        math.sqrt(e / n): "no_one_minus_e",
        math.sqrt(e * (1 - e)): "no_n",
        0.5: "unknown",
    }
    for value, tag in wrong.items():
        fb = ex.check_standard_error(value, e, n)
        assert not fb and fb.diagnosis == tag, (value, fb)
    with pytest.raises(ValueError, match="error must lie in"):
        ex.check_standard_error(0.1, 1.5, n)
    with pytest.raises(ValueError, match="n_test must be >= 2"):
        ex.check_standard_error(0.1, 0.1, 1)
    fb = ex.check_standard_error("0.1", 0.1, 10)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "value must be a number" in fb.message, fb


def test_standardiser():
    def right(src, X):
        return (X - src.mean(0)) / np.sqrt(src.var(0).mean())

    assert ex.check_standardiser(right).diagnosis == "correct"
    wrong = {
        "target_statistics": lambda s, X: (X - X.mean(0)) / np.sqrt(X.var(0).mean()),
        "per_pixel_scale": lambda s, X: (X - s.mean(0)) / s.std(0),
        "pooled": lambda s, X: (X - s.mean()) / s.std(),
        "no_centring": lambda s, X: X / np.sqrt(s.var(0).mean()),
        "no_scaling": lambda s, X: X - s.mean(0),
        "variance": lambda s, X: (X - s.mean(0)) / s.var(0).mean(),
        "shape": lambda s, X: right(s, X).T,
        "unknown": lambda s, X: right(s, X) + 0.1,
    }
    for tag, fn in wrong.items():
        fb = ex.check_standardiser(fn)
        assert not fb and fb.diagnosis == tag, (tag, fb)
    assert "transposed" in str(ex.check_standardiser(wrong["shape"]))
    fb = ex.check_standardiser(3)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "standardise must be a function" in fb.message, fb


def test_label_correlation():
    a, b = range(5), range(6)  # 0-4 vs 0-5: one class of ten moved, unbalanced
    ya = np.where(np.arange(10) < 5, 1.0, -1.0)
    yb = np.where(np.arange(10) < 6, 1.0, -1.0)
    ref = np.corrcoef(ya, yb)[0, 1]
    assert ex.check_label_correlation(ref, a, b).diagnosis == "correct"
    assert ex.check_label_correlation(0.9, a, b).diagnosis == "agreement"
    assert ex.check_label_correlation(0.8, a, b).diagnosis == "not_centred"
    neg = -ref  # 0-4 vs 6-9 and the rest: the swapped labelling
    assert ex.check_label_correlation(neg, a, range(6, 10)).diagnosis == "correct"
    assert ex.check_label_correlation(ref, a, range(6, 10)).diagnosis == "absolute"
    assert ex.check_label_correlation(0.3, a, b).diagnosis == "unknown"


def test_uncorrelated_grouping():
    assert ex.check_uncorrelated_grouping([0, 1, 5, 6]).diagnosis == "correct"
    assert ex.check_uncorrelated_grouping(lambda: [0, 5]).diagnosis == "correct"
    cases = {
        "correlated": [0, 2, 4, 6, 8],
        "same_task": [5, 6, 7, 8, 9],
        "unknown_class": [0, 11],
        "constant": [],
        "type": 3,
    }
    for tag, value in cases.items():
        fb = ex.check_uncorrelated_grouping(value)
        assert not fb and fb.diagnosis == tag, (tag, fb)
    assert "-1.00" in str(ex.check_uncorrelated_grouping(range(5, 10)))
    assert "swapped" in str(ex.check_uncorrelated_grouping(range(5, 10)))
    fb = ex.check_uncorrelated_grouping(lambda: 1 / 0)
    assert fb.diagnosis == "raised" and "ZeroDivisionError" in str(fb)


def test_standardiser_reports_the_students_exception():
    def broken(source, images):
        return (images - source.mean(0)) / source.std(axis=2)

    fb = ex.check_standardiser(broken)
    assert not fb and fb.diagnosis == "raised" and "AxisError" in str(fb)
