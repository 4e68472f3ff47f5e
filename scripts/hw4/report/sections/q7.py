"""Q7: the fixed CNN and Grad-CAM."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.methods.proportion_interval import wilson_interval
from hw4.report.artifacts import typed_rows
from hw4.report.claims import Claim

REGION_NAMES = {
    "en": {
        "top-left": "top left",
        "top-centre": "top centre",
        "top-right": "top right",
        "middle-left": "middle left",
        "middle-centre": "centre",
        "middle-right": "middle right",
        "bottom-left": "bottom left",
        "bottom-centre": "bottom centre",
        "bottom-right": "bottom right",
    },
    "fa": {
        "top-left": "بالا، سمت چپ",
        "top-centre": "بالا، وسط",
        "top-right": "بالا، سمت راست",
        "middle-left": "میانه، سمت چپ",
        "middle-centre": "مرکز",
        "middle-right": "میانه، سمت راست",
        "bottom-left": "پایین، سمت چپ",
        "bottom-centre": "پایین، وسط",
        "bottom-right": "پایین، سمت راست",
    },
}

# keras.layers.BatchNormalization's default momentum: the share of the running statistics
# kept at each update. Q6's small CNN uses a lower one; the section says why.


OVERFITTING_GAP = 0.02


def with_region_names(peak: dict) -> dict:
    """A peak description with its region named in English and Persian (None: no peak)."""
    region = peak["region"]
    return {
        **peak,
        "region_en": REGION_NAMES["en"][region] if region else None,
        "region_fa": REGION_NAMES["fa"][region] if region else None,
    }


def load(inputs: dict) -> dict:
    cnn = read_json(inputs["cnn_metrics"])
    gradcam = read_json(inputs["gradcam_metrics"])
    history = typed_rows(inputs["cnn_history"])
    agreement = gradcam["agreement"]
    gap = cnn["train_accuracy"] - cnn["test_accuracy"]
    return {
        "cnn": cnn,
        "gradcam": gradcam,
        "provenance": cnn["provenance"],
        "gradcam_provenance": gradcam["provenance"],
        "test_interval": wilson_interval(cnn["test_accuracy"], cnn["test_images"]),
        "best_val_epoch": max(history, key=lambda row: row["val_accuracy"])["epoch"],
        "gap_points": 100 * abs(gap),
        "overfitting": gap > OVERFITTING_GAP,
        "test_above_train": gap < 0,
        "first_images": [with_region_names(image) for image in gradcam["first_images"]],
        "class_peaks": [with_region_names(peak) for peak in gradcam["class_peaks"]],
        # Deletion baselines that lower the class probability faster than the map's order, and
        # those it cannot be told from (hw4.methods.gradcam_checks.compare_to_baseline).
        "baselines_ahead": [
            name
            for name, c in gradcam["deletion"]["comparisons"].items()
            if c["verdict"] == "higher"
        ],
        "baselines_tied": [
            name
            for name, c in gradcam["deletion"]["comparisons"].items()
            if c["verdict"] == "within_noise"
        ],
        "maps_alike": None
        if None in (agreement["same_digit"], agreement["other_digit"])
        else agreement["same_digit"] > agreement["other_digit"],
    }


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    return []
