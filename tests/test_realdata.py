"""Tests of tlcourse.realdata: loaders on tiny files written here, on the real MNIST test set when
it sits beside the repository, and the construction of binary tasks."""

import gzip
import hashlib
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from tlcourse import realdata as rd
from tlcourse.specs import LAM_GRID

# the MNIST test set in its original IDX files, if a machine has it: TLCOURSE_MNIST_TEST=<folder>
MNIST_TEST = Path(os.environ.get("TLCOURSE_MNIST_TEST", "/nonexistent"))


# ---------------------------------------------------------------------------------------------
# helpers writing files in the standard formats


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    dtype = np.dtype(rd.files._IDX_DTYPES[code])
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


def write(path: Path, payload: bytes, compress: bool) -> Path:
    if compress:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def write_mnist_like(folder: Path, n_train=12, n_test=7, shape=(4, 3), compress=False, seed=0):
    rng = np.random.default_rng(seed)
    data = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        write(folder / f"{split}-images-idx3-ubyte", idx_bytes(images, 0x08), compress)
        write(folder / f"{split}-labels-idx1-ubyte", idx_bytes(labels, 0x08), compress)
        data[split] = (images, labels)
    return data


def write_cifar_like(folder: Path, n_per_batch=(5, 4), n_test=3, protocol=2, compress=False):
    rng = np.random.default_rng(1)
    names = [f"data_batch_{i + 1}" for i in range(len(n_per_batch))] + ["test_batch"]
    batches = {}
    for name, n in zip(names, [*n_per_batch, n_test], strict=True):
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [int(c) for c in rng.integers(0, 10, size=n)]
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data}
        write(folder / name, pickle.dumps(batch, protocol=protocol), compress)
        batches[name] = (data, np.array(labels))
    return batches


# ---------------------------------------------------------------------------------------------
# IDX


@pytest.mark.parametrize("code", sorted(rd.files._IDX_DTYPES))
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, code, compress):
    rng = np.random.default_rng(code)
    array = (rng.standard_normal((3, 2, 5)) * 50).astype(rd.files._IDX_DTYPES[code])
    if np.dtype(rd.files._IDX_DTYPES[code]).kind == "u":
        array = rng.integers(0, 256, size=(3, 2, 5)).astype(np.uint8)
    path = write(tmp_path / "x-idx3", idx_bytes(array, code), compress)
    out = rd.read_idx(path)
    assert out.shape == (3, 2, 5)
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_folder_splits(tmp_path, compress):
    data = write_mnist_like(tmp_path, compress=compress)
    train = rd.load_idx_folder(tmp_path, split="train")
    test = rd.load_idx_folder(tmp_path, split="test")
    both = rd.load_folder(tmp_path)  # "all" by default, dispatches to IDX
    assert train.shape == test.shape == both.shape == (4, 3)
    np.testing.assert_array_equal(train.images, data["train"][0].reshape(12, 12))
    np.testing.assert_array_equal(test.labels, data["t10k"][1])
    assert both.images.shape == (19, 12)
    np.testing.assert_array_equal(both.labels, np.concatenate([data["train"][1], data["t10k"][1]]))


def test_load_idx_folder_alternative_names(tmp_path):
    # a dot before idx, "test" instead of "t10k", only one split present
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(6, 2, 2), dtype=np.uint8)
    labels = np.arange(6, dtype=np.uint8) % 3
    (tmp_path / "test-images.idx3-ubyte").write_bytes(idx_bytes(images, 0x08))
    (tmp_path / "test-labels.idx1-ubyte").write_bytes(idx_bytes(labels, 0x08))
    out = rd.load_idx_folder(tmp_path)
    np.testing.assert_array_equal(out.labels, labels)
    assert out.classes.tolist() == [0, 1, 2]
    with pytest.raises(FileNotFoundError, match="no IDX files for split 'train'"):
        rd.load_idx_folder(tmp_path, split="train")


