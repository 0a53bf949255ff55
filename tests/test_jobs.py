"""The one disk cache and the job runner: entries that heal, keys that cover the code, writes that
are whole or absent, and ``n_jobs`` checked up front and capped at the number of jobs; then a
property-based fuzz (Hypothesis, derandomized) of the same."""

import os
import stat
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joblib import parallel_config

import tlcourse as tl
from tlcourse import curves, diskcache, jobs, networks
from tlcourse import realdata as rd
from tlcourse.diskcache import MISSING, DiskCache, function_fingerprint
from tlcourse.theory import transfer

CALLS = []


def _square(a):
    CALLS.append(a)
    return a * a


def _fails_on_three(a):
    if a == 3:
        raise ValueError("three")
    return -a


@pytest.fixture(autouse=True)
def _no_calls():
    CALLS.clear()


def _entries(folder):
    return sorted(folder.rglob("*.pkl"))


def test_a_second_call_reads_every_job_from_the_cache(tmp_path):
    first = jobs.run_jobs(_square, [(1,), (2,), (3,)], cache=tmp_path, progress=False)
    assert first == [1, 4, 9] and first.from_cache == 0 and CALLS == [1, 2, 3]
    again = jobs.run_jobs(_square, [(3,), (1,), (4,)], cache=tmp_path, progress=False)
    assert again == [9, 1, 16] and again.from_cache == 2 and CALLS == [1, 2, 3, 4]
    assert len(_entries(tmp_path)) == 4


