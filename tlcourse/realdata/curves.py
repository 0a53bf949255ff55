"""Learning curves on real tasks: the transfer protocols of :mod:`tlcourse.protocols` on images.

:func:`real_learning_curves` trains a source network per source grouping and runs the protocols
(the same :func:`tlcourse.protocols.curve_on_samples` as for the model's tasks), tested on the
held-out images; :func:`curves_of` selects one source's curves; :func:`compare` gives a paired
difference of two curves with its standard error (:func:`tlcourse.stats.paired_difference`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import activations, networks, stats
from .. import protocols as _protocols
from .._checks import check_fraction, check_int, check_table
from ..data import sample_counts
from ..jobs import check_n_jobs, run_jobs
from ..specs import PROTOCOLS, Recipe, protocol_list
from .files import ImageData
from .tasks import _check_grouping, grouping_name, label_correlation, make_real_tasks


def real_learning_curves(
    data: ImageData,
    target_positive,
    sources,
    *,
    ns,
    seeds,
    K: int = 64,
    protocols=("TL", "2L", "RF"),
    source_fraction: float = 0.5,
    test_fraction: float = 0.3,
    activation: str = "erf",
    progress: bool = True,
    n_jobs: int | None = None,
    recipe: Recipe | None = None,
    readout_lams=(),
    **settings,
) -> pd.DataFrame:
    """Test errors of the transfer protocols on real tasks, over target sizes, sources and seeds.

    For each seed: the images are split with :func:`make_real_tasks` (``rng=seed``; the split does
    not depend on the groupings, so every source shares the same target pool and test set); for
    each source grouping in ``sources`` a network of width ``K`` is trained on the whole source
    pool with the course's recipe (:func:`tlcourse.networks.train` with ``recipe`` and
    ``settings``, as every protocol here: :class:`tlcourse.specs.Recipe`); then every protocol
    runs through :func:`tlcourse.protocols.curve_on_samples` on the first ``n`` images of one
    random draw of the target pool (nested sizes), tested on the held-out target images. ``2L``
    and ``RF`` never use the source's weights: they run once per seed, with ``source`` set to
    ``None``.

    ``sources`` is a dict ``{name: positive classes}`` or a single collection of classes;
    ``ns`` target training sizes (at most the pool size); ``seeds`` integers; ``recipe`` and
    ``settings`` (e.g. ``lam=0.05``, ``device="cpu"``) as for :func:`tlcourse.protocols.fit`.
    ``readout_lams``: further readout penalties (numbers ``> 0`` or ``"cv"``) at which the
    frozen-layer protocols (TL, RF) run again, on the same source networks, training images
    and test sets (so that a comparison at two penalties is paired seed by seed, and the source
    networks are trained once); every row says its penalty in the column ``lam``.
    One job per seed and source runs through joblib (:func:`tlcourse.jobs.run_jobs`): serial by
    default (``n_jobs=None``), ``n_jobs`` local processes, or a Dask cluster's workers inside
    ``joblib.parallel_config(backend="dask")``; the same table whichever runs it.

    Returns a DataFrame, one row per (source, protocol, n, seed), with the columns of
    :func:`tlcourse.curves.learning_curves` (``protocol, n, alpha = n / N, seed, test_error,
    stderr, train_error``; ``stderr = sqrt(e (1 - e) / n_test)`` from the held-out size) and
    ``source`` (name or ``None``), ``label_correlation`` (:func:`label_correlation` of source and
    target groupings), ``source_error`` (the source network's error on its own held-out images),
    ``n_test``, ``K``, ``N`` and the recipe's settings (``lam``: the row's readout penalty);
    with ``"cv"`` among the penalties, ``readout_lam``: the penalty cross-validation chose (NaN
    on the other rows).
    """
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData, got {type(data).__name__}")
    if not isinstance(sources, dict):
        sources = {grouping_name(sources): sources}
    if not sources:
        raise ValueError("sources must name at least one source grouping")
    # checked here, before any job runs: every grouping, fraction and name
    _check_grouping(target_positive, data.classes, "target_positive")
    for name, positive in sources.items():
        _check_grouping(positive, data.classes, f"sources[{name!r}]")
    source_fraction = check_fraction(source_fraction, "source_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    activations.get(activation, network=True)
    protocols = protocol_list(protocols, hidden_layers=1)
    seeds = [check_int(s, "seeds", low=0) for s in ([seeds] if np.isscalar(seeds) else seeds)]
    if (not np.isscalar(ns) and len(ns) == 0) or not seeds:
        raise ValueError("ns and seeds must not be empty")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct (each seed is one row per curve), got {seeds}")
    ns = sorted(set(sample_counts(data.images.shape[1], ns=ns)))
    K = check_int(K, "K", low=1)
    n_jobs = check_n_jobs(n_jobs)
    recipe = Recipe.from_settings(recipe, **settings)
    recipe = recipe.replace(device=networks.resolve_device(recipe.device).type)
    if isinstance(readout_lams, str) or np.isscalar(readout_lams):
        raise TypeError(f"readout_lams must be a sequence of penalties, got {readout_lams!r}")
    readouts = []
    for lam in readout_lams:
        try:
            readouts.append(recipe.replace(lam=lam))  # checked by Recipe
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"readout_lams: {exc}") from None

    jobs = [(data, target_positive, name, positive, i == 0, seed, ns, K, protocols,
             source_fraction, test_fraction, activation, recipe, readouts)
            for seed in seeds for i, (name, positive) in enumerate(sources.items())]
    results = run_jobs(_source_job, jobs, n_jobs=n_jobs, progress=progress,
                       desc="real-data curves")
    rows = [row for rows in results for row in rows]
    df = pd.DataFrame(rows)
    df["alpha"] = df["n"] / data.images.shape[1]
    for key, value in {"K": K, "N": data.images.shape[1], **recipe.asdict()}.items():
        if key != "lam":  # set row by row
            df[key] = value
    df["protocol"] = pd.Categorical(df["protocol"], categories=protocols, ordered=True)
    return df.sort_values(["protocol", "source", "n", "seed"], ignore_index=True,
                          na_position="first")


def _source_job(data, target_positive, name, positive, first, seed, ns, K, protocols,
                source_fraction, test_fraction, activation, recipe, readouts) -> list[dict]:
    """The rows of one seed and one source grouping (``first``: the first source, which also
    runs the source-free protocols; ``readouts``: recipes at further readout penalties, for
    the frozen-layer protocols)."""
    g_source, g_samples, g_protocol = np.random.SeedSequence(seed).spawn(3)
    src, tgt = make_real_tasks(data, positive, target_positive, rng=seed,
                               source_fraction=source_fraction, test_fraction=test_fraction)
    if ns[-1] > tgt.pool_size:
        raise ValueError(f"ns must be <= the target pool, {tgt.pool_size}, got {ns[-1]}")
    net = networks.TwoLayerNet(src.N, K, activation, rng=np.random.default_rng(g_source),
                               device=recipe.device)
    networks.train(net, src.X, src.y, recipe, rng=np.random.default_rng(g_source))
    source_error = networks.test_error(net, *src.test_set())[0]
    X, y = tgt.sample(ns[-1], rng=np.random.default_rng(g_samples))
    X_test, y_test = tgt.test_set()
    common = {"seed": seed, "source_error": source_error, "n_test": len(y_test),
              "label_correlation": label_correlation(positive, tgt.positive, data.classes)}
    rows = []
    for p in protocols:
        source_free = not PROTOCOLS[p].uses_source
        if source_free and not first:
            continue  # the same numbers as for the first source
        for rcp in [recipe, *(readouts if PROTOCOLS[p].frozen else ())]:
            records = _protocols.curve_on_samples(
                p, net, X, y, X_test, y_test, ns, rng=np.random.default_rng(g_protocol),
                recipe=rcp,
            )
            for rec in records:
                rows.append({**common, **rec, "source": None if source_free else name,
                             "lam": rcp.lam})
                if source_free:
                    rows[-1].update(label_correlation=np.nan, source_error=np.nan)
    return rows


def curves_of(df: pd.DataFrame, source) -> pd.DataFrame:
    """The rows of :func:`real_learning_curves` for one source, with the source-free protocols
    (2L, RF), ready for :func:`tlcourse.plotting.plot_learning_curves`."""
    df = check_table(df, ("protocol", "source", "seed"))
    if source not in set(df["source"].dropna()):
        raise ValueError(f"source must be one of {sorted(set(df['source'].dropna()))}, "
                         f"got {source!r}")
    return df[(df["source"] == source) | df["source"].isna()]


def compare(df: pd.DataFrame, a, b, n: int) -> tuple[float, float]:
    """Mean over seeds of ``error(a) - error(b)`` at target size ``n``, and its standard error.

    ``a`` and ``b`` are ``(protocol, source)`` pairs of a :func:`real_learning_curves` table
    (``source`` ``None`` for 2L and RF); the sign is that of every paired difference of the
    package (:mod:`tlcourse.stats`): positive when ``a`` has the larger error. The difference is
    paired seed by seed (same split, same training images) by
    :func:`tlcourse.stats.paired_rows`. Its standard error is the larger of the spread across
    seeds, ``std / sqrt(S)``, and the bound from the held-out size,
    ``sqrt(se_a^2 + se_b^2) / sqrt(S)`` with ``se = sqrt(e (1 - e) / n_test)``: a few seeds can
    underestimate the spread, the held-out size cannot.
    """
    df = check_table(df, (*stats.TABLE_COLUMNS, "n", "source"),
                     finite=("n", "seed", "test_error", "stderr"))
    n = check_int(n, "n", low=1)
    rows = []
    for pair, name in ((a, "a"), (b, "b")):
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"{name} must be a (protocol, source) pair, got {pair!r}")
        protocol, source = pair
        part = df[(df["protocol"] == protocol) & (df["n"] == n)]
        part = part[part["source"].isna()] if source is None else part[part["source"] == source]
        if part.empty:
            raise ValueError(f"no rows for protocol {protocol!r}, source {source!r} at n = {n}")
        rows.append(part)
    try:
        mean, se, _ = stats.paired_rows(*rows)
    except ValueError as exc:
        raise ValueError(f"{a} and {b} at n = {n}: {exc}") from None
    return mean, se
