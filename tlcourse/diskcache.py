"""The one disk cache of the course: learning-curve jobs, trained source networks, any sweep's jobs.

:class:`DiskCache` stores the result of a call ``func(*args)`` in a folder, under a key made once,
here, of three things: the function's name, its code (:func:`function_fingerprint`) and its
arguments (``joblib.hash``: arrays by their bytes, a network by its weights, a task by its arrays).
So a second identical call reads the result instead of computing it, and a function whose code
changed (a lambda redefined in a notebook, an edited module of the package) never gets the old
result. Every user of a cache goes through it: :func:`tlcourse.jobs.run_jobs` (and so
:func:`tlcourse.curves.learning_curves`) and :func:`tlcourse.networks.train_source`.

An entry is written whole or not at all (a temporary file in the same folder, renamed into place):
an interrupted build leaves no half-written entry. It starts with the SHA-256 of its pickle, so an
entry that was truncated or altered on disk is told apart from a good one. An entry that cannot be
read (damaged, truncated, from an incompatible version of a library) counts as missing: it is
recomputed and rewritten, with a ``RuntimeWarning`` naming it.

**Trust.** A cache folder is code: reading an entry unpickles it, and a pickle can run any code.
Keep the folder private. The defaults are yours (``_build/cache/tlcourse`` in the project, or
``~/.cache/tlcourse``), and the folders this module creates are readable by their owner only;
never point ``TLCOURSE_CACHE_DIR`` (or ``cache=``) at a folder that other people can write to, such
as a shared scratch space. A folder owned by someone else or writable by others gets a warning.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import stat
import tempfile
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import joblib

CACHE_ENV_VAR = "TLCOURSE_CACHE_DIR"

# the modules whose source the package's own cached functions depend on
_COMPUTING_MODULES = ("_checks", "activations", "curves", "data", "deep", "featuremap", "jobs",
                      "networks", "protocols", "readout", "specs", "stats")

MISSING = object()  # what :meth:`DiskCache.load` returns for an entry it does not hold
_DIGEST = 32  # bytes of SHA-256 at the start of an entry


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
    """SHA-256 of the source of the package's modules that compute a cached result: part of the
    key of every function of the package (:func:`function_fingerprint`)."""
    h = hashlib.sha256()
    folder = Path(__file__).resolve().parent
    for name in _COMPUTING_MODULES:
        h.update(name.encode())
        h.update((folder / f"{name}.py").read_bytes())
    return h.hexdigest()


def function_fingerprint(func: Callable) -> str:
    """A hash of what ``func`` computes with: its code, constants, defaults and closure.

    Its own code only: not the globals it reads nor the functions it calls by name. So a
    function of the package (module ``tlcourse...``) adds :func:`code_fingerprint`, the source of
    the modules it relies on. Where the function was defined (file, line) is left out, so a
    notebook cell run again in a new kernel keeps its key.
    """
    h = hashlib.sha256()
    _hash_callable(h, func)
    if getattr(func, "__module__", "").startswith("tlcourse"):
        h.update(code_fingerprint().encode())
    return h.hexdigest()


def _hash_callable(h, func) -> None:
    if isinstance(func, functools.partial):
        _hash_callable(h, func.func)
        h.update(_value_hash((func.args, func.keywords)).encode())
        return
    func = getattr(func, "__func__", func)  # a bound method: its function
    code = getattr(func, "__code__", None)
    if code is None:  # a builtin (no Python code) or an object with __call__
        call = vars(type(func)).get("__call__")
        if isinstance(call, types.FunctionType):
            _hash_callable(h, call)
        h.update(f"{type(func).__qualname__}:{getattr(func, '__qualname__', '')}".encode())
        return
    _hash_code(h, code)
    h.update(_value_hash((func.__defaults__, func.__kwdefaults__)).encode())
    for cell in func.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(value) and hasattr(getattr(value, "__func__", value), "__code__"):
            _hash_callable(h, value)
        else:
            h.update(_value_hash(value).encode())


def _hash_code(h, code: types.CodeType) -> None:
    h.update(code.co_code)
    for name in ("co_names", "co_varnames", "co_freevars", "co_cellvars"):
        h.update(repr(getattr(code, name)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _hash_code(h, const)
        else:
            h.update(_const_repr(const).encode())


def _const_repr(const) -> str:
    """A repr of a code constant that does not depend on the order of a frozenset."""
    if isinstance(const, frozenset):
        return "frozenset(" + ",".join(sorted(map(_const_repr, const))) + ")"
    if isinstance(const, tuple):
        return "(" + ",".join(map(_const_repr, const)) + ")"
    return f"{type(const).__name__}:{const!r}"


def _value_hash(value) -> str:
    try:
        return joblib.hash(value)
    except Exception:  # noqa: BLE001 - an unpicklable closure value: keyed by its type
        return f"unhashable {type(value).__qualname__}"


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


class DiskCache:
    """Results of calls ``func(*args)`` kept in ``folder``, one file per call.

    ``folder/<module.qualname>/<key>.pkl``, ``key`` a hash of the function's code and of the
    arguments (see the module docstring, also for the trust model). The folder is created on
    first use, readable by its owner only. A write goes through a ``.partial-*.tmp`` file, which
    only a process killed outright (SIGKILL) can leave behind; it is never read.
    """

    def __init__(self, folder: str | Path):
        if not isinstance(folder, str | Path):
            raise TypeError(f"folder must be a path, got {folder!r}")
        self.folder = Path(folder)
        self._checked = False
        self._fingerprints: dict = {}  # id(func) -> (func, its fingerprint): made once per func

    def __repr__(self) -> str:
        return f"DiskCache({str(self.folder)!r})"

    def path(self, func: Callable, args: tuple) -> Path:
        """Where the result of ``func(*args)`` is (or would be) stored."""
        name = getattr(func, "__qualname__", None) or type(func).__qualname__
        module = getattr(func, "__module__", None) or "builtins"
        where = re.sub(r"[^\w.-]", "_", f"{module}.{name}")
        if id(func) not in self._fingerprints:  # func kept: its id is not reused
            self._fingerprints[id(func)] = (func, function_fingerprint(func))
        key = joblib.hash((self._fingerprints[id(func)][1], tuple(args)))
        return self.folder / where / f"{key}.pkl"

    def load(self, func: Callable, args: tuple):
        """The stored result of ``func(*args)``, or :data:`MISSING`; an entry that cannot be read
        is removed, with a ``RuntimeWarning``, and counts as missing."""
        path = self.path(func, args)
        self._check_private()
        if not path.is_file():
            return MISSING
        try:
            data = path.read_bytes()
            digest, payload = data[:_DIGEST], data[_DIGEST:]
            if hashlib.sha256(payload).digest() != digest:
                raise ValueError("its checksum does not match its content (truncated or altered)")
            return joblib.load(io.BytesIO(payload))
        except Exception as err:  # noqa: BLE001 - any failure to unpickle: a damaged entry
            warnings.warn(f"cache entry {path} could not be read ({type(err).__name__}: {err}); "
                          "it is computed again and rewritten", RuntimeWarning, stacklevel=2)
            path.unlink(missing_ok=True)
            return MISSING

    def save(self, func: Callable, args: tuple, result) -> None:
        """Store ``result`` as that of ``func(*args)``, whole or not at all."""
        path = self.path(func, args)
        self._make(path.parent)
        payload = io.BytesIO()
        joblib.dump(result, payload)
        payload = payload.getvalue()
        fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(hashlib.sha256(payload).digest())
                out.write(payload)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):  # an error or an interruption: no half-written entry
                os.unlink(tmp)

    def call(self, func: Callable, *args):
        """``func(*args)``, read from the cache or computed and stored."""
        result = self.load(func, args)
        if result is MISSING:
            result = func(*args)
            self.save(func, args, result)
        return result

    def _make(self, folder: Path) -> None:
        """Create ``folder`` (and the cache's folder) readable by the owner only."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        self._check_private()

    def _check_private(self) -> None:
        """Warn once if the cache's folder can be written by someone else (see the trust model)."""
        if self._checked or not self.folder.is_dir():
            return
        self._checked = True
        info = self.folder.stat()
        others = info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if others:
            warnings.warn(f"the cache folder {self.folder} is owned by another user or writable "
                          "by others: its entries are unpickled, so whoever can write there can "
                          "run code in this process; use a private folder", RuntimeWarning,
                          stacklevel=3)


def cached(func: Callable, cache: bool | str | Path) -> Callable:
    """``func`` itself (``cache=False``), or ``func`` whose calls go through a :class:`DiskCache`
    in :func:`default_cache_dir` (``cache=True``) or in the folder ``cache``."""
    folder = cache_folder(cache)
    if folder is None:
        return func
    return functools.partial(DiskCache(folder).call, func)


__all__ = ["CACHE_ENV_VAR", "MISSING", "DiskCache", "cache_folder", "cached", "code_fingerprint",
           "default_cache_dir", "function_fingerprint"]
