"""Checkers for the exercises of the chapter *Correlated datasets (CHMM)*.

- :func:`check_teacher_perturbation`: a student's ``perturb(theta, delta, rng) -> theta_t``
  implementing ``theta_t = sqrt(1 - delta) theta + sqrt(delta) theta'`` with fresh ``theta'``;
- :func:`check_label_agreement`: the predicted probability that source and target label a sample
  alike under teacher perturbation, ``1 - arccos(sqrt(1 - delta)) / pi`` (large ``D``, where the
  teachers' cosine is ``sqrt(1 - delta)``), as a value or as a function of ``delta``;
- :func:`check_overlap_prediction`: a student's large-``D`` prediction of the three overlaps of a
  source and its teacher-perturbed target;
- :func:`check_composed_target`: the dimensions and shared fraction of a target made by latent
  deletion followed by latent addition.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_fraction, check_int
from . import Feedback, checker, close, first_mistake, function, numeric

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
    function(perturb, "perturb", "(theta, delta, rng) -> theta_t")
    theta = np.random.default_rng(7).standard_normal(_D_CHECK)
    D = theta.size
    calls = {"out": (_DELTA, 1), "again": (_DELTA, 1), "other": (_DELTA, 2), "zero": (0.0, 1)}
    try:
        got = {key: perturb(theta.copy(), *args) for key, args in calls.items()}
    except Exception as err:  # the student's code: report, do not crash the checker
        return Feedback(False, f"your function raised {type(err).__name__}: {err}.", "error")
    got = {key: numeric(value, f"what your function returned for delta = {calls[key][0]}, "
                        f"rng = {calls[key][1]}", shape=None) for key, value in got.items()}
    out, again, other, zero = got["out"], got["again"], got["other"], got["zero"]

    if out.shape != (D,):
        return Feedback(False, f"the output has shape {out.shape}, expected the teacher's ({D},).",
                        "shape")
    if not close(out, again):
        return Feedback(False, "two calls with the same rng gave different teachers: draw theta' "
                        "from np.random.default_rng(rng), not from a global random state.",
                        "not_reproducible")
    if close(out, other, rtol=1e-5, atol=1e-8):
        return Feedback(False, "rng = 1 and rng = 2 gave the same teacher: theta' must be fresh "
                        "noise drawn from rng, not a fixed vector.", "not_fresh")
    cos, norm2 = _stats(theta, out)
    tol_cos = 6 * _DELTA / math.sqrt(D)
    tol_norm = 6 * (1 + 2 * _DELTA) / math.sqrt(D)
    right_cos = math.sqrt(1 - _DELTA)
    if close(cos, right_cos, atol=tol_cos) and close(norm2, 1, atol=tol_norm):
        if not close(zero, theta, rtol=1e-5, atol=1e-8):
            return Feedback(False, "right at delta = 0.36, but at delta = 0 the target teacher "
                            "must be the source teacher.", "delta_zero")
        return Feedback(True, f"cosine with theta {cos:.4f} (expected sqrt(1 - delta) = "
                        f"{right_cos:.4f}), squared norm ratio {norm2:.4f} (expected 1).",
                        "correct")
    a, b = 1 - _DELTA, _DELTA
    no_sqrt = (a / math.hypot(a, b), a**2 + b**2)
    if close(cos, no_sqrt[0], atol=tol_cos) and close(norm2, no_sqrt[1], atol=tol_norm):
        return Feedback(False, "weights (1 - delta) and delta do not preserve the norm of the "
                        "teacher; use sqrt(1 - delta) and sqrt(delta).", "missing_sqrt")
    if close(cos, math.sqrt(_DELTA), atol=tol_cos):
        return Feedback(False, f"cosine {cos:.3f} = sqrt(delta): the weights are swapped; "
                        "sqrt(1 - delta) multiplies theta and sqrt(delta) the fresh noise.",
                        "swapped")
    if cos > 1 - tol_cos:
        return Feedback(False, "the target teacher is parallel to theta: theta' must be "
                        "independent noise, not theta itself.", "noise_not_independent")
    if close(cos, right_cos, atol=tol_cos):
        return Feedback(False, f"the direction is right but the squared norm ratio is {norm2:.3g}, "
                        "not 1: do not rescale; with theta' standard Gaussian like theta, the "
                        "weights sqrt(1 - delta) and sqrt(delta) keep the norm.", "norm")
    return Feedback(False, f"cosine with theta {cos:.4f}, expected sqrt(1 - delta) = "
                    f"{right_cos:.4f}; squared norm ratio {norm2:.4f}, expected 1.", "unknown")


_AGREEMENT_DELTAS = (0.05, 0.5, 0.9)  # where a function of delta is evaluated


@checker
def check_label_agreement(value, delta: float | None = None,
                          n_samples: int | None = None) -> Feedback:
    """Check a predicted (or, with ``n_samples``, simulated) label-agreement rate at ``delta``.

    ``value`` is a number (then ``delta`` is required) or a function ``delta -> agreement``,
    evaluated at ``delta = 0.05, 0.5, 0.9`` (the first wrong value is reported; an exception it
    raises is reported, not propagated). Tolerance: ``1e-3`` for a prediction, four binomial
    standard errors for a simulation on ``n_samples`` samples. Names the disagreement rate, a
    missing square root, degrees or a missing ``1/pi``, a factor 2 in the angle, and the cosine
    itself.
    """
    if callable(value):
        for d in _AGREEMENT_DELTAS if delta is None else (delta,):
            try:
                got = value(d)
            except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
                return Feedback(False, f"your function raised {type(err).__name__}: {err} "
                                f"(called with delta = {d}).", "error")
            got = numeric(got, f"what your function returned for delta = {d} (the fraction of "
                          "samples labelled alike)")
            fb = check_label_agreement(got, d, n_samples)
            if not fb:
                return Feedback(False, f"at delta = {d}: {fb.message}", fb.diagnosis)
        return Feedback(True, "your agreement matches 1 - arccos(sqrt(1 - delta))/pi at delta = "
                        + ", ".join(map(str, _AGREEMENT_DELTAS)) + ".", "correct")
    if delta is None:
        raise TypeError("delta is required when value is a number")
    delta = check_fraction(delta, "delta")
    value = numeric(value, "value (a number or a function of delta)")
    ref = 1 - math.acos(math.sqrt(1 - delta)) / math.pi
    if n_samples is None:
        tol = 1e-3
    else:
        n_samples = check_int(n_samples, "n_samples", low=1)
        tol = max(4 * math.sqrt(ref * (1 - ref) / n_samples), 1e-3)
    if close(value, ref, atol=tol):
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
    found = first_mistake(candidates, lambda t: close(value, t, atol=tol),
                          is_reference=lambda t: close(t, ref, atol=2 * tol),
                          prefix=f"{value:.4f}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4f}, expected {ref:.4f} (tolerance {tol:.1e}). Two labels "
                    "sign(theta_s . c) and sign(theta_t . c) differ when c falls between the two "
                    "hyperplanes.", "unknown")


_OVERLAP_KEYS = ("shared_fraction", "feature_overlap", "teacher_cosine")
_OVERLAP_DELTAS = (0.36, 0.75, 0.0)  # informative values first: at 0 some slips coincide


@checker
def check_overlap_prediction(predict) -> Feedback:
    """Check ``predict(teacher_perturbation) -> dict`` of large-``D`` overlaps.

    The dict holds ``shared_fraction``, ``feature_overlap`` and ``teacher_cosine`` of a source
    and its target with only the teacher perturbed: ``1``, ``1`` and ``sqrt(1 - delta)``
    (the large-``D`` values of :func:`tlcourse.data.overlaps`), checked at ``delta = 0.36, 0.75,
    0`` within ``1e-3``. Names: ``1 - delta`` or ``delta`` for the cosine, ``sqrt(delta)``,
    a feature overlap that moves with the teacher knob, missing keys, an exception raised.
    """
    function(predict, "predict", "(teacher_perturbation) -> dict")
    for d in _OVERLAP_DELTAS:
        try:
            got = predict(d)
        except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
            return Feedback(False, f"your function raised {type(err).__name__}: {err} (called "
                            f"with teacher_perturbation = {d}).", "error")
        if not isinstance(got, dict) or any(k not in got for k in _OVERLAP_KEYS):
            return Feedback(False, f"return a dict with the keys {', '.join(_OVERLAP_KEYS)}; got "
                            f"{got!r}.", "keys")
        vals = {k: numeric(got[k], f"the {k} your function returned for teacher_perturbation "
                           f"= {d}") for k in _OVERLAP_KEYS}
        cos_ref = math.sqrt(1 - d)
        for key in ("shared_fraction", "feature_overlap"):
            if not close(vals[key], 1, atol=1e-3):
                hint = (" Teacher perturbation leaves F untouched: the feature overlap stays 1."
                        if key == "feature_overlap" else
                        " No latent direction is added or removed: all are shared.")
                return Feedback(False, f"at teacher_perturbation = {d}, {key} = {vals[key]:.4f}, "
                                f"expected 1.{hint}", key)
        c = vals["teacher_cosine"]
        if close(c, cos_ref, atol=1e-3):
            continue
        candidates = [
            (1 - d, "one_minus_delta", "1 - delta is the squared cosine; the cosine is "
             "sqrt(1 - delta)."),
            (math.sqrt(d), "sqrt_delta", "sqrt(delta) is the weight of the fresh teacher; the "
             "cosine with the source teacher is sqrt(1 - delta)."),
            (d, "delta", "delta is the knob itself; the cosine is sqrt(1 - delta)."),
        ]
        found = first_mistake(candidates, lambda t, c=c: close(c, t, atol=1e-3),
                              is_reference=lambda t, ref=cos_ref: close(t, ref, atol=2e-3),
                              prefix=f"teacher_cosine at delta = {d} is {c:.4f}: ")
        if found is not None:
            return found
        return Feedback(False, f"teacher_cosine at delta = {d} is {c:.4f}, expected "
                        f"{cos_ref:.4f}: theta and theta' are nearly orthogonal and of equal "
                        "length at large D.", "unknown")
    return Feedback(True, "shared fraction 1, feature overlap 1, teacher cosine sqrt(1 - delta) "
                    "at every delta tried.", "correct")


_COMPOSED_CASES = ((100, 30, 50), (100, 50, 10), (40, 0, 40), (60, 20, 0))


@checker
def check_composed_target(dims) -> Feedback:
    """Check ``dims(D, r, a) -> (D_t, D_shared, shared_fraction)`` for a target made with
    ``latent_removed=r`` then ``latent_added=a`` from a source of latent dimension ``D``.

    The reference is :func:`tlcourse.data.overlaps` of real tasks (``D_b``, ``D_shared``,
    ``shared_fraction``), tried on four ``(D, r, a)``. Names: addition applied before deletion
    (the added directions counted as shared), a fraction over the source's or the target's
    dimension only, an exception raised.
    """
    from ..data import make_source, make_target, overlaps

    function(dims, "dims", "(D, r, a) -> (D_t, D_shared, fraction)")
    for D, r, a in _COMPOSED_CASES:
        src = make_source(D, 3, rng=0)
        ov = overlaps(src, make_target(src, latent_removed=r, latent_added=a, rng=0))
        ref = (ov["D_b"], ov["D_shared"], ov["shared_fraction"])
        try:
            got = dims(D, r, a)
        except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
            return Feedback(False, f"your function raised {type(err).__name__}: {err} (called "
                            f"with D, r, a = {D}, {r}, {a}); return three numbers.", "error")
        got = numeric(got, f"what your function returned for D, r, a = {D}, {r}, {a}",
                      shape=None)
        if got.shape != (3,):
            return Feedback(False, f"return three numbers (D_t, D_shared, shared_fraction), got "
                            f"{got.size}.", "shape")
        where = f"for D, r, a = {D}, {r}, {a}: "
        if close(got, ref, rtol=1e-5, atol=1e-8):
            continue
        D_t, shared, frac = got.tolist()
        if D_t != ref[0]:
            if D_t == D + a:
                return Feedback(False, where + f"D_t = {D_t:g}: the deletion of r = {r} "
                                "directions comes first; D_t = D - r + a.", "no_deletion")
            return Feedback(False, where + f"D_t = {D_t:g}, expected {ref[0]}: the target keeps "
                            "D - r source directions and gains a fresh ones.", "D_t")
        if shared != ref[1]:
            if shared == D:
                return Feedback(False, where + "deleted directions are not shared: D_shared = "
                                "D - r.", "deleted_shared")
            if shared == D - r + a:
                return Feedback(False, where + "added directions are fresh, not shared: "
                                "D_shared = D - r.", "added_shared")
            return Feedback(False, where + f"D_shared = {shared:g}, expected {ref[1]}.",
                            "D_shared")
        if math.isclose(frac, ref[1] / D) and not math.isclose(frac, ref[2]):
            return Feedback(False, where + "the shared fraction divides by the larger of the two "
                            "dimensions, max(D, D_t), not always by the source's D.",
                            "fraction_source")
        if math.isclose(frac, ref[1] / ref[0]) and not math.isclose(frac, ref[2]):
            return Feedback(False, where + "the shared fraction divides by the larger of the two "
                            "dimensions, max(D, D_t), not always by the target's D_t.",
                            "fraction_target")
        return Feedback(False, where + f"shared fraction {frac:.4f}, expected {ref[2]:.4f} = "
                        "D_shared / max(D, D_t).", "fraction")
    return Feedback(True, "D_t = D - r + a, D_shared = D - r and the shared fraction "
                    "D_shared / max(D, D_t), for every case tried.", "correct")
