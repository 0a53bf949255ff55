"""Four ways to use a source network on a target task, and the zero-shot baseline.

Chapter *Four ways to use a source network*. A *source network* is a
:class:`~tlcourse.networks.TwoLayerNet` trained on the source task
(:func:`~tlcourse.networks.train_source`); with ``n`` target samples:

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
:func:`tlcourse.networks.train` with the course's :class:`~tlcourse.specs.Recipe` (full-batch
Adam, decoupled weight decay 0.1, 1000 epochs, no early stopping) with learning rate
``ft_lr = 1e-3`` for FT (a larger one erases what was transferred) and ``lr = 0.01`` for 2L, as
for the source. The protocols' properties (frozen or not, use of the source, plot style) are the
table :data:`tlcourse.specs.PROTOCOLS`.

Settings: every public function takes ``recipe`` (a :class:`~tlcourse.specs.Recipe`) and/or
keywords such as ``lam=0.05`` that replace some of its values; they are checked once, there.

Test errors are measured in float64 on ``n_test`` fresh target samples, with their standard
error ``sqrt(e (1 - e) / n_test)``, against the teacher's labels (a target with label noise
trains on flipped labels and is tested on clean ones, :meth:`tlcourse.data.Task.sample`).
Networks train on the recipe's ``device`` (``"auto"``, ``"cpu"`` or ``"cuda"``,
:func:`tlcourse.networks.resolve_device`) in float32; the measurements are made in float64 on
the CPU from their weights, whatever the device.

Randomness: ``rng`` (int seed or NumPy generator) is split into independent streams for the
target's training samples, its test samples, and one stream per protocol. So the same seed gives
the same curve, whichever other protocols run beside it; training sets are nested (the first
``n`` samples of a larger draw), so a curve over ``n`` is smooth.
"""

from __future__ import annotations

import numpy as np

from . import activations, networks, readout, specs
from ._checks import RNGLike, as_generator, check_int, check_positive, check_samples
from .activations import Activation
from .data import Task, sample_counts
from .featuremap import features, outputs
from .networks import TwoLayerNet
from .specs import PROTOCOLS, Protocol, Recipe
from .stats import error_and_stderr


def readout_net(
    W, X, y, lam: float, activation: str = "erf", *, like: TwoLayerNet | None = None
) -> TwoLayerNet:
    """The network with frozen first layer ``W`` (K, N) and the exact convex readout on ``X, y``.

    The readout is :func:`tlcourse.readout.fit_readout` on ``features(W, X)`` with ``lam > 0``.
    ``like`` (optional) gives the dtype and device of the returned network.
    """
    return _readout_net(W, X, y, check_positive(lam, "lam"),
                        activations.get(activation, network=True), like=like)


def random_first_layer(K: int, N: int, rng: RNGLike) -> np.ndarray:
    """An i.i.d. ``N(0, 1)`` first layer (K, N): the random features of the RF protocol."""
    return as_generator(rng).standard_normal((check_int(K, "K", low=1), check_int(N, "N", low=1)))


def check_source(source) -> TwoLayerNet:
    """``source`` if it is a :class:`~tlcourse.networks.TwoLayerNet`, else a ``TypeError``."""
    if not isinstance(source, TwoLayerNet):
        raise TypeError(f"source must be a TwoLayerNet, got {type(source).__name__}")
    return source


def check_target(target, source: TwoLayerNet) -> Task:
    """``target`` if it is a :class:`~tlcourse.data.Task` of the source network's input
    dimension, else a clear error."""
    if not isinstance(target, Task):
        raise TypeError(f"target must be a Task, got {type(target).__name__}")
    if target.N != source.N:
        raise ValueError(
            f"target has input dimension N = {target.N} but the source network expects "
            f"N = {source.N}: they must match"
        )
    return target


def fit(
    protocol: str,
    source: TwoLayerNet,
    X,
    y,
    *,
    rng: RNGLike,
    recipe: Recipe | None = None,
    **settings,
) -> TwoLayerNet:
    """The target network that ``protocol`` builds from ``source`` and target samples ``X, y``.

    ``protocol`` is one of :data:`~tlcourse.specs.PROTOCOLS`; ``X`` (n, N) and ``y`` (n,)
    in {-1, +1}; ``rng`` seeds the random first layer (RF) or the random start (2L). The
    :class:`~tlcourse.specs.Recipe` (``recipe`` and/or ``settings`` such as ``lam=0.05``) gives
    ``lam``, the readout's l2 strength (TL, RF, and FT's starting point), and the training of
    FT (learning rate ``ft_lr``) and 2L (``lr``) by :func:`tlcourse.networks.train`. ``source``
    is never modified.
    """
    proto = specs.protocol(protocol, hidden_layers=1)
    check_source(source)
    X, y = check_samples(X, y, source.N)
    return _fit(proto, source, X, y, as_generator(rng), Recipe.from_settings(recipe, **settings))


