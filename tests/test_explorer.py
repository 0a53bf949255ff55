"""The theory explorer: batched saddle points, TransferTheory, its plot and its widget."""

import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from headless import execute_headless

import tlcourse as tl  # noqa: E402
from tlcourse import plotting, theory  # noqa: E402
from tlcourse.specs import FRACTION_KNOBS  # noqa: E402
from tlcourse.theory import gcm, transfer  # noqa: E402
from tlcourse.theory.batch import (  # noqa: E402
    _next_overlaps,
    _prox_warm,
    eigenbasis,
    solve_gcm_batch,
)
from tlcourse.widgets import TransferExplorer, transfer_explorer  # noqa: E402

D, N = 12, 24


def setting(*fractions) -> dict:
    """The knobs of TransferTheory.curves's positional arguments, as make_target's keywords."""
    return dict(zip(FRACTION_KNOBS, fractions, strict=True))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def model():
    """A small TransferTheory: a layer aligned with the source's features, a random one."""
    source = tl.make_source(D, N, rng=0)
    g = np.random.default_rng(5)
    W_learned = source.F[np.arange(N) % D] / np.sqrt(D) * 3 + 0.3 * g.standard_normal((N, N))
    return transfer.TransferTheory(source, W_learned, g.standard_normal((N, N)),
                                   alphas=np.geomspace(0.2, 20, 8))


def test_batch_agrees_with_solve_gcm(model):
    target = model.target(**setting(0.4, 0.2, 0.1))
    problems = [(*theory.feature_covariances(W, target), target.theta)
                for W in (model.W_source, model.W_random)]
    alphas = [0.3, 1.0, 4.0]
    for lam in (0.05, 1.0):
        batch = solve_gcm_batch(problems, alphas, lam)
        ref = [[r.test_error for r in theory.solve_gcm(*p, samples_per_feature=alphas, lam=lam)]
               for p in problems]
        assert batch.converged.all()
        np.testing.assert_allclose(batch.test_error, ref, atol=2e-6)
        warm = solve_gcm_batch(problems, alphas, lam, start=(batch.m, batch.q, batch.V))
        np.testing.assert_allclose(warm.test_error, batch.test_error, atol=1e-6)
        assert warm.iterations.sum() < batch.iterations.sum()


