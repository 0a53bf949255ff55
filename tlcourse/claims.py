"""What a chapter checks, said in sentences: one folded block per chapter instead of test-log lines.

A chapter asserts what it claims (running a chapter tests its science), but the reader should not
read a list of "...: ✓" lines. Each check cell records its claim with :meth:`Claims.check`, which
raises if the claim does not hold and prints nothing if it does; the chapter's last check cell
shows the :class:`Claims` object, which renders as one folded block, "What this chapter checks",
listing every claim in a sentence with its margin::

    claims = tl.claims.Claims()
    claims.check(gain > t * se, f"TL is ahead of RF at alpha = 1 by {gain:.3f} "
                 f"({gain / se:.1f} standard errors; the {level:.0%} bound is {t:.2f})")
    ...
    claims            # the folded block, at the end of the chapter
"""

from __future__ import annotations

import html

import numpy as np

SUMMARY = "What this chapter checks"


class ClaimFailed(AssertionError):
    """A claim that the chapter makes does not hold for the numbers it computed."""


class Claims:
    """The claims a chapter checks, in the order it checks them (sentences with their margins)."""

    def __init__(self) -> None:
        self._sentences: list[str] = []

    def check(self, holds, sentence: str) -> None:
        """Record ``sentence`` if ``holds`` is true; raise :class:`ClaimFailed` naming it if not.

        ``holds``: a ``bool`` (or a NumPy boolean); anything else is refused, so that an array
        or a number is never taken for a verdict. ``sentence``: the claim as the reader would
        say it, with the numbers that decide it (the margin and the bound it was held to).
        """
        if not isinstance(sentence, str) or not sentence.strip():
            raise TypeError("sentence must be a non-empty string saying what is claimed")
        if not isinstance(holds, bool | np.bool_):
            raise TypeError(f"holds must be a bool (the claim's verdict), got "
                            f"{type(holds).__name__}: {sentence}")
        if not holds:
            raise ClaimFailed(f"this claim does not hold: {sentence}")
        self._sentences.append(sentence.strip())

    @property
    def sentences(self) -> tuple[str, ...]:
        """The claims checked so far, in order."""
        return tuple(self._sentences)

    def __len__(self) -> int:
        return len(self._sentences)

    def __repr__(self) -> str:
        lines = [f"{SUMMARY} ({len(self)} claims, each held when the chapter ran):"]
        lines += [f"{i}. {s}" for i, s in enumerate(self._sentences, start=1)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self._sentences)
        return (f'<details class="tl-claims"><summary>{SUMMARY} ({len(self)} claims, each '
                f"held when the chapter ran)</summary><ol>{items}</ol></details>")
