"""How ``make test`` hands its tests to two xdist workers (conftest.py): the names it ranks and
groups by still name tests, and the tests that share a costly fixture form one work unit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import conftest  # the root conftest.py

ROOT = Path(__file__).resolve().parents[1]


def functions(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize(
    "prefix", sorted({*conftest.SLOWEST_TESTS, *conftest.SHARED_FIXTURES, *conftest.PAGE_TESTS}))
def test_each_ranked_or_grouped_name_names_tests(prefix):
    file, _, name = prefix.partition("::")
    assert (ROOT / file).is_file(), f"{file} is gone"
    if name:
        assert any(f.startswith(name) for f in functions(ROOT / file)), (
            f"no test in {file} starts with {name}")


def test_a_page_s_two_tests_share_a_unit_and_pages_do_not():
    unit = conftest.work_unit
    renders = "tests/test_html.py::test_page_renders_offline[book/hmm]"
    clipped = "tests/test_html.py::test_nothing_clipped[book/hmm]"
    assert unit(renders) == unit(clipped) != unit(clipped.replace("hmm", "chmm"))
    assert unit("tests/test_pdf.py::test_a") == unit("tests/test_pdf.py::test_b")
    assert unit("tests/test_student_edition.py::test_tiny_x") == unit(
        "tests/test_student_edition.py::test_tiny_y")
    other = "tests/test_student_edition.py::test_real_student_edition_has_no_instructor_kit"
    assert unit(other) == other  # a test with no shared fixture is a unit of its own
