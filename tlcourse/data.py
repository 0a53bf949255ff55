"""The data model: the hidden manifold model and the correlated hidden manifold model (CHMM).

One task (chapter *The hidden manifold model*): latent ``c ~ N(0, I_D)``, inputs
``x = sigma(F^T c / sqrt(D))`` in ``R^N``, labels ``y = sign(theta . c / sqrt(D))``. A target task
is derived from a source task by five composable knobs, applied in this order (chapter
*Correlated datasets*): latent deletion, latent addition, feature substitution, feature
perturbation, teacher perturbation. Every knob at 0 gives back the
source task. A task may also carry label noise (``Task.label_noise = p``, chapter *Noisy
labels*): each label it samples is flipped with probability ``p``, independently of everything
else.

Each latent direction carries an integer label (``Task.latent_ids``); derived tasks keep the labels
of the directions they inherit and get fresh labels for new ones, so that :func:`overlaps` knows
which directions two tasks share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import activations
from ._checks import (
    RNGLike,
    as_generator,
    check_fraction,
    check_int,
    check_label_noise,
    check_positive,
)

_CHUNK_ROWS = 4096  # rows per block when sampling: bounds the working memory of Task.sample
_ID_HIGH = 2**62


@dataclass(frozen=True, eq=False)
class Task:
    """A binary classification task of the hidden manifold model.

    Attributes
    ----------
    F : ndarray, shape (D, N)
        Feature matrix: row ``i`` is the input-space image of latent direction ``i``.
    theta : ndarray, shape (D,)
        Teacher vector acting on the latent space.
    activation : str
        Data nonlinearity ``sigma`` (one of ``activations.ACTIVATIONS``).
    latent_ids : ndarray of int64, shape (D,)
        Labels of the latent directions (shared labels = shared directions between tasks).
    label_noise : float
        Probability ``p`` in [0, 1/2) that a sampled label is flipped (:meth:`sample`); the
        teacher's labels (:meth:`labels`) are the clean ones.
    """

    F: np.ndarray
    theta: np.ndarray
    activation: str = "sign"
    latent_ids: np.ndarray = field(default=None, repr=False)
    label_noise: float = 0.0

    def __post_init__(self):
        F = np.array(self.F, dtype=np.float64)
        theta = np.array(self.theta, dtype=np.float64)
        if F.ndim != 2 or F.shape[0] < 1 or F.shape[1] < 1:
            raise ValueError(f"F must be a non-empty (D, N) matrix, got shape {F.shape}")
        if theta.shape != (F.shape[0],):
            raise ValueError(f"theta must have shape (D,) = ({F.shape[0]},), got {theta.shape}")
        if not (np.isfinite(F).all() and np.isfinite(theta).all()):
            raise ValueError("F and theta must be finite")
        activations.get(self.activation)  # the one check of sigma: below, trusted
        ids = np.arange(F.shape[0]) if self.latent_ids is None else self.latent_ids
        ids = np.array(ids, dtype=np.int64)
        if ids.shape != (F.shape[0],) or len(np.unique(ids)) != ids.size:
            raise ValueError("latent_ids must hold D distinct integers")
        object.__setattr__(self, "label_noise", check_label_noise(self.label_noise))
        for name, value in (("F", F), ("theta", theta), ("latent_ids", ids)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def __getstate__(self) -> dict:
        """Pickle the defining arrays only (not the cached scaled copy of ``F``), so that a task's
        pickle, and joblib's cache key made from it, does not depend on whether it sampled."""
        return {name: getattr(self, name)
                for name in ("F", "theta", "activation", "latent_ids", "label_noise")}

    @property
    def D(self) -> int:
        """Latent dimension."""
        return self.F.shape[0]

    @property
    def N(self) -> int:
        """Input dimension."""
        return self.F.shape[1]

    def __repr__(self) -> str:
        noise = f", label_noise={self.label_noise:g}" if self.label_noise else ""
        return f"Task(D={self.D}, N={self.N}, activation={self.activation!r}{noise})"

    def inputs(self, C: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Inputs ``sigma(C F / sqrt(D))`` of latent vectors ``C`` (n, D) -> (n, N)."""
        C = np.asarray(C, dtype=np.float32 if np.asarray(C).dtype == np.float32 else np.float64)
        if C.ndim != 2 or C.shape[1] != self.D:
            raise ValueError(f"C must have shape (n, D) with D = {self.D}, got {C.shape}")
        out = np.matmul(C, self._scaled_F[C.dtype.char], out=out)
        return activations.REGISTRY[self.activation](out, out=out)

    @cached_property
    def _scaled_F(self) -> dict:
        """``F / sqrt(D)`` in float64 and float32, computed once: saves a pass over the inputs."""
        G = self.F / np.sqrt(self.D)
        return {"d": G, "f": G.astype(np.float32)}

    def labels(self, C: np.ndarray) -> np.ndarray:
        """Labels ``sign(C theta / sqrt(D))`` in {-1, +1} of latent vectors ``C`` (n, D) -> (n,)."""
        C = np.asarray(C)
        if C.ndim != 2 or C.shape[1] != self.D:
            raise ValueError(f"C must have shape (n, D) with D = {self.D}, got {C.shape}")
        return np.where(C @ self.theta.astype(C.dtype, copy=False) >= 0, 1.0, -1.0).astype(C.dtype)

    def sample(self, n: int, rng: RNGLike, *, return_latent: bool = False, dtype=np.float64,
               clean: bool = False):
        """Draw ``n`` fresh labelled samples.

        Returns ``X`` (n, N) and ``y`` (n,) in {-1., +1.}, and the latent vectors ``C`` (n, D)
        when ``return_latent`` is true. The same seed gives the same arrays. Works in blocks of
        rows, so that memory beyond the returned arrays stays small.

        With ``label_noise = p > 0`` each label is flipped with probability ``p``, unless
        ``clean`` (the teacher's labels: how the course measures test errors, so that a test
        error is the one the theory computes; against noisy test labels it would be
        ``p + (1 - 2 p) error``). The flips are drawn after the inputs, from ``n`` uniforms
        ``u`` (flip where ``u < p``): the same seed gives the same inputs at every ``p``, the
        flips are nested in ``p``, and at ``p = 0`` (or ``clean``) nothing more is drawn.
        """
        n = check_int(n, "n", low=1)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        rng = as_generator(rng)
        X = np.empty((n, self.N), dtype=dtype)
        y = np.empty(n, dtype=dtype)
        C_all = np.empty((n, self.D), dtype=dtype) if return_latent else None
        for start in range(0, n, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, n)
            C = rng.standard_normal((stop - start, self.D), dtype=dtype)
            self.inputs(C, out=X[start:stop])
            y[start:stop] = self.labels(C)
            if return_latent:
                C_all[start:stop] = C
        if self.label_noise and not clean:
            y[rng.random(n) < self.label_noise] *= -1
        return (X, y, C_all) if return_latent else (X, y)



def make_source(D: int, N: int, activation: str = "sign", *, rng: RNGLike) -> Task:
    """A source task: i.i.d. standard Gaussian ``F`` (D, N) and ``theta`` (D,)."""
    D = check_int(D, "D", low=1)
    N = check_int(N, "N", low=1)
    rng = as_generator(rng)
    F = rng.standard_normal((D, N))
    theta = rng.standard_normal(D)
    ids = rng.choice(_ID_HIGH, size=D, replace=False)
    return Task(F, theta, activation, ids)


def make_target(
    source: Task,
    teacher_perturbation: float = 0.0,
    feature_perturbation: float = 0.0,
    feature_substitution: float = 0.0,
    latent_added: int = 0,
    latent_removed: int = 0,
    *,
    rng: RNGLike,
    activation: str | None = None,
    label_noise: float | None = None,
) -> Task:
    """A target task correlated with ``source`` through five knobs (all 0: the same task).

    Applied in this order (chapter *Correlated datasets*):

    1. ``latent_removed = r`` (0 <= r < D): keep the first ``D - r`` latent directions;
    2. ``latent_added = a`` (a >= 0): append ``a`` fresh latent directions (rows of F, theta);
    3. ``feature_substitution = s`` in [0, 1]: replace ``round(s * D_t)`` rows of F, chosen at
       random, by fresh Gaussian rows;
    4. ``feature_perturbation = delta_F`` in [0, 1]: ``F <- sqrt(1-delta_F) F + sqrt(delta_F) F'``;
    5. ``teacher_perturbation = delta_theta`` in [0, 1]:
       ``theta <- sqrt(1-delta_theta) theta + sqrt(delta_theta) theta'``.

    Each knob draws its fresh randomness from its own stream spawned from ``rng``, whatever the
    knob's value: with the same seed, changing one knob's strength changes nothing else, so that
    curves over a knob vary smoothly. ``activation`` defaults to the source's.

    ``label_noise = p`` in [0, 1/2): the flip probability of the target's sampled labels
    (:meth:`Task.sample`; it draws nothing here); defaults to the source's.
    """
    if not isinstance(source, Task):
        raise TypeError(f"source must be a Task, got {type(source).__name__}")
    r = check_int(latent_removed, "latent_removed", low=0, high=source.D)
    a = check_int(latent_added, "latent_added", low=0)
    s = check_fraction(feature_substitution, "feature_substitution")
    dF = check_fraction(feature_perturbation, "feature_perturbation")
    dT = check_fraction(teacher_perturbation, "teacher_perturbation")
    activation = source.activation if activation is None else activation  # Task checks it
    noise = source.label_noise if label_noise is None else check_label_noise(label_noise)
    g_add, g_sub, g_feat, g_teach = as_generator(rng).spawn(4)

    D_t = source.D - r
    F, theta, ids = source.F[:D_t].copy(), source.theta[:D_t].copy(), source.latent_ids[:D_t]
    new_ids = g_add.choice(_ID_HIGH, size=a, replace=False)  # a clash has probability ~ D a 2^-62
    F = np.vstack([F, g_add.standard_normal((a, source.N))])
    theta = np.concatenate([theta, g_add.standard_normal(a)])
    ids = np.concatenate([ids, new_ids])
    D_t += a

    order = g_sub.permutation(D_t)
    fresh_rows = g_sub.standard_normal((D_t, source.N))
    replaced = order[: int(round(s * D_t))]
    F[replaced] = fresh_rows[replaced]

    F = np.sqrt(1 - dF) * F + np.sqrt(dF) * g_feat.standard_normal((D_t, source.N))
    theta = np.sqrt(1 - dT) * theta + np.sqrt(dT) * g_teach.standard_normal(D_t)
    return Task(F, theta, activation, ids, noise)


def shared_latents(a: Task, b: Task, n: int, *, rng: RNGLike) -> tuple[np.ndarray, np.ndarray]:
    """Latent vectors (n, a.D) and (n, b.D) of the same ``n`` samples seen by two tasks.

    Directions the tasks share (same ``latent_ids``) get the same coordinates; the others are
    independent standard Gaussians. ``a.inputs(Ca)`` and ``b.inputs(Cb)`` then compare the two
    tasks sample by sample.
    """
    n = check_int(n, "n", low=1)
    ids = np.union1d(a.latent_ids, b.latent_ids)
    G = as_generator(rng).standard_normal((n, ids.size))
    return G[:, np.searchsorted(ids, a.latent_ids)], G[:, np.searchsorted(ids, b.latent_ids)]


def overlaps(a: Task, b: Task) -> dict:
    """How related two tasks are, comparable whatever knobs produced them.

    Returns a dict with

    - ``D_a``, ``D_b``: latent dimensions; ``D_shared``: number of latent directions they share;
    - ``shared_fraction``: ``D_shared / max(D_a, D_b)``;
    - ``teacher_cosine``: cosine between the teachers restricted to the shared directions;
    - ``feature_overlap``: ``sum_i F_a[i] . F_b[i] / (D_shared N)`` over shared directions ``i``
      (1 for identical features, 0 for independent ones);
    - ``same_activation``: whether the data nonlinearities agree.

    With no shared direction the cosine and the overlap are 0.
    """
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, Task):
            raise TypeError(f"{name} must be a Task, got {type(t).__name__}")
    if a.N != b.N:
        raise ValueError(f"tasks must share the input dimension N, got {a.N} and {b.N}")
    _, ia, ib = np.intersect1d(a.latent_ids, b.latent_ids, return_indices=True)
    d = ia.size
    result = {
        "D_a": a.D,
        "D_b": b.D,
        "D_shared": d,
        "shared_fraction": d / max(a.D, b.D),
        "teacher_cosine": 0.0,
        "feature_overlap": 0.0,
        "same_activation": a.activation == b.activation,
    }
    if d:
        ta, tb = a.theta[ia], b.theta[ib]
        result["teacher_cosine"] = float(ta @ tb / (np.linalg.norm(ta) * np.linalg.norm(tb)))
        result["feature_overlap"] = float(np.einsum("ij,ij->", a.F[ia], b.F[ib]) / (d * a.N))
    return result


def sample_counts(N: int, *, alphas=None, ns=None) -> list[int]:
    """Training-set sizes ``P`` from a grid of ``alpha = P / N`` or of sizes: the one rounding rule.

    Give exactly one of ``alphas`` (a positive number or a sequence of them: ``P = round(alpha N)``,
    at least 1) or ``ns`` (positive integers). Returns the sizes as ints in the order given.
    Simulations (:func:`tlcourse.curves.learning_curves` and the real-data curves) turn
    ``alpha`` into ``P`` here; the theory keeps ``alpha N`` exact (a limit at fixed ratio).
    """
    N = check_int(N, "N", low=1)
    if (alphas is None) == (ns is None):
        raise ValueError("give exactly one of alphas (P = round(alpha * N)) or ns")
    if ns is not None:
        values = [ns] if np.isscalar(ns) else list(ns)
        out = [check_int(n, "ns", low=1) for n in values]
    else:
        values = [alphas] if np.isscalar(alphas) else list(alphas)
        out = []
        for a in values:
            n = int(round(check_positive(a, "alphas") * N))
            if n < 1:
                raise ValueError(f"alphas: alpha = {a} gives P = round(alpha * N) = {n} < 1")
            out.append(n)
    if not out:
        raise ValueError("the grid of sizes (alphas or ns) must not be empty")
    return out
