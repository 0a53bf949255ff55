"""Checkers for the book's exercises: they say *what* is wrong, not only *that* it is wrong.

One module per chapter (:mod:`tlcourse.exercises.hmm`, :mod:`tlcourse.exercises.chmm`). Every
checker returns a :class:`Feedback`, which is true when the answer is right and prints as a short
explanation, so that a notebook cell can show it or ``assert`` it::

    from tlcourse.exercises import hmm
    fb = hmm.check_kappa1(my_value)
    print(fb)
    assert fb
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Feedback", "first_mistake"]


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: ``ok`` (also the truth value) and a message for the student.

    ``diagnosis`` is a short machine-readable tag of the mistake found (``"correct"`` when the
    answer is right, ``"unknown"`` when the answer is wrong in a way the checker does not know).
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
