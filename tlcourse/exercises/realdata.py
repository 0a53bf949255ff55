"""Checkers for the exercises of the real-data chapters (*Transfer learning on real data*,
*Back to real data*).

- :func:`check_standard_error`: the standard error of a test error measured on ``n_test``
  held-out images;
- :func:`check_standardiser`: a student's function ``standardise(source_images, images)`` that
  standardises images with statistics of the source, as :class:`tlcourse.realdata.Standardiser`;
- :func:`check_label_correlation`: the correlation of the ±1 labels of two groupings of the
  classes, as :func:`tlcourse.realdata.label_correlation`;
- :func:`check_uncorrelated_grouping`: a grouping of the classes whose labels are uncorrelated
  with a target grouping.

Every checker given ``None`` or ``...`` (an untouched starter stub) answers "not attempted yet";
a checker that runs a student's function reports the exception it raised instead of raising it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import realdata
from .._checks import check_fraction, check_int
from . import Feedback, checker, close, first_mistake, function, numeric

_TOL = 1e-6  # relative tolerance of an exact computation


_NOT_ATTEMPTED = Feedback(False, "not attempted yet: replace the ... by your code and run the "
                          "cell again.", "not_attempted")


def _untouched(value) -> bool:
    return value is None or value is Ellipsis


def _close(a: float, b: float) -> bool:
    return close(a, b, rtol=_TOL, atol=1e-12)


@checker
def check_standard_error(value, error: float, n_test: int) -> Feedback:
    """Check ``value`` = the standard error of a test error ``error`` measured on ``n_test``
    held-out images: ``sqrt(error (1 - error) / n_test)`` (each image is a Bernoulli trial).

    Known mistakes are named: the variance instead of its square root, ``n_test - 1``, a
    division by ``n_test`` instead of its square root, a percentage, ``sqrt(error / n_test)``.
    """
    error = check_fraction(error, "error")
    n_test = check_int(n_test, "n_test", low=2)
    if _untouched(value):
        return _NOT_ATTEMPTED
    value = numeric(value, "value")
    var = error * (1 - error)
    ref = math.sqrt(var / n_test)
    if _close(value, ref):
        return Feedback(True, f"{value:.4g} = sqrt(e (1 - e) / n_test) with e = {error:.4g}, "
                        f"n_test = {n_test}.", "correct")
    mistakes = [
        (var / n_test, "variance",
         "this is the variance e (1 - e) / n_test; the standard error is its square root."),
        (math.sqrt(var / (n_test - 1)), "n_minus_one",
         "you divided by n_test - 1: the error rate of n_test Bernoulli trials has variance "
         "e (1 - e) / n_test."),
        (math.sqrt(var) / n_test, "divide_by_n",
         "you divided the standard deviation by n_test; divide it by sqrt(n_test)."),
        (100 * ref, "percent", "this is the right value in per cent; give it as a fraction."),
        (math.sqrt(error / n_test), "no_one_minus_e",
         "the variance of a Bernoulli trial is e (1 - e), not e."),
        (math.sqrt(var), "no_n",
         "this is the spread of one image's outcome; the error rate averages n_test of them."),
    ]
    found = first_mistake(mistakes, lambda w: _close(value, w), prefix=f"{value:.4g}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4g} is not sqrt(e (1 - e) / n_test) = {ref:.4g}; each "
                    "held-out image is a Bernoulli trial that fails with probability e.",
                    "unknown")


def _fixed_images(rng: int) -> tuple[np.ndarray, np.ndarray]:
    """Two small sets of images with different statistics (pixels of different scales)."""
    g = np.random.default_rng(rng)
    scales = np.linspace(0.5, 4.0, 12)
    source = g.normal(2.0, 1.0, size=(40, 12)) * scales
    other = g.normal(3.0, 1.5, size=(25, 12)) * scales
    return source, other


@checker
def check_standardiser(standardise) -> Feedback:
    """Check ``standardise(source_images, images)``: ``images`` centred by the per-pixel mean of
    ``source_images`` and divided by one global scale, the root mean (over pixels) of the
    per-pixel variances of ``source_images``. Both inputs are (n, N) arrays; the output has the
    shape of ``images``.

    The checker runs it on fixed arrays whose statistics differ and names known mistakes:
    statistics of ``images`` instead of the source, a per-pixel scale, no centring, no scaling,
    the standard deviation of all pixels pooled, a transposed output.
    """
    if _untouched(standardise):
        return _NOT_ATTEMPTED
    function(standardise, "standardise", "(source_images, images) -> images")
    source, other = _fixed_images(0)
    ref = realdata.Standardiser.fit(source)(other)
    try:
        out = standardise(source.copy(), other.copy())
    except Exception as err:  # the student's code: report, do not crash the checker
        return Feedback(False, f"your function raised {type(err).__name__}: {err}.", "raised")
    if _untouched(out):
        return _NOT_ATTEMPTED
    out = numeric(out, "the output", shape=None)
    if out.shape != other.shape:
        hint = " (transposed?)" if out.shape == other.shape[::-1] else ""
        return Feedback(False, f"the output has shape {out.shape}, expected {other.shape}{hint}.",
                        "shape")
    if close(out, ref, rtol=1e-6, atol=1e-9):
        return Feedback(True, "images centred by the source's per-pixel mean and divided by its "
                        "global scale.", "correct")
    mu, scale = source.mean(0), np.sqrt(source.var(0).mean())
    mistakes = [
        (realdata.Standardiser.fit(other)(other), "target_statistics",
         "you used the statistics of the images being standardised; use those of the source "
         "images, so that source and target inputs go through the same map (and nothing is "
         "learned from the target's test images)."),
        ((other - mu) / source.std(0), "per_pixel_scale",
         "you divided each pixel by its own standard deviation; use one global scale, "
         "sqrt(mean over pixels of the per-pixel variances)."),
        ((other - source.mean()) / source.std(), "pooled",
         "you used the mean and standard deviation of all pixels pooled; centre each pixel by "
         "its own mean, then divide by sqrt(mean of the per-pixel variances)."),
        (other / scale, "no_centring", "you did not subtract the source's per-pixel mean."),
        (other - mu, "no_scaling", "you centred the images but did not divide by the scale."),
        ((other - mu) / scale**2, "variance",
         "you divided by the mean variance; divide by its square root."),
    ]
    found = first_mistake(mistakes, lambda w: close(out, w, rtol=1e-6, atol=1e-9))
    if found is not None:
        return found
    err = float(np.max(np.abs(out - ref)))
    return Feedback(False, f"the output differs from the reference by up to {err:.3g}.",
                    "unknown")


@checker
def check_label_correlation(value, positive_a, positive_b, classes=range(10)) -> Feedback:
    """Check ``value`` = the correlation of the ±1 labels of two groupings of ``classes``, every
    class equally likely (:func:`tlcourse.realdata.label_correlation`).

    Known mistakes are named: the fraction of classes on which the labels agree, the mean
    product of the labels without centring, the absolute value.
    """
    if _untouched(value):
        return _NOT_ATTEMPTED
    value = numeric(value, "value")
    ref = realdata.label_correlation(positive_a, positive_b, classes)
    if close(value, ref, atol=1e-6):
        return Feedback(True, f"correlation {value:.4f}.", "correct")
    classes = np.unique(np.asarray(list(classes)))
    a = realdata.grouping_labels(classes, positive_a)
    b = realdata.grouping_labels(classes, positive_b)
    mistakes = [
        (float(np.mean(a == b)), "agreement",
         "this is the fraction of classes on which the labels agree; the correlation also "
         "accounts for how often each label occurs: corr = cov(a, b) / (std a std b)."),
        (float(np.mean(a * b)), "not_centred",
         "this is mean(a b) without subtracting the means of a and b first: the groupings are "
         "not balanced, so the means are not zero."),
        (abs(ref), "absolute", "the sign matters here: it is negative when one grouping is "
         "close to the other with the labels swapped."),
    ]
    found = first_mistake(mistakes, lambda w: close(value, w, atol=1e-6),
                          is_reference=lambda w: close(w, ref, atol=1e-6),
                          prefix=f"{value:.4f}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4f} is not the correlation {ref:.4f} of the two labellings.",
                    "unknown")


@checker
def check_uncorrelated_grouping(positive, target=range(5), classes=range(10)) -> Feedback:
    """Check ``positive``: classes of a source grouping whose ±1 labels are uncorrelated with the
    target grouping ``target`` (:func:`tlcourse.realdata.label_correlation` exactly 0).

    ``positive`` may also be a function with no argument returning the classes. With a balanced
    target the correlation vanishes when the source's positive classes hold as many of the
    target's positive classes as of its negative ones. Named slips: a class outside ``classes``,
    none or all of the classes, the target itself or its complement, and any other correlation
    (with its value).
    """
    if callable(positive):
        try:
            positive = positive()
        except Exception as err:  # the student's code: report, do not crash the checker
            return Feedback(False, f"your function raised {type(err).__name__}: {err}.", "raised")
    if _untouched(positive):
        return _NOT_ATTEMPTED
    classes = np.unique(np.asarray(list(classes)))
    if isinstance(positive, str | bytes) or not hasattr(positive, "__iter__"):
        return Feedback(False, f"give the grouping as a collection of classes, e.g. [0, 5], "
                        f"got {positive!r}.", "type")
    positive = list(positive)
    odd = [c for c in positive if isinstance(c, bool) or not isinstance(c, numbers.Integral)]
    if odd:
        return Feedback(False, f"classes are integers; {odd[0]!r} is not one.", "type")
    group = {int(c) for c in positive}
    outside = sorted(group - set(classes.tolist()))
    if outside:
        return Feedback(False, f"the classes {outside} are not among {classes.tolist()}.",
                        "unknown_class")
    if not group or group == set(classes.tolist()):
        return Feedback(False, "a grouping must put some but not all of the classes on the "
                        "'yes' side: otherwise every label is the same and there is nothing to "
                        "correlate.", "constant")
    rho = realdata.label_correlation(group, target, classes)
    tgt = {int(c) for c in target}
    if abs(rho) <= 1e-9:
        return Feedback(True, f"{sorted(group)}: label correlation 0 with the target "
                        f"{sorted(tgt)}.", "correct")
    if abs(abs(rho) - 1) <= 1e-9:
        return Feedback(False, f"{sorted(group)} is the target grouping itself"
                        + (" with the answers swapped" if rho < 0 else "")
                        + f": correlation {rho:+.2f}, as related as can be.", "same_task")
    inside = len(group & tgt)
    return Feedback(False, f"{sorted(group)} has label correlation {rho:+.3f} with the target: "
                    f"it holds {inside} of the target's 'yes' classes and {len(group) - inside} "
                    "of its 'no' classes; make the two counts equal.", "correlated")
