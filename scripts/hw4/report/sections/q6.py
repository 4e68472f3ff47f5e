"""Q6: batch normalisation."""

from __future__ import annotations

import math

from hw4.io.files import read_json
from hw4.methods.proportion_interval import wilson_interval
from hw4.report.artifacts import required
from hw4.report.claims import Claim

KERAS_BATCHNORM_MOMENTUM = 0.99

# Two batch sizes' accuracies on the same test images differ beyond the noise when McNemar's
# exact test gives p below this (the conventional 5 % level, two-sided).
PAIRED_TEST_LEVEL = 0.05
# hw4.methods.batchnorm.running_stats_drift's momentum and the running variance it starts
# from (BatchNorm.fresh): with one value per statistic the batch variance is exactly zero,
# so the running variance ends at exactly momentum ** steps times its start.
DRIFT_MOMENTUM, DRIFT_START_VARIANCE = 0.99, 1.0
# MNIST's digits: an accuracy of 1 / 10 is what guessing (or one class for every image) scores.
MNIST_CLASSES = 10
# The columns of a keras_comparison row that compare this NumPy batch norm with Keras; the
# numerical-derivative column is a check of the backward pass against finite differences.
KERAS_COLUMNS = (
    "output_train",
    "output_inference",
    "running_mean",
    "running_var",
    "grad_x",
    "grad_gamma",
    "grad_beta",
)
NUMERICAL_COLUMN = "grad_x_numerical"
# Largest absolute differences still called agreement: float64 against Keras is at round-off
# (about 1e-14 for values of order one); central differences carry a truncation error.
KERAS_TOLERANCE = 1e-6
NUMERICAL_TOLERANCE = 1e-6


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
        # The two batch sizes on the same test images: McNemar's exact test (batchnorm_checks).
        "best_versus_worst_small": required(
            checks["small_batches"], "best_versus_worst", inputs["batchnorm"], "batchnorm_checks"
        ),
    }


def milliseconds(prefix: str, timing: dict) -> dict:
    """A timing summary (seconds) as ``<prefix>_ms``, ``_low`` and ``_high`` in milliseconds."""
    return {
        f"{prefix}_ms": 1000 * timing["median"],
        f"{prefix}_low": 1000 * timing["lower_quartile"],
        f"{prefix}_high": 1000 * timing["upper_quartile"],
    }


def convergence_verdict(with_epoch: int | None, without_epoch: int | None) -> str:
    """Which model reached the target validation accuracy first, and whether the other did:
    "with_bn_first", "with_bn_only", "without_bn_first", "without_bn_only", "same_epoch" or
    "neither" (within the epochs run)."""
    if with_epoch is None and without_epoch is None:
        return "neither"
    if with_epoch is None:
        return "without_bn_only"
    if without_epoch is None:
        return "with_bn_only"
    if with_epoch == without_epoch:
        return "same_epoch"
    return "with_bn_first" if with_epoch < without_epoch else "without_bn_first"


def other_accuracy_then(speed: dict, with_epoch: int | None, without_epoch: int | None) -> float:
    """The validation accuracy of the model that reached the target later (or never), at
    the epoch (1-based) the other reached it; 0 when neither reached it or both did at once."""
    if with_epoch is None and without_epoch is None or with_epoch == without_epoch:
        return 0.0
    if without_epoch is None or (with_epoch is not None and with_epoch < without_epoch):
        return float(speed["without_bn"]["val_accuracy"][with_epoch - 1])
    return float(speed["with_bn"]["val_accuracy"][without_epoch - 1])


def second_statement_verdict(convergence: str) -> str:
    """What the convergence run says of the second statement (fewer epochs to a given
    accuracy with batch normalisation), from ``convergence_verdict``'s answer, for the short
    answer of part (a) so that it says what the body's claim says: ``borne_out``,
    ``not_borne_out``, ``no_difference`` or ``untested`` (neither model reached the target)."""
    return {
        "with_bn_first": "borne_out",
        "with_bn_only": "borne_out",
        "without_bn_first": "not_borne_out",
        "without_bn_only": "not_borne_out",
        "same_epoch": "no_difference",
        "neither": "untested",
    }[convergence]


def chance_verdict(low: float, high: float, chance: float) -> str:
    """A test accuracy's 95 % interval ``[low, high]`` against guessing's ``chance``:
    "below_chance", "at_chance" (the interval holds it) or "above_chance"."""
    if high < chance:
        return "below_chance"
    if low > chance:
        return "above_chance"
    return "at_chance"


