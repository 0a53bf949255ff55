"""Starter notebooks of the student edition: each exercise solution's code replaced by a stub.

A solution code cell of a chapter (a code cell between ``{solution-start}`` and
``{solution-end}``) has one form, so that its stub can be made automatically:

- imports, then the student's function(s): a ``def`` with a docstring saying what to return
  (what to compute, never how: no expression of the solution's body may appear in the stub,
  see :func:`leaked_expressions`);
- then, as the last statement(s), the checker call(s): ``check_x(...)`` (or ``mod.check_x``,
  optionally inside ``print(...)``), each receiving the student's function, or the value of one
  direct call of it (``check_x(f)``, ``check_x(f(1.0), 1.0)``; not ``check_x(*f())`` or
  ``check_x(float(f()))``, which fail on a stub's ``None`` before the checker sees it);
- nothing else at the top level.

:func:`form_problems` lists what breaks that form in a cell's code; :func:`stub_code` turns a
cell into its starter stub (signatures, docstrings, imports and checker calls kept; each body
replaced by ``...``); :func:`starter_notebook` makes the starter notebook of a chapter and
:func:`write_starter` writes it as ``.ipynb``. A starter is the chapter as a student should see
it in JupyterLab (with jupyterlab-myst, which renders MyST) or on Binder:

- solution prose dropped, solution code stubbed;
- each "Predict" box's answer kept as the chapter has it, a ``:class: dropdown`` admonition,
  which JupyterLab's MyST renderer shows folded (as the HTML book does) until it is opened;
- the cells the book folds folded in JupyterLab too (:func:`jupyter_view`: hidden input, and for
  the check cells hidden output, in ``metadata.jupyter``);
- the book's TeX macros in the first cell's MyST frontmatter (:func:`myst_frontmatter`).

A chapter without solutions gets the same notebook, with nothing to stub.

Every notebook's first cell installs the course's package when it runs on Google Colab, and does
nothing elsewhere (:func:`colab_cell`). :func:`chapter_notebook` makes the same notebook of a
chapter with its solutions, for the instructor's edition.

Usage: ``python book/_ext/starters.py [--solved] OUT_DIR book/CHAPTER.md ...`` writes
``OUT_DIR/CHAPTER.ipynb`` (the starter; with ``--solved`` the chapter's own notebook) for each
chapter that is a notebook (``make notebooks``). The student edition
(``book/_ext/student_edition.py``) writes them into its HTML and points each page's download and
launch buttons at them; ``binder/postBuild`` writes the starters into ``starters/`` on Binder.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml

CONFIG = Path(__file__).resolve().parents[2] / "_config.yml"  # the book's configuration
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*\{([\w-]+)\}")
_START = re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\s*\{solution-start\}\s*(\S+)", re.M)
SOLUTION_DIRECTIVES = ("solution", "solution-start", "solution-end")
YOUR_TURN = (
    "**Your turn.** Complete the function(s) in the next cell (replace each `...` by your code), "
    "then run it: the checker says what is right or names the slip. Until then it says "
    "\"not attempted yet\"."
)


# --- the form of a solution cell ----------
def _checker_call(node: ast.stmt) -> ast.Call | None:
    """The checker call of a statement ``check_x(...)`` or ``print(check_x(...))``, else None."""
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return None
    call = node.value
    if isinstance(call.func, ast.Name) and call.func.id == "print" and len(call.args) == 1:
        if isinstance(call.args[0], ast.Call) and not call.keywords:
            call = call.args[0]
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return call if name.startswith("check_") else None


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


# --- what a stub may not say ----------
_PREFIXES = re.compile(r"\b(?:np|numpy|math|torch|scipy|special|stats|integrate|tl)\.")
_KEY_NODES = (ast.BinOp, ast.Compare, ast.Call, ast.Subscript, ast.UnaryOp)
MIN_KEY_LENGTH = 7  # shorter pieces ("1 - x", "f(x)") are vocabulary, not a solution


def normal_form(text: str) -> str:
    """Maths or code squeezed so that the two compare: no library prefixes (``np.sqrt`` is
    ``sqrt``), ``**`` as ``^``, ``.T`` as ``^T``, no ``@``/``*`` (written as juxtaposition in
    prose), no spaces."""
    text = _PREFIXES.sub("", text.replace("**", "^")).replace(".T", "^T")
    return re.sub(r"[\s@*]", "", text)


def _body(fn: ast.FunctionDef) -> list[ast.stmt]:
    """A function's statements after its docstring."""
    return fn.body[1:] if ast.get_docstring(fn) is not None else fn.body


