"""Argument checks and random generators shared by the whole package.

Every public function validates its inputs with these helpers, so that a bad value gives an
error naming the argument and the allowed range; nothing is clipped or coerced.
"""

from __future__ import annotations

import numbers

import numpy as np

RNGLike = int | np.random.Generator | None


def as_generator(rng: RNGLike, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a seed (int) or a generator.

    ``None`` is refused: the course fixes every seed so that runs are reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be an integer seed or a numpy.random.Generator, got {type(rng).__name__}"
    )


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[low, high)`` (bounds optional) and return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}{_range(low, high)}, got {value}")
    if high is not None and value >= high:
        raise ValueError(f"{name} must be < {high}{_range(low, high)}, got {value}")
    return value


def check_fraction(value, name: str) -> float:
    """Check that ``value`` is a real number in ``[0, 1]`` and return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1], got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Check that ``value`` is a finite real number > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and np.isfinite(value)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return value


def check_array(x, name: str, *, ndim: int, shape: tuple | None = None) -> np.ndarray:
    """``x`` as a finite float64 array with ``ndim`` dimensions and, if given, that ``shape``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {x.shape}")
    if shape is not None and x.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite")
    return x


def check_samples(X, y, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Check samples ``X`` (n, N), ``n >= 1``, and labels ``y`` (n,) in {-1, +1}; return arrays."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty (n, N) array of samples, got shape {X.shape}")
    if X.shape[1] != N:
        raise ValueError(
            f"X has input dimension {X.shape[1]} but the network expects N = {N}: "
            "the task and the network must share the input dimension"
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({X.shape[0]},), got {y.shape}")
    if not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must contain only -1 and +1 labels")
    return X, y


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" (allowed range: {low} <= {{}} < {high})".replace("{}", "value")
    return ""
