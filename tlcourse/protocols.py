"""Four ways to use a source network on a target task, and the zero-shot baseline.

MODEL.md §4. A *source network* is a :class:`~tlcourse.networks.TwoLayerNet` trained on the
source task (:func:`~tlcourse.networks.train_source`); with ``n`` target samples:

============  ==================================================  =================================
protocol      what is trained on the target                       first layer
============  ==================================================  =================================
``"TL"``      the readout only, exact convex l2 logistic          ``W_s`` (source), frozen
              regression (:func:`tlcourse.readout.fit_readout`)
``"FT"``      both layers, starting exactly at ``(W_s, v_TL)``    starts at ``W_s``
``"2L"``      both layers, from a random start                    i.i.d. ``N(0, 1)`` start
``"RF"``      the readout only, as TL                             i.i.d. ``N(0, 1)``, frozen
``"0-shot"``  nothing: the source network itself                  ``W_s``
============  ==================================================  =================================

Readouts minimise ``sum_mu log(1 + exp(-y_mu v . phi_mu / sqrt(K))) + (lam / 2) |v|^2``, the same
normalisation as the network, so the fitted ``v`` is the network's readout. FT and 2L use
:func:`tlcourse.networks.train` (full-batch Adam, decoupled weight decay 0.1, 1000 epochs, no
early stopping) with learning rate ``ft_lr = 1e-3`` for FT (a larger one erases what was
transferred) and ``lr = 0.01`` for 2L, as for the source.

Test errors are measured in float64 on ``n_test`` fresh target samples, with their standard
error ``sqrt(e (1 - e) / n_test)``.

Randomness: ``rng`` (int seed or NumPy generator) is split into independent streams for the
target's training samples, its test samples, and one stream per protocol. So the same seed gives
the same curve, whichever other protocols run beside it; training sets are nested (the first
``n`` samples of a larger draw), so a curve over ``n`` is smooth.
"""

from __future__ import annotations

import numpy as np

from . import networks, readout
from ._checks import RNGLike, as_generator, check_choice, check_int, check_positive
from .data import Task
from .networks import TwoLayerNet

PROTOCOLS = ("TL", "FT", "2L", "RF", "0-shot")
FROZEN = ("TL", "RF")  # readout-only protocols: convex, covered by the theory
DEFAULTS = {"lam": 0.1, "epochs": 1000, "lr": 0.01, "ft_lr": 1e-3, "weight_decay": 0.1}


def readout_net(
    W, X, y, lam: float, activation: str = "erf", *, like: TwoLayerNet | None = None
) -> TwoLayerNet:
    """The network with frozen first layer ``W`` (K, N) and the exact convex readout on ``X, y``.

    The readout is :func:`tlcourse.readout.fit_readout` on ``features(W, X)`` with ``lam > 0``.
    ``like`` (optional) gives the dtype and device of the returned network.
    """
    V = networks.features(W, X, activation)
    v = readout.fit_readout(V, y, check_positive(lam, "lam"))
    kw = {} if like is None else {"dtype": like.W.dtype, "device": like.W.device}
    return TwoLayerNet.from_weights(W, v, activation, **kw)


def random_first_layer(K: int, N: int, rng: RNGLike) -> np.ndarray:
    """An i.i.d. ``N(0, 1)`` first layer (K, N): the random features of the RF protocol."""
    return as_generator(rng).standard_normal((check_int(K, "K", low=1), check_int(N, "N", low=1)))


def fit(
    protocol: str,
    source: TwoLayerNet,
    X,
    y,
    *,
    rng: RNGLike,
    lam: float = DEFAULTS["lam"],
    epochs: int = DEFAULTS["epochs"],
    lr: float = DEFAULTS["lr"],
    ft_lr: float = DEFAULTS["ft_lr"],
    weight_decay: float = DEFAULTS["weight_decay"],
) -> TwoLayerNet:
    """The target network that ``protocol`` builds from ``source`` and target samples ``X, y``.

    ``X`` (n, N) and ``y`` (n,) in {-1, +1}; ``rng`` seeds the random first layer (RF) or the
    random start (2L). ``lam`` is the readout's l2 strength (TL, RF, and FT's starting point);
    ``epochs``, ``weight_decay`` and the learning rates ``lr`` (2L) and ``ft_lr`` (FT) go to
    :func:`tlcourse.networks.train`. ``source`` is never modified.
    """
    protocol = check_choice(protocol, "protocol", PROTOCOLS)
    _check_source(source)
    X, y = networks._check_samples(X, y, source.N)
    lam = check_positive(lam, "lam")
    rng = as_generator(rng)
    train_kw = {"epochs": epochs, "weight_decay": weight_decay, "rng": rng}
    W_s = source.weights()[0]
    if protocol == "0-shot":
        return source.clone()
    if protocol in FROZEN:
        W = W_s if protocol == "TL" else random_first_layer(source.K, source.N, rng)
        return readout_net(W, X, y, lam, source.activation, like=source)
    if protocol == "FT":
        net = readout_net(W_s, X, y, lam, source.activation, like=source)
        net.history = networks.train(net, X, y, lr=ft_lr, **train_kw)
        return net
    net = TwoLayerNet(
        source.N, source.K, source.activation, rng=rng, dtype=source.W.dtype, device=source.W.device
    )
    net.history = networks.train(net, X, y, lr=lr, **train_kw)
    return net


