"""Many saddle points at once: the logistic Gaussian covariate model for a batch of problems.

:func:`~tlcourse.theory.solve_gcm` solves one curve point after the other, each warm-started from
the previous one; its cost is a Python loop per iteration and per point. An interactive explorer
redraws whole curves for two first layers (TL, RF) at every slider move, which needs them in a
fraction of a second: :func:`solve_gcm_batch` iterates the *same* equations (the prior and the
channel of :mod:`tlcourse.theory.gcm`, logistic loss, sign teacher) for every ``(first layer,
alpha)`` pair at once, vectorised over the batch, each pair stopping when its own residual is
below ``tol``. A problem's label noise (its spectrum's ``label_noise``, as in
:func:`~tlcourse.theory.gcm.spectrum`) enters the channel as in ``solve_gcm``. It agrees with
``solve_gcm`` to its tolerance (tests/test_explorer.py).

Two savings make a slider move cheap without changing what is solved: :func:`eigenbasis` keeps
the eigendecomposition of ``Omega`` for every teacher ``theta`` (a new teacher needs only its
projections, :meth:`Eigenbasis.spectrum`), and each iteration finds the logistic proximal roots
by Newton steps from the previous iteration's roots, falling back to the bracketing of
:func:`~tlcourse.theory.gcm.logistic_prox` wherever they do not settle to machine precision.
The iteration itself is accelerated: each point takes a secant (Anderson, depth 1) step on its
overlaps while its residual shrinks, and the damped step of ``solve_gcm`` otherwise; the fixed
point and the stopping rule are unchanged, the iterations about halved.

Convention as in :func:`~tlcourse.theory.solve_gcm`: ``alpha`` is the GCM's ratio ``n / p``
(samples per feature).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .._checks import check_array, check_int, check_label_noise, check_positive
from .gcm import (
    GCMConvergenceWarning,
    _check_symmetric,
    _prox_root,
    _quadrature,
    _Spectrum,
    spectrum,
)

_WARM_NEWTON = 3  # Newton steps from the previous iteration's proximal roots
_SETTLED = 1e-10  # a last Newton step below this leaves the root exact to rounding


@dataclass(frozen=True)
class Eigenbasis:
    """The teacher-independent part of :func:`~tlcourse.theory.gcm.spectrum`: the eigenvalues
    ``omega`` (p,) of ``Omega`` (clipped at 0), its eigenvectors ``U`` (p, p) and ``Phi`` (p, k).
    Computed once per first layer and input distribution (:func:`eigenbasis`), it serves every
    teacher ``theta`` (a teacher perturbation changes nothing else)."""

    omega: np.ndarray
    U: np.ndarray
    Phi: np.ndarray

    def spectrum(self, theta, label_noise: float = 0.0) -> _Spectrum:
        """``spectrum(Omega, Phi, theta, label_noise=label_noise)`` (``Psi`` the identity), with
        the same arithmetic."""
        label_noise = check_label_noise(label_noise)
        theta = np.asarray(theta, dtype=np.float64)
        k = self.Phi.shape[1]
        if theta.shape != (k,) or not np.isfinite(theta).all():
            raise ValueError(f"theta must be a finite vector of length k = {k}, got shape "
                             f"{theta.shape}")
        rho = float(theta @ theta / k)
        if rho <= 0:
            raise ValueError(f"the teacher's variance rho = theta^T theta / k must be > 0, "
                             f"got {rho}")
        t = (self.U.T @ (self.Phi @ theta)) ** 2
        return _Spectrum(self.omega, t, rho, k / self.omega.size, label_noise)


def eigenbasis(Omega, Phi) -> Eigenbasis:
    """The :class:`Eigenbasis` of ``Omega`` (p, p), positive semi-definite, and ``Phi`` (p, k)."""
    Omega = check_array(Omega, "Omega", ndim=2)
    p = Omega.shape[0]
    if Omega.shape != (p, p):
        raise ValueError(f"Omega must be square (p, p), got {Omega.shape}")
    Phi = check_array(Phi, "Phi", ndim=2)
    if Phi.shape[0] != p:
        raise ValueError(f"Phi must have p = {p} rows, got shape {Phi.shape}")
    scale = _check_symmetric(Omega, "Omega")
    omega, U = np.linalg.eigh(0.5 * (Omega + Omega.T))
    if omega[0] < -1e-8 * scale:
        raise ValueError(f"Omega must be positive semi-definite, its smallest eigenvalue is "
                         f"{omega[0]:.3g} (largest {omega[-1]:.3g})")
    return Eigenbasis(np.clip(omega, 0.0, None), U, Phi)


def _prox_warm(a: np.ndarray, V: np.ndarray, s0: np.ndarray, n_bisect: int) -> np.ndarray:
    """The roots of :func:`~tlcourse.theory.gcm._prox_root` (same ``a``, ``V`` broadcasting
    against it), by :data:`_WARM_NEWTON` Newton steps from ``s0`` where the last step is below
    :data:`_SETTLED` (then the root is exact to rounding: Newton converges quadratically); the
    others by ``_prox_root`` with ``n_bisect`` halvings."""
    s = s0
    for _ in range(_WARM_NEWTON):
        sig = expit(-a - V * s)
        step = (s - sig) / (1.0 + V * sig * (1.0 - sig))
        s = s - step
    bad = ~(np.abs(step) <= _SETTLED) | (s < 0.0) | (s > 1.0)
    if bad.any():
        s[bad] = _prox_root(a[bad], np.broadcast_to(V, a.shape)[bad], n_bisect, 4)
    return s


def _label_moments(s: np.ndarray, V: np.ndarray, w2: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``E[s(1-s)/(1+V s(1-s))]`` and ``E[s^2]`` of each entry (b,) from its proximal roots ``s``
    (b, n_outer, n_inner), its ``V`` (b,) and the node weights ``w2``."""
    curv = s * (1.0 - s)
    return (np.einsum("jk,ijk->i", w2, curv / (1.0 + V[:, None, None] * curv)),
            np.einsum("jk,ijk->i", w2, s * s))


