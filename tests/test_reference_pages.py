"""The reference pages of the book stay complete as the package and the chapters grow."""

import importlib
import pkgutil
import re
from pathlib import Path

import tlcourse

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "book" / "api.md"


def public_modules() -> set[str]:
    """Every module of tlcourse whose dotted name has no part starting with an underscore."""
    names = {"tlcourse"}
    for info in pkgutil.walk_packages(tlcourse.__path__, prefix="tlcourse."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.add(info.name)
    return names


def documented_modules() -> list[str]:
    return re.findall(r"^\.\. automodule:: ([\w.]+)\s*$", API.read_text(encoding="utf-8"), re.M)


def test_public_modules_are_found():
    found = public_modules()
    assert {"tlcourse", "tlcourse.data", "tlcourse.readout"} <= found


def test_every_public_module_is_on_the_api_page():
    missing = public_modules() - set(documented_modules())
    assert not missing, f"add to book/api.md (an automodule block each): {sorted(missing)}"


def test_api_page_documents_each_module_once_and_only_real_ones():
    documented = documented_modules()
    twice = {m for m in documented if documented.count(m) > 1}
    assert not twice, f"book/api.md documents these modules twice: {sorted(twice)}"
    unknown = set(documented) - public_modules()
    assert not unknown, f"book/api.md names modules tlcourse does not have: {sorted(unknown)}"


SYLLABUS = ROOT / "book" / "syllabus.md"


def chapter_exercise_labels() -> dict[str, str]:
    """{exercise label: chapter} over the chapters in the table of contents."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    labels = {}
    for name in re.findall(r"file:\s*book/(\w+)", toc) + re.findall(r"root:\s*book/(\w+)", toc):
        text = (ROOT / "book" / f"{name}.md").read_text(encoding="utf-8")
        for label in re.findall(r"```\{exercise(?:-start)?\}[^\n]*\n:label: ([\w-]+)", text):
            labels[label] = name
    return labels


def test_syllabus_assigns_every_exercise_of_the_book():
    text = SYLLABUS.read_text(encoding="utf-8")
    assigned = set(re.findall(r"\{ref\}`(?:[^`<]*<)?(ex-[\w-]+)>?`", text))
    labels = chapter_exercise_labels()
    assert labels, "no exercise found in the chapters"
    missing = sorted(set(labels) - assigned)
    assert not missing, f"exercises not assigned in book/syllabus.md: {missing}"
    unknown = sorted(assigned - set(labels))
    assert not unknown, f"book/syllabus.md assigns exercises no chapter has: {unknown}"


def test_syllabus_names_existing_checkers():
    text = SYLLABUS.read_text(encoding="utf-8")
    named = re.findall(r"`(\w+)\.(check_\w+)`", text)
    assert named, "the syllabus names no checker"
    for module, func in named:
        mod = importlib.import_module(f"tlcourse.exercises.{module}")
        assert callable(getattr(mod, func, None)), f"tlcourse.exercises.{module}.{func} missing"


# the pages of the toc's Course and Reference parts: they teach nothing, so need not cite
REFERENCE_PAGES = {"syllabus", "notation", "api", "bibliography", "execution"}


def test_every_chapter_cites_its_sources():
    """Each chapter (a notebook page of the toc) cites, and only keys references.bib has."""
    bib = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text("utf-8"), re.M))
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"(?:file|root):\s*book/(\w+)", toc)
    chapters = 0
    for name in names:
        text = (ROOT / "book" / f"{name}.md").read_text(encoding="utf-8")
        if name in REFERENCE_PAGES:
            continue
        chapters += 1
        keys = {k.strip() for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", text)
                for k in group.split(",")}
        assert keys, f"book/{name}.md cites nothing"
        assert keys <= bib, f"book/{name}.md cites keys missing from references.bib: {keys - bib}"
    assert chapters >= 2, "no chapter found in the table of contents"
