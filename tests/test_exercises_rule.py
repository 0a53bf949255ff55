"""The shared rule of every exercise checker (tlcourse.exercises.checker): an untouched starter
stub is "not attempted yet", a student's exception is reported, not raised."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import tlcourse as tl
import tlcourse.exercises as ex
from tlcourse.exercises import NOT_ATTEMPTED, RAISED, Feedback, checker, is_checker


def all_checkers():
    """(module.name, function) of every public check_* function of tlcourse.exercises."""
    found = []
    for info in pkgutil.iter_modules(ex.__path__):
        module = importlib.import_module(f"tlcourse.exercises.{info.name}")
        for name, fn in vars(module).items():
            own = inspect.isfunction(fn) and fn.__module__ == module.__name__
            if name.startswith("check_") and own:
                found.append((f"{info.name}.{name}", fn))
    return found


CHECKERS = all_checkers()
IDS = [name for name, _ in CHECKERS]


def stub(*args, **kwargs):
    """An untouched starter stub: the body is `...`."""
    ...


def boom(*args, **kwargs):
    raise ZeroDivisionError("division by zero in the student's code")


def test_there_are_checkers():
    assert len(CHECKERS) >= 15, IDS


@pytest.mark.parametrize(("name", "fn"), CHECKERS, ids=IDS)
def test_every_checker_follows_the_rule(name, fn):
    assert is_checker(fn), f"{name} lacks @checker (tlcourse.exercises.checker)"


@pytest.mark.parametrize("blank", [None, ...])
@pytest.mark.parametrize(("name", "fn"), CHECKERS, ids=IDS)
def test_blank_answers_are_not_attempted(name, fn, blank):
    answers = fn.__tlcourse_checker__
    fb = fn(**{a: blank for a in answers})
    assert isinstance(fb, Feedback) and not fb and fb.diagnosis == NOT_ATTEMPTED, fb
    assert "not attempted yet" in str(fb)


# the checkers that run a student's function, with the arguments that go with it
_TASK = tl.make_source(8, 10, rng=0)
FUNCTION_CHECKERS = {
    "chmm.check_teacher_perturbation": {},
    "hmm.check_hmm_sampler": {},
    "networks.check_feature_map": {"activation": "erf"},
    "phenomena.check_crossover": {},
    "phenomena.check_effective_rank": {"W": np.eye(3)},
    "phenomena.check_feature_overlap": {},
    "realdata.check_standardiser": {},
    "realdata.check_uncorrelated_grouping": {},
    "theory.check_best_lambda": {"W": np.random.default_rng(0).standard_normal((6, 10)),
                                 "task": _TASK},
    "theory.check_prox": {},
}


@pytest.mark.parametrize("name", sorted(FUNCTION_CHECKERS))
def test_function_checkers_on_stub_and_raising_functions(name):
    fn = dict(CHECKERS)[name]
    fb = fn(stub, **FUNCTION_CHECKERS[name])
    assert not fb and fb.diagnosis == NOT_ATTEMPTED, fb
    assert "stub returned None" in fb.message
    fb = fn(boom, **FUNCTION_CHECKERS[name])
    assert not fb and "ZeroDivisionError" in fb.message and "division by zero" in fb.message, fb


# --- the decorator on toy checkers ---------------------------------------------------------------
@checker
def check_double(fn, x: float = 2.0) -> Feedback:
    """Toy: fn(x) must be 2 x."""
    if x < 0:
        raise ValueError(f"x must be >= 0, got {x}")
    ok = fn(x) == 2 * x
    return Feedback(ok, "2 x" if ok else "not 2 x", "correct" if ok else "unknown")


@checker(answers=("a", "b"))
def check_pair(a, b, scale: float = 1.0) -> Feedback:
    """Toy: a + b == scale."""
    ok = a + b == scale
    return Feedback(ok, "sum", "correct" if ok else "unknown")


@checker
def check_catches_itself(fn) -> Feedback:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return Feedback(False, f"own handler: {exc}", "error")
    return Feedback(True, "ran", "correct")


def test_right_and_wrong_answers_pass_through():
    assert check_double(lambda x: 2 * x)
    fb = check_double(lambda x: x)
    assert not fb and fb.diagnosis == "unknown"
    assert check_pair(0.25, 0.75) and not check_pair(1, 1)


def test_stub_function_and_blank_values():
    for answer in (stub, lambda x: None, lambda x: ..., functools.partial(stub, 1)):
        fb = check_double(answer)
        assert not fb and fb.diagnosis == NOT_ATTEMPTED, fb
    assert check_pair(None, 1).diagnosis == NOT_ATTEMPTED
    assert check_pair(1, b=...).diagnosis == NOT_ATTEMPTED
    assert check_catches_itself(stub).diagnosis == NOT_ATTEMPTED  # not swallowed as an error


def test_student_exception_is_reported():
    fb = check_double(boom)
    assert not fb and fb.diagnosis == RAISED
    assert fb.message.startswith("boom raised ZeroDivisionError: division by zero")

    def chained(x):
        try:
            return {}["key"]
        except KeyError as err:
            raise RuntimeError("wrapped") from err

    assert check_double(chained).diagnosis == RAISED
    # a checker that handles the student's exception itself keeps its own feedback
    assert check_catches_itself(boom).diagnosis == "error"


def test_checker_errors_still_raise():
    with pytest.raises(ValueError, match="x must be >= 0, got -1"):
        check_double(lambda x: 2 * x, -1.0)

    @checker
    def check_buggy(fn) -> Feedback:
        fn(1.0)
        return {}["missing"]  # the checker's own bug, after the student's call

    with pytest.raises(KeyError):
        check_buggy(lambda x: 2 * x)


def test_decorator_keeps_name_signature_and_checks_answers():
    assert check_double.__name__ == "check_double" and "2 x" in check_double.__doc__
    assert list(inspect.signature(check_double).parameters) == ["fn", "x"]
    assert check_pair.__tlcourse_checker__ == ("a", "b") and is_checker(check_pair)
    assert not is_checker(np.mean)
    with pytest.raises(ValueError, match="answers must name parameters"):
        checker(answers=("nope",))(lambda a: Feedback(True, "", "correct"))
