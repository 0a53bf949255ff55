"""Learning curves: any set of protocols over a grid of target sizes and seeds, as one table.

:func:`learning_curves` runs :func:`tlcourse.protocols.protocol_curve` for every protocol, seed
and size and returns a tidy :class:`pandas.DataFrame` (one row per protocol, seed and size), ready
for seaborn and for :func:`summarize`. It shows a ``tqdm`` progress bar, runs in parallel with
joblib (``n_jobs``), and can cache results on disk (``cache``) keyed by *all* parameters: the
source network's weights, the target task's arrays, sizes, seed, settings, and a fingerprint of
the package's code, so that rebuilding the book does not retrain and a change of code never
serves stale numbers.

Jobs: TL, RF and 0-shot run one job per (protocol, seed) that reuses the frozen features for every
size; FT and 2L run one job per (protocol, seed, size). Results do not depend on this split nor on
``n_jobs``: the same seed gives the same curve.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Memory, Parallel, delayed
from tqdm.auto import tqdm

from . import protocols as _protocols
from ._checks import check_choice, check_int, check_positive
from .data import Task
from .networks import TwoLayerNet

CACHE_ENV_VAR = "TLCOURSE_CACHE_DIR"
COLUMNS = ["protocol", "n", "alpha", "seed", "test_error", "stderr", "train_error"]


def default_cache_dir() -> Path:
    """Where cached curves live: ``$TLCOURSE_CACHE_DIR`` if set, else ``_build/cache/tlcourse``
    in the project (the folder holding ``_config.yml``), else ``~/.cache/tlcourse``."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR])
    root = Path(__file__).resolve().parents[1]
    if (root / "_config.yml").exists():
        return root / "_build" / "cache" / "tlcourse"
    return Path.home() / ".cache" / "tlcourse"


# the modules a learning curve's numbers depend on
_COMPUTING_MODULES = ("_checks", "activations", "curves", "data", "networks", "protocols",
                      "readout")


def code_fingerprint() -> str:
    """SHA-256 of the source of the modules that compute a curve: part of every cache key."""
    h = hashlib.sha256()
    folder = Path(__file__).resolve().parent
    for name in _COMPUTING_MODULES:
        h.update(name.encode())
        h.update((folder / f"{name}.py").read_bytes())
    return h.hexdigest()


