"""Elementwise nonlinearities and their Gaussian coefficients.

The same names serve two roles in the course: the data nonlinearity ``sigma`` of the hidden
manifold model (default ``sign``) and the network activation ``phi`` (default ``erf``).

For ``xi ~ N(0, 1)`` the Gaussian coefficients of a function ``f`` are

    kappa0 = E f(xi),  kappa1 = E xi f(xi),  kappa_star**2 = E f(xi)**2 - kappa0**2 - kappa1**2,

the constant, linear and "everything else" parts of ``f`` seen through a Gaussian input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import erf

from ._checks import check_choice

ACTIVATIONS = ("sign", "erf", "tanh", "relu", "linear")


@dataclass(frozen=True)
class Kappas:
    """Gaussian coefficients ``kappa0, kappa1, kappa_star`` of an activation."""

    kappa0: float
    kappa1: float
    kappa_star: float


def _sign(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # +-1 by the sign bit (so sign(+0) = 1, sign(-0) = -1; zero has probability 0 anyway);
    # copysign is several times faster than np.sign, which dominated sampling
    return np.copysign(1.0, x, out=out)


_NUMPY = {
    "sign": _sign,
    "erf": lambda x, out=None: erf(x, out=out),
    "tanh": lambda x, out=None: np.tanh(x, out=out),
    "relu": lambda x, out=None: np.maximum(x, 0.0, out=out),
    "linear": lambda x, out=None: x if out is None else np.copyto(out, x) or out,
}

# closed forms where they exist; E erf(xi)^2 = (2/pi) arcsin(2/3)
_CLOSED = {
    "sign": (0.0, math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi)),
    "erf": (
        0.0,
        2 / math.sqrt(3 * math.pi),
        math.sqrt(2 / math.pi * math.asin(2 / 3) - 4 / (3 * math.pi)),
    ),
    "relu": (1 / math.sqrt(2 * math.pi), 0.5, math.sqrt(0.25 - 1 / (2 * math.pi))),
    "linear": (0.0, 1.0, 0.0),
}


def apply(name: str, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply activation ``name`` elementwise to ``x`` (optionally in place via ``out``)."""
    check_choice(name, "activation", ACTIVATIONS)
    return _NUMPY[name](x, out=out)


def torch_fn(name: str):
    """The activation as a function of torch tensors (differentiable except ``sign``)."""
    import torch

    check_choice(name, "activation", ACTIVATIONS)
    return {
        "sign": lambda t: torch.copysign(torch.ones_like(t), t),
        "erf": torch.erf,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "linear": lambda t: t,
    }[name]


def gaussian_expectation(f, n_nodes: int = 201) -> float:
    """``E f(xi)`` for ``xi ~ N(0, 1)`` by Gauss–Hermite quadrature (``f`` smooth, vectorised)."""
    nodes, weights = hermegauss(n_nodes)
    return float(np.sum(weights * f(nodes)) / math.sqrt(2 * math.pi))


@cache
def kappas(name: str) -> Kappas:
    """Gaussian coefficients of activation ``name``: closed forms where known, else quadrature."""
    check_choice(name, "activation", ACTIVATIONS)
    if name in _CLOSED:
        return Kappas(*_CLOSED[name])
    f = _NUMPY[name]
    k0 = gaussian_expectation(f)
    k1 = gaussian_expectation(lambda x: x * f(x))
    k2 = gaussian_expectation(lambda x: f(x) ** 2)
    return Kappas(k0, k1, math.sqrt(k2 - k0**2 - k1**2))
