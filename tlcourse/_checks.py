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

def check_label_noise(value) -> float:
    """``value`` as a float if it is a real number in [0, 1/2): the flip probability of a label
    (at 1/2 the labels carry no information; above, they are the teacher's negated)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"label_noise must be a real number in [0, 1/2), got {value!r}")
    value = float(value)
    if not 0.0 <= value < 0.5:  # also refuses NaN
        raise ValueError(f"label_noise must lie in 0 <= p < 1/2, got {value}")
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
    """``x`` as a finite float64 array with ``ndim`` dimensions and, if given, that ``shape``.

    Numbers only: booleans, strings and complex numbers are refused (``TypeError``), never cast.
    """
    x = _as_numbers(x, name)
    if x.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {x.shape}")
    if shape is not None and x.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {x.shape}")
    _check_finite(x, name)
    return x


def check_vector(x, name: str, *, n: int | None = None, min_size: int = 1,
                 like: str | None = None) -> np.ndarray:
    """``x`` as a finite 1-d float64 array of length ``n`` (if given; ``like`` names the argument
    whose length ``n`` is, for the message) and at least ``min_size``."""
    x = check_array(x, name, ndim=1)
    if n is not None and x.size != n:
        that = f" (that of {like})" if like else ""
        raise ValueError(f"{name} must have length {n}{that}, got {x.size}")
    if x.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got {x.size}")
    return x


def check_labels(y, name: str = "y", *, n: int | None = None,
                 like: str | None = None) -> np.ndarray:
    """``y`` as a 1-d float64 array of labels in {-1, +1}, of length ``n`` if given (that of
    the argument ``like``, named in the message).

    Other label sets (0/1, NaN, a column ``(n, 1)``) are refused: they would count as mistakes.
    """
    y = check_vector(y, name, n=n, like=like)
    if not np.isin(y, (-1.0, 1.0)).all():
        bad = np.unique(y[~np.isin(y, (-1.0, 1.0))])[:5]
        raise ValueError(f"{name} must contain only -1 and +1 labels, got also {bad.tolist()}")
    return y


def check_samples(X, y, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Check samples ``X`` (n, N), finite, ``n >= 1``, and labels ``y`` (n,) in {-1, +1}."""
    X = _as_numbers(X, "X", keep_float=True)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty (n, N) array of samples, got shape {X.shape}")
    if X.shape[1] != N:
        raise ValueError(
            f"X has input dimension {X.shape[1]} but the network expects N = {N}: "
            "the task and the network must share the input dimension"
        )
    _check_finite(X, "X")
    if np.shape(y) != (X.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({X.shape[0]},), got {np.shape(y)}")
    return X, check_labels(y)


def check_table(df, columns, name: str = "df", *, finite=()):
    """``df`` as a pandas DataFrame with ``columns``; those in ``finite`` hold finite numbers.

    A missing value in a column that is averaged or grouped would silently drop or miscount rows:
    it is refused, with the rows it is in.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame (a learning-curve table), got "
                        f"{type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} must have the columns {missing} (a learning_curves table)")
    for col in finite:
        values = df[col]
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            raise TypeError(f"{name}[{col!r}] must hold numbers, got {values.dtype}")
        bad = ~np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            raise ValueError(f"{name}[{col!r}] must be finite: NaN or inf in {int(bad.sum())} "
                             f"row(s), index {df.index[bad][:5].tolist()}")
    return df


def check_one_row_per(df, keys: list[str], name: str = "df") -> None:
    """Refuse a table with several rows for one combination of ``keys`` (stacked settings)."""
    twice = df.duplicated(keys, keep=False)
    if twice.any():
        first = df.loc[twice, keys].iloc[0].to_dict()
        raise ValueError(
            f"{name} has {int(twice.sum())} rows that share their {', '.join(keys)} with another "
            f"(e.g. {first}): one row per seed is expected; a table of several settings "
            "(deltas, sources...) must be split, or grouped by its own columns, first"
        )


def _as_numbers(x, name: str, *, keep_float: bool = False) -> np.ndarray:
    """``x`` as a float64 array (``keep_float``: a float array as it is, without a copy);
    booleans, strings, complex numbers and other objects are refused."""
    arr = np.asarray(x)
    if keep_float and arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind not in "iufO":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers, got {arr.dtype} "
                        f"entries such as {arr.flat[0]!r}") from None


def _check_finite(x: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"{name} must be finite: NaN or inf in {int(bad.sum())} of {x.size} "
                         "entries")


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" (allowed range: {low} <= {{}} < {high})".replace("{}", "value")
    return ""
