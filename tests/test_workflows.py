"""The GitHub workflows and ``make publish`` do what the README says, with pinned actions.

- ``.github/workflows/publish.yml`` builds the book with the README's build command, caches the
  execution where that command puts it, uploads the folder the README names and deploys it with
  GitHub's Pages actions; the student edition only when the repository variable asks for it.
- ``.github/workflows/ci.yml`` runs ``.ci/run`` on pushes and pull requests, and ``.ci/run`` runs
  the README's test command.
- Every action is pinned: GitHub's own ``actions/*`` to a version tag (``@v7``), any other action
  to a full commit SHA (the policy stated in the README).
- ``make publish`` pushes the built book (and, if asked, the student edition) with a .nojekyll file
  to the gh-pages branch of a remote: run here against a local bare repository.
- actionlint, when installed (``make install`` does), finds nothing to report.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
SHA = re.compile(r"[0-9a-f]{40}")
VERSION_TAG = re.compile(r"v\d+(?:\.\d+){0,2}")


# --- reading the files ----------------------------------------------------------------------------
def readme_commands() -> list[str]:
    """The commands of the README's "two commands" block, in order (comments stripped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## The two commands\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## The two commands' section"
    block = re.search(r"```(?:bash|sh|shell)\n(.*?)```", section.group(1), re.DOTALL)
    assert block, "the README's '## The two commands' section has no shell block"
    lines = [ln.split("#")[0].strip() for ln in block.group(1).splitlines()]
    return [ln for ln in lines if ln]


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def run_lines(job: dict) -> list[str]:
    """Every command line of the job's `run:` steps."""
    return [
        ln.strip() for step in job["steps"] if "run" in step for ln in step["run"].splitlines()
    ]


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def every_uses() -> list[tuple[str, str]]:
    """(workflow file, `uses:` value) of every step and reusable-workflow call."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        for job in workflow(path.name)["jobs"].values():
            if "uses" in job:
                found.append((path.name, job["uses"]))
            found += [(path.name, s["uses"]) for s in job.get("steps", []) if "uses" in s]
    return found


def book_path_output(size: str, target: str = "book") -> Path:
    """The --path-output of `make TARGET` at a size setting, from the Makefile itself (make -n)."""
    out = subprocess.run(
        ["make", "-n", "-o", "install", "-o", "vendor", target, f"TLCOURSE_SIZE={size}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    build = [ln for ln in out.splitlines() if "jupyter-book build" in ln]
    assert len(build) == 1, f"make -n {target} runs jupyter-book build {len(build)} times:\n{out}"
    args = shlex.split(build[0])
    return Path(args[args.index("--path-output") + 1])


def execution_cache(size: str) -> str:
    """Where `make book` keeps jupyter-cache's execution cache at a size setting."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "cache", "the book must use jupyter-cache"
    assert "cache" not in config["execute"], "a custom execute.cache: update the workflows' paths"
    return os.path.normpath(book_path_output(size) / "_build" / ".jupyter_cache")


