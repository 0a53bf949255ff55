"""Real data: binary tasks on images, in the same shape as the model's tasks.

The course's model draws fresh samples from a known distribution; real data come as a finite set
of images. This module turns a labelled image set into a *source* and a *target* binary task that
plug into the same protocols as the synthetic tasks of :mod:`tlcourse.data`:

- :func:`load_digits`: scikit-learn's bundled handwritten digits (1797 images of 8x8 pixels, ten
  classes), available offline;
- :func:`load_idx_folder`, :func:`load_cifar10_folder`, :func:`load_folder`: your own files in the
  standard formats of MNIST-like sets (IDX) and of CIFAR-10 (python pickle batches), read from a
  local folder, gzip-compressed or not. Nothing is ever downloaded;
- :func:`make_real_tasks`: two groupings of the classes into a positive and a negative set define
  two binary tasks; the images are split at random into disjoint parts (source training pool,
  source test set, target training pool, target test set), and every input is standardised with
  statistics of the source training pool only.

A :class:`RealTask` has ``N`` (input dimension), ``sample(n, rng)`` (``n`` distinct images of the
training pool, without replacement) and ``test_set()`` (the held-out images, never used for
training). Labels are in {-1, +1}, as in the model.

:func:`real_learning_curves` runs the protocols of :mod:`tlcourse.protocols` on such tasks (the
same :func:`tlcourse.protocols.fit`, tested on the held-out images), and :func:`compare` gives a
paired difference of two curves with its standard error.
"""

from __future__ import annotations

import gzip
import io
import pickle
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import networks
from . import protocols as _protocols
from ._checks import RNGLike, as_generator, check_choice, check_fraction, check_int

SPLITS = ("train", "test", "all")

# element types of the IDX format (third magic byte), stored big-endian
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, eq=False)
class ImageData:
    """A labelled set of images, flattened.

    Attributes
    ----------
    images : ndarray, shape (n, N)
        One flattened image per row, raw pixel values (``N = prod(shape)``), in the file's own
        type (uint8 for MNIST and CIFAR-10: 60 000 CIFAR images take 180 MB, not 1.5 GB as floats).
    labels : ndarray of int64, shape (n,)
        Class of each image.
    shape : tuple of int
        Shape of one image (``(8, 8)`` for the digits, ``(3, 32, 32)`` for CIFAR-10), for plotting.
    name : str
        Where the images come from.
    """

    images: np.ndarray
    labels: np.ndarray
    shape: tuple
    name: str = "images"

    def __post_init__(self):
        images = np.asarray(self.images)
        labels = np.asarray(self.labels)
        if images.ndim != 2 or images.shape[0] < 1:
            raise ValueError(f"images must be a non-empty (n, N) array, got shape {images.shape}")
        if images.dtype.kind not in "iuf":
            raise TypeError(f"images must hold integers or floats, got {images.dtype}")
        if labels.shape != (images.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"labels must be n = {images.shape[0]} integers, got {labels.dtype} {labels.shape}"
            )
        if int(np.prod(self.shape)) != images.shape[1]:
            raise ValueError(f"shape {self.shape} does not hold N = {images.shape[1]} pixels")
        if np.issubdtype(images.dtype, np.floating) and not np.isfinite(images).all():
            raise ValueError("images must be finite")
        object.__setattr__(self, "images", images)
        object.__setattr__(self, "labels", labels.astype(np.int64))
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))

    @property
    def classes(self) -> np.ndarray:
        """The distinct classes, sorted."""
        return np.unique(self.labels)

    def __repr__(self) -> str:
        return (f"ImageData({self.name!r}, n={self.images.shape[0]}, shape={self.shape}, "
                f"classes={self.classes.tolist()})")


# ---------------------------------------------------------------------------------------------
# loaders


def load_digits() -> ImageData:
    """scikit-learn's handwritten digits: 1797 images of 8x8 pixels (values 0..16), classes 0-9."""
    from sklearn.datasets import load_digits as _sk_load_digits

    d = _sk_load_digits()
    return ImageData(d.data, d.target, (8, 8), "scikit-learn digits")


def _read_bytes(path: Path) -> bytes:
    """The content of ``path``, gunzipped if it is gzip-compressed (whatever its name)."""
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt gzip file ({exc})") from exc
    return raw


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format), gzip-compressed or not.

    The header is two zero bytes, a type code (0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then each dimension as a
    big-endian uint32. Returns the array with those dimensions, in native byte order. A file whose
    header or length does not match raises ``ValueError`` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no IDX file at {path}")
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] < 1:
        raise ValueError(
            f"{path}: not an IDX file (magic bytes {raw[:4].hex()}; expected 0000, a type code in "
            f"{[hex(c) for c in _IDX_DTYPES]} and a number of dimensions >= 1)"
        )
    ndim = raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", raw[4:start])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = start + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"{path}: an IDX array of shape {dims} and type {dtype.str} needs {expected} bytes, "
            f"the file has {len(raw)} (truncated or corrupt)"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=start).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def _check_folder(folder) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder {folder} does not exist (or is not a folder)")
    return folder


