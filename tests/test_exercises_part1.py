"""Tests of the exercise checkers of Part I: right answers pass, typical wrong ones are named."""

import math

import numpy as np
import pytest
from scipy import integrate, special

import tlcourse as tl
from tlcourse.exercises import Feedback
from tlcourse.exercises import chmm as chmm_ex
from tlcourse.exercises import hmm as hmm_ex

K1 = math.sqrt(2 / math.pi)


def _is(fb: Feedback, diagnosis: str) -> None:
    assert isinstance(fb, Feedback)
    assert fb.diagnosis == diagnosis, str(fb)
    assert bool(fb) == (diagnosis == "correct")
    assert str(fb).startswith("Correct." if fb else "Not yet.")


# --- hmm.check_kappa1 -----------------------------------------------------------------------


# each activation written out here, not taken from the package: the reference kappa1 = E xi f(xi)
# is then integrated by SciPy's adaptive quadrature, a route independent of the checker's own
_PLAIN = {
    "sign": np.sign,
    "erf": special.erf,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
}


def _kappa1_by_quadrature(f) -> float:
    def integrand(x):
        return x * f(x) * math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    # split at 0, where sign and relu have their kink
    return sum(integrate.quad(integrand, a, b, epsabs=1e-13, epsrel=1e-12)[0]
               for a, b in ((-np.inf, 0.0), (0.0, np.inf)))


def test_quadrature_reference_matches_closed_forms():
    # the reference itself, checked on the closed forms sqrt(2/pi) (sign), 2/sqrt(3 pi) (erf)
    assert _kappa1_by_quadrature(np.sign) == pytest.approx(K1, abs=1e-10)
    assert _kappa1_by_quadrature(special.erf) == pytest.approx(2 / math.sqrt(3 * math.pi),
                                                               abs=1e-10)


@pytest.mark.parametrize("activation", tl.activations.ACTIVATIONS)
def test_kappa1_accepts_reference_values(activation):
    assert set(_PLAIN) == set(tl.activations.ACTIVATIONS)
    _is(hmm_ex.check_kappa1(_kappa1_by_quadrature(_PLAIN[activation]), activation), "correct")


def test_kappa1_accepts_monte_carlo_within_its_error():
    rng = np.random.default_rng(0)
    xi = rng.standard_normal(2_000)
    _is(hmm_ex.check_kappa1(float(np.mean(np.abs(xi))), n_samples=xi.size), "correct")
    # the same value without n_samples is held to the quadrature tolerance
    assert abs(np.mean(np.abs(xi)) - K1) > 1e-3
    assert not hmm_ex.check_kappa1(float(np.mean(np.abs(xi))))


@pytest.mark.parametrize(
    "value, diagnosis",
    [
        (2 / math.pi, "squared"),
        (-K1, "sign"),
        (0.0, "kappa0"),
        (math.sqrt(1 - 2 / math.pi), "kappa_star"),
        (K1 * math.sqrt(math.pi), "hermite_weights"),
        (K1 / math.sqrt(2), "hermite_scale"),
        (K1 * math.sqrt(2 * math.pi), "density_norm"),
        (2 * K1, "factor_2"),
        (K1 / 2, "factor_half"),
        (K1 + 0.006, "imprecise"),
        (0.3, "unknown"),
    ],
)
def test_kappa1_names_typical_mistakes(value, diagnosis):
    _is(hmm_ex.check_kappa1(value), diagnosis)


def test_kappa1_bad_inputs():
    fb = hmm_ex.check_kappa1("0.8")  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "value" in fb.message, fb
    with pytest.raises(ValueError, match="activation"):
        hmm_ex.check_kappa1(0.8, activation="softplus")
    with pytest.raises(ValueError, match="n_samples"):
        hmm_ex.check_kappa1(0.8, n_samples=0)


# --- hmm.check_hmm_sampler ------------------------------------------------------------------