def key_expressions(fn: ast.FunctionDef) -> set[str]:
    """The expressions a function's body computes (operations and calls with an operation inside),
    in :func:`normal_form`, at least :data:`MIN_KEY_LENGTH` characters long."""
    found = set()
    for node in (n for stmt in _body(fn) for n in ast.walk(stmt)):
        if isinstance(node, _KEY_NODES) and any(
            isinstance(inner, ast.BinOp | ast.Compare) for inner in ast.walk(node)
        ):
            text = normal_form(ast.unparse(node))
            if len(text) >= MIN_KEY_LENGTH:
                found.add(text)
    return found


def leaked_expressions(fn: ast.FunctionDef, code: str) -> list[str]:
    """Key expressions of ``fn``'s solution (:func:`key_expressions`) that its stub would show:
    in its signature or docstring, or anywhere else in the cell outside the function's body
    (the longest ones only: a piece of a leaked expression is not listed again)."""
    keys, body = key_expressions(fn), _body(fn)
    if not keys:
        return []
    lines = code.splitlines()
    stub = normal_form("\n".join(lines[: body[0].lineno - 1] + lines[body[-1].end_lineno :]))
    leaked = {key for key in keys if key in stub}
    return sorted(k for k in leaked if not any(k != other and k in other for other in leaked))


def form_problems(code: str) -> list[str]:
    """What breaks the solution form (module docstring) in ``code``; empty when it has the form."""
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        return [f"line {err.lineno}: not valid Python ({err.msg})"]
    problems: list[str] = []
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    calls = [(n, _checker_call(n)) for n in tree.body if _checker_call(n) is not None]
    if not defs:
        problems.append("no function of the student's (a def with a docstring) in the cell")
    if not calls:
        problems.append("no checker call (check_...(...)) at the end of the cell")
    for fn in defs:
        if ast.get_docstring(fn) is None:
            problems.append(f"line {fn.lineno}: def {fn.name} has no docstring")
    student = {fn.name for fn in defs}
    seen_call, after, other = False, [], []
    for node in tree.body:
        if _checker_call(node) is not None:
            seen_call = True
        elif seen_call:
            after.append(node)
        elif not isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef):
            other.append(node)
    for nodes, what in ((other, "neither an import, a def nor a checker call"),
                        (after, "after the checker call(s)")):
        if nodes:
            first = ast.unparse(nodes[0]).splitlines()[0][:50]
            lines = ", ".join(str(n.lineno) for n in nodes)
            problems.append(f"line(s) {lines}: top-level statement(s) {what} (first: {first})")
    for fn in defs:
        for expression in leaked_expressions(fn, code):
            problems.append(f"line {fn.lineno}: the stub of {fn.name} gives away the solution's "
                            f"expression {expression!r}: say what to compute, not how")
    for node, call in calls:
        args = [*call.args, *(k.value for k in call.keywords)]
        used = set().union(*(_names(a) for a in args)) & student if args else set()
        if not used:
            problems.append(f"line {node.lineno}: the checker call uses none of the cell's "
                            f"functions ({', '.join(sorted(student)) or 'none'})")
        for arg in args:
            direct = (isinstance(arg, ast.Name) and arg.id in student) or (
                isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name)
                and arg.func.id in student
                and not (_names(ast.Module([ast.Expr(a) for a in arg.args], [])) & student))
            if not direct and _names(arg) & student:
                problems.append(f"line {node.lineno}: pass the student's function or one direct "
                                f"call of it to the checker, not {ast.unparse(arg)[:60]}")
    return problems


