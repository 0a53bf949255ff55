"""Every test of the course, one execution stage at a time (what ``make test`` runs).

1. **unit tests and chapters**: pytest over ``tests/`` (but those of stage 3) and nbval over every
   chapter, two workers, the longest chapters first (``conftest.py``);
2. **fast book**: the README's build command in the fast setting (``make book TLCOURSE_SIZE=fast``,
   warnings are errors), so that no kernel of stage 1 runs beside the build's, with the student
   edition built beside it (``make -j2 book student``: the chapters execute once, then both
   editions build side by side). Its chapters carry the outputs of their execution under nbval in
   stage 1 (``conftest.py`` records them, ``make book EXECUTED=...`` takes them): each chapter
   executes once in the whole run;
3. **built book and student edition**: the tests that read those builds (headless Chromium over
   every page, links, downloads; no solution in the student edition, nor behind any of its
   links), the starter notebooks run (after the chapters: the sweeps they share come from the
   curves' disk cache), a starter opened in JupyterLab in Chromium (MyST rendered), two
   submissions graded by the autograder (``otter run``), and the book printed into one PDF; two
   workers, the longest tests first, the tests that share an expensive fixture (the PDF,
   JupyterLab, the graded submissions, a page's visit in the browser) on one worker, so that
   each is made once (``conftest.py``).

Each stage prints a progress line when it starts and ends; the run ends with a one-line summary
(tests passed/failed, chapters executed, book built, browser pages checked) and exits non-zero if
anything failed. A stage that fails stops the run: later stages would test something broken.

Ctrl-C or SIGTERM stops the run: the running stage (its own process group: pytest and its workers,
or make and the book's executor, which ends its kernels itself) gets SIGTERM, then SIGKILL after
8 s if it is still there; the run exits with 128 + the signal's number.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "test"
EXECUTED = OUT / "executed"  # the chapters as nbval executed them (conftest.py)
BOOK_OUT = ROOT / "_build" / "fast"
# after the book build: they read it, or (starters) reuse what its chapters cached
STAGE3_TESTS = ["tests/test_html.py", "tests/test_student_edition.py", "tests/test_starters.py",
                "tests/test_jupyterlab.py", "tests/test_autograder.py", "tests/test_pdf.py"]


@dataclass
class Tally:
    """What the pytest stages saw, from their JUnit reports."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    chapters: set[str] = field(default_factory=set)
    chapters_failed: set[str] = field(default_factory=set)
    pages: set[str] = field(default_factory=set)

    def add(self, report: Path) -> None:
        if not report.exists():
            return
        for case in ET.parse(report).getroot().iter("testcase"):
            outcome = ("failed" if case.find("failure") is not None or case.find("error")
                       is not None else "skipped" if case.find("skipped") is not None
                       else "passed")
            setattr(self, outcome, getattr(self, outcome) + 1)
            name, file = case.get("name", ""), case.get("file") or case.get("classname", "")
            chapter = re.match(r"book[/.](\w+)", file.replace("\\", "/"))
            if chapter:
                self.chapters.add(chapter.group(1))
                if outcome == "failed":
                    self.chapters_failed.add(chapter.group(1))
            page = re.match(r"test_page_renders_offline\[(.+)\]", name)
            if page and outcome == "passed":
                self.pages.add(page.group(1))


class Stopped(Exception):
    """SIGINT or SIGTERM: the run stops."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


RUNNING: list[subprocess.Popen] = []  # the stage being run, for the signal handler


def stop_on_signals() -> None:
    """On SIGINT or SIGTERM, send SIGTERM to the running stage's process group and raise
    :class:`Stopped` (:func:`_run` waits for the stage to end, 8 s at most, then kills what is
    left of its group)."""

    def stop(signum: int, frame) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal must not cut this short
            signal.signal(sig, signal.SIG_IGN)
        for child in RUNNING:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
        raise Stopped(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


def _run(cmd: list[str], env: dict, **kw) -> int:
    """``cmd``'s exit code; it runs in a process group of its own, which a signal ends whole."""
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, **kw)
    RUNNING.append(child)
    try:
        return child.wait()
    except Stopped:
        try:
            child.wait(timeout=8)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is left
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        raise
    finally:
        RUNNING.remove(child)


