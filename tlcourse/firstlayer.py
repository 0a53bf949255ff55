"""What a first layer learned: how a weight matrix ``W`` (K, N) lines up with a task's geometry.

Used by the chapter *Two-layer networks on the source* and later chapters. A task's inputs
``x = sigma(F^T c / sqrt(D))`` vary mostly in the **latent span**, the row space of ``F`` in
``R^N``; the label is best predicted by a linear readout along the **teacher direction**
``u_theta ~ F^T theta``. For a random ``W`` the fraction of ``|W|^2`` in the latent span is about
``D / N`` and along ``u_theta`` about ``1 / N``.
"""

from __future__ import annotations

import numpy as np

from .data import Task

__all__ = ["alignment", "first_layer_summary", "teacher_direction"]


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


def teacher_direction(task: Task) -> np.ndarray:
    """The unit vector ``u_theta = F^T theta / |F^T theta|`` in input space, shape (N,).

    For a linear readout of the inputs, ``E[x (theta . c)] = kappa1 F^T theta / sqrt(D)``: the
    direction of input space that carries the label.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    u = task.F.T @ task.theta
    return u / np.linalg.norm(u)


def first_layer_summary(W, task: Task) -> dict[str, float]:
    """Five numbers that say where the units of ``W`` (K, N) point, for ``task`` (its ``N``).

    - ``a_F``: fraction of ``|W|^2`` in the latent span (:func:`alignment`);
    - ``a_theta``: fraction of ``|W|^2`` along the teacher direction, ``|W u|^2 / |W|^2``;
    - ``top singular value share``: ``s_1^2 / sum s_i^2`` of the singular values of ``W``;
    - ``|cos(top right singular vector, u_theta)|``;
    - ``mean squared weight``: ``|W|^2 / (K N)`` (1 for the random start).
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[1] != task.N:
        raise ValueError(f"W must have shape (K, N) with N = {task.N}, got {W.shape}")
    u = teacher_direction(task)
    s, Vt = np.linalg.svd(W, full_matrices=False)[1:]
    return {
        "a_F": alignment(W, task.F),
        "a_theta": float(np.sum((W @ u) ** 2) / np.sum(W**2)),
        "top singular value share": float(s[0] ** 2 / np.sum(s**2)),
        "|cos(top right singular vector, u_theta)|": float(abs(Vt[0] @ u)),
        "mean squared weight": float(np.mean(W**2)),
    }
