"""Step of rule gradcam: maps for the first shuffled training digits, class means over the test
set, the randomisation check, deletion curves against baselines, and the verdicts they support."""

from __future__ import annotations

import logging

import numpy as np

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.gradcam import gradcam_maps, normalise_maps, upsample
from hw4.methods.gradcam_checks import (
    BASELINES,
    area_under,
    compare_to_baseline,
    deletion_curves,
    describe_peak,
    randomisation_check,
    within_class_agreement,
)
from hw4.methods.mnist_cnn import scale_images

log = logging.getLogger("hw4")

# The randomisation check passes when the maps of the fully randomised model are nearly
# unrelated to the trained model's (final mean Spearman below 0.3) and the correlation has
# fallen clearly at some step (below 0.5); Adebayo et al. (2018) read their figures so.
RANDOMISED_FINAL_BELOW = 0.3
RANDOMISED_SOME_STEP_BELOW = 0.5


def randomisation_verdict(rows: list[dict]) -> str:
    """'passes', 'fails', or 'undefined' when the fully randomised maps are all zero."""
    final = rows[-1]["spearman"]
    if final is None:
        return "undefined"
    lowest = min(r["spearman"] for r in rows[1:] if r["spearman"] is not None)
    passes = final < RANDOMISED_FINAL_BELOW and lowest < RANDOMISED_SOME_STEP_BELOW
    return "passes" if passes else "fails"


def deletion_verdict(comparisons: dict) -> str:
    """'beats_every_baseline', 'loses_to_a_baseline', or 'within_noise' (neither)."""
    verdicts = [c["verdict"] for c in comparisons.values()]
    if all(v == "lower" for v in verdicts):
        return "beats_every_baseline"
    if "higher" in verdicts:
        return "loses_to_a_baseline"
    return "within_noise"


def class_mean_maps(maps: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Per digit, the mean of its maps scaled to a peak of 1 (10, h, w), and how many maps."""
    means, counts = [], []
    for digit in range(10):
        chosen = maps[labels == digit]
        counts.append(int(len(chosen)))
        means.append(chosen.mean(axis=0) if len(chosen) else np.zeros(maps.shape[1:]))
    return normalise_maps(np.stack(means)), counts


def run(model, data: dict, order: np.ndarray, settings: dict, seed: int, device: dict) -> dict:
    """Grad-CAM of the trained Q7 model, and whether its maps can be trusted.

    ``data``: the mnist rule's arrays; ``order``: train_cnn's shuffle; ``settings``: the
    ``gradcam`` config section. Returns ``arrays`` (for heatmaps.npz), ``metrics`` (the JSON
    artifact, with provenance) and ``figures`` (what each figure draws). Raises
    ``RuntimeError`` if the model's weights changed (Grad-CAM must only read them).
    """
    weights_before = [w.copy() for w in model.get_weights()]
    layer = settings["layer"] or None
    size = data["x_train"].shape[1:3]

    # 1. The first training images after the seeded shuffle, as the original showed them.
    first = order[: settings["first_images"]]
    raw_first, predicted_first, layer_name = gradcam_maps(
        model, scale_images(data["x_train"][first]), layer_name=layer
    )
    maps_first = normalise_maps(raw_first)
    log.info("gradcam: %d training images on layer %s", len(first), layer_name)

    # 2. Every test image; per digit, the mean map over the correctly classified ones.
    x_test = scale_images(data["x_test"])
    raw_test, predicted_test, _ = gradcam_maps(model, x_test, layer_name=layer)
    maps_test = normalise_maps(raw_test)
    correct = predicted_test == data["y_test"]
    class_means, counts = class_mean_maps(maps_test[correct], data["y_test"][correct])
    agreement = within_class_agreement(maps_test[correct], data["y_test"][correct], seed=seed)

    # 3. The checks, on a sample of correctly classified test digits.
    rng = np.random.default_rng(seed)
    sample = rng.permutation(np.flatnonzero(correct))[: settings["check_images"]]
    rows = randomisation_check(model, x_test[sample], predicted_test[sample], layer, seed)
    fractions = np.linspace(0, settings["deletion_max_fraction"], settings["deletion_steps"] + 1)
    probabilities = deletion_curves(
        model,
        x_test[sample],
        predicted_test[sample],
        upsample(maps_test[sample], size),
        fractions,
        seed,
    )
    areas = {name: area_under(p, fractions) for name, p in probabilities.items()}
    comparisons = {name: compare_to_baseline(areas["most"], areas[name]) for name in BASELINES}
    auc = {name: float(a.mean()) for name, a in areas.items()}
    log.info("gradcam: deletion AUC %s", ", ".join(f"{k}={v:.3f}" for k, v in auc.items()))

    unchanged = all(
        np.array_equal(before, after)
        for before, after in zip(weights_before, model.get_weights(), strict=True)
    )
    if not unchanged:
        raise RuntimeError("Grad-CAM changed the trained model's weights")

    metrics = {
        "layer": layer_name,
        "layer_configured": layer is not None,
        "map_shape": list(maps_test.shape[1:]),
        "model_unchanged": unchanged,
        "first_images": [
            {"index": int(i), "true": int(t), "predicted": int(p), **describe_peak(m)}
            for i, t, p, m in zip(
                first, data["y_train"][first], predicted_first, maps_first, strict=True
            )
        ],
        "test_images": int(len(x_test)),
        "test_correct": int(correct.sum()),
        "all_zero_maps": int((raw_test.reshape(len(raw_test), -1).max(axis=1) <= 0).sum()),
        "class_peaks": [
            {"digit": digit, "count": counts[digit], **describe_peak(class_means[digit])}
            for digit in range(10)
        ],
        "agreement": agreement,
        "randomisation": {
            "images": int(len(sample)),
            "rows": rows,
            "final_spearman": rows[-1]["spearman"],
            "verdict": randomisation_verdict(rows),
        },
        "deletion": {
            "images": int(len(sample)),
            "fractions": fractions.tolist(),
            "auc": auc,
            "comparisons": comparisons,
            "verdict": deletion_verdict(comparisons),
        },
        "provenance": provenance(versions=framework_versions(), **device),
    }
    arrays = {
        "first_indices": first,
        "first_maps": maps_first,
        "first_maps_upsampled": upsample(maps_first, size),
        "class_mean_maps": class_means,
    }
    figures = {
        "grid": {
            "images": data["x_train"][first],
            "small_maps": maps_first,
            "large_maps": arrays["first_maps_upsampled"],
            "true": data["y_train"][first],
            "predicted": predicted_first,
        },
        "class_maps": {"mean_maps": class_means, "counts": counts},
        "sanity": rows,
        "deletion": {
            "fractions": fractions.tolist(),
            "curves": {name: p.mean(axis=1).tolist() for name, p in probabilities.items()},
            "auc": auc,
        },
    }
    return {"arrays": arrays, "metrics": metrics, "figures": figures}