def _next_overlaps(x, gx, x_last, g_last, damping, secant) -> np.ndarray:
    """The next overlaps ``(m, q, V)`` of each point (rows): the Anderson step of depth 1 (a
    secant step) from ``x`` and the last iterate ``x_last`` with their images ``gx``,
    ``g_last`` under the saddle-point map where ``secant`` (its residual shrinks) and the step
    keeps ``q, V > 0``; the damped step ``damping x + (1 - damping) gx`` otherwise. A fixed
    point of the map is a fixed point of both, so only the number of iterations changes."""
    f = gx - x
    df = f - (g_last - x_last)
    beta = np.einsum("bj,bj->b", f, df) / np.maximum(np.einsum("bj,bj->b", df, df), 1e-300)
    x_secant = gx - beta[:, None] * (gx - g_last)
    ok = secant & np.isfinite(x_secant).all(axis=1) & (x_secant[:, 1:] > 0).all(axis=1)
    x_damped = damping[:, None] * x + (1.0 - damping[:, None]) * gx
    return np.where(ok[:, None], x_secant, x_damped)


@dataclass(frozen=True)
class BatchResult:
    """Fixed points of a batch: arrays of shape (n_problems, n_alphas).

    ``test_error = arccos(m / sqrt(rho q)) / pi``; ``m, q, V`` the overlaps (a warm start for a
    nearby batch: pass ``start=(m, q, V)``); ``iterations``, ``residual`` (``|dV| + |dq| +
    |dm|`` at the last iteration) and ``converged`` per point.
    """

    test_error: np.ndarray
    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    converged: np.ndarray


