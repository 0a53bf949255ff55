"""Message passing on sampled data reaches the Bayes-optimal error of the state evolution."""

import math

import numpy as np
import pytest
from scipy.stats import t as student_t

import tlcourse as tl
from tlcourse.amp import AMPConvergenceWarning, angle_error, gamp
from tlcourse.theory.bayes import state_evolution

D = 1000
SEEDS = range(6)


def sample(a: float, delta: float, p: float, seed: int):
    """``a D`` latent vectors of a target whose teacher is the source's perturbed by ``delta``
    (:func:`tlcourse.data.make_target`), labels flipped with probability ``p``; the prior of
    the teacher given the source (mean, variance); the teacher."""
    rng = np.random.default_rng(seed)
    source = tl.make_source(D, 1, rng=rng)
    target = tl.make_target(source, teacher_perturbation=delta, rng=rng)
    C = rng.standard_normal((int(a * D), D))
    y = target.labels(C)
    y = np.where(rng.random(y.size) < p, -y, y)
    return C, y, math.sqrt(1 - delta) * source.theta, target.theta


@pytest.mark.parametrize("a,delta,p", [
    (0.5, 1.0, 0.0), (2.0, 1.0, 0.0), (1.0, 1.0, 0.1),  # scratch prior
    (1.0, 0.5, 0.0), (2.0, 0.5, 0.1), (0.5, 0.3, 0.2),  # source prior
])
def test_amp_error_matches_the_state_evolution(a, delta, p):
    errors = []
    for seed in SEEDS:
        C, y, mean, teacher = sample(a, delta, p, seed)
        result = gamp(C, y, teacher, prior_mean=mean, prior_variance=delta, label_noise=p)
        assert result.converged
        errors.append(result.test_error)
    errors = np.array(errors)
    theory = state_evolution(a, prior_variance=delta, label_noise=p).test_error
    n = errors.size
    tol = student_t.ppf(0.995, n - 1) * errors.std(ddof=1) / math.sqrt(n)
    assert abs(errors.mean() - theory) < tol, (errors, theory, tol)


def test_same_data_same_estimate_and_the_teacher_is_not_used():
    C, y, mean, teacher = sample(0.5, 0.5, 0.1, 7)
    first = gamp(C[:, :50], y, teacher[:50], prior_mean=mean[:50], prior_variance=0.5)
    other = gamp(C[:, :50], y, -teacher[:50], prior_mean=mean[:50], prior_variance=0.5)
    assert np.array_equal(first.estimate, other.estimate)
    assert first.test_error == pytest.approx(1 - other.test_error)


def test_angle_error_is_the_fraction_of_disagreements():
    rng = np.random.default_rng(3)
    w, teacher = rng.standard_normal(30), rng.standard_normal(30)
    C = rng.standard_normal((50_000, 30))
    disagree = np.mean(np.sign(C @ w) != np.sign(C @ teacher))
    assert angle_error(w, teacher) == pytest.approx(disagree, abs=4 * math.sqrt(0.25 / 50_000))
    with pytest.raises(ValueError, match="non-zero"):
        angle_error(np.zeros(30), teacher)


def test_a_stopped_iteration_warns():
    rng = np.random.default_rng(1)
    C, teacher = rng.standard_normal((400, 200)), rng.standard_normal(200)
    with pytest.warns(AMPConvergenceWarning, match="mean squared change"):
        result = gamp(C, np.sign(C @ teacher), teacher, max_iter=2)
    assert not result.converged and result.iterations == 2


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(y=np.zeros(20)), ValueError, "y must contain only -1 and"),
    (dict(y=np.ones(19)), ValueError, "y must have length 20"),
    (dict(teacher=np.ones(9)), ValueError, "teacher must have length 10"),
    (dict(prior_mean=np.ones(3)), ValueError, "prior_mean must have length 10"),
    (dict(prior_variance=0.0), ValueError, "prior_variance must be finite and > 0"),
    (dict(label_noise=0.6), ValueError, r"label_noise must lie in 0 <= p < 1/2"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(C=np.full((20, 10), np.nan)), ValueError, "C must be finite"),
])
def test_bad_input_is_refused(kwargs, error, match):
    rng = np.random.default_rng(0)
    args = dict(C=rng.standard_normal((20, 10)), y=np.ones(20), teacher=np.ones(10)) | kwargs
    with pytest.raises(error, match=match):
        gamp(args.pop("C"), args.pop("y"), args.pop("teacher"), **args)
