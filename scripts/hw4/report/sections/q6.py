"""Q6: batch normalisation."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.methods.proportion_interval import compare_shares, wilson_interval
from hw4.report.artifacts import required
from hw4.report.claims import Claim

KERAS_BATCHNORM_MOMENTUM = 0.99

# A training accuracy this far (fraction) above the test accuracy is called overfitting.


def load(inputs: dict) -> dict:
    checks = read_json(inputs["batchnorm"])
    speed, folding = checks["speed"], checks["folding"]
    drift_rows = checks["running_stats_drift"]["rows"]
    # Each small-batch test accuracy with its 95 % interval on the test images it was measured on.
    test_images = required(
        checks["small_batches"], "test_images", inputs["batchnorm"], "batchnorm_checks"
    )
    small = [
        {**row, "interval": wilson_interval(row["test_accuracy"], test_images)}
        for row in checks["small_batches"]["rows"]
    ]
    best_small = max(small, key=lambda r: r["test_accuracy"])
    worst_small = min(small, key=lambda r: r["test_accuracy"])
    return {
        "checks": checks,
        "provenance": checks["provenance"],
        "verdicts": checks["verdicts"],
        "step_ratio": speed["with_bn"]["step_seconds"]["median"]
        / speed["without_bn"]["step_seconds"]["median"],
        "fold_ratio": folding["seconds_folded"]["median"] / folding["seconds_with_bn"]["median"],
        "drift_one": min(drift_rows, key=lambda r: r["batch_size"]),
        "keras_momentum": KERAS_BATCHNORM_MOMENTUM,
        # What Keras' momentum leaves of the running variance's starting value after as many
        # updates as the small-batch runs make.
        "keras_start_left": KERAS_BATCHNORM_MOMENTUM ** checks["small_batches"]["steps"],
        "small_rows": small,
        "best_small": best_small,
        "worst_small": worst_small,
        "best_versus_worst_small": compare_shares(
            best_small["test_accuracy"], test_images, worst_small["test_accuracy"], test_images
        ),
    }


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    return []
