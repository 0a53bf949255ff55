"""Regenerate the lock file and Binder's requirements from requirements.txt.

``requirements.txt`` pins what the course uses directly (edited by hand). This script:

1. runs pip-tools' ``pip-compile`` on it, which resolves every transitive dependency and writes
   ``requirements-lock.txt`` (all pins; ``make install``, and so CI, install exactly that file);
2. writes ``binder/requirements.txt`` from the lock: the same pins, except torch, which Binder
   takes as its CPU build (``+cpu``) from PyTorch's own index, and the development tools marked
   ``# dev-only`` in requirements.txt, left out with the dependencies that only they need
   (pip-compile's ``# via`` notes say who needs what).

On this course's machines ``torch==X`` resolves to the CPU wheel that lies on disk, so the lock
holds no CUDA packages; the script refuses a lock that does (``nvidia-*``). Run it with
``make lock`` (it takes minutes: pip-compile reads every package's metadata), or
``python tools/lock.py --binder-only`` to regenerate only binder/ from the existing lock.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
LOCK = ROOT / "requirements-lock.txt"
BINDER = ROOT / "binder" / "requirements.txt"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH = re.compile(r"^torch==(?P<public>[^+\s]+)(\+\w+)?$")
TORCH_NOTE = ("# torch: the public version; on the course's machines it resolves to the CPU wheel "
              "on disk\n")

BINDER_HEADER = """\
# Binder (mybinder.org) environment of the course, GENERATED from requirements-lock.txt by
# tools/lock.py (make lock): do not edit by hand. The same pins as the lock, except that torch is
# the CPU build from PyTorch's own index (PyPI's Linux wheel is a multi-GB CUDA build) and that
# the development tools (`# dev-only` in requirements.txt) are left out.
# tests/test_binder.py checks that this file is what the script generates.
--extra-index-url {index}
"""


def compile_lock() -> str:
    """Run pip-compile on requirements.txt and return the lock's text, made portable."""
    cmd = [sys.executable, "-m", "piptools", "compile", "--quiet", "--strip-extras",
           "--no-emit-index-url", "--no-emit-find-links", "--output-file", LOCK.name,
           REQUIREMENTS.name]
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "make lock"}
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return portable_lock(LOCK.read_text(encoding="utf-8"))


def portable_lock(text: str) -> str:
    """The lock without this machine's traces: ``-e .`` for the project's absolute path, and
    torch's public version (``torch==X``, not ``torch==X+cpu``). Refuses CUDA packages."""
    cuda = sorted(set(re.findall(r"^(nvidia-[\w-]+)==", text, re.M)))
    if cuda:
        raise SystemExit(f"the lock pulled CUDA packages {cuda}: torch must resolve to its CPU "
                         "wheel (pin torch==X as in requirements.txt, with the wheel on disk)")
    lines = []
    for line in text.splitlines():
        if line.startswith("-e file:"):
            line = "-e ."
        match = TORCH.match(line)
        if match:
            if not lines or lines[-1] != TORCH_NOTE.rstrip("\n"):
                lines.append(TORCH_NOTE.rstrip("\n"))
            line = f"torch=={match['public']}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def normalise(name: str) -> str:
    """A package name in its normal form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dev_only_names(requirements: str) -> set[str]:
    """Names of the requirements whose line ends with ``# dev-only`` (tools, not for Binder)."""
    names = set()
    for raw in requirements.splitlines():
        line, _, comment = raw.partition(" #")
        if line.strip() and not line.startswith(("#", "-")) and comment.strip() == "dev-only":
            names.add(normalise(re.split(r"[=<>!~\[; ]", line.strip())[0]))
    return names


def needed_by(lock: str) -> dict[str, set[str]]:
    """{package: the packages that need it} from the lock's ``# via`` notes (``-r ...``: a direct
    requirement)."""
    via: dict[str, set[str]] = {}
    current = None
    for raw in lock.splitlines():
        line = raw.strip()
        pin = re.match(r"^([A-Za-z0-9][\w.-]*)==", line)
        if pin:
            current = normalise(pin.group(1))
            via[current] = set()
        elif current and line.startswith("#"):
            words = line.lstrip("#").strip().removeprefix("via").strip()
            if words:
                via[current].add(words if words.startswith("-r") else normalise(words))
        elif line and not line.startswith("#"):
            current = None
    return via


def left_out_of_binder(lock: str, dev_only: set[str]) -> set[str]:
    """The dev-only tools and every package of the lock that only they need."""
    via = needed_by(lock)
    out = {name for name in via if name in dev_only}
    changed = True
    while changed:
        changed = False
        for name, users in via.items():
            if name not in out and users and all(u in out for u in users):
                out.add(name)
                changed = True
    return out


def binder_requirements(lock: str, dev_only: set[str] = frozenset()) -> str:
    """Binder's requirements from the lock's text: every pin but the dev-only tools (and what only
    they need), torch as ``+cpu`` from PyTorch's CPU index."""
    skip = left_out_of_binder(lock, set(dev_only))
    out = [BINDER_HEADER.format(index=CPU_INDEX).rstrip("\n")]
    for raw in lock.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # pip-compile's comments ("via ...") stay in the lock
        pin = re.match(r"^([A-Za-z0-9][\w.-]*)==", line)
        if pin and normalise(pin.group(1)) in skip:
            continue
        match = TORCH.match(line)
        out.append(f"torch=={match['public']}+cpu" if match else line)
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    lock = LOCK.read_text(encoding="utf-8") if "--binder-only" in argv else compile_lock()
    LOCK.write_text(lock, encoding="utf-8")
    dev_only = dev_only_names(REQUIREMENTS.read_text(encoding="utf-8"))
    BINDER.write_text(binder_requirements(lock, dev_only), encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)} and {BINDER.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
