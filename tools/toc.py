"""The book's table of contents (``_toc.yml``) as a list of documents in reading order: the one
reader of it for the build's tools and the tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def docnames(toc: dict) -> list[str]:
    """Every document of a Jupyter Book table of contents, in reading order (root first), without
    its suffix."""
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.append(str(Path(node[key]).with_suffix("")))
            for value in node.values():
                if isinstance(value, list | dict):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return list(dict.fromkeys(names))


def sources(root: Path = ROOT) -> list[Path]:
    """The source file (``.md`` or ``.ipynb``) of every document of ``root/_toc.yml``, in reading
    order; FileNotFoundError names a document that has none."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    paths = []
    for name in docnames(toc):
        found = [root / f"{name}{suffix}" for suffix in (".md", ".ipynb")
                 if (root / f"{name}{suffix}").is_file()]
        if not found:
            raise FileNotFoundError(f"{name} is in _toc.yml but has no .md or .ipynb source")
        paths.append(found[0])
    return paths
