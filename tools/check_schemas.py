"""Validate the GitHub workflows and CITATION.cff against their JSON schemas, offline.

The schemas are those vendored inside check-jsonschema (``--builtin-schema``): GitHub's workflow
schema and the Citation File Format 1.2.0 schema, so no network is needed. check-jsonschema's own
command line runs once per schema, inside one Python process: importing jsonschema takes seconds
here, and ``make lint`` pays it once.

Usage: ``python tools/check_schemas.py`` (``make lint`` runs it); exits non-zero on any error.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def checks(root: Path = ROOT) -> list[tuple[list[str], list[Path]]]:
    """The (check-jsonschema options, files) pairs to validate under ``root``."""
    workflows = sorted((root / ".github" / "workflows").glob("*.y*ml"))
    if not workflows:
        raise FileNotFoundError(f"no workflow files in {root / '.github' / 'workflows'}")
    return [
        (["--builtin-schema", "vendor.github-workflows"], workflows),
        (
            ["--builtin-schema", "vendor.citation-file-format", "--default-filetype", "yaml"],
            [root / "CITATION.cff"],
        ),
    ]


def main(root: Path = ROOT) -> int:
    """Run every check; 0 if all files are valid, 1 otherwise."""
    # jsonschema checks the "iri" formats with rfc3987_syntax when it is installed (it is, for
    # jupyter-events), which compiles a grammar for seconds at import. Neither schema uses those
    # formats ("uri" and "date" only), so it is left out.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from check_jsonschema.cli import main as check_jsonschema

    failed = []
    for options, files in checks(root):
        names = [str(f.relative_to(root)) for f in files]
        print(f"check-jsonschema {' '.join(options)} {' '.join(names)}", flush=True)
        code = check_jsonschema.main(
            [*options, *map(str, files)], prog_name="check-jsonschema", standalone_mode=False
        )
        if code:
            failed += names
    if failed:
        print(f"schema errors in: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
