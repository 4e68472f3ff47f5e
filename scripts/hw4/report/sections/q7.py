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
    hw4.methods.gradcam_checks.compare_to_baseline's verdicts; and every order's paired
    comparison with Grad-CAM's most-first order (``compared``: the baselines', and the
    least-first order's under ``"least"``), for the tables."""
    comparisons = deletion["comparisons"]
    return {
        "ahead": [name for name, c in comparisons.items() if c["verdict"] == "higher"],
        "tied": [name for name, c in comparisons.items() if c["verdict"] == "within_noise"],
        "compared": {"least": deletion["own_ranking"], **comparisons},
    }


def same_digit_groups(first_images: list[dict], pairs: dict) -> list[dict]:
    """Each digit shown more than once among the first images, with what the table and the
    claims print: its ``positions`` (the figure's image numbers), each image's brightest cell
    and region in its map for the TRUE digit (``cells``, ``regions_en``/``regions_fa``; None
    for an all-zero map), ``same_cell`` (all cells alike and defined), its pairs
    (``pairs``: ``{"first", "second", "spearman"}``) and their rank correlations
    (``correlations``, None where undefined) and the images among them the model
    misclassified (``misclassified``: ``{"position", "predicted"}``)."""
    groups = []
    for group in sorted(pairs["groups"], key=lambda g: g["digit"]):
        positions = group["positions"]
        peaks = [with_region_names(first_images[i]["true_class_peak"]) for i in positions]
        cells = [peak["peak_cell"] for peak in peaks]
        groups.append(
            {
                "digit": group["digit"],
                "positions": positions,
                "cells": cells,
                "regions_en": [peak["region_en"] for peak in peaks],
                "regions_fa": [peak["region_fa"] for peak in peaks],
                "same_cell": None not in cells and all(c == cells[0] for c in cells),
                "pairs": group["pairs"],
                "correlations": [p["spearman"] for p in group["pairs"]],
                "misclassified": [
                    {"position": i, "predicted": first_images[i]["predicted"]}
                    for i in positions
                    if first_images[i]["predicted"] != first_images[i]["true"]
                ],
            }
        )
    return groups


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
        "same_digit_groups": same_digit_groups(
            gradcam["first_images"], gradcam["first_image_pairs"]
        ),
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


def same_digit_verdicts(groups: list[dict], other_median: float | None) -> tuple[str, str]:
    """(peaks verdict, correlation verdict) over EVERY digit shown more than once among the
    first images (``same_digit_groups``), each map taken for the image's true digit.

    Peaks: 'same_peak' (each digit's images brightest in one cell), 'different_peaks' (no
    two images of a digit share their brightest cell), 'some_same' (anything between), 'no_repeat' (no digit shown twice) or
    'undefined' (a map that is zero everywhere). Correlation of every same-digit pair against
    the median of the different-digit pairs among the same images: 'above' (every pair
    above), 'below' (every pair below), 'mixed', or 'no_repeat' / 'undefined' as for the
    peaks.
    """
    if not groups:
        return "no_repeat", "no_repeat"
    if any(None in g["cells"] for g in groups):
        peaks = "undefined"
    else:
        # Distinct brightest cells per digit: one means all its images share a peak; as many
        # as its images means no two do; anything between is some shared.
        distinct = [len({tuple(cell) for cell in g["cells"]}) for g in groups]
        if all(d == 1 for d in distinct):
            peaks = "same_peak"
        elif all(d == len(g["cells"]) for d, g in zip(distinct, groups, strict=True)):
            peaks = "different_peaks"
        else:
            peaks = "some_same"
    correlations = [c for g in groups for c in g["correlations"]]
    if None in correlations or other_median is None:
        return peaks, "undefined"
    if all(c > other_median for c in correlations):
        return peaks, "above"
    if all(c < other_median for c in correlations):
        return peaks, "below"
    return peaks, "mixed"


