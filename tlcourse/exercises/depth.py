"""Checkers for the exercises of *How many layers to transfer* (Part V).

- :func:`check_trained_counts`: how many parameters each depth protocol trains on the target;
- :func:`check_deep_features`: the features of the two hidden layers, ``phi(W2 h / sqrt(K1))``;
- :func:`check_resolved`: whether a paired margin over a few source networks is resolved, with
  Student's t quantile.

Every checker given ``None`` or ``...`` (an untouched starter stub) answers "not attempted yet";
a checker that runs a student's function reports the exception it raised instead of raising it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import stats
from ..featuremap import features
from . import Feedback, checker, close, first_mistake, function, numeric

_COUNT_KEYS = ("TL1", "TL2", "FT2", "3L")
_COUNT_CASES = ((30, 20, 10), (7, 11, 5))  # (N, K1, K2), all different


def _raised(where: str, err: Exception) -> Feedback:
    return Feedback(False, where + f"your function raised {type(err).__name__}: {err}.",
                    "raised")


@checker
def check_trained_counts(count) -> Feedback:
    """Check ``count(N, K1, K2) -> {"TL1", "TL2", "FT2", "3L"}``: the parameters each protocol
    trains on the target, for the network ``v . phi(W2 phi(W1 x / sqrt(N)) / sqrt(K1)) /
    sqrt(K2)``: TL1 ``W2`` and ``v`` (``K1 K2 + K2``), TL2 ``v`` (``K2``), FT2 and 3L all
    (``N K1 + K1 K2 + K2``). Tried on two ``(N, K1, K2)`` with distinct values; names a
    forgotten readout, ``K1`` and ``K2`` confused, and FT2 counted as TL2.
    """
    function(count, "count", "(N, K1, K2) -> dict")
    for N, K1, K2 in _COUNT_CASES:
        where = f"for N, K1, K2 = {N}, {K1}, {K2}: "
        try:
            got = count(N, K1, K2)
        except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
            return _raised(where, err)
        if not isinstance(got, dict) or any(k not in got for k in _COUNT_KEYS):
            return Feedback(False, f"return a dict with the keys {', '.join(_COUNT_KEYS)}; got "
                            f"{got!r:.80}.", "keys")
        got = {k: numeric(got[k], f"the {k!r} count your function returned " + where[4:-2])
               for k in _COUNT_KEYS}
        every = N * K1 + K1 * K2 + K2
        ref = {"TL1": K1 * K2 + K2, "TL2": K2, "FT2": every, "3L": every}
        for k in _COUNT_KEYS:
            if got[k] == ref[k]:
                continue
            mistakes = [
                (ref[k] - K2, "readout", "the readout v (K2 numbers) is trained too."),
                (ref[k] - K2 + K1, "widths", "the readout has one weight per unit of the "
                 "second hidden layer: K2, not K1."),
            ]
            if k in ("FT2", "3L"):
                mistakes.append((ref["TL2"] if k == "FT2" else ref["TL1"], "frozen",
                                 f"{k} trains every layer (FT2 starts from the transferred ones, "
                                 "3L from a random start): nothing stays frozen."))
            else:
                mistakes.append((every, "all", f"{k} keeps the transferred layers frozen: only "
                                 "what lies above them is trained."))
            found = first_mistake(mistakes, lambda m, g=got[k]: g == m,
                                  is_reference=lambda m, r=ref[k]: m == r,
                                  prefix=where + f"{k} = {got[k]:g}, expected {ref[k]}: ")
            if found is not None:
                return found
            return Feedback(False, where + f"{k} = {got[k]:g}, expected {ref[k]}: W1 is K1 x N, "
                            "W2 is K2 x K1, v has K2 entries.", "unknown")
    return Feedback(True, "every protocol's count is right: TL2 trains K2 numbers, TL1 "
                    "K1 K2 + K2, FT2 and 3L all N K1 + K1 K2 + K2.", "correct")


@checker
def check_deep_features(fn) -> Feedback:
    """Check ``fn(W1, W2, X) -> (n, K2)``, the features of the second hidden layer
    ``phi(W2 h / sqrt(K1))`` with ``h = phi(W1 x / sqrt(N))``, ``phi = erf``, on fixed inputs
    (``N = 12``, ``K1 = 6``, ``K2 = 4``, ``n = 5``). Names the first layer's features returned,
    a transposed result, the second layer normalised by ``sqrt(N)`` or not at all, and a
    missing activation on the first layer.
    """
    function(fn, "fn", "(W1, W2, X) -> features")
    g = np.random.default_rng(0)
    N, K1, K2, n = 12, 6, 4, 5
    W1, W2 = g.standard_normal((K1, N)), g.standard_normal((K2, K1))
    X = g.standard_normal((n, N))
    try:
        got = fn(W1.copy(), W2.copy(), X.copy())
    except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
        return _raised("", err)
    got = numeric(got, f"what your function returned for W1 ({K1}, {N}), W2 ({K2}, {K1}) and "
                  f"X ({n}, {N})", shape=None)
    h = features(W1, X)
    ref = features(W2, h)
    if got.shape == (n, K1) and close(got, h, rtol=1e-6, atol=1e-9):
        return Feedback(False, "these are the first layer's features h (n, K1); pass them "
                        "through the second layer: phi(h W2^T / sqrt(K1)).", "first_layer")
    if got.shape == (K2, n):
        return Feedback(False, f"the shape is (K2, n) = {got.shape}; return one row per "
                        "sample, (n, K2).", "transposed")
    if got.shape != (n, K2):
        return Feedback(False, f"expected shape (n, K2) = {(n, K2)}, got {got.shape}.", "shape")
    if close(got, ref, rtol=1e-6, atol=1e-9):
        return Feedback(True, "your features match phi(W2 phi(W1 x / sqrt(N)) / sqrt(K1)).",
                        "correct")
    from scipy.special import erf

    mistakes = [
        (erf(h @ W2.T / math.sqrt(N)), "sqrt_n", "the second layer's pre-activations are "
         "normalised by its own input dimension, sqrt(K1), not by sqrt(N)."),
        (erf(h @ W2.T), "no_sqrt_k1", "the second layer's pre-activations miss the factor "
         "1/sqrt(K1)."),
        (erf(X @ W1.T / math.sqrt(N) @ W2.T / math.sqrt(K1)), "no_first_activation",
         "the first layer's activation is missing: h = phi(W1 x / sqrt(N)) before W2."),
    ]
    found = first_mistake(mistakes, lambda m: close(got, m, rtol=1e-6, atol=1e-9))
    if found is not None:
        return found
    worst = float(np.max(np.abs(got - ref)))
    return Feedback(False, f"your features differ from the reference by up to {worst:.3g}.",
                    "unknown")


# margins over networks (one per source network) and the verdict at 95%, one-sided: the normal
# quantile (1.64) would call the first two resolved, Student's t (2.92 and 2.35) does not
_RESOLVED_CASES = (
    np.array([0.010, 0.030, 0.050]),  # mean 0.03, se 0.0115: 2.60 se
    np.array([0.0, 0.03, 0.01, 0.04]),  # mean 0.02, se 0.0091: 2.19 se
    np.array([0.05, 0.06, 0.04]),  # clearly resolved
    np.array([-0.01, 0.02, 0.0, 0.01, -0.005]),  # not resolved
    np.array([-0.05, -0.06, -0.04]),  # resolved the other way: not a positive margin
)


@checker
def check_resolved(fn, level: float = 0.95) -> Feedback:
    """Check ``fn(margins, level) -> bool``: whether the mean of ``margins`` (one paired margin
    per source network, ``G >= 2`` of them) exceeds ``t_quantile(G, level)`` standard errors
    (one-sided). Tried on fixed cases, among them two that the normal quantile calls resolved
    and Student's t does not.
    """
    function(fn, "fn", "(margins, level) -> bool")
    if isinstance(level, bool) or not isinstance(level, float | int) or not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    for margins in _RESOLVED_CASES:
        where = f"for margins {np.round(margins, 3).tolist()}: "
        try:
            got = fn(margins.copy(), level)
        except Exception as err:  # noqa: BLE001 - the student's code may fail in any way
            return _raised(where, err)
        if not isinstance(got, bool | np.bool_):
            return Feedback(False, where + f"return True or False, got {got!r:.60}.", "type")
        G = margins.size
        mean, se = margins.mean(), margins.std(ddof=1) / math.sqrt(G)
        ref = bool(mean > stats.t_quantile(G, level) * se)
        if bool(got) == ref:
            continue
        from scipy.stats import norm

        if bool(got) == bool(mean > norm.ppf(level) * se):
            return Feedback(False, where + f"that is {mean / se:.2f} standard errors: the normal "
                            f"quantile {norm.ppf(level):.2f} calls it resolved, but with {G} "
                            f"networks Student's t quantile is {stats.t_quantile(G, level):.2f}.",
                            "normal")
        if bool(got) == bool(abs(mean) > stats.t_quantile(G, level) * se):
            return Feedback(False, where + "a margin resolved below zero is not a positive "
                            "margin: the test is one-sided.", "two_sided")
        return Feedback(False, where + f"expected {ref}: the mean is {mean / se:.2f} standard "
                        f"errors (std with ddof=1, over sqrt({G})).", "unknown")
    return Feedback(True, "your verdicts match: mean > t_(G-1) x standard error, one-sided.",
                    "correct")
