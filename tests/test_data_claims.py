"""Where this run's MNIST came from, said first on the glance page and in the data section:
every source, the download that failed, and a subset, decided from the mnist provenance."""

from __future__ import annotations

import pytest

from hw4.report.sections.data import claims, mnist_origin


def provenance(source: str, train: int, test: int, before=None, **extra) -> dict:
    counts = {
        split: {"total": n, "per_class": {}} for split, n in (("train", train), ("test", test))
    }
    return {
        "source": source,
        "counts": counts,
        "images_before_subset": before or {"train": train, "test": test},
        **extra,
    }


def decided(mnist: dict) -> dict:
    origin = mnist_origin(mnist, "mnist.provenance.json")
    context = {"data": {"mnist": mnist, "mnist_origin": origin}}
    return {claim.id: claim for claim in claims(context)}


@pytest.mark.parametrize(
    ("record", "source", "subset"),
    [
        (provenance("download", 60000, 10000), "download", "whole"),
        (provenance("download", 3000, 1000, {"train": 60000, "test": 10000}), "download", "subset"),
        (provenance("embedded", 4000, 1000), "embedded", "whole"),
        (
            provenance("embedded", 4000, 1000, fallback_reason="download failed: timed out"),
            "embedded_fallback",
            "whole",
        ),
        (provenance("embedded", 600, 200, {"train": 4000, "test": 1000}), "embedded", "subset"),
        (provenance("path", 60000, 10000, path="/data/mnist"), "path", "whole"),
    ],
)
def test_the_data_claims_follow_the_provenance(record, source, subset):
    found = decided(record)
    assert found["data.mnist_source"].verdict == source
    assert found["data.mnist_subset"].verdict == subset
    values = found["data.mnist_subset"].values
    assert (
        values["images_used"]
        == record["counts"]["train"]["total"] + (record["counts"]["test"]["total"])
    )
    assert values["images_available"] == sum(record["images_before_subset"].values())
