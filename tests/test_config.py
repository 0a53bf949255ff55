"""The size setting, and a guard that the test command runs everything in the fast setting."""

import pytest

from tlcourse import config


def test_the_tests_run_in_the_fast_setting():
    """The chapters run small under pytest: conftest.py sets TLCOURSE_SIZE=fast unless it is set
    already, and nbval's kernels inherit it (a plain `pytest` needs no variable)."""
    assert config.size() == "fast", (
        "TLCOURSE_SIZE is set to something else than fast: the tests run the chapters small"
    )


def test_default_is_full(monkeypatch):
    monkeypatch.delenv("TLCOURSE_SIZE", raising=False)
    assert config.size() == "full"
    assert config.pick(full=1, fast=2) == 1


def test_fast(monkeypatch):
    monkeypatch.setenv("TLCOURSE_SIZE", " Fast ")
    assert config.pick(full=1, fast=2) == 2


def test_unknown_setting(monkeypatch):
    monkeypatch.setenv("TLCOURSE_SIZE", "huge")
    with pytest.raises(ValueError, match="TLCOURSE_SIZE must be one of"):
        config.size()
