"""The data section: where MNIST and the consumption series came from."""

from __future__ import annotations

from pathlib import Path

from hw4.io.files import read_json, sha256_of
from hw4.report.artifacts import required
from hw4.report.claims import Claim


def mnist_origin(mnist: dict, path: str | Path) -> dict:
    """How this run's MNIST came to be, from the mnist rule's provenance record.

    ``download_failed``: the embedded digits stand in for a download that was tried and
    failed (``source: auto``), not for one chosen on purpose. ``images_available``: what the
    source held; ``subset``: whether a stratified subset of it was kept (``images_used``).
    """
    available = required(mnist, "images_before_subset", path, "mnist")
    used = {split: mnist["counts"][split]["total"] for split in ("train", "test")}
    return {
        "download_failed": mnist["source"] == "embedded" and "fallback_reason" in mnist,
        "images_available": sum(available.values()),
        "images_used": sum(used.values()),
        "subset": used != available,
    }


def load(inputs: dict) -> dict:
    mnist = read_json(inputs["mnist_provenance"])
    consumption = read_json(inputs["consumption_provenance"])
    return {
        "mnist": mnist,
        "mnist_origin": mnist_origin(mnist, inputs["mnist_provenance"]),
        "consumption": consumption,
        "files": {
            "results/data/mnist.npz": sha256_of(inputs["mnist"]),
            "results/data/consumption.csv": sha256_of(inputs["consumption"]),
        },
    }


def mnist_source_verdict(mnist: dict) -> str:
    """``download``, ``embedded_fallback`` (no network under ``source: auto``),
    ``embedded`` (chosen) or ``path`` (the user's files)."""
    if mnist["source"] == "embedded" and "fallback_reason" in mnist:
        return "embedded_fallback"
    return mnist["source"]


def claims(context: dict) -> list[Claim]:
    """Where this run's MNIST came from, and whether a subset of it was used: the first
    lines of the results-at-a-glance page and of the data section."""
    section = context["data"]
    mnist, origin = section["mnist"], section["mnist_origin"]
    counts = {
        "train_images": mnist["counts"]["train"]["total"],
        "test_images": mnist["counts"]["test"]["total"],
        "images_available": origin["images_available"],
        "images_used": origin["images_used"],
    }
    return [
        Claim("data.mnist_source", mnist_source_verdict(mnist), counts),
        Claim("data.mnist_subset", "subset" if origin["subset"] else "whole", counts),
    ]