def _split_names(split: str) -> tuple[str, ...]:
    check_choice(split, "split", SPLITS)
    return ("train", "test") if split == "all" else (split,)


_IDX_SPLIT_WORDS = {"train": ("train",), "test": ("t10k", "test")}


def _find_idx(folder: Path, split: str, kind: str) -> Path | None:
    """The single file of ``folder`` holding ``kind`` (images/labels) of ``split``, or None."""
    rank = "idx3" if kind == "images" else "idx1"
    found = []
    for p in sorted(folder.iterdir()):
        words = set(re.split(r"[-_.]", p.name.lower()))
        if p.is_file() and kind in words and rank in words and words & set(_IDX_SPLIT_WORDS[split]):
            found.append(p)
    if len(found) > 1:
        raise ValueError(f"{folder}: several {split} {kind} files: {[p.name for p in found]}")
    return found[0] if found else None


def load_idx_folder(folder, split: str = "all") -> ImageData:
    """Images and labels of an MNIST-like set in IDX format from a local folder.

    The folder holds files named as in the original distribution, e.g.
    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte`` (with or without ``.gz``; ``test`` may replace ``t10k``, a dot may
    replace the last dash). ``split`` is ``"train"``, ``"test"`` or ``"all"`` (every split present,
    concatenated). Images of shape (n, h, w) are flattened to (n, h*w).
    """
    folder = _check_folder(folder)
    parts, shape = [], None
    for s in _split_names(split):
        img_path, lab_path = _find_idx(folder, s, "images"), _find_idx(folder, s, "labels")
        if img_path is None and lab_path is None:
            continue
        if img_path is None or lab_path is None:
            missing = "images (idx3)" if img_path is None else "labels (idx1)"
            raise FileNotFoundError(f"{folder}: {s} {missing} file missing")
        images, labels = read_idx(img_path), read_idx(lab_path)
        if images.ndim < 2 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{folder}: {img_path.name} has shape {images.shape} and {lab_path.name} has "
                f"shape {labels.shape}; expected (n, ...) images and n labels"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"{lab_path}: labels must be integers, got {labels.dtype}")
        if shape is not None and images.shape[1:] != shape:
            raise ValueError(f"{folder}: train and test images differ in shape")
        shape = images.shape[1:]
        parts.append((images.reshape(len(images), -1), labels))
    if not parts:
        raise FileNotFoundError(
            f"{folder}: no IDX files for split {split!r} (expected names such as "
            "train-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz])"
        )
    return ImageData(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), shape,
        f"IDX files in {folder} ({split})",
    )


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only: a pickle can run arbitrary code, and a
    data file has no reason to refer to anything else."""

    _ALLOWED = {
        ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        if module.startswith("numpy.core"):
            module = "numpy._core" + module[len("numpy.core"):]
        return super().find_class(module, name)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _ArrayUnpickler(io.BytesIO(_read_bytes(path)), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a CIFAR-10 python batch ({exc})") from exc
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: a CIFAR-10 batch is a dict, got {type(batch).__name__}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: expected keys 'data' and 'labels', got {list(batch)}")
    data, labels = np.asarray(batch["data"]), np.asarray(batch["labels"])
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels.shape != (len(data),):
        raise ValueError(
            f"{path}: expected data of shape (n, 3072) and n labels, got {data.shape} and "
            f"{labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: labels must be integers, got {labels.dtype}")
    return data, labels


def load_cifar10_folder(folder, split: str = "all") -> ImageData:
    """Images and labels of CIFAR-10 in its python format from a local folder.

    The folder is the unpacked ``cifar-10-batches-py``: pickled batches ``data_batch_1`` ...
    ``data_batch_5`` (train) and ``test_batch`` (test), each a dict with ``data`` (n, 3072) uint8
    (the red, green and blue 32x32 planes, in that order) and ``labels`` (n integers). Batches may
    be gzip-compressed. Only plain containers and numpy arrays are unpickled.
    """
    folder = _check_folder(folder)
    patterns = {"train": r"data_batch_\d+", "test": r"test_batch"}
    paths = []
    for s in _split_names(split):
        rx = re.compile(patterns[s] + r"(\.gz)?")
        paths += sorted(p for p in folder.iterdir() if p.is_file() and rx.fullmatch(p.name))
    if not paths:
        raise FileNotFoundError(
            f"{folder}: no CIFAR-10 batches for split {split!r} (expected data_batch_1 ... "
            "data_batch_5 and test_batch, as in cifar-10-batches-py)"
        )
    batches = [_read_cifar_batch(p) for p in paths]
    return ImageData(
        np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches]),
        (3, 32, 32), f"CIFAR-10 batches in {folder} ({split})",
    )


def load_folder(folder, split: str = "all") -> ImageData:
    """Load IDX (MNIST-like) or CIFAR-10 python batches from ``folder``, whichever it holds."""
    folder = _check_folder(folder)
    names = [p.name.lower() for p in folder.iterdir()]
    if any("idx" in n for n in names):
        return load_idx_folder(folder, split)
    if any(n.startswith(("data_batch", "test_batch")) for n in names):
        return load_cifar10_folder(folder, split)
    raise FileNotFoundError(
        f"{folder}: neither IDX files (*-idx3-ubyte, *-idx1-ubyte) nor CIFAR-10 batches "
        f"(data_batch_*, test_batch) found; it holds {sorted(names)[:10]}"
    )


# ---------------------------------------------------------------------------------------------
# binary tasks


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
        images = np.asarray(images, dtype=np.float64)
        if images.ndim != 2 or images.shape[0] < 2:
            raise ValueError(f"images must be (n, N) with n >= 2, got shape {images.shape}")
        scale = float(np.sqrt(images.var(axis=0).mean()))
        if scale == 0:
            raise ValueError("cannot standardise: all images are identical")
        return cls(images.mean(axis=0), scale)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Standardised copy of ``images`` (n, N)."""
        return (np.asarray(images, dtype=np.float64) - self.mean) / self.scale


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
    group = frozenset(int(c) for c in positive)
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
    a, b = grouping_labels(classes, positive_a), grouping_labels(classes, positive_b)
    if a.std() == 0 or b.std() == 0:
        raise ValueError("each grouping must hold some but not all of the classes")
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


