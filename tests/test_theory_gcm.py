"""The saddle-point solver: closed forms, an independent slow evaluation, diagnostics, bad input."""

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import quad_vec
from scipy.optimize import brentq
from scipy.special import erf, expit

import tlcourse as tl
from tlcourse import theory
from tlcourse.theory.gcm import GCMConvergenceWarning


def ridge_test_error(alpha: float, lam: float, rho: float, p: float = 0.0) -> float:
    """Ridge on isotropic Gaussian features, sign teacher: random-matrix theory, no replicas.

    ``y = c nu/sqrt(rho) + eps`` with ``c = (1 - 2p) sqrt(2/pi)`` for labels flipped with
    probability ``p`` (``eps`` uncorrelated, variance ``1 - c^2``); the resolvent
    ``g = tr (A + lam)^-1 / p`` of the Marchenko–Pastur matrix ``A`` solves
    ``lam g^2 + (lam + alpha - 1) g - 1 = 0``.
    """
    b = lam + alpha - 1
    g = (-b + math.sqrt(b * b + 4 * lam)) / (2 * lam)
    g2 = (g * g + g) / (2 * lam * g + b)  # tr (A + lam)^-2 / p = -dg/dlam
    c2 = (1 - 2 * p) ** 2 * 2 / math.pi
    m = math.sqrt(c2 * rho) * (1 - lam * g)
    q = c2 * (1 - 2 * lam * g + lam**2 * g2) + (1 - c2) * (g - lam * g2)
    return math.acos(m / math.sqrt(rho * q)) / math.pi


@pytest.mark.parametrize(("lam", "noise"), [(0.01, 0.0), (0.1, 0.0), (1.0, 0.0), (0.01, 0.1),
                                           (0.1, 0.25), (1.0, 0.4)])
def test_square_loss_matches_the_exact_ridge_formula(lam, noise):
    p = 300
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(p)
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))  # isotropic features, rotated teacher
    alphas = [0.3, 1.0, 2.5, 6.0]
    results = theory.solve_gcm(np.eye(p), Q, theta, samples_per_feature=alphas, lam=lam,
                               loss="square", label_noise=noise)
    rho = theta @ theta / p
    for a, res in zip(alphas, results, strict=True):
        assert res.converged
        assert res.test_error == pytest.approx(ridge_test_error(a, lam, rho, noise), abs=1e-7)


# ---------------------------------------------------------------- slow independent evaluation


def _slow_prox(y, omega, V):
    """Logistic proximal point by Brent's method in x (|loss'| <= 1 brackets it in omega +- V)."""
    def f(x):
        return (x - omega) / V - y * expit(-y * x)

    return brentq(f, omega - V - 1e-9, omega + V + 1e-9, xtol=1e-15, rtol=1e-15)


def _slow_hats(m, q, V, rho, alpha, gamma, noise=0.0):
    """Hats of the logistic loss by adaptive quadrature over xi (the equations of the solver's
    docstring, as written); labels flipped with probability ``noise``: the teacher's
    partition function ``Z0 = noise + (1 - 2 noise) Z0_clean``."""
    Vstar = rho - m * m / q

    def integrand(xi):
        omega, ostar = math.sqrt(q) * xi, m / math.sqrt(q) * xi
        out = np.zeros(3)
        for y in (1.0, -1.0):
            eta = _slow_prox(y, omega, V)
            sig = expit(-y * eta)
            curv = sig * (1 - sig)
            z0 = noise + (1 - 2 * noise) * 0.5 * (1 + erf(y * ostar / math.sqrt(2 * Vstar)))
            dz0 = ((1 - 2 * noise) * y * math.exp(-ostar**2 / (2 * Vstar))
                   / math.sqrt(2 * math.pi * Vstar))
            g = (eta - omega) / V
            out += np.array([z0 * (1 - 1 / (1 + V * curv)) / V, z0 * g * g, dz0 * g])
        return out * math.exp(-xi * xi / 2) / math.sqrt(2 * math.pi)

    ev = sum(quad_vec(integrand, a, b, epsabs=1e-13, epsrel=1e-12, limit=400)[0]
             for a, b in ((-np.inf, 0.0), (0.0, np.inf)))
    return alpha / math.sqrt(gamma) * ev[2], alpha * ev[1], alpha * ev[0]