def learning_curves(
    source: TwoLayerNet,
    target: Task,
    *,
    protocols=("TL", "RF"),
    alphas=None,
    ns=None,
    seeds=(0, 1, 2),
    n_test: int = 10_000,
    n_jobs: int = 1,
    cache: bool | str | Path = False,
    progress: bool = True,
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
        The grid of target training sizes: either ``alphas`` (``n = round(alpha * N)``) or ``ns``.
    seeds :
        Integer seeds; each gives independent training and test samples (and random layers).
    n_test :
        Fresh target test samples per seed (the test error's standard error is printed with it).
    n_jobs :
        joblib workers (1: in this process; -1: all cores).
    cache :
        ``False`` (default), ``True`` (:func:`default_cache_dir`) or a folder for joblib's
        ``Memory``.
    settings :
        ``lam``, ``epochs``, ``lr``, ``ft_lr``, ``weight_decay`` (:data:`protocols.DEFAULTS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``protocol``, ``n``, ``alpha`` (``n / N``), ``seed``, ``test_error``,
        ``stderr``, ``train_error``, and one column per parameter (``N``, ``K``,
        ``activation``, ``n_test`` and the settings); sorted by protocol (in the order given),
        size and seed.
    """
    if not isinstance(source, TwoLayerNet):
        raise TypeError(f"source must be a TwoLayerNet, got {type(source).__name__}")
    _protocols._check_target(target, source)
    protocols = [protocols] if isinstance(protocols, str) else list(protocols)
    if not protocols:
        raise ValueError("protocols must name at least one protocol")
    for p in protocols:
        check_choice(p, "protocols", _protocols.PROTOCOLS)
    ns = _grid(alphas, ns, target.N)
    seeds = [check_int(s, "seeds", low=0) for s in ([seeds] if np.isscalar(seeds) else seeds)]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    n_test = check_int(n_test, "n_test", low=1)
    n_jobs = check_int(n_jobs, "n_jobs")
    settings = _protocols._check_settings(settings)

    run = _run_job
    if cache is not False:
        location = default_cache_dir() if cache is True else Path(cache)
        run = Memory(location, verbose=0).cache(_run_job)
    W, v = source.weights()
    net_arrays = (W, v, source.activation, str(source.W.dtype).removeprefix("torch."))
    task_arrays = (target.F, target.theta, target.activation, target.latent_ids)
    fingerprint = code_fingerprint() if cache is not False else ""

    jobs, job_seeds = [], []
    for p in protocols:
        for seed in seeds:
            groups = [ns] if p in _protocols.FROZEN or p == "0-shot" else [[n] for n in ns]
            for group in groups:
                jobs.append(
                    delayed(run)(p, net_arrays, task_arrays, tuple(group), seed, n_test,
                                 tuple(sorted(settings.items())), fingerprint)
                )
                job_seeds.append(seed)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)  # in the order of jobs
    bar = tqdm(results, total=len(jobs), desc="learning curves", disable=not progress)
    rows = [{**rec, "seed": seed} for seed, recs in zip(job_seeds, bar, strict=True)
            for rec in recs]

    df = pd.DataFrame(rows)
    df["alpha"] = df["n"] / target.N
    df = df[COLUMNS]
    params = {"N": source.N, "K": source.K, "activation": source.activation, "n_test": n_test}
    for key, value in {**params, **settings}.items():
        df[key] = value
    df["protocol"] = pd.Categorical(df["protocol"], categories=protocols, ordered=True)
    return df.sort_values(["protocol", "n", "seed"], ignore_index=True)


def summarize(df: pd.DataFrame, x: str = "alpha") -> pd.DataFrame:
    """Mean test error and its standard error per protocol and size.

    The standard error of the mean over ``S`` seeds is the spread across seeds,
    ``std / sqrt(S)``, but never less than the test-set part of it,
    ``sqrt(mean(stderr^2) / S)``: with two or three seeds the spread alone can come out small by
    chance. With one seed it is that seed's test-set standard error. Columns:
    ``protocol, x, test_error, sem, seeds``.
    """
    for col in ("protocol", x, "seed", "test_error", "stderr"):
        if col not in df.columns:
            raise ValueError(f"df must have a column {col!r} (a learning_curves table)")
    grouped = df.groupby(["protocol", x], observed=True)
    out = grouped.agg(
        test_error=("test_error", "mean"),
        sd=("test_error", "std"),
        seeds=("seed", "nunique"),
        var_test=("stderr", lambda s: float(np.mean(np.square(s)))),
    ).reset_index()
    spread = out["sd"].fillna(0.0).to_numpy()
    out["sem"] = np.sqrt(np.maximum(spread**2, out["var_test"]) / out["seeds"])
    return out[["protocol", x, "test_error", "sem", "seeds"]]


def _grid(alphas, ns, N: int) -> list[int]:
    if (alphas is None) == (ns is None):
        raise ValueError("give exactly one of alphas (n = round(alpha * N)) or ns")
    if alphas is not None:
        alphas = [alphas] if np.isscalar(alphas) else list(alphas)
        ns = []
        for a in alphas:
            check_positive(a, "alphas")
            n = int(round(a * N))
            if n < 1:
                raise ValueError(f"alphas: alpha = {a} gives n = round(alpha * N) = {n} < 1")
            ns.append(n)
    else:
        ns = [check_int(n, "ns", low=1) for n in ([ns] if np.isscalar(ns) else ns)]
    if not ns:
        raise ValueError("the grid of sizes (alphas or ns) must not be empty")
    return sorted(set(ns))


def _run_job(protocol, net_arrays, task_arrays, ns, seed, n_test, settings, fingerprint):
    """One job: ``protocol_curve`` from plain arrays (hashable keys for joblib's ``Memory``)."""
    import torch

    W, v, activation, dtype = net_arrays
    source = TwoLayerNet.from_weights(W, v, activation, dtype=getattr(torch, dtype))
    target = Task(*task_arrays)
    return _protocols.protocol_curve(
        protocol, source, target, list(ns), rng=seed, n_test=n_test, **dict(settings)
    )


def paired_difference(
    df: pd.DataFrame, a: str, b: str, at: float, *, x: str = "alpha", level: float = 0.95
) -> dict:
    """Mean over seeds of ``error(b) - error(a)`` at ``x == at``, paired seed by seed.

    ``df`` is a :func:`learning_curves` table; protocols ``a`` and ``b`` of the same seed share
    their training and test samples, so the per-seed difference has less noise than either
    error. Returns ``{"mean", "se", "seeds", "t"}``: ``se`` is the spread of the differences
    over the ``S`` seeds, ``std / sqrt(S)``, but never less than the test-set part,
    ``sqrt(mean(stderr_a^2 + stderr_b^2) / S)``; ``t`` is the one-sided Student-t quantile at
    ``level`` with ``S - 1`` degrees of freedom, so that ``mean > t * se`` is a one-sided test
    at that level of the claim "b has the larger error" (``mean < -t * se``: the smaller).
    """
    from scipy import stats

    check_positive(level, "level")
    if not level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    for col in ("protocol", x, "seed", "test_error", "stderr"):
        if col not in df.columns:
            raise ValueError(f"df must have a column {col!r} (a learning_curves table)")
    rows = df[np.isclose(df[x].astype(float), at)]
    per = {}
    for name in (a, b):
        part = rows[rows["protocol"] == name].set_index("seed")
        if part.empty:
            raise ValueError(f"no rows for protocol {name!r} at {x} = {at}")
        per[name] = part
    d = (per[b]["test_error"] - per[a]["test_error"]).dropna()
    S = len(d)
    if S < 2:
        raise ValueError(f"need at least two seeds shared by {a} and {b} at {x} = {at}, got {S}")
    held_out = np.sqrt((per[a]["stderr"] ** 2 + per[b]["stderr"] ** 2).loc[d.index].mean() / S)
    se = max(float(d.std(ddof=1)) / np.sqrt(S), float(held_out))
    return {"mean": float(d.mean()), "se": se, "seeds": S,
            "t": float(stats.t.ppf(level, S - 1))}
