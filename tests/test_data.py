"""Tests of the data model: the hidden manifold model and its correlated targets.

Statistical checks derive their tolerance from the sample size (a number of standard errors
chosen so that a correct generator fails with negligible probability) and fix their seeds.
"""

import numpy as np
import pytest

import tlcourse as tl
from tlcourse import activations

Z = 5.0  # standard errors allowed in statistical checks


def column_cosines(F):
    G = F.T @ F
    d = np.sqrt(np.diag(G))
    return G / np.outer(d, d)


# ---------------------------------------------------------------- sampling


def test_shapes_and_values():
    src = tl.make_source(30, 40, rng=0)
    X, y, C = src.sample(500, rng=1, return_latent=True)
    assert X.shape == (500, 40) and y.shape == (500,) and C.shape == (500, 30)
    assert set(np.unique(X)) <= {-1.0, 1.0}
    assert set(np.unique(y)) == {-1.0, 1.0}
    np.testing.assert_array_equal(X, np.sign(C @ src.F / np.sqrt(30)))
    np.testing.assert_array_equal(y, np.sign(C @ src.theta / np.sqrt(30)))


@pytest.mark.parametrize("activation", activations.ACTIVATIONS)
def test_inputs_follow_the_activation(activation):
    src = tl.make_source(10, 12, activation=activation, rng=3)
    X, _, C = src.sample(50, rng=4, return_latent=True)
    np.testing.assert_allclose(X, activations.apply(activation, C @ src.F / np.sqrt(10)))


def test_label_balance():
    n = 200_000
    _, y = tl.make_source(50, 20, rng=5).sample(n, rng=6)
    # y = +1 with probability 1/2: standard error 0.5 / sqrt(n)
    assert abs(np.mean(y == 1) - 0.5) < Z * 0.5 / np.sqrt(n)


def test_sign_input_covariance_matches_the_arcsin_law():
    n, D, N = 200_000, 30, 20
    src = tl.make_source(D, N, rng=7)
    X, _ = src.sample(n, rng=8)
    emp = X.T @ X / n
    exact = 2 / np.pi * np.arcsin(np.clip(column_cosines(src.F), -1, 1))
    # each entry is a mean of n products with variance 1 - exact**2 (diagonal: exactly 1)
    se = np.sqrt((1 - exact**2) / n) + 1e-12
    off = ~np.eye(N, dtype=bool)
    assert np.max(np.abs(emp - exact)[off] / se[off]) < Z
    np.testing.assert_array_equal(np.diag(emp), 1.0)


def test_textbook_covariance_is_the_large_D_limit():
    """kappa1^2 F^T F / D + kappa*^2 I approaches the exact arcsin law as D grows."""
    k = tl.kappas("sign")

    def gap(D):
        F = tl.make_source(D, 30, rng=9).F
        exact = 2 / np.pi * np.arcsin(np.clip(column_cosines(F), -1, 1))
        textbook = k.kappa1**2 * F.T @ F / D + k.kappa_star**2 * np.eye(30)
        return np.abs(exact - textbook).max()

    gaps = [gap(D) for D in (25, 400, 6400)]
    assert gaps[0] > 2 * gaps[1] > 4 * gaps[2]  # column-norm fluctuations shrink as 1/sqrt(D)