def stub_code(code: str) -> str:
    """The starter stub of a solution cell: each top-level def's body replaced by ``...``.

    Signatures, decorators, docstrings, imports and checker calls are kept verbatim; the cell
    must have the solution form (:func:`form_problems` empty), else ValueError.
    """
    problems = form_problems(code)
    if problems:
        raise ValueError("not in the solution form: " + "; ".join(problems))
    lines = code.splitlines()
    tree = ast.parse(code)
    out: list[str] = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        if isinstance(node, ast.FunctionDef):
            doc = node.body[0]  # the docstring (the form requires it)
            out += lines[first - 1 : doc.end_lineno]
            indent = re.match(r"\s*", lines[doc.lineno - 1]).group(0)
            out.append(f"{indent}...  # your code here")
        else:
            out += lines[first - 1 : node.end_lineno]
        out.append("")
    text = "\n".join(out).strip()
    return re.sub(r"\n{3,}", "\n\n\n", text.replace("\n\ndef ", "\n\n\ndef ")) + "\n"


# --- chapters ----------
@dataclass(frozen=True)
class SolutionCell:
    """A code cell inside a solution: its index in the chapter's notebook, its code, and the label
    of the exercise it solves (``{solution-start} <label>``)."""

    index: int
    source: str
    label: str = ""


def _split_markdown(text: str, inside: bool) -> tuple[list[str], bool, int]:
    """Lines of a markdown cell outside solutions, whether it ends inside one, solutions opened.

    Drops solution directives (plain ``{solution}`` blocks with their content, and the gated
    ``{solution-start}``/``{solution-end}`` fences) and every line between a start and its end.
    """
    kept: list[str] = []
    fence = None  # the closing fence of the directive being skipped
    opened = 0
    for line in text.splitlines():
        if fence is not None:
            if line.strip() == fence:
                fence = None
            continue
        m = _FENCE.match(line)
        if m and m.group(2) in SOLUTION_DIRECTIVES:
            fence = m.group(1)
            if m.group(2) == "solution-start":
                inside, opened = True, opened + 1
            elif m.group(2) == "solution-end":
                inside = False
            continue
        if not inside:
            kept.append(line)
    return kept, inside, opened


def solution_cells(notebook: nbformat.NotebookNode) -> list[SolutionCell]:
    """The code cells of ``notebook`` (a chapter read by jupytext) inside gated solutions."""
    found, inside, label = [], False, ""
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            _, inside, _ = _split_markdown(cell.source, inside)
            label = ([""] + _START.findall(cell.source))[-1] or label
        elif cell.cell_type == "code" and inside:
            found.append(SolutionCell(i, cell.source, label))
    return found


def chapter_problems(path: str | Path) -> list[str]:
    """Every violation of the solution form in a chapter, each naming the chapter and the cell."""
    path = Path(path)
    notebook = jupytext.read(path)
    out = []
    for k, cell in enumerate(solution_cells(notebook), start=1):
        first = cell.source.strip().splitlines()[0][:50] if cell.source.strip() else ""
        for problem in form_problems(cell.source):
            out.append(f"{path.name}, solution cell {k} (notebook cell {cell.index}, "
                       f"starting {first!r}): {problem}")
    return out


def myst_frontmatter(config: str | Path = CONFIG) -> str:
    """The first cell's MyST frontmatter: the book's TeX macros (``\\E``, ``\\R``, from
    ``config``'s MathJax settings), so that JupyterLab's MyST renderer typesets them too."""
    main = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    tex = main.get("sphinx", {}).get("config", {}).get("mathjax3_config", {}).get("tex", {})
    macros = {f"\\{name}": body for name, body in tex.get("macros", {}).items()}
    if not macros:
        return ""
    return f"---\n{yaml.safe_dump({'math': macros}, sort_keys=False)}---\n\n"