def test_eigenbasis_gives_the_spectrum_of_every_teacher(model):
    target = model.target(**setting(0.0, 0.2, 0.1))
    Omega, Phi = theory.feature_covariances(model.W_source, target)
    basis = eigenbasis(Omega, Phi)
    for delta in (0.0, 0.5, 1.0):  # same inputs, other teachers
        theta = model.target(**setting(delta, 0.2, 0.1)).theta
        got, ref = basis.spectrum(theta), gcm.spectrum(Omega, Phi, theta)
        np.testing.assert_array_equal(got.omega, ref.omega)
        np.testing.assert_allclose(got.t, ref.t, rtol=1e-12, atol=1e-15 * ref.t.max())
        assert (got.rho, got.gamma) == (ref.rho, ref.gamma)
    with pytest.raises(ValueError, match="theta"):
        basis.spectrum(np.ones(D + 1))
    with pytest.raises(ValueError, match="semi-definite"):
        eigenbasis(-np.eye(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match="Phi"):
        eigenbasis(np.eye(3), np.ones((4, 2)))


def test_warm_proximal_roots_equal_the_bracketed_ones():
    """Newton from the previous roots gives the roots of _prox_root to rounding, near and far
    starts alike (a far start falls back to bracketing)."""
    g = np.random.default_rng(2)
    a = g.normal(0, 4, (6, 24, 16))
    V = np.array([0.05, 0.5, 2.0, 8.0, 40.0, 100.0])[:, None, None]
    ref = gcm._prox_root(a, V, 11, 4)
    for start in (ref + 1e-4 * g.standard_normal(ref.shape), g.uniform(0, 1, ref.shape),
                  np.clip(ref + 0.3, 0, 1)):
        np.testing.assert_allclose(_prox_warm(a, V, start.copy(), 11), ref, rtol=0, atol=2e-15)


def test_secant_step_reaches_the_fixed_point_of_a_linear_map_and_falls_back_to_damping():
    G = lambda x: 0.5 * x + 1.0  # noqa: E731  fixed point 2 in every component
    x_last = np.array([[1.0, 2.5, 3.0], [0.0, 0.5, 4.0]])
    x = G(x_last)
    damping = np.array([0.0, 0.5])
    secant = _next_overlaps(x, G(x), x_last, G(x_last), damping, np.array([True, True]))
    np.testing.assert_allclose(secant, 2.0, rtol=1e-12)
    damped = _next_overlaps(x, G(x), x_last, G(x_last), damping, np.array([False, False]))
    np.testing.assert_allclose(damped, damping[:, None] * x + (1 - damping[:, None]) * G(x))
    H = lambda x: 0.5 * x - 1.0  # noqa: E731  fixed point -2: q, V would turn negative
    x_last, x = np.ones((1, 3)), np.full((1, 3), 0.5)
    out = _next_overlaps(x, H(x), x_last, H(x_last), damping[1:], np.array([True]))
    np.testing.assert_allclose(out, 0.5 * x + 0.5 * H(x))  # the damped step instead


def test_curves_after_many_moves_equal_a_cold_computation(model):
    """The explorer's caches and warm starts (eigenbases, previous overlaps, previous roots)
    change no curve beyond the solver's tolerance: a fresh TransferTheory, and the batch solver
    from the covariances themselves, give the same test errors."""
    moves = [(0.3, 0, 0, 0.1), (0.8, 0, 0, 0.1), (0.8, 0.4, 0, 0.1), (0.2, 0.4, 0.3, 0.1),
             (0.2, 0.4, 0.3, 0.01), (1.0, 0.4, 0.3, 3.0), (0.0, 0.0, 0.0, 0.1)]
    warm = transfer.TransferTheory(model.source, model.W_source, model.W_random,
                                   alphas=model.alphas)
    for move in moves:
        c = warm.curves(*move)
        cold = transfer.TransferTheory(model.source, model.W_source, model.W_random,
                                       alphas=model.alphas).curves(*move)
        np.testing.assert_allclose(c.tl, cold.tl, atol=1e-6)
        np.testing.assert_allclose(c.rf, cold.rf, atol=1e-6)
        target = model.target(**setting(*move[:3]))
        problems = [(*theory.feature_covariances(W, target), target.theta)
                    for W in (model.W_source, model.W_random)]
        ref = solve_gcm_batch(problems, model.alphas * N / N, move[3])
        np.testing.assert_allclose(np.stack([c.tl, c.rf]), ref.test_error, atol=1e-6)


def test_batch_bad_input(model):
    target = model.target()
    p = (*theory.feature_covariances(model.W_source, target), target.theta)
    with pytest.raises(ValueError, match="lam"):
        solve_gcm_batch([p], [1.0], 0.0)
    with pytest.raises(ValueError, match="samples_per_feature"):
        solve_gcm_batch([p], [1.0, -1.0], 0.1)
    with pytest.raises(ValueError, match="samples_per_feature"):
        solve_gcm_batch([p], [], 0.1)
    with pytest.raises(ValueError, match="start"):
        solve_gcm_batch([p], [1.0], 0.1, start=(np.zeros(2), np.zeros(2), np.zeros(2)))
    with pytest.raises(ValueError, match="at least one"):
        solve_gcm_batch([], [1.0], 0.1)
    with pytest.raises(theory.GCMConvergenceWarning.__mro__[0]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            solve_gcm_batch([p], [1.0], 0.1, max_iter=2)


def test_curves_match_the_scalar_theory_and_are_cached(model):
    c = model.curves(0.5, 0.1, 0.0, lam=0.1)
    assert c.tl.shape == c.rf.shape == model.alphas.shape
    np.testing.assert_allclose(c.gain, c.rf - c.tl)
    target = model.target(**setting(0.5, 0.1, 0.0))
    ref_tl = transfer.theory_curve(model.W_source, target, model.alphas, 0.1, tol=1e-9)
    np.testing.assert_allclose(c.tl, ref_tl, atol=2e-5)
    assert model.curves(0.5, 0.1, 0.0, lam=0.1) is c
    other = model.curves(0.9, 0.1, 0.0, lam=0.1)
    assert not np.allclose(other.tl, c.tl)
    np.testing.assert_allclose(other.rf, transfer.theory_curve(
        model.W_random, model.target(**setting(0.9, 0.1, 0.0)), model.alphas, 0.1, tol=1e-9),
        atol=2e-5)


def test_identical_layers_give_zero_gain(model):
    same = transfer.TransferTheory(model.source, model.W_random, model.W_random,
                                   alphas=[0.5, 2.0])
    assert np.abs(same.curves(0.3).gain).max() < 1e-12


def test_theory_bad_input(model):
    with pytest.raises(ValueError, match="teacher_perturbation"):
        model.curves(1.5)
    with pytest.raises(ValueError, match="lam"):
        model.curves(0.1, lam=-1)
    with pytest.raises(ValueError, match="W_source"):
        transfer.TransferTheory(model.source, np.zeros((N, N + 1)), model.W_random)
    with pytest.raises(ValueError, match="same shape"):
        transfer.TransferTheory(model.source, model.W_source[:5], model.W_random)
    with pytest.raises(ValueError, match="alphas"):
        transfer.TransferTheory(model.source, model.W_source, model.W_random, alphas=[2, 1])
    with pytest.raises(TypeError, match="source"):
        transfer.TransferTheory("task", model.W_source, model.W_random)


SIMS = pd.DataFrame({
    "protocol": ["2L", "2L", "FT", "2L"],
    "alpha": [1.0, 1.0, 1.0, 1.0],
    "test_error": [0.30, 0.34, 0.2, 0.9],
    "teacher_perturbation": [0.5, 0.5, 0.5, 0.0],
    "lam": [0.1, 0.1, 0.1, 0.1],
})


def test_matching_simulations():
    got = plotting.matching_simulations(SIMS, {"teacher_perturbation": 0.5,
                                               "feature_perturbation": 0.0,
                                               "feature_substitution": 0.0, "lam": 0.1})
    two = got[got.protocol == "2L"].iloc[0]
    assert len(got) == 2 and np.isclose(two.test_error, 0.32)
    assert np.isclose(two["sem"], np.std([0.30, 0.34], ddof=1) / np.sqrt(2))
    none = plotting.matching_simulations(SIMS, {"teacher_perturbation": 0.5,
                                                "feature_perturbation": 0.0,
                                                "feature_substitution": 0.0, "lam": 1.0})
    assert none.empty
    with pytest.raises(ValueError, match="test_error"):
        plotting.matching_simulations(SIMS.drop(columns="test_error"), {})


def test_plot_draws_the_curves_the_gain_and_matching_points(model):
    fig = plotting.plot_transfer_theory(model, 0.5, 0.0, 0.0, 0.1, (0.2, 20), simulations=SIMS)
    ax, ax_gain = fig.axes
    c = model.curves(0.5, 0.0, 0.0, 0.1)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), c.tl)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), c.rf)
    np.testing.assert_allclose(ax_gain.lines[0].get_ydata(), c.gain)
    labels = ax.get_legend_handles_labels()[1]
    assert "2L (simulation)" in labels and "FT (simulation)" in labels
    narrow = plotting.plot_transfer_theory(model, 0.5, alpha_range=(0.5, 5))
    assert len(narrow.axes[0].lines[0].get_xdata()) < len(model.alphas)
    with pytest.raises(ValueError, match="alpha_range"):
        plotting.plot_transfer_theory(model, alpha_range=(5, 1))