def _sampler(x_rule=None, y_rule=None):
    """A sampler with the reference rules unless replaced."""

    def sample(F, theta, C, sigma):
        D = F.shape[0]
        X = sigma(C @ F / np.sqrt(D)) if x_rule is None else x_rule(F, C, sigma)
        y = np.where(C @ theta >= 0, 1.0, -1.0) if y_rule is None else y_rule(theta, C)
        return X, y

    return sample


def test_sampler_accepts_reference_and_package():
    _is(hmm_ex.check_hmm_sampler(_sampler()), "correct")

    def via_package(F, theta, C, sigma):
        assert sigma is np.tanh
        task = tl.Task(F, theta, activation="tanh")
        return task.inputs(C), task.labels(C)

    _is(hmm_ex.check_hmm_sampler(via_package), "correct")


@pytest.mark.parametrize(
    "x_rule, diagnosis",
    [
        (lambda F, C, s: s(C @ F / np.sqrt(F.shape[0])).T, "transposed"),
        (lambda F, C, s: s(C @ F / np.sqrt(F.shape[0]))[:, :-1], "shape"),
        (lambda F, C, s: s(C @ F), "no_normalisation"),
        (lambda F, C, s: s(C @ F / F.shape[0]), "normalisation_D"),
        (lambda F, C, s: s(C @ F / np.sqrt(F.shape[1])), "normalisation_N"),
        (lambda F, C, s: s(C @ F) / np.sqrt(F.shape[0]), "normalisation_outside"),
        (lambda F, C, s: C @ F / np.sqrt(F.shape[0]), "no_nonlinearity"),
        (lambda F, C, s: s(C) @ F / np.sqrt(F.shape[0]), "sigma_first"),
        (lambda F, C, s: np.sign(C @ F), "inputs_unknown"),
        (lambda F, C, s: s(C @ F.T), "error"),  # shapes do not match: (n, D) @ (N, D)
    ],
)
def test_sampler_names_input_mistakes(x_rule, diagnosis):
    _is(hmm_ex.check_hmm_sampler(_sampler(x_rule=x_rule)), diagnosis)


@pytest.mark.parametrize(
    "y_rule, diagnosis",
    [
        (lambda th, C: (C @ th >= 0).astype(float), "labels_01"),
        (lambda th, C: np.where(C @ th >= 0, -1.0, 1.0), "labels_flipped"),
        (lambda th, C: C @ th / np.sqrt(th.size), "labels_not_sign"),
        (lambda th, C: np.tanh(C @ th / np.sqrt(th.size)), "labels_not_sign"),
        (lambda th, C: np.where(C[:, 0] >= 0, 1.0, -1.0), "labels_unknown"),
        (lambda th, C: np.where(C @ th >= 0, 1.0, -1.0)[:, None], "label_shape"),
    ],
)
def test_sampler_names_label_mistakes(y_rule, diagnosis):
    _is(hmm_ex.check_hmm_sampler(_sampler(y_rule=y_rule)), diagnosis)


def test_sampler_not_a_pair_and_not_callable():
    _is(hmm_ex.check_hmm_sampler(lambda F, th, C, s: s(C @ F)), "not_pair")
    fb = hmm_ex.check_hmm_sampler(np.zeros(3))  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "sampler" in fb.message, fb


# --- chmm.check_teacher_perturbation --------------------------------------------------------


def _right(theta, delta, rng):
    fresh = np.random.default_rng(rng).standard_normal(theta.shape)
    return np.sqrt(1 - delta) * theta + np.sqrt(delta) * fresh


def test_teacher_perturbation_accepts_reference_and_package():
    _is(chmm_ex.check_teacher_perturbation(_right), "correct")

    def via_package(theta, delta, rng):
        src = tl.Task(np.zeros((theta.size, 1)), theta)
        return tl.make_target(src, teacher_perturbation=delta, rng=rng).theta

    _is(chmm_ex.check_teacher_perturbation(via_package), "correct")


