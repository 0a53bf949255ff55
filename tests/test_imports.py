"""What importing the package does and does not do: no PyTorch where it is not needed, no
global matplotlib state changed on import."""

import subprocess
import sys


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


LIGHT = ["tlcourse", "tlcourse.theory", "tlcourse.stats", "tlcourse.plotting", "tlcourse.specs",
         "tlcourse.phenomena", "tlcourse.realdata", "tlcourse.featuremap"]


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
