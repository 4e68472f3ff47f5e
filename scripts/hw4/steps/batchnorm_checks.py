"""Step of rule batchnorm_checks: Q6's claims, each backed by a check or a measurement.

Every verdict the report prints about batch normalisation is chosen here from what was measured
(``verdicts`` in the artifact), so the template only words it.
"""

from __future__ import annotations

import logging

import numpy as np

from hw4.io.provenance import framework_versions, provenance
from hw4.methods import batchnorm_experiments as experiments
from hw4.methods.batchnorm import running_stats_drift
from hw4.methods.mnist_cnn import scale_images
from hw4.methods.paired_test import paired_comparison
from hw4.methods.step_timing import WARMUP_CALLS, compare_timings

log = logging.getLogger("hw4")

# The distribution fed to the running statistics (normal, mean 3, standard deviation 2).
DRIFT_MEAN, DRIFT_STD = 3.0, 2.0
# Held out from the training subset for the convergence curves.
VALIDATION_IMAGES = 500
# One example as a dense layer sees it (5 features) and as a conv layer does (6x6, 4 channels).
DENSE_EXAMPLE, CONV_EXAMPLE = (5,), (6, 6, 4)
STEPS = 6


def training_subset(data: dict, train_images: int, seed: int) -> dict:
    """A seeded shuffle of the training images: ``train_images`` to train on (fewer when the
    data is small), the next ``VALIDATION_IMAGES`` to validate on, and the whole test set.

    Images are scaled to [0, 1] with a channel axis. Returns x/y for train, val and test.
    """
    order = np.random.default_rng(seed).permutation(len(data["y_train"]))
    count = min(train_images, len(order) - VALIDATION_IMAGES)
    train, validation = order[:count], order[count : count + VALIDATION_IMAGES]
    return {
        "x": scale_images(data["x_train"][train]),
        "y": data["y_train"][train],
        "x_val": scale_images(data["x_train"][validation]),
        "y_val": data["y_train"][validation],
        "x_test": scale_images(data["x_test"]),
        "y_test": data["y_test"],
    }


def convergence_verdict(speed: dict) -> str:
    """Which model reached the target validation accuracy first: "with_bn", "without_bn",
    "same_epoch", or "neither" (within the epochs run)."""
    with_bn = speed["with_bn"]["epochs_to_target"]
    without_bn = speed["without_bn"]["epochs_to_target"]
    if with_bn is None and without_bn is None:
        return "neither"
    if with_bn == without_bn:
        return "same_epoch"
    if without_bn is None or (with_bn is not None and with_bn < without_bn):
        return "with_bn"
    return "without_bn"


def best_versus_worst(rows: list[dict], labels) -> dict:
    """The most and the least accurate batch sizes compared on the same test images by
    McNemar's exact test (hw4.methods.paired_test): ``{"best_batch", "worst_batch", "n",
    "first_accuracy", "second_accuracy", "b", "c", "p_value"}``, first = best."""
    best = max(rows, key=lambda row: row["test_accuracy"])
    worst = min(rows, key=lambda row: row["test_accuracy"])
    labels = np.asarray(labels)
    if labels.ndim > 1:  # one-hot labels
        labels = labels.argmax(axis=1)
    return {
        "best_batch": best["batch_size"],
        "worst_batch": worst["batch_size"],
        **paired_comparison(labels, np.asarray(best["predicted"]), np.asarray(worst["predicted"])),
    }


def verdicts(speed: dict, folding: dict, batch_of_one: dict) -> dict:
    """The measured answers the section words.

    ``training_step``: a training step with BN against one without ("faster", "slower" or
    "within_noise": the interquartile ranges overlap); ``folded_prediction``: the folded model
    against the one with BN, likewise; ``convergence``: see ``convergence_verdict``;
    ``collapses_at_batch_of_one``: the layer kinds whose output is beta whatever the input.
    """
    return {
        "training_step": compare_timings(
            speed["with_bn"]["step_seconds"], speed["without_bn"]["step_seconds"]
        ),
        "folded_prediction": compare_timings(folding["seconds_folded"], folding["seconds_with_bn"]),
        "convergence": convergence_verdict(speed),
        "collapses_at_batch_of_one": [
            kind for kind, check in batch_of_one.items() if check["output_equals_beta"]
        ],
    }


