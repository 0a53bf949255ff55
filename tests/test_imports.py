"""What importing the package does and does not do: no PyTorch where it is not needed, no
global matplotlib state changed on import."""

import subprocess
import sys


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


LIGHT = ["tlcourse", "tlcourse.theory", "tlcourse.stats", "tlcourse.plotting", "tlcourse.specs",
         "tlcourse.theory.transfer", "tlcourse.firstlayer", "tlcourse.realdata",
         "tlcourse.featuremap"]


def test_numpy_modules_do_not_load_torch():
    # one fresh interpreter: if torch is absent after importing them all, none of them loads it
    code = (f"import sys\nfor m in {LIGHT!r}:\n    __import__(m)\n"
            "    if 'torch' in sys.modules: print(m); break\nelse: print('none')")
    assert _run(code) == "none", "this module loads PyTorch"


def test_torch_modules_do_load_it():
    # the check above can fail: networks needs PyTorch and loads it
    assert _run("import sys, tlcourse.networks; print('torch' in sys.modules)") == "True"


def test_import_leaves_matplotlib_style_alone():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); import tlcourse; "
        "import tlcourse.plotting; after = dict(mpl.rcParams); "
        "print(sorted(k for k in before if before[k] != after[k]))"
    )
    assert _run(code) == "[]", "importing tlcourse changed matplotlib's rcParams"


def test_set_style_is_what_changes_it():
    code = (
        "import matplotlib as mpl; import tlcourse as tl; tl.plotting.set_style(); "
        "print(mpl.rcParams['legend.frameon'], tuple(mpl.rcParams['figure.figsize']))"
    )
    assert _run(code) == "False (5.6, 3.6)"


def test_chapters_that_draw_set_the_style_in_their_first_cell():
    from pathlib import Path

    import jupytext

    book = Path(__file__).resolve().parents[1] / "book"
    missing = []
    for page in sorted(book.glob("*.md")):
        if "format_name: myst" not in page.read_text(encoding="utf-8")[:2000]:
            continue
        code = [c.source for c in jupytext.read(page).cells if c.cell_type == "code"]
        draws = any("plt." in c or "plotting." in c for c in code)
        if draws and "set_style()" not in code[0]:
            missing.append(page.name)
    assert not missing, f"call tl.plotting.set_style() in the first code cell of {missing}"


def test_every_public_module_is_reachable_as_an_attribute():
    # one fresh interpreter; each attribute removed first, so that tl.<name> must resolve through
    # the package's own lazy loading, not through another module having imported it
    code = """
import importlib, pkgutil, sys
import tlcourse as tl
missing = []
for info in pkgutil.walk_packages(tl.__path__, prefix="tlcourse."):
    parts = info.name.split(".")[1:]
    if any(p.startswith("_") for p in parts):
        continue
    if len(parts) == 1:
        tl.__dict__.pop(parts[0], None)
        try:
            ok = getattr(tl, parts[0]) is sys.modules[info.name]
        except AttributeError:
            ok = False
    else:
        module = importlib.import_module(info.name)
        parent = importlib.import_module(info.name.rpartition(".")[0])
        ok = getattr(parent, parts[-1], None) is module
    if not ok:
        missing.append(info.name)
print(missing)
"""
    assert _run(code) == "[]", "these modules are not reachable as tl.<name>"


def _normalised(requirement: str) -> str:
    import re

    from packaging.requirements import Requirement

    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def third_party_imports() -> dict[str, set[str]]:
    """{distribution name: modules of tlcourse importing it} over every import in the package."""
    import ast
    import importlib.metadata
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "tlcourse"
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names}:
                if top in sys.stdlib_module_names or top == "tlcourse":
                    continue
                assert top in distributions, f"{path.name} imports {top}, which is not installed"
                for dist in distributions[top]:
                    found.setdefault(_normalised(dist), set()).add(path.name)
    return found


def test_the_package_declares_exactly_what_it_imports():
    import tomllib
    from pathlib import Path

    project = tomllib.loads(
        (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    declared = {_normalised(d) for d in project["dependencies"]}
    declared |= {_normalised(d) for extra in project.get("optional-dependencies", {}).values()
                 for d in extra}
    imported = third_party_imports()
    undeclared = {d: sorted(m) for d, m in imported.items() if d not in declared}
    assert not undeclared, f"add to pyproject.toml's dependencies: {undeclared}"
    unused = declared - set(imported)
    assert not unused, f"pyproject.toml declares dependencies the package never imports: {unused}"
