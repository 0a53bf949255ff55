"""Networks with two hidden layers, and how many of their layers to transfer.

Chapter *How many layers to transfer*. The network is the course's two-layer network with one
more hidden layer, in the same normalisation (:mod:`tlcourse.networks`):

    f(x) = v . phi(W2 h(x) / sqrt(K1)) / sqrt(K2),    h(x) = phi(W1 x / sqrt(N)),

``W1`` (K1, N), ``W2`` (K2, K1), ``v`` (K2,), logistic loss, prediction ``sign f(x)``. Above its
first layer it *is* a two-layer network on the inputs ``h(x)``: that is how the protocols below
reuse :class:`~tlcourse.networks.TwoLayerNet`, :func:`~tlcourse.networks.train` and the convex
readouts.

The protocols (:data:`tlcourse.specs.PROTOCOLS` with ``hidden_layers=2``), with ``n`` target
samples and a source network trained by :func:`train_source`:

==========  ============================================================  =====================
protocol    what is trained on the target                                 layers transferred
==========  ============================================================  =====================
``"TL1"``   ``W2`` and ``v`` from a random start (Adam, ``lr``), on the   ``W1``, frozen
            frozen features ``h(x)`` of the source's first layer
``"TL2"``   the readout ``v`` only: the exact convex l2 logistic          ``W1, W2``, frozen
            regression on the source's second-layer features, its
            penalty the recipe's ``lam`` (or ``"cv"``: cross-validated)
``"FT2"``   every layer, starting at ``(W1_s, W2_s, v_TL2)``, Adam with   ``W1, W2``, then
            the small learning rate ``ft_lr``                             fine-tuned
``"3L"``    every layer, from a random start (Adam, ``lr``)               none
==========  ============================================================  =====================

Training follows the course's :class:`~tlcourse.specs.Recipe` (full-batch Adam, 1000 epochs,
decoupled weight decay 0.1, untuned), as for FT and 2L. Randomness, test errors and the table of
:func:`learning_curves` follow :mod:`tlcourse.protocols` and :mod:`tlcourse.curves`: for one
seed, every protocol sees the same nested training sets and test set (and the same ones as the
two-layer protocols of :func:`tlcourse.protocols.protocol_curve` with that seed), so differences
between protocols are paired.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import activations, networks, stats
from ._checks import RNGLike, as_generator, check_array, check_int, check_samples
from .curves import sweep
from .data import Task
from .diskcache import cached
from .featuremap import features
from .networks import DTYPE, TwoLayerNet, resolve_device, torch_generator
from .protocols import check_sizes, curve_record, readout_penalty, readout_records
from .readout import fit_readout
from .specs import PROTOCOLS, Protocol, Recipe, protocol
from .stats import error_and_stderr


class DeepNet(torch.nn.Module):
    """The network ``f(x) = v . phi(W2 phi(W1 x / sqrt(N)) / sqrt(K1)) / sqrt(K2)``.

    Parameters ``W1`` (K1, N), ``W2`` (K2, K1) and ``v`` (K2,); :meth:`weights` returns them as
    float64 NumPy arrays, :meth:`from_weights` builds a network from them. The random start
    (``rng``) has i.i.d. ``N(0, 1)`` entries, so every pre-activation is of order one.
    ``activation`` is one of :data:`~tlcourse.activations.NETWORK_ACTIVATIONS` (``erf`` by default);
    ``dtype`` float32 (default) or float64; ``device`` as for
    :class:`~tlcourse.networks.TwoLayerNet`.
    """

    def __init__(self, N: int, K1: int, K2: int, activation: str = "erf", *, rng: RNGLike,
                 dtype: torch.dtype = DTYPE, device: torch.device | str | None = None):
        super().__init__()
        sizes = [check_int(k, name, low=1) for k, name in ((N, "N"), (K1, "K1"), (K2, "K2"))]
        activations.get(activation, network=True)  # the one check of the name
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        device = resolve_device("auto" if device is None else device)
        g = torch_generator(rng)  # CPU generator: the same start on every device
        N, K1, K2 = sizes
        for name, shape in (("W1", (K1, N)), ("W2", (K2, K1)), ("v", (K2,))):
            start = torch.randn(*shape, generator=g, dtype=dtype).to(device)
            self.register_parameter(name, torch.nn.Parameter(start))
        self.activation = activation
        self._phi = activations.torch_fn(activation)

    @classmethod
    def from_weights(cls, W1, W2, v, activation: str = "erf", *, dtype: torch.dtype = DTYPE,
                     device: torch.device | str | None = None) -> DeepNet:
        """A network with layers ``W1`` (K1, N), ``W2`` (K2, K1) and readout ``v`` (K2,)
        (copied)."""
        W1 = check_array(W1, "W1", ndim=2)
        if W1.size == 0:
            raise ValueError(f"W1 must be a non-empty (K1, N) matrix, got shape {W1.shape}")
        W2 = check_array(W2, "W2", ndim=2)
        if W2.shape[1:] != (W1.shape[0],) or W2.shape[0] == 0:
            raise ValueError(f"W2 must have shape (K2, K1) with K1 = {W1.shape[0]} (from W1) "
                             f"and K2 >= 1, got {W2.shape}")
        v = check_array(v, "v", ndim=1, shape=(W2.shape[0],))
        net = cls(W1.shape[1], W1.shape[0], W2.shape[0], activation, rng=0, dtype=dtype,
                  device=device)
        with torch.no_grad():
            for p, w in zip((net.W1, net.W2, net.v), (W1, W2, v), strict=True):
                p.copy_(torch.from_numpy(w))
        return net

    @property
    def N(self) -> int:
        """Input dimension."""
        return self.W1.shape[1]

    @property
    def K1(self) -> int:
        """Width of the first hidden layer."""
        return self.W1.shape[0]

    @property
    def K2(self) -> int:
        """Width of the second hidden layer."""
        return self.W2.shape[0]

    def extra_repr(self) -> str:
        return (f"N={self.N}, K1={self.K1}, K2={self.K2}, activation={self.activation!r}, "
                f"dtype={self.W1.dtype}")

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs ``f(x)`` (n,) of inputs ``X`` (n, N)."""
        h = self._phi(X @ (self.W1 * (1.0 / math.sqrt(self.N))).T)
        g = self._phi(h @ (self.W2 * (1.0 / math.sqrt(self.K1))).T)
        return g @ (self.v * (1.0 / math.sqrt(self.K2)))

    def weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of ``(W1, W2, v)`` as float64 NumPy arrays, shapes (K1, N), (K2, K1), (K2,)."""
        return tuple(p.detach().cpu().numpy().astype(np.float64)
                     for p in (self.W1, self.W2, self.v))

    def __reduce__(self):
        """Pickle as its weights, activation and dtype (as :class:`TwoLayerNet`)."""
        return (_from_state, (*self.weights(), self.activation,
                              str(self.W1.dtype).removeprefix("torch.")))


def _from_state(W1, W2, v, activation: str, dtype: str) -> DeepNet:
    return DeepNet.from_weights(W1, W2, v, activation, dtype=getattr(torch, dtype))


def hidden_features(net: DeepNet, X, layers: int = 2) -> np.ndarray:
    """The features of ``net``'s first ``layers`` hidden layers (1 or 2) on inputs ``X`` (n, N):
    ``h(x)`` (n, K1) or ``phi(W2 h(x) / sqrt(K1))`` (n, K2), float64 (what TL1 and TL2 freeze).
    """
    _check_net(net)
    X = check_array(X, "X", ndim=2)
    layers = check_int(layers, "layers", low=1, high=3)
    return _features(net.weights()[:layers], X, net.activation)


def test_error(net: DeepNet, X, y) -> tuple[float, float]:
    """Test error of ``net`` on samples ``X`` (n, N), ``y`` (n,) in {-1, +1}, and its standard
    error ``sqrt(e (1 - e) / n)``, computed in float64 from the weights."""
    X, y = check_samples(X, y, _check_net(net).N)
    return _test_error(net.weights(), X, y, net.activation)


test_error.__test__ = False  # not a pytest test, despite its name


def train_source(task: Task, n_samples: int, K1: int, K2: int, *, rng: RNGLike,
                 activation: str = "erf", dtype: torch.dtype = DTYPE,
                 recipe: Recipe | None = None, cache: bool | str | Path = False,
                 **settings) -> DeepNet:
    """A :class:`DeepNet` of widths ``K1``, ``K2`` trained on ``n_samples`` fresh samples of
    ``task``, as :func:`tlcourse.networks.train_source` trains a two-layer one.

    ``rng`` seeds the samples and the random start (independent streams); ``recipe`` and
    ``settings`` go to :func:`tlcourse.networks.train` (the course's recipe by default).
    ``cache`` keeps the trained weights on disk (needs an integer ``rng``), keyed by every
    argument and by the package's code. The training history is ``net.history``.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    n_samples = check_int(n_samples, "n_samples", low=1)
    K1, K2 = check_int(K1, "K1", low=1), check_int(K2, "K2", low=1)
    activations.get(activation, network=True)
    recipe = Recipe.from_settings(recipe, **settings)
    recipe = recipe.replace(device=resolve_device(recipe.device).type)  # part of the cache key
    if cache is not False and (isinstance(rng, bool) or not isinstance(rng, int | np.integer)):
        raise TypeError(f"cache needs an integer rng (a seed), got {type(rng).__name__}")
    key = (task, n_samples, K1, K2, rng if cache is False else int(rng), activation,
           str(dtype), recipe)
    W1, W2, v, history = cached(_trained_source, cache)(*key)
    net = DeepNet.from_weights(W1, W2, v, activation, dtype=dtype, device=recipe.device)
    net.history = history
    return net


def _trained_source(task, n_samples, K1, K2, rng, activation, dtype, recipe):
    """:func:`train_source`'s work on checked arguments: the weights and the history."""
    g_data, g_init, g_train = as_generator(rng).spawn(3)
    X, y = task.sample(n_samples, rng=g_data)
    net = DeepNet(task.N, K1, K2, activation, rng=g_init,
                  dtype=getattr(torch, dtype.removeprefix("torch.")), device=recipe.device)
    history = networks.train(net, X, y, recipe, rng=g_train, check_input=False)
    return (*net.weights(), history)


def fit(protocol_name: str, source: DeepNet, X, y, *, rng: RNGLike,
        recipe: Recipe | None = None, **settings) -> DeepNet:
    """The target network that ``protocol_name`` (``"TL1"``, ``"TL2"``, ``"FT2"`` or ``"3L"``)
    builds from ``source`` and target samples ``X`` (n, N), ``y`` (n,) in {-1, +1}.

    ``rng`` seeds the random starts (TL1's second layer and readout, 3L's network) and the
    folds of ``lam="cv"``; ``recipe``/``settings`` as in :func:`tlcourse.protocols.fit`.
    ``source`` is never modified.
    """
    proto = protocol(protocol_name, hidden_layers=2)
    X, y = check_samples(X, y, _check_net(source).N)
    return _fit(proto, source, X, y, as_generator(rng), Recipe.from_settings(recipe, **settings))


def protocol_curve(protocol_name: str, source: DeepNet, target: Task, ns, *, rng: RNGLike,
                   n_test: int = 10_000, recipe: Recipe | None = None,
                   **settings) -> list[dict]:
    """Test errors of ``protocol_name`` at each target training size in ``ns``, for one seed.

    As :func:`tlcourse.protocols.protocol_curve` (same records, same streams: nested training
    sets, ``n_test`` fresh test samples, each size restarting the protocol's own stream); TL2
    computes the frozen features once for every size.
    """
    proto = protocol(protocol_name, hidden_layers=2)
    _check_target(target, source)
    ns = check_sizes(ns, source.N)
    n_test = check_int(n_test, "n_test", low=1)
    recipe = Recipe.from_settings(recipe, **settings)
    return _curve(proto, source, target, ns, rng, n_test, recipe)


def learning_curves(source: DeepNet, target: Task, *, protocols=("TL1", "TL2", "FT2", "3L"),
                    alphas=None, ns=None, seeds=(0, 1, 2), n_test: int = 10_000,
                    n_jobs: int | None = None, cache: bool | str | Path = False,
                    progress: bool = True, recipe: Recipe | None = None,
                    **settings) -> pd.DataFrame:
    """Test errors of the deep ``protocols`` for ``source`` on ``target`` over sizes and seeds.

    Arguments and the returned table as :func:`tlcourse.curves.learning_curves` (columns
    ``protocol``, ``n``, ``alpha = n / N``, ``seed``, ``test_error``, ``stderr``,
    ``train_error``, ``readout_lam`` with ``lam="cv"``, then ``N``, ``K1``, ``K2``,
    ``activation``, ``n_test`` and the recipe's settings), so that :mod:`tlcourse.stats` and
    :func:`tlcourse.plotting.plot_learning_curves` read it unchanged. One job per (protocol,
    seed) for TL2, per (protocol, seed, size) for the others; the same seed gives the same table
    whatever ``n_jobs``.
    """
    _check_target(target, source)
    params = {"N": source.N, "K1": source.K1, "K2": source.K2, "activation": source.activation}
    return sweep(_run_job, source, target, params, protocols=protocols, alphas=alphas, ns=ns,
                 seeds=seeds, n_test=n_test, n_jobs=n_jobs, cache=cache, progress=progress,
                 recipe=Recipe.from_settings(recipe, **settings), hidden_layers=2)


def best_protocols(df: pd.DataFrame, *, network: str = "network", by=(), x: str = "alpha",
                   level: float = 0.95) -> pd.DataFrame:
    """Which protocol is best at each size ``x`` (and group ``by``), and whether that is
    resolved, from learning curves of several source networks.

    ``df``: a learning-curve table (:func:`learning_curves`, several of them concatenated)
    with a column ``network`` naming the source network of each row and the ``by`` columns;
    the protocols of one (group, size, network, seed) saw the same samples. Means and standard
    errors are nested (:func:`tlcourse.stats.nested_mean_and_stderr`: seeds within networks).
    The best protocol has the lowest mean; each other protocol's paired margin over it is
    *resolved* when its mean exceeds ``t_quantile(G, level)`` standard errors (one-sided,
    ``G`` networks). Returns one row per (group, size): ``*by, x``, ``best``, ``error``
    (its mean test error), ``runner_up`` (the next lowest mean), ``margin`` and ``margin_se``
    (runner-up minus best), ``resolved`` (every other protocol's margin resolved) and ``tied``
    (the protocols whose margin is not resolved, joined by ``"/"``; empty when resolved).
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in ("protocol", x, "seed", "test_error", network, *by)
               if c not in getattr(df, "columns", ())]
    if missing:
        raise ValueError(f"df must be a learning-curve table with the columns {missing}")
    wide = df.pivot_table(index=[*by, x, network, "seed"], columns="protocol",
                          values="test_error", observed=True, aggfunc="first")
    if wide.isna().any().any():
        raise ValueError("every protocol must have run at every (group, size, network, seed)")
    rows = []
    for key, part in wide.groupby(level=[*by, x], sort=True):
        nets = part.index.get_level_values(network)
        means = {p: stats.nested_mean_and_stderr(part[p], nets)[0] for p in part.columns}
        order = sorted(means, key=means.get)
        best = order[0]
        t = stats.t_quantile(nets.nunique(), level)
        margins = {q: stats.nested_mean_and_stderr(part[q] - part[best], nets)[:2]
                   for q in order[1:]}
        tied = [q for q, (m, se) in margins.items() if not m > t * se]
        row = dict(zip([*by, x], key if isinstance(key, tuple) else (key,), strict=True))
        row.update(best=str(best), error=means[best], runner_up=str(order[1]),
                   margin=margins[order[1]][0], margin_se=margins[order[1]][1],
                   resolved=not tied, tied="/".join(map(str, tied)))
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- below: trusted arguments


def _run_job(protocol_name, source, target, ns, seed, n_test, recipe):
    """One job of :func:`learning_curves` (the cache keys it by all of its arguments)."""
    return _curve(PROTOCOLS[protocol_name], source, target, list(ns), seed, n_test, recipe)


def _check_net(net) -> DeepNet:
    if not isinstance(net, DeepNet):
        raise TypeError(f"source must be a DeepNet, got {type(net).__name__}")
    return net


def _check_target(target, source) -> Task:
    if not isinstance(target, Task):
        raise TypeError(f"target must be a Task, got {type(target).__name__}")
    if target.N != _check_net(source).N:
        raise ValueError(f"target has input dimension N = {target.N} but the source network "
                         f"expects N = {source.N}: they must match")
    return target


def _features(layers, X: np.ndarray, activation: str) -> np.ndarray:
    """``X`` through the hidden ``layers`` (``(W1,)`` or ``(W1, W2)``), float64."""
    for W in layers:
        X = features(W, X, activation)
    return X


def _test_error(weights, X: np.ndarray, y: np.ndarray, activation: str) -> tuple[float, float]:
    *layers, v = weights
    return error_and_stderr(_features(layers, X, activation) @ v / math.sqrt(v.size), y)


def _fit(proto: Protocol, source: DeepNet, X: np.ndarray, y: np.ndarray,
         rng: np.random.Generator, recipe: Recipe) -> DeepNet:
    """:func:`fit` on checked arguments."""
    W1, W2, _ = source.weights()
    act, dtype = source.activation, source.W1.dtype
    device = resolve_device(recipe.device)
    if proto.name == "TL1":  # a two-layer network on the frozen first-layer features
        top = TwoLayerNet(W1.shape[0], W2.shape[0], act, rng=rng, dtype=dtype, device=device)
        networks.train(top, features(W1, X, act), y, recipe, rng=rng, check_input=False)
        return DeepNet.from_weights(W1, *top.weights(), act, dtype=dtype, device=device)
    if proto.uses_source:  # TL2, and FT2's start
        V = _features((W1, W2), X, act)
        v = fit_readout(V, y, readout_penalty(recipe, V, y, rng), check_input=False)
        net = DeepNet.from_weights(W1, W2, v, act, dtype=dtype, device=device)
        if proto.frozen:
            return net
        net.history = networks.train(net, X, y, recipe.replace(lr=recipe.ft_lr), rng=rng,
                                     check_input=False)
        return net
    net = DeepNet(source.N, source.K1, source.K2, act, rng=rng, dtype=dtype, device=device)
    net.history = networks.train(net, X, y, recipe, rng=rng, check_input=False)
    return net


def _curve(proto: Protocol, source: DeepNet, target: Task, ns: list[int], rng, n_test: int,
           recipe: Recipe) -> list[dict]:
    """:func:`protocol_curve` on checked arguments (the streams of
    :func:`tlcourse.protocols.protocol_curve`)."""
    g_train, g_test, *g_protocols = as_generator(rng).spawn(2 + len(PROTOCOLS))
    X, y = target.sample(max(ns), rng=g_train)
    X_test, y_test = target.sample(n_test, rng=g_test)
    start = g_protocols[list(PROTOCOLS).index(proto.name)].bit_generator.seed_seq
    if proto.frozen:
        layers, act = source.weights()[:2], source.activation
        V, V_test = _features(layers, X, act), _features(layers, X_test, act)
        return readout_records(proto.name, V, y, V_test, y_test, ns, start, recipe)
    records = []
    for n in ns:
        net = _fit(proto, source, X[:n], y[:n], np.random.default_rng(start), recipe)
        weights = net.weights()
        err, se = _test_error(weights, X_test, y_test, net.activation)
        train_err = _test_error(weights, X[:n], y[:n], net.activation)[0]
        records.append(curve_record(proto.name, n, err, se, train_err))
    return records


__all__ = ["DeepNet", "best_protocols", "fit", "hidden_features", "learning_curves",
           "protocol_curve", "test_error", "train_source"]
