"""Theory against simulation at finite size: paired runs, the Gaussian surrogate of real features.

With the first layer ``W`` (K, N) frozen, the readout ``v`` fitted on features ``g = phi(W x /
sqrt(N))`` of a task is compared, on the same training latents and labels, with

- the theory: :func:`~tlcourse.theory.solve_gcm` on the covariances ``Omega, Phi`` of ``W``;
- the **Gaussian surrogate**: features ``g~ = Phi c + (Omega - Phi Phi^T)^{1/2} xi`` with
  ``xi ~ N(0, I_K)``, jointly Gaussian with the latent vector ``c`` with exactly the theory's
  ``Omega`` and ``Phi``; the same readout fitted on them. Its test error needs no test set:
  for Gaussian ``(c, g~)`` a readout ``v`` errs with probability
  ``arccos(v^T Phi theta / sqrt(v^T Omega v |theta|^2)) / pi`` (:func:`gaussian_error`).

Theory minus real simulation then splits into the Gaussian model's own finite-size part
(theory minus surrogate) and the non-Gaussian part (surrogate minus real features).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import activations
from .._checks import RNGLike, as_generator, check_int, check_positive
from ..data import Task, sample_counts
from ..featuremap import features
from ..readout import fit_readout
from ..stats import error_and_stderr
from .gcm import solve_gcm

COLUMNS = ["seed", "n", "alpha", "theory", "real", "real_se", "real_as_gauss", "gauss", "theory_m",
           "theory_q",
           "theory_train_loss", "real_m", "real_q", "real_train_loss", "gauss_m", "gauss_q",
           "gauss_train_loss"]


def readout_overlaps(v, Omega, Phi, theta) -> tuple[float, float]:
    """Overlaps ``m = v^T Phi theta / sqrt(K D)``, ``q = v^T Omega v / K`` of a readout ``v`` (K,).

    ``Omega`` (K, K), ``Phi`` (K, D), ``theta`` (D,): the normalisation of the Gaussian
    covariate model, so that ``arccos(m / sqrt(rho q)) / pi`` with ``rho = |theta|^2 / D`` is the
    readout's test error on Gaussian features (:func:`gaussian_error`).
    """
    v = np.asarray(v, dtype=np.float64)
    K, D = np.shape(Phi)
    if v.shape != (K,) or np.shape(Omega) != (K, K) or np.shape(theta) != (D,):
        raise ValueError(f"shapes must be v (K,), Omega (K, K), Phi (K, D), theta (D,); got "
                         f"{v.shape}, {np.shape(Omega)}, {np.shape(Phi)}, {np.shape(theta)}")
    m = float(v @ (Phi @ theta)) / math.sqrt(K * D)
    q = float(v @ Omega @ v) / K
    return m, q


def gaussian_error(v, Omega, Phi, theta) -> float:
    """Test error of the readout ``v`` (K,) on Gaussian features with covariances ``Omega, Phi``.

    ``arccos(m / sqrt(rho q)) / pi`` with ``m, q`` from :func:`readout_overlaps` and
    ``rho = |theta|^2 / D``: exact for jointly Gaussian ``(c, g)``, no test set needed. For the
    source network's own readout ``v_s`` on the target's ``Omega, Phi``, it is the 0-shot theory.
    """
    m, q = readout_overlaps(v, Omega, Phi, theta)
    rho = float(np.dot(theta, theta)) / len(theta)
    if q <= 0:
        return 0.5
    return math.acos(max(min(m / math.sqrt(rho * q), 1.0), -1.0)) / math.pi


def surrogate_map(Omega, Phi) -> np.ndarray:
    """Square root ``R`` (K, K) of the residual covariance ``Omega - Phi Phi^T``.

    Surrogate features of latents ``C`` (n, D) are ``C Phi^T + Xi R`` with ``Xi`` (n, K) standard
    Gaussian. Eigenvalues of the residual below zero (rounding, or covariances that are not exact
    moments) are set to zero; a clear error if they are not small (below ``-1e-6`` times the
    largest).
    """
    Omega = np.asarray(Omega, dtype=np.float64)
    Phi = np.asarray(Phi, dtype=np.float64)
    res = Omega - Phi @ Phi.T
    evals, U = np.linalg.eigh(0.5 * (res + res.T))
    if evals[0] < -1e-6 * max(evals[-1], 1e-300):
        raise ValueError(f"Omega - Phi Phi^T must be positive semi-definite, its smallest "
                         f"eigenvalue is {evals[0]:.3g} (largest {evals[-1]:.3g})")
    return (U * np.sqrt(np.clip(evals, 0.0, None))) @ U.T


def paired_run(
    W, task: Task, alphas, *, lam: float, rng: RNGLike, n_test: int,
    covariances: tuple[np.ndarray, np.ndarray],
    activation: str | activations.Activation = "erf", theory=None, surrogate: bool = True,
) -> pd.DataFrame:
    """One seed of theory against simulation on the frozen layer ``W`` (K, N), paired.

    Draws ``max(alphas) N`` training latents of ``task`` (the first ``n = alpha N`` used at each
    size) and ``n_test`` test samples from ``rng``; fits the logistic readout (penalty ``lam``)
    on the real features and on the Gaussian surrogate of the same latents and labels
    (covariances ``(Omega, Phi)`` of ``W``). ``theory`` (optional): the list of
    :class:`~tlcourse.theory.GCMResult` at ``alphas``, computed once by the caller.

    Returns one row per ``alpha``: ``theory`` (test error), ``real`` (test error of the real
    readout on the test samples) and ``real_se``, ``real_as_gauss`` (the exact error the same
    real readout would have on Gaussian features, :func:`gaussian_error`), ``gauss`` (exact
    test error of the surrogate readout, :func:`gaussian_error`), and ``m, q, train_loss`` of
    theory, real and surrogate (``surrogate=False`` skips the surrogate: its columns are NaN).
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    W = np.asarray(W, dtype=np.float64)
    K, N = W.shape
    alphas = [check_positive(a, "alphas") for a in np.atleast_1d(alphas)]
    ns = sample_counts(N, alphas=alphas)
    n_test = check_int(n_test, "n_test", low=1)
    Omega, Phi = covariances
    if theory is None:
        theory = solve_gcm(Omega, Phi, task.theta, samples_per_feature=[n / K for n in ns],
                           lam=lam, label_noise=task.label_noise)
    g_train, g_surr, g_test = as_generator(rng).spawn(3)
    X, y, C = task.sample(max(ns), rng=g_train, return_latent=True)
    real = features(W, X, activation)
    del X
    gauss = (C @ Phi.T + g_surr.standard_normal((max(ns), K)) @ surrogate_map(Omega, Phi)
             if surrogate else None)
    X_test, y_test = task.sample(n_test, rng=g_test, clean=True)
    real_test = features(W, X_test, activation)
    del X_test
    rows = []
    for a, n, th in zip(alphas, ns, theory, strict=True):
        row = {"seed": None, "n": n, "alpha": a, "theory": th.test_error, "theory_m": th.m,
               "theory_q": th.q, "theory_train_loss": th.train_loss}
        for name, G in (("real", real), ("gauss", gauss))[: 2 if surrogate else 1]:
            v = fit_readout(G[:n], y[:n], lam)
            m, q = readout_overlaps(v, Omega, Phi, task.theta)
            z = G[:n] @ v / math.sqrt(K)
            row.update({f"{name}_m": m, f"{name}_q": q,
                        f"{name}_train_loss": float(np.mean(np.logaddexp(0.0, -y[:n] * z)))})
            if name == "gauss":
                row["gauss"] = gaussian_error(v, Omega, Phi, task.theta)
            else:
                row["real"], row["real_se"] = error_and_stderr(real_test @ v, y_test)
                row["real_as_gauss"] = gaussian_error(v, Omega, Phi, task.theta)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def random_layer(seed: int, K: int, N: int) -> np.ndarray:
    """The random first layer (K, N) that :func:`paired_runs` draws for RF at ``seed``."""
    g_layer = np.random.default_rng(check_int(seed, "seed", low=0)).spawn(2)[0]
    return g_layer.standard_normal((check_int(K, "K", low=1), check_int(N, "N", low=1)))


