"""Q7: the fixed CNN and Grad-CAM."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.methods.proportion_interval import compare_shares, wilson_interval
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

# Training accuracy above test accuracy by more than this share, and beyond the noise of
# both measurements (their 95 % Wilson intervals do not overlap), is called overfitting; a
# smaller gap beyond the noise is called a small gap. Two percentage points: about twice the
# width of the test accuracy's own 95 % interval on MNIST's 10,000 test images at 99 %.
OVERFITTING_GAP = 0.02

# The names of the deletion orders, in each language (hw4.methods.gradcam_checks).
ORDER_NAMES = {
    "en": {
        "most": "Grad-CAM, most highlighted first",
        "least": "Grad-CAM, least highlighted first",
        "random": "random order",
        "random_ink": "random ink pixels",
        "intensity": "the image's intensity as the map",
    },
    "fa": {
        "most": "پرارزش‌ترین پیکسل‌های نقشه اول",
        "least": "کم‌ارزش‌ترین پیکسل‌های نقشه اول",
        "random": "ترتیب تصادفی",
        "random_ink": "پیکسل‌های جوهر به ترتیب تصادفی",
        "intensity": "شدت روشنایی خود تصویر به جای نقشه",
    },
}
AND = {"en": " and ", "fa": " و "}


def with_region_names(peak: dict) -> dict:
    """A peak description with its region named in English and Persian (None: no peak)."""
    region = peak["region"]
    return {
        **peak,
        "region_en": REGION_NAMES["en"][region] if region else None,
        "region_fa": REGION_NAMES["fa"][region] if region else None,
    }


def order_names(names: list[str]) -> dict[str, str]:
    """Deletion orders named in a list, one phrase per language: ``{"fa": ..., "en": ...}``."""
    return {
        language: AND[language].join(ORDER_NAMES[language][n] for n in names) for language in AND
    }


def deletion_summary(deletion: dict) -> dict:
    """The baselines that lower the class probability faster than Grad-CAM's order
    (``ahead``) and those it cannot be told from (``tied``), by key, from
    hw4.methods.gradcam_checks.compare_to_baseline's verdicts."""
    comparisons = deletion["comparisons"]
    return {
        "ahead": [name for name, c in comparisons.items() if c["verdict"] == "higher"],
        "tied": [name for name, c in comparisons.items() if c["verdict"] == "within_noise"],
    }


def load(inputs: dict) -> dict:
    cnn = read_json(inputs["cnn_metrics"])
    gradcam = read_json(inputs["gradcam_metrics"])
    history = typed_rows(inputs["cnn_history"])
    return {
        "cnn": cnn,
        "gradcam": gradcam,
        "provenance": cnn["provenance"],
        "gradcam_provenance": gradcam["provenance"],
        "test_interval": wilson_interval(cnn["test_accuracy"], cnn["test_images"]),
        "train_interval": wilson_interval(cnn["train_accuracy"], cnn["train_images"]),
        "best_val_epoch": max(history, key=lambda row: row["val_accuracy"])["epoch"],
        "first_images": [with_region_names(image) for image in gradcam["first_images"]],
        "class_peaks": [with_region_names(peak) for peak in gradcam["class_peaks"]],
        "deletion": deletion_summary(gradcam["deletion"]),
        "deletion_whole_image": deletion_summary(gradcam["deletion_whole_image"]),
        "order_names": ORDER_NAMES,
    }


def train_versus_test_verdict(
    train: float, train_images: int, test: float, test_images: int
) -> str:
    """'overfitting' (training accuracy above test accuracy beyond the noise, by more than
    OVERFITTING_GAP), 'small_gap' (beyond the noise, by less), 'within_noise' (the two 95 %
    intervals overlap) or 'test_above_train' (test beyond the noise above training)."""
    verdict = compare_shares(train, train_images, test, test_images)["verdict"]
    if verdict == "within_noise":
        return "within_noise"
    if verdict == "lower":
        return "test_above_train"
    return "overfitting" if train - test > OVERFITTING_GAP else "small_gap"


