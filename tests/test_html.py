"""The built HTML book as a reader sees it, offline: every page listed in ``_toc.yml``.

The book is built beforehand, once, by ``make test``'s second stage (``make book`` with
``TLCOURSE_SIZE=fast``) into ``_build/fast`` (``TLCOURSE_BOOK_OUT`` picks another folder); these
tests read it when ``TLCOURSE_BOOK_BUILT=1`` and skip otherwise (fail in CI). Then:

- every page opens in headless Chromium (Debian's ``chromium``, driven by Playwright), served on
  loopback, with the network off for the browser (every other host unresolvable, every other
  address sent to a closed proxy) and any request leaving loopback a failure: no JavaScript
  error or failed request; maths typeset by the book's own MathJax (no raw ``$$``, ``\\(``,
  ``\\[``, ``\\begin`` left, no MathJax error); every image loaded; the widget state the build
  embedded rendered (an explorer shows its figure), and no ipywidgets slider (it would move
  nothing without a kernel); exercises and dropdown solutions present (as many as the
  chapter's source declares), each solution opening on a click. A full-page screenshot of
  each page (JPEG, at most 20000 px tall) lands in ``<book out>/screenshots/`` for a person to
  look at. Each page is opened once (one browser per xdist worker) for these checks and for
  the clipping checks below (``visit``);
- every internal link, cross-reference and asset of the built HTML resolves (no 404 in the book);
- every chapter offers its executed notebook (.ipynb) for download and a Binder launch button;
- nothing is clipped: every display equation, printed output and code block fits its box at
  1280 px, and at 390 px scrolls inside its own box rather than being cut off
  (test_nothing_clipped says how);
- the static explorers move without a kernel (test_static_explorers_move); figures stay
  readable in the theme's dark mode.

Without ``chromium`` the browser tests skip locally and fail in CI (``CI=true``; ``.ci/run``
installs it).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jupytext
import pytest
import toc  # tools/toc.py (conftest.py puts tools/ on the path)
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BOOK_OUT = Path(os.environ.get("TLCOURSE_BOOK_OUT", ROOT / "_build" / "fast")).resolve()
HTML = BOOK_OUT / "_build" / "html"
SHOTS = BOOK_OUT / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    # network off: no name resolves but loopback's ...
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VIEW_SCRIPTS = f'script[type="{WIDGET_VIEW}"]'  # where the build put each widget it displayed
TIMEOUT_MS = 20_000  # per wait inside a page; a page normally settles within a few seconds


# --- the pages of the book ------------------------------------------------------------------------
def source_of(docname: str) -> Path:
    for suffix in (".md", ".ipynb"):
        if (ROOT / f"{docname}{suffix}").exists():
            return ROOT / f"{docname}{suffix}"
    raise FileNotFoundError(f"{docname} is in _toc.yml but has no .md or .ipynb source")


def code_of(docname: str) -> str:
    """The code cells of a page's source (a MyST notebook or an .ipynb), joined; "" for none."""
    source = source_of(docname)
    text = source.read_text(encoding="utf-8")
    if source.suffix != ".ipynb" and "kernelspec:" not in text[:2000]:
        return ""  # plain markdown
    cells = jupytext.reads(text, fmt=source.suffix.lstrip(".")).cells
    return "\n".join(c.source for c in cells if c.cell_type == "code")


def runs_code(docname: str) -> bool:
    """A page that executes code: a notebook with at least one code cell."""
    return bool(code_of(docname).strip())


def declared_exercises(docname: str) -> tuple[int, int]:
    """(exercises, solutions) the source declares, gated (-start) forms included."""
    text = source_of(docname).read_text(encoding="utf-8")

    def count(name: str) -> int:
        return len(re.findall(rf"^\s*(?:`{{3,}}|:{{3,}})\s*\{{{name}(?:-start)?\}}", text, re.M))

    return count("exercise"), count("solution")


PAGES = [str(path.relative_to(ROOT).with_suffix("")) for path in toc.sources(ROOT)]
CHAPTERS = [page for page in PAGES if runs_code(page)]


