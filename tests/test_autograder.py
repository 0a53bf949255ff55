"""The autograder (tools/autograder.py, ``make autograder``): otter-grader test files generated
from the chapters' checker calls, and two submissions graded locally with ``otter run`` (no
Docker): the book's own solutions get full marks, a submission with one slip in each of two
exercises gets partial marks, and its feedback carries the checkers' messages naming the slips.

The submissions are the cells of the hidden manifold model chapter that its solutions need
(starters.cells_to_run), so that grading takes seconds; a student's full starter is graded the
same way, only slower.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from test_starters import starters

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import autograder  # noqa: E402 (tools/ is not a package)

CHAPTER = ROOT / "book" / "hmm.md"
OTTER = Path(sys.executable).with_name("otter")
# one slip in each of two exercises, and the message the checker gives for it
SLIPS = {
    "ex-hmm-sampler": ("X = sigma(C @ F / np.sqrt(D))", "X = sigma(C @ F)", "miss the 1/sqrt(D)"),
    "ex-hmm-kappa1": ("return 2 * integrate.quad(lambda s: s * stats.norm.pdf(s), 0, np.inf)[0]",
                      "return (2 * integrate.quad(lambda s: s * stats.norm.pdf(s), 0, np.inf)"
                      "[0]) ** 2", "kappa1 squared"),
}


def test_exercises_are_the_chapter_s_checker_calls():
    found = {ex.label: ex.calls for ex in autograder.exercises(CHAPTER)}
    assert found == {
        "ex-hmm-sampler": ("hmm_ex.check_hmm_sampler(sample_hmm)",),
        "ex-hmm-kappa1": ("hmm_ex.check_kappa1(kappa1_monte_carlo(100000, 0), n_samples=100000)",
                          "hmm_ex.check_kappa1(kappa1_quadrature())",
                          "hmm_ex.check_kappa1(kappa1_gauss_hermite(50))"),
    }


def test_test_file_expects_the_reference_verdict():
    exercise = autograder.Exercise("ex-a", ("check_a(f)", "check_b(g(1))"))
    text = autograder.test_file(exercise, ["correct", "imprecise"])
    compile(text, "ex-a.py", "exec")
    assert "points = 2" in text and text.count("@test_case(points=1") == 2
    assert "eval('check_b(g(1))', env)" in text and "== 'imprecise', str(feedback)" in text
    with pytest.raises(ValueError):
        autograder.test_file(exercise, ["correct"])  # a verdict for every call


def submission(path: Path, slips: dict) -> Path:
    """The chapter's cells that its solutions need, with ``slips`` (old, new, _) applied."""
    nb = jupytext.read(CHAPTER)
    keep = starters.cells_to_run(nb, [c.index for c in starters.solution_cells(nb)])
    cells = [nb.cells[i] for i in keep]
    for old, new, _ in slips.values():
        hits = [c for c in cells if old in c.source]
        assert len(hits) == 1, f"the slip's line {old!r} is not in the chapter once"
        hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata), path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{submission: otter's results.json} for the correct and the wrong submission."""
    tmp = tmp_path_factory.mktemp("autograder")
    env = {"TLCOURSE_SIZE": "fast"}
    export = subprocess.run([sys.executable, str(ROOT / "tools" / "autograder.py"),
                             str(tmp / "export"), str(CHAPTER)], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=600)
    assert export.returncode == 0, export.stderr[-2000:]
    zip_path = tmp / "export" / "hmm" / "autograder.zip"
    assert (tmp / "export" / "hmm" / "hmm.ipynb").is_file(), "no assignment notebook"
    results = {}
    for name, slips in (("correct", {}), ("wrong", SLIPS)):
        folder = tmp / name
        folder.mkdir()
        notebook = submission(folder / f"{name}.ipynb", slips)
        run = subprocess.run([str(OTTER), "run", "-a", str(zip_path), "-o", str(folder),
                              str(notebook)], capture_output=True, text=True, timeout=600,
                             env={**os.environ, **env})
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        tests = json.loads((folder / "results.json").read_text(encoding="utf-8"))["tests"]
        results[name] = {t["name"]: t for t in tests if "max_score" in t}
    return results


def test_the_book_s_solutions_get_full_marks(graded):
    scores = {name: (t["score"], t["max_score"]) for name, t in graded["correct"].items()}
    assert scores == {"ex-hmm-sampler": (1, 1), "ex-hmm-kappa1": (3, 3)}, scores


def test_a_slip_costs_its_points_and_the_checker_says_which(graded):
    wrong = graded["wrong"]
    scores = {name: (t["score"], t["max_score"]) for name, t in wrong.items()}
    assert scores == {"ex-hmm-sampler": (0, 1), "ex-hmm-kappa1": (2, 3)}, scores
    for label, (_, _, message) in SLIPS.items():
        assert message in wrong[label]["output"], wrong[label]["output"]
        assert "Not yet." in wrong[label]["output"]