def protocol_curve(
    protocol: str,
    source: TwoLayerNet,
    target: Task,
    ns,
    *,
    rng: RNGLike,
    n_test: int = 10_000,
    recipe: Recipe | None = None,
    **settings,
) -> list[dict]:
    """Test errors of ``protocol`` at each target training size in ``ns``, for one seed.

    Returns one record per size: ``{"protocol", "n", "test_error", "stderr", "train_error"}``.
    Training sets are nested (the first ``n`` of ``max(ns)`` samples); the test set holds
    ``n_test`` fresh target samples. ``recipe`` and ``settings`` as for :func:`fit`. For TL and
    RF the features of the frozen first layer are computed once and reused for every size.
    """
    proto = specs.protocol(protocol, hidden_layers=1)
    check_target(target, check_source(source))
    ns = check_sizes(ns, source.N)
    n_test = check_int(n_test, "n_test", low=1)
    recipe = Recipe.from_settings(recipe, **settings)
    g_train, g_test, *g_protocols = as_generator(rng).spawn(2 + len(PROTOCOLS))
    X, y = target.sample(max(ns), rng=g_train)
    X_test, y_test = target.sample(n_test, rng=g_test, clean=True)
    g_protocol = g_protocols[list(PROTOCOLS).index(proto.name)]
    return _curve(proto, source, X, y, X_test, y_test, ns, g_protocol, recipe)


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
    recipe: Recipe | None = None,
    **settings,
) -> list[dict]:
    """Test errors of ``protocol`` trained on the first ``n`` rows of ``X, y`` for each ``n`` in
    ``ns``, measured on ``X_test, y_test``: the loop shared by synthetic and real tasks.

    ``X`` (n_max, N), ``y`` (n_max,), ``X_test`` (n_test, N), ``y_test`` (n_test,), labels in
    {-1, +1}. Every size starts the protocol's random stream (``rng``: the random first layer of
    RF, the random start of 2L) from the same point, so sizes differ only by their data. For TL
    and RF the features of the frozen first layer are computed once and reused for every size.
    ``recipe`` and ``settings`` as for :func:`fit`. Returns one record per size, as
    :func:`protocol_curve`.
    """
    proto = specs.protocol(protocol, hidden_layers=1)
    check_source(source)
    ns = check_sizes(ns, source.N)
    X, y = check_samples(X, y, source.N)
    X_test, y_test = check_samples(X_test, y_test, source.N)
    if max(ns) > len(y):
        raise ValueError(f"ns must be <= the number of training samples, {len(y)}, got {max(ns)}")
    recipe = Recipe.from_settings(recipe, **settings)
    return _curve(proto, source, X, y, X_test, y_test, ns, as_generator(rng), recipe)


def run_protocol(
    protocol: str,
    source: TwoLayerNet,
    target: Task,
    n: int,
    *,
    rng: RNGLike,
    n_test: int = 10_000,
    recipe: Recipe | None = None,
    **settings,
) -> tuple[float, float]:
    """Test error of ``protocol`` with ``n`` target samples and its standard error.

    The single-size case of :func:`protocol_curve` (same streams, same result at that ``n``).
    """
    n = check_int(n, "n", low=1)
    rec = protocol_curve(protocol, source, target, [n], rng=rng, n_test=n_test,
                         recipe=recipe, **settings)[0]
    return rec["test_error"], rec["stderr"]


# ---------------------------------------------------------------- below: trusted arguments


def readout_penalty(recipe: Recipe, V: np.ndarray, y: np.ndarray, rng) -> float:
    """The readout's penalty: the recipe's, or with ``lam="cv"`` the one cross-validation on
    the training samples ``V``, ``y`` chooses (:func:`tlcourse.readout.select_lam`); shared
    with :mod:`tlcourse.deep`."""
    if recipe.lam != "cv":
        return recipe.lam
    return readout.select_lam(V, y, recipe.lam_grid, folds=recipe.cv_folds, rng=rng)


