"""The lock file and the Binder configuration agree with the project's requirements.txt.

requirements.txt pins what the course uses directly; requirements-lock.txt (generated from it by
tools/lock.py, ``make lock``) pins every transitive dependency and is what ``make install``
installs. Binder reads only binder/ when that folder exists: binder/requirements.txt is generated
from the lock by the same script. The only differences: the CPU build of torch (from PyTorch's CPU
index), and the development tools marked ``# dev-only`` in requirements.txt (linters of the
workflows, the publishing and locking tools), which a reader on Binder never runs: they are left
out of binder/ with what only they need, and neither the package nor a chapter may import them.
"""

import importlib.util
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def parse_requirements(path: Path) -> tuple[dict[str, Requirement], list[str]]:
    """({normalised name: requirement}, [option and editable lines]) of a requirements file."""
    reqs: dict[str, Requirement] = {}
    options: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        req = Requirement(line)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name not in reqs, f"{path.name}: {req.name} is listed twice"
        reqs[name] = req
    return reqs, options


DEV_ONLY = "# dev-only"


def dev_only(path: Path) -> set[str]:
    """Normalised names of the requirements of ``path`` whose line ends with ``# dev-only``."""
    names = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line, _, comment = raw.partition(" #")
        line = line.strip()
        if line and not line.startswith(("#", "-")) and f"#{comment}".strip() == DEV_ONLY:
            names.add(re.sub(r"[-_.]+", "-", Requirement(line).name).lower())
    return names


def pinned_version(req: Requirement) -> Version:
    """The ``==`` pin of ``req``; an upper bound beside it (``<2``) must hold for the pin."""
    pins = [s for s in req.specifier if s.operator == "=="]
    assert len(pins) == 1, f"{req} is not pinned with =="
    version = Version(pins[0].version)
    guards = [s for s in req.specifier if s.operator != "=="]
    assert all(s.operator == "<" and s.contains(version) for s in guards), f"{req}: bad bound"
    return version


@pytest.fixture(scope="module")
def main_reqs():
    return parse_requirements(ROOT / "requirements.txt")


@pytest.fixture(scope="module")
def lock_reqs():
    return parse_requirements(ROOT / "requirements-lock.txt")


@pytest.fixture(scope="module")
def binder_reqs():
    return parse_requirements(BINDER / "requirements.txt")


