"""The penalty of the isotropic ridge case: its optimum, in the book's normalisation.

Square loss on isotropic covariates (``Omega = Phi = I``, ``gamma = 1``, a sign teacher of norm
``rho``), ``a = n / p`` samples per feature (:func:`~tlcourse.theory.ridge_isotropic`). Write
the label as its linear part plus the rest, ``y = psi nu + zeta`` with ``psi = sqrt(2/(pi rho))``:
the linear part carries a share ``s = psi^2 rho = 2/pi`` of ``E y^2 = 1``, the rest ``1 - s``
acts as noise. With ``u = V / (1 + V)`` the closed form gives

- the penalty as a decreasing function of ``u``: ``lam = 1/u - 1 - a (1 - u)``;
- the squared cosine between student and teacher fields:
  ``m^2 / (rho q) = a s (1 - a u^2) / (1 + a s (1 - 2 u))``;

its derivative in ``u`` vanishes where ``a s u^2 - (1 + a s) u + s = 0``, which is the same
equation as ``lam = (1 - s) / s``. So the test error is smallest at ``lam* = pi/2 - 1`` for every
``a`` and ``rho``: the noise-to-signal ratio of the label, as for a Bayes-optimal ridge.
"""

from __future__ import annotations

import math

#: share of ``E y^2`` carried by the linear part of a sign label, ``E[y nu]^2 / (rho E y^2)``
LINEAR_SHARE = 2.0 / math.pi


def ridge_optimal_penalty() -> float:
    """The penalty ``lam* = (1 - s) / s = pi/2 - 1`` (about 0.571), ``s = 2/pi``, that minimises
    the isotropic ridge test error (:func:`~tlcourse.theory.ridge_isotropic`) at every
    ``samples_per_feature`` and teacher norm ``rho`` (derivation in the module docstring)."""
    return (1.0 - LINEAR_SHARE) / LINEAR_SHARE


__all__ = ["LINEAR_SHARE", "ridge_optimal_penalty"]
