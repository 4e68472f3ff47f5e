"""MNIST sources: verified download from a local HTTP server, IDX and npz readers, embedded digits."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import free_port

from hw4.data import mnist
from hw4.data.errors import ChecksumError, DataError

FASHION = Path("/usr/share/datasets/fashion-mnist")


def make_npz(path: Path, n_train=50, n_test=20, seed=1) -> str:
    rng = np.random.default_rng(seed)
    np.savez_compressed(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settings(**over):
    base = {
        "source": "download",
        "url": "",
        "sha256": "0" * 64,
        "path": "",
        "embedded_test_fraction": 0.2,
        "timeout": 5,
    }
    base.update(over)
    return base


def test_download_good_file_is_verified_and_cached(http_server, tmp_path):
    url, www = http_server
    sha = make_npz(www / "mnist.npz")
    cache = tmp_path / "cache"
    data = mnist.prepare_mnist(settings(url=f"{url}/mnist.npz", sha256=sha), cache, seed=0)
    assert data.provenance["source"] == "download"
    assert data.x_train.shape == (50, 28, 28) and data.y_test.shape == (20,)
    assert (cache / "mnist.npz").exists()
    # A second call uses the cache: remove the file from the server to prove it.
    (www / "mnist.npz").unlink()
    again = mnist.prepare_mnist(settings(url=f"{url}/mnist.npz", sha256=sha), cache, seed=0)
    np.testing.assert_array_equal(again.x_train, data.x_train)


def test_truncated_download_is_rejected_and_not_kept(http_server, tmp_path):
    url, www = http_server
    sha = make_npz(www / "good.npz")
    (www / "bad.npz").write_bytes((www / "good.npz").read_bytes()[:1000])
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError, match="does not match"):
        mnist.prepare_mnist(settings(url=f"{url}/bad.npz", sha256=sha), cache, seed=0)
    assert not (cache / "mnist.npz").exists()
    assert list(cache.iterdir()) == []  # no temporary file left behind either


def test_corrupt_cached_file_is_replaced(http_server, tmp_path):
    url, www = http_server
    sha = make_npz(www / "mnist.npz")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"corrupt")
    data = mnist.prepare_mnist(settings(url=f"{url}/mnist.npz", sha256=sha), cache, seed=0)
    assert data.provenance["files"]["mnist.npz"] == sha
    assert hashlib.sha256((cache / "mnist.npz").read_bytes()).hexdigest() == sha


def test_auto_falls_back_to_embedded_without_network(tmp_path, caplog):
    dead = f"http://127.0.0.1:{free_port()}/mnist.npz"
    data = mnist.prepare_mnist(settings(source="auto", url=dead), tmp_path, seed=0)
    assert data.provenance["source"] == "embedded"
    assert "fallback_reason" in data.provenance
    assert any("embedded" in r.message for r in caplog.records)


def test_download_source_does_not_fall_back(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/mnist.npz"
    with pytest.raises(OSError):
        mnist.prepare_mnist(settings(source="download", url=dead), tmp_path, seed=0)


def test_auto_does_not_hide_a_bad_checksum(http_server, tmp_path):
    url, www = http_server
    make_npz(www / "mnist.npz")
    with pytest.raises(ChecksumError):
        mnist.prepare_mnist(settings(source="auto", url=f"{url}/mnist.npz"), tmp_path, seed=0)


def test_embedded_split_is_stratified_seeded_and_real():
    a = mnist.load_embedded(seed=0, test_fraction=0.2)
    b = mnist.load_embedded(seed=0, test_fraction=0.2)
    c = mnist.load_embedded(seed=1, test_fraction=0.2)
    assert a["x_train"].shape == (4000, 28, 28) and a["x_test"].shape == (1000, 28, 28)
    assert np.bincount(a["y_test"]).tolist() == [100] * 10
    np.testing.assert_array_equal(a["y_train"], b["y_train"])
    assert not np.array_equal(a["y_train"], c["y_train"])
    # The embedded set is sorted by label; a shuffled split must not be.
    assert np.any(np.diff(a["y_train"].astype(int)) < 0)
    assert a["x_train"].dtype == np.uint8 and a["x_train"].max() == 255


def test_subset_keeps_every_class():
    arrays = mnist.load_embedded(seed=0, test_fraction=0.2)
    small = mnist.subset(arrays, 100, 50, seed=0)
    assert len(small["y_train"]) == 100 and len(small["y_test"]) == 50
    assert set(np.unique(small["y_train"])) == set(range(10))


def write_idx(path: Path, array: np.ndarray, compress=True):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_idx_round_trip_and_truncation(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "a.gz", images)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "a.gz"), images)
    write_idx(tmp_path / "raw", images, compress=False)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "raw"), images)
    (tmp_path / "short").write_bytes((tmp_path / "raw").read_bytes()[:-10])
    with pytest.raises(DataError, match="header promises"):
        mnist.read_idx(tmp_path / "short")
    (tmp_path / "notidx").write_bytes(b"\x01\x02\x03\x04" + bytes(10))
    with pytest.raises(DataError, match="not an IDX file"):
        mnist.read_idx(tmp_path / "notidx")


def test_path_source_reads_idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    for key, stem in mnist.IDX_FILES.items():
        n = 30 if "train" in key else 10
        array = rng.integers(0, 256, (n, 28, 28)) if key.startswith("x") else rng.integers(0, 10, n)
        write_idx(tmp_path / f"{stem}.gz", array)
    data = mnist.prepare_mnist(settings(source="path", path=str(tmp_path)), tmp_path, seed=0)
    assert data.provenance["source"] == "path"
    assert len(data.provenance["files"]) == 4
    assert data.x_train.shape == (30, 28, 28)


def test_path_source_names_the_missing_file(tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        mnist.load_path(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        mnist.load_path(tmp_path / "nope")


def test_path_source_reads_npz(tmp_path):
    make_npz(tmp_path / "mnist.npz")
    data = mnist.prepare_mnist(
        settings(source="path", path=str(tmp_path / "mnist.npz")), tmp_path, 0
    )
    assert data.x_test.shape == (20, 28, 28)


@pytest.mark.skipif(not FASHION.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_full_size_idx_files_from_debian():
    arrays, sums = mnist.load_path(FASHION)
    assert arrays["x_train"].shape == (60000, 28, 28)
    assert arrays["x_test"].shape == (10000, 28, 28)
    assert np.bincount(arrays["y_train"]).tolist() == [6000] * 10
    assert len(sums) == 4
