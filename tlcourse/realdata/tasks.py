"""Binary tasks on real images, in the same shape as the model's tasks.

The course's model draws fresh samples from a known distribution; real data come as a finite set of
images. :func:`make_real_tasks` turns a labelled image set
(:class:`~tlcourse.realdata.files.ImageData`) into a *source* and a *target* binary task: two
groupings of the classes into a positive and a negative set define the labels; the images are split
at random into disjoint parts (source training pool, source test set, target training pool, target
test set), and every input is standardised with statistics of the source training pool only
(:class:`Standardiser`).

A :class:`RealTask` has ``N`` (input dimension), ``sample(n, rng)`` (``n`` distinct images of the
training pool, without replacement) and ``test_set()`` (the held-out images, never used for
training). Labels are in {-1, +1}, as in the model.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .._checks import RNGLike, as_generator, check_array, check_fraction, check_int
from .files import ImageData


@dataclass(frozen=True, eq=False)
class Standardiser:
    """``x -> (x - mean) / scale``: per-pixel centring, one global scale.

    Fitted on the source training pool: ``mean`` (N,) is its per-pixel mean and ``scale`` the
    root mean (over pixels) of its per-pixel variances, so that standardised source inputs have
    ``|x|^2 / N = 1`` on average, like the model's inputs. One global scale (rather than one per
    pixel) keeps the relative contrast of the pixels, and does not blow up pixels that are almost
    constant (the blank border of the digits).
    """

    mean: np.ndarray
    scale: float

    @classmethod
    def fit(cls, images: np.ndarray) -> Standardiser:
        """Statistics of ``images`` (n, N), n >= 2, not all equal."""
        images = check_array(images, "images", ndim=2)
        if images.shape[0] < 2:
            raise ValueError(f"images must be (n, N) with n >= 2, got shape {images.shape}")
        scale = float(np.sqrt(images.var(axis=0).mean()))
        if scale == 0:
            raise ValueError("cannot standardise: all images are identical")
        return cls(images.mean(axis=0), scale)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Standardised copy of ``images`` (n, N), finite, ``N`` the width it was fitted on."""
        images = check_array(images, "images", ndim=2)
        if images.shape[1] != self.mean.size:
            raise ValueError(f"images must have N = {self.mean.size} pixels per row (the width "
                             f"the standardiser was fitted on), got {images.shape[1]}")
        return (images - self.mean) / self.scale


