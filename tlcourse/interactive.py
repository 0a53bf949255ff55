"""Figures that move in the static HTML book: Plotly, data computed when the chapter runs.

A reader of the built book has no kernel, so an ipywidgets explorer shows only its first figure
there. These figures carry their data for a whole grid of settings and move in the browser
alone (a slider, hover), without a kernel and without the network:

- :func:`theory_curves_figure`: the theory of TL and RF and the transfer gain, a slider over the
  values of one knob;
- :func:`gain_map_figure`: the transfer gain over knob value x alpha, a slider over the knobs,
  hover for both test errors;
- explorers with several sliders (:class:`OfflineExplorer`): a Plotly figure and HTML range
  sliders, whose every setting on a grid was computed when the chapter ran
  (:func:`transfer_theory_explorer`: the theory of TL and RF with the simulated points;
  :func:`task_pair_explorer`: two related tasks on the same samples). The book's own script
  ``tools/theme/tlcourse-explorer.js`` swaps the data when a slider moves. :func:`live_or_static`
  pairs one with the ipywidgets explorer of :mod:`tlcourse.widgets`: a live kernel shows the
  widget, the HTML book (which prefers ``text/html`` to a widget view, ``_config.yml``) the
  static explorer.

:func:`offline` wraps a figure for display in a notebook: a mime bundle with the figure's JSON
(JupyterLab draws it with its Plotly extension) and an HTML fragment that calls plotly.js, which
the book serves from its own files (``tools/vendor_assets.py`` copies the ``plotly`` package's
bundle to ``_vendor/plotly/``; ``tools/templates/layout.html`` loads it on the pages that have a
Plotly figure).
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._checks import check_choice, check_positive
from .plotting import (
    OVERLAP_BARS,
    matching_simulations,
    palette_hex,
    protocol_style,
    task_pair_fields,
)
from .specs import FRACTION_KNOBS, KNOBS, LAM
from .theory.transfer import TransferTheory

COLORS = {"TL": protocol_style("TL", hex_color=True)["color"],
          "RF": protocol_style("RF", hex_color=True)["color"], "gain": "#000000"}
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


_HOVER = "α = %{x:.3g}<br>%{y:.4f}<extra>%{fullData.name}</extra>"


def _theory_traces(a, tl, rf, gain) -> list[go.Scatter]:
    """The TL and RF theory curves (first panel) and the transfer gain (second) over ``a``."""
    return [
        go.Scatter(x=a, y=tl, name="TL (theory)", line={"color": COLORS["TL"]},
                   hovertemplate=_HOVER),
        go.Scatter(x=a, y=rf, name="RF (theory)", line={"color": COLORS["RF"], "dash": "dash"},
                   hovertemplate=_HOVER),
        go.Scatter(x=a, y=gain, name="gain ε_RF − ε_TL", line={"color": COLORS["gain"]},
                   fill="tozeroy", fillcolor="rgba(1, 115, 178, 0.15)", hovertemplate=_HOVER),
    ]


def _theory_axes(fig: go.Figure, top: float, gains: np.ndarray, x_title: str) -> None:
    """Log alpha axes, test errors from 0 to ``top``, the gain axis around 0 and ``gains``."""
    pad = 0.05 * (gains.max() - gains.min() + 1e-9)
    fig.update_xaxes(type="log", dtick=1, title_text=x_title)  # powers of ten only
    fig.update_yaxes(title_text="test error (theory)", range=[0, 1.05 * top], row=1, col=1)
    fig.update_yaxes(title_text="gain ε_RF − ε_TL", zeroline=True,
                     range=[min(gains.min(), 0) - pad, max(gains.max(), 0) + pad], row=1, col=2)


def theory_curves_figure(
    theory: TransferTheory,
    knob: str = "teacher_perturbation",
    values=VALUES,
    *,
    lam: float = LAM,
    fixed: dict | None = None,
    active: int = 0,
) -> go.Figure:
    """TL and RF theory curves (left) and the transfer gain (right), a slider over ``knob``.

    ``values``: the knob's settings in [0, 1] (one frame each); ``fixed``: the other knobs
    (default 0); ``lam``: the readout penalty; ``active``: the frame shown first. Every frame's
    data are computed here (:meth:`TransferTheory.curves`), so the figure moves without a
    kernel. Hover gives both errors and the gain.
    """
    check_choice(knob, "knob", FRACTION_KNOBS)
    values = _values(values, "values")
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(FRACTION_KNOBS) or ({knob} & set(fixed))
    if unknown:
        others = [k for k in FRACTION_KNOBS if k != knob]
        raise ValueError(f"fixed may set the knobs other than {knob!r} {others}, got "
                         f"{sorted(unknown)}")
    if not 0 <= active < values.size:
        raise ValueError(f"active must index values (0 to {values.size - 1}), got {active}")
    curves = [theory.curves(**{**fixed, knob: float(v)}, lam=lam) for v in values]
    a = theory.alphas
    labels = [f"{v:.2f}" for v in values]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12)
    c = curves[active]
    for k, trace in enumerate(_theory_traces(a, c.tl, c.rf, c.gain)):
        fig.add_trace(trace, row=1, col=1 + (k == 2))
    fig.frames = [go.Frame(data=_theory_traces(a, c.tl, c.rf, c.gain), traces=[0, 1, 2],
                           name=lab) for c, lab in zip(curves, labels, strict=True)]
    _theory_axes(fig, max(max(c.tl.max(), c.rf.max()) for c in curves),
                 np.concatenate([c.gain for c in curves]),
                 "α = P_t / N (target samples per input dimension)")
    fig.update_layout(height=HEIGHT, margin={"t": 30, "b": 10, "l": 60, "r": 20},
                      template="plotly_white", legend={"orientation": "h", "y": 1.12},
                      sliders=[_slider(labels, f"{KNOBS[knob].text} = ", active)])
    return fig


def gain_map_figure(
    theory: TransferTheory,
    values=VALUES,
    *,
    knobs=FRACTION_KNOBS,
    lam: float = LAM,
) -> go.Figure:
    """The transfer gain over knob value (vertical) x alpha (horizontal), a slider over ``knobs``.

    One heat map per knob (the others at 0), on one colour scale centred on zero (blue:
    transfer helps; red: negative transfer); hover gives alpha, the knob's value, both theory
    errors and the gain. Data computed here, as in :func:`theory_curves_figure`.
    """
    values = _values(values, "values")
    knobs = [check_choice(k, "knobs", FRACTION_KNOBS) for k in knobs]
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

    names = [KNOBS[k].text for k in knobs]
    fig = go.Figure(data=[heatmap(knobs[0])])
    fig.frames = [go.Frame(data=[heatmap(k)], traces=[0], name=n)
                  for k, n in zip(knobs, names, strict=True)]
    fig.update_xaxes(type="log", dtick=1, title_text="α = P_t / N")
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


# --- explorers with several sliders, every setting precomputed -----------------------------------
@dataclass(frozen=True)
class Control:
    """A slider of an :class:`OfflineExplorer`: keyword ``name``, shown ``label``, the
    ``values`` it steps through (at least 2) and the index of its ``start`` value."""

    name: str
    label: str
    values: tuple
    start: int = 0

    def __post_init__(self) -> None:
        if len(self.values) < 2:
            raise ValueError(f"control {self.name!r} needs at least 2 values, got {self.values}")
        if not 0 <= self.start < len(self.values):
            raise ValueError(f"start of control {self.name!r} must index its values (0 to "
                             f"{len(self.values) - 1}), got {self.start}")


def _rounded(value, digits: int):
    """Numbers of a trace update rounded for the page (lists, arrays, nested dicts)."""
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return [None if not np.isfinite(v) else v for v in np.round(value, digits).tolist()]
        return value.tolist()
    if isinstance(value, float | np.floating):
        return round(float(value), digits)
    if isinstance(value, list | tuple):
        return [_rounded(v, digits) for v in value]
    return value


class OfflineExplorer:
    """A figure with sliders that moves in the static HTML book, without a kernel.

    ``figure``: the Plotly figure at the start setting (its layout and its traces' fixed
    properties); ``controls``: the sliders; ``frames``: for each computed setting (a tuple of
    value indices, one per control) a list of updates, one per trace of ``figure`` (a dict of the
    properties that change, e.g. ``{"y": array}``), merged into the trace when a slider reaches
    that setting. ``exclusive``: names of controls of which at most one sits away from its first
    value (the grid holds those settings only): moving one sends the others back to their first
    value, visibly. Numbers are rounded to ``digits`` decimals in the page.
    """

    def __init__(self, figure: go.Figure, controls, frames: dict, *, exclusive=(),
                 digits: int = 4, note: str = "") -> None:
        if not isinstance(figure, go.Figure):
            raise TypeError(f"figure must be a plotly Figure, got {type(figure).__name__}")
        self.controls = list(controls)
        names = [c.name for c in self.controls]
        unknown = set(exclusive) - set(names)
        if unknown:
            raise ValueError(f"exclusive names unknown controls {sorted(unknown)}; controls: "
                             f"{names}")
        start = tuple(c.start for c in self.controls)
        if start not in frames:
            raise ValueError(f"frames must hold the start setting {start}")
        for key, updates in frames.items():
            if len(key) != len(self.controls) or len(updates) != len(figure.data):
                raise ValueError(f"frame {key}: one index per control ({len(self.controls)}) "
                                 f"and one update per trace ({len(figure.data)}) needed")
        self.figure, self.frames = figure, frames
        self.exclusive, self.digits, self.note = list(exclusive), digits, note

    def spec(self) -> dict:
        """What the page's script reads: figure, controls, exclusive group and frames."""
        return {
            "figure": json.loads(self.figure.to_json()),
            "config": CONFIG,
            "controls": [{"name": c.name, "label": c.label, "start": c.start,
                          "labels": [f"{v:g}" if isinstance(v, float | int) else str(v)
                                     for v in c.values]}
                         for c in self.controls],
            "exclusive": self.exclusive,
            "frames": {",".join(map(str, key)): _rounded(updates, self.digits)
                       for key, updates in self.frames.items()},
        }

    def to_html(self) -> str:
        """The explorer as an HTML fragment: sliders, the figure's div, its data (JSON)."""
        data = json.dumps(self.spec(), separators=(",", ":"), allow_nan=False)
        uid = "tlcourse-explorer-" + hashlib.sha256(data.encode()).hexdigest()[:12]
        rows = "".join(
            f'<label class="tlx-control"><span class="tlx-label">{html.escape(c.label)}</span>'
            f'<input type="range" min="0" max="{len(c.values) - 1}" step="1" '
            f'value="{c.start}" data-name="{html.escape(c.name)}">'
            f'<output class="tlx-value"></output></label>'
            for c in self.controls)
        note = f'<p class="tlx-note">{html.escape(self.note)}</p>' if self.note else ""
        data = data.replace("</", "<\\/")  # nothing in the JSON may close the script
        return (f'<div class="tlcourse-explorer" id="{uid}"><div class="tlx-controls">{rows}'
                f'</div>{note}<div class="plotly-graph-div tlx-plot" '
                f'style="height:{self.figure.layout.height or HEIGHT}px; width:100%;"></div>'
                f'<script type="application/json" class="tlx-data">{data}</script></div>')

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.to_html(),
                "text/plain": f"<explorer: {len(self.controls)} sliders, "
                              f"{len(self.frames)} settings>"}


