"""The reference pages of the book stay complete as the package and the chapters grow."""

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
