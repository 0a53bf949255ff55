"""Checkers of the part III exercises: right answers pass, typical wrong ones are named."""

import math

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import theory
from tlcourse.exercises import theory as ex


def test_kappas_right_and_wrong():
    k = tl.kappas("erf")
    assert ex.check_kappas(k.kappa0, k.kappa1, k.kappa_star)
    assert ex.check_kappas(k.kappa0, k.kappa_star, k.kappa1).diagnosis == "swapped"
    assert ex.check_kappas(k.kappa0, k.kappa1, k.kappa_star**2).diagnosis == "squared"
    e2 = k.kappa_star**2 + k.kappa1**2
    assert ex.check_kappas(0.0, k.kappa1, math.sqrt(e2)).diagnosis in ("missing_kappa1",
                                                                      "raw_second_moment")
    assert ex.check_kappas(0.3, k.kappa1, k.kappa_star).diagnosis == "kappa0"
    s = tl.kappas("sign")
    assert ex.check_kappas(s.kappa0, s.kappa1, s.kappa_star, activation="sign")
    assert not ex.check_kappas(k.kappa0, k.kappa1, k.kappa_star, activation="sign")
    fb = ex.check_kappas(0.0, "x", 0.1)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "kappa1" in fb.message, fb
    # the three coefficients as one tuple; a tuple of two; a lone blank
    assert ex.check_kappas((k.kappa0, k.kappa1, k.kappa_star))
    assert ex.check_kappas((k.kappa0, k.kappa1)).diagnosis == "shape"
    assert ex.check_kappas(None).diagnosis == "not_attempted"


@pytest.fixture(scope="module")
def small():
    task = tl.make_source(12, 30, rng=0)
    W = np.random.default_rng(1).standard_normal((8, 30))
    return W, task


def test_omega_right_and_wrong(small):
    W, task = small
    Omega, _ = theory.feature_covariances(W, task)
    assert ex.check_omega(Omega, W, task)
    assert ex.check_omega(Omega[:, :5], W, task).diagnosis == "shape"
    lin, _ = theory.feature_covariances(W, task, linearised=True)
    assert ex.check_omega(lin, W, task).diagnosis == "linearised_inputs"
    Sigma_x, _ = theory.input_moments(task)
    Sigma_h = W @ Sigma_x @ W.T / task.N
    assert ex.check_omega(tl.kappas("erf").kappa1 ** 2 * Sigma_h, W, task).diagnosis == \
        "linear_kernel"
    no_n = theory.feature_covariances(W * math.sqrt(task.N), task)[0]
    assert ex.check_omega(no_n, W, task).diagnosis == "missing_1_over_N"
    unit = Omega.copy()
    np.fill_diagonal(unit, 1.0)
    assert ex.check_omega(unit, W, task).diagnosis == "diagonal"
    assert ex.check_omega(Omega + 0.01, W, task).diagnosis == "unknown"


def test_ridge_error_right_and_wrong():
    p = 200
    res = theory.solve_gcm(np.eye(p), np.eye(p), np.ones(p), samples_per_feature=2.0, lam=0.1,
                           loss="square")
    assert ex.check_ridge_error(res.test_error, 2.0, 0.1)
    assert ex.check_ridge_error(100 * res.test_error, 2.0, 0.1).diagnosis == "percent"
    assert ex.check_ridge_error(1 - res.test_error, 2.0, 0.1).diagnosis == "accuracy"
    logi = theory.solve_gcm(np.eye(p), np.eye(p), np.ones(p), samples_per_feature=2.0,
                            lam=0.1).test_error
    assert ex.check_ridge_error(logi, 2.0, 0.1).diagnosis == "logistic"
    assert ex.check_ridge_error(0.3, 2.0, 0.1).diagnosis == "unknown"
    with pytest.raises(ValueError, match="alpha"):
        ex.check_ridge_error(0.1, 0.0, 0.1)


def test_best_lambda_right_and_wrong(small):
    W, task = small
    Omega, Phi = theory.feature_covariances(W, task)
    K, N = W.shape

    def errors(alpha, lams, scale=N / K):
        return [theory.solve_gcm(Omega, Phi, task.theta, samples_per_feature=alpha * scale,
                                 lam=x).test_error
                for x in lams]

    def best(alpha, lams):
        return lams[int(np.argmin(errors(alpha, lams)))]

    assert ex.check_best_lambda(best, W, task)
    worst = ex.check_best_lambda(lambda a, lams: lams[int(np.argmax(errors(a, lams)))], W, task)
    assert worst.diagnosis == "worst"
    err = ex.check_best_lambda(lambda a, lams: min(errors(a, lams)), W, task)
    assert err.diagnosis == "error_not_lambda"

    def raises(alpha, lams):
        raise RuntimeError("boom")

    fb = ex.check_best_lambda(raises, W, task)
    assert fb.diagnosis == "raised" and "boom" in fb.message


def test_prox_right_and_wrong():
    from scipy.optimize import brentq
    from scipy.special import expit

    def prox(y, omega, V):
        return brentq(lambda z: z - omega - y * V * expit(-y * z), omega - V - 1, omega + V + 1,
                      xtol=1e-12)

    assert ex.check_prox(prox)
    assert ex.check_prox(lambda y, omega, V: 2 * omega - prox(y, omega, V)).diagnosis == \
        "wrong_sign"
    assert ex.check_prox(lambda y, omega, V: prox(y, omega, V) - omega).diagnosis == "from_zero"
    assert ex.check_prox(lambda y, omega, V: omega).diagnosis == "identity"
    assert not ex.check_prox(lambda y, omega, V: omega + y * V)