# --- the publish workflow -------------------------------------------------------------------------
def test_readme_commands_are_the_makefile_s_build_and_test():
    """The README's two commands exist: make knows them (a dry run) and they build and test."""
    commands = readme_commands()
    assert len(commands) == 2, f"the README's block should hold build and test: {commands}"
    for command, does in zip(commands, ["jupyter-book build", "tools/run_tests.py"], strict=True):
        words = shlex.split(command)
        assert words[0] == "make", command
        out = subprocess.run([*words, "-n", "-o", "install", "-o", "vendor", "-o", "lint"],
                             cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, f"`{command}` fails in the Makefile: {out.stderr}"
        assert does in out.stdout, f"`{command}` does not run {does}:\n{out.stdout}"


def test_publish_builds_with_the_readme_command():
    build_command = readme_commands()[0]
    wf = workflow("publish.yml")
    assert wf["on"]["push"]["branches"] == ["main"], "publish on pushes to main"
    assert "workflow_dispatch" in wf["on"]
    build = wf["jobs"]["build"]
    assert build_command in run_lines(build), f"publish.yml never runs `{build_command}`"
    text = (WORKFLOWS / "publish.yml").read_text(encoding="utf-8")
    assert "TLCOURSE_SIZE" not in text, "the published book is the full one (no size override)"


def test_publish_uploads_and_deploys_the_built_book():
    wf = workflow("publish.yml")
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    html = os.path.normpath(book_path_output("full") / "_build" / "html")
    assert f"{html}/" in (ROOT / "README.md").read_text(encoding="utf-8"), "README names the output"
    (upload,) = steps_using(build, "actions/upload-pages-artifact")
    assert os.path.normpath(upload["with"]["path"]) == html
    assert steps_using(build, "actions/configure-pages"), "configure-pages sets up the Pages site"
    assert deploy["needs"] == "build" and steps_using(deploy, "actions/deploy-pages")
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert wf["permissions"] == {"contents": "read"}, "the build job needs read access only"
    assert wf["concurrency"]["group"] and wf["concurrency"]["cancel-in-progress"] is False


def test_student_edition_only_when_the_variable_asks():
    wf = workflow("publish.yml")
    steps = [s for s in wf["jobs"]["build"]["steps"] if "make student" in s.get("run", "")]
    assert len(steps) == 1, "exactly one step builds the student edition"
    match = re.fullmatch(r"vars\.(\w+) == 'true'", steps[0].get("if", ""))
    assert match, f"the student edition must be conditional on a repository variable: {steps[0]}"
    variable = match.group(1)
    for doc in ["README.md", "Makefile"]:
        assert variable in (ROOT / doc).read_text(encoding="utf-8"), f"{doc} never names {variable}"
    source = os.path.normpath(book_path_output("full", "student") / "_build" / "html")
    assert f"{source}/" in (ROOT / "README.md").read_text(encoding="utf-8"), "README names it"
    assert f"cp -r {source} _build/html/student" in run_lines({"steps": steps}), steps[0]["run"]


@pytest.mark.parametrize(
    "name, job, size", [("ci.yml", "test", "fast"), ("publish.yml", "build", "full")]
)
def test_execution_cache_restored_and_saved(name, job, size):
    """The cached folder is the one `make book` fills; the key is split code/book (see ci.yml)."""
    job = workflow(name)["jobs"][job]
    (restore,) = steps_using(job, "actions/cache/restore")
    (save,) = steps_using(job, "actions/cache/save")
    want = execution_cache(size)
    assert os.path.normpath(restore["with"]["path"]) == want
    assert os.path.normpath(save["with"]["path"]) == want
    assert save["if"].startswith("always()"), "keep what did execute even when a test fails"
    assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
    key = restore["with"]["key"]
    (restore_key,) = [k.strip() for k in restore["with"]["restore-keys"].splitlines() if k.strip()]
    assert key.startswith(restore_key) and "steps.keys.outputs.code" in restore_key, (
        "a partial match may only restore a cache of the same package and pins"
    )
    assert "steps.keys.outputs.book" in key and "steps.keys.outputs.book" not in restore_key
    (keys,) = [s for s in job["steps"] if s.get("id") == "keys"]
    code_line, book_line = keys["run"].strip().splitlines()
    for part in ["tlcourse/**", "requirements*", "pyproject.toml"]:
        assert f"'{part}'" in code_line, f"the code hash misses {part}"
    assert "'book/**'" in book_line


# --- the CI workflow ------------------------------------------------------------------------------
def test_ci_runs_the_ci_script_on_pushes_and_pull_requests():
    wf = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    (job,) = wf["jobs"].values()
    assert job["runs-on"] in {"ubuntu-24.04", "ubuntu-latest"}
    assert any(shlex.split(ln)[-1] == ".ci/run" for ln in run_lines(job)), "ci.yml must run .ci/run"
    ci_script = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    test_command = readme_commands()[1]
    assert test_command in ci_script, f".ci/run must run the README's `{test_command}`"


@pytest.mark.parametrize("name", ["ci.yml", "publish.yml"])
def test_python_and_pip_cache(name):
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    for job in workflow(name)["jobs"].values():
        for setup in steps_using(job, "actions/setup-python"):
            assert f"python-{setup['with']['python-version']}" == runtime, "same Python as Binder"
            assert setup["with"]["cache"] == "pip"


# --- pinned actions -------------------------------------------------------------------------------
def test_every_action_is_pinned():
    uses = every_uses()
    assert len(uses) >= 8, f"expected the workflows' actions, found {uses}"
    for name, ref in uses:
        if ref.startswith("./"):
            continue  # an action of this repository: pinned by the commit itself
        if ref.startswith("docker://"):
            assert "@sha256:" in ref, f"{name}: {ref} must be pinned to a digest"
            continue
        action, at, version = ref.partition("@")
        assert at and version, f"{name}: {ref} has no version"
        if SHA.fullmatch(version):
            continue
        assert action.split("/")[0] == "actions", (
            f"{name}: {ref}: actions outside GitHub's own actions/ must be pinned to a full SHA"
        )
        assert VERSION_TAG.fullmatch(version), f"{name}: {ref} is not pinned to a version tag"


# --- actionlint -----------------------------------------------------------------------------------
def test_actionlint_finds_nothing():
    actionlint = Path(sys.prefix) / "bin" / "actionlint"
    if not actionlint.exists():
        pytest.skip("actionlint is not installed (make install installs it)")
    shellcheck = Path(sys.prefix) / "bin" / "shellcheck"
    files = sorted(str(p) for p in WORKFLOWS.glob("*.y*ml"))
    result = subprocess.run(
        [str(actionlint), "-no-color", f"-shellcheck={shellcheck if shellcheck.exists() else ''}",
         "-pyflakes=", *files],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- make publish ---------------------------------------------------------------------------------
def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture()
def site_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A git repository with a built (tiny) book and student edition, and a bare `origin`."""
    if not (Path(sys.prefix) / "bin" / "ghp-import").exists():
        pytest.fail("ghp-import is not installed: run `make install` (requirements.txt pins it)")
    repo, remote = tmp_path / "course", tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("init", "-q", "-b", "main", str(repo), cwd=tmp_path)
    for key, value in [("user.name", "Test"), ("user.email", "test@example.org")]:
        git("config", key, value, cwd=repo)
    git("remote", "add", "origin", str(remote), cwd=repo)
    (repo / "README.md").write_text("a course\n")
    git("add", "README.md", cwd=repo)
    git("commit", "-q", "-m", "start", cwd=repo)
    for folder, title in [("_build/html", "book"), ("_build/student/_build/html", "student")]:
        (repo / folder / "_static").mkdir(parents=True)
        (repo / folder / "index.html").write_text(f"<title>{title}</title>\n")
        (repo / folder / "_static" / "style.css").write_text("body {}\n")
    return repo, remote


def make_publish(repo: Path, *variables: str) -> subprocess.CompletedProcess:
    # the book of the full size setting (site_repo's folders), whatever the tests run with
    return subprocess.run(
        ["make", "-f", str(ROOT / "Makefile"), "publish", f"VENV={sys.prefix}",
         "TLCOURSE_SIZE=full", *variables],
        cwd=repo, capture_output=True, text=True,
    )


def test_make_publish_pushes_the_book_to_gh_pages(site_repo):
    repo, remote = site_repo
    result = make_publish(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    files = set(git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split())
    assert files == {".nojekyll", "index.html", "_static/style.css"}
    assert git("show", "gh-pages:index.html", cwd=remote) == "<title>book</title>\n"
    head = git("rev-parse", "--short", "HEAD", cwd=repo).strip()
    assert head in git("log", "-1", "--format=%s", "gh-pages", cwd=remote)


def test_make_publish_adds_the_student_edition_when_asked(site_repo):
    repo, remote = site_repo
    result = make_publish(repo, "PUBLISH_STUDENT_EDITION=true")
    assert result.returncode == 0, result.stdout + result.stderr
    files = set(git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split())
    assert {"index.html", "student/index.html", "student/_static/style.css"} <= files
    assert git("show", "gh-pages:student/index.html", cwd=remote) == "<title>student</title>\n"


def test_make_publish_without_a_built_book_says_what_to_do(site_repo):
    repo, remote = site_repo
    shutil.rmtree(repo / "_build" / "html")
    result = make_publish(repo)
    assert result.returncode != 0 and "make book" in result.stdout + result.stderr
    assert "gh-pages" not in git("branch", "--list", cwd=remote)