_GLOBAL = np.random.default_rng(123)


@pytest.mark.parametrize(
    "perturb, diagnosis",
    [
        (lambda th, d, rng: _right(th, d, rng)[:-1], "shape"),
        (lambda th, d, rng: _right(th, d, int(_GLOBAL.integers(1 << 30))), "not_reproducible"),
        (lambda th, d, rng: _right(th, d, 0), "not_fresh"),
        (lambda th, d, rng: _right(th, max(d, 0.1), rng), "delta_zero"),
        (
            lambda th, d, rng: (1 - d) * th
            + d * np.random.default_rng(rng).standard_normal(th.size),
            "missing_sqrt",
        ),
        (
            lambda th, d, rng: np.sqrt(d) * th
            + np.sqrt(1 - d) * np.random.default_rng(rng).standard_normal(th.size),
            "swapped",
        ),
        (
            lambda th, d, rng: np.sqrt(1 - d) * th + np.sqrt(d) * th * (1 + 1e-3 * rng),
            "noise_not_independent",
        ),
        (lambda th, d, rng: _right(th, d, rng) / np.linalg.norm(_right(th, d, rng)), "norm"),
        (lambda th, d, rng: th * (1 + 0.5 * d) + d * rng, "unknown"),
        (lambda th, d, rng: th + np.zeros(3), "error"),
    ],
)
def test_teacher_perturbation_names_typical_mistakes(perturb, diagnosis):
    _is(chmm_ex.check_teacher_perturbation(perturb), diagnosis)


def test_teacher_perturbation_not_callable():
    fb = chmm_ex.check_teacher_perturbation(0.5)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "perturb" in fb.message, fb


# --- chmm.check_label_agreement -------------------------------------------------------------


def _agree(delta):
    return 1 - math.acos(math.sqrt(1 - delta)) / math.pi


