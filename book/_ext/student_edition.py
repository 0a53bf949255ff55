"""The student edition of the book: every exercise solution removed from the HTML.

The parts used by ``make student`` (see the Makefile); the extension is loaded by the main
``_config.yml`` too, where it only writes each chapter's notebook (``_notebooks/``, solutions
in) and points the page's Colab button at it:

- a Sphinx extension: with the config value ``student_edition = True`` it deletes every solution
  of sphinx-exercise (plain ``{solution}`` and gated ``{solution-start}``/``{solution-end}``,
  with the code cells and outputs between them) from the documents, after sphinx-exercise has
  merged the gated ones. sphinx-exercise's own ``hide_solutions`` option is not used: with gated
  solutions it aborts the build (``departing unknown node type: solution_end_node``,
  executablebooks/sphinx-exercise issue #89).
- starter notebooks: each chapter page with solutions links, at its top, its starter notebook
  (``_starters/<page>.ipynb`` in the HTML, made by ``book/_ext/starters.py``: every solution's
  code replaced by a stub, the solution prose dropped), to download and work in; every notebook
  page's download button offers its notebook (never the source, which holds the solutions) and
  its launch buttons open it (on Binder, ``starters/<chapter>.ipynb``, which ``binder/postBuild``
  writes with the same script; on Colab, the published edition's copy on the gh-pages branch);
- :func:`student_config`: the student edition's Jupyter Book configuration, derived from the main
  ``_config.yml`` so that the two cannot drift apart. The command line writes it to a file::

      python book/_ext/student_edition.py OUT.yml [--cache DIR]

  (and :func:`student_toc`, the table of contents without the instructor-only pages, to
  ``_toc.yml`` beside it). ``--cache`` points the execution cache at the main build's, so
  that the student edition reuses the notebooks ``make book`` executed instead of running them
  again.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import yaml
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXTENSION = Path(__file__).stem
STARTERS = "_starters"  # folder of the starter notebooks in the student edition's HTML
REPOSITORY_STARTERS = "starters"  # where binder/postBuild writes them in the repository
INSTRUCTOR_ONLY = ("book/instructor_kit",)  # pages of _toc.yml the student edition leaves out
NOTEBOOKS = "_notebooks"  # the chapters' notebooks (solutions in) in the instructor's HTML
COLAB = "https://colab.research.google.com"
PAGES_BRANCH = "gh-pages"  # where `make publish` puts the site (so Colab finds the notebooks)
STUDENT_SITE = "student"  # the student edition's folder in the published site
LOGGER = logging.getLogger(__name__)


def _starters_module():
    """book/_ext/starters.py, imported by path (this file is also loaded by path in the tests)."""
    if "starters" not in sys.modules:
        spec = importlib.util.spec_from_file_location("starters", HERE / "starters.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["starters"] = module
        spec.loader.exec_module(module)
    return sys.modules["starters"]


def student_config(main: dict[str, Any], cache: str | Path | None = None) -> dict[str, Any]:
    """The student edition's configuration: ``main`` (a parsed _config.yml) with solutions removed.

    Changes, and nothing else: this extension is loaded and switched on; no source files (they
    contain the solutions: the download and launch buttons lead to the starter notebooks
    instead, see :func:`retarget_buttons`); "student edition" in the title; the execution
    cache at ``cache`` if given (an absolute path, as the config file lands elsewhere).
    """
    config = copy.deepcopy(main)
    config["title"] = f"{main.get('title', '')} (student edition)".strip()
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("local_extensions", {})[EXTENSION] = str(HERE)
    sphinx_config = sphinx.setdefault("config", {})
    sphinx_config["student_edition"] = True
    sphinx_config["html_copy_source"] = False  # _sources/ would hold the chapters with solutions
    if cache is not None:
        config.setdefault("execute", {})["cache"] = str(Path(cache).resolve())
    excluded = config.setdefault("exclude_patterns", [])
    excluded += [f"{page}.md" for page in INSTRUCTOR_ONLY if f"{page}.md" not in excluded]
    return config


def student_toc(toc: Any) -> Any:
    """The student edition's table of contents: ``toc`` (a parsed _toc.yml) without the
    instructor-only pages (:data:`INSTRUCTOR_ONLY`), and without a part left empty by that."""
    if isinstance(toc, list):
        kept = [student_toc(item) for item in toc
                if not (isinstance(item, dict) and item.get("file") in INSTRUCTOR_ONLY)]
        return [item for item in kept
                if not (isinstance(item, dict) and "chapters" in item and not item["chapters"])]
    if isinstance(toc, dict):
        if toc.get("root") in INSTRUCTOR_ONLY:
            raise ValueError(f"the book's root {toc['root']} is instructor-only")
        return {key: student_toc(value) for key, value in toc.items()}
    return toc


class RemoveSolutions(SphinxTransform):
    """Delete every solution node of a document, once sphinx-exercise has merged gated ones."""

    default_priority = 11  # sphinx-exercise merges gated solutions at 10

    def apply(self) -> None:
        if not self.config.student_edition:
            return
        doc = self.document
        left = [*doc.findall(solution_start_node), *doc.findall(solution_end_node)]
        if left:  # a gated solution sphinx-exercise did not merge: its content would be shown
            raise ExtensionError(
                f"{self.env.docname}: {len(left)} unmerged solution-start/solution-end "
                "directive(s); the student edition cannot remove their content"
            )
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(doc.findall(solution_node)):
            registry.pop(node.get("label"), None)
            node.parent.remove(node)


def starter_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Write the page's notebook into the HTML and point the page's buttons at it.

    Student edition: the starter (:data:`STARTERS`), which the download and launch buttons offer
    (:func:`retarget_buttons`), linked under the title of a page with solutions. Instructor's
    edition: the chapter's notebook (:data:`NOTEBOOKS`), which its Colab button opens."""
    if doctree is None or "body" not in context:
        return
    source = Path(app.env.doc2path(pagename))
    starters = _starters_module()
    if source.suffix != ".md" or not starters.is_notebook(source):
        return
    student = app.config.student_edition
    target = f"{STARTERS if student else NOTEBOOKS}/{pagename}.ipynb"
    try:
        starters.write_starter(source, Path(app.outdir) / target, solved=not student)
    except ValueError as err:
        LOGGER.warning("%s: no starter notebook: %s", pagename, err, location=pagename)
        return
    href = context["pathto"](target, 1)
    buttons = context.get("header_buttons", [])
    if not student:
        retarget_colab(buttons, pagename, target)
        return
    retarget_buttons(buttons, pagename, href)
    if not starters.has_solutions(source):
        return
    name = Path(target).name
    note = (
        '<div class="admonition tip starter-notebook"><p class="admonition-title">'
        "Starter notebook</p><p>Work through this chapter in a notebook: "
        f'<a class="reference download" href="{href}" download="{name}">download {name}</a>. '
        "Each exercise's solution is a stub to complete (the function's signature and docstring, "
        "a body of <code>...</code>); its checker says &ldquo;not attempted yet&rdquo; until you "
        "fill it in, then what is right or which slip you made.</p></div>"
    )
    body = context["body"]
    end = body.find("</h1>")
    at = end + len("</h1>") if end >= 0 else 0
    context["body"] = body[:at] + note + body[at:]


