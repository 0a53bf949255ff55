"""Diagrams of the book, drawn with matplotlib: the data model, the protocols, transfer itself.

Each function returns a :class:`matplotlib.figure.Figure` with no axes frame; every box and arrow
label is a matplotlib ``Text`` whose ``gid`` names what it shows (``"box:latent"``,
``"knob:teacher_perturbation"``, ``"protocol:TL"`` ...), so that tests and readers of the SVG can
find them. Colours follow the book's palette; nothing is computed, so they draw in milliseconds.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .specs import KNOBS

# status of a layer in a protocol -> (face colour, edge colour)
_STATUS_COLOURS = {
    "frozen": ("#d9d9d9", "0.35"),
    "trained": ("#fbd5a5", "#d55e00"),
    "none": ("white", "0.6"),
}

#: The protocols of Part II: what the first layer and the readout are on the target, and from
#: where each starts. ``(first-layer status, first-layer text, readout status, readout text)``.
PROTOCOL_LAYERS = {
    "TL": ("frozen", "$W_s$\nfrozen", "trained", "$v$ trained\n(convex)"),
    "FT": ("trained", "trained,\nstarts at $W_s$", "trained",
           r"trained, starts" "\n" r"at $\hat v_{\mathrm{TL}}$"),
    "2L": ("trained", "trained,\nrandom start", "trained", "trained,\nrandom start"),
    "RF": ("frozen", "random $W$\nfrozen", "trained", "$v$ trained\n(convex)"),
    "0-shot": ("frozen", "$W_s$\nas is", "frozen", "$v_s$\nas is"),
}


def _canvas(width: float, height: float, xlim: tuple, ylim: tuple) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.axis("off")
    return fig, ax


def _box(ax, x, y, text, gid, *, w=1.6, h=0.8, face="white", edge="0.3", size=10):
    """A rounded box centred at (x, y) with ``text``; returns the Text (its gid is ``gid``)."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                facecolor=face, edgecolor=edge, lw=1.3))
    return ax.text(x, y, text, ha="center", va="center", fontsize=size, gid=gid)


def _arrow(ax, start, end, label=None, gid=None, *, colour="0.25", style="-|>", ls="-",
           label_offset=(0.0, 0.18), size=9):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=14, color=colour,
                                 lw=1.3, ls=ls, shrinkA=0, shrinkB=0))
    if label is not None:
        mid = ((start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1])
        ax.text(*mid, label, ha="center", va="bottom", fontsize=size, color=colour, gid=gid)


def data_model_diagram(knobs: bool = False) -> Figure:
    """The hidden manifold model as a flow: latent ``c`` -> features ``F`` -> nonlinearity
    ``sigma`` -> input ``x``, and teacher ``theta`` -> label ``y`` from the same ``c``.

    With ``knobs=True`` the five knobs of the correlated model (:data:`tlcourse.specs.KNOBS`:
    their labels and parts) are marked where they act: deletion and addition on the latent
    space, substitution and feature perturbation on ``F``, teacher perturbation on ``theta``.
    Text gids: ``box:latent``, ``box:features``, ``box:nonlinearity``, ``box:input``,
    ``box:teacher``, ``box:label``, and ``knob:<name>``.
    """
    fig, ax = _canvas(9.0, 3.9 if knobs else 3.0, (-0.2, 10.6), (-0.2, 4.3 if knobs else 3.2))
    y_top, y_bot = 2.4, 0.7
    _box(ax, 1.0, 1.55, "latent $c$\n$\\sim \\mathcal{N}(0, I_D)$", "box:latent", w=1.8, h=1.0)
    _box(ax, 3.8, y_top, "features $F$\n$D \\times N$", "box:features")
    _box(ax, 6.4, y_top, "nonlinearity $\\sigma$\n(sign)", "box:nonlinearity", w=1.9)
    _box(ax, 9.3, y_top, "input $x \\in \\mathbb{R}^N$", "box:input", w=1.9, face="#cfe2f3")
    _box(ax, 3.8, y_bot, "teacher $\\theta$\n$\\in \\mathbb{R}^D$", "box:teacher")
    _box(ax, 7.85, y_bot, "label $y \\in \\{-1, +1\\}$", "box:label", w=2.3, face="#cfe2f3")
    _arrow(ax, (1.9, 1.85), (3.0, y_top), r"$F^\top c/\sqrt{D}$", "arrow:projection",
           label_offset=(-0.35, 0.1))
    _arrow(ax, (4.6, y_top), (5.45, y_top))
    _arrow(ax, (7.35, y_top), (8.35, y_top), "per entry", "arrow:elementwise", size=8)
    _arrow(ax, (1.9, 1.25), (3.0, y_bot))
    _arrow(ax, (4.6, y_bot), (6.7, y_bot), r"sign$(\theta \cdot c/\sqrt{D})$", "arrow:sign")
    if knobs:
        where = {"latent": (1.0, 3.3), "features": (3.8, 3.6), "teacher": (3.8, -0.05)}
        grouped: dict[str, list[str]] = {}
        for name, knob in KNOBS.items():
            grouped.setdefault(knob.part, []).append(name)
        for part, names in grouped.items():
            x, y = where[part]
            for i, name in enumerate(names):
                yy = y + (0.38 * i if part != "teacher" else 0.0)
                ax.text(x, yy, KNOBS[name].mathtext, ha="center", va="center", fontsize=9,
                        color="#d55e00", gid=f"knob:{name}",
                        bbox=dict(boxstyle="round,pad=0.2", fc="#fff4e6", ec="#d55e00", lw=0.8))
        _arrow(ax, (1.0, 3.05), (1.0, 2.1), colour="#d55e00", ls="--")
        _arrow(ax, (3.8, 3.35), (3.8, 2.85), colour="#d55e00", ls="--")
        _arrow(ax, (3.8, 0.15), (3.8, 0.25), colour="#d55e00", ls="--")
    fig.tight_layout()
    return fig


