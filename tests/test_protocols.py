"""The protocols: the TL readout is optimal, FT starts at TL, seeds reproduce, bad inputs."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

import tlcourse as tl
from tlcourse import featuremap, networks, protocols, readout

FAST = {"epochs": 40}


@pytest.fixture(scope="module")
def source_task():
    return tl.make_source(20, 50, rng=0)


@pytest.fixture(scope="module")
def source(source_task):
    return networks.train_source(source_task, 500, 40, rng=1, epochs=150)


@pytest.fixture(scope="module")
def source64(source):
    W, v = source.weights()
    return networks.TwoLayerNet.from_weights(W, v, dtype=torch.float64)


@pytest.fixture(scope="module")
def target(source_task):
    return tl.make_target(source_task, teacher_perturbation=0.2, rng=2)


@pytest.fixture(scope="module")
def target_samples(target):
    return target.sample(120, rng=3)


def test_tl_readout_is_optimal_and_matches_an_independent_solver(source, target_samples):
    X, y = target_samples
    lam = 0.1
    net = protocols.fit("TL", source, X, y, lam=lam, rng=0)
    W_s = source.weights()[0]
    np.testing.assert_array_equal(net.weights()[0], W_s.astype(np.float32))  # frozen
    V = featuremap.features(W_s, X, "erf")
    v = readout.fit_readout(V, y, lam)
    g0 = np.linalg.norm(readout.gradient(np.zeros(40), V, y, lam))
    assert np.linalg.norm(readout.gradient(v, V, y, lam)) < 1e-5 * g0
    # an independent solver on the same objective: SciPy's trust-region method
    ref = minimize(readout.objective, np.zeros(40), args=(V, y, lam), jac=readout.gradient,
                   method="trust-constr", options={"gtol": 1e-12, "xtol": 1e-14, "maxiter": 5000})
    np.testing.assert_allclose(v, ref.x, rtol=1e-4, atol=1e-5 * np.abs(ref.x).max())
    # the network's readout is that solution (stored in the network's float32)
    np.testing.assert_allclose(net.weights()[1], v, rtol=1e-6, atol=1e-7 * np.abs(v).max())


def test_fine_tuning_starts_exactly_at_the_tl_solution(source64, target_samples):
    X, y = target_samples
    tl_net = protocols.fit("TL", source64, X, y, lam=0.1, rng=0)
    ft0 = protocols.fit("FT", source64, X, y, lam=0.1, rng=0, epochs=0)
    for a, b in zip(tl_net.weights(), ft0.weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ft0.weights()[0], source64.weights()[0])
    ft = protocols.fit("FT", source64, X, y, lam=0.1, rng=0, epochs=20)
    assert ft.history.loss[0] == pytest.approx(
        float(np.logaddexp(0, -y * featuremap.outputs(*tl_net.weights(), X)).mean()), rel=1e-12
    )
    assert ft.history.loss[-1] < ft.history.loss[0]


def test_source_network_is_not_modified(source, target_samples):
    X, y = target_samples
    before = source.weights()
    for p in ("FT", "0-shot"):
        protocols.fit(p, source, X, y, rng=0, **FAST)
    np.testing.assert_array_equal(source.weights()[0], before[0])
    np.testing.assert_array_equal(source.weights()[1], before[1])


def test_rf_first_layer_is_random_and_2l_starts_at_random(source, target_samples):
    X, y = target_samples
    rf = protocols.fit("RF", source, X, y, rng=5)
    W = rf.weights()[0]
    np.testing.assert_array_equal(W, protocols.random_first_layer(40, 50, 5).astype(np.float32))
    two = protocols.fit("2L", source, X, y, rng=5, epochs=0)
    start = networks.TwoLayerNet(50, 40, rng=5).weights()[0]
    np.testing.assert_array_equal(two.weights()[0], start)


def test_same_seed_same_curve_and_protocols_do_not_share_streams(source, target):
    ns = [20, 60]
    for p in [p for p, spec in protocols.PROTOCOLS.items() if spec.hidden_layers == 1]:
        a = protocols.protocol_curve(p, source, target, ns, rng=11, n_test=500, **FAST)
        b = protocols.protocol_curve(p, source, target, ns, rng=11, n_test=500, **FAST)
        assert a == b
        assert [r["n"] for r in a] == ns and {r["protocol"] for r in a} == {p}
    other = protocols.protocol_curve("2L", source, target, ns, rng=12, n_test=500, **FAST)
    assert other != protocols.protocol_curve("2L", source, target, ns, rng=11, n_test=500, **FAST)


def test_single_size_equals_the_curve_at_that_size(source, target):
    curve = protocols.protocol_curve("TL", source, target, [15, 40, 80], rng=4, n_test=800)
    err, se = protocols.run_protocol("TL", source, target, 40, rng=4, n_test=800)
    assert (err, se) == (curve[1]["test_error"], curve[1]["stderr"])


def test_curve_on_given_samples_is_the_loop_of_protocol_curve(source, target_samples):
    """Real-data tasks use the same loop on their own arrays: same streams, same numbers."""
    X, y = target_samples
    for p in ("RF", "2L"):
        a = protocols.curve_on_samples(p, source, X[:60], y[:60], X[60:], y[60:], [20, 60],
                                       rng=np.random.default_rng(7), **FAST)
        b = protocols.curve_on_samples(p, source, X[:60], y[:60], X[60:], y[60:], [60],
                                       rng=np.random.default_rng(7), **FAST)
        assert a[1] == b[0]  # each size restarts the protocol's stream
    with pytest.raises(ValueError, match="ns must be <= the number of training samples, 60"):
        protocols.curve_on_samples("TL", source, X[:60], y[:60], X[60:], y[60:], [61], rng=0)


def test_zero_shot_is_the_source_network_on_the_target_test_set(source, target):
    rec = protocols.protocol_curve("0-shot", source, target, [10, 30], rng=4, n_test=700)
    g_test = np.random.default_rng(4).spawn(2)[1]
    X, y = target.sample(700, rng=g_test)
    err, se = networks.test_error(source, X, y)
    assert rec[0]["test_error"] == rec[1]["test_error"] == err
    assert rec[0]["stderr"] == pytest.approx(np.sqrt(err * (1 - err) / 700))


def test_transfer_beats_random_features_on_the_source_task_itself(source, source_task):
    # a learned first layer transfers to the same task: TL below RF at few samples, by more
    # than 4 combined standard errors (test sets of 4000 samples)
    tl_rec = protocols.protocol_curve("TL", source, source_task, [100], rng=6, n_test=4000)[0]
    rf_rec = protocols.protocol_curve("RF", source, source_task, [100], rng=6, n_test=4000)[0]
    gap = rf_rec["test_error"] - tl_rec["test_error"]
    assert gap > 4 * np.hypot(tl_rec["stderr"], rf_rec["stderr"])


def test_bad_inputs_name_the_argument(source, target, target_samples):
    X, y = target_samples
    with pytest.raises(ValueError, match="lam"):
        protocols.fit("TL", source, X, y, lam=-0.1, rng=0)
    with pytest.raises(ValueError, match="lam"):
        protocols.protocol_curve("RF", source, target, [10], rng=0, lam=-1.0)
    with pytest.raises(ValueError, match="protocol"):
        protocols.fit("transfer", source, X, y, rng=0)
    with pytest.raises(ValueError, match="protocol"):
        protocols.run_protocol("tl", source, target, 10, rng=0)
    wide = tl.make_source(20, 60, rng=0)
    with pytest.raises(ValueError, match="N = 60.*N = 50"):
        protocols.run_protocol("TL", source, wide, 10, rng=0)
    with pytest.raises(ValueError, match="input dimension 60.*N = 50"):
        protocols.fit("TL", source, wide.sample(10, rng=0)[0], y[:10], rng=0)
    with pytest.raises(ValueError, match="non-empty"):
        protocols.fit("TL", source, X[:0], y[:0], rng=0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        protocols.run_protocol("TL", source, target, 0, rng=0)
    with pytest.raises(ValueError, match="ns must"):
        protocols.protocol_curve("TL", source, target, [], rng=0)
    with pytest.raises(ValueError, match="n_test"):
        protocols.run_protocol("TL", source, target, 10, rng=0, n_test=0)
    with pytest.raises(TypeError, match="unknown settings"):
        protocols.run_protocol("TL", source, target, 10, rng=0, learning_rate=0.1)
    with pytest.raises(TypeError, match="source"):
        protocols.fit("TL", source.weights()[0], X, y, rng=0)
    with pytest.raises(TypeError, match="target"):
        protocols.run_protocol("TL", source, X, 10, rng=0)


@pytest.mark.parametrize(("protocol", "calls"), [("FT", 2), ("2L", 2), ("TL", 1), ("RF", 1)])
def test_the_recipe_s_device_reaches_every_network_built(source, target_samples, monkeypatch,
                                                         protocol, calls):
    # a GPU-less stand-in: every device request is recorded, and served by the CPU
    requested = []

    def spy(device="auto"):
        if not isinstance(device, torch.device):  # a name: a request, not a network's own
            requested.append(device)
        return torch.device("cpu")

    monkeypatch.setattr(networks, "resolve_device", spy)
    X, y = target_samples
    net = protocols.fit(protocol, source, X[:60], y[:60], rng=0, epochs=2, device="cuda")
    assert net.W.device.type == "cpu"
    # the target network is built on the device (TL, RF), and trained there (FT, 2L)
    assert requested == ["cuda"] * calls