def stage(number: int, title: str, cmd: list[str], env: dict, log: Path | None = None) -> bool:
    """Run one stage, with a line when it starts and one when it ends; True if it passed."""
    print(f"\n==> stage {number}/3 (at {time.strftime('%H:%M:%S')}): {title}", flush=True)
    print(f"    $ {' '.join(cmd)}", flush=True)
    t0 = time.monotonic()
    if log is None:
        code = _run(cmd, env)
    else:
        with open(log, "w", encoding="utf-8") as out:
            code = _run(cmd, env, stdout=out, stderr=subprocess.STDOUT)
        if code != 0:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
            problems = [line for line in lines if re.search(r"WARNING|ERROR|Error|Timeout", line)]
            print("\n".join(problems[-30:] + lines[-15:]), flush=True)
    verdict = "passed" if code == 0 else f"FAILED (exit {code})"
    print(f"<== stage {number}/3: {title}: {verdict} in {time.monotonic() - t0:.0f} s",
          flush=True)
    return code == 0


def book_executions(log: Path) -> tuple[int, int, int]:
    """(chapters executed, taken from nbval's execution, in all) by the book build's log
    (tools/execute_chapters.py)."""
    if not log.exists():
        return 0, 0, 0
    text = log.read_text(encoding="utf-8", errors="replace")
    done = re.search(r"execute: (\d+) of (\d+) chapters executed", text)
    taken = re.search(r"execute: (\d+) chapters as nbval executed them", text)
    return (int(done.group(1)) if done else 0, int(taken.group(1)) if taken else 0,
            int(done.group(2)) if done else 0)


def main() -> int:
    stop_on_signals()
    try:
        return run_all()
    except Stopped as stop:
        print(f"\nstopped by {stop}", flush=True)
        return 128 + stop.signum


def run_all() -> int:
    """The three stages and the summary (:func:`main`)."""
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TLCOURSE_SIZE="fast")
    env.setdefault("OMP_NUM_THREADS", "1")
    python = sys.executable
    tally = Tally()
    t0 = time.monotonic()

    unit = OUT / "stage1.xml"
    ignore = [f"--ignore={path}" for path in STAGE3_TESTS]
    shutil.rmtree(EXECUTED, ignore_errors=True)
    ok = stage(1, "unit tests and every chapter under nbval",
               [python, "-m", "pytest", "-n", "2", "--dist", "loadfile",
                "--no-loadscope-reorder", *ignore,
                "--durations=12", f"--junitxml={unit}"],
               dict(env, TLCOURSE_RECORD_EXECUTION=str(EXECUTED)))
    tally.add(unit)

    book_log = OUT / "book.log"
    built = False
    if ok:
        built = ok = stage(2, "the fast book and its student edition (make book student "
                              "TLCOURSE_SIZE=fast, warnings are errors)",
                           ["make", "--no-print-directory", "-j2", "book", "student",
                            "TLCOURSE_SIZE=fast", f"EXECUTED={EXECUTED}"], env,
                           log=book_log)
    if ok:
        browser = OUT / "stage3.xml"
        ok = stage(3, "the built book in headless Chromium, links; the student edition, starters",
                   [python, "-m", "pytest", "-n", "2", *STAGE3_TESTS, "--dist", "loadgroup",
                    "--no-loadscope-reorder", f"--junitxml={browser}"],
                   dict(env, TLCOURSE_BOOK_BUILT="1", TLCOURSE_BOOK_OUT=str(BOOK_OUT)))
        tally.add(browser)

    executed, taken, chapters = book_executions(book_log)
    book = (f"book built ({taken} of {chapters} chapters with their outputs under nbval, "
            f"{executed} executed again, the rest from the cache)" if built else "book NOT built")
    failed_chapters = (f" ({', '.join(sorted(tally.chapters_failed))} failed)"
                       if tally.chapters_failed else "")
    print(f"\n{'PASSED' if ok else 'FAILED'}: {tally.passed} tests passed, {tally.failed} failed, "
          f"{tally.skipped} skipped; {len(tally.chapters)} chapters executed under nbval"
          f"{failed_chapters}; {book}; {len(tally.pages)} pages checked in the browser; "
          f"{(time.monotonic() - t0) / 60:.1f} min", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
