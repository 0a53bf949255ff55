"""The Bayes-optimal teacher–student perceptron on the latent vector: a line no learner can cross.

A target's label is ``y = sign(theta_t . c / sqrt(D))`` (each label flipped with probability
``p = label_noise``), and every learner sees a function of the latent vector ``c`` (the input
``x = sigma(F^T c / sqrt(D))``), so none can beat the Bayes-optimal estimator that sees ``c``
itself and knows the prior of ``theta_t``. Its test error (against the clean labels) in the
high-dimensional limit, ``P, D -> infinity`` at ``a = P / D`` samples per latent dimension, follows
from the replica-symmetric state evolution of generalised linear models on random Gaussian data,
which Barbier, Krzakala, Macris, Miolane and Zdeborová (2019) establish rigorously. The source
prior below is this module's own derivation, checked against message passing on sampled data
(:mod:`tlcourse.amp`, tests).

Two priors (:func:`bayes_optimal_error`; :func:`bound_gaps` holds each protocol of a learning
curve to its own):

- ``"scratch"``: ``theta_t ~ N(0, I)``, the bound for learners that ignore the source;
- ``"source"``: ``theta_t ~ N(sqrt(1 - delta) theta_s, delta I)`` with ``theta_s`` known and
  ``delta`` the teacher perturbation of :func:`tlcourse.data.make_target`, the bound for
  learners that use the source.

Derivation for the source prior: write ``theta_t = sqrt(1 - delta) theta_s + sqrt(delta) w``
with ``w ~ N(0, I)`` unknown. The label is then a perceptron in ``w`` with a known offset per
sample, ``y = sign(b + sqrt(delta) z)``, ``b = sqrt(1 - delta) theta_s . c / sqrt(D)`` (known,
``N(0, 1 - delta)``, independent of ``z = w . c / sqrt(D)`` as ``D -> infinity``). The channel's
partition function, for ``z ~ N(omega, V)``, is
``Z(y) = p + (1 - 2p) Phi(y (b + sqrt(delta) omega) / sqrt(delta V))``, and the state
evolution of the overlap ``q = E[w . w_hat] / D`` of the posterior mean ``w_hat`` with ``w``
reads (``xi`` standard Gaussian, Nishimori identities)::

    q = q_hat / (1 + q_hat),
    q_hat = a E_{b,xi} sum_y Z(y) (d_omega log Z(y))^2     at omega = sqrt(q) xi, V = 1 - q
          = 2 a (1 - 2p)^2 / (1 - q) E_xi[phi(kappa xi)^2 / (p + (1 - 2p) Phi(kappa xi))],

with ``kappa^2 = s / (delta (1 - q))`` and ``s = 1 - delta + delta q`` (the offset and the
known part of the field, ``b + sqrt(delta q) xi ~ N(0, s)``, fold into one Gaussian).
The Bayes-optimal prediction is ``sign(theta_hat . c)``, ``theta_hat`` the posterior mean of
``theta_t`` (the posterior of the field is Gaussian, hence symmetric about its mean), and
``theta_hat . theta_t / D = |theta_hat|^2 / D = s``: the test error is ``arccos(sqrt(s)) / pi``.
``delta = 1`` is the scratch prior (``s = q``); ``delta = 0`` knows the teacher (error 0).

The expectation over ``xi`` is a Gauss–Legendre quadrature on ``|kappa xi| <= 12`` (beyond it
the integrand is below ``e^{-72}`` of its peak), however sharp ``kappa`` makes it; the iteration
runs on ``q_hat`` (so that ``1 - q = 1 / (1 + q_hat)`` keeps its digits near ``q = 1``) from the
uninformed start ``q_hat = 0``, the start of message passing (:mod:`tlcourse.amp`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import log_ndtr, ndtr

from .._checks import (
    check_choice,
    check_fraction,
    check_int,
    check_label_noise,
    check_positive,
    check_table,
)
from ..specs import PROTOCOLS
from ..stats import summarize

PRIORS = ("scratch", "source")
_NODES, _WEIGHTS = leggauss(240)
_CUT = 12.0  # |kappa xi| beyond which the integrand is negligible (exp(-72))


class BayesConvergenceWarning(RuntimeWarning):
    """The state-evolution iteration stopped before reaching its tolerance."""


@dataclass(frozen=True)
class BayesResult:
    """Fixed point of the state evolution at ``samples_per_latent = P / D``.

    ``q``: overlap of the posterior mean of the unknown part ``w`` with ``w`` (``E[w.w_hat]/D``,
    in [0, 1)); ``q_hat``: its conjugate; ``overlap = 1 - delta + delta q``: the squared cosine
    between the Bayes estimate of ``theta_t`` and ``theta_t``;
    ``test_error = arccos(sqrt(overlap)) / pi`` against the clean labels; ``converged``,
    ``iterations``, ``residual`` (relative change of ``q_hat`` at the last iteration) describe
    the iteration.
    """

    samples_per_latent: float
    prior_variance: float
    label_noise: float
    q: float
    q_hat: float
    overlap: float
    test_error: float
    converged: bool
    iterations: int
    residual: float


def _channel_integral(kappa: float, p: float) -> float:
    """``E_xi[phi(kappa xi)^2 / (p + (1 - 2p) Phi(kappa xi))]``, ``xi ~ N(0, 1)``."""
    half = _CUT / max(1.0, kappa)
    xi = half * _NODES
    u = kappa * xi
    log_phi2 = -(u**2) - math.log(2 * math.pi)
    log_z = log_ndtr(u) if p == 0.0 else np.log(p + (1 - 2 * p) * ndtr(u))
    gauss = np.exp(-0.5 * xi**2) / math.sqrt(2 * math.pi)
    return float(half * np.sum(_WEIGHTS * gauss * np.exp(log_phi2 - log_z)))


def _update(q_hat: float, a: float, delta: float, p: float) -> float:
    """One step of the state evolution: the new ``q_hat`` from the current one."""
    s = 1.0 - delta / (1.0 + q_hat)  # 1 - delta + delta q
    kappa = math.sqrt(s * (1.0 + q_hat) / delta)
    return 2.0 * a * (1 - 2 * p) ** 2 * (1.0 + q_hat) * _channel_integral(kappa, p)


def state_evolution(
    samples_per_latent: float,
    *,
    prior_variance: float = 1.0,
    label_noise: float = 0.0,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> BayesResult:
    """The Bayes-optimal overlap and test error at ``samples_per_latent = P / D`` (>= 0).

    ``prior_variance = delta`` in (0, 1]: the prior ``theta_t ~ N(sqrt(1 - delta) theta_s,
    delta I)`` with ``theta_s`` known (``delta = 1``: the scratch prior ``N(0, I)``);
    ``label_noise = p`` in [0, 1/2). Iterates from ``q_hat = 0`` until the relative change of
    ``q_hat`` is below ``tol``; warns with :class:`BayesConvergenceWarning` (and the last
    residual) if ``max_iter`` iterations do not reach it.
    """
    a = check_positive(samples_per_latent, "samples_per_latent", allow_zero=True)
    delta = check_fraction(prior_variance, "prior_variance")
    if delta == 0.0:
        raise ValueError("prior_variance must lie in (0, 1], got 0.0: with delta = 0 the "
                         "teacher is known and the error is 0 (bayes_optimal_error returns it)")
    p = check_label_noise(label_noise)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", low=1)

    q_hat, residual, it = 0.0, math.inf, 0
    for it in range(1, max_iter + 1):
        new = _update(q_hat, a, delta, p)
        if not math.isfinite(new):
            raise FloatingPointError(
                f"state evolution produced q_hat = {new} at iteration {it} "
                f"(samples_per_latent={a}, prior_variance={delta}, label_noise={p}), "
                f"previous q_hat = {q_hat}"
            )
        residual = abs(new - q_hat) / (1.0 + new)
        q_hat = new
        if residual < tol:
            break
    converged = residual < tol
    if not converged:
        warnings.warn(
            f"state_evolution did not converge at samples_per_latent={a}, prior_variance="
            f"{delta}, label_noise={p}: relative change of q_hat {residual:.3g} > tol = "
            f"{tol:.3g} after {max_iter} iterations (q_hat = {q_hat:.6g})",
            BayesConvergenceWarning, stacklevel=2,
        )
    unknown = delta / (1.0 + q_hat)  # 1 - overlap, kept to full relative precision
    overlap = 1.0 - unknown
    return BayesResult(
        samples_per_latent=a, prior_variance=delta, label_noise=p, q=q_hat / (1.0 + q_hat),
        q_hat=q_hat, overlap=overlap,
        test_error=math.atan2(math.sqrt(unknown), math.sqrt(overlap)) / math.pi,
        converged=converged, iterations=it, residual=residual,
    )


def bayes_optimal_error(
    alphas,
    *,
    D: int,
    N: int,
    prior: str = "scratch",
    teacher_perturbation: float = 0.0,
    label_noise: float = 0.0,
) -> np.ndarray:
    """The Bayes-optimal test error at ``alphas = P / N`` (against the clean teacher's labels).

    A learner on ``P = alpha N`` target samples of latent dimension ``D`` (the target's,
    ``alpha N / D`` samples per latent dimension) can do no better, in the high-dimensional
    limit:

    - ``prior="scratch"``: a learner that ignores the source (``theta_t ~ N(0, I)``;
      ``teacher_perturbation`` is checked but plays no part);
    - ``prior="source"``: a learner that knows the source teacher ``theta_s`` and the
      perturbation ``delta = teacher_perturbation`` of a teacher-perturbed target
      (``theta_t ~ N(sqrt(1 - delta) theta_s, delta I)``, as :func:`tlcourse.data.make_target`;
      it still bounds targets whose features were also changed or latent directions removed,
      whose rule in latent space is the same, but not targets with latent directions added).

    ``label_noise`` in [0, 1/2): each target label flipped with that probability (the
    training labels; against test labels flipped alike, an error ``e`` on clean labels becomes
    ``p + (1 - 2p) e``). ``alphas``: a number or a 1-d array of numbers >= 0; returns the
    errors in the same shape.
    """
    a = np.asarray(alphas)
    if a.dtype.kind not in "iuf" or a.ndim > 1:
        raise TypeError(f"alphas must be a number or a 1-d array of real numbers, got {alphas!r}")
    a = a.astype(np.float64)
    if not (np.isfinite(a).all() and (a >= 0).all()):
        raise ValueError(f"alphas must be finite and >= 0, got {a.tolist()}")
    D = check_int(D, "D", low=1)
    N = check_int(N, "N", low=1)
    check_choice(prior, "prior", PRIORS)
    delta = check_fraction(teacher_perturbation, "teacher_perturbation")
    p = check_label_noise(label_noise)
    if prior == "scratch":
        delta = 1.0
    if delta == 0.0:  # the teacher is the known source teacher
        return np.zeros_like(a)
    errors = [state_evolution(x * N / D, prior_variance=delta, label_noise=p).test_error
              for x in a.ravel()]
    return np.asarray(errors).reshape(a.shape)


def bound_gaps(df, *, D: int, N: int, teacher_perturbation: float = 0.0,
               label_noise: float = 0.0):
    """Each protocol's simulated error minus its Bayes-optimal bound, at the simulated sizes.

    ``df``: a :func:`tlcourse.curves.learning_curves` table on one target, of latent dimension
    ``D`` and input dimension ``N``, teacher perturbation and label noise as given. A protocol
    that reads the source network (``uses_source`` in :data:`tlcourse.specs.PROTOCOLS`: TL,
    FT, 0-shot) is held to the ``"source"`` bound, the others (2L, RF) to the ``"scratch"``
    bound. The table's test errors must be measured on clean target labels, as the bounds
    are. Returns the rows of :func:`tlcourse.stats.summarize` (``protocol, alpha,
    test_error, sem, seeds``) with columns ``prior``, ``bound`` and ``gap = test_error -
    bound`` (positive: above the bound, as it must be up to sampling error).
    """
    check_table(df, ("protocol", "alpha"), finite=("alpha",))
    out = summarize(df)
    out["prior"] = ["source" if PROTOCOLS[p].uses_source else "scratch" for p in out.protocol]
    out["bound"] = np.nan
    for prior, rows in out.groupby("prior").groups.items():
        out.loc[rows, "bound"] = bayes_optimal_error(
            out.loc[rows, "alpha"].to_numpy(), D=D, N=N, prior=prior,
            teacher_perturbation=teacher_perturbation, label_noise=label_noise)
    out["gap"] = out["test_error"] - out["bound"]
    return out
