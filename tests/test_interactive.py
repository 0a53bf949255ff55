"""Plotly figures for the static book (tlcourse.interactive): frames, sliders, offline HTML."""

import json
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import tlcourse as tl
from tlcourse import interactive, plotting, specs
from tlcourse.theory import transfer


@pytest.fixture(scope="module")
def model():
    source = tl.make_source(10, 20, rng=0)
    g = np.random.default_rng(3)
    W = source.F[np.arange(20) % 10] / np.sqrt(10) * 3 + 0.3 * g.standard_normal((20, 20))
    return transfer.TransferTheory(source, W, g.standard_normal((20, 20)),
                                   alphas=np.geomspace(0.2, 20, 6))


def test_theory_curves_figure_has_one_frame_per_value_with_the_theory(model):
    values = [0.0, 0.5, 1.0]
    fig = interactive.theory_curves_figure(model, "teacher_perturbation", values,
                                           fixed={"feature_perturbation": 0.2}, active=1)
    assert [f.name for f in fig.frames] == ["0.00", "0.50", "1.00"]
    steps = fig.layout.sliders[0].steps
    assert [s.args[0][0] for s in steps] == ["0.00", "0.50", "1.00"]
    assert fig.layout.sliders[0].active == 1
    for frame, v in zip(fig.frames, values, strict=True):
        c = model.curves(v, 0.2, 0.0, lam=0.1)
        np.testing.assert_allclose(frame.data[0].y, c.tl)
        np.testing.assert_allclose(frame.data[1].y, c.rf)
        np.testing.assert_allclose(frame.data[2].y, c.gain)
    np.testing.assert_allclose(fig.data[0].y, fig.frames[1].data[0].y)  # shown first: active
    assert not np.allclose(fig.frames[0].data[0].y, fig.frames[2].data[0].y)


def test_gain_map_figure_has_one_map_per_knob(model):
    fig = interactive.gain_map_figure(model, [0.0, 0.5, 1.0])
    assert len(fig.frames) == 3 and len(fig.layout.sliders[0].steps) == 3
    z = fig.frames[1].data[0].z
    c = model.curves(feature_perturbation=0.5)
    np.testing.assert_allclose(np.asarray(z)[1], c.gain)
    zmax = fig.frames[0].data[0].zmax
    assert zmax == -fig.frames[0].data[0].zmin
    assert max(np.abs(np.asarray(f.data[0].z)).max() for f in fig.frames) == pytest.approx(zmax)


def test_bad_input(model):
    with pytest.raises(ValueError, match="knob"):
        interactive.theory_curves_figure(model, "latent_added")
    with pytest.raises(ValueError, match="values"):
        interactive.theory_curves_figure(model, values=[0.5])
    with pytest.raises(ValueError, match="values"):
        interactive.gain_map_figure(model, values=[0.0, 2.0])
    with pytest.raises(ValueError, match="fixed"):
        interactive.theory_curves_figure(model, fixed={"teacher_perturbation": 0.1})
    with pytest.raises(ValueError, match="active"):
        interactive.theory_curves_figure(model, values=[0, 1], active=2)
    with pytest.raises(ValueError, match="lam"):
        interactive.gain_map_figure(model, lam=0)
    with pytest.raises(TypeError, match="figure"):
        interactive.offline("not a figure")


def test_offline_bundle_has_json_and_html_without_plotly_js_or_network(model):
    fig = interactive.theory_curves_figure(model, values=[0.0, 1.0])
    bundle = interactive.offline(fig)._repr_mimebundle_()
    spec = bundle["application/vnd.plotly.v1+json"]
    assert len(spec["frames"]) == 2 and spec["config"]["displaylogo"] is False
    json.dumps(spec)  # serialisable
    html = bundle["text/html"]
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot" in html
    assert len(html) < 200_000, "plotly.js must not be embedded in each figure"
    assert not re.search(r"https?://", html), "the fragment must not load anything remotely"
    again = interactive.offline(interactive.theory_curves_figure(model, values=[0.0, 1.0]))
    assert again.to_html() == interactive.offline(fig).to_html()  # stable id: cacheable
    assert isinstance(fig, go.Figure)


# --- explorers with several sliders (OfflineExplorer) -------------------------------------------
def _spec(explorer_):
    html = explorer_.to_html()
    data = re.search(r'<script type="application/json" class="tlx-data">(.*?)</script>', html,
                     re.S).group(1)
    return html, json.loads(data)