# --- the built book -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def html_dir() -> Path:
    """The fast book, built beforehand by ``make test``'s second stage; its HTML folder.

    These tests never build the book themselves, so that no book build runs beside other tests'
    kernels: ``make test`` builds it (``make book TLCOURSE_SIZE=fast``) once nbval is done, then
    runs them with ``TLCOURSE_BOOK_BUILT=1``. Without that variable they skip (fail in CI).
    """
    if os.environ.get("TLCOURSE_BOOK_BUILT") != "1":
        message = ("the built book is tested by `make test` (stage 3); to run these tests alone, "
                   "build it first (`make book TLCOURSE_SIZE=fast`) and set TLCOURSE_BOOK_BUILT=1")
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    assert HTML.is_dir(), f"TLCOURSE_BOOK_BUILT=1 but no book in {HTML}"
    return HTML


# --- the browser ----------------------------------------------------------------------------------
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    return path


def closed_port() -> int:
    """A loopback port nothing listens on (bound by the system, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser_context():
    """One headless Chromium for the session, offline, with one context (its cache shared)."""
    executable = chromium_path()
    # ... and every address but loopback's goes through a proxy that is not there
    offline = [
        f"--proxy-server=127.0.0.1:{closed_port()}",
        "--proxy-bypass-list=127.0.0.1;localhost",
    ]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS + offline
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        yield context
        context.close()
        chromium.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        pass


@pytest.fixture(scope="session")
def server(html_dir: Path):
    """The built HTML served on a free loopback port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOOPBACK


# Everything a reader should see, measured in the page once it has settled.
INSPECT_JS = r"""
() => {
  const SKIP = "pre, code, script, style, textarea, mjx-container, .highlight";
  const TEX = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*[\\^_{}][^$\n]*\$/;
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(SKIP) && TEX.test(node.textContent)) {
      raw.push(node.textContent.trim().slice(0, 120));
    }
  }
  const maths = [...document.querySelectorAll(".math")];
  const short = (s) => (s.startsWith("data:") ? s.slice(0, 40) + "..." : s);
  const widgets = [...document.querySelectorAll(".widget-subarea")];
  return {
    raw_tex: raw,
    maths: maths.length,
    untypeset: maths.filter((m) => !m.querySelector("mjx-container"))
                    .map((m) => m.textContent.trim().slice(0, 80)),
    math_errors: [...document.querySelectorAll("mjx-merror")]
                   .map((e) => e.getAttribute("data-mjx-error") || e.textContent.slice(0, 80)),
    images: document.images.length,
    broken_images: [...document.images].filter((i) => !i.complete || i.naturalWidth === 0)
                     .map((i) => short(i.currentSrc || i.src)),
    figures: document.querySelectorAll("figure").length,
    widget_views: document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length,
    static_explorers: document.querySelectorAll(".tlcourse-explorer").length,
    widgets_rendered: widgets.filter((w) => w.querySelector(".jupyter-widgets")).length,
    // rendered yet flat; widgets that the page folds away (a closed solution) do not count
    widgets_invisible: widgets.filter((w) => w.checkVisibility()
                                             && w.getBoundingClientRect().height < 5).length,
    empty_widget_outputs: [...document.querySelectorAll(".widget-subarea .widget-output")]
                            .filter((o) => !o.querySelector(".jp-OutputArea-output")).length,
    exercise_ids: [...document.querySelectorAll("div.exercise")].map((e) => e.id),
    solutions: [...document.querySelectorAll("div.solution")].map((s) => ({
      id: s.id,
      of: [...s.querySelectorAll(".admonition-title a[href^='#']")]
            .map((a) => a.getAttribute("href").slice(1)),
      dropdown: s.classList.contains("dropdown"),
      hidden: s.classList.contains("toggle-hidden"),
      button: !!s.querySelector("button.toggle-button"),
    })),
  };
}
"""


def settle(page, timeout: int = TIMEOUT_MS) -> list[str]:
    """Wait until the widget manager, MathJax and every image are done; return what never was."""
    waits = {
        "widgets rendered": (
            "n => document.querySelectorAll('.widget-subarea .jupyter-widgets').length >= n",
            page.evaluate(f"() => document.querySelectorAll('{VIEW_SCRIPTS}').length"),
        ),
        "MathJax started": (
            "() => !document.querySelector('.math') || (window.MathJax && MathJax.startup"
            " && MathJax.startup.promise)",
            None,
        ),
    }
    unfinished = []
    for what, (condition, arg) in waits.items():
        try:
            page.wait_for_function(condition, arg=arg, timeout=timeout)
        except PlaywrightTimeout:
            unfinished.append(what)
    if "MathJax started" not in unfinished and page.evaluate("() => !!window.MathJax?.startup"):
        # typesetting queued by widgets chains onto this promise: wait until it stops growing
        page.evaluate(
            """async () => {
                 let p;
                 do { p = MathJax.startup.promise; await p; } while (p !== MathJax.startup.promise);
               }"""
        )
    try:
        page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=timeout)
    except PlaywrightTimeout:
        unfinished.append("images loaded")
    return unfinished


