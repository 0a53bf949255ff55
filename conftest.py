"""Let nbval execute the book's MyST-markdown chapters (book/*.md) as notebooks.

nbval collects only ``.ipynb`` files; this collector reuses nbval's own, reading each chapter
through jupytext instead of nbformat. Active only when pytest runs with ``--nbval``/``--nbval-lax``.

The tests run in the fast size setting: ``TLCOURSE_SIZE`` defaults to ``fast`` here, before
anything imports tlcourse, and the chapters' kernels inherit it. Set it explicitly to override.

With ``TLCOURSE_RECORD_EXECUTION`` set to a folder, each chapter that nbval executes without an
error is also written there (``<chapter>.json``: every code cell's source, outputs and execution
count, and the state of its widgets), its outputs assembled from the kernel's messages by
nbclient, as the book build assembles them. ``make test`` passes that folder to the fast book's
build (``tools/execute_chapters.py --executed``), so that the test run executes each chapter once.
"""

import os
import sys

os.environ.setdefault("TLCOURSE_SIZE", "fast")
# the tests import the build's tools (e.g. tools/toc.py, the one reader of _toc.yml)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))

import copy  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from unittest import mock  # noqa: E402

import jupytext  # noqa: E402
import nbval.plugin  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionComplete  # noqa: E402

RECORD_ENV = "TLCOURSE_RECORD_EXECUTION"


@contextmanager
def _read_with_jupytext():
    def read(path, as_version=4):
        return jupytext.read(path)

    with mock.patch.object(nbval.plugin.nbformat, "read", read):
        yield


class ExecutionRecord:
    """The outputs of a notebook's code cells, rebuilt from the kernel's iopub messages.

    Each message goes to nbclient's own ``process_message`` (outputs, ``clear_output``, display
    updates, widget state), for the code cell whose ``execute_input`` started it. No frontend is
    mimicked: widgets keep the state the kernel sent.
    """

    def __init__(self, nb):
        quiet = logging.getLogger("tlcourse.record")  # its own: "no handler for comm target"
        quiet.setLevel(logging.ERROR)
        self.client = NotebookClient(nb, store_widget_state=True, record_timing=False, log=quiet)
        self.client.comm_open_handlers = {}  # the state only; no reply is sent to the kernel
        self.cells = [cell for cell in nb.cells if cell.cell_type == "code"]
        self.executed: dict[str, int] = {}  # msg_id of an execute request -> code cell index
        self.errors = 0

    def add(self, msg: dict) -> None:
        parent = msg.get("parent_header", {}).get("msg_id")
        if msg["msg_type"] == "execute_input" and parent not in self.executed:
            index = len(self.executed)
            if index < len(self.cells) and self.cells[index].source == msg["content"]["code"]:
                self.cells[index].outputs = []
                self.executed[parent] = index
                self.client.clear_before_next_output = False  # as nbclient resets it per cell
        if parent not in self.executed:
            return
        index = self.executed[parent]
        self.errors += msg["msg_type"] == "error"
        try:
            self.client.process_message(msg, self.cells[index], index)
        except CellExecutionComplete:
            pass

    def write(self, path: Path, chapter: Path) -> bool:
        """Write the record if every code cell ran without an error; True if written."""
        if self.errors or len(self.executed) != len(self.cells):
            return False
        self.client.set_widgets_metadata()
        record = {
            "chapter": chapter.name,
            "cells": [{"source": c.source, "outputs": c.outputs,
                       "execution_count": c.execution_count} for c in self.cells],
            "widgets": self.client.nb.metadata.get("widgets"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")
        return True


class MystNotebook(nbval.plugin.IPyNbFile):
    """A chapter written in MyST markdown, executed cell by cell like a notebook."""

    record: ExecutionRecord | None = None

    def collect(self):
        with _read_with_jupytext():
            yield from super().collect()
        if os.environ.get(RECORD_ENV):
            self.record = ExecutionRecord(copy.deepcopy(self.nb))

    def setup(self):
        super().setup()
        kc = self.kernel.kc

        def execute_cell_input(cell_input, allow_stdin=None):
            # as a notebook runs a cell (nbval's own call keeps no history): a trailing ";" then
            # hides the cell's result, and the execution counts number the cells
            return kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                              stop_on_error=False)

        self.kernel.execute_cell_input = execute_cell_input

    def get_kernel_message(self, timeout=None, stream="iopub"):
        msg = super().get_kernel_message(timeout=timeout, stream=stream)
        if self.record is not None and stream == "iopub":
            self.record.add(msg)
        return msg

    def teardown(self):
        if self.record is not None:
            out = Path(os.environ[RECORD_ENV]) / f"{self.path.stem}.json"
            out.unlink(missing_ok=True)
            self.record.write(out, self.path)
        super().teardown()


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    is_chapter = file_path.suffix == ".md" and file_path.parent.name == "book"
    if (opt.nbval or opt.nbval_lax) and is_chapter:
        with open(file_path, encoding="utf-8") as f:
            if "format_name: myst" not in f.read(2000):
                return None  # a plain markdown page, nothing to execute
        return MystNotebook.from_parent(parent, path=file_path)
    return None


# Longest first (LPT scheduling): the chapters that take longest under nbval in the fast setting
# (tens of seconds each, measured in `make test`), then the other chapters, then the unit tests,
# each file's tests in their own order. With `--dist loadfile --no-loadscope-reorder` (make
# test's first stage) xdist hands out files in this order, so no worker ends the run alone on a
# long chapter. Only the order changes: a missing or renamed name here costs time, nothing else.
SLOWEST_CHAPTERS = ("when_transfer_helps", "negative_transfer", "real_data", "replica",
                    "protocols", "gaussian_equivalence", "real_data_intro")


def _run_order(item) -> int:
    """Rank of an item's file: the slowest chapters by rank, then other chapters, then tests."""
    path = Path(str(item.fspath))
    if path.suffix != ".md":
        return len(SLOWEST_CHAPTERS) + 1
    if path.stem in SLOWEST_CHAPTERS:
        return SLOWEST_CHAPTERS.index(path.stem)
    return len(SLOWEST_CHAPTERS)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_run_order)  # stable: each file keeps its tests' order
