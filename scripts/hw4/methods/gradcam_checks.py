"""Whether saliency maps mean something: the model-randomisation check, deletion curves against
baselines that discriminate on MNIST, agreement between maps, and where a map peaks.

A map that is zero everywhere has no ranking: its correlation with any map is undefined. Such
pairs are counted and left out of means, and a mean over no defined pair is None, never NaN.
"""

from __future__ import annotations

import logging

import keras
import numpy as np

from hw4.methods.gradcam import gradcam_maps, leaf_layers

log = logging.getLogger("hw4")


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation of two maps; None when either is constant (e.g. all zero)."""
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def mean_defined(values: list[float | None]) -> tuple[float | None, int]:
    """(mean of the defined values or None, how many were undefined)."""
    defined = [v for v in values if v is not None]
    return (float(np.mean(defined)) if defined else None), len(values) - len(defined)


def randomisation_check(model, images, classes, layer_name=None, seed=0) -> list[dict]:
    """Adebayo et al. (2018): re-initialise weights from the top layer down, one layer more each
    step, on a clone (the model is not touched).

    Returns a row per step: the layer randomised down to, the mean Spearman rank correlation
    between the trained model's maps and the randomised model's (same images, same classes;
    None when no pair is defined) and how many pairs were undefined (an all-zero map).
    """
    reference, _, _ = gradcam_maps(model, images, classes, layer_name)
    randomised = keras.models.clone_model(model)
    randomised.set_weights(model.get_weights())
    keras.utils.set_random_seed(seed)
    rows = [{"step": 0, "randomised_down_to": "none", "spearman": 1.0, "undefined": 0}]
    weighted = [layer for layer in reversed(leaf_layers(randomised)) if layer.weights]
    for step, layer in enumerate(weighted, start=1):
        for attribute, initializer in (
            ("kernel", "kernel_initializer"),
            ("bias", "bias_initializer"),
        ):
            variable = getattr(layer, attribute, None)
            if variable is not None:
                variable.assign(getattr(layer, initializer)(variable.shape))
        maps, _, _ = gradcam_maps(randomised, images, classes, layer_name)
        mean, undefined = mean_defined(
            [spearman(r, m) for r, m in zip(reference, maps, strict=True)]
        )
        rows.append(
            {
                "step": step,
                "randomised_down_to": layer.name,
                "spearman": mean,
                "undefined": undefined,
            }
        )
        log.info(
            "randomisation check: down to %s, mean Spearman %s, %d undefined",
            layer.name,
            "undefined" if mean is None else f"{mean:.3f}",
            undefined,
        )
    return rows


# The orders in which pixels are deleted. 'most' and 'least' follow the Grad-CAM map; the
# others are baselines. On MNIST about 80% of the pixels are already 0, so deleting pixels in
# plain random order removes almost no ink: 'random_ink' deletes the ink (pixels > 0) in random
# order first, and 'intensity' uses the image itself as the map (brightest first). A map worth
# reading must lower the class probability faster than both.
DELETION_ORDERS = ("most", "least", "random", "random_ink", "intensity")
BASELINES = ("random", "random_ink", "intensity")


def deletion_orders(images: np.ndarray, saliency: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Per order in DELETION_ORDERS, each image's pixel indices (n, h*w), first deleted first."""
    rng = np.random.default_rng(seed)
    n = len(saliency)
    flat = saliency.reshape(n, -1)
    pixels = images.reshape(n, -1)
    jitter = rng.random(flat.shape) * 1e-6  # break ties at random, not by pixel position
    ink = (pixels > 0).astype(float)
    return {
        "most": np.argsort(-(flat + jitter), axis=1),
        "least": np.argsort(flat + jitter, axis=1),
        "random": np.argsort(rng.random(flat.shape), axis=1),
        "random_ink": np.argsort(-(ink + 0.5 * rng.random(flat.shape)), axis=1),
        "intensity": np.argsort(-(pixels + jitter), axis=1),
    }


