"""The student edition (``make student``) contains no solution text.

Two builds keep this cheap and still complete:

- a tiny book made here, executed, built as both editions: the solution's prose, code and output
  are in the instructor's HTML (so the checks can see them) and nowhere in the student's;
- the real book's student edition: the one ``make test`` built with ``make student`` in its second
  stage (``TLCOURSE_BOOK_BUILT=1``: with the chapters' outputs, as students get it), or else one
  built here without executing the chapters (execution does not change which cells a page shows;
  outputs are covered by the tiny book): no line of solution code and no sentence of solution
  prose of any chapter appears in the HTML, while the code outside solutions does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import toc  # tools/toc.py (conftest.py puts tools/ on the path)
import yaml
from tiny_chapter import MYST_HEADER

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
BOOK_OUT = Path(os.environ.get("TLCOURSE_BOOK_OUT", ROOT / "_build" / "fast")).resolve()

_spec = importlib.util.spec_from_file_location(
    "student_edition", ROOT / "book" / "_ext" / "student_edition.py"
)
student_edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student_edition)


# --- reading what a page shows -------------------------------------------------------------------
class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def squash(text: str) -> str:
    return " ".join(text.split())


def html_text(path: Path) -> str:
    """The visible text of an HTML page (tags, scripts and styles dropped), whitespace squashed."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return squash("".join(parser.parts))


def text_files(html_dir: Path) -> list[Path]:
    suffixes = {".html", ".js", ".txt", ".md", ".ipynb", ".json", ".py"}
    return [p for p in html_dir.rglob("*") if p.is_file() and p.suffix in suffixes]


# --- reading a chapter's source ------------------------------------------------------------------
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\{[\w-]+\})?")


def cell_body(lines: list[str]) -> tuple[list[str], list[str]]:
    """(tags, code lines) of a code cell's content: its options (YAML block or :key:) removed."""
    if lines and lines[0].strip() == "---":
        close = lines.index("---", 1) if "---" in lines[1:] else len(lines)
        options = yaml.safe_load("\n".join(lines[1:close])) or {}
        body = lines[close + 1 :]
    else:
        n = 0
        while n < len(lines) and lines[n].startswith(":"):
            n += 1
        options = yaml.safe_load("\n".join(ln[1:].replace(":", ": ", 1) for ln in lines[:n])) or {}
        body = lines[n:]
    tags = options.get("tags", [])
    return ([tags] if isinstance(tags, str) else list(tags)), body


def split_chapter(text: str) -> dict[str, list[str]]:
    """Lines of a MyST chapter by role: code and prose inside solutions, code shown outside them.

    Code cells tagged remove-input/remove-cell are left out of "shown code" (the page hides them).
    """
    out = {"solution_code": [], "solution_prose": [], "shown_code": [], "other": []}
    in_solution, cell, fence = False, None, ""
    for line in text.splitlines():
        m = FENCE.match(line.strip())
        if cell is not None:
            if line.strip() != fence:
                cell.append(line)
                continue
            tags, body = cell_body(cell)
            hidden = {"remove-input", "remove-cell"} & set(tags)
            key = "solution_code" if in_solution else ("other" if hidden else "shown_code")
            out[key] += body
            cell = None
        elif m and m.group(2) == "{code-cell}":
            cell, fence = [], m.group(1)
        elif m and m.group(2) == "{solution-start}":
            in_solution = True
        elif m and m.group(2) == "{solution-end}":
            in_solution = False
        else:
            out["solution_prose" if in_solution else "other"].append(line)
    return out


def code_lines(lines: list[str]) -> set[str]:
    """Lines of code worth looking for: long enough to be specific, not comments."""
    keep = set()
    for line in lines:
        s = squash(line)
        if len(s) >= 12 and not s.startswith("#"):
            keep.add(s)
    return keep


def prose_fragments(lines: list[str]) -> set[str]:
    """Plain-text pieces of prose (no markup, maths, quotes or dashes), as the page renders them."""
    keep = set()
    for line in lines:
        if line.lstrip().startswith((":", "```", "#", "|")):
            continue
        for piece in re.split(r"[$`{}\[\]*_'\"<>|\\]|--", line):
            piece = squash(piece)
            if len(piece) >= 25 and re.fullmatch(r"[A-Za-z0-9 ,.;:()+=/-]+", piece):
                keep.add(piece)
    return keep


