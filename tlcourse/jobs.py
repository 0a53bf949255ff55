"""Running a sweep's jobs: any joblib backend, a disk cache kept by the caller, no partial result.

:func:`run_jobs` is the loop that :func:`tlcourse.curves.learning_curves` and
:func:`tlcourse.realdata.curves.real_learning_curves` share:

- the jobs run through ``joblib.Parallel`` with the active backend: by default (``n_jobs=None``
  and no ``joblib.parallel_config``) one after the other in this process, with ``n_jobs=2`` on two
  local processes (loky), inside ``joblib.parallel_config(backend="dask")`` on the workers of a
  ``dask.distributed`` cluster;
- the cache (a :class:`tlcourse.diskcache.DiskCache` in a folder) is read and written by the calling
  process only: it looks every job up first, sends only the missing ones to the workers, and stores
  each result as it comes back (so an interrupted sweep keeps what it finished). So a cluster's
  workers need no shared disk, and a second call sends them nothing. The key covers the function's
  code (:func:`tlcourse.diskcache.function_fingerprint`), so a changed function is computed again;
- the results come back in the order of the jobs, all of them or an error: a job that fails (a
  worker that dies and is not replaced, an exception) raises, never a shorter list;
- ``n_jobs`` is checked before anything runs, and never starts more workers than there are jobs
  to compute.

Under ``parallel_config(backend="dask")`` the jobs go to that backend's ``distributed.Client``
directly (``client.submit``, one task per job): joblib 1.6's dask backend never hears of a task
the scheduler gives up on (``KilledWorker``: its workers kept dying) and waits for it forever,
where the client raises at once. Everything else (which cluster, which client) is the
configuration's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from joblib import Parallel, delayed, effective_n_jobs
from joblib.parallel import get_active_backend
from tqdm.auto import tqdm

from ._checks import check_int
from .diskcache import MISSING, DiskCache


class Results(list):
    """The results of :func:`run_jobs`, in the order of the jobs; ``from_cache`` counts those
    read from the cache."""

    from_cache: int = 0


def check_n_jobs(n_jobs) -> int | None:
    """``n_jobs`` as joblib reads it, checked: ``None`` (joblib's setting), a number of workers
    >= 1, or a negative count from the number of CPUs (``-1``: all of them); ``0`` is refused."""
    if n_jobs is None:
        return None
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be None (joblib's setting), a number of workers >= 1, or "
                         "a negative count from the number of CPUs (-1: all of them), got 0")
    return n_jobs


def run_jobs(
    func: Callable,
    jobs: Sequence[tuple],
    *,
    cache: str | Path | None = None,
    n_jobs: int | None = None,
    progress: bool = True,
    desc: str = "jobs",
) -> Results:
    """``[func(*args) for args in jobs]``, run by joblib's active backend, cached on disk.

    ``func`` a module-level function (it is pickled to the workers); ``jobs`` tuples of its
    positional arguments, each a complete cache key together with the function's code (arrays,
    settings: whatever the result depends on besides the code); ``cache`` a folder for a
    :class:`~tlcourse.diskcache.DiskCache` (private: see its trust model), or ``None`` for no
    cache; ``n_jobs`` as for ``joblib.Parallel`` (:func:`check_n_jobs`; ``None``: joblib's
    setting), capped at the number of jobs to compute; ``progress`` shows a ``tqdm`` bar.
    Returns a :class:`Results` list; raises the first error of a job, or a ``RuntimeError`` if
    the backend delivered fewer results than jobs.
    """
    if not callable(func):
        raise TypeError(f"func must be a function, got {func!r}")
    n_jobs = check_n_jobs(n_jobs)
    if isinstance(jobs, str | bytes) or not isinstance(jobs, Sequence):
        raise TypeError(f"jobs must be a sequence of argument tuples, got {type(jobs).__name__}")
    for k, args in enumerate(jobs):
        if not isinstance(args, tuple | list):
            raise TypeError(f"jobs[{k}] must be a tuple of the function's arguments, got "
                            f"{type(args).__name__}")
    jobs = [tuple(args) for args in jobs]
    store = None if cache is None else DiskCache(cache)
    results = [MISSING] * len(jobs)
    if store is not None:
        results = [store.load(func, args) for args in jobs]
    todo = [i for i, result in enumerate(results) if result is MISSING]
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc=desc, disable=not progress)
    delivered = 0

    def keep(i: int, result) -> None:
        nonlocal delivered
        results[i] = result
        if store is not None:
            store.save(func, jobs[i], result)
        delivered += 1
        bar.update()

    client = _dask_client()
    try:
        if todo and client is not None:
            for k, result in _run_on_dask(client, func, [jobs[i] for i in todo]):
                keep(todo[k], result)
        elif todo:
            workers = min(effective_n_jobs(n_jobs), len(todo))
            outputs = Parallel(n_jobs=workers, return_as="generator")(
                delayed(func)(*jobs[i]) for i in todo)
            for i, result in zip(todo, outputs, strict=False):
                keep(i, result)
    finally:
        bar.close()
    if delivered != len(todo):
        raise RuntimeError(f"{desc}: {delivered} of {len(todo)} jobs delivered a result; "
                           "no partial table is returned")
    out = Results(results)
    out.from_cache = len(jobs) - len(todo)
    return out


def _dask_client():
    """The ``distributed.Client`` of the active joblib backend if it is joblib's dask backend,
    else ``None`` (without importing dask)."""
    backend, _ = get_active_backend()
    if type(backend).__name__ != "DaskDistributedBackend":
        return None
    return backend.client


def _run_on_dask(client, func: Callable, todo: list[tuple]):
    """``(k, func(*todo[k]))`` for each job on the client's cluster, as they finish; the first
    failure (a job's exception, or ``KilledWorker``) cancels the rest and is raised."""
    from distributed import as_completed

    futures = [client.submit(func, *args, pure=False) for args in todo]
    position = {future.key: k for k, future in enumerate(futures)}
    try:
        for future in as_completed(futures):
            yield position[future.key], future.result()  # raises the job's error
    finally:
        client.cancel([f for f in futures if not f.done()])


__all__ = ["Results", "check_n_jobs", "run_jobs"]
