"""MNIST sources: verified download from a local HTTP server, IDX and npz readers, embedded digits,
the user's files converted or refused, and the mnist rule rerun when they change."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import free_port

from hw4.data import mnist
from hw4.data.errors import ChecksumError, DataError
from hw4.steps import mnist as step

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
    data = step.run(settings(url=f"{url}/mnist.npz", sha256=sha), cache, seed=0)
    assert data["provenance"]["source"] == "download"
    assert data["arrays"]["x_train"].shape == (50, 28, 28) and data["arrays"]["y_test"].shape == (
        20,
    )
    assert (cache / "mnist.npz").exists()
    # A second call uses the cache: remove the file from the server to prove it.
    (www / "mnist.npz").unlink()
    again = step.run(settings(url=f"{url}/mnist.npz", sha256=sha), cache, seed=0)
    np.testing.assert_array_equal(again["arrays"]["x_train"], data["arrays"]["x_train"])


def test_truncated_download_is_rejected_and_not_kept(http_server, tmp_path):
    url, www = http_server
    sha = make_npz(www / "good.npz")
    (www / "bad.npz").write_bytes((www / "good.npz").read_bytes()[:1000])
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError, match="does not match"):
        step.run(settings(url=f"{url}/bad.npz", sha256=sha), cache, seed=0)
    assert not (cache / "mnist.npz").exists()
    assert list(cache.iterdir()) == []  # no temporary file left behind either


def test_corrupt_cached_file_is_replaced(http_server, tmp_path):
    url, www = http_server
    sha = make_npz(www / "mnist.npz")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"corrupt")
    data = step.run(settings(url=f"{url}/mnist.npz", sha256=sha), cache, seed=0)
    assert data["provenance"]["files"]["mnist.npz"] == sha
    assert hashlib.sha256((cache / "mnist.npz").read_bytes()).hexdigest() == sha


def test_auto_falls_back_to_embedded_without_network(tmp_path, caplog):
    dead = f"http://127.0.0.1:{free_port()}/mnist.npz"
    data = step.run(settings(source="auto", url=dead), tmp_path, seed=0)
    assert data["provenance"]["source"] == "embedded"
    assert "fallback_reason" in data["provenance"]
    assert any("embedded" in r.message for r in caplog.records)


def test_a_subset_of_the_embedded_digits_is_recorded_as_one(tmp_path):
    chosen = step.run(settings(source="embedded", subset={"train": 300, "test": 100}), tmp_path, 0)
    record = chosen["provenance"]
    assert record["requested_source"] == "embedded" and "fallback_reason" not in record
    assert record["images_before_subset"] == {"train": 4000, "test": 1000}
    assert record["counts"]["train"]["total"] == 300 and record["counts"]["test"]["total"] == 100


def test_download_source_does_not_fall_back(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/mnist.npz"
    with pytest.raises(OSError):
        step.run(settings(source="download", url=dead), tmp_path, seed=0)


def test_auto_does_not_hide_a_bad_checksum(http_server, tmp_path):
    url, www = http_server
    make_npz(www / "mnist.npz")
    with pytest.raises(ChecksumError):
        step.run(settings(source="auto", url=f"{url}/mnist.npz"), tmp_path, seed=0)


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
    data = step.run(settings(source="path", path=str(tmp_path)), tmp_path, seed=0)
    assert data["provenance"]["source"] == "path"
    assert len(data["provenance"]["files"]) == 4
    assert data["arrays"]["x_train"].shape == (30, 28, 28)


def test_user_files_are_what_the_path_source_reads(tmp_path):
    assert mnist.user_files(settings(source="auto")) == []
    assert mnist.user_files(settings(source="path", path="data/m.npz")) == ["data/m.npz"]
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((1, 28, 28)), compress=False)
    files = mnist.user_files(settings(source="path", path=str(tmp_path)))
    assert files[0] == str(tmp_path / "train-images-idx3-ubyte")  # the name found
    assert files[1] == str(tmp_path / "train-labels-idx1-ubyte.gz")  # missing: the first name


def test_path_source_names_the_missing_file(tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        mnist.load_path(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        mnist.load_path(tmp_path / "nope")


def test_path_source_reads_npz(tmp_path):
    make_npz(tmp_path / "mnist.npz")
    data = step.run(settings(source="path", path=str(tmp_path / "mnist.npz")), tmp_path, 0)
    assert data["arrays"]["x_test"].shape == (20, 28, 28)


@pytest.mark.skipif(not FASHION.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_full_size_idx_files_from_debian():
    arrays, sums, conversions = mnist.load_path(FASHION)
    assert arrays["x_train"].shape == (60000, 28, 28)
    assert arrays["x_test"].shape == (10000, 28, 28)
    assert np.bincount(arrays["y_train"]).tolist() == [6000] * 10
    assert len(sums) == 4 and conversions == []


CASES = Path("/work/shared/cases")


def write_arrays(path: Path, **over) -> Path:
    """An mnist.npz of 30 + 10 images with the given arrays replaced."""
    rng = np.random.default_rng(3)
    arrays = {
        "x_train": rng.integers(0, 256, (30, 28, 28)).astype(np.uint8),
        "y_train": rng.integers(0, 10, 30).astype(np.uint8),
        "x_test": rng.integers(0, 256, (10, 28, 28)).astype(np.uint8),
        "y_test": rng.integers(0, 10, 10).astype(np.uint8),
    }
    arrays.update(over)
    np.savez(path, **arrays)
    return path


def float01_file(tmp_path: Path) -> Path:
    """The shared case (float32 images in [0, 1]), or one written like it where it is absent."""
    case = CASES / "mnist_float01.npz"
    if case.exists():
        return case
    rng = np.random.default_rng(0)
    return write_arrays(
        tmp_path / "mnist_float01.npz",
        x_train=rng.random((30, 28, 28)).astype(np.float32),
        x_test=rng.random((10, 28, 28)).astype(np.float32),
    )


def test_float_images_in_0_1_are_scaled_not_cast_to_black(tmp_path, caplog):
    file = float01_file(tmp_path)
    with np.load(file) as raw:
        images = raw["x_train"]
    result = step.run(settings(source="path", path=str(file)), tmp_path, seed=0)
    arrays = result["arrays"]
    assert arrays["x_train"].dtype == np.uint8
    np.testing.assert_array_equal(arrays["x_train"], np.rint(images * 255).astype(np.uint8))
    assert arrays["x_train"].max() == 255  # a plain cast would leave 0 and 1 only
    converted = {c["array"]: c for c in result["provenance"]["conversions"]}
    assert set(converted) == {"x_train", "x_test"}
    assert converted["x_train"]["found"] == "float32 in [0, 1]"
    assert "multiplied by 255" in converted["x_train"]["converted"]
    assert any("x_train is float32 in [0, 1]" in r.getMessage() for r in caplog.records)


def test_float_images_in_0_255_are_rounded(tmp_path):
    rng = np.random.default_rng(1)
    file = write_arrays(
        tmp_path / "m.npz",
        x_train=rng.integers(0, 256, (30, 28, 28)).astype(np.float64),
        x_test=rng.integers(0, 255, (10, 28, 28)).astype(np.float64) + 0.4,
    )
    arrays, _, conversions = mnist.load_path(file)
    assert arrays["x_test"].dtype == np.uint8 and arrays["x_train"].max() == 255
    assert [c["found"] for c in conversions] == ["float64 in [0, 255]", "float64 in [0, 255]"]


def test_byte_files_need_no_conversion(tmp_path):
    _, _, conversions = mnist.load_path(write_arrays(tmp_path / "m.npz"))
    assert conversions == []


def broken(kind):
    rng = np.random.default_rng(2)
    images = rng.random((30, 28, 28)).astype(np.float32)
    if kind == "nan":
        images[0, 0, 0] = np.nan
        return {"x_train": images}, "x_train", "1 NaN or infinite"
    if kind == "negative":
        return {"x_train": images - 0.5}, "x_train", "negative values"
    if kind == "above_255":
        return {"x_train": images * 300 + 1.5}, "x_train", "floats up to"
    if kind == "strings":
        return {"x_test": np.full((10, 28, 28), "a")}, "x_test", "dtype <U1"
    if kind == "booleans":
        return {"x_test": np.zeros((10, 28, 28), bool)}, "x_test", "dtype bool"
    if kind == "wide_integers":
        return {"x_train": np.full((30, 28, 28), 1000, np.int32)}, "x_train", "integers from"
    if kind == "mixed_scales":
        return {"x_train": images, "x_test": images[:10] * 200}, "x_test in [0, 255]", "scales"
    if kind == "fractional_labels":
        return {"y_train": rng.random(30)}, "y_train", "not whole numbers"
    if kind == "objects":
        return {"y_test": np.array([None] * 10, dtype=object)}, "y_test", "cannot be read"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "nan",
        "negative",
        "above_255",
        "strings",
        "booleans",
        "wide_integers",
        "mixed_scales",
        "fractional_labels",
        "objects",
    ],
)
def test_ambiguous_arrays_are_refused_naming_file_array_and_finding(tmp_path, kind):
    arrays, array, finding = broken(kind)
    file = tmp_path / "student.npz"
    np.savez(file, **{**dict(np.load(write_arrays(tmp_path / "good.npz"))), **arrays})
    with pytest.raises(DataError) as caught:
        step.run(settings(source="path", path=str(file)), tmp_path, seed=0)
    message = str(caught.value)
    assert "\n" not in message
    assert str(file) in message and array in message and finding in message


def test_whole_number_float_labels_are_accepted(tmp_path):
    file = write_arrays(tmp_path / "m.npz", y_train=np.arange(30) % 10 * 1.0)
    arrays, _, conversions = mnist.load_path(file)
    assert arrays["y_train"].tolist() == (np.arange(30) % 10).tolist()
    assert conversions == [
        {"array": "y_train", "found": "float64 whole numbers", "converted": "to integers"}
    ]


def test_a_single_array_file_is_refused(tmp_path):
    np.save(tmp_path / "images.npy", np.zeros((2, 28, 28)))
    with pytest.raises(DataError, match="not an .npz archive"):
        mnist.load_npz(tmp_path / "images.npy")


@pytest.mark.slow
def test_the_users_file_is_an_input_of_the_mnist_rule(tmp_path):
    """A corrected file reruns the rule; the converted case file is what the rule writes."""
    import shutil

    import yaml
    from conftest import REPO, run_snakemake

    file = tmp_path / "data" / "mnist.npz"
    file.parent.mkdir()
    shutil.copy(float01_file(tmp_path), file)
    config = yaml.safe_load((REPO / "tests" / "configs" / "tiny.yaml").read_text())
    config["data"]["mnist"] = {"source": "path", "path": "data/mnist.npz"}
    configfile = tmp_path / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    target = "results/data/mnist.npz"
    first = run_snakemake(tmp_path, "--cores", "1", target, configfile=configfile, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    with np.load(tmp_path / target) as written:
        assert written["x_train"].dtype == np.uint8 and written["x_train"].max() == 255
    provenance = json.loads((tmp_path / "results/data/mnist.provenance.json").read_text())
    assert {c["array"] for c in provenance["conversions"]} == {"x_train", "x_test"}
    unchanged = run_snakemake(tmp_path, "-n", target, configfile=configfile, timeout=300)
    assert "Nothing to be done" in unchanged.stdout + unchanged.stderr
    write_arrays(file)  # the student fixes the file
    again = run_snakemake(tmp_path, "-n", target, configfile=configfile, timeout=300)
    assert "mnist" in again.stdout and "Nothing to be done" not in again.stdout + again.stderr