def toc_chapters() -> list[Path]:
    return [path for path in toc.sources(ROOT) if path.suffix == ".md"]


# --- building ------------------------------------------------------------------------------------
def build(source: Path, config: dict, out: Path, toc: dict | None = None) -> Path:
    """Build ``source`` with ``config`` into ``out``; return the HTML folder."""
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    cmd = [str(JUPYTER_BOOK), "build", str(source), "--config", str(config_path)]
    cmd += ["--path-output", str(out), "--keep-going", "--quiet"]
    if toc is not None:
        toc_path = out / "_toc.yml"
        toc_path.write_text(yaml.safe_dump(toc), encoding="utf-8")
        cmd += ["--toc", str(toc_path)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=source, timeout=600)
    log = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"build failed:\n{log}"
    return out / "_build" / "html"


def main_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


# --- the configuration ---------------------------------------------------------------------------
def test_student_config_changes_only_what_it_documents():
    main = main_config()
    student = student_edition.student_config(main, cache="/some/cache")
    assert main == main_config(), "student_config must not modify its argument"
    assert student["sphinx"]["config"]["student_edition"] is True
    assert student["sphinx"]["local_extensions"] == {"student_edition": str(ROOT / "book/_ext")}
    assert student["sphinx"]["config"]["html_copy_source"] is False
    assert student["html"] == main["html"], "download buttons stay: they offer the starter"
    assert student["execute"]["cache"] == "/some/cache"
    assert student["title"].endswith("(student edition)")
    kit = [f"{page}.md" for page in student_edition.INSTRUCTOR_ONLY]
    assert student["exclude_patterns"] == main["exclude_patterns"] + kit
    # everything else is the main configuration, key for key
    for key in ("title", "execute", "sphinx", "exclude_patterns"):
        student.pop(key), main.pop(key)
    assert student == main


def test_cli_writes_the_student_config(tmp_path):
    out = tmp_path / "student" / "_config.yml"
    student_edition.main([str(out), "--cache", str(tmp_path / "cache")])
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written == student_edition.student_config(main_config(), tmp_path / "cache")
    toc_written = yaml.safe_load((out.parent / "_toc.yml").read_text(encoding="utf-8"))
    assert toc_written == student_edition.student_toc(main_toc())


def main_toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def test_student_toc_leaves_out_the_instructor_kit_only():
    main, student = main_toc(), student_edition.student_toc(main_toc())
    assert main == main_toc(), "student_toc must not modify its argument"
    kept, every = toc.docnames(student), toc.docnames(main)
    assert set(student_edition.INSTRUCTOR_ONLY) <= set(every), "the kit is in the main book"
    assert kept == [d for d in every if d not in student_edition.INSTRUCTOR_ONLY]
    parts = [{"caption": "Course", "chapters": [{"file": "book/instructor_kit"}]},
             {"caption": "Other", "chapters": [{"file": "book/x"}]}]
    assert student_edition.student_toc({"root": "a", "parts": parts}) == {
        "root": "a", "parts": parts[1:]}, "a part left empty is dropped"


# --- a tiny executed book: prose, code and outputs of solutions ----------------------------------
TINY_CHAPTER = MYST_HEADER + """\
# Tiny

```{code-cell} ipython3
print("VISIBLE" + "-OUTPUT")


def check_gated(answer):
    return answer()
```

```{exercise} Add two numbers
:label: ex-tiny

EXERCISE-TEXT-MARKER: add one and one.
```

```{solution-start} ex-tiny
:class: dropdown
```

GATED-PROSE-MARKER explains the answer.

```{code-cell} ipython3
def gated_answer():
    '''Return one plus one.'''
    gated_code_marker = 1 + 1
    print("GATED" + "-OUTPUT-MARKER", gated_code_marker)
    return gated_code_marker


check_gated(gated_answer)
```

```{solution-end}
```

```{exercise} Another one
:label: ex-tiny-2

SECOND-EXERCISE-MARKER
```

```{solution} ex-tiny-2
:class: dropdown

PLAIN-SOLUTION-MARKER
```
"""
SOLUTION_MARKERS = [
    "GATED-PROSE-MARKER",
    "gated_code_marker = 1 + 1",
    "GATED-OUTPUT-MARKER 2",
    "PLAIN-SOLUTION-MARKER",
]
KEPT_MARKERS = ["EXERCISE-TEXT-MARKER", "SECOND-EXERCISE-MARKER", "VISIBLE-OUTPUT"]


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory):
    src = tmp_path_factory.mktemp("tiny")
    (src / "tiny.md").write_text(TINY_CHAPTER, encoding="utf-8")
    (src / "_toc.yml").write_text("format: jb-book\nroot: tiny\n", encoding="utf-8")
    (src / "references.bib").write_text((ROOT / "references.bib").read_text(encoding="utf-8"))
    main = main_config()
    main["execute"]["cache"] = str(src / "cache")  # both editions execute the chapter once
    main["sphinx"]["local_extensions"] = {"student_edition": str(ROOT / "book" / "_ext")}
    instructor = build(src, main, src / "instructor")
    student = build(src, student_edition.student_config(main), src / "student")
    return instructor, student


