"""Checkers for the book's exercises: they say *what* is wrong, not only *that* it is wrong.

One module per chapter (:mod:`tlcourse.exercises.hmm`, :mod:`tlcourse.exercises.chmm`). Every
checker returns a :class:`Feedback`, which is true when the answer is right and prints as a short
explanation, so that a notebook cell can show it or ``assert`` it::

    from tlcourse.exercises import hmm
    fb = hmm.check_kappa1(my_value)
    print(fb)
    assert fb

The rule every checker follows (apply :func:`checker` to each public ``check_*`` function; a test
fails for one that lacks it):

- its *answer* parameters (the first parameter by default, or those named in
  ``@checker(answers=(...))``) take the student's value or the student's function;
- an untouched starter stub is "not attempted yet", never an error: an answer that is ``None`` or
  ``...``, or a student's function that returns ``None`` or ``...`` (a body left as ``...``),
  gives a false :class:`Feedback` tagged ``"not_attempted"``;
- when a student's function raises, the checker does not: the :class:`Feedback` (tag
  ``"raised"``) names the exception and its message. Errors in the checker's *other* arguments
  (a bad ``activation``, ``lam`` ...) still raise, with a message naming the argument;
- an answer the checker cannot judge (not a number or a function where one is expected, NaN or
  infinite values, a wrong shape) gets a false :class:`Feedback` naming the problem and where it
  came from ("what your function returned for V = 10 is NaN"), tagged ``"type"``, ``"nan"`` or
  ``"shape"``: never "Correct", never an exception. Checkers read answers with :func:`numeric`
  and :func:`function` and compare them with :func:`close`, the one comparison of the checkers
  (no broadcasting, NaN never close).

So a solution cell in the book ends with a checker call that receives the student's function, or
a value computed by calling it directly (``check_kappa1(kappa1("sign"))``, not
``check_kappas(*kappas("erf"))`` or ``check_x(f() * 2)``: a stub's ``None`` cannot be unpacked or
multiplied before the checker sees it)::

    @checker                                   # the answer is the first parameter
    def check_feature_map(fn, activation="erf") -> Feedback: ...

    @checker(answers=("kappa0", "kappa1", "kappa_star"))
    def check_kappas(kappa0, kappa1, kappa_star, activation="erf") -> Feedback: ...
"""

from __future__ import annotations

import functools
import inspect
import numbers
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["NOT_ATTEMPTED", "RAISED", "Feedback", "NotJudged", "checker", "close", "first_mistake",
           "function", "is_checker", "is_number", "numeric"]

