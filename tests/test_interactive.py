"""Plotly figures for the static book (tlcourse.interactive): frames, sliders, offline HTML."""

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

import tlcourse as tl
from tlcourse import explorer, interactive


@pytest.fixture(scope="module")
def model():
    source = tl.make_source(10, 20, rng=0)
    g = np.random.default_rng(3)
    W = source.F[np.arange(20) % 10] / np.sqrt(10) * 3 + 0.3 * g.standard_normal((20, 20))
    return explorer.TransferTheory(source, W, g.standard_normal((20, 20)),
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
