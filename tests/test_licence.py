"""The course is licensed (code MIT, content CC BY 4.0) and citable, and says so everywhere.

- ``LICENSE`` is the MIT licence, ``LICENSE-CONTENT`` carries the legal text of CC BY 4.0 exactly
  as the SPDX License List has it; the book's footer (``_config.yml``) states which covers what,
  and the installed package carries the code licence only.
- ``CITATION.cff`` describes the course (its repository and version agree with ``_config.yml`` and
  ``pyproject.toml``) and lists the paper of the model, with the same data as the entry the book
  cites in ``references.bib``. (Its schema is checked by ``make lint``: tools/check_schemas.py.)
"""

from __future__ import annotations

import codecs
import hashlib
import re
import tomllib
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec)
import pytest
import yaml
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[1]
PAPER_KEY = "gerace2022probing"  # the entry the book cites for the model
# sha256 of the legal text of CC-BY-4.0 in the SPDX License List (npm spdx-license-list 6.12.0,
# licenses/CC-BY-4.0.json, licenseText with trailing whitespace removed)
CC_BY_4_SHA256 = "4c3c0cad4496cdf420b45909eeba725243fb7709878fc1f8dff9e39357773b46"
CC_BY_4_TITLE = "Creative Commons Attribution 4.0 International"


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


# --- licences -------------------------------------------------------------------------------------
def test_code_licence_is_mit():
    assert text("LICENSE").startswith("MIT License\n")


def test_content_licence_is_the_cc_by_4_legal_text():
    content = text("LICENSE-CONTENT")
    start = content.index(f"{CC_BY_4_TITLE}\n")
    legal = content[start:].rstrip()
    assert hashlib.sha256(legal.encode()).hexdigest() == CC_BY_4_SHA256, (
        "LICENSE-CONTENT's legal text differs from SPDX's CC-BY-4.0: restore it, do not edit it"
    )
    preface = content[:start]
    assert "CC BY 4.0" in preface and "MIT" in preface and "LICENSE" in preface, (
        "the preface must say what each licence covers"
    )


def test_footer_states_both_licences_and_how_to_cite(config):
    footer = config["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "creativecommons.org/licenses/by/4.0/" in footer
    assert "MIT" in footer
    base = f"{config['repository']['url'].rstrip('/')}/blob/{config['repository']['branch']}/"
    linked = re.findall(r'href="([^"]+)"', footer)
    for name in ["LICENSE", "LICENSE-CONTENT", "CITATION.cff"]:
        assert f"{base}{name}" in linked, f"the footer must link {name} as {base}{name}"
        assert (ROOT / name).is_file()
    others = [u for u in linked if "github.com" in u and not u.startswith(base)]
    assert not others, f"footer links to another repository than repository.url: {others}"
    entry = parse_file(ROOT / "references.bib").entries[PAPER_KEY]
    assert f"https://doi.org/{entry.fields['doi']}" in linked, "the footer cites the model's paper"


def test_the_installed_package_is_mit_and_carries_the_code_licence_only():
    """What pip installs (the built metadata, not pyproject's text): MIT, with LICENSE only."""
    from importlib.metadata import distribution

    dist = distribution("tlcourse")
    assert dist.metadata["License-Expression"] == "MIT"
    assert dist.metadata.get_all("License-File") == ["LICENSE"], (
        "the package carries code only (not content): license-files = ['LICENSE']"
    )


# --- citation -------------------------------------------------------------------------------------
def test_citation_describes_the_course(citation, config):
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "software"
    project = tomllib.loads(text("pyproject.toml"))["project"]
    assert set(citation["license"]) == {project["license"], "CC-BY-4.0"}, (
        "CITATION.cff names the package's licence and the content's"
    )
    assert citation["repository-code"] == config["repository"]["url"]
    assert citation["title"].startswith(config["title"])
    assert str(citation["version"]) == project["version"]
    assert citation["authors"], "CITATION.cff needs authors"


def latex_to_text(value: str) -> str:
    return codecs.decode(value, "ulatex").replace("{", "").replace("}", "")


def test_citation_asks_to_cite_the_paper_as_the_book_does(citation):
    entry = parse_file(ROOT / "references.bib").entries[PAPER_KEY]
    papers = [r for r in citation.get("references", []) if r.get("doi") == entry.fields["doi"]]
    assert len(papers) == 1, f"CITATION.cff must list the paper (doi {entry.fields['doi']})"
    paper = papers[0]
    assert paper["type"] == "article"
    assert paper["title"] == entry.fields["title"]
    assert paper["journal"] == entry.fields["journal"]
    assert str(paper["volume"]) == entry.fields["volume"]
    assert str(paper["start"]) == entry.fields["pages"]
    assert str(paper["year"]) == entry.fields["year"]
    bib_authors = [latex_to_text(" ".join(p.last_names)) for p in entry.persons["author"]]
    assert [a["family-names"] for a in paper["authors"]] == bib_authors
    arxiv = f"arXiv:{entry.fields['eprint']}"
    assert arxiv in [i["value"] for i in paper["identifiers"]]
    assert "Gerace" in citation["message"], "the message asks readers to cite the paper"
