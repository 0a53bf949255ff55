"""Checkers for the exercises of the chapter *The hidden manifold model*.

- :func:`check_kappa1`: the linear Gaussian coefficient ``kappa1 = E[xi sigma(xi)]`` of an
  activation, computed by the student (quadrature or Monte Carlo);
- :func:`check_hmm_sampler`: a student's sampler ``(F, theta, C, sigma) -> (X, y)`` of the hidden
  manifold model, compared with the reference on the same latent vectors.
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations
from .._checks import check_int
from . import Feedback, checker, close, first_mistake, function, numeric

_EXACT_TOL = 1e-3  # an exact answer (closed form, quadrature) must be this close


@checker
def check_kappa1(value: float, activation: str = "sign", n_samples: int | None = None) -> Feedback:
    """Check a value of ``kappa1 = E[xi sigma(xi)]``, ``xi ~ N(0, 1)``, for ``activation``.

    ``n_samples``: the number of Gaussian samples if the value is a Monte Carlo estimate; the
    tolerance is then four standard errors, else ``1e-3`` (quadrature or closed form). Known
    mistakes (kappa1 squared, the wrong sign, kappa0 or kappa_star instead, the normalisation of a
    Gauss-Hermite rule or of the Gaussian density) are named.
    """
    act = activations.get(activation)
    value = numeric(value, "value")
    k = act.kappas
    if n_samples is None:
        tol = _EXACT_TOL
    else:
        n_samples = check_int(n_samples, "n_samples", low=1)
        second = activations.gaussian_expectation(
            lambda x: (x * act(x)) ** 2
        )
        tol = max(4 * math.sqrt(max(second - k.kappa1**2, 0.0) / n_samples), _EXACT_TOL)
    ref = k.kappa1
    if close(value, ref, atol=tol):
        return Feedback(True, f"kappa1 = {value:.4f} (reference {ref:.4f}, tolerance {tol:.1e}).",
                        "correct")
    candidates = [
        (ref**2, "squared", "this is kappa1 squared; kappa1 = E[xi sigma(xi)] is not squared."),
        (-ref, "sign", "the sign is wrong: kappa1 = E[xi sigma(xi)], with a plus sign."),
        (k.kappa0, "kappa0", "this is kappa0 = E[sigma(xi)]; kappa1 weighs sigma(xi) by xi."),
        (k.kappa_star, "kappa_star",
         "this is kappa_star, the non-linear remainder; kappa1 is E[xi sigma(xi)]."),
        (ref * math.sqrt(math.pi), "hermite_weights",
         "too large by sqrt(pi): a Gauss-Hermite rule for weight exp(-x^2) needs the 1/sqrt(pi) "
         "of the Gaussian density."),
        (ref / math.sqrt(2), "hermite_scale",
         "too small by sqrt(2): with the weight exp(-x^2) (numpy's hermgauss), evaluate the "
         "integrand at xi = sqrt(2) x."),
        (ref * math.sqrt(2 * math.pi), "density_norm",
         "too large by sqrt(2 pi): the Gaussian density is exp(-xi^2/2)/sqrt(2 pi)."),
        (2 * ref, "factor_2", "too large by a factor 2."),
        (ref / 2, "factor_half", "too small by a factor 2."),
    ]
    found = first_mistake(candidates, lambda t: close(value, t, atol=tol),
                          is_reference=lambda t: close(t, ref, atol=2 * tol),
                          prefix=f"{value:.4f}: ")
    if found is not None:
        return found
    if close(value, ref, atol=0.02 * max(abs(ref), 1.0)):
        how = ("pass n_samples so that the tolerance matches your sample size" if n_samples is None
               else f"check it: {n_samples} samples rarely miss by this much")
        return Feedback(
            False,
            f"{value:.4f} is close to the reference {ref:.4f} but outside the tolerance "
            f"{tol:.1e}. Gauss-Hermite quadrature converges slowly for a discontinuous sigma "
            f"(sign): use scipy.integrate.quad; for a Monte Carlo estimate, {how}.",
            "imprecise",
        )
    ratio = f"{value / ref:.3g} times" if ref != 0 else "not"
    return Feedback(
        False,
        f"{value:.4f} is {ratio} the reference {ref:.4f} (tolerance {tol:.1e}); "
        "kappa1 = E[xi sigma(xi)] for xi ~ N(0, 1).",
        "unknown",
    )


def _reference_problem():
    """A small fixed instance with distinct dimensions, so that transposes show."""
    rng = np.random.default_rng(2020)
    D, N, n = 5, 8, 13
    return rng.standard_normal((D, N)), rng.standard_normal(D), rng.standard_normal((n, D))


def _signs(z):
    return np.where(z >= 0, 1.0, -1.0)


@checker
def check_hmm_sampler(sampler) -> Feedback:
    """Check ``sampler(F, theta, C, sigma) -> (X, y)`` against the hidden manifold model.

    The reference is ``X = sigma(C F / sqrt(D))`` of shape (n, N) and ``y = sign(C theta /
    sqrt(D))`` in {-1, +1} of shape (n,), for ``F`` (D, N), ``theta`` (D,), latent vectors ``C``
    (n, D) and ``sigma = np.tanh`` (with ``sign`` the normalisation would be invisible). The
    feedback names a transposed output, a wrong or misplaced normalisation, a missing
    nonlinearity, and labels that are 0/1, flipped or not signs.
    """
    function(sampler, "sampler", "(F, theta, C, sigma) -> (X, y)")
    F, theta, C = _reference_problem()
    (D, N), n = F.shape, C.shape[0]
    try:
        out = sampler(F.copy(), theta.copy(), C.copy(), np.tanh)
    except Exception as err:  # the student's code: report the error, do not crash the checker
        return Feedback(
            False,
            f"your function raised {type(err).__name__}: {err}. With C of shape (n, D) and F of "
            "shape (D, N), the inputs are sigma(C @ F / sqrt(D)).",
            "error",
        )
    if not isinstance(out, tuple | list) or len(out) != 2:
        return Feedback(False, "return a pair (X, y).", "not_pair")
    X = numeric(out[0], "the X your sampler returned", shape=None)
    y = numeric(out[1], "the y your sampler returned", shape=None)

    if X.shape == (N, n):
        return Feedback(False, f"X has shape {X.shape}: it is transposed; one row per sample, "
                        f"(n, N) = ({n}, {N}).", "transposed")
    if X.shape != (n, N):
        return Feedback(False, f"X has shape {X.shape}, expected (n, N) = ({n}, {N}).", "shape")
    Z = C @ F
    x_wrong = [
        (np.tanh(Z), "no_normalisation",
         "the pre-activations miss the 1/sqrt(D): x = sigma(F^T c / sqrt(D))."),
        (np.tanh(Z / D), "normalisation_D", "you divided by D; divide by sqrt(D)."),
        (np.tanh(Z / np.sqrt(N)), "normalisation_N",
         "you divided by sqrt(N); the projection sums over the D latent directions: sqrt(D)."),
        (np.tanh(Z) / np.sqrt(D), "normalisation_outside",
         "the 1/sqrt(D) belongs inside the nonlinearity: sigma(F^T c / sqrt(D))."),
        (Z / np.sqrt(D), "no_nonlinearity", "the nonlinearity sigma is not applied."),
        (np.tanh(C) @ F / np.sqrt(D), "sigma_first",
         "sigma is applied to the latent vector before the feature map; apply it to "
         "F^T c / sqrt(D)."),
    ]
    if not close(X, np.tanh(Z / np.sqrt(D)), rtol=1e-5, atol=1e-8):
        for ref, tag, message in x_wrong:
            if close(X, ref, rtol=1e-5, atol=1e-8):
                return Feedback(False, "inputs: " + message, tag)
        return Feedback(False, "the inputs differ from sigma(C F / sqrt(D)) on the same latent "
                        "vectors C.", "inputs_unknown")

    y_ref = _signs(C @ theta / np.sqrt(D))
    if y.shape != (n,):
        return Feedback(False, f"y has shape {y.shape}, expected (n,) = ({n},).", "label_shape")
    if close(y, y_ref):
        return Feedback(True, "inputs and labels match the hidden manifold model.", "correct")
    if close(y, (y_ref + 1) / 2):
        return Feedback(False, "labels must be -1/+1, not 0/1.", "labels_01")
    if close(y, -y_ref):
        return Feedback(False, "labels have the wrong sign: y = sign(theta . c / sqrt(D)).",
                        "labels_flipped")
    if (close(y, C @ theta / np.sqrt(D), rtol=1e-5, atol=1e-8)
            or close(y, np.tanh(C @ theta / np.sqrt(D)), rtol=1e-5, atol=1e-8)):
        return Feedback(False, "labels must be signs: y = sign(theta . c / sqrt(D)), in {-1, +1}.",
                        "labels_not_sign")
    return Feedback(False, "the labels differ from sign(theta . c / sqrt(D)): the teacher acts on "
                    "the latent vector c, not on the input x.", "labels_unknown")