def test_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rd.load_idx_folder(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="neither IDX files"):
        rd.load_folder(tmp_path)
    with pytest.raises(ValueError, match="split must be one of"):
        rd.load_idx_folder(tmp_path, split="validation")
    good = idx_bytes(np.zeros((4, 2, 2), np.uint8), 0x08)
    bad = {  # payload: what the error says
        b"\x01\x02" + good[2:]: "not an IDX file",
        good[:2] + b"\x07" + good[3:]: "not an IDX file",
        good[:6]: "truncated IDX header",
        good[:-3]: "truncated or corrupt",
        good + b"\x00": "truncated or corrupt",
    }
    path = tmp_path / "x-idx3-ubyte"
    for payload, message in bad.items():
        path.write_bytes(payload)
        with pytest.raises(ValueError, match=f"{path.name}: .*{message}"):
            rd.read_idx(path)
    path.write_bytes(gzip.compress(good)[:-8])  # gzip stream cut short
    with pytest.raises(ValueError, match="corrupt gzip"):
        rd.read_idx(path)


def test_idx_folder_inconsistent(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8), 0x08))
    with pytest.raises(ValueError, match="expected \\(n, ...\\) images and n labels"):
        rd.load_idx_folder(tmp_path, split="test")
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="test labels"):
        rd.load_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(7, np.float32), 0x0D))
    with pytest.raises(ValueError, match="labels must be integers"):
        rd.load_idx_folder(tmp_path, split="test")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="several test labels files"):
        rd.load_idx_folder(tmp_path, split="test")


# ---------------------------------------------------------------------------------------------
# CIFAR-10


@pytest.mark.parametrize(("protocol", "compress"), [(2, False), (2, True), (5, False)])
def test_load_cifar10_folder(tmp_path, protocol, compress):
    batches = write_cifar_like(tmp_path, protocol=protocol, compress=compress)
    out = rd.load_folder(tmp_path)
    assert out.shape == (3, 32, 32) and out.images.dtype == np.uint8
    assert out.images.shape == (12, 3072)
    order = ["data_batch_1", "data_batch_2", "test_batch"]
    np.testing.assert_array_equal(out.images, np.concatenate([batches[k][0] for k in order]))
    np.testing.assert_array_equal(out.labels, np.concatenate([batches[k][1] for k in order]))
    test = rd.load_cifar10_folder(tmp_path, split="test")
    np.testing.assert_array_equal(test.images, batches["test_batch"][0])
    assert rd.load_cifar10_folder(tmp_path, split="train").images.shape == (9, 3072)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo should-not-run",))


def test_cifar_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 batches"):
        rd.load_cifar10_folder(tmp_path)
    path = tmp_path / "test_batch"
    cases = {
        "refusing to load": {b"data": _Evil(), b"labels": [0]},
        "expected keys": {b"images": np.zeros((1, 3072), np.uint8), b"labels": [0]},
        "shape \\(n, 3072\\)": {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]},
        "labels must be integers": {b"data": np.zeros((1, 3072), np.uint8), b"labels": [0.5]},
        "is a dict": [1, 2, 3],
    }
    for message, obj in cases.items():
        path.write_bytes(pickle.dumps(obj, protocol=2))
        with pytest.raises(ValueError, match=message):
            rd.load_cifar10_folder(tmp_path)
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match="not a CIFAR-10 python batch"):
        rd.load_folder(tmp_path)


# ---------------------------------------------------------------------------------------------
# the real MNIST test set (beside the repository; skipped where absent)

MNIST_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


@pytest.mark.skipif(not MNIST_TEST.is_dir(), reason="TLCOURSE_MNIST_TEST: no MNIST test set given")
def test_real_mnist_test_set():
    for name, digest in MNIST_SHA256.items():
        path = MNIST_TEST / name
        if path.exists():  # the folder may hold the uncompressed files instead
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    data = rd.load_folder(MNIST_TEST, split="test")
    assert data.shape == (28, 28) and data.images.shape == (10000, 784)
    assert data.images.dtype == np.uint8 and data.images.max() == 255 and data.images.min() == 0
    # the published class counts of the MNIST test set
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(data.labels).tolist() == counts
    src, tgt = rd.make_real_tasks(data, range(5), [0, 2, 4, 6, 8], n_images=2000, rng=0)
    assert src.N == tgt.N == 784
    assert src.pool_size + len(src.y_test) + tgt.pool_size + len(tgt.y_test) == 2000