def screenshot_path(docname: str) -> Path:
    return SHOTS / f"{docname.replace('/', '__')}.jpg"


def take_screenshot(page, path: Path, max_height: int = 20_000) -> None:
    """The whole page as a JPEG (its top ``max_height`` pixels: the API page is far longer)."""
    height = min(page.evaluate("() => document.documentElement.scrollHeight"), max_height)
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
    page.screenshot(path=path, full_page=True, clip=clip, type="jpeg", quality=80)


def _watched_page(browser_context):
    """A new page whose requests leaving loopback, failed requests and JavaScript errors are
    recorded."""
    outside: list[str] = []
    errors: list[str] = []
    page = browser_context.new_page()
    page.on("request", lambda r: is_local(r.url) or outside.append(r.url))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"console: {msg.text}"))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
    page.on(
        "requestfailed",
        lambda r: is_local(r.url) and errors.append(f"failed: {r.url} ({r.failure})"),
    )
    return page, outside, errors


def visit_page(docname: str, server: str, browser_context, html_dir: Path) -> dict:
    """What a reader's visit of the page shows: requests outside the book and JavaScript errors
    (``outside``, ``errors``), what never finished (``unfinished``), what the page holds once
    settled (``found``), how many solutions opened on a click (``opened``), the Predict boxes'
    look (``predict``, None without one); then, solutions and folded cells opened, the blocks
    clipped at each width (``clipped``, :data:`CLIPPED_JS`; the errors are those seen before
    the width changes). A screenshot is saved on the way."""
    page, outside, errors = _watched_page(browser_context)
    try:
        page.goto(server + f"{docname}.html", wait_until="load", timeout=TIMEOUT_MS)
        unfinished = settle(page)
        found = page.evaluate(INSPECT_JS)
        found["dead_sliders"] = page.evaluate(DEAD_SLIDERS_JS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        take_screenshot(page, screenshot_path(docname))
        opened = open_solutions(page)
        predict = (page.evaluate(PREDICT_STYLE_JS) if has_predict_box(html_dir, docname)
                   else None)
        errors = list(errors)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        clipped = []
        for width in (WIDE, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(300)  # the layout follows the new width
            clipped += [f"{width}px: {p}" for p in page.evaluate(CLIPPED_JS, width == WIDE)]
    finally:
        page.close()
    return {"outside": outside, "errors": errors, "unfinished": unfinished, "found": found,
            "opened": opened, "predict": predict, "clipped": clipped}


@pytest.fixture(scope="session")
def visit(server: str, browser_context, html_dir: Path):
    """``visit(docname)``: :func:`visit_page`'s record of the page, made once in this process.

    test_page_renders_offline and test_nothing_clipped read the same visit of a page; make
    test's third stage runs both on one xdist worker (conftest.py, :func:`work_unit`)."""
    return functools.cache(lambda docname: visit_page(docname, server, browser_context, html_dir))


@pytest.mark.parametrize("docname", PAGES)
def test_page_renders_offline(docname: str, visit) -> None:
    seen = visit(docname)
    outside, errors, unfinished = seen["outside"], seen["errors"], seen["unfinished"]
    found, opened, predict = seen["found"], seen["opened"], seen["predict"]

    # the network is off: nothing may have been asked of it (assets come from the book itself)
    assert not outside, f"requests outside the book: {outside}"
    # (Chromium's "Failed to load resource" repeats a failure listed above with its address)
    errors = [e for e in errors if "Failed to load resource" not in e]
    assert not errors, errors

    # maths: every formula typeset, none left as TeX, no MathJax error
    assert not found["untypeset"], f"formulas not typeset: {found['untypeset']}"
    assert not found["raw_tex"], f"raw TeX in the visible text: {found['raw_tex']}"
    assert not found["math_errors"], f"MathJax errors: {found['math_errors']}"

    assert not found["broken_images"], f"images that did not load: {found['broken_images']}"

    # Predict boxes: they look unlike a plain note (border, title background, icon), and every
    # one has a title starting with "Predict"
    if predict is not None:
        for key in ("border", "title_bg", "icon"):
            assert predict["predict"][key] != predict["note"][key], (
                f"Predict box {key} as a note's: {predict}")
        assert all(t.startswith("Predict") for t in predict["titles"]), predict["titles"]

    # widgets: a chapter with an explorer shows it, static (tlcourse.interactive) or as
    # embedded widget state; every embedded widget is rendered and visible; an explorer shows
    # its figure
    if has_explorer(docname):
        assert found["widget_views"] + found["static_explorers"] > 0, (
            "the chapter's explorer is missing from the page")
    rendered, views = found["widgets_rendered"], found["widget_views"]
    assert rendered == views, f"widgets rendered from the embedded state: {rendered} of {views}"
    assert not found["widgets_invisible"], f"{found['widgets_invisible']} widget(s) drawn flat"
    assert not found["empty_widget_outputs"], "an explorer's output area is empty"
    # no ipywidgets slider: without a kernel it would move nothing (the static explorers move:
    # test_static_explorers_move)
    assert not found["dead_sliders"], f"{found['dead_sliders']} ipywidgets slider(s) shown"

    # exercises: all those of the source, each with a working dropdown solution
    n_exercises, n_solutions = declared_exercises(docname)
    assert len(found["exercise_ids"]) == n_exercises, found["exercise_ids"]
    assert len(found["solutions"]) == n_solutions, found["solutions"]
    solved = {label for s in found["solutions"] for label in s["of"]}
    assert set(found["exercise_ids"]) <= solved, "exercises without a solution"
    for solution in found["solutions"]:
        assert solution["dropdown"] and solution["button"] and solution["hidden"], solution
    assert opened == len(found["solutions"]), "a solution did not open on click"
    assert not unfinished, f"never happened within {TIMEOUT_MS / 1000:.0f} s: {unfinished}"


def open_solutions(page) -> int:
    """Click every solution's toggle; return how many then show their content."""
    for button in page.locator("div.solution button.toggle-button").all():
        button.click()
    return page.evaluate(
        """() => [...document.querySelectorAll('div.solution')].filter(
             s => !s.classList.contains('toggle-hidden')
                  && [...s.children].some(c => !c.classList.contains('admonition-title')
                                               && c.getBoundingClientRect().height > 0)).length"""
    )


def has_explorer(docname: str) -> bool:
    """The chapter's code builds an ipywidgets explorer (tlcourse.widgets, ipywidgets, interact)."""
    code = code_of(docname)
    return re.search(r"tlcourse\.widgets|\bipywidgets\b|\binteract(?:ive)?\(", code) is not None


# --- links ----------------------------------------------------------------------------------------
class _Links(HTMLParser):
    """The ids and the local addresses (href/src) of one HTML page."""

    ATTRS = {"href", "src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in {"id", "name"} and (name == "id" or tag == "a"):
                self.ids.add(value)
            elif name in self.ATTRS:
                self.urls.append(value)


@functools.cache
def parse(path: Path) -> _Links:
    links = _Links()
    links.feed(path.read_text(encoding="utf-8", errors="replace"))
    return links


def broken_links(html_dir: Path, page: Path) -> list[str]:
    """Local addresses of ``page`` whose file, or anchor in it, does not exist."""
    broken = []
    for url in parse(page).urls:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith("#") and len(url) == 1:
            continue  # an address outside the book (not reachable offline) or a bare "#"
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or html_dir.resolve() not in target.parents:
            broken.append(f"{url} (no file)")
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in parse(target).ids:
                broken.append(f"{url} (no anchor)")
    return broken


def test_internal_links_resolve(html_dir: Path) -> None:
    pages = [
        p for p in sorted(html_dir.rglob("*.html"))
        if not {"_static", "_vendor", "_sources"} & set(p.relative_to(html_dir).parts)
    ]
    missing = [d for d in PAGES if html_dir / f"{d}.html" not in pages]
    assert not missing, f"pages of the toc not built: {missing}"
    broken = {
        str(p.relative_to(html_dir)): bad for p in pages if (bad := broken_links(html_dir, p))
    }
    assert not broken, json.dumps(broken, indent=1)


# --- download and launch buttons ------------------------------------------------------------------
def binder_url(docname: str) -> str:
    """The launch address sphinx-book-theme builds from _config.yml for a chapter."""
    repo = CONFIG.get("repository", {})
    binderhub = CONFIG.get("launch_buttons", {}).get("binderhub_url", "")
    assert repo.get("url") and binderhub, "_config.yml needs repository.url and binderhub_url"
    org_repo = urlsplit(repo["url"]).path.strip("/")
    interface = CONFIG["launch_buttons"].get("notebook_interface", "classic")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[interface]
    source = source_of(docname).relative_to(ROOT).as_posix()
    branch = repo.get("branch", "main")
    return f"{binderhub.rstrip('/')}/v2/gh/{org_repo}/{branch}?urlpath={ui}/{source}"


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_offers_notebook_and_binder(docname: str, html_dir: Path) -> None:
    page = html_dir / f"{docname}.html"
    urls = parse(page).urls
    notebooks = [u for u in urls if urlsplit(u).path.endswith(f"_sources/{docname}.ipynb")]
    assert notebooks, f"no .ipynb download on {page.name}"
    notebook = (page.parent / unquote(urlsplit(notebooks[0]).path)).resolve()
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert nb["nbformat"] == 4 and code, "the download is not a notebook with code"
    # (its outputs are not checked: myst-nb 1.4 writes it without them when the execution cache
    # serves the chapter, and Binder users run it anyway)
    assert binder_url(docname) in urls, f"no Binder button {binder_url(docname)} on {page.name}"
    assert source_of(docname).is_file()  # the file Binder opens exists in the repository



# --- interactivity (issue 14): Predict boxes, figures that move offline ---------------------------
PREDICT_STYLE_JS = r"""
() => {
  const main = document.querySelector("main") || document.body;
  const predict = document.querySelector("div.admonition.predict");
  const note = document.createElement("div");
  note.className = "admonition note";
  note.innerHTML = '<p class="admonition-title">Note</p><p>text</p>';
  main.appendChild(note);
  const look = (box) => {
    const title = box.querySelector(".admonition-title");
    const s = getComputedStyle(box), t = getComputedStyle(title);
    return {border: s.borderLeftColor, title_bg: t.backgroundColor,
            icon: getComputedStyle(title, "::after").content,
            icon_color: getComputedStyle(title, "::after").color};
  };
  const titles = [...document.querySelectorAll("div.admonition.predict > .admonition-title")]
                   .map((t) => t.textContent.trim());
  const seen = {predict: look(predict), note: look(note), titles};
  note.remove();
  return seen;
}
"""


PREDICT_BOX = re.compile(r'class="[^"]*\bpredict\b[^"]*admonition|admonition[^"]*\bpredict\b')


def has_predict_box(html_dir: Path, docname: str) -> bool:
    page = html_dir / f"{docname}.html"
    return page.is_file() and PREDICT_BOX.search(page.read_text(encoding="utf-8")) is not None


def test_chapters_have_predict_boxes(html_dir: Path) -> None:
    """Predict boxes are in the built chapters (test_page_renders_offline checks their look)."""
    with_boxes = [d for d in CHAPTERS if has_predict_box(html_dir, d)]
    assert len(with_boxes) >= len(CHAPTERS) // 2, f"Predict boxes only in {with_boxes}"


PLOTLY_TIMEOUT_MS = 60_000  # a page with plotly.js (4.8 MB) on a busy machine
FIGURES = ".plotly-graph-div:not(.tlx-plot)"  # (the static explorers: test_static_explorers_move)
PLOTLY_FIGURE = re.compile(r'class="(?![^"]*\btlx-plot\b)[^"]*\bplotly-graph-div\b')  # in HTML
PLOTLY_STATE_JS = r"""
(i) => {
  const gd = document.querySelectorAll(".plotly-graph-div:not(.tlx-plot)")[i];
  const trace = gd.data[0];
  const path = gd.querySelector(".scatterlayer path.js-line, .heatmaplayer image");
  return {data: JSON.stringify(trace.y || trace.z),
          drawn: path ? (path.getAttribute("d") || path.getAttribute("href") || "").slice(0, 400)
                      : "",
          slider: gd.querySelectorAll(".slider-container").length,
          active: gd.layout.sliders ? gd.layout.sliders[0].active : null};
}
"""


def test_plotly_figures_move_offline(server: str, browser_context, html_dir: Path) -> None:
    """Every Plotly figure of the book draws from the book's own plotly.js, and moving its
    slider (a click on the slider's rail) changes the plotted data: no kernel, no network, no
    JavaScript error."""
    built = [d for d in PAGES if (html_dir / f"{d}.html").is_file()]  # (all, in a full build)
    pages = [d for d in built
             if PLOTLY_FIGURE.search((html_dir / f"{d}.html").read_text(encoding="utf-8"))]
    for chapter in ("book/when_transfer_helps", "book/negative_transfer"):
        if chapter in built:
            assert chapter in pages, f"{chapter} has no Plotly figure"
    assert (html_dir / "_vendor" / "plotly" / "plotly.min.js").is_file()
    for docname in pages:
        page, outside, errors = _watched_page(browser_context)
        try:
            page.goto(server + f"{docname}.html", wait_until="load", timeout=PLOTLY_TIMEOUT_MS)
            page.wait_for_function(
                f"() => [...document.querySelectorAll('{FIGURES}')]"
                ".every(g => g.querySelector('.main-svg') && g.data)", timeout=PLOTLY_TIMEOUT_MS)
            n = page.evaluate(f"() => document.querySelectorAll('{FIGURES}').length")
            for i in range(n):
                before = page.evaluate(PLOTLY_STATE_JS, i)
                assert before["slider"] == 1, f"{docname}: figure {i} has no slider"
                rail = page.locator(FIGURES).nth(i).locator(
                    ".slider-rail-touch-rect").first
                rail.scroll_into_view_if_needed()
                box = rail.bounding_box()
                target = 0.95 if before["active"] in (0, None) else 0.02
                page.mouse.move(box["x"] + target * box["width"], box["y"] + box["height"] / 2)
                page.mouse.down()  # a press and a release, as a reader's click on the rail
                page.wait_for_timeout(100)
                page.mouse.up()
                page.wait_for_function(
                    f"(b) => {{ const a = ({PLOTLY_STATE_JS})({i});"
                    " return a.active !== b.active && a.drawn !== b.drawn; }",
                    arg=before, timeout=PLOTLY_TIMEOUT_MS)
                after = page.evaluate(PLOTLY_STATE_JS, i)
                # another step of the slider, and what is plotted changed (the trace drawn: a
                # line's path, a heat map's image)
                assert after["active"] != before["active"], (docname, i, before, after)
                assert after["drawn"] != before["drawn"], f"{docname}: figure {i} not redrawn"
        finally:
            page.close()
        assert not outside, f"{docname}: requests outside the book: {outside}"
        errors = [e for e in errors if "Failed to load resource" not in e]
        assert not errors, f"{docname}: {errors}"


# --- nothing clipped (issue 24 item 1) ------------------------------------------------------------
WIDE, PHONE = 1280, 390  # px: the book's reference width, a phone's
CLIPPED_JS = r"""
(wide) => {
  const SEL = {
    equation: 'mjx-container[display="true"]',
    output: "div.cell_output pre, div.cell_output div.output.text_html",
    code: "div.highlight pre",
    table: "article table:not(div.cell_output table)",  // outputs: measured above
  };
  const cut = (o) => o === "hidden" || o === "clip";
  const texOf = (el) => {
    try {
      const item = MathJax.startup.document.getMathItemsWithin(el)[0];
      return item ? item.math.replace(/\s+/g, " ").trim() : "";
    } catch (e) { return ""; }
  };
  const where = (el) => {
    const box = el.closest(".cell, div.math, .highlight, section");
    const cell = el.closest(".cell");
    const cells = [...document.querySelectorAll(".cell")];
    const label = el.closest("div.math")?.id || el.closest("[id]")?.id || box?.id || "";
    return (cell ? `cell ${cells.indexOf(cell) + 1}` : "") + (label ? ` #${label}` : "");
  };
  const found = [];
  for (const [kind, selector] of Object.entries(SEL)) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.checkVisibility()) continue;
      const over = el.scrollWidth - el.clientWidth;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      const beyond = rect.right - document.documentElement.clientWidth;
      let why = null;
      if (wide && over > 1) why = `${over}px wider than its ${el.clientWidth}px box`;
      else if (over > 1 && (cut(style.overflowX) || style.overflowX === "visible"))
        why = `${over}px cut off (overflow ${style.overflowX})`;
      else if (beyond > 1) why = `runs ${Math.round(beyond)}px past the page`;
      if (why) {
        const text = kind === "equation" ? texOf(el) : el.textContent;
        const lines = text.split("\n");
        const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
        found.push(`${kind} ${where(el)}: ${why}: ${longest.trim().slice(0, 90)}`);
      }
    }
  }
  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (page > 1) found.push(`the page itself scrolls sideways by ${page}px`);
  return found;
}
"""


@pytest.mark.parametrize("docname", PAGES)
def test_nothing_clipped(docname: str, visit) -> None:
    """Every display equation, printed output, code block and table of the page (solutions and
    folded cells opened) at two widths.

    At 1280 px (the book's reference width) each fits its box: nothing needs sideways
    scrolling, so every number the prose cites and every code line is seen at once. At 390 px
    (a phone) a box may be too narrow, but then it scrolls on its own (``overflow-x: auto``: a
    scroll bar shows that more is there) and never spills past the page or hides its end
    (``overflow: hidden``); printed text wraps (tools/theme/tlcourse.css); the page itself
    never scrolls sideways. A failure names the page, the width, the kind of block, its cell or
    equation label, and its longest line (for an equation, its TeX)."""
    problems = visit(docname)["clipped"]
    assert not problems, f"{docname}:\n" + "\n".join(problems)


# --- explorers that move in the static book (issue 24 item 2) -------------------------------------
EXPLORER_STATE_JS = r"""
(i) => {
  const hash = (text) => {  // what is drawn, in a few characters
    let h = 0;
    for (let k = 0; k < text.length; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0;
    return `${text.length}:${h}`;
  };
  const root = document.querySelectorAll(".tlcourse-explorer")[i];
  const gd = root.querySelector(".tlx-plot");
  const paths = [...gd.querySelectorAll(".scatterlayer .trace path.js-line, "
                                       + ".scatterlayer .trace .points path")];
  return {setting: root.dataset.setting || "",
          data: JSON.stringify((gd.data || []).map((t) => t.y)),
          drawn: hash(paths.map((p) => (p.getAttribute("d") || "")
                                       + (p.getAttribute("transform") || "")).join("|")),
          values: [...root.querySelectorAll("output.tlx-value")].map((o) => ({
            text: o.textContent, cut: o.scrollWidth > o.clientWidth + 1,
            visible: o.checkVisibility() && o.getBoundingClientRect().width > 0})),
          bytes: root.outerHTML.length};
}
"""
DEAD_SLIDERS_JS = r"""
() => [...document.querySelectorAll(
    ".widget-slider, .widget-hslider, .widget-vslider, .jupyter-widgets.widget-slider")]
  .filter((s) => s.checkVisibility()).length
"""
EXPLORER_BYTES = 2_000_000  # page weight an explorer may add
# a static explorer's element (every page loads tlcourse-explorer.js, not every page has one)
EXPLORER = re.compile(r'class="[^"]*\btlcourse-explorer[\s"]')


def test_static_explorers_move(server: str, browser_context, html_dir: Path) -> None:
    """Every static explorer of the book (tlcourse.interactive.OfflineExplorer) moves without a
    kernel: pressing a key on each of its sliders changes the setting shown and what is plotted
    (the data and the drawn paths); its slider values are shown whole at 1280 and 390 px; it
    weighs at most 2 MB. (test_page_renders_offline checks that no page shows an ipywidgets
    slider, which would move nothing without a kernel.)"""
    built = [d for d in PAGES if (html_dir / f"{d}.html").is_file()]
    pages = [d for d in built if EXPLORER.search((html_dir / f"{d}.html").read_text(
        encoding="utf-8"))]
    if "book/chmm" in built:
        assert "book/chmm" in pages, "chmm's explorer is not static"
    problems = []
    for docname in pages:
        page, outside, errors = _watched_page(browser_context)
        try:
            page.set_viewport_size({"width": WIDE, "height": 900})
            page.goto(server + f"{docname}.html", wait_until="load", timeout=PLOTLY_TIMEOUT_MS)
            settle(page)
            n = page.evaluate("() => document.querySelectorAll('.tlcourse-explorer').length")
            if n:
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.tlcourse-explorer .tlx-plot')]"
                    ".every(g => g.querySelector('.main-svg') && g.data)",
                    timeout=PLOTLY_TIMEOUT_MS)
            for i in range(n):
                root = page.locator(".tlcourse-explorer").nth(i)
                for k in range(root.locator("input[type=range]").count()):
                    before = page.evaluate(EXPLORER_STATE_JS, i)
                    assert before["bytes"] <= EXPLORER_BYTES, (docname, i, before["bytes"])
                    slider = root.locator("input[type=range]").nth(k)
                    slider.scroll_into_view_if_needed()
                    slider.focus()
                    at_end = slider.evaluate("s => s.value === s.max")
                    page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
                    try:
                        page.wait_for_function(
                            f"(b) => {{ const a = ({EXPLORER_STATE_JS})({i});"
                            " return a.setting !== b.setting && a.drawn !== b.drawn"
                            " && a.data !== b.data; }", arg=before, timeout=TIMEOUT_MS)
                    except PlaywrightTimeout:
                        problems.append(f"{docname}: explorer {i}, slider {k}: not redrawn")
                for width in (WIDE, PHONE):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.wait_for_timeout(200)
                    values = page.evaluate(EXPLORER_STATE_JS, i)["values"]
                    bad = [v["text"] for v in values if v["cut"] or not v["visible"]]
                    if bad or not all(v["text"] for v in values):
                        problems.append(f"{docname}: explorer {i} at {width}px: slider "
                                        f"values cut off or missing: {values}")
                page.set_viewport_size({"width": WIDE, "height": 900})
        finally:
            page.close()
        assert not outside, f"{docname}: requests outside the book: {outside}"
        errors = [e for e in errors if "Failed to load resource" not in e]
        assert not errors, f"{docname}: {errors}"
    assert not problems, "\n".join(problems)


# --- dark mode (issue 24 item 6) ------------------------------------------------------------------
DARK_JS = r"""
async () => {
  const lum = (rgb) => {
    const m = rgb.match(/[\d.]+/g).map(Number);
    if (m.length > 3 && m[3] === 0) return null;  // transparent
    const [r, g, b] = m.slice(0, 3).map((c) => c / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const backing = (el) => {  // the first opaque background behind el
    for (let e = el; e; e = e.parentElement) {
      const l = lum(getComputedStyle(e).backgroundColor);
      if (l !== null) return l;
    }
    return 1;
  };
  const out = {theme: document.documentElement.dataset.theme, pageBackground:
               backing(document.querySelector("main") || document.body), figures: 0, bad: []};
  for (const img of document.querySelectorAll(".cell_output img, figure img")) {
    if (!img.checkVisibility() || !img.naturalWidth) continue;
    out.figures += 1;
    const canvas = document.createElement("canvas");
    canvas.width = Math.min(img.naturalWidth, 400);
    canvas.height = Math.round(canvas.width * img.naturalHeight / img.naturalWidth);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let clear = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] < 250) clear += 1;
    const transparent = clear / (px.length / 4) > 0.01;
    const behind = Math.max(lum(getComputedStyle(img).backgroundColor) ?? 0,
                            transparent ? 0 : 1);
    if (transparent && backing(img) < 0.7 && behind < 0.7)
      out.bad.push((img.currentSrc || img.src).slice(0, 80));
  }
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    out.figures += 1;
    const paper = gd._fullLayout && gd._fullLayout.paper_bgcolor;
    if (paper && lum(paper) !== null && lum(paper) < 0.7 && lum(gd._fullLayout.font.color) < 0.5)
      out.bad.push(`plotly figure ${gd.id}: dark text on dark paper`);
  }
  return out;
}
"""


def test_figures_readable_in_dark_mode(server: str, browser_context, html_dir: Path) -> None:
    """The theme's dark mode (its toggle, as a reader would set it) on a figure-heavy page: every
    figure keeps a light backing, so no transparent figure puts dark text on the dark page."""
    docname = "book/hmm"
    page, _, errors = _watched_page(browser_context)
    try:
        page.goto(server + f"{docname}.html", wait_until="load", timeout=TIMEOUT_MS)
        settle(page)
        page.evaluate("() => { localStorage.setItem('mode', 'dark');"
                      " document.documentElement.dataset.mode = 'dark';"
                      " document.documentElement.dataset.theme = 'dark'; }")
        page.wait_for_timeout(300)
        found = page.evaluate(DARK_JS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        take_screenshot(page, SHOTS / "dark__hmm.jpg")
    finally:
        page.evaluate("() => localStorage.removeItem('mode')")
        page.close()
    assert found["theme"] == "dark" and found["pageBackground"] < 0.3, found
    assert found["figures"] >= 5, found
    assert not found["bad"], f"figures unreadable in dark mode: {found['bad']}"
