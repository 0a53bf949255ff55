"""Benchmark of issue 15: one learning-curve sweep on the default backend and on a Dask cluster.

Target, on this 2-core machine: the sweep on a ``dask.distributed.LocalCluster`` (2 worker
processes of one thread, loopback) takes at most 1.3x the time of the default backend (one
process, ``n_jobs=None``). Also timed: loky with ``n_jobs=2`` (two local processes). The cluster's
start-up (about the time of importing PyTorch in each worker) is timed apart: it is paid once per
session, not per sweep; so is a first short sweep on loky and on the cluster (the workers' first
use of PyTorch). On a machine whose cores other work keeps busy, neither loky nor Dask can run
faster than one process: the ratio then measures their overhead. Every backend gives the same
table (checked).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_backends.py [--epochs E]``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from joblib import parallel_config

import tlcourse as tl
from tlcourse import curves, networks


def sweep(source, target, epochs: int, **kw) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    df = curves.learning_curves(source, target, protocols=("TL", "FT", "2L", "RF"),
                                alphas=[0.5, 1.0, 2.0, 4.0], seeds=[0, 1, 2], n_test=5000,
                                progress=False, epochs=epochs, **kw)
    return time.perf_counter() - start, df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    src_task = tl.make_source(50, 100, rng=0)
    source = networks.train_source(src_task, 1000, 50, rng=1, epochs=300)
    target = tl.make_target(src_task, teacher_perturbation=0.3, rng=2)
    t_default, ref = sweep(source, target, args.epochs)
    print(f"default backend (n_jobs=None, one process): {t_default:6.1f} s, "
          f"{ref.attrs['jobs']} jobs")
    with parallel_config(backend="loky", n_jobs=2):
        sweep(source, target, 1)  # start the two loky workers (and their imports) first
        t_loky, df = sweep(source, target, args.epochs)
    pd.testing.assert_frame_equal(df, ref)
    print(f"loky, n_jobs=2:                             {t_loky:6.1f} s")
    start = time.perf_counter()
    with (LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                       dashboard_address=None) as cluster, Client(cluster) as client):
        client.run(__import__, "tlcourse.networks")
        t_start = time.perf_counter() - start
        with parallel_config(backend="dask"):
            sweep(source, target, 1)  # first use of PyTorch in each worker, as for loky above
            t_dask, df = sweep(source, target, args.epochs)
    pd.testing.assert_frame_equal(df, ref)
    print(f"dask LocalCluster, 2 workers:               {t_dask:6.1f} s "
          f"(cluster start-up {t_start:.1f} s, apart)")
    ratio = t_dask / t_default
    verdict = "met" if ratio <= 1.3 else "NOT met"
    print(f"ratio dask / default: {ratio:.2f} (target <= 1.3: {verdict}); "
          f"dask / loky: {t_dask / t_loky:.2f}")


if __name__ == "__main__":
    main()
