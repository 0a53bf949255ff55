"""Analysis helpers of part IV (phenomena): transfer-gain maps and what a first layer learned.

- :func:`theory_curve`, :func:`gain_map` (and :class:`GainMap`, :data:`KNOBS`): the theory's
  test errors of a frozen first layer over a grid of ``alpha``, and of TL and RF over a grid
  ``knob value x alpha`` with the *transfer gain* ``eps_RF - eps_TL``, at a given penalty or at
  each protocol's best (defined in :mod:`tlcourse.theory.transfer`, re-exported here);
- :func:`effective_rank`: the participation ratio of the singular values of a first layer, a
  measure of how many directions its features really use;
- :func:`alignment`: the fraction of a first layer's squared norm in the span of the latent
  features ``F`` (defined in :mod:`tlcourse.firstlayer`, re-exported here).

Crossovers of learning curves and their uncertainty are in :mod:`tlcourse.stats`.
Conventions: ``alpha = P / N``, target samples per input dimension, as everywhere in the course.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array
from .firstlayer import alignment
from .theory.transfer import KNOBS, MAP_TOL, GainMap, gain_map, theory_curve


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


__all__ = [
    "KNOBS",
    "MAP_TOL",
    "GainMap",
    "alignment",
    "effective_rank",
    "gain_map",
    "theory_curve",
]
