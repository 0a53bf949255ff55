"""The book as one PDF, offline: every page of ``_toc.yml``, printed by Chromium from the built
HTML (the theme's print styles, the book's own MathJax), in reading order, merged with pypdf.

``make pdf`` runs ``python tools/pdf.py HTML_DIR OUT.pdf`` on the built book. Each page is served
on loopback, opened in headless Chromium (Debian's ``chromium``, driven by Playwright, every other
host unresolvable), typeset, and printed on A4 paper at 80% (the screen type is large); the pages
are merged into one file with a bookmark per page. Before printing, each display equation is
measured in the print layout, at the printed column's width: one wider than the column is
printed smaller to fit, down to :data:`MIN_ZOOM` of its size; one that would need more would be
cut at the page's edge, so the script says which and exits non-zero. ``OUT.json`` beside the
PDF records, per page, its title, its PDF pages, its images and its display equations (those
printed smaller, those cut); tests/test_pdf.py reads it.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import toc  # tools/toc.py
from playwright.sync_api import sync_playwright
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
MARGIN_MM = 15
SCALE = 0.8  # the HTML's type is sized for screens: 0.8 prints about a book's amount per page
# the printed column in CSS pixels (96 per inch) at that scale: A4's 210 mm less the margins
COLUMN_PX = round((210 - 2 * MARGIN_MM) / 25.4 * 96 / SCALE)
TIMEOUT_MS = 60_000

MIN_ZOOM = 0.75  # a display equation may be printed this much smaller to fit its column

# In the print layout: wait for MathJax, then fit each display equation into its column. One
# wider than the column is printed smaller (CSS zoom) if that keeps three quarters of its size
# ("shrunk"), and is otherwise left as it is and reported ("cut": the page's edge would cut it).
MEASURE_JS = r"""
async (minZoom) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const overflow = (m) => {
    const column = m.getBoundingClientRect();
    const inner = m.firstElementChild ? m.firstElementChild.getBoundingClientRect() : column;
    return Math.max(inner.right, column.right) - Math.min(inner.left, column.left)
      - column.width;
  };
  const shrunk = [], cut = [];
  const shown = [...document.querySelectorAll('mjx-container[display="true"]')]
    .filter((m) => m.offsetParent !== null);
  for (const m of shown) {
    const excess = overflow(m);
    if (excess <= 1) continue;
    const width = m.getBoundingClientRect().width;
    const zoom = width / (width + excess);
    const text = m.textContent.slice(0, 80);
    if (zoom >= minZoom) {
      m.style.zoom = zoom.toFixed(3);
      (overflow(m) <= 1 ? shrunk : cut).push(text);
    } else {
      cut.push(text);
    }
  }
  const images = [...document.querySelectorAll("article img, main img")]
    .filter((i) => i.offsetParent !== null && /\.(png|jpe?g)$/i.test(i.src.split("?")[0]));
  const title = document.querySelector("article h1, main h1");
  return {equations: shown.length, shrunk: shrunk, cut: cut, images: images.length,
          title: title ? title.textContent.replace(/[#¶]/g, "").trim() : document.title};
}
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        pass


@contextmanager
def served(html: Path):
    """``html`` served on a free loopback port; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def book_pages(html: Path) -> list[str]:
    """The HTML pages of the book in reading order (``book/hmm.html``, ...)."""
    names = [f"{path.relative_to(ROOT).with_suffix('')}.html" for path in toc.sources(ROOT)]
    missing = [name for name in names if not (html / name).is_file()]
    if missing:
        raise SystemExit(f"{html} lacks {missing}: build the book first (make book)")
    return names


def print_book(html: Path, out: Path) -> dict:
    """Print every page of the book in ``html`` into the PDF ``out``; return the report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"pages": []}
    writer = PdfWriter()
    with (served(html) as base, sync_playwright() as playwright,
          tempfile.TemporaryDirectory() as temporary):
        parts = Path(temporary)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": COLUMN_PX, "height": 1200})
        tab.emulate_media(media="print")
        for name in book_pages(html):
            tab.goto(base + name, wait_until="load", timeout=TIMEOUT_MS)
            seen = tab.evaluate(MEASURE_JS, MIN_ZOOM)
            part = parts / (name.replace("/", "__").removesuffix(".html") + ".pdf")
            tab.pdf(path=str(part), format="A4", print_background=True, scale=SCALE,
                    margin={side: f"{MARGIN_MM}mm" for side in ("top", "bottom", "left", "right")})
            first = len(writer.pages)
            for page in PdfReader(part).pages:
                writer.add_page(page)
            writer.add_outline_item(title=seen["title"], page_number=first)
            report["pages"].append({"page": name, **seen,
                                    "pdf_pages": [first + 1, len(writer.pages)]})
            print(f"{name}: {len(writer.pages) - first} pages, {seen['images']} images, "
                  f"{seen['equations']} display equations ({len(seen['shrunk'])} printed "
                  f"smaller to fit, {len(seen['cut'])} cut)", flush=True)
        browser.close()
    with open(out, "wb") as stream:
        writer.write(stream)
    report["total_pages"] = len(writer.pages)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the built book into one PDF.")
    parser.add_argument("html", type=Path, help="the built HTML book (_build/html)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    report = print_book(args.html.resolve(), args.out)
    cut = [(p["page"], eq) for p in report["pages"] for eq in p["cut"]]
    print(f"{args.out}: {report['total_pages']} pages")
    if cut:
        print(f"{len(cut)} display equation(s) wider than the printed column, cut at the "
              f"page's edge: {cut[:5]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