@pytest.mark.parametrize("delta", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_label_agreement_accepts_formula(delta):
    _is(chmm_ex.check_label_agreement(_agree(delta), delta), "correct")


def test_label_agreement_accepts_simulation_within_binomial_error():
    # the two teachers' fields on one latent vector: standard Gaussians with correlation rho
    rng = np.random.default_rng(5)
    n, delta = 40_000, 0.5
    rho = math.sqrt(1 - delta)
    u, z = rng.standard_normal((2, n))
    rate = float(np.mean(np.sign(u) == np.sign(rho * u + math.sqrt(1 - rho**2) * z)))
    _is(chmm_ex.check_label_agreement(rate, delta, n_samples=n), "correct")
    assert not chmm_ex.check_label_agreement(rate + 0.02, delta, n_samples=n)


@pytest.mark.parametrize(
    "value, diagnosis",
    [
        (1 - _agree(0.36), "disagreement"),
        (1 - math.acos(0.64) / math.pi, "missing_sqrt"),
        (1 - math.acos(0.8), "missing_pi"),
        (1 - math.acos(0.8) / (2 * math.pi), "factor_2"),
        (0.8, "cosine"),
        (0.64, "one_minus_delta"),
        (0.5, "unknown"),
    ],
)
def test_label_agreement_names_typical_mistakes(value, diagnosis):
    _is(chmm_ex.check_label_agreement(value, 0.36), diagnosis)


def test_label_agreement_bad_inputs():
    with pytest.raises(ValueError, match="delta"):
        chmm_ex.check_label_agreement(0.5, 1.5)
    fb = chmm_ex.check_label_agreement("0.5", 0.5)  # None: "not attempted yet"
    assert not fb and fb.diagnosis == "type" and "value" in fb.message, fb
    with pytest.raises(ValueError, match="n_samples"):
        chmm_ex.check_label_agreement(0.5, 0.5, n_samples=-1)


def test_label_agreement_accepts_a_function_and_names_its_slip():
    _is(chmm_ex.check_label_agreement(_agree), "correct")
    _is(chmm_ex.check_label_agreement(lambda d: 1 - _agree(d)), "disagreement")
    _is(chmm_ex.check_label_agreement(lambda d: 1 - math.acos(1 - d) / math.pi), "missing_sqrt")
    fb = chmm_ex.check_label_agreement(lambda d: 1 / 0)
    _is(fb, "error")
    assert "ZeroDivisionError" in str(fb)
    _is(chmm_ex.check_label_agreement(lambda d: "0.5"), "type")
    # a function that returns None is an untouched stub (the shared rule of tlcourse.exercises)
    _is(chmm_ex.check_label_agreement(lambda d: None), "not_attempted")
    with pytest.raises(TypeError, match="delta"):
        chmm_ex.check_label_agreement(0.5)


# --- chmm.check_overlap_prediction ------------------------------------------------------------


def _right_overlaps(d):
    return {"shared_fraction": 1.0, "feature_overlap": 1.0, "teacher_cosine": math.sqrt(1 - d)}


def test_overlap_prediction_right_and_matches_package_at_large_D():
    _is(chmm_ex.check_overlap_prediction(_right_overlaps), "correct")
    src = tl.make_source(4000, 20, rng=0)
    ov = tl.overlaps(src, tl.make_target(src, teacher_perturbation=0.36, rng=1))
    for key, value in _right_overlaps(0.36).items():
        assert ov[key] == pytest.approx(value, abs=5 * 0.36 / math.sqrt(4000) + 0.01)


@pytest.mark.parametrize(
    "cosine, diagnosis",
    [(lambda d: 1 - d, "one_minus_delta"), (lambda d: math.sqrt(d), "sqrt_delta"),
     (lambda d: d, "delta"), (lambda d: 0.5, "unknown")],
)
def test_overlap_prediction_names_cosine_slips(cosine, diagnosis):
    _is(chmm_ex.check_overlap_prediction(lambda d: {**_right_overlaps(d),
                                                    "teacher_cosine": cosine(d)}), diagnosis)


def test_overlap_prediction_other_slips():
    _is(chmm_ex.check_overlap_prediction(
        lambda d: {**_right_overlaps(d), "feature_overlap": math.sqrt(1 - d)}), "feature_overlap")
    _is(chmm_ex.check_overlap_prediction(lambda d: (1, 1, math.sqrt(1 - d))), "keys")
    _is(chmm_ex.check_overlap_prediction(lambda d: None), "not_attempted")  # an untouched stub
    fb = chmm_ex.check_overlap_prediction(lambda d: {}["x"])
    _is(fb, "error")
    assert "KeyError" in str(fb)
    fb = chmm_ex.check_overlap_prediction(0.8)  # a wrong type: feedback
    assert not fb and fb.diagnosis == "type" and "predict" in fb.message, fb


# --- chmm.check_composed_target ---------------------------------------------------------------


def test_composed_target_right():
    _is(chmm_ex.check_composed_target(
        lambda D, r, a: (D - r + a, D - r, (D - r) / max(D, D - r + a))), "correct")


@pytest.mark.parametrize(
    "dims, diagnosis",
    [
        (lambda D, r, a: (D + a, D - r, (D - r) / (D + a)), "no_deletion"),
        (lambda D, r, a: (D - r + a, D - r + a, 1.0), "added_shared"),
        (lambda D, r, a: (D - r + a, D, D / max(D, D - r + a)), "deleted_shared"),
        (lambda D, r, a: (D - r + a, D - r, (D - r) / D), "fraction_source"),
        (lambda D, r, a: (D - r + a, D - r, (D - r) / (D - r + a)), "fraction_target"),
        (lambda D, r, a: (D - r + a, D - r, 0.5), "fraction"),
        (lambda D, r, a: (D, r), "shape"),
        (lambda D, r, a: 1 / 0, "error"),
    ],
)
def test_composed_target_names_slips(dims, diagnosis):
    _is(chmm_ex.check_composed_target(dims), diagnosis)