class LiveOrStatic:
    """An ipywidgets explorer for a live kernel and an :class:`OfflineExplorer` for the book,
    displayed as one output: the widget's view (which a live notebook shows) and the static
    explorer's HTML (which the HTML book shows: ``_config.yml`` ranks ``text/html`` first)."""

    def __init__(self, static: OfflineExplorer, live) -> None:
        if not isinstance(static, OfflineExplorer):
            raise TypeError(f"static must be an OfflineExplorer, got {type(static).__name__}")
        if not hasattr(live, "_repr_mimebundle_"):
            raise TypeError(f"live must be a widget, got {type(live).__name__}")
        self.static, self.live = static, live

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.live._repr_mimebundle_(include=include, exclude=exclude)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        return {**data, "text/html": self.static.to_html()}, metadata


def live_or_static(static: OfflineExplorer, live) -> LiveOrStatic:
    """Display ``live`` (an ipywidgets explorer) in a kernel, ``static`` in the HTML book."""
    return LiveOrStatic(static, live)


FRACTIONS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))
LAMS = (0.01, 0.1, 1.0, 10.0)


def _points(sims, protocol: str) -> dict:
    part = sims[sims["protocol"] == protocol]
    return {"x": part["alpha"].to_numpy(float), "y": part["test_error"].to_numpy(float),
            "error_y": {"array": part["sem"].to_numpy(float)}}


