"""Tests of tlcourse.theory.transfer and the batch path of theory.learning_curve: the same test
errors as solve_gcm, the best penalty against a grid search, gain maps at the best penalty."""

import warnings

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import protocols, theory
from tlcourse.theory import transfer

N = 40


@pytest.fixture(scope="module")
def setting():
    src = tl.make_source(20, N, rng=0)
    W = protocols.random_first_layer(N, N, 3)
    # a layer that has learned something: random plus the source's own directions
    W_s = W.copy()
    W_s[:20] += 3.0 * src.F
    target = tl.make_target(src, teacher_perturbation=0.3, rng=1)
    return src, W, W_s, target


def test_learning_curve_on_the_batch_solver_matches_solve_gcm(setting):
    src, W, W_s, target = setting
    alphas = np.geomspace(0.2, 20, 12)
    for layer in (W, W_s):
        for lam in (1e-3, 0.1, 3.0):
            cov = theory.feature_covariances(layer, target)
            curve = theory.learning_curve(layer, target, alphas=alphas, lam=lam,
                                          covariances=cov)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                ref = theory.solve_gcm(*cov, target.theta, list(alphas * N / layer.shape[0]),
                                       lam=lam)
            np.testing.assert_allclose(curve["test_error"], [r.test_error for r in ref],
                                       rtol=0, atol=1e-8)
            np.testing.assert_allclose(curve["train_loss"], [r.train_loss for r in ref],
                                       rtol=0, atol=1e-6)
            assert curve["converged"].all()


def test_learning_curve_checks_the_covariances_against_W_and_the_task(setting):
    src, W, _, target = setting
    Omega, Phi = theory.feature_covariances(W, target)
    with pytest.raises(ValueError, match=r"Omega must be \(K, K\) = \(20, 20\)"):
        theory.learning_curve(W[:20], target, alphas=[1.0], covariances=(Omega, Phi))
    with pytest.raises(ValueError, match="Phi must be"):
        theory.learning_curve(W, target, alphas=[1.0], covariances=(Omega, Phi[:, :5]))
    with pytest.raises(TypeError, match="pair"):
        theory.learning_curve(W, target, alphas=[1.0], covariances=Omega)
    with pytest.raises(ValueError, match="W must be"):
        theory.learning_curve(W[:, :10], target, alphas=[1.0])


def test_best_penalty_beats_every_penalty_of_a_grid(setting):
    src, W, W_s, target = setting
    alphas = np.array([0.3, 1.0, 3.0, 10.0])
    for layer in (W, W_s):
        cov = theory.feature_covariances(layer, target)
        best = theory.best_penalty(layer, target, alphas=alphas, covariances=cov)
        assert list(best.columns) == [*theory.curves.COLUMNS, "lam", "lam_at_bound"]
        lams = np.geomspace(*transfer.LAM_BOUNDS, 16)
        grid = np.array([theory.learning_curve(layer, target, alphas=alphas, lam=lam,
                                               covariances=cov)["test_error"]
                         for lam in lams])
        # never worse than the grid's best (to the solver's precision), and its penalty within
        # a grid step (1/3 decade) of the grid's best where the minimum is not flat
        assert (best["test_error"].to_numpy() <= grid.min(axis=0) + 1e-7).all()
        at = theory.learning_curve(layer, target, alphas=alphas, lam=0.1, covariances=cov)
        assert (best["test_error"] <= at["test_error"] + 1e-9).all()
        inside = ~best["lam_at_bound"].to_numpy()
        step = np.log10(lams[1] / lams[0])
        gap = np.abs(np.log10(best["lam"].to_numpy()) - np.log10(lams[grid.argmin(axis=0)]))
        flat = np.sort(grid, axis=0)[1] - grid.min(axis=0) < 1e-5
        assert (gap[inside & ~flat] <= 1.5 * step).all(), (best, gap)
    with pytest.raises(ValueError, match="low < high"):
        theory.best_penalty(W, target, alphas=[1.0], lam_bounds=(1.0, 0.1))
    with pytest.raises(ValueError, match="xtol"):
        theory.best_penalty(W, target, alphas=[1.0], xtol=0.0)


def test_gain_map_at_the_best_penalty(setting):
    src, W, W_s, _ = setting
    values, alphas = [0.0, 0.5], [0.5, 4.0]
    fixed = transfer.gain_map(W_s, W, src, "teacher_perturbation", values, alphas, 0.1)
    assert (fixed.lam_tl == 0.1).all() and (fixed.lam_rf == 0.1).all()
    best = transfer.gain_map(W_s, W, src, "teacher_perturbation", values, alphas, "best")
    assert best.tl.shape == best.lam_tl.shape == (2, 2)
    # each protocol at its own best penalty is no worse than at lam = 0.1
    assert (best.tl <= fixed.tl + 1e-6).all() and (best.rf <= fixed.rf + 1e-6).all()
    # a row of the map is best_penalty's curve on that target (to the map's tolerance)
    target = tl.make_target(src, teacher_perturbation=0.5, rng=1)
    row = theory.best_penalty(W_s, target, alphas=alphas, xtol=0.02)
    np.testing.assert_allclose(best.tl[1], row["test_error"], atol=1e-5)
    with pytest.raises(ValueError, match="lam"):
        transfer.gain_map(W_s, W, src, "teacher_perturbation", values, alphas, "tuned")
    with pytest.raises(ValueError, match="same shape"):
        transfer.gain_map(W_s[:10], W, src, "teacher_perturbation", values, alphas, 0.1)


