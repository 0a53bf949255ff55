"""The optimal penalty of the isotropic ridge case: against the closed form and the solver."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from tlcourse import theory

LAM_STAR = math.pi / 2 - 1


def test_optimal_penalty_is_the_labels_noise_to_signal_ratio():
    assert theory.ridge_optimal_penalty() == pytest.approx((1 - 2 / math.pi) / (2 / math.pi))
    assert theory.ridge_optimal_penalty() == pytest.approx(LAM_STAR, rel=1e-14)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.0, 8.0])
@pytest.mark.parametrize("rho", [0.5, 1.0, 3.0])
def test_closed_form_error_is_smallest_at_the_optimal_penalty(alpha, rho):
    def error(log_lam):
        return theory.ridge_isotropic(alpha, math.exp(log_lam), rho)["test_error"]

    best = minimize_scalar(error, bounds=(math.log(1e-4), math.log(1e3)), method="bounded",
                           options={"xatol": 1e-8})
    assert math.exp(best.x) == pytest.approx(LAM_STAR, rel=1e-3)
    # a strict minimum: moving the penalty by 20% either way costs error
    for factor in (0.8, 1.25):
        assert error(math.log(LAM_STAR * factor)) > error(math.log(LAM_STAR))


def test_solver_agrees_that_the_optimal_penalty_is_best():
    p = 200
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(p)
    lams = LAM_STAR * np.array([0.5, 0.8, 1.0, 1.25, 2.0])
    for alpha in (0.5, 1.0, 3.0):
        errors = [theory.solve_gcm(np.eye(p), np.eye(p), theta, samples_per_feature=alpha,
                                   lam=lam, loss="square").test_error for lam in lams]
        assert int(np.argmin(errors)) == 2, (alpha, errors)


def test_no_interpolation_peak_at_the_optimal_penalty():
    alphas = np.geomspace(0.05, 20, 200)
    at_best = [theory.ridge_isotropic(a, LAM_STAR)["test_error"] for a in alphas]
    assert np.all(np.diff(at_best) < 0)
    small = [theory.ridge_isotropic(a, 1e-3)["test_error"] for a in alphas]
    assert np.any(np.diff(small) > 0)  # a tiny penalty has the peak at alpha = 1