def transfer_theory_explorer(
    theory: TransferTheory,
    simulations=None,
    *,
    values=FRACTIONS,
    lams=LAMS,
    start: dict | None = None,
) -> OfflineExplorer:
    """The theory of TL and RF (left) and the transfer gain (right), as
    :func:`tlcourse.widgets.transfer_explorer` draws it, over a grid: each knob of
    :data:`tlcourse.specs.FRACTION_KNOBS` through ``values`` (one knob away from 0 at a time)
    times the readout penalties ``lams``. ``simulations``: the chapter's simulated points
    (columns of :func:`tlcourse.plotting.matching_simulations`), shown where the sliders sit at
    their setting. ``start``: the knobs and ``lam`` shown first (each on its grid; default all 0
    and ``lam =`` :data:`tlcourse.specs.LAM`). Every setting is computed here
    (:meth:`TransferTheory.curves`)."""
    values = _values(values, "values")
    lams = [check_positive(v, "lams") for v in lams]
    start = {"lam": LAM, **(start or {})}
    grids = {**{k: list(values) for k in FRACTION_KNOBS}, "lam": lams}
    unknown = set(start) - set(grids)
    if unknown:
        raise ValueError(f"start may set {sorted(grids)}, got {sorted(unknown)}")
    index = {}
    for name, value in start.items():
        hits = np.flatnonzero(np.isclose(grids[name], value))
        if hits.size == 0:
            raise ValueError(f"start {name} = {value} is not on the grid {grids[name]}")
        index[name] = int(hits[0])
    if sum(index.get(k, 0) > 0 for k in FRACTION_KNOBS) > 1:
        raise ValueError(f"start may set one knob away from 0, got {start}")
    protocols = []
    if simulations is not None and len(simulations):
        matching_simulations(simulations, {**dict.fromkeys(FRACTION_KNOBS, 0.0),
                                           "lam": lams[0]})
        protocols = [p for p in ("TL", "RF", "FT", "2L")
                     if p in set(simulations["protocol"].astype(str))]
    controls = [Control(k, KNOBS[k].text, tuple(values), index.get(k, 0))
                for k in FRACTION_KNOBS]
    controls.append(Control("lam", "readout penalty λ", tuple(lams), index["lam"]))

    frames = {}
    for knob in FRACTION_KNOBS:
        for i, value in enumerate(values):
            for j, lam in enumerate(lams):
                key = tuple(i if k == knob else 0 for k in FRACTION_KNOBS) + (j,)
                if key in frames:
                    continue
                setting = {**dict.fromkeys(FRACTION_KNOBS, 0.0), knob: float(value),
                           "lam": lam}
                c = theory.curves(**setting)
                updates = [{"y": c.tl}, {"y": c.rf}, {"y": c.gain}]
                sims = matching_simulations(simulations, setting)
                updates += [_points(sims, p) for p in protocols]
                frames[key] = updates
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12)
    first = frames[tuple(c.start for c in controls)]
    for k, trace in enumerate(_theory_traces(theory.alphas, *(f["y"] for f in first[:3]))):
        fig.add_trace(trace, row=1, col=1 + (k == 2))
    symbols = {"o": "circle", "s": "square", "^": "triangle-up", "v": "triangle-down"}
    for k, p in enumerate(protocols):
        style = protocol_style(p, hex_color=True)
        fig.add_trace(go.Scatter(
            x=first[3 + k]["x"], y=first[3 + k]["y"], mode="markers",
            name=f"{p} (simulation)", error_y={"array": first[3 + k]["error_y"]["array"]},
            marker={"color": style["color"], "symbol": symbols.get(style["marker"], "circle"),
                    "size": 7}, hovertemplate=_HOVER), row=1, col=1)
    _theory_axes(fig, max(max(f[0]["y"].max(), f[1]["y"].max()) for f in frames.values()),
                 np.concatenate([f[2]["y"] for f in frames.values()]), "α = P_t / N")
    fig.update_layout(height=400, margin={"t": 10, "b": 10, "l": 60, "r": 20},
                      template="plotly_white",
                      legend={"orientation": "h", "y": -0.22, "x": 0})
    return OfflineExplorer(fig, controls, frames, exclusive=list(FRACTION_KNOBS),
                           note="Computed when the book was built: the three knobs one at a "
                                "time (moving one sends the others back to 0), at each λ.")