def test_gain_map_blocks_give_the_same_map(setting):
    src, W, W_s, _ = setting
    args = (W_s, W, src, "feature_perturbation", [0.0, 0.3, 0.6], [0.5, 2.0], 0.1)
    one = transfer.gain_map(*args, n_jobs=1)
    two = transfer.gain_map(*args, n_jobs=2)
    np.testing.assert_allclose(one.gain, two.gain, atol=1e-5)


def test_random_features_theory_at_the_best_penalty(setting):
    src, _, _, target = setting
    best = theory.random_features_theory(target, N, [0.5, 4.0], lam="best", seeds=[0, 1])
    fixed = theory.random_features_theory(target, N, [0.5, 4.0], lam=0.1, seeds=[0, 1])
    assert (best["test_error"].to_numpy() <= fixed["test_error"].to_numpy() + 1e-9).all()
    layer = theory.finite_size.random_layer(1, N, N)
    one = theory.best_penalty(layer, target, alphas=[0.5, 4.0])
    np.testing.assert_allclose(best[best.seed == 1]["lam"], one["lam"])
    with pytest.raises(ValueError, match="'best'"):
        theory.random_features_theory(target, N, [1.0], lam="tuned", seeds=[0])


@pytest.fixture(scope="module")
def small():
    src = tl.make_source(20, 40, rng=0)
    W_random = protocols.random_first_layer(40, 40, 3)
    return src, W_random


def test_theory_curve_matches_simulated_random_features(small):
    """RF theory within sampling error of simulations (readout on fresh samples, many seeds)."""
    src, W = small
    # a larger instance than the map fixtures: Gaussian equivalence needs some size
    src = tl.make_source(60, 120, rng=0)
    W = protocols.random_first_layer(120, 120, 3)
    alpha, lam = 2.0, 0.1
    eps_th = transfer.theory_curve(W, src, [alpha], lam)[0]
    errs = []
    for seed in range(8):
        X, y = src.sample(int(alpha * 120), rng=100 + seed)
        Xt, yt = src.sample(4000, rng=200 + seed)
        V, Vt = tl.featuremap.features(W, X), tl.featuremap.features(W, Xt)
        v = tl.readout.fit_readout(V, y, lam)
        errs.append(np.mean(np.sign(Vt @ v) != yt))
    mean, se = np.mean(errs), np.std(errs, ddof=1) / np.sqrt(len(errs))
    # finite-size corrections at this size are about 0.01 (chapter *The replica formula*):
    # allow them beside 4 se
    assert abs(mean - eps_th) < 4 * se + 0.015, (mean, se, eps_th)


def test_gain_map_shapes_and_identities(small):
    src, W_random = small
    values = [0.0, 1.0]
    alphas = [0.5, 2.0]
    # "TL" with the random layer itself: the gain is exactly zero everywhere
    m = transfer.gain_map(W_random, W_random, src, "teacher_perturbation", values, alphas, 0.1,
                          n_jobs=1)
    assert m.tl.shape == m.rf.shape == m.gain.shape == (2, 2)
    np.testing.assert_allclose(m.gain, 0.0, atol=1e-12)
    # errors fall with alpha; an unrelated teacher (value 1) is not easier than the same one
    assert (np.diff(m.tl, axis=1) < 0).all()
    row = transfer.theory_curve(W_random, tl.make_target(src, teacher_perturbation=1.0, rng=1),
                                 alphas, 0.1)
    np.testing.assert_allclose(m.tl[1], row, atol=1e-10)


def test_gain_map_latent_knob_and_bad_input(small):
    src, W_random = small
    m = transfer.gain_map(W_random, W_random, src, "latent_removed", [0, 5], [1.0], 0.1, n_jobs=1)
    assert m.values.dtype.kind == "i"
    with pytest.raises(ValueError, match="knob"):
        transfer.gain_map(W_random, W_random, src, "noise", [0.1], [1.0], 0.1)
    with pytest.raises(ValueError, match="lam"):
        transfer.gain_map(W_random, W_random, src, "teacher_perturbation", [0.1], [1.0], 0.0)
    with pytest.raises(ValueError, match="values"):
        transfer.gain_map(W_random, W_random, src, "teacher_perturbation", [], [1.0], 0.1)
    with pytest.raises(TypeError, match="source"):
        transfer.gain_map(W_random, W_random, "src", "teacher_perturbation", [0.1], [1.0], 0.1)
    with pytest.raises(ValueError, match="teacher_perturbation"):
        transfer.gain_map(W_random, W_random, src, "teacher_perturbation", [1.5], [1.0], 0.1,
                          n_jobs=1)


def test_plot_gain_map_draws_a_centred_map_with_its_zero_line():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tlcourse import plotting

    alphas, values = np.geomspace(0.1, 10, 6), np.linspace(0, 1, 5)
    gain = (0.5 - values)[:, None] * np.ones((5, 6))  # sign change along the knob
    ax = plotting.plot_gain_map(alphas, values, gain, knob_label="delta")
    mesh = ax.collections[0]
    assert mesh.get_clim() == (-0.5, 0.5)  # symmetric around zero
    assert len(ax.collections) >= 2  # the zero contour
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "delta"
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_gain_map(alphas, values, gain.T)
    with pytest.raises(ValueError, match="at least 2"):
        plotting.plot_gain_map(alphas[:1], values, gain[:, :1])
    plt.close("all")
