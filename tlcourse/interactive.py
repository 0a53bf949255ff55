"""Figures that move in the static HTML book: Plotly, data computed when the chapter runs.

A reader of the built book has no kernel, so an ipywidgets explorer shows only its first figure
there. These figures carry their data for a whole grid of settings and move in the browser
alone (a slider, hover), without a kernel and without the network:

- :func:`theory_curves_figure`: the theory of TL and RF and the transfer gain, a slider over the
  values of one knob;
- :func:`gain_map_figure`: the transfer gain over knob value x alpha, a slider over the knobs,
  hover for both test errors.

:func:`offline` wraps a figure for display in a notebook: a mime bundle with the figure's JSON
(JupyterLab draws it with its Plotly extension) and an HTML fragment that calls plotly.js, which
the book serves from its own files (``tools/vendor_assets.py`` copies the ``plotly`` package's
bundle to ``_vendor/plotly/``; ``tools/templates/layout.html`` loads it on the pages that have a
Plotly figure).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._checks import check_choice, check_positive
from .explorer import KNOBS, TransferTheory

LABELS = {"teacher_perturbation": "teacher perturbation δθ",
          "feature_perturbation": "feature perturbation δF",
          "feature_substitution": "feature substitution s"}
COLORS = {"TL": "#0173b2", "RF": "#949494", "gain": "#000000"}  # the book's colour-blind palette
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"]}
HEIGHT = 430
VALUES = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))  # default knob settings


def _values(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 2 or not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"{name} must hold at least 2 values in [0, 1], got {values}")
    return values


def _slider(labels: list[str], prefix: str, active: int) -> dict:
    """A Plotly slider whose steps show the frames ``labels`` at once (no animation)."""
    steps = [{"label": lab, "method": "animate",
              "args": [[lab], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                               "transition": {"duration": 0}}]}
             for lab in labels]
    return {"active": active, "steps": steps, "currentvalue": {"prefix": prefix},
            "pad": {"t": 55}, "len": 0.9, "x": 0.05}


def theory_curves_figure(
    theory: TransferTheory,
    knob: str = "teacher_perturbation",
    values=VALUES,
    *,
    lam: float = 0.1,
    fixed: dict | None = None,
    active: int = 0,
) -> go.Figure:
    """TL and RF theory curves (left) and the transfer gain (right), a slider over ``knob``.

    ``values``: the knob's settings in [0, 1] (one frame each); ``fixed``: the other knobs
    (default 0); ``lam``: the readout penalty; ``active``: the frame shown first. Every frame's
    data are computed here (:meth:`TransferTheory.curves`), so the figure moves without a
    kernel. Hover gives both errors and the gain.
    """
    check_choice(knob, "knob", KNOBS)
    values = _values(values, "values")
    lam = check_positive(lam, "lam")
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(KNOBS) or ({knob} & set(fixed))
    if unknown:
        others = [k for k in KNOBS if k != knob]
        raise ValueError(f"fixed may set the knobs other than {knob!r} {others}, got "
                         f"{sorted(unknown)}")
    if not 0 <= active < values.size:
        raise ValueError(f"active must index values (0 to {values.size - 1}), got {active}")
    curves = [theory.curves(**{**fixed, knob: float(v)}, lam=lam) for v in values]
    a = theory.alphas
    labels = [f"{v:.2f}" for v in values]

    def traces(c):
        hover = "α = %{x:.3g}<br>%{y:.4f}<extra>%{fullData.name}</extra>"
        return [
            go.Scatter(x=a, y=c.tl, name="TL (theory)", line={"color": COLORS["TL"]},
                       hovertemplate=hover),
            go.Scatter(x=a, y=c.rf, name="RF (theory)",
                       line={"color": COLORS["RF"], "dash": "dash"}, hovertemplate=hover),
            go.Scatter(x=a, y=c.gain, name="gain ε_RF − ε_TL", line={"color": COLORS["gain"]},
                       fill="tozeroy", fillcolor="rgba(1, 115, 178, 0.15)", hovertemplate=hover),
        ]

    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12)
    for k, trace in enumerate(traces(curves[active])):
        fig.add_trace(trace, row=1, col=1 + (k == 2))
    fig.frames = [go.Frame(data=traces(c), traces=[0, 1, 2], name=lab)
                  for c, lab in zip(curves, labels, strict=True)]
    top = max(max(c.tl.max(), c.rf.max()) for c in curves)
    gains = np.concatenate([c.gain for c in curves])
    pad = 0.05 * (gains.max() - gains.min() + 1e-9)
    fig.update_xaxes(type="log", title_text="α = P_t / N (target samples per input dimension)")
    fig.update_yaxes(title_text="test error (theory)", range=[0, 1.05 * top], row=1, col=1)
    fig.update_yaxes(title_text="gain ε_RF − ε_TL (theory)", zeroline=True,
                     range=[min(gains.min(), 0) - pad, max(gains.max(), 0) + pad], row=1, col=2)
    fig.update_layout(height=HEIGHT, margin={"t": 30, "b": 10, "l": 60, "r": 20},
                      template="plotly_white", legend={"orientation": "h", "y": 1.12},
                      sliders=[_slider(labels, f"{LABELS[knob]} = ", active)])
    return fig


def gain_map_figure(
    theory: TransferTheory,
    values=VALUES,
    *,
    knobs=KNOBS,
    lam: float = 0.1,
) -> go.Figure:
    """The transfer gain over knob value (vertical) x alpha (horizontal), a slider over ``knobs``.

    One heat map per knob (the others at 0), on one colour scale centred on zero (blue:
    transfer helps; red: negative transfer); hover gives alpha, the knob's value, both theory
    errors and the gain. Data computed here, as in :func:`theory_curves_figure`.
    """
    values = _values(values, "values")
    lam = check_positive(lam, "lam")
    knobs = [check_choice(k, "knobs", KNOBS) for k in knobs]
    if not knobs:
        raise ValueError("knobs must name at least one knob")
    maps = {}
    for knob in knobs:
        curves = [theory.curves(**{knob: float(v)}, lam=lam) for v in values]
        maps[knob] = (np.array([c.tl for c in curves]), np.array([c.rf for c in curves]))
    vmax = max(float(np.abs(rf - tl).max()) for tl, rf in maps.values()) or 1.0
    a = theory.alphas

    def heatmap(knob):
        tl, rf = maps[knob]
        return go.Heatmap(
            x=a, y=values, z=rf - tl, customdata=np.stack([tl, rf], axis=-1),
            colorscale="RdBu", zmin=-vmax, zmax=vmax, zmid=0.0,
            colorbar={"title": {"text": "gain"}},
            hovertemplate=("α = %{x:.3g}, value %{y:.2f}<br>TL %{customdata[0]:.4f}, "
                           "RF %{customdata[1]:.4f}<br>gain %{z:+.4f}<extra></extra>"))

    names = [LABELS[k] for k in knobs]
    fig = go.Figure(data=[heatmap(knobs[0])])
    fig.frames = [go.Frame(data=[heatmap(k)], traces=[0], name=n)
                  for k, n in zip(knobs, names, strict=True)]
    fig.update_xaxes(type="log", title_text="α = P_t / N")
    fig.update_yaxes(title_text="knob value")
    fig.update_layout(height=HEIGHT, margin={"t": 20, "b": 10, "l": 60, "r": 20},
                      template="plotly_white", sliders=[_slider(names, "knob: ", 0)])
    return fig


class OfflineFigure:
    """A Plotly figure for a notebook: its JSON for JupyterLab, an HTML fragment for the book.

    The fragment does not embed plotly.js (4-5 MB): the book's pages load the vendored copy.
    """

    def __init__(self, figure: go.Figure) -> None:
        if not isinstance(figure, go.Figure):
            raise TypeError(f"figure must be a plotly Figure, got {type(figure).__name__}")
        self.figure = figure

    def to_html(self) -> str:
        spec = json.dumps(self.figure.to_plotly_json(), sort_keys=True, default=str)
        div_id = "tlcourse-plotly-" + hashlib.sha256(spec.encode()).hexdigest()[:12]
        return self.figure.to_html(full_html=False, include_plotlyjs=False, config=CONFIG,
                                   auto_play=False, div_id=div_id,
                                   default_height=f"{HEIGHT}px")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        spec = self.figure.to_plotly_json()
        spec["config"] = CONFIG
        return {"application/vnd.plotly.v1+json": spec, "text/html": self.to_html(),
                "text/plain": f"<plotly figure: {len(self.figure.frames)} frames>"}


def offline(figure: go.Figure) -> OfflineFigure:
    """Wrap ``figure`` for display (the last expression of a cell, or ``display(...)``)."""
    return OfflineFigure(figure)


__all__ = ["OfflineFigure", "gain_map_figure", "offline", "theory_curves_figure"]
