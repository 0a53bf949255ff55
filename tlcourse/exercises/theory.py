"""Checkers for the exercises of part III (Gaussian equivalence, the replica formula).

- :func:`check_kappas`: the Gaussian coefficients ``kappa0, kappa1, kappa_star`` of an activation;
- :func:`check_omega`: a student's ``Omega = E[v v^T]`` of erf features on a task, against the
  exact two-step formula, naming the usual slips (missing ``1/N``, the linearised inputs,
  ``kappa1^2`` instead of the arcsin kernel, forgetting the diagonal);
- :func:`check_ridge_error`: the test error of ridge regression on isotropic Gaussian covariates,
  solved by hand from the square-loss saddle-point equations.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import activations
from .._checks import check_choice, check_positive
from ..data import Task
from ..theory import feature_covariances, input_moments, solve_gcm
from . import Feedback, first_mistake

_EXACT_TOL = 1e-3


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    return float(value)


def check_kappas(kappa0: float, kappa1: float, kappa_star: float,
                 activation: str = "erf") -> Feedback:
    """Check ``(kappa0, kappa1, kappa_star)`` of ``activation`` to ``1e-3`` (quadrature accuracy).

    Names the usual slips: ``kappa_star`` squared or without removing ``kappa1^2``, ``kappa1``
    computed as ``E[phi'(xi)]`` with the wrong variance, coefficients in the wrong order.
    """
    values = [_real(v, n) for v, n in ((kappa0, "kappa0"), (kappa1, "kappa1"),
                                       (kappa_star, "kappa_star"))]
    check_choice(activation, "activation", activations.ACTIVATIONS)
    ref = activations.kappas(activation)
    refs = [ref.kappa0, ref.kappa1, ref.kappa_star]
    if all(abs(v - r) <= _EXACT_TOL for v, r in zip(values, refs, strict=True)):
        return Feedback(True, f"kappa0 = {refs[0]:.4f}, kappa1 = {refs[1]:.4f}, "
                        f"kappa_star = {refs[2]:.4f} for {activation}.", "correct")
    k0, k1, ks = values
    second = ref.kappa_star**2 + ref.kappa1**2 + ref.kappa0**2  # E phi(xi)^2
    if abs(k0 - ref.kappa0) > _EXACT_TOL:
        return Feedback(False, f"kappa0 = E[phi(xi)] should be {ref.kappa0:.4f}, got {k0:.4f}.",
                        "kappa0")
    if abs(k1 - ref.kappa1) > _EXACT_TOL:
        if abs(k1 - ref.kappa_star) <= _EXACT_TOL and abs(ks - ref.kappa1) <= _EXACT_TOL:
            return Feedback(False, "kappa1 and kappa_star are swapped.", "swapped")
        if abs(k1 - ref.kappa1**2) <= _EXACT_TOL:
            return Feedback(False, "kappa1 is squared: kappa1 = E[xi phi(xi)].", "kappa1_squared")
        return Feedback(False, f"kappa1 = E[xi phi(xi)] should be {ref.kappa1:.4f}, got {k1:.4f}.",
                        "kappa1")
    if abs(ks - ref.kappa_star**2) <= _EXACT_TOL:
        return Feedback(False, "this is kappa_star squared; take the square root.", "squared")
    if abs(ks - math.sqrt(max(second - ref.kappa0**2, 0.0))) <= _EXACT_TOL:
        return Feedback(False, "kappa_star^2 = E[phi^2] - kappa0^2 - kappa1^2: the kappa1^2 term "
                        "is missing.", "missing_kappa1")
    if abs(ks - math.sqrt(second)) <= _EXACT_TOL:
        return Feedback(False, "kappa_star^2 = E[phi^2] - kappa0^2 - kappa1^2: you took "
                        "sqrt(E[phi^2]).", "raw_second_moment")
    return Feedback(False, f"kappa_star should be {ref.kappa_star:.4f}, got {ks:.4f}.",
                    "kappa_star")


def check_omega(Omega, W, task: Task) -> Feedback:
    """Check a student's ``Omega = E[v v^T]`` (K, K) of features ``v = erf(W x / sqrt(N))``.

    The reference is :func:`tlcourse.theory.feature_covariances` (analytic, exact input moments);
    tolerance ``1e-6`` relative to its largest entry. Names a wrong shape, a missing ``1/N``
    in ``Sigma_h``, linearised inputs, the linearised feature kernel ``kappa1^2 Sigma_h``, and a
    diagonal left out of the arcsin law.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    W = np.asarray(W, dtype=np.float64)
    Omega = np.asarray(Omega, dtype=np.float64)
    ref, _ = feature_covariances(W, task, activation="erf")
    K = ref.shape[0]
    if Omega.shape != ref.shape:
        return Feedback(False, f"Omega must be (K, K) = ({K}, {K}) (one row per feature), got "
                        f"shape {Omega.shape}.", "shape")
    scale = np.abs(ref).max()

    def close(a):
        return np.abs(Omega - a).max() <= 1e-6 * scale

    if close(ref):
        return Feedback(True, f"Omega matches the two-step formula ({K} x {K}).", "correct")
    Sigma_x, _ = input_moments(task)
    Sigma_h = W @ Sigma_x @ W.T / task.N
    wrong = [
        (_erf_kernel(W @ Sigma_x @ W.T), "missing_1_over_N",
         "Sigma_h = W Sigma_x W^T / N: the 1/N of h = W x / sqrt(N) is missing."),
        (feature_covariances(W, task, activation="erf", linearised=True)[0], "linearised_inputs",
         "you used the linearised input covariance kappa1^2 F^T F/D + kappa_star^2 I; at finite "
         "D use the exact one, (2/pi) arcsin of the column cosines of F."),
        (activations.kappas("erf").kappa1**2 * Sigma_h, "linear_kernel",
         "this is kappa1^2 Sigma_h, the linearised feature kernel; the learned units are strongly "
         "correlated, use the exact arcsin law of erf."),
    ]
    diag_fixed = ref.copy()
    np.fill_diagonal(diag_fixed, 1.0)
    wrong.append((diag_fixed, "diagonal",
                  "the diagonal is E[erf(h_k)^2] = (2/pi) arcsin(2 S_kk / (1 + 2 S_kk)), not 1: "
                  "the arcsin law holds for k = l too."))
    found = first_mistake(wrong, close)
    if found is not None:
        return found
    if close(ref.T) or np.abs(Omega - Omega.T).max() > 1e-6 * scale:
        return Feedback(False, "Omega must be symmetric.", "not_symmetric")
    err = np.abs(Omega - ref).max()
    return Feedback(False, f"largest deviation {err:.3g} from the reference (entries up to "
                    f"{scale:.3g}).", "unknown")


def _erf_kernel(S):
    d = 1.0 + 2.0 * np.diag(S)
    return (2 / math.pi) * np.arcsin(np.clip(2 * S / np.sqrt(np.outer(d, d)), -1, 1))


def check_ridge_error(value: float, alpha: float, lam: float) -> Feedback:
    """Check the test error of ridge regression (square loss) on isotropic Gaussian covariates.

    Setting: ``Omega = Phi = Psi = I_p``, a sign teacher, ``n = alpha p`` samples, penalty
    ``lam``; the reference is :func:`tlcourse.theory.solve_gcm` with ``loss="square"``, tolerance
    ``1e-4``. Names an error returned in percent or as ``1 - error``, and the logistic loss's
    error in place of the square loss's.
    """
    value = _real(value, "value")
    alpha = check_positive(alpha, "alpha")
    lam = check_positive(lam, "lam")
    p = 200
    theta = np.ones(p)  # rho = 1; only rho matters when Omega = Phi = I
    # n / p = n / N here: the features are the inputs themselves
    res = solve_gcm(np.eye(p), np.eye(p), theta, samples_per_feature=alpha, lam=lam,
                    loss="square")
    ref = res.test_error
    if abs(value - ref) <= 1e-4:
        return Feedback(True, f"test error {ref:.4f} (m = {res.m:.4f}, q = {res.q:.4f}, "
                        f"V = {res.V:.4f}).", "correct")
    logistic = solve_gcm(np.eye(p), np.eye(p), theta, samples_per_feature=alpha,
                         lam=lam).test_error
    candidates = [
        (100 * ref, "percent", "this is the error in percent; give a fraction in [0, 1/2]."),
        (1 - ref, "accuracy", "this is the accuracy, 1 - error."),
        (logistic, "logistic", "this is the logistic loss's error; the exercise asks for the "
         "square loss, whose hats have closed forms."),
    ]
    found = first_mistake(candidates, lambda t: abs(value - t) <= 1e-4,
                          is_reference=lambda t: abs(t - ref) <= 2e-4, prefix=f"{value:.4f}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4f} differs from the reference {ref:.4f}; check the fixed "
                    "point (m, q, V) and the formula arccos(m / sqrt(rho q)) / pi.", "unknown")
