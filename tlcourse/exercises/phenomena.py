"""Checkers for the exercises of part IV (*When does transfer help?*, *Negative transfer*).

- :func:`check_crossover`: the crossing of two learning curves, interpolated by the student;
- :func:`check_effective_rank`: the participation ratio of the singular values of a first layer;
- :func:`check_equal_overlap_addition`: how many latent directions to add so that a latent
  addition shares the same fraction of directions as a given latent deletion.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import phenomena, stats
from .._checks import check_int
from . import Feedback, first_mistake

_REL_TOL = 1e-3  # exact answers (interpolation, closed forms) must be this close, relatively


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _REL_TOL * max(abs(b), 1e-12)


def check_crossover(value, alpha, diff) -> Feedback:
    """Check the crossing ``alpha*`` of a curve difference ``diff`` (e.g. ``eps_2L - eps_TL``).

    The reference is the first point where ``diff`` goes from > 0 to <= 0, interpolated linearly
    in ``log alpha`` between the two bracketing points (as :func:`tlcourse.stats.crossover`).
    Named mistakes: interpolating linearly in ``alpha``, giving a grid point instead of the
    interpolated crossing, and the crossing's value in ``log alpha`` instead of ``alpha``.
    """
    value = _real(value, "value")
    alpha = np.asarray(alpha, dtype=float)
    diff = np.asarray(diff, dtype=float)
    ref = stats.crossover(alpha, diff, np.zeros_like(diff), n_draws=1).x
    if ref is None:
        raise ValueError("diff does not go from > 0 to <= 0 on this grid: no crossing to check")
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


def check_effective_rank(value, W) -> Feedback:
    """Check the participation ratio ``(sum s_i^2)^2 / sum s_i^4`` of a first layer ``W``.

    Named mistakes: using the singular values ``s`` instead of their squares, the inverse
    ratio, a fraction of ``min(W.shape)``, and the numerical rank of ``W``.
    """
    value = _real(value, "value")
    W = np.asarray(W, dtype=float)
    ref = phenomena.effective_rank(W)
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


def check_equal_overlap_addition(added, D: int, removed: int) -> Feedback:
    """Check ``added``: latent directions to add to a source of dimension ``D`` so that the pair
    shares the same fraction of latent directions as deleting ``removed`` of them.

    Shared fraction (``tlcourse.overlaps``): ``(D - r) / D`` for a deletion of ``r``,
    ``D / (D + a)`` for an addition of ``a``; equal when ``a = D r / (D - r)``. Any integer
    within 1/2 of it is right. Named mistakes: ``a = r`` and ``a = D - r``.
    """
    D = check_int(D, "D", low=2)
    removed = check_int(removed, "removed", low=1, high=D)
    added = _real(added, "added")
    ref = D * removed / (D - removed)
    if abs(added - ref) <= 0.5:
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


__all__ = ["check_crossover", "check_effective_rank", "check_equal_overlap_addition"]
