"""Lint the code cells of the book's chapters with ruff, as the package is linted.

Every MyST notebook in ``book/`` is written as a Jupyter notebook (jupytext) into a temporary
folder, and ruff checks those notebooks with the project's configuration (``pyproject.toml``),
cell by cell. Messages name the chapter and the cell. Exit status: ruff's (0 when clean).
Run: ``make lint`` (or ``.venv/bin/python tools/lint_chapters.py [ruff options]``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]


def chapters() -> list[Path]:
    """The book's pages that are notebooks (a jupytext MyST header)."""
    return [p for p in sorted((ROOT / "book").glob("*.md"))
            if "format_name: myst" in p.read_text(encoding="utf-8")[:2000]]


def main(argv: list[str]) -> int:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        folder.mkdir()
        for page in chapters():
            jupytext.write(jupytext.read(page), folder / f"{page.stem}.ipynb")
        result = subprocess.run(
            [ruff, "check", "--config", str(ROOT / "pyproject.toml"),
             # the notebooks lie outside the project: tell isort that tlcourse is ours
             "--config", "lint.isort.known-first-party = ['tlcourse']", *argv, "."],
            cwd=folder, check=False,
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
