"""Step of rule train_cnn: the fixed Q7 CNN on MNIST, fitted, evaluated and described."""

from __future__ import annotations

import logging

import numpy as np

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.mnist_cnn import (
    build_q7_model,
    confusion_matrix,
    hold_out_last,
    one_hot,
    scale_images,
    shuffle_training,
)
from hw4.methods.training_log import EpochLog, history_rows

log = logging.getLogger("hw4")


def run(data: dict, settings: dict, seed: int, device: dict) -> dict:
    """Shuffle (the hand-in's ``RandomState`` order), hold out the last shuffled images for
    validation, scale, one-hot, fit, evaluate on the test split.

    ``data``: the mnist rule's arrays (uint8 images (n, 28, 28), labels 0..9); ``settings``: the
    ``cnn`` config section; ``device``: what ``configure_framework`` returned. Returns the fitted
    ``model``, ``history`` rows (one per epoch) and their ``history_columns``, ``metrics`` (the
    JSON artifact, with provenance), the shuffle ``order``, the test ``confusion_matrix``
    (10, 10) and the first ``digits`` to show (``images``, ``labels``).
    """
    x_train, y_train, order = shuffle_training(data["x_train"], data["y_train"], seed)
    (x_fit, y_fit), (x_val, y_val) = hold_out_last(
        x_train, y_train, settings["validation_fraction"]
    )
    model = build_q7_model()
    epochs, batch_size = settings["epochs"], settings["batch_size"]
    progress = EpochLog("train_cnn", epochs)
    history = model.fit(
        scale_images(x_fit),
        one_hot(y_fit),
        validation_data=(scale_images(x_val), one_hot(y_val)),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[progress],
    )
    x_test = scale_images(data["x_test"])
    test_loss, test_accuracy = model.evaluate(
        x_test, one_hot(data["y_test"]), batch_size=256, verbose=0
    )
    predicted = np.argmax(model.predict(x_test, batch_size=256, verbose=0), axis=1)
    # The first epoch includes tracing and compilation: throughput is read from the others.
    steady = progress.seconds[1:] or progress.seconds
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "train_accuracy": float(history.history["accuracy"][-1]),
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "epochs": epochs,
        "batch_size": batch_size,
        "shuffle_seed": seed,
        # The hand-in drew np.random.seed(0); permutation(60000): the same digits come first
        # only with that seed on the full 60,000 training images.
        "handin_order": bool(seed == 0 and len(data["y_train"]) == 60000),
        "train_images": int(len(y_fit)),
        "val_images": int(len(y_val)),
        "test_images": int(len(data["y_test"])),
        "seconds_per_epoch": float(np.mean(progress.seconds)),
        "images_per_second": float(len(y_fit) / np.mean(steady)),
        "params": int(model.count_params()),
        "layers": [
            {
                "name": layer.name,
                "output_shape": list(layer.output.shape[1:]),
                "params": int(layer.count_params()),
            }
            for layer in model.layers
        ],
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    }
    log.info("train_cnn: test accuracy %.4f after %d epochs", test_accuracy, epochs)
    rows = history_rows(history.history, progress.seconds)
    shown = order[: settings["show_digits"]]
    return {
        "model": model,
        "history": rows,
        "history_columns": list(rows[0]),
        "metrics": metrics,
        "order": order,
        "confusion_matrix": confusion_matrix(data["y_test"], predicted),
        "digits": {"images": data["x_train"][shown], "labels": data["y_train"][shown]},
    }
