"""Lint the code cells of the book's chapters with ruff, as the package is linted.

Every MyST notebook in ``book/`` is written as a Jupyter notebook (jupytext) into a temporary
folder, and ruff checks those notebooks with the project's configuration (``pyproject.toml``),
cell by cell, with a shorter line length than the package's: ``CODE_LINE`` characters, what the
page shows of a code cell at 1280 px (the code box of the book's theme is 623 px wide and holds 84
characters of its monospace font; ``tests/test_html.py`` measures every code box of the built
book). Messages name the chapter and the cell.

It also refuses a protocol's colour written by hand: a code line that names a protocol in a string
(``"TL"``, ``"RF theory"``, ...) and holds a colour literal (``"C2"``, ``"#0173b2"``, ``"tab:red"``)
beside it. A protocol's colour comes from ``tlcourse.plotting.protocol_style`` (the table
``tlcourse.specs.PROTOCOLS``), so that it looks the same in every figure. Exit status: 0 when
both checks are clean.
Run: ``make lint`` (or ``.venv/bin/python tools/lint_chapters.py [ruff options]``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

from tlcourse.specs import PROTOCOLS

ROOT = Path(__file__).resolve().parents[1]
CODE_LINE = 84  # characters of a chapter's code line (E501)


def chapters() -> list[Path]:
    """The book's pages that are notebooks (a jupytext MyST header)."""
    return [p for p in sorted((ROOT / "book").glob("*.md"))
            if "format_name: myst" in p.read_text(encoding="utf-8")[:2000]]


_NAMES = "|".join(re.escape(name) for name in PROTOCOLS)
PROTOCOL_STRING = re.compile(rf"""(["'])[^"'\n]*(?<![\w-])(?:{_NAMES})(?![\w-])[^"'\n]*\1""")
COLOUR = re.compile(r"""(["'])(?:C\d|#[0-9a-fA-F]{3,8}|tab:\w+)\1""")


def hand_coloured_protocols(page: Path) -> list[str]:
    """``chapter:line: text`` of each code line pairing a protocol's name with a colour."""
    found, in_code = [], False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```{code-cell}"):
            in_code = True
        elif in_code and line.startswith("```"):
            in_code = False
        elif in_code and PROTOCOL_STRING.search(line) and COLOUR.search(line):
            found.append(f"{page.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


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
             "--config", "lint.isort.known-first-party = ['tlcourse']",
             "--config", f"line-length = {CODE_LINE}", *argv, "."],
            cwd=folder, check=False,
        )
    coloured = [hit for page in chapters() for hit in hand_coloured_protocols(page)]
    for hit in coloured:
        print(f"{hit}\n  a protocol's colour written by hand: use "
              "tlcourse.plotting.protocol_style(name)")
    return result.returncode or int(bool(coloured))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
