"""The size setting shared by every chapter and by the tests.

The environment variable ``TLCOURSE_SIZE`` is ``full`` (the default: book-quality figures) or
``fast`` (tests and CI: the same code path with small sizes). Chapters pick their sizes with
:func:`pick`, so that one switch scales the whole book.
"""

from __future__ import annotations

import os

SIZES = ("fast", "full")
ENV_VAR = "TLCOURSE_SIZE"


def size() -> str:
    """The current size setting, ``"fast"`` or ``"full"`` (read from ``TLCOURSE_SIZE``)."""
    value = os.environ.get(ENV_VAR, "full").strip().lower()
    if value not in SIZES:
        raise ValueError(f"{ENV_VAR} must be one of {SIZES}, got {value!r}")
    return value


def pick(*, full, fast):
    """Return ``fast`` in the fast setting and ``full`` otherwise."""
    return fast if size() == "fast" else full
