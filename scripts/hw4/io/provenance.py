"""The provenance block every artifact carries: when, on what machine, with which packages."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def keras_backend() -> str:
    """The Keras backend this process computed with, or ``none`` where it never imported Keras."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else "none"


def provenance(**extra: Any) -> dict:
    """The provenance block every artifact carries: when, where, with what (Keras backend too)."""
    block = {
        "created": utc_now(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": f"CPU: {cpu_model()}",
        "backend": keras_backend(),
    }
    block.update(extra)
    return block


def package_versions(names: Sequence[str]) -> dict[str, str]:
    """Installed versions of the named distributions ('not installed' where absent)."""
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def framework_versions() -> dict[str, str]:
    """Versions of the deep-learning stack a training rule ran with."""
    backends = ["tensorflow-cpu", "tensorflow", "jax", "jaxlib", "torch"]
    versions = package_versions(["keras", *backends, "numpy", "keras-tuner"])
    # A backend that is not installed is not part of the stack: listed only when present.
    return {
        name: version
        for name, version in versions.items()
        if version != "not installed" or name not in backends
    }
