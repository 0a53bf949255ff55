"""Learning curves: the tidy table, reproducibility, parallel = serial, the disk cache, plots."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from joblib import parallel_config

import tlcourse as tl
from tlcourse import curves, diskcache, networks, protocols, stats

matplotlib.use("Agg")

FAST = {"epochs": 30}


@pytest.fixture(scope="module")
def pair():
    src_task = tl.make_source(15, 30, rng=0)
    source = networks.train_source(src_task, 300, 20, rng=1, epochs=100)
    target = tl.make_target(src_task, teacher_perturbation=0.3, rng=2)
    return source, target


def _curves(pair, **kw):
    source, target = pair
    base = {"protocols": ("TL", "RF", "2L", "0-shot"), "alphas": [0.5, 2.0], "seeds": [0, 1],
            "n_test": 400, "progress": False, **FAST}
    return curves.learning_curves(source, target, **{**base, **kw})


def test_table_is_tidy_and_matches_the_protocol_runs(pair):
    source, target = pair
    df = _curves(pair)
    assert list(df.columns[:7]) == curves.COLUMNS
    assert len(df) == 4 * 2 * 2
    assert list(df["protocol"].cat.categories) == ["TL", "RF", "2L", "0-shot"]
    np.testing.assert_array_equal(df["alpha"], df["n"] / 30)
    assert set(df["n"]) == {15, 60}
    assert (df["lam"] == 0.1).all() and (df["K"] == 20).all() and (df["epochs"] == 30).all()
    # every row is what protocol_curve gives for that protocol, seed and size
    for (p, seed), part in df.groupby(["protocol", "seed"], observed=True):
        ref = protocols.protocol_curve(p, source, target, [15, 60], rng=seed, n_test=400, **FAST)
        assert part["test_error"].tolist() == [r["test_error"] for r in ref]


def test_same_seed_same_curve_serial_or_parallel(pair):
    a = _curves(pair)
    # threads here: loky's worker start-up (importing torch) would dominate this test; the
    # benchmark runs the process backend
    with parallel_config(backend="threading"):
        b = _curves(pair, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    c = _curves(pair, seeds=[2, 3])
    assert not np.array_equal(a["test_error"], c["test_error"])


def test_cache_serves_results_without_recomputing(pair, tmp_path, monkeypatch):
    first = _curves(pair, cache=tmp_path)
    assert any(tmp_path.rglob("*.pkl"))

    def fail(*args, **kwargs):
        raise AssertionError("recomputed instead of reading the cache")

    monkeypatch.setattr(protocols, "protocol_curve", fail)
    pd.testing.assert_frame_equal(_curves(pair, cache=tmp_path), first)
    # any parameter change is a new key
    for change in ({"lam": 0.2}, {"lam": "cv"}, {"n_test": 401}, {"epochs": 31}):
        with pytest.raises(AssertionError, match="recomputed"):
            _curves(pair, cache=tmp_path, protocols=("TL", "2L"), **change)
    # so is a change of the code
    monkeypatch.setattr(diskcache, "code_fingerprint", lambda: "another version")
    with pytest.raises(AssertionError, match="recomputed"):
        _curves(pair, cache=tmp_path)


def test_the_training_device_is_part_of_the_cache_key(pair, tmp_path, monkeypatch):
    first = _curves(pair, cache=tmp_path, protocols=("TL", "2L"), device="cpu")
    assert (first["device"] == "cpu").all()
    assert first.attrs == {"jobs": 2 + 2 * 2, "jobs_from_cache": 0}
    # "auto" is resolved before the key is made: on this CPU machine it is the same key
    if torch.cuda.is_available():
        pytest.skip("'auto' is the GPU here")
    again = _curves(pair, cache=tmp_path, protocols=("TL", "2L"), device="auto")
    assert again.attrs == {"jobs": 6, "jobs_from_cache": 6}
    pd.testing.assert_frame_equal(again, first)

    def fail(*args, **kwargs):
        raise AssertionError("recomputed instead of reading the cache")

    monkeypatch.setattr(protocols, "protocol_curve", fail)
    # the same call asking for a GPU (here a stand-in) is a new key, so it recomputes
    monkeypatch.setattr(curves, "resolve_device", lambda device: torch.device("cuda"))
    with pytest.raises(AssertionError, match="recomputed"):
        _curves(pair, cache=tmp_path, protocols=("TL", "2L"), device="cuda")


def test_cross_validated_penalty_is_reproducible_and_reported(pair):
    cv = _curves(pair, protocols=("TL", "RF", "2L"), lam="cv", cv_folds=3)
    frozen = cv[cv.protocol.isin(["TL", "RF"])].reset_index(drop=True)
    again = _curves(pair, protocols=("TL", "RF"), lam="cv", cv_folds=3)
    pd.testing.assert_frame_equal(again.astype({"protocol": str}),
                                  frozen.astype({"protocol": str}))
    assert frozen["readout_lam"].isin(tl.specs.LAM_GRID).all()
    assert cv[cv.protocol == "2L"]["readout_lam"].isna().all()
    assert (cv["lam"] == "cv").all()
    # a readout refitted at the chosen penalty gives the same test error as the table
    row = frozen[(frozen.protocol == "TL")].iloc[-1]
    fixed = _curves(pair, protocols=("TL",), lam=float(row.readout_lam), seeds=[row.seed])
    assert fixed[fixed.n == row.n]["test_error"].item() == row.test_error
    with pytest.raises(TypeError, match="'cv'"):
        _curves(pair, lam="tuned")


def test_cross_validated_penalty_column_without_a_frozen_protocol(pair):
    # with lam="cv" the table has its readout_lam column even when no protocol asked
    # has a readout to tune (it raised a KeyError)
    df = _curves(pair, protocols=("2L",), lam="cv", cv_folds=3)
    assert "readout_lam" in df.columns
    assert df["readout_lam"].isna().all()


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(curves.CACHE_ENV_VAR, str(tmp_path))
    assert curves.default_cache_dir() == tmp_path
    monkeypatch.delenv(curves.CACHE_ENV_VAR)
    assert curves.default_cache_dir().parts[-3:] == ("_build", "cache", "tlcourse")


def test_summarize_gives_mean_and_standard_error_across_seeds(pair):
    df = _curves(pair)
    s = stats.summarize(df)
    row = s[(s["protocol"] == "RF") & (s["alpha"] == 2.0)].iloc[0]
    errs = df[(df["protocol"] == "RF") & (df["alpha"] == 2.0)]["test_error"]
    ses = df[(df["protocol"] == "RF") & (df["alpha"] == 2.0)]["stderr"]
    assert row["test_error"] == pytest.approx(errs.mean())
    assert row["sem"] == pytest.approx(max(errs.std(), np.sqrt(np.mean(ses**2))) / np.sqrt(2))
    one = stats.summarize(df[df["seed"] == 0])
    np.testing.assert_allclose(one["sem"], df[df["seed"] == 0]["stderr"], rtol=1e-12)
    # the floor: two seeds that happen to agree still carry their test-set noise
    twins = df[df["seed"] == 0].assign(seed=1)
    both = stats.summarize(pd.concat([df[df["seed"] == 0], twins]))
    np.testing.assert_allclose(both["sem"], one["sem"] / np.sqrt(2), rtol=1e-12)


def test_plot_learning_curves_draws_every_protocol(pair):
    ax = tl.plotting.plot_learning_curves(_curves(pair))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [lab.split()[0] for lab in labels] == ["TL", "RF", "2L", "0-shot"]
    assert ax.get_xlabel().startswith("$\\alpha") and ax.get_ylabel() == "test error"
    matplotlib.pyplot.close("all")


def test_bad_inputs_name_the_argument(pair):
    source, target = pair
    with pytest.raises(ValueError, match="exactly one of alphas"):
        curves.learning_curves(source, target, alphas=[1], ns=[10])
    with pytest.raises(ValueError, match="exactly one of alphas"):
        curves.learning_curves(source, target)
    with pytest.raises(ValueError, match="alphas"):
        curves.learning_curves(source, target, alphas=[0.01])
    with pytest.raises(ValueError, match="alphas"):
        curves.learning_curves(source, target, alphas=[-1.0])
    with pytest.raises(ValueError, match="ns"):
        curves.learning_curves(source, target, ns=[0])
    with pytest.raises(ValueError, match="protocols"):
        curves.learning_curves(source, target, ns=[10], protocols=["TL", "ft"])
    with pytest.raises(ValueError, match="protocols"):
        curves.learning_curves(source, target, ns=[10], protocols=[])
    with pytest.raises(ValueError, match="seeds"):
        curves.learning_curves(source, target, ns=[10], seeds=[])
    with pytest.raises(ValueError, match="lam"):
        curves.learning_curves(source, target, ns=[10], lam=-0.1)
    with pytest.raises(TypeError, match="unknown settings"):
        curves.learning_curves(source, target, ns=[10], steps=10)
    with pytest.raises(ValueError, match="N = 31"):
        curves.learning_curves(source, tl.make_source(15, 31, rng=0), ns=[10])
    with pytest.raises(ValueError, match="df must have"):
        stats.summarize(pd.DataFrame({"protocol": ["TL"]}))
