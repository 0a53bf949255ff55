"""The notebooks for Colab (``make notebooks``, book/_ext/starters.py): every chapter and every
starter as a valid ``.ipynb`` whose first cell installs the course's package on Colab only; that
cell does nothing here, and a starter runs here, top to bottom, from its ``.ipynb``."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from test_starters import NOT_ATTEMPTED, outputs_text, starters

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [p for p in sorted((ROOT / "book").glob("*.md")) if starters.is_notebook(p)]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """{"chapters" | "starters": {name: notebook}}, written by the command line of make."""
    out = tmp_path_factory.mktemp("notebooks")
    script = ROOT / "book" / "_ext" / "starters.py"
    for kind, flag in (("chapters", ["--solved"]), ("starters", [])):
        subprocess.run([sys.executable, str(script), *flag, str(out / kind),
                        *map(str, CHAPTERS)], check=True, capture_output=True, timeout=300)
    return {kind: {p.stem: p for p in (out / kind).glob("*.ipynb")}
            for kind in ("chapters", "starters")}


def test_every_chapter_and_starter_is_a_valid_notebook_opening_with_the_colab_cell(notebooks):
    expected = starters.colab_cell().source
    for kind, found in notebooks.items():
        assert sorted(found) == sorted(p.stem for p in CHAPTERS), kind
        for name, path in found.items():
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
            assert nb.cells[0].source == expected, f"{kind}/{name}: no Colab cell first"
    solved = nbformat.read(notebooks["chapters"]["hmm"], as_version=4)
    stubbed = nbformat.read(notebooks["starters"]["hmm"], as_version=4)
    assert any("np.sqrt(D)" in c.source and "def sample_hmm" in c.source for c in solved.cells)
    assert not any("np.sqrt(D)" in c.source and "def sample_hmm" in c.source
                   for c in stubbed.cells), "the starter holds the solution"


def run_colab_cell(modules: dict) -> list:
    """Run the Colab cell where ``sys.modules`` is ``modules``, with ``subprocess.run`` recorded
    instead of run (the cell imports both); return the calls."""
    calls = []
    fakes = {"sys": types.SimpleNamespace(modules=modules, executable=sys.executable),
             "subprocess": types.SimpleNamespace(run=lambda *a, **k: calls.append((a, k)))}

    def fake_import(name, *args, **kwargs):
        return fakes[name] if name in fakes else __import__(name, *args, **kwargs)

    namespace = {"__builtins__": {**vars(builtins), "__import__": fake_import}}
    exec(compile(starters.colab_cell().source, "<colab cell>", "exec"), namespace)
    return calls


def test_the_colab_cell_is_a_no_op_here_and_installs_the_package_on_colab():
    assert run_colab_cell({}) == [], "the cell installs something outside Colab"
    calls = run_colab_cell({"google.colab": types.ModuleType("google.colab")})
    assert len(calls) == 1, calls
    (command,), options = calls[0]
    repository = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]
    assert command[1:4] == ["-m", "pip", "install"] and options == {"check": True}
    assert command[-1] == f"tlcourse @ git+{repository['url']}@{repository['branch']}"


def test_a_starter_runs_here_from_its_ipynb(notebooks, monkeypatch):
    monkeypatch.setenv("TLCOURSE_SIZE", "fast")
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    path = notebooks["starters"]["hmm"]
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute()
    assert not nb.cells[0].outputs, "the Colab cell printed something here"
    stubs = [c for c in nb.cells if "starter" in c.metadata.get("tags", [])]
    assert stubs and all(NOT_ATTEMPTED in outputs_text(c) for c in stubs)
