"""Theory learning curves against simulations: random features and transferred features."""

import numpy as np
import pytest
import torch

import tlcourse as tl
from tlcourse import curves, featuremap, networks, protocols, readout, stats, theory
from tlcourse.theory.curves import learning_curve

D, N, K = 100, 200, 200
ALPHAS = [0.5, 1.0, 2.0, 4.0]
LAM = 0.1
N_TEST = 20_000
# chapter *The replica formula*: theory above simulation by 0.005-0.014 for aligned tasks
TL_BOUND = 0.015


@pytest.fixture(scope="module")
def task():
    return tl.make_source(D, N, rng=0)


def simulate_frozen(W, task, alphas, rng):
    """Test errors of the exact convex readout on frozen features, one training draw per call."""
    g_train, g_test = np.random.default_rng(rng).spawn(2)
    n = [int(round(a * N)) for a in alphas]
    X, y = task.sample(max(n), rng=g_train)
    Xt, yt = task.sample(N_TEST, rng=g_test)
    V, Vt = featuremap.features(W, X), featuremap.features(W, Xt)
    return np.array([readout.error_rate(readout.fit_readout(V[:m], y[:m], LAM), Vt, yt)
                     for m in n])


def test_random_features_theory_matches_simulation_within_sampling_error(task):
    # paired: each draw of W gives its own theory curve and its own simulated curve
    diffs = []
    for seed in range(8):
        W = protocols.random_first_layer(K, N, rng=100 + seed)
        theory_err = learning_curve(W, task, alphas=ALPHAS, lam=LAM)["test_error"].to_numpy()
        diffs.append(theory_err - simulate_frozen(W, task, ALPHAS, rng=200 + seed))
    diffs = np.array(diffs)
    mean, se = diffs.mean(0), diffs.std(0, ddof=1) / np.sqrt(len(diffs))
    assert np.all(np.abs(mean) < 3.5 * se), (mean, se)


@pytest.fixture(scope="module")
def source_net(task):
    torch.set_num_threads(1)
    return networks.train_source(task, 10 * N, K, rng=1)


def test_transfer_theory_is_within_the_documented_bound_of_simulation(task, source_net):
    target = tl.make_target(task, rng=2)  # identical tasks: the aligned case
    W = source_net.weights()[0]
    theory_err = learning_curve(W, target, alphas=ALPHAS, lam=LAM)["test_error"].to_numpy()
    df = curves.learning_curves(source_net, target, protocols="TL", alphas=ALPHAS,
                                seeds=range(8), n_test=N_TEST, progress=False, lam=LAM)
    sim = stats.summarize(df)
    gap = theory_err - sim["test_error"].to_numpy()
    se = sim["sem"].to_numpy()
    # learned features: the theory is pessimistic by a small amount, never optimistic
    assert np.all(gap > -3 * se), (gap, se)
    assert np.all(gap < TL_BOUND + 3 * se), (gap, se)
    # transfer beats random features at every size, in theory as in simulation
    W_rf = protocols.random_first_layer(K, N, rng=7)
    rf = learning_curve(W_rf, target, alphas=ALPHAS, lam=LAM)["test_error"].to_numpy()
    assert np.all(theory_err < rf)


def test_learning_curve_table_and_sizes(task):
    W = protocols.random_first_layer(20, N, rng=0)
    df = learning_curve(W, task, ns=[50, 10, 400], lam=LAM)
    assert list(df["n"]) == [50, 10, 400]
    np.testing.assert_allclose(df["alpha"], df["n"] / N)
    np.testing.assert_allclose(df["samples_per_feature"], df["n"] / 20)
    assert df["converged"].all()
    Omega, Phi = theory.feature_covariances(W, task)
    again = learning_curve(W, task, ns=[50, 10, 400], lam=LAM, covariances=(Omega, Phi))
    np.testing.assert_array_equal(again["test_error"], df["test_error"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "exactly one of alphas"),
        ({"alphas": [1.0], "ns": [10]}, ValueError, "exactly one of alphas"),
        ({"alphas": [0.0]}, ValueError, "alphas must be finite and > 0"),
        ({"ns": [0]}, ValueError, "ns must be >= 1"),
        ({"ns": []}, ValueError, "must not be empty"),
    ],
)
def test_bad_sizes_raise_clear_errors(task, kwargs, error, match):
    with pytest.raises(error, match=match):
        learning_curve(np.ones((3, N)), task, **kwargs)
