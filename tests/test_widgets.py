"""Tests of the interactive explorers and the plotting functions they wrap (headless, Agg)."""

import functools
import inspect

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from headless import execute_headless

import tlcourse as tl  # noqa: E402
from tlcourse import plotting  # noqa: E402
from tlcourse.widgets import chmm_explorer  # noqa: E402

KNOBS = ("teacher_perturbation", "feature_perturbation", "feature_substitution", "latent_added",
         "latent_removed")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def calls(monkeypatch):
    """Replace plot_task_pair by a recorder; the explorer must look it up at call time."""
    recorded = []

    @functools.wraps(plotting.plot_task_pair)  # keeps the signature, hence the defaults
    def fake(**kwargs):
        recorded.append(kwargs)
        return plt.figure()

    monkeypatch.setattr(plotting, "plot_task_pair", fake)
    return recorded


def _sliders(explorer):
    return [w for w in explorer.children if isinstance(w, widgets.FloatSlider | widgets.IntSlider)]


def _images(explorer):
    return [o for o in explorer.output.outputs if "image/png" in o.get("data", {})]


def test_explorer_builds_with_five_sliders_at_the_static_defaults(calls):
    explorer = chmm_explorer(D=8, N=12, n=30)
    sliders = _sliders(explorer)
    assert len(sliders) == 5
    ranges = {(w.min, w.max) for w in sliders}
    assert ranges == {(0.0, 1.0), (0, 8), (0, 7)}  # fractions, added <= D, removed < D
    assert all(not w.continuous_update for w in sliders)
    kwargs = explorer.kwargs
    params = inspect.signature(plotting.plot_task_pair).parameters
    for knob in KNOBS:
        assert kwargs[knob] == params[knob].default
    assert (kwargs["D"], kwargs["N"], kwargs["n"], kwargs["rng"]) == (8, 12, 30, 0)
    # the first figure is drawn once, at the defaults, and held in the output area as a PNG
    assert len(calls) == 1 and calls[0] == kwargs
    assert len(_images(explorer)) == 1


def test_moving_a_slider_calls_the_plotting_function(calls):
    explorer = chmm_explorer(D=8, N=12, n=30, rng=3)
    sliders = _sliders(explorer)
    before = len(calls)
    sliders[0].value = 0.75
    assert len(calls) == before + 1
    assert calls[-1]["teacher_perturbation"] == 0.75
    assert (calls[-1]["D"], calls[-1]["N"], calls[-1]["n"], calls[-1]["rng"]) == (8, 12, 30, 3)
    sliders[4].value = 5
    assert calls[-1]["latent_removed"] == 5 and calls[-1]["teacher_perturbation"] == 0.75
    assert explorer.kwargs["latent_removed"] == 5


EXPLORER_NOTEBOOK = """\
from IPython.display import display
from tlcourse.widgets import chmm_explorer
display(chmm_explorer(D=8, N=12, n=30))
"""


def test_displaying_an_explorer_headless_sends_nothing_back_to_the_kernel():
    """The book build executes chapters with nbclient, which answers every output printed into an
    Output widget with a message on the shell channel while it waits there for the cell's reply;
    that left the reply unnoticed until the cell's time limit (tools/stress_execution.py). An
    explorer must cause no such message, and still embed its first figure in the widget state."""
    nb, sent = execute_headless(EXPLORER_NOTEBOOK, timeout=120)
    assert set(sent) <= {"kernel_info_request", "execute_request"}, sent
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m["state"].get("outputs", []) for m in state.values()
               if m["model_name"] == "OutputModel"]
    assert any("image/png" in o.get("data", {}) for out in outputs for o in out), outputs


def test_explorer_rejects_bad_sizes():
    with pytest.raises(ValueError, match="D"):
        chmm_explorer(D=1)
    with pytest.raises(TypeError, match="rng"):
        chmm_explorer(rng=np.random.default_rng(0))


def test_plot_task_pair_draws_the_overlaps_of_the_pair():
    fig = plotting.plot_task_pair(0.5, 0.2, 0.1, 3, 2, D=20, N=30, n=100, rng=4)
    assert len(fig.axes) == 3
    g_src, g_tgt, _ = np.random.default_rng(4).spawn(3)
    src = tl.make_source(20, 30, rng=g_src)
    tgt = tl.make_target(src, 0.5, 0.2, 0.1, 3, 2, rng=g_tgt)
    ov = tl.overlaps(src, tgt)
    heights = [p.get_height() for p in fig.axes[2].patches]
    assert np.allclose(heights, [ov["teacher_cosine"], ov["feature_overlap"],
                                 ov["shared_fraction"]])
    # identical tasks: every label and every input sign agrees, and the legend says so
    fig = plotting.plot_task_pair(0.0, 0.0, 0.0, 0, 0, D=10, N=20, n=50, rng=1)
    texts = [t.get_text() for ax in fig.axes[:2] for t in ax.get_legend().get_texts()]
    assert texts[0] == "labels agree (100%)" and texts[2] == "input signs agree (100%)"


def test_plot_task_pair_rejects_bad_knobs():
    with pytest.raises(ValueError, match="teacher_perturbation"):
        plotting.plot_task_pair(teacher_perturbation=1.5)
    with pytest.raises(ValueError, match="latent_removed"):
        plotting.plot_task_pair(latent_removed=50, D=50)
    with pytest.raises(ValueError, match="n_inputs"):
        plotting.plot_task_pair(n_inputs=0)
