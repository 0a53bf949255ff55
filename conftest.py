"""Let nbval execute the book's MyST-markdown chapters (book/*.md) as notebooks.

nbval collects only ``.ipynb`` files; this collector reuses nbval's own, reading each chapter
through jupytext instead of nbformat. Active only when pytest runs with ``--nbval``/``--nbval-lax``.

The tests run in the fast size setting: ``TLCOURSE_SIZE`` defaults to ``fast`` here, before
anything imports tlcourse, and the chapters' kernels inherit it. Set it explicitly to override.
"""

import os

os.environ.setdefault("TLCOURSE_SIZE", "fast")

from contextlib import contextmanager  # noqa: E402
from unittest import mock  # noqa: E402

import jupytext  # noqa: E402
import nbval.plugin  # noqa: E402


@contextmanager
def _read_with_jupytext():
    def read(path, as_version=4):
        return jupytext.read(path)

    with mock.patch.object(nbval.plugin.nbformat, "read", read):
        yield


class MystNotebook(nbval.plugin.IPyNbFile):
    """A chapter written in MyST markdown, executed cell by cell like a notebook."""

    def collect(self):
        with _read_with_jupytext():
            yield from super().collect()


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    is_chapter = file_path.suffix == ".md" and file_path.parent.name == "book"
    if (opt.nbval or opt.nbval_lax) and is_chapter:
        with open(file_path, encoding="utf-8") as f:
            if "format_name: myst" not in f.read(2000):
                return None  # a plain markdown page, nothing to execute
        return MystNotebook.from_parent(parent, path=file_path)
    return None