def test_transfer_plot_moves_its_artists_in_place(model):
    fig, axes = plt.subplots(1, 2)
    plot = plotting.TransferPlot(*axes)
    plot.update(model.curves(0.5), SIMS, (0.2, 20))
    lines, gain = list(axes[0].lines), axes[1].lines[0]
    assert len(axes[0].containers) == 2  # the points of 2L and FT at 0.5
    for setting, sims, shown in ((0.9, SIMS, 0), (0.0, SIMS, 1), (0.5, None, 0)):
        c = model.curves(setting)
        plot.update(c, sims, (0.2, 20))
        assert axes[0].lines[:2] == lines[:2] and axes[1].lines[0] is gain  # the same artists
        np.testing.assert_allclose(axes[0].lines[0].get_ydata(), c.tl)
        np.testing.assert_allclose(gain.get_ydata(), c.gain)
        assert len(axes[0].containers) == shown  # 2L's point at 0.0; none at 0.9 (no match)
        assert len(axes[0].lines) == 2 + 3 * shown  # a point: marker and two caps
        assert len(axes[0].get_legend().get_texts()) == 2 + shown
    low, high = axes[1].get_ylim()
    assert low <= min(c.gain.min(), 0) and high >= max(c.gain.max(), 0)  # rescaled
    with pytest.raises(ValueError, match="alpha_range"):
        plot.update(c, None, (3, 1))