def largest_repeated_group(pairs: dict) -> dict | None:
    """Among the first images, the digit shown most often (the smaller digit on a tie), with
    its pairs; None when no digit is shown twice."""
    groups = sorted(pairs["groups"], key=lambda g: (-len(g["positions"]), g["digit"]))
    return groups[0] if groups else None


def same_digit_verdicts(group: dict | None, first_images: list[dict], other: dict) -> tuple:
    """(peaks verdict, correlation verdict) for the same digit among the first images.

    Peaks: 'same_peak' (every image of the digit brightest in one cell), 'different_peaks',
    'no_repeat' (no digit shown twice) or 'undefined' (a map that is zero everywhere).
    Correlation of each same-digit pair against the median of the different-digit pairs among
    the same images: 'above' (every pair above), 'below' (every pair below), 'mixed', or
    'no_repeat' / 'undefined' as for the peaks.
    """
    if group is None:
        return "no_repeat", "no_repeat"
    cells = [first_images[i]["peak_cell"] for i in group["positions"]]
    correlations = [p["spearman"] for p in group["pairs"]]
    if None in cells:
        peaks = "undefined"
    else:
        peaks = "same_peak" if all(c == cells[0] for c in cells) else "different_peaks"
    if None in correlations or other["median"] is None:
        return peaks, "undefined"
    if all(c > other["median"] for c in correlations):
        return peaks, "above"
    if all(c < other["median"] for c in correlations):
        return peaks, "below"
    return peaks, "mixed"


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    section, original = context["q7"], context["original"]
    cnn, gradcam = section["cnn"], section["gradcam"]
    test_low, test_high = section["test_interval"]
    train_low, train_high = section["train_interval"]
    accuracy = {
        "test": cnn["test_accuracy"],
        "test_low": test_low,
        "test_high": test_high,
        "test_images": cnn["test_images"],
        "train": cnn["train_accuracy"],
        "train_low": train_low,
        "train_high": train_high,
        "train_images": cnn["train_images"],
        "epochs": cnn["epochs"],
        "gap_points": 100 * abs(cnn["train_accuracy"] - cnn["test_accuracy"]),
        "threshold_points": 100 * OVERFITTING_GAP,
        "best_val_epoch": section["best_val_epoch"],
    }
    made = [
        Claim("q7.test_accuracy", "measured", accuracy),
        Claim(
            "q7.train_versus_test",
            train_versus_test_verdict(
                cnn["train_accuracy"], cnn["train_images"], cnn["test_accuracy"], cnn["test_images"]
            ),
            accuracy,
        ),
        Claim(
            "q7.handin_order",
            "same_order" if cnn["handin_order"] else "other_order",
            {"seed": cnn["shuffle_seed"]},
        ),
        speed_claim(cnn, original),
        Claim(
            "q7.model_unchanged",
            "unchanged" if gradcam["model_unchanged"] else "changed",
            {"layer": gradcam["layer"]},
        ),
    ]
    made += map_claims(section)
    made += check_claims(section)
    return made


def speed_claim(cnn: dict, original: dict) -> Claim:
    """Training speed in images per second against the original's (its images over its
    seconds per epoch); the hardware differs, so the wording says the ratio is not about code."""
    ours = cnn["train_images"] / cnn["seconds_per_epoch"]
    their_images = original["mnist"]["train_images"]
    their_seconds = original["cnn"]["seconds_per_epoch"]
    theirs = their_images / their_seconds
    threads = cnn["provenance"]["threads"]["intra_op_threads"]
    return Claim(
        "q7.speed_versus_original",
        "faster" if ours > theirs else "slower",
        {
            "ours": ours,
            "ours_steady": cnn["images_per_second"],
            "our_images": cnn["train_images"],
            "our_seconds": cnn["seconds_per_epoch"],
            "device": cnn["device"],
            "threads": threads,
            "theirs": theirs,
            "their_images": their_images,
            "their_seconds": their_seconds,
            "ratio": ours / theirs if ours > theirs else theirs / ours,
        },
    )