def test_dev_only_tools_are_not_used_by_the_course(main_reqs):
    """A ``# dev-only`` package is a tool: not a runtime dependency, and no module imports it."""
    tools = dev_only(ROOT / "requirements.txt")
    assert tools <= set(main_reqs[0]), f"dev-only names that requirements.txt lacks: {tools}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {re.sub(r"[-_.]+", "-", Requirement(d).name).lower() for d in project["dependencies"]}
    assert tools & runtime == set(), f"runtime dependencies marked dev-only: {tools & runtime}"
    sources = [*ROOT.joinpath("tlcourse").rglob("*.py"), *ROOT.joinpath("book").glob("*.md")]
    for tool in tools:
        module = tool.replace("-", "_")
        pattern = re.compile(rf"^\s*(?:import|from)\s+{module}\b", re.MULTILINE)
        users = [p.name for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
        assert not users, f"{tool} is marked dev-only (not on Binder) but {users} import it"


@pytest.fixture(scope="module")
def lock_tool():
    spec = importlib.util.spec_from_file_location("lock_tool", ROOT / "tools" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lock_pins_every_requirement_at_its_version(main_reqs, lock_reqs):
    for name, req in main_reqs[0].items():
        assert name in lock_reqs[0], f"{name} of requirements.txt is not in the lock: make lock"
        want, got = pinned_version(req), pinned_version(lock_reqs[0][name])
        assert got == want, f"{name}: requirements.txt pins {want}, the lock {got}: make lock"


def test_lock_pins_everything_and_no_cuda(lock_reqs):
    reqs, options = lock_reqs
    assert len(reqs) > 100, "the lock holds the transitive dependencies too"
    for name, req in reqs.items():
        pinned_version(req)  # every line is an exact pin
        assert not name.startswith("nvidia-"), f"the lock pulls the CUDA package {name}"
    assert pinned_version(reqs["torch"]).local is None, "the lock pins torch's public version"
    assert options == ["-e ."], f"the lock installs the course package (-e .) only: {options}"


def test_binder_is_generated_from_the_lock(lock_tool):
    lock = (ROOT / "requirements-lock.txt").read_text(encoding="utf-8")
    binder = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    dev_only = lock_tool.dev_only_names((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    assert binder == lock_tool.binder_requirements(lock, dev_only), (
        "binder/requirements.txt is not what tools/lock.py generates from the lock: run "
        "`.venv/bin/python tools/lock.py --binder-only` (never edit it by hand)"
    )


def test_binder_has_the_lock_s_packages_and_versions(lock_reqs, binder_reqs, lock_tool):
    lock = (ROOT / "requirements-lock.txt").read_text(encoding="utf-8")
    dev_only = lock_tool.dev_only_names((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    left_out = lock_tool.left_out_of_binder(lock, dev_only)
    assert dev_only <= left_out, "the dev-only tools are not on Binder"
    assert set(lock_reqs[0]) - left_out == set(binder_reqs[0])
    for name, req in lock_reqs[0].items():
        if name in left_out:
            continue
        want, got = pinned_version(req), pinned_version(binder_reqs[0][name])
        assert got.public == want.public, f"{name}: the lock pins {want}, binder {got}"
        assert got.local is None or name == "torch", f"{name}: only torch may differ ({got})"


def test_portable_lock_refuses_cuda_and_machine_paths(lock_tool):
    text = "-e file:///somewhere/tlcourse\ntorch==2.13.0+cpu\n    # via tlcourse\n"
    out = lock_tool.portable_lock(text)
    assert "-e .\n" in out and "torch==2.13.0\n" in out and "file://" not in out
    with pytest.raises(SystemExit, match="CUDA"):
        lock_tool.portable_lock("torch==2.13.0\nnvidia-cublas-cu12==12.8.4.1\n")


def test_torch_is_the_cpu_build(binder_reqs):
    reqs, options = binder_reqs
    torch = pinned_version(reqs["torch"])
    assert torch.local == "cpu", f"binder pins torch {torch}; the CPU build is {torch.public}+cpu"
    assert f"--extra-index-url {CPU_INDEX}" in options, "binder needs PyTorch's CPU wheel index"


def test_installs_the_course_package(main_reqs, binder_reqs):
    assert "-e ." in main_reqs[1]
    assert "-e ." in binder_reqs[1], "binder must install tlcourse (-e .) like requirements.txt"


def test_make_install_installs_the_lock_compiled(tmp_path):
    # what `make install` would run for a new virtual environment (make -n: print, do not run)
    venv = tmp_path / "venv"
    out = subprocess.run(["make", "-n", "-B", "install", f"VENV={venv}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.replace("\\\n", " ")
    installs = [line.split() for line in out.splitlines() if " install " in line]
    assert installs, out
    words = installs[-1]
    assert words[words.index("-r") + 1] == "requirements-lock.txt", out
    assert "--compile-bytecode" in words, "every interpreter of the tests would recompile on import"
    assert str(venv / "bin" / "python") in words, "the lock must go into the project's venv"


def test_python_version_satisfies_the_project():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"binder/runtime.txt should read python-X.Y, not {runtime!r}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requires = SpecifierSet(project["requires-python"])
    assert Version(match.group(1)) in requires, f"{runtime} violates requires-python {requires}"


def test_post_build_opens_chapters_as_notebooks(main_reqs):
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!"), "binder/postBuild needs a shebang line"
    commands = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    viewer = [ln for ln in commands if ln.split()[:2] == ["jupytext-config", "set-default-viewer"]]
    assert viewer, "postBuild must make jupytext's notebook the default viewer of .md files"
    assert {"markdown", "myst"} <= set(viewer[0].split()[2:])
    assert "jupytext" in main_reqs[0], "the viewer comes with jupytext, which must be installed"


def test_post_build_writes_the_starters_the_student_edition_opens():
    """The student edition's launch buttons open starters/<chapter>.ipynb on Binder
    (book/_ext/student_edition.py, REPOSITORY_STARTERS): postBuild must write them there, with
    the same script that writes the edition's downloads."""
    spec = importlib.util.spec_from_file_location(
        "student_edition", ROOT / "book" / "_ext" / "student_edition.py")
    edition = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(edition)
    text = (BINDER / "postBuild").read_text(encoding="utf-8")
    commands = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert ["python", "book/_ext/starters.py", edition.REPOSITORY_STARTERS, "book/*.md"] in (
        commands), f"postBuild does not write the starters into {edition.REPOSITORY_STARTERS}/"


def test_binder_renders_myst_in_jupyterlab(binder_reqs):
    assert "jupyterlab-myst" in binder_reqs[0], "without it JupyterLab shows MyST as fenced text"
