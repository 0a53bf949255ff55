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
import re
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
import pytest  # noqa: E402
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
# (label_noise and depth, Part V, at most a minute each: their rank is a guess until measured)
SLOWEST_CHAPTERS = ("when_transfer_helps", "negative_transfer", "label_noise", "depth",
                    "real_data", "replica", "protocols", "gaussian_equivalence",
                    "real_data_intro")
# The same for the tests (make test's third stage, `--dist loadgroup --no-loadscope-reorder`,
# where the tests that share an expensive fixture form one work unit, :func:`work_unit`): the
# longest tests and units first, by the first words of their node ids, longest first (seconds on
# two idle cores in `make test`); then the rest in their order; the pages of test_html.py last
# (a few seconds each: they even out the two workers' ends).
SLOWEST_TESTS = (
    "tests/test_pdf.py",  # the PDF printed once (~40 s), then read (~20 s)
    "tests/test_html.py::test_static_explorers_move",  # ~40 s
    "tests/test_autograder.py",  # ~30 s: the autograder exported, two submissions graded
    "tests/test_student_edition.py::test_tiny",  # ~20 s: two editions of a tiny book built
    "tests/test_jupyterlab.py",  # ~15 s: JupyterLab started
    "tests/test_html.py::test_plotly_figures_move_offline",  # ~15 s
    "tests/test_starters.py::test_starter_runs",  # 3-12 s each, a kernel each
)
PAGE_TESTS = ("tests/test_html.py::test_page_renders_offline",
              "tests/test_html.py::test_nothing_clipped")


def _run_order(item) -> tuple[int, int]:
    """Rank of an item: the slowest chapters by rank, then other chapters, then the slowest
    tests by rank, then the other tests, then test_html.py's pages."""
    path = Path(str(item.fspath))
    if path.suffix == ".md":
        rank = SLOWEST_CHAPTERS.index(path.stem) if path.stem in SLOWEST_CHAPTERS else None
        return 0, len(SLOWEST_CHAPTERS) if rank is None else rank
    ranks = [k for k, prefix in enumerate(SLOWEST_TESTS) if item.nodeid.startswith(prefix)]
    if ranks:
        return 1, ranks[0]
    return 1, len(SLOWEST_TESTS) + item.nodeid.startswith(PAGE_TESTS)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_run_order)  # stable: each file keeps its tests' order


# Tests that share a fixture too costly to make twice (scope="module": made once per worker),
# by the first words of their node ids: xdist sends each group to one worker ...
SHARED_FIXTURES = (
    "tests/test_pdf.py",  # the PDF
    "tests/test_jupyterlab.py",  # JupyterLab serving a starter
    "tests/test_autograder.py",  # the two graded submissions
    "tests/test_student_edition.py::test_tiny",  # the tiny book's two editions
)
# ... and test_html.py's two tests of a page, which read one visit of the page (its `visit`)
PAGE_VISIT = re.compile(r"tests/test_html\.py::test_(?:page_renders_offline|nothing_clipped)"
                        r"\[(.+)\]")


def work_unit(nodeid: str) -> str:
    """The group of tests that one xdist worker runs together, named by its first test's words."""
    shared = [prefix for prefix in SHARED_FIXTURES if nodeid.startswith(prefix)]
    if shared:
        return shared[0]
    page = PAGE_VISIT.match(nodeid)
    return f"visit of {page.group(1)}" if page else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` (make test's third stage) groups the tests by :func:`work_unit`.

    (xdist's own groups, by its ``xdist_group`` mark, do not work with pytest 9: xdist 3.8
    names a marked test's group in its ``_nodeid``, which pytest 9 no longer reads.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SharedFixtureScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            unit = work_unit(nodeid)
            return super()._split_scope(nodeid) if unit == nodeid else unit

    return SharedFixtureScheduling(config, log)