_HIDE_SOURCE = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
_HIDE_OUTPUT = {"hide-output", "hide-cell", "remove-output", "remove-cell"}


def is_check_cell(code: str) -> bool:
    """Whether a cell checks the chapter's claims: a top-level ``assert``, or ``claims.check``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Assert) for node in tree.body) or any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "check" and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "claims"
        for node in ast.walk(tree))


def jupyter_view(cell: nbformat.NotebookNode) -> dict[str, bool]:
    """What JupyterLab (and Colab) should fold of a chapter's code cell, as the HTML book does:
    ``source_hidden`` for a hidden-input cell, ``outputs_hidden`` too for a check cell
    (:func:`is_check_cell`) and a removed one; empty for a cell shown as it is."""
    tags = set(cell.metadata.get("tags", []))
    view = {}
    if tags & _HIDE_SOURCE:
        view["source_hidden"] = True
    if tags & _HIDE_OUTPUT or (view and is_check_cell(cell.source)):
        view["outputs_hidden"] = True
    return view


def starter_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The starter notebook of a chapter: solution prose dropped, solution code stubbed.

    A "your turn" note stands where each gated solution opened. Raises ValueError (with every
    violation) if a solution cell does not have the solution form.
    """
    path = Path(path)
    problems = chapter_problems(path)
    if problems:
        raise ValueError("\n".join(problems))
    notebook = jupytext.read(path)
    cells, inside = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            kept, inside_after, opened = _split_markdown(cell.source, inside)
            text = "\n".join(kept).strip()
            if text:
                cells.append(nbformat.v4.new_markdown_cell(text))
            cells += [nbformat.v4.new_markdown_cell(YOUR_TURN) for _ in range(opened)]
            inside = inside_after
        elif cell.cell_type == "code" and inside:
            stub = nbformat.v4.new_code_cell(stub_code(cell.source).rstrip("\n"))
            stub.metadata = {"tags": ["starter"]}
            cells.append(stub)
        else:
            cells.append(cell)
    return _as_notebook(cells, notebook.metadata)


def chapter_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The chapter as a notebook to open on Colab or in JupyterLab, solutions included: the same
    folding, frontmatter and first cell as its starter (:func:`starter_notebook`)."""
    notebook = jupytext.read(Path(path))
    return _as_notebook(notebook.cells, notebook.metadata)


def _as_notebook(cells: list, metadata: dict) -> nbformat.NotebookNode:
    """A notebook of ``cells`` (copied) as students get it: outputs cleared, the book's folding
    (:func:`jupyter_view`), the TeX macros' frontmatter, the Colab install cell first."""
    cells = [copy.deepcopy(cell) for cell in cells]
    for cell in cells:
        if cell.cell_type == "code":
            view = jupyter_view(cell)
            if view:
                cell.metadata["jupyter"] = view
            cell.outputs, cell.execution_count = [], None
    first_text = next((c for c in cells if c.cell_type == "markdown"), None)
    if first_text is not None:
        first_text.source = myst_frontmatter() + first_text.source
    notebook = nbformat.v4.new_notebook(cells=[colab_cell(), *cells],
                                        metadata=copy.deepcopy(metadata))
    notebook.metadata.pop("jupytext", None)
    notebook.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python",
                                                "name": "python3"})
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"
    return notebook


COLAB = """\
# On Google Colab only: install the course's package (anywhere else this cell does nothing).
import sys

if "google.colab" in sys.modules:
    import subprocess

    PACKAGE = {package}
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", PACKAGE], check=True)
"""


def colab_cell(config: str | Path = CONFIG) -> nbformat.NotebookNode:
    """The first cell of every notebook: installs ``tlcourse`` from the book's repository (its
    ``repository`` url and branch in ``config``) when it runs on Colab, and does nothing
    elsewhere (the package is already installed)."""
    repository = yaml.safe_load(Path(config).read_text(encoding="utf-8"))["repository"]
    package = f"tlcourse @ git+{repository['url']}@{repository['branch']}"
    cell = nbformat.v4.new_code_cell(COLAB.format(package=json.dumps(package)).rstrip("\n"))
    cell.metadata = {"tags": ["colab"]}
    return cell


