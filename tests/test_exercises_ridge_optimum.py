"""The checker of the optimal ridge penalty exercise (chapter The replica formula)."""

import math

import pytest

from tlcourse import theory
from tlcourse.exercises import theory as ex

LAM_STAR = math.pi / 2 - 1


def test_the_derived_penalty_passes():
    assert ex.check_ridge_optimum(lambda alpha: (1 - 2 / math.pi) / (2 / math.pi))


def test_a_numerical_search_over_v_over_one_plus_v_passes():
    # the route of the exercise: maximise the cosine over chi = V / (1 + V), then lam(chi)
    from scipy.optimize import minimize_scalar

    def optimal_penalty(a):
        s = 2 / math.pi
        cos2 = lambda chi: a * s * (1 - a * chi**2) / (1 + a * s * (1 - 2 * chi))  # noqa: E731
        chi = minimize_scalar(lambda c: -cos2(c), bounds=(1e-6, min(1, 1 / math.sqrt(a))),
                              method="bounded", options={"xatol": 1e-10}).x
        return 1 / chi - 1 - a * (1 - chi)

    assert ex.check_ridge_optimum(optimal_penalty)


@pytest.mark.parametrize("slip, tag", [
    (lambda a: theory.ridge_isotropic(a, LAM_STAR)["V"], "V"),
    (lambda a: 2 / math.pi, "signal"),
    (lambda a: 1 - 2 / math.pi, "noise"),
    (lambda a: 1 / LAM_STAR, "inverted"),
    (lambda a: theory.ridge_isotropic(a, LAM_STAR)["test_error"], "error_not_lambda"),
    (lambda a: LAM_STAR * (1 + 0.1 * a), "depends_on_alpha"),
    (lambda a: 0.3, "unknown"),
    (lambda a: ..., "not_attempted"),
    (lambda a: 1 / 0, "raised"),
])
def test_slips_are_named(slip, tag):
    fb = ex.check_ridge_optimum(slip)
    assert not fb and fb.diagnosis == tag, fb


def test_a_value_instead_of_a_function_is_refused():
    assert ex.check_ridge_optimum(None).diagnosis == "not_attempted"
    fb = ex.check_ridge_optimum(0.57)  # a wrong type: feedback naming the argument
    assert not fb and fb.diagnosis == "type" and "optimal_penalty" in fb.message, fb
