"""The gradcam rule's steps, in order: maps for the first training digits, class means
over the test set, the randomisation check, the deletion curves, and observations."""

from __future__ import annotations

import logging

import numpy as np

from hw4.methods.gradcam import (
    deletion_curves,
    describe_peak,
    gradcam_maps,
    normalise_maps,
    randomisation_check,
    upsample,
    within_class_agreement,
)
from hw4.methods.mnist_cnn import scale_images

log = logging.getLogger("hw4")


def run_gradcam(model, data: dict, order: np.ndarray, settings: dict, seed: int) -> dict:
    layer = settings.get("layer") or None
    size = data["x_train"].shape[1:3]

    # 1. The first training images after the seeded shuffle, as the original did.
    first = order[: settings["first_images"]]
    x_first = scale_images(data["x_train"][first])
    raw_first, pred_first, layer_name = gradcam_maps(model, x_first, layer_name=layer)
    maps_first = normalise_maps(raw_first)
    log.info("gradcam: %d training images on layer %s", len(first), layer_name)

    # 2. Every test image; per class, the mean map over the correctly classified ones.
    x_test = scale_images(data["x_test"])
    raw_test, pred_test, _ = gradcam_maps(model, x_test, layer_name=layer)
    maps_test = normalise_maps(raw_test)
    correct = pred_test == data["y_test"]
    class_means, counts, peaks = [], [], []
    for c in range(10):
        chosen = maps_test[correct & (data["y_test"] == c)]
        counts.append(int(len(chosen)))
        mean = chosen.mean(axis=0) if len(chosen) else np.zeros(maps_test.shape[1:])
        class_means.append(mean / mean.max() if mean.max() > 0 else mean)
        peaks.append({"digit": c, "count": int(len(chosen)), **describe_peak(class_means[-1])})
    same, other = within_class_agreement(maps_test[correct], data["y_test"][correct], seed=seed)
    all_zero = int((raw_test.reshape(len(raw_test), -1).max(axis=1) <= 0).sum())

    # 3. Sanity check on a sample of correctly classified test digits (fixed classes).
    rng = np.random.default_rng(seed)
    sample = rng.permutation(np.flatnonzero(correct))[: settings["check_images"]]
    sanity = randomisation_check(model, x_test[sample], pred_test[sample], layer, seed)

    # 4. Faithfulness: deletion curves with the upsampled maps as saliency.
    fractions = np.linspace(0, settings["deletion_max_fraction"], settings["deletion_steps"] + 1)
    saliency = upsample(maps_test[sample], size)
    curves, auc = deletion_curves(
        model, x_test[sample], pred_test[sample], saliency, fractions, seed
    )
    log.info(
        "gradcam: deletion AUC most=%.3f random=%.3f least=%.3f",
        auc["most"],
        auc["random"],
        auc["least"],
    )

    arrays = {
        "first_indices": first,
        "first_true": data["y_train"][first],
        "first_predicted": pred_first,
        "first_maps": maps_first,
        "first_maps_upsampled": upsample(maps_first, size),
        "test_predicted": pred_test,
        "test_true": data["y_test"],
        "test_maps": maps_test.astype("float32"),
        "class_mean_maps": np.stack(class_means),
        "class_counts": np.array(counts),
        "check_indices": sample,
    }
    metrics = {
        "layer": layer_name,
        "map_shape": list(maps_test.shape[1:]),
        "first_images": [
            {"index": int(i), "true": int(t), "predicted": int(p), **describe_peak(m)}
            for i, t, p, m in zip(
                first, data["y_train"][first], pred_first, maps_first, strict=True
            )
        ],
        "test_images": int(len(x_test)),
        "test_correct": int(correct.sum()),
        "all_zero_maps": all_zero,
        "class_peaks": peaks,
        "agreement_same_digit": same,
        "agreement_other_digit": other,
        "sanity_check": sanity,
        "sanity_final_spearman": sanity[-1]["spearman"],
        "faithfulness": {
            "images": int(len(sample)),
            "fractions": fractions.tolist(),
            "curves": curves,
            "auc": auc,
            "faithful": bool(auc["most"] < auc["random"] < auc["least"]),
        },
    }
    return {"arrays": arrays, "metrics": metrics}