def drift_rows(batch_sizes: list[int], steps: int, seed: int) -> list[dict]:
    """Where the running mean and variance end after ``steps`` batches of each size."""
    rows = []
    for batch_size in batch_sizes:
        mean, variance = running_stats_drift(batch_size, steps, DRIFT_MEAN, DRIFT_STD, seed)
        rows.append({"batch_size": batch_size, "running_mean": mean, "running_var": variance})
    return rows


def largest_difference(comparisons: list[dict]) -> float:
    """The largest of every difference in every comparison with Keras."""
    return max(value for row in comparisons for key, value in row.items() if key != "shape")


def run(data: dict, settings: dict, seed: int, device: dict) -> dict:
    """Run Q6's checks on MNIST arrays (``x_train``, ``y_train``, ``x_test``, ``y_test``).

    ``device`` is ``hw4.device.configure_framework``'s description, the threads it pinned
    included. Returns ``{"checks": the JSON artifact}``.
    """
    subset = training_subset(data, settings["train_images"], seed)
    log.info("batchnorm_checks: step 1 of %d, NumPy batch norm against Keras", STEPS)
    comparisons = [
        experiments.compare_with_keras(tuple(shape), seed + number)
        for number, shape in enumerate(settings["shapes"])
    ]
    log.info("batchnorm_checks: step 2 of %d, epsilon and batch size 1", STEPS)
    batch_of_one = {
        "dense": experiments.batch_of_one(DENSE_EXAMPLE, seed),
        "conv": experiments.batch_of_one(CONV_EXAMPLE, seed),
    }
    drift = drift_rows(settings["drift_batch_sizes"], settings["drift_steps"], seed)
    log.info("batchnorm_checks: step 3 of %d, parameter counts", STEPS)
    parameter_counts = experiments.parameter_counts()
    log.info("batchnorm_checks: step 4 of %d, small batches", STEPS)
    small = experiments.small_batch_accuracy(
        subset["x"],
        subset["y"],
        subset["x_test"],
        subset["y_test"],
        settings["small_batch_sizes"],
        settings["small_batch_steps"],
        seed,
    )
    log.info("batchnorm_checks: step 5 of %d, speed and convergence with and without BN", STEPS)
    speed = experiments.speed_and_convergence(
        subset["x"], subset["y"], subset["x_val"], subset["y_val"], settings, seed
    )
    log.info("batchnorm_checks: step 6 of %d, folding BN into the layer before it", STEPS)
    folding = experiments.folding_check(
        subset["x"], subset["y"], seed, repeats=settings["timing_steps"]
    )
    checks = {
        "keras_comparison": comparisons,
        "largest_difference": largest_difference(comparisons),
        "epsilon": experiments.epsilon_case(),
        "batch_of_one": batch_of_one,
        "running_stats_drift": {
            "true_mean": DRIFT_MEAN,
            "true_var": DRIFT_STD**2,
            "steps": settings["drift_steps"],
            "rows": drift,
        },
        "parameter_counts": parameter_counts,
        "small_batches": {
            "steps": settings["small_batch_steps"],
            "train_images": len(subset["y"]),
            "test_images": len(subset["y_test"]),
            "rows": [{k: v for k, v in row.items() if k != "predicted"} for row in small],
            "best_versus_worst": best_versus_worst(small, subset["y_test"]),
        },
        "speed": speed,
        "target_accuracy": settings["target_accuracy"],
        "bn_momentum": experiments.SMALL_CNN_MOMENTUM,
        "folding": folding,
        "verdicts": verdicts(speed, folding, batch_of_one),
        "timing": {
            "threads": device["threads"],
            "deterministic_ops": device["deterministic_ops"],
            "warmup_calls": WARMUP_CALLS,
            "repeats": settings["timing_steps"],
        },
        "device": device["device"],
        "provenance": provenance(versions=framework_versions(), **device),
    }
    return {"checks": checks}
