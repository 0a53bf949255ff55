"""Gaussian equivalence: exact input moments, analytic feature covariances against Monte Carlo."""

import math

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import protocols, theory
from tlcourse.featuremap import features

N_MC = 100_000


def z2(estimate, sample_mean, sample_sq_mean, n):
    """Mean squared z-score of ``estimate`` against a Monte Carlo mean (per-entry std errors)."""
    se = np.sqrt((sample_sq_mean - sample_mean**2) / n)
    return float(np.mean(((estimate - sample_mean) / se) ** 2))


@pytest.fixture(scope="module", params=["sign", "erf"])
def sampled(request):
    task = tl.make_source(40, 80, activation=request.param, rng=0)
    X, _, C = task.sample(N_MC, rng=3, return_latent=True)
    return task, X, C


def test_kappas_are_the_activations_coefficients():
    # one implementation: the theory's coefficients are those tested in test_activations.py
    assert theory.kappas is tl.activations.kappas


def test_exact_input_moments_match_monte_carlo_within_sampling_error(sampled):
    task, X, C = sampled
    Sigma, XC = theory.input_moments(task)
    off = np.triu_indices(task.N, 1)  # the diagonal of sign data is exactly 1: no sampling error
    S_mc, XC_mc = X.T @ X / N_MC, X.T @ C / N_MC
    # mean squared z-score: 1 for an exact formula (thousands of entries: +-0.1 is generous)
    assert z2(Sigma[off], S_mc[off], ((X**2).T @ X**2 / N_MC)[off], N_MC) < 1.3
    assert z2(XC, XC_mc, (X**2).T @ C**2 / N_MC, N_MC) < 1.3
    # the textbook linearisation drifts by many standard errors at this D
    Sigma_lin, XC_lin = theory.input_moments(task, linearised=True)
    assert z2(Sigma_lin[off], S_mc[off], ((X**2).T @ X**2 / N_MC)[off], N_MC) > 5
    assert z2(XC_lin, XC_mc, (X**2).T @ C**2 / N_MC, N_MC) > 5


def test_sign_inputs_have_unit_variance_exactly(sampled):
    task, _, _ = sampled
    if task.activation == "sign":
        np.testing.assert_array_equal(np.diag(theory.input_moments(task)[0]), 1.0)


def test_analytic_erf_covariances_match_monte_carlo(sampled):
    task, X, C = sampled
    W = np.random.default_rng(1).standard_normal((40, task.N))
    Omega, Phi = theory.feature_covariances(W, task, activation="erf")
    V = features(W, X, "erf")
    O_mc, P_mc = V.T @ V / N_MC, V.T @ C / N_MC
    O_sq = np.einsum("ik,il->kl", V**2, V**2) / N_MC
    # the second step treats h = W x / sqrt(N) as Gaussian: close to, not exactly, the truth at
    # N = 80 (mean squared z-score measured at 3.4-4.0), against 25-31 for linearised inputs
    assert z2(Omega, O_mc, O_sq, N_MC) < 6
    assert z2(Phi, P_mc, (V**2).T @ C**2 / N_MC, N_MC) < 3
    Omega_lin, _ = theory.feature_covariances(W, task, activation="erf", linearised=True)
    assert z2(Omega_lin, O_mc, O_sq, N_MC) > 10


def test_linear_features_of_linear_data_are_exact():
    task = tl.make_source(20, 30, activation="linear", rng=5)
    W = np.random.default_rng(6).standard_normal((10, 30))
    Omega, Phi = theory.feature_covariances(W, task, activation="linear")
    np.testing.assert_allclose(Omega, W @ task.F.T @ task.F @ W.T / (20 * 30))
    np.testing.assert_allclose(Phi, W @ task.F.T / math.sqrt(20 * 30))
    n = 50_000
    O_mc, P_mc = theory.feature_covariances(W, task, activation="linear", method="monte-carlo",
                                            n_samples=n, rng=7)
    # Gaussian entries: |error| < 5 standard errors, sd(v_k v_l) <= sqrt(2 O_kk O_ll)
    bound = 5 * np.sqrt(2 * np.outer(np.diag(Omega), np.diag(Omega)) / n)
    assert np.all(np.abs(O_mc - Omega) < bound)


