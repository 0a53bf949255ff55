"""Gaussian coefficients of the activations against independent adaptive quadrature."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate

import tlcourse as tl
from tlcourse import activations


def gauss(f):
    """E f(xi) by adaptive quadrature, split at 0 where sign and relu have kinks."""
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    g = lambda x: f(x) * pdf(x)  # noqa: E731
    return integrate.quad(g, -np.inf, 0)[0] + integrate.quad(g, 0, np.inf)[0]


@pytest.mark.parametrize("name", activations.ACTIVATIONS)
def test_kappas_match_adaptive_quadrature(name):
    f = lambda x: float(activations.apply(name, np.array([x]))[0])  # noqa: E731
    k0, k1, k2 = gauss(f), gauss(lambda x: x * f(x)), gauss(lambda x: f(x) ** 2)
    k = tl.kappas(name)
    assert k.kappa0 == pytest.approx(k0, abs=1e-9)
    assert k.kappa1 == pytest.approx(k1, abs=1e-9)
    assert k.kappa_star == pytest.approx(math.sqrt(max(k2 - k0**2 - k1**2, 0.0)), abs=1e-7)


def test_known_values():
    assert tl.kappas("sign").kappa1 == pytest.approx(math.sqrt(2 / math.pi))
    assert tl.kappas("erf").kappa_star == pytest.approx(0.200364, abs=1e-6)
    assert tl.kappas("linear") == activations.Kappas(0.0, 1.0, 0.0)


@pytest.mark.parametrize("name", activations.ACTIVATIONS)
def test_numpy_and_torch_agree(name):
    x = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(
        activations.torch_fn(name)(torch.from_numpy(x)).numpy(), activations.apply(name, x),
        atol=1e-12,
    )


def test_apply_in_place():
    x = np.array([-1.0, 0.5])
    out = activations.apply("relu", x, out=x)
    assert out is x and x.tolist() == [0.0, 0.5]


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        tl.kappas("swish")
    with pytest.raises(ValueError, match="activation"):
        activations.torch_fn("swish")


@pytest.mark.parametrize("name", [n for n, a in activations.REGISTRY.items() if a.analytic])
def test_closed_form_moments_match_quadrature_and_sampling(name):
    """kernel(S) = E[f(u) f(u)^T] and slope(v) = E f'(u) (by Stein, E[u f(u)] / v) of a centred
    Gaussian u: the diagonal and the slope by adaptive quadrature, the correlation of two
    entries by sampling (within 5 standard errors of 200 000 fixed-seed samples)."""
    f = activations.REGISTRY[name]
    S = np.array([[0.7, 0.4], [0.4, 1.9]])
    K, slope = f.kernel(S), f.slope(np.diag(S))
    for i, v in enumerate(np.diag(S)):
        g = lambda x, v=v: float(f(np.array([math.sqrt(v) * x]))[0])  # noqa: E731
        assert K[i, i] == pytest.approx(gauss(lambda x, g=g: g(x) ** 2), abs=1e-7)
        assert slope[i] == pytest.approx(gauss(lambda x, g=g: x * g(x)) / math.sqrt(v),
                                         abs=1e-7)
    u = np.random.default_rng(0).multivariate_normal(np.zeros(2), S, size=200_000)
    prod = f(u[:, 0]) * f(u[:, 1])
    assert abs(K[0, 1] - prod.mean()) < 5 * prod.std() / math.sqrt(prod.size)
    np.testing.assert_array_equal(K, K.T)


def test_get_is_the_one_check_and_passes_records_through():
    assert activations.NETWORK_ACTIVATIONS == ("erf", "tanh", "relu", "linear")
    erf = activations.get("erf", network=True)
    assert activations.get(erf) is erf and activations.get(erf, network=True) is erf
    sign = activations.get("sign")
    with pytest.raises(ValueError, match=r"activation must be one of \['erf', 'linear'"):
        activations.get("sign", network=True)
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.get(sign, network=True)
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.get("swish")
    assert [n for n, a in activations.REGISTRY.items() if not a.odd] == ["relu"]
