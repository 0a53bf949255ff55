"""The convex readout: optimality, agreement with an independent solver, closed forms, bad input."""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize

import tlcourse as tl
from tlcourse import readout


@pytest.fixture(scope="module")
def data():
    X, y = tl.make_source(40, 60, rng=0).sample(150, rng=1)
    return X, y


@pytest.mark.parametrize("lam", [1e-3, 0.1, 10.0])
def test_logistic_readout_is_optimal(data, lam):
    X, y = data
    w = readout.fit_readout(X, y, lam)
    # stationarity of the strictly convex objective, relative to the gradient at w = 0
    g0 = np.linalg.norm(readout.gradient(np.zeros(X.shape[1]), X, y, lam))
    assert np.linalg.norm(readout.gradient(w, X, y, lam)) < 1e-5 * g0


def test_logistic_readout_matches_an_independent_solver(data):
    X, y = data
    lam = 0.1
    w = readout.fit_readout(X, y, lam)
    ref = minimize(
        readout.objective, np.zeros(X.shape[1]), args=(X, y, lam), jac=readout.gradient,
        method="trust-constr", options={"gtol": 1e-12, "xtol": 1e-14, "maxiter": 5000},
    )
    np.testing.assert_allclose(w, ref.x, rtol=1e-4, atol=1e-5 * np.abs(ref.x).max())


def test_one_class_labels_still_have_a_minimiser(data):
    X, _ = data
    y = np.ones(10)
    w = readout.fit_readout(X[:10], y, 0.5)
    g0 = np.linalg.norm(readout.gradient(np.zeros(X.shape[1]), X[:10], y, 0.5))
    assert np.linalg.norm(readout.gradient(w, X[:10], y, 0.5)) < 1e-5 * g0


@pytest.mark.parametrize("n", [30, 150])
def test_square_loss_closed_form(data, n):
    X, y = data[0][:n], data[1][:n]
    w = readout.fit_readout(X, y, 0.3, loss="square")
    assert np.linalg.norm(readout.gradient(w, X, y, 0.3, loss="square")) < 1e-8 * n


def test_square_loss_at_zero_ridge_is_the_minimum_norm_interpolator(data):
    X, y = data[0][:30], data[1][:30]
    w = readout.fit_readout(X, y, 0.0, loss="square")
    np.testing.assert_allclose(X @ w / np.sqrt(X.shape[1]), y, atol=1e-8)


def test_error_rate_and_predict():
    V = np.array([[1.0, 0.0], [-2.0, 1.0]])
    w = np.array([1.0, 0.0])
    assert readout.predict(w, V).tolist() == [1.0, -1.0]
    assert readout.error_rate(w, V, np.array([1.0, 1.0])) == 0.5


def test_nonconvergence_warns_with_diagnostics(data):
    X, y = data
    with pytest.warns(Warning, match="not converged: gradient norm .* after 1 iterations"):
        readout.fit_readout(X, y, 1e-3, max_iter=1)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"lam": -1.0}, ValueError, "lam must be finite and > 0"),
        ({"lam": 0.0}, ValueError, "lam must be finite and > 0"),
        ({"lam": -1.0, "loss": "square"}, ValueError, "lam must be finite and >= 0"),
        ({"lam": 1.0, "loss": "hinge"}, ValueError, "loss must be one of"),
    ],
)
def test_bad_parameters(data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        readout.fit_readout(*data, **kwargs)


def test_bad_data(data):
    X, y = data
    with pytest.raises(ValueError, match="y must have shape"):
        readout.fit_readout(X, y[:-1], 1.0)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        readout.fit_readout(X, (y + 1) / 2, 1.0)
    with pytest.raises(ValueError, match="non-empty"):
        readout.fit_readout(X[:0], y[:0], 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        readout.fit_readout(X, y, 1.0)  # a well-posed fit raises no warning


def test_select_lam_lands_near_the_theory_s_best_penalty_on_a_large_sample():
    # random features K = N = 100 at alpha = 16 (1600 samples): each seed's choice within a
    # decade of the theory's best penalty at the folds' size (4/5 of the samples), and their
    # geometric mean within half a decade; the grid is 1/3 decade apart
    N = 100
    src = tl.make_source(50, N, rng=0)
    W = tl.protocols.random_first_layer(N, N, 3)
    best = tl.theory.best_penalty(W, src, alphas=[16 * 4 / 5])["lam"].item()
    chosen = []
    for seed in range(4):
        X, y = src.sample(16 * N, rng=10 + seed)
        chosen.append(readout.select_lam(tl.featuremap.features(W, X), y, rng=seed))
    gap = np.log10(chosen) - np.log10(best)
    assert (np.abs(gap) <= 1).all() and abs(gap.mean()) <= 0.5, (chosen, best)
    assert set(chosen) <= set(tl.specs.LAM_GRID)


def test_select_lam_is_reproducible_and_refuses_bad_input(data):
    X, y = data
    first = readout.select_lam(X, y, rng=5)
    assert readout.select_lam(X, y, rng=5) == first
    assert readout.select_lam(X, y, [0.3], rng=5) == 0.3  # one candidate: no fits
    one_class = np.ones_like(y)
    one_class[0] = -1.0  # a class with one sample: no fold holds both, the largest penalty
    assert readout.select_lam(X, one_class, [0.01, 1.0, 0.1]) == 1.0
    with pytest.raises(ValueError, match="lams"):
        readout.select_lam(X, y, [0.1, -1.0])
    with pytest.raises(ValueError, match="folds"):
        readout.select_lam(X, y, folds=1)
    with pytest.raises(ValueError, match="labels"):
        readout.select_lam(X, np.zeros_like(y))