def protocols_diagram() -> Figure:
    """The protocols of Part II side by side: for each, the first layer and the readout, frozen
    (grey) or trained on the target (orange), and where training starts (:data:`PROTOCOL_LAYERS`).

    Text gids: ``protocol:<name>``, ``first-layer:<name>``, ``readout:<name>``,
    ``legend:frozen``, ``legend:trained``.
    """
    fig, ax = _canvas(10.0, 3.6, (-0.3, 10.3), (-0.75, 3.45))
    for i, (name, (s1, t1, s2, t2)) in enumerate(PROTOCOL_LAYERS.items()):
        x = 1.0 + 2.05 * i
        ax.text(x, 3.15, name, ha="center", va="center", fontsize=12, weight="bold",
                gid=f"protocol:{name}")
        _box(ax, x, 0.85, t1, f"first-layer:{name}", w=1.75, h=0.95, size=9,
             face=_STATUS_COLOURS[s1][0], edge=_STATUS_COLOURS[s1][1])
        _box(ax, x, 2.25, t2, f"readout:{name}", w=1.75, h=0.95, size=9,
             face=_STATUS_COLOURS[s2][0], edge=_STATUS_COLOURS[s2][1])
        _arrow(ax, (x, 1.35), (x, 1.75))
    ax.text(-0.25, 0.85, "first layer", rotation=90, ha="center", va="center", fontsize=9)
    ax.text(-0.25, 2.25, "readout", rotation=90, ha="center", va="center", fontsize=9)
    for j, status in enumerate(("frozen", "trained")):
        face, edge = _STATUS_COLOURS[status]
        ax.add_patch(FancyBboxPatch((2.9 + 2.6 * j, -0.62), 0.35, 0.3, boxstyle="round,pad=0.03",
                                    facecolor=face, edgecolor=edge))
        ax.text(3.35 + 2.6 * j, -0.47, "frozen on the target" if status == "frozen"
                else "trained on the target", va="center", fontsize=9, gid=f"legend:{status}")
    fig.tight_layout()
    return fig


def transfer_diagram() -> Figure:
    """Transfer learning in one picture: a network trained on many source samples hands its first
    layer ``W_s`` to the target, where only a new readout is fitted on few samples.

    Text gids: ``box:source-data``, ``box:source-net``, ``box:target-data``, ``box:target-net``,
    ``arrow:transfer``.
    """
    fig, ax = _canvas(9.0, 3.2, (-0.2, 10.2), (-0.3, 3.4))
    _box(ax, 1.2, 2.5, "source task\nmany samples $P_s$", "box:source-data", w=2.2, h=0.9,
         face="#cfe2f3")
    _box(ax, 1.2, 0.6, "target task\nfew samples $P_t$", "box:target-data", w=2.2, h=0.9,
         face="#d9ead3")
    _box(ax, 5.2, 2.5, "network on the source\nfirst layer $W_s$ + readout $v_s$",
         "box:source-net", w=3.6, h=0.9, face=_STATUS_COLOURS["trained"][0],
         edge=_STATUS_COLOURS["trained"][1])
    _box(ax, 5.2, 0.6, "network on the target\n$W_s$ frozen + new readout $v$", "box:target-net",
         w=3.6, h=0.9, face=_STATUS_COLOURS["frozen"][0], edge=_STATUS_COLOURS["frozen"][1])
    _box(ax, 9.0, 0.6, "prediction\nsign $f(x)$", "box:prediction", w=1.7, h=0.9)
    _arrow(ax, (2.3, 2.5), (3.4, 2.5), "train", "arrow:train")
    _arrow(ax, (2.3, 0.6), (3.4, 0.6), "fit readout", "arrow:fit")
    _arrow(ax, (5.2, 2.05), (5.2, 1.05), "transfer $W_s$", "arrow:transfer",
           label_offset=(0.75, -0.1))
    _arrow(ax, (7.0, 0.6), (8.15, 0.6))
    fig.tight_layout()
    return fig


def labelled_texts(fig: Figure) -> dict[str, str]:
    """``{gid: text}`` of every labelled text of a diagram (what a test or a reader looks for)."""
    return {t.get_gid(): t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid()}
