"""Tests of the book's diagrams: each is a Figure with the labelled elements it promises."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tlcourse import diagrams  # noqa: E402
from tlcourse.specs import KNOBS  # noqa: E402

BOXES = ("latent", "features", "nonlinearity", "input", "teacher", "label")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _no_overlap(fig: Figure) -> None:
    """No two labelled texts of a diagram overlap on the canvas."""
    fig.canvas.draw()
    boxes = [(t.get_gid(), t.get_window_extent()) for ax in fig.axes for t in ax.texts
             if t.get_gid() and t.get_text().strip()]
    for i, (gid_a, a) in enumerate(boxes):
        for gid_b, b in boxes[i + 1:]:
            assert not a.overlaps(b), f"{gid_a} overlaps {gid_b}"


@pytest.mark.parametrize("knobs", [False, True])
def test_data_model_has_every_box(knobs):
    fig = diagrams.data_model_diagram(knobs=knobs)
    assert isinstance(fig, Figure)
    texts = diagrams.labelled_texts(fig)
    for name in BOXES:
        assert f"box:{name}" in texts
    assert "$c$" in texts["box:latent"] and "$F$" in texts["box:features"]
    assert r"\sigma" in texts["box:nonlinearity"] and r"\theta" in texts["box:teacher"]
    knob_gids = {g for g in texts if g.startswith("knob:")}
    assert knob_gids == ({f"knob:{k}" for k in KNOBS} if knobs else set())
    _no_overlap(fig)


def test_knobs_marked_where_they_act():
    """Deletion/addition sit over the latent box, the feature knobs over F, the teacher knob by
    theta: each knob's text is horizontally aligned with the box it acts on."""
    fig = diagrams.data_model_diagram(knobs=True)
    pos = {t.get_gid(): t.get_position() for t in fig.axes[0].texts if t.get_gid()}
    part_box = {"latent": "box:latent", "features": "box:features", "teacher": "box:teacher"}
    for name, knob in KNOBS.items():
        assert pos[f"knob:{name}"][0] == pytest.approx(pos[part_box[knob.part]][0])
    assert r"\delta_\theta" in diagrams.labelled_texts(fig)["knob:teacher_perturbation"]


def test_protocols_diagram_states_each_layer():
    fig = diagrams.protocols_diagram()
    texts = diagrams.labelled_texts(fig)
    assert {g.split(":")[1] for g in texts if g.startswith("protocol:")} == set(
        diagrams.PROTOCOL_LAYERS)
    assert "frozen" in texts["first-layer:TL"] and "W_s" in texts["first-layer:TL"]
    assert "random" in texts["first-layer:RF"] and "frozen" in texts["first-layer:RF"]
    assert "W_s" in texts["first-layer:FT"] and "trained" in texts["first-layer:FT"]
    assert "random start" in texts["first-layer:2L"]
    assert "as is" in texts["readout:0-shot"]
    assert "legend:frozen" in texts and "legend:trained" in texts
    # the box colours say frozen or trained: TL's first layer is grey, FT's orange
    faces = [p.get_facecolor() for p in fig.axes[0].patches]
    assert len({tuple(f) for f in faces}) >= 2
    _no_overlap(fig)


def test_transfer_diagram():
    fig = diagrams.transfer_diagram()
    texts = diagrams.labelled_texts(fig)
    for gid in ("box:source-data", "box:source-net", "box:target-data", "box:target-net",
                "arrow:transfer"):
        assert gid in texts
    assert "W_s" in texts["arrow:transfer"]
    _no_overlap(fig)
