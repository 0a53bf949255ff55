"""The finite-size tools of the theory: iterates, the ridge closed form, the Gaussian surrogate."""

import math

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import protocols, theory
from tlcourse.theory.finite_size import (
    gaussian_error,
    paired_run,
    paired_runs,
    readout_overlaps,
    surrogate_map,
)
from tlcourse.theory.gcm import gcm_iterates, logistic_prox, ridge_isotropic


@pytest.mark.parametrize("alpha", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("lam", [1e-2, 0.1, 2.0])
def test_ridge_closed_form_is_the_fixed_point_of_the_solver(alpha, lam):
    p = 50
    ref = theory.solve_gcm(np.eye(p), np.eye(p), np.ones(p), samples_per_feature=alpha,
                           lam=lam, loss="square",
                           tol=1e-12, max_iter=20_000)
    got = ridge_isotropic(alpha, lam)
    for key in ("m", "q", "V", "test_error"):
        assert got[key] == pytest.approx(getattr(ref, key), rel=1e-7, abs=1e-10), key


def test_ridge_closed_form_has_its_interpolation_peak_at_one_sample_per_feature():
    alphas = np.linspace(0.5, 1.5, 101)
    err = [ridge_isotropic(a, 1e-5)["test_error"] for a in alphas]
    assert abs(alphas[int(np.argmax(err))] - 1.0) <= 0.02
    smooth = [ridge_isotropic(a, 1.0)["test_error"] for a in alphas]
    assert np.all(np.diff(smooth) < 0)  # a large penalty removes the peak


def test_iterates_end_at_the_solver_result():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 30))
    Omega, Phi, theta = A @ A.T / 30 + np.eye(30), rng.standard_normal((30, 10)) / 3, np.ones(10)
    path, res = gcm_iterates(Omega, Phi, theta, samples_per_feature=2.0, lam=0.1)
    ref = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=2.0, lam=0.1)
    assert path.shape == (res.iterations + 1, 3)
    np.testing.assert_array_equal(path[0], [0.0, 0.1 * ref.rho, 1.0])
    np.testing.assert_array_equal(path[-1], [ref.m, ref.q, ref.V])
    assert res == ref
    with pytest.raises(ValueError, match="samples_per_feature must be"):
        gcm_iterates(Omega, Phi, theta, samples_per_feature=-1.0, lam=0.1)


def test_m_hat_is_the_teacher_part_of_the_pull_by_monte_carlo():
    # the bonus section's form: m_hat = (alpha/sqrt(gamma)) E[(nu - (m/q) omega) (eta - omega)/V]
    # / (rho - m^2/q), over the joint Gaussian law of the teacher and student fields
    rng = np.random.default_rng(1)
    p, k = 40, 20
    Omega, Phi, theta = np.eye(p), np.vstack([np.eye(k), np.zeros((p - k, k))]), np.ones(k)
    res = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=1.5, lam=0.1)
    m, q, V, rho = res.m, res.q, res.V, res.rho
    n = 2_000_000
    nu = math.sqrt(rho) * rng.standard_normal(n)
    omega = (m / rho) * nu + math.sqrt(q - m * m / rho) * rng.standard_normal(n)
    y = np.sign(nu)
    pull = y * logistic_prox(y * omega, V)  # (eta - omega) / V
    terms = (nu - (m / q) * omega) * pull / (rho - m * m / q)
    gamma = k / p
    est = 1.5 / math.sqrt(gamma) * terms.mean()
    se = 1.5 / math.sqrt(gamma) * terms.std() / math.sqrt(n)
    assert abs(est - res.m_hat) < 4 * se, (est, res.m_hat, se)
    # and V_hat, q_hat the same way
    s = logistic_prox(y * omega, V)
    curv = s * (1 - s) / (1 + V * s * (1 - s))  # (1 - d eta / d omega) / V
    assert abs(1.5 * curv.mean() - res.V_hat) < 4 * 1.5 * curv.std() / math.sqrt(n)
    assert abs(1.5 * (s**2).mean() - res.q_hat) < 4 * 1.5 * (s**2).std() / math.sqrt(n)


def test_gaussian_error_matches_sampling_gaussian_features():
    rng = np.random.default_rng(2)
    K, D = 12, 5
    A = rng.standard_normal((K, K + D))
    cov = A @ A.T / (K + D)
    Phi = A[:, :D] / math.sqrt(K + D)  # c = first D of the K + D latent Gaussians
    theta, v = rng.standard_normal(D), rng.standard_normal(K)
    n = 400_000
    Z = rng.standard_normal((n, K + D))
    g = Z @ A.T / math.sqrt(K + D)
    c = Z[:, :D]
    err = np.mean(np.sign(g @ v) != np.sign(c @ theta))
    exact = gaussian_error(v, cov, Phi, theta)
    assert abs(err - exact) < 4 * math.sqrt(exact * (1 - exact) / n)
    m, q = readout_overlaps(v, cov, Phi, theta)
    assert q == pytest.approx(v @ cov @ v / K)
    with pytest.raises(ValueError, match="shapes must be"):
        readout_overlaps(v[:-1], cov, Phi, theta)


def test_surrogate_has_the_requested_covariances():
    task = tl.make_source(6, 20, rng=0)
    W = protocols.random_first_layer(8, 20, rng=1)
    Omega, Phi = theory.feature_covariances(W, task)
    R = surrogate_map(Omega, Phi)
    np.testing.assert_allclose(R @ R + Phi @ Phi.T, Omega, atol=1e-10)
    with pytest.raises(ValueError, match="positive semi-definite"):
        surrogate_map(np.eye(8), 2 * np.eye(8, 6))


def test_paired_run_table_and_pairing():
    task = tl.make_source(10, 30, rng=0)
    W = protocols.random_first_layer(30, 30, rng=1)
    cov = theory.feature_covariances(W, task)
    df = paired_run(W, task, [0.5, 2.0], lam=0.1, rng=3, n_test=2000, covariances=cov)
    assert list(df["n"]) == [15, 60] and df[["theory", "real", "gauss"]].notna().all().all()
    again = paired_run(W, task, [0.5, 2.0], lam=0.1, rng=3, n_test=2000, covariances=cov)
    assert df.equals(again)
    rf = paired_runs(("random", 30), task, [1.0], lam=0.1, seeds=[0, 1], n_test=500)
    assert list(rf["seed"]) == [0, 1] and rf["theory"].nunique() == 2  # one layer per seed
    tl_runs = paired_runs(W, task, [1.0], lam=0.1, seeds=[0, 1], n_test=500)
    assert tl_runs["theory"].nunique() == 1
    with pytest.raises(ValueError, match="random"):
        paired_runs(("rand", 30), task, [1.0], lam=0.1, seeds=[0], n_test=10)


def test_surrogate_matches_the_theory_at_moderate_size():
    # the Gaussian model's own finite-size part is small: the surrogate readout's exact error
    # averaged over seeds sits within a few standard errors (+ a 1/K allowance) of the theory
    task = tl.make_source(40, 80, rng=0)
    W = protocols.random_first_layer(80, 80, rng=1)
    df = paired_runs(W, task, [1.0], lam=0.1, seeds=range(16), n_test=10)
    d = df["theory"] - df["gauss"]
    se = d.std(ddof=1) / math.sqrt(len(d))
    assert abs(d.mean()) < 3 * se + 1 / 80, (d.mean(), se)
