"""One figure style for the whole book, and the plotting helpers chapters share.

Every chapter calls :func:`set_style` in its first code cell, so that its figures look alike;
importing :mod:`tlcourse` changes no global state of matplotlib.
Conventions: lowercase axis labels, no in-plot titles (captions live in the cell metadata).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import specs
from ._checks import RNGLike, as_generator, check_int, check_positive
from .data import make_source, make_target, overlaps, shared_latents
from .specs import FRACTION_KNOBS, LAM, PROTOCOLS
from .stats import summarize

PALETTE = "colorblind"
FIGSIZE = (5.6, 3.6)


def palette_hex(color: str) -> str:
    """A matplotlib cycle colour of the book's palette (``"C0"`` to ``"C9"``) as ``#rrggbb``,
    whatever the current style (for Plotly figures and HTML)."""
    if not (isinstance(color, str) and len(color) == 2 and color[0] == "C" and color[1].isdigit()):
        raise ValueError(f"color must be a cycle colour 'C0' to 'C9', got {color!r}")
    return mpl.colors.to_hex(sns.color_palette(PALETTE)[int(color[1])])


def protocol_style(name: str, *, hex_color: bool = False) -> dict:
    """How the book draws protocol ``name`` (one of :data:`tlcourse.specs.PROTOCOLS`): a dict
    with ``color``, ``marker`` and ``label``, ready for matplotlib (``**style``); with
    ``hex_color=True`` the colour is ``#rrggbb`` (for Plotly). Every figure takes a protocol's
    style from here, so that a protocol looks the same in every chapter."""
    spec = specs.protocol(name)
    color = palette_hex(spec.color) if hex_color else spec.color
    return {"color": color, "marker": spec.marker or None, "label": spec.label}


def set_style() -> None:
    """Set the course's seaborn theme (white grid, colour-blind palette, readable fonts)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=0.95)
    mpl.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.titlesize": "medium",
            "legend.frameon": False,
        }
    )


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Label the logarithmic ``axis`` of ``ax`` (``"x"``, ``"y"`` or ``"both"``) with plain
    numbers (``0.5``, ``1``, ``2``, ``5``, ``10``...) and no labelled minor ticks.

    Call it once the data are drawn and the scale is set: the ticks sit at 1, 2, 3, 5 and 7 times
    the powers of ten over at most one decade, at 1, 2 and 5 times them over at most two, and at
    the powers alone beyond, so that a short axis still shows several values and none overprint
    each other."""
    if axis not in {"x", "y", "both"}:
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    pairs = [(ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())]
    chosen = {"x": pairs[:1], "y": pairs[1:], "both": pairs}[axis]
    for which, (low, high) in chosen:
        if which.get_scale() != "log":
            raise ValueError(f"the {which.axis_name} axis is not logarithmic; set its scale first")
        decades = np.log10(max(low, high) / min(low, high))
        subs = ((1.0, 2.0, 3.0, 5.0, 7.0) if decades <= 1
                else (1.0, 2.0, 5.0) if decades <= 2 else (1.0,))
        which.set_major_locator(mpl.ticker.LogLocator(base=10, subs=subs))
        which.set_major_formatter(mpl.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        which.set_minor_formatter(mpl.ticker.NullFormatter())


# --- Part I: correlated datasets (book/chmm.md) -------------------------------------------------


def _agreement_scatter(ax, u, v, what: str) -> float:
    """Scatter ``v`` against ``u``, coloured by whether their signs agree; returns the rate."""
    agree = np.sign(u) == np.sign(v)
    rate = float(agree.mean())
    ax.scatter(u[agree], v[agree], s=5, alpha=0.45, color="C0",
               label=f"{what} agree ({100 * rate:.0f}%)")
    ax.scatter(u[~agree], v[~agree], s=5, alpha=0.7, color="C3",
               label=f"{what} differ ({100 * (1 - rate):.0f}%)")
    ax.axhline(0, color="0.5", lw=0.7)
    ax.axvline(0, color="0.5", lw=0.7)
    ax.legend(loc="upper left", markerscale=2.5, fontsize="small", frameon=True, framealpha=0.85)
    return rate


def task_pair_fields(
    teacher_perturbation: float = 0.3,
    feature_perturbation: float = 0.3,
    feature_substitution: float = 0.0,
    latent_added: int = 0,
    latent_removed: int = 0,
    *,
    D: int = 50,
    N: int = 200,
    n: int = 600,
    n_inputs: int = 3,
    rng: RNGLike = 0,
) -> dict:
    """A source task and a target derived from it by the five CHMM knobs, on the same samples.

    The source is ``make_source(D, N, rng=...)``, the target ``make_target(source, <knobs>)``;
    ``n`` latent samples are pushed through both (shared latent directions get the same
    coordinates). Returns a dict: ``fields`` (2, n), the teachers' fields
    ``theta . c / sqrt(D)`` of source and target (the labels are their signs);
    ``input_fields`` (2, n * n_inputs), the pre-activations ``F_j . c / sqrt(D)`` of the first
    ``n_inputs`` input coordinates (the inputs are their signs with ``sign`` data); and
    ``overlaps``, those of :func:`tlcourse.data.overlaps`. With an integer ``rng`` the source and
    each knob's noise are fixed, so that moving one knob changes nothing else.
    """
    D = check_int(D, "D", low=1)
    N = check_int(N, "N", low=1)
    n = check_int(n, "n", low=1)
    n_inputs = check_int(n_inputs, "n_inputs", low=1, high=N + 1)
    g_src, g_tgt, g_lat = as_generator(rng).spawn(3)
    src = make_source(D, N, rng=g_src)
    tgt = make_target(
        src, teacher_perturbation, feature_perturbation, feature_substitution, latent_added,
        latent_removed, rng=g_tgt,
    )
    Cs, Ct = shared_latents(src, tgt, n, rng=g_lat)
    j = slice(0, n_inputs)
    return {
        "fields": np.stack([Cs @ src.theta / np.sqrt(src.D), Ct @ tgt.theta / np.sqrt(tgt.D)]),
        "input_fields": np.stack([(Cs @ src.F[:, j] / np.sqrt(src.D)).ravel(),
                                  (Ct @ tgt.F[:, j] / np.sqrt(tgt.D)).ravel()]),
        "overlaps": overlaps(src, tgt),
    }


OVERLAP_BARS = {"teacher_cosine": ("teacher\ncosine", "C1"),
                "feature_overlap": ("feature\noverlap", "C2"),
                "shared_fraction": ("shared\nfraction", "C4")}
TASK_PAIR_LABELS = {
    "fields": (r"source field $\theta_s \cdot c / \sqrt{D_s}$",
               r"target field $\theta_t \cdot c / \sqrt{D_t}$", "labels"),
    "input_fields": (r"source input field $F_{s,j} \cdot c / \sqrt{D_s}$",
                     r"target $F_{t,j} \cdot c / \sqrt{D_t}$", "input signs"),
}


def plot_task_pair(
    teacher_perturbation: float = 0.3,
    feature_perturbation: float = 0.3,
    feature_substitution: float = 0.0,
    latent_added: int = 0,
    latent_removed: int = 0,
    *,
    D: int = 50,
    N: int = 200,
    n: int = 600,
    n_inputs: int = 3,
    rng: RNGLike = 0,
):
    """Draw :func:`task_pair_fields` (same arguments): three panels, the teachers' fields of
    source against target, the input fields of the first ``n_inputs`` coordinates, and the
    overlaps. Returns the figure."""
    pair = task_pair_fields(teacher_perturbation, feature_perturbation, feature_substitution,
                            latent_added, latent_removed, D=D, N=N, n=n, n_inputs=n_inputs,
                            rng=rng)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), gridspec_kw={"width_ratios": [1, 1, 0.7]})
    for ax, key in zip(axes[:2], TASK_PAIR_LABELS, strict=True):
        xlabel, ylabel, what = TASK_PAIR_LABELS[key]
        _agreement_scatter(ax, *pair[key], what)
        ax.set(xlabel=xlabel, ylabel=ylabel)
    values = [pair["overlaps"][k] for k in OVERLAP_BARS]
    bars = axes[2].bar([name for name, _ in OVERLAP_BARS.values()], values,
                       color=[color for _, color in OVERLAP_BARS.values()])
    axes[2].bar_label(bars, fmt="%.2f", padding=2)
    axes[2].set(ylabel="overlap", ylim=(min(0.0, *values) - 0.05, 1.15))
    fig.tight_layout()
    return fig


# --- Part II: learning curves (book/protocols.md, book/source_networks.md) ----------------------

def plot_learning_curves(df, *, x: str = "alpha", ax=None, logx: bool = True, label_x=None):
    """Mean test error ± standard error per protocol against ``x`` (``alpha`` or ``n``).

    ``df`` is a :func:`tlcourse.curves.learning_curves` table; the error bars are those of
    :func:`tlcourse.stats.summarize` (spread across seeds). ``0-shot`` (independent of the
    target size) is a dashed line with a band. Colours, markers and labels are those of
    :data:`tlcourse.specs.PROTOCOLS`. Returns the axes.
    """
    summary = summarize(df, x=x)
    if ax is None:
        _, ax = plt.subplots()
    for protocol, part in summary.groupby("protocol", observed=True, sort=True):
        style = protocol_style(protocol)
        mean, sem = part["test_error"].to_numpy(), part["sem"].to_numpy()
        xs = part[x].to_numpy()
        if protocol == "0-shot":
            ax.axhline(mean.mean(), color=style["color"], ls="--", lw=1.2,
                       label=style["label"])
            ax.axhspan(mean.mean() - sem.mean(), mean.mean() + sem.mean(),
                       color=style["color"], alpha=0.15, lw=0)
            continue
        ax.errorbar(xs, mean, yerr=sem, ms=5, capsize=2.5, lw=1.4, **style)
    if logx:
        ax.set_xscale("log")
        ticks = np.unique(summary[x].to_numpy())
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    default = {"alpha": r"$\alpha = P_t / N$ (target samples per input dimension)",
               "n": "target samples $P_t$"}
    ax.set(xlabel=label_x or default.get(x, x), ylabel="test error")
    handles, labels = ax.get_legend_handles_labels()
    protocols = getattr(summary["protocol"], "cat", None)  # the table's order, if it has one
    protocols = list(protocols.categories) if protocols is not None else list(PROTOCOLS)
    order = [PROTOCOLS[p].label for p in protocols]
    pairs = sorted(zip(labels, handles, strict=True), key=lambda lh: order.index(lh[0]))
    ax.legend([h for _, h in pairs], [lab for lab, _ in pairs], fontsize="small")
    return ax


def _log_edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around increasing positive ``centres``, midway in log scale."""
    logc = np.log(centres)
    mid = 0.5 * (logc[1:] + logc[:-1])
    first, last = 2 * logc[0] - mid[0], 2 * logc[-1] - mid[-1]
    return np.exp(np.concatenate([[first], mid, [last]]))


