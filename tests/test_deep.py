"""Networks with two hidden layers and the depth protocols (tlcourse.deep)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

import tlcourse as tl
from tlcourse import curves, deep, featuremap, networks, protocols, readout, stats

FAST = {"epochs": 40}


@pytest.fixture(scope="module")
def source_task():
    return tl.make_source(10, 20, rng=0)


@pytest.fixture(scope="module")
def source(source_task):
    return deep.train_source(source_task, 200, 16, 12, rng=1, epochs=150)


@pytest.fixture(scope="module")
def target(source_task):
    return tl.make_target(source_task, teacher_perturbation=0.2, rng=2)


def test_forward_is_the_two_layer_map_stacked_and_weights_round_trip():
    net = deep.DeepNet(7, 5, 3, rng=0, dtype=torch.float64)
    W1, W2, v = net.weights()
    assert (W1.shape, W2.shape, v.shape) == ((5, 7), (3, 5), (3,))
    X = np.random.default_rng(1).standard_normal((9, 7))
    f = net(torch.from_numpy(X)).detach().numpy()
    h = featuremap.features(W1, X)
    np.testing.assert_allclose(f, featuremap.outputs(W2, v, h), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(deep.hidden_features(net, X, 1), h, rtol=0, atol=0)
    copy = deep.DeepNet.from_weights(W1, W2, v, dtype=torch.float64)
    for a, b in zip(copy.weights(), net.weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # same seed, same start; pickled as its weights
    for a, b in zip(deep.DeepNet(7, 5, 3, rng=0).weights(), deep.DeepNet(7, 5, 3, rng=0).weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    import pickle

    back = pickle.loads(pickle.dumps(net))
    for a, b in zip(back.weights(), net.weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_test_error_counts_the_mistakes_of_the_sign():
    net = deep.DeepNet(6, 4, 4, rng=3, dtype=torch.float64)
    X = np.random.default_rng(4).standard_normal((500, 6))
    f = net(torch.from_numpy(X)).detach().numpy()
    y = np.where(np.arange(500) < 100, -np.sign(f), np.sign(f))  # 100 mistakes
    err, se = deep.test_error(net, X, y)
    assert err == pytest.approx(0.2) and se == pytest.approx(math.sqrt(0.2 * 0.8 / 500))


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="K1 must be >= 1"):
        deep.DeepNet(5, 0, 3, rng=0)
    with pytest.raises(ValueError, match="activation"):
        deep.DeepNet(5, 2, 3, "sigmoid", rng=0)
    with pytest.raises(ValueError, match=r"W2 must have shape \(K2, K1\) with K1 = 4"):
        deep.DeepNet.from_weights(np.ones((4, 5)), np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="layers must be < 3"):
        deep.hidden_features(deep.DeepNet(5, 2, 3, rng=0), np.ones((2, 5)), 3)
    with pytest.raises(TypeError, match="source must be a DeepNet"):
        deep.test_error(networks.TwoLayerNet(5, 3, rng=0), np.ones((2, 5)), [1, -1])


def test_each_family_refuses_the_other_s_protocols(source, source_task, target):
    X, y = target.sample(30, rng=0)
    with pytest.raises(ValueError, match="protocol must be one of"):
        deep.fit("TL", source, X, y, rng=0)
    two = networks.TwoLayerNet(source.N, 8, rng=0)
    with pytest.raises(ValueError, match="protocol must be one of"):
        protocols.fit("TL2", two, X, y, rng=0)
    with pytest.raises(ValueError, match="protocols must be one of"):
        curves.learning_curves(two, target, protocols=("3L",), ns=[10])
    with pytest.raises(ValueError, match="protocols must be one of"):
        deep.learning_curves(source, target, protocols=("2L",), ns=[10])
    other = tl.make_source(10, 21, rng=0)
    with pytest.raises(ValueError, match="N = 21 but the source network expects N = 20"):
        deep.protocol_curve("TL2", source, other, [10], rng=0)
    with pytest.raises(TypeError, match="source must be a DeepNet"):
        deep.learning_curves(two, target, ns=[10])


def test_each_protocol_transfers_what_it_says(source, target):
    X, y = target.sample(60, rng=5)
    W1, W2, _ = source.weights()
    f32 = np.float32
    tl1 = deep.fit("TL1", source, X, y, rng=0, **FAST)
    np.testing.assert_array_equal(tl1.weights()[0], W1.astype(f32))  # first layer frozen
    assert not np.allclose(tl1.weights()[1], W2)  # second layer: its own, from a random start
    tl2 = deep.fit("TL2", source, X, y, rng=0, lam=0.1)
    np.testing.assert_array_equal(tl2.weights()[1], W2.astype(f32))
    V = deep.hidden_features(source, X)  # the readout is the convex solution on the features
    np.testing.assert_allclose(tl2.weights()[2], readout.fit_readout(V, y, 0.1), rtol=1e-6,
                               atol=1e-6)
    ft_start = deep.fit("FT2", source, X, y, rng=0, lam=0.1, epochs=0)
    for a, b in zip(ft_start.weights(), tl2.weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # FT2 starts exactly at TL2
    ft = deep.fit("FT2", source, X, y, rng=0, lam=0.1, **FAST)
    assert not np.array_equal(ft.weights()[0], W1.astype(f32))  # ...and moves every layer
    scratch = deep.fit("3L", source, X, y, rng=0, epochs=0)
    start = deep.DeepNet(source.N, source.K1, source.K2, rng=np.random.default_rng(0))
    for a, b in zip(scratch.weights(), start.weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for p in ("TL1", "TL2", "FT2", "3L"):  # the source is never modified
        deep.fit(p, source, X, y, rng=0, epochs=2)
    for a, b in zip(source.weights(), (W1, W2, source.weights()[2]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_curve_and_the_two_layer_protocols_samples(source, target):
    ns = [15, 40]
    for p in ("TL1", "TL2", "FT2", "3L"):
        a = deep.protocol_curve(p, source, target, ns, rng=11, n_test=300, **FAST)
        assert a == deep.protocol_curve(p, source, target, ns, rng=11, n_test=300, **FAST)
        assert [r["n"] for r in a] == ns and {r["protocol"] for r in a} == {p}
    # a size's result does not depend on the other sizes (each restarts its stream)
    one = deep.protocol_curve("3L", source, target, [40], rng=11, n_test=300, **FAST)
    assert one[0] == deep.protocol_curve("3L", source, target, ns, rng=11, n_test=300,
                                         **FAST)[1]
    # the target samples are those of the two-layer protocols with that seed: the 0-shot test
    # error of a two-layer network equals its error on the samples the deep curve drew
    g_train, g_test, *_ = np.random.default_rng(11).spawn(2 + len(tl.specs.PROTOCOLS))
    X_test, y_test = target.sample(300, rng=g_test)
    two = networks.TwoLayerNet(source.N, 8, rng=0)
    zero = protocols.protocol_curve("0-shot", two, target, [15], rng=11, n_test=300)[0]
    assert zero["test_error"] == networks.test_error(two, X_test, y_test)[0]


def test_learning_curves_table_as_the_two_layer_one(source, target, tmp_path):
    kw = dict(protocols=("TL2", "3L"), alphas=[0.5, 1.0], seeds=[0, 1], n_test=200,
              lam="cv", epochs=20, progress=False)
    df = deep.learning_curves(source, target, cache=tmp_path, **kw)
    assert list(df.columns[:8]) == curves.COLUMNS + ["readout_lam"]
    assert {"K1", "K2", "lam", "epochs"} <= set(df.columns)
    assert (df.K1.iloc[0], df.K2.iloc[0], df.N.iloc[0]) == (16, 12, 20)
    assert len(df) == 2 * 2 * 2 and df.attrs["jobs"] == 2 + 4
    assert df.loc[df.protocol == "TL2", "readout_lam"].notna().all()
    assert df.loc[df.protocol == "3L", "readout_lam"].isna().all()
    np.testing.assert_allclose(df.alpha, df.n / 20)
    again = deep.learning_curves(source, target, cache=tmp_path, **kw)
    assert again.attrs["jobs_from_cache"] == 6
    assert again.equals(df)
    rec = deep.protocol_curve("3L", source, target, [10, 20], rng=1, n_test=200, lam="cv",
                              epochs=20)
    row = df[(df.protocol == "3L") & (df.seed == 1) & (df.n == 20)].iloc[0]
    assert row.test_error == rec[1]["test_error"]
    stats.summarize(df)  # the statistics read it unchanged


def test_source_training_learns_and_caches(source_task, source, tmp_path):
    X, y = source_task.sample(4000, rng=9)
    err, se = deep.test_error(source, X, y)
    start = deep.DeepNet(source.N, 16, 12, rng=np.random.default_rng(1).spawn(3)[1])
    err0 = deep.test_error(start, X, y)[0]
    assert err < err0 - 3 * math.sqrt(2) * se  # training lowered the error, beyond the noise
    assert source.history.loss[-1] < source.history.loss[0]
    a = deep.train_source(source_task, 100, 6, 5, rng=2, epochs=5, cache=tmp_path)
    b = deep.train_source(source_task, 100, 6, 5, rng=2, epochs=5, cache=tmp_path)
    for u, w in zip(a.weights(), b.weights(), strict=True):
        np.testing.assert_array_equal(u, w)
    with pytest.raises(TypeError, match="integer rng"):
        deep.train_source(source_task, 100, 6, 5, rng=np.random.default_rng(0), cache=tmp_path)


def test_early_stopping_restores_every_layer_of_a_deep_network():
    X = np.random.default_rng(0).standard_normal((80, 6))
    y = np.sign(X[:, 0] + 0.5 * np.random.default_rng(1).standard_normal(80))
    net = deep.DeepNet(6, 5, 4, rng=0)
    hist = networks.train(net, X, y, rng=0, check_input=False, epochs=300, lr=0.05,
                          val_fraction=0.3, patience=2, eval_every=5)
    assert hist.best_epoch <= hist.epochs_run
    assert len(hist.val_loss) >= 1


def test_all_layers_transferred_win_on_identical_tasks_with_few_samples(source_task, source):
    # identical tasks, n = 20 samples: the frozen source layers (TL2) beat a network trained
    # from scratch (3L); a one-sided paired comparison over 6 seeds, Student-t at 99%
    diffs = []
    for seed in range(6):
        e = {p: deep.protocol_curve(p, source, source_task, [20], rng=seed, n_test=2000,
                                    lam=0.1)[0]["test_error"] for p in ("TL2", "3L")}
        diffs.append(e["3L"] - e["TL2"])
    mean, se = np.mean(diffs), np.std(diffs, ddof=1) / math.sqrt(6)
    assert mean > stats.t_quantile(6, 0.99) * se, diffs


def test_best_protocols_resolves_only_margins_beyond_student_t():
    nets = [1, 2, 3, 4]
    rows = []
    for alpha, ft_shift in ((0.5, 0.001), (2.0, 0.05)):
        for k, r in enumerate(nets):
            wobble = 0.004 * (-1) ** k  # a spread between networks
            errs = {"TL2": 0.20 + wobble, "3L": 0.30 - wobble,
                    "FT2": 0.20 + ft_shift - wobble}
            rows += [dict(protocol=p, alpha=alpha, seed=r, network=r, test_error=e)
                     for p, e in errs.items()]
    best = deep.best_protocols(pd.DataFrame(rows))
    assert list(best.best) == ["TL2", "TL2"]
    tie, clear = best.iloc[0], best.iloc[1]
    assert tie.runner_up == "FT2" and not tie.resolved and tie.tied == "FT2"
    assert clear.resolved and clear.tied == "" and clear.runner_up == "FT2"
    assert clear.margin == pytest.approx(0.05)
    # margin 0.05, spread +-0.008 over 4 networks: se = 0.008 / sqrt(4) * sqrt(4/3)
    assert clear.margin_se == pytest.approx(0.008 * math.sqrt(4 / 3) / 2)
    with pytest.raises(ValueError, match="network"):
        deep.best_protocols(pd.DataFrame(rows).drop(columns="network"))
    with pytest.raises(ValueError, match="every protocol must have run"):
        deep.best_protocols(pd.DataFrame(rows[:-1]))
