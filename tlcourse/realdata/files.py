"""Image files in their standard formats, read from a local folder: nothing is ever downloaded.

- :class:`ImageData`: a labelled set of images, flattened;
- :func:`load_digits`: scikit-learn's bundled handwritten digits (1797 images of 8x8 pixels, ten
  classes), available offline;
- :func:`read_idx`, :func:`load_idx_folder`: the IDX format of MNIST-like sets;
- :func:`load_cifar10_folder`: CIFAR-10's python pickle batches (only arrays are unpickled);
- :func:`load_folder`: whichever of the two a folder holds. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import io
import pickle
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._checks import check_choice

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
