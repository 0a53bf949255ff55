"""Vendor the browser assets of the HTML book: MathJax, require.js, the widget manager, plotly.js.

Without network a page whose scripts come from a content delivery network shows raw TeX and no
widgets. This step installs the npm packages pinned in ``tools/vendor/package-lock.json`` with
``npm ci`` (into ``_build/npm``) and copies the files the book loads into ``_build/assets/_vendor``,
with ``tools/vendor/widgets-offline.js`` (points the widget manager at its fonts and lets widgets
typeset with MathJax 3). plotly.js is the bundle of the pinned Python ``plotly`` package
(requirements.txt), so that the figures' JSON and the library that draws them always match; it
lands in ``_vendor/plotly/plotly.min.js``, loaded by ``tools/templates/layout.html`` on the pages
that show a Plotly figure.
``_config.yml`` lists ``_build/assets`` in ``html_extra_path``, so Sphinx copies ``_vendor/`` to
the root of the built HTML, and points ``mathjax_path`` and ``nb_ipywidgets_js`` at it.

The folder is deliberately not ``_static``: Jupyter Book 1 injects every ``.js`` found there into
every page. Running the step again is a no-op while its inputs are unchanged.

Usage: ``python tools/vendor_assets.py`` (``make book`` runs it before ``jupyter-book build``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tools" / "vendor"  # package.json and package-lock.json, committed
NPM_DIR = ROOT / "_build" / "npm"  # where npm ci installs (build product)
ASSETS = ROOT / "_build" / "assets"  # listed in html_extra_path
VENDOR = ASSETS / "_vendor"  # lands as _vendor/ at the root of the built HTML

# npm package -> (its folder in _vendor/, [glob inside the package]); matches keep their names
FILES: dict[str, tuple[str, list[str]]] = {
    "mathjax": ("mathjax", ["es5", "LICENSE"]),
    "requirejs": ("requirejs", ["require.js"]),
    # the AMD bundle and the icon fonts it loads
    "@jupyter-widgets/html-manager": (
        "html-manager",
        ["dist/embed-amd.js", *(f"dist/*.{ext}" for ext in ("woff2", "woff", "ttf", "eot", "svg"))],
    ),
}
OWN_FILES = ["widgets-offline.js"]  # the book's own scripts in tools/vendor/, copied to _vendor/


def _plotly_bundle() -> tuple[Path, str]:
    """The plotly.js bundle shipped by the installed (pinned) Python plotly, and its version."""
    try:
        import plotly
        from plotly.offline import get_plotlyjs_version
    except ImportError as err:  # pragma: no cover - requirements.txt installs it
        raise SystemExit(f"vendor_assets: the Python package plotly is missing ({err})") from err
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not bundle.is_file():
        raise SystemExit(f"vendor_assets: {bundle} not found")
    return bundle, get_plotlyjs_version()


def _digest() -> str:
    """sha256 of the pins, the book's own scripts and this step: assets are current iff equal."""
    h = hashlib.sha256()
    h.update(_plotly_bundle()[1].encode())
    for path in [PINS / "package.json", PINS / "package-lock.json", Path(__file__)]:
        h.update(path.read_bytes())
    for name in OWN_FILES:
        h.update((PINS / name).read_bytes())
    return h.hexdigest()


def pinned_versions() -> dict[str, str]:
    """The exact version of each vendored package, as pinned in tools/vendor/package.json."""
    deps = json.loads((PINS / "package.json").read_text())["dependencies"]
    return {name: deps[name] for name in FILES}


def _npm_ci() -> Path:
    """Install the pinned packages into _build/npm; return its node_modules folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("vendor_assets: npm is not installed (Debian package: npm)")
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    installed = NPM_DIR / "node_modules" / ".package-lock.json"  # npm's record of what it installed
    lock = NPM_DIR / "package-lock.json"
    pinned = (PINS / lock.name).read_bytes()
    if installed.is_file() and lock.is_file() and lock.read_bytes() == pinned:
        return NPM_DIR / "node_modules"  # the pinned packages are installed already
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(PINS / name, NPM_DIR / name)
    cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(cmd, cwd=NPM_DIR, check=True)
    return NPM_DIR / "node_modules"


def _copy_assets(node_modules: Path, dest: Path) -> None:
    """Copy the needed files of each package, with its package.json (name, version, license)."""
    for package, pinned in pinned_versions().items():
        src = node_modules / package
        meta = json.loads((src / "package.json").read_text())
        if meta["version"] != pinned:
            found = meta["version"]
            raise SystemExit(f"vendor_assets: {package} {found} installed, {pinned} pinned")
        folder, patterns = FILES[package]
        (dest / folder).mkdir(parents=True)
        shutil.copy2(src / "package.json", dest / folder / "package.json")
        for pattern in patterns:
            matches = sorted(src.glob(pattern))
            if not matches:
                raise SystemExit(f"vendor_assets: nothing matches {package}/{pattern}")
            for match in matches:
                if match.is_dir():
                    shutil.copytree(match, dest / folder / match.name)
                else:
                    shutil.copy2(match, dest / folder / match.name)
    for name in OWN_FILES:
        shutil.copy2(PINS / name, dest / name)
    bundle, version = _plotly_bundle()
    (dest / "plotly").mkdir()
    shutil.copy2(bundle, dest / "plotly" / "plotly.min.js")
    (dest / "plotly" / "VERSION").write_text(f"plotly.js {version}\n")


def main() -> int:
    digest = _digest()
    stamp = VENDOR / "lock.sha256"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return 0
    node_modules = _npm_ci()
    ASSETS.mkdir(parents=True, exist_ok=True)
    # build beside the target, then swap, so that a reader never sees a half-copied folder
    with tempfile.TemporaryDirectory(dir=ASSETS) as tmp:
        staged = Path(tmp) / "_vendor"
        _copy_assets(node_modules, staged)
        (staged / stamp.name).write_text(digest + "\n")
        old = Path(tmp) / "old"
        if VENDOR.exists():
            VENDOR.rename(old)
        staged.rename(VENDOR)
    pins = ", ".join(f"{k} {v}" for k, v in pinned_versions().items())
    pins += f", plotly.js {_plotly_bundle()[1]}"
    print(f"vendor_assets: {pins} -> {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
