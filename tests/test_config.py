"""The size setting, and the test command's default of the fast setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tlcourse import config


@pytest.mark.parametrize(("given", "seen"), [(None, "fast"), ("full", "full")])
def test_the_test_command_runs_the_chapters_small_unless_told(given, seen):
    """The root conftest.py sets TLCOURSE_SIZE=fast when it is unset (a plain `pytest` needs no
    variable; nbval's kernels inherit it) and leaves a value that is set alone."""
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "TLCOURSE_SIZE"}
    if given is not None:
        env["TLCOURSE_SIZE"] = given
    code = ("import runpy; runpy.run_path('conftest.py'); "
            "from tlcourse import config; print(config.size())")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == seen


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