def _slow_prior(Omega, Phi, theta, lam, m_hat, q_hat, V_hat):
    """Prior equations in matrix form (linear solves, no eigendecomposition)."""
    p, k = Phi.shape
    R = np.linalg.inv(lam * np.eye(p) + V_hat * Omega)
    b = Phi @ theta
    V = np.trace(R @ Omega) / p
    q = (q_hat * np.trace(Omega @ Omega @ R @ R) + m_hat**2 * b @ R @ Omega @ R @ b) / p
    m = m_hat / math.sqrt(k / p) * (b @ R @ b) / p
    return m, q, V


def slow_test_error(Omega, Phi, theta, alpha, lam, start, noise=0.0):
    p, k = Phi.shape
    rho = theta @ theta / k
    m, q, V = start
    for _ in range(200):
        m2, q2, V2 = _slow_prior(Omega, Phi, theta, lam,
                                 *_slow_hats(m, q, V, rho, alpha, k / p, noise))
        if abs(m2 - m) + abs(q2 - q) + abs(V2 - V) < 1e-11:
            break
        m, q, V = 0.5 * (m + m2), 0.5 * (q + q2), 0.5 * (V + V2)
    else:
        raise AssertionError("the slow reference did not converge")
    return math.acos(m2 / math.sqrt(rho * q2)) / math.pi


@pytest.fixture(scope="module")
def rf_covariances():
    task = tl.make_source(30, 80, rng=0)
    W = np.random.default_rng(1).standard_normal((60, 80))
    return theory.feature_covariances(W, task), task.theta


@pytest.mark.parametrize(("alpha", "lam", "noise"), [(0.5, 0.1, 0.0), (3.0, 0.1, 0.0),
                                                     (8.0, 0.01, 0.0), (3.0, 0.1, 0.2),
                                                     (8.0, 0.01, 0.1), (2.0, 1.0, 0.4)])
def test_logistic_matches_a_slow_independent_evaluation(rf_covariances, alpha, lam, noise):
    (Omega, Phi), theta = rf_covariances
    res = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=alpha, lam=lam,
                           label_noise=noise)
    assert res.converged
    # a start away from the fast solution: the slow fixed point is reached on its own
    start = (0.95 * res.m, 1.05 * res.q, 0.95 * res.V)
    ref = slow_test_error(Omega, Phi, theta, alpha, lam, start, noise)
    assert abs(res.test_error - ref) < 1e-4
    assert 0 < res.test_error < 0.5


@pytest.mark.parametrize("V", [1e-3, 1.0, 1e3, 1e6])
def test_logistic_prox_solves_its_equation(V):
    omega = np.array([-300.0, -20.0, -1.0, 0.0, 0.5, 20.0, 300.0])
    for y in (1.0, -1.0):
        s = theory.logistic_prox(y * omega, V)
        eta = omega + y * V * s
        ref = np.array([_slow_prox(y, w, V) for w in omega])
        np.testing.assert_allclose(eta, ref, rtol=1e-10, atol=1e-10 * V)
        assert np.all((s >= 0) & (s <= 1))


def test_sequence_of_alphas_gives_the_same_points_as_single_solves(rf_covariances):
    (Omega, Phi), theta = rf_covariances
    alphas = [0.5, 2.0, 6.0]
    curve = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=alphas, lam=0.1)
    assert [r.samples_per_feature for r in curve] == alphas
    for a, r in zip(alphas, curve, strict=True):
        single = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=a, lam=0.1)
        assert r.test_error == pytest.approx(single.test_error, abs=1e-7)
    errors = [r.test_error for r in curve]
    assert errors == sorted(errors, reverse=True)  # more data, lower error
    assert curve[-1].iterations < single.iterations + 1


