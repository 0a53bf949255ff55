"""Checkers of part II: right answers pass, typical wrong answers are named."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import tlcourse as tl
from tlcourse import activations, featuremap, firstlayer
from tlcourse.exercises import networks as ex


def right_features(W, X, activation):
    return activations.apply(activation, X @ W.T / np.sqrt(W.shape[1]))


@pytest.mark.parametrize("activation", ["erf", "tanh", "relu"])
def test_feature_map_right(activation):
    assert ex.check_feature_map(right_features, activation)


@pytest.mark.parametrize(
    "fn, tag",
    [
        (lambda W, X, a: right_features(W, X, a).T, "transposed"),
        (lambda W, X, a: activations.apply(a, X @ W.T), "no_sqrt_n"),
        (lambda W, X, a: activations.apply(a, X @ W.T / np.sqrt(W.shape[0])), "sqrt_k"),
        (lambda W, X, a: X @ W.T / np.sqrt(W.shape[1]), "no_activation"),
        (lambda W, X, a: right_features(W, X, a) / np.sqrt(W.shape[0]), "readout_norm"),
        (lambda W, X, a: right_features(W, X, "tanh"), "activation"),
        (lambda W, X, a: right_features(W, X, a)[:, :3], "shape"),
        (lambda W, X, a: 1 / 0, "raises"),
        (lambda W, X, a: right_features(W, X, a) + 0.01, "unknown"),
    ],
)
def test_feature_map_wrong_answers_are_named(fn, tag):
    fb = ex.check_feature_map(fn, "erf")
    assert not fb and fb.diagnosis == tag, fb


@pytest.fixture(scope="module")
def W_F():
    g = np.random.default_rng(1)
    F = g.standard_normal((10, 40))
    W = g.standard_normal((15, 40)) + 2 * g.standard_normal((15, 10)) @ F / 10  # partly aligned
    return W, F


def test_alignment_right_and_bounds(W_F):
    W, F = W_F
    Q = np.linalg.qr(F.T)[0]
    value = np.sum((W @ Q @ Q.T) ** 2) / np.sum(W**2)
    assert ex.check_alignment(value, W, F)
    assert 10 / 40 < firstlayer.alignment(W, F) < 1
    assert firstlayer.alignment(F, F) == pytest.approx(1.0)  # rows of F lie in their own span


@pytest.mark.parametrize("tag", ["complement", "not_squared", "not_normalised", "not_a_projector",
                                 "random_baseline"])
def test_alignment_wrong_answers_are_named(W_F, tag):
    W, F = W_F
    ref = firstlayer.alignment(W, F)
    value = {
        "complement": 1 - ref,
        "not_squared": math.sqrt(ref),
        "not_normalised": ref * np.sum(W**2),
        "not_a_projector": np.sum((W @ F.T @ F / 40) ** 2) / np.sum(W**2),
        "random_baseline": 10 / 40,
    }[tag]
    fb = ex.check_alignment(value, W, F)
    assert not fb and fb.diagnosis == tag, fb
    assert ex.check_alignment(ref + 0.05, W, F).diagnosis == "unknown"


@pytest.fixture(scope="module")
def readout_problem():
    task = tl.make_source(10, 30, rng=0)
    X, y = task.sample(80, rng=1)
    W = np.random.default_rng(2).standard_normal((20, 30))
    return W, X, y


def _sklearn(V, y, C):
    return LogisticRegression(C=C, fit_intercept=False, tol=1e-10, max_iter=10_000).fit(V, y)


def test_tl_readout_right_with_scikit_learn(readout_problem):
    W, X, y = readout_problem
    V = featuremap.features(W, X)
    v = _sklearn(V / np.sqrt(20), y, 1 / 0.1).coef_.ravel()
    assert ex.check_tl_readout(v, W, X, y, 0.1)


@pytest.mark.parametrize("tag", ["C_is_lam", "no_sqrt_k", "mean_loss", "shape", "unknown"])
def test_tl_readout_wrong_answers_are_named(readout_problem, tag):
    W, X, y = readout_problem
    lam = 0.1
    V = featuremap.features(W, X)
    v = {
        "C_is_lam": lambda: _sklearn(V / np.sqrt(20), y, lam).coef_.ravel(),
        "no_sqrt_k": lambda: _sklearn(V, y, 1 / lam).coef_.ravel(),
        "mean_loss": lambda: _sklearn(V / np.sqrt(20), y, 1 / (lam * len(y))).coef_.ravel(),
        "shape": lambda: np.zeros(19),
        "unknown": lambda: np.ones(20),
    }[tag]()
    fb = ex.check_tl_readout(v, W, X, y, lam)
    assert not fb and fb.diagnosis == tag, fb


def test_n_test_right_and_wrong():
    e, se = 0.2, 0.002
    assert ex.check_n_test(40_000, e, se)
    for n, tag in [(50_000, "no_one_minus_e"), (200, "not_squared"), (62_500, "worst_case"),
                   (80, "not_squared"), (1000, "unknown")]:
        fb = ex.check_n_test(n, e, se)
        assert not fb and fb.diagnosis == tag, (n, fb)


def test_bad_inputs():
    with pytest.raises(ValueError, match="activation"):
        ex.check_feature_map(right_features, "sign")
    with pytest.raises(ValueError, match="share N"):
        firstlayer.alignment(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="lam"):
        ex.check_tl_readout(np.ones(2), np.ones((2, 3)), np.ones((4, 3)), np.ones(4), -1.0)
    with pytest.raises(ValueError, match="error"):
        ex.check_n_test(10, 1.5, 0.01)
    fb = ex.check_n_test("10", 0.2, 0.01)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "n must" in fb.message, fb


# --- check_parameter_counts -------------------------------------------------------------------


def _counts(D, N, K):
    return {"task": D * N + D, "network": K * N + K, "TL": K, "FT": K * N + K}


def test_parameter_counts_right():
    assert ex.check_parameter_counts(_counts)


@pytest.mark.parametrize(
    "change, tag",
    [
        (lambda c, D, N, K: {**c, "task": D * N}, "task"),
        (lambda c, D, N, K: {**c, "network": K * N}, "network"),
        (lambda c, D, N, K: {**c, "TL": c["FT"], "FT": c["TL"]}, "swapped"),
        (lambda c, D, N, K: {**c, "TL": c["FT"]}, "same"),
        (lambda c, D, N, K: {**c, "TL": K * N}, "TL"),
        (lambda c, D, N, K: {**c, "FT": K * N}, "FT"),
        (lambda c, D, N, K: {"task": 1}, "keys"),
        (lambda c, D, N, K: 1 / 0, "error"),
    ],
)
def test_parameter_counts_wrong_answers_are_named(change, tag):
    fb = ex.check_parameter_counts(lambda D, N, K: change(_counts(D, N, K), D, N, K))
    assert not fb and fb.diagnosis == tag, str(fb)
