"""Running a sweep's jobs: any joblib backend, a disk cache kept by the caller, no partial result.

:func:`run_jobs` is the loop that :func:`tlcourse.curves.learning_curves` and
:func:`tlcourse.realdata.curves.real_learning_curves` share:

- the jobs run through ``joblib.Parallel`` with the active backend: by default (``n_jobs=None``
  and no ``joblib.parallel_config``) one after the other in this process, with ``n_jobs=2`` on two
  local processes (loky), inside ``joblib.parallel_config(backend="dask")`` on the workers of a
  ``dask.distributed`` cluster;
- the cache (joblib's ``Memory`` in a folder) is read and written by the calling process only: it
  looks every job up first, sends only the missing ones to the workers, and stores what comes back.
  So a cluster's workers need no shared disk, and a second call sends them nothing;
- the results come back in the order of the jobs, all of them or an error: a job that fails (a
  worker that dies and is not replaced, an exception) raises, never a shorter list.

Under ``parallel_config(backend="dask")`` the jobs go to that backend's ``distributed.Client``
directly (``client.submit``, one task per job): joblib 1.6's dask backend never hears of a task
the scheduler gives up on (``KilledWorker``: its workers kept dying) and waits for it forever,
where the client raises at once. Everything else (which cluster, which client) is the
configuration's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from joblib import Memory, Parallel, delayed
from joblib.parallel import get_active_backend
from tqdm.auto import tqdm


class Results(list):
    """The results of :func:`run_jobs`, in the order of the jobs; ``from_cache`` counts those
    read from the cache."""

    from_cache: int = 0


def _stored(name: str, *args, result=None):
    """The cache entry of job ``name(*args)``: joblib's ``Memory`` keys it by ``name`` and
    ``args`` (``result`` is ignored), so calling it with ``result`` stores that value, and calling
    it without reads the stored one."""
    if result is None:
        raise RuntimeError(f"no cached result for {name}: it must be computed first")
    return result


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

    ``func`` a module-level function (it is pickled to the workers) whose results are not
    ``None``; ``jobs`` tuples of its positional arguments, each a complete cache key (arrays,
    settings, a fingerprint of the code: whatever the result depends on); ``cache`` a folder for
    joblib's ``Memory``, or ``None`` for no cache; ``n_jobs`` as for ``joblib.Parallel``
    (``None``: joblib's setting); ``progress`` shows a ``tqdm`` bar. Returns a :class:`Results`
    list; raises the first error of a job, or a ``RuntimeError`` if the backend delivered fewer
    results than jobs.
    """
    jobs = [tuple(args) for args in jobs]
    name = f"{func.__module__}.{func.__qualname__}"
    stored = None
    hits = [False] * len(jobs)
    if cache is not None:
        stored = Memory(Path(cache), verbose=0).cache(_stored, ignore=["result"])
        hits = [stored.check_call_in_cache(name, *args) for args in jobs]
    todo = [args for args, hit in zip(jobs, hits, strict=True) if not hit]
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc=desc, disable=not progress)
    computed = []
    client = _dask_client()
    if todo and client is not None:
        computed = _run_on_dask(client, func, todo, bar)
    elif todo:
        for result in Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(func)(*args) for args in todo
        ):
            computed.append(result)
            bar.update()
    bar.close()
    if len(computed) != len(todo):
        raise RuntimeError(f"{desc}: {len(computed)} of {len(todo)} jobs delivered a result; "
                           "no partial table is returned")
    results, fresh = Results(), iter(computed)
    for args, hit in zip(jobs, hits, strict=True):
        if stored is None:
            results.append(next(fresh))
        elif hit:
            results.append(stored(name, *args))
        else:
            results.append(stored(name, *args, result=next(fresh)))
    results.from_cache = sum(hits)
    return results


def _dask_client():
    """The ``distributed.Client`` of the active joblib backend if it is joblib's dask backend,
    else ``None`` (without importing dask)."""
    backend, _ = get_active_backend()
    if type(backend).__name__ != "DaskDistributedBackend":
        return None
    return backend.client


def _run_on_dask(client, func: Callable, todo: list[tuple], bar) -> list:
    """``[func(*args) for args in todo]`` on the client's cluster, in order; the first failure
    (a job's exception, or ``KilledWorker``) cancels the rest and is raised."""
    from distributed import as_completed

    futures = [client.submit(func, *args, pure=False) for args in todo]
    try:
        for future in as_completed(futures):
            if future.status != "finished":
                future.result()  # raises the job's error
            bar.update()
        return client.gather(futures)
    finally:
        client.cancel([f for f in futures if not f.done()])


__all__ = ["Results", "run_jobs"]