# --- what to run to test a starter ----------
_MUTATORS = {"append", "extend", "insert", "update", "pop", "remove", "clear", "add",
             "setdefault", "discard", "sort", "fill", "put", "resize", "set_index", "rename"}


def _bound_and_used(code: str) -> tuple[set[str], set[str]] | None:
    """Names a cell binds or mutates (over-approximated) and names it reads from earlier cells;
    None if unparsable.

    A name the cell assigns itself (``fig, ax = ...``, a loop variable, an import, a def) is the
    cell's own: reading it does not make the cell depend on an earlier binding, except through an
    augmented assignment (``n += 1``) or a change in place (``x[i] = ...``, ``x.append(...)``),
    which need the name to exist already.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    assigned, changed, used = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else assigned).add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            changed.add(node.target.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            assigned.add(node.name)
        elif isinstance(node, ast.alias):
            assigned.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(
            node.ctx, ast.Store | ast.Del
        ) or (isinstance(node, ast.Attribute) and node.attr in _MUTATORS):
            base = node.value
            while isinstance(base, ast.Attribute | ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                changed.add(base.id)  # x[i] = ..., x.attr = ..., x.append(...): x changes
    return assigned | changed, (used - assigned) | changed


def cells_to_run(notebook: nbformat.NotebookNode, stubs: list[int]) -> list[int]:
    """Code cells to execute to test a starter notebook: enough to run every stub cell.

    The stub cells, the cells after them that read a name a stub defines, and every earlier cell
    that binds or mutates a name any kept cell reads (transitively). Cells that are left out
    neither read a stub's name nor feed a kept cell, so they run exactly as in the chapter (which
    the book's own tests execute). Unparsable cells (magics) are always kept.
    """
    code = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    names = {i: _bound_and_used(notebook.cells[i].source) for i in code}
    keep = {i for i in code if names[i] is None} | set(stubs)
    stub_defs = set()
    for i in stubs:
        stub_defs |= {n.name for n in ast.parse(notebook.cells[i].source).body
                      if isinstance(n, ast.FunctionDef)}
    first_stub = min(stubs, default=len(notebook.cells))
    keep |= {i for i in code if i > first_stub and names[i] and names[i][1] & stub_defs}
    todo = sorted(keep)
    while todo:
        k = todo.pop()
        wanted = names[k][1] if names[k] else set()
        for j in code:
            if j < k and j not in keep and names[j] and names[j][0] & wanted:
                keep.add(j)
                todo.append(j)
    return sorted(keep)


def is_notebook(path: str | Path) -> bool:
    """Whether a page is a MyST notebook (a jupytext header with a kernel), so has a notebook."""
    return "kernelspec:" in Path(path).read_text(encoding="utf-8")[:2000]


def has_solutions(path: str | Path) -> bool:
    """Whether a chapter has a gated solution (so a starter notebook with stubs)."""
    return is_notebook(path) and "{solution-start}" in Path(path).read_text(encoding="utf-8")


def write_starter(path: str | Path, out: str | Path, solved: bool = False) -> Path:
    """Write the starter notebook of chapter ``path`` (with ``solved``, the chapter's own notebook,
    :func:`chapter_notebook`) to the file ``out`` (.ipynb); return it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(chapter_notebook(path) if solved else starter_notebook(path), out)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    solved = "--solved" in argv
    argv = [arg for arg in argv if arg != "--solved"]
    if len(argv) < 2:
        print(__doc__.split("Usage: ")[1].split("\n\n")[0], file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    for chapter in map(Path, argv[1:]):
        if is_notebook(chapter):
            print(write_starter(chapter, out_dir / f"{chapter.stem}.ipynb", solved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
