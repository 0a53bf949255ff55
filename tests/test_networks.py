"""The two-layer network: its formula, feature map, training, reproducibility and bad inputs."""

import math

import numpy as np
import pytest
import torch

import tlcourse as tl
from tlcourse import activations, diskcache, featuremap, networks, stats
from tlcourse.networks import TwoLayerNet


@pytest.fixture(scope="module")
def task():
    return tl.make_source(20, 40, rng=0)


@pytest.fixture(scope="module")
def samples(task):
    return task.sample(300, rng=1)


@pytest.mark.parametrize("activation", activations.NETWORK_ACTIVATIONS)
def test_forward_is_the_formula(samples, activation):
    X, _ = samples
    net = TwoLayerNet(40, 30, activation, rng=2, dtype=torch.float64)
    W, v = net.weights()
    h = X @ W.T / math.sqrt(40)
    expected = tl.activations.apply(activation, h) @ v / math.sqrt(30)
    got = net(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(featuremap.outputs(W, v, X, activation), expected, rtol=1e-12)


def test_features_in_blocks_match_one_product(samples, monkeypatch):
    X, _ = samples
    W = np.random.default_rng(3).standard_normal((25, 40))
    whole = featuremap.features(W, X, "erf")
    monkeypatch.setattr(featuremap, "CHUNK_ROWS", 7)
    np.testing.assert_allclose(featuremap.features(W, X, "erf"), whole, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(whole, tl.activations.apply("erf", X @ W.T / math.sqrt(40)))
    assert whole.shape == (300, 25) and whole.dtype == np.float64


def test_random_start_is_standard_gaussian_and_seeded():
    a, b = TwoLayerNet(200, 100, rng=5), TwoLayerNet(200, 100, rng=5)
    np.testing.assert_array_equal(a.weights()[0], b.weights()[0])
    W = a.weights()[0]
    # mean and variance of 20 000 N(0, 1) entries: 5 standard errors
    assert abs(W.mean()) < 5 / math.sqrt(W.size)
    assert abs(W.var() - 1) < 5 * math.sqrt(2 / W.size)
    assert not np.array_equal(W, TwoLayerNet(200, 100, rng=6).weights()[0])


def test_from_weights_round_trip_and_clone():
    rng = np.random.default_rng(0)
    W, v = rng.standard_normal((7, 5)), rng.standard_normal(7)
    net = TwoLayerNet.from_weights(W, v, "tanh", dtype=torch.float64)
    np.testing.assert_array_equal(net.weights()[0], W)
    np.testing.assert_array_equal(net.weights()[1], v)
    twin = net.clone()
    with torch.no_grad():
        twin.W.zero_()
    np.testing.assert_array_equal(net.weights()[0], W)  # the clone is independent
    assert (twin.N, twin.K, twin.activation) == (5, 7, "tanh")


@pytest.mark.parametrize("batch_size", [None, 64])
def test_training_lowers_the_loss(samples, batch_size):
    X, y = samples
    net = TwoLayerNet(40, 30, rng=4)
    hist = networks.train(net, X, y, epochs=60, batch_size=batch_size, rng=0)
    assert len(hist.loss) == 61 and hist.epochs_run == 60
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    with torch.no_grad():  # the recorded final loss is the network's
        assert hist.loss[-1] == pytest.approx(
            networks.logistic_loss(net, torch.as_tensor(X, dtype=torch.float32),
                                   torch.as_tensor(y, dtype=torch.float32)).item(), rel=1e-6)


def test_zero_epochs_leave_the_network_unchanged(samples):
    X, y = samples
    net = TwoLayerNet(40, 30, rng=4)
    before = net.weights()
    networks.train(net, X, y, epochs=0)
    np.testing.assert_array_equal(net.weights()[0], before[0])
    np.testing.assert_array_equal(net.weights()[1], before[1])


def test_early_stopping_restores_the_best_checkpoint(samples):
    X, y = samples
    net = TwoLayerNet(40, 30, rng=4)
    # a large learning rate without weight decay overfits 210 samples quickly
    hist = networks.train(
        net, X, y, epochs=2000, lr=0.05, weight_decay=0.0, val_fraction=0.3, patience=5,
        eval_every=5, rng=1,
    )
    assert hist.epochs_run < 2000  # it stopped
    best = int(np.argmin(hist.val_loss))
    assert hist.best_epoch == 5 * (best + 1)
    assert len(hist.val_loss) - 1 - best == 5  # exactly `patience` checks without improvement
    order = np.random.default_rng(1).permutation(300)
    Xv, yv = X[order[:90]], y[order[:90]]
    with torch.no_grad():
        val = networks.logistic_loss(net, torch.as_tensor(Xv, dtype=torch.float32),
                                     torch.as_tensor(yv, dtype=torch.float32)).item()
    assert val == pytest.approx(hist.val_loss[best], rel=1e-6)


def test_same_seed_same_source_network(task):
    a = networks.train_source(task, 200, 20, rng=7, epochs=30)
    b = networks.train_source(task, 200, 20, rng=7, epochs=30)
    c = networks.train_source(task, 200, 20, rng=8, epochs=30)
    np.testing.assert_array_equal(a.weights()[0], b.weights()[0])
    assert not np.array_equal(a.weights()[0], c.weights()[0])
    assert a.history.loss[-1] < a.history.loss[0]


def test_cached_source_network_is_the_trained_one(task, tmp_path, monkeypatch):
    fresh = networks.train_source(task, 200, 20, rng=7, epochs=30)
    first = networks.train_source(task, 200, 20, rng=7, epochs=30, cache=tmp_path)
    assert any(tmp_path.rglob("*.pkl"))

    def fail(*args, **kwargs):
        raise AssertionError("trained again instead of reading the cache")

    monkeypatch.setattr(networks, "train", fail)
    again = networks.train_source(task, 200, 20, rng=7, epochs=30, cache=tmp_path)
    for net in (first, again):  # the same float32 weights, history and random start
        assert net.W.dtype == fresh.W.dtype and net.activation == fresh.activation
        torch.testing.assert_close(net.W, fresh.W, rtol=0, atol=0)
        torch.testing.assert_close(net.v, fresh.v, rtol=0, atol=0)
        assert net.history == fresh.history
        for a, b in zip(net.initial_weights, fresh.initial_weights, strict=True):
            np.testing.assert_array_equal(a, b)
    # any argument or the code changed: a new key, so it trains
    for change in ({"rng": 8}, {"epochs": 31}, {"weight_decay": 0.2}):
        with pytest.raises(AssertionError, match="trained again"):
            networks.train_source(task, 200, 20, cache=tmp_path, **{"rng": 7, "epochs": 30,
                                                                     **change})
    with pytest.raises(AssertionError, match="trained again"):
        networks.train_source(task, 201, 20, rng=7, epochs=30, cache=tmp_path)
    monkeypatch.setattr(diskcache, "code_fingerprint", lambda: "another version")
    with pytest.raises(AssertionError, match="trained again"):
        networks.train_source(task, 200, 20, rng=7, epochs=30, cache=tmp_path)


def test_train_sources_are_the_networks_of_train_source(task, tmp_path):
    # two workers: the networks, their histories and random starts come back from a process
    nets = networks.train_sources(task, 200, 20, rngs=[8, 7], n_jobs=2, epochs=30,
                                  weight_decay=0.2, cache=tmp_path)
    assert list(nets) == [8, 7]
    for r, net in nets.items():
        one = networks.train_source(task, 200, 20, rng=r, epochs=30, weight_decay=0.2)
        torch.testing.assert_close(net.W, one.W, rtol=0, atol=0)
        torch.testing.assert_close(net.v, one.v, rtol=0, atol=0)
        assert net.history == one.history
        np.testing.assert_array_equal(net.initial_weights[0], one.initial_weights[0])
    assert len(list(tmp_path.rglob("*.pkl"))) == 2  # the entries train_source reads
    for bad, exc in ((7, TypeError), ([7, 7], ValueError), ([], ValueError), ([-1], ValueError)):
        with pytest.raises(exc, match="rngs"):
            networks.train_sources(task, 200, 20, rngs=bad, epochs=30)


def test_cached_source_network_needs_a_seed(task, tmp_path):
    with pytest.raises(TypeError, match="cache needs an integer rng"):
        networks.train_source(task, 200, 20, rng=np.random.default_rng(7), cache=tmp_path)
    with pytest.raises(TypeError, match="cache must be True, False or a folder"):
        networks.train_source(task, 200, 20, rng=7, cache=3)


def test_test_error_and_its_standard_error(samples):
    X, y = samples
    net = TwoLayerNet(40, 30, rng=4)
    W, v = net.weights()
    err, se = networks.test_error(net, X, y)
    wrong = np.sign(featuremap.outputs(W, v, X)) != y
    assert err == wrong.mean()
    assert se == pytest.approx(math.sqrt(err * (1 - err) / 300))
    assert stats.error_and_stderr(y, y) == (0.0, 0.0)


def test_bad_inputs_name_the_argument(task, samples):
    X, y = samples
    net = TwoLayerNet(40, 30, rng=0)
    with pytest.raises(ValueError, match="activation"):
        TwoLayerNet(40, 30, "sigmoid", rng=0)
    with pytest.raises(ValueError, match="activation"):
        TwoLayerNet(40, 30, "sign", rng=0)  # not differentiable: data only
    with pytest.raises(ValueError, match="K"):
        TwoLayerNet(40, 0, rng=0)
    with pytest.raises(ValueError, match="dtype"):
        TwoLayerNet(40, 3, rng=0, dtype=torch.float16)
    with pytest.raises(ValueError, match="input dimension 39.*N = 40"):
        networks.train(net, X[:, :39], y)
    with pytest.raises(ValueError, match="non-empty"):
        networks.train(net, X[:0], y[:0])
    with pytest.raises(ValueError, match="y must"):
        networks.train(net, X, y[:-1])
    with pytest.raises(ValueError, match="-1 and \\+1"):
        networks.train(net, X, (y + 1) / 2)
    with pytest.raises(ValueError, match="lr"):
        networks.train(net, X, y, lr=0.0)
    with pytest.raises(ValueError, match="epochs"):
        networks.train(net, X, y, epochs=-1)
    with pytest.raises(ValueError, match="weight_decay"):
        networks.train(net, X, y, weight_decay=-0.1)
    with pytest.raises(ValueError, match="optimizer"):
        networks.train(net, X, y, optimizer="lbfgs")
    with pytest.raises(ValueError, match="val_fraction"):
        networks.train(net, X, y, val_fraction=1.0)
    with pytest.raises(ValueError, match="val_fraction"):
        networks.train(net, X[:3], y[:3], val_fraction=0.1)
    with pytest.raises(ValueError, match="batch_size"):
        networks.train(net, X, y, batch_size=0)
    with pytest.raises(ValueError, match="N = 40"):
        featuremap.features(np.ones((3, 40)), X[:, :10])
    with pytest.raises(ValueError, match="v must"):
        TwoLayerNet.from_weights(np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match="n_samples"):
        networks.train_source(task, 0, 10, rng=0)
    with pytest.raises(TypeError, match="task"):
        networks.train_source(X, 10, 10, rng=0)
    with pytest.raises(TypeError, match="rng"):
        TwoLayerNet(40, 30, rng=None)


def test_test_error_refuses_what_it_cannot_judge(samples):
    X, y = samples
    net = TwoLayerNet(40, 30, rng=0)
    with pytest.raises(ValueError, match="X must be finite"):
        networks.test_error(net, np.full_like(X, np.nan), y)  # was an error of 0.54
    with pytest.raises(ValueError, match=r"y must have shape \(n,\)"):
        networks.test_error(net, X, y[:, None])
    with pytest.raises(ValueError, match=r"y must contain only -1 and \+1"):
        networks.test_error(net, X, (y + 1) / 2)
    with pytest.raises(ValueError, match="y must be finite"):
        networks.test_error(net, X, np.where(y > 0, np.nan, y))
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        networks.test_error(net, X.astype(str), y)
    with pytest.raises(TypeError, match="net must be a TwoLayerNet"):
        networks.test_error(net.weights(), X, y)
    X_inf = X.copy()
    X_inf[3, 5] = np.inf
    with pytest.raises(ValueError, match="X must be finite"):
        networks.train(net, X_inf, y, epochs=1)


def test_divergence_is_an_error_not_a_nan(samples):
    X, y = samples
    net = TwoLayerNet(40, 30, "linear", rng=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        networks.train(net, X, y, optimizer="sgd", lr=1e30, epochs=20)


def test_lean_erf_backward_matches_autograd(samples):
    X, y = samples
    net = TwoLayerNet(40, 30, "erf", rng=3, dtype=torch.float64)
    Xt, yt = torch.as_tensor(X[:50]), torch.as_tensor(y[:50])
    grads = []
    for requires_grad in (False, True):  # the lean path, then autograd's generic one
        net.zero_grad()
        networks.logistic_loss(net, Xt.clone().requires_grad_(requires_grad), yt).backward()
        grads.append((net.W.grad.clone(), net.v.grad.clone()))
    for lean, generic in zip(*grads, strict=True):
        torch.testing.assert_close(lean, generic, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- the training device


@pytest.mark.skipif(torch.cuda.is_available(), reason="'auto' is the GPU here")
def test_cpu_and_auto_train_the_same_network_bit_for_bit():
    """On a machine without a GPU, device="cpu" and "auto" are one training: same weights, same
    losses, with the full batch and with mini-batches and early stopping (their shuffles)."""
    src_task = tl.make_source(10, 20, rng=0)
    batching = dict(epochs=20, batch_size=32, val_fraction=0.2, patience=2, eval_every=2)
    for settings in (dict(epochs=40), batching):
        cpu, auto = (networks.train_source(src_task, 100, 8, rng=1, device=d, **settings)
                     for d in ("cpu", "auto"))
        for net in (cpu, auto):
            assert net.W.device.type == "cpu" and net.W.dtype == torch.float32
        torch.testing.assert_close(cpu.W, auto.W, rtol=0, atol=0)
        torch.testing.assert_close(cpu.v, auto.v, rtol=0, atol=0)
        assert cpu.history.loss == auto.history.loss
        assert not np.array_equal(cpu.weights()[0], cpu.initial_weights[0]), "it trained"


def test_device_names_resolve_and_bad_ones_are_clear_errors(samples):
    assert networks.resolve_device("cpu") == torch.device("cpu")
    assert networks.resolve_device("auto") == networks.default_device()
    assert networks.resolve_device(torch.device("cpu")) == torch.device("cpu")
    X, y = samples
    for bad in ("gpu", "CPU", 0):
        with pytest.raises(ValueError, match=r"device must be one of \['auto', 'cpu', 'cuda'\]"):
            networks.resolve_device(bad)
        with pytest.raises(ValueError, match="device must be one of"):
            networks.train(TwoLayerNet(40, 5, rng=0), X, y, epochs=1, device=bad)
        with pytest.raises(ValueError, match="device must be one of"):
            TwoLayerNet(40, 5, rng=0, device=bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(task, samples):
    with pytest.raises(RuntimeError, match="device='cuda' was requested but PyTorch sees no GPU"):
        networks.resolve_device("cuda")
    with pytest.raises(RuntimeError, match="sees no GPU"):
        networks.train_source(task, 50, 5, rng=0, epochs=1, device="cuda")
    X, y = samples
    with pytest.raises(RuntimeError, match="sees no GPU"):
        networks.train(TwoLayerNet(40, 5, rng=0), X, y, epochs=1, device="cuda")
