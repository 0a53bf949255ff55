"""Checkers for the exercises of part V, chapter *Noisy labels*.

- :func:`check_noisy_error`: a function ``noisy_error(error, p)`` giving the test error against
  labels flipped with probability ``p`` from the error against the teacher's clean labels;
- :func:`check_noisy_ridge_penalty`: a function ``optimal_penalty(p)`` giving the penalty that
  minimises the test error of ridge regression on isotropic features with flipped labels;
- :func:`check_noisy_partition`: a function ``Z0(y, omega, V, p)`` giving the teacher's output
  partition function of the noisy channel (the ★★★ derivation).

Every checker given ``None`` or ``...`` (an untouched starter stub) answers "not attempted yet";
a checker that runs a student's function reports the exception it raised instead of raising it.
"""

from __future__ import annotations

import math

from scipy.special import erfc

from . import Feedback, checker, close, first_mistake, function, numeric

_CASES_ERROR = ((0.1, 0.05), (0.25, 0.1), (0.3, 0.2), (0.0, 0.3), (0.4, 0.45))
_CASES_PENALTY = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4)
_CASES_PARTITION = tuple((y, omega, V, p) for y in (1.0, -1.0) for omega in (-2.0, 0.3, 1.5)
                         for V in (0.2, 1.0, 3.0) for p in (0.0, 0.1, 0.3))


def _values(student, cases, name: str) -> list[float]:
    """The student's values at each case (a tuple of arguments), read as finite numbers."""
    out = []
    for args in cases:
        where = ", ".join(f"{a:g}" for a in args)
        out.append(numeric(student(*args), f"what {name} returned for ({where})"))
    return out


def _verdict(values, cases, reference, mistakes, what: str, *, atol: float = 0.0,
             rtol: float = 0.0) -> Feedback:
    """Correct if every value matches ``reference(*case)``; else the first named mistake
    ``(function of the case, tag, message)`` that every value matches; else the first miss."""
    def matches(f) -> bool:
        return all(close(v, f(*c), atol=atol, rtol=rtol)
                   for v, c in zip(values, cases, strict=True))

    if matches(reference):
        return Feedback(True, f"{what} matches on {len(cases)} cases.", "correct")
    found = first_mistake(mistakes, matches, is_reference=lambda f: all(
        close(f(*c), reference(*c), atol=atol, rtol=rtol) for c in cases))
    if found is not None:
        return found
    v, c = next((v, c) for v, c in zip(values, cases, strict=True)
                if not close(v, reference(*c), atol=atol, rtol=rtol))
    where = ", ".join(f"{a:g}" for a in c)
    return Feedback(False, f"at ({where}) expected {reference(*c):.6g}, got {v:.6g}.", "unknown")


def noisy_error(error: float, p: float) -> float:
    """The reference of :func:`check_noisy_error`: ``p + (1 - 2 p) error``."""
    return p + (1.0 - 2.0 * p) * error


@checker
def check_noisy_error(noisy) -> Feedback:
    """Check ``noisy(error, p)``: the test error against labels flipped with probability ``p``
    of a classifier whose error against the clean labels is ``error``, to ``1e-9``.

    A prediction disagrees with a noisy label when it is wrong and the label kept (``(1 - p)
    error``) or right and the label flipped (``p (1 - error)``). Names ``error + p``, ``(1 - p)
    error`` (the flips that turn a mistake into a hit forgotten) and ``(1 - 2 p) error``.
    """
    function(noisy, "noisy", "(error, p) -> noisy error")
    values = _values(noisy, _CASES_ERROR, "noisy")
    return _verdict(values, _CASES_ERROR, noisy_error, [
        (lambda e, p: e + p, "sum", "errors and flips do not simply add: a flipped label on a "
         "mistake turns it into a hit."),
        (lambda e, p: (1 - p) * e + p, "no_cancel", "a flip on a wrong prediction makes it agree "
         "with the noisy label: count p (1 - error), not p."),
        (lambda e, p: (1 - p) * e, "flips_forgotten", "you counted only the mistakes whose label "
         "was kept; a right prediction whose label was flipped is a mistake too."),
        (lambda e, p: (1 - 2 * p) * e, "floor_forgotten", "even a perfect classifier (error 0) "
         "disagrees with a fraction p of the noisy labels."),
    ], "p + (1 - 2p) error", atol=1e-9)


def noisy_ridge_penalty(p: float) -> float:
    """The reference of :func:`check_noisy_ridge_penalty`: ``pi / (2 (1 - 2 p)^2) - 1``."""
    return math.pi / (2.0 * (1.0 - 2.0 * p) ** 2) - 1.0