# ---------------------------------------------------------------------------------------------
# learning curves on real tasks

SOURCE_FREE = ("2L", "RF")  # protocols that never look at the source network's weights


def real_learning_curves(
    data: ImageData,
    target_positive,
    sources,
    *,
    ns,
    seeds,
    K: int = 64,
    protocols=("TL", "2L", "RF"),
    source_fraction: float = 0.5,
    test_fraction: float = 0.3,
    activation: str = "erf",
    progress: bool = True,
    **settings,
) -> pd.DataFrame:
    """Test errors of the transfer protocols on real tasks, over target sizes, sources and seeds.

    For each seed: the images are split with :func:`make_real_tasks` (``rng=seed``; the split does
    not depend on the groupings, so every source shares the same target pool and test set); for
    each source grouping in ``sources`` a network of width ``K`` is trained on the whole source
    pool with the course's recipe (:func:`tlcourse.networks.train`: full-batch Adam, ``lr``,
    ``epochs``, ``weight_decay`` from ``settings``); then every protocol runs through
    :func:`tlcourse.protocols.curve_on_samples` on the first ``n`` images of one random draw of
    the target pool (nested sizes), tested on the held-out target images. ``2L`` and ``RF`` never
    use the source's weights: they run once per seed, with ``source`` set to ``None``.

    ``sources`` is a dict ``{name: positive classes}`` or a single collection of classes;
    ``ns`` target training sizes (at most the pool size); ``seeds`` integers; ``settings`` those
    of :func:`tlcourse.protocols.fit` (defaults :data:`tlcourse.protocols.DEFAULTS`).

    Returns a DataFrame, one row per (source, protocol, n, seed), with the columns of
    :func:`tlcourse.curves.learning_curves` (``protocol, n, alpha = n / N, seed, test_error,
    stderr, train_error``; ``stderr = sqrt(e (1 - e) / n_test)`` from the held-out size) and
    ``source`` (name or ``None``), ``label_correlation`` (:func:`label_correlation` of source and
    target groupings), ``source_error`` (the source network's error on its own held-out images),
    ``n_test``, ``K``, ``N`` and the settings.
    """
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData, got {type(data).__name__}")
    if not isinstance(sources, dict):
        sources = {grouping_name(sources): sources}
    if not sources:
        raise ValueError("sources must name at least one source grouping")
    protocols = [protocols] if isinstance(protocols, str) else list(protocols)
    if not protocols:
        raise ValueError("protocols must name at least one protocol")
    for p in protocols:
        check_choice(p, "protocols", _protocols.PROTOCOLS)
    ns = sorted({check_int(n, "ns", low=1) for n in ([ns] if np.isscalar(ns) else ns)})
    seeds = [check_int(s, "seeds", low=0) for s in ([seeds] if np.isscalar(seeds) else seeds)]
    if not ns or not seeds:
        raise ValueError("ns and seeds must not be empty")
    K = check_int(K, "K", low=1)
    settings = _protocols._check_settings(settings)
    train_kw = {k: settings[k] for k in ("epochs", "lr", "weight_decay")}

    rows = []
    bar = tqdm(total=len(seeds) * len(sources), desc="real-data curves", disable=not progress)
    for seed in seeds:
        g_source, g_samples, g_protocol = np.random.SeedSequence(seed).spawn(3)
        for i, (name, positive) in enumerate(sources.items()):
            src, tgt = make_real_tasks(data, positive, target_positive, rng=seed,
                                       source_fraction=source_fraction, test_fraction=test_fraction)
            if ns[-1] > tgt.pool_size:
                raise ValueError(f"ns must be <= the target pool, {tgt.pool_size}, got {ns[-1]}")
            net = networks.TwoLayerNet(src.N, K, activation, rng=np.random.default_rng(g_source))
            networks.train(net, src.X, src.y, rng=np.random.default_rng(g_source), **train_kw)
            source_error = networks.test_error(net, *src.test_set())[0]
            X, y = tgt.sample(ns[-1], rng=np.random.default_rng(g_samples))
            X_test, y_test = tgt.test_set()
            common = {"seed": seed, "source_error": source_error, "n_test": len(y_test),
                      "label_correlation": label_correlation(positive, tgt.positive, data.classes)}
            for p in protocols:
                if p in SOURCE_FREE and i > 0:
                    continue  # the same numbers as for the first source
                records = _protocols.curve_on_samples(
                    p, net, X, y, X_test, y_test, ns, rng=np.random.default_rng(g_protocol),
                    **settings,
                )
                for rec in records:
                    rows.append({**common, **rec, "source": None if p in SOURCE_FREE else name})
                    if p in SOURCE_FREE:
                        rows[-1].update(label_correlation=np.nan, source_error=np.nan)
            bar.update()
    bar.close()
    df = pd.DataFrame(rows)
    df["alpha"] = df["n"] / data.images.shape[1]
    for key, value in {"K": K, "N": data.images.shape[1], **settings}.items():
        df[key] = value
    df["protocol"] = pd.Categorical(df["protocol"], categories=protocols, ordered=True)
    return df.sort_values(["protocol", "source", "n", "seed"], ignore_index=True,
                          na_position="first")


