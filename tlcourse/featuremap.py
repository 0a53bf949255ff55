"""The network's feature map in NumPy: what transfer learning carries from source to target.

The two-layer network of the course (chapter *Two-layer networks on the source*, equation
``net-f``) is ``f(x) = v . phi(W x / sqrt(N)) / sqrt(K)``. Its *feature map*
``x -> phi(W x / sqrt(N))`` is frozen by transfer learning and random features, and it is what the
theory's Gaussian equivalence replaces by Gaussian vectors. This module computes it in float64
NumPy without PyTorch, so that :mod:`tlcourse.theory` and the readouts never load PyTorch;
:mod:`tlcourse.networks` trains the weights it takes.
"""

from __future__ import annotations

import math

import numpy as np

from . import activations
from .activations import Activation

CHUNK_ROWS = 8192  # rows per block when computing features: bounds the working memory


def features(W, X, activation: str | Activation = "erf") -> np.ndarray:
    """The feature map ``phi(X W^T / sqrt(N))``: (n, N) inputs -> (n, K) features, float64.

    ``W`` is (K, N), ``activation`` one of :data:`tlcourse.activations.NETWORK_ACTIVATIONS` (or
    its record). This is the map transferred
    from source to target, and the one the theory uses (``g = phi(h)``, ``h = W x / sqrt(N)``).
    Works in blocks of :data:`CHUNK_ROWS` rows, so the working memory stays bounded.
    """
    phi = activations.get(activation, network=True)
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X)
    if W.ndim != 2:
        raise ValueError(f"W must be a (K, N) matrix, got shape {W.shape}")
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must have shape (n, N) with N = {W.shape[1]} (from W), got {X.shape}")
    out = np.empty((X.shape[0], W.shape[0]))
    scale = 1.0 / math.sqrt(W.shape[1])
    for start in range(0, X.shape[0], CHUNK_ROWS):
        block = out[start : start + CHUNK_ROWS]
        np.matmul(X[start : start + CHUNK_ROWS], W.T, out=block)
        block *= scale
        phi(block, out=block)
    return out


def outputs(W, v, X, activation: str | Activation = "erf") -> np.ndarray:
    """Network outputs ``f(x) = v . phi(W x / sqrt(N)) / sqrt(K)`` in float64, shape (n,)."""
    v = np.asarray(v, dtype=np.float64)
    return features(W, X, activation) @ v / math.sqrt(v.shape[0])


__all__ = ["CHUNK_ROWS", "features", "outputs"]