def repository_starter(pagename: str) -> str:
    """Where ``binder/postBuild`` writes the page's starter in the repository (Binder's copy)."""
    return f"{REPOSITORY_STARTERS}/{Path(pagename).name}.ipynb"


def retarget_buttons(buttons: list[dict], pagename: str, starter_href: str) -> None:
    """Point the theme's header buttons of a page at its starter notebook, in place.

    The download group offers the starter (``starter_href``, in the HTML) as ``.ipynb`` and the
    print view as ``.pdf``, never the source (which holds the solutions, and is not copied). Each
    launch button opens :func:`repository_starter` instead of ``<pagename>.md``; a launch button
    whose URL does not name the page's source raises ExtensionError (a theme that changed its
    URLs must not send students to the solutions).
    """
    source, starter = f"{pagename}.md", repository_starter(pagename)
    retarget_colab(buttons, pagename, f"{STARTERS}/{pagename}.ipynb", site=STUDENT_SITE)
    for group in buttons:
        if group.get("label") == "download-buttons":
            printed = [b for b in group["buttons"] if b.get("label") == "download-pdf-button"]
            group["buttons"] = [{
                "type": "link", "url": starter_href, "text": ".ipynb", "icon": "fas fa-code",
                "tooltip": "Download the starter notebook", "label": "download-notebook-button",
            }, *printed]
        elif group.get("label") == "launch-buttons":
            for button in group["buttons"]:
                url = button.get("url", "")
                if url.startswith(COLAB):
                    continue
                if not url.endswith(source):
                    raise ExtensionError(f"{pagename}: launch button {button.get('text')!r} "
                                         f"does not open {source} ({url}); cannot retarget it")
                button["url"] = url[: -len(source)] + starter


def retarget_colab(buttons: list[dict], pagename: str, target: str, site: str = "") -> None:
    """Point a page's Colab button at its notebook in the published site, in place.

    Colab opens notebooks from GitHub: the published site is the repository's
    :data:`PAGES_BRANCH` branch (``make publish``), with the student edition under
    :data:`STUDENT_SITE`; ``target`` is the notebook's path in the edition's HTML. The theme's
    URL opens ``<pagename>.md`` on the repository's branch, which Colab cannot read."""
    source = f"{pagename}.md"
    for group in buttons:
        if group.get("label") != "launch-buttons":
            continue
        for button in group["buttons"]:
            url = button.get("url", "")
            if not url.startswith(COLAB):
                continue
            blob = url.rfind("/blob/")
            if blob < 0 or not url.endswith(f"/{source}"):
                raise ExtensionError(f"{pagename}: Colab button {url} does not open {source}")
            published = f"{site}/{target}" if site else target
            button["url"] = f"{url[:blob]}/blob/{PAGES_BRANCH}/{published}"


def setup(app: Sphinx) -> dict[str, Any]:
    """Sphinx entry point: the ``student_edition`` switch, the removal of solutions, starters."""
    app.setup_extension("sphinx_exercise")
    app.add_config_value("student_edition", False, "env", [bool])
    app.add_transform(RemoveSolutions)
    app.connect("html-page-context", starter_link, priority=600)  # after the theme's buttons
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write the student edition's _config.yml, and its _toc.yml beside it.")
    parser.add_argument("out", type=Path, help="where to write the configuration")
    parser.add_argument("--main", type=Path, default=ROOT / "_config.yml", help="main config")
    parser.add_argument("--cache", type=Path, help="execution cache to share with the main build")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    toc_path = args.main.with_name("_toc.yml")
    config = student_config(yaml.safe_load(args.main.read_text(encoding="utf-8")), args.cache)
    toc = student_toc(yaml.safe_load(toc_path.read_text(encoding="utf-8")))
    for result, source, target in ((config, args.main, args.out),
                                   (toc, toc_path, args.out.with_name("_toc.yml"))):
        header = f"# Generated by book/_ext/student_edition.py from {source.name}; do not edit.\n"
        target.write_text(header + yaml.safe_dump(result, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main()
