"""The disk cache of the course's expensive results: learning curves and trained source networks.

:func:`cached` wraps a function in joblib's ``Memory`` in :func:`default_cache_dir` (or a folder of
your choosing). A cached function takes :func:`code_fingerprint` as one of its arguments, so that
its results are keyed by all of its inputs *and* by the source of the modules that compute them:
rebuilding the book does not recompute, and a change of code never serves stale numbers.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from joblib import Memory

CACHE_ENV_VAR = "TLCOURSE_CACHE_DIR"

# the modules whose source a cached result depends on
_COMPUTING_MODULES = ("_checks", "activations", "curves", "data", "featuremap", "jobs",
                      "networks", "protocols", "readout", "specs", "stats")


def default_cache_dir() -> Path:
    """Where cached results live: ``$TLCOURSE_CACHE_DIR`` if set, else ``_build/cache/tlcourse``
    in the project (the folder holding ``_config.yml``), else ``~/.cache/tlcourse``."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR])
    root = Path(__file__).resolve().parents[1]
    if (root / "_config.yml").exists():
        return root / "_build" / "cache" / "tlcourse"
    return Path.home() / ".cache" / "tlcourse"


def code_fingerprint() -> str:
    """SHA-256 of the source of the modules that compute a cached result: part of every key."""
    h = hashlib.sha256()
    folder = Path(__file__).resolve().parent
    for name in _COMPUTING_MODULES:
        h.update(name.encode())
        h.update((folder / f"{name}.py").read_bytes())
    return h.hexdigest()


def cache_folder(cache: bool | str | Path) -> Path | None:
    """The folder that ``cache`` names: ``None`` (``cache=False``), :func:`default_cache_dir`
    (``cache=True``) or the folder ``cache``."""
    if cache is False:
        return None
    if cache is True:
        return default_cache_dir()
    if isinstance(cache, str | Path):
        return Path(cache)
    raise TypeError(f"cache must be True, False or a folder, got {cache!r}")


def cached(func: Callable, cache: bool | str | Path) -> Callable:
    """``func`` itself (``cache=False``) or ``func`` cached on disk, in :func:`default_cache_dir`
    (``cache=True``) or in the folder ``cache``."""
    folder = cache_folder(cache)
    return func if folder is None else Memory(folder, verbose=0).cache(func)
