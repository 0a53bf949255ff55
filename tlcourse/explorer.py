"""The theory of transfer for any setting of the knobs: TL and RF learning curves, transfer gain.

:class:`TransferTheory` holds a source task, the first layer a network learned on it
(``W_source``, used by TL) and a random one (``W_random``, RF); for a target made with
:func:`tlcourse.make_target` (teacher perturbation, feature perturbation, feature substitution,
seed ``target_rng``) and a readout penalty ``lam`` it returns the theory's test errors of both
on a grid of ``alpha`` (:meth:`TransferTheory.curves`), fast enough for a slider: the
covariances and their eigenbases are cached per input distribution (the teacher perturbation
does not change them), both curves are solved at once
(:func:`tlcourse.theory.batch.solve_gcm_batch`) from the previous solution, and results are
cached per setting.

:func:`plot_transfer_theory` draws one setting (the static figure, and what
:func:`tlcourse.widgets.transfer_explorer` redraws as its sliders move): the two curves with the
chapter's simulations where they match the setting, and the transfer gain
``eps_RF - eps_TL`` (negative: negative transfer). :func:`default_theory` builds the chapter's
default setting (the source network trained once per process).

Conventions: ``alpha = P / N`` (target samples per input dimension); features ``erf(W x /
sqrt(N))``; logistic readout.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._checks import check_fraction, check_int, check_positive
from .data import Task, make_target
from .theory import feature_covariances
from .theory.batch import eigenbasis, solve_gcm_batch

KNOBS = ("teacher_perturbation", "feature_perturbation", "feature_substitution")
ALPHAS = np.geomspace(0.1, 100.0, 25)  # the default grid of alpha = P / N
_CACHE = 256  # settings kept per TransferTheory
FIGSIZE = (10, 3.6)  # inches, of plot_transfer_theory's figure


@dataclass(frozen=True)
class TheoryCurves:
    """Theory test errors of TL and RF over ``alphas`` (each (n_a,)) for one setting."""

    alphas: np.ndarray
    tl: np.ndarray
    rf: np.ndarray
    setting: dict

    @property
    def gain(self) -> np.ndarray:
        """The transfer gain ``eps_RF - eps_TL`` (positive: the transferred layer helps)."""
        return self.rf - self.tl


@dataclass
class TransferTheory:
    """Theory curves of TL (``W_source``) and RF (``W_random``) on targets of ``source``.

    ``W_source``, ``W_random``: (K, N) first layers; ``alphas`` (n_a,) the grid of ``P / N``;
    targets are ``make_target(source, knobs..., rng=target_rng)`` (one seed for every setting,
    so the fresh parts are shared and curves change smoothly with the knobs).
    """

    source: Task
    W_source: np.ndarray
    W_random: np.ndarray
    target_rng: int = 1
    alphas: np.ndarray = field(default_factory=lambda: ALPHAS.copy())
    _covariances: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _results: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _last: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.source, Task):
            raise TypeError(f"source must be a Task, got {type(self.source).__name__}")
        shapes = []
        for name in ("W_source", "W_random"):
            W = np.asarray(getattr(self, name), dtype=np.float64)
            if W.ndim != 2 or W.shape[1] != self.source.N or not np.isfinite(W).all():
                raise ValueError(f"{name} must be a finite (K, N) matrix with N = source.N = "
                                 f"{self.source.N}, got shape {W.shape}")
            setattr(self, name, W)
            shapes.append(W.shape)
        if shapes[0] != shapes[1]:
            raise ValueError(f"W_source and W_random must have the same shape, got {shapes}")
        self.target_rng = check_int(self.target_rng, "target_rng", low=0)
        alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
        if alphas.size < 2 or (alphas <= 0).any() or (np.diff(alphas) <= 0).any():
            raise ValueError("alphas must hold at least 2 positive, increasing values")
        self.alphas = alphas

    def target(self, teacher_perturbation: float = 0.0, feature_perturbation: float = 0.0,
               feature_substitution: float = 0.0) -> Task:
        """The target task of a setting of the three knobs."""
        return make_target(self.source, teacher_perturbation=teacher_perturbation,
                           feature_perturbation=feature_perturbation,
                           feature_substitution=feature_substitution, rng=self.target_rng)

    def _problems(self, target: Task, key: tuple) -> list:
        """The spectra of TL's and RF's problems on ``target``; ``key`` its input distribution."""
        bases = self._covariances.get(key)
        if bases is None:
            bases = [eigenbasis(*feature_covariances(W, target))
                     for W in (self.W_source, self.W_random)]
            self._covariances[key] = bases
            while len(self._covariances) > _CACHE // 8:
                self._covariances.popitem(last=False)
        return [basis.spectrum(target.theta) for basis in bases]

    def curves(self, teacher_perturbation: float = 0.0, feature_perturbation: float = 0.0,
               feature_substitution: float = 0.0, lam: float = 0.1) -> TheoryCurves:
        """Theory test errors of TL and RF over ``alphas`` for one setting (cached)."""
        knobs = {name: check_fraction(value, name) for name, value in zip(
            KNOBS, (teacher_perturbation, feature_perturbation, feature_substitution),
            strict=True)}
        lam = check_positive(lam, "lam")
        key = (*(round(v, 10) for v in knobs.values()), round(lam, 12))
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        target = self.target(**knobs)
        K = self.W_source.shape[0]
        problems = self._problems(target, key[1:3])
        # the GCM's ratio n / K from the book's alpha = n / N
        res = solve_gcm_batch(problems, self.alphas * self.source.N / K, lam, start=self._last)
        self._last = (res.m, res.q, res.V)
        out = TheoryCurves(self.alphas.copy(), res.test_error[0], res.test_error[1],
                           {**knobs, "lam": lam})
        self._results[key] = out
        while len(self._results) > _CACHE:
            self._results.popitem(last=False)
        return out


@functools.lru_cache(maxsize=4)
def default_theory(D: int = 50, N: int = 100, P_s: int | None = None, rng: int = 0,
                   target_rng: int = 1) -> TransferTheory:
    """The chapters' setting: a source of ``D`` latent directions and ``N = K`` inputs, a source
    network trained with the course's recipe on ``P_s = 10 N`` samples (once per process), a
    random first layer for RF. Seeds: task ``rng``, network ``rng + 1``, random layer 4."""
    from . import make_source, networks, protocols

    D, N = check_int(D, "D", low=2), check_int(N, "N", low=2)
    P_s = 10 * N if P_s is None else check_int(P_s, "P_s", low=1)
    source = make_source(D, N, rng=rng)
    net = networks.train_source(source, P_s, N, rng=rng + 1)
    return TransferTheory(source, net.weights()[0], protocols.random_first_layer(N, N, 4),
                          target_rng=target_rng)


def matching_simulations(simulations: pd.DataFrame | None, setting: dict) -> pd.DataFrame:
    """Rows of ``simulations`` at ``setting`` (knobs and ``lam``), mean and sem per point.

    ``simulations``: columns ``protocol, alpha, test_error``, optionally ``sem`` and the knob
    columns (absent: 0) and ``lam`` (absent: any). Several rows of one protocol and alpha (seeds)
    are averaged; their sem is the spread over rows unless a ``sem`` column is given.
    """
    cols = ["protocol", "alpha", "test_error", "sem"]
    if simulations is None or len(simulations) == 0:
        return pd.DataFrame(columns=cols)
    missing = [c for c in ("protocol", "alpha", "test_error") if c not in simulations.columns]
    if missing:
        raise ValueError(f"simulations must have columns protocol, alpha, test_error; missing "
                         f"{missing}")
    keep = np.ones(len(simulations), dtype=bool)
    for knob in KNOBS:
        values = simulations[knob].to_numpy(float) if knob in simulations else 0.0
        keep &= np.isclose(values, setting[knob], atol=1e-6)
    if "lam" in simulations:
        keep &= np.isclose(simulations["lam"].to_numpy(float), setting["lam"], rtol=1e-3)
    rows = simulations[keep]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    grouped = rows.groupby(["protocol", "alpha"], observed=True)
    out = grouped["test_error"].agg(["mean", "std", "count"]).reset_index()
    if "sem" in rows:
        sem = grouped["sem"].apply(lambda s: float(np.sqrt(np.mean(s**2)))).to_numpy()
        out["sem"] = np.where(out["count"] > 1, out["std"].fillna(0) / np.sqrt(out["count"]), sem)
    else:
        out["sem"] = out["std"].fillna(0.0) / np.sqrt(out["count"])
    return out.rename(columns={"mean": "test_error"})[cols]


class TransferPlot:
    """The artists of :func:`plot_transfer_theory` on two axes, redrawn in place.

    Made once on ``ax`` (the curves) and ``ax_gain`` (the transfer gain), which it clears; each
    :meth:`update` moves the same artists to a new setting (``set_data``), so a redraw creates
    no lines, ticks or legends except when the simulated points shown change. An explorer keeps
    one and updates it as its sliders move.
    """

    def __init__(self, ax, ax_gain) -> None:
        from .specs import PROTOCOLS

        self.ax, self.ax_gain = ax, ax_gain
        ax.cla()
        ax_gain.cla()
        empty = np.zeros(0)
        self.lines = {protocol: ax.plot(empty, empty, ls=ls, color=PROTOCOLS[protocol].color,
                                        label=f"{protocol} (theory)")[0]
                      for protocol, ls in (("TL", "-"), ("RF", "--"))}
        self.gain = ax_gain.plot(empty, empty, color="k", lw=1.5)[0]
        fill = {"interpolate": True, "lw": 0}  # filled up to where the gain crosses 0
        self.helps = ax_gain.fill_between(empty, empty, 0, color="C0", alpha=0.25,
                                          label="transfer helps", **fill)
        self.hurts = ax_gain.fill_between(empty, empty, 0, color="C3", alpha=0.35,
                                          label="negative transfer", **fill)
        ax_gain.axhline(0, color="0.4", lw=0.8)
        ax.set(xscale="log", xlabel=r"$\alpha = P_t / N$", ylabel="test error")
        ax_gain.set(xscale="log", xlabel=r"$\alpha = P_t / N$",
                    ylabel=r"gain $\varepsilon_{RF} - \varepsilon_{TL}$")
        ax_gain.legend(fontsize="small")
        self._points: list = []  # errorbar containers of the simulated points shown
        self._points_key: tuple | None = None

    def update(self, curves: TheoryCurves, simulations: pd.DataFrame | None = None,
               alpha_range: tuple[float, float] = (0.1, 100.0)) -> None:
        """Show ``curves`` and the rows of ``simulations`` at their setting (see
        :func:`matching_simulations`) for ``alpha`` in ``alpha_range``; rescale the axes."""
        from .specs import PROTOCOLS

        lo, hi = (check_positive(a, "alpha_range") for a in alpha_range)
        if not lo < hi:
            raise ValueError(f"alpha_range must be (low, high) with low < high, got {alpha_range}")
        shown = (curves.alphas >= lo * (1 - 1e-9)) & (curves.alphas <= hi * (1 + 1e-9))
        a = curves.alphas[shown]
        self.lines["TL"].set_data(a, curves.tl[shown])
        self.lines["RF"].set_data(a, curves.rf[shown])
        gain = curves.gain[shown]
        self.gain.set_data(a, gain)
        self.helps.set_data(a, gain, 0, where=gain >= 0)
        self.hurts.set_data(a, gain, 0, where=gain < 0)
        sims = matching_simulations(simulations, curves.setting)
        sims = sims[(sims.alpha >= lo) & (sims.alpha <= hi)]
        key = tuple(map(tuple, sims.astype(str).to_numpy()))
        if key != self._points_key:  # new points: replace them and the legend that names them
            for container in self._points:
                container.remove()
            self._points = []
            for protocol, part in sims.groupby("protocol", observed=True, sort=False):
                spec = PROTOCOLS.get(str(protocol))
                self._points.append(self.ax.errorbar(
                    part.alpha, part.test_error, yerr=part["sem"], ls="none", ms=5, capsize=2,
                    marker=(spec.marker if spec else None) or "o",
                    color=spec.color if spec else "k", label=f"{protocol} (simulation)"))
            self.ax.legend(fontsize="small")
            self._points_key = key
        for ax in (self.ax, self.ax_gain):
            ax.relim()
            ax.autoscale_view()

    def fix_xlabels(self) -> None:
        """Keep the x labels where the last draw put them: a log axis's tick labels keep their
        height, and a redraw then skips placing the labels (a second layout of every tick
        label, a sixth of a redraw's time)."""
        for ax in (self.ax, self.ax_gain):
            label = ax.xaxis.label
            xy = label.get_transform().transform(label.get_position())
            ax.xaxis.set_label_coords(*ax.transAxes.inverted().transform(xy))


def plot_transfer_theory(
    theory: TransferTheory | None = None,
    teacher_perturbation: float = 0.3,
    feature_perturbation: float = 0.0,
    feature_substitution: float = 0.0,
    lam: float = 0.1,
    alpha_range: tuple[float, float] = (0.1, 100.0),
    simulations: pd.DataFrame | None = None,
    *,
    axes=None,
):
    """Draw the theory of TL and RF (left) and the transfer gain (right) for one setting.

    ``theory`` defaults to :func:`default_theory`. Lines: TL (solid), RF (dashed); points: the
    rows of ``simulations`` at this setting (any protocol, ± sem; see
    :func:`matching_simulations`). Right: ``eps_RF - eps_TL``, red where negative (negative
    transfer). ``alpha_range`` limits the horizontal axis. ``axes``: two axes to clear and draw
    into; default a new figure. Returns the figure. (To redraw one figure for many settings,
    keep its :class:`TransferPlot` and call :meth:`TransferPlot.update`.)
    """
    theory = default_theory() if theory is None else theory
    lo, hi = (check_positive(a, "alpha_range") for a in alpha_range)
    if not lo < hi:
        raise ValueError(f"alpha_range must be (low, high) with low < high, got {alpha_range}")
    c = theory.curves(teacher_perturbation, feature_perturbation, feature_substitution, lam)
    new = axes is None
    if new:
        _, axes = plt.subplots(1, 2, figsize=FIGSIZE)
    TransferPlot(*axes).update(c, simulations, (lo, hi))
    fig = axes[0].figure
    if new:
        fig.tight_layout()
    return fig


__all__ = ["ALPHAS", "FIGSIZE", "KNOBS", "TheoryCurves", "TransferPlot", "TransferTheory",
           "default_theory", "matching_simulations", "plot_transfer_theory"]
