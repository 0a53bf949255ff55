"""The Bayes-optimal state evolution: an independent slow evaluation, limits, order, bad input."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import dblquad, quad
from scipy.special import log_ndtr, ndtr

from tlcourse import theory
from tlcourse.theory import bayes
from tlcourse.theory.bayes import (
    BayesConvergenceWarning,
    bayes_optimal_error,
    bound_gaps,
    state_evolution,
)


def slow_q_hat(q_hat: float, a: float, delta: float, p: float) -> float:
    """The state-evolution update as written before folding the offset into one Gaussian: a
    double integral over the known offset ``b ~ N(0, 1 - delta)`` and ``xi ~ N(0, 1)`` of
    ``sum_y Z (d_omega log Z)^2`` at ``omega = sqrt(q) xi``, ``V = 1 - q``."""
    q = q_hat / (1 + q_hat)
    V = 1 - q

    def integrand(xi, b):
        total = 0.0
        for y in (-1.0, 1.0):
            u = y * (b + math.sqrt(delta * q) * xi) / math.sqrt(delta * V)
            log_z = log_ndtr(u) if p == 0 else math.log(p + (1 - 2 * p) * ndtr(u))
            # Z g^2 = (1 - 2p)^2 phi(u)^2 / (V Z)
            total += (1 - 2 * p) ** 2 * math.exp(-u * u - math.log(2 * math.pi) - log_z) / V
        return total * math.exp(-xi * xi / 2) / math.sqrt(2 * math.pi)

    if delta == 1.0:
        return a * quad(lambda xi: integrand(xi, 0.0), -12, 12, epsabs=1e-13, limit=200)[0]
    sb = math.sqrt(1 - delta)
    value = dblquad(lambda xi, b: integrand(xi, b) * math.exp(-b * b / (2 * sb * sb))
                    / (sb * math.sqrt(2 * math.pi)), -10 * sb, 10 * sb, -12, 12,
                    epsabs=1e-11, epsrel=1e-9)[0]
    return a * value


@pytest.mark.parametrize("q_hat", [0.0, 0.7, 6.0, 80.0])
@pytest.mark.parametrize("delta,p", [(1.0, 0.0), (1.0, 0.2), (0.5, 0.0), (0.3, 0.1)])
def test_update_matches_the_unfolded_double_integral(q_hat, delta, p):
    fast = bayes._update(q_hat, 1.3, delta, p)
    assert fast == pytest.approx(slow_q_hat(q_hat, 1.3, delta, p), rel=1e-6)


def test_no_data_leaves_the_prior_mean():
    for delta in (1.0, 0.5, 0.1):
        r = state_evolution(0.0, prior_variance=delta)
        assert r.q == 0.0
        assert r.test_error == pytest.approx(math.acos(math.sqrt(1 - delta)) / math.pi, abs=1e-15)


def test_errors_fall_with_data_and_rise_with_noise():
    alphas = np.array([0.1, 0.5, 1, 2, 5, 20])
    scratch = bayes_optimal_error(alphas, D=50, N=100)
    assert np.all(np.diff(scratch) < 0)
    noisy = bayes_optimal_error(alphas, D=50, N=100, label_noise=0.2)
    assert np.all(noisy > scratch)
    for delta in (0.2, 0.6, 0.95):
        source = bayes_optimal_error(alphas, D=50, N=100, prior="source",
                                     teacher_perturbation=delta)
        assert np.all(source < scratch)
        assert np.all(np.diff(source) < 0)


def test_the_scratch_prior_is_the_source_prior_at_delta_one_and_ignores_delta():
    alphas = [0.3, 3.0]
    scratch = bayes_optimal_error(alphas, D=40, N=60)
    assert np.array_equal(scratch, bayes_optimal_error(alphas, D=40, N=60,
                                                       teacher_perturbation=0.3))
    source = bayes_optimal_error(alphas, D=40, N=60, prior="source", teacher_perturbation=1.0)
    assert np.array_equal(scratch, source)


def test_alpha_counts_samples_per_input_dimension():
    err = bayes_optimal_error([2.0], D=100, N=300, label_noise=0.1)
    assert err[0] == state_evolution(6.0, label_noise=0.1).test_error
    assert bayes_optimal_error(2.0, D=100, N=300, label_noise=0.1).shape == ()


def test_a_known_teacher_has_no_error():
    err = bayes_optimal_error([0.0, 1.0], D=10, N=20, prior="source", teacher_perturbation=0.0)
    assert np.array_equal(err, [0.0, 0.0])


def test_the_error_keeps_its_digits_near_zero():
    r = state_evolution(1e4)
    assert r.converged and 0 < r.test_error < 1e-4
    assert r.test_error == pytest.approx(math.sqrt(1 / (1 + r.q_hat)) / math.pi, rel=1e-4)


def test_a_stopped_iteration_warns_with_its_residual():
    with pytest.warns(BayesConvergenceWarning, match="relative change of q_hat"):
        r = state_evolution(2.0, max_iter=2)
    assert not r.converged and r.iterations == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert state_evolution(2.0).converged


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(alphas=[-1.0]), ValueError, "alphas must be finite and >= 0"),
    (dict(alphas=[np.nan]), ValueError, "alphas must be finite"),
    (dict(alphas=["1"]), TypeError, "alphas must be"),
    (dict(alphas=[[1.0]]), TypeError, "1-d array"),
    (dict(D=0), ValueError, "D must be >= 1"),
    (dict(N=2.5), TypeError, "N must be an integer"),
    (dict(prior="transfer"), ValueError, "prior must be one of"),
    (dict(teacher_perturbation=1.5), ValueError, r"teacher_perturbation must lie in \[0, 1\]"),
    (dict(label_noise=0.5), ValueError, r"label_noise must lie in 0 <= p < 1/2"),
    (dict(label_noise=-0.1), ValueError, "label_noise"),
    (dict(label_noise=True), TypeError, "label_noise"),
])
def test_bad_input_is_refused(kwargs, error, match):
    args = dict(alphas=[1.0], D=10, N=20) | kwargs
    alphas = args.pop("alphas")
    with pytest.raises(error, match=match):
        bayes_optimal_error(alphas, **args)


def test_state_evolution_refuses_a_known_teacher_and_bad_settings():
    with pytest.raises(ValueError, match=r"prior_variance must lie in \(0, 1\]"):
        state_evolution(1.0, prior_variance=0.0)
    with pytest.raises(ValueError, match="samples_per_latent"):
        state_evolution(-1.0)
    with pytest.raises(ValueError, match="max_iter"):
        state_evolution(1.0, max_iter=0)


def test_reachable_from_the_theory_package():
    assert theory.bayes_optimal_error is bayes_optimal_error


def test_bound_gaps_holds_each_protocol_to_its_prior():
    rows = [dict(protocol=p, alpha=a, n=int(40 * a), seed=s, test_error=0.3 + 0.01 * s,
                 stderr=0.005) for p in ("TL", "2L", "0-shot", "RF", "FT")
            for a in (0.5, 2.0) for s in (0, 1, 2)]
    gaps = bound_gaps(pd.DataFrame(rows), D=20, N=40, teacher_perturbation=0.4,
                      label_noise=0.1)
    for prior, names in (("source", {"TL", "FT", "0-shot"}), ("scratch", {"2L", "RF"})):
        part = gaps[gaps.protocol.isin(names)]
        assert set(part.prior) == {prior}
        expected = bayes_optimal_error(part.alpha.to_numpy(), D=20, N=40, prior=prior,
                                       teacher_perturbation=0.4, label_noise=0.1)
        np.testing.assert_allclose(part.bound, expected, rtol=1e-14)
    np.testing.assert_allclose(gaps.gap, 0.31 - gaps.bound, rtol=1e-12)
