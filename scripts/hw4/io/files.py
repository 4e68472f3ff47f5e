"""Reading and writing the artifacts that rules hand to each other.

Every write goes to a temporary file beside the target and is renamed into
place, so a killed job never leaves a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or ".part", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates the file private (0600); artifacts are ordinary files.
        umask = os.umask(0)
        os.umask(umask)
        tmp_path.chmod(0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_json(path: str | os.PathLike, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=_json_default, ensure_ascii=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, loaded into memory (the file is closed on return)."""
    with np.load(path) as loaded:
        return {name: loaded[name] for name in loaded.files}


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path, suffix=Path(path).suffix) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path, suffix=Path(path).suffix) as tmp:
        tmp.write_bytes(data)


def read_yaml(path: str | os.PathLike) -> Any:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def write_csv(path: str | os.PathLike, rows: Sequence[dict], columns: Sequence[str]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    with atomic_path(path) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")


def write_frame(path: str | os.PathLike, frame) -> None:
    """Write a pandas frame as CSV, atomically."""
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")


def read_frame(path: str | os.PathLike, time_columns: Sequence[str] = ("time",)):
    """A CSV written by ``write_frame`` as a pandas frame, its time columns parsed."""
    import pandas as pd

    return pd.read_csv(path, parse_dates=list(time_columns))


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def save_model(model, path: str | os.PathLike) -> None:
    """Keras model file, written under a temporary name and renamed into place."""
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)


def load_model(path: str | os.PathLike):
    """A Keras model saved by ``save_model`` (imports Keras: call after the framework is set up)."""
    import keras

    return keras.models.load_model(path)
