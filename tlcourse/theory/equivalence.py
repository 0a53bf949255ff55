"""Gaussian equivalence: the covariances of a frozen feature map on a hidden-manifold task.

Features ``g = phi(h)``, ``h = W x / sqrt(N)``, of inputs ``x = sigma(F^T c / sqrt(D))`` are
replaced by jointly Gaussian vectors with the same second moments (chapter *Gaussian
equivalence*):

    Omega = E[g g^T]  (K, K),       Phi = E[g c^T]  (K, D),

where ``c ~ N(0, I_D)`` is the task's latent vector (the teacher acts on it). Two steps:

1. the inputs: exact second moments ``Sigma_x = E[x x^T]`` and ``E[x c^T]`` for ``sigma`` in
   {sign, erf, linear} (arcsin laws, Stein's lemma column by column); the textbook linearisation
   ``x ~ kappa1 F^T c / sqrt(D) + kappa_star z`` is available for comparison;
2. ``h`` is treated as Gaussian with ``Sigma_h = W Sigma_x W^T / N`` and
   ``C = E[h c^T] = W E[x c^T] / sqrt(N)``; then exact Gaussian expectations for the network's
   activation ``phi``: ``Phi = diag(E phi'(h_k)) C`` (Stein) and, for ``phi = erf``, the arcsin
   kernel for ``Omega``.

A Monte Carlo estimator of the same two matrices works for any odd ``sigma`` and ``phi``,
streaming over batches of samples so that memory stays bounded. Activations with a non-zero
Gaussian mean (``relu``) are refused: the Gaussian covariate model here has centred features.
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations
from .._checks import RNGLike, as_generator, check_array, check_choice, check_int
from ..activations import REGISTRY, Activation
from ..data import Task
from ..featuremap import features

METHODS = ("analytic", "monte-carlo")


def _centred(f: Activation, what: str) -> Activation:
    """``f`` if it is odd (centred features, :attr:`~tlcourse.activations.Activation.odd`)."""
    if not f.odd:
        odd = [name for name, a in REGISTRY.items() if a.odd]
        raise ValueError(
            f"{what} must be an odd activation {odd} (centred features), got {f.name!r}: a "
            "non-zero mean such as relu's is not part of this Gaussian covariate model"
        )
    return f


def _analytic(what: str) -> list[str]:
    return [name for name, a in REGISTRY.items() if a.analytic and (what == "data" or a.network)]


def input_moments(task: Task, *, linearised: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Second moments of a task's inputs: ``Sigma_x = E[x x^T]`` (N, N), ``E[x c^T]`` (N, D).

    With ``x = sigma(u)``, ``u = F^T c / sqrt(D)`` Gaussian with covariance ``S = F^T F / D``:

    - ``sign``: ``Sigma_x = (2/pi) arcsin(r)``, ``r`` the cosines between columns of ``F``
      (diagonal exactly 1); ``E[x_i c] = sqrt(2/pi) F_i / |F_i|`` (Stein, per column);
    - ``erf``: ``Sigma_x`` by the arcsin kernel of ``S``; ``E[x_i c] = E[erf'(u_i)] F_i/sqrt(D)``
      with ``E[erf'(u_i)] = (2/sqrt(pi)) / sqrt(1 + 2 S_ii)``;
    - ``linear``: ``Sigma_x = S``, ``E[x c^T] = F^T / sqrt(D)``

    (the ``kernel`` and ``slope`` of each :class:`~tlcourse.activations.Activation`).

    ``linearised=True`` returns the textbook form instead, for any odd ``sigma``:
    ``Sigma_x = kappa1^2 S + kappa_star^2 I``, ``E[x c^T] = kappa1 F^T / sqrt(D)``; it ignores
    the fluctuations of the column norms ``S_ii`` around 1 and drifts at finite ``D``.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    sigma = _centred(REGISTRY[task.activation], "the task's activation")  # a checked name
    F, D = task.F, task.D
    S = F.T @ F / D
    if linearised:
        k = sigma.kappas
        Sigma_x = k.kappa1**2 * S
        Sigma_x[np.diag_indices_from(Sigma_x)] += k.kappa_star**2
        return Sigma_x, k.kappa1 * F.T / math.sqrt(D)
    if not sigma.analytic:
        raise ValueError(
            f"exact input moments exist for activations {_analytic('data')}, not "
            f"{sigma.name!r}: use method='monte-carlo' or linearised=True"
        )
    return sigma.kernel(S), (sigma.slope(np.diag(S)) * F / math.sqrt(D)).T


def check_layer(W, task: Task, name: str = "W") -> np.ndarray:
    """``W`` as a finite (K, N) float array, ``N = task.N`` (every theory function's check)."""
    W = check_array(W, name, ndim=2)
    if W.shape[1] != task.N or W.shape[0] < 1:
        raise ValueError(f"{name} must be (K, N) with N = task.N = {task.N}, got shape "
                         f"{W.shape}")
    return W


def feature_covariances(
    W,
    task: Task,
    activation: str = "erf",
    method: str = "analytic",
    *,
    linearised: bool = False,
    n_samples: int = 100_000,
    batch_size: int = 4096,
    rng: RNGLike = None,
    return_stderr: bool = False,
) -> tuple[np.ndarray, ...]:
    """``Omega = E[g g^T]`` (K, K), ``Phi = E[g c^T]`` (K, D) of features ``g = phi(Wx/sqrt(N))``.

    ``W`` is (K, N), ``task`` supplies ``F``, ``sigma`` and ``D`` (``c`` is its latent vector);
    ``activation`` names the network's ``phi``. ``method="analytic"`` (``activation`` in {erf,
    linear}; ``sigma`` in {sign, erf, linear}, or any odd ``sigma`` with ``linearised=True``, see
    :func:`input_moments`) is the two-step Gaussian equivalence of the module docstring.
    ``method="monte-carlo"`` averages over ``n_samples`` fresh samples drawn from ``rng`` in
    batches of ``batch_size`` (any odd ``sigma`` and ``activation``);
    its entries carry a sampling error of order ``1/sqrt(n_samples)``; with ``return_stderr=True``
    it returns ``(Omega, Phi, Omega_se, Phi_se)``, the standard error of each entry,
    ``sd(g_k g_l) / sqrt(n_samples)`` and ``sd(g_k c_d) / sqrt(n_samples)``, from the same samples
    (twice the work; memory stays that of one batch).
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    W = check_layer(W, task)
    check_choice(method, "method", METHODS)
    phi = _centred(activations.get(activation, network=True), "activation")
    _centred(REGISTRY[task.activation], "the task's activation")
    if method == "monte-carlo":
        n_samples = check_int(n_samples, "n_samples", low=2)
        batch_size = check_int(batch_size, "batch_size", low=1)
        return _monte_carlo(W, task, phi, n_samples, batch_size, as_generator(rng),
                            return_stderr)
    if return_stderr:
        raise ValueError("return_stderr=True needs method='monte-carlo' (the analytic route is "
                         "exact, with no sampling error)")
    if not phi.analytic:
        raise ValueError(
            f"analytic covariances exist for activation in {_analytic('network')}, not "
            f"{phi.name!r}: use method='monte-carlo'"
        )
    Sigma_x, xc = input_moments(task, linearised=linearised)
    N = task.N
    Sigma_h = W @ Sigma_x @ W.T / N
    Sigma_h = 0.5 * (Sigma_h + Sigma_h.T)
    C = W @ xc / math.sqrt(N)
    return phi.kernel(Sigma_h), phi.slope(np.diag(Sigma_h))[:, None] * C


def _monte_carlo(W, task, activation, n_samples, batch_size, rng, return_stderr=False):
    K = W.shape[0]
    sums = [np.zeros((K, K)), np.zeros((K, task.D))]  # g g^T, g c^T
    squares = [np.zeros((K, K)), np.zeros((K, task.D))] if return_stderr else None
    for start in range(0, n_samples, batch_size):
        b = min(batch_size, n_samples - start)
        C = rng.standard_normal((b, task.D))
        g = features(W, task.inputs(C), activation)
        sums[0] += g.T @ g
        sums[1] += g.T @ C
        if return_stderr:
            g **= 2  # in place: only the squares are needed from here on
            squares[0] += g.T @ g
            squares[1] += g.T @ C**2
    Omega, Phi = sums[0] / n_samples, sums[1] / n_samples
    Omega = 0.5 * (Omega + Omega.T)
    if not return_stderr:
        return Omega, Phi
    se = [np.sqrt(np.maximum(sq / n_samples - m**2, 0.0) / n_samples)
          for sq, m in zip(squares, (Omega, Phi), strict=True)]
    return Omega, Phi, 0.5 * (se[0] + se[0].T), se[1]


def covariance_errors(
    W, task: Task, candidates: dict, *, n_samples: int, rng: RNGLike, activation: str = "erf",
    batch_size: int = 4096,
) -> dict:
    """Relative Frobenius errors of candidate ``Omega`` matrices (K, K) against Monte Carlo.

    ``candidates`` maps names to ``Omega`` candidates (for instance the exact-input and the
    linearised-input routes of :func:`feature_covariances`). With ``Omega_mc`` the average of
    ``g g^T`` over ``n_samples`` fresh samples, ``|A - Omega|^2`` is estimated without the bias of
    the Monte Carlo noise: ``|A - Omega_mc|^2`` minus the noise ``|Omega_mc - Omega|^2``, itself
    estimated from two independent halves (``|Omega_1 - Omega_2|^2 / 4``). For two candidates
    ``A, B`` the difference ``|A - Omega|^2 - |B - Omega|^2 = |A|^2 - |B|^2 - 2 <A - B, Omega_mc>``
    is linear in the samples, so its standard error is exact: ``2 sd(g^T (A - B) g) / sqrt(n)``.

    Returns ``{"error": {name: relative error}, "noise": relative Monte Carlo noise of
    Omega_mc, "difference": {(a, b): (difference of squared relative errors, its standard
    error)}}``, all relative to ``|Omega_mc|^2`` (squared) or ``|Omega_mc|`` (errors).
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    W = check_layer(W, task)
    phi = activations.get(activation, network=True)
    n_samples = check_int(n_samples, "n_samples", low=4)
    names = list(candidates)
    mats = [np.asarray(candidates[k], dtype=np.float64) for k in names]
    K = W.shape[0]
    for name, A in zip(names, mats, strict=True):
        if A.shape != (K, K):
            raise ValueError(f"candidate {name!r} must be (K, K) = ({K}, {K}), got {A.shape}")
    gen = as_generator(rng)
    halves = [np.zeros((K, K)), np.zeros((K, K))]
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    s1 = np.zeros(len(pairs))
    s2 = np.zeros(len(pairs))
    done = 0
    for b, start in enumerate(range(0, n_samples, batch_size)):
        size = min(batch_size, n_samples - start)
        C = gen.standard_normal((size, task.D))
        g = features(W, task.inputs(C), phi)
        halves[b % 2] += g.T @ g
        for p, (i, j) in enumerate(pairs):
            t = np.einsum("nk,kl,nl->n", g, mats[i] - mats[j], g)
            s1[p] += t.sum()
            s2[p] += (t**2).sum()
        done += size
    n_half = [sum(min(batch_size, n_samples - s) for s in range(0, n_samples, batch_size)
                  [h::2]) for h in (0, 1)]
    O_mc = (halves[0] + halves[1]) / n_samples
    noise2 = np.sum((halves[0] / n_half[0] - halves[1] / n_half[1]) ** 2) / 4
    norm2 = np.sum(O_mc**2)
    error = {k: math.sqrt(max(np.sum((A - O_mc) ** 2) - noise2, 0.0) / norm2)
             for k, A in zip(names, mats, strict=True)}
    difference = {}
    for p, (i, j) in enumerate(pairs):
        mean = s1[p] / done
        sd = math.sqrt(max(s2[p] / done - mean**2, 0.0))
        d = np.sum(mats[i] ** 2) - np.sum(mats[j] ** 2) - 2 * mean
        difference[names[i], names[j]] = (d / norm2, 2 * sd / math.sqrt(done) / norm2)
    return {"error": error, "noise": math.sqrt(noise2 / norm2), "difference": difference}
