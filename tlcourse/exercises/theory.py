"""Checkers for the exercises of part III (Gaussian equivalence, the replica formula).

- :func:`check_kappas`: the Gaussian coefficients ``kappa0, kappa1, kappa_star`` of an activation;
- :func:`check_omega`: a student's ``Omega = E[v v^T]`` of erf features on a task, against the
  exact two-step formula, naming the usual slips (missing ``1/N``, the linearised inputs,
  ``kappa1^2`` instead of the arcsin kernel, forgetting the diagonal);
- :func:`check_ridge_error`: the test error of ridge regression on isotropic Gaussian covariates,
  solved by hand from the square-loss saddle-point equations;
- :func:`check_best_lambda`: the penalty with the lowest theory test error of transfer learning;
- :func:`check_prox`: the proximal map of the logistic loss;
- :func:`check_ridge_optimum`: the penalty that minimises the isotropic ridge test error.

Every checker answers "not attempted yet" for an untouched starter stub (``None`` or ``...``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations
from .._checks import check_positive
from ..data import Task
from ..theory import feature_covariances, input_moments, solve_gcm
from . import Feedback, checker, close, first_mistake, function, numeric

_EXACT_TOL = 1e-3


@checker(answers=("kappa0",))
def check_kappas(kappa0, kappa1: float | None = None, kappa_star: float | None = None,
                 activation: str = "erf") -> Feedback:
    """Check ``(kappa0, kappa1, kappa_star)`` of ``activation`` to ``1e-3`` (quadrature accuracy).

    The three values may also come as one tuple, ``check_kappas(my_kappas(), activation=...)``.

    Names the usual slips: ``kappa_star`` squared or without removing ``kappa1^2``, ``kappa1``
    computed as ``E[phi'(xi)]`` with the wrong variance, coefficients in the wrong order.
    """
    ref = activations.kappas(activation)  # checks the name
    packed = isinstance(kappa0, tuple | list) or getattr(kappa0, "ndim", 0) == 1
    if packed and kappa1 is None and kappa_star is None:  # one tuple, list or array of three
        if len(kappa0) != 3:
            return Feedback(False, f"return three values (kappa0, kappa1, kappa_star), got "
                            f"{len(kappa0)}.", "shape")
        kappa0, kappa1, kappa_star = kappa0
    for v in (kappa0, kappa1, kappa_star):
        if _unattempted(v) is not None:
            return _unattempted(v)
    values = [numeric(v, n) for v, n in ((kappa0, "kappa0"), (kappa1, "kappa1"),
                                         (kappa_star, "kappa_star"))]
    refs = [ref.kappa0, ref.kappa1, ref.kappa_star]
    if close(values, refs, atol=_EXACT_TOL):
        return Feedback(True, f"kappa0 = {refs[0]:.4f}, kappa1 = {refs[1]:.4f}, "
                        f"kappa_star = {refs[2]:.4f} for {activation}.", "correct")
    k0, k1, ks = values
    second = ref.kappa_star**2 + ref.kappa1**2 + ref.kappa0**2  # E phi(xi)^2
    if not close(k0, ref.kappa0, atol=_EXACT_TOL):
        return Feedback(False, f"kappa0 = E[phi(xi)] should be {ref.kappa0:.4f}, got {k0:.4f}.",
                        "kappa0")
    if not close(k1, ref.kappa1, atol=_EXACT_TOL):
        if close(k1, ref.kappa_star, atol=_EXACT_TOL) and close(ks, ref.kappa1, atol=_EXACT_TOL):
            return Feedback(False, "kappa1 and kappa_star are swapped.", "swapped")
        if close(k1, ref.kappa1**2, atol=_EXACT_TOL):
            return Feedback(False, "kappa1 is squared: kappa1 = E[xi phi(xi)].", "kappa1_squared")
        return Feedback(False, f"kappa1 = E[xi phi(xi)] should be {ref.kappa1:.4f}, got {k1:.4f}.",
                        "kappa1")
    if close(ks, ref.kappa_star**2, atol=_EXACT_TOL):
        return Feedback(False, "this is kappa_star squared; take the square root.", "squared")
    if close(ks, math.sqrt(max(second - ref.kappa0**2, 0.0)), atol=_EXACT_TOL):
        return Feedback(False, "kappa_star^2 = E[phi^2] - kappa0^2 - kappa1^2: the kappa1^2 term "
                        "is missing.", "missing_kappa1")
    if close(ks, math.sqrt(second), atol=_EXACT_TOL):
        return Feedback(False, "kappa_star^2 = E[phi^2] - kappa0^2 - kappa1^2: you took "
                        "sqrt(E[phi^2]).", "raw_second_moment")
    return Feedback(False, f"kappa_star should be {ref.kappa_star:.4f}, got {ks:.4f}.",
                    "kappa_star")


@checker
def check_omega(Omega, W, task: Task) -> Feedback:
    """Check a student's ``Omega = E[v v^T]`` (K, K) of features ``v = erf(W x / sqrt(N))``.

    The reference is :func:`tlcourse.theory.feature_covariances` (analytic, exact input moments);
    tolerance ``1e-6`` relative to its largest entry. Names a wrong shape, a missing ``1/N``
    in ``Sigma_h``, linearised inputs, the linearised feature kernel ``kappa1^2 Sigma_h``, and a
    diagonal left out of the arcsin law.
    """
    if _unattempted(Omega) is not None:
        return _unattempted(Omega)
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    W = np.asarray(W, dtype=np.float64)
    ref, _ = feature_covariances(W, task, activation="erf")
    Omega = numeric(Omega, "Omega", shape=None)
    K = ref.shape[0]
    if Omega.shape != ref.shape:
        return Feedback(False, f"Omega must be (K, K) = ({K}, {K}) (one row per feature), got "
                        f"shape {Omega.shape}.", "shape")
    scale = np.abs(ref).max()

    def near(a):
        return close(Omega, a, atol=1e-6 * scale)

    if near(ref):
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
    found = first_mistake(wrong, near)
    if found is not None:
        return found
    if near(ref.T) or np.abs(Omega - Omega.T).max() > 1e-6 * scale:
        return Feedback(False, "Omega must be symmetric.", "not_symmetric")
    err = np.abs(Omega - ref).max()
    return Feedback(False, f"largest deviation {err:.3g} from the reference (entries up to "
                    f"{scale:.3g}).", "unknown")


def _erf_kernel(S):
    d = 1.0 + 2.0 * np.diag(S)
    return (2 / math.pi) * np.arcsin(np.clip(2 * S / np.sqrt(np.outer(d, d)), -1, 1))


@checker
def check_ridge_error(value: float, alpha: float, lam: float) -> Feedback:
    """Check the test error of ridge regression (square loss) on isotropic Gaussian covariates.

    Setting: ``Omega = Phi = Psi = I_p``, a sign teacher, ``n = alpha p`` samples, penalty
    ``lam``; the reference is :func:`tlcourse.theory.solve_gcm` with ``loss="square"``, tolerance
    ``1e-4``. Names an error returned in percent or as ``1 - error``, and the logistic loss's
    error in place of the square loss's.
    """
    alpha = check_positive(alpha, "alpha")
    lam = check_positive(lam, "lam")
    if _unattempted(value) is not None:
        return _unattempted(value)
    value = numeric(value, "value")
    p = 200
    theta = np.ones(p)  # rho = 1; only rho matters when Omega = Phi = I
    # n / p = n / N here: the features are the inputs themselves
    res = solve_gcm(np.eye(p), np.eye(p), theta, samples_per_feature=alpha, lam=lam,
                    loss="square")
    ref = res.test_error
    if close(value, ref, atol=1e-4):
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
    found = first_mistake(candidates, lambda t: close(value, t, atol=1e-4),
                          is_reference=lambda t: close(t, ref, atol=2e-4),
                          prefix=f"{value:.4f}: ")
    if found is not None:
        return found
    return Feedback(False, f"{value:.4f} differs from the reference {ref:.4f}; check the fixed "
                    "point (m, q, V) and the formula arccos(m / sqrt(rho q)) / pi.", "unknown")


# ---------------------------------------------------------------- replica chapter: more checkers

_NOT_ATTEMPTED = "not attempted yet: fill in the function body (it returned {!r})."


def _unattempted(value) -> Feedback | None:
    """The "not attempted yet" feedback for an untouched starter stub (``None`` or ``...``)."""
    if value is None or value is Ellipsis:
        return Feedback(False, _NOT_ATTEMPTED.format(value), "not_attempted")
    return None


def _call(student, *args):
    """``(value, None)`` from calling the student's function, or ``(None, Feedback)``."""
    try:
        value = student(*args)
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        return None, Feedback(False, f"your function raised {type(exc).__name__}: {exc}",
                              "raised")
    found = _unattempted(value)
    return (None, found) if found is not None else (value, None)


LAMBDA_GRID = tuple(float(x) for x in np.geomspace(1e-3, 1e3, 13))


@checker
def check_best_lambda(best_lambda, W, task: Task, lams=LAMBDA_GRID) -> Feedback:
    """Check ``best_lambda(alpha, lams)``: the penalty of ``lams`` with the lowest theory error.

    The reference solves the Gaussian covariate model for the readout on the frozen layer ``W``
    (K, N) on ``task`` (``solve_gcm`` at ``n / K`` with ``n = alpha N``, logistic loss) at
    ``alpha = 1`` and ``alpha = 8``. Names the worst penalty returned instead of the best, a test
    error returned instead of a penalty, and ``alpha`` passed to the solver as ``n / N`` when
    ``K != N``. An untouched stub gets "not attempted yet"; an exception is reported.
    """
    if _unattempted(best_lambda) is not None:
        return _unattempted(best_lambda)
    function(best_lambda, "best_lambda", "(alpha, lams) -> lam")
    W = np.asarray(W, dtype=np.float64)
    K, N = W.shape
    lams = [check_positive(x, "lams") for x in lams]
    Omega, Phi = feature_covariances(W, task)
    messages = []
    for alpha in (1.0, 8.0):
        errors = [solve_gcm(Omega, Phi, task.theta, samples_per_feature=alpha * N / K,
                            lam=x).test_error
                  for x in lams]
        best = lams[int(np.argmin(errors))]
        value, fb = _call(best_lambda, alpha, list(lams))
        if fb is not None:
            return fb
        value = numeric(value, f"what your function returned for alpha = {alpha:g}")
        if close(value, best, rtol=1e-9):
            messages.append(f"alpha = {alpha:g}: lam = {best:.3g} (theory error "
                            f"{min(errors):.4f})")
            continue
        wrong = [(lams[int(np.argmax(errors))], "worst",
                  "this is the penalty with the *largest* error: take the argmin."),
                 (min(errors), "error_not_lambda",
                  "this is the smallest test error; return the penalty that achieves it.")]
        if K != N:
            alt = [solve_gcm(Omega, Phi, task.theta, samples_per_feature=alpha,
                             lam=x).test_error
                   for x in lams]
            wrong.append((lams[int(np.argmin(alt))], "alpha_not_rescaled",
                          "the solver's ratio is samples per feature, n / K = alpha N / K."))
        found = first_mistake(wrong, lambda t, v=value: close(v, t, rtol=1e-9),
                              is_reference=lambda t, b=best: close(t, b, rtol=1e-9),
                              prefix=f"alpha = {alpha:g}: ")
        if found is not None:
            return found
        return Feedback(False, f"alpha = {alpha:g}: expected lam = {best:.3g}, got {value:.3g}.",
                        "unknown")
    return Feedback(True, "; ".join(messages) + ".", "correct")


@checker
def check_prox(prox) -> Feedback:
    """Check ``prox(y, omega, V)``: the proximal map of the logistic loss, to ``1e-6``.

    ``eta = argmin_z (z - omega)^2 / (2 V) + log(1 + exp(-y z))``, evaluated on a grid of
    ``y = +-1``, ``omega`` in [-6, 6] and ``V`` in {0.1, 1, 10}. Names a step of the wrong sign
    (``omega - y V s``), the step taken from ``0`` instead of ``omega``, and ``omega`` returned
    unchanged. An untouched stub gets "not attempted yet"; an exception is reported.
    """
    from ..theory import logistic_prox

    if _unattempted(prox) is not None:
        return _unattempted(prox)
    function(prox, "prox", "(y, omega, V) -> eta")
    worst, cases = 0.0, []
    for y in (-1.0, 1.0):
        for V in (0.1, 1.0, 10.0):
            for omega in np.linspace(-6, 6, 13):
                value, fb = _call(prox, y, float(omega), V)
                if fb is not None:
                    return fb
                value = numeric(value, f"what your function returned for y = {y:g}, "
                                f"omega = {omega:g}, V = {V:g}")
                s = float(logistic_prox(np.array(y * omega), V))
                cases.append((y, omega, V, value, s))
    for y, omega, V, value, s in cases:
        worst = max(worst, abs(value - (omega + y * V * s)))
    if close(worst, 0, atol=1e-6):
        return Feedback(True, f"eta matches on {len(cases)} points (y = +-1, three V).",
                        "correct")

    def all_match(kind):
        return all(close(val, _prox_variant(kind, y, om, V, s), atol=1e-6)
                   for y, om, V, val, s in cases)

    found = first_mistake(
        [("minus", "wrong_sign", "the step has the wrong sign: the loss pulls the field towards "
          "the label, eta = omega + y V s with s in [0, 1]."),
         ("from_zero", "from_zero", "the step starts from omega: eta = omega + y V s, not y V s."),
         ("identity", "identity", "you returned omega itself: the loss must move it.")],
        all_match)
    if found is not None:
        return found
    return Feedback(False, f"largest deviation {worst:.3g} from the proximal map.", "unknown")


def _prox_variant(kind: str, y: float, omega: float, V: float, s: float) -> float:
    if kind == "minus":
        return omega - y * V * s
    if kind == "from_zero":
        return y * V * s
    return omega


# ------------------------------------------------ replica chapter: the optimal ridge penalty


@checker
def check_ridge_optimum(optimal_penalty) -> Feedback:
    """Check ``optimal_penalty(alpha_K)``: the penalty that minimises the isotropic ridge error.

    The reference is :func:`tlcourse.theory.ridge_optimal_penalty` (``pi/2 - 1`` at every
    ``alpha_K``), to a relative ``1e-3``, at ``alpha_K`` = 0.5, 2 and 8. Names the fixed point's
    ``V`` or ``V / (1 + V)`` returned instead of the penalty, the signal share ``2/pi``, the
    noise share ``1 - 2/pi``, the ratio upside down, the test error instead of the penalty, and a
    penalty that changes with ``alpha_K``. An untouched stub gets "not attempted yet"; an
    exception is reported.
    """
    from ..theory import ridge_isotropic, ridge_optimal_penalty

    if _unattempted(optimal_penalty) is not None:
        return _unattempted(optimal_penalty)
    function(optimal_penalty, "optimal_penalty", "(alpha_K) -> lam")
    best = ridge_optimal_penalty()
    values = {}
    for alpha in (0.5, 2.0, 8.0):
        value, fb = _call(optimal_penalty, alpha)
        if fb is not None:
            return fb
        values[alpha] = numeric(value, f"what your function returned for alpha_K = {alpha:g}")
    if all(close(v, best, rtol=1e-3) for v in values.values()):
        return Feedback(True, f"lam* = {best:.4f} = pi/2 - 1 at every alpha_K: noise "
                        "over signal.", "correct")
    for alpha, value in values.items():
        fixed = ridge_isotropic(alpha, best)
        wrong = [
            (fixed["V"], "V", "this is the fixed point's V; return the penalty lam at which the "
             "error is smallest."),
            (fixed["V"] / (1 + fixed["V"]), "chi", "this is V / (1 + V) at the optimum; turn it "
             "into a penalty with the equation of V."),
            (2 / math.pi, "signal", "this is the linear part's share 2/pi of the label; the "
             "penalty is the rest over it."),
            (1 - 2 / math.pi, "noise", "this is the noise share 1 - 2/pi; divide it by the "
             "signal share 2/pi."),
            (1 / best, "inverted", "the ratio is upside down: noise over signal, not signal over "
             "noise."),
            (fixed["test_error"], "error_not_lambda", "this is the smallest test error; return "
             "the penalty that achieves it."),
        ]
        found = first_mistake(wrong, lambda t, v=value: math.isclose(v, t, rel_tol=1e-3),
                              is_reference=lambda t: math.isclose(t, best, rel_tol=1e-3),
                              prefix=f"alpha_K = {alpha:g}: ")
        if found is not None:
            return found
    spread = max(values.values()) - min(values.values())
    if spread > 1e-3 * best:
        return Feedback(False, "your penalty changes with alpha_K ("
                        + ", ".join(f"{v:.4g} at {a:g}" for a, v in values.items())
                        + "); the stationary point does not depend on it: solve the "
                        "derivative's equation for lam, not numerically at one alpha_K only.",
                        "depends_on_alpha")
    return Feedback(False, f"expected lam* = {best:.4f}, got {values[2.0]:.4g}.", "unknown")
