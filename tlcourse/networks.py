"""Two-layer networks in PyTorch: the model, its feature map, and how it is trained.

The network of the course (chapter *Two-layer networks on the source*, equation ``net-f``) is

    f(x) = v . phi(W x / sqrt(N)) / sqrt(K),     W in R^{K x N},  v in R^K,

with prediction ``sign f(x)`` and the logistic loss ``log(1 + exp(-y f(x)))``. Its *feature map*
``x -> phi(W x / sqrt(N))`` is what transfer learning carries from the source to the target;
:func:`tlcourse.featuremap.features` computes it in NumPy (float64), and the theory uses the
same map.

Training (:func:`train`) follows the course's recipe, :class:`tlcourse.specs.Recipe` (its one
home; stated in the book too):

- full-batch **Adam** on the mean logistic loss, learning rate ``lr = 0.01``, ``epochs = 1000``
  steps (full batch: one step per epoch), decoupled weight decay ``0.1`` (PyTorch's ``AdamW``:
  each step multiplies the weights by ``1 - lr * weight_decay``);
- optional mini-batches (``batch_size``), shuffled each epoch;
- **no early stopping by default**; with ``val_fraction > 0`` a held-out split is set aside, its
  loss checked every ``eval_every`` epochs, training stops after ``patience`` checks without
  improvement and the best parameters are restored.

Precision and device: networks train in **float32** by default. It takes half the memory of float64
and is faster on CPUs (by about a third for a source network of the book's size on two cores);
the chapter on source networks compares a float32 and a float64 training run. Everything measured
(features, readouts, test errors) is then computed in float64 NumPy from the trained weights.
The device is the recipe's ``device`` (:class:`tlcourse.specs.Recipe`): ``"auto"`` (the
default: the GPU when PyTorch sees one, else the CPU), ``"cpu"`` or ``"cuda"``; on the CPU the
results are the same, bit for bit, whichever of ``"cpu"`` and ``"auto"`` chose it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import activations
from ._checks import (
    RNGLike,
    as_generator,
    check_array,
    check_choice,
    check_int,
    check_samples,
)
from .data import Task
from .diskcache import cached
from .featuremap import outputs
from .specs import DEVICES, Recipe
from .stats import error_and_stderr

DTYPE = torch.float32


def default_device() -> torch.device:
    """The GPU when PyTorch sees one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device that ``device`` names: ``"auto"`` (:func:`default_device`), ``"cpu"``,
    ``"cuda"``, or a ``torch.device``.

    A clear ``ValueError`` for any other value; a ``RuntimeError`` for ``"cuda"`` when PyTorch
    sees no GPU (rather than a failure deep inside the training loop).
    """
    if isinstance(device, torch.device):
        name = device.type
    else:
        name = check_choice(device, "device", DEVICES)
    if name == "auto":
        return default_device()
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "device='cuda' was requested but PyTorch sees no GPU (torch.cuda.is_available() is "
            f"False; torch {torch.__version__}, built with CUDA {torch.version.cuda}); use "
            "device='cpu', or 'auto' to take a GPU only when there is one"
        )
    return device if isinstance(device, torch.device) else torch.device(name)


def torch_generator(rng: RNGLike, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded from ``rng`` (int seed or NumPy generator): same seed, same
    stream."""
    g = torch.Generator(device=device)
    g.manual_seed(int(as_generator(rng).integers(2**63)))
    return g