def _readout_net(W, X, y, lam, activation: Activation, *, like: TwoLayerNet | None = None,
                 device=None, rng=0):
    """The network ``(W, v)``, ``v`` the readout on ``features(W, X)`` at ``lam`` (a number or
    a :class:`Recipe`, whose ``lam="cv"`` is chosen with ``rng``)."""
    V = features(W, X, activation)
    if isinstance(lam, Recipe):
        lam = readout_penalty(lam, V, y, rng)
    v = readout.fit_readout(V, y, lam, check_input=False)
    kw = {} if like is None else {"dtype": like.W.dtype, "device": like.W.device}
    if device is not None:
        kw["device"] = device
    return TwoLayerNet.from_weights(W, v, activation, **kw)


def _fit(proto: Protocol, source: TwoLayerNet, X: np.ndarray, y: np.ndarray,
         rng: np.random.Generator, recipe: Recipe) -> TwoLayerNet:
    """:func:`fit` on checked arguments."""
    if not proto.trains:
        return source.clone()
    W_s = source.weights()[0]
    act = source.phi
    device = networks.resolve_device(recipe.device)  # where the target network lives
    if proto.frozen:
        W = W_s if proto.uses_source else random_first_layer(source.K, source.N, rng)
        return _readout_net(W, X, y, recipe, act, like=source, device=device, rng=rng)
    if proto.uses_source:  # FT: both layers, from the source's first layer and the TL readout
        net = _readout_net(W_s, X, y, recipe, act, like=source, device=device, rng=rng)
        net.history = networks.train(net, X, y, recipe.replace(lr=recipe.ft_lr), rng=rng,
                                     check_input=False)
        return net
    net = TwoLayerNet(source.N, source.K, act, rng=rng, dtype=source.W.dtype, device=device)
    net.history = networks.train(net, X, y, recipe, rng=rng, check_input=False)
    return net


def _curve(proto: Protocol, source: TwoLayerNet, X, y, X_test, y_test, ns: list[int],
           rng: np.random.Generator, recipe: Recipe) -> list[dict]:
    """:func:`curve_on_samples` on checked arguments."""
    start = rng.bit_generator.seed_seq  # each size restarts the stream here
    act = source.phi
    records = []
    if proto.frozen:
        W = source.weights()[0] if proto.uses_source else random_first_layer(
            source.K, source.N, np.random.default_rng(start)
        )
        V, V_test = features(W, X, act), features(W, X_test, act)
        return readout_records(proto.name, V, y, V_test, y_test, ns, start, recipe)
    for n in ns:
        net = _fit(proto, source, X[:n], y[:n], np.random.default_rng(start), recipe)
        err, se = _test_error(net, X_test, y_test)
        train_err = _test_error(net, X[:n], y[:n])[0]
        records.append(curve_record(proto.name, n, err, se, train_err))
    return records


def readout_records(name: str, V: np.ndarray, y: np.ndarray, V_test: np.ndarray,
                    y_test: np.ndarray, ns: list[int], start, recipe: Recipe) -> list[dict]:
    """The records of a frozen-feature protocol ``name``: the readout on the first ``n`` rows
    of features ``V`` (n_max, p), for each ``n`` in ``ns``, tested on ``V_test`` (trusted
    arguments). ``start`` (a seed sequence) seeds each size's cross-validation folds
    (``lam="cv"``, whose choice is kept as ``readout_lam``)."""
    records = []
    for n in ns:
        lam = readout_penalty(recipe, V[:n], y[:n], np.random.default_rng(start))
        v = readout.fit_readout(V[:n], y[:n], lam, check_input=False)
        err, se = error_and_stderr(V_test @ v, y_test)
        train_err = error_and_stderr(V[:n] @ v, y[:n])[0]
        records.append(curve_record(name, n, err, se, train_err))
        if recipe.lam == "cv":
            records[-1]["readout_lam"] = lam
    return records


def _test_error(net: TwoLayerNet, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    W, v = net.weights()
    return error_and_stderr(outputs(W, v, X, net.phi), y)


def curve_record(name: str, n: int, err: float, se: float, train_err: float) -> dict:
    """One row of a learning-curve table (shared with :mod:`tlcourse.deep`)."""
    return {"protocol": name, "n": n, "test_error": err, "stderr": se,
            "train_error": train_err}


def check_sizes(ns, N: int) -> list[int]:
    """The checked target sizes ``ns`` (at least one) of inputs of dimension ``N``."""
    if not np.isscalar(ns) and len(ns) == 0:
        raise ValueError("ns must hold at least one target training size")
    return sample_counts(N, ns=ns)


__all__ = [
    "PROTOCOLS",
    "check_source",
    "check_target",
    "curve_on_samples",
    "fit",
    "protocol_curve",
    "random_first_layer",
    "readout_net",
    "run_protocol",
]