def curves_of(df: pd.DataFrame, source) -> pd.DataFrame:
    """The rows of :func:`real_learning_curves` for one source, with the source-free protocols
    (2L, RF), ready for :func:`tlcourse.plotting.plot_learning_curves`."""
    if source not in set(df["source"].dropna()):
        raise ValueError(f"source must be one of {sorted(set(df['source'].dropna()))}, "
                         f"got {source!r}")
    return df[(df["source"] == source) | df["source"].isna()]


def compare(df: pd.DataFrame, a, b, n: int) -> tuple[float, float]:
    """Mean over seeds of ``error(a) - error(b)`` at target size ``n``, and its standard error.

    ``a`` and ``b`` are ``(protocol, source)`` pairs of a :func:`real_learning_curves` table
    (``source`` ``None`` for 2L and RF). The difference is paired seed by seed (same split, same
    training images). Its standard error is the larger of the spread across seeds,
    ``std / sqrt(S)``, and the bound from the held-out size, ``sqrt(se_a^2 + se_b^2) / sqrt(S)``
    with ``se = sqrt(e (1 - e) / n_test)``: a few seeds can underestimate the spread, the
    held-out size cannot.
    """
    diffs, ses = [], []
    for protocol, source in (a, b):
        rows = df[(df["protocol"] == protocol) & (df["n"] == n)]
        rows = rows[rows["source"].isna()] if source is None else rows[rows["source"] == source]
        if rows.empty:
            raise ValueError(f"no rows for protocol {protocol!r}, source {source!r} at n = {n}")
        rows = rows.set_index("seed")
        diffs.append(rows["test_error"])
        ses.append(rows["stderr"])
    d = (diffs[0] - diffs[1]).dropna()
    if len(d) < 2:
        raise ValueError(f"need at least two seeds shared by {a} and {b} at n = {n}")
    spread = d.std(ddof=1) / np.sqrt(len(d))
    held_out = np.sqrt((ses[0] ** 2 + ses[1] ** 2).mean() / len(d))
    return float(d.mean()), float(max(spread, held_out))
