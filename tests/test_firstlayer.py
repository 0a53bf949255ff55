"""Tests of tlcourse.firstlayer: where the units of a first layer point."""

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import firstlayer


@pytest.fixture(scope="module")
def task():
    return tl.make_source(20, 80, rng=0)


def test_teacher_direction_is_unit_and_along_F_theta(task):
    u = firstlayer.teacher_direction(task)
    assert u.shape == (task.N,) and np.linalg.norm(u) == pytest.approx(1.0)
    assert abs(u @ (task.F.T @ task.theta)) == pytest.approx(np.linalg.norm(task.F.T @ task.theta))


def test_random_layer_sits_at_the_random_baselines(task):
    K, N, D = 400, task.N, task.D
    W = np.random.default_rng(1).standard_normal((K, N))
    s = firstlayer.first_layer_summary(W, task)
    # ratios of chi-squares: sd of A_F about sqrt(2 (D/N)(1 - D/N) / (K N)), of A_theta sqrt(2/K)/N
    assert abs(s["A_F"] - D / N) < 5 * np.sqrt(2 * (D / N) * (1 - D / N) / (K * N))
    assert abs(s["A_theta"] - 1 / N) < 5 * np.sqrt(2 / K) / N
    assert s["mean squared weight"] == pytest.approx(1.0, abs=5 * np.sqrt(2 / (K * N)))
    assert s["top singular value share"] < 5 / N  # no spike: Marchenko-Pastur edge


def test_a_spike_along_the_teacher_is_found(task):
    K = 100
    rng = np.random.default_rng(2)
    u = firstlayer.teacher_direction(task)
    W = 0.1 * rng.standard_normal((K, task.N)) + np.outer(rng.standard_normal(K), u) * 3
    s = firstlayer.first_layer_summary(W, task)
    assert s["|cos(top right singular vector, e_theta)|"] > 0.95
    assert s["top singular value share"] > 0.8
    assert s["A_theta"] > 0.8 and s["A_F"] > s["A_theta"]


def test_alignment_of_rows_of_F_is_one(task):
    assert firstlayer.alignment(task.F, task.F) == pytest.approx(1.0)


def test_bad_inputs(task):
    with pytest.raises(ValueError, match="shape"):
        firstlayer.first_layer_summary(np.ones((3, task.N + 1)), task)
    with pytest.raises(TypeError, match="task"):
        firstlayer.teacher_direction("not a task")


def test_train_source_keeps_its_random_start(task):
    from tlcourse import networks

    net = networks.train_source(task, 50, 8, rng=3, epochs=5)
    W0, v0 = net.initial_weights
    start = networks.TwoLayerNet(task.N, 8, "erf", rng=np.random.default_rng(3).spawn(3)[1])
    assert np.array_equal(W0, start.weights()[0]) and np.array_equal(v0, start.weights()[1])
    assert not np.allclose(W0, net.weights()[0])  # training moved it


@pytest.mark.parametrize("share", [0.0, 0.5, 0.9, 0.99])
def test_spiked_layer_puts_its_share_along_the_teacher(task, share):
    K = 50
    W = firstlayer.spiked_layer(task, K, share, rng=4)
    assert W.shape == (K, task.N)
    assert np.sum(W**2) == pytest.approx(K * task.N)  # the squared norm of a random layer
    # the spike holds `share` of |W|^2; the random part adds about (1 - share) / N along e_theta,
    # and the cross term is of order 1 / sqrt(K N)
    A_theta = firstlayer.first_layer_summary(W, task)["A_theta"]
    assert A_theta == pytest.approx(share + (1 - share) / task.N, abs=5 / np.sqrt(K * task.N))


def test_spiked_layer_is_reproducible_and_checks_its_arguments(task):
    assert np.array_equal(firstlayer.spiked_layer(task, 10, 0.9, rng=7),
                          firstlayer.spiked_layer(task, 10, 0.9, rng=np.random.default_rng(7)))
    assert not np.array_equal(firstlayer.spiked_layer(task, 10, 0.9, rng=7),
                              firstlayer.spiked_layer(task, 10, 0.9, rng=8))
    with pytest.raises(ValueError, match="share"):
        firstlayer.spiked_layer(task, 10, 1.5, rng=0)
    with pytest.raises(TypeError, match="task"):
        firstlayer.spiked_layer("not a task", 10, 0.5, rng=0)


def test_effective_rank():
    assert firstlayer.effective_rank(np.eye(5)) == pytest.approx(5.0)
    rank_one = np.outer(np.ones(4), np.arange(1.0, 7.0))
    assert firstlayer.effective_rank(rank_one) == pytest.approx(1.0)
    W = np.diag([1.0, 1.0, 0.0])
    assert firstlayer.effective_rank(W) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="zero"):
        firstlayer.effective_rank(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="2-d"):
        firstlayer.effective_rank(np.ones(3))
