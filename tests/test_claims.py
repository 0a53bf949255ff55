"""tlcourse.claims: claims recorded as sentences; a failed claim raised with its text."""

import numpy as np
import pytest

from tlcourse.claims import ClaimFailed, Claims


def test_claims_are_recorded_in_order_and_rendered_folded():
    claims = Claims()
    claims.check(True, "first <claim>")
    claims.check(np.float64(2.0) > 1.0, "second claim")
    assert claims.sentences == ("first <claim>", "second claim")
    html = claims._repr_html_()
    assert html.startswith("<details") and "&lt;claim&gt;" in html and "<summary>" in html
    assert "1. first <claim>" in repr(claims) and "2 claims" in repr(claims)


def test_a_claim_that_does_not_hold_raises_with_its_sentence():
    claims = Claims()
    with pytest.raises(ClaimFailed, match="TL beats RF"):
        claims.check(False, "TL beats RF")
    assert len(claims) == 0


@pytest.mark.parametrize("holds", [np.array([True, False]), 1, 0.0, "yes", None])
def test_only_a_boolean_is_a_verdict(holds):
    with pytest.raises(TypeError, match="holds must be a bool"):
        Claims().check(holds, "a claim")


@pytest.mark.parametrize("sentence", ["", "   ", None, 3])
def test_the_sentence_must_say_something(sentence):
    with pytest.raises(TypeError, match="sentence"):
        Claims().check(True, sentence)