def _lin_edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around increasing ``centres``, midway in linear scale."""
    mid = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def plot_gain_map(alphas, values, gain, *, ax=None, knob_label: str = "knob",
                  gain_label: str = "transfer gain", vmax: float | None = None,
                  zero_line: bool = True):
    """A map of a transfer gain over a knob (vertical) and ``alpha`` (horizontal, log scale).

    ``alphas`` (n_a,) and ``values`` (n_k,) increasing cell centres, ``gain`` (n_k, n_a), e.g.
    :attr:`tlcourse.theory.transfer.GainMap.gain`. Diverging colours centred on zero (blue: transfer
    helps, red: it hurts), symmetric range ``vmax`` (default: the largest ``|gain|``), and the
    zero contour (the boundary of negative transfer) when the grid is fine enough. Returns the
    axes; the colour bar is attached to them.
    """
    alphas = np.asarray(alphas, dtype=float)
    values = np.asarray(values, dtype=float)
    gain = np.asarray(gain, dtype=float)
    if gain.shape != (values.size, alphas.size):
        raise ValueError(f"gain must have shape (len(values), len(alphas)) = "
                         f"({values.size}, {alphas.size}), got {gain.shape}")
    if min(alphas.size, values.size) < 2:
        raise ValueError("plot_gain_map needs at least 2 alphas and 2 knob values")
    if ax is None:
        _, ax = plt.subplots()
    vmax = float(np.nanmax(np.abs(gain))) if vmax is None else float(vmax)
    mesh = ax.pcolormesh(_log_edges(alphas), _lin_edges(values), gain, cmap="RdBu",
                         vmin=-vmax, vmax=vmax, shading="flat")
    if zero_line and min(gain.shape) >= 4 and gain.min() < 0 < gain.max():
        ax.contour(alphas, values, gain, levels=[0.0], colors="k", linewidths=1.2)
    ax.set_xscale("log")
    ax.set(xlabel=r"$\alpha = P_t / N$", ylabel=knob_label)
    ax.figure.colorbar(mesh, ax=ax, label=gain_label)
    return ax


# --- Part IV: the theory of transfer for one setting of the knobs ---------------------------------
TRANSFER_FIGSIZE = (10, 3.6)  # inches, of plot_transfer_theory's figure


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
    for knob in FRACTION_KNOBS:
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

    def update(self, curves, simulations: pd.DataFrame | None = None,
               alpha_range: tuple[float, float] = (0.1, 100.0)) -> None:
        """Show ``curves`` (a :class:`~tlcourse.theory.transfer.TheoryCurves`) and the rows of
        ``simulations`` at their setting (see :func:`matching_simulations`) for ``alpha`` in
        ``alpha_range``; rescale the axes."""
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
    theory,
    teacher_perturbation: float = 0.3,
    feature_perturbation: float = 0.0,
    feature_substitution: float = 0.0,
    lam: float = LAM,
    alpha_range: tuple[float, float] = (0.1, 100.0),
    simulations: pd.DataFrame | None = None,
    *,
    axes=None,
):
    """Draw the theory of TL and RF (left) and the transfer gain (right) for one setting.

    ``theory``: a :class:`tlcourse.theory.transfer.TransferTheory`. Lines: TL (solid), RF
    (dashed); points: the rows of ``simulations`` at this setting (any protocol, ± sem; see
    :func:`matching_simulations`). Right: ``eps_RF - eps_TL``, red where negative (negative
    transfer). ``alpha_range`` limits the horizontal axis. ``axes``: two axes to clear and draw
    into; default a new figure. Returns the figure. (To redraw one figure for many settings,
    keep its :class:`TransferPlot` and call :meth:`TransferPlot.update`.)
    """
    c = theory.curves(teacher_perturbation, feature_perturbation, feature_substitution, lam=lam)
    new = axes is None
    if new:
        _, axes = plt.subplots(1, 2, figsize=TRANSFER_FIGSIZE)
    TransferPlot(*axes).update(c, simulations, alpha_range)
    fig = axes[0].figure
    if new:
        fig.tight_layout()
    return fig