def task_pair_explorer(
    *,
    fractions=FRACTIONS,
    counts: int = 10,
    start: dict | None = None,
    D: int = 50,
    N: int = 200,
    n: int = 400,
    n_inputs: int = 2,
    rng: int = 0,
) -> OfflineExplorer:
    """:func:`tlcourse.plotting.plot_task_pair`'s three panels over a grid of the five CHMM
    knobs, one knob away from 0 at a time: the three fractions through ``fractions``, the
    latent directions added (0 to ``D``) and removed (0 to ``D - 1``) through ``counts + 1``
    values each. Samples and seeds as :func:`tlcourse.plotting.task_pair_fields`; ``start``:
    the knob shown first (default teacher perturbation 0.3)."""
    fractions = _values(fractions, "fractions")
    names = tuple(KNOBS)
    grids = {name: list(fractions) for name in FRACTION_KNOBS}
    grids["latent_added"] = sorted({int(round(v)) for v in np.linspace(0, D, counts + 1)})
    grids["latent_removed"] = sorted({int(round(v)) for v in np.linspace(0, D - 1, counts + 1)})
    start = start or {"teacher_perturbation": 0.3}
    if len(start) != 1 or set(start) - set(names):
        raise ValueError(f"start must set one of {names}, got {start}")
    (start_name, start_value), = start.items()
    hits = np.flatnonzero(np.isclose(grids[start_name], start_value))
    if hits.size == 0:
        raise ValueError(f"start {start_name} = {start_value} is not on {grids[start_name]}")
    controls = [Control(name, KNOBS[name].text, tuple(grids[name]),
                        int(hits[0]) if name == start_name else 0) for name in names]
    agree, differ = palette_hex("C0"), palette_hex("C3")

    def panels(pair) -> list[dict]:
        out = []
        for key, what in (("fields", "labels"), ("input_fields", "input signs")):
            u, v = pair[key]
            same = np.sign(u) == np.sign(v)
            out.append({"x": u, "y": v, "marker": {"color": same.astype(int)},
                        "name": f"{what}: {100 * same.mean():.0f}% agree"})
        out.append({"y": np.array([pair["overlaps"][k] for k in OVERLAP_BARS]),
                    "text": [f"{pair['overlaps'][k]:.2f}" for k in OVERLAP_BARS]})
        return out

    frames = {}
    for i, name in enumerate(names):
        for j, value in enumerate(grids[name]):
            key = tuple(j if k == i else 0 for k in range(len(names)))
            if key not in frames:
                frames[key] = panels(task_pair_fields(**{name: value}, **{
                    k: 0 for k in names if k != name}, D=D, N=N, n=n, n_inputs=n_inputs,
                    rng=rng))
    first = frames[tuple(c.start for c in controls)]
    fig = make_subplots(rows=1, cols=3, column_widths=[0.38, 0.38, 0.24],
                        horizontal_spacing=0.09)
    scale = [[0, differ], [0.5, differ], [0.5, agree], [1, agree]]
    for col, update in enumerate(first[:2], start=1):
        fig.add_trace(go.Scatter(
            x=update["x"], y=update["y"], mode="markers", name=update["name"],
            marker={"color": update["marker"]["color"], "colorscale": scale, "cmin": 0,
                    "cmax": 1, "size": 4, "opacity": 0.6},
            hovertemplate="source %{x:.2f}<br>target %{y:.2f}<extra></extra>"), row=1, col=col)
    bar_names = [name.replace("\n", "<br>") for name, _ in OVERLAP_BARS.values()]
    fig.add_trace(go.Bar(x=bar_names, y=first[2]["y"], text=first[2]["text"],
                         textposition="outside", showlegend=False,
                         marker={"color": [palette_hex(c) for _, c in OVERLAP_BARS.values()]}),
                  row=1, col=3)
    span = max(float(np.abs(np.concatenate([f[k]["x"] for f in frames.values()
                                            for k in (0, 1)])).max()), 1.0)
    for col, (what, short) in enumerate((("teacher field", "θ·c/√D"),
                                         ("input field", "F_j·c/√D")), start=1):
        fig.update_xaxes(title_text=f"source {what} {short}", range=[-span, span], row=1,
                         col=col)
        fig.update_yaxes(title_text=f"target {what} {short}", range=[-span, span], row=1,
                         col=col)
    fig.update_yaxes(title_text="overlap", range=[-0.05, 1.2], row=1, col=3)
    fig.update_xaxes(tickangle=0, row=1, col=3)  # the bar names on two lines, read upright
    fig.update_layout(height=400, margin={"t": 10, "b": 10, "l": 60, "r": 10},
                      template="plotly_white", legend={"orientation": "h", "y": -0.2, "x": 0})
    return OfflineExplorer(fig, controls, frames,
                           exclusive=list(names), digits=2,
                           note="Computed when the book was built: one knob at a time "
                                "(moving one sends the others back to 0).")


__all__ = ["Control", "LiveOrStatic", "OfflineExplorer", "OfflineFigure", "gain_map_figure",
           "live_or_static", "offline", "task_pair_explorer", "theory_curves_figure",
           "transfer_theory_explorer"]
