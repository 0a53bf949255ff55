"""Checkers for the exercises of part IV (*When does transfer help?*, *Negative transfer*).

- :func:`check_crossover`: the crossing of two learning curves, interpolated by the student (a
  value, or a function ``crossing(alpha, diff)`` run on test cases);
- :func:`check_effective_rank`: the participation ratio of the singular values of a first layer;
- :func:`check_equal_overlap_addition`: how many latent directions to add so that a latent
  addition shares the same fraction of directions as a given latent deletion;
- :func:`check_feature_overlap`: a function giving the expected feature overlap of a target made
  by feature substitution or feature perturbation.

Every checker given ``None`` or ``...`` (an untouched starter stub) answers "not attempted yet";
a checker that runs a student's function reports the exception it raised instead of raising it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import firstlayer, stats
from .._checks import check_int
from . import Feedback, checker, close, first_mistake, function, is_number, numeric

_REL_TOL = 1e-3  # exact answers (interpolation, closed forms) must be this close, relatively


_NOT_ATTEMPTED = Feedback(False, "not attempted yet: replace the ... by your code and run the "
                          "cell again.", "not_attempted")


def _untouched(value) -> bool:
    return value is None or value is Ellipsis


def _raised(err: Exception) -> Feedback:
    return Feedback(False, f"your function raised {type(err).__name__}: {err}.", "raised")


def _close(a: float, b: float) -> bool:
    return close(a, b, atol=_REL_TOL * max(abs(b), 1e-12))


# test cases of a student's crossing function: (alpha, diff), crossing at the reference
_CROSSOVER_CASES = (
    (np.array([0.5, 1.0, 2.0, 4.0, 8.0]), np.array([0.08, 0.05, 0.02, -0.01, -0.03])),
    (np.array([1.0, 3.0, 9.0, 27.0]), np.array([0.04, 0.03, 0.01, 0.0])),  # touches zero
    (np.array([0.5, 1.0, 2.0, 4.0]), np.array([-0.01, 0.02, -0.01, -0.02])),  # starts below
    (np.array([0.5, 1.0, 2.0, 4.0]), np.array([0.05, 0.04, 0.03, 0.02])),  # never crosses
)


@checker
def check_crossover(value, alpha=None, diff=None) -> Feedback:
    """Check the crossing ``alpha*`` of a curve difference ``diff`` (e.g. ``eps_2L - eps_TL``).

    ``value``: a number (then ``alpha`` and ``diff`` are the grid and the difference it was
    computed from; ``nan`` if the student says the curves do not cross) or a function
    ``crossing(alpha, diff)`` returning such a number, which is run on fixed test cases (a
    geometric grid, a difference that touches zero, one that starts below zero, one that never
    crosses) and on ``(alpha, diff)`` if given. ``None`` or ``...`` (an untouched stub) is "not
    attempted yet".

    The reference is the first point where ``diff`` goes from > 0 to <= 0, interpolated linearly
    in ``log alpha`` between the two bracketing points (as :func:`tlcourse.stats.crossover`).
    Named mistakes: interpolating linearly in ``alpha``, giving a grid point instead of the
    interpolated crossing, the crossing's value in ``log alpha``, a crossing where there is none.
    """
    if callable(value):
        cases = list(_CROSSOVER_CASES)
        if alpha is not None and diff is not None:
            cases.append((np.asarray(alpha, dtype=float), np.asarray(diff, dtype=float)))
        for a, d in cases:
            try:
                answer = value(a.copy(), d.copy())
            except Exception as err:  # the student's code: report, do not crash
                return _raised(err)
            if _untouched(answer):
                return _NOT_ATTEMPTED
            fb = _check_crossing_value(answer, a, d)
            if not fb:
                return Feedback(False, f"on alpha = {a.tolist()}, diff = {d.tolist()}: "
                                f"{fb.message}", fb.diagnosis)
        return Feedback(True, f"your function finds the crossing in all {len(cases)} test "
                        "cases (including one that starts below zero and one that never "
                        "crosses).", "correct")
    if _untouched(value):
        return _NOT_ATTEMPTED
    if alpha is None or diff is None:
        raise TypeError("with a number as value, give alpha and diff too")
    return _check_crossing_value(value, np.asarray(alpha, dtype=float),
                                 np.asarray(diff, dtype=float))


def _check_crossing_value(value, alpha: np.ndarray, diff: np.ndarray) -> Feedback:
    ref = stats.crossover(alpha, diff).x
    if not is_number(value):
        return Feedback(False, f"the crossing must be a number (nan for no crossing), got "
                        f"{value!r}.", "type")
    value = float(value)
    if math.isinf(value):
        return Feedback(False, f"the crossing is {value}: give a number on the grid, or nan "
                        "for no crossing.", "nan")
    if ref is None:
        if math.isnan(value):
            return Feedback(True, "no crossing on this grid: right.", "correct")
        starts_below = diff[0] <= 0
        why = ("diff is already <= 0 at the first grid point: there is no change from > 0 to "
               "<= 0" if starts_below else "diff stays > 0 over the whole grid")
        return Feedback(False, f"{why}, so there is no crossing to report (return nan); "
                        "do not extrapolate beyond the grid.", "no_crossing")
    if math.isnan(value):
        return Feedback(False, f"diff does go from > 0 to <= 0 on this grid (near alpha = "
                        f"{ref:.3g}): interpolate the crossing.", "missed_crossing")
    if _close(value, ref):
        return Feedback(True, f"alpha* = {value:.4g} (reference {ref:.4g}).", "correct")
    i = int(np.argmax((diff[:-1] > 0) & (diff[1:] <= 0)))
    a0, a1, d0, d1 = alpha[i], alpha[i + 1], diff[i], diff[i + 1]
    linear = a0 + d0 / (d0 - d1) * (a1 - a0)
    candidates = [
        (linear, "linear_alpha",
         "you interpolated linearly in alpha; the grid is geometric, interpolate in log(alpha) "
         "and take the exponential."),
        (math.log(ref), "log_value", "this is log(alpha*): take the exponential."),
        (a0, "grid_before", "this is the last grid point before the crossing; interpolate "
         "between it and the next one."),
        (a1, "grid_after", "this is the first grid point after the crossing; interpolate "
         "between it and the previous one."),
    ]
    found = first_mistake(candidates, lambda t: _close(value, t),
                          is_reference=lambda t: _close(t, ref), prefix=f"{value:.4g}: ")
    if found is not None:
        return found
    if not a0 <= value <= a1:
        return Feedback(False, f"{value:.4g} is not between the grid points {a0:.3g} and {a1:.3g} "
                        "that bracket the first sign change of diff.", "outside_bracket")
    return Feedback(False, f"{value:.4g} lies in the right bracket but is not the linear "
                    f"interpolation in log(alpha) (reference {ref:.4g}).", "unknown")


@checker
def check_effective_rank(value, W) -> Feedback:
    """Check the participation ratio ``(sum s_i^2)^2 / sum s_i^4`` of a first layer ``W``.

    ``value``: a number, or a function ``effective_rank(W)`` (then it is run on ``W`` and the
    number it returns is checked). Named mistakes: using the singular values ``s`` instead of
    their squares, the inverse ratio, a fraction of ``min(W.shape)``, and the numerical rank of
    ``W``.
    """
    W = np.asarray(W, dtype=float)
    if callable(value):
        try:
            value = value(W.copy())
        except Exception as err:  # the student's code: report, do not crash
            return _raised(err)
    if _untouched(value):
        return _NOT_ATTEMPTED
    value = numeric(value, "the effective rank")
    ref = firstlayer.effective_rank(W)
    if _close(value, ref):
        return Feedback(True, f"effective rank {value:.4g} (reference {ref:.4g}).", "correct")
    s = np.linalg.svd(W, compute_uv=False)
    candidates = [
        (s.sum() ** 2 / (s**2).sum(), "singular_values",
         "you used the singular values s; the participation ratio weighs directions by their "
         "share of |W|^2, i.e. by s^2: (sum s^2)^2 / sum s^4."),
        (1.0 / ref, "inverse", "this is the inverse of the participation ratio."),
        (ref / min(W.shape), "fraction", f"this is a fraction of min(K, N) = {min(W.shape)}; "
         "the effective rank counts directions, it is not divided by the dimension."),
        (float(np.linalg.matrix_rank(W)), "matrix_rank",
         "this is the rank of W: every direction counts as one, however small its weight; the "
         "participation ratio (sum s^2)^2 / sum s^4 counts only the directions that matter."),
    ]
    found = first_mistake(candidates, lambda t: _close(value, t),
                          is_reference=lambda t: _close(t, ref), prefix=f"{value:.4g}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4g} differs from the participation ratio {ref:.4g} of the "
                    "squared singular values of W.", "unknown")


@checker
def check_equal_overlap_addition(added, D: int, removed: int) -> Feedback:
    """Check ``added``: latent directions to add to a source of dimension ``D`` so that the pair
    shares the same fraction of latent directions as deleting ``removed`` of them.

    Shared fraction (``tlcourse.overlaps``): ``(D - r) / D`` for a deletion of ``r``,
    ``D / (D + a)`` for an addition of ``a``; equal when ``a = D r / (D - r)``. Any integer
    within 1/2 of it is right. Named mistakes: ``a = r`` and ``a = D - r``.
    """
    D = check_int(D, "D", low=2)
    removed = check_int(removed, "removed", low=1, high=D)
    if _untouched(added):
        return _NOT_ATTEMPTED
    added = numeric(added, "added")
    ref = D * removed / (D - removed)
    if close(added, ref, atol=0.5):
        return Feedback(True, f"adding {added:g} directions gives a shared fraction "
                        f"{D / (D + added):.3f}, as deleting {removed} ({(D - removed) / D:.3f}).",
                        "correct")
    if added == removed:
        return Feedback(False, f"adding as many directions as you delete does not give the same "
                        f"shared fraction: {D}/({D}+{removed}) = {D / (D + removed):.3f} but "
                        f"({D}-{removed})/{D} = {(D - removed) / D:.3f}.", "same_count")
    if added == D - removed:
        return Feedback(False, f"{added:g} = D - r is the number of shared directions of the "
                        "deletion, not the number to add; solve D / (D + a) = (D - r) / D.",
                        "shared_count")
    if added < 0:
        return Feedback(False, "a number of added directions is >= 0.", "negative")
    frac = D / (D + added)
    return Feedback(False, f"adding {added:g} gives a shared fraction {frac:.3f}; the deletion "
                    f"gives {(D - removed) / D:.3f}. Solve D / (D + a) = (D - r) / D for a.",
                    "unknown")


_OVERLAP_KNOBS = ("feature_substitution", "feature_perturbation")
_OVERLAP_VALUES = (0.0, 0.19, 0.36, 0.75, 1.0)


@checker
def check_feature_overlap(expected_overlap) -> Feedback:
    """Check ``expected_overlap(knob, value)``: the feature overlap of :func:`tlcourse.overlaps`
    expected (large ``D`` and ``N``) for a target made with ``knob`` at ``value``.

    ``knob`` is ``"feature_substitution"`` (a fraction ``s`` of the rows of ``F`` replaced: the
    overlap is ``1 - s``) or ``"feature_perturbation"`` (``F_t = sqrt(1 - d) F + sqrt(d) F'``:
    the overlap is ``sqrt(1 - d)``). Named mistakes: ``1 - d`` for the perturbation (the weight
    of ``F`` is a square root), ``sqrt(1 - s)`` for the substitution, the changed fraction
    (``s`` or ``d``) instead of the kept one.
    """
    if _untouched(expected_overlap):
        return _NOT_ATTEMPTED
    function(expected_overlap, "expected_overlap", "(knob, value) -> overlap")
    refs = {"feature_substitution": lambda v: 1.0 - v,
            "feature_perturbation": lambda v: math.sqrt(1.0 - v)}
    wrong = {
        "feature_perturbation": [
            (lambda v: 1.0 - v, "no_sqrt", "F keeps the weight sqrt(1 - d), and the overlap is "
             "linear in that weight: sqrt(1 - d), not 1 - d."),
            (lambda v: v, "changed_fraction", "this is d, the weight of the fresh part; the "
             "overlap measures what is kept."),
            (lambda v: math.sqrt(v), "sqrt_changed", "this is sqrt(d), the weight of the fresh "
             "features F'; the overlap comes from the sqrt(1 - d) F that is kept."),
        ],
        "feature_substitution": [
            (lambda v: math.sqrt(1.0 - v), "sqrt_substitution", "a substituted row is either kept "
             "(overlap 1) or fresh (overlap 0): the mean over rows is 1 - s, with no square "
             "root."),
            (lambda v: v, "changed_fraction", "this is s, the fraction of rows replaced; the "
             "overlap counts the rows kept."),
        ],
    }
    for knob in _OVERLAP_KNOBS:
        for v in _OVERLAP_VALUES:
            try:
                answer = expected_overlap(knob, v)
            except Exception as err:  # the student's code: report, do not crash
                return _raised(err)
            if _untouched(answer):
                return _NOT_ATTEMPTED
            if not is_number(answer):
                return Feedback(False, f"expected_overlap({knob!r}, {v}) returned {answer!r}, "
                                "not a number.", "type")
            answer = numeric(answer, f"expected_overlap({knob!r}, {v})")
            ref = refs[knob](v)
            if close(answer, ref, atol=1e-6):
                continue
            found = first_mistake(
                [(f(v), tag, msg) for f, tag, msg in wrong[knob]],
                lambda t, a=answer: close(a, t, atol=1e-6),
                is_reference=lambda t, r=ref: close(t, r, atol=1e-6),
                prefix=f"{knob} = {v}: {answer:.4g}: ",
            )
            if found is not None:
                return found
            return Feedback(False, f"{knob} = {v}: {answer:.4g} differs from the expected "
                            f"overlap {ref:.4g}.", "unknown")
    return Feedback(True, "1 - s for a substitution, sqrt(1 - delta_F) for a perturbation.",
                    "correct")


__all__ = ["check_crossover", "check_effective_rank",
           "check_equal_overlap_addition", "check_feature_overlap"]
