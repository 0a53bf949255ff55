"""Checkers for the exercises of the chapter *Correlated datasets (CHMM)*.

- :func:`check_teacher_perturbation`: a student's ``perturb(theta, delta, rng) -> theta_t``
  implementing ``theta_t = sqrt(1 - delta) theta + sqrt(delta) theta'`` with fresh ``theta'``;
- :func:`check_label_agreement`: the predicted probability that source and target label a sample
  alike under teacher perturbation, ``1 - arccos(sqrt(1 - delta)) / pi`` (large ``D``, where the
  teachers' cosine is ``sqrt(1 - delta)``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import check_fraction, check_int
from . import Feedback, checker, first_mistake

_D_CHECK = 40_000  # large, so that cosines and norms fluctuate by well under 1%
_DELTA = 0.36  # sqrt(1 - 0.36) = 0.8: the mistakes below give clearly different cosines


def _stats(theta, out):
    cos = float(theta @ out / (np.linalg.norm(theta) * np.linalg.norm(out)))
    return cos, float(np.linalg.norm(out) ** 2 / np.linalg.norm(theta) ** 2)


@checker
def check_teacher_perturbation(perturb) -> Feedback:
    """Check ``perturb(theta, delta, rng) -> theta_t`` (``rng`` an int seed).

    The reference is ``theta_t = sqrt(1 - delta) theta + sqrt(delta) theta'``, with ``theta'``
    i.i.d. standard Gaussian, drawn from ``rng``, independent of ``theta``. The checker runs it on a
    long teacher (``D = 40000``) and names: a wrong shape, not reproducible (global random state),
    not fresh (the same ``theta'`` whatever ``rng``), weights without square roots, swapped
    weights, ``theta'`` not independent of ``theta``, a rescaled output, and ``delta = 0`` not
    giving ``theta`` back.
    Tolerances are six standard deviations of the cosine (``delta / sqrt(D)``) and of the squared
    norm ratio (about ``(1 + 2 delta) / sqrt(D)``) at this ``D``.
    """
    if not callable(perturb):
        raise TypeError(
            f"perturb must be a function (theta, delta, rng) -> theta_t, got {perturb!r}"
        )
    theta = np.random.default_rng(7).standard_normal(_D_CHECK)
    D = theta.size
    try:
        out = np.asarray(perturb(theta.copy(), _DELTA, 1), dtype=float)
        again = np.asarray(perturb(theta.copy(), _DELTA, 1), dtype=float)
        other = np.asarray(perturb(theta.copy(), _DELTA, 2), dtype=float)
        zero = np.asarray(perturb(theta.copy(), 0.0, 1), dtype=float)
    except Exception as err:  # the student's code: report, do not crash the checker
        return Feedback(False, f"your function raised {type(err).__name__}: {err}.", "error")

    if out.shape != (D,):
        return Feedback(False, f"the output has shape {out.shape}, expected the teacher's ({D},).",
                        "shape")
    if not np.array_equal(out, again):
        return Feedback(False, "two calls with the same rng gave different teachers: draw theta' "
                        "from np.random.default_rng(rng), not from a global random state.",
                        "not_reproducible")
    if np.allclose(out, other):
        return Feedback(False, "rng = 1 and rng = 2 gave the same teacher: theta' must be fresh "
                        "noise drawn from rng, not a fixed vector.", "not_fresh")
    cos, norm2 = _stats(theta, out)
    tol_cos = 6 * _DELTA / math.sqrt(D)
    tol_norm = 6 * (1 + 2 * _DELTA) / math.sqrt(D)
    right_cos = math.sqrt(1 - _DELTA)
    if abs(cos - right_cos) <= tol_cos and abs(norm2 - 1) <= tol_norm:
        if not np.allclose(zero, theta):
            return Feedback(False, "right at delta = 0.36, but at delta = 0 the target teacher "
                            "must be the source teacher.", "delta_zero")
        return Feedback(True, f"cosine with theta {cos:.4f} (expected sqrt(1 - delta) = "
                        f"{right_cos:.4f}), squared norm ratio {norm2:.4f} (expected 1).",
                        "correct")
    a, b = 1 - _DELTA, _DELTA
    no_sqrt = (a / math.hypot(a, b), a**2 + b**2)
    if abs(cos - no_sqrt[0]) <= tol_cos and abs(norm2 - no_sqrt[1]) <= tol_norm:
        return Feedback(False, "weights (1 - delta) and delta do not preserve the norm of the "
                        "teacher; use sqrt(1 - delta) and sqrt(delta).", "missing_sqrt")
    if abs(cos - math.sqrt(_DELTA)) <= tol_cos:
        return Feedback(False, f"cosine {cos:.3f} = sqrt(delta): the weights are swapped; "
                        "sqrt(1 - delta) multiplies theta and sqrt(delta) the fresh noise.",
                        "swapped")
    if cos > 1 - tol_cos:
        return Feedback(False, "the target teacher is parallel to theta: theta' must be "
                        "independent noise, not theta itself.", "noise_not_independent")
    if abs(cos - right_cos) <= tol_cos:
        return Feedback(False, f"the direction is right but the squared norm ratio is {norm2:.3g}, "
                        "not 1: do not rescale; with theta' standard Gaussian like theta, the "
                        "weights sqrt(1 - delta) and sqrt(delta) keep the norm.", "norm")
    return Feedback(False, f"cosine with theta {cos:.4f}, expected sqrt(1 - delta) = "
                    f"{right_cos:.4f}; squared norm ratio {norm2:.4f}, expected 1.", "unknown")


@checker
def check_label_agreement(value: float, delta: float, n_samples: int | None = None) -> Feedback:
    """Check a predicted (or, with ``n_samples``, simulated) label-agreement rate at ``delta``.

    Tolerance: ``1e-3`` for a prediction, four binomial standard errors for a simulation on
    ``n_samples`` samples. Names the disagreement rate, a missing square root, degrees or a
    missing ``1/pi``, a factor 2 in the angle, and the cosine itself.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number, got {value!r}")
    value = float(value)
    delta = check_fraction(delta, "delta")
    ref = 1 - math.acos(math.sqrt(1 - delta)) / math.pi
    if n_samples is None:
        tol = 1e-3
    else:
        n_samples = check_int(n_samples, "n_samples", low=1)
        tol = max(4 * math.sqrt(ref * (1 - ref) / n_samples), 1e-3)
    if abs(value - ref) <= tol:
        return Feedback(True, f"{value:.4f} (reference 1 - arccos(sqrt(1 - delta))/pi = "
                        f"{ref:.4f}, tolerance {tol:.1e}).", "correct")
    angle = math.acos(math.sqrt(1 - delta))
    candidates = [
        (1 - ref, "disagreement", "this is the probability that the labels DIFFER."),
        (1 - math.acos(1 - delta) / math.pi, "missing_sqrt",
         "the cosine between the teachers is sqrt(1 - delta), not 1 - delta."),
        (1 - angle, "missing_pi", "divide the angle by pi: labels differ with probability "
         "angle / pi."),
        (1 - angle / (2 * math.pi), "factor_2", "labels differ with probability angle / pi, "
         "not angle / (2 pi): the half-plane boundaries cross twice on the circle."),
        (math.sqrt(1 - delta), "cosine", "this is the cosine between the teachers; the agreement "
         "is 1 - arccos(cosine)/pi."),
        (1 - delta, "one_minus_delta", "1 - delta is neither the cosine nor the agreement; the "
         "agreement is 1 - arccos(sqrt(1 - delta))/pi."),
    ]
    found = first_mistake(candidates, lambda t: abs(value - t) <= tol,
                          is_reference=lambda t: abs(t - ref) <= 2 * tol, prefix=f"{value:.4f}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4f}, expected {ref:.4f} (tolerance {tol:.1e}). Two labels "
                    "sign(theta_s . c) and sign(theta_t . c) differ when c falls between the two "
                    "hyperplanes.", "unknown")