# ---------------------------------------------------------------------------------------------
# binary tasks


def indexed_data(n=200, n_pixels=6, n_classes=4, seed=0) -> rd.ImageData:
    """Images whose first pixel is their index, so that splits can be traced."""
    rng = np.random.default_rng(seed)
    images = rng.normal(3.0, 2.0, size=(n, n_pixels)) * np.arange(1, n_pixels + 1)
    images[:, 0] = np.arange(n)
    return rd.ImageData(images, np.arange(n) % n_classes, (n_pixels,), "indexed")


def original_index(task, X):
    """Indices in ``data`` of the standardised images ``X`` of ``task`` (pixel 0 is the index)."""
    scaler = task.standardiser
    return np.rint(X[:, 0] * scaler.scale + scaler.mean[0]).astype(int)


def test_make_real_tasks_splits_and_labels():
    data = indexed_data()
    src, tgt = rd.make_real_tasks(data, {0, 1}, [1, 3], source_fraction=0.4, test_fraction=0.25,
                                  rng=5)
    assert (src.pool_size, len(src.y_test), tgt.pool_size, len(tgt.y_test)) == (60, 20, 90, 30)
    # standardised with source-pool statistics: the pool is centred and has |x|^2/N = 1
    np.testing.assert_allclose(src.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose((src.X**2).mean(), 1, rtol=1e-12)
    assert tgt.standardiser is src.standardiser
    parts = [src.X, src.X_test, tgt.X, tgt.X_test]
    idx = [original_index(src, X) for X in parts]
    scaler = rd.Standardiser.fit(data.images[idx[0]])
    np.testing.assert_allclose(scaler.mean, src.standardiser.mean)
    np.testing.assert_allclose(scaler(data.images[idx[2]]), tgt.X)
    # the four parts are disjoint and cover the data
    assert sorted(np.concatenate(idx).tolist()) == list(range(200))
    # labels follow the groupings, classes are kept
    np.testing.assert_array_equal(src.y, np.where(np.isin(src.classes, [0, 1]), 1.0, -1.0))
    np.testing.assert_array_equal(tgt.y_test, np.where(tgt.classes_test % 2 == 1, 1.0, -1.0))
    assert src.name == "{0, 1} vs rest" and tgt.positive == frozenset({1, 3})
    # same seed, same tasks; another seed, another split
    src2, _ = rd.make_real_tasks(data, {0, 1}, [1, 3], source_fraction=0.4, test_fraction=0.25,
                                 rng=5)
    np.testing.assert_array_equal(src.X, src2.X)
    src3, _ = rd.make_real_tasks(data, {0, 1}, [1, 3], source_fraction=0.4, test_fraction=0.25,
                                 rng=6)
    assert not np.array_equal(src.classes, src3.classes)


def test_make_real_tasks_n_images_and_errors():
    data = indexed_data(n=200)
    src, tgt = rd.make_real_tasks(data, [0], [1], n_images=40, rng=0)
    assert src.pool_size + len(src.y_test) + tgt.pool_size + len(tgt.y_test) == 40
    with pytest.raises(ValueError, match="n_images must be < 201"):
        rd.make_real_tasks(data, [0], [1], n_images=201, rng=0)
    with pytest.raises(ValueError, match="absent from the data"):
        rd.make_real_tasks(data, [0, 7], [1], rng=0)
    with pytest.raises(ValueError, match="some but not all"):
        rd.make_real_tasks(data, [0, 1, 2, 3], [1], rng=0)
    with pytest.raises(ValueError, match="some but not all"):
        rd.make_real_tasks(data, [], [1], rng=0)
    with pytest.raises(TypeError, match="collection of class labels"):
        rd.make_real_tasks(data, 3, [1], rng=0)
    with pytest.raises(ValueError, match="source_fraction must lie in"):
        rd.make_real_tasks(data, [0], [1], source_fraction=1.5, rng=0)
    with pytest.raises(ValueError, match="each needs at least 2"):
        rd.make_real_tasks(data, [0], [1], source_fraction=0.99, rng=0)
    with pytest.raises(TypeError, match="data must be an ImageData"):
        rd.make_real_tasks(data.images, [0], [1], rng=0)
    with pytest.raises(TypeError, match="rng must be"):
        rd.make_real_tasks(data, [0], [1], rng=None)


def test_sample_without_replacement_and_nested():
    data = indexed_data(n=300)
    src, _ = rd.make_real_tasks(data, [0], [1], rng=1)
    X, y = src.sample(src.pool_size, rng=3)
    assert len(np.unique(X[:, 0])) == src.pool_size  # every pool image exactly once
    X_small, y_small = src.sample(10, rng=3)
    np.testing.assert_array_equal(X_small, X[:10])  # nested for the same seed
    np.testing.assert_array_equal(y_small, y[:10])
    assert not np.array_equal(src.sample(10, rng=4)[0], X_small)
    pool_rows = {tuple(r) for r in src.X}
    assert all(tuple(r) in pool_rows for r in X_small)
    assert not {tuple(r) for r in src.X_test} & pool_rows  # the test set is never sampled
    with pytest.raises(ValueError, match="n must be <"):
        src.sample(src.pool_size + 1, rng=0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        src.sample(0, rng=0)
    Xt, yt = src.test_set()
    assert Xt.shape == (len(yt), src.N)


def test_label_correlation():
    assert rd.label_correlation(range(5), range(5), range(10)) == pytest.approx(1.0)
    assert rd.label_correlation(range(5), range(5, 10), range(10)) == pytest.approx(-1.0)
    # 0-4 vs even: the labels agree on 0, 2, 4, 5, 7, 9 (6 classes of 10): correlation 0.2
    assert rd.label_correlation(range(5), [0, 2, 4, 6, 8], range(10)) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="some but not all"):
        rd.label_correlation(range(10), [0], range(10))
    with pytest.raises(ValueError, match=r"positive_b has classes \[11\] absent"):
        rd.label_correlation(range(5), [11], range(10))
    with pytest.raises(TypeError, match="positive_a must hold integer class labels"):
        rd.label_correlation([0.5, 2.5], range(5), range(10))  # was read as {0, 2}


def test_image_data_and_standardiser_errors():
    with pytest.raises(ValueError, match="non-empty \\(n, N\\)"):
        rd.ImageData(np.zeros(5), np.zeros(5, int), (5,))
    with pytest.raises(ValueError, match="labels must be n = 2 integers"):
        rd.ImageData(np.zeros((2, 4)), np.array([0.5, 1.0]), (4,))
    with pytest.raises(ValueError, match="does not hold N = 4"):
        rd.ImageData(np.zeros((2, 4)), np.array([0, 1]), (3, 3))
    with pytest.raises(ValueError, match="finite"):
        rd.ImageData(np.full((2, 4), np.nan), np.array([0, 1]), (4,))
    with pytest.raises(TypeError, match="integers or floats"):
        rd.ImageData(np.zeros((2, 4), bool), np.array([0, 1]), (4,))
    with pytest.raises(ValueError, match="identical"):
        rd.Standardiser.fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match="n >= 2"):
        rd.Standardiser.fit(np.ones((1, 4)))
    with pytest.raises(ValueError, match="images must be finite"):
        rd.Standardiser.fit(np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 0.0]]))
    scaler = rd.Standardiser.fit(np.arange(12.0).reshape(3, 4))
    with pytest.raises(ValueError, match="N = 4 pixels"):
        scaler(np.ones((2, 3)))
    with pytest.raises(ValueError, match="images must be finite"):
        scaler(np.full((2, 4), np.nan))


