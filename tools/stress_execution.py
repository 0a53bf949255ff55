"""Execute the book's chapters many times, K at a time, and report every execution that hangs.

Each execution runs in its own process, the way the two real executors run a chapter:

- ``book``: as the book build does (myst-nb's cache mode calls jupyter-cache's
  ``single_nb_execution``, which runs nbclient over the whole notebook), with a short per-cell
  timeout; the client's view of every message is traced, and on a timeout the harness records,
  before the kernel is killed, what each side was waiting for (below);
- ``nbval``: as ``make test`` does (pytest with nbval over the MyST chapter, through the project's
  ``conftest.py``), with ``--nbval-cell-timeout``;
- ``mixed``: the two alternately, so that book-style and nbval kernels run beside each other (the
  conditions of the hang seen in a ``make test`` run).

On a hang (book mode) it records: the cell (index and first line); which messages for the stuck
request the client had received (status busy, execute_input, outputs, status idle, execute_reply);
whether a reply was sitting unread in the client's shell socket (a wake-up lost on the client side);
the kernel's CPU time and each thread's state (``py-spy dump`` when py-spy is installed); whether
a fresh client gets a ``kernel_info`` reply, and whether that poke makes the stuck execution resume
(a request stranded on the kernel side would).

``--cold`` gives every execution fresh matplotlib, IPython and Jupyter runtime folders, so that
each kernel pays a first start (matplotlib's font cache is rebuilt), as on a new machine.
``--load L`` runs L busy processes beside the executions.

Usage (from the repository root, with the project's virtual environment)::

    .venv/bin/python tools/stress_execution.py --runs 300 --concurrency 3 --mode mixed \\
        --chapters book/chmm.md book/hmm.md --cell-timeout 120 --report _build/stress.json

It prints one line per execution, then the hangs, their rate (with a 95% upper bound) per chapter
and mode, and exits 1 if any execution hung or failed. The message timelines of the book-way
executions go to a private folder of the temporary directory (``tempfile.mkdtemp``: readable by
you only, a fresh name each run, files created without following links), kept and named when an
execution hung or failed, removed otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANG = "hang"
STALL_S = 10.0  # a message that waits this long between kernel and client was lost


# --- one execution, the book's way (runs in a child process) -------------------------------------
def _proc_threads(pid: int) -> list[dict]:
    """Name, state and kernel wait channel of each thread of a process (Linux /proc)."""
    threads = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            stat = (task / "stat").read_text()
            state = stat.rsplit(")", 1)[1].split()[0]
            threads.append({
                "tid": int(task.name),
                "name": (task / "comm").read_text().strip(),
                "state": state,
                "wchan": (task / "wchan").read_text().strip(),
            })
        except OSError:
            continue
    return threads


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def _py_spy(pid: int) -> str | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        return None
    done = subprocess.run([exe, "dump", "--pid", str(pid)], capture_output=True, text=True,
                          timeout=60)
    return (done.stdout + done.stderr)[-6000:]


def _summarise(trace: list[dict], msg_id: str) -> list[str]:
    """The client's view of one request: the messages it received for it, in order."""
    seen = []
    for event in trace:
        if event.get("parent") != msg_id and event.get("msg_id") != msg_id:
            continue
        what = event["what"]
        if event.get("state"):
            what += f"({event['state']})"
        seen.append(f"{event['t']:.3f} {event['channel']}:{what}")
    return seen


