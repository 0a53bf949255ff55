"""Checkers judge only what they can: a NaN, a wrong type, a wrong shape or a student's function
that raises gets a false Feedback naming the problem; never "Correct", never an exception.

The cases of issue 26 (item 5) one by one, then a property-based fuzz (Hypothesis, derandomized)
over every checker of ``tlcourse.exercises``: each receives answers drawn from a pool of bad
values (NaN, infinities, strings, booleans, ragged lists, arrays holding a NaN, wrong shapes),
or functions that return them or raise.
"""

import importlib
import inspect
import math
import pkgutil
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tlcourse as tl
import tlcourse.exercises as exercises
from tlcourse import theory
from tlcourse.exercises import Feedback, chmm, depth, hmm, networks, noise, phenomena, realdata
from tlcourse.exercises import theory as theory_ex


def _unjudged(fb, diagnosis, *words):
    assert isinstance(fb, Feedback) and not fb, fb
    assert fb.diagnosis == diagnosis, fb
    for word in words:
        assert word in fb.message, fb


# ----------------------------------------------------------------------------- issue 26, item 5
def test_prox_returning_nan_is_named_with_the_call():
    fb = theory_ex.check_prox(lambda y, omega, V: omega + (math.nan if V == 10 else 0.0))
    _unjudged(fb, "nan", "NaN", "V = 10")


def test_a_grouping_with_a_non_integer_class_is_not_correct():
    _unjudged(realdata.check_uncorrelated_grouping([0, 5.9]), "type", "5.9")
    assert realdata.check_uncorrelated_grouping([0, 5])  # the grouping it was rounded to


def test_n_test_at_error_zero_needs_one_sample_and_does_not_divide_by_zero():
    _unjudged(networks.check_n_test(0, 0.0, 0.01), "too_few")
    assert networks.check_n_test(1, 0.0, 0.01)


def test_kappas_as_one_array():
    k = tl.kappas("erf")
    assert theory_ex.check_kappas(np.array([k.kappa0, k.kappa1, k.kappa_star]))
    _unjudged(theory_ex.check_kappas(np.array([k.kappa0, k.kappa1])), "shape")


def test_standard_error_names_the_argument_that_is_wrong():
    with pytest.raises(TypeError, match="^error must"):
        realdata.check_standard_error(0.1, "0.1", 100)


@pytest.fixture(scope="module")
def small():
    task = tl.make_source(6, 10, rng=0)
    W = np.random.default_rng(1).standard_normal((4, 10))
    X, y = task.sample(20, rng=2)
    return W, task, X, y


def test_wrongly_typed_answers_get_feedback(small):
    W, task, X, y = small
    _unjudged(hmm.check_hmm_sampler(lambda F, theta, C, s: ("X", "y")), "type", "X")
    _unjudged(networks.check_tl_readout("v", W, X, y, 0.1), "type", "v")
    _unjudged(theory_ex.check_omega("Omega", W, task), "type", "Omega")
    _unjudged(theory_ex.check_omega(np.full((4, 4), np.nan), W, task), "nan", "16 of 16")
    counts = {"task": [1], "network": 2, "TL": 3, "FT": 4}
    _unjudged(networks.check_parameter_counts(lambda D, N, K: counts), "shape", "'task'")
    counts = {"task": "many", "network": 2, "TL": 3, "FT": 4}
    _unjudged(networks.check_parameter_counts(lambda D, N, K: counts), "type", "'task'")


def test_nan_answers_are_named_not_misdiagnosed():
    # each used to slip through a comparison with NaN (always false) to a wrong diagnosis
    k = tl.kappas("erf")
    _unjudged(theory_ex.check_kappas(math.nan, k.kappa1, k.kappa_star), "nan", "kappa0")
    overlaps = {"shared_fraction": math.nan, "feature_overlap": 1.0}
    fb = chmm.check_overlap_prediction(lambda d: {**overlaps, "teacher_cosine": (1 - d) ** .5})
    _unjudged(fb, "nan", "shared_fraction", "teacher_perturbation = 0.36")
    fb = chmm.check_teacher_perturbation(lambda theta, delta, rng: theta * math.nan)
    _unjudged(fb, "nan", "delta = 0.36")
    _unjudged(hmm.check_kappa1(math.inf), "nan", "infinite")


# --------------------------------------------------------------------------------- the fuzz
BAD_SCALARS = [math.nan, math.inf, -math.inf, "0.5", b"1", True, False, 1j, {"a": 1},
               [1, [2, 3]], (), [], object(), np.float64("nan"), np.array([math.nan])]


def _with_a_nan(arr):
    arr = arr.copy()
    arr.flat[0] = np.nan
    return arr


bad_values = st.one_of(
    st.sampled_from(BAD_SCALARS),
    st.text(max_size=5),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
               elements=st.floats(-10, 10)).map(_with_a_nan),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, max_side=3),
               elements=st.floats(-10, 10)),  # a wrong shape for every answer here
)


def _returns(value):
    return lambda *args, **kwargs: value


