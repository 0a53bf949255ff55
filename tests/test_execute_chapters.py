"""The build's tools under faults. ``tools/execute_chapters.py`` (what ``make book`` runs first)
stops when asked: Ctrl-C or SIGTERM to its process group ends every worker and kernel within 10 s,
leaves no orphan process and no half-stored chapter, and a rerun executes only what was left; so
does ``make test``'s runner. ``tools/stress_execution.py`` keeps its traces private.

Two small chapters run two at a time, as the book's do: one finishes at once, the other holds its
kernel (and a process it started) until the signal comes.
"""

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import stress_execution as stress  # noqa: E402

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

"""
FAST = HEADER + "# Fast\n\n```{code-cell} ipython3\nprint('fast')\n```\n"
SLOW = HEADER + """# Slow

```{code-cell} ipython3
import os, subprocess, sys, time

hold = os.environ.get("TLCOURSE_TEST_HOLD", "")
if os.path.exists(hold):  # the first run: wait for the signal, with a process of its own
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", hold])
    time.sleep(300)
print("slow")
```
"""


def _execute(chapters, cache, env, log):
    cmd = [sys.executable, str(ROOT / "tools" / "execute_chapters.py"), "--cache", str(cache),
           "--jobs", "2", "--only", *map(str, chapters)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # its own process group, as under make


def _cmdline(process: psutil.Process) -> str:
    """Its command line, or "" for a process that is gone (or a zombie) by now."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_run_cleanly_and_a_rerun_finishes_it(signum, tmp_path):
    from jupyter_cache import get_cache

    chapters = [tmp_path / "fast.md", tmp_path / "slow.md"]
    chapters[0].write_text(FAST, encoding="utf-8")
    chapters[1].write_text(SLOW, encoding="utf-8")
    hold = tmp_path / "hold"
    hold.touch()
    cache, log_path = tmp_path / "cache", tmp_path / "log"
    env = dict(os.environ, TLCOURSE_TEST_HOLD=str(hold), OMP_NUM_THREADS="1")

    with open(log_path, "w") as log:
        run = _execute(chapters, cache, env, log)
        try:
            deadline = time.monotonic() + 300  # kernels start slowly on a loaded machine
            holder = []
            while not holder or "fast.md in" not in log_path.read_text():
                assert run.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the chapters never got going"
                time.sleep(0.5)
                holder = [p for p in psutil.Process(run.pid).children(recursive=True)
                          if str(hold) in _cmdline(p)]
            started = psutil.Process(run.pid).children(recursive=True)
            assert len(started) >= 4  # two workers, a kernel, the kernel's own process
            t0 = time.monotonic()
            os.killpg(run.pid, signum)
            code = run.wait(timeout=10)
            stopped_in = time.monotonic() - t0
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    out = log_path.read_text()
    assert code == 128 + signum, out
    assert stopped_in < 10
    assert "stopped by " + signal.Signals(signum).name in out
    time.sleep(0.5)  # the kernel's parent poller would need a second: none may be left to it
    assert [p for p in started if _alive(p)] == []
    assert [p for p in psutil.process_iter() if _alive(p)
            and str(hold) in _cmdline(p)] == []

    # the execution cache holds the finished chapter, whole, and nothing of the other
    records = get_cache(str(cache)).list_cache_records()
    assert [Path(r.uri).name for r in records] == ["fast.md"]
    bundle = get_cache(str(cache)).get_cache_bundle(records[0].pk)
    assert "fast" in bundle.nb.cells[0].outputs[0]["text"]

    if signum == signal.SIGINT:
        return  # the rerun does not depend on the signal: once (below, after SIGTERM) is enough
    hold.unlink()
    rerun = subprocess.run([sys.executable, str(ROOT / "tools" / "execute_chapters.py"),
                            "--cache", str(cache), "--jobs", "2", "--only", *map(str, chapters)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "execute: 1 of 2 chapters executed" in rerun.stdout, rerun.stdout
    assert "(1 were in the execution cache)" in rerun.stdout, rerun.stdout
    assert len(get_cache(str(cache)).list_cache_records()) == 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_test_s_runner_ends_its_running_stage(signum, tmp_path):
    # tools/run_tests.py gets the signal alone (as from `kill`): the stage's whole process group
    # must end with it
    tag = str(tmp_path)
    stage = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
             f"'import time; time.sleep(300)', {tag!r}]); time.sleep(300)")
    code = ("import os, sys; sys.path.insert(0, 'tools'); import run_tests as rt\n"
            "rt.stop_on_signals()\n"
            "try:\n"
            f"    rt.stage(1, 'a stage that holds', [sys.executable, '-c', {stage!r}, {tag!r}],"
            " dict(os.environ))\n"
            "except rt.Stopped as stop:\n"
            "    sys.exit(128 + stop.signum)\n")
    runner = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while len([p for p in psutil.Process(runner.pid).children(recursive=True)
                   if tag in _cmdline(p)]) < 2:
            assert runner.poll() is None and time.monotonic() < deadline, runner.stdout.read()
            time.sleep(0.2)
        started = psutil.Process(runner.pid).children(recursive=True)
        t0 = time.monotonic()
        runner.send_signal(signum)
        assert runner.wait(timeout=10) == 128 + signum
        assert time.monotonic() - t0 < 10
    finally:
        if runner.poll() is None:
            runner.kill()
    assert [p for p in started if _alive(p)] == []


def test_a_trace_is_a_new_private_file_never_a_followed_link(tmp_path):
    trace = tmp_path / "trace.json"
    stress._write_private(trace, "[]")
    assert trace.read_text() == "[]" and stat.S_IMODE(trace.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):  # never overwrites
        stress._write_private(trace, "[1]")
    victim = tmp_path / "unrelated"
    victim.write_text("keep me")
    (tmp_path / "planted.json").symlink_to(victim)
    with pytest.raises(OSError):
        stress._write_private(tmp_path / "planted.json", "overwritten")
    assert victim.read_text() == "keep me"


def test_a_run_leaves_nothing_in_the_temporary_directory(tmp_path):
    chapter = tmp_path / "tiny.md"
    chapter.write_text(FAST, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    victim = tmp_path / "unrelated"
    victim.write_text("keep me")
    (temp / "tlcourse-stress").symlink_to(tmp_path)  # the old fixed name, planted
    before = sorted(tmp_path.iterdir())
    done = subprocess.run([sys.executable, stress.__file__, "--runs", "1", "--concurrency", "1",
                           "--mode", "book", "--chapters", str(chapter)],
                          env=dict(os.environ, TMPDIR=str(temp)), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 executions" in done.stdout
    assert sorted(p.name for p in temp.iterdir()) == ["tlcourse-stress"]  # its folder is gone
    assert victim.read_text() == "keep me"
    assert sorted(tmp_path.iterdir()) == before  # nothing written through the planted link