class TwoLayerNet(torch.nn.Module):
    """The two-layer network ``f(x) = v . phi(W x / sqrt(N)) / sqrt(K)``.

    Attributes ``W`` (K, N) and ``v`` (K,) are ``torch.nn.Parameter``; :meth:`weights` returns
    them as float64 NumPy arrays. Build a network from given weights with :meth:`from_weights`.

    Parameters
    ----------
    N, K : int
        Input dimension and hidden width.
    activation : str or Activation
        ``phi``, one of :data:`tlcourse.activations.NETWORK_ACTIVATIONS` (``erf`` by default),
        checked here once: the network keeps its name (``activation``) and its record
        (``phi``, :class:`~tlcourse.activations.Activation`), which the layers below trust.
    rng : int or numpy Generator
        Seed of the random start: ``W`` and ``v`` with i.i.d. ``N(0, 1)`` entries (so that the
        pre-activations ``W x / sqrt(N)`` and the output are of order one).
    dtype, device :
        Torch dtype (``float32`` by default, see the module docstring) and device (``"auto"``,
        ``"cpu"``, ``"cuda"`` or a ``torch.device``; by default ``"auto"``, the one
        :func:`default_device` returns; see :func:`resolve_device`).
    """

    def __init__(
        self,
        N: int,
        K: int,
        activation: str | activations.Activation = "erf",
        *,
        rng: RNGLike,
        dtype: torch.dtype = DTYPE,
        device: torch.device | str | None = None,
    ):
        super().__init__()
        N = check_int(N, "N", low=1)
        K = check_int(K, "K", low=1)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        device = resolve_device("auto" if device is None else device)
        g = torch_generator(rng)  # CPU generator: the same start on every device
        self.W = torch.nn.Parameter(torch.randn(K, N, generator=g, dtype=dtype).to(device))
        self.v = torch.nn.Parameter(torch.randn(K, generator=g, dtype=dtype).to(device))
        self.phi = activations.get(activation, network=True)  # the one check
        self.activation = self.phi.name
        self._phi = self.phi.torch

    @classmethod
    def from_weights(
        cls,
        W,
        v,
        activation: str | activations.Activation = "erf",
        *,
        dtype: torch.dtype = DTYPE,
        device: torch.device | str | None = None,
    ) -> TwoLayerNet:
        """A network with first layer ``W`` (K, N) and readout ``v`` (K,) (copied)."""
        W = check_array(W, "W", ndim=2)
        if W.size == 0:
            raise ValueError(f"W must be a non-empty (K, N) matrix, got shape {W.shape}")
        v = check_array(v, "v", ndim=1, shape=(W.shape[0],))
        net = cls(W.shape[1], W.shape[0], activation, rng=0, dtype=dtype, device=device)
        with torch.no_grad():
            net.W.copy_(torch.from_numpy(W))
            net.v.copy_(torch.from_numpy(v))
        return net

    @property
    def N(self) -> int:
        """Input dimension."""
        return self.W.shape[1]

    @property
    def K(self) -> int:
        """Hidden width."""
        return self.W.shape[0]

    def extra_repr(self) -> str:
        return f"N={self.N}, K={self.K}, activation={self.activation!r}, dtype={self.W.dtype}"

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Outputs ``f(x)`` (n,) of inputs ``X`` (n, N)."""
        # scale the (small) weights rather than the (n, K) activations: fewer flops
        Ws = self.W * (1.0 / math.sqrt(self.N))
        vs = self.v * (1.0 / math.sqrt(self.K))
        if self.activation == "erf" and not X.requires_grad:
            return _ErfNet.apply(X, Ws, vs)
        return self._phi(X @ Ws.T) @ vs

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of ``(W, v)`` as float64 NumPy arrays, shapes (K, N) and (K,)."""
        return (
            self.W.detach().cpu().numpy().astype(np.float64),
            self.v.detach().cpu().numpy().astype(np.float64),
        )

    def __reduce__(self):
        """Pickle as its weights (float64 arrays), activation and dtype: what defines the network.

        So a network goes to joblib's workers and into its cache keys as plain arrays, and comes
        back as the same network (on the default device; the training history is not kept).
        """
        W, v = self.weights()
        return (_from_state, (W, v, self.activation, str(self.W.dtype).removeprefix("torch.")))

    def clone(self) -> TwoLayerNet:
        """An independent copy (same weights, dtype and device)."""
        W, v = self.weights()
        return TwoLayerNet.from_weights(
            W, v, self.activation, dtype=self.W.dtype, device=self.W.device
        )


def _from_state(W: np.ndarray, v: np.ndarray, activation: str, dtype: str) -> TwoLayerNet:
    """The network :meth:`TwoLayerNet.__reduce__` describes."""
    return TwoLayerNet.from_weights(W, v, activation, dtype=getattr(torch, dtype))


