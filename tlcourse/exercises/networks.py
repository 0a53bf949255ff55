"""Checkers for the exercises of the welcome page and of Part II (*Two-layer networks on the
source*, *Four protocols and a baseline*).

- :func:`check_parameter_counts`: the numbers that define a task and a network, and how many of
  them transfer learning and fine-tuning train;
- :func:`check_feature_map`: a student's feature map ``(W, X, activation) -> (n, K)``;
- :func:`check_alignment`: the fraction of a first layer's squared norm in the span of the
  latent features ``F``;
- :func:`check_tl_readout`: a transfer-learning readout fitted by the student;
- :func:`check_n_test`: the number of test samples needed for a given standard error.
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations, readout
from .._checks import check_fraction, check_positive
from ..featuremap import features
from ..firstlayer import alignment
from . import Feedback, checker, close, first_mistake, function, numeric


@checker
def check_feature_map(fn, activation: str = "erf") -> Feedback:
    """Check ``fn(W, X, activation)`` against ``phi(X W^T / sqrt(N))`` on fixed inputs.

    Uses ``N = 12`` inputs, ``K = 5`` units and ``n = 7`` samples, so that a transposed result,
    a missing or wrong normalisation (``sqrt(K)`` for ``sqrt(N)``, an extra ``1/sqrt(K)``),
    a missing or different activation can each be named.
    """
    activations.get(activation, network=True)
    function(fn, "fn", "(W, X, activation) -> features")
    g = np.random.default_rng(0)
    N, K, n = 12, 5, 7
    W, X = g.standard_normal((K, N)), np.sign(g.standard_normal((n, N)))
    try:
        got = fn(W.copy(), X.copy(), activation)
    except Exception as exc:  # noqa: BLE001 - the student's code may fail in any way
        return Feedback(False, f"your function raised {type(exc).__name__}: {exc}", "raises")
    got = numeric(got, f"what your function returned for W ({K}, {N}) and X ({n}, {N})",
                  shape=None)
    ref = features(W, X, activation)
    if got.shape == (K, n):
        return Feedback(False, f"the shape is (K, n) = {got.shape}; return one row per sample, "
                        "(n, K): X @ W.T, not W @ X.T.", "transposed")
    if got.shape != (n, K):
        return Feedback(False, f"expected shape (n, K) = {(n, K)}, got {got.shape}.", "shape")
    if close(got, ref, rtol=1e-6, atol=1e-9):
        return Feedback(True, f"your feature map matches phi(X W^T / sqrt(N)) ({activation}).",
                        "correct")
    phi = lambda h: activations.apply(activation, h)  # noqa: E731
    h = X @ W.T
    candidates = [
        (phi(h), "no_sqrt_n", "the pre-activations miss the factor 1/sqrt(N): h = W x / sqrt(N)."),
        (phi(h / math.sqrt(K)), "sqrt_k",
         "you divided by sqrt(K); the pre-activations are normalised by the input dimension "
         "sqrt(N)."),
        (h / math.sqrt(N), "no_activation",
         f"these are the pre-activations h; the features are phi(h) with phi = {activation}."),
        (ref / math.sqrt(K), "readout_norm",
         "the 1/sqrt(K) belongs to the readout f = v . phi(h) / sqrt(K), not to the features."),
    ]
    candidates += [
        (activations.apply(other, h / math.sqrt(N)), "activation",
         f"you applied {other}; this network uses {activation}.")
        for other in activations.NETWORK_ACTIVATIONS if other != activation
    ]
    found = first_mistake(candidates, lambda c: close(got, c, rtol=1e-6, atol=1e-9))
    if found is not None:
        return found
    worst = float(np.max(np.abs(got - ref)))
    return Feedback(False, f"your features differ from phi(X W^T / sqrt(N)) by up to {worst:.3g}.",
                    "unknown")


@checker
def check_alignment(value: float, W, F) -> Feedback:
    """Check the student's value of :func:`tlcourse.firstlayer.alignment` ``(W, F)`` (tolerance
    ``1e-6``).

    Names the usual slips: the complement, a norm not squared, no division by ``|W|^2``, a
    projection with ``F^T F / N`` (not a projector unless ``F`` has orthonormal rows), and the
    random baseline ``D / N``.
    """
    ref = alignment(W, F)
    value = numeric(value, "value")
    W, F = np.asarray(W, dtype=float), np.asarray(F, dtype=float)
    if close(value, ref, atol=1e-6 * max(1.0, abs(ref))):
        return Feedback(True, f"fraction in the latent span = {ref:.4f} (random: D/N = "
                        f"{F.shape[0] / F.shape[1]:.4f}).", "correct")
    D, N = F.shape
    candidates = [
        (1 - ref, "complement", "this is the fraction *outside* the span of F: 1 minus it."),
        (math.sqrt(ref), "not_squared",
         "this is a ratio of norms; the fraction of the squared norm is |W P|^2 / |W|^2."),
        (ref * np.sum(W**2), "not_normalised",
         "this is |W P|^2; divide by |W|^2 to get a fraction."),
        (float(np.sum((W @ F.T @ F / N) ** 2) / np.sum(W**2)), "not_a_projector",
         "F^T F / N is not a projector (the rows of F are not orthonormal); project with an "
         "orthonormal basis of the rows of F, e.g. Q from np.linalg.qr(F.T)."),
        (D / N, "random_baseline",
         "D / N is what a random W gives on average, not the value for this W."),
    ]
    found = first_mistake(candidates, lambda c: close(value, c, atol=1e-6 * max(1.0, abs(c))))
    if found is not None:
        return found
    return Feedback(False, f"expected a fraction in [0, 1] near {ref:.3f}, got {value:.4g}.",
                    "unknown")


@checker
def check_tl_readout(v, W, X, y, lam: float, activation: str = "erf") -> Feedback:
    """Check a student's TL readout ``v`` (K,) on target samples ``X, y`` with first layer ``W``.

    The reference minimises ``sum log(1 + exp(-y v . phi / sqrt(K))) + (lam / 2) |v|^2``
    (:func:`tlcourse.readout.fit_readout`); agreement within ``1e-3`` relative norm (solver
    precision). Names: ``C = lam`` instead of ``1 / lam``, features not divided by ``sqrt(K)``,
    a mean loss instead of a sum.
    """
    lam = check_positive(lam, "lam")
    V = features(W, X, activation)
    K = V.shape[1]
    v = numeric(v, "v", shape=None).ravel()
    if v.shape != (K,):
        return Feedback(False, f"expected K = {K} readout weights, got shape {v.shape}.", "shape")
    ref = readout.fit_readout(V, y, lam)

    def near(a):
        return close(np.linalg.norm(v - a), 0, atol=1e-3 * np.linalg.norm(a))

    if near(ref):
        g = np.linalg.norm(readout.gradient(v, V, y, lam))
        return Feedback(True, f"your readout is the minimiser (gradient norm {g:.2g}).", "correct")
    unscaled = readout.fit_readout(V * math.sqrt(K), y, lam)  # fitted on phi, not phi / sqrt(K)
    candidates = [
        (readout.fit_readout(V, y, 1 / lam), "C_is_lam",
         "scikit-learn's C is the inverse regularisation: use C = 1 / lam."),
        (unscaled, "no_sqrt_k",
         "you fitted on the features phi without the 1/sqrt(K) of the network's readout; fit "
         "on phi / sqrt(K) (or rescale the problem consistently)."),
        (unscaled * math.sqrt(K), "no_sqrt_k",
         "the factor sqrt(K) is not enough: the penalty changes too. Fit on phi / sqrt(K) with "
         "C = 1 / lam."),
        (readout.fit_readout(V, y, lam * len(y)), "mean_loss",
         "this minimises the *mean* loss with penalty lam / 2; the course's objective sums the "
         "losses (equivalently, the mean with lam / n)."),
    ]
    found = first_mistake(candidates, near)
    if found is not None:
        return found
    rel = np.linalg.norm(v - ref) / np.linalg.norm(ref)
    return Feedback(False, f"your readout differs from the minimiser by {rel:.1%} in norm; check "
                    "the objective (sum of logistic losses + lam/2 |v|^2, no intercept).",
                    "unknown")


@checker
def check_n_test(n, error: float, stderr: float) -> Feedback:
    """Check the smallest number of test samples giving standard error ``<= stderr`` at test
    error ``error``: ``n = ceil(error (1 - error) / stderr^2)`` (one sample of slack allowed)."""
    error = check_fraction(error, "error")
    stderr = check_positive(stderr, "stderr")
    numeric(n, "n")  # a finite number, or feedback saying what it is
    if n < 1:
        return Feedback(False, f"{n} test samples measure nothing: at least one is needed.",
                        "too_few")
    # 40000.000000001 -> 40000; at least one sample, even when e (1 - e) = 0
    ref = max(1, math.ceil(error * (1 - error) / stderr**2 * (1 - 1e-12)))
    if close(n, ref, atol=1):
        return Feedback(True, f"n = {ref}: sqrt(e (1 - e) / n) = "
                        f"{math.sqrt(error * (1 - error) / ref):.4f} <= {stderr}.", "correct")
    candidates = [
        (error / stderr**2, "no_one_minus_e",
         "the variance of a wrong/right indicator is e (1 - e), not e."),
        (math.sqrt(error * (1 - error)) / stderr, "not_squared",
         "se = sqrt(e (1 - e) / n) gives n = e (1 - e) / se^2: square the standard error."),
        (error * (1 - error) / stderr, "not_squared",
         "divide by the *square* of the standard error: n = e (1 - e) / se^2."),
        (0.25 / stderr**2, "worst_case",
         "1 / (4 se^2) is the worst case (e = 1/2): safe, but more than this error needs."),
    ]
    found = first_mistake(candidates, lambda c: close(n, c, rtol=1e-9, atol=1))
    if found is not None:
        return found
    verdict = "too few" if n < ref else "more than needed"
    return Feedback(False, f"{n} is {verdict}; solve sqrt(e (1 - e) / n) = se for n.", "unknown")


_COUNT_CASES = ((100, 200, 200), (20, 50, 30))
_COUNT_KEYS = ("task", "network", "TL", "FT")


@checker
def check_parameter_counts(count) -> Feedback:
    """Check ``count(D, N, K) -> {"task", "network", "TL", "FT"}``.

    ``task``: the numbers defining a task, ``F`` (D, N) and ``theta`` (D,), ``D N + D``;
    ``network``: the parameters of ``f(x) = v . phi(W x / sqrt(N)) / sqrt(K)``, ``K N + K``;
    ``TL``: those transfer learning trains on the target (the readout, ``K``); ``FT``: those
    fine-tuning trains (all of them). Tried on two ``(D, N, K)`` with distinct values, so that
    ``D`` and ``K`` cannot be confused. Names a forgotten teacher or readout, TL training the
    first layer, and the two protocols swapped; an exception raised is reported.
    """
    function(count, "count", "(D, N, K) -> dict")
    for D, N, K in _COUNT_CASES:
        where = f"for D, N, K = {D}, {N}, {K}: "
        try:
            got = count(D, N, K)
        except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
            return Feedback(False, where + f"your function raised {type(err).__name__}: {err}.",
                            "error")
        if not isinstance(got, dict) or any(k not in got for k in _COUNT_KEYS):
            return Feedback(False, f"return a dict with the keys {', '.join(_COUNT_KEYS)}; got "
                            f"{got!r}.", "keys")
        for k in _COUNT_KEYS:  # numbers, or feedback saying which is not
            numeric(got[k], f"the {k!r} count your function returned for D, N, K = {D}, {N}, {K}")
        ref = {"task": D * N + D, "network": K * N + K, "TL": K, "FT": K * N + K}
        if got["task"] != ref["task"]:
            hint = {D * N: "the teacher theta (D numbers) is part of the task too.",
                    N * D + N: "theta lives in the latent space: it has D entries, not N."}
            return Feedback(False, where + f"task = {got['task']}, expected {ref['task']}: "
                            + hint.get(got["task"], "F is D x N, theta has D entries."), "task")
        if got["network"] != ref["network"]:
            hint = {K * N: "the readout v (K numbers) is a parameter too.",
                    K * N + N: "the readout has one weight per hidden unit: K, not N."}
            return Feedback(False, where + f"network = {got['network']}, expected "
                            f"{ref['network']}: " + hint.get(got["network"], "W is K x N, v has "
                                                            "K entries."), "network")
        if got["TL"] == got["FT"] == ref["network"] or (got["TL"], got["FT"]) == (K, K):
            return Feedback(False, where + "TL and FT do not train the same parameters: TL "
                            "trains the readout only, FT the whole network.", "same")
        if (got["TL"], got["FT"]) == (ref["FT"], ref["TL"]):
            return Feedback(False, where + "swapped: transfer learning keeps the first layer "
                            "frozen and trains the readout (K); fine-tuning trains everything.",
                            "swapped")
        if got["TL"] != ref["TL"]:
            return Feedback(False, where + f"TL = {got['TL']}, expected {K}: with a frozen first "
                            "layer only the readout v is trained.", "TL")
        if got["FT"] != ref["FT"]:
            return Feedback(False, where + f"FT = {got['FT']}, expected {ref['FT']}: fine-tuning "
                            "trains both layers.", "FT")
    return Feedback(True, "task D N + D, network K N + K, TL trains K, FT trains K N + K.",
                    "correct")
