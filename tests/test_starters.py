"""Starter notebooks (book/_ext/starters.py): the solution form of every chapter, and every starter
notebook run top to bottom at the fast setting, raising nothing, each checker saying "not
attempted yet".

The run executes the cells a starter needs (book/_ext/starters.py, cells_to_run: the stub cells,
the cells that read a stub's names, and what those read), one kernel per chapter, one test per
chapter (xdist spreads the chapters over its workers).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from tiny_chapter import MYST_HEADER

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("starters", ROOT / "book" / "_ext" / "starters.py")
starters = sys.modules.setdefault("starters", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(starters)

CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.md") if starters.has_solutions(p))
IDS = [p.stem for p in CHAPTERS]
NOT_ATTEMPTED = "not attempted yet"


# --- the form ----------
GOOD = '''\
import numpy as np
from tlcourse.exercises import chmm as chmm_ex


def label_agreement(delta):
    """Fraction of samples on which source and target labels agree."""
    return 1 - np.arccos(np.sqrt(1 - delta)) / np.pi


@np.vectorize
def other(x, y=2):
    """Another function, decorated."""
    z = x + y
    return z


chmm_ex.check_label_agreement(label_agreement(0.5), 0.5)
print(chmm_ex.check_something(other, 1))
'''


def test_good_cell_has_the_form_and_its_stub_keeps_signatures_docstrings_and_calls():
    assert starters.form_problems(GOOD) == []
    stub = starters.stub_code(GOOD)
    assert "return" not in stub and "z = x + y" not in stub
    for kept in ("import numpy as np", "def label_agreement(delta):",
                 '"""Fraction of samples on which source and target labels agree."""',
                 "@np.vectorize", "def other(x, y=2):",
                 "chmm_ex.check_label_agreement(label_agreement(0.5), 0.5)",
                 "print(chmm_ex.check_something(other, 1))"):
        assert kept in stub, kept
    assert stub.count("...  # your code here") == 2
    assert starters.form_problems(stub) == []  # a stub has the form too
    compile(stub, "<stub>", "exec")


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("x = 1\ndef f():\n    '''d'''\n    return x\ncheck_a(f)\n", "neither an import"),
        ("def f():\n    return 1\ncheck_a(f)\n", "has no docstring"),
        ("def f():\n    '''d'''\ncheck_a(f)\nprint(1)\n", "after the checker call"),
        ("def f():\n    '''d'''\n", "no checker call"),
        ("import numpy\ncheck_a(1)\n", "no function of the student's"),
        ("def f():\n    '''d'''\ncheck_a(2)\n", "uses none of the cell's functions"),
        ("def f():\n    '''d'''\ncheck_a(*f())\n", "one direct call"),
        ("def f():\n    '''d'''\ncheck_a(float(f()))\n", "one direct call"),
        ("def f(x):\n    '''d'''\ncheck_a(f(f(1)))\n", "one direct call"),
        ("def f(:\n", "not valid Python"),
    ],
)
def test_bad_cells_are_named(code, problem):
    problems = starters.form_problems(code)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="not in the solution form"):
        starters.stub_code(code)


# Stubs as they were before their docstrings were rewritten: each stated the formula to find.
LEAKY = [
    ('def sample_hmm(F, theta, C, sigma):\n'
     '    """Inputs X = sigma(C F / sqrt(D)), shape (n, N), and labels y = sign(C theta)."""\n'
     '    D = F.shape[0]\n    X = sigma(C @ F / np.sqrt(D))\n'
     '    y = np.where(C @ theta >= 0, 1.0, -1.0)\n    return X, y\n\n\n'
     'check_hmm_sampler(sample_hmm)\n', "sigma(CF/sqrt(D))"),
    ('def n_needed(error, stderr):\n'
     '    """Smallest n with sqrt(error (1 - error) / n) <= stderr."""\n'
     '    return math.ceil(error * (1 - error) / stderr ** 2 - 1e-9)\n\n\n'
     'check_n_test(n_needed(0.1, 0.01), 0.1, 0.01)\n', "error(1-error)"),
    ('def f(x, scale=np.sqrt(2 / np.pi)):\n    """Scaled."""\n'
     '    return x * np.sqrt(2 / np.pi)\n\n\ncheck_f(f)\n', "sqrt(2/pi)"),
]


@pytest.mark.parametrize(("code", "leak"), LEAKY, ids=["docstring", "docstring-2", "default"])
def test_a_stub_that_gives_away_its_solution_is_refused(code, leak):
    problems = starters.form_problems(code)
    assert any(f"expression {leak!r}" in p for p in problems), problems


def test_a_stub_that_says_what_to_compute_passes():
    code = LEAKY[0][0].replace("Inputs X = sigma(C F / sqrt(D)), shape (n, N), and labels "
                               "y = sign(C theta).", "The HMM's inputs X (n, N) and labels y.")
    assert starters.form_problems(code) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_solution_cells_have_the_form(chapter):
    problems = starters.chapter_problems(chapter)
    assert not problems, "solution cells not in the form of book/chapters' convention:\n" + (
        "\n".join(problems))


# --- a tiny chapter ----------
TINY = MYST_HEADER + """\
# Tiny

