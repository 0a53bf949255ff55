"""The checkers of chapter *Noisy labels*: right answers pass, named mistakes are named, and each
reference is checked against an independent computation."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from tlcourse.exercises import noise
from tlcourse.theory import solve_gcm


def test_noisy_error_reference_matches_flipping_labels():
    rng = np.random.default_rng(0)
    n, error, p = 400_000, 0.2, 0.15
    wrong = rng.random(n) < error  # the classifier's mistakes against the clean labels
    flipped = rng.random(n) < p
    measured = np.mean(wrong != flipped)
    assert abs(measured - noise.noisy_error(error, p)) < 5 * math.sqrt(0.3 * 0.7 / n)


def test_noisy_ridge_penalty_reference_is_the_solvers_optimum():
    p_feat = 200
    theta = np.ones(p_feat)
    for flip in (0.0, 0.1, 0.3):
        for alpha in (0.5, 3.0):
            def error(log_lam, flip=flip, alpha=alpha):
                return solve_gcm(np.eye(p_feat), np.eye(p_feat), theta,
                                 samples_per_feature=alpha, lam=math.exp(log_lam),
                                 loss="square", label_noise=flip).test_error

            best = minimize_scalar(error, bounds=(-6, 4), method="bounded",
                                   options={"xatol": 1e-6})
            assert math.exp(best.x) == pytest.approx(noise.noisy_ridge_penalty(flip),
                                                     rel=1e-4)


def test_noisy_partition_reference_matches_the_integral():
    for y, omega, V, p in [(1.0, 0.3, 1.0, 0.1), (-1.0, 1.5, 0.2, 0.3), (1.0, -2.0, 3.0, 0.0)]:
        def integrand(nu, y=y, omega=omega, V=V, p=p):
            label = p + (1 - 2 * p) * (y * nu > 0)
            return norm.pdf(nu, omega, math.sqrt(V)) * label

        value = sum(quad(integrand, a, b, epsabs=1e-12)[0] for a, b in ((-np.inf, 0), (0, np.inf)))
        assert noise.noisy_partition(y, omega, V, p) == pytest.approx(value, abs=1e-9)


def test_right_answers_pass():
    assert noise.check_noisy_error(lambda e, p: p + (1 - 2 * p) * e)
    assert noise.check_noisy_ridge_penalty(lambda p: math.pi / (2 * (1 - 2 * p) ** 2) - 1)
    assert noise.check_noisy_partition(
        lambda y, om, V, p: p + (1 - 2 * p) * norm.cdf(y * om / math.sqrt(V)))


@pytest.mark.parametrize(("check", "answer", "tag"), [
    (noise.check_noisy_error, lambda e, p: e + p, "sum"),
    (noise.check_noisy_error, lambda e, p: (1 - p) * e, "flips_forgotten"),
    (noise.check_noisy_error, lambda e, p: (1 - 2 * p) * e, "floor_forgotten"),
    (noise.check_noisy_error, lambda e, p: e, "unknown"),
    (noise.check_noisy_ridge_penalty, lambda p: math.pi / 2 - 1, "clean"),
    (noise.check_noisy_ridge_penalty, lambda p: math.pi / (2 * (1 - 2 * p)) - 1, "unsquared"),
    (noise.check_noisy_ridge_penalty, lambda p: math.pi / (2 * (1 - p) ** 2) - 1,
     "one_minus_p"),
    (noise.check_noisy_partition, lambda y, om, V, p: norm.cdf(y * om / math.sqrt(V)),
     "clean"),
    (noise.check_noisy_partition,
     lambda y, om, V, p: p + (1 - 2 * p) * norm.cdf(om / math.sqrt(V)), "sign_lost"),
    (noise.check_noisy_partition,
     lambda y, om, V, p: p + (1 - 2 * p) * norm.cdf(y * om / V), "variance_as_std"),
])
def test_named_mistakes_are_named(check, answer, tag):
    fb = check(answer)
    assert not fb and fb.diagnosis == tag, fb


def test_stubs_and_crashes_are_reported():
    assert noise.check_noisy_error(lambda e, p: ...).diagnosis == "not_attempted"
    fb = noise.check_noisy_partition(lambda y, om, V, p: 1 / 0)
    assert not fb and fb.diagnosis == "raised"
