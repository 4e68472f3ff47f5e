"""Step of rule compare_cnns: the KerasTuner-tuned CNN against the fixed Q7 CNN on the same
test images, by McNemar's exact test on the images where exactly one of them is right."""

from __future__ import annotations

import logging

import numpy as np

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.mnist_cnn import scale_images
from hw4.methods.paired_test import paired_comparison

log = logging.getLogger("hw4")


def predicted_classes(model, images: np.ndarray) -> np.ndarray:
    """The class (argmax of the softmax) a Keras model gives each image: shape (n,)."""
    return np.argmax(model.predict(images, batch_size=256, verbose=0), axis=1)


def run(tuned_model, q7_model, data: dict, device: dict) -> dict:
    """Both models' predictions on the mnist rule's test split, paired image by image.

    ``tuned_model``: tune_cnn's best_model.keras; ``q7_model``: train_cnn's model.keras.
    Both were trained on ``scale_images`` of the uint8 digits ((n, 28, 28, 1) floats in
    [0, 1]; hw4.steps.tune_cnn and hw4.steps.train_cnn), so both see the test images so
    here; the labels' coding (sparse or one-hot) only changed their loss, not their output
    (10 softmax scores). ``data``: the mnist rule's arrays. Returns paired_test.json: ``n``,
    ``tuned_accuracy``, ``q7_accuracy``, ``b`` (images the tuned model gets right and Q7's
    wrong), ``c`` (the reverse), the two-sided McNemar exact ``p_value``
    (hw4.methods.paired_test), and a provenance block.
    """
    images, labels = scale_images(data["x_test"]), np.asarray(data["y_test"]).astype(int)
    compared = paired_comparison(
        labels, predicted_classes(tuned_model, images), predicted_classes(q7_model, images)
    )
    log.info(
        "compare_cnns: %d test images, tuned %.4f, Q7 %.4f; b=%d c=%d, p=%.3g",
        compared["n"],
        compared["first_accuracy"],
        compared["second_accuracy"],
        compared["b"],
        compared["c"],
        compared["p_value"],
    )
    return {
        "n": compared["n"],
        "tuned_accuracy": compared["first_accuracy"],
        "q7_accuracy": compared["second_accuracy"],
        "b": compared["b"],
        "c": compared["c"],
        "p_value": compared["p_value"],
        "test": "McNemar's exact test (two-sided binomial test of b against b + c, p = 1/2)",
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    }