def test_digits():
    data = rd.load_digits()
    assert data.images.shape == (1797, 64) and data.shape == (8, 8)
    assert data.classes.tolist() == list(range(10))
    src, tgt = rd.make_real_tasks(data, range(5), [0, 2, 4, 6, 8], rng=0)
    assert src.N == 64 and abs(src.y.mean()) < 0.2 and abs(tgt.y_test.mean()) < 0.25


# ---------------------------------------------------------------------------------------------
# learning curves on real tasks

SMALL = {"K": 8, "epochs": 30, "progress": False}


def test_real_learning_curves_table():
    data = rd.load_digits()
    sources = {"same": range(5), "even": [0, 2, 4, 6, 8]}
    df = rd.real_learning_curves(data, range(5), sources, ns=[40, 5], seeds=[0, 1],
                                 protocols=("TL", "2L", "RF", "0-shot"), **SMALL)
    # TL and 0-shot per source; 2L and RF once per seed (they never see the source)
    for protocol, source in [("TL", "same"), ("TL", "even"), ("0-shot", "even")]:
        assert ((df["protocol"] == protocol) & (df["source"] == source)).sum() == 4
    for protocol in ("2L", "RF"):
        rows = df[df["protocol"] == protocol]
        assert len(rows) == 4 and rows["source"].isna().all()
    assert set(df["n"]) == {5, 40} and np.allclose(df["alpha"], df["n"] / 64)
    same = df[df["source"] == "same"]
    assert (same["label_correlation"] == 1.0).all()
    assert np.allclose(df[df["source"] == "even"]["label_correlation"], 0.2)
    n_test = int(df["n_test"].iloc[0])
    e = df["test_error"].to_numpy()
    np.testing.assert_allclose(df["stderr"], np.sqrt(e * (1 - e) / n_test))
    # 0-shot does not depend on n; identical tasks: 0-shot error = the source's on its own task
    zero = df[(df["protocol"] == "0-shot") & (df["source"] == "same")]
    assert zero.groupby("seed")["test_error"].nunique().eq(1).all()
    # same seeds, same numbers
    again = rd.real_learning_curves(data, range(5), {"same": range(5)}, ns=[5, 40], seeds=[1],
                                    protocols=("TL",), **SMALL)
    ref = same[(same["protocol"] == "TL") & (same["seed"] == 1)]
    np.testing.assert_array_equal(again["test_error"], ref["test_error"])
    part = rd.curves_of(df, "even")
    assert set(part["protocol"]) == {"TL", "2L", "RF", "0-shot"}
    assert set(part["source"].dropna()) == {"even"}
    with pytest.raises(ValueError, match="source must be one of"):
        rd.curves_of(df, "odd")