class _ErfNet(torch.autograd.Function):
    """``erf(X Ws^T) @ vs`` with a lean backward pass (the training loop's hot spot).

    Autograd's generic backward makes about nine passes over the (n, K) hidden layer; this one
    makes four: ``exp(-h^2)`` in place on the saved pre-activations, the per-sample factor applied
    to ``X`` instead, and the per-unit factor ``(2 / sqrt(pi)) vs`` applied to the (K, N) gradient.
    Gradients for ``Ws`` and ``vs`` only (``X`` is data); first derivatives only.
    """

    @staticmethod
    def forward(ctx, X, Ws, vs):
        h = X @ Ws.T
        a = torch.erf(h)
        ctx.save_for_backward(X, vs, h, a)
        return a @ vs

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dz):
        X, vs, h, a = ctx.saved_tensors
        grad_vs = a.T @ dz
        d = h.square_().neg_().exp_()  # erf'(h) * sqrt(pi) / 2, overwriting h (used once)
        grad_Ws = (d.T @ (X * dz[:, None])) * (vs * (2.0 / math.sqrt(math.pi)))[:, None]
        return None, grad_Ws, grad_vs


def test_error(net: TwoLayerNet, X, y) -> tuple[float, float]:
    """Test error of ``net`` on samples ``(X, y)`` and its standard error ``sqrt(e (1-e) / n)``.

    Computed in float64 from the network's weights. ``X`` (n, N) finite, ``y`` (n,) in {-1, +1}.
    """
    if not isinstance(net, TwoLayerNet):
        raise TypeError(f"net must be a TwoLayerNet, got {type(net).__name__}")
    X, y = check_samples(X, y, net.N)
    W, v = net.weights()
    return error_and_stderr(outputs(W, v, X, net.phi), y)


test_error.__test__ = False  # not a pytest test, despite its name


@dataclass
class History:
    """What :func:`train` did: losses per epoch and where it stopped.

    ``loss[i]`` is the mean training logistic loss (without weight decay) after ``i`` epochs
    (``loss[0]``: at the start; ``epochs_run + 1`` entries); ``val_loss`` the held-out losses
    at each check (empty without early stopping); ``epochs_run`` the number of epochs done;
    ``best_epoch`` the epoch whose parameters were kept (the last one without early stopping).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epochs_run: int = 0
    best_epoch: int = 0


def logistic_loss(net: TwoLayerNet, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean logistic loss ``mean log(1 + exp(-y f(x)))`` of ``net`` on tensors ``X``, ``y``."""
    return torch.nn.functional.softplus(-y * net(X)).mean()


