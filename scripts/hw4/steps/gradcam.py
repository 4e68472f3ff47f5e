"""Step of rule gradcam: maps for the first shuffled training digits, class means over the test
set, the randomisation check, deletion curves against baselines, and the verdicts they support."""

from __future__ import annotations

import logging

import numpy as np

from hw4.io.provenance import framework_versions, provenance
from hw4.methods.gradcam import gradcam_maps, normalise_maps, upsample
from hw4.methods.gradcam_checks import (
    BASELINES,
    DELETION_POOLS,
    area_under,
    compare_to_baseline,
    deletion_curves,
    describe_peak,
    randomisation_check,
    same_digit_pairs,
    within_class_agreement,
)
from hw4.methods.mnist_cnn import scale_images

log = logging.getLogger("hw4")

# The randomisation check (Adebayo et al. 2018, "Sanity Checks for Saliency Maps", NeurIPS):
# once every layer's weights are re-initialised, a map that depends on what the model learned
# should be unrelated to the trained model's map of the same image. The paper reads the rank
# correlation per image off its figures and states no number; this project passes the check
# when the MEDIAN over the maps of that rank correlation is below 0.3, the lower end of a
# "medium" correlation in Cohen's (1988) conventions (0.1 small, 0.3 medium, 0.5 large).
RANDOMISED_MEDIAN_BELOW = 0.3


def randomisation_verdict(rows: list[dict]) -> str:
    """'passes' when the fully randomised step's median rank correlation over the maps is
    below RANDOMISED_MEDIAN_BELOW, 'fails' otherwise, 'undefined' when its maps are all zero."""
    final = rows[-1]["median"]
    if final is None:
        return "undefined"
    return "passes" if final < RANDOMISED_MEDIAN_BELOW else "fails"


def deletion_verdict(own_ranking: dict, comparisons: dict) -> str:
    """The deletion check's verdict from paired comparisons (compare_to_baseline's).

    ``own_ranking``: the map's most highlighted pixels first against its least highlighted
    first. A map whose most-first order does not lower the class probability clearly faster
    than its least-first order ranks pixels no better than its own reverse: 'ranking_fails',
    whatever it does against the baselines. Otherwise, against ``comparisons`` (each baseline):
    'beats_every_baseline', 'loses_to_a_baseline', or 'within_noise' (neither).
    """
    if own_ranking["verdict"] != "lower":
        return "ranking_fails"
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


def deletion_check(model, images, classes, saliency, fractions, seed, pool) -> dict:
    """Deletion curves over one pool (hw4.methods.gradcam_checks.deletion_curves) and the
    paired comparisons of Grad-CAM's most-first order with its least-first order
    (``own_ranking``) and with each of the pool's baselines (``comparisons``).

    Returns ``{"metrics": {"pool", "fractions", "auc", "own_ranking", "comparisons",
    "verdict"}, "curves":
    {order: mean probability per fraction}}``.
    """
    probabilities = deletion_curves(model, images, classes, saliency, fractions, seed, pool=pool)
    areas = {name: area_under(p, fractions) for name, p in probabilities.items()}
    own_ranking = compare_to_baseline(areas["most"], areas["least"])
    comparisons = {
        name: compare_to_baseline(areas["most"], areas[name]) for name in BASELINES[pool]
    }
    auc = {name: float(a.mean()) for name, a in areas.items()}
    log.info(
        "gradcam: deletion AUC over the %s pool %s",
        pool,
        ", ".join(f"{k}={v:.3f}" for k, v in auc.items()),
    )
    return {
        "metrics": {
            "pool": pool,
            "fractions": fractions.tolist(),
            "auc": auc,
            "own_ranking": own_ranking,
            "comparisons": comparisons,
            "verdict": deletion_verdict(own_ranking, comparisons),
        },
        "curves": {name: p.mean(axis=1).tolist() for name, p in probabilities.items()},
    }


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

    # 1. The first training images after the seeded shuffle, as the original showed them,
    # each map for its predicted class (the figure). The same digit in other handwriting is
    # compared on maps of that digit: each image's map for its TRUE class (the two differ
    # only for a misclassified image).
    first = order[: settings["first_images"]]
    true_first = data["y_train"][first]
    scaled_first = scale_images(data["x_train"][first])
    raw_first, predicted_first, layer_name = gradcam_maps(model, scaled_first, layer_name=layer)
    maps_first = normalise_maps(raw_first)
    raw_true, _, _ = gradcam_maps(model, scaled_first, classes=true_first, layer_name=layer)
    maps_true = normalise_maps(raw_true)
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
    deletion = {
        pool: deletion_check(
            model,
            x_test[sample],
            predicted_test[sample],
            upsample(maps_test[sample], size),
            fractions,
            seed,
            pool,
        )
        for pool in DELETION_POOLS
    }

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
            {
                "index": int(i),
                "true": int(t),
                "predicted": int(p),
                **describe_peak(m),
                "true_class_peak": describe_peak(m_true),
            }
            for i, t, p, m, m_true in zip(
                first, true_first, predicted_first, maps_first, maps_true, strict=True
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
        # Every map here is the image's map for its true class.
        "first_image_pairs": same_digit_pairs(maps_true, true_first),
        "randomisation": {
            "images": int(len(sample)),
            "rows": rows,
            "final_spearman": rows[-1]["spearman"],
            "final": {key: rows[-1][key] for key in ("median", "q1", "q3", "min", "max")},
            "median_below": RANDOMISED_MEDIAN_BELOW,
            "verdict": randomisation_verdict(rows),
        },
        # The verdict's comparison: every order over each image's ink. Over the whole image,
        # for the record of what the pool changes.
        "deletion": {"images": int(len(sample)), **deletion["ink"]["metrics"]},
        "deletion_whole_image": {"images": int(len(sample)), **deletion["image"]["metrics"]},
        "provenance": provenance(versions=framework_versions(), **device),
    }
    arrays = {
        "first_indices": first,
        "first_maps": maps_first,
        "first_maps_upsampled": upsample(maps_first, size),
        "first_maps_true_class": maps_true,
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
        "sanity": {"rows": rows, "median_below": RANDOMISED_MEDIAN_BELOW},
        "deletion": {
            "fractions": fractions.tolist(),
            "curves": deletion["ink"]["curves"],
            "auc": deletion["ink"]["metrics"]["auc"],
            "whole_image_curves": deletion["image"]["curves"],
            "whole_image_auc": deletion["image"]["metrics"]["auc"],
        },
    }
    return {"arrays": arrays, "metrics": metrics, "figures": figures}