def test_real_learning_curves_readout_lams():
    """Further penalties rerun TL and RF on the same networks and samples, row by row."""
    data = rd.load_digits()
    kw = dict(ns=[5, 40], seeds=[0, 1], protocols=("TL", "2L", "RF"), **SMALL)
    df = rd.real_learning_curves(data, range(5), {"even": [0, 2, 4, 6, 8]},
                                 readout_lams=(0.01, "cv"), **kw)
    plain = rd.real_learning_curves(data, range(5), {"even": [0, 2, 4, 6, 8]}, **kw)
    assert set(df.loc[df["protocol"] == "2L", "lam"]) == {0.1}
    for protocol in ("TL", "RF"):
        rows = df[df["protocol"] == protocol]
        assert rows.groupby(["n", "seed"])["lam"].apply(set).eq({0.1, 0.01, "cv"}).all()
    # the recipe's own rows are those of a run without further penalties
    keys = ["protocol", "n", "seed"]
    own = df[df["lam"].map(lambda v: v == 0.1)].sort_values(keys, ignore_index=True)
    np.testing.assert_array_equal(own["test_error"],
                                  plain.sort_values(keys, ignore_index=True)["test_error"])
    # a penalty changes the frozen readouts (not all errors equal), cv says what it chose
    weak = df[df["lam"].map(lambda v: v == 0.01)].sort_values(keys, ignore_index=True)
    assert not np.array_equal(weak["test_error"], own[own["protocol"] != "2L"]["test_error"])
    chosen = df[df["lam"].map(lambda v: v == "cv")]["readout_lam"]
    assert len(chosen) == 8 and chosen.isin(LAM_GRID).all()
    assert df[df["lam"].map(lambda v: v != "cv")]["readout_lam"].isna().all()
    with pytest.raises(ValueError, match="readout_lams: lam must be"):
        rd.real_learning_curves(data, range(5), range(6), readout_lams=(-1.0,), ns=[5],
                                seeds=[0], **SMALL)
    with pytest.raises(TypeError, match="readout_lams must be a sequence"):
        rd.real_learning_curves(data, range(5), range(6), readout_lams="cv", ns=[5],
                                seeds=[0], **SMALL)


