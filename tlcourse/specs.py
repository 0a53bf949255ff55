"""The value objects of the experiments: the training :class:`Recipe` and the :class:`Protocol`
table.

Each checks itself once, when it is built, so that the code below the public functions trusts it:

- :class:`Recipe`: how networks are trained and readouts fitted (``lam``, ``epochs``, ``lr``,
  ``ft_lr``, ``weight_decay``, ...), the one home of the course's defaults
  (chapter *Two-layer networks on the source*);
- :data:`PROTOCOLS`: the transfer protocols of chapter *Four ways to use a source network*
  (``"TL"``, ``"FT"``, ``"2L"``, ``"RF"``, ``"0-shot"``), then those of the networks with two
  hidden layers of chapter *How many layers to transfer* (``"TL1"``, ``"TL2"``, ``"FT2"``,
  ``"3L"``, run by :mod:`tlcourse.deep`), as :class:`Protocol` records (what they train, whether
  they use the source network, how they are run and drawn); every module reads them from here;
- :data:`KNOBS`: the five knobs of :func:`tlcourse.make_target` as :class:`Knob` records (the
  part of the data model each acts on, the label every slider, axis and diagram shows);
- :data:`LAM`: the readout penalty of the course, the default of simulations and theory alike.

Free of PyTorch: plotting and analysis read the table without loading it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ._checks import check_choice, check_fraction, check_int, check_positive

OPTIMIZERS = ("adam", "sgd")
DEVICES = ("auto", "cpu", "cuda")
# the penalties that lam="cv" chooses from: 16 values, 1/3 decade apart, as the theory's search
LAM_GRID = tuple(float(10.0 ** (k / 3)) for k in range(-12, 4))  # 1e-4 .. 10
CV_FOLDS = 5
LAM = 0.1  # the readout penalty by default, in simulation (Recipe.lam) and in the theory


def _check_lam(lam) -> float:
    if isinstance(lam, str):
        raise TypeError(f"lam must be a real number > 0 or 'cv', got {lam!r}")
    return check_positive(lam, "lam")


def _check_grid(grid) -> tuple:
    if isinstance(grid, str) or not hasattr(grid, "__len__") or len(grid) == 0:
        raise ValueError(f"lam_grid must be a non-empty sequence of penalties > 0, got {grid!r}")
    return tuple(sorted(check_positive(lam, "lam_grid") for lam in grid))


@dataclass(frozen=True)
class Recipe:
    """How the course trains: networks (full-batch Adam) and ℓ2 readouts, checked once.

    Attributes
    ----------
    lam : float or "cv"
        ℓ2 strength ``> 0`` of the convex readouts (TL, RF, and FT's starting point), or
        ``"cv"``: chosen for each readout on its own training samples, among ``lam_grid``, by
        ``cv_folds``-fold cross-validation (:func:`tlcourse.readout.select_lam`; the folds drawn
        from the job's seed). The test samples are never used.
    lam_grid : tuple of float
        The penalties ``> 0`` that ``lam="cv"`` chooses from (default :data:`LAM_GRID`, ``1e-4``
        to ``10``, three per decade).
    cv_folds : int
        Folds ``>= 2`` of ``lam="cv"``.
    epochs : int
        Passes over the data ``>= 0`` (full batch: one Adam step per epoch).
    lr : float
        Learning rate ``> 0`` of the source network and of 2L.
    ft_lr : float
        Learning rate ``> 0`` of fine-tuning (FT): smaller, so as not to erase what was
        transferred.
    weight_decay : float
        Decoupled weight decay ``>= 0`` (PyTorch's ``AdamW``: each step multiplies the weights
        by ``1 - lr * weight_decay``; with ``"sgd"`` an L2 term). The course's choice for the
        networks trained on the target (FT after its starting readout, and 2L) is this fixed
        default, 0.1, at every size: it is not tuned, neither by ``lam="cv"`` (which tunes the
        convex readouts only) nor otherwise; a comparison at tuned penalties tunes TL and RF
        fully and FT only at its start.
    optimizer : str
        ``"adam"`` (``AdamW``) or ``"sgd"`` (plain gradient descent).
    batch_size : int or None
        Mini-batch size ``>= 1``, shuffled each epoch; ``None``: full batch.
    val_fraction : float
        In ``[0, 1)``: the fraction of samples held out for early stopping (0: none).
    patience, eval_every : int
        Early stopping: stop after ``patience`` checks of the held-out loss, one every
        ``eval_every`` epochs, without improvement (both ``>= 1``).
    device : str
        Where networks train, one of :data:`DEVICES`: ``"cpu"``, ``"cuda"`` (a GPU; an error if
        PyTorch sees none) or ``"auto"`` (the GPU when PyTorch sees one, else the CPU; resolved by
        :func:`tlcourse.networks.resolve_device`). Training runs in float32 on the device; what
        the book measures is computed in float64 on the CPU from the trained weights, whatever
        the device.

    ``Recipe(**settings)`` raises a clear error for an unknown setting or a value out of range;
    :meth:`replace` returns a checked copy with some settings changed.
    """

    lam: float | str = LAM
    lam_grid: tuple = LAM_GRID
    cv_folds: int = CV_FOLDS
    epochs: int = 1000
    lr: float = 0.01
    ft_lr: float = 1e-3
    weight_decay: float = 0.1
    optimizer: str = "adam"
    batch_size: int | None = None
    val_fraction: float = 0.0
    patience: int = 10
    eval_every: int = 10
    device: str = "auto"

    def __post_init__(self):
        checked = {
            "lam": "cv" if isinstance(self.lam, str) and self.lam == "cv" else _check_lam(self.lam),
            "lam_grid": _check_grid(self.lam_grid),
            "cv_folds": check_int(self.cv_folds, "cv_folds", low=2),
            "epochs": check_int(self.epochs, "epochs", low=0),
            "lr": check_positive(self.lr, "lr"),
            "ft_lr": check_positive(self.ft_lr, "ft_lr"),
            "weight_decay": check_positive(self.weight_decay, "weight_decay", allow_zero=True),
            "optimizer": check_choice(self.optimizer, "optimizer", OPTIMIZERS),
            "batch_size": None if self.batch_size is None
            else check_int(self.batch_size, "batch_size", low=1),
            "val_fraction": check_fraction(self.val_fraction, "val_fraction"),
            "patience": check_int(self.patience, "patience", low=1),
            "eval_every": check_int(self.eval_every, "eval_every", low=1),
            "device": check_choice(self.device, "device", DEVICES),
        }
        if checked["val_fraction"] == 1.0:
            raise ValueError("val_fraction must be < 1 (some samples must remain for training)")
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_settings(cls, recipe: Recipe | None = None, **settings) -> Recipe:
        """The recipe of a public function: ``recipe`` (default :class:`Recipe`) with
        ``settings`` (keywords such as ``lam=0.05``) replacing some of its values.

        Unknown settings raise ``TypeError`` naming the allowed ones.
        """
        if recipe is not None and not isinstance(recipe, Recipe):
            raise TypeError(f"recipe must be a Recipe, got {type(recipe).__name__}")
        base = cls() if recipe is None else recipe
        return base.replace(**settings) if settings else base

    def replace(self, **settings) -> Recipe:
        """A checked copy with ``settings`` changed."""
        allowed = [f.name for f in dataclasses.fields(self)]
        unknown = set(settings) - set(allowed)
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}; allowed: {sorted(allowed)}")
        return dataclasses.replace(self, **settings)

    def asdict(self) -> dict:
        """The settings as a dict of scalars, to label a table's rows. ``lam_grid`` (as text,
        e.g. ``"0.0001..10 (16 values)"``) and ``cv_folds`` only with ``lam="cv"``, which alone
        reads them."""
        out = dataclasses.asdict(self)
        grid, folds = out.pop("lam_grid"), out.pop("cv_folds")
        if self.lam == "cv":
            out.update(lam_grid=f"{grid[0]:g}..{grid[-1]:g} ({len(grid)} values)", cv_folds=folds)
        return out


@dataclass(frozen=True)
class Protocol:
    """One way to use a source network on a target task, and how the book draws it.

    ``name``: the protocol's short name; ``frozen``: every hidden layer stays fixed and only the
    readout is fitted on the target (a convex problem: TL, RF and TL2; the theory covers TL and
    RF); ``hidden_layers``: the hidden layers of the networks it works with (1: the two-layer
    networks of :mod:`tlcourse.protocols`; 2: those of :mod:`tlcourse.deep`);
    ``uses_source``: it reads the source network's weights; ``trains``: it trains anything on the
    target at all (``0-shot`` does not); ``color``, ``marker``, ``label``: its style in every
    figure.

    A protocol whose result at one size does not depend on the others (frozen features or no
    training) runs all sizes in one job (:attr:`one_job_per_size` false).
    """

    name: str
    description: str
    frozen: bool
    uses_source: bool
    trains: bool
    color: str
    marker: str
    label: str
    hidden_layers: int = 1

    @property
    def one_job_per_size(self) -> bool:
        """Whether learning curves run one job per target size (the networks trained end to end)
        rather than one job for all sizes (frozen features reused, or nothing trained)."""
        return self.trains and not self.frozen


PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol("TL", "the readout on the source's frozen first layer", frozen=True,
                 uses_source=True, trains=True, color="C0", marker="o",
                 label="TL (transfer, frozen features)"),
        Protocol("FT", "both layers, starting at the source's first layer and the TL readout",
                 frozen=False, uses_source=True, trains=True, color="C2", marker="s",
                 label="FT (fine-tuning)"),
        Protocol("2L", "both layers from a random start", frozen=False, uses_source=False,
                 trains=True, color="C3", marker="^", label="2L (from scratch)"),
        Protocol("RF", "the readout on a frozen random first layer", frozen=True,
                 uses_source=False, trains=True, color="C7", marker="v",
                 label="RF (random features)"),
        Protocol("0-shot", "the source network as it is", frozen=False, uses_source=True,
                 trains=False, color="C4", marker="", label="0-shot (source network as is)"),
        # networks with two hidden layers (tlcourse.deep), in the colours of their one-layer
        # analogues (TL2 ~ TL, FT2 ~ FT, 3L ~ 2L): the two families never share a figure
        Protocol("TL1", "the source's first layer frozen; second layer and readout trained "
                 "from a random start", frozen=False, uses_source=True, trains=True,
                 color="C1", marker="D", label="TL1 (first layer frozen)", hidden_layers=2),
        Protocol("TL2", "the readout on the source's two frozen hidden layers", frozen=True,
                 uses_source=True, trains=True, color="C0", marker="o",
                 label="TL2 (both layers frozen)", hidden_layers=2),
        Protocol("FT2", "all layers, starting at the source's two hidden layers and the TL2 "
                 "readout", frozen=False, uses_source=True, trains=True, color="C2",
                 marker="s", label="FT2 (both layers, fine-tuned)", hidden_layers=2),
        Protocol("3L", "all layers from a random start", frozen=False, uses_source=False,
                 trains=True, color="C3", marker="^", label="3L (from scratch)",
                 hidden_layers=2),
    )
}


def protocol_names(hidden_layers: int | None = None) -> list[str]:
    """The names of the protocols for networks with ``hidden_layers`` hidden layers (1: TL, FT,
    2L, RF, 0-shot; 2: TL1, TL2, FT2, 3L; ``None``: all), in the order of :data:`PROTOCOLS`."""
    return [p for p, spec in PROTOCOLS.items()
            if hidden_layers is None or spec.hidden_layers == hidden_layers]


def protocol(name, *, hidden_layers: int | None = None) -> Protocol:
    """The :class:`Protocol` called ``name``; a clear error for an unknown name, or for one of
    networks of another depth than ``hidden_layers`` (1 or 2; ``None``: any)."""
    return PROTOCOLS[check_choice(name, "protocol", protocol_names(hidden_layers))]


def protocol_list(protocols, name: str = "protocols", *,
                  hidden_layers: int | None = None) -> list[str]:
    """Protocol names from one name or a collection of them, each checked (among those of
    networks with ``hidden_layers`` hidden layers, if given), at least one."""
    names = [protocols] if isinstance(protocols, str) else list(protocols)
    if not names:
        raise ValueError(f"{name} must name at least one protocol")
    allowed = protocol_names(hidden_layers)
    for p in names:
        check_choice(p, name, allowed)
    return names


@dataclass(frozen=True)
class Knob:
    r"""A knob of the correlated hidden manifold model, a keyword of :func:`tlcourse.make_target`.

    ``name``: the keyword; ``label``: what it changes, in words; ``symbol``: its letter in the
    book, as text (``"δθ"``, for sliders and Plotly) and ``tex`` (``r"\delta_\theta"``, for
    matplotlib); ``part``: where it acts on the data model (``"latent"``, ``"features"`` or
    ``"teacher"``); ``fraction``: its values lie in [0, 1] (else: a count of latent directions).
    """

    name: str
    label: str
    symbol: str
    tex: str
    part: str
    fraction: bool

    @property
    def text(self) -> str:
        """Label and symbol as plain text (``"teacher perturbation δθ"``)."""
        return f"{self.label} {self.symbol}"

    @property
    def mathtext(self) -> str:
        """Label and symbol for matplotlib (``"teacher perturbation $\\delta_\\theta$"``)."""
        return f"{self.label} ${self.tex}$"


#: The five knobs of :func:`tlcourse.make_target`, by keyword: one :class:`Knob` each.
KNOBS: dict[str, Knob] = {
    k.name: k
    for k in (
        Knob("teacher_perturbation", "teacher perturbation", "δθ", r"\delta_\theta", "teacher",
             fraction=True),
        Knob("feature_perturbation", "feature perturbation", "δF", r"\delta_F", "features",
             fraction=True),
        Knob("feature_substitution", "feature substitution", "s", "s", "features",
             fraction=True),
        Knob("latent_added", "latent directions added", "a", "a", "latent", fraction=False),
        Knob("latent_removed", "latent directions removed", "r", "r", "latent", fraction=False),
    )
}
#: the knobs whose values are fractions in [0, 1] (the theory explorers' sliders)
FRACTION_KNOBS = tuple(name for name, k in KNOBS.items() if k.fraction)


__all__ = ["CV_FOLDS", "DEVICES", "FRACTION_KNOBS", "KNOBS", "LAM", "LAM_GRID", "OPTIMIZERS",
           "PROTOCOLS", "Knob", "Protocol", "Recipe", "protocol", "protocol_list",
           "protocol_names"]
