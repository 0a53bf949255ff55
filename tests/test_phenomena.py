"""Tests of tlcourse.phenomena: theory curves and gain maps, effective rank, alignment."""

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import phenomena, protocols


def test_effective_rank():
    assert phenomena.effective_rank(np.eye(5)) == pytest.approx(5.0)
    assert phenomena.effective_rank(np.outer(np.ones(4), np.arange(1.0, 7.0))) == pytest.approx(1.0)
    W = np.diag([1.0, 1.0, 0.0])
    assert phenomena.effective_rank(W) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="zero"):
        phenomena.effective_rank(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="2-d"):
        phenomena.effective_rank(np.ones(3))


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
    eps_th = phenomena.theory_curve(W, src, [alpha], lam)[0]
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
    m = phenomena.gain_map(W_random, W_random, src, "teacher_perturbation", values, alphas, 0.1,
                           n_jobs=1)
    assert m.tl.shape == m.rf.shape == m.gain.shape == (2, 2)
    np.testing.assert_allclose(m.gain, 0.0, atol=1e-12)
    # errors fall with alpha; an unrelated teacher (value 1) is not easier than the same one
    assert (np.diff(m.tl, axis=1) < 0).all()
    row = phenomena.theory_curve(W_random, tl.make_target(src, teacher_perturbation=1.0, rng=1),
                                 alphas, 0.1)
    np.testing.assert_allclose(m.tl[1], row, atol=1e-10)


def test_gain_map_latent_knob_and_bad_input(small):
    src, W_random = small
    m = phenomena.gain_map(W_random, W_random, src, "latent_removed", [0, 5], [1.0], 0.1, n_jobs=1)
    assert m.values.dtype.kind == "i"
    with pytest.raises(ValueError, match="knob"):
        phenomena.gain_map(W_random, W_random, src, "noise", [0.1], [1.0], 0.1)
    with pytest.raises(ValueError, match="lam"):
        phenomena.gain_map(W_random, W_random, src, "teacher_perturbation", [0.1], [1.0], 0.0)
    with pytest.raises(ValueError, match="values"):
        phenomena.gain_map(W_random, W_random, src, "teacher_perturbation", [], [1.0], 0.1)
    with pytest.raises(TypeError, match="source"):
        phenomena.gain_map(W_random, W_random, "src", "teacher_perturbation", [0.1], [1.0], 0.1)
    with pytest.raises(ValueError, match="teacher_perturbation"):
        phenomena.gain_map(W_random, W_random, src, "teacher_perturbation", [1.5], [1.0], 0.1,
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
