"""Benchmark of the chapters as readers run them: wall time and peak memory of each.

Target: every chapter fits in Binder's memory (about 2 GB) in either size setting; the run times
are those each chapter announces at its top (fast: about a minute at most; full: a few minutes).

Each chapter executes top to bottom in a fresh kernel (nbclient, as the book build executes it),
with the disk cache of learning curves and source networks in an empty temporary folder (a
reader's first run; ``--warm`` uses the usual cache instead). Peak memory is the largest total
resident memory of the kernel and all its child processes (joblib's workers included), sampled
every 0.1 s with psutil: what a Binder session's limit counts.

Run: ``OMP_NUM_THREADS=1 TLCOURSE_SIZE=full .venv/bin/python benchmarks/bench_chapters.py
[chapter ...] [--warm]`` (chapter names as in ``book/``, without ``.md``; default: every
chapter). Prints one line per chapter (seconds, peak MB) and the largest of each; exits non-zero
if a chapter fails or exceeds ``--limit-mb`` (default 2000).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import jupytext
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
sys.path.insert(0, str(ROOT / "tools"))
import toc  # noqa: E402  (tools/toc.py, the one reader of _toc.yml)


def chapters() -> list[str]:
    """The book's chapters that hold code, in reading order (``_toc.yml``)."""
    return [path.stem for path in toc.sources(ROOT)
            if path.parent == BOOK and "```{code-cell}" in path.read_text(encoding="utf-8")]


class PeakMemory:
    """The largest total RSS (bytes) of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.1):
        self.process, self.every, self.peak = psutil.Process(pid), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                family = [self.process, *self.process.children(recursive=True)]
                total = 0
                for p in family:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_chapter(name: str, timeout: int) -> tuple[float, float]:
    """(seconds, peak MB) of one chapter executed in a fresh kernel."""
    nb = jupytext.read(BOOK / f"{name}.md")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(BOOK)}})
    start = time.monotonic()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        with PeakMemory(pid) as memory:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    return time.monotonic() - start, memory.peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every chapter)")
    parser.add_argument("--warm", action="store_true", help="use the usual disk cache")
    parser.add_argument("--limit-mb", type=float, default=2000)
    parser.add_argument("--timeout", type=int, default=1200, help="per cell, seconds")
    args = parser.parse_args()
    names = args.chapters or chapters()
    unknown = sorted(set(names) - set(chapters()))
    if unknown:
        parser.error(f"chapters must be among {chapters()}, got {unknown}")

    size = os.environ.get("TLCOURSE_SIZE", "full")
    print(f"size setting {size}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"{'warm' if args.warm else 'empty'} cache, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}")
    failed, results = [], {}
    with tempfile.TemporaryDirectory() as cache:
        if not args.warm:
            os.environ["TLCOURSE_CACHE_DIR"] = cache  # the kernels inherit it
        for name in names:
            try:
                seconds, peak = run_chapter(name, args.timeout)
            except Exception as error:  # report, go on with the others
                print(f"{name:<22} FAILED: {type(error).__name__}: {str(error)[:300]}")
                failed.append(name)
                continue
            results[name] = (seconds, peak)
            flag = "" if peak <= args.limit_mb else f"  <- above {args.limit_mb:.0f} MB"
            print(f"{name:<22} {seconds:7.1f} s  peak {peak:7.0f} MB{flag}", flush=True)
    if results:
        slowest = max(results, key=lambda n: results[n][0])
        largest = max(results, key=lambda n: results[n][1])
        print(f"slowest: {slowest} {results[slowest][0]:.1f} s; largest: {largest} "
              f"{results[largest][1]:.0f} MB")
    over = [n for n, (_, peak) in results.items() if peak > args.limit_mb]
    return 1 if failed or over else 0


if __name__ == "__main__":
    sys.exit(main())