def shared_peaks(peaks: list[dict]) -> list[dict]:
    """The cells that are the brightest of more than one digit's mean map, each with its
    digits: ``[{"cell": [row, column], "digits": [...]}]``, in the order of the digits."""
    by_cell: dict[tuple, list[int]] = {}
    for peak in peaks:
        if peak["peak_cell"] is not None:
            by_cell.setdefault(tuple(peak["peak_cell"]), []).append(peak["digit"])
    return [
        {"cell": list(cell), "digits": digits}
        for cell, digits in by_cell.items()
        if len(digits) > 1
    ]


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
    among the first images (every digit shown more than once, maps for the true digit) and
    over the test set."""
    gradcam = section["gradcam"]
    peaks = section["class_peaks"]
    with_peak = [p for p in peaks if p["peak_cell"] is not None]
    distinct = len({tuple(p["peak_cell"]) for p in with_peak})
    if len(with_peak) < len(peaks):
        peaks_verdict = "some_without_peak"
    else:
        peaks_verdict = "all_distinct" if distinct == len(peaks) else "shared"
    other = gradcam["first_image_pairs"]["other_digit"]
    groups = section["same_digit_groups"]
    peaks_same, correlation = same_digit_verdicts(groups, other["median"])
    correlations = [c for g in groups for c in g["correlations"]]
    defined = [c for c in correlations if c is not None]
    same_values = {
        "groups": groups,
        "group_count": len(groups),
        "same_cell_count": sum(g["same_cell"] for g in groups),
        "misclassified": [{**m, "digit": g["digit"]} for g in groups for m in g["misclassified"]],
        "first_count": len(section["first_images"]),
        "pairs": len(correlations),
        "above": sum(c > other["median"] for c in defined) if other["median"] is not None else 0,
        "low": min(defined) if defined else None,
        "high": max(defined) if defined else None,
        "other_median": other["median"],
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
                "shared": shared_peaks(peaks),
                "top_half_digits": [p["digit"] for p in with_peak if p["top_half_share"] > 0.5],
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


def cascade_claim(rows: list[dict]) -> Claim:
    """How the randomisation check's median moves along the cascade (``rows``: step 0, the
    trained model, then one more layer re-initialised per step, each with its ``median``):
    'falls_steadily' when no step's median is above the one before, 'not_steadily' when some
    step's is (the check then shows that the maps change without the trained weights, not
    that each deeper layer adds to it), 'undefined' when a step has no median."""
    medians = [row["median"] for row in rows[1:]]
    steps = [{"step": row["step"], "layer": row["randomised_down_to"]} for row in rows[1:]]
    if not medians or None in medians:
        return Claim("q7.randomisation_cascade", "undefined", {"medians": [], "rises": []})
    rises = [steps[k]["step"] for k in range(1, len(medians)) if medians[k] > medians[k - 1]]
    return Claim(
        "q7.randomisation_cascade",
        "not_steadily" if rises else "falls_steadily",
        {"medians": medians, "rises": rises, "steps": len(medians)},
    )


def check_claims(section: dict) -> list[Claim]:
    """Whether the maps can be trusted: the randomisation check and the deletion check (over
    each image's ink, and over the whole image for the record). The deletion verdict
    (hw4.steps.gradcam.deletion_verdict) fails a map whose most-first order is not clearly
    ahead of its least-first order, whatever it does against the baselines."""
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
                # The median is over the maps with a correlation (an all-zero map has none).
                "defined": randomisation["images"] - randomisation["rows"][-1]["undefined"],
                "steps": len(randomisation["rows"]) - 1,
                "undefined": randomisation["rows"][-1]["undefined"],
            },
        ),
        cascade_claim(randomisation["rows"]),
    ]
    for claim_id, key in (
        ("q7.deletion", "deletion"),
        ("q7.deletion_whole_image", "deletion_whole_image"),
    ):
        deletion = gradcam[key]
        summary = section[key]
        own = deletion["own_ranking"]
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
                    "auc_least": deletion["auc"]["least"],
                    "own_difference": own["difference"],
                    "own_low": own["low"],
                    "own_high": own["high"],
                },
            )
        )
    return made