def drift_verdict(rows: list[dict], true_var: float) -> str:
    """The running variance over every batch size of running_stats_drift: "rises_below_truth"
    when it grows with the batch size and every row stays below the data's variance,
    "below_truth" when every row is below it but not in batch-size order, "mixed" otherwise."""
    ordered = sorted(rows, key=lambda row: row["batch_size"])
    variances = [row["running_var"] for row in ordered]
    if any(value >= true_var for value in variances):
        return "mixed"
    rising = all(a < b for a, b in zip(variances, variances[1:], strict=False))
    return "rises_below_truth" if rising else "below_truth"


def batch_of_one_verdict(drift_one: dict, steps: int, conv_values: int) -> str:
    """Where the running variance goes at batch size 1: "dense_to_zero_conv_not" when the
    one-value-per-statistic run only decayed (batch variance exactly zero every step) and a
    conv layer's statistic has more than one value, "dense_to_zero" when both have one value,
    "not_to_zero" when the run did not just decay."""
    decayed = DRIFT_START_VARIANCE * DRIFT_MOMENTUM**steps
    if drift_one["batch_size"] != 1 or not math.isclose(
        drift_one["running_var"], decayed, rel_tol=1e-6
    ):
        return "not_to_zero"
    return "dense_to_zero_conv_not" if conv_values > 1 else "dense_to_zero"


