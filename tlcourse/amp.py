"""Approximate message passing for the teacher–student perceptron on latent vectors.

:func:`gamp` runs generalised approximate message passing (GAMP) on sampled data
``(C, y)``: latent vectors ``C`` (P, D), labels ``y = sign(theta . c / sqrt(D))`` flipped with
probability ``label_noise``, and a Gaussian prior ``theta ~ N(prior_mean, prior_variance I)``.
Its estimate is the (approximate) posterior mean of ``theta``, and ``sign(theta_hat . c)`` is
the Bayes-optimal prediction; in the high-dimensional limit its test error follows the state
evolution of :mod:`tlcourse.theory.bayes` (Barbier et al. 2019 prove that GAMP reaches the
Bayes-optimal error in a large set of parameters): a check of the bound computed there by an
algorithm on data.

Variances are kept as scalars (their averages over components and samples), the usual
simplification for i.i.d. Gaussian data, exact in the limit; each iteration costs two products
with ``C``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtr

from ._checks import (
    check_array,
    check_int,
    check_label_noise,
    check_labels,
    check_positive,
    check_vector,
)


class AMPConvergenceWarning(RuntimeWarning):
    """Message passing stopped before reaching its tolerance."""


@dataclass(frozen=True)
class AMPResult:
    """What :func:`gamp` returns.

    ``estimate`` (D,): the posterior mean of the teacher; ``variance``: the mean posterior
    variance per component; ``test_error``: the probability that ``sign(estimate . c)`` differs
    from the clean teacher's label on a fresh Gaussian ``c`` (``arccos`` of their cosine over
    pi, exact for Gaussian latents); ``converged``, ``iterations``, ``residual`` (mean squared
    change of the estimate per component at the last iteration) describe the iteration.
    """

    estimate: np.ndarray
    variance: float
    test_error: float
    converged: bool
    iterations: int
    residual: float


def angle_error(estimate: np.ndarray, teacher: np.ndarray) -> float:
    """Test error ``arccos(cos(estimate, teacher)) / pi`` of ``sign(estimate . c)`` against
    ``sign(teacher . c)`` for ``c ~ N(0, I)``; both (D,)."""
    norms = np.linalg.norm(estimate) * np.linalg.norm(teacher)
    if norms == 0:
        raise ValueError("estimate and teacher must be non-zero vectors")
    cos = float(estimate @ teacher) / norms
    return math.acos(min(max(cos, -1.0), 1.0)) / math.pi


def _channel(y: np.ndarray, omega: np.ndarray, V: float, p: float):
    """``g = d_omega log Z`` and ``dg = d_omega g`` of the flipped sign channel, each (P,):
    ``Z(y) = p + (1 - 2p) Phi(y omega / sqrt(V))``."""
    u = y * omega / math.sqrt(V)
    log_phi = -0.5 * u**2 - 0.5 * math.log(2 * math.pi)
    log_z = log_ndtr(u) if p == 0.0 else np.log(p + (1 - 2 * p) * ndtr(u))
    r = (1 - 2 * p) * np.exp(log_phi - log_z)  # an inverse Mills ratio, stable for u << 0
    return y * r / math.sqrt(V), -r * (u + r) / V


def gamp(
    C,
    y,
    teacher,
    *,
    prior_mean=None,
    prior_variance: float = 1.0,
    label_noise: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> AMPResult:
    """GAMP estimate of the teacher from latent vectors ``C`` (P, D) and labels ``y`` (P,).

    ``prior_mean`` (D,) (default 0) and ``prior_variance`` > 0: the Gaussian prior of the
    teacher; ``label_noise`` in [0, 1/2): the flip probability of the labels. ``teacher`` (D,)
    is used only to measure the estimate's test error, never by the iteration. Stops when the
    mean squared change of the estimate is below ``tol``; warns with
    :class:`AMPConvergenceWarning` if ``max_iter`` iterations do not reach it.
    """
    C = check_array(C, "C", ndim=2)
    P, D = C.shape
    y = check_labels(y, "y", n=P)
    teacher = check_vector(teacher, "teacher", n=D)
    mean0 = np.zeros(D) if prior_mean is None else check_vector(prior_mean, "prior_mean", n=D)
    var0 = check_positive(prior_variance, "prior_variance")
    p = check_label_noise(label_noise)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", low=1)

    scale = 1.0 / math.sqrt(D)  # the data matrix is C / sqrt(D)
    x, v = mean0.copy(), var0
    g = np.zeros(P)
    residual, it = math.inf, 0
    for it in range(1, max_iter + 1):
        omega = scale * (C @ x) - v * g  # v: the mean variance, as E[A_mu_i^2] = 1 / D
        g, dg = _channel(y, omega, v, p)
        sigma = D / (-dg).sum()  # variance of the field R around the true teacher
        R = x + sigma * scale * (g @ C)
        x_new = (var0 * R + sigma * mean0) / (var0 + sigma)
        v = var0 * sigma / (var0 + sigma)
        residual = float(np.mean((x_new - x) ** 2))
        x = x_new
        if not np.isfinite(residual):
            raise FloatingPointError(f"gamp produced a non-finite estimate at iteration {it}")
        if residual < tol:
            break
    converged = residual < tol
    if not converged:
        warnings.warn(
            f"gamp did not converge: mean squared change {residual:.3g} > tol = {tol:.3g} after "
            f"{max_iter} iterations (P={P}, D={D}, label_noise={p})",
            AMPConvergenceWarning, stacklevel=2,
        )
    return AMPResult(estimate=x, variance=v, test_error=angle_error(x, teacher),
                     converged=converged, iterations=it, residual=residual)