def solve_gcm_batch(
    problems,
    samples_per_feature,
    lam,
    *,
    start: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    tol: float = 1e-7,
    max_iter: int = 3000,
    n_outer: int = 24,
    n_inner: int = 16,
) -> BatchResult:
    """Solve the logistic saddle-point equations for every problem and every sample ratio.

    ``problems``: a sequence of ``(Omega, Phi, theta)`` (each as in :func:`solve_gcm`, with
    ``Psi`` the identity and clean labels) or of their spectra (:meth:`Eigenbasis.spectrum`,
    :func:`~tlcourse.theory.gcm.spectrum`: these carry the label noise), all with the same
    number ``p`` of features; ``samples_per_feature``
    (n_a,) the ratios ``n / p`` > 0 (as in :func:`solve_gcm`); ``lam`` > 0 the l2 strength, one
    for all or an array broadcasting to (n_problems, n_a), one per point.
    ``start``: overlaps ``(m, q, V)`` of shape (n_problems, n_a) to start from (e.g. a previous
    result); default the uninformed start of ``solve_gcm``. The quadrature (``n_outer`` x
    ``n_inner`` nodes) is coarser than ``solve_gcm``'s default; test errors agree to about
    ``1e-6``. Warns with
    :class:`~tlcourse.theory.GCMConvergenceWarning` if a point does not reach ``tol``.
    """
    specs = [p if isinstance(p, _Spectrum) else spectrum(*p) for p in problems]
    if not specs:
        raise ValueError("problems must hold at least one (Omega, Phi, theta)")
    sizes = {s.omega.size for s in specs}
    if len(sizes) != 1:
        raise ValueError(f"every problem must have the same number of features, got {sizes}")
    alphas = np.asarray(samples_per_feature, dtype=np.float64).ravel()
    if alphas.size == 0:
        raise ValueError("samples_per_feature must not be empty")
    for a in alphas:
        check_positive(float(a), "samples_per_feature")
    n_p, n_a = len(specs), alphas.size
    lam_arr = np.asarray(lam)
    if lam_arr.dtype.kind not in "fiu":
        raise TypeError(f"lam must be a number or an array of numbers, got {lam!r}")
    lam_arr = lam_arr.astype(np.float64)
    if not np.isfinite(lam_arr).all() or (lam_arr <= 0).any():
        raise ValueError(f"lam must be finite and > 0, got {lam!r}")
    try:
        lam_arr = np.broadcast_to(lam_arr, (n_p, n_a)).reshape(-1)
    except ValueError:
        raise ValueError(f"lam must be a number or broadcast to (n_problems, n_alphas) = "
                         f"({n_p}, {n_a}), got shape {lam_arr.shape}") from None
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", low=1)
    quad = _quadrature(check_int(n_outer, "n_outer", low=2), check_int(n_inner, "n_inner", low=2))

    which = np.repeat(np.arange(n_p), n_a)  # problem of each batch entry
    alpha = np.tile(alphas, n_p)
    omega = np.stack([s.omega for s in specs])  # (n_p, p)
    tproj = np.stack([s.t for s in specs])
    rho = np.array([s.rho for s in specs])[which]
    sg = np.sqrt(np.array([s.gamma for s in specs]))[which]
    noise = np.array([s.label_noise for s in specs])[which]
    if start is None:
        m, q, V = np.zeros(n_p * n_a), 0.1 * rho, np.ones(n_p * n_a)
    else:
        m, q, V = (np.array(x, dtype=np.float64).reshape(-1) for x in start)
        if not m.size == q.size == V.size == n_p * n_a:
            raise ValueError(f"start must hold three arrays of shape ({n_p}, {n_a})")
    damping = np.zeros_like(m)
    residual = np.full_like(m, np.inf)
    iterations = np.zeros(m.size, dtype=int)
    w2 = 2.0 * quad.wt[:, None] * quad.wz  # (n_outer, n_inner): both labels, by symmetry
    active = np.arange(m.size)
    roots = np.empty((m.size, quad.t.size, quad.z.size))  # proximal roots, last iteration
    roots0 = np.empty((m.size, quad.z.size))  # and those at a = cond z (for m_hat)
    noisy = np.flatnonzero(noise)  # entries with flipped labels: their roots at -a too
    roots_f = np.empty((m.size, quad.t.size, quad.z.size)) if noisy.size else None
    x_last = np.zeros((m.size, 3))  # (m, q, V) of the last iteration and its image
    g_last = np.zeros((m.size, 3))
    for it in range(max_iter):
        if active.size == 0:
            break
        i = active
        mi, qi, Vi, ri = m[i], q[i], V[i], rho[i]
        cond = np.sqrt(np.maximum(qi - mi * mi / ri, 0.0))
        a = (mi / np.sqrt(ri))[:, None, None] * quad.t[None, :, None] + cond[:, None, None] * quad.z
        n_bisect = math.ceil(math.log2(max(float(Vi.max()), 1.0))) + 4
        a0 = cond[:, None] * quad.z
        if it == 0:
            s = _prox_root(a, Vi[:, None, None], n_bisect, 4)
            s0 = _prox_root(a0, Vi[:, None], n_bisect, 4)
        else:
            s = _prox_warm(a, Vi[:, None, None], roots[i], n_bisect)
            s0 = _prox_warm(a0, Vi[:, None], roots0[i], n_bisect)
        roots[i], roots0[i] = s, s0
        e_vhat, e_qhat = _label_moments(s, Vi, w2)
        e_mhat = 2.0 * s0 @ quad.wz
        f = np.flatnonzero(noise[i]) if noisy.size else noisy  # positions in the active batch
        if f.size:
            j, pf, Vf = i[f], noise[i][f], Vi[f][:, None, None]
            sf = (_prox_root(-a[f], Vf, n_bisect, 4) if it == 0
                  else _prox_warm(-a[f], Vf, roots_f[j], n_bisect))
            roots_f[j] = sf
            flip_v, flip_q = _label_moments(sf, Vi[f], w2)
            e_vhat[f] = (1.0 - pf) * e_vhat[f] + pf * flip_v
            e_qhat[f] = (1.0 - pf) * e_qhat[f] + pf * flip_q
            e_mhat[f] *= 1.0 - 2.0 * pf
        m_hat = alpha[i] / sg[i] * e_mhat / np.sqrt(2 * math.pi * ri)
        q_hat, V_hat = alpha[i] * e_qhat, alpha[i] * e_vhat
        w, t = omega[which[i]], tproj[which[i]]  # (b, p)
        d = lam_arr[i][:, None] + V_hat[:, None] * w
        V_new = np.mean(w / d, axis=1)
        q_new = np.mean((q_hat[:, None] * w**2 + (m_hat**2)[:, None] * t * w) / d**2, axis=1)
        m_new = m_hat / sg[i] * np.mean(t / d, axis=1)
        if not np.isfinite([m_new, q_new, V_new]).all():
            raise FloatingPointError("solve_gcm_batch: non-finite overlaps (lam = "
                                     f"{np.unique(lam_arr[i])})")
        new_res = np.abs(V_new - Vi) + np.abs(q_new - qi) + np.abs(m_new - mi)
        grew = new_res > residual[i]
        damping[i] = np.where(grew, np.minimum(0.5 * (1.0 + damping[i]), 0.8), damping[i])
        x, gx = np.stack([mi, qi, Vi], axis=1), np.stack([m_new, q_new, V_new], axis=1)
        x_next = _next_overlaps(x, gx, x_last[i], g_last[i], damping[i],
                                secant=~grew if it > 0 else np.zeros(i.size, dtype=bool))
        x_last[i], g_last[i] = x, gx
        m[i], q[i], V[i] = x_next.T
        residual[i] = new_res
        iterations[i] += 1
        active = i[new_res >= tol]
    converged = residual < tol
    if not converged.all():
        worst = float(residual.max())
        warnings.warn(f"solve_gcm_batch: {int((~converged).sum())} point(s) did not converge "
                      f"(largest residual {worst:.3g} > tol = {tol:.3g}, lam = "
                      f"{np.unique(lam_arr[~converged])})",
                      GCMConvergenceWarning, stacklevel=2)
    cos = np.where(q > 0, np.minimum(m / np.sqrt(rho * np.maximum(q, 1e-300)), 1.0), 0.0)
    err = np.arccos(np.maximum(cos, -1.0)) / math.pi
    shape = (n_p, n_a)
    return BatchResult(err.reshape(shape), m.reshape(shape), q.reshape(shape), V.reshape(shape),
                       iterations.reshape(shape), residual.reshape(shape),
                       converged.reshape(shape))