```{code-cell} ipython3
from tlcourse.exercises import phenomena as ph_ex

D = 60
unused = 1 / 0 if False else 3
```

```{exercise} Equal overlap (★, 5 min)
:label: ex-tiny

EXERCISE-TEXT
```

```{solution-start} ex-tiny
:class: dropdown
```

SOLUTION-PROSE-MARKER explains.

```{code-cell} ipython3
def added(D, r):
    \"\"\"How many latent directions to add.\"\"\"
    return D * r / (D - r)


ph_ex.check_equal_overlap_addition(added(D, 20), D, 20)
```

MORE-SOLUTION-PROSE

```{solution-end}
```

After the solution.

```{solution} ex-tiny
:class: dropdown

PLAIN-SOLUTION-MARKER
```

```{code-cell} ipython3
print("the end", added)
```
"""


def test_starter_folds_what_the_book_folds(tmp_path):
    """Check cells fold input and output in JupyterLab, a hidden figure cell its input only; the
    Predict answer stays a dropdown; the book's TeX macros open the notebook."""
    chapter = TINY.replace("After the solution.", CHECKS)
    path = tmp_path / "tiny.md"
    path.write_text(chapter, encoding="utf-8")
    nb = starters.starter_notebook(path)
    views = {c.source.splitlines()[0]: c.metadata.get("jupyter", {})
             for c in nb.cells if c.cell_type == "code"}
    assert views["assert D == 60"] == {"source_hidden": True, "outputs_hidden": True}
    assert views["claims.check(D == 60, 'D is 60')"] == {"source_hidden": True,
                                                          "outputs_hidden": True}
    assert views["print('a figure')"] == {"source_hidden": True}
    assert views["from tlcourse.exercises import phenomena as ph_ex"] == {}
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "```{admonition} Answer\n:class: dropdown\n\nPREDICT-ANSWER" in text
    first = next(c for c in nb.cells if c.cell_type == "markdown").source
    assert first.startswith("---\nmath:\n") and "\\E: \\mathbb{E}" in first.split("---")[1]


