"""The split of the theory-simulation gap into four parts."""

import numpy as np
import pytest

import tlcourse as tl
from tlcourse.theory import finite_size, gap


@pytest.fixture(scope="module")
def split():
    task = tl.make_source(10, 20, rng=0)
    W = finite_size.random_layer(0, 20, 20)
    return task, W, gap.gap_split(W, task, 1.0, lam=0.1, seeds=range(3), n_test=2000,
                                  n_mc=20_000, rng_mc=1)


def test_parts_add_up_to_the_gap(split):
    _, _, df = split
    assert list(df["seed"]) == [0, 1, 2]
    total = sum(df[name] for name in gap.GAP_PARTS)
    np.testing.assert_allclose(total, df["gap"], atol=1e-12)
    np.testing.assert_allclose(df["gap"], df["theory"] - df["real"], atol=1e-12)
    # the covariance part belongs to the layer, not to the seed
    assert df["covariances"].nunique() == 1 and df["theory_mc"].nunique() == 1


def test_same_seeds_same_split(split):
    task, W, df = split
    again = gap.gap_split(W, task, 1.0, lam=0.1, seeds=range(3), n_test=2000, n_mc=20_000,
                          rng_mc=1)
    np.testing.assert_array_equal(df.to_numpy(), again.to_numpy())


def test_the_theory_column_is_the_analytic_theory(split):
    task, W, df = split
    th = tl.theory.solve_gcm(*tl.theory.feature_covariances(W, task), task.theta,
                             samples_per_feature=1.0, lam=0.1).test_error
    assert df["theory"].iloc[0] == pytest.approx(th, abs=1e-12)


def test_bad_input_is_named():
    task = tl.make_source(10, 20, rng=0)
    W = finite_size.random_layer(0, 20, 20)
    with pytest.raises(ValueError, match="n_mc"):
        gap.gap_split(W, task, 1.0, lam=0.1, seeds=[0], n_test=100, n_mc=1, rng_mc=0)
    with pytest.raises(ValueError, match="alpha"):
        gap.gap_split(W, task, 0.0, lam=0.1, seeds=[0], n_test=100, n_mc=100, rng_mc=0)
    with pytest.raises(TypeError, match="task"):
        gap.gap_split(W, "task", 1.0, lam=0.1, seeds=[0], n_test=100, n_mc=100, rng_mc=0)