def test_monte_carlo_streams_in_batches_without_changing_the_result():
    task = tl.make_source(10, 20, rng=0)
    W = np.random.default_rng(1).standard_normal((8, 20))
    big = theory.feature_covariances(W, task, method="monte-carlo", n_samples=1000, rng=2)
    small = theory.feature_covariances(W, task, method="monte-carlo", n_samples=1000, rng=2,
                                       batch_size=7)
    for a, b in zip(big, small, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_monte_carlo_standard_errors_are_those_of_its_own_samples():
    task = tl.make_source(10, 20, rng=0)
    W = np.random.default_rng(1).standard_normal((8, 20))
    n = 3000
    Omega, Phi, O_se, P_se = theory.feature_covariances(
        W, task, method="monte-carlo", n_samples=n, rng=2, batch_size=700, return_stderr=True)
    C = np.random.default_rng(2).standard_normal((n, task.D))  # the same samples, in one batch
    g = tl.featuremap.features(W, task.inputs(C))
    gg = g[:, :, None] * g[:, None, :]
    gc = g[:, :, None] * C[:, None, :]
    np.testing.assert_allclose(Omega, gg.mean(0), rtol=1e-10)
    np.testing.assert_allclose(O_se, gg.std(0) / np.sqrt(n), rtol=1e-6)
    np.testing.assert_allclose(Phi, gc.mean(0), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(P_se, gc.std(0) / np.sqrt(n), rtol=1e-6)


def test_monte_carlo_standard_errors_match_the_spread_over_repetitions():
    task = tl.make_source(6, 12, rng=0)
    W = np.random.default_rng(1).standard_normal((4, 12))
    runs = [theory.feature_covariances(W, task, method="monte-carlo", n_samples=400, rng=seed,
                                       return_stderr=True) for seed in range(300)]
    spread = np.std([r[0] for r in runs], axis=0, ddof=1)
    reported = np.mean([r[2] for r in runs], axis=0)
    # 300 repetitions: each entry's spread is known to about 1/sqrt(600) = 4%; the 16 entries
    # (10 distinct) averaged, a ratio off by more than 10% would be a wrong formula
    assert np.mean(spread / reported) == pytest.approx(1, abs=0.1)


def test_standard_errors_need_the_monte_carlo_route():
    task = tl.make_source(6, 12, rng=0)
    with pytest.raises(ValueError, match="return_stderr=True needs method='monte-carlo'"):
        theory.feature_covariances(np.ones((3, 12)), task, return_stderr=True)


def test_monte_carlo_handles_tanh_which_has_no_analytic_route():
    task = tl.make_source(10, 20, rng=0)
    W = np.random.default_rng(1).standard_normal((8, 20))
    Omega, Phi = theory.feature_covariances(W, task, activation="tanh", method="monte-carlo",
                                            n_samples=2000, rng=2)
    assert Omega.shape == (8, 8) and Phi.shape == (8, 10)
    np.testing.assert_array_equal(Omega, Omega.T)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"W": np.ones((5, 19))}, ValueError, r"W must be \(K, N\) with N = task.N = 20"),
        ({"W": np.ones(20)}, ValueError, "W must be a 2-d array"),
        ({"W": np.full((5, 20), np.nan)}, ValueError, "W must be finite"),
        ({"activation": "relu"}, ValueError, "odd activation"),
        ({"activation": "tanh"}, ValueError, "use method='monte-carlo'"),
        ({"activation": "softplus"}, ValueError, "activation must be one of"),
        ({"method": "exact"}, ValueError, "method must be one of"),
        ({"task": "not a task"}, TypeError, "task must be a Task"),
        ({"method": "monte-carlo", "rng": None}, TypeError, "rng"),
        ({"method": "monte-carlo", "rng": 0, "n_samples": 1}, ValueError, "n_samples"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, error, match):
    args = {"W": np.ones((5, 20)), "task": tl.make_source(10, 20, rng=0)}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        theory.feature_covariances(**args)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_data_without_exact_moments_are_refused_clearly(activation):
    task = tl.make_source(10, 20, activation=activation, rng=0)
    with pytest.raises(ValueError, match="odd activation" if activation == "relu" else "exact"):
        theory.feature_covariances(np.ones((5, 20)), task)


def test_covariance_errors_are_debiased_and_their_difference_is_resolved():
    from tlcourse.theory.equivalence import covariance_errors

    task = tl.make_source(10, 30, rng=0)
    W = protocols.random_first_layer(6, 30, rng=1)
    ref, _ = theory.feature_covariances(W, task, method="monte-carlo", n_samples=400_000, rng=5)
    shift = 0.05 * np.eye(6)
    out = covariance_errors(W, task, {"ref": ref, "shifted": ref + shift}, n_samples=100_000,
                            rng=6)
    norm = np.linalg.norm(ref)
    expected = np.linalg.norm(shift) / norm
    assert out["error"]["ref"] < 0.3 * expected  # only the reference's own Monte Carlo noise
    assert abs(out["error"]["shifted"] - expected) < 0.2 * expected
    d, se = out["difference"]["ref", "shifted"]
    assert se > 0 and abs(d + expected**2) < 4 * se + 0.02 * expected**2, (d, se, expected)
    assert 0 < out["noise"] < 0.01
    with pytest.raises(ValueError, match="must be \\(K, K\\)"):
        covariance_errors(W, task, {"bad": np.eye(3)}, n_samples=10, rng=0)