def test_transfer_theory_explorer_holds_every_setting_of_its_grid(model):
    sims = pd.DataFrame({"protocol": ["TL", "TL", "RF"], "alpha": [0.2, 2.0, 2.0],
                         "test_error": [0.4, 0.3, 0.35], "sem": [0.01, 0.01, 0.02],
                         "teacher_perturbation": [0.5, 0.5, 0.0], "lam": 0.1})
    ex = interactive.transfer_theory_explorer(model, sims, values=[0.0, 0.5, 1.0],
                                              lams=[0.1, 1.0],
                                              start={"teacher_perturbation": 0.5})
    # one knob away from 0 at a time, at each lam: (1 + 3 knobs x 2 values) x 2 lams
    assert len(ex.frames) == 14
    assert [c.name for c in ex.controls] == [*specs.FRACTION_KNOBS, "lam"]
    assert [c.start for c in ex.controls] == [1, 0, 0, 0]
    frame = ex.frames[(0, 2, 0, 1)]  # feature perturbation 1, lam = 1
    c = model.curves(feature_perturbation=1.0, lam=1.0)
    np.testing.assert_allclose(frame[0]["y"], c.tl)
    np.testing.assert_allclose(frame[1]["y"], c.rf)
    np.testing.assert_allclose(frame[2]["y"], c.gain)
    # the simulated points appear at their setting only
    tl_points = ex.frames[(1, 0, 0, 0)][3]
    np.testing.assert_allclose(tl_points["x"], [0.2, 2.0])
    np.testing.assert_allclose(tl_points["y"], [0.4, 0.3])
    assert ex.frames[(0, 0, 0, 0)][3]["x"].size == 0
    np.testing.assert_allclose(ex.frames[(0, 0, 0, 0)][4]["y"], [0.35])
    html, spec = _spec(ex)
    assert html.count('type="range"') == 4 and "plotly-graph-div" in html
    assert spec["exclusive"] == list(specs.FRACTION_KNOBS)
    assert set(spec["frames"]) == {",".join(map(str, k)) for k in ex.frames}
    assert spec["controls"][3]["labels"] == ["0.1", "1"]
    assert not re.search(r"https?://(?!www\.w3\.org)", html)


def test_task_pair_explorer_shows_the_fields_of_task_pair_fields():
    ex = interactive.task_pair_explorer(fractions=[0.0, 0.5, 1.0], counts=2, D=6, N=8, n=20,
                                        n_inputs=2, start={"feature_perturbation": 0.5})
    assert len(ex.frames) == 1 + 2 * 3 + 2 * 2  # every knob alone, D = 6: added 3 and 6
    pair = plotting.task_pair_fields(0, 0, 0, 0, 2, D=6, N=8, n=20, n_inputs=2, rng=0)
    frame = ex.frames[(0, 0, 0, 0, 1)]  # two latent directions removed
    np.testing.assert_allclose(frame[0]["y"], pair["fields"][1])
    np.testing.assert_allclose(frame[1]["x"], pair["input_fields"][0])
    same = np.sign(pair["fields"][0]) == np.sign(pair["fields"][1])
    np.testing.assert_array_equal(frame[0]["marker"]["color"], same.astype(int))
    assert frame[2]["y"][2] == pytest.approx(pair["overlaps"]["shared_fraction"])
    assert [c.start for c in ex.controls] == [0, 1, 0, 0, 0]
    _, spec = _spec(ex)
    assert len(json.dumps(spec)) < 200_000


def test_offline_explorer_bad_input(model):
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1])])
    control = interactive.Control("a", "a", (0.0, 1.0))
    with pytest.raises(ValueError, match="at least 2 values"):
        interactive.Control("a", "a", (0.0,))
    with pytest.raises(ValueError, match="start of control"):
        interactive.Control("a", "a", (0.0, 1.0), start=2)
    with pytest.raises(ValueError, match="start setting"):
        interactive.OfflineExplorer(fig, [control], {(1,): [{}]})
    with pytest.raises(ValueError, match="one update per trace"):
        interactive.OfflineExplorer(fig, [control], {(0,): [{}, {}]})
    with pytest.raises(ValueError, match="exclusive"):
        interactive.OfflineExplorer(fig, [control], {(0,): [{}]}, exclusive=["b"])
    with pytest.raises(ValueError, match="not on the grid"):
        interactive.transfer_theory_explorer(model, lams=[0.1], start={"lam": 1.0})
    with pytest.raises(ValueError, match="one knob"):
        interactive.transfer_theory_explorer(model, values=[0.0, 1.0], lams=[0.1], start={
            "teacher_perturbation": 1.0, "feature_perturbation": 1.0})
    with pytest.raises(TypeError, match="static"):
        interactive.live_or_static("no", None)


def test_live_or_static_offers_the_widget_and_the_static_explorer():
    ipywidgets = pytest.importorskip("ipywidgets")
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1])])
    static = interactive.OfflineExplorer(
        fig, [interactive.Control("a", "a", (0.0, 1.0))], {(0,): [{}], (1,): [{"y": [1, 0]}]})
    data, _ = interactive.live_or_static(static, ipywidgets.IntSlider())._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/html"] == static.to_html()


def test_protocol_style_is_the_table_s_in_both_forms():
    for name, spec in tl.specs.PROTOCOLS.items():
        style = plotting.protocol_style(name)
        assert (style["color"], style["label"]) == (spec.color, spec.label)
        assert plotting.protocol_style(name, hex_color=True)["color"] == plotting.palette_hex(
            spec.color)
    assert plotting.palette_hex("C0") == "#0173b2"  # seaborn's colour-blind palette
    with pytest.raises(ValueError, match="protocol"):
        plotting.protocol_style("XX")
    with pytest.raises(ValueError, match="cycle colour"):
        plotting.palette_hex("red")