def test_identity_psi_is_the_default(rf_covariances):
    # the same model written with teacher inputs u = A u' (u' with identity covariance): then
    # Psi = A A^T, E[v u^T] = Phi A^T, and the teacher A^{-T} theta gives the same labels. Only
    # an identity default for Psi makes the two solves agree.
    (Omega, Phi), theta = rf_covariances
    k = theta.size
    A = np.eye(k) + 0.3 * np.random.default_rng(5).standard_normal((k, k)) / np.sqrt(k)
    default = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=1.0, lam=0.1)
    explicit = theory.solve_gcm(Omega, Phi @ A.T, np.linalg.solve(A.T, theta),
                                samples_per_feature=1.0, lam=0.1, Psi=A @ A.T)
    assert explicit.test_error == pytest.approx(default.test_error, abs=1e-8)
    assert explicit.rho == pytest.approx(default.rho, rel=1e-10)
    # and a Psi that is not the identity, without the matching change of Phi, differs
    other = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=1.0, lam=0.1, Psi=A @ A.T)
    assert abs(other.test_error - default.test_error) > 1e-4


def test_training_loss_of_square_loss_is_its_closed_form():
    p = 200
    theta = np.random.default_rng(3).standard_normal(p)
    res = theory.solve_gcm(np.eye(p), np.eye(p), theta, samples_per_feature=2.0, lam=0.5,
                           loss="square")
    mse = 1 + res.q - 2 * res.m * math.sqrt(2 / (math.pi * res.rho))
    assert res.train_loss == pytest.approx(0.5 * mse / (1 + res.V) ** 2)


def test_non_convergence_warns_with_residual_and_iterations(rf_covariances):
    (Omega, Phi), theta = rf_covariances
    with pytest.warns(GCMConvergenceWarning, match=r"residual .* after 3 iterations"):
        res = theory.solve_gcm(Omega, Phi, theta, samples_per_feature=1.0, lam=0.1, max_iter=3)
    assert not res.converged and res.iterations == 3
    assert np.isfinite([res.m, res.q, res.V, res.test_error]).all()


def test_converged_solve_does_not_warn(rf_covariances):
    (Omega, Phi), theta = rf_covariances
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theory.solve_gcm(Omega, Phi, theta, samples_per_feature=1.0, lam=0.1)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"Omega": np.triu(np.ones((4, 4)))}, "symmetric"),
        ({"Omega": -np.eye(4)}, "positive semi-definite"),
        ({"Omega": np.eye(5)}, r"Phi must have shape \(5, 3\)"),
        ({"Phi": np.ones((4, 2))}, r"Phi must have shape \(4, 3\)"),
        ({"theta": np.ones((3, 1))}, "theta must be a finite 1-d"),
        ({"Psi": np.eye(2)}, r"Psi must have shape \(3, 3\)"),
        ({"samples_per_feature": 0.0}, "samples_per_feature must be finite and > 0"),
        ({"samples_per_feature": [1.0, -2.0]}, "samples_per_feature must be finite and > 0"),
        ({"samples_per_feature": []}, "empty"),
        ({"lam": 0.0}, "lam must be finite and > 0"),
        ({"lam": -1.0, "loss": "square"}, "lam must be finite and > 0"),
        ({"loss": "hinge"}, "loss must be one of"),
        ({"Omega": np.full((4, 4), np.nan)}, "finite"),
        ({"damping": 1.0}, "damping"),
        ({"label_noise": 0.5}, r"label_noise must lie in 0 <= p < 1/2"),
        ({"label_noise": -0.01}, r"label_noise must lie in 0 <= p < 1/2"),
    ],
)
def test_bad_inputs_raise_clear_errors(change, match):
    args = {"Omega": np.eye(4), "Phi": np.ones((4, 3)), "theta": np.ones(3),
            "samples_per_feature": 1.0, "lam": 0.1}
    args.update(change)
    with pytest.raises(ValueError, match=match):
        theory.solve_gcm(**args)


def test_samples_per_feature_of_the_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="samples_per_feature"):
        theory.solve_gcm(np.eye(2), np.eye(2), np.ones(2), samples_per_feature="1", lam=0.1)
