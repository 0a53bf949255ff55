"""What a first layer learned: how a weight matrix ``W`` (K, N) lines up with a task's geometry.

Used by the chapter *Two-layer networks on the source* and later chapters. A task's inputs
``x = sigma(F^T c / sqrt(D))`` vary mostly in the **latent span**, the row space of ``F`` in
``R^N``; the label is best predicted by a linear readout along the **teacher direction**
``e_theta ~ F^T theta``. For a random ``W`` the fraction of ``|W|^2`` in the latent span is about
``D / N`` and along ``e_theta`` about ``1 / N``. :func:`effective_rank` counts the directions
a first layer really uses (chapter *When transfer helps*). :func:`spiked_layer` builds the
extreme case of a learned layer: a random one plus a rank-one spike along ``e_theta`` (chapter
*Gaussian equivalence*).
"""

from __future__ import annotations

import numpy as np

from ._checks import RNGLike, as_generator, check_array, check_fraction, check_int
from .data import Task

__all__ = ["alignment", "effective_rank", "first_layer_summary", "spiked_layer",
           "teacher_direction"]


def alignment(W, F) -> float:
    """Fraction of ``|W|^2`` in the span of the rows of ``F``: ``|W P|^2 / |W|^2``.

    ``W`` (K, N), ``F`` (D, N); ``P`` is the orthogonal projector on the row space of ``F``.
    About ``D / N`` for a random ``W``, 1 when every unit looks only at latent directions.
    """
    W, F = np.asarray(W, dtype=float), np.asarray(F, dtype=float)
    if W.ndim != 2 or F.ndim != 2 or W.shape[1] != F.shape[1]:
        raise ValueError(f"W (K, N) and F (D, N) must share N, got shapes {W.shape}, {F.shape}")
    Q = np.linalg.qr(F.T)[0]  # (N, D) orthonormal basis of the row space of F
    return float(np.sum((W @ Q) ** 2) / np.sum(W**2))


def effective_rank(W) -> float:
    """Participation ratio ``(sum s_i^2)^2 / sum s_i^4`` of the singular values ``s`` of ``W``.

    Between 1 (all the weight in one direction) and ``min(W.shape)`` (a flat spectrum). A
    first layer whose features collapse to a few directions has a small effective rank.
    """
    W = check_array(W, "W", ndim=2)
    if W.size == 0:
        raise ValueError(f"W must be a non-empty 2-d matrix, got shape {W.shape}")
    s2 = np.linalg.svd(W, compute_uv=False) ** 2
    if s2.sum() == 0:
        raise ValueError("W is zero: its effective rank is undefined")
    return float(s2.sum() ** 2 / (s2**2).sum())


def teacher_direction(task: Task) -> np.ndarray:
    """The unit vector ``e_theta = F^T theta / |F^T theta|`` in input space, shape (N,).

    For a linear readout of the inputs, ``E[x (theta . c)] ~ kappa1 F^T theta / sqrt(D)`` (exact
    when every column of ``F`` has squared norm ``D``): the direction of input space that carries
    the label.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    u = task.F.T @ task.theta
    return u / np.linalg.norm(u)


def first_layer_summary(W, task: Task) -> dict[str, float]:
    """Five numbers that say where the units of ``W`` (K, N) point, for ``task`` (its ``N``).

    - ``A_F``: fraction of ``|W|^2`` in the latent span (:func:`alignment`);
    - ``A_theta``: fraction of ``|W|^2`` along the teacher direction, ``|W e_theta|^2 / |W|^2``;
    - ``top singular value share``: ``s_1^2 / sum s_i^2`` of the singular values of ``W``;
    - ``|cos(top right singular vector, e_theta)|``;
    - ``mean squared weight``: ``|W|^2 / (K N)`` (1 for the random start).
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[1] != task.N:
        raise ValueError(f"W must have shape (K, N) with N = {task.N}, got {W.shape}")
    e = teacher_direction(task)
    s, Vt = np.linalg.svd(W, full_matrices=False)[1:]
    return {
        "A_F": alignment(W, task.F),
        "A_theta": float(np.sum((W @ e) ** 2) / np.sum(W**2)),
        "top singular value share": float(s[0] ** 2 / np.sum(s**2)),
        "|cos(top right singular vector, e_theta)|": float(abs(Vt[0] @ e)),
        "mean squared weight": float(np.mean(W**2)),
    }


def spiked_layer(task: Task, K: int, share: float, rng: RNGLike) -> np.ndarray:
    """A random first layer (K, N) plus a rank-one spike along the teacher direction ``e_theta``.

    ``W = sqrt(1 - share) R / |R| + sqrt(share) s e_theta^T / |s|``, with ``R`` (K, N) and
    ``s`` (K,) standard Gaussian draws from ``rng`` (``s`` first), then rescaled to ``|W|^2 = K N``,
    the squared norm of a random layer with unit-variance entries. The spike holds
    the fraction ``share`` of ``|W|^2`` (up to the small overlap of ``R`` with it): ``share = 0``
    is a random layer, ``share = 1`` a layer whose units all read the one direction ``e_theta``.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    K = check_int(K, "K", low=1)
    share = check_fraction(share, "share")
    gen = as_generator(rng)
    s = gen.standard_normal(K)
    R = gen.standard_normal((K, task.N))
    W = (np.sqrt(1 - share) * R / np.linalg.norm(R)
         + np.sqrt(share) * np.outer(s / np.linalg.norm(s), teacher_direction(task)))
    return W * np.sqrt(K * task.N) / np.linalg.norm(W)