NOT_ATTEMPTED = "not_attempted"  # diagnosis of an untouched stub
RAISED = "raised"  # diagnosis of a student's function that raised


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: ``ok`` (also the truth value) and a message for the student.

    ``diagnosis`` is a short machine-readable tag of the mistake found (``"correct"`` when the
    answer is right, ``"unknown"`` when the answer is wrong in a way the checker does not know,
    ``"not_attempted"`` for an untouched stub, ``"raised"`` when the student's function raised).
    """

    ok: bool
    message: str
    diagnosis: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return ("Correct. " if self.ok else "Not yet. ") + self.message

    __repr__ = __str__


def first_mistake(
    mistakes: Iterable[tuple[object, str, str]],
    matches: Callable[[object], bool],
    *,
    is_reference: Callable[[object], bool] | None = None,
    prefix: str = "",
) -> Feedback | None:
    """The :class:`Feedback` of the first known mistake the answer matches, or ``None``.

    ``mistakes`` holds ``(value of that mistake, tag, message)``; ``matches(value)`` says whether
    the student's answer equals it. With ``is_reference``, a mistake whose value cannot be told
    from the right answer (``is_reference(value)`` true) is never named. ``prefix`` starts the
    message (e.g. the answer itself). Test the result with ``is not None``: the Feedback of a
    mistake is itself false.
    """
    for value, tag, message in mistakes:
        if (is_reference is None or not is_reference(value)) and matches(value):
            return Feedback(False, prefix + message, tag)
    return None


# --- reading and comparing answers -----------------------------------------------------------
class NotJudged(Exception):
    """An answer a checker cannot judge; ``feedback`` says why. Raised by :func:`numeric` and
    :func:`function`; :func:`checker` returns its feedback."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback.message)
        self.feedback = feedback


def numeric(value, name: str, *, shape: tuple | None = ()) -> float | np.ndarray:
    """A student's ``value`` as a finite float (``shape=()``) or a finite float64 array of
    ``shape`` (``None``: any shape, a 0-d array for a single number), else :class:`NotJudged`
    naming ``name`` and the problem.

    Nothing is coerced: a string, a boolean, ``None`` or a ragged list is not a number.
    """
    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        kind = f"a {type(value).__name__}"
    else:
        try:
            arr = np.asarray(value)
        except Exception:  # noqa: BLE001 - ragged lists, tensors that need grad, ...
            arr = None
        kind = (f"a {type(value).__name__}" if arr is None or arr.dtype.kind not in "iuf"
                else None)
    if kind is not None:
        what = "a number" if shape == () else "an array of numbers"
        raise NotJudged(Feedback(False, f"{name} must be {what}, got {kind} ({value!r:.60}).",
                                 "type"))
    if shape is not None and arr.shape != tuple(shape):
        want = "a single number" if shape == () else f"shape {tuple(shape)}"
        raise NotJudged(Feedback(False, f"{name} has shape {arr.shape}, expected {want}.",
                                 "shape"))
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        if arr.ndim == 0:
            what = "NaN" if np.isnan(arr) else f"infinite ({arr.item()})"
            raise NotJudged(Feedback(False, f"{name} is {what}.", "nan"))
        raise NotJudged(Feedback(False, f"{name} has {int(bad.sum())} of {arr.size} entries "
                                 "that are NaN or infinite.", "nan"))
    return float(arr) if shape == () else arr  # shape=None: always an array, 0-d included


def function(value, name: str, signature: str) -> Callable:
    """A student's ``value`` if it is callable, else :class:`NotJudged` asking for a function
    ``signature`` (e.g. ``"(y, omega, V) -> eta"``)."""
    if not callable(value):
        raise NotJudged(Feedback(False, f"{name} must be a function {signature}, got "
                                 f"{type(value).__name__} ({value!r:.60}).", "type"))
    return value


def close(answer, reference, *, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Whether ``|answer - reference| <= atol + rtol |reference|`` everywhere, with the same
    shape (no broadcasting). ``False`` for NaN, for non-numbers, and for different shapes."""
    try:
        a = np.asarray(answer, dtype=np.float64)
        b = np.asarray(reference, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def is_number(value) -> bool:
    """Whether ``value`` is a real number (not a boolean)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# --- the shared rule: untouched stubs and students' exceptions -----------------------------------
class _NotAttempted(BaseException):
    """A student's function returned None or Ellipsis (a stub's body).

    A BaseException, so that a checker's own ``except Exception`` around the student's call
    does not swallow it: the decorator turns it into the "not attempted yet" feedback.
    """

    def __init__(self, name: str, returned: object) -> None:
        super().__init__(name, returned)
        self.name, self.returned = name, returned


_STUDENT_CODE = (types.FunctionType, types.MethodType, functools.partial)


def _is_blank(value: object) -> bool:
    return value is None or value is Ellipsis


class _Watch:
    """Wraps the student's functions passed to one checker call and records what they raised."""

    def __init__(self) -> None:
        self.raised: list[tuple[str, BaseException]] = []

    def wrap(self, fn: Callable) -> Callable:
        name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "")
        name = name or "your function"

        @functools.wraps(fn)
        def student(*args, **kwargs):
            try:
                out = fn(*args, **kwargs)
            except Exception as exc:
                self.raised.append((name, exc))
                raise
            if _is_blank(out):
                raise _NotAttempted(name, out)
            return out

        return student

    def origin(self, exc: BaseException) -> str | None:
        """The name of the student's function ``exc`` (or an exception it caused) came from."""
        seen = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            for name, raised in self.raised:
                if raised is exc:
                    return name
            exc = exc.__cause__ or exc.__context__
        return None


def _not_attempted(what: str) -> Feedback:
    return Feedback(False, f"not attempted yet: {what}. Replace the `...` by your code and run "
                    "the cell again.", NOT_ATTEMPTED)


def checker(fn: Callable | None = None, *, answers: tuple[str, ...] | None = None):
    """Decorate an exercise checker with the shared rule of this module's docstring.

    ``answers``: the names of the parameters that take the student's answer (default: the first
    parameter). Use as ``@checker`` or ``@checker(answers=("a", "b"))``. The decorated function
    keeps its name, signature and docstring; ``is_checker`` tells that it was decorated.
    """

    def decorate(func: Callable) -> Callable:
        params = list(inspect.signature(func).parameters)
        names = tuple(answers) if answers is not None else tuple(params[:1])
        unknown = [a for a in names if a not in params]
        if not names or unknown:
            raise ValueError(f"answers must name parameters of {func.__name__}{tuple(params)}, "
                             f"got {names}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = inspect.signature(func).bind_partial(*args, **kwargs)
            watch = _Watch()
            for name in names:
                if name not in bound.arguments:
                    continue  # a missing argument: let the call raise its own TypeError
                value = bound.arguments[name]
                if _is_blank(value):
                    return _not_attempted(f"{name} is {value!r}")
                if isinstance(value, _STUDENT_CODE):
                    bound.arguments[name] = watch.wrap(value)
            try:
                return func(*bound.args, **bound.kwargs)
            except NotJudged as unjudged:
                return unjudged.feedback
            except _NotAttempted as stub:
                return _not_attempted(f"{stub.name} returned {stub.returned!r}")
            except Exception as exc:
                origin = watch.origin(exc)
                if origin is None:
                    raise  # the checker's own error (e.g. a bad argument): not the student's
                return Feedback(False, f"{origin} raised {type(exc).__name__}: {exc}", RAISED)

        wrapper.__tlcourse_checker__ = names
        return wrapper

    return decorate(fn) if fn is not None else decorate


def is_checker(fn: object) -> bool:
    """Whether ``fn`` was decorated with :func:`checker`."""
    return hasattr(fn, "__tlcourse_checker__")