def train(
    net: TwoLayerNet,
    X,
    y,
    recipe: Recipe | None = None,
    *,
    rng: RNGLike = 0,
    check_input: bool = True,
    **settings,
) -> History:
    """Train both layers of ``net`` in place on samples ``X`` (n, N), ``y`` (n,) in {-1, +1}.

    How: the :class:`~tlcourse.specs.Recipe` ``recipe`` (default: the course's), with
    ``settings`` (e.g. ``epochs=200``, ``weight_decay=0.5``) replacing some of its values.
    Minimises the mean logistic loss with ``optimizer`` = ``"adam"`` (PyTorch's ``AdamW``:
    decoupled weight decay) or ``"sgd"`` (plain gradient descent, weight decay as an L2 term);
    ``epochs`` passes over the data, full batch unless ``batch_size`` is given (mini-batches are
    shuffled with ``rng``). Early stopping is off by default (``val_fraction = 0``); with
    ``val_fraction`` in (0, 1) that fraction of the samples (chosen with ``rng``) is held out,
    its loss checked every ``eval_every`` epochs, and training stops after ``patience`` checks
    without improvement, restoring the best parameters. Returns a :class:`History`.
    The recipe's ``device`` (``"auto"``, ``"cpu"`` or ``"cuda"``) is where it trains: ``net`` is
    moved there (in place) and stays there. The random streams are drawn on the CPU, so a seed
    gives the same shuffles on every device.
    ``check_input=False`` skips the checks of ``net``, ``X`` and ``y`` (for callers that made
    them); then ``net`` may be any network of the same conventions (a ``torch.nn.Module`` with
    an input dimension ``N`` and outputs ``f(x)``, e.g. :class:`tlcourse.deep.DeepNet`).
    """
    if check_input:
        if not isinstance(net, TwoLayerNet):
            raise TypeError(f"net must be a TwoLayerNet, got {type(net).__name__}")
        X, y = check_samples(X, y, net.N)
    recipe = Recipe.from_settings(recipe, **settings)
    rng = as_generator(rng)
    epochs, lr, weight_decay = recipe.epochs, recipe.lr, recipe.weight_decay
    val_fraction, patience, eval_every = recipe.val_fraction, recipe.patience, recipe.eval_every
    optimizer, batch_size = recipe.optimizer, recipe.batch_size

    net.to(resolve_device(recipe.device))  # a no-op when it is there already

    n_val = int(round(val_fraction * len(y)))
    if val_fraction > 0 and not 1 <= n_val < len(y):
        raise ValueError(
            f"val_fraction={val_fraction} leaves {n_val} of {len(y)} samples for validation; "
            "need at least one for validation and one for training"
        )
    if n_val:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    Xt, yt = _to_torch(X, y, net)
    Xv, yv = Xt[:n_val], yt[:n_val]
    Xt, yt = Xt[n_val:], yt[n_val:]
    batch_size = len(yt) if batch_size is None else batch_size

    opt = (
        torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
        if optimizer == "adam"
        else torch.optim.SGD(net.parameters(), lr=lr, weight_decay=weight_decay)
    )
    hist = History()
    full_batch = batch_size >= len(yt)
    g = None if full_batch else torch_generator(rng)
    best = (math.inf, None)
    bad_checks = 0
    if not full_batch:
        hist.loss.append(_loss_value(net, Xt, yt))
    for epoch in range(epochs):
        perm = None if full_batch else torch.randperm(len(yt), generator=g).to(yt.device)
        for start in range(0, len(yt), batch_size):
            idx = slice(None) if full_batch else perm[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = logistic_loss(net, Xt[idx], yt[idx])
            loss.backward()
            opt.step()
            if full_batch:
                hist.loss.append(loss.item())  # the loss before this step
        if not full_batch:
            hist.loss.append(_loss_value(net, Xt, yt))
        hist.epochs_run = epoch + 1
        if n_val and (epoch + 1) % eval_every == 0:
            val = _loss_value(net, Xv, yv)
            hist.val_loss.append(val)
            if val < best[0]:
                best, bad_checks = (val, _parameters(net)), 0
                hist.best_epoch = epoch + 1
            else:
                bad_checks += 1
                if bad_checks >= patience:
                    break
    if full_batch:
        hist.loss.append(_loss_value(net, Xt, yt))
    if not math.isfinite(hist.loss[-1]):
        raise FloatingPointError(
            f"training diverged (final loss {hist.loss[-1]}); lower lr (got {lr}) or check the data"
        )
    if best[1] is not None:
        net.load_state_dict(best[1])
    else:
        hist.best_epoch = hist.epochs_run
    return hist


def train_source(
    task: Task,
    n_samples: int,
    K: int,
    *,
    rng: RNGLike,
    activation: str = "erf",
    dtype: torch.dtype = DTYPE,
    recipe: Recipe | None = None,
    cache: bool | str | Path = False,
    **settings,
) -> TwoLayerNet:
    """A two-layer network of width ``K`` trained on ``n_samples`` fresh samples of ``task``.

    ``rng`` seeds both the samples and the network's random start (independent streams);
    ``recipe`` and ``settings`` go to :func:`train` (the course's :class:`~tlcourse.specs.Recipe`:
    full-batch Adam, lr 0.01, 1000 epochs, weight decay 0.1, no early stopping); the network is
    built and trained on the recipe's ``device`` (e.g. ``device="cuda"``). The training
    history is kept as ``net.history`` and the random start as ``net.initial_weights`` (float64
    ``(W, v)``, as :meth:`TwoLayerNet.weights`). Measure the source test error with
    :func:`test_error` on fresh samples.

    ``cache`` (``True``: :func:`tlcourse.diskcache.default_cache_dir`, or a private folder) keeps
    the trained network on disk (:class:`tlcourse.diskcache.DiskCache`), keyed by every argument
    and by the package's code: the same call later returns the same weights,
    history and random start without training. It needs an integer ``rng`` (a generator would not
    advance as training would advance it).
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    n_samples = check_int(n_samples, "n_samples", low=1)
    K = check_int(K, "K", low=1)
    recipe = Recipe.from_settings(recipe, **settings)
    device = resolve_device(recipe.device)
    recipe = recipe.replace(device=device.type)  # "auto" resolved here: part of the cache key
    if cache is False:
        return _trained_source(task, n_samples, K, rng, activation, dtype, device, recipe)
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(f"cache needs an integer rng (a seed), got {type(rng).__name__}")
    state = cached(_trained_source_state, cache)(task, n_samples, K, int(rng), activation,
                                                 str(dtype), str(device), recipe)
    W, v, initial, history = state
    net = TwoLayerNet.from_weights(W, v, activation, dtype=dtype, device=device)
    net.initial_weights, net.history = initial, history
    return net


def train_sources(
    task: Task,
    n_samples: int,
    K: int,
    *,
    rngs,
    n_jobs: int | None = None,
    cache: bool | str | Path = False,
    **kwargs,
) -> dict[int, TwoLayerNet]:
    """:func:`train_source` once per seed of ``rngs`` (integers ``>= 0``), the networks trained
    in parallel by joblib (``n_jobs`` as for :func:`tlcourse.jobs.run_jobs`; ``None``: joblib's
    setting). ``kwargs``: the other keywords of :func:`train_source` (``activation``,
    ``recipe``, settings such as ``weight_decay=2.0``). Returns ``{seed: network}``, in the
    order of ``rngs``: the networks one :func:`train_source` call per seed returns, and with
    ``cache`` the same disk entries (the folder resolved here, in the calling process).
    """
    from .diskcache import cache_folder
    from .jobs import run_jobs

    if isinstance(rngs, str) or np.isscalar(rngs):
        raise TypeError(f"rngs must be a sequence of integer seeds, got {rngs!r}")
    rngs = [check_int(r, "rngs", low=0) for r in rngs]
    if len(set(rngs)) != len(rngs) or not rngs:
        raise ValueError(f"rngs must hold distinct seeds, at least one, got {rngs}")
    folder = cache_folder(cache)
    jobs = [(task, n_samples, K, r, False if folder is None else str(folder), kwargs)
            for r in rngs]
    out = {}
    for r, (net, initial, history) in zip(
            rngs, run_jobs(_train_source_job, jobs, n_jobs=n_jobs, progress=False,
                           desc="source networks"), strict=True):
        net.initial_weights, net.history = initial, history  # not pickled with the network
        out[r] = net
    return out


def _train_source_job(task, n_samples, K, rng, cache, kwargs):
    """One network of :func:`train_sources`, its random start and history (a module-level
    function: joblib pickles it)."""
    net = train_source(task, n_samples, K, rng=rng, cache=cache, **kwargs)
    return net, net.initial_weights, net.history


def _trained_source(task, n_samples, K, rng, activation, dtype, device, recipe) -> TwoLayerNet:
    """:func:`train_source`'s work, its arguments checked."""
    g_data, g_init, g_train = as_generator(rng).spawn(3)
    X, y = task.sample(n_samples, rng=g_data)
    net = TwoLayerNet(task.N, K, activation, rng=g_init, dtype=dtype, device=device)
    net.initial_weights = net.weights()  # the random start, to compare before and after
    net.history = train(net, X, y, recipe, rng=g_train, check_input=False)
    return net


def _trained_source_state(task, n_samples, K, rng, activation, dtype, device, recipe):
    """What the disk cache keeps of :func:`_trained_source` (``dtype`` and ``device`` as
    strings): the weights as stored (``W``, ``v``), the random start and the history."""
    dtype = getattr(torch, dtype.removeprefix("torch."))
    net = _trained_source(task, n_samples, K, rng, activation, dtype, torch.device(device), recipe)
    W, v = (p.detach().cpu().numpy() for p in (net.W, net.v))
    return W, v, net.initial_weights, net.history


def _loss_value(net: TwoLayerNet, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return logistic_loss(net, X, y).item()


def _parameters(net: torch.nn.Module) -> dict:
    """A copy of ``net``'s parameters, to restore with ``load_state_dict``."""
    return {name: p.detach().clone() for name, p in net.state_dict().items()}


def _to_torch(X: np.ndarray, y: np.ndarray, net: torch.nn.Module):
    p = next(net.parameters())
    kw = {"dtype": p.dtype, "device": p.device}
    return torch.as_tensor(X, **kw), torch.as_tensor(y, **kw)
