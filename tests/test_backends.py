"""Sweeps on any joblib backend: a Dask cluster gives the same tables, shares the cache, and a
worker that dies mid-sweep is retried or fails the call, never a partial table.

The cluster is a ``dask.distributed.LocalCluster`` on loopback: two worker processes of one thread
each, no dashboard, started once for the module. Its scheduler gives a task up after two deaths of
a worker running it (``allowed-failures`` 1): one death is retried elsewhere, two are an error.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

import tlcourse as tl
from tlcourse import curves, jobs, networks
from tlcourse import realdata as rd
from tlcourse.data import Task
from tlcourse.theory import transfer

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

FAST = {"epochs": 20, "n_test": 300, "progress": False}


@pytest.fixture(scope="module")
def client():
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                 host="127.0.0.1", dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(__import__, "tlcourse.networks")  # the workers import PyTorch once, here
        yield client


@pytest.fixture(scope="module")
def pair():
    src_task = tl.make_source(10, 20, rng=0)
    source = networks.train_source(src_task, 100, 8, rng=1, epochs=40)
    return source, tl.make_target(src_task, teacher_perturbation=0.3, rng=2)


def _sweep(pair, target=None, **kw):
    source, task = pair
    grid = {"protocols": ("TL", "FT", "2L", "RF"), "ns": [10, 40], "seeds": [0, 1]}
    return curves.learning_curves(source, task if target is None else target,
                                  **{**grid, **FAST, **kw})


def test_dask_cluster_gives_exactly_the_default_backend_s_table(client, pair):
    serial = _sweep(pair)
    with parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        on_dask = _sweep(pair)
    pd.testing.assert_frame_equal(on_dask, serial)
    # the jobs really ran on the cluster's workers (joblib sends them in batches)
    workers = set(client.scheduler_info()["workers"])
    assert tasks.data and {t["worker"] for t in tasks.data} <= workers
    # an explicit n_jobs does not take the sweep off the configured backend
    with parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        pd.testing.assert_frame_equal(_sweep(pair, n_jobs=1), serial)
    assert tasks.data


def test_phase_diagram_and_real_data_curves_run_on_dask_unchanged(client, pair):
    task = tl.make_source(8, 16, rng=0)
    W_s = networks.train_source(task, 80, 6, rng=1, epochs=20).weights()[0]
    W_rf = np.random.default_rng(2).standard_normal(W_s.shape)
    args = (W_s, W_rf, task, "teacher_perturbation", [0.0, 0.5], [0.5, 2.0], 0.1)
    serial_map = transfer.gain_map(*args, n_jobs=1)
    data = rd.load_digits()
    real = {"sources": {"same": range(5), "even": [0, 2, 4, 6, 8]}, "ns": [5, 40],
            "seeds": [0, 1], "K": 8, "epochs": 20, "progress": False}
    serial_real = rd.real_learning_curves(data, range(5), **real)
    with parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        dask_map = transfer.gain_map(*args)
        dask_real = rd.real_learning_curves(data, range(5), **real)
    assert tasks.data
    np.testing.assert_array_equal(dask_map.tl, serial_map.tl)
    np.testing.assert_array_equal(dask_map.rf, serial_map.rf)
    pd.testing.assert_frame_equal(dask_real, serial_real)


def test_the_cache_is_shared_and_a_second_call_sends_the_cluster_nothing(client, pair, tmp_path):
    with parallel_config(backend="dask"):
        first = _sweep(pair, cache=tmp_path)
        with distributed.get_task_stream(client) as tasks:
            second = _sweep(pair, cache=tmp_path)
    assert first.attrs == {"jobs": 12, "jobs_from_cache": 0}
    assert second.attrs == {"jobs": 12, "jobs_from_cache": 12}
    assert tasks.data == []  # every job read from the cache, none sent to a worker
    pd.testing.assert_frame_equal(second, first)
    # the cache holds one entry per job, and the default backend reads the same ones
    assert len(list(tmp_path.rglob("*.pkl"))) == 12
    serial = _sweep(pair, cache=tmp_path)
    assert serial.attrs["jobs_from_cache"] == 12
    pd.testing.assert_frame_equal(serial, first)


def test_run_jobs_never_returns_fewer_results_than_jobs(monkeypatch):
    class Short:  # a backend stand-in that loses a result
        def __init__(self, **kw):
            pass

        def __call__(self, tasks):
            return iter([f(*a, **k) for f, a, k in tasks][:-1])

    monkeypatch.setattr(jobs, "Parallel", Short)
    with pytest.raises(RuntimeError, match="2 of 3 jobs delivered a result; no partial table"):
        jobs.run_jobs(abs, [(-1,), (-2,), (-3,)], progress=False, desc="sweep")


# ---------------------------------------------------------------- a worker that dies mid-sweep


def _in_dask_worker() -> bool:
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class DyingTask(Task):
    """A task whose sampling kills the dask worker process running it: ``"always"``, or once
    (``"once:<path>"``: the first time, leaving a file at ``path``)."""

    dies: str = "always"

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "dies": self.dies}

    def sample(self, *args, **kwargs):
        if _in_dask_worker():
            if self.dies == "always":
                os._exit(1)
            marker = Path(self.dies.removeprefix("once:"))
            if not marker.exists():
                marker.touch()
                os._exit(1)
        return super().sample(*args, **kwargs)


def _dying(target: Task, dies: str) -> DyingTask:
    return DyingTask(target.F, target.theta, target.activation, target.latent_ids, dies=dies)


def test_a_worker_that_dies_once_is_replaced_and_the_table_is_complete(client, pair, tmp_path):
    serial = _sweep(pair)
    marker = tmp_path / "died"
    with parallel_config(backend="dask"):
        table = _sweep(pair, target=_dying(pair[1], f"once:{marker}"))
    assert marker.exists()  # a worker did die
    pd.testing.assert_frame_equal(table, serial)


def test_a_job_whose_workers_keep_dying_fails_the_call(client, pair):
    with parallel_config(backend="dask"), pytest.raises(
        distributed.scheduler.KilledWorker, match="workers died while running it"
    ):
        _sweep(pair, target=_dying(pair[1], "always"), protocols=("TL",), seeds=[0])