def protocol_curve(
    protocol: str,
    source: TwoLayerNet,
    target: Task,
    ns,
    *,
    rng: RNGLike,
    n_test: int = 10_000,
    **settings,
) -> list[dict]:
    """Test errors of ``protocol`` at each target training size in ``ns``, for one seed.

    Returns one record per size: ``{"protocol", "n", "test_error", "stderr", "train_error"}``.
    Training sets are nested (the first ``n`` of ``max(ns)`` samples); the test set holds
    ``n_test`` fresh target samples. ``settings`` are those of :func:`fit` (``lam``, ``epochs``,
    ``lr``, ``ft_lr``, ``weight_decay``). For TL and RF the features of the frozen first layer
    are computed once and reused for every size.
    """
    protocol = check_choice(protocol, "protocol", PROTOCOLS)
    _check_source(source)
    _check_target(target, source)
    ns = _check_sizes(ns)
    n_test = check_int(n_test, "n_test", low=1)
    g_train, g_test, *g_protocols = as_generator(rng).spawn(2 + len(PROTOCOLS))
    X, y = target.sample(max(ns), rng=g_train)
    X_test, y_test = target.sample(n_test, rng=g_test)
    g_protocol = g_protocols[PROTOCOLS.index(protocol)]
    return curve_on_samples(protocol, source, X, y, X_test, y_test, ns, rng=g_protocol, **settings)


def curve_on_samples(
    protocol: str,
    source: TwoLayerNet,
    X,
    y,
    X_test,
    y_test,
    ns,
    *,
    rng: RNGLike,
    **settings,
) -> list[dict]:
    """Test errors of ``protocol`` trained on the first ``n`` rows of ``X, y`` for each ``n`` in
    ``ns``, measured on ``X_test, y_test``: the loop shared by synthetic and real tasks.

    ``X`` (n_max, N), ``y`` (n_max,), ``X_test`` (n_test, N), ``y_test`` (n_test,), labels in
    {-1, +1}. Every size starts the protocol's random stream (``rng``: the random first layer of
    RF, the random start of 2L) from the same point, so sizes differ only by their data. For TL
    and RF the features of the frozen first layer are computed once and reused for every size.
    Returns one record per size, as :func:`protocol_curve`.
    """
    protocol = check_choice(protocol, "protocol", PROTOCOLS)
    _check_source(source)
    ns = _check_sizes(ns)
    X, y = networks._check_samples(X, y, source.N)
    X_test, y_test = networks._check_samples(X_test, y_test, source.N)
    if max(ns) > len(y):
        raise ValueError(f"ns must be <= the number of training samples, {len(y)}, got {max(ns)}")
    settings = _check_settings(settings)
    start = as_generator(rng).bit_generator.seed_seq  # each size restarts the stream here
    act = source.activation

    records = []
    if protocol in FROZEN:
        W = source.weights()[0] if protocol == "TL" else random_first_layer(
            source.K, source.N, np.random.default_rng(start)
        )
        V, V_test = networks.features(W, X, act), networks.features(W, X_test, act)
        for n in ns:
            v = readout.fit_readout(V[:n], y[:n], settings["lam"])
            err, se = networks.error_and_stderr(V_test @ v, y_test)
            train_err = networks.error_and_stderr(V[:n] @ v, y[:n])[0]
            records.append(_record(protocol, n, err, se, train_err))
        return records
    for n in ns:
        net = fit(protocol, source, X[:n], y[:n], rng=np.random.default_rng(start), **settings)
        err, se = networks.test_error(net, X_test, y_test)
        train_err = networks.test_error(net, X[:n], y[:n])[0]
        records.append(_record(protocol, n, err, se, train_err))
    return records


def run_protocol(
    protocol: str,
    source: TwoLayerNet,
    target: Task,
    n: int,
    *,
    rng: RNGLike,
    n_test: int = 10_000,
    **settings,
) -> tuple[float, float]:
    """Test error of ``protocol`` with ``n`` target samples and its standard error.

    The single-size case of :func:`protocol_curve` (same streams, same result at that ``n``).
    """
    rec = protocol_curve(protocol, source, target, [n], rng=rng, n_test=n_test, **settings)[0]
    return rec["test_error"], rec["stderr"]


def _record(protocol: str, n: int, err: float, se: float, train_err: float) -> dict:
    return {"protocol": protocol, "n": n, "test_error": err, "stderr": se, "train_error": train_err}


def _check_settings(settings: dict) -> dict:
    """The settings of :func:`fit` completed with :data:`DEFAULTS`, ``lam`` checked."""
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}; allowed: {sorted(DEFAULTS)}")
    settings = {**DEFAULTS, **settings}
    check_positive(settings["lam"], "lam")
    return settings


def _check_source(source) -> None:
    if not isinstance(source, TwoLayerNet):
        raise TypeError(f"source must be a TwoLayerNet, got {type(source).__name__}")


def _check_target(target, source: TwoLayerNet) -> None:
    if not isinstance(target, Task):
        raise TypeError(f"target must be a Task, got {type(target).__name__}")
    if target.N != source.N:
        raise ValueError(
            f"target has input dimension N = {target.N} but the source network expects "
            f"N = {source.N}: they must match"
        )


def _check_sizes(ns) -> list[int]:
    ns = [ns] if np.isscalar(ns) else list(ns)
    if not ns:
        raise ValueError("ns must hold at least one target training size")
    return [check_int(n, "n", low=1) for n in ns]


__all__ = [
    "DEFAULTS",
    "FROZEN",
    "PROTOCOLS",
    "curve_on_samples",
    "fit",
    "protocol_curve",
    "random_first_layer",
    "readout_net",
    "run_protocol",
]
