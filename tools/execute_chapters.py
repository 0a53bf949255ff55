"""Execute the book's chapters in parallel into the book's execution cache, before the build.

Jupyter Book 1 executes the chapters one after the other; on two cores that leaves one idle for
most of a build. This script does the same execution, the same way (MyST-NB's reader, then
jupyter-cache's ``single_nb_execution``, with the per-cell ``timeout`` of ``_config.yml``), for
``--jobs`` chapters at a time, and stores each executed chapter in the jupyter-cache that the build
reads; ``jupyter-book build`` then finds every chapter in the cache and executes nothing. Chapters
already in the cache (unchanged since their last execution) are skipped.

A chapter that fails stops the run with its name and the failing cell's traceback (a hung cell
fails after ``timeout`` seconds with the cell named). ``make book`` runs this script first.

Ctrl-C or SIGTERM (to this process or to its process group, as ``make`` passes them on) stops the
run within seconds: every process it started (the pool's workers, their kernels and whatever the
chapters started) is frozen, then killed, so that none survives it or starts another chapter; a
chapter being stored in the execution cache is stored whole first. The chapters finished before
the signal stay in the cache, so a rerun executes only the rest. The exit code is 128 + the
signal's number.

``--executed DIR`` takes the chapters that nbval has just executed in the tests (``conftest.py``
writes ``DIR/<chapter>.json`` when ``TLCOURSE_RECORD_EXECUTION=DIR``): a chapter whose code cells
are exactly those of the record gets the record's outputs instead of a second execution. ``make
test`` uses it, so that its run executes each chapter once.

Usage: ``python tools/execute_chapters.py --cache _build/.jupyter_cache --jobs 2``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import toc  # tools/toc.py
import yaml

ROOT = Path(__file__).resolve().parents[1]


def read_notebook(path: Path, extensions: list[str]):
    """A chapter as MyST-NB's reader makes it (so that its cache key is the build's), or None."""
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    text = path.read_text(encoding="utf-8")
    if not is_myst_markdown_notebook(text):
        return None
    config = MdParserConfig(enable_extensions=set(extensions))
    nb = read_myst_markdown_notebook(text, config=config, add_source_map=True, path=path)
    return nb if any(cell.cell_type == "code" for cell in nb.cells) else None


def slowest_cell(nb) -> tuple[int, float, str]:
    """(index, seconds, first line) of the slowest code cell, from nbclient's timing metadata,
    which it removes (the cache key of a chapter covers its cells' metadata)."""
    from datetime import datetime

    slowest = (-1, 0.0, "")
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.pop("execution", None) if cell.cell_type == "code" else None
        if not timing or "shell.execute_reply" not in timing:
            continue
        start = timing.get("iopub.execute_input") or timing["shell.execute_reply.started"]
        seconds = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                   - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
        if seconds > slowest[1]:
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            slowest = (index, seconds, first[:60])
    return slowest


def recorded(nb, record_path: Path):
    """``nb`` with the outputs and widget state of an nbval record (see ``conftest.py``), or None
    with the reason if the record is missing or its code cells are not the chapter's."""
    import nbformat

    if not record_path.is_file():
        return None, "no record"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    if [cell.source for cell in cells] != [cell["source"] for cell in record["cells"]]:
        return None, "the record's code cells differ from the chapter's"
    for cell, done in zip(cells, record["cells"], strict=True):
        cell.outputs = [nbformat.from_dict(output) for output in done["outputs"]]
        cell.execution_count = done["execution_count"]
    if record.get("widgets"):
        nb.metadata.widgets = nbformat.from_dict(record["widgets"])
    return nb, "recorded"


def execute(path: str, nb, timeout: int) -> tuple:
    """Execute one notebook in the chapter's folder (a worker process)."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=False, meta_override=True, record_timing=True)
    slowest = slowest_cell(result.nb)
    return result.nb, result.time, result.exc_string if result.err is not None else None, slowest


class Interrupted(Exception):
    """A SIGINT or SIGTERM asked the run to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Signals:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the main thread, once: later signals are
    ignored, so that they cannot cut the clean-up short. Inside :meth:`protected` (a chapter
    being stored) the stop waits for the end of the block."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self.depth = 0
        self.raised = False

    def __enter__(self) -> Signals:
        self.previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT,
                                                                      signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame) -> None:
        self.pending = self.pending or signum
        if self.depth == 0:
            self._raise()

    def _raise(self) -> None:
        if not self.raised:
            self.raised = True
            raise Interrupted(self.pending)

    @contextlib.contextmanager
    def protected(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.depth == 0 and self.pending is not None:
            self._raise()


def _ignore(signum: int, frame) -> None:
    """A worker's SIGINT and SIGTERM: the parent stops the worker and its kernel (a handler,
    not SIG_IGN, so that the kernels it starts get the default handlers back)."""


def _worker_init() -> None:
    """A pool worker leaves SIGINT and SIGTERM to the parent, and dies with it (Linux)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _ignore)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent still stops it
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def end_descendants(timeout: float = 5.0) -> int:
    """Kill every process this one started, however deep, and return how many.

    They are frozen first (SIGSTOP), again and again until no new one appears, so that none can
    start another (a worker its next kernel, a kernel a subprocess) between the listing and the
    kill; then each gets SIGKILL and is waited for (up to ``timeout`` seconds in all).
    """
    import psutil

    frozen: dict[int, psutil.Process] = {}
    while True:
        new = [p for p in psutil.Process().children(recursive=True) if p.pid not in frozen]
        if not new:
            break
        for process in new:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.suspend()
                frozen[process.pid] = process
    for process in frozen.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    # wait until each is gone or a zombie (a grandchild's is reaped by init, not by us)
    alive, deadline = list(frozen.values()), time.monotonic() + timeout
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if _running(p)]
    return len(frozen)


def _running(process) -> bool:
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def shown(path: Path) -> Path:
    """``path`` relative to the repository when it lies inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="the build's jupyter-cache")
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at a time")
    parser.add_argument("--only", nargs="+", type=Path,
                        help="these chapters only (paths; in this order; any MyST notebook)")
    parser.add_argument("--timeout", type=int,
                        help="seconds per cell (default: execute.timeout of _config.yml)")
    parser.add_argument("--executed", type=Path,
                        help="chapters just executed by nbval (TLCOURSE_RECORD_EXECUTION)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.timeout is not None and args.timeout < 1:
        parser.error(f"--timeout must be at least 1 second, got {args.timeout}")
    for path in args.only or []:
        if not path.is_file():
            parser.error(f"--only: {path} is not a file")
    with Signals() as signals:
        try:
            return run(args, signals)
        except Interrupted as stop:
            killed = end_descendants()
            print(f"execute: stopped by {stop}: {killed} processes ended (workers, kernels and "
                  "what they started); the chapters finished before it are in the execution "
                  "cache, a rerun executes the rest", flush=True)
            return 128 + stop.signum


def run(args: argparse.Namespace, signals: Signals) -> int:
    """The run of :func:`main`, its arguments checked; every store into the execution cache is
    protected from ``signals``."""
    from jupyter_cache import get_cache
    from jupyter_cache.cache.main import CacheBundleIn

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    timeout = args.timeout or int(config["execute"]["timeout"])
    extensions = config.get("parse", {}).get("myst_enable_extensions", [])
    cache = get_cache(str(args.cache))

    todo = []
    total = from_nbval = 0
    for path in [p.resolve() for p in args.only] if args.only else toc.sources(ROOT):
        nb = read_notebook(path, extensions)
        if nb is None:
            continue
        total += 1
        try:
            cache.match_cache_notebook(nb)
            continue
        except KeyError:
            pass
        done, why = recorded(nb, args.executed / f"{path.stem}.json") if args.executed else (
            None, "")
        if done is None:
            if args.executed:
                print(f"execute: {shown(path)}: not taken from nbval ({why})", flush=True)
            todo.append((path, nb))
            continue
        with signals.protected():
            cache.cache_notebook_bundle(CacheBundleIn(done, str(path),
                                                      data={"executed_by": "nbval"}),
                                        check_validity=False, overwrite=True)
        from_nbval += 1
    if from_nbval:
        print(f"execute: {from_nbval} chapters as nbval executed them in the tests "
              f"({args.executed})", flush=True)
    if not todo:
        print(f"execute: 0 of {total} chapters executed (all are in the execution cache)",
              flush=True)
        return 0
    print(f"execute: {len(todo)} chapters, {args.jobs} at a time, at most {timeout} s per cell",
          flush=True)
    t0 = time.monotonic()
    failed = []
    slowest = (None, -1, 0.0, "")
    # no `with`: its exit waits for the running chapters, and a stop must not wait
    pool = ProcessPoolExecutor(min(args.jobs, len(todo)), initializer=_worker_init)
    try:
        futures = {pool.submit(execute, str(path), nb, timeout): path for path, nb in todo}
        for future in as_completed(futures):
            path = shown(futures[future])
            executed, seconds, error, cell = future.result()
            if cell[1] > slowest[2]:
                slowest = (path, *cell)
            if error is None:
                with signals.protected():
                    cache.cache_notebook_bundle(
                        CacheBundleIn(executed, str(futures[future]),
                                      data={"execution_seconds": seconds}),
                        check_validity=False, overwrite=True)
                print(f"execute: {path} in {seconds:.0f} s (slowest cell: {cell[0]}, "
                      f"{cell[1]:.1f} s)", flush=True)
            else:
                failed.append(path)
                print(f"execute: {path} FAILED after {seconds:.0f} s\n{error}", flush=True)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    print(f"execute: {len(todo) - len(failed)} of {total} chapters executed in "
          f"{time.monotonic() - t0:.0f} s ({total - len(todo)} were in the execution cache)",
          flush=True)
    if slowest[0] is not None:
        print(f"execute: slowest cell of all: {slowest[0]} cell {slowest[1]} ({slowest[3]!r}), "
              f"{slowest[2]:.1f} s; the time limit per cell is {timeout} s", flush=True)
    if failed:
        print(f"execute: failed: {', '.join(map(str, failed))}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
