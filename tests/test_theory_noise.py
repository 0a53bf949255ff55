"""Label noise in the theory: clean results unchanged, the noisy channel on every solver and path,
and the theory against simulations at three noise levels."""

import math

import numpy as np
import pytest
from scipy import stats

import tlcourse as tl
from tlcourse import protocols, theory
from tlcourse.theory import transfer
from tlcourse.theory.batch import solve_gcm_batch
from tlcourse.theory.finite_size import paired_runs
from tlcourse.theory.gcm import spectrum

# test errors (and a training loss) of the solvers before they knew of label noise, on the
# problem of `problem` below: the clean channel must give them again
PINNED = {
    "logistic": [0.38640627744208134, 0.30957397336004755, 0.26337270899557735,
                 0.3784121685292233],
    "square": [0.3901337941692585, 0.3164327054625967, 0.2676641503109608,
               0.18351383163891374],
    "batch": [0.3864062774421136, 0.30957397336976084, 0.26337270883043284],
    "curve": [0.3712035827064432, 0.27746965837604765, 0.3350802670862817,
              0.40363479665064295],
    "map": [0.3319174548941413, 0.2671073788757449, 0.31314398986092595, 0.2508818951315822,
            0.3465292199982512, 0.28397546454220746, 0.3314763197602776, 0.27572540854354993],
}
RATIOS = [0.5, 2.0, 6.0]


@pytest.fixture(scope="module")
def problem():
    task = tl.make_source(30, 80, rng=0)
    W = np.random.default_rng(1).standard_normal((60, 80))
    return task, W, theory.feature_covariances(W, task)


def _results(task, W, cov) -> dict:
    Om, Phi = cov
    out = {}
    for loss in ("logistic", "square"):
        r = theory.solve_gcm(Om, Phi, task.theta, samples_per_feature=RATIOS, lam=0.1,
                             loss=loss, label_noise=task.label_noise)
        out[loss] = [x.test_error for x in r] + [r[1].train_loss]
    spec = spectrum(Om, Phi, task.theta, label_noise=task.label_noise)
    out["batch"] = list(solve_gcm_batch([spec], RATIOS, 0.1, tol=1e-12).test_error[0])
    lc = theory.learning_curve(W, task, alphas=[0.5, 3.0])
    out["curve"] = list(lc["test_error"]) + list(lc["train_loss"])
    gm = transfer.gain_map(W, protocols.random_first_layer(60, 80, 3), task,
                           "teacher_perturbation", [0.0, 0.5], [1.0, 4.0], 0.1)
    out["map"] = list(gm.tl.ravel()) + list(gm.rf.ravel())
    return out


def test_clean_labels_give_the_results_of_before(problem):
    task, W, cov = problem
    for key, values in _results(task, W, cov).items():
        np.testing.assert_allclose(values, PINNED[key], rtol=0, atol=1e-10, err_msg=key)


def test_the_noisy_channel_tends_to_the_clean_one(problem):
    """A vanishing flip rate runs the noisy code (both labels' proximal roots, the mixture) and
    must land on the clean results: to 1e-10 for p = 1e-13."""
    task, W, cov = problem
    noisy = tl.make_target(task, rng=0, label_noise=1e-13)
    for key, values in _results(noisy, W, cov).items():
        np.testing.assert_allclose(values, PINNED[key], rtol=0, atol=1e-10, err_msg=key)


@pytest.mark.parametrize("noise", [0.1, 0.3])
def test_batch_and_single_solvers_agree_with_noise(problem, noise):
    task, _, (Om, Phi) = problem
    single = theory.solve_gcm(Om, Phi, task.theta, samples_per_feature=RATIOS, lam=0.05,
                              label_noise=noise)
    specs = [spectrum(Om, Phi, task.theta, label_noise=v) for v in (0.0, noise)]
    batch = solve_gcm_batch(specs, RATIOS, 0.05, n_outer=48, n_inner=32, tol=1e-10)
    assert batch.converged.all()
    np.testing.assert_allclose(batch.test_error[1], [r.test_error for r in single], atol=1e-7)
    clean = theory.solve_gcm(Om, Phi, task.theta, samples_per_feature=RATIOS, lam=0.05)
    np.testing.assert_allclose(batch.test_error[0], [r.test_error for r in clean], atol=1e-7)
    assert (batch.test_error[1] > batch.test_error[0] + 1e-3).all()  # noise costs


def test_the_gain_map_and_the_best_penalty_see_the_source_tasks_noise(problem):
    task, W, _ = problem
    noisy = tl.make_target(task, rng=0, label_noise=0.2)
    W_rf = protocols.random_first_layer(60, 80, 3)
    gm = transfer.gain_map(W, W_rf, noisy, "teacher_perturbation", [0.5], [2.0], 0.1)
    target = tl.make_target(noisy, 0.5, rng=1)
    assert target.label_noise == 0.2
    for layer, row in ((W, gm.tl), (W_rf, gm.rf)):
        expected = theory.learning_curve(layer, target, alphas=[2.0])["test_error"]
        assert row[0, 0] == pytest.approx(expected.iloc[0], abs=1e-6)
    best = theory.best_penalty(W, noisy, alphas=[2.0])
    at_best = theory.learning_curve(W, noisy, alphas=[2.0], lam=float(best["lam"].iloc[0]))
    assert best["test_error"].iloc[0] == pytest.approx(at_best["test_error"].iloc[0], abs=1e-7)


def test_theory_follows_simulations_at_three_noise_levels():
    """The readout on Gaussian features with the model's covariances (the theory's own model,
    at K = 80), its exact test error against the teacher's clean labels, over 16 seeds: within
    t(0.995, 15) standard errors plus a 1/K finite-size allowance of the theory, at p = 0, 0.1,
    0.2. At p = 0.2 the noise moves the theory by more than that: a theory that ignored the
    flips would fail there."""
    task = tl.make_source(40, 80, rng=0)
    W = protocols.random_first_layer(80, 80, rng=1)
    cov = theory.feature_covariances(W, task)
    seeds = range(16)
    t = stats.t.ppf(0.995, len(seeds) - 1)
    clean = None
    for noise in (0.0, 0.1, 0.2):
        target = tl.make_target(task, rng=0, label_noise=noise)
        df = paired_runs(W, target, [1.0, 3.0], lam=0.1, seeds=seeds, n_test=10,
                         covariances=cov)
        for _, g in df.groupby("alpha"):
            d = g["theory"] - g["gauss"]
            bound = t * d.std(ddof=1) / math.sqrt(len(d)) + 1 / 80
            assert abs(d.mean()) < bound, (noise, d.mean(), bound)
            if noise < 0.2:
                continue
            wrong = clean[g["alpha"].iloc[0]] - g["gauss"]  # the clean theory for noisy data
            assert abs(wrong.mean()) > t * wrong.std(ddof=1) / math.sqrt(len(d)) + 1 / 80
        if clean is None:
            clean = df.groupby("alpha")["theory"].first()