def test_tiny_instructor_edition_shows_solutions(tiny_book):
    text = html_text(tiny_book[0] / "tiny.html")
    for marker in SOLUTION_MARKERS + KEPT_MARKERS:
        assert marker in text, f"{marker!r} missing from the instructor edition"


def test_tiny_student_edition_hides_solutions(tiny_book):
    html = tiny_book[1]
    text = html_text(html / "tiny.html")
    for marker in KEPT_MARKERS:
        assert marker in text, f"{marker!r} (not a solution) missing from the student edition"
    for path in text_files(html):
        raw = path.read_text(encoding="utf-8", errors="replace")
        seen = html_text(path) if path.suffix == ".html" else raw
        for marker in SOLUTION_MARKERS:
            assert marker not in seen and marker not in raw, f"{marker!r} in {path.name}"
    assert not (html / "_sources").exists(), "the chapters' sources (with solutions) are copied"


def test_tiny_student_edition_links_a_starter_notebook(tiny_book):
    instructor, student = tiny_book
    assert not (instructor / "_starters").exists(), "starters belong to the student edition"
    starter = student / "_starters" / "tiny.ipynb"
    assert starter.is_file(), "the student edition has no starter notebook for the chapter"
    assert 'href="_starters/tiny.ipynb"' in (student / "tiny.html").read_text(encoding="utf-8")
    nb = json.loads(starter.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    stub = [c for c in code if "def gated_answer():" in c]
    assert len(stub) == 1 and "Return one plus one." in stub[0] and "..." in stub[0]
    assert "check_gated(gated_answer)" in stub[0]
    assert any('print("VISIBLE" + "-OUTPUT")' in c for c in code)  # the rest of the chapter


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def page_links(path: Path) -> list[str]:
    """Every href and src of an HTML page."""
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


def launch_and_download_links(path: Path) -> dict[str, str]:
    """{button text: URL} of a page's launch and download buttons (the theme's header)."""
    html = path.read_text(encoding="utf-8")
    found = {}
    for match in re.finditer(r'<a href="([^"]+)"[^>]*class="btn[^"]*dropdown-item"[^>]*>(.*?)</a>',
                             html, re.S):
        found[squash(re.sub(r"<[^>]+>", " ", match.group(2)))] = match.group(1)
    return found


def test_tiny_student_edition_buttons_open_the_starter(tiny_book):
    instructor, student = tiny_book
    repo = urlsplit(main_config()["repository"]["url"]).path.strip("/")
    colab = f"{student_edition.COLAB}/github/{repo}/blob/{student_edition.PAGES_BRANCH}/"
    shown = launch_and_download_links(instructor / "tiny.html")
    assert shown["Binder"].endswith("urlpath=lab/tree/tiny.md"), shown  # the instructor's source
    assert shown["Colab"] == colab + "_notebooks/tiny.ipynb", shown
    assert (instructor / "_notebooks" / "tiny.ipynb").is_file(), "no notebook for Colab"
    buttons = launch_and_download_links(student / "tiny.html")
    binder = buttons.pop("Binder")
    assert binder.endswith(f"urlpath=lab/tree/{student_edition.repository_starter('tiny')}")
    assert buttons.pop("Colab") == colab + "student/_starters/tiny.ipynb"
    assert buttons.pop(".ipynb") == "_starters/tiny.ipynb"
    assert not buttons, f"other buttons than Binder, Colab and the starter's download: {buttons}"
    assert not (student / "_notebooks").exists(), "the chapters' notebooks hold the solutions"
    assert "_sources" not in (student / "tiny.html").read_text(encoding="utf-8")


# --- the real book: every chapter's solutions ----------------------------------------------------
@pytest.fixture(scope="module")
def real_student_html(tmp_path_factory):
    if os.environ.get("TLCOURSE_BOOK_BUILT") == "1":  # make test's stage 2 built it (make student)
        html = BOOK_OUT / "student" / "_build" / "html"
        assert html.is_dir(), f"TLCOURSE_BOOK_BUILT=1 but no student edition in {html}"
        return html
    config = student_edition.student_config(main_config())
    config["execute"]["execute_notebooks"] = "off"
    return build(ROOT, config, tmp_path_factory.mktemp("student-book"),
                 toc=student_edition.student_toc(main_toc()))


def test_real_student_edition_has_no_instructor_kit(real_student_html):
    for page in student_edition.INSTRUCTOR_ONLY:
        assert not (real_student_html / f"{page}.html").exists(), f"{page} is built"
        others = squash(" ".join(path.read_text(encoding="utf-8") for path in toc_chapters()
                                 if path.stem != Path(page).name))
        kit = {s for s in prose_fragments((ROOT / f"{page}.md").read_text(
            encoding="utf-8").splitlines()) if s not in others}  # not quoting a chapter
        everywhere = squash(" ".join(readable_text(p) for p in text_files(real_student_html)))
        found = [s for s in kit if s in everywhere]
        assert len(kit) > 20 and not found, f"{page}'s text in the student edition: {found[:3]}"


def stub_lines(chapters: list[Path]) -> set[str]:
    """Code lines that the starter stubs keep on purpose (imports, signatures, docstrings, checker
    calls): public in the student edition, so not solution text."""
    starters = student_edition._starters_module()
    keep = set()
    for chapter in chapters:
        for cell in starters.starter_notebook(chapter).cells:
            if "starter" in cell.metadata.get("tags", []):
                keep |= code_lines(cell.source.splitlines())
    return keep


def secrets_of(chapter: Path, public: set[str]) -> tuple[set[str], set[str]]:
    """(code lines, prose fragments) found only in the chapter's solutions, less ``public``."""
    parts = split_chapter(chapter.read_text(encoding="utf-8"))
    rest = squash("\n".join(parts["other"] + parts["shown_code"]))
    secret_code = {s for s in code_lines(parts["solution_code"]) if s not in rest} - public
    secret_prose = {s for s in prose_fragments(parts["solution_prose"]) if s not in rest}
    return secret_code, secret_prose


def test_real_student_edition_has_no_solution_text(real_student_html):
    public = stub_lines(toc_chapters())
    others = {  # every non-HTML text file of the site (search index, scripts, ...), read once
        path.name: squash(path.read_text(encoding="utf-8", errors="replace"))
        for path in text_files(real_student_html)
        if path.suffix != ".html"
    }
    checked = 0
    for chapter in toc_chapters():
        parts = split_chapter(chapter.read_text(encoding="utf-8"))
        secret_code, secret_prose = secrets_of(chapter, public)
        if not (secret_code or secret_prose):
            continue
        checked += 1
        page = real_student_html / chapter.relative_to(ROOT).with_suffix(".html")
        text = html_text(page)
        shown = code_lines(parts["shown_code"])
        missing = [s for s in shown if s not in text]
        assert not missing, f"{page.name}: code outside solutions not found, e.g. {missing[:2]}"
        leaked = [s for s in secret_code | secret_prose if s in text]
        assert not leaked, f"{page.name} shows solution text: {leaked[:3]}"
        for name, raw in others.items():
            leaked = [s for s in secret_code if s in raw]
            assert not leaked, f"{name} has solution code of {chapter.name}: {leaked[:2]}"
    assert checked > 0, "no chapter with solutions found: nothing was checked"


def readable_text(path: Path) -> str:
    """What a file holds for a reader: an HTML page's visible text, a notebook's cells, else the
    raw text; squashed."""
    if path.suffix == ".html":
        return html_text(path)
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        raw = "\n".join("".join(c["source"]) for c in json.loads(raw)["cells"])
    return squash(raw)


def link_target(link: str, page: Path, html: Path, repo: dict) -> Path | None:
    """The file a link of the student edition leads to: in the built HTML, in the repository
    (a GitHub file, or the file a Binder button opens; the starters binder/postBuild writes are
    the HTML's ``_starters``), or None for a link elsewhere (another site, an anchor)."""
    parts = urlsplit(link)
    github = repo["url"].rstrip("/")
    if not parts.scheme and not parts.netloc:
        if not parts.path:
            return None
        target = (page.parent / unquote(parts.path)).resolve()
        assert target.is_relative_to(html), f"{page.name}: {link} leaves the book"
        return target / "index.html" if target.is_dir() else target
    if parts.netloc == "mybinder.org" and "urlpath" in parse_qs(parts.query):
        assert parts.path.startswith(f"/v2/gh/{urlsplit(github).path.strip('/')}/"), link
        (urlpath,) = parse_qs(parts.query)["urlpath"]
        opened = urlpath.removeprefix("lab/tree/")
        starters_dir = student_edition.REPOSITORY_STARTERS + "/"
        if opened.startswith(starters_dir):
            chapter = next(p for p in toc_chapters() if p.stem == Path(opened).stem)
            return html / student_edition.STARTERS / chapter.relative_to(ROOT).with_suffix(
                ".ipynb")
        return ROOT / opened
    colab = f"{student_edition.COLAB}/github/{urlsplit(github).path.strip('/')}/blob/"
    pages = f"{colab}{student_edition.PAGES_BRANCH}/{student_edition.STUDENT_SITE}/"
    if link.startswith(colab):  # the published student edition is this HTML
        assert link.startswith(pages), f"{page.name}: Colab opens {link}, not the student site"
        return html / link.removeprefix(pages)
    if link.startswith(f"{github}/blob/{repo['branch']}/"):
        return ROOT / link.removeprefix(f"{github}/blob/{repo['branch']}/")
    return None


def test_real_student_edition_links_lead_to_no_solution(real_student_html):
    """Every href and src of every page (buttons included), followed to the file it opens.

    Solution text here is what only a solution says: a line that the package's own code or
    docstrings also hold (shown by the API page, installed for every student) is public."""
    public = stub_lines(toc_chapters())
    package = squash("\n".join(p.read_text(encoding="utf-8")
                               for p in (ROOT / "tlcourse").rglob("*.py")))
    secrets = set()
    for chapter in toc_chapters():
        secrets |= {s for s in set().union(*secrets_of(chapter, public)) if s not in package}
    repo = main_config()["repository"]
    html = real_student_html.resolve()
    targets: dict[Path, str] = {}
    for page in html.rglob("*.html"):
        for link in page_links(page):
            target = link_target(link, page, html, repo)
            if target is not None:
                targets.setdefault(target, f"{page.relative_to(html)}: {link}")
    opened = {t for t in targets if t.suffix in {".html", ".ipynb", ".md", ".txt", ".py"}}
    assert any(t.suffix == ".ipynb" for t in opened), "no link leads to a starter notebook"
    for target in sorted(opened):
        assert target.is_file(), f"dead link: {targets[target]}"
        text = readable_text(target)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{targets[target]} leads to solution text: {leaked[:2]}"


def test_link_target_follows_a_binder_button_to_what_it_opens(tmp_path):
    """The old student edition's Binder button opened the chapter's source, solutions and all:
    the link test follows such a link to that file, and finds solution text there."""
    repo = main_config()["repository"]
    binder = "https://mybinder.org/v2/gh/" + urlsplit(repo["url"]).path.strip("/")
    page = tmp_path / "book" / "hmm.html"
    old = link_target(f"{binder}/{repo['branch']}?urlpath=lab/tree/book/hmm.md", page,
                      tmp_path, repo)
    assert old == ROOT / "book" / "hmm.md"
    secret_code, _ = secrets_of(old, stub_lines(toc_chapters()))
    assert any(s in readable_text(old) for s in secret_code)
    new = link_target(f"{binder}/{repo['branch']}?urlpath=lab/tree/starters/hmm.ipynb", page,
                      tmp_path, repo)
    assert new == tmp_path / "_starters" / "book" / "hmm.ipynb"