def map_claims(section: dict) -> list[Claim]:
    """What the maps show: the digits' mean-map peaks, and the same digit in other handwriting
    among the first images and over the test set."""
    gradcam = section["gradcam"]
    peaks = section["class_peaks"]
    with_peak = [p for p in peaks if p["peak_cell"] is not None]
    distinct = len({tuple(p["peak_cell"]) for p in with_peak})
    if len(with_peak) < len(peaks):
        peaks_verdict = "some_without_peak"
    else:
        peaks_verdict = "all_distinct" if distinct == len(peaks) else "shared"
    pairs = gradcam["first_image_pairs"]
    other = pairs["other_digit"]
    group = largest_repeated_group(pairs)
    peaks_same, correlation = same_digit_verdicts(group, section["first_images"], other)
    correlations = [p["spearman"] for p in group["pairs"]] if group else []
    defined = [c for c in correlations if c is not None]
    same_values = {
        "digit": group["digit"] if group else None,
        "count": len(group["positions"]) if group else 0,
        "positions": group["positions"] if group else [],
        "cells": [section["first_images"][i]["peak_cell"] for i in group["positions"]]
        if group
        else [],
        "first_count": len(section["first_images"]),
        "pairs": len(correlations),
        "low": min(defined) if defined else None,
        "high": max(defined) if defined else None,
        "other_median": other["median"],
        "other_low": other["min"],
        "other_high": other["max"],
        "other_pairs": other["pairs"],
    }
    agreement = gradcam["agreement"]
    if None in (agreement["same_digit"], agreement["other_digit"]):
        alike = "undefined"
    else:
        alike = (
            "more_alike" if agreement["same_digit"] > agreement["other_digit"] else "not_more_alike"
        )
    return [
        Claim(
            "q7.class_peaks",
            peaks_verdict,
            {
                "digits": len(peaks),
                "with_peak": len(with_peak),
                "distinct": distinct,
                "top_half": sum(p["top_half_share"] > 0.5 for p in with_peak),
                "test_correct": gradcam["test_correct"],
            },
        ),
        Claim("q7.same_digit_peaks", peaks_same, same_values),
        Claim("q7.same_digit_correlation", correlation, same_values),
        Claim(
            "q7.maps_alike_test",
            alike,
            {
                "same": agreement["same_digit"],
                "other": agreement["other_digit"],
                "undefined_pairs": agreement["undefined_pairs"],
                "test_correct": gradcam["test_correct"],
            },
        ),
    ]


def check_claims(section: dict) -> list[Claim]:
    """Whether the maps can be trusted: the randomisation check and the deletion check (over
    each image's ink, and over the whole image for the record)."""
    gradcam = section["gradcam"]
    randomisation = gradcam["randomisation"]
    final = randomisation["final"]
    made = [
        Claim(
            "q7.randomisation",
            randomisation["verdict"],
            {
                **final,
                "threshold": randomisation["median_below"],
                "images": randomisation["images"],
                "steps": len(randomisation["rows"]) - 1,
                "undefined": randomisation["rows"][-1]["undefined"],
            },
        )
    ]
    for claim_id, key in (
        ("q7.deletion", "deletion"),
        ("q7.deletion_whole_image", "deletion_whole_image"),
    ):
        deletion = gradcam[key]
        summary = section[key]
        made.append(
            Claim(
                claim_id,
                deletion["verdict"],
                {
                    "images": deletion["images"],
                    "max_fraction": deletion["fractions"][-1],
                    "ahead": order_names(summary["ahead"]),
                    "ahead_count": len(summary["ahead"]),
                    "tied": order_names(summary["tied"]),
                    "baselines": order_names(list(deletion["comparisons"])),
                    "auc_most": deletion["auc"]["most"],
                },
            )
        )
    return made