@dataclass(frozen=True, eq=False)
class RealTask:
    """A binary task on a finite set of real images: a training pool and a held-out test set.

    Attributes
    ----------
    X, y : ndarray, shapes (n_pool, N) and (n_pool,)
        Standardised training pool, labels in {-1., +1.}.
    X_test, y_test : ndarray, shapes (n_test, N) and (n_test,)
        Held-out images, never returned by :meth:`sample`.
    classes, classes_test : ndarray of int64
        Original classes of the pool and test images.
    positive : frozenset of int
        Classes labelled +1 (all others -1).
    standardiser : Standardiser
        The map applied to raw images (fitted on the source training pool), to standardise new
        images the same way.
    name : str
        A short description, e.g. ``"{0, 2, 4, 6, 8} vs rest"``.
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray = field(repr=False)
    classes_test: np.ndarray = field(repr=False)
    positive: frozenset
    standardiser: Standardiser = field(repr=False)
    name: str = ""

    @property
    def N(self) -> int:
        """Input dimension (pixels per image)."""
        return self.X.shape[1]

    @property
    def pool_size(self) -> int:
        """Number of images available for training."""
        return self.X.shape[0]

    def __repr__(self) -> str:
        return (f"RealTask({self.name!r}, N={self.N}, pool={self.pool_size}, "
                f"test={len(self.y_test)})")

    def sample(self, n: int, rng: RNGLike) -> tuple[np.ndarray, np.ndarray]:
        """``n`` distinct training images and their labels, drawn without replacement.

        Returns ``X`` (n, N) and ``y`` (n,) in {-1., +1.}. For a fixed seed the samples are nested:
        the first ``n`` of a random permutation of the pool, so that a learning curve over ``n``
        adds images rather than redrawing them. ``n`` must not exceed :attr:`pool_size`.
        """
        n = check_int(n, "n", low=1, high=self.pool_size + 1)
        idx = as_generator(rng).permutation(self.pool_size)[:n]
        return self.X[idx], self.y[idx]

    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        """The held-out images ``X_test`` (n_test, N) and labels ``y_test`` (n_test,)."""
        return self.X_test, self.y_test


def _check_grouping(positive, classes: np.ndarray, name: str) -> frozenset:
    if isinstance(positive, str | bytes) or not isinstance(positive, Iterable):
        raise TypeError(f"{name} must be a collection of class labels, got {positive!r}")
    group = list(positive)
    if not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in group):
        raise TypeError(f"{name} must hold integer class labels, got {group!r}")
    group = frozenset(int(c) for c in group)
    unknown = group - set(classes.tolist())
    if unknown:
        raise ValueError(f"{name} has classes {sorted(unknown)} absent from the data "
                         f"(classes: {classes.tolist()})")
    if not group or group == set(classes.tolist()):
        raise ValueError(f"{name} must hold some but not all of the classes {classes.tolist()}")
    return group


def grouping_labels(classes, positive) -> np.ndarray:
    """Binary labels of a grouping: +1. for classes in ``positive``, -1. otherwise, shape (n,)."""
    classes = np.asarray(classes)
    if isinstance(positive, str | bytes) or not isinstance(positive, Iterable):
        raise TypeError(f"positive must be a collection of class labels, got {positive!r}")
    return np.where(np.isin(classes, list(positive)), 1.0, -1.0)


def grouping_name(positive) -> str:
    """A readable name of a grouping, e.g. ``"{0, 2, 4, 6, 8} vs rest"``."""
    return "{" + ", ".join(str(c) for c in sorted(positive)) + "} vs rest"


def label_correlation(positive_a, positive_b, classes) -> float:
    """How related two groupings of ``classes`` are: the correlation of their ±1 labels.

    Computed with every class equally likely (Pearson correlation over the list ``classes``):
    1 for the same grouping, -1 for the swapped one (as easy to transfer: only the sign flips),
    near 0 when knowing one label says little about the other.
    """
    classes = np.unique(np.asarray(classes))
    if classes.size == 0 or not np.issubdtype(classes.dtype, np.integer):
        raise TypeError(f"classes must be integer class labels, got {classes.dtype} "
                        f"{classes.tolist()[:5]}")
    positive_a = _check_grouping(positive_a, classes, "positive_a")
    positive_b = _check_grouping(positive_b, classes, "positive_b")
    a, b = grouping_labels(classes, positive_a), grouping_labels(classes, positive_b)
    return float(np.corrcoef(a, b)[0, 1])


def make_real_tasks(
    data: ImageData,
    source_positive,
    target_positive,
    *,
    source_fraction: float = 0.5,
    test_fraction: float = 0.3,
    n_images: int | None = None,
    rng: RNGLike,
) -> tuple[RealTask, RealTask]:
    """A source and a target binary task on disjoint random parts of ``data``.

    The images (or a random subset of ``n_images`` of them, to keep large sets such as CIFAR-10
    small in memory) are permuted at random (``rng``); the first ``source_fraction`` belong to
    the source, the rest to the target. Each part keeps ``test_fraction`` of its images as a
    held-out test set and the rest as its training pool. The source labels are +1 for classes in
    ``source_positive``, the target labels +1 for classes in ``target_positive`` (-1 otherwise).
    Every input is standardised with the :class:`Standardiser` fitted on the source training pool.

    Returns ``(source, target)``, two :class:`RealTask`.
    """
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData, got {type(data).__name__}")
    classes = data.classes
    src_group = _check_grouping(source_positive, classes, "source_positive")
    tgt_group = _check_grouping(target_positive, classes, "target_positive")
    source_fraction = check_fraction(source_fraction, "source_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    n_all = data.images.shape[0]
    n = n_all if n_images is None else check_int(n_images, "n_images", low=1, high=n_all + 1)
    n_src = int(round(source_fraction * n))
    sizes = {}
    for part, m in (("source", n_src), ("target", n - n_src)):
        n_test = int(round(test_fraction * m))
        sizes[part] = (m - n_test, n_test)
        if min(sizes[part]) < 2:
            raise ValueError(
                f"the {part} gets {m - n_test} training and {n_test} test images out of n = {n}; "
                "each needs at least 2: change source_fraction or test_fraction"
            )
    order = as_generator(rng).permutation(n_all)[:n]
    cuts = np.cumsum([*sizes["source"], *sizes["target"]])
    src_pool, src_test, tgt_pool, tgt_test = np.split(order, cuts[:3])
    scaler = Standardiser.fit(data.images[src_pool])

    def task(pool, test, group):
        return RealTask(
            X=scaler(data.images[pool]), y=grouping_labels(data.labels[pool], group),
            X_test=scaler(data.images[test]), y_test=grouping_labels(data.labels[test], group),
            classes=data.labels[pool], classes_test=data.labels[test], positive=group,
            standardiser=scaler, name=grouping_name(group),
        )

    return task(src_pool, src_test, src_group), task(tgt_pool, tgt_test, tgt_group)