def random_features_theory(
    task: Task, K: int, alphas, *, lam: float | str, seeds, activation: str = "erf",
    loss="logistic",
) -> pd.DataFrame:
    """Theory of RF on the random layers of :func:`paired_runs` (same seeds, same layers).

    ``alphas`` are samples per input dimension (``n = alpha N``, solver at ``n / K``).
    ``lam``: the readout's penalty, or ``"best"``: each layer's best penalty at each size
    (:func:`~tlcourse.theory.best_penalty`, logistic loss, its default range). Returns one row
    per seed and ``alpha``: ``seed, alpha, test_error, m, q, train_loss`` (with ``"best"``:
    ``seed, alpha, test_error, train_loss, lam``); average over seeds for the RF theory line.
    """
    from .equivalence import feature_covariances
    from .transfer import best_penalty

    alphas = [check_positive(a, "alphas") for a in np.atleast_1d(alphas)]
    activation = activations.get(activation, network=True)  # once for every seed
    if isinstance(lam, str) and lam != "best":
        raise ValueError(f"lam must be a number > 0 or 'best', got {lam!r}")
    rows = []
    for s in seeds:
        layer = random_layer(s, K, task.N)
        if lam == "best":
            best = best_penalty(layer, task, alphas=alphas, activation=activation)
            rows += [{"seed": s, "alpha": a, "test_error": r.test_error,
                      "train_loss": r.train_loss, "lam": r.lam}
                     for a, r in zip(alphas, best.itertuples(), strict=True)]
            continue
        res = solve_gcm(*feature_covariances(layer, task, activation), task.theta,
                        samples_per_feature=[a * task.N / K for a in alphas], lam=lam,
                        loss=loss, label_noise=task.label_noise)
        rows += [{"seed": s, "alpha": a, "test_error": r.test_error, "m": r.m, "q": r.q,
                  "train_loss": r.train_loss} for a, r in zip(alphas, res, strict=True)]
    return pd.DataFrame(rows)