def test_sampling_is_deterministic_and_blockwise_invariant(monkeypatch):
    src = tl.make_source(20, 30, rng=10)
    X1, y1 = src.sample(9000, rng=11)  # more rows than one block
    X2, y2 = src.sample(9000, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    # the block size changes nothing: other blocks, the same arrays
    for rows in (7, 1000, 10_000):
        monkeypatch.setattr(tl.data, "_CHUNK_ROWS", rows)
        Xb, yb, Cb = src.sample(9000, rng=11, return_latent=True)
        np.testing.assert_array_equal(Xb, X1)
        np.testing.assert_array_equal(yb, y1)
        np.testing.assert_array_equal(Cb[:5], np.random.default_rng(11).standard_normal((5, 20)))
    X3, _ = src.sample(9000, rng=12)
    assert not np.array_equal(X1, X3)
    X32, y32 = src.sample(100, rng=11, dtype=np.float32)
    assert X32.dtype == np.float32 and y32.dtype == np.float32


def test_make_source_is_deterministic():
    a, b = tl.make_source(20, 30, rng=13), tl.make_source(20, 30, rng=13)
    np.testing.assert_array_equal(a.F, b.F)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert tl.overlaps(a, b)["D_shared"] == 20
    c = tl.make_source(20, 30, rng=14)
    assert tl.overlaps(a, c)["D_shared"] == 0


def test_tasks_are_immutable():
    src = tl.make_source(5, 6, rng=0)
    with pytest.raises(ValueError):
        src.F[0, 0] = 1.0


# ---------------------------------------------------------------- correlated targets


def test_all_knobs_at_zero_give_the_same_task():
    src = tl.make_source(40, 50, rng=15)
    tgt = tl.make_target(src, rng=16)
    np.testing.assert_array_equal(src.F, tgt.F)
    np.testing.assert_array_equal(src.theta, tgt.theta)
    ov = tl.overlaps(src, tgt)
    assert ov["teacher_cosine"] == pytest.approx(1.0)
    assert ov["shared_fraction"] == 1.0


@pytest.mark.parametrize("delta", [0.1, 0.5, 0.9, 1.0])
def test_teacher_cosine_is_sqrt_one_minus_delta(delta):
    D = 20_000
    src = tl.make_source(D, 2, rng=17)
    tgt = tl.make_target(src, teacher_perturbation=delta, rng=18)
    # the dot products fluctuate by O(1/sqrt(D)) around their means
    assert abs(tl.overlaps(src, tgt)["teacher_cosine"] - np.sqrt(1 - delta)) < Z / np.sqrt(D)
    np.testing.assert_array_equal(src.F, tgt.F)  # the inputs' law is unchanged


@pytest.mark.parametrize("delta", [0.1, 0.5, 0.9, 1.0])
def test_feature_overlap_is_sqrt_one_minus_delta(delta):
    D, N = 200, 500
    src = tl.make_source(D, N, rng=19)
    tgt = tl.make_target(src, feature_perturbation=delta, rng=20)
    # overlap = sqrt(1-d) |F|^2/(DN) + sqrt(d) F.F'/(DN): standard deviation <= sqrt(2/(DN))
    ov = tl.overlaps(src, tgt)
    assert abs(ov["feature_overlap"] - np.sqrt(1 - delta)) < Z * np.sqrt(2 / (D * N))
    np.testing.assert_array_equal(src.theta, tgt.theta)  # the rule in latent space is unchanged


@pytest.mark.parametrize("s", [0.0, 0.25, 0.5, 1.0])
def test_feature_substitution_replaces_a_fraction_of_rows(s):
    D, N = 200, 500
    src = tl.make_source(D, N, rng=21)
    tgt = tl.make_target(src, feature_substitution=s, rng=22)
    kept = np.all(src.F == tgt.F, axis=1)
    assert (~kept).sum() == round(s * D)
    ov = tl.overlaps(src, tgt)
    assert abs(ov["feature_overlap"] - (1 - round(s * D) / D)) < Z * np.sqrt(2 / (D * N))


def test_latent_deletion_and_addition():
    src = tl.make_source(50, 60, rng=23)
    simpler = tl.make_target(src, latent_removed=20, rng=24)
    assert simpler.D == 30
    np.testing.assert_array_equal(simpler.F, src.F[:30])
    np.testing.assert_array_equal(simpler.theta, src.theta[:30])
    ov = tl.overlaps(src, simpler)
    assert (ov["D_shared"], ov["shared_fraction"]) == (30, 30 / 50)
    assert ov["teacher_cosine"] == pytest.approx(1.0)

    richer = tl.make_target(src, latent_added=50, rng=25)
    assert richer.D == 100
    np.testing.assert_array_equal(richer.F[:50], src.F)
    ov = tl.overlaps(src, richer)
    assert (ov["D_shared"], ov["shared_fraction"]) == (50, 0.5)

    both = tl.make_target(src, latent_removed=10, latent_added=5, rng=26)
    assert both.D == 45
    np.testing.assert_array_equal(both.F[:40], src.F[:40])  # deletion first, then addition
    assert tl.overlaps(src, both)["D_shared"] == 40


def test_knobs_compose_and_keep_their_own_randomness():
    """With one seed, changing one knob's strength leaves the other draws unchanged."""
    src = tl.make_source(40, 50, rng=27)
    a = tl.make_target(src, teacher_perturbation=0.3, feature_perturbation=0.2, rng=28)
    b = tl.make_target(src, teacher_perturbation=0.7, feature_perturbation=0.2, rng=28)
    np.testing.assert_array_equal(a.F, b.F)
    fresh_a = (a.theta - np.sqrt(0.7) * src.theta) / np.sqrt(0.3)
    fresh_b = (b.theta - np.sqrt(0.3) * src.theta) / np.sqrt(0.7)
    np.testing.assert_allclose(fresh_a, fresh_b, atol=1e-12)


def test_label_agreement_follows_the_teacher_angle():
    """Source and target labels of one latent vector agree with probability 1 - angle/pi."""
    n = 100_000
    src = tl.make_source(400, 5, rng=29)
    tgt = tl.make_target(src, teacher_perturbation=0.5, rng=30)
    C = np.random.default_rng(31).standard_normal((n, 400))
    agree = np.mean(src.labels(C) == tgt.labels(C))
    p = 1 - np.arccos(tl.overlaps(src, tgt)["teacher_cosine"]) / np.pi
    assert abs(agree - p) < Z * np.sqrt(p * (1 - p) / n)


def test_target_activation_defaults_to_the_source():
    src = tl.make_source(5, 6, activation="tanh", rng=0)
    assert tl.make_target(src, rng=1).activation == "tanh"
    assert tl.make_target(src, rng=1, activation="relu").activation == "relu"


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"teacher_perturbation": -0.1}, ValueError, "teacher_perturbation.*\\[0, 1\\]"),
        ({"teacher_perturbation": 1.5}, ValueError, "teacher_perturbation"),
        ({"teacher_perturbation": float("nan")}, ValueError, "teacher_perturbation"),
        ({"feature_perturbation": 2.0}, ValueError, "feature_perturbation"),
        ({"feature_substitution": -1e-9}, ValueError, "feature_substitution"),
        ({"feature_substitution": "0.5"}, TypeError, "feature_substitution"),
        ({"latent_removed": 10}, ValueError, "latent_removed.*< 10"),
        ({"latent_removed": -1}, ValueError, "latent_removed"),
        ({"latent_removed": 2.0}, TypeError, "latent_removed"),
        ({"latent_added": -3}, ValueError, "latent_added"),
        ({"latent_added": 1.5}, TypeError, "latent_added"),
        ({"activation": "softplus"}, ValueError, "activation"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"rng": -4}, ValueError, "rng"),
    ],
)
def test_make_target_rejects_bad_knobs(kwargs, exc, match):
    src = tl.make_source(10, 12, rng=0)
    kwargs = {"rng": 1, **kwargs}
    with pytest.raises(exc, match=match):
        tl.make_target(src, **kwargs)


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((0, 10), {}, ValueError, "D must be >= 1"),
        ((10, -2), {}, ValueError, "N must be >= 1"),
        ((10.0, 10), {}, TypeError, "D must be an integer"),
        ((10, True), {}, TypeError, "N must be an integer"),
        ((10, 10), {"activation": "gelu"}, ValueError, "activation"),
    ],
)
def test_make_source_rejects_bad_sizes(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tl.make_source(*args, rng=0, **kwargs)


def test_make_source_requires_a_seed():
    with pytest.raises(TypeError, match="rng"):
        tl.make_source(10, 10, rng=None)


@pytest.mark.parametrize(
    "n, exc, match",
    [
        (0, ValueError, "n must be >= 1"),
        (-5, ValueError, "n"),
        (2.5, TypeError, "n must be an integer"),
        (np.float64(3), TypeError, "n must be an integer"),
    ],
)
def test_sample_rejects_bad_counts(n, exc, match):
    with pytest.raises(exc, match=match):
        tl.make_source(5, 6, rng=0).sample(n, rng=1)


def test_sample_accepts_numpy_integers_and_rejects_bad_dtype():
    src = tl.make_source(5, 6, rng=0)
    assert src.sample(np.int64(3), rng=1)[0].shape == (3, 6)
    with pytest.raises(ValueError, match="dtype"):
        src.sample(3, rng=1, dtype=np.int32)


def test_overlaps_rejects_mismatched_tasks():
    with pytest.raises(ValueError, match="input dimension N"):
        tl.overlaps(tl.make_source(5, 6, rng=0), tl.make_source(5, 7, rng=0))
    with pytest.raises(TypeError, match="b must be a Task"):
        tl.overlaps(tl.make_source(5, 6, rng=0), "task")


def test_task_validates_its_arrays():
    with pytest.raises(ValueError, match="theta must have shape"):
        tl.Task(np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        tl.Task(np.full((3, 4), np.nan), np.ones(3))
    with pytest.raises(ValueError, match="C must have shape"):
        tl.make_source(3, 4, rng=0).labels(np.ones((2, 5)))


def test_shared_latents_share_exactly_the_common_directions():
    src = tl.make_source(30, 10, rng=0)
    tgt = tl.make_target(src, latent_removed=10, latent_added=5, rng=1)
    Cs, Ct = tl.data.shared_latents(src, tgt, 200, rng=2)
    assert Cs.shape == (200, 30) and Ct.shape == (200, 25)
    np.testing.assert_array_equal(Cs[:, :20], Ct[:, :20])  # the 20 shared directions
    assert np.abs(np.corrcoef(Cs[:, 20:].T, Ct[:, 20:].T)[:10, 10:]).max() < Z / np.sqrt(200)


# ---------------------------------------------------------------- label noise


def _digest(*arrays) -> str:
    import hashlib

    return hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()


def test_clean_tasks_sample_the_arrays_they_sampled_before_label_noise_existed():
    """Digests taken from the sampler before it knew of label noise: p = 0 draws nothing more."""
    src = tl.make_source(20, 30, rng=0)
    tgt = tl.make_target(src, 0.3, 0.1, rng=1)
    assert tgt.label_noise == 0.0
    assert _digest(*tgt.sample(5000, rng=2, return_latent=True)) == (
        "717bdeda6fa3f71adadffb8c419207c462062b35e496e9582880cdbbd20a4de3")
    assert _digest(*tgt.sample(100, rng=3, dtype="float32")) == (
        "edd85cdd4cac130f662a82e985c129199b13c28b37ea34ce46109ec2d3b0904e")
    g = np.random.default_rng(4)
    tgt.sample(10, rng=g)
    h = np.random.default_rng(4)
    h.standard_normal((10, tgt.D))
    assert g.random() == h.random()  # the generator advanced by the latent draws only


def test_label_noise_flips_labels_at_its_rate_and_keeps_the_inputs():
    src = tl.make_source(20, 30, rng=0)
    clean = tl.make_target(src, 0.3, rng=1)
    n = 40_000
    X0, y0 = clean.sample(n, rng=2)
    flipped = []
    for p in (0.1, 0.2, 0.3):
        noisy = tl.make_target(src, 0.3, rng=1, label_noise=p)
        np.testing.assert_array_equal(noisy.theta, clean.theta)  # nothing else drawn
        X, y = noisy.sample(n, rng=2)
        np.testing.assert_array_equal(X, X0)
        flip = y != y0
        rate = flip.mean()
        assert abs(rate - p) < Z * np.sqrt(p * (1 - p) / n), (p, rate)
        if flipped:
            assert (flip >= flipped[-1]).all()  # nested: a label flipped at p stays flipped
        flipped.append(flip)
        Xc, yc = noisy.sample(n, rng=2, clean=True)
        np.testing.assert_array_equal(yc, y0)
        np.testing.assert_array_equal(Xc, X0)


def test_label_noise_is_carried_by_the_task():
    import pickle

    src = tl.make_source(5, 6, rng=0)
    noisy = tl.make_target(src, rng=1, label_noise=0.2)
    assert "label_noise=0.2" in repr(noisy) and "label_noise" not in repr(src)
    again = pickle.loads(pickle.dumps(noisy))
    assert again.label_noise == 0.2
    np.testing.assert_array_equal(again.sample(50, rng=3)[1], noisy.sample(50, rng=3)[1])
    assert tl.make_target(noisy, 0.1, rng=2).label_noise == 0.2  # inherited by default
    assert tl.make_target(noisy, rng=2, label_noise=0.0).label_noise == 0.0


@pytest.mark.parametrize("bad", [-0.1, 0.5, 0.7, float("nan"), float("inf")])
def test_label_noise_out_of_range_is_refused(bad):
    src = tl.make_source(5, 6, rng=0)
    with pytest.raises(ValueError, match=r"label_noise must lie in 0 <= p < 1/2"):
        tl.make_target(src, rng=1, label_noise=bad)
    with pytest.raises(ValueError, match="label_noise"):
        tl.Task(src.F, src.theta, label_noise=bad)


@pytest.mark.parametrize("bad", ["0.1", True, None, [0.1]])
def test_label_noise_of_the_wrong_type_is_refused(bad):
    src = tl.make_source(5, 6, rng=0)
    with pytest.raises(TypeError, match="label_noise"):
        tl.Task(src.F, src.theta, label_noise=bad)