CHECKS = """\
````{admonition} Predict: what is D?
:class: predict

Guess.

```{admonition} Answer
:class: dropdown

PREDICT-ANSWER
```
````

```{code-cell} ipython3
:tags: [hide-input]

assert D == 60
```

```{code-cell} ipython3
:tags: [hide-input]

claims.check(D == 60, 'D is 60')
```

```{code-cell} ipython3
:tags: [hide-input]

print('a figure')
```
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.md"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_tiny_starter_drops_solution_prose_and_stubs_code(tiny, tmp_path):
    out = starters.write_starter(tiny, tmp_path / "out" / "tiny.ipynb")
    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    text = "\n".join(c.source for c in nb.cells)
    for gone in ("SOLUTION-PROSE-MARKER", "MORE-SOLUTION-PROSE", "PLAIN-SOLUTION-MARKER",
                 "return D * r", "solution-start", "solution-end"):
        assert gone not in text, gone
    for kept in ("EXERCISE-TEXT", "After the solution.", "def added(D, r):",
                 "How many latent directions to add.", "check_equal_overlap_addition(added(D, 20)",
                 "Your turn"):
        assert kept in text, kept
    stubs = [c for c in nb.cells if "starter" in c.metadata.get("tags", [])]
    assert len(stubs) == 1


def test_cells_to_run_is_the_slice_a_stub_needs(tiny):
    nb = jupytext.read(tiny)
    stubs = [c.index for c in starters.solution_cells(nb)]
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    # the setup cell (D, ph_ex), the stub, and the last cell that reads the stub's name
    assert starters.cells_to_run(nb, stubs) == code


def test_cells_to_run_leaves_out_cells_whose_names_a_kept_cell_binds_itself():
    cells = ["import numpy as np\nD, total = 10, 0",
             "fig, ax = 'a slow figure', 1",  # binds ax, but no kept cell needs this ax
             'def f(x):\n    """Stub."""\n    ...\n\n\ncheck_f(f(D))',
             "fig, ax = 'its own', 2\nprint(ax, f)",  # reads f (the stub's) and its own ax
             "total += f(1)"]  # an augmented assignment needs the earlier total
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    assert starters.cells_to_run(nb, [2]) == [0, 2, 3, 4]


def test_chapter_not_in_the_form_is_refused(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text(TINY.replace('    \\"\\"\\"How many latent directions to add.\\"\\"\\"\n', "")
                    .replace('    """How many latent directions to add."""\n', ""),
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.md, solution cell 1 .*has no docstring"):
        starters.starter_notebook(path)


# --- running the starters ----------
def run_starter(path: Path) -> tuple[nbformat.NotebookNode, list[int]]:
    """Execute the cells of ``path``'s starter that its stubs need; return it and the stubs."""
    nb = starters.starter_notebook(path)
    stubs = [i for i, c in enumerate(nb.cells) if "starter" in c.metadata.get("tags", [])]
    run = set(starters.cells_to_run(nb, stubs))
    cells = [nbformat.v4.new_code_cell("get_ipython().ast_node_interactivity = 'all'")]
    index = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and i in run:
            index[i] = len(cells)
            cells.append(cell)
    sliced = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    client = NotebookClient(sliced, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on the first error, naming the cell
    return sliced, [index[i] for i in stubs]


def outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/plain", ""))
    return "\n".join(parts)


def test_tiny_starter_runs_and_says_not_attempted(tiny, monkeypatch):
    monkeypatch.setenv("TLCOURSE_SIZE", "fast")
    nb, stubs = run_starter(tiny)
    assert len(stubs) == 1
    assert NOT_ATTEMPTED in outputs_text(nb.cells[stubs[0]])
    assert "the end" in outputs_text(nb.cells[-1])


def checker_calls(source: str) -> int:
    """How many calls of a ``check_*`` function a cell makes (imports of them do not count)."""
    def name(func: ast.expr) -> str:
        return getattr(func, "id", None) or getattr(func, "attr", "")

    return sum(isinstance(node, ast.Call) and name(node.func).startswith("check_")
               for node in ast.walk(ast.parse(source)))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_starter_runs_top_to_bottom_and_each_checker_says_not_attempted(chapter, monkeypatch):
    problems = starters.chapter_problems(chapter)
    if problems:
        pytest.fail(f"{chapter.name}: no starter notebook, {len(problems)} solution-form "
                    "problem(s) (see test_solution_cells_have_the_form)")
    monkeypatch.setenv("TLCOURSE_SIZE", "fast")
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    nb, stubs = run_starter(chapter)
    assert stubs, f"{chapter.name} has solutions but no stub cell"
    for k in stubs:
        cell = nb.cells[k]
        calls = checker_calls(cell.source) if starters.form_problems(cell.source) == [] else 0
        said = outputs_text(cell).count(NOT_ATTEMPTED)
        assert said >= 1 and said >= calls, (
            f"{chapter.name}: stub cell\n{cell.source}\nsaid {said} time(s) 'not attempted yet' "
            f"for {calls} checker call(s); output:\n{outputs_text(cell)[:800]}")
