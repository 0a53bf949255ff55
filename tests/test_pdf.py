"""The PDF edition (``make pdf``, tools/pdf.py), printed from the fast book that ``make test``'s
second stage built (``TLCOURSE_BOOK_BUILT=1``, as tests/test_html.py; skipped otherwise, failed in
CI): every page's title in the PDF's text, in reading order, on the PDF page its own bookmark
leads to; the figures embedded as images; a sane number of pages; no display equation wider than
the printed column (cut at the page's edge).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_html import PAGES, chromium_path, html_dir  # noqa: F401 (html_dir: a fixture)

ROOT = Path(__file__).resolve().parents[1]
# at 80%, the chapters print on 7 to 25 A4 pages each, the API reference on about 80
PAGES_PER_PAGE = (1, 120)
PAGES_IN_ALL = (5, 25)  # per page of the book, on average


class _Title(HTMLParser):
    """The text of a page's first <h1>."""

    def __init__(self):
        super().__init__()
        self.depth, self.parts, self.done = 0, [], False

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and not self.done:
            self.depth = 1
        elif self.depth and tag in ("a",) and ("class", "headerlink") in attrs:
            self.depth += 1  # the pilcrow link, not part of the title

    def handle_endtag(self, tag):
        if tag == "h1" and self.depth:
            self.depth, self.done = 0, True
        elif tag == "a" and self.depth > 1:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth == 1:
            self.parts.append(data)


def title_of(page: Path) -> str:
    parser = _Title()
    parser.feed(page.read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def printed(html_dir, tmp_path_factory):  # noqa: F811 (the fixture imported above)
    """(the PDF read by pypdf, tools/pdf.py's report) of the fast book."""
    chromium_path()
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "pdf.py"), str(html_dir),
                          str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return PdfReader(out), json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))


def test_every_page_title_is_in_the_pdf_in_reading_order(printed, html_dir):  # noqa: F811
    reader, report = printed
    assert [p["page"] for p in report["pages"]] == [f"{page}.html" for page in PAGES]
    outline = [reader.get_destination_page_number(item) + 1 for item in reader.outline]
    for entry, start in zip(report["pages"], outline, strict=True):
        title = title_of(html_dir / entry["page"])
        assert title and entry["title"] == title, (entry["title"], title)
        first, last = entry["pdf_pages"]
        assert start == first, f"{title}: bookmark on page {start}, not {first}"
        # on the page its bookmark leads to (the first of the book page's PDF pages)
        text = squash(reader.pages[first - 1].extract_text())
        assert squash(title) in text, f"{title!r} is not on the PDF's page {first}"


def image_xobjects(resources) -> int:
    """How many images a PDF page's (or form's) resources hold, those of its forms included.

    Inline images (in the content stream itself) are not counted: Chromium writes none, and
    finding them (pypdf's ``page.images``) parses every content stream, a second per 20 pages."""
    found = 0
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in (xobjects.get_object().values() if xobjects is not None else ()):
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            found += 1
        elif xobject.get("/Subtype") == "/Form":
            found += image_xobjects(xobject.get("/Resources"))
    return found


def test_figures_are_embedded(printed):
    reader, report = printed
    shown = 0
    for entry in report["pages"]:
        first, last = entry["pdf_pages"]
        embedded = sum(image_xobjects(reader.pages[k].get("/Resources"))
                       for k in range(first - 1, last))
        assert embedded >= entry["images"], (
            f"{entry['page']}: {entry['images']} figures in the page, {embedded} images in the PDF")
        shown += entry["images"]
    assert shown >= len(report["pages"]), "hardly any figure printed: is the book executed?"


def test_page_count_is_sane(printed):
    reader, report = printed
    assert len(reader.pages) == report["total_pages"]
    low, high = PAGES_IN_ALL
    assert low * len(PAGES) <= len(reader.pages) <= high * len(PAGES), len(reader.pages)
    for entry in report["pages"]:
        first, last = entry["pdf_pages"]
        assert PAGES_PER_PAGE[0] <= last - first + 1 <= PAGES_PER_PAGE[1], (entry["page"],
                                                                             first, last)


def test_no_equation_is_cut_at_the_page_edge(printed):
    """tools/pdf.py prints a display equation wider than the column up to a quarter smaller;
    none may need more (the chapters keep their equations narrow enough for the screen)."""
    _, report = printed
    assert sum(entry["equations"] for entry in report["pages"]) > 20, "no display equation seen"
    cut = {entry["page"]: entry["cut"] for entry in report["pages"] if entry["cut"]}
    assert not cut, f"display equations wider than the printed column: {cut}"