@checker
def check_noisy_ridge_penalty(optimal_penalty) -> Feedback:
    """Check ``optimal_penalty(p)``: the penalty that minimises the test error of ridge
    regression on isotropic Gaussian features (``Omega = Phi = I``), sign teacher, labels flipped
    with probability ``p``, to a relative ``1e-6``, at six ``p`` in [0, 0.4].

    The labels are ``y = c nu / sqrt(rho) + eps`` with ``c = (1 - 2 p) sqrt(2 / pi)`` and ``eps``
    uncorrelated of variance ``1 - c^2``: the optimum is the noise-to-signal ratio
    ``(1 - c^2) / c^2``, whatever the sample ratio (tests/test_exercises_noise.py checks it
    against the solver). Names the clean optimum ``pi/2 - 1`` at every ``p``, ``(1 - 2 p)``
    unsquared, ``(1 - p)`` in place of ``(1 - 2 p)``, and the ratio upside down.
    """
    function(optimal_penalty, "optimal_penalty", "(p) -> lam")
    cases = [(p,) for p in _CASES_PENALTY]
    values = _values(optimal_penalty, cases, "optimal_penalty")

    def c2(p, power=2, keep=2.0):
        return (1 - keep * p) ** power * 2 / math.pi

    return _verdict(values, cases, noisy_ridge_penalty, [
        (lambda p: math.pi / 2 - 1, "clean", "this is the clean optimum pi/2 - 1: the flips move "
         "signal into noise, and the optimum with them."),
        (lambda p: 1 / c2(p, power=1) - 1, "unsquared", "the signal's share is the square of "
         "the correlation, (1 - 2p)^2 2/pi."),
        (lambda p: 1 / c2(p, keep=1.0) - 1, "one_minus_p", "a flip does not only remove signal: "
         "it reverses it, so the correlation is (1 - p) - p = 1 - 2p."),
        (lambda p: c2(p) / (1 - c2(p)), "inverted", "the ratio is upside down: noise over "
         "signal, (1 - c^2) / c^2."),
    ], "lam* = pi / (2 (1 - 2p)^2) - 1", rtol=1e-6)


def noisy_partition(y: float, omega: float, V: float, p: float) -> float:
    """The reference of :func:`check_noisy_partition`:
    ``Z0 = p + (1 - 2 p) erfc(-y omega / sqrt(2 V)) / 2``."""
    return p + (1.0 - 2.0 * p) * 0.5 * erfc(-y * omega / math.sqrt(2.0 * V))


@checker
def check_noisy_partition(partition) -> Feedback:
    """Check ``partition(y, omega, V, p)``: the teacher's output partition function of the noisy
    channel, ``Z0(y, omega, V) = int dnu N(nu; omega, V) P(y | nu)`` with ``P(y | nu) = p + (1 -
    2 p) 1[y nu > 0]``, to ``1e-8``, on 54 cases (``y = +-1``, three ``omega``, ``V``, ``p``).

    Names the clean channel (``p`` ignored), ``(1 - p) Z0_clean`` (the flipped label's mass
    forgotten), ``(1 - p) Z0_clean + p`` (the flipped mass counted everywhere), ``V`` used as a
    standard deviation, and the label's sign lost.
    """
    function(partition, "partition", "(y, omega, V, p) -> Z0")
    values = _values(partition, _CASES_PARTITION, "partition")

    def clean(y, omega, V):
        return 0.5 * erfc(-y * omega / math.sqrt(2.0 * V))

    return _verdict(values, _CASES_PARTITION, noisy_partition, [
        (lambda y, om, V, p: clean(y, om, V), "clean", "this is the clean channel's Z0: with "
         "probability p the label is the other one."),
        (lambda y, om, V, p: (1 - p) * clean(y, om, V), "flip_mass_forgotten", "the label y "
         "also comes from a teacher field of the other sign, flipped: add p (1 - Z0_clean)."),
        (lambda y, om, V, p: (1 - p) * clean(y, om, V) + p, "flip_everywhere", "the flipped "
         "mass is p times the probability of the *other* sign, p (1 - Z0_clean), not p."),
        (lambda y, om, V, p: p + (1 - 2 * p) * 0.5 * erfc(-y * om / math.sqrt(2.0) / V),
         "variance_as_std", "V is the variance of the teacher field given omega: divide by "
         "sqrt(2 V)."),
        (lambda y, om, V, p: p + (1 - 2 * p) * 0.5 * erfc(-om / math.sqrt(2.0 * V)),
         "sign_lost", "Z0 depends on the label: the field must have the sign of y, erfc(-y "
         "omega / sqrt(2 V)) / 2."),
    ], "Z0 = p + (1 - 2p) erfc(-y omega / sqrt(2V)) / 2", atol=1e-8)
