"""Elementwise nonlinearities: one registry of what the course knows of each, checked once.

The same names serve two roles in the course: the data nonlinearity ``sigma`` of the hidden
manifold model (default ``sign``, any of :data:`ACTIVATIONS`) and the network activation ``phi``
(default ``erf``, one of :data:`NETWORK_ACTIVATIONS`: differentiable, so not ``sign``).

:data:`REGISTRY` maps each name to an :class:`Activation`: its NumPy and PyTorch functions, its
Gaussian coefficients, whether it is odd (centred features, as the Gaussian covariate model
needs) and, where they exist in closed form, its Gaussian moments (the analytic covariances of
:mod:`tlcourse.theory.equivalence`). :func:`get` is the one check of a name: a public function
looks its ``activation`` up once and hands the record down, and the layers below trust it.

For ``xi ~ N(0, 1)`` the Gaussian coefficients of a function ``f`` are

    kappa0 = E f(xi),  kappa1 = E xi f(xi),  kappa_star**2 = E f(xi)**2 - kappa0**2 - kappa1**2,

the constant, linear and "everything else" parts of ``f`` seen through a Gaussian input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import erf

from ._checks import check_choice


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


def _arcsin_kernel(S: np.ndarray) -> np.ndarray:
    """``E[erf(a) erf(b)]`` for centred Gaussians with covariance ``S``: entrywise arcsin law."""
    d = 1.0 + 2.0 * np.diag(S)
    R = 2.0 * S / np.sqrt(np.outer(d, d))
    return (2.0 / math.pi) * np.arcsin(np.clip(R, -1.0, 1.0))


def _sign_kernel(S: np.ndarray) -> np.ndarray:
    """``E[sign(a) sign(b)]``: ``(2/pi) arcsin`` of the correlations, diagonal exactly 1."""
    s = np.sqrt(np.diag(S))
    out = (2.0 / math.pi) * np.arcsin(np.clip(S / np.outer(s, s), -1.0, 1.0))
    np.fill_diagonal(out, 1.0)
    return out


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity ``f`` and what the course knows of it.

    ``name``: its name in :data:`REGISTRY`; ``numpy(x, out=None)``: ``f`` on arrays (calling the
    record calls it); ``closed``: ``(kappa0, kappa1, kappa_star)`` in closed form, or ``None``
    (then by quadrature, :attr:`kappas`); ``network``: usable as the network's ``phi``
    (differentiable almost everywhere); ``odd``: ``E f(xi) = 0``, centred features;
    ``kernel(S)`` and ``slope(v)``: for a centred Gaussian vector ``u`` of covariance ``S``,
    ``E[f(u) f(u)^T]`` and ``E f'(u_i)`` from the variances ``v = diag(S)`` (Stein's lemma:
    ``E[f(u_i) c] = E f'(u_i) E[u_i c]``), in closed form where they exist, else ``None``.
    """

    name: str
    numpy: Callable
    closed: tuple[float, float, float] | None
    network: bool
    odd: bool
    kernel: Callable | None = None
    slope: Callable | None = None

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return self.numpy(x, out=out)

    @property
    def analytic(self) -> bool:
        """Whether its Gaussian moments are known in closed form (:attr:`kernel`, :attr:`slope`)."""
        return self.kernel is not None

    @property
    def kappas(self) -> Kappas:
        """Its Gaussian coefficients: the closed form, else Gauss–Hermite quadrature."""
        return _kappas(self.name)

    @property
    def torch(self) -> Callable:
        """``f`` on torch tensors (imports PyTorch)."""
        return _torch_functions()[self.name]


#: Every activation of the course by name: one :class:`Activation` record each.
REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sign", _sign, (0.0, math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi)),
                   network=False, odd=True, kernel=_sign_kernel,
                   slope=lambda v: math.sqrt(2.0 / math.pi) / np.sqrt(v)),
        Activation("erf", lambda x, out=None: erf(x, out=out),  # E erf^2 = (2/pi) asin(2/3)
                   (0.0, 2 / math.sqrt(3 * math.pi),
                    math.sqrt(2 / math.pi * math.asin(2 / 3) - 4 / (3 * math.pi))),
                   network=True, odd=True, kernel=_arcsin_kernel,
                   slope=lambda v: (2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * v)),
        Activation("tanh", lambda x, out=None: np.tanh(x, out=out), None, network=True,
                   odd=True),
        Activation("relu", lambda x, out=None: np.maximum(x, 0.0, out=out),
                   (1 / math.sqrt(2 * math.pi), 0.5, math.sqrt(0.25 - 1 / (2 * math.pi))),
                   network=True, odd=False),
        Activation("linear", lambda x, out=None: x if out is None else np.copyto(out, x) or out,
                   (0.0, 1.0, 0.0), network=True, odd=True, kernel=lambda S: S,
                   slope=lambda v: np.ones_like(v)),
    )
}
#: Every name: what the data's ``sigma`` may be.
ACTIVATIONS = tuple(REGISTRY)
#: The names the network's ``phi`` may be (differentiable almost everywhere).
NETWORK_ACTIVATIONS = tuple(name for name, a in REGISTRY.items() if a.network)


def get(activation: str | Activation, *, network: bool = False) -> Activation:
    """The :class:`Activation` called ``activation`` (one of :data:`ACTIVATIONS`, or of
    :data:`NETWORK_ACTIVATIONS` with ``network=True``): the one check of a name, with a clear
    error for any other. A record passes through (checked when it was looked up)."""
    if isinstance(activation, Activation):
        if network and not activation.network:
            raise ValueError(f"activation must be one of {sorted(NETWORK_ACTIVATIONS)}, got "
                             f"{activation.name!r}")
        return activation
    return REGISTRY[check_choice(activation, "activation",
                                 NETWORK_ACTIVATIONS if network else ACTIVATIONS)]


def apply(name: str | Activation, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply activation ``name`` elementwise to ``x`` (optionally in place via ``out``)."""
    return get(name)(x, out=out)


def torch_fn(name: str | Activation):
    """The activation as a function of torch tensors (differentiable except ``sign``)."""
    return get(name).torch


@cache
def _torch_functions() -> dict[str, Callable]:
    import torch

    return {"sign": lambda t: torch.copysign(torch.ones_like(t), t), "erf": torch.erf,
            "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}


def gaussian_expectation(f, n_nodes: int = 201) -> float:
    """``E f(xi)`` for ``xi ~ N(0, 1)`` by Gauss–Hermite quadrature (``f`` smooth, vectorised)."""
    nodes, weights = hermegauss(n_nodes)
    return float(np.sum(weights * f(nodes)) / math.sqrt(2 * math.pi))


def kappas(name: str | Activation) -> Kappas:
    """Gaussian coefficients of activation ``name``: closed forms where known, else quadrature."""
    return get(name).kappas


@cache
def _kappas(name: str) -> Kappas:
    a = REGISTRY[name]
    if a.closed is not None:
        return Kappas(*a.closed)
    k0 = gaussian_expectation(a.numpy)
    k1 = gaussian_expectation(lambda x: x * a.numpy(x))
    k2 = gaussian_expectation(lambda x: a.numpy(x) ** 2)
    return Kappas(k0, k1, math.sqrt(k2 - k0**2 - k1**2))