def test_real_learning_curves_errors():
    data = rd.load_digits()
    with pytest.raises(ValueError, match="ns must be <= the target pool"):
        rd.real_learning_curves(data, range(5), range(6), ns=[10_000], seeds=[0], **SMALL)
    with pytest.raises(ValueError, match="protocols must be one of"):
        rd.real_learning_curves(data, range(5), range(6), ns=[5], seeds=[0], protocols="XX",
                                **SMALL)
    with pytest.raises(TypeError, match="unknown settings"):
        rd.real_learning_curves(data, range(5), range(6), ns=[5], seeds=[0], momentum=0.9,
                                **SMALL)
    with pytest.raises(ValueError, match="must not be empty"):
        rd.real_learning_curves(data, range(5), range(6), ns=[], seeds=[0], **SMALL)
    with pytest.raises(TypeError, match="data must be an ImageData"):
        rd.real_learning_curves(data.images, range(5), range(6), ns=[5], seeds=[0], **SMALL)
    # refused before any network trains
    with pytest.raises(ValueError, match="seeds must be distinct"):
        rd.real_learning_curves(data, range(5), range(6), ns=[5], seeds=[0, 0], **SMALL)
    with pytest.raises(ValueError, match=r"sources\['far'\] has classes \[12\]"):
        rd.real_learning_curves(data, range(5), {"far": [12]}, ns=[5], seeds=[0], **SMALL)
    with pytest.raises(ValueError, match="target_positive must hold some but not all"):
        rd.real_learning_curves(data, range(10), range(6), ns=[5], seeds=[0], **SMALL)
    with pytest.raises(ValueError, match="test_fraction must lie in"):
        rd.real_learning_curves(data, range(5), range(6), ns=[5], seeds=[0], test_fraction=2.0,
                                **SMALL)
    with pytest.raises(ValueError, match="activation must be one of"):
        rd.real_learning_curves(data, range(5), range(6), ns=[5], seeds=[0], activation="sign",
                                **SMALL)


def test_compare():
    rows = []
    errors = {"TL": [0.10, 0.20, 0.15], "2L": [0.30, 0.25, 0.35]}
    for protocol, errs in errors.items():
        for seed, e in enumerate(errs):
            rows.append({"protocol": protocol, "n": 10, "seed": seed, "test_error": e,
                         "source": "s" if protocol == "TL" else None,
                         "stderr": np.sqrt(e * (1 - e) / 100)})
    import pandas as pd

    df = pd.DataFrame(rows)
    diff, se = rd.compare(df, ("TL", "s"), ("2L", None), 10)
    d = np.subtract(errors["TL"], errors["2L"])
    assert diff == pytest.approx(d.mean())
    spread = d.std(ddof=1) / np.sqrt(3)
    held = np.sqrt(np.mean([e * (1 - e) / 100 for e in errors["TL"] + errors["2L"]]) * 2 / 3)
    assert se == pytest.approx(max(spread, held))
    with pytest.raises(ValueError, match="no rows for protocol 'FT'"):
        rd.compare(df, ("FT", "s"), ("2L", None), 10)
    with pytest.raises(ValueError, match="at least two seeds"):
        rd.compare(df[df["seed"] == 0], ("TL", "s"), ("2L", None), 10)
    nan = df.copy()
    nan.loc[0, "test_error"] = np.nan
    with pytest.raises(ValueError, match=r"df\['test_error'\] must be finite"):
        rd.compare(nan, ("TL", "s"), ("2L", None), 10)
    twice = pd.concat([df, df[df["protocol"] == "2L"]])  # 2L's rows stored twice
    with pytest.raises(ValueError, match="one row per seed"):
        rd.compare(twice, ("TL", "s"), ("2L", None), 10)
    with pytest.raises(TypeError, match=r"a must be a \(protocol, source\) pair"):
        rd.compare(df, "TL", ("2L", None), 10)
    with pytest.raises(TypeError, match="n must be an integer"):
        rd.compare(df, ("TL", "s"), ("2L", None), 10.5)
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        rd.curves_of(rows, "s")
