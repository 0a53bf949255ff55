"""Learning curves: any set of protocols over a grid of target sizes and seeds, as one table.

:func:`learning_curves` runs :func:`tlcourse.protocols.protocol_curve` for every protocol, seed and
size and returns a tidy :class:`pandas.DataFrame` (one row per protocol, seed and size), ready for
seaborn and for :func:`tlcourse.stats.summarize`. It shows a ``tqdm`` progress bar, runs in parallel
with joblib (``n_jobs``), and can cache results on disk (``cache``, a
:class:`tlcourse.diskcache.DiskCache`) keyed by *all* parameters: the source network's weights, the
target task's arrays, sizes, seed, settings (the training device among them), and the package's
code, so that rebuilding the book does not retrain and a change of code never serves stale
numbers.

Any joblib backend runs the jobs: by default one process (``n_jobs=None``, joblib's own default,
as ``n_jobs=1``), ``n_jobs=2`` for two local processes (loky), and inside
``joblib.parallel_config(backend="dask")`` the workers of a ``dask.distributed`` cluster (the
``Client`` that is open), with the same table. The cache lives on the disk of the process that
calls :func:`learning_curves`: workers compute, the caller stores and looks up, so a cluster's
workers need no shared folder. A job that fails (a worker that dies and is not replaced) raises
its error: a table is returned only when every job has delivered.

Jobs: TL, RF and 0-shot run one job per (protocol, seed) that reuses the frozen features for every
size; FT and 2L run one job per (protocol, seed, size). Results do not depend on this split nor on
``n_jobs``: the same seed gives the same curve.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import protocols as _protocols
from ._checks import check_int
from .data import Task, sample_counts
from .diskcache import CACHE_ENV_VAR as CACHE_ENV_VAR  # the cache's settings, also named here
from .diskcache import cache_folder
from .diskcache import default_cache_dir as default_cache_dir
from .jobs import check_n_jobs, run_jobs
from .networks import TwoLayerNet, resolve_device
from .specs import PROTOCOLS, Recipe, protocol_list

COLUMNS = ["protocol", "n", "alpha", "seed", "test_error", "stderr", "train_error"]


def learning_curves(
    source: TwoLayerNet,
    target: Task,
    *,
    protocols=("TL", "RF"),
    alphas=None,
    ns=None,
    seeds=(0, 1, 2),
    n_test: int = 10_000,
    n_jobs: int | None = None,
    cache: bool | str | Path = False,
    progress: bool = True,
    recipe: Recipe | None = None,
    **settings,
) -> pd.DataFrame:
    """Test errors of ``protocols`` for ``source`` on ``target`` over sizes and seeds.

    Parameters
    ----------
    source, target :
        The source network (:func:`tlcourse.networks.train_source`) and the target task.
    protocols :
        Any of :data:`tlcourse.protocols.PROTOCOLS`.
    alphas, ns :
        The grid of target training sizes: either ``alphas`` (``n = round(alpha * N)``,
        :func:`tlcourse.data.sample_counts`) or ``ns``.
    seeds :
        Integer seeds; each gives independent training and test samples (and random layers).
    n_test :
        Fresh target test samples per seed (the test error's standard error is printed with it).
    n_jobs :
        joblib workers. ``None`` (default): joblib's setting, the ``n_jobs`` of an enclosing
        ``joblib.parallel_config`` if it gives one, else one (serial, in this process). An
        integer overrides it (``-1``: all cores; ``0`` is refused); never more workers than
        jobs to compute. Under ``parallel_config(backend="dask")`` the cluster's workers run the
        jobs, whatever ``n_jobs``.
    cache :
        ``False`` (default), ``True`` (:func:`default_cache_dir`) or a folder (keep it private:
        an entry is a pickle), read and written by this process only.
    recipe, settings :
        How to train: a :class:`~tlcourse.specs.Recipe` (default: the course's), with keywords
        such as ``lam=0.05``, ``ft_lr=0.01`` or ``device="cpu"`` replacing some of its values.
        ``lam="cv"``: each readout's penalty chosen by cross-validation on its own training
        samples (the choice is part of the cache key, and a column ``readout_lam`` gives it).
        ``device="auto"`` is resolved here, on the calling machine (``"cuda"`` if it sees a GPU,
        else ``"cpu"``), and the resolved device is part of the cache key and of the table.

    Returns
    -------
    pandas.DataFrame
        Columns ``protocol``, ``n``, ``alpha`` (``n / N``), ``seed``, ``test_error``,
        ``stderr``, ``train_error``, and one column per parameter (``N``, ``K``,
        ``activation``, ``n_test`` and the recipe's settings); sorted by protocol (in the order
        given), size and seed. ``df.attrs["jobs"]`` and ``df.attrs["jobs_from_cache"]`` count
        the jobs and those read from the cache.
    """
    _protocols.check_target(target, _protocols.check_source(source))
    params = {"N": source.N, "K": source.K, "activation": source.activation}
    return sweep(_run_job, source, target, params, protocols=protocols, alphas=alphas, ns=ns,
                 seeds=seeds, n_test=n_test, n_jobs=n_jobs, cache=cache, progress=progress,
                 recipe=Recipe.from_settings(recipe, **settings), hidden_layers=1)


def sweep(job, source, target: Task, params: dict, *, protocols, alphas, ns, seeds,
          n_test: int, n_jobs: int | None, cache, progress: bool, recipe: Recipe,
          hidden_layers: int) -> pd.DataFrame:
    """:func:`learning_curves`'s loop for networks with ``hidden_layers`` hidden layers, shared
    by :func:`tlcourse.deep.learning_curves`: checks the grid (``protocols`` of that depth,
    ``alphas``/``ns``, ``seeds``, ``n_test``, ``n_jobs``), runs ``job(protocol, source, target,
    ns, seed, n_test, recipe)`` (a module-level function returning records) once per protocol
    and seed (and per size for :attr:`~tlcourse.specs.Protocol.one_job_per_size`), and returns
    :func:`curve_table` with ``params`` (the network's sizes and activation) and ``n_test``."""
    protocols = protocol_list(protocols, hidden_layers=hidden_layers)
    ns = sorted(set(sample_counts(target.N, alphas=alphas, ns=ns)))
    seeds = [check_int(s, "seeds", low=0) for s in ([seeds] if np.isscalar(seeds) else seeds)]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    n_test = check_int(n_test, "n_test", low=1)
    n_jobs = check_n_jobs(n_jobs)
    recipe = recipe.replace(device=resolve_device(recipe.device).type)  # "auto": this machine's

    folder = cache_folder(cache)
    jobs, job_seeds = [], []
    for p in protocols:
        for seed in seeds:
            groups = [[n] for n in ns] if PROTOCOLS[p].one_job_per_size else [ns]
            for group in groups:
                jobs.append((p, source, target, tuple(group), seed, n_test, recipe))
                job_seeds.append(seed)
    results = run_jobs(job, jobs, cache=folder, n_jobs=n_jobs, progress=progress,
                       desc="learning curves")
    return curve_table(results, job_seeds, protocols, {**params, "n_test": n_test}, recipe)


def curve_table(results, job_seeds: list[int], protocols: list[str], params: dict,
                recipe: Recipe) -> pd.DataFrame:
    """The table of :func:`learning_curves` from its jobs' ``results`` (a
    :class:`tlcourse.jobs.Results` of lists of records, one list per job, each job with its
    seed in ``job_seeds``): one row per record, the columns :data:`COLUMNS`, ``readout_lam``
    with ``lam="cv"``, then ``params`` (``params["N"]`` the input dimension) and the recipe's
    settings."""
    rows = [{**rec, "seed": seed} for seed, recs in zip(job_seeds, results, strict=True)
            for rec in recs]
    df = pd.DataFrame(rows)
    df["alpha"] = df["n"] / params["N"]
    # with lam="cv": the penalty each readout chose (the frozen protocols; NaN for the others)
    # (the column is there even when no protocol asked has a frozen readout)
    df = df.reindex(columns=COLUMNS + (["readout_lam"] if recipe.lam == "cv" else []))
    for key, value in {**params, **recipe.asdict()}.items():
        df[key] = value
    df["protocol"] = pd.Categorical(df["protocol"], categories=protocols, ordered=True)
    df = df.sort_values(["protocol", "n", "seed"], ignore_index=True)
    df.attrs.update(jobs=len(job_seeds), jobs_from_cache=results.from_cache)
    return df


def _run_job(protocol, source, target, ns, seed, n_test, recipe):
    """One job: :func:`tlcourse.protocols.protocol_curve` (the cache keys it by all of its
    arguments, the network and the task by their arrays, and by the package's code)."""
    return _protocols.protocol_curve(protocol, source, target, list(ns), rng=seed, n_test=n_test,
                                     recipe=recipe)