def test_explorer_builds_and_redraws_when_a_slider_moves(model):
    box = transfer_explorer(model, simulations=SIMS, teacher_perturbation=0.5)
    assert isinstance(box, TransferExplorer) and isinstance(box, widgets.VBox)
    assert set(box.controls) == {"teacher_perturbation", "feature_perturbation",
                                 "feature_substitution", "lam", "alpha_range"}
    assert all(not w.continuous_update for w in box.controls.values())
    assert "Guided questions" in box.children[-1].value
    first = box.figure.axes[0].lines[0].get_ydata().copy()
    png = bytes(box.image.value)
    assert png.startswith(b"\x89PNG")
    box.controls["teacher_perturbation"].value = 1.0
    assert bytes(box.image.value) != png  # the image shown was redrawn
    moved = box.figure.axes[0].lines[0].get_ydata()
    assert not np.allclose(first, moved)
    np.testing.assert_allclose(moved, model.curves(1.0).tl)
    box.controls["lam"].value = 1.0
    np.testing.assert_allclose(box.figure.axes[0].lines[0].get_ydata(),
                               model.curves(1.0, lam=1.0).tl)
    # without questions (a chapter asks them in its text), no empty box for them
    bare = transfer_explorer(model, questions=())
    assert bare.children[-1] is bare.image


def test_explorer_bad_input(model):
    with pytest.raises(ValueError, match="feature_perturbation"):
        transfer_explorer(model, feature_perturbation=2.0)
    with pytest.raises(ValueError, match="lam"):
        transfer_explorer(model, lam=100.0)
    with pytest.raises(TypeError, match="theory"):
        transfer_explorer("model")
    with pytest.raises(ValueError, match="simulations"):
        transfer_explorer(model, simulations=SIMS.drop(columns="alpha"))


EXPLORER_NOTEBOOK = """\
import numpy as np
from IPython.display import display
import tlcourse as tl
from tlcourse.theory import transfer
from tlcourse.widgets import transfer_explorer
source = tl.make_source(10, 20, rng=0)
g = np.random.default_rng(1)
model = transfer.TransferTheory(source, g.standard_normal((20, 20)), g.standard_normal((20, 20)),
                                alphas=[0.5, 2.0, 8.0])
display(transfer_explorer(model))
"""


def test_displaying_the_explorer_headless_sends_nothing_back_and_embeds_its_image():
    """As for chmm_explorer (tests/test_widgets.py): executing the display with nbclient (the
    book build) causes no message from the executor to the kernel, and the widget state that the
    book embeds holds the first figure (an image widget's PNG)."""
    nb, sent = execute_headless(EXPLORER_NOTEBOOK, timeout=300)
    assert set(sent) <= {"kernel_info_request", "execute_request"}, sent
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 1 and images[0]["state"]["format"] == "png"
    assert images[0].get("buffers") or images[0]["state"].get("value"), images[0]