def deletion_curves(model, images, classes, saliency, fractions, seed=0, batch_size=512):
    """Probability of each image's class as a growing fraction of its pixels is set to 0.

    ``images`` (n, h, w, 1) in [0, 1], ``classes`` (n,), ``saliency`` (n, h, w), ``fractions``
    (m,) from 0. Returns ``{order: (m, n) probabilities}`` for each of DELETION_ORDERS.
    A faithful map drops the probability fastest under 'most' (Petsiuk et al., 2018).
    """
    n, height, width = saliency.shape
    base = images.reshape(n, -1)
    probabilities = {}
    for name, order in deletion_orders(images, saliency, seed).items():
        batch = []
        for fraction in fractions:
            count = int(round(fraction * height * width))
            masked = base.copy()
            masked[np.repeat(np.arange(n), count), order[:, :count].ravel()] = 0.0
            batch.append(masked.reshape(images.shape))
        predicted = model.predict(np.concatenate(batch), batch_size=batch_size, verbose=0)
        picked = predicted[np.arange(len(predicted)), np.tile(classes, len(fractions))]
        probabilities[name] = picked.reshape(len(fractions), n)
    return probabilities


def area_under(probabilities: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Per image (n,), the area under its deletion curve, divided by the fractions' span."""
    span = fractions[-1] - fractions[0]
    return np.trapezoid(probabilities, fractions, axis=0) / span


def compare_to_baseline(most: np.ndarray, baseline: np.ndarray) -> dict:
    """Paired comparison of per-image areas (n,): the mean difference most - baseline, its 95%
    interval (normal approximation, 1.96 standard errors) and the verdict: 'lower' (the map
    deletes the deciding pixels faster), 'higher', or 'within_noise' when the interval holds 0."""
    difference = most - baseline
    mean = float(difference.mean())
    half_width = float(1.96 * difference.std(ddof=1) / np.sqrt(len(difference)))
    if mean + half_width < 0:
        verdict = "lower"
    elif mean - half_width > 0:
        verdict = "higher"
    else:
        verdict = "within_noise"
    return {
        "difference": mean,
        "low": mean - half_width,
        "high": mean + half_width,
        "verdict": verdict,
    }


def describe_peak(cam: np.ndarray) -> dict:
    """Where a map (h, w) is brightest: its cell, its third of the image as ``row-column`` (rows
    top/middle/bottom, columns left/centre/right; the report names them in each language) and
    the share of the map's weight in the top half. An all-zero map has no peak: None each."""
    total = float(cam.sum())
    if total <= 0:
        return {"peak_cell": None, "region": None, "top_half_share": None}
    row, column = np.unravel_index(int(np.argmax(cam)), cam.shape)
    third_row = min(int(3 * row // cam.shape[0]), 2)
    third_column = min(int(3 * column // cam.shape[1]), 2)
    return {
        "peak_cell": [int(row), int(column)],
        "region": f"{('top', 'middle', 'bottom')[third_row]}-"
        f"{('left', 'centre', 'right')[third_column]}",
        "top_half_share": float(cam[: cam.shape[0] // 2].sum() / total),
    }


def within_class_agreement(
    maps: np.ndarray, labels: np.ndarray, per_class: int = 30, seed: int = 0
) -> dict:
    """Mean Spearman correlation between maps of the same digit and of different digits.

    Up to ``per_class`` maps of each digit are paired with each other and with as many maps of
    other digits. Returns ``{"same_digit", "other_digit"}`` (None when no pair is defined) and
    ``"undefined_pairs"`` (pairs with an all-zero map).
    """
    rng = np.random.default_rng(seed)
    same, other = [], []
    for digit in np.unique(labels):
        chosen = rng.permutation(np.flatnonzero(labels == digit))[:per_class]
        rest = rng.permutation(np.flatnonzero(labels != digit))[:per_class]
        for i in range(len(chosen)):
            for j in range(i + 1, len(chosen)):
                same.append(spearman(maps[chosen[i]], maps[chosen[j]]))
            for j in range(min(len(rest), len(chosen))):
                other.append(spearman(maps[chosen[i]], maps[rest[j]]))
    same_mean, same_undefined = mean_defined(same)
    other_mean, other_undefined = mean_defined(other)
    return {
        "same_digit": same_mean,
        "other_digit": other_mean,
        "undefined_pairs": same_undefined + other_undefined,
    }
