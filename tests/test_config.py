"""The size setting, and a guard that the test command runs everything in the fast setting."""

import pytest

from tlcourse import config


def test_the_test_command_runs_in_the_fast_setting():
    """`make test` (and so CI) must run the chapters small: nbval kernels inherit this variable."""
    assert config.size() == "fast", (
        "run the tests with TLCOURSE_SIZE=fast (the README's test command does)"
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