def test_a_truncated_entry_is_recomputed_with_a_warning_and_rewritten(tmp_path):
    jobs.run_jobs(_square, [(1,), (2,)], cache=tmp_path, progress=False)
    damaged = DiskCache(tmp_path).path(_square, (2,))
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    with pytest.warns(RuntimeWarning, match="could not be read.*computed again and rewritten"):
        healed = jobs.run_jobs(_square, [(1,), (2,)], cache=tmp_path, progress=False)
    assert healed == [1, 4] and healed.from_cache == 1 and CALLS == [1, 2, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rewritten: read again without a warning
        assert jobs.run_jobs(_square, [(2,)], cache=tmp_path, progress=False).from_cache == 1
    for garbage in (b"", damaged.read_bytes()[:-1] + b"!"):  # empty, or one byte altered
        damaged.write_bytes(garbage)
        with pytest.warns(RuntimeWarning, match="could not be read"):
            assert DiskCache(tmp_path).load(_square, (2,)) is MISSING
        assert not damaged.exists()
        jobs.run_jobs(_square, [(2,)], cache=tmp_path, progress=False)


def test_a_changed_function_never_gets_the_old_results(tmp_path):
    plus = jobs.run_jobs(lambda a: a + 100, [(1,), (2,)], cache=tmp_path, progress=False)
    minus = jobs.run_jobs(lambda a: a - 100, [(1,), (2,)], cache=tmp_path, progress=False)
    assert plus == [101, 102] and minus == [-99, -98] and minus.from_cache == 0
    # the same code defined again (a notebook cell run again) keeps its key
    again = jobs.run_jobs(lambda a: a - 100, [(1,), (2,)], cache=tmp_path, progress=False)
    assert again == [-99, -98] and again.from_cache == 2


def test_the_key_covers_constants_defaults_and_closures_but_not_where_code_is():
    def make(scale):
        return lambda a: a * scale

    def defaults(a, b=1):
        return a + b

    def other_default(a, b=2):
        return a + b

    assert function_fingerprint(make(2)) == function_fingerprint(make(2))
    assert function_fingerprint(make(2)) != function_fingerprint(make(3))
    assert function_fingerprint(defaults) != function_fingerprint(other_default)
    assert function_fingerprint(lambda a: a + 1) != function_fingerprint(lambda a: a + 2)
    assert function_fingerprint(lambda a: a + 1) == function_fingerprint(lambda a: a + 1)


def test_the_package_code_is_part_of_its_functions_keys(tmp_path, monkeypatch):
    job = (3,)
    store = DiskCache(tmp_path)
    store.save(curves._run_job, job, "old")
    assert DiskCache(tmp_path).load(curves._run_job, job) == "old"
    monkeypatch.setattr(diskcache, "code_fingerprint", lambda: "another version")
    assert DiskCache(tmp_path).load(curves._run_job, job) is MISSING


def test_an_interrupted_write_leaves_no_entry_and_no_partial_file(tmp_path, monkeypatch):
    def interrupted(src, dst):  # Ctrl-C after the data is written, before it is in place
        assert os.path.getsize(src) > 32
        raise KeyboardInterrupt

    monkeypatch.setattr(diskcache.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_jobs(_square, [(1,)], cache=tmp_path, progress=False)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_finished_jobs_are_kept_when_a_later_one_fails(tmp_path):
    with pytest.raises(ValueError, match="three"):
        jobs.run_jobs(_fails_on_three, [(1,), (2,), (3,)], cache=tmp_path, progress=False)
    assert len(_entries(tmp_path)) == 2  # a rerun computes only what is missing


def test_cache_folders_are_private_and_a_shared_one_is_warned_about(tmp_path):
    folder = tmp_path / "new" / "cache"
    jobs.run_jobs(_square, [(1,)], cache=folder, progress=False)
    for made in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        assert stat.S_IMODE(made.stat().st_mode) & 0o077 == 0, made
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.warns(RuntimeWarning, match="writable by others.*private folder"):
        jobs.run_jobs(_square, [(1,)], cache=shared, progress=False)


def test_train_source_goes_through_the_same_cache_and_heals(tmp_path):
    task = tl.make_source(6, 12, rng=0)
    first = networks.train_source(task, 40, 4, rng=1, epochs=5, cache=tmp_path)
    (entry,) = _entries(tmp_path)
    entry.write_bytes(entry.read_bytes()[:50])
    with pytest.warns(RuntimeWarning, match="could not be read"):
        again = networks.train_source(task, 40, 4, rng=1, epochs=5, cache=tmp_path)
    np.testing.assert_array_equal(again.weights()[0], first.weights()[0])
    assert len(_entries(tmp_path)) == 1


def test_learning_curves_heal_a_damaged_entry(tmp_path):
    task = tl.make_source(6, 12, rng=0)
    source = networks.train_source(task, 40, 4, rng=1, epochs=5)
    kw = {"protocols": ("TL",), "ns": [6, 12], "seeds": [0], "n_test": 50, "progress": False,
          "cache": tmp_path}
    first = curves.learning_curves(source, task, **kw)
    (entry,) = _entries(tmp_path)
    entry.write_bytes(entry.read_bytes()[:-5])
    with pytest.warns(RuntimeWarning, match="could not be read"):
        again = curves.learning_curves(source, task, **kw)
    assert again.attrs == {"jobs": 1, "jobs_from_cache": 0}
    assert again["test_error"].tolist() == first["test_error"].tolist()


@pytest.mark.parametrize("bad", [0, 1.5, "2", True])
def test_n_jobs_is_checked_before_anything_runs(bad, tmp_path):
    error = ValueError if bad == 0 else TypeError
    with pytest.raises(error, match="n_jobs"):
        jobs.run_jobs(_square, [(1,)], n_jobs=bad, progress=False)
    assert CALLS == []
    task = tl.make_source(6, 12, rng=0)
    source = networks.TwoLayerNet(12, 4, rng=0)
    with pytest.raises(error, match="n_jobs"):  # all cached or not: refused at once
        curves.learning_curves(source, task, ns=[6], seeds=[0], n_jobs=bad, progress=False)
    W = np.ones((4, 12))
    with pytest.raises(error, match="n_jobs"):
        transfer.gain_map(W, W, task, "teacher_perturbation", [0.1], [1.0], 0.1, n_jobs=bad)
    with pytest.raises(error, match="n_jobs"):
        rd.real_learning_curves(rd.load_digits(), range(5), range(6), ns=[5], seeds=[0],
                                n_jobs=bad, progress=False)


def test_n_jobs_is_capped_at_the_number_of_jobs_to_compute(monkeypatch, tmp_path):
    asked = []
    real = jobs.Parallel

    def recording(n_jobs, **kw):
        asked.append(n_jobs)
        return real(n_jobs=1, **kw)

    monkeypatch.setattr(jobs, "Parallel", recording)
    assert jobs.run_jobs(_square, [(1,), (2,), (3,)], n_jobs=24, progress=False) == [1, 4, 9]
    jobs.run_jobs(_square, [(1,), (2,)], cache=tmp_path, progress=False)
    jobs.run_jobs(_square, [(1,), (2,), (5,)], n_jobs=-1, cache=tmp_path, progress=False)
    assert asked == [3, 1, 1]  # the last: one job left to compute


# ----------------------------------------------------------------------------- the fuzz
FUZZ = settings(derandomize=True, deadline=None, database=None)
job_lists = st.lists(st.tuples(st.integers(-10**6, 10**6)), max_size=8)


@settings(FUZZ, max_examples=100)
@given(job_lists, job_lists, st.sampled_from([None, 1, 2, 24, -1]))
def test_fuzz_results_are_the_function_s_in_order_cached_or_not(first, second, n_jobs):
    with tempfile.TemporaryDirectory() as folder, parallel_config(backend="threading"):
        done = jobs.run_jobs(_square, first, cache=folder, n_jobs=n_jobs, progress=False)
        assert done == [a * a for (a,) in first] and done.from_cache <= len(first)
        again = jobs.run_jobs(_square, second, cache=folder, n_jobs=n_jobs, progress=False)
        assert again == [a * a for (a,) in second]
        assert again.from_cache == sum(job in set(first) for job in second)


@settings(FUZZ, max_examples=100)
@given(st.lists(st.integers(0, 99), min_size=1, max_size=4, unique=True), st.data())
def test_fuzz_a_damaged_entry_is_never_served(values, data):
    with tempfile.TemporaryDirectory() as folder:
        job_list = [(v,) for v in values]
        jobs.run_jobs(_square, job_list, cache=folder, progress=False)
        entry = DiskCache(folder).path(_square, data.draw(st.sampled_from(job_list)))
        good = entry.read_bytes()
        where = data.draw(st.integers(0, len(good) - 1))
        damaged = data.draw(st.sampled_from([
            good[:where],  # truncated
            good[:where] + bytes([good[where] ^ data.draw(st.integers(1, 255))]) + good[where + 1:],
        ]))
        entry.write_bytes(damaged)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            healed = jobs.run_jobs(_square, job_list, cache=folder, progress=False)
        assert healed == [v * v for v in values] and healed.from_cache == len(values) - 1
        assert [str(w.message) for w in seen if "could not be read" in str(w.message)]


bad_n_jobs = st.one_of(st.just(0), st.floats(allow_nan=True), st.text(max_size=3), st.booleans(),
                       st.lists(st.integers(), max_size=2), st.complex_numbers())


@settings(FUZZ, max_examples=100)
@given(bad_n_jobs)
def test_fuzz_a_bad_n_jobs_is_refused_by_name_before_anything_runs(n_jobs):
    with pytest.raises((TypeError, ValueError), match="n_jobs"):
        jobs.run_jobs(_square, [(1,), (2,)], n_jobs=n_jobs, progress=False)
    assert CALLS == []


@settings(FUZZ, max_examples=60)
@given(st.one_of(st.integers(), st.text(max_size=3), st.none(), st.floats()))
def test_fuzz_jobs_that_are_not_argument_tuples_are_refused_by_name(job):
    for bad in (job, [(1,), job]):
        with pytest.raises(TypeError, match="jobs"):
            jobs.run_jobs(_square, bad, progress=False)
    assert CALLS == []
