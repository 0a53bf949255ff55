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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from joblib import Memory, Parallel, delayed
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
    if todo:
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


__all__ = ["Results", "run_jobs"]