def paired_runs(
    W, task: Task, alphas, *, lam: float, seeds, n_test: int, activation: str = "erf",
    covariances: tuple[np.ndarray, np.ndarray] | None = None, surrogate: bool = True,
) -> pd.DataFrame:
    """:func:`paired_run` over ``seeds``; ``W`` an array (TL: one layer) or ``("random", K)`` (RF).

    For RF every seed draws its own i.i.d. Gaussian first layer (K, N) from its seed, and the
    theory is solved on that very layer; for TL the covariances (``covariances``, or computed by
    :func:`~tlcourse.theory.feature_covariances`) and the theory are computed once. Seed ``s``
    uses ``numpy.random.default_rng(s)`` for everything it draws. Returns the rows of all seeds,
    column ``seed`` filled.
    """
    from .equivalence import feature_covariances

    activation = activations.get(activation, network=True)  # once for every seed
    random = isinstance(W, tuple)
    if random:
        if len(W) != 2 or W[0] != "random":
            raise ValueError(f"W must be a (K, N) array or ('random', K), got {W!r}")
        K = check_int(W[1], "K", low=1)
    else:
        W = np.asarray(W, dtype=np.float64)
        if covariances is None:
            covariances = feature_covariances(W, task, activation)
        K = W.shape[0]
        ratios = [n / K for n in sample_counts(task.N, alphas=np.atleast_1d(alphas))]
        theory = solve_gcm(*covariances, task.theta, samples_per_feature=ratios, lam=lam,
                           label_noise=task.label_noise)
    frames = []
    for s in seeds:
        g_run = np.random.default_rng(s).spawn(2)[1]
        if random:
            layer = random_layer(s, K, task.N)
            cov = feature_covariances(layer, task, activation)
            th = None
        else:
            layer, cov, th = W, covariances, theory
        df = paired_run(layer, task, alphas, lam=lam, rng=g_run, n_test=n_test, covariances=cov,
                        activation=activation, theory=th, surrogate=surrogate)
        df["seed"] = s
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