def _raises(kind):
    def student(*args, **kwargs):
        raise kind("student's bug")

    return student


bad_functions = st.one_of(bad_values.map(_returns),
                          st.sampled_from([ValueError, KeyError, ZeroDivisionError,
                                           IndexError]).map(_raises))
bad_answers = st.one_of(bad_values, bad_functions)


def _cases():
    """Every checker with valid other arguments: ``(name, call(answer))``."""
    k = tl.kappas("erf")
    task = tl.make_source(6, 10, rng=0)
    W = np.random.default_rng(1).standard_normal((4, 10))
    X, y = task.sample(20, rng=2)
    F = np.random.default_rng(3).standard_normal((3, 10))
    alpha = np.array([0.5, 1.0, 2.0, 4.0])
    diff = np.array([0.05, 0.02, -0.01, -0.02])  # crosses: nan is wrong here
    return {
        "hmm.check_kappa1": hmm.check_kappa1,
        "hmm.check_hmm_sampler": hmm.check_hmm_sampler,
        "chmm.check_teacher_perturbation": chmm.check_teacher_perturbation,
        "chmm.check_label_agreement": partial(chmm.check_label_agreement, delta=0.3),
        "chmm.check_overlap_prediction": chmm.check_overlap_prediction,
        "chmm.check_composed_target": chmm.check_composed_target,
        "networks.check_feature_map": networks.check_feature_map,
        "networks.check_alignment": lambda a: networks.check_alignment(a, W, F),
        "networks.check_tl_readout": lambda a: networks.check_tl_readout(a, W, X, y, 0.1),
        "networks.check_n_test": lambda a: networks.check_n_test(a, 0.2, 0.01),
        "networks.check_parameter_counts": networks.check_parameter_counts,
        "phenomena.check_crossover": lambda a: phenomena.check_crossover(a, alpha, diff),
        "phenomena.check_effective_rank": lambda a: phenomena.check_effective_rank(a, W),
        "phenomena.check_equal_overlap_addition":
            lambda a: phenomena.check_equal_overlap_addition(a, 10, 2),
        "phenomena.check_feature_overlap": phenomena.check_feature_overlap,
        "realdata.check_standard_error": lambda a: realdata.check_standard_error(a, 0.2, 100),
        "realdata.check_standardiser": realdata.check_standardiser,
        "realdata.check_label_correlation":
            lambda a: realdata.check_label_correlation(a, [0, 1, 2], [1, 2, 3]),
        "realdata.check_uncorrelated_grouping": realdata.check_uncorrelated_grouping,
        "theory.check_kappas": theory_ex.check_kappas,
        "theory.check_kappas (second)":
            lambda a: theory_ex.check_kappas(k.kappa0, a, k.kappa_star),
        "theory.check_omega": lambda a: theory_ex.check_omega(a, W, task),
        "theory.check_ridge_error": lambda a: theory_ex.check_ridge_error(a, 2.0, 0.1),
        "theory.check_best_lambda":
            lambda a: theory_ex.check_best_lambda(a, W, task, lams=(0.01, 1.0)),
        "theory.check_prox": theory_ex.check_prox,
        "theory.check_ridge_optimum": theory_ex.check_ridge_optimum,
        "depth.check_trained_counts": depth.check_trained_counts,
        "depth.check_deep_features": depth.check_deep_features,
        "depth.check_resolved": depth.check_resolved,
        "noise.check_noisy_error": noise.check_noisy_error,
        "noise.check_noisy_ridge_penalty": noise.check_noisy_ridge_penalty,
        "noise.check_noisy_partition": noise.check_noisy_partition,
    }


CASES = _cases()
EXAMPLES = {"theory.check_best_lambda": 15, "chmm.check_teacher_perturbation": 30}


def test_the_fuzz_covers_every_checker():
    found = set()
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"tlcourse.exercises.{info.name}")
        found |= {f"{info.name}.{name}" for name, fn in inspect.getmembers(module)
                  if name.startswith("check_") and exercises.is_checker(fn)
                  and fn.__module__ == module.__name__}
    assert found <= {name.split(" ")[0] for name in CASES}, found - set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_checker_says_correct_or_crashes_on_a_bad_answer(name):
    call = CASES[name]

    @settings(derandomize=True, max_examples=EXAMPLES.get(name, 60), deadline=None,
              suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(bad_answers)
    def check(answer):
        fb = call(answer)
        assert isinstance(fb, Feedback), fb
        assert not fb, (answer, fb)
        assert fb.message and not fb.message.startswith("Correct")

    check()


def test_the_theory_reference_checkers_still_pass_right_answers():
    # the fuzz's fixed arguments admit a right answer: the checkers judge, not just refuse
    task = tl.make_source(6, 10, rng=0)
    W = np.random.default_rng(1).standard_normal((4, 10))
    Omega, _ = theory.feature_covariances(W, task)
    assert CASES["theory.check_omega"](Omega)
    assert CASES["networks.check_n_test"](1600)