def _delays(trace: list[dict]) -> dict:
    """The longest waits of an execution, per request: sent -> kernel busy, and kernel idle ->
    reply. Both are milliseconds normally; a long one is a message that sat somewhere."""
    sent = {e["msg_id"]: e["t"] for e in trace if "msg_id" in e}
    busy: dict = {}
    idle: dict = {}
    reply: dict = {}
    for e in trace:
        parent = e.get("parent")
        if parent not in sent:
            continue
        if e["what"] == "status" and e["state"] == "busy":
            busy.setdefault(parent, e["t"])
        elif e["what"] == "status" and e["state"] == "idle":
            idle[parent] = e["t"]
        elif e["what"] == "execute_reply":
            reply[parent] = e["t"]
    to_busy = [busy[m] - sent[m] for m in busy]
    after_idle = [reply[m] - idle[m] for m in reply if m in idle]
    run = [reply[m] - sent[m] for m in reply]
    return {"max_sent_to_busy_s": round(max(to_busy, default=0.0), 3),
            "max_idle_to_reply_s": round(max(after_idle, default=0.0), 3),
            "slowest_cell_s": round(max(run, default=0.0), 2)}


def _verdict(diagnosis: dict, kernel_busy: bool | None) -> str:
    """What a timed-out execution was waiting for, in words."""
    seen = " ".join(diagnosis["seen_before_timeout"])
    if diagnosis["client_shell_after_timeout"].startswith("execute_reply for the stuck"):
        return (f"{HANG}: the reply was already in the client's shell socket, unnoticed "
                "(a wake-up lost on the client side)")
    stacks = diagnosis.get("kernel_stacks") or ""
    main_thread = stacks.split("Thread ", 2)[1] if stacks.count("Thread ") >= 2 else ""
    if kernel_busy or "do_execute" in main_thread:
        return "slow: the kernel was inside the cell (a long cell, not a hang)"
    if "status(busy)" not in seen:
        how = ("it resumed after a fresh client's poke (stranded in the kernel's socket)"
               if "received execute_reply" in diagnosis["after_poke"] else "even after a poke")
        return f"{HANG}: the kernel, idle, never started the request; {how}"
    return f"{HANG}: the kernel started the cell, went idle, and no reply reached the client"


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` (never an existing file, never through a symbolic link) holding ``text``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _execute_book_way(path: str, cell_timeout: int, traces: Path) -> dict:
    """Execute one chapter as the book build does; on a timeout, diagnose before the kernel dies."""
    import jupytext
    import nbclient.client
    from jupyter_cache.executors.utils import single_nb_execution
    from jupyter_client import BlockingKernelClient

    client_cls = nbclient.client.NotebookClient
    start = time.monotonic()
    trace: list[dict] = []
    state: dict = {"cell": None, "msg_id": None, "diagnosis": None}

    def now() -> float:
        return time.monotonic() - start

    def traced_get(channel, name):
        original = channel.get_msg

        async def get_msg(*args, **kwargs):
            msg = await original(*args, **kwargs)
            content = msg.get("content", {})
            trace.append({"t": now(), "channel": name, "what": msg["msg_type"],
                          "parent": msg.get("parent_header", {}).get("msg_id"),
                          "state": content.get("execution_state")})
            return msg

        channel.get_msg = get_msg

    original_start = client_cls.async_start_new_kernel_client
    original_execute_cell = client_cls.async_execute_cell
    original_timeout = client_cls._async_handle_timeout

    async def start_client(self):
        kc = await original_start(self)
        traced_get(kc.shell_channel, "shell")
        traced_get(kc.iopub_channel, "iopub")
        send = kc.execute

        def execute(*args, **kwargs):
            msg_id = send(*args, **kwargs)
            state["msg_id"] = msg_id
            trace.append({"t": now(), "channel": "shell", "what": "execute_request (sent)",
                          "msg_id": msg_id, "cell": state["cell"]})
            return msg_id

        kc.execute = execute
        return kc

    async def execute_cell(self, cell, cell_index, *args, **kwargs):
        state["cell"] = (cell_index, cell.source.strip().splitlines()[0][:100]
                         if cell.source.strip() else "")
        return await original_execute_cell(self, cell, cell_index, *args, **kwargs)

    async def handle_timeout(self, timeout, cell=None):
        msg_id = state["msg_id"]
        diagnosis: dict = {"cell": state["cell"], "seen_before_timeout": _summarise(trace, msg_id)}
        # 1. was the reply already in the client's shell socket, unnoticed?
        try:
            reply = await self.kc.shell_channel.get_msg(timeout=2)
            mine = reply["parent_header"].get("msg_id") == msg_id
            diagnosis["client_shell_after_timeout"] = (
                f"{reply['msg_type']} for {'the stuck' if mine else 'another'} request")
        except Exception as err:  # queue.Empty: nothing there
            diagnosis["client_shell_after_timeout"] = f"nothing ({type(err).__name__})"
        # 2. the kernel process
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        if pid is None:
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            pid = getattr(process, "pid", None)
        busy = None
        if pid:
            cpu_before = _cpu_seconds(pid)
            diagnosis["kernel_threads"] = _proc_threads(pid)
            diagnosis["kernel_stacks"] = _py_spy(pid)
            await asyncio.sleep(2)
            cpu_after = _cpu_seconds(pid)
            diagnosis["kernel_cpu_s"] = cpu_after
            if cpu_before is not None and cpu_after is not None:
                busy = cpu_after - cpu_before > 0.05
        # 3. poke the kernel from a fresh client, then see whether the stuck execution resumes
        poke = BlockingKernelClient(connection_file=self.km.connection_file)
        poke.load_connection_file()
        poke.start_channels()
        t0 = time.monotonic()
        try:
            poke.kernel_info()
            poke.get_shell_msg(timeout=10)
            diagnosis["fresh_kernel_info_s"] = round(time.monotonic() - t0, 3)
        except Exception as err:
            diagnosis["fresh_kernel_info_s"] = f"no reply ({type(err).__name__})"
        finally:
            poke.stop_channels()
        try:
            reply = await self.kc.shell_channel.get_msg(timeout=10)
            diagnosis["after_poke"] = f"stuck client received {reply['msg_type']}"
        except Exception:
            diagnosis["after_poke"] = "stuck client still received nothing"
        diagnosis["seen_in_all"] = _summarise(trace, msg_id)
        diagnosis["verdict"] = _verdict(diagnosis, busy)
        state["diagnosis"] = diagnosis
        return await original_timeout(self, timeout, cell)

    client_cls.async_start_new_kernel_client = start_client
    client_cls.async_execute_cell = execute_cell
    client_cls._async_handle_timeout = handle_timeout

    nb = jupytext.read(path)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=cell_timeout,
                                 allow_errors=False, meta_override=True)
    outcome = {"time": round(result.time, 2), "ok": result.err is None, **_delays(trace)}
    # the whole message timeline, for a post-mortem of a slow or hung execution
    outcome["trace_file"] = str(traces / f"{time.strftime('%H%M%S')}-{os.getpid()}.json")
    _write_private(Path(outcome["trace_file"]), json.dumps(trace))
    if result.err is not None:
        verdict = (state["diagnosis"] or {}).get("verdict", "")
        outcome["status"] = (HANG if verdict.startswith(HANG)
                             else "slow" if verdict else "error")
        outcome["error"] = f"{type(result.err).__name__}: {str(result.err)[-400:]}"
        outcome["diagnosis"] = state["diagnosis"]
    elif max(outcome["max_sent_to_busy_s"], outcome["max_idle_to_reply_s"]) > STALL_S:
        # a lost wake-up that the client's time limit ended: the cell waited for nothing
        outcome["status"] = HANG
        outcome["error"] = (f"stalled: a reply arrived {outcome['max_idle_to_reply_s']:.1f} s "
                            "after the kernel went idle (noticed only when the client's wait "
                            "for it timed out)")
    else:
        outcome["status"] = "ok"
    return outcome


# --- one execution, nbval's way ------------------------------------------------------------------
def _execute_nbval_way(path: str, cell_timeout: int, env: dict) -> dict:
    cmd = [sys.executable, "-m", "pytest", path, "-p", "no:xdist", "-p", "no:cacheprovider",
           "-q", "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={cell_timeout}",
           "-o", "addopts="]
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    outcome = {"time": round(time.monotonic() - t0, 2), "ok": done.returncode == 0}
    if done.returncode == 0:
        outcome["status"] = "ok"
    else:
        text = done.stdout + done.stderr
        timed_out = "Timeout" in text or "timed out" in text
        outcome["status"] = HANG if timed_out else "error"
        failed = [line for line in text.splitlines() if line.startswith("FAILED")]
        outcome["error"] = "\n".join(failed[:3]) or text[-600:]
    return outcome


# --- the parent: schedule, print, summarise ------------------------------------------------------
def _child_env(cold: bool, size: str) -> tuple[dict, list[str]]:
    env = dict(os.environ, TLCOURSE_SIZE=size, OMP_NUM_THREADS="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    temps = []
    if cold:
        for var in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR"):
            temps.append(tempfile.mkdtemp(prefix="stress-"))
            env[var] = temps[-1]
    return env, temps


def run_one(job: dict, args: argparse.Namespace, traces: Path) -> dict:
    env, temps = _child_env(args.cold, args.size)
    try:
        if job["mode"] == "nbval":
            outcome = _execute_nbval_way(job["chapter"], args.cell_timeout, env)
        else:
            cmd = [sys.executable, __file__, "--child", job["chapter"],
                   "--cell-timeout", str(args.cell_timeout), "--traces", str(traces)]
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if lines:
                outcome = json.loads(lines[-1])
            else:
                outcome = {"ok": False, "status": "error", "time": None,
                           "error": (done.stdout + done.stderr)[-800:]}
    finally:
        for folder in temps:
            shutil.rmtree(folder, ignore_errors=True)
    return {**job, **outcome}


def upper_95(hangs: int, n: int) -> float:
    """One-sided 95% upper bound of a rate from `hangs` events in `n` trials (Clopper-Pearson)."""
    if n == 0:
        return 1.0
    if hangs == 0:
        return 1 - 0.05 ** (1 / n)
    if hangs == n:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(0.95, hangs + 1, n - hangs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="+", default=["book/chmm.md"],
                        help="chapters to execute, in turn (default: the explorer's chapter)")
    parser.add_argument("--runs", type=int, default=30, help="executions in all")
    parser.add_argument("--concurrency", type=int, default=3, help="executions at a time")
    parser.add_argument("--mode", choices=["book", "nbval", "mixed"], default="mixed")
    parser.add_argument("--cell-timeout", type=int, default=120,
                        help="seconds a cell may run before it counts as hung")
    parser.add_argument("--size", choices=["fast", "full"], default="fast")
    parser.add_argument("--cold", action="store_true",
                        help="fresh matplotlib/IPython/Jupyter folders for every execution")
    parser.add_argument("--load", type=int, default=0, help="busy processes beside the runs")
    parser.add_argument("--report", type=Path, help="write every outcome to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--traces", type=Path, help=argparse.SUPPRESS)  # the parent's folder
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(_execute_book_way(args.child, args.cell_timeout, args.traces)),
              flush=True)
        return 0
    for name, value in (("--runs", args.runs), ("--concurrency", args.concurrency),
                        ("--cell-timeout", args.cell_timeout)):
        if value < 1:
            parser.error(f"{name} must be at least 1, got {value}")
    if args.load < 0:
        parser.error(f"--load must be 0 or more, got {args.load}")
    for chapter in args.chapters:
        if not Path(chapter).is_file():
            parser.error(f"--chapters: {chapter} is not a file")

    modes = ["book", "nbval"] if args.mode == "mixed" else [args.mode]
    jobs = [{"run": i + 1, "chapter": args.chapters[i % len(args.chapters)],
             "mode": modes[(i // len(args.chapters)) % len(modes)]} for i in range(args.runs)]
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(args.load)]
    extras = (", cold starts" if args.cold else "") + (
        f", {args.load} busy processes" if args.load else "")
    print(f"stress: {args.runs} executions of {', '.join(args.chapters)} ({args.mode}), "
          f"{args.concurrency} at a time, cell timeout {args.cell_timeout} s, size {args.size}"
          f"{extras}", flush=True)
    outcomes: list[dict] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    traces = Path(tempfile.mkdtemp(prefix="tlcourse-stress-"))  # private: mode 0700, fresh name

    def work(job: dict) -> None:
        outcome = run_one(job, args, traces)
        with lock:
            outcomes.append(outcome)
            where = ""
            if outcome["status"] != "ok":
                cell = (outcome.get("diagnosis") or {}).get("cell")
                where = (f"  cell {cell[0]}: {cell[1]!r}" if cell
                         else f"  {outcome.get('error', '')[:200]}")
            if "slowest_cell_s" in outcome:
                where += (f"  (slowest cell {outcome['slowest_cell_s']:.1f} s; longest waits: "
                          f"sent->busy {outcome['max_sent_to_busy_s']:.2f} s, "
                          f"idle->reply {outcome['max_idle_to_reply_s']:.2f} s)")
            print(f"[{len(outcomes):>4}/{args.runs}] {outcome['mode']:<5} {outcome['chapter']:<28} "
                  f"{outcome['status']:<5} {outcome['time'] or 0:>7.1f} s{where}", flush=True)
            if args.report:  # kept up to date, so that an interrupted run leaves its outcomes
                args.report.parent.mkdir(parents=True, exist_ok=True)
                args.report.write_text(json.dumps(outcomes, indent=1), encoding="utf-8")

    try:
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(work, jobs))
    except BaseException:  # interrupted: nothing left behind
        shutil.rmtree(traces, ignore_errors=True)
        raise
    finally:
        for burner in burners:
            burner.kill()

    elapsed = time.monotonic() - t0
    hangs = [o for o in outcomes if o["status"] == HANG]
    errors = [o for o in outcomes if o["status"] not in {"ok", HANG}]
    print(f"\n{len(outcomes)} executions in {elapsed / 60:.1f} min: {len(hangs)} hung, "
          f"{len(errors)} failed otherwise")
    for key in sorted({(o["chapter"], o["mode"]) for o in outcomes}):
        group = [o for o in outcomes if (o["chapter"], o["mode"]) == key]
        n_hang = sum(o["status"] == HANG for o in group)
        times = sorted(o["time"] for o in group if o["time"] is not None)
        median = times[len(times) // 2] if times else math.nan
        print(f"  {key[0]:<28} {key[1]:<5} {len(group):>4} runs  {n_hang} hung  rate "
              f"{n_hang / len(group):.3f} (95% upper bound {upper_95(n_hang, len(group)):.3f})  "
              f"median {median:.1f} s")
    book_runs = [o for o in outcomes if "max_sent_to_busy_s" in o]
    if book_runs:
        print(f"  book-way executions: longest wait sent->busy "
              f"{max(o['max_sent_to_busy_s'] for o in book_runs):.2f} s, idle->reply "
              f"{max(o['max_idle_to_reply_s'] for o in book_runs):.2f} s, slowest cell "
              f"{max(o['slowest_cell_s'] for o in book_runs):.1f} s")
    for outcome in hangs + errors:
        print(f"\n--- {outcome['status']}: run {outcome['run']}, {outcome['mode']}, "
              f"{outcome['chapter']}")
        print(json.dumps(outcome.get("diagnosis") or outcome.get("error"), indent=1)[:8000])
    if hangs or errors:
        print(f"\nthe message timelines are kept in {traces}")
    else:
        shutil.rmtree(traces, ignore_errors=True)
    return 1 if hangs or errors else 0


if __name__ == "__main__":
    sys.exit(main())
