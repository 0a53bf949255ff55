"""The Gaussian covariate model: replica saddle-point equations and their solver.

Model (chapter *The replica formula*; Loureiro et al. 2021): teacher vectors ``u ~ N(0, Psi)``
in ``R^k``, student features ``v`` in ``R^p`` jointly Gaussian with ``E[v v^T] = Omega``,
``E[v u^T] = Phi``; labels ``y = sign(theta . u / sqrt(k))``; estimator::

    w_hat = argmin_w  sum_mu loss(y_mu, w . v_mu / sqrt(p)) + (lam / 2) |w|^2

on ``n = a p`` samples, ``a = n / p`` the *samples per feature* (argument
``samples_per_feature``: the GCM's own ratio, not the course's ``alpha = P / N``; with
``p = K`` features of an ``N``-dimensional input, ``a = alpha N / K``). In the high-dimensional
limit its test error is
``arccos(m / sqrt(rho q)) / pi``, where the overlaps ``m, q, V`` and their conjugates
``m_hat, q_hat, V_hat`` solve the zero-temperature replica-symmetric equations:

- prior (spectral form, ``Omega = U diag(omega) U^T``, ``t = (U^T Phi theta)^2``,
  ``d = lam + V_hat omega``): ``V = <omega/d>``, ``q = <(q_hat omega^2 + m_hat^2 t omega)/d^2>``,
  ``m = (m_hat/sqrt(gamma)) <t/d>``, ``<.>`` the mean over the ``p`` eigenvalues, ``gamma = k/p``;
- channel: with the proximal map ``eta(y, omega, V) = argmin_x (x - omega)^2/(2V) + loss(y, x)``,
  ``V_hat = a E[(1 - d eta/d omega) / V]``, ``q_hat = a E[((eta - omega)/V)^2]``,
  ``m_hat = (a/sqrt(gamma)) E_xi sum_y d_omega* Z0(y) (eta - omega)/V``.

Channel expectations are over the joint Gaussian law of the teacher field ``nu`` (variance
``rho``) and the student field ``omega`` (variance ``q``, covariance ``m``), ``y = sign(nu)``,
or with label noise ``p`` (chapter *Noisy labels*) ``y = -sign(nu)`` with probability ``p``: the
teacher's channel ``P(y | nu) = p + (1 - 2 p) 1[y nu > 0]``. Its partition function is
``Z0 = p + (1 - 2 p) Z0_clean``, so ``V_hat``, ``q_hat`` and the training loss mix the clean
label's expectation (weight ``1 - p``) with the flipped one's (weight ``p``), and ``m_hat`` (from
``d Z0 / d omega*``) is the clean one times ``1 - 2 p``. The test error ``arccos(m / sqrt(rho
q)) / pi`` is against the teacher's clean labels; against noisy ones it is ``p + (1 - 2 p)``
times it.
They are computed as an outer Gauss–Legendre quadrature over the teacher field on each
half-line ``y nu > 0`` (the integrand is smooth there, however sharp the label's step is in
``omega``) and an inner Gauss–Hermite quadrature over ``omega`` given ``nu``, vectorised over
the nodes. The ``m_hat`` integral is rewritten so that nothing is divided by ``rho - m^2/q``:
``E_xi[d_omega* Z0(y) g(y, sqrt(q) xi)] = y E_zeta[g(y, sqrt(q - m^2/rho) zeta)] / sqrt(2 pi rho)``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from scipy.special import expit, log_expit

from .._checks import check_array, check_choice, check_int, check_label_noise, check_positive

LOSSES = ("logistic", "square")


class GCMConvergenceWarning(RuntimeWarning):
    """The saddle-point iteration stopped before reaching its tolerance."""


@dataclass(frozen=True)
class GCMResult:
    """Fixed point of the saddle-point equations at one ``samples_per_feature`` (``n / p``).

    ``m, q, V`` and ``m_hat, q_hat, V_hat``: overlaps and conjugates; ``rho = theta^T Psi theta/k``;
    ``test_error = arccos(m / sqrt(rho q)) / pi``; ``train_loss``: mean loss per training sample
    (without the regulariser); ``converged``, ``iterations`` and ``residual``
    (``|dV| + |dq| + |dm|`` at the last iteration) describe the iteration.
    """

    samples_per_feature: float
    lam: float
    loss: str
    m: float
    q: float
    V: float
    m_hat: float
    q_hat: float
    V_hat: float
    rho: float
    test_error: float
    train_loss: float
    converged: bool
    iterations: int
    residual: float


@dataclass(frozen=True)
class _Spectrum:
    """What the prior equations need from ``(Omega, Phi, theta, Psi)``."""

    omega: np.ndarray  # (p,) eigenvalues of Omega
    t: np.ndarray  # (p,) squared projections of Phi theta on the eigenvectors
    rho: float
    gamma: float
    label_noise: float = 0.0  # flip probability p of the training labels


# ---------------------------------------------------------------- input checks and spectrum


def _check_symmetric(x: np.ndarray, name: str) -> float:
    """Refuse a non-symmetric matrix; return its largest absolute entry (the scale)."""
    scale = max(np.abs(x).max(), 1e-300)
    asym = np.abs(x - x.T).max() / scale
    if asym > 1e-8:
        raise ValueError(f"{name} must be symmetric, got max |{name} - {name}^T| / max|{name}| "
                         f"= {asym:.3g}")
    return scale


def _eigen_projections(Omega: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues ``omega`` (p,) of the symmetric ``Omega`` (ascending) and the squared
    projections ``(U^T b)^2`` of ``b`` (p,) on its eigenvectors, without forming ``U``:
    Householder tridiagonalisation ``Q^T Omega Q = T`` (LAPACK ``dsytrd``), ``Q^T b`` from the
    reflectors, and the eigenvectors ``Z`` of ``T`` (``U = Q Z``); about half the work of
    ``numpy.linalg.eigh`` at p = 1000, the same values to rounding."""
    from scipy.linalg import eigh_tridiagonal, lapack

    p = Omega.shape[0]
    if p == 1:
        return Omega[0].copy(), b**2
    lwork = int(lapack.dsytrd_lwork(p, lower=1)[0])
    packed, d, e, tau, info = lapack.dsytrd(0.5 * (Omega + Omega.T), lower=1, lwork=lwork,
                                            overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dsytrd failed with info = {info}")
    x = b.copy()
    for i in range(p - 1):  # Q^T b = H_{p-1} ... H_1 b, H_i = I - tau_i v_i v_i^T
        if tau[i] != 0.0:
            v = packed[i + 1:, i].copy()
            v[0] = 1.0
            x[i + 1:] -= tau[i] * v * (v @ x[i + 1:])
    omega, Z = eigh_tridiagonal(d, e)
    return omega, (Z.T @ x) ** 2


def spectrum(Omega, Phi, theta, Psi=None, *, label_noise: float = 0.0) -> _Spectrum:
    """Eigenvalues of ``Omega`` (p, p) and the teacher's projections on its eigenvectors; the
    problem's ``label_noise`` (the flip probability, in [0, 1/2)) rides along."""
    label_noise = check_label_noise(label_noise)
    Omega = check_array(Omega, "Omega", ndim=2)
    p = Omega.shape[0]
    if Omega.shape != (p, p):
        raise ValueError(f"Omega must be square (p, p), got {Omega.shape}")
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim != 1 or not np.isfinite(theta).all():
        raise ValueError(f"theta must be a finite 1-d array, got shape {theta.shape}")
    k = theta.shape[0]
    Phi = check_array(Phi, "Phi", ndim=2, shape=(p, k))
    Psi = np.eye(k) if Psi is None else check_array(Psi, "Psi", ndim=2, shape=(k, k))
    scale = _check_symmetric(Omega, "Omega")
    psi_scale = _check_symmetric(Psi, "Psi")
    if np.linalg.eigvalsh(0.5 * (Psi + Psi.T))[0] < -1e-8 * psi_scale:
        raise ValueError("Psi must be positive semi-definite")
    rho = float(theta @ Psi @ theta / k)
    if rho <= 0:
        raise ValueError(f"the teacher's variance rho = theta^T Psi theta / k must be > 0, "
                         f"got {rho}")
    omega, t = _eigen_projections(Omega, Phi @ theta)
    if omega[0] < -1e-8 * scale:
        raise ValueError(f"Omega must be positive semi-definite, its smallest eigenvalue is "
                         f"{omega[0]:.3g} (largest {omega[-1]:.3g})")
    return _Spectrum(np.clip(omega, 0.0, None), t, rho, k / p, label_noise)


def _prior(spec: _Spectrum, lam: float, m_hat: float, q_hat: float, V_hat: float):
    """Overlaps ``(m, q, V)`` from the conjugates (spectral form)."""
    w, t = spec.omega, spec.t
    d = lam + V_hat * w
    V = np.mean(w / d)
    q = np.mean((q_hat * w**2 + m_hat**2 * t * w) / d**2)
    m = m_hat / math.sqrt(spec.gamma) * np.mean(t / d)
    return float(m), float(q), float(V)


# ---------------------------------------------------------------- channel


def logistic_prox(a: np.ndarray, V: float, *, n_newton: int = 4) -> np.ndarray:
    """Proximal step of the logistic loss in the form ``eta = omega + y V s``.

    ``a = y * omega`` (any shape), ``V > 0``. Returns ``s`` in [0, 1], the root of the increasing
    function ``g(s) = s - sigmoid(-a - V s)``: a bracket on [0, 1] whatever ``a`` and ``V``,
    bisection until the bracket is narrower than ``1 / (16 max(V, 1))`` (then ``g`` is smooth on
    the scale of the bracket), then ``n_newton`` Newton steps kept inside the bracket.
    The loss's curvature at ``eta`` is ``s (1 - s)``.
    """
    a = np.asarray(a, dtype=np.float64)
    return _prox_root(a, V, math.ceil(math.log2(max(V, 1.0))) + 4, n_newton)


def _prox_root(a: np.ndarray, V, n_bisect: int, n_newton: int) -> np.ndarray:
    """The root ``s`` in [0, 1] of ``s - sigmoid(-a - V s)``: ``n_bisect`` halvings of [0, 1],
    then ``n_newton`` Newton steps kept inside the bracket. ``V`` a float or an array that
    broadcasts against ``a`` (the batch solver's one ``V`` per problem)."""
    s = np.full_like(a, 0.5)
    half = 0.5  # the root lies in [s - half, s + half]
    for _ in range(n_bisect):
        half *= 0.5
        s -= np.where(s - expit(-a - V * s) > 0, half, -half)
    lo, hi = s - half, s + half
    for _ in range(n_newton):
        sig = expit(-a - V * s)
        s = np.clip(s - (s - sig) / (1.0 + V * sig * (1.0 - sig)), lo, hi)
    return np.clip(s, 0.0, 1.0)


@dataclass(frozen=True)
class _Quadrature:
    t: np.ndarray  # outer nodes: |nu| / sqrt(rho) on [0, T]
    wt: np.ndarray  # outer weights, Gaussian density included
    z: np.ndarray  # inner Gauss–Hermite nodes (probabilists')
    wz: np.ndarray  # inner weights, normalised to sum 1


def _quadrature(n_outer: int, n_inner: int, t_max: float = 10.0) -> _Quadrature:
    x, w = leggauss(n_outer)
    t = 0.5 * t_max * (x + 1.0)
    wt = 0.5 * t_max * w * np.exp(-0.5 * t**2) / math.sqrt(2 * math.pi)
    z, wz = hermegauss(n_inner)
    return _Quadrature(t, wt, z, wz / wz.sum())


def _channel_logistic(m, q, V, rho, quad: _Quadrature, label_noise: float = 0.0):
    """``(E[s(1-s)/(1+V s(1-s))], E[s^2], sum_y E_zeta[s], E[loss])`` for the logistic loss.

    The sign teacher and the logistic loss are symmetric under ``(y, nu, omega) -> -(y, nu,
    omega)``, and so are the quadrature nodes: both labels contribute the same amount, so the
    label ``y = +1`` (teacher field ``nu > 0``) is computed and counted twice. With label noise
    ``p`` the flipped label (``y omega -> -y omega``) has weight ``p``, and the third entry is
    multiplied by ``1 - 2 p`` (``d Z0 / d omega*``).
    """
    cond = math.sqrt(max(q - m * m / rho, 0.0))  # std of omega given nu
    a = (m / math.sqrt(rho)) * quad.t[:, None] + cond * quad.z  # y omega, (n_outer, n_inner)
    w = 2.0 * quad.wt[:, None] * quad.wz
    e_vhat, e_qhat, e_loss = _label_moments(a, V, w)
    if label_noise:
        flipped = _label_moments(-a, V, w)
        e_vhat, e_qhat, e_loss = ((1.0 - label_noise) * c + label_noise * f
                                  for c, f in zip((e_vhat, e_qhat, e_loss), flipped, strict=True))
    e_mhat = 2.0 * float(quad.wz @ logistic_prox(cond * quad.z, V))  # omega given nu = 0
    return e_vhat, e_qhat, (1.0 - 2.0 * label_noise) * e_mhat, e_loss


def _label_moments(a: np.ndarray, V: float, w: np.ndarray) -> tuple[float, float, float]:
    """``E[s(1-s)/(1+V s(1-s))], E[s^2], E[loss]`` over the nodes ``a = y omega`` with weights
    ``w``, ``s`` the logistic proximal root."""
    s = logistic_prox(a, V)
    curv = s * (1.0 - s)
    return (float(np.sum(w * curv / (1.0 + V * curv))), float(np.sum(w * s**2)),
            float(np.sum(w * -log_expit(a + V * s))))  # loss(y, eta) = softplus(-a - V s)


def _hats(loss, m, q, V, spec: _Spectrum, a: float, quad: _Quadrature):
    """Conjugates ``(m_hat, q_hat, V_hat)`` and the training loss from the channel."""
    rho, sg = spec.rho, math.sqrt(spec.gamma)
    if loss == "square":
        # E[y nu] / rho for the sign teacher, its labels flipped with probability p
        lin = (1.0 - 2.0 * spec.label_noise) * math.sqrt(2.0 / (math.pi * rho))
        mse = 1.0 + q - 2.0 * m * lin
        return (a / sg * lin / (1 + V), a * mse / (1 + V) ** 2, a / (1 + V),
                0.5 * mse / (1 + V) ** 2)
    e_vhat, e_qhat, e_mhat, e_loss = _channel_logistic(m, q, V, rho, quad, spec.label_noise)
    m_hat = a / sg * e_mhat / math.sqrt(2 * math.pi * rho)
    return m_hat, a * e_qhat, a * e_vhat, e_loss


# ---------------------------------------------------------------- solver


def _solve_one(spec, a, lam, loss, start, quad, damping, tol, max_iter,
               trace: list | None = None) -> GCMResult:
    m, q, V = start
    if trace is not None:
        trace.append((m, q, V))
    residual = math.inf
    hats = (math.nan,) * 4
    for it in range(1, max_iter + 1):
        hats = _hats(loss, m, q, V, spec, a, quad)
        m_new, q_new, V_new = _prior(spec, lam, *hats[:3])
        if not all(map(math.isfinite, (m_new, q_new, V_new))):
            raise FloatingPointError(
                f"saddle-point iteration produced non-finite overlaps at iteration {it} "
                f"(samples_per_feature={a}, lam={lam}, loss={loss!r}): m={m_new}, q={q_new}, "
                f"V={V_new}"
            )
        previous, residual = residual, abs(V_new - V) + abs(q_new - q) + abs(m_new - m)
        if residual > previous:  # oscillating or diverging: damp more
            damping = min(0.5 * (1.0 + damping), 0.8)
        m = damping * m + (1 - damping) * m_new
        q = damping * q + (1 - damping) * q_new
        V = damping * V + (1 - damping) * V_new
        if trace is not None:
            trace.append((m, q, V))
        if residual < tol:
            break
    converged = residual < tol
    if not converged:
        warnings.warn(
            f"solve_gcm did not converge at samples_per_feature={a}, lam={lam}, loss={loss!r}: "
            f"residual |dV|+|dq|+|dm| = {residual:.3g} > tol = {tol:.3g} after {max_iter} "
            "iterations",
            GCMConvergenceWarning, stacklevel=3,
        )
    cos = min(m / math.sqrt(spec.rho * q), 1.0) if q > 0 else 0.0
    m_hat, q_hat, V_hat, train_loss = _hats(loss, m, q, V, spec, a, quad)
    return GCMResult(
        samples_per_feature=a, lam=lam, loss=loss, m=m, q=q, V=V, m_hat=m_hat, q_hat=q_hat,
        V_hat=V_hat, rho=spec.rho, test_error=math.acos(max(cos, -1.0)) / math.pi,
        train_loss=train_loss, converged=converged, iterations=it, residual=residual,
    )


def _check_ratios(ratio) -> tuple[list[float], bool]:
    name = "samples_per_feature"
    scalar = isinstance(ratio, numbers.Real) and not isinstance(ratio, bool)
    values = [ratio] if scalar else ratio
    if not scalar and not isinstance(values, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a positive number or a sequence of them, got {ratio!r}")
    out = [check_positive(a, name) for a in values]
    if not out:
        raise ValueError(f"{name} must not be an empty sequence")
    return out, scalar


def solve_gcm(
    Omega,
    Phi,
    theta,
    samples_per_feature,
    lam: float,
    loss: str = "logistic",
    Psi=None,
    *,
    damping: float = 0.0,
    tol: float = 1e-9,
    max_iter: int = 5000,
    n_outer: int = 48,
    n_inner: int = 32,
    label_noise: float = 0.0,
) -> GCMResult | list[GCMResult]:
    """Solve the saddle-point equations of the Gaussian covariate model with a sign teacher.

    Parameters
    ----------
    Omega : (p, p) array
        Symmetric PSD ``E[v v^T]`` of the student's features.
    Phi : (p, k) array
        ``E[v u^T]``.
    theta : (k,) array
        The teacher.
    samples_per_feature : float or sequence of floats
        ``n / p`` > 0 (samples per feature, not the course's ``alpha = P / N``), or a sequence
        of them: one eigendecomposition, each point started from the previous one's solution,
        a list of results in the same order.
    lam : float
        l2 strength > 0.
    loss : str
        ``"logistic"`` or ``"square"``.
    Psi : (k, k) array or None
        ``E[u u^T]`` (``None``: identity).
    damping : float
        Initial weight of the old overlaps in each update, in [0, 1); it moves halfway
        to 1 (at most to 0.8) whenever the residual grows.
    tol : float
        Stop when ``|dV| + |dq| + |dm| < tol``.
    max_iter : int
        Iterations allowed per point.
    n_outer, n_inner : int
        Quadrature nodes of the channel.
    label_noise : float
        Probability ``p`` in [0, 1/2) that a training label is flipped (the test error stays
        the one against the teacher's clean labels).

    Returns
    -------
    GCMResult or list of GCMResult
        One result, or a list of them for a sequence of ``samples_per_feature``. Warns with
        :class:`GCMConvergenceWarning` (last residual, iteration count) if the tolerance is
        not met.
    """
    check_choice(loss, "loss", LOSSES)
    lam = check_positive(lam, "lam")
    ratios, scalar = _check_ratios(samples_per_feature)
    if not (isinstance(damping, numbers.Real) and 0.0 <= damping < 1.0):
        raise ValueError(f"damping must be a number in [0, 1), got {damping!r}")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", low=1)
    quad = _quadrature(check_int(n_outer, "n_outer", low=2), check_int(n_inner, "n_inner", low=2))
    spec = spectrum(Omega, Phi, theta, Psi, label_noise=label_noise)
    start = (0.0, 0.1 * spec.rho, 1.0)  # uninformed: no overlap with the teacher yet
    results = []
    for a in ratios:
        res = _solve_one(spec, a, lam, loss, start, quad, damping, tol, max_iter)
        results.append(res)
        start = (res.m, res.q, res.V)
    return results[0] if scalar else results


# ---------------------------------------------------------------- iterates and the ridge case


def gcm_iterates(
    Omega, Phi, theta, samples_per_feature: float, lam: float, loss: str = "logistic", Psi=None, *,
    damping: float = 0.0, tol: float = 1e-9, max_iter: int = 5000,
) -> tuple[np.ndarray, GCMResult]:
    """The path of the saddle-point iteration of :func:`solve_gcm` at one ``samples_per_feature``.

    Same iteration and arguments as :func:`solve_gcm` (a scalar ``samples_per_feature`` only).
    Returns ``(path, result)``: ``path`` of shape (iterations + 1, 3) holds ``(m, q, V)`` from the
    uninformed start to the last iterate, ``result`` is the :class:`GCMResult`.
    """
    check_choice(loss, "loss", LOSSES)
    lam = check_positive(lam, "lam")
    a = check_positive(samples_per_feature, "samples_per_feature")
    if not (isinstance(damping, numbers.Real) and 0.0 <= damping < 1.0):
        raise ValueError(f"damping must be a number in [0, 1), got {damping!r}")
    spec = spectrum(Omega, Phi, theta, Psi)
    quad = _quadrature(48, 32)
    trace: list = []
    res = _solve_one(spec, a, lam, loss, (0.0, 0.1 * spec.rho, 1.0), quad, damping,
                     check_positive(tol, "tol"), check_int(max_iter, "max_iter", low=1), trace)
    return np.array(trace), res


def ridge_isotropic(samples_per_feature: float, lam: float, rho: float = 1.0) -> dict:
    """Closed-form fixed point of the square loss on isotropic covariates (``Omega = Phi = I``).

    Features equal to the teacher's inputs (``gamma = 1``), a sign teacher of norm ``rho``,
    ``a = n / p`` samples per feature (``samples_per_feature``), penalty ``lam > 0``. The
    square-loss hats ``V_hat = a/(1+V)``, ``m_hat = a L/(1+V)``, ``q_hat = a (1+q-2mL)/(1+V)^2``
    with ``L = sqrt(2/(pi rho))`` and the prior ``V = 1/(lam+V_hat)``, ``m = rho V m_hat``,
    ``q = V^2 (q_hat + rho m_hat^2)`` give

    - ``lam V^2 + (lam + a - 1) V - 1 = 0`` (its positive root),
    - ``m = a rho L V / (1 + V)``,
    - ``q (1 - a V^2/(1+V)^2) = V^2 (a (1 - 2 m L)/(1+V)^2 + rho m_hat^2)``.

    Returns a dict with ``m, q, V, test_error = arccos(m / sqrt(rho q)) / pi``.
    """
    a = check_positive(samples_per_feature, "samples_per_feature")
    lam = check_positive(lam, "lam")
    rho = check_positive(rho, "rho")
    b = lam + a - 1.0
    V = 2.0 / (b + math.sqrt(b * b + 4.0 * lam))  # positive root, written without cancellation
    L = math.sqrt(2.0 / (math.pi * rho))
    m_hat = a * L / (1.0 + V)
    m = rho * V * m_hat
    q = V**2 * (a * (1.0 - 2.0 * m * L) / (1.0 + V) ** 2 + rho * m_hat**2) / (
        1.0 - a * V**2 / (1.0 + V) ** 2)
    cos = min(m / math.sqrt(rho * q), 1.0)
    return {"m": m, "q": q, "V": V, "test_error": math.acos(cos) / math.pi}
