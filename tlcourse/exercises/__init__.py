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

from dataclasses import dataclass

__all__ = ["Feedback"]


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