def constant_column(batch: list[list[float]]) -> tuple[int, float]:
    """The first column (1-based) of ``batch`` whose every value is the same, and that value;
    ``(0, 0.0)`` when none is."""
    for number, column in enumerate(zip(*batch, strict=True), start=1):
        if len(set(column)) == 1:
            return number, column[0]
    return 0, 0.0


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    section, original = context["q6"], context["original"]
    checks, verdicts = section["checks"], section["verdicts"]
    speed, folding = checks["speed"], checks["folding"]
    with_epoch = speed["with_bn"]["epochs_to_target"]
    without_epoch = speed["without_bn"]["epochs_to_target"]
    keras_largest = max(row[key] for row in checks["keras_comparison"] for key in KERAS_COLUMNS)
    numerical_largest = max(row[NUMERICAL_COLUMN] for row in checks["keras_comparison"])
    epsilon = checks["epsilon"]
    column, constant = constant_column(epsilon["batch"])
    if not epsilon["with_eps_finite"]:
        epsilon_verdict = "not_finite"
    elif epsilon["with_eps_constant_feature_largest"] == 0:
        epsilon_verdict = "finite_zero"
    else:
        epsilon_verdict = "finite_nonzero"
    dense, conv = checks["batch_of_one"]["dense"], checks["batch_of_one"]["conv"]
    drift = checks["running_stats_drift"]
    drift_rows = sorted(drift["rows"], key=lambda row: row["batch_size"])
    worst, best = section["worst_small"], section["best_small"]
    chance = 1 / MNIST_CLASSES
    counts = checks["parameter_counts"]
    expected = original["batchnorm"]
    matches = (
        counts["with_bias"]["trainable"] == expected["trainable"]
        and counts["without_bias"]["trainable"] == expected["trainable_without_bias"]
    )
    return [
        Claim(
            "q6.statement_speed",
            verdicts["training_step"],
            {
                **milliseconds("with", speed["with_bn"]["step_seconds"]),
                **milliseconds("without", speed["without_bn"]["step_seconds"]),
                "ratio": section["step_ratio"],
            },
        ),
        Claim(
            "q6.folding_outputs",
            "same_predictions" if folding["same_predictions"] else "some_predictions_differ",
            {"largest": folding["max_abs_difference"], "images": folding["images"]},
        ),
        Claim(
            "q6.folding_time",
            verdicts["folded_prediction"],
            {
                **milliseconds("folded", folding["seconds_folded"]),
                **milliseconds("unfolded", folding["seconds_with_bn"]),
                "saved_percent": 100 * (1 - section["fold_ratio"]),
                "images": folding["images"],
            },
        ),
        Claim(
            "q6.true_false",
            second_statement_verdict(convergence_verdict(with_epoch, without_epoch)),
            {
                "target": checks["target_accuracy"],
                "epochs_run": len(speed["with_bn"]["val_accuracy"]),
            },
        ),
        Claim(
            "q6.statement_convergence",
            convergence_verdict(with_epoch, without_epoch),
            {
                "target": checks["target_accuracy"],
                # 0 stands for "not reached"; only the verdicts where it was reached print it.
                "with_epoch": with_epoch or 0,
                "without_epoch": without_epoch or 0,
                "epochs_run": len(speed["with_bn"]["val_accuracy"]),
                # Where the later model stood when the first reached the target.
                "other_then": other_accuracy_then(speed, with_epoch, without_epoch),
            },
        ),
        Claim(
            "q6.keras_agreement",
            "agrees" if keras_largest <= KERAS_TOLERANCE else "differs",
            {
                "largest": keras_largest,
                "shapes": len(checks["keras_comparison"]),
                "tolerance": KERAS_TOLERANCE,
            },
        ),
        Claim(
            "q6.numerical_derivative",
            "agrees" if numerical_largest <= NUMERICAL_TOLERANCE else "differs",
            {"largest": numerical_largest, "tolerance": NUMERICAL_TOLERANCE},
        ),
        Claim(
            "q6.epsilon",
            epsilon_verdict,
            {
                "column": column,
                "constant": constant,
                "rows": len(epsilon["batch"]),
                "nan_count": epsilon["without_eps_nan_count"],
                "largest": epsilon["with_eps_constant_feature_largest"],
            },
        ),
        Claim(
            "q6.batch_of_one_dense",
            "collapses" if dense["output_equals_beta"] else "does_not_collapse",
            {
                "values": dense["values_per_statistic"],
                "grad_x": dense["largest_grad_x"],
                "grad_gamma": dense["largest_grad_gamma"],
                "spread": dense["largest_output_spread"],
            },
        ),
        Claim(
            "q6.batch_of_one_conv",
            "collapses" if conv["output_equals_beta"] else "does_not_collapse",
            {
                "values": conv["values_per_statistic"],
                "height": conv["shape"][1],
                "width": conv["shape"][2],
                "spread": conv["largest_output_spread"],
                "grad_x": conv["largest_grad_x"],
            },
        ),
        Claim(
            "q6.running_variance_batch_one",
            batch_of_one_verdict(drift_rows[0], drift["steps"], conv["values_per_statistic"]),
            {
                "variance": drift_rows[0]["running_var"],
                "batch_size": drift_rows[0]["batch_size"],
                "steps": drift["steps"],
                "momentum": DRIFT_MOMENTUM,
                "start": DRIFT_START_VARIANCE,
                "true_var": drift["true_var"],
                "conv_values": conv["values_per_statistic"],
            },
        ),
        Claim(
            "q6.running_variance_by_batch",
            drift_verdict(drift_rows, drift["true_var"]),
            {
                "sizes": len(drift_rows),
                "smallest_batch": drift_rows[0]["batch_size"],
                "smallest_var": drift_rows[0]["running_var"],
                "largest_batch": drift_rows[-1]["batch_size"],
                "largest_var": drift_rows[-1]["running_var"],
                "true_var": drift["true_var"],
                "steps": drift["steps"],
            },
        ),
        Claim(
            "q6.small_batch_chance",
            chance_verdict(*worst["interval"], chance),
            {
                "batch_size": worst["batch_size"],
                "accuracy": worst["test_accuracy"],
                "low": worst["interval"][0],
                "high": worst["interval"][1],
                "chance": chance,
                "test_images": checks["small_batches"]["test_images"],
            },
        ),
        Claim(
            "q6.small_batch_sizes",
            "apart"
            if section["best_versus_worst_small"]["p_value"] < PAIRED_TEST_LEVEL
            else "within_noise",
            {
                "b": section["best_versus_worst_small"]["b"],
                "c": section["best_versus_worst_small"]["c"],
                "p_value": section["best_versus_worst_small"]["p_value"],
                "level": PAIRED_TEST_LEVEL,
                "best_batch": best["batch_size"],
                "best": best["test_accuracy"],
                "best_low": best["interval"][0],
                "best_high": best["interval"][1],
                "worst_batch": worst["batch_size"],
                "worst": worst["test_accuracy"],
                "worst_low": worst["interval"][0],
                "worst_high": worst["interval"][1],
                "steps": checks["small_batches"]["steps"],
                "train_images": checks["small_batches"]["train_images"],
                "test_images": checks["small_batches"]["test_images"],
            },
        ),
        Claim(
            "q6.parameter_counts",
            "matches_original" if matches else "differs_from_original",
            {
                "dense": counts["with_bias"]["dense"],
                "bn_trainable": counts["with_bias"]["batchnorm_trainable"],
                "trainable": counts["with_bias"]["trainable"],
                "non_trainable": counts["with_bias"]["non_trainable"],
                "without_bias": counts["without_bias"]["trainable"],
                "original": expected["trainable"],
                "original_without_bias": expected["trainable_without_bias"],
            },
        ),
    ]
